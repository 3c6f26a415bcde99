/*
 * Writes a directory's contents as one deterministic gzip layer with the
 * layer writer and prints its digests, so that scripts/bench_build.sh can
 * time the writer against a tar and gzip pipeline on the same tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <reprocheck/layer.h>

int main(int argc, char **argv)
{
	repro_layer_write_options options;
	repro_layer_writer *writer = NULL;
	repro_layer_result result;
	repro_error err;
	char blob[REPRO_DIGEST_STRING_MAX], diff_id[REPRO_DIGEST_STRING_MAX];
	int fd, status = 2;

	if (argc != 4) {
		fprintf(stderr, "usage: %s TREE SOURCE_DATE_EPOCH OUTPUT\n", argv[0]);
		return 2;
	}
	fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "bench_layer_write: opening '%s' failed: %s\n", argv[3], strerror(errno));
		return 2;
	}
	repro_layer_write_options_init(&options);
	options.source_date_epoch = strtoll(argv[2], NULL, 10);
	if (repro_layer_writer_new(&writer, &options, &err) != REPRO_OK ||
	    repro_layer_writer_add(writer, argv[1], "/", NULL, 1, &err) != REPRO_OK ||
	    repro_layer_writer_finish(writer, fd, &result, &err) != REPRO_OK) {
		fprintf(stderr, "bench_layer_write: %s\n", err.message);
		goto done;
	}
	repro_digest_format(&result.blob_digest, blob);
	repro_digest_format(&result.diff_id, diff_id);
	printf("blob %s %llu\ndiff_id %s %llu\nentries %zu\n", blob,
	       (unsigned long long)result.blob_size, diff_id,
	       (unsigned long long)result.uncompressed_size, result.entry_count);
	status = 0;

done:
	repro_layer_writer_free(writer);
	close(fd);
	return status;
}

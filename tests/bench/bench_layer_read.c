/*
 * Reads one layer blob with repro_layer_read() and prints its digests, so
 * that scripts/bench_layer.sh can time the reader against shell pipelines.
 */
#include <stdio.h>
#include <string.h>

#include <reprocheck/layer.h>

int main(int argc, char **argv)
{
	repro_layer_read_options options;
	repro_layer_info info;
	repro_stream *stream;
	repro_error err;
	char blob[REPRO_DIGEST_STRING_MAX], diff_id[REPRO_DIGEST_STRING_MAX];
	int result;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--hash-contents") != 0)) {
		fprintf(stderr, "usage: %s BLOB [--hash-contents]\n", argv[0]);
		return 2;
	}
	if (repro_stream_open_file(&stream, argv[1], &err) != REPRO_OK) {
		fprintf(stderr, "bench_layer_read: %s\n", err.message);
		return 2;
	}
	repro_layer_read_options_init(&options);
	options.hash_contents = argc == 3;
	result = repro_layer_read(stream, &options, &info, &err);
	repro_stream_close(stream);
	if (result != REPRO_OK) {
		fprintf(stderr, "bench_layer_read: reading '%s' failed: %s\n", argv[1], err.message);
		return 2;
	}
	repro_digest_format(&info.blob_digest, blob);
	repro_digest_format(&info.diff_id, diff_id);
	printf("blob %s %llu\ndiff_id %s %llu\nentries %zu\n", blob,
	       (unsigned long long)info.blob_size, diff_id,
	       (unsigned long long)info.uncompressed_size, info.entry_count);
	repro_layer_info_dispose(&info);
	return 0;
}

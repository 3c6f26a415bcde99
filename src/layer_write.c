/*
 * Writing a planned layer. The calling thread generates the tar with
 * libarchive and hashes it (diff_id). A second thread compresses it,
 * hashes the compressed bytes (blob digest) and writes them out. The two
 * threads share the fixed chunk pool of layer_internal.h.
 */
#include "layer_internal.h"
#include "layer_write_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>
#include <zstd.h>

#define CHUNK_SIZE ((size_t)1 << 20)
#define CHUNK_COUNT 4
#define OUTPUT_SIZE ((size_t)256 << 10)

/* The fixed gzip OS byte: 3 is Unix, what zlib writes on Unix systems. */
#define GZIP_OS_UNIX 3

typedef struct write_state {
	repro_layer_writer *writer;
	int fd;
	repro_chunk_queue queue;

	/* Tar thread. */
	repro_chunk *current;
	repro_hasher diff_hasher;
	uint64_t uncompressed_size;
	repro_error tar_error;
	int tar_result;

	/* Compression thread. */
	repro_hasher blob_hasher;
	uint64_t blob_size;
	z_stream zlib;
	gz_header gzip_header;
	int zlib_ready;
	ZSTD_CCtx *zstd;
	unsigned char output[OUTPUT_SIZE];
	int compress_result;
	repro_error compress_error;
} write_state;

static int write_fully(write_state *state, const unsigned char *data, size_t size,
                       repro_error *err)
{
	int result = repro_hasher_update(&state->blob_hasher, data, size, err);

	if (result != REPRO_OK)
		return result;
	state->blob_size += size;
	while (size > 0) {
		ssize_t written = write(state->fd, data, size);

		if (written < 0 && errno == EINTR)
			continue;
		if (written < 0)
			return repro_error_set_errno(err, REPRO_EIO, errno, "writing the layer failed");
		data += written;
		size -= (size_t)written;
	}
	return REPRO_OK;
}

/* Feeds @p size tar bytes to the compressor; @p last ends the stream. */
static int compress_bytes(write_state *state, const unsigned char *data, size_t size, int last,
                          repro_error *err)
{
	repro_compression compression = state->writer->options.compression;

	if (compression == REPRO_COMPRESSION_NONE)
		return write_fully(state, data, size, err);
	if (compression == REPRO_COMPRESSION_ZSTD) {
		ZSTD_inBuffer in = {data, size, 0};
		size_t left;

		do {
			ZSTD_outBuffer out = {state->output, OUTPUT_SIZE, 0};
			int result;

			left = ZSTD_compressStream2(state->zstd, &out, &in, last ? ZSTD_e_end : ZSTD_e_continue);
			if (ZSTD_isError(left))
				return repro_error_set(err, REPRO_EIO, "zstd compression failed: %s",
				                       ZSTD_getErrorName(left));
			if ((result = write_fully(state, state->output, out.pos, err)) != REPRO_OK)
				return result;
		} while (last ? left != 0 : in.pos < in.size);
		return REPRO_OK;
	}

	state->zlib.next_in = (Bytef *)(uintptr_t)data;
	state->zlib.avail_in = (uInt)size;
	for (;;) {
		int code, result;

		state->zlib.next_out = state->output;
		state->zlib.avail_out = (uInt)OUTPUT_SIZE;
		code = deflate(&state->zlib, last ? Z_FINISH : Z_NO_FLUSH);
		if (code == Z_STREAM_ERROR)
			return repro_error_set(err, REPRO_EIO, "gzip compression failed");
		result = write_fully(state, state->output, OUTPUT_SIZE - state->zlib.avail_out, err);
		if (result != REPRO_OK)
			return result;
		if (last ? code == Z_STREAM_END : state->zlib.avail_out != 0)
			return REPRO_OK;
	}
}

static int start_compressor(write_state *state, repro_error *err)
{
	const repro_layer_write_options *options = &state->writer->options;

	if (options->compression == REPRO_COMPRESSION_GZIP) {
		if (deflateInit2(&state->zlib, options->level, Z_DEFLATED, 15 + 16, 8,
		                 Z_DEFAULT_STRATEGY) != Z_OK)
			return repro_error_set(err, REPRO_EUSAGE, "invalid gzip level %d", options->level);
		state->zlib_ready = 1;
		/* No file name, MTIME 0 and a fixed OS byte, so the header never varies. */
		memset(&state->gzip_header, 0, sizeof(state->gzip_header));
		state->gzip_header.os = GZIP_OS_UNIX;
		if (deflateSetHeader(&state->zlib, &state->gzip_header) != Z_OK)
			return repro_error_set(err, REPRO_EIO, "setting the gzip header failed");
	} else if (options->compression == REPRO_COMPRESSION_ZSTD) {
		if ((state->zstd = ZSTD_createCCtx()) == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "creating a zstd context failed");
		if (ZSTD_isError(ZSTD_CCtx_setParameter(state->zstd, ZSTD_c_compressionLevel,
		                                        options->level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(state->zstd, ZSTD_c_checksumFlag, 1)))
			return repro_error_set(err, REPRO_EUSAGE, "invalid zstd level %d", options->level);
	}
	return REPRO_OK;
}

static void *compress_thread(void *argument)
{
	write_state *state = argument;
	repro_chunk *chunk;
	int producer_result = REPRO_OK, result = REPRO_OK;

	while ((chunk = repro_chunk_queue_pop(&state->queue, &producer_result, NULL)) != NULL) {
		result = compress_bytes(state, chunk->data, chunk->size, 0, &state->compress_error);
		repro_chunk_queue_release(&state->queue, chunk);
		if (result != REPRO_OK)
			break;
	}
	if (result == REPRO_OK && producer_result == REPRO_OK)
		result = compress_bytes(state, NULL, 0, 1, &state->compress_error);
	state->compress_result = result;
	if (result != REPRO_OK)
		repro_chunk_queue_cancel(&state->queue);
	return NULL;
}

static la_ssize_t tar_write_callback(struct archive *archive, void *data, const void *buffer,
                                     size_t length)
{
	write_state *state = data;
	const unsigned char *bytes = buffer;
	size_t left = length;

	if (repro_hasher_update(&state->diff_hasher, buffer, length, &state->tar_error) != REPRO_OK) {
		state->tar_result = state->tar_error.code;
		return -1;
	}
	state->uncompressed_size += length;
	while (left > 0) {
		size_t room, take;

		if (state->current == NULL &&
		    (state->current = repro_chunk_queue_acquire(&state->queue)) == NULL) {
			archive_set_error(archive, -1, "compression stopped");
			return -1;
		}
		room = state->queue.chunk_size - state->current->size;
		take = left < room ? left : room;
		memcpy(state->current->data + state->current->size, bytes, take);
		state->current->size += take;
		bytes += take;
		left -= take;
		if (state->current->size == state->queue.chunk_size) {
			repro_chunk_queue_push(&state->queue, state->current);
			state->current = NULL;
		}
	}
	return (la_ssize_t)length;
}

static int archive_failure(struct archive *archive, const char *what, const char *path,
                           repro_error *err)
{
	const char *reason = archive_error_string(archive);

	return repro_error_set(err, REPRO_EIO, "%s '/%s' failed: %s", what, path,
	                       reason ? reason : "unknown libarchive error");
}

/* Copies the content of a regular file, which must still have its planned size. */
static int write_content(struct archive *archive, const plan_entry *entry, repro_error *err)
{
	unsigned char *block = malloc(OUTPUT_SIZE);
	uint64_t copied = 0;
	struct stat info;
	int fd = -1, result = REPRO_OK;

	if (block == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating a read buffer failed");
	fd = open(entry->host_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &info) != 0) {
		result = repro_error_set_errno(err, REPRO_EIO, errno, "opening '%s' failed",
		                               entry->host_path);
		goto cleanup;
	}
	for (;;) {
		ssize_t got = read(fd, block, OUTPUT_SIZE);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			result = repro_error_set_errno(err, REPRO_EIO, errno, "reading '%s' failed",
			                               entry->host_path);
			goto cleanup;
		}
		if (got == 0 || copied + (uint64_t)got > entry->size)
			break;
		if (archive_write_data(archive, block, (size_t)got) != got) {
			result = archive_failure(archive, "writing", entry->path, err);
			goto cleanup;
		}
		copied += (uint64_t)got;
	}
	if (copied != entry->size || !S_ISREG(info.st_mode) || (uint64_t)info.st_size != entry->size)
		result = repro_error_set(err, REPRO_EIO, "'%s' changed while the layer was written: "
		                         "expected %llu bytes", entry->host_path,
		                         (unsigned long long)entry->size);

cleanup:
	if (fd >= 0)
		close(fd);
	free(block);
	return result;
}

static int write_entry(struct archive *archive, struct archive_entry *header,
                       const plan_entry *entry, repro_error *err)
{
	char *name = NULL;
	int result = REPRO_OK;

	archive_entry_clear(header);
	if (entry->type == S_IFDIR) {
		/* Directories end in '/', as GNU tar and Go's archive/tar write them. */
		size_t length = strlen(entry->path) + 2;

		if ((name = malloc(length)) == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "naming '/%s' failed", entry->path);
		snprintf(name, length, "%s/", entry->path);
	}
	/* NOTE: libarchive converts non-ASCII names from the current locale for
	 * pax records, so the bytes depend on the locale the writer runs in. */
	archive_entry_set_pathname(header, name ? name : entry->path);
	if (entry->type == S_IFDIR)
		archive_entry_set_filetype(header, AE_IFDIR);
	else if (entry->type == S_IFLNK)
		archive_entry_set_filetype(header, AE_IFLNK);
	else
		archive_entry_set_filetype(header, AE_IFREG);
	archive_entry_set_perm(header, entry->mode);
	archive_entry_set_uid(header, entry->uid);
	archive_entry_set_gid(header, entry->gid);
	archive_entry_set_mtime(header, (time_t)entry->mtime, 0);
	if (entry->symlink_target != NULL)
		archive_entry_set_symlink(header, entry->symlink_target);
	if (entry->hardlink_target != NULL)
		archive_entry_set_hardlink(header, entry->hardlink_target);
	archive_entry_set_size(header, (la_int64_t)entry->size);

	if (archive_write_header(archive, header) != ARCHIVE_OK)
		result = archive_failure(archive, "writing the header of", entry->path, err);
	else if (entry->type == S_IFREG && entry->hardlink_target == NULL && entry->size > 0)
		result = write_content(archive, entry, err);
	free(name);
	return result;
}

/* Generates the tar of the plan into the chunk queue. */
static int write_tar(write_state *state, repro_error *err)
{
	struct archive *archive = archive_write_new();
	struct archive_entry *header = archive_entry_new();
	repro_layer_writer *writer = state->writer;
	int result = REPRO_OK;

	if (archive == NULL || header == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "creating a tar writer failed");
		goto cleanup;
	}
	/* The restricted pax format writes plain ustar headers and adds a pax
	 * header only for a value ustar cannot hold. The last block is not
	 * padded beyond the two zero blocks that end the archive. */
	if (archive_write_set_format_pax_restricted(archive) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(archive, 10240) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(archive, 1) != ARCHIVE_OK ||
	    archive_write_open(archive, state, NULL, tar_write_callback, NULL) != ARCHIVE_OK) {
		result = archive_failure(archive, "opening the tar of", "", err);
		goto cleanup;
	}
	for (size_t i = 0; i < writer->entry_count && result == REPRO_OK; i++)
		result = write_entry(archive, header, &writer->entries[i], err);
	if (result == REPRO_OK && archive_write_close(archive) != ARCHIVE_OK)
		result = archive_failure(archive, "closing the tar of", "", err);
	if (result == REPRO_OK && state->current != NULL && state->current->size > 0) {
		repro_chunk_queue_push(&state->queue, state->current);
		state->current = NULL;
	}

cleanup:
	if (state->current != NULL)
		repro_chunk_queue_release(&state->queue, state->current);
	state->current = NULL;
	archive_entry_free(header);
	archive_write_free(archive);
	return result;
}

static void describe_compressor(const repro_layer_write_options *options, char *out, size_t size)
{
	if (options->compression == REPRO_COMPRESSION_GZIP)
		snprintf(out, size, "zlib %s level %d", zlibVersion(), options->level);
	else if (options->compression == REPRO_COMPRESSION_ZSTD)
		snprintf(out, size, "zstd %s level %d", ZSTD_versionString(), options->level);
	else
		snprintf(out, size, "none");
}

static const char *media_type(repro_compression compression)
{
	if (compression == REPRO_COMPRESSION_GZIP)
		return REPRO_MEDIA_TYPE_LAYER_GZIP;
	if (compression == REPRO_COMPRESSION_ZSTD)
		return REPRO_MEDIA_TYPE_LAYER_ZSTD;
	return REPRO_MEDIA_TYPE_LAYER_TAR;
}

/* Runs the tar generation here and the compression on a second thread. */
static int run_writer(write_state *state, repro_error *err)
{
	pthread_t thread;
	int result;

	if ((result = repro_chunk_queue_init(&state->queue, CHUNK_SIZE, CHUNK_COUNT, err)) != REPRO_OK)
		return result;
	if (pthread_create(&thread, NULL, compress_thread, state) != 0) {
		repro_chunk_queue_dispose(&state->queue);
		return repro_error_set(err, REPRO_EIO, "starting the compression thread failed");
	}
	result = write_tar(state, err);
	repro_chunk_queue_finish(&state->queue, result, err);
	pthread_join(thread, NULL);
	repro_chunk_queue_dispose(&state->queue);

	/* A compression failure explains a tar failure that it caused. */
	if (state->compress_result != REPRO_OK) {
		*err = state->compress_error;
		return state->compress_result;
	}
	if (result == REPRO_OK && state->tar_result != REPRO_OK) {
		*err = state->tar_error;
		result = state->tar_result;
	}
	return result;
}

int repro_layer_writer_finish(repro_layer_writer *writer, int fd, repro_layer_result *out,
                              repro_error *err)
{
	write_state *state = calloc(1, sizeof(*state));
	int result;

	memset(out, 0, sizeof(*out));
	if (state == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating the layer writer state failed");
	if (writer->finished) {
		result = repro_error_set(err, REPRO_EUSAGE, "the layer writer is already finished");
		goto cleanup;
	}
	writer->finished = 1;
	state->writer = writer;
	state->fd = fd;
	if ((result = repro_layer_plan_complete(writer, err)) != REPRO_OK ||
	    (result = repro_hasher_init(&state->diff_hasher, writer->options.algorithm, err)) != REPRO_OK ||
	    (result = repro_hasher_init(&state->blob_hasher, writer->options.algorithm, err)) != REPRO_OK ||
	    (result = start_compressor(state, err)) != REPRO_OK)
		goto cleanup;
	if ((result = run_writer(state, err)) != REPRO_OK)
		goto cleanup;

	if ((result = repro_hasher_finish(&state->blob_hasher, &out->blob_digest, err)) != REPRO_OK ||
	    (result = repro_hasher_finish(&state->diff_hasher, &out->diff_id, err)) != REPRO_OK)
		goto cleanup;
	out->blob_size = state->blob_size;
	out->uncompressed_size = state->uncompressed_size;
	out->media_type = media_type(writer->options.compression);
	out->entry_count = writer->entry_count;
	describe_compressor(&writer->options, out->compressor, sizeof(out->compressor));

cleanup:
	repro_hasher_dispose(&state->diff_hasher);
	repro_hasher_dispose(&state->blob_hasher);
	if (state->zlib_ready)
		deflateEnd(&state->zlib);
	ZSTD_freeCCtx(state->zstd);
	free(state);
	return result;
}

static char default_compressor[64];
static pthread_once_t default_compressor_once = PTHREAD_ONCE_INIT;

static void describe_default_compressor(void)
{
	repro_layer_write_options options;

	repro_layer_write_options_init(&options);
	options.level = REPRO_LAYER_DEFAULT_GZIP_LEVEL;
	describe_compressor(&options, default_compressor, sizeof(default_compressor));
}

const char *repro_layer_compressor_name(void)
{
	pthread_once(&default_compressor_once, describe_default_compressor);
	return default_compressor;
}

/*
 * One pass over a layer blob. A decoding thread reads the blob and inflates
 * it into a fixed pool of chunks; the calling thread hashes both the
 * compressed chunks (blob digest) and the uncompressed ones (diff_id), and
 * hands the uncompressed ones to libarchive's tar reader. libarchive gets
 * no filters: the bytes it sees are already decoded.
 */
#include "layer_internal.h"
#include "layer_read_internal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <xxhash.h>

/* 8 chunks of 1 MiB: large enough for long inflate runs, small enough to
 * keep the reader far under 64 MiB whatever the layer size. */
#define CHUNK_SIZE ((size_t)1 << 20)
#define CHUNK_COUNT 8

void repro_layer_read_options_init(repro_layer_read_options *options)
{
	memset(options, 0, sizeof(*options));
	options->algorithm = REPRO_DIGEST_SHA256;
	options->compression = REPRO_COMPRESSION_GZIP;
	options->detect_compression = 1;
	options->want_entries = 1;
	options->max_uncompressed_bytes = REPRO_LAYER_DEFAULT_MAX_UNCOMPRESSED;
	options->max_entries = REPRO_LAYER_DEFAULT_MAX_ENTRIES;
	options->max_path_bytes = REPRO_LAYER_DEFAULT_MAX_PATH;
}

/* Reads until @p chunk is full or the blob ends. */
static int fill_chunk(layer_reader *reader, repro_chunk *chunk, size_t capacity, repro_error *err)
{
	while (chunk->size < capacity) {
		ssize_t got = repro_stream_read(reader->blob, chunk->data + chunk->size,
		                                capacity - chunk->size, err);

		if (got < 0)
			return (int)got;
		if (got == 0)
			break;
		chunk->size += (size_t)got;
	}
	return REPRO_OK;
}

static int check_uncompressed_limit(layer_reader *reader, repro_error *err)
{
	if (reader->uncompressed_size > reader->options.max_uncompressed_bytes)
		return repro_error_set(err, REPRO_ELIMIT,
		                       "uncompressed size exceeds the limit of %llu bytes "
		                       "(max_uncompressed_bytes)",
		                       (unsigned long long)reader->options.max_uncompressed_bytes);
	return REPRO_OK;
}

/* Chooses the decoder from the first chunk and the declared compression. */
static int start_decoding(layer_reader *reader, const repro_chunk *first, repro_error *err)
{
	repro_compression declared = reader->options.compression;
	repro_compression chosen = declared;

	if (reader->options.detect_compression) {
		chosen = repro_compression_detect(first->data, first->size);
		reader->compression_mismatch = chosen != declared;
	}
	reader->compression = chosen;
	if (chosen == REPRO_COMPRESSION_GZIP)
		repro_gzip_parse_header(first->data, first->size, &reader->gzip);
	if (chosen == REPRO_COMPRESSION_NONE)
		return REPRO_OK;
	return repro_decoder_new(&reader->decoder, chosen, err);
}

/* Decodes one compressed chunk into as many output chunks as it takes. */
static int decode_chunk(layer_reader *reader, repro_chunk *input, repro_chunk **output,
                        repro_error *err)
{
	repro_chunk_queue *queue = &reader->queue;
	repro_decoder_state state;

	repro_decoder_input(reader->decoder, input->data, input->size);
	do {
		size_t before;
		int result;

		if (*output == NULL && (*output = repro_chunk_queue_acquire(queue)) == NULL)
			return repro_error_set(err, REPRO_EINTERRUPTED, "layer reading was cancelled");
		before = (*output)->size;
		result = repro_decoder_run(reader->decoder, (*output)->data, queue->chunk_size,
		                           &(*output)->size, &state, err);
		reader->uncompressed_size += (*output)->size - before;
		if (result != REPRO_OK)
			return result;
		if ((result = check_uncompressed_limit(reader, err)) != REPRO_OK)
			return result;
		if ((*output)->size == queue->chunk_size) {
			(*output)->kinds = REPRO_CHUNK_UNCOMPRESSED;
			repro_chunk_queue_push(queue, *output);
			*output = NULL;
		}
	} while (state == REPRO_DECODER_OUTPUT_FULL);
	return REPRO_OK;
}

static int decode_blob(layer_reader *reader, repro_error *err)
{
	repro_chunk_queue *queue = &reader->queue;
	repro_chunk *input = NULL, *output = NULL;
	int result = REPRO_OK;

	for (;;) {
		if ((input = repro_chunk_queue_acquire(queue)) == NULL) {
			result = repro_error_set(err, REPRO_EINTERRUPTED, "layer reading was cancelled");
			goto cleanup;
		}
		if ((result = fill_chunk(reader, input, queue->chunk_size, err)) != REPRO_OK)
			goto cleanup;
		if (input->size == 0)
			break;
		if (reader->blob_size == 0 && (result = start_decoding(reader, input, err)) != REPRO_OK)
			goto cleanup;
		reader->blob_size += input->size;

		if (reader->compression == REPRO_COMPRESSION_NONE) {
			reader->uncompressed_size += input->size;
			if ((result = check_uncompressed_limit(reader, err)) != REPRO_OK)
				goto cleanup;
			input->kinds = REPRO_CHUNK_COMPRESSED | REPRO_CHUNK_UNCOMPRESSED;
		} else {
			if ((result = decode_chunk(reader, input, &output, err)) != REPRO_OK)
				goto cleanup;
			input->kinds = REPRO_CHUNK_COMPRESSED;
		}
		repro_chunk_queue_push(queue, input);
		input = NULL;
	}

	if (output != NULL && output->size > 0) {
		output->kinds = REPRO_CHUNK_UNCOMPRESSED;
		repro_chunk_queue_push(queue, output);
		output = NULL;
	}
	if (reader->blob_size == 0 && reader->options.detect_compression)
		reader->compression = REPRO_COMPRESSION_NONE;
	else if (reader->blob_size == 0)
		reader->compression = reader->options.compression;
	if (reader->decoder != NULL)
		result = repro_decoder_finish(reader->decoder, &reader->gzip.members, err);
	else if (reader->compression != REPRO_COMPRESSION_NONE)
		result = repro_error_set(err, REPRO_EFORMAT, "empty %s stream",
		                         repro_compression_name(reader->compression));
	if (reader->compression != REPRO_COMPRESSION_GZIP)
		reader->gzip.members = 0;

cleanup:
	if (input != NULL)
		repro_chunk_queue_release(queue, input);
	if (output != NULL)
		repro_chunk_queue_release(queue, output);
	return result;
}

static void *decode_thread(void *argument)
{
	layer_reader *reader = argument;
	repro_error err;
	int result;

	repro_error_clear(&err);
	result = decode_blob(reader, &err);
	repro_chunk_queue_finish(&reader->queue, result, &err);
	return NULL;
}

/*
 * Returns the next uncompressed chunk for the tar thread, hashing every
 * chunk on the way, or NULL at the end; reader->source_result then holds
 * the decoding thread's result.
 */
static repro_chunk *next_uncompressed(layer_reader *reader)
{
	repro_chunk *chunk;

	while ((chunk = repro_chunk_queue_pop(&reader->queue, &reader->source_result,
	                                      &reader->source_error)) != NULL) {
		int result = REPRO_OK;

		if ((chunk->kinds & REPRO_CHUNK_COMPRESSED) && !reader->options.skip_digests)
			result = repro_hasher_update(&reader->blob_hasher, chunk->data, chunk->size,
			                             &reader->source_error);
		if (result == REPRO_OK && (chunk->kinds & REPRO_CHUNK_UNCOMPRESSED) &&
		    !reader->options.skip_digests)
			result = repro_hasher_update(&reader->diff_hasher, chunk->data, chunk->size,
			                             &reader->source_error);
		if (result != REPRO_OK) {
			reader->source_result = result;
			repro_chunk_queue_release(&reader->queue, chunk);
			return NULL;
		}
		if (chunk->kinds & REPRO_CHUNK_UNCOMPRESSED)
			return chunk;
		repro_chunk_queue_release(&reader->queue, chunk);
	}
	reader->source_ended = 1;
	return NULL;
}

static la_ssize_t tar_read_callback(struct archive *archive, void *data, const void **buffer)
{
	layer_reader *reader = data;

	if (reader->current != NULL) {
		repro_chunk_queue_release(&reader->queue, reader->current);
		reader->current = NULL;
	}
	reader->current = next_uncompressed(reader);
	if (reader->current == NULL) {
		*buffer = NULL;
		if (reader->source_result != REPRO_OK) {
			archive_set_error(archive, -1, "%s", reader->source_error.message);
			return ARCHIVE_FATAL;
		}
		return 0;
	}
	*buffer = reader->current->data;
	return (la_ssize_t)reader->current->size;
}

/* Turns a libarchive failure into the decoding thread's error when it caused it. */
static int tar_failure(layer_reader *reader, struct archive *archive, repro_error *err)
{
	if (reader->source_result != REPRO_OK) {
		*err = reader->source_error;
		return reader->source_result;
	}
	return repro_error_set(err, REPRO_EFORMAT, "invalid tar after entry %zu: %s",
	                       reader->entry_count, archive_error_string(archive) ?
	                       archive_error_string(archive) : "unknown error");
}

static int read_content(layer_reader *reader, struct archive *archive, repro_layer_entry *entry,
                        repro_error *err)
{
	repro_hasher hasher;
	XXH3_state_t *fingerprint = NULL;
	bool sha256 = reader->options.hash_contents != 0;
	const void *block;
	size_t size;
	la_int64_t offset;
	int code, result = REPRO_OK;

	memset(&hasher, 0, sizeof(hasher));
	if ((!sha256 && !reader->options.fingerprint_contents) ||
	    entry->type != REPRO_ENTRY_REGULAR) {
		if (archive_read_data_skip(archive) != ARCHIVE_OK)
			return tar_failure(reader, archive, err);
		return REPRO_OK;
	}
	if (sha256 && (result = repro_hasher_init(&hasher, REPRO_DIGEST_SHA256, err)) != REPRO_OK)
		return result;
	if (reader->options.fingerprint_contents) {
		fingerprint = XXH3_createState();
		if (fingerprint == NULL || XXH3_128bits_reset(fingerprint) != XXH_OK) {
			result = repro_error_set(err, REPRO_ENOMEM, "fingerprinting '%s' failed",
			                         entry->path);
			goto cleanup;
		}
	}
	while ((code = archive_read_data_block(archive, &block, &size, &offset)) == ARCHIVE_OK) {
		if (sha256 && (result = repro_hasher_update(&hasher, block, size, err)) != REPRO_OK)
			goto cleanup;
		if (fingerprint != NULL)
			XXH3_128bits_update(fingerprint, block, size);
	}
	if (code != ARCHIVE_EOF) {
		result = tar_failure(reader, archive, err);
		goto cleanup;
	}
	if (sha256 && (result = repro_hasher_finish(&hasher, &entry->content_digest, err)) == REPRO_OK)
		entry->has_content_digest = 1;
	if (result == REPRO_OK && fingerprint != NULL) {
		XXH128_canonical_t canonical;

		XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(fingerprint));
		memcpy(entry->fingerprint, canonical.digest, sizeof(entry->fingerprint));
		entry->has_fingerprint = 1;
	}

cleanup:
	XXH3_freeState(fingerprint);
	repro_hasher_dispose(&hasher);
	return result;
}

static int read_tar(layer_reader *reader, repro_error *err)
{
	struct archive *archive = archive_read_new();
	struct archive_entry *header;
	int result = REPRO_OK;

	if (archive == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "creating a tar reader failed");
	archive_read_support_format_tar(archive);
	if (archive_read_open(archive, reader, NULL, tar_read_callback, NULL) != ARCHIVE_OK) {
		result = tar_failure(reader, archive, err);
		goto cleanup;
	}
	for (;;) {
		int code = archive_read_next_header(archive, &header);
		repro_layer_entry *entry;

		if (code == ARCHIVE_EOF)
			break;
		if (code < ARCHIVE_WARN) {
			result = tar_failure(reader, archive, err);
			goto cleanup;
		}
		result = repro_layer_record_entry(reader, header, archive_format(archive), &entry, err);
		if (result != REPRO_OK)
			goto cleanup;
		if ((result = read_content(reader, archive, entry, err)) != REPRO_OK)
			goto cleanup;
	}

cleanup:
	archive_read_free(archive);
	return result;
}

/* Hashes what follows the end of the tar, such as the zero blocks of padding. */
static int drain(layer_reader *reader, repro_error *err)
{
	if (reader->current != NULL) {
		repro_chunk_queue_release(&reader->queue, reader->current);
		reader->current = NULL;
	}
	while (!reader->source_ended && reader->source_result == REPRO_OK) {
		repro_chunk *chunk = next_uncompressed(reader);

		if (chunk != NULL)
			repro_chunk_queue_release(&reader->queue, chunk);
	}
	if (reader->source_result != REPRO_OK) {
		*err = reader->source_error;
		return reader->source_result;
	}
	return REPRO_OK;
}

static int run_reader(layer_reader *reader, repro_error *err)
{
	pthread_t thread;
	int result;

	if ((result = repro_chunk_queue_init(&reader->queue, CHUNK_SIZE, CHUNK_COUNT, err)) != REPRO_OK)
		return result;
	if (pthread_create(&thread, NULL, decode_thread, reader) != 0) {
		repro_chunk_queue_dispose(&reader->queue);
		return repro_error_set(err, REPRO_EIO, "starting the decoding thread failed");
	}

	result = read_tar(reader, err);
	if (result == REPRO_OK)
		result = drain(reader, err);
	if (result != REPRO_OK) {
		if (reader->current != NULL)
			repro_chunk_queue_release(&reader->queue, reader->current);
		reader->current = NULL;
		/* A decoding thread waiting for a free chunk sees the cancel and ends. */
		repro_chunk_queue_cancel(&reader->queue);
	}
	pthread_join(thread, NULL);
	repro_chunk_queue_dispose(&reader->queue);
	return result;
}

static int finish_info(layer_reader *reader, repro_layer_info *out, repro_error *err)
{
	int result;

	if (!reader->options.skip_digests) {
		result = repro_hasher_finish(&reader->blob_hasher, &out->blob_digest, err);
		if (result == REPRO_OK)
			result = repro_hasher_finish(&reader->diff_hasher, &out->diff_id, err);
		if (result != REPRO_OK)
			return result;
		out->has_digests = 1;
	}
	out->blob_size = reader->blob_size;
	out->uncompressed_size = reader->uncompressed_size;
	out->compression = reader->compression;
	out->declared_compression = reader->options.compression;
	out->compression_mismatch = reader->compression_mismatch;
	out->gzip = reader->gzip;
	out->entry_count = reader->entry_count;
	/* NOTE: entries are kept until here even without want_entries, because
	 * duplicate detection needs their clean paths. */
	if (reader->options.want_entries) {
		out->entries = reader->entries;
		reader->entries = NULL;
	}
	out->findings = reader->findings;
	out->finding_count = reader->finding_count;
	reader->findings = NULL;
	reader->finding_count = 0;
	return REPRO_OK;
}

int repro_layer_read(repro_stream *blob, const repro_layer_read_options *options,
                     repro_layer_info *out, repro_error *err)
{
	layer_reader reader;
	int result;

	memset(out, 0, sizeof(*out));
	memset(&reader, 0, sizeof(reader));
	reader.blob = blob;
	if (options != NULL)
		reader.options = *options;
	else
		repro_layer_read_options_init(&reader.options);
	if ((result = repro_hasher_init(&reader.blob_hasher, reader.options.algorithm, err)) != REPRO_OK)
		goto cleanup;
	if ((result = repro_hasher_init(&reader.diff_hasher, reader.options.algorithm, err)) != REPRO_OK)
		goto cleanup;

	if ((result = run_reader(&reader, err)) != REPRO_OK)
		goto cleanup;
	result = finish_info(&reader, out, err);

cleanup:
	repro_hasher_dispose(&reader.blob_hasher);
	repro_hasher_dispose(&reader.diff_hasher);
	repro_decoder_free(reader.decoder);
	repro_layer_reader_dispose_entries(&reader);
	return result;
}

#include "source_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int open_raw(repro_source *source, const repro_descriptor *descriptor,
                    repro_stream **out, repro_error *err)
{
	for (size_t i = 0; i < source->memory_count; i++) {
		if (repro_digest_equal(&source->memory[i].digest, &descriptor->digest))
			return repro_stream_open_memory(out, source->memory[i].bytes, source->memory[i].size,
			                                err);
	}
	return source->ops->open_raw(source, descriptor, out, err);
}

/* A stream that checks the byte count of a blob against its descriptor. */
typedef struct counted_stream {
	repro_stream base;
	repro_stream *inner;
	int64_t expected;
	int64_t seen;
	char name[REPRO_DIGEST_STRING_MAX + 8];
	char *spec;
} counted_stream;

static ssize_t counted_read(repro_stream *stream, void *buffer, size_t size, repro_error *err)
{
	counted_stream *self = (counted_stream *)stream;
	ssize_t got;

	/* Ask for one byte past the end, so that a longer blob is noticed. */
	if ((int64_t)size > self->expected - self->seen + 1)
		size = (size_t)(self->expected - self->seen + 1);
	got = repro_stream_read(self->inner, buffer, size, err);
	if (got < 0)
		return repro_error_prefix(err, "reading %s from '%s'", self->name, self->spec);
	self->seen += got;
	if (self->seen > self->expected)
		return repro_error_set(err, REPRO_EMISMATCH,
			"%s in '%s' is larger than its descriptor's size of %" PRId64 " bytes", self->name,
			self->spec, self->expected);
	if (got == 0 && self->seen < self->expected)
		return repro_error_set(err, REPRO_EMISMATCH,
			"%s in '%s' ends after %" PRId64 " bytes, but its descriptor's size is %" PRId64,
			self->name, self->spec, self->seen, self->expected);
	return got;
}

static void counted_close(repro_stream *stream)
{
	counted_stream *self = (counted_stream *)stream;

	repro_stream_close(self->inner);
	free(self->spec);
	free(self);
}

static const repro_stream_ops counted_stream_ops = {counted_read, counted_close};

int repro_source_open_blob(repro_source *source, const repro_descriptor *descriptor,
                           repro_stream **out, repro_error *err)
{
	counted_stream *self;
	char digest[REPRO_DIGEST_STRING_MAX];
	int result;

	*out = NULL;
	self = calloc(1, sizeof(*self));
	if (self == NULL || (self->spec = strdup(source->spec)) == NULL) {
		free(self);
		return repro_error_set(err, REPRO_ENOMEM, "opening a blob failed");
	}
	repro_digest_format(&descriptor->digest, digest);
	snprintf(self->name, sizeof(self->name), "blob %s", digest);
	self->base.ops = &counted_stream_ops;
	self->expected = descriptor->size;
	result = open_raw(source, descriptor, &self->inner, err);
	if (result != REPRO_OK) {
		if (result == REPRO_ENOTFOUND)
			repro_error_set(err, REPRO_ENOTFOUND, "blob %s not found in '%s'", digest,
			                source->spec);
		counted_close(&self->base);
		return result;
	}
	*out = &self->base;
	return REPRO_OK;
}

static int read_counted(repro_stream *stream, unsigned char *buffer, size_t size,
                        repro_error *err)
{
	size_t used = 0;

	/* The counted stream fails on a short or long blob; one more read sees the end. */
	for (;;) {
		unsigned char extra;
		ssize_t got = used < size ? repro_stream_read(stream, buffer + used, size - used, err)
		                          : repro_stream_read(stream, &extra, 1, err);

		if (got < 0)
			return (int)got;
		if (got == 0)
			return REPRO_OK;
		used += (size_t)got;
	}
}

int repro_source_read_blob(repro_source *source, const repro_descriptor *descriptor,
                           size_t max_bytes, unsigned char **out, size_t *size,
                           repro_error *err)
{
	char expected[REPRO_DIGEST_STRING_MAX], actual[REPRO_DIGEST_STRING_MAX];
	unsigned char *buffer = NULL;
	repro_stream *stream = NULL;
	repro_digest digest;
	int result;

	*out = NULL;
	*size = 0;
	repro_digest_format(&descriptor->digest, expected);
	if (descriptor->size < 0 || (uint64_t)descriptor->size > max_bytes)
		return repro_error_set(err, REPRO_ELIMIT,
			"blob %s in '%s' is %" PRId64 " bytes, more than the limit of %zu", expected,
			source->spec, descriptor->size, max_bytes);
	buffer = malloc((size_t)descriptor->size + 1);
	if (buffer == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating %" PRId64 " bytes failed",
		                       descriptor->size);
	if ((result = repro_source_open_blob(source, descriptor, &stream, err)) != REPRO_OK ||
	    (result = read_counted(stream, buffer, (size_t)descriptor->size, err)) != REPRO_OK ||
	    (result = repro_digest_buffer(&digest, descriptor->digest.algorithm, buffer,
	                                  (size_t)descriptor->size, err)) != REPRO_OK)
		goto cleanup;
	if (!repro_digest_equal(&digest, &descriptor->digest)) {
		repro_digest_format(&digest, actual);
		result = repro_error_set(err, REPRO_EMISMATCH,
			"blob %s in '%s' has the wrong content: its digest is %s", expected, source->spec,
			actual);
		goto cleanup;
	}
	buffer[descriptor->size] = '\0';
	*out = buffer;
	*size = (size_t)descriptor->size;
	buffer = NULL;

cleanup:
	repro_stream_close(stream);
	free(buffer);
	return result;
}

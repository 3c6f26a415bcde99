/*
 * The second pass over layers that hold small differing files: the first
 * pass keeps only digests, so the few layers concerned are streamed again
 * and only the requested files, each at most REPRO_DIFF_TEXT_MAX_BYTES, are
 * kept. That bounds memory at 2 * REPRO_DIFF_TEXT_MAX_FILES files instead
 * of holding contents during the first pass, whose memory must not grow
 * with the layer's bytes.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "diff_internal.h"

/* Longest part of a line quoted in a hint. */
#define QUOTE_MAX 60

typedef struct text_buffer {
	unsigned char *data;
	size_t size;
	bool present;
} text_buffer;

typedef struct stream_reader {
	repro_stream *stream;
	unsigned char buffer[64 * 1024];
	repro_error error;
	int failed;
} stream_reader;

static la_ssize_t read_callback(struct archive *archive, void *data, const void **out)
{
	stream_reader *reader = data;
	ssize_t count = repro_stream_read(reader->stream, reader->buffer, sizeof(reader->buffer),
	                                  &reader->error);

	(void)archive;
	if (count < 0) {
		reader->failed = (int)count;
		return -1;
	}
	*out = reader->buffer;
	return count;
}

static int read_entry(struct archive *archive, struct archive_entry *header, text_buffer *out,
                      repro_error *err)
{
	int64_t size = archive_entry_size(header);
	la_ssize_t count;

	if (size < 0 || (uint64_t)size > REPRO_DIFF_TEXT_MAX_BYTES)
		return REPRO_OK;
	free(out->data);
	out->data = malloc((size_t)size + 1);
	out->present = false;
	if (out->data == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	count = archive_read_data(archive, out->data, (size_t)size);
	if (count < 0)
		return repro_error_set(err, REPRO_EFORMAT, "%s", archive_error_string(archive));
	out->size = (size_t)count;
	out->present = true;
	return REPRO_OK;
}

static int copy_text(const text_buffer *source, text_buffer *out, repro_error *err)
{
	if (!source->present)
		return REPRO_OK;
	free(out->data);
	out->data = malloc(source->size + 1);
	out->present = false;
	if (out->data == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	memcpy(out->data, source->data, source->size);
	out->size = source->size;
	out->present = source->present;
	return REPRO_OK;
}

/* Streams layer @p layer of side @p side and keeps the requested files. */
static int read_layer_texts(diff_context *context, int side, size_t layer,
                            text_buffer (*texts)[2], repro_error *err)
{
	const repro_descriptor *descriptor = &context->side[side]->image->manifest->layers[layer];
	stream_reader *reader = calloc(1, sizeof(*reader));
	struct archive *archive = archive_read_new();
	struct archive_entry *header;
	int result;

	if (reader == NULL || archive == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "out of memory");
		goto cleanup;
	}
	result = repro_source_open_blob(context->side[side]->source, descriptor, &reader->stream, err);
	if (result != REPRO_OK)
		goto cleanup;
	archive_read_support_filter_gzip(archive);
	archive_read_support_filter_zstd(archive);
	archive_read_support_format_tar(archive);
	if (archive_read_open(archive, reader, NULL, read_callback, NULL) != ARCHIVE_OK)
		goto failed;
	for (;;) {
		int code = archive_read_next_header(archive, &header);
		char *path;

		if (code == ARCHIVE_EOF)
			break;
		if (code < ARCHIVE_WARN)
			goto failed;
		if (archive_entry_filetype(header) != AE_IFREG || archive_entry_hardlink(header) != NULL)
			continue;
		if ((path = diff_clean_path(archive_entry_pathname(header))) == NULL) {
			result = repro_error_set(err, REPRO_ENOMEM, "out of memory");
			goto cleanup;
		}
		for (size_t i = 0, first = SIZE_MAX; i < context->request_count && result == REPRO_OK;
		     i++) {
			const diff_text_request *request = &context->requests[i];

			if (request->layer[side] != layer || strcmp(request->path, path) != 0)
				continue;
			/* The entry's data can be read once, so later requests for it get a copy. */
			if (first == SIZE_MAX) {
				result = read_entry(archive, header, &texts[i][side], err);
				first = i;
			} else {
				result = copy_text(&texts[first][side], &texts[i][side], err);
			}
		}
		free(path);
		if (result != REPRO_OK)
			goto cleanup;
	}
	goto cleanup;

failed:
	if (reader->failed)
		result = repro_error_set(err, reader->failed, "%s", reader->error.message);
	else
		result = repro_error_set(err, REPRO_EFORMAT, "%s", archive_error_string(archive));

cleanup:
	if (result != REPRO_OK)
		repro_error_prefix(err, "reading layer %zu of image %c again", layer, 'A' + side);
	if (archive != NULL)
		archive_read_free(archive);
	if (reader != NULL)
		repro_stream_close(reader->stream);
	free(reader);
	return result;
}

/* Returns the line that starts at @p offset and sets its length, or NULL past the end. */
static const char *nth_line(const text_buffer *text, size_t offset, size_t *length)
{
	const unsigned char *end;

	if (offset >= text->size)
		return NULL;
	end = memchr(text->data + offset, '\n', text->size - offset);
	*length = end ? (size_t)(end - (text->data + offset)) : text->size - offset;
	return (const char *)text->data + offset;
}

static bool is_separator(char c)
{
	return isspace((unsigned char)c) || strchr("=:,;\"'()[]{}<>", c) != NULL;
}

static bool is_stamp_char(char c)
{
	return isdigit((unsigned char)c) || (c != '\0' && strchr("-:.TZ+", c) != NULL);
}

/* True when the run of date and time characters around @p at, such as
 * "2024-12-01T10:00:00.5Z" or "10:00:00", has at least 6 digits and a '-' or
 * ':'. Separators such as ':' end a token below, so a difference in the
 * minutes of a time stamp would otherwise leave only "15" to look at. */
static bool in_time_stamp(const char *line, size_t length, size_t at)
{
	size_t start = at, end = at, digits = 0;
	bool joined = false;

	while (start > 0 && is_stamp_char(line[start - 1]))
		start--;
	while (end < length && is_stamp_char(line[end]))
		end++;
	for (size_t i = start; i < end; i++) {
		digits += isdigit((unsigned char)line[i]) != 0;
		joined = joined || line[i] == '-' || line[i] == ':';
	}
	return digits >= 6 && joined;
}

/* Names the cause when the first differing token looks like a path or a time stamp. */
static const char *classify_token(const char *line, size_t length, size_t at)
{
	size_t start = at, end = at, digits = 0;
	bool slash = false, stamp = true;

	if (at < length && in_time_stamp(line, length, at))
		return ": a time stamp is embedded in the file";

	while (start > 0 && !is_separator(line[start - 1]))
		start--;
	while (end < length && !is_separator(line[end]))
		end++;
	for (size_t i = start; i < end; i++) {
		slash = slash || line[i] == '/';
		digits += isdigit((unsigned char)line[i]) != 0;
		stamp = stamp && (isdigit((unsigned char)line[i]) || strchr("-.TZ+", line[i]) != NULL);
	}
	if (slash)
		return ": a build path is embedded in the file";
	if (stamp && digits >= 8)
		return ": a time stamp is embedded in the file";
	return "";
}

static void quote(char *out, size_t size, const char *line, size_t length)
{
	if (line == NULL) {
		snprintf(out, size, "end of file");
		return;
	}
	snprintf(out, size, "\"%.*s%s\"", (int)(length > QUOTE_MAX ? QUOTE_MAX : length), line,
	         length > QUOTE_MAX ? "..." : "");
}

/* Writes a hint naming the first differing line; false for binary files. */
static bool explain(const text_buffer *a, const text_buffer *b, char *hint, size_t size)
{
	size_t offset_a = 0, offset_b = 0, number = 1;
	char quote_a[QUOTE_MAX + 8], quote_b[QUOTE_MAX + 8];

	if (memchr(a->data, '\0', a->size) != NULL || memchr(b->data, '\0', b->size) != NULL)
		return false;
	for (;; number++) {
		size_t length_a = 0, length_b = 0, at = 0;
		const char *line_a = nth_line(a, offset_a, &length_a);
		const char *line_b = nth_line(b, offset_b, &length_b);

		if (line_a == NULL && line_b == NULL)
			return false;
		if (line_a != NULL && line_b != NULL && length_a == length_b &&
		    memcmp(line_a, line_b, length_a) == 0) {
			offset_a += length_a + 1;
			offset_b += length_b + 1;
			continue;
		}
		quote(quote_a, sizeof(quote_a), line_a, length_a);
		quote(quote_b, sizeof(quote_b), line_b, length_b);
		if (line_a == NULL || line_b == NULL) {
			snprintf(hint, size, "line %zu differs (%s and %s): one file has more lines",
			         number, quote_a, quote_b);
			return true;
		}
		while (at < length_a && at < length_b && line_a[at] == line_b[at])
			at++;
		snprintf(hint, size, "line %zu differs (%s and %s)%s", number, quote_a, quote_b,
		         classify_token(at < length_a ? line_a : line_b,
		                        at < length_a ? length_a : length_b, at));
		return true;
	}
}

int diff_explain_texts(diff_context *context, repro_error *err)
{
	text_buffer (*texts)[2];
	int result = REPRO_OK;

	if (context->request_count == 0)
		return REPRO_OK;
	texts = calloc(context->request_count, sizeof(*texts));
	if (texts == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	for (int side = 0; side < 2 && result == REPRO_OK; side++) {
		for (size_t i = 0; i < context->request_count && result == REPRO_OK; i++) {
			bool done = false;

			/* Each layer is read once, for its first request. */
			for (size_t k = 0; k < i; k++)
				done = done || context->requests[k].layer[side] == context->requests[i].layer[side];
			if (!done)
				result = read_layer_texts(context, side, context->requests[i].layer[side], texts,
				                          err);
		}
	}
	for (size_t i = 0; i < context->request_count && result == REPRO_OK; i++) {
		char hint[512];

		if (texts[i][0].present && texts[i][1].present && explain(&texts[i][0], &texts[i][1],
		                                                        hint, sizeof(hint)))
			result = diff_set_hint(context, context->requests[i].item, hint, err);
	}
	for (size_t i = 0; i < context->request_count; i++) {
		free(texts[i][0].data);
		free(texts[i][1].data);
	}
	free(texts);
	return result;
}

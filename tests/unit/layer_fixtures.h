/*
 * Builders for layer tests: tar archives made with libarchive's writer from
 * a table of entries, and gzip streams made with zlib, all in memory.
 */
#ifndef REPROCHECK_TEST_LAYER_FIXTURES_H
#define REPROCHECK_TEST_LAYER_FIXTURES_H

#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <reprocheck/layer.h>

#include "harness.h"

typedef struct fixture_entry {
	const char *path;
	unsigned int type;        /* AE_IFREG, AE_IFDIR, AE_IFLNK; 0 with hardlink set */
	const char *content;      /* regular files */
	const char *link;         /* symlink target */
	const char *hardlink;     /* hard link target */
	long mtime_nsec;          /* nonzero forces a pax record */
	int with_atime;
	const char *xattr_name;   /* one xattr, value "v" */
} fixture_entry;

typedef struct fixture_buffer {
	unsigned char *data;
	size_t size;
} fixture_buffer;

/* Writes a tar of @p entries in @p format (ARCHIVE_FORMAT_TAR_*) into a new buffer. */
static inline fixture_buffer fixture_tar(const fixture_entry *entries, size_t count, int format)
{
	fixture_buffer out = {NULL, 0};
	size_t capacity = (size_t)1 << 20, used = 0;
	struct archive *archive = archive_write_new();

	for (size_t i = 0; i < count; i++)
		capacity += entries[i].content ? strlen(entries[i].content) + 1024 : 1024;
	out.data = calloc(1, capacity);
	archive_write_set_format(archive, format);
	archive_write_set_bytes_per_block(archive, 0);
	archive_write_open_memory(archive, out.data, capacity, &used);
	for (size_t i = 0; i < count; i++) {
		struct archive_entry *entry = archive_entry_new();
		const fixture_entry *spec = &entries[i];
		size_t size = spec->content ? strlen(spec->content) : 0;

		archive_entry_set_pathname(entry, spec->path);
		archive_entry_set_mtime(entry, 1700000000, spec->mtime_nsec);
		if (spec->with_atime)
			archive_entry_set_atime(entry, 1700000001, 5);
		archive_entry_set_uid(entry, 1000);
		archive_entry_set_gid(entry, 100);
		archive_entry_set_uname(entry, "user");
		archive_entry_set_gname(entry, "users");
		if (spec->hardlink != NULL) {
			archive_entry_set_filetype(entry, AE_IFREG);
			archive_entry_set_hardlink(entry, spec->hardlink);
		} else {
			archive_entry_set_filetype(entry, spec->type);
		}
		archive_entry_set_perm(entry, spec->type == AE_IFDIR ? 0755 : 0644);
		if (spec->link != NULL)
			archive_entry_set_symlink(entry, spec->link);
		if (spec->xattr_name != NULL)
			archive_entry_xattr_add_entry(entry, spec->xattr_name, "v", 1);
		if (spec->type == AE_IFREG && spec->hardlink == NULL)
			archive_entry_set_size(entry, (la_int64_t)size);
		archive_write_header(archive, entry);
		if (size > 0)
			archive_write_data(archive, spec->content, size);
		archive_entry_free(entry);
	}
	archive_write_close(archive);
	archive_write_free(archive);
	out.size = used;
	return out;
}

/* Compresses @p size bytes into one gzip member with zlib at @p level. */
static inline fixture_buffer fixture_gzip(const void *data, size_t size, int level)
{
	fixture_buffer out = {NULL, 0};
	z_stream zlib;

	memset(&zlib, 0, sizeof(zlib));
	deflateInit2(&zlib, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	out.size = deflateBound(&zlib, (uLong)size) + 64;
	out.data = malloc(out.size);
	zlib.next_in = (Bytef *)(uintptr_t)data;
	zlib.avail_in = (uInt)size;
	zlib.next_out = out.data;
	zlib.avail_out = (uInt)out.size;
	deflate(&zlib, Z_FINISH);
	out.size = zlib.total_out;
	deflateEnd(&zlib);
	return out;
}

/* Appends @p size bytes of @p data to @p buffer. */
static inline void fixture_append(fixture_buffer *buffer, const void *data, size_t size)
{
	buffer->data = realloc(buffer->data, buffer->size + size);
	memcpy(buffer->data + buffer->size, data, size);
	buffer->size += size;
}

/* Reads @p size bytes of memory as a layer into @p info. */
static inline int fixture_read(const void *data, size_t size,
                               const repro_layer_read_options *options, repro_layer_info *info,
                               repro_error *err)
{
	repro_stream *stream;
	int result = repro_stream_open_memory(&stream, data, size, err);

	if (result != REPRO_OK)
		return result;
	result = repro_layer_read(stream, options, info, err);
	repro_stream_close(stream);
	return result;
}

/* Reads the file at @p path as a layer into @p info, with the default options. */
static inline int fixture_read_file(const char *path, repro_layer_info *info, repro_error *err)
{
	repro_stream *stream;
	int result = repro_stream_open_file(&stream, path, err);

	if (result != REPRO_OK)
		return result;
	result = repro_layer_read(stream, NULL, info, err);
	repro_stream_close(stream);
	return result;
}

/* Formats @p digest into a static buffer, for ASSERT_STR_EQ. */
static inline const char *fixture_digest_text(const repro_digest *digest)
{
	static char text[4][REPRO_DIGEST_STRING_MAX];
	static int next;

	next = (next + 1) % 4;
	repro_digest_format(digest, text[next]);
	return text[next];
}

/* Returns the sha256 of @p size bytes as text. */
static inline const char *fixture_sha256(const void *data, size_t size)
{
	repro_digest digest;
	repro_error err;

	repro_digest_buffer(&digest, REPRO_DIGEST_SHA256, data, size, &err);
	return fixture_digest_text(&digest);
}

#endif

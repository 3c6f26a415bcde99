#include <reprocheck/layout.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <reprocheck/json.h>

#include "fileutil_internal.h"

#define BLOCK_SIZE ((size_t)256 << 10)
#define MAX_MANIFESTS 4096

struct repro_layout_writer {
	char *target;
	char *temp;        /* the layout being assembled, beside the target */
	int replace;
	int committed;
	json_t *manifests; /* index.json descriptors, in call order */
};

static char *format_path(const char *format, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

static char *format_path(const char *format, ...)
{
	va_list args;
	char *path = NULL;

	va_start(args, format);
	if (vasprintf(&path, format, args) < 0)
		path = NULL;
	va_end(args);
	return path;
}

/* Returns 1 when @p path is a directory with entries, 0 when empty or missing, or an error. */
static int check_target(const char *path, int replace, repro_error *err)
{
	struct stat info;
	DIR *directory;
	struct dirent *entry;
	int empty = 1;

	if (lstat(path, &info) != 0) {
		if (errno == ENOENT)
			return REPRO_OK;
		return repro_error_set_errno(err, REPRO_EIO, errno, "reading '%s' failed", path);
	}
	if (!S_ISDIR(info.st_mode))
		return repro_error_set(err, REPRO_EUSAGE, "'%s' exists and is not a directory; "
		                       "remove it or choose another output", path);
	if ((directory = opendir(path)) == NULL)
		return repro_error_set_errno(err, REPRO_EIO, errno, "opening '%s' failed", path);
	while ((entry = readdir(directory)) != NULL) {
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	}
	closedir(directory);
	if (!empty && !replace)
		return repro_error_set(err, REPRO_EUSAGE, "output directory '%s' is not empty; remove "
		                       "it or allow replacing it", path);
	return REPRO_OK;
}

int repro_layout_writer_new(repro_layout_writer **out, const char *target,
                            const repro_layout_options *options, repro_error *err)
{
	repro_layout_writer *writer = calloc(1, sizeof(*writer));
	char *slash, *blobs;
	int result;

	*out = NULL;
	if (writer == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating a layout writer failed");
	writer->replace = options != NULL && options->replace;
	if ((result = check_target(target, writer->replace, err)) != REPRO_OK)
		goto fail;
	writer->target = strdup(target);
	writer->manifests = json_array();
	slash = strrchr(target, '/');
	/* A dot name in the same directory, so the final rename never crosses file systems. */
	if (slash != NULL)
		writer->temp = format_path("%.*s/.%s.tmp-XXXXXX", (int)(slash - target), target, slash + 1);
	else
		writer->temp = format_path(".%s.tmp-XXXXXX", target);
	if (writer->target == NULL || writer->manifests == NULL || writer->temp == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "allocating a layout writer failed");
		goto fail;
	}
	if (mkdtemp(writer->temp) == NULL) {
		result = repro_error_set_errno(err, REPRO_EIO, errno, "creating a temporary directory "
		                               "beside '%s' failed", target);
		free(writer->temp);
		writer->temp = NULL;
		goto fail;
	}
	chmod(writer->temp, 0755);
	blobs = format_path("%s/blobs", writer->temp);
	result = blobs ? repro_mkdir_parents(blobs, err)
	               : repro_error_set(err, REPRO_ENOMEM, "naming the blobs directory failed");
	free(blobs);
	if (result != REPRO_OK)
		goto fail;
	*out = writer;
	return REPRO_OK;

fail:
	repro_layout_writer_free(writer);
	return result;
}

void repro_layout_writer_free(repro_layout_writer *writer)
{
	if (writer == NULL)
		return;
	if (writer->temp != NULL && !writer->committed)
		repro_remove_tree(writer->temp, NULL);
	free(writer->target);
	free(writer->temp);
	json_decref(writer->manifests);
	free(writer);
}

/* Copies the stream into the open temporary file, hashing and bounding it. */
static int copy_blob(int fd, repro_stream *blob, repro_hasher *hasher, int64_t expected_size,
                     uint64_t max_size, repro_error *err)
{
	unsigned char *block = malloc(BLOCK_SIZE);
	int result = REPRO_OK;

	if (block == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating a copy buffer failed");
	for (;;) {
		ssize_t got = repro_stream_read(blob, block, BLOCK_SIZE, err);

		if (got < 0) {
			result = (int)got;
			break;
		}
		if (got == 0)
			break;
		if ((result = repro_hasher_update(hasher, block, (size_t)got, err)) != REPRO_OK)
			break;
		if (expected_size >= 0 && hasher->bytes > (unsigned long long)expected_size) {
			result = repro_error_set(err, REPRO_EMISMATCH, "blob is larger than its expected "
			                         "size of %lld bytes", (long long)expected_size);
			break;
		}
		if (max_size > 0 && hasher->bytes > max_size) {
			result = repro_error_set(err, REPRO_ELIMIT, "blob is larger than the limit of "
			                         "%llu bytes", (unsigned long long)max_size);
			break;
		}
		for (ssize_t done = 0; done < got;) {
			ssize_t written = write(fd, block + done, (size_t)(got - done));

			if (written < 0 && errno == EINTR)
				continue;
			if (written < 0) {
				free(block);
				return repro_error_set_errno(err, REPRO_EIO, errno, "writing a blob failed");
			}
			done += written;
		}
	}
	free(block);
	if (result == REPRO_OK && expected_size >= 0 && hasher->bytes != (unsigned long long)expected_size)
		result = repro_error_set(err, REPRO_EMISMATCH, "blob has %llu bytes, expected %lld",
		                         hasher->bytes, (long long)expected_size);
	return result;
}

/* Checks @p actual against @p expected and moves the temporary file to its digest name. */
static int store_blob(repro_layout_writer *writer, const char *temp_path, const repro_digest *actual,
                      const repro_digest *expected, repro_error *err)
{
	char text[REPRO_DIGEST_STRING_MAX], wanted[REPRO_DIGEST_STRING_MAX];
	char *final_path;
	int result = REPRO_OK;

	repro_digest_format(actual, text);
	if (expected != NULL && !repro_digest_equal(actual, expected)) {
		repro_digest_format(expected, wanted);
		return repro_error_set(err, REPRO_EMISMATCH, "blob digest is %s, expected %s", text,
		                       wanted);
	}
	/* "sha256:hex" becomes "blobs/sha256/hex". */
	final_path = format_path("%s/blobs/%.6s/%s", writer->temp, text, text + 7);
	if (final_path == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "naming blob %s failed", text);
	if (rename(temp_path, final_path) != 0)
		result = repro_error_set_errno(err, REPRO_EIO, errno, "storing blob %s failed", text);
	free(final_path);
	return result;
}

int repro_layout_add_blob_stream(repro_layout_writer *writer, repro_stream *blob,
                                 const repro_digest *expected, int64_t expected_size,
                                 uint64_t max_size, repro_digest *out, repro_error *err)
{
	repro_digest_algorithm algorithm = expected ? expected->algorithm : REPRO_DIGEST_SHA256;
	repro_hasher hasher = {0};
	repro_digest actual;
	char *directory = format_path("%s/blobs/%s", writer->temp,
	                              repro_digest_algorithm_name(algorithm));
	char *temp_path = directory ? format_path("%s/.blob-XXXXXX", directory) : NULL;
	int fd = -1, result;

	if (temp_path == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "naming a blob failed");
		goto cleanup;
	}
	if ((result = repro_mkdir_parents(directory, err)) != REPRO_OK)
		goto cleanup;
	if ((fd = mkstemp(temp_path)) < 0) {
		result = repro_error_set_errno(err, REPRO_EIO, errno, "creating '%s' failed", temp_path);
		goto cleanup;
	}
	fchmod(fd, 0644);
	if ((result = repro_hasher_init(&hasher, algorithm, err)) != REPRO_OK ||
	    (result = copy_blob(fd, blob, &hasher, expected_size, max_size, err)) != REPRO_OK ||
	    (result = repro_hasher_finish(&hasher, &actual, err)) != REPRO_OK)
		goto cleanup;
	if (fsync(fd) != 0) {
		result = repro_error_set_errno(err, REPRO_EIO, errno, "flushing '%s' failed", temp_path);
		goto cleanup;
	}
	if ((result = store_blob(writer, temp_path, &actual, expected, err)) == REPRO_OK && out)
		*out = actual;

cleanup:
	if (fd >= 0)
		close(fd);
	if (temp_path != NULL && result != REPRO_OK)
		unlink(temp_path);
	repro_hasher_dispose(&hasher);
	free(temp_path);
	free(directory);
	return result;
}

int repro_layout_add_blob_bytes(repro_layout_writer *writer, const void *data, size_t size,
                                repro_digest *out, repro_error *err)
{
	repro_stream *stream;
	int result = repro_stream_open_memory(&stream, data, size, err);

	if (result != REPRO_OK)
		return result;
	result = repro_layout_add_blob_stream(writer, stream, NULL, (int64_t)size, 0, out, err);
	repro_stream_close(stream);
	return result;
}

int repro_layout_add_blob_fd(repro_layout_writer *writer, int fd, const repro_digest *expected,
                             int64_t expected_size, repro_error *err)
{
	repro_stream *stream;
	int result = repro_stream_open_fd_range(&stream, fd, 0, -1, 0, "layer file", err);

	if (result != REPRO_OK)
		return result;
	result = repro_layout_add_blob_stream(writer, stream, expected, expected_size, 0, NULL, err);
	repro_stream_close(stream);
	return result;
}

static int set_string(json_t *object, const char *key, const char *value)
{
	return json_object_set_new(object, key, json_string(value));
}

int repro_layout_add_manifest(repro_layout_writer *writer, const repro_layout_manifest *manifest,
                              repro_error *err)
{
	char digest[REPRO_DIGEST_STRING_MAX];
	json_t *descriptor = json_object();
	int failed = descriptor == NULL;

	if (json_array_size(writer->manifests) >= MAX_MANIFESTS) {
		json_decref(descriptor);
		return repro_error_set(err, REPRO_ELIMIT, "a layout lists at most %d manifests",
		                       MAX_MANIFESTS);
	}
	if (manifest->media_type == NULL || manifest->size > (uint64_t)INT64_MAX) {
		json_decref(descriptor);
		return repro_error_set(err, REPRO_EUSAGE, "a manifest needs a media type and a size");
	}
	repro_digest_format(&manifest->digest, digest);
	/* Keys in the order of the OCI descriptor: mediaType, digest, size, then the rest. */
	failed = failed || set_string(descriptor, "mediaType", manifest->media_type) != 0;
	failed = failed || set_string(descriptor, "digest", digest) != 0;
	failed = failed || json_object_set_new(descriptor, "size",
	                                       json_integer((json_int_t)manifest->size)) != 0;
	if (!failed && manifest->os != NULL && manifest->architecture != NULL) {
		json_t *platform = json_object();

		failed = platform == NULL || json_object_set_new(descriptor, "platform", platform) != 0;
		failed = failed || set_string(platform, "architecture", manifest->architecture) != 0;
		failed = failed || set_string(platform, "os", manifest->os) != 0;
		if (!failed && manifest->variant != NULL)
			failed = set_string(platform, "variant", manifest->variant) != 0;
	}
	if (!failed && manifest->ref_name != NULL) {
		json_t *annotations = json_object();

		failed = annotations == NULL ||
		         json_object_set_new(descriptor, "annotations", annotations) != 0;
		failed = failed ||
		         set_string(annotations, "org.opencontainers.image.ref.name", manifest->ref_name) != 0;
	}
	if (failed || json_array_append_new(writer->manifests, descriptor) != 0) {
		if (failed)
			json_decref(descriptor);
		return repro_error_set(err, REPRO_ENOMEM, "adding manifest %s failed", digest);
	}
	return REPRO_OK;
}

/* Checks that every listed manifest blob was stored. */
static int check_manifests(repro_layout_writer *writer, repro_error *err)
{
	size_t index;
	json_t *descriptor;

	json_array_foreach(writer->manifests, index, descriptor) {
		const char *digest = json_string_value(json_object_get(descriptor, "digest"));
		char *path = format_path("%s/blobs/%.6s/%s", writer->temp, digest, digest + 7);
		struct stat info;
		int missing;

		if (path == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "checking manifest %s failed", digest);
		missing = stat(path, &info) != 0;
		free(path);
		if (missing)
			return repro_error_set(err, REPRO_EINVALID, "index.json lists manifest %s, but "
			                       "its blob was not added", digest);
	}
	return REPRO_OK;
}

static int write_metadata(repro_layout_writer *writer, repro_error *err)
{
	static const char oci_layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	json_t *index = json_object();
	char *bytes = NULL, *layout_path = NULL, *index_path = NULL;
	size_t size = 0;
	int result;

	layout_path = format_path("%s/oci-layout", writer->temp);
	index_path = format_path("%s/index.json", writer->temp);
	if (index == NULL || layout_path == NULL || index_path == NULL ||
	    json_object_set_new(index, "schemaVersion", json_integer(2)) != 0 ||
	    set_string(index, "mediaType", "application/vnd.oci.image.index.v1+json") != 0 ||
	    json_object_set(index, "manifests", writer->manifests) != 0) {
		result = repro_error_set(err, REPRO_ENOMEM, "building index.json failed");
		goto cleanup;
	}
	if ((result = repro_json_dump(index, &bytes, &size, err)) != REPRO_OK)
		goto cleanup;
	result = repro_file_write_atomic(layout_path, oci_layout, sizeof(oci_layout) - 1, 0644, err);
	if (result == REPRO_OK)
		result = repro_file_write_atomic(index_path, bytes, size, 0644, err);

cleanup:
	json_decref(index);
	free(bytes);
	free(layout_path);
	free(index_path);
	return result;
}

/*
 * Moves the finished layout to the target. When a non-empty target is
 * replaced, both names are swapped in one step, so the target is never
 * missing. Then *swapped is set, because the temporary name now contains
 * the old layout.
 */
static int move_into_place(repro_layout_writer *writer, int *swapped, repro_error *err)
{
	*swapped = 0;
	if (rename(writer->temp, writer->target) == 0)
		return REPRO_OK;
	if ((errno != ENOTEMPTY && errno != EEXIST) || !writer->replace)
		return repro_error_set_errno(err, REPRO_EIO, errno, "renaming the layout to '%s' failed",
		                             writer->target);
	if (renameat2(AT_FDCWD, writer->temp, AT_FDCWD, writer->target, RENAME_EXCHANGE) != 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "replacing '%s' failed",
		                             writer->target);
	*swapped = 1;
	return REPRO_OK;
}

int repro_layout_writer_commit(repro_layout_writer *writer, repro_error *err)
{
	int result, swapped;

	if (writer->committed || writer->temp == NULL)
		return repro_error_set(err, REPRO_EUSAGE, "the layout '%s' is already committed or "
		                       "failed", writer->target);
	if ((result = check_manifests(writer, err)) != REPRO_OK ||
	    (result = write_metadata(writer, err)) != REPRO_OK ||
	    (result = check_target(writer->target, writer->replace, err)) != REPRO_OK ||
	    (result = move_into_place(writer, &swapped, err)) != REPRO_OK) {
		repro_remove_tree(writer->temp, NULL);
		free(writer->temp);
		writer->temp = NULL;
		return repro_error_prefix(err, "writing layout '%s'", writer->target);
	}
	writer->committed = 1;
	if (swapped && (result = repro_remove_tree(writer->temp, err)) != REPRO_OK)
		return repro_error_prefix(err, "'%s' was replaced, but removing the old layout failed",
		                          writer->target);
	return REPRO_OK;
}

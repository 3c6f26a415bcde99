#include "source_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil_internal.h"

int repro_tree_open_directory(repro_tree *tree, const char *path, repro_error *err)
{
	memset(tree, 0, sizeof(*tree));
	tree->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tree->dirfd < 0)
		return repro_error_set_errno(err, errno == ENOENT ? REPRO_ENOTFOUND : REPRO_EIO, errno,
		                             "opening '%s' failed", path);
	tree->path = strdup(path);
	if (tree->path == NULL) {
		repro_tree_dispose(tree);
		return repro_error_set(err, REPRO_ENOMEM, "opening '%s' failed", path);
	}
	return REPRO_OK;
}

int repro_tree_open_archive(repro_tree *tree, const char *path, repro_error *err)
{
	int result;

	memset(tree, 0, sizeof(*tree));
	tree->dirfd = -1;
	result = repro_tar_index_open(&tree->tar, path, err);
	if (result == REPRO_OK && (tree->path = strdup(path)) == NULL)
		result = repro_error_set(err, REPRO_ENOMEM, "opening '%s' failed", path);
	if (result != REPRO_OK)
		repro_tree_dispose(tree);
	return result;
}

void repro_tree_dispose(repro_tree *tree)
{
	if (tree == NULL)
		return;
	if (tree->dirfd >= 0)
		close(tree->dirfd);
	repro_tar_index_free(tree->tar);
	free(tree->path);
	memset(tree, 0, sizeof(*tree));
	tree->dirfd = -1;
}

bool repro_tree_exists(const repro_tree *tree, const char *name)
{
	struct stat info;
	repro_error err;
	const repro_tar_entry *entry;

	if (!repro_path_is_safe(name))
		return false;
	if (tree->tar != NULL)
		return repro_tar_index_find(tree->tar, name, tree->follow_links, &entry, &err) == 0;
	return fstatat(tree->dirfd, name, &info, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Opens @p name below the directory without following a symlink in its last part. */
static int open_in_directory(const repro_tree *tree, const char *name, int *fd, int64_t *size,
                             repro_error *err)
{
	struct stat info;

	*fd = openat(tree->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (*fd < 0) {
		if (errno == ENOENT)
			return repro_error_set(err, REPRO_ENOTFOUND, "'%s' not found in '%s'", name,
			                       tree->path);
		return repro_error_set_errno(err, errno == ELOOP ? REPRO_EFORMAT : REPRO_EIO, errno,
		                             "opening '%s' in '%s' failed", name, tree->path);
	}
	if (fstat(*fd, &info) != 0 || !S_ISREG(info.st_mode)) {
		close(*fd);
		*fd = -1;
		return repro_error_set(err, REPRO_EFORMAT, "'%s' in '%s' is not a regular file", name,
		                       tree->path);
	}
	*size = (int64_t)info.st_size;
	return REPRO_OK;
}

int repro_tree_open_file(const repro_tree *tree, const char *name, repro_stream **out,
                         int64_t *size, repro_error *err)
{
	char label[4200];
	int fd;
	int result;

	*out = NULL;
	if (!repro_path_is_safe(name))
		return repro_error_set(err, REPRO_EUNSAFE, "'%s' in '%s' is not a safe relative path",
		                       name, tree->path);
	snprintf(label, sizeof(label), "%s/%s", tree->path, name);
	if (tree->tar != NULL) {
		const repro_tar_entry *entry;

		result = repro_tar_index_find(tree->tar, name, tree->follow_links, &entry, err);
		if (result != REPRO_OK)
			return result;
		*size = entry->size;
		return repro_stream_open_fd_range(out, tree->tar->fd, entry->offset, entry->size, 0,
		                                  label, err);
	}
	result = open_in_directory(tree, name, &fd, size, err);
	if (result != REPRO_OK)
		return result;
	return repro_stream_open_fd_range(out, fd, 0, -1, 1, label, err);
}

int repro_tree_read(const repro_tree *tree, const char *name, size_t max_bytes,
                    unsigned char **out, size_t *size, repro_error *err)
{
	repro_stream *stream;
	int64_t file_size;
	unsigned char *buffer = NULL;
	int result;

	*out = NULL;
	*size = 0;
	result = repro_tree_open_file(tree, name, &stream, &file_size, err);
	if (result != REPRO_OK)
		return result;
	if (file_size < 0 || (uint64_t)file_size > max_bytes) {
		result = repro_error_set(err, REPRO_ELIMIT,
			"'%s' in '%s' is %lld bytes, more than the limit of %zu", name, tree->path,
			(long long)file_size, max_bytes);
		goto cleanup;
	}
	buffer = malloc((size_t)file_size + 1);
	if (buffer == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "reading '%s' failed", name);
		goto cleanup;
	}
	result = repro_stream_read_exact(stream, buffer, (size_t)file_size, err);
	if (result != REPRO_OK)
		goto cleanup;
	buffer[file_size] = '\0';
	*out = buffer;
	*size = (size_t)file_size;
	buffer = NULL;

cleanup:
	free(buffer);
	repro_stream_close(stream);
	return result;
}

void repro_blob_path(const repro_digest *digest, char *out, size_t size)
{
	char text[REPRO_DIGEST_STRING_MAX];
	char *colon;

	repro_digest_format(digest, text);
	colon = strchr(text, ':');
	*colon = '\0';
	snprintf(out, size, "blobs/%s/%s", text, colon + 1);
}

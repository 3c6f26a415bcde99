#include "fileutil_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_fd(int fd, const char *path, size_t max_bytes, unsigned char **out, size_t *size,
                   repro_error *err)
{
	struct stat info;
	unsigned char *buffer = NULL;
	size_t capacity, used = 0;

	if (fstat(fd, &info) != 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "reading '%s' failed", path);
	if (!S_ISREG(info.st_mode))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' is not a regular file", path);
	if ((uintmax_t)info.st_size > max_bytes)
		return repro_error_set(err, REPRO_ELIMIT, "'%s' is %jd bytes, more than the limit of %zu",
		                       path, (intmax_t)info.st_size, max_bytes);

	/* The file can grow after fstat(), so the limit is checked while reading too. */
	capacity = (size_t)info.st_size + 1;
	buffer = malloc(capacity + 1);
	if (buffer == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating %zu bytes for '%s' failed",
		                       capacity + 1, path);
	for (;;) {
		ssize_t got = read(fd, buffer + used, capacity - used);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(buffer);
			return repro_error_set_errno(err, REPRO_EIO, errno, "reading '%s' failed", path);
		}
		if (got == 0)
			break;
		used += (size_t)got;
		if (used > max_bytes) {
			free(buffer);
			return repro_error_set(err, REPRO_ELIMIT, "'%s' is more than the limit of %zu bytes",
			                       path, max_bytes);
		}
		if (used == capacity) {
			size_t grown = capacity * 2;
			unsigned char *larger = realloc(buffer, grown + 1);

			if (larger == NULL) {
				free(buffer);
				return repro_error_set(err, REPRO_ENOMEM, "reading '%s' failed: out of memory", path);
			}
			buffer = larger;
			capacity = grown;
		}
	}
	buffer[used] = '\0';
	*out = buffer;
	*size = used;
	return REPRO_OK;
}

int repro_file_read_all_at(int dirfd, const char *path, size_t max_bytes, unsigned char **out,
                           size_t *size, repro_error *err)
{
	int fd, result;

	*out = NULL;
	*size = 0;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int code = errno == ENOENT ? REPRO_ENOTFOUND : REPRO_EIO;

		if (errno == ELOOP)
			return repro_error_set(err, REPRO_EUNSAFE, "'%s' is a symbolic link", path);
		return repro_error_set_errno(err, code, errno, "opening '%s' failed", path);
	}
	result = read_fd(fd, path, max_bytes, out, size, err);
	close(fd);
	return result;
}

int repro_file_read_all(const char *path, size_t max_bytes, unsigned char **out, size_t *size,
                        repro_error *err)
{
	int fd, result;

	*out = NULL;
	*size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int code = errno == ENOENT ? REPRO_ENOTFOUND : REPRO_EIO;

		return repro_error_set_errno(err, code, errno, "opening '%s' failed", path);
	}
	result = read_fd(fd, path, max_bytes, out, size, err);
	close(fd);
	return result;
}

int repro_fd_write_all(int fd, const void *buffer, size_t size)
{
	const unsigned char *data = buffer;

	while (size > 0) {
		ssize_t written = write(fd, data, size);

		if (written < 0 && errno == EINTR)
			continue;
		if (written < 0)
			return -1;
		data += written;
		size -= (size_t)written;
	}
	return 0;
}

static void sync_parent_directory(const char *path)
{
	char *copy = strdup(path);
	char *slash;
	int fd;

	if (copy == NULL)
		return;
	slash = strrchr(copy, '/');
	if (slash == NULL)
		strcpy(copy, ".");
	else if (slash == copy)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int repro_file_write_atomic(const char *path, const void *data, size_t size, mode_t mode,
                            repro_error *err)
{
	size_t length = strlen(path);
	char *temporary = malloc(length + sizeof(".tmp-XXXXXX"));
	int fd, saved;

	if (temporary == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "writing '%s' failed: out of memory", path);
	memcpy(temporary, path, length);
	memcpy(temporary + length, ".tmp-XXXXXX", sizeof(".tmp-XXXXXX"));

	fd = mkstemp(temporary);
	if (fd < 0) {
		saved = errno;
		free(temporary);
		return repro_error_set_errno(err, REPRO_EIO, saved, "writing '%s' failed", path);
	}
	if (fchmod(fd, mode) != 0 || repro_fd_write_all(fd, data, size) != 0 || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(temporary);
		free(temporary);
		return repro_error_set_errno(err, REPRO_EIO, saved, "writing '%s' failed", path);
	}
	if (close(fd) != 0 || rename(temporary, path) != 0) {
		saved = errno;
		unlink(temporary);
		free(temporary);
		return repro_error_set_errno(err, REPRO_EIO, saved, "writing '%s' failed", path);
	}
	free(temporary);
	sync_parent_directory(path);
	return REPRO_OK;
}

int repro_mkdir_parents(const char *path, repro_error *err)
{
	char *copy = strdup(path);
	int result = REPRO_OK;

	if (copy == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "creating '%s' failed: out of memory", path);
	for (char *cursor = copy + 1;; cursor++) {
		bool end = *cursor == '\0';

		if (*cursor != '/' && !end)
			continue;
		*cursor = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
			result = repro_error_set_errno(err, REPRO_EIO, errno, "creating directory '%s' failed",
			                               copy);
			break;
		}
		if (end)
			break;
		*cursor = '/';
	}
	free(copy);
	if (result == REPRO_OK) {
		struct stat info;

		if (stat(path, &info) != 0 || !S_ISDIR(info.st_mode))
			result = repro_error_set(err, REPRO_EIO, "'%s' exists and is not a directory", path);
	}
	return result;
}

static int remove_entry(const char *path, const struct stat *info, int type, struct FTW *walk)
{
	(void)info;
	(void)walk;
	if (type == FTW_DP)
		return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

static int make_directory_writable(const char *path, const struct stat *info, int type,
                                   struct FTW *walk)
{
	(void)walk;
	if (type == FTW_D && (info->st_mode & S_IRWXU) != S_IRWXU)
		chmod(path, (info->st_mode & 07777) | S_IRWXU);
	return 0;
}

int repro_remove_tree(const char *path, repro_error *err)
{
	struct stat info;

	if (lstat(path, &info) != 0) {
		if (errno == ENOENT)
			return REPRO_OK;
		return repro_error_set_errno(err, REPRO_EIO, errno, "removing '%s' failed", path);
	}
	if (!S_ISDIR(info.st_mode)) {
		if (unlink(path) != 0)
			return repro_error_set_errno(err, REPRO_EIO, errno, "removing '%s' failed", path);
		return REPRO_OK;
	}
	/* A build can leave directories without write or search permission,
	 * so the owner gets both back before their entries are unlinked. */
	nftw(path, make_directory_writable, 32, FTW_PHYS | FTW_MOUNT);
	if (nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "removing '%s' failed", path);
	return REPRO_OK;
}

int repro_make_temp_dir(const char *prefix, char **out, repro_error *err)
{
	const char *base = getenv("TMPDIR");
	size_t length;
	char *path;

	*out = NULL;
	if (base == NULL || base[0] != '/')
		base = "/tmp";
	length = strlen(base) + strlen(prefix) + sizeof("/-XXXXXX");
	path = malloc(length);
	if (path == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "creating a temporary directory failed");
	snprintf(path, length, "%s/%s-XXXXXX", base, prefix);
	if (mkdtemp(path) == NULL) {
		int saved = errno;

		free(path);
		return repro_error_set_errno(err, REPRO_EIO, saved,
			"creating a temporary directory in '%s' failed", base);
	}
	*out = path;
	return REPRO_OK;
}

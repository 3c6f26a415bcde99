/*
 * File helpers shared by the modules: bounded reads, atomic writes,
 * directory creation and removal. Internal to the library and its tests.
 */
#ifndef REPROCHECK_FILEUTIL_INTERNAL_H
#define REPROCHECK_FILEUTIL_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include <reprocheck/error.h>

/*
 * Reads the whole file at @p path into a malloc()ed buffer with a NUL after
 * the last byte. A file larger than @p max_bytes is REPRO_ELIMIT; a missing
 * file is REPRO_ENOTFOUND. The caller frees @p out.
 */
int repro_file_read_all(const char *path, size_t max_bytes, unsigned char **out, size_t *size,
                        repro_error *err);

/*
 * Like repro_file_read_all() relative to the directory @p dirfd, refusing
 * to follow a symbolic link in the last component.
 */
int repro_file_read_all_at(int dirfd, const char *path, size_t max_bytes, unsigned char **out,
                           size_t *size, repro_error *err);

/*
 * Writes @p size bytes to @p path through a temporary file in the same
 * directory, fsync()s it and renames it into place, so that readers see the
 * old content or the new, never a part. @p mode is the new file's mode.
 * On failure the temporary file is removed and @p path is unchanged.
 */
int repro_file_write_atomic(const char *path, const void *data, size_t size, mode_t mode,
                            repro_error *err);

/* Writes all @p size bytes to @p fd, retrying after EINTR and short writes.
 * Returns 0, or -1 with errno set. */
int repro_fd_write_all(int fd, const void *data, size_t size);

/* Creates @p path and its missing parents with mode 0755. */
int repro_mkdir_parents(const char *path, repro_error *err);

/*
 * Removes @p path and everything below it without following symbolic
 * links. A missing @p path is not an error.
 */
int repro_remove_tree(const char *path, repro_error *err);

/*
 * Creates a private directory named from @p prefix under $TMPDIR (or
 * /tmp). @p out receives a malloc()ed path the caller frees.
 */
int repro_make_temp_dir(const char *prefix, char **out, repro_error *err);

#endif

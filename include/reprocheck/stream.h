/**
 * @file reprocheck/stream.h
 * @brief A pull-based byte stream, the common shape of blob readers.
 *
 * Sources hand out blobs as streams (a file, a range of an archive, an HTTP
 * body) and the layer reader consumes them, so neither needs to know the
 * other's storage.
 */
#ifndef REPROCHECK_STREAM_H
#define REPROCHECK_STREAM_H

#include <stddef.h>
#include <sys/types.h>

#include <reprocheck/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct repro_stream repro_stream;

/** Operations of a stream implementation. */
typedef struct repro_stream_ops {
	/** Reads up to @p size bytes. Returns the count read, 0 at the end, or
	 *  a negative repro_code with @p err set. */
	ssize_t (*read)(repro_stream *stream, void *buffer, size_t size, repro_error *err);
	/** Releases the stream and its state. */
	void (*close)(repro_stream *stream);
} repro_stream_ops;

/** A stream: implementations embed this as their first member. */
struct repro_stream {
	const repro_stream_ops *ops;
};

/** Reads through @p stream; see repro_stream_ops.read. */
ssize_t repro_stream_read(repro_stream *stream, void *buffer, size_t size, repro_error *err);

/** Reads exactly @p size bytes, or fails with REPRO_EFORMAT at an early end. */
int repro_stream_read_exact(repro_stream *stream, void *buffer, size_t size, repro_error *err);

/** Closes and frees @p stream. NULL is allowed. */
void repro_stream_close(repro_stream *stream);

/**
 * Opens @p length bytes of the file descriptor @p fd from @p offset as a
 * stream, reading with pread() so that several streams can share one file.
 * A @p length of -1 reads to the end of the file. The stream does not own
 * @p fd unless @p owns_fd is nonzero. @p name is used in messages.
 */
int repro_stream_open_fd_range(repro_stream **out, int fd, off_t offset, off_t length,
                               int owns_fd, const char *name, repro_error *err);

/** Opens the whole file at @p path as a stream that owns its descriptor. */
int repro_stream_open_file(repro_stream **out, const char *path, repro_error *err);

/** Opens a stream over @p size bytes of memory, which must outlive it. */
int repro_stream_open_memory(repro_stream **out, const void *data, size_t size,
                             repro_error *err);

#ifdef __cplusplus
}
#endif

#endif

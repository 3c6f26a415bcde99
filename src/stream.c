#include <reprocheck/stream.h>

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t repro_stream_read(repro_stream *stream, void *buffer, size_t size, repro_error *err)
{
	return stream->ops->read(stream, buffer, size, err);
}

int repro_stream_read_exact(repro_stream *stream, void *buffer, size_t size, repro_error *err)
{
	unsigned char *cursor = buffer;

	while (size > 0) {
		ssize_t got = repro_stream_read(stream, cursor, size, err);

		if (got < 0)
			return (int)got;
		if (got == 0)
			return repro_error_set(err, REPRO_EFORMAT, "unexpected end of data, %zu bytes short",
			                       size);
		cursor += got;
		size -= (size_t)got;
	}
	return REPRO_OK;
}

void repro_stream_close(repro_stream *stream)
{
	if (stream != NULL)
		stream->ops->close(stream);
}

typedef struct fd_stream {
	repro_stream base;
	int fd;
	int owns_fd;
	off_t position;
	off_t end;  /* -1 for the end of the file */
	char *name;
} fd_stream;

static ssize_t fd_stream_read(repro_stream *stream, void *buffer, size_t size, repro_error *err)
{
	fd_stream *self = (fd_stream *)stream;
	ssize_t got;

	if (self->end >= 0) {
		off_t left = self->end - self->position;

		if (left <= 0)
			return 0;
		if ((off_t)size > left)
			size = (size_t)left;
	}
	do {
		got = pread(self->fd, buffer, size, self->position);
	} while (got < 0 && errno == EINTR);
	if (got < 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "reading '%s' failed", self->name);
	if (got == 0 && self->end >= 0 && self->position < self->end)
		return repro_error_set(err, REPRO_EFORMAT, "'%s' ends %jd bytes early", self->name,
		                       (intmax_t)(self->end - self->position));
	self->position += got;
	return got;
}

static void fd_stream_close(repro_stream *stream)
{
	fd_stream *self = (fd_stream *)stream;

	if (self->owns_fd)
		close(self->fd);
	free(self->name);
	free(self);
}

static const repro_stream_ops fd_stream_ops = {fd_stream_read, fd_stream_close};

int repro_stream_open_fd_range(repro_stream **out, int fd, off_t offset, off_t length,
                               int owns_fd, const char *name, repro_error *err)
{
	fd_stream *self = calloc(1, sizeof(*self));

	*out = NULL;
	if (self == NULL || (self->name = strdup(name ? name : "stream")) == NULL) {
		free(self);
		if (owns_fd)
			close(fd);
		return repro_error_set(err, REPRO_ENOMEM, "opening '%s' failed: out of memory",
		                       name ? name : "stream");
	}
	self->base.ops = &fd_stream_ops;
	self->fd = fd;
	self->owns_fd = owns_fd;
	self->position = offset;
	self->end = length < 0 ? -1 : offset + length;
	*out = &self->base;
	return REPRO_OK;
}

int repro_stream_open_file(repro_stream **out, const char *path, repro_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	if (fd < 0)
		return repro_error_set_errno(err, errno == ENOENT ? REPRO_ENOTFOUND : REPRO_EIO, errno,
		                             "opening '%s' failed", path);
	return repro_stream_open_fd_range(out, fd, 0, -1, 1, path, err);
}

typedef struct memory_stream {
	repro_stream base;
	const unsigned char *data;
	size_t size;
	size_t position;
} memory_stream;

static ssize_t memory_stream_read(repro_stream *stream, void *buffer, size_t size,
                                  repro_error *err)
{
	memory_stream *self = (memory_stream *)stream;
	size_t left = self->size - self->position;

	(void)err;
	if (size > left)
		size = left;
	memcpy(buffer, self->data + self->position, size);
	self->position += size;
	return (ssize_t)size;
}

static void memory_stream_close(repro_stream *stream)
{
	free(stream);
}

static const repro_stream_ops memory_stream_ops = {memory_stream_read, memory_stream_close};

int repro_stream_open_memory(repro_stream **out, const void *data, size_t size, repro_error *err)
{
	memory_stream *self = calloc(1, sizeof(*self));

	*out = NULL;
	if (self == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "opening a memory stream failed");
	self->base.ops = &memory_stream_ops;
	self->data = data;
	self->size = size;
	*out = &self->base;
	return REPRO_OK;
}

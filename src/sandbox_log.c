/*
 * The tail of a step's log, and error messages that end with it.
 */
#include "sandbox_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void repro_sandbox_read_tail(int log_fd, off_t start_offset, char *tail)
{
	struct stat info;
	size_t size, start = 0, lines = 0;
	int cut = 0;
	ssize_t got;

	tail[0] = '\0';
	if (fstat(log_fd, &info) != 0 || info.st_size <= start_offset)
		return;
	size = (size_t)(info.st_size - start_offset);
	if (size > REPRO_SANDBOX_TAIL_MAX) {
		size = REPRO_SANDBOX_TAIL_MAX;
		cut = 1;
	}
	got = pread(log_fd, tail, size, info.st_size - (off_t)size);
	if (got <= 0)
		return;
	size = (size_t)got;
	while (size > 0 && tail[size - 1] == '\n')
		size--;
	tail[size] = '\0';

	for (size_t i = size; i > 0; i--) {
		if (tail[i - 1] == '\n' && ++lines == REPRO_SANDBOX_TAIL_LINES) {
			start = i;
			break;
		}
	}
	/* A window that starts inside a line drops that line's visible end. */
	if (start == 0 && cut) {
		char *newline = memchr(tail, '\n', size);

		if (newline != NULL)
			start = (size_t)(newline - tail) + 1;
	}
	memmove(tail, tail + start, size - start + 1);
	for (char *c = tail; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 && *c != '\n' && *c != '\t')
			*c = '?';
	}
}

int repro_sandbox_fail_with_tail(repro_error *err, int code, const char *label,
                                 const char *what, const char *tail)
{
	static const char intro[] = "; last lines of its log:\n";
	char prefix[REPRO_ERROR_MESSAGE_MAX];
	const char *shown = tail;
	size_t length = strlen(shown), budget;

	snprintf(prefix, sizeof(prefix), "%s %s", label, what);
	if (length == 0)
		return repro_error_set(err, code, "%s; it wrote no output", prefix);
	budget = 0;
	if (strlen(prefix) + sizeof(intro) < REPRO_ERROR_MESSAGE_MAX)
		budget = REPRO_ERROR_MESSAGE_MAX - strlen(prefix) - sizeof(intro);
	if (length > budget) {
		const char *newline;

		shown += length - budget;
		newline = strchr(shown, '\n');
		if (newline != NULL)
			shown = newline + 1;
	}
	return repro_error_set(err, code, "%s%s%s", prefix, intro, shown);
}

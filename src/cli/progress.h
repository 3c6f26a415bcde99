/*
 * Progress on stderr: one line redrawn in place while stderr is a terminal,
 * nothing otherwise. With -v, finished steps are logged as lines instead, so
 * that logs written to files show them too.
 */
#ifndef REPROCHECK_CLI_PROGRESS_H
#define REPROCHECK_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

typedef struct progress_printer {
	bool live;        /* redraw a line: stderr is a terminal and -q was not given */
	bool log;         /* log finished steps: -v was given */
	bool line_shown;  /* a live line is on the screen */
} progress_printer;

/* Sets up @p printer from the global options. */
void progress_init(progress_printer *printer, const repro_cli *cli);

/* A repro_scan_progress_fn that draws "reading layer 2/5: 12.0 of 80.5 MiB". */
void progress_scan(void *printer, size_t index, size_t count, uint64_t done, uint64_t total);

/* Shows a one-line status such as "running step 1 of 2"; logged with -v. */
void progress_status(void *printer, const char *message);

/* Removes a live line, so that the next output starts on a clean line. */
void progress_clear(progress_printer *printer);

#endif

#include "progress.h"

#include <stdio.h>

void progress_init(progress_printer *printer, const repro_cli *cli)
{
	printer->live = cli->stderr_is_terminal && cli->verbosity >= 0;
	printer->log = cli->verbosity >= 1;
	printer->line_shown = false;
}

static double mebibytes(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

void progress_scan(void *context, size_t index, size_t count, uint64_t done, uint64_t total)
{
	progress_printer *printer = context;

	if (printer->live) {
		/* \r and the erase-line sequence redraw the same line. */
		fprintf(stderr, "\r\033[Kreading layer %zu/%zu: %.1f of %.1f MiB", index + 1, count,
		        mebibytes(done), mebibytes(total));
		fflush(stderr);
		printer->line_shown = true;
	}
	if (printer->log && done == total && done > 0) {
		progress_clear(printer);
		fprintf(stderr, "reprocheck: read layer %zu/%zu: %llu bytes\n", index + 1, count,
		        (unsigned long long)done);
	}
}

void progress_status(void *context, const char *message)
{
	progress_printer *printer = context;

	if (printer->log) {
		progress_clear(printer);
		fprintf(stderr, "reprocheck: %s\n", message);
		return;
	}
	if (printer->live) {
		fprintf(stderr, "\r\033[K%s", message);
		fflush(stderr);
		printer->line_shown = true;
	}
}

void progress_clear(progress_printer *printer)
{
	if (!printer->line_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	printer->line_shown = false;
}

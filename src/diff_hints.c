/*
 * Hints: the well-known causes of differences between two builds, and
 * the second pass that reads small differing text files again to name
 * their first differing line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff_internal.h"
#include "layer_internal.h"

const char *diff_hint_gzip(const char *field)
{
	if (strcmp(field, "gzip.mtime") == 0)
		return "the gzip header stores a time stamp: run gzip with -n, or set MTIME to 0";
	if (strcmp(field, "gzip.os") == 0)
		return "the gzip OS byte differs: another compressor, or one built for another "
		       "system, wrote the layer";
	if (strcmp(field, "gzip.xfl") == 0)
		return "a different compression level (XFL 2 is the best compression, 4 the "
		       "fastest): compress with one fixed level";
	if (strcmp(field, "gzip.fname") == 0)
		return "the gzip header stores a file name: run gzip with -n";
	if (strcmp(field, "gzip.members") == 0)
		return "a different number of gzip members: a parallel compressor such as pigz "
		       "wrote one of the layers";
	if (strcmp(field, "gzip.bytes") == 0)
		return "the same diff_id and gzip header in other compressed bytes: a different "
		       "compression level or compressor version";
	if (strcmp(field, "compression") == 0)
		return "the layers are compressed with different algorithms";
	return "the same diff_id in other compressed bytes: a different compression level or "
	       "compressor version";
}

const char *diff_hint_time_record(const char *field)
{
	if (strcmp(field, "atime") == 0)
		return "an atime pax record is stored in one image only: tar was not told to drop "
		       "it (GNU tar --pax-option=delete=atime, or the tar writer's option)";
	if (strcmp(field, "ctime") == 0)
		return "a ctime pax record is stored in one image only: tar was not told to drop "
		       "it (GNU tar --pax-option=delete=ctime, or the tar writer's option)";
	if (strcmp(field, "birthtime") == 0)
		return "a creation time record is stored in one image only: the tar writer "
		       "copied it from the build host";
	return NULL;
}

bool diff_hint_mtime(const diff_context *context, const repro_layer_time *a,
                     const repro_layer_time *b, bool whiteout, char *out, size_t size)
{
	const repro_layer_time *times[2] = {a, b};

	for (int side = 0; side < 2; side++) {
		int other = 1 - side;
		repro_layer_time created = {1, context->created[other], 0};
		char text[48];

		if (!context->has_created[other] || !times[side]->present || !times[other]->present)
			continue;
		if (times[side]->seconds <= created.seconds || times[other]->seconds > created.seconds)
			continue;
		diff_format_time(&created, text, sizeof(text));
		snprintf(out, size, "the mtime in image %c is later than image %c's created time %s: "
		         "%s written during the build was not clamped to SOURCE_DATE_EPOCH",
		         'A' + side, 'A' + other, text, whiteout ? "a whiteout" : "a file");
		return true;
	}
	return false;
}

bool diff_parse_rfc3339(const char *text, int64_t *out)
{
	struct tm tm;
	const char *rest;
	long offset = 0;

	memset(&tm, 0, sizeof(tm));
	rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (rest == NULL)
		return false;
	if (*rest == '.') {
		rest++;
		while (*rest >= '0' && *rest <= '9')
			rest++;
	}
	if (*rest == '+' || *rest == '-') {
		int hours, minutes;

		if (sscanf(rest + 1, "%2d:%2d", &hours, &minutes) != 2)
			return false;
		offset = (hours * 60L + minutes) * 60L * (*rest == '+' ? 1 : -1);
		rest += 6;
	} else if (*rest == 'Z' || *rest == 'z') {
		rest++;
	} else {
		return false;
	}
	if (*rest != '\0')
		return false;
	*out = (int64_t)timegm(&tm) - offset;
	return true;
}

void diff_format_time(const repro_layer_time *time, char *out, size_t size)
{
	struct tm tm;
	time_t seconds = (time_t)time->seconds;
	char base[32];

	if (gmtime_r(&seconds, &tm) == NULL || strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S",
	                                                &tm) == 0) {
		snprintf(out, size, "%lld", (long long)time->seconds);
		return;
	}
	if (time->nanoseconds != 0)
		snprintf(out, size, "%s.%09ldZ", base, time->nanoseconds);
	else
		snprintf(out, size, "%sZ", base);
}

char *diff_clean_path(const char *path)
{
	int absolute, has_parent;

	return repro_layer_clean_path(path, &absolute, &has_parent);
}

int diff_request_text(diff_context *context, size_t item, size_t layer_a, size_t layer_b,
                      const char *path, repro_error *err)
{
	diff_text_request *grown, *request;

	if (!context->options.explain_contents || context->request_count >= REPRO_DIFF_TEXT_MAX_FILES)
		return REPRO_OK;
	grown = realloc(context->requests, (context->request_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	context->requests = grown;
	request = &grown[context->request_count];
	request->item = item;
	request->layer[0] = layer_a;
	request->layer[1] = layer_b;
	request->path = strdup(path);
	if (request->path == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	context->request_count++;
	return REPRO_OK;
}

/*
 * Internal interface between the vary driver (vary.c) and the choice of
 * each variation's setting and of the directory the builds run in
 * (vary_plan.c).
 */
#ifndef REPROCHECK_VARY_INTERNAL_H
#define REPROCHECK_VARY_INTERNAL_H

#include <stddef.h>

#include <reprocheck/build.h>
#include <reprocheck/vary.h>

/* Environment entries that all variations together add, at most. */
#define VARY_ENV_MAX 8

/* Settings chosen once per run for the kinds that depend on this machine. */
typedef struct vary_settings {
	const char *locale;     /* a locale this machine has, other than C.UTF-8 */
	const char *timezone;   /* a TZ value with a half-hour offset */
	char lang_entry[64];
	char lc_all_entry[64];
	char tz_entry[64];
	/* 1 when the builds' directory lists entries by creation order. */
	int creation_ordered;
	char root_reason[256];
	unsigned cpus_allowed;
} vary_settings;

/* A build variation and the storage its environment points into. */
typedef struct vary_variation {
	repro_build_variation variation;
	const char *env[VARY_ENV_MAX];
} vary_variation;

/*
 * Checks whether @p kind can be applied here. Returns 1 and writes its
 * setting into @p outcome when it can; returns 0 and writes why not into
 * outcome->reason when it cannot.
 */
int vary_prepare_kind(repro_vary_kind kind, const vary_settings *settings,
                      repro_vary_outcome *outcome);

/* Chooses the locale, time zone and CPU count of @p settings. */
void vary_choose_settings(vary_settings *settings);

/* Fills @p out with the changes of every kind in @p kinds. */
void vary_fill_variation(unsigned kinds, const vary_settings *settings, vary_variation *out);

/*
 * Creates the directory the builds run in: @p keep_dir, which must not
 * exist, or a new temporary directory, preferring one whose file system
 * lists entries by creation order (tmpfs) so that the file-order variation
 * shows. Sets settings->creation_ordered and, when it is 0, root_reason.
 * @p out receives a malloc()ed absolute path the caller frees.
 */
int vary_make_root(const char *keep_dir, vary_settings *settings, char **out, repro_error *err);

#endif

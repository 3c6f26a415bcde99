/**
 * @file reprocheck/vary.h
 * @brief Finds what a build depends on: builds a recipe once as usual and
 *        once with the conditions around the build steps changed (clock,
 *        hostname, time zone, locale, umask, uid, file order, CPU count,
 *        environment, HOME), and when the images differ, once per change to
 *        name the changes responsible.
 *
 * Every build runs hermetically in the sandbox (see sandbox.h); the changes
 * go through repro_build_variation. docs/VARY.md says what each one does.
 */
#ifndef REPROCHECK_VARY_H
#define REPROCHECK_VARY_H

#include <stddef.h>

#include <reprocheck/build.h>
#include <reprocheck/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The conditions that can vary, in the order they are reported. */
typedef enum repro_vary_kind {
	REPRO_VARY_TIME,
	REPRO_VARY_HOSTNAME,
	REPRO_VARY_TIMEZONE,
	REPRO_VARY_LOCALE,
	REPRO_VARY_UMASK,
	REPRO_VARY_UID,
	REPRO_VARY_FILE_ORDER,
	REPRO_VARY_CPUS,
	REPRO_VARY_ENV,
	REPRO_VARY_HOME,
	REPRO_VARY_COUNT
} repro_vary_kind;

/** The bit of a kind in a set of kinds. */
#define REPRO_VARY_BIT(kind) (1u << (unsigned)(kind))

/** Every kind. */
#define REPRO_VARY_ALL (REPRO_VARY_BIT(REPRO_VARY_COUNT) - 1u)

/** The preload library that shifts the clock, from Debian's libfaketime. */
#define REPRO_VARY_FAKETIME_LIBRARY "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

/** The verdict on one variation. */
typedef enum repro_vary_status {
	REPRO_VARY_STATUS_NOT_CHOSEN,  /**< not asked for */
	REPRO_VARY_STATUS_SKIPPED,     /**< asked for by default, but impossible here; see reason */
	REPRO_VARY_STATUS_IDENTICAL,   /**< the images repeat under it */
	REPRO_VARY_STATUS_MISMATCH,    /**< it changes at least one image */
	REPRO_VARY_STATUS_UNKNOWN      /**< no verdict, because the build does not repeat unchanged */
} repro_vary_status;

/** Returns the name of @p kind as --vary takes it ("file-order"), a static string. */
const char *repro_vary_name(repro_vary_kind kind);

/** Returns "identical", "mismatch", "skipped", "unknown" or "not-chosen", a static string. */
const char *repro_vary_status_name(repro_vary_status status);

/**
 * Parses a comma-separated list of names, such as "time,uid", into a set
 * of REPRO_VARY_BIT() values in @p out. An unknown or empty name is
 * REPRO_EUSAGE, and the message lists the valid names.
 */
int repro_vary_parse_list(const char *list, unsigned *out, repro_error *err);

/** Writes the valid names, separated by ", ", into @p out of @p size bytes. */
void repro_vary_list_names(char *out, size_t size);

/** Vary settings: the revision to build and the variations to apply. Strings are
 *  borrowed for the call. */
typedef struct repro_vary_options {
	const char *repo;      /**< a path or URL; "." when NULL */
	const char *tag;       /**< the tag to build, or NULL */
	const char *rev;       /**< a revision when @p tag is NULL; HEAD when both are NULL */
	/** The kinds to vary, as REPRO_VARY_BIT() values. 0 chooses every kind
	 *  and skips those impossible here; a kind named here that is
	 *  impossible here is an error instead. */
	unsigned chosen;
	/** Keep every build's tree, log and layouts in this new directory, one
	 *  subdirectory per build; NULL removes them. */
	const char *keep_dir;
	/** Called before each build with its label ("base", "varied",
	 *  "control" or a kind's name), or NULL. */
	void (*progress)(void *context, const char *label);
	void *progress_context;
} repro_vary_options;

/** Sets the defaults: every kind, the repository in ".", HEAD, nothing kept. */
void repro_vary_options_init(repro_vary_options *options);

/** One variation's setting and verdict. */
typedef struct repro_vary_outcome {
	repro_vary_status status;
	/** The change applied, such as "TZ=America/St_Johns"; empty when not chosen. */
	char setting[192];
	/** The reason it was skipped or has no verdict; empty otherwise. */
	char reason[256];
	/** The build with this variation alone, when one ran on its own. */
	repro_build_result build;
	int built_alone;
	/** For a kind that changes an image: the diff of the first changed
	 *  image, base build against this kind's build, or NULL. */
	struct repro_diff_result *diff;
	char diff_image[128];   /**< the image @c diff compares; empty without one */
	char diff_note[256];    /**< why there is no diff although the image changed */
} repro_vary_outcome;

/** The outcome of repro_vary_run(), owned by the caller; see repro_vary_result_dispose(). */
typedef struct repro_vary_result {
	repro_build_result base;     /**< the build with nothing changed */
	repro_build_result varied;   /**< the build with every applied variation at once */
	unsigned applied;            /**< the kinds applied, as REPRO_VARY_BIT() values */
	int varied_identical;        /**< 1 when @c varied repeats @c base */
	/** A second build with nothing changed, run when @c varied differs, to
	 *  tell a variation's effect from a build that never repeats. */
	repro_build_result control;
	int control_ran;
	int control_identical;
	/** When the control build differs from the base: their diff, or NULL. */
	struct repro_diff_result *control_diff;
	char control_diff_image[128];
	repro_vary_outcome outcomes[REPRO_VARY_COUNT];
	char *keep_dir;              /**< the absolute kept directory, or NULL */
} repro_vary_result;

/**
 * Runs the builds that @p options describe and fills @p out. A build that
 * fails is REPRO_EBUILD or REPRO_ETIMEOUT, with the variation in the
 * message; a chosen kind that is impossible here is REPRO_EUNSUPPORTED.
 * Returns REPRO_OK whether or not the images repeat: see
 * repro_vary_exit_status(). The caller disposes @p out in every case.
 */
int repro_vary_run(const repro_vary_options *options, repro_vary_result *out, repro_error *err);

/** Frees the contents of @p result and zeroes it. Safe on a zeroed result. */
void repro_vary_result_dispose(repro_vary_result *result);

/** Returns 0 when every applied variation repeats the images, 1 otherwise. */
int repro_vary_exit_status(const repro_vary_result *result);

/**
 * Returns the build that decided the verdict of @p kind: its own build, or
 * the varied build when it was the only kind applied. NULL when neither
 * ran. The build belongs to @p result.
 */
const repro_build_result *repro_vary_outcome_build(const repro_vary_result *result,
                                                   repro_vary_kind kind);

/**
 * Compares one image of two builds: "identical" when the manifest digests
 * match, "content-identical" when the config digests and every diff_id
 * match, and "mismatch" otherwise. Returns a static string.
 */
const char *repro_vary_compare_image(const repro_built_image *base,
                                     const repro_built_image *varied);

/** Returns the image named @p name in @p build, or NULL. */
const repro_built_image *repro_vary_find_image(const repro_build_result *build,
                                               const char *name);

/** Returns 1 when @p varied has exactly the images of @p base, with the same manifests. */
int repro_vary_builds_identical(const repro_build_result *base, const repro_build_result *varied);

#ifdef __cplusplus
}
#endif

#endif

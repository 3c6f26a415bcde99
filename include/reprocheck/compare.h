/**
 * @file reprocheck/compare.h
 * @brief Comparing rebuilt images with a release's entry in a digest list,
 *        at the verification levels `identical` and `content-identical`.
 */
#ifndef REPROCHECK_COMPARE_H
#define REPROCHECK_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include <reprocheck/build.h>
#include <reprocheck/digestlist.h>
#include <reprocheck/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The status of one image and platform in a report. */
typedef enum repro_status {
	REPRO_STATUS_IDENTICAL,          /**< the manifest digest matches */
	REPRO_STATUS_CONTENT_IDENTICAL,  /**< config and diff_ids match, compressed layers differ */
	REPRO_STATUS_MISMATCH,           /**< the content differs */
	REPRO_STATUS_MISSING,            /**< listed but not built */
	REPRO_STATUS_UNLISTED,           /**< built but not listed */
	REPRO_STATUS_ERROR               /**< could not be checked */
} repro_status;

/** Returns the status name used in reports: "identical", "content-identical", ... */
const char *repro_status_name(repro_status status);

/** The level `verify` accepts: manifest digests, or content (config and diff_ids). */
typedef enum repro_level {
	REPRO_LEVEL_MANIFEST,
	REPRO_LEVEL_CONTENT
} repro_level;

/** One fact that differs between the list and the rebuild. Strings are owned. */
typedef struct repro_difference {
	char *object;    /**< "manifest", "config", "layer 1", "layers" */
	char *field;     /**< "digest", "diffId", "size", "mediaType", "count" */
	char *expected;  /**< the listed value */
	char *actual;    /**< the rebuilt value */
} repro_difference;

/** The verdict for one image and platform. Strings are owned. */
typedef struct repro_image_verdict {
	char *name;
	char *platform;
	repro_status status;
	char *reason;                   /**< one line; NULL when identical */
	repro_difference *differences;  /**< most important first */
	size_t difference_count;
	bool has_expected;
	repro_digest expected_manifest;
	bool has_actual;
	repro_digest actual_manifest;
	struct repro_diff_result *diff;  /**< published against rebuilt, or NULL */
	char *published;                 /**< the source the diff read, or NULL */
	char *diff_note;                 /**< why there is no diff, or NULL */
} repro_image_verdict;

/**
 * Compares every image of @p built with @p release and stores one verdict
 * per image and platform in @p out (built images first, in build order,
 * then listed images that were not built). The caller frees @p out with
 * repro_verdicts_free().
 */
int repro_compare_release(const repro_build_result *built,
                          const repro_digestlist_release *release,
                          repro_image_verdict **out, size_t *count, repro_error *err);

/**
 * Stores in @p verdict the diff of the published image against the
 * rebuilt one, which it takes over, and the spec it was read from.
 */
int repro_verdict_set_diff(repro_image_verdict *verdict, struct repro_diff_result *diff,
                           const char *published, repro_error *err);

/** Stores why @p verdict has no diff, such as a published image that could not be read. */
int repro_verdict_set_diff_note(repro_image_verdict *verdict, const char *published,
                                const char *note, repro_error *err);

/** Frees @p count verdicts, their diffs included. NULL is allowed. */
void repro_verdicts_free(repro_image_verdict *verdicts, size_t count);

/**
 * Returns the exit status of a set of verdicts at @p level: 0 when every
 * one is identical (or content-identical at REPRO_LEVEL_CONTENT), 2 when
 * any is an error, 1 otherwise.
 */
int repro_verdicts_exit_status(const repro_image_verdict *verdicts, size_t count,
                               repro_level level);

#ifdef __cplusplus
}
#endif

#endif

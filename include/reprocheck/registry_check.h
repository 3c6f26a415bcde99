/**
 * @file reprocheck/registry_check.h
 * @brief Checking a registry against a digest list: each listed image's
 *        reference is resolved, and its index, platform manifests and
 *        configs are compared with the listed digests.
 */
#ifndef REPROCHECK_REGISTRY_CHECK_H
#define REPROCHECK_REGISTRY_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <reprocheck/digestlist.h>
#include <reprocheck/reference.h>
#include <reprocheck/registry.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Check statuses, in the order of severity that an image's overall status uses. */
typedef enum repro_registry_check_status {
	REPRO_REGISTRY_CHECK_IDENTICAL = 0,
	REPRO_REGISTRY_CHECK_MISSING,
	REPRO_REGISTRY_CHECK_MISMATCH,
	REPRO_REGISTRY_CHECK_ERROR
} repro_registry_check_status;

/** Returns "identical", "missing", "mismatch" or "error". */
const char *repro_registry_check_status_name(repro_registry_check_status status);

/** Expected and actual digests; actual is valid when has_actual. */
typedef struct repro_registry_digest_pair {
	bool has_expected;
	repro_digest expected;
	bool has_actual;
	repro_digest actual;
} repro_registry_digest_pair;

/** The result for one listed platform of an image. */
typedef struct repro_registry_platform_check {
	const repro_digestlist_platform *listed;
	repro_registry_check_status status;
	char reason[512];
	repro_registry_digest_pair manifest;
	repro_registry_digest_pair config;
} repro_registry_platform_check;

/** The result for one image, owned by the caller and disposed with
 *  repro_registry_image_check_dispose(). */
typedef struct repro_registry_image_check {
	const repro_digestlist_release *release;
	const repro_digestlist_image *image;
	char reference[REPRO_REFERENCE_STRING_MAX];  /* as resolved, normalised */
	repro_registry_check_status status;
	char reason[512];
	repro_registry_digest_pair index;
	repro_registry_platform_check *platforms;  /* one per listed platform */
	size_t platform_count;
} repro_registry_image_check;

/**
 * Resolves @p image's reference (with the release's tag when the reference
 * names none) and fills @p out. It returns nothing, because every failure
 * becomes the status and reason of the image or a platform.
 */
void repro_registry_check_image(repro_registry *registry,
                                const repro_digestlist_release *release,
                                const repro_digestlist_image *image,
                                repro_registry_image_check *out);

/** Frees what @p check holds. */
void repro_registry_image_check_dispose(repro_registry_image_check *check);

/**
 * Collects a check for every image with a reference in the release @p tag
 * of @p list, or in every release when @p tag is NULL. A list without such
 * an image is REPRO_ENOTFOUND. The caller frees @p out with
 * repro_registry_checks_free().
 */
int repro_registry_check_collect(const repro_digestlist *list, const char *tag,
                                 repro_registry_image_check **out, size_t *count,
                                 repro_error *err);

/**
 * Runs every check of @p checks on @p registry with up to @p jobs threads
 * (1 to REPRO_REGISTRY_CHECK_MAX_JOBS), so that many images share the
 * client's connections. A failure becomes the status of its image.
 */
void repro_registry_check_all(repro_registry *registry, repro_registry_image_check *checks,
                              size_t count, long jobs);

/** Maximum number of threads repro_registry_check_all() starts. */
#define REPRO_REGISTRY_CHECK_MAX_JOBS 64

/** Returns 0 when every check is identical, 2 when any is an error, 1 otherwise. */
int repro_registry_checks_exit_status(const repro_registry_image_check *checks, size_t count);

/** Disposes and frees @p count checks. NULL is allowed. */
void repro_registry_checks_free(repro_registry_image_check *checks, size_t count);

#ifdef __cplusplus
}
#endif

#endif

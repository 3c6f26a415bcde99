/*
 * The checks of `reprocheck registry`: one image of a digest list against
 * what its reference resolves to in a registry.
 */
#ifndef REPROCHECK_CLI_REGISTRY_CHECK_H
#define REPROCHECK_CLI_REGISTRY_CHECK_H

#include <reprocheck/digestlist.h>
#include <reprocheck/registry.h>

/* Statuses in the order of severity used for an image's overall status. */
typedef enum check_status {
	CHECK_IDENTICAL = 0,
	CHECK_MISSING,
	CHECK_MISMATCH,
	CHECK_ERROR
} check_status;

const char *check_status_name(check_status status);

/* Expected and actual digests; actual is valid when has_actual. */
typedef struct digest_pair {
	bool has_expected;
	repro_digest expected;
	bool has_actual;
	repro_digest actual;
} digest_pair;

typedef struct platform_check {
	const repro_digestlist_platform *listed;
	check_status status;
	char reason[512];
	digest_pair manifest;
	digest_pair config;
} platform_check;

/* The result of one image; owned by the caller, disposed with image_check_dispose(). */
typedef struct image_check {
	const repro_digestlist_release *release;
	const repro_digestlist_image *image;
	char reference[REPRO_REFERENCE_STRING_MAX];  /* as resolved, normalised */
	check_status status;
	char reason[512];
	digest_pair index;
	platform_check *platforms;  /* one per listed platform */
	size_t platform_count;
} image_check;

/* Resolves @p image's reference (with the release's tag when the reference
 * names none) and fills @p out. It returns nothing, because every failure
 * becomes the status and reason of the image or a platform. */
void image_check_run(repro_registry *registry, const repro_digestlist_release *release,
                     const repro_digestlist_image *image, image_check *out);

void image_check_dispose(image_check *check);

#endif

/*
 * Internal interface between the build orchestration (build.c) and the
 * assembly of one image from its recipe entry (build_image.c).
 */
#ifndef REPROCHECK_BUILD_INTERNAL_H
#define REPROCHECK_BUILD_INTERNAL_H

#include <reprocheck/build.h>
#include <reprocheck/recipe.h>

/* What assembling one image needs besides its recipe entry. */
typedef struct build_context {
	const char *tree;          /* the checked-out build tree */
	const char *blob_dir;      /* a scratch directory for layer files */
	const char *layout_dir;    /* where this image's OCI layout goes */
	const char *ref_name;      /* org.opencontainers.image.ref.name in index.json */
	const char *commit_id;
	int64_t source_date_epoch;
	int replace_output;
	const repro_build_options *options;  /* for status messages */
} build_context;

/* Writes the layers, config, manifest and layout of @p image after its
 * build steps ran, and fills @p out. */
int build_assemble_image(const build_context *context, const repro_recipe_image *image,
                         repro_built_image *out, repro_error *err);

/* Returns REPRO_EINTERRUPTED with a message once SIGINT or SIGTERM has
 * arrived (the sandbox's handlers record it), and REPRO_OK otherwise. The
 * build calls it between phases, because the handlers only set a flag. */
int build_check_interrupt(repro_error *err);

/* Sends a formatted status message through options->status, if set. */
void build_status(const repro_build_options *options, const char *format, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* Frees what @p image holds. */
void build_image_dispose(repro_built_image *image);

#endif

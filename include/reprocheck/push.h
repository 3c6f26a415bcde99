/**
 * @file reprocheck/push.h
 * @brief Uploading an image from any source to a registry, byte for byte,
 *        and checking what the registry then serves.
 */
#ifndef REPROCHECK_PUSH_H
#define REPROCHECK_PUSH_H

#include <stddef.h>

#include <reprocheck/digest.h>
#include <reprocheck/error.h>
#include <reprocheck/reference.h>
#include <reprocheck/registry.h>
#include <reprocheck/source.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Counts of the blobs and manifests a push handled, by what it did with them. */
typedef struct repro_push_counts {
	size_t uploaded;   /**< blobs uploaded */
	size_t skipped;    /**< blobs the repository already had */
	size_t mounted;    /**< blobs mounted from the source's repository */
	size_t manifests;  /**< manifests and indexes uploaded, the root included */
} repro_push_counts;

/** Push settings; a zeroed struct logs nothing. */
typedef struct repro_push_options {
	/** Called with a one-line message for each blob and manifest, or NULL. */
	void (*log)(void *context, const char *message);
	void *log_context;
} repro_push_options;

/** The outcome of a push. */
typedef struct repro_push_result {
	repro_digest digest;       /**< the root as pushed and read back */
	const char *media_type;    /**< the root's media type, owned by the source */
	repro_push_counts counts;  /**< filled also when the push failed part way */
} repro_push_result;

/**
 * Pushes the root of @p source (a manifest or an index with its children)
 * to @p target on @p registry, under the target's tag or by digest, then
 * reads it back and checks its digest (REPRO_EMISMATCH when the registry
 * serves other bytes). @p source_spec, as the source was opened, lets blobs
 * of a repository on the same registry be mounted; it may be NULL.
 */
int repro_push_image(repro_registry *registry, repro_source *source, const char *source_spec,
                     const repro_reference *target, const repro_push_options *options,
                     repro_push_result *out, repro_error *err);

#ifdef __cplusplus
}
#endif

#endif

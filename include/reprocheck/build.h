/**
 * @file reprocheck/build.h
 * @brief The native build driver: check out a tagged commit, run the
 *        recipe's build steps in the sandbox, write each image's layers,
 *        config and manifest deterministically, and store each image as an
 *        OCI image layout.
 */
#ifndef REPROCHECK_BUILD_H
#define REPROCHECK_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include <reprocheck/digest.h>
#include <reprocheck/digestlist.h>
#include <reprocheck/error.h>
#include <reprocheck/repo.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Changes to the conditions that the build steps run under, which
 * `reprocheck vary` uses to find what a build depends on. A zeroed struct
 * changes nothing. Strings are borrowed for the call.
 */
typedef struct repro_build_variation {
	const char *hostname;     /**< hostname in the sandbox, or NULL for the default */
	const char *domainname;   /**< domain name in the sandbox, or NULL for "(none)" */
	const char *home;         /**< HOME in the sandbox, or NULL for /root */
	int set_umask;            /**< nonzero runs the steps with @c umask_mode instead of 022 */
	unsigned umask_mode;
	unsigned uid;             /**< uid the steps run as; 0 is root */
	unsigned gid;             /**< gid the steps run as */
	unsigned cpu_count;       /**< CPUs the steps may use; 0 keeps them all */
	/** NAME=VALUE entries added to every step's environment, unless the
	 *  step's recipe entry sets NAME itself. */
	const char *const *env;
	size_t env_count;
	int reverse_file_order;   /**< check the tree out in reverse order */
} repro_build_variation;

/** Build options: the revision, the recipe and the output. Strings are borrowed for the call. */
typedef struct repro_build_options {
	const char *repo;         /**< a path or URL; "." when NULL */
	const char *tag;          /**< the tag to build, or NULL */
	const char *rev;          /**< a revision when @p tag is NULL; HEAD when both are NULL */
	const char *recipe_path;  /**< a recipe file replacing the tree's reprocheck.json, or NULL */
	const char *image_name;   /**< build this image only, or NULL for all */
	const char *output_dir;   /**< write layouts to OUTPUT/<image name>/, or NULL */
	const char *keep_dir;     /**< keep the work tree here instead of removing it, or NULL */
	int hermetic;             /**< 1 runs steps in namespaces; 0 is --no-sandbox */
	int replace_output;       /**< replace existing layouts in @p output_dir */
	repro_repo *repository;   /**< an already opened @p repo to use, borrowed, or NULL */
	/** Called with a one-line message as each phase starts (checkout, each
	 *  step, each layer), for progress and -v logs; or NULL. */
	void (*status)(void *context, const char *message);
	void *status_context;
	const repro_build_variation *variation;  /**< changed conditions, borrowed, or NULL */
} repro_build_options;

/** Sets the defaults: hermetic, everything else unset. */
void repro_build_options_init(repro_build_options *options);

/** One layer of a built image. */
typedef struct repro_built_layer {
	const char *media_type;  /**< static string */
	repro_digest digest;
	repro_digest diff_id;
	uint64_t size;
} repro_built_layer;

/** One built image; every member is owned by the result. */
typedef struct repro_built_image {
	char *name;
	char *reference;       /**< from the recipe, or NULL */
	char *platform;        /**< OS/ARCH[/VARIANT] */
	repro_digest manifest;
	uint64_t manifest_size;
	repro_digest config;
	uint64_t config_size;
	repro_built_layer *layers;
	size_t layer_count;
	char *layout_path;     /**< where the OCI layout was written, or NULL */
} repro_built_image;

/** The outcome of a build, owned by the caller; see repro_build_result_dispose(). */
typedef struct repro_build_result {
	repro_repo_revision revision;
	int64_t source_date_epoch;
	int hermetic;              /**< 0 when built with --no-sandbox */
	char compressor[64];       /**< such as "zlib 1.2.13 level 6" */
	repro_built_image *images;
	size_t image_count;
	char *work_dir;            /**< the kept work tree, or NULL when it was removed */
	char *log_path;            /**< the build log, kept when a step failed or with keep_dir */
} repro_build_result;

/**
 * Runs the build that @p options describe and fills @p out. A step that
 * fails or times out is REPRO_EBUILD or REPRO_ETIMEOUT, with the step and
 * the tail of its log in the message; @p out then still contains the revision
 * and log_path. Temporary trees are removed on every path unless
 * @p options->keep_dir is set. The caller disposes @p out in every case.
 */
int repro_build_run(const repro_build_options *options, repro_build_result *out,
                    repro_error *err);

/** Frees the contents of @p result and zeroes it. Safe on a zeroed result. */
void repro_build_result_dispose(repro_build_result *result);

/**
 * Converts @p result into a digest-list release for its tag (the commit id
 * when built from a revision). The caller frees @p out with
 * repro_digestlist_release_free() or hands it to repro_digestlist_put_release().
 */
int repro_build_result_to_release(const repro_build_result *result,
                                  repro_digestlist_release **out, repro_error *err);

/** Formats @p epoch as RFC 3339 UTC ("2024-12-01T10:00:00Z") into @p out (32 bytes). */
void repro_build_format_time(int64_t epoch, char out[32]);

#ifdef __cplusplus
}
#endif

#endif

/**
 * @file reprocheck/recipe.h
 * @brief The build recipe, `reprocheck.json`: strict parsing, validation,
 *        and the check that every copy source stays inside the build tree.
 *
 * Parsing is strict: `schemaVersion` must be 1, an unknown key is rejected
 * with its full path ("unknown key 'images[1].layers[0].copy[2].form'"), and
 * every error names the key path of the value it rejects. docs/RECIPE.md
 * documents every key.
 *
 * Ownership: a repro_recipe and everything reachable from it (strings,
 * arrays, nested structs) is allocated by the library and released with one
 * call to repro_recipe_free(). Callers read the structs but do not modify
 * or free their members.
 */
#ifndef REPROCHECK_RECIPE_H
#define REPROCHECK_RECIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <reprocheck/digest.h>
#include <reprocheck/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum size of a recipe file in bytes. */
#define REPRO_RECIPE_MAX_BYTES ((size_t)1024 * 1024)
/** Maximum number of images in a recipe. */
#define REPRO_RECIPE_MAX_IMAGES 256
/** Maximum number of build steps, of layers, of copies in one layer, of
 *  arguments in one step and of members in one object or array. */
#define REPRO_RECIPE_MAX_STEPS 256
#define REPRO_RECIPE_MAX_LAYERS 256
#define REPRO_RECIPE_MAX_COPIES 4096
#define REPRO_RECIPE_MAX_ITEMS 4096
/** Maximum length of an image name. */
#define REPRO_RECIPE_MAX_NAME 128
/** Maximum length of a path (`from`, `to`, `layout`) and of a reference. */
#define REPRO_RECIPE_MAX_PATH 4096
#define REPRO_RECIPE_MAX_REFERENCE 512
/** Default and maximum build step timeout, in seconds. */
#define REPRO_RECIPE_DEFAULT_TIMEOUT 600
#define REPRO_RECIPE_MAX_TIMEOUT 86400
/** Largest SOURCE_DATE_EPOCH: 9999-12-31T23:59:59Z, the last second that an
 *  RFC 3339 `created` timestamp can hold. */
#define REPRO_RECIPE_MAX_EPOCH INT64_C(253402300799)
/** Maximum number of symbolic links followed while resolving one `from`. */
#define REPRO_RECIPE_MAX_SYMLINKS 40

/** A list of strings, such as a step's argv or a config's Entrypoint. */
typedef struct repro_recipe_strings {
	char **items;
	size_t count;
	bool present;  /**< the key was in the recipe, even if its array is empty */
} repro_recipe_strings;

/** A name and value, such as an environment variable, label or annotation. */
typedef struct repro_recipe_pair {
	char *name;
	char *value;
} repro_recipe_pair;

/** Name-value pairs in the order the recipe lists them. */
typedef struct repro_recipe_pairs {
	repro_recipe_pair *items;
	size_t count;
	bool present;
} repro_recipe_pairs;

/** One build step, run in the sandbox in the build tree. */
typedef struct repro_recipe_step {
	repro_recipe_strings run;      /**< argv, at least one element, the first non-empty */
	repro_recipe_pairs env;        /**< added to the sandbox's fixed environment */
	unsigned int timeout_seconds;  /**< 1 to REPRO_RECIPE_MAX_TIMEOUT, default 600 */
} repro_recipe_step;

/** One `copy` entry of a layer. */
typedef struct repro_recipe_copy {
	char *from;           /**< as written: relative to the build tree, may end in '/' */
	char *to;             /**< as written: absolute in the image, may end in '/' */
	bool copy_contents;   /**< `from` ends in '/': copy the directory's contents */
	bool into_directory;  /**< `to` ends in '/' or is "/" */
	bool has_mode;        /**< `mode` was given; otherwise modes are normalised */
	unsigned int mode;    /**< permission bits, 0 to 07777 */
	uint32_t uid;         /**< 0 to 2^31-1, default 0 */
	uint32_t gid;         /**< 0 to 2^31-1, default 0 */
} repro_recipe_copy;

/** One layer: the copies that make it, applied in order. */
typedef struct repro_recipe_layer {
	repro_recipe_copy *copies;
	size_t copy_count;
} repro_recipe_layer;

/** The OCI config keys a recipe may set. Absent keys have present false or
 *  a NULL string. ExposedPorts and Volumes are sets, kept as their keys. */
typedef struct repro_recipe_config {
	repro_recipe_strings entrypoint;
	repro_recipe_strings cmd;
	repro_recipe_strings env;            /**< "NAME=value" entries */
	char *user;
	char *working_dir;
	repro_recipe_pairs labels;
	repro_recipe_strings exposed_ports;  /**< "PORT/PROTOCOL" or "PORT" */
	repro_recipe_strings volumes;        /**< absolute paths */
	char *stop_signal;
} repro_recipe_config;

/** The starting point of an image: nothing, or an image in an OCI layout in the repository. */
typedef enum repro_recipe_base_kind {
	REPRO_RECIPE_BASE_SCRATCH = 0,
	REPRO_RECIPE_BASE_LAYOUT = 1
} repro_recipe_base_kind;

/** The base image. `layout` and `digest` are set only for REPRO_RECIPE_BASE_LAYOUT. */
typedef struct repro_recipe_base {
	repro_recipe_base_kind kind;
	char *layout;         /**< relative path of an OCI layout in the repository */
	repro_digest digest;  /**< the manifest to start from */
} repro_recipe_base;

/** One image to build. */
typedef struct repro_recipe_image {
	char *name;       /**< unique in the recipe, [a-z0-9][a-z0-9._-]* */
	char *reference;  /**< repository to publish to, without tag or digest; NULL if absent */
	char *platform;   /**< OS/ARCH[/VARIANT], default "linux/amd64" */
	repro_recipe_base base;
	repro_recipe_step *steps;
	size_t step_count;
	repro_recipe_layer *layers;
	size_t layer_count;
	repro_recipe_config config;
	repro_recipe_pairs annotations;
} repro_recipe_image;

/** A parsed recipe. */
typedef struct repro_recipe {
	bool has_source_date_epoch;
	int64_t source_date_epoch;  /**< 0 to REPRO_RECIPE_MAX_EPOCH */
	repro_recipe_image *images;
	size_t image_count;         /**< at least 1 */
} repro_recipe;

/**
 * Parses and validates @p size bytes of `reprocheck.json` into a new recipe
 * stored in @p out, which the caller releases with repro_recipe_free().
 * Errors are REPRO_EFORMAT (malformed JSON, an unknown key, a missing key or
 * a value that breaks a rule), REPRO_EUNSUPPORTED (another schemaVersion),
 * REPRO_ELIMIT (a size or count limit) and REPRO_EUNSAFE (a path with `..`
 * or an absolute `from`). On failure @p out is NULL.
 */
int repro_recipe_parse(repro_recipe **out, const void *bytes, size_t size, repro_error *err);

/**
 * Reads the file at @p path, at most REPRO_RECIPE_MAX_BYTES, and parses it
 * like repro_recipe_parse(). Messages start with "recipe 'PATH': ".
 */
int repro_recipe_load(repro_recipe **out, const char *path, repro_error *err);

/** Releases @p recipe and everything it owns. Safe on NULL. */
void repro_recipe_free(repro_recipe *recipe);

/**
 * Returns the image named @p name, or NULL when the recipe has none. The
 * image belongs to @p recipe.
 */
const repro_recipe_image *repro_recipe_find_image(const repro_recipe *recipe, const char *name);

/**
 * Opens the copy source @p from below the directory @p tree_fd without
 * leaving it. Components are resolved one at a time with O_NOFOLLOW. A
 * symbolic link is followed only when its target is relative and stays
 * inside the tree; an absolute target or one that climbs out through `..`
 * is REPRO_EUNSAFE. A missing source is REPRO_ENOTFOUND. The source must be
 * a regular file or a directory, and a directory when @p from ends in '/'.
 * On success @p out receives a read-only descriptor the caller closes.
 */
int repro_recipe_open_source(int tree_fd, const char *from, int *out, repro_error *err);

/**
 * Checks every `from` of every image with repro_recipe_open_source() in the
 * checked-out build tree at @p build_tree. The first failure is returned
 * with the key path in front, such as
 * "'images[0].layers[1].copy[0].from': source 'link/x' leaves the build tree: ...".
 */
int repro_recipe_check_sources(const repro_recipe *recipe, const char *build_tree,
                               repro_error *err);

#ifdef __cplusplus
}
#endif

#endif

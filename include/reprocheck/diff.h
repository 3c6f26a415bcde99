/**
 * @file reprocheck/diff.h
 * @brief Explaining every difference between two images: index, manifest
 *        and config fields, layer compression, and each file of each layer.
 *
 * The diff compares two platform images, each given as an open source and
 * one image that repro_source_resolve() returned for it:
 *
 * - the root indexes and the manifests: media types, platforms,
 *   descriptors and annotations, as a field-by-field JSON diff;
 * - the configs: a field-by-field JSON diff with JSON paths such as
 *   "config.Env[2]" or "history[3].created";
 * - the layers, matched by index: the same blob, the same diff_id in
 *   another compression (with the gzip header fields that differ), or
 *   other content, which is then compared file by file, matched by path;
 * - when the layer counts differ, the squashed file trees too, with
 *   whiteouts applied.
 *
 * Layers are streamed through repro_layer_read(), so memory grows with the
 * number of tar entries, never with their bytes. File contents are kept
 * only for small text files whose content differs: those are read again in
 * a second pass, within REPRO_DIFF_TEXT_MAX_BYTES per file and
 * REPRO_DIFF_TEXT_MAX_FILES files, to find the first differing line.
 *
 * Two layers whose descriptors carry the same digest are taken as equal and
 * not read; `reprocheck validate` checks that blobs match their digests.
 */
#ifndef REPROCHECK_DIFF_H
#define REPROCHECK_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <reprocheck/error.h>
#include <reprocheck/source.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest file whose contents the second pass reads to explain a difference. */
#define REPRO_DIFF_TEXT_MAX_BYTES ((uint64_t)64 * 1024)
/** Number of differing files whose contents the second pass reads at most. */
#define REPRO_DIFF_TEXT_MAX_FILES 64
/** Default number of differences stored; later ones are only counted. */
#define REPRO_DIFF_DEFAULT_MAX_DIFFERENCES 100000

/** The part of an image that a difference concerns. */
typedef enum repro_diff_category {
	REPRO_DIFF_INDEX,     /**< the root index, or the kind of root */
	REPRO_DIFF_MANIFEST,  /**< a manifest field or the layer count */
	REPRO_DIFF_CONFIG,    /**< a config field */
	REPRO_DIFF_LAYER,     /**< a layer blob: compression or diff_id */
	REPRO_DIFF_FILE       /**< a file in a layer or in the squashed tree */
} repro_diff_category;

/** Returns "index", "manifest", "config", "layer" or "file". */
const char *repro_diff_category_name(repro_diff_category category);

/** How much a difference matters; the result lists the lowest value first. */
typedef enum repro_diff_importance {
	REPRO_DIFF_CONTENT = 0,   /**< config values, file contents, types, link targets */
	REPRO_DIFF_METADATA = 1,  /**< time stamps, owners, modes, compression, tar format */
	REPRO_DIFF_ORDER = 2      /**< the order of entries in a layer */
} repro_diff_importance;

/** Returns "content", "metadata" or "order". */
const char *repro_diff_importance_name(repro_diff_importance importance);

/**
 * One difference. Every string is owned by the result. @p value_a or
 * @p value_b is NULL where that side has no such value (a file or key
 * that is absent).
 */
typedef struct repro_diff_item {
	repro_diff_category category;
	repro_diff_importance importance;
	char *object;   /**< "index", "manifest", "config", "layer 1", "squashed" */
	char *path;     /**< a JSON path or a file path, or NULL for the object itself */
	char *field;    /**< "value", "mtime", "gzip.os", "xattr.user.x", ... */
	char *value_a;
	char *value_b;
	char *hint;     /**< the likely cause and its fix, one line, or NULL */
} repro_diff_item;

/** The number of ignored differences under one --ignore name or path glob. */
typedef struct repro_diff_ignored {
	char *name;
	size_t count;
} repro_diff_ignored;

/** The outcome of repro_diff_run(). Free with repro_diff_result_free(). */
typedef struct repro_diff_result {
	repro_diff_item *items;       /**< differences that count, most important first */
	size_t item_count;
	size_t dropped_count;         /**< differences beyond max_differences, counted only */
	repro_diff_ignored *ignored;  /**< in the order of the names, then of the globs */
	size_t ignored_count;
	size_t ignored_total;
	bool squashed;                /**< the layer counts differ, so the squashed trees were compared */
	size_t unread_layers;         /**< layers with one digest in both images, taken as equal unread */
	size_t layer_count_a, layer_count_b;
} repro_diff_result;

/** Options of repro_diff_run(). Initialise with repro_diff_options_init(). */
typedef struct repro_diff_options {
	/** Ignore time stamps, history, file order, image names and tar format. */
	bool semantic;
	/** --ignore values: names of repro_diff_ignore_names() or path globs. Borrowed. */
	const char *const *ignore;
	size_t ignore_count;
	/** Differences stored at most; 0 takes REPRO_DIFF_DEFAULT_MAX_DIFFERENCES. */
	size_t max_differences;
	/** Per layer; 0 takes the layer reader's default. */
	uint64_t max_uncompressed_bytes;
	/** Read small differing text files again for their first differing line; default true. */
	bool explain_contents;
} repro_diff_options;

/** Fills @p options with the defaults. */
void repro_diff_options_init(repro_diff_options *options);

/**
 * Returns the NULL-ended list of names that --ignore accepts: mtime, atime,
 * ctime, birthtime, history, file-order, created, uid, gid, uname, gname,
 * mode, tar-format, annotations, compression and image-name. Static.
 */
const char *const *repro_diff_ignore_names(void);

/**
 * Checks one --ignore value. A value with '/', '*', '?', '[' or '.' is a
 * path glob (fnmatch(3), where '*' also matches '/'); any other value must
 * be a name of repro_diff_ignore_names(), else REPRO_EUSAGE naming it.
 */
int repro_diff_check_ignore(const char *value, repro_error *err);

/** One side of a diff: a source and one of its resolved images, both borrowed. */
typedef struct repro_diff_side {
	repro_source *source;
	const repro_resolved_image *image;
} repro_diff_side;

/**
 * Compares image @p a with image @p b. On success @p out contains every
 * difference found, sorted by importance and stable within one importance;
 * the caller frees it with repro_diff_result_free(). An empty item list
 * means that the images do not differ, apart from the ignored differences.
 * Fails, with @p out set to NULL, when a blob cannot be read or parsed
 * (the error names the side and the layer), or with REPRO_EUSAGE for an
 * invalid ignore value.
 */
int repro_diff_run(const repro_diff_side *a, const repro_diff_side *b,
                   const repro_diff_options *options, repro_diff_result **out,
                   repro_error *err);

/** Frees @p result and everything it owns. NULL is allowed. */
void repro_diff_result_free(repro_diff_result *result);

/**
 * Renders @p result as a table: one line per difference, a "hint:" line
 * under each difference that has one, then a summary line with the
 * ignored counts. @p out receives a malloc()ed NUL-terminated string that
 * the caller frees.
 */
int repro_diff_format_text(const repro_diff_result *result, char **out, repro_error *err);

/**
 * Builds the JSON object of @p result: "identical", "squashed", "layerCounts",
 * "differences" (category, importance, object, path, field, a, b, hint),
 * "ignored" (total and counts by name) and "dropped". The caller owns the
 * reference. docs/JSON-OUTPUT.md documents the shape.
 */
int repro_diff_to_json(const repro_diff_result *result, json_t **out, repro_error *err);

#ifdef __cplusplus
}
#endif

#endif

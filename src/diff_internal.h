/*
 * Internals of the diff: the collector that every comparison adds its
 * differences to, and the comparisons of each part of an image
 * (diff_json.c, diff_layers.c, diff_files.c, diff_hints.c).
 */
#ifndef REPROCHECK_DIFF_INTERNAL_H
#define REPROCHECK_DIFF_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <reprocheck/diff.h>
#include <reprocheck/layer.h>

/* Ignore classes: each difference that --ignore can drop belongs to one. */
typedef enum diff_class {
	DIFF_CLASS_NONE = -1,
	DIFF_CLASS_MTIME = 0,
	DIFF_CLASS_ATIME,
	DIFF_CLASS_CTIME,
	DIFF_CLASS_BIRTHTIME,
	DIFF_CLASS_HISTORY,
	DIFF_CLASS_FILE_ORDER,
	DIFF_CLASS_CREATED,
	DIFF_CLASS_UID,
	DIFF_CLASS_GID,
	DIFF_CLASS_UNAME,
	DIFF_CLASS_GNAME,
	DIFF_CLASS_MODE,
	DIFF_CLASS_TAR_FORMAT,
	DIFF_CLASS_ANNOTATIONS,
	DIFF_CLASS_COMPRESSION,
	DIFF_CLASS_IMAGE_NAME,
	DIFF_CLASS_COUNT
} diff_class;

/* A request to read two small files again and explain how they differ. */
typedef struct diff_text_request {
	size_t item;        /* index into the collector's items */
	size_t layer[2];    /* layer index on side A and side B */
	char *path;         /* clean path, owned */
} diff_text_request;

/* The state of one repro_diff_run(). */
typedef struct diff_context {
	const repro_diff_side *side[2];
	repro_diff_options options;
	bool ignore_class[DIFF_CLASS_COUNT];
	const char **globs;               /* the --ignore values that are globs, borrowed */
	size_t glob_count;
	size_t class_counts[DIFF_CLASS_COUNT];
	size_t *glob_counts;

	repro_diff_result *result;
	size_t item_capacity;
	size_t found;                     /* every difference found, ignored ones too */

	bool has_created[2];
	int64_t created[2];               /* config "created", seconds since the epoch */

	diff_text_request *requests;
	size_t request_count;
} diff_context;

/* One difference as a comparison reports it; strings are borrowed. */
typedef struct diff_spec {
	repro_diff_category category;
	repro_diff_importance importance;
	diff_class ignore_class;
	const char *object;
	const char *path;
	const char *field;
	const char *value_a;
	const char *value_b;
	const char *hint;
	bool path_is_file;                /* path globs apply to it */
} diff_spec;

/*
 * Records @p spec: counted as ignored when its class or path is ignored,
 * else copied into the result. @p index, when not NULL, receives the
 * item's index, or SIZE_MAX when the difference was not stored.
 */
int diff_add(diff_context *context, const diff_spec *spec, size_t *index, repro_error *err);

/* Sets the hint of a stored item, replacing any hint it had. */
int diff_set_hint(diff_context *context, size_t index, const char *hint, repro_error *err);

/* Compares two JSON trees of @p category below @p object. */
typedef enum diff_json_kind {
	DIFF_JSON_INDEX,
	DIFF_JSON_MANIFEST,
	DIFF_JSON_CONFIG
} diff_json_kind;

/*
 * Adds a difference for each value that differs between @p a and @p b,
 * with its JSON path. Descriptor digests and sizes of manifests and
 * indexes, and config diff_ids below @p shared_layers, are skipped,
 * because the layer comparison explains them.
 */
int diff_json_documents(diff_context *context, diff_json_kind kind, const char *object,
                        json_t *a, json_t *b, size_t shared_layers,
                        repro_error *err);

/* Compares the layers of both images, by index, and squashed when their counts differ. */
int diff_layers(diff_context *context, repro_error *err);

/* A file entry and the layer it came from. */
typedef struct diff_entry_ref {
	const repro_layer_entry *entry;
	size_t layer;
} diff_entry_ref;

/* Sorts @p refs by clean path, then by layer and archive position. */
void diff_sort_refs(diff_entry_ref *refs, size_t count);

/*
 * Compares two sorted lists of entries, named @p object in the
 * differences. With @p check_order the archive order of the paths common to
 * both is compared too. @p found receives the number of differences found.
 */
int diff_entries(diff_context *context, const char *object, const diff_entry_ref *a,
                 size_t count_a, const diff_entry_ref *b, size_t count_b, bool check_order,
                 size_t *found, repro_error *err);

/* Hints. Each returns a static string or NULL. */
const char *diff_hint_gzip(const char *field);
const char *diff_hint_time_record(const char *field);

/* Writes the mtime hint for @p seconds of A and B into @p out, or returns false. */
bool diff_hint_mtime(const diff_context *context, const repro_layer_time *a,
                     const repro_layer_time *b, bool whiteout, char *out, size_t size);

/* Queues the contents of two differing files for the second pass. */
int diff_request_text(diff_context *context, size_t item, size_t layer_a, size_t layer_b,
                      const char *path, repro_error *err);

/* Runs the second pass over the queued files and sets their hints. */
int diff_explain_texts(diff_context *context, repro_error *err);

/* Parses an RFC 3339 time into seconds since the epoch. */
bool diff_parse_rfc3339(const char *text, int64_t *out);

/* Formats @p time as RFC 3339 UTC, with nanoseconds when it has them. */
void diff_format_time(const repro_layer_time *time, char *out, size_t size);

/* Returns @p path without "./", "/", empty or "." parts, as a new string. */
char *diff_clean_path(const char *path);

#endif

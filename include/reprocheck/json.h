/**
 * @file reprocheck/json.h
 * @brief Strict JSON parsing and writing on top of jansson.
 *
 * Parsing rejects duplicate object keys, NUL characters in strings, trailing
 * data, documents larger than a size limit and nesting deeper than a depth
 * limit. The exact input bytes are kept beside the tree (repro_json_doc),
 * because digests are always computed over bytes as read, never over
 * re-serialised JSON.
 *
 * Writing is compact, keeps the insertion order of keys, and never escapes
 * '/' or non-ASCII characters, so the same tree always gives the same bytes.
 */
#ifndef REPROCHECK_JSON_H
#define REPROCHECK_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include <reprocheck/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default maximum document size: 4 MiB, the manifest limit registries apply. */
#define REPRO_JSON_DEFAULT_MAX_BYTES ((size_t)4 * 1024 * 1024)
/** Default maximum nesting depth of arrays and objects. */
#define REPRO_JSON_DEFAULT_MAX_DEPTH 64

/** Parsing limits; a zero field takes the default. */
typedef struct repro_json_limits {
	size_t max_bytes;
	unsigned int max_depth;
} repro_json_limits;

/**
 * Parses @p size bytes of JSON into a new tree stored in @p out.
 * @p what names the document in error messages ("manifest sha256:...").
 * @p limits may be NULL for the defaults. The caller releases the tree
 * with json_decref(). Errors are REPRO_EFORMAT or REPRO_ELIMIT.
 */
int repro_json_parse(json_t **out, const void *data, size_t size, const char *what,
                     const repro_json_limits *limits, repro_error *err);

/** A parsed document and the exact bytes it came from. */
typedef struct repro_json_doc {
	unsigned char *bytes;  /**< owned copy of the input, NUL-terminated */
	size_t size;           /**< length of the input, without the NUL */
	json_t *root;          /**< owned tree */
} repro_json_doc;

/**
 * Copies @p size bytes into a new document and parses them. On success the
 * caller releases @p out with repro_json_doc_dispose(); on failure @p out
 * is left zeroed.
 */
int repro_json_doc_parse(repro_json_doc *out, const void *data, size_t size, const char *what,
                         const repro_json_limits *limits, repro_error *err);

/**
 * Like repro_json_doc_parse() but takes ownership of @p data, which must
 * have been allocated with malloc() and hold @p size + 1 bytes. It is freed
 * on failure too.
 */
int repro_json_doc_adopt(repro_json_doc *out, unsigned char *data, size_t size, const char *what,
                         const repro_json_limits *limits, repro_error *err);

/** Releases the bytes and tree of @p doc and zeroes it. Safe on a zeroed doc. */
void repro_json_doc_dispose(repro_json_doc *doc);

/**
 * Serialises @p value compactly with keys in insertion order. On success
 * @p out holds a malloc()ed, NUL-terminated buffer the caller frees, and
 * @p size its length without the NUL.
 */
int repro_json_dump(const json_t *value, char **out, size_t *size, repro_error *err);

/**
 * Serialises @p value with 2-space indentation, keys in insertion order and
 * a final newline, for files that people read and commit. The same tree
 * always gives the same bytes. @p out and @p size are as for
 * repro_json_dump(): the caller frees @p out.
 */
int repro_json_dump_pretty(const json_t *value, char **out, size_t *size, repro_error *err);

/** Returns the JSON type name of @p value for messages: "string", "object", ... */
const char *repro_json_type_name(const json_t *value);

/**
 * Checks that every key of @p object is listed in @p allowed, a NULL-ended
 * array. An unknown key is REPRO_EFORMAT with its full path, such as
 * "unknown key 'images[0].nmae'", so that a typo never weakens a check.
 * @p path is the object's own path, or "" for the root.
 */
int repro_json_check_keys(json_t *object, const char *path, const char *const allowed[],
                          repro_error *err);

/**
 * Typed member access for schema checks. Each looks up @p key in
 * @p object, whose path is @p path. A missing member is REPRO_EFORMAT when
 * @p required, otherwise the result is REPRO_OK and @p out is set to NULL
 * (or left unchanged for the scalar forms, with @p found false). A member of
 * the wrong type is REPRO_EFORMAT naming its path and both types.
 */
int repro_json_get_string(const json_t *object, const char *key, const char *path, bool required,
                          const char **out, repro_error *err);
int repro_json_get_object(const json_t *object, const char *key, const char *path, bool required,
                          json_t **out, repro_error *err);
int repro_json_get_array(const json_t *object, const char *key, const char *path, bool required,
                         json_t **out, repro_error *err);
int repro_json_get_integer(const json_t *object, const char *key, const char *path, bool required,
                           json_int_t *out, bool *found, repro_error *err);
int repro_json_get_bool(const json_t *object, const char *key, const char *path, bool required,
                        bool *out, bool *found, repro_error *err);

/** Maximum length of a key path built by the helpers below. */
#define REPRO_JSON_PATH_MAX 512

/** Writes "@p parent.@p key" (or @p key alone at the root) into @p out. */
void repro_json_path_key(char out[REPRO_JSON_PATH_MAX], const char *parent, const char *key);

/** Writes "@p parent[@p index]" into @p out. */
void repro_json_path_index(char out[REPRO_JSON_PATH_MAX], const char *parent, size_t index);

#ifdef __cplusplus
}
#endif

#endif

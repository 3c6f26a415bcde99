/**
 * @file reprocheck/digestlist.h
 * @brief The digest list, `reprocheck-digests.json`: the published digests
 *        of every released tag, read strictly and written byte-stably.
 *
 * Two forms are read. The JSON form has `schemaVersion` 1 and one entry per
 * release; unknown keys are rejected with their key path. The plain-text
 * form has one image a line, `NAME-OR-REFERENCE@DIGEST` or `NAME DIGEST`,
 * with `#` comments. It pins manifest digests only, so it is represented as
 * a single release whose tag and commit are NULL. The first non-space byte
 * decides the form: '{' means JSON. docs/DIGEST-LIST.md documents both.
 *
 * Writing produces the JSON form with 2-space indentation, keys in a fixed
 * order and a final newline, so the same list always gives the same bytes.
 *
 * Ownership: every struct below, with all strings and arrays reachable from
 * it, is malloc()ed. A list owns its releases and is released with
 * repro_digestlist_free(); a release that no list owns is released with
 * repro_digestlist_release_free(). Callers that build a release by hand
 * allocate its members with malloc()/calloc()/strdup() for the same reason.
 */
#ifndef REPROCHECK_DIGESTLIST_H
#define REPROCHECK_DIGESTLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <reprocheck/digest.h>
#include <reprocheck/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum size of a digest list file in bytes. */
#define REPRO_DIGESTLIST_MAX_BYTES ((size_t)16 * 1024 * 1024)
/** Maximum number of releases, of images in one release, of platforms in
 *  one image and of layers in one platform. */
#define REPRO_DIGESTLIST_MAX_RELEASES 100000
#define REPRO_DIGESTLIST_MAX_IMAGES 1024
#define REPRO_DIGESTLIST_MAX_PLATFORMS 64
#define REPRO_DIGESTLIST_MAX_LAYERS 1024
/** Maximum length of a tag, of an image name or reference, and of one
 *  line of the plain-text form. */
#define REPRO_DIGESTLIST_MAX_TAG 255
#define REPRO_DIGESTLIST_MAX_REFERENCE 512
#define REPRO_DIGESTLIST_MAX_LINE 4096
/** Largest sourceDateEpoch: 9999-12-31T23:59:59Z. */
#define REPRO_DIGESTLIST_MAX_EPOCH INT64_C(253402300799)

/** One layer of a platform manifest. */
typedef struct repro_digestlist_layer {
	char *media_type;
	repro_digest digest;   /**< digest of the blob as stored */
	repro_digest diff_id;  /**< digest of the uncompressed tar */
	uint64_t size;         /**< blob size in bytes */
} repro_digestlist_layer;

/** One platform of an image: its manifest, config and layers. */
typedef struct repro_digestlist_platform {
	char *platform;         /**< OS/ARCH[/VARIANT]; NULL in the plain-text form */
	repro_digest manifest;
	bool has_config;        /**< false in the plain-text form, true in JSON */
	repro_digest config;
	repro_digestlist_layer *layers;
	size_t layer_count;
} repro_digestlist_platform;

/** One image of a release. */
typedef struct repro_digestlist_image {
	char *name;       /**< the recipe's image name, or in plain text what the line names */
	char *reference;  /**< where it was published; NULL if absent */
	bool has_index;   /**< the image was published as a multi-platform index */
	repro_digest index;
	repro_digestlist_platform *platforms;
	size_t platform_count;  /**< at least 1 */
} repro_digestlist_image;

/** The digests published for one tag. */
typedef struct repro_digestlist_release {
	char *tag;      /**< NULL in the plain-text form */
	char *commit;   /**< 40 lower-case hex digits; NULL in the plain-text form */
	bool has_source_date_epoch;  /**< always true in JSON */
	int64_t source_date_epoch;
	repro_digestlist_image *images;
	size_t image_count;  /**< at least 1 */
} repro_digestlist_release;

/** A digest list: releases in file order. */
typedef struct repro_digestlist {
	char *name;        /**< the file name used in messages */
	bool plain_text;   /**< read from the plain-text form: one release, no tag */
	repro_digestlist_release **releases;
	size_t release_count;
} repro_digestlist;

/** Kind of object a digest found by repro_digestlist_find_digest() names. */
typedef enum repro_digestlist_kind {
	REPRO_DIGESTLIST_INDEX = 0,
	REPRO_DIGESTLIST_MANIFEST = 1,
	REPRO_DIGESTLIST_CONFIG = 2
} repro_digestlist_kind;

/** Location of a digest in a list. The pointers point into the list. */
typedef struct repro_digestlist_match {
	const repro_digestlist_release *release;
	const repro_digestlist_image *image;
	const repro_digestlist_platform *platform;  /**< NULL for REPRO_DIGESTLIST_INDEX */
	repro_digestlist_kind kind;
} repro_digestlist_match;

/**
 * Creates an empty JSON digest list named @p name for messages, for a
 * repository that has none yet. The caller releases it with
 * repro_digestlist_free().
 */
int repro_digestlist_new(repro_digestlist **out, const char *name, repro_error *err);

/**
 * Parses @p size bytes of either form into a new list that the caller
 * releases with repro_digestlist_free(). @p name_for_messages names the
 * list in errors, such as "digest list 'NAME': unknown key
 * 'releases[0].images[0].platfroms'" or "digest list 'NAME', line 3:
 * ...". Errors are REPRO_EFORMAT, REPRO_EUNSUPPORTED (another schemaVersion
 * or digest algorithm) and REPRO_ELIMIT. On failure @p out is NULL.
 */
int repro_digestlist_parse(repro_digestlist **out, const void *bytes, size_t size,
                           const char *name_for_messages, repro_error *err);

/**
 * Reads the file at @p path, at most REPRO_DIGESTLIST_MAX_BYTES, and parses
 * it with the path as its name. A missing file is REPRO_ENOTFOUND.
 */
int repro_digestlist_load(repro_digestlist **out, const char *path, repro_error *err);

/** Releases @p list and every release it owns. Safe on NULL. */
void repro_digestlist_free(repro_digestlist *list);

/** Releases @p release and everything it owns. Safe on NULL. */
void repro_digestlist_release_free(repro_digestlist_release *release);

/**
 * Writes the JSON form of @p list into a new NUL-terminated buffer that the
 * caller frees; @p size receives its length without the NUL. A list read
 * from the plain-text form is REPRO_EUNSUPPORTED, because it has no tags.
 */
int repro_digestlist_serialize(const repro_digestlist *list, char **out, size_t *size,
                               repro_error *err);

/**
 * Adds @p release to @p list, or replaces the entry with the same tag in
 * place, keeping every other entry and its order; a new tag is appended.
 * The release is checked with the same rules as a parsed one. Ownership of
 * @p release moves to the list on success; on failure the caller keeps it.
 */
int repro_digestlist_put_release(repro_digestlist *list, repro_digestlist_release *release,
                                 repro_error *err);

/**
 * Serialises @p list and writes it to @p path atomically with mode 0644:
 * readers see the old file or the new one, never a part.
 */
int repro_digestlist_save(const repro_digestlist *list, const char *path, repro_error *err);

/**
 * Stores in @p out the release tagged @p tag. A plain-text list has one
 * release without a tag, which matches every @p tag. A missing tag is
 * REPRO_ENOTFOUND: "digest list 'F' has no entry for tag 'v1.2.3'; tags
 * present: v1.0.0, v1.1.0". The release belongs to @p list.
 */
int repro_digestlist_find_release(const repro_digestlist *list, const char *tag,
                                  const repro_digestlist_release **out, repro_error *err);

/**
 * Stores in @p out the image named @p name in @p release, or
 * REPRO_ENOTFOUND naming the images present. The image belongs to the
 * release.
 */
int repro_digestlist_find_image(const repro_digestlist_release *release, const char *name,
                                const repro_digestlist_image **out, repro_error *err);

/**
 * Finds the first release, image and platform, in file order, whose index,
 * manifest or config digest equals @p digest. With @p tag not NULL only the
 * release that repro_digestlist_find_release() returns is searched. No
 * match is REPRO_ENOTFOUND.
 */
int repro_digestlist_find_digest(const repro_digestlist *list, const char *tag,
                                 const repro_digest *digest, repro_digestlist_match *out,
                                 repro_error *err);

#ifdef __cplusplus
}
#endif

#endif

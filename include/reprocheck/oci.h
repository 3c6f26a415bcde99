/**
 * @file reprocheck/oci.h
 * @brief The OCI and Docker image data model: media types, platforms,
 *        descriptors, manifests, indexes and configs, parsed strictly from
 *        exact bytes, and writers for manifests, indexes and configs.
 *
 * Every parsed document keeps the bytes it was parsed from and the digest of
 * those bytes, so a digest is never computed over re-serialised JSON.
 * Unknown keys are allowed in these documents, as the OCI image
 * specification requires; only the types of known keys are checked.
 */
#ifndef REPROCHECK_OCI_H
#define REPROCHECK_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <reprocheck/digest.h>
#include <reprocheck/error.h>
#include <reprocheck/json.h>

#ifdef __cplusplus
extern "C" {
#endif

/* OCI image specification media types. */
#define REPRO_MEDIA_TYPE_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define REPRO_MEDIA_TYPE_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define REPRO_MEDIA_TYPE_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define REPRO_MEDIA_TYPE_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define REPRO_MEDIA_TYPE_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define REPRO_MEDIA_TYPE_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define REPRO_MEDIA_TYPE_OCI_LAYER_NONDIST "application/vnd.oci.image.layer.nondistributable.v1.tar"
#define REPRO_MEDIA_TYPE_OCI_LAYER_NONDIST_GZIP \
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define REPRO_MEDIA_TYPE_OCI_LAYER_NONDIST_ZSTD \
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"

/* Docker image manifest v2 schema 2 media types. */
#define REPRO_MEDIA_TYPE_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define REPRO_MEDIA_TYPE_DOCKER_MANIFEST_LIST \
	"application/vnd.docker.distribution.manifest.list.v2+json"
#define REPRO_MEDIA_TYPE_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define REPRO_MEDIA_TYPE_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define REPRO_MEDIA_TYPE_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define REPRO_MEDIA_TYPE_DOCKER_FOREIGN_LAYER_GZIP \
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/** The annotation that names a tag in an OCI layout's index.json. */
#define REPRO_ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"

/** Size limits for documents, the defaults that sources apply. */
#define REPRO_OCI_MAX_MANIFEST_BYTES ((size_t)4 * 1024 * 1024)
#define REPRO_OCI_MAX_CONFIG_BYTES ((size_t)8 * 1024 * 1024)

/** Compression of a layer blob. */
#ifndef REPRO_COMPRESSION_DEFINED
#define REPRO_COMPRESSION_DEFINED
typedef enum repro_compression {
	REPRO_COMPRESSION_NONE = 0,
	REPRO_COMPRESSION_GZIP = 1,
	REPRO_COMPRESSION_ZSTD = 2
} repro_compression;
#endif

/** Kind of object that a media type describes. */
typedef enum repro_oci_kind {
	REPRO_OCI_KIND_UNKNOWN = 0,
	REPRO_OCI_KIND_MANIFEST,
	REPRO_OCI_KIND_INDEX,
	REPRO_OCI_KIND_CONFIG,
	REPRO_OCI_KIND_LAYER
} repro_oci_kind;

/**
 * Classifies a layer media type by its compression. Every OCI layer type
 * (also nondistributable), the Docker layer types and the Docker foreign
 * layer type are known. Anything else, NULL included, is REPRO_EUNSUPPORTED
 * naming the media type.
 */
int repro_media_type_compression(const char *media_type, repro_compression *out,
                                 repro_error *err);

/** Returns the kind of @p media_type, or REPRO_OCI_KIND_UNKNOWN (also for NULL). */
repro_oci_kind repro_media_type_kind(const char *media_type);

/** Returns true for the Docker schema 2 manifest, manifest list, config and layer types. */
bool repro_media_type_is_docker(const char *media_type);

/**
 * A platform. Strings are owned by the struct and freed by
 * repro_platform_dispose(); a NULL field is absent. A zeroed struct is an
 * empty platform.
 */
typedef struct repro_platform {
	char *os;
	char *architecture;
	char *variant;     /**< NULL when absent */
	char *os_version;  /**< "os.version", NULL when absent */
	char **os_features;  /**< "os.features", owned strings */
	size_t os_feature_count;
} repro_platform;

/**
 * Parses "OS/ARCH[/VARIANT]" into @p out, as given (see
 * repro_platform_normalize()). Each part must be non-empty and made of
 * lower-case letters, digits, '.', '_' and '-'. On success the caller
 * disposes @p out; on failure it is left zeroed. Errors are REPRO_EUSAGE.
 */
int repro_platform_parse(repro_platform *out, const char *text, repro_error *err);

/**
 * Parses a "platform" object of an index entry, whose JSON path is @p path,
 * into @p out. os and architecture are required strings. On success the
 * caller disposes @p out. Errors are REPRO_EFORMAT naming the path.
 */
int repro_platform_from_json(repro_platform *out, const json_t *value, const char *path,
                             repro_error *err);

/**
 * Normalises @p platform in place. Architecture x86_64 and x86-64 become
 * amd64, and amd64 variant v1 is dropped. aarch64 becomes arm64, and arm64
 * without a variant gets v8. armhf becomes arm/v7, armel arm/v6, and arm
 * without a variant gets v7. i386, i486, i586 and i686 become 386. A bare
 * variant number such as "8" gets its "v". The os is lower-cased and macos
 * becomes darwin.
 */
int repro_platform_normalize(repro_platform *platform, repro_error *err);

/**
 * Writes "os/architecture[/variant]" into @p out, a buffer of @p size
 * bytes, cutting it if needed. Absent parts are written as "unknown".
 */
void repro_platform_format(const repro_platform *platform, char *out, size_t size);

/**
 * Returns true when @p candidate (an index entry or a config) satisfies
 * the request @p wanted. Both are compared normalised. os and architecture
 * must be equal. A variant in @p wanted must equal the candidate's; a
 * request without variant matches any. os.version and os.features are
 * not compared.
 */
bool repro_platform_match(const repro_platform *wanted, const repro_platform *candidate);

/** Deep-copies @p source into @p out, which the caller disposes. */
int repro_platform_copy(repro_platform *out, const repro_platform *source, repro_error *err);

/** Frees the strings of @p platform and zeroes it. Safe on a zeroed struct. */
void repro_platform_dispose(repro_platform *platform);

/**
 * A content descriptor. Every pointer is owned by the struct and released
 * by repro_descriptor_dispose(): the strings, and one reference each to the
 * JSON values.
 */
typedef struct repro_descriptor {
	char *media_type;
	repro_digest digest;
	int64_t size;
	bool has_platform;
	repro_platform platform;  /**< valid when has_platform */
	json_t *annotations;      /**< object of strings, or NULL */
	char *artifact_type;      /**< NULL when absent */
	json_t *urls;             /**< array of strings, or NULL */
} repro_descriptor;

/**
 * Parses the descriptor @p value, whose JSON path is @p path (such as
 * "layers[2]"), into @p out. mediaType, digest and size are required;
 * size must not be negative; the digest must be sha256 or sha512.
 * Messages name the member's path, such as "layers[2].digest: ...".
 * On success the caller disposes @p out; on failure it is left zeroed.
 */
int repro_descriptor_parse(repro_descriptor *out, const json_t *value, const char *path,
                           repro_error *err);

/**
 * Fills @p out with a descriptor of @p media_type for @p size bytes with
 * @p digest and no optional members. The caller disposes @p out.
 */
int repro_descriptor_init(repro_descriptor *out, const char *media_type,
                          const repro_digest *digest, int64_t size, repro_error *err);

/** Deep-copies @p source into @p out, which the caller disposes. */
int repro_descriptor_copy(repro_descriptor *out, const repro_descriptor *source,
                          repro_error *err);

/** Releases everything @p descriptor owns and zeroes it. Safe on a zeroed struct. */
void repro_descriptor_dispose(repro_descriptor *descriptor);

/** Returns the annotation @p key of @p descriptor, borrowed, or NULL. */
const char *repro_descriptor_annotation(const repro_descriptor *descriptor, const char *key);

/**
 * Returns true when @p descriptor is an attestation, not an image: its
 * platform is unknown/unknown, or its annotation
 * vnd.docker.reference.type is "attestation-manifest". Resolution skips
 * these entries.
 */
bool repro_descriptor_is_attestation(const repro_descriptor *descriptor);

/**
 * Builds the JSON object of @p descriptor with keys in the order mediaType,
 * digest, size, urls, annotations, platform, artifactType, and platform keys
 * in the order architecture, os, os.version, os.features, variant. The
 * caller owns the reference.
 */
int repro_descriptor_to_json(const repro_descriptor *descriptor, json_t **out,
                             repro_error *err);

/** An image manifest: OCI image manifest or Docker schema 2. */
typedef struct repro_manifest {
	repro_json_doc doc;         /**< the exact bytes and their tree */
	repro_digest digest;        /**< digest of doc.bytes */
	const char *media_type;     /**< static string: the OCI or Docker manifest type */
	repro_descriptor config;
	repro_descriptor *layers;
	size_t layer_count;
	bool has_subject;
	repro_descriptor subject;
	char *artifact_type;        /**< NULL when absent */
	json_t *annotations;        /**< borrowed from doc.root, or NULL */
} repro_manifest;

/** An index: OCI image index or Docker manifest list. */
typedef struct repro_index {
	repro_json_doc doc;
	repro_digest digest;
	const char *media_type;     /**< static string: the OCI index or Docker list type */
	repro_descriptor *manifests;
	size_t manifest_count;
	json_t *annotations;        /**< borrowed from doc.root, or NULL */
} repro_index;

/** An image config: OCI image config or Docker container image config. */
typedef struct repro_config {
	repro_json_doc doc;
	repro_digest digest;
	const char *media_type;     /**< static string: the OCI or Docker config type */
	repro_platform platform;    /**< architecture, os, variant, os.version, os.features */
	const char *created;        /**< borrowed from doc.root, or NULL */
	repro_digest *diff_ids;     /**< rootfs.diff_ids, in order */
	size_t diff_id_count;
	size_t history_count;       /**< entries of history, 0 when absent */
	size_t empty_layer_count;   /**< history entries with empty_layer true */
	json_t *config;             /**< the "config" object, borrowed, or NULL */
} repro_config;

/**
 * Parses @p size bytes as a manifest into a new object stored in @p out,
 * which the caller frees with repro_manifest_free(). The bytes are copied.
 * @p declared is the descriptor that led to the document, or NULL. When it is given, its media type must agree with
 * the document's own mediaType, the digest is computed with its algorithm,
 * and the digest and size must match it (REPRO_EMISMATCH otherwise).
 * Without it, the digest is sha256.
 */
int repro_manifest_parse(repro_manifest **out, const void *data, size_t size,
                         const repro_descriptor *declared, repro_error *err);

/** Frees @p manifest and everything it owns. NULL is allowed. */
void repro_manifest_free(repro_manifest *manifest);

/** Like repro_manifest_parse() for an index or manifest list; free with repro_index_free(). */
int repro_index_parse(repro_index **out, const void *data, size_t size,
                      const repro_descriptor *declared, repro_error *err);

/** Frees @p index and everything it owns. NULL is allowed. */
void repro_index_free(repro_index *index);

/**
 * Like repro_manifest_parse() for an image config; free it with
 * repro_config_free(). A config has no
 * mediaType of its own, so @p declared decides between OCI and Docker;
 * without it the config is taken as OCI. A declared media type that is not
 * an image config is REPRO_EUNSUPPORTED. rootfs.type must be "layers".
 */
int repro_config_parse(repro_config **out, const void *data, size_t size,
                       const repro_descriptor *declared, repro_error *err);

/** Frees @p config and everything it owns. NULL is allowed. */
void repro_config_free(repro_config *config);

/**
 * Detects whether the document @p root (named @p what in messages) is a
 * manifest or an index, from its own mediaType and @p declared_media_type
 * (either may be absent). When both are present they must name the same
 * type (REPRO_EINVALID naming both); when neither is, the presence of
 * "manifests" or "config" decides. @p media_type receives a static string.
 */
int repro_oci_detect_kind(const json_t *root, const char *declared_media_type, const char *what,
                          repro_oci_kind *kind, const char **media_type, repro_error *err);

/**
 * Writes an OCI image manifest, compact, with keys in the order
 * schemaVersion, mediaType, config, layers, annotations. @p annotations
 * may be NULL or empty, then the key is left out. @p out receives a
 * malloc()ed NUL-terminated buffer the caller frees.
 */
int repro_oci_manifest_write(const repro_descriptor *config, const repro_descriptor *layers,
                             size_t layer_count, const json_t *annotations, char **out,
                             size_t *size, repro_error *err);

/**
 * Writes an OCI image index with keys in the order schemaVersion,
 * mediaType, manifests, annotations. Like repro_oci_manifest_write().
 */
int repro_oci_index_write(const repro_descriptor *manifests, size_t manifest_count,
                          const json_t *annotations, char **out, size_t *size,
                          repro_error *err);

/** The parts of an image config that repro_oci_config_write() writes. */
typedef struct repro_config_spec {
	const char *created;            /**< RFC 3339, or NULL to leave out */
	const char *author;             /**< or NULL */
	const repro_platform *platform; /**< architecture, os, variant; required */
	const json_t *config;           /**< runtime config object written as given, or NULL */
	const repro_digest *diff_ids;
	size_t diff_id_count;
	const json_t *history;          /**< array written as given, or NULL */
} repro_config_spec;

/**
 * Writes an OCI image config with keys in the order created, author,
 * architecture, os, os.version, os.features, variant, config, rootfs
 * (type, diff_ids), history. Absent parts are left out. Like
 * repro_oci_manifest_write() for the output.
 */
int repro_oci_config_write(const repro_config_spec *spec, char **out, size_t *size,
                           repro_error *err);

#ifdef __cplusplus
}
#endif

#endif

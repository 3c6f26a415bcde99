/**
 * @file reprocheck/source.h
 * @brief Image sources: one reader interface for OCI layouts, OCI archives
 *        and docker-archive files, and the resolution of a source to its
 *        platform images.
 *
 * A source is opened from a spec string:
 *
 * - `oci:PATH[:REF]`: an OCI image layout directory; REF is an
 *   org.opencontainers.image.ref.name annotation in index.json, or a digest.
 * - `oci-archive:PATH[:REF]`: an uncompressed tar of an OCI image layout,
 *   read in place without extracting it.
 * - `docker-archive:PATH[:NAME:TAG]`: `docker save` output, in the legacy
 *   layout or the Docker 25+ layout that also holds an OCI layout.
 * - `docker://REFERENCE`, or a reference whose first component is a
 *   registry host (it contains '.' or ':', or is `localhost`) and that is
 *   not an existing path: a registry, read with the client of registry.h.
 * - a bare PATH: a directory with an oci-layout file, or a tar holding
 *   either archive form.
 *
 * Every blob read through a source is checked against its descriptor: the
 * size before and while reading, and for blobs read fully, the digest.
 * Layer streams are checked for size only, because the layer reader hashes
 * them in the same pass that reads their files.
 *
 * Typical use by a command:
 *
 *     repro_source_open(&source, spec, &err);
 *     repro_source_resolve(source, &selector, &images, &count, &err);
 *     for each image, for each images[i].manifest->layers[j]:
 *         repro_source_open_blob(source, &layers[j], &stream, &err);
 *         ... hand the stream to the layer reader, then repro_stream_close() ...
 *     repro_resolved_images_free(images, count);
 *     repro_source_free(source);
 *
 * A source is not thread-safe, but the streams it hands out may be read
 * while others are open. Streams must be closed before the source is freed.
 */
#ifndef REPROCHECK_SOURCE_H
#define REPROCHECK_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include <reprocheck/digest.h>
#include <reprocheck/error.h>
#include <reprocheck/oci.h>
#include <reprocheck/stream.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum nesting of indexes that resolution follows, the top-level index included. */
#define REPRO_SOURCE_MAX_INDEX_DEPTH 4

/** An open image source. */
typedef struct repro_source repro_source;

/**
 * Opens the source named by @p spec (see the file comment). A missing path
 * is REPRO_ENOTFOUND naming it; an unknown prefix is REPRO_EUSAGE listing
 * the valid ones; a directory without an oci-layout file, a malformed
 * index.json or manifest.json is REPRO_EFORMAT; a REF that is not found is
 * REPRO_ENOTFOUND listing the refs available. On success the caller frees
 * @p out with repro_source_free().
 */
int repro_source_open(repro_source **out, const char *spec, repro_error *err);

struct repro_registry_settings;

/** Settings for opening a source; zeroed, every field takes its default. */
typedef struct repro_source_options {
	/** Registry client settings for registry sources; NULL for the defaults
	 *  of repro_registry_settings_init(). Borrowed for the source's life. */
	const struct repro_registry_settings *registry;
} repro_source_options;

/**
 * Like repro_source_open(), with @p options (NULL for the defaults). A
 * registry source fails like the registry client: REPRO_ENOTFOUND for a
 * missing repository or tag, REPRO_EAUTH, REPRO_ENETWORK, REPRO_ETIMEOUT,
 * and REPRO_EMISMATCH when content differs from its digest.
 */
int repro_source_open_with(repro_source **out, const char *spec,
                           const repro_source_options *options, repro_error *err);

/** Closes the source's files and frees it. NULL is allowed. */
void repro_source_free(repro_source *source);

/** Returns the spec the source was opened with, for messages; owned by the source. */
const char *repro_source_spec(const repro_source *source);

/**
 * Returns the root descriptor: the manifest or index that REF (or the
 * detection rules) selected. Owned by the source.
 */
const repro_descriptor *repro_source_root(const repro_source *source);

/**
 * Reads the blob of @p descriptor fully into a malloc()ed buffer stored in
 * @p out, with a NUL after the last byte, which the caller frees. A
 * descriptor size above @p max_bytes is REPRO_ELIMIT before anything is
 * read; content longer or shorter than the descriptor's size, or with
 * another digest, is REPRO_EMISMATCH naming the blob and both values; a
 * blob that is not there is REPRO_ENOTFOUND.
 */
int repro_source_read_blob(repro_source *source, const repro_descriptor *descriptor,
                           size_t max_bytes, unsigned char **out, size_t *size,
                           repro_error *err);

/**
 * Opens the blob of @p descriptor as a stream that fails with
 * REPRO_EMISMATCH when more or fewer bytes arrive than the descriptor's
 * size. The digest is not checked here. The caller closes @p out with
 * repro_stream_close() before freeing the source.
 */
int repro_source_open_blob(repro_source *source, const repro_descriptor *descriptor,
                           repro_stream **out, repro_error *err);

/**
 * The platform images that resolution returns. Zeroed, it selects the default:
 * linux/amd64 when the root is an index, otherwise the single manifest
 * whatever its platform. The caller owns @p platform and disposes it.
 */
typedef struct repro_platform_selector {
	bool all;               /**< every image of the index, attestations excepted */
	bool has_platform;      /**< select @p platform */
	repro_platform platform;
} repro_platform_selector;

/**
 * One platform image of a source. Every member is owned by the array that
 * repro_source_resolve() returns and freed by repro_resolved_images_free().
 */
typedef struct repro_resolved_image {
	bool has_index;                       /**< the root is an image index */
	repro_digest index_digest;            /**< the root index, when has_index */
	repro_descriptor manifest_descriptor;
	repro_manifest *manifest;
	repro_descriptor config_descriptor;
	repro_config *config;
	repro_platform platform;              /**< as the config states it */
} repro_resolved_image;

/**
 * Resolves the root of @p source to the images that @p selector selects
 * (NULL selects the default). Nested indexes are followed up to
 * REPRO_SOURCE_MAX_INDEX_DEPTH levels; attestation entries are skipped.
 * Manifests and indexes are read with a limit of
 * REPRO_OCI_MAX_MANIFEST_BYTES, configs with REPRO_OCI_MAX_CONFIG_BYTES,
 * and each is checked against its descriptor. No match is REPRO_ENOTFOUND
 * listing the platforms available; several matches for one platform are
 * REPRO_EUSAGE. On success the caller frees @p images with
 * repro_resolved_images_free(); @p count is at least 1.
 */
int repro_source_resolve(repro_source *source, const repro_platform_selector *selector,
                         repro_resolved_image **images, size_t *count, repro_error *err);

/** Frees @p count images returned by repro_source_resolve(). NULL is allowed. */
void repro_resolved_images_free(repro_resolved_image *images, size_t count);

#ifdef __cplusplus
}
#endif

#endif

/**
 * @file reprocheck/registry.h
 * @brief A client of the OCI distribution API on libcurl: manifests, blobs,
 *        tags and uploads, with Bearer and Basic authentication.
 *
 * Every digest is computed over the bytes received. A Docker-Content-Digest
 * header that disagrees with them, or content fetched by digest that hashes
 * to another digest, is REPRO_EMISMATCH naming both digests. Manifests are
 * limited to REPRO_REGISTRY_MAX_MANIFEST_BYTES while they are received.
 *
 * Credentials come from REPROCHECK_REGISTRY_USER and
 * REPROCHECK_REGISTRY_PASSWORD, or from a Docker config.json: `auths`
 * entries (base64 `auth` or `username` and `password`), `credHelpers` for
 * one host and `credsStore` for all, which run `docker-credential-NAME get`.
 * Credentials and tokens never appear in error messages or log lines.
 *
 * Connections, DNS results and TLS sessions are shared by every request of
 * one client, and a client may be used from several threads at once.
 */
#ifndef REPROCHECK_REGISTRY_H
#define REPROCHECK_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <reprocheck/digest.h>
#include <reprocheck/error.h>
#include <reprocheck/oci.h>
#include <reprocheck/reference.h>
#include <reprocheck/stream.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum size of a manifest or index received from a registry. */
#define REPRO_REGISTRY_MAX_MANIFEST_BYTES ((size_t)4 * 1024 * 1024)
/** Maximum number of pages and of tags that a tag listing follows. */
#define REPRO_REGISTRY_MAX_TAG_PAGES 100
#define REPRO_REGISTRY_MAX_TAGS 100000
/** Environment variables that hold Basic credentials for every registry. */
#define REPRO_REGISTRY_USER_ENV "REPROCHECK_REGISTRY_USER"
#define REPRO_REGISTRY_PASSWORD_ENV "REPROCHECK_REGISTRY_PASSWORD"

/** Receives one log line (no secrets in it) at @p level: 1 for retries and
 *  fallbacks, 2 for each request. */
typedef void (*repro_registry_log_fn)(void *context, int level, const char *message);

/**
 * Client settings, caller-owned; repro_registry_settings_init() sets the
 * defaults. The strings are borrowed and must outlive the client.
 */
typedef struct repro_registry_settings {
	const char *config_path;    /**< Docker config.json; NULL: $DOCKER_CONFIG/config.json,
	                                 then ~/.docker/config.json */
	const char *ca_file;        /**< PEM CA certificates; NULL: the system store */
	const char *const *insecure_hosts;  /**< HOST[:PORT] allowed plain HTTP or unverified TLS */
	size_t insecure_host_count;
	const char *user_agent;     /**< NULL: "reprocheck/VERSION" */
	long connect_timeout_seconds;  /**< default 10 */
	long low_speed_seconds;     /**< abort a transfer that stalls this long; default 30 */
	unsigned max_retries;       /**< retries after 429, 5xx or a dropped connection; default 4 */
	unsigned retry_base_ms;     /**< first backoff delay, doubled each time; default 250 */
	unsigned max_retry_seconds; /**< total sleep across the retries of one request; default 30 */
	size_t upload_chunk_bytes;  /**< blobs larger than this are uploaded in chunks;
	                                 default 64 MiB */
	repro_registry_log_fn log;  /**< NULL: no logging */
	void *log_context;
} repro_registry_settings;

/** Sets every field of @p settings to its default. */
void repro_registry_settings_init(repro_registry_settings *settings);

/** A registry client. */
typedef struct repro_registry repro_registry;

/**
 * Creates a client. The Docker config is read lazily, at the first request
 * that needs credentials. The caller frees @p out with repro_registry_free().
 */
int repro_registry_new(repro_registry **out, const repro_registry_settings *settings,
                       repro_error *err);

/** Frees the client, its connections and its cached tokens. NULL is allowed. */
void repro_registry_free(repro_registry *registry);

/**
 * Checks that @p host (HOST[:PORT]) serves the distribution API at /v2/,
 * authenticating when it asks for it. REPRO_ENETWORK, REPRO_EAUTH or
 * REPRO_ETIMEOUT on failure.
 */
int repro_registry_ping(repro_registry *registry, const char *host, repro_error *err);

/** A manifest or index received from a registry, owned by the caller and
 *  released with repro_registry_manifest_dispose(). */
typedef struct repro_registry_manifest {
	unsigned char *bytes;  /**< exact bytes, NUL-terminated */
	size_t size;
	repro_digest digest;   /**< computed over bytes */
	char *media_type;      /**< from the document, or the Content-Type header */
} repro_registry_manifest;

/** Frees what @p manifest owns and zeroes it. Safe on a zeroed struct. */
void repro_registry_manifest_dispose(repro_registry_manifest *manifest);

/**
 * Fetches the manifest that @p reference names: by its digest when it has
 * one, else by its tag, or by @p digest when that is not NULL. A document
 * fetched by digest that hashes to another digest, or a Docker-Content-Digest
 * header that differs from the computed digest, is REPRO_EMISMATCH naming
 * both. More than REPRO_REGISTRY_MAX_MANIFEST_BYTES is REPRO_ELIMIT. A
 * missing repository, tag or manifest is REPRO_ENOTFOUND.
 */
int repro_registry_get_manifest(repro_registry *registry, const repro_reference *reference,
                                const repro_digest *digest, repro_registry_manifest *out,
                                repro_error *err);

/**
 * Asks for the descriptor of the manifest that @p reference names with a
 * HEAD request, falling back to GET when the registry rejects HEAD or sends
 * no Docker-Content-Digest. The digest from HEAD is the registry's claim,
 * so use it for existence checks and take digests to compare from
 * repro_registry_get_manifest(). The caller disposes @p out.
 */
int repro_registry_resolve(repro_registry *registry, const repro_reference *reference,
                           repro_descriptor *out, repro_error *err);

/**
 * Opens the blob of @p descriptor in the repository of @p reference as a
 * stream, following redirects to storage hosts without sending them the
 * registry's Authorization. The stream fails with REPRO_EMISMATCH when more
 * or fewer bytes arrive than the descriptor's size; it does not check the
 * digest, so that a layer reader can hash the blob in its one pass. The
 * caller closes @p out with repro_stream_close() before freeing the client.
 */
int repro_registry_open_blob(repro_registry *registry, const repro_reference *reference,
                             const repro_descriptor *descriptor, repro_stream **out,
                             repro_error *err);

/**
 * Lists the tags of the repository of @p reference, following `Link:
 * <...>; rel="next"` pages, at most REPRO_REGISTRY_MAX_TAG_PAGES pages and
 * REPRO_REGISTRY_MAX_TAGS tags. The caller frees each of the @p count
 * strings of @p out and the array.
 */
int repro_registry_list_tags(repro_registry *registry, const repro_reference *reference,
                             char ***out, size_t *count, repro_error *err);

/** Stores in @p exists whether the repository of @p reference has the blob @p digest. */
int repro_registry_blob_exists(repro_registry *registry, const repro_reference *reference,
                               const repro_digest *digest, bool *exists, repro_error *err);

/**
 * Asks the registry to mount the blob @p digest from the repository
 * @p from_path on the same registry into the repository of @p reference.
 * @p mounted is false when the registry did not mount it, and the caller
 * uploads the blob instead.
 */
int repro_registry_mount_blob(repro_registry *registry, const repro_reference *reference,
                              const repro_digest *digest, const char *from_path, bool *mounted,
                              repro_error *err);

/** Opens the bytes of a blob to upload; called again for each retry. */
typedef int (*repro_registry_open_fn)(void *context, repro_stream **out, repro_error *err);

/**
 * Uploads the blob of @p descriptor, whose bytes @p open_body returns, to
 * the repository of @p reference: in one PUT, or in PATCH chunks of
 * settings.upload_chunk_bytes for a larger blob, then a PUT with the digest.
 * The registry checks the digest; its refusal is REPRO_EMISMATCH.
 */
int repro_registry_upload_blob(repro_registry *registry, const repro_reference *reference,
                               const repro_descriptor *descriptor, repro_registry_open_fn open_body,
                               void *context, repro_error *err);

/**
 * Uploads @p size bytes of a manifest or index with @p media_type under
 * @p tag_or_digest (a tag, or the digest string of the bytes) in the
 * repository of @p reference. A Docker-Content-Digest in the response that
 * differs from the digest of the bytes is REPRO_EMISMATCH.
 */
int repro_registry_put_manifest(repro_registry *registry, const repro_reference *reference,
                                const char *tag_or_digest, const char *media_type,
                                const unsigned char *bytes, size_t size, repro_error *err);

#ifdef __cplusplus
}
#endif

#endif

/*
 * The read side of the registry client: /v2/ ping, manifests by tag or
 * digest (digests computed over the received bytes and checked), blob
 * streams and tag listing.
 */
#include "registry_exchange_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <reprocheck/json.h>

int repro_registry_ping(repro_registry *registry, const char *host, repro_error *err)
{
	registry_request request;
	registry_response response;
	char what[600];
	int result;

	memset(&request, 0, sizeof(request));
	request.method = "GET";
	request.host = host;
	request.path = "/v2/";
	request.max_body = REGISTRY_MAX_ERROR_BODY;
	snprintf(what, sizeof(what), "GET https://%s/v2/", host);
	if ((result = registry_send(registry, &request, &response, NULL, err)) != REPRO_OK)
		return result;
	if (response.status != 200)
		result = registry_status_error(&response, what, err);
	registry_response_dispose(&response);
	return result;
}

void repro_registry_manifest_dispose(repro_registry_manifest *manifest)
{
	free(manifest->bytes);
	free(manifest->media_type);
	memset(manifest, 0, sizeof(*manifest));
}

/* Formats the path of a manifest and the request's name for messages. */
static void manifest_path(const repro_reference *reference, const repro_digest *digest,
                          char *path, size_t path_size, char *what, size_t what_size)
{
	char object[REPRO_DIGEST_STRING_MAX + 256], name[REPRO_REFERENCE_STRING_MAX];

	if (digest != NULL)
		repro_digest_format(digest, object);
	else if (reference->has_digest)
		repro_digest_format(&reference->digest, object);
	else
		snprintf(object, sizeof(object), "%s", reference->tag);
	snprintf(path, path_size, "/v2/%s/manifests/%s", reference->path, object);
	repro_reference_format_name(reference, name);
	snprintf(what, what_size, "manifest '%s' of '%s'", object, name);
}

/* Takes the media type from the document, else from Content-Type. */
static int manifest_media_type(const registry_response *response, const char *what,
                               char **out, repro_error *err)
{
	json_t *root = NULL;
	const char *declared = response->content_type, *media_type = NULL;
	char type[256] = "";
	repro_oci_kind kind;
	int result;

	if (declared != NULL) {
		snprintf(type, sizeof(type), "%.*s", (int)strcspn(declared, "; "), declared);
		declared = repro_media_type_kind(type) == REPRO_OCI_KIND_UNKNOWN ? NULL : type;
	}
	result = repro_json_parse(&root, response->body, response->body_size, what, NULL, err);
	if (result == REPRO_OK)
		result = repro_oci_detect_kind(root, declared, what, &kind, &media_type, err);
	json_decref(root);
	if (result != REPRO_OK)
		return result;
	if ((*out = strdup(media_type)) == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "reading %s failed", what);
	return REPRO_OK;
}

/* Checks the received bytes against the requested digest and the
 * Docker-Content-Digest header, and fills @p out. */
static int check_manifest(registry_response *response, const repro_digest *requested,
                          const char *what, repro_registry_manifest *out, repro_error *err)
{
	char computed[REPRO_DIGEST_STRING_MAX], expected[REPRO_DIGEST_STRING_MAX];
	repro_digest claimed;
	int result;

	result = repro_digest_buffer(&out->digest, requested ? requested->algorithm :
	                             REPRO_DIGEST_SHA256, response->body, response->body_size, err);
	if (result != REPRO_OK)
		return result;
	repro_digest_format(&out->digest, computed);
	if (requested != NULL && !repro_digest_equal(requested, &out->digest)) {
		repro_digest_format(requested, expected);
		return repro_error_set(err, REPRO_EMISMATCH, "%s: the registry sent content whose "
		                       "digest is %s, not %s", what, computed, expected);
	}
	if (response->content_digest != NULL) {
		if (repro_digest_parse(&claimed, response->content_digest, err) != REPRO_OK)
			return repro_error_prefix(err, "%s: invalid Docker-Content-Digest header", what);
		if (claimed.algorithm == out->digest.algorithm &&
		    !repro_digest_equal(&claimed, &out->digest))
			return repro_error_set(err, REPRO_EMISMATCH, "%s: Docker-Content-Digest is %.140s, "
			                       "but the content received hashes to %s", what,
			                       response->content_digest, computed);
	}
	return REPRO_OK;
}

/* Fills @p request for a manifest GET or HEAD with every manifest and index
 * type in Accept, which docker-registry needs even when asked by digest. */
static void manifest_request(registry_request *request, const char *method,
                             const repro_reference *reference, const char *path,
                             const char *scope, size_t max_body)
{
	memset(request, 0, sizeof(*request));
	request->method = method;
	request->host = repro_reference_api_host(reference);
	request->path = path;
	request->accept = registry_manifest_accept;
	request->scopes[0] = scope;
	request->max_body = max_body;
}

int repro_registry_get_manifest(repro_registry *registry, const repro_reference *reference,
                                const repro_digest *digest, repro_registry_manifest *out,
                                repro_error *err)
{
	const repro_digest *requested = digest ? digest : reference->has_digest ? &reference->digest :
	                                NULL;
	char path[REGISTRY_MAX_URL], what[REGISTRY_MAX_URL], scope[600];
	registry_request request;
	registry_response response;
	int result;

	memset(out, 0, sizeof(*out));
	manifest_path(reference, requested, path, sizeof(path), what, sizeof(what));
	registry_scope(reference, "pull", scope, sizeof(scope));
	manifest_request(&request, "GET", reference, path, scope, REPRO_REGISTRY_MAX_MANIFEST_BYTES);
	if ((result = registry_send(registry, &request, &response, NULL, err)) != REPRO_OK)
		return repro_error_prefix(err, "reading %s", what);
	if (response.status != 200)
		result = registry_status_error(&response, what, err);
	if (result == REPRO_OK)
		result = check_manifest(&response, requested, what, out, err);
	if (result == REPRO_OK)
		result = manifest_media_type(&response, what, &out->media_type, err);
	if (result == REPRO_OK) {
		out->bytes = response.body;
		out->size = response.body_size;
		response.body = NULL;
	} else {
		repro_registry_manifest_dispose(out);
	}
	registry_response_dispose(&response);
	return result;
}

static int descriptor_from_get(repro_registry *registry, const repro_reference *reference,
                               repro_descriptor *out, repro_error *err)
{
	repro_registry_manifest manifest;
	int result = repro_registry_get_manifest(registry, reference, NULL, &manifest, err);

	if (result == REPRO_OK)
		result = repro_descriptor_init(out, manifest.media_type, &manifest.digest,
		                               (int64_t)manifest.size, err);
	repro_registry_manifest_dispose(&manifest);
	return result;
}

int repro_registry_resolve(repro_registry *registry, const repro_reference *reference,
                           repro_descriptor *out, repro_error *err)
{
	char path[REGISTRY_MAX_URL], what[REGISTRY_MAX_URL], scope[600], type[256];
	registry_request request;
	registry_response response;
	repro_digest digest;
	int result;

	memset(out, 0, sizeof(*out));
	manifest_path(reference, NULL, path, sizeof(path), what, sizeof(what));
	registry_scope(reference, "pull", scope, sizeof(scope));
	manifest_request(&request, "HEAD", reference, path, scope, REGISTRY_MAX_ERROR_BODY);
	if ((result = registry_send(registry, &request, &response, NULL, err)) != REPRO_OK)
		return repro_error_prefix(err, "reading %s", what);
	if (response.status == 404) {
		result = registry_status_error(&response, what, err);
		registry_response_dispose(&response);
		return result;
	}
	if (response.status != 200 || response.content_digest == NULL ||
	    response.content_type == NULL || response.content_length < 0 ||
	    repro_digest_parse(&digest, response.content_digest, err) != REPRO_OK) {
		registry_log(registry, 1, "HEAD of %s gave no usable digest; using GET", what);
		registry_response_dispose(&response);
		return descriptor_from_get(registry, reference, out, err);
	}
	snprintf(type, sizeof(type), "%.*s", (int)strcspn(response.content_type, "; "),
	         response.content_type);
	result = repro_descriptor_init(out, type, &digest, response.content_length, err);
	registry_response_dispose(&response);
	return result;
}

/* A blob body as a stream, bounded by the descriptor's size. */
typedef struct blob_stream {
	repro_stream base;
	registry_transfer *transfer;
	int64_t expected;
	int64_t seen;
	char what[REPRO_DIGEST_STRING_MAX + 16];
} blob_stream;

static ssize_t blob_read(repro_stream *stream, void *buffer, size_t size, repro_error *err)
{
	blob_stream *self = (blob_stream *)stream;
	ssize_t got;

	/* One byte past the size is requested, so a longer blob is noticed
	 * without downloading all of it. */
	if ((int64_t)size > self->expected - self->seen + 1)
		size = (size_t)(self->expected - self->seen + 1);
	got = registry_transfer_read(self->transfer, buffer, size, err);
	if (got < 0)
		return repro_error_prefix(err, "reading %s", self->what);
	self->seen += got;
	if (self->seen > self->expected)
		return repro_error_set(err, REPRO_EMISMATCH, "%s is larger than its descriptor's size "
		                       "of %" PRId64 " bytes", self->what, self->expected);
	if (got == 0 && self->seen < self->expected)
		return repro_error_set(err, REPRO_EMISMATCH, "%s ends after %" PRId64 " bytes, but "
		                       "its descriptor's size is %" PRId64, self->what, self->seen,
		                       self->expected);
	return got;
}

static void blob_close(repro_stream *stream)
{
	blob_stream *self = (blob_stream *)stream;

	registry_transfer_free(self->transfer);
	free(self);
}

static const repro_stream_ops blob_stream_ops = {blob_read, blob_close};

int repro_registry_open_blob(repro_registry *registry, const repro_reference *reference,
                             const repro_descriptor *descriptor, repro_stream **out,
                             repro_error *err)
{
	char digest[REPRO_DIGEST_STRING_MAX], path[REGISTRY_MAX_URL], scope[600], what[1024];
	char name[REPRO_REFERENCE_STRING_MAX];
	registry_request request;
	registry_response response;
	blob_stream *self;
	int result;

	*out = NULL;
	if ((self = calloc(1, sizeof(*self))) == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "opening a blob failed");
	repro_digest_format(&descriptor->digest, digest);
	repro_reference_format_name(reference, name);
	snprintf(self->what, sizeof(self->what), "blob %s", digest);
	snprintf(what, sizeof(what), "blob %s of '%s'", digest, name);
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", reference->path, digest);
	registry_scope(reference, "pull", scope, sizeof(scope));
	memset(&request, 0, sizeof(request));
	request.method = "GET";
	request.host = repro_reference_api_host(reference);
	request.path = path;
	request.scopes[0] = scope;
	request.stream = true;
	result = registry_send(registry, &request, &response, &self->transfer, err);
	if (result == REPRO_OK && self->transfer == NULL)
		result = registry_status_error(&response, what, err);
	if (result == REPRO_OK && response.content_length >= 0 &&
	    response.content_length != descriptor->size)
		result = repro_error_set(err, REPRO_EMISMATCH, "%s: the registry sends %" PRId64
		                         " bytes, but its descriptor's size is %" PRId64, what,
		                         response.content_length, descriptor->size);
	registry_response_dispose(&response);
	if (result != REPRO_OK) {
		blob_close(&self->base);
		return result;
	}
	self->base.ops = &blob_stream_ops;
	self->expected = descriptor->size;
	*out = &self->base;
	return REPRO_OK;
}

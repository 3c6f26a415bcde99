/*
 * The write side of the registry client: blob existence, cross-repository
 * mounts, monolithic and chunked blob uploads, and manifest uploads. Bytes
 * are sent exactly as given.
 */
#include "registry_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void push_scope(const repro_reference *reference, char *out, size_t size)
{
	registry_scope(reference, "pull,push", out, size);
}

static void prepare(registry_request *request, const char *method,
                    const repro_reference *reference, const char *scope)
{
	memset(request, 0, sizeof(*request));
	request->method = method;
	request->host = repro_reference_api_host(reference);
	request->scopes[0] = scope;
	request->max_body = REGISTRY_MAX_ERROR_BODY;
}

int repro_registry_blob_exists(repro_registry *registry, const repro_reference *reference,
                               const repro_digest *digest, bool *exists, repro_error *err)
{
	char text[REPRO_DIGEST_STRING_MAX], path[REGISTRY_MAX_URL], scope[600], what[700];
	registry_request request;
	registry_response response;
	int result;

	*exists = false;
	repro_digest_format(digest, text);
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", reference->path, text);
	snprintf(what, sizeof(what), "HEAD of blob %s in '%s'", text, reference->path);
	push_scope(reference, scope, sizeof(scope));
	prepare(&request, "HEAD", reference, scope);
	request.path = path;
	if ((result = registry_send(registry, &request, &response, NULL, err)) != REPRO_OK)
		return result;
	if (response.status == 200)
		*exists = true;
	else if (response.status != 404)
		result = registry_status_error(&response, what, err);
	registry_response_dispose(&response);
	return result;
}

/* Resolves the Location of an upload response against @p base. */
static int upload_location(const registry_response *response, const char *base, char *out,
                           size_t size, const char *what, repro_error *err)
{
	if (response->location == NULL)
		return repro_error_set(err, REPRO_ENETWORK, "%s: the registry sent no upload Location",
		                       what);
	if (registry_resolve_url(base, response->location, out, size) != REPRO_OK)
		return repro_error_set(err, REPRO_ENETWORK, "%s: invalid upload Location", what);
	return REPRO_OK;
}

/* Starts an upload session (with @p mount_query, a mount attempt); on 201
 * the blob was mounted, on 202 @p location receives the session URL. */
static int start_upload(repro_registry *registry, const repro_reference *reference,
                        const char *mount_query, bool *mounted, char *location, size_t size,
                        repro_error *err)
{
	char path[REGISTRY_MAX_URL], scope[600], from_scope[600], base[REGISTRY_MAX_URL], what[700];
	registry_request request;
	registry_response response;
	int result;

	*mounted = false;
	snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/%s", reference->path,
	         mount_query ? mount_query : "");
	snprintf(what, sizeof(what), "starting an upload to '%s'", reference->path);
	push_scope(reference, scope, sizeof(scope));
	prepare(&request, "POST", reference, scope);
	request.path = path;
	if (mount_query != NULL) {
		const char *from = strstr(mount_query, "from=");

		snprintf(from_scope, sizeof(from_scope), "repository:%s:pull", from ? from + 5 : "");
		request.scopes[1] = from_scope;
	}
	if ((result = registry_send(registry, &request, &response, NULL, err)) != REPRO_OK)
		return result;
	registry_url(registry, request.host, path, base, sizeof(base));
	if (response.status == 201 && mount_query != NULL)
		*mounted = true;
	else if (response.status == 202)
		result = upload_location(&response, base, location, size, what, err);
	else
		result = registry_status_error(&response, what, err);
	registry_response_dispose(&response);
	return result;
}

int repro_registry_mount_blob(repro_registry *registry, const repro_reference *reference,
                              const repro_digest *digest, const char *from_path, bool *mounted,
                              repro_error *err)
{
	char query[700], text[REPRO_DIGEST_STRING_MAX], location[REGISTRY_MAX_URL];

	repro_digest_format(digest, text);
	snprintf(query, sizeof(query), "?mount=%s&from=%s", text, from_path);
	/* NOTE: a 202 reply opens an upload session that is left to expire,
	 * because the caller uploads the blob in a new one. */
	return start_upload(registry, reference, query, mounted, location, sizeof(location), err);
}

/* Sends one PATCH (a chunk) or the final PUT of an upload session. */
static int send_upload(repro_registry *registry, const repro_reference *reference,
                       const char *method, char *location, size_t size, const registry_body *body,
                       int64_t first, int64_t last, const char *what, repro_error *err)
{
	char scope[600], range[64];
	registry_request request;
	registry_response response;
	long expected = strcmp(method, "PUT") == 0 ? 201 : 202;
	int result;

	push_scope(reference, scope, sizeof(scope));
	prepare(&request, method, reference, scope);
	request.url = location;
	request.body = body;
	request.content_type = "application/octet-stream";
	if (strcmp(method, "PATCH") == 0) {
		snprintf(range, sizeof(range), "%" PRId64 "-%" PRId64, first, last);
		request.content_range = range;
	}
	if ((result = registry_send(registry, &request, &response, NULL, err)) != REPRO_OK)
		return repro_error_prefix(err, "%s", what);
	if (response.status != expected)
		result = registry_status_error(&response, what, err);
	else if (expected == 202)
		result = upload_location(&response, location, location, size, what, err);
	registry_response_dispose(&response);
	return result;
}

/* Appends "?digest=D" or "&digest=D" to the session URL. */
static int add_digest_query(char *location, size_t size, const char *digest, repro_error *err)
{
	size_t used = strlen(location);
	int written = snprintf(location + used, size - used, "%sdigest=%s",
	                       strchr(location, '?') ? "&" : "?", digest);

	if (written < 0 || (size_t)written >= size - used)
		return repro_error_set(err, REPRO_ELIMIT, "the upload URL is too long");
	return REPRO_OK;
}

int repro_registry_upload_blob(repro_registry *registry, const repro_reference *reference,
                               const repro_descriptor *descriptor, repro_registry_open_fn open_body,
                               void *context, repro_error *err)
{
	char location[REGISTRY_MAX_URL], digest[REPRO_DIGEST_STRING_MAX], what[700];
	size_t chunk = registry->settings.upload_chunk_bytes;
	registry_body body;
	bool mounted;
	int result;

	repro_digest_format(&descriptor->digest, digest);
	snprintf(what, sizeof(what), "uploading blob %s to '%s'", digest, reference->path);
	result = start_upload(registry, reference, NULL, &mounted, location, sizeof(location), err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "uploading blob %s", digest);
	memset(&body, 0, sizeof(body));
	body.open = open_body;
	body.context = context;

	if (chunk > 0 && descriptor->size > (int64_t)chunk) {
		for (int64_t offset = 0; offset < descriptor->size; offset += (int64_t)chunk) {
			int64_t length = descriptor->size - offset;

			if (length > (int64_t)chunk)
				length = (int64_t)chunk;
			body.stream_offset = offset;
			body.stream_size = length;
			registry_log(registry, 2, "uploading bytes %" PRId64 "-%" PRId64 " of %s", offset,
			             offset + length - 1, digest);
			result = send_upload(registry, reference, "PATCH", location, sizeof(location), &body,
			                     offset, offset + length - 1, what, err);
			if (result != REPRO_OK)
				return result;
		}
		memset(&body, 0, sizeof(body));
	} else {
		body.stream_size = descriptor->size;
	}
	if ((result = add_digest_query(location, sizeof(location), digest, err)) != REPRO_OK)
		return result;
	return send_upload(registry, reference, "PUT", location, sizeof(location), &body, 0, 0, what,
	                   err);
}

int repro_registry_put_manifest(repro_registry *registry, const repro_reference *reference,
                                const char *tag_or_digest, const char *media_type,
                                const unsigned char *bytes, size_t size, repro_error *err)
{
	char path[REGISTRY_MAX_URL], scope[600], what[700];
	char computed[REPRO_DIGEST_STRING_MAX];
	registry_request request;
	registry_response response;
	registry_body body;
	repro_digest digest;
	int result;

	if ((result = repro_digest_buffer(&digest, REPRO_DIGEST_SHA256, bytes, size, err)) != 0)
		return result;
	repro_digest_format(&digest, computed);
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", reference->path, tag_or_digest);
	snprintf(what, sizeof(what), "uploading manifest %s as '%s' to '%s'", computed, tag_or_digest,
	         reference->path);
	push_scope(reference, scope, sizeof(scope));
	prepare(&request, "PUT", reference, scope);
	memset(&body, 0, sizeof(body));
	body.bytes = bytes;
	body.size = size;
	request.path = path;
	request.body = &body;
	request.content_type = media_type;
	if ((result = registry_send(registry, &request, &response, NULL, err)) != REPRO_OK)
		return repro_error_prefix(err, "%s", what);
	if (response.status != 201)
		result = registry_status_error(&response, what, err);
	else if (response.content_digest != NULL && strcmp(response.content_digest, computed) != 0)
		result = repro_error_set(err, REPRO_EMISMATCH, "%s: the registry stored it as %.140s",
		                         what, response.content_digest);
	registry_response_dispose(&response);
	return result;
}

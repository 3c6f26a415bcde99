/*
 * Pushing an image byte for byte. Blobs the registry has are skipped, and
 * blobs of the source's repository on the same registry are mounted. Child
 * manifests go up by digest before their index, and the root is tagged
 * last. The manifest is then read back and its digest checked.
 */
#include <reprocheck/push.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The state of one push. */
typedef struct push_state {
	const repro_push_options *options;
	repro_source *source;
	repro_registry *registry;
	repro_reference target;
	bool has_origin;           /* the source is a repository on the same registry */
	repro_reference origin;
	repro_digest *done;        /* blobs and manifests already handled */
	size_t done_count;
	repro_push_counts counts;
} push_state;

/* Sends a formatted message to the caller's log callback, if any. */
static void push_log(const push_state *state, const char *format, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void push_log(const push_state *state, const char *format, ...)
{
	char message[512];
	va_list args;

	if (state->options == NULL || state->options->log == NULL)
		return;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	state->options->log(state->options->log_context, message);
}

static bool already_done(push_state *state, const repro_digest *digest)
{
	repro_digest *grown;

	for (size_t i = 0; i < state->done_count; i++) {
		if (repro_digest_equal(&state->done[i], digest))
			return true;
	}
	grown = realloc(state->done, (state->done_count + 1) * sizeof(*grown));
	if (grown != NULL) {
		state->done = grown;
		state->done[state->done_count++] = *digest;
	}
	return false;
}

typedef struct blob_opener {
	repro_source *source;
	const repro_descriptor *descriptor;
} blob_opener;

static int open_source_blob(void *context, repro_stream **out, repro_error *err)
{
	blob_opener *opener = context;

	return repro_source_open_blob(opener->source, opener->descriptor, out, err);
}

static int push_blob(push_state *state, const repro_descriptor *descriptor, repro_error *err)
{
	char digest[REPRO_DIGEST_STRING_MAX];
	blob_opener opener = {state->source, descriptor};
	bool exists = false, mounted = false;
	int result;

	if (already_done(state, &descriptor->digest))
		return REPRO_OK;
	repro_digest_format(&descriptor->digest, digest);
	if ((result = repro_registry_blob_exists(state->registry, &state->target, &descriptor->digest,
	                                         &exists, err)) != REPRO_OK)
		return result;
	if (exists) {
		push_log(state, "blob %s exists, skipped", digest);
		state->counts.skipped++;
		return REPRO_OK;
	}
	if (state->has_origin &&
	    (result = repro_registry_mount_blob(state->registry, &state->target, &descriptor->digest,
	                                        state->origin.path, &mounted, err)) != REPRO_OK)
		return result;
	if (mounted) {
		push_log(state, "blob %s mounted from '%s'", digest, state->origin.path);
		state->counts.mounted++;
		return REPRO_OK;
	}
	push_log(state, "uploading blob %s (%lld bytes)", digest,
	              (long long)descriptor->size);
	result = repro_registry_upload_blob(state->registry, &state->target, descriptor,
	                                    open_source_blob, &opener, err);
	if (result == REPRO_OK)
		state->counts.uploaded++;
	return result;
}

static int push_node(push_state *state, const repro_descriptor *descriptor, const char *tag,
                     int depth, repro_error *err);

static int push_children(push_state *state, const unsigned char *bytes, size_t size,
                         const repro_descriptor *descriptor, int depth, repro_error *err)
{
	repro_oci_kind kind = repro_media_type_kind(descriptor->media_type);
	repro_manifest *manifest = NULL;
	repro_index *index = NULL;
	int result;

	if (kind == REPRO_OCI_KIND_INDEX) {
		if (depth >= REPRO_SOURCE_MAX_INDEX_DEPTH)
			return repro_error_set(err, REPRO_ELIMIT, "indexes are nested deeper than %d levels",
			                       REPRO_SOURCE_MAX_INDEX_DEPTH);
		if ((result = repro_index_parse(&index, bytes, size, descriptor, err)) != REPRO_OK)
			return result;
		for (size_t i = 0; i < index->manifest_count && result == REPRO_OK; i++)
			result = push_node(state, &index->manifests[i], NULL, depth + 1, err);
		repro_index_free(index);
		return result;
	}
	if ((result = repro_manifest_parse(&manifest, bytes, size, descriptor, err)) != REPRO_OK)
		return result;
	result = push_blob(state, &manifest->config, err);
	for (size_t i = 0; i < manifest->layer_count && result == REPRO_OK; i++)
		result = push_blob(state, &manifest->layers[i], err);
	repro_manifest_free(manifest);
	return result;
}

/* Pushes the blobs and children of @p descriptor, then its own bytes under
 * @p tag, or under its digest when @p tag is NULL. */
static int push_node(push_state *state, const repro_descriptor *descriptor, const char *tag,
                     int depth, repro_error *err)
{
	char digest[REPRO_DIGEST_STRING_MAX];
	unsigned char *bytes = NULL;
	size_t size;
	repro_oci_kind kind = repro_media_type_kind(descriptor->media_type);
	int result;

	if (kind != REPRO_OCI_KIND_MANIFEST && kind != REPRO_OCI_KIND_INDEX)
		return push_blob(state, descriptor, err);  /* an artifact's blob */
	if (tag == NULL && already_done(state, &descriptor->digest))
		return REPRO_OK;
	repro_digest_format(&descriptor->digest, digest);
	result = repro_source_read_blob(state->source, descriptor, REPRO_OCI_MAX_MANIFEST_BYTES,
	                                &bytes, &size, err);
	if (result == REPRO_OK)
		result = push_children(state, bytes, size, descriptor, depth, err);
	if (result == REPRO_OK) {
		push_log(state, "uploading %s %s", kind == REPRO_OCI_KIND_INDEX ? "index" :
		              "manifest", digest);
		result = repro_registry_put_manifest(state->registry, &state->target,
		                                     tag ? tag : digest, descriptor->media_type, bytes,
		                                     size, err);
	}
	if (result == REPRO_OK)
		state->counts.manifests++;
	free(bytes);
	return result;
}

/* Reads the pushed manifest back and checks its digest. */
static int read_back(push_state *state, const repro_descriptor *root, repro_error *err)
{
	char expected[REPRO_DIGEST_STRING_MAX], actual[REPRO_DIGEST_STRING_MAX];
	repro_registry_manifest manifest;
	repro_reference by_tag;
	int result;

	if ((result = repro_reference_copy(&by_tag, &state->target, err)) != REPRO_OK)
		return result;
	by_tag.has_digest = state->target.tag == NULL;
	by_tag.digest = root->digest;
	result = repro_registry_get_manifest(state->registry, &by_tag, NULL, &manifest, err);
	repro_reference_dispose(&by_tag);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "reading the pushed manifest back");
	if (!repro_digest_equal(&manifest.digest, &root->digest)) {
		repro_digest_format(&root->digest, expected);
		repro_digest_format(&manifest.digest, actual);
		result = repro_error_set(err, REPRO_EMISMATCH, "the registry serves %s for '%s' after "
		                         "the push, not the pushed %s", actual,
		                         state->target.tag ? state->target.tag : expected, expected);
	}
	repro_registry_manifest_dispose(&manifest);
	return result;
}

/* Notes the source's repository when it is on the target's registry, so
 * that its blobs can be mounted instead of uploaded. */
static void find_origin(push_state *state, const char *spec)
{
	const char *text = strncmp(spec, "docker://", 9) == 0 ? spec + 9 :
	                   repro_reference_names_registry(spec) ? spec : NULL;
	repro_error ignored;

	if (text == NULL || repro_reference_parse(&state->origin, text, &ignored) != REPRO_OK)
		return;
	state->has_origin = strcmp(state->origin.domain, state->target.domain) == 0 &&
	                    strcmp(state->origin.path, state->target.path) != 0;
}

int repro_push_image(repro_registry *registry, repro_source *source, const char *source_spec,
                     const repro_reference *target, const repro_push_options *options,
                     repro_push_result *out, repro_error *err)
{
	const repro_descriptor *root = repro_source_root(source);
	push_state state;
	int result;

	memset(out, 0, sizeof(*out));
	memset(&state, 0, sizeof(state));
	state.options = options;
	state.source = source;
	state.registry = registry;
	result = repro_reference_copy(&state.target, target, err);
	if (result != REPRO_OK)
		return result;
	if (source_spec != NULL)
		find_origin(&state, source_spec);

	result = push_node(&state, root, state.target.tag, 0, err);
	if (result == REPRO_OK)
		result = read_back(&state, root, err);
	out->counts = state.counts;
	if (result == REPRO_OK) {
		out->digest = root->digest;
		out->media_type = root->media_type;
	}
	repro_reference_dispose(&state.target);
	repro_reference_dispose(&state.origin);
	free(state.done);
	return result;
}

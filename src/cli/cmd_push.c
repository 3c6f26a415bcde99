/*
 * reprocheck push SOURCE REFERENCE: uploads an image byte for byte. Blobs
 * the registry has are skipped, and blobs of the source's repository on the
 * same registry are mounted. Child manifests go up by digest before their
 * index, and the root is tagged last. The manifest is then read back by
 * tag and its digest checked.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/reference.h>
#include <reprocheck/registry.h>

#include "image_options.h"

/* The state of one push. */
typedef struct push_state {
	const repro_cli *cli;
	repro_source *source;
	repro_registry *registry;
	repro_reference target;
	bool has_origin;           /* the source is a repository on the same registry */
	repro_reference origin;
	repro_digest *done;        /* blobs and manifests already handled */
	size_t done_count;
	size_t uploaded, skipped, mounted, manifests;
} push_state;

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
		repro_cli_log(state->cli, 1, "blob %s exists, skipped", digest);
		state->skipped++;
		return REPRO_OK;
	}
	if (state->has_origin &&
	    (result = repro_registry_mount_blob(state->registry, &state->target, &descriptor->digest,
	                                        state->origin.path, &mounted, err)) != REPRO_OK)
		return result;
	if (mounted) {
		repro_cli_log(state->cli, 1, "blob %s mounted from '%s'", digest, state->origin.path);
		state->mounted++;
		return REPRO_OK;
	}
	repro_cli_log(state->cli, 1, "uploading blob %s (%lld bytes)", digest,
	              (long long)descriptor->size);
	result = repro_registry_upload_blob(state->registry, &state->target, descriptor,
	                                    open_source_blob, &opener, err);
	if (result == REPRO_OK)
		state->uploaded++;
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
		repro_cli_log(state->cli, 1, "uploading %s %s", kind == REPRO_OCI_KIND_INDEX ? "index" :
		              "manifest", digest);
		result = repro_registry_put_manifest(state->registry, &state->target,
		                                     tag ? tag : digest, descriptor->media_type, bytes,
		                                     size, err);
	}
	if (result == REPRO_OK)
		state->manifests++;
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

static int print_result(const push_state *state, const char *spec, const char *reference,
                        const repro_descriptor *root, bool json, const repro_error *err)
{
	char digest[REPRO_DIGEST_STRING_MAX] = "", name[REPRO_REFERENCE_STRING_MAX];
	int status = err->code == REPRO_OK ? 0 : repro_cli_fail(err);
	json_t *document;

	if (root != NULL)
		repro_digest_format(&root->digest, digest);
	if (json) {
		document = json_pack("{s:s, s:s, s:s}", "source", spec, "reference", reference,
		                     "status", status_word(status));
		if (status != 0)
			json_object_set_new(document, "reason", json_string(err->message));
		if (status == 0) {
			json_object_set_new(document, "digest", json_string(digest));
			json_object_set_new(document, "mediaType", json_string(root->media_type));
		}
		json_object_set_new(document, "blobs", json_pack("{s:I, s:I, s:I}",
			"uploaded", (json_int_t)state->uploaded, "skipped", (json_int_t)state->skipped,
			"mounted", (json_int_t)state->mounted));
		json_object_set_new(document, "manifests", json_integer((json_int_t)state->manifests));
		print_json_document(document);
		json_decref(document);
	} else if (status == 0) {
		repro_reference_format_name(&state->target, name);
		printf("%s@%s\n", name, digest);
	}
	return status;
}

static int run_push(const repro_cli *cli, int argc, char **argv);

const repro_command repro_command_push = {
	"push",
	"upload an image to a registry byte for byte and check what the registry serves",
	"reprocheck push SOURCE REFERENCE [--json]",
	run_push,
};

static int push_image(push_state *state, const repro_descriptor **root, repro_error *err)
{
	*root = repro_source_root(state->source);
	if (push_node(state, *root, state->target.tag, 0, err) != REPRO_OK)
		return err->code;
	return read_back(state, *root, err);
}

static int run_push(const repro_cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	repro_registry_settings settings;
	const repro_descriptor *root = NULL;
	push_state state;
	repro_error err;
	bool json = false;
	int option, status;

	opterr = 0;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (option != 'j')
			return repro_cli_usage_error(&repro_command_push, "unknown option '%s'",
			                             argv[optind - 1]);
		json = true;
	}
	if (argc - optind != 2)
		return repro_cli_usage_error(&repro_command_push, "expected SOURCE and REFERENCE");

	memset(&state, 0, sizeof(state));
	state.cli = cli;
	repro_error_clear(&err);
	cli_registry_settings(cli, &settings);
	if (repro_reference_parse(&state.target, argv[optind + 1], &err) == REPRO_OK &&
	    repro_registry_new(&state.registry, &settings, &err) == REPRO_OK &&
	    cli_source_open(cli, &state.source, argv[optind], &err) == REPRO_OK) {
		find_origin(&state, argv[optind]);
		push_image(&state, &root, &err);
	}
	status = print_result(&state, argv[optind], argv[optind + 1], root, json, &err);

	repro_source_free(state.source);
	repro_registry_free(state.registry);
	repro_reference_dispose(&state.target);
	repro_reference_dispose(&state.origin);
	free(state.done);
	return status;
}

#include "oci_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Static names of the document types, so that parsed objects can point at them. */
static const char *const known_types[] = {
	REPRO_MEDIA_TYPE_OCI_MANIFEST, REPRO_MEDIA_TYPE_OCI_INDEX,
	REPRO_MEDIA_TYPE_DOCKER_MANIFEST, REPRO_MEDIA_TYPE_DOCKER_MANIFEST_LIST,
	REPRO_MEDIA_TYPE_OCI_CONFIG, REPRO_MEDIA_TYPE_DOCKER_CONFIG,
};

static const char *static_type(const char *media_type)
{
	for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++) {
		if (media_type != NULL && strcmp(known_types[i], media_type) == 0)
			return known_types[i];
	}
	return NULL;
}

static repro_oci_kind document_kind(const char *media_type)
{
	repro_oci_kind kind = repro_media_type_kind(media_type);

	return kind == REPRO_OCI_KIND_MANIFEST || kind == REPRO_OCI_KIND_INDEX
		? kind : REPRO_OCI_KIND_UNKNOWN;
}

int repro_oci_detect_kind(const json_t *root, const char *declared_media_type, const char *what,
                          repro_oci_kind *kind, const char **media_type, repro_error *err)
{
	const char *own = NULL;
	const char *chosen;

	*kind = REPRO_OCI_KIND_UNKNOWN;
	*media_type = NULL;
	if (!json_is_object(root))
		return repro_error_set(err, REPRO_EFORMAT, "%s must be a JSON object, found %s", what,
		                       repro_json_type_name(root));
	if (repro_json_get_string(root, "mediaType", "", false, &own, err) != REPRO_OK)
		return repro_error_prefix(err, "%s", what);

	if (own != NULL && declared_media_type != NULL && strcmp(own, declared_media_type) != 0)
		return repro_error_set(err, REPRO_EINVALID,
			"%s has mediaType '%s' but its descriptor says '%s'", what, own,
			declared_media_type);
	chosen = own != NULL ? own : declared_media_type;
	if (chosen == NULL) {
		if (json_object_get(root, "manifests") != NULL)
			chosen = REPRO_MEDIA_TYPE_OCI_INDEX;
		else if (json_object_get(root, "config") != NULL)
			chosen = REPRO_MEDIA_TYPE_OCI_MANIFEST;
		else
			return repro_error_set(err, REPRO_EINVALID,
				"%s has no mediaType and neither 'config' nor 'manifests'", what);
	}
	if (document_kind(chosen) == REPRO_OCI_KIND_UNKNOWN)
		return repro_error_set(err, REPRO_EUNSUPPORTED,
			"%s has media type '%s', which is not an image manifest or index", what, chosen);
	*kind = document_kind(chosen);
	*media_type = static_type(chosen);
	return REPRO_OK;
}

int repro_oci_load_document(repro_json_doc *doc, repro_digest *digest, char *what, size_t what_size,
                         const char *noun, const void *data, size_t size, size_t max_bytes,
                         const repro_descriptor *declared, repro_error *err)
{
	repro_digest_algorithm algorithm = declared ? declared->digest.algorithm
	                                            : REPRO_DIGEST_SHA256;
	repro_json_limits limits = {max_bytes, 0};
	char text[REPRO_DIGEST_STRING_MAX];
	int result;

	result = repro_digest_buffer(digest, algorithm, data, size, err);
	if (result != REPRO_OK)
		return result;
	repro_digest_format(digest, text);
	snprintf(what, what_size, "%s %s", noun, text);

	if (declared != NULL && !repro_digest_equal(digest, &declared->digest)) {
		char expected[REPRO_DIGEST_STRING_MAX];

		repro_digest_format(&declared->digest, expected);
		return repro_error_set(err, REPRO_EMISMATCH,
			"%s: digest mismatch: descriptor says %s, content is %s", noun, expected, text);
	}
	if (declared != NULL && declared->size != (int64_t)size)
		return repro_error_set(err, REPRO_EMISMATCH,
			"%s: size mismatch: descriptor says %" PRId64 " bytes, content is %zu",
			what, declared->size, size);
	return repro_json_doc_parse(doc, data, size, what, &limits, err);
}

static int check_schema_version(const json_t *root, const char *what, repro_error *err)
{
	json_int_t version;
	int result = repro_json_get_integer(root, "schemaVersion", "", true, &version, NULL, err);

	if (result != REPRO_OK)
		return repro_error_prefix(err, "%s", what);
	if (version != 2)
		return repro_error_set(err, REPRO_EINVALID, "%s: schemaVersion must be 2, found %" PRId64,
		                       what, (int64_t)version);
	return REPRO_OK;
}

static int parse_descriptor_array(const json_t *array, const char *name, repro_descriptor **out,
                                  size_t *count, repro_error *err)
{
	size_t total = json_array_size(array);

	*out = NULL;
	*count = 0;
	if (total == 0)
		return REPRO_OK;
	*out = calloc(total, sizeof(**out));
	if (*out == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating %zu descriptors failed", total);
	for (size_t i = 0; i < total; i++) {
		char path[REPRO_JSON_PATH_MAX];
		int result;

		repro_json_path_index(path, name, i);
		result = repro_descriptor_parse(&(*out)[i], json_array_get(array, i), path, err);
		if (result != REPRO_OK)
			return result;
		(*count)++;
	}
	return REPRO_OK;
}

static int get_annotations(const json_t *root, json_t **out, repro_error *err)
{
	int result = repro_json_get_object(root, "annotations", "", false, out, err);

	if (result == REPRO_OK && *out != NULL)
		result = repro_oci_check_string_map(*out, "annotations", err);
	return result;
}

void repro_manifest_free(repro_manifest *manifest)
{
	if (manifest == NULL)
		return;
	repro_descriptor_dispose(&manifest->config);
	for (size_t i = 0; i < manifest->layer_count; i++)
		repro_descriptor_dispose(&manifest->layers[i]);
	free(manifest->layers);
	repro_descriptor_dispose(&manifest->subject);
	free(manifest->artifact_type);
	repro_json_doc_dispose(&manifest->doc);
	free(manifest);
}

static int parse_manifest_members(repro_manifest *manifest, repro_error *err)
{
	const json_t *root = manifest->doc.root;
	json_t *config, *layers, *subject;
	const char *artifact_type;
	int result;

	if ((result = repro_json_get_object(root, "config", "", true, &config, err)) != 0 ||
	    (result = repro_json_get_array(root, "layers", "", true, &layers, err)) != 0 ||
	    (result = repro_json_get_object(root, "subject", "", false, &subject, err)) != 0 ||
	    (result = repro_json_get_string(root, "artifactType", "", false, &artifact_type,
	                                    err)) != 0 ||
	    (result = get_annotations(root, &manifest->annotations, err)) != 0)
		return result;
	if ((result = repro_descriptor_parse(&manifest->config, config, "config", err)) != 0 ||
	    (result = parse_descriptor_array(layers, "layers", &manifest->layers,
	                                     &manifest->layer_count, err)) != 0)
		return result;
	if (subject != NULL) {
		result = repro_descriptor_parse(&manifest->subject, subject, "subject", err);
		if (result != REPRO_OK)
			return result;
		manifest->has_subject = true;
	}
	return repro_oci_strdup(&manifest->artifact_type, artifact_type, err);
}

int repro_manifest_parse(repro_manifest **out, const void *data, size_t size,
                         const repro_descriptor *declared, repro_error *err)
{
	repro_manifest *manifest = calloc(1, sizeof(*manifest));
	char what[REPRO_DIGEST_STRING_MAX + 32];
	repro_oci_kind kind;
	int result;

	*out = NULL;
	if (manifest == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating a manifest failed");
	result = repro_oci_load_document(&manifest->doc, &manifest->digest, what, sizeof(what), "manifest",
	                       data, size, REPRO_OCI_MAX_MANIFEST_BYTES, declared, err);
	if (result != REPRO_OK)
		goto cleanup;
	result = repro_oci_detect_kind(manifest->doc.root, declared ? declared->media_type : NULL,
	                               what, &kind, &manifest->media_type, err);
	if (result == REPRO_OK && kind != REPRO_OCI_KIND_MANIFEST)
		result = repro_error_set(err, REPRO_EINVALID, "%s is an index, not a manifest", what);
	if (result != REPRO_OK)
		goto cleanup;
	if ((result = check_schema_version(manifest->doc.root, what, err)) != REPRO_OK)
		goto cleanup;
	if ((result = parse_manifest_members(manifest, err)) != REPRO_OK) {
		repro_error_prefix(err, "%s", what);
		goto cleanup;
	}
	*out = manifest;
	return REPRO_OK;

cleanup:
	repro_manifest_free(manifest);
	return result;
}

void repro_index_free(repro_index *index)
{
	if (index == NULL)
		return;
	for (size_t i = 0; i < index->manifest_count; i++)
		repro_descriptor_dispose(&index->manifests[i]);
	free(index->manifests);
	repro_json_doc_dispose(&index->doc);
	free(index);
}

static int parse_index_members(repro_index *index, repro_error *err)
{
	json_t *manifests;
	bool docker = strcmp(index->media_type, REPRO_MEDIA_TYPE_DOCKER_MANIFEST_LIST) == 0;
	int result;

	if ((result = repro_json_get_array(index->doc.root, "manifests", "", true, &manifests,
	                                   err)) != 0 ||
	    (result = get_annotations(index->doc.root, &index->annotations, err)) != 0 ||
	    (result = parse_descriptor_array(manifests, "manifests", &index->manifests,
	                                     &index->manifest_count, err)) != 0)
		return result;

	/* A Docker manifest list requires a platform on every entry. */
	for (size_t i = 0; docker && i < index->manifest_count; i++) {
		if (!index->manifests[i].has_platform)
			return repro_error_set(err, REPRO_EINVALID, "missing key 'manifests[%zu].platform'",
			                       i);
	}
	return REPRO_OK;
}

int repro_index_parse(repro_index **out, const void *data, size_t size,
                      const repro_descriptor *declared, repro_error *err)
{
	repro_index *index = calloc(1, sizeof(*index));
	char what[REPRO_DIGEST_STRING_MAX + 32];
	repro_oci_kind kind;
	int result;

	*out = NULL;
	if (index == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating an index failed");
	result = repro_oci_load_document(&index->doc, &index->digest, what, sizeof(what), "index", data, size,
	                       REPRO_OCI_MAX_MANIFEST_BYTES, declared, err);
	if (result != REPRO_OK)
		goto cleanup;
	result = repro_oci_detect_kind(index->doc.root, declared ? declared->media_type : NULL, what,
	                               &kind, &index->media_type, err);
	if (result == REPRO_OK && kind != REPRO_OCI_KIND_INDEX)
		result = repro_error_set(err, REPRO_EINVALID, "%s is a manifest, not an index", what);
	if (result != REPRO_OK)
		goto cleanup;
	if ((result = check_schema_version(index->doc.root, what, err)) != REPRO_OK)
		goto cleanup;
	if ((result = parse_index_members(index, err)) != REPRO_OK) {
		repro_error_prefix(err, "%s", what);
		goto cleanup;
	}
	*out = index;
	return REPRO_OK;

cleanup:
	repro_index_free(index);
	return result;
}

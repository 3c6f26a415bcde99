#include "oci_internal.h"

#include <string.h>

/* Sets @p key to @p value, taking the reference; a NULL value is out of memory. */
static int set_new(json_t *object, const char *key, json_t *value)
{
	return value == NULL || json_object_set_new(object, key, value) != 0 ? -1 : 0;
}

static int set_string(json_t *object, const char *key, const char *value)
{
	return value == NULL ? 0 : set_new(object, key, json_string(value));
}

static int set_copy(json_t *object, const char *key, const json_t *value)
{
	return value == NULL ? 0 : set_new(object, key, json_deep_copy(value));
}

static json_t *platform_to_json(const repro_platform *platform)
{
	json_t *object = json_object();
	int failed;

	if (object == NULL)
		return NULL;
	failed = set_string(object, "architecture", platform->architecture) ||
	         set_string(object, "os", platform->os) ||
	         set_string(object, "os.version", platform->os_version);
	if (!failed && platform->os_feature_count > 0) {
		json_t *features = json_array();

		failed = set_new(object, "os.features", features);
		for (size_t i = 0; !failed && i < platform->os_feature_count; i++)
			failed = json_array_append_new(features, json_string(platform->os_features[i]));
	}
	if (!failed)
		failed = set_string(object, "variant", platform->variant);
	if (failed) {
		json_decref(object);
		return NULL;
	}
	return object;
}

int repro_descriptor_to_json(const repro_descriptor *descriptor, json_t **out,
                             repro_error *err)
{
	char digest[REPRO_DIGEST_STRING_MAX];
	json_t *object = json_object();
	int failed;

	*out = NULL;
	repro_digest_format(&descriptor->digest, digest);
	failed = object == NULL ||
	         set_string(object, "mediaType", descriptor->media_type) ||
	         set_string(object, "digest", digest) ||
	         set_new(object, "size", json_integer((json_int_t)descriptor->size)) ||
	         set_copy(object, "urls", descriptor->urls) ||
	         set_copy(object, "annotations", descriptor->annotations) ||
	         (descriptor->has_platform &&
	          set_new(object, "platform", platform_to_json(&descriptor->platform))) ||
	         set_string(object, "artifactType", descriptor->artifact_type);
	if (failed) {
		json_decref(object);
		return repro_error_set(err, REPRO_ENOMEM, "building descriptor %s failed", digest);
	}
	*out = object;
	return REPRO_OK;
}

static int append_descriptors(json_t *object, const char *key, const repro_descriptor *items,
                              size_t count, repro_error *err)
{
	json_t *array = json_array();

	if (set_new(object, key, array) != 0)
		return repro_error_set(err, REPRO_ENOMEM, "building '%s' failed", key);
	for (size_t i = 0; i < count; i++) {
		json_t *item;
		int result = repro_descriptor_to_json(&items[i], &item, err);

		if (result != REPRO_OK)
			return result;
		if (json_array_append_new(array, item) != 0)
			return repro_error_set(err, REPRO_ENOMEM, "building '%s' failed", key);
	}
	return REPRO_OK;
}

static int finish(json_t *root, const json_t *annotations, char **out, size_t *size,
                  repro_error *err)
{
	int result = REPRO_OK;

	if (annotations != NULL && json_object_size(annotations) > 0 &&
	    set_copy(root, "annotations", annotations) != 0)
		result = repro_error_set(err, REPRO_ENOMEM, "building annotations failed");
	if (result == REPRO_OK)
		result = repro_json_dump(root, out, size, err);
	json_decref(root);
	return result;
}

static json_t *new_document(const char *media_type)
{
	json_t *root = json_object();

	if (root == NULL)
		return NULL;
	if (set_new(root, "schemaVersion", json_integer(2)) != 0 ||
	    set_string(root, "mediaType", media_type) != 0) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int repro_oci_manifest_write(const repro_descriptor *config, const repro_descriptor *layers,
                             size_t layer_count, const json_t *annotations, char **out,
                             size_t *size, repro_error *err)
{
	json_t *root = new_document(REPRO_MEDIA_TYPE_OCI_MANIFEST);
	json_t *config_json;
	int result;

	*out = NULL;
	if (root == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "building a manifest failed");
	result = repro_descriptor_to_json(config, &config_json, err);
	if (result == REPRO_OK && set_new(root, "config", config_json) != 0)
		result = repro_error_set(err, REPRO_ENOMEM, "building a manifest failed");
	if (result == REPRO_OK)
		result = append_descriptors(root, "layers", layers, layer_count, err);
	if (result != REPRO_OK) {
		json_decref(root);
		return result;
	}
	return finish(root, annotations, out, size, err);
}

int repro_oci_index_write(const repro_descriptor *manifests, size_t manifest_count,
                          const json_t *annotations, char **out, size_t *size,
                          repro_error *err)
{
	json_t *root = new_document(REPRO_MEDIA_TYPE_OCI_INDEX);
	int result;

	*out = NULL;
	if (root == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "building an index failed");
	result = append_descriptors(root, "manifests", manifests, manifest_count, err);
	if (result != REPRO_OK) {
		json_decref(root);
		return result;
	}
	return finish(root, annotations, out, size, err);
}

static json_t *rootfs_to_json(const repro_config_spec *spec)
{
	json_t *rootfs = json_object();
	json_t *diff_ids = json_array();
	int failed = rootfs == NULL || set_string(rootfs, "type", "layers") ||
	             set_new(rootfs, "diff_ids", diff_ids);

	for (size_t i = 0; !failed && i < spec->diff_id_count; i++) {
		char text[REPRO_DIGEST_STRING_MAX];

		repro_digest_format(&spec->diff_ids[i], text);
		failed = json_array_append_new(diff_ids, json_string(text));
	}
	if (failed) {
		json_decref(rootfs);
		return NULL;
	}
	return rootfs;
}

int repro_oci_config_write(const repro_config_spec *spec, char **out, size_t *size,
                           repro_error *err)
{
	const repro_platform *platform = spec->platform;
	json_t *root;
	int failed;

	*out = NULL;
	if (platform == NULL || platform->os == NULL || platform->architecture == NULL)
		return repro_error_set(err, REPRO_EUSAGE, "a config needs an os and an architecture");
	root = json_object();
	failed = root == NULL ||
	         set_string(root, "created", spec->created) ||
	         set_string(root, "author", spec->author) ||
	         set_string(root, "architecture", platform->architecture) ||
	         set_string(root, "os", platform->os) ||
	         set_string(root, "os.version", platform->os_version);
	if (!failed && platform->os_feature_count > 0) {
		json_t *features = json_array();

		failed = set_new(root, "os.features", features);
		for (size_t i = 0; !failed && i < platform->os_feature_count; i++)
			failed = json_array_append_new(features, json_string(platform->os_features[i]));
	}
	failed = failed ||
	         set_string(root, "variant", platform->variant) ||
	         set_copy(root, "config", spec->config) ||
	         set_new(root, "rootfs", rootfs_to_json(spec)) ||
	         set_copy(root, "history", spec->history);
	if (failed) {
		json_decref(root);
		return repro_error_set(err, REPRO_ENOMEM, "building a config failed");
	}
	return finish(root, NULL, out, size, err);
}

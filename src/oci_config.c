#include "oci_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void repro_config_free(repro_config *config)
{
	if (config == NULL)
		return;
	repro_platform_dispose(&config->platform);
	free(config->diff_ids);
	repro_json_doc_dispose(&config->doc);
	free(config);
}

static int parse_rootfs(repro_config *config, repro_error *err)
{
	json_t *rootfs, *diff_ids;
	const char *type;
	size_t count;
	int result;

	if ((result = repro_json_get_object(config->doc.root, "rootfs", "", true, &rootfs, err)) != 0 ||
	    (result = repro_json_get_string(rootfs, "type", "rootfs", true, &type, err)) != 0 ||
	    (result = repro_json_get_array(rootfs, "diff_ids", "rootfs", true, &diff_ids, err)) != 0)
		return result;
	if (strcmp(type, "layers") != 0)
		return repro_error_set(err, REPRO_EINVALID, "'rootfs.type' must be \"layers\", found "
		                       "\"%.100s\"", type);

	count = json_array_size(diff_ids);
	if (count == 0)
		return REPRO_OK;
	config->diff_ids = calloc(count, sizeof(*config->diff_ids));
	if (config->diff_ids == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating %zu diff_ids failed", count);
	for (size_t i = 0; i < count; i++) {
		const char *text = json_string_value(json_array_get(diff_ids, i));

		if (text == NULL)
			return repro_error_set(err, REPRO_EFORMAT,
				"'rootfs.diff_ids[%zu]' must be a string, found %s", i,
				repro_json_type_name(json_array_get(diff_ids, i)));
		result = repro_digest_parse(&config->diff_ids[i], text, err);
		if (result != REPRO_OK)
			return repro_error_prefix(err, "rootfs.diff_ids[%zu]", i);
		config->diff_id_count++;
	}
	return REPRO_OK;
}

static int parse_history(repro_config *config, repro_error *err)
{
	json_t *history, *entry;
	size_t index;
	int result = repro_json_get_array(config->doc.root, "history", "", false, &history, err);

	if (result != REPRO_OK || history == NULL)
		return result;
	json_array_foreach(history, index, entry) {
		char path[REPRO_JSON_PATH_MAX];
		bool empty = false;

		repro_json_path_index(path, "history", index);
		if (!json_is_object(entry))
			return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an object, found %s", path,
			                       repro_json_type_name(entry));
		result = repro_json_get_bool(entry, "empty_layer", path, false, &empty, NULL, err);
		if (result != REPRO_OK)
			return result;
		if (empty)
			config->empty_layer_count++;
	}
	config->history_count = json_array_size(history);
	return REPRO_OK;
}

static int parse_config_members(repro_config *config, repro_error *err)
{
	const json_t *root = config->doc.root;
	json_t *runtime;
	int result;

	if (!json_is_object(root))
		return repro_error_set(err, REPRO_EFORMAT, "must be a JSON object, found %s",
		                       repro_json_type_name(root));
	result = repro_platform_from_json(&config->platform, root, "", err);
	if (result != REPRO_OK)
		return result;
	if ((result = repro_json_get_string(root, "created", "", false, &config->created, err)) != 0 ||
	    (result = repro_json_get_object(root, "config", "", false, &runtime, err)) != 0 ||
	    (result = parse_rootfs(config, err)) != 0 ||
	    (result = parse_history(config, err)) != 0)
		return result;
	config->config = runtime;
	return REPRO_OK;
}

int repro_config_parse(repro_config **out, const void *data, size_t size,
                       const repro_descriptor *declared, repro_error *err)
{
	repro_config *config = calloc(1, sizeof(*config));
	char what[REPRO_DIGEST_STRING_MAX + 32];
	int result;

	*out = NULL;
	if (config == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating a config failed");
	config->media_type = REPRO_MEDIA_TYPE_OCI_CONFIG;
	if (declared != NULL) {
		if (strcmp(declared->media_type, REPRO_MEDIA_TYPE_DOCKER_CONFIG) == 0) {
			config->media_type = REPRO_MEDIA_TYPE_DOCKER_CONFIG;
		} else if (strcmp(declared->media_type, REPRO_MEDIA_TYPE_OCI_CONFIG) != 0) {
			result = repro_error_set(err, REPRO_EUNSUPPORTED,
				"config media type '%s' is not an image config", declared->media_type);
			goto cleanup;
		}
	}

	result = repro_oci_load_document(&config->doc, &config->digest, what, sizeof(what),
	                                 "config", data, size, REPRO_OCI_MAX_CONFIG_BYTES, declared,
	                                 err);
	if (result != REPRO_OK)
		goto cleanup;
	if ((result = parse_config_members(config, err)) != REPRO_OK) {
		repro_error_prefix(err, "%s", what);
		goto cleanup;
	}
	*out = config;
	return REPRO_OK;

cleanup:
	repro_config_free(config);
	return result;
}

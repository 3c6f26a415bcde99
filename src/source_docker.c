#include "source_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void repro_docker_normalize_name(const char *name, char *out, size_t size)
{
	const char *slash = strchr(name, '/');
	const char *last_slash = strrchr(name, '/');
	const char *tag_colon = strrchr(last_slash ? last_slash : name, ':');
	bool has_domain = slash != NULL &&
		(memchr(name, '.', (size_t)(slash - name)) != NULL ||
		 memchr(name, ':', (size_t)(slash - name)) != NULL ||
		 strncmp(name, "localhost/", 10) == 0);
	const char *prefix = has_domain ? "" : (slash == NULL ? "docker.io/library/" : "docker.io/");

	/* The Docker CLI adds the default registry, library/ and the tag latest. */
	snprintf(out, size, "%s%s%s", prefix, name,
	         tag_colon == NULL && strchr(name, '@') == NULL ? ":latest" : "");
}

/* One entry of a legacy manifest.json. */
typedef struct legacy_image {
	const char *config;
	json_t *repo_tags;
	json_t *layers;
} legacy_image;

static int parse_legacy_entry(json_t *entry, size_t index, legacy_image *out, repro_error *err)
{
	char path[REPRO_JSON_PATH_MAX];
	size_t i;
	json_t *value;
	int result;

	repro_json_path_index(path, "", index);
	if (!json_is_object(entry))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an object, found %s", path,
		                       repro_json_type_name(entry));
	if ((result = repro_json_get_string(entry, "Config", path, true, &out->config, err)) != 0 ||
	    (result = repro_json_get_array(entry, "RepoTags", path, false, &out->repo_tags, err)) != 0 ||
	    (result = repro_json_get_array(entry, "Layers", path, true, &out->layers, err)) != 0)
		return result;
	json_array_foreach(out->layers, i, value) {
		if (!json_is_string(value))
			return repro_error_set(err, REPRO_EFORMAT, "'%s.Layers[%zu]' must be a string", path, i);
	}
	json_array_foreach(out->repo_tags, i, value) {
		if (!json_is_string(value))
			return repro_error_set(err, REPRO_EFORMAT, "'%s.RepoTags[%zu]' must be a string", path,
			                       i);
	}
	return REPRO_OK;
}

static bool has_tag(const legacy_image *image, const char *wanted)
{
	size_t i;
	json_t *value;

	json_array_foreach(image->repo_tags, i, value) {
		char normalized[512];

		repro_docker_normalize_name(json_string_value(value), normalized, sizeof(normalized));
		if (strcmp(normalized, wanted) == 0)
			return true;
	}
	return false;
}

static void list_tags(json_t *entries, char *out, size_t size)
{
	size_t used = 0, i, j;
	json_t *entry, *tag;

	out[0] = '\0';
	json_array_foreach(entries, i, entry) {
		json_array_foreach(json_object_get(entry, "RepoTags"), j, tag) {
			if (used < size && json_is_string(tag))
				used += (size_t)snprintf(out + used, size - used, "%s'%.100s'", used ? ", " : "",
				                         json_string_value(tag));
		}
	}
	if (out[0] == '\0')
		snprintf(out, size, "none");
}

/* Picks the image of manifest.json named by @p name (NAME:TAG or @INDEX), or the only one. */
static int select_legacy(json_t *entries, const char *name, const char *archive, legacy_image *out,
                         repro_error *err)
{
	size_t count = json_array_size(entries);
	char wanted[512], tags[512];
	int result;

	if (name != NULL && name[0] == '@') {
		char *end;
		unsigned long index = strtoul(name + 1, &end, 10);

		if (*end != '\0' || name[1] == '\0' || index >= count)
			return repro_error_set(err, REPRO_ENOTFOUND,
				"no image '%s' in '%s', which holds %zu images", name, archive, count);
		return parse_legacy_entry(json_array_get(entries, index), index, out, err);
	}
	if (name == NULL) {
		if (count != 1) {
			list_tags(entries, tags, sizeof(tags));
			return repro_error_set(err, count == 0 ? REPRO_EINVALID : REPRO_EUSAGE,
				"'%s' holds %zu images; name one as docker-archive:PATH:NAME:TAG "
				"(available: %s)", archive, count, tags);
		}
		return parse_legacy_entry(json_array_get(entries, 0), 0, out, err);
	}
	repro_docker_normalize_name(name, wanted, sizeof(wanted));
	for (size_t i = 0; i < count; i++) {
		if ((result = parse_legacy_entry(json_array_get(entries, i), i, out, err)) != 0)
			return result;
		if (has_tag(out, wanted))
			return REPRO_OK;
	}
	list_tags(entries, tags, sizeof(tags));
	return repro_error_set(err, REPRO_ENOTFOUND, "image '%s' not found in '%s'; available: %s",
	                       name, archive, tags);
}

/* Adds {"mediaType","size","digest"} in this order, the order skopeo writes. */
static int append_descriptor(json_t *array_or_object, const char *key, const char *media_type,
                             int64_t size, const repro_digest *digest)
{
	char text[REPRO_DIGEST_STRING_MAX];
	json_t *item = json_object();

	repro_digest_format(digest, text);
	if (item == NULL || json_object_set_new(item, "mediaType", json_string(media_type)) != 0 ||
	    json_object_set_new(item, "size", json_integer((json_int_t)size)) != 0 ||
	    json_object_set_new(item, "digest", json_string(text)) != 0) {
		json_decref(item);
		return -1;
	}
	if (key != NULL)
		return json_object_set_new(array_or_object, key, item);
	return json_array_append_new(array_or_object, item);
}

/*
 * Builds the Docker schema 2 manifest that skopeo 1.9 reports for a legacy
 * archive, byte for byte: every layer gets the gzip layer media type even
 * though the files are plain tars, its diff_id as digest and its file size.
 */
static int synthesise_manifest(const repro_descriptor *config, const repro_descriptor *layers,
                               size_t count, char **out, size_t *size, repro_error *err)
{
	json_t *root = json_object();
	json_t *array = json_array();
	int failed = root == NULL || array == NULL ||
		json_object_set_new(root, "schemaVersion", json_integer(2)) != 0 ||
		json_object_set_new(root, "mediaType", json_string(REPRO_MEDIA_TYPE_DOCKER_MANIFEST)) ||
		append_descriptor(root, "config", config->media_type, config->size, &config->digest);
	int result;

	if (!failed) {
		failed = json_object_set(root, "layers", array);
		for (size_t i = 0; i < count && !failed; i++)
			failed = append_descriptor(array, NULL, REPRO_MEDIA_TYPE_DOCKER_LAYER_GZIP,
			                           layers[i].size, &layers[i].digest);
	}
	json_decref(array);
	if (failed) {
		json_decref(root);
		return repro_error_set(err, REPRO_ENOMEM, "building the manifest failed");
	}
	result = repro_json_dump(root, out, size, err);
	json_decref(root);
	return result;
}

static int check_member(const char *name, const char *archive, repro_error *err)
{
	if (!repro_path_is_safe(name))
		return repro_error_set(err, REPRO_EUNSAFE,
			"manifest.json in '%s' names '%.200s', which leaves the archive", archive, name);
	return REPRO_OK;
}

/* Reads the config of @p image and registers it and its layers with the source. */
static int describe_legacy_image(repro_source *source, const repro_tree *tree,
                                 const legacy_image *image, repro_descriptor *config,
                                 repro_descriptor **layers, size_t *count, repro_error *err)
{
	unsigned char *bytes = NULL;
	size_t size, layer_count = json_array_size(image->layers);
	repro_config *parsed = NULL;
	int result;

	*layers = NULL;
	*count = 0;
	if ((result = check_member(image->config, tree->path, err)) != REPRO_OK ||
	    (result = repro_tree_read(tree, image->config, REPRO_OCI_MAX_CONFIG_BYTES, &bytes, &size,
	                              err)) != REPRO_OK ||
	    (result = repro_config_parse(&parsed, bytes, size, NULL, err)) != REPRO_OK)
		goto cleanup;
	if (parsed->diff_id_count != layer_count) {
		result = repro_error_set(err, REPRO_EINVALID,
			"manifest.json lists %zu layers but config '%s' has %zu diff_ids", layer_count,
			image->config, parsed->diff_id_count);
		goto cleanup;
	}
	if ((result = repro_descriptor_init(config, REPRO_MEDIA_TYPE_DOCKER_CONFIG, &parsed->digest,
	                                    (int64_t)size, err)) != REPRO_OK ||
	    (result = repro_docker_source_add_path(source, &parsed->digest, image->config, err)) != 0)
		goto cleanup;
	*layers = calloc(layer_count ? layer_count : 1, sizeof(**layers));
	if (*layers == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "allocating %zu layers failed", layer_count);
		goto cleanup;
	}
	for (size_t i = 0; i < layer_count; i++) {
		const char *name = json_string_value(json_array_get(image->layers, i));
		const repro_tar_entry *entry;

		if ((result = check_member(name, tree->path, err)) != REPRO_OK ||
		    (result = repro_tar_index_find(tree->tar, name, true, &entry, err)) != REPRO_OK ||
		    (result = repro_docker_source_add_path(source, &parsed->diff_ids[i], name, err)) != 0)
			goto cleanup;
		(*layers)[i].digest = parsed->diff_ids[i];
		(*layers)[i].size = entry->size;
		(*count)++;
	}

cleanup:
	repro_config_free(parsed);
	free(bytes);
	return result;
}

static int read_manifest_json(const repro_tree *tree, json_t **entries, repro_error *err)
{
	unsigned char *bytes;
	size_t size;
	int result = repro_tree_read(tree, "manifest.json", REPRO_OCI_MAX_MANIFEST_BYTES, &bytes,
	                             &size, err);

	*entries = NULL;
	if (result == REPRO_OK)
		result = repro_json_parse(entries, bytes, size, "manifest.json", NULL, err);
	if (result == REPRO_OK && !json_is_array(*entries))
		result = repro_error_set(err, REPRO_EFORMAT, "manifest.json must be an array, found %s",
		                         repro_json_type_name(*entries));
	if (result != REPRO_OK) {
		json_decref(*entries);
		*entries = NULL;
		repro_error_prefix(err, "reading '%s'", tree->path);
	}
	free(bytes);
	return result;
}

int repro_docker_legacy_source_open(repro_source **out, repro_tree *tree, const char *spec,
                                    const char *image_name, repro_error *err)
{
	repro_source *source = NULL;
	json_t *entries = NULL;
	legacy_image image;
	repro_descriptor config = {0}, *layers = NULL;
	size_t layer_count = 0, size;
	char *manifest = NULL;
	repro_digest digest;
	int result;

	*out = NULL;
	if ((result = repro_docker_source_new(&source, tree, spec, err)) != REPRO_OK)
		return result;
	tree = repro_docker_source_tree(source);
	if ((result = read_manifest_json(tree, &entries, err)) != REPRO_OK ||
	    (result = select_legacy(entries, image_name, tree->path, &image, err)) != REPRO_OK ||
	    (result = describe_legacy_image(source, tree, &image, &config, &layers, &layer_count,
	                                    err)) != REPRO_OK ||
	    (result = synthesise_manifest(&config, layers, layer_count, &manifest, &size, err)) != 0)
		goto cleanup;
	result = repro_source_add_memory_blob(source, (unsigned char *)manifest, size, &digest, err);
	manifest = NULL;
	if (result == REPRO_OK)
		result = repro_descriptor_init(&source->root, REPRO_MEDIA_TYPE_DOCKER_MANIFEST, &digest,
		                               (int64_t)size, err);
	if (result == REPRO_OK) {
		*out = source;
		source = NULL;
	}

cleanup:
	free(manifest);
	repro_descriptor_dispose(&config);
	free(layers);
	json_decref(entries);
	repro_source_free(source);
	return result;
}

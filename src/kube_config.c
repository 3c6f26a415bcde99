/*
 * Kubeconfig files: reading one or several, checking their structure, and
 * the lookup of a context, its cluster and its user by name.
 */
#include "kube_internal.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileutil_internal.h"

/* The three named lists of a kubeconfig and the key of each entry's body. */
static const char *const named_lists[][2] = {
	{"clusters", "cluster"},
	{"contexts", "context"},
	{"users", "user"},
};

void repro_kube_config_free(repro_kube_config *config)
{
	if (config == NULL)
		return;
	for (size_t i = 0; i < config->file_count; i++) {
		free(config->files[i].name);
		free(config->files[i].base_dir);
		json_decref(config->files[i].root);
	}
	free(config->files);
	free(config->display_name);
	free(config);
}

/* Checks one of clusters, contexts or users: a sequence of mappings, each
 * with a unique non-empty `name` and a mapping (or empty) body. */
static int check_named_list(json_t *root, const char *list_key, const char *body_key,
                            const char *name, repro_error *err)
{
	json_t *list = json_object_get(root, list_key);
	json_t *seen, *entry;
	size_t index;
	int result = REPRO_OK;

	if (list == NULL || json_is_null(list))
		return REPRO_OK;
	if (!json_is_array(list))
		return repro_error_set(err, REPRO_EFORMAT, "kubeconfig '%s': '%s' must be a sequence, found %s",
		                       name, list_key, repro_json_type_name(list));
	/* Maps each name to the index of its entry, to find repeats in one pass. */
	seen = json_object();
	if (seen == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "reading kubeconfig '%s': out of memory", name);
	json_array_foreach(list, index, entry) {
		char path[REPRO_JSON_PATH_MAX];
		const char *entry_name;
		json_t *body, *earlier;

		repro_json_path_index(path, list_key, index);
		if (!json_is_object(entry)) {
			result = repro_error_set(err, REPRO_EFORMAT, "kubeconfig '%s': '%s' must be a mapping, found %s",
			                         name, path, repro_json_type_name(entry));
			break;
		}
		result = repro_json_get_string(entry, "name", path, true, &entry_name, err);
		if (result == REPRO_OK && entry_name[0] == '\0')
			result = repro_error_set(err, REPRO_EFORMAT, "'%s.name' is empty", path);
		body = json_object_get(entry, body_key);
		if (result == REPRO_OK && body != NULL && !json_is_null(body))
			result = repro_json_get_object(entry, body_key, path, false, &body, err);
		if (result != REPRO_OK) {
			repro_error_prefix(err, "kubeconfig '%s'", name);
			break;
		}

		earlier = json_object_get(seen, entry_name);
		if (earlier != NULL) {
			result = repro_error_set(err, REPRO_EFORMAT,
				"kubeconfig '%s': '%s' repeats the name '%s' of %s[%lld]", name, path,
				entry_name, list_key, (long long)json_integer_value(earlier));
			break;
		}
		if (json_object_set_new(seen, entry_name, json_integer((json_int_t)index)) != 0) {
			result = repro_error_set(err, REPRO_ENOMEM, "reading kubeconfig '%s': out of memory", name);
			break;
		}
	}
	json_decref(seen);
	return result;
}

static int check_structure(json_t *root, const char *name, repro_error *err)
{
	const char *text;
	int result;

	if (!json_is_object(root))
		return repro_error_set(err, REPRO_EFORMAT, "kubeconfig '%s': the top level must be a mapping, found %s",
		                       name, repro_json_type_name(root));
	result = repro_json_get_string(root, "kind", "", false, &text, err);
	if (result == REPRO_OK && text != NULL && strcmp(text, "Config") != 0)
		result = repro_error_set(err, REPRO_EFORMAT, "'kind' is '%s', expected 'Config'", text);
	if (result == REPRO_OK && !json_is_null(json_object_get(root, "current-context")))
		result = repro_json_get_string(root, "current-context", "", false, &text, err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "kubeconfig '%s'", name);
	for (size_t i = 0; i < 3; i++) {
		result = check_named_list(root, named_lists[i][0], named_lists[i][1], name, err);
		if (result != REPRO_OK)
			return result;
	}
	return REPRO_OK;
}

static int add_file(repro_kube_config *config, const void *bytes, size_t size, const char *name,
                    const char *base_dir, repro_error *err)
{
	kube_config_file *grown, *file;
	json_t *root = NULL;
	char label[4096 + 16];
	int result;

	snprintf(label, sizeof(label), "kubeconfig '%s'", name);
	result = repro_kube_yaml_parse(&root, bytes, size, label, err);
	if (result != REPRO_OK)
		return result;
	if (json_is_null(root)) {
		json_decref(root);
		root = json_object();
	}
	result = check_structure(root, name, err);
	if (result != REPRO_OK) {
		json_decref(root);
		return result;
	}

	grown = realloc(config->files, (config->file_count + 1) * sizeof(*grown));
	if (grown == NULL) {
		json_decref(root);
		return repro_error_set(err, REPRO_ENOMEM, "reading kubeconfig '%s': out of memory", name);
	}
	config->files = grown;
	file = &config->files[config->file_count];
	memset(file, 0, sizeof(*file));
	file->root = root;
	config->file_count++;
	if (repro_kube_strdup(&file->name, name, "a kubeconfig name", err) != REPRO_OK ||
	    repro_kube_strdup(&file->base_dir, base_dir ? base_dir : ".", "a kubeconfig directory", err) != REPRO_OK)
		return REPRO_ENOMEM;
	return REPRO_OK;
}

int repro_kube_config_parse(repro_kube_config **out, const void *bytes, size_t size,
                            const char *name, const char *base_dir, repro_error *err)
{
	repro_kube_config *config = calloc(1, sizeof(*config));
	int result;

	*out = NULL;
	if (config == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "reading kubeconfig '%s': out of memory", name);
	result = repro_kube_strdup(&config->display_name, name, "a kubeconfig name", err);
	if (result == REPRO_OK)
		result = add_file(config, bytes, size, name, base_dir, err);
	if (result != REPRO_OK) {
		repro_kube_config_free(config);
		return result;
	}
	*out = config;
	return REPRO_OK;
}

/* Reads one file into @p config. A missing file is REPRO_ENOTFOUND. */
static int load_file(repro_kube_config *config, const char *path, repro_error *err)
{
	unsigned char *bytes = NULL;
	size_t size = 0;
	char *copy = NULL;
	int result;

	result = repro_file_read_all(path, REPRO_KUBE_CONFIG_MAX_BYTES, &bytes, &size, err);
	if (result != REPRO_OK)
		return result == REPRO_ENOTFOUND ? result : repro_error_prefix(err, "reading kubeconfig");
	result = repro_kube_strdup(&copy, path, "a kubeconfig path", err);
	if (result == REPRO_OK)
		result = add_file(config, bytes, size, path, dirname(copy), err);
	free(copy);
	free(bytes);
	return result;
}

/* Reads each file of the ':'-separated @p list; like kubectl, files that do
 * not exist are skipped. */
static int load_list(repro_kube_config *config, const char *list, repro_error *err)
{
	char *copy = NULL, *cursor, *path;
	unsigned int files = 0;
	int result = repro_kube_strdup(&copy, list, "$KUBECONFIG", err);

	cursor = copy;
	while (result == REPRO_OK && (path = strsep(&cursor, ":")) != NULL) {
		if (path[0] == '\0')
			continue;
		if (++files > REPRO_KUBE_CONFIG_MAX_FILES) {
			result = repro_error_set(err, REPRO_ELIMIT, "$KUBECONFIG names more than %d files",
			                         REPRO_KUBE_CONFIG_MAX_FILES);
			break;
		}
		result = load_file(config, path, err);
		if (result == REPRO_ENOTFOUND)
			result = REPRO_OK;
	}
	free(copy);
	if (result == REPRO_OK && config->file_count == 0)
		result = repro_error_set(err, REPRO_ENOTFOUND,
			"no kubeconfig found: none of the files in $KUBECONFIG ('%s') exists", list);
	return result;
}

int repro_kube_config_load(repro_kube_config **out, const char *path, repro_error *err)
{
	repro_kube_config *config = calloc(1, sizeof(*config));
	const char *list = getenv("KUBECONFIG");
	char home_path[4096];
	int result;

	*out = NULL;
	if (config == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "reading kubeconfig: out of memory");
	if (path == NULL && list != NULL && list[0] != '\0') {
		result = repro_kube_strdup(&config->display_name, list, "$KUBECONFIG", err);
		if (result == REPRO_OK)
			result = load_list(config, list, err);
	} else {
		if (path == NULL) {
			const char *home = getenv("HOME");

			if (home == NULL || home[0] == '\0') {
				repro_kube_config_free(config);
				return repro_error_set(err, REPRO_ENOTFOUND,
					"no kubeconfig found: $KUBECONFIG and $HOME are not set; pass --kubeconfig FILE");
			}
			snprintf(home_path, sizeof(home_path), "%s/.kube/config", home);
			path = home_path;
		}
		result = repro_kube_strdup(&config->display_name, path, "a kubeconfig path", err);
		if (result == REPRO_OK)
			result = load_file(config, path, err);
		if (result == REPRO_ENOTFOUND)
			repro_error_set(err, REPRO_ENOTFOUND, "kubeconfig '%s' does not exist", path);
	}
	if (result != REPRO_OK) {
		repro_kube_config_free(config);
		return result;
	}
	*out = config;
	return REPRO_OK;
}

/*
 * The pod model: pods and their containers, read from a List, a PodList or
 * a single Pod as kubectl prints them and the API server returns them.
 */
#include "kube_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/json.h>

/* Maximum length of a name and a namespace in Kubernetes (a DNS
 * subdomain), and a generous maximum for image references and IDs. */
#define MAX_NAME 253
#define MAX_IMAGE 4096

/* The spec and status keys of each container kind, in the order kept. */
static const struct {
	repro_kube_container_kind kind;
	const char *spec_key;
	const char *status_key;
} container_keys[] = {
	{REPRO_KUBE_INIT, "initContainers", "initContainerStatuses"},
	{REPRO_KUBE_CONTAINER, "containers", "containerStatuses"},
	{REPRO_KUBE_EPHEMERAL, "ephemeralContainers", "ephemeralContainerStatuses"},
};

const char *repro_kube_container_kind_name(repro_kube_container_kind kind)
{
	switch (kind) {
	case REPRO_KUBE_INIT: return "init";
	case REPRO_KUBE_EPHEMERAL: return "ephemeral";
	default: return "container";
	}
}

void repro_kube_pod_list_init(repro_kube_pod_list *list)
{
	memset(list, 0, sizeof(*list));
}

static void pod_dispose(repro_kube_pod *pod)
{
	for (size_t i = 0; i < pod->container_count; i++) {
		free(pod->containers[i].name);
		free(pod->containers[i].image);
		free(pod->containers[i].image_id);
	}
	free(pod->containers);
	free(pod->namespace_name);
	free(pod->name);
	memset(pod, 0, sizeof(*pod));
}

void repro_kube_pod_list_truncate(repro_kube_pod_list *list, size_t count)
{
	while (list->pod_count > count)
		pod_dispose(&list->pods[--list->pod_count]);
}

void repro_kube_pod_list_dispose(repro_kube_pod_list *list)
{
	for (size_t i = 0; i < list->pod_count; i++)
		pod_dispose(&list->pods[i]);
	free(list->pods);
	memset(list, 0, sizeof(*list));
}

/* Reads a string that reprocheck prints: bounded, no control characters,
 * so a hostile pod list cannot write escape sequences to a terminal. */
static int get_printable(const json_t *object, const char *key, const char *path, bool required,
                         size_t max_length, char **out, repro_error *err)
{
	char key_path[REPRO_JSON_PATH_MAX];
	const char *text = NULL;
	int result;

	*out = NULL;
	if (!required && json_is_null(json_object_get(object, key)))
		return REPRO_OK;
	result = repro_json_get_string(object, key, path, required, &text, err);
	if (result != REPRO_OK || text == NULL)
		return result;
	repro_json_path_key(key_path, path, key);
	if (required && text[0] == '\0')
		return repro_error_set(err, REPRO_EFORMAT, "'%s' is empty", key_path);
	if (strlen(text) > max_length)
		return repro_error_set(err, REPRO_ELIMIT, "'%s' is longer than %zu bytes", key_path, max_length);
	for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
		if (*c < 0x20 || *c == 0x7f)
			return repro_error_set(err, REPRO_EFORMAT, "'%s' contains a control character", key_path);
	}
	return repro_kube_strdup(out, text, key_path, err);
}

static int get_optional_array(const json_t *object, const char *key, const char *path,
                              json_t **out, repro_error *err)
{
	*out = NULL;
	if (object == NULL || json_is_null(json_object_get(object, key)))
		return REPRO_OK;
	return repro_json_get_array(object, key, path, false, out, err);
}

/* Finds the imageID of container @p name in a status array; an empty
 * imageID, as a pending pod has, counts as none. */
static int find_image_id(json_t *statuses, const char *status_path, const char *name,
                         char **out, repro_error *err)
{
	size_t index;
	json_t *entry;

	*out = NULL;
	json_array_foreach(statuses, index, entry) {
		char entry_path[REPRO_JSON_PATH_MAX];
		const char *entry_name;
		int result;

		repro_json_path_index(entry_path, status_path, index);
		if (!json_is_object(entry))
			return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an object, found %s",
			                       entry_path, repro_json_type_name(entry));
		result = repro_json_get_string(entry, "name", entry_path, true, &entry_name, err);
		if (result != REPRO_OK)
			return result;
		if (strcmp(entry_name, name) != 0)
			continue;
		result = get_printable(entry, "imageID", entry_path, false, MAX_IMAGE, out, err);
		if (result == REPRO_OK && *out != NULL && (*out)[0] == '\0') {
			free(*out);
			*out = NULL;
		}
		return result;
	}
	return REPRO_OK;
}

static int add_container(repro_kube_pod *pod, repro_kube_container_kind kind, json_t *spec_entry,
                         const char *spec_path, json_t *statuses, const char *status_path,
                         repro_error *err)
{
	repro_kube_container *container;
	int result;

	if (!json_is_object(spec_entry))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an object, found %s", spec_path,
		                       repro_json_type_name(spec_entry));
	if (pod->container_count >= REPRO_KUBE_MAX_CONTAINERS)
		return repro_error_set(err, REPRO_ELIMIT, "pod '%s' has more than %d containers", pod->name,
		                       REPRO_KUBE_MAX_CONTAINERS);
	container = &pod->containers[pod->container_count++];
	container->kind = kind;
	result = get_printable(spec_entry, "name", spec_path, true, MAX_NAME, &container->name, err);
	if (result == REPRO_OK)
		result = get_printable(spec_entry, "image", spec_path, false, MAX_IMAGE, &container->image, err);
	if (result == REPRO_OK && statuses != NULL)
		result = find_image_id(statuses, status_path, container->name, &container->image_id, err);
	return result;
}

static int read_containers(repro_kube_pod *pod, json_t *item, const char *item_path, repro_error *err)
{
	char spec_path[REPRO_JSON_PATH_MAX], status_path[REPRO_JSON_PATH_MAX];
	json_t *spec, *status = NULL, *lists[3] = {NULL, NULL, NULL}, *statuses[3] = {NULL, NULL, NULL};
	size_t total = 0;
	int result;

	repro_json_path_key(spec_path, item_path, "spec");
	repro_json_path_key(status_path, item_path, "status");
	result = repro_json_get_object(item, "spec", item_path, true, &spec, err);
	if (result == REPRO_OK && !json_is_null(json_object_get(item, "status")))
		result = repro_json_get_object(item, "status", item_path, false, &status, err);
	for (size_t k = 0; k < 3 && result == REPRO_OK; k++) {
		result = get_optional_array(spec, container_keys[k].spec_key, spec_path, &lists[k], err);
		if (result == REPRO_OK)
			result = get_optional_array(status, container_keys[k].status_key, status_path, &statuses[k], err);
		total += lists[k] ? json_array_size(lists[k]) : 0;
	}
	if (result != REPRO_OK)
		return result;
	if (total > REPRO_KUBE_MAX_CONTAINERS)
		return repro_error_set(err, REPRO_ELIMIT, "pod '%s' has more than %d containers", pod->name,
		                       REPRO_KUBE_MAX_CONTAINERS);
	pod->containers = calloc(total ? total : 1, sizeof(*pod->containers));
	if (pod->containers == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "reading pod '%s': out of memory", pod->name);

	for (size_t k = 0; k < 3 && result == REPRO_OK; k++) {
		char list_path[REPRO_JSON_PATH_MAX], statuses_path[REPRO_JSON_PATH_MAX];
		size_t index;
		json_t *entry;

		repro_json_path_key(list_path, spec_path, container_keys[k].spec_key);
		repro_json_path_key(statuses_path, status_path, container_keys[k].status_key);
		json_array_foreach(lists[k], index, entry) {
			char entry_path[REPRO_JSON_PATH_MAX];

			repro_json_path_index(entry_path, list_path, index);
			result = add_container(pod, container_keys[k].kind, entry, entry_path, statuses[k],
			                       statuses_path, err);
			if (result != REPRO_OK)
				break;
		}
	}
	return result;
}

static int read_pod(repro_kube_pod *pod, json_t *item, const char *item_path, repro_error *err)
{
	char metadata_path[REPRO_JSON_PATH_MAX];
	const char *kind = NULL;
	json_t *metadata;
	int result;

	if (!json_is_object(item))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an object, found %s",
		                       item_path[0] ? item_path : "the document", repro_json_type_name(item));
	result = repro_json_get_string(item, "kind", item_path, false, &kind, err);
	if (result == REPRO_OK && kind != NULL && strcmp(kind, "Pod") != 0)
		result = repro_error_set(err, REPRO_EFORMAT, "'%s' is a %.64s, not a Pod",
		                         item_path[0] ? item_path : "the document", kind);
	if (result == REPRO_OK)
		result = repro_json_get_object(item, "metadata", item_path, true, &metadata, err);
	repro_json_path_key(metadata_path, item_path, "metadata");
	if (result == REPRO_OK)
		result = get_printable(metadata, "name", metadata_path, true, MAX_NAME, &pod->name, err);
	if (result == REPRO_OK)
		result = get_printable(metadata, "namespace", metadata_path, true, MAX_NAME,
		                       &pod->namespace_name, err);
	if (result == REPRO_OK)
		result = read_containers(pod, item, item_path, err);
	return result;
}

static int reserve(repro_kube_pod_list *list, size_t more, const char *name, repro_error *err)
{
	size_t needed = list->pod_count + more, capacity = list->capacity ? list->capacity : 64;
	repro_kube_pod *grown;

	if (more > REPRO_KUBE_MAX_PODS || needed > REPRO_KUBE_MAX_PODS)
		return repro_error_set(err, REPRO_ELIMIT, "%s: more than %d pods", name, REPRO_KUBE_MAX_PODS);
	if (needed <= list->capacity)
		return REPRO_OK;
	while (capacity < needed)
		capacity *= 2;
	grown = realloc(list->pods, capacity * sizeof(*grown));
	if (grown == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "%s: out of memory", name);
	list->pods = grown;
	list->capacity = capacity;
	return REPRO_OK;
}

static int read_continue(json_t *root, char **out, repro_error *err)
{
	json_t *metadata = NULL;
	const char *token = NULL;
	int result = REPRO_OK;

	*out = NULL;
	if (!json_is_null(json_object_get(root, "metadata")))
		result = repro_json_get_object(root, "metadata", "", false, &metadata, err);
	if (result == REPRO_OK && metadata != NULL)
		result = repro_json_get_string(metadata, "continue", "metadata", false, &token, err);
	if (result == REPRO_OK && token != NULL && token[0] != '\0')
		result = repro_kube_strdup(out, token, "the continue token", err);
	return result;
}

int repro_kube_pods_append(repro_kube_pod_list *list, json_t *root, const char *name,
                           char **continue_token, repro_error *err)
{
	size_t kept = list->pod_count, index;
	const char *kind = NULL;
	json_t *items = NULL, *item;
	int result;

	if (continue_token != NULL)
		*continue_token = NULL;
	if (!json_is_object(root))
		return repro_error_set(err, REPRO_EFORMAT, "%s: the document is %s, not an object", name,
		                       repro_json_type_name(root));
	result = repro_json_get_string(root, "kind", "", true, &kind, err);
	if (result == REPRO_OK && strcmp(kind, "Pod") == 0) {
		result = reserve(list, 1, name, err);
		if (result == REPRO_OK) {
			memset(&list->pods[list->pod_count], 0, sizeof(repro_kube_pod));
			list->pod_count++;
			result = read_pod(&list->pods[list->pod_count - 1], root, "", err);
		}
	} else if (result == REPRO_OK && strcmp(kind, "List") != 0 && strcmp(kind, "PodList") != 0) {
		result = repro_error_set(err, REPRO_EFORMAT, "'kind' is '%.64s', expected List, PodList or Pod", kind);
	} else if (result == REPRO_OK) {
		if (!json_is_null(json_object_get(root, "items")))
			result = repro_json_get_array(root, "items", "", true, &items, err);
		if (result == REPRO_OK && items != NULL)
			result = reserve(list, json_array_size(items), name, err);
		json_array_foreach(items, index, item) {
			char item_path[REPRO_JSON_PATH_MAX];

			if (result != REPRO_OK)
				break;
			repro_json_path_index(item_path, "items", index);
			memset(&list->pods[list->pod_count], 0, sizeof(repro_kube_pod));
			list->pod_count++;
			result = read_pod(&list->pods[list->pod_count - 1], item, item_path, err);
		}
		if (result == REPRO_OK && continue_token != NULL)
			result = read_continue(root, continue_token, err);
	}
	if (result != REPRO_OK) {
		repro_kube_pod_list_truncate(list, kept);
		if (err != NULL && strncmp(err->message, name, strlen(name)) != 0)
			repro_error_prefix(err, "%s", name);
	}
	return result;
}

int repro_kube_pods_parse(repro_kube_pod_list *list, const void *bytes, size_t size,
                          const char *name, repro_error *err)
{
	repro_json_limits limits = {REPRO_KUBE_PODS_JSON_MAX_BYTES, 0};
	json_t *root = NULL;
	char label[4096 + 16];
	int result;

	snprintf(label, sizeof(label), "pod list '%s'", name);
	result = repro_json_parse(&root, bytes, size, label, &limits, err);
	if (result == REPRO_OK)
		result = repro_kube_pods_append(list, root, label, NULL, err);
	json_decref(root);
	return result;
}

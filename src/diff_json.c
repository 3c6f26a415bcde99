/*
 * The field-by-field JSON diff of indexes, manifests and configs. Objects
 * are matched by key and arrays by position; every differing value is one
 * difference named by its JSON path, such as "config.Env[2]".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_internal.h"

/* Maximum length of one JSON value shown in a difference, in bytes. */
#define VALUE_MAX 512

typedef struct json_walk {
	diff_context *context;
	diff_json_kind kind;
	const char *object;
	size_t shared_layers;
} json_walk;

/* Matches "ARRAY[N]" at the start of @p path; *rest points after the "]". */
static bool indexed_member(const char *path, const char *array, size_t *index,
                           const char **rest)
{
	size_t length = strlen(array);
	char *end = NULL;

	if (strncmp(path, array, length) != 0 || path[length] != '[')
		return false;
	if (path[length + 1] < '0' || path[length + 1] > '9')
		return false;
	*index = strtoull(path + length + 1, &end, 10);
	if (*end != ']')
		return false;
	*rest = end + 1;
	return true;
}

/* Descriptor digests and diff_ids are left to the layer comparison. */
static bool skipped(const json_walk *walk, const char *path)
{
	const char *rest;
	size_t index;

	switch (walk->kind) {
	case DIFF_JSON_INDEX:
		return indexed_member(path, "manifests", &index, &rest) &&
		       (strcmp(rest, ".digest") == 0 || strcmp(rest, ".size") == 0);
	case DIFF_JSON_MANIFEST:
		if (strcmp(path, "config.digest") == 0 || strcmp(path, "config.size") == 0)
			return true;
		if (!indexed_member(path, "layers", &index, &rest))
			return false;
		return index >= walk->shared_layers || strcmp(rest, ".digest") == 0 ||
		       strcmp(rest, ".size") == 0;
	case DIFF_JSON_CONFIG:
		return indexed_member(path, "rootfs.diff_ids", &index, &rest) &&
		       index < walk->shared_layers && rest[0] == '\0';
	}
	return false;
}

static bool ends_with(const char *text, const char *suffix)
{
	size_t length = strlen(text), suffix_length = strlen(suffix);

	return length >= suffix_length && strcmp(text + length - suffix_length, suffix) == 0;
}

/* Sets the ignore class, importance and hint of the difference at @p path. */
static void classify(const json_walk *walk, const char *path, diff_spec *spec)
{
	const char *rest;
	size_t index;

	spec->importance = walk->kind == DIFF_JSON_CONFIG ? REPRO_DIFF_CONTENT : REPRO_DIFF_METADATA;
	if (walk->kind == DIFF_JSON_CONFIG && strcmp(path, "created") == 0) {
		spec->ignore_class = DIFF_CLASS_CREATED;
		spec->importance = REPRO_DIFF_METADATA;
		spec->hint = "the image creation time differs: if both images come from one commit, "
		             "the build did not set it from SOURCE_DATE_EPOCH";
	} else if (walk->kind == DIFF_JSON_CONFIG && strncmp(path, "history", 7) == 0) {
		spec->ignore_class = DIFF_CLASS_HISTORY;
		spec->importance = REPRO_DIFF_METADATA;
		if (ends_with(path, ".created"))
			spec->hint = "a build step's time stamp differs: if both images come from one "
			             "commit, the build did not set it from SOURCE_DATE_EPOCH";
	} else if (strstr(path, "annotations") != NULL) {
		spec->ignore_class = ends_with(path, "." REPRO_ANNOTATION_REF_NAME) ?
		                     DIFF_CLASS_IMAGE_NAME : DIFF_CLASS_ANNOTATIONS;
	} else if (walk->kind == DIFF_JSON_MANIFEST &&
	           indexed_member(path, "layers", &index, &rest) &&
	           strcmp(rest, ".mediaType") == 0) {
		spec->ignore_class = DIFF_CLASS_COMPRESSION;
		spec->hint = "the layers are stored with a different compression";
	}
}

/* Renders a string as it is and other values as compact JSON, cut to VALUE_MAX. */
static char *render(json_t *value)
{
	repro_error ignored;
	char *text = NULL;
	size_t size = 0;

	if (value == NULL)
		return NULL;
	if (json_is_string(value)) {
		text = strdup(json_string_value(value));
	} else if (repro_json_dump(value, &text, &size, &ignored) != REPRO_OK) {
		return NULL;
	}
	if (text != NULL && strlen(text) > VALUE_MAX)
		strcpy(text + VALUE_MAX - 3, "...");
	return text;
}

static int add_value(json_walk *walk, const char *path, json_t *a, json_t *b,
                     repro_error *err)
{
	diff_spec spec;
	char *text_a, *text_b;
	int result;

	memset(&spec, 0, sizeof(spec));
	spec.ignore_class = DIFF_CLASS_NONE;
	classify(walk, path, &spec);
	spec.category = walk->kind == DIFF_JSON_INDEX ? REPRO_DIFF_INDEX :
	                walk->kind == DIFF_JSON_MANIFEST ? REPRO_DIFF_MANIFEST : REPRO_DIFF_CONFIG;
	spec.object = walk->object;
	spec.path = path[0] != '\0' ? path : NULL;
	if (a == NULL)
		spec.field = "added";
	else if (b == NULL)
		spec.field = "removed";
	else
		spec.field = "value";
	text_a = render(a);
	text_b = render(b);
	if ((a != NULL && text_a == NULL) || (b != NULL && text_b == NULL)) {
		result = repro_error_set(err, REPRO_ENOMEM, "out of memory");
	} else {
		spec.value_a = text_a;
		spec.value_b = text_b;
		result = diff_add(walk->context, &spec, NULL, err);
	}
	free(text_a);
	free(text_b);
	return result;
}

static int walk_value(json_walk *walk, const char *path, json_t *a, json_t *b,
                      repro_error *err);

static int walk_object(json_walk *walk, const char *path, json_t *a, json_t *b,
                       repro_error *err)
{
	const char *key;
	json_t *value;
	char child[REPRO_JSON_PATH_MAX];
	int result;

	json_object_foreach(a, key, value) {
		repro_json_path_key(child, path, key);
		result = walk_value(walk, child, value, json_object_get(b, key), err);
		if (result != REPRO_OK)
			return result;
	}
	json_object_foreach(b, key, value) {
		if (json_object_get(a, key) != NULL)
			continue;
		repro_json_path_key(child, path, key);
		if ((result = walk_value(walk, child, NULL, value, err)) != REPRO_OK)
			return result;
	}
	return REPRO_OK;
}

static int walk_array(json_walk *walk, const char *path, json_t *a, json_t *b,
                      repro_error *err)
{
	size_t count_a = json_array_size(a), count_b = json_array_size(b);
	size_t count = count_a > count_b ? count_a : count_b;
	char child[REPRO_JSON_PATH_MAX];

	for (size_t i = 0; i < count; i++) {
		int result;

		repro_json_path_index(child, path, i);
		result = walk_value(walk, child, json_array_get(a, i), json_array_get(b, i), err);
		if (result != REPRO_OK)
			return result;
	}
	return REPRO_OK;
}

static int walk_value(json_walk *walk, const char *path, json_t *a, json_t *b,
                      repro_error *err)
{
	if (path[0] != '\0' && skipped(walk, path))
		return REPRO_OK;
	if (a != NULL && b != NULL && json_typeof(a) == json_typeof(b)) {
		if (json_is_object(a))
			return walk_object(walk, path, a, b, err);
		if (json_is_array(a))
			return walk_array(walk, path, a, b, err);
	}
	if (a != NULL && b != NULL && json_equal(a, b))
		return REPRO_OK;
	return add_value(walk, path, a, b, err);
}

int diff_json_documents(diff_context *context, diff_json_kind kind, const char *object,
                        json_t *a, json_t *b, size_t shared_layers,
                        repro_error *err)
{
	json_walk walk = {context, kind, object, shared_layers};

	return walk_value(&walk, "", a, b, err);
}

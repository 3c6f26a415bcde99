#include <reprocheck/json.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void apply_defaults(repro_json_limits *limits, const repro_json_limits *given)
{
	limits->max_bytes = REPRO_JSON_DEFAULT_MAX_BYTES;
	limits->max_depth = REPRO_JSON_DEFAULT_MAX_DEPTH;
	if (given == NULL)
		return;
	if (given->max_bytes != 0)
		limits->max_bytes = given->max_bytes;
	if (given->max_depth != 0)
		limits->max_depth = given->max_depth;
}

/* jansson has its own fixed depth limit, far above what any image format
 * needs; this scan enforces ours first, without recursion. Brackets inside
 * strings are skipped, so the count is exact for well-formed input. */
static int check_depth(const unsigned char *data, size_t size, unsigned int max_depth,
                       const char *what, repro_error *err)
{
	unsigned int depth = 0;
	bool in_string = false;

	for (size_t i = 0; i < size; i++) {
		unsigned char c = data[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max_depth)
				return repro_error_set(err, REPRO_ELIMIT,
					"%s is nested deeper than %u levels", what, max_depth);
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return REPRO_OK;
}

int repro_json_parse(json_t **out, const void *data, size_t size, const char *what,
                     const repro_json_limits *given_limits, repro_error *err)
{
	repro_json_limits limits;
	json_error_t parse_error;
	json_t *root;
	int result;

	*out = NULL;
	if (what == NULL)
		what = "JSON document";
	apply_defaults(&limits, given_limits);

	if (size > limits.max_bytes)
		return repro_error_set(err, REPRO_ELIMIT, "%s is %zu bytes, more than the limit of %zu",
		                       what, size, limits.max_bytes);
	result = check_depth(data, size, limits.max_depth, what, err);
	if (result != REPRO_OK)
		return result;

	root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &parse_error);
	if (root == NULL)
		return repro_error_set(err, REPRO_EFORMAT, "malformed %s: %s at line %d, column %d",
		                       what, parse_error.text, parse_error.line, parse_error.column);
	*out = root;
	return REPRO_OK;
}

int repro_json_doc_adopt(repro_json_doc *out, unsigned char *data, size_t size, const char *what,
                         const repro_json_limits *limits, repro_error *err)
{
	int result;

	memset(out, 0, sizeof(*out));
	data[size] = '\0';
	result = repro_json_parse(&out->root, data, size, what, limits, err);
	if (result != REPRO_OK) {
		free(data);
		return result;
	}
	out->bytes = data;
	out->size = size;
	return REPRO_OK;
}

int repro_json_doc_parse(repro_json_doc *out, const void *data, size_t size, const char *what,
                         const repro_json_limits *limits, repro_error *err)
{
	unsigned char *copy;

	memset(out, 0, sizeof(*out));
	if (size == SIZE_MAX)
		return repro_error_set(err, REPRO_ELIMIT, "%s is too large", what ? what : "JSON document");
	copy = malloc(size + 1);
	if (copy == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating %zu bytes for %s failed", size + 1,
		                       what ? what : "JSON document");
	if (size > 0)
		memcpy(copy, data, size);
	return repro_json_doc_adopt(out, copy, size, what, limits, err);
}

void repro_json_doc_dispose(repro_json_doc *doc)
{
	if (doc == NULL)
		return;
	json_decref(doc->root);
	free(doc->bytes);
	memset(doc, 0, sizeof(*doc));
}

int repro_json_dump(const json_t *value, char **out, size_t *size, repro_error *err)
{
	char *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	*out = NULL;
	if (size != NULL)
		*size = 0;
	if (text == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "serialising JSON failed");
	*out = text;
	if (size != NULL)
		*size = strlen(text);
	return REPRO_OK;
}

int repro_json_dump_pretty(const json_t *value, char **out, size_t *size, repro_error *err)
{
	char *text = json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	size_t length;
	char *terminated;

	*out = NULL;
	if (size != NULL)
		*size = 0;
	if (text == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "serialising JSON failed");
	length = strlen(text);
	terminated = realloc(text, length + 2);
	if (terminated == NULL) {
		free(text);
		return repro_error_set(err, REPRO_ENOMEM, "serialising JSON failed");
	}
	terminated[length] = '\n';
	terminated[length + 1] = '\0';
	*out = terminated;
	if (size != NULL)
		*size = length + 1;
	return REPRO_OK;
}

static const char *type_name(json_type type)
{
	switch (type) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

const char *repro_json_type_name(const json_t *value)
{
	return value == NULL ? "nothing" : type_name(json_typeof(value));
}

void repro_json_path_key(char out[REPRO_JSON_PATH_MAX], const char *parent, const char *key)
{
	if (parent == NULL || parent[0] == '\0')
		snprintf(out, REPRO_JSON_PATH_MAX, "%s", key);
	else
		snprintf(out, REPRO_JSON_PATH_MAX, "%s.%s", parent, key);
}

void repro_json_path_index(char out[REPRO_JSON_PATH_MAX], const char *parent, size_t index)
{
	snprintf(out, REPRO_JSON_PATH_MAX, "%s[%zu]", parent ? parent : "", index);
}

int repro_json_check_keys(json_t *object, const char *path, const char *const allowed[],
                          repro_error *err)
{
	const char *key;
	json_t *value;

	json_object_foreach(object, key, value) {
		bool known = false;
		char key_path[REPRO_JSON_PATH_MAX];

		(void)value;
		for (size_t i = 0; allowed[i] != NULL && !known; i++)
			known = strcmp(allowed[i], key) == 0;
		if (!known) {
			repro_json_path_key(key_path, path, key);
			return repro_error_set(err, REPRO_EFORMAT, "unknown key '%s'", key_path);
		}
	}
	return REPRO_OK;
}

static int get_member(const json_t *object, const char *key, const char *path, bool required,
                      json_type type, json_t **out, repro_error *err)
{
	char key_path[REPRO_JSON_PATH_MAX];
	json_t *value = json_object_get(object, key);

	*out = NULL;
	repro_json_path_key(key_path, path, key);
	if (value == NULL) {
		if (required)
			return repro_error_set(err, REPRO_EFORMAT, "missing key '%s'", key_path);
		return REPRO_OK;
	}

	bool matches = json_typeof(value) == type ||
	               (type == JSON_TRUE && json_typeof(value) == JSON_FALSE);
	if (!matches) {
		const char *expected = type_name(type);
		const char *article = strchr("aeiou", expected[0]) != NULL ? "an" : "a";

		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be %s %s, found %s", key_path,
		                       article, expected, repro_json_type_name(value));
	}
	*out = value;
	return REPRO_OK;
}

int repro_json_get_string(const json_t *object, const char *key, const char *path, bool required,
                          const char **out, repro_error *err)
{
	json_t *value;
	int result = get_member(object, key, path, required, JSON_STRING, &value, err);

	*out = value == NULL ? NULL : json_string_value(value);
	return result;
}

int repro_json_get_object(const json_t *object, const char *key, const char *path, bool required,
                          json_t **out, repro_error *err)
{
	return get_member(object, key, path, required, JSON_OBJECT, out, err);
}

int repro_json_get_array(const json_t *object, const char *key, const char *path, bool required,
                         json_t **out, repro_error *err)
{
	return get_member(object, key, path, required, JSON_ARRAY, out, err);
}

int repro_json_get_integer(const json_t *object, const char *key, const char *path, bool required,
                           json_int_t *out, bool *found, repro_error *err)
{
	json_t *value;
	int result = get_member(object, key, path, required, JSON_INTEGER, &value, err);

	if (found != NULL)
		*found = value != NULL;
	if (value != NULL)
		*out = json_integer_value(value);
	return result;
}

int repro_json_get_bool(const json_t *object, const char *key, const char *path, bool required,
                        bool *out, bool *found, repro_error *err)
{
	json_t *value;
	int result = get_member(object, key, path, required, JSON_TRUE, &value, err);

	if (found != NULL)
		*found = value != NULL;
	if (value != NULL)
		*out = json_is_true(value);
	return result;
}

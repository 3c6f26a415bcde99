#include "recipe_internal.h"

#include <stdlib.h>
#include <string.h>

#include <reprocheck/json.h>

#include "syntax_internal.h"

int repro_recipe_strdup(char **out, const char *text, repro_error *err)
{
	*out = strdup(text);
	if (*out == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying a recipe value failed: out of memory");
	return REPRO_OK;
}

int repro_recipe_check_count(const json_t *value, const char *key, size_t max, bool non_empty,
                             repro_error *err)
{
	size_t count = json_is_array(value) ? json_array_size(value) : json_object_size(value);

	if (count > max)
		return repro_error_set(err, REPRO_ELIMIT, "'%s' has %zu entries, more than the limit of %zu",
		                       key, count, max);
	if (non_empty && count == 0)
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must not be empty", key);
	return REPRO_OK;
}

int repro_recipe_parse_strings(const json_t *array, const char *key, repro_recipe_strings *out,
                               repro_error *err)
{
	size_t count = json_array_size(array);
	int result = repro_recipe_check_count(array, key, REPRO_RECIPE_MAX_ITEMS, false, err);

	if (result != REPRO_OK)
		return result;
	out->present = true;
	out->items = calloc(count == 0 ? 1 : count, sizeof(*out->items));
	if (out->items == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "parsing '%s' failed: out of memory", key);
	for (size_t i = 0; i < count; i++) {
		json_t *item = json_array_get(array, i);
		char item_key[REPRO_JSON_PATH_MAX];

		repro_json_path_index(item_key, key, i);
		if (!json_is_string(item))
			return repro_error_set(err, REPRO_EFORMAT, "'%s' must be a string, found %s",
			                       item_key, repro_json_type_name(item));
		result = repro_recipe_strdup(&out->items[i], json_string_value(item), err);
		if (result != REPRO_OK)
			return result;
		out->count = i + 1;
	}
	return REPRO_OK;
}

int repro_recipe_parse_pairs(json_t *object, const char *key, repro_recipe_pairs *out,
                             repro_error *err)
{
	size_t count = json_object_size(object);
	int result = repro_recipe_check_count(object, key, REPRO_RECIPE_MAX_ITEMS, false, err);
	const char *name;
	json_t *value;

	if (result != REPRO_OK)
		return result;
	out->present = true;
	out->items = calloc(count == 0 ? 1 : count, sizeof(*out->items));
	if (out->items == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "parsing '%s' failed: out of memory", key);
	json_object_foreach(object, name, value) {
		repro_recipe_pair *pair = &out->items[out->count];
		char member_key[REPRO_JSON_PATH_MAX];

		repro_json_path_key(member_key, key, name);
		if (name[0] == '\0')
			return repro_error_set(err, REPRO_EFORMAT, "'%s' must not have an empty key", key);
		if (!json_is_string(value))
			return repro_error_set(err, REPRO_EFORMAT, "'%s' must be a string, found %s",
			                       member_key, repro_json_type_name(value));
		out->count++;
		result = repro_recipe_strdup(&pair->name, name, err);
		if (result == REPRO_OK)
			result = repro_recipe_strdup(&pair->value, json_string_value(value), err);
		if (result != REPRO_OK)
			return result;
	}
	return REPRO_OK;
}

/* Accepts PORT, PORT/tcp, PORT/udp and PORT/sctp with PORT 1 to 65535 in
 * decimal without leading zeros, the forms that OCI image configs use. */
static bool is_exposed_port(const char *text)
{
	unsigned long port = 0;
	size_t digits = 0;
	const char *protocol;

	while (text[digits] >= '0' && text[digits] <= '9' && digits < 6) {
		port = port * 10 + (unsigned long)(text[digits] - '0');
		digits++;
	}
	if (digits == 0 || text[0] == '0' || port > 65535)
		return false;
	protocol = text + digits;
	return protocol[0] == '\0' || strcmp(protocol, "/tcp") == 0 || strcmp(protocol, "/udp") == 0 ||
	       strcmp(protocol, "/sctp") == 0;
}

/* Parses ExposedPorts or Volumes: an object whose values must be {}. */
static int parse_set(json_t *object, const char *key, bool volumes, repro_recipe_strings *out,
                     repro_error *err)
{
	int result = repro_recipe_check_count(object, key, REPRO_RECIPE_MAX_ITEMS, false, err);
	const char *name;
	json_t *value;

	if (result != REPRO_OK)
		return result;
	out->present = true;
	out->items = calloc(json_object_size(object) + 1, sizeof(*out->items));
	if (out->items == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "parsing '%s' failed: out of memory", key);
	json_object_foreach(object, name, value) {
		char member_key[REPRO_JSON_PATH_MAX];

		repro_json_path_key(member_key, key, name);
		if (volumes) {
			result = repro_syntax_check_image_path(name, REPRO_RECIPE_MAX_PATH, member_key, err);
			if (result != REPRO_OK)
				return result;
		} else if (!is_exposed_port(name)) {
			return repro_error_set(err, REPRO_EFORMAT,
				"'%s' contains the invalid port '%.*s': expected PORT, PORT/tcp, PORT/udp or PORT/sctp with PORT 1 to 65535",
				key, REPRO_SYNTAX_ECHO_MAX, name);
		}
		if (!json_is_object(value) || json_object_size(value) != 0)
			return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an empty object {}, found %s",
			                       member_key, repro_json_type_name(value));
		result = repro_recipe_strdup(&out->items[out->count], name, err);
		if (result != REPRO_OK)
			return result;
		out->count++;
	}
	return REPRO_OK;
}

static int parse_env_list(const json_t *config, const char *key, repro_recipe_strings *out,
                          repro_error *err)
{
	char env_key[REPRO_JSON_PATH_MAX];
	json_t *array;
	int result;

	result = repro_json_get_array(config, "Env", key, false, &array, err);
	if (result != REPRO_OK || array == NULL)
		return result;
	repro_json_path_key(env_key, key, "Env");
	result = repro_recipe_parse_strings(array, env_key, out, err);
	if (result != REPRO_OK)
		return result;
	for (size_t i = 0; i < out->count; i++) {
		const char *equals = strchr(out->items[i], '=');

		if (equals == NULL || equals == out->items[i])
			return repro_error_set(err, REPRO_EFORMAT,
				"'%s[%zu]' must have the form NAME=VALUE, found '%.*s'",
				env_key, i, REPRO_SYNTAX_ECHO_MAX, out->items[i]);
	}
	return REPRO_OK;
}

static int parse_optional_strings(const json_t *config, const char *name, const char *key,
                                  repro_recipe_strings *out, repro_error *err)
{
	char member_key[REPRO_JSON_PATH_MAX];
	json_t *array;
	int result = repro_json_get_array(config, name, key, false, &array, err);

	if (result != REPRO_OK || array == NULL)
		return result;
	repro_json_path_key(member_key, key, name);
	return repro_recipe_parse_strings(array, member_key, out, err);
}

static int parse_optional_string(const json_t *config, const char *name, const char *key,
                                 char **out, repro_error *err)
{
	const char *value;
	int result = repro_json_get_string(config, name, key, false, &value, err);

	if (result != REPRO_OK || value == NULL)
		return result;
	return repro_recipe_strdup(out, value, err);
}

static int parse_optional_object(json_t *config, const char *name, const char *key,
                                 json_t **object, char member_key[REPRO_JSON_PATH_MAX],
                                 repro_error *err)
{
	repro_json_path_key(member_key, key, name);
	return repro_json_get_object(config, name, key, false, object, err);
}

int repro_recipe_parse_config(json_t *config, const char *key, repro_recipe_config *out,
                              repro_error *err)
{
	static const char *const allowed[] = {"Entrypoint", "Cmd", "Env", "User", "WorkingDir",
	                                      "Labels", "ExposedPorts", "Volumes", "StopSignal",
	                                      NULL};
	char member_key[REPRO_JSON_PATH_MAX];
	json_t *object;
	int result;

	result = repro_json_check_keys(config, key, allowed, err);
	if (result == REPRO_OK)
		result = parse_optional_strings(config, "Entrypoint", key, &out->entrypoint, err);
	if (result == REPRO_OK)
		result = parse_optional_strings(config, "Cmd", key, &out->cmd, err);
	if (result == REPRO_OK)
		result = parse_env_list(config, key, &out->env, err);
	if (result == REPRO_OK)
		result = parse_optional_string(config, "User", key, &out->user, err);
	if (result == REPRO_OK)
		result = parse_optional_string(config, "WorkingDir", key, &out->working_dir, err);
	if (result == REPRO_OK)
		result = parse_optional_string(config, "StopSignal", key, &out->stop_signal, err);
	if (result != REPRO_OK)
		return result;

	if (out->stop_signal != NULL &&
	    (out->stop_signal[0] == '\0' || repro_syntax_has_whitespace(out->stop_signal)))
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s.StopSignal' must be a signal name or number without spaces, found '%.*s'",
			key, REPRO_SYNTAX_ECHO_MAX, out->stop_signal);

	result = parse_optional_object(config, "Labels", key, &object, member_key, err);
	if (result == REPRO_OK && object != NULL)
		result = repro_recipe_parse_pairs(object, member_key, &out->labels, err);
	if (result == REPRO_OK)
		result = parse_optional_object(config, "ExposedPorts", key, &object, member_key, err);
	if (result == REPRO_OK && object != NULL)
		result = parse_set(object, member_key, false, &out->exposed_ports, err);
	if (result == REPRO_OK)
		result = parse_optional_object(config, "Volumes", key, &object, member_key, err);
	if (result == REPRO_OK && object != NULL)
		result = parse_set(object, member_key, true, &out->volumes, err);
	return result;
}

void repro_recipe_strings_dispose(repro_recipe_strings *strings)
{
	for (size_t i = 0; i < strings->count; i++)
		free(strings->items[i]);
	free(strings->items);
	memset(strings, 0, sizeof(*strings));
}

void repro_recipe_pairs_dispose(repro_recipe_pairs *pairs)
{
	for (size_t i = 0; i < pairs->count; i++) {
		free(pairs->items[i].name);
		free(pairs->items[i].value);
	}
	free(pairs->items);
	memset(pairs, 0, sizeof(*pairs));
}

void repro_recipe_config_dispose(repro_recipe_config *config)
{
	repro_recipe_strings_dispose(&config->entrypoint);
	repro_recipe_strings_dispose(&config->cmd);
	repro_recipe_strings_dispose(&config->env);
	free(config->user);
	free(config->working_dir);
	repro_recipe_pairs_dispose(&config->labels);
	repro_recipe_strings_dispose(&config->exposed_ports);
	repro_recipe_strings_dispose(&config->volumes);
	free(config->stop_signal);
	memset(config, 0, sizeof(*config));
}

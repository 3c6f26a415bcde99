#include "syntax_internal.h"

#include <string.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool repro_syntax_is_image_name(const char *text, size_t max_length)
{
	size_t length = strlen(text);

	if (length == 0 || length > max_length || !is_lower_alnum(text[0]))
		return false;
	for (size_t i = 1; i < length; i++) {
		char c = text[i];

		if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

bool repro_syntax_is_platform(const char *text)
{
	unsigned int parts = 1;
	size_t part_length = 0;

	for (const char *cursor = text;; cursor++) {
		if (*cursor == '/' || *cursor == '\0') {
			if (part_length == 0 || part_length > 32)
				return false;
			if (*cursor == '\0')
				break;
			parts++;
			part_length = 0;
		} else if (is_lower_alnum(*cursor)) {
			part_length++;
		} else {
			return false;
		}
	}
	return parts == 2 || parts == 3;
}

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

bool repro_syntax_has_whitespace(const char *text)
{
	for (const unsigned char *cursor = (const unsigned char *)text; *cursor != '\0'; cursor++) {
		if (*cursor == ' ' || is_control(*cursor))
			return true;
	}
	return false;
}

/* Checks length, control characters and components; @p start is where the
 * first component begins (after the leading '/' of an absolute path). */
static int check_components(const char *value, size_t start, size_t max_length, const char *key,
                            repro_error *err)
{
	size_t length = strlen(value);
	const char *component;

	if (length > max_length)
		return repro_error_set(err, REPRO_ELIMIT, "'%s' is %zu bytes long, more than the limit of %zu",
		                       key, length, max_length);
	for (size_t i = 0; i < length; i++) {
		if (is_control((unsigned char)value[i]))
			return repro_error_set(err, REPRO_EFORMAT,
				"'%s' contains the control character 0x%02x", key, (unsigned char)value[i]);
	}

	component = value + start;
	while (*component != '\0') {
		const char *slash = strchr(component, '/');
		size_t component_length = slash ? (size_t)(slash - component) : strlen(component);

		if (component_length == 2 && memcmp(component, "..", 2) == 0)
			return repro_error_set(err, REPRO_EUNSAFE,
				"'%s' must not contain '..' components, found '%.*s'",
				key, REPRO_SYNTAX_ECHO_MAX, value);
		if (component_length == 0 || (component_length == 1 && component[0] == '.'))
			return repro_error_set(err, REPRO_EFORMAT,
				"'%s' must be a normalised path without empty or '.' components, found '%.*s'",
				key, REPRO_SYNTAX_ECHO_MAX, value);
		if (slash == NULL)
			break;
		component = slash + 1;
	}
	return REPRO_OK;
}

int repro_syntax_check_relative_path(const char *value, size_t max_length, const char *key,
                                     repro_error *err)
{
	if (value[0] == '\0')
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must not be empty", key);
	if (value[0] == '/')
		return repro_error_set(err, REPRO_EUNSAFE,
			"'%s' must be a relative path, found the absolute path '%.*s'",
			key, REPRO_SYNTAX_ECHO_MAX, value);
	return check_components(value, 0, max_length, key, err);
}

int repro_syntax_check_image_path(const char *value, size_t max_length, const char *key,
                                  repro_error *err)
{
	if (value[0] != '/')
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an absolute path, found '%.*s'",
		                       key, REPRO_SYNTAX_ECHO_MAX, value);
	return check_components(value, 1, max_length, key, err);
}

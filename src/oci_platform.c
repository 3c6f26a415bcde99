#include "oci_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A platform string part is short in practice; this bounds messages and copies. */
#define PLATFORM_PART_MAX 128

int repro_oci_strdup(char **out, const char *text, repro_error *err)
{
	*out = NULL;
	if (text == NULL)
		return REPRO_OK;
	*out = strdup(text);
	if (*out == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying a string of %zu bytes failed",
		                       strlen(text));
	return REPRO_OK;
}

void repro_platform_dispose(repro_platform *platform)
{
	if (platform == NULL)
		return;
	free(platform->os);
	free(platform->architecture);
	free(platform->variant);
	free(platform->os_version);
	for (size_t i = 0; i < platform->os_feature_count; i++)
		free(platform->os_features[i]);
	free(platform->os_features);
	memset(platform, 0, sizeof(*platform));
}

static bool valid_part(const char *part, size_t length)
{
	if (length == 0 || length >= PLATFORM_PART_MAX)
		return false;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)part[i];

		if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int repro_platform_parse(repro_platform *out, const char *text, repro_error *err)
{
	const char *parts[3];
	size_t lengths[3];
	size_t count = 0;
	const char *cursor = text;
	char **fields[3];

	memset(out, 0, sizeof(*out));
	fields[0] = &out->os;
	fields[1] = &out->architecture;
	fields[2] = &out->variant;
	for (;;) {
		const char *slash = strchr(cursor, '/');
		size_t length = slash ? (size_t)(slash - cursor) : strlen(cursor);

		if (count == 3 || !valid_part(cursor, length))
			return repro_error_set(err, REPRO_EUSAGE,
				"invalid platform '%.200s': expected OS/ARCH[/VARIANT] in lower case, "
				"such as linux/amd64 or linux/arm64/v8", text);
		parts[count] = cursor;
		lengths[count++] = length;
		if (slash == NULL)
			break;
		cursor = slash + 1;
	}
	if (count < 2)
		return repro_error_set(err, REPRO_EUSAGE,
			"invalid platform '%.200s': expected OS/ARCH[/VARIANT], such as linux/amd64", text);

	for (size_t i = 0; i < count; i++) {
		*fields[i] = strndup(parts[i], lengths[i]);
		if (*fields[i] == NULL) {
			repro_platform_dispose(out);
			return repro_error_set(err, REPRO_ENOMEM, "parsing platform '%.200s' failed", text);
		}
	}
	return REPRO_OK;
}

static int copy_features(repro_platform *out, const json_t *features, repro_error *err)
{
	size_t count = json_array_size(features);

	if (count == 0)
		return REPRO_OK;
	out->os_features = calloc(count, sizeof(char *));
	if (out->os_features == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating os.features failed");
	for (size_t i = 0; i < count; i++) {
		int result = repro_oci_strdup(&out->os_features[i],
		                              json_string_value(json_array_get(features, i)), err);

		if (result != REPRO_OK)
			return result;
		out->os_feature_count++;
	}
	return REPRO_OK;
}

int repro_platform_from_json(repro_platform *out, const json_t *value, const char *path,
                             repro_error *err)
{
	const char *os, *architecture, *variant, *os_version;
	json_t *features;
	char features_path[REPRO_JSON_PATH_MAX];
	int result;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(value))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an object, found %s", path,
		                       repro_json_type_name(value));
	if ((result = repro_json_get_string(value, "os", path, true, &os, err)) != REPRO_OK ||
	    (result = repro_json_get_string(value, "architecture", path, true, &architecture,
	                                    err)) != REPRO_OK ||
	    (result = repro_json_get_string(value, "variant", path, false, &variant, err)) !=
	            REPRO_OK ||
	    (result = repro_json_get_string(value, "os.version", path, false, &os_version, err)) !=
	            REPRO_OK ||
	    (result = repro_json_get_array(value, "os.features", path, false, &features, err)) !=
	            REPRO_OK)
		return result;
	repro_json_path_key(features_path, path, "os.features");
	if (features != NULL &&
	    (result = repro_oci_check_string_array(features, features_path, err)) != REPRO_OK)
		return result;

	if ((result = repro_oci_strdup(&out->os, os, err)) != REPRO_OK ||
	    (result = repro_oci_strdup(&out->architecture, architecture, err)) != REPRO_OK ||
	    (result = repro_oci_strdup(&out->variant, variant, err)) != REPRO_OK ||
	    (result = repro_oci_strdup(&out->os_version, os_version, err)) != REPRO_OK ||
	    (result = copy_features(out, features, err)) != REPRO_OK)
		repro_platform_dispose(out);
	return result;
}

int repro_platform_copy(repro_platform *out, const repro_platform *source, repro_error *err)
{
	int result;

	memset(out, 0, sizeof(*out));
	if ((result = repro_oci_strdup(&out->os, source->os, err)) != REPRO_OK ||
	    (result = repro_oci_strdup(&out->architecture, source->architecture, err)) != REPRO_OK ||
	    (result = repro_oci_strdup(&out->variant, source->variant, err)) != REPRO_OK ||
	    (result = repro_oci_strdup(&out->os_version, source->os_version, err)) != REPRO_OK)
		goto cleanup;
	if (source->os_feature_count > 0) {
		out->os_features = calloc(source->os_feature_count, sizeof(char *));
		if (out->os_features == NULL) {
			result = repro_error_set(err, REPRO_ENOMEM, "copying os.features failed");
			goto cleanup;
		}
		for (size_t i = 0; i < source->os_feature_count; i++) {
			result = repro_oci_strdup(&out->os_features[i], source->os_features[i], err);
			if (result != REPRO_OK)
				goto cleanup;
			out->os_feature_count++;
		}
	}
	return REPRO_OK;

cleanup:
	repro_platform_dispose(out);
	return result;
}

static int replace(char **field, const char *value, repro_error *err)
{
	char *copy = NULL;

	if (value != NULL && (copy = strdup(value)) == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "normalising a platform failed");
	free(*field);
	*field = copy;
	return REPRO_OK;
}

static bool equal(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int normalize_architecture(repro_platform *platform, repro_error *err)
{
	static const struct {
		const char *from;
		const char *architecture;
		const char *variant;  /* set only when the platform has none */
	} aliases[] = {
		{"x86_64", "amd64", NULL}, {"x86-64", "amd64", NULL},
		{"aarch64", "arm64", NULL}, {"armhf", "arm", "v7"}, {"armel", "arm", "v6"},
		{"i386", "386", NULL}, {"i486", "386", NULL}, {"i586", "386", NULL},
		{"i686", "386", NULL},
	};
	int result = REPRO_OK;

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (!equal(platform->architecture, aliases[i].from))
			continue;
		result = replace(&platform->architecture, aliases[i].architecture, err);
		if (result == REPRO_OK && platform->variant == NULL && aliases[i].variant != NULL)
			result = replace(&platform->variant, aliases[i].variant, err);
		break;
	}
	return result;
}

static int normalize_variant(repro_platform *platform, repro_error *err)
{
	char prefixed[PLATFORM_PART_MAX + 2];
	int result = REPRO_OK;

	if (platform->variant != NULL && platform->variant[0] >= '0' && platform->variant[0] <= '9') {
		snprintf(prefixed, sizeof(prefixed), "v%.*s", PLATFORM_PART_MAX, platform->variant);
		result = replace(&platform->variant, prefixed, err);
	}
	if (result != REPRO_OK)
		return result;
	if (equal(platform->architecture, "amd64") && equal(platform->variant, "v1"))
		return replace(&platform->variant, NULL, err);
	if (equal(platform->architecture, "arm64") && platform->variant == NULL)
		return replace(&platform->variant, "v8", err);
	if (equal(platform->architecture, "arm") && platform->variant == NULL)
		return replace(&platform->variant, "v7", err);
	return REPRO_OK;
}

int repro_platform_normalize(repro_platform *platform, repro_error *err)
{
	int result = REPRO_OK;

	if (platform->os != NULL) {
		for (char *c = platform->os; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		if (equal(platform->os, "macos"))
			result = replace(&platform->os, "darwin", err);
	}
	if (result == REPRO_OK)
		result = normalize_architecture(platform, err);
	if (result == REPRO_OK)
		result = normalize_variant(platform, err);
	return result;
}

void repro_platform_format(const repro_platform *platform, char *out, size_t size)
{
	const char *os = platform->os ? platform->os : "unknown";
	const char *architecture = platform->architecture ? platform->architecture : "unknown";

	if (platform->variant != NULL)
		snprintf(out, size, "%s/%s/%s", os, architecture, platform->variant);
	else
		snprintf(out, size, "%s/%s", os, architecture);
}

bool repro_platform_match(const repro_platform *wanted, const repro_platform *candidate)
{
	repro_platform a, b;
	repro_error err;
	bool match = false;

	if (repro_platform_copy(&a, wanted, &err) != REPRO_OK)
		return false;
	if (repro_platform_copy(&b, candidate, &err) != REPRO_OK) {
		repro_platform_dispose(&a);
		return false;
	}
	if (repro_platform_normalize(&a, &err) == REPRO_OK &&
	    repro_platform_normalize(&b, &err) == REPRO_OK) {
		match = equal(a.os, b.os) && equal(a.architecture, b.architecture) &&
		        (a.variant == NULL || equal(a.variant, b.variant));
	}
	repro_platform_dispose(&a);
	repro_platform_dispose(&b);
	return match;
}

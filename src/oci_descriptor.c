#include "oci_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int repro_oci_check_string_map(json_t *value, const char *path, repro_error *err)
{
	const char *key;
	json_t *member;

	if (!json_is_object(value))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an object, found %s", path,
		                       repro_json_type_name(value));
	json_object_foreach(value, key, member) {
		if (!json_is_string(member)) {
			char member_path[REPRO_JSON_PATH_MAX];

			repro_json_path_key(member_path, path, key);
			return repro_error_set(err, REPRO_EFORMAT, "'%s' must be a string, found %s",
			                       member_path, repro_json_type_name(member));
		}
	}
	return REPRO_OK;
}

int repro_oci_check_string_array(const json_t *value, const char *path, repro_error *err)
{
	size_t index;
	json_t *member;

	if (!json_is_array(value))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an array, found %s", path,
		                       repro_json_type_name(value));
	json_array_foreach(value, index, member) {
		if (!json_is_string(member)) {
			char member_path[REPRO_JSON_PATH_MAX];

			repro_json_path_index(member_path, path, index);
			return repro_error_set(err, REPRO_EFORMAT, "'%s' must be a string, found %s",
			                       member_path, repro_json_type_name(member));
		}
	}
	return REPRO_OK;
}

void repro_descriptor_dispose(repro_descriptor *descriptor)
{
	if (descriptor == NULL)
		return;
	free(descriptor->media_type);
	repro_platform_dispose(&descriptor->platform);
	json_decref(descriptor->annotations);
	free(descriptor->artifact_type);
	json_decref(descriptor->urls);
	memset(descriptor, 0, sizeof(*descriptor));
}

static int parse_optional_members(repro_descriptor *out, const json_t *value, const char *path,
                                  repro_error *err)
{
	char member_path[REPRO_JSON_PATH_MAX];
	json_t *platform, *annotations, *urls;
	const char *artifact_type;
	int result;

	if ((result = repro_json_get_object(value, "platform", path, false, &platform, err)) != 0 ||
	    (result = repro_json_get_object(value, "annotations", path, false, &annotations,
	                                    err)) != 0 ||
	    (result = repro_json_get_array(value, "urls", path, false, &urls, err)) != 0 ||
	    (result = repro_json_get_string(value, "artifactType", path, false, &artifact_type,
	                                    err)) != 0)
		return result;

	if (platform != NULL) {
		repro_json_path_key(member_path, path, "platform");
		result = repro_platform_from_json(&out->platform, platform, member_path, err);
		if (result != REPRO_OK)
			return result;
		out->has_platform = true;
	}
	if (annotations != NULL) {
		repro_json_path_key(member_path, path, "annotations");
		if ((result = repro_oci_check_string_map(annotations, member_path, err)) != REPRO_OK)
			return result;
		out->annotations = json_incref(annotations);
	}
	if (urls != NULL) {
		repro_json_path_key(member_path, path, "urls");
		if ((result = repro_oci_check_string_array(urls, member_path, err)) != REPRO_OK)
			return result;
		out->urls = json_incref(urls);
	}
	return repro_oci_strdup(&out->artifact_type, artifact_type, err);
}

int repro_descriptor_parse(repro_descriptor *out, const json_t *value, const char *path,
                           repro_error *err)
{
	char member_path[REPRO_JSON_PATH_MAX];
	const char *media_type, *digest;
	json_int_t size;
	int result;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(value))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an object, found %s", path,
		                       repro_json_type_name(value));
	if ((result = repro_json_get_string(value, "mediaType", path, true, &media_type, err)) != 0 ||
	    (result = repro_json_get_string(value, "digest", path, true, &digest, err)) != 0 ||
	    (result = repro_json_get_integer(value, "size", path, true, &size, NULL, err)) != 0)
		goto cleanup;

	repro_json_path_key(member_path, path, "size");
	if (size < 0) {
		result = repro_error_set(err, REPRO_EFORMAT, "'%s' must not be negative, found %" PRId64,
		                         member_path, (int64_t)size);
		goto cleanup;
	}
	out->size = (int64_t)size;
	result = repro_digest_parse(&out->digest, digest, err);
	if (result != REPRO_OK) {
		repro_json_path_key(member_path, path, "digest");
		repro_error_prefix(err, "%s", member_path);
		goto cleanup;
	}
	if ((result = repro_oci_strdup(&out->media_type, media_type, err)) != REPRO_OK ||
	    (result = parse_optional_members(out, value, path, err)) != REPRO_OK)
		goto cleanup;
	return REPRO_OK;

cleanup:
	repro_descriptor_dispose(out);
	return result;
}

int repro_descriptor_init(repro_descriptor *out, const char *media_type,
                          const repro_digest *digest, int64_t size, repro_error *err)
{
	memset(out, 0, sizeof(*out));
	if (size < 0)
		return repro_error_set(err, REPRO_EUSAGE, "descriptor size must not be negative");
	out->digest = *digest;
	out->size = size;
	return repro_oci_strdup(&out->media_type, media_type, err);
}

int repro_descriptor_copy(repro_descriptor *out, const repro_descriptor *source,
                          repro_error *err)
{
	int result;

	memset(out, 0, sizeof(*out));
	out->digest = source->digest;
	out->size = source->size;
	if ((result = repro_oci_strdup(&out->media_type, source->media_type, err)) != REPRO_OK ||
	    (result = repro_oci_strdup(&out->artifact_type, source->artifact_type, err)) != REPRO_OK)
		goto cleanup;
	if (source->has_platform) {
		result = repro_platform_copy(&out->platform, &source->platform, err);
		if (result != REPRO_OK)
			goto cleanup;
		out->has_platform = true;
	}
	out->annotations = json_incref(source->annotations);
	out->urls = json_incref(source->urls);
	return REPRO_OK;

cleanup:
	repro_descriptor_dispose(out);
	return result;
}

const char *repro_descriptor_annotation(const repro_descriptor *descriptor, const char *key)
{
	return json_string_value(json_object_get(descriptor->annotations, key));
}

bool repro_descriptor_is_attestation(const repro_descriptor *descriptor)
{
	const char *type = repro_descriptor_annotation(descriptor, "vnd.docker.reference.type");

	if (type != NULL && strcmp(type, "attestation-manifest") == 0)
		return true;
	return descriptor->has_platform && descriptor->platform.os != NULL &&
	       descriptor->platform.architecture != NULL &&
	       strcmp(descriptor->platform.os, "unknown") == 0 &&
	       strcmp(descriptor->platform.architecture, "unknown") == 0;
}

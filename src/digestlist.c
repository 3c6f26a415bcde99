#include "digestlist_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/json.h>

#include "fileutil_internal.h"
#include "syntax_internal.h"

/* Maximum length of an image name, the same as in the recipe. */
#define MAX_IMAGE_NAME 128
/* Maximum length of a media type: RFC 6838 allows 127 bytes for each of
 * type and subtype. */
#define MAX_MEDIA_TYPE 255

int repro_digestlist_strdup(char **out, const char *text, repro_error *err)
{
	*out = strdup(text);
	if (*out == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying a digest list value failed: out of memory");
	return REPRO_OK;
}

int repro_digestlist_new(repro_digestlist **out, const char *name, repro_error *err)
{
	repro_digestlist *list = calloc(1, sizeof(*list));

	*out = NULL;
	if (list == NULL || repro_digestlist_strdup(&list->name, name, err) != REPRO_OK) {
		free(list);
		return repro_error_set(err, REPRO_ENOMEM, "creating a digest list failed: out of memory");
	}
	*out = list;
	return REPRO_OK;
}

void repro_digestlist_release_free(repro_digestlist_release *release)
{
	if (release == NULL)
		return;
	for (size_t i = 0; release->images != NULL && i < release->image_count; i++) {
		repro_digestlist_image *image = &release->images[i];

		for (size_t j = 0; image->platforms != NULL && j < image->platform_count; j++) {
			repro_digestlist_platform *platform = &image->platforms[j];

			for (size_t k = 0; platform->layers != NULL && k < platform->layer_count; k++)
				free(platform->layers[k].media_type);
			free(platform->layers);
			free(platform->platform);
		}
		free(image->platforms);
		free(image->name);
		free(image->reference);
	}
	free(release->images);
	free(release->tag);
	free(release->commit);
	free(release);
}

void repro_digestlist_free(repro_digestlist *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->release_count; i++)
		repro_digestlist_release_free(list->releases[i]);
	free(list->releases);
	free(list->name);
	free(list);
}

int repro_digestlist_append(repro_digestlist *list, repro_digestlist_release *release,
                            repro_error *err)
{
	repro_digestlist_release **grown;

	if (list->release_count >= REPRO_DIGESTLIST_MAX_RELEASES)
		return repro_error_set(err, REPRO_ELIMIT, "'releases' has more than %d entries",
		                       REPRO_DIGESTLIST_MAX_RELEASES);
	grown = realloc(list->releases, (list->release_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "adding a release failed: out of memory");
	list->releases = grown;
	list->releases[list->release_count++] = release;
	return REPRO_OK;
}

static bool is_commit(const char *text)
{
	size_t length = 0;

	for (; text[length] != '\0'; length++) {
		char c = text[length];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return length == 40;
}

/* Checks a string that must be non-empty, short enough, and free of
 * whitespace and control characters: a tag, reference or media type. */
static int check_token(const char *value, const char *key, size_t max_length, repro_error *err)
{
	if (value == NULL)
		return repro_error_set(err, REPRO_EFORMAT, "missing key '%s'", key);
	if (value[0] == '\0' || strlen(value) > max_length || repro_syntax_has_whitespace(value))
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s' must be 1 to %zu bytes without whitespace or control characters, found '%.*s'",
			key, max_length, REPRO_SYNTAX_ECHO_MAX, value);
	return REPRO_OK;
}

static int check_platform(const repro_digestlist_platform *platform, const char *key,
                          repro_error *err)
{
	char member_key[REPRO_JSON_PATH_MAX];

	repro_json_path_key(member_key, key, "platform");
	if (platform->platform == NULL)
		return repro_error_set(err, REPRO_EFORMAT, "missing key '%s'", member_key);
	if (!repro_syntax_is_platform(platform->platform))
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s' must be OS/ARCH or OS/ARCH/VARIANT in lower case, found '%.*s'",
			member_key, REPRO_SYNTAX_ECHO_MAX, platform->platform);
	if (!platform->has_config)
		return repro_error_set(err, REPRO_EFORMAT, "missing key '%s.config'", key);
	if (platform->layer_count > REPRO_DIGESTLIST_MAX_LAYERS)
		return repro_error_set(err, REPRO_ELIMIT, "'%s.layers' has %zu entries, more than the limit of %d",
		                       key, platform->layer_count, REPRO_DIGESTLIST_MAX_LAYERS);
	for (size_t i = 0; i < platform->layer_count; i++) {
		const char *media_type = platform->layers[i].media_type;
		int result;

		snprintf(member_key, sizeof(member_key), "%s.layers[%zu].mediaType", key, i);
		result = check_token(media_type, member_key, MAX_MEDIA_TYPE, err);
		if (result != REPRO_OK)
			return result;
		if (strchr(media_type, '/') == NULL)
			return repro_error_set(err, REPRO_EFORMAT,
				"'%s' must be a media type of the form TYPE/SUBTYPE, found '%.*s'",
				member_key, REPRO_SYNTAX_ECHO_MAX, media_type);
	}
	return REPRO_OK;
}

static int check_image(const repro_digestlist_image *image, const char *key, repro_error *err)
{
	char member_key[REPRO_JSON_PATH_MAX];
	int result = REPRO_OK;

	repro_json_path_key(member_key, key, "name");
	if (image->name == NULL)
		return repro_error_set(err, REPRO_EFORMAT, "missing key '%s'", member_key);
	if (!repro_syntax_is_image_name(image->name, MAX_IMAGE_NAME))
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s' must match [a-z0-9][a-z0-9._-]* and be at most %d bytes long, found '%.*s'",
			member_key, MAX_IMAGE_NAME, REPRO_SYNTAX_ECHO_MAX, image->name);
	repro_json_path_key(member_key, key, "reference");
	if (image->reference != NULL)
		result = check_token(image->reference, member_key, REPRO_DIGESTLIST_MAX_REFERENCE, err);
	if (result != REPRO_OK)
		return result;
	if (image->platform_count == 0 || image->platforms == NULL)
		return repro_error_set(err, REPRO_EFORMAT, "'%s.platforms' must not be empty", key);
	if (image->platform_count > REPRO_DIGESTLIST_MAX_PLATFORMS)
		return repro_error_set(err, REPRO_ELIMIT, "'%s.platforms' has %zu entries, more than the limit of %d",
		                       key, image->platform_count, REPRO_DIGESTLIST_MAX_PLATFORMS);

	for (size_t i = 0; i < image->platform_count; i++) {
		snprintf(member_key, sizeof(member_key), "%s.platforms[%zu]", key, i);
		result = check_platform(&image->platforms[i], member_key, err);
		if (result != REPRO_OK)
			return result;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(image->platforms[j].platform, image->platforms[i].platform) == 0)
				return repro_error_set(err, REPRO_EFORMAT,
					"'%s.platform': duplicate platform '%s', already used by platforms[%zu]",
					member_key, image->platforms[i].platform, j);
		}
	}
	return REPRO_OK;
}

static int check_release_fields(const repro_digestlist_release *release, const char *key,
                                repro_error *err)
{
	char member_key[REPRO_JSON_PATH_MAX];
	int result;

	repro_json_path_key(member_key, key, "tag");
	result = check_token(release->tag, member_key, REPRO_DIGESTLIST_MAX_TAG, err);
	if (result != REPRO_OK)
		return result;
	repro_json_path_key(member_key, key, "commit");
	if (release->commit == NULL)
		return repro_error_set(err, REPRO_EFORMAT, "missing key '%s'", member_key);
	if (!is_commit(release->commit))
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s' must be a commit id of 40 lower-case hex digits, found '%.*s'",
			member_key, REPRO_SYNTAX_ECHO_MAX, release->commit);
	if (!release->has_source_date_epoch)
		return repro_error_set(err, REPRO_EFORMAT, "missing key '%s.sourceDateEpoch'", key);
	if (release->source_date_epoch < 0 || release->source_date_epoch > REPRO_DIGESTLIST_MAX_EPOCH)
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s.sourceDateEpoch' must be between 0 and %lld, found %lld", key,
			(long long)REPRO_DIGESTLIST_MAX_EPOCH, (long long)release->source_date_epoch);
	if (release->image_count == 0 || release->images == NULL)
		return repro_error_set(err, REPRO_EFORMAT, "'%s.images' must not be empty", key);
	if (release->image_count > REPRO_DIGESTLIST_MAX_IMAGES)
		return repro_error_set(err, REPRO_ELIMIT, "'%s.images' has %zu entries, more than the limit of %d",
		                       key, release->image_count, REPRO_DIGESTLIST_MAX_IMAGES);
	return REPRO_OK;
}

int repro_digestlist_check_release(const repro_digestlist_release *release, const char *key,
                                   repro_error *err)
{
	int result = check_release_fields(release, key, err);

	for (size_t i = 0; result == REPRO_OK && i < release->image_count; i++) {
		char image_key[REPRO_JSON_PATH_MAX];

		snprintf(image_key, sizeof(image_key), "%s.images[%zu]", key, i);
		result = check_image(&release->images[i], image_key, err);
		for (size_t j = 0; result == REPRO_OK && j < i; j++) {
			if (strcmp(release->images[j].name, release->images[i].name) == 0)
				result = repro_error_set(err, REPRO_EFORMAT,
					"'%s.name': duplicate image name '%s', already used by images[%zu]",
					image_key, release->images[i].name, j);
		}
	}
	return result;
}

int repro_digestlist_parse(repro_digestlist **out, const void *bytes, size_t size,
                           const char *name_for_messages, repro_error *err)
{
	const unsigned char *cursor = bytes;
	const unsigned char *end = cursor + size;
	repro_digestlist *list = NULL;
	int result;

	*out = NULL;
	if (name_for_messages == NULL)
		name_for_messages = "digest list";
	result = repro_digestlist_new(&list, name_for_messages, err);
	if (result != REPRO_OK)
		return result;
	if (size > REPRO_DIGESTLIST_MAX_BYTES) {
		result = repro_error_set(err, REPRO_ELIMIT,
			"digest list '%s' is %zu bytes, more than the limit of %zu",
			name_for_messages, size, REPRO_DIGESTLIST_MAX_BYTES);
		goto cleanup;
	}

	while (cursor < end && (*cursor == ' ' || *cursor == '\t' || *cursor == '\r' || *cursor == '\n'))
		cursor++;
	if (cursor < end && *cursor == '{') {
		result = repro_digestlist_parse_json(list, bytes, size, err);
		if (result != REPRO_OK)
			repro_error_prefix(err, "digest list '%s'", name_for_messages);
	} else {
		list->plain_text = true;
		result = repro_digestlist_parse_text(list, bytes, size, err);
	}

cleanup:
	if (result == REPRO_OK)
		*out = list;
	else
		repro_digestlist_free(list);
	return result;
}

int repro_digestlist_load(repro_digestlist **out, const char *path, repro_error *err)
{
	unsigned char *bytes;
	size_t size;
	int result;

	*out = NULL;
	result = repro_file_read_all(path, REPRO_DIGESTLIST_MAX_BYTES, &bytes, &size, err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "reading the digest list");
	result = repro_digestlist_parse(out, bytes, size, path, err);
	free(bytes);
	return result;
}

/* Joins names into @p out, at most @p size bytes, and ends with "and N more"
 * when they do not fit, so that a long list cannot fill the message. */
static void join_names(char *out, size_t size, size_t count, const char *(*name_at)(const void *, size_t),
                       const void *owner)
{
	size_t used = 0, shown = 0;

	out[0] = '\0';
	if (count == 0) {
		snprintf(out, size, "none");
		return;
	}
	for (; shown < count; shown++) {
		const char *name = name_at(owner, shown);
		size_t length = strlen(name) + (shown > 0 ? 2 : 0);

		/* Keep room for ", and 100000 more". */
		if (used + length + 24 >= size)
			break;
		used += (size_t)snprintf(out + used, size - used, "%s%s", shown > 0 ? ", " : "", name);
	}
	if (shown < count)
		snprintf(out + used, size - used, ", and %zu more", count - shown);
}

static const char *release_tag_at(const void *owner, size_t index)
{
	const repro_digestlist *list = owner;

	return list->releases[index]->tag ? list->releases[index]->tag : "(none)";
}

static const char *image_name_at(const void *owner, size_t index)
{
	const repro_digestlist_release *release = owner;

	return release->images[index].name;
}

int repro_digestlist_find_release(const repro_digestlist *list, const char *tag,
                                  const repro_digestlist_release **out, repro_error *err)
{
	char tags[512];

	*out = NULL;
	if (list->plain_text && list->release_count == 1) {
		*out = list->releases[0];
		return REPRO_OK;
	}
	for (size_t i = 0; i < list->release_count; i++) {
		if (list->releases[i]->tag != NULL && strcmp(list->releases[i]->tag, tag) == 0) {
			*out = list->releases[i];
			return REPRO_OK;
		}
	}
	join_names(tags, sizeof(tags), list->release_count, release_tag_at, list);
	return repro_error_set(err, REPRO_ENOTFOUND,
		"digest list '%s' has no entry for tag '%.*s'; tags present: %s",
		list->name, REPRO_SYNTAX_ECHO_MAX, tag, tags);
}

int repro_digestlist_find_image(const repro_digestlist_release *release, const char *name,
                                const repro_digestlist_image **out, repro_error *err)
{
	char names[512];

	*out = NULL;
	for (size_t i = 0; i < release->image_count; i++) {
		if (strcmp(release->images[i].name, name) == 0) {
			*out = &release->images[i];
			return REPRO_OK;
		}
	}
	join_names(names, sizeof(names), release->image_count, image_name_at, release);
	if (release->tag == NULL)
		return repro_error_set(err, REPRO_ENOTFOUND,
			"the digest list has no image '%.*s'; images present: %s",
			REPRO_SYNTAX_ECHO_MAX, name, names);
	return repro_error_set(err, REPRO_ENOTFOUND,
		"release '%s' has no image '%.*s'; images present: %s",
		release->tag, REPRO_SYNTAX_ECHO_MAX, name, names);
}

static bool find_in_release(const repro_digestlist_release *release, const repro_digest *digest,
                            repro_digestlist_match *out)
{
	for (size_t i = 0; i < release->image_count; i++) {
		const repro_digestlist_image *image = &release->images[i];

		out->release = release;
		out->image = image;
		out->platform = NULL;
		out->kind = REPRO_DIGESTLIST_INDEX;
		if (image->has_index && repro_digest_equal(&image->index, digest))
			return true;
		for (size_t j = 0; j < image->platform_count; j++) {
			const repro_digestlist_platform *platform = &image->platforms[j];

			out->platform = platform;
			out->kind = REPRO_DIGESTLIST_MANIFEST;
			if (repro_digest_equal(&platform->manifest, digest))
				return true;
			out->kind = REPRO_DIGESTLIST_CONFIG;
			if (platform->has_config && repro_digest_equal(&platform->config, digest))
				return true;
		}
	}
	return false;
}

int repro_digestlist_find_digest(const repro_digestlist *list, const char *tag,
                                 const repro_digest *digest, repro_digestlist_match *out,
                                 repro_error *err)
{
	char text[REPRO_DIGEST_STRING_MAX];

	memset(out, 0, sizeof(*out));
	if (tag != NULL) {
		const repro_digestlist_release *release;
		int result = repro_digestlist_find_release(list, tag, &release, err);

		if (result != REPRO_OK)
			return result;
		if (find_in_release(release, digest, out))
			return REPRO_OK;
	} else {
		for (size_t i = 0; i < list->release_count; i++) {
			if (find_in_release(list->releases[i], digest, out))
				return REPRO_OK;
		}
	}
	memset(out, 0, sizeof(*out));
	repro_digest_format(digest, text);
	if (tag != NULL && !list->plain_text)
		return repro_error_set(err, REPRO_ENOTFOUND,
			"digest list '%s' has no index, manifest or config %s for tag '%s'", list->name, text, tag);
	return repro_error_set(err, REPRO_ENOTFOUND,
		"digest list '%s' has no index, manifest or config %s", list->name, text);
}

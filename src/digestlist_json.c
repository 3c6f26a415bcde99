#include "digestlist_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/json.h>

/* Reads the digest string member @p name of @p object, whose path is @p key. */
static int get_digest(const json_t *object, const char *name, const char *key, bool required,
                      repro_digest *out, bool *found, repro_error *err)
{
	char member_key[REPRO_JSON_PATH_MAX];
	const char *text;
	int result = repro_json_get_string(object, name, key, required, &text, err);

	if (found != NULL)
		*found = text != NULL;
	if (result != REPRO_OK || text == NULL)
		return result;
	result = repro_digest_parse(out, text, err);
	if (result != REPRO_OK) {
		repro_json_path_key(member_key, key, name);
		return repro_error_prefix(err, "'%s'", member_key);
	}
	return REPRO_OK;
}

static int get_string_copy(const json_t *object, const char *name, const char *key,
                           bool required, char **out, repro_error *err)
{
	const char *text;
	int result = repro_json_get_string(object, name, key, required, &text, err);

	if (result != REPRO_OK || text == NULL)
		return result;
	return repro_digestlist_strdup(out, text, err);
}

/* Checks that @p value is an object with only @p allowed keys. */
static int check_object(json_t *value, const char *key, const char *const allowed[],
                        repro_error *err)
{
	if (!json_is_object(value))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an object, found %s", key,
		                       repro_json_type_name(value));
	return repro_json_check_keys(value, key, allowed, err);
}

/* Gets the array member @p name, checks its length against @p max and
 * allocates @p count zeroed elements of @p element_size bytes. */
static int get_array(const json_t *object, const char *name, const char *key, size_t max,
                     json_t **array, void **items, size_t *count, size_t element_size,
                     repro_error *err)
{
	int result = repro_json_get_array(object, name, key, true, array, err);
	size_t size;

	if (result != REPRO_OK)
		return result;
	size = json_array_size(*array);
	if (size > max)
		return repro_error_set(err, REPRO_ELIMIT, "'%s.%s' has %zu entries, more than the limit of %zu",
		                       key, name, size, max);
	*items = calloc(size + 1, element_size);
	if (*items == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "parsing '%s.%s' failed: out of memory", key, name);
	*count = size;
	return REPRO_OK;
}

static int parse_layer(json_t *value, const char *key, repro_digestlist_layer *out,
                       repro_error *err)
{
	static const char *const allowed[] = {"mediaType", "digest", "diffId", "size", NULL};
	json_int_t size = 0;
	int result = check_object(value, key, allowed, err);

	if (result == REPRO_OK)
		result = get_string_copy(value, "mediaType", key, true, &out->media_type, err);
	if (result == REPRO_OK)
		result = get_digest(value, "digest", key, true, &out->digest, NULL, err);
	if (result == REPRO_OK)
		result = get_digest(value, "diffId", key, true, &out->diff_id, NULL, err);
	if (result == REPRO_OK)
		result = repro_json_get_integer(value, "size", key, true, &size, NULL, err);
	if (result == REPRO_OK && size < 0)
		result = repro_error_set(err, REPRO_EFORMAT, "'%s.size' must not be negative, found %lld",
		                         key, (long long)size);
	out->size = (uint64_t)size;
	return result;
}

static int parse_platform(json_t *value, const char *key, repro_digestlist_platform *out,
                          repro_error *err)
{
	static const char *const allowed[] = {"platform", "manifest", "config", "layers", NULL};
	json_t *layers;
	int result = check_object(value, key, allowed, err);

	if (result == REPRO_OK)
		result = get_string_copy(value, "platform", key, true, &out->platform, err);
	if (result == REPRO_OK)
		result = get_digest(value, "manifest", key, true, &out->manifest, NULL, err);
	if (result == REPRO_OK)
		result = get_digest(value, "config", key, true, &out->config, &out->has_config, err);
	if (result == REPRO_OK)
		result = get_array(value, "layers", key, REPRO_DIGESTLIST_MAX_LAYERS, &layers,
		                   (void **)&out->layers, &out->layer_count, sizeof(*out->layers), err);
	for (size_t i = 0; result == REPRO_OK && i < out->layer_count; i++) {
		char layer_key[REPRO_JSON_PATH_MAX];

		snprintf(layer_key, sizeof(layer_key), "%s.layers[%zu]", key, i);
		result = parse_layer(json_array_get(layers, i), layer_key, &out->layers[i], err);
	}
	return result;
}

static int parse_image(json_t *value, const char *key, repro_digestlist_image *out,
                       repro_error *err)
{
	static const char *const allowed[] = {"name", "reference", "index", "platforms", NULL};
	json_t *platforms;
	int result = check_object(value, key, allowed, err);

	if (result == REPRO_OK)
		result = get_string_copy(value, "name", key, true, &out->name, err);
	if (result == REPRO_OK)
		result = get_string_copy(value, "reference", key, false, &out->reference, err);
	if (result == REPRO_OK)
		result = get_digest(value, "index", key, false, &out->index, &out->has_index, err);
	if (result == REPRO_OK)
		result = get_array(value, "platforms", key, REPRO_DIGESTLIST_MAX_PLATFORMS, &platforms,
		                   (void **)&out->platforms, &out->platform_count,
		                   sizeof(*out->platforms), err);
	for (size_t i = 0; result == REPRO_OK && i < out->platform_count; i++) {
		char platform_key[REPRO_JSON_PATH_MAX];

		snprintf(platform_key, sizeof(platform_key), "%s.platforms[%zu]", key, i);
		result = parse_platform(json_array_get(platforms, i), platform_key, &out->platforms[i],
		                        err);
	}
	return result;
}

static int parse_release(json_t *value, const char *key, repro_digestlist_release *out,
                         repro_error *err)
{
	static const char *const allowed[] = {"tag", "commit", "sourceDateEpoch", "images", NULL};
	json_int_t epoch = 0;
	json_t *images;
	int result = check_object(value, key, allowed, err);

	if (result == REPRO_OK)
		result = get_string_copy(value, "tag", key, true, &out->tag, err);
	if (result == REPRO_OK)
		result = get_string_copy(value, "commit", key, true, &out->commit, err);
	if (result == REPRO_OK)
		result = repro_json_get_integer(value, "sourceDateEpoch", key, true, &epoch,
		                                &out->has_source_date_epoch, err);
	out->source_date_epoch = (int64_t)epoch;
	if (result == REPRO_OK)
		result = get_array(value, "images", key, REPRO_DIGESTLIST_MAX_IMAGES, &images,
		                   (void **)&out->images, &out->image_count, sizeof(*out->images), err);
	for (size_t i = 0; result == REPRO_OK && i < out->image_count; i++) {
		char image_key[REPRO_JSON_PATH_MAX];

		snprintf(image_key, sizeof(image_key), "%s.images[%zu]", key, i);
		result = parse_image(json_array_get(images, i), image_key, &out->images[i], err);
	}
	if (result == REPRO_OK)
		result = repro_digestlist_check_release(out, key, err);
	return result;
}

typedef struct tag_entry {
	const char *tag;
	size_t index;
} tag_entry;

static int compare_tags(const void *left, const void *right)
{
	const tag_entry *a = left, *b = right;
	int order = strcmp(a->tag, b->tag);

	if (order != 0)
		return order;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Sorting keeps the check at O(n log n) for lists with many releases. */
static int check_duplicate_tags(const repro_digestlist *list, repro_error *err)
{
	tag_entry *entries;
	int result = REPRO_OK;

	if (list->release_count < 2)
		return REPRO_OK;
	entries = calloc(list->release_count, sizeof(*entries));
	if (entries == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "checking tags failed: out of memory");
	for (size_t i = 0; i < list->release_count; i++) {
		entries[i].tag = list->releases[i]->tag;
		entries[i].index = i;
	}
	qsort(entries, list->release_count, sizeof(*entries), compare_tags);

	/* Equal tags sort together, by index. The repeat reported is the one
	 * that comes first in the file, named with the entry it repeats. */
	size_t reported = SIZE_MAX;

	for (size_t i = 1; i < list->release_count; i++) {
		bool repeat = strcmp(entries[i].tag, entries[i - 1].tag) == 0;
		bool first_repeat = repeat && (i < 2 || strcmp(entries[i - 1].tag, entries[i - 2].tag) != 0);

		if (first_repeat && (reported == SIZE_MAX || entries[i].index < entries[reported].index))
			reported = i;
	}
	if (reported != SIZE_MAX)
		result = repro_error_set(err, REPRO_EFORMAT,
			"'releases[%zu].tag': duplicate tag '%s', already used by releases[%zu]",
			entries[reported].index, entries[reported].tag, entries[reported - 1].index);
	free(entries);
	return result;
}

static int parse_releases(json_t *root, repro_digestlist *list, repro_error *err)
{
	json_t *releases;
	int result = repro_json_get_array(root, "releases", "", true, &releases, err);

	if (result != REPRO_OK)
		return result;
	if (json_array_size(releases) > REPRO_DIGESTLIST_MAX_RELEASES)
		return repro_error_set(err, REPRO_ELIMIT, "'releases' has %zu entries, more than the limit of %d",
		                       json_array_size(releases), REPRO_DIGESTLIST_MAX_RELEASES);
	for (size_t i = 0; i < json_array_size(releases); i++) {
		char key[REPRO_JSON_PATH_MAX];
		repro_digestlist_release *release = calloc(1, sizeof(*release));

		if (release == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "parsing 'releases' failed: out of memory");
		result = repro_digestlist_append(list, release, err);
		if (result != REPRO_OK) {
			repro_digestlist_release_free(release);
			return result;
		}
		repro_json_path_index(key, "releases", i);
		result = parse_release(json_array_get(releases, i), key, release, err);
		if (result != REPRO_OK)
			return result;
	}
	return check_duplicate_tags(list, err);
}

int repro_digestlist_parse_json(repro_digestlist *list, const void *bytes, size_t size,
                                repro_error *err)
{
	static const char *const allowed[] = {"schemaVersion", "releases", NULL};
	repro_json_limits limits = {REPRO_DIGESTLIST_MAX_BYTES, 0};
	json_int_t version = 0;
	json_t *root;
	int result = repro_json_parse(&root, bytes, size, "JSON", &limits, err);

	if (result != REPRO_OK)
		return result;
	result = repro_json_check_keys(root, "", allowed, err);
	if (result == REPRO_OK)
		result = repro_json_get_integer(root, "schemaVersion", "", true, &version, NULL, err);
	if (result == REPRO_OK && version != 1)
		result = repro_error_set(err, REPRO_EUNSUPPORTED,
			"'schemaVersion' is %lld, but this version of reprocheck reads only schemaVersion 1",
			(long long)version);
	if (result == REPRO_OK)
		result = parse_releases(root, list, err);
	json_decref(root);
	return result;
}

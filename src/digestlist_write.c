#include "digestlist_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/json.h>

#include "fileutil_internal.h"

/* Sets @p key of @p object to @p value, which the object then owns. A NULL
 * @p value means that an earlier allocation failed. */
static bool set(json_t *object, const char *key, json_t *value)
{
	return value != NULL && json_object_set_new(object, key, value) == 0;
}

static bool set_digest(json_t *object, const char *key, const repro_digest *digest)
{
	char text[REPRO_DIGEST_STRING_MAX];

	repro_digest_format(digest, text);
	return set(object, key, json_string(text));
}

static bool append(json_t *array, json_t *value)
{
	return value != NULL && json_array_append_new(array, value) == 0;
}

static json_t *platform_to_json(const repro_digestlist_platform *platform)
{
	json_t *object = json_object();
	json_t *layers = json_array();
	bool ok = object != NULL && layers != NULL;

	ok = ok && set(object, "platform", json_string(platform->platform));
	ok = ok && set_digest(object, "manifest", &platform->manifest);
	ok = ok && set_digest(object, "config", &platform->config);
	for (size_t i = 0; ok && i < platform->layer_count; i++) {
		const repro_digestlist_layer *layer = &platform->layers[i];
		json_t *entry = json_object();

		ok = append(layers, entry);
		ok = ok && set(entry, "mediaType", json_string(layer->media_type));
		ok = ok && set_digest(entry, "digest", &layer->digest);
		ok = ok && set_digest(entry, "diffId", &layer->diff_id);
		ok = ok && set(entry, "size", json_integer((json_int_t)layer->size));
	}
	ok = ok && set(object, "layers", json_incref(layers));
	json_decref(layers);
	if (!ok) {
		json_decref(object);
		return NULL;
	}
	return object;
}

static json_t *image_to_json(const repro_digestlist_image *image)
{
	json_t *object = json_object();
	json_t *platforms = json_array();
	bool ok = object != NULL && platforms != NULL;

	ok = ok && set(object, "name", json_string(image->name));
	if (image->reference != NULL)
		ok = ok && set(object, "reference", json_string(image->reference));
	if (image->has_index)
		ok = ok && set_digest(object, "index", &image->index);
	for (size_t i = 0; ok && i < image->platform_count; i++)
		ok = append(platforms, platform_to_json(&image->platforms[i]));
	ok = ok && set(object, "platforms", json_incref(platforms));
	json_decref(platforms);
	if (!ok) {
		json_decref(object);
		return NULL;
	}
	return object;
}

static json_t *release_to_json(const repro_digestlist_release *release)
{
	json_t *object = json_object();
	json_t *images = json_array();
	bool ok = object != NULL && images != NULL;

	ok = ok && set(object, "tag", json_string(release->tag));
	ok = ok && set(object, "commit", json_string(release->commit));
	ok = ok && set(object, "sourceDateEpoch", json_integer((json_int_t)release->source_date_epoch));
	for (size_t i = 0; ok && i < release->image_count; i++)
		ok = append(images, image_to_json(&release->images[i]));
	ok = ok && set(object, "images", json_incref(images));
	json_decref(images);
	if (!ok) {
		json_decref(object);
		return NULL;
	}
	return object;
}

int repro_digestlist_serialize(const repro_digestlist *list, char **out, size_t *size,
                               repro_error *err)
{
	json_t *root = json_object();
	json_t *releases = json_array();
	bool ok = root != NULL && releases != NULL;
	int result;

	*out = NULL;
	if (size != NULL)
		*size = 0;
	if (list->plain_text) {
		json_decref(root);
		json_decref(releases);
		return repro_error_set(err, REPRO_EUNSUPPORTED,
			"digest list '%s' is in the plain-text form, which has no tags and cannot be written as JSON",
			list->name);
	}
	ok = ok && set(root, "schemaVersion", json_integer(1));
	for (size_t i = 0; ok && i < list->release_count; i++)
		ok = append(releases, release_to_json(list->releases[i]));
	ok = ok && set(root, "releases", json_incref(releases));
	json_decref(releases);
	if (ok)
		result = repro_json_dump_pretty(root, out, size, err);
	else
		result = repro_error_set(err, REPRO_ENOMEM, "serialising digest list '%s' failed: out of memory, or a string is not UTF-8",
		                         list->name);
	json_decref(root);
	return result;
}

int repro_digestlist_put_release(repro_digestlist *list, repro_digestlist_release *release,
                                 repro_error *err)
{
	char key[REPRO_JSON_PATH_MAX];
	size_t position = list->release_count;
	int result;

	if (list->plain_text)
		return repro_error_set(err, REPRO_EUNSUPPORTED,
			"digest list '%s' is in the plain-text form, which has no tags", list->name);
	for (size_t i = 0; release->tag != NULL && i < list->release_count; i++) {
		if (strcmp(list->releases[i]->tag, release->tag) == 0) {
			position = i;
			break;
		}
	}
	repro_json_path_index(key, "releases", position);
	result = repro_digestlist_check_release(release, key, err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "adding a release to digest list '%s'", list->name);

	if (position == list->release_count)
		return repro_digestlist_append(list, release, err);
	if (list->releases[position] != release)
		repro_digestlist_release_free(list->releases[position]);
	list->releases[position] = release;
	return REPRO_OK;
}

int repro_digestlist_save(const repro_digestlist *list, const char *path, repro_error *err)
{
	char *text;
	size_t size;
	int result = repro_digestlist_serialize(list, &text, &size, err);

	if (result != REPRO_OK)
		return result;
	result = repro_file_write_atomic(path, text, size, 0644, err);
	free(text);
	return result;
}

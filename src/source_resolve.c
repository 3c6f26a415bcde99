#include "source_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Manifest descriptors collected from an index tree. */
typedef struct candidate_list {
	repro_descriptor *items;
	size_t count;
	size_t capacity;
} candidate_list;

static void candidates_dispose(candidate_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		repro_descriptor_dispose(&list->items[i]);
	free(list->items);
}

static int candidates_add(candidate_list *list, const repro_descriptor *descriptor,
                          repro_error *err)
{
	if (list->count == list->capacity) {
		size_t grown = list->capacity == 0 ? 8 : list->capacity * 2;
		repro_descriptor *items = realloc(list->items, grown * sizeof(*items));

		if (items == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "collecting manifests failed");
		list->items = items;
		list->capacity = grown;
	}
	if (repro_descriptor_copy(&list->items[list->count], descriptor, err) != REPRO_OK)
		return err->code;
	list->count++;
	return REPRO_OK;
}

static int read_index(repro_source *source, const repro_descriptor *descriptor,
                      repro_index **out, repro_error *err)
{
	unsigned char *bytes;
	size_t size;
	int result = repro_source_read_blob(source, descriptor, REPRO_OCI_MAX_MANIFEST_BYTES, &bytes,
	                                    &size, err);

	*out = NULL;
	if (result == REPRO_OK)
		result = repro_index_parse(out, bytes, size, descriptor, err);
	free(bytes);
	return result;
}

static int collect(repro_source *source, const repro_index *index, int depth,
                   candidate_list *list, repro_error *err)
{
	for (size_t i = 0; i < index->manifest_count; i++) {
		const repro_descriptor *entry = &index->manifests[i];
		repro_oci_kind kind = repro_media_type_kind(entry->media_type);
		repro_index *child;
		int result;

		if (repro_descriptor_is_attestation(entry))
			continue;
		if (kind == REPRO_OCI_KIND_MANIFEST) {
			if ((result = candidates_add(list, entry, err)) != REPRO_OK)
				return result;
			continue;
		}
		if (kind != REPRO_OCI_KIND_INDEX)
			continue;  /* artifacts and other content are not images */
		if (depth >= REPRO_SOURCE_MAX_INDEX_DEPTH)
			return repro_error_set(err, REPRO_ELIMIT,
				"indexes in '%s' are nested deeper than %d levels", source->spec,
				REPRO_SOURCE_MAX_INDEX_DEPTH);
		if ((result = read_index(source, entry, &child, err)) != REPRO_OK)
			return result;
		result = collect(source, child, depth + 1, list, err);
		repro_index_free(child);
		if (result != REPRO_OK)
			return result;
	}
	return REPRO_OK;
}

static void image_dispose(repro_resolved_image *image)
{
	repro_descriptor_dispose(&image->manifest_descriptor);
	repro_manifest_free(image->manifest);
	repro_descriptor_dispose(&image->config_descriptor);
	repro_config_free(image->config);
	repro_platform_dispose(&image->platform);
	memset(image, 0, sizeof(*image));
}

void repro_resolved_images_free(repro_resolved_image *images, size_t count)
{
	if (images == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		image_dispose(&images[i]);
	free(images);
}

/* Reads the manifest of @p descriptor and its config into @p image. */
static int resolve_image(repro_source *source, const repro_descriptor *descriptor,
                         repro_resolved_image *image, repro_error *err)
{
	unsigned char *bytes = NULL;
	size_t size;
	int result;

	memset(image, 0, sizeof(*image));
	if ((result = repro_descriptor_copy(&image->manifest_descriptor, descriptor, err)) != 0 ||
	    (result = repro_source_read_blob(source, descriptor, REPRO_OCI_MAX_MANIFEST_BYTES, &bytes,
	                                     &size, err)) != 0 ||
	    (result = repro_manifest_parse(&image->manifest, bytes, size, descriptor, err)) != 0)
		goto cleanup;
	free(bytes);
	bytes = NULL;
	if ((result = repro_descriptor_copy(&image->config_descriptor, &image->manifest->config,
	                                    err)) != 0 ||
	    (result = repro_source_read_blob(source, &image->config_descriptor,
	                                     REPRO_OCI_MAX_CONFIG_BYTES, &bytes, &size, err)) != 0 ||
	    (result = repro_config_parse(&image->config, bytes, size, &image->config_descriptor,
	                                 err)) != 0 ||
	    (result = repro_platform_copy(&image->platform, &image->config->platform, err)) != 0)
		goto cleanup;

cleanup:
	free(bytes);
	if (result != REPRO_OK)
		image_dispose(image);
	return result;
}

static void append_name(char *list, size_t size, const repro_platform *platform)
{
	char name[128];
	size_t used = strlen(list);

	repro_platform_format(platform, name, sizeof(name));
	if (used < size)
		snprintf(list + used, size - used, "%s%s", used ? ", " : "", name);
}

/* Selects among the manifests of an index; @p wanted is NULL for all. */
static int select_images(repro_source *source, const candidate_list *list,
                         const repro_platform *wanted, repro_resolved_image *images,
                         size_t *count, repro_error *err)
{
	char available[512] = "";
	char name[128];

	*count = 0;
	for (size_t i = 0; i < list->count; i++) {
		const repro_descriptor *candidate = &list->items[i];
		repro_resolved_image *image = &images[*count];
		int result;

		if (wanted != NULL && candidate->has_platform) {
			append_name(available, sizeof(available), &candidate->platform);
			if (!repro_platform_match(wanted, &candidate->platform))
				continue;
		}
		if ((result = resolve_image(source, candidate, image, err)) != REPRO_OK)
			return result;
		if (wanted != NULL && !candidate->has_platform) {
			append_name(available, sizeof(available), &image->platform);
			if (!repro_platform_match(wanted, &image->platform)) {
				image_dispose(image);
				continue;
			}
		}
		(*count)++;
	}
	if (*count == 0 && wanted != NULL) {
		repro_platform_format(wanted, name, sizeof(name));
		return repro_error_set(err, REPRO_ENOTFOUND, "no image for platform %s in '%s'; "
		                       "available: %s", name, source->spec,
		                       available[0] ? available : "none");
	}
	if (*count == 0)
		return repro_error_set(err, REPRO_ENOTFOUND, "'%s' holds no images", source->spec);
	if (*count > 1 && wanted != NULL) {
		repro_platform_format(wanted, name, sizeof(name));
		return repro_error_set(err, REPRO_EUSAGE,
			"'%s' holds %zu images for platform %s; select one with :REF", source->spec, *count,
			name);
	}
	return REPRO_OK;
}

static int resolve_index(repro_source *source, const repro_platform *wanted,
                         repro_resolved_image **images, size_t *count, repro_error *err)
{
	candidate_list list = {0};
	repro_index *index = NULL;
	repro_resolved_image *found = NULL;
	int result;

	*count = 0;
	if ((result = read_index(source, &source->root, &index, err)) != REPRO_OK ||
	    (result = collect(source, index, 1, &list, err)) != REPRO_OK)
		goto cleanup;
	found = calloc(list.count ? list.count : 1, sizeof(*found));
	if (found == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "allocating images failed");
		goto cleanup;
	}
	result = select_images(source, &list, wanted, found, count, err);
	for (size_t i = 0; i < *count; i++) {
		found[i].has_index = !source->root_is_layout_index;
		found[i].index_digest = source->root.digest;
	}
	if (result == REPRO_OK) {
		*images = found;
		found = NULL;
	}

cleanup:
	repro_resolved_images_free(found, *count);
	if (result != REPRO_OK)
		*count = 0;
	candidates_dispose(&list);
	repro_index_free(index);
	return result;
}

static int resolve_manifest(repro_source *source, const repro_platform *wanted,
                            repro_resolved_image **images, size_t *count, repro_error *err)
{
	repro_resolved_image *image = calloc(1, sizeof(*image));
	char name[128], found[128];
	int result;

	if (image == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating an image failed");
	result = resolve_image(source, &source->root, image, err);
	if (result == REPRO_OK && wanted != NULL && !repro_platform_match(wanted, &image->platform)) {
		repro_platform_format(wanted, name, sizeof(name));
		repro_platform_format(&image->platform, found, sizeof(found));
		result = repro_error_set(err, REPRO_ENOTFOUND, "no image for platform %s in '%s'; "
		                         "available: %s", name, source->spec, found);
	}
	if (result != REPRO_OK) {
		repro_resolved_images_free(image, 1);
		return result;
	}
	*images = image;
	*count = 1;
	return REPRO_OK;
}

int repro_source_resolve(repro_source *source, const repro_platform_selector *selector,
                         repro_resolved_image **images, size_t *count, repro_error *err)
{
	repro_oci_kind kind = repro_media_type_kind(source->root.media_type);
	repro_platform host = {0};
	const repro_platform *wanted = NULL;
	int result;

	*images = NULL;
	*count = 0;
	if (selector != NULL && selector->has_platform && !selector->all)
		wanted = &selector->platform;

	if (kind == REPRO_OCI_KIND_MANIFEST)
		return resolve_manifest(source, wanted, images, count, err);
	if (kind != REPRO_OCI_KIND_INDEX)
		return repro_error_set(err, REPRO_EUNSUPPORTED,
			"the root of '%s' has media type '%s', which is not an image manifest or index",
			source->spec, source->root.media_type);

	if (wanted == NULL && (selector == NULL || !selector->all)) {
		/* The default for an index is linux/amd64, the host platform. */
		if ((result = repro_platform_parse(&host, "linux/amd64", err)) != REPRO_OK)
			return result;
		wanted = &host;
	}
	result = resolve_index(source, wanted, images, count, err);
	repro_platform_dispose(&host);
	return result;
}

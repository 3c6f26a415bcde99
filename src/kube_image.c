/*
 * Container image IDs and the verdict on each container: whether the
 * digest a runtime reports is one the digest list publishes.
 */
#include "kube_internal.h"

#include <stdio.h>
#include <string.h>

#include "syntax_internal.h"

#define DOCKER_PULLABLE_PREFIX "docker-pullable://"
#define DOCKER_PREFIX "docker://"
/* Maximum tag length in the distribution grammar. */
#define MAX_TAG 128

/* A reference split into a normalised repository and a tag. */
typedef struct image_name {
	char repository[REPRO_KUBE_REPOSITORY_MAX + 32];
	char tag[MAX_TAG + 1];
} image_name;

const char *repro_kube_status_name(repro_kube_status status)
{
	switch (status) {
	case REPRO_KUBE_IDENTICAL: return "identical";
	case REPRO_KUBE_UNLISTED: return "unlisted";
	case REPRO_KUBE_MISMATCH: return "mismatch";
	default: return "error";
	}
}

static int parse_repo_digest(const char *text, const char *image_id, repro_kube_image_id *out,
                             repro_error *err)
{
	const char *at = strchr(text, '@');
	size_t length = at ? (size_t)(at - text) : 0;
	int result;

	if (at == NULL || length == 0 || length > REPRO_KUBE_REPOSITORY_MAX)
		return repro_error_set(err, REPRO_EFORMAT, "imageID '%.300s' has no REPOSITORY@DIGEST", image_id);
	memcpy(out->repository, text, length);
	out->repository[length] = '\0';
	if (repro_syntax_has_whitespace(out->repository) || strchr(out->repository, '@') != NULL)
		return repro_error_set(err, REPRO_EFORMAT, "imageID '%.300s' has an invalid repository", image_id);
	result = repro_digest_parse(&out->digest, at + 1, err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "imageID '%.300s'", image_id);
	return REPRO_OK;
}

int repro_kube_image_id_parse(const char *image_id, repro_kube_image_id *out, repro_error *err)
{
	int result;

	memset(out, 0, sizeof(*out));
	if (strncmp(image_id, DOCKER_PULLABLE_PREFIX, strlen(DOCKER_PULLABLE_PREFIX)) == 0) {
		out->form = REPRO_KUBE_IMAGE_ID_DOCKER_PULLABLE;
		return parse_repo_digest(image_id + strlen(DOCKER_PULLABLE_PREFIX), image_id, out, err);
	}
	if (strchr(image_id, '@') != NULL) {
		out->form = REPRO_KUBE_IMAGE_ID_REPO_DIGEST;
		if (strstr(image_id, "://") != NULL)
			return repro_error_set(err, REPRO_EFORMAT,
				"imageID '%.300s' has an unknown scheme: expected docker-pullable:// or none", image_id);
		return parse_repo_digest(image_id, image_id, out, err);
	}
	if (strncmp(image_id, DOCKER_PREFIX, strlen(DOCKER_PREFIX)) == 0) {
		out->form = REPRO_KUBE_IMAGE_ID_DOCKER_CONFIG;
		result = repro_digest_parse(&out->digest, image_id + strlen(DOCKER_PREFIX), err);
	} else if (strchr(image_id, '/') == NULL && strchr(image_id, ':') != NULL) {
		out->form = REPRO_KUBE_IMAGE_ID_CONFIG;
		result = repro_digest_parse(&out->digest, image_id, err);
	} else {
		return repro_error_set(err, REPRO_EFORMAT,
			"imageID '%.300s' is none of REPOSITORY@DIGEST, docker-pullable://REPOSITORY@DIGEST, "
			"docker://DIGEST and DIGEST", image_id);
	}
	if (result != REPRO_OK)
		return repro_error_prefix(err, "imageID '%.300s'", image_id);
	return REPRO_OK;
}

/* Splits REPOSITORY[:TAG][@DIGEST] and applies Docker Hub's defaults:
 * docker.io for a first part that is not a host, library/ for a single
 * name, and the tag "latest". Returns false for what is not a reference. */
static bool split_image(const char *image, image_name *out)
{
	char copy[REPRO_KUBE_REPOSITORY_MAX + MAX_TAG + 2];
	char *at, *slash, *colon, *first_end;
	const char *tag = "latest";
	size_t first_length;
	bool has_host;
	int written;

	if (image == NULL || strlen(image) >= sizeof(copy) || repro_syntax_has_whitespace(image))
		return false;
	strcpy(copy, image);
	at = strchr(copy, '@');
	if (at != NULL)
		*at = '\0';
	slash = strrchr(copy, '/');
	colon = strrchr(slash ? slash : copy, ':');
	if (colon != NULL) {
		*colon = '\0';
		tag = colon + 1;
	}
	if (copy[0] == '\0' || tag[0] == '\0' || strlen(tag) > MAX_TAG)
		return false;

	first_end = strchr(copy, '/');
	first_length = first_end ? (size_t)(first_end - copy) : 0;
	has_host = first_end != NULL && (memchr(copy, '.', first_length) || memchr(copy, ':', first_length) ||
	                                 (first_length == 9 && strncmp(copy, "localhost", 9) == 0));
	if (has_host && strncmp(copy, "index.docker.io/", 16) == 0)
		written = snprintf(out->repository, sizeof(out->repository), "docker.io/%s", copy + 16);
	else if (has_host)
		written = snprintf(out->repository, sizeof(out->repository), "%s", copy);
	else
		written = snprintf(out->repository, sizeof(out->repository), "docker.io/%s%s",
		                   first_end ? "" : "library/", copy);
	if (written < 0 || (size_t)written >= sizeof(out->repository))
		return false;
	if (strncmp(out->repository, "docker.io/", 10) == 0 && strchr(out->repository + 10, '/') == NULL) {
		char single[sizeof(out->repository)];

		snprintf(single, sizeof(single), "%s", out->repository + 10);
		written = snprintf(out->repository, sizeof(out->repository), "docker.io/library/%s", single);
		if (written < 0 || (size_t)written >= sizeof(out->repository))
			return false;
	}
	snprintf(out->tag, sizeof(out->tag), "%s", tag);
	return true;
}

/* True when the container's image names @p image of @p release: by the
 * image's published reference (its tag or the release tag), or, for an
 * image that was not published, by its name and the release tag. */
static bool image_names(const image_name *container, const repro_digestlist_release *release,
                        const repro_digestlist_image *image)
{
	image_name listed;
	const char *last;

	if (image->reference != NULL) {
		if (!split_image(image->reference, &listed) ||
		    strcmp(listed.repository, container->repository) != 0)
			return false;
		return strcmp(listed.tag, container->tag) == 0 ||
		       (release->tag != NULL && strcmp(release->tag, container->tag) == 0);
	}
	if (release->tag == NULL)
		return false;
	last = strrchr(container->repository, '/');
	return strcmp(last + 1, image->name) == 0 && strcmp(release->tag, container->tag) == 0;
}

static bool image_has_digest(const repro_digestlist_image *image, const repro_digest *digest,
                             repro_kube_check *out)
{
	if (image->has_index && repro_digest_equal(&image->index, digest)) {
		out->kind = REPRO_DIGESTLIST_INDEX;
		return true;
	}
	for (size_t i = 0; i < image->platform_count; i++) {
		const repro_digestlist_platform *platform = &image->platforms[i];

		out->platform = platform;
		if (repro_digest_equal(&platform->manifest, digest)) {
			out->kind = REPRO_DIGESTLIST_MANIFEST;
			return true;
		}
		if (platform->has_config && repro_digest_equal(&platform->config, digest)) {
			out->kind = REPRO_DIGESTLIST_CONFIG;
			return true;
		}
	}
	out->platform = NULL;
	return false;
}

/* Checks the digest against every listed image that the container's image
 * names; returns false when it names none. */
static bool check_named(const repro_digestlist *list, const repro_digestlist_release *only,
                        const repro_kube_container *container, repro_kube_check *out)
{
	const repro_digestlist_release *first_release = NULL;
	const repro_digestlist_image *first_image = NULL;
	image_name name;
	char text[REPRO_DIGEST_STRING_MAX];

	if (!split_image(container->image, &name))
		return false;
	for (size_t r = 0; r < list->release_count; r++) {
		const repro_digestlist_release *release = list->releases[r];

		if (only != NULL && release != only)
			continue;
		for (size_t i = 0; i < release->image_count; i++) {
			const repro_digestlist_image *image = &release->images[i];

			if (!image_names(&name, release, image))
				continue;
			if (first_image == NULL) {
				first_release = release;
				first_image = image;
			}
			if (image_has_digest(image, &out->digest, out)) {
				out->status = REPRO_KUBE_IDENTICAL;
				out->release = release;
				out->image = image;
				return true;
			}
		}
	}
	if (first_image == NULL)
		return false;
	repro_digest_format(&out->digest, text);
	out->status = REPRO_KUBE_MISMATCH;
	out->release = first_release;
	out->image = first_image;
	snprintf(out->reason, sizeof(out->reason),
	         "image '%s' names image '%s' of release '%s', which does not list %s",
	         container->image, first_image->name, first_release->tag ? first_release->tag : "(untagged)", text);
	return true;
}

int repro_kube_check_container(const repro_digestlist *list, const char *tag,
                               const repro_kube_container *container, repro_kube_check *out,
                               repro_error *err)
{
	const repro_digestlist_release *only = NULL;
	repro_kube_image_id image_id;
	repro_digestlist_match match;
	repro_error local;
	int result;

	memset(out, 0, sizeof(*out));
	repro_error_clear(&local);
	if (tag != NULL) {
		result = repro_digestlist_find_release(list, tag, &only, err);
		if (result != REPRO_OK)
			return result;
	}
	out->status = REPRO_KUBE_ERROR;
	if (container->image_id == NULL) {
		snprintf(out->reason, sizeof(out->reason),
		         "the container status has no imageID yet: the image is not pulled or the pod is pending");
		return REPRO_OK;
	}
	if (repro_kube_image_id_parse(container->image_id, &image_id, &local) != REPRO_OK) {
		snprintf(out->reason, sizeof(out->reason), "%s", local.message);
		return REPRO_OK;
	}
	out->has_digest = true;
	out->digest = image_id.digest;
	if (check_named(list, only, container, out))
		return REPRO_OK;

	if (repro_digestlist_find_digest(list, tag, &out->digest, &match, &local) == REPRO_OK) {
		out->status = REPRO_KUBE_IDENTICAL;
		out->release = match.release;
		out->image = match.image;
		out->platform = match.platform;
		out->kind = match.kind;
		return REPRO_OK;
	}
	out->status = REPRO_KUBE_UNLISTED;
	snprintf(out->reason, sizeof(out->reason), "%s", local.message);
	return REPRO_OK;
}

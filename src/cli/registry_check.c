#include "registry_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *check_status_name(check_status status)
{
	static const char *const names[] = {"identical", "missing", "mismatch", "error"};

	return names[status];
}

void image_check_dispose(image_check *check)
{
	free(check->platforms);
	check->platforms = NULL;
}

static void set_status(check_status *slot, char *reason, size_t size, check_status status,
                       const char *message)
{
	if (status <= *slot)
		return;
	*slot = status;
	snprintf(reason, size, "%s", message);
}

static void fail_image(image_check *check, const repro_error *err)
{
	check_status status = err->code == REPRO_ENOTFOUND ? CHECK_MISSING :
	                      err->code == REPRO_EMISMATCH ? CHECK_MISMATCH : CHECK_ERROR;

	set_status(&check->status, check->reason, sizeof(check->reason), status, err->message);
}

/* Parses the reference, giving it the release's tag when it names neither
 * tag nor digest. */
static int parse_reference(const repro_digestlist_release *release, const char *text,
                           repro_reference *out, repro_error *err)
{
	const char *last = strrchr(text, '/');
	bool explicit_tag = strchr(last ? last : text, ':') != NULL || strchr(text, '@') != NULL;
	char with_tag[REPRO_REFERENCE_MAX_TEXT + REPRO_DIGESTLIST_MAX_TAG + 2];

	if (explicit_tag || release->tag == NULL)
		return repro_reference_parse(out, text, err);
	snprintf(with_tag, sizeof(with_tag), "%s:%s", text, release->tag);
	return repro_reference_parse(out, with_tag, err);
}

static void compare_pair(digest_pair *pair, check_status *status, char *reason, size_t size,
                         const char *what)
{
	char expected[REPRO_DIGEST_STRING_MAX], actual[REPRO_DIGEST_STRING_MAX], message[512];

	if (!pair->has_expected || !pair->has_actual ||
	    repro_digest_equal(&pair->expected, &pair->actual))
		return;
	repro_digest_format(&pair->expected, expected);
	repro_digest_format(&pair->actual, actual);
	snprintf(message, sizeof(message), "%s is %s, the list has %s", what, actual, expected);
	set_status(status, reason, size, CHECK_MISMATCH, message);
}

/* Fetches the platform manifest @p digest and compares it and its config. */
static void check_manifest(const repro_registry_manifest *fetched, platform_check *platform)
{
	repro_descriptor descriptor;
	repro_manifest *manifest = NULL;
	repro_error err;

	repro_error_clear(&err);
	platform->manifest.has_actual = true;
	platform->manifest.actual = fetched->digest;
	compare_pair(&platform->manifest, &platform->status, platform->reason,
	             sizeof(platform->reason), "manifest");
	if (repro_descriptor_init(&descriptor, fetched->media_type, &fetched->digest,
	                          (int64_t)fetched->size, &err) != REPRO_OK ||
	    repro_manifest_parse(&manifest, fetched->bytes, fetched->size, &descriptor, &err) !=
	    REPRO_OK) {
		set_status(&platform->status, platform->reason, sizeof(platform->reason), CHECK_ERROR,
		           err.message);
	} else {
		platform->config.has_actual = true;
		platform->config.actual = manifest->config.digest;
		compare_pair(&platform->config, &platform->status, platform->reason,
		             sizeof(platform->reason), "config");
	}
	repro_manifest_free(manifest);
	repro_descriptor_dispose(&descriptor);
}

static const repro_descriptor *find_entry(const repro_index *index, const char *platform_text)
{
	repro_platform wanted;
	repro_error err;
	const repro_descriptor *found = NULL;

	if (repro_platform_parse(&wanted, platform_text, &err) != REPRO_OK)
		return NULL;
	for (size_t i = 0; i < index->manifest_count && found == NULL; i++) {
		const repro_descriptor *entry = &index->manifests[i];

		if (entry->has_platform && !repro_descriptor_is_attestation(entry) &&
		    repro_platform_match(&wanted, &entry->platform))
			found = entry;
	}
	repro_platform_dispose(&wanted);
	return found;
}

static void check_index_platform(repro_registry *registry, const repro_reference *reference,
                                 const repro_index *index, platform_check *platform)
{
	const repro_descriptor *entry = find_entry(index, platform->listed->platform);
	repro_registry_manifest fetched;
	repro_error err;
	char message[600];

	repro_error_clear(&err);
	if (entry == NULL) {
		snprintf(message, sizeof(message), "the index has no %s image",
		         platform->listed->platform);
		set_status(&platform->status, platform->reason, sizeof(platform->reason), CHECK_MISSING,
		           message);
		return;
	}
	if (repro_registry_get_manifest(registry, reference, &entry->digest, &fetched, &err) !=
	    REPRO_OK) {
		set_status(&platform->status, platform->reason, sizeof(platform->reason),
		           err.code == REPRO_ENOTFOUND ? CHECK_MISSING :
		           err.code == REPRO_EMISMATCH ? CHECK_MISMATCH : CHECK_ERROR, err.message);
		return;
	}
	check_manifest(&fetched, platform);
	repro_registry_manifest_dispose(&fetched);
}

/* A plain-text entry pins the digest the tag resolves to, index or manifest. */
static void check_plain(const repro_registry_manifest *root, const repro_index *index,
                        platform_check *platform)
{
	platform->manifest.has_actual = true;
	platform->manifest.actual = root->digest;
	for (size_t i = 0; index != NULL && i < index->manifest_count; i++) {
		if (repro_digest_equal(&index->manifests[i].digest, &platform->manifest.expected))
			platform->manifest.actual = index->manifests[i].digest;
	}
	compare_pair(&platform->manifest, &platform->status, platform->reason,
	             sizeof(platform->reason), "the digest");
}

static void check_root(repro_registry *registry, const repro_reference *reference,
                       const repro_registry_manifest *root, image_check *check)
{
	repro_oci_kind kind = repro_media_type_kind(root->media_type);
	repro_descriptor descriptor;
	repro_index *index = NULL;
	repro_error err;

	repro_error_clear(&err);
	memset(&descriptor, 0, sizeof(descriptor));
	if (kind == REPRO_OCI_KIND_INDEX) {
		check->index.has_actual = true;
		check->index.actual = root->digest;
		if (repro_descriptor_init(&descriptor, root->media_type, &root->digest,
		                          (int64_t)root->size, &err) != REPRO_OK ||
		    repro_index_parse(&index, root->bytes, root->size, &descriptor, &err) != REPRO_OK) {
			fail_image(check, &err);
			repro_descriptor_dispose(&descriptor);
			return;
		}
	}
	if (check->image->has_index && kind != REPRO_OCI_KIND_INDEX)
		set_status(&check->status, check->reason, sizeof(check->reason), CHECK_MISMATCH,
		           "the registry serves a single manifest, the list has an index");
	else if (!check->image->has_index && kind == REPRO_OCI_KIND_INDEX &&
	         check->image->platforms[0].platform != NULL)
		set_status(&check->status, check->reason, sizeof(check->reason), CHECK_MISMATCH,
		           "the registry serves an index, the list has a single manifest");
	compare_pair(&check->index, &check->status, check->reason, sizeof(check->reason), "index");

	for (size_t i = 0; i < check->platform_count; i++) {
		platform_check *platform = &check->platforms[i];

		if (platform->listed->platform == NULL)
			check_plain(root, index, platform);
		else if (index != NULL)
			check_index_platform(registry, reference, index, platform);
		else if (check->platform_count == 1 && kind == REPRO_OCI_KIND_MANIFEST)
			check_manifest(root, platform);
		else
			set_status(&platform->status, platform->reason, sizeof(platform->reason),
			           CHECK_MISMATCH, "the registry serves a single manifest");
	}
	repro_index_free(index);
	repro_descriptor_dispose(&descriptor);
}

static int prepare(const repro_digestlist_image *image, image_check *out)
{
	out->platforms = calloc(image->platform_count, sizeof(*out->platforms));
	if (out->platforms == NULL)
		return -1;
	out->platform_count = image->platform_count;
	out->index.has_expected = image->has_index;
	out->index.expected = image->index;
	for (size_t i = 0; i < image->platform_count; i++) {
		platform_check *platform = &out->platforms[i];

		platform->listed = &image->platforms[i];
		platform->manifest.has_expected = true;
		platform->manifest.expected = image->platforms[i].manifest;
		platform->config.has_expected = image->platforms[i].has_config;
		platform->config.expected = image->platforms[i].config;
	}
	return 0;
}

void image_check_run(repro_registry *registry, const repro_digestlist_release *release,
                     const repro_digestlist_image *image, image_check *out)
{
	repro_reference reference;
	repro_registry_manifest root;
	repro_error err;

	memset(out, 0, sizeof(*out));
	memset(&reference, 0, sizeof(reference));
	out->release = release;
	out->image = image;
	repro_error_clear(&err);
	if (prepare(image, out) != 0) {
		repro_error_set(&err, REPRO_ENOMEM, "checking image '%s' failed", image->name);
		fail_image(out, &err);
		return;
	}
	if (parse_reference(release, image->reference, &reference, &err) != REPRO_OK) {
		fail_image(out, &err);
		out->status = CHECK_ERROR;
		return;
	}
	repro_reference_format(&reference, out->reference);
	if (repro_registry_get_manifest(registry, &reference, NULL, &root, &err) != REPRO_OK) {
		fail_image(out, &err);
		for (size_t i = 0; i < out->platform_count; i++) {
			out->platforms[i].status = out->status;
			snprintf(out->platforms[i].reason, sizeof(out->platforms[i].reason), "%s",
			         out->reason);
		}
	} else {
		check_root(registry, &reference, &root, out);
		repro_registry_manifest_dispose(&root);
	}
	for (size_t i = 0; i < out->platform_count; i++) {
		if (out->platforms[i].status > out->status) {
			out->status = out->platforms[i].status;
			if (out->reason[0] == '\0')
				snprintf(out->reason, sizeof(out->reason), "%s: %s",
				         out->platforms[i].listed->platform ? out->platforms[i].listed->platform :
				         "image", out->platforms[i].reason);
		}
	}
	repro_reference_dispose(&reference);
}

#include <reprocheck/registry_check.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *repro_registry_check_status_name(repro_registry_check_status status)
{
	static const char *const names[] = {"identical", "missing", "mismatch", "error"};

	return names[status];
}

void repro_registry_image_check_dispose(repro_registry_image_check *check)
{
	free(check->platforms);
	check->platforms = NULL;
}

static void set_status(repro_registry_check_status *slot, char *reason, size_t size,
                       repro_registry_check_status status,
                       const char *message)
{
	if (status <= *slot)
		return;
	*slot = status;
	snprintf(reason, size, "%s", message);
}

static void fail_image(repro_registry_image_check *check, const repro_error *err)
{
	repro_registry_check_status status = err->code == REPRO_ENOTFOUND ? REPRO_REGISTRY_CHECK_MISSING :
	                      err->code == REPRO_EMISMATCH ? REPRO_REGISTRY_CHECK_MISMATCH :
	                      REPRO_REGISTRY_CHECK_ERROR;

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

static void compare_pair(repro_registry_digest_pair *pair, repro_registry_check_status *status,
                         char *reason, size_t size,
                         const char *what)
{
	char expected[REPRO_DIGEST_STRING_MAX], actual[REPRO_DIGEST_STRING_MAX], message[512];

	if (!pair->has_expected || !pair->has_actual ||
	    repro_digest_equal(&pair->expected, &pair->actual))
		return;
	repro_digest_format(&pair->expected, expected);
	repro_digest_format(&pair->actual, actual);
	snprintf(message, sizeof(message), "%s is %s, the list has %s", what, actual, expected);
	set_status(status, reason, size, REPRO_REGISTRY_CHECK_MISMATCH, message);
}

/* Fetches the platform manifest @p digest and compares it and its config. */
static void check_manifest(const repro_registry_manifest *fetched,
                           repro_registry_platform_check *platform)
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
		set_status(&platform->status, platform->reason, sizeof(platform->reason),
		           REPRO_REGISTRY_CHECK_ERROR,
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
                                 const repro_index *index, repro_registry_platform_check *platform)
{
	const repro_descriptor *entry = find_entry(index, platform->listed->platform);
	repro_registry_manifest fetched;
	repro_error err;
	char message[600];

	repro_error_clear(&err);
	if (entry == NULL) {
		snprintf(message, sizeof(message), "the index has no %s image",
		         platform->listed->platform);
		set_status(&platform->status, platform->reason, sizeof(platform->reason),
		           REPRO_REGISTRY_CHECK_MISSING,
		           message);
		return;
	}
	if (repro_registry_get_manifest(registry, reference, &entry->digest, &fetched, &err) !=
	    REPRO_OK) {
		set_status(&platform->status, platform->reason, sizeof(platform->reason),
		           err.code == REPRO_ENOTFOUND ? REPRO_REGISTRY_CHECK_MISSING :
		           err.code == REPRO_EMISMATCH ? REPRO_REGISTRY_CHECK_MISMATCH :
		           REPRO_REGISTRY_CHECK_ERROR, err.message);
		return;
	}
	check_manifest(&fetched, platform);
	repro_registry_manifest_dispose(&fetched);
}

/* A plain-text entry pins the digest the tag resolves to, index or manifest. */
static void check_plain(const repro_registry_manifest *root, const repro_index *index,
                        repro_registry_platform_check *platform)
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
                       const repro_registry_manifest *root, repro_registry_image_check *check)
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
		set_status(&check->status, check->reason, sizeof(check->reason), REPRO_REGISTRY_CHECK_MISMATCH,
		           "the registry serves a single manifest, the list has an index");
	else if (!check->image->has_index && kind == REPRO_OCI_KIND_INDEX &&
	         check->image->platforms[0].platform != NULL)
		set_status(&check->status, check->reason, sizeof(check->reason), REPRO_REGISTRY_CHECK_MISMATCH,
		           "the registry serves an index, the list has a single manifest");
	compare_pair(&check->index, &check->status, check->reason, sizeof(check->reason), "index");

	for (size_t i = 0; i < check->platform_count; i++) {
		repro_registry_platform_check *platform = &check->platforms[i];

		if (platform->listed->platform == NULL)
			check_plain(root, index, platform);
		else if (index != NULL)
			check_index_platform(registry, reference, index, platform);
		else if (check->platform_count == 1 && kind == REPRO_OCI_KIND_MANIFEST)
			check_manifest(root, platform);
		else
			set_status(&platform->status, platform->reason, sizeof(platform->reason),
			           REPRO_REGISTRY_CHECK_MISMATCH, "the registry serves a single manifest");
	}
	repro_index_free(index);
	repro_descriptor_dispose(&descriptor);
}

static int prepare(const repro_digestlist_image *image, repro_registry_image_check *out)
{
	out->platforms = calloc(image->platform_count, sizeof(*out->platforms));
	if (out->platforms == NULL)
		return -1;
	out->platform_count = image->platform_count;
	out->index.has_expected = image->has_index;
	out->index.expected = image->index;
	for (size_t i = 0; i < image->platform_count; i++) {
		repro_registry_platform_check *platform = &out->platforms[i];

		platform->listed = &image->platforms[i];
		platform->manifest.has_expected = true;
		platform->manifest.expected = image->platforms[i].manifest;
		platform->config.has_expected = image->platforms[i].has_config;
		platform->config.expected = image->platforms[i].config;
	}
	return 0;
}

void repro_registry_check_image(repro_registry *registry,
                                const repro_digestlist_release *release,
                                const repro_digestlist_image *image,
                                repro_registry_image_check *out)
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
		out->status = REPRO_REGISTRY_CHECK_ERROR;
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

/* The images to check and the next one a worker takes. */
typedef struct work_queue {
	repro_registry *registry;
	repro_registry_image_check *checks;
	size_t count;
	size_t next;
	pthread_mutex_t lock;
} work_queue;

static void *worker(void *argument)
{
	work_queue *queue = argument;

	for (;;) {
		size_t index;

		pthread_mutex_lock(&queue->lock);
		index = queue->next++;
		pthread_mutex_unlock(&queue->lock);
		if (index >= queue->count)
			return NULL;
		repro_registry_check_image(queue->registry, queue->checks[index].release,
		                queue->checks[index].image, &queue->checks[index]);
	}
}

static void run_queue(work_queue *queue, long jobs)
{
	pthread_t threads[REPRO_REGISTRY_CHECK_MAX_JOBS];
	long started = 0;

	if ((size_t)jobs > queue->count)
		jobs = (long)queue->count;
	for (; started < jobs; started++) {
		if (pthread_create(&threads[started], NULL, worker, queue) != 0)
			break;
	}
	if (started == 0)
		worker(queue);
	for (long i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
}

/* Collects the images with a reference of the selected releases. */
int repro_registry_check_collect(const repro_digestlist *list, const char *tag,
                                 repro_registry_image_check **out, size_t *count,
                                 repro_error *err)
{
	const repro_digestlist_release *only = NULL;
	size_t used = 0, capacity = 0;
	repro_registry_image_check *checks = NULL;

	*out = NULL;
	*count = 0;
	if (tag != NULL && repro_digestlist_find_release(list, tag, &only, err) != REPRO_OK)
		return err->code;
	for (size_t r = 0; r < list->release_count; r++) {
		const repro_digestlist_release *release = list->releases[r];

		if (only != NULL && release != only)
			continue;
		for (size_t i = 0; i < release->image_count; i++) {
			if (release->images[i].reference == NULL)
				continue;
			if (used == capacity) {
				repro_registry_image_check *grown;

				capacity = capacity ? capacity * 2 : 16;
				if ((grown = realloc(checks, capacity * sizeof(*grown))) == NULL) {
					free(checks);
					return repro_error_set(err, REPRO_ENOMEM, "collecting images failed");
				}
				checks = grown;
			}
			memset(&checks[used], 0, sizeof(checks[used]));
			checks[used].release = release;
			checks[used].image = &release->images[i];
			used++;
		}
	}
	if (used == 0) {
		free(checks);
		return repro_error_set(err, REPRO_ENOTFOUND, "digest list '%s' has no image with a "
		                       "'reference'%s%s", list->name, tag ? " for tag " : "",
		                       tag ? tag : "");
	}
	*out = checks;
	*count = used;
	return REPRO_OK;
}

void repro_registry_check_all(repro_registry *registry, repro_registry_image_check *checks,
                              size_t count, long jobs)
{
	work_queue queue;

	memset(&queue, 0, sizeof(queue));
	queue.registry = registry;
	queue.checks = checks;
	queue.count = count;
	pthread_mutex_init(&queue.lock, NULL);
	if (jobs < 1)
		jobs = 1;
	if (jobs > REPRO_REGISTRY_CHECK_MAX_JOBS)
		jobs = REPRO_REGISTRY_CHECK_MAX_JOBS;
	run_queue(&queue, jobs);
	pthread_mutex_destroy(&queue.lock);
}

int repro_registry_checks_exit_status(const repro_registry_image_check *checks, size_t count)
{
	int status = 0;

	for (size_t i = 0; i < count; i++) {
		int image_status = checks[i].status == REPRO_REGISTRY_CHECK_ERROR ? 2 :
		                   checks[i].status == REPRO_REGISTRY_CHECK_IDENTICAL ? 0 : 1;

		if (image_status > status)
			status = image_status;
	}
	return status;
}

void repro_registry_checks_free(repro_registry_image_check *checks, size_t count)
{
	for (size_t i = 0; checks != NULL && i < count; i++)
		repro_registry_image_check_dispose(&checks[i]);
	free(checks);
}

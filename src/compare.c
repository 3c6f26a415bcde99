#include <reprocheck/compare.h>

#include <reprocheck/diff.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *repro_status_name(repro_status status)
{
	switch (status) {
	case REPRO_STATUS_IDENTICAL: return "identical";
	case REPRO_STATUS_CONTENT_IDENTICAL: return "content-identical";
	case REPRO_STATUS_MISMATCH: return "mismatch";
	case REPRO_STATUS_MISSING: return "missing";
	case REPRO_STATUS_UNLISTED: return "unlisted";
	case REPRO_STATUS_ERROR: return "error";
	}
	return "error";
}

static int add_difference(repro_image_verdict *verdict, const char *object, const char *field,
                          const char *expected, const char *actual, repro_error *err)
{
	repro_difference *grown = realloc(verdict->differences,
		(verdict->difference_count + 1) * sizeof(*grown));
	repro_difference *difference;

	if (grown == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "comparing failed: out of memory");
	verdict->differences = grown;
	difference = &grown[verdict->difference_count++];
	difference->object = strdup(object);
	difference->field = strdup(field);
	difference->expected = strdup(expected);
	difference->actual = strdup(actual);
	if (!difference->object || !difference->field || !difference->expected || !difference->actual)
		return repro_error_set(err, REPRO_ENOMEM, "comparing failed: out of memory");
	return REPRO_OK;
}

static int add_digest_difference(repro_image_verdict *verdict, const char *object,
                                 const char *field, const repro_digest *expected,
                                 const repro_digest *actual, repro_error *err)
{
	char expected_text[REPRO_DIGEST_STRING_MAX], actual_text[REPRO_DIGEST_STRING_MAX];

	repro_digest_format(expected, expected_text);
	repro_digest_format(actual, actual_text);
	return add_difference(verdict, object, field, expected_text, actual_text, err);
}

static int set_reason(repro_image_verdict *verdict, const char *reason, repro_error *err)
{
	free(verdict->reason);
	verdict->reason = strdup(reason);
	return verdict->reason ? REPRO_OK :
	       repro_error_set(err, REPRO_ENOMEM, "comparing failed: out of memory");
}

/* Records the layer facts that differ, and stores in @p first_content the
 * index of the first layer whose diff_id differs, or -1. */
static int compare_layers(repro_image_verdict *verdict, const repro_built_image *built,
                          const repro_digestlist_platform *listed, long *first_content,
                          repro_error *err)
{
	size_t common = built->layer_count < listed->layer_count ? built->layer_count :
	                listed->layer_count;
	int result = REPRO_OK;

	*first_content = -1;
	if (built->layer_count != listed->layer_count) {
		char expected[32], actual[32];

		snprintf(expected, sizeof(expected), "%zu", listed->layer_count);
		snprintf(actual, sizeof(actual), "%zu", built->layer_count);
		result = add_difference(verdict, "layers", "count", expected, actual, err);
	}
	for (size_t i = 0; i < common && result == REPRO_OK; i++) {
		const repro_built_layer *mine = &built->layers[i];
		const repro_digestlist_layer *theirs = &listed->layers[i];
		char object[32];

		snprintf(object, sizeof(object), "layer %zu", i);
		if (!repro_digest_equal(&mine->diff_id, &theirs->diff_id)) {
			if (*first_content < 0)
				*first_content = (long)i;
			result = add_digest_difference(verdict, object, "diffId", &theirs->diff_id,
			                               &mine->diff_id, err);
		}
		if (result == REPRO_OK && !repro_digest_equal(&mine->digest, &theirs->digest))
			result = add_digest_difference(verdict, object, "digest", &theirs->digest,
			                               &mine->digest, err);
		if (result == REPRO_OK && strcmp(mine->media_type, theirs->media_type) != 0)
			result = add_difference(verdict, object, "mediaType", theirs->media_type,
			                        mine->media_type, err);
	}
	return result;
}

static int judge_image(repro_image_verdict *verdict, const repro_built_image *built,
                       const repro_digestlist_platform *listed, repro_error *err)
{
	char reason[256];
	long first_content;
	int result;

	verdict->has_expected = true;
	verdict->expected_manifest = listed->manifest;
	if (repro_digest_equal(&built->manifest, &listed->manifest)) {
		verdict->status = REPRO_STATUS_IDENTICAL;
		return REPRO_OK;
	}

	result = add_digest_difference(verdict, "manifest", "digest", &listed->manifest,
	                               &built->manifest, err);
	if (result == REPRO_OK && listed->has_config && !repro_digest_equal(&built->config,
	                                                                    &listed->config))
		result = add_digest_difference(verdict, "config", "digest", &listed->config,
		                               &built->config, err);
	if (result == REPRO_OK && listed->has_config)
		result = compare_layers(verdict, built, listed, &first_content, err);
	if (result != REPRO_OK)
		return result;

	if (!listed->has_config) {
		verdict->status = REPRO_STATUS_MISMATCH;
		return set_reason(verdict, "the manifest digest differs; the list pins manifests only, "
		                  "so no finer comparison is possible", err);
	}
	if (repro_digest_equal(&built->config, &listed->config) && first_content < 0 &&
	    built->layer_count == listed->layer_count) {
		verdict->status = REPRO_STATUS_CONTENT_IDENTICAL;
		return set_reason(verdict, "the config and every diff_id match, but the compressed "
		                  "layers differ: another compressor or level was used", err);
	}
	verdict->status = REPRO_STATUS_MISMATCH;
	if (first_content >= 0)
		snprintf(reason, sizeof(reason), "layer %ld differs in content (diff_id)%s",
		         first_content, repro_digest_equal(&built->config, &listed->config) ? "" :
		         ", and so does the config");
	else if (built->layer_count != listed->layer_count)
		snprintf(reason, sizeof(reason), "the rebuild has %zu layers, the list %zu",
		         built->layer_count, listed->layer_count);
	else
		snprintf(reason, sizeof(reason), "the config differs while every layer's content "
		         "matches: a config field such as created, Env or Labels changed");
	return set_reason(verdict, reason, err);
}

static const repro_digestlist_platform *find_platform(const repro_digestlist_image *image,
                                                      const char *platform)
{
	for (size_t i = 0; i < image->platform_count; i++) {
		const char *listed = image->platforms[i].platform;

		/* The plain-text form lists no platform: its one entry applies. */
		if (listed == NULL || strcmp(listed, platform) == 0)
			return &image->platforms[i];
	}
	return NULL;
}

static int push_verdict(repro_image_verdict **verdicts, size_t *count, const char *name,
                        const char *platform, repro_error *err)
{
	repro_image_verdict *grown = realloc(*verdicts, (*count + 1) * sizeof(*grown));
	repro_image_verdict *verdict;

	if (grown == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "comparing failed: out of memory");
	*verdicts = grown;
	verdict = &grown[*count];
	memset(verdict, 0, sizeof(*verdict));
	(*count)++;
	verdict->name = strdup(name);
	verdict->platform = strdup(platform ? platform : "");
	if (verdict->name == NULL || verdict->platform == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "comparing failed: out of memory");
	return REPRO_OK;
}

static bool was_built(const repro_build_result *built, const char *name, const char *platform)
{
	for (size_t i = 0; i < built->image_count; i++) {
		if (strcmp(built->images[i].name, name) == 0 &&
		    (platform == NULL || strcmp(built->images[i].platform, platform) == 0))
			return true;
	}
	return false;
}

int repro_compare_release(const repro_build_result *built,
                          const repro_digestlist_release *release,
                          repro_image_verdict **out, size_t *count, repro_error *err)
{
	int result = REPRO_OK;

	*out = NULL;
	*count = 0;
	for (size_t i = 0; i < built->image_count && result == REPRO_OK; i++) {
		const repro_built_image *image = &built->images[i];
		const repro_digestlist_image *listed = NULL;
		const repro_digestlist_platform *platform = NULL;
		repro_image_verdict *verdict;

		result = push_verdict(out, count, image->name, image->platform, err);
		if (result != REPRO_OK)
			break;
		verdict = &(*out)[*count - 1];
		verdict->has_actual = true;
		verdict->actual_manifest = image->manifest;
		for (size_t k = 0; k < release->image_count && listed == NULL; k++) {
			if (strcmp(release->images[k].name, image->name) == 0)
				listed = &release->images[k];
		}
		if (listed != NULL)
			platform = find_platform(listed, image->platform);
		if (platform == NULL) {
			verdict->status = REPRO_STATUS_UNLISTED;
			result = set_reason(verdict, listed ? "the list has this image, but not for this "
			                    "platform" : "the list has no image of this name", err);
			continue;
		}
		result = judge_image(verdict, image, platform, err);
	}

	for (size_t k = 0; k < release->image_count && result == REPRO_OK; k++) {
		const repro_digestlist_image *listed = &release->images[k];

		for (size_t p = 0; p < listed->platform_count && result == REPRO_OK; p++) {
			const char *platform = listed->platforms[p].platform;

			if (was_built(built, listed->name, platform))
				continue;
			result = push_verdict(out, count, listed->name, platform, err);
			if (result != REPRO_OK)
				break;
			(*out)[*count - 1].status = REPRO_STATUS_MISSING;
			(*out)[*count - 1].has_expected = true;
			(*out)[*count - 1].expected_manifest = listed->platforms[p].manifest;
			result = set_reason(&(*out)[*count - 1], "listed for this release but the recipe "
			                    "did not build it", err);
		}
	}
	if (result != REPRO_OK) {
		repro_verdicts_free(*out, *count);
		*out = NULL;
		*count = 0;
	}
	return result;
}

int repro_verdict_set_diff(repro_image_verdict *verdict, struct repro_diff_result *diff,
                           const char *published, repro_error *err)
{
	repro_diff_result_free(verdict->diff);
	free(verdict->published);
	verdict->diff = diff;
	verdict->published = strdup(published);
	return verdict->published ? REPRO_OK :
	       repro_error_set(err, REPRO_ENOMEM, "recording a diff failed: out of memory");
}

int repro_verdict_set_diff_note(repro_image_verdict *verdict, const char *published,
                                const char *note, repro_error *err)
{
	free(verdict->published);
	free(verdict->diff_note);
	verdict->published = strdup(published);
	verdict->diff_note = strdup(note);
	return verdict->published && verdict->diff_note ? REPRO_OK :
	       repro_error_set(err, REPRO_ENOMEM, "recording a note failed: out of memory");
}

void repro_verdicts_free(repro_image_verdict *verdicts, size_t count)
{
	for (size_t i = 0; verdicts != NULL && i < count; i++) {
		repro_diff_result_free(verdicts[i].diff);
		free(verdicts[i].published);
		free(verdicts[i].diff_note);
		for (size_t k = 0; k < verdicts[i].difference_count; k++) {
			free(verdicts[i].differences[k].object);
			free(verdicts[i].differences[k].field);
			free(verdicts[i].differences[k].expected);
			free(verdicts[i].differences[k].actual);
		}
		free(verdicts[i].differences);
		free(verdicts[i].name);
		free(verdicts[i].platform);
		free(verdicts[i].reason);
	}
	free(verdicts);
}

int repro_verdicts_exit_status(const repro_image_verdict *verdicts, size_t count,
                               repro_level level)
{
	int status = 0;

	for (size_t i = 0; i < count; i++) {
		repro_status image_status = verdicts[i].status;

		if (image_status == REPRO_STATUS_ERROR)
			return 2;
		if (image_status == REPRO_STATUS_IDENTICAL)
			continue;
		if (image_status == REPRO_STATUS_CONTENT_IDENTICAL && level == REPRO_LEVEL_CONTENT)
			continue;
		status = 1;
	}
	return count == 0 ? 2 : status;
}

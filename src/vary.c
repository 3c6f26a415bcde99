/*
 * reprocheck vary: builds a recipe with nothing changed, then with every
 * chosen variation at once and, when the images differ, once more
 * unchanged (the control) and once per variation, to name those that
 * change the images.
 */
#include <reprocheck/vary.h>

#include <reprocheck/diff.h>
#include <reprocheck/source.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileutil_internal.h"
#include "vary_internal.h"

/* One run's shared state. */
typedef struct vary_run {
	const repro_vary_options *options;
	repro_repo *repo;
	char *root;
	vary_settings settings;
} vary_run;

void repro_vary_options_init(repro_vary_options *options)
{
	memset(options, 0, sizeof(*options));
}

const repro_built_image *repro_vary_find_image(const repro_build_result *build,
                                               const char *name)
{
	for (size_t i = 0; i < build->image_count; i++) {
		if (strcmp(build->images[i].name, name) == 0)
			return &build->images[i];
	}
	return NULL;
}

const char *repro_vary_compare_image(const repro_built_image *base,
                                     const repro_built_image *varied)
{
	if (repro_digest_equal(&base->manifest, &varied->manifest))
		return "identical";
	if (!repro_digest_equal(&base->config, &varied->config) ||
	    base->layer_count != varied->layer_count)
		return "mismatch";
	for (size_t i = 0; i < base->layer_count; i++) {
		if (!repro_digest_equal(&base->layers[i].diff_id, &varied->layers[i].diff_id))
			return "mismatch";
	}
	return "content-identical";
}

int repro_vary_builds_identical(const repro_build_result *base, const repro_build_result *varied)
{
	if (base->image_count != varied->image_count)
		return 0;
	for (size_t i = 0; i < base->image_count; i++) {
		const repro_built_image *other = repro_vary_find_image(varied, base->images[i].name);

		if (other == NULL || !repro_digest_equal(&base->images[i].manifest, &other->manifest))
			return 0;
	}
	return 1;
}

/* Runs one build in ROOT/LABEL with the kinds in @p kinds changed. */
static int build_once(vary_run *run, const char *label, unsigned kinds, repro_build_result *out,
                      repro_error *err)
{
	repro_build_options build;
	vary_variation variation;
	char *work_dir = NULL;
	int result;

	if (asprintf(&work_dir, "%s/%s", run->root, label) < 0) {
		memset(out, 0, sizeof(*out));
		return repro_error_set(err, REPRO_ENOMEM, "building '%s' failed: out of memory", label);
	}
	vary_fill_variation(kinds, &run->settings, &variation);
	repro_build_options_init(&build);
	build.repo = run->options->repo;
	build.tag = run->options->tag;
	build.rev = run->options->rev;
	build.repository = run->repo;
	build.keep_dir = work_dir;
	build.variation = kinds != 0 ? &variation.variation : NULL;
	if (run->options->progress != NULL)
		run->options->progress(run->options->progress_context, label);

	result = repro_build_run(&build, out, err);
	free(work_dir);
	if (result == REPRO_OK)
		return REPRO_OK;
	if (kinds == 0)
		return repro_error_prefix(err, "the %s build", label);
	if (strcmp(label, "varied") == 0)
		return repro_error_prefix(err, "the build with every variation");
	return repro_error_prefix(err, "the build with variation '%s'", label);
}

/* Opens the layout of @p image, built at @p revision, as a diff side. */
static int open_built(const repro_build_result *build, const repro_built_image *image,
                      repro_source **source, repro_resolved_image **images, size_t *count,
                      repro_error *err)
{
	char *spec = NULL;
	int result;

	if (asprintf(&spec, "oci:%s:%s", image->layout_path, build->revision.is_tag ?
	             build->revision.tag : build->revision.commit_id) < 0)
		return repro_error_set(err, REPRO_ENOMEM, "opening a build failed: out of memory");
	result = repro_source_open(source, spec, err);
	if (result == REPRO_OK)
		result = repro_source_resolve(*source, NULL, images, count, err);
	free(spec);
	return result;
}

/* Diffs the first image that @p other changed against @p base, while both
 * layouts still exist. A diff that cannot be made leaves @p note set; it
 * never fails the vary run, whose verdict stands on the digests. */
static void diff_first_change(const repro_build_result *base, const repro_build_result *other,
                              struct repro_diff_result **out, char image_name[128],
                              char note[256])
{
	for (size_t i = 0; i < base->image_count; i++) {
		const repro_built_image *before = &base->images[i];
		const repro_built_image *after = repro_vary_find_image(other, before->name);
		repro_source *sources[2] = {NULL, NULL};
		repro_resolved_image *images[2] = {NULL, NULL};
		size_t counts[2] = {0, 0};
		repro_diff_options options;
		repro_error err;

		if (after == NULL || repro_digest_equal(&before->manifest, &after->manifest))
			continue;
		snprintf(image_name, 128, "%s", before->name);
		repro_error_clear(&err);
		repro_diff_options_init(&options);
		if (before->layout_path == NULL || after->layout_path == NULL)
			repro_error_set(&err, REPRO_ENOTFOUND, "the builds were not kept");
		else if (open_built(base, before, &sources[0], &images[0], &counts[0], &err) ==
		         REPRO_OK &&
		         open_built(other, after, &sources[1], &images[1], &counts[1], &err) == REPRO_OK)
			repro_diff_run(&(repro_diff_side){sources[0], &images[0][0]},
			               &(repro_diff_side){sources[1], &images[1][0]}, &options, out, &err);
		if (*out == NULL)
			snprintf(note, 256, "%s", err.message);
		for (int side = 0; side < 2; side++) {
			repro_resolved_images_free(images[side], counts[side]);
			repro_source_free(sources[side]);
		}
		return;
	}
}

/* Decides which kinds apply. A kind the caller named that cannot apply is
 * an error; one chosen by default is skipped. */
static int choose_kinds(vary_run *run, repro_vary_result *out, repro_error *err)
{
	unsigned chosen = run->options->chosen ? run->options->chosen : REPRO_VARY_ALL;

	for (unsigned kind = 0; kind < REPRO_VARY_COUNT; kind++) {
		repro_vary_outcome *outcome = &out->outcomes[kind];

		if (!(chosen & REPRO_VARY_BIT(kind)))
			continue;
		if (vary_prepare_kind((repro_vary_kind)kind, &run->settings, outcome)) {
			out->applied |= REPRO_VARY_BIT(kind);
			continue;
		}
		outcome->status = REPRO_VARY_STATUS_SKIPPED;
		if (run->options->chosen != 0)
			return repro_error_set(err, REPRO_EUNSUPPORTED, "cannot vary %s here: %s",
			                       repro_vary_name((repro_vary_kind)kind), outcome->reason);
	}
	if (out->applied == 0)
		return repro_error_set(err, REPRO_EUNSUPPORTED, "no variation can be applied here");
	return REPRO_OK;
}

static unsigned count_bits(unsigned bits)
{
	unsigned count = 0;

	for (; bits != 0; bits &= bits - 1)
		count++;
	return count;
}

static void set_applied_status(repro_vary_result *out, repro_vary_status status,
                               const char *reason)
{
	for (unsigned kind = 0; kind < REPRO_VARY_COUNT; kind++) {
		if (!(out->applied & REPRO_VARY_BIT(kind)))
			continue;
		out->outcomes[kind].status = status;
		if (reason != NULL)
			snprintf(out->outcomes[kind].reason, sizeof(out->outcomes[kind].reason), "%s",
			         reason);
	}
}

/* Builds once per applied kind and compares each with the base. */
static int blame_each(vary_run *run, repro_vary_result *out, repro_error *err)
{
	for (unsigned kind = 0; kind < REPRO_VARY_COUNT; kind++) {
		repro_vary_outcome *outcome = &out->outcomes[kind];
		const repro_build_result *build = &out->varied;
		int result;

		if (!(out->applied & REPRO_VARY_BIT(kind)))
			continue;
		if (count_bits(out->applied) > 1) {
			outcome->built_alone = 1;
			result = build_once(run, repro_vary_name((repro_vary_kind)kind),
			                    REPRO_VARY_BIT(kind), &outcome->build, err);
			if (result != REPRO_OK)
				return result;
			build = &outcome->build;
		}
		outcome->status = repro_vary_builds_identical(&out->base, build) ?
		                  REPRO_VARY_STATUS_IDENTICAL : REPRO_VARY_STATUS_MISMATCH;
		if (outcome->status == REPRO_VARY_STATUS_MISMATCH)
			diff_first_change(&out->base, build, &outcome->diff, outcome->diff_image,
			                  outcome->diff_note);
	}
	return REPRO_OK;
}

static int compare_variations(vary_run *run, repro_vary_result *out, repro_error *err)
{
	int result = build_once(run, "base", 0, &out->base, err);

	if (result == REPRO_OK)
		result = build_once(run, "varied", out->applied, &out->varied, err);
	if (result != REPRO_OK)
		return result;
	out->varied_identical = repro_vary_builds_identical(&out->base, &out->varied);
	if (out->varied_identical) {
		set_applied_status(out, REPRO_VARY_STATUS_IDENTICAL, NULL);
		return REPRO_OK;
	}

	out->control_ran = 1;
	result = build_once(run, "control", 0, &out->control, err);
	if (result != REPRO_OK)
		return result;
	out->control_identical = repro_vary_builds_identical(&out->base, &out->control);
	if (!out->control_identical) {
		char note[256] = "";

		set_applied_status(out, REPRO_VARY_STATUS_UNKNOWN,
		                   "the build does not repeat even with nothing changed");
		diff_first_change(&out->base, &out->control, &out->control_diff,
		                  out->control_diff_image, note);
		return REPRO_OK;
	}
	return blame_each(run, out, err);
}

int repro_vary_run(const repro_vary_options *options, repro_vary_result *out, repro_error *err)
{
	vary_run run;
	repro_error cleanup;
	int result;

	memset(out, 0, sizeof(*out));
	memset(&run, 0, sizeof(run));
	run.options = options;
	vary_choose_settings(&run.settings);

	result = vary_make_root(options->keep_dir, &run.settings, &run.root, err);
	if (result == REPRO_OK)
		result = choose_kinds(&run, out, err);
	if (result == REPRO_OK)
		result = repro_repo_open(&run.repo, options->repo ? options->repo : ".", err);
	if (result == REPRO_OK)
		result = compare_variations(&run, out, err);

	repro_repo_free(run.repo);
	/* A keep directory that no build wrote to is removed, so that the same
	 * command can be run again once the error is fixed. */
	if (run.root != NULL && options->keep_dir != NULL && result != REPRO_OK &&
	    rmdir(run.root) == 0) {
		free(run.root);
		return result;
	}
	if (run.root != NULL && options->keep_dir != NULL) {
		out->keep_dir = run.root;
		return result;
	}
	repro_error_clear(&cleanup);
	if (run.root != NULL && repro_remove_tree(run.root, &cleanup) != REPRO_OK &&
	    result == REPRO_OK)
		result = repro_error_set(err, cleanup.code, "%s", cleanup.message);
	free(run.root);
	return result;
}

void repro_vary_result_dispose(repro_vary_result *result)
{
	if (result == NULL)
		return;
	repro_diff_result_free(result->control_diff);
	for (unsigned kind = 0; kind < REPRO_VARY_COUNT; kind++)
		repro_diff_result_free(result->outcomes[kind].diff);
	repro_build_result_dispose(&result->base);
	repro_build_result_dispose(&result->varied);
	repro_build_result_dispose(&result->control);
	for (size_t i = 0; i < REPRO_VARY_COUNT; i++)
		repro_build_result_dispose(&result->outcomes[i].build);
	free(result->keep_dir);
	memset(result, 0, sizeof(*result));
}

int repro_vary_exit_status(const repro_vary_result *result)
{
	return result->varied_identical ? 0 : 1;
}

const repro_build_result *repro_vary_outcome_build(const repro_vary_result *result,
                                                   repro_vary_kind kind)
{
	const repro_vary_outcome *outcome;

	if ((unsigned)kind >= REPRO_VARY_COUNT || !(result->applied & REPRO_VARY_BIT(kind)))
		return NULL;
	outcome = &result->outcomes[kind];
	if (outcome->built_alone)
		return &outcome->build;
	if (count_bits(result->applied) == 1 && result->varied.image_count > 0)
		return &result->varied;
	return NULL;
}

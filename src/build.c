#include <reprocheck/build.h>

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <reprocheck/layer.h>
#include <reprocheck/recipe.h>
#include <reprocheck/sandbox.h>

#include "build_internal.h"
#include "fileutil_internal.h"

#define RECIPE_FILE "reprocheck.json"
#define SANDBOX_HOSTNAME "reprocheck"

void repro_build_options_init(repro_build_options *options)
{
	memset(options, 0, sizeof(*options));
	options->hermetic = 1;
}

void build_status(const repro_build_options *options, const char *format, ...)
{
	char message[512];
	va_list args;

	if (options->status == NULL)
		return;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	options->status(options->status_context, message);
}

int build_check_interrupt(repro_error *err)
{
	int number = repro_sandbox_interrupt_signal();

	if (number == 0)
		return REPRO_OK;
	return repro_error_set(err, REPRO_EINTERRUPTED, "interrupted by %s",
	                       number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" :
	                       "a signal");
}

void repro_build_format_time(int64_t epoch, char out[32])
{
	time_t seconds = (time_t)epoch;
	struct tm utc;

	if (gmtime_r(&seconds, &utc) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &utc) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

void repro_build_result_dispose(repro_build_result *result)
{
	if (result == NULL)
		return;
	for (size_t i = 0; i < result->image_count; i++)
		build_image_dispose(&result->images[i]);
	free(result->images);
	free(result->work_dir);
	free(result->log_path);
	memset(result, 0, sizeof(*result));
}

static char *join_path(const char *directory, const char *name)
{
	size_t length = strlen(directory) + strlen(name) + 2;
	char *path = malloc(length);

	if (path != NULL)
		snprintf(path, length, "%s/%s", directory, name);
	return path;
}

/* The work directory: the caller's --keep directory, created fresh, or a
 * private temporary one. */
static int make_work_dir(const repro_build_options *options, char **out, repro_error *err)
{
	if (options->keep_dir == NULL)
		return repro_make_temp_dir("reprocheck-build", out, err);
	if (mkdir(options->keep_dir, 0755) != 0) {
		if (errno == EEXIST)
			return repro_error_set(err, REPRO_EUSAGE,
				"keep directory '%s' already exists: name a new directory", options->keep_dir);
		return repro_error_set_errno(err, REPRO_EIO, errno, "creating keep directory '%s' failed",
		                             options->keep_dir);
	}
	*out = realpath(options->keep_dir, NULL);
	if (*out == NULL)
		return repro_error_set_errno(err, REPRO_EIO, errno, "resolving '%s' failed",
		                             options->keep_dir);
	return REPRO_OK;
}

static int resolve_revision(repro_repo *repo, const repro_build_options *options,
                            repro_repo_revision *out, repro_error *err)
{
	if (options->tag != NULL)
		return repro_repo_resolve_tag(repo, options->tag, out, err);
	return repro_repo_resolve_revision(repo, options->rev ? options->rev : "HEAD", out, err);
}

static int load_recipe(const repro_build_options *options, const char *tree, repro_recipe **out,
                       repro_error *err)
{
	char *path;
	int result;

	if (options->recipe_path != NULL) {
		result = repro_recipe_load(out, options->recipe_path, err);
		return result == REPRO_OK ? REPRO_OK :
		       repro_error_prefix(err, "reading recipe '%s'", options->recipe_path);
	}
	path = join_path(tree, RECIPE_FILE);
	if (path == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "reading the recipe failed: out of memory");
	result = repro_recipe_load(out, path, err);
	free(path);
	if (result == REPRO_ENOTFOUND)
		return repro_error_set(err, REPRO_ENOTFOUND,
			"the tagged tree has no %s at its root: commit a recipe or pass --recipe FILE",
			RECIPE_FILE);
	return result == REPRO_OK ? REPRO_OK : repro_error_prefix(err, "reading %s", RECIPE_FILE);
}

static int check_sandbox(const repro_build_options *options, repro_error *err)
{
	char reason[256];

	if (!options->hermetic)
		return REPRO_OK;
	if (build_check_interrupt(err) != REPRO_OK)
		return REPRO_EINTERRUPTED;
	if (repro_sandbox_available(reason, sizeof(reason)))
		return REPRO_OK;
	/* The probe runs a sandbox too, so a signal can end it early. */
	if (build_check_interrupt(err) != REPRO_OK)
		return REPRO_EINTERRUPTED;
	return repro_error_set(err, REPRO_EUNSUPPORTED,
		"the hermetic build needs Linux user namespaces, which are unavailable here (%s): "
		"rerun with --no-sandbox to build without isolation, and the report will say so",
		reason);
}

static void free_step_env(char **env, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(env[i]);
	free(env);
}

static int recipe_sets(const repro_recipe_step *step, const char *entry)
{
	size_t length = strcspn(entry, "=");

	for (size_t i = 0; i < step->env.count; i++) {
		const char *name = step->env.items[i].name;

		if (strlen(name) == length && memcmp(name, entry, length) == 0)
			return 1;
	}
	return 0;
}

/* Builds the step's variables: the recipe's, then those of @p variation
 * that the recipe does not set. */
static int make_step_env(const repro_recipe_step *step, const repro_build_variation *variation,
                         char ***out, size_t *count, repro_error *err)
{
	size_t extra = variation ? variation->env_count : 0;
	char **env = calloc(step->env.count + extra + 1, sizeof(*env));
	size_t used = 0;

	*out = NULL;
	*count = 0;
	if (env == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "running a step failed: out of memory");
	for (size_t k = 0; k < step->env.count; k++) {
		if (asprintf(&env[used], "%s=%s", step->env.items[k].name,
		             step->env.items[k].value) < 0)
			goto out_of_memory;
		used++;
	}
	for (size_t k = 0; k < extra; k++) {
		if (recipe_sets(step, variation->env[k]))
			continue;
		env[used] = strdup(variation->env[k]);
		if (env[used] == NULL)
			goto out_of_memory;
		used++;
	}
	*out = env;
	*count = used;
	return REPRO_OK;

out_of_memory:
	free_step_env(env, used);
	return repro_error_set(err, REPRO_ENOMEM, "running a step failed: out of memory");
}

static void apply_variation(repro_sandbox_options *sandbox, const repro_build_variation *variation)
{
	if (variation == NULL)
		return;
	if (variation->hostname != NULL)
		sandbox->hostname = variation->hostname;
	sandbox->domainname = variation->domainname;
	sandbox->home = variation->home;
	if (variation->set_umask)
		sandbox->umask_mode = variation->umask_mode;
	sandbox->uid = variation->uid;
	sandbox->gid = variation->gid;
	sandbox->cpu_count = variation->cpu_count;
}

static int run_steps(const repro_build_options *options, const repro_recipe_image *image,
                     const char *tree, const char *log_path, int64_t source_date_epoch,
                     int hermetic, repro_error *err)
{
	const repro_build_variation *variation = options->variation;

	for (size_t i = 0; i < image->step_count; i++) {
		const repro_recipe_step *step = &image->steps[i];
		char **env = NULL;
		size_t env_count = 0;
		const char **argv;
		repro_sandbox_options sandbox;
		repro_sandbox_result outcome;
		int result = make_step_env(step, variation, &env, &env_count, err);

		if (result != REPRO_OK)
			return result;
		repro_sandbox_options_init(&sandbox);
		sandbox.build_tree = tree;
		sandbox.env = (const char *const *)env;
		sandbox.env_count = env_count;
		sandbox.source_date_epoch = source_date_epoch;
		sandbox.timeout_seconds = step->timeout_seconds;
		sandbox.log_path = log_path;
		sandbox.hermetic = hermetic;
		sandbox.hostname = SANDBOX_HOSTNAME;
		sandbox.step_number = (unsigned)(i + 1);
		build_status(options, "image '%s': running step %zu of %zu: %s", image->name, i + 1,
		             image->step_count, step->run.items[0]);

		apply_variation(&sandbox, variation);
		/* The sandbox takes argv as execve() does, ended by NULL. */
		argv = calloc(step->run.count + 1, sizeof(*argv));
		if (argv == NULL) {
			result = repro_error_set(err, REPRO_ENOMEM, "running a step failed: out of memory");
		} else {
			memcpy(argv, step->run.items, step->run.count * sizeof(*argv));
			result = repro_sandbox_run(&sandbox, argv, &outcome, err);
			free(argv);
		}

		free_step_env(env, env_count);
		if (result != REPRO_OK)
			return repro_error_prefix(err, "building image '%s'", image->name);
	}
	return REPRO_OK;
}

static int build_images(const repro_build_options *options, const repro_recipe *recipe,
                        const char *work_dir, const char *tree, repro_build_result *out,
                        repro_error *err)
{
	char *blob_dir = join_path(work_dir, "blobs");
	bool created_root = false;
	char *image_root = options->output_dir ? strdup(options->output_dir) :
	                   join_path(work_dir, "images");
	int result = REPRO_OK;

	if (blob_dir == NULL || image_root == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "building failed: out of memory");
		goto done;
	}
	created_root = access(image_root, F_OK) != 0;
	result = repro_mkdir_parents(blob_dir, err);
	if (result == REPRO_OK)
		result = repro_mkdir_parents(image_root, err);
	if (result != REPRO_OK)
		goto done;

	out->images = calloc(recipe->image_count, sizeof(*out->images));
	if (out->images == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "building failed: out of memory");
		goto done;
	}
	for (size_t i = 0; i < recipe->image_count && result == REPRO_OK; i++) {
		const repro_recipe_image *image = &recipe->images[i];
		build_context context;
		char *layout_dir;

		if (options->image_name != NULL && strcmp(options->image_name, image->name) != 0)
			continue;
		result = build_check_interrupt(err);
		if (result != REPRO_OK)
			break;
		result = run_steps(options, image, tree, out->log_path, out->source_date_epoch,
		                   out->hermetic, err);
		if (result != REPRO_OK)
			break;

		layout_dir = join_path(image_root, image->name);
		if (layout_dir == NULL) {
			result = repro_error_set(err, REPRO_ENOMEM, "building failed: out of memory");
			break;
		}
		context.tree = tree;
		context.blob_dir = blob_dir;
		context.layout_dir = layout_dir;
		context.ref_name = out->revision.is_tag ? out->revision.tag : out->revision.commit_id;
		context.commit_id = out->revision.commit_id;
		context.source_date_epoch = out->source_date_epoch;
		context.replace_output = options->replace_output;
		context.options = options;
		result = build_assemble_image(&context, image, &out->images[out->image_count], err);
		free(layout_dir);
		if (result != REPRO_OK)
			result = repro_error_prefix(err, "building image '%s'", image->name);
		else
			out->image_count++;
	}

done:
	/* An output directory made for this build and left empty by a failure
	 * is removed; rmdir() leaves it alone when an image was written. */
	if (result != REPRO_OK && created_root && image_root != NULL)
		rmdir(image_root);
	free(blob_dir);
	free(image_root);
	return result;
}

/* Keeps the work tree for --keep; otherwise removes it, moving the build
 * log out first when a step failed, because the log explains the failure. */
static int finish_work_dir(const repro_build_options *options, char *work_dir, int result,
                           repro_build_result *out, repro_error *err)
{
	repro_error cleanup_err;

	if (options->keep_dir != NULL) {
		out->work_dir = work_dir;
		return result;
	}
	if ((result == REPRO_EBUILD || result == REPRO_ETIMEOUT) && out->log_path != NULL) {
		char *kept = NULL;
		repro_error log_err;

		if (repro_make_temp_dir("reprocheck-log", &kept, &log_err) == REPRO_OK) {
			char *target = join_path(kept, "build.log");

			if (target != NULL && rename(out->log_path, target) == 0) {
				free(out->log_path);
				out->log_path = target;
				target = NULL;
			}
			free(target);
			free(kept);
		}
	} else {
		free(out->log_path);
		out->log_path = NULL;
	}

	repro_error_clear(&cleanup_err);
	if (repro_remove_tree(work_dir, &cleanup_err) != REPRO_OK && result == REPRO_OK)
		result = repro_error_set(err, cleanup_err.code, "%s", cleanup_err.message);
	free(work_dir);
	return result;
}

static int check_image_name(const repro_build_options *options, const repro_recipe *recipe,
                            repro_error *err)
{
	char names[512] = "";

	if (options->image_name == NULL || repro_recipe_find_image(recipe, options->image_name))
		return REPRO_OK;
	for (size_t i = 0; i < recipe->image_count; i++) {
		size_t used = strlen(names);

		snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
		         recipe->images[i].name);
	}
	return repro_error_set(err, REPRO_ENOTFOUND, "the recipe has no image '%s'; images: %s",
	                       options->image_name, names);
}

int repro_build_run(const repro_build_options *options, repro_build_result *out,
                    repro_error *err)
{
	repro_repo *repo = NULL;
	repro_recipe *recipe = NULL;
	repro_repo_checkout_options checkout = {0};
	char *work_dir = NULL, *tree = NULL;
	int result;

	memset(out, 0, sizeof(*out));
	out->hermetic = options->hermetic;
	snprintf(out->compressor, sizeof(out->compressor), "%s", repro_layer_compressor_name());

	result = check_sandbox(options, err);
	if (result == REPRO_OK && options->repository == NULL)
		result = repro_repo_open(&repo, options->repo ? options->repo : ".", err);
	if (result == REPRO_OK)
		result = resolve_revision(repo ? repo : options->repository, options, &out->revision,
		                          err);
	if (result == REPRO_OK)
		result = make_work_dir(options, &work_dir, err);
	if (result != REPRO_OK)
		goto done;

	tree = join_path(work_dir, "tree");
	out->log_path = join_path(work_dir, "build.log");
	if (tree == NULL || out->log_path == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "building failed: out of memory");
		goto done;
	}
	build_status(options, "checking out %s (commit %.12s)",
	             out->revision.is_tag ? out->revision.tag : out->revision.commit_id,
	             out->revision.commit_id);
	checkout.reverse_order = options->variation != NULL && options->variation->reverse_file_order;
	result = repro_repo_checkout_with_options(repo ? repo : options->repository, &out->revision,
	                                          tree, &checkout, err);
	if (result == REPRO_OK)
		result = build_check_interrupt(err);
	if (result == REPRO_OK)
		result = load_recipe(options, tree, &recipe, err);
	if (result == REPRO_OK)
		out->source_date_epoch = recipe->has_source_date_epoch ? recipe->source_date_epoch :
		                         out->revision.commit_time;
	if (result == REPRO_OK)
		result = check_image_name(options, recipe, err);
	if (result != REPRO_OK)
		goto done;

	result = build_images(options, recipe, work_dir, tree, out, err);

done:
	if (work_dir != NULL)
		result = finish_work_dir(options, work_dir, result, out, err);
	free(tree);
	repro_recipe_free(recipe);
	repro_repo_free(repo);
	return result;
}

static int fill_release_image(const repro_built_image *built, const char *tag,
                              repro_digestlist_image *out, repro_error *err)
{
	repro_digestlist_platform *platform;

	out->name = strdup(built->name);
	if (built->reference != NULL) {
		size_t length = strlen(built->reference) + strlen(tag) + 2;

		out->reference = malloc(length);
		if (out->reference != NULL)
			snprintf(out->reference, length, "%s:%s", built->reference, tag);
	}
	out->platforms = calloc(1, sizeof(*out->platforms));
	if (out->name == NULL || out->platforms == NULL ||
	    (built->reference != NULL && out->reference == NULL))
		return repro_error_set(err, REPRO_ENOMEM, "recording the build failed: out of memory");
	out->platform_count = 1;

	platform = &out->platforms[0];
	platform->platform = strdup(built->platform);
	platform->manifest = built->manifest;
	platform->has_config = true;
	platform->config = built->config;
	platform->layers = calloc(built->layer_count ? built->layer_count : 1,
	                          sizeof(*platform->layers));
	if (platform->platform == NULL || platform->layers == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "recording the build failed: out of memory");
	for (size_t i = 0; i < built->layer_count; i++) {
		repro_digestlist_layer *layer = &platform->layers[platform->layer_count];

		layer->media_type = strdup(built->layers[i].media_type);
		if (layer->media_type == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "recording the build failed: out of memory");
		layer->digest = built->layers[i].digest;
		layer->diff_id = built->layers[i].diff_id;
		layer->size = built->layers[i].size;
		platform->layer_count++;
	}
	return REPRO_OK;
}

int repro_build_result_to_release(const repro_build_result *result,
                                  repro_digestlist_release **out, repro_error *err)
{
	const char *tag = result->revision.is_tag ? result->revision.tag : result->revision.commit_id;
	repro_digestlist_release *release = calloc(1, sizeof(*release));
	int code = REPRO_OK;

	*out = NULL;
	if (release == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "recording the build failed: out of memory");
	release->tag = strdup(tag);
	release->commit = strdup(result->revision.commit_id);
	release->has_source_date_epoch = true;
	release->source_date_epoch = result->source_date_epoch;
	release->images = calloc(result->image_count ? result->image_count : 1,
	                         sizeof(*release->images));
	if (release->tag == NULL || release->commit == NULL || release->images == NULL)
		code = repro_error_set(err, REPRO_ENOMEM, "recording the build failed: out of memory");
	for (size_t i = 0; code == REPRO_OK && i < result->image_count; i++) {
		code = fill_release_image(&result->images[i], tag, &release->images[i], err);
		release->image_count++;
	}
	if (code != REPRO_OK) {
		repro_digestlist_release_free(release);
		return code;
	}
	*out = release;
	return REPRO_OK;
}

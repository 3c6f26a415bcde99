/*
 * reprocheck vary: builds the recipe with nothing changed and with the
 * conditions around the build changed, and names the variations that
 * change the images, with the differing digests.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/sandbox.h>
#include <reprocheck/diff.h>
#include <reprocheck/vary.h>

#include "image_options.h"

typedef struct vary_arguments {
	repro_vary_options vary;
	bool json;
} vary_arguments;

static int run_vary(const repro_cli *cli, int argc, char **argv);

const repro_command repro_command_vary = {
	"vary",
	"rebuild under changed conditions and name those that change the images",
	"reprocheck vary [--repo PATH|URL] [--tag TAG | --rev REV] [--vary LIST] [--keep DIR] [--json]",
	"options:\n"
	"  --repo, --tag, --rev  what to build, as for 'reprocheck build'\n"
	"  --vary LIST   comma-separated variations, all by default: time (clock 3 days\n"
	"                ahead), hostname (hostname and domain name), timezone (TZ with a\n"
	"                half-hour offset), locale (LANG and LC_ALL), umask (0002), uid (run\n"
	"                as uid and gid 1000), file-order (tree entries created in reverse),\n"
	"                cpus (1 CPU), env (an extra variable), home (another HOME)\n"
	"  --keep DIR    keep every build's tree, log and layouts in the new directory DIR\n"
	"  --json        print one JSON document (docs/JSON-OUTPUT.md)\n",
	run_vary,
};

enum { OPT_REPO = 256, OPT_TAG, OPT_REV, OPT_VARY, OPT_KEEP, OPT_JSON };

static int parse_arguments(vary_arguments *arguments, int argc, char **argv)
{
	static const struct option long_options[] = {
		{"repo", required_argument, NULL, OPT_REPO},
		{"tag", required_argument, NULL, OPT_TAG},
		{"rev", required_argument, NULL, OPT_REV},
		{"vary", required_argument, NULL, OPT_VARY},
		{"keep", required_argument, NULL, OPT_KEEP},
		{"json", no_argument, NULL, OPT_JSON},
		{NULL, 0, NULL, 0},
	};
	repro_error err;
	int option;

	memset(arguments, 0, sizeof(*arguments));
	repro_vary_options_init(&arguments->vary);
	opterr = 0;
	optind = 1;
	while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (option) {
		case OPT_REPO: arguments->vary.repo = optarg; break;
		case OPT_TAG: arguments->vary.tag = optarg; break;
		case OPT_REV: arguments->vary.rev = optarg; break;
		case OPT_KEEP: arguments->vary.keep_dir = optarg; break;
		case OPT_JSON: arguments->json = true; break;
		case OPT_VARY:
			if (repro_vary_parse_list(optarg, &arguments->vary.chosen, &err) != REPRO_OK)
				return repro_cli_usage_error(&repro_command_vary, "%s", err.message);
			break;
		default:
			return repro_cli_usage_error(&repro_command_vary, "unknown or incomplete option '%s'",
			                             argv[optind - 1]);
		}
	}
	if (optind < argc)
		return repro_cli_usage_error(&repro_command_vary, "unexpected argument '%s'",
		                             argv[optind]);
	if (arguments->vary.tag != NULL && arguments->vary.rev != NULL)
		return repro_cli_usage_error(&repro_command_vary, "--tag and --rev exclude each other");
	return 0;
}

static void log_progress(void *context, const char *label)
{
	repro_cli_log((const repro_cli *)context, 1, "building '%s'", label);
}

/* Returns the build that the verdict of @p kind compares with the base. */
static const repro_build_result *deciding_build(const repro_vary_result *result,
                                                repro_vary_kind kind)
{
	const repro_build_result *build = repro_vary_outcome_build(result, kind);

	if (build == NULL && result->varied_identical && (result->applied & REPRO_VARY_BIT(kind)))
		build = &result->varied;
	return build;
}

static json_t *digest_json(const repro_digest *digest)
{
	char text[REPRO_DIGEST_STRING_MAX];

	repro_digest_format(digest, text);
	return json_string(text);
}

static json_t *image_digests_json(const repro_built_image *image)
{
	json_t *layers = json_array();

	for (size_t i = 0; i < image->layer_count; i++)
		json_array_append_new(layers, json_pack("{s:o, s:o}",
			"digest", digest_json(&image->layers[i].digest),
			"diffId", digest_json(&image->layers[i].diff_id)));
	return json_pack("{s:o, s:o, s:o}", "manifest", digest_json(&image->manifest),
	                 "config", digest_json(&image->config), "layers", layers);
}

/* Lists each base image beside the same image of @p other. */
static json_t *compared_images_json(const repro_build_result *base,
                                    const repro_build_result *other)
{
	json_t *images = json_array();

	for (size_t i = 0; i < base->image_count; i++) {
		const repro_built_image *image = &base->images[i];
		const repro_built_image *varied = repro_vary_find_image(other, image->name);
		json_t *entry = json_pack("{s:s, s:s, s:o}", "name", image->name, "status",
			varied ? repro_vary_compare_image(image, varied) : "missing",
			"base", image_digests_json(image));

		if (varied != NULL)
			json_object_set_new(entry, "varied", image_digests_json(varied));
		json_array_append_new(images, entry);
	}
	return images;
}

static json_t *variations_json(const repro_vary_result *result, json_t *responsible)
{
	json_t *variations = json_array();

	for (unsigned kind = 0; kind < REPRO_VARY_COUNT; kind++) {
		const repro_vary_outcome *outcome = &result->outcomes[kind];
		const repro_build_result *build = deciding_build(result, (repro_vary_kind)kind);
		json_t *entry;

		if (outcome->status == REPRO_VARY_STATUS_NOT_CHOSEN)
			continue;
		entry = json_pack("{s:s, s:s, s:b}", "name", repro_vary_name((repro_vary_kind)kind),
			"status", repro_vary_status_name(outcome->status),
			"changed", outcome->status == REPRO_VARY_STATUS_MISMATCH);
		if (outcome->setting[0] != '\0')
			json_object_set_new(entry, "setting", json_string(outcome->setting));
		if (outcome->reason[0] != '\0')
			json_object_set_new(entry, "reason", json_string(outcome->reason));
		if (build != NULL)
			json_object_set_new(entry, "images", compared_images_json(&result->base, build));
		if (outcome->diff != NULL) {
			json_t *diff = NULL;
			repro_error err;

			if (repro_diff_to_json(outcome->diff, &diff, &err) == REPRO_OK) {
				json_object_set_new(entry, "diffImage", json_string(outcome->diff_image));
				json_object_set_new(entry, "diff", diff);
			}
		}
		if (outcome->status == REPRO_VARY_STATUS_MISMATCH)
			json_array_append_new(responsible,
			                      json_string(repro_vary_name((repro_vary_kind)kind)));
		json_array_append_new(variations, entry);
	}
	return variations;
}

static void print_json_result(const repro_vary_result *result, int status)
{
	static const char *const names[] = {"pass", "fail", "error"};
	json_t *responsible = json_array(), *applied = json_array();
	json_t *document, *varied;

	for (unsigned kind = 0; kind < REPRO_VARY_COUNT; kind++) {
		if (result->applied & REPRO_VARY_BIT(kind))
			json_array_append_new(applied, json_string(repro_vary_name((repro_vary_kind)kind)));
	}
	varied = json_pack("{s:o, s:s, s:o}", "variations", applied, "status",
		result->varied_identical ? "identical" : "mismatch",
		"images", compared_images_json(&result->base, &result->varied));
	document = json_pack("{s:s, s:s, s:I, s:b}", "status", names[status],
		"commit", result->base.revision.commit_id,
		"sourceDateEpoch", (json_int_t)result->base.source_date_epoch,
		"repeats", status == 0);
	if (result->base.revision.is_tag)
		json_object_set_new(document, "tag", json_string(result->base.revision.tag));
	json_object_set_new(document, "variations", variations_json(result, responsible));
	json_object_set_new(document, "responsible", responsible);
	json_object_set_new(document, "varied", varied);
	if (result->control_ran)
		json_object_set_new(document, "control", json_pack("{s:s, s:o}", "status",
			result->control_identical ? "identical" : "mismatch",
			"images", compared_images_json(&result->base, &result->control)));
	if (result->keep_dir != NULL)
		json_object_set_new(document, "keep", json_string(result->keep_dir));
	print_json_document(document);
	json_decref(document);
}

static void print_digest_change(const char *what, const repro_digest *base,
                                const repro_digest *varied)
{
	char before[REPRO_DIGEST_STRING_MAX], after[REPRO_DIGEST_STRING_MAX];

	if (repro_digest_equal(base, varied))
		return;
	repro_digest_format(base, before);
	repro_digest_format(varied, after);
	printf("  %-18s %s\n  %-18s %s\n", what, before, "", after);
}

/* Prints, for each image that differs, the base digest above the other. */
static void print_differences(const char *label, const repro_build_result *base,
                              const repro_build_result *other)
{
	for (size_t i = 0; i < base->image_count; i++) {
		const repro_built_image *image = &base->images[i];
		const repro_built_image *varied = repro_vary_find_image(other, image->name);
		const char *status = varied ? repro_vary_compare_image(image, varied) : "missing";

		if (strcmp(status, "identical") == 0)
			continue;
		printf("\n%s: image '%s' %s (base digest above the varied one)\n", label, image->name,
		       status);
		if (varied == NULL)
			continue;
		print_digest_change("manifest", &image->manifest, &varied->manifest);
		print_digest_change("config", &image->config, &varied->config);
		for (size_t k = 0; k < image->layer_count && k < varied->layer_count; k++) {
			char what[40];

			snprintf(what, sizeof(what), "layer %zu digest", k);
			print_digest_change(what, &image->layers[k].digest, &varied->layers[k].digest);
			snprintf(what, sizeof(what), "layer %zu diff_id", k);
			print_digest_change(what, &image->layers[k].diff_id, &varied->layers[k].diff_id);
		}
		if (image->layer_count != varied->layer_count)
			printf("  layers             %zu in the base, %zu varied\n", image->layer_count,
			       varied->layer_count);
	}
}

#define VARY_DIFF_LINES 20

/* Prints the file-level diff of one variation under its digest lines. */
static void print_diff(const char *image, const struct repro_diff_result *diff, const char *note)
{
	char *text = NULL;
	repro_error err;
	size_t shown = 0;

	if (diff == NULL) {
		if (note != NULL && note[0] != '\0')
			printf("  no file-level diff of '%s': %s\n", image, note);
		return;
	}
	if (repro_diff_format_text(diff, &text, &err) != REPRO_OK)
		return;
	printf("  what differs in '%s' (base as A, varied as B):\n", image);
	for (const char *line = text; *line != '\0' && shown <= VARY_DIFF_LINES; shown++) {
		const char *end = strchr(line, '\n');
		size_t length = end ? (size_t)(end - line) : strlen(line);

		if (shown == VARY_DIFF_LINES)
			printf("    ... more; keep the builds with --keep DIR and run 'reprocheck diff'\n");
		else
			printf("    %.*s\n", (int)length, line);
		line += length + (end ? 1 : 0);
	}
	free(text);
}

static void print_text_result(const repro_vary_result *result)
{
	char responsible[256] = "";

	printf("%-11s %-10s %s\n", "VARIATION", "STATUS", "SETTING OR REASON");
	for (unsigned kind = 0; kind < REPRO_VARY_COUNT; kind++) {
		const repro_vary_outcome *outcome = &result->outcomes[kind];

		if (outcome->status == REPRO_VARY_STATUS_NOT_CHOSEN)
			continue;
		printf("%-11s %-10s %s\n", repro_vary_name((repro_vary_kind)kind),
		       repro_vary_status_name(outcome->status),
		       outcome->reason[0] ? outcome->reason : outcome->setting);
		if (outcome->status == REPRO_VARY_STATUS_MISMATCH) {
			size_t used = strlen(responsible);

			snprintf(responsible + used, sizeof(responsible) - used, "%s%s", used ? ", " : "",
			         repro_vary_name((repro_vary_kind)kind));
		}
	}
	for (unsigned kind = 0; kind < REPRO_VARY_COUNT; kind++) {
		const repro_build_result *build = repro_vary_outcome_build(result, (repro_vary_kind)kind);

		if (build != NULL && result->outcomes[kind].status == REPRO_VARY_STATUS_MISMATCH) {
			print_differences(repro_vary_name((repro_vary_kind)kind), &result->base, build);
			print_diff(result->outcomes[kind].diff_image, result->outcomes[kind].diff,
			           result->outcomes[kind].diff_note);
		}
	}
	if (result->control_ran && !result->control_identical) {
		print_differences("control", &result->base, &result->control);
		print_diff(result->control_diff_image, result->control_diff, NULL);
	}
	else if (!result->varied_identical && responsible[0] == '\0')
		print_differences("all variations", &result->base, &result->varied);

	if (result->varied_identical)
		printf("\nthe images repeat under every variation\n");
	else if (result->control_ran && !result->control_identical)
		printf("\nthe images differ even when nothing is changed, so no variation can be "
		       "named\n");
	else if (responsible[0] == '\0')
		printf("\nthe images differ only when the variations are combined\n");
	else
		printf("\nthe images do not repeat; responsible: %s\n", responsible);
	if (result->keep_dir != NULL)
		printf("builds kept in %s\n", result->keep_dir);
}

static int run_vary(const repro_cli *cli, int argc, char **argv)
{
	vary_arguments arguments;
	repro_vary_result result;
	repro_cli log_cli = *cli;
	repro_error err;
	int status = parse_arguments(&arguments, argc, argv);

	if (status != 0)
		return status;
	arguments.vary.progress = log_progress;
	arguments.vary.progress_context = &log_cli;
	repro_error_clear(&err);
	repro_sandbox_install_signal_handlers();
	if (repro_vary_run(&arguments.vary, &result, &err) != REPRO_OK) {
		status = repro_cli_fail(&err);
		if (result.keep_dir != NULL)
			repro_cli_error("builds and their logs kept in '%s'", result.keep_dir);
		if (arguments.json) {
			json_t *document = json_pack("{s:s, s:s}", "status", "error", "error", err.message);

			print_json_document(document);
			json_decref(document);
		}
		repro_vary_result_dispose(&result);
		return status == 1 ? 2 : status;
	}
	for (unsigned kind = 0; kind < REPRO_VARY_COUNT; kind++) {
		if (result.outcomes[kind].status == REPRO_VARY_STATUS_SKIPPED)
			repro_cli_log(cli, 0, "warning: cannot vary %s here: %s",
			              repro_vary_name((repro_vary_kind)kind), result.outcomes[kind].reason);
	}
	status = repro_vary_exit_status(&result);
	if (arguments.json)
		print_json_result(&result, status);
	else
		print_text_result(&result);
	repro_vary_result_dispose(&result);
	return status;
}

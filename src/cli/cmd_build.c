/*
 * reprocheck build: rebuilds the images of a recipe at a tag or revision,
 * writes them as OCI layouts and, with --record, stores their digests in a
 * digest list.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <reprocheck/build.h>
#include <reprocheck/sandbox.h>

#include "image_options.h"
#include "progress.h"

typedef struct build_arguments {
	repro_build_options build;
	const char *record;
	bool json;
} build_arguments;

static int run_build(const repro_cli *cli, int argc, char **argv);

const repro_command repro_command_build = {
	"build",
	"rebuild the recipe's images hermetically and optionally record their digests",
	"reprocheck build [--repo PATH|URL] [--tag TAG | --rev REV] [--recipe FILE]\n"
	"                  [--image NAME] [--output DIR] [--record FILE] [--no-sandbox] [--json]",
	"options:\n"
	"  --repo PATH|URL   repository to build: a work tree, a bare repository or a URL\n"
	"                    to clone (default: the current directory)\n"
	"  --tag TAG         tag to build; its commit time is SOURCE_DATE_EPOCH\n"
	"  --rev REV         any revision instead of a tag (default HEAD)\n"
	"  --recipe FILE     recipe to use instead of the tree's reprocheck.json\n"
	"  --image NAME      build this image of the recipe only\n"
	"  --output DIR      write each image as an OCI layout in DIR/NAME, tagged TAG\n"
	"  --record FILE     add or replace TAG's entry in the digest list FILE, atomically\n"
	"  --no-sandbox      run build steps without namespaces; the result says the build\n"
	"                    was not hermetic\n"
	"  --json            print one JSON document (docs/JSON-OUTPUT.md)\n",
	run_build,
};

enum { OPT_REPO = 256, OPT_TAG, OPT_REV, OPT_RECIPE, OPT_IMAGE, OPT_OUTPUT, OPT_RECORD,
       OPT_NO_SANDBOX, OPT_JSON };

static int parse_arguments(build_arguments *arguments, int argc, char **argv)
{
	static const struct option long_options[] = {
		{"repo", required_argument, NULL, OPT_REPO},
		{"tag", required_argument, NULL, OPT_TAG},
		{"rev", required_argument, NULL, OPT_REV},
		{"recipe", required_argument, NULL, OPT_RECIPE},
		{"image", required_argument, NULL, OPT_IMAGE},
		{"output", required_argument, NULL, OPT_OUTPUT},
		{"record", required_argument, NULL, OPT_RECORD},
		{"no-sandbox", no_argument, NULL, OPT_NO_SANDBOX},
		{"json", no_argument, NULL, OPT_JSON},
		{NULL, 0, NULL, 0},
	};
	int option;

	memset(arguments, 0, sizeof(*arguments));
	repro_build_options_init(&arguments->build);
	opterr = 0;
	optind = 1;
	while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (option) {
		case OPT_REPO: arguments->build.repo = optarg; break;
		case OPT_TAG: arguments->build.tag = optarg; break;
		case OPT_REV: arguments->build.rev = optarg; break;
		case OPT_RECIPE: arguments->build.recipe_path = optarg; break;
		case OPT_IMAGE: arguments->build.image_name = optarg; break;
		case OPT_OUTPUT: arguments->build.output_dir = optarg; break;
		case OPT_RECORD: arguments->record = optarg; break;
		case OPT_NO_SANDBOX: arguments->build.hermetic = 0; break;
		case OPT_JSON: arguments->json = true; break;
		default:
			return repro_cli_usage_error(&repro_command_build, "unknown or incomplete option '%s'",
			                             argv[optind - 1]);
		}
	}
	if (optind < argc)
		return repro_cli_usage_error(&repro_command_build, "unexpected argument '%s'",
		                             argv[optind]);
	if (arguments->build.tag != NULL && arguments->build.rev != NULL)
		return repro_cli_usage_error(&repro_command_build, "--tag and --rev exclude each other");
	return 0;
}

/* Adds the build's release to the digest list at @p path, creating it when
 * it does not exist; the file is replaced atomically. */
static int record_release(const char *path, const repro_build_result *result, repro_error *err)
{
	repro_digestlist *list = NULL;
	repro_digestlist_release *release = NULL;
	int code;

	if (access(path, F_OK) == 0)
		code = repro_digestlist_load(&list, path, err);
	else
		code = repro_digestlist_new(&list, path, err);
	if (code == REPRO_OK)
		code = repro_build_result_to_release(result, &release, err);
	if (code == REPRO_OK) {
		code = repro_digestlist_put_release(list, release, err);
		if (code != REPRO_OK)
			repro_digestlist_release_free(release);
	}
	if (code == REPRO_OK)
		code = repro_digestlist_save(list, path, err);
	repro_digestlist_free(list);
	return code == REPRO_OK ? REPRO_OK : repro_error_prefix(err, "recording into '%s'", path);
}

static void print_result(const build_arguments *arguments, const repro_build_result *result)
{
	char manifest[REPRO_DIGEST_STRING_MAX];
	json_t *document, *images;

	if (!arguments->json) {
		for (size_t i = 0; i < result->image_count; i++) {
			const repro_built_image *image = &result->images[i];

			repro_digest_format(&image->manifest, manifest);
			printf("%-16s %-14s %s", image->name, image->platform, manifest);
			if (arguments->build.output_dir != NULL)
				printf("  %s", image->layout_path);
			putchar('\n');
		}
		return;
	}
	images = json_array();
	for (size_t i = 0; i < result->image_count; i++) {
		const repro_built_image *image = &result->images[i];
		char config[REPRO_DIGEST_STRING_MAX];

		repro_digest_format(&image->manifest, manifest);
		repro_digest_format(&image->config, config);
		json_array_append_new(images, json_pack("{s:s, s:s, s:s, s:s}", "name", image->name,
			"platform", image->platform, "manifest", manifest, "config", config));
		if (arguments->build.output_dir != NULL)
			json_object_set_new(json_array_get(images, i), "layout",
			                    json_string(image->layout_path));
	}
	document = json_pack("{s:s, s:s, s:I, s:b, s:s, s:o}", "status", "pass", "commit",
		result->revision.commit_id, "sourceDateEpoch", (json_int_t)result->source_date_epoch,
		"hermetic", result->hermetic, "compressor", result->compressor, "images", images);
	print_json_document(document);
	json_decref(document);
}

static int run_build(const repro_cli *cli, int argc, char **argv)
{
	build_arguments arguments;
	repro_build_result result;
	progress_printer printer;
	repro_error err;
	int build_code;
	int status = parse_arguments(&arguments, argc, argv);

	if (status != 0)
		return status;
	if (arguments.build.output_dir == NULL && arguments.record == NULL)
		repro_cli_log(cli, 0, "neither --output nor --record given: the images are built, "
		              "compared with nothing and removed");
	arguments.build.replace_output = 1;
	repro_error_clear(&err);
	progress_init(&printer, cli);
	arguments.build.status = progress_status;
	arguments.build.status_context = &printer;
	repro_sandbox_install_signal_handlers();
	build_code = repro_build_run(&arguments.build, &result, &err);
	progress_clear(&printer);
	if (build_code != REPRO_OK) {
		status = repro_cli_fail(&err);
		if (result.log_path != NULL)
			repro_cli_error("build log kept at '%s'", result.log_path);
		repro_build_result_dispose(&result);
		return status == 1 ? 2 : status;
	}
	if (!result.hermetic)
		repro_cli_log(cli, 0, "warning: built with --no-sandbox, so the build was not hermetic");
	if (arguments.record != NULL && record_release(arguments.record, &result, &err) != REPRO_OK)
		status = repro_cli_fail(&err);
	else
		print_result(&arguments, &result);
	repro_build_result_dispose(&result);
	return status;
}

/*
 * reprocheck diff SOURCE_A SOURCE_B: explains every difference between two
 * images, most important first, and exits 0 when none counts.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/diff.h>

#include "image_options.h"

/* Maximum number of --ignore values. */
#define MAX_IGNORES 256

enum { OPTION_PLATFORM = 256, OPTION_SEMANTIC, OPTION_IGNORE, OPTION_JSON,
       OPTION_MAX_LAYER_SIZE };

typedef struct diff_cli_options {
	const char *spec[2];
	const char *platform;
	bool json;
	repro_diff_options diff;
	const char *ignore[MAX_IGNORES];
} diff_cli_options;

static int run_diff(const repro_cli *cli, int argc, char **argv);

const repro_command repro_command_diff = {
	"diff",
	"explain every difference between two images",
	"reprocheck diff SOURCE_A SOURCE_B [--platform OS/ARCH[/VARIANT]] [--semantic]\n"
	"                [--ignore WHAT]... [--max-layer-size SIZE] [--json]",
	"options:\n"
	"  --platform OS/ARCH[/VARIANT]  the platform image to compare from an index\n"
	"  --semantic     ignore time stamps, history, file order, image names and tar format\n"
	"  --ignore WHAT  ignore a field (mtime, atime, ctime, birthtime, history, file-order,\n"
	"                 created, uid, gid, uname, gname, mode, tar-format, annotations,\n"
	"                 compression, image-name) or the files matching a path glob such\n"
	"                 as 'usr/share/doc/*'; repeatable. Ignored differences are counted\n"
	"  --max-layer-size SIZE  stop reading a layer that inflates to more than SIZE bytes\n"
	"  --json         print one JSON document (docs/JSON-OUTPUT.md)\n",
	run_diff,
};

static int parse_options(diff_cli_options *options, int argc, char **argv)
{
	static const struct option long_options[] = {
		{"platform", required_argument, NULL, OPTION_PLATFORM},
		{"semantic", no_argument, NULL, OPTION_SEMANTIC},
		{"ignore", required_argument, NULL, OPTION_IGNORE},
		{"json", no_argument, NULL, OPTION_JSON},
		{"max-layer-size", required_argument, NULL, OPTION_MAX_LAYER_SIZE},
		{NULL, 0, NULL, 0},
	};
	const repro_command *command = &repro_command_diff;
	repro_error err;
	int option;

	opterr = 0;
	optind = 1;
	while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (option) {
		case OPTION_PLATFORM:
			options->platform = optarg;
			break;
		case OPTION_SEMANTIC:
			options->diff.semantic = true;
			break;
		case OPTION_IGNORE:
			if (repro_diff_check_ignore(optarg, &err) != REPRO_OK)
				return repro_cli_usage_error(command, "%s", err.message);
			if (options->diff.ignore_count >= MAX_IGNORES)
				return repro_cli_usage_error(command, "more than %d --ignore values",
				                             MAX_IGNORES);
			options->ignore[options->diff.ignore_count++] = optarg;
			break;
		case OPTION_JSON:
			options->json = true;
			break;
		case OPTION_MAX_LAYER_SIZE:
			if (!parse_size(optarg, &options->diff.max_uncompressed_bytes))
				return repro_cli_usage_error(command, "invalid --max-layer-size '%s': expected a "
				                             "positive byte count such as 512M or 64G", optarg);
			break;
		default:
			return repro_cli_usage_error(command, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return repro_cli_usage_error(command, "expected two sources, SOURCE_A and SOURCE_B");
	if (argc - optind > 2)
		return repro_cli_usage_error(command, "unexpected argument '%s'", argv[optind + 2]);
	options->spec[0] = argv[optind];
	options->spec[1] = argv[optind + 1];
	options->diff.ignore = options->ignore;
	return 0;
}

/* Opens one side and resolves the one image that the selector names. */
static int open_side(const repro_cli *cli, const char *spec,
                     const repro_platform_selector *selector,
                     repro_source **source, repro_resolved_image **images, size_t *count,
                     repro_error *err)
{
	int result = cli_source_open(cli, source, spec, err);

	if (result == REPRO_OK)
		result = repro_source_resolve(*source, selector, images, count, err);
	if (result == REPRO_OK && *count != 1)
		result = repro_error_set(err, REPRO_EUSAGE, "'%s' holds %zu images: choose one with "
		                         "--platform", spec, *count);
	return result;
}

static json_t *side_json(const char *spec, const repro_resolved_image *image)
{
	char platform[256], digest[REPRO_DIGEST_STRING_MAX];
	json_t *object = json_pack("{s:s}", "source", spec);

	if (image == NULL)
		return object;
	repro_platform_format(&image->platform, platform, sizeof(platform));
	repro_digest_format(&image->manifest->digest, digest);
	json_object_set_new(object, "platform", json_string(platform));
	json_object_set_new(object, "manifest", json_string(digest));
	return object;
}

static int print_result(const diff_cli_options *options,
                        const repro_resolved_image *const images[2],
                        const repro_diff_result *result, int status, const repro_error *err)
{
	json_t *document = NULL;
	char *text = NULL;
	repro_error local;

	if (!options->json) {
		if (result == NULL)
			return status;
		if (repro_diff_format_text(result, &text, &local) != REPRO_OK)
			return repro_cli_fail(&local);
		fputs(text, stdout);
		free(text);
		return status;
	}
	if (result != NULL && repro_diff_to_json(result, &document, &local) != REPRO_OK)
		return repro_cli_fail(&local);
	if (document == NULL)
		document = json_object();
	json_object_set_new(document, "status", json_string(status_word(status)));
	if (status == 2)
		json_object_set_new(document, "reason", json_string(err->message));
	json_object_set_new(document, "a", side_json(options->spec[0], images[0]));
	json_object_set_new(document, "b", side_json(options->spec[1], images[1]));
	print_json_document(document);
	json_decref(document);
	return status;
}

static int run_diff(const repro_cli *cli, int argc, char **argv)
{
	diff_cli_options options;
	repro_platform_selector selector;
	repro_source *sources[2] = {NULL, NULL};
	repro_resolved_image *images[2] = {NULL, NULL};
	size_t counts[2] = {0, 0};
	repro_diff_side sides[2];
	const repro_resolved_image *chosen[2] = {NULL, NULL};
	repro_diff_result *result = NULL;
	repro_error err;
	int status;

	memset(&options, 0, sizeof(options));
	memset(&selector, 0, sizeof(selector));
	repro_diff_options_init(&options.diff);
	if ((status = parse_options(&options, argc, argv)) != 0)
		return status;
	repro_error_clear(&err);
	if (options.platform != NULL) {
		if (repro_platform_parse(&selector.platform, options.platform, &err) != REPRO_OK) {
			repro_error_prefix(&err, "--platform");
			return repro_cli_fail(&err);
		}
		selector.has_platform = true;
	}

	for (int s = 0; s < 2; s++) {
		if (open_side(cli, options.spec[s], &selector, &sources[s], &images[s], &counts[s],
		              &err) != REPRO_OK) {
			repro_cli_fail(&err);
			status = 2;
			goto done;
		}
		sides[s] = (repro_diff_side){sources[s], &images[s][0]};
		chosen[s] = &images[s][0];
	}
	repro_cli_log(cli, 1, "comparing '%s' with '%s'", options.spec[0], options.spec[1]);
	if (repro_diff_run(&sides[0], &sides[1], &options.diff, &result, &err) != REPRO_OK) {
		repro_cli_fail(&err);
		status = 2;
		goto done;
	}
	status = result->item_count > 0 || result->dropped_count > 0 ? 1 : 0;

done:
	status = print_result(&options, chosen, result, status, &err);
	repro_diff_result_free(result);
	for (int s = 0; s < 2; s++) {
		repro_resolved_images_free(images[s], counts[s]);
		repro_source_free(sources[s]);
	}
	repro_platform_dispose(&selector.platform);
	return status;
}

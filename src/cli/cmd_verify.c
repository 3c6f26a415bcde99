/*
 * reprocheck verify: checks out a tag, rebuilds it hermetically, and
 * compares each image with the digest list committed in the repository.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/build.h>
#include <reprocheck/compare.h>
#include <reprocheck/diff.h>
#include <reprocheck/reference.h>
#include <reprocheck/report.h>
#include <reprocheck/sandbox.h>

#include "fileutil_internal.h"
#include "image_options.h"
#include "progress.h"
#include "reprocheck_version.h"

#define DIGEST_LIST_FILE "reprocheck-digests.json"
#define DIGEST_LIST_MAX_BYTES ((size_t)16 << 20)

#define MAX_PUBLISHED 64

typedef struct verify_arguments {
	repro_build_options build;
	const char *published[MAX_PUBLISHED];  /* --published values, as given */
	size_t published_count;
	const char *digests;
	const char *report_path;
	repro_level level;
	bool json;
} verify_arguments;

static int run_verify(const repro_cli *cli, int argc, char **argv);

const repro_command repro_command_verify = {
	"verify",
	"rebuild a tagged release and compare it with the committed digest list",
	"reprocheck verify --repo PATH|URL --tag TAG [--digests FILE] [--image NAME]\n"
	"                  [--level manifest|content] [--published [NAME=]SOURCE | auto]...\n"
	"                  [--keep DIR] [--no-sandbox] [--json] [--report FILE]",
	"options:\n"
	"  --repo PATH|URL   repository to rebuild: a work tree, a bare repository or a URL\n"
	"  --tag TAG         release to rebuild; its commit time is SOURCE_DATE_EPOCH\n"
	"  --digests FILE    digest list to compare with (default: reprocheck-digests.json\n"
	"                    on the repository's default branch); JSON or plain text\n"
	"  --image NAME      rebuild and compare this image of the recipe only\n"
	"  --level LEVEL     manifest (default): the manifest digests must match; content:\n"
	"                    also accept images whose config and diff_ids match but whose\n"
	"                    compressed layers differ\n"
	"  --published SRC   the published image, read to explain a mismatch file by file;\n"
	"                    NAME=SRC for one image of several; 'auto' reads each image from\n"
	"                    the reference in the digest list; repeatable\n"
	"  --keep DIR        keep the build tree, the build log and the rebuilt layouts in\n"
	"                    the new directory DIR\n"
	"  --no-sandbox      run build steps without namespaces; the report says so\n"
	"  --json            print the report as one JSON document (docs/JSON-OUTPUT.md)\n"
	"  --report FILE     also write the JSON report to FILE, atomically\n",
	run_verify,
};

enum { OPT_REPO = 256, OPT_TAG, OPT_DIGESTS, OPT_IMAGE, OPT_LEVEL, OPT_KEEP, OPT_NO_SANDBOX,
       OPT_JSON, OPT_REPORT, OPT_PUBLISHED };

static int parse_arguments(verify_arguments *arguments, int argc, char **argv)
{
	static const struct option long_options[] = {
		{"repo", required_argument, NULL, OPT_REPO},
		{"tag", required_argument, NULL, OPT_TAG},
		{"digests", required_argument, NULL, OPT_DIGESTS},
		{"image", required_argument, NULL, OPT_IMAGE},
		{"level", required_argument, NULL, OPT_LEVEL},
		{"keep", required_argument, NULL, OPT_KEEP},
		{"no-sandbox", no_argument, NULL, OPT_NO_SANDBOX},
		{"json", no_argument, NULL, OPT_JSON},
		{"report", required_argument, NULL, OPT_REPORT},
		{"published", required_argument, NULL, OPT_PUBLISHED},
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
		case OPT_DIGESTS: arguments->digests = optarg; break;
		case OPT_IMAGE: arguments->build.image_name = optarg; break;
		case OPT_KEEP: arguments->build.keep_dir = optarg; break;
		case OPT_NO_SANDBOX: arguments->build.hermetic = 0; break;
		case OPT_JSON: arguments->json = true; break;
		case OPT_REPORT: arguments->report_path = optarg; break;
		case OPT_PUBLISHED:
			if (arguments->published_count == MAX_PUBLISHED)
				return repro_cli_usage_error(&repro_command_verify,
					"--published is given more than %d times", MAX_PUBLISHED);
			arguments->published[arguments->published_count++] = optarg;
			break;
		case OPT_LEVEL:
			if (strcmp(optarg, "manifest") == 0) {
				arguments->level = REPRO_LEVEL_MANIFEST;
			} else if (strcmp(optarg, "content") == 0) {
				arguments->level = REPRO_LEVEL_CONTENT;
			} else {
				return repro_cli_usage_error(&repro_command_verify,
					"invalid --level '%s': expected manifest or content", optarg);
			}
			break;
		default:
			return repro_cli_usage_error(&repro_command_verify,
			                             "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return repro_cli_usage_error(&repro_command_verify, "unexpected argument '%s'",
		                             argv[optind]);
	if (arguments->build.repo == NULL)
		return repro_cli_usage_error(&repro_command_verify, "missing --repo");
	if (arguments->build.tag == NULL)
		return repro_cli_usage_error(&repro_command_verify, "missing --tag");
	return 0;
}

/* The digest list: --digests FILE, or the file committed on the
 * repository's default branch, because the release pipeline commits it
 * after tagging. */
static int load_digest_list(const verify_arguments *arguments, repro_repo *repo,
                            repro_digestlist **out, repro_error *err)
{
	unsigned char *bytes = NULL;
	size_t size = 0;
	int result;

	if (arguments->digests != NULL)
		return repro_digestlist_load(out, arguments->digests, err);
	result = repro_repo_read_file(repo, NULL, DIGEST_LIST_FILE, DIGEST_LIST_MAX_BYTES, &bytes,
	                              &size, err);
	if (result == REPRO_ENOTFOUND)
		return repro_error_set(err, REPRO_ENOTFOUND,
			"the repository's default branch has no %s: pass the list with --digests FILE",
			DIGEST_LIST_FILE);
	if (result == REPRO_OK)
		result = repro_digestlist_parse(out, bytes, size, DIGEST_LIST_FILE, err);
	free(bytes);
	return result;
}

/* The published image of one verdict: --published NAME=SOURCE for its
 * name, a plain --published SOURCE when the release has one image, or with
 * --published auto the list's reference pinned by the listed manifest.
 * Returns NULL when none applies; the result is malloc()ed. */
static char *published_spec(const verify_arguments *arguments,
                            const repro_digestlist_release *release,
                            const repro_image_verdict *verdict)
{
	size_t name_length = strlen(verdict->name);
	bool automatic = false;

	for (size_t i = 0; i < arguments->published_count; i++) {
		const char *value = arguments->published[i];

		if (strcmp(value, "auto") == 0)
			automatic = true;
		else if (strncmp(value, verdict->name, name_length) == 0 && value[name_length] == '=')
			return strdup(value + name_length + 1);
		else if (strchr(value, '=') == NULL && release->image_count == 1)
			return strdup(value);
	}
	if (!automatic || !verdict->has_expected)
		return NULL;
	for (size_t i = 0; i < release->image_count; i++) {
		const repro_digestlist_image *image = &release->images[i];
		repro_reference reference;
		char name[REPRO_REFERENCE_STRING_MAX], digest[REPRO_DIGEST_STRING_MAX], *spec;
		repro_error err;

		if (strcmp(image->name, verdict->name) != 0 || image->reference == NULL)
			continue;
		if (repro_reference_parse(&reference, image->reference, &err) != REPRO_OK)
			return NULL;
		repro_reference_format_name(&reference, name);
		repro_reference_dispose(&reference);
		repro_digest_format(&verdict->expected_manifest, digest);
		spec = malloc(strlen(name) + strlen(digest) + 16);
		if (spec != NULL)
			sprintf(spec, "docker://%s@%s", name, digest);
		return spec;
	}
	return NULL;
}

/* Opens @p spec and resolves the image of @p platform in it. */
static int open_image(const repro_cli *cli, const char *spec, const char *platform,
                      repro_source **source, repro_resolved_image **images, size_t *count,
                      repro_error *err)
{
	repro_platform_selector selector;
	int result;

	memset(&selector, 0, sizeof(selector));
	result = repro_platform_parse(&selector.platform, platform, err);
	selector.has_platform = result == REPRO_OK;
	if (result == REPRO_OK)
		result = cli_source_open(cli, source, spec, err);
	if (result == REPRO_OK)
		result = repro_source_resolve(*source, &selector, images, count, err);
	repro_platform_dispose(&selector.platform);
	return result;
}

/* Diffs the published image of @p verdict against its rebuild, so that a
 * mismatch names the files and fields that differ. A published image that
 * cannot be read leaves a note; the verdict itself stands. */
static int explain_verdict(const repro_cli *cli, const verify_arguments *arguments,
                           const repro_digestlist_release *release,
                           const repro_build_result *result, repro_image_verdict *verdict,
                           repro_error *err)
{
	repro_source *sources[2] = {NULL, NULL};
	repro_resolved_image *images[2] = {NULL, NULL};
	size_t counts[2] = {0, 0};
	repro_diff_options options;
	repro_diff_result *diff = NULL;
	repro_error read_err;
	char *published = published_spec(arguments, release, verdict), *rebuilt = NULL;
	const repro_built_image *built = NULL;
	int code = REPRO_OK;

	for (size_t i = 0; i < result->image_count && built == NULL; i++) {
		if (strcmp(result->images[i].name, verdict->name) == 0)
			built = &result->images[i];
	}
	if (published == NULL || built == NULL || built->layout_path == NULL) {
		free(published);
		return REPRO_OK;
	}
	rebuilt = malloc(strlen(built->layout_path) + sizeof(result->revision.commit_id) + 8);
	if (rebuilt == NULL) {
		free(published);
		return repro_error_set(err, REPRO_ENOMEM, "explaining a mismatch failed: out of memory");
	}
	sprintf(rebuilt, "oci:%s:%s", built->layout_path, result->revision.is_tag ?
	        result->revision.tag : result->revision.commit_id);

	repro_error_clear(&read_err);
	repro_diff_options_init(&options);
	if (open_image(cli, published, verdict->platform, &sources[0], &images[0], &counts[0],
	               &read_err) != REPRO_OK ||
	    open_image(cli, rebuilt, verdict->platform, &sources[1], &images[1], &counts[1],
	               &read_err) != REPRO_OK ||
	    repro_diff_run(&(repro_diff_side){sources[0], &images[0][0]},
	                   &(repro_diff_side){sources[1], &images[1][0]}, &options, &diff,
	                   &read_err) != REPRO_OK) {
		repro_cli_log(cli, 0, "could not compare with the published image '%s': %s",
		              published, read_err.message);
		code = repro_verdict_set_diff_note(verdict, published, read_err.message, err);
	} else {
		code = repro_verdict_set_diff(verdict, diff, published, err);
	}

	for (int i = 0; i < 2; i++) {
		repro_resolved_images_free(images[i], counts[i]);
		repro_source_free(sources[i]);
	}
	free(published);
	free(rebuilt);
	return code;
}

static int emit_report(const verify_arguments *arguments, const repro_verify_report *report)
{
	json_t *document = repro_report_to_json(report);
	int status = report->exit_status;

	if (arguments->json)
		print_json_document(document);
	else
		repro_report_print(stdout, report);
	if (arguments->report_path != NULL) {
		repro_error err;
		char *text = NULL;
		size_t size = 0;

		repro_error_clear(&err);
		if (repro_json_dump(document, &text, &size, &err) != REPRO_OK ||
		    repro_file_write_atomic(arguments->report_path, text, size, 0644, &err) != REPRO_OK) {
			repro_cli_error("writing report '%s' failed: %s", arguments->report_path, err.message);
			status = 2;
		}
		free(text);
	}
	json_decref(document);
	return status;
}

static int run_verify(const repro_cli *cli, int argc, char **argv)
{
	verify_arguments arguments;
	progress_printer printer;
	int build_code;
	repro_verify_report report;
	repro_build_result result;
	repro_repo *repo = NULL;
	repro_digestlist *list = NULL;
	const repro_digestlist_release *release = NULL;
	repro_image_verdict *verdicts = NULL;
	size_t verdict_count = 0;
	char *images_dir = NULL;
	repro_error err;
	int status = parse_arguments(&arguments, argc, argv);

	if (status != 0)
		return status;
	memset(&result, 0, sizeof(result));
	memset(&report, 0, sizeof(report));
	repro_error_clear(&err);
	report.repo = arguments.build.repo;
	report.tag = arguments.build.tag;
	report.level = arguments.level;
	report.version = REPROCHECK_VERSION;

	if (repro_repo_open(&repo, arguments.build.repo, &err) != REPRO_OK ||
	    load_digest_list(&arguments, repo, &list, &err) != REPRO_OK ||
	    repro_digestlist_find_release(list, arguments.build.tag, &release, &err) != REPRO_OK)
		goto failed;

	repro_cli_log(cli, 1, "rebuilding tag '%s' of '%s'", arguments.build.tag,
	              arguments.build.repo);
	arguments.build.repository = repo;
	/* The rebuilt layouts must outlive the build to be compared with the
	 * published images; --keep keeps them in its own tree anyway. */
	if (arguments.published_count > 0 && arguments.build.keep_dir == NULL) {
		if (repro_make_temp_dir("reprocheck-verify", &images_dir, &err) != REPRO_OK)
			goto failed;
		arguments.build.output_dir = images_dir;
	}
	progress_init(&printer, cli);
	arguments.build.status = progress_status;
	arguments.build.status_context = &printer;
	repro_sandbox_install_signal_handlers();
	report.build = &result;
	build_code = repro_build_run(&arguments.build, &result, &err);
	progress_clear(&printer);
	if (build_code != REPRO_OK)
		goto failed;
	if (repro_compare_release(&result, release, &verdicts, &verdict_count, &err) != REPRO_OK)
		goto failed;
	for (size_t i = 0; i < verdict_count; i++) {
		if (verdicts[i].status != REPRO_STATUS_MISMATCH &&
		    verdicts[i].status != REPRO_STATUS_CONTENT_IDENTICAL)
			continue;
		if (explain_verdict(cli, &arguments, release, &result, &verdicts[i], &err) != REPRO_OK)
			goto failed;
	}
	report.verdicts = verdicts;
	report.verdict_count = verdict_count;
	report.exit_status = repro_verdicts_exit_status(verdicts, verdict_count, arguments.level);
	goto done;

failed:
	repro_cli_error("%s", err.message);
	report.exit_status = 2;
	report.error = err.message;

done:
	status = emit_report(&arguments, &report);
	if (images_dir != NULL) {
		repro_error cleanup_err;

		if (repro_remove_tree(images_dir, &cleanup_err) != REPRO_OK)
			repro_cli_error("%s", cleanup_err.message);
		free(images_dir);
	}
	repro_verdicts_free(verdicts, verdict_count);
	repro_build_result_dispose(&result);
	repro_digestlist_free(list);
	repro_repo_free(repo);
	return status;
}

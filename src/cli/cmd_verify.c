/*
 * reprocheck verify: checks out a tag, rebuilds it hermetically, and
 * compares each image with the digest list committed in the repository.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/build.h>
#include <reprocheck/compare.h>
#include <reprocheck/report.h>
#include <reprocheck/sandbox.h>

#include "fileutil_internal.h"
#include "image_options.h"
#include "progress.h"
#include "reprocheck_version.h"

#define DIGEST_LIST_FILE "reprocheck-digests.json"
#define DIGEST_LIST_MAX_BYTES ((size_t)16 << 20)

typedef struct verify_arguments {
	repro_build_options build;
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
	"                  [--level manifest|content] [--keep DIR] [--no-sandbox] [--json]\n"
	"                  [--report FILE]",
	run_verify,
};

enum { OPT_REPO = 256, OPT_TAG, OPT_DIGESTS, OPT_IMAGE, OPT_LEVEL, OPT_KEEP, OPT_NO_SANDBOX,
       OPT_JSON, OPT_REPORT };

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
	repro_verdicts_free(verdicts, verdict_count);
	repro_build_result_dispose(&result);
	repro_digestlist_free(list);
	repro_repo_free(repo);
	return status;
}

/*
 * reprocheck registry --digests FILE [--tag TAG]: checks that the registry
 * serves, for each image of the release that has a reference, exactly the
 * index, manifest and config digests of the digest list. Images are
 * checked concurrently on one client, so connections are shared.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/digestlist.h>
#include <reprocheck/registry_check.h>

#include "image_options.h"

#define DEFAULT_JOBS 8

typedef struct registry_options {
	const char *digests;
	const char *tag;
	bool json;
	long jobs;
} registry_options;

static json_t *pair_json(const repro_registry_digest_pair *pair)
{
	char text[REPRO_DIGEST_STRING_MAX];
	json_t *object = json_object();

	if (pair->has_expected) {
		repro_digest_format(&pair->expected, text);
		json_object_set_new(object, "expected", json_string(text));
	}
	if (pair->has_actual) {
		repro_digest_format(&pair->actual, text);
		json_object_set_new(object, "actual", json_string(text));
	}
	return object;
}

static json_t *check_json(const repro_registry_image_check *check)
{
	json_t *object = json_object(), *platforms = json_array();

	json_object_set_new(object, "release", check->release->tag ?
	                    json_string(check->release->tag) : json_null());
	json_object_set_new(object, "name", json_string(check->image->name));
	json_object_set_new(object, "reference", json_string(check->reference[0] ?
	                    check->reference : check->image->reference));
	json_object_set_new(object, "status",
	                    json_string(repro_registry_check_status_name(check->status)));
	if (check->reason[0] != '\0')
		json_object_set_new(object, "reason", json_string(check->reason));
	if (check->index.has_expected || check->index.has_actual)
		json_object_set_new(object, "index", pair_json(&check->index));
	for (size_t i = 0; i < check->platform_count; i++) {
		const repro_registry_platform_check *platform = &check->platforms[i];
		json_t *entry = json_object();

		json_object_set_new(entry, "platform", platform->listed->platform ?
		                    json_string(platform->listed->platform) : json_null());
		json_object_set_new(entry, "status",
		                    json_string(repro_registry_check_status_name(platform->status)));
		if (platform->reason[0] != '\0')
			json_object_set_new(entry, "reason", json_string(platform->reason));
		json_object_set_new(entry, "manifest", pair_json(&platform->manifest));
		if (platform->config.has_expected || platform->config.has_actual)
			json_object_set_new(entry, "config", pair_json(&platform->config));
		json_array_append_new(platforms, entry);
	}
	json_object_set_new(object, "platforms", platforms);
	return object;
}

static void print_table(const repro_registry_image_check *checks, size_t count)
{
	char digest[REPRO_DIGEST_STRING_MAX];

	printf("%-12s %-20s %-16s %-10s %s\n", "TAG", "IMAGE", "PLATFORM", "STATUS", "DETAIL");
	for (size_t i = 0; i < count; i++) {
		const repro_registry_image_check *check = &checks[i];

		for (size_t p = 0; p < check->platform_count; p++) {
			const repro_registry_platform_check *platform = &check->platforms[p];

			if (platform->status == REPRO_REGISTRY_CHECK_IDENTICAL)
				repro_digest_format(&platform->manifest.actual, digest);
			printf("%-12s %-20s %-16s %-10s %s\n",
			       check->release->tag ? check->release->tag : "-", check->image->name,
			       platform->listed->platform ? platform->listed->platform : "-",
			       repro_registry_check_status_name(platform->status),
			       platform->status == REPRO_REGISTRY_CHECK_IDENTICAL ? digest : platform->reason);
		}
		if (check->status != REPRO_REGISTRY_CHECK_IDENTICAL && check->reason[0] != '\0')
			fprintf(stderr, "reprocheck: %s (%s): %s\n", check->image->name,
			        check->reference[0] ? check->reference : check->image->reference,
			        check->reason);
	}
}

static int parse_options(registry_options *options, int argc, char **argv);

static int run_registry(const repro_cli *cli, int argc, char **argv);

const repro_command repro_command_registry = {
	"registry",
	"check that a registry serves exactly the digests of a digest list",
	"reprocheck registry --digests FILE [--tag TAG] [--jobs N] [--json]",
	"options:\n"
	"  --digests FILE   digest list whose images name a 'reference' (JSON or plain text)\n"
	"  --tag TAG        check this release only (default: every release)\n"
	"  --jobs N         check up to N images at once, 1 to 64 (default 8)\n"
	"  --json           print one JSON document (docs/JSON-OUTPUT.md)\n",
	run_registry,
};

static int parse_options(registry_options *options, int argc, char **argv)
{
	static const struct option long_options[] = {
		{"digests", required_argument, NULL, 'd'},
		{"tag", required_argument, NULL, 't'},
		{"jobs", required_argument, NULL, 'j'},
		{"json", no_argument, NULL, 'J'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int option;

	memset(options, 0, sizeof(*options));
	options->jobs = DEFAULT_JOBS;
	opterr = 0;
	while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (option) {
		case 'd': options->digests = optarg; break;
		case 't': options->tag = optarg; break;
		case 'J': options->json = true; break;
		case 'j':
			options->jobs = strtol(optarg, &end, 10);
			if (*end != '\0' || options->jobs < 1 || options->jobs > REPRO_REGISTRY_CHECK_MAX_JOBS)
				return repro_cli_usage_error(&repro_command_registry, "invalid --jobs '%s': "
				                             "expected a number from 1 to %d", optarg,
				                             REPRO_REGISTRY_CHECK_MAX_JOBS);
			break;
		default:
			return repro_cli_usage_error(&repro_command_registry, "unknown option '%s'",
			                             argv[optind - 1]);
		}
	}
	if (optind < argc)
		return repro_cli_usage_error(&repro_command_registry, "unexpected argument '%s'",
		                             argv[optind]);
	if (options->digests == NULL)
		return repro_cli_usage_error(&repro_command_registry, "missing --digests FILE");
	return 0;
}

static int run_registry(const repro_cli *cli, int argc, char **argv)
{
	registry_options options;
	repro_registry_settings settings;
	repro_digestlist *list = NULL;
	repro_registry *registry = NULL;
	repro_registry_image_check *checks = NULL;
	size_t count = 0;
	repro_error err;
	json_t *document, *images;
	int status;

	if ((status = parse_options(&options, argc, argv)) != 0)
		return status;
	repro_error_clear(&err);
	cli_registry_settings(cli, &settings);
	if (repro_digestlist_load(&list, options.digests, &err) != REPRO_OK ||
	    repro_registry_check_collect(list, options.tag, &checks, &count, &err) != REPRO_OK ||
	    repro_registry_new(&registry, &settings, &err) != REPRO_OK) {
		status = repro_cli_fail(&err);
		if (options.json) {
			document = json_pack("{s:s, s:s, s:s, s:[]}", "digests", options.digests, "status",
			                     status_word(status), "reason", err.message, "images");
			print_json_document(document);
			json_decref(document);
		}
		goto done;
	}
	repro_cli_log(cli, 1, "checking %zu image%s with %ld jobs", count, count == 1 ? "" : "s",
	              options.jobs);
	repro_registry_check_all(registry, checks, count, options.jobs);
	status = repro_registry_checks_exit_status(checks, count);

	if (options.json) {
		images = json_array();
		for (size_t i = 0; i < count; i++)
			json_array_append_new(images, check_json(&checks[i]));
		document = json_pack("{s:s, s:o, s:s, s:o}", "digests", options.digests, "tag",
		                     options.tag ? json_string(options.tag) : json_null(), "status",
		                     status_word(status), "images", images);
		print_json_document(document);
		json_decref(document);
	} else {
		print_table(checks, count);
	}

done:
	repro_registry_checks_free(checks, count);
	repro_registry_free(registry);
	repro_digestlist_free(list);
	return status;
}

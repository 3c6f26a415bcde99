/*
 * reprocheck push SOURCE REFERENCE: uploads an image byte for byte with the
 * push module and prints the digest the registry serves.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/push.h>

#include "image_options.h"

static void log_push(void *context, const char *message)
{
	repro_cli_log(context, 1, "%s", message);
}

static int print_result(const repro_push_result *pushed, const repro_reference *target,
                        const char *spec, const char *reference, bool json,
                        const repro_error *err)
{
	char digest[REPRO_DIGEST_STRING_MAX] = "", name[REPRO_REFERENCE_STRING_MAX];
	int status = err->code == REPRO_OK ? 0 : repro_cli_fail(err);
	json_t *document;

	if (err->code == REPRO_OK)
		repro_digest_format(&pushed->digest, digest);
	if (json) {
		document = json_pack("{s:s, s:s, s:s}", "source", spec, "reference", reference,
		                     "status", status_word(status));
		if (status != 0)
			json_object_set_new(document, "reason", json_string(err->message));
		if (status == 0) {
			json_object_set_new(document, "digest", json_string(digest));
			json_object_set_new(document, "mediaType", json_string(pushed->media_type));
		}
		json_object_set_new(document, "blobs", json_pack("{s:I, s:I, s:I}",
			"uploaded", (json_int_t)pushed->counts.uploaded,
			"skipped", (json_int_t)pushed->counts.skipped,
			"mounted", (json_int_t)pushed->counts.mounted));
		json_object_set_new(document, "manifests",
		                    json_integer((json_int_t)pushed->counts.manifests));
		print_json_document(document);
		json_decref(document);
	} else if (status == 0) {
		repro_reference_format_name(target, name);
		printf("%s@%s\n", name, digest);
	}
	return status;
}

static int run_push(const repro_cli *cli, int argc, char **argv);

const repro_command repro_command_push = {
	"push",
	"upload an image to a registry byte for byte and check what the registry serves",
	"reprocheck push SOURCE REFERENCE [--json]",
	"options:\n"
	"  SOURCE        the image to upload, from any source (see 'reprocheck help digest')\n"
	"  REFERENCE     where to upload it: HOST[:PORT]/PATH[:TAG]\n"
	"  --json        print one JSON document with the pushed digest and blob counts\n"
	"Blobs the registry has are skipped, blobs of the source's repository on the\n"
	"same registry are mounted, and the pushed manifest is read back and checked.\n",
	run_push,
};

static int run_push(const repro_cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	repro_registry_settings settings;
	repro_registry *registry = NULL;
	repro_source *source = NULL;
	repro_reference target;
	repro_push_options push_options = {log_push, (void *)(uintptr_t)cli};
	repro_push_result pushed;
	repro_error err;
	bool json = false;
	int option, status;

	opterr = 0;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (option != 'j')
			return repro_cli_usage_error(&repro_command_push, "unknown option '%s'",
			                             argv[optind - 1]);
		json = true;
	}
	if (argc - optind != 2)
		return repro_cli_usage_error(&repro_command_push, "expected SOURCE and REFERENCE");

	memset(&target, 0, sizeof(target));
	memset(&pushed, 0, sizeof(pushed));
	repro_error_clear(&err);
	cli_registry_settings(cli, &settings);
	if (repro_reference_parse(&target, argv[optind + 1], &err) == REPRO_OK &&
	    repro_registry_new(&registry, &settings, &err) == REPRO_OK &&
	    cli_source_open(cli, &source, argv[optind], &err) == REPRO_OK)
		if (repro_push_image(registry, source, argv[optind], &target, &push_options, &pushed,
		                     &err) == REPRO_OK)
			repro_error_clear(&err);  /* a retried request may have left a message */
	status = print_result(&pushed, &target, argv[optind], argv[optind + 1], json, &err);

	repro_source_free(source);
	repro_registry_free(registry);
	repro_reference_dispose(&target);
	return status;
}

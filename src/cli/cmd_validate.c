/*
 * reprocheck validate SOURCE: recomputes and checks every digest, size,
 * diff_id, media type and platform of an image, and looks for duplicate
 * and unsafe paths inside its layers. Exit 1 when any problem is found.
 */
#include <stdlib.h>
#include <string.h>

#include <reprocheck/scan.h>

#include "image_options.h"

static json_t *problem_json(const repro_problem *problem)
{
	json_t *object = json_object();

	json_object_set_new(object, "object", json_string(problem->object));
	json_object_set_new(object, "check", json_string(repro_check_name(problem->check)));
	if (problem->expected != NULL)
		json_object_set_new(object, "expected", json_string(problem->expected));
	if (problem->actual != NULL)
		json_object_set_new(object, "actual", json_string(problem->actual));
	json_object_set_new(object, "message", json_string(problem->message));
	return object;
}

static json_t *image_json(const repro_resolved_image *image, const char *status,
                          const char *reason, const repro_image_scan *scan)
{
	char platform[256], manifest[REPRO_DIGEST_STRING_MAX];
	json_t *object = json_object(), *problems = json_array();

	repro_platform_format(&image->platform, platform, sizeof(platform));
	repro_digest_format(&image->manifest_descriptor.digest, manifest);
	json_object_set_new(object, "platform", json_string(platform));
	json_object_set_new(object, "manifest", json_string(manifest));
	json_object_set_new(object, "status", json_string(status));
	if (reason != NULL)
		json_object_set_new(object, "reason", json_string(reason));
	for (size_t i = 0; scan != NULL && i < scan->problem_count; i++)
		json_array_append_new(problems, problem_json(&scan->problems[i]));
	json_object_set_new(object, "problems", problems);
	return object;
}

/* Validates one image and prints the verdict; returns its exit status. */
static int validate_image(repro_source *source, const repro_resolved_image *image,
                          const image_options *options, json_t *images,
                          progress_printer *printer)
{
	char platform[256], manifest[REPRO_DIGEST_STRING_MAX];
	repro_image_scan scan;
	repro_error err;
	int status;

	repro_platform_format(&image->platform, platform, sizeof(platform));
	repro_digest_format(&image->manifest_descriptor.digest, manifest);
	if (image_options_scan(options, source, image, printer, &scan, &err) != REPRO_OK) {
		status = repro_cli_fail(&err);
		if (options->json)
			json_array_append_new(images, image_json(image, "error", err.message, NULL));
		else
			printf("%s  %s  error: %s\n", platform, manifest, err.message);
		return status;
	}

	status = scan.problem_count == 0 ? 0 : 1;
	if (options->json) {
		json_array_append_new(images, image_json(image, status ? "invalid" : "valid", NULL,
		                                         &scan));
	} else if (status == 0) {
		printf("%s  %s  valid: %zu layer%s checked\n", platform, manifest, scan.layer_count,
		       scan.layer_count == 1 ? "" : "s");
	} else {
		printf("%s  %s  invalid: %zu problem%s\n", platform, manifest, scan.problem_count,
		       scan.problem_count == 1 ? "" : "s");
		for (size_t i = 0; i < scan.problem_count; i++)
			printf("  %s: %s\n", repro_check_name(scan.problems[i].check),
			       scan.problems[i].message);
	}
	repro_image_scan_dispose(&scan);
	return status;
}

static int run_validate(const repro_cli *cli, int argc, char **argv);

const repro_command repro_command_validate = {
	"validate",
	"recompute and check every digest, size, diff_id and media type of an image",
	"reprocheck validate SOURCE [--platform OS/ARCH[/VARIANT] | --all-platforms]\n                  [--max-layer-size SIZE] [--json]",
	IMAGE_OPTIONS_HELP,
	run_validate,
};

/* A source that cannot be resolved is still a finding when one of its own
 * objects disagrees with its descriptor; other failures leave no verdict. */
static int report_unresolved(const image_options *options, const repro_error *err)
{
	int status = repro_cli_fail(err);

	if (options->json) {
		json_t *document = json_pack("{s:s, s:s, s:s, s:[]}", "source", options->spec,
		                             "status", status_word(status), "reason", err->message,
		                             "images");
		print_json_document(document);
		json_decref(document);
	} else if (status == 1) {
		printf("%s  invalid: %s\n", options->spec, err->message);
	}
	return status;
}

static int run_validate(const repro_cli *cli, int argc, char **argv)
{
	image_options options;
	repro_source *source = NULL;
	repro_resolved_image *images = NULL;
	size_t count = 0;
	repro_error err;
	json_t *image_array = NULL;
	progress_printer printer;
	int status;

	status = image_options_parse(&options, &repro_command_validate, argc, argv);
	if (status != 0)
		return status;
	repro_error_clear(&err);
	progress_init(&printer, cli);
	if (image_options_resolve(cli, &options, &source, &images, &count, &err) != REPRO_OK) {
		status = report_unresolved(&options, &err);
		goto done;
	}
	repro_cli_log(cli, 1, "validating %zu image%s in '%s'", count, count == 1 ? "" : "s",
	              options.spec);

	if (options.json)
		image_array = json_array();
	for (size_t i = 0; i < count; i++) {
		int image_status = validate_image(source, &images[i], &options, image_array, &printer);

		if (image_status > status)
			status = image_status;
	}
	if (options.json) {
		json_t *document = json_pack("{s:s, s:s, s:o}", "source", options.spec, "status",
		                             status_word(status), "images", image_array);

		print_json_document(document);
		json_decref(document);
	}

done:
	repro_resolved_images_free(images, count);
	repro_source_free(source);
	return status;
}

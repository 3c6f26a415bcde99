/*
 * reprocheck digest SOURCE: prints the index, manifest, config and layer
 * digests of each selected platform image, with each layer's digest and
 * diff_id computed from its bytes in one pass.
 */
#include <stdlib.h>
#include <string.h>

#include <reprocheck/scan.h>

#include "image_options.h"

/* A layer problem that makes the computed digests untrustworthy. */
static bool is_blob_problem(const repro_problem *problem)
{
	return problem->check == REPRO_CHECK_DIGEST || problem->check == REPRO_CHECK_SIZE ||
	       problem->check == REPRO_CHECK_FORMAT || problem->check == REPRO_CHECK_MISSING;
}

static json_t *descriptor_json(const repro_descriptor *descriptor)
{
	char digest[REPRO_DIGEST_STRING_MAX];

	repro_digest_format(&descriptor->digest, digest);
	return json_pack("{s:s, s:s, s:I}", "mediaType", descriptor->media_type, "digest", digest,
	                 "size", (json_int_t)descriptor->size);
}

static json_t *image_json(const repro_resolved_image *image, const repro_image_scan *scan,
                          const char *status, const char *reason)
{
	char text[REPRO_DIGEST_STRING_MAX], platform[256];
	json_t *object = json_object(), *layers = json_array();

	repro_platform_format(&image->platform, platform, sizeof(platform));
	json_object_set_new(object, "platform", json_string(platform));
	json_object_set_new(object, "status", json_string(status));
	if (reason != NULL)
		json_object_set_new(object, "reason", json_string(reason));
	if (image->has_index) {
		repro_digest_format(&image->index_digest, text);
		json_object_set_new(object, "index", json_string(text));
	}
	json_object_set_new(object, "manifest", descriptor_json(&image->manifest_descriptor));
	json_object_set_new(object, "config", descriptor_json(&image->config_descriptor));
	for (size_t i = 0; i < scan->layer_count; i++) {
		const repro_layer_scan *layer = &scan->layers[i];
		const repro_descriptor *descriptor = &image->manifest->layers[i];
		json_t *entry = json_object();

		json_object_set_new(entry, "mediaType", json_string(descriptor->media_type));
		repro_digest_format(layer->complete ? &layer->blob_digest : &descriptor->digest, text);
		json_object_set_new(entry, "digest", json_string(text));
		json_object_set_new(entry, "size", json_integer(layer->complete ?
			(json_int_t)layer->blob_size : (json_int_t)descriptor->size));
		if (layer->complete) {
			repro_digest_format(&layer->diff_id, text);
			json_object_set_new(entry, "diffId", json_string(text));
		}
		json_array_append_new(layers, entry);
	}
	json_object_set_new(object, "layers", layers);
	return object;
}

static void print_descriptor_line(const char *label, const repro_descriptor *descriptor)
{
	char digest[REPRO_DIGEST_STRING_MAX];

	repro_digest_format(&descriptor->digest, digest);
	printf("%-9s%s  %s  %lld bytes\n", label, digest, descriptor->media_type,
	       (long long)descriptor->size);
}

static void print_image_text(const repro_resolved_image *image, const repro_image_scan *scan)
{
	char text[REPRO_DIGEST_STRING_MAX], platform[256];

	repro_platform_format(&image->platform, platform, sizeof(platform));
	printf("platform %s\n", platform);
	if (image->has_index) {
		repro_digest_format(&image->index_digest, text);
		printf("index    %s\n", text);
	}
	print_descriptor_line("manifest", &image->manifest_descriptor);
	print_descriptor_line("config", &image->config_descriptor);
	for (size_t i = 0; i < scan->layer_count; i++) {
		const repro_layer_scan *layer = &scan->layers[i];
		const repro_descriptor *descriptor = &image->manifest->layers[i];
		char label[32];

		snprintf(label, sizeof(label), "layer %zu", i);
		if (!layer->complete) {
			printf("%-9snot read\n", label);
			continue;
		}
		repro_digest_format(&layer->blob_digest, text);
		printf("%-9s%s  %s  %llu bytes\n", label, text, descriptor->media_type,
		       (unsigned long long)layer->blob_size);
		if (!repro_digest_equal(&layer->blob_digest, &descriptor->digest)) {
			repro_digest_format(&descriptor->digest, text);
			printf("         MISMATCH: the manifest names %s\n", text);
		}
		repro_digest_format(&layer->diff_id, text);
		printf("         diff_id %s\n", text);
	}
}

/* Scans one image and prints it; returns its exit status. */
static int digest_image(repro_source *source, const repro_resolved_image *image,
                        const image_options *options, json_t *images, bool first,
                        progress_printer *printer)
{
	repro_image_scan scan;
	repro_error err;
	int status = 0;
	const char *reason = NULL;

	if (image_options_scan(options, source, image, printer, &scan, &err) != REPRO_OK) {
		status = repro_cli_fail(&err);
		if (options->json) {
			char platform[256];

			repro_platform_format(&image->platform, platform, sizeof(platform));
			json_array_append_new(images, json_pack("{s:s, s:s, s:s}", "platform", platform,
			                                        "status", "error", "reason", err.message));
		}
		return status;
	}
	for (size_t i = 0; i < scan.problem_count; i++) {
		if (!is_blob_problem(&scan.problems[i]))
			continue;
		repro_cli_error("%s", scan.problems[i].message);
		if (reason == NULL)
			reason = scan.problems[i].message;
		status = 1;
	}
	if (options->json) {
		json_array_append_new(images, image_json(image, &scan, status ? "mismatch" : "ok",
		                                         reason));
	} else {
		if (!first)
			putchar('\n');
		print_image_text(image, &scan);
	}
	repro_image_scan_dispose(&scan);
	return status;
}

static int run_digest(const repro_cli *cli, int argc, char **argv);

const repro_command repro_command_digest = {
	"digest",
	"print the index, manifest, config and layer digests of an image",
	"reprocheck digest SOURCE [--platform OS/ARCH[/VARIANT] | --all-platforms]\n                  [--max-layer-size SIZE] [--json]",
	IMAGE_OPTIONS_HELP,
	run_digest,
};

static int run_digest(const repro_cli *cli, int argc, char **argv)
{
	image_options options;
	repro_source *source = NULL;
	repro_resolved_image *images = NULL;
	size_t count = 0;
	repro_error err;
	json_t *document = NULL, *image_array = NULL;
	progress_printer printer;
	int status;

	status = image_options_parse(&options, &repro_command_digest, argc, argv);
	if (status != 0)
		return status;
	repro_error_clear(&err);
	progress_init(&printer, cli);
	if (image_options_resolve(cli, &options, &source, &images, &count, &err) != REPRO_OK) {
		status = repro_cli_fail(&err);
		if (options.json) {
			document = json_pack("{s:s, s:s, s:s, s:[]}", "source", options.spec, "status",
			                     status_word(status), "reason", err.message, "images");
			print_json_document(document);
			json_decref(document);
		}
		goto done;
	}
	repro_cli_log(cli, 1, "resolved %zu image%s in '%s'", count, count == 1 ? "" : "s",
	              options.spec);

	if (options.json) {
		document = json_object();
		image_array = json_array();
	}
	for (size_t i = 0; i < count; i++) {
		int image_status = digest_image(source, &images[i], &options, image_array, i == 0,
		                                &printer);

		if (image_status > status)
			status = image_status;
	}
	if (options.json) {
		json_object_set_new(document, "source", json_string(options.spec));
		json_object_set_new(document, "status", json_string(status_word(status)));
		json_object_set_new(document, "images", image_array);
		print_json_document(document);
		json_decref(document);
	}

done:
	repro_resolved_images_free(images, count);
	repro_source_free(source);
	return status;
}

/*
 * Options shared by the commands that read one image source: --platform,
 * --all-platforms and --json, and the steps from a spec to scanned images.
 */
#ifndef REPROCHECK_CLI_IMAGE_OPTIONS_H
#define REPROCHECK_CLI_IMAGE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <reprocheck/registry.h>
#include <reprocheck/scan.h>
#include <reprocheck/source.h>

#include "cli.h"
#include "progress.h"

/* The options section of "reprocheck help" for digest and validate. */
#define IMAGE_OPTIONS_HELP \
	"options:\n" \
	"  SOURCE                  oci:PATH[:REF], oci-archive:PATH[:REF],\n" \
	"                          docker-archive:PATH[:NAME:TAG], docker://REFERENCE,\n" \
	"                          a registry reference, or a path that is detected\n" \
	"  --platform OS/ARCH[/VARIANT]  the platform image to read from an index\n" \
	"                          (default linux/amd64)\n" \
	"  --all-platforms         every platform image of an index, attestations excepted\n" \
	"  --max-layer-size SIZE   stop reading a layer that inflates to more than SIZE\n" \
	"                          bytes; K, M, G and T suffixes (powers of 1024), default 64G\n" \
	"  --json                  print one JSON document (docs/JSON-OUTPUT.md)\n"

typedef struct image_options {
	const char *spec;
	const char *platform;  /* --platform value, or NULL */
	bool all_platforms;
	bool json;
	uint64_t max_layer_size;  /* --max-layer-size, uncompressed bytes per layer; 0 = default */
} image_options;

/* Parses "SOURCE [--platform P | --all-platforms] [--max-layer-size SIZE] [--json]". Returns 0, or
 * the exit status 2 after printing a usage error. */
int image_options_parse(image_options *options, const repro_command *command, int argc,
                        char **argv);

/* Opens options->spec (with the registry settings of the global options)
 * and resolves the images that --platform or
 * --all-platforms select. The caller frees @p images with
 * repro_resolved_images_free() and @p source with repro_source_free(), on
 * failure too. */
int image_options_resolve(const repro_cli *cli, const image_options *options,
                          repro_source **source,
                          repro_resolved_image **images, size_t *count, repro_error *err);

/* Scans @p image with the --max-layer-size limit and progress on @p printer.
 * A size-limit error names the option that raises the limit. On success the
 * caller disposes @p scan. */
int image_options_scan(const image_options *options, repro_source *source,
                       const repro_resolved_image *image, progress_printer *printer,
                       repro_image_scan *scan, repro_error *err);

/* Parses a byte count with an optional K, M, G or T suffix (powers of
 * 1024); returns false when @p text is not one. */
bool parse_size(const char *text, uint64_t *out);

/* Fills @p settings from the global options --registry-config, --ca-file
 * and --insecure-registry, logging retries to stderr with -v and requests
 * with -vv. The settings borrow from @p cli. */
void cli_registry_settings(const repro_cli *cli, repro_registry_settings *settings);

/* Opens the source @p spec with the registry settings of @p cli. */
int cli_source_open(const repro_cli *cli, repro_source **out, const char *spec,
                    repro_error *err);

/* Prints @p document compactly on stdout, followed by a newline. */
int print_json_document(json_t *document);

/* Returns "pass", "fail" or "error" for an exit status. */
const char *status_word(int exit_status);

#endif

#include "image_options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPTION_PLATFORM = 256, OPTION_ALL_PLATFORMS, OPTION_JSON, OPTION_MAX_LAYER_SIZE };

bool parse_size(const char *text, uint64_t *out)
{
	char *end = NULL;
	unsigned long long value;
	unsigned shift = 0;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno != 0)
		return false;
	switch (*end) {
	case '\0': break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: return false;
	}
	if (*end != '\0' || value == 0 || value > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)value << shift;
	return true;
}

int image_options_parse(image_options *options, const repro_command *command, int argc,
                        char **argv)
{
	static const struct option long_options[] = {
		{"platform", required_argument, NULL, OPTION_PLATFORM},
		{"all-platforms", no_argument, NULL, OPTION_ALL_PLATFORMS},
		{"json", no_argument, NULL, OPTION_JSON},
		{"max-layer-size", required_argument, NULL, OPTION_MAX_LAYER_SIZE},
		{NULL, 0, NULL, 0},
	};
	int option;

	memset(options, 0, sizeof(*options));
	opterr = 0;
	optind = 1;
	while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (option) {
		case OPTION_PLATFORM:
			options->platform = optarg;
			break;
		case OPTION_ALL_PLATFORMS:
			options->all_platforms = true;
			break;
		case OPTION_JSON:
			options->json = true;
			break;
		case OPTION_MAX_LAYER_SIZE:
			if (!parse_size(optarg, &options->max_layer_size))
				return repro_cli_usage_error(command, "invalid --max-layer-size '%s': expected a "
				                             "positive byte count such as 512M or 64G", optarg);
			break;
		default:
			return repro_cli_usage_error(command, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return repro_cli_usage_error(command, "missing SOURCE");
	if (optind + 1 < argc)
		return repro_cli_usage_error(command, "unexpected argument '%s'", argv[optind + 1]);
	if (options->platform != NULL && options->all_platforms)
		return repro_cli_usage_error(command, "--platform and --all-platforms exclude each other");
	options->spec = argv[optind];
	return 0;
}

int image_options_resolve(const repro_cli *cli, const image_options *options,
                          repro_source **source,
                          repro_resolved_image **images, size_t *count, repro_error *err)
{
	repro_platform_selector selector;
	int result = REPRO_OK;

	*source = NULL;
	*images = NULL;
	*count = 0;
	memset(&selector, 0, sizeof(selector));
	selector.all = options->all_platforms;
	if (options->platform != NULL) {
		result = repro_platform_parse(&selector.platform, options->platform, err);
		if (result != REPRO_OK)
			return repro_error_prefix(err, "--platform");
		selector.has_platform = true;
	}
	result = cli_source_open(cli, source, options->spec, err);
	if (result == REPRO_OK)
		result = repro_source_resolve(*source, &selector, images, count, err);
	repro_platform_dispose(&selector.platform);
	return result;
}

static void hint_layer_limit(repro_error *err)
{
	size_t used = strlen(err->message);

	if (err->code != REPRO_ELIMIT || strstr(err->message, "max_uncompressed_bytes") == NULL)
		return;
	snprintf(err->message + used, sizeof(err->message) - used,
	         "; if the layer is legitimate, raise the limit with --max-layer-size");
}

int image_options_scan(const image_options *options, repro_source *source,
                       const repro_resolved_image *image, progress_printer *printer,
                       repro_image_scan *scan, repro_error *err)
{
	repro_scan_options scan_options;
	int result;

	repro_error_clear(err);
	repro_scan_options_init(&scan_options);
	if (options->max_layer_size != 0)
		scan_options.max_uncompressed_bytes = options->max_layer_size;
	if (printer->live || printer->log) {
		scan_options.progress = progress_scan;
		scan_options.progress_context = printer;
	}
	result = repro_image_scan_run(source, image, &scan_options, scan, err);
	progress_clear(printer);
	if (result != REPRO_OK)
		hint_layer_limit(err);
	return result;
}

int print_json_document(json_t *document)
{
	repro_error err;
	char *text = NULL;
	size_t size = 0;

	if (repro_json_dump(document, &text, &size, &err) != REPRO_OK)
		return repro_cli_fail(&err);
	fwrite(text, 1, size, stdout);
	fputc('\n', stdout);
	free(text);
	return 0;
}

const char *status_word(int exit_status)
{
	if (exit_status == 0)
		return "pass";
	return exit_status == 1 ? "fail" : "error";
}

static void log_registry(void *context, int level, const char *message)
{
	const repro_cli *cli = context;

	repro_cli_log(cli, level, "%s", message);
}

void cli_registry_settings(const repro_cli *cli, repro_registry_settings *settings)
{
	repro_registry_settings_init(settings);
	settings->config_path = cli->registry_config;
	settings->ca_file = cli->ca_file;
	settings->insecure_hosts = cli->insecure_hosts;
	settings->insecure_host_count = cli->insecure_host_count;
	settings->log = log_registry;
	/* The log callback only reads the options. */
	settings->log_context = (void *)(uintptr_t)cli;
}

int cli_source_open(const repro_cli *cli, repro_source **out, const char *spec,
                    repro_error *err)
{
	repro_registry_settings settings;
	repro_source_options options;

	cli_registry_settings(cli, &settings);
	memset(&options, 0, sizeof(options));
	options.registry = &settings;
	return repro_source_open_with(out, spec, &options, err);
}

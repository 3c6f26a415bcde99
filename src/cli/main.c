#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reprocheck_version.h"

extern const repro_command repro_command_digest;
extern const repro_command repro_command_validate;
extern const repro_command repro_command_build;
extern const repro_command repro_command_verify;
extern const repro_command repro_command_diff;
extern const repro_command repro_command_push;
extern const repro_command repro_command_registry;
extern const repro_command repro_command_vary;
extern const repro_command repro_command_cluster;

/* One line per command, in the order of the help text; the list ends with NULL. */
static const repro_command *const commands[] = {
	&repro_command_digest,
	&repro_command_validate,
	&repro_command_build,
	&repro_command_verify,
	&repro_command_diff,
	&repro_command_push,
	&repro_command_registry,
	&repro_command_vary,
	&repro_command_cluster,
	NULL,
};

void repro_cli_error(const char *format, ...)
{
	va_list args;

	fputs("reprocheck: ", stderr);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
}

int repro_cli_fail(const repro_error *err)
{
	repro_cli_error("%s", err->message[0] ? err->message : repro_error_code_name(err->code));
	return repro_error_exit_status(err->code);
}

int repro_cli_usage_error(const repro_command *command, const char *format, ...)
{
	va_list args;

	fputs("reprocheck: ", stderr);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fprintf(stderr, "\nusage: %s\nrun 'reprocheck help %s' for details\n", command->usage,
	        command->name);
	return 2;
}

void repro_cli_log(const repro_cli *cli, int level, const char *format, ...)
{
	va_list args;

	if (cli->verbosity < level)
		return;
	fputs("reprocheck: ", stderr);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
}

const repro_command *repro_cli_find_command(const char *name)
{
	for (size_t i = 0; commands[i] != NULL; i++) {
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	}
	return NULL;
}

static void print_overview(FILE *out)
{
	fputs("usage: reprocheck [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
	      "Checks that container images are exactly what their source builds.\n\n"
	      "commands:\n", out);
	for (size_t i = 0; commands[i] != NULL; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\nglobal options:\n"
	      "  -v, --verbose              log more to stderr (repeatable)\n"
	      "  -q, --quiet                log nothing but errors\n"
	      "  --registry-config FILE     Docker config.json with registry credentials\n"
	      "  --ca-file FILE             CA certificates for registry TLS\n"
	      "  --insecure-registry HOST[:PORT]\n"
	      "                             allow plain HTTP or unverified TLS for that host\n"
	      "  --version                  print the version and exit\n"
	      "  -h, --help                 print this help, or 'help COMMAND' for one command\n\n"
	      "exit status: 0 all checked items match or are valid, 1 a mismatch or an invalid\n"
	      "image was found, 2 no verdict (usage, input, I/O or network error)\n", out);
}

static int print_help(const char *name)
{
	const repro_command *command;

	if (name == NULL) {
		print_overview(stdout);
		return 0;
	}
	command = repro_cli_find_command(name);
	if (command == NULL) {
		repro_cli_error("unknown command '%s': run 'reprocheck --help' for the list", name);
		return 2;
	}
	printf("usage: %s\n\n%s.\n\n%s", command->usage, command->summary, command->options);
	printf("\nexit status: 0 everything checked matches or is valid, 1 a definite negative\n"
	       "finding, 2 no verdict (usage, input, I/O, network or build failure)\n"
	       "global options: run 'reprocheck --help'\n");
	return 0;
}

/* Global options may come before or after the command name, so they are
 * taken out of argv first; whatever remains belongs to the command. */
static int take_global_options(repro_cli *cli, int *argc, char **argv, bool *show_version,
                               bool *show_help)
{
	int kept = 1;

	for (int i = 1; i < *argc; i++) {
		const char *arg = argv[i];
		const char **value_slot = NULL;
		const char *value = NULL;

		if (strcmp(arg, "--") == 0) {
			while (i < *argc)
				argv[kept++] = argv[i++];
			break;
		}
		if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
			cli->verbosity = cli->verbosity < 0 ? 1 : cli->verbosity + 1;
			continue;
		}
		if (strcmp(arg, "-vv") == 0) {
			cli->verbosity = 2;
			continue;
		}
		if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
			cli->verbosity = -1;
			continue;
		}
		if (strcmp(arg, "--version") == 0) {
			*show_version = true;
			continue;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			*show_help = true;
			continue;
		}

		static const char *const valued[] = {"--registry-config", "--ca-file",
		                                     "--insecure-registry"};
		for (size_t k = 0; k < 3 && value_slot == NULL; k++) {
			size_t length = strlen(valued[k]);

			if (strncmp(arg, valued[k], length) != 0)
				continue;
			if (arg[length] == '=') {
				value = arg + length + 1;
			} else if (arg[length] == '\0') {
				if (i + 1 >= *argc) {
					repro_cli_error("option '%s' needs a value", valued[k]);
					return -1;
				}
				value = argv[++i];
			} else {
				continue;
			}
			if (k == 0) {
				value_slot = &cli->registry_config;
			} else if (k == 1) {
				value_slot = &cli->ca_file;
			} else {
				const char **grown = realloc(cli->insecure_hosts,
					(cli->insecure_host_count + 1) * sizeof(*grown));

				if (grown == NULL) {
					repro_cli_error("out of memory");
					return -1;
				}
				cli->insecure_hosts = grown;
				value_slot = &cli->insecure_hosts[cli->insecure_host_count++];
			}
		}
		if (value_slot != NULL) {
			if (value[0] == '\0') {
				repro_cli_error("option '%s' needs a non-empty value", arg);
				return -1;
			}
			*value_slot = value;
			continue;
		}
		argv[kept++] = argv[i];
	}
	*argc = kept;
	argv[kept] = NULL;
	return 0;
}

int main(int argc, char **argv)
{
	repro_cli cli;
	bool show_version = false, show_help = false;
	const repro_command *command;
	int status;

	memset(&cli, 0, sizeof(cli));
	cli.stderr_is_terminal = isatty(STDERR_FILENO) == 1;
	if (take_global_options(&cli, &argc, argv, &show_version, &show_help) != 0) {
		free(cli.insecure_hosts);
		return 2;
	}

	if (show_version) {
		printf("reprocheck %s\n", REPROCHECK_VERSION);
		free(cli.insecure_hosts);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "help") == 0 || show_help) {
		const char *name = argc >= 3 && strcmp(argv[1], "help") == 0 ? argv[2] :
		                   argc >= 2 && strcmp(argv[1], "help") != 0 ? argv[1] : NULL;

		free(cli.insecure_hosts);
		if (argc < 2 && !show_help) {
			print_overview(stderr);
			return 2;
		}
		return print_help(name);
	}

	command = repro_cli_find_command(argv[1]);
	if (command == NULL && argv[1][0] == '-') {
		repro_cli_error("unknown global option '%s': run 'reprocheck --help' for the list",
		                argv[1]);
		free(cli.insecure_hosts);
		return 2;
	}
	if (command == NULL) {
		repro_cli_error("unknown command '%s': run 'reprocheck --help' for the list", argv[1]);
		free(cli.insecure_hosts);
		return 2;
	}
	optind = 1;
	status = command->run(&cli, argc - 1, argv + 1);
	free(cli.insecure_hosts);
	return status;
}

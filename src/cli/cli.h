/*
 * Shared declarations of the command-line tool: the global options and one
 * entry point per command. Each command lives in cmd_<name>.c.
 */
#ifndef REPROCHECK_CLI_H
#define REPROCHECK_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <reprocheck/error.h>

/* Global options, accepted before or after the command name. */
typedef struct repro_cli {
	int verbosity;                /* -v adds one, -q sets -1 */
	const char *registry_config;  /* --registry-config FILE */
	const char *ca_file;          /* --ca-file FILE */
	const char **insecure_hosts;  /* --insecure-registry HOST[:PORT], repeatable */
	size_t insecure_host_count;
	bool stderr_is_terminal;
} repro_cli;

/* A command: its name, one-line summary, usage line, the description of
 * its options for 'reprocheck help COMMAND', and entry point. The entry
 * point receives the arguments after the command name, with the global
 * options removed, and returns the exit status 0, 1 or 2. */
typedef struct repro_command {
	const char *name;
	const char *summary;
	const char *usage;
	const char *options;
	int (*run)(const repro_cli *cli, int argc, char **argv);
} repro_command;

/* Prints "reprocheck: MESSAGE" to stderr, unless -q was given for warnings. */
void repro_cli_error(const char *format, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

/* Prints the error in @p err and returns its exit status. */
int repro_cli_fail(const repro_error *err);

/* Prints a usage error for @p command and returns 2. */
int repro_cli_usage_error(const repro_command *command, const char *format, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* Logs to stderr when the verbosity is at least @p level. */
void repro_cli_log(const repro_cli *cli, int level, const char *format, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* Finds a command by name, or returns NULL. */
const repro_command *repro_cli_find_command(const char *name);

#endif

/*
 * Exec credential plugins: the command a kubeconfig user names to obtain a
 * token or a client certificate (cloud CLIs, kubelogin). The plugin gets
 * the ExecCredential request in $KUBERNETES_EXEC_INFO, no terminal, and
 * prints an ExecCredential whose `status` contains the credential.
 */
#include "kube_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <reprocheck/json.h>

extern char **environ;

#define DEFAULT_TIMEOUT_SECONDS 60
#define EXEC_INFO_VARIABLE "KUBERNETES_EXEC_INFO"

static json_t *exec_info(const repro_kube_settings *settings, repro_error *err)
{
	json_t *spec = json_pack("{s:b}", "interactive", 0);
	char *ca = NULL;

	if (spec != NULL && settings->exec->provide_cluster_info) {
		json_t *cluster = json_pack("{s:s, s:b}", "server", settings->server,
		                            "insecure-skip-tls-verify", settings->insecure_skip_tls_verify);

		if (cluster != NULL && settings->ca.data != NULL &&
		    repro_kube_base64_encode(&ca, settings->ca.data, settings->ca.size, err) == REPRO_OK)
			json_object_set_new(cluster, "certificate-authority-data", json_string(ca));
		free(ca);
		json_object_set_new(spec, "cluster", cluster);
	}
	return json_pack("{s:s, s:s, s:o}", "apiVersion", settings->exec->api_version,
	                 "kind", "ExecCredential", "spec", spec);
}

static bool same_name(const char *entry, const char *assignment)
{
	const char *equals = strchr(assignment, '=');
	size_t length = equals ? (size_t)(equals - assignment) : strlen(assignment);

	return strncmp(entry, assignment, length) == 0 && entry[length] == '=';
}

/* The caller's environment, with the plugin's variables and the request
 * added; a plugin variable replaces one of the same name. */
static char **build_environment(const repro_kube_exec *exec, char *info)
{
	size_t count = 0, used = 0;
	char **envp;

	while (environ[count] != NULL)
		count++;
	envp = calloc(count + exec->env_count + 2, sizeof(char *));
	if (envp == NULL)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		bool replaced = same_name(environ[i], EXEC_INFO_VARIABLE "=");

		for (size_t j = 0; j < exec->env_count && !replaced; j++)
			replaced = same_name(environ[i], exec->env[j]);
		if (!replaced)
			envp[used++] = environ[i];
	}
	for (size_t j = 0; j < exec->env_count; j++)
		envp[used++] = exec->env[j];
	envp[used] = info;
	return envp;
}

/* Reads the child's output until it closes it, at most
 * REPRO_KUBE_CREDENTIAL_MAX_BYTES, until @p deadline. */
static int read_output(int fd, time_t deadline, const char *command, repro_kube_blob *out,
                       repro_error *err)
{
	size_t capacity = 4096;

	out->data = malloc(capacity + 1);
	if (out->data == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "reading the output of '%s': out of memory", command);
	for (;;) {
		struct pollfd poll_fd = {fd, POLLIN, 0};
		time_t now = time(NULL);
		ssize_t got;
		int ready;

		if (now >= deadline)
			return repro_error_set(err, REPRO_ETIMEOUT,
				"exec credential plugin '%s' timed out", command);
		ready = poll(&poll_fd, 1, (int)(deadline - now) * 1000);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			return repro_error_set_errno(err, REPRO_EIO, errno, "waiting for exec credential plugin '%s'", command);
		if (ready == 0)
			continue;
		got = read(fd, out->data + out->size, capacity - out->size);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return repro_error_set_errno(err, REPRO_EIO, errno, "reading the output of '%s'", command);
		if (got == 0)
			break;
		out->size += (size_t)got;
		if (out->size == capacity) {
			unsigned char *grown;

			if (capacity >= REPRO_KUBE_CREDENTIAL_MAX_BYTES)
				return repro_error_set(err, REPRO_ELIMIT,
					"exec credential plugin '%s' printed more than %zu bytes", command,
					REPRO_KUBE_CREDENTIAL_MAX_BYTES);
			grown = realloc(out->data, capacity * 2 + 1);
			if (grown == NULL)
				return repro_error_set(err, REPRO_ENOMEM, "reading the output of '%s': out of memory", command);
			out->data = grown;
			capacity *= 2;
		}
	}
	out->data[out->size] = '\0';
	return REPRO_OK;
}

static int wait_child(pid_t pid, bool kill_first, int *status)
{
	pid_t done;

	if (kill_first)
		kill(pid, SIGKILL);
	do {
		done = waitpid(pid, status, 0);
	} while (done < 0 && errno == EINTR);
	return done == pid ? 0 : -1;
}

static int spawn_plugin(const repro_kube_settings *settings, char **envp, pid_t *pid, int *read_fd,
                        repro_error *err)
{
	const repro_kube_exec *exec = settings->exec;
	posix_spawn_file_actions_t actions;
	char **argv = calloc(exec->arg_count + 2, sizeof(char *));
	int pipe_fds[2], status;

	if (argv == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "running '%s': out of memory", exec->command);
	argv[0] = exec->command;
	for (size_t i = 0; i < exec->arg_count; i++)
		argv[i + 1] = exec->args[i];
	if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
		free(argv);
		return repro_error_set_errno(err, REPRO_EIO, errno, "running '%s'", exec->command);
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
	status = posix_spawnp(pid, exec->command, &actions, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&actions);
	free(argv);
	close(pipe_fds[1]);
	if (status != 0) {
		close(pipe_fds[0]);
		if (status == ENOENT)
			return repro_error_set(err, REPRO_EAUTH, "exec credential plugin '%s' not found%s%s",
			                       exec->command, exec->install_hint ? ": " : "",
			                       exec->install_hint ? exec->install_hint : "");
		return repro_error_set_errno(err, REPRO_EAUTH, status, "running exec credential plugin '%s' failed",
		                             exec->command);
	}
	*read_fd = pipe_fds[0];
	return REPRO_OK;
}

/* Parses an RFC 3339 time such as 2024-05-01T12:00:00Z or with a
 * fraction and an offset. */
static bool parse_rfc3339(const char *text, time_t *out)
{
	struct tm parts;
	int year, month, day, hour, minute, second, consumed = 0;
	const char *rest;
	long offset = 0;

	memset(&parts, 0, sizeof(parts));
	if (sscanf(text, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
	           &second, &consumed) != 6 || consumed != 19)
		return false;
	rest = text + consumed;
	if (*rest == '.') {
		do {
			rest++;
		} while (*rest >= '0' && *rest <= '9');
	}
	if ((*rest == '+' || *rest == '-') && strlen(rest) == 6 && rest[3] == ':') {
		int hours, minutes;

		if (sscanf(rest + 1, "%2d:%2d", &hours, &minutes) != 2)
			return false;
		offset = (hours * 60L + minutes) * 60L * (*rest == '+' ? 1 : -1);
	} else if (strcmp(rest, "Z") != 0 && strcmp(rest, "z") != 0) {
		return false;
	}
	parts.tm_year = year - 1900;
	parts.tm_mon = month - 1;
	parts.tm_mday = day;
	parts.tm_hour = hour;
	parts.tm_min = minute;
	parts.tm_sec = second;
	*out = timegm(&parts) - offset;
	return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 &&
	       second <= 60;
}

static int check_expiry(const json_t *status, const char *what, repro_error *err)
{
	const char *text;
	time_t expiry;
	int result = repro_json_get_string(status, "expirationTimestamp", "status", false, &text, err);

	if (result != REPRO_OK || text == NULL)
		return result;
	if (!parse_rfc3339(text, &expiry))
		return repro_error_set(err, REPRO_EFORMAT,
			"'status.expirationTimestamp' is not an RFC 3339 time: '%.64s'", text);
	if (expiry <= time(NULL))
		return repro_error_set(err, REPRO_EAUTH, "%s returned a credential that expired at %s",
		                       what, text);
	return REPRO_OK;
}

static int take_credential(repro_kube_settings *settings, const json_t *status, const char *what,
                           repro_error *err)
{
	const char *token = NULL, *cert = NULL, *key = NULL;
	int result;

	result = repro_json_get_string(status, "token", "status", false, &token, err);
	if (result == REPRO_OK)
		result = repro_json_get_string(status, "clientCertificateData", "status", false, &cert, err);
	if (result == REPRO_OK)
		result = repro_json_get_string(status, "clientKeyData", "status", false, &key, err);
	if (result != REPRO_OK)
		return result;
	if ((token == NULL || token[0] == '\0') && cert == NULL)
		return repro_error_set(err, REPRO_EAUTH, "%s returned neither a token nor a client certificate", what);
	if ((cert == NULL) != (key == NULL))
		return repro_error_set(err, REPRO_EFORMAT,
			"%s returned clientCertificateData without clientKeyData, or the reverse", what);
	if (token != NULL && token[0] != '\0') {
		result = repro_kube_blob_set(&settings->token, token, strlen(token), err);
		if (result == REPRO_OK)
			result = repro_kube_token_normalize(&settings->token, what, err);
	}
	if (result == REPRO_OK && cert != NULL)
		result = repro_kube_blob_set(&settings->client_cert, cert, strlen(cert), err);
	if (result == REPRO_OK && key != NULL)
		result = repro_kube_blob_set(&settings->client_key, key, strlen(key), err);
	return result;
}

static int parse_credential(repro_kube_settings *settings, const repro_kube_blob *output,
                            repro_error *err)
{
	char what[4200];
	const char *api_version, *kind;
	json_t *root = NULL, *status;
	int result;

	snprintf(what, sizeof(what), "exec credential plugin '%s'", settings->exec->command);
	result = repro_json_parse(&root, output->data, output->size, "ExecCredential", NULL, err);
	if (result == REPRO_OK && !json_is_object(root))
		result = repro_error_set(err, REPRO_EFORMAT, "the ExecCredential is %s, not an object",
		                         repro_json_type_name(root));
	if (result == REPRO_OK)
		result = repro_json_get_string(root, "apiVersion", "", true, &api_version, err);
	if (result == REPRO_OK && strcmp(api_version, settings->exec->api_version) != 0)
		result = repro_error_set(err, REPRO_EFORMAT, "'apiVersion' is '%.100s', expected '%s'",
		                         api_version, settings->exec->api_version);
	if (result == REPRO_OK)
		result = repro_json_get_string(root, "kind", "", true, &kind, err);
	if (result == REPRO_OK && strcmp(kind, "ExecCredential") != 0)
		result = repro_error_set(err, REPRO_EFORMAT, "'kind' is '%.100s', expected 'ExecCredential'", kind);
	if (result == REPRO_OK)
		result = repro_json_get_object(root, "status", "", true, &status, err);
	if (result == REPRO_OK)
		result = check_expiry(status, what, err);
	if (result == REPRO_OK)
		result = take_credential(settings, status, what, err);
	json_decref(root);
	if (result != REPRO_OK && result != REPRO_EAUTH)
		return repro_error_prefix(err, "the output of %s", what);
	return result;
}

int repro_kube_exec_run(repro_kube_settings *settings, repro_error *err)
{
	const repro_kube_exec *exec = settings->exec;
	unsigned int timeout = exec->timeout_seconds ? exec->timeout_seconds : DEFAULT_TIMEOUT_SECONDS;
	repro_kube_blob output = {NULL, 0};
	char *info_json = NULL, *info = NULL, **envp = NULL;
	json_t *request = exec_info(settings, err);
	pid_t pid;
	int fd = -1, status = 0, result;

	if (request == NULL || (info_json = json_dumps(request, JSON_COMPACT)) == NULL ||
	    asprintf(&info, EXEC_INFO_VARIABLE "=%s", info_json) < 0 ||
	    (envp = build_environment(exec, info)) == NULL) {
		json_decref(request);
		free(info_json);
		return repro_error_set(err, REPRO_ENOMEM, "preparing exec credential plugin '%s': out of memory",
		                       exec->command);
	}
	json_decref(request);
	free(info_json);

	result = spawn_plugin(settings, envp, &pid, &fd, err);
	if (result == REPRO_OK) {
		result = read_output(fd, time(NULL) + (time_t)timeout, exec->command, &output, err);
		close(fd);
		if (wait_child(pid, result != REPRO_OK, &status) != 0 && result == REPRO_OK)
			result = repro_error_set_errno(err, REPRO_EIO, errno, "waiting for '%s'", exec->command);
	}
	if (result == REPRO_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		if (WIFEXITED(status))
			result = repro_error_set(err, REPRO_EAUTH, "exec credential plugin '%s' exited with status %d",
			                         exec->command, WEXITSTATUS(status));
		else
			result = repro_error_set(err, REPRO_EAUTH, "exec credential plugin '%s' was killed by signal %d",
			                         exec->command, WTERMSIG(status));
	}
	if (result == REPRO_OK)
		result = parse_credential(settings, &output, err);
	repro_kube_blob_wipe(&output);
	free(envp);
	free(info);
	return result;
}

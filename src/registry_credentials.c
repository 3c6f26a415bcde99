/*
 * Credentials for a registry host: the environment, then the Docker
 * config's credHelpers, credsStore and auths. Secrets are wiped when freed
 * and never copied into messages.
 */
#include "registry_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include <reprocheck/json.h>

#include "fileutil_internal.h"

#define CONFIG_MAX_BYTES ((size_t)1024 * 1024)
#define HELPER_MAX_OUTPUT ((size_t)64 * 1024)
#define HELPER_TIMEOUT_MS 30000
/* The key under which the Docker tools store Docker Hub's credentials. */
#define DOCKER_HUB_CONFIG_KEY "https://index.docker.io/v1/"

extern char **environ;

static void wipe_free(char *secret)
{
	if (secret != NULL)
		explicit_bzero(secret, strlen(secret));
	free(secret);
}

void registry_credentials_dispose(registry_credentials *credentials)
{
	wipe_free(credentials->username);
	wipe_free(credentials->password);
	credentials->username = NULL;
	credentials->password = NULL;
}

static int set_credentials(registry_credentials *out, const char *username, size_t username_length,
                           const char *password, repro_error *err)
{
	out->username = strndup(username, username_length);
	out->password = strdup(password);
	if (out->username == NULL || out->password == NULL) {
		registry_credentials_dispose(out);
		return repro_error_set(err, REPRO_ENOMEM, "storing credentials failed");
	}
	return REPRO_OK;
}

static bool is_docker_hub(const char *host)
{
	return strcmp(host, REPRO_REFERENCE_DOCKER_HUB) == 0 ||
	       strcmp(host, REPRO_REFERENCE_DOCKER_HUB_API) == 0;
}

/* Returns true when the config key @p key names @p host: "host",
 * "https://host", "http://host/v1/" and, for Docker Hub, its legacy keys. */
static bool key_names_host(const char *key, const char *host)
{
	size_t length;

	if (is_docker_hub(host) &&
	    (strcmp(key, DOCKER_HUB_CONFIG_KEY) == 0 || strcmp(key, "index.docker.io") == 0 ||
	     strcmp(key, REPRO_REFERENCE_DOCKER_HUB_API) == 0))
		return true;
	if (strncmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncmp(key, "http://", 7) == 0)
		key += 7;
	length = strcspn(key, "/");
	return strlen(host) == length && strncasecmp(key, host, length) == 0;
}

static int decode_auth(const char *encoded, registry_credentials *out, bool *found,
                       const char *name, repro_error *err)
{
	size_t length = strlen(encoded), padding = 0;
	unsigned char *decoded;
	char *colon;
	int decoded_length, result;

	if (length == 0 || length % 4 != 0 || length > 4096)
		return repro_error_set(err, REPRO_EFORMAT, "Docker config '%s': an 'auth' value is not "
		                       "valid base64", name);
	padding = (encoded[length - 1] == '=') + (encoded[length - 2] == '=');
	decoded = malloc(length);
	if (decoded == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "decoding credentials failed");
	decoded_length = EVP_DecodeBlock(decoded, (const unsigned char *)encoded, (int)length);
	if (decoded_length < 0) {
		free(decoded);
		return repro_error_set(err, REPRO_EFORMAT, "Docker config '%s': an 'auth' value is not "
		                       "valid base64", name);
	}
	decoded_length -= (int)padding;
	decoded[decoded_length] = '\0';
	colon = memchr(decoded, ':', (size_t)decoded_length);
	if (colon == NULL) {
		explicit_bzero(decoded, length);
		free(decoded);
		return repro_error_set(err, REPRO_EFORMAT, "Docker config '%s': an 'auth' value is not "
		                       "USER:PASSWORD", name);
	}
	result = set_credentials(out, (const char *)decoded, (size_t)(colon - (char *)decoded),
	                         colon + 1, err);
	*found = result == REPRO_OK;
	explicit_bzero(decoded, length);
	free(decoded);
	return result;
}

static int from_auths(json_t *auths, const char *name, const char *host,
                      registry_credentials *out, bool *found, repro_error *err)
{
	const char *key;
	json_t *entry;

	json_object_foreach(auths, key, entry) {
		const char *auth = json_string_value(json_object_get(entry, "auth"));
		const char *username = json_string_value(json_object_get(entry, "username"));
		const char *password = json_string_value(json_object_get(entry, "password"));

		if (!key_names_host(key, host))
			continue;
		if (auth != NULL && auth[0] != '\0')
			return decode_auth(auth, out, found, name, err);
		if (username != NULL && password != NULL) {
			*found = true;
			return set_credentials(out, username, strlen(username), password, err);
		}
		/* NOTE: an entry with only an identitytoken (an OAuth refresh
		 * token) is not used; such registries need REPROCHECK_REGISTRY_*. */
	}
	return REPRO_OK;
}

static bool valid_helper_name(const char *name)
{
	return name[0] != '\0' && strlen(name) < 64 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       strlen(name) && name[0] != '.';
}

/* Writes @p input to the helper and reads its output, bounded in size and time. */
static int exchange_with_helper(int in, int out, const char *input, char *output, size_t *used)
{
	struct pollfd poller = {out, POLLIN, 0};
	struct timespec no_wait = {0, 0};
	sigset_t pipe_signal, previous;
	int waited = 0, written;

	/* A helper that exits without reading must not kill the caller with
	 * SIGPIPE, so the signal is blocked and a pending one discarded. */
	sigemptyset(&pipe_signal);
	sigaddset(&pipe_signal, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
	written = (int)write(in, input, strlen(input));
	while (sigtimedwait(&pipe_signal, NULL, &no_wait) == SIGPIPE)
		;
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	if (close(in) != 0 || written < 0)
		return -1;
	*used = 0;
	while (waited < HELPER_TIMEOUT_MS) {
		ssize_t got;
		int ready = poll(&poller, 1, 100);

		if (ready < 0 && errno != EINTR)
			return -1;
		waited += 100;
		if (ready <= 0)
			continue;
		got = read(out, output + *used, HELPER_MAX_OUTPUT - *used);
		if (got < 0 && errno != EINTR)
			return -1;
		if (got == 0)
			return 0;
		if (got > 0 && (*used += (size_t)got) == HELPER_MAX_OUTPUT)
			return -1;
	}
	return -1;
}

static int parse_helper_output(const char *program, const char *output, size_t size,
                               registry_credentials *out, bool *found, repro_error *err)
{
	json_t *root = NULL;
	const char *username, *secret;
	int result;

	if (repro_json_parse(&root, output, size, program, NULL, err) != REPRO_OK)
		return repro_error_set(err, REPRO_EAUTH, "credential helper '%s' printed no valid JSON",
		                       program);
	username = json_string_value(json_object_get(root, "Username"));
	secret = json_string_value(json_object_get(root, "Secret"));
	if (username == NULL || secret == NULL) {
		json_decref(root);
		return repro_error_set(err, REPRO_EAUTH, "credential helper '%s' printed no Username "
		                       "and Secret", program);
	}
	result = set_credentials(out, username, strlen(username), secret, err);
	*found = result == REPRO_OK;
	json_decref(root);
	return result;
}

/* Runs `docker-credential-NAME get` with @p server on stdin. */
static int run_helper(const char *name, const char *server, registry_credentials *out,
                      bool *found, repro_error *err)
{
	char program[96], verb[] = "get", *argv[3], *output = NULL;
	int to_child[2] = {-1, -1}, from_child[2] = {-1, -1}, status = 0, result;
	posix_spawn_file_actions_t actions;
	size_t used = 0;
	pid_t pid;

	if (!valid_helper_name(name))
		return repro_error_set(err, REPRO_EFORMAT, "invalid credential helper name '%.64s'", name);
	snprintf(program, sizeof(program), "docker-credential-%s", name);
	argv[0] = program;
	argv[1] = verb;
	argv[2] = NULL;
	if ((output = malloc(HELPER_MAX_OUTPUT + 1)) == NULL || pipe2(to_child, O_CLOEXEC) != 0 ||
	    pipe2(from_child, O_CLOEXEC) != 0) {
		result = repro_error_set_errno(err, REPRO_EIO, errno, "running '%s' failed", program);
		goto cleanup;
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
	posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
	result = posix_spawnp(&pid, program, &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(to_child[0]);
	close(from_child[1]);
	to_child[0] = from_child[1] = -1;
	if (result != 0) {
		result = repro_error_set_errno(err, REPRO_EAUTH, result, "running credential helper "
		                               "'%s' failed", program);
		goto cleanup;
	}
	if (exchange_with_helper(to_child[1], from_child[0], server, output, &used) != 0)
		kill(pid, SIGKILL);
	to_child[1] = -1;
	waitpid(pid, &status, 0);
	output[used] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && strstr(output, "not found") != NULL)
		result = REPRO_OK;  /* the helper has nothing for this host */
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		result = repro_error_set(err, REPRO_EAUTH, "credential helper '%s' failed for '%s'",
		                         program, server);
	else
		result = parse_helper_output(program, output, used, out, found, err);

cleanup:
	if (output != NULL)
		explicit_bzero(output, HELPER_MAX_OUTPUT + 1);
	free(output);
	for (int i = 0; i < 2; i++) {
		if (to_child[i] >= 0)
			close(to_child[i]);
		if (from_child[i] >= 0)
			close(from_child[i]);
	}
	return result;
}

int registry_config_credentials(const unsigned char *bytes, size_t size, const char *name,
                                const char *host, registry_credentials *out, bool *found,
                                repro_error *err)
{
	json_t *root = NULL, *helpers;
	const char *helper = NULL, *key, *server;
	json_t *value;
	int result;

	*found = false;
	memset(out, 0, sizeof(*out));
	if ((result = repro_json_parse(&root, bytes, size, name, NULL, err)) != REPRO_OK)
		return repro_error_prefix(err, "Docker config");
	server = is_docker_hub(host) ? DOCKER_HUB_CONFIG_KEY : host;
	helpers = json_object_get(root, "credHelpers");
	json_object_foreach(helpers, key, value) {
		if (key_names_host(key, host) && json_is_string(value))
			helper = json_string_value(value);
	}
	if (helper != NULL)
		result = run_helper(helper, server, out, found, err);
	if (result == REPRO_OK && !*found &&
	    json_is_string(json_object_get(root, "credsStore")))
		result = run_helper(json_string_value(json_object_get(root, "credsStore")), server, out,
		                    found, err);
	if (result == REPRO_OK && !*found)
		result = from_auths(json_object_get(root, "auths"), name, host, out, found, err);
	json_decref(root);
	return result;
}

/* Stores the Docker config path in @p out. @p explicit_path is set when
 * the user named it, so that a missing file is an error. */
static bool config_path(const repro_registry *registry, char *out, size_t size,
                        bool *explicit_path)
{
	const char *directory = getenv("DOCKER_CONFIG"), *home = getenv("HOME");

	*explicit_path = registry->settings.config_path != NULL;
	if (*explicit_path)
		snprintf(out, size, "%s", registry->settings.config_path);
	else if (directory != NULL && directory[0] != '\0')
		snprintf(out, size, "%s/config.json", directory);
	else if (home != NULL && home[0] != '\0')
		snprintf(out, size, "%s/.docker/config.json", home);
	else
		return false;
	return true;
}

int registry_lookup_credentials(repro_registry *registry, registry_host_state *state,
                                repro_error *err)
{
	const char *user = getenv(REPRO_REGISTRY_USER_ENV);
	const char *password = getenv(REPRO_REGISTRY_PASSWORD_ENV);
	char path[4096];
	unsigned char *bytes = NULL;
	size_t size;
	bool explicit_path;
	int result;

	state->credentials_looked_up = true;
	if (user != NULL && user[0] != '\0' && password != NULL) {
		result = set_credentials(&state->credentials, user, strlen(user), password, err);
		state->has_credentials = result == REPRO_OK;
		return result;
	}
	if (!config_path(registry, path, sizeof(path), &explicit_path))
		return REPRO_OK;
	result = repro_file_read_all(path, CONFIG_MAX_BYTES, &bytes, &size, err);
	if (result == REPRO_ENOTFOUND && !explicit_path)
		return REPRO_OK;
	if (result != REPRO_OK)
		return repro_error_prefix(err, "reading the Docker config");
	result = registry_config_credentials(bytes, size, path, state->host, &state->credentials,
	                                     &state->has_credentials, err);
	explicit_bzero(bytes, size);
	free(bytes);
	return result;
}

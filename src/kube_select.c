/*
 * Picking a context from parsed kubeconfig files, and checking the fields
 * of its cluster and user as kubectl reads them.
 */
#include "kube_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syntax_internal.h"

/* Maximum number of exec plugin arguments and environment entries. */
#define MAX_EXEC_ITEMS 1024

/* A named entry found in one of the files. */
typedef struct named_entry {
	const kube_config_file *file;
	json_t *body;                      /* the entry's cluster, context or user mapping */
	char path[REPRO_JSON_PATH_MAX];    /* the body's key path, e.g. "users[1].user" */
} named_entry;

/* Finds @p name in @p list_key; the first file that defines a name wins. */
static bool find_named(const repro_kube_config *config, const char *list_key, const char *body_key,
                       const char *name, named_entry *out)
{
	for (size_t f = 0; f < config->file_count; f++) {
		json_t *list = json_object_get(config->files[f].root, list_key);
		size_t index;
		json_t *entry;

		if (!json_is_array(list))
			continue;
		json_array_foreach(list, index, entry) {
			char entry_path[REPRO_JSON_PATH_MAX];

			if (strcmp(json_string_value(json_object_get(entry, "name")), name) != 0)
				continue;
			out->file = &config->files[f];
			out->body = json_object_get(entry, body_key);
			repro_json_path_index(entry_path, list_key, index);
			repro_json_path_key(out->path, entry_path, body_key);
			return true;
		}
	}
	return false;
}

/* Writes the context names of every file, comma-separated and cut to fit. */
static void list_context_names(const repro_kube_config *config, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t f = 0; f < config->file_count; f++) {
		json_t *list = json_object_get(config->files[f].root, "contexts");
		size_t index;
		json_t *entry;

		if (!json_is_array(list))
			continue;
		json_array_foreach(list, index, entry) {
			int written = snprintf(out + used, size - used, "%s%s", used ? ", " : "",
			                       json_string_value(json_object_get(entry, "name")));

			if (written < 0 || (size_t)written >= size - used)
				return;
			used += (size_t)written;
		}
	}
	if (used == 0)
		snprintf(out, size, "none");
}

/* Reads an optional string field; null counts as absent. */
static int get_text(json_t *body, const char *key, const char *path, const char **out,
                    repro_error *err)
{
	*out = NULL;
	if (body == NULL || json_is_null(json_object_get(body, key)))
		return REPRO_OK;
	int result = repro_json_get_string(body, key, path, false, out, err);

	if (result == REPRO_OK && *out != NULL && (*out)[0] == '\0')
		*out = NULL;
	return result;
}

static int get_flag(json_t *body, const char *key, const char *path, bool *out, repro_error *err)
{
	bool found = false;

	*out = false;
	if (body == NULL || json_is_null(json_object_get(body, key)))
		return REPRO_OK;
	return repro_json_get_bool(body, key, path, false, out, &found, err);
}

static int reject_if_set(json_t *body, const char *key, const char *path, const char *hint,
                         repro_error *err)
{
	json_t *value = body ? json_object_get(body, key) : NULL;
	char key_path[REPRO_JSON_PATH_MAX];

	if (value == NULL || json_is_null(value) ||
	    (json_is_string(value) && json_string_length(value) == 0) ||
	    (json_is_array(value) && json_array_size(value) == 0))
		return REPRO_OK;
	repro_json_path_key(key_path, path, key);
	return repro_error_set(err, REPRO_EUNSUPPORTED, "'%s' is not supported%s%s", key_path,
	                       hint ? ": " : "", hint ? hint : "");
}

/* Reads a file path field, resolved against the kubeconfig's directory. */
static int get_path(json_t *body, const char *key, const named_entry *entry, char **out,
                    repro_error *err)
{
	const char *text;
	int result = get_text(body, key, entry->path, &text, err);

	if (result != REPRO_OK || text == NULL)
		return result;
	return repro_kube_resolve_path(out, entry->file->base_dir, text, err);
}

/* Reads a base64 field into @p out. */
static int get_data(json_t *body, const char *key, const char *path, repro_kube_blob *out,
                    repro_error *err)
{
	char key_path[REPRO_JSON_PATH_MAX];
	const char *text;
	int result = get_text(body, key, path, &text, err);

	if (result != REPRO_OK || text == NULL)
		return result;
	repro_json_path_key(key_path, path, key);
	return repro_kube_base64_decode(out, text, key_path, err);
}

/* Only one of a value and the file that contains it may be given. */
static int check_one_of(bool data, bool file, const char *path, const char *key,
                        repro_error *err)
{
	if (data && file)
		return repro_error_set(err, REPRO_EFORMAT, "'%s' sets both %s and %s-data; keep one",
		                       path, key, key);
	return REPRO_OK;
}

/* https://HOST[:PORT][/PATH], stored without a trailing '/'. */
static int check_server(const char *server, const char *path, char **out, repro_error *err)
{
	size_t length = strlen(server);
	const char *host = server + 8;

	if (strncmp(server, "http://", 7) == 0)
		return repro_error_set(err, REPRO_EUNSUPPORTED,
			"'%s.server' is '%s': plain HTTP is not supported, use the server's https:// URL",
			path, server);
	if (strncmp(server, "https://", 8) != 0 || host[0] == '\0' || host[0] == '/' ||
	    repro_syntax_has_whitespace(server) || strpbrk(server, "?#@") != NULL || length > 2048)
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s.server' is not an https://HOST[:PORT][/PATH] URL: '%.200s'", path, server);
	while (length > 8 && server[length - 1] == '/')
		length--;
	*out = strndup(server, length);
	if (*out == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying the server URL failed: out of memory");
	return REPRO_OK;
}

static int fill_cluster(const named_entry *entry, repro_kube_settings *out, repro_error *err)
{
	const char *path = entry->path, *server;
	int result;

	result = get_text(entry->body, "server", path, &server, err);
	if (result == REPRO_OK && server == NULL)
		result = repro_error_set(err, REPRO_EFORMAT, "'%s.server' is missing", path);
	if (result == REPRO_OK)
		result = check_server(server, path, &out->server, err);
	if (result == REPRO_OK)
		result = get_data(entry->body, "certificate-authority-data", path, &out->ca, err);
	if (result == REPRO_OK)
		result = get_path(entry->body, "certificate-authority", entry, &out->ca_file, err);
	if (result == REPRO_OK)
		result = check_one_of(out->ca.data != NULL, out->ca_file != NULL, path,
		                      "certificate-authority", err);
	if (result == REPRO_OK)
		result = get_flag(entry->body, "insecure-skip-tls-verify", path,
		                  &out->insecure_skip_tls_verify, err);
	if (result == REPRO_OK && out->insecure_skip_tls_verify && (out->ca.data || out->ca_file))
		result = repro_error_set(err, REPRO_EFORMAT,
			"'%s' sets insecure-skip-tls-verify and a certificate authority; keep one", path);
	if (result == REPRO_OK)
		result = reject_if_set(entry->body, "proxy-url", path, NULL, err);
	if (result == REPRO_OK)
		result = reject_if_set(entry->body, "tls-server-name", path, NULL, err);
	return result;
}

/* Reads a sequence of strings, or of {name, value} mappings as "NAME=VALUE". */
static int get_strings(json_t *body, const char *key, const char *path, bool env, char ***out,
                       size_t *count, repro_error *err)
{
	char key_path[REPRO_JSON_PATH_MAX];
	json_t *array = json_object_get(body, key), *item;
	size_t index;

	repro_json_path_key(key_path, path, key);
	if (array == NULL || json_is_null(array))
		return REPRO_OK;
	if (!json_is_array(array))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be a sequence, found %s", key_path,
		                       repro_json_type_name(array));
	if (json_array_size(array) > MAX_EXEC_ITEMS)
		return repro_error_set(err, REPRO_ELIMIT, "'%s' has more than %d entries", key_path,
		                       MAX_EXEC_ITEMS);
	*out = calloc(json_array_size(array) + 1, sizeof(char *));
	if (*out == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "reading '%s': out of memory", key_path);
	json_array_foreach(array, index, item) {
		char item_path[REPRO_JSON_PATH_MAX];
		const char *name = NULL, *value = NULL;
		int result;

		repro_json_path_index(item_path, key_path, index);
		if (!env) {
			if (!json_is_string(item))
				return repro_error_set(err, REPRO_EFORMAT, "'%s' must be a string, found %s",
				                       item_path, repro_json_type_name(item));
			value = json_string_value(item);
			(*out)[index] = strdup(value);
		} else {
			if (!json_is_object(item))
				return repro_error_set(err, REPRO_EFORMAT, "'%s' must be a mapping, found %s",
				                       item_path, repro_json_type_name(item));
			result = repro_json_get_string(item, "name", item_path, true, &name, err);
			if (result == REPRO_OK)
				result = repro_json_get_string(item, "value", item_path, true, &value, err);
			if (result != REPRO_OK)
				return result;
			if (name[0] == '\0' || strchr(name, '=') != NULL)
				return repro_error_set(err, REPRO_EFORMAT, "'%s.name' is not a variable name: '%.200s'",
				                       item_path, name);
			if (asprintf(&(*out)[index], "%s=%s", name, value) < 0)
				(*out)[index] = NULL;
		}
		if ((*out)[index] == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "reading '%s': out of memory", key_path);
		(*count)++;
	}
	return REPRO_OK;
}

static int fill_exec_fields(json_t *body, const char *path, const named_entry *entry,
                            repro_kube_exec *exec, repro_error *err)
{
	const char *api_version, *command, *hint, *mode;
	int result;

	result = get_text(body, "apiVersion", path, &api_version, err);
	if (result == REPRO_OK && (api_version == NULL ||
	    (strcmp(api_version, "client.authentication.k8s.io/v1") != 0 &&
	     strcmp(api_version, "client.authentication.k8s.io/v1beta1") != 0)))
		return repro_error_set(err, REPRO_EUNSUPPORTED,
			"'%s.apiVersion' is '%s': expected client.authentication.k8s.io/v1 or v1beta1",
			path, api_version ? api_version : "");
	if (result == REPRO_OK)
		result = get_text(body, "command", path, &command, err);
	if (result == REPRO_OK && command == NULL)
		result = repro_error_set(err, REPRO_EFORMAT, "'%s.command' is missing", path);
	if (result == REPRO_OK)
		result = get_text(body, "installHint", path, &hint, err);
	if (result == REPRO_OK)
		result = get_text(body, "interactiveMode", path, &mode, err);
	if (result == REPRO_OK && mode != NULL && strcmp(mode, "Always") == 0)
		result = repro_error_set(err, REPRO_EUNSUPPORTED,
			"'%s.interactiveMode' is Always, but reprocheck never gives a plugin a terminal", path);
	if (result == REPRO_OK)
		result = get_flag(body, "provideClusterInfo", path, &exec->provide_cluster_info, err);
	if (result != REPRO_OK)
		return result;

	/* kubectl resolves a command that contains a '/' against the
	 * kubeconfig's directory, and looks up a bare name in $PATH. */
	if (strchr(command, '/') != NULL)
		result = repro_kube_resolve_path(&exec->command, entry->file->base_dir, command, err);
	else
		result = repro_kube_strdup(&exec->command, command, "the exec command", err);
	if (result == REPRO_OK)
		result = repro_kube_strdup(&exec->api_version, api_version, "the exec apiVersion", err);
	if (result == REPRO_OK)
		result = repro_kube_strdup(&exec->install_hint, hint, "the exec installHint", err);
	if (result == REPRO_OK)
		result = get_strings(body, "args", path, false, &exec->args, &exec->arg_count, err);
	if (result == REPRO_OK)
		result = get_strings(body, "env", path, true, &exec->env, &exec->env_count, err);
	return result;
}

static int fill_exec(const named_entry *entry, repro_kube_settings *out, repro_error *err)
{
	char path[REPRO_JSON_PATH_MAX];
	json_t *body;
	int result;

	repro_json_path_key(path, entry->path, "exec");
	if (json_is_null(json_object_get(entry->body, "exec")))
		return REPRO_OK;
	result = repro_json_get_object(entry->body, "exec", entry->path, false, &body, err);
	if (result != REPRO_OK || body == NULL)
		return result;
	out->exec = calloc(1, sizeof(*out->exec));
	if (out->exec == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "reading '%s': out of memory", path);
	return fill_exec_fields(body, path, entry, out->exec, err);
}

static int fill_credentials(const named_entry *entry, repro_kube_settings *out, repro_error *err)
{
	const char *path = entry->path, *token;
	int result;

	result = get_data(entry->body, "client-certificate-data", path, &out->client_cert, err);
	if (result == REPRO_OK)
		result = get_path(entry->body, "client-certificate", entry, &out->client_cert_file, err);
	if (result == REPRO_OK)
		result = check_one_of(out->client_cert.data != NULL, out->client_cert_file != NULL, path,
		                      "client-certificate", err);
	if (result == REPRO_OK)
		result = get_data(entry->body, "client-key-data", path, &out->client_key, err);
	if (result == REPRO_OK)
		result = get_path(entry->body, "client-key", entry, &out->client_key_file, err);
	if (result == REPRO_OK)
		result = check_one_of(out->client_key.data != NULL, out->client_key_file != NULL, path,
		                      "client-key", err);
	if (result == REPRO_OK &&
	    (out->client_cert.data || out->client_cert_file) != (out->client_key.data || out->client_key_file))
		result = repro_error_set(err, REPRO_EFORMAT,
			"'%s' sets a client certificate without its key, or a key without its certificate", path);
	if (result == REPRO_OK)
		result = get_text(entry->body, "token", path, &token, err);
	if (result == REPRO_OK && token != NULL) {
		char key_path[REPRO_JSON_PATH_MAX], what[REPRO_JSON_PATH_MAX + 2];

		repro_json_path_key(key_path, path, "token");
		snprintf(what, sizeof(what), "'%s'", key_path);
		result = repro_kube_blob_set(&out->token, token, strlen(token), err);
		if (result == REPRO_OK)
			result = repro_kube_token_normalize(&out->token, what, err);
	}
	if (result == REPRO_OK)
		result = get_path(entry->body, "tokenFile", entry, &out->token_file, err);
	if (result == REPRO_OK && out->token.data && out->token_file)
		result = repro_error_set(err, REPRO_EFORMAT, "'%s' sets both token and tokenFile; keep one", path);
	return result;
}

static int fill_user(const named_entry *entry, repro_kube_settings *out, repro_error *err)
{
	static const char *const impersonation[] = {"as", "as-uid", "as-groups", "as-user-extra"};
	const char *path = entry->path;
	int result;

	result = reject_if_set(entry->body, "auth-provider", path,
	                       "use an exec credential plugin instead", err);
	if (result == REPRO_OK)
		result = reject_if_set(entry->body, "username", path,
		                       "API servers no longer accept basic authentication", err);
	if (result == REPRO_OK)
		result = reject_if_set(entry->body, "password", path,
		                       "API servers no longer accept basic authentication", err);
	for (size_t i = 0; result == REPRO_OK && i < 4; i++)
		result = reject_if_set(entry->body, impersonation[i], path, "impersonation is not implemented", err);
	if (result == REPRO_OK)
		result = fill_credentials(entry, out, err);
	if (result == REPRO_OK)
		result = fill_exec(entry, out, err);
	if (result == REPRO_OK && out->exec != NULL && (out->token.data || out->token_file))
		result = repro_error_set(err, REPRO_EFORMAT, "'%s' sets both exec and a token; keep one", path);
	return result;
}

static const char *current_context(const repro_kube_config *config)
{
	for (size_t f = 0; f < config->file_count; f++) {
		const char *name = json_string_value(json_object_get(config->files[f].root, "current-context"));

		if (name != NULL && name[0] != '\0')
			return name;
	}
	return NULL;
}

/* Looks up the cluster and user that the context @p entry names. */
static int fill_from_context(const repro_kube_config *config, const char *name,
                             const named_entry *entry, repro_kube_settings *out, repro_error *err)
{
	const char *cluster, *user, *namespace_name;
	named_entry found;
	int result;

	result = get_text(entry->body, "cluster", entry->path, &cluster, err);
	if (result == REPRO_OK && cluster == NULL)
		result = repro_error_set(err, REPRO_EFORMAT, "'%s.cluster' is missing", entry->path);
	if (result == REPRO_OK)
		result = get_text(entry->body, "user", entry->path, &user, err);
	if (result == REPRO_OK)
		result = get_text(entry->body, "namespace", entry->path, &namespace_name, err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "kubeconfig '%s'", entry->file->name);

	if (repro_kube_strdup(&out->context, name, "the context name", err) != REPRO_OK ||
	    repro_kube_strdup(&out->cluster, cluster, "the cluster name", err) != REPRO_OK ||
	    repro_kube_strdup(&out->user, user, "the user name", err) != REPRO_OK ||
	    repro_kube_strdup(&out->namespace_name, namespace_name, "the namespace", err) != REPRO_OK)
		return REPRO_ENOMEM;

	if (!find_named(config, "clusters", "cluster", cluster, &found))
		return repro_error_set(err, REPRO_ENOTFOUND,
			"kubeconfig '%s': context '%s' names cluster '%s', which is not defined",
			config->display_name, name, cluster);
	result = fill_cluster(&found, out, err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "kubeconfig '%s'", found.file->name);
	if (user == NULL)
		return REPRO_OK;
	if (!find_named(config, "users", "user", user, &found))
		return repro_error_set(err, REPRO_ENOTFOUND,
			"kubeconfig '%s': context '%s' names user '%s', which is not defined",
			config->display_name, name, user);
	result = fill_user(&found, out, err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "kubeconfig '%s'", found.file->name);
	return REPRO_OK;
}

int repro_kube_config_select(const repro_kube_config *config, const char *context,
                             repro_kube_settings *out, repro_error *err)
{
	const char *name = context != NULL ? context : current_context(config);
	named_entry entry;
	char names[512];
	int result;

	repro_kube_settings_dispose(out);
	if (name == NULL)
		return repro_error_set(err, REPRO_ENOTFOUND,
			"kubeconfig '%s' sets no current-context: name a context with --context", config->display_name);
	if (!find_named(config, "contexts", "context", name, &entry)) {
		list_context_names(config, names, sizeof(names));
		return repro_error_set(err, REPRO_ENOTFOUND,
			"kubeconfig '%s' has no context '%s'; contexts present: %s", config->display_name, name, names);
	}
	if (asprintf(&out->source, "kubeconfig '%s'", config->display_name) < 0) {
		out->source = NULL;
		return repro_error_set(err, REPRO_ENOMEM, "selecting a context: out of memory");
	}
	result = fill_from_context(config, name, &entry, out, err);
	if (result != REPRO_OK)
		repro_kube_settings_dispose(out);
	return result;
}

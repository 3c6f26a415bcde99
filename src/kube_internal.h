/*
 * Shared parts of the kube module: the YAML reader, the parsed kubeconfig,
 * credential helpers and the page parser that the API client uses.
 */
#ifndef REPROCHECK_KUBE_INTERNAL_H
#define REPROCHECK_KUBE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include <reprocheck/json.h>
#include <reprocheck/kube.h>

/* One kubeconfig file: its name for messages, the directory its relative
 * paths are resolved against, and its YAML as a JSON tree. */
typedef struct kube_config_file {
	char *name;
	char *base_dir;
	json_t *root;
} kube_config_file;

struct repro_kube_config {
	char *display_name;  /* the single path, or the $KUBECONFIG value */
	kube_config_file *files;
	size_t file_count;
};

/*
 * Converts @p size bytes of YAML into a JSON tree in @p out: mappings with
 * string keys become objects, sequences arrays, plain `true`/`false`
 * booleans, plain `null`, `~` and empty values null, and every other
 * scalar a string. Aliases share the anchored subtree but count as its
 * whole size against REPRO_KUBE_CONFIG_MAX_NODES. More than one document,
 * a duplicate or non-scalar key, an undefined alias and NUL characters are
 * REPRO_EFORMAT; the limits REPRO_ELIMIT. Messages start with @p name.
 * The caller releases @p out with json_decref().
 */
int repro_kube_yaml_parse(json_t **out, const void *bytes, size_t size, const char *name,
                          repro_error *err);

/* Copies @p text, or sets REPRO_ENOMEM naming @p what. A NULL @p text gives NULL. */
int repro_kube_strdup(char **out, const char *text, const char *what, repro_error *err);

/* Joins @p path to @p base_dir unless it is absolute; the caller frees @p out. */
int repro_kube_resolve_path(char **out, const char *base_dir, const char *path,
                            repro_error *err);

/* Decodes base64 @p text (line breaks allowed) into @p out; invalid input is
 * REPRO_EFORMAT naming @p what. */
int repro_kube_base64_decode(repro_kube_blob *out, const char *text, const char *what,
                             repro_error *err);

/* Encodes @p size bytes as base64 without line breaks; the caller frees @p out. */
int repro_kube_base64_encode(char **out, const unsigned char *data, size_t size,
                             repro_error *err);

/* Copies @p size bytes into @p out with a NUL after them. */
int repro_kube_blob_set(repro_kube_blob *out, const void *data, size_t size, repro_error *err);

/* Wipes and frees the blob's data and zeroes it. */
void repro_kube_blob_wipe(repro_kube_blob *blob);

/*
 * Strips surrounding whitespace from the token in @p token and checks that
 * it is not empty and contains no control characters, which would break the
 * Authorization header. @p what names its origin; the token itself never
 * appears in a message.
 */
int repro_kube_token_normalize(repro_kube_blob *token, const char *what, repro_error *err);

/* Checks that @p blob holds a PEM block whose label contains @p label. */
int repro_kube_pem_check(const repro_kube_blob *blob, const char *label, const char *what,
                         repro_error *err);

/* Frees the plugin description and zeroes it. */
void repro_kube_exec_dispose(repro_kube_exec *exec);

/*
 * Runs the exec credential plugin of @p settings and stores its token or
 * client certificate and key in @p settings.
 */
int repro_kube_exec_run(repro_kube_settings *settings, repro_error *err);

/*
 * Appends the pods of a parsed pod document to @p list. When
 * @p continue_token is not NULL it receives a malloc()ed copy of
 * metadata.continue, or NULL when the list is complete.
 */
int repro_kube_pods_append(repro_kube_pod_list *list, json_t *root, const char *name,
                           char **continue_token, repro_error *err);

/* Releases the pods after the first @p count. */
void repro_kube_pod_list_truncate(repro_kube_pod_list *list, size_t count);

#endif

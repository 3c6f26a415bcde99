/*
 * Connection settings: their lifetime, reading the credential files they
 * name, and the settings of a pod's own service account.
 */
#include "kube_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "fileutil_internal.h"

void repro_kube_settings_init(repro_kube_settings *settings)
{
	memset(settings, 0, sizeof(*settings));
}

void repro_kube_exec_dispose(repro_kube_exec *exec)
{
	for (size_t i = 0; exec->args != NULL && i < exec->arg_count; i++)
		free(exec->args[i]);
	for (size_t i = 0; exec->env != NULL && i < exec->env_count; i++) {
		/* Plugin environments often carry secrets such as cloud keys. */
		OPENSSL_cleanse(exec->env[i], strlen(exec->env[i]));
		free(exec->env[i]);
	}
	free(exec->args);
	free(exec->env);
	free(exec->api_version);
	free(exec->command);
	free(exec->install_hint);
	memset(exec, 0, sizeof(*exec));
}

void repro_kube_settings_dispose(repro_kube_settings *settings)
{
	free(settings->source);
	free(settings->context);
	free(settings->cluster);
	free(settings->user);
	free(settings->namespace_name);
	free(settings->server);
	free(settings->ca_file);
	free(settings->client_cert_file);
	free(settings->client_key_file);
	free(settings->token_file);
	repro_kube_blob_wipe(&settings->ca);
	repro_kube_blob_wipe(&settings->client_cert);
	repro_kube_blob_wipe(&settings->client_key);
	repro_kube_blob_wipe(&settings->token);
	if (settings->exec != NULL) {
		repro_kube_exec_dispose(settings->exec);
		free(settings->exec);
	}
	memset(settings, 0, sizeof(*settings));
}

int repro_kube_strdup(char **out, const char *text, const char *what, repro_error *err)
{
	*out = NULL;
	if (text == NULL)
		return REPRO_OK;
	*out = strdup(text);
	if (*out == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying %s failed: out of memory", what);
	return REPRO_OK;
}

int repro_kube_resolve_path(char **out, const char *base_dir, const char *path, repro_error *err)
{
	int written;

	if (path[0] == '/' || base_dir == NULL)
		return repro_kube_strdup(out, path, "a path", err);
	written = asprintf(out, "%s/%s", base_dir, path);
	if (written < 0) {
		*out = NULL;
		return repro_error_set(err, REPRO_ENOMEM, "resolving path '%.200s' failed: out of memory", path);
	}
	return REPRO_OK;
}

int repro_kube_blob_set(repro_kube_blob *out, const void *data, size_t size, repro_error *err)
{
	repro_kube_blob_wipe(out);
	out->data = malloc(size + 1);
	if (out->data == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying %zu bytes failed: out of memory", size);
	memcpy(out->data, data, size);
	out->data[size] = '\0';
	out->size = size;
	return REPRO_OK;
}

void repro_kube_blob_wipe(repro_kube_blob *blob)
{
	if (blob->data != NULL) {
		OPENSSL_cleanse(blob->data, blob->size);
		free(blob->data);
	}
	blob->data = NULL;
	blob->size = 0;
}

int repro_kube_base64_decode(repro_kube_blob *out, const char *text, const char *what,
                             repro_error *err)
{
	size_t length = strlen(text);
	EVP_ENCODE_CTX *context;
	unsigned char *data;
	int written = 0, last = 0, status;

	if (length > (size_t)REPRO_KUBE_CREDENTIAL_MAX_BYTES * 2)
		return repro_error_set(err, REPRO_ELIMIT, "'%s' is more than %zu bytes", what,
		                       (size_t)REPRO_KUBE_CREDENTIAL_MAX_BYTES * 2);
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)text[i];

		if (!isalnum(c) && strchr("+/= \t\r\n", c) == NULL)
			return repro_error_set(err, REPRO_EFORMAT, "'%s' is not valid base64", what);
	}
	data = malloc(length / 4 * 3 + 4);
	context = EVP_ENCODE_CTX_new();
	if (data == NULL || context == NULL) {
		free(data);
		EVP_ENCODE_CTX_free(context);
		return repro_error_set(err, REPRO_ENOMEM, "decoding '%s' failed: out of memory", what);
	}
	EVP_DecodeInit(context);
	status = EVP_DecodeUpdate(context, data, &written, (const unsigned char *)text, (int)length);
	if (status >= 0)
		status = EVP_DecodeFinal(context, data + written, &last);
	EVP_ENCODE_CTX_free(context);
	if (status < 0 || written + last == 0) {
		OPENSSL_cleanse(data, length / 4 * 3 + 4);
		free(data);
		return repro_error_set(err, REPRO_EFORMAT, "'%s' is not valid base64", what);
	}
	repro_kube_blob_wipe(out);
	out->size = (size_t)(written + last);
	data[out->size] = '\0';
	out->data = data;
	return REPRO_OK;
}

int repro_kube_base64_encode(char **out, const unsigned char *data, size_t size, repro_error *err)
{
	*out = malloc((size + 2) / 3 * 4 + 1);
	if (*out == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "encoding %zu bytes as base64 failed: out of memory", size);
	EVP_EncodeBlock((unsigned char *)*out, data, (int)size);
	return REPRO_OK;
}

int repro_kube_token_normalize(repro_kube_blob *token, const char *what, repro_error *err)
{
	size_t start = 0, end = token->size;

	while (start < end && isspace(token->data[start]))
		start++;
	while (end > start && isspace(token->data[end - 1]))
		end--;
	if (start == end)
		return repro_error_set(err, REPRO_EFORMAT, "the token in %s is empty", what);
	for (size_t i = start; i < end; i++) {
		if (token->data[i] < 0x20 || token->data[i] == 0x7f)
			return repro_error_set(err, REPRO_EFORMAT,
				"the token in %s contains a control character", what);
	}
	memmove(token->data, token->data + start, end - start);
	OPENSSL_cleanse(token->data + (end - start), token->size - (end - start));
	token->size = end - start;
	token->data[token->size] = '\0';
	return REPRO_OK;
}

int repro_kube_pem_check(const repro_kube_blob *blob, const char *label, const char *what,
                         repro_error *err)
{
	const char *begin = blob->data ? memmem(blob->data, blob->size, "-----BEGIN ", 11) : NULL;
	const char *line_end = begin ? memchr(begin, '\n', blob->size - (size_t)(begin - (const char *)blob->data)) : NULL;

	if (begin != NULL && line_end != NULL && memmem(begin, (size_t)(line_end - begin), label, strlen(label)))
		return REPRO_OK;
	return repro_error_set(err, REPRO_EFORMAT, "%s holds no PEM %s", what, label);
}

/* Reads @p path into @p out unless @p out is already filled. */
static int read_credential(repro_kube_blob *out, const char *path, const char *what,
                           repro_error *err)
{
	unsigned char *bytes = NULL;
	size_t size = 0;
	int result;

	if (path == NULL || out->data != NULL)
		return REPRO_OK;
	result = repro_file_read_all(path, REPRO_KUBE_CREDENTIAL_MAX_BYTES, &bytes, &size, err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "reading %s", what);
	out->data = bytes;
	out->size = size;
	return REPRO_OK;
}

int repro_kube_settings_resolve(repro_kube_settings *settings, repro_error *err)
{
	char what[4200];
	int result;

	if (settings->resolved)
		return REPRO_OK;
	snprintf(what, sizeof(what), "the certificate authority '%s'", settings->ca_file ? settings->ca_file : "");
	result = read_credential(&settings->ca, settings->ca_file, what, err);
	snprintf(what, sizeof(what), "the client certificate '%s'",
	         settings->client_cert_file ? settings->client_cert_file : "");
	if (result == REPRO_OK)
		result = read_credential(&settings->client_cert, settings->client_cert_file, what, err);
	snprintf(what, sizeof(what), "the client key '%s'",
	         settings->client_key_file ? settings->client_key_file : "");
	if (result == REPRO_OK)
		result = read_credential(&settings->client_key, settings->client_key_file, what, err);
	snprintf(what, sizeof(what), "the token file '%s'", settings->token_file ? settings->token_file : "");
	if (result == REPRO_OK && settings->token_file != NULL && settings->token.data == NULL) {
		result = read_credential(&settings->token, settings->token_file, what, err);
		if (result == REPRO_OK)
			result = repro_kube_token_normalize(&settings->token, what, err);
	}
	if (result == REPRO_OK && settings->exec != NULL)
		result = repro_kube_exec_run(settings, err);

	if (result == REPRO_OK && settings->ca.data != NULL)
		result = repro_kube_pem_check(&settings->ca, "CERTIFICATE", "the certificate authority", err);
	if (result == REPRO_OK && settings->client_cert.data != NULL)
		result = repro_kube_pem_check(&settings->client_cert, "CERTIFICATE", "the client certificate", err);
	if (result == REPRO_OK && settings->client_key.data != NULL)
		result = repro_kube_pem_check(&settings->client_key, "PRIVATE KEY", "the client key", err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "%s", settings->source ? settings->source : "kube settings");
	settings->resolved = true;
	return REPRO_OK;
}

/* A host name, an IPv4 address or an IPv6 address without brackets. */
static bool is_service_host(const char *host)
{
	size_t length = strlen(host);

	if (length == 0 || length > 253)
		return false;
	for (size_t i = 0; i < length; i++) {
		if (!isalnum((unsigned char)host[i]) && strchr(".-:", host[i]) == NULL)
			return false;
	}
	return true;
}

static bool is_port(const char *port)
{
	unsigned long value = 0;
	size_t length = strlen(port);

	if (length == 0 || length > 5)
		return false;
	for (size_t i = 0; i < length; i++) {
		if (!isdigit((unsigned char)port[i]))
			return false;
		value = value * 10 + (unsigned long)(port[i] - '0');
	}
	return value >= 1 && value <= 65535;
}

static int read_namespace(repro_kube_settings *out, const char *dir, repro_error *err)
{
	repro_kube_blob text = {NULL, 0};
	char *path = NULL;
	int result = repro_kube_resolve_path(&path, dir, "namespace", err);

	if (result == REPRO_OK)
		result = read_credential(&text, path, "the service account namespace", err);
	if (result == REPRO_ENOTFOUND)
		result = REPRO_OK;
	if (result == REPRO_OK && text.data != NULL &&
	    repro_kube_token_normalize(&text, "the service account namespace", err) == REPRO_OK)
		result = repro_kube_strdup(&out->namespace_name, (const char *)text.data, "the namespace", err);
	repro_kube_blob_wipe(&text);
	free(path);
	return result;
}

int repro_kube_in_cluster_load(repro_kube_settings *out, const char *service_account_dir,
                               repro_error *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = service_account_dir ? service_account_dir : REPRO_KUBE_SERVICE_ACCOUNT_DIR;
	int result, written;

	repro_kube_settings_dispose(out);
	if (host == NULL || host[0] == '\0' || port == NULL || port[0] == '\0')
		return repro_error_set(err, REPRO_ENOTFOUND,
			"in-cluster settings need $KUBERNETES_SERVICE_HOST and $KUBERNETES_SERVICE_PORT, which are not set");
	if (!is_service_host(host) || !is_port(port))
		return repro_error_set(err, REPRO_EFORMAT,
			"in-cluster settings: '%.200s' and '%.20s' are not a host name and a port number", host, port);

	written = strchr(host, ':') != NULL ? asprintf(&out->server, "https://[%s]:%s", host, port)
	                                    : asprintf(&out->server, "https://%s:%s", host, port);
	if (written < 0) {
		out->server = NULL;
		return repro_error_set(err, REPRO_ENOMEM, "in-cluster settings: out of memory");
	}
	result = repro_kube_strdup(&out->source, "in-cluster service account", "the source", err);
	if (result == REPRO_OK)
		result = repro_kube_resolve_path(&out->token_file, dir, "token", err);
	if (result == REPRO_OK)
		result = repro_kube_resolve_path(&out->ca_file, dir, "ca.crt", err);
	if (result == REPRO_OK)
		result = read_namespace(out, dir, err);
	if (result == REPRO_OK)
		result = repro_kube_settings_resolve(out, err);
	if (result != REPRO_OK)
		repro_kube_settings_dispose(out);
	return result;
}

/*
 * The API server client: lists pods over HTTPS with libcurl, one page per
 * request, following `continue` tokens. Credentials are handed to libcurl
 * from memory (CA, client certificate and key as blobs, the token as a
 * bearer credential), so nothing secret is written to disk.
 */
#include "kube_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include <reprocheck/json.h>

#define DEFAULT_PAGE_SIZE 500
#define DEFAULT_CONNECT_TIMEOUT 10
#define DEFAULT_REQUEST_TIMEOUT 60
/* A server that keeps returning continue tokens is stopped after this many
 * pages, which at the default page size is more than REPRO_KUBE_MAX_PODS. */
#define MAX_PAGES 10000
/* Bytes of a server's error message that are kept. */
#define MAX_SERVER_MESSAGE 300

typedef struct page_buffer {
	unsigned char *data;
	size_t size;
	size_t capacity;
	size_t max_bytes;
	bool too_large;
} page_buffer;

typedef struct list_state {
	const repro_kube_settings *settings;
	const repro_kube_list_options *options;
	CURL *curl;
	char error_buffer[CURL_ERROR_SIZE];
	page_buffer page;
	long http_status;
} list_state;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void init_curl(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_data(char *data, size_t size, size_t count, void *user)
{
	page_buffer *page = user;
	size_t length = size * count;

	if (length > page->max_bytes - page->size) {
		page->too_large = true;
		return 0;
	}
	if (page->size + length + 1 > page->capacity) {
		size_t capacity = page->capacity ? page->capacity : 65536;
		unsigned char *grown;

		while (capacity < page->size + length + 1)
			capacity *= 2;
		grown = realloc(page->data, capacity);
		if (grown == NULL)
			return 0;
		page->data = grown;
		page->capacity = capacity;
	}
	memcpy(page->data + page->size, data, length);
	page->size += length;
	page->data[page->size] = '\0';
	return length;
}

static int set_blob(CURL *curl, CURLoption option, const repro_kube_blob *blob)
{
	struct curl_blob value = {blob->data, blob->size, CURL_BLOB_COPY};

	return curl_easy_setopt(curl, option, &value) == CURLE_OK ? 0 : -1;
}

static int configure(list_state *state, repro_error *err)
{
	const repro_kube_settings *settings = state->settings;
	const repro_kube_list_options *options = state->options;
	CURL *curl = state->curl;
	int failed = 0;

	failed |= curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK;
	failed |= curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	failed |= curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	failed |= curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, state->error_buffer) != CURLE_OK;
	failed |= curl_easy_setopt(curl, CURLOPT_USERAGENT, "reprocheck") != CURLE_OK;
	failed |= curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
	failed |= curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK;
	failed |= curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state->page) != CURLE_OK;
	failed |= curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options->connect_timeout_seconds > 0 ?
	                           options->connect_timeout_seconds : (long)DEFAULT_CONNECT_TIMEOUT) != CURLE_OK;
	failed |= curl_easy_setopt(curl, CURLOPT_TIMEOUT, options->request_timeout_seconds > 0 ?
	                           options->request_timeout_seconds : (long)DEFAULT_REQUEST_TIMEOUT) != CURLE_OK;
	if (settings->ca.data != NULL)
		failed |= set_blob(curl, CURLOPT_CAINFO_BLOB, &settings->ca) != 0;
	if (settings->insecure_skip_tls_verify) {
		failed |= curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK;
		failed |= curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK;
	}
	if (settings->client_cert.data != NULL) {
		failed |= set_blob(curl, CURLOPT_SSLCERT_BLOB, &settings->client_cert) != 0;
		failed |= curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM") != CURLE_OK;
		failed |= set_blob(curl, CURLOPT_SSLKEY_BLOB, &settings->client_key) != 0;
		failed |= curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM") != CURLE_OK;
	}
	if (settings->token.data != NULL) {
		failed |= curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER) != CURLE_OK;
		failed |= curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, (const char *)settings->token.data) != CURLE_OK;
	}
	if (failed)
		return repro_error_set(err, REPRO_EUNSUPPORTED,
			"configuring libcurl %s for '%s' failed: it lacks HTTPS or in-memory certificates",
			curl_version_info(CURLVERSION_NOW)->version, settings->server);
	return REPRO_OK;
}

static int append_parameter(char **url, const char *name, const char *value, CURL *curl,
                            repro_error *err)
{
	char *escaped = curl_easy_escape(curl, value, 0), *joined = NULL;
	int written = -1;

	if (escaped != NULL)
		written = asprintf(&joined, "%s&%s=%s", *url, name, escaped);
	curl_free(escaped);
	if (written < 0)
		return repro_error_set(err, REPRO_ENOMEM, "building the request URL failed: out of memory");
	free(*url);
	*url = joined;
	return REPRO_OK;
}

static int build_url(list_state *state, const char *continue_token, char **out, repro_error *err)
{
	const repro_kube_list_options *options = state->options;
	unsigned int limit = options->page_size ? options->page_size : DEFAULT_PAGE_SIZE;
	char *escaped_namespace = NULL;
	int written, result = REPRO_OK;

	*out = NULL;
	if (options->namespace_name != NULL) {
		escaped_namespace = curl_easy_escape(state->curl, options->namespace_name, 0);
		if (escaped_namespace == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "building the request URL failed: out of memory");
		written = asprintf(out, "%s/api/v1/namespaces/%s/pods?limit=%u", state->settings->server,
		                   escaped_namespace, limit);
		curl_free(escaped_namespace);
	} else {
		written = asprintf(out, "%s/api/v1/pods?limit=%u", state->settings->server, limit);
	}
	if (written < 0) {
		*out = NULL;
		return repro_error_set(err, REPRO_ENOMEM, "building the request URL failed: out of memory");
	}
	if (options->label_selector != NULL)
		result = append_parameter(out, "labelSelector", options->label_selector, state->curl, err);
	if (result == REPRO_OK && continue_token != NULL)
		result = append_parameter(out, "continue", continue_token, state->curl, err);
	return result;
}

/* Copies the `message` of a Kubernetes Status body, without control
 * characters, into @p out; empty when the body is not a Status. */
static void server_message(const page_buffer *page, char *out, size_t size)
{
	repro_json_limits limits = {(size_t)1 << 20, 0};
	const char *message;
	json_t *root = NULL;
	size_t used = 0;

	out[0] = '\0';
	if (page->data == NULL || repro_json_parse(&root, page->data, page->size, "status", &limits, NULL) != REPRO_OK)
		return;
	message = json_string_value(json_object_get(root, "message"));
	for (const char *c = message; c != NULL && *c != '\0' && used + 1 < size; c++)
		out[used++] = (unsigned char)*c < 0x20 ? ' ' : *c;
	out[used] = '\0';
	json_decref(root);
}

static int http_error(const list_state *state, repro_error *err)
{
	char message[MAX_SERVER_MESSAGE + 1];
	const char *server = state->settings->server;
	long status = state->http_status;

	server_message(&state->page, message, sizeof(message));
	if (status == 401)
		return repro_error_set(err, REPRO_EAUTH,
			"API server '%s' rejected the credentials (HTTP 401 Unauthorized)%s%s: check the token or "
			"client certificate of %s", server, message[0] ? ": " : "", message,
			state->settings->source ? state->settings->source : "the settings");
	if (status == 403)
		return repro_error_set(err, REPRO_EAUTH,
			"API server '%s' denied listing pods (HTTP 403 Forbidden)%s%s", server,
			message[0] ? ": " : "", message);
	return repro_error_set(err, REPRO_ENETWORK, "API server '%s' answered HTTP %ld to a pod list request%s%s",
	                       server, status, message[0] ? ": " : "", message);
}

/* A server that requires a client certificate often just closes the
 * connection when none is sent, which libcurl reports as a send or
 * receive failure; say so when the settings hold no certificate. */
static const char *closed_hint(const list_state *state, CURLcode code)
{
	bool closed = code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR ||
	              code == CURLE_SSL_CONNECT_ERROR || code == CURLE_GOT_NOTHING;

	if (!closed || state->settings->client_cert.data != NULL)
		return "";
	return " (the server closed the connection; if it requires a client certificate, "
	       "set client-certificate and client-key for the user)";
}

static int request_page(list_state *state, const char *url, repro_error *err)
{
	CURLcode code;

	state->page.size = 0;
	state->page.too_large = false;
	state->error_buffer[0] = '\0';
	state->http_status = 0;
	if (curl_easy_setopt(state->curl, CURLOPT_URL, url) != CURLE_OK)
		return repro_error_set(err, REPRO_EFORMAT, "'%s' is not a URL libcurl accepts", state->settings->server);
	code = curl_easy_perform(state->curl);
	if (state->page.too_large)
		return repro_error_set(err, REPRO_ELIMIT, "a pod list page from '%s' is larger than %zu bytes",
		                       state->settings->server, state->page.max_bytes);
	if (code == CURLE_OPERATION_TIMEDOUT)
		return repro_error_set(err, REPRO_ETIMEOUT, "listing pods from '%s' timed out: %s",
		                       state->settings->server, state->error_buffer);
	if (code != CURLE_OK)
		return repro_error_set(err, REPRO_ENETWORK, "connecting to API server '%s' failed: %s%s",
		                       state->settings->server,
		                       state->error_buffer[0] ? state->error_buffer : curl_easy_strerror(code),
		                       closed_hint(state, code));
	curl_easy_getinfo(state->curl, CURLINFO_RESPONSE_CODE, &state->http_status);
	return REPRO_OK;
}

static int parse_page(list_state *state, repro_kube_pod_list *list, unsigned int number,
                      char **next, repro_error *err)
{
	repro_json_limits limits = {state->page.max_bytes, 0};
	char name[2200];
	json_t *root = NULL;
	int result;

	snprintf(name, sizeof(name), "pod list page %u from '%s'", number, state->settings->server);
	result = repro_json_parse(&root, state->page.data ? (const void *)state->page.data : "", state->page.size,
	                          name, &limits, err);
	if (result == REPRO_OK)
		result = repro_kube_pods_append(list, root, name, next, err);
	json_decref(root);
	return result;
}

/* Requests pages until the last one. An expired continue token (410 Gone)
 * means the server no longer keeps the snapshot being paged through, so
 * the listing starts over once, as kubectl does. */
static int list_pages(list_state *state, repro_kube_pod_list *list, unsigned int *restarts,
                      unsigned int *pages, repro_error *err)
{
	size_t kept = list->pod_count;
	char *token = NULL, *url = NULL, *next = NULL;
	int result = REPRO_OK;

	for (;;) {
		result = build_url(state, token, &url, err);
		if (result == REPRO_OK)
			result = request_page(state, url, err);
		free(url);
		url = NULL;
		if (result != REPRO_OK)
			break;
		if (state->http_status == 410 && token != NULL) {
			if (*restarts >= 1) {
				result = repro_error_set(err, REPRO_ENETWORK,
					"API server '%s' expired the pod list's continue token twice (HTTP 410 Gone): "
					"the list changes faster than it can be read; retry, or narrow it with "
					"--namespace or --selector", state->settings->server);
				break;
			}
			(*restarts)++;
			repro_kube_pod_list_truncate(list, kept);
			free(token);
			token = NULL;
			continue;
		}
		if (state->http_status != 200) {
			result = http_error(state, err);
			break;
		}
		if (++*pages > MAX_PAGES) {
			result = repro_error_set(err, REPRO_ELIMIT, "API server '%s' returned more than %d pages",
			                         state->settings->server, MAX_PAGES);
			break;
		}
		result = parse_page(state, list, *pages, &next, err);
		if (result != REPRO_OK || next == NULL)
			break;
		if (token != NULL && strcmp(token, next) == 0) {
			result = repro_error_set(err, REPRO_EFORMAT,
				"API server '%s' returned the same continue token twice", state->settings->server);
			break;
		}
		free(token);
		token = next;
		next = NULL;
	}
	free(token);
	free(next);
	if (result != REPRO_OK)
		repro_kube_pod_list_truncate(list, kept);
	return result;
}

int repro_kube_list_pods(const repro_kube_settings *settings,
                         const repro_kube_list_options *options, repro_kube_pod_list *list,
                         repro_error *err)
{
	repro_kube_list_options defaults;
	unsigned int restarts = 0, pages = 0;
	list_state *state;
	int result;

	if (options == NULL) {
		memset(&defaults, 0, sizeof(defaults));
		options = &defaults;
	}
	if (!settings->resolved || settings->server == NULL)
		return repro_error_set(err, REPRO_EUSAGE, "listing pods needs resolved settings with a server");
	pthread_once(&curl_once, init_curl);
	if (curl_init_result != CURLE_OK)
		return repro_error_set(err, REPRO_ENETWORK, "initialising libcurl failed: %s",
		                       curl_easy_strerror(curl_init_result));
	state = calloc(1, sizeof(*state));
	if (state == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "listing pods: out of memory");
	state->settings = settings;
	state->options = options;
	state->page.max_bytes = options->max_page_bytes ? options->max_page_bytes : REPRO_KUBE_PAGE_MAX_BYTES;
	state->curl = curl_easy_init();
	if (state->curl == NULL)
		result = repro_error_set(err, REPRO_ENOMEM, "creating a libcurl handle failed");
	else
		result = configure(state, err);
	if (result == REPRO_OK)
		result = list_pages(state, list, &restarts, &pages, err);

	if (options->restarts != NULL)
		*options->restarts = restarts;
	if (options->pages != NULL)
		*options->pages = pages;
	if (state->curl != NULL)
		curl_easy_cleanup(state->curl);
	free(state->page.data);
	free(state);
	return result;
}

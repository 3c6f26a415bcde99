/*
 * The registry client object and its request loop: authentication on a
 * challenge, redirects, retries with backoff, and plain HTTP for insecure
 * hosts that do not speak TLS.
 */
#include "registry_exchange_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "reprocheck_version.h"

#define IDLE_HANDLES 32

const char registry_manifest_accept[] =
	REPRO_MEDIA_TYPE_OCI_MANIFEST ", " REPRO_MEDIA_TYPE_OCI_INDEX ", "
	REPRO_MEDIA_TYPE_DOCKER_MANIFEST ", " REPRO_MEDIA_TYPE_DOCKER_MANIFEST_LIST;

void repro_registry_settings_init(repro_registry_settings *settings)
{
	memset(settings, 0, sizeof(*settings));
	settings->connect_timeout_seconds = 10;
	settings->low_speed_seconds = 30;
	settings->max_retries = 4;
	settings->retry_base_ms = 250;
	settings->max_retry_seconds = 30;
	settings->upload_chunk_bytes = (size_t)64 * 1024 * 1024;
}

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *user)
{
	repro_registry *registry = user;

	(void)handle;
	(void)access;
	pthread_mutex_lock(&registry->share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *user)
{
	repro_registry *registry = user;

	(void)handle;
	pthread_mutex_unlock(&registry->share_locks[data]);
}

int repro_registry_new(repro_registry **out, const repro_registry_settings *settings,
                       repro_error *err)
{
	repro_registry *registry;

	*out = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return repro_error_set(err, REPRO_ENETWORK, "initialising libcurl failed");
	registry = calloc(1, sizeof(*registry));
	if (registry == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "creating a registry client failed");
	registry->settings = *settings;
	snprintf(registry->user_agent, sizeof(registry->user_agent), "%s",
	         settings->user_agent ? settings->user_agent : "reprocheck/" REPROCHECK_VERSION);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&registry->share_locks[i], NULL);
	pthread_mutex_init(&registry->lock, NULL);
	registry->idle = calloc(IDLE_HANDLES, sizeof(*registry->idle));
	registry->idle_capacity = IDLE_HANDLES;
	registry->share = curl_share_init();
	if (registry->idle == NULL || registry->share == NULL) {
		repro_registry_free(registry);
		return repro_error_set(err, REPRO_ENOMEM, "creating a registry client failed");
	}
	curl_share_setopt(registry->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(registry->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(registry->share, CURLSHOPT_USERDATA, registry);
	curl_share_setopt(registry->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(registry->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(registry->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	*out = registry;
	return REPRO_OK;
}

static void dispose_token(registry_token *token)
{
	free(token->host);
	free(token->scope);
	if (token->value != NULL)
		explicit_bzero(token->value, strlen(token->value));
	free(token->value);
}

void repro_registry_free(repro_registry *registry)
{
	if (registry == NULL)
		return;
	for (size_t i = 0; i < registry->idle_count; i++)
		curl_easy_cleanup(registry->idle[i]);
	free(registry->idle);
	if (registry->share != NULL)
		curl_share_cleanup(registry->share);
	for (size_t i = 0; i < registry->host_count; i++) {
		free(registry->hosts[i].host);
		registry_credentials_dispose(&registry->hosts[i].credentials);
	}
	free(registry->hosts);
	for (size_t i = 0; i < registry->token_count; i++)
		dispose_token(&registry->tokens[i]);
	free(registry->tokens);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&registry->share_locks[i]);
	pthread_mutex_destroy(&registry->lock);
	free(registry);
}

void registry_log(const repro_registry *registry, int level, const char *format, ...)
{
	char message[1024];
	va_list args;

	if (registry->settings.log == NULL)
		return;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	registry->settings.log(registry->settings.log_context, level, message);
}

registry_host_state *registry_host(repro_registry *registry, const char *host)
{
	registry_host_state *hosts;

	for (size_t i = 0; i < registry->host_count; i++) {
		if (strcmp(registry->hosts[i].host, host) == 0)
			return &registry->hosts[i];
	}
	hosts = realloc(registry->hosts, (registry->host_count + 1) * sizeof(*hosts));
	if (hosts == NULL)
		return NULL;
	registry->hosts = hosts;
	memset(&hosts[registry->host_count], 0, sizeof(*hosts));
	if ((hosts[registry->host_count].host = strdup(host)) == NULL)
		return NULL;
	return &hosts[registry->host_count++];
}

bool registry_host_is_insecure(const repro_registry *registry, const char *host)
{
	const char *port = host[0] == '[' ? strstr(host, "]:") : strrchr(host, ':');
	size_t host_length = port ? (size_t)(port - host) + (host[0] == '[') : strlen(host);

	for (size_t i = 0; i < registry->settings.insecure_host_count; i++) {
		const char *entry = registry->settings.insecure_hosts[i];

		if (strcasecmp(entry, host) == 0)
			return true;
		if (strlen(entry) == host_length && strncasecmp(entry, host, host_length) == 0)
			return true;
	}
	return false;
}

void registry_url(repro_registry *registry, const char *host, const char *path, char *out,
                  size_t size)
{
	registry_host_state *state;
	bool plain = false;

	pthread_mutex_lock(&registry->lock);
	state = registry_host(registry, host);
	plain = state != NULL && state->plain_http;
	pthread_mutex_unlock(&registry->lock);
	snprintf(out, size, "%s://%s%s", plain ? "http" : "https", host, path);
}

void registry_scope(const repro_reference *reference, const char *actions, char *out,
                    size_t size)
{
	snprintf(out, size, "repository:%s:%s", reference->path, actions);
}

/* Stores the host[:port] of @p url in @p out; returns false when it has none. */
static bool url_host(const char *url, char *out, size_t size)
{
	CURLU *parts = curl_url();
	char *host = NULL, *port = NULL;
	bool found = false;

	if (parts != NULL && curl_url_set(parts, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(parts, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		curl_url_get(parts, CURLUPART_PORT, &port, 0);
		snprintf(out, size, "%s%s%s", host, port ? ":" : "", port ? port : "");
		found = true;
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(parts);
	return found;
}

/* Resolves @p location against @p base into @p out. */
static bool resolve_location(const char *base, const char *location, char *out, size_t size)
{
	CURLU *parts = curl_url();
	char *joined = NULL;
	bool resolved = false;

	if (parts != NULL && curl_url_set(parts, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(parts, CURLUPART_URL, location, 0) == CURLUE_OK &&
	    curl_url_get(parts, CURLUPART_URL, &joined, 0) == CURLUE_OK &&
	    strlen(joined) < size) {
		snprintf(out, size, "%s", joined);
		resolved = true;
	}
	curl_free(joined);
	curl_url_cleanup(parts);
	return resolved;
}

int registry_resolve_url(const char *base, const char *location, char *out, size_t size)
{
	return resolve_location(base, location, out, size) ? REPRO_OK : REPRO_EFORMAT;
}

static bool same_origin(const char *a, const char *b)
{
	char host_a[512], host_b[512];

	if (!url_host(a, host_a, sizeof(host_a)) || !url_host(b, host_b, sizeof(host_b)))
		return false;
	return strncmp(a, b, 5) == 0 && strcasecmp(host_a, host_b) == 0;
}

/* Sleeps before retry @p attempt, honouring Retry-After; returns false
 * when the retry budget of the request is spent. */
static bool back_off(repro_registry *registry, const registry_response *response,
                     unsigned attempt, unsigned *slept_ms, const char *what)
{
	const repro_registry_settings *s = &registry->settings;
	unsigned long delay = (unsigned long)s->retry_base_ms << (attempt < 16 ? attempt : 16);
	struct timespec pause;

	if (response != NULL && response->retry_after != NULL) {
		char *end = NULL;
		unsigned long seconds = strtoul(response->retry_after, &end, 10);

		if (end != response->retry_after && *end == '\0')
			delay = seconds * 1000;
	}
	if (attempt >= s->max_retries || *slept_ms + delay > s->max_retry_seconds * 1000UL)
		return false;
	registry_log(registry, 1, "retrying %s in %lu ms (attempt %u of %u)", what, delay,
	             attempt + 1, s->max_retries);
	pause.tv_sec = (time_t)(delay / 1000);
	pause.tv_nsec = (long)(delay % 1000) * 1000000L;
	while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
		;
	*slept_ms += (unsigned)delay;
	return true;
}

/* The state of one call of registry_send(). */
typedef struct send_state {
	char url[REGISTRY_MAX_URL];
	char first_url[REGISTRY_MAX_URL];
	bool send_auth;
	unsigned attempts;
	unsigned auth_rounds;
	unsigned redirects;
	unsigned slept_ms;
} send_state;

static int start_once(repro_registry *registry, const registry_request *request,
                      send_state *state, registry_transfer **t, bool *retryable,
                      bool *sent_token, bool *sent_basic, repro_error *err)
{
	char authorization[8192] = "", host[512];
	exchange_options options;
	int result;

	if (state->send_auth)
		registry_auth_header(registry, request->host,
		                     request->scopes[0] ? request->scopes[0] : "", authorization,
		                     sizeof(authorization));
	*sent_token = strncmp(authorization, "Authorization: Bearer", 21) == 0;
	*sent_basic = strncmp(authorization, "Authorization: Basic", 20) == 0;
	options.url = state->url;
	options.authorization = authorization;
	options.verify_tls = !(url_host(state->url, host, sizeof(host)) &&
	                       registry_host_is_insecure(registry, host));
	registry_log(registry, 2, "%s %s", request->method, state->url);
	result = registry_exchange_start(registry, request, &options, t, retryable, err);
	explicit_bzero(authorization, sizeof(authorization));
	return result;
}

/* Switches an insecure host that failed the TLS handshake to plain HTTP. */
static bool fall_back_to_http(repro_registry *registry, const registry_request *request,
                              send_state *state)
{
	registry_host_state *host_state;
	bool switched = false;

	if (strncmp(state->url, "https://", 8) != 0 ||
	    !registry_host_is_insecure(registry, request->host) || state->redirects > 0)
		return false;
	/* Another thread may have switched the host while this request was on
	 * its way over TLS; it is then retried over plain HTTP too. */
	pthread_mutex_lock(&registry->lock);
	host_state = registry_host(registry, request->host);
	if (host_state != NULL) {
		switched = !host_state->plain_http;
		host_state->plain_http = true;
	}
	pthread_mutex_unlock(&registry->lock);
	if (host_state == NULL)
		return false;
	if (switched)
		registry_log(registry, 1, "'%s' does not speak TLS; using plain HTTP, as it is an "
		             "insecure registry", request->host);
	memmove(state->url + 4, state->url + 5, strlen(state->url + 5) + 1);
	memcpy(state->url, "http", 4);
	return true;
}

/* Decides what follows a complete response: 1 to send again, 0 to stop. */
static int next_step(repro_registry *registry, const registry_request *request,
                     send_state *state, registry_transfer *t, bool sent_token, bool sent_basic,
                     repro_error *err)
{
	long status = t->response.status;
	char location[REGISTRY_MAX_URL];
	int result;

	if (status == 401 && state->send_auth && state->auth_rounds < 2 &&
	    t->response.authenticate != NULL) {
		if (sent_token)
			registry_auth_forget(registry, request->host,
			                     request->scopes[0] ? request->scopes[0] : "");
		state->auth_rounds++;
		result = registry_auth_challenge(registry, request->host, &t->response, request->scopes,
		                                 sent_basic, err);
		return result != REPRO_OK ? result : 1;
	}
	if (status >= 300 && status < 400 && status != 304 && t->response.location != NULL) {
		if (++state->redirects > REGISTRY_MAX_REDIRECTS)
			return repro_error_set(err, REPRO_ENETWORK, "%s %s: more than %d redirects",
			                       request->method, state->first_url, REGISTRY_MAX_REDIRECTS);
		if (!resolve_location(state->url, t->response.location, location, sizeof(location)))
			return repro_error_set(err, REPRO_ENETWORK, "%s %s: invalid redirect location",
			                       request->method, state->url);
		/* Storage hosts get no credentials meant for the registry. */
		if (!same_origin(state->first_url, location))
			state->send_auth = false;
		registry_log(registry, 2, "redirected to %s", location);
		snprintf(state->url, sizeof(state->url), "%s", location);
		return 1;
	}
	if ((status == 429 || status >= 500) &&
	    back_off(registry, &t->response, state->attempts++, &state->slept_ms, state->url))
		return 1;
	return 0;
}

int registry_send(repro_registry *registry, const registry_request *request,
                  registry_response *response, registry_transfer **transfer, repro_error *err)
{
	send_state state;
	registry_transfer *t = NULL;
	bool retryable, sent_token, sent_basic;
	int result, step;

	memset(&state, 0, sizeof(state));
	memset(response, 0, sizeof(*response));
	response->content_length = -1;
	if (transfer != NULL)
		*transfer = NULL;
	state.send_auth = true;
	if (request->url != NULL)
		snprintf(state.url, sizeof(state.url), "%s", request->url);
	else
		registry_url(registry, request->host, request->path, state.url, sizeof(state.url));
	snprintf(state.first_url, sizeof(state.first_url), "%s", state.url);

	for (;;) {
		result = start_once(registry, request, &state, &t, &retryable, &sent_token, &sent_basic,
		                    err);
		if (result != REPRO_OK) {
			if (fall_back_to_http(registry, request, &state))
				continue;
			if (retryable && back_off(registry, NULL, state.attempts++, &state.slept_ms,
			                          state.url))
				continue;
			return result;
		}
		if (!(request->stream && t->response.status >= 200 && t->response.status < 300) &&
		    (result = registry_exchange_finish(t, &retryable, err)) != REPRO_OK) {
			registry_transfer_free(t);
			if (retryable && back_off(registry, NULL, state.attempts++, &state.slept_ms,
			                          state.url))
				continue;
			return result;
		}
		step = next_step(registry, request, &state, t, sent_token, sent_basic, err);
		if (step == 1) {
			registry_transfer_free(t);
			continue;
		}
		if (step < 0) {
			registry_transfer_free(t);
			return step;
		}
		if (request->stream && transfer != NULL && t->response.status >= 200 &&
		    t->response.status < 300) {
			registry_exchange_take_response(t, response, false);
			*transfer = t;
			return REPRO_OK;
		}
		registry_exchange_take_response(t, response, true);
		registry_transfer_free(t);
		return REPRO_OK;
	}
}

int registry_token_request(repro_registry *registry, const registry_request *request,
                          const char *authorization, registry_response *response,
                          repro_error *err)
{
	exchange_options options;
	registry_transfer *t = NULL;
	unsigned attempts = 0, slept_ms = 0;
	char host[512];
	bool retryable;
	int result;

	memset(response, 0, sizeof(*response));
	response->content_length = -1;
	options.url = request->url;
	options.authorization = authorization;
	options.verify_tls = !(url_host(request->url, host, sizeof(host)) &&
	                       registry_host_is_insecure(registry, host));
	for (;;) {
		registry_log(registry, 2, "%s %s", request->method, request->url);
		result = registry_exchange_start(registry, request, &options, &t, &retryable, err);
		if (result == REPRO_OK)
			result = registry_exchange_finish(t, &retryable, err);
		if (result == REPRO_OK && (t->response.status == 429 || t->response.status >= 500) &&
		    back_off(registry, &t->response, attempts++, &slept_ms, request->url)) {
			registry_transfer_free(t);
			continue;
		}
		if (result != REPRO_OK) {
			registry_transfer_free(t);
			t = NULL;
			if (retryable && back_off(registry, NULL, attempts++, &slept_ms, request->url))
				continue;
			return result;
		}
		registry_exchange_take_response(t, response, true);
		registry_transfer_free(t);
		return REPRO_OK;
	}
}

/*
 * One HTTP exchange on a libcurl easy handle driven by a multi handle, so
 * that a body can be read piece by piece as a stream. The headers are
 * parsed as they arrive. The body is either kept, up to a limit, or handed
 * to registry_transfer_read().
 */
#include "registry_exchange_internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void registry_response_dispose(registry_response *response)
{
	free(response->content_type);
	free(response->content_digest);
	free(response->location);
	free(response->authenticate);
	free(response->link);
	free(response->retry_after);
	free(response->range);
	free(response->body);
	memset(response, 0, sizeof(*response));
	response->content_length = -1;
}

static void keep_header(char **slot, const char *value, size_t length, bool replace)
{
	char *copy;

	if (*slot != NULL && !replace)
		return;
	copy = strndup(value, length);
	if (copy == NULL)
		return;
	free(*slot);
	*slot = copy;
}

static void parse_status_line(registry_transfer *t, const char *line, size_t length)
{
	const char *space = memchr(line, ' ', length);

	registry_response_dispose(&t->response);
	t->response.status = 0;
	if (space != NULL && (size_t)(space - line) + 4 <= length)
		t->response.status = strtol(space + 1, NULL, 10);
}

static void parse_header_field(registry_transfer *t, const char *line, size_t length)
{
	const char *colon = memchr(line, ':', length);
	const char *value, *end = line + length;
	size_t name_length;
	registry_response *r = &t->response;

	if (colon == NULL)
		return;
	name_length = (size_t)(colon - line);
	value = colon + 1;
	while (value < end && (*value == ' ' || *value == '\t'))
		value++;
	while (end > value && isspace((unsigned char)end[-1]))
		end--;

#define HEADER_IS(name) (name_length == sizeof(name) - 1 && strncasecmp(line, name, name_length) == 0)
	if (HEADER_IS("content-type")) {
		keep_header(&r->content_type, value, (size_t)(end - value), false);
	} else if (HEADER_IS("docker-content-digest")) {
		keep_header(&r->content_digest, value, (size_t)(end - value), false);
	} else if (HEADER_IS("location")) {
		keep_header(&r->location, value, (size_t)(end - value), false);
	} else if (HEADER_IS("www-authenticate")) {
		/* Prefer a Bearer challenge when a registry offers several. */
		bool bearer = end - value > 7 && strncasecmp(value, "bearer ", 7) == 0;
		bool had_bearer = r->authenticate && strncasecmp(r->authenticate, "bearer ", 7) == 0;

		keep_header(&r->authenticate, value, (size_t)(end - value), bearer && !had_bearer);
	} else if (HEADER_IS("link")) {
		keep_header(&r->link, value, (size_t)(end - value), false);
	} else if (HEADER_IS("retry-after")) {
		keep_header(&r->retry_after, value, (size_t)(end - value), false);
	} else if (HEADER_IS("range")) {
		keep_header(&r->range, value, (size_t)(end - value), false);
	} else if (HEADER_IS("content-length")) {
		char *stop = NULL;
		long long number = strtoll(value, &stop, 10);

		if (stop != value && number >= 0)
			r->content_length = number;
	}
#undef HEADER_IS
}

static size_t on_header(char *data, size_t size, size_t count, void *user)
{
	registry_transfer *t = user;
	size_t length = size * count;

	if (length > REGISTRY_MAX_HEADER)
		return length;  /* no header the client uses is this long */
	if (length >= 5 && strncmp(data, "HTTP/", 5) == 0)
		parse_status_line(t, data, length);
	else if ((length == 2 && data[0] == '\r') || (length == 1 && data[0] == '\n'))
		t->headers_done = t->response.status >= 200;
	else
		parse_header_field(t, data, length);
	return length;
}

static bool keeps_body(const registry_transfer *t)
{
	return !t->stream_mode || t->response.status < 200 || t->response.status >= 300;
}

static int grow(registry_transfer *t, size_t needed)
{
	size_t capacity = t->capacity ? t->capacity : 16384;
	unsigned char *bytes;

	if (needed <= t->capacity)
		return 0;
	while (capacity < needed)
		capacity *= 2;
	bytes = realloc(t->buffer, capacity + 1);
	if (bytes == NULL)
		return -1;
	t->buffer = bytes;
	t->capacity = capacity;
	return 0;
}

static size_t on_body(char *data, size_t size, size_t count, void *user)
{
	registry_transfer *t = user;
	size_t length = size * count;
	bool success = t->response.status >= 200 && t->response.status < 300;

	if (keeps_body(t)) {
		size_t limit = success ? t->max_body : REGISTRY_MAX_ERROR_BODY;

		if (success && (t->response.content_length > (int64_t)limit || t->used + length > limit)) {
			t->overflow = true;
			return 0;
		}
		if (t->used + length > limit)
			return length;  /* the rest of an error body is not needed */
	} else {
		if (t->used - t->start >= REGISTRY_STREAM_BUFFER) {
			t->paused = true;
			return CURL_WRITEFUNC_PAUSE;
		}
		if (t->start > 0) {
			memmove(t->buffer, t->buffer + t->start, t->used - t->start);
			t->used -= t->start;
			t->start = 0;
		}
	}
	if (grow(t, t->used + length) != 0)
		return 0;
	memcpy(t->buffer + t->used, data, length);
	t->used += length;
	return length;
}

static size_t on_read(char *buffer, size_t size, size_t count, void *user)
{
	registry_transfer *t = user;
	const registry_body *body = t->body;
	size_t length = size * count;
	ssize_t got;

	if (body == NULL)
		return 0;
	if (body->bytes != NULL || body->open == NULL) {
		size_t left = body->size - t->sent;

		if (length > left)
			length = left;
		if (length > 0)
			memcpy(buffer, body->bytes + t->sent, length);
		t->sent += length;
		return length;
	}
	if ((int64_t)length > body->stream_size - (int64_t)t->sent)
		length = (size_t)(body->stream_size - (int64_t)t->sent);
	if (length == 0)
		return 0;
	got = repro_stream_read(t->body_stream, buffer, length, &t->body_error);
	if (got < 0)
		return CURL_READFUNC_ABORT;
	if (got == 0) {
		repro_error_set(&t->body_error, REPRO_EMISMATCH,
			"the upload body ended after %zu of %" PRId64 " bytes", t->sent, body->stream_size);
		return CURL_READFUNC_ABORT;
	}
	t->sent += (size_t)got;
	return (size_t)got;
}

/* Opens the body stream and skips to its offset, for a chunk. */
static int open_body_stream(registry_transfer *t, repro_error *err)
{
	const registry_body *body = t->body;
	unsigned char scratch[65536];
	int64_t skipped = 0;
	int result;

	if (body == NULL || body->open == NULL)
		return REPRO_OK;
	if ((result = body->open(body->context, &t->body_stream, err)) != REPRO_OK)
		return result;
	while (skipped < body->stream_offset) {
		size_t want = sizeof(scratch);
		ssize_t got;

		if ((int64_t)want > body->stream_offset - skipped)
			want = (size_t)(body->stream_offset - skipped);
		got = repro_stream_read(t->body_stream, scratch, want, err);
		if (got < 0)
			return (int)got;
		if (got == 0)
			return repro_error_set(err, REPRO_EMISMATCH, "the upload body is shorter than "
			                       "%" PRId64 " bytes", body->stream_offset);
		skipped += got;
	}
	return REPRO_OK;
}

static CURL *take_handle(repro_registry *registry)
{
	CURL *easy = NULL;

	pthread_mutex_lock(&registry->lock);
	if (registry->idle_count > 0)
		easy = registry->idle[--registry->idle_count];
	pthread_mutex_unlock(&registry->lock);
	if (easy != NULL) {
		curl_easy_reset(easy);
		return easy;
	}
	return curl_easy_init();
}

static void return_handle(repro_registry *registry, CURL *easy)
{
	if (easy == NULL)
		return;
	pthread_mutex_lock(&registry->lock);
	if (registry->idle_count < registry->idle_capacity) {
		registry->idle[registry->idle_count++] = easy;
		easy = NULL;
	}
	pthread_mutex_unlock(&registry->lock);
	if (easy != NULL)
		curl_easy_cleanup(easy);
}

void registry_transfer_free(registry_transfer *t)
{
	if (t == NULL)
		return;
	if (t->multi != NULL && t->easy != NULL)
		curl_multi_remove_handle(t->multi, t->easy);
	if (t->multi != NULL)
		curl_multi_cleanup(t->multi);
	return_handle(t->registry, t->easy);
	curl_slist_free_all(t->headers);
	repro_stream_close(t->body_stream);
	registry_response_dispose(&t->response);
	free(t->buffer);
	free(t);
}

static int add_header(registry_transfer *t, const char *name, const char *value)
{
	char line[REGISTRY_MAX_HEADER];
	struct curl_slist *list;

	if (value == NULL)
		return 0;
	if (name == NULL)
		snprintf(line, sizeof(line), "%s", value);
	else
		snprintf(line, sizeof(line), "%s: %s", name, value);
	list = curl_slist_append(t->headers, line);
	explicit_bzero(line, sizeof(line));  /* the line may hold credentials */
	if (list == NULL)
		return -1;
	t->headers = list;
	return 0;
}

static int set_options(registry_transfer *t, const registry_request *request,
                       const exchange_options *options)
{
	repro_registry *registry = t->registry;
	const repro_registry_settings *s = &registry->settings;
	CURL *e = t->easy;
	bool has_body = strcmp(request->method, "GET") != 0 && strcmp(request->method, "HEAD") != 0;
	int64_t body_size = 0;

	if (add_header(t, "Accept", request->accept) || add_header(t, "Content-Type", request->content_type) ||
	    add_header(t, "Content-Range", request->content_range) ||
	    add_header(t, NULL, options->authorization[0] ? options->authorization : NULL) ||
	    add_header(t, NULL, "Expect:"))
		return -1;
	if (request->body != NULL)
		body_size = request->body->open ? request->body->stream_size : (int64_t)request->body->size;

	curl_easy_setopt(e, CURLOPT_SHARE, registry->share);
	curl_easy_setopt(e, CURLOPT_URL, options->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, registry->user_agent);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->curl_error);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, s->connect_timeout_seconds);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, s->low_speed_seconds);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, options->verify_tls ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, options->verify_tls ? 2L : 0L);
	if (s->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, s->ca_file);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	if (strcmp(request->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (has_body) {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, request->method);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_size);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, t);
	}
	return 0;
}

static bool is_retryable(CURLcode code)
{
	return code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR || code == CURLE_GOT_NOTHING ||
	       code == CURLE_PARTIAL_FILE || code == CURLE_HTTP2 || code == CURLE_HTTP2_STREAM;
}

/* Turns the result of a failed transfer into an error. */
static int transfer_error(registry_transfer *t, bool *retryable, repro_error *err)
{
	const char *detail = t->curl_error[0] ? t->curl_error : curl_easy_strerror(t->result);

	*retryable = is_retryable(t->result);
	if (t->overflow)
		return repro_error_set(err, REPRO_ELIMIT, "%s %s: the response is larger than the "
		                       "limit of %zu bytes", t->method, t->url, t->max_body);
	if (t->body_error.code != REPRO_OK) {
		*err = t->body_error;
		return repro_error_prefix(err, "%s %s", t->method, t->url);
	}
	switch (t->result) {
	case CURLE_OPERATION_TIMEDOUT:
		return repro_error_set(err, REPRO_ETIMEOUT, "%s %s timed out: %s", t->method, t->url,
		                       detail);
	case CURLE_SSL_CONNECT_ERROR:
		/* OpenSSL's "wrong version number" is a server that answered a TLS
		 * handshake in plain HTTP. */
		if (strstr(detail, "wrong version number") != NULL)
			return repro_error_set(err, REPRO_ENETWORK, "%s %s failed: TLS: %s; the server "
			                       "seems to speak plain HTTP: if you trust it, pass "
			                       "--insecure-registry HOST:PORT", t->method, t->url, detail);
		/* fall through */
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return repro_error_set(err, REPRO_ENETWORK, "%s %s failed: TLS: %s; pass the registry's "
		                       "CA with --ca-file", t->method, t->url, detail);
	default:
		return repro_error_set(err, REPRO_ENETWORK, "%s %s failed: %s", t->method, t->url,
		                       detail);
	}
}

/* Runs the transfer for one step, waiting up to 1 s for the sockets. */
static void pump(registry_transfer *t)
{
	CURLMsg *message;
	int running = 0, left;

	curl_multi_perform(t->multi, &running);
	while ((message = curl_multi_info_read(t->multi, &left)) != NULL) {
		if (message->msg == CURLMSG_DONE) {
			t->done = true;
			t->result = message->data.result;
		}
	}
	if (!t->done && !(t->stream_mode && t->headers_done && t->paused))
		curl_multi_poll(t->multi, NULL, 0, 1000, NULL);
}

int registry_exchange_start(repro_registry *registry, const registry_request *request,
                            const exchange_options *options, registry_transfer **out,
                            bool *retryable, repro_error *err)
{
	registry_transfer *t = calloc(1, sizeof(*t));
	int result;

	*out = NULL;
	*retryable = false;
	if (t == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "preparing a request failed");
	t->registry = registry;
	t->response.content_length = -1;
	t->stream_mode = request->stream;
	t->max_body = request->max_body;
	t->body = request->body;
	snprintf(t->url, sizeof(t->url), "%s", options->url);
	snprintf(t->method, sizeof(t->method), "%s", request->method);
	t->easy = take_handle(registry);
	t->multi = curl_multi_init();
	if (t->easy == NULL || t->multi == NULL || set_options(t, request, options) != 0) {
		registry_transfer_free(t);
		return repro_error_set(err, REPRO_ENOMEM, "preparing %s %s failed", request->method,
		                       options->url);
	}
	if ((result = open_body_stream(t, err)) != REPRO_OK) {
		registry_transfer_free(t);
		return result;
	}
	curl_multi_add_handle(t->multi, t->easy);
	while (!t->done && !(t->stream_mode && t->headers_done && !keeps_body(t)))
		pump(t);
	if (t->done && t->result != CURLE_OK) {
		result = transfer_error(t, retryable, err);
		registry_transfer_free(t);
		return result;
	}
	*out = t;
	return REPRO_OK;
}

int registry_exchange_finish(registry_transfer *t, bool *retryable, repro_error *err)
{
	*retryable = false;
	if (t->paused) {
		t->paused = false;
		curl_easy_pause(t->easy, CURLPAUSE_CONT);
	}
	while (!t->done)
		pump(t);
	if (t->result != CURLE_OK)
		return transfer_error(t, retryable, err);
	return REPRO_OK;
}

void registry_exchange_take_response(registry_transfer *t, registry_response *out,
                                     bool with_body)
{
	*out = t->response;
	memset(&t->response, 0, sizeof(t->response));
	t->response.content_length = out->content_length;
	t->response.status = out->status;
	if (!with_body)
		return;
	if (t->buffer != NULL)
		t->buffer[t->used] = '\0';
	out->body = t->buffer;
	out->body_size = t->used;
	t->buffer = NULL;
	t->used = t->start = t->capacity = 0;
}

ssize_t registry_transfer_read(registry_transfer *t, void *buffer, size_t size,
                               repro_error *err)
{
	bool retryable;

	while (t->used == t->start && !t->done) {
		if (t->paused) {
			t->paused = false;
			curl_easy_pause(t->easy, CURLPAUSE_CONT);
		}
		pump(t);
	}
	if (t->used == t->start) {
		if (t->result != CURLE_OK)
			return transfer_error(t, &retryable, err);
		return 0;
	}
	if (size > t->used - t->start)
		size = t->used - t->start;
	memcpy(buffer, t->buffer + t->start, size);
	t->start += size;
	return (ssize_t)size;
}

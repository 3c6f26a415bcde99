/*
 * One HTTP exchange of the registry client, between the transport's retry
 * loop and libcurl. Internal to the registry files.
 */
#ifndef REPROCHECK_REGISTRY_EXCHANGE_INTERNAL_H
#define REPROCHECK_REGISTRY_EXCHANGE_INTERNAL_H

#include "registry_internal.h"

struct registry_transfer {
	repro_registry *registry;
	CURL *easy;
	CURLM *multi;
	struct curl_slist *headers;
	registry_response response;
	char url[REGISTRY_MAX_URL];
	char method[8];
	bool headers_done;
	bool done;
	CURLcode result;
	char curl_error[CURL_ERROR_SIZE];
	bool stream_mode;
	bool paused;
	bool overflow;
	size_t max_body;
	unsigned char *buffer;  /* kept body, or the unread part of a streamed one */
	size_t start;
	size_t used;
	size_t capacity;
	const registry_body *body;
	repro_stream *body_stream;
	size_t sent;
	repro_error body_error;
};

/* What the exchange sends besides the request's own fields. */
typedef struct exchange_options {
	const char *url;
	const char *authorization;  /* a full "Authorization: ..." line, or "" */
	bool verify_tls;
} exchange_options;

/*
 * Starts @p request on @p options->url and runs it until its headers are
 * in (a streamed 2xx) or it is complete. A transport failure is returned
 * with @p err set and @p retryable telling whether another try may help;
 * then @p out is NULL.
 */
int registry_exchange_start(repro_registry *registry, const registry_request *request,
                            const exchange_options *options, registry_transfer **out,
                            bool *retryable, repro_error *err);

/* Runs a started transfer to its end, keeping its body in the response. */
int registry_exchange_finish(registry_transfer *transfer, bool *retryable, repro_error *err);

/* Moves the response headers of @p transfer into @p out, and with
 * @p with_body the kept body too. */
void registry_exchange_take_response(registry_transfer *transfer, registry_response *out,
                                     bool with_body);

#endif

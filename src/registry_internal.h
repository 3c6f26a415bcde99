/*
 * The parts of the registry client: transport (one HTTP exchange, retries,
 * redirects), authentication (challenges, tokens, credentials) and the
 * parsers they use. Internal to the library and its tests.
 */
#ifndef REPROCHECK_REGISTRY_INTERNAL_H
#define REPROCHECK_REGISTRY_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include <reprocheck/registry.h>

/* Bounds on what one exchange accepts. */
#define REGISTRY_MAX_ERROR_BODY ((size_t)64 * 1024)
#define REGISTRY_MAX_TOKEN_BODY ((size_t)1024 * 1024)
#define REGISTRY_MAX_HEADER ((size_t)8 * 1024)
#define REGISTRY_MAX_REDIRECTS 5
#define REGISTRY_MAX_URL 4096
#define REGISTRY_MAX_SCOPES 4
#define REGISTRY_STREAM_BUFFER ((size_t)1024 * 1024)

/* Credentials for one registry host. */
typedef struct registry_credentials {
	char *username;
	char *password;
} registry_credentials;

/* A token for one host and scope. */
typedef struct registry_token {
	char *host;
	char *scope;
	char *value;
	time_t expires;
} registry_token;

/* What each host was learned to need. */
typedef struct registry_host_state {
	char *host;
	bool plain_http;     /* an insecure host that does not speak TLS */
	bool basic;          /* the host challenged for Basic credentials */
	bool has_credentials;
	bool credentials_looked_up;
	registry_credentials credentials;
} registry_host_state;

struct repro_registry {
	repro_registry_settings settings;
	char user_agent[64];
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t lock;  /* guards everything below */
	CURL **idle;           /* easy handles ready for reuse */
	size_t idle_count;
	size_t idle_capacity;
	registry_host_state *hosts;
	size_t host_count;
	registry_token *tokens;
	size_t token_count;
};

/* The response headers that the client uses, and a bounded body. */
typedef struct registry_response {
	long status;
	char *content_type;
	char *content_digest;  /* Docker-Content-Digest */
	char *location;
	char *authenticate;    /* the first WWW-Authenticate, Bearer preferred */
	char *link;
	char *retry_after;
	char *range;
	int64_t content_length;  /* -1 when absent */
	unsigned char *body;
	size_t body_size;
} registry_response;

void registry_response_dispose(registry_response *response);

/* A request body: bytes in memory, or a stream opened again for each try. */
typedef struct registry_body {
	const unsigned char *bytes;
	size_t size;
	repro_registry_open_fn open;
	void *context;
	int64_t stream_size;  /* bytes to send from the stream */
	int64_t stream_offset; /* bytes of the stream to skip first (chunks) */
} registry_body;

/* One request; the transport fills in auth, retries and redirects. */
typedef struct registry_request {
	const char *method;
	const char *host;       /* HOST[:PORT] of the registry */
	const char *path;       /* "/v2/...", with query; or NULL when url is set */
	const char *url;        /* an absolute URL (upload locations), or NULL */
	const char *accept;
	const char *content_type;
	const char *content_range;
	const registry_body *body;
	const char *scopes[REGISTRY_MAX_SCOPES];  /* token scopes this request needs */
	size_t max_body;        /* bytes of the response body kept; more is REPRO_ELIMIT */
	bool stream;            /* leave a 2xx body unread, for registry_transfer_read() */
	const char *what;       /* names the request in messages, e.g. "manifest v1" */
} registry_request;

/* An exchange in progress whose body is read piece by piece. */
typedef struct registry_transfer registry_transfer;

/*
 * Sends @p request, authenticating on a 401 challenge, following redirects
 * (without Authorization to another origin) and retrying 429, 5xx and
 * dropped connections with backoff. Fills @p response; with
 * request->stream and a 2xx status, also stores the open transfer in
 * @p transfer. A non-2xx final status is left to the caller, which turns
 * it into an error with registry_status_error().
 */
int registry_send(repro_registry *registry, const registry_request *request,
                  registry_response *response, registry_transfer **transfer, repro_error *err);

/* Sends @p request (a token request) once, with retries but no challenge
 * handling, with the Authorization line @p authorization or "". */
int registry_token_request(repro_registry *registry, const registry_request *request,
                          const char *authorization, registry_response *response,
                          repro_error *err);

/* Reads the body of a streamed transfer; 0 at its end. */
ssize_t registry_transfer_read(registry_transfer *transfer, void *buffer, size_t size,
                               repro_error *err);
void registry_transfer_free(registry_transfer *transfer);

/* Turns a non-2xx response into an error naming @p what, with the
 * registry's error codes and messages when the body has them. */
int registry_status_error(const registry_response *response, const char *what,
                          repro_error *err);

/* Parses an error body {"errors":[{"code","message"}]} into "CODE: message;
 * ..." in @p out, and stores the repro_code of its first known code in
 * @p code (0 when none is known). Returns false when the body has none. */
bool registry_parse_error_body(const unsigned char *body, size_t size, char *out, size_t out_size,
                               int *code);

/* A parsed WWW-Authenticate challenge. */
typedef struct registry_challenge {
	char scheme[16];   /* "bearer" or "basic", lower case */
	char *realm;
	char *service;
	char *scope;
} registry_challenge;

/* Parses a challenge; quoted values may hold commas and escaped quotes. */
int registry_challenge_parse(registry_challenge *out, const char *header, repro_error *err);
void registry_challenge_dispose(registry_challenge *challenge);

/* Extracts the URL of a `Link: <URL>; rel="next"` header into a malloc()ed
 * string, or NULL when there is no next page. */
char *registry_link_next(const char *header);

/* Sets @p out to the Authorization line for a request to @p host with
 * @p scope, or to "" when there is none yet. The line is a secret. */
void registry_auth_header(repro_registry *registry, const char *host, const char *scope,
                          char *out, size_t size);

/* Handles a 401 for @p host: fetches a token for the challenge and
 * @p scopes, or records that Basic credentials are to be sent. A Basic
 * challenge to a request that @p sent_basic credentials is REPRO_EAUTH. */
int registry_auth_challenge(repro_registry *registry, const char *host,
                            const registry_response *response, const char *const *scopes,
                            bool sent_basic, repro_error *err);

/* Drops the cached token for @p host and @p scope, after a 401 with it. */
void registry_auth_forget(repro_registry *registry, const char *host, const char *scope);

/* Finds or adds the state of @p host; the caller holds registry->lock. */
registry_host_state *registry_host(repro_registry *registry, const char *host);

/* Looks up credentials for @p host in the environment and the Docker
 * config; the caller holds registry->lock. Sets state->has_credentials. */
int registry_lookup_credentials(repro_registry *registry, registry_host_state *state,
                                repro_error *err);

/* Parses a Docker config (the JSON text in @p bytes) for @p host's
 * credentials, running a credential helper when the config names one.
 * Sets @p found. Used by registry_lookup_credentials() and tests. */
int registry_config_credentials(const unsigned char *bytes, size_t size, const char *name,
                                const char *host, registry_credentials *out, bool *found,
                                repro_error *err);

void registry_credentials_dispose(registry_credentials *credentials);

/* Returns true when @p host (HOST[:PORT]) is in the insecure list: the
 * same host and port, or the same host when the entry has no port. */
bool registry_host_is_insecure(const repro_registry *registry, const char *host);

/* Formats "https://HOST/PATH" or "http://..." for @p host into @p out. */
void registry_url(repro_registry *registry, const char *host, const char *path, char *out,
                  size_t size);

/* Resolves the absolute or relative URL @p location against @p base into
 * @p out; REPRO_EFORMAT when it is not a URL. */
int registry_resolve_url(const char *base, const char *location, char *out, size_t size);

/* Logs @p format at @p level through settings.log. */
void registry_log(const repro_registry *registry, int level, const char *format, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* Stores the scope "repository:PATH:ACTIONS" in @p out. */
void registry_scope(const repro_reference *reference, const char *actions, char *out,
                    size_t size);

/* The Accept header for manifests: every manifest and index type. */
extern const char registry_manifest_accept[];

#endif

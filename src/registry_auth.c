/*
 * Authentication: the Bearer token flow (challenge, token endpoint, cache
 * with expiry) and Basic credentials. Tokens and credentials stay in
 * memory and are wiped when freed; no message includes them.
 */
#include "registry_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>

#include <reprocheck/json.h>

/* A token is renewed this many seconds before its stated expiry. */
#define TOKEN_EXPIRY_MARGIN 10
/* OAuth2 and the distribution token spec give 60 s when expires_in is absent. */
#define TOKEN_DEFAULT_LIFETIME 60

static void basic_header(const registry_credentials *credentials, char *out, size_t size)
{
	char plain[1024];
	unsigned char encoded[1400];
	int length = snprintf(plain, sizeof(plain), "%s:%s", credentials->username,
	                      credentials->password);

	if (length < 0 || (size_t)length >= sizeof(plain)) {
		out[0] = '\0';
		return;
	}
	EVP_EncodeBlock(encoded, (const unsigned char *)plain, length);
	snprintf(out, size, "Authorization: Basic %s", encoded);
	explicit_bzero(plain, sizeof(plain));
	explicit_bzero(encoded, sizeof(encoded));
}

/* Returns true when credentials may be sent to @p url: over TLS, or to an
 * insecure host the user named. */
static bool may_send_credentials(const repro_registry *registry, const char *url,
                                 const char *host)
{
	return strncmp(url, "https://", 8) == 0 || registry_host_is_insecure(registry, host);
}

void registry_auth_header(repro_registry *registry, const char *host, const char *scope,
                          char *out, size_t size)
{
	time_t now = time(NULL);
	registry_host_state *state;
	char url[16];

	out[0] = '\0';
	pthread_mutex_lock(&registry->lock);
	for (size_t i = 0; i < registry->token_count; i++) {
		registry_token *token = &registry->tokens[i];

		if (strcmp(token->host, host) == 0 && strcmp(token->scope, scope) == 0 &&
		    token->expires > now) {
			snprintf(out, size, "Authorization: Bearer %s", token->value);
			break;
		}
	}
	state = registry_host(registry, host);
	if (out[0] == '\0' && state != NULL && state->basic && state->has_credentials) {
		snprintf(url, sizeof(url), "%s", state->plain_http ? "http://" : "https://");
		if (may_send_credentials(registry, url, host))
			basic_header(&state->credentials, out, size);
	}
	pthread_mutex_unlock(&registry->lock);
}

void registry_auth_forget(repro_registry *registry, const char *host, const char *scope)
{
	pthread_mutex_lock(&registry->lock);
	for (size_t i = 0; i < registry->token_count; i++) {
		registry_token *token = &registry->tokens[i];

		if (strcmp(token->host, host) == 0 && strcmp(token->scope, scope) == 0)
			token->expires = 0;
	}
	pthread_mutex_unlock(&registry->lock);
}

static int store_token(repro_registry *registry, const char *host, const char *scope,
                       const char *value, long long lifetime, repro_error *err)
{
	registry_token *tokens, *slot = NULL;
	int result = REPRO_OK;

	if (lifetime <= 0)
		lifetime = TOKEN_DEFAULT_LIFETIME;
	pthread_mutex_lock(&registry->lock);
	for (size_t i = 0; i < registry->token_count && slot == NULL; i++) {
		if (strcmp(registry->tokens[i].host, host) == 0 &&
		    strcmp(registry->tokens[i].scope, scope) == 0)
			slot = &registry->tokens[i];
	}
	if (slot == NULL) {
		tokens = realloc(registry->tokens, (registry->token_count + 1) * sizeof(*tokens));
		if (tokens != NULL) {
			registry->tokens = tokens;
			slot = &tokens[registry->token_count];
			memset(slot, 0, sizeof(*slot));
			slot->host = strdup(host);
			slot->scope = strdup(scope);
			registry->token_count++;
		}
	}
	if (slot != NULL) {
		if (slot->value != NULL)
			explicit_bzero(slot->value, strlen(slot->value));
		free(slot->value);
		slot->value = strdup(value);
		slot->expires = time(NULL) + (time_t)lifetime -
		                (lifetime > 2 * TOKEN_EXPIRY_MARGIN ? TOKEN_EXPIRY_MARGIN : 0);
	}
	if (slot == NULL || slot->host == NULL || slot->scope == NULL || slot->value == NULL) {
		if (slot != NULL)
			slot->expires = 0;
		result = repro_error_set(err, REPRO_ENOMEM, "storing a token for '%s' failed", host);
	}
	pthread_mutex_unlock(&registry->lock);
	return result;
}

/* Appends "&scope=VALUE" (URL-encoded) to @p url. */
static int append_parameter(char *url, size_t size, const char *name, const char *value)
{
	char *escaped = curl_easy_escape(NULL, value, 0);
	size_t used = strlen(url);
	int written;

	if (escaped == NULL)
		return -1;
	written = snprintf(url + used, size - used, "%s%s=%s", strchr(url, '?') ? "&" : "?", name,
	                   escaped);
	curl_free(escaped);
	return written < 0 || (size_t)written >= size - used ? -1 : 0;
}

/* Returns true when one of @p scopes names the same resource as
 * @p scope. The client's own scopes always include pull, so they cover
 * the scope of a challenge on the same repository. */
static bool scope_covered(const char *scope, const char *const *scopes)
{
	const char *actions = strrchr(scope, ':');
	size_t length = actions ? (size_t)(actions - scope) + 1 : strlen(scope);

	for (size_t i = 0; i < REGISTRY_MAX_SCOPES && scopes[i] != NULL; i++) {
		if (strncmp(scopes[i], scope, length) == 0 && strchr(scopes[i] + length, ':') == NULL)
			return true;
	}
	return false;
}

static int token_url(const registry_challenge *challenge, const char *const *scopes, char *out,
                     size_t size, repro_error *err)
{
	bool failed = false;

	snprintf(out, size, "%s", challenge->realm);
	if (challenge->service != NULL)
		failed |= append_parameter(out, size, "service", challenge->service) != 0;
	if (challenge->scope != NULL && !scope_covered(challenge->scope, scopes))
		failed |= append_parameter(out, size, "scope", challenge->scope) != 0;
	for (size_t i = 0; i < REGISTRY_MAX_SCOPES && scopes[i] != NULL; i++)
		failed |= append_parameter(out, size, "scope", scopes[i]) != 0;
	if (failed)
		return repro_error_set(err, REPRO_ELIMIT, "the token URL for realm '%.200s' is too long",
		                       challenge->realm);
	return REPRO_OK;
}

static int parse_token(const registry_response *response, const char *url, char **token,
                       long long *lifetime, repro_error *err)
{
	json_t *root = NULL;
	const char *value;
	int result = repro_json_parse(&root, response->body, response->body_size, "token response",
	                              NULL, err);

	*token = NULL;
	*lifetime = 0;
	if (result != REPRO_OK)
		return repro_error_prefix(err, "GET %s", url);
	value = json_string_value(json_object_get(root, "token"));
	if (value == NULL || value[0] == '\0')
		value = json_string_value(json_object_get(root, "access_token"));
	if (value == NULL || value[0] == '\0') {
		json_decref(root);
		return repro_error_set(err, REPRO_EAUTH, "GET %s: the response has no token", url);
	}
	if (json_is_integer(json_object_get(root, "expires_in")))
		*lifetime = json_integer_value(json_object_get(root, "expires_in"));
	*token = strdup(value);
	json_decref(root);
	if (*token == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "storing a token failed");
	return REPRO_OK;
}

/* Looks up the host's credentials and returns the Basic header for the
 * token realm @p url, or "" when there are none or they may not go there. */
static int realm_authorization(repro_registry *registry, const char *host, const char *url,
                               char *out, size_t size, repro_error *err)
{
	registry_host_state *state;
	int result = REPRO_OK;

	out[0] = '\0';
	pthread_mutex_lock(&registry->lock);
	state = registry_host(registry, host);
	if (state == NULL)
		result = repro_error_set(err, REPRO_ENOMEM, "authenticating to '%s' failed", host);
	else if (!state->credentials_looked_up)
		result = registry_lookup_credentials(registry, state, err);
	if (result == REPRO_OK && state->has_credentials &&
	    may_send_credentials(registry, url, host))
		basic_header(&state->credentials, out, size);
	pthread_mutex_unlock(&registry->lock);
	return result;
}

static int fetch_token(repro_registry *registry, const char *host,
                       const registry_challenge *challenge, const char *const *scopes,
                       repro_error *err)
{
	char url[REGISTRY_MAX_URL], authorization[2048];
	registry_request request;
	registry_response response;
	char *token = NULL;
	long long lifetime;
	int result;

	if ((result = token_url(challenge, scopes, url, sizeof(url), err)) != REPRO_OK ||
	    (result = realm_authorization(registry, host, url, authorization, sizeof(authorization),
	                                  err)) != REPRO_OK)
		return result;
	memset(&request, 0, sizeof(request));
	request.method = "GET";
	request.host = host;
	request.url = url;
	request.max_body = REGISTRY_MAX_TOKEN_BODY;
	result = registry_token_request(registry, &request, authorization, &response, err);
	explicit_bzero(authorization, sizeof(authorization));
	if (result != REPRO_OK)
		return repro_error_prefix(err, "requesting a token for '%s'", host);
	if (response.status < 200 || response.status >= 300) {
		result = repro_error_set(err, response.status == 401 || response.status == 403 ?
		                         REPRO_EAUTH : REPRO_ENETWORK,
		                         "requesting a token for '%s' from %s: HTTP %ld; check the "
		                         "credentials (--registry-config or " REPRO_REGISTRY_USER_ENV ")",
		                         host, challenge->realm, response.status);
	} else if ((result = parse_token(&response, challenge->realm, &token, &lifetime, err)) ==
	           REPRO_OK) {
		result = store_token(registry, host, scopes[0] ? scopes[0] : "", token, lifetime, err);
		registry_log(registry, 2, "received a token for '%s' scope '%s'", host,
		             scopes[0] ? scopes[0] : "");
	}
	if (token != NULL)
		explicit_bzero(token, strlen(token));
	free(token);
	registry_response_dispose(&response);
	return result;
}

int registry_auth_challenge(repro_registry *registry, const char *host,
                            const registry_response *response, const char *const *scopes,
                            bool sent_basic, repro_error *err)
{
	registry_challenge challenge;
	registry_host_state *state;
	int result = registry_challenge_parse(&challenge, response->authenticate, err);

	if (result != REPRO_OK)
		return repro_error_prefix(err, "authenticating to '%s'", host);
	if (strcmp(challenge.scheme, "bearer") == 0) {
		result = fetch_token(registry, host, &challenge, scopes, err);
	} else if (strcmp(challenge.scheme, "basic") == 0) {
		pthread_mutex_lock(&registry->lock);
		state = registry_host(registry, host);
		if (state == NULL)
			result = repro_error_set(err, REPRO_ENOMEM, "authenticating to '%s' failed", host);
		else if (!state->credentials_looked_up)
			result = registry_lookup_credentials(registry, state, err);
		if (result == REPRO_OK && !state->has_credentials)
			result = repro_error_set(err, REPRO_EAUTH,
				"'%s' asks for credentials and none are known; set them in the Docker config "
				"(--registry-config) or in " REPRO_REGISTRY_USER_ENV " and "
				REPRO_REGISTRY_PASSWORD_ENV, host);
		else if (result == REPRO_OK && sent_basic)
			result = repro_error_set(err, REPRO_EAUTH, "'%s' rejected the credentials; check "
			                         "them (--registry-config or " REPRO_REGISTRY_USER_ENV ")",
			                         host);
		else if (result == REPRO_OK)
			state->basic = true;
		pthread_mutex_unlock(&registry->lock);
	} else {
		result = repro_error_set(err, REPRO_EUNSUPPORTED,
			"'%s' asks for authentication scheme '%s'; only Bearer and Basic are supported",
			host, challenge.scheme);
	}
	registry_challenge_dispose(&challenge);
	return result;
}

/*
 * Parsers for what registries send besides content: error bodies,
 * WWW-Authenticate challenges and Link headers.
 */
#include "registry_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include <reprocheck/json.h>

/* The error codes of the distribution API and what each means here. */
static const struct {
	const char *name;
	int code;
} error_codes[] = {
	{"MANIFEST_UNKNOWN", REPRO_ENOTFOUND}, {"BLOB_UNKNOWN", REPRO_ENOTFOUND},
	{"NAME_UNKNOWN", REPRO_ENOTFOUND}, {"BLOB_UPLOAD_UNKNOWN", REPRO_ENOTFOUND},
	{"MANIFEST_BLOB_UNKNOWN", REPRO_ENOTFOUND}, {"UNAUTHORIZED", REPRO_EAUTH},
	{"DENIED", REPRO_EAUTH}, {"TOOMANYREQUESTS", REPRO_ENETWORK},
	{"UNAVAILABLE", REPRO_ENETWORK}, {"DIGEST_INVALID", REPRO_EMISMATCH},
	{"SIZE_INVALID", REPRO_EMISMATCH}, {"MANIFEST_INVALID", REPRO_EFORMAT},
	{"MANIFEST_UNVERIFIED", REPRO_EFORMAT}, {"BLOB_UPLOAD_INVALID", REPRO_EFORMAT},
	{"NAME_INVALID", REPRO_EUSAGE}, {"TAG_INVALID", REPRO_EUSAGE},
	{"RANGE_INVALID", REPRO_EFORMAT}, {"PAGINATION_NUMBER_INVALID", REPRO_EUSAGE},
	{"UNSUPPORTED", REPRO_EUNSUPPORTED},
};

static int code_of(const char *name)
{
	for (size_t i = 0; i < sizeof(error_codes) / sizeof(error_codes[0]); i++) {
		if (strcmp(error_codes[i].name, name) == 0)
			return error_codes[i].code;
	}
	return 0;
}

bool registry_parse_error_body(const unsigned char *body, size_t size, char *out, size_t out_size,
                               int *code)
{
	repro_error ignored;
	json_t *root = NULL, *errors, *entry;
	size_t used = 0, index;

	*code = 0;
	out[0] = '\0';
	if (body == NULL || size == 0 ||
	    repro_json_parse(&root, body, size, "error body", NULL, &ignored) != REPRO_OK)
		return false;
	errors = json_object_get(root, "errors");
	json_array_foreach(errors, index, entry) {
		const char *name = json_string_value(json_object_get(entry, "code"));
		const char *message = json_string_value(json_object_get(entry, "message"));

		if (name == NULL || index >= 4 || used >= out_size)
			continue;
		if (*code == 0)
			*code = code_of(name);
		used += (size_t)snprintf(out + used, out_size - used, "%s%.64s%s%.200s",
		                         used ? "; " : "", name, message ? ": " : "",
		                         message ? message : "");
	}
	json_decref(root);
	return out[0] != '\0';
}

static int code_for_status(long status)
{
	if (status == 401 || status == 403)
		return REPRO_EAUTH;
	if (status == 404)
		return REPRO_ENOTFOUND;
	return REPRO_ENETWORK;
}

int registry_status_error(const registry_response *response, const char *what,
                          repro_error *err)
{
	char detail[1024];
	int code = 0;
	const char *hint = "";

	if (!registry_parse_error_body(response->body, response->body_size, detail, sizeof(detail),
	                               &code))
		snprintf(detail, sizeof(detail), "no error details");
	if (code == 0)
		code = code_for_status(response->status);
	if (code == REPRO_EAUTH)
		hint = "; check the credentials (--registry-config or " REPRO_REGISTRY_USER_ENV ")";
	return repro_error_set(err, code, "%s: HTTP %ld: %s%s", what, response->status, detail, hint);
}

void registry_challenge_dispose(registry_challenge *challenge)
{
	free(challenge->realm);
	free(challenge->service);
	free(challenge->scope);
	memset(challenge, 0, sizeof(*challenge));
}

/* Reads a token or quoted-string value at @p cursor into a malloc()ed
 * string, unescaping backslashes, and advances @p cursor past it. */
static char *read_value(const char **cursor)
{
	const char *p = *cursor;
	size_t length = 0;
	char *value;

	if (*p != '"') {
		while (p[length] != '\0' && p[length] != ',' && p[length] != ' ' && p[length] != '\t')
			length++;
		*cursor = p + length;
		return strndup(p, length);
	}
	value = malloc(strlen(p));
	if (value == NULL)
		return NULL;
	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		value[length++] = *p;
	}
	value[length] = '\0';
	*cursor = *p == '"' ? p + 1 : p;
	return value;
}

int registry_challenge_parse(registry_challenge *out, const char *header, repro_error *err)
{
	const char *p = header;
	size_t scheme_length = strcspn(header, " \t");

	memset(out, 0, sizeof(*out));
	if (scheme_length == 0 || scheme_length >= sizeof(out->scheme))
		return repro_error_set(err, REPRO_EFORMAT, "invalid authentication challenge");
	for (size_t i = 0; i < scheme_length; i++)
		out->scheme[i] = (char)(header[i] | 0x20);
	p += scheme_length;
	while (*p != '\0') {
		const char *name;
		size_t name_length;
		char *value, **slot = NULL;

		p += strspn(p, " \t,");
		name = p;
		name_length = strcspn(p, "= \t,");
		if (name_length == 0 || p[name_length] != '=')
			break;
		p += name_length + 1;
		if ((value = read_value(&p)) == NULL) {
			registry_challenge_dispose(out);
			return repro_error_set(err, REPRO_ENOMEM, "parsing a challenge failed");
		}
		if (name_length == 5 && strncasecmp(name, "realm", 5) == 0)
			slot = &out->realm;
		else if (name_length == 7 && strncasecmp(name, "service", 7) == 0)
			slot = &out->service;
		else if (name_length == 5 && strncasecmp(name, "scope", 5) == 0)
			slot = &out->scope;
		if (slot != NULL && *slot == NULL)
			*slot = value;
		else
			free(value);
	}
	if (strcmp(out->scheme, "bearer") == 0 && out->realm == NULL) {
		registry_challenge_dispose(out);
		return repro_error_set(err, REPRO_EFORMAT, "Bearer challenge has no realm");
	}
	return REPRO_OK;
}

char *registry_link_next(const char *header)
{
	const char *p = header;

	/* Link: <url>; rel="next", <url2>; rel="prev" */
	while (p != NULL && *p != '\0') {
		const char *open = strchr(p, '<'), *close, *end;

		if (open == NULL || (close = strchr(open, '>')) == NULL)
			return NULL;
		end = strchr(close, ',');
		if (end == NULL)
			end = close + strlen(close);
		for (const char *q = close; q + 3 < end; q++) {
			if (strncasecmp(q, "rel=", 4) != 0)
				continue;
			q += 4;
			if (*q == '"')
				q++;
			if (strncasecmp(q, "next", 4) == 0 && (q[4] == '"' || q[4] == ';' || q[4] == ' ' ||
			                                       q + 4 == end))
				return strndup(open + 1, (size_t)(close - open - 1));
			break;
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

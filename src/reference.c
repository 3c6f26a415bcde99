#include <reprocheck/reference.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int invalid(repro_error *err, const char *text, const char *reason)
{
	return repro_error_set(err, REPRO_EUSAGE, "invalid reference '%.300s': %s", text, reason);
}

/* Checks a domain component: alphanumerics, with inner '-' allowed. */
static bool valid_domain_component(const char *start, size_t length)
{
	if (length == 0 || !is_alnum(start[0]) || !is_alnum(start[length - 1]))
		return false;
	for (size_t i = 1; i + 1 < length; i++) {
		if (!is_alnum(start[i]) && start[i] != '-')
			return false;
	}
	return true;
}

static bool valid_port(const char *start, size_t length)
{
	unsigned long value = 0;

	if (length == 0 || length > 5)
		return false;
	for (size_t i = 0; i < length; i++) {
		if (start[i] < '0' || start[i] > '9')
			return false;
		value = value * 10 + (unsigned long)(start[i] - '0');
	}
	return value >= 1 && value <= 65535;
}

/* Checks HOST[:PORT], where HOST is a domain name, an IPv4 address (a
 * domain name by this grammar) or "[IPv6]". */
static int check_domain(const char *domain, size_t length, const char *text, repro_error *err)
{
	const char *port = NULL, *end = domain + length, *host_end;
	size_t colons = 0;

	if (domain[0] == '[') {
		const char *close = memchr(domain, ']', length);

		if (close == NULL || close == domain + 1)
			return invalid(err, text, "IPv6 address has no closing ']'");
		for (const char *p = domain + 1; p < close; p++) {
			if (*p == ':')
				colons++;
			else if (!is_hex(*p) && *p != '.')
				return invalid(err, text, "IPv6 address has an invalid character");
		}
		if (colons < 2)
			return invalid(err, text, "IPv6 address needs at least two ':'");
		host_end = close + 1;
	} else {
		host_end = memchr(domain, ':', length);
		if (host_end == NULL)
			host_end = end;
		for (const char *start = domain; start <= host_end;) {
			const char *dot = memchr(start, '.', (size_t)(host_end - start));
			const char *stop = dot ? dot : host_end;

			if (!valid_domain_component(start, (size_t)(stop - start)))
				return invalid(err, text, "registry host has an invalid component");
			start = stop + 1;
		}
	}
	if (host_end < end) {
		if (*host_end != ':')
			return invalid(err, text, "registry host has text after ']'");
		port = host_end + 1;
		if (!valid_port(port, (size_t)(end - port)))
			return invalid(err, text, "registry port must be a number from 1 to 65535");
	}
	return REPRO_OK;
}

/* Checks one path component: alphanumerics joined by '.', '_', "__" or
 * runs of '-'. Upper case is reported apart, as the Docker tools do. */
static int check_path_component(const char *start, size_t length, const char *text,
                                repro_error *err)
{
	size_t i = 0;

	if (length == 0)
		return invalid(err, text, "repository path has an empty component");
	for (size_t k = 0; k < length; k++) {
		if (start[k] >= 'A' && start[k] <= 'Z')
			return invalid(err, text, "repository name must be lower case");
	}
	if (!is_lower_alnum(start[0]) || !is_lower_alnum(start[length - 1]))
		return invalid(err, text, "repository path component must start and end with a "
		                          "letter or digit");
	while (i < length) {
		size_t run = 0;

		if (is_lower_alnum(start[i])) {
			i++;
			continue;
		}
		while (i + run < length && !is_lower_alnum(start[i + run]))
			run++;
		if (!(run == 1 && (start[i] == '.' || start[i] == '_')) &&
		    !(run == 2 && start[i] == '_' && start[i + 1] == '_') &&
		    strspn(start + i, "-") < run)
			return invalid(err, text, "repository path has an invalid separator or character");
		i += run;
	}
	return REPRO_OK;
}

static int check_path(const char *path, const char *text, repro_error *err)
{
	const char *start = path;
	size_t hex = strspn(path, "0123456789abcdef");
	int result;

	if (hex == 64 && path[64] == '\0')
		return invalid(err, text, "a 64-character hexadecimal repository name is an image ID, "
		                          "not a name");
	for (;;) {
		const char *slash = strchr(start, '/');
		size_t length = slash ? (size_t)(slash - start) : strlen(start);

		if ((result = check_path_component(start, length, text, err)) != REPRO_OK)
			return result;
		if (slash == NULL)
			return REPRO_OK;
		start = slash + 1;
	}
}

static int check_tag(const char *tag, const char *text, repro_error *err)
{
	size_t length = strlen(tag);

	if (length == 0)
		return invalid(err, text, "tag is empty");
	if (length > REPRO_REFERENCE_MAX_TAG)
		return invalid(err, text, "tag is longer than 128 characters");
	if (tag[0] == '.' || tag[0] == '-')
		return invalid(err, text, "tag must not start with '.' or '-'");
	for (size_t i = 0; i < length; i++) {
		if (!is_alnum(tag[i]) && tag[i] != '_' && tag[i] != '.' && tag[i] != '-')
			return invalid(err, text, "tag has an invalid character");
	}
	return REPRO_OK;
}

/* Splits NAME into domain and path as the Docker tools do, then fills
 * @p out with malloc()ed, normalised strings. */
static int split_name(const char *name, const char *text, repro_reference *out, repro_error *err)
{
	const char *slash = strchr(name, '/');
	size_t first = slash ? (size_t)(slash - name) : 0;
	bool has_domain = false;
	int result;

	if (slash != NULL) {
		has_domain = memchr(name, '.', first) != NULL || memchr(name, ':', first) != NULL ||
		             (first == 9 && strncmp(name, "localhost", 9) == 0);
		for (size_t i = 0; i < first && !has_domain; i++)
			has_domain = name[i] >= 'A' && name[i] <= 'Z';
	}
	if (has_domain) {
		if (first == 0)
			return invalid(err, text, "registry host is empty");
		if ((result = check_domain(name, first, text, err)) != REPRO_OK)
			return result;
		out->domain = first == 15 && strncmp(name, "index.docker.io", 15) == 0 ?
		              strdup(REPRO_REFERENCE_DOCKER_HUB) : strndup(name, first);
		name += first + 1;
	} else {
		out->domain = strdup(REPRO_REFERENCE_DOCKER_HUB);
	}
	if (out->domain == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "parsing reference '%.300s' failed", text);
	if ((result = check_path(name, text, err)) != REPRO_OK)
		return result;

	if (strcmp(out->domain, REPRO_REFERENCE_DOCKER_HUB) == 0 && strchr(name, '/') == NULL) {
		size_t length = strlen(name) + sizeof("library/");

		if ((out->path = malloc(length)) != NULL)
			snprintf(out->path, length, "library/%s", name);
	} else {
		out->path = strdup(name);
	}
	if (out->path == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "parsing reference '%.300s' failed", text);
	if (strlen(out->domain) + 1 + strlen(out->path) > REPRO_REFERENCE_MAX_NAME)
		return invalid(err, text, "repository name is longer than 255 characters");
	return REPRO_OK;
}

/* Parses the digest after '@' and cuts it off @p copy. */
static int take_digest(char *copy, const char *text, repro_reference *out, repro_error *err)
{
	char *at = strchr(copy, '@');
	int result;

	if (at == NULL)
		return REPRO_OK;
	*at = '\0';
	result = repro_digest_parse(&out->digest, at + 1, err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "invalid reference '%.300s'", text);
	out->has_digest = true;
	return REPRO_OK;
}

/* Cuts ":TAG" off @p copy when the last ':' follows the last '/'. */
static int take_tag(char *copy, const char *text, repro_reference *out, repro_error *err)
{
	char *slash = strrchr(copy, '/');
	char *colon = strrchr(slash ? slash : copy, ':');
	int result;

	if (colon == NULL) {
		if (out->has_digest)
			return REPRO_OK;
		out->tag = strdup(REPRO_REFERENCE_DEFAULT_TAG);
	} else {
		*colon = '\0';
		if ((result = check_tag(colon + 1, text, err)) != REPRO_OK)
			return result;
		out->tag = strdup(colon + 1);
	}
	if (out->tag == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "parsing reference '%.300s' failed", text);
	return REPRO_OK;
}

int repro_reference_parse(repro_reference *out, const char *text, repro_error *err)
{
	char *copy = NULL;
	int result;

	memset(out, 0, sizeof(*out));
	if (text[0] == '\0')
		return repro_error_set(err, REPRO_EUSAGE, "invalid reference: it is empty");
	if (strlen(text) > REPRO_REFERENCE_MAX_TEXT)
		return invalid(err, text, "it is longer than 1024 characters");
	if ((copy = strdup(text)) == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "parsing reference '%.300s' failed", text);

	if ((result = take_digest(copy, text, out, err)) != REPRO_OK ||
	    (result = take_tag(copy, text, out, err)) != REPRO_OK)
		goto cleanup;
	if (copy[0] == '\0') {
		result = invalid(err, text, "repository name is empty");
		goto cleanup;
	}
	result = split_name(copy, text, out, err);

cleanup:
	free(copy);
	if (result != REPRO_OK)
		repro_reference_dispose(out);
	return result;
}

void repro_reference_dispose(repro_reference *reference)
{
	free(reference->domain);
	free(reference->path);
	free(reference->tag);
	memset(reference, 0, sizeof(*reference));
}

int repro_reference_copy(repro_reference *out, const repro_reference *source, repro_error *err)
{
	*out = *source;
	out->domain = strdup(source->domain);
	out->path = strdup(source->path);
	out->tag = source->tag ? strdup(source->tag) : NULL;
	if (out->domain == NULL || out->path == NULL || (source->tag && out->tag == NULL)) {
		repro_reference_dispose(out);
		return repro_error_set(err, REPRO_ENOMEM, "copying a reference failed");
	}
	return REPRO_OK;
}

void repro_reference_format_name(const repro_reference *reference,
                                 char out[REPRO_REFERENCE_STRING_MAX])
{
	snprintf(out, REPRO_REFERENCE_STRING_MAX, "%s/%s", reference->domain, reference->path);
}

void repro_reference_format(const repro_reference *reference,
                            char out[REPRO_REFERENCE_STRING_MAX])
{
	char digest[REPRO_DIGEST_STRING_MAX] = "";

	if (reference->has_digest)
		repro_digest_format(&reference->digest, digest);
	snprintf(out, REPRO_REFERENCE_STRING_MAX, "%s/%s%s%s%s%s", reference->domain,
	         reference->path, reference->tag ? ":" : "", reference->tag ? reference->tag : "",
	         reference->has_digest ? "@" : "", digest);
}

const char *repro_reference_api_host(const repro_reference *reference)
{
	if (strcmp(reference->domain, REPRO_REFERENCE_DOCKER_HUB) == 0)
		return REPRO_REFERENCE_DOCKER_HUB_API;
	return reference->domain;
}

bool repro_reference_names_registry(const char *text)
{
	const char *slash = strchr(text, '/');
	size_t first;

	if (slash == NULL)
		return false;
	first = (size_t)(slash - text);
	return memchr(text, '.', first) != NULL || memchr(text, ':', first) != NULL ||
	       (first == 9 && strncmp(text, "localhost", 9) == 0);
}

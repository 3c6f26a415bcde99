/* Tag listing with Link pagination, bounded in pages and tags. */
#include "registry_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <reprocheck/json.h>

static void free_tags(char **tags, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(tags[i]);
	free(tags);
}

static int append_page(const registry_response *response, const char *what, char ***tags,
                       size_t *count, repro_error *err)
{
	json_t *root = NULL, *list, *tag;
	size_t index;
	int result = repro_json_parse(&root, response->body, response->body_size, what, NULL, err);

	if (result != REPRO_OK)
		return result;
	list = json_object_get(root, "tags");
	if (!json_is_array(list) && !json_is_null(list) && list != NULL) {
		json_decref(root);
		return repro_error_set(err, REPRO_EFORMAT, "%s: 'tags' is not an array", what);
	}
	json_array_foreach(list, index, tag) {
		char **grown;

		if (!json_is_string(tag))
			continue;
		if (*count >= REPRO_REGISTRY_MAX_TAGS) {
			result = repro_error_set(err, REPRO_ELIMIT, "%s: more than %d tags", what,
			                         REPRO_REGISTRY_MAX_TAGS);
			break;
		}
		grown = realloc(*tags, (*count + 1) * sizeof(*grown));
		if (grown == NULL || (grown[*count] = strdup(json_string_value(tag))) == NULL) {
			if (grown != NULL)
				*tags = grown;
			result = repro_error_set(err, REPRO_ENOMEM, "%s: storing tags failed", what);
			break;
		}
		*tags = grown;
		(*count)++;
	}
	json_decref(root);
	return result;
}

int repro_registry_list_tags(repro_registry *registry, const repro_reference *reference,
                             char ***out, size_t *count, repro_error *err)
{
	char url[REGISTRY_MAX_URL], next_url[REGISTRY_MAX_URL], path[600], scope[600], what[700];
	char name[REPRO_REFERENCE_STRING_MAX];
	registry_request request;
	registry_response response;
	size_t origin_length;
	int result = REPRO_OK;

	*out = NULL;
	*count = 0;
	repro_reference_format_name(reference, name);
	snprintf(what, sizeof(what), "tags of '%s'", name);
	snprintf(path, sizeof(path), "/v2/%s/tags/list", reference->path);
	registry_url(registry, repro_reference_api_host(reference), path, url, sizeof(url));
	registry_scope(reference, "pull", scope, sizeof(scope));
	origin_length = strlen(url) - strlen(path) + 1;
	for (int page = 0; result == REPRO_OK; page++) {
		char *next;

		if (page == REPRO_REGISTRY_MAX_TAG_PAGES) {
			result = repro_error_set(err, REPRO_ELIMIT, "%s: more than %d pages", what,
			                         REPRO_REGISTRY_MAX_TAG_PAGES);
			break;
		}
		memset(&request, 0, sizeof(request));
		request.method = "GET";
		request.host = repro_reference_api_host(reference);
		request.url = url;
		request.scopes[0] = scope;
		request.max_body = REPRO_REGISTRY_MAX_MANIFEST_BYTES;
		if ((result = registry_send(registry, &request, &response, NULL, err)) != REPRO_OK)
			break;
		if (response.status != 200)
			result = registry_status_error(&response, what, err);
		if (result == REPRO_OK)
			result = append_page(&response, what, out, count, err);
		next = response.link ? registry_link_next(response.link) : NULL;
		registry_response_dispose(&response);
		if (result != REPRO_OK || next == NULL) {
			free(next);
			break;
		}
		result = registry_resolve_url(url, next, next_url, sizeof(next_url));
		free(next);
		/* The next page must come from the registry itself, which gets the token. */
		if (result != REPRO_OK || strncmp(next_url, url, origin_length) != 0)
			result = repro_error_set(err, REPRO_EFORMAT, "%s: invalid Link header", what);
		snprintf(url, sizeof(url), "%s", next_url);
	}
	if (result != REPRO_OK) {
		free_tags(*out, *count);
		*out = NULL;
		*count = 0;
	}
	return result;
}

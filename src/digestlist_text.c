#include "digestlist_internal.h"

#include <stdlib.h>
#include <string.h>

#include "syntax_internal.h"

/* One line being parsed, for messages. */
typedef struct line_state {
	const char *list_name;
	size_t number;
} line_state;

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Cuts @p line at a '#' that starts it or follows whitespace, then trims
 * whitespace at both ends. Returns the start of what is left. */
static char *strip_comment(char *line)
{
	char *end;

	while (is_blank(*line))
		line++;
	for (char *cursor = line; *cursor != '\0'; cursor++) {
		if (*cursor == '#' && (cursor == line || is_blank(cursor[-1]))) {
			*cursor = '\0';
			break;
		}
	}
	end = line + strlen(line);
	while (end > line && is_blank(end[-1]))
		*--end = '\0';
	return line;
}

/* Splits @p line into NAME and DIGEST: "NAME@DIGEST" or "NAME DIGEST". */
static int split_line(const line_state *state, char *line, char **name, char **digest,
                      repro_error *err)
{
	char *blank = strpbrk(line, " \t");
	char *rest;

	if (blank == NULL) {
		char *at = strchr(line, '@');

		if (at == NULL)
			return repro_error_set(err, REPRO_EFORMAT,
				"digest list '%s', line %zu: expected NAME@DIGEST or NAME DIGEST, found '%.*s'",
				state->list_name, state->number, REPRO_SYNTAX_ECHO_MAX, line);
		*at = '\0';
		*name = line;
		*digest = at + 1;
		return REPRO_OK;
	}

	*blank = '\0';
	rest = blank + 1;
	while (is_blank(*rest))
		rest++;
	if (strpbrk(rest, " \t") != NULL || strchr(line, '@') != NULL)
		return repro_error_set(err, REPRO_EFORMAT,
			"digest list '%s', line %zu: expected NAME@DIGEST or NAME DIGEST, found '%.*s %.*s'",
			state->list_name, state->number, REPRO_SYNTAX_ECHO_MAX, line, REPRO_SYNTAX_ECHO_MAX, rest);
	*name = line;
	*digest = rest;
	return REPRO_OK;
}

static int add_image(const line_state *state, repro_digestlist_release *release,
                     const char *name, const repro_digest *manifest, size_t *lines,
                     repro_error *err)
{
	repro_digestlist_image *image;
	repro_digestlist_image *grown;
	int result;

	for (size_t i = 0; i < release->image_count; i++) {
		if (strcmp(release->images[i].name, name) == 0)
			return repro_error_set(err, REPRO_EFORMAT,
				"digest list '%s', line %zu: duplicate image '%s', already listed on line %zu",
				state->list_name, state->number, name, lines[i]);
	}
	if (release->image_count == REPRO_DIGESTLIST_MAX_IMAGES)
		return repro_error_set(err, REPRO_ELIMIT,
			"digest list '%s', line %zu: more than %d images", state->list_name, state->number,
			REPRO_DIGESTLIST_MAX_IMAGES);
	grown = realloc(release->images, (release->image_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "reading digest list '%s' failed: out of memory",
		                       state->list_name);
	release->images = grown;
	image = &release->images[release->image_count++];
	memset(image, 0, sizeof(*image));
	lines[release->image_count - 1] = state->number;

	image->platforms = calloc(1, sizeof(*image->platforms));
	if (image->platforms == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "reading digest list '%s' failed: out of memory",
		                       state->list_name);
	image->platform_count = 1;
	image->platforms[0].manifest = *manifest;
	result = repro_digestlist_strdup(&image->name, name, err);
	/* A name with a '/' can only be a reference; a bare name may be either,
	 * so it is kept as the name alone. */
	if (result == REPRO_OK && strchr(name, '/') != NULL)
		result = repro_digestlist_strdup(&image->reference, name, err);
	return result;
}

static int parse_line(const line_state *state, char *line, repro_digestlist_release *release,
                      size_t *lines, repro_error *err)
{
	char *name = NULL, *digest_text = NULL;
	repro_digest digest;
	int result;

	for (const unsigned char *cursor = (const unsigned char *)line; *cursor != '\0'; cursor++) {
		if ((*cursor < 0x20 && *cursor != '\t') || *cursor == 0x7f)
			return repro_error_set(err, REPRO_EFORMAT,
				"digest list '%s', line %zu: invalid control character 0x%02x",
				state->list_name, state->number, *cursor);
	}
	line = strip_comment(line);
	if (line[0] == '\0')
		return REPRO_OK;
	result = split_line(state, line, &name, &digest_text, err);
	if (result != REPRO_OK)
		return result;
	if (name[0] == '\0' || strlen(name) > REPRO_DIGESTLIST_MAX_REFERENCE)
		return repro_error_set(err, REPRO_EFORMAT,
			"digest list '%s', line %zu: the image name or reference must be 1 to %d bytes, found '%.*s'",
			state->list_name, state->number, REPRO_DIGESTLIST_MAX_REFERENCE, REPRO_SYNTAX_ECHO_MAX, name);
	result = repro_digest_parse(&digest, digest_text, err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "digest list '%s', line %zu", state->list_name, state->number);
	return add_image(state, release, name, &digest, lines, err);
}

int repro_digestlist_parse_text(repro_digestlist *list, const char *bytes, size_t size,
                                repro_error *err)
{
	repro_digestlist_release *release = calloc(1, sizeof(*release));
	size_t *lines = calloc(REPRO_DIGESTLIST_MAX_IMAGES, sizeof(*lines));
	char buffer[REPRO_DIGESTLIST_MAX_LINE + 2];
	line_state state = {list->name, 0};
	size_t offset = 0;
	int result = REPRO_OK;

	if (release == NULL || lines == NULL) {
		free(release);
		free(lines);
		return repro_error_set(err, REPRO_ENOMEM, "reading digest list '%s' failed: out of memory",
		                       list->name);
	}
	while (offset < size && result == REPRO_OK) {
		const char *newline = memchr(bytes + offset, '\n', size - offset);
		size_t length = newline ? (size_t)(newline - (bytes + offset)) : size - offset;

		state.number++;
		if (length > 0 && bytes[offset + length - 1] == '\r')
			length--;
		if (length > REPRO_DIGESTLIST_MAX_LINE) {
			result = repro_error_set(err, REPRO_ELIMIT,
				"digest list '%s', line %zu is longer than %d bytes", list->name, state.number,
				REPRO_DIGESTLIST_MAX_LINE);
			break;
		}
		if (memchr(bytes + offset, '\0', length) != NULL) {
			result = repro_error_set(err, REPRO_EFORMAT,
				"digest list '%s', line %zu: invalid control character 0x00", list->name, state.number);
			break;
		}
		memcpy(buffer, bytes + offset, length);
		buffer[length] = '\0';
		result = parse_line(&state, buffer, release, lines, err);
		offset = newline ? (size_t)(newline - bytes) + 1 : size;
	}
	if (result == REPRO_OK && release->image_count == 0)
		result = repro_error_set(err, REPRO_EFORMAT,
			"digest list '%s' lists no images: expected lines of NAME@DIGEST or NAME DIGEST",
			list->name);
	free(lines);
	if (result == REPRO_OK)
		result = repro_digestlist_append(list, release, err);
	if (result != REPRO_OK)
		repro_digestlist_release_free(release);
	return result;
}

/*
 * Syntax checks shared by the recipe and digest list parsers: image names,
 * platforms and the two kinds of paths. Each check that can fail fills
 * @p err with a message that starts with the key path @p key, in quotes,
 * and echoes at most REPRO_SYNTAX_ECHO_MAX bytes of the rejected value.
 */
#ifndef REPROCHECK_SYNTAX_INTERNAL_H
#define REPROCHECK_SYNTAX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <reprocheck/error.h>

/* Bytes of a rejected value that a message echoes. */
#define REPRO_SYNTAX_ECHO_MAX 200

/* Returns true for [a-z0-9][a-z0-9._-]* of at most @p max_length bytes. */
bool repro_syntax_is_image_name(const char *text, size_t max_length);

/* Returns true for OS/ARCH[/VARIANT], each part [a-z0-9]+ of at most 32 bytes. */
bool repro_syntax_is_platform(const char *text);

/* Returns true when @p text contains a space or a control character, which
 * includes tab and newline. */
bool repro_syntax_has_whitespace(const char *text);

/*
 * Checks a path relative to a tree (a copy source, a layout directory):
 * non-empty, at most @p max_length bytes, no control characters, no
 * leading '/', no `..` component (REPRO_EUNSAFE for those two), and no
 * empty or `.` component. One trailing '/' is allowed.
 */
int repro_syntax_check_relative_path(const char *value, size_t max_length, const char *key,
                                     repro_error *err);

/*
 * Checks an absolute path in an image (a copy target, a volume): starts
 * with '/', at most @p max_length bytes, no control characters, no `..`
 * component (REPRO_EUNSAFE), no empty or `.` component. One trailing '/'
 * is allowed.
 */
int repro_syntax_check_image_path(const char *value, size_t max_length, const char *key,
                                  repro_error *err);

#endif

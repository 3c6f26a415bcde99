/*
 * Shared parts of the digest list module: digestlist.c holds the public
 * entry points and the release checks, digestlist_json.c reads the JSON
 * form and digestlist_text.c the plain-text form.
 */
#ifndef REPROCHECK_DIGESTLIST_INTERNAL_H
#define REPROCHECK_DIGESTLIST_INTERNAL_H

#include <reprocheck/digestlist.h>

/* Parses the JSON form into the empty @p list. Messages start with the key
 * path; the caller adds the list's name. */
int repro_digestlist_parse_json(repro_digestlist *list, const void *bytes, size_t size,
                                repro_error *err);

/* Parses the plain-text form into the empty @p list. Messages start with
 * "digest list 'NAME', line N: ". */
int repro_digestlist_parse_text(repro_digestlist *list, const char *bytes, size_t size,
                                repro_error *err);

/* Checks the values of @p release, which will be at @p key ("releases[2]"),
 * for the JSON form: tag, commit, epoch, names, platforms, media types and
 * duplicates. */
int repro_digestlist_check_release(const repro_digestlist_release *release, const char *key,
                                   repro_error *err);

/* Appends @p release to @p list, which then owns it. */
int repro_digestlist_append(repro_digestlist *list, repro_digestlist_release *release,
                            repro_error *err);

/* Copies @p text into @p out; the only error is REPRO_ENOMEM. */
int repro_digestlist_strdup(char **out, const char *text, repro_error *err);

#endif

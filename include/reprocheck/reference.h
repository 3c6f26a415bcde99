/**
 * @file reprocheck/reference.h
 * @brief Image references in the distribution grammar, normalised as the
 *        Docker tools do.
 *
 * A reference is `[HOST[:PORT]/]PATH[:TAG][@DIGEST]`. HOST is a domain
 * name, an IPv4 address or a bracketed IPv6 address. The first component
 * is a host when it contains '.' or ':', is `localhost`, or has an
 * upper-case letter; otherwise the image is on Docker Hub. Normalisation
 * gives Docker Hub the domain `docker.io` (also for `index.docker.io`),
 * prefixes `library/` to a single-component Docker Hub path, and sets the
 * tag `latest` when neither tag nor digest is given.
 *
 * Each PATH component is lower-case letters and digits, joined by '.',
 * '_', "__" or any number of '-'. A tag is at most 128 characters of
 * letters, digits, '_', '.' and '-', not starting with '.' or '-'. The
 * normalised name `DOMAIN/PATH` is at most 255 characters. The digest is
 * parsed with repro_digest_parse(), so only sha256 and sha512 are accepted.
 */
#ifndef REPROCHECK_REFERENCE_H
#define REPROCHECK_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#include <reprocheck/digest.h>
#include <reprocheck/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum length of the normalised name, DOMAIN/PATH. */
#define REPRO_REFERENCE_MAX_NAME 255
/** Maximum length of a tag. */
#define REPRO_REFERENCE_MAX_TAG 128
/** Maximum length of a reference string that repro_reference_parse() reads. */
#define REPRO_REFERENCE_MAX_TEXT 1024
/** Buffer size that holds any formatted reference and its NUL. */
#define REPRO_REFERENCE_STRING_MAX \
	(REPRO_REFERENCE_MAX_NAME + 1 + REPRO_REFERENCE_MAX_TAG + 1 + REPRO_DIGEST_STRING_MAX)

/** The domain of Docker Hub in normalised references. */
#define REPRO_REFERENCE_DOCKER_HUB "docker.io"
/** The host that serves Docker Hub's registry API. */
#define REPRO_REFERENCE_DOCKER_HUB_API "registry-1.docker.io"
/** The tag of a reference that names neither tag nor digest. */
#define REPRO_REFERENCE_DEFAULT_TAG "latest"

/**
 * A parsed, normalised reference. The strings are owned by the struct and
 * freed by repro_reference_dispose().
 */
typedef struct repro_reference {
	char *domain;       /**< "docker.io", "localhost:5000", "[::1]:5000", ... */
	char *path;         /**< repository path: "library/alpine", "acme/hello" */
	char *tag;          /**< NULL when only a digest was given */
	bool has_digest;
	repro_digest digest;  /**< valid when has_digest */
} repro_reference;

/**
 * Parses and normalises @p text into @p out. A reference that breaks the
 * grammar is REPRO_EUSAGE with a message naming it and the rule it breaks,
 * such as "invalid reference 'Acme/x': repository name must be lower
 * case"; a bad digest keeps repro_digest_parse()'s code (REPRO_EFORMAT or
 * REPRO_EUNSUPPORTED). On success the caller disposes @p out; on failure
 * it is left zeroed.
 */
int repro_reference_parse(repro_reference *out, const char *text, repro_error *err);

/** Frees the strings of @p reference and zeroes it. Safe on a zeroed struct. */
void repro_reference_dispose(repro_reference *reference);

/** Deep-copies @p source into @p out, which the caller disposes. */
int repro_reference_copy(repro_reference *out, const repro_reference *source, repro_error *err);

/**
 * Writes the normalised reference `DOMAIN/PATH[:TAG][@DIGEST]` into @p out,
 * a buffer of REPRO_REFERENCE_STRING_MAX bytes.
 */
void repro_reference_format(const repro_reference *reference,
                            char out[REPRO_REFERENCE_STRING_MAX]);

/** Writes `DOMAIN/PATH` into @p out, a buffer of REPRO_REFERENCE_STRING_MAX bytes. */
void repro_reference_format_name(const repro_reference *reference,
                                 char out[REPRO_REFERENCE_STRING_MAX]);

/**
 * Returns the host[:port] that serves the registry API for @p reference:
 * the domain, except registry-1.docker.io for Docker Hub. Owned by the
 * reference or static.
 */
const char *repro_reference_api_host(const repro_reference *reference);

/**
 * Returns true when the first '/'-separated component of @p text names a
 * registry host: it contains '.' or ':', or is `localhost`. Used to tell
 * a registry reference from a file path; the text is not validated.
 */
bool repro_reference_names_registry(const char *text);

#ifdef __cplusplus
}
#endif

#endif

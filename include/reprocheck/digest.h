/**
 * @file reprocheck/digest.h
 * @brief Content digests: parsing with the OCI grammar, formatting, and
 *        streaming computation through OpenSSL EVP.
 *
 * A digest string is `algorithm ":" encoded`. Only sha256 (64 lower-case hex
 * characters) and sha512 (128) are verified. Any other algorithm that fits
 * the grammar is rejected by name with REPRO_EUNSUPPORTED, and a string that
 * does not fit the grammar is REPRO_EFORMAT.
 */
#ifndef REPROCHECK_DIGEST_H
#define REPROCHECK_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include <reprocheck/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Supported digest algorithms. */
typedef enum repro_digest_algorithm {
	REPRO_DIGEST_SHA256 = 0,
	REPRO_DIGEST_SHA512 = 1
} repro_digest_algorithm;

/** Maximum raw hash size, in bytes (sha512). */
#define REPRO_DIGEST_MAX_BYTES 64
/** Buffer size that holds any formatted digest and its NUL ("sha512:" + 128). */
#define REPRO_DIGEST_STRING_MAX 136

/** A parsed digest. Only the first repro_digest_size() bytes are used. */
typedef struct repro_digest {
	repro_digest_algorithm algorithm;
	unsigned char bytes[REPRO_DIGEST_MAX_BYTES];
} repro_digest;

/** Returns the raw hash size in bytes of @p algorithm: 32 or 64. */
size_t repro_digest_size(repro_digest_algorithm algorithm);

/** Returns the algorithm's name as used in digest strings: "sha256" or "sha512". */
const char *repro_digest_algorithm_name(repro_digest_algorithm algorithm);

/**
 * Parses @p text, which must be NUL-terminated, into @p out.
 * Upper-case hex, a wrong length, or characters outside the grammar give
 * REPRO_EFORMAT; a grammatical but unknown algorithm gives REPRO_EUNSUPPORTED.
 */
int repro_digest_parse(repro_digest *out, const char *text, repro_error *err);

/** Like repro_digest_parse() for @p length bytes that need no terminator. */
int repro_digest_parse_n(repro_digest *out, const char *text, size_t length, repro_error *err);

/** Writes "algorithm:hex" into @p out, which holds REPRO_DIGEST_STRING_MAX bytes. */
void repro_digest_format(const repro_digest *digest, char out[REPRO_DIGEST_STRING_MAX]);

/** Returns true when both digests have the same algorithm and bytes. */
bool repro_digest_equal(const repro_digest *a, const repro_digest *b);

/** Computes the digest of a buffer in one call. */
int repro_digest_buffer(repro_digest *out, repro_digest_algorithm algorithm,
                        const void *data, size_t size, repro_error *err);

struct evp_md_ctx_st;

/**
 * A caller-owned streaming hasher. Initialise with repro_hasher_init(),
 * feed it with repro_hasher_update(), read the result with
 * repro_hasher_finish(), and always release it with repro_hasher_dispose().
 */
typedef struct repro_hasher {
	repro_digest_algorithm algorithm;
	struct evp_md_ctx_st *context;
	unsigned long long bytes;  /**< bytes fed so far */
} repro_hasher;

/** Prepares @p hasher for @p algorithm. On failure nothing needs disposing. */
int repro_hasher_init(repro_hasher *hasher, repro_digest_algorithm algorithm, repro_error *err);

/** Feeds @p size bytes to the hasher. */
int repro_hasher_update(repro_hasher *hasher, const void *data, size_t size, repro_error *err);

/** Stores the digest of everything fed so far. The hasher cannot be fed again. */
int repro_hasher_finish(repro_hasher *hasher, repro_digest *out, repro_error *err);

/** Releases the hasher's resources. Safe on a zeroed or disposed hasher. */
void repro_hasher_dispose(repro_hasher *hasher);

#ifdef __cplusplus
}
#endif

#endif

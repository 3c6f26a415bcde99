#include <reprocheck/digest.h>

#include <string.h>

#include <openssl/evp.h>

size_t repro_digest_size(repro_digest_algorithm algorithm)
{
	return algorithm == REPRO_DIGEST_SHA512 ? 64 : 32;
}

const char *repro_digest_algorithm_name(repro_digest_algorithm algorithm)
{
	return algorithm == REPRO_DIGEST_SHA512 ? "sha512" : "sha256";
}

static const EVP_MD *evp_md_for(repro_digest_algorithm algorithm)
{
	return algorithm == REPRO_DIGEST_SHA512 ? EVP_sha512() : EVP_sha256();
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The OCI image spec grammar: algorithm-component is [a-z0-9]+, joined by
 * one of [+._-]; encoded is [a-zA-Z0-9=_-]+. */
static bool is_algorithm_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_separator(char c)
{
	return c == '+' || c == '.' || c == '_' || c == '-';
}

static bool is_encoded_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '=' || c == '_' || c == '-';
}

static bool algorithm_is_grammatical(const char *text, size_t length)
{
	bool after_separator = true;

	if (length == 0)
		return false;
	for (size_t i = 0; i < length; i++) {
		if (is_algorithm_char(text[i])) {
			after_separator = false;
		} else if (is_separator(text[i]) && !after_separator) {
			after_separator = true;
		} else {
			return false;
		}
	}
	return !after_separator;
}

int repro_digest_parse_n(repro_digest *out, const char *text, size_t length, repro_error *err)
{
	const char *colon = memchr(text, ':', length);
	size_t algorithm_length, encoded_length, expected;
	const char *encoded;
	repro_digest parsed;

	/* Bound what is echoed so that a huge value cannot fill the message. */
	int shown = length > 160 ? 160 : (int)length;

	if (colon == NULL)
		return repro_error_set(err, REPRO_EFORMAT,
			"invalid digest '%.*s': expected ALGORITHM:HEX, such as sha256:<64 hex digits>",
			shown, text);

	algorithm_length = (size_t)(colon - text);
	encoded = colon + 1;
	encoded_length = length - algorithm_length - 1;
	if (!algorithm_is_grammatical(text, algorithm_length) || encoded_length == 0)
		return repro_error_set(err, REPRO_EFORMAT, "invalid digest '%.*s'", shown, text);
	for (size_t i = 0; i < encoded_length; i++) {
		if (!is_encoded_char(encoded[i]))
			return repro_error_set(err, REPRO_EFORMAT, "invalid digest '%.*s'", shown, text);
	}

	if (algorithm_length == 6 && memcmp(text, "sha256", 6) == 0) {
		parsed.algorithm = REPRO_DIGEST_SHA256;
	} else if (algorithm_length == 6 && memcmp(text, "sha512", 6) == 0) {
		parsed.algorithm = REPRO_DIGEST_SHA512;
	} else {
		return repro_error_set(err, REPRO_EUNSUPPORTED,
			"unsupported digest algorithm '%.*s' in '%.*s': only sha256 and sha512 are verified",
			(int)(algorithm_length > 40 ? 40 : algorithm_length), text, shown, text);
	}

	expected = repro_digest_size(parsed.algorithm) * 2;
	if (encoded_length != expected)
		return repro_error_set(err, REPRO_EFORMAT,
			"invalid digest '%.*s': %s needs %zu hex digits, found %zu",
			shown, text, repro_digest_algorithm_name(parsed.algorithm), expected, encoded_length);

	memset(parsed.bytes, 0, sizeof(parsed.bytes));
	for (size_t i = 0; i < expected; i += 2) {
		int high = hex_value(encoded[i]);
		int low = hex_value(encoded[i + 1]);

		if (high < 0 || low < 0)
			return repro_error_set(err, REPRO_EFORMAT,
				"invalid digest '%.*s': the hex digits must be lower-case 0-9a-f",
				shown, text);
		parsed.bytes[i / 2] = (unsigned char)(high << 4 | low);
	}
	*out = parsed;
	return REPRO_OK;
}

int repro_digest_parse(repro_digest *out, const char *text, repro_error *err)
{
	if (text == NULL)
		return repro_error_set(err, REPRO_EFORMAT, "missing digest");
	return repro_digest_parse_n(out, text, strlen(text), err);
}

void repro_digest_format(const repro_digest *digest, char out[REPRO_DIGEST_STRING_MAX])
{
	static const char hex[] = "0123456789abcdef";
	const char *name = repro_digest_algorithm_name(digest->algorithm);
	size_t name_length = strlen(name);
	size_t size = repro_digest_size(digest->algorithm);
	char *cursor;

	memcpy(out, name, name_length);
	out[name_length] = ':';
	cursor = out + name_length + 1;
	for (size_t i = 0; i < size; i++) {
		*cursor++ = hex[digest->bytes[i] >> 4];
		*cursor++ = hex[digest->bytes[i] & 0x0f];
	}
	*cursor = '\0';
}

bool repro_digest_equal(const repro_digest *a, const repro_digest *b)
{
	return a->algorithm == b->algorithm &&
	       memcmp(a->bytes, b->bytes, repro_digest_size(a->algorithm)) == 0;
}

int repro_hasher_init(repro_hasher *hasher, repro_digest_algorithm algorithm, repro_error *err)
{
	memset(hasher, 0, sizeof(*hasher));
	hasher->algorithm = algorithm;
	hasher->context = EVP_MD_CTX_new();
	if (hasher->context == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating a %s context failed",
		                       repro_digest_algorithm_name(algorithm));
	if (EVP_DigestInit_ex(hasher->context, evp_md_for(algorithm), NULL) != 1) {
		repro_hasher_dispose(hasher);
		return repro_error_set(err, REPRO_EIO, "initialising %s in OpenSSL failed",
		                       repro_digest_algorithm_name(algorithm));
	}
	return REPRO_OK;
}

int repro_hasher_update(repro_hasher *hasher, const void *data, size_t size, repro_error *err)
{
	if (size == 0)
		return REPRO_OK;
	if (EVP_DigestUpdate(hasher->context, data, size) != 1)
		return repro_error_set(err, REPRO_EIO, "updating %s in OpenSSL failed",
		                       repro_digest_algorithm_name(hasher->algorithm));
	hasher->bytes += size;
	return REPRO_OK;
}

int repro_hasher_finish(repro_hasher *hasher, repro_digest *out, repro_error *err)
{
	unsigned int length = 0;

	memset(out, 0, sizeof(*out));
	out->algorithm = hasher->algorithm;
	if (EVP_DigestFinal_ex(hasher->context, out->bytes, &length) != 1 ||
	    length != repro_digest_size(hasher->algorithm))
		return repro_error_set(err, REPRO_EIO, "finishing %s in OpenSSL failed",
		                       repro_digest_algorithm_name(hasher->algorithm));
	return REPRO_OK;
}

void repro_hasher_dispose(repro_hasher *hasher)
{
	if (hasher == NULL || hasher->context == NULL)
		return;
	EVP_MD_CTX_free(hasher->context);
	hasher->context = NULL;
}

int repro_digest_buffer(repro_digest *out, repro_digest_algorithm algorithm,
                        const void *data, size_t size, repro_error *err)
{
	repro_hasher hasher;
	int result = repro_hasher_init(&hasher, algorithm, err);

	if (result == REPRO_OK)
		result = repro_hasher_update(&hasher, data, size, err);
	if (result == REPRO_OK)
		result = repro_hasher_finish(&hasher, out, err);
	repro_hasher_dispose(&hasher);
	return result;
}

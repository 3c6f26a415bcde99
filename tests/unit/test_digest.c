#include "harness.h"

#include <stdlib.h>

#include <reprocheck/digest.h>

#define EMPTY_SHA256 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA512                                                                      \
	"sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"          \
	"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

static void test_known_vectors(void)
{
	repro_error err;
	repro_digest digest;
	char text[REPRO_DIGEST_STRING_MAX];

	ASSERT_OK(repro_digest_buffer(&digest, REPRO_DIGEST_SHA256, "", 0, &err), &err);
	repro_digest_format(&digest, text);
	ASSERT_STR_EQ(text, EMPTY_SHA256);

	ASSERT_OK(repro_digest_buffer(&digest, REPRO_DIGEST_SHA512, "abc", 3, &err), &err);
	repro_digest_format(&digest, text);
	ASSERT_STR_EQ(text, ABC_SHA512);
}

static void test_streaming_equals_one_shot(void)
{
	repro_error err;
	repro_hasher hasher;
	repro_digest streamed, whole;
	unsigned char data[10000];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	ASSERT_OK(repro_hasher_init(&hasher, REPRO_DIGEST_SHA256, &err), &err);
	for (size_t offset = 0; offset < sizeof(data); offset += 333) {
		size_t chunk = sizeof(data) - offset < 333 ? sizeof(data) - offset : 333;
		ASSERT_OK(repro_hasher_update(&hasher, data + offset, chunk, &err), &err);
	}
	ASSERT_INT_EQ(hasher.bytes, sizeof(data));
	ASSERT_OK(repro_hasher_finish(&hasher, &streamed, &err), &err);
	repro_hasher_dispose(&hasher);
	repro_hasher_dispose(&hasher);

	ASSERT_OK(repro_digest_buffer(&whole, REPRO_DIGEST_SHA256, data, sizeof(data), &err), &err);
	CU_ASSERT(repro_digest_equal(&streamed, &whole));
}

static void test_parse_round_trip(void)
{
	repro_error err;
	repro_digest digest;
	char text[REPRO_DIGEST_STRING_MAX];

	ASSERT_OK(repro_digest_parse(&digest, EMPTY_SHA256, &err), &err);
	ASSERT_INT_EQ(digest.algorithm, REPRO_DIGEST_SHA256);
	repro_digest_format(&digest, text);
	ASSERT_STR_EQ(text, EMPTY_SHA256);

	ASSERT_OK(repro_digest_parse(&digest, ABC_SHA512, &err), &err);
	ASSERT_INT_EQ(digest.algorithm, REPRO_DIGEST_SHA512);
	repro_digest_format(&digest, text);
	ASSERT_STR_EQ(text, ABC_SHA512);
}

static void test_parse_rejects(void)
{
	static const struct {
		const char *text;
		int code;
		const char *message;
	} cases[] = {
		{"", REPRO_EFORMAT, "invalid digest ''"},
		{"sha256", REPRO_EFORMAT, "expected ALGORITHM:HEX"},
		{"sha256:", REPRO_EFORMAT, "invalid digest 'sha256:'"},
		{":abc", REPRO_EFORMAT, "invalid digest ':abc'"},
		{"SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		 REPRO_EFORMAT, "invalid digest"},
		{"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		 REPRO_EFORMAT, "lower-case"},
		{"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
		 REPRO_EFORMAT, "sha256 needs 64 hex digits, found 63"},
		{"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
		 REPRO_EFORMAT, "found 65"},
		{"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g",
		 REPRO_EFORMAT, "lower-case"},
		{"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85 ",
		 REPRO_EFORMAT, "invalid digest"},
		{"md5:d41d8cd98f00b204e9800998ecf8427e", REPRO_EUNSUPPORTED,
		 "unsupported digest algorithm 'md5'"},
		{"blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
		 REPRO_EUNSUPPORTED, "'blake3'"},
		{"sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", REPRO_EUNSUPPORTED,
		 "'sha256+b64u'"},
		{"sha-:abc", REPRO_EFORMAT, "invalid digest"},
		{"sha--256:abc", REPRO_EFORMAT, "invalid digest"},
		{"sha256:abc/def", REPRO_EFORMAT, "invalid digest"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_error err;
		repro_digest digest;

		repro_error_clear(&err);
		ASSERT_CODE(repro_digest_parse(&digest, cases[i].text, &err), cases[i].code, &err);
		ASSERT_STR_CONTAINS(err.message, cases[i].message);
	}
}

static void test_parse_bounds_echo(void)
{
	repro_error err;
	repro_digest digest;
	char *huge = malloc(100001);

	memset(huge, 'a', 100000);
	huge[100000] = '\0';
	ASSERT_CODE(repro_digest_parse(&digest, huge, &err), REPRO_EFORMAT, &err);
	CU_ASSERT(strlen(err.message) < 300);
	free(huge);
}

static void test_equal_compares_algorithm(void)
{
	repro_digest a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.algorithm = REPRO_DIGEST_SHA256;
	b.algorithm = REPRO_DIGEST_SHA512;
	CU_ASSERT_FALSE(repro_digest_equal(&a, &b));
	b.algorithm = REPRO_DIGEST_SHA256;
	CU_ASSERT_TRUE(repro_digest_equal(&a, &b));
	b.bytes[31] = 1;
	CU_ASSERT_FALSE(repro_digest_equal(&a, &b));
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"known vectors", test_known_vectors},
		{"streaming equals one shot", test_streaming_equals_one_shot},
		{"parse round trip", test_parse_round_trip},
		{"parse rejects bad digests", test_parse_rejects},
		{"parse bounds echoed value", test_parse_bounds_echo},
		{"equal compares algorithm", test_equal_compares_algorithm},
	};
	return repro_test_main("digest", cases, REPRO_ARRAY_SIZE(cases));
}

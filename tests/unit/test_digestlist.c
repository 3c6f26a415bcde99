#include "harness.h"

#include <stdlib.h>

#include <reprocheck/digestlist.h>

#include "fileutil_internal.h"

#define SHA_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define COMMIT "0123456789abcdef0123456789abcdef01234567"

static char *read_fixture(const char *name, size_t *size)
{
	char relative[256];
	unsigned char *bytes = NULL;
	repro_error err;

	snprintf(relative, sizeof(relative), "fixtures/digestlist/%s", name);
	if (repro_file_read_all(repro_test_source_path(relative), 1 << 20, &bytes, size, &err) != REPRO_OK) {
		fprintf(stderr, "%s\n", err.message);
		abort();
	}
	return (char *)bytes;
}

static repro_digestlist *load_fixture(const char *name)
{
	char relative[256];
	repro_digestlist *list = NULL;
	repro_error err;

	snprintf(relative, sizeof(relative), "fixtures/digestlist/%s", name);
	ASSERT_OK(repro_digestlist_load(&list, repro_test_source_path(relative), &err), &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(list);
	return list;
}

/* Takes the only release out of a one-release fixture. */
static repro_digestlist_release *take_release(const char *name)
{
	repro_digestlist *list = load_fixture(name);
	repro_digestlist_release *release = list->releases[0];

	list->release_count = 0;
	repro_digestlist_free(list);
	return release;
}

static void assert_serializes_to(const repro_digestlist *list, const char *fixture)
{
	size_t expected_size, size = 0;
	char *expected = read_fixture(fixture, &expected_size);
	char *text = NULL;
	repro_error err;

	ASSERT_OK(repro_digestlist_serialize(list, &text, &size, &err), &err);
	ASSERT_INT_EQ(size, expected_size);
	ASSERT_STR_EQ(text, expected);
	free(text);
	free(expected);
}

static void test_round_trip(void)
{
	repro_digestlist *list = load_fixture("two-releases.json");
	const repro_digestlist_release *release = list->releases[0];
	char text[REPRO_DIGEST_STRING_MAX];

	CU_ASSERT_FALSE(list->plain_text);
	ASSERT_INT_EQ(list->release_count, 2);
	ASSERT_STR_EQ(release->tag, "v1.0.0");
	ASSERT_STR_EQ(release->commit, "fe05bcdcdc4928012781a5f1a2a77cbb5398e106");
	ASSERT_INT_EQ(release->source_date_epoch, 1733000000);
	ASSERT_INT_EQ(release->image_count, 2);
	ASSERT_STR_EQ(release->images[0].reference, "registry.example.com/acme/hello:v1.0.0");
	CU_ASSERT_TRUE(release->images[0].has_index);
	repro_digest_format(&release->images[0].index, text);
	ASSERT_STR_EQ(text, "sha256:ca7c9963acdc5d4c6cb2999bed7cf0ee21e3d051853540bf1d67be31c40bae1b");
	ASSERT_INT_EQ(release->images[0].platform_count, 2);
	ASSERT_STR_EQ(release->images[0].platforms[1].platform, "linux/arm64");
	ASSERT_INT_EQ(release->images[0].platforms[0].layer_count, 2);
	ASSERT_INT_EQ(release->images[0].platforms[0].layers[1].size, 1001);
	repro_digest_format(&release->images[0].platforms[0].layers[1].diff_id, text);
	ASSERT_STR_EQ(text, "sha256:daa7b3ca41b41c3e7d1556d9f80c306572b4292d0910817e5775d6efe39eade3");
	CU_ASSERT_PTR_NULL(release->images[1].reference);
	CU_ASSERT_FALSE(release->images[1].has_index);
	ASSERT_INT_EQ(release->images[1].platforms[0].layer_count, 0);

	assert_serializes_to(list, "two-releases.json");
	repro_digestlist_free(list);
}

static void test_put_release_replaces(void)
{
	repro_digestlist *list = load_fixture("two-releases.json");
	repro_digestlist_release *rebuilt = take_release("v1.0.0-rebuilt.json");
	repro_digestlist_release *added = take_release("v1.2.0.json");
	repro_error err;

	ASSERT_OK(repro_digestlist_put_release(list, rebuilt, &err), &err);
	ASSERT_INT_EQ(list->release_count, 2);
	CU_ASSERT_PTR_EQUAL(list->releases[0], rebuilt);
	assert_serializes_to(list, "replaced.json");
	repro_digestlist_free(list);

	list = load_fixture("two-releases.json");
	ASSERT_OK(repro_digestlist_put_release(list, added, &err), &err);
	ASSERT_INT_EQ(list->release_count, 3);
	CU_ASSERT_PTR_EQUAL(list->releases[2], added);
	assert_serializes_to(list, "appended.json");
	repro_digestlist_free(list);
}

static void test_put_release_checks(void)
{
	repro_digestlist *list = load_fixture("two-releases.json");
	repro_digestlist_release *release = take_release("v1.2.0.json");
	repro_error err;

	/* "tools" and "hello" have the same length, so the name is renamed in place. */
	memcpy(release->images[1].name, "hello", 6);
	ASSERT_CODE(repro_digestlist_put_release(list, release, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_CONTAINS(err.message, "adding a release to digest list '");
	ASSERT_STR_CONTAINS(err.message, "two-releases.json': 'releases[2].images[1].name': "
	                                 "duplicate image name 'hello', already used by images[0]");
	ASSERT_INT_EQ(list->release_count, 2);

	free(release->commit);
	release->commit = NULL;
	ASSERT_CODE(repro_digestlist_put_release(list, release, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_CONTAINS(err.message, "missing key 'releases[2].commit'");
	repro_digestlist_release_free(release);
	repro_digestlist_free(list);
}

static void test_save_and_new(void)
{
	char *dir = repro_test_make_dir();
	char path[4096];
	repro_digestlist *list = NULL, *loaded = NULL;
	repro_digestlist_release *release = take_release("v1.2.0.json");
	unsigned char *bytes;
	size_t size;
	char *expected;
	size_t expected_size;
	repro_error err;

	snprintf(path, sizeof(path), "%s/reprocheck-digests.json", dir);
	ASSERT_OK(repro_digestlist_new(&list, path, &err), &err);
	ASSERT_OK(repro_digestlist_save(list, path, &err), &err);
	ASSERT_OK(repro_file_read_all(path, 1 << 20, &bytes, &size, &err), &err);
	ASSERT_STR_EQ((char *)bytes, "{\n  \"schemaVersion\": 1,\n  \"releases\": []\n}\n");
	free(bytes);

	ASSERT_OK(repro_digestlist_put_release(list, release, &err), &err);
	ASSERT_OK(repro_digestlist_save(list, path, &err), &err);
	expected = read_fixture("v1.2.0.json", &expected_size);
	ASSERT_OK(repro_file_read_all(path, 1 << 20, &bytes, &size, &err), &err);
	ASSERT_INT_EQ(size, expected_size);
	ASSERT_STR_EQ((char *)bytes, expected);
	free(bytes);
	free(expected);

	ASSERT_OK(repro_digestlist_load(&loaded, path, &err), &err);
	ASSERT_INT_EQ(loaded->release_count, 1);
	repro_digestlist_free(loaded);
	repro_digestlist_free(list);
	repro_test_cleanup_dir(dir);
}

static void test_lookups(void)
{
	repro_digestlist *list = load_fixture("two-releases.json");
	const repro_digestlist_release *release = NULL;
	const repro_digestlist_image *image = NULL;
	repro_digestlist_match match;
	repro_digest digest;
	repro_error err;

	ASSERT_OK(repro_digestlist_find_release(list, "v1.1.0", &release, &err), &err);
	CU_ASSERT_PTR_EQUAL(release, list->releases[1]);
	ASSERT_CODE(repro_digestlist_find_release(list, "v1.2.3", &release, &err), REPRO_ENOTFOUND, &err);
	ASSERT_STR_CONTAINS(err.message, "two-releases.json' has no entry for tag 'v1.2.3'; "
	                                 "tags present: v1.0.0, v1.1.0");
	CU_ASSERT_PTR_NULL(release);

	release = list->releases[1];
	ASSERT_OK(repro_digestlist_find_image(release, "tools", &image, &err), &err);
	CU_ASSERT_PTR_EQUAL(image, &release->images[1]);
	ASSERT_CODE(repro_digestlist_find_image(release, "web", &image, &err), REPRO_ENOTFOUND, &err);
	ASSERT_STR_EQ(err.message, "release 'v1.1.0' has no image 'web'; images present: hello, tools");

	digest = list->releases[1]->images[0].platforms[1].config;
	ASSERT_OK(repro_digestlist_find_digest(list, NULL, &digest, &match, &err), &err);
	CU_ASSERT_PTR_EQUAL(match.release, list->releases[1]);
	CU_ASSERT_PTR_EQUAL(match.image, &list->releases[1]->images[0]);
	CU_ASSERT_PTR_EQUAL(match.platform, &list->releases[1]->images[0].platforms[1]);
	ASSERT_INT_EQ(match.kind, REPRO_DIGESTLIST_CONFIG);

	digest = list->releases[0]->images[0].index;
	ASSERT_OK(repro_digestlist_find_digest(list, "v1.0.0", &digest, &match, &err), &err);
	ASSERT_INT_EQ(match.kind, REPRO_DIGESTLIST_INDEX);
	CU_ASSERT_PTR_NULL(match.platform);
	ASSERT_CODE(repro_digestlist_find_digest(list, "v1.1.0", &digest, &match, &err), REPRO_ENOTFOUND,
	            &err);
	ASSERT_STR_CONTAINS(err.message, "has no index, manifest or config "
	                                 "sha256:ca7c9963acdc5d4c6cb2999bed7cf0ee21e3d051853540bf1d67be31c40bae1b for tag 'v1.1.0'");

	digest = list->releases[1]->images[1].platforms[0].manifest;
	ASSERT_OK(repro_digestlist_find_digest(list, NULL, &digest, &match, &err), &err);
	ASSERT_INT_EQ(match.kind, REPRO_DIGESTLIST_MANIFEST);
	CU_ASSERT_PTR_EQUAL(match.image, &list->releases[1]->images[1]);

	ASSERT_OK(repro_digest_parse(&digest, SHA_A, &err), &err);
	ASSERT_CODE(repro_digestlist_find_digest(list, NULL, &digest, &match, &err), REPRO_ENOTFOUND, &err);
	ASSERT_STR_CONTAINS(err.message, "has no index, manifest or config " SHA_A);
	CU_ASSERT_PTR_NULL(match.image);
	repro_digestlist_free(list);
}

static void test_plain_text(void)
{
	static const char text[] =
		"# images of release v1\n"
		"\n"
		"   # indented comment\r\n"
		"hello@" SHA_A "\n"
		"registry.example.com/acme/tools:v1 \t " SHA_B "   # trailing comment\n"
		"web\t" SHA_B "\n"
		"   ";
	repro_digestlist *list = NULL;
	const repro_digestlist_release *release = NULL;
	const repro_digestlist_image *image = NULL;
	repro_digestlist_match match;
	repro_digest digest;
	char *json;
	size_t size;
	repro_error err;

	ASSERT_OK(repro_digestlist_parse(&list, text, strlen(text), "digests.txt", &err), &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(list);
	CU_ASSERT_TRUE(list->plain_text);
	ASSERT_INT_EQ(list->release_count, 1);
	release = list->releases[0];
	CU_ASSERT_PTR_NULL(release->tag);
	CU_ASSERT_PTR_NULL(release->commit);
	ASSERT_INT_EQ(release->image_count, 3);
	ASSERT_STR_EQ(release->images[0].name, "hello");
	CU_ASSERT_PTR_NULL(release->images[0].reference);
	ASSERT_STR_EQ(release->images[1].name, "registry.example.com/acme/tools:v1");
	ASSERT_STR_EQ(release->images[1].reference, "registry.example.com/acme/tools:v1");
	ASSERT_INT_EQ(release->images[1].platform_count, 1);
	CU_ASSERT_PTR_NULL(release->images[1].platforms[0].platform);
	CU_ASSERT_FALSE(release->images[1].platforms[0].has_config);
	ASSERT_STR_EQ(release->images[2].name, "web");

	/* A plain list has no tags, so any tag finds its one release. */
	ASSERT_OK(repro_digestlist_find_release(list, "v9.9.9", &release, &err), &err);
	CU_ASSERT_PTR_EQUAL(release, list->releases[0]);
	ASSERT_CODE(repro_digestlist_find_image(release, "db", &image, &err), REPRO_ENOTFOUND, &err);
	ASSERT_STR_EQ(err.message, "the digest list has no image 'db'; images present: hello, "
	                           "registry.example.com/acme/tools:v1, web");
	ASSERT_OK(repro_digest_parse(&digest, SHA_B, &err), &err);
	ASSERT_OK(repro_digestlist_find_digest(list, NULL, &digest, &match, &err), &err);
	CU_ASSERT_PTR_EQUAL(match.image, &release->images[1]);
	ASSERT_INT_EQ(match.kind, REPRO_DIGESTLIST_MANIFEST);

	ASSERT_CODE(repro_digestlist_serialize(list, &json, &size, &err), REPRO_EUNSUPPORTED, &err);
	ASSERT_STR_EQ(err.message, "digest list 'digests.txt' is in the plain-text form, which has no "
	                           "tags and cannot be written as JSON");
	repro_digestlist_free(list);
}

typedef struct bad_case {
	const char *text;
	int code;
	const char *message;
} bad_case;

static void run_bad_cases(const bad_case *cases, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		repro_digestlist *list = (repro_digestlist *)&list;
		repro_error err;

		repro_error_clear(&err);
		ASSERT_CODE(repro_digestlist_parse(&list, cases[i].text, strlen(cases[i].text), "F", &err),
		            cases[i].code, &err);
		ASSERT_STR_EQ(err.message, cases[i].message);
		CU_ASSERT_PTR_NULL(list);
	}
}

static void test_plain_text_errors(void)
{
	static const bad_case cases[] = {
		{"", REPRO_EFORMAT, "digest list 'F' lists no images: expected lines of NAME@DIGEST or NAME DIGEST"},
		{"# only comments\n\n", REPRO_EFORMAT,
		 "digest list 'F' lists no images: expected lines of NAME@DIGEST or NAME DIGEST"},
		{"a@" SHA_A "\nhello\n", REPRO_EFORMAT,
		 "digest list 'F', line 2: expected NAME@DIGEST or NAME DIGEST, found 'hello'"},
		{"a " SHA_A " extra\n", REPRO_EFORMAT,
		 "digest list 'F', line 1: expected NAME@DIGEST or NAME DIGEST, found 'a " SHA_A " extra'"},
		{"a@" SHA_A " " SHA_B "\n", REPRO_EFORMAT,
		 "digest list 'F', line 1: expected NAME@DIGEST or NAME DIGEST, found 'a@" SHA_A " " SHA_B "'"},
		{"\n\na@sha256:abc\n", REPRO_EFORMAT,
		 "digest list 'F', line 3: invalid digest 'sha256:abc': sha256 needs 64 hex digits, found 3"},
		{"a md5:d41d8cd98f00b204e9800998ecf8427e\n", REPRO_EUNSUPPORTED,
		 "digest list 'F', line 1: unsupported digest algorithm 'md5' in 'md5:d41d8cd98f00b204e9800998ecf8427e': only sha256 and sha512 are verified"},
		{"@" SHA_A "\n", REPRO_EFORMAT,
		 "digest list 'F', line 1: the image name or reference must be 1 to 512 bytes, found ''"},
		{"a@" SHA_A "#comment\n", REPRO_EFORMAT,
		 "digest list 'F', line 1: invalid digest '" SHA_A "#comment'"},
		{"a@" SHA_A "\n# x\na " SHA_B "\n", REPRO_EFORMAT,
		 "digest list 'F', line 3: duplicate image 'a', already listed on line 1"},
		{"a@" SHA_A "\x01\n", REPRO_EFORMAT, "digest list 'F', line 1: invalid control character 0x01"},
	};
	run_bad_cases(cases, REPRO_ARRAY_SIZE(cases));
}

#define LIST(releases) "{\"schemaVersion\":1,\"releases\":[" releases "]}"
#define RELEASE(tag, images) \
	"{\"tag\":\"" tag "\",\"commit\":\"" COMMIT "\",\"sourceDateEpoch\":0,\"images\":[" images "]}"
#define IMAGE(name, platforms) "{\"name\":\"" name "\",\"platforms\":[" platforms "]}"
#define PLATFORM(platform) \
	"{\"platform\":\"" platform "\",\"manifest\":\"" SHA_A "\",\"config\":\"" SHA_B "\",\"layers\":[]}"
#define ONE_IMAGE IMAGE("a", PLATFORM("linux/amd64"))

static void test_json_errors(void)
{
	static const bad_case cases[] = {
		{"{\"schemaVersion\":2,\"releases\":[]}", REPRO_EUNSUPPORTED,
		 "digest list 'F': 'schemaVersion' is 2, but this version of reprocheck reads only schemaVersion 1"},
		{"{\"releases\":[]}", REPRO_EFORMAT, "digest list 'F': missing key 'schemaVersion'"},
		{"{\"schemaVersion\":1}", REPRO_EFORMAT, "digest list 'F': missing key 'releases'"},
		{"{\"schemaVersion\":1,\"releases\":[],\"x\":1}", REPRO_EFORMAT,
		 "digest list 'F': unknown key 'x'"},
		{"{\"schemaVersion\":1,\"releases\":[],\"releases\":[]}", REPRO_EFORMAT,
		 "digest list 'F': malformed JSON: duplicate object key near '\"releases\"' at line 1, column 43"},
		{LIST("[]"), REPRO_EFORMAT, "digest list 'F': 'releases[0]' must be an object, found array"},
		{LIST(RELEASE("v1", ONE_IMAGE) "," RELEASE("v2", ONE_IMAGE) "," RELEASE("v1", ONE_IMAGE)),
		 REPRO_EFORMAT, "digest list 'F': 'releases[2].tag': duplicate tag 'v1', already used by releases[0]"},
		{LIST(RELEASE("v1", ONE_IMAGE) "," RELEASE("v2", ONE_IMAGE) "," RELEASE("v2", ONE_IMAGE) ","
		      RELEASE("v1", ONE_IMAGE)),
		 REPRO_EFORMAT, "digest list 'F': 'releases[2].tag': duplicate tag 'v2', already used by releases[1]"},
		{LIST(RELEASE("v 1", ONE_IMAGE)), REPRO_EFORMAT,
		 "digest list 'F': 'releases[0].tag' must be 1 to 255 bytes without whitespace or control characters, found 'v 1'"},
		{LIST("{\"tag\":\"v1\",\"commit\":\"ABC\",\"sourceDateEpoch\":0,\"images\":[" ONE_IMAGE "]}"),
		 REPRO_EFORMAT, "digest list 'F': 'releases[0].commit' must be a commit id of 40 lower-case hex digits, found 'ABC'"},
		{LIST("{\"tag\":\"v1\",\"commit\":\"" COMMIT "\",\"images\":[" ONE_IMAGE "]}"),
		 REPRO_EFORMAT, "digest list 'F': missing key 'releases[0].sourceDateEpoch'"},
		{LIST("{\"tag\":\"v1\",\"commit\":\"" COMMIT "\",\"sourceDateEpoch\":-5,\"images\":[" ONE_IMAGE "]}"),
		 REPRO_EFORMAT, "digest list 'F': 'releases[0].sourceDateEpoch' must be between 0 and 253402300799, found -5"},
		{LIST(RELEASE("v1", "")), REPRO_EFORMAT, "digest list 'F': 'releases[0].images' must not be empty"},
		{LIST(RELEASE("v1", ONE_IMAGE "," IMAGE("b", PLATFORM("linux/amd64")) "," ONE_IMAGE)),
		 REPRO_EFORMAT, "digest list 'F': 'releases[0].images[2].name': duplicate image name 'a', already used by images[0]"},
		{LIST(RELEASE("v1", IMAGE("A", PLATFORM("linux/amd64")))), REPRO_EFORMAT,
		 "digest list 'F': 'releases[0].images[0].name' must match [a-z0-9][a-z0-9._-]* and be at most 128 bytes long, found 'A'"},
		{LIST(RELEASE("v1", "{\"name\":\"a\",\"platfroms\":[]}")), REPRO_EFORMAT,
		 "digest list 'F': unknown key 'releases[0].images[0].platfroms'"},
		{LIST(RELEASE("v1", "{\"name\":\"a\",\"index\":\"sha256:1\",\"platforms\":[]}")), REPRO_EFORMAT,
		 "digest list 'F': 'releases[0].images[0].index': invalid digest 'sha256:1': sha256 needs 64 hex digits, found 1"},
		{LIST(RELEASE("v1", IMAGE("a", ""))), REPRO_EFORMAT,
		 "digest list 'F': 'releases[0].images[0].platforms' must not be empty"},
		{LIST(RELEASE("v1", IMAGE("a", PLATFORM("linux/amd64") "," PLATFORM("linux/amd64")))), REPRO_EFORMAT,
		 "digest list 'F': 'releases[0].images[0].platforms[1].platform': duplicate platform 'linux/amd64', already used by platforms[0]"},
		{LIST(RELEASE("v1", IMAGE("a", PLATFORM("amd64")))), REPRO_EFORMAT,
		 "digest list 'F': 'releases[0].images[0].platforms[0].platform' must be OS/ARCH or OS/ARCH/VARIANT in lower case, found 'amd64'"},
		{LIST(RELEASE("v1", IMAGE("a", "{\"platform\":\"linux/amd64\",\"manifest\":\"" SHA_A "\",\"layers\":[]}"))),
		 REPRO_EFORMAT, "digest list 'F': missing key 'releases[0].images[0].platforms[0].config'"},
		{LIST(RELEASE("v1", IMAGE("a", "{\"platform\":\"linux/amd64\",\"manifest\":\"" SHA_A "\",\"config\":\"" SHA_B "\",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" SHA_A "\",\"diffId\":\"" SHA_B "\",\"size\":1}]}"))),
		 REPRO_EFORMAT, "digest list 'F': 'releases[0].images[0].platforms[0].layers[0].mediaType' must be a media type of the form TYPE/SUBTYPE, found 'x'"},
		{LIST(RELEASE("v1", IMAGE("a", "{\"platform\":\"linux/amd64\",\"manifest\":\"" SHA_A "\",\"config\":\"" SHA_B "\",\"layers\":[{\"mediaType\":\"a/b\",\"digest\":\"" SHA_A "\",\"diffId\":\"" SHA_B "\",\"size\":-1}]}"))),
		 REPRO_EFORMAT, "digest list 'F': 'releases[0].images[0].platforms[0].layers[0].size' must not be negative, found -1"},
		{LIST(RELEASE("v1", IMAGE("a", "{\"platform\":\"linux/amd64\",\"manifest\":\"" SHA_A "\",\"config\":\"" SHA_B "\",\"layers\":[{\"mediaType\":\"a/b\",\"digest\":\"" SHA_A "\",\"diffid\":\"" SHA_B "\",\"size\":1}]}"))),
		 REPRO_EFORMAT, "digest list 'F': unknown key 'releases[0].images[0].platforms[0].layers[0].diffid'"},
	};
	run_bad_cases(cases, REPRO_ARRAY_SIZE(cases));
}

static void test_limits(void)
{
	size_t huge = REPRO_DIGESTLIST_MAX_BYTES + 1;
	char *text = malloc(huge);
	repro_digestlist *list = NULL;
	repro_error err;
	size_t used;

	memset(text, '\n', huge);
	ASSERT_CODE(repro_digestlist_parse(&list, text, huge, "F", &err), REPRO_ELIMIT, &err);
	ASSERT_STR_EQ(err.message, "digest list 'F' is 16777217 bytes, more than the limit of 16777216");

	memset(text, 'a', REPRO_DIGESTLIST_MAX_LINE + 1);
	ASSERT_CODE(repro_digestlist_parse(&list, text, REPRO_DIGESTLIST_MAX_LINE + 1, "F", &err),
	            REPRO_ELIMIT, &err);
	ASSERT_STR_EQ(err.message, "digest list 'F', line 1 is longer than 4096 bytes");

	used = 0;
	for (int i = 0; i <= REPRO_DIGESTLIST_MAX_IMAGES; i++)
		used += (size_t)sprintf(text + used, "image%d@" SHA_A "\n", i);
	ASSERT_CODE(repro_digestlist_parse(&list, text, used, "F", &err), REPRO_ELIMIT, &err);
	ASSERT_STR_EQ(err.message, "digest list 'F', line 1025: more than 1024 images");

	used = (size_t)sprintf(text, "{\"schemaVersion\":1,\"releases\":[" RELEASE("v1", ""));
	used -= 2;
	for (int i = 0; i <= REPRO_DIGESTLIST_MAX_IMAGES; i++)
		used += (size_t)sprintf(text + used, "%s" IMAGE("a", PLATFORM("linux/amd64")), i ? "," : "");
	used += (size_t)sprintf(text + used, "]}]}");
	ASSERT_CODE(repro_digestlist_parse(&list, text, used, "F", &err), REPRO_ELIMIT, &err);
	ASSERT_STR_EQ(err.message, "digest list 'F': 'releases[0].images' has 1025 entries, more than the limit of 1024");
	free(text);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"round trip gives same bytes", test_round_trip},
		{"put release replaces in place", test_put_release_replaces},
		{"put release checks release", test_put_release_checks},
		{"save new list atomically", test_save_and_new},
		{"lookups by tag name digest", test_lookups},
		{"plain text with comments", test_plain_text},
		{"plain text errors", test_plain_text_errors},
		{"json errors name key path", test_json_errors},
		{"size and count limits", test_limits},
	};
	return repro_test_main("digestlist", cases, REPRO_ARRAY_SIZE(cases));
}

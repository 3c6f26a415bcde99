/*
 * The diff module on image pairs made by fixtures/scripts/diff_fixture_tool.py:
 * each case must be reported with exactly the expected differences, fields,
 * paths and hints, and the ignore options must count what they drop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/diff.h>

#include "harness.h"

static char *fixture_dir;

typedef struct expected_item {
	const char *object, *path, *field, *value_a, *value_b, *hint;
} expected_item;

#define MTIME_HINT(what)                                                                   \
	"the mtime in image B is later than image A's created time 2023-11-14T22:13:20Z: " what \
	" written during the build was not clamped to SOURCE_DATE_EPOCH"

static const char created_hint[] =
	"the image creation time differs: if both images come from one commit, "
	"the build did not set it from SOURCE_DATE_EPOCH";
static const char history_hint[] =
	"a build step's time stamp differs: if both images come from one commit, "
	"the build did not set it from SOURCE_DATE_EPOCH";
static const char format_hint[] =
	"the tar writers use other header formats from this entry on: one adds pax records or "
	"GNU headers where ustar headers suffice";

static const expected_item mtime_items[] = {
	{"layer 0", "etc/app.conf", "mtime", "2023-11-14T22:13:20Z", "2023-11-14T23:13:20Z",
	 MTIME_HINT("a file")},
};
static const expected_item atime_items[] = {
	{"layer 0", "etc/hosts", "atime", NULL, "2023-11-14T22:15:00.500000000Z",
	 "an atime pax record is stored in one image only: tar was not told to drop it "
	 "(GNU tar --pax-option=delete=atime, or the tar writer's option)"},
	{"layer 0", "etc/hosts", "tar-format", "ustar", "pax", format_hint},
};
static const expected_item order_items[] = {
	{"layer 0", NULL, "file-order", "etc", "usr/bin/app",
	 "the entries of image B are not sorted by path: the tar writer kept the directory "
	 "order (GNU tar --sort=name sorts them)"},
};
static const expected_item hardlink_items[] = {
	{"layer 0", "data/c", "hardlink", "data/a", "data/b",
	 "hard links are chained in image B instead of pointing at one file (both resolve to "
	 "data/a): link every name to the first path"},
};
static const expected_item xattr_items[] = {
	{"layer 0", "usr/bin/app", "xattr.user.origin", NULL, "build-host",
	 "an extended attribute is stored in one image only: the build host's file system or "
	 "the tar writer added it"},
	{"layer 0", "usr/bin/app", "tar-format", "ustar", "pax", format_hint},
};
static const expected_item whiteout_items[] = {
	{"layer 1", "etc/.wh.hosts", "mtime", "2023-11-14T22:13:20Z", "2023-11-15T00:13:20Z",
	 MTIME_HINT("a whiteout")},
};
static const expected_item created_items[] = {
	{"config", "created", "value", "2023-11-14T22:13:20Z", "2024-01-02T03:04:05Z",
	 created_hint},
	{"config", "history[0].created", "value", "2023-11-14T22:13:20Z", "2024-01-02T03:04:05Z",
	 history_hint},
};
static const expected_item env_items[] = {
	{"config", "config.Env[1]", "added", NULL, "HOSTNAME=builder", NULL},
	{"config", "config.WorkingDir", "removed", "/", NULL, NULL},
	{"config", "config.Labels", "added", NULL, "{\"x\":\"1\"}", NULL},
};
static const expected_item gzip_items[] = {
	{"layer 0", NULL, "gzip.xfl", "4", "2",
	 "a different compression level (XFL 2 is the best compression, 4 the fastest): "
	 "compress with one fixed level"},
};
static const expected_item build_path_items[] = {
	{"layer 0", "etc/build-info.txt", "size", "40", "31", NULL},
	{"layer 0", "etc/build-info.txt", "content",
	 "xxh128:1eb26dc00084a44ddeb51c9b284bbcda",
	 "xxh128:2577b153d3d6d805d856c5d3c7ead394",
	 "line 2 differs (\"source = /tmp/build-4711/src\" and \"source = /build/src\"): "
	 "a build path is embedded in the file"},
};
static const expected_item time_stamp_items[] = {
	{"layer 0", "etc/build-time.txt", "content",
	 "xxh128:08021be0f73ad317294c561372cda54c",
	 "xxh128:5983580a3703a2a080c91495608ad7dc",
	 "line 1 differs (\"built 2024-12-01T10:15:58.2Z\" and \"built 2024-12-01T10:16:00.8Z\"): "
	 "a time stamp is embedded in the file"},
};
static const expected_item layer_count_items[] = {
	{"config", "rootfs.diff_ids[1]", "added", NULL,
	 "sha256:9bd5069ddf1dc2c238e6236e486118ab40d7db874f273e9e791efcb6b9326aab", NULL},
	{"manifest", "layers", "count", "1", "2",
	 "the images have a different number of layers: the squashed file trees are compared below"},
	{"squashed", "etc/app.conf", "content",
	 "xxh128:1d7d9cda64379ff3bccd6ac19c8e2f78",
	 "xxh128:8eab54abf2acf34a8407085272e26027",
	 "line 2 differs (\"port = 8080\" and \"port = 9090\")"},
	{"squashed", "etc/hosts", "removed", "regular", NULL, NULL},
	{"config", "history[1]", "added", NULL,
	 "{\"created\":\"2023-11-14T22:13:20Z\",\"created_by\":\"layer 1\"}", NULL},
};

typedef struct diff_case {
	const char *name;
	const expected_item *items;
	size_t count;
} diff_case;

#define CASE(name, items) {name, items, REPRO_ARRAY_SIZE(items)}

static const diff_case cases[] = {
	CASE("mtime-unclamped", mtime_items),
	CASE("pax-atime", atime_items),
	CASE("order-reversed", order_items),
	CASE("hardlink-chain", hardlink_items),
	CASE("xattr-one-side", xattr_items),
	CASE("whiteout-mtime", whiteout_items),
	CASE("config-created", created_items),
	CASE("config-env", env_items),
	CASE("gzip-level", gzip_items),
	CASE("build-path", build_path_items),
	CASE("time-stamp", time_stamp_items),
	CASE("layer-count", layer_count_items),
};

/* An opened pair of images; run_diff() fills it and close_pair() releases it. */
typedef struct image_pair {
	repro_source *source[2];
	repro_resolved_image *images[2];
	size_t count[2];
} image_pair;

static void close_pair(image_pair *pair)
{
	for (int s = 0; s < 2; s++) {
		repro_resolved_images_free(pair->images[s], pair->count[s]);
		repro_source_free(pair->source[s]);
	}
	memset(pair, 0, sizeof(*pair));
}

static repro_diff_result *run_diff(const char *name, const repro_diff_options *options)
{
	image_pair pair;
	repro_diff_side sides[2];
	repro_diff_result *result = NULL;
	repro_error err;

	memset(&pair, 0, sizeof(pair));
	for (int s = 0; s < 2; s++) {
		char spec[1024];

		snprintf(spec, sizeof(spec), "oci:%s/%s/%c", fixture_dir, name, 'a' + s);
		ASSERT_OK(repro_source_open(&pair.source[s], spec, &err), &err);
		if (pair.source[s] == NULL)
			goto cleanup;
		ASSERT_OK(repro_source_resolve(pair.source[s], NULL, &pair.images[s], &pair.count[s],
		                               &err), &err);
		if (pair.images[s] == NULL)
			goto cleanup;
		sides[s] = (repro_diff_side){pair.source[s], &pair.images[s][0]};
	}
	ASSERT_OK(repro_diff_run(&sides[0], &sides[1], options, &result, &err), &err);

cleanup:
	close_pair(&pair);
	return result;
}

static void assert_optional(const char *what, const char *actual, const char *expected)
{
	if (expected == NULL)
		REPRO_CHECK(actual == NULL, "%s: got \"%s\", expected NULL", what, actual);
	else
		ASSERT_STR_EQ(actual, expected);
}

static void assert_items(const char *name, const repro_diff_result *result,
                         const expected_item *expected, size_t count)
{
	REPRO_CHECK(result->item_count == count, "%s: got %zu differences, expected %zu", name,
	            result->item_count, count);
	for (size_t i = 0; i < count && i < result->item_count; i++) {
		const repro_diff_item *item = &result->items[i];

		ASSERT_STR_EQ(item->object, expected[i].object);
		assert_optional("path", item->path, expected[i].path);
		ASSERT_STR_EQ(item->field, expected[i].field);
		assert_optional("value_a", item->value_a, expected[i].value_a);
		assert_optional("value_b", item->value_b, expected[i].value_b);
		assert_optional("hint", item->hint, expected[i].hint);
	}
}

static void test_cases_report_cause(void)
{
	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_diff_result *result = run_diff(cases[i].name, NULL);

		if (result == NULL)
			continue;
		assert_items(cases[i].name, result, cases[i].items, cases[i].count);
		ASSERT_INT_EQ(result->ignored_total, 0);
		repro_diff_result_free(result);
	}
}

static void test_same_image_identical(void)
{
	repro_diff_result *result;
	char spec[1024];
	image_pair pair;
	repro_diff_side side;
	repro_error err;

	memset(&pair, 0, sizeof(pair));
	snprintf(spec, sizeof(spec), "oci:%s/gzip-level/a", fixture_dir);
	ASSERT_OK(repro_source_open(&pair.source[0], spec, &err), &err);
	ASSERT_OK(repro_source_resolve(pair.source[0], NULL, &pair.images[0], &pair.count[0], &err),
	          &err);
	side = (repro_diff_side){pair.source[0], &pair.images[0][0]};
	ASSERT_OK(repro_diff_run(&side, &side, NULL, &result, &err), &err);
	ASSERT_INT_EQ(result->item_count, 0);
	ASSERT_INT_EQ(result->ignored_total, 0);
	repro_diff_result_free(result);
	close_pair(&pair);
}

static void assert_ignored(const repro_diff_result *result, const char *names[],
                           const size_t counts[], size_t count)
{
	ASSERT_INT_EQ(result->ignored_count, count);
	for (size_t i = 0; i < count && i < result->ignored_count; i++) {
		ASSERT_STR_EQ(result->ignored[i].name, names[i]);
		ASSERT_INT_EQ(result->ignored[i].count, counts[i]);
	}
}

static void test_semantic_counts_ignored(void)
{
	repro_diff_options options;
	repro_diff_result *result;
	const char *names[] = {"history", "created"};
	const size_t counts[] = {1, 1};

	repro_diff_options_init(&options);
	options.semantic = true;
	result = run_diff("config-created", &options);
	if (result == NULL)
		return;
	ASSERT_INT_EQ(result->item_count, 0);
	ASSERT_INT_EQ(result->ignored_total, 2);
	assert_ignored(result, names, counts, 2);
	repro_diff_result_free(result);

	/* Order and tar format are semantic, the atime record and the xattr too: only the xattr stays. */
	result = run_diff("xattr-one-side", &options);
	if (result == NULL)
		return;
	ASSERT_INT_EQ(result->item_count, 1);
	ASSERT_STR_EQ(result->items[0].field, "xattr.user.origin");
	ASSERT_INT_EQ(result->ignored_total, 1);
	repro_diff_result_free(result);
}

static void test_ignore_name_and_glob(void)
{
	static const char *const ignore[] = {"file-order", "etc/build-*"};
	repro_diff_options options;
	repro_diff_result *result;
	const char *names[] = {"etc/build-*"};
	const size_t counts[] = {2};

	repro_diff_options_init(&options);
	options.ignore = ignore;
	options.ignore_count = 2;
	result = run_diff("build-path", &options);
	if (result == NULL)
		return;
	ASSERT_INT_EQ(result->item_count, 0);
	assert_ignored(result, names, counts, 1);
	repro_diff_result_free(result);

	result = run_diff("order-reversed", &options);
	if (result == NULL)
		return;
	ASSERT_INT_EQ(result->item_count, 0);
	ASSERT_INT_EQ(result->ignored_total, 1);
	ASSERT_STR_EQ(result->ignored[0].name, "file-order");
	repro_diff_result_free(result);
}

static void test_check_ignore_values(void)
{
	static const struct {
		const char *value;
		int code;
	} values[] = {
		{"mtime", REPRO_OK}, {"compression", REPRO_OK}, {"image-name", REPRO_OK},
		{"usr/share/doc/*", REPRO_OK}, {"*.pyc", REPRO_OK}, {"mtimes", REPRO_EUSAGE},
		{"", REPRO_EUSAGE},
	};
	repro_error err;

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(values); i++)
		ASSERT_CODE(repro_diff_check_ignore(values[i].value, &err), values[i].code, &err);
	ASSERT_CODE(repro_diff_check_ignore("bogus", &err), REPRO_EUSAGE, &err);
	ASSERT_STR_CONTAINS(err.message, "unknown --ignore name 'bogus': expected mtime, atime");
}

static void test_unknown_ignore_rejected(void)
{
	static const char *const ignore[] = {"mtime", "bogus"};
	repro_diff_options options;
	repro_diff_result *result = NULL;
	repro_diff_side side;
	image_pair pair;
	char spec[1024];
	repro_error err;

	memset(&pair, 0, sizeof(pair));
	snprintf(spec, sizeof(spec), "oci:%s/gzip-level/a", fixture_dir);
	ASSERT_OK(repro_source_open(&pair.source[0], spec, &err), &err);
	ASSERT_OK(repro_source_resolve(pair.source[0], NULL, &pair.images[0], &pair.count[0], &err),
	          &err);
	side = (repro_diff_side){pair.source[0], &pair.images[0][0]};
	repro_diff_options_init(&options);
	options.ignore = ignore;
	options.ignore_count = 2;
	ASSERT_CODE(repro_diff_run(&side, &side, &options, &result, &err), REPRO_EUSAGE, &err);
	CU_ASSERT_PTR_NULL(result);
	ASSERT_STR_CONTAINS(err.message, "unknown --ignore name 'bogus'");
	close_pair(&pair);
}

static void test_text_and_json_output(void)
{
	static const char *const ignore[] = {"compression"};
	repro_diff_options options;
	repro_diff_result *result = run_diff("gzip-level", NULL);
	char *text = NULL, *dumped = NULL;
	json_t *json = NULL;
	size_t size;
	repro_error err;

	if (result == NULL)
		return;
	ASSERT_OK(repro_diff_format_text(result, &text, &err), &err);
	ASSERT_STR_EQ(text,
	              "OBJECT   PATH  FIELD     A  B\n"
	              "layer 0  -     gzip.xfl  4  2\n"
	              "  hint: a different compression level (XFL 2 is the best compression, 4 the "
	              "fastest): compress with one fixed level\n"
	              "1 difference\n");
	ASSERT_OK(repro_diff_to_json(result, &json, &err), &err);
	ASSERT_OK(repro_json_dump(json, &dumped, &size, &err), &err);
	ASSERT_STR_EQ(dumped,
	              "{\"identical\":false,\"squashed\":false,\"layerCounts\":[1,1],"
	              "\"differences\":[{\"category\":\"layer\",\"importance\":\"metadata\","
	              "\"object\":\"layer 0\",\"path\":null,\"field\":\"gzip.xfl\",\"a\":\"4\","
	              "\"b\":\"2\",\"hint\":\"a different compression level (XFL 2 is the best "
	              "compression, 4 the fastest): compress with one fixed level\"}],"
	              "\"ignored\":{\"total\":0,\"counts\":{}},\"dropped\":0,\"unreadLayers\":0}");
	free(text);
	free(dumped);
	json_decref(json);
	repro_diff_result_free(result);

	repro_diff_options_init(&options);
	options.ignore = ignore;
	options.ignore_count = 1;
	result = run_diff("gzip-level", &options);
	if (result == NULL)
		return;
	ASSERT_OK(repro_diff_format_text(result, &text, &err), &err);
	ASSERT_STR_EQ(text, "no differences\n1 difference ignored: 1 compression\n");
	free(text);
	repro_diff_result_free(result);
}

static void test_max_differences_counts_rest(void)
{
	repro_diff_options options;
	repro_diff_result *result;

	repro_diff_options_init(&options);
	options.max_differences = 2;
	result = run_diff("layer-count", &options);
	if (result == NULL)
		return;
	ASSERT_INT_EQ(result->item_count, 2);
	ASSERT_INT_EQ(result->dropped_count, 3);
	repro_diff_result_free(result);
}

static const repro_test_case tests[] = {
	{"cases report cause", test_cases_report_cause},
	{"same image identical", test_same_image_identical},
	{"semantic counts ignored", test_semantic_counts_ignored},
	{"ignore name and glob", test_ignore_name_and_glob},
	{"check ignore values", test_check_ignore_values},
	{"unknown ignore rejected", test_unknown_ignore_rejected},
	{"text and json output", test_text_and_json_output},
	{"max differences counts rest", test_max_differences_counts_rest},
};

int main(void)
{
	char command[2048];
	int status;

	fixture_dir = repro_test_make_dir();
	snprintf(command, sizeof(command), "python3 '%s' '%s'",
	         repro_test_source_path("fixtures/scripts/diff_fixture_tool.py"), fixture_dir);
	if (system(command) != 0) {
		fprintf(stderr, "diff_fixture_tool.py failed\n");
		repro_test_cleanup_dir(fixture_dir);
		return 1;
	}
	status = repro_test_main("diff", tests, REPRO_ARRAY_SIZE(tests));
	repro_test_cleanup_dir(fixture_dir);
	return status;
}

#include "harness.h"

#include <stdlib.h>

#include <reprocheck/compare.h>
#include <reprocheck/json.h>
#include <reprocheck/report.h>

/* Modifiable copies of the strings the list structs point at. */
static char text_gzip[] = "application/vnd.oci.image.layer.v1.tar+gzip";
static char text_hello[] = "hello";
static char text_amd64[] = "linux/amd64";
static char text_tag[] = "v1.0.0";
static char text_other[] = "other";
static char text_arm64[] = "linux/arm64";

/* A digest whose bytes are all @p fill, enough to tell values apart. */
static repro_digest digest_of(unsigned char fill)
{
	repro_digest digest;

	memset(&digest, 0, sizeof(digest));
	digest.algorithm = REPRO_DIGEST_SHA256;
	memset(digest.bytes, fill, 32);
	return digest;
}

typedef struct fixture {
	repro_built_layer built_layers[2];
	repro_built_image built_image;
	repro_build_result built;
	repro_digestlist_layer listed_layers[2];
	repro_digestlist_platform listed_platform;
	repro_digestlist_image listed_image;
	repro_digestlist_release release;
} fixture;

/* A rebuild and a list that agree: one image, two gzip layers. */
static void fixture_init(fixture *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < 2; i++) {
		f->built_layers[i].media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
		f->built_layers[i].digest = digest_of((unsigned char)(0x10 + i));
		f->built_layers[i].diff_id = digest_of((unsigned char)(0x20 + i));
		f->built_layers[i].size = 100;
		f->listed_layers[i].media_type = text_gzip;
		f->listed_layers[i].digest = f->built_layers[i].digest;
		f->listed_layers[i].diff_id = f->built_layers[i].diff_id;
		f->listed_layers[i].size = 100;
	}
	f->built_image.name = text_hello;
	f->built_image.platform = text_amd64;
	f->built_image.manifest = digest_of(0x01);
	f->built_image.config = digest_of(0x02);
	f->built_image.layers = f->built_layers;
	f->built_image.layer_count = 2;
	f->built.images = &f->built_image;
	f->built.image_count = 1;

	f->listed_platform.platform = text_amd64;
	f->listed_platform.manifest = digest_of(0x01);
	f->listed_platform.has_config = true;
	f->listed_platform.config = digest_of(0x02);
	f->listed_platform.layers = f->listed_layers;
	f->listed_platform.layer_count = 2;
	f->listed_image.name = text_hello;
	f->listed_image.platforms = &f->listed_platform;
	f->listed_image.platform_count = 1;
	f->release.tag = text_tag;
	f->release.images = &f->listed_image;
	f->release.image_count = 1;
}

static void compare(fixture *f, repro_image_verdict **verdicts, size_t *count)
{
	repro_error err;

	repro_error_clear(&err);
	ASSERT_OK(repro_compare_release(&f->built, &f->release, verdicts, count, &err), &err);
}

static void test_identical(void)
{
	fixture f;
	repro_image_verdict *verdicts;
	size_t count;

	fixture_init(&f);
	compare(&f, &verdicts, &count);
	ASSERT_INT_EQ(count, 1);
	ASSERT_STR_EQ(repro_status_name(verdicts[0].status), "identical");
	CU_ASSERT_PTR_NULL(verdicts[0].reason);
	ASSERT_INT_EQ(verdicts[0].difference_count, 0);
	ASSERT_INT_EQ(repro_verdicts_exit_status(verdicts, count, REPRO_LEVEL_MANIFEST), 0);
	repro_verdicts_free(verdicts, count);
}

static void test_content_identical(void)
{
	fixture f;
	repro_image_verdict *verdicts;
	size_t count;

	fixture_init(&f);
	f.built_image.manifest = digest_of(0x03);
	f.built_layers[1].digest = digest_of(0x33);
	compare(&f, &verdicts, &count);
	ASSERT_STR_EQ(repro_status_name(verdicts[0].status), "content-identical");
	ASSERT_STR_CONTAINS(verdicts[0].reason, "another compressor or level");
	ASSERT_INT_EQ(verdicts[0].difference_count, 2);
	ASSERT_STR_EQ(verdicts[0].differences[0].object, "manifest");
	ASSERT_STR_EQ(verdicts[0].differences[1].object, "layer 1");
	ASSERT_STR_EQ(verdicts[0].differences[1].field, "digest");
	ASSERT_INT_EQ(repro_verdicts_exit_status(verdicts, count, REPRO_LEVEL_MANIFEST), 1);
	ASSERT_INT_EQ(repro_verdicts_exit_status(verdicts, count, REPRO_LEVEL_CONTENT), 0);
	repro_verdicts_free(verdicts, count);
}

static void test_mismatch_cases(void)
{
	static const struct {
		const char *name;
		int change;  /* which fact of the rebuild differs */
		const char *reason;
		size_t differences;
	} cases[] = {
		{"layer content", 1, "layer 1 differs in content (diff_id), and so does the config", 4},
		{"config only", 2, "the config differs while every layer's content matches: a config "
		 "field such as created, Env or Labels changed", 2},
		{"layer count", 3, "the rebuild has 1 layers, the list 2", 3},
		{"media type", 4, "the config differs while every layer's content matches: a config "
		 "field such as created, Env or Labels changed", 3},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		fixture f;
		repro_image_verdict *verdicts;
		size_t count;

		fixture_init(&f);
		f.built_image.manifest = digest_of(0x03);
		f.built_image.config = digest_of(0x04);
		if (cases[i].change == 1) {
			f.built_layers[1].diff_id = digest_of(0x44);
			f.built_layers[1].digest = digest_of(0x45);
		} else if (cases[i].change == 3) {
			f.built_image.layer_count = 1;
		} else if (cases[i].change == 4) {
			f.built_layers[0].media_type = "application/vnd.oci.image.layer.v1.tar+zstd";
		}
		compare(&f, &verdicts, &count);
		REPRO_CHECK(verdicts[0].status == REPRO_STATUS_MISMATCH, "case %s", cases[i].name);
		ASSERT_STR_EQ(verdicts[0].reason, cases[i].reason);
		ASSERT_INT_EQ(verdicts[0].difference_count, cases[i].differences);
		ASSERT_INT_EQ(repro_verdicts_exit_status(verdicts, count, REPRO_LEVEL_CONTENT), 1);
		repro_verdicts_free(verdicts, count);
	}
}

static void test_unlisted_and_missing(void)
{
	fixture f;
	repro_image_verdict *verdicts;
	size_t count;

	fixture_init(&f);
	f.listed_image.name = text_other;
	compare(&f, &verdicts, &count);
	ASSERT_INT_EQ(count, 2);
	ASSERT_STR_EQ(verdicts[0].name, "hello");
	ASSERT_STR_EQ(repro_status_name(verdicts[0].status), "unlisted");
	ASSERT_STR_EQ(verdicts[0].reason, "the list has no image of this name");
	ASSERT_STR_EQ(verdicts[1].name, "other");
	ASSERT_STR_EQ(repro_status_name(verdicts[1].status), "missing");
	ASSERT_INT_EQ(repro_verdicts_exit_status(verdicts, count, REPRO_LEVEL_CONTENT), 1);
	repro_verdicts_free(verdicts, count);

	fixture_init(&f);
	f.listed_platform.platform = text_arm64;
	compare(&f, &verdicts, &count);
	ASSERT_INT_EQ(count, 2);
	ASSERT_STR_EQ(verdicts[0].reason, "the list has this image, but not for this platform");
	ASSERT_STR_EQ(verdicts[1].platform, "linux/arm64");
	ASSERT_STR_EQ(repro_status_name(verdicts[1].status), "missing");
	repro_verdicts_free(verdicts, count);
}

static void test_plain_text_list(void)
{
	fixture f;
	repro_image_verdict *verdicts;
	size_t count;

	fixture_init(&f);
	f.listed_platform.platform = NULL;
	f.listed_platform.has_config = false;
	f.listed_platform.layer_count = 0;
	compare(&f, &verdicts, &count);
	ASSERT_INT_EQ(count, 1);
	ASSERT_STR_EQ(repro_status_name(verdicts[0].status), "identical");
	repro_verdicts_free(verdicts, count);

	f.built_image.manifest = digest_of(0x09);
	compare(&f, &verdicts, &count);
	ASSERT_STR_EQ(repro_status_name(verdicts[0].status), "mismatch");
	ASSERT_STR_CONTAINS(verdicts[0].reason, "the list pins manifests only");
	ASSERT_INT_EQ(verdicts[0].difference_count, 1);
	repro_verdicts_free(verdicts, count);
}

static void test_error_and_empty_status(void)
{
	repro_image_verdict verdicts[2];

	memset(verdicts, 0, sizeof(verdicts));
	verdicts[0].status = REPRO_STATUS_MISMATCH;
	verdicts[1].status = REPRO_STATUS_ERROR;
	ASSERT_INT_EQ(repro_verdicts_exit_status(verdicts, 2, REPRO_LEVEL_MANIFEST), 2);
	ASSERT_INT_EQ(repro_verdicts_exit_status(verdicts, 0, REPRO_LEVEL_MANIFEST), 2);
}

static void test_report_json(void)
{
	fixture f;
	repro_image_verdict *verdicts;
	size_t count;
	repro_verify_report report;
	json_t *document;
	char *text;
	size_t size;
	repro_error err;

	fixture_init(&f);
	f.built.revision.is_tag = 1;
	strcpy(f.built.revision.tag, "v1.0.0");
	strcpy(f.built.revision.commit_id, "4f1c0e0000000000000000000000000000000000");
	f.built.source_date_epoch = 1733000000;
	f.built.hermetic = 1;
	strcpy(f.built.compressor, "zlib 1.2.13 level 6");
	compare(&f, &verdicts, &count);

	memset(&report, 0, sizeof(report));
	report.repo = "hello";
	report.tag = "v1.0.0";
	report.build = &f.built;
	report.verdicts = verdicts;
	report.verdict_count = count;
	report.exit_status = 0;
	report.version = "0.1.0";
	document = repro_report_to_json(&report);
	ASSERT_OK(repro_json_dump(document, &text, &size, &err), &err);
	ASSERT_STR_EQ(text,
		"{\"status\":\"pass\",\"reprocheckVersion\":\"0.1.0\",\"repo\":\"hello\","
		"\"tag\":\"v1.0.0\",\"level\":\"manifest\","
		"\"commit\":\"4f1c0e0000000000000000000000000000000000\","
		"\"sourceDateEpoch\":1733000000,\"hermetic\":true,"
		"\"compressor\":\"zlib 1.2.13 level 6\",\"images\":[{\"name\":\"hello\","
		"\"platform\":\"linux/amd64\",\"status\":\"identical\","
		"\"expectedManifest\":\"sha256:0101010101010101010101010101010101010101010101010101010101010101\","
		"\"actualManifest\":\"sha256:0101010101010101010101010101010101010101010101010101010101010101\","
		"\"differences\":[]}]}");
	free(text);
	json_decref(document);
	repro_verdicts_free(verdicts, count);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"identical image", test_identical},
		{"content identical image", test_content_identical},
		{"mismatch cases", test_mismatch_cases},
		{"unlisted and missing", test_unlisted_and_missing},
		{"plain text list", test_plain_text_list},
		{"error and empty status", test_error_and_empty_status},
		{"report json shape", test_report_json},
	};
	return repro_test_main("compare", cases, REPRO_ARRAY_SIZE(cases));
}

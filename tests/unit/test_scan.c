#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <reprocheck/layer.h>
#include <reprocheck/layout.h>
#include <reprocheck/oci.h>
#include <reprocheck/scan.h>

#include "fileutil_internal.h"

/* How the test image departs from a valid one. */
typedef struct image_faults {
	const char *layer_media_type;    /* declared for the layer, or NULL for gzip */
	const char *index_architecture;  /* stated in index.json, or NULL for amd64 */
	int extra_diff_id;               /* the config lists one diff_id too many */
} image_faults;

/* Writes a one-layer image of a small tree into DIR/layout, tagged "t". */
static void write_image(const char *dir, const image_faults *faults)
{
	char tree[512], file[600], layout_dir[512], layer_path[600];
	repro_layer_write_options write_options;
	repro_layer_writer *writer;
	repro_layer_result layer;
	repro_layout_writer *layout;
	repro_layout_options layout_options = {0};
	repro_layout_manifest entry;
	repro_descriptor layer_descriptor, config_descriptor;
	repro_config_spec spec;
	repro_platform platform;
	repro_digest diff_ids[2], config_digest, manifest_digest;
	repro_error err;
	char *config_bytes, *manifest_bytes;
	size_t config_size, manifest_size;
	int fd;

	snprintf(tree, sizeof(tree), "%s/tree", dir);
	snprintf(file, sizeof(file), "%s/hello.txt", tree);
	snprintf(layout_dir, sizeof(layout_dir), "%s/layout", dir);
	snprintf(layer_path, sizeof(layer_path), "%s/layer.tar.gz", dir);
	CU_ASSERT_EQUAL(mkdir(tree, 0755), 0);
	repro_test_write_file(file, "hello\n", 6);

	repro_layer_write_options_init(&write_options);
	ASSERT_OK(repro_layer_writer_new(&writer, &write_options, &err), &err);
	ASSERT_OK(repro_layer_writer_add(writer, tree, "/", NULL, 1, &err), &err);
	fd = open(layer_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_OK(repro_layer_writer_finish(writer, fd, &layer, &err), &err);
	repro_layer_writer_free(writer);

	ASSERT_OK(repro_layout_writer_new(&layout, layout_dir, &layout_options, &err), &err);
	ASSERT_OK(repro_layout_add_blob_fd(layout, fd, &layer.blob_digest, (int64_t)layer.blob_size,
	                                   &err), &err);
	close(fd);

	diff_ids[0] = layer.diff_id;
	diff_ids[1] = layer.diff_id;
	ASSERT_OK(repro_platform_parse(&platform, "linux/amd64", &err), &err);
	memset(&spec, 0, sizeof(spec));
	spec.created = "2024-01-01T00:00:00Z";
	spec.platform = &platform;
	spec.diff_ids = diff_ids;
	spec.diff_id_count = faults->extra_diff_id ? 2 : 1;
	ASSERT_OK(repro_oci_config_write(&spec, &config_bytes, &config_size, &err), &err);
	ASSERT_OK(repro_layout_add_blob_bytes(layout, config_bytes, config_size, &config_digest, &err),
	          &err);

	ASSERT_OK(repro_descriptor_init(&config_descriptor, REPRO_MEDIA_TYPE_OCI_CONFIG,
	                                &config_digest, (int64_t)config_size, &err), &err);
	ASSERT_OK(repro_descriptor_init(&layer_descriptor, faults->layer_media_type ?
	                                faults->layer_media_type : layer.media_type,
	                                &layer.blob_digest, (int64_t)layer.blob_size, &err), &err);
	ASSERT_OK(repro_oci_manifest_write(&config_descriptor, &layer_descriptor, 1, NULL,
	                                   &manifest_bytes, &manifest_size, &err), &err);
	ASSERT_OK(repro_layout_add_blob_bytes(layout, manifest_bytes, manifest_size,
	                                      &manifest_digest, &err), &err);

	memset(&entry, 0, sizeof(entry));
	entry.media_type = REPRO_MEDIA_TYPE_OCI_MANIFEST;
	entry.digest = manifest_digest;
	entry.size = manifest_size;
	entry.ref_name = "t";
	entry.os = "linux";
	entry.architecture = faults->index_architecture ? faults->index_architecture : "amd64";
	ASSERT_OK(repro_layout_add_manifest(layout, &entry, &err), &err);
	ASSERT_OK(repro_layout_writer_commit(layout, &err), &err);

	repro_layout_writer_free(layout);
	repro_descriptor_dispose(&config_descriptor);
	repro_descriptor_dispose(&layer_descriptor);
	repro_platform_dispose(&platform);
	free(config_bytes);
	free(manifest_bytes);
}

/* Scans DIR/layout:t and stores the scan; returns the call's code. */
static int scan_image(const char *dir, repro_image_scan *scan, repro_error *err)
{
	char spec[600];
	repro_source *source = NULL;
	repro_resolved_image *images = NULL;
	size_t count = 0;
	repro_platform_selector selector;
	int result;

	memset(&selector, 0, sizeof(selector));
	selector.all = true;
	snprintf(spec, sizeof(spec), "oci:%s/layout:t", dir);
	result = repro_source_open(&source, spec, err);
	if (result == REPRO_OK)
		result = repro_source_resolve(source, &selector, &images, &count, err);
	if (result == REPRO_OK)
		result = repro_image_scan_run(source, &images[0], NULL, scan, err);
	repro_resolved_images_free(images, count);
	repro_source_free(source);
	return result;
}

static void test_valid_image(void)
{
	char *dir = repro_test_make_dir();
	image_faults faults = {0};
	repro_image_scan scan;
	repro_error err;

	write_image(dir, &faults);
	ASSERT_OK(scan_image(dir, &scan, &err), &err);
	ASSERT_INT_EQ(scan.problem_count, 0);
	ASSERT_INT_EQ(scan.layer_count, 1);
	CU_ASSERT_TRUE(scan.layers[0].complete);
	ASSERT_INT_EQ(scan.layers[0].compression, REPRO_COMPRESSION_GZIP);
	ASSERT_INT_EQ(scan.layers[0].entry_count, 1);
	repro_image_scan_dispose(&scan);
	repro_test_cleanup_dir(dir);
}

static void test_problems(void)
{
	static const struct {
		const char *name;
		image_faults faults;
		repro_check check;
		const char *expected;
		const char *actual;
		const char *message;
	} cases[] = {
		{"index platform", {NULL, "arm64", 0}, REPRO_CHECK_PLATFORM, "linux/arm64",
		 "linux/amd64", "the index lists the manifest as linux/arm64 but its config says "
		 "linux/amd64"},
		{"diff_id count", {NULL, NULL, 1}, REPRO_CHECK_DIFF_ID_COUNT, "1", "2",
		 "the manifest has 1 layers but the config lists 2 diff_ids"},
		{"media type", {REPRO_MEDIA_TYPE_OCI_LAYER_ZSTD, NULL, 0}, REPRO_CHECK_MEDIA_TYPE,
		 REPRO_MEDIA_TYPE_OCI_LAYER_ZSTD, "gzip", "does not fit its content, which is gzip"},
		{"unknown media type", {"application/x-unknown-layer", NULL, 0}, REPRO_CHECK_MEDIA_TYPE,
		 NULL, "application/x-unknown-layer", "application/x-unknown-layer"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		char *dir = repro_test_make_dir();
		repro_image_scan scan;
		repro_error err;

		write_image(dir, &cases[i].faults);
		ASSERT_OK(scan_image(dir, &scan, &err), &err);
		REPRO_CHECK(scan.problem_count == 1, "case '%s': %zu problems, the last: %s",
		            cases[i].name, scan.problem_count,
		            scan.problem_count ? scan.problems[scan.problem_count - 1].message : "");
		if (scan.problem_count >= 1) {
			ASSERT_STR_EQ(repro_check_name(scan.problems[0].check),
			              repro_check_name(cases[i].check));
			if (cases[i].expected != NULL)
				ASSERT_STR_EQ(scan.problems[0].expected, cases[i].expected);
			ASSERT_STR_EQ(scan.problems[0].actual, cases[i].actual);
			ASSERT_STR_CONTAINS(scan.problems[0].message, cases[i].message);
		}
		repro_image_scan_dispose(&scan);
		repro_test_cleanup_dir(dir);
	}
}

static void test_missing_and_corrupt_blob(void)
{
	char *dir = repro_test_make_dir();
	image_faults faults = {0};
	repro_image_scan scan;
	repro_error err;
	char path[700];
	unsigned char *bytes;
	size_t size;

	write_image(dir, &faults);
	ASSERT_OK(scan_image(dir, &scan, &err), &err);
	snprintf(path, sizeof(path), "%s/layout/blobs/sha256/", dir);
	{
		char digest[REPRO_DIGEST_STRING_MAX];
		repro_layer_scan layer = scan.layers[0];

		repro_digest_format(&layer.blob_digest, digest);
		strcat(path, digest + 7);
	}
	repro_image_scan_dispose(&scan);

	/* Same size, other bytes: a digest problem, not an error. */
	ASSERT_OK(repro_file_read_all(path, 1 << 20, &bytes, &size, &err), &err);
	bytes[size - 1] ^= 0xff;
	repro_test_write_file(path, bytes, size);
	free(bytes);
	ASSERT_OK(scan_image(dir, &scan, &err), &err);
	CU_ASSERT(scan.problem_count >= 1);
	if (scan.problem_count >= 1)
		CU_ASSERT(scan.problems[0].check == REPRO_CHECK_DIGEST ||
		          scan.problems[0].check == REPRO_CHECK_FORMAT);
	repro_image_scan_dispose(&scan);

	/* A missing blob is a finding about the image. */
	CU_ASSERT_EQUAL(unlink(path), 0);
	ASSERT_OK(scan_image(dir, &scan, &err), &err);
	ASSERT_INT_EQ(scan.problem_count, 1);
	if (scan.problem_count == 1)
		ASSERT_STR_EQ(repro_check_name(scan.problems[0].check), "missing");
	repro_image_scan_dispose(&scan);
	repro_test_cleanup_dir(dir);
}

static void test_limit_is_an_error(void)
{
	char *dir = repro_test_make_dir();
	image_faults faults = {0};
	repro_scan_options options;
	repro_image_scan scan;
	repro_source *source = NULL;
	repro_resolved_image *images = NULL;
	size_t count = 0;
	repro_error err;
	char spec[600];

	write_image(dir, &faults);
	snprintf(spec, sizeof(spec), "oci:%s/layout:t", dir);
	ASSERT_OK(repro_source_open(&source, spec, &err), &err);
	ASSERT_OK(repro_source_resolve(source, NULL, &images, &count, &err), &err);
	repro_scan_options_init(&options);
	options.max_uncompressed_bytes = 512;
	ASSERT_CODE(repro_image_scan_run(source, &images[0], &options, &scan, &err), REPRO_ELIMIT,
	            &err);
	ASSERT_STR_CONTAINS(err.message, "reading layer 0 (sha256:");
	ASSERT_INT_EQ(scan.problem_count, 0);
	CU_ASSERT_PTR_NULL(scan.layers);
	repro_resolved_images_free(images, count);
	repro_source_free(source);
	repro_test_cleanup_dir(dir);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"valid image", test_valid_image},
		{"problems found", test_problems},
		{"missing and corrupt blob", test_missing_and_corrupt_blob},
		{"limit is an error", test_limit_is_an_error},
	};
	return repro_test_main("scan", cases, REPRO_ARRAY_SIZE(cases));
}

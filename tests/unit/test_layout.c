#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <reprocheck/layer.h>
#include <reprocheck/layout.h>

#include "fileutil_internal.h"

#define MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"

static char *join(const char *dir, const char *name)
{
	static char paths[4][4096];
	static int next;

	next = (next + 1) % 4;
	snprintf(paths[next], sizeof(paths[next]), "%s/%s", dir, name);
	return paths[next];
}

/* Counts the hidden entries of @p dir: temporary layouts start with a dot. */
static int count_hidden(const char *dir)
{
	DIR *directory = opendir(dir);
	struct dirent *entry;
	int count = 0;

	if (directory == NULL)
		return -1;
	while ((entry = readdir(directory)) != NULL) {
		if (entry->d_name[0] == '.' && strcmp(entry->d_name, ".") != 0 &&
		    strcmp(entry->d_name, "..") != 0)
			count++;
	}
	closedir(directory);
	return count;
}

static char *read_text(const char *path)
{
	unsigned char *data = NULL;
	size_t size;
	repro_error err;

	if (repro_file_read_all(path, 1 << 20, &data, &size, &err) != REPRO_OK)
		return NULL;
	return (char *)data;
}

static int tool_available(const char *name)
{
	char command[256];

	snprintf(command, sizeof(command), "command -v %s >/dev/null 2>&1", name);
	return system(command) == 0;
}

/* Writes a one-layer image into the layout at @p target with the ref "v1". */
static void write_image(const char *dir, const char *target, int replace, repro_error *err,
                        int *code)
{
	repro_layout_options options = {replace};
	repro_layer_writer *layer;
	repro_layer_result written;
	repro_layout_writer *layout = NULL;
	repro_layout_manifest manifest;
	repro_digest config_digest;
	char diff_id[REPRO_DIGEST_STRING_MAX], blob[REPRO_DIGEST_STRING_MAX];
	char config[512], manifest_json[1024], config_text[REPRO_DIGEST_STRING_MAX];
	int fd;

	repro_test_write_file(join(dir, "hello"), "hello\n", 6);
	fd = open(join(dir, "layer.tar.gz"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT_OK(repro_layer_writer_new(&layer, NULL, err), err);
	ASSERT_OK(repro_layer_writer_add(layer, join(dir, "hello"), "/hello", NULL, 0, err), err);
	ASSERT_OK(repro_layer_writer_finish(layer, fd, &written, err), err);
	repro_layer_writer_free(layer);
	repro_digest_format(&written.diff_id, diff_id);
	repro_digest_format(&written.blob_digest, blob);

	snprintf(config, sizeof(config),
	         "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
	         "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]},"
	         "\"history\":[{\"created\":\"1970-01-01T00:00:00Z\"}]}", diff_id);
	*code = repro_layout_writer_new(&layout, target, &options, err);
	if (*code != REPRO_OK)
		goto cleanup;
	ASSERT_OK(repro_layout_add_blob_fd(layout, fd, &written.blob_digest,
	                                   (int64_t)written.blob_size, err), err);
	ASSERT_OK(repro_layout_add_blob_bytes(layout, config, strlen(config), &config_digest, err), err);
	repro_digest_format(&config_digest, config_text);
	snprintf(manifest_json, sizeof(manifest_json),
	         "{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_TYPE "\","
	         "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	         "\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\","
	         "\"digest\":\"%s\",\"size\":%llu}]}", config_text, strlen(config),
	         written.media_type, blob, (unsigned long long)written.blob_size);
	memset(&manifest, 0, sizeof(manifest));
	manifest.media_type = MANIFEST_TYPE;
	manifest.size = strlen(manifest_json);
	manifest.ref_name = "v1";
	manifest.os = "linux";
	manifest.architecture = "amd64";
	ASSERT_OK(repro_layout_add_blob_bytes(layout, manifest_json, manifest.size, &manifest.digest,
	                                      err), err);
	ASSERT_OK(repro_layout_add_manifest(layout, &manifest, err), err);
	*code = repro_layout_writer_commit(layout, err);

cleanup:
	repro_layout_writer_free(layout);
	close(fd);
}

static void test_image_layout(void)
{
	char *dir = repro_test_make_dir();
	char *target = strdup(join(dir, "image"));
	char command[8192];
	char *text;
	repro_error err;
	int code;

	write_image(dir, target, 0, &err, &code);
	ASSERT_INT_EQ(code, REPRO_OK);
	text = read_text(join(target, "oci-layout"));
	ASSERT_STR_EQ(text, "{\"imageLayoutVersion\":\"1.0.0\"}");
	free(text);
	text = read_text(join(target, "index.json"));
	ASSERT_STR_CONTAINS(text, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image."
	                          "index.v1+json\",\"manifests\":[{\"mediaType\":\"" MANIFEST_TYPE
	                          "\",\"digest\":\"sha256:");
	ASSERT_STR_CONTAINS(text, ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},"
	                          "\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}");
	free(text);
	ASSERT_INT_EQ(count_hidden(dir), 0);

	if (tool_available("skopeo")) {
		snprintf(command, sizeof(command), "skopeo inspect oci:%s:v1 >/dev/null", target);
		ASSERT_INT_EQ(system(command), 0);
	}
	if (tool_available("umoci")) {
		snprintf(command, sizeof(command), "umoci stat --image %s:v1 >/dev/null", target);
		ASSERT_INT_EQ(system(command), 0);
	}
	free(target);
	repro_test_cleanup_dir(dir);
}

static void test_existing_target(void)
{
	char *dir = repro_test_make_dir();
	char *target = strdup(join(dir, "image"));
	repro_layout_writer *layout;
	repro_error err;
	struct stat info;
	int code;

	CU_ASSERT_EQUAL(mkdir(target, 0755), 0);
	repro_test_write_file(join(target, "old"), "old", 3);
	ASSERT_CODE(repro_layout_writer_new(&layout, target, NULL, &err), REPRO_EUSAGE, &err);
	ASSERT_STR_CONTAINS(err.message, "is not empty; remove it or allow replacing it");
	CU_ASSERT_PTR_NULL(layout);
	ASSERT_INT_EQ(count_hidden(dir), 0);

	write_image(dir, target, 1, &err, &code);
	ASSERT_INT_EQ(code, REPRO_OK);
	CU_ASSERT_NOT_EQUAL(stat(join(target, "old"), &info), 0);
	CU_ASSERT_EQUAL(stat(join(target, "index.json"), &info), 0);
	ASSERT_INT_EQ(count_hidden(dir), 0);

	/* An empty directory is replaced without the option. */
	CU_ASSERT_EQUAL(mkdir(join(dir, "empty"), 0755), 0);
	write_image(dir, join(dir, "empty"), 0, &err, &code);
	ASSERT_INT_EQ(code, REPRO_OK);
	ASSERT_INT_EQ(count_hidden(dir), 0);
	free(target);
	repro_test_cleanup_dir(dir);
}

static void test_blob_checks(void)
{
	static const char data[] = "some blob";
	char *dir = repro_test_make_dir();
	repro_layout_writer *layout;
	repro_layout_manifest manifest;
	repro_digest expected, other;
	repro_stream *stream;
	repro_error err;
	struct stat info;

	ASSERT_OK(repro_digest_buffer(&expected, REPRO_DIGEST_SHA256, data, 9, &err), &err);
	ASSERT_OK(repro_digest_buffer(&other, REPRO_DIGEST_SHA256, "x", 1, &err), &err);
	ASSERT_OK(repro_layout_writer_new(&layout, join(dir, "image"), NULL, &err), &err);

	ASSERT_OK(repro_stream_open_memory(&stream, data, 9, &err), &err);
	ASSERT_CODE(repro_layout_add_blob_stream(layout, stream, &other, 9, 0, NULL, &err),
	            REPRO_EMISMATCH, &err);
	ASSERT_STR_CONTAINS(err.message, "blob digest is sha256:");
	repro_stream_close(stream);

	ASSERT_OK(repro_stream_open_memory(&stream, data, 9, &err), &err);
	ASSERT_CODE(repro_layout_add_blob_stream(layout, stream, &expected, 5, 0, NULL, &err),
	            REPRO_EMISMATCH, &err);
	ASSERT_STR_EQ(err.message, "blob is larger than its expected size of 5 bytes");
	repro_stream_close(stream);

	ASSERT_OK(repro_stream_open_memory(&stream, data, 9, &err), &err);
	ASSERT_CODE(repro_layout_add_blob_stream(layout, stream, &expected, 12, 0, NULL, &err),
	            REPRO_EMISMATCH, &err);
	ASSERT_STR_EQ(err.message, "blob has 9 bytes, expected 12");
	repro_stream_close(stream);

	ASSERT_OK(repro_stream_open_memory(&stream, data, 9, &err), &err);
	ASSERT_CODE(repro_layout_add_blob_stream(layout, stream, NULL, -1, 4, NULL, &err),
	            REPRO_ELIMIT, &err);
	repro_stream_close(stream);

	memset(&manifest, 0, sizeof(manifest));
	manifest.media_type = MANIFEST_TYPE;
	manifest.digest = other;
	manifest.size = 1;
	ASSERT_OK(repro_layout_add_manifest(layout, &manifest, &err), &err);
	ASSERT_CODE(repro_layout_writer_commit(layout, &err), REPRO_EINVALID, &err);
	ASSERT_STR_CONTAINS(err.message, "but its blob was not added");
	repro_layout_writer_free(layout);
	ASSERT_INT_EQ(count_hidden(dir), 0);
	CU_ASSERT_NOT_EQUAL(stat(join(dir, "image"), &info), 0);

	/* A writer freed without a commit leaves nothing behind. */
	ASSERT_OK(repro_layout_writer_new(&layout, join(dir, "image"), NULL, &err), &err);
	ASSERT_OK(repro_layout_add_blob_bytes(layout, data, 9, NULL, &err), &err);
	repro_layout_writer_free(layout);
	ASSERT_INT_EQ(count_hidden(dir), 0);
	CU_ASSERT_NOT_EQUAL(stat(join(dir, "image"), &info), 0);
	repro_test_cleanup_dir(dir);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"image layout", test_image_layout},
		{"existing target", test_existing_target},
		{"blob checks", test_blob_checks},
	};
	return repro_test_main("layout", cases, REPRO_ARRAY_SIZE(cases));
}

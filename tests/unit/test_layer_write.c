#include "harness.h"
#include "layer_fixtures.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fileutil_internal.h"

#define EPOCH 1700000000

static char *path_in(const char *dir, const char *name)
{
	static char paths[8][4096];
	static int next;

	next = (next + 1) % 8;
	snprintf(paths[next], sizeof(paths[next]), "%s/%s", dir, name);
	return paths[next];
}

static void make_file(const char *dir, const char *name, const char *content, mode_t mode)
{
	const char *path = path_in(dir, name);

	repro_test_write_file(path, content, strlen(content));
	CU_ASSERT_EQUAL(chmod(path, mode), 0);
}

static void set_mtime(const char *path, time_t when)
{
	struct timeval times[2] = {{when, 0}, {when, 0}};

	CU_ASSERT_EQUAL(lutimes(path, times), 0);
}

/*
 * Builds the same logical tree in two ways. Variant 0 creates it in one
 * order with a star of hard links. Variant 1 uses another order, a chain
 * of links, other permission bits and other mtimes.
 */
static void make_tree(const char *root, int variant)
{
	char *sub = strdup(path_in(root, "sub"));
	char *bin = strdup(path_in(root, "bin"));

	if (variant == 0) {
		CU_ASSERT_EQUAL(mkdir(bin, 0755), 0);
		CU_ASSERT_EQUAL(mkdir(sub, 0755), 0);
		make_file(bin, "tool", "#!/bin/sh\necho tool\n", 0755);
		make_file(sub, "a", "shared\n", 0644);
		CU_ASSERT_EQUAL(link(path_in(sub, "a"), path_in(sub, "b")), 0);
		CU_ASSERT_EQUAL(link(path_in(sub, "a"), path_in(sub, "c")), 0);
		make_file(root, "readme", "hello\n", 0644);
		CU_ASSERT_EQUAL(symlink("sub/a", path_in(root, "alias")), 0);
	} else {
		CU_ASSERT_EQUAL(symlink("sub/a", path_in(root, "alias")), 0);
		make_file(root, "readme", "hello\n", 0600);
		CU_ASSERT_EQUAL(mkdir(sub, 0700), 0);
		make_file(sub, "c", "shared\n", 0640);
		CU_ASSERT_EQUAL(link(path_in(sub, "c"), path_in(sub, "b")), 0);
		CU_ASSERT_EQUAL(link(path_in(sub, "b"), path_in(sub, "a")), 0);
		CU_ASSERT_EQUAL(mkdir(bin, 0700), 0);
		make_file(bin, "tool", "#!/bin/sh\necho tool\n", 0700);
		set_mtime(path_in(root, "readme"), EPOCH + 999999);
		set_mtime(path_in(sub, "a"), EPOCH + 5);
		set_mtime(path_in(root, "alias"), EPOCH + 77);
	}
	free(sub);
	free(bin);
}

/* Writes the tree under @p root at "/app" into @p out_path. */
static int write_layer(const char *root, const char *out_path, repro_compression compression,
                       repro_layer_result *result, repro_error *err)
{
	repro_layer_write_options options;
	repro_layer_writer *writer;
	int fd, code;

	repro_layer_write_options_init(&options);
	options.source_date_epoch = EPOCH;
	options.compression = compression;
	if ((code = repro_layer_writer_new(&writer, &options, err)) != REPRO_OK)
		return code;
	fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	code = repro_layer_writer_add(writer, root, "/app/", NULL, 1, err);
	if (code == REPRO_OK)
		code = repro_layer_writer_finish(writer, fd, result, err);
	close(fd);
	repro_layer_writer_free(writer);
	return code;
}

static fixture_buffer read_whole(const char *path)
{
	fixture_buffer buffer = {NULL, 0};
	repro_error err;

	if (repro_file_read_all(path, (size_t)64 << 20, &buffer.data, &buffer.size, &err) != REPRO_OK)
		fprintf(stderr, "%s\n", err.message);
	return buffer;
}

static void test_same_bytes_from_variants(void)
{
	char *dir = repro_test_make_dir();
	char *one = strdup(path_in(dir, "one")), *two = strdup(path_in(dir, "two"));
	repro_layer_result first, second;
	fixture_buffer bytes_one, bytes_two;
	mode_t old_umask;
	repro_error err;

	CU_ASSERT_EQUAL(mkdir(one, 0755), 0);
	CU_ASSERT_EQUAL(mkdir(two, 0755), 0);
	old_umask = umask(022);
	make_tree(one, 0);
	umask(077);
	make_tree(two, 1);
	umask(old_umask);

	ASSERT_OK(write_layer(one, path_in(dir, "one.tar.gz"), REPRO_COMPRESSION_GZIP, &first, &err), &err);
	ASSERT_OK(write_layer(two, path_in(dir, "two.tar.gz"), REPRO_COMPRESSION_GZIP, &second, &err), &err);
	bytes_one = read_whole(path_in(dir, "one.tar.gz"));
	bytes_two = read_whole(path_in(dir, "two.tar.gz"));
	ASSERT_INT_EQ(bytes_one.size, bytes_two.size);
	CU_ASSERT(bytes_one.size == bytes_two.size &&
	          memcmp(bytes_one.data, bytes_two.data, bytes_one.size) == 0);
	ASSERT_STR_EQ(fixture_digest_text(&first.blob_digest), fixture_digest_text(&second.blob_digest));
	ASSERT_STR_EQ(fixture_digest_text(&first.diff_id), fixture_digest_text(&second.diff_id));
	ASSERT_STR_EQ(fixture_digest_text(&first.blob_digest),
	              fixture_sha256(bytes_one.data, bytes_one.size));
	ASSERT_INT_EQ(first.blob_size, bytes_one.size);
	ASSERT_STR_EQ(first.media_type, REPRO_MEDIA_TYPE_LAYER_GZIP);
	ASSERT_STR_EQ(first.compressor, "zlib 1.2.13 level 6");
	ASSERT_INT_EQ(first.entry_count, 9);

	/* gzip header: no flags, MTIME 0, OS 3 (RFC 1952 layout). */
	if (bytes_one.size > 10) {
		ASSERT_INT_EQ(bytes_one.data[3], 0);
		ASSERT_INT_EQ(bytes_one.data[4] | bytes_one.data[5] | bytes_one.data[6] | bytes_one.data[7], 0);
		ASSERT_INT_EQ(bytes_one.data[9], 3);
	}
	free(bytes_one.data);
	free(bytes_two.data);
	free(one);
	free(two);
	repro_test_cleanup_dir(dir);
}

/* Reads the layer back and checks every rule of deterministic writing. */
static void test_entries_follow_rules(void)
{
	static const struct {
		const char *path;
		repro_layer_entry_type type;
		unsigned int mode;
		uint64_t size;
		const char *target;
	} expected[] = {
		{"app/", REPRO_ENTRY_DIRECTORY, 0755, 0, NULL},
		{"app/alias", REPRO_ENTRY_SYMLINK, 0777, 0, "sub/a"},
		{"app/bin/", REPRO_ENTRY_DIRECTORY, 0755, 0, NULL},
		{"app/bin/tool", REPRO_ENTRY_REGULAR, 0755, 20, NULL},
		{"app/readme", REPRO_ENTRY_REGULAR, 0644, 6, NULL},
		{"app/sub/", REPRO_ENTRY_DIRECTORY, 0755, 0, NULL},
		{"app/sub/a", REPRO_ENTRY_REGULAR, 0644, 7, NULL},
		{"app/sub/b", REPRO_ENTRY_HARDLINK, 0644, 0, "app/sub/a"},
		{"app/sub/c", REPRO_ENTRY_HARDLINK, 0644, 0, "app/sub/a"},
	};
	char *dir = repro_test_make_dir();
	char *root = strdup(path_in(dir, "root"));
	repro_layer_result written;
	repro_layer_info info;
	repro_stream *stream;
	repro_error err;

	CU_ASSERT_EQUAL(mkdir(root, 0755), 0);
	make_tree(root, 1);
	ASSERT_OK(write_layer(root, path_in(dir, "layer.tar"), REPRO_COMPRESSION_NONE, &written, &err), &err);
	ASSERT_STR_EQ(written.media_type, REPRO_MEDIA_TYPE_LAYER_TAR);
	ASSERT_STR_EQ(written.compressor, "none");
	ASSERT_OK(repro_stream_open_file(&stream, path_in(dir, "layer.tar"), &err), &err);
	ASSERT_OK(repro_layer_read(stream, NULL, &info, &err), &err);
	repro_stream_close(stream);

	CU_ASSERT(repro_digest_equal(&info.diff_id, &written.diff_id));
	CU_ASSERT(repro_digest_equal(&info.blob_digest, &written.blob_digest));
	ASSERT_INT_EQ(info.compression, REPRO_COMPRESSION_NONE);
	ASSERT_INT_EQ(info.finding_count, 0);
	ASSERT_INT_EQ(info.entry_count, REPRO_ARRAY_SIZE(expected));
	for (size_t i = 0; i < info.entry_count && i < REPRO_ARRAY_SIZE(expected); i++) {
		const repro_layer_entry *entry = &info.entries[i];

		ASSERT_STR_EQ(entry->path, expected[i].path);
		ASSERT_INT_EQ(entry->type, expected[i].type);
		ASSERT_INT_EQ(entry->mode, expected[i].mode);
		ASSERT_INT_EQ(entry->size, expected[i].size);
		if (expected[i].type == REPRO_ENTRY_SYMLINK)
			ASSERT_STR_EQ(entry->symlink_target, expected[i].target);
		if (expected[i].type == REPRO_ENTRY_HARDLINK)
			ASSERT_STR_EQ(entry->hardlink_target, expected[i].target);
		ASSERT_INT_EQ(entry->format, REPRO_TAR_USTAR);
		ASSERT_INT_EQ(entry->uid, 0);
		ASSERT_INT_EQ(entry->gid, 0);
		ASSERT_STR_EQ(entry->uname, "");
		ASSERT_STR_EQ(entry->gname, "");
		ASSERT_INT_EQ(entry->mtime.seconds, EPOCH);
		ASSERT_INT_EQ(entry->mtime.nanoseconds, 0);
		ASSERT_INT_EQ(entry->atime.present, 0);
		ASSERT_INT_EQ(entry->ctime.present, 0);
		ASSERT_INT_EQ(entry->birthtime.present, 0);
		ASSERT_INT_EQ(entry->xattr_count, 0);
	}
	/* Two zero blocks end the archive, with no padding after them. */
	ASSERT_INT_EQ(info.uncompressed_size % 512, 0);
	repro_layer_info_dispose(&info);
	free(root);
	repro_test_cleanup_dir(dir);
}

/* The exact bytes of a fixed tree, pinned so that any change to the rules shows. */
static void test_pinned_digests(void)
{
	char *dir = repro_test_make_dir();
	char *root = strdup(path_in(dir, "root"));
	repro_layer_result written;
	repro_error err;

	CU_ASSERT_EQUAL(mkdir(root, 0755), 0);
	make_tree(root, 0);
	ASSERT_OK(write_layer(root, path_in(dir, "layer.tar.gz"), REPRO_COMPRESSION_GZIP, &written, &err), &err);
	ASSERT_STR_EQ(fixture_digest_text(&written.blob_digest), "sha256:76dfc26ded2d1ea6cc4a759d8f4fd4c7508c2d64708f34f73ba349681f9be4b6");
	ASSERT_STR_EQ(fixture_digest_text(&written.diff_id), "sha256:bd670d33ce22afc56ff3eb95ac56108d03ff61ab1d4d6b373887c4a043b7e72e");
	free(root);
	repro_test_cleanup_dir(dir);
}

static void test_compressions_share_diff_id(void)
{
	static const repro_compression compressions[] = {
		REPRO_COMPRESSION_NONE, REPRO_COMPRESSION_GZIP, REPRO_COMPRESSION_ZSTD};
	char *dir = repro_test_make_dir();
	char *root = strdup(path_in(dir, "root"));
	repro_layer_result results[3];
	repro_error err;

	CU_ASSERT_EQUAL(mkdir(root, 0755), 0);
	make_tree(root, 0);
	for (size_t i = 0; i < 3; i++) {
		const char *out = path_in(dir, "layer");
		repro_layer_info info;
		repro_stream *stream;

		ASSERT_OK(write_layer(root, out, compressions[i], &results[i], &err), &err);
		ASSERT_OK(repro_stream_open_file(&stream, out, &err), &err);
		ASSERT_OK(repro_layer_read(stream, NULL, &info, &err), &err);
		repro_stream_close(stream);
		ASSERT_INT_EQ(info.compression, compressions[i]);
		CU_ASSERT(repro_digest_equal(&info.blob_digest, &results[i].blob_digest));
		CU_ASSERT(repro_digest_equal(&info.diff_id, &results[0].diff_id));
		ASSERT_INT_EQ(info.blob_size, results[i].blob_size);
		repro_layer_info_dispose(&info);
	}
	ASSERT_STR_EQ(results[2].media_type, REPRO_MEDIA_TYPE_LAYER_ZSTD);
	ASSERT_STR_CONTAINS(results[2].compressor, "zstd 1.5");
	free(root);
	repro_test_cleanup_dir(dir);
}

/* A path longer than a ustar header fits needs a pax header, whose name has no process id. */
static void test_long_path_pax_header(void)
{
	char *dir = repro_test_make_dir();
	char name[201];
	char *file;
	repro_layer_write_options options;
	repro_layer_writer *writer;
	repro_layer_result written;
	fixture_buffer bytes;
	repro_layer_info info;
	repro_error err;
	int fd;

	memset(name, 'n', 200);
	name[200] = '\0';
	file = strdup(path_in(dir, "file"));
	make_file(dir, "file", "x", 0644);
	repro_layer_write_options_init(&options);
	options.compression = REPRO_COMPRESSION_NONE;
	options.source_date_epoch = EPOCH;
	ASSERT_OK(repro_layer_writer_new(&writer, &options, &err), &err);
	ASSERT_OK(repro_layer_writer_add(writer, file, name, NULL, 0, &err), &err);
	fd = open(path_in(dir, "out.tar"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT_OK(repro_layer_writer_finish(writer, fd, &written, &err), &err);
	close(fd);
	repro_layer_writer_free(writer);

	bytes = read_whole(path_in(dir, "out.tar"));
	CU_ASSERT(bytes.size >= 1024);
	if (bytes.size >= 1024) {
		char header_name[101];

		memcpy(header_name, bytes.data, 100);
		header_name[100] = '\0';
		ASSERT_INT_EQ(bytes.data[156], 'x');
		ASSERT_INT_EQ(strncmp(header_name, "PaxHeader/nnnnnnnnnn", 20), 0);
		ASSERT_INT_EQ(strspn(header_name + 10, "n"), strlen(header_name + 10));
	}
	ASSERT_OK(fixture_read(bytes.data, bytes.size, NULL, &info, &err), &err);
	ASSERT_INT_EQ(info.entry_count, 1);
	if (info.entry_count == 1) {
		ASSERT_STR_EQ(info.entries[0].path, name);
		ASSERT_INT_EQ(info.entries[0].format, REPRO_TAR_PAX);
		ASSERT_INT_EQ(info.entries[0].atime.present, 0);
		ASSERT_INT_EQ(info.entries[0].ctime.present, 0);
	}
	repro_layer_info_dispose(&info);
	free(bytes.data);
	free(file);
	repro_test_cleanup_dir(dir);
}

static void test_add_and_finish_errors(void)
{
	char *dir = repro_test_make_dir();
	char *file = strdup(path_in(dir, "file"));
	char *fifo = strdup(path_in(dir, "fifo"));
	repro_layer_writer *writer;
	repro_layer_result written;
	repro_error err;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	make_file(dir, "file", "x", 0644);
	CU_ASSERT_EQUAL(mkfifo(fifo, 0644), 0);
	ASSERT_OK(repro_layer_writer_new(&writer, NULL, &err), &err);
	ASSERT_CODE(repro_layer_writer_add(writer, file, "/a/../../etc/passwd", NULL, 0, &err),
	            REPRO_EUNSAFE, &err);
	ASSERT_STR_EQ(err.message, "image path '/a/../../etc/passwd' has a '..' component");
	ASSERT_CODE(repro_layer_writer_add(writer, fifo, "/fifo", NULL, 0, &err), REPRO_EUNSUPPORTED,
	            &err);
	ASSERT_STR_CONTAINS(err.message, "is not a regular file, directory or symbolic link");
	ASSERT_CODE(repro_layer_writer_add(writer, path_in(dir, "missing"), "/m", NULL, 0, &err),
	            REPRO_ENOTFOUND, &err);
	ASSERT_CODE(repro_layer_writer_add(writer, file, "/x", NULL, 1, &err), REPRO_EUSAGE, &err);
	ASSERT_OK(repro_layer_writer_add(writer, file, "/etc/file", NULL, 0, &err), &err);
	ASSERT_OK(repro_layer_writer_add(writer, file, "etc/file", NULL, 0, &err), &err);
	ASSERT_CODE(repro_layer_writer_finish(writer, fd, &written, &err), REPRO_EUSAGE, &err);
	ASSERT_STR_CONTAINS(err.message, "duplicate image path '/etc/file'");
	ASSERT_CODE(repro_layer_writer_finish(writer, fd, &written, &err), REPRO_EUSAGE, &err);
	ASSERT_STR_EQ(err.message, "the layer writer is already finished");
	repro_layer_writer_free(writer);

	ASSERT_OK(repro_layer_writer_new(&writer, NULL, &err), &err);
	ASSERT_OK(repro_layer_writer_add(writer, file, "/etc", NULL, 0, &err), &err);
	ASSERT_OK(repro_layer_writer_add(writer, file, "/etc/file", NULL, 0, &err), &err);
	ASSERT_CODE(repro_layer_writer_finish(writer, fd, &written, &err), REPRO_EUSAGE, &err);
	ASSERT_STR_EQ(err.message, "image path '/etc/file' is inside '/etc', which is not a directory");
	repro_layer_writer_free(writer);
	close(fd);
	free(file);
	free(fifo);
	repro_test_cleanup_dir(dir);
}

static void test_attrs_and_parents(void)
{
	char *dir = repro_test_make_dir();
	char *file = strdup(path_in(dir, "file"));
	repro_layer_file_attrs attrs = {1, 04750, 65532, 65533};
	repro_layer_writer *writer;
	repro_layer_result written;
	repro_layer_info info;
	repro_error err;
	int fd;

	make_file(dir, "file", "data", 0600);
	ASSERT_OK(repro_layer_writer_new(&writer, NULL, &err), &err);
	ASSERT_OK(repro_layer_writer_add(writer, file, "/usr/local/bin/tool", &attrs, 0, &err), &err);
	fd = open(path_in(dir, "out"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT_OK(repro_layer_writer_finish(writer, fd, &written, &err), &err);
	close(fd);
	repro_layer_writer_free(writer);

	ASSERT_OK(fixture_read_file(path_in(dir, "out"), &info, &err), &err);
	ASSERT_INT_EQ(info.entry_count, 4);
	if (info.entry_count == 4) {
		ASSERT_STR_EQ(info.entries[0].path, "usr/");
		ASSERT_STR_EQ(info.entries[1].path, "usr/local/");
		ASSERT_STR_EQ(info.entries[2].path, "usr/local/bin/");
		ASSERT_INT_EQ(info.entries[2].uid, 0);
		ASSERT_INT_EQ(info.entries[2].mode, 0755);
		ASSERT_INT_EQ(info.entries[2].mtime.seconds, 0);
		ASSERT_STR_EQ(info.entries[3].path, "usr/local/bin/tool");
		ASSERT_INT_EQ(info.entries[3].mode, 04750);
		ASSERT_INT_EQ(info.entries[3].uid, 65532);
		ASSERT_INT_EQ(info.entries[3].gid, 65533);
		ASSERT_INT_EQ(info.entries[3].mtime.seconds, 0);
	}
	repro_layer_info_dispose(&info);
	free(file);
	repro_test_cleanup_dir(dir);
}

static void test_compressor_name(void)
{
	ASSERT_STR_EQ(repro_layer_compressor_name(), "zlib 1.2.13 level 6");
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"same bytes from variants", test_same_bytes_from_variants},
		{"entries follow rules", test_entries_follow_rules},
		{"pinned digests", test_pinned_digests},
		{"compressions share diff_id", test_compressions_share_diff_id},
		{"long path pax header", test_long_path_pax_header},
		{"add and finish errors", test_add_and_finish_errors},
		{"attrs and parents", test_attrs_and_parents},
		{"compressor name", test_compressor_name},
	};
	return repro_test_main("layer_write", cases, REPRO_ARRAY_SIZE(cases));
}

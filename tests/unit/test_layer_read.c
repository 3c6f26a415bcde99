#include "harness.h"
#include "layer_fixtures.h"

#include <stdlib.h>

#include <zstd.h>

#include <reprocheck/layer.h>

static const fixture_entry basic_tree[] = {
	{"etc/", AE_IFDIR, NULL, NULL, NULL, 0, 0, NULL},
	{"etc/hosts", AE_IFREG, "127.0.0.1 localhost\n", NULL, NULL, 0, 0, NULL},
	{"etc/hosts.link", 0, NULL, NULL, "etc/hosts", 0, 0, NULL},
	{"etc/alias", AE_IFLNK, NULL, "hosts", NULL, 0, 0, NULL},
};

static fixture_buffer basic_tar(void)
{
	return fixture_tar(basic_tree, REPRO_ARRAY_SIZE(basic_tree), ARCHIVE_FORMAT_TAR_USTAR);
}

static void test_gzip_digests_and_entries(void)
{
	fixture_buffer tar = basic_tar();
	fixture_buffer gz = fixture_gzip(tar.data, tar.size, 6);
	repro_layer_read_options options;
	repro_layer_info info;
	repro_error err;

	repro_layer_read_options_init(&options);
	options.hash_contents = 1;
	ASSERT_OK(fixture_read(gz.data, gz.size, &options, &info, &err), &err);
	ASSERT_STR_EQ(fixture_digest_text(&info.blob_digest), fixture_sha256(gz.data, gz.size));
	ASSERT_STR_EQ(fixture_digest_text(&info.diff_id), fixture_sha256(tar.data, tar.size));
	ASSERT_INT_EQ(info.blob_size, gz.size);
	ASSERT_INT_EQ(info.uncompressed_size, tar.size);
	ASSERT_INT_EQ(info.compression, REPRO_COMPRESSION_GZIP);
	ASSERT_INT_EQ(info.compression_mismatch, 0);
	ASSERT_INT_EQ(info.gzip.present, 1);
	ASSERT_INT_EQ(info.gzip.mtime, 0);
	ASSERT_INT_EQ(info.gzip.os, 3);
	ASSERT_INT_EQ(info.gzip.has_name, 0);
	ASSERT_INT_EQ(info.gzip.members, 1);
	ASSERT_INT_EQ(info.finding_count, 0);

	ASSERT_INT_EQ(info.entry_count, 4);
	if (info.entry_count == 4) {
		ASSERT_STR_EQ(info.entries[0].path, "etc/");
		ASSERT_STR_EQ(info.entries[0].clean_path, "etc");
		ASSERT_INT_EQ(info.entries[0].type, REPRO_ENTRY_DIRECTORY);
		ASSERT_INT_EQ(info.entries[0].mode, 0755);
		ASSERT_INT_EQ(info.entries[1].type, REPRO_ENTRY_REGULAR);
		ASSERT_INT_EQ(info.entries[1].size, 20);
		ASSERT_INT_EQ(info.entries[1].uid, 1000);
		ASSERT_INT_EQ(info.entries[1].gid, 100);
		ASSERT_STR_EQ(info.entries[1].uname, "user");
		ASSERT_STR_EQ(info.entries[1].gname, "users");
		ASSERT_INT_EQ(info.entries[1].mtime.seconds, 1700000000);
		ASSERT_INT_EQ(info.entries[1].format, REPRO_TAR_USTAR);
		ASSERT_INT_EQ(info.entries[1].has_content_digest, 1);
		ASSERT_STR_EQ(fixture_digest_text(&info.entries[1].content_digest),
		              fixture_sha256("127.0.0.1 localhost\n", 20));
		ASSERT_INT_EQ(info.entries[2].type, REPRO_ENTRY_HARDLINK);
		ASSERT_STR_EQ(info.entries[2].hardlink_target, "etc/hosts");
		ASSERT_INT_EQ(info.entries[3].type, REPRO_ENTRY_SYMLINK);
		ASSERT_STR_EQ(info.entries[3].symlink_target, "hosts");
		ASSERT_INT_EQ(info.entries[3].index, 3);
	}
	repro_layer_info_dispose(&info);
	free(tar.data);
	free(gz.data);
}

/* The diff's first pass: fingerprints instead of sha256, and no digests. */
static void test_fingerprints_without_digests(void)
{
	/* XXH3-128 of "127.0.0.1 localhost\n", as `xxhsum -H2` prints it. */
	static const unsigned char expected[16] = {
		0xe7, 0x49, 0x03, 0xc4, 0xde, 0x51, 0x35, 0x7f,
		0x0a, 0x85, 0x7d, 0x13, 0x45, 0xa0, 0xe2, 0x14,
	};
	fixture_buffer tar = basic_tar();
	fixture_buffer gz = fixture_gzip(tar.data, tar.size, 6);
	repro_layer_read_options options;
	repro_layer_info info;
	repro_error err;

	repro_layer_read_options_init(&options);
	options.fingerprint_contents = 1;
	options.skip_digests = 1;
	ASSERT_OK(fixture_read(gz.data, gz.size, &options, &info, &err), &err);
	ASSERT_INT_EQ(info.has_digests, 0);
	ASSERT_INT_EQ(info.uncompressed_size, tar.size);
	ASSERT_INT_EQ(info.entry_count, 4);
	if (info.entry_count == 4) {
		ASSERT_INT_EQ(info.entries[1].has_fingerprint, 1);
		ASSERT_INT_EQ(info.entries[1].has_content_digest, 0);
		ASSERT_INT_EQ(memcmp(info.entries[1].fingerprint, expected, 16), 0);
		ASSERT_INT_EQ(info.entries[0].has_fingerprint, 0);
	}
	repro_layer_info_dispose(&info);

	/* By default both digests are computed and no fingerprint is taken. */
	repro_layer_read_options_init(&options);
	ASSERT_OK(fixture_read(gz.data, gz.size, &options, &info, &err), &err);
	ASSERT_INT_EQ(info.has_digests, 1);
	ASSERT_STR_EQ(fixture_digest_text(&info.diff_id), fixture_sha256(tar.data, tar.size));
	if (info.entry_count == 4)
		ASSERT_INT_EQ(info.entries[1].has_fingerprint, 0);
	repro_layer_info_dispose(&info);
	free(tar.data);
	free(gz.data);
}

static void test_plain_and_zstd(void)
{
	fixture_buffer tar = basic_tar();
	size_t bound = ZSTD_compressBound(tar.size);
	unsigned char *zst = malloc(bound);
	size_t zst_size = ZSTD_compress(zst, bound, tar.data, tar.size, 3);
	char diff_id[REPRO_DIGEST_STRING_MAX];
	repro_layer_info info;
	repro_error err;

	strcpy(diff_id, fixture_sha256(tar.data, tar.size));
	ASSERT_OK(fixture_read(tar.data, tar.size, NULL, &info, &err), &err);
	ASSERT_INT_EQ(info.compression, REPRO_COMPRESSION_NONE);
	ASSERT_INT_EQ(info.compression_mismatch, 1);
	ASSERT_STR_EQ(fixture_digest_text(&info.blob_digest), diff_id);
	ASSERT_STR_EQ(fixture_digest_text(&info.diff_id), diff_id);
	ASSERT_INT_EQ(info.entry_count, 4);
	repro_layer_info_dispose(&info);

	ASSERT_OK(fixture_read(zst, zst_size, NULL, &info, &err), &err);
	ASSERT_INT_EQ(info.compression, REPRO_COMPRESSION_ZSTD);
	ASSERT_INT_EQ(info.gzip.present, 0);
	ASSERT_STR_EQ(fixture_digest_text(&info.blob_digest), fixture_sha256(zst, zst_size));
	ASSERT_STR_EQ(fixture_digest_text(&info.diff_id), diff_id);
	ASSERT_INT_EQ(info.entry_count, 4);
	repro_layer_info_dispose(&info);
	free(zst);
	free(tar.data);
}

static void test_sha512(void)
{
	fixture_buffer tar = basic_tar();
	repro_layer_read_options options;
	repro_layer_info info;
	repro_digest expected;
	repro_error err;

	repro_layer_read_options_init(&options);
	options.algorithm = REPRO_DIGEST_SHA512;
	options.compression = REPRO_COMPRESSION_NONE;
	ASSERT_OK(fixture_read(tar.data, tar.size, &options, &info, &err), &err);
	ASSERT_OK(repro_digest_buffer(&expected, REPRO_DIGEST_SHA512, tar.data, tar.size, &err), &err);
	CU_ASSERT(repro_digest_equal(&info.diff_id, &expected));
	ASSERT_INT_EQ(info.compression_mismatch, 0);
	repro_layer_info_dispose(&info);
	free(tar.data);
}

static void test_multi_member_gzip(void)
{
	fixture_buffer tar = basic_tar();
	size_t half = tar.size / 2;
	fixture_buffer first = fixture_gzip(tar.data, half, 1);
	fixture_buffer second = fixture_gzip(tar.data + half, tar.size - half, 9);
	repro_layer_info info;
	repro_error err;

	fixture_append(&first, second.data, second.size);
	ASSERT_OK(fixture_read(first.data, first.size, NULL, &info, &err), &err);
	ASSERT_INT_EQ(info.gzip.members, 2);
	ASSERT_INT_EQ(info.gzip.level_guess, 1);
	ASSERT_STR_EQ(fixture_digest_text(&info.diff_id), fixture_sha256(tar.data, tar.size));
	ASSERT_INT_EQ(info.entry_count, 4);
	repro_layer_info_dispose(&info);
	free(first.data);
	free(second.data);
	free(tar.data);
}

/* Each case corrupts a valid gzip layer and expects a code and message. */
static void test_corrupt_streams(void)
{
	static const struct {
		const char *name;
		size_t cut;             /* bytes removed from the end */
		const char *append;     /* bytes added after the stream */
		int code;
		const char *message;
	} cases[] = {
		{"truncated trailer", 4, NULL, REPRO_EFORMAT, "truncated gzip stream"},
		{"truncated data", 40, NULL, REPRO_EFORMAT, "truncated gzip stream"},
		{"trailing garbage", 0, "garbage!", REPRO_EFORMAT,
		 "trailing data after gzip member 1"},
		{"trailing zeros", 0, "\0\0\0\0\0\0\0\0\0\0\0\0", REPRO_EFORMAT,
		 "trailing data after gzip member 1"},
	};
	fixture_buffer tar = basic_tar();

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		fixture_buffer gz = fixture_gzip(tar.data, tar.size, 6);
		repro_layer_info info;
		repro_error err;

		gz.size -= cases[i].cut;
		if (cases[i].append != NULL)
			fixture_append(&gz, cases[i].append, cases[i].append[0] ? strlen(cases[i].append) : 12);
		ASSERT_CODE(fixture_read(gz.data, gz.size, NULL, &info, &err), cases[i].code, &err);
		ASSERT_STR_CONTAINS(err.message, cases[i].message);
		ASSERT_INT_EQ(info.entry_count, 0);
		free(gz.data);
	}
	free(tar.data);
}

static void test_not_a_tar(void)
{
	static const char text[] = "this is not a tar archive, only some text that is long enough";
	fixture_buffer gz = fixture_gzip(text, sizeof(text), 6);
	repro_layer_read_options options;
	repro_layer_info info;
	repro_error err;

	ASSERT_CODE(fixture_read(gz.data, gz.size, NULL, &info, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_CONTAINS(err.message, "invalid tar after entry 0");

	repro_layer_read_options_init(&options);
	options.detect_compression = 0;
	ASSERT_CODE(fixture_read(text, sizeof(text), &options, &info, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_CONTAINS(err.message, "invalid gzip data");
	free(gz.data);
}

static void test_decompression_bomb(void)
{
	size_t size = (size_t)48 << 20;
	unsigned char *zeros = calloc(1, size);
	fixture_buffer gz = fixture_gzip(zeros, size, 9);
	repro_layer_read_options options;
	repro_layer_info info;
	repro_error err;

	free(zeros);
	CU_ASSERT(gz.size < 100000);
	repro_layer_read_options_init(&options);
	options.max_uncompressed_bytes = 3 << 20;
	ASSERT_CODE(fixture_read(gz.data, gz.size, &options, &info, &err), REPRO_ELIMIT, &err);
	ASSERT_STR_EQ(err.message,
	              "uncompressed size exceeds the limit of 3145728 bytes (max_uncompressed_bytes)");
	free(gz.data);
}

static void test_entry_and_path_limits(void)
{
	fixture_buffer tar = basic_tar();
	repro_layer_read_options options;
	repro_layer_info info;
	repro_error err;

	repro_layer_read_options_init(&options);
	options.max_entries = 3;
	ASSERT_CODE(fixture_read(tar.data, tar.size, &options, &info, &err), REPRO_ELIMIT, &err);
	ASSERT_STR_EQ(err.message, "layer has more than 3 entries (max_entries)");

	repro_layer_read_options_init(&options);
	options.max_path_bytes = 8;
	ASSERT_CODE(fixture_read(tar.data, tar.size, &options, &info, &err), REPRO_ELIMIT, &err);
	ASSERT_STR_EQ(err.message, "entry 1: path of 9 bytes exceeds the limit of 8 (max_path_bytes)");
	free(tar.data);
}

static void test_findings(void)
{
	static const fixture_entry entries[] = {
		{"a", AE_IFREG, "1", NULL, NULL, 0, 0, NULL},
		{"./a", AE_IFREG, "2", NULL, NULL, 0, 0, NULL},
		{"../escape", AE_IFREG, "3", NULL, NULL, 0, 0, NULL},
		{"/abs/file", AE_IFREG, "4", NULL, NULL, 0, 0, NULL},
		{"dir/.wh.gone", AE_IFREG, "", NULL, NULL, 0, 0, NULL},
		{"dir/.wh..wh..opq", AE_IFREG, "", NULL, NULL, 0, 0, NULL},
		{"link1", 0, NULL, NULL, "missing", 0, 0, NULL},
		{"link2", 0, NULL, NULL, "../../etc/shadow", 0, 0, NULL},
	};
	static const struct {
		repro_layer_finding_kind kind;
		size_t index, other_index;
		const char *path;
	} expected[] = {
		{REPRO_FINDING_DUPLICATE_PATH, 1, 0, "./a"},
		{REPRO_FINDING_UNSAFE_PATH, 2, 2, "../escape"},
		{REPRO_FINDING_UNSAFE_PATH, 3, 3, "/abs/file"},
		{REPRO_FINDING_MISSING_HARDLINK, 6, 6, "missing"},
		{REPRO_FINDING_UNSAFE_HARDLINK, 7, 7, "../../etc/shadow"},
	};
	fixture_buffer tar = fixture_tar(entries, REPRO_ARRAY_SIZE(entries),
	                                 ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	repro_layer_info info;
	repro_error err;

	ASSERT_OK(fixture_read(tar.data, tar.size, NULL, &info, &err), &err);
	ASSERT_INT_EQ(info.entry_count, 8);
	ASSERT_INT_EQ(info.finding_count, REPRO_ARRAY_SIZE(expected));
	for (size_t i = 0; i < info.finding_count && i < REPRO_ARRAY_SIZE(expected); i++) {
		ASSERT_INT_EQ(info.findings[i].kind, expected[i].kind);
		ASSERT_INT_EQ(info.findings[i].index, expected[i].index);
		ASSERT_INT_EQ(info.findings[i].other_index, expected[i].other_index);
		ASSERT_STR_EQ(info.findings[i].path, expected[i].path);
	}
	if (info.entry_count == 8) {
		ASSERT_INT_EQ(info.entries[1].flags, REPRO_ENTRY_FLAG_DUPLICATE);
		ASSERT_INT_EQ(info.entries[2].flags, REPRO_ENTRY_FLAG_UNSAFE_PATH);
		ASSERT_INT_EQ(info.entries[4].flags, REPRO_ENTRY_FLAG_WHITEOUT);
		ASSERT_INT_EQ(info.entries[5].flags, REPRO_ENTRY_FLAG_OPAQUE);
		ASSERT_STR_EQ(info.entries[3].clean_path, "abs/file");
	}
	ASSERT_STR_EQ(repro_layer_finding_kind_name(REPRO_FINDING_MISSING_HARDLINK),
	              "missing-hardlink-target");
	repro_layer_info_dispose(&info);
	free(tar.data);
}

static void test_pax_times_and_xattrs(void)
{
	static const fixture_entry entries[] = {
		{"plain", AE_IFREG, "x", NULL, NULL, 0, 0, NULL},
		{"precise", AE_IFREG, "x", NULL, NULL, 123456789, 1, "user.note"},
	};
	fixture_buffer tar = fixture_tar(entries, 2, ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE);
	repro_layer_read_options options;
	repro_layer_info info;
	repro_error err;

	repro_layer_read_options_init(&options);
	options.want_entries = 1;
	ASSERT_OK(fixture_read(tar.data, tar.size, &options, &info, &err), &err);
	ASSERT_INT_EQ(info.entry_count, 2);
	if (info.entry_count == 2) {
		const repro_layer_entry *plain = &info.entries[0], *precise = &info.entries[1];

		ASSERT_INT_EQ(plain->format, REPRO_TAR_USTAR);
		ASSERT_INT_EQ(plain->atime.present, 0);
		ASSERT_INT_EQ(plain->xattr_count, 0);
		ASSERT_INT_EQ(precise->format, REPRO_TAR_PAX);
		ASSERT_INT_EQ(precise->mtime.nanoseconds, 123456789);
		ASSERT_INT_EQ(precise->atime.present, 1);
		ASSERT_INT_EQ(precise->atime.seconds, 1700000001);
		ASSERT_INT_EQ(precise->ctime.present, 0);
		/* libarchive writes both a LIBARCHIVE.xattr and a SCHILY.xattr record. */
		ASSERT_INT_EQ(precise->xattr_count, 2);
		for (size_t i = 0; i < precise->xattr_count; i++) {
			ASSERT_STR_EQ(precise->xattrs[i].name, "user.note");
			ASSERT_INT_EQ(precise->xattrs[i].size, 1);
			ASSERT_INT_EQ(precise->xattrs[i].value[0], 'v');
		}
	}
	repro_layer_info_dispose(&info);

	options.want_entries = 0;
	ASSERT_OK(fixture_read(tar.data, tar.size, &options, &info, &err), &err);
	ASSERT_INT_EQ(info.entry_count, 2);
	CU_ASSERT_PTR_NULL(info.entries);
	repro_layer_info_dispose(&info);
	free(tar.data);
}

static void test_empty_blobs(void)
{
	static const unsigned char zeros[1024];
	repro_layer_read_options options;
	repro_layer_info info;
	repro_error err;

	ASSERT_OK(fixture_read(zeros, sizeof(zeros), NULL, &info, &err), &err);
	ASSERT_INT_EQ(info.entry_count, 0);
	ASSERT_INT_EQ(info.uncompressed_size, 1024);
	repro_layer_info_dispose(&info);

	repro_layer_read_options_init(&options);
	options.detect_compression = 0;
	ASSERT_CODE(fixture_read(zeros, 0, &options, &info, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_EQ(err.message, "empty gzip stream");
}

/* A layer larger than the chunk pool exercises the hand-over between threads. */
static void test_large_layer(void)
{
	size_t size = (size_t)20 << 20;
	fixture_entry entries[3] = {
		{"big", AE_IFREG, NULL, NULL, NULL, 0, 0, NULL},
		{"small", AE_IFREG, "tail", NULL, NULL, 0, 0, NULL},
		{"big2", AE_IFREG, NULL, NULL, NULL, 0, 0, NULL},
	};
	char *content = malloc(size + 1);
	fixture_buffer tar, gz;
	repro_layer_read_options options;
	repro_layer_info info;
	repro_error err;

	for (size_t i = 0; i < size; i++)
		content[i] = (char)('a' + (i * 7919 % 26));
	content[size] = '\0';
	entries[0].content = content;
	entries[2].content = content + size / 2;
	tar = fixture_tar(entries, 3, ARCHIVE_FORMAT_TAR_USTAR);
	gz = fixture_gzip(tar.data, tar.size, 1);

	repro_layer_read_options_init(&options);
	options.hash_contents = 1;
	ASSERT_OK(fixture_read(gz.data, gz.size, &options, &info, &err), &err);
	ASSERT_STR_EQ(fixture_digest_text(&info.diff_id), fixture_sha256(tar.data, tar.size));
	ASSERT_STR_EQ(fixture_digest_text(&info.blob_digest), fixture_sha256(gz.data, gz.size));
	ASSERT_INT_EQ(info.entry_count, 3);
	if (info.entry_count == 3)
		ASSERT_STR_EQ(fixture_digest_text(&info.entries[0].content_digest),
		              fixture_sha256(content, size));
	repro_layer_info_dispose(&info);

	/* Fail in the tar thread while the decoding thread still has work. */
	options.max_entries = 1;
	ASSERT_CODE(fixture_read(gz.data, gz.size, &options, &info, &err), REPRO_ELIMIT, &err);
	free(content);
	free(tar.data);
	free(gz.data);
}

/* Gzip members that end just after the reader's 1 MiB chunk boundary. */
static void test_member_end_at_chunk_boundary(void)
{
	size_t size = (size_t)3 << 20;
	char *content = malloc(size + 1);
	fixture_entry entry = {"file", AE_IFREG, NULL, NULL, NULL, 0, 0, NULL};
	fixture_buffer tar;
	char diff_id[REPRO_DIGEST_STRING_MAX];

	for (size_t i = 0; i < size; i++)
		content[i] = (char)('a' + i % 23);
	content[size] = '\0';
	entry.content = content;
	tar = fixture_tar(&entry, 1, ARCHIVE_FORMAT_TAR_USTAR);
	strcpy(diff_id, fixture_sha256(tar.data, tar.size));

	for (size_t over = 0; over < 12; over++) {
		size_t split = ((size_t)1 << 20) - 200;
		fixture_buffer first = fixture_gzip(tar.data, split, 0), second;
		repro_layer_info info;
		repro_error err;

		/* Stored deflate blocks: each input byte adds one output byte. */
		split += ((size_t)1 << 20) + over - first.size;
		free(first.data);
		first = fixture_gzip(tar.data, split, 0);
		second = fixture_gzip(tar.data + split, tar.size - split, 6);
		ASSERT_INT_EQ(first.size, ((size_t)1 << 20) + over);
		fixture_append(&first, second.data, second.size);
		ASSERT_OK(fixture_read(first.data, first.size, NULL, &info, &err), &err);
		ASSERT_STR_EQ(fixture_digest_text(&info.diff_id), diff_id);
		ASSERT_INT_EQ(info.gzip.members, 2);
		repro_layer_info_dispose(&info);
		free(first.data);
		free(second.data);
	}
	free(content);
	free(tar.data);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"gzip digests and entries", test_gzip_digests_and_entries},
		{"fingerprints without digests", test_fingerprints_without_digests},
		{"plain and zstd layers", test_plain_and_zstd},
		{"sha512 digests", test_sha512},
		{"multi-member gzip", test_multi_member_gzip},
		{"corrupt streams", test_corrupt_streams},
		{"not a tar", test_not_a_tar},
		{"decompression bomb", test_decompression_bomb},
		{"entry and path limits", test_entry_and_path_limits},
		{"path findings", test_findings},
		{"pax times and xattrs", test_pax_times_and_xattrs},
		{"empty blobs", test_empty_blobs},
		{"large layer", test_large_layer},
		{"member end at chunk boundary", test_member_end_at_chunk_boundary},
	};
	return repro_test_main("layer_read", cases, REPRO_ARRAY_SIZE(cases));
}

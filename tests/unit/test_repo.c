#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <reprocheck/repo.h>

#include "fileutil_internal.h"
#include "repo_internal.h"

/* Object ids that fixtures/scripts/make-test-repo.sh gives with its fixed
 * names and dates. */
#define RELEASE_COMMIT "a489907b0c954702a85d7d6b97983fbc827c9573"
#define RELEASE_TREE "583f69b62cfe423f3a600f4cbf465432e04a7987"
#define RELEASE_TAG "f138cf3295b3558dce2dfbc48f812e8a735ee8d8"
#define RELEASE_TIME 1709294400 /* 2024-03-01T12:00:00Z */
#define FEATURE_COMMIT "a2edd1d5d9794ba14ed25ba9fc7ec38f186810fc"
#define FEATURE_TREE "dc7fb2e3c3bd031212f696d2f7c9ba8c3bb8de37"
#define FEATURE_TIME 1709380800 /* 2024-03-02T12:00:00Z */
#define MAIN_COMMIT "8a086ce21990670c9d90a056fe84cf7f4b7c10af"
#define MAIN_TREE "3b65550dac8b4e9e8314d2b795bcf31a05570e07"
#define MAIN_TIME 1709467200 /* 2024-03-03T12:00:00Z */
#define README_BLOB "ce013625030ba8dba906f756967f9e9ca394464a"

#define DIGESTS_JSON "{\"schemaVersion\": 1, \"releases\": []}\n"

static char *fixture_dir;
static char super_path[PATH_MAX];
static char super_url[PATH_MAX + 8];
static char sub_path[PATH_MAX];
static char absolute_path_repo[PATH_MAX];
static char hostile_path[PATH_MAX];

/* The three ways to reach the fixture project: in place, cloned from its
 * path, and cloned from a file:// URL. */
typedef enum location {
	LOCATION_IN_PLACE,
	LOCATION_CLONED_PATH,
	LOCATION_FILE_URL
} location;

static const char *const location_names[] = {"in place", "cloned path", "file URL"};

/* Repositories opened once and shared by the tests that do not change
 * them, because each clone costs a few hundred milliseconds under ASan. */
static repro_repo *shared_repos[3];

static repro_repo *open_super(location where)
{
	repro_repo *repo = NULL;
	repro_error err;

	repro_error_clear(&err);
	switch (where) {
	case LOCATION_IN_PLACE:
		ASSERT_OK(repro_repo_open(&repo, super_path, &err), &err);
		break;
	case LOCATION_CLONED_PATH:
		ASSERT_OK(repro_repo_clone(&repo, super_path, &err), &err);
		break;
	case LOCATION_FILE_URL:
		ASSERT_OK(repro_repo_open(&repo, super_url, &err), &err);
		break;
	}
	if (repo == NULL) {
		fprintf(stderr, "opening the fixture %s failed\n", location_names[where]);
		abort();
	}
	return repo;
}

static repro_repo *shared_super(location where)
{
	if (shared_repos[where] == NULL)
		shared_repos[where] = open_super(where);
	return shared_repos[where];
}

static void test_resolve_tags(void)
{
	static const struct {
		const char *tag;
		int annotated;
		const char *tag_id;
	} cases[] = {
		{"v1.0.0", 1, RELEASE_TAG},
		{"v1.0.0-light", 0, ""},
		{"old-3", 0, ""},
	};

	for (int where = 0; where < 3; where++) {
		repro_repo *repo = shared_super((location)where);

		ASSERT_INT_EQ(repro_repo_is_clone(repo), where != LOCATION_IN_PLACE);
		for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
			repro_repo_revision revision;
			repro_error err;

			repro_error_clear(&err);
			ASSERT_OK(repro_repo_resolve_tag(repo, cases[i].tag, &revision, &err), &err);
			ASSERT_STR_EQ(revision.tag, cases[i].tag);
			ASSERT_INT_EQ(revision.is_tag, 1);
			ASSERT_INT_EQ(revision.annotated, cases[i].annotated);
			ASSERT_STR_EQ(revision.tag_id, cases[i].tag_id);
			ASSERT_STR_EQ(revision.commit_id, RELEASE_COMMIT);
			ASSERT_STR_EQ(revision.tree_id, RELEASE_TREE);
			ASSERT_INT_EQ(revision.commit_time, RELEASE_TIME);
		}
	}
}

static void test_open_bare_repository(void)
{
	repro_repo *clone = shared_super(LOCATION_FILE_URL);
	repro_repo *repo = NULL;
	repro_repo_revision revision;
	repro_error err;

	repro_error_clear(&err);
	ASSERT_OK(repro_repo_open(&repo, repro_repo_git_dir(clone), &err), &err);
	if (repo == NULL)
		return;
	ASSERT_INT_EQ(repro_repo_is_clone(repo), 0);
	ASSERT_OK(repro_repo_resolve_tag(repo, "v1.0.0", &revision, &err), &err);
	ASSERT_STR_EQ(revision.tag_id, RELEASE_TAG);
	ASSERT_STR_EQ(revision.commit_id, RELEASE_COMMIT);
	repro_repo_free(repo);
}

static void test_resolve_revisions(void)
{
	static const struct {
		const char *revspec;
		int is_tag;
		const char *commit_id;
		const char *tree_id;
		long long time;
	} cases[] = {
		{"feature", 0, FEATURE_COMMIT, FEATURE_TREE, FEATURE_TIME},
		{"main", 0, MAIN_COMMIT, MAIN_TREE, MAIN_TIME},
		{"HEAD", 0, MAIN_COMMIT, MAIN_TREE, MAIN_TIME},
		{"main~1", 0, RELEASE_COMMIT, RELEASE_TREE, RELEASE_TIME},
		{RELEASE_COMMIT, 0, RELEASE_COMMIT, RELEASE_TREE, RELEASE_TIME},
		{"a2edd1d", 0, FEATURE_COMMIT, FEATURE_TREE, FEATURE_TIME},
		{"v1.0.0^{commit}", 0, RELEASE_COMMIT, RELEASE_TREE, RELEASE_TIME},
		{"v1.0.0", 1, RELEASE_COMMIT, RELEASE_TREE, RELEASE_TIME},
	};

	for (int where = 0; where < 3; where += 2) {
		repro_repo *repo = shared_super((location)where);

		for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
			repro_repo_revision revision;
			repro_error err;

			repro_error_clear(&err);
			ASSERT_OK(repro_repo_resolve_revision(repo, cases[i].revspec, &revision, &err), &err);
			ASSERT_INT_EQ(revision.is_tag, cases[i].is_tag);
			ASSERT_STR_EQ(revision.tag, cases[i].is_tag ? cases[i].revspec : "");
			ASSERT_INT_EQ(revision.annotated, cases[i].is_tag);
			ASSERT_STR_EQ(revision.commit_id, cases[i].commit_id);
			ASSERT_STR_EQ(revision.tree_id, cases[i].tree_id);
			ASSERT_INT_EQ(revision.commit_time, cases[i].time);
		}
	}
}

static void test_resolve_tag_errors(void)
{
	static const struct {
		const char *tag;
		int code;
		const char *message;
	} cases[] = {
		{"v9.9.9", REPRO_ENOTFOUND,
		 "tag 'v9.9.9' not found, existing tags: old-1, old-2, old-3, old-4, old-5, old-6, "
		 "old-7, old-8, t-blob, t-tree and 2 more"},
		{"feature", REPRO_EUSAGE,
		 "'feature' is a branch, not a tag: to build it, pass it as a revision (--rev 'feature')"},
		{"main", REPRO_EUSAGE,
		 "'main' is a branch, not a tag: to build it, pass it as a revision (--rev 'main')"},
		{RELEASE_COMMIT, REPRO_EUSAGE,
		 "'" RELEASE_COMMIT "' is a commit, not a tag: to build it, pass it as a revision "
		 "(--rev '" RELEASE_COMMIT "')"},
		{"t-tree", REPRO_EUNSUPPORTED,
		 "tag 't-tree' points to a tree, not a commit: only a tagged commit can be built"},
		{"t-blob", REPRO_EUNSUPPORTED,
		 "tag 't-blob' points to a blob, not a commit: only a tagged commit can be built"},
		{"bad..name", REPRO_EUSAGE, "'bad..name' is not a valid tag name"},
		{"", REPRO_EUSAGE, "no tag name given"},
	};

	for (int where = 0; where < 3; where += 2) {
		repro_repo *repo = shared_super((location)where);

		for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
			repro_repo_revision revision;
			repro_error err;

			repro_error_clear(&err);
			ASSERT_CODE(repro_repo_resolve_tag(repo, cases[i].tag, &revision, &err),
			            cases[i].code, &err);
			ASSERT_STR_EQ(err.message, cases[i].message);
			ASSERT_STR_EQ(revision.commit_id, "");
			ASSERT_INT_EQ(revision.is_tag, 0);
		}
	}
}

static void test_resolve_tag_without_tags(void)
{
	repro_repo *repo = NULL;
	repro_repo_revision revision;
	repro_error err;
	char message[PATH_MAX + 128];

	repro_error_clear(&err);
	ASSERT_OK(repro_repo_open(&repo, sub_path, &err), &err);
	ASSERT_CODE(repro_repo_resolve_tag(repo, "v1", &revision, &err), REPRO_ENOTFOUND, &err);
	snprintf(message, sizeof(message), "tag 'v1' not found: repository '%s' has no tags",
	         sub_path);
	ASSERT_STR_EQ(err.message, message);
	repro_repo_free(repo);
}

static void test_resolve_revision_errors(void)
{
	static const struct {
		const char *revspec;
		int code;
		const char *message;
	} cases[] = {
		{"nope", REPRO_ENOTFOUND, "revision 'nope' not found"},
		{"main^{tree}", REPRO_EUNSUPPORTED,
		 "revision 'main^{tree}' is a tree, not a commit: only a commit can be built"},
		{"t-tree", REPRO_EUNSUPPORTED,
		 "tag 't-tree' points to a tree, not a commit: only a tagged commit can be built"},
		{"main..feature", REPRO_EUSAGE,
		 "invalid revision 'main..feature': failed to parse revision specifier - "
		 "Invalid pattern 'main..feature'"},
		{"", REPRO_EUSAGE, "no revision given"},
	};
	repro_repo *repo = shared_super(LOCATION_IN_PLACE);

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_repo_revision revision;
		repro_error err;

		repro_error_clear(&err);
		ASSERT_CODE(repro_repo_resolve_revision(repo, cases[i].revspec, &revision, &err),
		            cases[i].code, &err);
		ASSERT_STR_EQ(err.message, cases[i].message);
		ASSERT_STR_EQ(revision.commit_id, "");
	}
}

static void test_open_errors(void)
{
	char missing[PATH_MAX + 16], missing_url[PATH_MAX + 32];
	char *plain_dir = repro_test_make_dir();
	char expected[3 * PATH_MAX];
	repro_repo *repo = NULL;
	repro_error err;

	snprintf(missing, sizeof(missing), "%s/missing", plain_dir);
	snprintf(missing_url, sizeof(missing_url), "file://%s/missing", plain_dir);

	repro_error_clear(&err);
	ASSERT_CODE(repro_repo_open(&repo, missing, &err), REPRO_ENOTFOUND, &err);
	snprintf(expected, sizeof(expected), "repository '%s' not found: No such file or directory",
	         missing);
	ASSERT_STR_EQ(err.message, expected);
	CU_ASSERT_PTR_NULL(repo);

	ASSERT_CODE(repro_repo_clone(&repo, missing, &err), REPRO_ENOTFOUND, &err);
	ASSERT_STR_EQ(err.message, expected);

	ASSERT_CODE(repro_repo_open(&repo, plain_dir, &err), REPRO_ENOTFOUND, &err);
	snprintf(expected, sizeof(expected), "'%s' is not a git repository", plain_dir);
	ASSERT_STR_EQ(err.message, expected);

	ASSERT_CODE(repro_repo_open(&repo, missing_url, &err), REPRO_ENETWORK, &err);
	snprintf(expected, sizeof(expected), "cloning '%s' failed: failed to resolve path '%s': "
	         "No such file or directory", missing_url, missing);
	ASSERT_STR_EQ(err.message, expected);
	CU_ASSERT_PTR_NULL(repo);

	/* Port 1 on the loopback address refuses the connection. */
	ASSERT_CODE(repro_repo_open(&repo, "https://127.0.0.1:1/acme/hello.git", &err),
	            REPRO_ENETWORK, &err);
	ASSERT_STR_EQ(err.message, "cloning 'https://127.0.0.1:1/acme/hello.git' failed: "
	              "failed to connect to 127.0.0.1: Connection refused");

	ASSERT_CODE(repro_repo_open(&repo, "https://user:secret@127.0.0.1:1/a.git", &err),
	            REPRO_ENETWORK, &err);
	ASSERT_STR_CONTAINS(err.message, "cloning 'https://user:***@127.0.0.1:1/a.git' failed: ");
	CU_ASSERT_PTR_NULL(strstr(err.message, "secret"));

	ASSERT_CODE(repro_repo_open(&repo, "", &err), REPRO_EUSAGE, &err);
	ASSERT_STR_EQ(err.message, "no repository path or URL given");
	repro_test_cleanup_dir(plain_dir);
}

/* Returns the number of entries under @p directory named ".git". */
static int dot_git_entries;

static int count_dot_git(const char *path, const struct stat *info, int type, struct FTW *walk)
{
	(void)info;
	(void)type;
	if (strcmp(path + walk->base, ".git") == 0)
		dot_git_entries++;
	return 0;
}

static int entry_count;

static int count_entry(const char *path, const struct stat *info, int type, struct FTW *walk)
{
	(void)path;
	(void)info;
	(void)type;
	(void)walk;
	entry_count++;
	return 0;
}

static void check_file(const char *root, const char *relative, const char *content,
                       mode_t mode, long long mtime)
{
	char path[PATH_MAX * 2];
	char buffer[256];
	struct stat info;
	FILE *file;
	size_t got;

	snprintf(path, sizeof(path), "%s/%s", root, relative);
	REPRO_CHECK(lstat(path, &info) == 0, "%s: %s", path, strerror(errno));
	REPRO_CHECK(S_ISREG(info.st_mode), "%s is not a regular file", relative);
	ASSERT_INT_EQ(info.st_mode & 07777, mode);
	ASSERT_INT_EQ(info.st_mtim.tv_sec, mtime);
	ASSERT_INT_EQ(info.st_mtim.tv_nsec, 0);
	file = fopen(path, "rb");
	if (file == NULL)
		return;
	got = fread(buffer, 1, sizeof(buffer) - 1, file);
	fclose(file);
	buffer[got] = '\0';
	ASSERT_STR_EQ(buffer, content);
}

static void check_link(const char *root, const char *relative, const char *target,
                       long long mtime)
{
	char path[PATH_MAX * 2];
	char buffer[PATH_MAX];
	struct stat info;
	ssize_t length;

	snprintf(path, sizeof(path), "%s/%s", root, relative);
	REPRO_CHECK(lstat(path, &info) == 0, "%s: %s", path, strerror(errno));
	REPRO_CHECK(S_ISLNK(info.st_mode), "%s is not a symbolic link", relative);
	ASSERT_INT_EQ(info.st_mtim.tv_sec, mtime);
	length = readlink(path, buffer, sizeof(buffer) - 1);
	REPRO_CHECK(length > 0, "readlink %s: %s", path, strerror(errno));
	buffer[length > 0 ? length : 0] = '\0';
	ASSERT_STR_EQ(buffer, target);
}

static void check_directory(const char *root, const char *relative, long long mtime)
{
	char path[PATH_MAX * 2];
	struct stat info;

	snprintf(path, sizeof(path), "%s/%s", root, relative);
	REPRO_CHECK(lstat(path, &info) == 0, "%s: %s", path, strerror(errno));
	REPRO_CHECK(S_ISDIR(info.st_mode), "%s is not a directory", relative);
	ASSERT_INT_EQ(info.st_mode & 07777, 0755);
	ASSERT_INT_EQ(info.st_mtim.tv_sec, mtime);
}

/* Checks the build tree of tag v1.0.0 entry by entry. */
static void check_release_tree(const char *root)
{
	static const char gitmodules[] =
		"[submodule \"vendor/sub\"]\n\tpath = vendor/sub\n\turl = ../sub\n";

	check_file(root, ".gitmodules", gitmodules, 0644, RELEASE_TIME);
	check_file(root, "README.md", "hello\n", 0644, RELEASE_TIME);
	check_file(root, "build.sh", "#!/bin/sh\necho built\n", 0755, RELEASE_TIME);
	check_file(root, "src/main.c", "#include \"include/hello.h\"\nint main(void) { return HELLO; }\n",
	           0644, RELEASE_TIME);
	check_file(root, "src/include/hello.h", "#define HELLO 0\n", 0644, RELEASE_TIME);
	check_file(root, "vendor/sub/lib.txt", "library version 1\n", 0644, RELEASE_TIME);
	check_link(root, "link.md", "README.md", RELEASE_TIME);
	check_link(root, "outside-link", "../../outside.txt", RELEASE_TIME);
	check_directory(root, "src", RELEASE_TIME);
	check_directory(root, "src/include", RELEASE_TIME);
	check_directory(root, "vendor", RELEASE_TIME);
	check_directory(root, "vendor/sub", RELEASE_TIME);
	check_directory(root, ".", RELEASE_TIME);

	dot_git_entries = 0;
	entry_count = 0;
	nftw(root, count_dot_git, 16, FTW_PHYS);
	nftw(root, count_entry, 16, FTW_PHYS);
	ASSERT_INT_EQ(dot_git_entries, 0);
	/* The root, 8 files and links, and 4 directories. */
	ASSERT_INT_EQ(entry_count, 13);
}

static void test_checkout_release(void)
{
	for (int where = 0; where < 3; where++) {
		char *dir = repro_test_make_dir();
		char build[PATH_MAX];
		repro_repo *repo = shared_super((location)where);
		repro_repo_revision revision;
		repro_error err;

		repro_error_clear(&err);
		snprintf(build, sizeof(build), "%s/build", dir);
		ASSERT_OK(repro_repo_resolve_tag(repo, "v1.0.0", &revision, &err), &err);
		ASSERT_OK(repro_repo_checkout(repo, &revision, build, &err), &err);
		check_release_tree(build);
		repro_test_cleanup_dir(dir);
	}
}

/* Writes the names in @p path, in readdir order without "." and "..",
 * into @p out as one line separated by spaces. */
static void list_in_readdir_order(const char *path, char *out, size_t size)
{
	DIR *directory = opendir(path);
	struct dirent *entry;
	size_t used = 0;

	out[0] = '\0';
	while (directory != NULL && (entry = readdir(directory)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "", entry->d_name);
		if (used >= size)
			break;
	}
	if (directory != NULL)
		closedir(directory);
}

static void test_checkout_reverse_order(void)
{
	static const char tmpfs_dir[] = "/dev/shm";
	static const char oldest_first[] =
		".gitmodules README.md build.sh link.md outside-link src vendor";
	static const char newest_first[] =
		"vendor src outside-link link.md build.sh README.md .gitmodules";
	repro_repo_checkout_options options = {.reverse_order = 1};
	repro_repo *repo = shared_super(LOCATION_IN_PLACE);
	char forward[PATH_MAX], reverse[PATH_MAX], parent[PATH_MAX];
	char forward_names[1024], reverse_names[1024];
	repro_repo_revision revision;
	repro_error err;
	struct statfs info;

	/* ext4 lists entries by name hash, tmpfs by creation order. */
	if (statfs(tmpfs_dir, &info) != 0 || info.f_type != TMPFS_MAGIC) {
		fprintf(stderr, "skipping: %s is not a tmpfs\n", tmpfs_dir);
		return;
	}
	snprintf(parent, sizeof(parent), "%s/reprocheck-test-repo-XXXXXX", tmpfs_dir);
	CU_ASSERT_FATAL(mkdtemp(parent) != NULL);
	snprintf(forward, sizeof(forward), "%s/forward", parent);
	snprintf(reverse, sizeof(reverse), "%s/reverse", parent);
	repro_error_clear(&err);
	ASSERT_OK(repro_repo_resolve_tag(repo, "v1.0.0", &revision, &err), &err);
	ASSERT_OK(repro_repo_checkout_with_options(repo, &revision, forward, NULL, &err), &err);
	ASSERT_OK(repro_repo_checkout_with_options(repo, &revision, reverse, &options, &err), &err);

	/* The same files, listed in opposite orders. */
	check_release_tree(reverse);
	list_in_readdir_order(forward, forward_names, sizeof(forward_names));
	list_in_readdir_order(reverse, reverse_names, sizeof(reverse_names));
	/* Some kernels list tmpfs newest first, others oldest first. */
	if (strcmp(forward_names, oldest_first) == 0) {
		ASSERT_STR_EQ(reverse_names, newest_first);
	} else {
		ASSERT_STR_EQ(forward_names, newest_first);
		ASSERT_STR_EQ(reverse_names, oldest_first);
	}
	repro_remove_tree(parent, NULL);
}

static void test_checkout_into_empty_directory(void)
{
	char *dir = repro_test_make_dir();
	repro_repo *repo = open_super(LOCATION_IN_PLACE);
	repro_repo_revision revision;
	repro_error err;
	char path[PATH_MAX];

	repro_error_clear(&err);
	ASSERT_OK(repro_repo_resolve_revision(repo, "feature", &revision, &err), &err);
	ASSERT_OK(repro_repo_checkout(repo, &revision, dir, &err), &err);
	check_file(dir, "feature.txt", "feature\n", 0644, FEATURE_TIME);
	check_file(dir, "vendor/sub/lib.txt", "library version 1\n", 0644, FEATURE_TIME);
	snprintf(path, sizeof(path), "%s/reprocheck-digests.json", dir);
	CU_ASSERT(access(path, F_OK) != 0);
	repro_repo_free(repo);
	repro_test_cleanup_dir(dir);
}

static void test_checkout_rejects_directory(void)
{
	char *dir = repro_test_make_dir();
	repro_repo *repo = open_super(LOCATION_IN_PLACE);
	repro_repo_revision revision;
	repro_error err;
	char keep[PATH_MAX], expected[3 * PATH_MAX];

	repro_error_clear(&err);
	ASSERT_OK(repro_repo_resolve_tag(repo, "v1.0.0", &revision, &err), &err);
	snprintf(keep, sizeof(keep), "%s/keep", dir);
	repro_test_write_file(keep, "x", 1);

	ASSERT_CODE(repro_repo_checkout(repo, &revision, dir, &err), REPRO_EUSAGE, &err);
	snprintf(expected, sizeof(expected), "checking out commit " RELEASE_COMMIT " into '%s': "
	         "build tree '%s' is not empty: it contains 'keep'", dir, dir);
	ASSERT_STR_EQ(err.message, expected);
	CU_ASSERT(access(keep, F_OK) == 0);

	ASSERT_CODE(repro_repo_checkout(repo, &revision, keep, &err), REPRO_EUSAGE, &err);
	snprintf(expected, sizeof(expected), "checking out commit " RELEASE_COMMIT " into '%s': "
	         "build tree '%s' is not a directory", keep, keep);
	ASSERT_STR_EQ(err.message, expected);
	CU_ASSERT(access(keep, F_OK) == 0);

	snprintf(revision.commit_id, sizeof(revision.commit_id), "%s",
	         "0123456789012345678901234567890123456789");
	ASSERT_CODE(repro_repo_checkout(repo, &revision, dir, &err), REPRO_ENOTFOUND, &err);
	snprintf(expected, sizeof(expected), "commit 0123456789012345678901234567890123456789 not "
	         "found in '%s'", super_path);
	ASSERT_STR_EQ(err.message, expected);

	snprintf(revision.commit_id, sizeof(revision.commit_id), "%s", "main");
	ASSERT_CODE(repro_repo_checkout(repo, &revision, dir, &err), REPRO_EUSAGE, &err);
	ASSERT_STR_EQ(err.message, "invalid commit id 'main'");
	repro_repo_free(repo);
	repro_test_cleanup_dir(dir);
}

/* Copies the directory tree @p from to @p to, aborting when that fails. */
static void copy_tree(const char *from, const char *to)
{
	char command[3 * PATH_MAX];

	snprintf(command, sizeof(command), "cp -R '%s' '%s'", from, to);
	if (system(command) != 0) {
		fprintf(stderr, "command failed: %s\n", command);
		abort();
	}
}

static void test_checkout_failure_is_undone(void)
{
	char *dir = repro_test_make_dir();
	char moved[PATH_MAX + 8], build[PATH_MAX], expected[4 * PATH_MAX];
	repro_repo *repo = open_super(LOCATION_IN_PLACE);
	repro_repo_revision revision;
	repro_error err;

	repro_error_clear(&err);
	snprintf(build, sizeof(build), "%s/build", dir);
	snprintf(moved, sizeof(moved), "%s.moved", sub_path);
	ASSERT_OK(repro_repo_resolve_tag(repo, "v1.0.0", &revision, &err), &err);

	CU_ASSERT(rename(sub_path, moved) == 0);
	ASSERT_CODE(repro_repo_checkout(repo, &revision, build, &err), REPRO_ENOTFOUND, &err);
	CU_ASSERT(rename(moved, sub_path) == 0);
	snprintf(expected, sizeof(expected), "checking out commit " RELEASE_COMMIT " into '%s': "
	         "fetching submodule 'vendor/sub' from '%s' failed: No such file or directory",
	         build, sub_path);
	ASSERT_STR_EQ(err.message, expected);
	CU_ASSERT(access(build, F_OK) != 0);

	/* The same checkout into an existing directory empties it again. */
	CU_ASSERT(mkdir(build, 0755) == 0);
	CU_ASSERT(rename(sub_path, moved) == 0);
	ASSERT_CODE(repro_repo_checkout(repo, &revision, build, &err), REPRO_ENOTFOUND, &err);
	CU_ASSERT(rename(moved, sub_path) == 0);
	CU_ASSERT(access(build, F_OK) == 0);
	CU_ASSERT(rmdir(build) == 0);
	repro_repo_free(repo);
	repro_test_cleanup_dir(dir);
}

static void test_checkout_missing_object(void)
{
	char *dir = repro_test_make_dir();
	char copy[PATH_MAX], build[PATH_MAX], object[2 * PATH_MAX], expected[4 * PATH_MAX];
	repro_repo *repo = NULL;
	repro_repo_revision revision;
	repro_error err;

	repro_error_clear(&err);
	snprintf(copy, sizeof(copy), "%s/copy", dir);
	snprintf(build, sizeof(build), "%s/build", dir);
	copy_tree(super_path, copy);
	snprintf(object, sizeof(object), "%s/.git/objects/%.2s/%s", copy, README_BLOB,
	         README_BLOB + 2);
	CU_ASSERT(unlink(object) == 0);

	ASSERT_OK(repro_repo_open(&repo, copy, &err), &err);
	ASSERT_OK(repro_repo_resolve_tag(repo, "v1.0.0", &revision, &err), &err);
	ASSERT_CODE(repro_repo_checkout(repo, &revision, build, &err), REPRO_EIO, &err);
	snprintf(expected, sizeof(expected), "checking out commit " RELEASE_COMMIT " into '%s': "
	         "reading 'README.md' failed: object not found - no match for id (" README_BLOB ")",
	         build);
	ASSERT_STR_EQ(err.message, expected);
	CU_ASSERT(access(build, F_OK) != 0);
	repro_repo_free(repo);
	repro_test_cleanup_dir(dir);
}

static void test_local_submodule_from_remote(void)
{
	char *dir = repro_test_make_dir();
	char build[PATH_MAX], expected[4 * PATH_MAX];
	repro_repo *repo = NULL;
	repro_repo_revision revision;
	repro_error err;

	repro_error_clear(&err);
	snprintf(build, sizeof(build), "%s/build", dir);
	ASSERT_OK(repro_repo_open(&repo, absolute_path_repo, &err), &err);
	ASSERT_OK(repro_repo_resolve_revision(repo, "HEAD", &revision, &err), &err);

	/* As if the repository had been cloned from a server: its submodule
	 * may then not name a path on this machine. Nothing is fetched. */
	repo->local_origin = 0;
	free(repo->origin_url);
	repo->origin_url = strdup("https://git.example.com/acme/absolute.git");
	free(repo->display);
	repo->display = strdup("https://git.example.com/acme/absolute.git");
	ASSERT_CODE(repro_repo_checkout(repo, &revision, build, &err), REPRO_EUNSAFE, &err);
	snprintf(expected, sizeof(expected), "checking out commit %s into '%s': submodule 'lib' has "
	         "the local URL '%s', which a repository from "
	         "'https://git.example.com/acme/absolute.git' may not use",
	         revision.commit_id, build, sub_path);
	ASSERT_STR_EQ(err.message, expected);
	CU_ASSERT(access(build, F_OK) != 0);

	/* Opened in place, the same repository may use it. */
	repo->local_origin = 1;
	ASSERT_OK(repro_repo_checkout(repo, &revision, build, &err), &err);
	check_file(build, "lib/lib.txt", "library version 2\n", 0644, revision.commit_time);
	repro_repo_free(repo);
	repro_test_cleanup_dir(dir);
}

static int count_directory(const char *path);

static void test_checkout_rejects_unsafe_names(void)
{
	static const struct {
		const char *tag;
		const char *commit_id;
		const char *message;
	} cases[] = {
		{"dot-git", "1ae5164db1f1c196ec18073713a889e564946cc5",
		 "tree entry '.Git' is git metadata, which a build tree never contains"},
		{"dot-dot", "e2b4d3dfd1d4fe0ca63f50a050fa21579a3f4ec7",
		 "tree entry '..' has an invalid name"},
		{"include", "3866965ba8bb8b5e32173035aa04bf8b29afb153",
		 "contains 'include.path', which is not allowed there"},
	};
	char *dir = repro_test_make_dir();
	repro_repo *repo = NULL;
	repro_error err;

	repro_error_clear(&err);
	ASSERT_OK(repro_repo_open(&repo, hostile_path, &err), &err);
	for (size_t i = 0; repo != NULL && i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_repo_revision revision;
		char build[PATH_MAX], expected[3 * PATH_MAX];

		snprintf(build, sizeof(build), "%s/build", dir);
		ASSERT_OK(repro_repo_resolve_tag(repo, cases[i].tag, &revision, &err), &err);
		ASSERT_STR_EQ(revision.commit_id, cases[i].commit_id);
		ASSERT_CODE(repro_repo_checkout(repo, &revision, build, &err), REPRO_EUNSAFE, &err);
		if (strcmp(cases[i].tag, "include") == 0)
			snprintf(expected, sizeof(expected), "checking out commit %s into '%s': .gitmodules "
			         "of '%s' %s", cases[i].commit_id, build, hostile_path, cases[i].message);
		else
			snprintf(expected, sizeof(expected), "checking out commit %s into '%s': %s",
			         cases[i].commit_id, build, cases[i].message);
		ASSERT_STR_EQ(err.message, expected);
		CU_ASSERT(access(build, F_OK) != 0);
	}
	/* Nothing was written next to the build tree either. */
	ASSERT_INT_EQ(count_directory(dir), 0);
	repro_repo_free(repo);
	repro_test_cleanup_dir(dir);
}

static void test_read_file(void)
{
	static const struct {
		const char *revspec;
		const char *path;
		size_t max_bytes;
		int code;
		const char *result;
	} cases[] = {
		{NULL, "reprocheck-digests.json", 4096, REPRO_OK, DIGESTS_JSON},
		{"main", "reprocheck-digests.json", 4096, REPRO_OK, DIGESTS_JSON},
		{NULL, "src/include/hello.h", 4096, REPRO_OK, "#define HELLO 0\n"},
		{"feature", "feature.txt", 4096, REPRO_OK, "feature\n"},
		{"v1.0.0", "build.sh", 4096, REPRO_OK, "#!/bin/sh\necho built\n"},
		{NULL, "README.md", 6, REPRO_OK, "hello\n"},
		{NULL, "README.md", 5, REPRO_ELIMIT,
		 "'README.md' in the default branch 'main' is 6 bytes, more than the limit of 5"},
		{"v1.0.0", "reprocheck-digests.json", 4096, REPRO_ENOTFOUND,
		 "'reprocheck-digests.json' not found in revision 'v1.0.0'"},
		{NULL, "src/missing.c", 4096, REPRO_ENOTFOUND,
		 "'src/missing.c' not found in the default branch 'main'"},
		{NULL, "src", 4096, REPRO_EFORMAT,
		 "'src' in the default branch 'main' is a directory, not a file"},
		{NULL, "link.md", 4096, REPRO_EFORMAT,
		 "'link.md' in the default branch 'main' is a symbolic link, not a file"},
		{NULL, "vendor/sub", 4096, REPRO_EFORMAT,
		 "'vendor/sub' in the default branch 'main' is a submodule, not a file"},
		{"nope", "README.md", 4096, REPRO_ENOTFOUND, "revision 'nope' not found"},
		{"t-blob", "README.md", 4096, REPRO_EUNSUPPORTED,
		 "revision 't-blob' is a blob, not a commit or tree"},
		{NULL, "../README.md", 4096, REPRO_EUSAGE,
		 "invalid file path '../README.md': it must be relative to the repository root, "
		 "without empty, '.' or '..' components"},
		{NULL, "/README.md", 4096, REPRO_EUSAGE,
		 "invalid file path '/README.md': it must be relative to the repository root, "
		 "without empty, '.' or '..' components"},
		{NULL, "src//main.c", 4096, REPRO_EUSAGE,
		 "invalid file path 'src//main.c': it must be relative to the repository root, "
		 "without empty, '.' or '..' components"},
	};

	for (int where = 0; where < 3; where += 2) {
		repro_repo *repo = shared_super((location)where);

		for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
			unsigned char *data = NULL;
			size_t size = 0;
			repro_error err;

			repro_error_clear(&err);
			ASSERT_CODE(repro_repo_read_file(repo, cases[i].revspec, cases[i].path,
			                                 cases[i].max_bytes, &data, &size, &err),
			            cases[i].code, &err);
			if (cases[i].code == REPRO_OK) {
				ASSERT_INT_EQ(size, strlen(cases[i].result));
				ASSERT_STR_EQ((const char *)data, cases[i].result);
			} else {
				ASSERT_STR_EQ(err.message, cases[i].result);
				CU_ASSERT_PTR_NULL(data);
				ASSERT_INT_EQ(size, 0);
			}
			free(data);
		}
	}
}

static void test_default_branch(void)
{
	for (int where = 0; where < 3; where++) {
		repro_repo *repo = shared_super((location)where);
		char branch[64];
		repro_error err;

		repro_error_clear(&err);
		ASSERT_OK(repro_repo_default_branch(repo, branch, sizeof(branch), &err), &err);
		ASSERT_STR_EQ(branch, "main");
	}
}

/* Returns the number of entries in @p path, without "." and "..". */
static int count_directory(const char *path)
{
	DIR *listing = opendir(path);
	struct dirent *entry;
	int count = 0;

	if (listing == NULL)
		return -1;
	while ((entry = readdir(listing)) != NULL)
		count += strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0;
	closedir(listing);
	return count;
}

static void test_temporary_files_removed(void)
{
	char *tmp = repro_test_make_dir();
	char *dir = repro_test_make_dir();
	const char *saved = getenv("TMPDIR");
	char *saved_copy = saved != NULL ? strdup(saved) : NULL;
	char build[PATH_MAX];

	setenv("TMPDIR", tmp, 1);
	for (int where = 0; where < 3; where++) {
		repro_repo *repo = open_super((location)where);
		repro_repo_revision revision;
		repro_error err;
		char git_dir[PATH_MAX];

		repro_error_clear(&err);
		snprintf(git_dir, sizeof(git_dir), "%s", repro_repo_git_dir(repo));
		ASSERT_INT_EQ(strncmp(git_dir, tmp, strlen(tmp)) == 0, where != LOCATION_IN_PLACE);
		CU_ASSERT(access(git_dir, F_OK) == 0);

		snprintf(build, sizeof(build), "%s/build-%d", dir, where);
		ASSERT_OK(repro_repo_resolve_tag(repo, "v1.0.0", &revision, &err), &err);
		ASSERT_OK(repro_repo_checkout(repo, &revision, build, &err), &err);
		/* The clone, if any, and the fetched submodule. */
		ASSERT_INT_EQ(count_directory(tmp), 1);
		repro_repo_free(repo);
		ASSERT_INT_EQ(count_directory(tmp), 0);
		if (where != LOCATION_IN_PLACE)
			CU_ASSERT(access(git_dir, F_OK) != 0);
	}
	if (saved_copy != NULL)
		setenv("TMPDIR", saved_copy, 1);
	else
		unsetenv("TMPDIR");
	free(saved_copy);
	repro_test_cleanup_dir(dir);
	repro_test_cleanup_dir(tmp);
}

static void test_url_join(void)
{
	static const struct {
		const char *base;
		const char *relative;
		int code;
		const char *result;
	} cases[] = {
		{"/srv/git/super", "../sub", REPRO_OK, "/srv/git/sub"},
		{"/srv/git/super/", "./sub", REPRO_OK, "/srv/git/super/sub"},
		{"/srv/git/super", "../../other/sub", REPRO_OK, "/srv/other/sub"},
		{"/super", "../sub", REPRO_OK, "/sub"},
		{"file:///srv/super", "../sub", REPRO_OK, "file:///srv/sub"},
		{"https://host/acme/super.git", "../lib.git", REPRO_OK, "https://host/acme/lib.git"},
		{"https://host/super", "../lib", REPRO_OK, "https://host/lib"},
		{"ssh://git@host:22/acme/super", "./../lib", REPRO_OK, "ssh://git@host:22/acme/lib"},
		{"git@host:acme/super", "../lib", REPRO_OK, "git@host:acme/lib"},
		{"git@host:super", "../lib", REPRO_OK, "git@host:lib"},
		{"https://host/super", "../../x", REPRO_EFORMAT,
		 "submodule URL '../../x' goes above the root of 'https://host/super'"},
		{"git@host:super", "../../x", REPRO_EFORMAT,
		 "submodule URL '../../x' goes above the root of 'git@host:super'"},
		{"/super", "../../x", REPRO_EFORMAT,
		 "submodule URL '../../x' goes above the root of '/super'"},
		{"/srv/super", "../", REPRO_EFORMAT, "submodule URL '../' names no repository"},
		{"/srv/super", "./..", REPRO_EFORMAT, "submodule URL './..' names no repository"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		char *joined = NULL;
		repro_error err;

		repro_error_clear(&err);
		ASSERT_CODE(repro_repo_url_join(cases[i].base, cases[i].relative, &joined, &err),
		            cases[i].code, &err);
		if (cases[i].code == REPRO_OK) {
			ASSERT_STR_EQ(joined, cases[i].result);
		} else {
			ASSERT_STR_EQ(err.message, cases[i].result);
			CU_ASSERT_PTR_NULL(joined);
		}
		free(joined);
	}
}

static void test_url_kinds(void)
{
	static const struct {
		const char *text;
		int remote;
		int local;
		const char *display;
	} cases[] = {
		{"/srv/git/super", 0, 1, "/srv/git/super"},
		{"super", 0, 1, "super"},
		{"./dir:with-colon", 0, 1, "./dir:with-colon"},
		{"file:///srv/super", 1, 1, "file:///srv/super"},
		{"https://host/acme/super.git", 1, 0, "https://host/acme/super.git"},
		{"https://user:token@host/a.git", 1, 0, "https://user:***@host/a.git"},
		{"https://user@host/a.git", 1, 0, "https://user@host/a.git"},
		{"ssh://git@host/acme/super", 1, 0, "ssh://git@host/acme/super"},
		{"git@host:acme/super", 1, 0, "git@host:acme/super"},
		{"host:super", 1, 0, "host:super"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		char *display = repro_repo_url_display(cases[i].text);

		ASSERT_INT_EQ(repro_repo_url_is_remote(cases[i].text), cases[i].remote);
		ASSERT_INT_EQ(repro_repo_url_is_local(cases[i].text), cases[i].local);
		ASSERT_STR_EQ(display, cases[i].display);
		free(display);
	}
}

static void make_fixture(void)
{
	char command[2 * PATH_MAX];

	fixture_dir = repro_test_make_dir();
	snprintf(command, sizeof(command), "bash '%s' '%s' >/dev/null",
	         repro_test_source_path("fixtures/scripts/make-test-repo.sh"), fixture_dir);
	if (system(command) != 0) {
		fprintf(stderr, "making the test repositories failed: %s\n", command);
		abort();
	}
	snprintf(super_path, sizeof(super_path), "%s/super", fixture_dir);
	snprintf(super_url, sizeof(super_url), "file://%s", super_path);
	snprintf(sub_path, sizeof(sub_path), "%s/sub", fixture_dir);
	snprintf(absolute_path_repo, sizeof(absolute_path_repo), "%s/absolute", fixture_dir);
	snprintf(hostile_path, sizeof(hostile_path), "%s/hostile", fixture_dir);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"resolve tags", test_resolve_tags},
		{"open bare repository", test_open_bare_repository},
		{"resolve revisions", test_resolve_revisions},
		{"resolve tag errors", test_resolve_tag_errors},
		{"resolve tag without tags", test_resolve_tag_without_tags},
		{"resolve revision errors", test_resolve_revision_errors},
		{"open errors", test_open_errors},
		{"checkout release", test_checkout_release},
		{"checkout into empty directory", test_checkout_into_empty_directory},
		{"checkout reverse order", test_checkout_reverse_order},
		{"checkout rejects directory", test_checkout_rejects_directory},
		{"checkout failure is undone", test_checkout_failure_is_undone},
		{"checkout missing object", test_checkout_missing_object},
		{"local submodule from remote", test_local_submodule_from_remote},
		{"checkout rejects unsafe names", test_checkout_rejects_unsafe_names},
		{"read file", test_read_file},
		{"default branch", test_default_branch},
		{"temporary files removed", test_temporary_files_removed},
		{"url join", test_url_join},
		{"url kinds", test_url_kinds},
	};
	int status;

	make_fixture();
	status = repro_test_main("repo", cases, REPRO_ARRAY_SIZE(cases));
	for (size_t i = 0; i < REPRO_ARRAY_SIZE(shared_repos); i++)
		repro_repo_free(shared_repos[i]);
	repro_test_cleanup_dir(fixture_dir);
	return status;
}

/*
 * Writes a commit's tree into a build tree. libgit2's own checkout is not
 * used because it applies the caller's umask and git configuration
 * (core.autocrlf, filters), sets mtimes to the current time and leaves
 * submodules as empty directories. Here every entry is created
 * relative to an open directory descriptor with a single-component name and
 * O_EXCL or O_NOFOLLOW, so a symbolic link written earlier is never
 * followed.
 */
#include "repo_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileutil_internal.h"

/* Directories nested in one checkout, submodules included. */
#define TREE_DEPTH_MAX 256
/* Submodules nested in submodules. */
#define SUBMODULE_DEPTH_MAX 8
/* Entries written in one checkout, submodules included. */
#define ENTRIES_MAX 1000000
/* Largest .gitmodules file read. */
#define GITMODULES_MAX (1024 * 1024)

/* The repository or submodule whose tree is being written. */
typedef struct checkout_project {
	git_repository *git;
	git_tree *root;
	/* The base of its relative submodule URLs. */
	const char *url;
	/* Its path or URL for messages, with any password masked. */
	const char *name;
	/* Nonzero when it came from the local file system, which allows its
	 * submodules to come from there too. */
	int local;
	/* Its .gitmodules, parsed on first use; NULL when there is none. */
	git_config *modules;
	int modules_loaded;
	int depth;
	/* The offset of its root in checkout_context.path. */
	size_t path_offset;
} checkout_project;

typedef struct checkout_context {
	repro_repo *repo;
	struct timespec times[2];
	size_t entries;
	/* The entry being written, relative to the build tree, for messages. */
	char path[PATH_MAX];
	size_t path_length;
	/* Nonzero creates each directory's entries in reverse name order. */
	int reverse_order;
} checkout_context;

static int write_tree(checkout_context *ctx, checkout_project *project, git_tree *tree,
                      int dirfd, int depth, repro_error *err);

/* Rejects names that could leave the directory or add git metadata. */
static int check_name(const checkout_context *ctx, const char *name, repro_error *err)
{
	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strchr(name, '/') != NULL)
		return repro_error_set(err, REPRO_EUNSAFE, "tree entry '%s' has an invalid name",
		                       ctx->path);
	if (strcasecmp(name, ".git") == 0)
		return repro_error_set(err, REPRO_EUNSAFE,
		                       "tree entry '%s' is git metadata, which a build tree never contains",
		                       ctx->path);
	return REPRO_OK;
}

/* Appends @p name to ctx->path; the caller restores @p saved afterwards. */
static int push_name(checkout_context *ctx, const char *name, size_t *saved, repro_error *err)
{
	size_t length = strlen(name);
	size_t separator = ctx->path_length > 0 ? 1 : 0;

	*saved = ctx->path_length;
	if (ctx->path_length + separator + length >= sizeof(ctx->path))
		return repro_error_set(err, REPRO_ELIMIT, "path '%.64s/%.64s...' is longer than %zu bytes",
		                       ctx->path, name, sizeof(ctx->path) - 1);
	if (separator)
		ctx->path[ctx->path_length++] = '/';
	memcpy(ctx->path + ctx->path_length, name, length + 1);
	ctx->path_length += length;
	return check_name(ctx, name, err);
}

static void pop_name(checkout_context *ctx, size_t saved)
{
	ctx->path_length = saved;
	ctx->path[saved] = '\0';
}

static int write_file(checkout_context *ctx, git_repository *git, const git_tree_entry *entry,
                      int dirfd, mode_t mode, repro_error *err)
{
	git_blob *blob = NULL;
	int fd, result = REPRO_OK;

	if (git_blob_lookup(&blob, git, git_tree_entry_id(entry)) != 0)
		return repro_repo_git_error(err, REPRO_EIO, "reading '%s' failed", ctx->path);
	fd = openat(dirfd, git_tree_entry_name(entry),
	            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		result = repro_error_set_errno(err, REPRO_EIO, errno, "creating '%s' failed", ctx->path);
		goto cleanup;
	}
	if (repro_fd_write_all(fd, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) != 0 ||
	    fchmod(fd, mode) != 0 || futimens(fd, ctx->times) != 0) {
		result = repro_error_set_errno(err, REPRO_EIO, errno, "writing '%s' failed", ctx->path);
		close(fd);
		goto cleanup;
	}
	if (close(fd) != 0)
		result = repro_error_set_errno(err, REPRO_EIO, errno, "writing '%s' failed", ctx->path);

cleanup:
	git_blob_free(blob);
	return result;
}

/* Creates a symbolic link with the target git stores, whether it points
 * inside the tree or not: it is only created, never followed. */
static int write_link(checkout_context *ctx, git_repository *git, const git_tree_entry *entry,
                      int dirfd, repro_error *err)
{
	char target[PATH_MAX];
	git_blob *blob = NULL;
	size_t size;
	int result = REPRO_OK;

	if (git_blob_lookup(&blob, git, git_tree_entry_id(entry)) != 0)
		return repro_repo_git_error(err, REPRO_EIO, "reading '%s' failed", ctx->path);
	size = (size_t)git_blob_rawsize(blob);
	if (size == 0 || size >= sizeof(target) || memchr(git_blob_rawcontent(blob), '\0', size)) {
		result = repro_error_set(err, REPRO_EFORMAT,
		                         "symbolic link '%s' has an empty, overlong or binary target",
		                         ctx->path);
		goto cleanup;
	}
	memcpy(target, git_blob_rawcontent(blob), size);
	target[size] = '\0';
	if (symlinkat(target, dirfd, git_tree_entry_name(entry)) != 0 ||
	    utimensat(dirfd, git_tree_entry_name(entry), ctx->times, AT_SYMLINK_NOFOLLOW) != 0)
		result = repro_error_set_errno(err, REPRO_EIO, errno, "creating symbolic link '%s' failed",
		                               ctx->path);

cleanup:
	git_blob_free(blob);
	return result;
}

/* Creates the directory @p name and writes @p tree into it. Its mode and
 * mtime are set last, because creating its entries changes the mtime. */
static int write_directory(checkout_context *ctx, checkout_project *project, git_tree *tree,
                           int dirfd, const char *name, int depth, repro_error *err)
{
	int fd, result;

	if (depth >= TREE_DEPTH_MAX)
		return repro_error_set(err, REPRO_ELIMIT, "'%.64s...' is nested more than %d levels deep",
		                       ctx->path, TREE_DEPTH_MAX);
	if (mkdirat(dirfd, name, 0700) != 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "creating directory '%s' failed",
		                             ctx->path);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "opening directory '%s' failed",
		                             ctx->path);
	result = write_tree(ctx, project, tree, fd, depth + 1, err);
	if (result == REPRO_OK && (fchmod(fd, 0755) != 0 || futimens(fd, ctx->times) != 0))
		result = repro_error_set_errno(err, REPRO_EIO, errno, "setting the mode of '%s' failed",
		                               ctx->path);
	close(fd);
	return result;
}

/* Parses the project's .gitmodules into an in-memory snapshot. libgit2
 * parses configuration from files only, so the blob goes through a
 * private temporary file. */
static int load_modules(checkout_context *ctx, checkout_project *project, repro_error *err)
{
	const git_tree_entry *gitmodules;
	git_config *file = NULL;
	git_config_iterator *entries = NULL;
	git_config_entry *entry;
	git_blob *blob = NULL;
	char *path = NULL;
	int result;

	if (project->modules_loaded)
		return REPRO_OK;
	project->modules_loaded = 1;
	gitmodules = git_tree_entry_byname(project->root, ".gitmodules");
	if (gitmodules == NULL)
		return REPRO_OK;
	if (git_tree_entry_filemode(gitmodules) != GIT_FILEMODE_BLOB &&
	    git_tree_entry_filemode(gitmodules) != GIT_FILEMODE_BLOB_EXECUTABLE)
		return repro_error_set(err, REPRO_EUNSAFE, ".gitmodules of '%s' is not a regular file",
		                       project->name);
	if (git_blob_lookup(&blob, project->git, git_tree_entry_id(gitmodules)) != 0)
		return repro_repo_git_error(err, REPRO_EIO, "reading .gitmodules of '%s' failed",
		                            project->name);
	if (git_blob_rawsize(blob) > GITMODULES_MAX) {
		result = repro_error_set(err, REPRO_ELIMIT, ".gitmodules of '%s' is more than %d bytes",
		                         project->name, GITMODULES_MAX);
		goto cleanup;
	}

	result = repro_repo_temp_path(ctx->repo, "gitmodules", &path, err);
	if (result == REPRO_OK)
		result = repro_file_write_atomic(path, git_blob_rawcontent(blob),
		                                 (size_t)git_blob_rawsize(blob), 0600, err);
	if (result != REPRO_OK)
		goto cleanup;
	if (git_config_open_ondisk(&file, path) != 0 ||
	    git_config_snapshot(&project->modules, file) != 0 ||
	    git_config_iterator_new(&entries, project->modules) != 0) {
		result = repro_repo_git_error(err, REPRO_EFORMAT, "parsing .gitmodules of '%s' failed",
		                              project->name);
		goto cleanup;
	}
	/* git reads .gitmodules without includes, and an include here could
	 * pull submodule URLs from any file on this machine. The entries are
	 * filtered here rather than with a regex, because libgit2 1.5 leaks
	 * the match data of every regex that does not match. */
	while (git_config_next(&entry, entries) == 0) {
		if (strncmp(entry->name, "include.", 8) == 0 || strncmp(entry->name, "includeif.", 10) == 0) {
			result = repro_error_set(err, REPRO_EUNSAFE,
			                         ".gitmodules of '%s' contains '%s', which is not allowed there",
			                         project->name, entry->name);
			break;
		}
	}
	git_error_clear();

cleanup:
	git_config_iterator_free(entries);
	git_config_free(file);
	if (path != NULL)
		unlink(path);
	free(path);
	git_blob_free(blob);
	return result;
}

/* Finds the submodule whose "path" is @p path in .gitmodules and returns
 * its URL as written there. */
static int find_module_url(checkout_project *project, const char *path, git_buf *url,
                           repro_error *err)
{
	git_config_iterator *iterator = NULL;
	git_config_entry *entry;
	char key[PATH_MAX + 32];
	int result = REPRO_ENOTFOUND;

	if (project->modules == NULL || git_config_iterator_new(&iterator, project->modules) != 0) {
		git_error_clear();
		return repro_error_set(err, REPRO_EFORMAT, "submodule '%s' has no entry in .gitmodules",
		                       path);
	}
	while (git_config_next(&entry, iterator) == 0) {
		size_t length = strlen(entry->name);
		size_t suffix = strlen(".path");

		if (strncmp(entry->name, "submodule.", 10) != 0 || length <= 10 + suffix ||
		    strcmp(entry->name + length - suffix, ".path") != 0 || entry->value == NULL ||
		    strcmp(entry->value, path) != 0 || length - suffix >= PATH_MAX)
			continue;
		snprintf(key, sizeof(key), "%.*s.url", (int)(length - suffix), entry->name);
		result = REPRO_OK;
		break;
	}
	git_config_iterator_free(iterator);
	git_error_clear();
	if (result != REPRO_OK)
		return repro_error_set(err, REPRO_EFORMAT, "submodule '%s' has no entry in .gitmodules",
		                       path);
	if (git_config_get_string_buf(url, project->modules, key) != 0) {
		git_error_clear();
		return repro_error_set(err, REPRO_EFORMAT, "submodule '%s' has no URL in .gitmodules",
		                       path);
	}
	return REPRO_OK;
}

/* Returns in @p out the URL to fetch the submodule at @p path from. */
static int module_url(checkout_context *ctx, checkout_project *project, const char *path,
                      char **out, repro_error *err)
{
	git_buf written = GIT_BUF_INIT;
	int result;

	*out = NULL;
	result = load_modules(ctx, project, err);
	if (result == REPRO_OK)
		result = find_module_url(project, path, &written, err);
	if (result != REPRO_OK)
		return result;

	if (strncmp(written.ptr, "./", 2) == 0 || strncmp(written.ptr, "../", 3) == 0)
		result = repro_repo_url_join(project->url, written.ptr, out, err);
	else if (written.ptr[0] == '/' || repro_repo_url_is_remote(written.ptr))
		*out = strdup(written.ptr);
	else
		result = repro_error_set(err, REPRO_EFORMAT, "submodule '%s' has the URL '%s', which is "
		                         "neither absolute nor starts with './' or '../'", path, written.ptr);
	if (result == REPRO_OK && *out == NULL)
		result = repro_error_set(err, REPRO_ENOMEM, "out of memory");
	/* As git's protocol.file.allow=user does for submodules, a repository
	 * from elsewhere may not make this machine read its local repositories. */
	if (result == REPRO_OK && !project->local && repro_repo_url_is_local(*out))
		result = repro_error_set(err, REPRO_EUNSAFE, "submodule '%s' has the local URL '%s', "
		                         "which a repository from '%s' may not use", path, *out,
		                         project->name);
	if (result != REPRO_OK) {
		free(*out);
		*out = NULL;
	}
	git_buf_dispose(&written);
	return result;
}

/* Returns the repository fetched from @p url, fetching it on first use.
 * The repository belongs to @p repo. */
static int fetch_module(repro_repo *repo, const char *path, const char *url,
                        const char *display, git_repository **out, repro_error *err)
{
	repro_repo_module *module;
	char *directory = NULL, *action = NULL;
	int result;

	for (size_t i = 0; i < repo->module_count; i++) {
		if (strcmp(repo->modules[i].url, url) == 0) {
			*out = repo->modules[i].git;
			return REPRO_OK;
		}
	}
	if (repo->module_count == REPRO_REPO_MODULES_MAX)
		return repro_error_set(err, REPRO_ELIMIT, "more than %d submodule repositories",
		                       REPRO_REPO_MODULES_MAX);

	module = &repo->modules[repo->module_count];
	if (asprintf(&action, "fetching submodule '%s' from '%s'", path, display) < 0)
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	result = repro_repo_temp_path(repo, "module", &directory, err);
	if (result == REPRO_OK)
		result = repro_repo_fetch_into(&module->git, url, directory, action, err);
	free(directory);
	free(action);
	if (result != REPRO_OK)
		return result;
	module->url = strdup(url);
	if (module->url == NULL) {
		git_repository_free(module->git);
		module->git = NULL;
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	}
	repo->module_count++;
	*out = module->git;
	return REPRO_OK;
}

static int write_submodule(checkout_context *ctx, checkout_project *project,
                           const git_tree_entry *entry, int dirfd, int depth, repro_error *err)
{
	checkout_project child = {0};
	char *url = NULL, *display = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	char id[REPRO_REPO_OID_MAX];
	int result;

	git_oid_tostr(id, sizeof(id), git_tree_entry_id(entry));
	if (project->depth >= SUBMODULE_DEPTH_MAX)
		return repro_error_set(err, REPRO_ELIMIT, "submodule '%s' is nested more than %d levels "
		                       "deep", ctx->path, SUBMODULE_DEPTH_MAX);
	result = module_url(ctx, project, ctx->path + project->path_offset, &url, err);
	if (result != REPRO_OK)
		goto cleanup;
	display = repro_repo_url_display(url);
	if (display == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "out of memory");
		goto cleanup;
	}
	result = fetch_module(ctx->repo, ctx->path, url, display, &child.git, err);
	if (result != REPRO_OK)
		goto cleanup;
	if (git_commit_lookup(&commit, child.git, git_tree_entry_id(entry)) != 0 ||
	    git_commit_tree(&tree, commit) != 0) {
		result = repro_repo_git_error(err, REPRO_ENOTFOUND,
		                              "submodule '%s': commit %s not found in '%s'", ctx->path,
		                              id, display);
		goto cleanup;
	}

	child.root = tree;
	child.url = url;
	child.name = display;
	child.local = repro_repo_url_is_local(url);
	child.depth = project->depth + 1;
	child.path_offset = ctx->path_length + 1;
	result = write_directory(ctx, &child, tree, dirfd, git_tree_entry_name(entry), depth, err);

cleanup:
	git_config_free(child.modules);
	git_tree_free(tree);
	git_commit_free(commit);
	free(display);
	free(url);
	return result;
}

static int write_entry(checkout_context *ctx, checkout_project *project,
                       const git_tree_entry *entry, int dirfd, int depth, repro_error *err)
{
	git_tree *subtree = NULL;
	int result;

	switch (git_tree_entry_filemode(entry)) {
	case GIT_FILEMODE_BLOB:
		return write_file(ctx, project->git, entry, dirfd, 0644, err);
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		return write_file(ctx, project->git, entry, dirfd, 0755, err);
	case GIT_FILEMODE_LINK:
		return write_link(ctx, project->git, entry, dirfd, err);
	case GIT_FILEMODE_COMMIT:
		return write_submodule(ctx, project, entry, dirfd, depth, err);
	case GIT_FILEMODE_TREE:
		if (git_tree_lookup(&subtree, project->git, git_tree_entry_id(entry)) != 0)
			return repro_repo_git_error(err, REPRO_EIO, "reading directory '%s' failed",
			                            ctx->path);
		result = write_directory(ctx, project, subtree, dirfd, git_tree_entry_name(entry), depth,
		                         err);
		git_tree_free(subtree);
		return result;
	default:
		return repro_error_set(err, REPRO_EFORMAT, "tree entry '%s' has the unknown mode %o",
		                       ctx->path, (unsigned int)git_tree_entry_filemode_raw(entry));
	}
}

static int write_tree(checkout_context *ctx, checkout_project *project, git_tree *tree,
                      int dirfd, int depth, repro_error *err)
{
	size_t count = git_tree_entrycount(tree);

	for (size_t i = 0; i < count; i++) {
		size_t index = ctx->reverse_order ? count - 1 - i : i;
		const git_tree_entry *entry = git_tree_entry_byindex(tree, index);
		size_t saved;
		int result;

		if (++ctx->entries > ENTRIES_MAX)
			return repro_error_set(err, REPRO_ELIMIT, "the tree has more than %d entries",
			                       ENTRIES_MAX);
		result = push_name(ctx, git_tree_entry_name(entry), &saved, err);
		if (result == REPRO_OK)
			result = write_entry(ctx, project, entry, dirfd, depth, err);
		pop_name(ctx, saved);
		if (result != REPRO_OK)
			return result;
	}
	return REPRO_OK;
}

/* Creates @p directory, or checks that the existing one is empty. */
static int prepare_directory(const char *directory, int *created, repro_error *err)
{
	struct stat info;
	struct dirent *entry;
	DIR *listing;
	int result = REPRO_OK;

	*created = 0;
	if (stat(directory, &info) != 0) {
		if (errno != ENOENT)
			return repro_error_set_errno(err, REPRO_EIO, errno, "reading build tree '%s' failed",
			                             directory);
		result = repro_mkdir_parents(directory, err);
		*created = result == REPRO_OK;
		return result;
	}
	if (!S_ISDIR(info.st_mode))
		return repro_error_set(err, REPRO_EUSAGE, "build tree '%s' is not a directory", directory);

	listing = opendir(directory);
	if (listing == NULL)
		return repro_error_set_errno(err, REPRO_EIO, errno, "reading build tree '%s' failed",
		                             directory);
	while ((entry = readdir(listing)) != NULL) {
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
			result = repro_error_set(err, REPRO_EUSAGE, "build tree '%s' is not empty: it "
			                         "contains '%s'", directory, entry->d_name);
			break;
		}
	}
	closedir(listing);
	return result;
}

/* Removes what a failed checkout wrote: the directory itself when the
 * checkout created it, or else everything inside it. */
static void undo_checkout(const char *directory, int created)
{
	struct dirent *entry;
	DIR *listing;

	if (created) {
		repro_remove_tree(directory, NULL);
		return;
	}
	listing = opendir(directory);
	if (listing == NULL)
		return;
	while ((entry = readdir(listing)) != NULL) {
		char *path;

		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if (asprintf(&path, "%s/%s", directory, entry->d_name) < 0)
			continue;
		repro_remove_tree(path, NULL);
		free(path);
	}
	closedir(listing);
}

/* Looks up the commit of @p revision and its root tree. */
static int lookup_tree(repro_repo *repo, const repro_repo_revision *revision, git_tree **out,
                       repro_error *err)
{
	git_commit *commit = NULL;
	git_oid oid;
	int result;

	*out = NULL;
	if (strlen(revision->commit_id) != REPRO_REPO_OID_MAX - 1 ||
	    git_oid_fromstr(&oid, revision->commit_id) != 0) {
		git_error_clear();
		return repro_error_set(err, REPRO_EUSAGE, "invalid commit id '%s'", revision->commit_id);
	}
	result = git_commit_lookup(&commit, repo->git, &oid);
	if (result == GIT_ENOTFOUND)
		return repro_error_set(err, REPRO_ENOTFOUND, "commit %s not found in '%s'",
		                       revision->commit_id, repo->display);
	if (result != 0)
		return repro_repo_git_error(err, REPRO_EIO, "reading commit %s failed",
		                            revision->commit_id);
	if (git_commit_tree(out, commit) != 0)
		result = repro_repo_git_error(err, REPRO_EIO, "reading the tree of commit %s failed",
		                              revision->commit_id);
	git_commit_free(commit);
	return result;
}

int repro_repo_checkout(repro_repo *repo, const repro_repo_revision *revision,
                        const char *directory, repro_error *err)
{
	return repro_repo_checkout_with_options(repo, revision, directory, NULL, err);
}

int repro_repo_checkout_with_options(repro_repo *repo, const repro_repo_revision *revision,
                                     const char *directory,
                                     const repro_repo_checkout_options *options, repro_error *err)
{
	checkout_project project = {0};
	checkout_context *ctx = NULL;
	struct timespec times[2];
	git_tree *tree = NULL;
	int dirfd = -1, created = 0;
	int result;

	result = lookup_tree(repo, revision, &tree, err);
	if (result != REPRO_OK)
		return result;
	result = prepare_directory(directory, &created, err);
	if (result != REPRO_OK)
		goto cleanup;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "out of memory");
		goto cleanup;
	}
	dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		result = repro_error_set_errno(err, REPRO_EIO, errno, "opening build tree '%s' failed",
		                               directory);
		goto cleanup;
	}

	times[0].tv_sec = (time_t)revision->commit_time;
	times[0].tv_nsec = 0;
	times[1] = times[0];
	memcpy(ctx->times, times, sizeof(times));
	ctx->repo = repo;
	ctx->reverse_order = options != NULL && options->reverse_order;
	project.git = repo->git;
	project.root = tree;
	project.url = repo->origin_url;
	project.name = repo->display;
	project.local = repo->local_origin;
	result = write_tree(ctx, &project, tree, dirfd, 0, err);
	if (result == REPRO_OK && futimens(dirfd, times) != 0)
		result = repro_error_set_errno(err, REPRO_EIO, errno, "setting the mtime of '%s' failed",
		                               directory);

cleanup:
	if (result != REPRO_OK) {
		repro_error_prefix(err, "checking out commit %s into '%s'", revision->commit_id,
		                   directory);
		if (dirfd >= 0 || created)
			undo_checkout(directory, created);
	}
	if (dirfd >= 0)
		close(dirfd);
	git_config_free(project.modules);
	git_tree_free(tree);
	free(ctx);
	return result;
}

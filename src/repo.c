#include "repo_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileutil_internal.h"

/* Maximum length of a repository path or URL, in bytes. */
#define REPO_LOCATION_MAX 4096

int repro_repo_git_error(repro_error *err, int code, const char *format, ...)
{
	const git_error *last = git_error_last();
	char message[REPRO_ERROR_MESSAGE_MAX];
	va_list args;

	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	if (last != NULL && last->message != NULL && last->message[0] != '\0')
		return repro_error_set(err, code, "%s: %s", message, last->message);
	return repro_error_set(err, code, "%s", message);
}

/* Returns the length of the scheme of "scheme://...", or 0 when @p text
 * does not start with one. */
static size_t scheme_length(const char *text)
{
	size_t length = 0;

	if (!isalpha((unsigned char)text[0]))
		return 0;
	while (isalnum((unsigned char)text[length]) || text[length] == '+' ||
	       text[length] == '-' || text[length] == '.')
		length++;
	return strncmp(text + length, "://", 3) == 0 ? length : 0;
}

/* Returns the colon of an scp-like "[user@]host:path", or NULL. As git
 * does, a colon after the first slash makes the text a local path. */
static const char *scp_colon(const char *text)
{
	const char *colon = strchr(text, ':');
	const char *slash = strchr(text, '/');

	if (colon == NULL || colon == text || scheme_length(text) > 0)
		return NULL;
	if (slash != NULL && slash < colon)
		return NULL;
	return colon;
}

int repro_repo_url_is_remote(const char *text)
{
	return scheme_length(text) > 0 || scp_colon(text) != NULL;
}

int repro_repo_url_is_local(const char *url)
{
	return !repro_repo_url_is_remote(url) || strncmp(url, "file://", 7) == 0;
}

char *repro_repo_url_display(const char *url)
{
	size_t scheme = scheme_length(url);
	const char *authority, *at, *colon;
	char *display;

	if (scheme == 0)
		return strdup(url);
	authority = url + scheme + 3;
	at = strchr(authority, '@');
	if (at == NULL || memchr(authority, '/', (size_t)(at - authority)) != NULL)
		return strdup(url);
	colon = memchr(authority, ':', (size_t)(at - authority));
	if (colon == NULL)
		return strdup(url);

	display = malloc(strlen(url) + 4);
	if (display == NULL)
		return NULL;
	snprintf(display, strlen(url) + 4, "%.*s***%s", (int)(colon + 1 - url), url, at);
	return display;
}

/* Returns the length of the part of @p base that "../" never removes: the
 * "scheme://host" of a URL or the "host:" of the scp form. */
static size_t url_root_length(const char *base)
{
	size_t scheme = scheme_length(base);
	const char *colon;

	if (scheme > 0) {
		const char *slash = strchr(base + scheme + 3, '/');

		return slash != NULL ? (size_t)(slash - base) : strlen(base);
	}
	colon = scp_colon(base);
	return colon != NULL ? (size_t)(colon + 1 - base) : 0;
}

static int join_error(const char *base, const char *relative, repro_error *err)
{
	char *display = repro_repo_url_display(base);
	int result;

	result = repro_error_set(err, REPRO_EFORMAT, "submodule URL '%s' goes above the root of '%s'",
	                         relative, display != NULL ? display : "the origin URL");
	free(display);
	return result;
}

int repro_repo_url_join(const char *base, const char *relative, char **out, repro_error *err)
{
	size_t root = url_root_length(base);
	size_t length = strlen(base);
	const char *rest = relative;
	const char *separator;
	char *joined;

	*out = NULL;
	while (length > root + 1 && base[length - 1] == '/')
		length--;
	for (;;) {
		if (strncmp(rest, "./", 2) == 0) {
			rest += 2;
		} else if (strncmp(rest, "../", 3) == 0) {
			const char *slash;

			if (length <= root)
				return join_error(base, relative, err);
			slash = memrchr(base + root, '/', length - root);
			length = slash != NULL ? (size_t)(slash - base) : root;
			rest += 3;
		} else {
			break;
		}
	}
	if (rest[0] == '\0' || strcmp(rest, ".") == 0 || strcmp(rest, "..") == 0)
		return repro_error_set(err, REPRO_EFORMAT, "submodule URL '%s' names no repository",
		                       relative);

	/* The scp root "host:" takes the path directly, and a relative local
	 * path with all components removed has nothing to join to. */
	separator = "/";
	if (length == 0 || (length == root && base[length - 1] == ':'))
		separator = length == 0 && base[0] == '/' ? "/" : "";
	if (asprintf(&joined, "%.*s%s%s", (int)length, base, separator, rest) < 0)
		return repro_error_set(err, REPRO_ENOMEM, "joining submodule URL '%s' failed", relative);
	*out = joined;
	return REPRO_OK;
}

static int credentials_from_agent(git_credential **out, const char *url, const char *user,
                                  unsigned int allowed, void *payload)
{
	int *attempts = payload;

	(void)url;
	/* One attempt only: libgit2 calls again after a rejected key, and the
	 * agent would offer the same keys forever. */
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) != 0 && user != NULL && (*attempts)++ == 0)
		return git_credential_ssh_key_from_agent(out, user);
	return GIT_PASSTHROUGH;
}

/* Points HEAD at the branch the remote's HEAD names, or detaches it at the
 * remote's HEAD commit when that is not a branch. */
static int set_head_from_remote(git_repository *git, git_remote *remote)
{
	const git_remote_head **heads;
	git_buf branch = GIT_BUF_INIT;
	size_t count;
	int result;

	result = git_remote_default_branch(&branch, remote);
	if (result == 0) {
		result = git_repository_set_head(git, branch.ptr);
		git_buf_dispose(&branch);
		return result;
	}
	if (result != GIT_ENOTFOUND)
		return result;

	/* An empty remote has no HEAD, and the clone keeps an unborn one. */
	if (git_remote_ls(&heads, &count, remote) != 0)
		return 0;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(heads[i]->name, "HEAD") == 0 &&
		    git_repository_set_head_detached(git, &heads[i]->oid) == 0)
			return 0;
	}
	git_error_clear();
	return 0;
}

int repro_repo_fetch_into(git_repository **out, const char *url, const char *directory,
                          const char *action, repro_error *err)
{
	static char heads[] = "+refs/heads/*:refs/heads/*";
	static char tags[] = "+refs/tags/*:refs/tags/*";
	static char *fetched[] = {heads, tags};
	const git_strarray refspecs = {fetched, 2};
	struct stat info;
	git_remote_create_options create;
	git_fetch_options options;
	git_repository *git = NULL;
	git_remote *remote = NULL;
	int attempts = 0;
	int result = REPRO_OK;

	*out = NULL;
	/* libgit2 reports a missing local path as an unsupported protocol. */
	if (!repro_repo_url_is_remote(url) && stat(url, &info) != 0)
		return repro_error_set_errno(err, errno == ENOENT ? REPRO_ENOTFOUND : REPRO_EIO, errno,
		                             "%s failed", action);

	/* The URL is fetched as given: an anonymous remote keeps it out of the
	 * clone's configuration, and url.*.insteadOf from the caller's git
	 * configuration does not rewrite it. This also avoids libgit2 1.5's
	 * configuration regexes, which leak their match data on no match. */
	if (git_repository_init(&git, directory, 1) != 0) {
		result = repro_repo_git_error(err, REPRO_EIO, "%s failed: creating '%s' failed", action,
		                              directory);
		goto cleanup;
	}
	git_remote_create_options_init(&create, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	create.repository = git;
	create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, url, &create) != 0) {
		result = repro_repo_git_error(err, REPRO_ENETWORK, "%s failed", action);
		goto cleanup;
	}

	git_fetch_options_init(&options, GIT_FETCH_OPTIONS_VERSION);
	options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	options.update_fetchhead = 0;
	options.callbacks.credentials = credentials_from_agent;
	options.callbacks.payload = &attempts;
	if (git_remote_fetch(remote, &refspecs, &options, NULL) != 0 ||
	    set_head_from_remote(git, remote) != 0) {
		result = repro_repo_git_error(err, REPRO_ENETWORK, "%s failed", action);
		goto cleanup;
	}
	*out = git;
	git = NULL;

cleanup:
	git_remote_free(remote);
	git_repository_free(git);
	return result;
}

int repro_repo_temp_path(repro_repo *repo, const char *name, char **out, repro_error *err)
{
	int result;

	*out = NULL;
	if (repo->temp_dir == NULL) {
		result = repro_make_temp_dir("reprocheck-repo", &repo->temp_dir, err);
		if (result != REPRO_OK)
			return result;
	}
	if (asprintf(out, "%s/%s-%u", repo->temp_dir, name, repo->temp_serial++) < 0) {
		*out = NULL;
		return repro_error_set(err, REPRO_ENOMEM, "naming a temporary path failed");
	}
	return REPRO_OK;
}

/* Allocates an empty repository object and takes one libgit2 reference,
 * which repro_repo_free() gives back. */
static int repo_new(repro_repo **out, const char *location, repro_error *err)
{
	repro_repo *repo;
	int initialised;

	*out = NULL;
	if (location == NULL || location[0] == '\0')
		return repro_error_set(err, REPRO_EUSAGE, "no repository path or URL given");
	if (strlen(location) >= REPO_LOCATION_MAX)
		return repro_error_set(err, REPRO_EUSAGE,
			"repository path or URL '%.64s...' is longer than %d bytes", location,
			REPO_LOCATION_MAX - 1);

	repo = calloc(1, sizeof(*repo));
	if (repo == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "opening '%s' failed: out of memory", location);
	initialised = git_libgit2_init();
	if (initialised < 0) {
		free(repo);
		return repro_repo_git_error(err, REPRO_EIO, "initialising libgit2 failed");
	}
	repo->display = repro_repo_url_display(location);
	if (repo->display == NULL) {
		repro_repo_free(repo);
		return repro_error_set(err, REPRO_ENOMEM, "opening '%s' failed: out of memory", location);
	}
	*out = repo;
	return REPRO_OK;
}

/* Returns the absolute, symlink-free form of the local path @p path, or
 * REPRO_ENOTFOUND naming it. */
static int absolute_path(const char *path, char **out, repro_error *err)
{
	*out = realpath(path, NULL);
	if (*out != NULL)
		return REPRO_OK;
	if (errno == ENOENT || errno == ENOTDIR)
		return repro_error_set_errno(err, REPRO_ENOTFOUND, errno, "repository '%s' not found",
		                             path);
	return repro_error_set_errno(err, REPRO_EIO, errno, "opening repository '%s' failed", path);
}

int repro_repo_clone(repro_repo **out, const char *path_or_url, repro_error *err)
{
	repro_repo *repo = NULL;
	char *directory = NULL, *action = NULL;
	int result;

	*out = NULL;
	result = repo_new(&repo, path_or_url, err);
	if (result != REPRO_OK)
		return result;
	if (repro_repo_url_is_remote(path_or_url))
		repo->origin_url = strdup(path_or_url);
	else if ((result = absolute_path(path_or_url, &repo->origin_url, err)) != REPRO_OK)
		goto cleanup;
	if (repo->origin_url == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "cloning '%s' failed: out of memory",
		                         repo->display);
		goto cleanup;
	}
	repo->local_origin = repro_repo_url_is_local(repo->origin_url);
	repo->is_clone = 1;

	if (asprintf(&action, "cloning '%s'", repo->display) < 0) {
		action = NULL;
		result = repro_error_set(err, REPRO_ENOMEM, "cloning '%s' failed: out of memory",
		                         repo->display);
		goto cleanup;
	}
	result = repro_repo_temp_path(repo, "origin.git", &directory, err);
	if (result == REPRO_OK)
		result = repro_repo_fetch_into(&repo->git, repo->origin_url, directory, action, err);
	if (result != REPRO_OK)
		goto cleanup;
	repo->git_dir = directory;
	directory = NULL;
	*out = repo;
	repo = NULL;

cleanup:
	free(action);
	free(directory);
	repro_repo_free(repo);
	return result;
}

/* Stores the base of relative submodule URLs for a repository opened in
 * place: its origin remote's URL, as git uses, or else its own path. */
static int set_origin_url(repro_repo *repo, repro_error *err)
{
	git_config *config = NULL;
	const char *own, *url = NULL;

	/* The URL is read as a plain config value: git_remote_lookup() scans
	 * url.*.insteadOf with a regex, which leaks in libgit2 1.5.1. */
	if (git_repository_config_snapshot(&config, repo->git) == 0 &&
	    git_config_get_string(&url, config, "remote.origin.url") == 0 && url != NULL) {
		repo->origin_url = strdup(url);
	} else {
		own = git_repository_workdir(repo->git);
		if (own == NULL)
			own = git_repository_path(repo->git);
		repo->origin_url = strdup(own);
	}
	git_config_free(config);
	git_error_clear();
	if (repo->origin_url == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "opening '%s' failed: out of memory",
		                       repo->display);
	return REPRO_OK;
}

int repro_repo_open(repro_repo **out, const char *path_or_url, repro_error *err)
{
	repro_repo *repo = NULL;
	char *path = NULL;
	int result;

	*out = NULL;
	if (path_or_url != NULL && repro_repo_url_is_remote(path_or_url))
		return repro_repo_clone(out, path_or_url, err);
	result = repo_new(&repo, path_or_url, err);
	if (result != REPRO_OK)
		return result;
	result = absolute_path(path_or_url, &path, err);
	if (result != REPRO_OK)
		goto cleanup;

	result = git_repository_open_ext(&repo->git, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (result == GIT_ENOTFOUND) {
		result = repro_error_set(err, REPRO_ENOTFOUND, "'%s' is not a git repository",
		                         path_or_url);
		goto cleanup;
	}
	if (result != 0) {
		result = repro_repo_git_error(err, REPRO_EIO, "opening repository '%s' failed",
		                              path_or_url);
		goto cleanup;
	}
	repo->git_dir = strdup(git_repository_path(repo->git));
	repo->local_origin = 1;
	result = repo->git_dir == NULL ? repro_error_set(err, REPRO_ENOMEM, "out of memory")
	                               : set_origin_url(repo, err);
	if (result != REPRO_OK)
		goto cleanup;
	*out = repo;
	repo = NULL;

cleanup:
	free(path);
	repro_repo_free(repo);
	return result;
}

void repro_repo_free(repro_repo *repo)
{
	if (repo == NULL)
		return;
	for (size_t i = 0; i < repo->module_count; i++) {
		git_repository_free(repo->modules[i].git);
		free(repo->modules[i].url);
	}
	git_repository_free(repo->git);
	if (repo->temp_dir != NULL) {
		/* NOTE: a failed removal leaves the directory behind, and nothing
		 * reports it because this function returns nothing. */
		repro_remove_tree(repo->temp_dir, NULL);
		free(repo->temp_dir);
	}
	free(repo->git_dir);
	free(repo->origin_url);
	free(repo->display);
	free(repo);
	git_libgit2_shutdown();
}

const char *repro_repo_git_dir(const repro_repo *repo)
{
	return repo->git_dir;
}

int repro_repo_is_clone(const repro_repo *repo)
{
	return repo->is_clone;
}

int repro_repo_default_branch(repro_repo *repo, char *out, size_t size, repro_error *err)
{
	git_reference *head = NULL;
	const char *name;
	int result;

	if (size > 0)
		out[0] = '\0';
	result = git_repository_head(&head, repo->git);
	if (result == GIT_EUNBORNBRANCH || result == GIT_ENOTFOUND)
		return repro_error_set(err, REPRO_ENOTFOUND,
		                       "repository '%s' has no default branch: HEAD has no commit",
		                       repo->display);
	if (result != 0)
		return repro_repo_git_error(err, REPRO_EIO, "reading HEAD of '%s' failed",
		                            repo->display);

	name = git_repository_head_detached(repo->git) == 1 ? "HEAD" : git_reference_shorthand(head);
	if ((size_t)snprintf(out, size, "%s", name) >= size)
		result = repro_error_set(err, REPRO_ELIMIT, "branch name '%s' is longer than %zu bytes",
		                         name, size - 1);
	else
		result = REPRO_OK;
	git_reference_free(head);
	return result;
}

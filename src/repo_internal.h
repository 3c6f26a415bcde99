/*
 * Shared state of the repo module: the repository object, URL helpers and
 * the bare fetch that both clones and submodules use. Internal to the
 * library and its tests.
 */
#ifndef REPROCHECK_REPO_INTERNAL_H
#define REPROCHECK_REPO_INTERNAL_H

#include <stddef.h>

#include <git2.h>

#include <reprocheck/error.h>
#include <reprocheck/repo.h>

/* Maximum number of distinct submodule URLs fetched for one repository. */
#define REPRO_REPO_MODULES_MAX 256

/* A repository fetched from a submodule URL, kept for later checkouts. */
typedef struct repro_repo_module {
	char *url;
	git_repository *git;
} repro_repo_module;

struct repro_repo {
	git_repository *git;
	/* The path or URL as the caller gave it, with any password masked. */
	char *display;
	char *git_dir;
	/* The base of relative submodule URLs: the clone URL, the origin
	 * remote's URL, or the repository's own absolute path. */
	char *origin_url;
	/* Nonzero when the repository itself came from the local file system,
	 * which allows local submodule URLs. */
	int local_origin;
	/* The private directory of the clone and the fetched submodules, or
	 * NULL until one is needed. repro_repo_free() removes it. */
	char *temp_dir;
	int is_clone;
	unsigned int temp_serial;
	repro_repo_module modules[REPRO_REPO_MODULES_MAX];
	size_t module_count;
};

/*
 * Sets @p err to @p code with the formatted message, followed by ": " and
 * libgit2's last error message when there is one. Returns @p code.
 */
int repro_repo_git_error(repro_error *err, int code, const char *format, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* Returns nonzero when @p text is a URL ("scheme://..." or the scp form
 * "[user@]host:path") and not a local path. */
int repro_repo_url_is_remote(const char *text);

/* Returns nonzero when @p url names the local file system: a path or a
 * file:// URL. */
int repro_repo_url_is_local(const char *url);

/*
 * Resolves the submodule URL @p relative, which starts with "./" or "../",
 * against @p base as git does: each "../" removes one path component of
 * @p base. @p out receives a malloc()ed URL the caller frees. Removing more
 * components than @p base has is REPRO_EFORMAT.
 */
int repro_repo_url_join(const char *base, const char *relative, char **out, repro_error *err);

/*
 * Returns a malloc()ed copy of @p url with the password of a
 * "scheme://user:password@host" URL replaced by "***", for messages.
 * Returns NULL when out of memory.
 */
char *repro_repo_url_display(const char *url);

/*
 * Creates a bare repository at @p directory and fetches every branch of
 * @p url (as refs/heads/NAME) and every tag into it, then points HEAD at
 * the remote's HEAD. The caller frees @p out with git_repository_free().
 * A failed fetch is REPRO_ENETWORK with the message "ACTION failed: " and
 * libgit2's message, where @p action names the work ("cloning 'URL'").
 */
int repro_repo_fetch_into(git_repository **out, const char *url, const char *directory,
                          const char *action, repro_error *err);

/*
 * Returns in @p out a malloc()ed path inside the repository's private
 * temporary directory, which is created on first use, ending in @p name
 * and a serial number so that every call gets a new path.
 */
int repro_repo_temp_path(repro_repo *repo, const char *name, char **out, repro_error *err);

#endif

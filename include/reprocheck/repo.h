/**
 * @file reprocheck/repo.h
 * @brief Git repositories: opening or cloning, resolving tags and revisions,
 *        checking a commit out into a build tree, and reading one file.
 *
 * A repository given as a local path is opened in place. A URL (https, ssh,
 * git, file, or the scp form `user@host:path`) is cloned into a private
 * temporary directory that repro_repo_free() removes. Objects are read with
 * libgit2, so no git command runs and the caller's work tree is never
 * changed.
 */
#ifndef REPROCHECK_REPO_H
#define REPROCHECK_REPO_H

#include <stddef.h>

#include <reprocheck/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct repro_repo repro_repo;

/** Size of a tag name buffer, including the NUL; longer names are rejected. */
#define REPRO_REPO_NAME_MAX 256
/** Size of a hexadecimal SHA-1 object id and its NUL. */
#define REPRO_REPO_OID_MAX 41

/** A resolved tag or revision. */
typedef struct repro_repo_revision {
	/** The tag name without "refs/tags/"; empty unless @c is_tag. */
	char tag[REPRO_REPO_NAME_MAX];
	/** Nonzero when the revision was named as a tag. */
	int is_tag;
	/** Nonzero when the tag is an annotated tag object. */
	int annotated;
	/** The id of the annotated tag object; empty for a lightweight tag. */
	char tag_id[REPRO_REPO_OID_MAX];
	/** The commit that the tag or revision resolves to. */
	char commit_id[REPRO_REPO_OID_MAX];
	/** The commit's root tree. */
	char tree_id[REPRO_REPO_OID_MAX];
	/** The committer time in seconds since the epoch: SOURCE_DATE_EPOCH. */
	long long commit_time;
} repro_repo_revision;

/**
 * Opens the repository at @p path_or_url. A local path to a work tree or a
 * bare repository is opened in place, without searching parent directories.
 * A URL is cloned as repro_repo_clone() does. A missing path, or a path that
 * is not a repository, is REPRO_ENOTFOUND naming the path.
 * The caller frees @p out with repro_repo_free().
 */
int repro_repo_open(repro_repo **out, const char *path_or_url, repro_error *err);

/**
 * Clones @p path_or_url, a URL or a local path, into a private temporary
 * directory as a bare repository: every branch (as refs/heads/NAME), every
 * tag, and HEAD set to the origin's HEAD. The URL is used as given, without
 * url.*.insteadOf rewriting. SSH keys come from ssh-agent. A failed clone
 * is REPRO_ENETWORK with libgit2's message (REPRO_ENOTFOUND for a missing
 * local path) and leaves no directory behind. The caller frees @p out with
 * repro_repo_free(), which removes the clone.
 */
int repro_repo_clone(repro_repo **out, const char *path_or_url, repro_error *err);

/**
 * Frees @p repo and removes its temporary clone and the submodules fetched
 * for checkouts. NULL is allowed.
 */
void repro_repo_free(repro_repo *repo);

/**
 * Returns the directory that contains the repository's git data (for a
 * clone, inside its temporary directory). The string belongs to @p repo.
 */
const char *repro_repo_git_dir(const repro_repo *repo);

/**
 * Returns nonzero when @p repo is a temporary clone that repro_repo_free()
 * removes.
 */
int repro_repo_is_clone(const repro_repo *repo);

/**
 * Writes the name of the default branch into @p out, which has room for
 * @p size bytes: the branch that HEAD names ("main"), or "HEAD" when HEAD is
 * detached. For a clone, HEAD is the origin's HEAD at clone time. An unborn
 * or missing HEAD is REPRO_ENOTFOUND.
 */
int repro_repo_default_branch(repro_repo *repo, char *out, size_t size, repro_error *err);

/**
 * Resolves the tag @p tag, annotated or lightweight, to its commit and
 * fills @p out. An unknown tag is REPRO_ENOTFOUND, and the message lists up
 * to 10 existing tags. A name that is a branch or a commit id instead is
 * REPRO_EUSAGE, and the message suggests passing it as a revision. A tag that
 * points to a tree or a blob is REPRO_EUNSUPPORTED.
 */
int repro_repo_resolve_tag(repro_repo *repo, const char *tag, repro_repo_revision *out,
                           repro_error *err);

/**
 * Resolves any git revision @p revspec (a branch, a tag, a commit id,
 * "main~2", ...) to a commit and fills @p out. A revspec that is exactly the
 * name of a tag is resolved as repro_repo_resolve_tag() does, so @p out
 * records the tag. An unknown revision is REPRO_ENOTFOUND, a malformed or
 * ambiguous one REPRO_EUSAGE.
 */
int repro_repo_resolve_revision(repro_repo *repo, const char *revspec, repro_repo_revision *out,
                                repro_error *err);

/**
 * Writes the tree of the commit @p revision->commit_id into @p directory,
 * which must not exist or be empty (REPRO_EUSAGE otherwise): regular files
 * with mode 0644 or 0755 as git records them, whatever the umask, symbolic
 * links as links, directories with mode 0755, submodules fetched from the
 * URLs in the commit's .gitmodules and written at their recorded commits,
 * and no .git anywhere. Every mtime, the directory's own included, is
 * @p revision->commit_time. File contents are the bytes stored in git,
 * without end-of-line conversion or filters. An entry named ".git" (in any
 * case) or "..", and a local submodule URL in a repository that came from
 * a server, are REPRO_EUNSAFE. On failure everything written is removed
 * again, and a directory the call created is removed too.
 */
int repro_repo_checkout(repro_repo *repo, const repro_repo_revision *revision,
                        const char *directory, repro_error *err);

/** Options of repro_repo_checkout_with_options(). */
typedef struct repro_repo_checkout_options {
	/** Nonzero creates the entries of each directory in reverse name order
	 *  instead of git's order. File systems that list a directory by
	 *  creation order, such as tmpfs, then
	 *  list it the other way round; ext4 lists by name hash either way. The
	 *  files written are the same. */
	int reverse_order;
} repro_repo_checkout_options;

/**
 * Writes a commit's tree as repro_repo_checkout() does, changed by
 * @p options (may be NULL for the defaults).
 */
int repro_repo_checkout_with_options(repro_repo *repo, const repro_repo_revision *revision,
                                     const char *directory,
                                     const repro_repo_checkout_options *options, repro_error *err);

/**
 * Reads the file @p path (relative to the repository root) from the
 * revision @p revspec, or from the default branch when @p revspec is NULL,
 * without checking anything out. A missing file is REPRO_ENOTFOUND, a file
 * larger than @p max_bytes REPRO_ELIMIT (checked before the content is
 * loaded), and a directory, symbolic link or submodule REPRO_EFORMAT.
 * @p out receives a malloc()ed buffer with a NUL after the last byte, which
 * the caller frees; @p size excludes the NUL.
 */
int repro_repo_read_file(repro_repo *repo, const char *revspec, const char *path,
                         size_t max_bytes, unsigned char **out, size_t *size, repro_error *err);

#ifdef __cplusplus
}
#endif

#endif

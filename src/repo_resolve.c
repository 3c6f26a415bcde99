#include "repo_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Maximum length of a revspec, in bytes. */
#define REVSPEC_MAX 1024
/* Tags listed in the message for an unknown tag. */
#define LISTED_TAGS_MAX 10
/* Maximum number of tag objects followed from one tag. */
#define TAG_CHAIN_MAX 16
/* Maximum length of a path read by repro_repo_read_file(), in bytes. */
#define FILE_PATH_MAX 4096

static void format_oid(char out[REPRO_REPO_OID_MAX], const git_oid *oid)
{
	git_oid_tostr(out, REPRO_REPO_OID_MAX, oid);
}

static void fill_from_commit(repro_repo_revision *out, const git_commit *commit)
{
	format_oid(out->commit_id, git_commit_id(commit));
	format_oid(out->tree_id, git_commit_tree_id(commit));
	out->commit_time = (long long)git_commit_committer(commit)->when.time;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fills @p err for the unknown tag @p tag with the first existing tags in
 * byte order. */
static int tag_not_found(repro_repo *repo, const char *tag, repro_error *err)
{
	git_strarray names = {NULL, 0};
	char listed[REPRO_ERROR_MESSAGE_MAX] = "";
	size_t used = 0;

	if (git_tag_list(&names, repo->git) != 0)
		return repro_repo_git_error(err, REPRO_ENOTFOUND, "tag '%s' not found in '%s'", tag,
		                            repo->display);
	if (names.count == 0) {
		git_strarray_dispose(&names);
		return repro_error_set(err, REPRO_ENOTFOUND,
		                       "tag '%s' not found: repository '%s' has no tags", tag,
		                       repo->display);
	}

	qsort(names.strings, names.count, sizeof(*names.strings), compare_names);
	for (size_t i = 0; i < names.count && i < LISTED_TAGS_MAX && used < sizeof(listed); i++)
		used += (size_t)snprintf(listed + used, sizeof(listed) - used, "%s%s", i ? ", " : "",
		                         names.strings[i]);
	if (names.count > LISTED_TAGS_MAX && used < sizeof(listed))
		snprintf(listed + used, sizeof(listed) - used, " and %zu more",
		         names.count - LISTED_TAGS_MAX);
	git_strarray_dispose(&names);
	return repro_error_set(err, REPRO_ENOTFOUND, "tag '%s' not found, existing tags: %s", tag,
	                       listed);
}

/* Fills @p err for a name that is no tag: either another kind of revision,
 * which the caller should pass as one, or nothing at all. */
static int not_a_tag(repro_repo *repo, const char *name, repro_error *err)
{
	git_reference *branch = NULL;
	git_object *object = NULL;
	const char *kind;
	int result;

	if (git_revparse_single(&object, repo->git, name) != 0) {
		git_error_clear();
		return tag_not_found(repo, name, err);
	}
	if (git_branch_lookup(&branch, repo->git, name, GIT_BRANCH_LOCAL) == 0)
		kind = "branch";
	else
		kind = git_object_type2string(git_object_type(object));
	git_error_clear();
	result = repro_error_set(err, REPRO_EUSAGE,
		"'%s' is a %s, not a tag: to build it, pass it as a revision (--rev '%s')", name, kind,
		name);
	git_reference_free(branch);
	git_object_free(object);
	return result;
}

/* Follows the tag objects from @p object to a commit, recording the first
 * tag object when there is one. Takes ownership of @p object. */
static int peel_tag_target(const char *tag, git_object *object,
                           repro_repo_revision *out, repro_error *err)
{
	int result = REPRO_OK;

	for (int depth = 0; git_object_type(object) == GIT_OBJECT_TAG; depth++) {
		git_object *target = NULL;

		if (depth == 0) {
			out->annotated = 1;
			format_oid(out->tag_id, git_object_id(object));
		}
		if (depth == TAG_CHAIN_MAX) {
			result = repro_error_set(err, REPRO_ELIMIT,
				"tag '%s' is a chain of more than %d tag objects", tag, TAG_CHAIN_MAX);
			goto cleanup;
		}
		if (git_tag_target(&target, (git_tag *)object) != 0) {
			result = repro_repo_git_error(err, REPRO_EFORMAT, "reading tag '%s' failed", tag);
			goto cleanup;
		}
		git_object_free(object);
		object = target;
	}
	if (git_object_type(object) != GIT_OBJECT_COMMIT) {
		result = repro_error_set(err, REPRO_EUNSUPPORTED,
			"tag '%s' points to a %s, not a commit: only a tagged commit can be built", tag,
			git_object_type2string(git_object_type(object)));
		goto cleanup;
	}
	fill_from_commit(out, (git_commit *)object);

cleanup:
	git_object_free(object);
	return result;
}

/* Checks that @p tag can be a tag name and writes "refs/tags/TAG". */
static int tag_reference_name(const char *tag, char *out, size_t size, repro_error *err)
{
	int valid = 0;

	if (tag == NULL || tag[0] == '\0')
		return repro_error_set(err, REPRO_EUSAGE, "no tag name given");
	if (strlen(tag) >= REPRO_REPO_NAME_MAX)
		return repro_error_set(err, REPRO_EUSAGE, "tag name '%.64s...' is longer than %d bytes",
		                       tag, REPRO_REPO_NAME_MAX - 1);
	snprintf(out, size, "refs/tags/%s", tag);
	if (git_reference_name_is_valid(&valid, out) != 0 || !valid) {
		git_error_clear();
		return repro_error_set(err, REPRO_EUSAGE, "'%s' is not a valid tag name", tag);
	}
	return REPRO_OK;
}

int repro_repo_resolve_tag(repro_repo *repo, const char *tag, repro_repo_revision *out,
                           repro_error *err)
{
	char name[REPRO_REPO_NAME_MAX + sizeof("refs/tags/")];
	git_reference *reference = NULL, *resolved = NULL;
	git_object *object = NULL;
	int result;

	memset(out, 0, sizeof(*out));
	result = tag_reference_name(tag, name, sizeof(name), err);
	if (result != REPRO_OK)
		return result;

	result = git_reference_lookup(&reference, repo->git, name);
	if (result == GIT_ENOTFOUND)
		return not_a_tag(repo, tag, err);
	if (result != 0)
		return repro_repo_git_error(err, REPRO_EIO, "reading tag '%s' failed", tag);
	result = git_reference_resolve(&resolved, reference);
	if (result == 0)
		result = git_object_lookup(&object, repo->git, git_reference_target(resolved),
		                           GIT_OBJECT_ANY);
	git_reference_free(resolved);
	git_reference_free(reference);
	if (result != 0)
		return repro_repo_git_error(err, REPRO_EFORMAT, "reading tag '%s' failed", tag);

	snprintf(out->tag, sizeof(out->tag), "%s", tag);
	out->is_tag = 1;
	result = peel_tag_target(tag, object, out, err);
	if (result != REPRO_OK)
		memset(out, 0, sizeof(*out));
	return result;
}

/* Maps a failed git_revparse_single() on @p revspec to a repro code. */
static int revparse_error(int result, const char *revspec, repro_error *err)
{
	switch (result) {
	case GIT_ENOTFOUND:
		return repro_error_set(err, REPRO_ENOTFOUND, "revision '%s' not found", revspec);
	case GIT_EAMBIGUOUS:
		return repro_repo_git_error(err, REPRO_EUSAGE, "revision '%s' is ambiguous", revspec);
	case GIT_EINVALIDSPEC:
		return repro_repo_git_error(err, REPRO_EUSAGE, "invalid revision '%s'", revspec);
	default:
		return repro_repo_git_error(err, REPRO_EIO, "resolving revision '%s' failed", revspec);
	}
}

/* Returns nonzero when @p revspec is exactly the name of an existing tag. */
static int is_tag_name(repro_repo *repo, const char *revspec)
{
	char name[REPRO_REPO_NAME_MAX + sizeof("refs/tags/")];
	git_reference *reference = NULL;
	int found;

	if (strlen(revspec) >= REPRO_REPO_NAME_MAX ||
	    tag_reference_name(revspec, name, sizeof(name), NULL) != REPRO_OK)
		return 0;
	found = git_reference_lookup(&reference, repo->git, name) == 0;
	git_reference_free(reference);
	git_error_clear();
	return found;
}

/* Parses @p revspec and follows tag objects to the first other object.
 * The caller frees @p out with git_object_free(). */
static int parse_revision(repro_repo *repo, const char *revspec, git_object **out,
                          repro_error *err)
{
	git_object *object = NULL, *peeled = NULL;
	int result;

	*out = NULL;
	result = git_revparse_single(&object, repo->git, revspec);
	if (result != 0)
		return revparse_error(result, revspec, err);
	if (git_object_type(object) == GIT_OBJECT_TAG) {
		result = git_object_peel(&peeled, object, GIT_OBJECT_ANY);
		git_object_free(object);
		if (result != 0)
			return repro_repo_git_error(err, REPRO_EFORMAT, "reading revision '%s' failed",
			                            revspec);
		object = peeled;
	}
	*out = object;
	return REPRO_OK;
}

int repro_repo_resolve_revision(repro_repo *repo, const char *revspec, repro_repo_revision *out,
                                repro_error *err)
{
	git_object *object = NULL;
	int result;

	memset(out, 0, sizeof(*out));
	if (revspec == NULL || revspec[0] == '\0')
		return repro_error_set(err, REPRO_EUSAGE, "no revision given");
	if (strlen(revspec) >= REVSPEC_MAX)
		return repro_error_set(err, REPRO_EUSAGE, "revision '%.64s...' is longer than %d bytes",
		                       revspec, REVSPEC_MAX - 1);
	if (is_tag_name(repo, revspec))
		return repro_repo_resolve_tag(repo, revspec, out, err);

	result = parse_revision(repo, revspec, &object, err);
	if (result != REPRO_OK)
		return result;
	if (git_object_type(object) != GIT_OBJECT_COMMIT)
		result = repro_error_set(err, REPRO_EUNSUPPORTED,
			"revision '%s' is a %s, not a commit: only a commit can be built", revspec,
			git_object_type2string(git_object_type(object)));
	else
		fill_from_commit(out, (git_commit *)object);
	git_object_free(object);
	return result;
}

/* Checks that @p path is a relative path without empty, "." or ".."
 * components. */
static int check_file_path(const char *path, repro_error *err)
{
	const char *component = path;

	if (path == NULL || path[0] == '\0')
		return repro_error_set(err, REPRO_EUSAGE, "no file path given");
	if (strlen(path) >= FILE_PATH_MAX)
		return repro_error_set(err, REPRO_EUSAGE, "file path '%.64s...' is longer than %d bytes",
		                       path, FILE_PATH_MAX - 1);
	for (;;) {
		size_t length = strcspn(component, "/");

		if (length == 0 || (length == 1 && component[0] == '.') ||
		    (length == 2 && component[0] == '.' && component[1] == '.'))
			return repro_error_set(err, REPRO_EUSAGE,
				"invalid file path '%s': it must be relative to the repository root, "
				"without empty, '.' or '..' components", path);
		if (component[length] == '\0')
			return REPRO_OK;
		component += length + 1;
	}
}

/* Looks @p path up in the tree of @p revspec, or of HEAD, and checks that
 * it is a regular file. @p where receives the revision's description. */
static int find_file_entry(repro_repo *repo, const char *revspec, const char *path,
                           git_tree_entry **out, char *where, size_t where_size,
                           repro_error *err)
{
	git_object *object = NULL, *tree = NULL;
	char branch[REPRO_REPO_NAME_MAX];
	int result;

	*out = NULL;
	if (revspec == NULL) {
		result = repro_repo_default_branch(repo, branch, sizeof(branch), err);
		if (result != REPRO_OK)
			return result;
		snprintf(where, where_size, "the default branch '%s'", branch);
	} else {
		snprintf(where, where_size, "revision '%s'", revspec);
	}
	result = parse_revision(repo, revspec != NULL ? revspec : "HEAD", &object, err);
	if (result != REPRO_OK)
		return result;
	if (git_object_peel(&tree, object, GIT_OBJECT_TREE) != 0) {
		result = repro_error_set(err, REPRO_EUNSUPPORTED, "%s is a %s, not a commit or tree",
		                         where, git_object_type2string(git_object_type(object)));
		goto cleanup;
	}

	result = git_tree_entry_bypath(out, (git_tree *)tree, path);
	if (result == GIT_ENOTFOUND) {
		result = repro_error_set(err, REPRO_ENOTFOUND, "'%s' not found in %s", path, where);
		goto cleanup;
	}
	if (result != 0) {
		result = repro_repo_git_error(err, REPRO_EIO, "reading '%s' from %s failed", path, where);
		goto cleanup;
	}
	switch (git_tree_entry_filemode(*out)) {
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		result = REPRO_OK;
		break;
	case GIT_FILEMODE_LINK:
		result = repro_error_set(err, REPRO_EFORMAT, "'%s' in %s is a symbolic link, not a file",
		                         path, where);
		break;
	case GIT_FILEMODE_COMMIT:
		result = repro_error_set(err, REPRO_EFORMAT, "'%s' in %s is a submodule, not a file",
		                         path, where);
		break;
	default:
		result = repro_error_set(err, REPRO_EFORMAT, "'%s' in %s is a directory, not a file",
		                         path, where);
		break;
	}
	if (result != REPRO_OK) {
		git_tree_entry_free(*out);
		*out = NULL;
	}

cleanup:
	git_object_free(tree);
	git_object_free(object);
	return result;
}

int repro_repo_read_file(repro_repo *repo, const char *revspec, const char *path,
                         size_t max_bytes, unsigned char **out, size_t *size, repro_error *err)
{
	git_tree_entry *entry = NULL;
	git_odb *odb = NULL;
	git_blob *blob = NULL;
	git_object_t type;
	size_t length = 0;
	char where[REPRO_REPO_NAME_MAX + REVSPEC_MAX];
	int result;

	*out = NULL;
	*size = 0;
	result = check_file_path(path, err);
	if (result == REPRO_OK)
		result = find_file_entry(repo, revspec, path, &entry, where, sizeof(where), err);
	if (result != REPRO_OK)
		return result;

	/* The size comes from the object header, so an oversized blob is
	 * rejected before libgit2 loads it into memory. */
	if (git_repository_odb(&odb, repo->git) != 0 ||
	    git_odb_read_header(&length, &type, odb, git_tree_entry_id(entry)) != 0) {
		result = repro_repo_git_error(err, REPRO_EIO, "reading '%s' from %s failed", path, where);
		goto cleanup;
	}
	if (length > max_bytes) {
		result = repro_error_set(err, REPRO_ELIMIT, "'%s' in %s is %zu bytes, more than the "
		                         "limit of %zu", path, where, length, max_bytes);
		goto cleanup;
	}
	if (git_blob_lookup(&blob, repo->git, git_tree_entry_id(entry)) != 0) {
		result = repro_repo_git_error(err, REPRO_EIO, "reading '%s' from %s failed", path, where);
		goto cleanup;
	}

	length = (size_t)git_blob_rawsize(blob);
	if (length > max_bytes) {
		result = repro_error_set(err, REPRO_ELIMIT, "'%s' in %s is more than the limit of %zu "
		                         "bytes", path, where, max_bytes);
		goto cleanup;
	}
	*out = malloc(length + 1);
	if (*out == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "reading '%s' from %s failed: out of memory",
		                         path, where);
		goto cleanup;
	}
	memcpy(*out, git_blob_rawcontent(blob), length);
	(*out)[length] = '\0';
	*size = length;

cleanup:
	git_blob_free(blob);
	git_odb_free(odb);
	git_tree_entry_free(entry);
	return result;
}

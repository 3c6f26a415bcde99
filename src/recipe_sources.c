#include <reprocheck/recipe.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <reprocheck/json.h>

#include "syntax_internal.h"

/* Directories open at once while resolving one source. */
#define MAX_DEPTH 256
/* Room for the components still to resolve after symbolic links expand. */
#define PENDING_MAX (2 * REPRO_RECIPE_MAX_PATH)

/*
 * State of one resolution. stack[0] is the tree itself, owned by the
 * caller; stack[1..depth] are the directories walked into, opened with
 * O_PATH | O_NOFOLLOW so that none of them is a symbolic link. The source
 * is resolved physically: `..` pops the stack, and a symbolic link's target
 * replaces the link in the components still pending.
 */
typedef struct resolver {
	const char *from;
	int stack[MAX_DEPTH + 1];
	unsigned int depth;
	char pending[PENDING_MAX + 1];
	size_t position;
	unsigned int links;
	char link_name[256];
	char link_target[256];
	int leaf;           /* an O_PATH descriptor of a final non-directory, or -1 */
	char leaf_name[256];
} resolver;

/* Copies the next component of the pending path into @p name and advances.
 * Returns false when nothing is left. */
static bool next_component(resolver *state, char *name, size_t name_size, size_t *length)
{
	const char *cursor = state->pending + state->position;
	const char *end;

	while (*cursor == '/')
		cursor++;
	if (*cursor == '\0')
		return false;
	end = strchr(cursor, '/');
	*length = end ? (size_t)(end - cursor) : strlen(cursor);
	snprintf(name, name_size, "%.*s", (int)*length, cursor);
	state->position = (size_t)(cursor - state->pending) + *length;
	return true;
}

static bool nothing_pending(const resolver *state)
{
	const char *cursor = state->pending + state->position;

	while (*cursor == '/')
		cursor++;
	return *cursor == '\0';
}

static int leave_error(const resolver *state, repro_error *err)
{
	if (state->links == 0)
		return repro_error_set(err, REPRO_EUNSAFE,
			"source '%.*s' leaves the build tree through '..'", REPRO_SYNTAX_ECHO_MAX, state->from);
	return repro_error_set(err, REPRO_EUNSAFE,
		"source '%.*s' leaves the build tree through the symbolic link '%s' -> '%s'",
		REPRO_SYNTAX_ECHO_MAX, state->from, state->link_name, state->link_target);
}

/* Replaces the symbolic link @p fd, named @p name, by its target in the
 * pending components. */
static int expand_link(resolver *state, int fd, const char *name, repro_error *err)
{
	char target[REPRO_RECIPE_MAX_PATH + 1];
	char joined[PENDING_MAX + 1];
	ssize_t length;
	int written;

	if (++state->links > REPRO_RECIPE_MAX_SYMLINKS)
		return repro_error_set(err, REPRO_ELIMIT,
			"source '%.*s' passes through more than %d symbolic links",
			REPRO_SYNTAX_ECHO_MAX, state->from, REPRO_RECIPE_MAX_SYMLINKS);
	length = readlinkat(fd, "", target, sizeof(target));
	if (length < 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "reading the symbolic link '%s' failed",
		                             name);
	if ((size_t)length >= sizeof(target) || length == 0)
		return repro_error_set(err, REPRO_ELIMIT,
			"the symbolic link '%s' has an empty target or one longer than %d bytes",
			name, REPRO_RECIPE_MAX_PATH);
	target[length] = '\0';
	snprintf(state->link_name, sizeof(state->link_name), "%s", name);
	snprintf(state->link_target, sizeof(state->link_target), "%s", target);

	/* An absolute target names the host's root, never the tree's. */
	if (target[0] == '/')
		return leave_error(state, err);
	written = snprintf(joined, sizeof(joined), "%s/%s", target, state->pending + state->position);
	if (written < 0 || (size_t)written >= sizeof(joined))
		return repro_error_set(err, REPRO_ELIMIT,
			"source '%.*s' expands to more than %d bytes through symbolic links",
			REPRO_SYNTAX_ECHO_MAX, state->from, PENDING_MAX);
	memcpy(state->pending, joined, (size_t)written + 1);
	state->position = 0;
	return REPRO_OK;
}

static int open_component(resolver *state, const char *name, repro_error *err)
{
	int fd = openat(state->stack[state->depth], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat info;
	int result = REPRO_OK;

	if (fd < 0 && errno == ENOENT)
		return repro_error_set(err, REPRO_ENOTFOUND, "source '%.*s' not found in the build tree",
		                       REPRO_SYNTAX_ECHO_MAX, state->from);
	if (fd < 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "opening source '%.*s' failed",
		                             REPRO_SYNTAX_ECHO_MAX, state->from);
	if (fstat(fd, &info) != 0) {
		result = repro_error_set_errno(err, REPRO_EIO, errno, "reading source '%.*s' failed",
		                               REPRO_SYNTAX_ECHO_MAX, state->from);
	} else if (S_ISLNK(info.st_mode)) {
		result = expand_link(state, fd, name, err);
	} else if (S_ISDIR(info.st_mode)) {
		if (state->depth == MAX_DEPTH) {
			result = repro_error_set(err, REPRO_ELIMIT, "source '%.*s' is nested deeper than %d directories",
			                         REPRO_SYNTAX_ECHO_MAX, state->from, MAX_DEPTH);
		} else {
			state->stack[++state->depth] = fd;
			return REPRO_OK;
		}
	} else if (!nothing_pending(state)) {
		result = repro_error_set(err, REPRO_ENOTFOUND,
			"source '%.*s' not found in the build tree: '%s' is not a directory",
			REPRO_SYNTAX_ECHO_MAX, state->from, name);
	} else {
		state->leaf = fd;
		snprintf(state->leaf_name, sizeof(state->leaf_name), "%s", name);
		return REPRO_OK;
	}
	close(fd);
	return result;
}

static int resolve(resolver *state, repro_error *err)
{
	char name[256];
	size_t length;

	while (next_component(state, name, sizeof(name), &length)) {
		int result;

		if (length >= sizeof(name))
			return repro_error_set(err, REPRO_ELIMIT, "source '%.*s' has a component longer than 255 bytes",
			                       REPRO_SYNTAX_ECHO_MAX, state->from);
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (state->depth == 0)
				return leave_error(state, err);
			close(state->stack[state->depth--]);
			continue;
		}
		result = open_component(state, name, err);
		if (result != REPRO_OK)
			return result;
	}
	return REPRO_OK;
}

static const char *type_name(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a named pipe";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "a special file";
}

/* Opens the resolved object for reading and checks its type. A regular file
 * is reopened by name under O_NOFOLLOW and must be the same inode. */
static int open_result(resolver *state, bool want_directory, int *out, repro_error *err)
{
	int parent = state->stack[state->depth];
	struct stat before, after;
	int fd;

	if (state->leaf < 0) {
		fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return repro_error_set_errno(err, REPRO_EIO, errno, "opening source '%.*s' failed",
			                             REPRO_SYNTAX_ECHO_MAX, state->from);
		*out = fd;
		return REPRO_OK;
	}
	if (fstat(state->leaf, &before) != 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "reading source '%.*s' failed",
		                             REPRO_SYNTAX_ECHO_MAX, state->from);
	if (want_directory)
		return repro_error_set(err, REPRO_EFORMAT,
			"source '%.*s' ends in '/' but is not a directory", REPRO_SYNTAX_ECHO_MAX, state->from);
	if (!S_ISREG(before.st_mode))
		return repro_error_set(err, REPRO_EFORMAT,
			"source '%.*s' is %s; only regular files and directories can be copied",
			REPRO_SYNTAX_ECHO_MAX, state->from, type_name(before.st_mode));

	fd = openat(parent, state->leaf_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "opening source '%.*s' failed",
		                             REPRO_SYNTAX_ECHO_MAX, state->from);
	if (fstat(fd, &after) != 0 || after.st_dev != before.st_dev || after.st_ino != before.st_ino) {
		close(fd);
		return repro_error_set(err, REPRO_EIO, "source '%.*s' changed while it was opened",
		                       REPRO_SYNTAX_ECHO_MAX, state->from);
	}
	*out = fd;
	return REPRO_OK;
}

int repro_recipe_open_source(int tree_fd, const char *from, int *out, repro_error *err)
{
	resolver state;
	size_t length = strlen(from);
	int result;

	*out = -1;
	memset(&state, 0, sizeof(state));
	state.from = from;
	state.stack[0] = tree_fd;
	state.leaf = -1;
	result = repro_syntax_check_relative_path(from, REPRO_RECIPE_MAX_PATH, "source", err);
	if (result != REPRO_OK)
		return result;
	memcpy(state.pending, from, length + 1);

	result = resolve(&state, err);
	if (result == REPRO_OK)
		result = open_result(&state, length > 0 && from[length - 1] == '/', out, err);

	if (state.leaf >= 0)
		close(state.leaf);
	while (state.depth > 0)
		close(state.stack[state.depth--]);
	return result;
}

int repro_recipe_check_sources(const repro_recipe *recipe, const char *build_tree,
                               repro_error *err)
{
	int tree = open(build_tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int result = REPRO_OK;

	if (tree < 0)
		return repro_error_set_errno(err, errno == ENOENT ? REPRO_ENOTFOUND : REPRO_EIO, errno,
		                             "opening the build tree '%s' failed", build_tree);
	for (size_t i = 0; i < recipe->image_count && result == REPRO_OK; i++) {
		const repro_recipe_image *image = &recipe->images[i];

		for (size_t j = 0; j < image->layer_count && result == REPRO_OK; j++) {
			for (size_t k = 0; k < image->layers[j].copy_count && result == REPRO_OK; k++) {
				int fd;

				result = repro_recipe_open_source(tree, image->layers[j].copies[k].from, &fd, err);
				if (result == REPRO_OK)
					close(fd);
				else
					repro_error_prefix(err, "'images[%zu].layers[%zu].copy[%zu].from'", i, j, k);
			}
		}
	}
	close(tree);
	return result;
}

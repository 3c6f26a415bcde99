/*
 * Collecting and ordering what a layer writer will write: host files are
 * walked when added, and the plan is sorted and completed (parent
 * directories, hard links) when the layer is finished.
 */
#include "layer_internal.h"
#include "layer_write_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void repro_layer_write_options_init(repro_layer_write_options *options)
{
	memset(options, 0, sizeof(*options));
	options->compression = REPRO_COMPRESSION_GZIP;
	options->algorithm = REPRO_DIGEST_SHA256;
}

int repro_layer_writer_new(repro_layer_writer **out, const repro_layer_write_options *options,
                           repro_error *err)
{
	repro_layer_writer *writer = calloc(1, sizeof(*writer));

	*out = NULL;
	if (writer == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating a layer writer failed");
	if (options != NULL)
		writer->options = *options;
	else
		repro_layer_write_options_init(&writer->options);
	if (writer->options.level == 0)
		writer->options.level = writer->options.compression == REPRO_COMPRESSION_ZSTD
		                            ? 3 : REPRO_LAYER_DEFAULT_GZIP_LEVEL;
	*out = writer;
	return REPRO_OK;
}

void repro_layer_plan_dispose(repro_layer_writer *writer)
{
	for (size_t i = 0; i < writer->entry_count; i++) {
		free(writer->entries[i].path);
		free(writer->entries[i].host_path);
		free(writer->entries[i].symlink_target);
	}
	free(writer->entries);
	writer->entries = NULL;
	writer->entry_count = 0;
	writer->entry_capacity = 0;
}

void repro_layer_writer_free(repro_layer_writer *writer)
{
	if (writer == NULL)
		return;
	repro_layer_plan_dispose(writer);
	free(writer);
}

/* Cleans @p image_path into a new string; a ".." component is REPRO_EUNSAFE. */
static int clean_image_path(const char *image_path, char **out, repro_error *err)
{
	int absolute, has_parent;
	char *clean = repro_layer_clean_path(image_path, &absolute, &has_parent);
	size_t used;

	*out = NULL;
	if (clean == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying image path '%s' failed", image_path);
	if (has_parent) {
		free(clean);
		return repro_error_set(err, REPRO_EUNSAFE,
		                       "image path '%s' has a '..' component", image_path);
	}
	used = strlen(clean);
	if (used > REPRO_LAYER_DEFAULT_MAX_PATH) {
		free(clean);
		return repro_error_set(err, REPRO_ELIMIT, "image path '%.64s...' is longer than %d bytes",
		                       image_path, REPRO_LAYER_DEFAULT_MAX_PATH);
	}
	*out = clean;
	return REPRO_OK;
}

static char *join_path(const char *parent, const char *name)
{
	size_t length = strlen(parent) + strlen(name) + 2;
	char *joined = malloc(length);

	if (joined != NULL)
		snprintf(joined, length, "%s%s%s", parent, parent[0] ? "/" : "", name);
	return joined;
}

static int append_plan_entry(repro_layer_writer *writer, plan_entry **out, repro_error *err)
{
	if (writer->entry_count >= REPRO_LAYER_WRITER_MAX_ENTRIES)
		return repro_error_set(err, REPRO_ELIMIT, "a layer holds at most %d entries",
		                       REPRO_LAYER_WRITER_MAX_ENTRIES);
	if (writer->entry_count == writer->entry_capacity) {
		size_t capacity = writer->entry_capacity ? writer->entry_capacity * 2 : 64;
		plan_entry *grown = realloc(writer->entries, capacity * sizeof(*grown));

		if (grown == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "growing the layer plan failed");
		writer->entries = grown;
		writer->entry_capacity = capacity;
	}
	*out = &writer->entries[writer->entry_count++];
	memset(*out, 0, sizeof(**out));
	return REPRO_OK;
}

/* Normalised permission bits: 0755 when any execute bit is set, else 0644. */
static unsigned int normal_mode(mode_t mode)
{
	return (mode & 0111) ? 0755 : 0644;
}

/* Adds one host object; takes ownership of @p image_path. */
static int add_object(repro_layer_writer *writer, const char *host_path, char *image_path,
                      const struct stat *info, const repro_layer_file_attrs *attrs,
                      repro_error *err)
{
	plan_entry *entry;
	int result = REPRO_OK;

	if (!S_ISREG(info->st_mode) && !S_ISDIR(info->st_mode) && !S_ISLNK(info->st_mode)) {
		result = repro_error_set(err, REPRO_EUNSUPPORTED,
		                         "'%s' is not a regular file, directory or symbolic link",
		                         host_path);
		goto fail;
	}
	if ((result = append_plan_entry(writer, &entry, err)) != REPRO_OK)
		goto fail;
	entry->path = image_path;
	entry->type = info->st_mode & S_IFMT;
	entry->uid = attrs->uid;
	entry->gid = attrs->gid;
	entry->mtime = info->st_mtime < writer->options.source_date_epoch
	                   ? (int64_t)info->st_mtime : writer->options.source_date_epoch;
	entry->device = info->st_dev;
	entry->inode = info->st_ino;
	if (S_ISDIR(info->st_mode)) {
		entry->mode = 0755;
	} else if (S_ISLNK(info->st_mode)) {
		entry->mode = 0777;
	} else {
		entry->mode = attrs->has_mode ? (attrs->mode & 07777) : normal_mode(info->st_mode);
		entry->size = (uint64_t)info->st_size;
		entry->multiply_linked = info->st_nlink > 1;
	}
	if ((entry->host_path = strdup(host_path)) == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying '%s' failed", host_path);
	if (S_ISLNK(info->st_mode)) {
		char target[4097];
		ssize_t length = readlink(host_path, target, sizeof(target));

		if (length < 0)
			return repro_error_set_errno(err, REPRO_EIO, errno, "reading link '%s' failed",
			                             host_path);
		if ((size_t)length >= sizeof(target))
			return repro_error_set(err, REPRO_ELIMIT, "link target of '%s' is longer than %zu "
			                       "bytes", host_path, sizeof(target) - 1);
		target[length] = '\0';
		if ((entry->symlink_target = strdup(target)) == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "copying '%s' failed", host_path);
	}
	return REPRO_OK;

fail:
	free(image_path);
	return result;
}

static int add_tree(repro_layer_writer *writer, const char *host_dir, const char *image_dir,
                    const repro_layer_file_attrs *attrs, unsigned int depth, repro_error *err)
{
	DIR *directory;
	struct dirent *child;
	int result = REPRO_OK;

	if (depth > REPRO_LAYER_WRITER_MAX_DEPTH)
		return repro_error_set(err, REPRO_ELIMIT, "'%s' is more than %d directories deep",
		                       host_dir, REPRO_LAYER_WRITER_MAX_DEPTH);
	if ((directory = opendir(host_dir)) == NULL)
		return repro_error_set_errno(err, REPRO_EIO, errno, "opening directory '%s' failed",
		                             host_dir);
	while (result == REPRO_OK && (child = readdir(directory)) != NULL) {
		char *host_child, *image_child;
		struct stat info;

		if (strcmp(child->d_name, ".") == 0 || strcmp(child->d_name, "..") == 0)
			continue;
		host_child = join_path(host_dir, child->d_name);
		image_child = join_path(image_dir, child->d_name);
		if (host_child == NULL || image_child == NULL) {
			result = repro_error_set(err, REPRO_ENOMEM, "walking '%s' failed", host_dir);
		} else if (lstat(host_child, &info) != 0) {
			result = repro_error_set_errno(err, REPRO_EIO, errno, "reading '%s' failed",
			                               host_child);
		} else {
			/* add_object() takes image_child, also when it fails. */
			result = add_object(writer, host_child, image_child, &info, attrs, err);
			image_child = NULL;
			if (result == REPRO_OK && S_ISDIR(info.st_mode))
				result = add_tree(writer, host_child,
				                  writer->entries[writer->entry_count - 1].path, attrs,
				                  depth + 1, err);
		}
		free(host_child);
		free(image_child);
	}
	closedir(directory);
	return result;
}

int repro_layer_writer_add(repro_layer_writer *writer, const char *host_path,
                           const char *image_path, const repro_layer_file_attrs *attrs,
                           int contents_only, repro_error *err)
{
	static const repro_layer_file_attrs defaults = {0, 0, 0, 0};
	struct stat info;
	char *clean;
	int result;

	if (writer->finished)
		return repro_error_set(err, REPRO_EUSAGE, "the layer writer is already finished");
	if (attrs == NULL)
		attrs = &defaults;
	if ((result = clean_image_path(image_path, &clean, err)) != REPRO_OK)
		return result;
	if (lstat(host_path, &info) != 0) {
		free(clean);
		return repro_error_set_errno(err, errno == ENOENT ? REPRO_ENOTFOUND : REPRO_EIO, errno,
		                             "reading '%s' failed", host_path);
	}
	if (contents_only) {
		if (!S_ISDIR(info.st_mode)) {
			free(clean);
			return repro_error_set(err, REPRO_EUSAGE, "'%s' is not a directory, so its "
			                       "contents cannot be copied", host_path);
		}
		result = add_tree(writer, host_path, clean, attrs, 0, err);
		free(clean);
		return result;
	}
	if (clean[0] == '\0') {
		free(clean);
		return repro_error_set(err, REPRO_EUSAGE, "image path '%s' names the root; copy a "
		                       "directory's contents there instead", image_path);
	}
	if ((result = add_object(writer, host_path, clean, &info, attrs, err)) != REPRO_OK)
		return result;
	if (S_ISDIR(info.st_mode))
		result = add_tree(writer, host_path, writer->entries[writer->entry_count - 1].path,
		                  attrs, 0, err);
	return result;
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(((const plan_entry *)a)->path, ((const plan_entry *)b)->path);
}

/* Finds the entry whose path is the first @p length bytes of @p path, among the first @p count. */
static const plan_entry *find_sorted(const repro_layer_writer *writer, size_t count,
                                     const char *path, size_t length)
{
	size_t low = 0, high = count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		const char *candidate = writer->entries[middle].path;
		int order = strncmp(candidate, path, length);

		if (order == 0 && candidate[length] != '\0')
			order = 1;
		if (order == 0)
			return &writer->entries[middle];
		if (order < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return NULL;
}

static int check_duplicates(const repro_layer_writer *writer, repro_error *err)
{
	for (size_t i = 1; i < writer->entry_count; i++) {
		const plan_entry *previous = &writer->entries[i - 1], *entry = &writer->entries[i];

		if (strcmp(previous->path, entry->path) == 0)
			return repro_error_set(err, REPRO_EUSAGE,
			                       "duplicate image path '/%s', from '%s' and '%s'",
			                       entry->path, previous->host_path, entry->host_path);
	}
	return REPRO_OK;
}

static size_t common_prefix(const char *a, const char *b)
{
	size_t length = 0;

	while (a[length] != '\0' && a[length] == b[length])
		length++;
	return length;
}

static int add_parent(repro_layer_writer *writer, const char *path, size_t length,
                      repro_error *err)
{
	plan_entry *parent;
	int result = append_plan_entry(writer, &parent, err);

	if (result != REPRO_OK)
		return result;
	if ((parent->path = strndup(path, length)) == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "adding parent directories failed");
	parent->type = S_IFDIR;
	parent->mode = 0755;
	parent->mtime = writer->options.source_date_epoch;
	return REPRO_OK;
}

/*
 * Adds each missing ancestor directory once. The entries are sorted, so an
 * ancestor shared with the previous entry was already handled for it.
 */
static int add_parents(repro_layer_writer *writer, repro_error *err)
{
	size_t sorted = writer->entry_count;

	for (size_t i = 0; i < sorted; i++) {
		size_t shared = i > 0 ? common_prefix(writer->entries[i - 1].path,
		                                      writer->entries[i].path) : 0;

		for (size_t end = 0; writer->entries[i].path[end] != '\0'; end++) {
			const char *path = writer->entries[i].path;
			const plan_entry *parent;
			int result;

			if (path[end] != '/' || end < shared)
				continue;
			parent = find_sorted(writer, sorted, path, end);
			if (parent != NULL && parent->type != S_IFDIR)
				return repro_error_set(err, REPRO_EUSAGE,
				                       "image path '/%s' is inside '/%.*s', which is not a "
				                       "directory", path, (int)end, path);
			if (parent == NULL && (result = add_parent(writer, path, end, err)) != REPRO_OK)
				return result;
		}
	}
	qsort(writer->entries, writer->entry_count, sizeof(plan_entry), compare_paths);
	return REPRO_OK;
}

static int compare_inodes(const void *a, const void *b)
{
	const plan_entry *const *left = a, *const *right = b;

	if ((*left)->device != (*right)->device)
		return (*left)->device < (*right)->device ? -1 : 1;
	if ((*left)->inode != (*right)->inode)
		return (*left)->inode < (*right)->inode ? -1 : 1;
	return strcmp((*left)->path, (*right)->path);
}

/* Points each hard link at the first path, in sorted order, of its inode. */
static int link_hardlinks(repro_layer_writer *writer, repro_error *err)
{
	plan_entry **linked;
	size_t count = 0;

	for (size_t i = 0; i < writer->entry_count; i++)
		count += writer->entries[i].multiply_linked;
	if (count < 2)
		return REPRO_OK;
	if ((linked = malloc(count * sizeof(*linked))) == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "grouping %zu hard links failed", count);
	count = 0;
	for (size_t i = 0; i < writer->entry_count; i++) {
		if (writer->entries[i].multiply_linked)
			linked[count++] = &writer->entries[i];
	}
	qsort(linked, count, sizeof(*linked), compare_inodes);
	for (size_t i = 1; i < count; i++) {
		plan_entry *first = linked[i - 1]->hardlink_target ? NULL : linked[i - 1];

		if (linked[i]->device != linked[i - 1]->device ||
		    linked[i]->inode != linked[i - 1]->inode)
			continue;
		linked[i]->hardlink_target = first ? first->path : linked[i - 1]->hardlink_target;
		linked[i]->size = 0;
	}
	free(linked);
	return REPRO_OK;
}

int repro_layer_plan_complete(repro_layer_writer *writer, repro_error *err)
{
	int result;

	qsort(writer->entries, writer->entry_count, sizeof(plan_entry), compare_paths);
	if ((result = check_duplicates(writer, err)) != REPRO_OK)
		return result;
	if ((result = add_parents(writer, err)) != REPRO_OK)
		return result;
	return link_hardlinks(writer, err);
}

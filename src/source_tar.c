#include "source_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool repro_path_is_safe(const char *name)
{
	const char *part = name;

	if (name[0] == '\0' || name[0] == '/' || strlen(name) >= PATH_MAX)
		return false;
	while (*part != '\0') {
		size_t length = strcspn(part, "/");

		if (length == 0 || (length == 1 && part[0] == '.') ||
		    (length == 2 && part[0] == '.' && part[1] == '.'))
			return false;
		part += length;
		if (*part == '/')
			part++;
	}
	return true;
}

/* Strips "./" prefixes and trailing slashes; returns NULL for the root itself. */
static char *normalize_name(const char *raw)
{
	char *name;
	size_t length;

	while (raw[0] == '.' && raw[1] == '/')
		raw += 2;
	while (raw[0] == '/' && raw[1] == '/')
		raw++;
	name = strdup(raw);
	if (name == NULL)
		return NULL;
	length = strlen(name);
	while (length > 1 && name[length - 1] == '/')
		name[--length] = '\0';
	return name;
}

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const repro_tar_entry *)a)->name, ((const repro_tar_entry *)b)->name);
}

void repro_tar_index_free(repro_tar_index *index)
{
	if (index == NULL)
		return;
	for (size_t i = 0; i < index->count; i++) {
		free(index->entries[i].name);
		free(index->entries[i].link);
	}
	free(index->entries);
	if (index->fd >= 0)
		close(index->fd);
	free(index->path);
	free(index);
}

static repro_tar_type entry_type(struct archive_entry *entry)
{
	if (archive_entry_hardlink(entry) != NULL)
		return REPRO_TAR_HARDLINK;
	switch (archive_entry_filetype(entry)) {
	case AE_IFREG: return REPRO_TAR_REGULAR;
	case AE_IFDIR: return REPRO_TAR_DIRECTORY;
	case AE_IFLNK: return REPRO_TAR_SYMLINK;
	default: return REPRO_TAR_OTHER;
	}
}

static int add_entry(repro_tar_index *index, struct archive *archive,
                     struct archive_entry *entry, size_t *capacity, repro_error *err)
{
	const char *raw = archive_entry_pathname(entry);
	repro_tar_entry *slot;
	const char *link;

	if (raw == NULL)
		return repro_error_set(err, REPRO_EFORMAT, "an entry of '%s' has no name", index->path);
	if (index->count >= REPRO_TAR_MAX_ENTRIES)
		return repro_error_set(err, REPRO_ELIMIT, "'%s' has more than %d entries", index->path,
		                       REPRO_TAR_MAX_ENTRIES);
	if (archive_entry_sparse_count(entry) > 0)
		return repro_error_set(err, REPRO_EUNSUPPORTED, "'%s' in '%s' is a sparse file", raw,
		                       index->path);
	if (index->count == *capacity) {
		size_t grown = *capacity == 0 ? 64 : *capacity * 2;
		repro_tar_entry *entries = realloc(index->entries, grown * sizeof(*entries));

		if (entries == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "indexing '%s' failed", index->path);
		index->entries = entries;
		*capacity = grown;
	}
	slot = &index->entries[index->count];
	memset(slot, 0, sizeof(*slot));
	slot->name = normalize_name(raw);
	slot->type = entry_type(entry);
	/* The tar reader has consumed exactly the headers of this entry, so the
	 * position of the top filter is the offset of its data in the file. */
	slot->offset = (off_t)archive_filter_bytes(archive, 0);
	slot->size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
	link = slot->type == REPRO_TAR_HARDLINK ? archive_entry_hardlink(entry)
	                                       : archive_entry_symlink(entry);
	if (link != NULL && slot->type != REPRO_TAR_REGULAR)
		slot->link = strdup(link);
	if (slot->name == NULL || (link != NULL && slot->type != REPRO_TAR_REGULAR &&
	                           slot->link == NULL)) {
		free(slot->name);
		return repro_error_set(err, REPRO_ENOMEM, "indexing '%s' failed", index->path);
	}
	index->count++;
	if (strcmp(slot->name, ".") != 0 && strcmp(slot->name, "/") != 0 &&
	    !repro_path_is_safe(slot->name))
		return repro_error_set(err, REPRO_EUNSAFE,
			"'%s' has an entry '%s' that leaves the archive", index->path, raw);
	return REPRO_OK;
}

static int check_uncompressed(struct archive *archive, const char *path, repro_error *err)
{
	if (archive_filter_count(archive) > 1 || archive_filter_code(archive, 0) != ARCHIVE_FILTER_NONE)
		return repro_error_set(err, REPRO_EUNSUPPORTED,
			"'%s' is compressed with %s; decompress it first, because archives are read in place",
			path, archive_filter_name(archive, 0));
	return REPRO_OK;
}

static int read_entries(repro_tar_index *index, struct archive *archive, repro_error *err)
{
	struct archive_entry *entry;
	size_t capacity = 0;
	int status;

	while ((status = archive_read_next_header(archive, &entry)) == ARCHIVE_OK) {
		int result;

		if (index->count == 0 && (result = check_uncompressed(archive, index->path, err)) != 0)
			return result;
		if ((result = add_entry(index, archive, entry, &capacity, err)) != REPRO_OK)
			return result;
	}
	if (status != ARCHIVE_EOF)
		return repro_error_set(err, REPRO_EFORMAT, "reading '%s' as a tar failed: %s", index->path,
		                       archive_error_string(archive));
	if (index->count == 0)
		return check_uncompressed(archive, index->path, err);
	return REPRO_OK;
}

static int check_duplicates(const repro_tar_index *index, repro_error *err)
{
	qsort(index->entries, index->count, sizeof(*index->entries), compare_entries);
	for (size_t i = 1; i < index->count; i++) {
		if (strcmp(index->entries[i - 1].name, index->entries[i].name) == 0)
			return repro_error_set(err, REPRO_EFORMAT, "'%s' has two entries named '%s'",
			                       index->path, index->entries[i].name);
	}
	return REPRO_OK;
}

int repro_tar_index_open(repro_tar_index **out, const char *path, repro_error *err)
{
	repro_tar_index *index = calloc(1, sizeof(*index));
	struct archive *archive = NULL;
	int result;

	*out = NULL;
	if (index == NULL || (index->path = strdup(path)) == NULL) {
		free(index);
		return repro_error_set(err, REPRO_ENOMEM, "indexing '%s' failed", path);
	}
	index->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (index->fd < 0) {
		result = repro_error_set_errno(err, errno == ENOENT ? REPRO_ENOTFOUND : REPRO_EIO, errno,
		                               "opening '%s' failed", path);
		goto cleanup;
	}
	archive = archive_read_new();
	if (archive == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "indexing '%s' failed", path);
		goto cleanup;
	}
	archive_read_support_filter_all(archive);
	archive_read_support_format_tar(archive);
	if (archive_read_open_fd(archive, index->fd, 64 * 1024) != ARCHIVE_OK) {
		result = repro_error_set(err, REPRO_EFORMAT, "reading '%s' as a tar failed: %s", path,
		                         archive_error_string(archive));
		goto cleanup;
	}
	if ((result = read_entries(index, archive, err)) != REPRO_OK ||
	    (result = check_duplicates(index, err)) != REPRO_OK)
		goto cleanup;
	archive_read_free(archive);
	*out = index;
	return REPRO_OK;

cleanup:
	archive_read_free(archive);
	repro_tar_index_free(index);
	return result;
}

static const repro_tar_entry *lookup(const repro_tar_index *index, const char *name)
{
	repro_tar_entry key = {0};

	key.name = (char *)(uintptr_t)name;
	return bsearch(&key, index->entries, index->count, sizeof(key), compare_entries);
}

/* Resolves a symlink target against the directory of @p from, refusing to leave the root. */
static int resolve_link(const char *from, const char *target, char *out, size_t size,
                        repro_error *err)
{
	char joined[PATH_MAX * 2];
	const char *slash = strrchr(from, '/');
	size_t used = 0;
	char *part, *saveptr = NULL;

	if (target[0] == '/')
		snprintf(joined, sizeof(joined), "%s", target + 1);
	else
		snprintf(joined, sizeof(joined), "%.*s%s%s", slash ? (int)(slash - from) : 0, from,
		         slash ? "/" : "", target);
	out[0] = '\0';
	for (part = strtok_r(joined, "/", &saveptr); part; part = strtok_r(NULL, "/", &saveptr)) {
		if (strcmp(part, ".") == 0)
			continue;
		if (strcmp(part, "..") == 0) {
			char *last = strrchr(out, '/');

			if (used == 0)
				return repro_error_set(err, REPRO_EUNSAFE,
					"link '%s' -> '%s' leaves the archive", from, target);
			used = last ? (size_t)(last - out) : 0;
			out[used] = '\0';
			continue;
		}
		if (used + strlen(part) + 2 > size)
			return repro_error_set(err, REPRO_ELIMIT, "link target '%s' is too long", target);
		used += (size_t)snprintf(out + used, size - used, "%s%s", used ? "/" : "", part);
	}
	return REPRO_OK;
}

int repro_tar_index_find(const repro_tar_index *index, const char *name, bool follow,
                         const repro_tar_entry **out, repro_error *err)
{
	char current[PATH_MAX];
	const repro_tar_entry *entry;

	*out = NULL;
	snprintf(current, sizeof(current), "%s", name);
	for (int hops = 0; hops <= REPRO_TAR_MAX_LINKS; hops++) {
		int result;

		entry = lookup(index, current);
		if (entry == NULL)
			return repro_error_set(err, REPRO_ENOTFOUND, "'%s' not found in '%s'", current,
			                       index->path);
		if (entry->type == REPRO_TAR_REGULAR) {
			*out = entry;
			return REPRO_OK;
		}
		if (!follow || (entry->type != REPRO_TAR_SYMLINK && entry->type != REPRO_TAR_HARDLINK))
			return repro_error_set(err, REPRO_EFORMAT, "'%s' in '%s' is not a regular file",
			                       current, index->path);
		if (entry->type == REPRO_TAR_HARDLINK)
			result = resolve_link("", entry->link, current, sizeof(current), err);
		else
			result = resolve_link(entry->name, entry->link, current, sizeof(current), err);
		if (result != REPRO_OK)
			return repro_error_prefix(err, "'%s'", index->path);
	}
	return repro_error_set(err, REPRO_ELIMIT, "'%s' in '%s' goes through more than %d links",
	                       name, index->path, REPRO_TAR_MAX_LINKS);
}

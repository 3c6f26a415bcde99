/*
 * Entry bookkeeping of the layer reader: copying libarchive's header
 * fields, cleaning paths, and finding duplicate, unsafe and dangling
 * hard-link paths with a hash table of clean paths.
 */
#include "layer_read_internal.h"

#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#define REPRO_ARRAY_COUNT(array) (sizeof(array) / sizeof((array)[0]))

const char *repro_layer_entry_type_name(repro_layer_entry_type type)
{
	static const char *const names[] = {"regular", "directory", "symlink", "hardlink",
	                                    "char", "block", "fifo", "other"};

	return (unsigned)type < REPRO_ARRAY_COUNT(names) ? names[type] : "other";
}

const char *repro_tar_format_name(repro_tar_format format)
{
	static const char *const names[] = {"ustar", "pax", "gnu", "other"};

	return (unsigned)format < REPRO_ARRAY_COUNT(names) ? names[format] : "other";
}

const char *repro_layer_finding_kind_name(repro_layer_finding_kind kind)
{
	static const char *const names[] = {"duplicate-path", "unsafe-path", "unsafe-hardlink",
	                                    "missing-hardlink-target"};

	return (unsigned)kind < REPRO_ARRAY_COUNT(names) ? names[kind] : "unknown";
}

char *repro_layer_clean_path(const char *path, int *absolute, int *has_parent)
{
	size_t length = strlen(path);
	char *clean = malloc(length + 1);
	size_t used = 0;
	const char *cursor = path;

	*absolute = path[0] == '/';
	*has_parent = 0;
	if (clean == NULL)
		return NULL;
	while (*cursor != '\0') {
		const char *end = strchr(cursor, '/');
		size_t part = end ? (size_t)(end - cursor) : strlen(cursor);

		if (part == 2 && cursor[0] == '.' && cursor[1] == '.')
			*has_parent = 1;
		if (part > 0 && !(part == 1 && cursor[0] == '.')) {
			if (used > 0)
				clean[used++] = '/';
			memcpy(clean + used, cursor, part);
			used += part;
		}
		cursor += part;
		if (*cursor == '/')
			cursor++;
	}
	clean[used] = '\0';
	return clean;
}

/* Cleans @p path and sets *unsafe for an absolute path or a ".." component. */
static char *clean_path(const char *path, int *unsafe)
{
	int absolute, has_parent;
	char *clean = repro_layer_clean_path(path, &absolute, &has_parent);

	*unsafe = absolute || has_parent;
	return clean;
}

static size_t hash_path(const char *path)
{
	/* FNV-1a, 64 bits. */
	uint64_t hash = 0xcbf29ce484222325u;

	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		hash = (hash ^ *p) * 0x100000001b3u;
	return (size_t)hash;
}

/* Returns the slot of @p path: the slot holding it, or the empty one where it goes. */
static size_t *find_slot(layer_reader *reader, const char *path)
{
	size_t mask = reader->path_table_size - 1;
	size_t slot = hash_path(path) & mask;

	while (reader->path_table[slot] != 0 &&
	       strcmp(reader->entries[reader->path_table[slot] - 1].clean_path, path) != 0)
		slot = (slot + 1) & mask;
	return &reader->path_table[slot];
}

static int grow_path_table(layer_reader *reader, repro_error *err)
{
	size_t old_size = reader->path_table_size;
	size_t *old_table = reader->path_table;
	size_t new_size = old_size ? old_size * 2 : 1024;

	reader->path_table = calloc(new_size, sizeof(*reader->path_table));
	if (reader->path_table == NULL) {
		reader->path_table = old_table;
		return repro_error_set(err, REPRO_ENOMEM, "growing the path table to %zu failed",
		                       new_size);
	}
	reader->path_table_size = new_size;
	for (size_t i = 0; i < old_size; i++) {
		if (old_table[i] != 0)
			*find_slot(reader, reader->entries[old_table[i] - 1].clean_path) = old_table[i];
	}
	free(old_table);
	return REPRO_OK;
}

static int add_finding(layer_reader *reader, repro_layer_finding_kind kind, size_t index,
                       size_t other_index, const char *path, repro_error *err)
{
	repro_layer_finding *finding;

	if (reader->finding_count == reader->finding_capacity) {
		size_t capacity = reader->finding_capacity ? reader->finding_capacity * 2 : 16;
		repro_layer_finding *grown = realloc(reader->findings, capacity * sizeof(*grown));

		if (grown == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "recording a finding failed");
		reader->findings = grown;
		reader->finding_capacity = capacity;
	}
	finding = &reader->findings[reader->finding_count];
	finding->kind = kind;
	finding->index = index;
	finding->other_index = other_index;
	if ((finding->path = strdup(path)) == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "recording a finding failed");
	reader->finding_count++;
	return REPRO_OK;
}

static repro_layer_entry_type entry_type(struct archive_entry *header)
{
	if (archive_entry_hardlink(header) != NULL)
		return REPRO_ENTRY_HARDLINK;
	switch (archive_entry_filetype(header)) {
	case AE_IFREG:
		return REPRO_ENTRY_REGULAR;
	case AE_IFDIR:
		return REPRO_ENTRY_DIRECTORY;
	case AE_IFLNK:
		return REPRO_ENTRY_SYMLINK;
	case AE_IFCHR:
		return REPRO_ENTRY_CHAR;
	case AE_IFBLK:
		return REPRO_ENTRY_BLOCK;
	case AE_IFIFO:
		return REPRO_ENTRY_FIFO;
	default:
		return REPRO_ENTRY_OTHER;
	}
}

static repro_tar_format tar_format(int archive_format)
{
	switch (archive_format) {
	case ARCHIVE_FORMAT_TAR_USTAR:
		return REPRO_TAR_USTAR;
	case ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE:
	case ARCHIVE_FORMAT_TAR_PAX_RESTRICTED:
		return REPRO_TAR_PAX;
	case ARCHIVE_FORMAT_TAR_GNUTAR:
		return REPRO_TAR_GNU;
	default:
		return REPRO_TAR_OTHER;
	}
}

static char *copy_or_empty(const char *text)
{
	return strdup(text != NULL ? text : "");
}

static int copy_xattrs(repro_layer_entry *entry, struct archive_entry *header, repro_error *err)
{
	int count = archive_entry_xattr_reset(header);
	const char *name;
	const void *value;
	size_t size;

	if (count <= 0)
		return REPRO_OK;
	entry->xattrs = calloc((size_t)count, sizeof(*entry->xattrs));
	if (entry->xattrs == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying %d xattrs failed", count);
	while (entry->xattr_count < (size_t)count &&
	       archive_entry_xattr_next(header, &name, &value, &size) == ARCHIVE_OK) {
		repro_layer_xattr *xattr = &entry->xattrs[entry->xattr_count];

		xattr->name = strdup(name);
		xattr->value = malloc(size ? size : 1);
		if (xattr->name == NULL || xattr->value == NULL) {
			entry->xattr_count++;
			return repro_error_set(err, REPRO_ENOMEM, "copying xattr '%s' failed", name);
		}
		memcpy(xattr->value, value, size);
		xattr->size = size;
		entry->xattr_count++;
	}
	return REPRO_OK;
}

static void copy_time(repro_layer_time *out, int present, int64_t seconds, long nanoseconds)
{
	out->present = present != 0;
	out->seconds = present ? seconds : 0;
	out->nanoseconds = present ? nanoseconds : 0;
}

/* Copies the scalar fields and strings of @p header into @p entry. */
static int copy_header(repro_layer_entry *entry, struct archive_entry *header, int format,
                       repro_error *err)
{
	const char *symlink = archive_entry_symlink(header);
	const char *hardlink = archive_entry_hardlink(header);

	entry->type = entry_type(header);
	entry->format = tar_format(format);
	entry->mode = (unsigned int)archive_entry_perm(header) & 07777;
	entry->uid = archive_entry_uid(header);
	entry->gid = archive_entry_gid(header);
	entry->size = archive_entry_size_is_set(header) && archive_entry_size(header) > 0
	                  ? (uint64_t)archive_entry_size(header) : 0;
	copy_time(&entry->mtime, archive_entry_mtime_is_set(header), archive_entry_mtime(header),
	          archive_entry_mtime_nsec(header));
	copy_time(&entry->atime, archive_entry_atime_is_set(header), archive_entry_atime(header),
	          archive_entry_atime_nsec(header));
	copy_time(&entry->ctime, archive_entry_ctime_is_set(header), archive_entry_ctime(header),
	          archive_entry_ctime_nsec(header));
	copy_time(&entry->birthtime, archive_entry_birthtime_is_set(header),
	          archive_entry_birthtime(header), archive_entry_birthtime_nsec(header));
	entry->dev_major = (unsigned long)archive_entry_rdevmajor(header);
	entry->dev_minor = (unsigned long)archive_entry_rdevminor(header);
	entry->uname = copy_or_empty(archive_entry_uname(header));
	entry->gname = copy_or_empty(archive_entry_gname(header));
	if (entry->uname == NULL || entry->gname == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying entry %zu failed", entry->index);
	if (entry->type == REPRO_ENTRY_SYMLINK && symlink != NULL &&
	    (entry->symlink_target = strdup(symlink)) == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying entry %zu failed", entry->index);
	if (hardlink != NULL && (entry->hardlink_target = strdup(hardlink)) == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying entry %zu failed", entry->index);
	return copy_xattrs(entry, header, err);
}

static int check_lengths(layer_reader *reader, struct archive_entry *header, const char *path,
                         repro_error *err)
{
	size_t max = reader->options.max_path_bytes;
	const char *links[] = {archive_entry_symlink(header), archive_entry_hardlink(header)};

	if (strlen(path) > max)
		return repro_error_set(err, REPRO_ELIMIT,
		                       "entry %zu: path of %zu bytes exceeds the limit of %zu "
		                       "(max_path_bytes)", reader->entry_count, strlen(path), max);
	for (size_t i = 0; i < 2; i++) {
		if (links[i] != NULL && strlen(links[i]) > max)
			return repro_error_set(err, REPRO_ELIMIT,
			                       "entry %zu: link target of %zu bytes exceeds the limit of "
			                       "%zu (max_path_bytes)", reader->entry_count,
			                       strlen(links[i]), max);
	}
	return REPRO_OK;
}

static repro_layer_entry *append_entry(layer_reader *reader, repro_error *err)
{
	repro_layer_entry *entry;

	if (reader->entry_count == reader->entry_capacity) {
		size_t capacity = reader->entry_capacity ? reader->entry_capacity * 2 : 64;
		repro_layer_entry *grown = realloc(reader->entries, capacity * sizeof(*grown));

		if (grown == NULL) {
			repro_error_set(err, REPRO_ENOMEM, "growing the entry list to %zu failed", capacity);
			return NULL;
		}
		reader->entries = grown;
		reader->entry_capacity = capacity;
	}
	entry = &reader->entries[reader->entry_count];
	memset(entry, 0, sizeof(*entry));
	entry->index = reader->entry_count;
	reader->entry_count++;
	return entry;
}

static void flag_whiteout(repro_layer_entry *entry)
{
	const char *slash = strrchr(entry->clean_path, '/');
	const char *base = slash ? slash + 1 : entry->clean_path;

	if (strcmp(base, ".wh..wh..opq") == 0)
		entry->flags |= REPRO_ENTRY_FLAG_OPAQUE;
	else if (strncmp(base, ".wh.", 4) == 0)
		entry->flags |= REPRO_ENTRY_FLAG_WHITEOUT;
}

/* Records duplicate paths and checks a hard link's target. */
static int check_paths(layer_reader *reader, repro_layer_entry *entry, repro_error *err)
{
	size_t *slot;
	int result = REPRO_OK;

	if ((reader->entry_count + 1) * 2 > reader->path_table_size &&
	    (result = grow_path_table(reader, err)) != REPRO_OK)
		return result;
	slot = find_slot(reader, entry->clean_path);
	if (*slot != 0) {
		entry->flags |= REPRO_ENTRY_FLAG_DUPLICATE;
		result = add_finding(reader, REPRO_FINDING_DUPLICATE_PATH, entry->index, *slot - 1,
		                     entry->path, err);
		if (result != REPRO_OK)
			return result;
	} else {
		*slot = entry->index + 1;
	}
	if (entry->hardlink_target != NULL) {
		int unsafe;
		char *target = clean_path(entry->hardlink_target, &unsafe);

		if (target == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "copying entry %zu failed", entry->index);
		if (unsafe)
			result = add_finding(reader, REPRO_FINDING_UNSAFE_HARDLINK, entry->index,
			                     entry->index, entry->hardlink_target, err);
		else if (*find_slot(reader, target) == 0)
			result = add_finding(reader, REPRO_FINDING_MISSING_HARDLINK, entry->index,
			                     entry->index, entry->hardlink_target, err);
		free(target);
	}
	return result;
}

int repro_layer_record_entry(layer_reader *reader, struct archive_entry *header,
                             int archive_format, repro_layer_entry **out, repro_error *err)
{
	const char *path = archive_entry_pathname(header);
	repro_layer_entry *entry;
	int unsafe, result;

	*out = NULL;
	if (reader->entry_count >= reader->options.max_entries)
		return repro_error_set(err, REPRO_ELIMIT,
		                       "layer has more than %llu entries (max_entries)",
		                       (unsigned long long)reader->options.max_entries);
	if (path == NULL)
		return repro_error_set(err, REPRO_EFORMAT, "entry %zu has no path", reader->entry_count);
	if ((result = check_lengths(reader, header, path, err)) != REPRO_OK)
		return result;
	if ((entry = append_entry(reader, err)) == NULL)
		return REPRO_ENOMEM;

	entry->path = strdup(path);
	entry->clean_path = clean_path(path, &unsafe);
	if (entry->path == NULL || entry->clean_path == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying entry %zu failed", entry->index);
	if ((result = copy_header(entry, header, archive_format, err)) != REPRO_OK)
		return result;
	flag_whiteout(entry);
	if (unsafe) {
		entry->flags |= REPRO_ENTRY_FLAG_UNSAFE_PATH;
		result = add_finding(reader, REPRO_FINDING_UNSAFE_PATH, entry->index, entry->index,
		                     entry->path, err);
		if (result != REPRO_OK)
			return result;
	}
	if ((result = check_paths(reader, entry, err)) != REPRO_OK)
		return result;
	*out = entry;
	return REPRO_OK;
}

static void dispose_entry(repro_layer_entry *entry)
{
	free(entry->path);
	free(entry->clean_path);
	free(entry->uname);
	free(entry->gname);
	free(entry->symlink_target);
	free(entry->hardlink_target);
	for (size_t i = 0; i < entry->xattr_count; i++) {
		free(entry->xattrs[i].name);
		free(entry->xattrs[i].value);
	}
	free(entry->xattrs);
}

static void dispose_findings(repro_layer_finding *findings, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(findings[i].path);
	free(findings);
}

void repro_layer_reader_dispose_entries(layer_reader *reader)
{
	if (reader->entries != NULL) {
		for (size_t i = 0; i < reader->entry_count; i++)
			dispose_entry(&reader->entries[i]);
		free(reader->entries);
	}
	free(reader->path_table);
	dispose_findings(reader->findings, reader->finding_count);
	reader->entries = NULL;
	reader->path_table = NULL;
	reader->findings = NULL;
}

void repro_layer_info_dispose(repro_layer_info *info)
{
	if (info == NULL)
		return;
	if (info->entries != NULL) {
		for (size_t i = 0; i < info->entry_count; i++)
			dispose_entry(&info->entries[i]);
		free(info->entries);
	}
	dispose_findings(info->findings, info->finding_count);
	memset(info, 0, sizeof(*info));
}

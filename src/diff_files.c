/*
 * The file comparison: entries matched by clean path, each pair compared
 * attribute by attribute, and the archive order of the common paths.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_internal.h"

/* Maximum length of a hard link chain that a hint follows. */
#define MAX_LINK_CHAIN 64

static int compare_refs(const void *left, const void *right)
{
	const diff_entry_ref *a = left, *b = right;
	int order = strcmp(a->entry->clean_path, b->entry->clean_path);

	if (order != 0)
		return order;
	if (a->layer != b->layer)
		return a->layer < b->layer ? -1 : 1;
	return a->entry->index < b->entry->index ? -1 : a->entry->index > b->entry->index;
}

void diff_sort_refs(diff_entry_ref *refs, size_t count)
{
	if (count > 1)
		qsort(refs, count, sizeof(*refs), compare_refs);
}

typedef struct file_walk {
	diff_context *context;
	const char *object;
	const diff_entry_ref *refs[2];
	size_t count[2];
	size_t found;
	const repro_layer_entry *format_a, *format_b;  /* the first pair with other tar formats */
} file_walk;

typedef struct file_item {
	const char *path;
	const char *field;
	const char *value_a, *value_b;
	const char *hint;
	diff_class ignore_class;
	repro_diff_importance importance;
} file_item;

static int add_file(file_walk *walk, const file_item *item, size_t *index, repro_error *err)
{
	diff_spec spec = {REPRO_DIFF_FILE, item->importance, item->ignore_class, walk->object,
	                  item->path, item->field, item->value_a, item->value_b, item->hint, true};

	walk->found++;
	return diff_add(walk->context, &spec, index, err);
}

/* The root directory's clean path is empty; differences name it "/". */
static const char *display_path(const repro_layer_entry *entry)
{
	return entry->clean_path[0] != '\0' ? entry->clean_path : "/";
}

static const char *type_label(const repro_layer_entry *entry)
{
	if (entry->flags & REPRO_ENTRY_FLAG_OPAQUE)
		return "opaque-whiteout";
	if (entry->flags & REPRO_ENTRY_FLAG_WHITEOUT)
		return "whiteout";
	return repro_layer_entry_type_name(entry->type);
}

/* Returns the entry at clean path @p path in side @p side, or NULL. */
static const repro_layer_entry *find_entry(const file_walk *walk, int side, const char *path)
{
	size_t low = 0, high = walk->count[side];

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = strcmp(walk->refs[side][middle].entry->clean_path, path);

		if (order == 0)
			return walk->refs[side][middle].entry;
		if (order < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return NULL;
}

/* Follows hard links from @p target to a file that is not one; returns a new string. */
static char *resolve_link(const file_walk *walk, int side, const char *target, bool *chained)
{
	char *path = diff_clean_path(target);

	*chained = false;
	for (int hops = 0; path != NULL && hops < MAX_LINK_CHAIN; hops++) {
		const repro_layer_entry *entry = find_entry(walk, side, path);

		if (entry == NULL || entry->type != REPRO_ENTRY_HARDLINK)
			break;
		free(path);
		path = diff_clean_path(entry->hardlink_target);
		*chained = true;
	}
	return path;
}

static void hardlink_hint(const file_walk *walk, const repro_layer_entry *a,
                          const repro_layer_entry *b, char *hint, size_t size)
{
	bool chained_a, chained_b;
	char *end_a = resolve_link(walk, 0, a->hardlink_target, &chained_a);
	char *end_b = resolve_link(walk, 1, b->hardlink_target, &chained_b);

	hint[0] = '\0';
	if (end_a != NULL && end_b != NULL && strcmp(end_a, end_b) == 0 && chained_a != chained_b)
		snprintf(hint, size, "hard links are chained in image %c instead of pointing at one "
		         "file (both resolve to %s): link every name to the first path",
		         chained_a ? 'A' : 'B', end_a);
	free(end_a);
	free(end_b);
}

static int compare_string(file_walk *walk, const char *path, const char *field, const char *a,
                          const char *b, diff_class ignore_class,
                          repro_diff_importance importance, const char *hint, repro_error *err)
{
	file_item item = {path, field, a, b, hint, ignore_class, importance};

	if ((a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0))
		return REPRO_OK;
	return add_file(walk, &item, NULL, err);
}

static int compare_number(file_walk *walk, const char *path, const char *field, int64_t a,
                          int64_t b, diff_class ignore_class, repro_error *err)
{
	char text_a[32], text_b[32];

	if (a == b)
		return REPRO_OK;
	if (ignore_class == DIFF_CLASS_MODE) {
		snprintf(text_a, sizeof(text_a), "%04llo", (unsigned long long)a);
		snprintf(text_b, sizeof(text_b), "%04llo", (unsigned long long)b);
	} else {
		snprintf(text_a, sizeof(text_a), "%" PRId64, a);
		snprintf(text_b, sizeof(text_b), "%" PRId64, b);
	}
	return compare_string(walk, path, field, text_a, text_b, ignore_class, REPRO_DIFF_METADATA,
	                      NULL, err);
}

static bool same_time(const repro_layer_time *a, const repro_layer_time *b)
{
	if (!a->present || !b->present)
		return a->present == b->present;
	return a->seconds == b->seconds && a->nanoseconds == b->nanoseconds;
}

static int compare_time(file_walk *walk, const char *path, const char *field,
                        const repro_layer_time *a, const repro_layer_time *b, bool whiteout,
                        diff_class ignore_class, repro_error *err)
{
	char text_a[48], text_b[48], hint[256];
	const char *hint_text = NULL;

	if (same_time(a, b))
		return REPRO_OK;
	diff_format_time(a, text_a, sizeof(text_a));
	diff_format_time(b, text_b, sizeof(text_b));
	if (ignore_class == DIFF_CLASS_MTIME) {
		if (diff_hint_mtime(walk->context, a, b, whiteout, hint, sizeof(hint)))
			hint_text = hint;
	} else if (a->present != b->present) {
		hint_text = diff_hint_time_record(field);
	}
	return compare_string(walk, path, field, a->present ? text_a : NULL,
	                      b->present ? text_b : NULL, ignore_class, REPRO_DIFF_METADATA,
	                      hint_text, err);
}

/* Renders an xattr value as text when it is printable, else as hex. */
static void xattr_text(const repro_layer_xattr *xattr, char *out, size_t size)
{
	bool printable = true;
	size_t used = 0;

	for (size_t i = 0; i < xattr->size; i++)
		printable = printable && xattr->value[i] >= 0x20 && xattr->value[i] < 0x7f;
	if (printable) {
		snprintf(out, size, "%.*s", (int)(xattr->size < 200 ? xattr->size : 200),
		         (const char *)xattr->value);
		return;
	}
	used = (size_t)snprintf(out, size, "0x");
	for (size_t i = 0; i < xattr->size && used + 3 < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%02x", xattr->value[i]);
}

static const repro_layer_xattr *find_xattr(const repro_layer_entry *entry, const char *name)
{
	for (size_t i = 0; i < entry->xattr_count; i++) {
		if (strcmp(entry->xattrs[i].name, name) == 0)
			return &entry->xattrs[i];
	}
	return NULL;
}

/* Reports one xattr present on one side or with another value. */
static int compare_xattr(file_walk *walk, const char *path, const repro_layer_xattr *a,
                         const repro_layer_xattr *b, repro_error *err)
{
	char field[300], text_a[420], text_b[420];

	if (a != NULL && b != NULL && a->size == b->size && memcmp(a->value, b->value, a->size) == 0)
		return REPRO_OK;
	snprintf(field, sizeof(field), "xattr.%s", (a != NULL ? a : b)->name);
	if (a != NULL)
		xattr_text(a, text_a, sizeof(text_a));
	if (b != NULL)
		xattr_text(b, text_b, sizeof(text_b));
	return compare_string(walk, path, field, a ? text_a : NULL, b ? text_b : NULL,
	                      DIFF_CLASS_NONE, REPRO_DIFF_CONTENT,
	                      a == NULL || b == NULL ? "an extended attribute is stored in one "
	                      "image only: the build host's file system or the tar writer added it"
	                      : NULL, err);
}

static int compare_xattrs(file_walk *walk, const char *path, const repro_layer_entry *a,
                          const repro_layer_entry *b, repro_error *err)
{
	int result = REPRO_OK;

	for (size_t i = 0; i < a->xattr_count && result == REPRO_OK; i++)
		result = compare_xattr(walk, path, &a->xattrs[i], find_xattr(b, a->xattrs[i].name), err);
	for (size_t i = 0; i < b->xattr_count && result == REPRO_OK; i++) {
		if (find_xattr(a, b->xattrs[i].name) == NULL)
			result = compare_xattr(walk, path, NULL, &b->xattrs[i], err);
	}
	return result;
}

/* Writes "xxh128:" and the 32 hex digits of a fingerprint into @p out. */
static void format_fingerprint(const unsigned char fingerprint[16],
                               char out[REPRO_DIGEST_STRING_MAX])
{
	static const char hex[] = "0123456789abcdef";
	char *cursor = out + sprintf(out, "xxh128:");

	for (int i = 0; i < 16; i++) {
		*cursor++ = hex[fingerprint[i] >> 4];
		*cursor++ = hex[fingerprint[i] & 0x0f];
	}
	*cursor = '\0';
}

/* Files are compared by their sha256 when the reader computed it, and
 * otherwise by their XXH3-128 fingerprint, which the first pass of a diff
 * computes because it is far cheaper. */
static bool contents_differ(const repro_layer_entry *a, const repro_layer_entry *b,
                            char text_a[REPRO_DIGEST_STRING_MAX],
                            char text_b[REPRO_DIGEST_STRING_MAX])
{
	if (a->has_content_digest && b->has_content_digest) {
		if (repro_digest_equal(&a->content_digest, &b->content_digest))
			return false;
		repro_digest_format(&a->content_digest, text_a);
		repro_digest_format(&b->content_digest, text_b);
		return true;
	}
	if (!a->has_fingerprint || !b->has_fingerprint ||
	    memcmp(a->fingerprint, b->fingerprint, sizeof(a->fingerprint)) == 0)
		return false;
	format_fingerprint(a->fingerprint, text_a);
	format_fingerprint(b->fingerprint, text_b);
	return true;
}

static int compare_content(file_walk *walk, const diff_entry_ref *ra, const diff_entry_ref *rb,
                           repro_error *err)
{
	const repro_layer_entry *a = ra->entry, *b = rb->entry;
	char text_a[REPRO_DIGEST_STRING_MAX], text_b[REPRO_DIGEST_STRING_MAX];
	file_item item = {display_path(a), "content", text_a, text_b, NULL, DIFF_CLASS_NONE,
	                  REPRO_DIFF_CONTENT};
	size_t index;
	int result;

	if (!contents_differ(a, b, text_a, text_b))
		return REPRO_OK;
	if ((result = add_file(walk, &item, &index, err)) != REPRO_OK || index == SIZE_MAX)
		return result;
	if (a->size > REPRO_DIFF_TEXT_MAX_BYTES || b->size > REPRO_DIFF_TEXT_MAX_BYTES)
		return REPRO_OK;
	return diff_request_text(walk->context, index, ra->layer, rb->layer, a->clean_path, err);
}

/* Type, link targets, size, content, device numbers and xattrs. */
static int compare_contents(file_walk *walk, const diff_entry_ref *ra, const diff_entry_ref *rb,
                            repro_error *err)
{
	const repro_layer_entry *a = ra->entry, *b = rb->entry;
	const char *path = display_path(a);
	char hint[512];
	int result;

	result = compare_string(walk, path, "link", a->symlink_target, b->symlink_target,
	                        DIFF_CLASS_NONE, REPRO_DIFF_CONTENT, NULL, err);
	if (result == REPRO_OK && a->hardlink_target != NULL && b->hardlink_target != NULL) {
		hardlink_hint(walk, a, b, hint, sizeof(hint));
		result = compare_string(walk, path, "hardlink", a->hardlink_target, b->hardlink_target,
		                        DIFF_CLASS_NONE, REPRO_DIFF_CONTENT, hint[0] ? hint : NULL, err);
	}
	if (result == REPRO_OK && a->size != b->size) {
		char text_a[32], text_b[32];

		snprintf(text_a, sizeof(text_a), "%" PRIu64, a->size);
		snprintf(text_b, sizeof(text_b), "%" PRIu64, b->size);
		result = compare_string(walk, path, "size", text_a, text_b, DIFF_CLASS_NONE,
		                        REPRO_DIFF_CONTENT, NULL, err);
	}
	if (result == REPRO_OK)
		result = compare_content(walk, ra, rb, err);
	if (result == REPRO_OK && (a->type == REPRO_ENTRY_CHAR || a->type == REPRO_ENTRY_BLOCK) &&
	    (a->dev_major != b->dev_major || a->dev_minor != b->dev_minor)) {
		char text_a[48], text_b[48];

		snprintf(text_a, sizeof(text_a), "%lu:%lu", a->dev_major, a->dev_minor);
		snprintf(text_b, sizeof(text_b), "%lu:%lu", b->dev_major, b->dev_minor);
		result = compare_string(walk, path, "device", text_a, text_b, DIFF_CLASS_NONE,
		                        REPRO_DIFF_CONTENT, NULL, err);
	}
	if (result == REPRO_OK)
		result = compare_xattrs(walk, path, a, b, err);
	return result;
}

/* Owners, mode, time stamps and the tar encoding. */
static int compare_metadata(file_walk *walk, const repro_layer_entry *a,
                            const repro_layer_entry *b, repro_error *err)
{
	const char *path = display_path(a);
	bool whiteout = (a->flags | b->flags) & (REPRO_ENTRY_FLAG_WHITEOUT | REPRO_ENTRY_FLAG_OPAQUE);
	int result;

	result = compare_number(walk, path, "mode", a->mode, b->mode, DIFF_CLASS_MODE, err);
	if (result == REPRO_OK)
		result = compare_number(walk, path, "uid", a->uid, b->uid, DIFF_CLASS_UID, err);
	if (result == REPRO_OK)
		result = compare_number(walk, path, "gid", a->gid, b->gid, DIFF_CLASS_GID, err);
	if (result == REPRO_OK)
		result = compare_string(walk, path, "uname", a->uname, b->uname, DIFF_CLASS_UNAME,
		                        REPRO_DIFF_METADATA, NULL, err);
	if (result == REPRO_OK)
		result = compare_string(walk, path, "gname", a->gname, b->gname, DIFF_CLASS_GNAME,
		                        REPRO_DIFF_METADATA, NULL, err);
	if (result == REPRO_OK)
		result = compare_time(walk, path, "mtime", &a->mtime, &b->mtime, whiteout,
		                      DIFF_CLASS_MTIME, err);
	if (result == REPRO_OK)
		result = compare_time(walk, path, "atime", &a->atime, &b->atime, whiteout,
		                      DIFF_CLASS_ATIME, err);
	if (result == REPRO_OK)
		result = compare_time(walk, path, "ctime", &a->ctime, &b->ctime, whiteout,
		                      DIFF_CLASS_CTIME, err);
	if (result == REPRO_OK)
		result = compare_time(walk, path, "birthtime", &a->birthtime, &b->birthtime, whiteout,
		                      DIFF_CLASS_BIRTHTIME, err);
	if (a->format != b->format && walk->format_a == NULL) {
		walk->format_a = a;
		walk->format_b = b;
	}
	if (result == REPRO_OK)
		result = compare_string(walk, path, "tar-path", a->path, b->path, DIFF_CLASS_TAR_FORMAT,
		                        REPRO_DIFF_METADATA, NULL, err);
	return result;
}

static int compare_pair(file_walk *walk, const diff_entry_ref *ra, const diff_entry_ref *rb,
                        repro_error *err)
{
	const repro_layer_entry *a = ra->entry, *b = rb->entry;
	int result;

	if (strcmp(type_label(a), type_label(b)) != 0)
		return compare_string(walk, display_path(a), "type", type_label(a), type_label(b),
		                      DIFF_CLASS_NONE, REPRO_DIFF_CONTENT, NULL, err);
	result = compare_contents(walk, ra, rb, err);
	if (result == REPRO_OK)
		result = compare_metadata(walk, a, b, err);
	return result;
}

static int add_presence(file_walk *walk, const repro_layer_entry *entry, int side,
                        repro_error *err)
{
	file_item item = {display_path(entry), side == 0 ? "removed" : "added",
	                  side == 0 ? type_label(entry) : NULL, side == 1 ? type_label(entry) : NULL,
	                  NULL, DIFF_CLASS_NONE, REPRO_DIFF_CONTENT};

	return add_file(walk, &item, NULL, err);
}

/*
 * Reports the first entry whose tar format differs, once per list.
 * NOTE: libarchive keeps reporting pax for every entry after the first pax
 * header of an archive, so a per-entry format is reliable only up to that
 * entry; one difference per layer names where the formats part.
 */
static int add_format(file_walk *walk, repro_error *err)
{
	file_item item = {display_path(walk->format_a), "tar-format",
	                  repro_tar_format_name(walk->format_a->format),
	                  repro_tar_format_name(walk->format_b->format),
	                  "the tar writers use other header formats from this entry on: one adds "
	                  "pax records or GNU headers where ustar headers suffice",
	                  DIFF_CLASS_TAR_FORMAT, REPRO_DIFF_METADATA};

	return add_file(walk, &item, NULL, err);
}

/* Returns true when the entries of @p by_index are sorted by clean path. */
static bool is_sorted(const repro_layer_entry *const *by_index, size_t count)
{
	for (size_t i = 1; i < count; i++) {
		if (strcmp(by_index[i - 1]->clean_path, by_index[i]->clean_path) > 0)
			return false;
	}
	return true;
}

static const char *order_hint(bool sorted_a, bool sorted_b)
{
	if (sorted_a && !sorted_b)
		return "the entries of image B are not sorted by path: the tar writer kept the "
		       "directory order (GNU tar --sort=name sorts them)";
	if (!sorted_a && sorted_b)
		return "the entries of image A are not sorted by path: the tar writer kept the "
		       "directory order (GNU tar --sort=name sorts them)";
	if (!sorted_a && !sorted_b)
		return "neither layer sorts its entries by path: the tar writers kept the "
		       "directory order (GNU tar --sort=name sorts them)";
	return NULL;
}

/* Compares the archive order of the paths that both layers have. */
static int compare_order(file_walk *walk, const size_t *partner_of_a, const bool *matched_b,
                         repro_error *err)
{
	size_t count_a = walk->count[0], count_b = walk->count[1];
	const repro_layer_entry **by_index_a = calloc(count_a + 1, sizeof(*by_index_a));
	const repro_layer_entry **by_index_b = calloc(count_b + 1, sizeof(*by_index_b));
	size_t i = 0, j = 0;
	int result = REPRO_OK;

	if (by_index_a == NULL || by_index_b == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (size_t k = 0; k < count_a; k++)
		by_index_a[walk->refs[0][k].entry->index] = walk->refs[0][k].entry;
	for (size_t k = 0; k < count_b; k++)
		by_index_b[walk->refs[1][k].entry->index] = walk->refs[1][k].entry;
	for (;;) {
		while (i < count_a && partner_of_a[i] == SIZE_MAX)
			i++;
		while (j < count_b && !matched_b[j])
			j++;
		if (i >= count_a || j >= count_b)
			break;
		if (partner_of_a[i] != j) {
			file_item item = {NULL, "file-order", display_path(by_index_a[i]),
			                  display_path(by_index_b[j]),
			                  order_hint(is_sorted(by_index_a, count_a),
			                             is_sorted(by_index_b, count_b)),
			                  DIFF_CLASS_FILE_ORDER, REPRO_DIFF_ORDER};

			result = add_file(walk, &item, NULL, err);
			break;
		}
		i++;
		j++;
	}

cleanup:
	free(by_index_a);
	free(by_index_b);
	return result;
}

int diff_entries(diff_context *context, const char *object, const diff_entry_ref *a,
                 size_t count_a, const diff_entry_ref *b, size_t count_b, bool check_order,
                 size_t *found, repro_error *err)
{
	file_walk walk = {context, object, {a, b}, {count_a, count_b}, 0, NULL, NULL};
	size_t *partner_of_a = NULL, i = 0, j = 0;
	bool *matched_b = NULL;
	int result = REPRO_OK;

	if (check_order) {
		partner_of_a = malloc((count_a + 1) * sizeof(*partner_of_a));
		matched_b = calloc(count_b + 1, sizeof(*matched_b));
		if (partner_of_a == NULL || matched_b == NULL) {
			result = repro_error_set(err, REPRO_ENOMEM, "out of memory");
			goto cleanup;
		}
		for (size_t k = 0; k < count_a; k++)
			partner_of_a[k] = SIZE_MAX;
	}
	while (result == REPRO_OK && (i < count_a || j < count_b)) {
		int order = i >= count_a ? 1 : j >= count_b ? -1 :
		            strcmp(a[i].entry->clean_path, b[j].entry->clean_path);

		if (order < 0) {
			result = add_presence(&walk, a[i++].entry, 0, err);
		} else if (order > 0) {
			result = add_presence(&walk, b[j++].entry, 1, err);
		} else {
			if (check_order) {
				partner_of_a[a[i].entry->index] = b[j].entry->index;
				matched_b[b[j].entry->index] = true;
			}
			result = compare_pair(&walk, &a[i++], &b[j++], err);
		}
	}
	if (result == REPRO_OK && walk.format_a != NULL)
		result = add_format(&walk, err);
	if (result == REPRO_OK && check_order)
		result = compare_order(&walk, partner_of_a, matched_b, err);
	*found = walk.found;

cleanup:
	free(partner_of_a);
	free(matched_b);
	return result;
}

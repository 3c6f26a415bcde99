/*
 * The layer comparison: layers matched by index are read once each through
 * repro_layer_read(), then found equal, equal but for compression, or
 * compared file by file. When the layer counts differ, the squashed trees
 * of both images are built with whiteouts applied and compared too.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_internal.h"

/* Reads one layer. The first pass compares entries only, so it takes a
 * fast fingerprint of each file and computes no blob digest or diff_id.
 * With @p digests it computes both, for the rare pair whose entries all
 * match. */
static int read_layer(diff_context *context, int side, size_t index, bool digests,
                      repro_layer_info *out, repro_error *err)
{
	const repro_diff_side *image = context->side[side];
	const repro_descriptor *descriptor = &image->image->manifest->layers[index];
	repro_layer_read_options options;
	repro_compression compression;
	repro_stream *stream = NULL;
	repro_error ignored;
	int result;

	repro_layer_read_options_init(&options);
	options.algorithm = descriptor->digest.algorithm;
	if (repro_media_type_compression(descriptor->media_type, &compression, &ignored) == REPRO_OK)
		options.compression = compression;
	options.fingerprint_contents = !digests;
	options.skip_digests = !digests;
	if (context->options.max_uncompressed_bytes != 0)
		options.max_uncompressed_bytes = context->options.max_uncompressed_bytes;

	result = repro_source_open_blob(image->source, descriptor, &stream, err);
	if (result == REPRO_OK)
		result = repro_layer_read(stream, &options, out, err);
	repro_stream_close(stream);
	if (result != REPRO_OK)
		repro_error_prefix(err, "reading layer %zu of image %c", index, 'A' + side);
	return result;
}

/* One side's read, run on its own thread by read_pair(). */
typedef struct side_read {
	diff_context *context;
	int side;
	size_t index;
	bool digests;
	repro_layer_info *info;
	repro_error err;
	int result;
} side_read;

static void *read_side(void *argument)
{
	side_read *read = argument;

	repro_error_clear(&read->err);
	read->result = read_layer(read->context, read->side, read->index, read->digests, read->info,
	                          &read->err);
	return NULL;
}

/* Reads layer @p index of both images at once: the sides have separate
 * sources, and each read is bound by inflating and hashing, so two run
 * side by side on two CPUs. Image A's error wins when both fail. */
static int read_pair(diff_context *context, size_t index, bool digests,
                     repro_layer_info info[2], repro_error *err)
{
	side_read first = {context, 0, index, digests, &info[0], {0, ""}, REPRO_OK};
	pthread_t thread;
	bool threaded = pthread_create(&thread, NULL, read_side, &first) == 0;
	int result;

	if (!threaded)
		read_side(&first);
	result = read_layer(context, 1, index, digests, &info[1], err);
	if (threaded)
		pthread_join(thread, NULL);
	if (first.result != REPRO_OK) {
		*err = first.err;
		return first.result;
	}
	return result;
}

static int add_layer_item(diff_context *context, const char *object, const char *field,
                          const char *a, const char *b, const char *hint, diff_class ignore_class,
                          repro_diff_importance importance, repro_error *err)
{
	diff_spec spec = {REPRO_DIFF_LAYER, importance, ignore_class, object, NULL, field, a, b,
	                  hint, false};

	return diff_add(context, &spec, NULL, err);
}

static int add_gzip_number(diff_context *context, const char *object, const char *field,
                           unsigned long a, unsigned long b, size_t *found, repro_error *err)
{
	char text_a[32], text_b[32];

	if (a == b)
		return REPRO_OK;
	(*found)++;
	snprintf(text_a, sizeof(text_a), "%lu", a);
	snprintf(text_b, sizeof(text_b), "%lu", b);
	return add_layer_item(context, object, field, text_a, text_b, diff_hint_gzip(field),
	                      DIFF_CLASS_COMPRESSION, REPRO_DIFF_METADATA, err);
}

/* Explains two blobs with one diff_id: the compression or its header differs. */
static int diff_compression(diff_context *context, const char *object,
                            const repro_layer_info *a, const repro_layer_info *b,
                            repro_error *err)
{
	char text_a[REPRO_DIGEST_STRING_MAX], text_b[REPRO_DIGEST_STRING_MAX];
	size_t found = 0;
	int result = REPRO_OK;

	if (a->compression != b->compression)
		return add_layer_item(context, object, "compression", repro_compression_name(a->compression),
		                      repro_compression_name(b->compression),
		                      diff_hint_gzip("compression"), DIFF_CLASS_COMPRESSION,
		                      REPRO_DIFF_METADATA, err);
	if (a->gzip.present && b->gzip.present) {
		const repro_gzip_facts *x = &a->gzip, *y = &b->gzip;

		result = add_gzip_number(context, object, "gzip.mtime", x->mtime, y->mtime, &found, err);
		if (result == REPRO_OK)
			result = add_gzip_number(context, object, "gzip.os", x->os, y->os, &found, err);
		if (result == REPRO_OK)
			result = add_gzip_number(context, object, "gzip.xfl", x->xfl, y->xfl, &found, err);
		if (result == REPRO_OK && x->has_name != y->has_name) {
			found++;
			result = add_layer_item(context, object, "gzip.fname",
			                        x->has_name ? "present" : "absent",
			                        y->has_name ? "present" : "absent",
			                        diff_hint_gzip("gzip.fname"), DIFF_CLASS_COMPRESSION,
			                        REPRO_DIFF_METADATA, err);
		}
		if (result == REPRO_OK)
			result = add_gzip_number(context, object, "gzip.members", x->members, y->members,
			                         &found, err);
	}
	if (result != REPRO_OK || found > 0)
		return result;
	repro_digest_format(&a->blob_digest, text_a);
	repro_digest_format(&b->blob_digest, text_b);
	return add_layer_item(context, object, "digest", text_a, text_b,
	                      diff_hint_gzip(a->gzip.present ? "gzip.bytes" : "bytes"),
	                      DIFF_CLASS_COMPRESSION, REPRO_DIFF_METADATA, err);
}

/* Returns the entries of @p info as references, sorted by path. */
static diff_entry_ref *layer_refs(const repro_layer_info *info, size_t layer, repro_error *err)
{
	diff_entry_ref *refs = calloc(info->entry_count + 1, sizeof(*refs));

	if (refs == NULL) {
		repro_error_set(err, REPRO_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < info->entry_count; i++) {
		refs[i].entry = &info->entries[i];
		refs[i].layer = layer;
	}
	diff_sort_refs(refs, info->entry_count);
	return refs;
}

/* Compares the entries of two layers; @p found counts the differences. */
static int diff_layer_files(diff_context *context, const char *object, size_t index,
                            const repro_layer_info *a, const repro_layer_info *b, size_t *found,
                            repro_error *err)
{
	diff_entry_ref *refs_a = layer_refs(a, index, err), *refs_b = NULL;
	int result = REPRO_ENOMEM;

	*found = 0;
	if (refs_a == NULL || (refs_b = layer_refs(b, index, err)) == NULL)
		goto cleanup;
	result = diff_entries(context, object, refs_a, a->entry_count, refs_b, b->entry_count, true,
	                      found, err);

cleanup:
	free(refs_a);
	free(refs_b);
	return result;
}

/* Explains two layers whose entries are all equal although their blobs
 * differ: reads both again with digests, then either the compression
 * differs (one diff_id) or the tar bytes do. */
static int diff_equal_entries(diff_context *context, const char *object, size_t index,
                              repro_error *err)
{
	char text_a[REPRO_DIGEST_STRING_MAX], text_b[REPRO_DIGEST_STRING_MAX];
	repro_layer_info full[2];
	int result;

	memset(full, 0, sizeof(full));
	result = read_pair(context, index, true, full, err);
	if (result == REPRO_OK && repro_digest_equal(&full[0].diff_id, &full[1].diff_id)) {
		result = diff_compression(context, object, &full[0], &full[1], err);
	} else if (result == REPRO_OK) {
		repro_digest_format(&full[0].diff_id, text_a);
		repro_digest_format(&full[1].diff_id, text_b);
		result = add_layer_item(context, object, "diff_id", text_a, text_b,
		                        "the same entries and attributes in other tar bytes: header "
		                        "encoding, padding or end-of-archive blocks differ",
		                        DIFF_CLASS_NONE, REPRO_DIFF_CONTENT, err);
	}
	repro_layer_info_dispose(&full[0]);
	repro_layer_info_dispose(&full[1]);
	return result;
}

static int diff_layer_pair(diff_context *context, size_t index, const repro_layer_info *a,
                           const repro_layer_info *b, repro_error *err)
{
	char object[32];

	const repro_descriptor *descriptor_a = &context->side[0]->image->manifest->layers[index];
	const repro_descriptor *descriptor_b = &context->side[1]->image->manifest->layers[index];
	size_t found = 0;
	int result;

	/* The first pass computes no digests, so the descriptors decide
	 * whether two blobs are the same. */
	snprintf(object, sizeof(object), "layer %zu", index);
	if (repro_digest_equal(&descriptor_a->digest, &descriptor_b->digest))
		return REPRO_OK;
	result = diff_layer_files(context, object, index, a, b, &found, err);
	if (result != REPRO_OK || found > 0)
		return result;
	return diff_equal_entries(context, object, index, err);
}

/* A squashed file tree: references sorted by path, the top layer's entry for each. */
typedef struct squash_tree {
	diff_entry_ref *refs;
	size_t count, capacity;
} squash_tree;

static size_t lower_bound(const squash_tree *tree, const char *path)
{
	size_t low = 0, high = tree->count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;

		if (strcmp(tree->refs[middle].entry->clean_path, path) < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

/* Marks @p path itself (when @p self) and everything below it as removed. */
static void remove_below(squash_tree *tree, const char *path, bool self)
{
	size_t length = strlen(path), i;

	if (length == 0) {
		for (i = 0; i < tree->count; i++)
			tree->refs[i].layer = SIZE_MAX;
		return;
	}
	i = lower_bound(tree, path);
	for (; i < tree->count; i++) {
		const char *other = tree->refs[i].entry->clean_path;

		if (strncmp(other, path, length) != 0)
			break;
		if ((other[length] == '\0' && self) || other[length] == '/')
			tree->refs[i].layer = SIZE_MAX;
	}
}

static void compact(squash_tree *tree)
{
	size_t kept = 0;

	for (size_t i = 0; i < tree->count; i++) {
		if (tree->refs[i].layer != SIZE_MAX)
			tree->refs[kept++] = tree->refs[i];
	}
	tree->count = kept;
}

static int apply_whiteout(squash_tree *tree, const repro_layer_entry *entry, repro_error *err)
{
	const char *path = entry->clean_path, *slash = strrchr(path, '/');
	size_t parent = slash ? (size_t)(slash - path) : 0;
	char *target = malloc(strlen(path) + 1);

	if (target == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	memcpy(target, path, parent);
	target[parent] = '\0';
	if (entry->flags & REPRO_ENTRY_FLAG_OPAQUE) {
		remove_below(tree, target, false);
	} else {
		const char *base = slash ? slash + 1 : path;

		sprintf(target + parent, "%s%s", parent > 0 ? "/" : "", base + 4);
		remove_below(tree, target, true);
	}
	free(target);
	return REPRO_OK;
}

/* Applies one layer: its whiteouts first, then its entries over the lower ones. */
static int apply_layer(squash_tree *tree, const repro_layer_info *info, size_t layer, repro_error *err)
{
	const unsigned int whiteout = REPRO_ENTRY_FLAG_WHITEOUT | REPRO_ENTRY_FLAG_OPAQUE;
	size_t kept = 0;

	for (size_t i = 0; i < info->entry_count; i++) {
		if ((info->entries[i].flags & whiteout) &&
		    apply_whiteout(tree, &info->entries[i], err) != REPRO_OK)
			return err->code;
	}
	compact(tree);
	if (tree->count + info->entry_count > tree->capacity) {
		size_t capacity = tree->count + info->entry_count + 16;
		diff_entry_ref *grown = realloc(tree->refs, capacity * sizeof(*grown));

		if (grown == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "out of memory");
		tree->refs = grown;
		tree->capacity = capacity;
	}
	for (size_t i = 0; i < info->entry_count; i++) {
		if (!(info->entries[i].flags & whiteout) && info->entries[i].clean_path[0] != '\0')
			tree->refs[tree->count++] = (diff_entry_ref){&info->entries[i], layer};
	}
	diff_sort_refs(tree->refs, tree->count);

	/* The last entry of one path wins; a non-directory hides what lower layers had below it. */
	for (size_t i = 0; i < tree->count; i++) {
		const repro_layer_entry *entry = tree->refs[i].entry;

		if (tree->refs[i].layer == SIZE_MAX)
			continue;
		if (i + 1 < tree->count &&
		    strcmp(entry->clean_path, tree->refs[i + 1].entry->clean_path) == 0)
			continue;
		if (entry->type != REPRO_ENTRY_DIRECTORY) {
			size_t length = strlen(entry->clean_path), j = i + 1;

			while (j < tree->count &&
			       strncmp(tree->refs[j].entry->clean_path, entry->clean_path, length) == 0 &&
			       tree->refs[j].entry->clean_path[length] == '/' &&
			       tree->refs[j].layer < tree->refs[i].layer)
				tree->refs[j++].layer = SIZE_MAX;
		}
		tree->refs[kept++] = tree->refs[i];
	}
	tree->count = kept;
	compact(tree);
	return REPRO_OK;
}

static int diff_squashed(diff_context *context, repro_layer_info *infos[2], repro_error *err)
{
	squash_tree trees[2] = {{NULL, 0, 0}, {NULL, 0, 0}};
	size_t found = 0;
	int result = REPRO_OK;

	for (int s = 0; s < 2 && result == REPRO_OK; s++) {
		size_t count = context->side[s]->image->manifest->layer_count;

		for (size_t i = 0; i < count && result == REPRO_OK; i++)
			result = apply_layer(&trees[s], &infos[s][i], i, err);
	}
	if (result == REPRO_OK)
		result = diff_entries(context, "squashed", trees[0].refs, trees[0].count, trees[1].refs,
		                      trees[1].count, false, &found, err);
	free(trees[0].refs);
	free(trees[1].refs);
	return result;
}

static int add_layer_count(diff_context *context, size_t a, size_t b, repro_error *err)
{
	char text_a[32], text_b[32];
	diff_spec spec = {REPRO_DIFF_MANIFEST, REPRO_DIFF_CONTENT, DIFF_CLASS_NONE, "manifest",
	                  "layers", "count", text_a, text_b,
	                  "the images have a different number of layers: the squashed file trees are "
	                  "compared below", false};

	snprintf(text_a, sizeof(text_a), "%zu", a);
	snprintf(text_b, sizeof(text_b), "%zu", b);
	return diff_add(context, &spec, NULL, err);
}

/* Same layer counts: each pair is read, compared and released in turn. */
static int diff_matched_layers(diff_context *context, size_t count, repro_error *err)
{
	int result = REPRO_OK;

	for (size_t i = 0; i < count && result == REPRO_OK; i++) {
		const repro_descriptor *a = &context->side[0]->image->manifest->layers[i];
		const repro_descriptor *b = &context->side[1]->image->manifest->layers[i];
		repro_layer_info info[2];

		memset(info, 0, sizeof(info));
		if (repro_digest_equal(&a->digest, &b->digest)) {
			context->result->unread_layers++;
			continue;
		}
		result = read_pair(context, i, false, info, err);
		if (result == REPRO_OK)
			result = diff_layer_pair(context, i, &info[0], &info[1], err);
		repro_layer_info_dispose(&info[0]);
		repro_layer_info_dispose(&info[1]);
	}
	return result;
}

/* Other layer counts: every layer is kept, to build the squashed trees. */
static int diff_all_layers(diff_context *context, size_t count_a, size_t count_b,
                           repro_error *err)
{
	repro_layer_info *infos[2];
	size_t counts[2] = {count_a, count_b}, shared = count_a < count_b ? count_a : count_b;
	int result = REPRO_OK;

	infos[0] = calloc(count_a + 1, sizeof(repro_layer_info));
	infos[1] = calloc(count_b + 1, sizeof(repro_layer_info));
	if (infos[0] == NULL || infos[1] == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "out of memory");
		goto cleanup;
	}
	context->result->squashed = true;
	if ((result = add_layer_count(context, count_a, count_b, err)) != REPRO_OK)
		goto cleanup;
	for (int s = 0; s < 2; s++) {
		for (size_t i = 0; i < counts[s]; i++) {
			if ((result = read_layer(context, s, i, false, &infos[s][i], err)) != REPRO_OK)
				goto cleanup;
		}
	}
	for (size_t i = 0; i < shared && result == REPRO_OK; i++)
		result = diff_layer_pair(context, i, &infos[0][i], &infos[1][i], err);
	if (result == REPRO_OK)
		result = diff_squashed(context, infos, err);

cleanup:
	for (int s = 0; s < 2; s++) {
		for (size_t i = 0; infos[s] != NULL && i < counts[s]; i++)
			repro_layer_info_dispose(&infos[s][i]);
		free(infos[s]);
	}
	return result;
}

int diff_layers(diff_context *context, repro_error *err)
{
	size_t count_a = context->side[0]->image->manifest->layer_count;
	size_t count_b = context->side[1]->image->manifest->layer_count;

	if (count_a == count_b)
		return diff_matched_layers(context, count_a, err);
	return diff_all_layers(context, count_a, count_b, err);
}

/*
 * The diff's entry point: options and ignore handling, the collector of
 * differences, and the order of the comparisons (index, manifest, config,
 * layers, contents).
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "diff_internal.h"

/* In the order of diff_class. */
static const char *const ignore_names[] = {
	"mtime", "atime", "ctime", "birthtime", "history", "file-order", "created", "uid",
	"gid", "uname", "gname", "mode", "tar-format", "annotations", "compression",
	"image-name", NULL,
};

static const diff_class semantic_classes[] = {
	DIFF_CLASS_MTIME, DIFF_CLASS_ATIME, DIFF_CLASS_CTIME, DIFF_CLASS_BIRTHTIME,
	DIFF_CLASS_HISTORY, DIFF_CLASS_FILE_ORDER, DIFF_CLASS_CREATED, DIFF_CLASS_TAR_FORMAT,
	DIFF_CLASS_IMAGE_NAME,
};

const char *repro_diff_category_name(repro_diff_category category)
{
	static const char *const names[] = {"index", "manifest", "config", "layer", "file"};

	return (unsigned)category < 5 ? names[category] : "unknown";
}

const char *repro_diff_importance_name(repro_diff_importance importance)
{
	static const char *const names[] = {"content", "metadata", "order"};

	return (unsigned)importance < 3 ? names[importance] : "unknown";
}

void repro_diff_options_init(repro_diff_options *options)
{
	memset(options, 0, sizeof(*options));
	options->explain_contents = true;
}

const char *const *repro_diff_ignore_names(void)
{
	return ignore_names;
}

static bool is_glob(const char *value)
{
	return strpbrk(value, "/*?[.") != NULL;
}

static int find_class(const char *name)
{
	for (int i = 0; ignore_names[i] != NULL; i++) {
		if (strcmp(ignore_names[i], name) == 0)
			return i;
	}
	return -1;
}

int repro_diff_check_ignore(const char *value, repro_error *err)
{
	if (value == NULL || value[0] == '\0')
		return repro_error_set(err, REPRO_EUSAGE, "empty --ignore value");
	if (is_glob(value) || find_class(value) >= 0)
		return REPRO_OK;
	return repro_error_set(err, REPRO_EUSAGE,
	                       "unknown --ignore name '%s': expected mtime, atime, ctime, birthtime, "
	                       "history, file-order, created, uid, gid, uname, gname, mode, "
	                       "tar-format, annotations, compression, image-name, or a path glob "
	                       "such as 'usr/share/doc/*'", value);
}

static int setup_ignores(diff_context *context, repro_error *err)
{
	const repro_diff_options *options = &context->options;

	if (options->semantic) {
		for (size_t i = 0; i < sizeof(semantic_classes) / sizeof(semantic_classes[0]); i++)
			context->ignore_class[semantic_classes[i]] = true;
	}
	if (options->ignore_count == 0)
		return REPRO_OK;
	context->globs = calloc(options->ignore_count, sizeof(*context->globs));
	context->glob_counts = calloc(options->ignore_count, sizeof(*context->glob_counts));
	if (context->globs == NULL || context->glob_counts == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	for (size_t i = 0; i < options->ignore_count; i++) {
		const char *value = options->ignore[i];

		if (repro_diff_check_ignore(value, err) != REPRO_OK)
			return err->code;
		if (is_glob(value))
			context->globs[context->glob_count++] = value;
		else
			context->ignore_class[find_class(value)] = true;
	}
	return REPRO_OK;
}

/* Returns true when @p spec is ignored, and counts it. */
static bool count_if_ignored(diff_context *context, const diff_spec *spec)
{
	if (spec->ignore_class != DIFF_CLASS_NONE && context->ignore_class[spec->ignore_class]) {
		context->class_counts[spec->ignore_class]++;
		return true;
	}
	if (!spec->path_is_file || spec->path == NULL)
		return false;
	for (size_t i = 0; i < context->glob_count; i++) {
		if (fnmatch(context->globs[i], spec->path, 0) == 0) {
			context->glob_counts[i]++;
			return true;
		}
	}
	return false;
}

static char *copy_or_null(const char *text, bool *failed)
{
	char *copy;

	if (text == NULL)
		return NULL;
	copy = strdup(text);
	if (copy == NULL)
		*failed = true;
	return copy;
}

static void item_dispose(repro_diff_item *item)
{
	free(item->object);
	free(item->path);
	free(item->field);
	free(item->value_a);
	free(item->value_b);
	free(item->hint);
	memset(item, 0, sizeof(*item));
}

int diff_add(diff_context *context, const diff_spec *spec, size_t *index, repro_error *err)
{
	repro_diff_result *result = context->result;
	repro_diff_item *item;
	bool failed = false;

	if (index != NULL)
		*index = SIZE_MAX;
	context->found++;
	if (count_if_ignored(context, spec))
		return REPRO_OK;
	if (result->item_count >= context->options.max_differences) {
		result->dropped_count++;
		return REPRO_OK;
	}
	if (result->item_count == context->item_capacity) {
		size_t capacity = context->item_capacity ? context->item_capacity * 2 : 32;
		repro_diff_item *grown = realloc(result->items, capacity * sizeof(*grown));

		if (grown == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "out of memory");
		result->items = grown;
		context->item_capacity = capacity;
	}
	item = &result->items[result->item_count];
	memset(item, 0, sizeof(*item));
	item->category = spec->category;
	item->importance = spec->importance;
	item->object = copy_or_null(spec->object, &failed);
	item->path = copy_or_null(spec->path, &failed);
	item->field = copy_or_null(spec->field, &failed);
	item->value_a = copy_or_null(spec->value_a, &failed);
	item->value_b = copy_or_null(spec->value_b, &failed);
	item->hint = copy_or_null(spec->hint, &failed);
	if (failed) {
		item_dispose(item);
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	}
	if (index != NULL)
		*index = result->item_count;
	result->item_count++;
	return REPRO_OK;
}

int diff_set_hint(diff_context *context, size_t index, const char *hint, repro_error *err)
{
	repro_diff_item *item = &context->result->items[index];
	char *copy = strdup(hint);

	if (copy == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	free(item->hint);
	item->hint = copy;
	return REPRO_OK;
}

void repro_diff_result_free(repro_diff_result *result)
{
	if (result == NULL)
		return;
	for (size_t i = 0; i < result->item_count; i++)
		item_dispose(&result->items[i]);
	free(result->items);
	for (size_t i = 0; i < result->ignored_count; i++)
		free(result->ignored[i].name);
	free(result->ignored);
	free(result);
}

/* Reads the root index of @p source when it has one; *out stays NULL otherwise. */
static int read_root_index(repro_source *source, repro_index **out, repro_error *err)
{
	const repro_descriptor *root = repro_source_root(source);
	unsigned char *bytes = NULL;
	size_t size = 0;
	int result;

	*out = NULL;
	if (repro_media_type_kind(root->media_type) != REPRO_OCI_KIND_INDEX)
		return REPRO_OK;
	result = repro_source_read_blob(source, root, REPRO_OCI_MAX_MANIFEST_BYTES, &bytes, &size,
	                                err);
	if (result == REPRO_OK)
		result = repro_index_parse(out, bytes, size, root, err);
	free(bytes);
	return result;
}

static int diff_roots(diff_context *context, repro_error *err)
{
	repro_index *index[2] = {NULL, NULL};
	const repro_descriptor *root[2];
	int result = REPRO_OK;

	for (int s = 0; s < 2; s++) {
		root[s] = repro_source_root(context->side[s]->source);
		result = read_root_index(context->side[s]->source, &index[s], err);
		if (result != REPRO_OK) {
			repro_error_prefix(err, "reading the index of image %c", 'A' + s);
			goto cleanup;
		}
	}
	if ((index[0] == NULL) != (index[1] == NULL)) {
		diff_spec spec = {REPRO_DIFF_INDEX, REPRO_DIFF_METADATA, DIFF_CLASS_NONE, "root", NULL,
		                  "mediaType", root[0]->media_type, root[1]->media_type,
		                  "one image is published as an index, the other as a single manifest",
		                  false};

		result = diff_add(context, &spec, NULL, err);
	} else if (index[0] != NULL && !repro_digest_equal(&index[0]->digest, &index[1]->digest)) {
		result = diff_json_documents(context, DIFF_JSON_INDEX, "index", index[0]->doc.root,
		                             index[1]->doc.root, 0, err);
	}

cleanup:
	repro_index_free(index[0]);
	repro_index_free(index[1]);
	return result;
}

static size_t shared_layer_count(const diff_context *context)
{
	size_t a = context->side[0]->image->manifest->layer_count;
	size_t b = context->side[1]->image->manifest->layer_count;

	return a < b ? a : b;
}

/* Reports a document whose bytes differ although no field does. */
static int diff_bytes(diff_context *context, repro_diff_category category, const char *object,
                      const repro_digest *a, const repro_digest *b, repro_error *err)
{
	char text_a[REPRO_DIGEST_STRING_MAX], text_b[REPRO_DIGEST_STRING_MAX];
	diff_spec spec = {category, REPRO_DIFF_METADATA, DIFF_CLASS_NONE, object, NULL, "digest",
	                  text_a, text_b,
	                  "the same JSON values written another way: key order, spacing or escaping",
	                  false};

	repro_digest_format(a, text_a);
	repro_digest_format(b, text_b);
	return diff_add(context, &spec, NULL, err);
}

/* Returns true when the configs list other diff_ids, which the layers explain. */
static bool diff_ids_differ(const repro_config *a, const repro_config *b)
{
	if (a->diff_id_count != b->diff_id_count)
		return true;
	for (size_t i = 0; i < a->diff_id_count; i++) {
		if (!repro_digest_equal(&a->diff_ids[i], &b->diff_ids[i]))
			return true;
	}
	return false;
}

static int diff_images(diff_context *context, repro_error *err)
{
	const repro_resolved_image *a = context->side[0]->image, *b = context->side[1]->image;
	size_t before;
	int result;

	if ((result = diff_roots(context, err)) != REPRO_OK)
		return result;
	/* One manifest digest pins the config and every layer digest, so no
	 * blob is read; the layers are counted as unread for the summary. */
	if (repro_digest_equal(&a->manifest->digest, &b->manifest->digest)) {
		context->result->unread_layers = a->manifest->layer_count;
		return REPRO_OK;
	}

	before = context->found;
	result = diff_json_documents(context, DIFF_JSON_MANIFEST, "manifest", a->manifest->doc.root,
	                             b->manifest->doc.root, shared_layer_count(context), err);
	if (result != REPRO_OK)
		return result;
	if (!repro_digest_equal(&a->config->digest, &b->config->digest)) {
		size_t config_before = context->found;

		result = diff_json_documents(context, DIFF_JSON_CONFIG, "config", a->config->doc.root,
		                             b->config->doc.root, shared_layer_count(context), err);
		if (result == REPRO_OK && context->found == config_before &&
		    !diff_ids_differ(a->config, b->config))
			result = diff_bytes(context, REPRO_DIFF_CONFIG, "config", &a->config->digest,
			                    &b->config->digest, err);
		if (result != REPRO_OK)
			return result;
	}
	if ((result = diff_layers(context, err)) != REPRO_OK)
		return result;
	if (context->found == before)
		result = diff_bytes(context, REPRO_DIFF_MANIFEST, "manifest", &a->manifest->digest,
		                    &b->manifest->digest, err);
	return result;
}

/* Sorts the items by importance, keeping the order within one importance. */
static int sort_items(repro_diff_result *result, repro_error *err)
{
	repro_diff_item *sorted;
	size_t used = 0;

	if (result->item_count < 2)
		return REPRO_OK;
	sorted = malloc(result->item_count * sizeof(*sorted));
	if (sorted == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	for (int importance = REPRO_DIFF_CONTENT; importance <= REPRO_DIFF_ORDER; importance++) {
		for (size_t i = 0; i < result->item_count; i++) {
			if ((int)result->items[i].importance == importance)
				sorted[used++] = result->items[i];
		}
	}
	free(result->items);
	result->items = sorted;
	return REPRO_OK;
}

static int add_ignored(repro_diff_result *result, const char *name, size_t count,
                       repro_error *err)
{
	repro_diff_ignored *grown;

	if (count == 0)
		return REPRO_OK;
	grown = realloc(result->ignored, (result->ignored_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	result->ignored = grown;
	grown[result->ignored_count].name = strdup(name);
	if (grown[result->ignored_count].name == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	grown[result->ignored_count++].count = count;
	result->ignored_total += count;
	return REPRO_OK;
}

static int finish_result(diff_context *context, repro_error *err)
{
	int result = sort_items(context->result, err);

	for (int i = 0; result == REPRO_OK && i < DIFF_CLASS_COUNT; i++)
		result = add_ignored(context->result, ignore_names[i], context->class_counts[i], err);
	for (size_t i = 0; result == REPRO_OK && i < context->glob_count; i++)
		result = add_ignored(context->result, context->globs[i], context->glob_counts[i], err);
	return result;
}

static void context_dispose(diff_context *context)
{
	free(context->globs);
	free(context->glob_counts);
	for (size_t i = 0; i < context->request_count; i++)
		free(context->requests[i].path);
	free(context->requests);
}

int repro_diff_run(const repro_diff_side *a, const repro_diff_side *b,
                   const repro_diff_options *options, repro_diff_result **out,
                   repro_error *err)
{
	diff_context context;
	int result;

	*out = NULL;
	memset(&context, 0, sizeof(context));
	context.side[0] = a;
	context.side[1] = b;
	if (options != NULL)
		context.options = *options;
	else
		repro_diff_options_init(&context.options);
	if (context.options.max_differences == 0)
		context.options.max_differences = REPRO_DIFF_DEFAULT_MAX_DIFFERENCES;
	context.result = calloc(1, sizeof(*context.result));
	if (context.result == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "out of memory");
		goto cleanup;
	}
	context.result->layer_count_a = a->image->manifest->layer_count;
	context.result->layer_count_b = b->image->manifest->layer_count;
	for (int s = 0; s < 2; s++) {
		const char *created = context.side[s]->image->config->created;

		context.has_created[s] = created != NULL &&
		                         diff_parse_rfc3339(created, &context.created[s]);
	}

	if ((result = setup_ignores(&context, err)) != REPRO_OK)
		goto cleanup;
	if ((result = diff_images(&context, err)) != REPRO_OK)
		goto cleanup;
	if (context.options.explain_contents &&
	    (result = diff_explain_texts(&context, err)) != REPRO_OK)
		goto cleanup;
	if ((result = finish_result(&context, err)) != REPRO_OK)
		goto cleanup;
	*out = context.result;
	context.result = NULL;

cleanup:
	repro_diff_result_free(context.result);
	context_dispose(&context);
	return result;
}

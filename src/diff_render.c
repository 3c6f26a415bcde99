/*
 * Rendering a diff result as a text table or as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_internal.h"

/* Column widths stop growing here; longer cells push the row wider. */
#define COLUMN_MAX 40

static const char *cell(const char *text)
{
	return text != NULL ? text : "-";
}

static int width(const repro_diff_result *result, size_t column, const char *heading)
{
	size_t widest = strlen(heading);

	for (size_t i = 0; i < result->item_count; i++) {
		const repro_diff_item *item = &result->items[i];
		const char *cells[] = {item->object, item->path, item->field, item->value_a};
		size_t length = strlen(cell(cells[column]));

		if (length > widest)
			widest = length;
	}
	return (int)(widest > COLUMN_MAX ? COLUMN_MAX : widest);
}

static void print_table(FILE *out, const repro_diff_result *result)
{
	int widths[4] = {width(result, 0, "OBJECT"), width(result, 1, "PATH"),
	                 width(result, 2, "FIELD"), width(result, 3, "A")};

	fprintf(out, "%-*s  %-*s  %-*s  %-*s  B\n", widths[0], "OBJECT", widths[1], "PATH",
	        widths[2], "FIELD", widths[3], "A");
	for (size_t i = 0; i < result->item_count; i++) {
		const repro_diff_item *item = &result->items[i];

		fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s\n", widths[0], item->object, widths[1],
		        cell(item->path), widths[2], item->field, widths[3], cell(item->value_a),
		        cell(item->value_b));
		if (item->hint != NULL)
			fprintf(out, "  hint: %s\n", item->hint);
	}
}

static void print_summary(FILE *out, const repro_diff_result *result)
{
	if (result->squashed)
		fprintf(out, "the layer counts differ (%zu and %zu): the squashed file trees were "
		        "compared too\n", result->layer_count_a, result->layer_count_b);
	if (result->item_count == 0)
		fputs("no differences", out);
	else
		fprintf(out, "%zu difference%s", result->item_count + result->dropped_count,
		        result->item_count + result->dropped_count == 1 ? "" : "s");
	if (result->dropped_count > 0)
		fprintf(out, " (%zu not listed)", result->dropped_count);
	fputc('\n', out);
	if (result->unread_layers > 0)
		fprintf(out, "%zu layer%s with the same digest in both images %s not read; "
		        "'reprocheck validate' checks that blobs match their digests\n",
		        result->unread_layers, result->unread_layers == 1 ? "" : "s",
		        result->unread_layers == 1 ? "was" : "were");
	if (result->ignored_total == 0)
		return;
	fprintf(out, "%zu difference%s ignored:", result->ignored_total,
	        result->ignored_total == 1 ? "" : "s");
	for (size_t i = 0; i < result->ignored_count; i++)
		fprintf(out, "%s %zu %s", i == 0 ? "" : ",", result->ignored[i].count,
		        result->ignored[i].name);
	fputc('\n', out);
}

int repro_diff_format_text(const repro_diff_result *result, char **out, repro_error *err)
{
	char *text = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&text, &size);

	*out = NULL;
	if (stream == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	if (result->item_count > 0)
		print_table(stream, result);
	print_summary(stream, result);
	if (fclose(stream) != 0) {
		free(text);
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	}
	*out = text;
	return REPRO_OK;
}

static json_t *string_or_null(const char *text)
{
	return text != NULL ? json_string(text) : json_null();
}

static json_t *item_json(const repro_diff_item *item)
{
	json_t *object = json_object();

	json_object_set_new(object, "category", json_string(repro_diff_category_name(item->category)));
	json_object_set_new(object, "importance",
	                    json_string(repro_diff_importance_name(item->importance)));
	json_object_set_new(object, "object", json_string(item->object));
	json_object_set_new(object, "path", string_or_null(item->path));
	json_object_set_new(object, "field", json_string(item->field));
	json_object_set_new(object, "a", string_or_null(item->value_a));
	json_object_set_new(object, "b", string_or_null(item->value_b));
	json_object_set_new(object, "hint", string_or_null(item->hint));
	return object;
}

int repro_diff_to_json(const repro_diff_result *result, json_t **out, repro_error *err)
{
	json_t *object = json_object(), *items = json_array(), *counts = json_object();

	*out = NULL;
	if (object == NULL || items == NULL || counts == NULL) {
		json_decref(object);
		json_decref(items);
		json_decref(counts);
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < result->item_count; i++)
		json_array_append_new(items, item_json(&result->items[i]));
	for (size_t i = 0; i < result->ignored_count; i++)
		json_object_set_new(counts, result->ignored[i].name,
		                    json_integer((json_int_t)result->ignored[i].count));
	json_object_set_new(object, "identical", json_boolean(result->item_count == 0 &&
	                                                      result->dropped_count == 0));
	json_object_set_new(object, "squashed", json_boolean(result->squashed));
	json_object_set_new(object, "layerCounts",
	                    json_pack("[I, I]", (json_int_t)result->layer_count_a,
	                              (json_int_t)result->layer_count_b));
	json_object_set_new(object, "differences", items);
	json_object_set_new(object, "ignored", json_pack("{s:I, s:o}", "total",
	                                                 (json_int_t)result->ignored_total,
	                                                 "counts", counts));
	json_object_set_new(object, "dropped", json_integer((json_int_t)result->dropped_count));
	json_object_set_new(object, "unreadLayers", json_integer((json_int_t)result->unread_layers));
	*out = object;
	return REPRO_OK;
}

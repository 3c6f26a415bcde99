/*
 * YAML to a JSON tree with libyaml's event parser, for kubeconfig files.
 *
 * libyaml's document loader registers an anchor before its node is
 * complete, so `&a [*a]` makes a cycle, and nested aliases let a few lines
 * stand for billions of nodes. Here an anchor is registered only when its
 * node is complete, so an alias can never refer to an enclosing node, and
 * each alias counts as the full size of the subtree it repeats.
 */
#include "kube_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* Maximum number of anchors in one document. */
#define MAX_ANCHORS 4096

typedef struct yaml_frame {
	json_t *node;
	char *key;           /* a mapping's key that waits for its value */
	size_t node_count;   /* nodes in this subtree, aliases expanded */
	char *anchor;
} yaml_frame;

typedef struct yaml_anchor {
	char *name;
	json_t *node;
	size_t node_count;
} yaml_anchor;

typedef struct yaml_state {
	const char *name;
	yaml_frame stack[REPRO_KUBE_CONFIG_MAX_DEPTH];
	size_t depth;
	yaml_anchor anchors[MAX_ANCHORS];
	size_t anchor_count;
	size_t node_count;
	unsigned int document_count;
	json_t *root;
} yaml_state;

static void state_dispose(yaml_state *state)
{
	for (size_t i = 0; i < state->depth; i++) {
		json_decref(state->stack[i].node);
		free(state->stack[i].key);
		free(state->stack[i].anchor);
	}
	for (size_t i = 0; i < state->anchor_count; i++) {
		free(state->anchors[i].name);
		json_decref(state->anchors[i].node);
	}
	json_decref(state->root);
}

static size_t event_line(const yaml_event_t *event)
{
	return event->start_mark.line + 1;
}

static int count_nodes(yaml_state *state, size_t added, const yaml_event_t *event,
                       repro_error *err)
{
	if (added > REPRO_KUBE_CONFIG_MAX_NODES - state->node_count)
		return repro_error_set(err, REPRO_ELIMIT,
			"%s: more than %d YAML nodes with aliases expanded, at line %zu", state->name,
			REPRO_KUBE_CONFIG_MAX_NODES, event_line(event));
	state->node_count += added;
	return REPRO_OK;
}

static int register_anchor(yaml_state *state, const char *anchor, json_t *node,
                           size_t node_count, const yaml_event_t *event, repro_error *err)
{
	yaml_anchor *slot;

	if (anchor == NULL)
		return REPRO_OK;
	if (state->anchor_count >= MAX_ANCHORS)
		return repro_error_set(err, REPRO_ELIMIT, "%s: more than %d YAML anchors, at line %zu",
		                       state->name, MAX_ANCHORS, event_line(event));
	slot = &state->anchors[state->anchor_count];
	slot->name = strdup(anchor);
	if (slot->name == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "%s: out of memory", state->name);
	slot->node = json_incref(node);
	slot->node_count = node_count;
	state->anchor_count++;
	return REPRO_OK;
}

/* A later anchor of the same name replaces an earlier one, so the search
 * runs from the end. */
static const yaml_anchor *find_anchor(const yaml_state *state, const char *name)
{
	for (size_t i = state->anchor_count; i > 0; i--) {
		if (strcmp(state->anchors[i - 1].name, name) == 0)
			return &state->anchors[i - 1];
	}
	return NULL;
}

/* Stores a complete node in its parent, or as the root. Takes @p node. */
static int add_node(yaml_state *state, json_t *node, size_t node_count,
                    const yaml_event_t *event, repro_error *err)
{
	yaml_frame *parent;
	int result = REPRO_OK;

	if (node == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "%s: out of memory", state->name);
	if (state->depth == 0) {
		json_decref(state->root);
		state->root = node;
		return REPRO_OK;
	}
	parent = &state->stack[state->depth - 1];
	parent->node_count += node_count;
	if (json_is_array(parent->node)) {
		if (json_array_append_new(parent->node, node) != 0)
			result = repro_error_set(err, REPRO_ENOMEM, "%s: out of memory", state->name);
		return result;
	}
	if (json_object_get(parent->node, parent->key) != NULL) {
		result = repro_error_set(err, REPRO_EFORMAT, "%s: duplicate key '%s' at line %zu",
		                         state->name, parent->key, event_line(event));
		json_decref(node);
	} else if (json_object_set_new(parent->node, parent->key, node) != 0) {
		result = repro_error_set(err, REPRO_ENOMEM, "%s: out of memory", state->name);
	}
	free(parent->key);
	parent->key = NULL;
	return result;
}

static bool expects_key(const yaml_state *state)
{
	const yaml_frame *parent;

	if (state->depth == 0)
		return false;
	parent = &state->stack[state->depth - 1];
	return json_is_object(parent->node) && parent->key == NULL;
}

/* Plain scalars without a tag follow the YAML core schema for null and
 * booleans. Everything else, numbers included, stays a string, because
 * kubeconfig values are read as strings. */
static json_t *scalar_value(const yaml_event_t *event)
{
	const char *text = (const char *)event->data.scalar.value;

	if (event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && event->data.scalar.plain_implicit) {
		static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
		static const char *const trues[] = {"true", "True", "TRUE"};
		static const char *const falses[] = {"false", "False", "FALSE"};

		for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
			if (strcmp(text, nulls[i]) == 0)
				return json_null();
		for (size_t i = 0; i < sizeof(trues) / sizeof(trues[0]); i++)
			if (strcmp(text, trues[i]) == 0)
				return json_true();
		for (size_t i = 0; i < sizeof(falses) / sizeof(falses[0]); i++)
			if (strcmp(text, falses[i]) == 0)
				return json_false();
	}
	return json_string(text);
}

static int on_scalar(yaml_state *state, const yaml_event_t *event, repro_error *err)
{
	const char *text = (const char *)event->data.scalar.value;
	json_t *value;
	int result;

	if (strlen(text) != event->data.scalar.length)
		return repro_error_set(err, REPRO_EFORMAT, "%s: NUL character in a value at line %zu",
		                       state->name, event_line(event));
	result = count_nodes(state, 1, event, err);
	if (result != REPRO_OK)
		return result;
	if (expects_key(state)) {
		if (event->data.scalar.anchor != NULL)
			return repro_error_set(err, REPRO_EFORMAT, "%s: anchor on a mapping key at line %zu",
			                       state->name, event_line(event));
		state->stack[state->depth - 1].key = strdup(text);
		if (state->stack[state->depth - 1].key == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "%s: out of memory", state->name);
		return REPRO_OK;
	}
	value = scalar_value(event);
	if (value == NULL)
		return repro_error_set(err, REPRO_EFORMAT, "%s: invalid UTF-8 in a value at line %zu",
		                       state->name, event_line(event));
	result = register_anchor(state, (const char *)event->data.scalar.anchor, value, 1, event, err);
	if (result != REPRO_OK) {
		json_decref(value);
		return result;
	}
	return add_node(state, value, 1, event, err);
}

static int on_alias(yaml_state *state, const yaml_event_t *event, repro_error *err)
{
	const char *name = (const char *)event->data.alias.anchor;
	const yaml_anchor *anchor = find_anchor(state, name);
	int result;

	if (expects_key(state))
		return repro_error_set(err, REPRO_EFORMAT, "%s: alias as a mapping key at line %zu",
		                       state->name, event_line(event));
	if (anchor == NULL)
		return repro_error_set(err, REPRO_EFORMAT,
			"%s: alias '*%s' at line %zu names no complete anchor before it", state->name,
			name, event_line(event));
	result = count_nodes(state, anchor->node_count, event, err);
	if (result != REPRO_OK)
		return result;
	return add_node(state, json_incref(anchor->node), anchor->node_count, event, err);
}

static int on_start(yaml_state *state, const yaml_event_t *event, repro_error *err)
{
	bool mapping = event->type == YAML_MAPPING_START_EVENT;
	const yaml_char_t *anchor = mapping ? event->data.mapping_start.anchor :
	                                      event->data.sequence_start.anchor;
	yaml_frame *frame;
	int result;

	if (expects_key(state))
		return repro_error_set(err, REPRO_EFORMAT,
			"%s: a mapping key at line %zu is not a scalar", state->name, event_line(event));
	if (state->depth >= REPRO_KUBE_CONFIG_MAX_DEPTH)
		return repro_error_set(err, REPRO_ELIMIT, "%s: YAML nested deeper than %d levels at line %zu",
		                       state->name, REPRO_KUBE_CONFIG_MAX_DEPTH, event_line(event));
	result = count_nodes(state, 1, event, err);
	if (result != REPRO_OK)
		return result;

	frame = &state->stack[state->depth];
	memset(frame, 0, sizeof(*frame));
	frame->node = mapping ? json_object() : json_array();
	frame->node_count = 1;
	if (anchor != NULL)
		frame->anchor = strdup((const char *)anchor);
	if (frame->node == NULL || (anchor != NULL && frame->anchor == NULL)) {
		json_decref(frame->node);
		free(frame->anchor);
		return repro_error_set(err, REPRO_ENOMEM, "%s: out of memory", state->name);
	}
	state->depth++;
	return REPRO_OK;
}

static int on_end(yaml_state *state, const yaml_event_t *event, repro_error *err)
{
	yaml_frame frame = state->stack[--state->depth];
	int result;

	free(frame.key);
	result = register_anchor(state, frame.anchor, frame.node, frame.node_count, event, err);
	free(frame.anchor);
	if (result != REPRO_OK) {
		json_decref(frame.node);
		return result;
	}
	return add_node(state, frame.node, frame.node_count, event, err);
}

static int on_event(yaml_state *state, const yaml_event_t *event, repro_error *err)
{
	switch (event->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++state->document_count > 1)
			return repro_error_set(err, REPRO_EFORMAT,
				"%s: a second YAML document starts at line %zu; a kubeconfig is one document",
				state->name, event_line(event));
		return REPRO_OK;
	case YAML_SCALAR_EVENT:
		return on_scalar(state, event, err);
	case YAML_ALIAS_EVENT:
		return on_alias(state, event, err);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return on_start(state, event, err);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(state, event, err);
	default:
		return REPRO_OK;
	}
}

int repro_kube_yaml_parse(json_t **out, const void *bytes, size_t size, const char *name,
                          repro_error *err)
{
	yaml_parser_t parser;
	yaml_state *state;
	bool done = false;
	int result = REPRO_OK;

	*out = NULL;
	if (size > REPRO_KUBE_CONFIG_MAX_BYTES)
		return repro_error_set(err, REPRO_ELIMIT, "%s is %zu bytes, more than the limit of %zu",
		                       name, size, REPRO_KUBE_CONFIG_MAX_BYTES);
	state = calloc(1, sizeof(*state));
	if (state == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "%s: out of memory", name);
	state->name = name;
	if (!yaml_parser_initialize(&parser)) {
		free(state);
		return repro_error_set(err, REPRO_ENOMEM, "%s: initialising the YAML parser failed", name);
	}
	yaml_parser_set_input_string(&parser, bytes, size);

	while (!done && result == REPRO_OK) {
		yaml_event_t event;

		if (!yaml_parser_parse(&parser, &event)) {
			result = repro_error_set(err, REPRO_EFORMAT, "%s: invalid YAML: %s at line %zu, column %zu",
				name, parser.problem ? parser.problem : "syntax error",
				parser.problem_mark.line + 1, parser.problem_mark.column + 1);
			break;
		}
		done = event.type == YAML_STREAM_END_EVENT;
		result = on_event(state, &event, err);
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);

	if (result == REPRO_OK) {
		*out = state->root != NULL ? state->root : json_null();
		state->root = NULL;
	}
	state_dispose(state);
	free(state);
	return result;
}

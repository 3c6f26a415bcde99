/*
 * Assembles one image after its build steps ran: base layers copied byte
 * for byte, new layers written deterministically from the recipe's copy
 * lists, then the config, the manifest and the OCI layout.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <reprocheck/layer.h>
#include <reprocheck/layout.h>
#include <reprocheck/oci.h>
#include <reprocheck/source.h>

#include "build_internal.h"

/* Layers, diff_ids, history and runtime config collected for one image. */
typedef struct image_parts {
	repro_descriptor *layers;
	repro_digest *diff_ids;
	size_t layer_count;
	json_t *history;         /* array */
	json_t *runtime_config;  /* object */
	repro_built_layer *built;
} image_parts;

static void parts_dispose(image_parts *parts)
{
	for (size_t i = 0; i < parts->layer_count; i++)
		repro_descriptor_dispose(&parts->layers[i]);
	free(parts->layers);
	free(parts->diff_ids);
	free(parts->built);
	json_decref(parts->history);
	json_decref(parts->runtime_config);
	memset(parts, 0, sizeof(*parts));
}

/* Returns the static copy of a layer media type, so that the build result
 * does not point into descriptors that are freed before it. */
static const char *static_layer_media_type(const char *media_type)
{
	static const char *const known[] = {
		REPRO_MEDIA_TYPE_OCI_LAYER, REPRO_MEDIA_TYPE_OCI_LAYER_GZIP,
		REPRO_MEDIA_TYPE_OCI_LAYER_ZSTD, REPRO_MEDIA_TYPE_OCI_LAYER_NONDIST,
		REPRO_MEDIA_TYPE_OCI_LAYER_NONDIST_GZIP, REPRO_MEDIA_TYPE_OCI_LAYER_NONDIST_ZSTD,
		REPRO_MEDIA_TYPE_DOCKER_LAYER, REPRO_MEDIA_TYPE_DOCKER_LAYER_GZIP,
		REPRO_MEDIA_TYPE_DOCKER_FOREIGN_LAYER_GZIP,
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(known[i], media_type) == 0)
			return known[i];
	}
	return "application/octet-stream";
}

static int parts_add_layer(image_parts *parts, const repro_descriptor *descriptor,
                           const repro_digest *diff_id, repro_error *err)
{
	size_t count = parts->layer_count + 1;
	repro_descriptor *layers = realloc(parts->layers, count * sizeof(*layers));
	repro_digest *diff_ids;
	repro_built_layer *built;

	if (layers == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "adding a layer failed: out of memory");
	parts->layers = layers;
	diff_ids = realloc(parts->diff_ids, count * sizeof(*diff_ids));
	if (diff_ids == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "adding a layer failed: out of memory");
	parts->diff_ids = diff_ids;
	built = realloc(parts->built, count * sizeof(*built));
	if (built == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "adding a layer failed: out of memory");
	parts->built = built;

	if (repro_descriptor_copy(&layers[parts->layer_count], descriptor, err) != REPRO_OK)
		return err ? err->code : REPRO_ENOMEM;
	diff_ids[parts->layer_count] = *diff_id;
	built[parts->layer_count].media_type = static_layer_media_type(descriptor->media_type);
	built[parts->layer_count].digest = descriptor->digest;
	built[parts->layer_count].diff_id = *diff_id;
	built[parts->layer_count].size = (uint64_t)descriptor->size;
	parts->layer_count = count;
	return REPRO_OK;
}

/* Base image: its layers are copied unchanged, and its diff_ids, history
 * and runtime config are the start of the new image's. */
static int add_base(const build_context *context, const repro_recipe_image *image,
                    repro_layout_writer *layout, image_parts *parts, repro_error *err)
{
	char digest[REPRO_DIGEST_STRING_MAX], *spec;
	repro_source *source = NULL;
	repro_resolved_image *resolved = NULL;
	size_t count = 0, length;
	int result;

	repro_digest_format(&image->base.digest, digest);
	length = strlen(context->tree) + strlen(image->base.layout) + strlen(digest) + 8;
	spec = malloc(length);
	if (spec == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "opening the base image failed");
	snprintf(spec, length, "oci:%s/%s:%s", context->tree, image->base.layout, digest);

	result = repro_source_open(&source, spec, err);
	if (result == REPRO_OK)
		result = repro_source_resolve(source, NULL, &resolved, &count, err);
	for (size_t i = 0; result == REPRO_OK && i < resolved->manifest->layer_count; i++) {
		const repro_descriptor *layer = &resolved->manifest->layers[i];
		repro_stream *stream = NULL;

		if (i >= resolved->config->diff_id_count) {
			result = repro_error_set(err, REPRO_EINVALID,
				"the base manifest has more layers than its config has diff_ids");
			break;
		}
		result = repro_source_open_blob(source, layer, &stream, err);
		if (result == REPRO_OK)
			result = repro_layout_add_blob_stream(layout, stream, &layer->digest, layer->size,
			                                      0, NULL, err);
		repro_stream_close(stream);
		if (result == REPRO_OK)
			result = parts_add_layer(parts, layer, &resolved->config->diff_ids[i], err);
	}
	if (result == REPRO_OK) {
		json_t *history = json_object_get(resolved->config->doc.root, "history");

		if (json_is_array(history))
			json_array_extend(parts->history, history);
		if (json_is_object(resolved->config->config))
			json_object_update(parts->runtime_config, resolved->config->config);
	}
	if (result != REPRO_OK)
		repro_error_prefix(err, "base image '%s' at %s", image->base.layout, digest);
	repro_resolved_images_free(resolved, count);
	repro_source_free(source);
	free(spec);
	return result;
}

/* The image path of one copy: `to`, or `to` plus the source's last name
 * when `to` names a directory and a single file or directory is copied. */
static char *copy_target(const repro_recipe_copy *copy)
{
	char *from, *name, *target;
	size_t length;

	if (!copy->into_directory || copy->copy_contents)
		return strdup(copy->to);
	from = strdup(copy->from);
	if (from == NULL)
		return NULL;
	name = basename(from);
	length = strlen(copy->to) + strlen(name) + 2;
	target = malloc(length);
	if (target != NULL)
		snprintf(target, length, "%s%s%s", copy->to,
		         copy->to[strlen(copy->to) - 1] == '/' ? "" : "/", name);
	free(from);
	return target;
}

static int add_copy(const build_context *context, int tree_fd, repro_layer_writer *writer,
                    const repro_recipe_copy *copy, repro_error *err)
{
	repro_layer_file_attrs attrs;
	char *host_path, *target;
	size_t length;
	int fd = -1, result;

	/* The recipe module walks the path inside the tree and rejects a `from`
	 * that leaves it through ".." or a symbolic link. */
	result = repro_recipe_open_source(tree_fd, copy->from, &fd, err);
	if (fd >= 0)
		close(fd);
	if (result != REPRO_OK)
		return result;

	length = strlen(context->tree) + strlen(copy->from) + 2;
	host_path = malloc(length);
	target = copy_target(copy);
	if (host_path == NULL || target == NULL) {
		free(host_path);
		free(target);
		return repro_error_set(err, REPRO_ENOMEM, "copying '%s' failed", copy->from);
	}
	snprintf(host_path, length, "%s/%s", context->tree, copy->from);

	memset(&attrs, 0, sizeof(attrs));
	attrs.has_mode = copy->has_mode;
	attrs.mode = copy->mode;
	attrs.uid = copy->uid;
	attrs.gid = copy->gid;
	result = repro_layer_writer_add(writer, host_path, target, &attrs, copy->copy_contents, err);
	free(host_path);
	free(target);
	return result;
}

static int write_layer(const build_context *context, int tree_fd,
                       const repro_recipe_layer *layer, size_t index,
                       repro_layout_writer *layout, image_parts *parts, repro_error *err)
{
	repro_layer_write_options options;
	repro_layer_writer *writer = NULL;
	repro_layer_result written;
	repro_descriptor descriptor;
	char path[4096];
	int fd = -1, result;

	repro_layer_write_options_init(&options);
	options.source_date_epoch = context->source_date_epoch;
	result = repro_layer_writer_new(&writer, &options, err);
	for (size_t i = 0; result == REPRO_OK && i < layer->copy_count; i++) {
		result = add_copy(context, tree_fd, writer, &layer->copies[i], err);
		if (result != REPRO_OK)
			repro_error_prefix(err, "layers[%zu].copy[%zu]", index, i);
	}
	if (result == REPRO_OK) {
		snprintf(path, sizeof(path), "%s/layer-XXXXXX", context->blob_dir);
		fd = mkstemp(path);
		if (fd < 0)
			result = repro_error_set_errno(err, REPRO_EIO, errno,
			                               "creating a layer file in '%s' failed", context->blob_dir);
	}
	if (result == REPRO_OK)
		result = repro_layer_writer_finish(writer, fd, &written, err);
	if (result == REPRO_OK)
		result = repro_layout_add_blob_fd(layout, fd, &written.blob_digest,
		                                  (int64_t)written.blob_size, err);
	if (result == REPRO_OK)
		result = repro_descriptor_init(&descriptor, written.media_type, &written.blob_digest,
		                               (int64_t)written.blob_size, err);
	if (result == REPRO_OK) {
		result = parts_add_layer(parts, &descriptor, &written.diff_id, err);
		repro_descriptor_dispose(&descriptor);
	}
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	repro_layer_writer_free(writer);
	return result;
}

static json_t *string_array(const repro_recipe_strings *strings)
{
	json_t *array = json_array();

	for (size_t i = 0; array != NULL && i < strings->count; i++)
		json_array_append_new(array, json_string(strings->items[i]));
	return array;
}

/* Recipe Env entries replace base entries of the same name, in place, and
 * new names are appended, as a Dockerfile ENV does. */
static void merge_env(json_t *config, const repro_recipe_strings *env)
{
	json_t *merged = json_object_get(config, "Env");

	if (!json_is_array(merged)) {
		merged = json_array();
		json_object_set_new(config, "Env", merged);
	}
	for (size_t i = 0; i < env->count; i++) {
		const char *entry = env->items[i];
		size_t name_length = strcspn(entry, "=") + 1;
		bool replaced = false;
		size_t k;
		json_t *value;

		json_array_foreach(merged, k, value) {
			const char *existing = json_string_value(value);

			if (existing != NULL && strncmp(existing, entry, name_length) == 0) {
				json_array_set_new(merged, k, json_string(entry));
				replaced = true;
				break;
			}
		}
		if (!replaced)
			json_array_append_new(merged, json_string(entry));
	}
}

static json_t *set_of(const repro_recipe_strings *keys, json_t *existing)
{
	json_t *object = json_is_object(existing) ? json_deep_copy(existing) : json_object();

	for (size_t i = 0; i < keys->count; i++)
		json_object_set_new(object, keys->items[i], json_object());
	return object;
}

static void merge_runtime_config(json_t *config, const repro_recipe_config *recipe)
{
	if (recipe->user != NULL)
		json_object_set_new(config, "User", json_string(recipe->user));
	if (recipe->exposed_ports.present)
		json_object_set_new(config, "ExposedPorts",
		                    set_of(&recipe->exposed_ports, json_object_get(config, "ExposedPorts")));
	if (recipe->env.present)
		merge_env(config, &recipe->env);
	if (recipe->entrypoint.present)
		json_object_set_new(config, "Entrypoint", string_array(&recipe->entrypoint));
	if (recipe->cmd.present)
		json_object_set_new(config, "Cmd", string_array(&recipe->cmd));
	if (recipe->volumes.present)
		json_object_set_new(config, "Volumes",
		                    set_of(&recipe->volumes, json_object_get(config, "Volumes")));
	if (recipe->working_dir != NULL)
		json_object_set_new(config, "WorkingDir", json_string(recipe->working_dir));
	if (recipe->labels.present) {
		json_t *labels = json_object_get(config, "Labels");

		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(config, "Labels", labels);
		}
		for (size_t i = 0; i < recipe->labels.count; i++)
			json_object_set_new(labels, recipe->labels.items[i].name,
			                    json_string(recipe->labels.items[i].value));
	}
	if (recipe->stop_signal != NULL)
		json_object_set_new(config, "StopSignal", json_string(recipe->stop_signal));
}

static int write_config(const build_context *context, const repro_recipe_image *image,
                        image_parts *parts, repro_layout_writer *layout,
                        repro_descriptor *out, repro_error *err)
{
	repro_config_spec spec;
	repro_platform platform;
	repro_digest digest;
	char created[32], *bytes = NULL;
	size_t size = 0;
	int result;

	memset(&platform, 0, sizeof(platform));
	result = repro_platform_parse(&platform, image->platform, err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "platform");
	repro_build_format_time(context->source_date_epoch, created);
	merge_runtime_config(parts->runtime_config, &image->config);

	memset(&spec, 0, sizeof(spec));
	spec.created = created;
	spec.platform = &platform;
	spec.config = parts->runtime_config;
	spec.diff_ids = parts->diff_ids;
	spec.diff_id_count = parts->layer_count;
	spec.history = parts->history;
	result = repro_oci_config_write(&spec, &bytes, &size, err);
	if (result == REPRO_OK)
		result = repro_layout_add_blob_bytes(layout, bytes, size, &digest, err);
	if (result == REPRO_OK)
		result = repro_descriptor_init(out, REPRO_MEDIA_TYPE_OCI_CONFIG, &digest, (int64_t)size,
		                               err);
	free(bytes);
	repro_platform_dispose(&platform);
	return result;
}

static json_t *manifest_annotations(const build_context *context,
                                    const repro_recipe_image *image)
{
	json_t *annotations = json_object();
	char created[32];

	for (size_t i = 0; i < image->annotations.count; i++)
		json_object_set_new(annotations, image->annotations.items[i].name,
		                    json_string(image->annotations.items[i].value));
	/* Only facts of the commit: never a path, host, user or clock reading. */
	repro_build_format_time(context->source_date_epoch, created);
	if (json_object_get(annotations, "org.opencontainers.image.revision") == NULL)
		json_object_set_new(annotations, "org.opencontainers.image.revision",
		                    json_string(context->commit_id));
	if (json_object_get(annotations, "org.opencontainers.image.created") == NULL)
		json_object_set_new(annotations, "org.opencontainers.image.created", json_string(created));
	return annotations;
}

static int write_manifest(const build_context *context, const repro_recipe_image *image,
                          const image_parts *parts, const repro_descriptor *config,
                          repro_layout_writer *layout, repro_built_image *out,
                          repro_error *err)
{
	json_t *annotations = manifest_annotations(context, image);
	repro_descriptor descriptor;
	repro_digest digest;
	char *bytes = NULL;
	size_t size = 0;
	int result;

	memset(&descriptor, 0, sizeof(descriptor));
	result = repro_oci_manifest_write(config, parts->layers, parts->layer_count, annotations,
	                                  &bytes, &size, err);
	if (result == REPRO_OK)
		result = repro_layout_add_blob_bytes(layout, bytes, size, &digest, err);
	if (result == REPRO_OK)
		result = repro_descriptor_init(&descriptor, REPRO_MEDIA_TYPE_OCI_MANIFEST, &digest,
		                               (int64_t)size, err);
	if (result == REPRO_OK) {
		repro_layout_manifest entry;

		memset(&entry, 0, sizeof(entry));
		entry.media_type = REPRO_MEDIA_TYPE_OCI_MANIFEST;
		entry.digest = digest;
		entry.size = size;
		entry.ref_name = context->ref_name;
		result = repro_layout_add_manifest(layout, &entry, err);
	}
	if (result == REPRO_OK) {
		out->manifest = digest;
		out->manifest_size = size;
	}
	repro_descriptor_dispose(&descriptor);
	json_decref(annotations);
	free(bytes);
	return result;
}

static int fill_result(const repro_recipe_image *image, const build_context *context,
                       image_parts *parts, const repro_descriptor *config,
                       repro_built_image *out, repro_error *err)
{
	out->name = strdup(image->name);
	out->reference = image->reference ? strdup(image->reference) : NULL;
	out->platform = strdup(image->platform);
	out->layout_path = strdup(context->layout_dir);
	out->config = config->digest;
	out->config_size = (uint64_t)config->size;
	out->layers = parts->built;
	out->layer_count = parts->layer_count;
	parts->built = NULL;
	if (out->name == NULL || out->platform == NULL || out->layout_path == NULL ||
	    (image->reference != NULL && out->reference == NULL))
		return repro_error_set(err, REPRO_ENOMEM, "recording the build failed: out of memory");
	return REPRO_OK;
}

int build_assemble_image(const build_context *context, const repro_recipe_image *image,
                         repro_built_image *out, repro_error *err)
{
	repro_layout_writer *layout = NULL;
	repro_layout_options layout_options;
	repro_descriptor config;
	image_parts parts;
	int tree_fd, result;

	memset(out, 0, sizeof(*out));
	memset(&parts, 0, sizeof(parts));
	memset(&config, 0, sizeof(config));
	memset(&layout_options, 0, sizeof(layout_options));
	parts.history = json_array();
	parts.runtime_config = json_object();
	tree_fd = open(context->tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tree_fd < 0 || parts.history == NULL || parts.runtime_config == NULL) {
		result = repro_error_set_errno(err, REPRO_EIO, errno, "opening the build tree failed");
		goto done;
	}

	layout_options.replace = context->replace_output;
	result = repro_layout_writer_new(&layout, context->layout_dir, &layout_options, err);
	if (result == REPRO_OK && image->base.kind == REPRO_RECIPE_BASE_LAYOUT)
		result = add_base(context, image, layout, &parts, err);
	for (size_t i = 0; result == REPRO_OK && i < image->layer_count; i++) {
		char created[32];

		result = build_check_interrupt(err);
		build_status(context->options, "image '%s': writing layer %zu of %zu", image->name,
		             i + 1, image->layer_count);
		if (result == REPRO_OK)
			result = write_layer(context, tree_fd, &image->layers[i], i, layout, &parts, err);
		repro_build_format_time(context->source_date_epoch, created);
		if (result == REPRO_OK)
			json_array_append_new(parts.history,
				json_pack("{s:s, s:s}", "created", created, "created_by",
				          "reprocheck: recipe layer copy"));
	}
	if (result == REPRO_OK)
		result = write_config(context, image, &parts, layout, &config, err);
	if (result == REPRO_OK)
		result = write_manifest(context, image, &parts, &config, layout, out, err);
	if (result == REPRO_OK)
		result = repro_layout_writer_commit(layout, err);
	if (result == REPRO_OK)
		result = fill_result(image, context, &parts, &config, out, err);

done:
	if (result != REPRO_OK)
		build_image_dispose(out);
	if (tree_fd >= 0)
		close(tree_fd);
	repro_descriptor_dispose(&config);
	repro_layout_writer_free(layout);
	parts_dispose(&parts);
	return result;
}

void build_image_dispose(repro_built_image *image)
{
	free(image->name);
	free(image->reference);
	free(image->platform);
	free(image->layers);
	free(image->layout_path);
	memset(image, 0, sizeof(*image));
}

#include "source_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A source over the files of an OCI layout or a docker-archive. */
typedef struct tree_source {
	repro_source base;
	repro_tree tree;
	/* legacy docker-archive: the archive member of each blob digest */
	repro_digest *path_digests;
	char **paths;
	size_t path_count;
} tree_source;

static int tree_open_raw(repro_source *source, const repro_descriptor *descriptor,
                         repro_stream **out, repro_error *err)
{
	tree_source *self = (tree_source *)source;
	char path[REPRO_DIGEST_STRING_MAX + 16];
	int64_t size;

	for (size_t i = 0; i < self->path_count; i++) {
		if (repro_digest_equal(&self->path_digests[i], &descriptor->digest))
			return repro_tree_open_file(&self->tree, self->paths[i], out, &size, err);
	}
	repro_blob_path(&descriptor->digest, path, sizeof(path));
	return repro_tree_open_file(&self->tree, path, out, &size, err);
}

static void tree_free(repro_source *source)
{
	tree_source *self = (tree_source *)source;

	repro_tree_dispose(&self->tree);
	for (size_t i = 0; i < self->path_count; i++)
		free(self->paths[i]);
	free(self->paths);
	free(self->path_digests);
	repro_source_base_dispose(source);
	free(self);
}

static const repro_source_ops tree_source_ops = {tree_open_raw, tree_free};

/* Creates the source and takes over @p tree. */
static int tree_source_new(tree_source **out, repro_tree *tree, const char *spec,
                           repro_error *err)
{
	tree_source *self = calloc(1, sizeof(*self));
	int result;

	*out = NULL;
	if (self == NULL) {
		repro_tree_dispose(tree);
		return repro_error_set(err, REPRO_ENOMEM, "opening '%s' failed", spec);
	}
	self->tree = *tree;
	memset(tree, 0, sizeof(*tree));
	tree->dirfd = -1;
	result = repro_source_base_init(&self->base, &tree_source_ops, spec, err);
	if (result != REPRO_OK) {
		tree_free(&self->base);
		return result;
	}
	*out = self;
	return REPRO_OK;
}

int repro_docker_source_add_path(repro_source *source, const repro_digest *digest,
                                 const char *path, repro_error *err)
{
	tree_source *self = (tree_source *)source;
	size_t count = self->path_count + 1;
	repro_digest *digests = realloc(self->path_digests, count * sizeof(*digests));
	char **paths;

	if (digests == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "indexing '%s' failed", source->spec);
	self->path_digests = digests;
	paths = realloc(self->paths, count * sizeof(*paths));
	if (paths == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "indexing '%s' failed", source->spec);
	self->paths = paths;
	if ((paths[self->path_count] = strdup(path)) == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "indexing '%s' failed", source->spec);
	digests[self->path_count] = *digest;
	self->path_count++;
	return REPRO_OK;
}

static int check_layout_file(const repro_tree *tree, repro_error *err)
{
	unsigned char *bytes;
	size_t size;
	json_t *root = NULL;
	const char *version;
	int result = repro_tree_read(tree, "oci-layout", REPRO_LAYOUT_FILE_MAX_BYTES, &bytes, &size,
	                             err);

	if (result == REPRO_ENOTFOUND)
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s' is not an OCI image layout: no oci-layout file", tree->path);
	if (result != REPRO_OK)
		return result;
	result = repro_json_parse(&root, bytes, size, "oci-layout", NULL, err);
	if (result == REPRO_OK)
		result = repro_json_get_string(root, "imageLayoutVersion", "", true, &version, err);
	if (result == REPRO_OK && strcmp(version, "1.0.0") != 0)
		result = repro_error_set(err, REPRO_EUNSUPPORTED,
			"imageLayoutVersion is '%.40s'; only 1.0.0 is supported", version);
	if (result != REPRO_OK)
		repro_error_prefix(err, "reading '%s/oci-layout'", tree->path);
	json_decref(root);
	free(bytes);
	return result;
}

/* Writes the ref names (or image names) of @p index into @p out for messages. */
static void list_names(const repro_index *index, const char *annotation, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < index->manifest_count && used < size; i++) {
		const char *name = repro_descriptor_annotation(&index->manifests[i], annotation);

		if (name != NULL)
			used += (size_t)snprintf(out + used, size - used, "%s'%.100s'", used ? ", " : "",
			                         name);
	}
	if (out[0] == '\0')
		snprintf(out, size, "none");
}

/* Builds a descriptor for a blob named by digest alone, reading its media type from it. */
static int describe_blob(tree_source *self, const repro_digest *digest, repro_descriptor *out,
                         repro_error *err)
{
	char path[REPRO_DIGEST_STRING_MAX + 16];
	unsigned char *bytes;
	size_t size;
	json_t *root = NULL;
	repro_oci_kind kind;
	const char *media_type;
	int result;

	repro_blob_path(digest, path, sizeof(path));
	result = repro_tree_read(&self->tree, path, REPRO_OCI_MAX_MANIFEST_BYTES, &bytes, &size, err);
	if (result != REPRO_OK)
		return result;
	result = repro_json_parse(&root, bytes, size, path, NULL, err);
	if (result == REPRO_OK)
		result = repro_oci_detect_kind(root, NULL, path, &kind, &media_type, err);
	if (result == REPRO_OK)
		result = repro_descriptor_init(out, media_type, digest, (int64_t)size, err);
	json_decref(root);
	free(bytes);
	return result;
}

static int select_by_digest(tree_source *self, const repro_index *index, const char *ref,
                            repro_error *err)
{
	repro_digest digest;
	int result = repro_digest_parse(&digest, ref, err);

	if (result != REPRO_OK)
		return repro_error_prefix(err, "reference in '%s'", self->base.spec);
	for (size_t i = 0; i < index->manifest_count; i++) {
		if (repro_digest_equal(&index->manifests[i].digest, &digest))
			return repro_descriptor_copy(&self->base.root, &index->manifests[i], err);
	}
	result = describe_blob(self, &digest, &self->base.root, err);
	if (result == REPRO_ENOTFOUND)
		return repro_error_set(err, REPRO_ENOTFOUND, "no manifest %s in '%s'", ref,
		                       self->tree.path);
	return result;
}

static int select_by_annotation(tree_source *self, const repro_index *index,
                                const char *annotation, const char *wanted, bool docker_name,
                                repro_error *err)
{
	const repro_descriptor *found = NULL;
	char names[512];

	for (size_t i = 0; i < index->manifest_count; i++) {
		const char *name = repro_descriptor_annotation(&index->manifests[i], annotation);
		char normalized[512];

		if (name == NULL)
			continue;
		if (docker_name)
			repro_docker_normalize_name(name, normalized, sizeof(normalized));
		if (strcmp(docker_name ? normalized : name, wanted) != 0)
			continue;
		if (found != NULL)
			return repro_error_set(err, REPRO_EUNSUPPORTED,
				"'%s' names more than one manifest in '%s'; select one by digest", wanted,
				self->tree.path);
		found = &index->manifests[i];
	}
	if (found == NULL) {
		list_names(index, annotation, names, sizeof(names));
		return repro_error_set(err, REPRO_ENOTFOUND, "image '%s' not found in '%s'; available: %s",
		                       wanted, self->tree.path, names);
	}
	return repro_descriptor_copy(&self->base.root, found, err);
}

/* Makes index.json itself the root, served from memory. */
static int select_layout_index(tree_source *self, const repro_index *index, repro_error *err)
{
	unsigned char *copy = malloc(index->doc.size + 1);
	repro_digest digest;
	int result;

	if (copy == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "copying index.json failed");
	memcpy(copy, index->doc.bytes, index->doc.size + 1);
	result = repro_source_add_memory_blob(&self->base, copy, index->doc.size, &digest, err);
	if (result == REPRO_OK)
		result = repro_descriptor_init(&self->base.root, REPRO_MEDIA_TYPE_OCI_INDEX, &digest,
		                               (int64_t)index->doc.size, err);
	self->base.root_is_layout_index = true;
	return result;
}

static int select_root(tree_source *self, const repro_index *index, const char *ref,
                       const char *image_name, repro_error *err)
{
	char normalized[512];

	if (image_name != NULL) {
		repro_docker_normalize_name(image_name, normalized, sizeof(normalized));
		return select_by_annotation(self, index, "io.containerd.image.name", normalized, true,
		                            err);
	}
	if (ref != NULL && strchr(ref, ':') != NULL)
		return select_by_digest(self, index, ref, err);
	if (ref != NULL)
		return select_by_annotation(self, index, REPRO_ANNOTATION_REF_NAME, ref, false, err);
	if (index->manifest_count == 0)
		return repro_error_set(err, REPRO_EINVALID, "'%s/index.json' lists no images",
		                       self->tree.path);
	if (index->manifest_count == 1)
		return repro_descriptor_copy(&self->base.root, &index->manifests[0], err);
	return select_layout_index(self, index, err);
}

int repro_layout_source_open(repro_source **out, repro_tree *tree, const char *spec,
                             const char *ref, const char *image_name, repro_error *err)
{
	tree_source *self;
	repro_index *index = NULL;
	unsigned char *bytes = NULL;
	size_t size;
	int result;

	*out = NULL;
	result = tree_source_new(&self, tree, spec, err);
	if (result != REPRO_OK)
		return result;
	if ((result = check_layout_file(&self->tree, err)) != REPRO_OK)
		goto cleanup;
	result = repro_tree_read(&self->tree, "index.json", REPRO_OCI_MAX_MANIFEST_BYTES, &bytes,
	                         &size, err);
	if (result == REPRO_OK)
		result = repro_index_parse(&index, bytes, size, NULL, err);
	if (result != REPRO_OK) {
		repro_error_prefix(err, "reading '%s/index.json'", self->tree.path);
		goto cleanup;
	}
	if ((result = select_root(self, index, ref, image_name, err)) != REPRO_OK)
		goto cleanup;
	*out = &self->base;
	self = NULL;

cleanup:
	repro_index_free(index);
	free(bytes);
	if (self != NULL)
		tree_free(&self->base);
	return result;
}

int repro_docker_source_new(repro_source **out, repro_tree *tree, const char *spec,
                            repro_error *err)
{
	tree_source *self;
	int result = tree_source_new(&self, tree, spec, err);

	*out = result == REPRO_OK ? &self->base : NULL;
	return result;
}

repro_tree *repro_docker_source_tree(repro_source *source)
{
	return &((tree_source *)source)->tree;
}

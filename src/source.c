#include "source_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define VALID_PREFIXES "oci:, oci-archive:, docker-archive:, docker://"

int repro_source_base_init(repro_source *source, const repro_source_ops *ops, const char *spec,
                           repro_error *err)
{
	source->ops = ops;
	source->spec = strdup(spec);
	if (source->spec == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "opening '%s' failed", spec);
	return REPRO_OK;
}

void repro_source_base_dispose(repro_source *source)
{
	free(source->spec);
	repro_descriptor_dispose(&source->root);
	for (size_t i = 0; i < source->memory_count; i++)
		free(source->memory[i].bytes);
	source->memory_count = 0;
}

int repro_source_add_memory_blob(repro_source *source, unsigned char *bytes, size_t size,
                                 repro_digest *digest, repro_error *err)
{
	int result;

	if (source->memory_count == REPRO_SOURCE_MEMORY_BLOBS) {
		free(bytes);
		return repro_error_set(err, REPRO_ELIMIT, "too many in-memory documents");
	}
	result = repro_digest_buffer(digest, REPRO_DIGEST_SHA256, bytes, size, err);
	if (result != REPRO_OK) {
		free(bytes);
		return result;
	}
	source->memory[source->memory_count].digest = *digest;
	source->memory[source->memory_count].bytes = bytes;
	source->memory[source->memory_count].size = size;
	source->memory_count++;
	return REPRO_OK;
}

void repro_source_free(repro_source *source)
{
	if (source != NULL)
		source->ops->free(source);
}

const char *repro_source_spec(const repro_source *source)
{
	return source->spec;
}

const repro_descriptor *repro_source_root(const repro_source *source)
{
	return &source->root;
}

typedef enum source_kind { KIND_DETECT, KIND_OCI, KIND_OCI_ARCHIVE, KIND_DOCKER_ARCHIVE } source_kind;

/* Splits "PATH[:REST]" at the first ':' into malloc()ed parts. */
static int split_path(const char *text, char **path, char **rest, repro_error *err)
{
	const char *colon = strchr(text, ':');

	*rest = NULL;
	*path = colon ? strndup(text, (size_t)(colon - text)) : strdup(text);
	if (*path != NULL && colon != NULL)
		*rest = strdup(colon + 1);
	if (*path == NULL || (colon != NULL && *rest == NULL)) {
		free(*path);
		*path = NULL;
		return repro_error_set(err, REPRO_ENOMEM, "parsing '%s' failed", text);
	}
	return REPRO_OK;
}

static int check_prefix(const char *spec, repro_error *err)
{
	size_t length = strspn(spec, "abcdefghijklmnopqrstuvwxyz0123456789-");
	struct stat info;

	if (length == 0 || spec[length] != ':' || stat(spec, &info) == 0)
		return REPRO_OK;
	if (strncmp(spec, "docker:", 7) == 0)
		return repro_error_set(err, REPRO_EUSAGE, "'%s' is not a registry source: write "
		                       "docker://REFERENCE", spec);
	if (spec[length + 1] >= '0' && spec[length + 1] <= '9')
		return REPRO_OK;  /* HOST:PORT/..., a registry reference */
	return repro_error_set(err, REPRO_EUSAGE,
		"unknown source type '%.*s' in '%s'; valid prefixes: " VALID_PREFIXES
		", or a bare path", (int)length, spec, spec);
}

static int open_oci_directory(repro_source **out, const char *spec, const char *path,
                              const char *ref, repro_error *err)
{
	repro_tree tree;
	int result = repro_tree_open_directory(&tree, path, err);

	if (result == REPRO_ENOTFOUND)
		return repro_error_set(err, REPRO_ENOTFOUND,
		                       "'%s' not found: expected an OCI image layout directory", path);
	if (result != REPRO_OK)
		return result;
	return repro_layout_source_open(out, &tree, spec, ref, NULL, err);
}

static int open_archive(repro_source **out, const char *spec, const char *path,
                        const char *rest, source_kind kind, repro_error *err)
{
	repro_tree tree;
	bool has_layout, has_docker_manifest;
	int result = repro_tree_open_archive(&tree, path, err);

	if (result == REPRO_ENOTFOUND)
		return repro_error_set(err, REPRO_ENOTFOUND, "'%s' not found: expected a tar archive",
		                       path);
	if (result != REPRO_OK)
		return result;
	has_layout = repro_tree_exists(&tree, "oci-layout") && repro_tree_exists(&tree, "index.json");
	has_docker_manifest = repro_tree_exists(&tree, "manifest.json");
	if (kind == KIND_DETECT)
		kind = has_docker_manifest ? KIND_DOCKER_ARCHIVE : KIND_OCI_ARCHIVE;

	if (kind == KIND_OCI_ARCHIVE)
		return repro_layout_source_open(out, &tree, spec, rest, NULL, err);
	if (!has_docker_manifest) {
		repro_tree_dispose(&tree);
		if (has_layout)
			return repro_error_set(err, REPRO_EFORMAT, "'%s' is an OCI archive, not a "
			                       "docker-archive: read it as 'oci-archive:%s'", path, path);
		return repro_error_set(err, REPRO_EFORMAT, "'%s' is not a docker-archive: it has no "
		                       "manifest.json", path);
	}
	if (has_layout) {
		/* Docker 25+ writes an OCI layout beside manifest.json; its index is
		 * the real image, so it is preferred to the legacy files. */
		return repro_layout_source_open(out, &tree, spec, NULL, rest, err);
	}
	tree.follow_links = true;
	return repro_docker_legacy_source_open(out, &tree, spec, rest, err);
}

static int open_detected(repro_source **out, const char *spec, repro_error *err)
{
	struct stat info;

	if (stat(spec, &info) != 0) {
		if (errno == ENOENT)
			return repro_error_set(err, REPRO_ENOTFOUND, "'%s' not found", spec);
		return repro_error_set_errno(err, REPRO_EIO, errno, "reading '%s' failed", spec);
	}
	if (S_ISDIR(info.st_mode))
		return open_oci_directory(out, spec, spec, NULL, err);
	return open_archive(out, spec, spec, NULL, KIND_DETECT, err);
}

int repro_source_open(repro_source **out, const char *spec, repro_error *err)
{
	return repro_source_open_with(out, spec, NULL, err);
}

int repro_source_open_with(repro_source **out, const char *spec,
                           const repro_source_options *options, repro_error *err)
{
	struct stat info;

	static const struct {
		const char *prefix;
		source_kind kind;
	} prefixes[] = {
		{"oci:", KIND_OCI}, {"oci-archive:", KIND_OCI_ARCHIVE},
		{"docker-archive:", KIND_DOCKER_ARCHIVE},
	};
	char *path = NULL, *rest = NULL;
	int result;

	*out = NULL;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t length = strlen(prefixes[i].prefix);

		if (strncmp(spec, prefixes[i].prefix, length) != 0)
			continue;
		result = split_path(spec + length, &path, &rest, err);
		if (result == REPRO_OK && path[0] == '\0')
			result = repro_error_set(err, REPRO_EUSAGE, "'%s' names no path", spec);
		if (result == REPRO_OK && rest != NULL && rest[0] == '\0')
			result = repro_error_set(err, REPRO_EUSAGE, "'%s' ends with ':' but names no image",
			                         spec);
		if (result == REPRO_OK && prefixes[i].kind == KIND_OCI)
			result = open_oci_directory(out, spec, path, rest, err);
		else if (result == REPRO_OK)
			result = open_archive(out, spec, path, rest, prefixes[i].kind, err);
		free(path);
		free(rest);
		return result;
	}
	if (strncmp(spec, "docker://", 9) == 0)
		return repro_registry_source_open(out, spec, spec + 9, options, err);
	result = check_prefix(spec, err);
	if (result != REPRO_OK)
		return result;
	if (stat(spec, &info) != 0 && repro_reference_names_registry(spec))
		return repro_registry_source_open(out, spec, spec, options, err);
	return open_detected(out, spec, err);
}

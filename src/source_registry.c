/*
 * A source over a registry repository: manifests and indexes are fetched
 * by digest (and checked), other blobs are streamed.
 */
#include "source_internal.h"

#include <stdlib.h>
#include <string.h>

#include <reprocheck/registry.h>

typedef struct registry_source {
	repro_source base;
	repro_registry *registry;
	repro_reference reference;
} registry_source;

/* A memory stream that owns its bytes. */
typedef struct owned_stream {
	repro_stream base;
	unsigned char *bytes;
	size_t size;
	size_t offset;
} owned_stream;

static ssize_t owned_read(repro_stream *stream, void *buffer, size_t size, repro_error *err)
{
	owned_stream *self = (owned_stream *)stream;

	(void)err;
	if (size > self->size - self->offset)
		size = self->size - self->offset;
	memcpy(buffer, self->bytes + self->offset, size);
	self->offset += size;
	return (ssize_t)size;
}

static void owned_close(repro_stream *stream)
{
	owned_stream *self = (owned_stream *)stream;

	free(self->bytes);
	free(self);
}

static const repro_stream_ops owned_stream_ops = {owned_read, owned_close};

static int open_manifest(registry_source *self, const repro_descriptor *descriptor,
                         repro_stream **out, repro_error *err)
{
	repro_registry_manifest manifest;
	owned_stream *stream;
	int result = repro_registry_get_manifest(self->registry, &self->reference,
	                                         &descriptor->digest, &manifest, err);

	if (result != REPRO_OK)
		return result;
	if ((stream = calloc(1, sizeof(*stream))) == NULL) {
		repro_registry_manifest_dispose(&manifest);
		return repro_error_set(err, REPRO_ENOMEM, "reading a manifest failed");
	}
	stream->base.ops = &owned_stream_ops;
	stream->bytes = manifest.bytes;
	stream->size = manifest.size;
	manifest.bytes = NULL;
	repro_registry_manifest_dispose(&manifest);
	*out = &stream->base;
	return REPRO_OK;
}

static int registry_open_raw(repro_source *source, const repro_descriptor *descriptor,
                             repro_stream **out, repro_error *err)
{
	registry_source *self = (registry_source *)source;
	repro_oci_kind kind = repro_media_type_kind(descriptor->media_type);

	*out = NULL;
	if (kind == REPRO_OCI_KIND_MANIFEST || kind == REPRO_OCI_KIND_INDEX)
		return open_manifest(self, descriptor, out, err);
	return repro_registry_open_blob(self->registry, &self->reference, descriptor, out, err);
}

static void registry_source_free(repro_source *source)
{
	registry_source *self = (registry_source *)source;

	repro_registry_free(self->registry);
	repro_reference_dispose(&self->reference);
	repro_source_base_dispose(source);
	free(self);
}

static const repro_source_ops registry_source_ops = {registry_open_raw, registry_source_free};

/* Fetches the root manifest or index and keeps its bytes in memory. */
static int fetch_root(registry_source *self, repro_error *err)
{
	repro_registry_manifest manifest;
	repro_digest digest;
	int result = repro_registry_get_manifest(self->registry, &self->reference, NULL, &manifest,
	                                         err);

	if (result != REPRO_OK)
		return result;
	result = repro_descriptor_init(&self->base.root, manifest.media_type, &manifest.digest,
	                               (int64_t)manifest.size, err);
	if (result == REPRO_OK && manifest.digest.algorithm == REPRO_DIGEST_SHA256) {
		result = repro_source_add_memory_blob(&self->base, manifest.bytes, manifest.size, &digest,
		                                      err);
		manifest.bytes = NULL;
	}
	repro_registry_manifest_dispose(&manifest);
	return result;
}

int repro_registry_source_open(repro_source **out, const char *spec, const char *reference,
                               const repro_source_options *options, repro_error *err)
{
	repro_registry_settings defaults;
	registry_source *self;
	int result;

	*out = NULL;
	if ((self = calloc(1, sizeof(*self))) == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "opening '%s' failed", spec);
	if ((result = repro_source_base_init(&self->base, &registry_source_ops, spec, err)) != 0) {
		free(self);
		return result;
	}
	repro_registry_settings_init(&defaults);
	if ((result = repro_reference_parse(&self->reference, reference, err)) != REPRO_OK ||
	    (result = repro_registry_new(&self->registry, options && options->registry ?
	                                 options->registry : &defaults, err)) != REPRO_OK ||
	    (result = fetch_root(self, err)) != REPRO_OK) {
		registry_source_free(&self->base);
		return result;
	}
	*out = &self->base;
	return REPRO_OK;
}

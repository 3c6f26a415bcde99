#include "oci_internal.h"

#include <string.h>

typedef struct media_type_entry {
	const char *name;
	repro_oci_kind kind;
	repro_compression compression;
	bool docker;
} media_type_entry;

static const media_type_entry media_types[] = {
	{REPRO_MEDIA_TYPE_OCI_MANIFEST, REPRO_OCI_KIND_MANIFEST, REPRO_COMPRESSION_NONE, false},
	{REPRO_MEDIA_TYPE_OCI_INDEX, REPRO_OCI_KIND_INDEX, REPRO_COMPRESSION_NONE, false},
	{REPRO_MEDIA_TYPE_OCI_CONFIG, REPRO_OCI_KIND_CONFIG, REPRO_COMPRESSION_NONE, false},
	{REPRO_MEDIA_TYPE_OCI_LAYER, REPRO_OCI_KIND_LAYER, REPRO_COMPRESSION_NONE, false},
	{REPRO_MEDIA_TYPE_OCI_LAYER_GZIP, REPRO_OCI_KIND_LAYER, REPRO_COMPRESSION_GZIP, false},
	{REPRO_MEDIA_TYPE_OCI_LAYER_ZSTD, REPRO_OCI_KIND_LAYER, REPRO_COMPRESSION_ZSTD, false},
	{REPRO_MEDIA_TYPE_OCI_LAYER_NONDIST, REPRO_OCI_KIND_LAYER, REPRO_COMPRESSION_NONE, false},
	{REPRO_MEDIA_TYPE_OCI_LAYER_NONDIST_GZIP, REPRO_OCI_KIND_LAYER, REPRO_COMPRESSION_GZIP,
	 false},
	{REPRO_MEDIA_TYPE_OCI_LAYER_NONDIST_ZSTD, REPRO_OCI_KIND_LAYER, REPRO_COMPRESSION_ZSTD,
	 false},
	{REPRO_MEDIA_TYPE_DOCKER_MANIFEST, REPRO_OCI_KIND_MANIFEST, REPRO_COMPRESSION_NONE, true},
	{REPRO_MEDIA_TYPE_DOCKER_MANIFEST_LIST, REPRO_OCI_KIND_INDEX, REPRO_COMPRESSION_NONE, true},
	{REPRO_MEDIA_TYPE_DOCKER_CONFIG, REPRO_OCI_KIND_CONFIG, REPRO_COMPRESSION_NONE, true},
	{REPRO_MEDIA_TYPE_DOCKER_LAYER, REPRO_OCI_KIND_LAYER, REPRO_COMPRESSION_NONE, true},
	{REPRO_MEDIA_TYPE_DOCKER_LAYER_GZIP, REPRO_OCI_KIND_LAYER, REPRO_COMPRESSION_GZIP, true},
	{REPRO_MEDIA_TYPE_DOCKER_FOREIGN_LAYER_GZIP, REPRO_OCI_KIND_LAYER, REPRO_COMPRESSION_GZIP,
	 true},
};

static const media_type_entry *find_media_type(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(media_types) / sizeof(media_types[0]); i++) {
		if (strcmp(media_types[i].name, name) == 0)
			return &media_types[i];
	}
	return NULL;
}

int repro_media_type_compression(const char *media_type, repro_compression *out,
                                 repro_error *err)
{
	const media_type_entry *entry = find_media_type(media_type);

	*out = REPRO_COMPRESSION_NONE;
	if (entry == NULL || entry->kind != REPRO_OCI_KIND_LAYER)
		return repro_error_set(err, REPRO_EUNSUPPORTED, "unsupported layer media type '%s'",
		                       media_type ? media_type : "(none)");
	*out = entry->compression;
	return REPRO_OK;
}

repro_oci_kind repro_media_type_kind(const char *media_type)
{
	const media_type_entry *entry = find_media_type(media_type);

	return entry == NULL ? REPRO_OCI_KIND_UNKNOWN : entry->kind;
}

bool repro_media_type_is_docker(const char *media_type)
{
	const media_type_entry *entry = find_media_type(media_type);

	return entry != NULL && entry->docker;
}

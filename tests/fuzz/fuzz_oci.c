/*
 * Parses the input as a manifest, an index and a config, and writes parsed
 * manifests back, so that every parser of the oci module gets hostile bytes.
 */
#include <stdint.h>
#include <stdlib.h>

#include <reprocheck/oci.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	repro_manifest *manifest;
	repro_index *index;
	repro_config *config;
	repro_error err;

	if (repro_manifest_parse(&manifest, data, size, NULL, &err) == REPRO_OK) {
		char *text;
		size_t length;
		repro_compression compression;

		for (size_t i = 0; i < manifest->layer_count; i++)
			(void)repro_media_type_compression(manifest->layers[i].media_type, &compression,
			                                   &err);
		if (repro_oci_manifest_write(&manifest->config, manifest->layers, manifest->layer_count,
		                             manifest->annotations, &text, &length, &err) == REPRO_OK)
			free(text);
		repro_manifest_free(manifest);
	}
	if (repro_index_parse(&index, data, size, NULL, &err) == REPRO_OK) {
		char *text;
		size_t length;

		for (size_t i = 0; i < index->manifest_count; i++) {
			repro_platform copy;

			(void)repro_descriptor_is_attestation(&index->manifests[i]);
			if (index->manifests[i].has_platform &&
			    repro_platform_copy(&copy, &index->manifests[i].platform, &err) == REPRO_OK) {
				(void)repro_platform_normalize(&copy, &err);
				repro_platform_dispose(&copy);
			}
		}
		if (repro_oci_index_write(index->manifests, index->manifest_count, index->annotations,
		                          &text, &length, &err) == REPRO_OK)
			free(text);
		repro_index_free(index);
	}
	if (repro_config_parse(&config, data, size, NULL, &err) == REPRO_OK)
		repro_config_free(config);
	return 0;
}

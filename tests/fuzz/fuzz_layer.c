#include <stdint.h>

#include <reprocheck/layer.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	repro_layer_read_options options;
	repro_layer_info info;
	repro_stream *stream;
	repro_error err;

	if (repro_stream_open_memory(&stream, data, size, &err) != REPRO_OK)
		return 0;
	repro_layer_read_options_init(&options);
	/* Odd sizes take the diff's first-pass mode: fingerprints, no digests. */
	options.hash_contents = size % 2 == 0;
	options.fingerprint_contents = size % 2 == 1;
	options.skip_digests = size % 2 == 1;
	options.max_uncompressed_bytes = (uint64_t)8 << 20;
	options.max_entries = 1000;
	options.max_path_bytes = 1024;
	if (repro_layer_read(stream, &options, &info, &err) == REPRO_OK) {
		/* Every entry the reader returns has a path and a clean path, and
		 * regular files have the content hash that was asked for. */
		for (size_t i = 0; i < info.entry_count; i++) {
			const repro_layer_entry *entry = &info.entries[i];

			if (entry->path == NULL || entry->clean_path == NULL)
				__builtin_trap();
			if (entry->type == REPRO_ENTRY_REGULAR &&
			    (entry->has_fingerprint != options.fingerprint_contents ||
			     entry->has_content_digest != options.hash_contents))
				__builtin_trap();
		}
		if (info.has_digests == options.skip_digests)
			__builtin_trap();
		if (info.blob_size != size)
			__builtin_trap();
		repro_layer_info_dispose(&info);
	}
	repro_stream_close(stream);
	return 0;
}

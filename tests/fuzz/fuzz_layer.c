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
	options.hash_contents = 1;
	options.max_uncompressed_bytes = (uint64_t)8 << 20;
	options.max_entries = 1000;
	options.max_path_bytes = 1024;
	if (repro_layer_read(stream, &options, &info, &err) == REPRO_OK) {
		/* Every entry the reader returns has a path and a clean path. */
		for (size_t i = 0; i < info.entry_count; i++) {
			if (info.entries[i].path == NULL || info.entries[i].clean_path == NULL)
				__builtin_trap();
		}
		if (info.blob_size != size)
			__builtin_trap();
		repro_layer_info_dispose(&info);
	}
	repro_stream_close(stream);
	return 0;
}

/*
 * State of one repro_layer_read() call, shared by the pipeline
 * (layer_read.c) and the entry bookkeeping (layer_entries.c).
 */
#ifndef REPROCHECK_LAYER_READ_INTERNAL_H
#define REPROCHECK_LAYER_READ_INTERNAL_H

#include "layer_internal.h"

struct archive_entry;

typedef struct layer_reader {
	repro_stream *blob;
	repro_layer_read_options options;
	repro_chunk_queue queue;

	/* Written by the decoding thread; read by the caller after the join. */
	repro_decoder *decoder;
	repro_compression compression;
	int compression_mismatch;
	repro_gzip_facts gzip;
	uint64_t blob_size;
	uint64_t uncompressed_size;

	/* Owned by the tar thread. */
	repro_hasher blob_hasher;
	repro_hasher diff_hasher;
	repro_chunk *current;        /* the chunk libarchive is reading */
	int source_ended;
	int source_result;
	repro_error source_error;
	repro_layer_entry *entries;
	size_t entry_count;
	size_t entry_capacity;
	size_t *path_table;          /* open addressing: entry index + 1, 0 when empty */
	size_t path_table_size;
	repro_layer_finding *findings;
	size_t finding_count;
	size_t finding_capacity;
} layer_reader;

/*
 * Appends the entry whose header libarchive just read, checks its path and
 * records findings. @p out points into reader->entries until the next call.
 */
int repro_layer_record_entry(layer_reader *reader, struct archive_entry *header,
                             int archive_format, repro_layer_entry **out, repro_error *err);

/* Frees what the reader still owns: entries, path table, findings. */
void repro_layer_reader_dispose_entries(layer_reader *reader);

#endif

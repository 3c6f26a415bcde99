/*
 * Internals of the layer reader: the chunk queue between its two threads
 * and the streaming decoders (gzip through ISA-L or zlib, zstd).
 */
#ifndef REPROCHECK_LAYER_INTERNAL_H
#define REPROCHECK_LAYER_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <reprocheck/error.h>
#include <reprocheck/layer.h>

/* Chunk kinds, a bit mask: an uncompressed blob's chunk is both. */
#define REPRO_CHUNK_COMPRESSED 0x1u
#define REPRO_CHUNK_UNCOMPRESSED 0x2u

typedef struct repro_chunk {
	unsigned char *data;
	size_t size;
	unsigned int kinds;
} repro_chunk;

/*
 * A fixed pool of equal chunks and a FIFO of filled ones, for exactly one
 * producer and one consumer. Memory is chunk_size * chunk_count, allocated
 * once. The producer acquires free chunks, fills and pushes them, then
 * calls repro_chunk_queue_finish() with its result. The consumer pops and
 * releases them, or cancels, which makes every later acquire return NULL.
 */
typedef struct repro_chunk_queue {
	pthread_mutex_t lock;
	pthread_cond_t chunk_freed;
	pthread_cond_t chunk_pushed;
	size_t chunk_size;
	size_t chunk_count;
	repro_chunk *chunks;
	unsigned char *memory;
	repro_chunk **free_chunks;  /* a stack of chunk_count entries */
	size_t free_count;
	repro_chunk **filled;       /* a ring of chunk_count entries */
	size_t filled_head;
	size_t filled_count;
	int finished;
	int cancelled;
	int result;                 /* the producer's result, once finished */
	repro_error error;          /* the producer's error, once finished */
} repro_chunk_queue;

int repro_chunk_queue_init(repro_chunk_queue *queue, size_t chunk_size, size_t chunk_count,
                           repro_error *err);
void repro_chunk_queue_dispose(repro_chunk_queue *queue);

/* Producer side. acquire returns NULL once the consumer cancelled. */
repro_chunk *repro_chunk_queue_acquire(repro_chunk_queue *queue);
void repro_chunk_queue_push(repro_chunk_queue *queue, repro_chunk *chunk);
void repro_chunk_queue_finish(repro_chunk_queue *queue, int result, const repro_error *error);

/*
 * Consumer side. pop returns NULL when the producer finished and the FIFO
 * is empty; then *result and err hold the producer's result.
 */
repro_chunk *repro_chunk_queue_pop(repro_chunk_queue *queue, int *result, repro_error *err);
void repro_chunk_queue_release(repro_chunk_queue *queue, repro_chunk *chunk);
void repro_chunk_queue_cancel(repro_chunk_queue *queue);

/* A streaming decoder for one compressed blob. */
typedef struct repro_decoder repro_decoder;

/* What repro_decoder_run() needs next. */
typedef enum repro_decoder_state {
	REPRO_DECODER_NEED_INPUT,   /* every input byte is consumed */
	REPRO_DECODER_OUTPUT_FULL   /* call again with more output space */
} repro_decoder_state;

/* Creates a gzip or zstd decoder. The caller frees it with repro_decoder_free(). */
int repro_decoder_new(repro_decoder **out, repro_compression compression, repro_error *err);
void repro_decoder_free(repro_decoder *decoder);

/* Sets the next input; it must stay valid until the decoder needs input again. */
void repro_decoder_input(repro_decoder *decoder, const unsigned char *data, size_t size);

/*
 * Decodes into @p output, adding the count written to *produced. Corrupt
 * data and trailing data after the last gzip member are REPRO_EFORMAT.
 */
int repro_decoder_run(repro_decoder *decoder, unsigned char *output, size_t capacity,
                      size_t *produced, repro_decoder_state *state, repro_error *err);

/* Checks, at the end of the input, that the stream was complete. */
int repro_decoder_finish(repro_decoder *decoder, unsigned long *members, repro_error *err);

/* Reads the fixed ten bytes of the first gzip member header into @p facts. */
void repro_gzip_parse_header(const unsigned char *data, size_t size, repro_gzip_facts *facts);

/*
 * Writes @p path without empty and "." components into a new malloc()ed
 * string, so that "./a//b/" and "a/b" compare equal. Sets *absolute for a
 * leading '/' and *has_parent for a ".." component. Returns NULL when out
 * of memory. Shared by the reader, which flags such paths, and the writer,
 * which rejects "..".
 */
char *repro_layer_clean_path(const char *path, int *absolute, int *has_parent);

/* Detects the compression from the first bytes of a blob. */
repro_compression repro_compression_detect(const unsigned char *data, size_t size);

#endif

/*
 * The chunk queue between the layer reader's decoding thread and its tar
 * thread. One mutex guards all state; the pool is allocated once, so the
 * reader's memory does not grow with the layer.
 */
#include "layer_internal.h"

#include <stdlib.h>
#include <string.h>

int repro_chunk_queue_init(repro_chunk_queue *queue, size_t chunk_size, size_t chunk_count,
                           repro_error *err)
{
	memset(queue, 0, sizeof(*queue));
	queue->chunk_size = chunk_size;
	queue->chunk_count = chunk_count;
	queue->chunks = calloc(chunk_count, sizeof(*queue->chunks));
	queue->memory = malloc(chunk_size * chunk_count);
	queue->free_chunks = calloc(chunk_count, sizeof(*queue->free_chunks));
	queue->filled = calloc(chunk_count, sizeof(*queue->filled));
	if (queue->chunks == NULL || queue->memory == NULL || queue->free_chunks == NULL ||
	    queue->filled == NULL) {
		repro_chunk_queue_dispose(queue);
		return repro_error_set(err, REPRO_ENOMEM, "allocating %zu buffers of %zu bytes failed",
		                       chunk_count, chunk_size);
	}
	for (size_t i = 0; i < chunk_count; i++) {
		queue->chunks[i].data = queue->memory + i * chunk_size;
		queue->free_chunks[i] = &queue->chunks[i];
	}
	queue->free_count = chunk_count;
	pthread_mutex_init(&queue->lock, NULL);
	pthread_cond_init(&queue->chunk_freed, NULL);
	pthread_cond_init(&queue->chunk_pushed, NULL);
	return REPRO_OK;
}

void repro_chunk_queue_dispose(repro_chunk_queue *queue)
{
	if (queue->chunks != NULL && queue->memory != NULL && queue->free_chunks != NULL &&
	    queue->filled != NULL) {
		pthread_mutex_destroy(&queue->lock);
		pthread_cond_destroy(&queue->chunk_freed);
		pthread_cond_destroy(&queue->chunk_pushed);
	}
	free(queue->chunks);
	free(queue->memory);
	free(queue->free_chunks);
	free(queue->filled);
	memset(queue, 0, sizeof(*queue));
}

repro_chunk *repro_chunk_queue_acquire(repro_chunk_queue *queue)
{
	repro_chunk *chunk = NULL;

	pthread_mutex_lock(&queue->lock);
	while (queue->free_count == 0 && !queue->cancelled)
		pthread_cond_wait(&queue->chunk_freed, &queue->lock);
	if (!queue->cancelled) {
		chunk = queue->free_chunks[--queue->free_count];
		chunk->size = 0;
		chunk->kinds = 0;
	}
	pthread_mutex_unlock(&queue->lock);
	return chunk;
}

void repro_chunk_queue_push(repro_chunk_queue *queue, repro_chunk *chunk)
{
	pthread_mutex_lock(&queue->lock);
	queue->filled[(queue->filled_head + queue->filled_count) % queue->chunk_count] = chunk;
	queue->filled_count++;
	pthread_cond_signal(&queue->chunk_pushed);
	pthread_mutex_unlock(&queue->lock);
}

void repro_chunk_queue_finish(repro_chunk_queue *queue, int result, const repro_error *error)
{
	pthread_mutex_lock(&queue->lock);
	queue->finished = 1;
	queue->result = result;
	if (result != REPRO_OK && error != NULL)
		queue->error = *error;
	pthread_cond_signal(&queue->chunk_pushed);
	pthread_mutex_unlock(&queue->lock);
}

repro_chunk *repro_chunk_queue_pop(repro_chunk_queue *queue, int *result, repro_error *err)
{
	repro_chunk *chunk = NULL;

	pthread_mutex_lock(&queue->lock);
	while (queue->filled_count == 0 && !queue->finished)
		pthread_cond_wait(&queue->chunk_pushed, &queue->lock);
	if (queue->filled_count > 0) {
		chunk = queue->filled[queue->filled_head];
		queue->filled_head = (queue->filled_head + 1) % queue->chunk_count;
		queue->filled_count--;
	} else {
		*result = queue->result;
		if (queue->result != REPRO_OK && err != NULL)
			*err = queue->error;
	}
	pthread_mutex_unlock(&queue->lock);
	return chunk;
}

void repro_chunk_queue_release(repro_chunk_queue *queue, repro_chunk *chunk)
{
	pthread_mutex_lock(&queue->lock);
	queue->free_chunks[queue->free_count++] = chunk;
	pthread_cond_signal(&queue->chunk_freed);
	pthread_mutex_unlock(&queue->lock);
}

void repro_chunk_queue_cancel(repro_chunk_queue *queue)
{
	pthread_mutex_lock(&queue->lock);
	queue->cancelled = 1;
	pthread_cond_broadcast(&queue->chunk_freed);
	pthread_mutex_unlock(&queue->lock);
}

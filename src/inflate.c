/*
 * Streaming decoders for layer blobs: gzip through ISA-L when it is
 * available (several times faster than zlib on real layers) and zlib
 * otherwise, zstd through libzstd. Multi-member gzip and multi-frame zstd
 * are valid. Data after the last member that is not another member is
 * trailing data, and an error, because a layer's bytes must have one
 * meaning for every consumer.
 */
#include "layer_internal.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#if defined(REPRO_HAVE_ISAL) && REPRO_HAVE_ISAL
#define USE_ISAL 1
#include <isa-l/igzip_lib.h>
#else
#define USE_ISAL 0
#endif

struct repro_decoder {
	repro_compression compression;
	const unsigned char *input;
	size_t input_size;
	unsigned long members;   /* members (frames) decoded completely */
	int member_open;         /* bytes of an unfinished member were consumed */
	uint64_t member_output;  /* bytes produced by the open member */
#if USE_ISAL
	struct inflate_state *isal;
	/* ISA-L returns up to 8 unused bytes of its bit buffer when a member
	 * ends, which may lie before the current input. The stream bytes just
	 * before the current input are kept here to feed them again. */
	const unsigned char *chunk;
	size_t chunk_size;
	unsigned char history[64];
	size_t history_size;
	size_t rewound;          /* bytes at the end of history to feed again */
#else
	z_stream zlib;
	int zlib_ready;
#endif
	ZSTD_DCtx *zstd;
};

const char *repro_compression_name(repro_compression compression)
{
	switch (compression) {
	case REPRO_COMPRESSION_GZIP:
		return "gzip";
	case REPRO_COMPRESSION_ZSTD:
		return "zstd";
	default:
		return "none";
	}
}

repro_compression repro_compression_detect(const unsigned char *data, size_t size)
{
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
		return REPRO_COMPRESSION_GZIP;
	if (size >= 4 && data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f && data[3] == 0xfd)
		return REPRO_COMPRESSION_ZSTD;
	/* A zstd skippable frame: magic 0x184D2A50 to 0x184D2A5F, little-endian. */
	if (size >= 4 && (data[0] & 0xf0) == 0x50 && data[1] == 0x2a && data[2] == 0x4d &&
	    data[3] == 0x18)
		return REPRO_COMPRESSION_ZSTD;
	return REPRO_COMPRESSION_NONE;
}

void repro_gzip_parse_header(const unsigned char *data, size_t size, repro_gzip_facts *facts)
{
	memset(facts, 0, sizeof(*facts));
	if (size < 10 || data[0] != 0x1f || data[1] != 0x8b)
		return;
	facts->present = 1;
	facts->flags = data[3];
	facts->mtime = (uint32_t)data[4] | (uint32_t)data[5] << 8 | (uint32_t)data[6] << 16 |
	               (uint32_t)data[7] << 24;
	facts->xfl = data[8];
	facts->os = data[9];
	facts->has_header_crc = (data[3] & 0x02) != 0;
	facts->has_extra = (data[3] & 0x04) != 0;
	facts->has_name = (data[3] & 0x08) != 0;
	facts->has_comment = (data[3] & 0x10) != 0;
	/* RFC 1952: XFL 2 is "maximum compression", 4 is "fastest". */
	if (facts->xfl == 2)
		facts->level_guess = 9;
	else if (facts->xfl == 4)
		facts->level_guess = 1;
}

int repro_decoder_new(repro_decoder **out, repro_compression compression, repro_error *err)
{
	repro_decoder *decoder = calloc(1, sizeof(*decoder));

	*out = NULL;
	if (decoder == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "allocating a decoder failed");
	decoder->compression = compression;
	if (compression == REPRO_COMPRESSION_ZSTD) {
		decoder->zstd = ZSTD_createDCtx();
		if (decoder->zstd == NULL)
			goto fail;
	} else {
#if USE_ISAL
		decoder->isal = calloc(1, sizeof(*decoder->isal));
		if (decoder->isal == NULL)
			goto fail;
		isal_inflate_init(decoder->isal);
		decoder->isal->crc_flag = ISAL_GZIP;
#else
		if (inflateInit2(&decoder->zlib, 15 + 16) != Z_OK)
			goto fail;
		decoder->zlib_ready = 1;
#endif
	}
	*out = decoder;
	return REPRO_OK;

fail:
	repro_decoder_free(decoder);
	return repro_error_set(err, REPRO_ENOMEM, "creating a %s decoder failed",
	                       repro_compression_name(compression));
}

void repro_decoder_free(repro_decoder *decoder)
{
	if (decoder == NULL)
		return;
#if USE_ISAL
	free(decoder->isal);
#else
	if (decoder->zlib_ready)
		inflateEnd(&decoder->zlib);
#endif
	ZSTD_freeDCtx(decoder->zstd);
	free(decoder);
}

#if USE_ISAL
/* Appends the end of the finished chunk to the history. */
static void keep_history(repro_decoder *decoder)
{
	size_t keep = sizeof(decoder->history);
	size_t from_chunk = decoder->chunk_size < keep ? decoder->chunk_size : keep;
	size_t from_history = keep - from_chunk;

	if (from_history > decoder->history_size)
		from_history = decoder->history_size;
	memmove(decoder->history, decoder->history + decoder->history_size - from_history,
	        from_history);
	memcpy(decoder->history + from_history, decoder->chunk + decoder->chunk_size - from_chunk,
	       from_chunk);
	decoder->history_size = from_history + from_chunk;
}
#endif

void repro_decoder_input(repro_decoder *decoder, const unsigned char *data, size_t size)
{
#if USE_ISAL
	if (decoder->chunk != NULL)
		keep_history(decoder);
	decoder->chunk = data;
	decoder->chunk_size = size;
#endif
	decoder->input = data;
	decoder->input_size = size;
}

static int corrupt(repro_decoder *decoder, const char *reason, repro_error *err)
{
	const char *name = repro_compression_name(decoder->compression);

	if (decoder->members > 0 && decoder->member_output == 0)
		return repro_error_set(err, REPRO_EFORMAT,
		                       "trailing data after %s member %lu is not a valid %s member: %s",
		                       name, decoder->members, name, reason);
	return repro_error_set(err, REPRO_EFORMAT, "invalid %s data: %s", name, reason);
}

/* Marks the end of a member; the decoder is ready for the next one. */
static void end_member(repro_decoder *decoder)
{
	decoder->members++;
	decoder->member_open = 0;
	decoder->member_output = 0;
}

#if USE_ISAL
static const char *isal_reason(int code)
{
	switch (code) {
	case ISAL_INVALID_WRAPPER:
		return "bad gzip header";
	case ISAL_UNSUPPORTED_METHOD:
		return "unsupported compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "CRC-32 mismatch";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance";
	default:
		return "invalid deflate block";
	}
}

/*
 * Accounts for the input left after a call: @p left bytes of the @p given
 * bytes fed. More than were fed means ISA-L gave bytes back.
 */
static int account_input(repro_decoder *decoder, int from_history, size_t given, size_t left,
                         repro_error *err)
{
	size_t offset = (size_t)(decoder->input - decoder->chunk);

	if (from_history) {
		decoder->rewound = left;
	} else if (left <= decoder->input_size) {
		decoder->input += decoder->input_size - left;
		decoder->input_size = left;
	} else if (left - given <= offset) {
		decoder->input -= left - given;
		decoder->input_size = left;
	} else {
		decoder->rewound = left - given - offset;
		decoder->input = decoder->chunk;
		decoder->input_size += offset;
	}
	if (decoder->rewound > decoder->history_size)
		return repro_error_set(err, REPRO_EFORMAT, "invalid gzip data: the inflater went back "
		                       "%zu bytes, more than the %zu kept", decoder->rewound,
		                       decoder->history_size);
	return REPRO_OK;
}

static int run_gzip(repro_decoder *decoder, unsigned char *output, size_t capacity,
                    size_t *produced, repro_decoder_state *state, repro_error *err)
{
	struct inflate_state *isal = decoder->isal;

	for (;;) {
		int code, from_history = decoder->rewound > 0;
		size_t before_out, given;

		if (isal->block_state == ISAL_BLOCK_FINISH) {
			end_member(decoder);
			isal_inflate_reset(isal);
			isal->crc_flag = ISAL_GZIP;
		}
		if (decoder->input_size == 0 && !from_history) {
			*state = REPRO_DECODER_NEED_INPUT;
			return REPRO_OK;
		}
		if (capacity == *produced) {
			*state = REPRO_DECODER_OUTPUT_FULL;
			return REPRO_OK;
		}
		if (from_history) {
			isal->next_in = decoder->history + decoder->history_size - decoder->rewound;
			given = decoder->rewound;
		} else {
			isal->next_in = (uint8_t *)(uintptr_t)decoder->input;
			given = decoder->input_size;
		}
		isal->avail_in = (uint32_t)given;
		isal->next_out = output + *produced;
		isal->avail_out = (uint32_t)(capacity - *produced);
		before_out = isal->avail_out;
		code = isal_inflate(isal);
		decoder->member_open = 1;
		*produced += before_out - isal->avail_out;
		decoder->member_output += before_out - isal->avail_out;
		if (code < 0)
			return corrupt(decoder, isal_reason(code), err);
		code = account_input(decoder, from_history, given, isal->avail_in, err);
		if (code != REPRO_OK)
			return code;
		if (isal->block_state != ISAL_BLOCK_FINISH && isal->avail_out > 0 &&
		    isal->avail_in > 0)
			return corrupt(decoder, "no progress", err);
	}
}
#else
static int run_gzip(repro_decoder *decoder, unsigned char *output, size_t capacity,
                    size_t *produced, repro_decoder_state *state, repro_error *err)
{
	z_stream *zlib = &decoder->zlib;

	for (;;) {
		int code;
		size_t before_out;

		if (decoder->input_size == 0) {
			*state = REPRO_DECODER_NEED_INPUT;
			return REPRO_OK;
		}
		if (capacity == *produced) {
			*state = REPRO_DECODER_OUTPUT_FULL;
			return REPRO_OK;
		}
		zlib->next_in = (Bytef *)(uintptr_t)decoder->input;
		zlib->avail_in = (uInt)decoder->input_size;
		zlib->next_out = output + *produced;
		zlib->avail_out = (uInt)(capacity - *produced);
		before_out = zlib->avail_out;
		code = inflate(zlib, Z_NO_FLUSH);
		decoder->member_open = 1;
		decoder->input += decoder->input_size - zlib->avail_in;
		decoder->input_size = zlib->avail_in;
		*produced += before_out - zlib->avail_out;
		decoder->member_output += before_out - zlib->avail_out;
		if (code == Z_STREAM_END) {
			end_member(decoder);
			inflateReset(zlib);
		} else if (code != Z_OK && code != Z_BUF_ERROR) {
			return corrupt(decoder, zlib->msg ? zlib->msg : "inflate failed", err);
		}
	}
}
#endif

static int run_zstd(repro_decoder *decoder, unsigned char *output, size_t capacity,
                    size_t *produced, repro_decoder_state *state, repro_error *err)
{
	for (;;) {
		ZSTD_inBuffer in = {decoder->input, decoder->input_size, 0};
		ZSTD_outBuffer out = {output, capacity, *produced};
		size_t hint;

		if (decoder->input_size == 0 && !decoder->member_open) {
			*state = REPRO_DECODER_NEED_INPUT;
			return REPRO_OK;
		}
		if (capacity == *produced) {
			*state = REPRO_DECODER_OUTPUT_FULL;
			return REPRO_OK;
		}
		hint = ZSTD_decompressStream(decoder->zstd, &out, &in);
		decoder->input += in.pos;
		decoder->input_size -= in.pos;
		decoder->member_output += out.pos - *produced;
		*produced = out.pos;
		if (ZSTD_isError(hint))
			return corrupt(decoder, ZSTD_getErrorName(hint), err);
		if (hint == 0) {
			end_member(decoder);
		} else {
			decoder->member_open = 1;
			/* All input is consumed and output space is left, so the frame needs more input. */
			if (decoder->input_size == 0 && out.pos < capacity) {
				*state = REPRO_DECODER_NEED_INPUT;
				return REPRO_OK;
			}
		}
	}
}

int repro_decoder_run(repro_decoder *decoder, unsigned char *output, size_t capacity,
                      size_t *produced, repro_decoder_state *state, repro_error *err)
{
	if (decoder->compression == REPRO_COMPRESSION_ZSTD)
		return run_zstd(decoder, output, capacity, produced, state, err);
	return run_gzip(decoder, output, capacity, produced, state, err);
}

int repro_decoder_finish(repro_decoder *decoder, unsigned long *members, repro_error *err)
{
	const char *name = repro_compression_name(decoder->compression);

#if USE_ISAL
	if (decoder->compression == REPRO_COMPRESSION_GZIP &&
	    decoder->isal->block_state == ISAL_BLOCK_FINISH)
		end_member(decoder);
#endif
	*members = decoder->members;
	if (decoder->member_open && decoder->members > 0 && decoder->member_output == 0)
		return repro_error_set(err, REPRO_EFORMAT,
		                       "trailing data after %s member %lu is not a complete %s member",
		                       name, decoder->members, name);
	if (decoder->member_open)
		return repro_error_set(err, REPRO_EFORMAT, "truncated %s stream: member %lu is incomplete",
		                       name, decoder->members + 1);
	if (decoder->members == 0)
		return repro_error_set(err, REPRO_EFORMAT, "empty %s stream", name);
	return REPRO_OK;
}

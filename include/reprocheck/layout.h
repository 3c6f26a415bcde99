/**
 * @file reprocheck/layout.h
 * @brief Atomic writing of OCI image layouts.
 *
 * A layout is assembled in a temporary directory beside the target and
 * renamed into place by repro_layout_writer_commit(), so a reader sees no
 * layout or a complete one, never a part. Every blob is hashed as it is
 * written and stored under its verified digest.
 */
#ifndef REPROCHECK_LAYOUT_H
#define REPROCHECK_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include <reprocheck/digest.h>
#include <reprocheck/error.h>
#include <reprocheck/stream.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Options of repro_layout_writer_new(). Zeroed options are the defaults. */
typedef struct repro_layout_options {
	int replace;  /**< replace an existing non-empty target; default 0 rejects it */
} repro_layout_options;

/** A manifest listed in index.json. Strings are borrowed for the call. */
typedef struct repro_layout_manifest {
	const char *media_type;    /**< such as "application/vnd.oci.image.manifest.v1+json" */
	repro_digest digest;
	uint64_t size;
	const char *ref_name;      /**< org.opencontainers.image.ref.name, or NULL */
	const char *os;            /**< platform, or NULL for none */
	const char *architecture;
	const char *variant;       /**< NULL unless the platform has one */
} repro_layout_manifest;

typedef struct repro_layout_writer repro_layout_writer;

/**
 * Starts a layout that will be renamed to @p target on commit. Fails with
 * REPRO_EUSAGE when @p target is a non-empty directory or another kind of
 * file, unless @p options sets replace. @p options may be NULL. The
 * caller frees the writer with repro_layout_writer_free(), which removes
 * everything written unless the layout was committed.
 */
int repro_layout_writer_new(repro_layout_writer **out, const char *target,
                            const repro_layout_options *options, repro_error *err);

/**
 * Copies @p blob to the end into blobs/ALG/HEX, hashing it on the way.
 * With @p expected the blob must have that digest (whose algorithm is then
 * used), else REPRO_EMISMATCH; with @p expected_size >= 0 it must have that
 * size, checked while reading. A blob larger than @p max_size (0 for no
 * limit) is REPRO_ELIMIT. @p out, when not NULL, receives the digest.
 */
int repro_layout_add_blob_stream(repro_layout_writer *writer, repro_stream *blob,
                                 const repro_digest *expected, int64_t expected_size,
                                 uint64_t max_size, repro_digest *out, repro_error *err);

/** Stores @p size bytes of memory as a sha256 blob; @p out receives its digest. */
int repro_layout_add_blob_bytes(repro_layout_writer *writer, const void *data, size_t size,
                                repro_digest *out, repro_error *err);

/**
 * Stores the whole file open at @p fd (read with pread() from offset 0,
 * such as a layer written by repro_layer_writer_finish()) after checking
 * its digest and size against @p expected and @p expected_size. The caller
 * keeps @p fd.
 */
int repro_layout_add_blob_fd(repro_layout_writer *writer, int fd, const repro_digest *expected,
                             int64_t expected_size, repro_error *err);

/**
 * Lists a manifest in index.json, in call order. The manifest blob itself
 * must be added as a blob too; commit checks that it is present.
 */
int repro_layout_add_manifest(repro_layout_writer *writer, const repro_layout_manifest *manifest,
                              repro_error *err);

/**
 * Writes oci-layout and index.json and renames the layout into place. With
 * the replace option an existing target is swapped out atomically and then
 * removed. On failure nothing is left of the new layout, and the target is
 * unchanged.
 */
int repro_layout_writer_commit(repro_layout_writer *writer, repro_error *err);

/** Frees @p writer, removing the temporary directory unless committed. NULL is allowed. */
void repro_layout_writer_free(repro_layout_writer *writer);

#ifdef __cplusplus
}
#endif

#endif

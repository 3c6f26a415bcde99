/**
 * @file reprocheck/scan.h
 * @brief Scanning a resolved image: every layer blob is read once, its
 *        digest, size and diff_id are computed, and the results are checked
 *        against the manifest's descriptors and the config's diff_ids.
 *
 * `reprocheck digest` prints what a scan computed, and `reprocheck
 * validate` prints the problems it found. A problem is a finding about the
 * image (exit status 1); a failure to read is an error (exit status 2).
 */
#ifndef REPROCHECK_SCAN_H
#define REPROCHECK_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include <reprocheck/digest.h>
#include <reprocheck/error.h>
#include <reprocheck/oci.h>
#include <reprocheck/source.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The kind of check that found a problem. */
typedef enum repro_check {
	REPRO_CHECK_DIGEST,          /**< a blob's bytes hash to another digest */
	REPRO_CHECK_SIZE,            /**< a blob has another size than its descriptor */
	REPRO_CHECK_DIFF_ID,         /**< a layer's uncompressed digest differs from the config */
	REPRO_CHECK_DIFF_ID_COUNT,   /**< the config lists another number of diff_ids */
	REPRO_CHECK_MEDIA_TYPE,      /**< a media type does not fit the content */
	REPRO_CHECK_PLATFORM,        /**< an index platform differs from the config's */
	REPRO_CHECK_DUPLICATE_PATH,  /**< two entries of one layer have the same path */
	REPRO_CHECK_UNSAFE_PATH,     /**< an absolute path, or one that climbs with ".." */
	REPRO_CHECK_FORMAT,          /**< a blob is not valid gzip, zstd or tar */
	REPRO_CHECK_MISSING          /**< a blob is not in the source */
} repro_check;

/** Returns the stable name of @p check used in JSON output, such as "diff_id". */
const char *repro_check_name(repro_check check);

/** One problem found in an image. All strings are owned by the scan. */
typedef struct repro_problem {
	repro_check check;
	char *object;    /**< such as "layer 1 (sha256:…)" */
	char *expected;  /**< the claimed value, or NULL */
	char *actual;    /**< the value found, or NULL */
	char *message;   /**< one line, naming the object and both values */
} repro_problem;

/** The values a scan computed for one layer. */
typedef struct repro_layer_scan {
	int complete;                  /**< nonzero when the blob was read to its end */
	repro_digest blob_digest;      /**< valid when complete */
	uint64_t blob_size;
	repro_digest diff_id;          /**< valid when complete */
	uint64_t uncompressed_size;
	repro_compression compression; /**< as decoded */
	size_t entry_count;
} repro_layer_scan;

/**
 * Progress callback: layer @p index of @p count has @p done of @p total
 * compressed bytes read. Called when a layer starts, about every 8 MiB, and
 * when it ends (with @p done equal to what was read).
 */
typedef void (*repro_scan_progress_fn)(void *context, size_t index, size_t count,
                                       uint64_t done, uint64_t total);

/** Scan settings; repro_scan_options_init() sets the defaults. */
typedef struct repro_scan_options {
	uint64_t max_uncompressed_bytes;  /**< per layer; decompression bomb guard */
	uint64_t max_entries;             /**< per layer */
	size_t max_path_problems;         /**< duplicate or unsafe paths listed per layer */
	repro_scan_progress_fn progress;  /**< or NULL */
	void *progress_context;
} repro_scan_options;

/** Sets the defaults: the layer reader's limits and 20 path problems per layer. */
void repro_scan_options_init(repro_scan_options *options);

/** The result of a scan, owned by the caller and released with repro_image_scan_dispose(). */
typedef struct repro_image_scan {
	repro_layer_scan *layers;  /**< one per manifest layer, in order */
	size_t layer_count;
	repro_problem *problems;
	size_t problem_count;
} repro_image_scan;

/**
 * Reads every layer of @p image from @p source and checks blob digests and
 * sizes, diff_ids against the config's rootfs.diff_ids, layer media types
 * against the compression found, the index platform against the config,
 * and duplicate or unsafe paths inside each layer. Problems are recorded in
 * @p out and do not make the call fail. The call fails, with @p out
 * disposed, only when the image could not be checked: an I/O error, a
 * size limit, or out of memory. @p options may be NULL for the defaults.
 */
int repro_image_scan_run(repro_source *source, const repro_resolved_image *image,
                         const repro_scan_options *options, repro_image_scan *out,
                         repro_error *err);

/** Frees the contents of @p scan and zeroes it. Safe on a zeroed scan. */
void repro_image_scan_dispose(repro_image_scan *scan);

#ifdef __cplusplus
}
#endif

#endif

/**
 * @file reprocheck/layer.h
 * @brief Layer blobs: one-pass reading (blob digest, diff_id, tar entries
 *        and findings) and deterministic writing.
 *
 * The reader streams a layer once, in bounded memory: one thread reads,
 * hashes the compressed bytes and decompresses; the calling thread hashes
 * the tar (the diff_id) and parses its headers with libarchive. The reader
 * never extracts anything, it reports.
 *
 * The writer builds a layer from host files following fixed rules (sorted
 * paths, clamped mtimes, normalised owners and modes, ustar headers, a
 * fixed gzip header), so the same tree always gives the same bytes.
 */
#ifndef REPROCHECK_LAYER_H
#define REPROCHECK_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include <reprocheck/digest.h>
#include <reprocheck/error.h>
#include <reprocheck/stream.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef REPRO_COMPRESSION_DEFINED
#define REPRO_COMPRESSION_DEFINED
/** Compression of a layer blob. */
typedef enum repro_compression {
	REPRO_COMPRESSION_NONE,
	REPRO_COMPRESSION_GZIP,
	REPRO_COMPRESSION_ZSTD
} repro_compression;
#endif

/** Returns "none", "gzip" or "zstd". */
const char *repro_compression_name(repro_compression compression);

/** Default limit on the uncompressed size of one layer: 64 GiB. */
#define REPRO_LAYER_DEFAULT_MAX_UNCOMPRESSED ((uint64_t)64 << 30)
/** Default limit on the number of tar entries in one layer. */
#define REPRO_LAYER_DEFAULT_MAX_ENTRIES ((uint64_t)10000000)
/** Default limit on the length of one entry path or link target, in bytes. */
#define REPRO_LAYER_DEFAULT_MAX_PATH 4096

/** Type of a tar entry. A hard link is its own type, whatever its header says. */
typedef enum repro_layer_entry_type {
	REPRO_ENTRY_REGULAR,
	REPRO_ENTRY_DIRECTORY,
	REPRO_ENTRY_SYMLINK,
	REPRO_ENTRY_HARDLINK,
	REPRO_ENTRY_CHAR,
	REPRO_ENTRY_BLOCK,
	REPRO_ENTRY_FIFO,
	REPRO_ENTRY_OTHER
} repro_layer_entry_type;

/** Returns a short name for @p type: "regular", "directory", "symlink", ... */
const char *repro_layer_entry_type_name(repro_layer_entry_type type);

/** Header format of one tar entry, as libarchive classifies it. */
typedef enum repro_tar_format {
	REPRO_TAR_USTAR,  /**< plain ustar header */
	REPRO_TAR_PAX,    /**< ustar with a pax extended header */
	REPRO_TAR_GNU,    /**< GNU tar header */
	REPRO_TAR_OTHER   /**< v7 or another tar dialect */
} repro_tar_format;

/** Returns "ustar", "pax", "gnu" or "other". */
const char *repro_tar_format_name(repro_tar_format format);

/** A time stamp from a tar header; nanoseconds come from pax records. */
typedef struct repro_layer_time {
	int present;       /**< nonzero when the header carries this time */
	int64_t seconds;
	long nanoseconds;
} repro_layer_time;

/** One extended attribute. */
typedef struct repro_layer_xattr {
	char *name;             /**< owned, such as "security.capability" */
	unsigned char *value;   /**< owned, @p size bytes (not terminated) */
	size_t size;
} repro_layer_xattr;

/** Entry flags. */
#define REPRO_ENTRY_FLAG_WHITEOUT 0x1u     /**< a ".wh.NAME" file */
#define REPRO_ENTRY_FLAG_OPAQUE 0x2u       /**< a ".wh..wh..opq" marker */
#define REPRO_ENTRY_FLAG_UNSAFE_PATH 0x4u  /**< absolute, or has a ".." component */
#define REPRO_ENTRY_FLAG_DUPLICATE 0x8u    /**< an earlier entry has the same clean path */

/** One tar entry, in archive order. Every pointer is owned by the info. */
typedef struct repro_layer_entry {
	size_t index;                 /**< position in the archive, from 0 */
	char *path;                   /**< the path exactly as stored */
	char *clean_path;             /**< without "./", "/", empty or "." parts, or trailing "/" */
	repro_layer_entry_type type;
	repro_tar_format format;
	unsigned int flags;           /**< REPRO_ENTRY_FLAG_* */
	unsigned int mode;            /**< permission bits, 07777 at most */
	int64_t uid, gid;
	char *uname, *gname;          /**< "" when absent */
	uint64_t size;                /**< content size; 0 for links and directories */
	repro_layer_time mtime, atime, ctime, birthtime;
	char *symlink_target;         /**< NULL unless a symlink */
	char *hardlink_target;        /**< NULL unless a hard link */
	unsigned long dev_major, dev_minor;
	repro_layer_xattr *xattrs;    /**< SCHILY.xattr.* and LIBARCHIVE.xattr.* records */
	size_t xattr_count;
	int has_content_digest;
	repro_digest content_digest;  /**< sha256 of the content, with hash_contents */
} repro_layer_entry;

/** Kinds of findings about a layer's paths. */
typedef enum repro_layer_finding_kind {
	REPRO_FINDING_DUPLICATE_PATH,    /**< two entries share a clean path */
	REPRO_FINDING_UNSAFE_PATH,       /**< an absolute path or one with ".." */
	REPRO_FINDING_UNSAFE_HARDLINK,   /**< a hard link target that is absolute or has ".." */
	REPRO_FINDING_MISSING_HARDLINK   /**< a hard link whose target is no earlier entry */
} repro_layer_finding_kind;

/** Returns a short name for @p kind, such as "duplicate-path". */
const char *repro_layer_finding_kind_name(repro_layer_finding_kind kind);

/** A finding about one entry. */
typedef struct repro_layer_finding {
	repro_layer_finding_kind kind;
	size_t index;        /**< the entry concerned */
	size_t other_index;  /**< the first entry with that path, for duplicates; else = index */
	char *path;          /**< owned copy of the entry's path (the target for hard links) */
} repro_layer_finding;

/** Facts from the first gzip member header (RFC 1952), kept for diffing. */
typedef struct repro_gzip_facts {
	int present;             /**< nonzero when the blob is gzip */
	uint32_t mtime;
	unsigned int os;
	unsigned int xfl;
	unsigned int flags;      /**< the FLG byte */
	int has_name, has_comment, has_extra, has_header_crc;
	int level_guess;         /**< 9 when XFL is 2, 1 when XFL is 4, else 0 (unknown) */
	unsigned long members;   /**< number of gzip members */
} repro_gzip_facts;

/** Options of repro_layer_read(). Initialise with repro_layer_read_options_init(). */
typedef struct repro_layer_read_options {
	repro_digest_algorithm algorithm;  /**< for the blob digest and diff_id; default sha256 */
	repro_compression compression;     /**< declared by the media type; default gzip */
	int detect_compression;            /**< detect from magic bytes; default 1 */
	int want_entries;                  /**< keep the entry list in the info; default 1 */
	int hash_contents;                 /**< sha256 of each regular file; default 0 */
	uint64_t max_uncompressed_bytes;   /**< default REPRO_LAYER_DEFAULT_MAX_UNCOMPRESSED */
	uint64_t max_entries;              /**< default REPRO_LAYER_DEFAULT_MAX_ENTRIES */
	size_t max_path_bytes;             /**< default REPRO_LAYER_DEFAULT_MAX_PATH */
} repro_layer_read_options;

/** Fills @p options with the defaults. */
void repro_layer_read_options_init(repro_layer_read_options *options);

/** What one pass over a layer blob found. Release with repro_layer_info_dispose(). */
typedef struct repro_layer_info {
	repro_digest blob_digest;        /**< of the bytes read, compressed as stored */
	uint64_t blob_size;
	repro_digest diff_id;            /**< of the uncompressed tar */
	uint64_t uncompressed_size;
	repro_compression compression;   /**< the compression actually decoded */
	repro_compression declared_compression;
	int compression_mismatch;        /**< detection disagreed with the declared compression */
	repro_gzip_facts gzip;
	repro_layer_entry *entries;      /**< NULL unless want_entries */
	size_t entry_count;              /**< counted even without want_entries */
	repro_layer_finding *findings;   /**< duplicate and unsafe paths, in archive order */
	size_t finding_count;
} repro_layer_info;

/**
 * Reads the layer blob @p blob to its end, once. On success @p out holds
 * the digests, sizes, compression facts, entries and findings; the caller
 * releases it with repro_layer_info_dispose(). The stream stays owned by
 * the caller. @p options may be NULL for the defaults.
 *
 * Findings (duplicate or unsafe paths) do not fail the read. Errors:
 * REPRO_EFORMAT for a truncated or corrupt stream, trailing data after the
 * compressed stream, or data that is not a tar; REPRO_ELIMIT when a limit
 * of @p options is exceeded, naming it; read errors of the stream as it
 * returns them. On failure @p out is left zeroed.
 */
int repro_layer_read(repro_stream *blob, const repro_layer_read_options *options,
                     repro_layer_info *out, repro_error *err);

/** Releases everything @p info owns and zeroes it. Safe on a zeroed info. */
void repro_layer_info_dispose(repro_layer_info *info);

#ifdef __cplusplus
}
#endif

#endif

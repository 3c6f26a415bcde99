/**
 * @file reprocheck/layer.h
 * @brief Layer blobs: one-pass reading (blob digest, diff_id, tar entries
 *        and findings) and deterministic writing.
 *
 * The reader streams a layer once, in bounded memory. One thread reads and
 * decompresses the blob. The calling thread hashes the compressed bytes and
 * the tar (the diff_id) and parses the tar headers with libarchive. The
 * reader never extracts anything, it reports.
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

/** Type of a tar entry. A hard link is its own type, whatever its header typeflag. */
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
	int has_fingerprint;
	/** XXH3-128 of the content, big-endian, with fingerprint_contents: fast
	 *  to compare, but not collision-resistant, so never a verdict. */
	unsigned char fingerprint[16];
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
	int fingerprint_contents;          /**< XXH3-128 of each regular file; default 0 */
	/** Leave out the blob digest and the diff_id, for callers that compare
	 *  entries only; default 0. The info's has_digests is then 0. */
	int skip_digests;
	uint64_t max_uncompressed_bytes;   /**< default REPRO_LAYER_DEFAULT_MAX_UNCOMPRESSED */
	uint64_t max_entries;              /**< default REPRO_LAYER_DEFAULT_MAX_ENTRIES */
	size_t max_path_bytes;             /**< default REPRO_LAYER_DEFAULT_MAX_PATH */
} repro_layer_read_options;

/** Fills @p options with the defaults. */
void repro_layer_read_options_init(repro_layer_read_options *options);

/** Results of one pass over a layer blob. Release with repro_layer_info_dispose(). */
typedef struct repro_layer_info {
	repro_digest blob_digest;        /**< of the bytes read, compressed as stored */
	uint64_t blob_size;
	repro_digest diff_id;            /**< of the uncompressed tar */
	uint64_t uncompressed_size;
	repro_compression compression;   /**< the compression actually decoded */
	repro_compression declared_compression;
	int compression_mismatch;        /**< detection disagreed with the declared compression */
	repro_gzip_facts gzip;
	int has_digests;                 /**< blob_digest and diff_id are set (not skip_digests) */
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
 * Findings (duplicate or unsafe paths) do not fail the read.
 * REPRO_EFORMAT is a truncated or corrupt stream, trailing data after the
 * compressed stream, or data that is not a tar. REPRO_ELIMIT means a limit
 * of @p options was exceeded, and the message names it. Read errors of the
 * stream are returned as the stream reports them. On failure @p out is
 * left zeroed.
 */
int repro_layer_read(repro_stream *blob, const repro_layer_read_options *options,
                     repro_layer_info *out, repro_error *err);

/** Releases everything @p info owns and zeroes it. Safe on a zeroed info. */
void repro_layer_info_dispose(repro_layer_info *info);


/** Media types of layers written by repro_layer_writer_finish(). */
#define REPRO_MEDIA_TYPE_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"
#define REPRO_MEDIA_TYPE_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define REPRO_MEDIA_TYPE_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"

/** Default gzip level of the writer; zstd's default is 3. */
#define REPRO_LAYER_DEFAULT_GZIP_LEVEL 6
/** Maximum number of entries one writer accepts. */
#define REPRO_LAYER_WRITER_MAX_ENTRIES 1000000
/** Maximum directory depth the writer walks below an added directory. */
#define REPRO_LAYER_WRITER_MAX_DEPTH 128

/** Options of a layer writer. Initialise with repro_layer_write_options_init(). */
typedef struct repro_layer_write_options {
	int64_t source_date_epoch;         /**< mtimes are clamped to it; default 0 */
	repro_compression compression;     /**< default gzip */
	int level;                         /**< compression level; 0 takes the default */
	repro_digest_algorithm algorithm;  /**< for the blob digest and diff_id; default sha256 */
} repro_layer_write_options;

/** Fills @p options with the defaults. */
void repro_layer_write_options_init(repro_layer_write_options *options);

/** Owner and mode of the entries that one repro_layer_writer_add() call adds. */
typedef struct repro_layer_file_attrs {
	int has_mode;       /**< nonzero: regular files get @p mode instead of 0644/0755 */
	unsigned int mode;  /**< permission bits, 07777 at most */
	unsigned int uid;   /**< default 0 */
	unsigned int gid;   /**< default 0 */
} repro_layer_file_attrs;

/** Digests, sizes and media type of a layer written by repro_layer_writer_finish(). */
typedef struct repro_layer_result {
	repro_digest blob_digest;
	uint64_t blob_size;
	repro_digest diff_id;
	uint64_t uncompressed_size;
	const char *media_type;  /**< a static REPRO_MEDIA_TYPE_LAYER_* string */
	char compressor[64];     /**< such as "zlib 1.2.13 level 6", or "none" */
	size_t entry_count;
} repro_layer_result;

typedef struct repro_layer_writer repro_layer_writer;

/**
 * Creates a writer. @p options may be NULL for the defaults. The caller
 * frees the writer with repro_layer_writer_free().
 */
int repro_layer_writer_new(repro_layer_writer **out, const repro_layer_write_options *options,
                           repro_error *err);

/**
 * Adds the host file, symbolic link or directory @p host_path at
 * @p image_path ("/usr/bin/hello" or "usr/bin/hello"). A directory is
 * added with everything below it. With @p contents_only its children go
 * directly into @p image_path, which is what a trailing '/' on a recipe's
 * copy source means.
 * Symbolic links are kept as links, never followed. @p attrs may be NULL
 * for uid 0, gid 0 and normalised modes.
 *
 * Errors: REPRO_EUNSAFE for an image path with a ".." component,
 * REPRO_EUNSUPPORTED for a socket, device or FIFO, REPRO_ENOTFOUND or
 * REPRO_EIO from the host, and REPRO_ELIMIT beyond
 * REPRO_LAYER_WRITER_MAX_ENTRIES entries or REPRO_LAYER_WRITER_MAX_DEPTH
 * levels. Duplicate image paths are found by finish; contents are read
 * by finish too.
 */
int repro_layer_writer_add(repro_layer_writer *writer, const char *host_path,
                           const char *image_path, const repro_layer_file_attrs *attrs,
                           int contents_only, repro_error *err);

/**
 * Writes the layer to @p fd from its current offset: entries sorted by
 * path bytewise, missing parent directories added, and the rules of
 * docs/LAYERS.md applied. Fills @p out with the digests, sizes, media type
 * and compressor. Two entries with one image path, or a path below a
 * non-directory, are REPRO_EUSAGE; a file that changed size since it was
 * added is REPRO_EIO. The writer can be finished once, even when it
 * fails; the caller keeps @p fd.
 */
int repro_layer_writer_finish(repro_layer_writer *writer, int fd, repro_layer_result *out,
                              repro_error *err);

/** Frees @p writer. NULL is allowed. */
void repro_layer_writer_free(repro_layer_writer *writer);

/** Returns the compressor of the default options, such as "zlib 1.2.13 level 6". */
const char *repro_layer_compressor_name(void);

#ifdef __cplusplus
}
#endif

#endif

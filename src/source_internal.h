/*
 * The reader interface behind repro_source, and the file access that the
 * layout and archive readers share. Internal to the library and its tests.
 */
#ifndef REPROCHECK_SOURCE_INTERNAL_H
#define REPROCHECK_SOURCE_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include <reprocheck/reference.h>
#include <reprocheck/source.h>

/* Limits for archives and the small files of a layout. */
#define REPRO_TAR_MAX_ENTRIES 100000
#define REPRO_TAR_MAX_LINKS 8
#define REPRO_LAYOUT_FILE_MAX_BYTES 4096

/* Operations of one kind of source; a registry source implements them too. */
typedef struct repro_source_ops {
	/* Opens the raw bytes of @p descriptor's blob; REPRO_ENOTFOUND when absent. */
	int (*open_raw)(repro_source *source, const repro_descriptor *descriptor,
	                repro_stream **out, repro_error *err);
	/* Releases the implementation's state and the source itself. */
	void (*free)(repro_source *source);
} repro_source_ops;

/* A document held in memory and served by digest: a layout's index.json
 * when it is the root, or a synthesised docker-archive manifest. */
typedef struct repro_memory_blob {
	repro_digest digest;
	unsigned char *bytes;
	size_t size;
} repro_memory_blob;

#define REPRO_SOURCE_MEMORY_BLOBS 2

/* The base of every source; implementations embed it as their first member. */
struct repro_source {
	const repro_source_ops *ops;
	char *spec;
	repro_descriptor root;
	bool root_is_layout_index;  /* the root is index.json, not a published index */
	repro_memory_blob memory[REPRO_SOURCE_MEMORY_BLOBS];
	size_t memory_count;
};

/* Fills the base fields; the caller has zeroed @p source. */
int repro_source_base_init(repro_source *source, const repro_source_ops *ops, const char *spec,
                           repro_error *err);

/* Releases the base fields, for implementations' free operation. */
void repro_source_base_dispose(repro_source *source);

/* Keeps @p bytes (malloc()ed, taken over also on failure) as a memory blob
 * and stores its sha256 digest in @p digest. */
int repro_source_add_memory_blob(repro_source *source, unsigned char *bytes, size_t size,
                                 repro_digest *digest, repro_error *err);

/* Entry types of an indexed tar. */
typedef enum repro_tar_type {
	REPRO_TAR_REGULAR,
	REPRO_TAR_DIRECTORY,
	REPRO_TAR_SYMLINK,
	REPRO_TAR_HARDLINK,
	REPRO_TAR_OTHER
} repro_tar_type;

typedef struct repro_tar_entry {
	char *name;     /* normalised: no "./" prefix, no trailing '/' */
	repro_tar_type type;
	off_t offset;   /* of the data in the file */
	int64_t size;
	char *link;     /* symlink or hardlink target, or NULL */
} repro_tar_entry;

/* The entries of an uncompressed tar file, sorted by name. */
typedef struct repro_tar_index {
	int fd;
	char *path;
	repro_tar_entry *entries;
	size_t count;
} repro_tar_index;

/*
 * Indexes the tar at @p path in one pass. A compressed tar is
 * REPRO_EUNSUPPORTED; absolute names or ".." components are REPRO_EUNSAFE;
 * duplicate names and sparse entries are rejected. The caller frees @p out
 * with repro_tar_index_free().
 */
int repro_tar_index_open(repro_tar_index **out, const char *path, repro_error *err);
void repro_tar_index_free(repro_tar_index *index);

/*
 * Finds @p name. With @p follow, symbolic and hard links are followed
 * inside the archive (at most REPRO_TAR_MAX_LINKS); the result must be a
 * regular file either way. Returns REPRO_ENOTFOUND when absent.
 */
int repro_tar_index_find(const repro_tar_index *index, const char *name, bool follow,
                         const repro_tar_entry **out, repro_error *err);

/* Returns true when @p name is a plain relative path without "." or ".." parts. */
bool repro_path_is_safe(const char *name);

/* Files of a layout directory or of an indexed archive. */
typedef struct repro_tree {
	int dirfd;              /* a directory, or -1 */
	repro_tar_index *tar;   /* an archive, or NULL */
	char *path;             /* for messages */
	bool follow_links;      /* in archives: follow links (docker-archive) */
} repro_tree;

/* Opens a directory tree; REPRO_ENOTFOUND when @p path is missing. */
int repro_tree_open_directory(repro_tree *tree, const char *path, repro_error *err);

/* Opens an archive tree. */
int repro_tree_open_archive(repro_tree *tree, const char *path, repro_error *err);

void repro_tree_dispose(repro_tree *tree);

bool repro_tree_exists(const repro_tree *tree, const char *name);

/* Reads the regular file @p name fully (NUL-terminated, caller frees). */
int repro_tree_read(const repro_tree *tree, const char *name, size_t max_bytes,
                    unsigned char **out, size_t *size, repro_error *err);

/* Opens the regular file @p name as a stream and stores its size. */
int repro_tree_open_file(const repro_tree *tree, const char *name, repro_stream **out,
                         int64_t *size, repro_error *err);

/* Formats the layout path of a blob: "blobs/ALGORITHM/HEX". */
void repro_blob_path(const repro_digest *digest, char *out, size_t size);

/*
 * Opens an OCI layout in @p tree (taken over, also on failure) as a
 * source. @p ref is a ref name or a digest, or NULL. For a Docker 25+
 * archive, @p image_name is a NAME:TAG matched against the
 * io.containerd.image.name annotation, and @p ref is NULL.
 */
int repro_layout_source_open(repro_source **out, repro_tree *tree, const char *spec,
                             const char *ref, const char *image_name, repro_error *err);

/* Creates a source over @p tree (taken over, also on failure) that serves
 * blobs from "blobs/ALGORITHM/HEX" and from paths added with
 * repro_docker_source_add_path(). The caller sets the root. */
int repro_docker_source_new(repro_source **out, repro_tree *tree, const char *spec,
                            repro_error *err);

/* Returns the tree of a source made by repro_docker_source_new(); owned by it. */
repro_tree *repro_docker_source_tree(repro_source *source);

/* Serves the blob @p digest from the member @p path of the source's tree. */
int repro_docker_source_add_path(repro_source *source, const repro_digest *digest,
                                 const char *path, repro_error *err);

/* Opens a legacy docker-archive in @p tree (taken over, also on failure). */
int repro_docker_legacy_source_open(repro_source **out, repro_tree *tree, const char *spec,
                                    const char *image_name, repro_error *err);

/* Opens the registry image that @p reference names as a source called
 * @p spec in messages. */
int repro_registry_source_open(repro_source **out, const char *spec, const char *reference,
                               const repro_source_options *options, repro_error *err);

/* Normalises a Docker reference NAME[:TAG] as the Docker CLI does into @p out. */
void repro_docker_normalize_name(const char *name, char *out, size_t size);

#endif

/*
 * The layer writer's plan: the entries collected by repro_layer_writer_add()
 * (layer_plan.c), sorted and completed before layer_write.c writes them.
 */
#ifndef REPROCHECK_LAYER_WRITE_INTERNAL_H
#define REPROCHECK_LAYER_WRITE_INTERNAL_H

#include <sys/types.h>

#include <reprocheck/layer.h>

typedef struct plan_entry {
	char *path;            /* clean image path: no leading '/', no "." or empty parts */
	char *host_path;       /* NULL for a synthesised parent directory */
	char *symlink_target;
	const char *hardlink_target;  /* points at another entry's path */
	mode_t type;           /* S_IFREG, S_IFDIR or S_IFLNK */
	unsigned int mode;
	unsigned int uid, gid;
	int64_t mtime;
	uint64_t size;
	dev_t device;
	ino_t inode;
	int multiply_linked;   /* st_nlink > 1 for a regular file */
} plan_entry;

struct repro_layer_writer {
	repro_layer_write_options options;
	plan_entry *entries;
	size_t entry_count;
	size_t entry_capacity;
	int finished;
};

/*
 * Sorts the entries by path, adds missing parent directories, rejects
 * duplicates and paths below non-directories, and points every hard link
 * at the first path of its (device, inode) group.
 */
int repro_layer_plan_complete(repro_layer_writer *writer, repro_error *err);

void repro_layer_plan_dispose(repro_layer_writer *writer);

#endif

/*
 * Replays every file of a corpus directory through a fuzz target, so that
 * the targets build and run in every test run without libFuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileutil_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	DIR *directory;
	struct dirent *entry;
	unsigned int replayed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	directory = opendir(argv[1]);
	if (directory == NULL) {
		perror(argv[1]);
		return 2;
	}
	while ((entry = readdir(directory)) != NULL) {
		char path[4096];
		unsigned char *data;
		size_t size;
		repro_error err;

		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], entry->d_name);
		if (repro_file_read_all(path, (size_t)64 << 20, &data, &size, &err) != REPRO_OK) {
			fprintf(stderr, "%s\n", err.message);
			closedir(directory);
			return 2;
		}
		LLVMFuzzerTestOneInput(data, size);
		free(data);
		replayed++;
	}
	closedir(directory);
	printf("replayed %u inputs from %s\n", replayed, argv[1]);
	return replayed > 0 ? 0 : 1;
}

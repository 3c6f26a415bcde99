/*
 * Writes the input to a file and opens it as a bare source, so that the tar
 * index, the layout reader and the docker-archive reader get hostile archives.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <reprocheck/source.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/reprocheck-fuzz-XXXXXX";
	int fd = mkstemp(path);
	repro_source *source;
	repro_error err;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size &&
	    repro_source_open(&source, path, &err) == REPRO_OK) {
		repro_resolved_image *images;
		size_t count;
		repro_platform_selector selector = {0};

		selector.all = true;
		if (repro_source_resolve(source, &selector, &images, &count, &err) == REPRO_OK)
			repro_resolved_images_free(images, count);
		repro_source_free(source);
	}
	close(fd);
	unlink(path);
	return 0;
}

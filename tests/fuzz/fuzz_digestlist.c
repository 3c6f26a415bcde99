#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/digestlist.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A JSON list that parses must serialise, and its serialisation must parse
 * back to the same bytes. */
static void check_round_trip(const repro_digestlist *list)
{
	repro_digestlist *again = NULL;
	char *first = NULL, *second = NULL;
	size_t first_size, second_size;
	repro_error err;

	if (repro_digestlist_serialize(list, &first, &first_size, &err) != REPRO_OK)
		abort();
	if (repro_digestlist_parse(&again, first, first_size, "again", &err) != REPRO_OK)
		abort();
	if (repro_digestlist_serialize(again, &second, &second_size, &err) != REPRO_OK)
		abort();
	if (first_size != second_size || memcmp(first, second, first_size) != 0)
		abort();
	free(first);
	free(second);
	repro_digestlist_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	repro_digestlist *list = NULL;
	repro_error err;

	if (repro_digestlist_parse(&list, data, size, "input", &err) != REPRO_OK) {
		if (list != NULL || err.message[0] == '\0')
			abort();
		return 0;
	}
	if (!list->plain_text)
		check_round_trip(list);
	for (size_t i = 0; i < list->release_count; i++) {
		const repro_digestlist_release *release = list->releases[i];
		repro_digestlist_match match;

		for (size_t j = 0; j < release->image_count; j++) {
			const repro_digest *manifest = &release->images[j].platforms[0].manifest;

			if (repro_digestlist_find_digest(list, NULL, manifest, &match, &err) != REPRO_OK)
				abort();
		}
	}
	repro_digestlist_free(list);
	return 0;
}

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/reference.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	repro_reference reference, again;
	repro_error err;
	char text[REPRO_REFERENCE_STRING_MAX], formatted[REPRO_REFERENCE_STRING_MAX];
	char *copy = malloc(size + 1);

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	if (repro_reference_parse(&reference, copy, &err) == REPRO_OK) {
		/* A normalised reference parses again to itself. */
		repro_reference_format(&reference, text);
		if (repro_reference_parse(&again, text, &err) != REPRO_OK)
			__builtin_trap();
		repro_reference_format(&again, formatted);
		if (strcmp(text, formatted) != 0)
			__builtin_trap();
		repro_reference_dispose(&again);
		repro_reference_dispose(&reference);
	}
	free(copy);
	return 0;
}

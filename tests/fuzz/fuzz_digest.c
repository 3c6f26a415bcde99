#include <stdint.h>
#include <string.h>

#include <reprocheck/digest.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	repro_digest digest;
	repro_error err;
	char text[REPRO_DIGEST_STRING_MAX];

	if (repro_digest_parse_n(&digest, (const char *)data, size, &err) == REPRO_OK) {
		repro_digest_format(&digest, text);
		/* A digest that parses must format back to the same bytes. */
		if (strlen(text) != size || memcmp(text, data, size) != 0)
			__builtin_trap();
	}
	return 0;
}

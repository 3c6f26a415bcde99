#include <stdint.h>
#include <stdlib.h>

#include <reprocheck/json.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	repro_json_doc doc;
	repro_error err;

	if (repro_json_doc_parse(&doc, data, size, "input", NULL, &err) == REPRO_OK) {
		char *text;
		size_t length;

		if (repro_json_dump(doc.root, &text, &length, &err) == REPRO_OK)
			free(text);
		repro_json_doc_dispose(&doc);
	}
	return 0;
}

#include <stdint.h>
#include <stdlib.h>

#include <reprocheck/recipe.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	repro_recipe *recipe = NULL;
	repro_error err;

	if (repro_recipe_parse(&recipe, data, size, &err) == REPRO_OK) {
		for (size_t i = 0; i < recipe->image_count; i++) {
			if (repro_recipe_find_image(recipe, recipe->images[i].name) != &recipe->images[i])
				abort();
		}
		repro_recipe_free(recipe);
	} else if (recipe != NULL || err.message[0] == '\0') {
		abort();
	}
	return 0;
}

/*
 * Helpers shared by the files of the recipe module: recipe.c parses the
 * document and its images, recipe_config.c the `config` object and the
 * string lists and maps, recipe_sources.c resolves copy sources.
 */
#ifndef REPROCHECK_RECIPE_INTERNAL_H
#define REPROCHECK_RECIPE_INTERNAL_H

#include <jansson.h>

#include <reprocheck/recipe.h>

/* Copies @p text into @p out; the only error is REPRO_ENOMEM. */
int repro_recipe_strdup(char **out, const char *text, repro_error *err);

/* Checks that the array or object @p value at @p key has at most @p max
 * members (REPRO_ELIMIT) and, when @p non_empty, at least one. */
int repro_recipe_check_count(const json_t *value, const char *key, size_t max, bool non_empty,
                             repro_error *err);

/* Parses an array of strings at @p key into @p out, at most
 * REPRO_RECIPE_MAX_ITEMS. */
int repro_recipe_parse_strings(const json_t *array, const char *key, repro_recipe_strings *out,
                               repro_error *err);

/* Parses an object whose values are all strings into @p out, in document
 * order. Names must be non-empty. */
int repro_recipe_parse_pairs(json_t *object, const char *key, repro_recipe_pairs *out,
                             repro_error *err);

/* Parses the `config` object at @p key. */
int repro_recipe_parse_config(json_t *object, const char *key, repro_recipe_config *out,
                              repro_error *err);

void repro_recipe_strings_dispose(repro_recipe_strings *strings);
void repro_recipe_pairs_dispose(repro_recipe_pairs *pairs);
void repro_recipe_config_dispose(repro_recipe_config *config);

#endif

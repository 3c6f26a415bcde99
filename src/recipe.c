#include <reprocheck/recipe.h>

#include <stdlib.h>
#include <string.h>

#include <reprocheck/json.h>

#include "fileutil_internal.h"
#include "recipe_internal.h"
#include "syntax_internal.h"

static int check_range(json_int_t value, json_int_t min, json_int_t max, const char *key,
                       repro_error *err)
{
	if (value < min || value > max)
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be between %lld and %lld, found %lld",
		                       key, (long long)min, (long long)max, (long long)value);
	return REPRO_OK;
}

/* Reads the optional integer member @p name into @p out (unchanged when
 * absent) after checking that it is in [min, max]. */
static int get_bounded_integer(const json_t *object, const char *name, const char *key,
                               json_int_t min, json_int_t max, json_int_t *out, bool *found,
                               repro_error *err)
{
	char member_key[REPRO_JSON_PATH_MAX];
	json_int_t value = 0;
	bool present = false;
	int result = repro_json_get_integer(object, name, key, false, &value, &present, err);

	if (found != NULL)
		*found = present;
	if (result != REPRO_OK || !present)
		return result;
	repro_json_path_key(member_key, key, name);
	result = check_range(value, min, max, member_key, err);
	if (result == REPRO_OK)
		*out = value;
	return result;
}

static bool is_env_name(const char *name)
{
	for (size_t i = 0; name[i] != '\0'; i++) {
		char c = name[i];
		bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';

		if (!letter && (i == 0 || c < '0' || c > '9'))
			return false;
	}
	return name[0] != '\0';
}

static int parse_step_env(json_t *step, const char *key, repro_recipe_pairs *out,
                          repro_error *err)
{
	char env_key[REPRO_JSON_PATH_MAX];
	json_t *object;
	int result = repro_json_get_object(step, "env", key, false, &object, err);

	if (result != REPRO_OK || object == NULL)
		return result;
	repro_json_path_key(env_key, key, "env");
	result = repro_recipe_parse_pairs(object, env_key, out, err);
	for (size_t i = 0; result == REPRO_OK && i < out->count; i++) {
		const char *name = out->items[i].name;

		if (!is_env_name(name))
			return repro_error_set(err, REPRO_EFORMAT,
				"'%s' contains the invalid variable name '%.*s': expected [A-Za-z_][A-Za-z0-9_]*",
				env_key, REPRO_SYNTAX_ECHO_MAX, name);
		/* The sandbox derives SOURCE_DATE_EPOCH from the commit or from the
		 * top-level sourceDateEpoch; a per-step value would contradict it. */
		if (strcmp(name, "SOURCE_DATE_EPOCH") == 0)
			return repro_error_set(err, REPRO_EFORMAT,
				"'%s.SOURCE_DATE_EPOCH' must not be set: use the top-level sourceDateEpoch", env_key);
	}
	return result;
}

static int parse_step(json_t *step, const char *key, repro_recipe_step *out, repro_error *err)
{
	static const char *const allowed[] = {"run", "env", "timeoutSeconds", NULL};
	char run_key[REPRO_JSON_PATH_MAX];
	json_int_t timeout = REPRO_RECIPE_DEFAULT_TIMEOUT;
	json_t *run;
	int result;

	if (!json_is_object(step))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an object, found %s", key,
		                       repro_json_type_name(step));
	result = repro_json_check_keys(step, key, allowed, err);
	if (result == REPRO_OK)
		result = repro_json_get_array(step, "run", key, true, &run, err);
	if (result != REPRO_OK)
		return result;

	repro_json_path_key(run_key, key, "run");
	result = repro_recipe_check_count(run, run_key, REPRO_RECIPE_MAX_ITEMS, true, err);
	if (result == REPRO_OK)
		result = repro_recipe_parse_strings(run, run_key, &out->run, err);
	if (result == REPRO_OK && out->run.items[0][0] == '\0')
		result = repro_error_set(err, REPRO_EFORMAT, "'%s[0]' must not be empty", run_key);
	if (result == REPRO_OK)
		result = parse_step_env(step, key, &out->env, err);
	if (result == REPRO_OK)
		result = get_bounded_integer(step, "timeoutSeconds", key, 1, REPRO_RECIPE_MAX_TIMEOUT,
		                             &timeout, NULL, err);
	out->timeout_seconds = (unsigned int)timeout;
	return result;
}

static int parse_mode(const char *text, const char *key, unsigned int *out, repro_error *err)
{
	size_t length = strlen(text);
	unsigned int mode = 0;

	for (size_t i = 0; i < length && length <= 5; i++) {
		if (text[i] < '0' || text[i] > '7') {
			length = 0;
			break;
		}
		mode = mode * 8 + (unsigned int)(text[i] - '0');
	}
	if (length == 0 || length > 5 || mode > 07777)
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s' must be a string of octal digits from \"0\" to \"07777\", such as \"0755\", found '%.*s'",
			key, REPRO_SYNTAX_ECHO_MAX, text);
	*out = mode;
	return REPRO_OK;
}

static int parse_copy(json_t *copy, const char *key, repro_recipe_copy *out, repro_error *err)
{
	static const char *const allowed[] = {"from", "to", "mode", "uid", "gid", NULL};
	char member_key[REPRO_JSON_PATH_MAX];
	const char *from, *to, *mode;
	json_int_t uid = 0, gid = 0;
	int result;

	if (!json_is_object(copy))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an object, found %s", key,
		                       repro_json_type_name(copy));
	result = repro_json_check_keys(copy, key, allowed, err);
	if (result == REPRO_OK)
		result = repro_json_get_string(copy, "from", key, true, &from, err);
	if (result == REPRO_OK)
		result = repro_json_get_string(copy, "to", key, true, &to, err);
	if (result == REPRO_OK)
		result = repro_json_get_string(copy, "mode", key, false, &mode, err);
	if (result != REPRO_OK)
		return result;

	repro_json_path_key(member_key, key, "from");
	result = repro_syntax_check_relative_path(from, REPRO_RECIPE_MAX_PATH, member_key, err);
	if (result != REPRO_OK)
		return result;
	repro_json_path_key(member_key, key, "to");
	result = repro_syntax_check_image_path(to, REPRO_RECIPE_MAX_PATH, member_key, err);
	if (result != REPRO_OK)
		return result;
	if (mode != NULL) {
		repro_json_path_key(member_key, key, "mode");
		result = parse_mode(mode, member_key, &out->mode, err);
		out->has_mode = result == REPRO_OK;
	}
	if (result == REPRO_OK)
		result = get_bounded_integer(copy, "uid", key, 0, INT32_MAX, &uid, NULL, err);
	if (result == REPRO_OK)
		result = get_bounded_integer(copy, "gid", key, 0, INT32_MAX, &gid, NULL, err);
	if (result != REPRO_OK)
		return result;

	out->uid = (uint32_t)uid;
	out->gid = (uint32_t)gid;
	out->copy_contents = from[strlen(from) - 1] == '/';
	out->into_directory = to[strlen(to) - 1] == '/';
	result = repro_recipe_strdup(&out->from, from, err);
	if (result == REPRO_OK)
		result = repro_recipe_strdup(&out->to, to, err);
	return result;
}

static int parse_layer(json_t *layer, const char *key, repro_recipe_layer *out, repro_error *err)
{
	static const char *const allowed[] = {"copy", NULL};
	char copy_key[REPRO_JSON_PATH_MAX];
	json_t *copies;
	int result;

	if (!json_is_object(layer))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an object, found %s", key,
		                       repro_json_type_name(layer));
	result = repro_json_check_keys(layer, key, allowed, err);
	if (result == REPRO_OK)
		result = repro_json_get_array(layer, "copy", key, true, &copies, err);
	if (result != REPRO_OK)
		return result;
	repro_json_path_key(copy_key, key, "copy");
	result = repro_recipe_check_count(copies, copy_key, REPRO_RECIPE_MAX_COPIES, true, err);
	if (result != REPRO_OK)
		return result;

	out->copies = calloc(json_array_size(copies), sizeof(*out->copies));
	if (out->copies == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "parsing '%s' failed: out of memory", key);
	out->copy_count = json_array_size(copies);
	for (size_t i = 0; i < out->copy_count && result == REPRO_OK; i++) {
		char item_key[REPRO_JSON_PATH_MAX];

		repro_json_path_index(item_key, copy_key, i);
		result = parse_copy(json_array_get(copies, i), item_key, &out->copies[i], err);
	}
	return result;
}

/* Parses the array member @p name of @p image into @p count elements of
 * @p element_size bytes each, calling @p parse on each element. */
static int parse_array_member(json_t *image, const char *name, const char *key, size_t max,
                              bool required, void **items, size_t *count, size_t element_size,
                              int (*parse)(json_t *, const char *, void *, repro_error *),
                              repro_error *err)
{
	char array_key[REPRO_JSON_PATH_MAX];
	json_t *array;
	int result = repro_json_get_array(image, name, key, required, &array, err);

	if (result != REPRO_OK || array == NULL)
		return result;
	repro_json_path_key(array_key, key, name);
	result = repro_recipe_check_count(array, array_key, max, false, err);
	if (result != REPRO_OK)
		return result;
	*items = calloc(json_array_size(array) + 1, element_size);
	if (*items == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "parsing '%s' failed: out of memory", array_key);
	*count = json_array_size(array);
	for (size_t i = 0; i < *count && result == REPRO_OK; i++) {
		char item_key[REPRO_JSON_PATH_MAX];

		repro_json_path_index(item_key, array_key, i);
		result = parse(json_array_get(array, i), item_key,
		               (char *)*items + i * element_size, err);
	}
	return result;
}

static int parse_step_element(json_t *value, const char *key, void *out, repro_error *err)
{
	return parse_step(value, key, out, err);
}

static int parse_layer_element(json_t *value, const char *key, void *out, repro_error *err)
{
	return parse_layer(value, key, out, err);
}

/* The reference module checks the full grammar. This rejects only what is
 * certainly wrong: emptiness, whitespace, a digest, or a tag. A ':' after
 * the last '/' is a tag, because a registry port comes before the first '/'. */
static int check_reference(const char *value, const char *key, repro_error *err)
{
	const char *slash = strrchr(value, '/');
	const char *last = slash ? slash + 1 : value;

	if (value[0] == '\0')
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must not be empty", key);
	if (strlen(value) > REPRO_RECIPE_MAX_REFERENCE)
		return repro_error_set(err, REPRO_ELIMIT, "'%s' is %zu bytes long, more than the limit of %d",
		                       key, strlen(value), REPRO_RECIPE_MAX_REFERENCE);
	if (repro_syntax_has_whitespace(value))
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s' must not contain whitespace or control characters, found '%.*s'",
			key, REPRO_SYNTAX_ECHO_MAX, value);
	if (strchr(value, '@') != NULL || strchr(last, ':') != NULL)
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s' must name a repository without a tag or digest, found '%.*s'",
			key, REPRO_SYNTAX_ECHO_MAX, value);
	return REPRO_OK;
}

static int parse_base(const json_t *image, const char *key, repro_recipe_base *out,
                      repro_error *err)
{
	static const char *const allowed[] = {"layout", "digest", NULL};
	char base_key[REPRO_JSON_PATH_MAX], member_key[REPRO_JSON_PATH_MAX];
	const char *layout, *digest;
	json_t *base = json_object_get(image, "base");
	int result;

	repro_json_path_key(base_key, key, "base");
	if (base == NULL)
		return repro_error_set(err, REPRO_EFORMAT, "missing key '%s'", base_key);
	if (json_is_string(base) && strcmp(json_string_value(base), "scratch") == 0) {
		out->kind = REPRO_RECIPE_BASE_SCRATCH;
		return REPRO_OK;
	}
	if (json_is_string(base))
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s' must be \"scratch\" or an object with layout and digest, found '%.*s'",
			base_key, REPRO_SYNTAX_ECHO_MAX, json_string_value(base));
	if (!json_is_object(base))
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s' must be \"scratch\" or an object with layout and digest, found %s",
			base_key, repro_json_type_name(base));

	out->kind = REPRO_RECIPE_BASE_LAYOUT;
	result = repro_json_check_keys(base, base_key, allowed, err);
	if (result == REPRO_OK)
		result = repro_json_get_string(base, "layout", base_key, true, &layout, err);
	if (result == REPRO_OK)
		result = repro_json_get_string(base, "digest", base_key, true, &digest, err);
	if (result != REPRO_OK)
		return result;
	repro_json_path_key(member_key, base_key, "layout");
	result = repro_syntax_check_relative_path(layout, REPRO_RECIPE_MAX_PATH, member_key, err);
	if (result != REPRO_OK)
		return result;
	repro_json_path_key(member_key, base_key, "digest");
	result = repro_digest_parse(&out->digest, digest, err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "'%s'", member_key);
	return repro_recipe_strdup(&out->layout, layout, err);
}

static int parse_image_strings(const json_t *image, const char *key, repro_recipe_image *out,
                               repro_error *err)
{
	char member_key[REPRO_JSON_PATH_MAX];
	const char *name, *reference, *platform;
	int result;

	result = repro_json_get_string(image, "name", key, true, &name, err);
	if (result == REPRO_OK)
		result = repro_json_get_string(image, "reference", key, false, &reference, err);
	if (result == REPRO_OK)
		result = repro_json_get_string(image, "platform", key, false, &platform, err);
	if (result != REPRO_OK)
		return result;

	repro_json_path_key(member_key, key, "name");
	if (!repro_syntax_is_image_name(name, REPRO_RECIPE_MAX_NAME))
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s' must match [a-z0-9][a-z0-9._-]* and be at most %d bytes long, found '%.*s'",
			member_key, REPRO_RECIPE_MAX_NAME, REPRO_SYNTAX_ECHO_MAX, name);
	if (reference != NULL) {
		repro_json_path_key(member_key, key, "reference");
		result = check_reference(reference, member_key, err);
		if (result == REPRO_OK)
			result = repro_recipe_strdup(&out->reference, reference, err);
		if (result != REPRO_OK)
			return result;
	}
	if (platform == NULL) {
		platform = "linux/amd64";
	} else if (!repro_syntax_is_platform(platform)) {
		repro_json_path_key(member_key, key, "platform");
		return repro_error_set(err, REPRO_EFORMAT,
			"'%s' must be OS/ARCH or OS/ARCH/VARIANT in lower case, such as linux/arm64/v8, found '%.*s'",
			member_key, REPRO_SYNTAX_ECHO_MAX, platform);
	}
	result = repro_recipe_strdup(&out->name, name, err);
	if (result == REPRO_OK)
		result = repro_recipe_strdup(&out->platform, platform, err);
	return result;
}

static int parse_image_objects(json_t *image, const char *key, repro_recipe_image *out,
                               repro_error *err)
{
	char member_key[REPRO_JSON_PATH_MAX];
	json_t *object;
	int result = repro_json_get_object(image, "config", key, false, &object, err);

	if (result == REPRO_OK && object != NULL) {
		repro_json_path_key(member_key, key, "config");
		result = repro_recipe_parse_config(object, member_key, &out->config, err);
	}
	if (result == REPRO_OK)
		result = repro_json_get_object(image, "annotations", key, false, &object, err);
	if (result == REPRO_OK && object != NULL) {
		repro_json_path_key(member_key, key, "annotations");
		result = repro_recipe_parse_pairs(object, member_key, &out->annotations, err);
	}
	return result;
}

static int parse_image(json_t *image, const char *key, repro_recipe_image *out, repro_error *err)
{
	static const char *const allowed[] = {"name", "reference", "platform", "base", "build",
	                                      "layers", "config", "annotations", NULL};
	int result;

	if (!json_is_object(image))
		return repro_error_set(err, REPRO_EFORMAT, "'%s' must be an object, found %s", key,
		                       repro_json_type_name(image));
	result = repro_json_check_keys(image, key, allowed, err);
	if (result == REPRO_OK)
		result = parse_image_strings(image, key, out, err);
	if (result == REPRO_OK)
		result = parse_base(image, key, &out->base, err);
	if (result == REPRO_OK)
		result = parse_array_member(image, "build", key, REPRO_RECIPE_MAX_STEPS, false,
		                            (void **)&out->steps, &out->step_count, sizeof(*out->steps),
		                            parse_step_element, err);
	if (result == REPRO_OK)
		result = parse_array_member(image, "layers", key, REPRO_RECIPE_MAX_LAYERS, false,
		                            (void **)&out->layers, &out->layer_count,
		                            sizeof(*out->layers), parse_layer_element, err);
	if (result == REPRO_OK && out->layer_count == 0 && out->base.kind == REPRO_RECIPE_BASE_SCRATCH)
		result = repro_error_set(err, REPRO_EFORMAT,
			"'%s.layers' must have at least one layer when base is \"scratch\"", key);
	if (result == REPRO_OK)
		result = parse_image_objects(image, key, out, err);
	return result;
}

static int parse_images(json_t *root, repro_recipe *recipe, repro_error *err)
{
	json_t *images;
	int result = repro_json_get_array(root, "images", "", true, &images, err);

	if (result == REPRO_OK)
		result = repro_recipe_check_count(images, "images", REPRO_RECIPE_MAX_IMAGES, true, err);
	if (result != REPRO_OK)
		return result;
	recipe->images = calloc(json_array_size(images), sizeof(*recipe->images));
	if (recipe->images == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "parsing the recipe failed: out of memory");
	recipe->image_count = json_array_size(images);

	for (size_t i = 0; i < recipe->image_count; i++) {
		char key[REPRO_JSON_PATH_MAX];

		repro_json_path_index(key, "images", i);
		result = parse_image(json_array_get(images, i), key, &recipe->images[i], err);
		if (result != REPRO_OK)
			return result;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(recipe->images[j].name, recipe->images[i].name) == 0)
				return repro_error_set(err, REPRO_EFORMAT,
					"'%s.name': duplicate image name '%s', already used by images[%zu]",
					key, recipe->images[i].name, j);
		}
	}
	return REPRO_OK;
}

static int parse_root(json_t *root, repro_recipe *recipe, repro_error *err)
{
	static const char *const allowed[] = {"schemaVersion", "sourceDateEpoch", "images", NULL};
	json_int_t version = 0, epoch = 0;
	int result;

	if (!json_is_object(root))
		return repro_error_set(err, REPRO_EFORMAT, "the recipe must be a JSON object, found %s",
		                       repro_json_type_name(root));
	result = repro_json_check_keys(root, "", allowed, err);
	if (result == REPRO_OK)
		result = repro_json_get_integer(root, "schemaVersion", "", true, &version, NULL, err);
	if (result != REPRO_OK)
		return result;
	if (version != 1)
		return repro_error_set(err, REPRO_EUNSUPPORTED,
			"'schemaVersion' is %lld, but this version of reprocheck reads only schemaVersion 1",
			(long long)version);

	result = get_bounded_integer(root, "sourceDateEpoch", "", 0, REPRO_RECIPE_MAX_EPOCH, &epoch,
	                             &recipe->has_source_date_epoch, err);
	if (result != REPRO_OK)
		return result;
	recipe->source_date_epoch = (int64_t)epoch;
	return parse_images(root, recipe, err);
}

int repro_recipe_parse(repro_recipe **out, const void *bytes, size_t size, repro_error *err)
{
	repro_json_limits limits = {REPRO_RECIPE_MAX_BYTES, 0};
	repro_recipe *recipe = NULL;
	json_t *root = NULL;
	int result;

	*out = NULL;
	result = repro_json_parse(&root, bytes, size, "recipe", &limits, err);
	if (result != REPRO_OK)
		return result;
	recipe = calloc(1, sizeof(*recipe));
	if (recipe == NULL) {
		result = repro_error_set(err, REPRO_ENOMEM, "parsing the recipe failed: out of memory");
		goto cleanup;
	}
	result = parse_root(root, recipe, err);
	if (result == REPRO_OK) {
		*out = recipe;
		recipe = NULL;
	}

cleanup:
	repro_recipe_free(recipe);
	json_decref(root);
	return result;
}

int repro_recipe_load(repro_recipe **out, const char *path, repro_error *err)
{
	unsigned char *bytes;
	size_t size;
	int result;

	*out = NULL;
	result = repro_file_read_all(path, REPRO_RECIPE_MAX_BYTES, &bytes, &size, err);
	if (result != REPRO_OK)
		return repro_error_prefix(err, "reading the recipe");
	result = repro_recipe_parse(out, bytes, size, err);
	free(bytes);
	if (result != REPRO_OK)
		repro_error_prefix(err, "recipe '%s'", path);
	return result;
}

static void image_dispose(repro_recipe_image *image)
{
	free(image->name);
	free(image->reference);
	free(image->platform);
	free(image->base.layout);
	for (size_t i = 0; i < image->step_count; i++) {
		repro_recipe_strings_dispose(&image->steps[i].run);
		repro_recipe_pairs_dispose(&image->steps[i].env);
	}
	free(image->steps);
	for (size_t i = 0; i < image->layer_count; i++) {
		for (size_t j = 0; j < image->layers[i].copy_count; j++) {
			free(image->layers[i].copies[j].from);
			free(image->layers[i].copies[j].to);
		}
		free(image->layers[i].copies);
	}
	free(image->layers);
	repro_recipe_config_dispose(&image->config);
	repro_recipe_pairs_dispose(&image->annotations);
}

void repro_recipe_free(repro_recipe *recipe)
{
	if (recipe == NULL)
		return;
	for (size_t i = 0; i < recipe->image_count; i++)
		image_dispose(&recipe->images[i]);
	free(recipe->images);
	free(recipe);
}

const repro_recipe_image *repro_recipe_find_image(const repro_recipe *recipe, const char *name)
{
	for (size_t i = 0; i < recipe->image_count; i++) {
		if (strcmp(recipe->images[i].name, name) == 0)
			return &recipe->images[i];
	}
	return NULL;
}

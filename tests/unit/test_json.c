#include "harness.h"

#include <stdlib.h>

#include <reprocheck/json.h>

static void test_parse_keeps_bytes(void)
{
	static const char text[] = "{\"b\": 1,\n \"a\": [true, null]}";
	repro_error err;
	repro_json_doc doc;

	ASSERT_OK(repro_json_doc_parse(&doc, text, strlen(text), "test", NULL, &err), &err);
	ASSERT_INT_EQ(doc.size, strlen(text));
	ASSERT_INT_EQ(memcmp(doc.bytes, text, doc.size), 0);
	ASSERT_INT_EQ(json_integer_value(json_object_get(doc.root, "b")), 1);
	repro_json_doc_dispose(&doc);
	repro_json_doc_dispose(&doc);
}

static void test_parse_rejects(void)
{
	static const struct {
		const char *text;
		int code;
		const char *message;
	} cases[] = {
		{"{\"a\":1,\"a\":2}", REPRO_EFORMAT, "duplicate object key"},
		{"{\"a\":{\"x\":1,\"x\":1}}", REPRO_EFORMAT, "duplicate object key"},
		{"{\"a\":1} x", REPRO_EFORMAT, "end of file expected"},
		{"{\"a\":\"\\u0000\"}", REPRO_EFORMAT, "\\u0000 is not allowed"},
		{"", REPRO_EFORMAT, "malformed test"},
		{"{\"a\":", REPRO_EFORMAT, "malformed test"},
		{"{\"a\":99999999999999999999999}", REPRO_EFORMAT, "too big"},
		{"\"\xff\"", REPRO_EFORMAT, "unable to decode byte 0xff"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_error err;
		json_t *root;

		repro_error_clear(&err);
		ASSERT_CODE(repro_json_parse(&root, cases[i].text, strlen(cases[i].text), "test", NULL,
		                             &err), cases[i].code, &err);
		ASSERT_STR_CONTAINS(err.message, cases[i].message);
		CU_ASSERT_PTR_NULL(root);
	}
}

static void test_depth_limit(void)
{
	repro_error err;
	json_t *root;
	char deep[300];
	repro_json_limits limits = {0, 10};

	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	deep[200] = '\0';
	ASSERT_CODE(repro_json_parse(&root, deep, 200, "test", NULL, &err), REPRO_ELIMIT, &err);
	ASSERT_STR_EQ(err.message, "test is nested deeper than 64 levels");

	ASSERT_OK(repro_json_parse(&root, "[[[[[[[[[[]]]]]]]]]]", 20, "test", &limits, &err), &err);
	json_decref(root);
	ASSERT_CODE(repro_json_parse(&root, "[[[[[[[[[[[]]]]]]]]]]]", 22, "test", &limits, &err),
	            REPRO_ELIMIT, &err);

	/* Brackets inside strings do not count. */
	ASSERT_OK(repro_json_parse(&root, "[\"[[[[[[[[[[[[\\\"[[[[\"]", 22, "test", &limits, &err),
	          &err);
	json_decref(root);
}

static void test_size_limit(void)
{
	repro_error err;
	json_t *root;
	repro_json_limits limits = {8, 0};

	ASSERT_CODE(repro_json_parse(&root, "[1,2,3,4,5]", 11, "manifest", &limits, &err),
	            REPRO_ELIMIT, &err);
	ASSERT_STR_EQ(err.message, "manifest is 11 bytes, more than the limit of 8");
}

static void test_dump_compact_ordered(void)
{
	repro_error err;
	json_t *object = json_object();
	char *text;
	size_t size;

	json_object_set_new(object, "z", json_string("a/b é"));
	json_object_set_new(object, "a", json_integer(1));
	ASSERT_OK(repro_json_dump(object, &text, &size, &err), &err);
	ASSERT_STR_EQ(text, "{\"z\":\"a/b é\",\"a\":1}");
	ASSERT_INT_EQ(size, strlen(text));
	free(text);
	json_decref(object);
}

static void test_dump_pretty(void)
{
	repro_error err;
	json_t *object = json_object();
	char *text;
	size_t size;

	json_object_set_new(object, "z", json_pack("[i,{}]", 1));
	json_object_set_new(object, "a", json_array());
	ASSERT_OK(repro_json_dump_pretty(object, &text, &size, &err), &err);
	ASSERT_STR_EQ(text, "{\n  \"z\": [\n    1,\n    {}\n  ],\n  \"a\": []\n}\n");
	ASSERT_INT_EQ(size, strlen(text));
	free(text);
	json_decref(object);
}

static void test_check_keys(void)
{
	static const char *const allowed[] = {"name", "layers", NULL};
	repro_error err;
	json_t *root;

	ASSERT_OK(repro_json_parse(&root, "{\"name\":\"a\",\"nmae\":1}", 21, "recipe", NULL, &err),
	          &err);
	ASSERT_CODE(repro_json_check_keys(root, "images[1]", allowed, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_EQ(err.message, "unknown key 'images[1].nmae'");
	ASSERT_CODE(repro_json_check_keys(root, "", allowed, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_EQ(err.message, "unknown key 'nmae'");
	json_decref(root);
}

static void test_typed_getters(void)
{
	static const char text[] = "{\"s\":\"v\",\"n\":5,\"b\":false,\"o\":{},\"a\":[]}";
	repro_error err;
	json_t *root, *value;
	const char *string;
	json_int_t number = 0;
	bool flag = true, found = false;

	ASSERT_OK(repro_json_parse(&root, text, strlen(text), "test", NULL, &err), &err);
	ASSERT_OK(repro_json_get_string(root, "s", "x", true, &string, &err), &err);
	ASSERT_STR_EQ(string, "v");
	ASSERT_OK(repro_json_get_integer(root, "n", "x", true, &number, &found, &err), &err);
	ASSERT_INT_EQ(number, 5);
	CU_ASSERT_TRUE(found);
	ASSERT_OK(repro_json_get_bool(root, "b", "x", true, &flag, &found, &err), &err);
	CU_ASSERT_FALSE(flag);
	ASSERT_OK(repro_json_get_object(root, "o", "x", true, &value, &err), &err);
	CU_ASSERT_PTR_NOT_NULL(value);
	ASSERT_OK(repro_json_get_array(root, "a", "x", true, &value, &err), &err);
	CU_ASSERT_PTR_NOT_NULL(value);

	ASSERT_OK(repro_json_get_string(root, "missing", "x", false, &string, &err), &err);
	CU_ASSERT_PTR_NULL(string);
	ASSERT_CODE(repro_json_get_string(root, "missing", "x", true, &string, &err), REPRO_EFORMAT,
	            &err);
	ASSERT_STR_EQ(err.message, "missing key 'x.missing'");
	ASSERT_CODE(repro_json_get_string(root, "n", "x", true, &string, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_EQ(err.message, "'x.n' must be a string, found integer");
	ASSERT_CODE(repro_json_get_array(root, "o", "", true, &value, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_EQ(err.message, "'o' must be an array, found object");
	ASSERT_CODE(repro_json_get_integer(root, "s", "", true, &number, &found, &err),
	            REPRO_EFORMAT, &err);
	ASSERT_STR_EQ(err.message, "'s' must be an integer, found string");
	ASSERT_CODE(repro_json_get_bool(root, "n", "", true, &flag, &found, &err), REPRO_EFORMAT,
	            &err);
	ASSERT_STR_EQ(err.message, "'n' must be a boolean, found integer");
	json_decref(root);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"parse keeps exact bytes", test_parse_keeps_bytes},
		{"parse rejects bad documents", test_parse_rejects},
		{"depth limit", test_depth_limit},
		{"size limit", test_size_limit},
		{"dump compact and ordered", test_dump_compact_ordered},
		{"dump pretty with newline", test_dump_pretty},
		{"check keys names path", test_check_keys},
		{"typed getters", test_typed_getters},
	};
	return repro_test_main("json", cases, REPRO_ARRAY_SIZE(cases));
}

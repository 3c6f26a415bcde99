#include "harness.h"

#include <stdlib.h>

#include <reprocheck/reference.h>

#define HEX64 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define DIGEST "sha256:" HEX64

typedef struct valid_case {
	const char *text;
	const char *domain;
	const char *path;
	const char *tag;        /* NULL when the reference has only a digest */
	const char *formatted;
	const char *api_host;
} valid_case;

static const valid_case valid_cases[] = {
	{"alpine", "docker.io", "library/alpine", "latest", "docker.io/library/alpine:latest",
	 "registry-1.docker.io"},
	{"alpine:3.19", "docker.io", "library/alpine", "3.19", "docker.io/library/alpine:3.19",
	 "registry-1.docker.io"},
	{"acme/hello", "docker.io", "acme/hello", "latest", "docker.io/acme/hello:latest",
	 "registry-1.docker.io"},
	{"docker.io/alpine", "docker.io", "library/alpine", "latest",
	 "docker.io/library/alpine:latest", "registry-1.docker.io"},
	{"index.docker.io/acme/hello:v1", "docker.io", "acme/hello", "v1",
	 "docker.io/acme/hello:v1", "registry-1.docker.io"},
	{"registry.example.com/acme/hello:v1.0.0", "registry.example.com", "acme/hello", "v1.0.0",
	 "registry.example.com/acme/hello:v1.0.0", "registry.example.com"},
	{"localhost/hello", "localhost", "hello", "latest", "localhost/hello:latest", "localhost"},
	{"localhost:5000/a/b/c:tag_1", "localhost:5000", "a/b/c", "tag_1",
	 "localhost:5000/a/b/c:tag_1", "localhost:5000"},
	{"127.0.0.1:5000/fixture/umoci:v1", "127.0.0.1:5000", "fixture/umoci", "v1",
	 "127.0.0.1:5000/fixture/umoci:v1", "127.0.0.1:5000"},
	{"[::1]:5000/hello", "[::1]:5000", "hello", "latest", "[::1]:5000/hello:latest",
	 "[::1]:5000"},
	{"Registry.Example.COM/acme/hello", "Registry.Example.COM", "acme/hello", "latest",
	 "Registry.Example.COM/acme/hello:latest", "Registry.Example.COM"},
	{"Upper/hello", "Upper", "hello", "latest", "Upper/hello:latest", "Upper"},
	{"my-registry.local:443/a__b/c.d/e-f/g---h:V_1.0-rc", "my-registry.local:443",
	 "a__b/c.d/e-f/g---h", "V_1.0-rc", "my-registry.local:443/a__b/c.d/e-f/g---h:V_1.0-rc",
	 "my-registry.local:443"},
	{"alpine@" DIGEST, "docker.io", "library/alpine", NULL,
	 "docker.io/library/alpine@" DIGEST, "registry-1.docker.io"},
	{"example.com/app:v2@" DIGEST, "example.com", "app", "v2", "example.com/app:v2@" DIGEST,
	 "example.com"},
	{"hello:_private", "docker.io", "library/hello", "_private",
	 "docker.io/library/hello:_private", "registry-1.docker.io"},
};

static void test_valid_references(void)
{
	for (size_t i = 0; i < REPRO_ARRAY_SIZE(valid_cases); i++) {
		const valid_case *c = &valid_cases[i];
		repro_reference reference;
		repro_error err;
		char text[REPRO_REFERENCE_STRING_MAX];

		if (c->domain == NULL)
			continue;
		repro_error_clear(&err);
		ASSERT_OK(repro_reference_parse(&reference, c->text, &err), &err);
		if (err.code != REPRO_OK) {
			fprintf(stderr, "  case: %s\n", c->text);
			continue;
		}
		ASSERT_STR_EQ(reference.domain, c->domain);
		ASSERT_STR_EQ(reference.path, c->path);
		if (c->tag == NULL)
			REPRO_CHECK(reference.tag == NULL, "%s: tag is %s", c->text, reference.tag);
		else
			ASSERT_STR_EQ(reference.tag, c->tag);
		ASSERT_INT_EQ(reference.has_digest, strchr(c->text, '@') != NULL);
		repro_reference_format(&reference, text);
		ASSERT_STR_EQ(text, c->formatted);
		ASSERT_STR_EQ(repro_reference_api_host(&reference), c->api_host);
		repro_reference_dispose(&reference);
	}
}

typedef struct invalid_case {
	const char *text;
	int code;
	const char *message;
} invalid_case;

static const invalid_case invalid_cases[] = {
	{"", REPRO_EUSAGE, "invalid reference: it is empty"},
	{"Alpine", REPRO_EUSAGE, "invalid reference 'Alpine': repository name must be lower case"},
	{"example.com/Acme/hello", REPRO_EUSAGE,
	 "invalid reference 'example.com/Acme/hello': repository name must be lower case"},
	{"example.com/", REPRO_EUSAGE,
	 "invalid reference 'example.com/': repository path has an empty component"},
	{"example.com/a//b", REPRO_EUSAGE,
	 "invalid reference 'example.com/a//b': repository path has an empty component"},
	{"/hello", REPRO_EUSAGE, "invalid reference '/hello': repository path has an empty component"},
	{"-hello", REPRO_EUSAGE,
	 "invalid reference '-hello': repository path component must start and end with a letter "
	 "or digit"},
	{"a...b", REPRO_EUSAGE,
	 "invalid reference 'a...b': repository path has an invalid separator or character"},
	{"a___b", REPRO_EUSAGE,
	 "invalid reference 'a___b': repository path has an invalid separator or character"},
	{"a.-b", REPRO_EUSAGE,
	 "invalid reference 'a.-b': repository path has an invalid separator or character"},
	{"a b", REPRO_EUSAGE,
	 "invalid reference 'a b': repository path has an invalid separator or character"},
	{"hello:", REPRO_EUSAGE, "invalid reference 'hello:': tag is empty"},
	{"hello:-x", REPRO_EUSAGE, "invalid reference 'hello:-x': tag must not start with '.' or '-'"},
	{"hello:a+b", REPRO_EUSAGE, "invalid reference 'hello:a+b': tag has an invalid character"},
	{"hello@sha256:abc", REPRO_EFORMAT, "invalid reference 'hello@sha256:abc'"},
	{"hello@md5:d41d8cd98f00b204e9800998ecf8427e", REPRO_EUNSUPPORTED,
	 "invalid reference 'hello@md5:d41d8cd98f00b204e9800998ecf8427e'"},
	{"ex_ample.com/app", REPRO_EUSAGE,
	 "invalid reference 'ex_ample.com/app': registry host has an invalid component"},
	{"-example.com/app", REPRO_EUSAGE,
	 "invalid reference '-example.com/app': registry host has an invalid component"},
	{"example..com/app", REPRO_EUSAGE,
	 "invalid reference 'example..com/app': registry host has an invalid component"},
	{"example.com:0/app", REPRO_EUSAGE,
	 "invalid reference 'example.com:0/app': registry port must be a number from 1 to 65535"},
	{"example.com:65536/app", REPRO_EUSAGE,
	 "invalid reference 'example.com:65536/app': registry port must be a number from 1 to 65535"},
	{"example.com:/app", REPRO_EUSAGE,
	 "invalid reference 'example.com:/app': registry port must be a number from 1 to 65535"},
	{"[::1/app", REPRO_EUSAGE, "invalid reference '[::1/app': IPv6 address has no closing ']'"},
	{"[1]:5000/app", REPRO_EUSAGE,
	 "invalid reference '[1]:5000/app': IPv6 address needs at least two ':'"},
	{"[::g]/app", REPRO_EUSAGE,
	 "invalid reference '[::g]/app': IPv6 address has an invalid character"},
	{"[::1]x/app", REPRO_EUSAGE,
	 "invalid reference '[::1]x/app': registry host has text after ']'"},
	{HEX64, REPRO_EUSAGE,
	 "invalid reference '" HEX64 "': a 64-character hexadecimal repository name is an image ID, "
	 "not a name"},
	{"@" DIGEST, REPRO_EUSAGE, "invalid reference '@" DIGEST "': repository name is empty"},
};

static void test_invalid_references(void)
{
	for (size_t i = 0; i < REPRO_ARRAY_SIZE(invalid_cases); i++) {
		const invalid_case *c = &invalid_cases[i];
		repro_reference reference;
		repro_error err;

		repro_error_clear(&err);
		ASSERT_CODE(repro_reference_parse(&reference, c->text, &err), c->code, &err);
		if (c->code == REPRO_EUSAGE)
			ASSERT_STR_EQ(err.message, c->message);
		else
			ASSERT_STR_CONTAINS(err.message, c->message);
		CU_ASSERT_PTR_NULL(reference.domain);
		CU_ASSERT_PTR_NULL(reference.path);
		CU_ASSERT_PTR_NULL(reference.tag);
	}
}

static void test_length_limits(void)
{
	char name[400], tag[200], text[700];
	repro_reference reference;
	repro_error err;

	/* docker.io/library/ is 18 characters: 237 more make exactly 255. */
	memset(name, 'a', 237);
	name[237] = '\0';
	ASSERT_OK(repro_reference_parse(&reference, name, &err), &err);
	ASSERT_INT_EQ(strlen(reference.domain) + 1 + strlen(reference.path), 255);
	repro_reference_dispose(&reference);
	name[237] = 'a';
	name[238] = '\0';
	ASSERT_CODE(repro_reference_parse(&reference, name, &err), REPRO_EUSAGE, &err);
	ASSERT_STR_CONTAINS(err.message, "repository name is longer than 255 characters");

	memset(tag, 'v', 128);
	tag[128] = '\0';
	snprintf(text, sizeof(text), "hello:%s", tag);
	ASSERT_OK(repro_reference_parse(&reference, text, &err), &err);
	ASSERT_INT_EQ(strlen(reference.tag), 128);
	repro_reference_dispose(&reference);
	snprintf(text, sizeof(text), "hello:%sv", tag);
	ASSERT_CODE(repro_reference_parse(&reference, text, &err), REPRO_EUSAGE, &err);
	ASSERT_STR_CONTAINS(err.message, "tag is longer than 128 characters");
}

static void test_copy_and_name(void)
{
	repro_reference reference, copy;
	repro_error err;
	char text[REPRO_REFERENCE_STRING_MAX];

	ASSERT_OK(repro_reference_parse(&reference, "localhost:5000/acme/app:v1@" DIGEST, &err), &err);
	ASSERT_OK(repro_reference_copy(&copy, &reference, &err), &err);
	repro_reference_dispose(&reference);
	repro_reference_format_name(&copy, text);
	ASSERT_STR_EQ(text, "localhost:5000/acme/app");
	repro_reference_format(&copy, text);
	ASSERT_STR_EQ(text, "localhost:5000/acme/app:v1@" DIGEST);
	repro_reference_dispose(&copy);
	repro_reference_dispose(&copy);
}

static void test_names_registry(void)
{
	static const struct {
		const char *text;
		bool expected;
	} cases[] = {
		{"localhost/app", true}, {"localhost:5000/app", true}, {"example.com/app", true},
		{"127.0.0.1:5000/a/b", true}, {"[::1]:5000/app", true}, {"acme/app", false},
		{"app", false}, {"example.com", false}, {"localhost", false}, {"localhostx/app", false},
		{"images/app.tar", false},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++)
		REPRO_CHECK(repro_reference_names_registry(cases[i].text) == cases[i].expected,
		            "%s: expected %d", cases[i].text, cases[i].expected);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"valid references", test_valid_references},
		{"invalid references", test_invalid_references},
		{"length limits", test_length_limits},
		{"copy and name", test_copy_and_name},
		{"names registry", test_names_registry},
	};

	return repro_test_main("reference", cases, REPRO_ARRAY_SIZE(cases));
}

#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "registry_internal.h"

typedef struct challenge_case {
	const char *header;
	const char *scheme;
	const char *realm;
	const char *service;
	const char *scope;
} challenge_case;

static void test_challenge_parsing(void)
{
	static const challenge_case cases[] = {
		{"Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\","
		 "scope=\"repository:acme/app:pull,push\"", "bearer", "https://auth.example.com/token",
		 "registry.example.com", "repository:acme/app:pull,push"},
		{"bearer scope=\"repository:a:pull\", realm=\"https://h/t\"", "bearer", "https://h/t",
		 NULL, "repository:a:pull"},
		{"Bearer realm=https://h/token,service=svc", "bearer", "https://h/token", "svc", NULL},
		{"Bearer realm=\"https://h/t\",scope=\"repository:a:pull repository:b:pull,push\"",
		 "bearer", "https://h/t", NULL, "repository:a:pull repository:b:pull,push"},
		{"Bearer realm=\"https://h/t?x=\\\"q\\\"\"", "bearer", "https://h/t?x=\"q\"", NULL, NULL},
		{"Basic realm=\"Registry Realm\"", "basic", "Registry Realm", NULL, NULL},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		registry_challenge challenge;
		repro_error err;

		ASSERT_OK(registry_challenge_parse(&challenge, cases[i].header, &err), &err);
		ASSERT_STR_EQ(challenge.scheme, cases[i].scheme);
		ASSERT_STR_EQ(challenge.realm, cases[i].realm);
		if (cases[i].service == NULL) {
			CU_ASSERT_PTR_NULL(challenge.service);
		} else {
			ASSERT_STR_EQ(challenge.service, cases[i].service);
		}
		if (cases[i].scope == NULL) {
			CU_ASSERT_PTR_NULL(challenge.scope);
		} else {
			ASSERT_STR_EQ(challenge.scope, cases[i].scope);
		}
		registry_challenge_dispose(&challenge);
	}
}

static void test_challenge_invalid(void)
{
	registry_challenge challenge;
	repro_error err;

	ASSERT_CODE(registry_challenge_parse(&challenge, "Bearer service=\"x\"", &err), REPRO_EFORMAT,
	            &err);
	ASSERT_STR_EQ(err.message, "Bearer challenge has no realm");
	ASSERT_CODE(registry_challenge_parse(&challenge, "", &err), REPRO_EFORMAT, &err);
	ASSERT_CODE(registry_challenge_parse(&challenge, "Averyveryverylongscheme x=y", &err),
	            REPRO_EFORMAT, &err);
}

static void test_error_bodies(void)
{
	static const struct {
		const char *body;
		int code;
		const char *message;
	} cases[] = {
		{"{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}",
		 REPRO_ENOTFOUND, "MANIFEST_UNKNOWN: manifest unknown"},
		{"{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}",
		 REPRO_ENOTFOUND, "BLOB_UNKNOWN: blob unknown"},
		{"{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not known\"}]}",
		 REPRO_ENOTFOUND, "NAME_UNKNOWN: repository name not known"},
		{"{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"},"
		 "{\"code\":\"DENIED\"}]}", REPRO_EAUTH, "UNAUTHORIZED: authentication required; DENIED"},
		{"{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}",
		 REPRO_ENETWORK, "TOOMANYREQUESTS: slow down"},
		{"{\"errors\":[{\"code\":\"DIGEST_INVALID\",\"message\":\"x\"}]}", REPRO_EMISMATCH,
		 "DIGEST_INVALID: x"},
		{"{\"errors\":[{\"code\":\"SOMETHING_NEW\",\"message\":\"y\"}]}", 0, "SOMETHING_NEW: y"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		char message[512];
		int code;

		CU_ASSERT_TRUE(registry_parse_error_body((const unsigned char *)cases[i].body,
		                                         strlen(cases[i].body), message,
		                                         sizeof(message), &code));
		ASSERT_INT_EQ(code, cases[i].code);
		ASSERT_STR_EQ(message, cases[i].message);
	}
}

static void test_status_errors(void)
{
	static const struct {
		long status;
		const char *body;
		int code;
		const char *message;
	} cases[] = {
		{404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}",
		 REPRO_ENOTFOUND, "manifest 'v1': HTTP 404: MANIFEST_UNKNOWN: manifest unknown"},
		{404, "not json", REPRO_ENOTFOUND, "manifest 'v1': HTTP 404: no error details"},
		{403, "", REPRO_EAUTH, "manifest 'v1': HTTP 403: no error details; check the credentials "
		 "(--registry-config or REPROCHECK_REGISTRY_USER)"},
		{503, "", REPRO_ENETWORK, "manifest 'v1': HTTP 503: no error details"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		registry_response response;
		repro_error err;

		memset(&response, 0, sizeof(response));
		response.status = cases[i].status;
		response.body = (unsigned char *)strdup(cases[i].body);
		response.body_size = strlen(cases[i].body);
		ASSERT_CODE(registry_status_error(&response, "manifest 'v1'", &err), cases[i].code, &err);
		ASSERT_STR_EQ(err.message, cases[i].message);
		registry_response_dispose(&response);
	}
}

static void test_link_next(void)
{
	static const struct {
		const char *header;
		const char *next;
	} cases[] = {
		{"</v2/a/tags/list?last=b&n=2>; rel=\"next\"", "/v2/a/tags/list?last=b&n=2"},
		{"<https://h/v2/a/tags/list?last=b>; rel=next", "https://h/v2/a/tags/list?last=b"},
		{"</prev>; rel=\"prev\", </next>; rel=\"next\"", "/next"},
		{"</prev>; rel=\"prev\"", NULL},
		{"no link", NULL},
		{"</x>; rel=\"nextpage\"", NULL},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		char *next = registry_link_next(cases[i].header);

		if (cases[i].next == NULL)
			REPRO_CHECK(next == NULL, "%s: got %s", cases[i].header, next);
		else
			ASSERT_STR_EQ(next, cases[i].next);
		free(next);
	}
}

static void test_insecure_hosts(void)
{
	static const char *const hosts[] = {"127.0.0.1:5000", "localhost", "[::1]:5001"};
	repro_registry_settings settings;
	repro_registry *registry;
	repro_error err;

	repro_registry_settings_init(&settings);
	settings.insecure_hosts = hosts;
	settings.insecure_host_count = REPRO_ARRAY_SIZE(hosts);
	ASSERT_OK(repro_registry_new(&registry, &settings, &err), &err);
	CU_ASSERT_TRUE(registry_host_is_insecure(registry, "127.0.0.1:5000"));
	CU_ASSERT_FALSE(registry_host_is_insecure(registry, "127.0.0.1:5001"));
	CU_ASSERT_FALSE(registry_host_is_insecure(registry, "127.0.0.1"));
	CU_ASSERT_TRUE(registry_host_is_insecure(registry, "localhost:443"));
	CU_ASSERT_TRUE(registry_host_is_insecure(registry, "localhost"));
	CU_ASSERT_TRUE(registry_host_is_insecure(registry, "[::1]:5001"));
	CU_ASSERT_FALSE(registry_host_is_insecure(registry, "[::1]:5000"));
	CU_ASSERT_FALSE(registry_host_is_insecure(registry, "example.com"));
	repro_registry_free(registry);
}

typedef struct config_case {
	const char *config;
	const char *host;
	bool found;
	const char *username;
	const char *password;
} config_case;

static void test_config_credentials(void)
{
	static const config_case cases[] = {
		/* dXNlcjpwYXNz is base64 of "user:pass" */
		{"{\"auths\":{\"registry.example.com\":{\"auth\":\"dXNlcjpwYXNz\"}}}",
		 "registry.example.com", true, "user", "pass"},
		{"{\"auths\":{\"https://registry.example.com/v1/\":{\"auth\":\"dXNlcjpwYXNz\"}}}",
		 "registry.example.com", true, "user", "pass"},
		{"{\"auths\":{\"localhost:5000\":{\"username\":\"u\",\"password\":\"p:w\"}}}",
		 "localhost:5000", true, "u", "p:w"},
		{"{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dXNlcjpwYXNz\"}}}",
		 "registry-1.docker.io", true, "user", "pass"},
		{"{\"auths\":{\"other.example.com\":{\"auth\":\"dXNlcjpwYXNz\"}}}",
		 "registry.example.com", false, NULL, NULL},
		{"{\"auths\":{\"registry.example.com:5000\":{\"auth\":\"dXNlcjpwYXNz\"}}}",
		 "registry.example.com", false, NULL, NULL},
		{"{}", "registry.example.com", false, NULL, NULL},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		registry_credentials credentials;
		repro_error err;
		bool found;

		ASSERT_OK(registry_config_credentials((const unsigned char *)cases[i].config,
		                                      strlen(cases[i].config), "config.json",
		                                      cases[i].host, &credentials, &found, &err), &err);
		ASSERT_INT_EQ(found, cases[i].found);
		if (cases[i].found) {
			ASSERT_STR_EQ(credentials.username, cases[i].username);
			ASSERT_STR_EQ(credentials.password, cases[i].password);
		}
		registry_credentials_dispose(&credentials);
	}
}

static void test_config_invalid(void)
{
	static const struct {
		const char *config;
		int code;
		const char *message;
	} cases[] = {
		{"{\"auths\":{\"h\":{\"auth\":\"bm9jb2xvbg==\"}}}", REPRO_EFORMAT,
		 "Docker config 'config.json': an 'auth' value is not USER:PASSWORD"},
		{"{\"auths\":{\"h\":{\"auth\":\"abc\"}}}", REPRO_EFORMAT,
		 "Docker config 'config.json': an 'auth' value is not valid base64"},
		{"{\"credHelpers\":{\"h\":\"../evil\"}}", REPRO_EFORMAT,
		 "invalid credential helper name '../evil'"},
		{"{\"credsStore\":\"reprocheck-test-absent\"}", REPRO_EAUTH,
		 "running credential helper 'docker-credential-reprocheck-test-absent' failed"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		registry_credentials credentials;
		repro_error err;
		bool found;

		ASSERT_CODE(registry_config_credentials((const unsigned char *)cases[i].config,
		                                        strlen(cases[i].config), "config.json", "h",
		                                        &credentials, &found, &err), cases[i].code, &err);
		ASSERT_STR_CONTAINS(err.message, cases[i].message);
		CU_ASSERT_FALSE(found);
		registry_credentials_dispose(&credentials);
	}
}

/* A credential helper is a real program found on PATH; this test writes one. */
static void test_credential_helper(void)
{
	static const char helper[] =
		"#!/bin/sh\n"
		"read server\n"
		"case \"$server\" in\n"
		"  helper.example.com) printf '{\"ServerURL\":\"%s\",\"Username\":\"hu\",\"Secret\":\"hs\"}' \"$server\" ;;\n"
		"  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
		"esac\n";
	static const char config[] = "{\"credHelpers\":{\"helper.example.com\":\"reprotest\"},"
	                             "\"auths\":{\"plain.example.com\":{\"auth\":\"dXNlcjpwYXNz\"}}}";
	char *dir = repro_test_make_dir(), path[4096], search[8192];
	const char *old_path = getenv("PATH");
	registry_credentials credentials;
	repro_error err;
	bool found;

	snprintf(path, sizeof(path), "%s/docker-credential-reprotest", dir);
	repro_test_write_file(path, helper, sizeof(helper) - 1);
	chmod(path, 0755);
	snprintf(search, sizeof(search), "%s:%s", dir, old_path ? old_path : "/usr/bin:/bin");
	setenv("PATH", search, 1);

	ASSERT_OK(registry_config_credentials((const unsigned char *)config, strlen(config), "c",
	                                      "helper.example.com", &credentials, &found, &err), &err);
	CU_ASSERT_TRUE(found);
	ASSERT_STR_EQ(credentials.username, "hu");
	ASSERT_STR_EQ(credentials.password, "hs");
	registry_credentials_dispose(&credentials);

	ASSERT_OK(registry_config_credentials((const unsigned char *)config, strlen(config), "c",
	                                      "plain.example.com", &credentials, &found, &err), &err);
	CU_ASSERT_TRUE(found);
	ASSERT_STR_EQ(credentials.username, "user");
	registry_credentials_dispose(&credentials);

	if (old_path != NULL)
		setenv("PATH", old_path, 1);
	repro_test_cleanup_dir(dir);
}

/* Reads KEY=VALUE from the env file that scripts/registry.sh writes. */
static void read_env_value(const char *path, const char *key, char *out, size_t size)
{
	FILE *file = fopen(path, "r");
	char line[4096];
	size_t length = strlen(key);

	out[0] = '\0';
	while (file != NULL && fgets(line, sizeof(line), file) != NULL) {
		if (strncmp(line, key, length) == 0 && line[length] == '=') {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, size, "%s", line + length + 1);
		}
	}
	if (file != NULL)
		fclose(file);
}

static int open_memory(void *context, repro_stream **out, repro_error *err)
{
	const unsigned char *bytes = context;

	return repro_stream_open_memory(out, bytes, 1000, err);
}

static int run_script(const char *verb, const char *dir)
{
	char command[8192];

	snprintf(command, sizeof(command), "bash '%s' %s '%s' >/dev/null 2>&1",
	         repro_test_source_path("scripts/registry.sh"), verb, dir);
	return system(command);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_round_trip(repro_registry *registry, const repro_reference *reference)
{
	static const char *const tags[] = {"t1", "t2", "t3"};
	unsigned char blob[1000], read_back[1001];
	char manifest[1024], config_digest[REPRO_DIGEST_STRING_MAX];
	repro_descriptor descriptor, resolved;
	repro_registry_manifest fetched;
	repro_stream *stream = NULL;
	repro_digest manifest_digest;
	repro_error err;
	char **listed = NULL;
	size_t count = 0;
	bool exists = false;
	int manifest_size;

	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (unsigned char)(i * 31 + 7);
	memset(&descriptor, 0, sizeof(descriptor));
	ASSERT_OK(repro_digest_buffer(&descriptor.digest, REPRO_DIGEST_SHA256, blob, sizeof(blob),
	                              &err), &err);
	descriptor.size = sizeof(blob);

	/* 1000 bytes in chunks of 300: three PATCH requests and a final PUT. */
	ASSERT_OK(repro_registry_upload_blob(registry, reference, &descriptor, open_memory, blob,
	                                     &err), &err);
	ASSERT_OK(repro_registry_blob_exists(registry, reference, &descriptor.digest, &exists, &err),
	          &err);
	CU_ASSERT_TRUE(exists);
	ASSERT_OK(repro_registry_open_blob(registry, reference, &descriptor, &stream, &err), &err);
	if (stream != NULL) {
		ASSERT_OK(repro_stream_read_exact(stream, read_back, sizeof(blob), &err), &err);
		ASSERT_INT_EQ(repro_stream_read(stream, read_back, 1, &err), 0);
		CU_ASSERT_EQUAL(memcmp(read_back, blob, sizeof(blob)), 0);
		repro_stream_close(stream);
	}

	repro_digest_format(&descriptor.digest, config_digest);
	manifest_size = snprintf(manifest, sizeof(manifest),
		"{\"schemaVersion\":2,\"mediaType\":\"" REPRO_MEDIA_TYPE_OCI_MANIFEST "\","
		"\"config\":{\"mediaType\":\"" REPRO_MEDIA_TYPE_OCI_CONFIG "\",\"digest\":\"%s\","
		"\"size\":1000},\"layers\":[]}", config_digest);
	ASSERT_OK(repro_digest_buffer(&manifest_digest, REPRO_DIGEST_SHA256, manifest,
	                              (size_t)manifest_size, &err), &err);
	for (size_t i = 0; i < REPRO_ARRAY_SIZE(tags); i++)
		ASSERT_OK(repro_registry_put_manifest(registry, reference, tags[i],
		                                      REPRO_MEDIA_TYPE_OCI_MANIFEST,
		                                      (const unsigned char *)manifest,
		                                      (size_t)manifest_size, &err), &err);

	ASSERT_OK(repro_registry_list_tags(registry, reference, &listed, &count, &err), &err);
	ASSERT_INT_EQ(count, 3);
	if (listed != NULL)
		qsort(listed, count, sizeof(*listed), compare_strings);
	for (size_t i = 0; i < count && i < REPRO_ARRAY_SIZE(tags); i++)
		ASSERT_STR_EQ(listed[i], tags[i]);
	for (size_t i = 0; i < count; i++)
		free(listed[i]);
	free(listed);

	ASSERT_OK(repro_registry_get_manifest(registry, reference, NULL, &fetched, &err), &err);
	CU_ASSERT_TRUE(repro_digest_equal(&fetched.digest, &manifest_digest));
	ASSERT_STR_EQ(fetched.media_type, REPRO_MEDIA_TYPE_OCI_MANIFEST);
	repro_registry_manifest_dispose(&fetched);
	ASSERT_OK(repro_registry_resolve(registry, reference, &resolved, &err), &err);
	CU_ASSERT_TRUE(repro_digest_equal(&resolved.digest, &manifest_digest));
	ASSERT_INT_EQ(resolved.size, manifest_size);
	repro_descriptor_dispose(&resolved);
}

/* Chunked upload, blob reads, manifest uploads and tag listing against
 * docker-registry started by scripts/registry.sh. */
static void test_real_registry(void)
{
	char *dir;
	char env[4096], host[256], ca[4096], user[256], password[256], text[512];
	repro_registry_settings settings;
	repro_registry *registry = NULL;
	repro_reference reference;
	repro_error err;

	if (system("command -v docker-registry >/dev/null 2>&1 && command -v htpasswd >/dev/null") != 0) {
		fprintf(stderr, "\n  docker-registry or htpasswd is missing: real registry test skipped\n");
		return;
	}
	dir = repro_test_make_dir();
	snprintf(env, sizeof(env), "%s/registry", dir);
	ASSERT_INT_EQ(run_script("start", env), 0);
	snprintf(env, sizeof(env), "%s/registry/env", dir);
	read_env_value(env, "REGISTRY_HOST", host, sizeof(host));
	read_env_value(env, "REGISTRY_CA", ca, sizeof(ca));
	read_env_value(env, "REGISTRY_USER", user, sizeof(user));
	read_env_value(env, "REGISTRY_PASSWORD", password, sizeof(password));
	setenv(REPRO_REGISTRY_USER_ENV, user, 1);
	setenv(REPRO_REGISTRY_PASSWORD_ENV, password, 1);

	repro_registry_settings_init(&settings);
	settings.ca_file = ca;
	settings.upload_chunk_bytes = 300;
	snprintf(text, sizeof(text), "%s/unit/round-trip:t1", host);
	ASSERT_OK(repro_reference_parse(&reference, text, &err), &err);
	ASSERT_OK(repro_registry_new(&registry, &settings, &err), &err);
	ASSERT_OK(repro_registry_ping(registry, host, &err), &err);
	if (registry != NULL && reference.path != NULL)
		check_round_trip(registry, &reference);

	repro_registry_free(registry);
	repro_reference_dispose(&reference);
	unsetenv(REPRO_REGISTRY_USER_ENV);
	unsetenv(REPRO_REGISTRY_PASSWORD_ENV);
	snprintf(env, sizeof(env), "%s/registry", dir);
	ASSERT_INT_EQ(run_script("stop", env), 0);
	repro_test_cleanup_dir(dir);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"challenge parsing", test_challenge_parsing},
		{"challenge invalid", test_challenge_invalid},
		{"error bodies", test_error_bodies},
		{"status errors", test_status_errors},
		{"link next", test_link_next},
		{"insecure hosts", test_insecure_hosts},
		{"config credentials", test_config_credentials},
		{"config invalid", test_config_invalid},
		{"credential helper", test_credential_helper},
		{"real registry", test_real_registry},
	};

	return repro_test_main("registry", cases, REPRO_ARRAY_SIZE(cases));
}

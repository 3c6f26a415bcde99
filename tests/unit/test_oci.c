#include "harness.h"

#include <stdlib.h>

#include <reprocheck/oci.h>

#define DIGEST_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIGEST_B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DIGEST_C "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

#define OCI_CONFIG_DESCRIPTOR \
	"{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" DIGEST_A \
	"\",\"size\":7}"

static const char oci_manifest[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"config\":" OCI_CONFIG_DESCRIPTOR ",\"layers\":[{\"mediaType\":"
	"\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" DIGEST_B "\",\"size\":32,"
	"\"urls\":[\"https://example.com/l\"]}],\"annotations\":{\"a\":\"b\"},"
	"\"unknownKey\":{\"x\":1}}";
#define OCI_MANIFEST_DIGEST \
	"sha256:59d287027adefd1ded9da35b50cec9938779ce08fea9f4ba6761ec793bcc0bac"

static void digest_from(repro_digest *digest, const char *text)
{
	repro_error err;

	ASSERT_OK(repro_digest_parse(digest, text, &err), &err);
}

static void assert_digest(const repro_digest *digest, const char *expected)
{
	char text[REPRO_DIGEST_STRING_MAX];

	repro_digest_format(digest, text);
	ASSERT_STR_EQ(text, expected);
}

static void test_media_type_compression(void)
{
	static const struct {
		const char *media_type;
		int code;
		repro_compression compression;
	} cases[] = {
		{REPRO_MEDIA_TYPE_OCI_LAYER, REPRO_OK, REPRO_COMPRESSION_NONE},
		{REPRO_MEDIA_TYPE_OCI_LAYER_GZIP, REPRO_OK, REPRO_COMPRESSION_GZIP},
		{REPRO_MEDIA_TYPE_OCI_LAYER_ZSTD, REPRO_OK, REPRO_COMPRESSION_ZSTD},
		{REPRO_MEDIA_TYPE_OCI_LAYER_NONDIST, REPRO_OK, REPRO_COMPRESSION_NONE},
		{REPRO_MEDIA_TYPE_OCI_LAYER_NONDIST_GZIP, REPRO_OK, REPRO_COMPRESSION_GZIP},
		{REPRO_MEDIA_TYPE_OCI_LAYER_NONDIST_ZSTD, REPRO_OK, REPRO_COMPRESSION_ZSTD},
		{REPRO_MEDIA_TYPE_DOCKER_LAYER, REPRO_OK, REPRO_COMPRESSION_NONE},
		{REPRO_MEDIA_TYPE_DOCKER_LAYER_GZIP, REPRO_OK, REPRO_COMPRESSION_GZIP},
		{REPRO_MEDIA_TYPE_DOCKER_FOREIGN_LAYER_GZIP, REPRO_OK, REPRO_COMPRESSION_GZIP},
		{REPRO_MEDIA_TYPE_OCI_MANIFEST, REPRO_EUNSUPPORTED, REPRO_COMPRESSION_NONE},
		{"application/vnd.oci.image.layer.v1.tar+bzip2", REPRO_EUNSUPPORTED,
		 REPRO_COMPRESSION_NONE},
		{NULL, REPRO_EUNSUPPORTED, REPRO_COMPRESSION_NONE},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_compression compression = REPRO_COMPRESSION_ZSTD;
		repro_error err;

		repro_error_clear(&err);
		ASSERT_CODE(repro_media_type_compression(cases[i].media_type, &compression, &err),
		            cases[i].code, &err);
		ASSERT_INT_EQ(compression, cases[i].compression);
	}
	repro_error err;
	repro_compression compression;
	ASSERT_CODE(repro_media_type_compression("text/plain", &compression, &err),
	            REPRO_EUNSUPPORTED, &err);
	ASSERT_STR_EQ(err.message, "unsupported layer media type 'text/plain'");
	ASSERT_INT_EQ(repro_media_type_kind(REPRO_MEDIA_TYPE_DOCKER_MANIFEST_LIST),
	              REPRO_OCI_KIND_INDEX);
	ASSERT_INT_EQ(repro_media_type_kind(REPRO_MEDIA_TYPE_DOCKER_CONFIG), REPRO_OCI_KIND_CONFIG);
	ASSERT_INT_EQ(repro_media_type_kind("text/plain"), REPRO_OCI_KIND_UNKNOWN);
	CU_ASSERT_TRUE(repro_media_type_is_docker(REPRO_MEDIA_TYPE_DOCKER_LAYER));
	CU_ASSERT_FALSE(repro_media_type_is_docker(REPRO_MEDIA_TYPE_OCI_LAYER));
}

static void test_platform_parse(void)
{
	static const struct {
		const char *text;
		int code;
		const char *formatted;  /* or the error message */
	} cases[] = {
		{"linux/amd64", REPRO_OK, "linux/amd64"},
		{"linux/arm64/v8", REPRO_OK, "linux/arm64/v8"},
		{"windows/amd64", REPRO_OK, "windows/amd64"},
		{"linux", REPRO_EUSAGE,
		 "invalid platform 'linux': expected OS/ARCH[/VARIANT], such as linux/amd64"},
		{"linux/", REPRO_EUSAGE,
		 "invalid platform 'linux/': expected OS/ARCH[/VARIANT] in lower case, such as "
		 "linux/amd64 or linux/arm64/v8"},
		{"Linux/amd64", REPRO_EUSAGE, "invalid platform 'Linux/amd64'"},
		{"linux/arm/v7/x", REPRO_EUSAGE, "invalid platform 'linux/arm/v7/x'"},
		{"/amd64", REPRO_EUSAGE, "invalid platform '/amd64'"},
		{"linux/am d64", REPRO_EUSAGE, "invalid platform 'linux/am d64'"},
		{"", REPRO_EUSAGE, "invalid platform ''"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_platform platform;
		repro_error err;
		char text[128];

		repro_error_clear(&err);
		ASSERT_CODE(repro_platform_parse(&platform, cases[i].text, &err), cases[i].code, &err);
		if (cases[i].code != REPRO_OK) {
			ASSERT_STR_CONTAINS(err.message, cases[i].formatted);
			CU_ASSERT_PTR_NULL(platform.os);
			continue;
		}
		repro_platform_format(&platform, text, sizeof(text));
		ASSERT_STR_EQ(text, cases[i].formatted);
		repro_platform_dispose(&platform);
	}
}

static void test_platform_normalize(void)
{
	static const struct {
		const char *text;
		const char *normalized;
	} cases[] = {
		{"linux/amd64", "linux/amd64"},
		{"linux/x86_64", "linux/amd64"},
		{"linux/x86-64", "linux/amd64"},
		{"linux/amd64/v1", "linux/amd64"},
		{"linux/amd64/1", "linux/amd64"},
		{"linux/amd64/v3", "linux/amd64/v3"},
		{"linux/aarch64", "linux/arm64/v8"},
		{"linux/arm64", "linux/arm64/v8"},
		{"linux/arm64/8", "linux/arm64/v8"},
		{"linux/arm64/v9", "linux/arm64/v9"},
		{"linux/arm", "linux/arm/v7"},
		{"linux/armhf", "linux/arm/v7"},
		{"linux/armel", "linux/arm/v6"},
		{"linux/arm/v5", "linux/arm/v5"},
		{"linux/i386", "linux/386"},
		{"linux/i686", "linux/386"},
		{"linux/386", "linux/386"},
		{"macos/arm64", "darwin/arm64/v8"},
		{"linux/s390x", "linux/s390x"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_platform platform;
		repro_error err;
		char text[128];

		ASSERT_OK(repro_platform_parse(&platform, cases[i].text, &err), &err);
		ASSERT_OK(repro_platform_normalize(&platform, &err), &err);
		repro_platform_format(&platform, text, sizeof(text));
		ASSERT_STR_EQ(text, cases[i].normalized);
		repro_platform_dispose(&platform);
	}
}

static void test_platform_match(void)
{
	static const struct {
		const char *wanted;
		const char *candidate;
		bool match;
	} cases[] = {
		{"linux/amd64", "linux/amd64", true},
		{"linux/amd64", "linux/x86_64", true},
		{"linux/amd64", "linux/amd64/v3", true},
		{"linux/amd64/v3", "linux/amd64", false},
		{"linux/amd64", "linux/arm64", false},
		{"linux/amd64", "windows/amd64", false},
		{"linux/arm64", "linux/arm64/v8", true},
		{"linux/arm64/v8", "linux/arm64", true},
		{"linux/arm64", "linux/aarch64", true},
		{"linux/arm64", "linux/arm64/v9", false},
		{"linux/arm", "linux/arm/v7", true},
		{"linux/arm", "linux/arm/v6", false},
		{"linux/arm/v6", "linux/armel", true},
		{"linux/386", "linux/i386", true},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_platform wanted, candidate;
		repro_error err;

		ASSERT_OK(repro_platform_parse(&wanted, cases[i].wanted, &err), &err);
		ASSERT_OK(repro_platform_parse(&candidate, cases[i].candidate, &err), &err);
		REPRO_CHECK(repro_platform_match(&wanted, &candidate) == cases[i].match,
		            "%s against %s: expected %s", cases[i].wanted, cases[i].candidate,
		            cases[i].match ? "a match" : "no match");
		repro_platform_dispose(&wanted);
		repro_platform_dispose(&candidate);
	}
}

static void test_descriptor_parse(void)
{
	static const char text[] =
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DIGEST_C
		"\",\"size\":525,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\","
		"\"variant\":\"v8\",\"os.features\":[\"f1\"]},\"annotations\":{\"k\":\"v\"},"
		"\"artifactType\":\"application/x-t\",\"future\":true}";
	repro_descriptor descriptor, copy;
	repro_error err;
	json_t *value;
	char formatted[64];

	ASSERT_OK(repro_json_parse(&value, text, strlen(text), "test", NULL, &err), &err);
	ASSERT_OK(repro_descriptor_parse(&descriptor, value, "manifests[0]", &err), &err);
	json_decref(value);
	ASSERT_STR_EQ(descriptor.media_type, REPRO_MEDIA_TYPE_OCI_MANIFEST);
	assert_digest(&descriptor.digest, DIGEST_C);
	ASSERT_INT_EQ(descriptor.size, 525);
	CU_ASSERT_TRUE(descriptor.has_platform);
	repro_platform_format(&descriptor.platform, formatted, sizeof(formatted));
	ASSERT_STR_EQ(formatted, "linux/arm64/v8");
	ASSERT_INT_EQ(descriptor.platform.os_feature_count, 1);
	ASSERT_STR_EQ(descriptor.platform.os_features[0], "f1");
	ASSERT_STR_EQ(repro_descriptor_annotation(&descriptor, "k"), "v");
	CU_ASSERT_PTR_NULL(repro_descriptor_annotation(&descriptor, "missing"));
	ASSERT_STR_EQ(descriptor.artifact_type, "application/x-t");
	CU_ASSERT_FALSE(repro_descriptor_is_attestation(&descriptor));

	ASSERT_OK(repro_descriptor_copy(&copy, &descriptor, &err), &err);
	repro_descriptor_dispose(&descriptor);
	ASSERT_STR_EQ(copy.platform.os_features[0], "f1");
	ASSERT_STR_EQ(repro_descriptor_annotation(&copy, "k"), "v");
	repro_descriptor_dispose(&copy);
	repro_descriptor_dispose(&copy);
}

static void test_descriptor_rejects(void)
{
	static const struct {
		const char *text;
		int code;
		const char *message;
	} cases[] = {
		{"[]", REPRO_EFORMAT, "'layers[2]' must be an object, found array"},
		{"{\"digest\":\"" DIGEST_A "\",\"size\":1}", REPRO_EFORMAT,
		 "missing key 'layers[2].mediaType'"},
		{"{\"mediaType\":\"a\",\"size\":1}", REPRO_EFORMAT, "missing key 'layers[2].digest'"},
		{"{\"mediaType\":\"a\",\"digest\":\"" DIGEST_A "\"}", REPRO_EFORMAT,
		 "missing key 'layers[2].size'"},
		{"{\"mediaType\":\"a\",\"digest\":\"" DIGEST_A "\",\"size\":-1}", REPRO_EFORMAT,
		 "'layers[2].size' must not be negative, found -1"},
		{"{\"mediaType\":\"a\",\"digest\":\"" DIGEST_A "\",\"size\":\"1\"}", REPRO_EFORMAT,
		 "'layers[2].size' must be an integer, found string"},
		{"{\"mediaType\":\"a\",\"digest\":\"" DIGEST_A "\",\"size\":1.5}", REPRO_EFORMAT,
		 "'layers[2].size' must be an integer, found number"},
		{"{\"mediaType\":7,\"digest\":\"" DIGEST_A "\",\"size\":1}", REPRO_EFORMAT,
		 "'layers[2].mediaType' must be a string, found integer"},
		{"{\"mediaType\":\"a\",\"digest\":\"md5:d41d8cd98f00b204e9800998ecf8427e\",\"size\":1}",
		 REPRO_EUNSUPPORTED, "layers[2].digest: "},
		{"{\"mediaType\":\"a\",\"digest\":\"sha256:ABC\",\"size\":1}", REPRO_EFORMAT,
		 "layers[2].digest: "},
		{"{\"mediaType\":\"a\",\"digest\":\"" DIGEST_A "\",\"size\":1,\"annotations\":{\"k\":1}}",
		 REPRO_EFORMAT, "'layers[2].annotations.k' must be a string, found integer"},
		{"{\"mediaType\":\"a\",\"digest\":\"" DIGEST_A "\",\"size\":1,\"urls\":[1]}",
		 REPRO_EFORMAT, "'layers[2].urls[0]' must be a string, found integer"},
		{"{\"mediaType\":\"a\",\"digest\":\"" DIGEST_A "\",\"size\":1,\"platform\":{\"os\":\"l\"}}",
		 REPRO_EFORMAT, "missing key 'layers[2].platform.architecture'"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_descriptor descriptor;
		repro_error err;
		json_t *value;

		ASSERT_OK(repro_json_parse(&value, cases[i].text, strlen(cases[i].text), "test", NULL,
		                           &err), &err);
		repro_error_clear(&err);
		ASSERT_CODE(repro_descriptor_parse(&descriptor, value, "layers[2]", &err), cases[i].code,
		            &err);
		ASSERT_STR_CONTAINS(err.message, cases[i].message);
		CU_ASSERT_PTR_NULL(descriptor.media_type);
		json_decref(value);
	}
	/* The digest module names the algorithm it rejects. */
	repro_descriptor descriptor;
	repro_error err;
	json_t *value;
	const char *md5 = "{\"mediaType\":\"a\",\"digest\":\"md5:d41d8cd98f00b204e9800998ecf8427e\","
	                  "\"size\":1}";

	ASSERT_OK(repro_json_parse(&value, md5, strlen(md5), "test", NULL, &err), &err);
	ASSERT_CODE(repro_descriptor_parse(&descriptor, value, "layers[2]", &err),
	            REPRO_EUNSUPPORTED, &err);
	ASSERT_STR_CONTAINS(err.message, "md5");
	json_decref(value);
}

static void test_attestation(void)
{
	static const struct {
		const char *extra;
		bool attestation;
	} cases[] = {
		{"", false},
		{",\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}", true},
		{",\"platform\":{\"os\":\"linux\",\"architecture\":\"unknown\"}", false},
		{",\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}", true},
		{",\"annotations\":{\"vnd.docker.reference.type\":\"other\"}", false},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		char text[512];
		repro_descriptor descriptor;
		repro_error err;
		json_t *value;

		snprintf(text, sizeof(text), "{\"mediaType\":\"a\",\"digest\":\"%s\",\"size\":1%s}",
		         DIGEST_A, cases[i].extra);
		ASSERT_OK(repro_json_parse(&value, text, strlen(text), "test", NULL, &err), &err);
		ASSERT_OK(repro_descriptor_parse(&descriptor, value, "d", &err), &err);
		REPRO_CHECK(repro_descriptor_is_attestation(&descriptor) == cases[i].attestation,
		            "case %zu: %s", i, text);
		repro_descriptor_dispose(&descriptor);
		json_decref(value);
	}
}

static void test_manifest_parse(void)
{
	repro_manifest *manifest;
	repro_descriptor declared;
	repro_digest digest;
	repro_error err;

	ASSERT_OK(repro_manifest_parse(&manifest, oci_manifest, strlen(oci_manifest), NULL, &err),
	          &err);
	assert_digest(&manifest->digest, OCI_MANIFEST_DIGEST);
	ASSERT_STR_EQ(manifest->media_type, REPRO_MEDIA_TYPE_OCI_MANIFEST);
	ASSERT_INT_EQ(manifest->doc.size, strlen(oci_manifest));
	ASSERT_INT_EQ(memcmp(manifest->doc.bytes, oci_manifest, manifest->doc.size), 0);
	ASSERT_STR_EQ(manifest->config.media_type, REPRO_MEDIA_TYPE_OCI_CONFIG);
	assert_digest(&manifest->config.digest, DIGEST_A);
	ASSERT_INT_EQ(manifest->config.size, 7);
	ASSERT_INT_EQ(manifest->layer_count, 1);
	assert_digest(&manifest->layers[0].digest, DIGEST_B);
	ASSERT_INT_EQ(manifest->layers[0].size, 32);
	ASSERT_STR_EQ(json_string_value(json_array_get(manifest->layers[0].urls, 0)),
	              "https://example.com/l");
	ASSERT_STR_EQ(json_string_value(json_object_get(manifest->annotations, "a")), "b");
	CU_ASSERT_FALSE(manifest->has_subject);
	repro_manifest_free(manifest);

	/* With the descriptor that names it, digest and size are checked. */
	digest_from(&digest, OCI_MANIFEST_DIGEST);
	ASSERT_OK(repro_descriptor_init(&declared, REPRO_MEDIA_TYPE_OCI_MANIFEST, &digest,
	                                (int64_t)strlen(oci_manifest), &err), &err);
	ASSERT_OK(repro_manifest_parse(&manifest, oci_manifest, strlen(oci_manifest), &declared,
	                               &err), &err);
	repro_manifest_free(manifest);

	declared.size++;
	ASSERT_CODE(repro_manifest_parse(&manifest, oci_manifest, strlen(oci_manifest), &declared,
	                                 &err), REPRO_EMISMATCH, &err);
	ASSERT_STR_EQ(err.message, "manifest " OCI_MANIFEST_DIGEST ": size mismatch: descriptor "
	              "says 477 bytes, content is 476");
	declared.size--;
	digest_from(&declared.digest, DIGEST_C);
	ASSERT_CODE(repro_manifest_parse(&manifest, oci_manifest, strlen(oci_manifest), &declared,
	                                 &err), REPRO_EMISMATCH, &err);
	ASSERT_STR_EQ(err.message, "manifest: digest mismatch: descriptor says " DIGEST_C
	              ", content is " OCI_MANIFEST_DIGEST);
	CU_ASSERT_PTR_NULL(manifest);
	repro_descriptor_dispose(&declared);
}

static void test_manifest_docker(void)
{
	static const char text[] =
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2"
		"+json\",\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
		"\"size\":292,\"digest\":\"sha256:e6846fa4ad07405fc16fcf3fc9e6b03ca1239d496a45d2ae2c71da"
		"e0f86edda9\"},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar"
		".gzip\",\"size\":3072,\"digest\":\"sha256:7947e3b490813105380221ea60d21ef3ee0bce1cc4a545"
		"fa44a9b2974ad9d2c5\"}]}";
	repro_manifest *manifest;
	repro_error err;

	ASSERT_OK(repro_manifest_parse(&manifest, text, strlen(text), NULL, &err), &err);
	assert_digest(&manifest->digest,
	              "sha256:42af70e302c65b29e9d9dfa6ba55a21c1c1890590f39f2b5f3cc8e0c3187f466");
	ASSERT_STR_EQ(manifest->media_type, REPRO_MEDIA_TYPE_DOCKER_MANIFEST);
	ASSERT_STR_EQ(manifest->config.media_type, REPRO_MEDIA_TYPE_DOCKER_CONFIG);
	ASSERT_INT_EQ(manifest->layers[0].size, 3072);
	CU_ASSERT_PTR_NULL(manifest->annotations);
	repro_manifest_free(manifest);
}

static void test_manifest_rejects(void)
{
	static const struct {
		const char *declared;  /* media type of the descriptor, or NULL */
		const char *text;
		int code;
		const char *message;
	} cases[] = {
		{NULL, "[]", REPRO_EFORMAT, "must be a JSON object, found array"},
		{NULL, "{\"schemaVersion\":2}", REPRO_EINVALID,
		 "has no mediaType and neither 'config' nor 'manifests'"},
		{NULL, "{\"schemaVersion\":1,\"config\":" OCI_CONFIG_DESCRIPTOR ",\"layers\":[]}",
		 REPRO_EINVALID, "schemaVersion must be 2, found 1"},
		{NULL, "{\"config\":" OCI_CONFIG_DESCRIPTOR ",\"layers\":[]}", REPRO_EFORMAT,
		 "missing key 'schemaVersion'"},
		{NULL, "{\"schemaVersion\":\"2\",\"config\":" OCI_CONFIG_DESCRIPTOR ",\"layers\":[]}",
		 REPRO_EFORMAT, "'schemaVersion' must be an integer, found string"},
		{NULL, "{\"schemaVersion\":2,\"mediaType\":\"" REPRO_MEDIA_TYPE_OCI_MANIFEST "\","
		 "\"layers\":[]}", REPRO_EFORMAT, "missing key 'config'"},
		{NULL, "{\"schemaVersion\":2,\"config\":" OCI_CONFIG_DESCRIPTOR "}", REPRO_EFORMAT,
		 "missing key 'layers'"},
		{NULL, "{\"schemaVersion\":2,\"config\":" OCI_CONFIG_DESCRIPTOR ",\"layers\":{}}",
		 REPRO_EFORMAT, "'layers' must be an array, found object"},
		{NULL, "{\"schemaVersion\":2,\"config\":" OCI_CONFIG_DESCRIPTOR ",\"layers\":["
		 OCI_CONFIG_DESCRIPTOR "," OCI_CONFIG_DESCRIPTOR ",{\"mediaType\":\"x\",\"digest\":"
		 "\"sha256:1\",\"size\":1}]}", REPRO_EFORMAT, ": layers[2].digest: invalid digest"},
		{NULL, "{\"schemaVersion\":2,\"config\":" OCI_CONFIG_DESCRIPTOR ",\"layers\":[{"
		 "\"mediaType\":\"x\",\"digest\":\"" DIGEST_A "\",\"size\":-5}]}", REPRO_EFORMAT,
		 "'layers[0].size' must not be negative, found -5"},
		{NULL, "{\"schemaVersion\":2,\"config\":" OCI_CONFIG_DESCRIPTOR ",\"layers\":[],"
		 "\"layers\":[]}", REPRO_EFORMAT, "duplicate object key"},
		{NULL, "{\"schemaVersion\":2,\"mediaType\":\"" REPRO_MEDIA_TYPE_OCI_INDEX "\","
		 "\"manifests\":[]}", REPRO_EINVALID, "is an index, not a manifest"},
		{NULL, "{\"schemaVersion\":2,\"mediaType\":\"text/plain\"}", REPRO_EUNSUPPORTED,
		 "has media type 'text/plain', which is not an image manifest or index"},
		{NULL, "{\"schemaVersion\":2,\"mediaType\":3}", REPRO_EFORMAT,
		 "'mediaType' must be a string, found integer"},
		{REPRO_MEDIA_TYPE_DOCKER_MANIFEST, "{\"schemaVersion\":2,\"mediaType\":\""
		 REPRO_MEDIA_TYPE_OCI_MANIFEST "\",\"config\":" OCI_CONFIG_DESCRIPTOR ",\"layers\":[]}",
		 REPRO_EINVALID, "has mediaType '" REPRO_MEDIA_TYPE_OCI_MANIFEST "' but its descriptor "
		 "says '" REPRO_MEDIA_TYPE_DOCKER_MANIFEST "'"},
		{NULL, "{\"schemaVersion\":2,\"config\":" OCI_CONFIG_DESCRIPTOR ",\"layers\":[],"
		 "\"annotations\":{\"a\":[]}}", REPRO_EFORMAT,
		 "'annotations.a' must be a string, found array"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		const char *text = cases[i].text;
		repro_descriptor declared, *declared_pointer = NULL;
		repro_manifest *manifest;
		repro_digest digest;
		repro_error err;

		if (cases[i].declared != NULL) {
			ASSERT_OK(repro_digest_buffer(&digest, REPRO_DIGEST_SHA256, text, strlen(text),
			                              &err), &err);
			ASSERT_OK(repro_descriptor_init(&declared, cases[i].declared, &digest,
			                                (int64_t)strlen(text), &err), &err);
			declared_pointer = &declared;
		}
		repro_error_clear(&err);
		ASSERT_CODE(repro_manifest_parse(&manifest, text, strlen(text), declared_pointer, &err),
		            cases[i].code, &err);
		ASSERT_STR_CONTAINS(err.message, cases[i].message);
		ASSERT_STR_CONTAINS(err.message, "manifest sha256:");
		CU_ASSERT_PTR_NULL(manifest);
		if (declared_pointer != NULL)
			repro_descriptor_dispose(&declared);
	}
}

static void test_manifest_message_names_path(void)
{
	static const char text[] =
		"{\"schemaVersion\":2,\"config\":" OCI_CONFIG_DESCRIPTOR ",\"layers\":[{\"mediaType\":"
		"\"x\",\"digest\":\"sha512:00\",\"size\":1}]}";
	repro_manifest *manifest;
	repro_digest digest;
	repro_error err;
	char expected[512], hex[REPRO_DIGEST_STRING_MAX];

	ASSERT_OK(repro_digest_buffer(&digest, REPRO_DIGEST_SHA256, text, strlen(text), &err), &err);
	repro_digest_format(&digest, hex);
	ASSERT_CODE(repro_manifest_parse(&manifest, text, strlen(text), NULL, &err), REPRO_EFORMAT,
	            &err);
	snprintf(expected, sizeof(expected), "manifest %s: layers[0].digest: ", hex);
	REPRO_CHECK(strncmp(err.message, expected, strlen(expected)) == 0,
	            "got \"%s\", expected it to start with \"%s\"", err.message, expected);
}

static const char nested_index[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
	"\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\""
	DIGEST_A "\",\"size\":100},{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"digest\":\"" DIGEST_B "\",\"size\":200,\"platform\":{\"architecture\":\"amd64\","
	"\"os\":\"linux\"}},{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"digest\":\"" DIGEST_C "\",\"size\":300,\"platform\":{\"architecture\":\"unknown\","
	"\"os\":\"unknown\"},\"annotations\":{\"vnd.docker.reference.type\":"
	"\"attestation-manifest\"}}]}";

static void test_index_parse(void)
{
	repro_index *index;
	repro_error err;
	char platform[64];

	ASSERT_OK(repro_index_parse(&index, nested_index, strlen(nested_index), NULL, &err), &err);
	assert_digest(&index->digest,
	              "sha256:3e66916e88f3cc65478d5ff69f595398b02221ebc6bf7e9cea15fd4bc26c46d3");
	ASSERT_STR_EQ(index->media_type, REPRO_MEDIA_TYPE_OCI_INDEX);
	ASSERT_INT_EQ(index->manifest_count, 3);
	ASSERT_INT_EQ(repro_media_type_kind(index->manifests[0].media_type), REPRO_OCI_KIND_INDEX);
	CU_ASSERT_FALSE(index->manifests[0].has_platform);
	repro_platform_format(&index->manifests[1].platform, platform, sizeof(platform));
	ASSERT_STR_EQ(platform, "linux/amd64");
	CU_ASSERT_FALSE(repro_descriptor_is_attestation(&index->manifests[1]));
	CU_ASSERT_TRUE(repro_descriptor_is_attestation(&index->manifests[2]));
	repro_index_free(index);
}

static void test_index_rejects(void)
{
	static const struct {
		const char *text;
		int code;
		const char *message;
	} cases[] = {
		{"{\"schemaVersion\":2}", REPRO_EINVALID, "has no mediaType"},
		{"{\"schemaVersion\":2,\"manifests\":{}}", REPRO_EFORMAT,
		 "'manifests' must be an array, found object"},
		{"{\"schemaVersion\":3,\"manifests\":[]}", REPRO_EINVALID, "schemaVersion must be 2"},
		{"{\"schemaVersion\":2,\"mediaType\":\"" REPRO_MEDIA_TYPE_DOCKER_MANIFEST_LIST "\","
		 "\"manifests\":[{\"mediaType\":\"" REPRO_MEDIA_TYPE_DOCKER_MANIFEST "\",\"digest\":\""
		 DIGEST_A "\",\"size\":1}]}", REPRO_EINVALID, "missing key 'manifests[0].platform'"},
		{"{\"schemaVersion\":2,\"config\":" OCI_CONFIG_DESCRIPTOR ",\"layers\":[]}",
		 REPRO_EINVALID, "is a manifest, not an index"},
		{"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" DIGEST_A
		 "\",\"size\":1,\"platform\":[]}]}", REPRO_EFORMAT,
		 "'manifests[0].platform' must be an object, found array"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_index *index;
		repro_error err;

		repro_error_clear(&err);
		ASSERT_CODE(repro_index_parse(&index, cases[i].text, strlen(cases[i].text), NULL, &err),
		            cases[i].code, &err);
		ASSERT_STR_CONTAINS(err.message, cases[i].message);
		ASSERT_STR_CONTAINS(err.message, "index sha256:");
		CU_ASSERT_PTR_NULL(index);
	}
}

static void test_index_docker_list(void)
{
	static const char text[] =
		"{\"schemaVersion\":2,\"mediaType\":\"" REPRO_MEDIA_TYPE_DOCKER_MANIFEST_LIST "\","
		"\"manifests\":[{\"mediaType\":\"" REPRO_MEDIA_TYPE_DOCKER_MANIFEST "\",\"size\":9,"
		"\"digest\":\"" DIGEST_A "\",\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\","
		"\"variant\":\"v6\"}}]}";
	repro_index *index;
	repro_descriptor declared;
	repro_digest digest;
	repro_error err;

	ASSERT_OK(repro_index_parse(&index, text, strlen(text), NULL, &err), &err);
	ASSERT_STR_EQ(index->media_type, REPRO_MEDIA_TYPE_DOCKER_MANIFEST_LIST);
	ASSERT_STR_EQ(index->manifests[0].platform.variant, "v6");
	repro_index_free(index);

	/* An index reached through a descriptor that calls it a manifest. */
	ASSERT_OK(repro_digest_buffer(&digest, REPRO_DIGEST_SHA256, text, strlen(text), &err), &err);
	ASSERT_OK(repro_descriptor_init(&declared, REPRO_MEDIA_TYPE_OCI_INDEX, &digest,
	                                (int64_t)strlen(text), &err), &err);
	ASSERT_CODE(repro_index_parse(&index, text, strlen(text), &declared, &err), REPRO_EINVALID,
	            &err);
	ASSERT_STR_CONTAINS(err.message, "has mediaType '" REPRO_MEDIA_TYPE_DOCKER_MANIFEST_LIST
	                    "' but its descriptor says '" REPRO_MEDIA_TYPE_OCI_INDEX "'");
	repro_descriptor_dispose(&declared);
}

static const char oci_config[] =
	"{\"created\":\"2024-01-01T00:00:00Z\",\"architecture\":\"arm64\",\"os\":\"linux\","
	"\"variant\":\"v8\",\"config\":{\"Env\":[\"PATH=/bin\"]},\"rootfs\":{\"type\":\"layers\","
	"\"diff_ids\":[\"" DIGEST_A "\",\"" DIGEST_B "\"]},\"history\":[{\"created_by\":\"a\"},"
	"{\"empty_layer\":true},{\"created_by\":\"b\"}]}";

static void test_config_parse(void)
{
	repro_config *config;
	repro_descriptor declared;
	repro_digest digest;
	repro_error err;
	char platform[64];

	ASSERT_OK(repro_config_parse(&config, oci_config, strlen(oci_config), NULL, &err), &err);
	assert_digest(&config->digest,
	              "sha256:8187e4ce79e220d2ff7a5a153d742c3cbecc045aa91123a235e15f1631b3b71c");
	ASSERT_STR_EQ(config->media_type, REPRO_MEDIA_TYPE_OCI_CONFIG);
	repro_platform_format(&config->platform, platform, sizeof(platform));
	ASSERT_STR_EQ(platform, "linux/arm64/v8");
	ASSERT_STR_EQ(config->created, "2024-01-01T00:00:00Z");
	ASSERT_INT_EQ(config->diff_id_count, 2);
	assert_digest(&config->diff_ids[1], DIGEST_B);
	ASSERT_INT_EQ(config->history_count, 3);
	ASSERT_INT_EQ(config->empty_layer_count, 1);
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(config->config, "Env"), 0)),
	              "PATH=/bin");
	repro_config_free(config);

	ASSERT_OK(repro_digest_buffer(&digest, REPRO_DIGEST_SHA256, oci_config, strlen(oci_config),
	                              &err), &err);
	ASSERT_OK(repro_descriptor_init(&declared, REPRO_MEDIA_TYPE_DOCKER_CONFIG, &digest,
	                                (int64_t)strlen(oci_config), &err), &err);
	ASSERT_OK(repro_config_parse(&config, oci_config, strlen(oci_config), &declared, &err), &err);
	ASSERT_STR_EQ(config->media_type, REPRO_MEDIA_TYPE_DOCKER_CONFIG);
	repro_config_free(config);
	repro_descriptor_dispose(&declared);

	ASSERT_OK(repro_descriptor_init(&declared, "application/vnd.example+json", &digest,
	                                (int64_t)strlen(oci_config), &err), &err);
	ASSERT_CODE(repro_config_parse(&config, oci_config, strlen(oci_config), &declared, &err),
	            REPRO_EUNSUPPORTED, &err);
	ASSERT_STR_EQ(err.message,
	              "config media type 'application/vnd.example+json' is not an image config");
	repro_descriptor_dispose(&declared);
}

static void test_config_rejects(void)
{
	static const struct {
		const char *text;
		int code;
		const char *message;
	} cases[] = {
		{"[]", REPRO_EFORMAT, ": must be a JSON object, found array"},
		{"{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", REPRO_EFORMAT,
		 "missing key 'architecture'"},
		{"{\"architecture\":\"amd64\",\"os\":\"linux\"}", REPRO_EFORMAT, "missing key 'rootfs'"},
		{"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"other\","
		 "\"diff_ids\":[]}}", REPRO_EINVALID, "'rootfs.type' must be \"layers\", found \"other\""},
		{"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}",
		 REPRO_EFORMAT, "missing key 'rootfs.diff_ids'"},
		{"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
		 "\"diff_ids\":[1]}}", REPRO_EFORMAT, "'rootfs.diff_ids[0]' must be a string, found integer"},
		{"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
		 "\"diff_ids\":[\"" DIGEST_A "\",\"sha1:00\"]}}", REPRO_EUNSUPPORTED,
		 ": rootfs.diff_ids[1]: "},
		{"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
		 "\"diff_ids\":[]},\"history\":[3]}", REPRO_EFORMAT,
		 "'history[0]' must be an object, found integer"},
		{"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
		 "\"diff_ids\":[]},\"config\":[]}", REPRO_EFORMAT,
		 "'config' must be an object, found array"},
		{"{\"architecture\":\"amd64\",\"os\":\"linux\",\"os\":\"linux\"}", REPRO_EFORMAT,
		 "duplicate object key"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_config *config;
		repro_error err;

		repro_error_clear(&err);
		ASSERT_CODE(repro_config_parse(&config, cases[i].text, strlen(cases[i].text), NULL, &err),
		            cases[i].code, &err);
		ASSERT_STR_CONTAINS(err.message, cases[i].message);
		ASSERT_STR_CONTAINS(err.message, "config sha256:");
		CU_ASSERT_PTR_NULL(config);
	}
}

static void test_manifest_write(void)
{
	static const char expected[] =
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
		DIGEST_A "\",\"size\":7},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer."
		"v1.tar+gzip\",\"digest\":\"" DIGEST_B "\",\"size\":32},{\"mediaType\":\"application/"
		"vnd.oci.image.layer.v1.tar\",\"digest\":\"" DIGEST_C "\",\"size\":0,\"annotations\":"
		"{\"z\":\"1\",\"a\":\"2\"}}],\"annotations\":{\"org.opencontainers.image.title\":"
		"\"h\u00e9llo/x\"}}";
	repro_descriptor config, layers[2];
	repro_digest digest;
	repro_error err;
	json_t *annotations = json_pack("{s:s}", "org.opencontainers.image.title", "h\u00e9llo/x");
	char *out, *out_empty;
	size_t size, size_empty;
	repro_manifest *parsed;

	digest_from(&digest, DIGEST_A);
	ASSERT_OK(repro_descriptor_init(&config, REPRO_MEDIA_TYPE_OCI_CONFIG, &digest, 7, &err), &err);
	digest_from(&digest, DIGEST_B);
	ASSERT_OK(repro_descriptor_init(&layers[0], REPRO_MEDIA_TYPE_OCI_LAYER_GZIP, &digest, 32,
	                                &err), &err);
	digest_from(&digest, DIGEST_C);
	ASSERT_OK(repro_descriptor_init(&layers[1], REPRO_MEDIA_TYPE_OCI_LAYER, &digest, 0, &err),
	          &err);
	layers[1].annotations = json_pack("{s:s,s:s}", "z", "1", "a", "2");

	ASSERT_OK(repro_oci_manifest_write(&config, layers, 2, annotations, &out, &size, &err), &err);
	ASSERT_STR_EQ(out, expected);
	ASSERT_INT_EQ(size, strlen(expected));

	/* What the writer produces, the parser takes back. */
	ASSERT_OK(repro_manifest_parse(&parsed, out, size, NULL, &err), &err);
	ASSERT_INT_EQ(parsed->layer_count, 2);
	repro_manifest_free(parsed);

	json_decref(annotations);
	annotations = json_object();
	ASSERT_OK(repro_oci_manifest_write(&config, NULL, 0, annotations, &out_empty, &size_empty,
	                                   &err), &err);
	ASSERT_STR_EQ(out_empty, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image."
	              "manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image."
	              "config.v1+json\",\"digest\":\"" DIGEST_A "\",\"size\":7},\"layers\":[]}");
	free(out);
	free(out_empty);
	json_decref(annotations);
	repro_descriptor_dispose(&config);
	repro_descriptor_dispose(&layers[0]);
	repro_descriptor_dispose(&layers[1]);
}

static void test_index_write(void)
{
	static const char expected[] =
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
		"\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"digest\":\"" DIGEST_A "\",\"size\":500,\"platform\":{\"architecture\":\"arm64\","
		"\"os\":\"linux\",\"variant\":\"v8\"}},{\"mediaType\":\"application/vnd.oci.image."
		"manifest.v1+json\",\"digest\":\"" DIGEST_B "\",\"size\":501,\"platform\":{"
		"\"architecture\":\"amd64\",\"os\":\"linux\"}}]}";
	repro_descriptor manifests[2];
	repro_digest digest;
	repro_error err;
	char *out;
	size_t size;

	digest_from(&digest, DIGEST_A);
	ASSERT_OK(repro_descriptor_init(&manifests[0], REPRO_MEDIA_TYPE_OCI_MANIFEST, &digest, 500,
	                                &err), &err);
	ASSERT_OK(repro_platform_parse(&manifests[0].platform, "linux/arm64/v8", &err), &err);
	manifests[0].has_platform = true;
	digest_from(&digest, DIGEST_B);
	ASSERT_OK(repro_descriptor_init(&manifests[1], REPRO_MEDIA_TYPE_OCI_MANIFEST, &digest, 501,
	                                &err), &err);
	ASSERT_OK(repro_platform_parse(&manifests[1].platform, "linux/amd64", &err), &err);
	manifests[1].has_platform = true;

	ASSERT_OK(repro_oci_index_write(manifests, 2, NULL, &out, &size, &err), &err);
	ASSERT_STR_EQ(out, expected);
	ASSERT_INT_EQ(size, strlen(expected));
	free(out);
	repro_descriptor_dispose(&manifests[0]);
	repro_descriptor_dispose(&manifests[1]);
}

static void test_config_write(void)
{
	static const char expected[] =
		"{\"created\":\"2024-01-01T00:00:00Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
		"\"config\":{\"User\":\"65532:65532\",\"Env\":[\"PATH=/usr/bin\"]},\"rootfs\":{\"type\":"
		"\"layers\",\"diff_ids\":[\"" DIGEST_A "\"]},\"history\":[{\"created\":\"2024-01-01T00:"
		"00:00Z\",\"created_by\":\"reprocheck\"}]}";
	repro_platform platform;
	repro_digest diff_id;
	repro_error err;
	json_t *runtime = json_pack("{s:s,s:[s]}", "User", "65532:65532", "Env", "PATH=/usr/bin");
	json_t *history = json_pack("[{s:s,s:s}]", "created", "2024-01-01T00:00:00Z", "created_by",
	                            "reprocheck");
	repro_config_spec spec = {"2024-01-01T00:00:00Z", NULL, &platform, runtime, &diff_id, 1,
	                          history};
	repro_config *parsed;
	char *out;
	size_t size;

	digest_from(&diff_id, DIGEST_A);
	ASSERT_OK(repro_platform_parse(&platform, "linux/amd64", &err), &err);
	ASSERT_OK(repro_oci_config_write(&spec, &out, &size, &err), &err);
	ASSERT_STR_EQ(out, expected);
	ASSERT_OK(repro_config_parse(&parsed, out, size, NULL, &err), &err);
	ASSERT_INT_EQ(parsed->diff_id_count, 1);
	repro_config_free(parsed);
	free(out);

	spec.platform = NULL;
	ASSERT_CODE(repro_oci_config_write(&spec, &out, &size, &err), REPRO_EUSAGE, &err);
	ASSERT_STR_EQ(err.message, "a config needs an os and an architecture");
	repro_platform_dispose(&platform);
	json_decref(runtime);
	json_decref(history);
}

static void test_detect_kind(void)
{
	static const struct {
		const char *text;
		const char *declared;
		int code;
		repro_oci_kind kind;
		const char *media_type;
	} cases[] = {
		{"{\"manifests\":[]}", NULL, REPRO_OK, REPRO_OCI_KIND_INDEX, REPRO_MEDIA_TYPE_OCI_INDEX},
		{"{\"config\":{}}", NULL, REPRO_OK, REPRO_OCI_KIND_MANIFEST,
		 REPRO_MEDIA_TYPE_OCI_MANIFEST},
		{"{}", REPRO_MEDIA_TYPE_DOCKER_MANIFEST, REPRO_OK, REPRO_OCI_KIND_MANIFEST,
		 REPRO_MEDIA_TYPE_DOCKER_MANIFEST},
		{"{\"mediaType\":\"" REPRO_MEDIA_TYPE_DOCKER_MANIFEST_LIST "\"}", NULL, REPRO_OK,
		 REPRO_OCI_KIND_INDEX, REPRO_MEDIA_TYPE_DOCKER_MANIFEST_LIST},
		{"{\"mediaType\":\"" REPRO_MEDIA_TYPE_OCI_INDEX "\"}", REPRO_MEDIA_TYPE_OCI_MANIFEST,
		 REPRO_EINVALID, REPRO_OCI_KIND_UNKNOWN, NULL},
		{"{}", REPRO_MEDIA_TYPE_OCI_CONFIG, REPRO_EUNSUPPORTED, REPRO_OCI_KIND_UNKNOWN, NULL},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_oci_kind kind;
		const char *media_type;
		repro_error err;
		json_t *root;

		ASSERT_OK(repro_json_parse(&root, cases[i].text, strlen(cases[i].text), "t", NULL, &err),
		          &err);
		repro_error_clear(&err);
		ASSERT_CODE(repro_oci_detect_kind(root, cases[i].declared, "doc", &kind, &media_type,
		                                  &err), cases[i].code, &err);
		ASSERT_INT_EQ(kind, cases[i].kind);
		if (cases[i].media_type != NULL)
			ASSERT_STR_EQ(media_type, cases[i].media_type);
		json_decref(root);
	}
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"media type compression", test_media_type_compression},
		{"platform parse", test_platform_parse},
		{"platform normalize", test_platform_normalize},
		{"platform match", test_platform_match},
		{"descriptor parse", test_descriptor_parse},
		{"descriptor rejects", test_descriptor_rejects},
		{"attestation entries", test_attestation},
		{"manifest parse", test_manifest_parse},
		{"manifest docker", test_manifest_docker},
		{"manifest rejects", test_manifest_rejects},
		{"manifest message names path", test_manifest_message_names_path},
		{"index parse", test_index_parse},
		{"index rejects", test_index_rejects},
		{"index docker list", test_index_docker_list},
		{"config parse", test_config_parse},
		{"config rejects", test_config_rejects},
		{"manifest write", test_manifest_write},
		{"index write", test_index_write},
		{"config write", test_config_write},
		{"detect kind", test_detect_kind},
	};

	return repro_test_main("oci", cases, REPRO_ARRAY_SIZE(cases));
}

/*
 * Source tests over real images: fixtures/scripts/make-test-images.sh
 * builds an OCI layout with umoci and converts it with skopeo, and records
 * the manifest and config digests that skopeo reports for each source.
 */
#include "harness.h"

#include <sys/stat.h>

#include <stdarg.h>
#include <stdlib.h>

#include <reprocheck/source.h>

#include "fileutil_internal.h"
#include "source_internal.h"

static char *images_dir;

static const char *fixture(const char *name)
{
	static char path[4][1024];
	static int next;

	next = (next + 1) % 4;
	snprintf(path[next], sizeof(path[next]), "%s/%s", images_dir, name);
	return path[next];
}

static void run(const char *format, ...) __attribute__((format(printf, 1, 2)));

static void run(const char *format, ...)
{
	char command[4096];
	va_list args;

	va_start(args, format);
	vsnprintf(command, sizeof(command), format, args);
	va_end(args);
	if (system(command) != 0) {
		fprintf(stderr, "command failed: %s\n", command);
		abort();
	}
}

/* Returns "sha256:" and the hex that the script recorded in @p name. */
static const char *recorded(const char *name)
{
	static char digest[4][REPRO_DIGEST_STRING_MAX];
	static int next;
	unsigned char *bytes;
	size_t size;
	repro_error err;

	next = (next + 1) % 4;
	if (repro_file_read_all(fixture(name), 1024, &bytes, &size, &err) != REPRO_OK) {
		fprintf(stderr, "%s\n", err.message);
		abort();
	}
	snprintf(digest[next], sizeof(digest[next]), "sha256:%.64s", (const char *)bytes);
	free(bytes);
	return digest[next];
}

/* Copies @p template into @p out with its "%s" replaced by @p value. */
static void substitute(char *out, size_t size, const char *template, const char *value)
{
	const char *marker = strstr(template, "%s");

	if (marker == NULL)
		snprintf(out, size, "%s", template);
	else
		snprintf(out, size, "%.*s%s%s", (int)(marker - template), template, value, marker + 2);
}

static void assert_digest(const repro_digest *digest, const char *expected)
{
	char text[REPRO_DIGEST_STRING_MAX];

	repro_digest_format(digest, text);
	ASSERT_STR_EQ(text, expected);
}

/* Reads every layer through repro_source_open_blob and checks its digest. */
static void check_layers(repro_source *source, const repro_resolved_image *image)
{
	for (size_t i = 0; i < image->manifest->layer_count; i++) {
		const repro_descriptor *layer = &image->manifest->layers[i];
		unsigned char buffer[4096];
		repro_stream *stream;
		repro_hasher hasher;
		repro_digest digest;
		repro_error err;
		ssize_t got;

		ASSERT_OK(repro_source_open_blob(source, layer, &stream, &err), &err);
		if (stream == NULL)
			continue;
		ASSERT_OK(repro_hasher_init(&hasher, REPRO_DIGEST_SHA256, &err), &err);
		while ((got = repro_stream_read(stream, buffer, sizeof(buffer), &err)) > 0)
			repro_hasher_update(&hasher, buffer, (size_t)got, &err);
		ASSERT_INT_EQ(got, 0);
		ASSERT_INT_EQ(hasher.bytes, layer->size);
		ASSERT_OK(repro_hasher_finish(&hasher, &digest, &err), &err);
		CU_ASSERT_TRUE(repro_digest_equal(&digest, &layer->digest));
		repro_hasher_dispose(&hasher);
		repro_stream_close(stream);
	}
}

static void test_sources_match_skopeo(void)
{
	static const struct {
		const char *spec;      /* relative to the images directory */
		const char *prefix;
		const char *recorded;  /* digests skopeo reports */
	} cases[] = {
		{"layout:amd", "oci:", "amd"},
		{"layout:arm", "oci:", "arm"},
		{"oci.tar:amd", "oci-archive:", "oci-archive"},
		{"oci.tar", "oci-archive:", "oci-archive"},
		{"oci.tar", "", "oci-archive"},
		{"docker.tar", "docker-archive:", "docker"},
		{"docker.tar:img:amd", "docker-archive:", "docker"},
		{"docker.tar:docker.io/library/img:amd", "docker-archive:", "docker"},
		{"docker.tar:@0", "docker-archive:", "docker"},
		{"docker.tar", "", "docker"},
		/* Docker 25+ archives carry the real OCI manifest, so its digest is
		 * the one of the layout, not the one skopeo 1.9 synthesises. */
		{"docker25.tar", "docker-archive:", "amd"},
		{"docker25.tar:img:amd", "docker-archive:", "amd"},
		{"docker25.tar", "", "amd"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		char spec[1024], name[64];
		repro_source *source = NULL;
		repro_resolved_image *images = NULL;
		size_t count = 0;
		repro_error err;

		snprintf(spec, sizeof(spec), "%s%s", cases[i].prefix, fixture(cases[i].spec));
		ASSERT_OK(repro_source_open(&source, spec, &err), &err);
		if (source == NULL)
			continue;
		ASSERT_STR_EQ(repro_source_spec(source), spec);
		snprintf(name, sizeof(name), "%s.manifest", cases[i].recorded);
		assert_digest(&repro_source_root(source)->digest, recorded(name));
		ASSERT_OK(repro_source_resolve(source, NULL, &images, &count, &err), &err);
		ASSERT_INT_EQ(count, 1);
		if (count == 1) {
			CU_ASSERT_FALSE(images[0].has_index);
			assert_digest(&images[0].manifest->digest, recorded(name));
			snprintf(name, sizeof(name), "%s.config", cases[i].recorded);
			assert_digest(&images[0].config->digest, recorded(name));
			assert_digest(&images[0].config_descriptor.digest, recorded(name));
			ASSERT_INT_EQ(images[0].manifest->layer_count, 1);
			check_layers(source, &images[0]);
		}
		repro_resolved_images_free(images, count);
		repro_source_free(source);
	}
}

static void test_docker_legacy_manifest(void)
{
	repro_source *source;
	repro_resolved_image *images;
	size_t count;
	repro_error err;
	char spec[1024];

	snprintf(spec, sizeof(spec), "docker-archive:%s", fixture("docker.tar"));
	ASSERT_OK(repro_source_open(&source, spec, &err), &err);
	ASSERT_OK(repro_source_resolve(source, NULL, &images, &count, &err), &err);
	/* skopeo labels the plain tar layers with the gzip media type and
	 * uses their diff_ids as digests. */
	ASSERT_STR_EQ(images[0].manifest->media_type, REPRO_MEDIA_TYPE_DOCKER_MANIFEST);
	ASSERT_STR_EQ(images[0].manifest->config.media_type, REPRO_MEDIA_TYPE_DOCKER_CONFIG);
	ASSERT_STR_EQ(images[0].manifest->layers[0].media_type, REPRO_MEDIA_TYPE_DOCKER_LAYER_GZIP);
	CU_ASSERT_TRUE(repro_digest_equal(&images[0].manifest->layers[0].digest,
	                                  &images[0].config->diff_ids[0]));
	ASSERT_INT_EQ(images[0].manifest->layers[0].size % 512, 0);
	repro_resolved_images_free(images, count);
	repro_source_free(source);
}

static void test_index_resolution(void)
{
	static const struct {
		const char *ref;
		bool all;
		const char *platform;
		int code;
		size_t count;
		const char *first;  /* recorded name of the first image */
		bool has_index;
	} cases[] = {
		{"multi", false, NULL, REPRO_OK, 1, "amd", true},
		{"multi", false, "linux/arm64", REPRO_OK, 1, "arm", true},
		{"multi", false, "linux/aarch64/v8", REPRO_OK, 1, "arm", true},
		{"multi", true, NULL, REPRO_OK, 2, "amd", true},
		{"nested", false, NULL, REPRO_OK, 1, "amd", true},
		{"nested", true, NULL, REPRO_OK, 2, "amd", true},
		{"multi", false, "linux/s390x", REPRO_ENOTFOUND, 0, NULL, false},
		{"arm", false, "linux/amd64", REPRO_ENOTFOUND, 0, NULL, false},
		{"arm", false, "linux/arm64", REPRO_OK, 1, "arm", false},
		{NULL, false, NULL, REPRO_EUSAGE, 0, NULL, false},
		{NULL, true, NULL, REPRO_OK, 6, "amd", false},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_platform_selector selector = {0};
		repro_source *source = NULL;
		repro_resolved_image *images = NULL;
		size_t count = 0;
		repro_error err;
		char spec[1024], name[64];

		snprintf(spec, sizeof(spec), "oci:%s%s%s", fixture("layout"), cases[i].ref ? ":" : "",
		         cases[i].ref ? cases[i].ref : "");
		ASSERT_OK(repro_source_open(&source, spec, &err), &err);
		if (source == NULL)
			continue;
		selector.all = cases[i].all;
		if (cases[i].platform != NULL) {
			ASSERT_OK(repro_platform_parse(&selector.platform, cases[i].platform, &err), &err);
			selector.has_platform = true;
		}
		repro_error_clear(&err);
		ASSERT_CODE(repro_source_resolve(source, &selector, &images, &count, &err), cases[i].code,
		            &err);
		ASSERT_INT_EQ(count, cases[i].count);
		if (count > 0) {
			snprintf(name, sizeof(name), "%s.manifest", cases[i].first);
			assert_digest(&images[0].manifest->digest, recorded(name));
			snprintf(name, sizeof(name), "%s.config", cases[i].first);
			assert_digest(&images[0].config->digest, recorded(name));
			ASSERT_INT_EQ(images[0].has_index, cases[i].has_index);
			if (cases[i].has_index)
				CU_ASSERT_TRUE(repro_digest_equal(&images[0].index_digest,
				                                  &repro_source_root(source)->digest));
		}
		repro_resolved_images_free(images, count);
		repro_platform_dispose(&selector.platform);
		repro_source_free(source);
	}
}

static void test_resolution_messages(void)
{
	repro_platform_selector selector = {0};
	repro_source *source;
	repro_resolved_image *images;
	size_t count;
	repro_error err;
	char spec[1024], expected[2048];

	snprintf(spec, sizeof(spec), "oci:%s:multi", fixture("layout"));
	ASSERT_OK(repro_source_open(&source, spec, &err), &err);
	ASSERT_OK(repro_platform_parse(&selector.platform, "linux/s390x", &err), &err);
	selector.has_platform = true;
	ASSERT_CODE(repro_source_resolve(source, &selector, &images, &count, &err), REPRO_ENOTFOUND,
	            &err);
	snprintf(expected, sizeof(expected), "no image for platform linux/s390x in '%s'; available: "
	         "linux/amd64, linux/arm64/v8", spec);
	ASSERT_STR_EQ(err.message, expected);
	repro_source_free(source);
	repro_platform_dispose(&selector.platform);

	snprintf(spec, sizeof(spec), "oci:%s", fixture("layout"));
	ASSERT_OK(repro_source_open(&source, spec, &err), &err);
	ASSERT_CODE(repro_source_resolve(source, NULL, &images, &count, &err), REPRO_EUSAGE, &err);
	snprintf(expected, sizeof(expected), "'%s' holds 3 images for platform linux/amd64; select "
	         "one with :REF", spec);
	ASSERT_STR_EQ(err.message, expected);
	repro_source_free(source);
}

static void test_open_errors(void)
{
	char missing[1024], not_layout[1024], spec[2048];
	static char expected[2048];
	struct {
		const char *spec;
		int code;
		const char *message;
	} cases[6];
	repro_source *source;
	repro_error err;

	snprintf(missing, sizeof(missing), "%s", fixture("missing"));
	snprintf(not_layout, sizeof(not_layout), "%s", fixture("plain"));
	run("mkdir -p '%s'", not_layout);
	cases[0].spec = missing;
	cases[0].code = REPRO_ENOTFOUND;
	cases[0].message = "not found";
	cases[1].spec = "foo:bar";
	cases[1].code = REPRO_EUSAGE;
	cases[1].message = "unknown source type 'foo' in 'foo:bar'; valid prefixes: oci:, "
	                   "oci-archive:, docker-archive:, docker://, or a bare path";
	cases[2].spec = not_layout;
	cases[2].code = REPRO_EFORMAT;
	snprintf(expected, sizeof(expected), "'%s' is not an OCI image layout: no oci-layout file",
	         not_layout);
	cases[2].message = expected;
	cases[3].spec = "oci:";
	cases[3].code = REPRO_EUSAGE;
	cases[3].message = "'oci:' names no path";
	cases[4].spec = "docker:example.com/x";
	cases[4].code = REPRO_EUSAGE;
	cases[4].message = "'docker:example.com/x' is not a registry source: write docker://REFERENCE";
	snprintf(spec, sizeof(spec), "oci-archive:%s", missing);
	cases[5].spec = spec;
	cases[5].code = REPRO_ENOTFOUND;
	cases[5].message = "not found";

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_error_clear(&err);
		ASSERT_CODE(repro_source_open(&source, cases[i].spec, &err), cases[i].code, &err);
		ASSERT_STR_CONTAINS(err.message, cases[i].message);
		CU_ASSERT_PTR_NULL(source);
	}
	snprintf(expected, sizeof(expected), "'%s' not found", missing);
	ASSERT_CODE(repro_source_open(&source, missing, &err), REPRO_ENOTFOUND, &err);
	ASSERT_STR_EQ(err.message, expected);
}

static void test_ref_errors(void)
{
	static const struct {
		const char *suffix;
		int code;
		const char *message;
	} cases[] = {
		{":nope", REPRO_ENOTFOUND, "image 'nope' not found in '%s'; available: 'amd', 'arm', "
		 "'multi', 'nested'"},
		{":sha256:0000000000000000000000000000000000000000000000000000000000000000",
		 REPRO_ENOTFOUND, "no manifest sha256:0000000000000000000000000000000000000000000000000"
		 "000000000000000 in '%s'"},
		{":sha1:00", REPRO_EUNSUPPORTED, "reference in 'oci:%s:sha1:00': "},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		char spec[1024], expected[2048];
		repro_source *source;
		repro_error err;

		snprintf(spec, sizeof(spec), "oci:%s%s", fixture("layout"), cases[i].suffix);
		substitute(expected, sizeof(expected), cases[i].message, fixture("layout"));
		repro_error_clear(&err);
		ASSERT_CODE(repro_source_open(&source, spec, &err), cases[i].code, &err);
		ASSERT_STR_CONTAINS(err.message, expected);
	}
}

static void test_ref_by_digest(void)
{
	char spec[1024];
	repro_source *source;
	repro_resolved_image *images;
	size_t count;
	repro_error err;

	/* A digest REF selects the entry of index.json with that digest. */
	snprintf(spec, sizeof(spec), "oci:%s:%s", fixture("layout"), recorded("arm.manifest"));
	ASSERT_OK(repro_source_open(&source, spec, &err), &err);
	ASSERT_OK(repro_source_resolve(source, NULL, &images, &count, &err), &err);
	assert_digest(&images[0].config->digest, recorded("arm.config"));
	repro_resolved_images_free(images, count);
	repro_source_free(source);

	/* A blob that index.json does not list is read to learn its kind. A
	 * config has a "config" key, so it passes for a manifest until it is
	 * parsed as one. */
	snprintf(spec, sizeof(spec), "oci:%s:%s", fixture("layout"), recorded("arm.config"));
	ASSERT_OK(repro_source_open(&source, spec, &err), &err);
	ASSERT_STR_EQ(repro_source_root(source)->media_type, REPRO_MEDIA_TYPE_OCI_MANIFEST);
	ASSERT_CODE(repro_source_resolve(source, NULL, &images, &count, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_CONTAINS(err.message, "missing key 'schemaVersion'");
	repro_source_free(source);
}

static void test_damaged_layout(void)
{
	char copy[1024], spec[1200], expected[2048], blob[1400];
	struct stat info;
	const char *config = recorded("amd.config") + 7;
	repro_source *source;
	repro_resolved_image *images;
	size_t count;
	repro_error err;

	snprintf(copy, sizeof(copy), "%s", fixture("damaged"));
	run("rm -rf '%s' && cp -r '%s' '%s'", copy, fixture("layout"), copy);
	snprintf(spec, sizeof(spec), "oci:%s:amd", copy);

	/* A config blob with the same size and other bytes. */
	run("chmod u+w '%s/blobs/sha256/%s' && sed -i 's/amd64/AMD64/' '%s/blobs/sha256/%s'", copy,
	    config, copy, config);
	ASSERT_OK(repro_source_open(&source, spec, &err), &err);
	ASSERT_CODE(repro_source_resolve(source, NULL, &images, &count, &err), REPRO_EMISMATCH, &err);
	snprintf(expected, sizeof(expected), "blob sha256:%s in '%s' has the wrong content: its "
	         "digest is sha256:", config, spec);
	ASSERT_STR_CONTAINS(err.message, expected);

	/* The same blob one byte longer. Its recorded size varies by a byte
	 * between fixture runs, because umoci's created time drops trailing
	 * zeros of its nanoseconds. */
	snprintf(blob, sizeof(blob), "%s/blobs/sha256/%s", copy, config);
	CU_ASSERT_FATAL(stat(blob, &info) == 0);
	run("printf x >> '%s/blobs/sha256/%s'", copy, config);
	ASSERT_CODE(repro_source_resolve(source, NULL, &images, &count, &err), REPRO_EMISMATCH, &err);
	snprintf(expected, sizeof(expected), "blob sha256:%s in '%s' is larger than its descriptor's "
	         "size of %lld bytes", config, spec, (long long)info.st_size);
	ASSERT_STR_EQ(err.message, expected);

	/* And missing. */
	run("rm '%s/blobs/sha256/%s'", copy, config);
	ASSERT_CODE(repro_source_resolve(source, NULL, &images, &count, &err), REPRO_ENOTFOUND, &err);
	snprintf(expected, sizeof(expected), "blob sha256:%s not found in '%s'", config, spec);
	ASSERT_STR_EQ(err.message, expected);
	repro_source_free(source);

	/* A malformed index.json. */
	run("printf '{\"schemaVersion\":2,' > '%s/index.json'", copy);
	ASSERT_CODE(repro_source_open(&source, spec, &err), REPRO_EFORMAT, &err);
	snprintf(expected, sizeof(expected), "reading '%s/index.json': malformed index sha256:", copy);
	ASSERT_STR_CONTAINS(err.message, expected);

	run("printf '{\"imageLayoutVersion\":\"2.0.0\"}' > '%s/oci-layout'", copy);
	ASSERT_CODE(repro_source_open(&source, spec, &err), REPRO_EUNSUPPORTED, &err);
	snprintf(expected, sizeof(expected), "reading '%s/oci-layout': imageLayoutVersion is "
	         "'2.0.0'; only 1.0.0 is supported", copy);
	ASSERT_STR_EQ(err.message, expected);
}

static void test_blob_size_checks(void)
{
	char spec[1024];
	repro_source *source;
	repro_resolved_image *images;
	repro_descriptor layer;
	repro_stream *stream;
	unsigned char buffer[65536], *bytes;
	size_t count, size;
	repro_error err;
	ssize_t got;

	snprintf(spec, sizeof(spec), "oci-archive:%s", fixture("oci.tar"));
	ASSERT_OK(repro_source_open(&source, spec, &err), &err);
	ASSERT_OK(repro_source_resolve(source, NULL, &images, &count, &err), &err);
	ASSERT_OK(repro_descriptor_copy(&layer, &images[0].manifest->layers[0], &err), &err);

	layer.size += 1;
	ASSERT_OK(repro_source_open_blob(source, &layer, &stream, &err), &err);
	while ((got = repro_stream_read(stream, buffer, sizeof(buffer), &err)) > 0)
		;
	ASSERT_INT_EQ(got, REPRO_EMISMATCH);
	ASSERT_STR_CONTAINS(err.message, "ends after");
	repro_stream_close(stream);

	layer.size -= 2;
	ASSERT_OK(repro_source_open_blob(source, &layer, &stream, &err), &err);
	while ((got = repro_stream_read(stream, buffer, sizeof(buffer), &err)) > 0)
		;
	ASSERT_INT_EQ(got, REPRO_EMISMATCH);
	ASSERT_STR_CONTAINS(err.message, "is larger than its descriptor's size");
	repro_stream_close(stream);

	ASSERT_CODE(repro_source_read_blob(source, &layer, 16, &bytes, &size, &err), REPRO_ELIMIT,
	            &err);
	ASSERT_STR_CONTAINS(err.message, "more than the limit of 16");
	repro_descriptor_dispose(&layer);
	repro_resolved_images_free(images, count);
	repro_source_free(source);
}

static void test_archive_errors(void)
{
	static const struct {
		const char *script;  /* python3 code writing t.tar with tarfile */
		int code;
		const char *message;
	} cases[] = {
		{"t.addfile(tarfile.TarInfo('../evil'), io.BytesIO(b''))", REPRO_EUNSAFE,
		 "has an entry '../evil' that leaves the archive"},
		{"t.addfile(tarfile.TarInfo('/abs'), io.BytesIO(b''))", REPRO_EUNSAFE,
		 "has an entry '/abs' that leaves the archive"},
		{"t.addfile(tarfile.TarInfo('oci-layout'), io.BytesIO(b''));"
		 "t.addfile(tarfile.TarInfo('./oci-layout'), io.BytesIO(b''))", REPRO_EFORMAT,
		 "has two entries named 'oci-layout'"},
		{"i=tarfile.TarInfo('oci-layout'); i.type=tarfile.SYMTYPE; i.linkname='x'; t.addfile(i);"
		 "i=tarfile.TarInfo('index.json'); t.addfile(i, io.BytesIO(b''))", REPRO_EFORMAT,
		 "'oci-layout' in '%s' is not a regular file"},
		{"i=tarfile.TarInfo('x'); t.addfile(i, io.BytesIO(b''))", REPRO_EFORMAT,
		 "'%s' is not an OCI image layout: no oci-layout file"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		char path[1024], spec[1200], expected[2048];
		repro_source *source;
		repro_error err;

		snprintf(path, sizeof(path), "%s", fixture("bad.tar"));
		run("python3 -c \"import io, tarfile; t = tarfile.open('%s', 'w', "
		    "format=tarfile.USTAR_FORMAT); %s; t.close()\"", path, cases[i].script);
		snprintf(spec, sizeof(spec), "oci-archive:%s", path);
		substitute(expected, sizeof(expected), cases[i].message, path);
		repro_error_clear(&err);
		ASSERT_CODE(repro_source_open(&source, spec, &err), cases[i].code, &err);
		ASSERT_STR_CONTAINS(err.message, expected);
	}

	char spec[1200], expected[2048];
	repro_source *source;
	repro_error err;

	snprintf(spec, sizeof(spec), "oci-archive:%s", fixture("oci.tar.gz"));
	ASSERT_CODE(repro_source_open(&source, spec, &err), REPRO_EUNSUPPORTED, &err);
	snprintf(expected, sizeof(expected), "'%s' is compressed with gzip; decompress it first, "
	         "because archives are read in place", fixture("oci.tar.gz"));
	ASSERT_STR_EQ(err.message, expected);

	snprintf(spec, sizeof(spec), "docker-archive:%s:other:tag", fixture("docker.tar"));
	ASSERT_CODE(repro_source_open(&source, spec, &err), REPRO_ENOTFOUND, &err);
	snprintf(expected, sizeof(expected), "image 'other:tag' not found in '%s'; available: "
	         "'docker.io/library/img:amd'", fixture("docker.tar"));
	ASSERT_STR_EQ(err.message, expected);

	snprintf(spec, sizeof(spec), "docker-archive:%s:other:tag", fixture("docker25.tar"));
	ASSERT_CODE(repro_source_open(&source, spec, &err), REPRO_ENOTFOUND, &err);
	snprintf(expected, sizeof(expected), "image 'docker.io/library/other:tag' not found in '%s'; "
	         "available: 'docker.io/library/img:amd'", fixture("docker25.tar"));
	ASSERT_STR_EQ(err.message, expected);
}

static void test_docker_name_normalize(void)
{
	static const struct {
		const char *name;
		const char *normalized;
	} cases[] = {
		{"img", "docker.io/library/img:latest"},
		{"img:amd", "docker.io/library/img:amd"},
		{"acme/img:1", "docker.io/acme/img:1"},
		{"registry.example.com/acme/img:1", "registry.example.com/acme/img:1"},
		{"localhost:5000/img", "localhost:5000/img:latest"},
		{"localhost/img:2", "localhost/img:2"},
		{"docker.io/library/img:amd", "docker.io/library/img:amd"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		char out[256];

		repro_docker_normalize_name(cases[i].name, out, sizeof(out));
		ASSERT_STR_EQ(out, cases[i].normalized);
	}
}

static int setup(void)
{
	images_dir = repro_test_make_dir();
	run("bash '%s' '%s' >/dev/null 2>&1",
	    repro_test_source_path("fixtures/scripts/make-test-images.sh"), images_dir);
	return 0;
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"sources match skopeo", test_sources_match_skopeo},
		{"docker legacy manifest", test_docker_legacy_manifest},
		{"index resolution", test_index_resolution},
		{"resolution messages", test_resolution_messages},
		{"open errors", test_open_errors},
		{"ref errors", test_ref_errors},
		{"ref by digest", test_ref_by_digest},
		{"damaged layout", test_damaged_layout},
		{"blob size checks", test_blob_size_checks},
		{"archive errors", test_archive_errors},
		{"docker name normalize", test_docker_name_normalize},
	};
	int status;

	setup();
	status = repro_test_main("source", cases, REPRO_ARRAY_SIZE(cases));
	repro_test_cleanup_dir(images_dir);
	return status;
}

#include "harness.h"

#include <dirent.h>
#include <sys/stat.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>

#include <reprocheck/build.h>
#include <reprocheck/sandbox.h>

static int directory_is_empty(const char *path)
{
	DIR *directory = opendir(path);
	struct dirent *entry;
	int empty = 1;

	while (directory != NULL && (entry = readdir(directory)) != NULL) {
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
			empty = 0;
	}
	if (directory != NULL)
		closedir(directory);
	return empty;
}

static void test_format_time(void)
{
	static const struct {
		int64_t epoch;
		const char *text;
	} cases[] = {
		{0, "1970-01-01T00:00:00Z"},
		{1733047200, "2024-12-01T10:00:00Z"},
		{951782400, "2000-02-29T00:00:00Z"},
		{253402300799, "9999-12-31T23:59:59Z"},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		char text[32];

		repro_build_format_time(cases[i].epoch, text);
		ASSERT_STR_EQ(text, cases[i].text);
	}
}

/* A signal that arrives outside a build step must still stop the build at
 * the next phase, and the temporary tree must be gone afterwards. */
static void test_interrupt_between_phases(void)
{
	char *dir = repro_test_make_dir();
	char command[2 * PATH_MAX], repo[PATH_MAX], tmp[PATH_MAX];
	const char *saved_tmpdir = getenv("TMPDIR");
	char *saved = saved_tmpdir ? strdup(saved_tmpdir) : NULL;
	repro_build_options options;
	repro_build_result result;
	repro_error err;

	snprintf(command, sizeof(command), "bash '%s' '%s' >/dev/null",
	         repro_test_source_path("fixtures/scripts/make-test-repo.sh"), dir);
	CU_ASSERT_EQUAL_FATAL(system(command), 0);
	snprintf(repo, sizeof(repo), "%s/super", dir);
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(tmp, 0700), 0);
	setenv("TMPDIR", tmp, 1);

	repro_sandbox_install_signal_handlers();
	raise(SIGTERM);
	repro_build_options_init(&options);
	options.repo = repo;
	options.tag = "v1.0.0";
	/* Without the sandbox no probe runs, so the build reaches the check
	 * after the checkout. */
	options.hermetic = 0;
	ASSERT_CODE(repro_build_run(&options, &result, &err), REPRO_EINTERRUPTED, &err);
	ASSERT_STR_EQ(err.message, "interrupted by SIGTERM");
	ASSERT_STR_EQ(result.revision.tag, "v1.0.0");
	CU_ASSERT_PTR_NULL(result.work_dir);
	CU_ASSERT_TRUE(directory_is_empty(tmp));
	repro_build_result_dispose(&result);
	repro_sandbox_clear_interrupt();

	/* With the sandbox, the signal stops the build before the probe, and
	 * is not mistaken for missing namespaces. */
	raise(SIGINT);
	options.hermetic = 1;
	ASSERT_CODE(repro_build_run(&options, &result, &err), REPRO_EINTERRUPTED, &err);
	ASSERT_STR_EQ(err.message, "interrupted by SIGINT");
	CU_ASSERT_TRUE(directory_is_empty(tmp));
	repro_build_result_dispose(&result);
	repro_sandbox_clear_interrupt();
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);

	if (saved != NULL)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	repro_test_cleanup_dir(dir);
}

static void test_result_to_release(void)
{
	repro_built_layer layer;
	repro_built_image image;
	repro_build_result result;
	repro_digestlist_release *release = NULL;
	repro_error err;
	char name[] = "hello", reference[] = "registry.example.com/acme/hello",
	     platform[] = "linux/amd64";

	memset(&layer, 0, sizeof(layer));
	memset(&image, 0, sizeof(image));
	memset(&result, 0, sizeof(result));
	layer.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
	layer.size = 1234;
	image.name = name;
	image.reference = reference;
	image.platform = platform;
	image.layers = &layer;
	image.layer_count = 1;
	result.images = &image;
	result.image_count = 1;
	result.revision.is_tag = 1;
	strcpy(result.revision.tag, "v1.0.0");
	strcpy(result.revision.commit_id, "4f1c0e0000000000000000000000000000000000");
	result.source_date_epoch = 1733000000;

	ASSERT_OK(repro_build_result_to_release(&result, &release, &err), &err);
	ASSERT_STR_EQ(release->tag, "v1.0.0");
	ASSERT_STR_EQ(release->commit, "4f1c0e0000000000000000000000000000000000");
	ASSERT_INT_EQ(release->source_date_epoch, 1733000000);
	ASSERT_INT_EQ(release->image_count, 1);
	ASSERT_STR_EQ(release->images[0].name, "hello");
	ASSERT_STR_EQ(release->images[0].reference, "registry.example.com/acme/hello:v1.0.0");
	ASSERT_STR_EQ(release->images[0].platforms[0].platform, "linux/amd64");
	ASSERT_INT_EQ(release->images[0].platforms[0].layer_count, 1);
	ASSERT_INT_EQ(release->images[0].platforms[0].layers[0].size, 1234);
	repro_digestlist_release_free(release);

	/* Built from a revision, the release is named by the commit. */
	result.revision.is_tag = 0;
	result.revision.tag[0] = '\0';
	image.reference = NULL;
	ASSERT_OK(repro_build_result_to_release(&result, &release, &err), &err);
	ASSERT_STR_EQ(release->tag, "4f1c0e0000000000000000000000000000000000");
	CU_ASSERT_PTR_NULL(release->images[0].reference);
	repro_digestlist_release_free(release);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"format time", test_format_time},
		{"interrupt between phases", test_interrupt_between_phases},
		{"result to release", test_result_to_release},
	};
	return repro_test_main("build", cases, REPRO_ARRAY_SIZE(cases));
}

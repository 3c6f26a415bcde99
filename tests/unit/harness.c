#include "harness.h"

#include <stdlib.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "fileutil_internal.h"

int repro_test_main(const char *suite_name, const repro_test_case *cases, size_t count)
{
	CU_pSuite suite;
	unsigned int failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite(suite_name, NULL, NULL);
	if (suite == NULL) {
		CU_cleanup_registry();
		return 2;
	}
	for (size_t i = 0; i < count; i++) {
		if (CU_add_test(suite, cases[i].name, cases[i].run) == NULL) {
			CU_cleanup_registry();
			return 2;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures == 0 ? 0 : 1;
}

const char *repro_test_source_path(const char *relative)
{
	static char path[4096];
	const char *root = getenv("REPRO_SOURCE_DIR");

	snprintf(path, sizeof(path), "%s/%s", root ? root : ".", relative);
	return path;
}

char *repro_test_make_dir(void)
{
	repro_error err;
	char *path = NULL;

	repro_error_clear(&err);
	if (repro_make_temp_dir("reprocheck-test", &path, &err) != REPRO_OK) {
		fprintf(stderr, "%s\n", err.message);
		abort();
	}
	return path;
}

void repro_test_cleanup_dir(char *path)
{
	repro_error err;

	if (path == NULL)
		return;
	repro_error_clear(&err);
	if (repro_remove_tree(path, &err) != REPRO_OK)
		fprintf(stderr, "%s\n", err.message);
	free(path);
}

void repro_test_write_file(const char *path, const void *data, size_t size)
{
	FILE *file = fopen(path, "wb");

	if (file == NULL || fwrite(data, 1, size, file) != size || fclose(file) != 0) {
		perror(path);
		abort();
	}
}

/*
 * Shared CUnit helpers. Every assertion prints both values and, where a
 * library call failed, the message of its repro_error.
 */
#ifndef REPROCHECK_TEST_HARNESS_H
#define REPROCHECK_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include <reprocheck/error.h>

typedef struct repro_test_case {
	const char *name;
	void (*run)(void);
} repro_test_case;

/* Runs every case of @p cases as the suite @p suite and returns the exit status. */
int repro_test_main(const char *suite, const repro_test_case *cases, size_t count);

/* Returns "$REPRO_SOURCE_DIR/relative" in a static buffer. */
const char *repro_test_source_path(const char *relative);

/* Creates a fresh temporary directory for one test; removed by repro_test_cleanup_dir(). */
char *repro_test_make_dir(void);
void repro_test_cleanup_dir(char *path);

/* Writes @p size bytes to @p path, creating or truncating it. */
void repro_test_write_file(const char *path, const void *data, size_t size);

#define REPRO_ARRAY_SIZE(array) (sizeof(array) / sizeof((array)[0]))

#define REPRO_CHECK(condition, ...)                                               \
	do {                                                                          \
		if (!(condition)) {                                                       \
			fprintf(stderr, "\n  %s:%d: ", __FILE__, __LINE__);                 \
			fprintf(stderr, __VA_ARGS__);                                         \
			fprintf(stderr, "\n");                                                \
		}                                                                         \
		CU_ASSERT(condition);                                                     \
	} while (0)

/* Asserts that a call returned REPRO_OK, printing the error otherwise. */
#define ASSERT_OK(call, err)                                                      \
	do {                                                                          \
		int repro_result_ = (call);                                               \
		REPRO_CHECK(repro_result_ == REPRO_OK, "%s returned %d (%s): %s", #call,  \
		            repro_result_, repro_error_code_name(repro_result_),          \
		            (err)->message);                                              \
	} while (0)

/* Asserts that a call returned the code @p expected. */
#define ASSERT_CODE(call, expected, err)                                          \
	do {                                                                          \
		int repro_result_ = (call);                                               \
		REPRO_CHECK(repro_result_ == (expected),                                  \
		            "%s returned %d (%s), expected %d (%s); message: %s", #call,    \
		            repro_result_, repro_error_code_name(repro_result_),          \
		            (int)(expected), repro_error_code_name(expected),             \
		            (err)->message);                                              \
	} while (0)

#define ASSERT_STR_EQ(actual, expected)                                           \
	do {                                                                          \
		const char *repro_actual_ = (actual);                                     \
		const char *repro_expected_ = (expected);                                 \
		REPRO_CHECK(repro_actual_ != NULL && repro_expected_ != NULL &&           \
		            strcmp(repro_actual_, repro_expected_) == 0,                  \
		            "%s: got \"%s\", expected \"%s\"", #actual,                     \
		            repro_actual_ ? repro_actual_ : "(null)",                     \
		            repro_expected_ ? repro_expected_ : "(null)");                \
	} while (0)

/* Asserts that @p haystack contains @p needle, for error messages. */
#define ASSERT_STR_CONTAINS(haystack, needle)                                     \
	do {                                                                          \
		const char *repro_haystack_ = (haystack);                                 \
		REPRO_CHECK(repro_haystack_ != NULL && strstr(repro_haystack_, (needle)), \
		            "%s: \"%s\" does not contain \"%s\"", #haystack,                \
		            repro_haystack_ ? repro_haystack_ : "(null)", (needle));      \
	} while (0)

#define ASSERT_INT_EQ(actual, expected)                                           \
	do {                                                                          \
		long long repro_actual_ = (long long)(actual);                            \
		long long repro_expected_ = (long long)(expected);                        \
		REPRO_CHECK(repro_actual_ == repro_expected_,                             \
		            "%s: got %lld (0x%llx), expected %lld (0x%llx)", #actual,       \
		            repro_actual_, (unsigned long long)repro_actual_,             \
		            repro_expected_, (unsigned long long)repro_expected_);        \
	} while (0)

#endif

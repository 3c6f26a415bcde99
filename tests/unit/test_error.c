#include "harness.h"

static void test_set_and_prefix(void)
{
	repro_error err;

	repro_error_clear(&err);
	ASSERT_INT_EQ(repro_error_set(&err, REPRO_EFORMAT, "bad value '%s'", "x"), REPRO_EFORMAT);
	ASSERT_STR_EQ(err.message, "bad value 'x'");
	ASSERT_INT_EQ(repro_error_prefix(&err, "reading layer %d", 2), REPRO_EFORMAT);
	ASSERT_STR_EQ(err.message, "reading layer 2: bad value 'x'");
	ASSERT_INT_EQ(err.code, REPRO_EFORMAT);
}

static void test_set_errno(void)
{
	repro_error err;

	repro_error_clear(&err);
	repro_error_set_errno(&err, REPRO_ENOTFOUND, 2, "opening '%s' failed", "a");
	ASSERT_STR_EQ(err.message, "opening 'a' failed: No such file or directory");
}

static void test_null_error_object(void)
{
	ASSERT_INT_EQ(repro_error_set(NULL, REPRO_EIO, "ignored"), REPRO_EIO);
	ASSERT_INT_EQ(repro_error_prefix(NULL, "ignored"), REPRO_OK);
}

static void test_long_message_truncated(void)
{
	repro_error err;
	char long_value[3000];

	memset(long_value, 'a', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	repro_error_set(&err, REPRO_EIO, "%s", long_value);
	ASSERT_INT_EQ(strlen(err.message), REPRO_ERROR_MESSAGE_MAX - 1);
	repro_error_prefix(&err, "context");
	ASSERT_INT_EQ(strlen(err.message), REPRO_ERROR_MESSAGE_MAX - 1);
	ASSERT_INT_EQ(memcmp(err.message, "context: aaa", 12), 0);
}

static void test_exit_status(void)
{
	ASSERT_INT_EQ(repro_error_exit_status(REPRO_OK), 0);
	ASSERT_INT_EQ(repro_error_exit_status(REPRO_EMISMATCH), 1);
	ASSERT_INT_EQ(repro_error_exit_status(REPRO_EINVALID), 1);
	ASSERT_INT_EQ(repro_error_exit_status(REPRO_EFORMAT), 2);
	ASSERT_INT_EQ(repro_error_exit_status(REPRO_ENETWORK), 2);
	ASSERT_STR_EQ(repro_error_code_name(REPRO_EMISMATCH), "mismatch");
	ASSERT_STR_EQ(repro_error_code_name(12345), "unknown");
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"set and prefix", test_set_and_prefix},
		{"set with errno", test_set_errno},
		{"null error object", test_null_error_object},
		{"long message truncated", test_long_message_truncated},
		{"exit status mapping", test_exit_status},
	};
	return repro_test_main("error", cases, REPRO_ARRAY_SIZE(cases));
}

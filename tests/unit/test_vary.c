/*
 * Vary tests: variation names and lists, the settings each variation
 * applies, and the comparison of built images. The builds themselves are
 * tested end to end by tests/integration/test_vary.sh.
 */
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/vary.h>

#include "vary_internal.h"

#define ALL_NAMES "time, hostname, timezone, locale, umask, uid, file-order, cpus, env, home"

static void test_names(void)
{
	static const char *const expected[] = {
		"time", "hostname", "timezone", "locale", "umask", "uid", "file-order", "cpus", "env",
		"home",
	};
	char names[256];

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(expected); i++)
		ASSERT_STR_EQ(repro_vary_name((repro_vary_kind)i), expected[i]);
	ASSERT_STR_EQ(repro_vary_name(REPRO_VARY_COUNT), "unknown");
	repro_vary_list_names(names, sizeof(names));
	ASSERT_STR_EQ(names, ALL_NAMES);
	ASSERT_INT_EQ(REPRO_VARY_ALL, 0x3ff);
}

static void test_parse_list(void)
{
	static const struct {
		const char *list;
		int code;
		unsigned expected;
		const char *message;
	} cases[] = {
		{"time", REPRO_OK, 0x1, NULL},
		{"file-order,cpus", REPRO_OK, 0xc0, NULL},
		{"home,home,uid", REPRO_OK, 0x220, NULL},
		{"time,hostname,timezone,locale,umask,uid,file-order,cpus,env,home", REPRO_OK, 0x3ff,
		 NULL},
		{"", REPRO_EUSAGE, 0, "empty variation list: expected names from " ALL_NAMES},
		{"clock", REPRO_EUSAGE, 0, "unknown variation 'clock': expected names from " ALL_NAMES},
		{"time,", REPRO_EUSAGE, 0, "unknown variation '': expected names from " ALL_NAMES},
		{"Time", REPRO_EUSAGE, 0, "unknown variation 'Time': expected names from " ALL_NAMES},
		{"times", REPRO_EUSAGE, 0, "unknown variation 'times': expected names from " ALL_NAMES},
	};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		unsigned chosen = 0xdead;
		repro_error err;

		repro_error_clear(&err);
		ASSERT_CODE(repro_vary_parse_list(cases[i].list, &chosen, &err), cases[i].code, &err);
		if (cases[i].code == REPRO_OK)
			ASSERT_INT_EQ(chosen, cases[i].expected);
		else
			ASSERT_STR_EQ(err.message, cases[i].message);
	}
}

static void test_status_names(void)
{
	ASSERT_STR_EQ(repro_vary_status_name(REPRO_VARY_STATUS_IDENTICAL), "identical");
	ASSERT_STR_EQ(repro_vary_status_name(REPRO_VARY_STATUS_MISMATCH), "mismatch");
	ASSERT_STR_EQ(repro_vary_status_name(REPRO_VARY_STATUS_SKIPPED), "skipped");
	ASSERT_STR_EQ(repro_vary_status_name(REPRO_VARY_STATUS_UNKNOWN), "unknown");
	ASSERT_STR_EQ(repro_vary_status_name(REPRO_VARY_STATUS_NOT_CHOSEN), "not-chosen");
}

static vary_settings test_settings(void)
{
	vary_settings settings;

	memset(&settings, 0, sizeof(settings));
	settings.locale = "POSIX";
	settings.timezone = "America/St_Johns";
	snprintf(settings.lang_entry, sizeof(settings.lang_entry), "LANG=POSIX");
	snprintf(settings.lc_all_entry, sizeof(settings.lc_all_entry), "LC_ALL=POSIX");
	snprintf(settings.tz_entry, sizeof(settings.tz_entry), "TZ=America/St_Johns");
	settings.creation_ordered = 1;
	settings.cpus_allowed = 4;
	return settings;
}

static void test_fill_variation(void)
{
	vary_settings settings = test_settings();
	vary_variation all, none, one;

	vary_fill_variation(0, &settings, &none);
	CU_ASSERT_PTR_NULL(none.variation.hostname);
	CU_ASSERT_PTR_NULL(none.variation.home);
	ASSERT_INT_EQ(none.variation.env_count, 0);
	ASSERT_INT_EQ(none.variation.set_umask, 0);
	ASSERT_INT_EQ(none.variation.uid, 0);
	ASSERT_INT_EQ(none.variation.cpu_count, 0);
	ASSERT_INT_EQ(none.variation.reverse_file_order, 0);

	vary_fill_variation(REPRO_VARY_ALL, &settings, &all);
	ASSERT_STR_EQ(all.variation.hostname, "reprocheck-vary");
	ASSERT_STR_EQ(all.variation.domainname, "vary.example");
	ASSERT_STR_EQ(all.variation.home, "/home/reprocheck-vary");
	ASSERT_INT_EQ(all.variation.set_umask, 1);
	ASSERT_INT_EQ(all.variation.umask_mode, 02);
	ASSERT_INT_EQ(all.variation.uid, 1000);
	ASSERT_INT_EQ(all.variation.gid, 1000);
	ASSERT_INT_EQ(all.variation.cpu_count, 1);
	ASSERT_INT_EQ(all.variation.reverse_file_order, 1);
	ASSERT_INT_EQ(all.variation.env_count, 6);
	ASSERT_STR_EQ(all.variation.env[0], "LD_PRELOAD=" REPRO_VARY_FAKETIME_LIBRARY);
	ASSERT_STR_EQ(all.variation.env[1], "FAKETIME=+3d");
	ASSERT_STR_EQ(all.variation.env[2], "TZ=America/St_Johns");
	ASSERT_STR_EQ(all.variation.env[3], "LANG=POSIX");
	ASSERT_STR_EQ(all.variation.env[4], "LC_ALL=POSIX");
	ASSERT_STR_EQ(all.variation.env[5], "REPROCHECK_VARY_EXTRA=1");

	vary_fill_variation(REPRO_VARY_BIT(REPRO_VARY_ENV), &settings, &one);
	ASSERT_INT_EQ(one.variation.env_count, 1);
	ASSERT_STR_EQ(one.variation.env[0], "REPROCHECK_VARY_EXTRA=1");
	CU_ASSERT_PTR_NULL(one.variation.hostname);
}

static void test_prepare_kind(void)
{
	vary_settings settings = test_settings();
	repro_vary_outcome outcome;

	memset(&outcome, 0, sizeof(outcome));
	ASSERT_INT_EQ(vary_prepare_kind(REPRO_VARY_CPUS, &settings, &outcome), 1);
	ASSERT_STR_EQ(outcome.setting, "1 CPU instead of 4");

	memset(&outcome, 0, sizeof(outcome));
	settings.cpus_allowed = 1;
	ASSERT_INT_EQ(vary_prepare_kind(REPRO_VARY_CPUS, &settings, &outcome), 0);
	ASSERT_STR_EQ(outcome.reason, "reprocheck may use only 1 CPU here, so the count cannot change");

	memset(&outcome, 0, sizeof(outcome));
	settings.creation_ordered = 0;
	snprintf(settings.root_reason, sizeof(settings.root_reason), "hashed");
	ASSERT_INT_EQ(vary_prepare_kind(REPRO_VARY_FILE_ORDER, &settings, &outcome), 0);
	ASSERT_STR_EQ(outcome.reason, "hashed");

	memset(&outcome, 0, sizeof(outcome));
	ASSERT_INT_EQ(vary_prepare_kind(REPRO_VARY_TIMEZONE, &settings, &outcome), 1);
	ASSERT_STR_EQ(outcome.setting, "TZ=America/St_Johns");

	memset(&outcome, 0, sizeof(outcome));
	ASSERT_INT_EQ(vary_prepare_kind(REPRO_VARY_UMASK, &settings, &outcome), 1);
	ASSERT_STR_EQ(outcome.setting, "umask 0002");
}

/* Fills @p image with one layer, each digest the sha256 of the given text. */
static void make_image(repro_built_image *image, repro_built_layer *layer, const char *name,
                       const char *manifest, const char *config, const char *diff_id,
                       const char *digest)
{
	repro_error err;

	memset(image, 0, sizeof(*image));
	memset(layer, 0, sizeof(*layer));
	image->name = (char *)(uintptr_t)name;
	repro_digest_buffer(&image->manifest, REPRO_DIGEST_SHA256, manifest, strlen(manifest), &err);
	repro_digest_buffer(&image->config, REPRO_DIGEST_SHA256, config, strlen(config), &err);
	repro_digest_buffer(&layer->diff_id, REPRO_DIGEST_SHA256, diff_id, strlen(diff_id), &err);
	repro_digest_buffer(&layer->digest, REPRO_DIGEST_SHA256, digest, strlen(digest), &err);
	image->layers = layer;
	image->layer_count = 1;
}

static void test_compare_images(void)
{
	repro_built_image base, same, recompressed, changed;
	repro_built_layer layers[4];
	repro_build_result first, second;

	make_image(&base, &layers[0], "app", "m1", "c1", "d1", "g1");
	make_image(&same, &layers[1], "app", "m1", "c1", "d1", "g1");
	make_image(&recompressed, &layers[2], "app", "m2", "c1", "d1", "g2");
	make_image(&changed, &layers[3], "app", "m3", "c3", "d3", "g3");
	ASSERT_STR_EQ(repro_vary_compare_image(&base, &same), "identical");
	ASSERT_STR_EQ(repro_vary_compare_image(&base, &recompressed), "content-identical");
	ASSERT_STR_EQ(repro_vary_compare_image(&base, &changed), "mismatch");

	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	first.images = &base;
	first.image_count = 1;
	second.images = &same;
	second.image_count = 1;
	ASSERT_INT_EQ(repro_vary_builds_identical(&first, &second), 1);
	CU_ASSERT(repro_vary_find_image(&second, "app") == &same);
	CU_ASSERT_PTR_NULL(repro_vary_find_image(&second, "other"));
	second.images = &recompressed;
	ASSERT_INT_EQ(repro_vary_builds_identical(&first, &second), 0);
	second.image_count = 0;
	ASSERT_INT_EQ(repro_vary_builds_identical(&first, &second), 0);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"names", test_names},
		{"parse list", test_parse_list},
		{"status names", test_status_names},
		{"fill variation", test_fill_variation},
		{"prepare kind", test_prepare_kind},
		{"compare images", test_compare_images},
	};

	return repro_test_main("vary", cases, REPRO_ARRAY_SIZE(cases));
}

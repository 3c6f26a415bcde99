/**
 * @file reprocheck/report.h
 * @brief The verification report of `reprocheck verify`, as text for people
 *        and as JSON for machines.
 */
#ifndef REPROCHECK_REPORT_H
#define REPROCHECK_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include <reprocheck/build.h>
#include <reprocheck/compare.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Everything a report states. All pointers are borrowed. */
typedef struct repro_verify_report {
	const char *repo;                  /**< as given; never a clone's temporary path */
	const char *tag;
	const repro_build_result *build;   /**< NULL when the build did not start */
	const repro_image_verdict *verdicts;
	size_t verdict_count;
	repro_level level;
	int exit_status;                   /**< 0, 1 or 2 */
	const char *error;                 /**< the failure when exit_status is 2, or NULL */
	const char *version;               /**< reprocheck's version */
} repro_verify_report;

/** Builds the JSON report (docs/JSON-OUTPUT.md); the caller releases it with json_decref(). */
json_t *repro_report_to_json(const repro_verify_report *report);

/** Prints the readable report: a header, one line per image, then what differs. */
void repro_report_print(FILE *out, const repro_verify_report *report);

#ifdef __cplusplus
}
#endif

#endif

#include <reprocheck/report.h>

#include <stdlib.h>
#include <string.h>

#include <reprocheck/diff.h>

static const char *status_word(int exit_status)
{
	if (exit_status == 0)
		return "pass";
	return exit_status == 1 ? "fail" : "error";
}

static json_t *verdict_json(const repro_image_verdict *verdict)
{
	char text[REPRO_DIGEST_STRING_MAX];
	json_t *object = json_object(), *differences = json_array();

	json_object_set_new(object, "name", json_string(verdict->name));
	json_object_set_new(object, "platform", json_string(verdict->platform));
	json_object_set_new(object, "status", json_string(repro_status_name(verdict->status)));
	if (verdict->reason != NULL)
		json_object_set_new(object, "reason", json_string(verdict->reason));
	if (verdict->has_expected) {
		repro_digest_format(&verdict->expected_manifest, text);
		json_object_set_new(object, "expectedManifest", json_string(text));
	}
	if (verdict->has_actual) {
		repro_digest_format(&verdict->actual_manifest, text);
		json_object_set_new(object, "actualManifest", json_string(text));
	}
	for (size_t i = 0; i < verdict->difference_count; i++) {
		const repro_difference *difference = &verdict->differences[i];

		json_array_append_new(differences, json_pack("{s:s, s:s, s:s, s:s}",
			"object", difference->object, "field", difference->field,
			"expected", difference->expected, "actual", difference->actual));
	}
	json_object_set_new(object, "differences", differences);
	if (verdict->published != NULL)
		json_object_set_new(object, "published", json_string(verdict->published));
	if (verdict->diff != NULL) {
		json_t *diff = NULL;
		repro_error err;

		if (repro_diff_to_json(verdict->diff, &diff, &err) == REPRO_OK)
			json_object_set_new(object, "diff", diff);
	}
	if (verdict->diff_note != NULL)
		json_object_set_new(object, "diffNote", json_string(verdict->diff_note));
	return object;
}

json_t *repro_report_to_json(const repro_verify_report *report)
{
	json_t *document = json_object(), *images = json_array();
	const repro_build_result *build = report->build;

	json_object_set_new(document, "status", json_string(status_word(report->exit_status)));
	if (report->error != NULL)
		json_object_set_new(document, "reason", json_string(report->error));
	json_object_set_new(document, "reprocheckVersion", json_string(report->version));
	json_object_set_new(document, "repo", json_string(report->repo));
	json_object_set_new(document, "tag", json_string(report->tag));
	json_object_set_new(document, "level", json_string(report->level == REPRO_LEVEL_CONTENT ?
	                                                   "content" : "manifest"));
	if (build != NULL && build->revision.commit_id[0] != '\0') {
		json_object_set_new(document, "commit", json_string(build->revision.commit_id));
		json_object_set_new(document, "sourceDateEpoch",
		                    json_integer((json_int_t)build->source_date_epoch));
		json_object_set_new(document, "hermetic", json_boolean(build->hermetic));
		json_object_set_new(document, "compressor", json_string(build->compressor));
		if (build->log_path != NULL)
			json_object_set_new(document, "buildLog", json_string(build->log_path));
	}
	for (size_t i = 0; i < report->verdict_count; i++)
		json_array_append_new(images, verdict_json(&report->verdicts[i]));
	json_object_set_new(document, "images", images);
	return document;
}

static void print_header(FILE *out, const repro_verify_report *report)
{
	const repro_build_result *build = report->build;
	char created[32];

	fprintf(out, "repository %s, tag %s\n", report->repo, report->tag);
	if (build == NULL || build->revision.commit_id[0] == '\0')
		return;
	repro_build_format_time(build->source_date_epoch, created);
	fprintf(out, "commit %s, SOURCE_DATE_EPOCH %lld (%s)\n", build->revision.commit_id,
	        (long long)build->source_date_epoch, created);
	fprintf(out, "reprocheck %s, %s build, compressor %s, verification level %s\n\n",
	        report->version,
	        build->hermetic ? "hermetic" : "NOT hermetic (--no-sandbox)", build->compressor,
	        report->level == REPRO_LEVEL_CONTENT ? "content" : "manifest");
}

#define REPORT_DIFF_LINES 40

/* Prints the diff against the published image, indented, cut after
 * REPORT_DIFF_LINES lines with a pointer to the full comparison. */
static void print_diff(FILE *out, const repro_image_verdict *verdict)
{
	char *text = NULL;
	const char *line;
	size_t shown = 0, total = 0;
	repro_error err;

	if (verdict->diff_note != NULL) {
		fprintf(out, "  published image %s: %s\n", verdict->published, verdict->diff_note);
		return;
	}
	if (verdict->diff == NULL || repro_diff_format_text(verdict->diff, &text, &err) != REPRO_OK)
		return;
	fprintf(out, "  what differs from the published image %s\n"
	        "  (A is the published image, B the rebuild):\n", verdict->published);
	for (line = text; *line != '\0'; ) {
		const char *end = strchr(line, '\n');
		size_t length = end ? (size_t)(end - line) : strlen(line);

		total++;
		if (shown < REPORT_DIFF_LINES) {
			fprintf(out, "    %.*s\n", (int)length, line);
			shown++;
		}
		line += length + (end ? 1 : 0);
	}
	if (total > shown)
		fprintf(out, "    ... %zu more lines; run 'reprocheck diff' on the two images for all\n",
		        total - shown);
	free(text);
}

static void print_verdict(FILE *out, const repro_image_verdict *verdict, repro_level level)
{
	char text[REPRO_DIGEST_STRING_MAX];

	if (verdict->status == REPRO_STATUS_IDENTICAL) {
		repro_digest_format(&verdict->actual_manifest, text);
		fprintf(out, "%-16s %-14s identical  %s\n", verdict->name, verdict->platform, text);
		return;
	}
	fprintf(out, "%-16s %-14s %s: %s\n", verdict->name, verdict->platform,
	        repro_status_name(verdict->status), verdict->reason ? verdict->reason : "");
	for (size_t i = 0; i < verdict->difference_count; i++) {
		const repro_difference *difference = &verdict->differences[i];

		fprintf(out, "  %s %s: listed %s, rebuilt %s\n", difference->object,
		        strcmp(difference->field, "diffId") == 0 ? "diff_id" : difference->field,
		        difference->expected, difference->actual);
	}
	print_diff(out, verdict);
	if (verdict->status == REPRO_STATUS_CONTENT_IDENTICAL && level == REPRO_LEVEL_MANIFEST)
		fprintf(out, "  next: rerun with --level content to accept images whose files match "
		        "but whose compression differs\n");
	else if (verdict->status == REPRO_STATUS_MISMATCH && verdict->diff == NULL &&
	         verdict->diff_note == NULL)
		fprintf(out, "  next: pass the published image with --published SOURCE (or --published "
		        "auto to read it from the list's reference) to see which files differ, or keep "
		        "the rebuild with --keep DIR and compare DIR/images/%s with 'reprocheck diff'\n",
		        verdict->name);
}

void repro_report_print(FILE *out, const repro_verify_report *report)
{
	print_header(out, report);
	for (size_t i = 0; i < report->verdict_count; i++)
		print_verdict(out, &report->verdicts[i], report->level);
	if (report->error != NULL)
		fprintf(out, "error: %s\n", report->error);
	if (report->build != NULL && report->build->log_path != NULL && report->exit_status == 2)
		fprintf(out, "build log: %s\n", report->build->log_path);
	fprintf(out, "verdict: %s\n", status_word(report->exit_status));
}

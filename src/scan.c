#include <reprocheck/scan.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/layer.h>

void repro_scan_options_init(repro_scan_options *options)
{
	memset(options, 0, sizeof(*options));
	options->max_uncompressed_bytes = REPRO_LAYER_DEFAULT_MAX_UNCOMPRESSED;
	options->max_entries = REPRO_LAYER_DEFAULT_MAX_ENTRIES;
	options->max_path_problems = 20;
}

const char *repro_check_name(repro_check check)
{
	switch (check) {
	case REPRO_CHECK_DIGEST: return "digest";
	case REPRO_CHECK_SIZE: return "size";
	case REPRO_CHECK_DIFF_ID: return "diff_id";
	case REPRO_CHECK_DIFF_ID_COUNT: return "diff_id_count";
	case REPRO_CHECK_MEDIA_TYPE: return "media_type";
	case REPRO_CHECK_PLATFORM: return "platform";
	case REPRO_CHECK_DUPLICATE_PATH: return "duplicate_path";
	case REPRO_CHECK_UNSAFE_PATH: return "unsafe_path";
	case REPRO_CHECK_FORMAT: return "format";
	case REPRO_CHECK_MISSING: return "missing";
	}
	return "unknown";
}

static char *format_text(const char *format, va_list args)
{
	va_list copy;
	int length;
	char *text;

	va_copy(copy, args);
	length = vsnprintf(NULL, 0, format, copy);
	va_end(copy);
	if (length < 0)
		return NULL;
	text = malloc((size_t)length + 1);
	if (text != NULL)
		vsnprintf(text, (size_t)length + 1, format, args);
	return text;
}

/* Records a problem; @p expected and @p actual may be NULL. */
static int add_problem(repro_image_scan *scan, repro_check check, const char *object,
                       const char *expected, const char *actual, repro_error *err,
                       const char *format, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 7, 8)))
#endif
	;

static int add_problem(repro_image_scan *scan, repro_check check, const char *object,
                       const char *expected, const char *actual, repro_error *err,
                       const char *format, ...)
{
	repro_problem *grown, *problem;
	va_list args;

	grown = realloc(scan->problems, (scan->problem_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "recording a problem failed: out of memory");
	scan->problems = grown;
	problem = &scan->problems[scan->problem_count];
	memset(problem, 0, sizeof(*problem));
	problem->check = check;
	problem->object = strdup(object);
	problem->expected = expected ? strdup(expected) : NULL;
	problem->actual = actual ? strdup(actual) : NULL;
	va_start(args, format);
	problem->message = format_text(format, args);
	va_end(args);
	scan->problem_count++;
	if (problem->object == NULL || problem->message == NULL ||
	    (expected != NULL && problem->expected == NULL) ||
	    (actual != NULL && problem->actual == NULL))
		return repro_error_set(err, REPRO_ENOMEM, "recording a problem failed: out of memory");
	return REPRO_OK;
}

static int check_platform(repro_image_scan *scan, const repro_resolved_image *image,
                          repro_error *err)
{
	char claimed[256], stated[256];

	if (!image->manifest_descriptor.has_platform ||
	    repro_platform_match(&image->manifest_descriptor.platform, &image->config->platform))
		return REPRO_OK;
	repro_platform_format(&image->manifest_descriptor.platform, claimed, sizeof(claimed));
	repro_platform_format(&image->config->platform, stated, sizeof(stated));
	return add_problem(scan, REPRO_CHECK_PLATFORM, "index entry", claimed, stated, err,
	                   "the index lists the manifest as %s but its config says %s",
	                   claimed, stated);
}

static int check_diff_id_count(repro_image_scan *scan, const repro_resolved_image *image,
                               repro_error *err)
{
	char expected[32], actual[32];

	if (image->config->diff_id_count == image->manifest->layer_count)
		return REPRO_OK;
	snprintf(expected, sizeof(expected), "%zu", image->manifest->layer_count);
	snprintf(actual, sizeof(actual), "%zu", image->config->diff_id_count);
	return add_problem(scan, REPRO_CHECK_DIFF_ID_COUNT, "config", expected, actual, err,
	                   "the manifest has %zu layers but the config lists %zu diff_ids",
	                   image->manifest->layer_count, image->config->diff_id_count);
}

#define PROGRESS_STEP ((uint64_t)8 << 20)

/* A stream that passes bytes through and reports how many have passed. */
typedef struct progress_stream {
	repro_stream base;
	repro_stream *inner;
	const repro_scan_options *options;
	size_t index, count;
	uint64_t done, total, reported;
} progress_stream;

static ssize_t progress_read(repro_stream *stream, void *buffer, size_t size, repro_error *err)
{
	progress_stream *self = (progress_stream *)stream;
	ssize_t got = repro_stream_read(self->inner, buffer, size, err);

	if (got > 0) {
		self->done += (uint64_t)got;
		if (self->done - self->reported >= PROGRESS_STEP) {
			self->reported = self->done;
			self->options->progress(self->options->progress_context, self->index, self->count,
			                        self->done, self->total);
		}
	}
	return got;
}

static void progress_close(repro_stream *stream)
{
	progress_stream *self = (progress_stream *)stream;

	repro_stream_close(self->inner);
}

static const repro_stream_ops progress_stream_ops = {progress_read, progress_close};

/* Turns a failure of reading one layer into a problem when it is a fact
 * about the image, and returns other failures unchanged. */
static int classify_read_failure(repro_image_scan *scan, int code, const char *object,
                                 const repro_error *read_err, repro_error *err)
{
	repro_check check;

	switch (code) {
	case REPRO_EMISMATCH: check = REPRO_CHECK_SIZE; break;
	case REPRO_EFORMAT: check = REPRO_CHECK_FORMAT; break;
	case REPRO_ENOTFOUND: check = REPRO_CHECK_MISSING; break;
	default:
		if (err != NULL && err != read_err)
			*err = *read_err;
		return repro_error_prefix(err, "reading %s", object);
	}
	return add_problem(scan, check, object, NULL, NULL, err, "%s: %s", object,
	                   read_err->message);
}

static int check_paths(repro_image_scan *scan, const repro_layer_info *info, const char *object,
                       const repro_scan_options *options, repro_error *err)
{
	size_t listed = 0;
	int result = REPRO_OK;

	for (size_t i = 0; i < info->finding_count && result == REPRO_OK; i++) {
		const repro_layer_finding *finding = &info->findings[i];
		bool duplicate = finding->kind == REPRO_FINDING_DUPLICATE_PATH;

		if (listed++ == options->max_path_problems) {
			result = add_problem(scan, REPRO_CHECK_FORMAT, object, NULL, NULL, err,
				"%s: %zu more path problems not listed", object,
				info->finding_count - options->max_path_problems);
			break;
		}
		if (duplicate)
			result = add_problem(scan, REPRO_CHECK_DUPLICATE_PATH, object, NULL, finding->path,
				err, "%s: entry %zu repeats the path '%s' of entry %zu", object,
				finding->index, finding->path, finding->other_index);
		else
			result = add_problem(scan, REPRO_CHECK_UNSAFE_PATH, object, NULL, finding->path,
				err, "%s: entry %zu: %s '%s'", object, finding->index,
				repro_layer_finding_kind_name(finding->kind), finding->path);
	}
	return result;
}

/* `docker save` stores layers as plain tars, and the manifests that Docker
 * and skopeo derive from such archives still call them
 * rootfs.diff.tar.gzip; Docker's registry client accepts that pairing, so
 * it is not reported. OCI media types get no such allowance. */
static bool docker_plain_tar(const repro_descriptor *descriptor, const repro_layer_info *info)
{
	return info->compression == REPRO_COMPRESSION_NONE &&
	       strcmp(descriptor->media_type, REPRO_MEDIA_TYPE_DOCKER_LAYER_GZIP) == 0;
}

/* An unknown media type is reported once, by scan_layer(), and the
 * compression found is then not compared with it again. */
static int check_layer_result(repro_image_scan *scan, const repro_resolved_image *image,
                              size_t index, const repro_layer_info *info, const char *object,
                              bool known_media_type, repro_error *err)
{
	const repro_descriptor *descriptor = &image->manifest->layers[index];
	char expected[REPRO_DIGEST_STRING_MAX], actual[REPRO_DIGEST_STRING_MAX];
	int result = REPRO_OK;

	if (!repro_digest_equal(&info->blob_digest, &descriptor->digest)) {
		repro_digest_format(&descriptor->digest, expected);
		repro_digest_format(&info->blob_digest, actual);
		result = add_problem(scan, REPRO_CHECK_DIGEST, object, expected, actual, err,
			"%s: the manifest says %s but the blob's bytes hash to %s", object, expected,
			actual);
	}
	if (result == REPRO_OK && info->compression_mismatch && known_media_type &&
	    !docker_plain_tar(descriptor, info))
		result = add_problem(scan, REPRO_CHECK_MEDIA_TYPE, object, descriptor->media_type,
			repro_compression_name(info->compression), err,
			"%s: the media type %s does not fit its content, which is %s", object,
			descriptor->media_type, repro_compression_name(info->compression));
	if (result == REPRO_OK && index < image->config->diff_id_count &&
	    !repro_digest_equal(&info->diff_id, &image->config->diff_ids[index])) {
		repro_digest_format(&image->config->diff_ids[index], expected);
		repro_digest_format(&info->diff_id, actual);
		result = add_problem(scan, REPRO_CHECK_DIFF_ID, object, expected, actual, err,
			"%s: config rootfs.diff_ids[%zu] is %s but the layer's uncompressed digest is %s",
			object, index, expected, actual);
	}
	return result;
}

static int scan_layer(repro_image_scan *scan, repro_source *source,
                      const repro_resolved_image *image, size_t index,
                      const repro_scan_options *options, repro_error *err)
{
	const repro_descriptor *descriptor = &image->manifest->layers[index];
	repro_layer_read_options read_options;
	repro_layer_info info;
	repro_stream *stream = NULL;
	repro_compression declared = REPRO_COMPRESSION_GZIP;
	char digest_text[REPRO_DIGEST_STRING_MAX], object[REPRO_DIGEST_STRING_MAX + 32];
	repro_error read_err;
	progress_stream progress;
	bool known_media_type;
	int result;

	repro_digest_format(&descriptor->digest, digest_text);
	snprintf(object, sizeof(object), "layer %zu (%s)", index, digest_text);
	memset(&info, 0, sizeof(info));
	repro_error_clear(&read_err);

	repro_layer_read_options_init(&read_options);
	read_options.algorithm = descriptor->digest.algorithm;
	read_options.want_entries = 0;
	read_options.max_uncompressed_bytes = options->max_uncompressed_bytes;
	read_options.max_entries = options->max_entries;
	known_media_type = repro_media_type_compression(descriptor->media_type, &declared,
	                                                &read_err) == REPRO_OK;
	if (!known_media_type) {
		declared = REPRO_COMPRESSION_GZIP;
		result = add_problem(scan, REPRO_CHECK_MEDIA_TYPE, object, NULL, descriptor->media_type,
		                     err, "%s: %s", object, read_err.message);
		if (result != REPRO_OK)
			return result;
		repro_error_clear(&read_err);
	}
	read_options.compression = declared;
	read_options.detect_compression = 1;

	result = repro_source_open_blob(source, descriptor, &stream, &read_err);
	if (result == REPRO_OK && options->progress != NULL) {
		/* The wrapper lives on this frame and closes the inner stream. */
		progress.base.ops = &progress_stream_ops;
		progress.inner = stream;
		progress.options = options;
		progress.index = index;
		progress.count = image->manifest->layer_count;
		progress.done = 0;
		progress.reported = 0;
		progress.total = (uint64_t)descriptor->size;
		options->progress(options->progress_context, index, progress.count, 0, progress.total);
		if ((result = repro_layer_read(&progress.base, &read_options, &info, &read_err)) == REPRO_OK)
			options->progress(options->progress_context, index, progress.count, progress.done,
			                  progress.total);
		progress_close(&progress.base);
	} else {
		if (result == REPRO_OK)
			result = repro_layer_read(stream, &read_options, &info, &read_err);
		repro_stream_close(stream);
	}
	if (result != REPRO_OK) {
		repro_layer_info_dispose(&info);
		return classify_read_failure(scan, result, object, &read_err, err);
	}

	scan->layers[index].complete = 1;
	scan->layers[index].blob_digest = info.blob_digest;
	scan->layers[index].blob_size = info.blob_size;
	scan->layers[index].diff_id = info.diff_id;
	scan->layers[index].uncompressed_size = info.uncompressed_size;
	scan->layers[index].compression = info.compression;
	scan->layers[index].entry_count = info.entry_count;

	result = check_layer_result(scan, image, index, &info, object, known_media_type, err);
	if (result == REPRO_OK)
		result = check_paths(scan, &info, object, options, err);
	repro_layer_info_dispose(&info);
	return result;
}

int repro_image_scan_run(repro_source *source, const repro_resolved_image *image,
                         const repro_scan_options *options, repro_image_scan *out,
                         repro_error *err)
{
	repro_scan_options defaults;
	int result;

	memset(out, 0, sizeof(*out));
	if (options == NULL) {
		repro_scan_options_init(&defaults);
		options = &defaults;
	}
	if (image->manifest->layer_count > 0) {
		out->layers = calloc(image->manifest->layer_count, sizeof(*out->layers));
		if (out->layers == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "scanning an image failed: out of memory");
	}
	out->layer_count = image->manifest->layer_count;

	result = check_platform(out, image, err);
	if (result == REPRO_OK)
		result = check_diff_id_count(out, image, err);
	for (size_t i = 0; i < out->layer_count && result == REPRO_OK; i++)
		result = scan_layer(out, source, image, i, options, err);
	if (result != REPRO_OK)
		repro_image_scan_dispose(out);
	return result;
}

void repro_image_scan_dispose(repro_image_scan *scan)
{
	if (scan == NULL)
		return;
	for (size_t i = 0; i < scan->problem_count; i++) {
		free(scan->problems[i].object);
		free(scan->problems[i].expected);
		free(scan->problems[i].actual);
		free(scan->problems[i].message);
	}
	free(scan->problems);
	free(scan->layers);
	memset(scan, 0, sizeof(*scan));
}

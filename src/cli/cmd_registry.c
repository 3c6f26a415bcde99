/*
 * reprocheck registry --digests FILE [--tag TAG]: checks that the registry
 * serves, for each image of the release that has a reference, exactly the
 * index, manifest and config digests of the digest list. Images are
 * checked concurrently on one client, so connections are shared.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/digestlist.h>

#include "image_options.h"
#include "registry_check.h"

#define DEFAULT_JOBS 8
#define MAX_JOBS 64

typedef struct registry_options {
	const char *digests;
	const char *tag;
	bool json;
	long jobs;
} registry_options;

/* The images to check and the next one a worker takes. */
typedef struct work_queue {
	repro_registry *registry;
	image_check *checks;
	size_t count;
	size_t next;
	pthread_mutex_t lock;
} work_queue;

static void *worker(void *argument)
{
	work_queue *queue = argument;

	for (;;) {
		size_t index;

		pthread_mutex_lock(&queue->lock);
		index = queue->next++;
		pthread_mutex_unlock(&queue->lock);
		if (index >= queue->count)
			return NULL;
		image_check_run(queue->registry, queue->checks[index].release,
		                queue->checks[index].image, &queue->checks[index]);
	}
}

static void run_checks(work_queue *queue, long jobs)
{
	pthread_t threads[MAX_JOBS];
	long started = 0;

	if ((size_t)jobs > queue->count)
		jobs = (long)queue->count;
	for (; started < jobs; started++) {
		if (pthread_create(&threads[started], NULL, worker, queue) != 0)
			break;
	}
	if (started == 0)
		worker(queue);
	for (long i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
}

/* Collects the images with a reference of the selected releases. */
static int collect(const repro_digestlist *list, const char *tag, image_check **out,
                   size_t *count, repro_error *err)
{
	const repro_digestlist_release *only = NULL;
	size_t used = 0, capacity = 0;
	image_check *checks = NULL;

	*out = NULL;
	*count = 0;
	if (tag != NULL && repro_digestlist_find_release(list, tag, &only, err) != REPRO_OK)
		return err->code;
	for (size_t r = 0; r < list->release_count; r++) {
		const repro_digestlist_release *release = list->releases[r];

		if (only != NULL && release != only)
			continue;
		for (size_t i = 0; i < release->image_count; i++) {
			if (release->images[i].reference == NULL)
				continue;
			if (used == capacity) {
				image_check *grown;

				capacity = capacity ? capacity * 2 : 16;
				if ((grown = realloc(checks, capacity * sizeof(*grown))) == NULL) {
					free(checks);
					return repro_error_set(err, REPRO_ENOMEM, "collecting images failed");
				}
				checks = grown;
			}
			memset(&checks[used], 0, sizeof(checks[used]));
			checks[used].release = release;
			checks[used].image = &release->images[i];
			used++;
		}
	}
	if (used == 0) {
		free(checks);
		return repro_error_set(err, REPRO_ENOTFOUND, "digest list '%s' has no image with a "
		                       "'reference'%s%s", list->name, tag ? " for tag " : "",
		                       tag ? tag : "");
	}
	*out = checks;
	*count = used;
	return REPRO_OK;
}

static json_t *pair_json(const digest_pair *pair)
{
	char text[REPRO_DIGEST_STRING_MAX];
	json_t *object = json_object();

	if (pair->has_expected) {
		repro_digest_format(&pair->expected, text);
		json_object_set_new(object, "expected", json_string(text));
	}
	if (pair->has_actual) {
		repro_digest_format(&pair->actual, text);
		json_object_set_new(object, "actual", json_string(text));
	}
	return object;
}

static json_t *check_json(const image_check *check)
{
	json_t *object = json_object(), *platforms = json_array();

	json_object_set_new(object, "release", check->release->tag ?
	                    json_string(check->release->tag) : json_null());
	json_object_set_new(object, "name", json_string(check->image->name));
	json_object_set_new(object, "reference", json_string(check->reference[0] ?
	                    check->reference : check->image->reference));
	json_object_set_new(object, "status", json_string(check_status_name(check->status)));
	if (check->reason[0] != '\0')
		json_object_set_new(object, "reason", json_string(check->reason));
	if (check->index.has_expected || check->index.has_actual)
		json_object_set_new(object, "index", pair_json(&check->index));
	for (size_t i = 0; i < check->platform_count; i++) {
		const platform_check *platform = &check->platforms[i];
		json_t *entry = json_object();

		json_object_set_new(entry, "platform", platform->listed->platform ?
		                    json_string(platform->listed->platform) : json_null());
		json_object_set_new(entry, "status", json_string(check_status_name(platform->status)));
		if (platform->reason[0] != '\0')
			json_object_set_new(entry, "reason", json_string(platform->reason));
		json_object_set_new(entry, "manifest", pair_json(&platform->manifest));
		if (platform->config.has_expected || platform->config.has_actual)
			json_object_set_new(entry, "config", pair_json(&platform->config));
		json_array_append_new(platforms, entry);
	}
	json_object_set_new(object, "platforms", platforms);
	return object;
}

static void print_table(const image_check *checks, size_t count)
{
	char digest[REPRO_DIGEST_STRING_MAX];

	printf("%-24s %-16s %-10s %s\n", "IMAGE", "PLATFORM", "STATUS", "DETAIL");
	for (size_t i = 0; i < count; i++) {
		const image_check *check = &checks[i];

		for (size_t p = 0; p < check->platform_count; p++) {
			const platform_check *platform = &check->platforms[p];

			if (platform->status == CHECK_IDENTICAL)
				repro_digest_format(&platform->manifest.actual, digest);
			printf("%-24s %-16s %-10s %s\n", check->image->name,
			       platform->listed->platform ? platform->listed->platform : "-",
			       check_status_name(platform->status),
			       platform->status == CHECK_IDENTICAL ? digest : platform->reason);
		}
		if (check->status != CHECK_IDENTICAL && check->reason[0] != '\0')
			fprintf(stderr, "reprocheck: %s (%s): %s\n", check->image->name,
			        check->reference[0] ? check->reference : check->image->reference,
			        check->reason);
	}
}

static int parse_options(registry_options *options, int argc, char **argv);

static int run_registry(const repro_cli *cli, int argc, char **argv);

const repro_command repro_command_registry = {
	"registry",
	"check that a registry serves exactly the digests of a digest list",
	"reprocheck registry --digests FILE [--tag TAG] [--jobs N] [--json]",
	run_registry,
};

static int parse_options(registry_options *options, int argc, char **argv)
{
	static const struct option long_options[] = {
		{"digests", required_argument, NULL, 'd'},
		{"tag", required_argument, NULL, 't'},
		{"jobs", required_argument, NULL, 'j'},
		{"json", no_argument, NULL, 'J'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int option;

	memset(options, 0, sizeof(*options));
	options->jobs = DEFAULT_JOBS;
	opterr = 0;
	while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (option) {
		case 'd': options->digests = optarg; break;
		case 't': options->tag = optarg; break;
		case 'J': options->json = true; break;
		case 'j':
			options->jobs = strtol(optarg, &end, 10);
			if (*end != '\0' || options->jobs < 1 || options->jobs > MAX_JOBS)
				return repro_cli_usage_error(&repro_command_registry, "invalid --jobs '%s': "
				                             "expected a number from 1 to %d", optarg, MAX_JOBS);
			break;
		default:
			return repro_cli_usage_error(&repro_command_registry, "unknown option '%s'",
			                             argv[optind - 1]);
		}
	}
	if (optind < argc)
		return repro_cli_usage_error(&repro_command_registry, "unexpected argument '%s'",
		                             argv[optind]);
	if (options->digests == NULL)
		return repro_cli_usage_error(&repro_command_registry, "missing --digests FILE");
	return 0;
}

static int overall_status(const image_check *checks, size_t count)
{
	int status = 0;

	for (size_t i = 0; i < count; i++) {
		int image_status = checks[i].status == CHECK_ERROR ? 2 :
		                   checks[i].status == CHECK_IDENTICAL ? 0 : 1;

		if (image_status > status)
			status = image_status;
	}
	return status;
}

static int run_registry(const repro_cli *cli, int argc, char **argv)
{
	registry_options options;
	repro_registry_settings settings;
	repro_digestlist *list = NULL;
	work_queue queue;
	repro_error err;
	json_t *document, *images;
	int status;

	if ((status = parse_options(&options, argc, argv)) != 0)
		return status;
	memset(&queue, 0, sizeof(queue));
	repro_error_clear(&err);
	cli_registry_settings(cli, &settings);
	if (repro_digestlist_load(&list, options.digests, &err) != REPRO_OK ||
	    collect(list, options.tag, &queue.checks, &queue.count, &err) != REPRO_OK ||
	    repro_registry_new(&queue.registry, &settings, &err) != REPRO_OK) {
		status = repro_cli_fail(&err);
		if (options.json) {
			document = json_pack("{s:s, s:s, s:s, s:[]}", "digests", options.digests, "status",
			                     status_word(status), "reason", err.message, "images");
			print_json_document(document);
			json_decref(document);
		}
		goto done;
	}
	pthread_mutex_init(&queue.lock, NULL);
	repro_cli_log(cli, 1, "checking %zu image%s with %ld jobs", queue.count,
	              queue.count == 1 ? "" : "s", options.jobs);
	run_checks(&queue, options.jobs);
	pthread_mutex_destroy(&queue.lock);
	status = overall_status(queue.checks, queue.count);

	if (options.json) {
		images = json_array();
		for (size_t i = 0; i < queue.count; i++)
			json_array_append_new(images, check_json(&queue.checks[i]));
		document = json_pack("{s:s, s:o, s:s, s:o}", "digests", options.digests, "tag",
		                     options.tag ? json_string(options.tag) : json_null(), "status",
		                     status_word(status), "images", images);
		print_json_document(document);
		json_decref(document);
	} else {
		print_table(queue.checks, queue.count);
	}

done:
	for (size_t i = 0; i < queue.count; i++)
		image_check_dispose(&queue.checks[i]);
	free(queue.checks);
	repro_registry_free(queue.registry);
	repro_digestlist_free(list);
	return status;
}

/*
 * reprocheck cluster: lists the pods of a Kubernetes cluster, or reads
 * them from `kubectl get pods -o json` output, and checks that every
 * container runs an image whose digest the digest list publishes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/kube.h>

#include "fileutil_internal.h"
#include "image_options.h"

/* Environment variable that moves the service account directory, for
 * tests and for pods that mount the token elsewhere. */
#define SERVICE_ACCOUNT_DIR_VARIABLE "REPROCHECK_SERVICE_ACCOUNT_DIR"

typedef struct cluster_arguments {
	const char *digests;
	const char *tag;
	const char *kubeconfig;
	const char *context;
	const char *pods_json;
	const char *namespace_name;
	const char *selector;
	bool in_cluster;
	bool all_namespaces;
	bool json;
} cluster_arguments;

/* One checked container, in pod order. */
typedef struct cluster_row {
	const repro_kube_pod *pod;
	const repro_kube_container *container;
	repro_kube_check check;
} cluster_row;

typedef struct cluster_report {
	char *source;                /* where the pods came from */
	const char *server;          /* the API server, or NULL */
	const char *namespace_name;  /* NULL for every namespace */
	cluster_row *rows;
	size_t row_count;
	size_t counts[4];            /* by repro_kube_status */
} cluster_report;

static int run_cluster(const repro_cli *cli, int argc, char **argv);

const repro_command repro_command_cluster = {
	"cluster",
	"check that every container in a cluster runs an image the digest list publishes",
	"reprocheck cluster --digests FILE [--tag TAG] [--kubeconfig FILE] [--context NAME]\n"
	"                   [--in-cluster] [--pods-json FILE|-] [--namespace NS | --all-namespaces]\n"
	"                   [--selector LABELS] [--json]",
	"options:\n"
	"  --digests FILE       digest list whose index, manifest and config digests are\n"
	"                       the allowed images\n"
	"  --tag TAG            allow the images of this release only\n"
	"  --kubeconfig FILE    kubeconfig to read (default: $KUBECONFIG, then ~/.kube/config)\n"
	"  --context NAME       kubeconfig context (default: the current context)\n"
	"  --in-cluster         use the pod's service account instead of a kubeconfig\n"
	"  --pods-json FILE|-   read 'kubectl get pods -o json' output instead of the API\n"
	"  --namespace NS       one namespace (default: the context's, or 'default')\n"
	"  --all-namespaces     every namespace\n"
	"  --selector LABELS    only pods matching the label selector, such as app=web\n"
	"  --json               print one JSON document (docs/JSON-OUTPUT.md)\n",
	run_cluster,
};

enum { OPT_DIGESTS = 256, OPT_TAG, OPT_KUBECONFIG, OPT_CONTEXT, OPT_IN_CLUSTER, OPT_PODS_JSON,
       OPT_NAMESPACE, OPT_ALL_NAMESPACES, OPT_SELECTOR, OPT_JSON };

static int check_combinations(const cluster_arguments *arguments)
{
	const repro_command *command = &repro_command_cluster;

	if (arguments->digests == NULL)
		return repro_cli_usage_error(command, "missing --digests FILE");
	if (arguments->namespace_name != NULL && arguments->all_namespaces)
		return repro_cli_usage_error(command, "--namespace and --all-namespaces exclude each other");
	if (arguments->in_cluster && (arguments->kubeconfig != NULL || arguments->context != NULL))
		return repro_cli_usage_error(command, "--in-cluster excludes --kubeconfig and --context");
	if (arguments->pods_json != NULL &&
	    (arguments->in_cluster || arguments->kubeconfig != NULL || arguments->context != NULL))
		return repro_cli_usage_error(command,
			"--pods-json reads pods from a file, so it excludes --in-cluster, --kubeconfig and --context");
	if (arguments->pods_json != NULL && arguments->selector != NULL)
		return repro_cli_usage_error(command,
			"--selector needs the API server; select pods with kubectl instead when using --pods-json");
	return 0;
}

static int parse_arguments(cluster_arguments *arguments, int argc, char **argv)
{
	static const struct option long_options[] = {
		{"digests", required_argument, NULL, OPT_DIGESTS},
		{"tag", required_argument, NULL, OPT_TAG},
		{"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
		{"context", required_argument, NULL, OPT_CONTEXT},
		{"in-cluster", no_argument, NULL, OPT_IN_CLUSTER},
		{"pods-json", required_argument, NULL, OPT_PODS_JSON},
		{"namespace", required_argument, NULL, OPT_NAMESPACE},
		{"all-namespaces", no_argument, NULL, OPT_ALL_NAMESPACES},
		{"selector", required_argument, NULL, OPT_SELECTOR},
		{"json", no_argument, NULL, OPT_JSON},
		{NULL, 0, NULL, 0},
	};
	int option;

	memset(arguments, 0, sizeof(*arguments));
	opterr = 0;
	optind = 1;
	while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (option) {
		case OPT_DIGESTS: arguments->digests = optarg; break;
		case OPT_TAG: arguments->tag = optarg; break;
		case OPT_KUBECONFIG: arguments->kubeconfig = optarg; break;
		case OPT_CONTEXT: arguments->context = optarg; break;
		case OPT_IN_CLUSTER: arguments->in_cluster = true; break;
		case OPT_PODS_JSON: arguments->pods_json = optarg; break;
		case OPT_NAMESPACE: arguments->namespace_name = optarg; break;
		case OPT_ALL_NAMESPACES: arguments->all_namespaces = true; break;
		case OPT_SELECTOR: arguments->selector = optarg; break;
		case OPT_JSON: arguments->json = true; break;
		default:
			return repro_cli_usage_error(&repro_command_cluster, "unknown or incomplete option '%s'",
			                             argv[optind - 1]);
		}
	}
	if (optind < argc)
		return repro_cli_usage_error(&repro_command_cluster, "unexpected argument '%s'", argv[optind]);
	return check_combinations(arguments);
}

/* Reads standard input up to the pod document limit. */
static int read_stdin(unsigned char **out, size_t *size, repro_error *err)
{
	size_t capacity = 65536, used = 0;
	unsigned char *buffer = malloc(capacity + 1);

	*out = NULL;
	while (buffer != NULL) {
		size_t got = fread(buffer + used, 1, capacity - used, stdin);

		used += got;
		if (got == 0) {
			if (ferror(stdin)) {
				free(buffer);
				return repro_error_set_errno(err, REPRO_EIO, errno, "reading pods from standard input failed");
			}
			buffer[used] = '\0';
			*out = buffer;
			*size = used;
			return REPRO_OK;
		}
		if (used == capacity) {
			unsigned char *grown;

			if (capacity >= REPRO_KUBE_PODS_JSON_MAX_BYTES) {
				free(buffer);
				return repro_error_set(err, REPRO_ELIMIT, "the pods on standard input are more than %zu bytes",
				                       REPRO_KUBE_PODS_JSON_MAX_BYTES);
			}
			grown = realloc(buffer, capacity * 2 + 1);
			if (grown == NULL)
				free(buffer);
			buffer = grown;
			capacity *= 2;
		}
	}
	return repro_error_set(err, REPRO_ENOMEM, "reading pods from standard input: out of memory");
}

static int read_pods_json(const cluster_arguments *arguments, cluster_report *report,
                          repro_kube_pod_list *pods, repro_error *err)
{
	bool from_stdin = strcmp(arguments->pods_json, "-") == 0;
	const char *name = from_stdin ? "standard input" : arguments->pods_json;
	unsigned char *bytes = NULL;
	size_t size = 0;
	int result;

	if (asprintf(&report->source, "pods-json '%s'", name) < 0) {
		report->source = NULL;
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	}
	if (from_stdin)
		result = read_stdin(&bytes, &size, err);
	else
		result = repro_file_read_all(arguments->pods_json, REPRO_KUBE_PODS_JSON_MAX_BYTES, &bytes, &size, err);
	if (result == REPRO_OK)
		result = repro_kube_pods_parse(pods, bytes, size, name, err);
	free(bytes);
	report->namespace_name = arguments->namespace_name;
	return result;
}

static int load_settings(const cluster_arguments *arguments, repro_kube_settings *settings,
                         repro_error *err)
{
	repro_kube_config *config = NULL;
	int result;

	if (arguments->in_cluster)
		return repro_kube_in_cluster_load(settings, getenv(SERVICE_ACCOUNT_DIR_VARIABLE), err);
	result = repro_kube_config_load(&config, arguments->kubeconfig, err);
	if (result == REPRO_OK)
		result = repro_kube_config_select(config, arguments->context, settings, err);
	repro_kube_config_free(config);
	if (result == REPRO_OK)
		result = repro_kube_settings_resolve(settings, err);
	return result;
}

static int list_from_server(const repro_cli *cli, const cluster_arguments *arguments,
                            repro_kube_settings *settings, cluster_report *report,
                            repro_kube_pod_list *pods, repro_error *err)
{
	repro_kube_list_options options;
	unsigned int restarts = 0, pages = 0;
	int result = load_settings(arguments, settings, err);

	if (result != REPRO_OK)
		return result;
	memset(&options, 0, sizeof(options));
	if (!arguments->all_namespaces)
		options.namespace_name = arguments->namespace_name ? arguments->namespace_name :
		                         settings->namespace_name ? settings->namespace_name : "default";
	options.label_selector = arguments->selector;
	options.restarts = &restarts;
	options.pages = &pages;
	report->server = settings->server;
	report->namespace_name = options.namespace_name;
	if (settings->context != NULL)
		result = asprintf(&report->source, "%s, context '%s'", settings->source, settings->context);
	else
		result = asprintf(&report->source, "%s", settings->source);
	if (result < 0) {
		report->source = NULL;
		return repro_error_set(err, REPRO_ENOMEM, "out of memory");
	}

	repro_cli_log(cli, 1, "listing pods in %s%s%s from '%s' (%s)",
	              options.namespace_name ? "namespace '" : "all namespaces",
	              options.namespace_name ? options.namespace_name : "",
	              options.namespace_name ? "'" : "", settings->server, report->source);
	result = repro_kube_list_pods(settings, &options, pods, err);
	if (restarts > 0)
		repro_cli_log(cli, 0, "warning: a continue token expired, so the pod listing restarted from the first page");
	repro_cli_log(cli, 1, "read %zu pods in %u pages", pods->pod_count, pages);
	return result;
}

/* Checks every container; with @p only_namespace, of the pods in that
 * namespace alone, as --namespace asks for pods read from a file. */
static int check_pods(const repro_digestlist *list, const char *tag, const repro_kube_pod_list *pods,
                      const char *only_namespace, cluster_report *report, repro_error *err)
{
	size_t total = 0;

	for (size_t i = 0; i < pods->pod_count; i++)
		total += pods->pods[i].container_count;
	report->rows = calloc(total ? total : 1, sizeof(*report->rows));
	if (report->rows == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "checking %zu containers: out of memory", total);
	for (size_t i = 0; i < pods->pod_count; i++) {
		if (only_namespace != NULL && strcmp(pods->pods[i].namespace_name, only_namespace) != 0)
			continue;
		for (size_t j = 0; j < pods->pods[i].container_count; j++) {
			cluster_row *row = &report->rows[report->row_count++];
			int result;

			row->pod = &pods->pods[i];
			row->container = &pods->pods[i].containers[j];
			result = repro_kube_check_container(list, tag, row->container, &row->check, err);
			if (result != REPRO_OK)
				return result;
			report->counts[row->check.status]++;
		}
	}
	return REPRO_OK;
}

static json_t *row_json(const cluster_row *row)
{
	const repro_kube_check *check = &row->check;
	static const char *const kinds[] = {"index", "manifest", "config"};
	json_t *object = json_object();
	char text[REPRO_DIGEST_STRING_MAX];

	json_object_set_new(object, "namespace", json_string(row->pod->namespace_name));
	json_object_set_new(object, "pod", json_string(row->pod->name));
	json_object_set_new(object, "container", json_string(row->container->name));
	json_object_set_new(object, "kind", json_string(repro_kube_container_kind_name(row->container->kind)));
	json_object_set_new(object, "image", row->container->image ? json_string(row->container->image) : json_null());
	json_object_set_new(object, "imageID", row->container->image_id ? json_string(row->container->image_id) : json_null());
	json_object_set_new(object, "status", json_string(repro_kube_status_name(check->status)));
	if (check->has_digest) {
		repro_digest_format(&check->digest, text);
		json_object_set_new(object, "digest", json_string(text));
	}
	if (check->release != NULL && check->release->tag != NULL)
		json_object_set_new(object, "release", json_string(check->release->tag));
	if (check->image != NULL)
		json_object_set_new(object, "listedImage", json_string(check->image->name));
	if (check->status == REPRO_KUBE_IDENTICAL) {
		json_object_set_new(object, "matched", json_string(kinds[check->kind]));
		if (check->platform != NULL && check->platform->platform != NULL)
			json_object_set_new(object, "platform", json_string(check->platform->platform));
	}
	if (check->reason[0] != '\0')
		json_object_set_new(object, "reason", json_string(check->reason));
	return object;
}

static void print_json(const cluster_arguments *arguments, const cluster_report *report, int status,
                       const char *error)
{
	json_t *document = json_object(), *containers = json_array();

	json_object_set_new(document, "status", json_string(status_word(status)));
	json_object_set_new(document, "digests", json_string(arguments->digests));
	if (arguments->tag != NULL)
		json_object_set_new(document, "tag", json_string(arguments->tag));
	if (report->source != NULL)
		json_object_set_new(document, "source", json_string(report->source));
	if (report->server != NULL)
		json_object_set_new(document, "server", json_string(report->server));
	json_object_set_new(document, "namespace",
	                    report->namespace_name ? json_string(report->namespace_name) : json_null());
	if (error != NULL)
		json_object_set_new(document, "error", json_string(error));
	json_object_set_new(document, "counts", json_pack("{s:I, s:I, s:I, s:I, s:I}",
		"containers", (json_int_t)report->row_count,
		"identical", (json_int_t)report->counts[REPRO_KUBE_IDENTICAL],
		"unlisted", (json_int_t)report->counts[REPRO_KUBE_UNLISTED],
		"mismatch", (json_int_t)report->counts[REPRO_KUBE_MISMATCH],
		"error", (json_int_t)report->counts[REPRO_KUBE_ERROR]));
	for (size_t i = 0; i < report->row_count; i++)
		json_array_append_new(containers, row_json(&report->rows[i]));
	json_object_set_new(document, "containers", containers);
	print_json_document(document);
	json_decref(document);
}

static void widen(int *width, const char *text)
{
	int length = (int)strlen(text ? text : "-");

	if (length > *width)
		*width = length;
}

static void print_table(const cluster_report *report)
{
	int widths[5] = {9, 3, 9, 4, 5};

	for (size_t i = 0; i < report->row_count; i++) {
		const cluster_row *row = &report->rows[i];

		widen(&widths[0], row->pod->namespace_name);
		widen(&widths[1], row->pod->name);
		widen(&widths[2], row->container->name);
		widen(&widths[3], repro_kube_container_kind_name(row->container->kind));
		widen(&widths[4], row->container->image);
	}
	printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", widths[0], "NAMESPACE", widths[1], "POD", widths[2],
	       "CONTAINER", widths[3], "KIND", widths[4], "IMAGE", "STATUS");
	for (size_t i = 0; i < report->row_count; i++) {
		const cluster_row *row = &report->rows[i];

		printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", widths[0], row->pod->namespace_name, widths[1],
		       row->pod->name, widths[2], row->container->name, widths[3],
		       repro_kube_container_kind_name(row->container->kind), widths[4],
		       row->container->image ? row->container->image : "-", repro_kube_status_name(row->check.status));
	}
	for (size_t i = 0; i < report->row_count; i++) {
		const cluster_row *row = &report->rows[i];

		if (row->check.reason[0] != '\0')
			printf("%s%s/%s/%s: %s\n", i == 0 || report->rows[i - 1].check.reason[0] == '\0' ? "\n" : "",
			       row->pod->namespace_name, row->pod->name, row->container->name, row->check.reason);
	}
	printf("\n%zu containers: %zu identical, %zu unlisted, %zu mismatch, %zu error\n", report->row_count,
	       report->counts[REPRO_KUBE_IDENTICAL], report->counts[REPRO_KUBE_UNLISTED],
	       report->counts[REPRO_KUBE_MISMATCH], report->counts[REPRO_KUBE_ERROR]);
}

static int gather_and_check(const repro_cli *cli, const cluster_arguments *arguments,
                            repro_kube_settings *settings, repro_kube_pod_list *pods,
                            repro_digestlist **list, cluster_report *report, repro_error *err)
{
	const repro_digestlist_release *release;
	int result = repro_digestlist_load(list, arguments->digests, err);

	if (result == REPRO_OK && arguments->tag != NULL)
		result = repro_digestlist_find_release(*list, arguments->tag, &release, err);
	if (result != REPRO_OK)
		return result;
	if (arguments->pods_json != NULL)
		result = read_pods_json(arguments, report, pods, err);
	else
		result = list_from_server(cli, arguments, settings, report, pods, err);
	if (result == REPRO_OK)
		result = check_pods(*list, arguments->tag, pods,
		                    arguments->pods_json != NULL ? arguments->namespace_name : NULL, report, err);
	return result;
}

static int run_cluster(const repro_cli *cli, int argc, char **argv)
{
	cluster_arguments arguments;
	cluster_report report;
	repro_kube_settings settings;
	repro_kube_pod_list pods;
	repro_digestlist *list = NULL;
	repro_error err;
	int status = parse_arguments(&arguments, argc, argv);

	if (status != 0)
		return status;
	memset(&report, 0, sizeof(report));
	repro_kube_settings_init(&settings);
	repro_kube_pod_list_init(&pods);
	repro_error_clear(&err);

	if (gather_and_check(cli, &arguments, &settings, &pods, &list, &report, &err) != REPRO_OK) {
		repro_cli_error("%s", err.message);
		if (arguments.json) {
			report.row_count = 0;
			print_json(&arguments, &report, 2, err.message);
		}
		status = 2;
		goto done;
	}

	/* A definite finding decides; otherwise a container that could not be
	 * checked leaves no verdict, because it must never count as a match. */
	if (report.counts[REPRO_KUBE_UNLISTED] + report.counts[REPRO_KUBE_MISMATCH] > 0)
		status = 1;
	else
		status = report.counts[REPRO_KUBE_ERROR] > 0 ? 2 : 0;
	if (arguments.json)
		print_json(&arguments, &report, status, NULL);
	else
		print_table(&report);
	if (report.row_count == 0)
		repro_cli_log(cli, 0, "warning: no pods found in %s", report.source);
	if (report.counts[REPRO_KUBE_ERROR] > 0)
		repro_cli_log(cli, 0, "warning: %zu containers could not be checked, most often because their pods "
		              "are pending: they have no verdict, so the run cannot pass until they report an "
		              "imageID", report.counts[REPRO_KUBE_ERROR]);

done:
	free(report.rows);
	free(report.source);
	repro_kube_pod_list_dispose(&pods);
	repro_kube_settings_dispose(&settings);
	repro_digestlist_free(list);
	return status;
}

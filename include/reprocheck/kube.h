/**
 * @file reprocheck/kube.h
 * @brief Kubernetes: connection settings from a kubeconfig or from inside a
 *        pod, listing pods through the API server, the pod model, image IDs
 *        and the check of each container against a digest list.
 *
 * The steps of `reprocheck cluster`:
 *
 * 1. repro_kube_config_load() reads kubeconfig files (the YAML that kubectl
 *    reads), and repro_kube_config_select() picks a context and fills
 *    repro_kube_settings. Inside a pod, repro_kube_in_cluster_load() fills
 *    the same settings from the pod's service account.
 * 2. repro_kube_settings_resolve() reads the files the settings name and
 *    runs an exec credential plugin, so that every credential is in memory.
 * 3. repro_kube_list_pods() lists pods over HTTPS, page by page, into a
 *    repro_kube_pod_list; repro_kube_pods_parse() reads the same model
 *    from `kubectl get pods -o json` output.
 * 4. repro_kube_check_container() classifies each container's imageID
 *    against the digest list.
 *
 * Secrets (tokens, client keys) are wiped when their struct is disposed and
 * never appear in error messages.
 */
#ifndef REPROCHECK_KUBE_H
#define REPROCHECK_KUBE_H

#include <stdbool.h>
#include <stddef.h>

#include <reprocheck/digest.h>
#include <reprocheck/digestlist.h>
#include <reprocheck/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum size of one kubeconfig file. */
#define REPRO_KUBE_CONFIG_MAX_BYTES ((size_t)4 * 1024 * 1024)
/** Maximum number of YAML nodes in a kubeconfig, counting each alias as
 *  the whole subtree it repeats, so that nested aliases cannot expand to
 *  billions of nodes. */
#define REPRO_KUBE_CONFIG_MAX_NODES 100000
/** Maximum nesting depth of a kubeconfig's YAML. */
#define REPRO_KUBE_CONFIG_MAX_DEPTH 64
/** Maximum number of files in $KUBECONFIG. */
#define REPRO_KUBE_CONFIG_MAX_FILES 64
/** Maximum size of a file a kubeconfig names (CA, certificate, key, token)
 *  and of an exec plugin's output. */
#define REPRO_KUBE_CREDENTIAL_MAX_BYTES ((size_t)1024 * 1024)
/** Maximum size of a `--pods-json` document. */
#define REPRO_KUBE_PODS_JSON_MAX_BYTES ((size_t)256 * 1024 * 1024)
/** Maximum size of one page of a pod list from the API server. */
#define REPRO_KUBE_PAGE_MAX_BYTES ((size_t)64 * 1024 * 1024)
/** Maximum number of pods in one listing, and of containers in one pod. */
#define REPRO_KUBE_MAX_PODS 200000
#define REPRO_KUBE_MAX_CONTAINERS 1024

/** A byte buffer: PEM data or a token. */
typedef struct repro_kube_blob {
	unsigned char *data;  /**< malloc()ed and NUL-terminated, or NULL */
	size_t size;          /**< length without the NUL */
} repro_kube_blob;

/** An exec credential plugin, as a kubeconfig user's `exec` key names it. */
typedef struct repro_kube_exec {
	char *api_version;     /**< client.authentication.k8s.io/v1 or v1beta1 */
	char *command;         /**< a path with '/' is already resolved against the kubeconfig */
	char **args;
	size_t arg_count;
	char **env;            /**< "NAME=VALUE" strings added to the environment */
	size_t env_count;
	char *install_hint;    /**< shown when the command is not found; may be NULL */
	bool provide_cluster_info;
	unsigned int timeout_seconds;  /**< 0 means 60 */
} repro_kube_exec;

/**
 * How to reach one API server and who to be there. Caller-owned:
 * initialise with repro_kube_settings_init() and release with
 * repro_kube_settings_dispose(), which wipes the secrets.
 */
typedef struct repro_kube_settings {
	char *source;          /**< "kubeconfig 'PATH'" or "in-cluster service account": for messages */
	char *context;         /**< the context name, or NULL in a cluster */
	char *cluster;         /**< the cluster name, or NULL in a cluster */
	char *user;            /**< the user name, or NULL for none */
	char *namespace_name;  /**< the context's namespace, or NULL when it sets none */
	char *server;          /**< https://HOST[:PORT][/PATH], without a trailing '/' */
	bool insecure_skip_tls_verify;
	char *ca_file;         /**< absolute path, or NULL */
	repro_kube_blob ca;    /**< PEM CA certificates; read from ca_file by resolve */
	char *client_cert_file;
	repro_kube_blob client_cert;  /**< PEM */
	char *client_key_file;
	repro_kube_blob client_key;   /**< PEM; secret */
	char *token_file;
	repro_kube_blob token;        /**< bearer token; secret */
	repro_kube_exec *exec;        /**< NULL unless the user has an exec plugin */
	bool resolved;                /**< set by repro_kube_settings_resolve() */
} repro_kube_settings;

/** Zeroes @p settings. */
void repro_kube_settings_init(repro_kube_settings *settings);

/** Releases everything @p settings owns, wiping secrets first, and zeroes
 *  it. Safe on an initialised or already disposed struct. */
void repro_kube_settings_dispose(repro_kube_settings *settings);

/** One or more parsed kubeconfig files. Opaque; freed with
 *  repro_kube_config_free(). */
typedef struct repro_kube_config repro_kube_config;

/**
 * Parses @p size bytes of kubeconfig YAML into a new config of one file.
 * @p name names it in messages; relative paths in it are resolved against
 * @p base_dir (the file's directory; NULL means the current directory).
 * Only the structure is checked here: the top level is a mapping, and
 * `clusters`, `contexts` and `users` are sequences of entries with unique
 * names. Errors are REPRO_EFORMAT and REPRO_ELIMIT. The caller frees
 * @p out with repro_kube_config_free().
 */
int repro_kube_config_parse(repro_kube_config **out, const void *bytes, size_t size,
                            const char *name, const char *base_dir, repro_error *err);

/**
 * Reads the kubeconfig that kubectl would read: @p path when not NULL,
 * otherwise each file of $KUBECONFIG (a ':'-separated list, where missing
 * files are skipped and, for every name, the first file that defines it
 * wins), otherwise ~/.kube/config. No file to read is REPRO_ENOTFOUND.
 * The caller frees @p out with repro_kube_config_free().
 */
int repro_kube_config_load(repro_kube_config **out, const char *path, repro_error *err);

/** Releases @p config. Safe on NULL. */
void repro_kube_config_free(repro_kube_config *config);

/**
 * Fills @p out, which must be initialised, with the settings of the
 * context @p context, or of the current-context when @p context is NULL.
 * Fields are checked here, with messages that name the file and key path.
 * A missing current-context, context, cluster or user is REPRO_ENOTFOUND
 * naming it. A malformed field (base64, a server URL, both a key and its
 * file) is REPRO_EFORMAT. An authentication method that reprocheck does
 * not implement (auth-provider, basic auth, impersonation, a proxy) is
 * REPRO_EUNSUPPORTED. Files are not read and plugins are not run: see
 * repro_kube_settings_resolve().
 */
int repro_kube_config_select(const repro_kube_config *config, const char *context,
                             repro_kube_settings *out, repro_error *err);

/** Default directory of a pod's service account files. */
#define REPRO_KUBE_SERVICE_ACCOUNT_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/**
 * Fills @p out, which must be initialised, with the settings a pod uses to
 * reach its own cluster: the server from $KUBERNETES_SERVICE_HOST and
 * $KUBERNETES_SERVICE_PORT, and `token`, `ca.crt` and (when present)
 * `namespace` from @p service_account_dir, or from
 * REPRO_KUBE_SERVICE_ACCOUNT_DIR when it is NULL. The token and CA are
 * read here. Missing variables or files are REPRO_ENOTFOUND.
 */
int repro_kube_in_cluster_load(repro_kube_settings *out, const char *service_account_dir,
                               repro_error *err);

/**
 * Reads the CA, client certificate, client key and token files that
 * @p settings names, and runs its exec credential plugin, if any, so that
 * every credential is in memory. Tokens are stripped of surrounding
 * whitespace. A plugin that fails, prints no usable ExecCredential, or
 * returns a credential whose expirationTimestamp has passed is
 * REPRO_EAUTH; a plugin that runs longer than its timeout is
 * REPRO_ETIMEOUT. Idempotent.
 */
int repro_kube_settings_resolve(repro_kube_settings *settings, repro_error *err);

/** Kind of container in a pod spec. */
typedef enum repro_kube_container_kind {
	REPRO_KUBE_CONTAINER = 0,  /**< spec.containers */
	REPRO_KUBE_INIT = 1,       /**< spec.initContainers */
	REPRO_KUBE_EPHEMERAL = 2   /**< spec.ephemeralContainers */
} repro_kube_container_kind;

/** Returns "container", "init" or "ephemeral". */
const char *repro_kube_container_kind_name(repro_kube_container_kind kind);

/** One container of a pod. */
typedef struct repro_kube_container {
	repro_kube_container_kind kind;
	char *name;
	char *image;     /**< the spec's image, or NULL when it has none */
	char *image_id;  /**< the status's imageID, or NULL when the status has none yet */
} repro_kube_container;

/** One pod: its containers in the order init, regular, ephemeral. */
typedef struct repro_kube_pod {
	char *namespace_name;
	char *name;
	repro_kube_container *containers;
	size_t container_count;
} repro_kube_pod;

/** Pods in the order read. Caller-owned: repro_kube_pod_list_init() and
 *  repro_kube_pod_list_dispose(). */
typedef struct repro_kube_pod_list {
	repro_kube_pod *pods;
	size_t pod_count;
	size_t capacity;
} repro_kube_pod_list;

/** Zeroes @p list. */
void repro_kube_pod_list_init(repro_kube_pod_list *list);

/** Releases every pod of @p list and zeroes it. */
void repro_kube_pod_list_dispose(repro_kube_pod_list *list);

/**
 * Parses a JSON document holding pods and appends them to @p list: a `List`
 * (what `kubectl get pods -o json` prints), a `PodList` (what the API
 * returns) or a single `Pod`. Each item needs metadata.name and
 * metadata.namespace. Each container of spec.containers,
 * spec.initContainers and spec.ephemeralContainers gets its imageID from
 * the entry of the same name in status.containerStatuses,
 * initContainerStatuses or ephemeralContainerStatuses. An item of another kind,
 * a name with control characters, or a missing required key is
 * REPRO_EFORMAT naming @p name and the key path. On failure @p list keeps
 * the pods it had before the call; either way the caller disposes it.
 */
int repro_kube_pods_parse(repro_kube_pod_list *list, const void *bytes, size_t size,
                          const char *name, repro_error *err);

/** Options of repro_kube_list_pods(); zero fields take the defaults. */
typedef struct repro_kube_list_options {
	const char *namespace_name;  /**< NULL lists every namespace */
	const char *label_selector;  /**< NULL selects every pod */
	unsigned int page_size;      /**< `limit` of each request; default 500 */
	long connect_timeout_seconds;  /**< default 10 */
	long request_timeout_seconds;  /**< whole request, default 60 */
	size_t max_page_bytes;       /**< default REPRO_KUBE_PAGE_MAX_BYTES */
	unsigned int *restarts;      /**< if not NULL, receives how often the listing restarted */
	unsigned int *pages;         /**< if not NULL, receives the number of pages read */
} repro_kube_list_options;

/**
 * Lists pods from the API server of @p settings, which must be resolved,
 * and appends them to @p list: GET /api/v1/pods or
 * /api/v1/namespaces/NS/pods with labelSelector and limit, following
 * `continue` tokens. When the server returns 410 Gone because a continue
 * token expired, the listing restarts once from the first page; a second
 * expiry is REPRO_ENETWORK. A 401 or 403 is REPRO_EAUTH, a connection or
 * TLS failure REPRO_ENETWORK, a timeout REPRO_ETIMEOUT, a page larger
 * than the limit REPRO_ELIMIT, and a malformed page REPRO_EFORMAT. On
 * failure @p list keeps the pods it had before the call.
 */
int repro_kube_list_pods(const repro_kube_settings *settings,
                         const repro_kube_list_options *options, repro_kube_pod_list *list,
                         repro_error *err);

/** Form of a container status's imageID. */
typedef enum repro_kube_image_id_form {
	REPRO_KUBE_IMAGE_ID_REPO_DIGEST = 0,      /**< REPO@sha256:… (containerd, CRI-O) */
	REPRO_KUBE_IMAGE_ID_DOCKER_PULLABLE = 1,  /**< docker-pullable://REPO@sha256:… (dockershim) */
	REPRO_KUBE_IMAGE_ID_DOCKER_CONFIG = 2,    /**< docker://sha256:… (an image Docker built or loaded) */
	REPRO_KUBE_IMAGE_ID_CONFIG = 3            /**< a bare config ID sha256:… */
} repro_kube_image_id_form;

/** Maximum length of the repository part of an imageID. */
#define REPRO_KUBE_REPOSITORY_MAX 512

/** A parsed imageID. */
typedef struct repro_kube_image_id {
	repro_kube_image_id_form form;
	char repository[REPRO_KUBE_REPOSITORY_MAX + 1];  /**< "" for the two config forms */
	repro_digest digest;
} repro_kube_image_id;

/**
 * Parses an imageID in any of the forms above. A value of none of them,
 * or a digest that is not valid, is REPRO_EFORMAT; another digest
 * algorithm is REPRO_EUNSUPPORTED.
 */
int repro_kube_image_id_parse(const char *image_id, repro_kube_image_id *out, repro_error *err);

/** Verdict on one container. */
typedef enum repro_kube_status {
	REPRO_KUBE_IDENTICAL = 0,  /**< its digest is listed for the release its image names */
	REPRO_KUBE_UNLISTED = 1,   /**< its digest is not in the list */
	REPRO_KUBE_MISMATCH = 2,   /**< its image names a listed release and image, the digest differs */
	REPRO_KUBE_ERROR = 3       /**< no verdict: no imageID yet, or one that cannot be read */
} repro_kube_status;

/** Returns "identical", "unlisted", "mismatch" or "error". */
const char *repro_kube_status_name(repro_kube_status status);

/** Maximum length of a verdict's reason, including the NUL. */
#define REPRO_KUBE_REASON_MAX 768

/** The check of one container. The pointers point into the digest list. */
typedef struct repro_kube_check {
	repro_kube_status status;
	bool has_digest;
	repro_digest digest;  /**< the imageID's digest, when it could be read */
	/** For identical: where the digest is listed. For mismatch: the release
	 *  and image that the container's image names (platform is NULL). */
	const repro_digestlist_release *release;
	const repro_digestlist_image *image;
	const repro_digestlist_platform *platform;  /**< NULL when the index matched */
	repro_digestlist_kind kind;                 /**< which digest matched */
	char reason[REPRO_KUBE_REASON_MAX];         /**< "" for identical */
} repro_kube_check;

/**
 * Checks @p container against @p list, restricted to the release @p tag
 * when it is not NULL, and stores the verdict in @p out:
 *
 * - no imageID, or one that cannot be parsed: error;
 * - when the container's image (REPO:TAG) names a listed image of a
 *   release, by its reference or by its name and the release tag, the
 *   verdict is identical if the digest is that image's index or a manifest
 *   or config of one of its platforms, and mismatch otherwise;
 * - otherwise identical if the digest is any listed index, manifest or
 *   config (repro_digestlist_find_digest()), otherwise unlisted.
 *
 * Returns REPRO_OK with the verdict, or REPRO_ENOTFOUND when @p tag has no
 * release in @p list.
 */
int repro_kube_check_container(const repro_digestlist *list, const char *tag,
                               const repro_kube_container *container, repro_kube_check *out,
                               repro_error *err);

#ifdef __cplusplus
}
#endif

#endif

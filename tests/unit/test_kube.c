/*
 * The kube module: kubeconfig parsing and selection, exec credential
 * plugins (small shell scripts written by the tests), in-cluster settings,
 * pod documents, imageID forms and container verdicts. The API client is
 * tested end to end in tests/integration/test_cluster.sh against a
 * loopback HTTPS stand-in for the API server.
 */
#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <reprocheck/kube.h>

#include "kube_internal.h"

/* Base64 of small PEM blocks; the module checks the PEM labels only. */
#define CA_PEM "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n"
#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClkyRT0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
#define CERT_PEM "-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n"
#define CERT_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClkyVnlkQT09Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"
#define KEY_PEM "-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n"
#define KEY_B64 "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCmEyVjUKLS0tLS1FTkQgUFJJVkFURSBLRVktLS0tLQo="

#define HEX_1 "1111111111111111111111111111111111111111111111111111111111111111"
#define HEX_2 "2222222222222222222222222222222222222222222222222222222222222222"
#define HEX_3 "3333333333333333333333333333333333333333333333333333333333333333"
#define HEX_4 "4444444444444444444444444444444444444444444444444444444444444444"
#define HEX_5 "5555555555555555555555555555555555555555555555555555555555555555"
#define HEX_6 "6666666666666666666666666666666666666666666666666666666666666666"
#define HEX_7 "7777777777777777777777777777777777777777777777777777777777777777"
#define HEX_8 "8888888888888888888888888888888888888888888888888888888888888888"
#define HEX_9 "9999999999999999999999999999999999999999999999999999999999999999"
#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* Three clusters, four contexts and three users: every field kubectl reads. */
static const char full_config[] =
	"apiVersion: v1\n"
	"kind: Config\n"
	"preferences: {}\n"
	"current-context: prod\n"
	"clusters:\n"
	"- name: prod-cluster\n"
	"  cluster:\n"
	"    server: https://prod.example.com:6443/\n"
	"    certificate-authority-data: " CA_B64 "\n"
	"    extensions: []\n"
	"- name: dev-cluster\n"
	"  cluster:\n"
	"    server: https://dev.example.com/k8s/clusters/c-1\n"
	"    certificate-authority: certs/ca.pem\n"
	"- name: lab-cluster\n"
	"  cluster:\n"
	"    server: https://10.0.0.1\n"
	"    insecure-skip-tls-verify: true\n"
	"contexts:\n"
	"- name: prod\n"
	"  context: {cluster: prod-cluster, user: prod-user, namespace: shop}\n"
	"- name: dev\n"
	"  context:\n"
	"    cluster: dev-cluster\n"
	"    user: dev-user\n"
	"- name: lab\n"
	"  context:\n"
	"    cluster: lab-cluster\n"
	"    user: lab-user\n"
	"- name: anonymous\n"
	"  context:\n"
	"    cluster: lab-cluster\n"
	"users:\n"
	"- name: prod-user\n"
	"  user:\n"
	"    token: \"  prod-token\\n\"\n"
	"- name: dev-user\n"
	"  user:\n"
	"    client-certificate: certs/client.pem\n"
	"    client-key: /etc/keys/client.key\n"
	"    tokenFile: token.txt\n"
	"- name: lab-user\n"
	"  user:\n"
	"    client-certificate-data: " CERT_B64 "\n"
	"    client-key-data: " KEY_B64 "\n";

static repro_kube_config *parse_config(const char *yaml, const char *base_dir)
{
	repro_kube_config *config = NULL;
	repro_error err;

	repro_error_clear(&err);
	ASSERT_OK(repro_kube_config_parse(&config, yaml, strlen(yaml), "test.yaml", base_dir, &err), &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(config);
	return config;
}

static void test_config_current_context(void)
{
	repro_kube_config *config = parse_config(full_config, "/home/u/.kube");
	repro_kube_settings settings;
	repro_error err;

	repro_kube_settings_init(&settings);
	ASSERT_OK(repro_kube_config_select(config, NULL, &settings, &err), &err);
	ASSERT_STR_EQ(settings.source, "kubeconfig 'test.yaml'");
	ASSERT_STR_EQ(settings.context, "prod");
	ASSERT_STR_EQ(settings.cluster, "prod-cluster");
	ASSERT_STR_EQ(settings.user, "prod-user");
	ASSERT_STR_EQ(settings.namespace_name, "shop");
	ASSERT_STR_EQ(settings.server, "https://prod.example.com:6443");
	ASSERT_STR_EQ((const char *)settings.ca.data, CA_PEM);
	ASSERT_INT_EQ(settings.ca.size, strlen(CA_PEM));
	ASSERT_STR_EQ((const char *)settings.token.data, "prod-token");
	CU_ASSERT_FALSE(settings.insecure_skip_tls_verify);
	CU_ASSERT_PTR_NULL(settings.ca_file);
	CU_ASSERT_PTR_NULL(settings.exec);
	repro_kube_settings_dispose(&settings);
	repro_kube_config_free(config);
}

static void test_config_paths_resolved(void)
{
	repro_kube_config *config = parse_config(full_config, "/home/u/.kube");
	repro_kube_settings settings;
	repro_error err;

	repro_kube_settings_init(&settings);
	ASSERT_OK(repro_kube_config_select(config, "dev", &settings, &err), &err);
	ASSERT_STR_EQ(settings.server, "https://dev.example.com/k8s/clusters/c-1");
	ASSERT_STR_EQ(settings.ca_file, "/home/u/.kube/certs/ca.pem");
	ASSERT_STR_EQ(settings.client_cert_file, "/home/u/.kube/certs/client.pem");
	ASSERT_STR_EQ(settings.client_key_file, "/etc/keys/client.key");
	ASSERT_STR_EQ(settings.token_file, "/home/u/.kube/token.txt");
	CU_ASSERT_PTR_NULL(settings.namespace_name);
	CU_ASSERT_PTR_NULL(settings.token.data);

	ASSERT_OK(repro_kube_config_select(config, "lab", &settings, &err), &err);
	CU_ASSERT_TRUE(settings.insecure_skip_tls_verify);
	ASSERT_STR_EQ((const char *)settings.client_cert.data, CERT_PEM);
	ASSERT_STR_EQ((const char *)settings.client_key.data, KEY_PEM);
	ASSERT_STR_EQ(settings.server, "https://10.0.0.1");

	ASSERT_OK(repro_kube_config_select(config, "anonymous", &settings, &err), &err);
	CU_ASSERT_PTR_NULL(settings.user);
	CU_ASSERT_PTR_NULL(settings.token.data);
	CU_ASSERT_PTR_NULL(settings.client_cert.data);
	repro_kube_settings_dispose(&settings);
	repro_kube_config_free(config);
}

static void write_text(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	repro_test_write_file(path, text, strlen(text));
	chmod(path, mode);
}

static void test_resolve_reads_files(void)
{
	char *dir = repro_test_make_dir();
	char yaml[2048], path[4096];
	repro_kube_config *config;
	repro_kube_settings settings;
	repro_error err;

	snprintf(path, sizeof(path), "%s/certs", dir);
	mkdir(path, 0755);
	write_text(dir, "certs/ca.pem", CA_PEM, 0644);
	write_text(dir, "certs/client.pem", CERT_PEM, 0644);
	write_text(dir, "client.key", KEY_PEM, 0600);
	write_text(dir, "token.txt", "\n  file-token \n\n", 0600);
	snprintf(yaml, sizeof(yaml),
	         "current-context: c\n"
	         "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
	         "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:6443', certificate-authority: certs/ca.pem}}]\n"
	         "users:\n"
	         "- name: u\n"
	         "  user: {client-certificate: certs/client.pem, client-key: %s/client.key, tokenFile: token.txt}\n",
	         dir);
	config = parse_config(yaml, dir);
	repro_kube_settings_init(&settings);
	ASSERT_OK(repro_kube_config_select(config, NULL, &settings, &err), &err);
	ASSERT_OK(repro_kube_settings_resolve(&settings, &err), &err);
	CU_ASSERT_TRUE(settings.resolved);
	ASSERT_STR_EQ((const char *)settings.ca.data, CA_PEM);
	ASSERT_STR_EQ((const char *)settings.client_cert.data, CERT_PEM);
	ASSERT_STR_EQ((const char *)settings.client_key.data, KEY_PEM);
	ASSERT_STR_EQ((const char *)settings.token.data, "file-token");
	ASSERT_INT_EQ(settings.token.size, 10);
	ASSERT_OK(repro_kube_settings_resolve(&settings, &err), &err);
	repro_kube_settings_dispose(&settings);

	write_text(dir, "certs/ca.pem", "not a certificate\n", 0644);
	repro_kube_settings_init(&settings);
	ASSERT_OK(repro_kube_config_select(config, NULL, &settings, &err), &err);
	ASSERT_CODE(repro_kube_settings_resolve(&settings, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_EQ(err.message, "kubeconfig 'test.yaml': the certificate authority holds no PEM CERTIFICATE");
	repro_kube_settings_dispose(&settings);

	snprintf(path, sizeof(path), "%s/token.txt", dir);
	unlink(path);
	repro_kube_settings_init(&settings);
	ASSERT_OK(repro_kube_config_select(config, NULL, &settings, &err), &err);
	ASSERT_CODE(repro_kube_settings_resolve(&settings, &err), REPRO_ENOTFOUND, &err);
	snprintf(yaml, sizeof(yaml),
	         "kubeconfig 'test.yaml': reading the certificate authority '%s/certs/ca.pem': ", dir);
	write_text(dir, "certs/ca.pem", CA_PEM, 0644);
	repro_kube_settings_dispose(&settings);
	repro_kube_settings_init(&settings);
	ASSERT_OK(repro_kube_config_select(config, NULL, &settings, &err), &err);
	ASSERT_CODE(repro_kube_settings_resolve(&settings, &err), REPRO_ENOTFOUND, &err);
	snprintf(yaml, sizeof(yaml), "kubeconfig 'test.yaml': reading the token file '%s/token.txt': "
	         "opening '%s/token.txt' failed: No such file or directory", dir, dir);
	ASSERT_STR_EQ(err.message, yaml);
	repro_kube_settings_dispose(&settings);
	repro_kube_config_free(config);
	repro_test_cleanup_dir(dir);
}

typedef struct config_error_case {
	const char *yaml;
	const char *context;
	int code;
	const char *message;
} config_error_case;

#define CLUSTER_OK "clusters: [{name: k, cluster: {server: 'https://k.example'}}]\n"
#define CONTEXT_OK "contexts: [{name: c, context: {cluster: k, user: u}}]\n"

static const config_error_case config_errors[] = {
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {}}]\n", NULL, REPRO_ENOTFOUND,
	 "kubeconfig 'test.yaml' sets no current-context: name a context with --context"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {}}]\n", "staging", REPRO_ENOTFOUND,
	 "kubeconfig 'test.yaml' has no context 'staging'; contexts present: c"},
	{"current-context: c\ncontexts: [{name: c, context: {cluster: gone, user: u}}]\n", NULL,
	 REPRO_ENOTFOUND, "kubeconfig 'test.yaml': context 'c' names cluster 'gone', which is not defined"},
	{CLUSTER_OK CONTEXT_OK, "c", REPRO_ENOTFOUND,
	 "kubeconfig 'test.yaml': context 'c' names user 'u', which is not defined"},
	{CLUSTER_OK "contexts: [{name: c, context: {user: u}}]\n", "c", REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'contexts[0].context.cluster' is missing"},
	{"clusters: [{name: k, cluster: {}}]\n" CONTEXT_OK, "c", REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'clusters[0].cluster.server' is missing"},
	{"clusters: [{name: k, cluster: {server: 'http://k.example:8080'}}]\n" CONTEXT_OK, "c",
	 REPRO_EUNSUPPORTED, "kubeconfig 'test.yaml': 'clusters[0].cluster.server' is 'http://k.example:8080': "
	 "plain HTTP is not supported, use the server's https:// URL"},
	{"clusters: [{name: k, cluster: {server: 'k.example:6443'}}]\n" CONTEXT_OK, "c", REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'clusters[0].cluster.server' is not an https://HOST[:PORT][/PATH] URL: 'k.example:6443'"},
	{"clusters: [{name: k, cluster: {server: 'https://u:p@k.example'}}]\n" CONTEXT_OK, "c", REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'clusters[0].cluster.server' is not an https://HOST[:PORT][/PATH] URL: 'https://u:p@k.example'"},
	{"clusters: [{name: k, cluster: {server: 'https://k', certificate-authority-data: '@@@'}}]\n" CONTEXT_OK,
	 "c", REPRO_EFORMAT, "kubeconfig 'test.yaml': 'clusters[0].cluster.certificate-authority-data' is not valid base64"},
	{"clusters: [{name: k, cluster: {server: 'https://k', certificate-authority-data: " CA_B64 ", "
	 "certificate-authority: ca.pem}}]\n" CONTEXT_OK, "c", REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'clusters[0].cluster' sets both certificate-authority and certificate-authority-data; keep one"},
	{"clusters: [{name: k, cluster: {server: 'https://k', certificate-authority: ca.pem, "
	 "insecure-skip-tls-verify: true}}]\n" CONTEXT_OK, "c", REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'clusters[0].cluster' sets insecure-skip-tls-verify and a certificate authority; keep one"},
	{"clusters: [{name: k, cluster: {server: 'https://k', insecure-skip-tls-verify: 'yes'}}]\n" CONTEXT_OK,
	 "c", REPRO_EFORMAT, "kubeconfig 'test.yaml': 'clusters[0].cluster.insecure-skip-tls-verify' must be a boolean, found string"},
	{"clusters: [{name: k, cluster: {server: 'https://k', proxy-url: 'http://proxy:3128'}}]\n" CONTEXT_OK,
	 "c", REPRO_EUNSUPPORTED, "kubeconfig 'test.yaml': 'clusters[0].cluster.proxy-url' is not supported"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {auth-provider: {name: oidc}}}]\n", "c",
	 REPRO_EUNSUPPORTED, "kubeconfig 'test.yaml': 'users[0].user.auth-provider' is not supported: "
	 "use an exec credential plugin instead"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {username: admin, password: secret}}]\n", "c",
	 REPRO_EUNSUPPORTED, "kubeconfig 'test.yaml': 'users[0].user.username' is not supported: "
	 "API servers no longer accept basic authentication"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {token: t, as: someone}}]\n", "c",
	 REPRO_EUNSUPPORTED, "kubeconfig 'test.yaml': 'users[0].user.as' is not supported: impersonation is not implemented"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {client-certificate-data: " CERT_B64 "}}]\n", "c",
	 REPRO_EFORMAT, "kubeconfig 'test.yaml': 'users[0].user' sets a client certificate without its key, "
	 "or a key without its certificate"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {client-key: k.pem, client-key-data: " KEY_B64 ", "
	 "client-certificate: c.pem}}]\n", "c", REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'users[0].user' sets both client-key and client-key-data; keep one"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {token: t, tokenFile: t.txt}}]\n", "c", REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'users[0].user' sets both token and tokenFile; keep one"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {token: \"a\\u0007b\"}}]\n", "c", REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': the token in 'users[0].user.token' contains a control character"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {token: t, exec: {apiVersion: "
	 "client.authentication.k8s.io/v1, command: x}}}]\n", "c", REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'users[0].user' sets both exec and a token; keep one"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {exec: {apiVersion: "
	 "client.authentication.k8s.io/v1alpha1, command: x}}}]\n", "c", REPRO_EUNSUPPORTED,
	 "kubeconfig 'test.yaml': 'users[0].user.exec.apiVersion' is 'client.authentication.k8s.io/v1alpha1': "
	 "expected client.authentication.k8s.io/v1 or v1beta1"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1}}}]\n",
	 "c", REPRO_EFORMAT, "kubeconfig 'test.yaml': 'users[0].user.exec.command' is missing"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, "
	 "command: x, interactiveMode: Always}}}]\n", "c", REPRO_EUNSUPPORTED,
	 "kubeconfig 'test.yaml': 'users[0].user.exec.interactiveMode' is Always, but reprocheck never gives a "
	 "plugin a terminal"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, "
	 "command: x, env: [{name: 'A=B', value: c}]}}}]\n", "c", REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'users[0].user.exec.env[0].name' is not a variable name: 'A=B'"},
	{CLUSTER_OK CONTEXT_OK "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, "
	 "command: x, args: [1, [2]]}}}]\n", "c", REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'users[0].user.exec.args[1]' must be a string, found array"},
};

static void test_config_select_errors(void)
{
	for (size_t i = 0; i < REPRO_ARRAY_SIZE(config_errors); i++) {
		const config_error_case *c = &config_errors[i];
		repro_kube_config *config = parse_config(c->yaml, "/cfg");
		repro_kube_settings settings;
		repro_error err;

		repro_kube_settings_init(&settings);
		repro_error_clear(&err);
		ASSERT_CODE(repro_kube_config_select(config, c->context, &settings, &err), c->code, &err);
		ASSERT_STR_EQ(err.message, c->message);
		CU_ASSERT_PTR_NULL(settings.server);
		repro_kube_settings_dispose(&settings);
		repro_kube_config_free(config);
	}
}

static const config_error_case parse_errors[] = {
	{"- a\n- b\n", NULL, REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': the top level must be a mapping, found array"},
	{"kind: Pod\n", NULL, REPRO_EFORMAT, "kubeconfig 'test.yaml': 'kind' is 'Pod', expected 'Config'"},
	{"clusters: {a: b}\n", NULL, REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'clusters' must be a sequence, found object"},
	{"users: [{user: {}}]\n", NULL, REPRO_EFORMAT, "kubeconfig 'test.yaml': missing key 'users[0].name'"},
	{"users: [{name: '', user: {}}]\n", NULL, REPRO_EFORMAT, "kubeconfig 'test.yaml': 'users[0].name' is empty"},
	{"users: [{name: u, user: [token]}]\n", NULL, REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'users[0].user' must be an object, found array"},
	{"contexts: [{name: c}, {name: d}, {name: c}]\n", NULL, REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'contexts[2]' repeats the name 'c' of contexts[0]"},
	{"current-context: [a]\n", NULL, REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': 'current-context' must be a string, found array"},
	{"current-context: a\ncurrent-context: b\n", NULL, REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': duplicate key 'current-context' at line 2"},
	{"a: 1\n---\nb: 2\n", NULL, REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': a second YAML document starts at line 2; a kubeconfig is one document"},
	{"a: *missing\n", NULL, REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': alias '*missing' at line 1 names no complete anchor before it"},
	{"a: &x [1, *x]\n", NULL, REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': alias '*x' at line 1 names no complete anchor before it"},
	{"? [a]\n: b\n", NULL, REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': a mapping key at line 1 is not a scalar"},
	{"a: \"x\\0y\"\n", NULL, REPRO_EFORMAT, "kubeconfig 'test.yaml': NUL character in a value at line 1"},
	{"a: [b\n", NULL, REPRO_EFORMAT,
	 "kubeconfig 'test.yaml': invalid YAML: did not find expected ',' or ']' at line 2, column 1"},
	/* Nine levels of ten aliases would expand to 10^9 nodes. */
	{"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	 "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	 "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	 "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	 "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	 "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
	 "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
	 "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n", NULL, REPRO_ELIMIT,
	 "kubeconfig 'test.yaml': more than 100000 YAML nodes with aliases expanded, at line 5"},
};

static void test_config_parse_errors(void)
{
	char deep[1024];
	size_t used = 0;

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(parse_errors); i++) {
		const config_error_case *c = &parse_errors[i];
		repro_kube_config *config = NULL;
		repro_error err;

		repro_error_clear(&err);
		ASSERT_CODE(repro_kube_config_parse(&config, c->yaml, strlen(c->yaml), "test.yaml", "/", &err),
		            c->code, &err);
		ASSERT_STR_EQ(err.message, c->message);
		CU_ASSERT_PTR_NULL(config);
	}

	used += (size_t)snprintf(deep, sizeof(deep), "a: ");
	for (int i = 0; i < 70; i++)
		deep[used++] = '[';
	deep[used] = '\0';
	{
		repro_kube_config *config = NULL;
		repro_error err;

		ASSERT_CODE(repro_kube_config_parse(&config, deep, used, "test.yaml", "/", &err), REPRO_ELIMIT, &err);
		ASSERT_STR_EQ(err.message, "kubeconfig 'test.yaml': YAML nested deeper than 64 levels at line 1");
	}
}

static void test_config_anchors_and_empty(void)
{
	static const char yaml[] =
		"current-context: b\n"
		"clusters:\n"
		"- name: k\n"
		"  cluster: &cluster {server: 'https://k.example', insecure-skip-tls-verify: True}\n"
		"- name: k2\n"
		"  cluster: *cluster\n"
		"contexts: [{name: b, context: {cluster: k2, user: u2, namespace: ~}}]\n"
		"users:\n"
		"- name: u\n"
		"  user: &creds {token: shared}\n"
		"- name: u2\n"
		"  user: *creds\n";
	repro_kube_config *config = parse_config(yaml, "/");
	repro_kube_settings settings;
	repro_error err;

	repro_kube_settings_init(&settings);
	ASSERT_OK(repro_kube_config_select(config, NULL, &settings, &err), &err);
	ASSERT_STR_EQ(settings.server, "https://k.example");
	CU_ASSERT_TRUE(settings.insecure_skip_tls_verify);
	ASSERT_STR_EQ((const char *)settings.token.data, "shared");
	CU_ASSERT_PTR_NULL(settings.namespace_name);
	repro_kube_settings_dispose(&settings);
	repro_kube_config_free(config);

	config = parse_config("", "/");
	ASSERT_CODE(repro_kube_config_select(config, NULL, &settings, &err), REPRO_ENOTFOUND, &err);
	ASSERT_STR_EQ(err.message, "kubeconfig 'test.yaml' sets no current-context: name a context with --context");
	ASSERT_CODE(repro_kube_config_select(config, "x", &settings, &err), REPRO_ENOTFOUND, &err);
	ASSERT_STR_EQ(err.message, "kubeconfig 'test.yaml' has no context 'x'; contexts present: none");
	repro_kube_config_free(config);
}

static void test_config_load_files(void)
{
	char *dir = repro_test_make_dir();
	char list[8192], path[4096], expected[8192];
	const char *saved_home = getenv("HOME");
	char *home = saved_home ? strdup(saved_home) : NULL;
	repro_kube_config *config = NULL;
	repro_kube_settings settings;
	repro_error err;

	write_text(dir, "first.yaml",
	           "current-context: c\n"
	           "contexts: [{name: c, context: {cluster: k, user: u, namespace: first}}]\n"
	           "users: [{name: u, user: {tokenFile: token}}]\n", 0600);
	write_text(dir, "second.yaml",
	           "current-context: other\n"
	           "contexts: [{name: c, context: {cluster: nope}}]\n"
	           "clusters: [{name: k, cluster: {server: 'https://second.example'}}]\n"
	           "users: [{name: u, user: {token: second}}]\n", 0600);
	snprintf(list, sizeof(list), "%s/missing.yaml::%s/first.yaml:%s/second.yaml", dir, dir, dir);
	setenv("KUBECONFIG", list, 1);
	repro_kube_settings_init(&settings);
	ASSERT_OK(repro_kube_config_load(&config, NULL, &err), &err);
	ASSERT_OK(repro_kube_config_select(config, NULL, &settings, &err), &err);
	ASSERT_STR_EQ(settings.namespace_name, "first");
	ASSERT_STR_EQ(settings.server, "https://second.example");
	snprintf(path, sizeof(path), "%s/token", dir);
	ASSERT_STR_EQ(settings.token_file, path);
	CU_ASSERT_PTR_NULL(settings.token.data);
	snprintf(expected, sizeof(expected), "kubeconfig '%s'", list);
	ASSERT_STR_EQ(settings.source, expected);
	repro_kube_settings_dispose(&settings);
	repro_kube_config_free(config);

	snprintf(list, sizeof(list), "%s/missing.yaml", dir);
	setenv("KUBECONFIG", list, 1);
	ASSERT_CODE(repro_kube_config_load(&config, NULL, &err), REPRO_ENOTFOUND, &err);
	snprintf(expected, sizeof(expected),
	         "no kubeconfig found: none of the files in $KUBECONFIG ('%s') exists", list);
	ASSERT_STR_EQ(err.message, expected);

	unsetenv("KUBECONFIG");
	setenv("HOME", dir, 1);
	ASSERT_CODE(repro_kube_config_load(&config, NULL, &err), REPRO_ENOTFOUND, &err);
	snprintf(expected, sizeof(expected), "kubeconfig '%s/.kube/config' does not exist", dir);
	ASSERT_STR_EQ(err.message, expected);
	snprintf(path, sizeof(path), "%s/.kube", dir);
	mkdir(path, 0700);
	write_text(dir, ".kube/config", "current-context: h\ncontexts: [{name: h, context: {cluster: k}}]\n"
	           "clusters: [{name: k, cluster: {server: 'https://home.example'}}]\n", 0600);
	ASSERT_OK(repro_kube_config_load(&config, NULL, &err), &err);
	repro_kube_settings_init(&settings);
	ASSERT_OK(repro_kube_config_select(config, NULL, &settings, &err), &err);
	ASSERT_STR_EQ(settings.server, "https://home.example");
	repro_kube_settings_dispose(&settings);
	repro_kube_config_free(config);

	snprintf(path, sizeof(path), "%s/first.yaml", dir);
	ASSERT_OK(repro_kube_config_load(&config, path, &err), &err);
	ASSERT_CODE(repro_kube_config_select(config, NULL, &settings, &err), REPRO_ENOTFOUND, &err);
	snprintf(expected, sizeof(expected),
	         "kubeconfig '%s': context 'c' names cluster 'k', which is not defined", path);
	ASSERT_STR_EQ(err.message, expected);
	repro_kube_config_free(config);

	if (home != NULL)
		setenv("HOME", home, 1);
	free(home);
	repro_test_cleanup_dir(dir);
}

/* Writes an executable plugin script and a kubeconfig that runs it. */
static repro_kube_config *plugin_config(const char *dir, const char *script, const char *exec_extra)
{
	char yaml[4096];

	write_text(dir, "plugin.sh", script, 0755);
	snprintf(yaml, sizeof(yaml),
	         "current-context: c\n"
	         "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
	         "clusters: [{name: k, cluster: {server: 'https://api.example:6443', "
	         "certificate-authority-data: " CA_B64 "}}]\n"
	         "users:\n"
	         "- name: u\n"
	         "  user:\n"
	         "    exec:\n"
	         "      apiVersion: client.authentication.k8s.io/v1\n"
	         "      command: ./plugin.sh\n"
	         "      installHint: install the plugin from example.com\n"
	         "%s",
	         exec_extra);
	return parse_config(yaml, dir);
}

static void test_exec_plugin_token(void)
{
	static const char script[] =
		"#!/bin/sh\n"
		"case \"$KUBERNETES_EXEC_INFO\" in\n"
		"*'\"interactive\":false'*'\"server\":\"https://api.example:6443\"'*) ;;\n"
		"*) echo \"unexpected request: $KUBERNETES_EXEC_INFO\" >&2; exit 3 ;;\n"
		"esac\n"
		"read -r line && exit 4\n"
		"printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
		"\"status\":{\"token\":\"%s-%s\",\"expirationTimestamp\":\"2999-01-01T00:00:00.5+01:00\"}}\\n' "
		"\"$1\" \"$PLUGIN_VALUE\"\n";
	char *dir = repro_test_make_dir();
	char path[4096];
	repro_kube_config *config = plugin_config(dir, script,
		"      args: [first, second]\n"
		"      env: [{name: PLUGIN_VALUE, value: from-env}]\n"
		"      provideClusterInfo: true\n");
	repro_kube_settings settings;
	repro_error err;

	repro_kube_settings_init(&settings);
	ASSERT_OK(repro_kube_config_select(config, NULL, &settings, &err), &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(settings.exec);
	snprintf(path, sizeof(path), "%s/./plugin.sh", dir);
	ASSERT_STR_EQ(settings.exec->command, path);
	ASSERT_INT_EQ(settings.exec->arg_count, 2);
	ASSERT_STR_EQ(settings.exec->args[1], "second");
	ASSERT_INT_EQ(settings.exec->env_count, 1);
	ASSERT_STR_EQ(settings.exec->env[0], "PLUGIN_VALUE=from-env");
	ASSERT_STR_EQ(settings.exec->install_hint, "install the plugin from example.com");
	CU_ASSERT_TRUE(settings.exec->provide_cluster_info);
	ASSERT_OK(repro_kube_settings_resolve(&settings, &err), &err);
	ASSERT_STR_EQ((const char *)settings.token.data, "first-from-env");
	CU_ASSERT_PTR_NULL(settings.client_cert.data);
	repro_kube_settings_dispose(&settings);
	repro_kube_config_free(config);
	repro_test_cleanup_dir(dir);
}

static void test_exec_plugin_certificate(void)
{
	static const char script[] =
		"#!/bin/sh\n"
		"printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
		"\"status\":{\"clientCertificateData\":\"%s\",\"clientKeyData\":\"%s\"}}' "
		"'-----BEGIN CERTIFICATE-----\\nY2VydA==\\n-----END CERTIFICATE-----\\n' "
		"'-----BEGIN PRIVATE KEY-----\\na2V5\\n-----END PRIVATE KEY-----\\n'\n";
	char *dir = repro_test_make_dir();
	repro_kube_config *config = plugin_config(dir, script, "");
	repro_kube_settings settings;
	repro_error err;

	repro_kube_settings_init(&settings);
	ASSERT_OK(repro_kube_config_select(config, NULL, &settings, &err), &err);
	ASSERT_OK(repro_kube_settings_resolve(&settings, &err), &err);
	ASSERT_STR_EQ((const char *)settings.client_cert.data, CERT_PEM);
	ASSERT_STR_EQ((const char *)settings.client_key.data, KEY_PEM);
	CU_ASSERT_PTR_NULL(settings.token.data);
	repro_kube_settings_dispose(&settings);
	repro_kube_config_free(config);
	repro_test_cleanup_dir(dir);
}

typedef struct exec_error_case {
	const char *script;
	const char *extra;
	int code;
	const char *message;  /* after "kubeconfig 'test.yaml': "; %s is the plugin path */
} exec_error_case;

#define CREDENTIAL(status) \
	"#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\"," \
	"\"status\":" status "}'\n"

static const exec_error_case exec_errors[] = {
	{"#!/bin/sh\necho 'no credentials here' >&2\nexit 1\n", "", REPRO_EAUTH,
	 "exec credential plugin '%s' exited with status 1"},
	{"#!/bin/sh\nkill -9 $$\n", "", REPRO_EAUTH, "exec credential plugin '%s' was killed by signal 9"},
	{CREDENTIAL("{\"token\":\"t\",\"expirationTimestamp\":\"2001-02-03T04:05:06Z\"}"), "", REPRO_EAUTH,
	 "exec credential plugin '%s' returned a credential that expired at 2001-02-03T04:05:06Z"},
	{CREDENTIAL("{\"token\":\"t\",\"expirationTimestamp\":\"tomorrow\"}"), "", REPRO_EFORMAT,
	 "the output of exec credential plugin '%s': 'status.expirationTimestamp' is not an RFC 3339 time: 'tomorrow'"},
	{CREDENTIAL("{}"), "", REPRO_EAUTH,
	 "exec credential plugin '%s' returned neither a token nor a client certificate"},
	{CREDENTIAL("{\"clientCertificateData\":\"x\"}"), "", REPRO_EFORMAT,
	 "the output of exec credential plugin '%s': exec credential plugin '%s' returned clientCertificateData "
	 "without clientKeyData, or the reverse"},
	{"#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
	 "\"status\":{\"token\":\"t\"}}'\n", "", REPRO_EFORMAT,
	 "the output of exec credential plugin '%s': 'apiVersion' is 'client.authentication.k8s.io/v1beta1', "
	 "expected 'client.authentication.k8s.io/v1'"},
	{"#!/bin/sh\necho 'token: t'\n", "", REPRO_EFORMAT,
	 "the output of exec credential plugin '%s': malformed ExecCredential: '[' or '{' expected near 'token' "
	 "at line 1, column 5"},
	{"#!/bin/sh\nexec sleep 5\n", "", REPRO_ETIMEOUT, "exec credential plugin '%s' timed out"},
};

/* Writes "kubeconfig 'test.yaml': " and @p template with each %s replaced by @p value. */
static void fill_template(char *out, size_t size, const char *template, const char *value)
{
	size_t used = (size_t)snprintf(out, size, "kubeconfig 'test.yaml': ");

	for (const char *c = template; *c != '\0' && used + 1 < size; c++) {
		if (c[0] == '%' && c[1] == 's') {
			used += (size_t)snprintf(out + used, size - used, "%s", value);
			c++;
		} else {
			out[used++] = *c;
		}
	}
	out[used < size ? used : size - 1] = '\0';
}

static void test_exec_plugin_errors(void)
{
	char *dir = repro_test_make_dir();
	char plugin[4096], expected[8192];

	snprintf(plugin, sizeof(plugin), "%s/./plugin.sh", dir);
	for (size_t i = 0; i < REPRO_ARRAY_SIZE(exec_errors); i++) {
		const exec_error_case *c = &exec_errors[i];
		repro_kube_config *config = plugin_config(dir, c->script, c->extra);
		repro_kube_settings settings;
		repro_error err;

		repro_kube_settings_init(&settings);
		ASSERT_OK(repro_kube_config_select(config, NULL, &settings, &err), &err);
		if (c->code == REPRO_ETIMEOUT)
			settings.exec->timeout_seconds = 1;
		ASSERT_CODE(repro_kube_settings_resolve(&settings, &err), c->code, &err);
		fill_template(expected, sizeof(expected), c->message, plugin);
		ASSERT_STR_EQ(err.message, expected);
		CU_ASSERT_PTR_NULL(settings.token.data);
		repro_kube_settings_dispose(&settings);
		repro_kube_config_free(config);
	}

	{
		repro_kube_config *config = plugin_config(dir, "", "");
		repro_kube_settings settings;
		repro_error err;

		snprintf(plugin, sizeof(plugin), "%s/plugin.sh", dir);
		unlink(plugin);
		repro_kube_settings_init(&settings);
		ASSERT_OK(repro_kube_config_select(config, NULL, &settings, &err), &err);
		ASSERT_CODE(repro_kube_settings_resolve(&settings, &err), REPRO_EAUTH, &err);
		snprintf(expected, sizeof(expected), "kubeconfig 'test.yaml': exec credential plugin '%s/./plugin.sh' "
		         "not found: install the plugin from example.com", dir);
		ASSERT_STR_EQ(err.message, expected);
		repro_kube_settings_dispose(&settings);
		repro_kube_config_free(config);
	}
	repro_test_cleanup_dir(dir);
}

static void test_in_cluster(void)
{
	char *dir = repro_test_make_dir();
	char expected[8192];
	repro_kube_settings settings;
	repro_error err;

	repro_kube_settings_init(&settings);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	ASSERT_CODE(repro_kube_in_cluster_load(&settings, dir, &err), REPRO_ENOTFOUND, &err);
	ASSERT_STR_EQ(err.message, "in-cluster settings need $KUBERNETES_SERVICE_HOST and "
	              "$KUBERNETES_SERVICE_PORT, which are not set");

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	ASSERT_CODE(repro_kube_in_cluster_load(&settings, dir, &err), REPRO_ENOTFOUND, &err);
	snprintf(expected, sizeof(expected), "in-cluster service account: reading the certificate authority "
	         "'%s/ca.crt': opening '%s/ca.crt' failed: No such file or directory", dir, dir);
	ASSERT_STR_EQ(err.message, expected);

	write_text(dir, "ca.crt", CA_PEM, 0644);
	write_text(dir, "token", "sa-token\n", 0600);
	ASSERT_OK(repro_kube_in_cluster_load(&settings, dir, &err), &err);
	ASSERT_STR_EQ(settings.server, "https://10.96.0.1:443");
	ASSERT_STR_EQ(settings.source, "in-cluster service account");
	ASSERT_STR_EQ((const char *)settings.token.data, "sa-token");
	ASSERT_STR_EQ((const char *)settings.ca.data, CA_PEM);
	CU_ASSERT_PTR_NULL(settings.namespace_name);
	CU_ASSERT_TRUE(settings.resolved);

	write_text(dir, "namespace", "shop\n", 0644);
	setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
	ASSERT_OK(repro_kube_in_cluster_load(&settings, dir, &err), &err);
	ASSERT_STR_EQ(settings.server, "https://[fd00:10:96::1]:443");
	ASSERT_STR_EQ(settings.namespace_name, "shop");

	setenv("KUBERNETES_SERVICE_PORT", "443/evil", 1);
	ASSERT_CODE(repro_kube_in_cluster_load(&settings, dir, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_EQ(err.message, "in-cluster settings: 'fd00:10:96::1' and '443/evil' are not a host name "
	              "and a port number");
	CU_ASSERT_PTR_NULL(settings.server);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	repro_kube_settings_dispose(&settings);
	repro_test_cleanup_dir(dir);
}

/* A PodList as the API returns it: a containerd pod with an init and an
 * ephemeral container, a dockershim pod, and a pending pod. */
static const char pod_list[] =
	"{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"42\",\"continue\":\"next-page\"},"
	"\"items\":["
	"{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"shop\",\"labels\":{\"app\":\"web\"}},"
	"\"spec\":{\"initContainers\":[{\"name\":\"setup\",\"image\":\"busybox:1.36\"}],"
	"\"containers\":[{\"name\":\"web\",\"image\":\"registry.example.com/acme/hello:v1.0.0\"},"
	"{\"name\":\"sidecar\",\"image\":\"envoy:1.29\"}],"
	"\"ephemeralContainers\":[{\"name\":\"debugger\",\"image\":\"busybox:1.36\",\"targetContainerName\":\"web\"}]},"
	"\"status\":{\"phase\":\"Running\","
	"\"initContainerStatuses\":[{\"name\":\"setup\",\"image\":\"docker.io/library/busybox:1.36\","
	"\"imageID\":\"docker.io/library/busybox@sha256:" HEX_1 "\",\"containerID\":\"containerd://ab\"}],"
	"\"containerStatuses\":[{\"name\":\"sidecar\",\"imageID\":\"docker.io/library/envoy@sha256:" HEX_2 "\"},"
	"{\"name\":\"web\",\"imageID\":\"registry.example.com/acme/hello@sha256:" HEX_3 "\"}],"
	"\"ephemeralContainerStatuses\":[{\"name\":\"debugger\",\"imageID\":\"docker.io/library/busybox@sha256:" HEX_1 "\"}]}},"
	"{\"metadata\":{\"name\":\"legacy-0\",\"namespace\":\"legacy\"},"
	"\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"hello:v1.0.0\"}]},"
	"\"status\":{\"containerStatuses\":[{\"name\":\"app\",\"imageID\":\"docker-pullable://hello@sha256:" HEX_4 "\"}]}},"
	"{\"metadata\":{\"name\":\"pending\",\"namespace\":\"shop\"},"
	"\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"hello:v2\"},{\"name\":\"other\",\"image\":\"x:1\"}]},"
	"\"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{\"name\":\"app\",\"imageID\":\"\"}]}}"
	"]}";

static void assert_container(const repro_kube_container *container, repro_kube_container_kind kind,
                             const char *name, const char *image, const char *image_id)
{
	ASSERT_INT_EQ(container->kind, kind);
	ASSERT_STR_EQ(container->name, name);
	ASSERT_STR_EQ(container->image, image);
	if (image_id == NULL) {
		CU_ASSERT_PTR_NULL(container->image_id);
	} else {
		ASSERT_STR_EQ(container->image_id, image_id);
	}
}

static void test_pods_parse_list(void)
{
	repro_kube_pod_list list;
	json_t *root = NULL;
	char *token = NULL;
	repro_error err;

	repro_kube_pod_list_init(&list);
	ASSERT_OK(repro_kube_pods_parse(&list, pod_list, strlen(pod_list), "pods.json", &err), &err);
	ASSERT_INT_EQ(list.pod_count, 3);
	ASSERT_STR_EQ(list.pods[0].namespace_name, "shop");
	ASSERT_STR_EQ(list.pods[0].name, "web-1");
	ASSERT_INT_EQ(list.pods[0].container_count, 4);
	assert_container(&list.pods[0].containers[0], REPRO_KUBE_INIT, "setup", "busybox:1.36",
	                 "docker.io/library/busybox@sha256:" HEX_1);
	assert_container(&list.pods[0].containers[1], REPRO_KUBE_CONTAINER, "web",
	                 "registry.example.com/acme/hello:v1.0.0", "registry.example.com/acme/hello@sha256:" HEX_3);
	assert_container(&list.pods[0].containers[2], REPRO_KUBE_CONTAINER, "sidecar", "envoy:1.29",
	                 "docker.io/library/envoy@sha256:" HEX_2);
	assert_container(&list.pods[0].containers[3], REPRO_KUBE_EPHEMERAL, "debugger", "busybox:1.36",
	                 "docker.io/library/busybox@sha256:" HEX_1);
	assert_container(&list.pods[1].containers[0], REPRO_KUBE_CONTAINER, "app", "hello:v1.0.0",
	                 "docker-pullable://hello@sha256:" HEX_4);
	ASSERT_INT_EQ(list.pods[2].container_count, 2);
	assert_container(&list.pods[2].containers[0], REPRO_KUBE_CONTAINER, "app", "hello:v2", NULL);
	assert_container(&list.pods[2].containers[1], REPRO_KUBE_CONTAINER, "other", "x:1", NULL);

	ASSERT_OK(repro_json_parse(&root, pod_list, strlen(pod_list), "page", NULL, &err), &err);
	ASSERT_OK(repro_kube_pods_append(&list, root, "page", &token, &err), &err);
	ASSERT_INT_EQ(list.pod_count, 6);
	ASSERT_STR_EQ(token, "next-page");
	free(token);
	json_decref(root);
	repro_kube_pod_list_dispose(&list);
	CU_ASSERT_PTR_NULL(list.pods);
}

static void test_pods_parse_kinds(void)
{
	static const char kubectl_list[] =
		"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"},\"items\":["
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"},"
		"\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]},\"status\":{}}]}";
	static const char single_pod[] =
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"solo\",\"namespace\":\"n\"},"
		"\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}";
	static const char empty_list[] = "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[]}";
	repro_kube_pod_list list;
	repro_error err;

	repro_kube_pod_list_init(&list);
	ASSERT_OK(repro_kube_pods_parse(&list, kubectl_list, strlen(kubectl_list), "a.json", &err), &err);
	ASSERT_OK(repro_kube_pods_parse(&list, single_pod, strlen(single_pod), "b.json", &err), &err);
	ASSERT_OK(repro_kube_pods_parse(&list, empty_list, strlen(empty_list), "c.json", &err), &err);
	ASSERT_INT_EQ(list.pod_count, 2);
	ASSERT_STR_EQ(list.pods[1].name, "solo");
	assert_container(&list.pods[0].containers[0], REPRO_KUBE_CONTAINER, "c", "i", NULL);
	repro_kube_pod_list_dispose(&list);
}

typedef struct pods_error_case {
	const char *json;
	int code;
	const char *message;
} pods_error_case;

static const pods_error_case pods_errors[] = {
	{"[]", REPRO_EFORMAT, "pod list 'p.json': the document is array, not an object"},
	{"{\"kind\":\"ServiceList\",\"items\":[]}", REPRO_EFORMAT,
	 "pod list 'p.json': 'kind' is 'ServiceList', expected List, PodList or Pod"},
	{"{\"items\":[]}", REPRO_EFORMAT, "pod list 'p.json': missing key 'kind'"},
	{"{\"kind\":\"List\",\"items\":[{\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"}}]}", REPRO_EFORMAT,
	 "pod list 'p.json': 'items[0]' is a Service, not a Pod"},
	{"{\"kind\":\"List\",\"items\":{}}", REPRO_EFORMAT, "pod list 'p.json': 'items' must be an array, found object"},
	{"{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"namespace\":\"n\"},\"spec\":{}}]}", REPRO_EFORMAT,
	 "pod list 'p.json': missing key 'items[0].metadata.name'"},
	{"{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"a\"},\"spec\":{}}]}", REPRO_EFORMAT,
	 "pod list 'p.json': missing key 'items[0].metadata.namespace'"},
	{"{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"a\\u001b[31m\",\"namespace\":\"n\"},\"spec\":{}}]}",
	 REPRO_EFORMAT, "pod list 'p.json': 'items[0].metadata.name' contains a control character"},
	{"{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}}]}", REPRO_EFORMAT,
	 "pod list 'p.json': missing key 'items[0].spec'"},
	{"{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"},"
	 "\"spec\":{\"containers\":[{\"image\":\"i\"}]}}]}", REPRO_EFORMAT,
	 "pod list 'p.json': missing key 'items[0].spec.containers[0].name'"},
	{"{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"},"
	 "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":7}]}}]}", REPRO_EFORMAT,
	 "pod list 'p.json': 'items[0].spec.containers[0].image' must be a string, found integer"},
	{"{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"},"
	 "\"spec\":{\"containers\":[{\"name\":\"c\"}]},\"status\":{\"containerStatuses\":[{\"imageID\":\"x\"}]}}]}",
	 REPRO_EFORMAT, "pod list 'p.json': missing key 'items[0].status.containerStatuses[0].name'"},
	{"{\"kind\":\"PodList\",\"items\":[]", REPRO_EFORMAT,
	 "malformed pod list 'p.json': '}' expected near end of file at line 1, column 28"},
};

static void test_pods_parse_errors(void)
{
	for (size_t i = 0; i < REPRO_ARRAY_SIZE(pods_errors); i++) {
		const pods_error_case *c = &pods_errors[i];
		repro_kube_pod_list list;
		repro_error err;

		repro_kube_pod_list_init(&list);
		ASSERT_OK(repro_kube_pods_parse(&list, pod_list, strlen(pod_list), "good.json", &err), &err);
		ASSERT_CODE(repro_kube_pods_parse(&list, c->json, strlen(c->json), "p.json", &err), c->code, &err);
		ASSERT_STR_EQ(err.message, c->message);
		ASSERT_INT_EQ(list.pod_count, 3);
		repro_kube_pod_list_dispose(&list);
	}
}

typedef struct image_id_case {
	const char *image_id;
	int code;
	repro_kube_image_id_form form;
	const char *repository;
	const char *digest_or_message;
} image_id_case;

static const image_id_case image_ids[] = {
	{"registry.example.com/acme/hello@sha256:" HEX_1, REPRO_OK, REPRO_KUBE_IMAGE_ID_REPO_DIGEST,
	 "registry.example.com/acme/hello", "sha256:" HEX_1},
	{"docker.io/library/nginx@sha256:" HEX_2, REPRO_OK, REPRO_KUBE_IMAGE_ID_REPO_DIGEST,
	 "docker.io/library/nginx", "sha256:" HEX_2},
	{"docker-pullable://nginx@sha256:" HEX_3, REPRO_OK, REPRO_KUBE_IMAGE_ID_DOCKER_PULLABLE, "nginx",
	 "sha256:" HEX_3},
	{"docker-pullable://localhost:5000/a/b@sha256:" HEX_3, REPRO_OK, REPRO_KUBE_IMAGE_ID_DOCKER_PULLABLE,
	 "localhost:5000/a/b", "sha256:" HEX_3},
	{"docker://sha256:" HEX_4, REPRO_OK, REPRO_KUBE_IMAGE_ID_DOCKER_CONFIG, "", "sha256:" HEX_4},
	{"sha256:" HEX_5, REPRO_OK, REPRO_KUBE_IMAGE_ID_CONFIG, "", "sha256:" HEX_5},
	{"", REPRO_EFORMAT, 0, NULL,
	 "imageID '' is none of REPOSITORY@DIGEST, docker-pullable://REPOSITORY@DIGEST, docker://DIGEST and DIGEST"},
	{"nginx", REPRO_EFORMAT, 0, NULL,
	 "imageID 'nginx' is none of REPOSITORY@DIGEST, docker-pullable://REPOSITORY@DIGEST, docker://DIGEST and DIGEST"},
	{"@sha256:" HEX_1, REPRO_EFORMAT, 0, NULL, "imageID '@sha256:" HEX_1 "' has no REPOSITORY@DIGEST"},
	{"docker-pullable://sha256:" HEX_1, REPRO_EFORMAT, 0, NULL,
	 "imageID 'docker-pullable://sha256:" HEX_1 "' has no REPOSITORY@DIGEST"},
	{"cri-o://x@sha256:" HEX_1, REPRO_EFORMAT, 0, NULL,
	 "imageID 'cri-o://x@sha256:" HEX_1 "' has an unknown scheme: expected docker-pullable:// or none"},
	{"docker://nginx:latest", REPRO_EUNSUPPORTED, 0, NULL,
	 "imageID 'docker://nginx:latest': unsupported digest algorithm 'nginx' in 'nginx:latest': "
	 "only sha256 and sha512 are verified"},
	{"nginx@sha256:abc", REPRO_EFORMAT, 0, NULL, NULL},
	{"md5:d41d8cd98f00b204e9800998ecf8427e", REPRO_EUNSUPPORTED, 0, NULL, NULL},
};

static void test_image_id_forms(void)
{
	for (size_t i = 0; i < REPRO_ARRAY_SIZE(image_ids); i++) {
		const image_id_case *c = &image_ids[i];
		repro_kube_image_id parsed;
		char text[REPRO_DIGEST_STRING_MAX];
		repro_error err;

		repro_error_clear(&err);
		ASSERT_CODE(repro_kube_image_id_parse(c->image_id, &parsed, &err), c->code, &err);
		if (c->code != REPRO_OK) {
			ASSERT_STR_CONTAINS(err.message, "imageID '");
			if (c->digest_or_message != NULL)
				ASSERT_STR_EQ(err.message, c->digest_or_message);
			continue;
		}
		ASSERT_INT_EQ(parsed.form, c->form);
		ASSERT_STR_EQ(parsed.repository, c->repository);
		repro_digest_format(&parsed.digest, text);
		ASSERT_STR_EQ(text, c->digest_or_message);
	}
}

/* Two releases of hello (published as an index) and an unpublished tools
 * image, plus nginx published under a Docker Hub short name. */
static const char digest_list[] =
	"{\"schemaVersion\":1,\"releases\":["
	"{\"tag\":\"v1.0.0\",\"commit\":\"0123456789abcdef0123456789abcdef01234567\",\"sourceDateEpoch\":1,"
	"\"images\":["
	"{\"name\":\"hello\",\"reference\":\"registry.example.com/acme/hello:v1.0.0\",\"index\":\"sha256:" HEX_1 "\","
	"\"platforms\":[{\"platform\":\"linux/amd64\",\"manifest\":\"sha256:" HEX_2 "\",\"config\":\"sha256:" HEX_3 "\",\"layers\":[]},"
	"{\"platform\":\"linux/arm64\",\"manifest\":\"sha256:" HEX_4 "\",\"config\":\"sha256:" HEX_5 "\",\"layers\":[]}]},"
	"{\"name\":\"tools\",\"platforms\":[{\"platform\":\"linux/amd64\",\"manifest\":\"sha256:" HEX_6 "\","
	"\"config\":\"sha256:" HEX_7 "\",\"layers\":[]}]},"
	"{\"name\":\"nginx\",\"reference\":\"docker.io/library/nginx:1.25\","
	"\"platforms\":[{\"platform\":\"linux/amd64\",\"manifest\":\"sha256:" HEX_A "\",\"config\":\"sha256:" HEX_A "\",\"layers\":[]}]}]},"
	"{\"tag\":\"v1.1.0\",\"commit\":\"1123456789abcdef0123456789abcdef01234567\",\"sourceDateEpoch\":2,"
	"\"images\":[{\"name\":\"hello\",\"reference\":\"registry.example.com/acme/hello:v1.1.0\","
	"\"platforms\":[{\"platform\":\"linux/amd64\",\"manifest\":\"sha256:" HEX_8 "\",\"config\":\"sha256:" HEX_9 "\",\"layers\":[]}]}]}"
	"]}";

typedef struct check_case {
	const char *tag;
	const char *image;
	const char *image_id;
	repro_kube_status status;
	const char *release;        /* for identical and mismatch */
	const char *listed_image;
	const char *platform;       /* for identical */
	repro_digestlist_kind kind;
	const char *reason;
} check_case;

static const check_case checks[] = {
	{NULL, "registry.example.com/acme/hello:v1.0.0", "registry.example.com/acme/hello@sha256:" HEX_1,
	 REPRO_KUBE_IDENTICAL, "v1.0.0", "hello", NULL, REPRO_DIGESTLIST_INDEX, ""},
	{NULL, "registry.example.com/acme/hello:v1.0.0", "docker-pullable://registry.example.com/acme/hello@sha256:" HEX_4,
	 REPRO_KUBE_IDENTICAL, "v1.0.0", "hello", "linux/arm64", REPRO_DIGESTLIST_MANIFEST, ""},
	{NULL, "registry.example.com/acme/hello:v1.0.0", "docker://sha256:" HEX_3,
	 REPRO_KUBE_IDENTICAL, "v1.0.0", "hello", "linux/amd64", REPRO_DIGESTLIST_CONFIG, ""},
	{NULL, "registry.example.com/acme/hello:v1.1.0", "sha256:" HEX_9,
	 REPRO_KUBE_IDENTICAL, "v1.1.0", "hello", "linux/amd64", REPRO_DIGESTLIST_CONFIG, ""},
	/* The tag names v1.0.0 but the digest is v1.1.0's. */
	{NULL, "registry.example.com/acme/hello:v1.0.0", "registry.example.com/acme/hello@sha256:" HEX_8,
	 REPRO_KUBE_MISMATCH, "v1.0.0", "hello", NULL, 0,
	 "image 'registry.example.com/acme/hello:v1.0.0' names image 'hello' of release 'v1.0.0', which does not list sha256:" HEX_8},
	{NULL, "registry.example.com/acme/hello:v1.0.0@sha256:" HEX_6, "registry.example.com/acme/hello@sha256:" HEX_6,
	 REPRO_KUBE_MISMATCH, "v1.0.0", "hello", NULL, 0,
	 "image 'registry.example.com/acme/hello:v1.0.0@sha256:" HEX_6 "' names image 'hello' of release 'v1.0.0', "
	 "which does not list sha256:" HEX_6},
	/* An untagged image (latest) names no release, but its digest is listed. */
	{NULL, "registry.example.com/acme/hello", "registry.example.com/acme/hello@sha256:" HEX_8,
	 REPRO_KUBE_IDENTICAL, "v1.1.0", "hello", "linux/amd64", REPRO_DIGESTLIST_MANIFEST, ""},
	{NULL, "mirror.example.org/tools:v1.0.0", "mirror.example.org/tools@sha256:" HEX_7,
	 REPRO_KUBE_IDENTICAL, "v1.0.0", "tools", "linux/amd64", REPRO_DIGESTLIST_CONFIG, ""},
	{NULL, "mirror.example.org/tools:v1.0.0", "mirror.example.org/tools@sha256:" HEX_9,
	 REPRO_KUBE_MISMATCH, "v1.0.0", "tools", NULL, 0,
	 "image 'mirror.example.org/tools:v1.0.0' names image 'tools' of release 'v1.0.0', which does not list sha256:" HEX_9},
	{NULL, "nginx:1.25", "docker.io/library/nginx@sha256:" HEX_5,
	 REPRO_KUBE_MISMATCH, "v1.0.0", "nginx", NULL, 0,
	 "image 'nginx:1.25' names image 'nginx' of release 'v1.0.0', which does not list sha256:" HEX_5},
	{NULL, "docker.io/nginx:1.25", "docker-pullable://nginx@sha256:" HEX_A,
	 REPRO_KUBE_IDENTICAL, "v1.0.0", "nginx", "linux/amd64", REPRO_DIGESTLIST_MANIFEST, ""},
	{NULL, "redis:7", "docker.io/library/redis@sha256:" HEX_2 "",
	 REPRO_KUBE_IDENTICAL, "v1.0.0", "hello", "linux/amd64", REPRO_DIGESTLIST_MANIFEST, ""},
	{NULL, "redis:7", "docker.io/library/redis@sha256:0000000000000000000000000000000000000000000000000000000000000000",
	 REPRO_KUBE_UNLISTED, NULL, NULL, NULL, 0,
	 "digest list 'digests.json' has no index, manifest or config "
	 "sha256:0000000000000000000000000000000000000000000000000000000000000000"},
	/* With a tag, digests of other releases are not listed. */
	{"v1.1.0", "registry.example.com/acme/hello:latest", "sha256:" HEX_3,
	 REPRO_KUBE_UNLISTED, NULL, NULL, NULL, 0,
	 "digest list 'digests.json' has no index, manifest or config sha256:" HEX_3 " for tag 'v1.1.0'"},
	{"v1.1.0", "registry.example.com/acme/hello:v1.1.0", "sha256:" HEX_3,
	 REPRO_KUBE_MISMATCH, "v1.1.0", "hello", NULL, 0,
	 "image 'registry.example.com/acme/hello:v1.1.0' names image 'hello' of release 'v1.1.0', which does not list sha256:" HEX_3},
	{"v1.1.0", "registry.example.com/acme/hello:v1.0.0", "sha256:" HEX_8,
	 REPRO_KUBE_IDENTICAL, "v1.1.0", "hello", "linux/amd64", REPRO_DIGESTLIST_MANIFEST, ""},
	{NULL, "hello:v2", NULL, REPRO_KUBE_ERROR, NULL, NULL, NULL, 0,
	 "the container status has no imageID yet: the image is not pulled or the pod is pending"},
	{NULL, NULL, "docker://nginx", REPRO_KUBE_ERROR, NULL, NULL, NULL, 0,
	 "imageID 'docker://nginx': invalid digest 'nginx': expected ALGORITHM:HEX, such as sha256:<64 hex digits>"},
};

static void test_check_containers(void)
{
	repro_digestlist *list = NULL;
	repro_error err;

	ASSERT_OK(repro_digestlist_parse(&list, digest_list, strlen(digest_list), "digests.json", &err), &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(list);
	for (size_t i = 0; i < REPRO_ARRAY_SIZE(checks); i++) {
		const check_case *c = &checks[i];
		char name[] = "app";
		repro_kube_container container = {REPRO_KUBE_CONTAINER, name, NULL, NULL};
		repro_kube_check check;

		container.image = c->image ? strdup(c->image) : NULL;
		container.image_id = c->image_id ? strdup(c->image_id) : NULL;

		ASSERT_OK(repro_kube_check_container(list, c->tag, &container, &check, &err), &err);
		REPRO_CHECK(check.status == c->status, "case %zu: status %s, expected %s", i,
		            repro_kube_status_name(check.status), repro_kube_status_name(c->status));
		ASSERT_STR_EQ(check.reason, c->reason);
		if (c->release != NULL) {
			ASSERT_STR_EQ(check.release ? check.release->tag : NULL, c->release);
			ASSERT_STR_EQ(check.image ? check.image->name : NULL, c->listed_image);
		} else {
			CU_ASSERT_PTR_NULL(check.release);
		}
		if (c->status == REPRO_KUBE_IDENTICAL) {
			ASSERT_INT_EQ(check.kind, c->kind);
			if (c->platform == NULL) {
				CU_ASSERT_PTR_NULL(check.platform);
			} else {
				ASSERT_STR_EQ(check.platform ? check.platform->platform : NULL, c->platform);
			}
		}
		CU_ASSERT_EQUAL(check.has_digest, c->image_id != NULL && c->status != REPRO_KUBE_ERROR);
		free(container.image);
		free(container.image_id);
	}

	{
		char name[] = "app", image[] = "x", image_id[] = "sha256:" HEX_1;
		repro_kube_container container = {REPRO_KUBE_CONTAINER, name, image, image_id};
		repro_kube_check check;

		ASSERT_CODE(repro_kube_check_container(list, "v9", &container, &check, &err), REPRO_ENOTFOUND, &err);
		ASSERT_STR_EQ(err.message, "digest list 'digests.json' has no entry for tag 'v9'; tags present: v1.0.0, v1.1.0");
	}
	repro_digestlist_free(list);
}

static void test_names(void)
{
	ASSERT_STR_EQ(repro_kube_status_name(REPRO_KUBE_IDENTICAL), "identical");
	ASSERT_STR_EQ(repro_kube_status_name(REPRO_KUBE_UNLISTED), "unlisted");
	ASSERT_STR_EQ(repro_kube_status_name(REPRO_KUBE_MISMATCH), "mismatch");
	ASSERT_STR_EQ(repro_kube_status_name(REPRO_KUBE_ERROR), "error");
	ASSERT_STR_EQ(repro_kube_container_kind_name(REPRO_KUBE_CONTAINER), "container");
	ASSERT_STR_EQ(repro_kube_container_kind_name(REPRO_KUBE_INIT), "init");
	ASSERT_STR_EQ(repro_kube_container_kind_name(REPRO_KUBE_EPHEMERAL), "ephemeral");
}

static void test_list_needs_resolved_settings(void)
{
	repro_kube_settings settings;
	repro_kube_pod_list list;
	repro_error err;

	repro_kube_settings_init(&settings);
	repro_kube_pod_list_init(&list);
	ASSERT_CODE(repro_kube_list_pods(&settings, NULL, &list, &err), REPRO_EUSAGE, &err);
	ASSERT_STR_EQ(err.message, "listing pods needs resolved settings with a server");
	ASSERT_INT_EQ(list.pod_count, 0);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"config current context", test_config_current_context},
		{"config paths resolved", test_config_paths_resolved},
		{"resolve reads credential files", test_resolve_reads_files},
		{"config select errors", test_config_select_errors},
		{"config parse errors", test_config_parse_errors},
		{"config anchors and empty file", test_config_anchors_and_empty},
		{"config load from env and home", test_config_load_files},
		{"exec plugin token", test_exec_plugin_token},
		{"exec plugin certificate", test_exec_plugin_certificate},
		{"exec plugin errors", test_exec_plugin_errors},
		{"in-cluster settings", test_in_cluster},
		{"pods parse list", test_pods_parse_list},
		{"pods parse kinds", test_pods_parse_kinds},
		{"pods parse errors", test_pods_parse_errors},
		{"image id forms", test_image_id_forms},
		{"check containers", test_check_containers},
		{"status and kind names", test_names},
		{"list needs resolved settings", test_list_needs_resolved_settings},
	};
	return repro_test_main("kube", cases, REPRO_ARRAY_SIZE(cases));
}

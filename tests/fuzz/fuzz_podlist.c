#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <reprocheck/kube.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char digest_list[] =
	"{\"schemaVersion\":1,\"releases\":[{\"tag\":\"v1\",\"commit\":\"0123456789abcdef0123456789abcdef01234567\","
	"\"sourceDateEpoch\":1,\"images\":[{\"name\":\"hello\",\"reference\":\"registry.example.com/acme/hello:v1\","
	"\"index\":\"sha256:1111111111111111111111111111111111111111111111111111111111111111\","
	"\"platforms\":[{\"platform\":\"linux/amd64\","
	"\"manifest\":\"sha256:2222222222222222222222222222222222222222222222222222222222222222\","
	"\"config\":\"sha256:3333333333333333333333333333333333333333333333333333333333333333\",\"layers\":[]}]}]}]}";

/* Parses a pod document and checks every container against a fixed
 * digest list, with and without a tag. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static repro_digestlist *list;
	repro_kube_pod_list pods;
	repro_error err;

	if (list == NULL && repro_digestlist_parse(&list, digest_list, strlen(digest_list), "list", &err) != REPRO_OK)
		abort();
	repro_kube_pod_list_init(&pods);
	if (repro_kube_pods_parse(&pods, data, size, "input", &err) != REPRO_OK) {
		if (pods.pod_count != 0 || err.message[0] == '\0')
			abort();
		/* A failed parse may leave capacity that the caller still disposes. */
		repro_kube_pod_list_dispose(&pods);
		return 0;
	}
	for (size_t i = 0; i < pods.pod_count; i++) {
		for (size_t j = 0; j < pods.pods[i].container_count; j++) {
			const repro_kube_container *container = &pods.pods[i].containers[j];
			repro_kube_check check;

			if (repro_kube_check_container(list, NULL, container, &check, &err) != REPRO_OK ||
			    repro_kube_check_container(list, "v1", container, &check, &err) != REPRO_OK)
				abort();
			if (check.status != REPRO_KUBE_IDENTICAL && check.reason[0] == '\0')
				abort();
		}
	}
	repro_kube_pod_list_dispose(&pods);
	return 0;
}

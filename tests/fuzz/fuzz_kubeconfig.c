#include <stdint.h>
#include <stdlib.h>

#include <reprocheck/kube.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses a kubeconfig and selects its current context and a fixed one.
 * Selection reads no file and runs no plugin, so arbitrary input is safe. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const contexts[] = {NULL, "a"};
	repro_kube_config *config = NULL;
	repro_error err;

	repro_error_clear(&err);
	if (repro_kube_config_parse(&config, data, size, "input", "/base", &err) != REPRO_OK) {
		if (config != NULL || err.message[0] == '\0')
			abort();
		return 0;
	}
	for (size_t i = 0; i < 2; i++) {
		repro_kube_settings settings;

		repro_kube_settings_init(&settings);
		repro_error_clear(&err);
		if (repro_kube_config_select(config, contexts[i], &settings, &err) == REPRO_OK) {
			if (settings.server == NULL || settings.context == NULL || settings.cluster == NULL)
				abort();
		} else if (err.message[0] == '\0' || settings.server != NULL) {
			abort();
		}
		repro_kube_settings_dispose(&settings);
	}
	repro_kube_config_free(config);
	return 0;
}

/*
 * Validation of sandbox options and the parts of a plan that the child
 * cannot build itself: the environment, the id maps, the list of host
 * system directories and the /etc replacements.
 */
#include "sandbox_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* Maximum SOURCE_DATE_EPOCH: 9999-12-31T23:59:59Z. */
#define MAX_SOURCE_DATE_EPOCH 253402300799LL

/* Limits on one recipe variable. */
#define MAX_ENV_NAME 256
#define MAX_ENV_VALUE 32768

/* Limit on the step's command line, in bytes with the terminating NULs. */
#define MAX_ARGV_BYTES (1024 * 1024)

/*
 * Host directories that make up the sandbox's system. /var, /opt, /srv,
 * /home, /root, /run and /mnt are left out: they hold host state, local
 * installs and user data rather than the distribution's tools.
 */
static const char *const system_directories[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc",
};

/* First components of HOME that would hide a mount the sandbox needs. */
static const char *const reserved_home_roots[] = {
	"build", "tmp", "dev", "proc", "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc",
};

static const char machine_id[] = "726570726f636865636b000000000000\n";

static int is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Returns the length of the NAME in "NAME=VALUE", or 0 if it is invalid. */
static size_t env_name_length(const char *entry)
{
	size_t length = 0;

	if (!is_name_start(entry[0]))
		return 0;
	while (is_name_char(entry[length]) && length <= MAX_ENV_NAME)
		length++;
	if (length > MAX_ENV_NAME || entry[length] != '=')
		return 0;
	return length;
}

static int validate_hostname(const char *hostname, repro_error *err)
{
	size_t length = strlen(hostname);

	if (length == 0 || length > 64)
		return repro_error_set(err, REPRO_EUSAGE,
			"invalid sandbox hostname '%s': expected 1 to 64 characters", hostname);
	for (size_t i = 0; i < length; i++) {
		char c = hostname[i];

		if (!is_name_char(c) && c != '-' && c != '.')
			return repro_error_set(err, REPRO_EUSAGE,
				"invalid sandbox hostname '%s': only letters, digits, '-' and '.' are allowed",
				hostname);
	}
	return REPRO_OK;
}

/* Accepts "/NAME" or "/NAME/NAME" where the first NAME is not reserved. */
static int validate_home(const char *home, repro_error *err)
{
	size_t length = strlen(home), components = 0, start = 1;

	if (home[0] != '/' || length < 2 || length > 64 || home[length - 1] == '/')
		return repro_error_set(err, REPRO_EUSAGE, "invalid sandbox HOME '%s': expected an "
		                       "absolute path of at most 64 bytes", home);
	for (size_t i = 1; i <= length; i++) {
		char c = home[i];

		if (c != '/' && c != '\0') {
			if (!is_name_char(c) && c != '-' && c != '.')
				return repro_error_set(err, REPRO_EUSAGE, "invalid sandbox HOME '%s': only "
				                       "letters, digits, '-', '.' and '/' are allowed", home);
			continue;
		}
		if (i == start || (i - start == 1 && home[start] == '.') ||
		    (i - start == 2 && home[start] == '.' && home[start + 1] == '.'))
			return repro_error_set(err, REPRO_EUSAGE, "invalid sandbox HOME '%s': empty, '.' "
			                       "or '..' component", home);
		if (components++ == 0) {
			for (size_t k = 0; k < sizeof(reserved_home_roots) / sizeof(reserved_home_roots[0]);
			     k++) {
				if (strlen(reserved_home_roots[k]) == i - start &&
				    memcmp(reserved_home_roots[k], home + start, i - start) == 0)
					return repro_error_set(err, REPRO_EUSAGE, "invalid sandbox HOME '%s': "
					                       "/%s is used by the sandbox itself", home,
					                       reserved_home_roots[k]);
			}
		}
		start = i + 1;
	}
	if (components > 2)
		return repro_error_set(err, REPRO_EUSAGE, "invalid sandbox HOME '%s': expected one or "
		                       "two path components", home);
	return REPRO_OK;
}

/* Checks the options that change the step's identity and resources. */
static int validate_identity(const repro_sandbox_options *options, repro_error *err)
{
	if (options->umask_mode > 0777)
		return repro_error_set(err, REPRO_EUSAGE, "invalid umask %04o: expected at most 0777",
		                       options->umask_mode);
	if (options->uid > REPRO_SANDBOX_MAX_ID || options->gid > REPRO_SANDBOX_MAX_ID)
		return repro_error_set(err, REPRO_EUSAGE, "invalid sandbox uid %u or gid %u: expected "
		                       "at most %u", options->uid, options->gid, REPRO_SANDBOX_MAX_ID);
	if (options->cpu_count > REPRO_SANDBOX_MAX_CPUS)
		return repro_error_set(err, REPRO_EUSAGE, "invalid CPU count %u: expected at most %u",
		                       options->cpu_count, REPRO_SANDBOX_MAX_CPUS);
	if (!options->hermetic)
		return REPRO_OK;
	if (options->domainname != NULL &&
	    validate_hostname(options->domainname, err) != REPRO_OK)
		return repro_error_set(err, REPRO_EUSAGE, "invalid sandbox domain name '%s': expected "
		                       "1 to 64 letters, digits, '-' and '.'", options->domainname);
	if (options->home != NULL)
		return validate_home(options->home, err);
	return REPRO_OK;
}

static int validate_env(const repro_sandbox_options *options, repro_error *err)
{
	if (options->env_count > REPRO_SANDBOX_MAX_ENV)
		return repro_error_set(err, REPRO_ELIMIT,
			"the recipe sets %zu environment variables, more than the limit of %d",
			options->env_count, REPRO_SANDBOX_MAX_ENV);
	if (options->env_count > 0 && options->env == NULL)
		return repro_error_set(err, REPRO_EUSAGE, "env is NULL but env_count is %zu",
		                       options->env_count);

	for (size_t i = 0; i < options->env_count; i++) {
		const char *entry = options->env[i];
		size_t length = entry ? env_name_length(entry) : 0;

		if (length == 0)
			return repro_error_set(err, REPRO_EUSAGE,
				"invalid environment entry '%.80s': expected NAME=VALUE with NAME made of "
				"letters, digits and '_'", entry ? entry : "(null)");
		if (strlen(entry + length + 1) > MAX_ENV_VALUE)
			return repro_error_set(err, REPRO_ELIMIT,
				"the value of environment variable '%.*s' is longer than %d bytes",
				(int)length, entry, MAX_ENV_VALUE);
		if (length == strlen("SOURCE_DATE_EPOCH") &&
		    memcmp(entry, "SOURCE_DATE_EPOCH", length) == 0)
			return repro_error_set(err, REPRO_EUSAGE,
				"the recipe environment may not set SOURCE_DATE_EPOCH; "
				"use the recipe's \"sourceDateEpoch\" key instead");
		for (size_t j = 0; j < i; j++) {
			if (strncmp(options->env[j], entry, length + 1) == 0)
				return repro_error_set(err, REPRO_EUSAGE,
					"environment variable '%.*s' is set twice", (int)length, entry);
		}
	}
	return REPRO_OK;
}

int repro_sandbox_validate(const repro_sandbox_options *options, const char *const *argv,
                           repro_error *err)
{
	size_t bytes = 0, count = 0;

	if (options == NULL || options->build_tree == NULL || options->build_tree[0] == '\0')
		return repro_error_set(err, REPRO_EUSAGE, "no build tree given for the sandbox");
	if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0')
		return repro_error_set(err, REPRO_EUSAGE, "a build step needs a non-empty command");
	for (; argv[count] != NULL; count++) {
		if (count >= REPRO_SANDBOX_MAX_ARGS)
			return repro_error_set(err, REPRO_ELIMIT,
				"a build step has more than %d arguments", REPRO_SANDBOX_MAX_ARGS);
		bytes += strlen(argv[count]) + 1;
		if (bytes > MAX_ARGV_BYTES)
			return repro_error_set(err, REPRO_ELIMIT,
				"a build step's command line is longer than %d bytes", MAX_ARGV_BYTES);
	}
	if (options->source_date_epoch < 0 || options->source_date_epoch > MAX_SOURCE_DATE_EPOCH)
		return repro_error_set(err, REPRO_EUSAGE,
			"invalid SOURCE_DATE_EPOCH %lld: expected 0 to %lld",
			options->source_date_epoch, MAX_SOURCE_DATE_EPOCH);
	if (options->hermetic &&
	    validate_hostname(options->hostname ? options->hostname : "", err) != REPRO_OK)
		return err ? err->code : REPRO_EUSAGE;
	if (validate_identity(options, err) != REPRO_OK)
		return err ? err->code : REPRO_EUSAGE;
	return validate_env(options, err);
}

/* Orders "NAME=VALUE" strings by NAME, bytewise. */
static int compare_env_entries(const void *left, const void *right)
{
	const unsigned char *a = *(const unsigned char *const *)left;
	const unsigned char *b = *(const unsigned char *const *)right;

	for (;; a++, b++) {
		unsigned int ca = *a == '=' ? 0 : *a;
		unsigned int cb = *b == '=' ? 0 : *b;

		if (ca != cb || ca == 0)
			return (int)ca - (int)cb;
	}
}

static char *format_entry(const char *name, const char *value)
{
	size_t size = strlen(name) + strlen(value) + 2;
	char *entry = malloc(size);

	if (entry != NULL)
		snprintf(entry, size, "%s=%s", name, value);
	return entry;
}

static int overridden(const repro_sandbox_options *options, const char *name)
{
	size_t length = strlen(name);

	for (size_t i = 0; i < options->env_count; i++) {
		if (strncmp(options->env[i], name, length) == 0 && options->env[i][length] == '=')
			return 1;
	}
	return 0;
}

int repro_sandbox_build_env(const repro_sandbox_options *options, const char *home,
                            char ***out, repro_error *err)
{
	char epoch[32];
	const char *fixed[][2] = {
		{"PATH", REPRO_SANDBOX_PATH}, {"HOME", home}, {"SOURCE_DATE_EPOCH", epoch},
		{"TZ", "UTC"}, {"LANG", "C.UTF-8"}, {"LC_ALL", "C.UTF-8"},
	};
	size_t fixed_count = sizeof(fixed) / sizeof(fixed[0]);
	size_t used = 0;
	char **envp = calloc(fixed_count + options->env_count + 1, sizeof(*envp));

	*out = NULL;
	if (envp == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "building the step's environment failed");
	snprintf(epoch, sizeof(epoch), "%lld", options->source_date_epoch);

	for (size_t i = 0; i < fixed_count; i++) {
		if (overridden(options, fixed[i][0]))
			continue;
		envp[used] = format_entry(fixed[i][0], fixed[i][1]);
		if (envp[used++] == NULL)
			goto out_of_memory;
	}
	for (size_t i = 0; i < options->env_count; i++) {
		envp[used] = strdup(options->env[i]);
		if (envp[used++] == NULL)
			goto out_of_memory;
	}
	qsort(envp, used, sizeof(*envp), compare_env_entries);
	*out = envp;
	return REPRO_OK;

out_of_memory:
	repro_sandbox_free_env(envp);
	return repro_error_set(err, REPRO_ENOMEM, "building the step's environment failed");
}

void repro_sandbox_free_env(char **envp)
{
	if (envp == NULL)
		return;
	for (size_t i = 0; envp[i] != NULL; i++)
		free(envp[i]);
	free(envp);
}

static int add_system_directories(repro_sandbox_plan *plan, repro_error *err)
{
	for (size_t i = 0; i < sizeof(system_directories) / sizeof(system_directories[0]); i++) {
		repro_sandbox_system_entry *entry = &plan->system[plan->system_count];
		const char *path = system_directories[i];
		struct stat info;
		ssize_t length;

		if (lstat(path, &info) != 0)
			continue;
		if (S_ISDIR(info.st_mode)) {
			entry->path = path;
			entry->is_symlink = 0;
			plan->system_count++;
			continue;
		}
		if (!S_ISLNK(info.st_mode))
			continue;
		length = readlink(path, entry->target, sizeof(entry->target) - 1);
		if (length < 0)
			return repro_error_set_errno(err, REPRO_EIO, errno, "reading the link '%s' failed",
			                             path);
		if ((size_t)length >= sizeof(entry->target) - 1)
			return repro_error_set(err, REPRO_ELIMIT, "the link '%s' has a target longer "
			                       "than %zu bytes", path, sizeof(entry->target) - 2);
		entry->target[length] = '\0';
		entry->path = path;
		entry->is_symlink = 1;
		plan->system_count++;
	}
	return REPRO_OK;
}

int repro_sandbox_plan_hermetic(repro_sandbox_plan *plan, const repro_sandbox_options *options,
                                repro_error *err)
{
	const char *hostname = options->hostname;

	plan->hostname = hostname;
	plan->domainname = options->domainname ? options->domainname : "(none)";
	snprintf(plan->uid_map, sizeof(plan->uid_map), "%u %lu 1\n", options->uid,
	         (unsigned long)geteuid());
	snprintf(plan->gid_map, sizeof(plan->gid_map), "%u %lu 1\n", options->gid,
	         (unsigned long)getegid());
	snprintf(plan->etc_hostname, sizeof(plan->etc_hostname), "%s\n", hostname);
	snprintf(plan->etc_hosts, sizeof(plan->etc_hosts),
	         "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n",
	         hostname);

	plan->etc_overlays[0] = (repro_sandbox_etc_overlay){"/etc/hostname", plan->etc_hostname};
	plan->etc_overlays[1] = (repro_sandbox_etc_overlay){"/etc/mailname", plan->etc_hostname};
	plan->etc_overlays[2] = (repro_sandbox_etc_overlay){"/etc/hosts", plan->etc_hosts};
	plan->etc_overlays[3] = (repro_sandbox_etc_overlay){"/etc/machine-id", machine_id};

	plan->system_count = 0;
	return add_system_directories(plan, err);
}

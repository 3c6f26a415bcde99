/*
 * The variations' names and settings, and the directory the builds run in.
 * docs/VARY.md describes each variation.
 */
#include "vary_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil_internal.h"

#define VARY_HOSTNAME "reprocheck-vary"
#define VARY_DOMAINNAME "vary.example"
#define VARY_HOME "/home/reprocheck-vary"
#define VARY_UMASK 0002u
#define VARY_ID 1000u
#define VARY_EXTRA_ENV "REPROCHECK_VARY_EXTRA=1"
#define VARY_FAKETIME "FAKETIME=+3d"

/* Newfoundland time is 3.5 hours behind UTC; the POSIX form needs no tzdata. */
#define TIMEZONE_FILE "/usr/share/zoneinfo/America/St_Johns"
#define TIMEZONE_NAME "America/St_Johns"
#define TIMEZONE_POSIX "<-0330>3:30"

static const char *const kind_names[REPRO_VARY_COUNT] = {
	"time", "hostname", "timezone", "locale", "umask", "uid", "file-order", "cpus", "env", "home",
};

/* Tried in this order; POSIX exists everywhere and differs from C.UTF-8 in
 * its character set. */
static const char *const locale_candidates[] = {
	"fr_FR.UTF-8", "de_DE.UTF-8", "en_US.UTF-8", "en_GB.UTF-8", "POSIX",
};

const char *repro_vary_name(repro_vary_kind kind)
{
	return (unsigned)kind < REPRO_VARY_COUNT ? kind_names[kind] : "unknown";
}

const char *repro_vary_status_name(repro_vary_status status)
{
	switch (status) {
	case REPRO_VARY_STATUS_SKIPPED: return "skipped";
	case REPRO_VARY_STATUS_IDENTICAL: return "identical";
	case REPRO_VARY_STATUS_MISMATCH: return "mismatch";
	case REPRO_VARY_STATUS_UNKNOWN: return "unknown";
	case REPRO_VARY_STATUS_NOT_CHOSEN: break;
	}
	return "not-chosen";
}

void repro_vary_list_names(char *out, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < REPRO_VARY_COUNT && used < size; i++) {
		int written = snprintf(out + used, size - used, "%s%s", i ? ", " : "", kind_names[i]);

		used += written > 0 ? (size_t)written : 0;
	}
}

int repro_vary_parse_list(const char *list, unsigned *out, repro_error *err)
{
	const char *cursor = list;
	char names[160];

	*out = 0;
	repro_vary_list_names(names, sizeof(names));
	if (list == NULL || list[0] == '\0')
		return repro_error_set(err, REPRO_EUSAGE, "empty variation list: expected names from %s",
		                       names);
	for (;;) {
		size_t length = strcspn(cursor, ",");
		unsigned found = 0;

		for (size_t i = 0; i < REPRO_VARY_COUNT && found == 0; i++) {
			if (strlen(kind_names[i]) == length && memcmp(kind_names[i], cursor, length) == 0)
				found = REPRO_VARY_BIT(i);
		}
		if (found == 0)
			return repro_error_set(err, REPRO_EUSAGE,
				"unknown variation '%.*s': expected names from %s", (int)(length > 64 ? 64 : length),
				cursor, names);
		*out |= found;
		if (cursor[length] == '\0')
			return REPRO_OK;
		cursor += length + 1;
	}
}

static unsigned count_allowed_cpus(void)
{
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		return 1;
	return (unsigned)CPU_COUNT(&allowed);
}

void vary_choose_settings(vary_settings *settings)
{
	settings->locale = locale_candidates[sizeof(locale_candidates) / sizeof(locale_candidates[0]) - 1];
	for (size_t i = 0; i + 1 < sizeof(locale_candidates) / sizeof(locale_candidates[0]); i++) {
		/* The sandbox sees the host's /usr, so a locale installed here
		 * is installed for the build steps too. */
		locale_t probe = newlocale(LC_ALL_MASK, locale_candidates[i], (locale_t)0);

		if (probe != (locale_t)0) {
			freelocale(probe);
			settings->locale = locale_candidates[i];
			break;
		}
	}
	settings->timezone = access(TIMEZONE_FILE, R_OK) == 0 ? TIMEZONE_NAME : TIMEZONE_POSIX;
	snprintf(settings->lang_entry, sizeof(settings->lang_entry), "LANG=%s", settings->locale);
	snprintf(settings->lc_all_entry, sizeof(settings->lc_all_entry), "LC_ALL=%s",
	         settings->locale);
	snprintf(settings->tz_entry, sizeof(settings->tz_entry), "TZ=%s", settings->timezone);
	settings->cpus_allowed = count_allowed_cpus();
}

int vary_prepare_kind(repro_vary_kind kind, const vary_settings *settings,
                      repro_vary_outcome *outcome)
{
	char *setting = outcome->setting, *reason = outcome->reason;
	size_t setting_size = sizeof(outcome->setting), reason_size = sizeof(outcome->reason);

	switch (kind) {
	case REPRO_VARY_TIME:
		if (access(REPRO_VARY_FAKETIME_LIBRARY, R_OK) != 0) {
			snprintf(reason, reason_size, "libfaketime is not installed: '%s' is missing "
			         "(Debian package libfaketime)", REPRO_VARY_FAKETIME_LIBRARY);
			return 0;
		}
		snprintf(setting, setting_size, "clock 3 days ahead: LD_PRELOAD=%s %s",
		         REPRO_VARY_FAKETIME_LIBRARY, VARY_FAKETIME);
		return 1;
	case REPRO_VARY_HOSTNAME:
		snprintf(setting, setting_size, "hostname %s, domain name %s", VARY_HOSTNAME,
		         VARY_DOMAINNAME);
		return 1;
	case REPRO_VARY_TIMEZONE:
		snprintf(setting, setting_size, "%s", settings->tz_entry);
		return 1;
	case REPRO_VARY_LOCALE:
		snprintf(setting, setting_size, "%s %s", settings->lang_entry, settings->lc_all_entry);
		return 1;
	case REPRO_VARY_UMASK:
		snprintf(setting, setting_size, "umask %04o", VARY_UMASK);
		return 1;
	case REPRO_VARY_UID:
		snprintf(setting, setting_size, "uid %u, gid %u", VARY_ID, VARY_ID);
		return 1;
	case REPRO_VARY_FILE_ORDER:
		if (!settings->creation_ordered) {
			snprintf(reason, reason_size, "%s", settings->root_reason);
			return 0;
		}
		snprintf(setting, setting_size, "build tree entries created in reverse order");
		return 1;
	case REPRO_VARY_CPUS:
		if (settings->cpus_allowed < 2) {
			snprintf(reason, reason_size, "reprocheck may use only 1 CPU here, so the count "
			         "cannot change");
			return 0;
		}
		snprintf(setting, setting_size, "1 CPU instead of %u", settings->cpus_allowed);
		return 1;
	case REPRO_VARY_ENV:
		snprintf(setting, setting_size, "%s", VARY_EXTRA_ENV);
		return 1;
	case REPRO_VARY_HOME:
		snprintf(setting, setting_size, "HOME=%s", VARY_HOME);
		return 1;
	case REPRO_VARY_COUNT:
		break;
	}
	snprintf(reason, reason_size, "unknown variation");
	return 0;
}

static void add_env(vary_variation *out, const char *entry)
{
	if (out->variation.env_count < VARY_ENV_MAX)
		out->env[out->variation.env_count++] = entry;
}

void vary_fill_variation(unsigned kinds, const vary_settings *settings, vary_variation *out)
{
	repro_build_variation *variation = &out->variation;

	memset(out, 0, sizeof(*out));
	variation->env = out->env;
	if (kinds & REPRO_VARY_BIT(REPRO_VARY_TIME)) {
		add_env(out, "LD_PRELOAD=" REPRO_VARY_FAKETIME_LIBRARY);
		add_env(out, VARY_FAKETIME);
	}
	if (kinds & REPRO_VARY_BIT(REPRO_VARY_HOSTNAME)) {
		variation->hostname = VARY_HOSTNAME;
		variation->domainname = VARY_DOMAINNAME;
	}
	if (kinds & REPRO_VARY_BIT(REPRO_VARY_TIMEZONE))
		add_env(out, settings->tz_entry);
	if (kinds & REPRO_VARY_BIT(REPRO_VARY_LOCALE)) {
		add_env(out, settings->lang_entry);
		add_env(out, settings->lc_all_entry);
	}
	if (kinds & REPRO_VARY_BIT(REPRO_VARY_UMASK)) {
		variation->set_umask = 1;
		variation->umask_mode = VARY_UMASK;
	}
	if (kinds & REPRO_VARY_BIT(REPRO_VARY_UID)) {
		variation->uid = VARY_ID;
		variation->gid = VARY_ID;
	}
	variation->reverse_file_order = (kinds & REPRO_VARY_BIT(REPRO_VARY_FILE_ORDER)) != 0;
	if (kinds & REPRO_VARY_BIT(REPRO_VARY_CPUS))
		variation->cpu_count = 1;
	if (kinds & REPRO_VARY_BIT(REPRO_VARY_ENV))
		add_env(out, VARY_EXTRA_ENV);
	if (kinds & REPRO_VARY_BIT(REPRO_VARY_HOME))
		variation->home = VARY_HOME;
}

/* Lists the entries of @p directory in readdir order into @p out. */
static void list_entries(const char *directory, char *out, size_t size)
{
	DIR *listing = opendir(directory);
	struct dirent *entry;
	size_t used = 0;

	out[0] = '\0';
	while (listing != NULL && (entry = readdir(listing)) != NULL && used + 2 < size) {
		if (entry->d_name[0] != '.')
			out[used++] = entry->d_name[0];
	}
	out[used] = '\0';
	if (listing != NULL)
		closedir(listing);
}

/* Creates files named by the letters of @p names in @p directory, in order. */
static int create_in_order(const char *directory, const char *names)
{
	if (mkdir(directory, 0700) != 0)
		return -1;
	for (const char *name = names; *name != '\0'; name++) {
		char path[4096];
		int fd;

		snprintf(path, sizeof(path), "%s/%c", directory, *name);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

/* Returns 1 when @p root lists entries by creation order, oldest or newest
 * first: two directories with the same names created in opposite orders
 * list them in opposite orders, and each in one of the two orders. */
static int lists_by_creation(const char *root)
{
	static const char names[] = "adgjmpsvy";
	static const char reversed[] = "yvspmjgda";
	char forward_dir[4096], reverse_dir[4096], forward[16], reverse[16];
	int ordered = 0;

	snprintf(forward_dir, sizeof(forward_dir), "%s/.order-probe-forward", root);
	snprintf(reverse_dir, sizeof(reverse_dir), "%s/.order-probe-reverse", root);
	if (create_in_order(forward_dir, names) == 0 && create_in_order(reverse_dir, reversed) == 0) {
		list_entries(forward_dir, forward, sizeof(forward));
		list_entries(reverse_dir, reverse, sizeof(reverse));
		ordered = (strcmp(forward, names) == 0 && strcmp(reverse, reversed) == 0) ||
		          (strcmp(forward, reversed) == 0 && strcmp(reverse, names) == 0);
	}
	repro_remove_tree(forward_dir, NULL);
	repro_remove_tree(reverse_dir, NULL);
	return ordered;
}

static int make_kept_root(const char *keep_dir, char **out, repro_error *err)
{
	if (mkdir(keep_dir, 0755) != 0) {
		if (errno == EEXIST)
			return repro_error_set(err, REPRO_EUSAGE,
				"keep directory '%s' already exists: name a new directory", keep_dir);
		return repro_error_set_errno(err, REPRO_EIO, errno,
		                             "creating keep directory '%s' failed", keep_dir);
	}
	*out = realpath(keep_dir, NULL);
	if (*out == NULL)
		return repro_error_set_errno(err, REPRO_EIO, errno, "resolving '%s' failed", keep_dir);
	return REPRO_OK;
}

static char *make_temp_dir_in(const char *base)
{
	char *path = NULL;

	if (asprintf(&path, "%s/reprocheck-vary-XXXXXX", base) < 0)
		return NULL;
	if (mkdtemp(path) == NULL) {
		free(path);
		return NULL;
	}
	return path;
}

/* Tries $TMPDIR (or /tmp) and then /dev/shm, and keeps the first that
 * lists by creation order, or else the first. */
static int make_temporary_root(vary_settings *settings, char **out, repro_error *err)
{
	char *candidate = NULL;
	int result = repro_make_temp_dir("reprocheck-vary", out, err);

	if (result != REPRO_OK)
		return result;
	settings->creation_ordered = lists_by_creation(*out);
	if (!settings->creation_ordered)
		candidate = make_temp_dir_in("/dev/shm");
	if (candidate != NULL && lists_by_creation(candidate)) {
		repro_remove_tree(*out, NULL);
		free(*out);
		*out = candidate;
		settings->creation_ordered = 1;
	} else if (candidate != NULL) {
		repro_remove_tree(candidate, NULL);
		free(candidate);
	}
	if (!settings->creation_ordered)
		snprintf(settings->root_reason, sizeof(settings->root_reason),
		         "neither $TMPDIR nor /dev/shm lists directory entries by creation order "
		         "(tmpfs does, ext4 lists by name hash)");
	return REPRO_OK;
}

int vary_make_root(const char *keep_dir, vary_settings *settings, char **out, repro_error *err)
{
	int result;

	*out = NULL;
	if (keep_dir == NULL)
		return make_temporary_root(settings, out, err);
	result = make_kept_root(keep_dir, out, err);
	settings->creation_ordered = result == REPRO_OK && lists_by_creation(*out);
	if (result == REPRO_OK && !settings->creation_ordered)
		snprintf(settings->root_reason, sizeof(settings->root_reason),
		         "the keep directory '%s' does not list entries by creation order (tmpfs "
		         "does, ext4 lists by name hash): keep the builds on a tmpfs such as /dev/shm",
		         keep_dir);
	return result;
}

/**
 * @file reprocheck/sandbox.h
 * @brief Runs one build step hermetically in fresh Linux namespaces.
 *
 * A step runs in new user, mount, network, PID, UTS and IPC namespaces, with
 * the caller mapped to uid and gid 0. It sees the build tree read-write at
 * /build (its working directory), an empty /tmp, the host's /usr, /etc and
 * library directories read-only, a fresh /proc, a minimal /dev, an empty
 * HOME at /root and a fixed hostname. Options change the ids, names, HOME,
 * umask and CPU count, so that `reprocheck vary` can test whether a build
 * depends on them. Its environment is reset to a fixed
 * set plus the recipe's variables, and its stdout and stderr are appended to
 * a log file. When the step's first process exits, times out or reprocheck
 * is interrupted, the whole PID namespace is killed.
 *
 * This is a reproducibility sandbox, not a security boundary: see
 * docs/SANDBOX.md.
 */
#ifndef REPROCHECK_SANDBOX_H
#define REPROCHECK_SANDBOX_H

#include <stddef.h>

#include <reprocheck/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Hostname (and /etc/hostname content) inside the sandbox by default. */
#define REPRO_SANDBOX_DEFAULT_HOSTNAME "reprocheck"

/** Step timeout set by repro_sandbox_options_init(), in seconds. */
#define REPRO_SANDBOX_DEFAULT_TIMEOUT 3600u

/** PATH inside the step, in both modes. */
#define REPRO_SANDBOX_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/** HOME inside the sandbox: an empty tmpfs, discarded after the step. */
#define REPRO_SANDBOX_HOME "/root"

/** Maximum number of recipe variables and of argv entries. */
#define REPRO_SANDBOX_MAX_ENV 256
#define REPRO_SANDBOX_MAX_ARGS 4096

/** umask set by repro_sandbox_options_init(). */
#define REPRO_SANDBOX_DEFAULT_UMASK 0022u

/** Largest uid or gid that the caller can be mapped to. */
#define REPRO_SANDBOX_MAX_ID 65534u

/** Largest CPU count that a step can be restricted to. */
#define REPRO_SANDBOX_MAX_CPUS 1024u

/** Maximum size of the log tail kept in repro_sandbox_result, and its line count. */
#define REPRO_SANDBOX_TAIL_MAX 4096
#define REPRO_SANDBOX_TAIL_LINES 20

/** How to run one step. Caller-owned; every pointer must outlive the run. */
typedef struct repro_sandbox_options {
	/** Directory mounted read-write at /build; the step's working directory. */
	const char *build_tree;
	/** Recipe variables as NAME=VALUE. They may replace PATH, HOME, TZ, LANG
	 *  and LC_ALL, but not SOURCE_DATE_EPOCH. */
	const char *const *env;
	size_t env_count;
	/** Exported as SOURCE_DATE_EPOCH; 0 to 253402300799 (year 9999). */
	long long source_date_epoch;
	/** Seconds before the step is killed; 0 means no limit. */
	unsigned timeout_seconds;
	/** File that the step's stdout and stderr are appended to, created with
	 *  mode 0644 when missing. NULL keeps the output only for the tail. */
	const char *log_path;
	/** 1 runs the step in namespaces; 0 runs it directly (--no-sandbox). */
	int hermetic;
	/** Hostname inside the sandbox: letters, digits, '-' and '.', at most 64. */
	const char *hostname;
	/** 1-based number of the step in its recipe, used in messages; 0 omits it. */
	unsigned step_number;
	/** Domain name inside the sandbox, with the characters of a hostname, or
	 *  NULL for "(none)", the kernel's default. Hermetic mode only. */
	const char *domainname;
	/** HOME inside the sandbox: an absolute path of one or two components,
	 *  such as "/home/builder", where an empty tmpfs is mounted. It may not
	 *  be /build, /tmp, /dev, /proc or a system directory. NULL means
	 *  REPRO_SANDBOX_HOME. Hermetic mode only. */
	const char *home;
	/** The step's umask, at most 0777. */
	unsigned umask_mode;
	/** uid and gid that the caller is mapped to inside the sandbox, at most
	 *  REPRO_SANDBOX_MAX_ID. Any other than 0 runs the step without
	 *  capabilities; the build tree stays writable because its files
	 *  belong to the mapped ids. Hermetic mode only. */
	unsigned uid;
	unsigned gid;
	/** Runs the step on the first @c cpu_count CPUs that the caller may use;
	 *  0 keeps them all. At most REPRO_SANDBOX_MAX_CPUS. */
	unsigned cpu_count;
} repro_sandbox_options;

/** Outcome of one step, filled by repro_sandbox_run() on every path that
 *  started the step. */
typedef struct repro_sandbox_result {
	/** Exit status of the step's first process, or -1 if it did not exit. */
	int exit_status;
	/** Signal that ended it, or 0. */
	int signal;
	/** 1 when the timeout killed the step. */
	int timed_out;
	/** 1 when SIGINT or SIGTERM stopped the step. */
	int interrupted;
	/** 1 when the step ran in namespaces, 0 in --no-sandbox mode. */
	int hermetic;
	/** Wall-clock run time in milliseconds, from start to the last reap. */
	long long elapsed_ms;
	/** Last lines of the output this step appended to its log, NUL-terminated,
	 *  with control characters other than newline and tab replaced by '?'. */
	char log_tail[REPRO_SANDBOX_TAIL_MAX + 1];
} repro_sandbox_result;

/**
 * Sets @p options to the defaults: hermetic, hostname
 * REPRO_SANDBOX_DEFAULT_HOSTNAME, domain name "(none)", HOME
 * REPRO_SANDBOX_HOME, umask REPRO_SANDBOX_DEFAULT_UMASK, uid and gid 0,
 * every CPU, timeout REPRO_SANDBOX_DEFAULT_TIMEOUT, SOURCE_DATE_EPOCH 0,
 * no recipe variables, no log file, step number 0. The caller still sets
 * build_tree.
 */
void repro_sandbox_options_init(repro_sandbox_options *options);

/**
 * Checks whether hermetic steps can run here by setting up a complete
 * sandbox once, with no step in it. Returns 1 if they can. Returns 0 if
 * not, and writes why into @p reason (a caller-owned buffer of
 * @p reason_size bytes, may be NULL), for example that
 * /proc/sys/user/max_user_namespaces is 0.
 */
int repro_sandbox_available(char *reason, size_t reason_size);

/**
 * Runs @p argv (a NULL-terminated list; argv[0] is looked up in the step's
 * PATH) as described by @p options and waits for it.
 *
 * Returns REPRO_OK when the step exited with status 0. A non-zero exit, a
 * death by signal or a command that could not be started is REPRO_EBUILD.
 * A step killed by its timeout is REPRO_ETIMEOUT, and one stopped by
 * SIGINT or SIGTERM is REPRO_EINTERRUPTED (see
 * repro_sandbox_install_signal_handlers()). Invalid options are
 * REPRO_EUSAGE, and a sandbox that could not be set up is REPRO_EIO. The
 * messages of the first three name the step and end with the last lines of
 * its log.
 *
 * @p result (caller-owned, may be NULL) is filled whenever the step was
 * started. The temporary root and every mount are gone when this returns,
 * on every path.
 */
int repro_sandbox_run(const repro_sandbox_options *options, const char *const *argv,
                      repro_sandbox_result *result, repro_error *err);

/**
 * Installs SIGINT and SIGTERM handlers that record the signal, so that a
 * running repro_sandbox_run() kills its step, cleans up and returns
 * REPRO_EINTERRUPTED, and later runs return it at once. Without them the
 * default action ends reprocheck, the kernel still kills the step's
 * namespace, but the temporary root directory stays behind. Call it once,
 * from the main thread, before starting steps.
 */
void repro_sandbox_install_signal_handlers(void);

/** Returns the signal number recorded by the handlers, or 0. */
int repro_sandbox_interrupt_signal(void);

/** Forgets a recorded signal, for callers that continue after an interrupt. */
void repro_sandbox_clear_interrupt(void);

#ifdef __cplusplus
}
#endif

#endif

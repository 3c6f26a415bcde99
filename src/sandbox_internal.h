/*
 * The sandbox's parent side (sandbox.c) prepares a plan; the child side
 * (sandbox_child.c) carries it out between clone() and execve(). The child
 * runs after a raw clone system call, which skips glibc's fork handlers, so
 * it must not allocate: everything it needs is in the plan already.
 */
#ifndef REPROCHECK_SANDBOX_INTERNAL_H
#define REPROCHECK_SANDBOX_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include <reprocheck/error.h>
#include <reprocheck/sandbox.h>

/* Host directories considered for the sandbox's root, in this order. */
#define REPRO_SANDBOX_SYSTEM_MAX 8

/* Files under /etc replaced by fixed content, so the host's name and
 * machine id do not leak into a build. */
#define REPRO_SANDBOX_ETC_OVERLAYS 4

/* One host system directory: bound read-only, or recreated as the same
 * symbolic link when the host has a link there (merged /usr). */
typedef struct repro_sandbox_system_entry {
	const char *path;
	int is_symlink;
	char target[256];
} repro_sandbox_system_entry;

typedef struct repro_sandbox_etc_overlay {
	const char *path;
	const char *content;
} repro_sandbox_etc_overlay;

typedef struct repro_sandbox_plan {
	const char *const *argv;
	/* The complete environment of the step, sorted by name. */
	char **envp;
	int log_fd;
	/* Write end of the report pipe; CLOEXEC, so a successful exec closes it. */
	int report_fd;
	/* Read end of a pipe whose write end only the caller holds: it reads
	 * end-of-file once the caller has died. */
	int alive_fd;
	/* Absolute path of the build tree on the host. */
	const char *build_tree;

	mode_t umask_mode;
	unsigned cpu_count;

	/* Hermetic mode only: the empty directory that becomes the new root. */
	char *root;
	const char *hostname;
	const char *domainname;
	/* HOME relative to the new root, such as "root". */
	const char *home;
	char uid_map[64];
	char gid_map[64];
	repro_sandbox_system_entry system[REPRO_SANDBOX_SYSTEM_MAX];
	size_t system_count;
	char etc_hostname[80];
	char etc_hosts[256];
	repro_sandbox_etc_overlay etc_overlays[REPRO_SANDBOX_ETC_OVERLAYS];
	/* Set up the sandbox and report success without running a step. */
	int probe;
} repro_sandbox_plan;

enum repro_sandbox_report_kind {
	REPRO_SANDBOX_REPORT_SETUP_FAILED = 1,
	REPRO_SANDBOX_REPORT_EXEC_FAILED = 2,
	REPRO_SANDBOX_REPORT_EXITED = 3
};

/* A record on the report pipe; smaller than PIPE_BUF, so written atomically. */
typedef struct repro_sandbox_report {
	int kind;
	int error_number;
	/* waitpid() status of the step, for REPRO_SANDBOX_REPORT_EXITED. */
	int wait_status;
	char what[256];
} repro_sandbox_report;

/* Checks options and argv against the limits in sandbox.h. */
int repro_sandbox_validate(const repro_sandbox_options *options, const char *const *argv,
                           repro_error *err);

/*
 * Builds the step's environment: the fixed variables with HOME set to
 * @p home, replaced or extended by the recipe's, sorted by name. The caller
 * frees @p out with repro_sandbox_free_env().
 */
int repro_sandbox_build_env(const repro_sandbox_options *options, const char *home,
                            char ***out, repro_error *err);
void repro_sandbox_free_env(char **envp);

/* Fills the hermetic part of @p plan from @p options (names, ids and HOME,
 * which must outlive the plan) and the caller's ids. */
int repro_sandbox_plan_hermetic(repro_sandbox_plan *plan, const repro_sandbox_options *options,
                                repro_error *err);

/* Returns "SIGSEGV" and the like, or "signal N" written into @p buffer. */
const char *repro_sandbox_signal_name(int number, char *buffer, size_t size);

/* Returns the read end of the pipe the signal handlers write to, or -1
 * when they are not installed. */
int repro_sandbox_wake_fd(void);

/*
 * Copies into @p tail (REPRO_SANDBOX_TAIL_MAX + 1 bytes) the last
 * REPRO_SANDBOX_TAIL_LINES lines written to @p log_fd after
 * @p start_offset, without trailing newlines and with control characters
 * other than newline and tab replaced by '?'.
 */
void repro_sandbox_read_tail(int log_fd, off_t start_offset, char *tail);

/* Sets @p err to "<label> <what>", followed by as many whole last lines of
 * @p tail as the message can hold, and returns @p code. */
int repro_sandbox_fail_with_tail(repro_error *err, int code, const char *label,
                                 const char *what, const char *tail);

/*
 * Runs as PID 1 of the new namespaces. It maps the caller to root, builds
 * the root file system and pivots into it, then starts the step and waits
 * for it. It writes one report and exits, which kills whatever the step
 * left running.
 */
_Noreturn void repro_sandbox_child_run_init(const repro_sandbox_plan *plan);

/* Runs the step directly in its own process group (--no-sandbox). */
_Noreturn void repro_sandbox_child_run_direct(const repro_sandbox_plan *plan);

#endif

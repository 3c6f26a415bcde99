/*
 * The caller's side of the sandbox: prepares a plan, starts the child in
 * new namespaces (or directly for --no-sandbox), waits for it under the
 * timeout and the interrupt flag, and turns what happened into a result
 * and a message. See docs/SANDBOX.md for the guarantees.
 */
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileutil_internal.h"

/* Poll interval when pidfd_open() is missing (before Linux 5.3). */
#define FALLBACK_POLL_MS 20

/* Maximum length of the command text quoted in messages, in bytes. */
#define MAX_COMMAND_TEXT 96

#define NAMESPACE_FLAGS                                                                \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC)

typedef struct run_state {
	const repro_sandbox_options *options;
	const char *const *argv;
	int hermetic;
	int probe;
	char label[MAX_COMMAND_TEXT + 32];
	char *workspace;
	char *build_tree;
	char *home;
	char **envp;
	int log_fd;
	off_t log_start;
	int report_pipe[2];
	int alive_pipe[2];
	pid_t pid;
	int pidfd;
	int reaped;
	struct timespec started;
	repro_sandbox_plan plan;
	char tail[REPRO_SANDBOX_TAIL_MAX + 1];
} run_state;

enum wait_outcome { OUTCOME_EXITED, OUTCOME_TIMED_OUT, OUTCOME_INTERRUPTED };

static long long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - since->tv_sec) * 1000 +
	       (now.tv_nsec - since->tv_nsec) / 1000000;
}

void repro_sandbox_options_init(repro_sandbox_options *options)
{
	memset(options, 0, sizeof(*options));
	options->timeout_seconds = REPRO_SANDBOX_DEFAULT_TIMEOUT;
	options->hermetic = 1;
	options->hostname = REPRO_SANDBOX_DEFAULT_HOSTNAME;
	options->umask_mode = REPRO_SANDBOX_DEFAULT_UMASK;
}

/* Sets state->label to "step N ('command')", the command cut to a bounded length. */
static void describe_step(run_state *state)
{
	char command[MAX_COMMAND_TEXT + 4] = "";
	size_t used = 0;

	for (size_t i = 0; state->argv[i] != NULL && used < MAX_COMMAND_TEXT; i++) {
		int written = snprintf(command + used, MAX_COMMAND_TEXT + 1 - used, "%s%s",
		                       i > 0 ? " " : "", state->argv[i]);

		used += written > 0 ? (size_t)written : 0;
	}
	if (used > MAX_COMMAND_TEXT)
		memcpy(command + MAX_COMMAND_TEXT, "...", 4);
	if (state->options->step_number > 0)
		snprintf(state->label, sizeof(state->label), "step %u ('%s')",
		         state->options->step_number, command);
	else
		snprintf(state->label, sizeof(state->label), "step '%s'", command);
}

static char *join_path(const char *directory, const char *name)
{
	size_t size = strlen(directory) + strlen(name) + 2;
	char *path = malloc(size);

	if (path != NULL)
		snprintf(path, size, "%s/%s", directory, name);
	return path;
}

static int make_workspace_directory(run_state *state, const char *name, mode_t mode, char **out,
                                    repro_error *err)
{
	*out = join_path(state->workspace, name);
	if (*out == NULL)
		return repro_error_set(err, REPRO_ENOMEM, "creating '%s' failed: out of memory", name);
	if (mkdir(*out, mode) != 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "creating '%s' failed", *out);
	return REPRO_OK;
}

static int resolve_build_tree(run_state *state, repro_error *err)
{
	struct stat info;

	if (state->probe)
		return make_workspace_directory(state, "build", 0755, &state->build_tree, err);
	state->build_tree = realpath(state->options->build_tree, NULL);
	if (state->build_tree == NULL) {
		int code = errno == ENOENT ? REPRO_ENOTFOUND : REPRO_EIO;

		return repro_error_set_errno(err, code, errno, "opening the build tree '%s' failed",
		                             state->options->build_tree);
	}
	if (stat(state->build_tree, &info) != 0 || !S_ISDIR(info.st_mode))
		return repro_error_set(err, REPRO_EUSAGE, "the build tree '%s' is not a directory",
		                       state->options->build_tree);
	return REPRO_OK;
}

static int open_log(run_state *state, repro_error *err)
{
	const char *path = state->options->log_path;
	char *fallback = NULL;

	/* Without a log file the output still goes to a file in the workspace,
	 * so that its tail can be read. */
	if (path == NULL) {
		fallback = join_path(state->workspace, "step.log");
		if (fallback == NULL)
			return repro_error_set(err, REPRO_ENOMEM, "creating the step log failed");
		path = fallback;
	}
	state->log_fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
	if (state->log_fd < 0) {
		int saved = errno;

		free(fallback);
		return repro_error_set_errno(err, REPRO_EIO, saved, "opening the log '%s' failed", path);
	}
	free(fallback);
	state->log_start = lseek(state->log_fd, 0, SEEK_END);
	if (state->log_start < 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "reading the size of the log failed");
	return REPRO_OK;
}

static int prepare(run_state *state, repro_error *err)
{
	int code = repro_make_temp_dir("reprocheck-sandbox", &state->workspace, err);
	char *root = NULL;

	if (code == REPRO_OK)
		code = resolve_build_tree(state, err);
	if (code == REPRO_OK && state->hermetic) {
		code = make_workspace_directory(state, "root", 0755, &root, err);
		state->home = strdup(state->options->home ? state->options->home : REPRO_SANDBOX_HOME);
		if (code == REPRO_OK && state->home == NULL)
			code = repro_error_set(err, REPRO_ENOMEM, "preparing the sandbox failed");
	} else if (code == REPRO_OK) {
		/* Without namespaces HOME cannot be a private /root, so it is an
		 * empty directory in the workspace. */
		code = make_workspace_directory(state, "home", 0700, &state->home, err);
	}
	if (code == REPRO_OK)
		code = repro_sandbox_build_env(state->options, state->home, &state->envp, err);
	if (code == REPRO_OK)
		code = open_log(state, err);

	state->plan.argv = state->argv;
	state->plan.envp = state->envp;
	state->plan.log_fd = state->log_fd;
	state->plan.build_tree = state->build_tree;
	state->plan.root = root;
	state->plan.probe = state->probe;
	state->plan.umask_mode = (mode_t)state->options->umask_mode;
	state->plan.cpu_count = state->options->cpu_count;
	if (code == REPRO_OK && state->hermetic)
		state->plan.home = state->home + 1;
	if (code == REPRO_OK && state->hermetic)
		code = repro_sandbox_plan_hermetic(&state->plan, state->options, err);
	if (code == REPRO_OK)
		return REPRO_OK;
	return repro_error_prefix(err, "preparing %s", state->label);
}

/* A raw clone() without a new stack behaves like fork(), and the child is
 * PID 1 of the new PID namespace, so killing it kills the namespace. */
static pid_t clone_into_namespaces(void)
{
#if defined(__s390__) || defined(__s390x__)
	return (pid_t)syscall(SYS_clone, 0UL, (unsigned long)(NAMESPACE_FLAGS | SIGCHLD), 0UL, 0UL,
	                      0UL);
#else
	return (pid_t)syscall(SYS_clone, (unsigned long)(NAMESPACE_FLAGS | SIGCHLD), 0UL, 0UL, 0UL,
	                      0UL);
#endif
}

static int start(run_state *state, repro_error *err)
{
	if (pipe2(state->report_pipe, O_CLOEXEC) != 0 || pipe2(state->alive_pipe, O_CLOEXEC) != 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "starting %s failed", state->label);
	state->plan.report_fd = state->report_pipe[1];
	state->plan.alive_fd = state->alive_pipe[0];

	clock_gettime(CLOCK_MONOTONIC, &state->started);
	state->pid = state->hermetic ? clone_into_namespaces() : fork();
	if (state->pid < 0 && state->hermetic)
		return repro_error_set_errno(err, REPRO_EIO, errno,
			"creating the namespaces for %s failed (user namespaces may be disabled "
			"here; --no-sandbox builds without them)", state->label);
	if (state->pid < 0)
		return repro_error_set_errno(err, REPRO_EIO, errno, "starting %s failed", state->label);

	if (state->pid == 0) {
		close(state->report_pipe[0]);
		close(state->alive_pipe[1]);
		if (state->hermetic)
			repro_sandbox_child_run_init(&state->plan);
		repro_sandbox_child_run_direct(&state->plan);
	}

	close(state->report_pipe[1]);
	close(state->alive_pipe[0]);
	state->report_pipe[1] = -1;
	state->alive_pipe[0] = -1;
	/* Both sides set the process group, so that a kill never misses it. */
	if (!state->hermetic)
		setpgid(state->pid, state->pid);
#ifdef SYS_pidfd_open
	state->pidfd = (int)syscall(SYS_pidfd_open, state->pid, 0);
#endif
	return REPRO_OK;
}

static void kill_step(const run_state *state)
{
	if (!state->hermetic)
		kill(-state->pid, SIGKILL);
	kill(state->pid, SIGKILL);
}

static int reap(run_state *state, int *wait_status, repro_error *err)
{
	while (waitpid(state->pid, wait_status, 0) < 0) {
		if (errno != EINTR)
			return repro_error_set_errno(err, REPRO_EIO, errno, "waiting for %s failed",
			                             state->label);
	}
	state->reaped = 1;
	/* Without a PID namespace, what the step left in its process group
	 * is killed here instead. */
	if (!state->hermetic)
		kill(-state->pid, SIGKILL);
	return REPRO_OK;
}

static int wait_for_child(run_state *state, int *outcome, int *wait_status, repro_error *err)
{
	long long limit_ms = (long long)state->options->timeout_seconds * 1000;

	for (;;) {
		struct pollfd fds[2] = {{.fd = state->pidfd, .events = POLLIN},
		                        {.fd = repro_sandbox_wake_fd(), .events = POLLIN}};
		long long now_ms, wait_ms;
		pid_t reaped;

		if (repro_sandbox_interrupt_signal() != 0) {
			*outcome = OUTCOME_INTERRUPTED;
			break;
		}
		reaped = waitpid(state->pid, wait_status, WNOHANG);
		if (reaped == state->pid) {
			*outcome = OUTCOME_EXITED;
			state->reaped = 1;
			if (!state->hermetic)
				kill(-state->pid, SIGKILL);
			return REPRO_OK;
		}
		if (reaped < 0 && errno != EINTR)
			return repro_error_set_errno(err, REPRO_EIO, errno, "waiting for %s failed",
			                             state->label);
		now_ms = elapsed_ms(&state->started);
		if (limit_ms > 0 && now_ms >= limit_ms) {
			*outcome = OUTCOME_TIMED_OUT;
			break;
		}
		wait_ms = limit_ms > 0 ? limit_ms - now_ms : -1;
		if (state->pidfd < 0 && (wait_ms < 0 || wait_ms > FALLBACK_POLL_MS))
			wait_ms = FALLBACK_POLL_MS;
		poll(fds, 2, wait_ms > INT_MAX ? INT_MAX : (int)wait_ms);
	}
	kill_step(state);
	return reap(state, wait_status, err);
}

/* Reads every report the child wrote, keeping the first of each kind. */
static void read_reports(run_state *state, repro_sandbox_report reports[4])
{
	repro_sandbox_report report;

	fcntl(state->report_pipe[0], F_SETFL, O_NONBLOCK);
	while (read(state->report_pipe[0], &report, sizeof(report)) == (ssize_t)sizeof(report)) {
		if (report.kind > 0 && report.kind < 4 && reports[report.kind].kind == 0) {
			report.what[sizeof(report.what) - 1] = '\0';
			reports[report.kind] = report;
		}
	}
}

static int finish(run_state *state, int outcome, int wait_status, repro_sandbox_result *result,
                  repro_error *err)
{
	repro_sandbox_report reports[4];
	int status = wait_status;
	char what[128], buffer[32];

	memset(reports, 0, sizeof(reports));
	read_reports(state, reports);
	repro_sandbox_read_tail(state->log_fd, state->log_start, state->tail);
	if (result != NULL) {
		result->elapsed_ms = elapsed_ms(&state->started);
		result->timed_out = outcome == OUTCOME_TIMED_OUT;
		result->interrupted = outcome == OUTCOME_INTERRUPTED;
		memcpy(result->log_tail, state->tail, sizeof(result->log_tail));
	}

	if (reports[REPRO_SANDBOX_REPORT_SETUP_FAILED].kind != 0) {
		const repro_sandbox_report *setup = &reports[REPRO_SANDBOX_REPORT_SETUP_FAILED];

		return repro_error_set_errno(err, REPRO_EIO, setup->error_number,
			"setting up the sandbox for %s failed: %s", state->label, setup->what);
	}
	if (outcome == OUTCOME_TIMED_OUT) {
		if (result != NULL)
			result->signal = SIGKILL;
		snprintf(what, sizeof(what), "timed out after %u s and was killed",
		         state->options->timeout_seconds);
		return repro_sandbox_fail_with_tail(err, REPRO_ETIMEOUT, state->label, what,
		                                    state->tail);
	}
	if (outcome == OUTCOME_INTERRUPTED) {
		if (result != NULL)
			result->signal = SIGKILL;
		snprintf(what, sizeof(what), "was stopped because reprocheck received %s",
		         repro_sandbox_signal_name(repro_sandbox_interrupt_signal(), buffer, sizeof(buffer)));
		return repro_sandbox_fail_with_tail(err, REPRO_EINTERRUPTED, state->label, what,
		                                    state->tail);
	}

	if (state->hermetic) {
		if (reports[REPRO_SANDBOX_REPORT_EXITED].kind == 0)
			return repro_error_set(err, REPRO_EIO,
				"the sandbox of %s ended without reporting the step's status "
				"(wait status 0x%x)", state->label, (unsigned int)wait_status);
		status = reports[REPRO_SANDBOX_REPORT_EXITED].wait_status;
	}
	if (result != NULL) {
		result->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		result->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}

	if (reports[REPRO_SANDBOX_REPORT_EXEC_FAILED].kind != 0) {
		const repro_sandbox_report *exec = &reports[REPRO_SANDBOX_REPORT_EXEC_FAILED];

		return repro_error_set(err, REPRO_EBUILD, "%s could not be started: '%s': %s",
		                       state->label, exec->what, strerror(exec->error_number));
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return REPRO_OK;
	if (WIFSIGNALED(status))
		snprintf(what, sizeof(what), "was killed by %s",
		         repro_sandbox_signal_name(WTERMSIG(status), buffer, sizeof(buffer)));
	else
		snprintf(what, sizeof(what), "exited with status %d", WEXITSTATUS(status));
	return repro_sandbox_fail_with_tail(err, REPRO_EBUILD, state->label, what,
		                                    state->tail);
}

static void init_state(run_state *state, const repro_sandbox_options *options,
                       const char *const *argv, int probe)
{
	memset(state, 0, sizeof(*state));
	state->options = options;
	state->argv = argv;
	state->hermetic = options->hermetic != 0;
	state->probe = probe;
	state->log_fd = -1;
	state->report_pipe[0] = state->report_pipe[1] = -1;
	state->alive_pipe[0] = state->alive_pipe[1] = -1;
	state->pidfd = -1;
	state->plan.log_fd = state->plan.report_fd = state->plan.alive_fd = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Releases everything @p state holds and removes the workspace. Returns
 * @p code, or a cleanup failure when @p code is REPRO_OK. */
static int dispose(run_state *state, int code, repro_error *err)
{
	repro_error cleanup;

	if (state->pid > 0 && !state->reaped) {
		int ignored;

		kill_step(state);
		while (waitpid(state->pid, &ignored, 0) < 0 && errno == EINTR) {
		}
	}
	close_fd(&state->pidfd);
	close_fd(&state->report_pipe[0]);
	close_fd(&state->report_pipe[1]);
	close_fd(&state->alive_pipe[0]);
	close_fd(&state->alive_pipe[1]);
	close_fd(&state->log_fd);

	repro_error_clear(&cleanup);
	if (state->workspace != NULL && repro_remove_tree(state->workspace, &cleanup) != REPRO_OK &&
	    code == REPRO_OK) {
		code = repro_error_set(err, cleanup.code, "cleaning up after %s: %s", state->label,
		                       cleanup.message);
	}
	free(state->workspace);
	free(state->build_tree);
	free(state->home);
	free(state->plan.root);
	repro_sandbox_free_env(state->envp);
	return code;
}

static int run(run_state *state, repro_sandbox_result *result, repro_error *err)
{
	int outcome = OUTCOME_EXITED, wait_status = 0;
	int code = prepare(state, err);

	if (code == REPRO_OK)
		code = start(state, err);
	if (code == REPRO_OK)
		code = wait_for_child(state, &outcome, &wait_status, err);
	if (code == REPRO_OK)
		code = finish(state, outcome, wait_status, result, err);
	return dispose(state, code, err);
}

int repro_sandbox_run(const repro_sandbox_options *options, const char *const *argv,
                      repro_sandbox_result *result, repro_error *err)
{
	run_state state;
	char buffer[32];
	int code;

	if (result != NULL) {
		memset(result, 0, sizeof(*result));
		result->exit_status = -1;
		result->hermetic = options != NULL && options->hermetic != 0;
	}
	code = repro_sandbox_validate(options, argv, err);
	if (code != REPRO_OK)
		return code;

	init_state(&state, options, argv, 0);
	describe_step(&state);
	if (repro_sandbox_interrupt_signal() != 0)
		return repro_error_set(err, REPRO_EINTERRUPTED,
			"%s was not started because reprocheck received %s", state.label,
			repro_sandbox_signal_name(repro_sandbox_interrupt_signal(), buffer, sizeof(buffer)));
	return run(&state, result, err);
}

/* Returns 1 and explains in @p reason when the sysctl at @p path reads 0. */
static int sysctl_is_zero(const char *path, char *reason, size_t reason_size)
{
	unsigned char *content = NULL;
	size_t size = 0;
	repro_error ignored;
	int zero;

	if (repro_file_read_all(path, 64, &content, &size, &ignored) != REPRO_OK)
		return 0;
	zero = size > 0 && content[0] == '0' && (size == 1 || content[1] == '\n');
	free(content);
	if (zero && reason != NULL)
		snprintf(reason, reason_size, "user namespaces are disabled: %s is 0", path);
	return zero;
}

int repro_sandbox_available(char *reason, size_t reason_size)
{
	static const char *const probe_argv[] = {"probe", NULL};
	repro_sandbox_options options;
	run_state state;
	repro_error err;

	if (reason != NULL && reason_size > 0)
		reason[0] = '\0';
	if (sysctl_is_zero("/proc/sys/user/max_user_namespaces", reason, reason_size))
		return 0;
	if (geteuid() != 0 &&
	    sysctl_is_zero("/proc/sys/kernel/unprivileged_userns_clone", reason, reason_size))
		return 0;

	repro_sandbox_options_init(&options);
	options.build_tree = "/";
	options.timeout_seconds = 30;
	init_state(&state, &options, probe_argv, 1);
	snprintf(state.label, sizeof(state.label), "the sandbox probe");
	repro_error_clear(&err);
	if (run(&state, NULL, &err) == REPRO_OK)
		return 1;
	if (reason != NULL && reason_size > 0)
		snprintf(reason, reason_size, "%s", err.message);
	return 0;
}

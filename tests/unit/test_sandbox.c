/*
 * Sandbox tests. Each property is observed from inside a real step, in
 * real namespaces, with exact expected output.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <reprocheck/sandbox.h>

#include "fileutil_internal.h"

#define EPOCH 1733000000LL

typedef struct fixture {
	char *dir;
	char tree[PATH_MAX];
	char tmpdir[PATH_MAX];
	char log[PATH_MAX];
	char *saved_tmpdir;
	repro_sandbox_options options;
	repro_sandbox_result result;
	repro_error err;
	char *output;
} fixture;

static char *read_text(const char *path)
{
	unsigned char *data = NULL;
	size_t size = 0;
	repro_error err;

	if (repro_file_read_all(path, 1 << 20, &data, &size, &err) != REPRO_OK)
		return NULL;
	return (char *)data;
}

static void fixture_open(fixture *f, int hermetic)
{
	const char *tmpdir = getenv("TMPDIR");

	memset(f, 0, sizeof(*f));
	f->dir = repro_test_make_dir();
	snprintf(f->tree, sizeof(f->tree), "%s/tree", f->dir);
	snprintf(f->tmpdir, sizeof(f->tmpdir), "%s/tmp", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/step.log", f->dir);
	mkdir(f->tree, 0755);
	mkdir(f->tmpdir, 0700);
	/* The sandbox's workspace goes to TMPDIR, so each test can check that
	 * nothing of it is left behind. */
	f->saved_tmpdir = tmpdir ? strdup(tmpdir) : NULL;
	setenv("TMPDIR", f->tmpdir, 1);

	repro_sandbox_options_init(&f->options);
	f->options.build_tree = f->tree;
	f->options.log_path = f->log;
	f->options.source_date_epoch = EPOCH;
	f->options.timeout_seconds = 20;
	f->options.hermetic = hermetic;
	repro_error_clear(&f->err);
}

/* Runs @p argv and loads the whole log into f->output. */
static int fixture_run(fixture *f, const char *const *argv)
{
	int code;

	repro_error_clear(&f->err);
	code = repro_sandbox_run(&f->options, argv, &f->result, &f->err);
	free(f->output);
	f->output = read_text(f->log);
	return code;
}

static size_t count_entries(const char *path)
{
	DIR *directory = opendir(path);
	struct dirent *entry;
	size_t count = 0;

	if (directory == NULL)
		return (size_t)-1;
	while ((entry = readdir(directory)) != NULL) {
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, ".."))
			count++;
	}
	closedir(directory);
	return count;
}

static void fixture_close(fixture *f)
{
	/* The temporary root and workspace are gone after every run. */
	ASSERT_INT_EQ(count_entries(f->tmpdir), 0);
	if (f->saved_tmpdir != NULL)
		setenv("TMPDIR", f->saved_tmpdir, 1);
	else
		unsetenv("TMPDIR");
	free(f->saved_tmpdir);
	free(f->output);
	repro_test_cleanup_dir(f->dir);
}

/* Runs a shell script as the step and checks its exact output. */
static void check_script(int hermetic, const char *script, const char *expected)
{
	const char *argv[] = {"sh", "-c", script, NULL};
	fixture f;

	fixture_open(&f, hermetic);
	ASSERT_OK(fixture_run(&f, argv), &f.err);
	ASSERT_STR_EQ(f.output, expected);
	ASSERT_INT_EQ(f.result.exit_status, 0);
	ASSERT_INT_EQ(f.result.hermetic, hermetic);
	fixture_close(&f);
}

/* Returns 1 if a process whose command line contains @p marker exists. */
static int process_exists(const char *marker);

/* SIGKILL is delivered asynchronously, so a killed process can still be
 * listed for a moment after the step returns; allow it two seconds. */
static int process_outlives(const char *marker)
{
	for (int i = 0; i < 200; i++) {
		if (!process_exists(marker))
			return 0;
		usleep(10000);
	}
	return 1;
}

static int process_exists(const char *marker)
{
	DIR *proc = opendir("/proc");
	struct dirent *entry;
	int found = 0;

	while (proc != NULL && !found && (entry = readdir(proc)) != NULL) {
		char path[300], cmdline[4096];
		ssize_t length;
		int fd;

		if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", entry->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		length = read(fd, cmdline, sizeof(cmdline) - 1);
		close(fd);
		for (ssize_t i = 0; i < length; i++) {
			if (cmdline[i] == '\0')
				cmdline[i] = ' ';
		}
		cmdline[length > 0 ? length : 0] = '\0';
		found = strstr(cmdline, marker) != NULL;
	}
	if (proc != NULL)
		closedir(proc);
	return found;
}

/* Forks a watcher that exits 0 once a process with @p marker appears. */
static pid_t watch_for_process(const char *marker)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (int i = 0; i < 400; i++) {
			if (process_exists(marker))
				_exit(0);
			usleep(5000);
		}
		_exit(1);
	}
	return pid;
}

static int watcher_saw_process(pid_t watcher)
{
	int status = 0;

	if (waitpid(watcher, &status, 0) != watcher)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_options_defaults(void)
{
	repro_sandbox_options options;

	memset(&options, 0x5a, sizeof(options));
	repro_sandbox_options_init(&options);
	ASSERT_INT_EQ(options.hermetic, 1);
	ASSERT_INT_EQ(options.timeout_seconds, 3600);
	ASSERT_STR_EQ(options.hostname, "reprocheck");
	CU_ASSERT_PTR_NULL(options.domainname);
	CU_ASSERT_PTR_NULL(options.home);
	ASSERT_INT_EQ(options.umask_mode, 022);
	ASSERT_INT_EQ(options.uid, 0);
	ASSERT_INT_EQ(options.gid, 0);
	ASSERT_INT_EQ(options.cpu_count, 0);
	CU_ASSERT_PTR_NULL(options.build_tree);
	CU_ASSERT_PTR_NULL(options.log_path);
	CU_ASSERT_PTR_NULL(options.env);
	ASSERT_INT_EQ(options.env_count, 0);
	ASSERT_INT_EQ(options.source_date_epoch, 0);
	ASSERT_INT_EQ(options.step_number, 0);
}

static void test_available_here(void)
{
	char reason[256] = "unchanged";

	ASSERT_INT_EQ(repro_sandbox_available(reason, sizeof(reason)), 1);
	ASSERT_STR_EQ(reason, "");
}

static void test_hostname_fixed(void)
{
	check_script(1, "hostname; cat /proc/sys/kernel/domainname /etc/hostname",
	             "reprocheck\n(none)\nreprocheck\n");
	check_script(1, "cat /etc/hosts",
	             "127.0.0.1\tlocalhost\n127.0.1.1\treprocheck\n"
	             "::1\tlocalhost ip6-localhost ip6-loopback\n");
	if (access("/etc/machine-id", F_OK) == 0)
		check_script(1, "cat /etc/machine-id", "726570726f636865636b000000000000\n");
}

static void test_hostname_option(void)
{
	const char *argv[] = {"hostname", NULL};
	fixture f;

	fixture_open(&f, 1);
	f.options.hostname = "builder-1.example";
	ASSERT_OK(fixture_run(&f, argv), &f.err);
	ASSERT_STR_EQ(f.output, "builder-1.example\n");
	fixture_close(&f);
}

static void test_umask_reset(void)
{
	mode_t saved = umask(077);

	check_script(1, "umask", "0022\n");
	check_script(0, "umask", "0022\n");
	umask(saved);
}

static void test_environment_exact(void)
{
	static const char *const extras[] = {"CFLAGS=-O2 -g", "LANG=en_US.UTF-8"};
	const char *argv[] = {"env", NULL};
	fixture f;

	setenv("REPRO_TEST_LEAK", "caller value", 1);
	fixture_open(&f, 1);
	f.options.env = extras;
	f.options.env_count = 2;
	ASSERT_OK(fixture_run(&f, argv), &f.err);
	ASSERT_STR_EQ(f.output,
	              "CFLAGS=-O2 -g\n"
	              "HOME=/root\n"
	              "LANG=en_US.UTF-8\n"
	              "LC_ALL=C.UTF-8\n"
	              "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
	              "SOURCE_DATE_EPOCH=1733000000\n"
	              "TZ=UTC\n");
	fixture_close(&f);
	unsetenv("REPRO_TEST_LEAK");
}

static void test_working_directory(void)
{
	check_script(1, "pwd; /bin/pwd", "/build\n/build\n");
}

static void test_caller_is_root(void)
{
	check_script(1, "id -u; id -g; id -G", "0\n0\n0\n");
}

static void test_pid_namespace(void)
{
	/* PID 1 is the sandbox's init, and it shows nothing of the caller. */
	check_script(1, "echo $$; tr -d '\\0' < /proc/1/cmdline | wc -c; "
	             "cat /proc/1/environ 2>/dev/null | wc -c; readlink /proc/1/exe || echo hidden",
	             "2\n0\n0\nhidden\n");
}

static void test_tmp_empty(void)
{
	char marker[64];

	snprintf(marker, sizeof(marker), "/tmp/reprocheck-marker-%ld", (long)getpid());
	repro_test_write_file(marker, "x", 1);
	check_script(1, "ls -A /tmp; echo written > /tmp/file && cat /tmp/file", "written\n");
	unlink(marker);
}

static void test_caller_home_hidden(void)
{
	char *home = repro_test_make_dir();
	char marker[PATH_MAX], script[PATH_MAX + 256];
	char *saved = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

	snprintf(marker, sizeof(marker), "%s/marker", home);
	repro_test_write_file(marker, "secret", 6);
	setenv("HOME", home, 1);
	snprintf(script, sizeof(script),
	         "echo \"$HOME\"; ls -A /root; test -e '%s' && echo visible || echo hidden; "
	         "test -e /home && echo home || echo no-home",
	         marker);
	check_script(1, script, "/root\nhidden\nno-home\n");

	if (saved != NULL)
		setenv("HOME", saved, 1);
	free(saved);
	repro_test_cleanup_dir(home);
}

static void test_system_read_only(void)
{
	check_script(1,
	             "for d in /usr /etc /bin /lib /; do "
	             "touch $d/reprocheck-probe 2>/dev/null && echo \"$d writable\" || echo \"$d read-only\"; "
	             "done; touch /usr/reprocheck-probe 2>&1; touch /build/ok && echo build writable",
	             "/usr read-only\n/etc read-only\n/bin read-only\n/lib read-only\n/ read-only\n"
	             "touch: cannot touch '/usr/reprocheck-probe': Read-only file system\n"
	             "build writable\n");
	ASSERT_INT_EQ(access("/usr/reprocheck-probe", F_OK), -1);
}

static void test_dev_minimal(void)
{
	check_script(1, "ls /dev | tr '\\n' ' '; echo; head -c 4 /dev/zero | od -An -tx1",
	             "fd full null random shm stderr stdin stdout tty urandom zero \n"
	             " 00 00 00 00\n");
}

static void test_network_loopback_only(void)
{
	struct sockaddr_in address = {.sin_family = AF_INET};
	socklen_t length = sizeof(address);
	int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	char script[512], expected[256];

	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(listener >= 0);
	CU_ASSERT_FATAL(bind(listener, (struct sockaddr *)&address, sizeof(address)) == 0);
	CU_ASSERT_FATAL(listen(listener, 4) == 0);
	CU_ASSERT_FATAL(getsockname(listener, (struct sockaddr *)&address, &length) == 0);

	/* "Connection refused" rather than "Network is unreachable" also shows
	 * that lo is up: the connection reached the sandbox's own loopback. */
	snprintf(script, sizeof(script),
	         "if bash -c 'exec 3<>/dev/tcp/127.0.0.1/%u' 2>/tmp/error; then echo connected; "
	         "elif grep -q 'Connection refused' /tmp/error; then echo refused; fi; "
	         "ip -o link show | cut -d' ' -f2,3; "
	         "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
	         (unsigned)ntohs(address.sin_port));
	snprintf(expected, sizeof(expected), "refused\nlo: <LOOPBACK,UP,LOWER_UP>\nlo\n");
	check_script(1, script, expected);

	ASSERT_INT_EQ(accept(listener, NULL, NULL), -1);
	ASSERT_INT_EQ(errno, EAGAIN);
	close(listener);
}

static void check_timeout(int hermetic)
{
	char marker[64], script[256], expected[512];
	const char *argv[] = {"bash", "-c", script, NULL};
	pid_t watcher;
	fixture f;

	snprintf(marker, sizeof(marker), "reprocheck-sleeper-%ld-%d", (long)getpid(), hermetic);
	snprintf(script, sizeof(script), "(exec -a %s sleep 100) & echo started; sleep 100", marker);
	fixture_open(&f, hermetic);
	f.options.timeout_seconds = 1;
	f.options.step_number = 3;
	watcher = watch_for_process(marker);
	ASSERT_CODE(fixture_run(&f, argv), REPRO_ETIMEOUT, &f.err);

	snprintf(expected, sizeof(expected),
	         "step 3 ('bash -c %s') timed out after 1 s and was killed; last lines of its log:\n"
	         "started", script);
	ASSERT_STR_EQ(f.err.message, expected);
	ASSERT_INT_EQ(f.result.timed_out, 1);
	ASSERT_INT_EQ(f.result.exit_status, -1);
	ASSERT_INT_EQ(f.result.signal, SIGKILL);
	REPRO_CHECK(f.result.elapsed_ms >= 1000 && f.result.elapsed_ms < 3000,
	            "elapsed %lld ms", f.result.elapsed_ms);
	/* The background sleeper existed during the step and is gone now. */
	CU_ASSERT(watcher_saw_process(watcher));
	ASSERT_INT_EQ(process_outlives(marker), 0);
	fixture_close(&f);
}

static void test_timeout_kills_namespace(void)
{
	check_timeout(1);
}

static void test_background_killed_at_exit(void)
{
	int modes[] = {1, 0};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(modes); i++) {
		char marker[64], script[256];
		const char *argv[] = {"bash", "-c", script, NULL};
		pid_t watcher;
		fixture f;

		snprintf(marker, sizeof(marker), "reprocheck-daemon-%ld-%d", (long)getpid(), modes[i]);
		snprintf(script, sizeof(script), "(exec -a %s sleep 100) & sleep 0.5", marker);
		fixture_open(&f, modes[i]);
		watcher = watch_for_process(marker);
		ASSERT_OK(fixture_run(&f, argv), &f.err);
		CU_ASSERT(watcher_saw_process(watcher));
		ASSERT_INT_EQ(process_outlives(marker), 0);
		fixture_close(&f);
	}
}

static void test_failing_step_tail(void)
{
	const char *argv[] = {"sh", "-c", "echo first; echo second >&2; exit 3", NULL};
	fixture f;

	fixture_open(&f, 1);
	f.options.step_number = 2;
	ASSERT_CODE(fixture_run(&f, argv), REPRO_EBUILD, &f.err);
	ASSERT_STR_EQ(f.err.message,
	              "step 2 ('sh -c echo first; echo second >&2; exit 3') exited with status 3; "
	              "last lines of its log:\nfirst\nsecond");
	ASSERT_INT_EQ(f.result.exit_status, 3);
	ASSERT_INT_EQ(f.result.signal, 0);
	ASSERT_STR_EQ(f.result.log_tail, "first\nsecond");
	fixture_close(&f);
}

static void test_tail_last_lines(void)
{
	const char *argv[] = {"sh", "-c", "echo header-line; seq 1 30; printf 'bell\\a\\n'; exit 1",
	                      NULL};
	fixture f;

	fixture_open(&f, 1);
	ASSERT_CODE(fixture_run(&f, argv), REPRO_EBUILD, &f.err);
	ASSERT_STR_EQ(f.result.log_tail,
	              "12\n13\n14\n15\n16\n17\n18\n19\n20\n21\n22\n23\n24\n25\n26\n27\n28\n29\n30\n"
	              "bell?");
	fixture_close(&f);
}

static void test_tail_long_line(void)
{
	const char *argv[] = {"sh", "-c", "head -c 5000 /dev/zero | tr '\\0' x; echo; echo end; exit 1",
	                      NULL};
	fixture f;

	fixture_open(&f, 1);
	ASSERT_CODE(fixture_run(&f, argv), REPRO_EBUILD, &f.err);
	ASSERT_STR_EQ(f.result.log_tail, "end");
	fixture_close(&f);
}

static void test_message_whole_lines(void)
{
	/* 25 lines of 100 characters: the tail keeps 20, the message fewer. */
	const char *argv[] = {"sh", "-c", "for i in $(seq 10 34); do printf '%098d\\n' $i; done; "
	                      "exit 2", NULL};
	const char *intro = "last lines of its log:\n";
	const char *lines;
	fixture f;

	fixture_open(&f, 1);
	ASSERT_CODE(fixture_run(&f, argv), REPRO_EBUILD, &f.err);
	ASSERT_INT_EQ(strlen(f.result.log_tail), 20 * 99 - 1);
	REPRO_CHECK(strlen(f.err.message) <= REPRO_ERROR_MESSAGE_MAX - 1, "message too long");
	lines = strstr(f.err.message, intro);
	CU_ASSERT_FATAL(lines != NULL);
	lines += strlen(intro);
	/* The first line shown is whole, and the last one is the log's last. */
	ASSERT_INT_EQ(strspn(lines, "0"), 96);
	ASSERT_INT_EQ(strlen(lines) % 99, 98);
	ASSERT_STR_CONTAINS(lines, "000034");
	ASSERT_INT_EQ(strcmp(lines + strlen(lines) - 2, "34"), 0);
	fixture_close(&f);
}

static void test_log_appended(void)
{
	const char *argv[] = {"echo", "hello", NULL};
	fixture f;

	fixture_open(&f, 1);
	repro_test_write_file(f.log, "header\n", 7);
	ASSERT_OK(fixture_run(&f, argv), &f.err);
	ASSERT_STR_EQ(f.output, "header\nhello\n");
	ASSERT_STR_EQ(f.result.log_tail, "hello");
	fixture_close(&f);
}

static void test_no_log_file(void)
{
	const char *argv[] = {"sh", "-c", "echo only in the tail; exit 4", NULL};
	fixture f;

	fixture_open(&f, 1);
	f.options.log_path = NULL;
	ASSERT_CODE(fixture_run(&f, argv), REPRO_EBUILD, &f.err);
	ASSERT_STR_EQ(f.result.log_tail, "only in the tail");
	CU_ASSERT_PTR_NULL(f.output);
	fixture_close(&f);
}

static void test_killed_by_signal(void)
{
	const char *argv[] = {"sh", "-c", "kill -SEGV $$", NULL};
	fixture f;

	fixture_open(&f, 1);
	ASSERT_CODE(fixture_run(&f, argv), REPRO_EBUILD, &f.err);
	ASSERT_STR_EQ(f.err.message, "step 'sh -c kill -SEGV $$' was killed by SIGSEGV; "
	                             "it wrote no output");
	ASSERT_INT_EQ(f.result.signal, SIGSEGV);
	ASSERT_INT_EQ(f.result.exit_status, -1);
	fixture_close(&f);
}

static void test_missing_command(void)
{
	const char *argv[] = {"reprocheck-no-such-command", "arg", NULL};
	int modes[] = {1, 0};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(modes); i++) {
		fixture f;

		fixture_open(&f, modes[i]);
		ASSERT_CODE(fixture_run(&f, argv), REPRO_EBUILD, &f.err);
		ASSERT_STR_EQ(f.err.message,
		              "step 'reprocheck-no-such-command arg' could not be started: "
		              "'reprocheck-no-such-command': No such file or directory");
		ASSERT_INT_EQ(f.result.exit_status, 127);
		fixture_close(&f);
	}
}

static void test_build_tree_ownership(void)
{
	const char *argv[] = {"sh", "-c", "cat input.txt; echo built > out.txt; mkdir sub", NULL};
	char path[PATH_MAX + 16];
	struct stat info;
	char *content;
	fixture f;

	fixture_open(&f, 1);
	snprintf(path, sizeof(path), "%s/input.txt", f.tree);
	repro_test_write_file(path, "source\n", 7);
	ASSERT_OK(fixture_run(&f, argv), &f.err);
	ASSERT_STR_EQ(f.output, "source\n");

	snprintf(path, sizeof(path), "%s/out.txt", f.tree);
	content = read_text(path);
	ASSERT_STR_EQ(content, "built\n");
	free(content);
	CU_ASSERT_FATAL(stat(path, &info) == 0);
	ASSERT_INT_EQ(info.st_uid, geteuid());
	ASSERT_INT_EQ(info.st_gid, getegid());
	ASSERT_INT_EQ(info.st_mode & 07777, 0644);
	snprintf(path, sizeof(path), "%s/sub", f.tree);
	CU_ASSERT_FATAL(stat(path, &info) == 0);
	ASSERT_INT_EQ(info.st_uid, geteuid());
	ASSERT_INT_EQ(info.st_mode & 07777, 0755);
	fixture_close(&f);
}

static void test_caller_mounts_unchanged(void)
{
	char *before = read_text("/proc/self/mountinfo");
	char *after;

	check_script(1, "true", "");
	after = read_text("/proc/self/mountinfo");
	ASSERT_STR_EQ(after, before);
	free(before);
	free(after);
}

static void test_direct_environment(void)
{
	const char *argv[] = {"sh", "-c", "env | grep -v '^HOME=' | sort; echo \"$HOME\"; pwd; "
	                                  "ls -A \"$HOME\"", NULL};
	char expected[PATH_MAX * 3], *real_tree;
	size_t prefix_length;
	fixture f;

	fixture_open(&f, 0);
	ASSERT_OK(fixture_run(&f, argv), &f.err);
	real_tree = realpath(f.tree, NULL);
	/* HOME is an empty directory in the removed workspace; dash adds PWD. */
	snprintf(expected, sizeof(expected),
	         "LANG=C.UTF-8\nLC_ALL=C.UTF-8\n"
	         "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
	         "PWD=%s\nSOURCE_DATE_EPOCH=1733000000\nTZ=UTC\n%s/reprocheck-sandbox-",
	         real_tree, f.tmpdir);
	prefix_length = strlen(expected);
	REPRO_CHECK(f.output != NULL && strncmp(f.output, expected, prefix_length) == 0,
	            "output \"%s\" does not start with \"%s\"", f.output, expected);
	snprintf(expected, sizeof(expected), "/home\n%s\n", real_tree);
	if (f.output != NULL && strlen(f.output) > prefix_length + 6)
		ASSERT_STR_EQ(f.output + prefix_length + 6, expected);
	ASSERT_INT_EQ(f.result.hermetic, 0);
	free(real_tree);
	fixture_close(&f);
}

static void test_direct_timeout(void)
{
	check_timeout(0);
}

/* Sends SIGTERM to the test process after @p delay_ms, from a child. */
static pid_t signal_later(int delay_ms)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0) {
		usleep((useconds_t)delay_ms * 1000);
		kill(parent, SIGTERM);
		_exit(0);
	}
	return pid;
}

static void check_interrupt(int hermetic)
{
	char marker[64], script[256], expected[512];
	const char *argv[] = {"bash", "-c", script, NULL};
	struct sigaction default_action;
	pid_t sender, watcher;
	int status;
	fixture f;

	snprintf(marker, sizeof(marker), "reprocheck-interrupted-%ld-%d", (long)getpid(), hermetic);
	snprintf(script, sizeof(script), "(exec -a %s sleep 100) & echo started; sleep 100", marker);
	fixture_open(&f, hermetic);
	repro_sandbox_install_signal_handlers();
	watcher = watch_for_process(marker);
	sender = signal_later(400);
	ASSERT_CODE(fixture_run(&f, argv), REPRO_EINTERRUPTED, &f.err);
	snprintf(expected, sizeof(expected),
	         "step 'bash -c %s' was stopped because reprocheck received SIGTERM; "
	         "last lines of its log:\nstarted", script);
	ASSERT_STR_EQ(f.err.message, expected);
	ASSERT_INT_EQ(f.result.interrupted, 1);
	ASSERT_INT_EQ(repro_sandbox_interrupt_signal(), SIGTERM);
	REPRO_CHECK(f.result.elapsed_ms < 3000, "elapsed %lld ms", f.result.elapsed_ms);
	CU_ASSERT(watcher_saw_process(watcher));
	ASSERT_INT_EQ(process_outlives(marker), 0);
	waitpid(sender, &status, 0);

	/* Once interrupted, later steps are not started. */
	ASSERT_CODE(fixture_run(&f, argv), REPRO_EINTERRUPTED, &f.err);
	snprintf(expected, sizeof(expected),
	         "step 'bash -c %s' was not started because reprocheck received SIGTERM", script);
	ASSERT_STR_EQ(f.err.message, expected);

	repro_sandbox_clear_interrupt();
	ASSERT_INT_EQ(repro_sandbox_interrupt_signal(), 0);
	memset(&default_action, 0, sizeof(default_action));
	default_action.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &default_action, NULL);
	sigaction(SIGINT, &default_action, NULL);
	fixture_close(&f);
}

static void test_interrupt_kills_step(void)
{
	check_interrupt(1);
	check_interrupt(0);
}

static void test_invalid_options(void)
{
	static const struct {
		const char *env_entry;
		const char *hostname;
		long long epoch;
		int code;
		const char *message;
	} cases[] = {
		{"SOURCE_DATE_EPOCH=1", NULL, EPOCH, REPRO_EUSAGE,
		 "the recipe environment may not set SOURCE_DATE_EPOCH; use the recipe's "
		 "\"sourceDateEpoch\" key instead"},
		{"1BAD=x", NULL, EPOCH, REPRO_EUSAGE,
		 "invalid environment entry '1BAD=x': expected NAME=VALUE with NAME made of "
		 "letters, digits and '_'"},
		{"NOVALUE", NULL, EPOCH, REPRO_EUSAGE,
		 "invalid environment entry 'NOVALUE': expected NAME=VALUE with NAME made of "
		 "letters, digits and '_'"},
		{NULL, "bad name", EPOCH, REPRO_EUSAGE,
		 "invalid sandbox hostname 'bad name': only letters, digits, '-' and '.' are allowed"},
		{NULL, "", EPOCH, REPRO_EUSAGE,
		 "invalid sandbox hostname '': expected 1 to 64 characters"},
		{NULL, NULL, -1, REPRO_EUSAGE,
		 "invalid SOURCE_DATE_EPOCH -1: expected 0 to 253402300799"},
	};
	const char *argv[] = {"true", NULL};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		const char *env[] = {cases[i].env_entry};
		fixture f;

		fixture_open(&f, 1);
		f.options.env = env;
		f.options.env_count = cases[i].env_entry ? 1 : 0;
		if (cases[i].hostname != NULL)
			f.options.hostname = cases[i].hostname;
		f.options.source_date_epoch = cases[i].epoch;
		ASSERT_CODE(fixture_run(&f, argv), cases[i].code, &f.err);
		ASSERT_STR_EQ(f.err.message, cases[i].message);
		fixture_close(&f);
	}
}

static void test_duplicate_env(void)
{
	static const char *const env[] = {"A=1", "A=2"};
	const char *argv[] = {"true", NULL};
	fixture f;

	fixture_open(&f, 1);
	f.options.env = env;
	f.options.env_count = 2;
	ASSERT_CODE(fixture_run(&f, argv), REPRO_EUSAGE, &f.err);
	ASSERT_STR_EQ(f.err.message, "environment variable 'A' is set twice");
	fixture_close(&f);
}

/* Runs @p script hermetically with @p setup applied to the options. */
static void check_varied(void (*setup)(repro_sandbox_options *), const char *script,
                         const char *expected)
{
	const char *argv[] = {"sh", "-c", script, NULL};
	fixture f;

	fixture_open(&f, 1);
	setup(&f.options);
	ASSERT_OK(fixture_run(&f, argv), &f.err);
	ASSERT_STR_EQ(f.output, expected);
	fixture_close(&f);
}

static void set_umask(repro_sandbox_options *options)
{
	options->umask_mode = 02;
}

static void set_ids(repro_sandbox_options *options)
{
	options->uid = 1000;
	options->gid = 1000;
}

static void set_names(repro_sandbox_options *options)
{
	options->hostname = "reprocheck-vary";
	options->domainname = "vary.example";
}

static void set_home(repro_sandbox_options *options)
{
	options->home = "/home/builder";
}

static void set_one_cpu(repro_sandbox_options *options)
{
	options->cpu_count = 1;
}

static void test_umask_option(void)
{
	check_varied(set_umask, "umask; touch made; stat -c %a made", "0002\n664\n");
}

static void test_uid_option(void)
{
	/* The build tree and HOME belong to the mapped ids, so both stay writable. */
	check_varied(set_ids, "id -u; id -g; stat -c '%u %g' /build; touch /build/out && echo tree ok; "
	             "touch \"$HOME/x\" && echo home ok; cat /proc/self/status | grep '^CapEff'",
	             "1000\n1000\n1000 1000\ntree ok\nhome ok\nCapEff:\t0000000000000000\n");
}

static void test_names_option(void)
{
	check_varied(set_names, "hostname; cat /proc/sys/kernel/domainname /etc/hostname",
	             "reprocheck-vary\nvary.example\nreprocheck-vary\n");
}

static void test_home_option(void)
{
	check_varied(set_home, "echo \"$HOME\"; ls -A \"$HOME\"; stat -c %a \"$HOME\"; "
	             "test -e /root && echo root || echo no-root",
	             "/home/builder\n700\nno-root\n");
}

static void test_cpu_option(void)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	char expected[32];
	fixture f;
	const char *argv[] = {"nproc", NULL};

	check_varied(set_one_cpu, "nproc", "1\n");
	/* The default keeps every CPU the caller may use. */
	fixture_open(&f, 1);
	ASSERT_OK(fixture_run(&f, argv), &f.err);
	snprintf(expected, sizeof(expected), "%ld\n", online);
	if (online > 1)
		ASSERT_STR_EQ(f.output, expected);
	fixture_close(&f);
}

static void test_direct_umask_cpus(void)
{
	const char *argv[] = {"sh", "-c", "umask; nproc", NULL};
	fixture f;

	fixture_open(&f, 0);
	f.options.umask_mode = 077;
	f.options.cpu_count = 1;
	ASSERT_OK(fixture_run(&f, argv), &f.err);
	ASSERT_STR_EQ(f.output, "0077\n1\n");
	fixture_close(&f);
}

static void test_faketime_preload(void)
{
	static const char library[] = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
	static const char *const env[] = {
		"LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "FAKETIME=+3d",
	};
	const char *argv[] = {"sh", "-c", "date -u +%s", NULL};
	long long shown, now;
	fixture f;

	if (access(library, R_OK) != 0) {
		fprintf(stderr, "skipping: '%s' is missing (install libfaketime)\n", library);
		return;
	}
	fixture_open(&f, 1);
	f.options.env = env;
	f.options.env_count = 2;
	now = (long long)time(NULL);
	ASSERT_OK(fixture_run(&f, argv), &f.err);
	CU_ASSERT_FATAL(f.output != NULL);
	shown = strtoll(f.output, NULL, 10);
	/* Three days ahead, allowing a few seconds for the step to run. */
	CU_ASSERT(shown - now >= 3 * 86400 - 5 && shown - now <= 3 * 86400 + 60);
	fixture_close(&f);
}

/* Runs `ls -f` in a build tree on /dev/shm whose files were created in the
 * order of @p names, and stores the listing in @p out. */
static void list_tmpfs_tree(const char *names, char *out, size_t size)
{
	const char *argv[] = {"sh", "-c", "ls -f | grep -v '^\\.'", NULL};
	char tree[] = "/dev/shm/reprocheck-test-order-XXXXXX";
	char path[64];
	fixture f;

	CU_ASSERT_FATAL(mkdtemp(tree) != NULL);
	for (const char *name = names; *name != '\0'; name++) {
		snprintf(path, sizeof(path), "%s/%c", tree, *name);
		repro_test_write_file(path, "", 0);
	}
	fixture_open(&f, 1);
	f.options.build_tree = tree;
	ASSERT_OK(fixture_run(&f, argv), &f.err);
	snprintf(out, size, "%s", f.output ? f.output : "");
	fixture_close(&f);
	repro_remove_tree(tree, NULL);
}

static void test_listing_order_kept(void)
{
	struct statfs info;
	char forward[64], reverse[64];

	/* The file-order variation relies on tmpfs listing by creation order
	 * through the bind mount at /build. */
	if (statfs("/dev/shm", &info) != 0 || info.f_type != TMPFS_MAGIC) {
		fprintf(stderr, "skipping: /dev/shm is not a tmpfs\n");
		return;
	}
	list_tmpfs_tree("abcd", forward, sizeof(forward));
	list_tmpfs_tree("dcba", reverse, sizeof(reverse));
	if (strcmp(forward, "a\nb\nc\nd\n") == 0) {
		ASSERT_STR_EQ(reverse, "d\nc\nb\na\n");
	} else {
		ASSERT_STR_EQ(forward, "d\nc\nb\na\n");
		ASSERT_STR_EQ(reverse, "a\nb\nc\nd\n");
	}
}

static void test_invalid_identity(void)
{
	static const struct {
		const char *home;
		const char *domainname;
		unsigned umask_mode, uid, cpus;
		const char *message;
	} cases[] = {
		{"relative", NULL, 022, 0, 0,
		 "invalid sandbox HOME 'relative': expected an absolute path of at most 64 bytes"},
		{"/tmp/home", NULL, 022, 0, 0,
		 "invalid sandbox HOME '/tmp/home': /tmp is used by the sandbox itself"},
		{"/home/../etc", NULL, 022, 0, 0,
		 "invalid sandbox HOME '/home/../etc': empty, '.' or '..' component"},
		{"/a/b/c", NULL, 022, 0, 0,
		 "invalid sandbox HOME '/a/b/c': expected one or two path components"},
		{NULL, "bad name", 022, 0, 0,
		 "invalid sandbox domain name 'bad name': expected 1 to 64 letters, digits, '-' and '.'"},
		{NULL, NULL, 01000, 0, 0, "invalid umask 1000: expected at most 0777"},
		{NULL, NULL, 022, 65535, 0,
		 "invalid sandbox uid 65535 or gid 0: expected at most 65534"},
		{NULL, NULL, 022, 0, 2000, "invalid CPU count 2000: expected at most 1024"},
	};
	const char *argv[] = {"true", NULL};

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		fixture f;

		fixture_open(&f, 1);
		f.options.home = cases[i].home;
		f.options.domainname = cases[i].domainname;
		f.options.umask_mode = cases[i].umask_mode;
		f.options.uid = cases[i].uid;
		f.options.cpu_count = cases[i].cpus;
		ASSERT_CODE(fixture_run(&f, argv), REPRO_EUSAGE, &f.err);
		ASSERT_STR_EQ(f.err.message, cases[i].message);
		fixture_close(&f);
	}
}

static void test_missing_build_tree(void)
{
	const char *argv[] = {"true", NULL};
	char missing[PATH_MAX + 16], expected[PATH_MAX * 2];
	fixture f;

	fixture_open(&f, 1);
	snprintf(missing, sizeof(missing), "%s/missing", f.dir);
	f.options.build_tree = missing;
	ASSERT_CODE(fixture_run(&f, argv), REPRO_ENOTFOUND, &f.err);
	snprintf(expected, sizeof(expected),
	         "preparing step 'true': opening the build tree '%s' failed: No such file or directory",
	         missing);
	ASSERT_STR_EQ(f.err.message, expected);
	fixture_close(&f);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"options defaults", test_options_defaults},
		{"available here", test_available_here},
		{"hostname fixed", test_hostname_fixed},
		{"hostname option", test_hostname_option},
		{"umask reset", test_umask_reset},
		{"environment exact", test_environment_exact},
		{"working directory", test_working_directory},
		{"caller is root", test_caller_is_root},
		{"pid namespace", test_pid_namespace},
		{"tmp empty", test_tmp_empty},
		{"caller home hidden", test_caller_home_hidden},
		{"system read-only", test_system_read_only},
		{"dev minimal", test_dev_minimal},
		{"network loopback only", test_network_loopback_only},
		{"timeout kills namespace", test_timeout_kills_namespace},
		{"background killed at exit", test_background_killed_at_exit},
		{"failing step tail", test_failing_step_tail},
		{"tail last lines", test_tail_last_lines},
		{"tail long line", test_tail_long_line},
		{"message whole lines", test_message_whole_lines},
		{"log appended", test_log_appended},
		{"no log file", test_no_log_file},
		{"killed by signal", test_killed_by_signal},
		{"missing command", test_missing_command},
		{"build tree ownership", test_build_tree_ownership},
		{"caller mounts unchanged", test_caller_mounts_unchanged},
		{"direct environment", test_direct_environment},
		{"direct timeout", test_direct_timeout},
		{"interrupt kills step", test_interrupt_kills_step},
		{"invalid options", test_invalid_options},
		{"duplicate env", test_duplicate_env},
		{"missing build tree", test_missing_build_tree},
		{"umask option", test_umask_option},
		{"uid option", test_uid_option},
		{"names option", test_names_option},
		{"home option", test_home_option},
		{"cpu option", test_cpu_option},
		{"direct umask cpus", test_direct_umask_cpus},
		{"faketime preload", test_faketime_preload},
		{"listing order kept", test_listing_order_kept},
		{"invalid identity", test_invalid_identity},
	};

	return repro_test_main("sandbox", cases, REPRO_ARRAY_SIZE(cases));
}

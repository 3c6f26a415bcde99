/*
 * The child side of the sandbox: everything between clone() and execve().
 * Nothing here allocates or returns to the caller's code, and every exit is
 * _exit(), so the caller's buffers and atexit handlers are never run twice.
 */
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

extern char **environ;

/* Same layout as the kernel's struct mount_attr, which older C libraries lack. */
struct repro_mount_attr {
	unsigned long long attr_set;
	unsigned long long attr_clr;
	unsigned long long propagation;
	unsigned long long userns_fd;
};

/* Device nodes bound from the host into the sandbox's /dev. */
static const char *const device_names[] = {"null", "zero", "full", "random", "urandom", "tty"};

static const struct {
	const char *path;
	const char *target;
} device_links[] = {
	{"dev/fd", "/proc/self/fd"},
	{"dev/stdin", "/proc/self/fd/0"},
	{"dev/stdout", "/proc/self/fd/1"},
	{"dev/stderr", "/proc/self/fd/2"},
};

static void write_report(int fd, const repro_sandbox_report *report)
{
	ssize_t written;

	do
		written = write(fd, report, sizeof(*report));
	while (written < 0 && errno == EINTR);
}

/* Reports a failed setup step with the current errno, and exits. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static _Noreturn void fail(const repro_sandbox_plan *plan, const char *format, ...)
{
	repro_sandbox_report report;
	va_list args;

	memset(&report, 0, sizeof(report));
	report.kind = REPRO_SANDBOX_REPORT_SETUP_FAILED;
	report.error_number = errno;
	va_start(args, format);
	vsnprintf(report.what, sizeof(report.what), format, args);
	va_end(args);
	write_report(plan->report_fd, &report);
	_exit(125);
}

/* Closes every descriptor from 3 up, except the @p count in @p keep. */
static void close_other_fds(const int *keep, size_t count)
{
	unsigned int first = 3;

	for (;;) {
		unsigned int next = ~0U;

		for (size_t i = 0; i < count; i++) {
			if (keep[i] >= (int)first && (unsigned int)keep[i] < next)
				next = (unsigned int)keep[i];
		}
		if (next > first && syscall(SYS_close_range, first, next - 1, 0) != 0) {
			/* close_range() is missing before Linux 5.9. */
			for (unsigned int fd = first; fd < next && fd < 65536; fd++)
				close((int)fd);
		}
		if (next == ~0U)
			break;
		first = next + 1;
	}
}

/* Restores default dispositions and an empty mask, since both survive execve(). */
static void reset_signals(void)
{
	struct sigaction action;
	sigset_t all;

	memset(&action, 0, sizeof(action));
	action.sa_handler = SIG_DFL;
	sigemptyset(&action.sa_mask);
	for (int signal_number = 1; signal_number < NSIG; signal_number++) {
		if (signal_number != SIGKILL && signal_number != SIGSTOP)
			sigaction(signal_number, &action, NULL);
	}
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/* Arranges for SIGKILL when the caller dies, closing the race with an
 * already dead caller through the alive pipe. */
static void die_with_caller(const repro_sandbox_plan *plan)
{
	struct pollfd alive = {.fd = plan->alive_fd, .events = POLLIN};

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		fail(plan, "setting the parent death signal");
	if (poll(&alive, 1, 0) > 0)
		_exit(125);
}

/* Keeps the first plan->cpu_count CPUs of those the step may run on. */
static void limit_cpus(const repro_sandbox_plan *plan)
{
	cpu_set_t allowed, kept;
	unsigned found = 0;

	if (plan->cpu_count == 0)
		return;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		fail(plan, "reading the CPU affinity");
	CPU_ZERO(&kept);
	for (int cpu = 0; cpu < CPU_SETSIZE && found < plan->cpu_count; cpu++) {
		if (CPU_ISSET(cpu, &allowed)) {
			CPU_SET(cpu, &kept);
			found++;
		}
	}
	if (sched_setaffinity(0, sizeof(kept), &kept) != 0)
		fail(plan, "restricting the step to %u CPUs", plan->cpu_count);
}

static _Noreturn void exec_step(const repro_sandbox_plan *plan)
{
	/* execvp() takes char *const[] for historical reasons; it writes nothing. */
	union {
		const char *const *constant;
		char *const *writable;
	} argv = {.constant = plan->argv};
	repro_sandbox_report report;
	int keep[] = {plan->report_fd};
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null_fd < 0)
		fail(plan, "opening '/dev/null'");
	if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(plan->log_fd, STDOUT_FILENO) < 0 ||
	    dup2(plan->log_fd, STDERR_FILENO) < 0)
		fail(plan, "redirecting the step's standard streams");
	close_other_fds(keep, 1);
	reset_signals();
	limit_cpus(plan);
	umask(plan->umask_mode);

	/* execvp() searches the PATH of environ, which must be the step's. */
	environ = plan->envp;
	execvp(plan->argv[0], argv.writable);

	memset(&report, 0, sizeof(report));
	report.kind = REPRO_SANDBOX_REPORT_EXEC_FAILED;
	report.error_number = errno;
	snprintf(report.what, sizeof(report.what), "%s", plan->argv[0]);
	write_report(plan->report_fd, &report);
	_exit(127);
}

static void write_id_maps(const repro_sandbox_plan *plan)
{
	static const struct {
		const char *path;
		size_t offset;
	} files[] = {
		{"/proc/self/uid_map", offsetof(repro_sandbox_plan, uid_map)},
		{"/proc/self/setgroups", 0},
		{"/proc/self/gid_map", offsetof(repro_sandbox_plan, gid_map)},
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		/* An unprivileged caller may write gid_map only after denying setgroups(). */
		const char *content = files[i].offset == 0
			? "deny\n"
			: (const char *)plan + files[i].offset;
		size_t length = strlen(content);
		int fd = open(files[i].path, O_WRONLY | O_CLOEXEC);

		if (fd < 0 && errno == ENOENT && files[i].offset == 0)
			continue;
		if (fd < 0 || write(fd, content, length) != (ssize_t)length)
			fail(plan, "writing '%s'", files[i].path);
		close(fd);
	}
}

static int mount_flags_of(const char *path)
{
	static const struct {
		unsigned long statvfs_flag;
		int mount_flag;
	} flags[] = {
		{ST_NOSUID, MS_NOSUID}, {ST_NODEV, MS_NODEV}, {ST_NOEXEC, MS_NOEXEC},
		{ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME},
	};
	struct statvfs info;
	int result = 0;

	if (statvfs(path, &info) != 0)
		return 0;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (info.f_flag & flags[i].statvfs_flag)
			result |= flags[i].mount_flag;
	}
	return result;
}

static void make_read_only(const repro_sandbox_plan *plan, const char *path, int recursive)
{
	struct repro_mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};

	if (syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr,
	            sizeof(attr)) == 0)
		return;
	if (errno != ENOSYS)
		fail(plan, "making '%s' read-only", path);

	/* NOTE: before Linux 5.12 only the top mount becomes read-only; mounts
	 * below a host system directory stay as the host has them. A remount in
	 * a user namespace must also keep the flags the host locked. */
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | (unsigned long)mount_flags_of(path),
	          NULL) != 0)
		fail(plan, "making '%s' read-only", path);
}

static void make_directory(const repro_sandbox_plan *plan, const char *path, mode_t mode)
{
	if (mkdir(path, mode) != 0 && errno != EEXIST)
		fail(plan, "creating '/%s' in the new root", path);
}

static void mount_tmpfs(const repro_sandbox_plan *plan, const char *path, const char *options)
{
	make_directory(plan, path, 0755);
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0)
		fail(plan, "mounting a tmpfs on '/%s'", path);
}

static void bind_system_directories(const repro_sandbox_plan *plan)
{
	for (size_t i = 0; i < plan->system_count; i++) {
		const repro_sandbox_system_entry *entry = &plan->system[i];
		const char *relative = entry->path + 1;

		if (entry->is_symlink) {
			if (symlink(entry->target, relative) != 0)
				fail(plan, "creating the link '%s'", entry->path);
			continue;
		}
		make_directory(plan, relative, 0755);
		if (mount(entry->path, relative, NULL, MS_BIND | MS_REC, NULL) != 0)
			fail(plan, "binding '%s'", entry->path);
		make_read_only(plan, relative, 1);
	}
}

static void populate_dev(const repro_sandbox_plan *plan)
{
	char source[64], target[64];

	mount_tmpfs(plan, "dev", "mode=0755,size=64k");
	for (size_t i = 0; i < sizeof(device_names) / sizeof(device_names[0]); i++) {
		struct stat info;
		int fd;

		snprintf(source, sizeof(source), "/dev/%s", device_names[i]);
		snprintf(target, sizeof(target), "dev/%s", device_names[i]);
		if (stat(source, &info) != 0 || !S_ISCHR(info.st_mode))
			continue;
		fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0)
			fail(plan, "creating '/%s'", target);
		close(fd);
		if (mount(source, target, NULL, MS_BIND, NULL) != 0)
			fail(plan, "binding '%s'", source);
	}
	for (size_t i = 0; i < sizeof(device_links) / sizeof(device_links[0]); i++) {
		if (symlink(device_links[i].target, device_links[i].path) != 0)
			fail(plan, "creating the link '/%s'", device_links[i].path);
	}
	make_directory(plan, "dev/shm", 0755);
	make_read_only(plan, "dev", 0);
	if (mount("tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
		fail(plan, "mounting a tmpfs on '/dev/shm'");
}

/* Mounts HOME, creating the parent of a two-component path first. */
static void mount_home(const repro_sandbox_plan *plan)
{
	const char *slash = strchr(plan->home, '/');
	char parent[80];

	if (slash != NULL && (size_t)(slash - plan->home) < sizeof(parent)) {
		memcpy(parent, plan->home, (size_t)(slash - plan->home));
		parent[slash - plan->home] = '\0';
		make_directory(plan, parent, 0755);
	}
	mount_tmpfs(plan, plan->home, "mode=0700");
}

/* Fills the new root, which is the working directory, with its mounts. */
static void populate_root(const repro_sandbox_plan *plan)
{
	bind_system_directories(plan);

	make_directory(plan, "build", 0755);
	if (mount(plan->build_tree, "build", NULL, MS_BIND | MS_REC, NULL) != 0)
		fail(plan, "binding the build tree '%s'", plan->build_tree);

	mount_tmpfs(plan, "tmp", "mode=1777");
	mount_home(plan);
	populate_dev(plan);

	make_directory(plan, "proc", 0555);
	if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		fail(plan, "mounting '/proc'");
}

/* Binds fixed content over the host's /etc files that name the host.
 * A missing file, or a link to a path outside the sandbox, is skipped:
 * nothing of the host can be read through it either. */
static void overlay_etc_files(const repro_sandbox_plan *plan)
{
	for (size_t i = 0; i < REPRO_SANDBOX_ETC_OVERLAYS; i++) {
		const repro_sandbox_etc_overlay *overlay = &plan->etc_overlays[i];
		size_t length = strlen(overlay->content);
		char staging[32];
		struct stat info;
		int fd;

		if (stat(overlay->path, &info) != 0 || !S_ISREG(info.st_mode))
			continue;
		/* Each overlay needs its own inode: the bind mount shows the file
		 * itself, so rewriting a shared one would change earlier overlays. */
		snprintf(staging, sizeof(staging), "/.reprocheck-etc-%zu", i);
		fd = open(staging, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, overlay->content, length) != (ssize_t)length)
			fail(plan, "writing the replacement for '%s'", overlay->path);
		close(fd);
		if (mount(staging, overlay->path, NULL, MS_BIND, NULL) != 0)
			fail(plan, "replacing '%s'", overlay->path);
		make_read_only(plan, overlay->path, 0);
		if (unlink(staging) != 0)
			fail(plan, "removing '%s'", staging);
	}
}

static void build_root(const repro_sandbox_plan *plan)
{
	/* Nothing mounted from here on may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		fail(plan, "making the mounts private");
	if (mount("tmpfs", plan->root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") != 0)
		fail(plan, "mounting the new root on '%s'", plan->root);
	if (chdir(plan->root) != 0)
		fail(plan, "entering the new root '%s'", plan->root);
	populate_root(plan);

	/* pivot_root(".", ".") stacks the old root on the new one; detaching
	 * it leaves the new root alone, with no path back to the host's. */
	if (syscall(SYS_pivot_root, ".", ".") != 0)
		fail(plan, "pivoting into the new root");
	if (umount2(".", MNT_DETACH) != 0)
		fail(plan, "detaching the old root");
	if (chdir("/") != 0)
		fail(plan, "entering '/'");

	overlay_etc_files(plan);
	make_read_only(plan, "/", 0);
}

static void configure_identity(const repro_sandbox_plan *plan)
{
	const char *domain_name = plan->domainname;
	struct ifreq request;
	int fd;

	if (sethostname(plan->hostname, strlen(plan->hostname)) != 0)
		fail(plan, "setting the hostname '%s'", plan->hostname);
	/* A new UTS namespace starts with the caller's names, so both are set. */
	if (setdomainname(domain_name, strlen(domain_name)) != 0)
		fail(plan, "setting the domain name '%s'", domain_name);

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail(plan, "opening a socket to configure 'lo'");
	memset(&request, 0, sizeof(request));
	memcpy(request.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &request) != 0)
		fail(plan, "reading the flags of 'lo'");
	request.ifr_flags = (short)(request.ifr_flags | IFF_UP);
	if (ioctl(fd, SIOCSIFFLAGS, &request) != 0)
		fail(plan, "bringing 'lo' up");
	close(fd);

	if (chdir("/build") != 0)
		fail(plan, "entering '/build'");
}

/*
 * Zeroes the caller's command line and environment in this process's
 * memory: PID 1 is a copy of the caller, and its /proc/1/cmdline would
 * otherwise show them to the step. Fields 48 to 51 of /proc/self/stat
 * are arg_start, arg_end, env_start and env_end (Linux 3.5 and later).
 */
static void scrub_caller_strings(void)
{
	char stat[2048];
	unsigned long long bounds[4] = {0, 0, 0, 0};
	ssize_t length;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	char *cursor;

	if (fd < 0)
		return;
	length = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (length <= 0)
		return;
	stat[length] = '\0';
	/* The command name (field 2) may contain spaces; fields count from the last ')'. */
	cursor = strrchr(stat, ')');
	for (int field = 2; cursor != NULL && field < 51; field++) {
		cursor = strchr(cursor + 1, ' ');
		if (cursor != NULL && field + 1 >= 48)
			bounds[field + 1 - 48] = strtoull(cursor + 1, NULL, 10);
	}
	for (int i = 0; i < 4; i += 2) {
		if (bounds[i] == 0 || bounds[i + 1] <= bounds[i])
			continue;
		for (volatile char *byte = (volatile char *)(uintptr_t)bounds[i];
		     byte < (volatile char *)(uintptr_t)bounds[i + 1]; byte++)
			*byte = '\0';
	}
}

/* Reaps every process reparented to PID 1 until the step itself exits. */
static int wait_for_step(pid_t step)
{
	int status = 0;

	for (;;) {
		pid_t reaped = waitpid(-1, &status, 0);

		if (reaped == step)
			return status;
		if (reaped < 0 && errno != EINTR)
			return status;
	}
}

_Noreturn void repro_sandbox_child_run_init(const repro_sandbox_plan *plan)
{
	static const struct rlimit no_core = {0, 0};
	int keep[] = {plan->log_fd, plan->report_fd, plan->alive_fd};
	repro_sandbox_report report;
	pid_t step;

	reset_signals();
	close_other_fds(keep, sizeof(keep) / sizeof(keep[0]));
	die_with_caller(plan);
	/* A session of its own keeps the terminal's signals and the caller's
	 * controlling terminal away from the step. */
	setsid();
	setrlimit(RLIMIT_CORE, &no_core);

	scrub_caller_strings();
	write_id_maps(plan);
	/* A non-dumpable PID 1 keeps /proc/1/environ, /proc/1/fd and
	 * /proc/1/exe, which lead back to the caller, from the step. It must
	 * follow the id maps, which a non-dumpable process cannot write. */
	if (prctl(PR_SET_DUMPABLE, 0) != 0)
		fail(plan, "making the sandbox's init non-dumpable");
	build_root(plan);
	configure_identity(plan);
	umask(plan->umask_mode);

	memset(&report, 0, sizeof(report));
	report.kind = REPRO_SANDBOX_REPORT_EXITED;
	if (!plan->probe) {
		step = fork();
		if (step < 0)
			fail(plan, "starting the step");
		if (step == 0)
			exec_step(plan);
		report.wait_status = wait_for_step(step);
	}
	write_report(plan->report_fd, &report);
	_exit(0);
}

_Noreturn void repro_sandbox_child_run_direct(const repro_sandbox_plan *plan)
{
	static const struct rlimit no_core = {0, 0};

	reset_signals();
	setpgid(0, 0);
	die_with_caller(plan);
	setrlimit(RLIMIT_CORE, &no_core);
	if (chdir(plan->build_tree) != 0)
		fail(plan, "entering the build tree '%s'", plan->build_tree);
	exec_step(plan);
}

/*
 * Interrupt handling: SIGINT and SIGTERM set a flag and wake the sandbox's
 * wait loop through a pipe, so that it kills the step and cleans up.
 */
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t interrupt_signal;

/* Written by the signal handler so that a waiting poll() wakes at once. */
static int wake_pipe[2] = {-1, -1};

static const struct {
	int number;
	const char *name;
} signal_names[] = {
	{SIGHUP, "SIGHUP"}, {SIGINT, "SIGINT"}, {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
	{SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"}, {SIGFPE, "SIGFPE"},
	{SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
	{SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGCHLD, "SIGCHLD"},
	{SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"},
};

const char *repro_sandbox_signal_name(int number, char *buffer, size_t size)
{
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++) {
		if (signal_names[i].number == number)
			return signal_names[i].name;
	}
	snprintf(buffer, size, "signal %d", number);
	return buffer;
}

static void on_interrupt(int number)
{
	int saved = errno;

	interrupt_signal = number;
	if (wake_pipe[1] >= 0 && write(wake_pipe[1], "", 1) < 0) {
		/* A full pipe already wakes the waiter. */
	}
	errno = saved;
}

void repro_sandbox_install_signal_handlers(void)
{
	struct sigaction action;

	if (wake_pipe[0] < 0 && pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		wake_pipe[0] = -1;
		wake_pipe[1] = -1;
	}
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_interrupt;
	sigemptyset(&action.sa_mask);
	/* No SA_RESTART: the wait loop must see EINTR and check the flag. */
	action.sa_flags = 0;
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
}

int repro_sandbox_interrupt_signal(void)
{
	return interrupt_signal;
}

void repro_sandbox_clear_interrupt(void)
{
	char drain[64];

	interrupt_signal = 0;
	if (wake_pipe[0] >= 0) {
		while (read(wake_pipe[0], drain, sizeof(drain)) > 0) {
		}
	}
}

int repro_sandbox_wake_fd(void)
{
	return wake_pipe[0];
}

/*
 * process.c: running programs, with posix_spawn and never a shell.
 *
 * argv is passed as data, word for word; a program that cannot be started
 * is -1 with errno, anything it does afterwards is its exit status in the
 * shell's terms (128+signal for a death by signal).
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void
util_env_without(const char *const *drop, struct strvec *out)
{
	for (size_t i = 0; environ[i]; i++) {
		bool skip = false;
		for (size_t k = 0; drop[k] && !skip; k++)
			skip = util_starts_with(environ[i], drop[k]);
		if (!skip)
			strvec_push(out, environ[i]);
	}
}

int
util_wait_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/*
 * posix_spawnp takes char *const[] (C cannot say "neither the array nor
 * the strings change" otherwise); it changes neither, so the const goes
 * here, once, instead of at every caller.
 */
static int
spawn(const char *const argv[], const char *const envp[], posix_spawn_file_actions_t *fa,
      pid_t *pidp)
{
	char *const *av = (char *const *)(uintptr_t)argv;
	char *const *ev = envp ? (char *const *)(uintptr_t)envp : environ;
	int rc;

	rc = posix_spawnp(pidp, argv[0], fa, NULL, av, ev);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

static int
reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return util_wait_status(status);
}

int
util_run(const char *const argv[], const char *const envp[])
{
	pid_t pid;

	if (spawn(argv, envp, NULL, &pid) < 0)
		return -1;
	return reap(pid);
}

/*
 * Starts argv with its stdout going into a new pipe and, for a logged run,
 * its stderr too, its stdin from /dev/null and its directory cwd (NULL:
 * here).  Returns the pipe's reading end, or -1 with errno.
 */
static int
spawn_piped(const char *const argv[], const char *const envp[], bool logged, const char *cwd,
            pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int fds[2], rc, err;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	if (logged) {
		posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		if (cwd)
			posix_spawn_file_actions_addchdir_np(&fa, cwd);
	}
	rc = spawn(argv, envp, &fa, pid);
	err = errno;
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc < 0) {
		close(fds[0]);
		errno = err;
		return -1;
	}
	return fds[0];
}

/* read(2), again after EINTR: > 0 bytes read, 0 at the end, -1 on error. */
static ssize_t
read_retry(int fd, void *buf, size_t len)
{
	ssize_t n;

	while ((n = read(fd, buf, len)) < 0 && errno == EINTR)
		;
	return n;
}

int
util_run_capture(const char *const argv[], const char *const envp[], char **out,
                 size_t *outlen)
{
	struct strbuf sb = { 0 };
	char chunk[8192];
	int fd, rc;
	pid_t pid;
	ssize_t n;

	if ((fd = spawn_piped(argv, envp, false, NULL, &pid)) < 0)
		return -1;
	while ((n = read_retry(fd, chunk, sizeof(chunk))) > 0)
		strbuf_add(&sb, chunk, (size_t)n);
	close(fd);
	rc = reap(pid);
	if (outlen)
		*outlen = sb.len;
	*out = strbuf_detach(&sb);
	if (!*out)
		return -1;
	return rc;
}

int
util_run_logged(const char *const argv[], const char *const envp[], const char *cwd,
                int logfd, void (*line)(void *ctx, const char *text), void *ctx)
{
	struct strbuf pending = { 0 };
	char chunk[16384];
	int fd;
	pid_t pid;
	ssize_t n;

	if ((fd = spawn_piped(argv, envp, true, cwd, &pid)) < 0)
		return -1;
	while ((n = read_retry(fd, chunk, sizeof(chunk))) > 0) {
		if (logfd >= 0)
			(void)!write(logfd, chunk, (size_t)n);
		if (!line)
			continue;
		strbuf_add(&pending, chunk, (size_t)n);
		char *start = pending.s, *nl;
		while (start && (nl = memchr(start, '\n', pending.len - (size_t)(start - pending.s)))) {
			*nl = '\0';
			line(ctx, start);
			start = nl + 1;
		}
		if (start && start != pending.s) {
			size_t rest = pending.len - (size_t)(start - pending.s);
			memmove(pending.s, start, rest);
			pending.len = rest;
			pending.s[rest] = '\0';
		}
	}
	if (line && pending.len && !pending.failed)
		line(ctx, pending.s);
	strbuf_free(&pending);
	close(fd);
	return reap(pid);
}

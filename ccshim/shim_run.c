/*
 * shim_run.c: pyweld-cc running the real tool.
 *
 * The real tool gets the command line exactly as given (one change, see
 * wants_fat_lto in shim.c) and PYWELD_SHIM_ACTIVE in its environment, so a
 * shim it reaches in turn (gcc's collect2 looking up ld on PATH, a launcher
 * calling back) only passes the call through.  Nothing to record: this
 * process becomes the real tool (execv).  Something to record: the tool
 * runs as a child, and its exit status, or the signal that killed it, is
 * the shim's (ccshim__exit_like).  A source the command reads from a
 * stream that cannot be read twice is read ahead, so that the real tool and
 * the record's own compile get the same bytes (ccshim__capture_streams).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"
#include "util.h"

extern char **environ;

static char active_entry[64] = ACTIVE_VAR "=1";   /* for the real tool */

void
ccshim__set_depth(int depth)
{
	snprintf(active_entry, sizeof(active_entry), "%s=%d", ACTIVE_VAR, depth + 1);
}

/*
 * A configured command that names a program without a path ("distcc gcc":
 * distcc sends the name to other machines) leaves the lookup to the
 * launcher, which must find the real program on PATH as it would without
 * pyweld, not a shim.  Takes every shim directory (one holding a
 * pyweld-shim.conf) out of PATH for this process and the real tool.
 */
void
ccshim__hide_shims_for(char *const *tool)
{
	const char *path = getenv("PATH"), *p, *end;
	struct strbuf sb = { 0 };
	bool bare = false, dropped = false, first = true;

	for (size_t i = 1; tool[i] && tool[i][0] != '-'; i++)
		bare = bare || !strchr(tool[i], '/');
	if (!bare || !path)
		return;
	for (p = path;; p = end + 1) {
		char *conf;
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		/* An empty entry is the current directory. */
		conf = end > p ? xasprintf("%.*s/%s", (int)(end - p), p, CCSHIM_CONF_NAME)
		               : xstrdup(CCSHIM_CONF_NAME);
		if (access(conf, F_OK) == 0) {
			dropped = true;
		} else {
			if (!first)
				strbuf_addc(&sb, ':');
			strbuf_add(&sb, p, (size_t)(end - p));
			first = false;
		}
		free(conf);
		if (*end == '\0')
			break;
	}
	if (sb.failed)
		util_fatal("out of memory");
	if (dropped)
		setenv("PATH", sb.s ? sb.s : "", 1);
	strbuf_free(&sb);
}

/* argv for the real run: the configured words, then our arguments. */
char **
ccshim__real_argv(char **prefix, int argc, char **argv)
{
	size_t n = 0;
	char **v;

	while (prefix[n])
		n++;
	v = xcalloc(n + (size_t)argc + 1, sizeof(char *));
	memcpy(v, prefix, n * sizeof(char *));
	for (int i = 1; i < argc; i++)
		v[n + (size_t)i - 1] = argv[i];
	return v;
}

/* The environment for a real tool: ours plus PYWELD_SHIM_ACTIVE=1. */
char **
ccshim__active_env(void)
{
	size_t n = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + 2, sizeof(char *));
	memcpy(env, environ, n * sizeof(char *));
	env[n] = active_entry;
	return env;
}

/* Replaces this process with the real tool: nothing to record. */
void
ccshim__pass_through(char **argv)
{
	putenv(active_entry);
	execv(argv[0], argv);
	util_fatal("cannot run '%s':", argv[0]);
}

/*
 * Ends this process the way the real tool ended, given its wait status:
 * killed by the same signal when a signal killed it, otherwise with the
 * same exit status, 0 to 255, whatever it is (130 is an exit status here,
 * not SIGINT: only the wait status tells them apart).
 */
void
ccshim__exit_like(int wstatus)
{
	if (WIFSIGNALED(wstatus)) {
		int sig = WTERMSIG(wstatus);
		struct rlimit no_core = { 0, 0 };
		sigset_t set;

		/* No core file of ours over the one the tool may have left. */
		setrlimit(RLIMIT_CORE, &no_core);
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		exit(128 + sig);        /* not reached: the signal ends this process */
	}
	exit(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 1);
}

bool
ccshim__exited_zero(int wstatus)
{
	return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
}

/*
 * Runs the real tool and waits; returns its wait status, or -1 with errno.
 * quiet sends its output to /dev/null; each stream's copy is given to it on
 * the stream's descriptor, read from its start.
 */
int
ccshim__run_real(char **argv, char **envp, bool quiet, const struct shim_stream *streams,
         size_t nstreams)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc, status;

	posix_spawn_file_actions_init(&fa);
	if (quiet) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	}
	for (size_t i = 0; i < nstreams; i++) {
		if (streams[i].copy < 0)
			continue;
		/* dup2 shares the offset: rewind for each run. */
		if (lseek(streams[i].copy, 0, SEEK_SET) < 0) {
			posix_spawn_file_actions_destroy(&fa);
			return -1;
		}
		posix_spawn_file_actions_adddup2(&fa, streams[i].copy, streams[i].fd);
	}
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/*
 * The descriptor a source is read from when it is a stream that cannot be
 * read twice: "-" (standard input, from wherever it stands), /dev/stdin,
 * /dev/fd/N or /proc/self/fd/N when that is not a regular file (a pipe, a
 * terminal: a regular file is reopened from its start).  -1 otherwise.
 */
static int
stream_fd(const char *path)
{
	const char *num = NULL;
	struct stat st;
	long fd = 0;
	char *end;

	if (!strcmp(path, "-"))
		return 0;
	if (util_starts_with(path, "/dev/fd/"))
		num = path + strlen("/dev/fd/");
	else if (util_starts_with(path, "/proc/self/fd/"))
		num = path + strlen("/proc/self/fd/");
	else if (strcmp(path, "/dev/stdin") != 0)
		return -1;
	if (num) {
		errno = 0;
		fd = strtol(num, &end, 10);
		if (end == num || *end || errno || fd < 0 || fd > INT_MAX)
			return -1;
	}
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return -1;
	return (int)fd;
}

/*
 * A shared link of a source read from a stream (`cc -shared -x c - -o x.so`)
 * would leave nothing for side_compile to read.  Before the real tool runs,
 * each such stream is read to its end into memory; the real tool, then the
 * side compile, get those exact bytes on the same descriptor.  A stream
 * that cannot be read is left to the real tool as it is, and its source is
 * not compiled for the record.
 */
void
ccshim__capture_streams(struct shim *s)
{
	const struct ccshim_cmd *cmd = &s->cmd;
	char buf[65536];

	if (cmd->action != CCSHIM_ACT_SHARED_LINK)
		return;
	for (size_t i = 0; i < cmd->ninputs; i++) {
		const struct ccshim_input *in = &cmd->inputs[i];
		int fd = in->kind == CCSHIM_ARG_SOURCE ? stream_fd(in->value) : -1;
		bool seen = false;
		for (size_t k = 0; k < s->nstreams; k++)
			seen = seen || s->streams[k].fd == fd;
		if (fd < 0 || seen)
			continue;
		s->streams = xreallocarray(s->streams, s->nstreams + 1, sizeof(*s->streams));
		struct shim_stream *st = &s->streams[s->nstreams++];
		st->fd = fd;
		st->complete = false;
		st->copy = memfd_create("pyweld-source", MFD_CLOEXEC);
		if (st->copy < 0)
			continue;
		size_t total = 0;
		for (;;) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				st->complete = n == 0;
				break;
			}
			for (ssize_t off = 0; off < n;) {
				ssize_t w = write(st->copy, buf + off, (size_t)(n - off));
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0)
					util_fatal("cannot keep the source '%s' read from descriptor "
					           "%d for the compiler:", in->value, fd);
				off += w;
			}
			total += (size_t)n;
		}
		if (!st->complete && total == 0) {
			/* Nothing was taken: the real tool reads the stream itself. */
			close(st->copy);
			st->copy = -1;
		}
	}
}

/* The captured stream a source is read from, or NULL. */
const struct shim_stream *
ccshim__source_stream(const struct shim *s, const char *path)
{
	int fd = stream_fd(path);

	for (size_t k = 0; fd >= 0 && k < s->nstreams; k++)
		if (s->streams[k].fd == fd)
			return &s->streams[k];
	return NULL;
}

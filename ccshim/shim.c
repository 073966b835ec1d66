/*
 * shim.c: pyweld-cc, the wrapper compiler.
 *
 * Reached through a shim directory's links (cc, gcc, c++, g++, ld, ar,
 * ranlib), it runs the real tool with the command line exactly as given
 * and, for compiles, shared links and archives, records what happened in
 * the link database afterwards.  Recording never breaks a build: when it
 * fails, a warning is printed and the real tool's exit status is returned;
 * PYWELD_STRICT=1 makes such a failure an error (for tests).
 *
 * One change to a command line: a GCC compile with -flto and without fat
 * objects gets -ffat-lto-objects at its end (see wants_fat_lto).
 *
 * The real tool's exit status, or the signal that killed it, is the shim's
 * (exit_like).  A shared link that compiles its sources is compiled once
 * more for the record without its dependency-file options (side_compile),
 * and a source it reads from standard input or a pipe is read ahead, so
 * that the real tool and that compile get the same bytes (capture_streams).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ccshim.h"
#include "linkdb.h"
#include "util.h"

extern char **environ;

/* Set in the environment of every real tool we start: a shim that finds it
 * is running inside another shim's real tool (gcc's collect2 looking up ld
 * on PATH, a launcher calling back) and only passes the call through. */
#define ACTIVE_VAR "PYWELD_SHIM_ACTIVE"
/* Its value counts the shims a command has passed through.  A chain this
 * long is a loop (two shim directories whose real tools name each other,
 * through different pyweld-cc binaries): stop it instead of exec'ing for
 * ever. */
#define MAX_SHIM_DEPTH 16

static bool strict;
static char active_entry[64] = ACTIVE_VAR "=1";   /* for the real tool */

/* A recording problem: a warning, or with PYWELD_STRICT=1 an error. */
static void
record_failed(int *status, const char *what, const char *why)
{
	if (strict) {
		util_error("cannot record %s: %s", what, why);
		if (*status == 0)
			*status = 1;
	} else {
		util_warn("cannot record %s: %s (the build goes on without it)", what, why);
	}
}

/* --- finding the shim directory and the real tool ----------------------- */

/* The directory the shim was reached through, malloc'd, or NULL. */
static char *
find_shim_dir(const char *argv0, const struct stat *self)
{
	const char *env = getenv("PYWELD_SHIM_DIR");
	char *p, *dir;
	struct stat st;

	if (env && *env)
		return strdup(env);
	if (strchr(argv0, '/'))
		return util_dirname(argv0);
	/* Found on PATH: the first entry whose argv0 is this very program. */
	p = util_which(argv0, NULL, NULL);
	while (p) {
		if (stat(p, &st) == 0 && st.st_dev == self->st_dev &&
		    st.st_ino == self->st_ino) {
			dir = util_dirname(p);
			free(p);
			return dir;
		}
		free(p);
		p = NULL;
	}
	return NULL;
}

/*
 * The real command when the configuration cannot say: the program of the
 * name the shim was reached by, on PATH, skipping this program and the
 * masquerade links of launchers (ccache's would look up the name on PATH
 * and find the shim again).
 */
static char **
fallback_tool(enum ccshim_tool tool, const char *argv0, const char *self)
{
	char err[1024];
	char **v = ccshim_resolve_name(tool, util_basename(argv0), self, err, sizeof(err));

	if (!v)
		util_fatal("%s", err);
	return v;
}

/*
 * A configured command that names a program without a path ("distcc gcc":
 * distcc sends the name to other machines) leaves the lookup to the
 * launcher, which must find the real program on PATH as it would without
 * pyweld, not a shim.  Takes every shim directory (one holding a
 * pyweld-shim.conf) out of PATH for this process and the real tool.
 */
static void
hide_shims_for(char *const *tool)
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
static char **
real_argv(char **prefix, int argc, char **argv)
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

/*
 * An LTO object without machine code (GCC's default, and what CMake's
 * interprocedural optimisation asks for) cannot be welded: objcopy cannot
 * rename symbols inside GIMPLE.  A fat object carries machine code beside the
 * bytecode, so the package's own LTO link is unchanged and the weld gets code
 * it can rename.  Only for GCC (the flag came with GCC 4.7; clang before 17
 * warns about it, and -Werror would make that fatal), only for recorded
 * compiles, and never with PYWELD_FAT_LTO=0.  The flag goes last, where it
 * overrides a -fno-fat-lto-objects earlier on the line.
 */
static bool
wants_fat_lto(const struct ccshim_cmd *cmd, char **tool)
{
	const char *off = getenv("PYWELD_FAT_LTO");
	bool gcc = false;

	if (!cmd->lto || (cmd->tool != CCSHIM_TOOL_CC && cmd->tool != CCSHIM_TOOL_CXX) ||
	    (off && !strcmp(off, "0")))
		return false;
	/* The compiler is one of the configured words (a launcher such as
	 * ccache may come first); /usr/bin/cc resolves to gcc on Debian. */
	for (size_t i = 0; tool[i] && !gcc; i++) {
		char *r = realpath(tool[i], NULL);
		const char *b = util_basename(r ? r : tool[i]);
		gcc = strstr(b, "gcc") || strstr(b, "g++");
		free(r);
	}
	return gcc;
}

/* Appends arg to the NULL-terminated vector *v of *n entries. */
static void
argv_append(char ***v, int *n, char *arg)
{
	*v = xreallocarray(*v, (size_t)*n + 2, sizeof(char *));
	(*v)[(*n)++] = arg;
	(*v)[*n] = NULL;
}

/* The environment for a real tool: ours plus PYWELD_SHIM_ACTIVE=1. */
static char **
active_env(void)
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
static void
pass_through(char **argv)
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
static void
exit_like(int wstatus)
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

static bool
exited_zero(int wstatus)
{
	return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
}

/*
 * A source read from a stream that cannot be read twice (standard input,
 * /dev/fd/N on a pipe), read to its end before the real tool runs: the real
 * tool and the record's compile each get the same bytes on the same
 * descriptor (see capture_streams).
 */
struct stream {
	int fd;                 /* the descriptor the source is read from */
	int copy;               /* a memfd holding its bytes, or -1 */
	bool complete;          /* copy holds everything, up to end of file */
};

/*
 * Runs the real tool and waits; returns its wait status, or -1 with errno.
 * quiet sends its output to /dev/null; each stream's copy is given to it on
 * the stream's descriptor, read from its start.
 */
static int
run_real(char **argv, char **envp, bool quiet, const struct stream *streams,
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

/* --- what is worth recording --------------------------------------------- */

/* Probes of configure, CMake and meson compile throwaway files. */
static bool
is_probe(const char *path)
{
	const char *base = util_basename(path);

	return util_starts_with(base, "conftest") ||
	       strstr(path, "CMakeFiles/CMakeScratch/") ||
	       strstr(path, "CMakeFiles/CMakeTmp/") ||
	       strstr(path, "meson-private/") ||
	       util_starts_with(base, "CMakeCCompilerId") ||
	       util_starts_with(base, "CMakeCXXCompilerId");
}

static bool
probe_command(const struct ccshim_cmd *cmd, const char *cwd)
{
	if (cmd->output && (is_probe(cmd->output) || !strcmp(cmd->output, "/dev/null")))
		return true;
	for (size_t i = 0; i < cmd->ninputs; i++)
		if (cmd->inputs[i].kind == CCSHIM_ARG_SOURCE && is_probe(cmd->inputs[i].value))
			return true;
	return is_probe(cwd) && strstr(cwd, "/CMakeFiles/") != NULL;
}

static bool
wants_record(const struct ccshim_cmd *cmd)
{
	return cmd->action == CCSHIM_ACT_COMPILE ||
	       cmd->action == CCSHIM_ACT_SHARED_LINK ||
	       cmd->action == CCSHIM_ACT_ARCHIVE;
}

static bool
is_header_lang(const char *lang)
{
	return lang && strstr(lang, "-header") != NULL;
}

/* --- recording ------------------------------------------------------------ */

struct shim {
	struct ccshim_cmd cmd;
	char **tool;                    /* the real command's words */
	char *cwd;
	struct linkdb *db;
	const char *dbpath;
	int64_t build;
	char *tmpdir;                   /* for objects compiled only to record */
	struct ccshim_conf *conf;       /* every role's real tool (ar for thin archives) */
	int fat_count;
	struct stream *streams;         /* sources read from pipes, kept for the record */
	size_t nstreams;
};

static int
open_db(struct shim *s, int *status, const char *what)
{
	if (s->db)
		return 0;
	if (!s->dbpath) {
		record_failed(status, what, "no link database configured (PYWELD_DB)");
		return -1;
	}
	if (linkdb_open(&s->db, s->dbpath, LINKDB_CREATE) < 0) {
		record_failed(status, what, linkdb_errmsg(s->db));
		linkdb_close(s->db);
		s->db = NULL;
		return -1;
	}
	return 0;
}

static void
record_compile(struct shim *s, int *status)
{
	const struct ccshim_cmd *cmd = &s->cmd;

	for (size_t i = 0; i < cmd->ninputs; i++) {
		const struct ccshim_input *in = &cmd->inputs[i];
		char *obj;
		if (in->kind != CCSHIM_ARG_SOURCE || is_header_lang(in->lang))
			continue;
		obj = cmd->output && cmd->nsources == 1 ? xstrdup(cmd->output)
		      : ccshim_default_object(in->value);
		struct linkdb_compile c = {
			.cwd = s->cwd,
			.argc = cmd->argc,
			.argv = cmd->argv,
			.language = in->lang,
			.nsources = 1,
			.sources = &in->value,
			.output = obj,
			.status = 0,
		};
		char what[600];
		snprintf(what, sizeof(what), "the compile of '%s'", in->value);
		if (open_db(s, status, what) == 0 && linkdb_add_compile(s->db, s->build, &c, NULL) < 0)
			record_failed(status, what, linkdb_errmsg(s->db));
		free(obj);
	}
}

static bool
is_system_dir(const char *dir)
{
	return util_starts_with(dir, "/usr/") || util_starts_with(dir, "/lib") ||
	       !strcmp(dir, "/usr");
}

/*
 * Where ld would find -lNAME among the link's -L directories, preferring
 * the static archive when the directory has both (that is what a weld
 * needs).  Returns a malloc'd path relative to cwd or absolute, or NULL when
 * the library is not in a -L directory of the build's own (system
 * libraries stay -l names for the final link to resolve).
 */
static char *
find_build_lib(const struct ccshim_cmd *cmd, const char *cwd, const char *name,
               enum linkdb_input_kind *kind)
{
	for (size_t i = 0; i < cmd->ninputs; i++) {
		const struct ccshim_input *in = &cmd->inputs[i];
		char *dir, *a = NULL, *so = NULL;
		if (in->kind != CCSHIM_ARG_LIBDIR)
			continue;
		char *joined = util_path_join(cwd, in->value);
		dir = joined ? util_abspath(joined) : NULL;
		free(joined);
		if (!dir)
			continue;
		if (name[0] == ':') {
			a = util_path_join(dir, name + 1);
		} else {
			a = xasprintf("%s/lib%s.a", dir, name);
			so = xasprintf("%s/lib%s.so", dir, name);
		}
		bool system = is_system_dir(dir);
		free(dir);
		if (a && util_is_file(a)) {
			free(so);
			if (system) {
				free(a);
				return NULL;
			}
			*kind = util_ends_with(a, ".so") || strstr(util_basename(a), ".so.")
			        ? LINKDB_IN_SHARED : LINKDB_IN_ARCHIVE;
			return a;
		}
		if (so && util_is_file(so)) {
			free(a);
			if (system) {
				free(so);
				return NULL;
			}
			*kind = LINKDB_IN_SHARED;
			return so;
		}
		free(a);
		free(so);
	}
	return NULL;
}

static int
make_tmpdir(struct shim *s)
{
	if (s->tmpdir)
		return 0;
	const char *t = getenv("TMPDIR");
	s->tmpdir = xasprintf("%s/pyweld-side.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(s->tmpdir)) {
		free(s->tmpdir);
		s->tmpdir = NULL;
		return -1;
	}
	return 0;
}

/*
 * A thin archive (ar T, as meson makes) holds only its members' paths, which
 * the build deletes soon after: the record keeps a regular archive of the
 * same members instead, made with the real ar.  Returns the path of that
 * archive (malloc'd), or NULL when path is not a thin archive or the copy
 * fails (then the thin one is recorded as it is).
 */
static char *
fatten(struct shim *s, const char *path)
{
	char magic[8] = { 0 }, *full, *dir, *listing = NULL, *out, *save = NULL, *line;
	struct strvec av = { 0 };
	FILE *f;
	int rc;

	full = path[0] == '/' ? xstrdup(path) : util_path_join(s->cwd, path);
	f = fopen(full, "rb");
	if (!f || fread(magic, 1, 8, f) != 8 || memcmp(magic, "!<thin>\n", 8) != 0 ||
	    !s->conf || !s->conf->tool[CCSHIM_TOOL_AR] || make_tmpdir(s) < 0) {
		if (f)
			fclose(f);
		free(full);
		return NULL;
	}
	fclose(f);
	dir = util_dirname(full);
	for (size_t i = 0; s->conf->tool[CCSHIM_TOOL_AR][i]; i++)
		strvec_push(&av, s->conf->tool[CCSHIM_TOOL_AR][i]);
	strvec_push(&av, "t");
	strvec_push(&av, full);
	char **env = active_env();
	rc = util_run_capture(strvec_cargv(&av), (const char *const *)env, &listing, NULL);
	strvec_free(&av);
	out = xasprintf("%s/fat-%d.a", s->tmpdir, s->fat_count++);
	for (size_t i = 0; s->conf->tool[CCSHIM_TOOL_AR][i]; i++)
		strvec_push(&av, s->conf->tool[CCSHIM_TOOL_AR][i]);
	strvec_push(&av, "qcs");        /* quick append: members of one name may repeat */
	strvec_push(&av, out);
	for (line = rc == 0 && listing ? strtok_r(listing, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		strvec_push_owned(&av, line[0] == '/' ? xstrdup(line) : util_path_join(dir, line));
	rc = rc == 0 && av.n > 3 ? run_real(av.v, env, true, NULL, 0) : -1;
	free(env);
	strvec_free(&av);
	free(listing);
	free(dir);
	free(full);
	if (rc != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* --- sources read once ----------------------------------------------------- */

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
static void
capture_streams(struct shim *s)
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
		struct stream *st = &s->streams[s->nstreams++];
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
static const struct stream *
source_stream(const struct shim *s, const char *path)
{
	int fd = stream_fd(path);

	for (size_t k = 0; fd >= 0 && k < s->nstreams; k++)
		if (s->streams[k].fd == fd)
			return &s->streams[k];
	return NULL;
}

/* --- the record's compile of a linked source ------------------------------- */

/*
 * How many argv entries from argv[i] make a dependency-file option, which
 * would make the side compile write (over) the user's dependency file:
 * -MD, -MMD, -MF F, -MT T, -MQ T, -MP, -MG, -MJ F (clang) and every other
 * -M*, their long forms, "-Xpreprocessor -MF -Xpreprocessor F".  0 for any
 * other argument.  A -Wp, list is handled by wp_without_deps.
 */
static int
dep_option(char *const *argv, int argc, int i)
{
	static const char *const longs[] = {
		"--dependencies", "--user-dependencies", "--write-dependencies",
		"--write-user-dependencies", "--print-missing-file-dependencies", NULL,
	};
	const char *a = argv[i];

	for (size_t k = 0; longs[k]; k++)
		if (!strcmp(a, longs[k]))
			return 1;
	if (!strcmp(a, "-MF") || !strcmp(a, "-MT") || !strcmp(a, "-MQ") ||
	    !strcmp(a, "-MJ"))
		return i + 1 < argc ? 2 : 1;
	if (util_starts_with(a, "-M"))
		return 1;
	if (!strcmp(a, "-Xpreprocessor") && i + 1 < argc &&
	    util_starts_with(argv[i + 1], "-M")) {
		const char *o = argv[i + 1];
		/* cc1 reads the file of -MD, -MMD, -MF, -MT, -MQ from the next
		 * argument, passed by another -Xpreprocessor. */
		bool file = !strcmp(o, "-MD") || !strcmp(o, "-MMD") || !strcmp(o, "-MF") ||
		            !strcmp(o, "-MT") || !strcmp(o, "-MQ");
		if (file && i + 3 < argc && !strcmp(argv[i + 2], "-Xpreprocessor"))
			return 4;
		return 2;
	}
	return 0;
}

/*
 * A "-Wp,a,b,c" argument without its dependency options (-MD F, -MMD F,
 * -MF F, -MT T, -MQ T, -MP, ...): a new string, "" when nothing is left,
 * or NULL when there was none (the argument stays as it is).
 */
static char *
wp_without_deps(const char *a)
{
	struct strbuf sb = { 0 };
	char *copy, *item, *save = NULL;
	bool dropped = false, value = false;

	if (!util_starts_with(a, "-Wp,"))
		return NULL;
	copy = xstrdup(a + 4);
	/* GCC splits -Wp, at every comma (strtok would merge empty items,
	 * which GCC keeps; an empty item is no dependency option either). */
	for (item = copy; item; item = save) {
		save = strchr(item, ',');
		if (save)
			*save++ = '\0';
		if (value) {
			value = false;
			continue;
		}
		if (util_starts_with(item, "-M")) {
			dropped = true;
			value = !strcmp(item, "-MD") || !strcmp(item, "-MMD") ||
			        !strcmp(item, "-MF") || !strcmp(item, "-MT") ||
			        !strcmp(item, "-MQ");
			continue;
		}
		strbuf_adds(&sb, sb.len ? "," : "-Wp,");
		strbuf_adds(&sb, item);
	}
	free(copy);
	if (!dropped) {
		strbuf_free(&sb);
		return NULL;
	}
	if (sb.failed)
		util_fatal("out of memory");
	return sb.len ? strbuf_detach(&sb) : (strbuf_free(&sb), xstrdup(""));
}

/* The environment of a side compile: the real tool's, without the
 * variables that make GCC write a dependency file. */
static char **
side_env(void)
{
	char **env = active_env(), **o = env;

	for (char **e = env; *e; e++)
		if (!util_starts_with(*e, "DEPENDENCIES_OUTPUT=") &&
		    !util_starts_with(*e, "SUNPRO_DEPENDENCIES="))
			*o++ = *e;
	*o = NULL;
	return env;
}

/*
 * A shared link that compiles sources itself ("cc -shared x.c -o x.so")
 * leaves no object to record: compile each source once more, to a private
 * temporary, with the same options but no dependency-file options (the
 * user's dependency file stays the link's), only for the record.  A source
 * from a stream is read from its captured copy.  Returns the object, or
 * NULL with the reason in why.
 */
static char *
side_compile(struct shim *s, const struct ccshim_input *src, char *why, size_t whylen)
{
	const struct ccshim_cmd *cmd = &s->cmd;
	const struct stream *stream = source_stream(s, src->value);
	struct strvec av = { 0 };
	struct stat st;
	bool *skip;
	char *obj;
	int rc;

	if (stream && !stream->complete) {
		snprintf(why, whylen, "the source '%s' it compiles (descriptor %d) could "
		         "not be read ahead to be compiled again for the record",
		         src->value, stream->fd);
		return NULL;
	}
	if (!stream && stat(src->value, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		snprintf(why, whylen, "the source '%s' it compiles is a pipe, which can be "
		         "read only once", src->value);
		return NULL;
	}
	snprintf(why, whylen, "the source '%s' it compiles could not be compiled again "
	         "for the record", src->value);
	if (make_tmpdir(s) < 0)
		return NULL;
	skip = xcalloc((size_t)cmd->argc + 1, sizeof(bool));
	for (size_t i = 0; i < cmd->ninputs; i++)
		for (int k = 0; k < cmd->inputs[i].argn; k++)
			skip[cmd->inputs[i].argi + k] = true;
	for (int i = 1; i < cmd->argc; i++) {
		const char *a = cmd->argv[i];
		int n;
		if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			skip[i] = true;
			if (i + 1 < cmd->argc)
				skip[i + 1] = true;
		} else if (util_starts_with(a, "-o") || util_starts_with(a, "--output=") ||
		           !strcmp(a, "-shared")) {
			skip[i] = true;
		} else if ((n = dep_option(cmd->argv, cmd->argc, i)) > 0) {
			for (int k = 0; k < n; k++)
				skip[i + k] = true;
			i += n - 1;
		}
	}
	for (size_t i = 0; s->tool[i]; i++)
		strvec_push(&av, s->tool[i]);
	for (int i = 1; i < cmd->argc; i++) {
		char *wp;
		if (skip[i])
			continue;
		wp = wp_without_deps(cmd->argv[i]);
		if (!wp)
			strvec_push(&av, cmd->argv[i]);
		else if (*wp)
			strvec_push_owned(&av, wp);
		else
			free(wp);
	}
	obj = xasprintf("%s/%d.o", s->tmpdir, src->argi);
	strvec_push(&av, "-c");
	strvec_push(&av, "-x");
	strvec_push(&av, src->lang);
	strvec_push(&av, src->value);
	strvec_push(&av, "-o");
	strvec_push(&av, obj);
	free(skip);
	if (av.failed)
		util_fatal("out of memory");
	char **env = side_env();
	rc = run_real(av.v, env, true, s->streams, s->nstreams);
	free(env);
	strvec_free(&av);
	if (rc < 0 || !exited_zero(rc)) {
		free(obj);
		return NULL;
	}
	return obj;
}

static void
record_link(struct shim *s, int *status)
{
	const struct ccshim_cmd *cmd = &s->cmd;
	struct linkdb_input *in = xcalloc(cmd->ninputs * 2 + 1, sizeof(*in));
	struct strvec owned = { 0 };
	size_t n = 0;
	char what[600];

	/* gcc -shared without -o writes a.out. */
	snprintf(what, sizeof(what), "the link of '%s'", cmd->output ? cmd->output : "a.out");
	for (size_t i = 0; i < cmd->ninputs; i++) {
		const struct ccshim_input *ci = &cmd->inputs[i];
		struct linkdb_input *li = &in[n++];
		li->value = ci->value;
		switch (ci->kind) {
		case CCSHIM_ARG_SOURCE: {
			char why[1200];
			char *obj = side_compile(s, ci, why, sizeof(why));
			if (!obj) {
				record_failed(status, what, why);
				goto out;
			}
			strvec_push_owned(&owned, obj);
			li->kind = LINKDB_IN_OBJECT;
			li->path = obj;
			break;
		}
		case CCSHIM_ARG_OBJECT: li->kind = LINKDB_IN_OBJECT; break;
		case CCSHIM_ARG_ARCHIVE: {
			char *fat = fatten(s, ci->value);
			li->kind = LINKDB_IN_ARCHIVE;
			if (fat) {
				strvec_push_owned(&owned, fat);
				li->path = fat;
			}
			break;
		}
		case CCSHIM_ARG_SHARED: li->kind = LINKDB_IN_SHARED; break;
		case CCSHIM_ARG_LIBDIR: li->kind = LINKDB_IN_LIBDIR; break;
		case CCSHIM_ARG_LIB: {
			enum linkdb_input_kind k;
			char *path = find_build_lib(cmd, s->cwd, ci->value, &k);
			li->kind = LINKDB_IN_LIB;
			if (path) {
				char *fat = k == LINKDB_IN_ARCHIVE ? fatten(s, path) : NULL;
				strvec_push_owned(&owned, path);
				li->kind = k;
				li->path = path;
				if (fat) {
					strvec_push_owned(&owned, fat);
					li->path = fat;
				}
			}
			break;
		}
		case CCSHIM_ARG_LINKFLAG:
			li->kind = LINKDB_IN_FLAG;
			li->value = cmd->argv[ci->argi];
			if (ci->argn == 2) {
				/* "-Xlinker X", "-z defs", "-T script": keep both words. */
				in[n].kind = LINKDB_IN_FLAG;
				in[n].value = cmd->argv[ci->argi + 1];
				n++;
			}
			break;
		}
	}
	if (owned.failed)
		util_fatal("out of memory");
	struct linkdb_link l = {
		.cwd = s->cwd,
		.argc = cmd->argc,
		.argv = cmd->argv,
		.language = cmd->cxx ? "c++" : "c",
		.output = cmd->output ? cmd->output : "a.out",
		.ninputs = n,
		.inputs = in,
		.status = 0,
	};
	if (open_db(s, status, what) == 0 && linkdb_add_link(s->db, s->build, &l, NULL) < 0)
		record_failed(status, what, linkdb_errmsg(s->db));
out:
	strvec_free(&owned);
	free(in);
}

static void
record_archive(struct shim *s, int *status)
{
	const struct ccshim_cmd *cmd = &s->cmd;
	char what[600];

	for (size_t i = 0; i < cmd->ninputs || (i == 0 && cmd->output); i++) {
		const char *path = cmd->tool == CCSHIM_TOOL_RANLIB ? cmd->inputs[i].value
		                   : cmd->output;
		/* A thin archive is recorded as a regular one of the same members,
		 * under the thin one's path (the path is what later links name). */
		char *fat = fatten(s, path);
		struct linkdb_archive a = {
			.cwd = s->cwd, .argc = cmd->argc, .argv = cmd->argv, .path = path,
			.content = fat,
		};
		snprintf(what, sizeof(what), "the archive '%s'", path);
		if (open_db(s, status, what) == 0 && linkdb_add_archive(s->db, s->build, &a, NULL) < 0)
			record_failed(status, what, linkdb_errmsg(s->db));
		free(fat);
		if (cmd->tool != CCSHIM_TOOL_RANLIB)
			break;
	}
}

static void
usage(void)
{
	fprintf(stderr,
	        "pyweld-cc is pyweld's wrapper compiler.  It runs as cc, gcc, c++, g++,\n"
	        "ld, ar or ranlib through the links in a shim directory, and records\n"
	        "the builds it sees in a link database.  Set one up with:\n"
	        "\n"
	        "    eval \"$(pyweld env --db app.linkdb)\"\n");
}

int
main(int argc, char **argv)
{
	struct shim s = { 0 };
	struct ccshim_conf conf = { 0 };
	struct stat self_st;
	char *self, *dir, err[1024], **rargv, **env, **fallback = NULL;
	const char *envdb, *envbuild;
	int tool, status, depth;
	bool unrecorded = false;

	util_set_progname("pyweld");
	tool = argc > 0 ? ccshim_tool_from_name(argv[0]) : -1;
	if (tool < 0) {
		usage();
		return 2;
	}
	strict = getenv("PYWELD_STRICT") && !strcmp(getenv("PYWELD_STRICT"), "1");
	depth = getenv(ACTIVE_VAR) ? atoi(getenv(ACTIVE_VAR)) : 0;
	if (depth < 1 && getenv(ACTIVE_VAR))
		depth = 1;
	snprintf(active_entry, sizeof(active_entry), "%s=%d", ACTIVE_VAR, depth + 1);
	self = util_self_exe();
	if (!self || stat(self, &self_st) < 0)
		util_fatal("cannot find the shim's own executable:");

	/* The real command: from the shim directory's configuration. */
	dir = find_shim_dir(argv[0], &self_st);
	if (dir && ccshim_conf_read(dir, &conf, err, sizeof(err)) == 0 &&
	    ccshim_conf_command(&conf, argv[0], (enum ccshim_tool)tool)) {
		/* gcc by name runs gcc, cc runs $CC (ccshim_name_is_role). */
		s.tool = ccshim_conf_command(&conf, argv[0], (enum ccshim_tool)tool);
	} else {
		if (!getenv(ACTIVE_VAR))
			util_warn("no shim configuration for '%s'%s%s%s; running the real "
			          "'%s' from PATH unrecorded", argv[0], dir ? " in '" : "",
			          dir ? dir : "", dir ? "'" : "", util_basename(argv[0]));
		s.tool = fallback = fallback_tool((enum ccshim_tool)tool, argv[0], self);
		unrecorded = true;      /* do not record without a configuration */
		free(dir);
		dir = NULL;
	}
	/* A configured tool that is this program again would loop forever. */
	{
		struct stat st;
		if (stat(s.tool[0], &st) == 0 && st.st_dev == self_st.st_dev &&
		    st.st_ino == self_st.st_ino) {
			util_warn("the real %s configured in '%s' is this shim itself "
			          "('%s'); running '%s' from PATH unrecorded",
			          ccshim_tool_key((enum ccshim_tool)tool), dir ? dir : "?",
			          s.tool[0], util_basename(argv[0]));
			ccshim_strv_free(fallback);
			s.tool = fallback = fallback_tool((enum ccshim_tool)tool, argv[0], self);
			unrecorded = true;
		}
	}
	hide_shims_for(s.tool);
	if (depth >= MAX_SHIM_DEPTH) {
		util_error("shim loop: '%s' has gone through pyweld's shims %d times; "
		           "the real %s '%s'%s%s%s leads back to a shim", argv[0], depth,
		           ccshim_tool_key((enum ccshim_tool)tool), s.tool[0],
		           dir ? " configured in '" : "", dir ? dir : "", dir ? "'" : "");
		util_hint("run 'pyweld env' again with $%s naming the real program",
		          tool == CCSHIM_TOOL_CXX ? "CXX" : tool == CCSHIM_TOOL_CC ? "CC" :
		          tool == CCSHIM_TOOL_LD ? "LD" : tool == CCSHIM_TOOL_AR ? "AR" :
		          "RANLIB");
		exit(1);
	}
	rargv = real_argv(s.tool, argc, argv);

	/* Inside another shim's real tool, or nothing to record: just run. */
	if (getenv(ACTIVE_VAR) || unrecorded || (!conf.db && !getenv("PYWELD_DB")))
		pass_through(rargv);
	if (ccshim_classify((enum ccshim_tool)tool, argc, (const char *const *)argv, &s.cmd,
	                    err, sizeof(err)) < 0) {
		int st = 0;
		record_failed(&st, "this command", err);
		pass_through(rargv);
	}
	s.cwd = getcwd(NULL, 0);
	s.conf = &conf;
	if (s.cmd.unreadable_response && s.cwd && !probe_command(&s.cmd, s.cwd)) {
		/* The real tool takes an @file it cannot read as an input file
		 * and fails on it; what the command would have done is unknown:
		 * run it as it is and say why nothing is recorded. */
		char why[600];
		int st = 0;
		snprintf(why, sizeof(why), "the response file '%s' cannot be read",
		         s.cmd.unreadable + 1);
		record_failed(&st, "this command", why);
		pass_through(rargv);
	}
	if (!wants_record(&s.cmd) || !s.cwd || probe_command(&s.cmd, s.cwd))
		pass_through(rargv);

	if (wants_fat_lto(&s.cmd, s.tool)) {
		int n = 0;
		while (rargv[n])
			n++;
		argv_append(&rargv, &n, (char *)(uintptr_t)"-ffat-lto-objects");
		/* The record says what ran. */
		argv_append(&s.cmd.argv, &s.cmd.argc, xstrdup("-ffat-lto-objects"));
	}
	capture_streams(&s);
	env = active_env();
	status = run_real(rargv, env, false, s.streams, s.nstreams);
	free(env);
	if (status < 0)
		util_fatal("cannot run '%s':", rargv[0]);
	if (!exited_zero(status))
		exit_like(status);
	status = 0;             /* from here, the shim's own exit status */

	envdb = getenv("PYWELD_DB");
	envbuild = getenv("PYWELD_BUILD");
	s.dbpath = envdb && *envdb ? envdb : conf.db;
	s.build = conf.build;
	if (envbuild && *envbuild && !util_parse_i64(envbuild, &s.build))
		s.build = conf.build;
	if (s.cmd.action == CCSHIM_ACT_COMPILE) {
		record_compile(&s, &status);
	} else if (s.cmd.action == CCSHIM_ACT_SHARED_LINK) {
		record_link(&s, &status);
	} else if (s.cmd.action == CCSHIM_ACT_ARCHIVE) {
		record_archive(&s, &status);
	}
	if (s.tmpdir)
		util_remove_tree(s.tmpdir);
	linkdb_close(s.db);
	exit(status);
}

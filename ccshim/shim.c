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
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
 * The real command for a role when the configuration cannot say: the
 * tool's usual name on PATH, skipping this program.
 */
static char **
fallback_tool(enum ccshim_tool tool, const char *self)
{
	char err[512];
	char **v = ccshim_resolve_tool(tool, NULL, self, err, sizeof(err));

	if (!v)
		util_fatal("%s", err);
	return v;
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

/* Ends this process the way the real tool ended (same signal, same code). */
static void
exit_like(int status)
{
	if (status > 128 && status < 128 + 65) {
		int sig = status - 128;
		signal(sig, SIG_DFL);
		raise(sig);
	}
	exit(status);
}

/* Runs the real tool and waits; returns its status in shell terms. */
static int
run_real(char **argv, char **envp, bool quiet)
{
	posix_spawn_file_actions_t fa, *fap = NULL;
	pid_t pid;
	int rc, status;

	if (quiet) {
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
		fap = &fa;
	}
	rc = posix_spawn(&pid, argv[0], fap, NULL, argv, envp);
	if (fap)
		posix_spawn_file_actions_destroy(fap);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return util_wait_status(status);
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
	rc = util_run_capture(av.v, env, &listing, NULL);
	strvec_free(&av);
	out = xasprintf("%s/fat-%d.a", s->tmpdir, s->fat_count++);
	for (size_t i = 0; s->conf->tool[CCSHIM_TOOL_AR][i]; i++)
		strvec_push(&av, s->conf->tool[CCSHIM_TOOL_AR][i]);
	strvec_push(&av, "qcs");        /* quick append: members of one name may repeat */
	strvec_push(&av, out);
	for (line = rc == 0 && listing ? strtok_r(listing, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		strvec_push_owned(&av, line[0] == '/' ? xstrdup(line) : util_path_join(dir, line));
	rc = rc == 0 && av.n > 3 ? run_real(av.v, env, true) : -1;
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

/*
 * A shared link that compiles sources itself ("cc -shared x.c -o x.so")
 * leaves no object to record: compile each source once more, to a private
 * temporary, with the same options, only for the record.
 */
static char *
side_compile(struct shim *s, const struct ccshim_input *src)
{
	const struct ccshim_cmd *cmd = &s->cmd;
	struct strvec av = { 0 };
	bool *skip = xcalloc((size_t)cmd->argc + 1, sizeof(bool));
	char *obj;
	int rc;

	if (make_tmpdir(s) < 0) {
		free(skip);
		return NULL;
	}
	for (size_t i = 0; i < cmd->ninputs; i++)
		for (int k = 0; k < cmd->inputs[i].argn; k++)
			skip[cmd->inputs[i].argi + k] = true;
	for (int i = 1; i < cmd->argc; i++) {
		const char *a = cmd->argv[i];
		if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			skip[i] = true;
			if (i + 1 < cmd->argc)
				skip[i + 1] = true;
		} else if (util_starts_with(a, "-o") || util_starts_with(a, "--output=") ||
		           !strcmp(a, "-shared")) {
			skip[i] = true;
		}
	}
	for (size_t i = 0; s->tool[i]; i++)
		strvec_push(&av, s->tool[i]);
	for (int i = 1; i < cmd->argc; i++)
		if (!skip[i])
			strvec_push(&av, cmd->argv[i]);
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
	char **env = active_env();
	rc = run_real(av.v, env, true);
	free(env);
	strvec_free(&av);
	if (rc != 0) {
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
			char *obj = side_compile(s, ci);
			if (!obj) {
				char why[600];
				snprintf(why, sizeof(why), "the source '%s' it compiles could not "
				         "be compiled again for the record", ci->value);
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
	char *self, *dir, err[1024], **rargv, **env;
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
	    conf.tool[tool]) {
		s.tool = conf.tool[tool];
	} else {
		if (!getenv(ACTIVE_VAR))
			util_warn("no shim configuration for '%s'%s%s%s; running the real "
			          "'%s' from PATH unrecorded", argv[0], dir ? " in '" : "",
			          dir ? dir : "", dir ? "'" : "", util_basename(argv[0]));
		s.tool = conf.tool[tool] = fallback_tool((enum ccshim_tool)tool, self);
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
			ccshim_strv_free(conf.tool[tool]);
			s.tool = conf.tool[tool] = fallback_tool((enum ccshim_tool)tool, self);
			unrecorded = true;
		}
	}
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
	if (ccshim_classify((enum ccshim_tool)tool, argc, argv, &s.cmd, err,
	                    sizeof(err)) < 0) {
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
	env = active_env();
	status = run_real(rargv, env, false);
	free(env);
	if (status < 0)
		util_fatal("cannot run '%s':", rargv[0]);
	if (status != 0)
		exit_like(status);

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
	exit_like(status);
}

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
 * This file decides: which real tool (the shim directory's configuration),
 * whether the command is to be recorded, and when.  Running the real tool
 * is shim_run.c's (its exit status, or the signal that killed it, is the
 * shim's; sources read from pipes are read ahead), recording
 * shim_record.c's, and the record's own compile of a source a shared link
 * compiles shim_side.c's.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"
#include "util.h"

/* PYWELD_SHIM_ACTIVE counts the shims a command has passed through.  A
 * chain this long is a loop (two shim directories whose real tools name
 * each other, through different pyweld-cc binaries): stop it instead of
 * exec'ing for ever. */
#define MAX_SHIM_DEPTH 16

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

/*
 * The real command for a shim reached as argv0 in role tool: the one its
 * shim directory's configuration names (*dir gets that directory), or,
 * with no configuration or one that names this program again, the program
 * of argv0's name from PATH, run unrecorded (*unrecorded, *dir NULL).
 */
static char **
real_tool(const char *argv0, enum ccshim_tool tool, const char *self,
          const struct stat *self_st, struct ccshim_conf *conf, char **dir,
          bool *unrecorded)
{
	char err[1024], **real, **fallback = NULL;
	struct stat st;

	*unrecorded = false;
	*dir = find_shim_dir(argv0, self_st);
	if (*dir && ccshim_conf_read(*dir, conf, err, sizeof(err)) == 0 &&
	    ccshim_conf_command(conf, argv0, tool)) {
		/* gcc by name runs gcc, cc runs $CC (ccshim_name_is_role). */
		real = ccshim_conf_command(conf, argv0, tool);
	} else {
		if (!getenv(ACTIVE_VAR))
			util_warn("no shim configuration for '%s'%s%s%s; running the real "
			          "'%s' from PATH unrecorded", argv0, *dir ? " in '" : "",
			          *dir ? *dir : "", *dir ? "'" : "", util_basename(argv0));
		real = fallback = fallback_tool(tool, argv0, self);
		*unrecorded = true;     /* do not record without a configuration */
		free(*dir);
		*dir = NULL;
	}
	/* A configured tool that is this program again would loop forever. */
	if (stat(real[0], &st) == 0 && st.st_dev == self_st->st_dev &&
	    st.st_ino == self_st->st_ino) {
		util_warn("the real %s configured in '%s' is this shim itself "
		          "('%s'); running '%s' from PATH unrecorded",
		          ccshim_tool_key(tool), *dir ? *dir : "?", real[0],
		          util_basename(argv0));
		ccshim_strv_free(fallback);
		real = fallback_tool(tool, argv0, self);
		*unrecorded = true;
	}
	return real;
}

/* Stops a command that has gone through the shims depth times: a loop. */
static void
stop_loop(const char *argv0, enum ccshim_tool tool, int depth, char *const *real,
          const char *dir)
{
	if (depth < MAX_SHIM_DEPTH)
		return;
	util_error("shim loop: '%s' has gone through pyweld's shims %d times; "
	           "the real %s '%s'%s%s%s leads back to a shim", argv0, depth,
	           ccshim_tool_key(tool), real[0],
	           dir ? " configured in '" : "", dir ? dir : "", dir ? "'" : "");
	util_hint("run 'pyweld env' again with $%s naming the real program",
	          ccshim_tool_envvar(tool));
	exit(1);
}

/*
 * Replaces this process with the real tool (rargv) when there is nothing
 * to record: the command is not a compile, shared link or archive, builds a
 * probe, or cannot be read (an error in classification, an @file that
 * cannot be read: said, then run as it is).  Returns when s->cmd is to be
 * recorded.
 */
static void
pass_through_unless_recorded(struct shim *s, char **rargv, bool classified,
                             const char *err)
{
	if (!classified) {
		int st = 0;
		ccshim__record_failed(&st, "this command", err);
		ccshim__pass_through(rargv);
	}
	if (s->cmd.unreadable_response && s->cwd &&
	    !ccshim__probe_command(&s->cmd, s->cwd)) {
		/* The real tool takes an @file it cannot read as an input file
		 * and fails on it; what the command would have done is unknown:
		 * run it as it is and say why nothing is recorded. */
		char why[600];
		int st = 0;
		snprintf(why, sizeof(why), "the response file '%s' cannot be read",
		         s->cmd.unreadable + 1);
		ccshim__record_failed(&st, "this command", why);
		ccshim__pass_through(rargv);
	}
	if (!ccshim__wants_record(&s->cmd) || !s->cwd ||
	    ccshim__probe_command(&s->cmd, s->cwd))
		ccshim__pass_through(rargv);
}

/* Records what s->cmd did, its real tool having succeeded; the exit status. */
static int
record(struct shim *s, const struct ccshim_conf *conf)
{
	const char *envdb = getenv("PYWELD_DB"), *envbuild = getenv("PYWELD_BUILD");
	int status = 0;

	s->dbpath = envdb && *envdb ? envdb : conf->db;
	s->build = conf->build;
	if (envbuild && *envbuild && !util_parse_i64(envbuild, &s->build))
		s->build = conf->build;
	if (s->cmd.action == CCSHIM_ACT_COMPILE) {
		ccshim__record_compile(s, &status);
	} else if (s->cmd.action == CCSHIM_ACT_SHARED_LINK) {
		ccshim__record_link(s, &status);
	} else if (s->cmd.action == CCSHIM_ACT_ARCHIVE) {
		ccshim__record_archive(s, &status);
	}
	if (s->tmpdir)
		util_remove_tree(s->tmpdir);
	linkdb_close(s->db);
	return status;
}

int
main(int argc, char **argv)
{
	struct shim s = { 0 };
	struct ccshim_conf conf = { 0 };
	struct stat self_st;
	char *self, *dir, err[1024], **rargv, **env;
	int tool, status, depth;
	bool unrecorded, classified;

	util_set_progname("pyweld");
	tool = argc > 0 ? ccshim_tool_from_name(argv[0]) : -1;
	if (tool < 0) {
		usage();
		return 2;
	}
	ccshim__strict = getenv("PYWELD_STRICT") && !strcmp(getenv("PYWELD_STRICT"), "1");
	depth = getenv(ACTIVE_VAR) ? atoi(getenv(ACTIVE_VAR)) : 0;
	if (depth < 1 && getenv(ACTIVE_VAR))
		depth = 1;
	ccshim__set_depth(depth);
	self = util_self_exe();
	if (!self || stat(self, &self_st) < 0)
		util_fatal("cannot find the shim's own executable:");

	s.tool = real_tool(argv[0], (enum ccshim_tool)tool, self, &self_st, &conf, &dir,
	                   &unrecorded);
	ccshim__hide_shims_for(s.tool);
	stop_loop(argv[0], (enum ccshim_tool)tool, depth, s.tool, dir);
	rargv = ccshim__real_argv(s.tool, argc, argv);

	/* Inside another shim's real tool, or nothing to record: just run. */
	if (getenv(ACTIVE_VAR) || unrecorded || (!conf.db && !getenv("PYWELD_DB")))
		ccshim__pass_through(rargv);
	classified = ccshim_classify((enum ccshim_tool)tool, argc, (const char *const *)argv,
	                             &s.cmd, err, sizeof(err)) == 0;
	s.cwd = classified ? getcwd(NULL, 0) : NULL;
	s.conf = &conf;
	pass_through_unless_recorded(&s, rargv, classified, err);

	if (wants_fat_lto(&s.cmd, s.tool)) {
		int n = 0;
		while (rargv[n])
			n++;
		argv_append(&rargv, &n, xstrdup("-ffat-lto-objects"));
		/* The record says what ran. */
		argv_append(&s.cmd.argv, &s.cmd.argc, xstrdup("-ffat-lto-objects"));
	}
	ccshim__capture_streams(&s);
	env = ccshim__active_env();
	status = ccshim__run_real(rargv, env, false, s.streams, s.nstreams);
	free(env);
	if (status < 0)
		util_fatal("cannot run '%s':", rargv[0]);
	if (!ccshim__exited_zero(status))
		ccshim__exit_like(status);
	exit(record(&s, &conf));
}

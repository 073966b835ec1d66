/*
 * build.h: what the files of `pyweld build` share.  cmd_build.c runs the
 * build (options, the distribution, the summary), build_install.c prepares
 * the work directory and installs the packages, build_weld.c hands the
 * rest to the weld, build_progress.c says how it goes; nothing outside cli/
 * includes this.
 */
#ifndef PYWELD_CLI_BUILD_H
#define PYWELD_CLI_BUILD_H

#include <stdbool.h>

#include "ccshim.h"
#include "cli.h"
#include "config.h"

/* One run of `pyweld build`: what was asked, where it works, how far it is. */
struct cli_build {
	struct cli_build_options o;     /* what was asked: command line, pyweld.ini */
	struct strvec own_files;        /* absolute: the script, main.c, the config */
	struct util_cmdlog cmd;         /* runs commands; the error lines of the last one */

	/* state */
	char *out_abs;
	char *dist, *prefix, *python, *distdb_path;
	char *version;                  /* the distribution's CPython: "3.13" */
	json_t *distjson;
	char *work, *appdb_path, *shimdir, *venv, *site, *log;
	char *cache_root;               /* the cache (--cache or the default) */
	bool reuse;                     /* --work-dir holds this install already */
	char install_key[LINKDB_HASH_HEX + 1];
	int logfd;
	struct linkdb *appdb, *distdb;
	struct ccshim_env shims;        /* the package builds' wrappers */
	struct strvec new_dists;
	int step, steps;
	double t0, step_t0;
};

/* build_progress.c: progress and failure */

/* A step begins: "pyweld: [n/N] what" on stderr after the time of the one
 * before, and a line in the log. */
void cli_build_step(struct cli_build *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* A remark on the running step ("60 from the cache"), before its time. */
void cli_build_note(struct cli_build *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* The time of the last step, after it. */
void cli_build_end(struct cli_build *b);
/*
 * Runs a command with its output in the log (and on stderr with -v); its
 * error lines are in b->cmd afterwards.  The exit status, or -1 when it
 * could not be started (said on stderr).
 */
int cli_build_run(struct cli_build *b, const char *const argv[], const char *const envp[],
                  const char *cwd);
/* Fails the build: the message, where the log is, the work directory kept;
 * exits 1. */
void cli_build_die(struct cli_build *b, const char *fmt, ...) UTIL_PRINTF(2, 3) UTIL_NORETURN;

/* build_weld.c: the weld */

/* Welds what b prepared (itg_weld) into res; a failure ends the build. */
struct itg_result;
void cli_build_weld(struct cli_build *b, struct itg_result *res);

/* build_size.c: --size-report */

/* Prints the weld's size report: text on stdout after the summary, or with
 * json a JSON document alone on stdout.  Nothing when the weld made none. */
struct itg_size_report;
void cli_build_size_report(const struct cli_build *b, const struct itg_size_report *s,
                           bool json);

/* build_install.c: the work directory and the packages */

/*
 * --work-dir: a new or empty directory, or one of pyweld's own (anything
 * else is refused, never emptied); the packages installed there before are
 * kept when nothing they depend on changed (b->reuse), else it is emptied.
 * Exits on failure.
 */
void cli_build_prepare_work_dir(struct cli_build *b);
/*
 * The install steps: a venv of the distribution's interpreter and pip
 * installing the packages through the wrappers (b->appdb, b->site,
 * b->new_dists set), or the packages of an earlier build reused.  Nothing
 * to do without packages.  Exits on failure.
 */
void cli_build_install(struct cli_build *b);
/* The build tools pip takes as wheels (its --only-binary). */
extern const char cli_build_tools[];
/* The variables a compiler, linker or pkg-config reads (NULL-terminated). */
extern const char *const cli_build_vars[];
/*
 * The setting of --env entry e in the build of project name, or NULL when
 * the entry is not for that build: "NAME=VALUE" is for every build,
 * "PKG:NAME=VALUE" for PKG's own alone (names compared as PEP 503 does;
 * name NULL, the install of everything, takes only the former).
 */
const char *cli_build_env_for(const char *e, const char *name);
/* The environment of the build of project name (NULL: of the install),
 * the shims and its --env settings, appended to env. */
void cli_build_install_env(struct cli_build *b, const char *name, struct strvec *env);
/* pip's options of every package build, only_binary its --only-binary. */
void cli_build_pip_options(struct strvec *av, const char *only_binary);
/* Fails the build after pip exited rc: the failed compile or pip's error. */
void cli_build_pip_failed(struct cli_build *b, int rc) UTIL_NORETURN;

/* build_reuse.c: the build cache (docs/buildcache.md) */

/*
 * The lines of a requirements file, white space trimmed, appended to lines,
 * and whether they are requirements alone (no options, no continued lines,
 * no relative paths); false too when it cannot be read.
 */
bool cli_build_requirement_lines(const char *file, struct strvec *lines);

/* What the install hands pip after the build cache's work. */
struct cli_reuse {
	struct strvec requirements;     /* absolute; copies without their sdists' lines */
	struct strvec specs;            /* --pip-install's and those sdists, as wheels */
	struct strbuf only_binary;      /* the build tools and the reused names */
};
/*
 * Each local sdist (an absolute path in --pip-install or a plain
 * requirements file): its wheel and records from the build cache, or
 * built alone and kept there; r gets the install's requirements with the
 * wheels in their place.  Without the cache (--no-build-cache) r gets
 * them as given.  Exits on a failed build.
 */
void cli_build_reuse(struct cli_build *b, struct cli_reuse *r);
/*
 * After the install: in <work>/pip-report.json, each wheel that stood for a
 * local sdist gets the sdist's download_info back (its file:// URL and
 * SHA-256), as pip would have reported it had it built the sdist there.
 */
void cli_build_reuse_report(struct cli_build *b);

#endif

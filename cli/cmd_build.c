/*
 * cmd_build.c: `pyweld build`, from packages to one executable.
 *
 *   1. distribution: the cached CPython built by `pyweld python build`
 *      (built now if there is none);
 *   2. install: a venv of the distribution's interpreter; pip installs the
 *      application's packages from source with the wrapper compilers set,
 *      so that every extension's objects and link line are recorded;
 *      build tools come as wheels and are never welded in;
 *   3. the weld, inittab-gen's (itg_weld): collect, isolate, generate,
 *      pack, link.  This file hands it the plan and prints what it reports
 *      (the steps, notes, warnings and errors): the weld never prints.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccshim.h"
#include "config.h"
#include "itg.h"
#include "pydist.h"

static const char build_tools[] =
	"setuptools,wheel,Cython,meson,meson-python,ninja,cmake,scikit-build-core,"
	"scikit-build,setuptools-scm,setuptools_scm,flit-core,flit_core,hatchling,"
	"hatch-vcs,hatch-fancy-pypi-readme,poetry-core,pdm-backend,pybind11,cppy,"
	"packaging,pyproject-metadata,pathspec,pluggy,trove-classifiers,tomli,"
	"editables,calver,distro,extension-helpers,jinja2,markupsafe-buildtime-none,"
	"pkgconfig,expandvars,typing-extensions,pycparser,setuptools-rust,"
	"semantic-version,versioneer,incremental,maturin,puccinialin";

struct build {
	struct cli_build_options o;     /* what was asked: command line, pyweld.ini */
	struct strvec own_files;        /* absolute: the script, main.c, the config */
	struct util_cmdlog cmd;         /* runs commands; the error lines of the last one */

	/* state */
	char *out_abs;
	char *dist, *prefix, *python, *distdb_path;
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

/* --- messages and running things ------------------------------------------- */

static void
begin_step(struct build *b, const char *fmt, ...)
{
	va_list ap;
	double now = util_now();

	if (b->step > 0 && !b->o.verbose)
		fprintf(stderr, " (%.1f s)\n", now - b->step_t0);
	else if (b->step > 0)
		fprintf(stderr, "pyweld:   (%.1f s)\n", now - b->step_t0);
	b->step++;
	b->step_t0 = now;
	fprintf(stderr, "pyweld: [%d/%d] ", b->step, b->steps);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (b->o.verbose)
		fputc('\n', stderr);
	if (b->logfd >= 0) {
		dprintf(b->logfd, "\n=== pyweld: ");
		va_start(ap, fmt);
		vdprintf(b->logfd, fmt, ap);
		va_end(ap);
		dprintf(b->logfd, "\n");
	}
}

/* A remark on the running step ("60 from the cache"), before its time. */
static void
step_note(struct build *b, const char *fmt, ...)
{
	va_list ap;

	fputs(b->o.verbose ? "pyweld:   " : ", ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (b->o.verbose)
		fputc('\n', stderr);
}

static void
end_steps(struct build *b)
{
	if (!b->o.verbose)
		fprintf(stderr, " (%.1f s)\n", util_now() - b->step_t0);
}


/* Runs a command with its output in the log (and on stderr with -v); its
 * error lines are in b->cmd afterwards. */
static int
run(struct build *b, const char *const argv[], const char *const envp[], const char *cwd)
{
	int rc;

	b->cmd.logfd = b->logfd;
	b->cmd.echo = b->o.verbose;
	rc = util_cmdlog_run(&b->cmd, argv, envp, cwd);
	if (rc < 0)
		util_error("cannot run '%s':", argv[0]);
	return rc;
}

/* Fails the build: the message, the log, and no APP. */
static void __attribute__((noreturn, format(printf, 2, 3)))
die(struct build *b, const char *fmt, ...)
{
	va_list ap;

	if (b->step > 0)
		fputc('\n', stderr);
	va_start(ap, fmt);
	util_vmessage("error", fmt, ap);
	va_end(ap);
	if (b->log)
		util_hint("the full log is '%s'", b->log);
	if (b->work && !b->o.keep_work && !b->o.work_dir)
		fprintf(stderr, "hint: the work directory '%s' is kept for inspection\n", b->work);
	exit(1);
}

/* --- options ----------------------------------------------------------------- */

static void
parse_options(struct build *b, int argc, char **argv)
{
	int entries = cli_build_args(&b->o, argc, argv);

	/* A project file: given, or pyweld.ini here when the command line names
	 * neither an output nor anything to put in. */
	if (!b->o.config_file && !b->o.output && !entries && access(CLI_PROJECT_NAME, F_OK) == 0)
		b->o.config_file = xstrdup(CLI_PROJECT_NAME);
	if (b->o.config_file) {
		struct cli_build_options ini;
		char err[1024];
		if (cli_project_read(b->o.config_file, &ini, err, sizeof(err)) < 0)
			util_fatal("%s", err);
		cli_project_merge(&b->o, &ini, entries > 0);
		if (!entries)
			entries = (b->o.module || b->o.script) ? 1 : 0;
		cli_build_options_free(&ini);
	}
	if (!b->o.output)
		util_usage_error("no output given: pass -o APP (or run in a directory with a "
		                 "pyweld.ini; see 'pyweld init --help')");
	if (entries > 1)
		util_usage_error("give at most one of --python-code, -m and --script");
	/* Without an entry point APP is `python` (Py_RunMain finalises), and a
	 * library's host program calls pyweld_finish itself. */
	if (b->o.fast_exit && (entries == 0 || b->o.library))
		util_usage_error("--fast-exit is for an application's entry point: give "
		                 "--python-code, -m or --script%s", b->o.library ? ", and no --library"
		                 : "");
	/* Without an entry point APP is `python`, which obeys its command line. */
	if (b->o.no_mp_children && entries == 0)
		util_usage_error("--no-multiprocessing-children is for an application's entry "
		                 "point: give --python-code, -m or --script");
	if (b->o.pie && b->o.library)
		util_usage_error("--pie is for an executable: with --library, the program that "
		                 "links the archive decides");
	if (b->o.pie && b->o.static_link)
		util_usage_error("--pie and --static: a static executable here is a fixed-address "
		                 "one; give one of them");
	if (b->o.module) {
		for (const char *p = b->o.module; *p; p++)
			if (!(*p == '.' || *p == '_' || (*p >= 'a' && *p <= 'z') ||
			      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
				util_usage_error("-m wants a module name, not '%s'", b->o.module);
	}
}

/* --- the distribution ---------------------------------------------------------- */

static void
on_dist_phase(void *ctx, enum pydist_phase p, const char *detail)
{
	fprintf(stderr, "pyweld:   python build [%d/%d] %s\n", (int)p + 1, (int)PYDIST__PHASES,
	        pydist_phase_name(p));
	(void)ctx;
	(void)detail;
}

static void
find_distribution(struct build *b)
{
	char err[2048];

	b->dist = pydist_find(b->o.dist_dir, b->o.cache_dir, err, sizeof(err));
	if (!b->dist && b->o.dist_dir)
		die(b, "%s", err);
	if (!b->dist) {
		struct pydist_options o = { .cache = b->o.cache_dir };
		struct pydist_progress p = { .phase = on_dist_phase };
		struct pydist_result res;
		char *exe = cli_shim_exe();

		fprintf(stderr, "\npyweld: no CPython distribution yet: building one (once; "
		        "a few minutes)\n");
		o.shim_exe = exe;
		if (pydist_build(&o, &p, &res, err, sizeof(err)) < 0) {
			if (res.log)
				util_hint("the distribution's log is '%s'", res.log);
			die(b, "%s", err);
		}
		b->dist = xstrdup(res.dir);
		pydist_result_free(&res);
		free(exe);
	}
	b->prefix = util_path_join(b->dist, "prefix");
	b->python = util_path_join(b->prefix, "bin/python3.11");
	b->distdb_path = util_path_join(b->dist, "dist.linkdb");
	char *json = util_path_join(b->dist, "distribution.json");
	json_error_t jerr;
	b->distjson = json_load_file(json, 0, &jerr);
	if (!b->distjson)
		die(b, "cannot read the distribution '%s': %s", json, jerr.text);
	free(json);
	if (linkdb_open(&b->distdb, b->distdb_path, LINKDB_READONLY) < 0)
		die(b, "%s", linkdb_errmsg(b->distdb));
}

/* --- install -------------------------------------------------------------------- */

/* Names of *.dist-info directories in site-packages. */
static void
list_dists(const char *site, struct strvec *out)
{
	DIR *d = opendir(site);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (util_ends_with(e->d_name, ".dist-info"))
			strvec_push(out, e->d_name);
	if (d)
		closedir(d);
}

/* The environment of the package builds: the shims, as `pyweld env` sets
 * them, and LDSHARED so that setuptools links through them too. */
static void
install_env(struct build *b, struct strvec *env)
{
	static const char *const drop[] = { "PIP_", "VIRTUAL_ENV=", NULL };
	char *bin = util_path_join(b->venv, "bin");

	ccshim_env_build(&b->shims, CCSHIM_ENV_TOOLS | CCSHIM_ENV_LDSHARED | CCSHIM_ENV_SKBUILD,
	                 bin, drop, env);
	strvec_pushf(env, "VIRTUAL_ENV=%s", b->venv);
	strvec_push(env, "PIP_DISABLE_PIP_VERSION_CHECK=1");
	strvec_push(env, "PIP_NO_INPUT=1");
	for (size_t i = 0; i < b->o.env.n; i++)
		strvec_push(env, b->o.env.v[i]);
	if (env->failed || !bin)
		util_fatal("out of memory");
	free(bin);
}

/* The link database of the package builds (b->appdb) and their shims. */
static void
setup_shims(struct build *b)
{
	char err[1024], *exe = cli_shim_exe();

	b->appdb_path = util_path_join(b->work, "app.linkdb");
	b->shimdir = util_path_join(b->work, "shims");
	b->shims = (struct ccshim_env){ .db_path = b->appdb_path, .shimdir = b->shimdir,
	                                .shim_exe = exe, .tool = "build", .cwd = b->work,
	                                .note = b->o.output };
	if (ccshim_env_setup(&b->shims, err, sizeof(err)) < 0)
		die(b, "%s", err);
	b->appdb = b->shims.db;         /* the build's from now on */
	b->shims.db = NULL;
	b->shims.shim_exe = NULL;
	free(exe);
}

/*
 * What of a local project is not the project: build/ at its top (left
 * from an earlier build), pyweld's work directory and output when they
 * lie inside it (pyweld init's layout), VCS and bytecode directories.
 */
static bool
project_skip(const struct build *b, const char *path, const char *name, bool top)
{
	return !strcmp(name, "__pycache__") || !strcmp(name, ".git") ||
	       (top && !strcmp(name, "build")) || !strcmp(path, b->work) ||
	       !strcmp(path, b->out_abs);
}

/*
 * What of a local project the install does not depend on: besides the
 * above, the files pyweld itself reads at every build (the script, main.c,
 * the project file), so that editing them in pyweld init's layout keeps
 * the install.  A setup.py that installs the script as a module as well
 * gets the old copy of it until something else changes (docs/weld.md).
 */
static bool
key_skip(const struct build *b, const char *path, const char *name, bool top)
{
	for (size_t i = 0; i < b->own_files.n; i++)
		if (!strcmp(path, b->own_files.v[i]))
			return true;
	return project_skip(b, path, name, top);
}

/*
 * A local project is built from a copy: pip builds it in place, which would
 * write build/ and *.egg-info into the user's tree, and a build/ left from
 * an earlier build makes setuptools skip the compile, leaving nothing for
 * the wrappers to record.  The work directory and the output stay out when
 * they lie inside the project (pyweld init's layout).
 */
static char *
copy_project(struct build *b, const char *dir, size_t n)
{
	char *abs = util_abspath(dir);
	char *to = xasprintf("%s/project-%zu", b->work, n);
	struct strvec av = { 0 };
	DIR *d;
	struct dirent *e;
	int rc;

	if (util_mkdir_p(to, 0755) < 0)
		die(b, "cannot create '%s':", to);
	if (!(d = opendir(abs)))
		die(b, "cannot read the project '%s':", dir);
	strvec_push(&av, "cp");
	strvec_push(&av, "-a");
	while ((e = readdir(d))) {
		char *path = util_path_join(abs, e->d_name);
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    (!strcmp(e->d_name, ".git") || !project_skip(b, path, e->d_name, true)))
			strvec_push_owned(&av, path);
		else
			free(path);
	}
	closedir(d);
	strvec_push(&av, to);
	if (av.failed)
		util_fatal("out of memory");
	rc = av.n > 3 ? run(b, strvec_cargv(&av), NULL, NULL) : 0;
	if (rc != 0)
		die(b, "cannot copy the project '%s' (cp exited %d)", dir, rc);
	strvec_free(&av);
	free(abs);
	return to;
}

/* --- the work directory ------------------------------------------------------------- */

#define WORK_MARKER ".pyweld-work"
#define INSTALL_STAMP "install.stamp"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file under dir by path, size and mtime (a local project's state). */
static void
add_tree(const struct build *b, struct itg_key *k, const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct strvec names = { 0 };

	if (!d) {
		itg_key_add(k, "unreadable", rel);
		return;
	}
	while ((e = readdir(d))) {
		char *path = util_path_join(dir, e->d_name);
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    !key_skip(b, path, e->d_name, !*rel))
			strvec_push(&names, e->d_name);
		free(path);
	}
	closedir(d);
	qsort(names.v, names.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < names.n; i++) {
		char *path = util_path_join(dir, names.v[i]);
		char *r = *rel ? xasprintf("%s/%s", rel, names.v[i]) : xstrdup(names.v[i]);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			add_tree(b, k, path, r);
		else
			itg_key_add_stat(k, r, path);
		free(r);
		free(path);
	}
	strvec_free(&names);
}

/*
 * What the installed packages depend on: the interpreter and distribution,
 * what was asked for (requirements files and local projects by content),
 * the build environment and the variables a compiler or pkg-config reads.
 */
static bool
compute_install_key(struct build *b, char hex[LINKDB_HASH_HEX + 1])
{
	static const char *const vars[] = {
		"PATH", "CFLAGS", "CPPFLAGS", "CXXFLAGS", "LDFLAGS", "LIBS", "CPATH",
		"C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "LIBRARY_PATH", "PKG_CONFIG_PATH",
		"PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR", "MAKEFLAGS", NULL,
	};
	struct itg_key k;
	bool ok;

	itg_key_init(&k, "install");
	itg_key_add_stat(&k, "python", b->python);
	itg_key_add(&k, "distribution", b->dist);
	itg_key_add(&k, "build tools", build_tools);
	for (size_t i = 0; i < b->o.pip_specs.n; i++)
		itg_key_add(&k, "pip", b->o.pip_specs.v[i]);
	for (size_t i = 0; i < b->o.requirements.n; i++) {
		char *p = util_abspath(b->o.requirements.v[i]);
		itg_key_add(&k, "requirements", p);
		itg_key_add_file(&k, "its content", p);
		free(p);
	}
	for (size_t i = 0; i < b->o.setup_dirs.n; i++) {
		char *p = util_abspath(b->o.setup_dirs.v[i]);
		itg_key_add(&k, "project", p);
		add_tree(b, &k, p, "");
		free(p);
	}
	for (size_t i = 0; i < b->o.env.n; i++)
		itg_key_add(&k, "--env", b->o.env.v[i]);
	for (size_t i = 0; vars[i]; i++) {
		const char *v = getenv(vars[i]);
		itg_key_add(&k, vars[i], v ? v : "(unset)");
	}
	ok = itg_key_hex(&k, hex);
	itg_key_free(&k);
	return ok;
}

/*
 * --work-dir: a new or empty directory, or one of pyweld's own (it has
 * WORK_MARKER); anything else is the user's and is refused, never emptied.
 * The packages an earlier build installed there are reused when nothing
 * they depend on changed (compute_install_key); otherwise the directory is
 * emptied.
 */
static void
prepare_work_dir(struct build *b)
{
	char *marker, *stamp, *text = NULL, *nl;
	DIR *d;
	struct dirent *e;
	bool empty = true;

	b->work = util_abspath(b->o.work_dir);
	marker = util_path_join(b->work, WORK_MARKER);
	stamp = util_path_join(b->work, INSTALL_STAMP);
	if (!util_is_dir(b->work) && access(b->work, F_OK) == 0)
		util_fatal("cannot use the work directory '%s': it is not a directory", b->o.work_dir);
	if ((d = opendir(b->work))) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				empty = false;
		closedir(d);
		if (!empty && !util_is_file(marker)) {
			util_error("cannot use the work directory '%s': it holds files and is not a "
			           "pyweld work directory (no %s in it)", b->o.work_dir, WORK_MARKER);
			util_hint("give a new or empty directory; pyweld empties only the work "
			          "directories it made");
			exit(1);
		}
	}
	if (b->o.pip_specs.n + b->o.requirements.n + b->o.setup_dirs.n &&
	    compute_install_key(b, b->install_key) &&
	    util_read_file(stamp, &text, NULL) == 0 && (nl = strchr(text, '\n')) &&
	    (size_t)(nl - text) == LINKDB_HASH_HEX && !strncmp(text, b->install_key, LINKDB_HASH_HEX)) {
		char *save = NULL;
		for (char *line = strtok_r(nl + 1, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			strvec_push(&b->new_dists, line);
		b->reuse = true;
	}
	free(text);
	if (b->reuse) {
		/* what every build makes again */
		static const char *const derived[] = { "objs", "rt", "tools", NULL };
		for (size_t i = 0; derived[i]; i++) {
			char *p = util_path_join(b->work, derived[i]);
			util_remove_tree(p);
			free(p);
		}
	} else {
		util_remove_tree(b->work);
	}
	if (util_mkdir_p(b->work, 0755) < 0)
		util_fatal("cannot create the work directory '%s':", b->work);
	static const char mark[] = "pyweld build work directory: emptied or reused by pyweld build\n";
	if (util_write_atomic(marker, mark, sizeof(mark) - 1, 0644, false) < 0)
		util_fatal("cannot write '%s':", marker);
	free(marker);
	free(stamp);
}

/* After a successful install into --work-dir: what a later build may reuse. */
static void
write_install_stamp(struct build *b)
{
	struct strbuf sb = { 0 };
	char *stamp = util_path_join(b->work, INSTALL_STAMP);

	if (!b->install_key[0]) {
		free(stamp);
		return;         /* an input could not be read: nothing to reuse */
	}
	strbuf_addf(&sb, "%s\n", b->install_key);
	for (size_t i = 0; i < b->new_dists.n; i++)
		strbuf_addf(&sb, "%s\n", b->new_dists.v[i]);
	if (sb.failed || util_write_atomic(stamp, sb.s, sb.len, 0644, false) < 0)
		util_warn("cannot write '%s' (the next build will install again):", stamp);
	strbuf_free(&sb);
	free(stamp);
}

/* The packages of an earlier build in --work-dir, with their link database. */
static void
reuse_install(struct build *b)
{
	begin_step(b, "install: %zu distribution%s already in '%s' (nothing they depend on "
	           "changed)", b->new_dists.n, b->new_dists.n == 1 ? "" : "s", b->o.work_dir);
	b->appdb_path = util_path_join(b->work, "app.linkdb");
	b->shimdir = util_path_join(b->work, "shims");
	for (size_t i = 0; i < b->new_dists.n; i++) {
		char *p = util_path_join(b->site, b->new_dists.v[i]);
		if (!util_is_dir(p))
			die(b, "the work directory '%s' lost '%s'; remove the directory and build "
			    "again", b->o.work_dir, p);
		free(p);
	}
	if (linkdb_open(&b->appdb, b->appdb_path, 0) < 0)
		die(b, "the work directory's link database: %s", linkdb_errmsg(b->appdb));
}

static void
install(struct build *b)
{
	struct strvec before = { 0 }, after = { 0 }, av = { 0 }, env = { 0 };
	int rc;

	if (b->o.pip_specs.n + b->o.requirements.n + b->o.setup_dirs.n == 0)
		return;         /* the standard library alone: no build environment */
	b->venv = util_path_join(b->work, "venv");
	b->site = util_path_join(b->venv, "lib/python3.11/site-packages");
	if (b->reuse) {
		reuse_install(b);
		return;
	}
	begin_step(b, "install: a build environment from %s", b->python);
	rc = run(b, (const char *const[]){ b->python, "-I", "-m", "venv", b->venv, NULL }, NULL,
	         NULL);
	if (rc != 0)
		die(b, "cannot create a build environment with '%s -m venv' (status %d)",
		    b->python, rc);
	list_dists(b->site, &before);
	setup_shims(b);
	begin_step(b, "install: pip builds");
	for (size_t i = 0; i < b->o.pip_specs.n; i++)
		fprintf(stderr, " %s", b->o.pip_specs.v[i]);
	for (size_t i = 0; i < b->o.setup_dirs.n; i++)
		fprintf(stderr, " %s", b->o.setup_dirs.v[i]);
	fprintf(stderr, " from source");
	if (b->o.verbose)
		fputc('\n', stderr);

	char *pip = util_path_join(b->venv, "bin/python");
	strvec_push(&av, pip);
	strvec_push(&av, "-m");
	strvec_push(&av, "pip");
	strvec_push(&av, "install");
	strvec_push(&av, "--no-cache-dir");
	strvec_push(&av, "--no-binary");
	strvec_push(&av, ":all:");
	strvec_push(&av, "--only-binary");
	strvec_push(&av, build_tools);
	strvec_push(&av, "--use-pep517");
	strvec_push(&av, "--no-warn-script-location");
	strvec_push(&av, "-v");
	for (size_t i = 0; i < b->o.requirements.n; i++) {
		strvec_push(&av, "-r");
		strvec_push_owned(&av, util_abspath(b->o.requirements.v[i]));
	}
	for (size_t i = 0; i < b->o.setup_dirs.n; i++)
		strvec_push_owned(&av, copy_project(b, b->o.setup_dirs.v[i], i));
	for (size_t i = 0; i < b->o.pip_specs.n; i++)
		strvec_push(&av, b->o.pip_specs.v[i]);
	free(pip);
	install_env(b, &env);
	rc = run(b, strvec_cargv(&av), strvec_cargv(&env), b->work);
	strvec_free(&env);
	ccshim_env_free(&b->shims);
	strvec_free(&av);
	if (rc != 0) {
		if (b->cmd.first_error[0])
			die(b, "pip could not install the packages: a compile failed: %s%s%s",
			    b->cmd.first_error, b->cmd.pip_error[0] ? "\npip says: " : "",
			    b->cmd.pip_error);
		if (b->cmd.pip_error[0])
			die(b, "pip could not install the packages: %s", b->cmd.pip_error);
		die(b, "pip could not install the packages (status %d): its messages are in "
		    "the log", rc);
	}
	list_dists(b->site, &after);
	for (size_t i = 0; i < after.n; i++)
		if (!strvec_has(&before, after.v[i]))
			strvec_push(&b->new_dists, after.v[i]);
	strvec_free(&before);
	strvec_free(&after);
	if (b->o.work_dir)
		write_install_stamp(b);
}

/* --- the weld (inittab-gen) ------------------------------------------------------ */

static void
on_step(void *ctx, const char *what)
{
	begin_step(ctx, "%s", what);
}

static void
on_note(void *ctx, const char *what)
{
	step_note(ctx, "%s", what);
}

static void
on_warning(void *ctx, const char *what)
{
	(void)ctx;
	util_warn("%s", what);
}

static void
on_error(void *ctx, const char *what)
{
	(void)ctx;
	util_error("%s", what);
}

static void
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_vmessage("note", fmt, ap);
	va_end(ap);
}

/* The pre-flight scan's findings: the first 20 of each kind, then how many
 * more; notes for what the binary's view of its packed tree serves. */
static void
on_preflight(void *ctx, const char *const *found, size_t n, bool served)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++) {
		if (i == 0)
			fputc('\n', stderr);
		if (i < 20 && served)
			note("%s", found[i]);
		else if (i < 20)
			util_warn("%s", found[i]);
	}
	if (n > 20 && served)
		note("%zu more places read files beside __file__ (see the log)", n - 20);
	else if (n > 20)
		util_warn("%zu more places that may not work from memory (see the log)", n - 20);
}

/* The distribution's extension modules, as distribution.json lists them. */
static struct itg_dist_module *
dist_modules(struct build *b, size_t *n)
{
	json_t *list = json_object_get(b->distjson, "modules"), *m;
	struct itg_dist_module *mods = xcalloc(json_array_size(list) + 1, sizeof(*mods));
	size_t i;

	json_array_foreach(list, i, m) {
		mods[i].name = json_string_value(json_object_get(m, "name"));
		mods[i].file = json_string_value(json_object_get(m, "file"));
		mods[i].link = json_integer_value(json_object_get(m, "link"));
	}
	*n = json_array_size(list);
	return mods;
}

/* The weld's plan: what was asked, and what the build prepared. */
static void
make_plan(struct build *b, struct itg_plan *p)
{
	*p = (struct itg_plan){
		.prefix = b->prefix, .python = b->python,
		.python_version = json_string_value(json_object_get(b->distjson, "python_version")),
		.ext_suffix = json_string_value(json_object_get(b->distjson, "ext_suffix")),
		.distdb = b->distdb,
		.site = b->site, .dists = strvec_cargv(&b->new_dists), .ndists = b->new_dists.n,
		.appdb = b->appdb,
		.with = strvec_cargv(&b->o.with), .nwith = b->o.with.n,
		.without = strvec_cargv(&b->o.without), .nwithout = b->o.without.n,
		.stdlib_tests = b->o.stdlib_tests,
		.exclude_modules = strvec_cargv(&b->o.exclude_modules),
		.nexclude_modules = b->o.exclude_modules.n,
		.exclude_resources = strvec_cargv(&b->o.exclude_resources),
		.nexclude_resources = b->o.exclude_resources.n,
		.source = !b->o.no_source, .deep_freeze = !b->o.no_deep_freeze,
		.file_view = !b->o.no_file_view,
		.code = b->o.code, .script = b->o.script, .module = b->o.module,
		.main_c = b->o.main_c, .fast_exit = b->o.fast_exit,
		.no_mp_children = b->o.no_mp_children,
		.output = b->o.output, .out_abs = b->out_abs, .library = b->o.library,
		.static_link = b->o.static_link, .pie = b->o.pie, .debug = b->o.debug,
		.work = b->work, .cache = b->cache_root, .logfd = b->logfd,
		.verbose = b->o.verbose,
		.report = { .ctx = b, .step = on_step, .note = on_note, .warning = on_warning,
		            .error = on_error, .preflight = on_preflight },
	};
}

static void
weld(struct build *b, struct itg_result *res)
{
	struct itg_plan plan;
	struct itg_dist_module *mods;
	char err[2048];

	make_plan(b, &plan);
	plan.dist_modules = mods = dist_modules(b, &plan.ndist_modules);
	if (itg_weld(&plan, res, err, sizeof(err)) < 0)
		die(b, "%s", err);
	free(mods);
}

/* What the weld made, on stdout: the extensions, counts, size, what it needs. */
static void
summary(struct build *b, const struct itg_result *res)
{
	struct cli_table t;
	const char *headers[] = { "module", "package", "version", "objects", "libraries" };
	struct stat st;
	size_t nstd = 0;

	cli_table_init(&t, 5, headers);
	for (size_t i = 0; i < res->nexts; i++) {
		struct itg_ext *e = res->exts[i];
		if (!strcmp(e->package, "python")) {
			nstd++;
			continue;
		}
		struct strbuf libs = { 0 };
		for (size_t k = 0; k < e->libs.n; k++)
			strbuf_addf(&libs, "%s%s", k ? " " : "", e->libs.v[k]);
		for (size_t k = 0; k < e->archives.n; k++)
			strbuf_addf(&libs, "%s(private archive)", libs.len ? " " : "");
		char n[32];
		snprintf(n, sizeof(n), "%zu", e->objects.n);
		const char *cells[] = { e->name, e->package, e->version, n, libs.len ? libs.s : "-" };
		cli_table_row(&t, cells);
		strbuf_free(&libs);
	}
	printf("welded into '%s':\n", b->o.output);
	if (t.cells.n) {
		cli_table_print(&t, stdout);
	} else {
		printf("  (no extension modules of packages)\n");
	}
	printf("  + %zu standard-library extension modules, CPython %s\n", nstd,
	       json_string_value(json_object_get(b->distjson, "python_version")));
	printf("  + %zu Python modules packed, %zu of them deep-frozen\n", res->packed_modules,
	       res->frozen_modules);
	cli_table_free(&t);
	stat(b->out_abs, &st);
	printf("size: %.1f MiB\n", (double)st.st_size / 1048576.0);
	for (size_t i = 0; i < res->nexts; i++)
		if (res->exts[i]->quirk)
			printf("changed: %s: %s (docs/weld.md)\n", res->exts[i]->name,
			       res->exts[i]->quirk);
	if (b->o.library)
		return;
	printf("needs: ");
	if (!res->needed.n)
		printf("nothing (static)");
	for (size_t i = 0; i < res->needed.n; i++)
		printf("%s%s", i ? " " : "", res->needed.v[i]);
	printf("\n");
	for (size_t i = 0; i < res->dynamic.n; i++) {
		const char *name = res->dynamic.v[i] + 2;
		printf("dynamic: %s%s (%s)\n", name[0] == ':' ? "" : "lib",
		       name[0] == ':' ? name + 1 : name, res->dynamic_why.v[i]);
	}
}

/* The caches a build fills, kept under their limit (least recently used out). */
static void
prune_caches(struct build *b)
{
	static const char *const kinds[] = { "derived", "bytecode", NULL };
	uint64_t limit = itg_cache_limit();

	for (size_t i = 0; kinds[i]; i++) {
		char *dir = util_path_join(b->cache_root, kinds[i]);
		size_t n = itg_cache_prune(dir, limit);
		if (n)
			fprintf(stderr, "pyweld: removed %zu least recently used entr%s of '%s' "
			        "(over %llu MiB; PYWELD_CACHE_MAX_MB)\n", n, n == 1 ? "y" : "ies", dir,
			        (unsigned long long)(limit >> 20));
		free(dir);
	}
}

int
cli_cmd_build(int argc, char **argv)
{
	struct build b = { .logfd = -1 };
	struct itg_result res = { 0 };
	char *outdir;

	parse_options(&b, argc, argv);
	b.t0 = util_now();
	b.out_abs = util_abspath(b.o.output);
	{
		const char *own[] = { b.o.script, b.o.main_c, b.o.config_file };
		for (size_t i = 0; i < countof(own); i++)
			if (own[i])
				strvec_push_owned(&b.own_files, util_abspath(own[i]));
	}
	outdir = util_dirname(b.out_abs);
	if (!util_is_dir(outdir))
		util_fatal("cannot write '%s': the directory '%s' does not exist", b.o.output, outdir);
	if (access(outdir, W_OK) < 0)
		util_fatal("cannot write '%s' in '%s':", b.o.output, outdir);
	if (util_is_dir(b.out_abs))
		util_fatal("cannot write '%s': it is a directory", b.o.output);
	free(outdir);
	if (b.o.script && access(b.o.script, R_OK) < 0)
		util_fatal("cannot read the script '%s':", b.o.script);
	if (b.o.main_c && access(b.o.main_c, R_OK) < 0)
		util_fatal("cannot read the application's main '%s':", b.o.main_c);
	for (size_t i = 0; i < b.o.requirements.n; i++)
		if (access(b.o.requirements.v[i], R_OK) < 0)
			util_fatal("cannot read the requirements file '%s':", b.o.requirements.v[i]);
	for (size_t i = 0; i < b.o.setup_dirs.n; i++)
		if (!util_is_dir(b.o.setup_dirs.v[i]))
			util_fatal("cannot use '%s' with --setup-py: not a directory", b.o.setup_dirs.v[i]);

	b.cache_root = cli_cache_root(b.o.cache_dir, true);
	find_distribution(&b);
	if (b.o.work_dir) {
		prepare_work_dir(&b);
	} else {
		const char *t = getenv("TMPDIR");
		b.work = xasprintf("%s/pyweld-build.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(b.work))
			util_fatal("cannot create a work directory in '%s':", t && *t ? t : "/tmp");
	}
	b.steps = 4 + (b.o.pip_specs.n + b.o.requirements.n + b.o.setup_dirs.n ?
	                (b.reuse ? 2 : 3) : 0);
	b.log = util_path_join(b.work, "build.log");
	b.logfd = open(b.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	install(&b);
	if (!b.new_dists.n && b.o.pip_specs.n + b.o.requirements.n + b.o.setup_dirs.n)
		die(&b, "pip installed nothing new");
	weld(&b, &res);
	end_steps(&b);
	if (b.o.library) {
		printf("wrote '%s' and its header '%s/pyweld.h'\n", b.o.output,
		       util_dirname(b.out_abs));
		printf("link a program with: cc -I%s prog.c $(pyweld link-flags %s)\n",
		       util_dirname(b.out_abs), b.o.output);
	}
	summary(&b, &res);
	fprintf(stderr, "pyweld: built '%s' in %.1f s\n", b.o.output, util_now() - b.t0);
	prune_caches(&b);

	if (b.logfd >= 0)
		close(b.logfd);
	linkdb_close(b.appdb);
	linkdb_close(b.distdb);
	if (!b.o.keep_work && !b.o.work_dir)
		util_remove_tree(b.work);
	else
		fprintf(stderr, "pyweld: work directory: %s\n", b.work);
	itg_result_free(&res);
	return 0;
}

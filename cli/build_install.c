/*
 * build_install.c: the work directory and the install step of `pyweld build`.
 *
 * Installing stays in the front end, not in the weld: it runs the user's
 * package builds, pip in a venv of the distribution's interpreter with the
 * wrapper compilers set (ccshim's environment), and the weld starts where
 * that ends, from the link database the wrappers filled and the tree pip
 * installed.  Build tools come into pip's isolated build environments as
 * wheels and are never welded in.  A local project (--setup-py) is built
 * from a copy, so that pip writes nothing into the user's tree.
 *
 * With --work-dir the installed packages are kept between builds: a
 * directory pyweld made carries WORK_MARKER, any other non-empty one is
 * refused, and INSTALL_STAMP holds the key of everything the packages
 * depend on (compute_install_key), so that an unchanged install is reused
 * and a changed one starts over in an emptied directory.
 */
#include "build.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itg.h"

/* Build tools installed as wheels into pip's isolated build environments
 * (uv-build is a build back end written in Rust: from its sdist, pip would
 * compile it for minutes, cryptography_vectors' build among others). */
const char cli_build_tools[] =
	"setuptools,wheel,Cython,meson,meson-python,ninja,cmake,scikit-build-core,"
	"scikit-build,setuptools-scm,setuptools_scm,flit-core,flit_core,hatchling,"
	"hatch-vcs,hatch-fancy-pypi-readme,poetry-core,pdm-backend,pybind11,cppy,"
	"packaging,pyproject-metadata,pathspec,pluggy,trove-classifiers,tomli,"
	"editables,calver,distro,extension-helpers,jinja2,markupsafe-buildtime-none,"
	"pkgconfig,expandvars,typing-extensions,pycparser,setuptools-rust,"
	"semantic-version,versioneer,incremental,maturin,puccinialin,uv-build";

/* The variables a compiler, linker, pkg-config or CMake reads: part of every
 * key of what the package builds make (the install's, the build cache's).
 * CMAKE_ARGS reaches the builds from pyweld's environment (ccshim_env_vars
 * puts its own -D after it). */
const char *const cli_build_vars[] = {
	"PATH", "CFLAGS", "CPPFLAGS", "CXXFLAGS", "LDFLAGS", "LIBS", "CPATH",
	"C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "LIBRARY_PATH", "PKG_CONFIG_PATH",
	"PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR", "MAKEFLAGS", "CMAKE_ARGS",
	"RUSTFLAGS", NULL,
};

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

const char *
cli_build_env_for(const char *e, const char *name)
{
	const char *colon = strchr(e, ':'), *eq = strchr(e, '=');
	char *k1, *k2;
	bool same;

	if (!colon || (eq && eq < colon))
		return e;
	if (!name)
		return NULL;
	k1 = xasprintf("%.*s", (int)(colon - e), e);
	k2 = util_pep503_name(k1);
	free(k1);
	k1 = util_pep503_name(name);
	same = !strcmp(k1, k2);
	free(k1);
	free(k2);
	return same ? colon + 1 : NULL;
}

/* The environment of the package builds: the shims, as `pyweld env` sets
 * them, and LDSHARED so that setuptools links through them too. */
void
cli_build_install_env(struct cli_build *b, const char *name, struct strvec *env)
{
	static const char *const drop[] = { "PIP_", "VIRTUAL_ENV=", NULL };
	char *bin = util_path_join(b->venv, "bin");

	ccshim_env_build(&b->shims, CCSHIM_ENV_TOOLS | CCSHIM_ENV_LDSHARED | CCSHIM_ENV_SKBUILD,
	                 bin, drop, env);
	strvec_pushf(env, "VIRTUAL_ENV=%s", b->venv);
	strvec_push(env, "PIP_DISABLE_PIP_VERSION_CHECK=1");
	strvec_push(env, "PIP_NO_INPUT=1");
	for (size_t i = 0; i < b->o.env.n; i++) {
		const char *v = cli_build_env_for(b->o.env.v[i], name);
		if (v)
			strvec_push(env, v);
	}
	if (env->failed || !bin)
		util_fatal("out of memory");
	free(bin);
}

/* The link database of the package builds (b->appdb) and their shims. */
static void
setup_shims(struct cli_build *b)
{
	char err[1024], *exe = cli_shim_exe();

	b->appdb_path = util_path_join(b->work, "app.linkdb");
	b->shimdir = util_path_join(b->work, "shims");
	b->shims = (struct ccshim_env){ .db_path = b->appdb_path, .shimdir = b->shimdir,
	                                .shim_exe = exe, .tool = "build", .cwd = b->work,
	                                .note = b->o.output };
	if (ccshim_env_setup(&b->shims, err, sizeof(err)) < 0)
		cli_build_die(b, "%s", err);
	b->appdb = b->shims.db;         /* the build's from now on */
	b->shims.db = NULL;
	b->shims.shim_exe = NULL;
	free(exe);
}

/* What the weld writes: APP, its SBOM beside it, the --debug-file. */
static bool
is_output(const struct cli_build *b, const char *path)
{
	size_t n = strlen(b->out_abs);

	if (!strncmp(path, b->out_abs, n) && (!path[n] || !strcmp(path + n, ".cdx.json") ||
	                                      !strcmp(path + n, ".spdx.json")))
		return true;
	return b->o.debug_file && !strcmp(path, b->o.debug_file);
}

/*
 * What of a local project is not the project: build/ at its top (left
 * from an earlier build), pyweld's work directory and what the weld writes
 * when they lie inside it (pyweld init's layout), VCS and bytecode
 * directories.
 */
static bool
project_skip(const struct cli_build *b, const char *path, const char *name, bool top)
{
	return !strcmp(name, "__pycache__") || !strcmp(name, ".git") ||
	       (top && !strcmp(name, "build")) || !strcmp(path, b->work) ||
	       is_output(b, path);
}

/*
 * What of a local project the install does not depend on: besides the
 * above, the files pyweld itself reads at every build (the script, main.c,
 * the project file), so that editing them in pyweld init's layout keeps
 * the install.  A setup.py that installs the script as a module as well
 * gets the old copy of it until something else changes (docs/weld.md).
 */
static bool
key_skip(const struct cli_build *b, const char *path, const char *name, bool top)
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
copy_project(struct cli_build *b, const char *dir, size_t n)
{
	char *abs = util_abspath(dir);
	char *to = xasprintf("%s/project-%zu", b->work, n);
	struct strvec av = { 0 };
	DIR *d;
	struct dirent *e;
	int rc;

	if (util_mkdir_p(to, 0755) < 0)
		cli_build_die(b, "cannot create '%s':", to);
	if (!(d = opendir(abs)))
		cli_build_die(b, "cannot read the project '%s':", dir);
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
	rc = av.n > 3 ? cli_build_run(b, strvec_cargv(&av), NULL, NULL) : 0;
	if (rc != 0)
		cli_build_die(b, "cannot copy the project '%s' (cp exited %d)", dir, rc);
	strvec_free(&av);
	free(abs);
	return to;
}

#define WORK_MARKER ".pyweld-work"
#define INSTALL_STAMP "install.stamp"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file under dir by path, size and mtime (a local project's state). */
static void
add_tree(const struct cli_build *b, struct itg_key *k, const char *dir, const char *rel)
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

/* A requirement that names a local file (an sdist, a wheel) by an absolute
 * path: its content, which another build may have changed in place. */
static void
add_local_file(struct itg_key *k, const char *req)
{
	if (req[0] == '/' && util_is_file(req))
		itg_key_add_file(k, "local file", req);
}

/*
 * What the installed packages depend on: the interpreter and distribution,
 * what was asked for (requirements files, the local files they and
 * --pip-install name by absolute paths and local projects by content), the
 * build environment and the variables a compiler, pkg-config or CMake reads.
 */
static bool
compute_install_key(struct cli_build *b, char hex[LINKDB_HASH_HEX + 1])
{
	const char *const *vars = cli_build_vars;
	struct itg_key k;
	bool ok;

	itg_key_init(&k, "install");
	itg_key_add_stat(&k, "python", b->python);
	itg_key_add(&k, "distribution", b->dist);
	itg_key_add(&k, "build tools", cli_build_tools);
	for (size_t i = 0; i < b->o.pip_specs.n; i++) {
		itg_key_add(&k, "pip", b->o.pip_specs.v[i]);
		add_local_file(&k, b->o.pip_specs.v[i]);
	}
	for (size_t i = 0; i < b->o.requirements.n; i++) {
		char *p = util_abspath(b->o.requirements.v[i]);
		struct strvec lines = { 0 };
		itg_key_add(&k, "requirements", p);
		itg_key_add_file(&k, "its content", p);
		cli_build_requirement_lines(p, &lines);
		for (size_t l = 0; l < lines.n; l++)
			add_local_file(&k, lines.v[l]);
		strvec_free(&lines);
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
void
cli_build_prepare_work_dir(struct cli_build *b)
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
write_install_stamp(struct cli_build *b)
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
reuse_install(struct cli_build *b)
{
	cli_build_step(b, "install: %zu distribution%s already in '%s' (nothing they depend on "
	           "changed)", b->new_dists.n, b->new_dists.n == 1 ? "" : "s", b->o.work_dir);
	b->appdb_path = util_path_join(b->work, "app.linkdb");
	b->shimdir = util_path_join(b->work, "shims");
	for (size_t i = 0; i < b->new_dists.n; i++) {
		char *p = util_path_join(b->site, b->new_dists.v[i]);
		if (!util_is_dir(p))
			cli_build_die(b, "the work directory '%s' lost '%s'; remove the directory and build "
			    "again", b->o.work_dir, p);
		free(p);
	}
	if (linkdb_open(&b->appdb, b->appdb_path, 0) < 0)
		cli_build_die(b, "the work directory's link database: %s", linkdb_errmsg(b->appdb));
}

/* pip's options of every package build: from source, the build tools (and
 * what only_binary adds to them) as wheels. */
void
cli_build_pip_options(struct strvec *av, const char *only_binary)
{
	strvec_push(av, "--no-cache-dir");
	strvec_push(av, "--no-binary");
	strvec_push(av, ":all:");
	strvec_push(av, "--only-binary");
	strvec_push(av, only_binary);
	strvec_push(av, "--use-pep517");
	strvec_push(av, "-v");
}

void
cli_build_pip_failed(struct cli_build *b, int rc)
{
	if (b->cmd.first_error[0])
		cli_build_die(b, "pip could not install the packages: a compile failed: %s%s%s",
		    b->cmd.first_error, b->cmd.pip_error[0] ? "\npip says: " : "",
		    b->cmd.pip_error);
	if (b->cmd.pip_error[0])
		cli_build_die(b, "pip could not install the packages: %s", b->cmd.pip_error);
	cli_build_die(b, "pip could not install the packages (status %d): its messages are in "
	    "the log", rc);
}

void
cli_build_install(struct cli_build *b)
{
	struct strvec before = { 0 }, after = { 0 }, av = { 0 }, env = { 0 };
	struct cli_reuse r = { 0 };
	int rc;

	if (b->o.pip_specs.n + b->o.requirements.n + b->o.setup_dirs.n == 0)
		return;         /* the standard library alone: no build environment */
	b->venv = util_path_join(b->work, "venv");
	b->site = xasprintf("%s/lib/python%s/site-packages", b->venv, b->version);
	if (b->reuse) {
		reuse_install(b);
		return;
	}
	cli_build_step(b, "install: a build environment from %s", b->python);
	rc = cli_build_run(b, (const char *const[]){ b->python, "-I", "-m", "venv", b->venv, NULL }, NULL,
	         NULL);
	if (rc != 0)
		cli_build_die(b, "cannot create a build environment with '%s -m venv' (status %d)",
		    b->python, rc);
	list_dists(b->site, &before);
	setup_shims(b);
	cli_build_step(b, "install: pip builds");
	for (size_t i = 0; i < b->o.pip_specs.n; i++)
		fprintf(stderr, " %s", b->o.pip_specs.v[i]);
	for (size_t i = 0; i < b->o.setup_dirs.n; i++)
		fprintf(stderr, " %s", b->o.setup_dirs.v[i]);
	fprintf(stderr, " from source");
	if (b->o.verbose)
		fputc('\n', stderr);
	/* local sdists built before: their wheels (docs/buildcache.md) */
	cli_build_reuse(b, &r);

	char *pip = util_path_join(b->venv, "bin/python");
	strvec_push(&av, pip);
	strvec_push(&av, "-m");
	strvec_push(&av, "pip");
	strvec_push(&av, "install");
	cli_build_pip_options(&av, r.only_binary.s);
	strvec_push(&av, "--no-warn-script-location");
	/* What pip installed and from where, with each archive's hash: the
	 * manifest's distributions read it (inittab-gen/sources.c); a wheel
	 * that stood for a local sdist is named as that sdist afterwards
	 * (cli_build_reuse_report). */
	strvec_push(&av, "--report");
	strvec_push_owned(&av, util_path_join(b->work, "pip-report.json"));
	for (size_t i = 0; i < r.requirements.n; i++) {
		strvec_push(&av, "-r");
		strvec_push(&av, r.requirements.v[i]);
	}
	for (size_t i = 0; i < b->o.setup_dirs.n; i++)
		strvec_push_owned(&av, copy_project(b, b->o.setup_dirs.v[i], i));
	for (size_t i = 0; i < r.specs.n; i++)
		strvec_push(&av, r.specs.v[i]);
	free(pip);
	cli_build_install_env(b, NULL, &env);
	rc = cli_build_run(b, strvec_cargv(&av), strvec_cargv(&env), b->work);
	strvec_free(&env);
	ccshim_env_free(&b->shims);
	strvec_free(&av);
	strvec_free(&r.specs);
	strvec_free(&r.requirements);
	strbuf_free(&r.only_binary);
	if (rc != 0)
		cli_build_pip_failed(b, rc);
	cli_build_reuse_report(b);
	list_dists(b->site, &after);
	for (size_t i = 0; i < after.n; i++)
		if (!strvec_has(&before, after.v[i]))
			strvec_push(&b->new_dists, after.v[i]);
	strvec_free(&before);
	strvec_free(&after);
	if (b->o.work_dir)
		write_install_stamp(b);
}

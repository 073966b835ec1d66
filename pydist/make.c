/*
 * make.c: configure, make and make install, run in the work directory
 * with the wrapper compilers first on PATH so that every compile and link
 * is recorded in the work directory's dist.linkdb; then what make install
 * leaves out.  The installed prefix is moved from the DESTDIR into
 * j->prefix; it runs from there before it reaches its final place.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccshim.h"

/*
 * The shims of the build (its link database in the work directory) and
 * its environment: ours, with the shim directory first on PATH, minus what
 * would steer configure and make elsewhere (configure is given CC=gcc, and
 * finds the shims on PATH).
 */
static int
build_env(struct pydist_job *j, struct strvec *env)
{
	static const char *const drop[] = {
		"CPP=", "MAKEFLAGS=", "MFLAGS=", "CONFIG_SITE=", NULL,
	};
	char *db = util_path_join(j->work, "dist.linkdb");
	char *shimdir = util_path_join(j->work, "shims");
	struct ccshim_env e = { .db_path = db, .shimdir = shimdir, .shim_exe = j->o->shim_exe,
	                        .tool = "python build", .cwd = j->work, .note = j->source };
	char err[1024];
	int rc = 0;

	if (ccshim_env_setup(&e, err, sizeof(err)) < 0)
		rc = pydist_fail(j, "configure failed: %s", err);
	else
		ccshim_env_build(&e, 0, NULL, drop, env);
	if (env->failed)
		util_fatal("out of memory");
	ccshim_env_free(&e);
	free(db);
	free(shimdir);
	return rc;
}

/* setup.py reports modules it could not build on stdout, and make exits 0. */
static int
check_make_log(struct pydist_job *j)
{
	char *text = NULL;
	const char *bad[] = { "Failed to build these modules:",
	                      "could not be imported:", NULL };

	if (util_read_file(j->log, &text, NULL) < 0)
		return 0;
	for (size_t i = 0; bad[i]; i++) {
		char *p = strstr(text, bad[i]);
		if (p) {
			char *eol = strchr(p, '\n');
			char *next = eol ? strchr(eol + 1, '\n') : NULL;
			pydist_fail(j, "make failed: setup.py says \"%.*s\" (see '%s')",
			            (int)((next ? next : eol ? eol : p + strlen(p)) - p), p, j->log);
			for (char *c = j->err; *c; c++)
				if (*c == '\n')
					*c = ' ';
			free(text);
			return -1;
		}
	}
	free(text);
	return 0;
}

/*
 * What make install leaves out of the standard library: test packages the
 * Makefile's TESTSUBDIRS forgets in 3.11.2 (test_sqlite3, test_tomllib,
 * test_capi: CPython's own tests need them), and lib2to3's grammar pickles
 * (Debian's patches drop their generation; lib2to3 loads them with
 * pkgutil.get_data).
 */
static int
complete_install(struct pydist_job *j)
{
	char *src_test = util_path_join(j->src, "Lib/test");
	char *dst_test = pydist_prefix_path(j, "lib/python%V/test");
	char *python = pydist_prefix_path(j, "bin/python%V");
	struct dirent **names = NULL;
	int n = util_is_dir(dst_test) ? scandir(src_test, &names, NULL, alphasort) : 0, rc = 0;

	for (int i = 0; i < n; i++) {
		char *from = util_path_join(src_test, names[i]->d_name);
		char *to = util_path_join(dst_test, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && util_is_dir(from) && !util_is_dir(to) &&
		    util_starts_with(names[i]->d_name, "test_")) {
			if (rc == 0)
				rc = pydist_step(j, ARGV("cp", "-a", from, to), NULL, NULL);
			if (rc == 0)
				strvec_pushf(&j->adjustments, "installed Lib/test/%s, which make "
				             "install leaves out", names[i]->d_name);
		}
		free(from);
		free(to);
		free(names[i]);
	}
	free(names);
	/* Debian's lib2to3-no-pickled-grammar.diff stops the driver from saving
	 * them: lib2to3_grammar.py dumps them directly, and checks they exist. */
	const struct embedded_file *dump = pydist_script("lib2to3_grammar.py");
	char *grammar = pydist_prefix_path(j, "lib/python%V/lib2to3/Grammar.txt");
	char *pattern = pydist_prefix_path(j, "lib/python%V/lib2to3/PatternGrammar.txt");
	if (rc == 0 && !dump)
		rc = pydist_fail(j, "make install failed: pyweld carries no lib2to3_grammar.py (a broken "
		                 "build of pyweld)");
	if (rc == 0 && util_is_file(grammar) && util_is_file(pattern)) {
		rc = pydist_step(j, ARGV(python, "-I", "-c", (const char *)dump->data, grammar, pattern),
		                 NULL, NULL);
		if (rc == 0)
			strvec_push(&j->adjustments, "generated lib2to3's grammar pickles");
	}
	free(grammar);
	free(pattern);
	free(src_test);
	free(dst_test);
	free(python);
	return rc;
}

int
pydist_configure_make_install(struct pydist_job *j)
{
	struct strvec env = { 0 };
	char *final_prefix = util_path_join(j->final, "prefix");
	int rc = -1;
	char jobs[32];

	if (build_env(j, &env) < 0)
		goto out;
	if (util_mkdir_p(j->build, 0755) < 0) {
		pydist_fail(j, "configure failed: cannot create '%s': %s", j->build, strerror(errno));
		goto out;
	}

	strvec_pushf(&j->configure_args, "%s/configure", j->src);
	strvec_pushf(&j->configure_args, "--prefix=%s", final_prefix);
	strvec_push(&j->configure_args, "--disable-shared");
	strvec_push(&j->configure_args, j->o->gnu_readline ? "--with-readline=readline"
	                                                    : "--with-readline=editline");
	strvec_push(&j->configure_args, "--with-system-expat");
	strvec_push(&j->configure_args, "--with-system-ffi");
	strvec_push(&j->configure_args, "--with-dbmliborder=bdb:gdbm");
	strvec_push(&j->configure_args, "--with-ensurepip=install");
	/* Profile-guided optimisation: make builds an instrumented interpreter,
	 * runs the test suite's --pgo task, and rebuilds with the profile.
	 * --with-lto makes every object fat (GCC's bytecode beside machine
	 * code); pydist_lto_libpython() then turns libpython's into one ordinary
	 * object, so a weld stays an ordinary link. */
	if (!j->o->no_pgo)
		strvec_push(&j->configure_args, "--enable-optimizations");
	if (!j->o->no_lto)
		strvec_push(&j->configure_args, "--with-lto");
	strvec_push(&j->configure_args, "CC=gcc");
	strvec_push(&j->configure_args, "CFLAGS=-fPIC");
	pydist_phase_start(j, PYDIST_CONFIGURE, j->src);
	if (pydist_step(j, strvec_cargv(&j->configure_args), strvec_cargv(&env), j->build) < 0)
		goto out;

	pydist_jobs_flag(j, jobs, sizeof(jobs));
	pydist_phase_start(j, PYDIST_MAKE, jobs);
	if (pydist_step(j, ARGV("make", jobs), strvec_cargv(&env), j->build) < 0 ||
	    check_make_log(j) < 0)
		goto out;

	pydist_phase_start(j, PYDIST_INSTALL, final_prefix);
	{
		char *destdir = xasprintf("DESTDIR=%s", j->destdir);
		char *inst = xasprintf("%s%s", j->destdir, final_prefix);
		rc = pydist_step(j, ARGV("make", "install", destdir, "LN=ln -sf"), strvec_cargv(&env),
		                 j->build);
		if (rc == 0 && rename(inst, j->prefix) < 0)
			rc = pydist_fail(j, "make install failed: cannot move '%s' to '%s': %s", inst,
			                 j->prefix, strerror(errno));
		if (rc == 0)
			rc = complete_install(j);
		/* ensurepip ran before bin/ existed at its final place, so pip's
		 * scripts name "bin/python" (distlib's fallback): provide it. */
		char *py = util_path_join(j->prefix, "bin/python");
		char *exe = xasprintf("python%s", j->pyver);
		if (rc == 0 && symlink(exe, py) < 0 && errno != EEXIST)
			rc = pydist_fail(j, "make install failed: cannot create '%s': %s", py,
			                 strerror(errno));
		free(py);
		free(exe);
		free(destdir);
		free(inst);
	}
out:
	free(final_prefix);
	strvec_free(&env);
	return rc;
}

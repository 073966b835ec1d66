/*
 * pydist.c: building CPython through pyweld's wrapper compilers, from the
 * unpacked and adjusted tree on (source.c, adjust.c) to a cached directory
 * (cache.c): configure, make, make install; libpython's link-time
 * optimisation; the standard library's regexes precompiled and its modules
 * deep-frozen; the record of what was built (docs/distribution.md says why
 * for each step).
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccshim.h"
#include "itg.h"

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
	char *dst_test = util_path_join(j->prefix, "lib/python3.11/test");
	char *python = util_path_join(j->prefix, "bin/python3.11");
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
	char *grammar = xasprintf("%s/lib/python3.11/lib2to3/Grammar.txt", j->prefix);
	char *pattern = xasprintf("%s/lib/python3.11/lib2to3/PatternGrammar.txt", j->prefix);
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
		if (rc == 0 && symlink("python3.11", py) < 0 && errno != EEXIST)
			rc = pydist_fail(j, "make install failed: cannot create '%s': %s", py,
			                 strerror(errno));
		free(py);
		free(destdir);
		free(inst);
	}
out:
	free(final_prefix);
	strvec_free(&env);
	return rc;
}

/* 1 when the ELF object at path has a section whose name starts with
 * prefix, 0 when not, -1 when readelf cannot read it. */
static int
has_section(const char *path, const char *prefix)
{
	char *out = NULL;
	int found;

	if (util_run_capture(ARGV("readelf", "-SW", path), NULL, &out, NULL) != 0) {
		free(out);
		return -1;
	}
	found = out && strstr(out, prefix);
	free(out);
	return found;
}

/*
 * With --with-lto, libpython3.11.a's members are fat objects: machine code
 * compiled file by file, and GCC's bytecode.  An ordinary link uses the
 * machine code and loses what LTO gives the interpreter (inlining across
 * files: about 14% of start-up's instructions, measured against Debian's
 * LTO build).  A whole-program LTO at every weld would cost minutes, so it
 * happens once, here: the members are optimised together into ONE
 * relocatable object of machine code (gcc -r -flinker-output=nolto-rel),
 * every global symbol kept, and libpython3.11.a is rewritten to hold it.
 * The installed config/libpython3.11.a keeps the fat members for
 * python3.11-config users.
 */
int
pydist_lto_libpython(struct pydist_job *j)
{
	char *lib = util_path_join(j->prefix, "lib/libpython3.11.a");
	char *dir = util_path_join(j->work, "lto");
	char *obj = util_path_join(dir, "libpython3.11.o");
	char *tmp = util_path_join(dir, "libpython3.11.a");
	struct strvec av = { 0 };
	struct dirent **names = NULL;
	int n = 0, rc = -1, members = 0;

	pydist_phase_start(j, PYDIST_LTO, lib);
	if (util_mkdir_p(dir, 0755) < 0) {
		pydist_fail(j, "link-time optimisation failed: cannot create '%s': %s", dir,
		            strerror(errno));
		goto out;
	}
	if (pydist_step(j, ARGV("ar", "x", lib), NULL, dir) < 0)
		goto out;
	/* The flags CPython's own LTO link of python uses (configure's
	 * LTOFLAGS, -fno-semantic-interposition of --enable-optimizations),
	 * with -O3 as the objects were compiled.  One partition, as CPython's:
	 * with several, GCC makes the statics that cross partitions global
	 * (time_strftime.lto_priv.0), and a module's own LTO link that makes
	 * the same name then clashes with libpython in the final link. */
	static const char *const gcc[] = {
		"gcc", "-flto", "-flto-partition=none", "-fuse-linker-plugin", "-O3", "-g", "-fPIC",
		"-fno-semantic-interposition", "-nostdlib", "-r", "-flinker-output=nolto-rel",
		"-o", NULL,
	};
	for (const char *const *a = gcc; *a; a++)
		strvec_push(&av, *a);
	strvec_push(&av, obj);
	n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (util_ends_with(names[i]->d_name, ".o") &&
		    strcmp(names[i]->d_name, "libpython3.11.o")) {
			strvec_push_owned(&av, util_path_join(dir, names[i]->d_name));
			members++;
		}
	}
	if (members == 0) {
		pydist_fail(j, "link-time optimisation failed: '%s' holds no objects", lib);
		goto out;
	}
	if (pydist_step(j, strvec_cargv(&av), NULL, NULL) < 0)
		goto out;
	/* What comes out must be machine code only: bytecode left in it would
	 * make every weld an LTO link again. */
	switch (has_section(obj, ".gnu.lto_")) {
	case 0:
		break;
	case 1:
		pydist_fail(j, "link-time optimisation failed: '%s' still holds LTO bytecode (is gcc's "
		            "LTO plugin missing?)", obj);
		goto out;
	default:
		pydist_fail(j, "link-time optimisation failed: readelf cannot read '%s'", obj);
		goto out;
	}
	if (pydist_step(j, ARGV("ar", "rcs", tmp, obj), NULL, NULL) < 0)
		goto out;
	if (rename(tmp, lib) < 0) {
		pydist_fail(j, "link-time optimisation failed: cannot move '%s' to '%s': %s", tmp, lib,
		            strerror(errno));
		goto out;
	}
	strvec_pushf(&j->adjustments, "optimised libpython3.11.a's %d objects together (LTO) "
	             "into one, libpython3.11.o", members);
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc == 0)
		util_remove_tree(dir);
	strvec_free(&av);
	free(lib);
	free(dir);
	free(obj);
	free(tmp);
	return rc;
}

/* What pyweld build leaves out of a blob, as the scripts' --exclude options:
 * not worth freezing, nor importing for its regexes. */
void
pydist_push_excludes(struct strvec *args)
{
	for (const char *const *q = itg_default_module_ex; *q; q++)
		strvec_push(args, "--exclude"), strvec_push(args, *q);
	for (const char *const *q = itg_test_module_ex; *q; q++)
		strvec_push(args, "--exclude"), strvec_push(args, *q);
}

/*
 * The regexes the standard library compiles on import precompiled
 * (pydist/regex_table.py writes re/_pyweld_precompiled.py), then the
 * standard library deep-frozen for welded binaries (docs/distribution.md,
 * "Start-up"): pydist/freeze_stdlib.py, run by the new interpreter, writes
 * each module's code objects as C data through the lazy printer that
 * libpython's own deep-frozen modules went through, and the objects land
 * in lib/pyweld-frozen with the manifest that pyweld build matches packed
 * modules against.  A weld links the objects of the modules it packs and
 * runs them instead of unmarshalling the blob's copy.
 */
int
pydist_freeze_stdlib(struct pydist_job *j, const char *jobs)
{
	const struct embedded_file *f = pydist_script("freeze_stdlib.py");
	const struct embedded_file *regex = pydist_script("regex_table.py");
	char *tools = util_path_join(j->src, "Tools/scripts");
	char *lazy = util_path_join(tools, "pyweld_deepfreeze.py");
	char *dir = util_path_join(j->work, "freeze");
	char *script = util_path_join(dir, "freeze_stdlib.py");
	char *regex_script = util_path_join(dir, "regex_table.py");  /* imports the other */
	char *python = util_path_join(j->prefix, "bin/python3.11");
	char *stdlib = util_path_join(j->prefix, "lib/python3.11");
	char *dest = util_path_join(j->prefix, "lib/pyweld-frozen");
	char *objs = util_path_join(dir, "o");
	char *manifest = util_path_join(dir, "manifest.tsv");
	char *dest_manifest = util_path_join(dest, "manifest.tsv");
	char *cflags = xasprintf("CFLAGS=-O1 -fPIC -w -DPy_BUILD_CORE -I%s/include/python3.11 "
	                         "-I%s/include/python3.11/internal", j->prefix, j->prefix);
	char *text = NULL;
	struct strvec args = { 0 };
	int rc = -1;

	pydist_phase_start(j, PYDIST_FREEZE, "the standard library");
	if (!f || (j->regex_hook && !regex)) {
		pydist_fail(j, "deep-freeze failed: pyweld carries no %s (a broken build of pyweld)",
		            f ? "regex_table.py" : "freeze_stdlib.py");
		goto out;
	}
	util_remove_tree(dir);
	const char *unwritten = util_mkdir_p(dir, 0755) < 0 ? dir
		: util_write_atomic(script, f->data, f->size, 0644, false) < 0 ? script
		: j->regex_hook && util_write_atomic(regex_script, regex->data, regex->size, 0644,
		                                     false) < 0 ? regex_script : NULL;
	if (unwritten) {
		pydist_fail(j, "deep-freeze failed: cannot write '%s': %s", unwritten, strerror(errno));
		goto out;
	}
	/* The regexes first: their table is a module, deep-frozen with the rest. */
	if (j->regex_hook) {
		strvec_push(&args, python);
		strvec_push(&args, "-I");
		strvec_push(&args, regex_script);
		strvec_push(&args, stdlib);
		pydist_push_excludes(&args);
		if (pydist_step(j, strvec_cargv(&args), NULL, NULL) < 0)
			goto out;
		strvec_free(&args);
		char *table = util_path_join(stdlib, "re/_pyweld_precompiled.py");
		size_t n = 0;
		if (util_read_file(table, &text, NULL) == 0)
			for (const char *c = text; (c = strstr(c, "\n    (")); c++)
				n++;
		free(table);
		free(text);
		text = NULL;
		strvec_pushf(&j->adjustments, "precompiled %zu regexes the standard library "
		             "compiles on import (re/_pyweld_precompiled.py)", n);
	}
	if (!util_is_file(lazy)) {
		/* faster_startup() said why in the log: no deepfreeze.py. */
		pydist_log(j, "pyweld: no Tools/scripts/pyweld_deepfreeze.py; the standard library is "
		           "not deep-frozen (welds unmarshal it)");
		rc = 0;
		goto out;
	}
	strvec_push(&args, python);
	strvec_push(&args, "-I");
	strvec_push(&args, script);
	strvec_push(&args, tools);
	strvec_push(&args, stdlib);
	strvec_push(&args, dir);
	pydist_push_excludes(&args);
	if (pydist_step(j, strvec_cargv(&args), NULL, NULL) < 0 ||
	    pydist_step(j, ARGV("make", "-s", jobs, "CC=gcc", cflags, "objects"), NULL, dir) < 0)
		goto out;
	if (util_read_file(manifest, &text, NULL) < 0) {
		pydist_fail(j, "deep-freeze failed: cannot read '%s': %s", manifest, strerror(errno));
		goto out;
	}
	size_t n = 0;
	for (const char *c = text; *c; c++)
		n += *c == '\n';
	util_remove_tree(dest);
	if (rename(objs, dest) < 0 || rename(manifest, dest_manifest) < 0) {
		pydist_fail(j, "deep-freeze failed: cannot move the objects to '%s': %s", dest,
		            strerror(errno));
		goto out;
	}
	strvec_pushf(&j->adjustments, "deep-froze %zu standard-library modules for welded "
	             "binaries (lib/pyweld-frozen)", n);
	util_remove_tree(dir);
	rc = 0;
out:
	free(text);
	free(tools);
	free(lazy);
	free(dir);
	free(script);
	free(regex_script);
	free(python);
	free(stdlib);
	free(dest);
	free(objs);
	free(manifest);
	free(dest_manifest);
	free(cflags);
	strvec_free(&args);
	return rc;
}

static json_t *
strvec_json(const struct strvec *sv)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

int
pydist_record(struct pydist_job *j)
{
	char *python = util_path_join(j->prefix, "bin/python3.11");
	char *db = util_path_join(j->work, "dist.linkdb");
	const struct embedded_file *describe = pydist_script("describe.py");
	char *out = NULL, *data = NULL;
	json_t *desc = NULL, *modules = json_array(), *missing = json_array(), *doc = NULL;
	json_error_t jerr;
	struct linkdb *ldb = NULL;
	int rc = -1;

	pydist_phase_start(j, PYDIST_RECORD, j->prefix);
	if (!describe) {
		pydist_fail(j, "record failed: pyweld carries no describe.py (a broken build of pyweld)");
		goto out;
	}
	/* The interpreter runs from the work directory: CPython finds its
	 * prefix from its own location, so it works before the final rename. */
	int st = util_run_capture(ARGV(python, "-I", "-c", (const char *)describe->data), NULL, &out, NULL);
	if (st != 0 || !(desc = json_loads(out ? out : "", 0, &jerr))) {
		pydist_fail(j, "record failed: the new interpreter '%s' did not run (status %d)", python, st);
		goto out;
	}
	pydist_log(j, "%s", out);
	json_t *failed = json_object_get(desc, "import_failed");
	if (json_object_size(failed) > 0) {
		const char *name;
		json_t *why;
		json_object_foreach(failed, name, why) {
			pydist_fail(j, "record failed: the new interpreter cannot import '%s': %s", name,
			            json_string_value(why));
			goto out;
		}
	}
	if (json_integer_value(json_object_get(desc, "pip_status")) != 0) {
		pydist_fail(j, "record failed: the new interpreter cannot run pip: %s",
		            json_string_value(json_object_get(desc, "pip_error")));
		goto out;
	}
	if (linkdb_open(&ldb, db, 0) < 0) {
		pydist_fail(j, "record failed: %s", linkdb_errmsg(ldb));
		goto out;
	}
	{
		const char *pip = json_string_value(json_object_get(desc, "pip"));
		char *at = pip ? strstr(pip, j->work) : NULL;
		if (at) {
			char *fixed = xasprintf("%.*s%s%s", (int)(at - pip), pip, j->final,
			                        at + strlen(j->work));
			json_object_set_new(desc, "pip", json_string(fixed));
			free(fixed);
		}
	}

	size_t i;
	json_t *m;
	const char *dynload = json_string_value(json_object_get(desc, "dynload"));
	json_array_foreach(json_object_get(desc, "modules"), i, m) {
		const char *name = json_string_value(json_array_get(m, 0));
		const char *file = json_string_value(json_array_get(m, 1));
		char *path = util_path_join(dynload, file);
		char hex[LINKDB_HASH_HEX + 1], err[1024];
		int64_t link = 0;
		struct itg_ext e = { 0 };
		struct itg_libset libs;
		bool copyleft = false;

		if (linkdb_hash_file(path, hex) < 0 || linkdb_find_link_by_output(ldb, hex, &link) != 1) {
			pydist_fail(j, "record failed: no recorded link produced '%s' (was it built "
			            "through the wrappers?)", path);
			free(path);
			goto out;
		}
		free(path);
		e.name = xstrdup(name);
		if (itg_ext_from_link(ldb, link, &e, err, sizeof(err)) < 0) {
			pydist_fail(j, "record failed: '%s': %s", file, err);
			itg_ext_free(&e);
			goto out;
		}
		if (itg_resolve_libs(strvec_cargv(&e.libs), e.libs.n,
		                     strvec_cargv(&e.libdirs), e.libdirs.n,
		                     &libs, err, sizeof(err)) < 0) {
			pydist_fail(j, "record failed: %s", err);
			itg_ext_free(&e);
			goto out;
		}
		json_t *jl = json_array(), *dyn = json_array();
		for (size_t k = 0; k < libs.n; k++) {
			const struct itg_lib *l = &libs.libs[k];
			json_array_append_new(jl, json_pack("{s:s, s:s?, s:s, s:b, s:b}",
			                      "name", l->name, "archive", l->archive,
			                      "licence", l->licence, "copyleft", l->copyleft,
			                      "libc", l->libc));
			copyleft |= l->copyleft;
			if (!l->archive && !l->libc) {
				json_array_append_new(dyn, json_string(l->name));
				json_array_append_new(missing, json_pack("{s:s, s:s}", "module", name,
				                      "library", l->name));
			}
		}
		json_array_append_new(modules, json_pack(
			"{s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:b}",
			"name", name, "file", file, "link", (json_int_t)link, "init", e.init,
			"so_sha256", hex, "objects", strvec_json(&e.object_names),
			"archives", json_integer((json_int_t)e.archives.n),
			"libs", jl, "dynamic_libs", dyn, "copyleft", copyleft));
		itg_libset_free(&libs);
		itg_ext_free(&e);
	}

	char *final_prefix = util_path_join(j->final, "prefix");
	char *libpython = util_path_join(j->prefix, "lib/libpython3.11.a");
	char libhex[LINKDB_HASH_HEX + 1] = "";
	linkdb_hash_file(libpython, libhex);
	json_t *src = json_pack("{s:s, s:s, s:s, s:s?, s:i, s:o}",
	                        "kind", j->kind == PYDIST_SRC_TREE ? "tree" : j->kind == PYDIST_SRC_TARBALL
	                        ? "tarball" : "debian-source-package",
	                        "path", j->source, "sha256", j->identity,
	                        "debian_version", j->deb_version, "debian_patches", j->deb_patches,
	                        "pyweld_adjustments", strvec_json(&j->adjustments));
	doc = json_pack("{s:s, s:s, s:O, s:O, s:s, s:s, s:s, s:s, s:O, s:O, s:O, s:O, s:o, s:o, s:{s:s, s:s}, s:o, s:o}",
	                "recipe", PYDIST_RECIPE,
	                "key", j->key,
	                "python_version", json_object_get(desc, "version"),
	                "soabi", json_object_get(desc, "soabi"),
	                "prefix", final_prefix,
	                "readline", j->o->gnu_readline ? "GNU readline (GPL-3.0)" : "libedit (BSD-3-Clause)",
	                "pgo", j->o->no_pgo ? "no" : "yes",
	                "lto", j->o->no_lto ? "no" : "yes",
	                "ext_suffix", json_object_get(desc, "ext_suffix"),
	                "sysconfigdata", json_object_get(desc, "sysconfigdata"),
	                "builtins", json_object_get(desc, "builtins"),
	                "pip", json_object_get(desc, "pip"),
	                "source", src,
	                "configure", strvec_json(&j->configure_args),
	                "libpython", "path", "lib/libpython3.11.a", "sha256", libhex,
	                "modules", modules,
	                "missing_static", missing);
	modules = missing = NULL;
	data = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	struct linkdb_distribution d = {
		.python_version = json_string_value(json_object_get(desc, "version")),
		.abi = json_string_value(json_object_get(desc, "soabi")),
		.ext_suffix = json_string_value(json_object_get(desc, "ext_suffix")),
		.prefix = final_prefix,
		.libpython = libpython,
		.data = data,
	};
	if (linkdb_add_distribution(ldb, &d, NULL) < 0) {
		pydist_fail(j, "record failed: %s", linkdb_errmsg(ldb));
	} else {
		char *path = util_path_join(j->work, "distribution.json");
		if (util_write_atomic(path, data, strlen(data), 0644, true) < 0)
			pydist_fail(j, "record failed: cannot write '%s': %s", path, strerror(errno));
		else
			rc = 0;
		free(path);
	}
	free(final_prefix);
	free(libpython);
out:
	linkdb_close(ldb);
	json_decref(desc);
	json_decref(doc);
	json_decref(modules);
	json_decref(missing);
	free(data);
	free(out);
	free(python);
	free(db);
	return rc;
}

const char *
pydist_phase_name(enum pydist_phase p)
{
	static const char *const n[] = {
		"fetch source", "unpack", "configure", "make", "make install",
		"link-time optimisation", "deep-freeze", "record",
	};
	return (unsigned)p < PYDIST__PHASES ? n[p] : "?";
}

static void
fill_result(struct pydist_job *j, struct pydist_result *res, const char *dir)
{
	res->dir = xstrdup(dir);
	res->prefix = util_path_join(dir, "prefix");
	res->python = util_path_join(dir, "prefix/bin/python3.11");
	res->db = util_path_join(dir, "dist.linkdb");
	res->log = util_path_join(dir, "build.log");
	(void)j;
}

int
pydist_build(const struct pydist_options *o, const struct pydist_progress *p,
             struct pydist_result *res, char *err, size_t errlen)
{
	struct pydist_job j = { .o = o, .p = p, .err = err, .errlen = errlen, .logfd = -1,
	                 .lockfd = -1 };
	double t0 = util_now();
	int rc = -1;

	memset(res, 0, sizeof(*res));
	err[0] = '\0';
	j.cache = pydist_cache_root(o->cache, true, err, errlen, NULL, 0);
	if (!j.cache)
		goto out;
	j.pydir = util_path_join(j.cache, "python");
	if (util_mkdir_p(j.pydir, 0755) < 0) {
		pydist_fail(&j, "cannot create the cache '%s': %s", j.pydir, strerror(errno));
		goto out;
	}
	/* A log for the fetch, before the key (and work directory) is known. */
	j.log = util_path_join(j.pydir, "fetch.log");
	j.logfd = open(j.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (pydist_identify(&j) < 0)
		goto out;
	pydist_make_key(&j);
	j.final = util_path_join(j.pydir, j.key);
	if (!o->force && pydist_complete(j.final)) {
		fill_result(&j, res, j.final);
		res->cached = true;
		res->seconds = util_now() - t0;
		pydist_set_current(&j);
		rc = 0;
		goto out;
	}
	pydist_sweep_stale(&j);
	if (pydist_make_work(&j) < 0)
		goto out;
	/* From here the log lives in the work directory. */
	if (j.logfd >= 0)
		close(j.logfd);
	free(j.log);
	j.log = util_path_join(j.work, "build.log");
	j.logfd = open(j.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (j.logfd < 0) {
		pydist_fail(&j, "cannot write the log '%s': %s", j.log, strerror(errno));
		goto out;
	}
	pydist_log(&j, "pyweld: building CPython from %s (key %s)", j.source, j.key);
	j.src = util_path_join(j.work, "src");
	j.build = util_path_join(j.work, "build");
	j.destdir = util_path_join(j.work, "destdir");
	j.prefix = util_path_join(j.work, "prefix");

	char jobs[32];
	pydist_jobs_flag(&j, jobs, sizeof(jobs));
	if (pydist_unpack(&j) < 0 || pydist_adjust(&j) < 0 || pydist_configure_make_install(&j) < 0 ||
	    (!o->no_lto && pydist_lto_libpython(&j) < 0) || pydist_freeze_stdlib(&j, jobs) < 0 ||
	    pydist_record(&j) < 0)
		goto failed;

	if (!o->keep_build) {
		util_remove_tree(j.src);
		util_remove_tree(j.build);
	}
	util_remove_tree(j.destdir);
	pydist_log(&j, "pyweld: built in %.0f s", util_now() - t0);
	{
		/* Everything on disk before the marker that says it is: after a
		 * power failure a COMPLETE distribution is a whole one. */
		int wfd = open(j.work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (wfd < 0 || syncfs(wfd) < 0) {
			pydist_fail(&j, "cannot sync '%s' to disk: %s", j.work, strerror(errno));
			if (wfd >= 0)
				close(wfd);
			goto failed;
		}
		close(wfd);
		char *marker = util_path_join(j.work, "COMPLETE");
		if (util_write_atomic(marker, j.key, strlen(j.key), 0644, true) < 0) {
			pydist_fail(&j, "cannot write '%s': %s", marker, strerror(errno));
			free(marker);
			goto failed;
		}
		free(marker);
	}
	if (rename(j.work, j.final) < 0) {
		if (pydist_complete(j.final)) {
			/* Another build of the same inputs finished first: use it. */
			util_remove_tree(j.work);
		} else {
			util_remove_tree(j.final);
			if (rename(j.work, j.final) < 0) {
				pydist_fail(&j, "cannot move '%s' to '%s': %s", j.work, j.final, strerror(errno));
				goto failed;
			}
		}
	}
	util_fsync_dir(j.final);
	{
		char *lock = util_path_join(j.final, PYDIST_WORK_LOCK);
		unlink(lock);
		free(lock);
	}
	pydist_set_current(&j);
	fill_result(&j, res, j.final);
	res->seconds = util_now() - t0;
	rc = 0;
	goto out;

failed:
	/* Keep the log where the user can read it; drop the half-built tree.
	 * The tree goes first (a full disk is a common cause), and the log is
	 * renamed, which needs no space. */
	if (j.work && j.log) {
		char *kept = xasprintf("%s/%s.failed.log", j.pydir, j.key);
		if (!o->keep_build) {
			util_remove_tree(j.src);
			util_remove_tree(j.build);
			util_remove_tree(j.destdir);
			util_remove_tree(j.prefix);
		}
		if (rename(j.log, kept) == 0) {
			free(j.log);
			j.log = kept;
		} else {
			free(kept);
		}
		if (!o->keep_build)
			util_remove_tree(j.work);
		if (!o->keep_build && !util_is_file(j.log)) {
			free(j.log);
			j.log = NULL;
		}
	}
	res->log = j.log ? xstrdup(j.log) : NULL;
out:
	if (j.logfd >= 0)
		close(j.logfd);
	if (j.lockfd >= 0)
		close(j.lockfd);     /* the build is over: its directory is gone or final */
	free(j.cache); free(j.pydir); free(j.source); free(j.final); free(j.work);
	free(j.src); free(j.build); free(j.destdir); free(j.prefix); free(j.log);
	free(j.py_version); free(j.deb_version);
	strvec_free(&j.adjustments);
	strvec_free(&j.configure_args);
	return rc;
}

void
pydist_result_free(struct pydist_result *res)
{
	free(res->dir);
	free(res->prefix);
	free(res->python);
	free(res->db);
	free(res->log);
	memset(res, 0, sizeof(*res));
}

/*
 * freeze.c: the standard library deep-frozen for welded binaries, after
 * make install: one object of C data per module in lib/pyweld-frozen, with
 * the manifest pyweld build matches packed modules against.  Needs the
 * lazy printer that adjust.c wrote (Tools/scripts/pyweld_deepfreeze.py);
 * without it the distribution has no pyweld-frozen and welds unmarshal.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itg.h"

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
 * (regex.c), then the standard library deep-frozen for welded binaries
 * (docs/distribution.md,
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
	char *tools = util_path_join(j->src, "Tools/scripts");
	char *lazy = util_path_join(tools, "pyweld_deepfreeze.py");
	char *dir = util_path_join(j->work, "freeze");
	char *script = util_path_join(dir, "freeze_stdlib.py");
	char *python = pydist_prefix_path(j, "bin/python%V");
	char *stdlib = pydist_prefix_path(j, "lib/python%V");
	char *dest = util_path_join(j->prefix, "lib/pyweld-frozen");
	char *objs = util_path_join(dir, "o");
	char *manifest = util_path_join(dir, "manifest.tsv");
	char *dest_manifest = util_path_join(dest, "manifest.tsv");
	char *cflags = xasprintf("CFLAGS=-O1 -fPIC -w -DPy_BUILD_CORE -I%s/include/python%s "
	                         "-I%s/include/python%s/internal", j->prefix, j->pyver, j->prefix,
	                         j->pyver);
	char *text = NULL;
	struct strvec args = { 0 };
	int rc = -1;

	pydist_phase_start(j, PYDIST_FREEZE, "the standard library");
	if (!f) {
		pydist_fail(j, "deep-freeze failed: pyweld carries no freeze_stdlib.py (a broken "
		            "build of pyweld)");
		goto out;
	}
	util_remove_tree(dir);
	const char *unwritten = util_mkdir_p(dir, 0755) < 0 ? dir
		: util_write_atomic(script, f->data, f->size, 0644, false) < 0 ? script : NULL;
	if (unwritten) {
		pydist_fail(j, "deep-freeze failed: cannot write '%s': %s", unwritten, strerror(errno));
		goto out;
	}
	/* The regexes first: their table is a module, deep-frozen with the rest. */
	if (j->regex_hook && pydist_regex_table(j, dir) < 0)
		goto out;
	if (!util_is_file(lazy)) {
		/* adjust.c said why in the log: no deepfreeze.py. */
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

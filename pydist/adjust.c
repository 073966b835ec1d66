/*
 * adjust.c: what pyweld changes in the unpacked tree before configure
 * (docs/distribution.md says why for each): Debian's policy for its system
 * python undone, the pyexpat build guard, and the changes for speed
 * (start-up, class creation, precompiled regexes).  Each change is
 * recorded in j->adjustments, which distribution.json lists.  A change for
 * speed that does not apply (a tree pyweld does not know) is logged and
 * left out: the distribution is then as fast as CPython makes it.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Start-up work CPython does for modules a program never imports, or from
 * files it could have compiled in (docs/distribution.md, "Start-up"):
 *  - encodings, encodings.aliases and encodings.utf_8, which every start
 *    imports, are deep-frozen like codecs and io (freeze-encodings.patch,
 *    then freeze_modules.py regenerates what lists the frozen modules);
 *  - each deep-frozen module is made ready (its strings interned) when it
 *    is first imported, not all of them at every start and reset at every
 *    exit (pydist/deepfreeze_lazy.py, written beside deepfreeze.py, which
 *    make runs after deepfreeze-lazy.patch).
 */
static int
faster_startup(struct pydist_job *j)
{
	char *python = util_which("python3", NULL, NULL);
	int rc = 0;

	/* freeze_modules.py regenerates Makefile.pre.in and Python/frozen.c;
	 * any Python 3 runs it (make's own regen-frozen uses the system's). */
	if (!python)
		pydist_log(j, "pyweld: no python3 on PATH to run freeze_modules.py; encodings "
		           "left unfrozen");
	else if ((rc = pydist_apply_patch(j, "freeze-encodings.patch")) == 1) {
		rc = pydist_step(j, ARGV(python, "Tools/scripts/freeze_modules.py"), NULL, j->src);
		if (rc == 0)
			strvec_push(&j->adjustments, "Tools/scripts/freeze_modules.py: encodings, "
			            "encodings.aliases and encodings.utf_8 deep-frozen (start-up)");
	}
	free(python);
	if (rc < 0)
		return -1;

	const struct embedded_file *f = pydist_script("deepfreeze_lazy.py");
	char *script = util_path_join(j->src, "Tools/scripts/pyweld_deepfreeze.py");
	char *original = util_path_join(j->src, "Tools/scripts/deepfreeze.py");
	if (!f)
		rc = pydist_fail(j, "unpack failed: pyweld carries no deepfreeze_lazy.py (a broken build "
		                 "of pyweld)");
	else if (!util_is_file(original))
		pydist_log(j, "pyweld: no Tools/scripts/deepfreeze.py; deep-frozen modules left as "
		           "CPython makes them");
	else if (util_write_atomic(script, f->data, f->size, 0644, false) < 0)
		rc = pydist_fail(j, "unpack failed: cannot write '%s': %s", script, strerror(errno));
	else if ((rc = pydist_apply_patch(j, "deepfreeze-lazy.patch")) == 1)
		strvec_push(&j->adjustments, "Makefile.pre.in: deep-frozen modules made ready "
		            "when first imported (Tools/scripts/pyweld_deepfreeze.py)");
	free(script);
	free(original);
	return rc < 0 ? -1 : 0;
}

/*
 * Class creation looks its special names up through the base's method cache
 * and finds a slot's fellows once (pydist/typeobject_slots.inc says why and
 * when that gives the same answers; docs/distribution.md, "Class
 * creation"): typeobject-slots.patch makes typeobject.c call the functions
 * of typeobject_slots.inc, inserted before the code that uses them.  All
 * of it or none.
 */
static int
faster_classes(struct pydist_job *j)
{
	static const char anchor[] = "/* Common code for update_slots_callback() and "
	                             "fixup_slot_dispatchers().";
	const struct embedded_file *f = pydist_script("typeobject_slots.inc");
	char *path = util_path_join(j->src, "Objects/typeobject.c"), *text = NULL;
	int rc;

	if (!f) {
		free(path);
		return pydist_fail(j, "unpack failed: pyweld carries no typeobject_slots.inc (a broken "
		                   "build of pyweld)");
	}
	/* Both checked before either changes the file. */
	rc = pydist_patch_applies(j, "typeobject-slots.patch");
	if (rc == 1 && util_read_file(path, &text, NULL) == 0 && !strstr(text, anchor)) {
		pydist_log(j, "pyweld: Objects/typeobject.c has no \"%.60s\"; left as it is", anchor);
		rc = 0;
	}
	free(text);
	free(path);
	if (rc == 1)
		rc = pydist_apply_patch(j, "typeobject-slots.patch");
	if (rc == 1) {
		char *inserted = xasprintf("%.*s\n%s", (int)f->size, (const char *)f->data, anchor);
		rc = pydist_edit_source(j, "Objects/typeobject.c",
		                        &(struct pydist_source_edit){ anchor, inserted }, 1);
		free(inserted);
		if (rc == 0)
			rc = pydist_fail(j, "unpack failed: cannot insert typeobject_slots.inc into "
			                 "Objects/typeobject.c after typeobject-slots.patch (see '%s')",
			                 j->log);
	}
	if (rc == 1)
		strvec_push(&j->adjustments, "Objects/typeobject.c: class creation finds special "
		            "methods through the base's method cache (pydist/typeobject_slots.inc)");
	return rc < 0 ? -1 : 0;
}

/*
 * re compiles a pattern it has not seen with its pure-Python parser and
 * compiler; the standard library compiles about 200 at import.  The
 * distribution's re/_compiler.py takes them from re/_pyweld_precompiled.py,
 * which pydist/regex_table.py writes after make install (docs/
 * distribution.md, "Start-up"; re-precompiled.patch).
 */
static int
precompiled_regexes(struct pydist_job *j)
{
	int rc = pydist_apply_patch(j, "re-precompiled.patch");
	if (rc == 1) {
		j->regex_hook = true;
		strvec_push(&j->adjustments, "Lib/re/_compiler.py: regexes found in "
		            "re/_pyweld_precompiled.py are not compiled again");
	}
	return rc < 0 ? -1 : 0;
}

/* The tree's CPython version (the one identified) and, for Debian's
 * source, its version and number of patches, into j. */
static int
read_versions(struct pydist_job *j)
{
	char *p = util_path_join(j->src, "Include/patchlevel.h");
	char *changelog = util_path_join(j->src, "debian/changelog");
	char *series = util_path_join(j->src, "debian/patches/series");
	char *text = NULL;

	j->py_version = pydist_read_define(p, "PY_VERSION");
	free(p);
	if (!j->py_version) {
		free(changelog);
		free(series);
		return pydist_fail(j, "cannot use '%s': no PY_VERSION in Include/patchlevel.h",
		                   j->source);
	}
	size_t n = strlen(j->pyver);
	if (strncmp(j->py_version, j->pyver, n) != 0 || j->py_version[n] != '.') {
		free(changelog);
		free(series);
		return pydist_fail(j, "cannot use '%s': it is CPython %s, not %s", j->source,
		                   j->py_version, j->pyver);
	}
	if (util_read_file(changelog, &text, NULL) == 0) {
		char *open = strchr(text, '('), *close = open ? strchr(open, ')') : NULL;
		if (open && close)
			j->deb_version = strndup(open + 1, (size_t)(close - open - 1));
		free(text);
		text = NULL;
	}
	if (util_read_file(series, &text, NULL) == 0) {
		char *save = NULL, *line;
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (line[0] && line[0] != '#')
				j->deb_patches++;
		free(text);
	}
	free(changelog);
	free(series);
	return 0;
}

/*
 * Debian's policy for its system python, not security fixes: site.py's
 * dist-packages layout (frozen into the interpreter, so it must be undone
 * before the build), sysconfig's posix_local scheme, and the disabled
 * ensurepip.  Undone so that the distribution installs into
 * lib/python3.X/site-packages and gets pip offline.
 */
static int
undo_debian_policy(struct pydist_job *j)
{
	char *dir = util_path_join(j->src, "debian/patches");
	char *layout = util_path_join(dir, "distutils-install-layout.diff");
	char *site = pydist_patch_part(layout, "Lib/site.py");
	char *sitefile = util_path_join(j->work, "site-layout.diff");
	char *schemes = util_path_join(dir, "sysconfig-debian-schemes.diff");
	char *ensurepip = util_path_join(dir, "ensurepip-disabled.diff");
	int rc = 0;

	if (site && *site && util_write_atomic(sitefile, site, strlen(site), 0644, false) == 0)
		rc = pydist_reverse_patch(j, sitefile, "reversed Lib/site.py part of "
		                          "distutils-install-layout.diff (dist-packages layout)");
	if (rc == 0 && util_is_file(schemes))
		rc = pydist_reverse_patch(j, schemes, "reversed sysconfig-debian-schemes.diff "
		                          "(posix_local install scheme)");
	if (rc == 0 && util_is_file(ensurepip))
		rc = pydist_reverse_patch(j, ensurepip, "reversed ensurepip-disabled.diff "
		                          "(ensurepip disabled for the system python)");
	free(dir); free(layout); free(site); free(sitefile); free(schemes); free(ensurepip);
	return rc < 0 ? -1 : 0;
}

/*
 * Modules/pyexpat.c may include an internal header (Debian's fix for
 * CVE-2026-4224) that needs Py_BUILD_CORE_MODULE when pyexpat is a shared
 * module; pyexpat-core-module.patch gives it the guard _json.c and others
 * carry.  The build fails without it: a patch that does not apply is an
 * error here.
 */
static int
pyexpat_guard(struct pydist_job *j)
{
	char *pyexpat = util_path_join(j->src, "Modules/pyexpat.c"), *text = NULL;
	int rc = 0;

	if (util_read_file(pyexpat, &text, NULL) == 0) {
		bool needed = strstr(text, "pycore_") && !strstr(text, "Py_BUILD_CORE_MODULE");
		free(text);
		rc = needed ? pydist_apply_patch(j, "pyexpat-core-module.patch") : 0;
		if (needed && rc == 0)
			rc = pydist_fail(j, "unpack failed: pyweld's patch pyexpat-core-module.patch "
			                 "does not apply to Modules/pyexpat.c (see '%s')", j->log);
		if (rc == 1)
			strvec_push(&j->adjustments, "Modules/pyexpat.c: Py_BUILD_CORE_MODULE "
			            "guard (it includes an internal header)");
	}
	free(pyexpat);
	return rc < 0 ? -1 : 0;
}

int
pydist_adjust(struct pydist_job *j)
{
	int rc = read_versions(j) < 0 || (j->deb_version && undo_debian_policy(j) < 0) ||
	         pyexpat_guard(j) < 0 || faster_startup(j) < 0 || faster_classes(j) < 0 ||
	         precompiled_regexes(j) < 0 ? -1 : 0;
	/* pyweld's patches were written there by patch.c: not part of the
	 * distribution. */
	char *patches = util_path_join(j->work, "patches");
	util_remove_tree(patches);
	free(patches);
	return rc;
}

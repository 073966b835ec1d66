/*
 * lto.c: link-time optimisation of libpython3.X.a, once per distribution,
 * so that every weld stays an ordinary link.  Invariant: the archive that
 * comes out holds one object of machine code and no LTO bytecode.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
 * With --with-lto, libpython3.X.a's members are fat objects: machine code
 * compiled file by file, and GCC's bytecode.  An ordinary link uses the
 * machine code and loses what LTO gives the interpreter (inlining across
 * files: about 14% of start-up's instructions, measured against Debian's
 * LTO build).  A whole-program LTO at every weld would cost minutes, so it
 * happens once, here: the members are optimised together into ONE
 * relocatable object of machine code (gcc -r -flinker-output=nolto-rel),
 * every global symbol kept, and libpython3.X.a is rewritten to hold it.
 * The installed config/libpython3.X.a keeps the fat members for
 * python3.X-config users.
 */
int
pydist_lto_libpython(struct pydist_job *j)
{
	char *lib = pydist_prefix_path(j, "lib/libpython%V.a");
	char *dir = util_path_join(j->work, "lto");
	char *objname = xasprintf("libpython%s.o", j->pyver);
	char *obj = util_path_join(dir, objname);
	char *tmp = xasprintf("%s/libpython%s.a", dir, j->pyver);
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
		    strcmp(names[i]->d_name, objname)) {
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
	strvec_pushf(&j->adjustments, "optimised libpython%s.a's %d objects together (LTO) "
	             "into one, %s", j->pyver, members, objname);
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
	free(objname);
	free(tmp);
	return rc;
}

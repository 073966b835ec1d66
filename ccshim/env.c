/*
 * env.c: what turns the wrapper compilers on for a build.
 *
 * A build goes through the wrappers when three things exist: a link
 * database holding a build record that the shims' records belong to, the
 * shim directory for that build (ccshim_setup: the real tools resolved
 * once), and the variables that lead the build's compilers to the shims.
 * `pyweld env` prints those variables for the user's own build; `pyweld
 * build` (pip) and the distribution's build (configure, make) run with
 * them.  Each asks for what its build needs: PATH with the shim directory
 * first is always there (meson, CMake, rustc and autotools sub-builds call
 * cc, ar and ranlib by name), CC, CXX, AR and RANLIB name the shims where a
 * build reads them, LDSHARED and LDCXXSHARED only where the caller wants
 * setuptools' links to be "cc -shared" rather than the interpreter's own
 * command (`pyweld env` leaves them alone: docs/ccshim.md).
 */
#include "ccshim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkdb.h"
#include "util.h"

#define CMAKE_RPATH_ARG "-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON"

int
ccshim_env_setup(struct ccshim_env *e, char *err, size_t errlen)
{
	e->db = NULL;
	e->build = 0;
	e->dir = NULL;
	memset(&e->conf, 0, sizeof(e->conf));
	e->ignored = 0;
	if (linkdb_open(&e->db, e->db_path, LINKDB_CREATE) < 0 ||
	    linkdb_begin_build(e->db, e->tool, e->cwd, e->note, &e->build) < 0) {
		snprintf(err, errlen, "%s", linkdb_errmsg(e->db));
		return -1;
	}
	if (e->shimdir)
		e->dir = util_abspath(e->shimdir);
	else if (asprintf(&e->dir, "%s.shims", linkdb_path(e->db)) < 0)
		e->dir = NULL;
	if (!e->dir) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return ccshim_setup(e->dir, e->shim_exe, linkdb_path(e->db), e->build, &e->conf,
	                    &e->ignored, err, errlen);
}

void
ccshim_env_free(struct ccshim_env *e)
{
	linkdb_close(e->db);
	e->db = NULL;
	free(e->dir);
	e->dir = NULL;
	ccshim_conf_free(&e->conf);
}

/* $PATH with dir first and any other copy of dir removed; with no $PATH,
 * the usual /usr/bin:/bin after dir. */
static void
path_with(struct strbuf *sb, const char *dir)
{
	const char *path = getenv("PATH");
	const char *p, *end;

	strbuf_adds(sb, dir);
	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) == strlen(dir) && !strncmp(p, dir, (size_t)(end - p)))
			continue;
		strbuf_addc(sb, ':');
		strbuf_add(sb, p, (size_t)(end - p));
	}
}

/*
 * Whether $CC naming the shims by their path would reach a build as more
 * than that path: distutils splits $CC at spaces and quotes, make hands it
 * to the shell.  Such a directory's shims are named bare instead, and
 * found first on $PATH; a ':' (which $PATH cannot hold) keeps the path.
 */
static bool
splits(const char *dir)
{
	for (const char *p = dir; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("/._+-,@%=", *p)))
			return !strchr(dir, ':');
	return false;
}

void
ccshim_env_vars(const struct ccshim_env *e, unsigned flags, const char *path_first,
                struct strvec *out)
{
	struct strbuf path = { 0 };
	const char *at = splits(e->dir) ? "" : e->dir, *sep = *at ? "/" : "";

	strvec_pushf(out, "PYWELD_DB=%s", e->conf.db);
	strvec_pushf(out, "PYWELD_BUILD=%lld", (long long)e->build);
	strvec_pushf(out, "PYWELD_SHIM_DIR=%s", e->dir);
	if (flags & CCSHIM_ENV_TOOLS) {
		strvec_pushf(out, "CC=%s%scc", at, sep);
		strvec_pushf(out, "CXX=%s%sc++", at, sep);
		strvec_pushf(out, "AR=%s%sar", at, sep);
		strvec_pushf(out, "RANLIB=%s%sranlib", at, sep);
	}
	if (flags & CCSHIM_ENV_LDSHARED) {
		strvec_pushf(out, "LDSHARED=%s%scc -shared", at, sep);
		strvec_pushf(out, "LDCXXSHARED=%s%sc++ -shared", at, sep);
	}
	strbuf_adds(&path, "PATH=");
	if (path_first) {
		strbuf_adds(&path, path_first);
		strbuf_addc(&path, ':');
	}
	path_with(&path, e->dir);
	strvec_push_owned(out, strbuf_detach(&path));
	/* scikit-build-core strips what it installs by default, and a stripped
	 * file no longer has the content hash of its recorded link; nor has a
	 * file whose RUNPATH CMake's install step rewrote, as it does for a
	 * target whose install RPATH is not the build tree's, unless the link
	 * wrote the install RPATH already (the caller's CMAKE_ARGS go first). */
	if (flags & CCSHIM_ENV_SKBUILD) {
		const char *args = getenv("CMAKE_ARGS");

		strvec_push(out, "SKBUILD_INSTALL_STRIP=false");
		if (args && *args)
			strvec_pushf(out, "CMAKE_ARGS=%s %s", args, CMAKE_RPATH_ARG);
		else
			strvec_push(out, "CMAKE_ARGS=" CMAKE_RPATH_ARG);
	}
}

void
ccshim_env_build(const struct ccshim_env *e, unsigned flags, const char *path_first,
                 const char *const *drop, struct strvec *out)
{
	/* What the wrappers set, and what would steer the build's Python or
	 * the shims elsewhere. */
	static const char *const ours[] = {
		"CC=", "CXX=", "LD=", "AR=", "RANLIB=", "LDSHARED=", "LDCXXSHARED=", "PATH=",
		"PYWELD_", "PYTHONPATH=", "PYTHONHOME=", "PYTHONSTARTUP=", "PYTHONUSERBASE=",
	};
	const char **all;
	size_t n = 0, k = 0;

	while (drop && drop[n])
		n++;
	all = calloc(countof(ours) + n + 3, sizeof(*all));
	if (!all) {
		out->failed = true;
		return;
	}
	for (size_t i = 0; i < countof(ours); i++)
		all[k++] = ours[i];
	if (flags & CCSHIM_ENV_SKBUILD) {       /* set again by ccshim_env_vars */
		all[k++] = "SKBUILD_INSTALL_STRIP=";
		all[k++] = "CMAKE_ARGS=";
	}
	for (size_t i = 0; i < n; i++)
		all[k++] = drop[i];
	util_env_without(all, out);
	free(all);
	ccshim_env_vars(e, flags, path_first, out);
}

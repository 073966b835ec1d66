/*
 * pydist: the CPython distribution pyweld embeds, built through its own
 * wrapper compilers.
 *
 * From a source (Debian's python3.11 source package, an upstream tarball,
 * or a tree) to a cached directory:
 *
 *   <cache>/python/<key>/
 *       prefix/              the installed CPython (bin/python3.11 with pip,
 *                            include/, lib/python3.11/, lib/libpython3.11.a:
 *                            with LTO, one object optimised across files)
 *       dist.linkdb(.store)  every compile and shared link of the build
 *       distribution.json    what was built: version, modules, libraries
 *       build.log            the full log
 *       COMPLETE             written last; a directory without it is never used
 *
 * The key is a hash of the recipe, the source's content, the options and
 * the files pyweld carries for the build, so a second build of the same
 * inputs finds the cache.  The build happens in a work
 * directory (locked for the build's life) renamed into place at the end: a
 * failed or interrupted build leaves nothing a later call would trust.
 */
#ifndef PYWELD_PYDIST_H
#define PYWELD_PYDIST_H

#include <stdbool.h>
#include <stddef.h>

/* Bump when pyweld's C code changes what a build makes.  The files pyweld
 * carries for the build (pydist/'s scripts, typeobject_slots.inc and
 * patches/) are hashed into the key by themselves. */
#define PYDIST_RECIPE "pyweld-dist-11"

enum pydist_phase {
	PYDIST_FETCH, PYDIST_UNPACK, PYDIST_CONFIGURE, PYDIST_MAKE,
	PYDIST_INSTALL, PYDIST_LTO, PYDIST_FREEZE, PYDIST_RECORD, PYDIST__PHASES
};
const char *pydist_phase_name(enum pydist_phase p);

struct pydist_progress {
	/* A phase starts (detail: what it works on). */
	void (*phase)(void *ctx, enum pydist_phase p, const char *detail);
	/* Counts inside a long phase (make): compiles and module links so far. */
	void (*count)(void *ctx, enum pydist_phase p, int compiles, int links);
	/* A line of the log, for -v. */
	void (*line)(void *ctx, const char *text);
	void *ctx;
};

struct pydist_options {
	const char *source;      /* .dsc, tarball or tree; NULL: Debian's package */
	const char *cache;       /* cache root; NULL: pydist_default_cache() */
	const char *shim_exe;    /* pyweld-cc */
	int jobs;                /* make -jN; 0: the number of CPUs */
	bool gnu_readline;       /* GNU readline (GPL-3) instead of libedit */
	bool no_pgo;             /* without --enable-optimizations (profile-guided) */
	bool no_lto;             /* without --with-lto and libpython's one-object LTO */
	bool keep_build;         /* keep src/ and build/ in the cache */
	bool force;              /* rebuild even when the cache has it */
};

struct pydist_result {
	char *dir;               /* the cache directory */
	char *prefix;            /* dir/prefix */
	char *python;            /* prefix/bin/python3.11 */
	char *db;                /* dir/dist.linkdb */
	char *log;               /* the build log */
	bool cached;             /* found in the cache, nothing built */
	double seconds;
};

/*
 * $PYWELD_CACHE, else $XDG_CACHE_HOME/pyweld (when absolute), else
 * <home>/.cache/pyweld with the home directory from $HOME or else the
 * password database (malloc'd); NULL when there is no home directory:
 * never a directory in the shared temporary directory.  Not checked: use
 * pydist_cache_root.
 */
char *pydist_default_cache(void);

/*
 * The cache root to use: dir when given, else pydist_default_cache(); with
 * create, made if missing.  Refused unless no other user can write in it,
 * replace it or have planted it (util_private_dir); a missing root without
 * create is returned as it is.  malloc'd, or NULL with the message in err
 * and, when hint is not NULL, what to do in hint ("" when nothing helps).
 */
char *pydist_cache_root(const char *dir, bool create, char *err, size_t errlen,
                        char *hint, size_t hintlen);

/*
 * Builds (or finds in the cache) a distribution.  On failure returns -1 with
 * a message in err naming the step that failed and the log; nothing half
 * built is left where a later call would find it.
 */
int pydist_build(const struct pydist_options *o, const struct pydist_progress *p,
                 struct pydist_result *res, char *err, size_t errlen);
void pydist_result_free(struct pydist_result *res);

/*
 * The distribution directory to use: dir when given, else the cache's
 * "current" link (the last successful build).  Checks COMPLETE.  malloc'd,
 * or NULL with a message in err.
 */
char *pydist_find(const char *dir, const char *cache, char *err, size_t errlen);

#endif

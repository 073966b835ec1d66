/*
 * pydist: the CPython distribution pyweld embeds, built through its own
 * wrapper compilers.
 *
 * From a source (Debian's python3.X source package for one of the
 * versions pyweld knows, an upstream tarball, or a tree) to a cached
 * directory:
 *
 *   <cache>/python/<key>/
 *       prefix/              the installed CPython (bin/python3.X with pip,
 *                            include/, lib/python3.X/, lib/libpython3.X.a:
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

/* The version built when none is asked for (docs/distribution.md says why). */
#define PYDIST_DEFAULT_VERSION "3.11"

/*
 * Whether version ("3.13") is one pyweld builds: 3.11 to 3.14.  with_debian:
 * also one Debian's source archive serves (3.12 is served by no suite: it
 * builds from --source only).
 */
bool pydist_version_known(const char *version, bool with_debian);

struct pydist_options {
	const char *version;     /* "3.13"; NULL: the source's (or the default) */
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
	char *python;            /* prefix/bin/python3.X */
	char *version;           /* "3.13" */
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
 * "current-<version>" link (the last successful build of that version) or,
 * with version NULL, "current" (the default version's).  Checks
 * COMPLETE, and that dir is of version when both are given.  malloc'd, or
 * NULL with a message in err.
 */
char *pydist_find(const char *dir, const char *cache, const char *version, char *err,
                  size_t errlen);

/* The CPython version of the distribution in dir, as "3.13" (malloc'd),
 * from its distribution.json; "3.11" when that names none. */
char *pydist_dist_version(const char *dir);

/* One distribution of the cache (pydist_list). */
struct pydist_entry {
	char *dir;               /* <cache>/python/<key> */
	char *key;
	char *version;           /* "3.13.5", from distribution.json */
	char *json;              /* distribution.json's text */
	bool current;            /* what pydist_find() finds for its version */
};

/*
 * Every complete distribution in the cache root (which may not exist: none),
 * sorted by version then key, into *out (free with pydist_list_free).  0, or
 * -1 with a message in err.
 */
int pydist_list(const char *cache, struct pydist_entry **out, size_t *n, char *err,
                size_t errlen);
void pydist_list_free(struct pydist_entry *e, size_t n);

#endif

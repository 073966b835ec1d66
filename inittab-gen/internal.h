/*
 * inittab-gen internals shared by its .c files; nothing outside
 * inittab-gen/ includes this.
 *
 * A weld in progress is a struct itg_weld: the plan it follows, the
 * result it fills, the objects of the final link as the steps make them,
 * and the runner of its commands (their output in the log).  Each step is
 * a function of its own file that returns 0, or -1 with the weld's message
 * set (itg__fail); none prints: what the front end shows goes through the
 * plan's report.
 */
#ifndef PYWELD_ITG_INTERNAL_H
#define PYWELD_ITG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "embed.h"
#include "itg.h"
#include "util.h"

struct itg_weld {
	const struct itg_plan *plan;
	struct itg_result *res;         /* res->exts: the extensions being welded */
	size_t cap;                     /* room in res->exts */
	struct strvec objs;             /* the final link's objects before the
	                                   extensions: the runtime's units, inittab,
	                                   the blob, the deep-frozen modules */
	struct util_cmdlog cmd;         /* runs commands; the error lines of the last one */
	/* The final link's first real error (link_error.c). */
	bool linking;                   /* the final link runs: its lines are read */
	char link_where[512];           /* where ld's next reference is */
	char link_error[1024];          /* the first real error, in one sentence */
	/* Libraries linked as shared objects (link.c): each name once, why,
	 * and the -L of their directories. */
	struct strvec dynamic_seen, dynamic_why, dynamic_dirs;
	char *err;                      /* the message of a failure */
	size_t errlen;
};

/* --- weld.c: the weld's messages and commands ------------------------------ */

/* Sets the weld's message; returns -1 so that steps `return itg__fail(...)`. */
int itg__fail(struct itg_weld *w, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* A step begins: the report's step(), with the text formatted. */
void itg__step(struct itg_weld *w, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* A remark on the running step ("60 from the cache"): the report's note(). */
void itg__note(struct itg_weld *w, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* A warning for the front end to show: the report's warning(). */
void itg__warn(struct itg_weld *w, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* An error shown before the weld fails (one of several): the report's error(). */
void itg__error(struct itg_weld *w, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* A line for the build log only (nothing when there is no log). */
void itg__log(struct itg_weld *w, const char *fmt, ...) UTIL_PRINTF(2, 3);
/*
 * Runs a command with its output in the log (and on stderr with verbose);
 * its error lines are in w->cmd afterwards.  The exit status, or -1 when
 * it could not be started (said through itg__error).
 */
int itg__run(struct itg_weld *w, const char *const argv[], const char *cwd);

/* --- collect.c, isolate.c: the extensions ---------------------------------- */

/* The collect step: the installed distributions' extension modules and
 * the standard library's, into w->res->exts. */
int itg__collect(struct itg_weld *w);
/* The isolate step: each extension partially linked, renamed, checked. */
int itg__isolate(struct itg_weld *w);

/* --- runtime.c: the generate step ------------------------------------------ */

/*
 * Writes inittab.c and the runtime's sources into work/rt and compiles
 * them (and the application's main.c) against the distribution's headers;
 * pyweld's own units come from the cache when their key is there.  Their
 * objects go to w->objs.
 */
int itg__generate(struct itg_weld *w);
/* Compiles a C file of work/rt (frozen.c, ...) as the runtime's units are. */
int itg__compile_rt_unit(struct itg_weld *w, const char *src, const char *obj);
/* Writes files carried inside pyweld (util/embed.h) into dir. */
int itg__write_embedded(struct itg_weld *w, const struct embedded_file *files,
                        const char *dir);

/* --- pack_step.c: the pack step -------------------------------------------- */

/*
 * Packs the blob (the standard library, the installed distributions, the
 * entry point, the runtime's helper) and assembles it; compiles the table
 * of deep-frozen modules.  The objects go to w->objs; the counts to w->res.
 */
int itg__pack_step(struct itg_weld *w);

/* --- link.c, link_error.c, library.c: the link step ------------------------- */

/*
 * The final link of w->objs and the isolated extensions with libpython and
 * every library, each once; DT_NEEDED checked; the binary renamed over the
 * output.  With plan->library, the archive instead (library.c).
 */
int itg__link(struct itg_weld *w);
/* A line of the final link's output (the command runner hands each one). */
void itg__link_line(struct itg_weld *w, const char *text);
/* With plan->file_view: "-Wl,--wrap=NAME" for each C library entry point
 * the view of the packed tree takes (runtime/fileview.h), pushed to av. */
void itg__push_file_view_wraps(const struct itg_weld *w, struct strvec *av);
/*
 * --library: the archive of the runtime, the blob, the extensions and
 * libpython3.11.a's members, with the link line a program needs inside it,
 * and pyweld.h beside it.
 */
int itg__write_library(struct itg_weld *w, const struct strvec *archives,
                       const struct strvec *dynamic, bool cxx);

/* --- lib_find.c, pkgconf.c: a library's files and what its archive needs ---- */

/* The file a -l name links: "libNAME" + ext, or the FILE of -l:FILE (malloc'd). */
char *itg__lib_file(const char *name, const char *ext);
/* "libNAME" (or the FILE of -l:FILE), for messages (malloc'd). */
char *itg__lib_label(const char *name);
/* The static archive of a -l name in dirs, then the system's; NULL if none. */
char *itg__find_archive(const char *name, const struct strvec *dirs);
/*
 * The shared object a -l name links (libNAME.so, the development link),
 * where the binary can count on it: under /usr or /lib, the link's own
 * directories there first, then the system's and GCC's.  One found only
 * elsewhere (the build's own) goes to *foreign instead.  malloc'd or NULL.
 */
char *itg__find_shared(const char *name, const struct strvec *dirs, char **foreign);
/* A run-time shared object of NAME (libNAME.so.N) in the system's
 * directories, the first by name; NULL if there is none. */
char *itg__runtime_file(const char *name);
/* The Debian package that installed path (dpkg -S); NULL when none did. */
char *itg__dpkg_owner(const char *path);
/*
 * The libraries NAME's archive needs after it (not itself), appended to
 * out, the -L directories its .pc file names to dirs, and where the list
 * came from in *source ("pkg-config --static NAME.pc"; NULL without one).
 */
void itg__deps_of(const char *name, struct strvec *out, struct strvec *dirs, char **source);

/* --- leftout.c: what a weld leaves out unless asked for --------------------- */

/*
 * Whether the standard library's extension module name goes into the
 * weld: not when --without-module names it, yes when --with-module does or
 * --stdlib-tests takes it, else not when it is left out by default (*why
 * says why, or NULL).
 */
bool itg__module_wanted(const struct itg_plan *p, const char *name, const char **why);
/* The blob's resources left out unless asked for: always (bytecode,
 * objects, idlelib ...), and test suites unless tests are kept.  pcre2
 * over relative paths, NULL-terminated. */
extern const char *const itg__default_resource_ex[];
extern const char *const itg__test_resource_ex[];

/* --- pack.c and its parts: the packer ---------------------------------------- */

/* One thing for the blob: a module, a resource or a metadata file. */
struct itg_pack_item {
	unsigned kind;
	unsigned flags;
	char *name;             /* dotted module name or relative path */
	char *path;             /* the file (NULL for a namespace package) */
	char *rel;              /* the file's path in tracebacks before the origin is set */
	unsigned char *code;    /* compiled code (modules) */
	size_t code_len;
	unsigned char key[32];  /* compile_blob.py's key of the code */
	size_t seq;             /* order of arrival: the first of two twins wins */
	bool from_site;         /* an installed distribution's, not the stdlib's */
	bool frozen;            /* its code is the distribution's deep-frozen copy */
};

/* One itg_pack() at work. */
struct itg_packer {
	const struct itg_pack_options *o;
	struct itg_pack_item *items;
	size_t n, cap;
	pcre2_code **mod_ex, **res_ex;
	size_t nmod_ex, nres_ex;
	pcre2_code **test_mod_ex, **test_res_ex;   /* the default drop of test suites */
	size_t ntest_mod_ex, ntest_res_ex;
	pcre2_match_data *md;
	struct itg_pack_stats *st;
	char *err;
	size_t errlen;
};

/* Sets the packer's message; returns -1. */
int itg__pack_fail(struct itg_packer *p, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* Adds an item (consumes name, path and rel); returns it. */
struct itg_pack_item *itg__pack_add(struct itg_packer *p, unsigned kind, unsigned flags,
                                    char *name, char *path, char *rel);
/* pack_tree.c: compiles the filters (-1 with the packer's message on a bad
 * pattern); frees them (also after a failure). */
int itg__pack_filters(struct itg_packer *p);
void itg__pack_filters_free(struct itg_packer *p);
/* pack_tree.c: the standard library under root/rel, filtered; -1 when a
 * directory cannot be read. */
int itg__pack_walk_stdlib(struct itg_packer *p, const char *root, const char *rel);
/* pack_tree.c: the files an installed distribution's RECORD lists. */
int itg__pack_add_dist(struct itg_packer *p, const char *site, const char *distinfo);
/* preflight.c: notes and warnings for the application's modules. */
void itg__preflight_scan(struct itg_packer *p);
/* pack_compile.c: every module compiled by the distribution's interpreter;
 * one that is not Python 3.11 becomes a resource. */
int itg__pack_compile(struct itg_packer *p);
/* frozen.c: marks the modules the distribution deep-froze, and lists their
 * objects in the stats; -1 when its manifest or an object is damaged. */
int itg__match_frozen(struct itg_packer *p);

#endif

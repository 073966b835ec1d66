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

/* The plan's CPython version, "3.11.2" ("3.11" when it names none). */
const char *itg__python_version(const struct itg_plan *p);
/* A path under the distribution's prefix: before, the plan's CPython
 * version as X.Y ("3.13"; "3.11" when it names none), then after
 * ("lib/libpython", ".a"): malloc'd. */
char *itg__prefix_path(const struct itg_plan *p, const char *before, const char *after);

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
	char *manifest;                 /* its JSON text, made before the link */
	char *err;                      /* the message of a failure */
	size_t errlen;
};

/* --- weld.c: the weld's messages and commands ----------------------------- */

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

/* --- collect.c, isolate.c: the extensions --------------------------------- */

/* The collect step: the installed distributions' extension modules and
 * the standard library's, into w->res->exts. */
int itg__collect(struct itg_weld *w);
/* The isolate step: each extension partially linked, renamed, checked. */
int itg__isolate(struct itg_weld *w);

/* --- ext.c, isolate.c, generate.c: what the steps use --------------------- */

/*
 * The dotted module name of an installed extension file, from its path
 * relative to site-packages and the known suffixes (EXT_SUFFIX, .abi3.so,
 * .so).  NULL when the file is not an extension module name.
 */
char *itg_module_name(const char *relpath, const char *ext_suffix);

/*
 * Partially links an extension's objects and private archives into one
 * object in dir, renames its init function to e->renamed and makes every
 * other defined global local (ld -r, objcopy).  Sets e->isolated.  With a
 * cache directory (itg_cache_fetch), a result made from the same inputs by
 * the same tools is copied from there instead (*cached set true).
 */
int itg_isolate(struct itg_ext *e, const char *dir, const char *cache, bool *cached,
                char *err, size_t errlen);

/*
 * Checks that no two of the given objects define the same global symbol.
 * owners[i] names objects[i] in messages.  Returns the number of clashes,
 * each reported through report(), or -1 with a message in err.
 */
int itg_check_collisions(const char *const *objects, const char *const *owners,
                         size_t n, void (*report)(void *ctx, const char *symbol,
                         const char *a, const char *b), void *ctx,
                         char *err, size_t errlen);

/* Entry points of a welded binary (runtime/rt.h's enum, by value). */
enum itg_entry { ITG_ENTRY_NONE = 0, ITG_ENTRY_CODE = 1, ITG_ENTRY_MODULE = 2 };

/*
 * Writes inittab.c: the rt_app table of the runtime with one line per
 * extension, sorted by name; deterministic (no time, no absolute paths).
 * fast_exit: the entry point ends without finalising (runtime/default_main.c);
 * no_mp_children: never act as python for multiprocessing's children
 * (runtime/mpchild.c).
 */
int itg_write_inittab(const char *path, struct itg_ext *const *exts, size_t n,
                      enum itg_entry entry, const char *module, bool fast_exit,
                      bool no_mp_children, char *err, size_t errlen);

/* --- runtime.c: the generate step ----------------------------------------- */

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

/* --- pack_step.c: the pack step ------------------------------------------- */

/*
 * Packs the blob (the standard library, the installed distributions, the
 * entry point, the runtime's helper) and assembles it; compiles the table
 * of deep-frozen modules.  The objects go to w->objs; the counts to w->res.
 */
int itg__pack_step(struct itg_weld *w);

/* --- pack.c: the module blob (runtime/blob.h) ----------------------------- */

struct itg_pack_options {
	const char *python;             /* the distribution's interpreter */
	const char *compile_script;     /* compile_blob.py */
	const char *workdir;            /* for the compiler's lists */
	const char *stdlib;             /* prefix/lib/python3.11, or NULL */
	const char *site;               /* site-packages of the installed dists */
	const char *const *dists;       /* their .dist-info directory names */
	size_t ndists;
	const char *const *exclude_modules;     /* pcre2, over dotted names */
	size_t nexclude_modules;
	const char *const *exclude_resources;   /* pcre2, over relative paths */
	size_t nexclude_resources;
	const struct itg_extra_module { const char *name, *path; } *extra;
	size_t nextra;                  /* modules from files, never filtered */
	bool tests;                     /* keep test suites (the default drops them) */
	/* Packages that hold a welded extension module (greenlet.tests holds
	 * greenlet.tests._test_extension): kept whole even when the default drop
	 * of test suites matches them, and packed as namespace packages when they
	 * hold no Python (google._upb); else their extensions could not be
	 * imported. */
	const char *const *keep_packages;
	size_t nkeep_packages;
	bool source;                    /* keep .py sources (tracebacks, inspect) */
	bool compress_sources;          /* store each source zlib-compressed when
	                                   that makes it smaller (blob.h's 0x100) */
	/* Store zlib-compressed, when that makes it smaller (blob.h's 0x200),
	 * the code of each module not imported as the binary starts (the lazy
	 * ones), but never plain_code's (the runtime's). */
	bool compress_code;
	const char *const *plain_code;
	size_t nplain_code;
	bool file_view;                 /* the binary reads its packed tree by path
	                                   (runtime/fileview.c): the pre-flight
	                                   findings it serves are notes */
	int optimize;                   /* compile() optimize level */
	const char *code_cache;         /* compiled code kept by content, or NULL */
	/* The distribution's deep-frozen standard library (lib/pyweld-frozen:
	 * manifest.tsv and one object per module), or NULL; its code linked
	 * for the modules imported as the binary starts, or all with
	 * freeze_all. */
	const char *frozen;
	bool freeze_all;
	/* Reachability (reach.c): reach.py, or NULL when there is no entry
	 * point (every module lazy, nothing dropped); the modules imported
	 * first (the runtime's), those run as __main__, the --keep-module
	 * patterns (pcre2), the --reach-file paths, and the extension modules
	 * welded in (name, isolated object).  With prune, what nothing reaches
	 * is dropped (extension modules: listed); without, reach.py only says
	 * which modules the entry point imports as it starts. */
	const char *reach_script;
	bool prune;
	const char *const *roots, *const *entries, *const *keep_modules, *const *reach_files;
	size_t nroots, nentries, nkeep_modules, nreach_files;
	const struct itg_extra_module *reach_exts;
	size_t nreach_exts;
};

struct itg_pack_stats {
	size_t modules, namespaces, resources, metadata, dists, excluded, duplicates;
	size_t bytes;
	struct strvec not_python;       /* .py files kept as resources */
	struct strvec warnings;         /* pre-flight: "file:line: what" */
	struct strvec notes;            /* the same, for what the view serves */
	/* Packed modules whose code the distribution deep-froze (the same
	 * source compiled the same way), sorted by name: their getters and
	 * objects (frozen_objs[i] is frozen_syms[i]'s). */
	struct strvec frozen_names, frozen_syms, frozen_objs;
	/* The strings those objects share (lib/pyweld-frozen/strings.o), when
	 * any matched and the distribution has it, else NULL. */
	char *frozen_strings;
	/* Modules the distribution deep-froze left to unmarshal: pruning found
	 * nothing imports them as the entry point starts. */
	size_t frozen_lazy;
	/* Pruning: the modules left out (sorted), the extension modules of
	 * reach_exts nothing reached, the resources left out with their
	 * packages, and the bytes of their marshalled code, sources (when
	 * kept) and resources. */
	struct strvec pruned, pruned_exts;
	size_t pruned_resources;
	uint64_t pruned_bytes;
	/* The sources packed: how many compressed, their bytes as read and
	 * as stored. */
	size_t sources_compressed;
	uint64_t source_bytes, source_stored;
	/* The code payloads packed (deep-frozen modules have none): how many
	 * compressed, their bytes as compiled and as stored. */
	size_t code_compressed;
	uint64_t code_bytes, code_stored;
};

/* Writes the blob of modules, resources and metadata to out. */
int itg_pack(const struct itg_pack_options *o, const char *out,
             struct itg_pack_stats *st, char *err, size_t errlen);
/* Writes the C table of the deep-frozen modules' getters (rt_frozen_code)
 * and the names pruning left out, pruned (sorted by strcmp: rt_pruned_names). */
int itg_write_frozen_table(const char *path, const struct itg_pack_stats *st,
                           const struct strvec *pruned, char *err, size_t errlen);
/* Writes the assembler file that links the blob in as pyweld_blob. */
int itg_write_blob_asm(const char *asm_path, const char *blob_path, char *err,
                       size_t errlen);

/* --- pack.c and its parts: the packer ------------------------------------- */

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
	bool lazy;              /* not imported as the binary starts (reached,
	                         * but not as the entry point starts; with no
	                         * entry point, every module): not worth its
	                         * deep-frozen code */
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
/* Frees what an item holds. */
void itg__pack_item_free(struct itg_pack_item *it);
/* reach.c: with reach_script, drops the modules the roots do not reach
 * (and the resources of the top-level packages dropped) and lists the extensions they do not
 * reach; -1 with the packer's message. */
int itg__pack_reach(struct itg_packer *p);
/* frozen.c: marks the modules the distribution deep-froze, and lists their
 * objects in the stats; -1 when its manifest or an object is damaged. */
int itg__match_frozen(struct itg_packer *p);

/* --- leftout.c: what a weld leaves out unless asked for ------------------- */

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

/* --- link.c, link_error.c, library.c: the link step ----------------------- */

/*
 * The final link of w->objs and the isolated extensions with libpython and
 * every library, each once; DT_NEEDED checked; the binary renamed over the
 * output.  With plan->library, the archive instead (library.c).
 */
int itg__link(struct itg_weld *w);
/*
 * sizereport.c: fills w->res->size from the executable bin, the final
 * link's map and the blob in the work directory.  -1 with the weld's
 * message set.
 */
int itg__size_report(struct itg_weld *w, const char *bin, const char *map);
/*
 * manifest.c: the manifest of the weld (what is inside: versions, sources,
 * options, distributions, extensions, archives, blob bytes) added to the
 * executable bin as its ITG_MANIFEST_SECTION.  -1 with the weld's message.
 */
int itg__manifest(struct itg_weld *w, const char *bin, const struct strvec *archives);
/* The manifest's JSON text into w->manifest before the final link (its
 * licence policy fails the weld before the link runs); -1 with the weld's
 * message. */
int itg__manifest_make(struct itg_weld *w, const struct strvec *archives);
/* --library: the manifest written as the file ITG_MANIFEST_MEMBER of the
 * work directory, the archive's member; its path (malloc'd), or NULL with
 * the weld's message. */
char *itg__manifest_member(struct itg_weld *w, const struct strvec *archives);
/* policy.c: -1 with the weld's message naming each chain when a licence of
 * the manifest m (a jansson object) matches a --deny-licence pattern; warns
 * of the copyleft libraries no pattern denies. */
struct json_t;
int itg__licence_policy(struct itg_weld *w, struct json_t *m);
/* manifest.c: a JSON string, or null for NULL; bytes of s that are not
 * UTF-8 become '?' (file names and package metadata). */
struct json_t *itg__jstr(const char *s);
/* licence.c: the value of a "Key: value" header line of a METADATA file,
 * or NULL (malloc'd). */
char *itg__metadata_field(const char *text, const char *key);
/* licence.c: a distribution's licence from its METADATA text:
 * License-Expression, else a short License:, else the licence classifiers;
 * *from names the field (NULL: none says).  NULL or malloc'd. */
char *itg__metadata_licence(const char *text, const char **from);
/* sources.c: the work directory's pip-report.json (pip install --report),
 * or NULL when there is none. */
struct json_t *itg__pip_report(const struct itg_plan *p);
/* sources.c: where the distribution name came from, {kind, url, sha256,
 * sha256_from, unknown}, from the report (or NULL; the build cache has put
 * its sdists in place of the wheels it gave pip) or its direct_url.json
 * (parsed, or NULL). */
struct json_t *itg__dist_source(struct json_t *report, const char *name,
                                struct json_t *direct);
/* vendored.c: the libraries whose sources the extension's own build
 * compiled from a vendored directory, [{name, dir, version, sources:
 * [{path, sha256}]}], as its link database's compiles tell them. */
struct json_t *itg__vendored(const struct itg_ext *e);
/* spdx_ids.c: id as the SPDX licence list spells it (an exception's with
 * exception), matched without regard to case, or NULL when not on it. */
const char *itg_spdx_known(const char *id, bool exception);
/* sbom.c: APP.cdx.json beside the written executable, from its manifest;
 * -1 with the weld's message (and no stale APP.cdx.json left). */
int itg__write_sbom(struct itg_weld *w);
/* A line of the final link's output (the command runner hands each one). */
void itg__link_line(struct itg_weld *w, const char *text);
/* Whether the object or archive at path defines a global (strong or weak)
 * named sym, or with prefix one whose name starts with sym. */
bool itg__defines(const char *path, const char *sym, bool prefix);
/* With plan->file_view: "-Wl,--wrap=NAME" for each C library entry point
 * the view of the packed tree takes (runtime/fileview.h), pushed to av. */
void itg__push_file_view_wraps(const struct itg_weld *w, struct strvec *av);
/* The link options of what the binary exports (the Python API, or every
 * global when dynamic, the shared objects linked, is not empty). */
void itg__push_exports(struct strvec *av, const struct itg_plan *p,
                       const struct strvec *dynamic);
/*
 * --library: the archive of the runtime, the blob, the extensions and
 * libpython3.11.a's members, with the link line a program needs inside it,
 * and pyweld.h beside it.
 */
int itg__write_library(struct itg_weld *w, const struct strvec *archives,
                       const struct strvec *dynamic, bool cxx);

/* --- lib_find.c, pkgconf.c, licence.c: what libs.c asks ------------------- */

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

/*
 * A system library given to the link by its path, as meson passes what
 * pkg-config found ("/usr/lib/x86_64-linux-gnu/openblas-pthread/
 * libopenblas.so"): its -l name ("openblas"), so that the weld looks for
 * the static archive in that directory first and in the system's, and links
 * it like any -l library.  NULL for anything else: a shared library outside
 * /usr and /lib is the build's own, and would not exist where the binary
 * runs.
 */
char *itg_system_lib_name(const char *path);

/* true for c, m, dl, pthread, rt, util, resolv, ...: glibc's own libraries. */
bool itg_is_libc(const char *name);

/* The licence of a library by its -l name ("unknown" when not known). */
const char *itg_licence(const char *name, bool *copyleft);

#endif

/*
 * itg.h: inittab-gen, the weld's room, and its one public header.
 *
 * The weld turns what a build recorded into one binary: the extension
 * modules pip installed, matched to the links the wrappers recorded, and
 * the standard library's, each partially linked alone with its init
 * function renamed, so that no two extensions' globals clash; inittab.c
 * and the runtime's units compiled against the distribution; the Python
 * files in the module blob; one final link with every library once,
 * statically where the system has an archive.  The folder keeps the name
 * of the table the weld began with; docs/architecture.md says what each of
 * its files does.
 *
 * itg_weld() is the front end's one call: a plan in, a result out, and on
 * the way the plan's report hears of every step, note and warning; the
 * weld never prints or exits.  Besides, pydist builds its distribution's
 * record with the extension and library parts, the front end keys its
 * install with the derived-object cache's keys, and the tests reach the
 * RECORD reader and the escape of generated C.  Everything else is
 * internal.h's.
 */
#ifndef PYWELD_ITG_H
#define PYWELD_ITG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct linkdb;

/* --- extension modules (ext.c) -------------------------------------------- */

/* One extension module to weld in. */
struct itg_ext {
	char *name;             /* dotted module name: "markupsafe._speedups" */
	char *package;          /* distribution name, or "python" for the stdlib */
	char *version;
	char *file;             /* the installed .so (absolute) */
	struct linkdb *db;      /* the database holding its link (not owned) */
	int64_t link;
	char *init;             /* PyInit_<leaf> as its objects define it */
	char *renamed;          /* the unique symbol it gets in the weld */
	struct strvec objects;  /* stored objects, in link order */
	struct strvec object_names; /* the same as the link wrote them */
	struct strvec archives; /* stored private archives, in link order */
	struct strvec archive_names; /* the same as the link named them */
	struct strvec archive_libs; /* -l names of those that are a library's
	                               archive (libpwfoo.a of -lpwfoo): their
	                               .pc files' dependencies are linked too */
	struct strvec libs;     /* -l names */
	struct strvec libdirs;  /* -L directories */
	bool cxx, lto;
	bool rust;              /* linked by rustc: its crates, its own copy of
	                           Rust's std and its allocator stay private */
	bool noexecstack;       /* its link said -z noexecstack (rustc's do) */
	char *isolated;         /* the partially linked object (itg_isolate) */
	const char *quirk;      /* what itg_isolate changed for one binary, or NULL */
};
void itg_ext_free(struct itg_ext *e);

/*
 * Fills e from a recorded link: its objects and private archives (as store
 * paths), -l and -L, language, and the init symbol for e->name, which must
 * be set.  -1 with a message in err (no PyInit_<leaf>: err says so).
 */
int itg_ext_from_link(struct linkdb *db, int64_t link, struct itg_ext *e,
                      char *err, size_t errlen);

/* --- libraries (libs.c) --------------------------------------------------- */

/*
 * One library of a link, resolved: exactly one of archive (linked
 * statically), shared (linked dynamically), libc, missing.
 */
struct itg_lib {
	char *name;             /* "ssl", or ":libfoo.a" for -l:FILE */
	char *archive;          /* absolute path of the static archive, or NULL */
	char *shared;           /* the shared object linked instead (under /usr or
	                           /lib, where the binary runs too), or NULL */
	bool libc;              /* part of the C library family: stays dynamic */
	bool missing;           /* neither can be linked: why and hint say more */
	char *needed_by;        /* the library whose archive needs it first, or NULL
	                           for one the link names itself */
	char *why;              /* shared: why not the archive ("no static archive
	                           found", or what the archive needs that cannot be
	                           linked); missing: which library lacks what, who
	                           needs it through which .pc file; else NULL */
	char *hint;             /* missing: what to install (a Debian package that
	                           holds a run-time file of it, from dpkg -S) */
	const char *licence;    /* SPDX-style identifier, or "unknown" */
	bool copyleft;          /* a licence that reaches the whole program */
};

struct itg_libset {
	size_t n;
	struct itg_lib *libs;   /* in link order: dependants before dependencies */
};

/*
 * Resolves -l names (in the order given) with the whole static closure of
 * each: a library with an archive is linked from it when everything its
 * archive needs (pkg-config --static, recursively) can be linked too, as
 * an archive or a shared object; otherwise its shared object is linked
 * instead (it brings its own dependencies), and without one it is
 * missing.  libdirs, then the -L directories of the .pc files, are
 * searched before the system's directories.  Returns 0, or -1 with a
 * message in err (out of memory only: what cannot be linked is reported
 * through missing, not as an error).
 */
int itg_resolve_libs(const char *const *names, size_t n,
                     const char *const *libdirs, size_t nlibdirs,
                     struct itg_libset *out, char *err, size_t errlen);
/*
 * The same, with the closures of libraries whose archives the link already
 * holds (itg_ext's archive_libs): those libraries are not in out, what
 * their archives need is, and what cannot be linked is missing (they have
 * no shared object to fall back to).
 */
int itg_resolve_ext_libs(const char *const *names, size_t n,
                         const char *const *held, size_t nheld,
                         const char *const *libdirs, size_t nlibdirs,
                         struct itg_libset *out, char *err, size_t errlen);
void itg_libset_free(struct itg_libset *set);

/* --- the weld (weld.c) ---------------------------------------------------- */

/* A standard-library extension module the distribution recorded. */
struct itg_dist_module {
	const char *name;               /* "_ssl" */
	const char *file;               /* its .so in the distribution */
	int64_t link;                   /* its link in the distribution's database */
};

/*
 * What the front end hears of a weld; the weld itself never prints.  Every
 * callback may be NULL.  Texts are the weld's until the callback returns.
 */
struct itg_report {
	void *ctx;
	/* A step begins: "isolate: 60 extension modules". */
	void (*step)(void *ctx, const char *what);
	/* A remark on the running step: "60 from the cache". */
	void (*note)(void *ctx, const char *what);
	/* A warning: a library whose licence reaches the whole binary. */
	void (*warning)(void *ctx, const char *what);
	/* One of several errors, before the weld fails with its own message:
	 * each pair of extensions that define the same symbol. */
	void (*error)(void *ctx, const char *what);
	/* The pre-flight scan's findings ("file:line: what"), all of them: those
	 * the binary's view of its packed tree serves (served), then the rest. */
	void (*preflight)(void *ctx, const char *const *found, size_t n, bool served);
};

/* What to weld, and how (the front end's options and what it prepared). */
struct itg_plan {
	/* the distribution (pydist) */
	const char *prefix;             /* its installation: bin/, include/, lib/ */
	const char *python;             /* its interpreter, prefix/bin/python3.11 */
	const char *python_version;     /* "3.11.2" (NULL: "3.11") */
	const char *ext_suffix;         /* ".cpython-311-x86_64-linux-gnu.so" */
	struct linkdb *distdb;          /* its link database */
	const struct itg_dist_module *dist_modules; /* its extension modules */
	size_t ndist_modules;
	/* the application's packages (none: the standard library alone) */
	const char *site;               /* the site-packages pip installed into, or NULL */
	const char *const *dists;       /* the .dist-info directories it added there */
	size_t ndists;
	struct linkdb *appdb;           /* their builds' links; the welded ones are
	                                   recorded in it */
	/* what goes in */
	const char *const *with;        /* standard-library modules asked for */
	size_t nwith;
	const char *const *without;     /* and left out */
	size_t nwithout;
	bool stdlib_tests;              /* keep the test modules and suites */
	const char *const *exclude_modules;     /* pcre2, over dotted names */
	size_t nexclude_modules;
	const char *const *exclude_resources;   /* pcre2, over relative paths */
	size_t nexclude_resources;
	bool prune;                     /* leave out what the entry point cannot
	                                   reach (reach.c; docs/weld.md) */
	const char *const *keep_modules;        /* pcre2: kept when pruning, with
	                                           what they import */
	size_t nkeep_modules;
	const char *const *reach_files;         /* .py files or directories run
	                                           from outside: what they import
	                                           is kept when pruning */
	size_t nreach_files;
	bool source;                    /* keep .py sources */
	bool deep_freeze;               /* link the deep-frozen standard library: the
	                                   code of the modules imported as the
	                                   binary starts */
	bool deep_freeze_all;           /* ... of every packed module */
	bool compress_code;             /* zlib-compress the code of the modules
	                                   not imported as the binary starts */
	bool file_view;                 /* the packed tree readable by path: the
	                                   C library's file entry points wrapped
	                                   for runtime/fileview.c */
	/* what it runs: one of code, script and module at most */
	const char *code;               /* Python source */
	const char *script;             /* a file of Python source */
	const char *module;             /* a module run as __main__ */
	const char *main_c;             /* the application's main.c, or NULL */
	bool fast_exit, no_mp_children; /* runtime/default_main.c, runtime/mpchild.c */
	/* what it makes */
	const char *output;             /* the output as the user named it (messages) */
	const char *out_abs;            /* the same, absolute: written last, atomically */
	bool library;                   /* an archive and pyweld.h, not an executable */
	const char *sbom_format;        /* "spdx": APP.spdx.json; else APP.cdx.json */
	const char *const *deny_licences;       /* pcre2: a licence that fails the weld */
	size_t ndeny_licences;
	bool static_link, pie;
	bool size_report;               /* fill the result's size report */
	bool debug;                     /* keep the symbols and debugging information
	                                   in the executable (the default strips it) */
	const char *debug_file;         /* or NULL; absolute: the executable stripped,
	                                   its symbols and debugging information in
	                                   this file, which its .gnu_debuglink names */
	/* where */
	const char *work;               /* the work directory (objs/, rt/, tools/) */
	const char *cache;              /* the cache root (derived/, bytecode/) */
	int logfd;                      /* the build log, or -1 */
	bool verbose;                   /* commands and their output on stderr too */
	struct itg_report report;
};

/* One row of a size report (sizereport.c): bytes of the executable's file. */
struct itg_size_item {
	char *name;             /* ".text", "libssl.a", "markupsafe._speedups", "json" */
	const char *kind;       /* sections: "section"; inputs: "library", "extension",
	                           "stdlib extension", "module blob", "deep-frozen",
	                           "runtime", "other"; modules: "module", "package",
	                           "resources", "metadata", "blob index" */
	uint64_t bytes;         /* the row's whole share */
	uint64_t code, frozen, source, data; /* modules: the blob's bytecode, the
	                           linked deep-frozen code, the source, resources */
};

/*
 * Where an executable's bytes are, three ways; in each, bytes sum to the
 * file's size (sections, inputs) or to the blob's and the deep-frozen
 * objects' (modules); rows sorted by bytes, largest first.
 */
struct itg_size_report {
	uint64_t file_bytes;            /* the executable's size */
	uint64_t blob_bytes;            /* the module blob's */
	uint64_t frozen_bytes;          /* the deep-frozen modules' objects' share */
	struct itg_size_item *sections; /* per ELF section, and what lies between */
	size_t nsections;
	struct itg_size_item *inputs;   /* per input of the final link (its map) */
	size_t ninputs;
	struct itg_size_item *modules;  /* per packed module, package's resources,
	                                   distribution's metadata */
	size_t nmodules;
	/* What pruning left out (none without it): the modules and extension
	 * modules by name, sorted; how many of each and of the resources with
	 * them; the bytes of their marshalled code, sources and resources (the
	 * blob's share and, for the deep-frozen, what their copy would be). */
	bool pruned;
	struct strvec pruned_names;
	size_t pruned_modules, pruned_exts, pruned_resources;
	uint64_t pruned_bytes;
};

/* Frees what s holds and zeroes it. */
void itg_size_report_free(struct itg_size_report *s);

/* What a weld made. */
struct itg_result {
	struct itg_ext **exts;          /* the welded extension modules */
	size_t nexts;
	size_t packed_modules, packed_bytes, frozen_modules;
	struct strvec needed;           /* the executable's DT_NEEDED */
	struct strvec dynamic;          /* "-lNAME" linked as shared objects, in order */
	struct strvec dynamic_why;      /* why, for each of dynamic */
	struct itg_size_report size;    /* with plan->size_report; else zero */
};

/*
 * Welds what the plan says into plan->out_abs: collect, isolate, generate,
 * pack, link.  res is filled (itg_result_free it, also after a failure).
 * 0, or -1 with the message (and a "\nhint: " line where one helps) in err;
 * the output is then as it was.
 */
int itg_weld(const struct itg_plan *plan, struct itg_result *res, char *err, size_t errlen);
/* Frees what res holds (its extensions too) and zeroes it. */
void itg_result_free(struct itg_result *res);

/* --- what is inside (manifest.c, sbom.c) --------------------------------- */

/* The ELF section of a welded executable that holds its manifest. */
#define ITG_MANIFEST_SECTION ".pyweld.manifest"
/* The member of a --library archive that holds its manifest (the same bytes). */
#define ITG_MANIFEST_MEMBER "pyweld.manifest"

/*
 * The manifest of the welded executable at path, as JSON text (*json,
 * malloc'd), from its ELF section alone (or a --library archive's member
 * ITG_MANIFEST_MEMBER; no database, no cache).  -1 with
 * why in err: the file cannot be read, is not ELF, has no manifest, or one
 * that is damaged.
 */
int itg_manifest_read(const char *path, char **json, char *err, size_t errlen);
/*
 * The CycloneDX 1.5 JSON SBOM of a manifest's JSON text (sbom.c), the
 * application named app_name: malloc'd text, or NULL with why in err.
 */
char *itg_sbom_cyclonedx(const char *manifest, const char *app_name, char *err,
                         size_t errlen);
/*
 * The SPDX 2.3 JSON document of a manifest's JSON text (spdx.c): the same
 * components and graph as itg_sbom_cyclonedx's; malloc'd, or NULL with why
 * in err.
 */
char *itg_sbom_spdx(const char *manifest, const char *app_name, char *err, size_t errlen);
/* Whether re compiles as a --deny-licence pattern (pcre2); why in err if not
 * (policy.c). */
bool itg_licence_pattern_ok(const char *re, char *err, size_t errlen);
/* Whether s is an SPDX licence expression by its grammar: identifiers
 * joined by AND and OR (any case), an identifier's exception after WITH,
 * balanced parentheses (a License-Expression that is not is given as a
 * name). */
bool itg_spdx_expression_like(const char *s);

/* --- left out unless asked for (leftout.c) -------------------------------- */

/*
 * The modules a blob leaves out unless asked for (pcre2 over dotted names,
 * NULL-terminated; also valid Python re, for pydist/freeze_stdlib.py):
 * idlelib, tkinter and the like, and test suites (kept with --tests).
 */
extern const char *const itg_default_module_ex[];
extern const char *const itg_test_module_ex[];

/* --- derived objects, cached by their inputs (cache.c) -------------------- */

/* The inputs of a derived file, accumulated as labelled fields and hashed. */
struct itg_key {
	struct strbuf text;
	bool failed;            /* an input could not be read: no key */
};
/* Starts a key for a kind of result; pyweld's own executable is an input. */
void itg_key_init(struct itg_key *k, const char *kind);
/* Starts a key whose inputs say what of pyweld reaches the result. */
void itg_key_init_plain(struct itg_key *k, const char *kind);
void itg_key_add(struct itg_key *k, const char *label, const char *value);
/* A file by its path, size and modification time (tools, pyweld). */
void itg_key_add_stat(struct itg_key *k, const char *label, const char *path);
/* A program found on PATH, by itg_key_add_stat. */
void itg_key_add_tool(struct itg_key *k, const char *name);
/* A file by content (a linkdb store file by its name); -1 if unreadable. */
int itg_key_add_file(struct itg_key *k, const char *label, const char *path);
void itg_key_add_buffer(struct itg_key *k, const char *label, const void *p, size_t n);
/* The key's SHA-256; false when an input failed. */
bool itg_key_hex(struct itg_key *k, char hex[65]);
void itg_key_free(struct itg_key *k);
/*
 * The entry hex of the cache directory (its derived/ subdirectory) copied
 * to dest: true on a hit.  A NULL cache never hits.
 */
bool itg_cache_fetch(const char *cache, const char *hex, const char *dest);
/* Keeps a copy of src as entry hex; best effort (a failure is a miss later). */
void itg_cache_store(const char *cache, const char *hex, const char *src);
/* The size a cache directory may reach: $PYWELD_CACHE_MAX_MB, or 1 GiB. */
uint64_t itg_cache_limit(void);
/*
 * Over max_bytes, removes the least recently used entries of a cache laid
 * out as dir/<2 hex>/<name> (derived/, bytecode/: files; builds/: a
 * directory each, counted whole and removed whole) down to 3/4 of it;
 * and, whatever the size, what dead writers left in dir/tmp a day ago or
 * more.  Returns the number of entries removed for the size.
 */
size_t itg_cache_prune(const char *dir, uint64_t max_bytes);
/* Removes path, a directory entry of the cache dir, renamed into dir/tmp/
 * first so that a reader sees it whole or not at all; 0 or -1. */
int itg_cache_remove_entry(const char *dir, const char *path);

/* --- RECORD (record.c) ---------------------------------------------------- */

/*
 * The paths a distribution's RECORD lists (record.c), appended to paths in
 * order, each as written (relative to site-packages, or "../../bin/x"):
 * the first field of each row, CSV as Python's csv module writes and reads
 * it (quoted fields, doubled quotes, "\r\n" or "\n").  Rows with an empty
 * path or a NUL byte in it are left out.  0, or -1 with errno (the file
 * cannot be read, or ENOMEM).
 */
int itg_record_read(const char *path, struct strvec *paths);
/* The same from the text of a RECORD file. */
int itg_record_parse(const char *text, size_t len, struct strvec *paths);

/* --- generated C and assembler (generate.c) ------------------------------- */

/*
 * Appends s as a string literal that C and GNU as read back as s: '"' and
 * '\' backslashed; '?' and every byte outside printable ASCII as three octal
 * digits.  For every name, version or path a generated file quotes.
 */
void itg_c_string(struct strbuf *sb, const char *s);
/* Appends s escaped the same way, and unable to end or open a C comment. */
void itg_c_comment(struct strbuf *sb, const char *s);

#endif

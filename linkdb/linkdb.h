/*
 * linkdb: the link database and its content-addressed object store.
 *
 * The wrapper compilers (ccshim) write one record per compile, shared link
 * and archive they see; the weld step (inittab-gen) reads them back.  The
 * schema is documented in docs/linkdb.md and in the block comment at the
 * top of schema.c.  Everything here returns 0 on success and -1 on failure
 * with a message kept on the handle (linkdb_errmsg); nothing prints or
 * exits.
 */
#ifndef PYWELD_LINKDB_H
#define PYWELD_LINKDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Schema version this code writes; older databases are migrated on open. */
#define LINKDB_SCHEMA_VERSION 2
/* SQLite application_id of a pyweld link database ('PyWd'). */
#define LINKDB_APPLICATION_ID 0x50795764
/* Length of a content hash in hex (SHA-256), without the NUL. */
#define LINKDB_HASH_HEX 64

struct linkdb;                          /* opaque */

enum linkdb_open_flags {
	LINKDB_CREATE   = 1 << 0,       /* create the database and store if missing */
	LINKDB_READONLY = 1 << 1,       /* never write (no migration either) */
	LINKDB_EXCLUSIVE_CREATE = 1 << 2, /* with CREATE: fail if it exists */
};

/*
 * Opens (or creates) the database at path and its store "<path>.store/".
 * Always sets *out unless memory ran out (then *out is NULL); on failure the
 * handle holds the message and must still be closed.  Migrates an older
 * schema one step per transaction; refuses a newer one.
 */
int linkdb_open(struct linkdb **out, const char *path, unsigned flags);
/* Closes the handle; NULL is a no-op. */
void linkdb_close(struct linkdb *db);
/* The message of the last failure on this handle ("" when none). */
const char *linkdb_errmsg(const struct linkdb *db);
/* Absolute path of the database file / of the object store directory. */
const char *linkdb_path(const struct linkdb *db);
const char *linkdb_store_dir(const struct linkdb *db);
/* Schema version of the open database (after migration). */
int linkdb_schema_version(const struct linkdb *db);

/* --- hashing (no handle needed) ----------------------------------------- */

/* SHA-256 of a file's content as lower-case hex into hex[65]; -1 + errno. */
int linkdb_hash_file(const char *path, char hex[LINKDB_HASH_HEX + 1]);
/* SHA-256 of a buffer as lower-case hex. */
void linkdb_hash_buffer(const void *p, size_t n, char hex[LINKDB_HASH_HEX + 1]);
/* true when s is 64 lower-case hex digits. */
bool linkdb_is_hash(const char *s);

/* --- the object store ----------------------------------------------------- */

/*
 * Copies the file at path into the store under its content hash (written to
 * a temporary and renamed, so readers never see half a file; content that is
 * already stored is not written again) and records it in the object table
 * with its global symbols.  hex receives the hash.
 */
int linkdb_store_file(struct linkdb *db, const char *path,
                      char hex[LINKDB_HASH_HEX + 1]);
/* Path of a stored object, malloc'd; NULL when out of memory. */
char *linkdb_store_path(const struct linkdb *db, const char *hex);

/* --- records written by the wrapper compilers ----------------------------- */

/* A build groups the records of one pyweld run (an `env` session, a weld). */
int linkdb_begin_build(struct linkdb *db, const char *tool, const char *cwd,
                       const char *note, int64_t *id);

struct linkdb_compile {
	const char *cwd;
	int argc;
	char *const *argv;              /* exactly as the compiler saw it */
	const char *language;           /* "c", "c++", "asm", ... */
	size_t nsources;
	const char *const *sources;     /* as written, relative to cwd */
	const char *output;             /* object path as written; NULL if none */
	int status;                     /* the real compiler's exit status */
};
/*
 * Records a compile: hashes the sources and, when the object exists, stores
 * it.  One transaction; *id (may be NULL) receives the record's id.
 */
int linkdb_add_compile(struct linkdb *db, int64_t build,
                       const struct linkdb_compile *c, int64_t *id);

enum linkdb_input_kind {
	LINKDB_IN_OBJECT,               /* a .o (or any relocatable input file) */
	LINKDB_IN_ARCHIVE,              /* a .a, given by path or found for -l */
	LINKDB_IN_SHARED,               /* a .so given to the link */
	LINKDB_IN_LIB,                  /* -lNAME left for the final link */
	LINKDB_IN_LIBDIR,               /* -LDIR */
	LINKDB_IN_FLAG,                 /* -Wl,..., -pthread, ... in order */
};
/* "object", "archive", ... (the strings stored in link_input.kind). */
const char *linkdb_input_kind_name(enum linkdb_input_kind k);

struct linkdb_input {
	enum linkdb_input_kind kind;
	const char *value;              /* as written in argv */
	const char *path;               /* file to snapshot (object, archive, shared;
	                                 * for a flag, the file it names, or NULL) */
};

struct linkdb_link {
	const char *cwd;
	int argc;
	char *const *argv;
	const char *language;           /* "c" or "c++" */
	const char *output;             /* the produced shared object */
	size_t ninputs;
	const struct linkdb_input *inputs; /* in command-line order */
	int status;                     /* the real linker's exit status */
};
/*
 * Records a shared link: snapshots every object, archive and shared input
 * into the store, hashes the output, finds the PyInit_* / PyInitU_* symbols
 * that the inputs define.  One transaction.
 */
int linkdb_add_link(struct linkdb *db, int64_t build,
                    const struct linkdb_link *l, int64_t *id);

struct linkdb_archive {
	const char *cwd;
	int argc;
	char *const *argv;
	const char *path;               /* the archive ar wrote */
	const char *content;            /* the file to store for it (NULL: path); a
	                                 * thin archive is stored as a regular copy */
};
/* Records an archive a build made for itself (ar) and snapshots it. */
int linkdb_add_archive(struct linkdb *db, int64_t build,
                       const struct linkdb_archive *a, int64_t *id);

/*
 * Finds the most recent archive recorded at this absolute path whose stored
 * content still matches the file there.  Returns 1 and the hash when found,
 * 0 when not, -1 on error.
 */
int linkdb_find_archive(struct linkdb *db, const char *abspath,
                        char hex[LINKDB_HASH_HEX + 1]);

/*
 * Copies the records of build src_build (every build when < 0) of the link
 * database at src_path into db under build dst_build: compiles, links and
 * archives with their sources, inputs and init symbols, the object rows,
 * their symbols and their store files, each file checked against its hash.
 * The ids are new; everything else is as the source holds it.  One
 * transaction: a damaged source (quick_check, a missing or changed store
 * file) fails with nothing copied.  Nothing is written to the source.
 */
int linkdb_copy_build(struct linkdb *db, const char *src_path, int64_t src_build,
                      int64_t dst_build);

/* --- reading: generic rows for listings and `show` ------------------------ */

enum linkdb_value_type { LINKDB_NULL, LINKDB_INT, LINKDB_REAL, LINKDB_TEXT,
                         LINKDB_ARGV };

struct linkdb_value {
	enum linkdb_value_type type;
	int64_t i;
	double r;
	const char *s;                  /* TEXT; or ARGV: argc strings, NUL-separated */
	size_t len;                     /* bytes in s */
	int argc;                       /* ARGV only */
};

struct linkdb_row {
	const char *section;            /* "compile", "source", "link", "input", ... */
	size_t n;
	const char *const *names;
	const struct linkdb_value *values;
};

/* Called once per row; returning non-zero stops the walk (then -1, errmsg). */
typedef int (*linkdb_row_fn)(void *ctx, const struct linkdb_row *row);

enum linkdb_list {
	LINKDB_LIST_BUILDS,
	LINKDB_LIST_COMPILES,
	LINKDB_LIST_LINKS,
	LINKDB_LIST_ARCHIVES,
	LINKDB_LIST_OBJECTS,
	LINKDB_LIST_EXTENSIONS,
	LINKDB_LIST_DISTRIBUTIONS,
};
/* Calls fn for every record of one kind, oldest first. */
int linkdb_list(struct linkdb *db, enum linkdb_list what, linkdb_row_fn fn,
                void *ctx);

/*
 * Shows one record with everything linked to it: "compile:ID", "link:ID",
 * "archive:ID", "build:ID", "extension:NAME", "object:HASH" (a unique prefix
 * of at least 6 digits is enough).  The first row's section is the record's
 * kind; the rows after it belong to it.  Returns 0, or -1 when not found.
 */
int linkdb_show(struct linkdb *db, const char *spec, linkdb_row_fn fn,
                void *ctx);

/* Counts for `db info`. */
struct linkdb_counts {
	int64_t builds, compiles, links, archives, objects, symbols, extensions,
	        distributions;
	int64_t store_files, store_bytes;   /* what is on disk in the store */
};
int linkdb_counts(struct linkdb *db, struct linkdb_counts *out);

/* --- maintenance ---------------------------------------------------------- */

/* One problem found by linkdb_check. */
typedef void (*linkdb_problem_fn)(void *ctx, const char *subject,
                                  const char *problem);
/*
 * Runs SQLite's integrity check, the foreign-key check, and verifies that
 * every referenced store file exists and has the hash it is named by.
 * Returns the number of problems reported through fn (0 when clean), or -1
 * when the check itself could not run.
 */
int linkdb_check(struct linkdb *db, linkdb_problem_fn fn, void *ctx);

struct linkdb_gc_stats {
	int64_t rows_dropped;           /* object rows no record references */
	int64_t files_removed, bytes_removed;
	int64_t temps_removed;          /* abandoned temporaries */
};
/*
 * Drops object rows that no record references, then removes store files
 * without an object row and temporaries, both only when untouched for
 * min_age seconds (a writer stores files just before its transaction names
 * them).  Safe beside writers, whatever min_age: it decides under the write
 * lock, and a writer re-checks its rows and files under the same lock, so
 * every record that commits has its object rows, their symbols and their
 * files.  dry_run counts without removing, in a read transaction that keeps
 * no writer waiting; it works on a read-only handle too.
 */
int linkdb_gc(struct linkdb *db, bool dry_run, double min_age,
              struct linkdb_gc_stats *out);

/* --- distributions and lookups for the weld ------------------------------- */

struct linkdb_distribution {
	const char *python_version;     /* "3.11.2" */
	const char *abi;                /* SOABI: "cpython-311-x86_64-linux-gnu" */
	const char *ext_suffix;         /* ".cpython-311-x86_64-linux-gnu.so" */
	const char *prefix;             /* where it is installed */
	const char *libpython;          /* interpreter archive to store, or NULL */
	const char *data;               /* JSON describing it (modules, libraries) */
};
/* Records a distribution (storing its interpreter archive). One transaction. */
int linkdb_add_distribution(struct linkdb *db, const struct linkdb_distribution *d,
                            int64_t *id);
struct linkdb_extension {
	const char *name;               /* dotted module name */
	const char *package, *version;  /* its distribution */
	int64_t link;                   /* the link that made it */
	const char *init_symbol;        /* as its objects define it */
	const char *renamed_symbol;     /* as the weld calls it */
	const char *file;               /* the installed file */
};
/* Records an extension module collected for welding. One transaction. */
int linkdb_add_extension(struct linkdb *db, const struct linkdb_extension *e,
                         int64_t *id);
/* The newest link whose output has this content hash: 1 (and *link), 0, -1. */
int linkdb_find_link_by_output(struct linkdb *db, const char *hex, int64_t *link);
/*
 * The global symbols a file (object, archive, shared object) defines, weak
 * ones included, sorted; *names is NULL-terminated and the caller frees each
 * string and the array.  -1 with a message in err (not ELF is not an error:
 * no symbols).
 */
int linkdb_file_defined_symbols(const char *path, char ***names, size_t *n,
                                char *err, size_t errlen);
enum {
	LINKDB_SYM_STRONG = 1 << 0,     /* GLOBAL definitions */
	LINKDB_SYM_WEAK   = 1 << 1,     /* WEAK and GNU_UNIQUE definitions (C++ COMDAT) */
};
/* The same, choosing strong and/or weak definitions. */
int linkdb_file_symbols(const char *path, unsigned which, char ***names, size_t *n,
                        char *err, size_t errlen);
/* The PyInit_* symbols a link's inputs define, sorted; caller frees with free(). */
int linkdb_link_inits(struct linkdb *db, int64_t link, char ***names, size_t *n);
/* For each source of each successful compile whose object has the content
 * hash hex: fn(ctx, the compile's cwd, the source's path as written, its
 * SHA-256 or NULL), in the order recorded.  -1 with the database's message. */
typedef void (*linkdb_source_fn)(void *ctx, const char *cwd, const char *path,
                                 const char *hash);
int linkdb_object_sources(struct linkdb *db, const char *hex, linkdb_source_fn fn, void *ctx);

#endif

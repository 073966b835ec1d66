/*
 * linkdb internals shared by its .c files.  Outside linkdb/ only its unit
 * tests include this (the gc race hook, a handle's busy timeout).
 */
#ifndef PYWELD_LINKDB_INTERNAL_H
#define PYWELD_LINKDB_INTERNAL_H

#include <sqlite3.h>
#include <stdio.h>

#include "linkdb.h"
#include "util.h"

/* Prepared statements, one per use, prepared lazily once per handle. */
enum stmt {
	ST_BEGIN_IMMEDIATE,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_OBJECT_EXISTS,
	ST_OBJECT_INSERT,
	ST_SYMBOL_INSERT,
	ST_BUILD_INSERT,
	ST_COMPILE_INSERT,
	ST_SOURCE_INSERT,
	ST_LINK_INSERT,
	ST_INPUT_INSERT,
	ST_INIT_INSERT,
	ST_INIT_FIND,
	ST_ARCHIVE_INSERT,
	ST_ARCHIVE_FIND,
	ST__COUNT
};

struct linkdb {
	sqlite3 *sql;
	char *path;                     /* absolute database path */
	char *store;                    /* absolute store directory */
	char *tmpdir;                   /* store/tmp */
	unsigned flags;
	int version;
	sqlite3_stmt *stmts[ST__COUNT];
	char errmsg[1024];
};

/* --- stmt.c: statements, transactions, errors ------------------------------ */

/* Sets the handle's message; returns -1 so callers can `return seterr(...)`. */
int linkdb__seterr(struct linkdb *db, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* Same, appending ": " and SQLite's message. */
int linkdb__sqlerr(struct linkdb *db, const char *what);
/* The prepared statement for id, reset and unbound; NULL on error. */
sqlite3_stmt *linkdb__stmt(struct linkdb *db, enum stmt id);
/* Runs a statement to completion (SQLITE_DONE); 0 or -1. */
int linkdb__step_done(struct linkdb *db, sqlite3_stmt *st, const char *what);
/* Runs sql (no parameters, several statements); -1 with "what in 'db': why". */
int linkdb__exec(struct linkdb *db, const char *sql, const char *what);
/* The first column of sql's first row as an int; -1 (no message) if none. */
int linkdb__pragma_int(struct linkdb *db, const char *sql, int *out);
/*
 * A unit test's hook, called at the points where another process may act
 * between two steps of this one: "begin" (a writer's files are stored, it is
 * about to take the write lock), "store-temp" (a writer's temporary arg is
 * written, not yet renamed into the store) and "gc-candidate" (gc has
 * decided that the store file arg may go).  NULL outside the unit tests
 * (tests/unit/test_linkdb_gc.c).
 */
extern void (*linkdb__test_hook)(struct linkdb *db, const char *point,
                                 const char *arg);
#define LINKDB__HOOK(db, point, arg) \
	(linkdb__test_hook ? linkdb__test_hook((db), (point), (arg)) : (void)0)

/* BEGIN IMMEDIATE through the statement table; -1 on a read-only handle. */
int linkdb__begin(struct linkdb *db);
/* COMMIT; on failure rolls back and returns -1. */
int linkdb__commit(struct linkdb *db);
/* ROLLBACK when a transaction is open (never fails; nothing to report). */
void linkdb__rollback(struct linkdb *db);

/* --- schema.c: the schema and its migrations --------------------------------- */

/*
 * Reads application_id and user_version into db->version, refusing (before
 * anything writes) a file that is not SQLite, a SQLite database that is not
 * a link database, and a newer schema.  0 or -1 with the message.
 */
int linkdb__check_identity(struct linkdb *db);
/* Brings the schema up to LINKDB_SCHEMA_VERSION, one step per transaction. */
int linkdb__migrate(struct linkdb *db);

/* --- hash.c: whole files, read-only ------------------------------------------ */

/* A read-only view of a whole file: mapped, or empty (p NULL, len 0). */
struct linkdb__view {
	void *p;
	size_t len;
	int fd;
};
/* Maps the regular file at path; -1 + errno (EISDIR or EINVAL: not a regular file). */
int linkdb__view_open(struct linkdb__view *v, const char *path);
/* Unmaps and closes; safe after a failed open. */
void linkdb__view_close(struct linkdb__view *v);

/* --- elfsym.c: symbol tables -------------------------------------------------- */

/* Global symbols of one ELF file (object, archive or shared object). */
struct linkdb__syms {
	struct strvec defined, weak, undefined;
	const char *kind;               /* "object", "archive", "shared", "other" */
	bool lto;                       /* only LTO bytecode, no machine code */
};
/*
 * Scans the file's symbol tables (the bytes are given; path only names it).
 * A file that is not ELF comes back as kind "other" with no symbols.
 * -1 only when out of memory or libelf fails on a file that is ELF.
 */
int linkdb__scan_symbols(const void *data, size_t len, struct linkdb__syms *out,
                         char *err, size_t errlen);
/* Frees the vectors; the struct may be reused. */
void linkdb__syms_free(struct linkdb__syms *s);

/* --- store.c: the object store and the object table ---------------------------- */

/* Writes content as dest (store/<hh>/<hex>) through a locked temporary; -1 + errno. */
int linkdb__store_write(struct linkdb *db, const char *hex, const void *p, size_t len,
                        const char *dest);

/*
 * Puts a file into the store (temporary + rename) and fills hex; *size gets
 * its length.  When scan is given and the object is new to the database,
 * its symbols are scanned into *scan (and *scanned set true).  Does not
 * touch the database beyond a read of the object table.
 */
int linkdb__store_put(struct linkdb *db, const char *path,
                      char hex[LINKDB_HASH_HEX + 1], int64_t *size,
                      struct linkdb__syms *scan, bool *scanned);
/*
 * Inside the writer's transaction, for a file linkdb__store_put stored
 * (path, hex, size, and its symbols when scanned): checks again what gc may
 * have changed since, under the write lock gc also takes: stores the file
 * again from path when it is gone (provided path still has that content),
 * scans its symbols when its row is gone and they were not scanned, then
 * inserts the row.  0, or -1 with the message on the handle.
 */
int linkdb__object_put(struct linkdb *db, const char *path, const char *hex,
                       int64_t size, struct linkdb__syms *syms, bool scanned);
/* 1 when the object table already has hex, 0 when not, -1 on error. */
int linkdb__object_known(struct linkdb *db, const char *hex);

/* --- record.c ------------------------------------------------------------------ */

/* argv as the NUL-separated blob of argv columns: malloc'd, NULL when out of memory. */
char *linkdb__argv_blob(int argc, char *const *argv, size_t *len);

#endif

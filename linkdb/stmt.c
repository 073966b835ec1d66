/*
 * stmt.c: the handle's SQL: the statement table (prepared once per handle,
 * indexed by enum stmt), transactions, one-off statements, and the
 * message a failure leaves on the handle.
 *
 * Values are always bound, never formatted into SQL.  Writers take the
 * write lock at the start of every transaction (BEGIN IMMEDIATE), so two
 * writers never deadlock upgrading a read lock; the busy timeout set at
 * open makes them wait for each other.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_OBJECT_EXISTS] = "SELECT 1 FROM object WHERE hash = ?1",
	[ST_OBJECT_INSERT] =
		"INSERT OR IGNORE INTO object(hash, size, kind, lto) VALUES (?1, ?2, ?3, ?4)",
	[ST_SYMBOL_INSERT] =
		"INSERT OR IGNORE INTO symbol(object, defined, name, weak) VALUES (?1, ?2, ?3, ?4)",
	[ST_BUILD_INSERT] =
		"INSERT INTO build(started, tool, cwd, note) VALUES (?1, ?2, ?3, ?4)",
	[ST_COMPILE_INSERT] =
		"INSERT INTO compile(build, time, cwd, argv, language, output, object, status)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_SOURCE_INSERT] =
		"INSERT INTO compile_source(compile, seq, path, hash) VALUES (?1, ?2, ?3, ?4)",
	[ST_LINK_INSERT] =
		"INSERT INTO link(build, time, cwd, argv, language, output, output_hash, status)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_INPUT_INSERT] =
		"INSERT INTO link_input(link, seq, kind, value, path, object)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_INIT_INSERT] =
		"INSERT OR IGNORE INTO link_init(link, symbol, object) VALUES (?1, ?2, ?3)",
	[ST_INIT_FIND] =
		"SELECT name FROM symbol WHERE object = ?1 AND defined = 1"
		" AND (name GLOB 'PyInit_*' OR name GLOB 'PyInitU_*')",
	[ST_ARCHIVE_INSERT] =
		"INSERT INTO archive(build, time, cwd, argv, path, object)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_ARCHIVE_FIND] =
		"SELECT object FROM archive WHERE path = ?1 ORDER BY id DESC",
};

int
linkdb__seterr(struct linkdb *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->errmsg, sizeof(db->errmsg), fmt, ap);
	va_end(ap);
	return -1;
}

int
linkdb__sqlerr(struct linkdb *db, const char *what)
{
	return linkdb__seterr(db, "%s in '%s': %s", what, db->path,
	                      db->sql ? sqlite3_errmsg(db->sql) : "no database");
}

void (*linkdb__test_hook)(struct linkdb *db, const char *point, const char *arg);

sqlite3_stmt *
linkdb__stmt(struct linkdb *db, enum stmt id)
{
	sqlite3_stmt *st = db->stmts[id];

	if (!st) {
		if (sqlite3_prepare_v3(db->sql, stmt_sql[id], -1,
		                       SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
			linkdb__sqlerr(db, "cannot prepare a statement");
			return NULL;
		}
		db->stmts[id] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int
linkdb__step_done(struct linkdb *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		linkdb__sqlerr(db, what);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int
linkdb__begin(struct linkdb *db)
{
	sqlite3_stmt *st;

	if (db->flags & LINKDB_READONLY)
		return linkdb__seterr(db, "database '%s' is open read-only", db->path);
	LINKDB__HOOK(db, "begin", NULL);
	st = linkdb__stmt(db, ST_BEGIN_IMMEDIATE);
	return st ? linkdb__step_done(db, st, "cannot begin a transaction") : -1;
}

int
linkdb__commit(struct linkdb *db)
{
	sqlite3_stmt *st = linkdb__stmt(db, ST_COMMIT);

	if (!st || linkdb__step_done(db, st, "cannot commit") < 0) {
		linkdb__rollback(db);
		return -1;
	}
	return 0;
}

void
linkdb__rollback(struct linkdb *db)
{
	if (sqlite3_get_autocommit(db->sql))
		return;
	/* The statement table may itself be what failed: use exec. */
	sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

int
linkdb__pragma_int(struct linkdb *db, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
linkdb__exec(struct linkdb *db, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
		linkdb__seterr(db, "%s in '%s': %s", what, db->path,
		               msg ? msg : sqlite3_errmsg(db->sql));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

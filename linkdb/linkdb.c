/*
 * linkdb.c: the handle: opening (checks on the file and its directory, WAL,
 * migration, the store directory), closing, and what a handle tells.
 *
 * Opening refuses, before anything writes to it, whatever is not a pyweld
 * link database this code understands (schema.c); a read-only open never
 * writes, so it cannot migrate either.  Every failure leaves its message on
 * the handle, which the caller must still close.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *
linkdb_errmsg(const struct linkdb *db)
{
	return db ? db->errmsg : "out of memory";
}

const char *
linkdb_path(const struct linkdb *db)
{
	return db->path;
}

const char *
linkdb_store_dir(const struct linkdb *db)
{
	return db->store;
}

int
linkdb_schema_version(const struct linkdb *db)
{
	return db->version;
}

/*
 * PRAGMA journal_mode = WAL.  Switching a rollback-journal database needs
 * an exclusive lock, and SQLite answers SQLITE_BUSY at once, without the
 * busy handler, while another connection holds a lock on it (several
 * writers opening a fresh or an old database together): retried for as
 * long as the busy timeout, with a short sleep between tries.
 */
static int
switch_to_wal(struct linkdb *db)
{
	double deadline = util_now() + 120.0;
	unsigned delay_us = 1000;

	for (;;) {
		int rc = sqlite3_exec(db->sql, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) ||
		    util_now() > deadline)
			return linkdb__seterr(db, "cannot switch to WAL in '%s': %s", db->path,
			                      sqlite3_errmsg(db->sql));
		usleep(delay_us);
		if (delay_us < 50000)
			delay_us *= 2;
	}
}

static int
make_store(struct linkdb *db)
{
	if (util_mkdir_p(db->tmpdir, 0755) < 0)
		return linkdb__seterr(db, "cannot create the object store '%s': %s",
		                      db->store, strerror(errno));
	return 0;
}

int
linkdb_open(struct linkdb **out, const char *path, unsigned flags)
{
	struct linkdb *db;
	struct stat st;
	bool exists;
	int oflags;

	*out = db = calloc(1, sizeof(*db));
	if (!db)
		return -1;
	db->flags = flags;
	db->path = util_abspath(path);
	if (!db->path || asprintf(&db->store, "%s.store", db->path) < 0 ||
	    asprintf(&db->tmpdir, "%s/tmp", db->store) < 0) {
		db->store = db->tmpdir = NULL;
		return linkdb__seterr(db, "out of memory");
	}

	exists = stat(db->path, &st) == 0;
	if (exists && !S_ISREG(st.st_mode))
		return linkdb__seterr(db, "cannot open link database '%s': not a regular "
		                      "file", db->path);
	if (exists && (flags & LINKDB_EXCLUSIVE_CREATE))
		return linkdb__seterr(db, "cannot create link database '%s': it already "
		                      "exists", db->path);
	if (!exists && !(flags & LINKDB_CREATE))
		return linkdb__seterr(db, "cannot open link database '%s': no such file",
		                      db->path);
	if (!exists && (flags & LINKDB_READONLY))
		return linkdb__seterr(db, "cannot open link database '%s' read-only: no "
		                      "such file", db->path);
	if (exists && st.st_size > 0 && st.st_size < 512)
		return linkdb__seterr(db, "cannot open link database '%s': the file is "
		                      "truncated or not a database (%lld bytes)", db->path,
		                      (long long)st.st_size);

	oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	oflags |= (flags & LINKDB_READONLY) ? SQLITE_OPEN_READONLY
	          : SQLITE_OPEN_READWRITE | (exists ? 0 : SQLITE_OPEN_CREATE);
	if (!exists) {
		char *dir = util_dirname(db->path);
		bool ok = dir && util_is_dir(dir);
		int err = ok && access(dir, W_OK) < 0 ? errno : 0;
		free(dir);
		if (!ok)
			return linkdb__seterr(db, "cannot create link database '%s': its "
			                      "directory does not exist", db->path);
		if (err)
			return linkdb__seterr(db, "cannot create link database '%s': %s",
			                      db->path, strerror(err));
	}
	if (sqlite3_open_v2(db->path, &db->sql, oflags, NULL) != SQLITE_OK)
		return linkdb__seterr(db, "cannot open link database '%s': %s", db->path,
		                      db->sql ? sqlite3_errmsg(db->sql) : "out of memory");
	sqlite3_busy_timeout(db->sql, 120000);
	sqlite3_extended_result_codes(db->sql, 1);
	/* SQLite quietly opens a file it may not write read-only: say so now,
	 * not at the first write. */
	if (!(flags & LINKDB_READONLY) && sqlite3_db_readonly(db->sql, "main") == 1)
		return linkdb__seterr(db, "cannot write link database '%s': %s", db->path,
		                      access(db->path, W_OK) < 0 ? strerror(errno)
		                      : "SQLite opened it read-only");

	if (linkdb__check_identity(db) < 0)
		return -1;
	if (!(flags & LINKDB_READONLY)) {
		if (switch_to_wal(db) < 0) {
			if (access(db->path, W_OK) < 0 || errno == EROFS)
				return linkdb__seterr(db, "cannot write link database '%s': %s",
				                      db->path, strerror(errno));
			return -1;
		}
		if (linkdb__exec(db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
		         "cannot configure the database") < 0)
			return -1;
		if (db->version < LINKDB_SCHEMA_VERSION && linkdb__migrate(db) < 0)
			return -1;
		if (make_store(db) < 0)
			return -1;
	} else if (db->version < LINKDB_SCHEMA_VERSION) {
		return linkdb__seterr(db, "cannot read '%s' without upgrading it: schema "
		                      "version %d, this pyweld writes %d; open it once "
		                      "read-write", db->path, db->version,
		                      LINKDB_SCHEMA_VERSION);
	}
	db->errmsg[0] = '\0';
	return 0;
}

void
linkdb_close(struct linkdb *db)
{
	if (!db)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(db->stmts[i]);
	if (db->sql)
		sqlite3_close(db->sql);
	free(db->path);
	free(db->store);
	free(db->tmpdir);
	free(db);
}

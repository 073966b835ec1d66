/*
 * check.c: `pyweld db check`: SQLite's integrity and foreign-key checks,
 * and every object row against its store file (present, with the content
 * its name says).  It reads only; what it finds goes to the caller's
 * function, one problem at a time.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
linkdb_check(struct linkdb *db, linkdb_problem_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	int rc, problems = 0;
	char subject[128], msg[512];

	/* 1. SQLite's own view of the file. */
	if (sqlite3_prepare_v2(db->sql, "PRAGMA integrity_check", -1, &st, NULL) !=
	    SQLITE_OK)
		return linkdb__sqlerr(db, "cannot run the integrity check");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		if (r && strcmp(r, "ok") != 0) {
			fn(ctx, db->path, r);
			problems++;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return linkdb__sqlerr(db, "cannot run the integrity check");

	/* 2. References between records. */
	if (sqlite3_prepare_v2(db->sql, "PRAGMA foreign_key_check", -1, &st, NULL) !=
	    SQLITE_OK)
		return linkdb__sqlerr(db, "cannot run the foreign-key check");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(subject, sizeof(subject), "%s:%lld",
		         (const char *)sqlite3_column_text(st, 0),
		         (long long)sqlite3_column_int64(st, 1));
		snprintf(msg, sizeof(msg), "refers to a missing %s row",
		         (const char *)sqlite3_column_text(st, 2));
		fn(ctx, subject, msg);
		problems++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return linkdb__sqlerr(db, "cannot run the foreign-key check");

	/* 3. Every object row has its store file, with the content it names. */
	if (sqlite3_prepare_v2(db->sql, "SELECT hash, size FROM object ORDER BY hash",
	                       -1, &st, NULL) != SQLITE_OK)
		return linkdb__sqlerr(db, "cannot list objects");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *hex = (const char *)sqlite3_column_text(st, 0);
		int64_t size = sqlite3_column_int64(st, 1);
		char now[LINKDB_HASH_HEX + 1];
		char *path = linkdb_store_path(db, hex);
		struct stat sb;

		snprintf(subject, sizeof(subject), "object:%s", hex);
		if (!path) {
			sqlite3_finalize(st);
			return linkdb__seterr(db, "out of memory");
		}
		if (stat(path, &sb) < 0) {
			snprintf(msg, sizeof(msg), "store file '%s' is missing: %s", path,
			         strerror(errno));
			fn(ctx, subject, msg);
			problems++;
		} else if (linkdb_hash_file(path, now) < 0) {
			snprintf(msg, sizeof(msg), "store file '%s' cannot be read: %s", path,
			         strerror(errno));
			fn(ctx, subject, msg);
			problems++;
		} else if (strcmp(now, hex) != 0 || sb.st_size != size) {
			snprintf(msg, sizeof(msg), "store file '%s' was altered: its content "
			         "now hashes to %s (%lld bytes, recorded %lld)", path, now,
			         (long long)sb.st_size, (long long)size);
			fn(ctx, subject, msg);
			problems++;
		}
		free(path);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return linkdb__sqlerr(db, "cannot list objects");
	return problems;
}

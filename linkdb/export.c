/*
 * export.c: copying one build's records from a link database into another.
 *
 * The build cache (docs/buildcache.md) keeps the records of a package's
 * build in a link database of their own and enters them again into a later
 * build's database.  The copy is exact: every compile, link and archive
 * row with its sources, inputs and PyInit_* symbols, the object rows and
 * their symbols, and the store files they name, so that the weld finds
 * what the wrappers would have recorded.  Only the ids change (offset past
 * the destination's own) and the build they belong to.
 *
 * The source is attached to the destination's connection and read inside
 * the destination's write transaction; nothing is written to it.  A source
 * that fails SQLite's quick_check, or whose store lacks a file it names or
 * holds one whose content has another hash, fails the copy with nothing of
 * it committed.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The rows of the source's build ?1 (every build when ?1 < 0). */
#define OF_BUILD "(?1 < 0 OR build = ?1)"

/* Runs sql with ?1 = build, ?2 = offset, ?3 = the destination's build. */
static int
run3(struct linkdb *db, const char *sql, int64_t build, int64_t off, int64_t dst_build,
     const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return linkdb__sqlerr(db, what);
	sqlite3_bind_int64(st, 1, build);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, off);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, dst_build);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return linkdb__sqlerr(db, what);
	return 0;
}

/* The first column of sql's one row (?1 = build) as an integer. */
static int
query_i64(struct linkdb *db, const char *sql, int64_t build, int64_t *out, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return linkdb__sqlerr(db, what);
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, build);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return linkdb__sqlerr(db, what);
	return 0;
}

/* Copies the source store's file hex into db's store, checking its content. */
static int
copy_object(struct linkdb *db, const char *src_store, const char *hex)
{
	char *from = NULL, got[LINKDB_HASH_HEX + 1];
	int64_t size;
	int rc = -1;

	if (asprintf(&from, "%s/%.2s/%s", src_store, hex, hex) < 0)
		return linkdb__seterr(db, "out of memory");
	/* stored under the hash of what it holds: a damaged file is no
	 * object of the records, whatever it is named */
	if (linkdb__store_put(db, from, got, &size, NULL, NULL) == 0) {
		if (strcmp(got, hex))
			linkdb__seterr(db, "the stored object '%s' is damaged: its content has the "
			               "SHA-256 %s", from, got);
		else
			rc = 0;
	}
	free(from);
	return rc;
}

/* The objects the copied records name (temp.xobj), each into db's store. */
static int
copy_objects(struct linkdb *db, const char *src_store, int64_t build)
{
	sqlite3_stmt *st = NULL;
	int64_t missing = 0;
	int rc;

	if (run3(db, "CREATE TEMP TABLE IF NOT EXISTS xobj(hash TEXT PRIMARY KEY) WITHOUT ROWID",
	         build, 0, 0, "cannot copy the records") < 0 ||
	    run3(db, "DELETE FROM temp.xobj", build, 0, 0, "cannot copy the records") < 0 ||
	    run3(db, "INSERT OR IGNORE INTO temp.xobj"
	         " SELECT object FROM src.compile WHERE " OF_BUILD " AND object IS NOT NULL"
	         " UNION SELECT i.object FROM src.link_input i JOIN src.link l ON i.link = l.id"
	         "  WHERE (?1 < 0 OR l.build = ?1) AND i.object IS NOT NULL"
	         " UNION SELECT t.object FROM src.link_init t JOIN src.link l ON t.link = l.id"
	         "  WHERE (?1 < 0 OR l.build = ?1)"
	         " UNION SELECT object FROM src.archive WHERE " OF_BUILD,
	         build, 0, 0, "cannot read the records to copy") < 0)
		return -1;
	if (query_i64(db, "SELECT count(*) FROM temp.xobj WHERE hash NOT IN"
	              " (SELECT hash FROM src.object)", -1, &missing,
	              "cannot read the records to copy") < 0)
		return -1;
	if (missing)
		return linkdb__seterr(db, "the records name %lld object%s the database does not "
		                      "hold", (long long)missing, missing == 1 ? "" : "s");
	if (sqlite3_prepare_v2(db->sql, "SELECT hash FROM temp.xobj", -1, &st, NULL) != SQLITE_OK)
		return linkdb__sqlerr(db, "cannot read the records to copy");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *hex = (const char *)sqlite3_column_text(st, 0);
		if (!hex || !linkdb_is_hash(hex)) {
			sqlite3_finalize(st);
			return linkdb__seterr(db, "the records name an object that is no SHA-256");
		}
		if (copy_object(db, src_store, hex) < 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return linkdb__sqlerr(db, "cannot read the records to copy");
	return 0;
}

/* The rows, with ids moved past the destination's own. */
static int
copy_rows(struct linkdb *db, int64_t build, int64_t dst_build)
{
	static const struct {
		const char *table;              /* its ids get an offset */
		const char *rows, *children[2];
	} tables[] = {
		{ "compile",
		  "INSERT INTO main.compile(id, build, time, cwd, argv, language, output, object,"
		  " status) SELECT id + ?2, ?3, time, cwd, argv, language, output, object, status"
		  " FROM src.compile WHERE " OF_BUILD,
		  { "INSERT INTO main.compile_source(compile, seq, path, hash)"
		    " SELECT compile + ?2, seq, path, hash FROM src.compile_source WHERE compile IN"
		    " (SELECT id FROM src.compile WHERE " OF_BUILD ")", NULL } },
		{ "link",
		  "INSERT INTO main.link(id, build, time, cwd, argv, language, output, output_hash,"
		  " status) SELECT id + ?2, ?3, time, cwd, argv, language, output, output_hash, status"
		  " FROM src.link WHERE " OF_BUILD,
		  { "INSERT INTO main.link_input(link, seq, kind, value, path, object)"
		    " SELECT link + ?2, seq, kind, value, path, object FROM src.link_input WHERE link IN"
		    " (SELECT id FROM src.link WHERE " OF_BUILD ")",
		    "INSERT INTO main.link_init(link, symbol, object)"
		    " SELECT link + ?2, symbol, object FROM src.link_init WHERE link IN"
		    " (SELECT id FROM src.link WHERE " OF_BUILD ")" } },
		{ "archive",
		  "INSERT INTO main.archive(id, build, time, cwd, argv, path, object)"
		  " SELECT id + ?2, ?3, time, cwd, argv, path, object FROM src.archive WHERE " OF_BUILD,
		  { NULL, NULL } },
	};
	char sql[256];

	if (run3(db, "INSERT OR IGNORE INTO main.object(hash, size, kind, lto)"
	         " SELECT hash, size, kind, lto FROM src.object WHERE hash IN"
	         " (SELECT hash FROM temp.xobj)", build, 0, 0, "cannot copy the object rows") < 0 ||
	    run3(db, "INSERT OR IGNORE INTO main.symbol(object, defined, name, weak)"
	         " SELECT object, defined, name, weak FROM src.symbol WHERE object IN"
	         " (SELECT hash FROM temp.xobj)", build, 0, 0, "cannot copy the symbols") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		int64_t max = 0, min = 0, off;
		snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0) FROM main.%s",
		         tables[i].table);
		if (query_i64(db, sql, build, &max, "cannot copy the records") < 0)
			return -1;
		snprintf(sql, sizeof(sql), "SELECT coalesce(min(id), 1) FROM src.%s WHERE "
		         OF_BUILD, tables[i].table);
		if (query_i64(db, sql, build, &min, "cannot copy the records") < 0)
			return -1;
		off = max + 1 - min;
		if (run3(db, tables[i].rows, build, off, dst_build, "cannot copy the records") < 0)
			return -1;
		for (size_t c = 0; c < 2 && tables[i].children[c]; c++)
			if (run3(db, tables[i].children[c], build, off, dst_build,
			         "cannot copy the records") < 0)
				return -1;
	}
	return 0;
}

int
linkdb_copy_build(struct linkdb *db, const char *src_path, int64_t src_build,
                  int64_t dst_build)
{
	sqlite3_stmt *st = NULL;
	char *store = NULL;
	struct stat sb;
	int rc = -1;

	if (stat(src_path, &sb) < 0)
		return linkdb__seterr(db, "cannot read the link database '%s': %s", src_path,
		                      strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return linkdb__seterr(db, "cannot read the link database '%s': not a file",
		                      src_path);
	if (asprintf(&store, "%s.store", src_path) < 0)
		return linkdb__seterr(db, "out of memory");
	if (sqlite3_prepare_v2(db->sql, "ATTACH DATABASE ?1 AS src", -1, &st, NULL) != SQLITE_OK) {
		linkdb__sqlerr(db, "cannot attach the records to copy");
		goto out;
	}
	sqlite3_bind_text(st, 1, src_path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = -1;
		linkdb__sqlerr(db, "cannot attach the records to copy");
		goto out;
	}
	rc = -1;
	{
		int app = 0;
		if (linkdb__pragma_int(db, "PRAGMA src.application_id", &app) < 0 ||
		    app != LINKDB_APPLICATION_ID) {
			linkdb__seterr(db, "'%s' is not a pyweld link database or is damaged", src_path);
			goto detach;
		}
	}
	if (sqlite3_prepare_v2(db->sql, "PRAGMA src.quick_check", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok")) {
		sqlite3_finalize(st);
		linkdb__seterr(db, "the link database '%s' is damaged (SQLite's quick_check)",
		               src_path);
		goto detach;
	}
	sqlite3_finalize(st);
	if (linkdb__begin(db) < 0)
		goto detach;
	if (copy_objects(db, store, src_build) < 0 || copy_rows(db, src_build, dst_build) < 0) {
		linkdb__rollback(db);
		goto detach;
	}
	rc = linkdb__commit(db);
detach:
	{
		/* the message of a failure above stays; DETACH's own is not kept */
		char keep[sizeof(db->errmsg)];
		memcpy(keep, db->errmsg, sizeof(keep));
		sqlite3_exec(db->sql, "DETACH DATABASE src", NULL, NULL, NULL);
		memcpy(db->errmsg, keep, sizeof(keep));
	}
out:
	free(store);
	return rc;
}

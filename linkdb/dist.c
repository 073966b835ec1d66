/* dist.c: distribution records and the lookups the weld step needs. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int
linkdb_add_distribution(struct linkdb *db, const struct linkdb_distribution *d,
                        int64_t *id)
{
	struct linkdb__syms syms = { 0 };
	char hex[LINKDB_HASH_HEX + 1];
	bool scanned = false, stored = false;
	int64_t size = 0;
	sqlite3_stmt *st = NULL;

	if (d->libpython) {
		if (linkdb__store_put(db, d->libpython, hex, &size, &syms, &scanned) < 0)
			return -1;
		stored = true;
	}
	if (linkdb__begin(db) < 0)
		goto fail_nodb;
	if (stored && linkdb__object_put(db, d->libpython, hex, size, &syms, scanned) < 0)
		goto fail;
	if (sqlite3_prepare_v2(db->sql,
	                       "INSERT INTO distribution(python_version, abi, ext_suffix,"
	                       " prefix, libpython, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	                       -1, &st, NULL) != SQLITE_OK) {
		linkdb__sqlerr(db, "cannot prepare a distribution record");
		goto fail;
	}
	sqlite3_bind_text(st, 1, d->python_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->abi, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d->ext_suffix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d->prefix, -1, SQLITE_STATIC);
	if (stored)
		sqlite3_bind_text(st, 5, hex, -1, SQLITE_STATIC);
	if (d->data)
		sqlite3_bind_text(st, 6, d->data, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		linkdb__sqlerr(db, "cannot record a distribution");
		goto fail;
	}
	if (id)
		*id = sqlite3_last_insert_rowid(db->sql);
	sqlite3_finalize(st);
	linkdb__syms_free(&syms);
	return linkdb__commit(db);
fail:
	sqlite3_finalize(st);
	linkdb__rollback(db);
fail_nodb:
	linkdb__syms_free(&syms);
	return -1;
}

int
linkdb_find_link_by_output(struct linkdb *db, const char *hex, int64_t *link)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->sql, "SELECT id FROM link WHERE output_hash = ?1"
	                       " ORDER BY id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return linkdb__sqlerr(db, "cannot prepare a link lookup");
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*link = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return linkdb__sqlerr(db, "cannot look up a link");
}

int
linkdb_link_inits(struct linkdb *db, int64_t link, char ***names, size_t *n)
{
	struct strvec sv = { 0 };
	sqlite3_stmt *st;
	int rc;

	*names = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db->sql, "SELECT DISTINCT symbol FROM link_init WHERE"
	                       " link = ?1 ORDER BY symbol", -1, &st, NULL) != SQLITE_OK)
		return linkdb__sqlerr(db, "cannot prepare an init-symbol lookup");
	sqlite3_bind_int64(st, 1, link);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strvec_push(&sv, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || sv.failed) {
		strvec_free(&sv);
		return linkdb__sqlerr(db, "cannot read init symbols");
	}
	*names = sv.v;
	*n = sv.n;
	return 0;
}

int
linkdb_add_extension(struct linkdb *db, const struct linkdb_extension *e,
                     int64_t *id)
{
	sqlite3_stmt *st = NULL;

	if (linkdb__begin(db) < 0)
		return -1;
	if (sqlite3_prepare_v2(db->sql,
	                       "INSERT INTO extension(name, package, version, link,"
	                       " init_symbol, renamed_symbol, file) VALUES"
	                       " (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &st, NULL) != SQLITE_OK) {
		linkdb__sqlerr(db, "cannot prepare an extension record");
		goto fail;
	}
	sqlite3_bind_text(st, 1, e->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e->package, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->version, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, e->link);
	sqlite3_bind_text(st, 5, e->init_symbol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->renamed_symbol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, e->file, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		linkdb__sqlerr(db, "cannot record an extension");
		goto fail;
	}
	if (id)
		*id = sqlite3_last_insert_rowid(db->sql);
	sqlite3_finalize(st);
	return linkdb__commit(db);
fail:
	sqlite3_finalize(st);
	linkdb__rollback(db);
	return -1;
}

int
linkdb_object_sources(struct linkdb *db, const char *hex, linkdb_source_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->sql, "SELECT c.cwd, s.path, s.hash FROM compile c"
	                       " JOIN compile_source s ON s.compile = c.id"
	                       " WHERE c.object = ?1 AND c.status = 0 ORDER BY c.id, s.seq",
	                       -1, &st, NULL) != SQLITE_OK)
		return linkdb__sqlerr(db, "cannot prepare a lookup of an object's sources");
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(ctx, (const char *)sqlite3_column_text(st, 0),
		   (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : linkdb__sqlerr(db, "cannot look up an object's sources");
}

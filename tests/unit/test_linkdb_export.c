/*
 * test_linkdb_export: linkdb_copy_build, the build cache's copy of one
 * build's records from another link database (docs/buildcache.md).
 *
 * The copy is exact but for the ids and the build; only the build asked
 * for is copied; the copied link is found by its output's hash, with its
 * init symbols, and the destination passes linkdb_check (its store holds
 * every file).  A damaged source (a changed store file, a file that is no
 * database) fails the copy with nothing copied.
 */
#include "linkdb_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

/* How many rows of table belong to build. */
static int64_t
count_of(const char *db, const char *table, int64_t build)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE build = %lld", table,
	         (long long)build);
	return sql_int(db, sql);
}

/* The first column of sql's first row (? = build) as text (malloc'd; "" when NULL). */
static char *
sql_text(const char *path, const char *sql, int64_t build)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *out;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, build);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	out = xstrdup(sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

/* A source database: build b1 with a compile and a link, build b2 with a compile. */
static void
make_source(struct fx *fx, int64_t *b1, int64_t *b2)
{
	make_inputs(fx);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, b1), 0);
	record_ext_compile(fx, *b1);
	record_ext_link(fx, *b1);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, b2), 0);
	record_ext_compile(fx, *b2);
}

/* A destination with records of its own, so that the copied ids must move. */
static struct linkdb *
make_dest(struct fx *fx, char **path, int64_t *build)
{
	struct linkdb *dst = NULL;
	int64_t own;

	*path = in_dir(fx, "dst.linkdb");
	assert_int_equal(linkdb_open(&dst, *path, LINKDB_CREATE), 0);
	assert_int_equal(linkdb_begin_build(dst, "own", fx->dir, NULL, &own), 0);
	{
		struct fx other = *fx;
		other.db = dst;
		record_ext_compile(&other, own);
		record_ext_compile(&other, own);
		record_ext_link(&other, own);
	}
	assert_int_equal(linkdb_begin_build(dst, "copy", fx->dir, NULL, build), 0);
	return dst;
}

TEST(test_copy_build)
{
	char out_hex[LINKDB_HASH_HEX + 1], *dpath, **inits = NULL;
	struct problems pr = { 0 };
	struct linkdb *dst;
	int64_t b1, b2, d, link = 0;
	size_t n = 0;

	make_source(fx, &b1, &b2);
	dst = make_dest(fx, &dpath, &d);
	assert_int_equal(linkdb_copy_build(dst, fx->db_path, b1, d), 0);

	/* build b1 only: its compile and link, not b2's compile */
	assert_int_equal(count_of(dpath, "compile", d), count_of(fx->db_path, "compile", b1));
	assert_int_equal(count_of(dpath, "link", d), 1);
	/* the same rows but for the ids: compare them as text */
	/* the same rows but for the ids, in order: compared as text */
	static const char *const same[] = {
		"SELECT group_concat(r, ',') FROM (SELECT hex(argv) || cwd || coalesce(output, '')"
		" || coalesce(object, '') || status AS r FROM compile WHERE build = ? ORDER BY id)",
		"SELECT group_concat(r, ',') FROM (SELECT hex(argv) || cwd || output || output_hash"
		" || status AS r FROM link WHERE build = ? ORDER BY id)",
		"SELECT group_concat(r, ',') FROM (SELECT i.seq || i.kind || i.value ||"
		" coalesce(i.path, '') || coalesce(i.object, '') AS r FROM link_input i"
		" JOIN link l ON l.id = i.link WHERE l.build = ? ORDER BY l.id, i.seq)",
		"SELECT group_concat(r, ',') FROM (SELECT s.seq || s.path || coalesce(s.hash, '')"
		" AS r FROM compile_source s JOIN compile c ON c.id = s.compile WHERE c.build = ?"
		" ORDER BY c.id, s.seq)",
		"SELECT group_concat(r, ',') FROM (SELECT t.symbol || t.object AS r FROM link_init t"
		" JOIN link l ON l.id = t.link WHERE l.build = ? ORDER BY l.id, t.symbol, t.object)",
	};
	for (size_t i = 0; i < countof(same); i++) {
		char *x, *y;
		x = sql_text(fx->db_path, same[i], b1);
		y = sql_text(dpath, same[i], d);
		assert_non_null(x);
		assert_string_equal(x, y);
		free(x);
		free(y);
	}
	/* the weld's match: the newest link with the output's hash is the copy */
	file_hash("foo.so", out_hex);
	assert_int_equal(linkdb_find_link_by_output(dst, out_hex, &link), 1);
	assert_int_equal(sql_int(dpath, "SELECT max(id) FROM link"), link);
	assert_int_equal(linkdb_link_inits(dst, link, &inits, &n), 0);
	assert_true(n >= 1);
	for (size_t i = 0; i < n; i++)
		free(inits[i]);
	free(inits);
	/* every object row and store file is there */
	assert_int_equal(linkdb_check(dst, on_problem, &pr), 0);
	problems_free(&pr);
	linkdb_close(dst);
	free(dpath);
}

TEST(test_copy_damaged_store)
{
	char *dpath, *obj;
	struct linkdb *dst;
	int64_t b1, b2, d;
	char hex[LINKDB_HASH_HEX + 1];

	make_source(fx, &b1, &b2);
	file_hash("ext.o", hex);
	obj = linkdb_store_path(fx->db, hex);
	assert_int_equal(chmod(obj, 0644), 0);
	put_text(obj, "not the object\n");
	dst = make_dest(fx, &dpath, &d);
	assert_int_equal(linkdb_copy_build(dst, fx->db_path, b1, d), -1);
	assert_contains(linkdb_errmsg(dst), "damaged");
	assert_int_equal(count_of(dpath, "compile", d), 0);
	assert_int_equal(count_of(dpath, "link", d), 0);
	/* no transaction is left open: the handle still records */
	assert_int_equal(linkdb_begin_build(dst, "after", fx->dir, NULL, &d), 0);
	linkdb_close(dst);
	free(dpath);
	free(obj);
}

TEST(test_copy_not_a_database)
{
	char *dpath, *bad = in_dir(fx, "bad.linkdb"), *missing = in_dir(fx, "missing.linkdb");
	struct linkdb *dst;
	int64_t d;

	make_inputs(fx);
	put_text(bad, "SQLite format 3? no: a text file\n");
	dst = make_dest(fx, &dpath, &d);
	assert_int_equal(linkdb_copy_build(dst, bad, -1, d), -1);
	assert_int_equal(linkdb_copy_build(dst, missing, -1, d), -1);
	assert_contains(linkdb_errmsg(dst), "missing.linkdb");
	assert_int_equal(count_of(dpath, "compile", d), 0);
	linkdb_close(dst);
	free(dpath);
	free(bad);
	free(missing);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_copy_build),
		T(test_copy_damaged_store),
		T(test_copy_not_a_database),
	};

	return linkdb_test_run("linkdb_export", tests, countof(tests));
}

/*
 * test_linkdb_open: opening, creating and migrating a link database.
 *
 * A new database, a read-only handle that refuses writes, files that are not
 * link databases (truncated, garbage, a foreign SQLite database, a newer
 * schema), and migration from version 1 (the fixture in unit/fixtures),
 * also by two handles at once.
 */
#include "linkdb_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(test_open_create_reopen)
{
	struct linkdb *db = NULL;
	char *path = in_dir(fx, "new.linkdb"), *store = xasprintf("%s.store", path);
	char *tmp = xasprintf("%s/tmp", store), *sub = in_dir(fx, "subdir");

	/* Missing, without CREATE: an error naming the file; the handle exists. */
	assert_int_equal(linkdb_open(&db, path, 0), -1);
	assert_non_null(db);
	assert_contains(linkdb_errmsg(db), path);
	assert_contains(linkdb_errmsg(db), "no such file");
	linkdb_close(db);
	assert_int_equal(linkdb_open(&db, path, LINKDB_READONLY), -1);
	assert_contains(linkdb_errmsg(db), path);
	linkdb_close(db);
	assert_int_equal(linkdb_open(&db, path, LINKDB_READONLY | LINKDB_CREATE), -1);
	assert_contains(linkdb_errmsg(db), "read-only");
	assert_contains(linkdb_errmsg(db), path);
	linkdb_close(db);
	assert_false(util_is_file(path));
	assert_false(util_is_dir(store));

	/* Create: schema, identity, WAL, store and its tmp directory. */
	assert_int_equal(linkdb_open(&db, path, LINKDB_CREATE | LINKDB_EXCLUSIVE_CREATE), 0);
	assert_string_equal(linkdb_errmsg(db), "");
	assert_int_equal(linkdb_schema_version(db), LINKDB_SCHEMA_VERSION);
	assert_int_equal(LINKDB_SCHEMA_VERSION, 2);
	assert_string_equal(linkdb_path(db), path);
	assert_string_equal(linkdb_store_dir(db), store);
	assert_true(util_is_dir(store));
	assert_true(util_is_dir(tmp));
	linkdb_close(db);
	assert_int_equal(sql_int(path, "PRAGMA application_id"), LINKDB_APPLICATION_ID);
	assert_int_equal(sql_int(path, "PRAGMA user_version"), LINKDB_SCHEMA_VERSION);
	assert_int_equal(header_journal(path), 2);     /* WAL */

	/* Exclusive create of an existing file fails; plain opens succeed. */
	assert_int_equal(linkdb_open(&db, path, LINKDB_CREATE | LINKDB_EXCLUSIVE_CREATE), -1);
	assert_contains(linkdb_errmsg(db), "already exists");
	assert_contains(linkdb_errmsg(db), path);
	linkdb_close(db);
	assert_int_equal(linkdb_open(&db, path, 0), 0);
	assert_int_equal(linkdb_schema_version(db), 2);
	linkdb_close(db);
	assert_int_equal(linkdb_open(&db, path, LINKDB_READONLY), 0);
	assert_int_equal(linkdb_schema_version(db), 2);
	linkdb_close(db);

	/* A relative path comes back absolute (the test runs in fx->dir). */
	assert_int_equal(linkdb_open(&db, "./subdir/../new.linkdb", 0), 0);
	assert_string_equal(linkdb_path(db), path);
	linkdb_close(db);

	/* A directory is not a database; a missing directory is named. */
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(linkdb_open(&db, sub, LINKDB_CREATE), -1);
	assert_contains(linkdb_errmsg(db), "not a regular file");
	assert_contains(linkdb_errmsg(db), sub);
	linkdb_close(db);
	assert_int_equal(linkdb_open(&db, "no/such/dir/x.linkdb", LINKDB_CREATE), -1);
	assert_contains(linkdb_errmsg(db), "directory does not exist");
	assert_contains(linkdb_errmsg(db), "/no/such/dir/x.linkdb");
	linkdb_close(db);

	/* NULL handles. */
	linkdb_close(NULL);
	assert_string_equal(linkdb_errmsg(NULL), "out of memory");

	free(path);
	free(store);
	free(tmp);
	free(sub);
}

TEST(test_open_readonly_refuses_writes)
{
	struct linkdb *ro = NULL;
	struct linkdb_counts before, after;
	struct linkdb_gc_stats gs;
	char hex[LINKDB_HASH_HEX + 1];
	int64_t id = 0;

	compile_c(fx, "ext", ext_c);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, &id), 0);
	record_ext_compile(fx, id);
	assert_int_equal(linkdb_counts(fx->db, &before), 0);

	assert_int_equal(linkdb_open(&ro, fx->db_path, LINKDB_READONLY), 0);
	/* Reading works. */
	assert_int_equal(linkdb_counts(ro, &after), 0);
	assert_int_equal(after.compiles, 1);
	assert_int_equal(linkdb_check(ro, on_problem, &(struct problems){ 0 }), 0);

	/* Every write is refused with a message naming the database. */
	char *obj = in_dir(fx, "ext.o");
	assert_int_equal(linkdb_begin_build(ro, "test", "/", NULL, &id), -1);
	assert_contains(linkdb_errmsg(ro), "read-only");
	assert_contains(linkdb_errmsg(ro), fx->db_path);
	assert_int_equal(linkdb_store_file(ro, obj, hex), -1);
	assert_contains(linkdb_errmsg(ro), "read-only");
	{
		struct linkdb_compile c = { .cwd = fx->dir, .argc = COMPILE_ARGC,
		                            .argv = compile_argv, .output = "ext.o" };
		assert_int_equal(linkdb_add_compile(ro, 0, &c, NULL), -1);
		assert_contains(linkdb_errmsg(ro), "read-only");
	}
	{
		struct linkdb_input in = { LINKDB_IN_OBJECT, "ext.o", NULL };
		struct linkdb_link l = { .cwd = fx->dir, .argc = COMPILE_ARGC,
		                         .argv = compile_argv, .output = "ext.o",
		                         .ninputs = 1, .inputs = &in };
		assert_int_equal(linkdb_add_link(ro, 0, &l, NULL), -1);
		assert_contains(linkdb_errmsg(ro), "read-only");
	}
	{
		struct linkdb_archive a = { .cwd = fx->dir, .argc = COMPILE_ARGC,
		                            .argv = compile_argv, .path = "ext.o" };
		assert_int_equal(linkdb_add_archive(ro, 0, &a, NULL), -1);
		assert_contains(linkdb_errmsg(ro), "read-only");
	}
	assert_int_equal(linkdb_gc(ro, false, 0, &gs), -1);
	assert_contains(linkdb_errmsg(ro), "read-only");
	/* A dry run only reads. */
	assert_int_equal(linkdb_gc(ro, true, 0, &gs), 0);
	assert_int_equal(gs.rows_dropped + gs.files_removed, 0);
	linkdb_close(ro);

	assert_int_equal(linkdb_counts(fx->db, &after), 0);
	assert_memory_equal(&before, &after, sizeof(before));
	free(obj);
}

/* Opens path with flags and asserts the failure message contains both parts. */
static void
assert_open_fails(const char *path, unsigned flags, const char *part)
{
	struct linkdb *db = NULL;

	assert_int_equal(linkdb_open(&db, path, flags), -1);
	assert_non_null(db);
	assert_contains(linkdb_errmsg(db), path);
	assert_contains(linkdb_errmsg(db), part);
	linkdb_close(db);
}

TEST(test_open_truncated_and_garbage)
{
	char *cut = in_dir(fx, "cut.linkdb"), *junk = in_dir(fx, "junk.linkdb");
	char h1[LINKDB_HASH_HEX + 1], h2[LINKDB_HASH_HEX + 1], after[LINKDB_HASH_HEX + 1];
	unsigned char buf[8192];
	size_t len;
	char *whole;

	/* A real database cut to 100 bytes. */
	linkdb_close(fx->db);
	fx->db = NULL;
	whole = slurp(fx->db_path, &len);
	assert_true(len >= 4096);
	put_file(cut, whole, 100);
	free(whole);
	/* Garbage: deterministic pseudo-random bytes. */
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
	put_file(junk, buf, sizeof(buf));
	file_hash(cut, h1);
	file_hash(junk, h2);

	static const unsigned modes[] = { 0, LINKDB_READONLY, LINKDB_CREATE };
	for (size_t m = 0; m < 3; m++) {
		assert_open_fails(cut, modes[m], "truncated or not a database (100 bytes)");
		assert_open_fails(junk, modes[m], "not a SQLite database or is damaged");
	}
	file_hash(cut, after);
	assert_string_equal(h1, after);
	file_hash(junk, after);
	assert_string_equal(h2, after);
	assert_false(util_is_dir("cut.linkdb.store"));
	assert_false(util_is_dir("junk.linkdb.store"));
	free(cut);
	free(junk);
}

TEST(test_open_refuses_newer_schema)
{
	char before[LINKDB_HASH_HEX + 1], after[LINKDB_HASH_HEX + 1];

	linkdb_close(fx->db);
	fx->db = NULL;
	sql_exec(fx->db_path, "PRAGMA user_version = 99");
	file_hash(fx->db_path, before);
	assert_open_fails(fx->db_path, 0, "schema version 99 is newer than this pyweld "
	                  "understands (2)");
	assert_open_fails(fx->db_path, LINKDB_READONLY, "schema version 99");
	assert_open_fails(fx->db_path, LINKDB_CREATE, "(2)");
	file_hash(fx->db_path, after);
	assert_string_equal(before, after);
	assert_int_equal(sql_int(fx->db_path, "PRAGMA user_version"), 99);
}

TEST(test_open_refuses_foreign_sqlite)
{
	char *other = in_dir(fx, "other.sqlite"), *app = in_dir(fx, "app.sqlite");
	char before[LINKDB_HASH_HEX + 1], after[LINKDB_HASH_HEX + 1];

	/* An application's own database: tables, no application_id or version. */
	sql_exec(other, "CREATE TABLE t(x); INSERT INTO t VALUES (1)");
	file_hash(other, before);
	assert_open_fails(other, 0, "not a pyweld link database");
	assert_open_fails(other, LINKDB_READONLY, "not a pyweld link database");
	assert_open_fails(other, LINKDB_CREATE, "not a pyweld link database");
	/* Nothing was written to it: not even the journal mode. */
	file_hash(other, after);
	assert_string_equal(before, after);
	assert_int_equal(header_journal(other), 1);    /* still a rollback journal */
	assert_false(util_is_dir("other.sqlite.store"));

	/* Another application's id. */
	sql_exec(app, "PRAGMA application_id = 12345; PRAGMA user_version = 1;");
	file_hash(app, before);
	assert_open_fails(app, 0, "not a pyweld link database");
	file_hash(app, after);
	assert_string_equal(before, after);
	free(other);
	free(app);
}

/* Makes a version-1 database at path from the fixture. */
static void
load_v1(const char *path)
{
	char *sql = NULL;
	size_t len;

	sql = slurp(PYWELD_TEST_FIXTURES "/linkdb-v1.sql", &len);
	sql_exec(path, sql);
	free(sql);
	assert_int_equal(sql_int(path, "PRAGMA user_version"), 1);
}

TEST(test_migrate_from_v1)
{
	char *old = in_dir(fx, "old.linkdb"), *hello = in_dir(fx, "hello.txt");
	char before[LINKDB_HASH_HEX + 1], after[LINKDB_HASH_HEX + 1], hex[LINKDB_HASH_HEX + 1];
	struct linkdb *db = NULL;
	struct linkdb_counts c;
	struct problems pr = { 0 };
	struct rows rs = { 0 };
	const struct crow *r;

	load_v1(old);
	assert_int_equal(sql_int(old, "SELECT count(*) FROM sqlite_schema"
	                         " WHERE name = 'archive'"), 0);

	/* Read-only cannot migrate: refused, naming both versions, untouched. */
	file_hash(old, before);
	assert_open_fails(old, LINKDB_READONLY, "schema version 1, this pyweld writes 2");
	file_hash(old, after);
	assert_string_equal(before, after);

	/* Read-write migrates to 2, keeping every row. */
	assert_int_equal(linkdb_open(&db, old, 0), 0);
	assert_int_equal(linkdb_schema_version(db), 2);
	assert_int_equal(sql_int(old, "PRAGMA user_version"), 2);
	assert_int_equal(sql_int(old, "PRAGMA application_id"), LINKDB_APPLICATION_ID);
	assert_int_equal(sql_int(old, "SELECT count(*) FROM sqlite_schema"
	                         " WHERE name IN ('archive', 'archive_by_path')"), 2);
	/* The fixture's schema plus the migration is exactly what the code creates. */
	char *fresh = sql_schema(fx->db_path), *migrated = sql_schema(old);
	assert_string_equal(fresh, migrated);
	free(fresh);
	free(migrated);

	assert_int_equal(linkdb_counts(db, &c), 0);
	assert_int_equal(c.builds, 1);
	assert_int_equal(c.compiles, 1);
	assert_int_equal(c.links, 1);
	assert_int_equal(c.archives, 0);
	assert_int_equal(c.objects, 1);
	assert_int_equal(c.symbols, 2);
	assert_int_equal(c.extensions, 1);
	assert_int_equal(c.distributions, 1);

	list(db, LINKDB_LIST_BUILDS, &rs);
	assert_int_equal(rs.n, 1);
	r = nth(&rs, "build", 0);
	assert_string_equal(text(r, "tool"), "pip");
	assert_string_equal(text(r, "note"), "v1 fixture");
	assert_int_equal(integer(r, "compiles"), 1);
	assert_int_equal(integer(r, "links"), 1);
	assert_int_equal(integer(r, "archives"), 0);

	show(db, "compile:1", &rs);
	r = nth(&rs, "compile", 0);
	assert_int_equal(cell(r, "argv")->type, LINKDB_ARGV);
	assert_int_equal(cell(r, "argv")->argc, 5);
	assert_memory_equal(cell(r, "argv")->s, "cc\0-c\0spam.c\0-o\0spam.o\0", 24);
	assert_string_equal(text(r, "object"), SHA256_HELLO);
	assert_true(is_null(nth(&rs, "source", 0), "hash"));

	list(db, LINKDB_LIST_LINKS, &rs);
	r = nth(&rs, "link", 0);
	assert_string_equal(text(r, "init_symbols"), "PyInit_spam");
	assert_int_equal(integer(r, "inputs"), 2);

	show(db, "extension:spam", &rs);
	assert_string_equal(rs.v[0].section, "extension");
	assert_string_equal(text(&rs.v[0], "init_symbol"), "PyInit_spam");
	assert_int_equal(integer(&rs.v[0], "link"), 1);
	assert_int_equal(count_section(&rs, "link"), 1);

	list(db, LINKDB_LIST_DISTRIBUTIONS, &rs);
	assert_string_equal(text(nth(&rs, "distribution", 0), "abi"), "cp311");
	rows_free(&rs);

	/* The fixture's object has no store file yet: check says so. */
	assert_int_equal(linkdb_check(db, on_problem, &pr), 1);
	assert_string_equal(pr.subjects.v[0], "object:" SHA256_HELLO);
	assert_contains(pr.texts.v[0], "is missing");
	problems_free(&pr);
	/* Storing its content brings it back; the known row is kept as it was. */
	put_text(hello, "hello\n");
	assert_int_equal(linkdb_store_file(db, hello, hex), 0);
	assert_string_equal(hex, SHA256_HELLO);
	assert_int_equal(linkdb_check(db, on_problem, &pr), 0);
	assert_int_equal(sql_int(old, "SELECT count(*) FROM object WHERE kind = 'other'"), 1);

	/* Version 2 works: an archive can be recorded. */
	{
		char arg[] = "ar";
		char *argv[] = { arg };
		struct linkdb_archive a = { .cwd = fx->dir, .argc = 1, .argv = argv,
		                            .path = "hello.txt" };
		int64_t id = 0;
		assert_int_equal(linkdb_add_archive(db, 0, &a, &id), 0);
		assert_int_equal(id, 1);
	}
	linkdb_close(db);

	/* Reopening does not migrate again. */
	assert_int_equal(linkdb_open(&db, old, LINKDB_READONLY), 0);
	assert_int_equal(linkdb_schema_version(db), 2);
	linkdb_close(db);
	free(old);
	free(hello);
}

TEST(test_migrate_concurrently_once)
{
	enum { N = 6 };
	char *old = in_dir(fx, "race.linkdb");
	pid_t pids[N];

	load_v1(old);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct linkdb *db = NULL;
			int rc = linkdb_open(&db, old, 0) == 0 &&
			         linkdb_schema_version(db) == 2 ? 0 : 1;
			if (rc)
				fprintf(stderr, "child %d: %s\n", i, linkdb_errmsg(db));
			linkdb_close(db);
			_exit(rc);
		}
	}
	for (int i = 0; i < N; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(sql_int(old, "PRAGMA user_version"), 2);
	assert_int_equal(sql_int(old, "SELECT count(*) FROM sqlite_schema"
	                         " WHERE name = 'archive'"), 1);
	assert_int_equal(sql_int(old, "SELECT count(*) FROM compile"), 1);
	free(old);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_create_reopen),
		T(test_open_readonly_refuses_writes),
		T(test_open_truncated_and_garbage),
		T(test_open_refuses_newer_schema),
		T(test_open_refuses_foreign_sqlite),
		T(test_migrate_from_v1),
		T(test_migrate_concurrently_once),
	};

	return linkdb_test_run("linkdb_open", tests, countof(tests));
}

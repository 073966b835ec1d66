/*
 * test_linkdb_query: reading the database back, and checking it.
 *
 * linkdb_list, linkdb_show (every kind, hash prefixes, a caller that stops
 * the walk), linkdb_counts, and linkdb_check on a clean database and on
 * damaged ones (missing and altered store files, broken references).
 */
#include "linkdb_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TEST(test_list_show_counts)
{
	struct rows rs = { 0 };
	struct linkdb_counts c;
	int64_t build = 0, cid, lid;
	char spec[80], ext_hex[LINKDB_HASH_HEX + 1];
	int64_t bytes = 0;

	make_inputs(fx);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, "all kinds", &build), 0);
	cid = record_ext_compile(fx, build);
	lid = record_ext_link(fx, build);
	{
		char a0[] = "ar";
		char *argv[] = { a0 };
		struct linkdb_archive a = { .cwd = fx->dir, .argc = 1, .argv = argv,
		                            .path = "libhelp.a" };
		assert_int_equal(linkdb_add_archive(fx->db, build, &a, NULL), 0);
	}
	file_hash("ext.o", ext_hex);
	/* Extension and distribution rows are written by the weld step, which
	 * does not exist yet: put them in directly. */
	{
		char *sql = xasprintf(
			"INSERT INTO distribution(python_version, abi, ext_suffix, prefix)"
			" VALUES ('3.12.1', 'cp312', '.cpython-312-x86_64-linux-gnu.so', '/opt/py');"
			"INSERT INTO extension(name, package, version, link, init_symbol,"
			" renamed_symbol, file, distribution) VALUES ('foo', 'foopkg', '2.0',"
			" %lld, 'PyInit_foo', 'PyInit_foo__pyweld_1', 'foo.so', 1);",
			(long long)lid);
		sql_exec(fx->db_path, sql);
		free(sql);
	}

	list(fx->db, LINKDB_LIST_BUILDS, &rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(integer(&rs.v[0], "compiles"), 1);
	assert_int_equal(integer(&rs.v[0], "links"), 1);
	assert_int_equal(integer(&rs.v[0], "archives"), 1);
	list(fx->db, LINKDB_LIST_COMPILES, &rs);
	assert_int_equal(rs.n, 1);
	list(fx->db, LINKDB_LIST_LINKS, &rs);
	assert_int_equal(rs.n, 1);
	list(fx->db, LINKDB_LIST_ARCHIVES, &rs);
	assert_int_equal(rs.n, 1);
	list(fx->db, LINKDB_LIST_OBJECTS, &rs);
	assert_int_equal(rs.n, 4);                      /* ext.o uinit.o libhelp.a libdep.so */
	for (size_t i = 1; i < rs.n; i++)               /* ordered by hash */
		assert_true(strcmp(text(&rs.v[i - 1], "hash"), text(&rs.v[i], "hash")) < 0);
	const struct crow *o = find_row(&rs, "object", "hash", ext_hex);
	assert_non_null(o);
	assert_int_equal(integer(o, "defined"), 2);      /* PyInit_foo, weak_fn */
	assert_int_equal(integer(o, "undefined"), 2);    /* helper, printf */
	for (size_t i = 0; i < rs.n; i++)
		bytes += integer(&rs.v[i], "size");
	list(fx->db, LINKDB_LIST_EXTENSIONS, &rs);
	assert_int_equal(rs.n, 1);
	assert_string_equal(text(&rs.v[0], "name"), "foo");
	assert_string_equal(text(&rs.v[0], "renamed_symbol"), "PyInit_foo__pyweld_1");
	list(fx->db, LINKDB_LIST_DISTRIBUTIONS, &rs);
	assert_int_equal(rs.n, 1);
	assert_string_equal(text(&rs.v[0], "python_version"), "3.12.1");

	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.builds, 1);
	assert_int_equal(c.compiles, 1);
	assert_int_equal(c.links, 1);
	assert_int_equal(c.archives, 1);
	assert_int_equal(c.objects, 4);
	assert_int_equal(c.symbols, sql_int(fx->db_path, "SELECT count(*) FROM symbol"));
	assert_true(c.symbols >= 10);
	assert_int_equal(c.extensions, 1);
	assert_int_equal(c.distributions, 1);
	assert_int_equal(c.store_files, 4);
	assert_int_equal(c.store_bytes, bytes);

	/* show for each kind: the record first, then what belongs to it. */
	snprintf(spec, sizeof(spec), "link:%lld", (long long)lid);
	show(fx->db, spec, &rs);
	assert_string_equal(rs.v[0].section, "link");
	assert_int_equal(count_section(&rs, "link"), 1);
	assert_int_equal(count_section(&rs, "extension"), 1);
	assert_string_equal(text(nth(&rs, "extension", 0), "name"), "foo");
	show(fx->db, "extension:foo", &rs);
	assert_string_equal(rs.v[0].section, "extension");
	assert_string_equal(text(&rs.v[0], "package"), "foopkg");
	assert_int_equal(integer(nth(&rs, "link", 0), "id"), lid);
	snprintf(spec, sizeof(spec), "build:%lld", (long long)build);
	show(fx->db, spec, &rs);
	assert_string_equal(rs.v[0].section, "build");
	assert_int_equal(count_section(&rs, "compile"), 1);
	assert_int_equal(integer(nth(&rs, "compile", 0), "id"), cid);
	assert_int_equal(count_section(&rs, "link"), 1);
	assert_int_equal(count_section(&rs, "archive"), 1);
	snprintf(spec, sizeof(spec), "object:%s", ext_hex);
	show(fx->db, spec, &rs);
	assert_int_equal(count_section(&rs, "compile"), 1);     /* made by the compile */
	assert_int_equal(count_section(&rs, "link"), 1);        /* used by the link */
	assert_string_equal(text(nth(&rs, "link", 0), "value"), "ext.o");
	assert_int_equal(count_section(&rs, "archive"), 0);

	/* Errors say what is wrong with the spec. */
	static const struct { const char *spec, *msg; } bad[] = {
		{ "link", "expected KIND:ID" },
		{ "link:abc", "not a record number" },
		{ "link:999", "no link '999'" },
		{ "compile:999", "no compile '999'" },
		{ "archive:999", "no archive '999'" },
		{ "build:999", "no build '999'" },
		{ "extension:nope", "no extension 'nope'" },
		{ "object:abc", "not an object hash" },
		{ "object:ABCDEF", "not an object hash" },
		{ "object:000000", "no object '000000'" },
		{ "frob:1", "unknown kind 'frob'" },
	};
	for (size_t i = 0; i < countof(bad); i++) {
		rows_free(&rs);
		assert_int_equal(linkdb_show(fx->db, bad[i].spec, collect, &rs), -1);
		assert_contains(linkdb_errmsg(fx->db), bad[i].msg);
		assert_int_equal(rs.n, 0);
	}
	/* An ambiguous prefix. */
	sql_exec(fx->db_path,
	         "INSERT INTO object(hash, size, kind) VALUES"
	         " ('abcdef0000000000000000000000000000000000000000000000000000000000', 1, 'other'),"
	         " ('abcdef1111111111111111111111111111111111111111111111111111111111', 1, 'other')");
	assert_int_equal(linkdb_show(fx->db, "object:abcdef", collect, &rs), -1);
	assert_contains(linkdb_errmsg(fx->db), "ambiguous");
	show(fx->db, "object:abcdef1", &rs);
	assert_string_equal(text(&rs.v[0], "hash"),
	                    "abcdef1111111111111111111111111111111111111111111111111111111111");
	assert_int_equal(linkdb_list(fx->db, (enum linkdb_list)42, collect, &rs), -1);
	assert_contains(linkdb_errmsg(fx->db), "unknown listing");

	/* A callback that says stop stops the walk. */
	rows_free(&rs);
	rs.stop_after = 2;
	assert_int_equal(linkdb_list(fx->db, LINKDB_LIST_OBJECTS, collect, &rs), -1);
	assert_int_equal(rs.n, 2);
	assert_contains(linkdb_errmsg(fx->db), "stopped");
	rows_free(&rs);
	rs.stop_after = 1;
	snprintf(spec, sizeof(spec), "link:%lld", (long long)lid);
	assert_int_equal(linkdb_show(fx->db, spec, collect, &rs), -1);
	assert_int_equal(rs.n, 1);
	assert_contains(linkdb_errmsg(fx->db), "stopped");
	rows_free(&rs);
}

TEST(test_check)
{
	struct problems pr = { 0 };
	char hex[LINKDB_HASH_HEX + 1], *sp, *sp2, hex2[LINKDB_HASH_HEX + 1];
	int64_t build = 0;
	struct stat st;
	size_t n;
	char *content;

	make_inputs(fx);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, &build), 0);
	record_ext_compile(fx, build);
	record_ext_link(fx, build);
	assert_int_equal(linkdb_check(fx->db, on_problem, &pr), 0);
	assert_int_equal(pr.n, 0);

	/* Alter one byte of a stored object (same size). */
	file_hash("ext.o", hex);
	sp = linkdb_store_path(fx->db, hex);
	assert_int_equal(stat(sp, &st), 0);
	assert_int_equal(chmod(sp, 0644), 0);
	content = slurp(sp, &n);
	content[n / 2] ^= 0x5a;
	put_file(sp, content, n);
	free(content);
	assert_int_equal(linkdb_check(fx->db, on_problem, &pr), 1);
	assert_int_equal(pr.n, 1);
	assert_true(util_starts_with(pr.subjects.v[0], "object:"));
	assert_string_equal(pr.subjects.v[0] + 7, hex);
	assert_contains(pr.texts.v[0], sp);
	assert_contains(pr.texts.v[0], "was altered");
	problems_free(&pr);

	/* A read-only handle sees the same. */
	{
		struct linkdb *ro = NULL;
		assert_int_equal(linkdb_open(&ro, fx->db_path, LINKDB_READONLY), 0);
		assert_int_equal(linkdb_check(ro, on_problem, &pr), 1);
		problems_free(&pr);
		linkdb_close(ro);
	}

	/* Delete another: two problems. */
	file_hash("libhelp.a", hex2);
	sp2 = linkdb_store_path(fx->db, hex2);
	assert_int_equal(unlink(sp2), 0);
	assert_int_equal(linkdb_check(fx->db, on_problem, &pr), 2);
	bool saw_missing = false;
	for (int i = 0; i < pr.n; i++) {
		if (strstr(pr.texts.v[i], "is missing")) {
			saw_missing = true;
			assert_contains(pr.subjects.v[i], hex2);
			assert_contains(pr.texts.v[i], sp2);
		}
	}
	assert_true(saw_missing);
	problems_free(&pr);

	/* A reference to a record that does not exist. */
	sql_exec(fx->db_path, "INSERT INTO link_input(link, seq, kind, value) VALUES"
	         " (4242, 0, 'lib', '-lz')");
	assert_int_equal(linkdb_check(fx->db, on_problem, &pr), 3);
	bool saw_fk = false;
	for (int i = 0; i < pr.n; i++) {
		if (strstr(pr.texts.v[i], "refers to a missing link row")) {
			saw_fk = true;
			assert_true(util_starts_with(pr.subjects.v[i], "link_input"));
		}
	}
	assert_true(saw_fk);
	problems_free(&pr);
	free(sp);
	free(sp2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_list_show_counts),
		T(test_check),
	};

	return linkdb_test_run("linkdb_query", tests, countof(tests));
}

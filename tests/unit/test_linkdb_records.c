/*
 * test_linkdb_records: the records the wrappers and the weld write.
 *
 * Builds, compiles, shared links with their inputs and init symbols,
 * archives and their lookup by path, distributions, extensions, and the
 * symbol lists of files the weld asks for.
 */
#include "linkdb_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TEST(test_begin_build)
{
	int64_t a = 0, b = 0;
	struct rows rs = { 0 };

	assert_int_equal(linkdb_begin_build(fx->db, "env", "/src/one", "first run", &a), 0);
	assert_int_equal(linkdb_begin_build(fx->db, "weld", NULL, NULL, &b), 0);
	assert_true(a > 0);
	assert_true(b > a);
	assert_int_equal(linkdb_begin_build(fx->db, "env", "/", NULL, NULL), 0);

	list(fx->db, LINKDB_LIST_BUILDS, &rs);
	assert_int_equal(rs.n, 3);
	assert_int_equal(integer(&rs.v[0], "id"), a);
	assert_string_equal(text(&rs.v[0], "tool"), "env");
	assert_string_equal(text(&rs.v[0], "cwd"), "/src/one");
	assert_string_equal(text(&rs.v[0], "note"), "first run");
	assert_int_equal(cell(&rs.v[0], "started")->type, LINKDB_REAL);
	assert_true(cell(&rs.v[0], "started")->r > 1.6e9);
	assert_string_equal(text(&rs.v[1], "cwd"), "");
	assert_true(is_null(&rs.v[1], "note"));
	assert_int_equal(integer(&rs.v[1], "compiles"), 0);

	char spec[32];
	snprintf(spec, sizeof(spec), "build:%lld", (long long)b);
	show(fx->db, spec, &rs);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.v[0].section, "build");
	assert_string_equal(text(&rs.v[0], "tool"), "weld");
	rows_free(&rs);
}

TEST(test_add_compile)
{
	char obj_hex[LINKDB_HASH_HEX + 1], src_hex[LINKDB_HASH_HEX + 1];
	struct rows rs = { 0 };
	struct linkdb_counts c;
	int64_t build = 0, id, id2, id3, id4;
	const struct crow *r;
	char spec[32];

	compile_c(fx, "ext", ext_c);
	file_hash("ext.o", obj_hex);
	file_hash("ext.c", src_hex);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, &build), 0);
	id = record_ext_compile(fx, build);

	list(fx->db, LINKDB_LIST_COMPILES, &rs);
	assert_int_equal(rs.n, 1);
	r = &rs.v[0];
	assert_string_equal(r->section, "compile");
	assert_int_equal(integer(r, "id"), id);
	assert_int_equal(integer(r, "build"), build);
	assert_string_equal(text(r, "cwd"), fx->dir);
	assert_string_equal(text(r, "language"), "c");
	assert_string_equal(text(r, "output"), "ext.o");
	assert_string_equal(text(r, "object"), obj_hex);
	assert_int_equal(integer(r, "status"), 0);
	/* argv: exactly the bytes, NUL-separated, invalid UTF-8 kept. */
	assert_int_equal(cell(r, "argv")->type, LINKDB_ARGV);
	assert_int_equal(cell(r, "argv")->argc, COMPILE_ARGC);
	{
		const char want[] = "cc\0-c\0ext.c\0-o\0ext.o\0-DNAME=\"a b\"\0-D\xff\xfe";
		assert_int_equal(cell(r, "argv")->len, sizeof(want));
		assert_memory_equal(cell(r, "argv")->s, want, sizeof(want));
	}

	snprintf(spec, sizeof(spec), "compile:%lld", (long long)id);
	show(fx->db, spec, &rs);
	assert_string_equal(rs.v[0].section, "compile");
	assert_int_equal(count_section(&rs, "source"), 2);
	r = nth(&rs, "source", 0);
	assert_int_equal(integer(r, "seq"), 0);
	assert_string_equal(text(r, "path"), "ext.c");
	assert_string_equal(text(r, "hash"), src_hex);
	r = nth(&rs, "source", 1);
	assert_string_equal(text(r, "path"), "gone.c");
	assert_true(is_null(r, "hash"));                /* a source that is gone */
	assert_int_equal(count_section(&rs, "object"), 1);
	r = nth(&rs, "object", 0);
	assert_string_equal(text(r, "hash"), obj_hex);
	assert_string_equal(text(r, "kind"), "object");

	/* A failed compile: recorded with its status, no object stored. */
	{
		struct linkdb_compile f = { .cwd = fx->dir, .argc = COMPILE_ARGC,
		                            .argv = compile_argv, .language = "c",
		                            .output = "ext.o", .status = 1 };
		assert_int_equal(linkdb_add_compile(fx->db, build, &f, &id2), 0);
		snprintf(spec, sizeof(spec), "compile:%lld", (long long)id2);
		show(fx->db, spec, &rs);
		assert_int_equal(integer(&rs.v[0], "status"), 1);
		assert_true(is_null(&rs.v[0], "object"));
		assert_int_equal(count_section(&rs, "object"), 0);
		assert_int_equal(count_section(&rs, "source"), 0);
	}
	/* A compile whose output does not exist, and one to /dev/null, without a
	 * build: recorded without an object ("when the object exists"). */
	{
		struct linkdb_compile f = { .cwd = fx->dir, .argc = COMPILE_ARGC,
		                            .argv = compile_argv, .output = "never.o" };
		assert_int_equal(linkdb_add_compile(fx->db, 0, &f, &id3), 0);
		f.output = "/dev/null";
		assert_int_equal(linkdb_add_compile(fx->db, 0, &f, &id4), 0);
		assert_true(id4 > id3);
		snprintf(spec, sizeof(spec), "compile:%lld", (long long)id3);
		show(fx->db, spec, &rs);
		assert_true(is_null(&rs.v[0], "object"));
		assert_true(is_null(&rs.v[0], "build"));
		assert_true(is_null(&rs.v[0], "language"));
		assert_string_equal(text(&rs.v[0], "output"), "never.o");
		snprintf(spec, sizeof(spec), "compile:%lld", (long long)id4);
		show(fx->db, spec, &rs);
		assert_true(is_null(&rs.v[0], "object"));
	}
	/* No output at all (cc -E), no id wanted. */
	{
		struct linkdb_compile f = { .argc = COMPILE_ARGC, .argv = compile_argv };
		assert_int_equal(linkdb_add_compile(fx->db, build, &f, NULL), 0);
	}
	rows_free(&rs);
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.compiles, 5);
	assert_int_equal(c.objects, 1);
	assert_int_equal(linkdb_check(fx->db, on_problem, &(struct problems){ 0 }), 0);
}

TEST(test_add_link)
{
	char ext_hex[LINKDB_HASH_HEX + 1], u_hex[LINKDB_HASH_HEX + 1],
	     a_hex[LINKDB_HASH_HEX + 1], so_hex[LINKDB_HASH_HEX + 1],
	     out_hex[LINKDB_HASH_HEX + 1];
	struct rows rs = { 0 };
	struct linkdb_counts c0, c;
	int64_t build = 0, id;
	const struct crow *r;
	char spec[80];

	make_inputs(fx);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, &build), 0);
	id = record_ext_link(fx, build);
	file_hash("ext.o", ext_hex);
	file_hash("uinit.o", u_hex);
	file_hash("libhelp.a", a_hex);
	file_hash("libdep.so", so_hex);
	file_hash("foo.so", out_hex);

	list(fx->db, LINKDB_LIST_LINKS, &rs);
	assert_int_equal(rs.n, 1);
	r = &rs.v[0];
	assert_int_equal(integer(r, "id"), id);
	assert_int_equal(integer(r, "build"), build);
	assert_string_equal(text(r, "output"), "foo.so");
	assert_string_equal(text(r, "output_hash"), out_hex);
	assert_string_equal(text(r, "language"), "c");
	assert_int_equal(integer(r, "inputs"), 7);
	/* Init symbols that the objects and archives define, not the shared input. */
	assert_string_equal(text(r, "init_symbols"), "PyInitU_spam_abcdef PyInit_foo");
	assert_int_equal(cell(r, "argv")->argc, LINK_ARGC);

	snprintf(spec, sizeof(spec), "link:%lld", (long long)id);
	show(fx->db, spec, &rs);
	assert_string_equal(rs.v[0].section, "link");
	assert_int_equal(count_section(&rs, "input"), 7);
	static const char *const kinds[] = { "object", "object", "archive", "shared",
	                                     "libdir", "lib", "flag" };
	static const char *const values[] = { "ext.o", "uinit.o", "libhelp.a", "libdep.so",
	                                      "-L/opt/x", "-lm", "-Wl,--as-needed" };
	const char *hashes[] = { ext_hex, u_hex, a_hex, so_hex, NULL, NULL, NULL };
	for (size_t i = 0; i < 7; i++) {
		r = nth(&rs, "input", i);
		assert_int_equal(integer(r, "seq"), (int64_t)i);
		assert_string_equal(text(r, "kind"), kinds[i]);
		assert_string_equal(text(r, "value"), values[i]);
		if (hashes[i]) {
			assert_string_equal(text(r, "object"), hashes[i]);
			assert_string_equal(text(r, "object_kind"), kinds[i]);
		} else {
			assert_true(is_null(r, "object"));
			assert_true(is_null(r, "object_kind"));
		}
	}
	assert_true(is_null(nth(&rs, "input", 0), "path"));
	{
		char *u = in_dir(fx, "uinit.o");
		assert_string_equal(text(nth(&rs, "input", 1), "path"), u);
		free(u);
	}
	assert_int_equal(count_section(&rs, "init"), 2);
	r = find_row(&rs, "init", "symbol", "PyInit_foo");
	assert_non_null(r);
	assert_string_equal(text(r, "object"), ext_hex);
	r = find_row(&rs, "init", "symbol", "PyInitU_spam_abcdef");
	assert_non_null(r);
	assert_string_equal(text(r, "object"), u_hex);
	assert_null(find_row(&rs, "init", "symbol", "PyInit_notmine"));
	assert_int_equal(count_section(&rs, "extension"), 0);

	/* The archive was scanned as one: its members' symbols, and what one
	 * member needs from another is not undefined. */
	snprintf(spec, sizeof(spec), "object:%s", a_hex);
	show(fx->db, spec, &rs);
	assert_string_equal(text(&rs.v[0], "kind"), "archive");
	r = find_row(&rs, "symbol", "name", "helper");
	assert_non_null(r);
	assert_int_equal(integer(r, "defined"), 1);
	r = find_row(&rs, "symbol", "name", "helper_part");
	assert_non_null(r);
	assert_int_equal(integer(r, "defined"), 1);
	r = find_row(&rs, "symbol", "name", "part_base");
	assert_non_null(r);
	assert_int_equal(integer(r, "defined"), 0);
	assert_int_equal(count_section(&rs, "symbol"), 3);
	assert_int_equal(count_section(&rs, "link"), 1);
	/* The shared input: its dynamic symbols. */
	snprintf(spec, sizeof(spec), "object:%s", so_hex);
	show(fx->db, spec, &rs);
	assert_string_equal(text(&rs.v[0], "kind"), "shared");
	assert_non_null(find_row(&rs, "symbol", "name", "dep_fn"));
	assert_non_null(find_row(&rs, "symbol", "name", "PyInit_notmine"));
	rows_free(&rs);

	/* Failures record nothing and name what is missing. */
	assert_int_equal(linkdb_counts(fx->db, &c0), 0);
	{
		struct linkdb_input in = { LINKDB_IN_OBJECT, "nothere.o", NULL };
		struct linkdb_link l = { .cwd = fx->dir, .argc = LINK_ARGC, .argv = link_argv,
		                         .output = "foo.so", .ninputs = 1, .inputs = &in };
		assert_int_equal(linkdb_add_link(fx->db, build, &l, NULL), -1);
		assert_contains(linkdb_errmsg(fx->db), "nothere.o");
		l.output = "nothere.so";
		l.ninputs = 0;
		assert_int_equal(linkdb_add_link(fx->db, build, &l, NULL), -1);
		assert_contains(linkdb_errmsg(fx->db), "nothere.so");
		assert_contains(linkdb_errmsg(fx->db), "No such file");
		l.output = NULL;
		assert_int_equal(linkdb_add_link(fx->db, build, &l, NULL), -1);
		assert_contains(linkdb_errmsg(fx->db), "without an output");
	}
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.links, c0.links);
	assert_int_equal(c.links, 1);
	/* ext.o, uinit.o, libhelp.a, libdep.so */
	assert_int_equal(c.objects, 4);
	assert_int_equal(linkdb_check(fx->db, on_problem, &(struct problems){ 0 }), 0);

	assert_string_equal(linkdb_input_kind_name(LINKDB_IN_OBJECT), "object");
	assert_string_equal(linkdb_input_kind_name(LINKDB_IN_ARCHIVE), "archive");
	assert_string_equal(linkdb_input_kind_name(LINKDB_IN_SHARED), "shared");
	assert_string_equal(linkdb_input_kind_name(LINKDB_IN_LIB), "lib");
	assert_string_equal(linkdb_input_kind_name(LINKDB_IN_LIBDIR), "libdir");
	assert_string_equal(linkdb_input_kind_name(LINKDB_IN_FLAG), "flag");
	assert_string_equal(linkdb_input_kind_name((enum linkdb_input_kind)99), "?");
}

TEST(test_add_and_find_archive)
{
	char h1[LINKDB_HASH_HEX + 1], h2[LINKDB_HASH_HEX + 1], got[LINKDB_HASH_HEX + 1];
	char *lib = in_dir(fx, "libhelp.a"), *saved = in_dir(fx, "saved.a"),
	     *h = in_dir(fx, "helper.o"), *hp = in_dir(fx, "helper_part.o"),
	     *ext = in_dir(fx, "ext.o");
	const char *ar1[] = { PYWELD_TEST_AR, "rcs", lib, h, hp, NULL };
	const char *ar2[] = { PYWELD_TEST_AR, "rcs", lib, ext, NULL };
	char a0[] = "ar", a1[] = "rcs", a2[] = "libhelp.a";
	char *argv[] = { a0, a1, a2 };
	struct linkdb_archive a = { .cwd = fx->dir, .argc = 3, .argv = argv,
	                            .path = "libhelp.a" };
	struct rows rs = { 0 };
	int64_t build = 0, id1 = 0, id2 = 0;
	size_t n;
	char *content, spec[32];

	compile_c(fx, "helper", helper_c);
	compile_c(fx, "helper_part", helper_part_c);
	compile_c(fx, "ext", ext_c);
	run_ok(ar1);
	file_hash(lib, h1);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, &build), 0);

	/* Nothing recorded yet. */
	assert_int_equal(linkdb_find_archive(fx->db, lib, got), 0);
	assert_int_equal(linkdb_add_archive(fx->db, build, &a, &id1), 0);
	assert_true(id1 > 0);

	/* Recorded with its absolute path; found by it while unchanged. */
	list(fx->db, LINKDB_LIST_ARCHIVES, &rs);
	assert_int_equal(rs.n, 1);
	assert_string_equal(text(&rs.v[0], "path"), lib);
	assert_string_equal(text(&rs.v[0], "object"), h1);
	assert_string_equal(text(&rs.v[0], "cwd"), fx->dir);
	assert_int_equal(cell(&rs.v[0], "argv")->argc, 3);
	memset(got, 0, sizeof(got));
	assert_int_equal(linkdb_find_archive(fx->db, lib, got), 1);
	assert_string_equal(got, h1);
	snprintf(spec, sizeof(spec), "archive:%lld", (long long)id1);
	show(fx->db, spec, &rs);
	assert_string_equal(rs.v[0].section, "archive");
	assert_string_equal(text(nth(&rs, "object", 0), "kind"), "archive");

	/* The same content under another path is not that archive. */
	content = slurp(lib, &n);
	put_file(saved, content, n);
	assert_int_equal(linkdb_find_archive(fx->db, saved, got), 0);

	/* Rebuilt with other content: not found until recorded again. */
	assert_int_equal(unlink(lib), 0);
	run_ok(ar2);
	file_hash(lib, h2);
	assert_string_not_equal(h1, h2);
	assert_int_equal(linkdb_find_archive(fx->db, lib, got), 0);
	assert_int_equal(linkdb_add_archive(fx->db, build, &a, &id2), 0);
	assert_true(id2 > id1);
	assert_int_equal(linkdb_find_archive(fx->db, lib, got), 1);
	assert_string_equal(got, h2);

	/* Back to the first content: the older record matches again. */
	assert_int_equal(unlink(lib), 0);
	put_file(lib, content, n);
	assert_int_equal(linkdb_find_archive(fx->db, lib, got), 1);
	assert_string_equal(got, h1);

	/* Gone: not found, not an error. */
	assert_int_equal(unlink(lib), 0);
	assert_int_equal(linkdb_find_archive(fx->db, lib, got), 0);
	assert_int_equal(linkdb_add_archive(fx->db, build, &a, NULL), -1);
	assert_contains(linkdb_errmsg(fx->db), lib);

	snprintf(spec, sizeof(spec), "build:%lld", (long long)build);
	show(fx->db, spec, &rs);
	assert_int_equal(count_section(&rs, "archive"), 2);
	rows_free(&rs);
	free(content);
	free(lib);
	free(saved);
	free(h);
	free(hp);
	free(ext);
}

TEST(test_distribution_and_lookups)
{
	char a_hex[LINKDB_HASH_HEX + 1], out_hex[LINKDB_HASH_HEX + 1];
	struct rows rs = { 0 };
	struct linkdb_gc_stats gs;
	int64_t build = 0, did = 0, did2 = 0, lid, lid2, found = -1;
	char **names = NULL;
	size_t n = 99;

	make_inputs(fx);
	file_hash("libhelp.a", a_hex);

	/* A distribution with its interpreter archive, one without. */
	const struct linkdb_distribution d = {
		.python_version = "3.11.2", .abi = "cpython-311-x86_64-linux-gnu",
		.ext_suffix = ".cpython-311-x86_64-linux-gnu.so", .prefix = "/opt/py",
		.libpython = "libhelp.a", .data = "{\"modules\": [\"_sre\"]}",
	};
	assert_int_equal(linkdb_add_distribution(fx->db, &d, &did), 0);
	assert_true(did > 0);
	const struct linkdb_distribution bare = {
		.python_version = "3.12.0", .abi = "cpython-312-x86_64-linux-gnu",
		.ext_suffix = ".so", .prefix = "/opt/py312",
	};
	assert_int_equal(linkdb_add_distribution(fx->db, &bare, &did2), 0);
	assert_true(did2 > did);
	list(fx->db, LINKDB_LIST_DISTRIBUTIONS, &rs);
	assert_int_equal(rs.n, 2);
	assert_int_equal(integer(&rs.v[0], "id"), did);
	assert_string_equal(text(&rs.v[0], "python_version"), "3.11.2");
	assert_string_equal(text(&rs.v[0], "abi"), "cpython-311-x86_64-linux-gnu");
	assert_string_equal(text(&rs.v[0], "prefix"), "/opt/py");
	assert_string_equal(text(&rs.v[0], "libpython"), a_hex);
	assert_string_equal(text(&rs.v[0], "data"), "{\"modules\": [\"_sre\"]}");
	assert_true(is_null(&rs.v[1], "libpython"));
	assert_true(is_null(&rs.v[1], "data"));
	/* The archive is stored and scanned; gc keeps it, however old. */
	{
		char spec[80], *sp = linkdb_store_path(fx->db, a_hex);
		snprintf(spec, sizeof(spec), "object:%s", a_hex);
		show(fx->db, spec, &rs);
		assert_string_equal(text(&rs.v[0], "kind"), "archive");
		assert_non_null(find_row(&rs, "symbol", "name", "helper"));
		set_age(sp, 7200);
		assert_int_equal(linkdb_gc(fx->db, false, 0, &gs), 0);
		assert_int_equal(gs.rows_dropped, 0);
		assert_int_equal(gs.files_removed, 0);
		assert_true(util_is_file(sp));
		free(sp);
	}
	rows_free(&rs);
	{
		struct linkdb_distribution bad = d;
		bad.libpython = "missing.a";
		assert_int_equal(linkdb_add_distribution(fx->db, &bad, NULL), -1);
		assert_contains(linkdb_errmsg(fx->db), "missing.a");
	}

	/* Links found by the hash of what they produced: the newest one. */
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, &build), 0);
	lid = record_ext_link(fx, build);
	file_hash("foo.so", out_hex);
	assert_int_equal(linkdb_find_link_by_output(fx->db, out_hex, &found), 1);
	assert_int_equal(found, lid);
	lid2 = record_ext_link(fx, build);          /* the same output again */
	assert_int_equal(linkdb_find_link_by_output(fx->db, out_hex, &found), 1);
	assert_int_equal(found, lid2);
	found = -1;
	assert_int_equal(linkdb_find_link_by_output(fx->db, SHA256_ABC, &found), 0);
	assert_int_equal(found, -1);

	/* A link's init symbols, sorted, owned by the caller. */
	assert_int_equal(linkdb_link_inits(fx->db, lid, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "PyInitU_spam_abcdef");
	assert_string_equal(names[1], "PyInit_foo");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	assert_int_equal(linkdb_link_inits(fx->db, 4242, &names, &n), 0);
	assert_int_equal(n, 0);
	assert_null(names);

	/* Read-only handles read, and refuse to record. */
	{
		struct linkdb *ro = NULL;
		assert_int_equal(linkdb_open(&ro, fx->db_path, LINKDB_READONLY), 0);
		assert_int_equal(linkdb_find_link_by_output(ro, out_hex, &found), 1);
		assert_int_equal(linkdb_link_inits(ro, lid2, &names, &n), 0);
		assert_int_equal(n, 2);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		assert_int_equal(linkdb_add_distribution(ro, &bare, NULL), -1);
		assert_contains(linkdb_errmsg(ro), "read-only");
		linkdb_close(ro);
	}
	assert_int_equal(linkdb_check(fx->db, on_problem, &(struct problems){ 0 }), 0);
}

TEST(test_extension_and_file_symbols)
{
	struct rows rs = { 0 };
	struct linkdb_counts c;
	int64_t build = 0, lid, eid = 0, eid2 = 0;
	char **names = NULL, err[256], spec[32];
	size_t n = 99;

	make_inputs(fx);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, &build), 0);
	lid = record_ext_link(fx, build);

	/* Extensions collected for the weld, tied to the link that made them. */
	const struct linkdb_extension e = {
		.name = "pkg.sub.foo", .package = "pkg", .version = "1.2", .link = lid,
		.init_symbol = "PyInit_foo", .renamed_symbol = "PyInit_foo__pyweld_pkg_sub",
		.file = "pkg/sub/foo.cpython-311-x86_64-linux-gnu.so",
	};
	assert_int_equal(linkdb_add_extension(fx->db, &e, &eid), 0);
	assert_true(eid > 0);
	const struct linkdb_extension bare = { .name = "spam", .link = lid,
	                                       .init_symbol = "PyInitU_spam_abcdef" };
	assert_int_equal(linkdb_add_extension(fx->db, &bare, &eid2), 0);
	assert_true(eid2 > eid);
	list(fx->db, LINKDB_LIST_EXTENSIONS, &rs);
	assert_int_equal(rs.n, 2);
	const struct crow *r = find_row(&rs, "extension", "name", "pkg.sub.foo");
	assert_non_null(r);
	assert_int_equal(integer(r, "id"), eid);
	assert_string_equal(text(r, "package"), "pkg");
	assert_string_equal(text(r, "version"), "1.2");
	assert_int_equal(integer(r, "link"), lid);
	assert_string_equal(text(r, "init_symbol"), "PyInit_foo");
	assert_string_equal(text(r, "renamed_symbol"), "PyInit_foo__pyweld_pkg_sub");
	assert_string_equal(text(r, "file"), e.file);
	assert_true(is_null(r, "distribution"));
	r = find_row(&rs, "extension", "name", "spam");
	assert_non_null(r);
	assert_true(is_null(r, "package"));
	assert_true(is_null(r, "renamed_symbol"));
	show(fx->db, "extension:pkg.sub.foo", &rs);
	assert_int_equal(integer(nth(&rs, "link", 0), "id"), lid);
	snprintf(spec, sizeof(spec), "link:%lld", (long long)lid);
	show(fx->db, spec, &rs);
	assert_int_equal(count_section(&rs, "extension"), 2);
	rows_free(&rs);

	/* A link that does not exist, a missing name: refused, nothing written. */
	{
		struct linkdb_extension bad = e;
		bad.link = lid + 4242;
		assert_int_equal(linkdb_add_extension(fx->db, &bad, NULL), -1);
		assert_contains(linkdb_errmsg(fx->db), fx->db_path);
		bad = e;
		bad.name = NULL;
		assert_int_equal(linkdb_add_extension(fx->db, &bad, NULL), -1);
		assert_contains(linkdb_errmsg(fx->db), fx->db_path);
	}
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.extensions, 2);
	{
		struct linkdb *ro = NULL;
		assert_int_equal(linkdb_open(&ro, fx->db_path, LINKDB_READONLY), 0);
		assert_int_equal(linkdb_add_extension(ro, &e, NULL), -1);
		assert_contains(linkdb_errmsg(ro), "read-only");
		linkdb_close(ro);
	}
	assert_int_equal(linkdb_check(fx->db, on_problem, &(struct problems){ 0 }), 0);

	/* The symbols a file defines, weak ones included, sorted. */
	static const struct { const char *file; const char *want[4]; size_t n; } files[] = {
		{ "ext.o", { "PyInit_foo", "weak_fn" }, 2 },
		{ "libhelp.a", { "helper", "helper_part" }, 2 },
		{ "uinit.o", { "PyInitU_spam_abcdef" }, 1 },
	};
	for (size_t f = 0; f < countof(files); f++) {
		assert_int_equal(linkdb_file_defined_symbols(files[f].file, &names, &n, err,
		                                             sizeof(err)), 0);
		assert_int_equal(n, files[f].n);
		for (size_t i = 0; i < n; i++)
			assert_string_equal(names[i], files[f].want[i]);
		assert_null(names[n]);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	/* A shared object: its dynamic symbols. */
	assert_int_equal(linkdb_file_defined_symbols("libdep.so", &names, &n, err,
	                                             sizeof(err)), 0);
	bool dep = false, init = false;
	for (size_t i = 0; i < n; i++) {
		dep |= !strcmp(names[i], "dep_fn");
		init |= !strcmp(names[i], "PyInit_notmine");
		if (i)
			assert_true(strcmp(names[i - 1], names[i]) < 0);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	assert_true(dep && init);
	/* Not ELF: no symbols, no error.  Missing: an error naming it. */
	put_text("notes.txt", "not an object\n");
	assert_int_equal(linkdb_file_defined_symbols("notes.txt", &names, &n, err,
	                                             sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_true(names == NULL || names[0] == NULL);
	free(names);
	assert_int_equal(linkdb_file_defined_symbols("gone.o", &names, &n, err,
	                                             sizeof(err)), -1);
	assert_contains(err, "gone.o");
	assert_contains(err, "No such file");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_begin_build),
		T(test_add_compile),
		T(test_add_link),
		T(test_add_and_find_archive),
		T(test_distribution_and_lookups),
		T(test_extension_and_file_symbols),
	};

	return linkdb_test_run("linkdb_records", tests, countof(tests));
}

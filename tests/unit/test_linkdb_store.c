/*
 * test_linkdb_store: content hashes and the object store.
 *
 * SHA-256 against FIPS 180-2's vectors, the store's layout and its
 * deduplication, the symbols and kinds recorded for stored objects,
 * archives and shared objects, and the LTO flag of bytecode-only objects.
 */
#include "linkdb_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TEST(test_hash_functions)
{
	char hex[LINKDB_HASH_HEX + 1];
	char *p = in_dir(fx, "abc.txt"), *empty = in_dir(fx, "empty"),
	     *big = in_dir(fx, "million");
	char *a = xmalloc(1000000);

	linkdb_hash_buffer("", 0, hex);
	assert_string_equal(hex, SHA256_EMPTY);
	linkdb_hash_buffer("abc", 3, hex);
	assert_string_equal(hex, SHA256_ABC);
	linkdb_hash_buffer("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, SHA256_ABC2);
	memset(a, 'a', 1000000);
	linkdb_hash_buffer(a, 1000000, hex);
	assert_string_equal(hex, SHA256_MILLION_A);

	put_text(p, "abc");
	assert_int_equal(linkdb_hash_file(p, hex), 0);
	assert_string_equal(hex, SHA256_ABC);
	put_file(empty, "", 0);
	assert_int_equal(linkdb_hash_file(empty, hex), 0);
	assert_string_equal(hex, SHA256_EMPTY);
	put_file(big, a, 1000000);
	assert_int_equal(linkdb_hash_file(big, hex), 0);
	assert_string_equal(hex, SHA256_MILLION_A);

	errno = 0;
	assert_int_equal(linkdb_hash_file("no-such-file", hex), -1);
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_int_equal(linkdb_hash_file(fx->dir, hex), -1);
	assert_int_equal(errno, EISDIR);

	assert_true(linkdb_is_hash(SHA256_ABC));
	assert_false(linkdb_is_hash(""));
	assert_false(linkdb_is_hash("abc"));
	assert_false(linkdb_is_hash(SHA256_ABC "0"));                  /* 65 digits */
	assert_false(linkdb_is_hash(SHA256_ABC + 1));                  /* 63 digits */
	assert_false(linkdb_is_hash("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
	assert_false(linkdb_is_hash("ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	free(p);
	free(empty);
	free(big);
	free(a);
}

/* The lto flag of a stored object compiled from text with two flags. */
static int64_t
lto_flag(struct fx *fx, const char *name, const char *text, const char *f1, const char *f2)
{
	char hex[LINKDB_HASH_HEX + 1], spec[80];
	char *obj = xasprintf("%s/%s.o", fx->dir, name);
	struct rows rs = { 0 };
	int64_t lto;

	compile_c_flags(fx, name, text, f1, f2);
	assert_int_equal(linkdb_store_file(fx->db, obj, hex), 0);
	snprintf(spec, sizeof(spec), "object:%s", hex);
	show(fx->db, spec, &rs);
	lto = integer(&rs.v[0], "lto");
	rows_free(&rs);
	free(obj);
	return lto;
}

/* Only bytecode (GCC's default -flto) is flagged; a fat object is not, even
 * one of data only (libmpdec's constants.c in CPython's LTO build). */
TEST(test_store_lto_flag)
{
	static const char code_c[] = "int twice(int x) { return 2 * x; }\n";
	static const char data_c[] = "const int table[4] = { 1, 2, 3, 4 };\n";

	assert_int_equal(lto_flag(fx, "slim", code_c, "-flto", "-fno-fat-lto-objects"), 1);
	assert_int_equal(lto_flag(fx, "slimdata", data_c, "-flto", "-fno-fat-lto-objects"), 1);
	assert_int_equal(lto_flag(fx, "fat", code_c, "-flto", "-ffat-lto-objects"), 0);
	assert_int_equal(lto_flag(fx, "fatdata", data_c, "-flto", "-ffat-lto-objects"), 0);
	assert_int_equal(lto_flag(fx, "plain", data_c, "-fno-lto", "-g"), 0);
}

TEST(test_store_file_dedup_and_symbols)
{
	char hex[LINKDB_HASH_HEX + 1], hex2[LINKDB_HASH_HEX + 1], want[LINKDB_HASH_HEX + 1];
	char *obj = in_dir(fx, "ext.o"), *copy = in_dir(fx, "copy.o"),
	     *notes = in_dir(fx, "notes.txt");
	struct linkdb_counts c;
	struct rows rs = { 0 };
	struct stat st;
	size_t n1, n2;
	char *a, *b, *sp;

	compile_c(fx, "ext", ext_c);
	file_hash(obj, want);
	assert_int_equal(linkdb_store_file(fx->db, obj, hex), 0);
	assert_string_equal(hex, want);

	/* store/<first two digits>/<hash>, a read-only copy of the content. */
	sp = linkdb_store_path(fx->db, hex);
	char *expect = xasprintf("%s/%.2s/%s", linkdb_store_dir(fx->db), hex, hex);
	assert_string_equal(sp, expect);
	free(expect);
	assert_int_equal(stat(sp, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0444);
	a = slurp(obj, &n1);
	b = slurp(sp, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(a, b, n1);
	free(b);

	/* The same content from another path: the same object, one file. */
	put_file(copy, a, n1);
	assert_int_equal(linkdb_store_file(fx->db, copy, hex2), 0);
	assert_string_equal(hex2, hex);
	assert_int_equal(store_file_count(fx->db), 1);
	assert_int_equal(dir_entries(linkdb_store_dir(fx->db)), 2);   /* hh/ and tmp/ */
	char *tmpdir = xasprintf("%s/tmp", linkdb_store_dir(fx->db));
	assert_int_equal(dir_entries(tmpdir), 0);
	free(tmpdir);
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.objects, 1);
	assert_int_equal(c.store_files, 1);
	assert_int_equal(c.store_bytes, (int64_t)n1);

	/* Its global symbols: defined, weak, undefined; not the static one. */
	char spec[80];
	snprintf(spec, sizeof(spec), "object:%s", hex);
	show(fx->db, spec, &rs);
	assert_string_equal(rs.v[0].section, "object");
	assert_string_equal(text(&rs.v[0], "kind"), "object");
	assert_int_equal(integer(&rs.v[0], "size"), (int64_t)n1);
	assert_int_equal(integer(&rs.v[0], "lto"), 0);
	const struct crow *r = find_row(&rs, "symbol", "name", "PyInit_foo");
	assert_non_null(r);
	assert_int_equal(integer(r, "defined"), 1);
	assert_int_equal(integer(r, "weak"), 0);
	r = find_row(&rs, "symbol", "name", "weak_fn");
	assert_non_null(r);
	assert_int_equal(integer(r, "defined"), 1);
	assert_int_equal(integer(r, "weak"), 1);
	r = find_row(&rs, "symbol", "name", "helper");
	assert_non_null(r);
	assert_int_equal(integer(r, "defined"), 0);
	assert_non_null(find_row(&rs, "symbol", "name", "printf"));
	assert_null(find_row(&rs, "symbol", "name", "hidden"));
	assert_int_equal(count_section(&rs, "symbol"), 4);
	/* A prefix of six digits finds it too. */
	snprintf(spec, sizeof(spec), "object:%.6s", hex);
	show(fx->db, spec, &rs);
	assert_string_equal(text(&rs.v[0], "hash"), hex);

	/* A file that is not ELF: kind "other", no symbols. */
	put_text(notes, "just some notes\n");
	assert_int_equal(linkdb_store_file(fx->db, notes, hex2), 0);
	snprintf(spec, sizeof(spec), "object:%s", hex2);
	show(fx->db, spec, &rs);
	assert_string_equal(text(&rs.v[0], "kind"), "other");
	assert_int_equal(count_section(&rs, "symbol"), 0);
	rows_free(&rs);

	/* A store file that disappeared is written again when stored again. */
	assert_int_equal(unlink(sp), 0);
	assert_int_equal(linkdb_store_file(fx->db, obj, hex2), 0);
	b = slurp(sp, &n2);
	assert_memory_equal(a, b, n1);
	free(b);
	assert_int_equal(linkdb_check(fx->db, on_problem, &(struct problems){ 0 }), 0);

	/* Failures name the file. */
	assert_int_equal(linkdb_store_file(fx->db, "missing.o", hex2), -1);
	assert_contains(linkdb_errmsg(fx->db), "missing.o");
	assert_contains(linkdb_errmsg(fx->db), "No such file");
	assert_int_equal(linkdb_store_file(fx->db, fx->dir, hex2), -1);
	assert_contains(linkdb_errmsg(fx->db), fx->dir);
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.objects, 2);

	free(a);
	free(sp);
	free(obj);
	free(copy);
	free(notes);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hash_functions),
		T(test_store_lto_flag),
		T(test_store_file_dedup_and_symbols),
	};

	return linkdb_test_run("linkdb_store", tests, countof(tests));
}

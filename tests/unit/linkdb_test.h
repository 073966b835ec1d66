/*
 * linkdb_test.h: the fixture and helpers of linkdb's unit tests
 * (test_linkdb_*.c, one ctest test each).
 *
 * Each test runs in a fresh temporary directory (mkdtemp under $TMPDIR or
 * /tmp) with a database "test.linkdb" opened in it; the directory is removed
 * when the test passes and left in place, its path printed, when it fails.
 * Inputs are real: objects are compiled with the build's C compiler, an
 * archive is made with ar, a shared object is linked, so the symbol scanner
 * reads what the wrapper compilers will give it.  A second SQLite connection
 * (sql_*) looks at the file directly where the API has no reader.  Every
 * helper asserts: a failure ends the test where it happened.
 */
#ifndef PYWELD_LINKDB_TEST_H
#define PYWELD_LINKDB_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>

#include "linkdb.h"
#include "util.h"

#ifndef PYWELD_TEST_CC
#error "PYWELD_TEST_CC (the C compiler used to make test objects) is not defined"
#endif
#ifndef PYWELD_TEST_AR
#error "PYWELD_TEST_AR (the archiver used to make test archives) is not defined"
#endif
#ifndef PYWELD_TEST_FIXTURES
#error "PYWELD_TEST_FIXTURES (tests/unit/fixtures) is not defined"
#endif

/* SHA-256 test vectors (FIPS 180-2). */
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_ABC2  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define SHA256_MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
/* sha256("hello\n"): the object of the v1 fixture. */
#define SHA256_HELLO "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

/* --- per-test directory ------------------------------------------------------ */

struct fx {
	char dir[PATH_MAX];
	char *db_path;                  /* dir/test.linkdb */
	struct linkdb *db;              /* open read-write on db_path */
	bool passed;
};

/* cmocka's setup and teardown of every test: the directory, the database. */
int setup(void **state);
int teardown(void **state);

/*
 * TEST(name) defines a cmocka test whose body gets the fixture; reaching the
 * end of the body marks it passed (a failed assertion jumps out before).
 */
#define TEST(name)                                                       \
	static void name##_body(struct fx *fx);                          \
	static void name(void **state)                                   \
	{                                                                \
		struct fx *fx_ = *state;                                 \
		name##_body(fx_);                                        \
		fx_->passed = true;                                      \
	}                                                                \
	static void name##_body(struct fx *fx)
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* Runs a group of tests in a scrubbed environment (no PYWELD_DB, C locale, UTC). */
int linkdb_test_run(const char *name, const struct CMUnitTest *tests, size_t n);

/* --- small helpers ----------------------------------------------------------- */

/* fx->dir/name, malloc'd. */
char *in_dir(const struct fx *fx, const char *name);
/* Writes a file (n bytes) / a string. */
void put_file(const char *path, const void *p, size_t n);
void put_text(const char *path, const char *text);
/* The whole content of a file (asserts it can be read). */
char *slurp(const char *path, size_t *len);
/* linkdb_hash_file, asserted. */
void file_hash(const char *path, char hex[LINKDB_HASH_HEX + 1]);
/* Fails unless needle is in haystack. */
void assert_contains(const char *haystack, const char *needle);
/* Runs a tool (argv, no shell) and asserts it exits 0. */
void run_ok(const char *const *argv);
/* Compiles name.c (given as text) into name.o in the test directory. */
void compile_c(const struct fx *fx, const char *name, const char *text);
/* Compiles name.c into name.o with extra flags (LTO variants). */
void compile_c_flags(const struct fx *fx, const char *name, const char *text,
                     const char *f1, const char *f2);
/* Number of hash-named files in the store. */
int store_file_count(struct linkdb *db);
/* Number of entries (not . and ..) in a directory. */
int dir_entries(const char *path);
/* Sets a file's times seconds into the past. */
void set_age(const char *path, double seconds);

/* --- a second, raw SQLite connection ------------------------------------------ */

/* Runs sql on the file at path (asserts it succeeds). */
void sql_exec(const char *path, const char *sql);
/* The first column of the first row of sql, as an integer. */
int64_t sql_int(const char *path, const char *sql);
/* The journal mode in a SQLite file's header: 1 rollback journal, 2 WAL. */
int header_journal(const char *path);
/* "type name sql" of every schema entry, sorted, one per line (malloc'd). */
char *sql_schema(const char *path);

/* --- collecting rows from linkdb_list / linkdb_show ---------------------------- */

struct cell {
	char *name;
	enum linkdb_value_type type;
	int64_t i;
	double r;
	char *s;                        /* TEXT / ARGV bytes, NUL-terminated copy */
	size_t len;
	int argc;
};

struct crow {
	char *section;
	size_t n;
	struct cell *cells;
};

struct rows {
	size_t n;
	struct crow *v;
	size_t stop_after;              /* return non-zero after this many (0: never) */
};

/* linkdb_row_fn: copies every row into ctx, a struct rows. */
int collect(void *ctx, const struct linkdb_row *row);
/* Frees the rows and zeroes rs. */
void rows_free(struct rows *rs);
/* The named column of a row (fails when there is none). */
const struct cell *cell(const struct crow *r, const char *name);
/* The column's text / integer (fails on another type); whether it is NULL. */
const char *text(const struct crow *r, const char *name);
int64_t integer(const struct crow *r, const char *name);
bool is_null(const struct crow *r, const char *name);
/* How many rows a section has. */
size_t count_section(const struct rows *rs, const char *section);
/* The k-th row of a section (asserts it exists). */
const struct crow *nth(const struct rows *rs, const char *section, size_t k);
/* The row of section whose column col has text value (NULL when none). */
const struct crow *find_row(const struct rows *rs, const char *section, const char *col,
                            const char *value);
/* linkdb_show / linkdb_list into rs (emptied first), asserted. */
void show(struct linkdb *db, const char *spec, struct rows *rs);
void list(struct linkdb *db, enum linkdb_list what, struct rows *rs);

/* --- check problems --------------------------------------------------------------- */

struct problems {
	int n;
	struct strvec subjects, texts;
};

/* linkdb_problem_fn: counts and keeps each problem in ctx, a struct problems. */
void on_problem(void *ctx, const char *subject, const char *problem);
void problems_free(struct problems *p);

/* --- sources for real objects ----------------------------------------------------- */

/* An extension's object (PyInit_foo, a weak and a static function, needs helper). */
extern const char ext_c[];
/* helper(), needing helper_part(); helper_part(), needing part_base(). */
extern const char helper_c[], helper_part_c[];
/* Builds ext.o, helper.o, helper_part.o, uinit.o, libhelp.a, libdep.so. */
void make_inputs(const struct fx *fx);
/* The argv the tests record for compiles: includes a space and bad UTF-8. */
extern char *const compile_argv[];
#define COMPILE_ARGC 7
/* The argv the tests record for links. */
extern char *const link_argv[];
#define LINK_ARGC 11
/* Records the compile of ext.c (and a gone.c) / the link of foo.so; the id. */
int64_t record_ext_compile(struct fx *fx, int64_t build);
int64_t record_ext_link(struct fx *fx, int64_t build);

#endif

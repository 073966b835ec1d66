/*
 * test_linkdb: cmocka unit tests for every public function of linkdb.
 *
 * Each test runs in a fresh temporary directory (mkdtemp under $TMPDIR or
 * /tmp) with a database "test.linkdb" opened in it; the directory is removed
 * when the test passes and left in place, its path printed, when it fails.
 * Inputs are real: objects are compiled with the build's C compiler, an
 * archive is made with ar, a shared object is linked, so the symbol scanner
 * reads what the wrapper compilers will give it.  A second SQLite connection
 * (sql_*) looks at the file directly where the API has no reader.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linkdb.h"
#include "util.h"
/* The gc race tests set linkdb__test_hook and a handle's busy timeout. */
#include "internal.h"

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

static int
setup(void **state)
{
	const char *base = getenv("TMPDIR");
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	if (!base || !*base)
		base = "/tmp";
	snprintf(fx->dir, sizeof(fx->dir), "%s/pyweld-test_linkdb-XXXXXX", base);
	if (!mkdtemp(fx->dir) || chdir(fx->dir) < 0) {
		fprintf(stderr, "cannot make a test directory in '%s': %s\n", base,
		        strerror(errno));
		free(fx);
		return -1;
	}
	fx->db_path = xasprintf("%s/test.linkdb", fx->dir);
	if (linkdb_open(&fx->db, fx->db_path, LINKDB_CREATE) < 0) {
		fprintf(stderr, "cannot create '%s': %s\n", fx->db_path,
		        linkdb_errmsg(fx->db));
		linkdb_close(fx->db);
		free(fx->db_path);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	linkdb_close(fx->db);
	if (chdir("/") < 0)
		return -1;
	if (fx->passed)
		util_remove_tree(fx->dir);
	else
		fprintf(stderr, "test_linkdb: test directory left at '%s'\n", fx->dir);
	free(fx->db_path);
	free(fx);
	return 0;
}

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

/* --- small helpers --------------------------------------------------------------- */

static char *
in_dir(const struct fx *fx, const char *name)
{
	return xasprintf("%s/%s", fx->dir, name);
}

static void
put_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

static void
put_text(const char *path, const char *text)
{
	put_file(path, text, strlen(text));
}

/* The whole content of a file (asserts it can be read). */
static char *
slurp(const char *path, size_t *len)
{
	char *buf = NULL;

	assert_int_equal(util_read_file(path, &buf, len), 0);
	return buf;
}

static void
file_hash(const char *path, char hex[LINKDB_HASH_HEX + 1])
{
	assert_int_equal(linkdb_hash_file(path, hex), 0);
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

/* Runs a tool (argv, no shell) and asserts it exits 0. */
static void
run_ok(const char *const *argv)
{
	struct strvec v = { 0 };
	int rc;

	for (size_t i = 0; argv[i]; i++)
		strvec_push(&v, argv[i]);
	assert_false(v.failed);
	rc = util_run(strvec_cargv(&v), NULL);
	strvec_free(&v);

	if (rc != 0)
		fail_msg("'%s' exited with status %d", argv[0], rc);
}

/* Compiles name.c (given as text) into name.o in the test directory. */
static void
compile_c(const struct fx *fx, const char *name, const char *text)
{
	char *src = xasprintf("%s/%s.c", fx->dir, name);
	char *obj = xasprintf("%s/%s.o", fx->dir, name);
	const char *argv[] = { PYWELD_TEST_CC, "-c", "-fPIC", "-O0", "-o", obj, src, NULL };

	put_text(src, text);
	run_ok(argv);
	free(src);
	free(obj);
}

/* Compiles name.c into name.o with extra flags (LTO variants). */
static void
compile_c_flags(const struct fx *fx, const char *name, const char *text, const char *f1,
                const char *f2)
{
	char *src = xasprintf("%s/%s.c", fx->dir, name);
	char *obj = xasprintf("%s/%s.o", fx->dir, name);
	const char *argv[] = { PYWELD_TEST_CC, "-c", "-fPIC", "-O2", f1, f2, "-o", obj, src, NULL };

	put_text(src, text);
	run_ok(argv);
	free(src);
	free(obj);
}

/* Number of hash-named files in the store. */
static int
store_file_count(struct linkdb *db)
{
	DIR *top = opendir(linkdb_store_dir(db)), *sub;
	struct dirent *e, *f;
	int n = 0;

	assert_non_null(top);
	while ((e = readdir(top))) {
		if (strlen(e->d_name) != 2 || e->d_name[0] == '.')
			continue;
		char *dir = util_path_join(linkdb_store_dir(db), e->d_name);
		assert_non_null(sub = opendir(dir));
		while ((f = readdir(sub)))
			n += linkdb_is_hash(f->d_name);
		closedir(sub);
		free(dir);
	}
	closedir(top);
	return n;
}

/* Number of entries (not . and ..) in a directory. */
static int
dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void
set_age(const char *path, double seconds)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - (time_t)seconds;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* --- a second, raw SQLite connection ------------------------------------------ */

static void
sql_exec(const char *path, const char *sql)
{
	sqlite3 *s = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &s), SQLITE_OK);
	sqlite3_busy_timeout(s, 10000);
	if (sqlite3_exec(s, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("sqlite3_exec(%s) on '%s': %s", sql, path, msg ? msg : "?");
	sqlite3_close(s);
}

/* The first column of the first row of sql, as an integer. */
static int64_t
sql_int(const char *path, const char *sql)
{
	sqlite3 *s = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("cannot prepare %s: %s", sql, sqlite3_errmsg(s));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(s);
	return v;
}

/*
 * The journal mode in a SQLite file's header: bytes 18 and 19 (the file
 * format write and read versions) are 1 for a rollback journal, 2 for WAL.
 */
static int
header_journal(const char *path)
{
	size_t len;
	char *h = slurp(path, &len);
	int v;

	assert_true(len >= 100);
	assert_int_equal(h[18], h[19]);
	v = h[18];
	free(h);
	return v;
}

/* "type name sql" of every schema entry, sorted, one per line (malloc'd). */
static char *
sql_schema(const char *path)
{
	sqlite3 *s = NULL;
	sqlite3_stmt *st = NULL;
	struct strbuf sb = { 0 };

	assert_int_equal(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s, "SELECT type, name, sql FROM sqlite_schema"
	                                    " WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
	                                    -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		strbuf_addf(&sb, "%s %s %s\n", sqlite3_column_text(st, 0),
		            sqlite3_column_text(st, 1), sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	sqlite3_close(s);
	return strbuf_detach(&sb);
}

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

static int
collect(void *ctx, const struct linkdb_row *row)
{
	struct rows *rs = ctx;
	struct crow *r;

	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof(*rs->v));
	r = &rs->v[rs->n++];
	r->section = xstrdup(row->section);
	r->n = row->n;
	r->cells = xcalloc(row->n, sizeof(*r->cells));
	for (size_t i = 0; i < row->n; i++) {
		const struct linkdb_value *v = &row->values[i];
		struct cell *c = &r->cells[i];
		c->name = xstrdup(row->names[i]);
		c->type = v->type;
		c->i = v->i;
		c->r = v->r;
		c->argc = v->argc;
		if (v->type == LINKDB_TEXT || v->type == LINKDB_ARGV) {
			c->s = xmalloc(v->len + 1);
			memcpy(c->s, v->s, v->len);
			c->s[v->len] = '\0';
			c->len = v->len;
		}
	}
	return rs->stop_after && rs->n >= rs->stop_after;
}

static void
rows_free(struct rows *rs)
{
	for (size_t k = 0; k < rs->n; k++) {
		for (size_t i = 0; i < rs->v[k].n; i++) {
			free(rs->v[k].cells[i].name);
			free(rs->v[k].cells[i].s);
		}
		free(rs->v[k].cells);
		free(rs->v[k].section);
	}
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

static const struct cell *
cell(const struct crow *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->cells[i].name, name))
			return &r->cells[i];
	fail_msg("row of section '%s' has no column '%s'", r->section, name);
	return NULL;
}

static const char *
text(const struct crow *r, const char *name)
{
	const struct cell *c = cell(r, name);

	if (c->type != LINKDB_TEXT)
		fail_msg("column '%s' of '%s' is not text (type %d)", name, r->section,
		         (int)c->type);
	return c->s;
}

static int64_t
integer(const struct crow *r, const char *name)
{
	const struct cell *c = cell(r, name);

	if (c->type != LINKDB_INT)
		fail_msg("column '%s' of '%s' is not an integer (type %d)", name,
		         r->section, (int)c->type);
	return c->i;
}

static bool
is_null(const struct crow *r, const char *name)
{
	return cell(r, name)->type == LINKDB_NULL;
}

static size_t
count_section(const struct rows *rs, const char *section)
{
	size_t n = 0;

	for (size_t k = 0; k < rs->n; k++)
		n += !strcmp(rs->v[k].section, section);
	return n;
}

/* The k-th row of a section (asserts it exists). */
static const struct crow *
nth(const struct rows *rs, const char *section, size_t k)
{
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->v[i].section, section) && k-- == 0)
			return &rs->v[i];
	fail_msg("no row %zu in section '%s'", k, section);
	return NULL;
}

/* The row of section whose column col has text value (NULL when none). */
static const struct crow *
find_row(const struct rows *rs, const char *section, const char *col,
         const char *value)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct crow *r = &rs->v[i];
		if (strcmp(r->section, section))
			continue;
		const struct cell *c = cell(r, col);
		if (c->type == LINKDB_TEXT && !strcmp(c->s, value))
			return r;
	}
	return NULL;
}

static void
show(struct linkdb *db, const char *spec, struct rows *rs)
{
	rows_free(rs);
	if (linkdb_show(db, spec, collect, rs) < 0)
		fail_msg("linkdb_show(%s): %s", spec, linkdb_errmsg(db));
}

static void
list(struct linkdb *db, enum linkdb_list what, struct rows *rs)
{
	rows_free(rs);
	if (linkdb_list(db, what, collect, rs) < 0)
		fail_msg("linkdb_list(%d): %s", (int)what, linkdb_errmsg(db));
}

/* --- check problems --------------------------------------------------------------- */

struct problems {
	int n;
	struct strvec subjects, texts;
};

static void
on_problem(void *ctx, const char *subject, const char *problem)
{
	struct problems *p = ctx;

	p->n++;
	strvec_push(&p->subjects, subject);
	strvec_push(&p->texts, problem);
}

static void
problems_free(struct problems *p)
{
	strvec_free(&p->subjects);
	strvec_free(&p->texts);
	p->n = 0;
}

/* --- sources for real objects ----------------------------------------------------- */

static const char ext_c[] =
	"/* an extension module's object */\n"
	"extern int helper(int);\n"
	"extern int printf(const char *, ...);\n"
	"void *PyInit_foo(void);\n"
	"int weak_fn(void);\n"
	"static int hidden(int x) { return x + 1; }\n"
	"void *PyInit_foo(void) { printf(\"%d\", helper(hidden(1))); return 0; }\n"
	"__attribute__((weak)) int weak_fn(void) { return 2; }\n";

static const char helper_c[] =
	"extern int helper_part(int);\n"
	"int helper(int);\n"
	"int helper(int x) { return helper_part(x) * 2; }\n";

static const char helper_part_c[] =
	"extern int part_base(int);\n"
	"int helper_part(int);\n"
	"int helper_part(int x) { return part_base(x); }\n";

static const char unicode_init_c[] =
	"void *PyInitU_spam_abcdef(void);\n"
	"void *PyInitU_spam_abcdef(void) { return 0; }\n";

static const char dep_c[] =
	"void *PyInit_notmine(void);\n"
	"void *PyInit_notmine(void) { return 0; }\n"
	"int dep_fn(int);\n"
	"int dep_fn(int x) { return x; }\n";

/* Builds ext.o, helper.o, helper_part.o, uinit.o, libhelp.a, libdep.so. */
static void
make_inputs(const struct fx *fx)
{
	char *a = in_dir(fx, "libhelp.a"), *h = in_dir(fx, "helper.o"),
	     *hp = in_dir(fx, "helper_part.o"), *so = in_dir(fx, "libdep.so"),
	     *dep = in_dir(fx, "dep.o");
	const char *ar[] = { PYWELD_TEST_AR, "rcs", a, h, hp, NULL };
	const char *ld[] = { PYWELD_TEST_CC, "-shared", "-o", so, dep, NULL };

	compile_c(fx, "ext", ext_c);
	compile_c(fx, "helper", helper_c);
	compile_c(fx, "helper_part", helper_part_c);
	compile_c(fx, "uinit", unicode_init_c);
	compile_c(fx, "dep", dep_c);
	run_ok(ar);
	run_ok(ld);
	free(a);
	free(h);
	free(hp);
	free(so);
	free(dep);
}

/* The argv the tests record for compiles: includes a space and bad UTF-8. */
static char arg_cc[] = "cc", arg_c[] = "-c", arg_src[] = "ext.c", arg_o[] = "-o",
            arg_obj[] = "ext.o", arg_def[] = "-DNAME=\"a b\"", arg_bad[] = "-D\xff\xfe";
static char *const compile_argv[] = { arg_cc, arg_c, arg_src, arg_o, arg_obj, arg_def,
                                      arg_bad };
#define COMPILE_ARGC 7

static int64_t
record_ext_compile(struct fx *fx, int64_t build)
{
	const char *sources[] = { "ext.c", "gone.c" };
	struct linkdb_compile c = {
		.cwd = fx->dir, .argc = COMPILE_ARGC, .argv = compile_argv,
		.language = "c", .nsources = 2, .sources = sources, .output = "ext.o",
		.status = 0,
	};
	int64_t id = -1;

	if (linkdb_add_compile(fx->db, build, &c, &id) < 0)
		fail_msg("linkdb_add_compile: %s", linkdb_errmsg(fx->db));
	assert_true(id > 0);
	return id;
}

static char arg_shared[] = "-shared", arg_out[] = "foo.so", arg_uinit[] = "uinit.o",
            arg_lib[] = "libhelp.a", arg_so[] = "libdep.so", arg_libdir[] = "-L/opt/x",
            arg_lm[] = "-lm", arg_flag[] = "-Wl,--as-needed";
static char *const link_argv[] = { arg_cc, arg_shared, arg_o, arg_out, arg_obj, arg_uinit,
                                   arg_lib, arg_so, arg_libdir, arg_lm, arg_flag };
#define LINK_ARGC 11

static int64_t
record_ext_link(struct fx *fx, int64_t build)
{
	char *so = in_dir(fx, "foo.so"), *ext = in_dir(fx, "ext.o"),
	     *u = in_dir(fx, "uinit.o"), *a = in_dir(fx, "libhelp.a"),
	     *dep = in_dir(fx, "libdep.so");
	const char *ld[] = { PYWELD_TEST_CC, "-shared", "-o", so, ext, u, a, dep, NULL };
	const struct linkdb_input in[] = {
		{ LINKDB_IN_OBJECT, "ext.o", NULL },
		{ LINKDB_IN_OBJECT, "uinit.o", u },
		{ LINKDB_IN_ARCHIVE, "libhelp.a", NULL },
		{ LINKDB_IN_SHARED, "libdep.so", NULL },
		{ LINKDB_IN_LIBDIR, "-L/opt/x", NULL },
		{ LINKDB_IN_LIB, "-lm", NULL },
		{ LINKDB_IN_FLAG, "-Wl,--as-needed", NULL },
	};
	struct linkdb_link l = {
		.cwd = fx->dir, .argc = LINK_ARGC, .argv = link_argv, .language = "c",
		.output = "foo.so", .ninputs = 7, .inputs = in, .status = 0,
	};
	int64_t id = -1;

	run_ok(ld);
	if (linkdb_add_link(fx->db, build, &l, &id) < 0)
		fail_msg("linkdb_add_link: %s", linkdb_errmsg(fx->db));
	assert_true(id > 0);
	free(so);
	free(ext);
	free(u);
	free(a);
	free(dep);
	return id;
}

/* ================================================================================ */
/* opening                                                                            */
/* ================================================================================ */

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

/* ================================================================================ */
/* migration                                                                          */
/* ================================================================================ */

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

/* ================================================================================ */
/* hashing                                                                            */
/* ================================================================================ */

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

/* ================================================================================ */
/* the store                                                                          */
/* ================================================================================ */

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

/* ================================================================================ */
/* records                                                                            */
/* ================================================================================ */

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

/* ================================================================================ */
/* reading                                                                            */
/* ================================================================================ */

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
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
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

/* ================================================================================ */
/* maintenance                                                                        */
/* ================================================================================ */

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

TEST(test_gc)
{
	char ha[LINKDB_HASH_HEX + 1], hb[LINKDB_HASH_HEX + 1], hc[LINKDB_HASH_HEX + 1],
	     hd[LINKDB_HASH_HEX + 1], he[LINKDB_HASH_HEX + 1];
	char *pa, *pb, *pc, *pd, *pe, *tmp_old, *tmp_new, *dir;
	struct linkdb_gc_stats s;
	struct linkdb_counts c;
	int64_t build = 0, id;
	struct stat st;
	int64_t bytes_old = 0;

	/* A: referenced by a compile. */
	compile_c(fx, "ext", ext_c);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, &build), 0);
	record_ext_compile(fx, build);
	file_hash("ext.o", ha);
	/* B: its compile record is deleted afterwards. */
	compile_c(fx, "helper", helper_c);
	{
		const char *sources[] = { "helper.c" };
		struct linkdb_compile cc = { .cwd = fx->dir, .argc = COMPILE_ARGC,
		                             .argv = compile_argv, .nsources = 1,
		                             .sources = sources, .output = "helper.o" };
		assert_int_equal(linkdb_add_compile(fx->db, build, &cc, &id), 0);
		char *sql = xasprintf("PRAGMA foreign_keys = ON;"
		                      "DELETE FROM compile WHERE id = %lld", (long long)id);
		sql_exec(fx->db_path, sql);
		free(sql);
	}
	file_hash("helper.o", hb);
	/* C: stored, never referenced.  E: the same, but young. */
	put_text("c.txt", "object c\n");
	assert_int_equal(linkdb_store_file(fx->db, "c.txt", hc), 0);
	put_text("e.txt", "object e\n");
	assert_int_equal(linkdb_store_file(fx->db, "e.txt", he), 0);
	/* D: a file in the store without an object row. */
	linkdb_hash_buffer("object d\n", 9, hd);
	pd = linkdb_store_path(fx->db, hd);
	dir = util_dirname(pd);
	assert_int_equal(util_mkdir_p(dir, 0755), 0);
	put_text(pd, "object d\n");
	free(dir);
	/* Two abandoned temporaries, one old, one young. */
	tmp_old = xasprintf("%s/tmp/0123456789abcdef.old", linkdb_store_dir(fx->db));
	tmp_new = xasprintf("%s/tmp/0123456789abcdef.new", linkdb_store_dir(fx->db));
	put_text(tmp_old, "half a file");
	put_text(tmp_new, "half a file");

	pa = linkdb_store_path(fx->db, ha);
	pb = linkdb_store_path(fx->db, hb);
	pc = linkdb_store_path(fx->db, hc);
	pe = linkdb_store_path(fx->db, he);
	const char *old_files[] = { pa, pb, pc, pd, tmp_old };
	for (size_t i = 0; i < 5; i++)
		set_age(old_files[i], 7200);
	for (size_t i = 1; i < 4; i++) {
		assert_int_equal(stat(old_files[i], &st), 0);
		bytes_old += st.st_size;
	}
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.objects, 4);                 /* A B C E */
	assert_int_equal(c.store_files, 5);             /* A B C D E */

	/* Dry run: counts what a real run removes, removes nothing. */
	assert_int_equal(linkdb_gc(fx->db, true, 3600, &s), 0);
	assert_int_equal(s.rows_dropped, 3);            /* B C E */
	assert_int_equal(s.files_removed, 3);           /* B C D: old, without a row */
	assert_int_equal(s.bytes_removed, bytes_old);
	assert_int_equal(s.temps_removed, 1);
	const char *all[] = { pa, pb, pc, pd, pe, tmp_old, tmp_new };
	for (size_t i = 0; i < 7; i++)
		assert_true(util_is_file(all[i]));
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.objects, 4);
	assert_int_equal(c.store_files, 5);

	/* Real run with the same age: the same numbers, and done. */
	assert_int_equal(linkdb_gc(fx->db, false, 3600, &s), 0);
	assert_int_equal(s.rows_dropped, 3);
	assert_int_equal(s.files_removed, 3);
	assert_int_equal(s.bytes_removed, bytes_old);
	assert_int_equal(s.temps_removed, 1);
	assert_true(util_is_file(pa));                  /* referenced, however old */
	assert_false(util_is_file(pb));
	assert_false(util_is_file(pc));
	assert_false(util_is_file(pd));
	assert_true(util_is_file(pe));                  /* no row now, but young */
	assert_false(util_is_file(tmp_old));
	assert_true(util_is_file(tmp_new));
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.objects, 1);
	assert_int_equal(c.compiles, 1);
	assert_int_equal(c.store_files, 2);
	assert_int_equal(linkdb_check(fx->db, on_problem, &(struct problems){ 0 }), 0);

	/* min_age 0: the young leftovers go too; the referenced object stays. */
	assert_int_equal(linkdb_gc(fx->db, false, 0, &s), 0);
	assert_int_equal(s.rows_dropped, 0);
	assert_int_equal(s.files_removed, 1);
	assert_int_equal(s.temps_removed, 1);
	assert_true(util_is_file(pa));
	assert_false(util_is_file(pe));
	assert_false(util_is_file(tmp_new));
	assert_int_equal(linkdb_check(fx->db, on_problem, &(struct problems){ 0 }), 0);

	/* Nothing left to do. */
	assert_int_equal(linkdb_gc(fx->db, false, 0, &s), 0);
	assert_int_equal(s.rows_dropped + s.files_removed + s.temps_removed, 0);

	free(pa);
	free(pb);
	free(pc);
	free(pd);
	free(pe);
	free(tmp_old);
	free(tmp_new);
}

/*
 * gc beside a writer.  linkdb__test_hook stops one handle between two of its
 * steps ("begin": a writer's files are stored and it is about to take the
 * write lock; "gc-candidate": gc has decided a store file may go) and lets a
 * second handle on the same file act there, as another process could.
 */
struct race {
	struct linkdb *at;              /* the handle to stop */
	const char *point;              /* where to stop it */
	const char *arg;                /* for "gc-candidate": only this file */
	void (*act)(struct race *r);    /* what the other handle does there */
	struct fx *fx;
	struct linkdb *other;
	double min_age;
	const char *arg_seen;           /* the arg the hook stopped at */
	bool arg_kept;                  /* that file was still there after act */
	int fired;                      /* times act ran */
	int rc;                         /* what the other handle's call returned */
	char err[1024];
	struct linkdb_gc_stats gs;
};

static struct race *the_race;

static void
race_hook(struct linkdb *db, const char *point, const char *arg)
{
	struct race *r = the_race;

	if (!r || db != r->at || strcmp(point, r->point) != 0 ||
	    (r->arg && (!arg || strcmp(arg, r->arg) != 0)) || r->fired)
		return;
	r->fired++;
	r->arg_seen = arg;
	r->act(r);
}

static void
race_arm(struct race *r)
{
	the_race = r;
	linkdb__test_hook = race_hook;
}

static void
race_disarm(void)
{
	linkdb__test_hook = NULL;
	the_race = NULL;
}

/* A second handle on the fixture's database that waits for locks only briefly. */
static struct linkdb *
second_handle(struct fx *fx)
{
	struct linkdb *db = NULL;

	if (linkdb_open(&db, fx->db_path, 0) < 0)
		fail_msg("cannot open a second handle: %s", linkdb_errmsg(db));
	return db;
}

static void
act_gc(struct race *r)
{
	r->rc = linkdb_gc(r->other, false, r->min_age, &r->gs);
	snprintf(r->err, sizeof(r->err), "%s", linkdb_errmsg(r->other));
}

/* The other handle records a compile of ext.o, waiting for the write lock
 * for at most half a second. */
static void
act_record_compile(struct race *r)
{
	const char *sources[] = { "ext.c" };
	struct linkdb_compile c = {
		.cwd = r->fx->dir, .argc = COMPILE_ARGC, .argv = compile_argv,
		.language = "c", .nsources = 1, .sources = sources, .output = "ext.o",
	};

	sqlite3_busy_timeout(r->other->sql, 500);
	r->rc = linkdb_add_compile(r->other, 0, &c, NULL);
	snprintf(r->err, sizeof(r->err), "%s", linkdb_errmsg(r->other));
	sqlite3_busy_timeout(r->other->sql, 120000);
}

/* The kind of a stored object and whether it has symbol name (defined). */
static void
assert_object(struct linkdb *db, const char *file, const char *kind, const char *sym)
{
	char hex[LINKDB_HASH_HEX + 1], spec[80];
	struct rows rs = { 0 };

	file_hash(file, hex);
	snprintf(spec, sizeof(spec), "object:%s", hex);
	show(db, spec, &rs);
	if (strcmp(text(&rs.v[0], "kind"), kind) != 0)
		fail_msg("object '%s' is recorded as kind '%s', not '%s'", file,
		         text(&rs.v[0], "kind"), kind);
	if (!find_row(&rs, "symbol", "name", sym))
		fail_msg("object '%s' is recorded without its symbol '%s'", file, sym);
	rows_free(&rs);
}

/*
 * The writer found its inputs' object rows ("object known", so it did not
 * scan their symbols); gc drops those rows, which no record references, and
 * with min_age 0 their files, before the writer takes the write lock.  The
 * record must still come out complete: every object row with its kind and
 * symbols, the link's init symbols found, every store file present.
 */
static void
gc_between_known_and_insert(struct fx *fx, double min_age)
{
	static const char *const inputs[] = { "ext.o", "uinit.o", "libhelp.a", "libdep.so" };
	char hex[LINKDB_HASH_HEX + 1];
	struct race r = { .point = "begin", .act = act_gc, .fx = fx, .min_age = min_age };
	struct problems pr = { 0 };
	int64_t build = 0, lid;
	char **names = NULL;
	size_t n = 0;

	make_inputs(fx);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(linkdb_store_file(fx->db, inputs[i], hex), 0);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, &build), 0);

	r.at = fx->db;
	r.other = second_handle(fx);
	race_arm(&r);
	lid = record_ext_link(fx, build);
	race_disarm();
	assert_int_equal(r.fired, 1);
	if (r.rc != 0)
		fail_msg("gc beside the writer failed: %s", r.err);
	assert_int_equal(r.gs.rows_dropped, 4);     /* it did run in the window */
	assert_int_equal(r.gs.files_removed, min_age == 0 ? 4 : 0);

	n = (size_t)linkdb_check(fx->db, on_problem, &pr);
	if (n != 0)
		fail_msg("check found %zu problem(s), the first: %s: %s", n,
		         pr.subjects.v[0], pr.texts.v[0]);
	problems_free(&pr);
	assert_object(fx->db, "ext.o", "object", "PyInit_foo");
	assert_object(fx->db, "uinit.o", "object", "PyInitU_spam_abcdef");
	assert_object(fx->db, "libhelp.a", "archive", "helper");
	assert_object(fx->db, "libdep.so", "shared", "dep_fn");
	assert_int_equal(linkdb_link_inits(fx->db, lid, &names, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	linkdb_close(r.other);
}

TEST(test_gc_between_known_and_insert)
{
	gc_between_known_and_insert(fx, 3600);
}

TEST(test_gc_between_known_and_insert_min_age_0)
{
	gc_between_known_and_insert(fx, 0);
}

/* gc --min-age 0, then the build rewrites ext.o with other content. */
static void
act_gc_then_rewrite(struct race *r)
{
	act_gc(r);
	put_text("ext.o", "not the object that was stored\n");
}

/*
 * gc removed a writer's stored file before its transaction, and the input
 * it came from no longer has that content: the record fails, saying so,
 * and leaves nothing behind.
 */
TEST(test_gc_removed_file_and_input_changed)
{
	const char *sources[] = { "ext.c" };
	struct linkdb_compile c = {
		.cwd = fx->dir, .argc = COMPILE_ARGC, .argv = compile_argv,
		.language = "c", .nsources = 1, .sources = sources, .output = "ext.o",
	};
	struct race r = { .point = "begin", .act = act_gc_then_rewrite, .fx = fx };
	struct linkdb_counts counts;

	compile_c(fx, "ext", ext_c);
	r.at = fx->db;
	r.other = second_handle(fx);
	race_arm(&r);
	assert_int_equal(linkdb_add_compile(fx->db, 0, &c, NULL), -1);
	race_disarm();
	assert_int_equal(r.fired, 1);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.gs.files_removed, 1);
	assert_contains(linkdb_errmsg(fx->db), "ext.o");
	assert_contains(linkdb_errmsg(fx->db), "the file changed while it was being recorded");
	assert_int_equal(linkdb_counts(fx->db, &counts), 0);
	assert_int_equal(counts.compiles + counts.objects + counts.store_files, 0);
	assert_int_equal(linkdb_check(fx->db, on_problem, &(struct problems){ 0 }), 0);
	linkdb_close(r.other);
}

/*
 * gc has found a store file without an object row and old enough to go;
 * before it removes the file, a writer finds that content already stored,
 * refreshes the file and commits a record naming it.  gc must keep it.
 */
static void
gc_keeps_refreshed_file(struct fx *fx, double min_age)
{
	char hex[LINKDB_HASH_HEX + 1];
	struct race r = { .point = "gc-candidate", .act = act_record_compile, .fx = fx };
	struct linkdb_gc_stats gs;
	struct problems pr = { 0 };
	size_t len;
	char *content, *sp, *dir;
	int n;

	compile_c(fx, "ext", ext_c);
	file_hash("ext.o", hex);
	sp = linkdb_store_path(fx->db, hex);
	dir = util_dirname(sp);
	assert_int_equal(util_mkdir_p(dir, 0755), 0);
	content = slurp("ext.o", &len);
	put_file(sp, content, len);
	set_age(sp, 7200);              /* an orphan, long untouched */

	r.at = second_handle(fx);       /* gc runs on this one */
	r.other = fx->db;               /* the writer */
	r.arg = sp;
	race_arm(&r);
	assert_int_equal(linkdb_gc(r.at, false, min_age, &gs), 0);
	race_disarm();
	assert_int_equal(r.fired, 1);   /* the writer did come in between */
	if (r.rc != 0)
		fail_msg("the writer beside gc failed: %s", r.err);
	n = linkdb_check(fx->db, on_problem, &pr);
	if (n != 0)
		fail_msg("check found %d problem(s), the first: %s: %s", n,
		         pr.subjects.v[0], pr.texts.v[0]);
	problems_free(&pr);
	assert_int_equal(gs.files_removed, 0);
	assert_true(util_is_file(sp));
	assert_object(fx->db, "ext.o", "object", "PyInit_foo");
	linkdb_close(r.at);
	free(content);
	free(dir);
	free(sp);
}

TEST(test_gc_keeps_refreshed_file)
{
	gc_keeps_refreshed_file(fx, 3600);
}

TEST(test_gc_keeps_refreshed_file_min_age_0)
{
	gc_keeps_refreshed_file(fx, 0);
}

/* gc, a dry run and then a real one with min_age 0, while a writer's
 * temporary is written and not yet renamed into place. */
static void
act_gc_temps(struct race *r)
{
	struct linkdb_gc_stats dry;

	r->rc = linkdb_gc(r->other, true, 0, &dry);
	if (r->rc == 0)
		r->rc = linkdb_gc(r->other, false, 0, &r->gs);
	snprintf(r->err, sizeof(r->err), "%s", linkdb_errmsg(r->other));
	r->gs.temps_removed += dry.temps_removed;
	r->arg_kept = util_is_file(r->arg_seen);
}

/*
 * gc --min-age 0 removes abandoned temporaries, but never one a writer is
 * writing: the writer would find it gone at the rename (and, twice in a row,
 * fail its record).
 */
TEST(test_gc_leaves_temporaries_in_use)
{
	struct race r = { .point = "store-temp", .act = act_gc_temps, .fx = fx };
	struct linkdb_counts c;
	int64_t build = 0;
	char *tmpdir = xasprintf("%s/tmp", linkdb_store_dir(fx->db));

	compile_c(fx, "ext", ext_c);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, &build), 0);
	r.at = fx->db;
	r.other = second_handle(fx);
	race_arm(&r);
	record_ext_compile(fx, build);
	race_disarm();
	assert_int_equal(r.fired, 1);
	if (r.rc != 0)
		fail_msg("gc beside the writer failed: %s", r.err);
	assert_int_equal(r.gs.temps_removed, 0);
	assert_true(r.arg_kept);
	assert_int_equal(dir_entries(tmpdir), 0);       /* renamed into place */
	assert_object(fx->db, "ext.o", "object", "PyInit_foo");
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.store_files, 1);
	assert_int_equal(linkdb_check(fx->db, on_problem, &(struct problems){ 0 }), 0);

	/* An abandoned temporary (nobody holds its lock) does go. */
	char *old = xasprintf("%s/0123456789abcdef.abandoned", tmpdir);
	put_text(old, "half a file");
	assert_int_equal(linkdb_gc(r.other, false, 0, &r.gs), 0);
	assert_int_equal(r.gs.temps_removed, 1);
	assert_false(util_is_file(old));
	linkdb_close(r.other);
	free(old);
	free(tmpdir);
}

/*
 * A dry run only reads: a writer records while it walks the store, without
 * waiting for it.  Its counts are still those of a real run.
 */
TEST(test_gc_dry_run_lets_writers_in)
{
	char hd[LINKDB_HASH_HEX + 1];
	struct race r = { .point = "gc-candidate", .act = act_record_compile, .fx = fx };
	struct linkdb_gc_stats gs;
	struct linkdb_counts c;
	char *pd, *dir;

	compile_c(fx, "ext", ext_c);
	/* An orphan store file for the dry run to find. */
	linkdb_hash_buffer("object d\n", 9, hd);
	pd = linkdb_store_path(fx->db, hd);
	dir = util_dirname(pd);
	assert_int_equal(util_mkdir_p(dir, 0755), 0);
	put_text(pd, "object d\n");
	set_age(pd, 7200);

	r.at = second_handle(fx);       /* the dry run */
	r.other = fx->db;               /* the writer */
	race_arm(&r);
	assert_int_equal(linkdb_gc(r.at, true, 3600, &gs), 0);
	race_disarm();
	assert_int_equal(r.fired, 1);
	if (r.rc != 0)
		fail_msg("a writer could not record during a dry run: %s", r.err);
	assert_int_equal(gs.files_removed, 1);
	assert_int_equal(gs.bytes_removed, 9);
	assert_true(util_is_file(pd));
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.compiles, 1);
	linkdb_close(r.at);
	free(dir);
	free(pd);
}

/* ================================================================================ */
/* distributions and the weld's lookups                                              */
/* ================================================================================ */

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
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
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
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_open_create_reopen),
		T(test_open_readonly_refuses_writes),
		T(test_open_truncated_and_garbage),
		T(test_open_refuses_newer_schema),
		T(test_open_refuses_foreign_sqlite),
		T(test_migrate_from_v1),
		T(test_migrate_concurrently_once),
		T(test_hash_functions),
		T(test_store_lto_flag),
		T(test_store_file_dedup_and_symbols),
		T(test_begin_build),
		T(test_add_compile),
		T(test_add_link),
		T(test_add_and_find_archive),
		T(test_list_show_counts),
		T(test_check),
		T(test_gc),
		T(test_gc_between_known_and_insert),
		T(test_gc_between_known_and_insert_min_age_0),
		T(test_gc_removed_file_and_input_changed),
		T(test_gc_keeps_refreshed_file),
		T(test_gc_keeps_refreshed_file_min_age_0),
		T(test_gc_dry_run_lets_writers_in),
		T(test_gc_leaves_temporaries_in_use),
		T(test_distribution_and_lookups),
		T(test_extension_and_file_symbols),
#undef T
	};

	/* A scrubbed environment: nothing of the caller's reaches the tests. */
	unsetenv("PYWELD_DB");
	setenv("LC_ALL", "C", 1);
	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests_name("linkdb", tests, NULL, NULL);
}

/*
 * linkdb_test.c: what the linkdb unit tests share: the per-test directory
 * and database, helpers that assert as they go, a second raw SQLite
 * connection, the rows linkdb_list and linkdb_show hand out, and real
 * objects, archives and shared objects made with the build's own tools.
 */
#include "linkdb_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* --- per-test directory ------------------------------------------------------ */

int
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

int
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

/* --- small helpers --------------------------------------------------------------- */

char *
in_dir(const struct fx *fx, const char *name)
{
	return xasprintf("%s/%s", fx->dir, name);
}

void
put_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

void
put_text(const char *path, const char *text)
{
	put_file(path, text, strlen(text));
}

/* The whole content of a file (asserts it can be read). */
char *
slurp(const char *path, size_t *len)
{
	char *buf = NULL;

	assert_int_equal(util_read_file(path, &buf, len), 0);
	return buf;
}

void
file_hash(const char *path, char hex[LINKDB_HASH_HEX + 1])
{
	assert_int_equal(linkdb_hash_file(path, hex), 0);
}

void
assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

/* Runs a tool (argv, no shell) and asserts it exits 0. */
void
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
void
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
void
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
int
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
int
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

void
set_age(const char *path, double seconds)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - (time_t)seconds;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* --- a second, raw SQLite connection ------------------------------------------ */

void
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
int64_t
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
int
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
char *
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

int
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

void
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

const struct cell *
cell(const struct crow *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->cells[i].name, name))
			return &r->cells[i];
	fail_msg("row of section '%s' has no column '%s'", r->section, name);
	return NULL;
}

const char *
text(const struct crow *r, const char *name)
{
	const struct cell *c = cell(r, name);

	if (c->type != LINKDB_TEXT)
		fail_msg("column '%s' of '%s' is not text (type %d)", name, r->section,
		         (int)c->type);
	return c->s;
}

int64_t
integer(const struct crow *r, const char *name)
{
	const struct cell *c = cell(r, name);

	if (c->type != LINKDB_INT)
		fail_msg("column '%s' of '%s' is not an integer (type %d)", name,
		         r->section, (int)c->type);
	return c->i;
}

bool
is_null(const struct crow *r, const char *name)
{
	return cell(r, name)->type == LINKDB_NULL;
}

size_t
count_section(const struct rows *rs, const char *section)
{
	size_t n = 0;

	for (size_t k = 0; k < rs->n; k++)
		n += !strcmp(rs->v[k].section, section);
	return n;
}

/* The k-th row of a section (asserts it exists). */
const struct crow *
nth(const struct rows *rs, const char *section, size_t k)
{
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->v[i].section, section) && k-- == 0)
			return &rs->v[i];
	fail_msg("no row %zu in section '%s'", k, section);
	return NULL;
}

/* The row of section whose column col has text value (NULL when none). */
const struct crow *
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

void
show(struct linkdb *db, const char *spec, struct rows *rs)
{
	rows_free(rs);
	if (linkdb_show(db, spec, collect, rs) < 0)
		fail_msg("linkdb_show(%s): %s", spec, linkdb_errmsg(db));
}

void
list(struct linkdb *db, enum linkdb_list what, struct rows *rs)
{
	rows_free(rs);
	if (linkdb_list(db, what, collect, rs) < 0)
		fail_msg("linkdb_list(%d): %s", (int)what, linkdb_errmsg(db));
}

/* --- check problems --------------------------------------------------------------- */

void
on_problem(void *ctx, const char *subject, const char *problem)
{
	struct problems *p = ctx;

	p->n++;
	strvec_push(&p->subjects, subject);
	strvec_push(&p->texts, problem);
}

void
problems_free(struct problems *p)
{
	strvec_free(&p->subjects);
	strvec_free(&p->texts);
	p->n = 0;
}

/* --- sources for real objects ----------------------------------------------------- */

const char ext_c[] =
	"/* an extension module's object */\n"
	"extern int helper(int);\n"
	"extern int printf(const char *, ...);\n"
	"void *PyInit_foo(void);\n"
	"int weak_fn(void);\n"
	"static int hidden(int x) { return x + 1; }\n"
	"void *PyInit_foo(void) { printf(\"%d\", helper(hidden(1))); return 0; }\n"
	"__attribute__((weak)) int weak_fn(void) { return 2; }\n";

const char helper_c[] =
	"extern int helper_part(int);\n"
	"int helper(int);\n"
	"int helper(int x) { return helper_part(x) * 2; }\n";

const char helper_part_c[] =
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
void
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
char *const compile_argv[] = { arg_cc, arg_c, arg_src, arg_o, arg_obj, arg_def,
                                      arg_bad };

int64_t
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
char *const link_argv[] = { arg_cc, arg_shared, arg_o, arg_out, arg_obj, arg_uinit,
                                   arg_lib, arg_so, arg_libdir, arg_lm, arg_flag };

int64_t
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

int
linkdb_test_run(const char *name, const struct CMUnitTest *tests, size_t n)
{
	/* A scrubbed environment: nothing of the caller's reaches the tests. */
	unsetenv("PYWELD_DB");
	setenv("LC_ALL", "C", 1);
	setenv("TZ", "UTC", 1);
	return _cmocka_run_group_tests(name, tests, n, NULL, NULL);
}

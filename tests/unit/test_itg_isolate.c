/*
 * test_itg_isolate: cmocka unit tests of the isolate step's two functions
 * (inittab-gen/isolate.c) on objects and an archive compiled here with cc
 * and ar; no CPython distribution needed.
 *
 * What is asserted (symbol kinds as `nm -P` prints them):
 *   - a C extension: the result is <dir>/<renamed>.o, renamed
 *     "pyweld_init_<name with '_' for '.'>_<8 hex>"; the init function
 *     defined under that name only, global; its own strong globals and the
 *     archive member it needs local; the member it does not need absent;
 *     its weak definition still global and weak; the Python API it calls
 *     still undefined; no .keep file left beside it; no quirk, no cache hit;
 *   - a Rust extension (rust set, no C++): its weak definitions local too,
 *     and DW.ref.rust_eh_personality renamed after the extension;
 *   - numpy's multiarray module (the quirk table): its call of backtrace()
 *     goes to pyweld_no_backtrace and e->quirk says why;
 *   - with a cache directory: the second isolation of the same inputs is a
 *     hit with the same bytes; other rules (rust) are a miss;
 *   - an input ld cannot read: -1, "partial link of '<name>' failed";
 *   - itg_check_collisions: a strong global of two objects is one clash,
 *     reported with both owners; a weak one of both is none.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

struct fx {
	char *dir;              /* the temporary directory */
	char *ext_o;            /* the extension's object */
	char *priv_a;           /* its private archive */
	char *out;              /* where isolated objects go */
};

/* Compiles C source text into dir/<name>.o; returns its path. */
static char *
compile(const char *dir, const char *name, const char *text)
{
	char *c = xasprintf("%s/%s.c", dir, name), *o = xasprintf("%s/%s.o", dir, name);

	assert_int_equal(util_write_atomic(c, text, strlen(text), 0644, false), 0);
	assert_int_equal(util_run((const char *const[]){ "cc", "-std=gnu11", "-fPIC", "-O1",
	                                                 "-c", "-o", o, c, NULL }, NULL), 0);
	free(c);
	return o;
}

static const char ext_src[] =
	"extern int priv_used(void);\n"
	"extern int Py_api_call(int);\n"
	"int helper_strong = 3;\n"
	"__attribute__((weak)) int inline_like(void) { return 7; }\n"
	"void *dw_ref __asm__(\"DW.ref.rust_eh_personality\") __attribute__((weak)) = 0;\n"
	"int PyInit_foo(void) { return Py_api_call(priv_used() + helper_strong + inline_like()); }\n";

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *t = getenv("TMPDIR");

	assert_non_null(f);
	/* A directory name with a space and a quote, as a user's may be. */
	f->dir = xasprintf("%s/test_itg_isolate 'q'.XXXXXX", t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	f->ext_o = compile(f->dir, "ext", ext_src);
	char *used = compile(f->dir, "used", "int priv_used(void) { return 41; }\n");
	char *unused = compile(f->dir, "unused", "int priv_unused(void) { return 0; }\n");
	f->priv_a = xasprintf("%s/libpriv.a", f->dir);
	assert_int_equal(util_run((const char *const[]){ "ar", "rcs", f->priv_a, used, unused,
	                                                 NULL }, NULL), 0);
	f->out = xasprintf("%s/objs", f->dir);
	assert_int_equal(util_mkdir_p(f->out, 0755), 0);
	free(used);
	free(unused);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	util_remove_tree(f->dir);
	free(f->dir);
	free(f->ext_o);
	free(f->priv_a);
	free(f->out);
	free(f);
	return 0;
}

static void
ext_init(struct itg_ext *e, const struct fx *f, const char *name, const char *init)
{
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	e->init = xstrdup(init);
	e->package = xstrdup("pkg");
	e->version = xstrdup("1.0");
	strvec_push(&e->objects, f->ext_o);
	strvec_push(&e->archives, f->priv_a);
}

/* The kind letter nm -P gives a symbol of path ('T', 't', 'W', 'U', ...),
 * or 0 when path has no such symbol. */
static char
sym_kind(const char *path, const char *sym)
{
	char *out = NULL, kind = 0;
	size_t len = 0, n = strlen(sym);

	assert_int_equal(util_run_capture((const char *const[]){ "nm", "-P", path, NULL }, NULL,
	                                  &out, &len), 0);
	for (char *line = out; line && *line;) {
		char *nl = strchr(line, '\n');
		if (!strncmp(line, sym, n) && line[n] == ' ') {
			kind = line[n + 1];
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(out);
	return kind;
}

/* Files in dir other than the given one. */
static size_t
others_in(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, util_basename(keep)))
			n++;
	closedir(d);
	return n;
}

static void
c_extension(void **state)
{
	struct fx *f = *state;
	struct itg_ext e;
	char err[512] = "";
	bool cached = true;

	ext_init(&e, f, "pkg.foo", "PyInit_foo");
	assert_int_equal(itg_isolate(&e, f->out, NULL, &cached, err, sizeof(err)), 0);
	assert_false(cached);
	assert_null(e.quirk);
	assert_non_null(e.renamed);
	assert_true(util_starts_with(e.renamed, "pyweld_init_pkg_foo_"));
	assert_int_equal(strlen(e.renamed), strlen("pyweld_init_pkg_foo_") + 8);
	char *want = xasprintf("%s/%s.o", f->out, e.renamed);
	assert_string_equal(e.isolated, want);
	assert_true(util_is_file(e.isolated));
	assert_int_equal(others_in(f->out, e.isolated), 0);     /* no .keep left */

	assert_int_equal(sym_kind(e.isolated, e.renamed), 'T');
	assert_int_equal(sym_kind(e.isolated, "PyInit_foo"), 0);
	assert_int_equal(sym_kind(e.isolated, "helper_strong"), 'd');
	assert_int_equal(sym_kind(e.isolated, "priv_used"), 't');
	assert_int_equal(sym_kind(e.isolated, "priv_unused"), 0);
	assert_int_equal(sym_kind(e.isolated, "inline_like"), 'W');
	assert_int_equal(sym_kind(e.isolated, "DW.ref.rust_eh_personality"), 'V');
	assert_int_equal(sym_kind(e.isolated, "Py_api_call"), 'U');
	free(want);
	itg_ext_free(&e);
}

static void
rust_extension(void **state)
{
	struct fx *f = *state;
	struct itg_ext e;
	char err[512] = "";

	ext_init(&e, f, "pkg.rs", "PyInit_foo");
	e.rust = true;
	assert_int_equal(itg_isolate(&e, f->out, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(sym_kind(e.isolated, e.renamed), 'T');
	assert_int_equal(sym_kind(e.isolated, "inline_like"), 't');
	assert_int_equal(sym_kind(e.isolated, "DW.ref.rust_eh_personality"), 0);
	char *dw = xasprintf("DW.ref.rust_eh_personality.%s", e.renamed);
	assert_int_equal(sym_kind(e.isolated, dw), 'b');
	assert_int_equal(sym_kind(e.isolated, "Py_api_call"), 'U');
	free(dw);
	itg_ext_free(&e);
}

static void
numpy_quirk(void **state)
{
	struct fx *f = *state;
	struct itg_ext e;
	char err[512] = "";

	memset(&e, 0, sizeof(e));
	e.name = xstrdup("numpy.core._multiarray_umath");
	e.init = xstrdup("PyInit__multiarray_umath");
	strvec_push_owned(&e.objects, compile(f->dir, "np",
		"#include <execinfo.h>\n"
		"int PyInit__multiarray_umath(void) { void *b[4]; return backtrace(b, 4); }\n"));
	assert_int_equal(itg_isolate(&e, f->out, NULL, NULL, err, sizeof(err)), 0);
	assert_non_null(e.quirk);
	assert_non_null(strstr(e.quirk, "elision"));
	assert_int_equal(sym_kind(e.isolated, "backtrace"), 0);
	assert_int_equal(sym_kind(e.isolated, "pyweld_no_backtrace"), 'U');
	itg_ext_free(&e);
}

static void
from_the_cache(void **state)
{
	struct fx *f = *state;
	struct itg_ext a, b, c;
	char err[512] = "", *cache = xasprintf("%s/cache", f->dir);
	char *first = NULL, *second = NULL;
	size_t n1 = 0, n2 = 0;
	bool cached = true;

	ext_init(&a, f, "pkg.cached", "PyInit_foo");
	assert_int_equal(itg_isolate(&a, f->out, cache, &cached, err, sizeof(err)), 0);
	assert_false(cached);
	assert_int_equal(util_read_file(a.isolated, &first, &n1), 0);
	assert_int_equal(unlink(a.isolated), 0);

	ext_init(&b, f, "pkg.cached", "PyInit_foo");
	assert_int_equal(itg_isolate(&b, f->out, cache, &cached, err, sizeof(err)), 0);
	assert_true(cached);
	assert_int_equal(util_read_file(b.isolated, &second, &n2), 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(first, second, n1);

	ext_init(&c, f, "pkg.cached", "PyInit_foo");
	c.rust = true;
	assert_int_equal(itg_isolate(&c, f->out, cache, &cached, err, sizeof(err)), 0);
	assert_false(cached);
	assert_int_equal(sym_kind(c.isolated, "inline_like"), 't');

	free(first);
	free(second);
	free(cache);
	itg_ext_free(&a);
	itg_ext_free(&b);
	itg_ext_free(&c);
}

static void
unreadable_input(void **state)
{
	struct fx *f = *state;
	struct itg_ext e;
	char err[512] = "";

	memset(&e, 0, sizeof(e));
	e.name = xstrdup("pkg.bad");
	e.init = xstrdup("PyInit_bad");
	strvec_push_owned(&e.objects, xasprintf("%s/no such object.o", f->dir));
	assert_int_equal(itg_isolate(&e, f->out, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "partial link of 'pkg.bad' failed"));
	assert_null(e.isolated);
	itg_ext_free(&e);
}

struct clashes {
	int n;
	char symbol[64], a[64], b[64];
};

static void
report(void *ctx, const char *symbol, const char *a, const char *b)
{
	struct clashes *c = ctx;

	c->n++;
	snprintf(c->symbol, sizeof(c->symbol), "%s", symbol);
	snprintf(c->a, sizeof(c->a), "%s", a);
	snprintf(c->b, sizeof(c->b), "%s", b);
}

static void
collisions(void **state)
{
	struct fx *f = *state;
	const char *src = "int dup = 1;\n__attribute__((weak)) int merged(void) { return 2; }\n";
	char *one = compile(f->dir, "one", src), *two = compile(f->dir, "two", src);
	const char *objs[] = { one, two }, *owners[] = { "one (a 1)", "two (b 2)" };
	struct clashes c = { 0 };
	char err[256] = "";

	assert_int_equal(itg_check_collisions(objs, owners, 2, report, &c, err, sizeof(err)), 1);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.symbol, "dup");
	assert_string_equal(c.a, "one (a 1)");
	assert_string_equal(c.b, "two (b 2)");
	free(one);
	free(two);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(c_extension, setup, teardown),
		cmocka_unit_test_setup_teardown(rust_extension, setup, teardown),
		cmocka_unit_test_setup_teardown(numpy_quirk, setup, teardown),
		cmocka_unit_test_setup_teardown(from_the_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(unreadable_input, setup, teardown),
		cmocka_unit_test_setup_teardown(collisions, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

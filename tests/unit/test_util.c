/*
 * test_util: cmocka unit tests of util/, the helpers every pyweld program
 * shares.
 *
 * What is asserted:
 *   - countof counts an array's elements;
 *   - strvec_cargv: the read-only view of a strvec is NULL-terminated, an
 *     empty strvec gives an empty array, and util_run takes it and string
 *     literals (const char *const[]) as they are; strvec_has;
 *   - util_is_shared_object: ".so" at the end, or ".so." in the last
 *     component only;
 *   - util_cmdlog_run on a shell script that prints what compilers, pip and
 *     make print: the log holds "+ command" ("+ (cd DIR) command" with a
 *     directory) then the output byte for byte; the caller's callback gets
 *     every line, the last one without its newline too; first_error is the
 *     first compiler or linker error (leading spaces dropped, later ones
 *     ignored), pip_error pip's last "ERROR: " line after the prefix but
 *     never its "Failed building wheel" summary, last_error the last line
 *     that reads like an error, as printed; the exit status comes back, and
 *     the next run starts with no error lines; a program that cannot be
 *     started is -1 with errno.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static void
test_countof(void **state)
{
	static const char *const words[] = { "a", "b", "c" };
	int nums[7];

	(void)state;
	assert_int_equal(countof(words), 3);
	assert_int_equal(countof(nums), 7);
}

static void
test_strvec_cargv(void **state)
{
	struct strvec sv = { 0 };
	const char *const *v;

	(void)state;
	v = strvec_cargv(&sv);
	assert_non_null(v);
	assert_null(v[0]);
	strvec_push(&sv, "sh");
	strvec_push(&sv, "-c");
	strvec_push(&sv, "exit 7");
	v = strvec_cargv(&sv);
	assert_string_equal(v[0], "sh");
	assert_string_equal(v[2], "exit 7");
	assert_null(v[3]);
	assert_true(strvec_has(&sv, "-c"));
	assert_false(strvec_has(&sv, "-"));
	assert_int_equal(util_run(v, NULL), 7);
	assert_int_equal(util_run((const char *const[]){ "sh", "-c", "exit 3", NULL },
	                          (const char *const[]){ "PATH=/usr/bin:/bin", NULL }), 3);
	strvec_free(&sv);
}

/* PEP 503's normalisation, shared by the SBOM, pip's report and --env PKG: */
static void
test_pep503_name(void **state)
{
	static const char *const cases[][2] = {
		{ "MarkupSafe", "markupsafe" }, { "zope.interface", "zope-interface" },
		{ "Foo__Bar-.baz", "foo-bar-baz" }, { "_x_", "-x-" }, { "", "" },
	};

	(void)state;
	for (size_t i = 0; i < countof(cases); i++) {
		char *got = util_pep503_name(cases[i][0]);
		assert_string_equal(got, cases[i][1]);
		free(got);
	}
}

static void
test_is_shared_object(void **state)
{
	(void)state;
	assert_true(util_is_shared_object("pkg/_speedups.cpython-311-x86_64-linux-gnu.so"));
	assert_true(util_is_shared_object("x.so"));
	assert_true(util_is_shared_object("pkg.libs/libz-a1b2.so.1.2.13"));
	assert_true(util_is_shared_object("/usr/lib/libfoo.so.1"));
	assert_false(util_is_shared_object("pkg/mod.py"));
	assert_false(util_is_shared_object("pkg.so.d/mod.py"));    /* a directory's name */
	assert_false(util_is_shared_object("pkg/data.sox"));
	assert_false(util_is_shared_object("libfoo.a"));
}

struct lines {
	struct strvec seen;
};

static void
collect(void *ctx, const char *text)
{
	struct lines *l = ctx;
	strvec_push(&l->seen, text);
}

/* What the log file holds (malloc'd). */
static char *
slurp(const char *path)
{
	char *text = NULL;
	assert_int_equal(util_read_file(path, &text, NULL), 0);
	return text;
}

static const char script[] =
	"echo 'building extension'\n"
	"echo '  x.c:1:2: error: unknown type name '\\''foo'\\'''\n"
	"echo 'y.c:3:4: fatal error: y.h: No such file or directory'\n"
	"echo 'ERROR: first verdict'\n"
	"echo '  ERROR: Failed building wheel for pw'\n"
	"echo 'ERROR: Could not build wheels for pw'\n"
	"echo 'make: *** [Makefile:12: all] Error 2'\n"
	"printf 'no newline at the end'\n"
	"exit 3\n";

static void
test_cmdlog(void **state)
{
	char dir[] = "/tmp/pyweld-test-util.XXXXXX", *log, *text;
	struct lines l = { { 0 } };
	struct util_cmdlog c = { .logfd = -1, .line = collect, .ctx = &l };
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	log = util_path_join(dir, "build.log");
	c.logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(c.logfd >= 0);

	rc = util_cmdlog_run(&c, (const char *const[]){ "sh", "-c", script, NULL }, NULL, NULL);
	assert_int_equal(rc, 3);
	assert_string_equal(c.first_error, "x.c:1:2: error: unknown type name 'foo'");
	assert_string_equal(c.pip_error, "Could not build wheels for pw");
	assert_string_equal(c.last_error, "make: *** [Makefile:12: all] Error 2");
	assert_int_equal(l.seen.n, 8);
	assert_string_equal(l.seen.v[1], "  x.c:1:2: error: unknown type name 'foo'");
	assert_string_equal(l.seen.v[7], "no newline at the end");

	rc = util_cmdlog_run(&c, (const char *const[]){ "sh", "-c", "echo fine", NULL }, NULL,
	                     dir);
	assert_int_equal(rc, 0);
	assert_string_equal(c.first_error, "");
	assert_string_equal(c.pip_error, "");
	assert_string_equal(c.last_error, "");
	close(c.logfd);

	text = slurp(log);
	assert_true(util_starts_with(text, "+ sh -c echo 'building extension'\n"));
	assert_non_null(strstr(text, "\nbuilding extension\n  x.c:1:2: error: "));
	assert_non_null(strstr(text, "Error 2\nno newline at the end+ (cd "));
	char *cd = xasprintf("+ (cd %s) sh -c echo fine\nfine\n", dir);
	assert_true(util_ends_with(text, cd));
	free(cd);
	free(text);

	c.logfd = -1;
	errno = 0;
	rc = util_cmdlog_run(&c, (const char *const[]){ "/nonexistent/pyweld-no-such", NULL },
	                     NULL, NULL);
	assert_int_equal(rc, -1);
	assert_int_equal(errno, ENOENT);

	strvec_free(&l.seen);
	assert_int_equal(util_remove_tree(dir), 0);
	free(log);
}

/* Control characters, C1 ones in UTF-8 and bytes that begin no UTF-8
 * sequence become '?'; other UTF-8 text stays. */
static void
test_safe_text(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain text", "plain text" },
		{ "esc\x1b[31mred\x7f\ttab\n", "esc?[31mred??tab?" },
		{ "csi\xc2\x9b""31mred nel\xc2\x85 pad\xc2\x80", "csi?31mred nel? pad?" },
		{ "\xc2\xa0nbsp \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "\xc2\xa0nbsp \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "lone \x9b and \xff and \xc3 cut", "lone ? and ? and ? cut" },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < countof(cases); i++) {
		char *s = xstrdup(cases[i].in);
		assert_string_equal(util_safe_text(s), cases[i].out);
		free(s);
	}
}

/* A URL loses its user:password@ and its query (tokens and signatures
 * travel in both); the path, an '@' in it (a VCS revision) and the
 * fragment stay. */
static void
test_url_without_credentials(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "https://files.example/p/x-1.0.tar.gz", "https://files.example/p/x-1.0.tar.gz" },
		{ "https://user:pw@host/simple/x.whl", "https://host/simple/x.whl" },
		{ "https://a@b:p@ss@host:8080/x.whl#sha256=ab", "https://host:8080/x.whl#sha256=ab" },
		{ "https://host/x.whl?token=s3cret&sig=1#frag", "https://host/x.whl#frag" },
		{ "https://tok@host?x=1", "https://host" },
		{ "git+https://tok:x-oauth@github.com/o/r.git@v1.0", "git+https://github.com/o/r.git@v1.0" },
		{ "file:///home/a%20b/x-1.0.tar.gz", "file:///home/a%20b/x-1.0.tar.gz" },
		{ "not a url @ all?q", "not a url @ all?q" },
	};

	(void)state;
	for (size_t i = 0; i < countof(cases); i++) {
		char *s = util_url_without_credentials(cases[i].in);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_countof),
		cmocka_unit_test(test_strvec_cargv),
		cmocka_unit_test(test_pep503_name),
		cmocka_unit_test(test_is_shared_object),
		cmocka_unit_test(test_cmdlog),
		cmocka_unit_test(test_safe_text),
		cmocka_unit_test(test_url_without_credentials),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

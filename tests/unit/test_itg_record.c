/*
 * test_itg_record: cmocka unit tests of the RECORD reader
 * (inittab-gen/record.c) that the collect and pack steps share.
 *
 * What is asserted: on RECORD text as pip writes it with Python's csv
 * module, itg_record_parse gives the path of every row, the same list
 * Python's csv.reader gives (the expected lists below were read back by
 * csv.reader): plain "\r\n" rows, "\n" rows and a last row without an
 * end; quoted paths holding a comma, doubled quotes, a line feed or a
 * carriage return; a quoted later field holding a comma and a line break,
 * which does not end the row; text after a closing quote, kept; an
 * unterminated quote, ended by the end of the text; empty rows and rows
 * with an empty path, left out; a path holding a NUL byte, left out.
 * itg_record_read reads a file the same way and fails with errno when
 * there is none.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itg.h"
#include "util.h"

static void
check_paths(const struct strvec *got, const char *const *want, size_t n)
{
	for (size_t i = 0; i < n && i < got->n; i++)
		assert_string_equal(got->v[i], want[i]);
	assert_int_equal(got->n, n);
}

static void
test_pip_rows(void **state)
{
	static const char text[] =
		"markupsafe/__init__.py,sha256=abc,123\r\n"
		"markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so,sha256=def,456\r\n"
		"markupsafe-2.1.5.dist-info/RECORD,,\r\n"
		"../../bin/x,,\n"
		"pkg/a b.py,,\r\n"
		"last/line.py,,";
	static const char *const want[] = {
		"markupsafe/__init__.py",
		"markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so",
		"markupsafe-2.1.5.dist-info/RECORD",
		"../../bin/x",
		"pkg/a b.py",
		"last/line.py",
	};
	struct strvec paths = { 0 };

	(void)state;
	assert_int_equal(itg_record_parse(text, sizeof(text) - 1, &paths), 0);
	check_paths(&paths, want, countof(want));
	strvec_free(&paths);
}

static void
test_quoted(void **state)
{
	/* csv.writer's own output for these paths, then rows a reader must
	 * survive */
	static const char text[] =
		"\"pkg/a,b.so\",sha256=x,1\r\n"
		"\"pkg/say \"\"hi\"\".txt\",sha256=x,1\r\n"
		"\"pkg/two\nlines.txt\",sha256=x,1\r\n"
		"\"pkg/cr\rx\",sha256=x,1\r\n"
		"x.py,\"sha,256\r\nmore\",1\r\n"
		"\"ab\"c,x\n"
		"\r\n"
		",sha256=x,1\r\n"
		"\"tail";
	static const char *const want[] = {
		"pkg/a,b.so", "pkg/say \"hi\".txt", "pkg/two\nlines.txt", "pkg/cr\rx", "x.py",
		"abc", "tail",
	};
	struct strvec paths = { 0 };

	(void)state;
	assert_int_equal(itg_record_parse(text, sizeof(text) - 1, &paths), 0);
	check_paths(&paths, want, countof(want));
	strvec_free(&paths);
}

static void
test_nul(void **state)
{
	static const char text[] = "ok.py,,\r\nbad\0.so,,\r\n\"q\0uoted\",,\r\nafter.py,,\r\n";
	static const char *const want[] = { "ok.py", "after.py" };
	struct strvec paths = { 0 };

	(void)state;
	assert_int_equal(itg_record_parse(text, sizeof(text) - 1, &paths), 0);
	check_paths(&paths, want, countof(want));
	strvec_free(&paths);
}

static void
test_read_file(void **state)
{
	char dir[] = "/tmp/pyweld-test-record.XXXXXX";
	static const char text[] = "\"a,b/c.so\",sha256=x,1\r\nd.py,,\r\n";
	static const char *const want[] = { "a,b/c.so", "d.py" };
	struct strvec paths = { 0 };
	char *path;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = util_path_join(dir, "RECORD");
	assert_int_equal(util_write_atomic(path, text, sizeof(text) - 1, 0644, false), 0);
	assert_int_equal(itg_record_read(path, &paths), 0);
	check_paths(&paths, want, countof(want));
	strvec_free(&paths);
	unlink(path);
	errno = 0;
	assert_int_equal(itg_record_read(path, &paths), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(paths.n, 0);
	rmdir(dir);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pip_rows),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_read_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

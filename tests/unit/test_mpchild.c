/*
 * test_mpchild: cmocka unit tests of runtime/mpchild.c, which decides
 * whether an application binary's command line is one of the lines
 * CPython 3.11's multiprocessing starts sys.executable with (and so runs
 * as the interpreter) or the application's own argv.
 *
 * The descriptors are real: pipes (both ends), a listening Unix socket,
 * one that does not listen, a UDP socket, a regular file, /dev/null, and
 * numbers that are not open.  What is asserted:
 *   - accepted: the spawn, fork server and resource tracker lines as
 *     CPython writes them, with the flags an application binary's parent
 *     emits (-S -I), with none, and with every flag
 *     _args_from_interpreter_flags() can emit in its order; fork server
 *     preload lists and sys_path entries as repr() writes them (quotes,
 *     backslashes, newlines, surrogate escapes, non-ASCII, both quote
 *     styles);
 *   - refused (the application's argv): a stranger's code made to look
 *     like a child's (-c arbitrary code plus --multiprocessing-fork), code
 *     before or after CPython's program or chained with ';', any
 *     difference of spacing, extra or missing arguments, flags CPython
 *     never emits or in another order (-m, -i, -u, -x, a script path,
 *     -X frozen_modules, -SI combined, -S twice), numbers that are not
 *     %d's (sign, leading zero, overflow, spaces), preload names and
 *     sys_path items that are not literals (expressions, calls, f-strings,
 *     escapes repr() never writes, raw control characters, bad UTF-8),
 *     kwargs other than sys_path (main_path would run a file), and every
 *     descriptor of the wrong kind, direction, or among 0-2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mpchild.h"

#define countof(a) (sizeof(a) / sizeof((a)[0]))

static int rd, wr;              /* a pipe's read and write ends */
static int lsock;               /* a listening Unix stream socket */
static int nolisten;            /* a Unix stream socket that does not listen */
static int udp;                 /* an AF_INET datagram socket */
static int regular;             /* a regular file, read-write */
static int devnull;             /* /dev/null, read-only */
static int closed_fd;           /* a number not open */

static int
setup(void **state)
{
	int p[2];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[] = "/tmp/test_mpchild-XXXXXX";

	(void)state;
	if (pipe(p) < 0)
		return -1;
	rd = p[0];
	wr = p[1];
	lsock = socket(AF_UNIX, SOCK_STREAM, 0);
	/* An abstract address: nothing in the file system. */
	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "test_mpchild-%d", (int)getpid());
	if (lsock < 0 ||
	    bind(lsock, (struct sockaddr *)&sa, (socklen_t)sizeof(sa)) < 0 ||
	    listen(lsock, 1) < 0)
		return -1;
	nolisten = socket(AF_UNIX, SOCK_STREAM, 0);
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	regular = mkstemp(path);
	if (regular >= 0)
		unlink(path);
	devnull = open("/dev/null", O_RDONLY);
	closed_fd = dup(devnull);
	if (nolisten < 0 || udp < 0 || regular < 0 || devnull < 0 || closed_fd < 0)
		return -1;
	close(closed_fd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	close(rd);
	close(wr);
	close(lsock);
	close(nolisten);
	close(udp);
	close(regular);
	close(devnull);
	return 0;
}

/* rt_mp_child of "app" followed by the NULL-terminated arguments. */
static enum rt_mp_child
classify(const char *first, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	static char app[] = "app";

	argv[argc++] = app;
	va_start(ap, first);
	for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)(uintptr_t)a;
	va_end(ap);
	argv[argc] = NULL;
	return rt_mp_child(argc, argv);
}

/* A printf'd argument in a rotating set of buffers. */
static const char *
fmt(const char *f, ...)
{
	static char bufs[16][1024];
	static unsigned n;
	char *b = bufs[n++ % countof(bufs)];
	va_list ap;

	va_start(ap, f);
	vsnprintf(b, sizeof(bufs[0]), f, ap);
	va_end(ap);
	return b;
}

static const char *
spawn_prog(int tracker, int pipe_handle)
{
	return fmt("from multiprocessing.spawn import spawn_main; "
	           "spawn_main(tracker_fd=%d, pipe_handle=%d)", tracker, pipe_handle);
}

static const char *
forkserver_prog(int listener, int alive, const char *preload, const char *kwargs)
{
	return fmt("from multiprocessing.forkserver import main; main(%d, %d, %s, **%s)",
	           listener, alive, preload, kwargs);
}

/* Later 3.13 releases (3.13.15, not 3.13.5; gh-144503): the parent's argv
 * after the program. */
static const char *
forkserver_argv_prog(int listener, int alive, const char *preload, const char *kwargs)
{
	return fmt("import sys; from multiprocessing.forkserver import main; main(%d, %d, %s, "
	           "sys_argv=sys.argv[1:], **%s)", listener, alive, preload, kwargs);
}

static const char *
tracker_prog(int fd)
{
	return fmt("from multiprocessing.resource_tracker import main;main(%d)", fd);
}

/* --- accepted --------------------------------------------------------------- */

static void
spawn_lines(void **state)
{
	(void)state;
	assert_int_equal(classify("-S", "-I", "-c", spawn_prog(wr, rd), "--multiprocessing-fork",
	                          NULL), RT_MP_SPAWN);
	assert_int_equal(classify("-c", spawn_prog(wr, rd), "--multiprocessing-fork", NULL),
	                 RT_MP_SPAWN);
	/* Every flag _args_from_interpreter_flags can emit, in its order. */
	assert_int_equal(classify("-OO", "-dd", "-B", "-S", "-vvv", "-bb", "-qq", "-E", "-s", "-P",
	                          "-Werror", "-Wignore::DeprecationWarning:json.decoder:12",
	                          "-Wdefault:a b 'c':UserWarning", "-X", "dev", "-X",
	                          "faulthandler", "-X", "tracemalloc=5", "-X", "importtime",
	                          "-X", "showrefcount", "-X", "utf8=1", "-c", spawn_prog(wr, rd),
	                          "--multiprocessing-fork", NULL), RT_MP_SPAWN);
	assert_int_equal(classify("-O", "-I", "-X", "utf8", "-c", spawn_prog(wr, rd),
	                          "--multiprocessing-fork", NULL), RT_MP_SPAWN);
	assert_int_equal(classify("-s", "-c", spawn_prog(wr, rd), "--multiprocessing-fork", NULL),
	                 RT_MP_SPAWN);
	assert_int_equal(classify("-E", "-P", "-X", "importtime=", "-c", spawn_prog(wr, rd),
	                          "--multiprocessing-fork", NULL), RT_MP_SPAWN);
}

static void
forkserver_lines(void **state)
{
	static const char *const kwargs[] = {
		"{}",
		"{'sys_path': []}",
		"{'sys_path': ['/opt/my app/bin/app']}",
		"{'sys_path': ['/a', '/b/c', 'relative', '']}",
		"{'sys_path': [\"/it's here\"]}",
		"{'sys_path': ['it\\'s \"quoted\"']}",
		"{'sys_path': ['/x\\\\y\\n\\t\\r\\x01\\x7f\\udcff\\U0001f600']}",
		"{'sys_path': ['/home/jos\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80']}",
		"{'sys_path': ['$HOME `id` $(id) ; | & < > * ? [ ] { } ( ) #']}",
	};
	static const char *const preloads[] = {
		"[]", "['__main__']", "['__main__', 'json.decoder', '_private', 'a1.b2_c3']",
	};

	(void)state;
	for (size_t i = 0; i < countof(kwargs); i++)
		for (size_t j = 0; j < countof(preloads); j++) {
			const char *prog = forkserver_prog(lsock, rd, preloads[j], kwargs[i]);
			assert_int_equal(classify("-S", "-I", "-c", prog, NULL), RT_MP_FORKSERVER);
			assert_int_equal(classify("-c", prog, NULL), RT_MP_FORKSERVER);
		}
}

/* The form with the parent's argv: main_path may follow sys_path, and any
 * arguments follow the program; the descriptors are checked the same. */
static void
forkserver_argv_lines(void **state)
{
	static const char *const kwargs[] = {
		"{}",
		"{'sys_path': ['/opt/app']}",
		"{'sys_path': ['/opt/app', ''], 'main_path': '/opt/app/main.py'}",
		"{'sys_path': [], 'main_path': \"/it's/x.py\"}",
	};
	const char *prog;

	(void)state;
	for (size_t i = 0; i < countof(kwargs); i++) {
		prog = forkserver_argv_prog(lsock, rd, "['__main__']", kwargs[i]);
		assert_int_equal(classify("-S", "-I", "-c", prog, NULL), RT_MP_FORKSERVER);
		assert_int_equal(classify("-c", prog, "--flag", "a b", "", "-c", "x", NULL),
		                 RT_MP_FORKSERVER);
	}
	/* Refused: main_path before sys_path, main_path alone, a main_path that
	 * is not a string, anything after the call, the wrong descriptors. */
	prog = forkserver_argv_prog(lsock, rd, "[]", "{'main_path': '/x.py', 'sys_path': []}");
	assert_int_equal(classify("-c", prog, NULL), RT_MP_NONE);
	prog = forkserver_argv_prog(lsock, rd, "[]", "{'main_path': '/x.py'}");
	assert_int_equal(classify("-c", prog, NULL), RT_MP_NONE);
	prog = forkserver_argv_prog(lsock, rd, "[]", "{'sys_path': [], 'main_path': __import__('os')}");
	assert_int_equal(classify("-c", prog, NULL), RT_MP_NONE);
	prog = fmt("%s; import os", forkserver_argv_prog(lsock, rd, "[]", "{}"));
	assert_int_equal(classify("-c", prog, NULL), RT_MP_NONE);
	assert_int_equal(classify("-c", forkserver_argv_prog(rd, rd, "[]", "{}"), NULL),
	                 RT_MP_NONE);
	assert_int_equal(classify("-c", forkserver_argv_prog(lsock, 0, "[]", "{}"), NULL),
	                 RT_MP_NONE);
}

static void
tracker_lines(void **state)
{
	(void)state;
	assert_int_equal(classify("-S", "-I", "-c", tracker_prog(rd), NULL), RT_MP_TRACKER);
	assert_int_equal(classify("-B", "-q", "-Wonce", "-c", tracker_prog(rd), NULL),
	                 RT_MP_TRACKER);
}

/* --- refused ------------------------------------------------------------------ */

/* Each near-miss, as the application's argv. */
static void
refused(const char *why, enum rt_mp_child got)
{
	if (got != RT_MP_NONE)
		fail_msg("accepted as %d, wanted the application's argv: %s", (int)got, why);
}

static void
exploits(void **state)
{
	const char *spawn = spawn_prog(wr, rd);

	(void)state;
	refused("the exploit", classify("-c", "import os; os.system(\"sh\")",
	                                "--multiprocessing-fork", NULL));
	refused("--multiprocessing-fork first",
	        classify("--multiprocessing-fork", "-c", "import os", NULL));
	refused("--multiprocessing-fork alone", classify("--multiprocessing-fork", NULL));
	refused("the frozen form (sys.frozen)",
	        classify("--multiprocessing-fork", fmt("tracker_fd=%d", wr),
	                 fmt("pipe_handle=%d", rd), NULL));
	refused("a multiprocessing import and more",
	        classify("-c", "from multiprocessing.spawn import spawn_main; import os; "
	                 "os.system('sh')", "--multiprocessing-fork", NULL));
	refused("code after the program",
	        classify("-c", fmt("%s; import os", spawn), "--multiprocessing-fork", NULL));
	refused("code after the program, newline",
	        classify("-c", fmt("%s\nimport os", spawn), "--multiprocessing-fork", NULL));
	refused("code before the program",
	        classify("-c", fmt("import os; %s", spawn), "--multiprocessing-fork", NULL));
	refused("a trailing space", classify("-c", fmt("%s ", spawn), "--multiprocessing-fork",
	                                     NULL));
	refused("another spacing",
	        classify("-c", fmt("from multiprocessing.spawn import spawn_main;"
	                           "spawn_main(tracker_fd=%d, pipe_handle=%d)", wr, rd),
	                 "--multiprocessing-fork", NULL));
	refused("the keywords swapped",
	        classify("-c", fmt("from multiprocessing.spawn import spawn_main; "
	                           "spawn_main(pipe_handle=%d, tracker_fd=%d)", rd, wr),
	                 "--multiprocessing-fork", NULL));
	refused("an extra keyword",
	        classify("-c", fmt("from multiprocessing.spawn import spawn_main; "
	                           "spawn_main(tracker_fd=%d, pipe_handle=%d, parent_pid=1)",
	                           wr, rd), "--multiprocessing-fork", NULL));
	refused("an expression for a number",
	        classify("-c", "from multiprocessing.spawn import spawn_main; "
	                 "spawn_main(tracker_fd=__import__('os').system('sh'), pipe_handle=4)",
	                 "--multiprocessing-fork", NULL));
	refused("spawn without --multiprocessing-fork", classify("-c", spawn, NULL));
	refused("spawn with an argument more",
	        classify("-c", spawn, "--multiprocessing-fork", "x", NULL));
	refused("spawn with --multiprocessing-fork twice",
	        classify("-c", spawn, "--multiprocessing-fork", "--multiprocessing-fork", NULL));
	refused("an argument before -c", classify("x", "-c", spawn, "--multiprocessing-fork",
	                                          NULL));
	refused("the tracker with --multiprocessing-fork",
	        classify("-c", tracker_prog(rd), "--multiprocessing-fork", NULL));
	refused("the tracker with an argument more", classify("-c", tracker_prog(rd), "x", NULL));
	refused("the tracker with a space", classify("-c", fmt("from multiprocessing."
	                                                       "resource_tracker import main; "
	                                                       "main(%d)", rd), NULL));
	refused("no program", classify("-c", NULL));
	refused("nothing", classify(NULL));
	refused("-c twice", classify("-c", "-c", spawn, "--multiprocessing-fork", NULL));
}

static void
flags(void **state)
{
	const char *spawn = spawn_prog(wr, rd);
	static const char *const never[] = {
		"-m", "-i", "-u", "-x", "-h", "-V", "-R", "-", "--", "-SI", "-IS", "-Sv", "-W",
		"-Ob", "--check-hash-based-pycs", "/tmp/evil.py", "-Ox", "-OO3", "-s-",
	};

	(void)state;
	for (size_t i = 0; i < countof(never); i++)
		refused(never[i], classify(never[i], "-c", spawn, "--multiprocessing-fork", NULL));
	refused("-m a module", classify("-m", "os", "-c", spawn, "--multiprocessing-fork", NULL));
	refused("-S twice", classify("-S", "-S", "-c", spawn, "--multiprocessing-fork", NULL));
	refused("-SS", classify("-SS", "-c", spawn, "--multiprocessing-fork", NULL));
	refused("-BB", classify("-BB", "-c", spawn, "--multiprocessing-fork", NULL));
	refused("-I before -S", classify("-I", "-S", "-c", spawn, "--multiprocessing-fork", NULL));
	refused("-I and -E", classify("-I", "-E", "-c", spawn, "--multiprocessing-fork", NULL));
	refused("-s before -E", classify("-s", "-E", "-c", spawn, "--multiprocessing-fork", NULL));
	refused("-O after -S", classify("-S", "-O", "-c", spawn, "--multiprocessing-fork", NULL));
	refused("-W before -I", classify("-Werror", "-I", "-c", spawn, "--multiprocessing-fork",
	                                 NULL));
	refused("-W as two arguments", classify("-W", "error", "-c", spawn,
	                                        "--multiprocessing-fork", NULL));
	refused("-X frozen_modules", classify("-X", "frozen_modules=off", "-c", spawn,
	                                      "--multiprocessing-fork", NULL));
	refused("-X pycache_prefix", classify("-X", "pycache_prefix=/tmp", "-c", spawn,
	                                      "--multiprocessing-fork", NULL));
	refused("-X dev=1", classify("-X", "dev=1", "-c", spawn, "--multiprocessing-fork", NULL));
	refused("-Xdev joined", classify("-Xdev", "-c", spawn, "--multiprocessing-fork", NULL));
	refused("-X utf8 before -X dev", classify("-X", "utf8", "-X", "dev", "-c", spawn,
	                                          "--multiprocessing-fork", NULL));
	refused("-X utf8 twice", classify("-X", "utf8", "-X", "utf8", "-c", spawn,
	                                  "--multiprocessing-fork", NULL));
	refused("-X utf8x", classify("-X", "utf8x", "-c", spawn, "--multiprocessing-fork", NULL));
	refused("-X without a value", classify("-X", "-c", spawn, "--multiprocessing-fork",
	                                       NULL));
	refused("-W after -X", classify("-X", "dev", "-Werror", "-c", spawn,
	                                "--multiprocessing-fork", NULL));
	refused("a script path", classify("-S", "-I", "/tmp/evil.py", "--multiprocessing-fork",
	                                  NULL));
}

static void
numbers(void **state)
{
	static const char *const bad[] = {
		"+5", "-5", "05", "00", " 5", "5 ", "0x5", "5.0", "2147483648",
		"99999999999999999999", "", "5_0", "\xd9\xa5",
	};

	(void)state;
	for (size_t i = 0; i < countof(bad); i++) {
		refused(bad[i], classify("-c", fmt("from multiprocessing.spawn import spawn_main; "
		                                   "spawn_main(tracker_fd=%s, pipe_handle=%d)",
		                                   bad[i], rd), "--multiprocessing-fork", NULL));
		refused(bad[i], classify("-c", fmt("from multiprocessing.resource_tracker import "
		                                   "main;main(%s)", bad[i]), NULL));
	}
}

static void
literals(void **state)
{
	static const char *const preloads[] = {
		"['__main__'] + [__import__('os').system('sh')]",
		"[__import__('os')]",
		"['os'.__class__]",
		"['__main__',]",
		"['__main__','json']",
		"[\"__main__\"]",
		"['__main__' 'x']",
		"['1abc']",
		"['a..b']",
		"['.a']",
		"['a.']",
		"['a-b']",
		"['jos\xc3\xa9']",
		"['']",
		"[]]",
		"[",
		"['__main__'",
		"('__main__',)",
	};
	static const char *const kwargs[] = {
		"{'sys_path': [], 'main_path': '/tmp/evil.py'}",
		"{'main_path': '/tmp/evil.py', 'sys_path': []}",
		"{'main_path': '/tmp/evil.py'}",
		"{'sys_path': ['/a'] + [__import__('os').system('sh')]}",
		"{'sys_path': [f'{__import__(\"os\").system(\"sh\")}']}",
		"{'sys_path': [b'/a']}",
		"{'sys_path': [r'/a']}",
		"{'sys_path': ['/a' '/b']}",
		"{'sys_path': ['/a', ]}",
		"{'sys_path': ['/a'],}",
		"{\"sys_path\": ['/a']}",
		"{'sys_path':['/a']}",
		"{'sys_path': ('/a',)}",
		"{'sys_path': '/a'}",
		"{'sys_path': ['/a\\']}",
		"{'sys_path': ['/a\\q']}",
		"{'sys_path': ['/a\\0']}",
		"{'sys_path': ['/a\\x4']}",
		"{'sys_path': ['/a\\x4G']}",
		"{'sys_path': ['/a\\X41']}",
		"{'sys_path': ['/a\\u00E9']}",
		"{'sys_path': ['/a\\U00110000']}",
		"{'sys_path': ['/a\\N{BULLET}']}",
		"{'sys_path': ['/a\\\n']}",
		"{'sys_path': ['/a\n']}",
		"{'sys_path': ['/a\t']}",
		"{'sys_path': ['/a\x7f']}",
		"{'sys_path': [\"/a\\\"\"]}",
		"{'sys_path': [\"/a\"\"]}",
		"{'sys_path': ['/a'']}",
		"{'sys_path': ['/a\xc3']}",
		"{'sys_path': ['/a\xc3\x28']}",
		"{'sys_path': ['/a\xc0\xaf']}",
		"{'sys_path': ['/a\xe0\x80\xaf']}",
		"{'sys_path': ['/a\xed\xa0\x80']}",
		"{'sys_path': ['/a\xf4\x90\x80\x80']}",
		"{'sys_path': ['/a\xc2\x85']}",
		"{'sys_path': ['/a\xff']}",
		"{'sys_path': ['/a]}",
		"{'sys_path': ['/a']",
		"**{}",
		"dict()",
	};

	(void)state;
	for (size_t i = 0; i < countof(preloads); i++)
		refused(preloads[i], classify("-c", forkserver_prog(lsock, rd, preloads[i], "{}"),
		                              NULL));
	for (size_t i = 0; i < countof(kwargs); i++)
		refused(kwargs[i], classify("-c", forkserver_prog(lsock, rd, "['__main__']",
		                                                  kwargs[i]), NULL));
	refused("a fork server line with code after it",
	        classify("-c", fmt("%s; import os", forkserver_prog(lsock, rd, "[]", "{}")),
	                 NULL));
	refused("a fork server line with --multiprocessing-fork",
	        classify("-c", forkserver_prog(lsock, rd, "[]", "{}"), "--multiprocessing-fork",
	                 NULL));
}

static void
descriptors(void **state)
{
	(void)state;
	/* spawn: tracker_fd writes to a pipe, pipe_handle reads one */
	refused("spawn: the directions swapped",
	        classify("-c", spawn_prog(rd, wr), "--multiprocessing-fork", NULL));
	refused("spawn: both the read end", classify("-c", spawn_prog(rd, rd),
	                                             "--multiprocessing-fork", NULL));
	refused("spawn: pipe_handle 0 (the caller's stdin)",
	        classify("-c", spawn_prog(wr, 0), "--multiprocessing-fork", NULL));
	refused("spawn: tracker_fd 1", classify("-c", spawn_prog(1, rd),
	                                        "--multiprocessing-fork", NULL));
	refused("spawn: tracker_fd 2", classify("-c", spawn_prog(2, rd),
	                                        "--multiprocessing-fork", NULL));
	refused("spawn: a regular file", classify("-c", spawn_prog(wr, regular),
	                                          "--multiprocessing-fork", NULL));
	refused("spawn: /dev/null", classify("-c", spawn_prog(wr, devnull),
	                                     "--multiprocessing-fork", NULL));
	refused("spawn: a socket", classify("-c", spawn_prog(wr, lsock),
	                                    "--multiprocessing-fork", NULL));
	refused("spawn: not open", classify("-c", spawn_prog(wr, closed_fd),
	                                    "--multiprocessing-fork", NULL));
	refused("spawn: a huge number", classify("-c", spawn_prog(wr, 2147483647),
	                                         "--multiprocessing-fork", NULL));
	/* the fork server: a listening Unix stream socket and a pipe's read end */
	refused("forkserver: a socket that does not listen",
	        classify("-c", forkserver_prog(nolisten, rd, "[]", "{}"), NULL));
	refused("forkserver: a datagram socket",
	        classify("-c", forkserver_prog(udp, rd, "[]", "{}"), NULL));
	refused("forkserver: a pipe for the socket",
	        classify("-c", forkserver_prog(rd, rd, "[]", "{}"), NULL));
	refused("forkserver: the write end for alive_r",
	        classify("-c", forkserver_prog(lsock, wr, "[]", "{}"), NULL));
	refused("forkserver: stdin for alive_r",
	        classify("-c", forkserver_prog(lsock, 0, "[]", "{}"), NULL));
	refused("forkserver: not open",
	        classify("-c", forkserver_prog(closed_fd, rd, "[]", "{}"), NULL));
	/* the tracker reads a pipe */
	refused("tracker: the write end", classify("-c", tracker_prog(wr), NULL));
	refused("tracker: stdin", classify("-c", tracker_prog(0), NULL));
	refused("tracker: a regular file", classify("-c", tracker_prog(regular), NULL));
	refused("tracker: /dev/null", classify("-c", tracker_prog(devnull), NULL));
	refused("tracker: not open", classify("-c", tracker_prog(closed_fd), NULL));
}

/* A FIFO at 0 (what sshd gives a forced command as stdin) is still refused,
 * though its kind and direction are right. */
static void
standard_descriptors(void **state)
{
	int saved = dup(0);

	(void)state;
	assert_true(saved >= 0);
	assert_int_equal(dup2(rd, 0), 0);
	refused("spawn: a pipe at 0", classify("-c", spawn_prog(wr, 0), "--multiprocessing-fork",
	                                       NULL));
	refused("tracker: a pipe at 0", classify("-c", tracker_prog(0), NULL));
	/* the same pipe at 3 or above is accepted: only the number differs */
	assert_int_equal(classify("-c", tracker_prog(rd), NULL), RT_MP_TRACKER);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
}

static void
argv_edges(void **state)
{
	static char app[] = "app", c[] = "-c", fork[] = "--multiprocessing-fork";
	char *with_null[] = { app, c, NULL, fork, NULL };

	(void)state;
	assert_int_equal(rt_mp_child(0, NULL), RT_MP_NONE);
	assert_int_equal(rt_mp_child(4, with_null), RT_MP_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spawn_lines),
		cmocka_unit_test(forkserver_lines),
		cmocka_unit_test(forkserver_argv_lines),
		cmocka_unit_test(tracker_lines),
		cmocka_unit_test(exploits),
		cmocka_unit_test(flags),
		cmocka_unit_test(numbers),
		cmocka_unit_test(literals),
		cmocka_unit_test(descriptors),
		cmocka_unit_test(standard_descriptors),
		cmocka_unit_test(argv_edges),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

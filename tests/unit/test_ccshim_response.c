/*
 * test_ccshim_response: cmocka unit tests of @file expansion.
 *
 * ccshim_split_response against libiberty's buildargv rules, then response
 * files as real builds write them (autoconf, ninja and meson, CMake, rustc),
 * nested and quoted, written into a directory per test; a file that names
 * itself, one that expands past the limit, and @files that are not regular
 * files (pipes, FIFOs, devices), which stay as they are.
 */
#include "ccshim_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- ccshim_split_response: libiberty's buildargv ------------------------- */

struct split_case {
	const char *text;
	size_t len;                     /* 0: strlen(text) */
	const char *want[8];            /* NULL-terminated */
};

static void
test_split_response(void **state)
{
	static const struct split_case cases[] = {
		{ "", 0, { NULL } },
		{ "   \n\t \r\n", 0, { NULL } },
		{ "a b  c", 0, { "a", "b", "c" } },
		{ "  lead and trail  \n", 0, { "lead", "and", "trail" } },
		{ "a\r\nb\fc\vd\te", 0, { "a", "b", "c", "d", "e" } },
		{ "'a b' \"c d\"", 0, { "a b", "c d" } },
		{ "a\\ b", 0, { "a b" } },
		{ "\"a\\\"b\"", 0, { "a\"b" } },         /* \ escapes inside "" */
		{ "'a\\'b'", 0, { "a'b" } },             /* and inside '' (not sh) */
		{ "''", 0, { "" } },                     /* an empty argument */
		{ "\"\"", 0, { "" } },
		{ "a '' b", 0, { "a", "", "b" } },
		{ "x''y \"\"z", 0, { "xy", "z" } },
		{ "\"it's\"", 0, { "it's" } },
		{ "'say \"hi\"'", 0, { "say \"hi\"" } },
		{ "a\\\\b", 0, { "a\\b" } },
		{ "multi\\\nline", 0, { "multi\nline" } },
		{ "\"tab\tin\"", 0, { "tab\tin" } },
		{ "-DNAME=\\\"a\\ b\\\"", 0, { "-DNAME=\"a b\"" } },
		{ "'-DNAME=\"a b\"'", 0, { "-DNAME=\"a b\"" } },
		{ "-DNAME=\"a b\"", 0, { "-DNAME=a b" } },
		{ "-o \"out dir/x.o\" -c x.c", 0, { "-o", "out dir/x.o", "-c", "x.c" } },
		/* The end of the text ends an unterminated quote or escape. */
		{ "-c x.c -o \"out dir/x.o", 0, { "-c", "x.c", "-o", "out dir/x.o" } },
		{ "'open", 0, { "open" } },
		{ "trailing\\", 0, { "trailing" } },
		{ "\\", 0, { "" } },
		{ "a \"", 0, { "a", "" } },
		/* Like buildargv, the text ends at a NUL byte. */
		{ "a\0b c", 5, { "a" } },
		/* Only len bytes count. */
		{ "abc def", 3, { "abc" } },
	};

	(void)state;
	for (size_t i = 0; i < countof(cases); i++) {
		const struct split_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->text);
		char **v = NULL;
		size_t n = 0, cap = 0, nwant = 0;

		while (c->want[nwant])
			nwant++;
		if (ccshim_split_response(c->text, len, &v, &n, &cap) < 0)
			fail_msg("split case %zu failed", i);
		bool same = n == nwant;
		for (size_t k = 0; same && k < n; k++)
			same = !strcmp(v[k], c->want[k]);
		if (!same) {
			struct strbuf got = { 0 };
			for (size_t k = 0; k < n; k++)
				strbuf_addf(&got, " <%s>", v[k]);
			fail_msg("split case %zu: got%s (%zu), want %zu arguments", i,
			         got.s ? got.s : " nothing", n, nwant);
		}
		if (n)
			assert_null(v[n]);
		for (size_t k = 0; k < n; k++)
			free(v[k]);
		free(v);
	}

	/* Appends to what is there. */
	char **v = NULL;
	size_t n = 0, cap = 0;
	assert_int_equal(ccshim_split_response("a b", 3, &v, &n, &cap), 0);
	assert_int_equal(ccshim_split_response("'c d'", 5, &v, &n, &cap), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b");
	assert_string_equal(v[2], "c d");
	assert_null(v[3]);
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);

	/* Many arguments: the vector grows. */
	struct strbuf big = { 0 };
	for (int k = 0; k < 5000; k++)
		strbuf_addf(&big, "-DX%d='v %d' ", k, k);
	assert_false(big.failed);
	v = NULL;
	n = cap = 0;
	assert_int_equal(ccshim_split_response(big.s, big.len, &v, &n, &cap), 0);
	assert_int_equal(n, 5000);
	assert_string_equal(v[4999], "-DX4999=v 4999");
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);
	strbuf_free(&big);
}

/* --- response files -------------------------------------------------------- */

struct rsp_case {
	const char *name;
	struct { const char *file, *text; } files[4];
	struct cl_case c;               /* argv, output, inputs may hold {D} */
	const char *expanded[MAXARGV];  /* the expanded argv, NULL-terminated */
	bool response_files;
	const char *unreadable;         /* the first unreadable @file, or NULL */
};

/* Where cargo built pw_rust_a when rustc wrote the @file below, and
 * rustc's temporary directory, deleted after the link. */
#define RSP_DEPS "/tmp/crt/target/release/deps"
#define RSP_TMP  RSP_DEPS "/rustci09Idm"

static const struct rsp_case rsp_cases[] = {
	{ "quotes, spaces and a glued -o in one @file",
	  { { "compile.rsp",
	      "-c \"src dir/x.c\" -o'out dir/x.o' -DMSG=\"hello world\"\n"
	      "'-DQUOTED=\"a b\"' -DESC=\\\"c\\ d\\\" -I\\ spaced\\ dir\n" } },
	  { "", CC_, { "cc", "-O2", "@{D}/compile.rsp" }, COMPILE, "out dir/x.o", NULL,
	    { SRC("src dir/x.c", "c") }, false, false },
	  { "cc", "-O2", "-c", "src dir/x.c", "-oout dir/x.o", "-DMSG=hello world",
	    "-DQUOTED=\"a b\"", "-DESC=\"c d\"", "-I spaced dir" },
	  true, NULL },
	{ "nested @file, CRLF and backslash escapes",
	  { { "link.rsp", "-shared\r\n@{D}/objs.rsp\r\n-o lib\\ x.so\r\n" },
	    { "objs.rsp", "x.o \"y z.o\" C:\\\\dir\\\\w.o -lm" } },
	  { "", CC_, { "cc", "@{D}/link.rsp", "-Wl,--as-needed" }, SHARED, "lib x.so",
	    NULL, { OBJ("x.o"), OBJ("y z.o"), OBJ("C:\\dir\\w.o"), LIB("m"),
	            FLG("-Wl,--as-needed") }, false, false },
	  { "cc", "-shared", "x.o", "y z.o", "C:\\dir\\w.o", "-lm", "-o", "lib x.so",
	    "-Wl,--as-needed" },
	  true, NULL },
	{ "autoconf's ar cr libconftest.a @conftest.lst",
	  { { "conftest.lst", "conftest.o\n" } },
	  { "", AR_, { "ar", "cr", "libconftest.a", "@{D}/conftest.lst" }, ARCHIVE,
	    "libconftest.a", NULL, { OBJ("conftest.o") }, false, false },
	  { "ar", "cr", "libconftest.a", "conftest.o" }, true, NULL },
	{ "ninja/meson link rsp with quoted -D and -Wl",
	  { { "_mspam.so.rsp",
	      "-o _mspam.cpython-311-x86_64-linux-gnu.so "
	      "'_mspam.cpython-311-x86_64-linux-gnu.so.p/src__mspam.c.o' "
	      "-Wl,--as-needed -shared -fPIC -Wl,--start-group libhelper.a "
	      "'-Wl,-rpath,$ORIGIN/../lib dir' -Wl,--end-group" } },
	  { "", CC_, { "/tmp/x.linkdb.shims/cc", "@{D}/_mspam.so.rsp" }, SHARED,
	    "_mspam" SUFFIX, NULL,
	    { OBJ("_mspam" SUFFIX ".p/src__mspam.c.o"), FLG("-Wl,--as-needed"),
	      FLG("-Wl,--start-group"), ARC("libhelper.a"),
	      FLG("-Wl,-rpath,$ORIGIN/../lib dir"), FLG("-Wl,--end-group") },
	    false, false },
	  { "/tmp/x.linkdb.shims/cc", "-o", "_mspam" SUFFIX,
	    "_mspam" SUFFIX ".p/src__mspam.c.o", "-Wl,--as-needed", "-shared", "-fPIC",
	    "-Wl,--start-group", "libhelper.a", "-Wl,-rpath,$ORIGIN/../lib dir",
	    "-Wl,--end-group" },
	  true, NULL },
	{ "CMake object list rsp for a C++ link",
	  { { "objects1.rsp",
	      "CMakeFiles/m.dir/a.cpp.o CMakeFiles/m.dir/b.cpp.o" } },
	  { "", CXX_, { "c++", "-shared", "-o", "m.so", "@{D}/objects1.rsp", "-lz" },
	    SHARED, "m.so", NULL,
	    { OBJ("CMakeFiles/m.dir/a.cpp.o"), OBJ("CMakeFiles/m.dir/b.cpp.o"), LIB("z") },
	    true, false },
	  { "c++", "-shared", "-o", "m.so", "CMakeFiles/m.dir/a.cpp.o",
	    "CMakeFiles/m.dir/b.cpp.o", "-lz" },
	  true, NULL },
	{ "an empty @file disappears",
	  { { "empty.rsp", "" }, { "blank.rsp", " \n\t\n" } },
	  { "", CC_, { "cc", "-c", "@{D}/empty.rsp", "x.c", "@{D}/blank.rsp", "-o", "x.o" },
	    COMPILE, "x.o", NULL, { SRC("x.c", "c") }, false, false },
	  { "cc", "-c", "x.c", "-o", "x.o" }, true, NULL },
	{ "an @file with an empty argument and an unterminated quote",
	  { { "odd.rsp", "-c '' x.c -o \"out dir/x.o" } },
	  { "", CC_, { "cc", "@{D}/odd.rsp" }, COMPILE, "out dir/x.o", NULL,
	    { OBJ(""), SRC("x.c", "c") }, false, false },
	  { "cc", "-c", "", "x.c", "-o", "out dir/x.o" }, true, NULL },
	{ "the same @file twice, and a bare @",
	  { { "flags.rsp", "-flto -fPIC" } },
	  { "", CC_, { "cc", "@{D}/flags.rsp", "-c", "x.c", "@{D}/flags.rsp", "@" },
	    COMPILE, NULL, NULL,
	    { FLG("-flto"), SRC("x.c", "c"), FLG("-flto"), OBJ("@") }, false, true },
	  { "cc", "-flto", "-fPIC", "-c", "x.c", "-flto", "-fPIC", "@" }, true, NULL },
	{ "an unreadable @file is kept literally and flagged",
	  { { NULL, NULL } },
	  { "", CC_, { "cc", "-c", "x.c", "@{D}/missing.rsp", "-o", "x.o" }, COMPILE, "x.o",
	    NULL, { SRC("x.c", "c"), OBJ("@{D}/missing.rsp") }, false, false },
	  { "cc", "-c", "x.c", "@{D}/missing.rsp", "-o", "x.o" }, false,
	  "@{D}/missing.rsp" },
	{ "a directory as @file is unreadable; the first one is named",
	  { { "ok.rsp", "-c" } },
	  { "", CC_, { "cc", "@{D}", "@{D}/ok.rsp", "@{D}/gone.rsp", "x.c" }, COMPILE,
	    NULL, NULL, { OBJ("@{D}"), OBJ("@{D}/gone.rsp"), SRC("x.c", "c") },
	    false, false },
	  { "cc", "@{D}", "-c", "@{D}/gone.rsp", "x.c" }, true, "@{D}" },
	{ "an @file naming a missing @file",
	  { { "outer.rsp", "-c x.c @{D}/inner-missing.rsp" } },
	  { "", CC_, { "cc", "@{D}/outer.rsp" }, COMPILE, NULL, NULL,
	    { SRC("x.c", "c"), OBJ("@{D}/inner-missing.rsp") }, false, false },
	  { "cc", "-c", "x.c", "@{D}/inner-missing.rsp" }, true,
	  "@{D}/inner-missing.rsp" },
	/* rustc 1.95 linking pw_rust_a._native with a line longer than execve
	 * took (an environment of 124 KiB and `ulimit -s 512`): it retried with
	 * every argument on a line of its own in <tmp>/linker-arguments, quoted
	 * with GCC's rules (rust-lang/rust 44094). */
	{ "rustc 1.95's linker-arguments @file: a PyO3 cdylib",
	  { { "linker-arguments",
	        "-Wl,--version-script=" RSP_TMP "/list\n"
	        "-Wl,--no-undefined-version\n"
	        "-m64\n"
	        RSP_TMP "/symbols.o\n"
	        RSP_DEPS "/_native._native.1f9ec04db1f728d6-cgu.0.rcgu.o\n"
	        RSP_DEPS "/_native._native.1f9ec04db1f728d6-cgu.1.rcgu.o\n"
	        RSP_DEPS "/_native._native.1f9ec04db1f728d6-cgu.2.rcgu.o\n"
	        RSP_DEPS "/_native.5a45z9ww0xf2khvy2hu1po59q.rcgu.o\n"
	        "-Wl,--as-needed\n"
	        "-Wl,-Bstatic\n"
	        RSP_DEPS "/libpyo3-0eb583377a85deda.rlib\n"
	        RSP_DEPS "/libonce_cell-03f6b6692108e37b.rlib\n"
	        RSP_DEPS "/libpyo3_ffi-07bdeeebc9e53362.rlib\n"
	        RSP_DEPS "/liblibc-6de8d173869a4e53.rlib\n"
	        RLIB("std-d1237ef7159db0a2") "\n"
	        RLIB("panic_unwind-4be5972b22d3a6da") "\n"
	        RLIB("object-2a81194c9d07bbf6") "\n"
	        RLIB("memchr-ea71fa85f6699d6b") "\n"
	        RLIB("addr2line-a79a8816d9fd6004") "\n"
	        RLIB("gimli-46dc78dc6a8cb06a") "\n"
	        RLIB("cfg_if-0ce073fff809ec38") "\n"
	        RLIB("rustc_demangle-146c3f1190dee2e2") "\n"
	        RLIB("std_detect-e305c7135f50bfab") "\n"
	        RLIB("hashbrown-1448c95121de53aa") "\n"
	        RLIB("rustc_std_workspace_alloc-5bc57914b232292d") "\n"
	        RLIB("miniz_oxide-5ad929a15a8e6727") "\n"
	        RLIB("adler2-1f570ee5c6635aae") "\n"
	        RLIB("unwind-545faafa3c69262e") "\n"
	        RLIB("libc-5b1ad6df1855186c") "\n"
	        RLIB("rustc_std_workspace_core-75c1307561ed9634") "\n"
	        RLIB("alloc-6e6df4ffe0af4d15") "\n"
	        RLIB("core-120cbae4e86ec454") "\n"
	        RLIB("compiler_builtins-27cfc16bdf3bb694") "\n"
	        "-Wl,-Bdynamic\n"
	        "-lgcc_s\n"
	        "-lutil\n"
	        "-lrt\n"
	        "-lpthread\n"
	        "-lm\n"
	        "-ldl\n"
	        "-lc\n"
	        "-L\n"
	        RSP_TMP "/raw-dylibs\n"
	        "-B" RUSTLIB "/bin/gcc-ld\n"
	        "-fuse-ld=lld\n"
	        "-Wl,--eh-frame-hdr\n"
	        "-Wl,-z,noexecstack\n"
	        "-L\n"
	        RUSTLIB "/lib\n"
	        "-o\n"
	        RSP_DEPS "/lib_native.so\n"
	        "-Wl,--gc-sections\n"
	        "-shared\n"
	        "-Wl,-z,relro,-z,now\n"
	        "-Wl,-O1\n"
	        "-Wl,--strip-debug\n"
	        "-nodefaultlibs\n" } },
	  { "", CC_, { "cc", "@{D}/linker-arguments" }, SHARED, RSP_DEPS "/lib_native.so",
	    NULL,
	    { FLGF("-Wl,--version-script=" RSP_TMP "/list", RSP_TMP "/list"),
	      FLG("-Wl,--no-undefined-version"), OBJ(RSP_TMP "/symbols.o"),
	      OBJ(RSP_DEPS "/_native._native.1f9ec04db1f728d6-cgu.0.rcgu.o"),
	      OBJ(RSP_DEPS "/_native._native.1f9ec04db1f728d6-cgu.1.rcgu.o"),
	      OBJ(RSP_DEPS "/_native._native.1f9ec04db1f728d6-cgu.2.rcgu.o"),
	      OBJ(RSP_DEPS "/_native.5a45z9ww0xf2khvy2hu1po59q.rcgu.o"),
	      FLG("-Wl,--as-needed"), FLG("-Wl,-Bstatic"),
	      ARC(RSP_DEPS "/libpyo3-0eb583377a85deda.rlib"),
	      ARC(RSP_DEPS "/libonce_cell-03f6b6692108e37b.rlib"),
	      ARC(RSP_DEPS "/libpyo3_ffi-07bdeeebc9e53362.rlib"),
	      ARC(RSP_DEPS "/liblibc-6de8d173869a4e53.rlib"), STD_RLIBS_IN, RUSTC_LIBS_IN,
	      RUSTC_LLD_IN(RSP_TMP), FLG("-Wl,--gc-sections"), FLG("-Wl,-z,relro,-z,now"),
	      FLG("-Wl,-O1"), FLG("-Wl,--strip-debug"), FLG("-nodefaultlibs") },
	    false, false },
	  { "cc", "-Wl,--version-script=" RSP_TMP "/list", "-Wl,--no-undefined-version",
	    "-m64", RSP_TMP "/symbols.o",
	    RSP_DEPS "/_native._native.1f9ec04db1f728d6-cgu.0.rcgu.o",
	    RSP_DEPS "/_native._native.1f9ec04db1f728d6-cgu.1.rcgu.o",
	    RSP_DEPS "/_native._native.1f9ec04db1f728d6-cgu.2.rcgu.o",
	    RSP_DEPS "/_native.5a45z9ww0xf2khvy2hu1po59q.rcgu.o", "-Wl,--as-needed",
	    "-Wl,-Bstatic", RSP_DEPS "/libpyo3-0eb583377a85deda.rlib",
	    RSP_DEPS "/libonce_cell-03f6b6692108e37b.rlib",
	    RSP_DEPS "/libpyo3_ffi-07bdeeebc9e53362.rlib",
	    RSP_DEPS "/liblibc-6de8d173869a4e53.rlib", STD_RLIBS, RUSTC_LIBS,
	    RUSTC_LLD(RSP_TMP), "-o", RSP_DEPS "/lib_native.so", "-Wl,--gc-sections",
	    "-shared", "-Wl,-z,relro,-z,now", "-Wl,-O1", "-Wl,--strip-debug",
	    "-nodefaultlibs" },
	  true, NULL },
	{ "ld with an @file",
	  { { "ld.rsp", "-shared -o 'lib y.so' a.o -L /opt/lib -lfoo" } },
	  { "", LD_, { "ld", "@{D}/ld.rsp" }, SHARED, "lib y.so", NULL,
	    { FLG("-shared"), OBJ("a.o"), LDIR2("/opt/lib"), LIB("foo") }, false, false },
	  { "ld", "-shared", "-o", "lib y.so", "a.o", "-L", "/opt/lib", "-lfoo" },
	  true, NULL },
};

static void
test_response_files(void **state)
{
	struct fx *fx = *state;

	for (size_t r = 0; r < countof(rsp_cases); r++) {
		const struct rsp_case *rc = &rsp_cases[r];
		struct cl_case c = rc->c;
		struct strvec owned = { 0 };
		const char *argv[MAXARGV] = { 0 };
		struct ccshim_cmd cmd;
		char err[256] = "", *s;
		int argc = argv_count(rc->c.argv), nexp = argv_count(rc->expanded);

		for (size_t f = 0; f < 4 && rc->files[f].file; f++)
			write_text(fx->dir, rc->files[f].file, rc->files[f].text);
		/* {D} becomes the test directory everywhere. */
		for (int i = 0; i < argc; i++) {
			strvec_push_owned(&owned, s = subst(rc->c.argv[i], fx->dir));
			argv[i] = s;
		}
		for (size_t i = 0; c.in[i].value; i++) {
			strvec_push_owned(&owned, s = subst(c.in[i].value, fx->dir));
			c.in[i].value = s;
		}
		assert_false(owned.failed);
		c.name = rc->name;

		if (ccshim_classify(c.tool, argc, argv, &cmd, err, sizeof(err)) < 0)
			fail_msg("[%s] classify failed: %s", rc->name, err);
		if (cmd.argc != nexp)
			fail_msg("[%s] expanded argc: got %d, want %d", rc->name, cmd.argc,
			         nexp);
		for (int i = 0; i < nexp; i++) {
			char *want = subst(rc->expanded[i], fx->dir);
			if (strcmp(cmd.argv[i], want) != 0)
				fail_msg("[%s] expanded argv[%d]: got '%s', want '%s'", rc->name,
				         i, cmd.argv[i], want);
			free(want);
		}
		assert_null(cmd.argv[nexp]);
		if (cmd.response_files != rc->response_files)
			fail_msg("[%s] response_files: got %d", rc->name, cmd.response_files);
		if (cmd.unreadable_response != (rc->unreadable != NULL))
			fail_msg("[%s] unreadable_response: got %d", rc->name,
			         cmd.unreadable_response);
		char *unread = subst(rc->unreadable, fx->dir);
		if (!str_eq(cmd.unreadable, unread))
			fail_msg("[%s] unreadable: got '%s', want '%s'", rc->name,
			         show(cmd.unreadable), show(unread));
		free(unread);
		check_cmd(rc->name, &c, &cmd);
		ccshim_cmd_free(&cmd);
		strvec_free(&owned);
	}
	fx->passed = true;
}

/* An @file that names itself: an error, not a hang, and nothing leaks. */
static void
test_response_file_loop(void **state)
{
	struct fx *fx = *state;
	char *self = util_path_join(fx->dir, "self.rsp");
	char *arg = xasprintf("@%s", self);
	char *text = xasprintf("-c x.c %s\n", arg);
	const char *argv[] = { "cc", "@/nonexistent/first.rsp", arg, NULL };
	struct ccshim_cmd cmd;
	char err[512] = "";

	assert_int_equal(util_write_atomic(self, text, strlen(text), 0644, false), 0);
	assert_int_equal(ccshim_classify(CCSHIM_TOOL_CC, 3, argv, &cmd,
	                                 err, sizeof(err)), -1);
	if (!strstr(err, "nest too deep") || !strstr(err, "self.rsp"))
		fail_msg("unexpected message: '%s'", err);
	/* The command was freed on the way out (ASan checks the rest). */
	assert_null(cmd.argv);
	assert_null(cmd.unreadable);
	free(self);
	free(arg);
	free(text);
	fx->passed = true;
}

/*
 * A response file that names itself a thousand times would multiply the
 * command line until the 2000th @file (two million arguments, each splice
 * moving all of them): it stops at the argument limit with a message.  A
 * large real list (a hundred thousand objects) expands in full.
 */
static void
test_response_file_bomb(void **state)
{
	struct fx *fx = *state;
	char *bomb = util_path_join(fx->dir, "bomb.rsp");
	char *list = util_path_join(fx->dir, "objs.rsp");
	char *barg = xasprintf("@%s", bomb), *larg = xasprintf("@%s", list);
	struct strbuf sb = { 0 };
	struct ccshim_cmd cmd;
	char err[512] = "";

	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%s ", barg);
	assert_false(sb.failed);
	assert_int_equal(util_write_atomic(bomb, sb.s, sb.len, 0644, false), 0);
	strbuf_reset(&sb);
	for (int i = 0; i < 100000; i++)
		strbuf_addf(&sb, "CMakeFiles/m.dir/o%d.c.o\n", i);
	assert_false(sb.failed);
	assert_int_equal(util_write_atomic(list, sb.s, sb.len, 0644, false), 0);

	const char *argv[] = { "cc", "-shared", barg, NULL };
	assert_int_equal(ccshim_classify(CCSHIM_TOOL_CC, 3, argv,
	                                 &cmd, err, sizeof(err)), -1);
	if (!strstr(err, "response files expand to more than 1048576 arguments"))
		fail_msg("unexpected message: '%s'", err);
	assert_null(cmd.argv);

	const char *argv2[] = { "cc", "-shared", "-o", "m.so", larg, "-lz", NULL };
	if (ccshim_classify(CCSHIM_TOOL_CC, 6, argv2, &cmd, err, sizeof(err)) < 0)
		fail_msg("a list of 100000 objects: %s", err);
	assert_int_equal(cmd.argc, 5 + 100000);
	assert_int_equal(cmd.ninputs, 100000 + 1);
	assert_string_equal(cmd.argv[4], "CMakeFiles/m.dir/o0.c.o");
	assert_string_equal(cmd.argv[4 + 99999], "CMakeFiles/m.dir/o99999.c.o");
	assert_string_equal(cmd.argv[cmd.argc - 1], "-lz");
	assert_int_equal(cmd.action, CCSHIM_ACT_SHARED_LINK);
	ccshim_cmd_free(&cmd);
	strbuf_free(&sb);
	free(bomb);
	free(list);
	free(barg);
	free(larg);
	fx->passed = true;
}

/*
 * Only a regular file is read as an @file.  A pipe (/dev/fd/N, /dev/stdin,
 * a FIFO) would be drained before the real tool could read it, and a
 * device such as /dev/zero never ends; GCC reads neither (it keeps a pipe
 * literally and takes a device's size, 0).  Such an @file is kept literally
 * and flagged, so the shim runs the real tool on the untouched stream and
 * records nothing.
 */
static void
test_response_file_not_regular(void **state)
{
	struct fx *fx = *state;
	static const char text[] = "-c x.c -o x.o";
	char buf[64], err[256] = "", *pipearg, *fifoarg;
	int fds[2];
	struct ccshim_cmd cmd;

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	assert_int_equal(close(fds[1]), 0);
	pipearg = xasprintf("@/dev/fd/%d", fds[0]);
	fifoarg = xasprintf("@%s/fifo", fx->dir);
	char *fifo = fifoarg + 1;
	assert_int_equal(mkfifo(fifo, 0600), 0);

	const char *const args[] = { pipearg, "@/dev/zero", "@/dev/null", fifoarg };
	for (size_t i = 0; i < countof(args); i++) {
		const char *argv[] = { "cc", "-shared", "y.o", args[i], NULL };
		if (ccshim_classify(CCSHIM_TOOL_CC, 4, argv, &cmd,
		                    err, sizeof(err)) < 0)
			fail_msg("[%s] classify failed: %s", args[i], err);
		if (cmd.response_files || !cmd.unreadable_response ||
		    !str_eq(cmd.unreadable, args[i]) || cmd.argc != 4)
			fail_msg("[%s] read as an @file: response_files %d, unreadable '%s', "
			         "argc %d", args[i], cmd.response_files, show(cmd.unreadable),
			         cmd.argc);
		ccshim_cmd_free(&cmd);
	}
	/* The pipe still holds everything for the real tool. */
	ssize_t n = read(fds[0], buf, sizeof(buf));
	assert_int_equal(n, (ssize_t)sizeof(text) - 1);
	assert_memory_equal(buf, text, sizeof(text) - 1);
	close(fds[0]);
	free(pipearg);
	free(fifoarg);
	fx->passed = true;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_response),
		cmocka_unit_test_setup_teardown(test_response_files, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_response_file_loop, fx_setup,
		                                fx_teardown),
		cmocka_unit_test_setup_teardown(test_response_file_bomb, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_response_file_not_regular, fx_setup,
		                                fx_teardown),
	};

	/* A scrubbed environment: nothing of the caller's reaches the tests. */
	unsetenv("PYWELD_DB");
	setenv("LC_ALL", "C", 1);
	return cmocka_run_group_tests_name("ccshim_response", tests, NULL, NULL);
}

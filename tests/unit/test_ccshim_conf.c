/*
 * test_ccshim_conf: cmocka unit tests of the shim directory's configuration
 * and of the resolution of real tools.
 *
 * Values with the file's separators in them, launchers (ccache, distcc)
 * and their masquerade directories in a PATH made per test, and which shim
 * names run their role's command and which the program of their name.
 */
#include "ccshim_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Values with the file's separators in them come back byte for byte, and
 * cannot add a line (an injected "cc=") or split a word. */
static void
test_conf_escape(void **state)
{
	struct fx *fx = *state;
	static const char *const cc[] = { "/opt/a\tb/ccache", "/opt/x\ny/gcc", "-m64", NULL };
	static const char *const ranlib[] = { "/opt/r\ncc=/evil\n#/ranlib", NULL };
	static const char *const ar[] = { "C:\\new\\tab\\\\x\\", "a\r\nb", NULL };
	struct ccshim_conf conf = { 0 }, back;
	char err[512] = "";

	conf.db = xstrdup("/tmp/d\nbuild=999\ncc=/evil\n#\t\\n/app.linkdb");
	conf.build = 7;
	conf.tool[CCSHIM_TOOL_CC] = xcalloc(4, sizeof(char *));
	for (int i = 0; cc[i]; i++)
		conf.tool[CCSHIM_TOOL_CC][i] = xstrdup(cc[i]);
	conf.tool[CCSHIM_TOOL_RANLIB] = xcalloc(2, sizeof(char *));
	conf.tool[CCSHIM_TOOL_RANLIB][0] = xstrdup(ranlib[0]);
	conf.tool[CCSHIM_TOOL_AR] = xcalloc(3, sizeof(char *));
	for (int i = 0; ar[i]; i++)
		conf.tool[CCSHIM_TOOL_AR][i] = xstrdup(ar[i]);
	assert_int_equal(ccshim_conf_write(fx->dir, &conf), 0);
	if (ccshim_conf_read(fx->dir, &back, err, sizeof(err)) < 0)
		fail_msg("reading back: %s", err);
	assert_string_equal(back.db, conf.db);
	assert_int_equal(back.build, 7);
	assert_null(back.tool[CCSHIM_TOOL_CXX]);
	assert_null(back.tool[CCSHIM_TOOL_LD]);
	for (int t = 0; t < CCSHIM_TOOL__COUNT; t++) {
		if (!conf.tool[t])
			continue;
		assert_non_null(back.tool[t]);
		for (int i = 0; conf.tool[t][i] || back.tool[t][i]; i++) {
			if (!conf.tool[t][i] || !back.tool[t][i] ||
			    strcmp(conf.tool[t][i], back.tool[t][i]) != 0)
				fail_msg("%s word %d: wrote '%s', read '%s'",
				         ccshim_tool_key((enum ccshim_tool)t), i,
				         show(conf.tool[t][i]), show(back.tool[t][i]));
		}
	}
	/* Each value is on its own line: nothing else starts one. */
	char *path = util_path_join(fx->dir, CCSHIM_CONF_NAME), *text = NULL;
	assert_int_equal(util_read_file(path, &text, NULL), 0);
	int lines = 0;
	for (char *p = text; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 3 + 5);          /* 3 comment lines, db, build, 3 tools */
	free(text);
	free(path);
	ccshim_conf_free(&back);
	ccshim_conf_free(&conf);
	fx->passed = true;
}

/* Writes an executable file of a few bytes. */
static void
write_exe(const char *dir, const char *name)
{
	char *path = util_path_join(dir, name);

	assert_non_null(path);
	assert_int_equal(util_write_atomic(path, "#!/bin/sh\n", 10, 0755, false), 0);
	free(path);
}

static void
make_link(const char *target, const char *dir, const char *name)
{
	char *path = util_path_join(dir, name);

	assert_non_null(path);
	if (symlink(target, path) < 0)
		fail_msg("symlink '%s' -> '%s': %s", path, target, strerror(errno));
	free(path);
}

static void
expect_tool(const char *what, char **got, const char *err, const char *const *want)
{
	if (!got)
		fail_msg("[%s] resolution failed: %s", what, err);
	for (int i = 0; want[i] || got[i]; i++)
		if (!want[i] || !got[i] || strcmp(want[i], got[i]) != 0)
			fail_msg("[%s] word %d: got '%s', want '%s'", what, i, show(got[i]),
			         show(want[i]));
	ccshim_strv_free(got);
}

/*
 * Launchers are known by what they resolve to: ccache's and distcc's
 * masquerade links (any name, through any chain of symlinks) become the
 * launcher's binary then the compiler of the link's name, found on PATH
 * past the shims and every masquerade directory.  Fake programs in a
 * temporary tree: bin/ccache and bin/distcc, masq/{cc,gcc,clang} ->
 * ../bin/ccache (cc through a chain), dmasq/cc -> distcc, real/{cc,gcc},
 * shim/cc standing for pyweld-cc.
 */
static void
test_resolve_launchers(void **state)
{
	struct fx *fx = *state;
	const char *D = fx->dir;
	char *oldpath = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	char err[1024] = "", *p;
	static const char *const dirs[] = { "bin", "masq", "dmasq", "real", "shim", NULL };

	for (int i = 0; dirs[i]; i++) {
		p = util_path_join(D, dirs[i]);
		assert_int_equal(mkdir(p, 0755), 0);
		free(p);
	}
	char *bin = util_path_join(D, "bin"), *masq = util_path_join(D, "masq");
	char *dmasq = util_path_join(D, "dmasq"), *real = util_path_join(D, "real");
	char *shim = util_path_join(D, "shim");
	write_exe(bin, "ccache");
	write_exe(bin, "distcc");
	write_exe(real, "cc");
	write_exe(real, "gcc");
	write_exe(shim, "cc");
	make_link("../bin/ccache", masq, "gcc");
	make_link("../bin/ccache", masq, "clang");
	make_link("gcc", masq, "cc");                  /* a chain: cc -> gcc -> ccache */
	make_link("../bin/distcc", dmasq, "cc");
	char *ccache = xasprintf("%s/ccache", bin), *distcc = xasprintf("%s/distcc", bin);
	char *rcc = xasprintf("%s/cc", real), *rgcc = xasprintf("%s/gcc", real);
	char *mgcc = xasprintf("%s/gcc", masq), *self = xasprintf("%s/cc", shim);
	/* Things resolve to realpath()s: compare against those. */
	char *rc = realpath(ccache, NULL), *rd = realpath(distcc, NULL);
	char *rrcc = realpath(rcc, NULL), *rrgcc = realpath(rgcc, NULL);
	assert_non_null(rc);
	assert_non_null(rd);
	assert_non_null(rrcc);
	assert_non_null(rrgcc);

	char *path = xasprintf("%s:%s:%s:%s", shim, masq, bin, real);
	setenv("PATH", path, 1);
	expect_tool("cc from a masquerade directory first on PATH",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, NULL, self, err, sizeof(err)), err,
	            (const char *const[]){ rc, rrcc, NULL });
	expect_tool("CC=<masq>/gcc",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, mgcc, self, err, sizeof(err)), err,
	            (const char *const[]){ rc, rrgcc, NULL });
	expect_tool("CC='ccache gcc -m64' with the masquerade first",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, "ccache gcc -m64", self, err,
	                                sizeof(err)), err,
	            (const char *const[]){ rc, rrgcc, "-m64", NULL });
	expect_tool("the name gcc",
	            ccshim_resolve_name(CCSHIM_TOOL_CC, "gcc", self, err, sizeof(err)), err,
	            (const char *const[]){ rc, rrgcc, NULL });
	err[0] = '\0';
	assert_null(ccshim_resolve_tool(CCSHIM_TOOL_CC, "clang", self, err, sizeof(err)));
	if (!strstr(err, "cannot find the real cc 'clang' on PATH") ||
	    !strstr(err, "masquerade"))
		fail_msg("a masquerade link with no compiler behind it: '%s'", err);

	/* distcc's masquerade directory before ccache's: distcc, then the
	 * compiler by its name (distcc sends the name to the machines that
	 * compile, and looks it up on PATH itself). */
	free(path);
	path = xasprintf("%s:%s:%s:%s", dmasq, masq, bin, real);
	setenv("PATH", path, 1);
	expect_tool("distcc's masquerade first: the compiler by its name",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, NULL, self, err, sizeof(err)), err,
	            (const char *const[]){ rd, "cc", NULL });
	expect_tool("CC='distcc gcc': distcc finds gcc itself",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, "distcc gcc -O2", self, err,
	                                sizeof(err)), err,
	            (const char *const[]){ rd, "gcc", "-O2", NULL });
	expect_tool("CC='distcc ccache gcc': what follows distcc is kept",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, "distcc ccache gcc", self, err,
	                                sizeof(err)), err,
	            (const char *const[]){ rd, "ccache", "gcc", NULL });
	char *dgcc = xasprintf("distcc %s", rgcc);
	expect_tool("CC='distcc <path>': a path is resolved",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, dgcc, self, err, sizeof(err)), err,
	            (const char *const[]){ rd, rgcc, NULL });
	free(dgcc);
	err[0] = '\0';
	assert_null(ccshim_resolve_tool(CCSHIM_TOOL_CC, "distcc nosuchcc", self, err,
	                                sizeof(err)));
	if (!strstr(err, "cannot find the real cc 'nosuchcc' on PATH"))
		fail_msg("distcc with a compiler that is not there: '%s'", err);

	/* No launcher at all: the program as found, symlinks kept. */
	free(path);
	path = xasprintf("%s:%s", shim, real);
	setenv("PATH", path, 1);
	expect_tool("plain cc past the shim",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, NULL, self, err, sizeof(err)), err,
	            (const char *const[]){ rcc, NULL });

	if (oldpath)
		setenv("PATH", oldpath, 1);
	else
		unsetenv("PATH");
	free(oldpath);
	free(path);
	free(rc); free(rd); free(rrcc); free(rrgcc);
	free(ccache); free(distcc); free(rcc); free(rgcc); free(mgcc); free(self);
	free(bin); free(masq); free(dmasq); free(real); free(shim);
	fx->passed = true;
}

/* cc, c++, ld, ar, ranlib run the role's command; gcc and the rest their own. */
static void
test_names_and_roles(void **state)
{
	struct ccshim_conf conf = { 0 };
	static const char *const roles[] = { "cc", "c++", "ld", "ar", "ranlib", NULL };
	int gcc = ccshim_shim_index("gcc");

	(void)state;
	for (int i = 0; ccshim_shim_names[i]; i++) {
		bool role = false;
		for (int k = 0; roles[k]; k++)
			role = role || !strcmp(roles[k], ccshim_shim_names[i]);
		if (ccshim_name_is_role(ccshim_shim_names[i]) != role)
			fail_msg("'%s': is a role name %d", ccshim_shim_names[i], !role);
		assert_int_equal(ccshim_shim_index(ccshim_shim_names[i]), i);
	}
	assert_int_equal(ccshim_shim_index("clang"), -1);
	assert_false(ccshim_name_is_role("gcc"));
	assert_false(ccshim_name_is_role("x86_64-linux-gnu-ld"));

	assert_true(gcc >= 0);
	conf.tool[CCSHIM_TOOL_CC] = xcalloc(2, sizeof(char *));
	conf.tool[CCSHIM_TOOL_CC][0] = xstrdup("/usr/bin/clang");
	assert_null(ccshim_conf_command(&conf, "/s/gcc", CCSHIM_TOOL_CC)[1]);
	/* Without an entry of its own (a configuration of an older pyweld),
	 * gcc runs the role's command. */
	assert_string_equal(ccshim_conf_command(&conf, "/s/gcc", CCSHIM_TOOL_CC)[0],
	                    "/usr/bin/clang");
	conf.named[gcc] = xcalloc(2, sizeof(char *));
	conf.named[gcc][0] = xstrdup("/usr/bin/gcc");
	assert_string_equal(ccshim_conf_command(&conf, "/s/gcc", CCSHIM_TOOL_CC)[0],
	                    "/usr/bin/gcc");
	assert_string_equal(ccshim_conf_command(&conf, "gcc", CCSHIM_TOOL_CC)[0],
	                    "/usr/bin/gcc");
	assert_string_equal(ccshim_conf_command(&conf, "/s/cc", CCSHIM_TOOL_CC)[0],
	                    "/usr/bin/clang");
	assert_null(ccshim_conf_command(&conf, "c++", CCSHIM_TOOL_CXX));
	ccshim_conf_free(&conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_conf_escape, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_launchers, fx_setup, fx_teardown),
		cmocka_unit_test(test_names_and_roles),
	};

	/* A scrubbed environment: nothing of the caller's reaches the tests. */
	unsetenv("PYWELD_DB");
	setenv("LC_ALL", "C", 1);
	return cmocka_run_group_tests_name("ccshim_conf", tests, NULL, NULL);
}

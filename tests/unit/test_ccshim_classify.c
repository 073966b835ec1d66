/*
 * test_ccshim_classify: cmocka unit tests of ccshim's argv classification.
 *
 * The heart is the table of real command lines (ccshim_cases_*.c), each
 * checked for its action, output, dependency file, every input in order,
 * and the C++ and LTO flags; then the option tables' order and rows, tool
 * names, default object names and the classifier's errors.
 */
#include "ccshim_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every case of the three tables, in order. */
static const struct cl_case **table;
static size_t ncases;

static void
test_table_case(void **state)
{
	const struct cl_case *c = *state;
	struct ccshim_cmd cmd;
	char err[256] = "";
	int argc = argv_count(c->argv);

	assert_true(argc < MAXARGV);
	if (ccshim_classify(c->tool, argc, c->argv, &cmd, err, sizeof(err)) < 0)
		fail_msg("[%s] classify failed: %s", c->name, err);
	/* No @file here: the expanded argv is the argv. */
	assert_int_equal(cmd.argc, argc);
	for (int i = 0; i < argc; i++)
		assert_string_equal(cmd.argv[i], c->argv[i]);
	assert_null(cmd.argv[argc]);
	assert_false(cmd.response_files);
	assert_false(cmd.unreadable_response);
	assert_null(cmd.unreadable);
	check_cmd(c->name, c, &cmd);
	ccshim_cmd_free(&cmd);
}

/* At least 80 distinct command lines, most of them from real builds. */
static void
test_table_size(void **state)
{
	size_t real = 0;

	(void)state;
	for (size_t i = 0; i < ncases; i++) {
		if (!util_starts_with(table[i]->name, "edge:"))
			real++;
		for (size_t j = 0; j < i; j++) {
			int n = argv_count(table[i]->argv);
			bool same = table[i]->tool == table[j]->tool &&
			            n == argv_count(table[j]->argv);
			for (int k = 0; same && k < n; k++)
				same = !strcmp(table[i]->argv[k], table[j]->argv[k]);
			if (same)
				fail_msg("cases %zu and %zu have the same command line (%s)", j, i,
				         table[i]->name);
			if (!strcmp(table[i]->name, table[j]->name))
				fail_msg("cases %zu and %zu have the same name '%s'", j, i,
				         table[i]->name);
		}
	}
	print_message("classification table: %zu command lines, %zu from real builds\n",
	              ncases, real);
	assert_true(ncases >= 80);
	assert_true(real >= 80);
}

/* --- the option tables ---------------------------------------------------- */

/* Entries that are allowed to carry neither a flag nor a role (none today). */
static const char *const unflagged_ok[] = { NULL };

static void
check_options(const char *what, const struct ccshim_opt *tab, size_t n)
{
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(tab[i].name);
		if (tab[i].name[0] != '-' || strlen(tab[i].name) < 2)
			fail_msg("%s[%zu] '%s' is not an option", what, i, tab[i].name);
		if (i > 0 && strcmp(tab[i - 1].name, tab[i].name) >= 0)
			fail_msg("%s is not sorted: '%s' (%zu) before '%s' (%zu)", what,
			         tab[i - 1].name, i - 1, tab[i].name, i);
		if (tab[i].flags == 0 && tab[i].role == CCSHIM_ROLE_NONE) {
			bool ok = false;
			for (size_t k = 0; unflagged_ok[k]; k++)
				ok = ok || !strcmp(unflagged_ok[k], tab[i].name);
			if (!ok)
				fail_msg("%s[%zu] '%s' has neither a flag nor a role", what, i,
				         tab[i].name);
		}
		if (tab[i].flags & ~(unsigned)(CCSHIM_O_SEPARATE | CCSHIM_O_PREFIX |
		                               CCSHIM_O_EQUALS))
			fail_msg("%s[%zu] '%s' has unknown flags %#x", what, i, tab[i].name,
			         tab[i].flags);
		if ((unsigned)tab[i].role >= CCSHIM_ROLE__COUNT)
			fail_msg("%s[%zu] '%s' has an unknown role %d", what, i, tab[i].name,
			         (int)tab[i].role);
		/* A value after '=' only makes sense for a long or named option. */
		if ((tab[i].flags & CCSHIM_O_EQUALS) && (tab[i].flags & CCSHIM_O_PREFIX))
			fail_msg("%s[%zu] '%s' is both PREFIX and EQUALS", what, i,
			         tab[i].name);
	}
}

static void
test_option_tables_sorted(void **state)
{
	(void)state;
	check_options("ccshim_gcc_options", ccshim_gcc_options, ccshim_gcc_noptions);
	check_options("ccshim_ld_options", ccshim_ld_options, ccshim_ld_noptions);
	/* The GCC options the classification cannot do without. */
	static const char *const must[] = { "-o", "-x", "-l", "-L", "-MF", "-include",
	                                    "-isystem", "-Xlinker", "-Wl,", "-D", NULL };
	for (size_t k = 0; must[k]; k++) {
		bool found = false;
		for (size_t i = 0; i < ccshim_gcc_noptions; i++)
			found = found || !strcmp(ccshim_gcc_options[i].name, must[k]);
		if (!found)
			fail_msg("ccshim_gcc_options lacks '%s'", must[k]);
	}
}

/* --- names ------------------------------------------------------------------ */

static void
test_tool_from_name(void **state)
{
	static const struct { const char *name; int tool; } cases[] = {
		{ "x86_64-linux-gnu-gcc-12", CCSHIM_TOOL_CC },
		{ "g++", CCSHIM_TOOL_CXX },
		{ "gcc-ar", CCSHIM_TOOL_AR },
		{ "x86_64-linux-gnu-gcc-ranlib", CCSHIM_TOOL_RANLIB },
		{ "cc", CCSHIM_TOOL_CC },
		{ "clang", -1 },
		{ "ld.gold", CCSHIM_TOOL_LD },
		{ "/usr/bin/x86_64-linux-gnu-g++-12", CCSHIM_TOOL_CXX },
		{ "/tmp/x.linkdb.shims/c++", CCSHIM_TOOL_CXX },
		{ "gcc", CCSHIM_TOOL_CC },
		{ "gcc-12", CCSHIM_TOOL_CC },
		{ "x86_64-linux-gnu-gcc-12.2", CCSHIM_TOOL_CC },
		{ "c89", CCSHIM_TOOL_CC },
		{ "c99", CCSHIM_TOOL_CC },
		{ "ld", CCSHIM_TOOL_LD },
		{ "ld.bfd", CCSHIM_TOOL_LD },
		{ "x86_64-linux-gnu-ld", CCSHIM_TOOL_LD },
		{ "x86_64-linux-gnu-ld.gold", CCSHIM_TOOL_LD },
		{ "ar", CCSHIM_TOOL_AR },
		{ "x86_64-linux-gnu-ar", CCSHIM_TOOL_AR },
		{ "x86_64-linux-gnu-gcc-ar-12", CCSHIM_TOOL_AR },
		{ "ranlib", CCSHIM_TOOL_RANLIB },
		{ "gcc-ranlib-12", CCSHIM_TOOL_RANLIB },
		{ "arm-none-eabi-gcc", CCSHIM_TOOL_CC },
		{ "clang++", -1 },
		{ "cpp", -1 },
		{ "ccache", -1 },
		{ "distcc", -1 },
		{ "icc", -1 },
		{ "ld.lld", -1 },
		{ "nm", -1 },
		{ "pyweld", -1 },
		{ "pyweld-cc", -1 },                       /* the wrapper itself */
		{ "/work/main/build/bin/pyweld-cc", -1 },
		{ "", -1 },
		{ "/usr/bin/", -1 },
	};
	char longname[300];

	(void)state;
	for (size_t i = 0; i < countof(cases); i++) {
		int got = ccshim_tool_from_name(cases[i].name);
		if (got != cases[i].tool)
			fail_msg("ccshim_tool_from_name('%s'): got %d, want %d", cases[i].name,
			         got, cases[i].tool);
	}
	memset(longname, 'x', sizeof(longname) - 4);
	memcpy(longname + sizeof(longname) - 4, "-cc", 4);
	assert_int_equal(ccshim_tool_from_name(longname), -1);

	/* Every name the shim directory holds is one of ours. */
	for (size_t i = 0; ccshim_shim_names[i]; i++)
		if (ccshim_tool_from_name(ccshim_shim_names[i]) < 0)
			fail_msg("shim name '%s' has no role", ccshim_shim_names[i]);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(ccshim_tool_key(CCSHIM_TOOL_CC), "cc");
	assert_string_equal(ccshim_tool_key(CCSHIM_TOOL_CXX), "cxx");
	assert_string_equal(ccshim_tool_key(CCSHIM_TOOL_LD), "ld");
	assert_string_equal(ccshim_tool_key(CCSHIM_TOOL_AR), "ar");
	assert_string_equal(ccshim_tool_key(CCSHIM_TOOL_RANLIB), "ranlib");
	assert_string_equal(ccshim_tool_key(CCSHIM_TOOL__COUNT), "?");

	static const char *const acts[] = {
		"info", "preprocess", "assembly", "syntax-only", "compile",
		"shared-link", "relocatable", "exec-link", "archive", "other",
	};
	for (int a = 0; a <= CCSHIM_ACT_OTHER; a++)
		assert_string_equal(ccshim_action_name((enum ccshim_action)a), acts[a]);
	assert_string_equal(ccshim_action_name((enum ccshim_action)(CCSHIM_ACT_OTHER + 1)),
	                    "?");
	static const char *const args[] = {
		"source", "object", "archive", "shared", "lib", "libdir", "linkflag",
	};
	for (int a = 0; a <= CCSHIM_ARG_LINKFLAG; a++)
		assert_string_equal(ccshim_arg_name((enum ccshim_arg)a), args[a]);
	assert_string_equal(ccshim_arg_name((enum ccshim_arg)(CCSHIM_ARG_LINKFLAG + 1)),
	                    "?");
}

static void
test_default_object(void **state)
{
	static const char *const cases[][2] = {
		{ "a.c", "a.o" },
		{ "src/a.c", "a.o" },
		{ "../src/_mspam.c", "_mspam.o" },
		{ "/abs/dir.with.dots/x.cpp", "x.o" },
		{ "x.tar.c", "x.tar.o" },
		{ "noext", "noext.o" },
		{ "dir.d/noext", "noext.o" },
		{ "-", "-.o" },
	};

	(void)state;
	for (size_t i = 0; i < countof(cases); i++) {
		char *o = ccshim_default_object(cases[i][0]);
		assert_non_null(o);
		if (strcmp(o, cases[i][1]) != 0)
			fail_msg("ccshim_default_object('%s'): got '%s', want '%s'",
			         cases[i][0], o, cases[i][1]);
		free(o);
	}
}

/* Several sources under -c, no -o: each goes to its own "<stem>.o". */
static void
test_multiple_sources_default_objects(void **state)
{
	const char *argv[] = { "cc", "-c", "src/a.c", "lib/b.cpp", "-I.", NULL };
	const char *want[] = { "a.o", "b.o" };
	struct ccshim_cmd cmd;
	char err[256];

	(void)state;
	assert_int_equal(ccshim_classify(CCSHIM_TOOL_CC, 5, argv, &cmd,
	                                 err, sizeof(err)), 0);
	assert_int_equal(cmd.action, CCSHIM_ACT_COMPILE);
	assert_null(cmd.output);
	assert_int_equal(cmd.nsources, 2);
	assert_true(cmd.cxx);
	for (size_t i = 0; i < 2; i++) {
		char *o = ccshim_default_object(cmd.inputs[i].value);
		assert_string_equal(o, want[i]);
		free(o);
	}
	ccshim_cmd_free(&cmd);
}

static void
test_classify_errors(void **state)
{
	const char *argv[] = { "cc", "-c", "x.c", NULL };
	struct ccshim_cmd cmd;
	char err[256];

	(void)state;
	err[0] = '\0';
	assert_int_equal(ccshim_classify(CCSHIM_TOOL_CC, 0, argv, &cmd,
	                                 err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	err[0] = '\0';
	assert_int_equal(ccshim_classify(CCSHIM_TOOL__COUNT, 3, argv, &cmd,
	                                 err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown tool"));
	/* Freeing twice, or a zeroed command, is harmless. */
	memset(&cmd, 0, sizeof(cmd));
	ccshim_cmd_free(&cmd);
	ccshim_cmd_free(&cmd);
}

/* Gathers the case tables into one list. */
static void
gather_cases(void)
{
	const struct { const struct cl_case *v; size_t n; } parts[] = {
		{ cases_python, ncases_python },
		{ cases_native, ncases_native },
		{ cases_rust, ncases_rust },
		{ cases_edge, ncases_edge },
	};

	table = xcalloc(ncases_python + ncases_native + ncases_rust + ncases_edge,
	                sizeof(*table));
	for (size_t p = 0; p < countof(parts); p++)
		for (size_t i = 0; i < parts[p].n; i++)
			table[ncases++] = &parts[p].v[i];
}

int
main(void)
{
	static struct CMUnitTest *table_tests;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_size),
		cmocka_unit_test(test_option_tables_sorted),
		cmocka_unit_test(test_tool_from_name),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_default_object),
		cmocka_unit_test(test_multiple_sources_default_objects),
		cmocka_unit_test(test_classify_errors),
	};
	int failed;

	/* A scrubbed environment: nothing of the caller's reaches the tests. */
	unsetenv("PYWELD_DB");
	setenv("LC_ALL", "C", 1);

	gather_cases();
	table_tests = xcalloc(ncases, sizeof(*table_tests));
	for (size_t i = 0; i < ncases; i++) {
		table_tests[i].name = table[i]->name;
		table_tests[i].test_func = test_table_case;
		table_tests[i].initial_state = (void *)(uintptr_t)table[i];
	}
	failed = _cmocka_run_group_tests("ccshim_classify_table", table_tests, ncases,
	                                 NULL, NULL);
	failed += cmocka_run_group_tests_name("ccshim_classify", tests, NULL, NULL);
	return failed ? 1 : 0;
}

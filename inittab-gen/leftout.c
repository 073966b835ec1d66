/*
 * leftout.c: what a weld leaves out unless asked for, in one place.
 *
 * Extension modules of the standard library: those that would bring what
 * a binary should not carry unasked (X11, Kerberos, a copyleft licence
 * that reaches the whole program) and obsolete or test modules, each with
 * its reason (docs/weld.md lists them); --with-module takes one back,
 * --without-module leaves out more, --stdlib-tests takes the test modules.
 *
 * Python modules and resources of the blob (pcre2 patterns, NULL
 * terminated; the module patterns are valid Python re too, as
 * pydist/freeze_stdlib.py reads them): idlelib, tkinter, turtledemo and
 * the like, bytecode and objects, and test suites, which --stdlib-tests
 * keeps (the packages that hold a welded extension are always kept:
 * pack_tree.c).
 */
#include "internal.h"

#include <string.h>

/* Python modules and resources (pack_tree.c compiles them). */

const char *const itg_default_module_ex[] = {
	"^(idlelib|tkinter|turtledemo|turtle|__phello__)(\\.|$)", NULL,
};

const char *const itg_test_module_ex[] = {
	"(^|\\.)tests?(\\.|$)", NULL,
};

const char *const itg__default_resource_ex[] = {
	"^(idlelib|tkinter|turtledemo)/", "^ensurepip/_bundled/", "\\.exe$",
	"(^|/)__pycache__/", "\\.(pyc|pyo|so|a|o)$", NULL,
};

const char *const itg__test_resource_ex[] = {
	"(^|/)tests?/", NULL,
};

/* Extension modules of the standard library (collect.c asks). */

/* Standard-library modules left out unless asked for, and why. */
static const struct {
	const char *name, *why;
} default_out[] = {
	{ "_tkinter", "needs the X11 libraries, which exist only as shared objects" },
	{ "nis", "needs Kerberos (libgssapi_krb5), which has no static archive; deprecated" },
	{ "_dbm", "Berkeley DB is Sleepycat-licensed: it would reach the whole binary" },
	{ "_gdbm", "GNU dbm is GPL-3.0: it would make the whole binary GPL-3.0" },
	{ "_crypt", "libxcrypt is LGPL: static use obliges relinkable objects; deprecated" },
	{ "ossaudiodev", NULL }, { "spwd", NULL },
	{ "_testbuffer", NULL }, { "_testcapi", NULL }, { "_testclinic", NULL },
	{ "_testimportmultiple", NULL }, { "_testinternalcapi", NULL },
	{ "_testmultiphase", NULL }, { "_xxtestfuzz", NULL }, { "_ctypes_test", NULL },
	{ "xxlimited", NULL }, { "xxlimited_35", NULL }, { "_xxsubinterpreters", NULL },
};

static bool
is_test_module(const char *name)
{
	return util_starts_with(name, "_test") || util_starts_with(name, "xxlimited") ||
	       !strcmp(name, "_xxtestfuzz") || !strcmp(name, "_ctypes_test") ||
	       !strcmp(name, "_xxsubinterpreters");
}

static bool
listed(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

bool
itg__module_wanted(const struct itg_plan *p, const char *name, const char **why)
{
	*why = NULL;
	if (listed(p->without, p->nwithout, name))
		return false;
	if (listed(p->with, p->nwith, name))
		return true;
	if (p->stdlib_tests && is_test_module(name))
		return true;
	for (size_t i = 0; i < countof(default_out); i++) {
		if (!strcmp(default_out[i].name, name)) {
			*why = default_out[i].why;
			return false;
		}
	}
	return true;
}

/*
 * names.c: the names the wrappers answer to and the names of the
 * classification's values.
 *
 * A shim is reached by a program name (cc, x86_64-linux-gnu-g++, gcc-ar,
 * ld.bfd, ...); its role (cc, c++, ld, ar, ranlib) decides how its command
 * line is read.  The shim directory holds one link per name in
 * ccshim_shim_names; of those, only a role's own name runs the role's
 * configured command ($CC, ...), every other name the program of that name.
 */
#include "ccshim.h"

#include <string.h>

#include "util.h"

const char *const ccshim_shim_names[] = {
	"cc", "gcc", "c++", "g++", "ld", "ar", "ranlib",
	"x86_64-linux-gnu-gcc", "x86_64-linux-gnu-g++", "x86_64-linux-gnu-ld",
	"x86_64-linux-gnu-ar", "x86_64-linux-gnu-ranlib",
	NULL,
};

_Static_assert(countof(ccshim_shim_names) == CCSHIM_NSHIM_NAMES + 1,
               "CCSHIM_NSHIM_NAMES counts ccshim_shim_names");

int
ccshim_shim_index(const char *name)
{
	for (int i = 0; ccshim_shim_names[i]; i++)
		if (!strcmp(ccshim_shim_names[i], name))
			return i;
	return -1;
}

bool
ccshim_name_is_role(const char *name)
{
	static const char *const roles[] = { "cc", "c++", "ld", "ar", "ranlib", NULL };

	for (size_t i = 0; roles[i]; i++)
		if (!strcmp(roles[i], name))
			return true;
	return false;
}

const char *
ccshim_tool_key(enum ccshim_tool t)
{
	static const char *const keys[] = { "cc", "cxx", "ld", "ar", "ranlib" };
	return (unsigned)t < CCSHIM_TOOL__COUNT ? keys[t] : "?";
}

int
ccshim_tool_from_name(const char *path)
{
	/* Longest first, so "gcc-ar" wins over "ar" in "x86_64-linux-gnu-gcc-ar". */
	static const struct { const char *name; enum ccshim_tool tool; } names[] = {
		{ "gcc-ranlib", CCSHIM_TOOL_RANLIB }, { "ld.gold", CCSHIM_TOOL_LD },
		{ "ranlib", CCSHIM_TOOL_RANLIB }, { "gcc-ar", CCSHIM_TOOL_AR },
		{ "ld.bfd", CCSHIM_TOOL_LD }, { "c++", CCSHIM_TOOL_CXX },
		{ "g++", CCSHIM_TOOL_CXX }, { "gcc", CCSHIM_TOOL_CC },
		{ "c89", CCSHIM_TOOL_CC }, { "c99", CCSHIM_TOOL_CC },
		{ "cc", CCSHIM_TOOL_CC }, { "ld", CCSHIM_TOOL_LD },
		{ "ar", CCSHIM_TOOL_AR },
	};
	const char *base = util_basename(path);
	char buf[128];
	size_t len = strlen(base);
	char *dash;

	if (len >= sizeof(buf))
		return -1;
	/* The wrapper's own name ("pyweld-cc") is not a "<triple>-cc". */
	if (util_starts_with(base, "pyweld-"))
		return -1;
	memcpy(buf, base, len + 1);
	/* A version suffix: "gcc-12" is gcc. */
	dash = strrchr(buf, '-');
	if (dash && dash[1] >= '0' && dash[1] <= '9' &&
	    strspn(dash + 1, "0123456789.") == strlen(dash + 1))
		*dash = '\0';
	len = strlen(buf);
	for (size_t i = 0; i < countof(names); i++) {
		size_t nl = strlen(names[i].name);
		if (len < nl || strcmp(buf + len - nl, names[i].name) != 0)
			continue;
		/* Exact, or a target triple before it: "x86_64-linux-gnu-gcc". */
		if (len == nl || buf[len - nl - 1] == '-')
			return (int)names[i].tool;
	}
	return -1;
}

const char *
ccshim_action_name(enum ccshim_action a)
{
	static const char *const n[] = {
		"info", "preprocess", "assembly", "syntax-only", "compile",
		"shared-link", "relocatable", "exec-link", "archive", "other",
	};
	return (unsigned)a <= CCSHIM_ACT_OTHER ? n[a] : "?";
}

const char *
ccshim_arg_name(enum ccshim_arg a)
{
	static const char *const n[] = {
		"source", "object", "archive", "shared", "lib", "libdir", "linkflag",
	};
	return (unsigned)a <= CCSHIM_ARG_LINKFLAG ? n[a] : "?";
}

const char *
ccshim_tool_envvar(enum ccshim_tool t)
{
	static const char *const vars[] = { "CC", "CXX", "LD", "AR", "RANLIB" };
	return (unsigned)t < CCSHIM_TOOL__COUNT ? vars[t] : "?";
}

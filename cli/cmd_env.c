/* cmd_env.c: `pyweld env`, turning the wrapper compilers on for a build. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccshim.h"

static const char env_usage[] =
	"usage: pyweld env [--db FILE] [--shim-dir DIR] [--note TEXT] [--json]\n"
	"\n"
	"Sets up pyweld's wrapper compilers for a build and prints the shell lines\n"
	"that turn them on:\n"
	"\n"
	"    eval \"$(pyweld env --db app.linkdb)\"\n"
	"    pip install --no-binary :all: markupsafe   # or setup.py, meson, make...\n"
	"    pyweld db links --db app.linkdb\n"
	"\n"
	"It creates the link database if needed, starts a new build record in it,\n"
	"creates the shim directory (links named cc gcc c++ g++ ld ar ranlib and\n"
	"x86_64-linux-gnu-* to pyweld-cc), and resolves the real tools once to\n"
	"absolute paths: from $CC, $CXX, $LD, $AR and $RANLIB when set, otherwise\n"
	"cc, c++, ld, ar and ranlib on PATH.  A launcher (ccache, sccache, distcc,\n"
	"icecc) is kept, known by what it resolves to: a masquerade link such as\n"
	"/usr/lib/ccache/gcc becomes the launcher followed by the real compiler.\n"
	"The shims cc, c++, ld, ar and ranlib run those commands; gcc, g++ and the\n"
	"x86_64-linux-gnu-* shims run the program of their own name from PATH (a\n"
	"makefile that calls gcc gets gcc, whatever $CC says), and a name that is\n"
	"not on PATH gets no shim.\n"
	"\n"
	"It prints exports of PYWELD_DB, PYWELD_BUILD, PYWELD_SHIM_DIR, CC, CXX,\n"
	"AR, RANLIB and PATH (shim directory first), SKBUILD_INSTALL_STRIP=false\n"
	"(a stripped .so no longer matches its recorded link) and CMAKE_ARGS (yours\n"
	"and -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON: CMake's install step would rewrite\n"
	"the RUNPATH of the linked .so otherwise), quoted so that any\n"
	"path is safe to eval.  LDSHARED and LDCXXSHARED are left as they are:\n"
	"unset, setuptools derives them from $CC and $CXX with the interpreter's\n"
	"own link flags (rpath, -Bsymbolic-functions), as it would without pyweld;\n"
	"set, a bare program name in them reaches the shims through PATH (a path\n"
	"to a compiler is warned about: those links would not be recorded).  The\n"
	"build itself runs exactly as without pyweld, exit statuses and dependency\n"
	"files included; compiles, shared links and archives are recorded\n"
	"afterwards.\n"
	"\n"
	"options:\n"
	"  --db FILE        the link database (default: $PYWELD_DB)\n"
	"  --shim-dir DIR   where the shims go (default: FILE.shims)\n"
	"  --note TEXT      a note stored with the build record\n"
	"  --json           print the settings and the real tools as JSON instead\n"
	"                   of shell lines (paths must be UTF-8)\n"
	"  -h, --help       this help\n"
	"\n"
	"environment read by the shims at build time:\n"
	"  PYWELD_STRICT=1  a recording failure fails the command (for tests);\n"
	"                   otherwise it is a warning and the build goes on\n";

/*
 * Prints s for a "# ..." comment line: a newline (or any control byte) in a
 * path would end the comment and start a command under eval, so each is
 * written as an escape (\n, \t, \x1b).
 */
static void
print_comment_text(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			fputc(*p, stdout);
	}
}

/* Prints NAME='value' with the value quoted for any POSIX shell: inside
 * single quotes every byte is itself (newlines too) but the quote, which
 * is closed, escaped and reopened. */
static void
print_export(const char *name, const char *value)
{
	printf("export %s='", name);
	for (const char *p = value; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			fputc(*p, stdout);
	}
	fputs("'\n", stdout);
}

/*
 * LDSHARED and LDCXXSHARED are not exported: setuptools derives them from
 * $CC and $CXX and keeps the interpreter's own link flags.  A value the
 * user set stays; its programs reach the shims through PATH by name, but
 * not by a path of their own: say so, since those links are not recorded.
 */
static void
warn_link_vars(const char *shimdir)
{
	static const char *const vars[] = { "LDSHARED", "LDCXXSHARED", NULL };

	for (size_t i = 0; vars[i]; i++) {
		const char *v = getenv(vars[i]);
		char **words = NULL;
		size_t n = 0, cap = 0;

		if (!v || !*v || ccshim_split_response(v, strlen(v), &words, &n, &cap) < 0)
			continue;
		for (size_t k = 0; k < n && words[k][0] != '-'; k++) {
			char *dir = strchr(words[k], '/') ? util_dirname(words[k]) : NULL;
			char *abs = dir ? util_abspath(dir) : NULL;
			if (dir && (!abs || strcmp(abs, shimdir) != 0)) {
				util_warn("$%s runs '%s' by its path: the links it makes are not "
				          "recorded", vars[i], words[k]);
				util_hint("unset %s (setuptools then links with $%s), or name the "
				          "compiler without a directory", vars[i],
				          i == 0 ? "CC" : "CXX");
				k = n;
			}
			free(dir);
			free(abs);
		}
		for (size_t k = 0; k < n; k++)
			free(words[k]);
		free(words);
	}
}

/* The value of a "NAME=VALUE" entry of vars, and its name's length. */
static const char *
var_value(const char *var, size_t *namelen)
{
	const char *eq = strchr(var, '=');

	*namelen = (size_t)(eq - var);
	return eq + 1;
}

/* The settings as shell lines for eval. */
static void
print_shell(const struct ccshim_env *e, const struct strvec *vars)
{
	char build[32];

	snprintf(build, sizeof(build), "%lld", (long long)e->build);
	fputs("# pyweld: wrapper compilers for build ", stdout);
	print_comment_text(build);
	fputs(" of '", stdout);
	print_comment_text(e->conf.db);
	fputs("'\n", stdout);
	for (size_t i = 0; i < vars->n; i++) {
		size_t n;
		const char *value = var_value(vars->v[i], &n);
		char *name = xasprintf("%.*s", (int)n, vars->v[i]);
		print_export(name, value);
		free(name);
	}
}

/* The settings and the real tools as one JSON object. */
static void
print_json(const struct ccshim_env *e, const struct strvec *vars)
{
	json_t *j = json_object(), *real = json_object();
	bool utf8 = j && real;

	for (size_t i = 0; utf8 && i < vars->n; i++) {
		size_t n;
		const char *value = var_value(vars->v[i], &n);
		char *name = xasprintf("%.*s", (int)n, vars->v[i]);
		utf8 = json_object_set_new(j, name, json_string(value)) == 0;
		free(name);
	}
	/* Roles by their key, then the shim names that run their own
	 * program ("gcc", "g++", ...). */
	for (int k = 0; utf8 && k < CCSHIM_TOOL__COUNT + CCSHIM_NSHIM_NAMES; k++) {
		bool role = k < CCSHIM_TOOL__COUNT;
		char **v = role ? e->conf.tool[k] : e->conf.named[k - CCSHIM_TOOL__COUNT];
		json_t *a = json_array();
		for (size_t i = 0; v && v[i]; i++) {
			json_t *w = json_string(v[i]);
			utf8 = utf8 && w;
			json_array_append_new(a, w);
		}
		if (v)
			json_object_set_new(real, role ? ccshim_tool_key((enum ccshim_tool)k)
			                    : ccshim_shim_names[k - CCSHIM_TOOL__COUNT], a);
		else
			json_decref(a);
	}
	if (!utf8) {
		/* JSON holds text: a path that is not UTF-8 cannot be given
		 * byte for byte. */
		util_error("cannot print the settings as JSON: a path is not UTF-8");
		util_hint("use the shell form: eval \"$(pyweld env ...)\"");
		exit(1);
	}
	json_object_set_new(j, "real_tools", real);
	cli_json_print(j);
}

int
cli_cmd_env(int argc, char **argv)
{
	enum { OPT_DB = 256, OPT_SHIM_DIR, OPT_NOTE, OPT_JSON };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "shim-dir", required_argument, NULL, OPT_SHIM_DIR },
		{ "note", required_argument, NULL, OPT_NOTE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dbopt = NULL, *diropt = NULL, *note = NULL;
	bool json = false;
	struct ccshim_env e = { 0 };
	struct strvec vars = { 0 };
	struct stat shim_st;
	char err[1024], *shim_exe, *dir, *abs, *cwd;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB: dbopt = optarg; break;
		case OPT_SHIM_DIR: diropt = optarg; break;
		case OPT_NOTE: note = optarg; break;
		case OPT_JSON: json = true; break;
		case 'h': fputs(env_usage, stdout); return 0;
		default:
			fputs("hint: see 'pyweld env --help'\n", stderr);
			return 2;
		}
	}
	if (optind < argc)
		util_usage_error("'env' takes no argument '%s'", argv[optind]);

	shim_exe = cli_shim_exe();
	if (stat(shim_exe, &shim_st) < 0)
		util_fatal("cannot use the wrapper compiler '%s':", shim_exe);
	cwd = getcwd(NULL, 0);
	e = (struct ccshim_env){ .db_path = cli_db_path(dbopt), .shimdir = diropt,
	                         .shim_exe = shim_exe, .tool = "env", .cwd = cwd, .note = note };
	/* The shim directory ccshim_env_setup makes: --shim-dir, or FILE.shims. */
	abs = diropt ? NULL : util_abspath(e.db_path);
	dir = diropt ? util_abspath(diropt) : abs ? xasprintf("%s.shims", abs) : NULL;
	if (diropt && !dir)
		util_fatal("out of memory");
	if (dir && strpbrk(dir, " \t\n'\"\\$`")) {
		util_warn("the shim directory '%s' contains spaces or quotes; makefiles "
		          "that use $(CC) unquoted will break", dir);
		util_hint("put it elsewhere with --shim-dir");
	}
	free(abs);
	free(dir);

	if (ccshim_env_setup(&e, err, sizeof(err)) < 0) {
		util_error("%s", err);
		for (int t = 0; t < CCSHIM_TOOL__COUNT; t++) {
			char which[64];
			snprintf(which, sizeof(which), "the real %s '",
			         ccshim_tool_key((enum ccshim_tool)t));
			if (strstr(err, which))
				util_hint("install it, or set $%s to the real program",
				          ccshim_tool_envvar((enum ccshim_tool)t));
		}
		exit(1);
	}
	for (int t = 0; t < CCSHIM_TOOL__COUNT; t++)
		if (e.ignored & (1u << t))
			util_warn("$%s points at pyweld's shims already; using the usual "
			          "program on PATH as the real tool",
			          ccshim_tool_envvar((enum ccshim_tool)t));

	warn_link_vars(e.dir);
	/* LDSHARED and LDCXXSHARED are left to setuptools (warn_link_vars). */
	ccshim_env_vars(&e, CCSHIM_ENV_TOOLS | CCSHIM_ENV_SKBUILD, NULL, &vars);
	if (vars.failed)
		util_fatal("out of memory");
	if (json)
		print_json(&e, &vars);
	else
		print_shell(&e, &vars);
	strvec_free(&vars);
	free(cwd);
	free(shim_exe);
	ccshim_env_free(&e);
	return 0;
}

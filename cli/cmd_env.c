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
	"AR, RANLIB and PATH (shim directory first), and SKBUILD_INSTALL_STRIP=false\n"
	"(a stripped .so no longer matches its recorded link), quoted so that any\n"
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

/* PATH with dir first and any other copy of dir removed. */
static char *
path_with(const char *dir)
{
	const char *path = getenv("PATH");
	struct strbuf sb = { 0 };
	const char *p, *end;

	strbuf_adds(&sb, dir);
	for (p = path ? path : ""; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) == strlen(dir) && !strncmp(p, dir, (size_t)(end - p)))
			continue;
		strbuf_addc(&sb, ':');
		strbuf_add(&sb, p, (size_t)(end - p));
	}
	char *s = strbuf_detach(&sb);
	if (!s)
		util_fatal("out of memory");
	return s;
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
	struct ccshim_conf conf = { 0 };
	struct linkdb *db;
	struct stat shim_st;
	int64_t build_id;
	char err[1024], *shim_exe, *dir, *cwd, *path;
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
	if (linkdb_open(&db, cli_db_path(dbopt), LINKDB_CREATE) < 0)
		util_fatal("%s", linkdb_errmsg(db));
	cwd = getcwd(NULL, 0);
	if (linkdb_begin_build(db, "env", cwd, note, &build_id) < 0)
		util_fatal("%s", linkdb_errmsg(db));
	dir = diropt ? util_abspath(diropt) : xasprintf("%s.shims", linkdb_path(db));
	if (!dir)
		util_fatal("out of memory");
	if (strpbrk(dir, " \t\n'\"\\$`")) {
		util_warn("the shim directory '%s' contains spaces or quotes; makefiles "
		          "that use $(CC) unquoted will break", dir);
		util_hint("put it elsewhere with --shim-dir");
	}

	unsigned ignored;
	if (ccshim_setup(dir, shim_exe, linkdb_path(db), build_id, &conf, &ignored, err,
	                 sizeof(err)) < 0) {
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
		if (ignored & (1u << t))
			util_warn("$%s points at pyweld's shims already; using the usual "
			          "program on PATH as the real tool",
			          ccshim_tool_envvar((enum ccshim_tool)t));

	warn_link_vars(dir);
	char *cc = xasprintf("%s/cc", dir), *cxx = xasprintf("%s/c++", dir);
	char *ar = xasprintf("%s/ar", dir), *ranlib = xasprintf("%s/ranlib", dir);
	char *build = xasprintf("%lld", (long long)conf.build);
	path = path_with(dir);
	if (json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		                      "PYWELD_DB", conf.db, "PYWELD_BUILD", build,
		                      "PYWELD_SHIM_DIR", dir, "CC", cc, "CXX", cxx,
		                      "AR", ar, "RANLIB", ranlib, "PATH", path);
		json_t *real = json_object();
		bool utf8 = j && real;
		/* Roles by their key, then the shim names that run their own
		 * program ("gcc", "g++", ...). */
		for (int k = 0; utf8 && k < CCSHIM_TOOL__COUNT + CCSHIM_NSHIM_NAMES; k++) {
			bool role = k < CCSHIM_TOOL__COUNT;
			char **v = role ? conf.tool[k] : conf.named[k - CCSHIM_TOOL__COUNT];
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
		json_object_set_new(j, "SKBUILD_INSTALL_STRIP", json_string("false"));
		json_object_set_new(j, "real_tools", real);
		cli_json_print(j);
	} else {
		fputs("# pyweld: wrapper compilers for build ", stdout);
		print_comment_text(build);
		fputs(" of '", stdout);
		print_comment_text(conf.db);
		fputs("'\n", stdout);
		print_export("PYWELD_DB", conf.db);
		print_export("PYWELD_BUILD", build);
		print_export("PYWELD_SHIM_DIR", dir);
		print_export("CC", cc);
		print_export("CXX", cxx);
		print_export("AR", ar);
		print_export("RANLIB", ranlib);
		print_export("PATH", path);
		/* scikit-build-core strips installed files by default; a stripped
		 * file no longer has its recorded link's content hash. */
		print_export("SKBUILD_INSTALL_STRIP", "false");
	}
	free(cc); free(cxx); free(ar); free(ranlib);
	free(build); free(path); free(dir); free(cwd); free(shim_exe);
	ccshim_conf_free(&conf);
	linkdb_close(db);
	return 0;
}

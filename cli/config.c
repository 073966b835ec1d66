/*
 * config.c: the options of `pyweld build`, one table for the command line,
 * --help and pyweld.ini.
 *
 * Each row of the table is one option: its long and short names, its
 * argument, its help text, its pyweld.ini key and where its value lands
 * in struct cli_build_options.  getopt's table, the option list of
 * --help, the INI handler and the merge of a pyweld.ini into the command
 * line are all made from it, so an option is added in one place.
 *
 * pyweld.ini is an INI file (read with inih):
 *
 *   [app]
 *   output = app                    ; the executable, relative to this file
 *   script = main.py                ; or: module = mypkg.cli (none: like python)
 *   main-c = main.c                 ; the C main() pyweld init wrote (editable)
 *
 *   [packages]
 *   pip-install = markupsafe==2.1.5 ; repeatable
 *   requirements = requirements.txt ; repeatable
 *   setup-py = .                    ; a local project; repeatable
 *
 *   [build]
 *   env = REQUIRE_SPEEDUPS=1        ; repeatable; grpcio:NAME=VALUE for one
 *   with-module = _tkinter          ; repeatable (and without-module)
 *   static = false
 *   stdlib-tests = false
 *   debug = false
 *   debug-file = app.debug          ; the symbols beside the stripped app
 *   fast-exit = false               ; true: end without finalising (docs/weld.md)
 *   multiprocessing-children = true ; false: never act as python (docs/weld.md)
 *   pie = false                     ; true: a position-independent executable
 *   exclude-module = ^email(\.|$)  ; pcre2, repeatable
 *   exclude-resource = \.png$      ; pcre2, repeatable
 *   prune = true                   ; false: --no-prune
 *   keep-module = ^plugins\.       ; pcre2, repeatable: kept when pruning
 *   source = true                  ; false: drop .py sources
 *   deep-freeze = true             ; false: unmarshal the standard library
 *   deep-freeze-all = false        ; true: deep-freeze every module, not the start's
 *   compress-code = true           ; false: no module's bytecode compressed
 *   file-view = true               ; false: no packed tree readable by path
 *   build-cache = true             ; false: build every sdist again
 *
 * Code to run lives in a file (script = ...), not in the INI: indentation
 * and ';' do not survive INI syntax.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What an option's value is, and where it lands (an offset in struct
 * cli_build_options). */
enum kind {
	GROUP,          /* not an option: a heading of --help's list */
	STRING,         /* char *: the last one given wins */
	LIST,           /* struct strvec: every one given, in order */
	FLAG,           /* bool: set when given (pyweld.ini: true or false) */
	OPTIONAL,       /* char *: --name (as "") or --name=VALUE */
};

enum {
	PATH = 1 << 0,          /* pyweld.ini: relative to the file's directory */
	ENTRY = 1 << 1,         /* an entry point: at most one of them */
	NAME_VALUE = 1 << 2,    /* NAME=VALUE */
	INVERTED = 1 << 3,      /* pyweld.ini's key says the opposite: source = false */
	LOCAL = 1 << 4,         /* a pip requirement, which may name a local file or
	                           directory by a relative path: made absolute (pip
	                           runs in the work directory) */
};

struct opt {
	enum kind kind;
	const char *name;       /* --name (GROUP: the heading) */
	char short_name;        /* -x, shown in --help instead of --name; or 0 */
	const char *arg;        /* the argument's name in --help, or NULL */
	const char *help;       /* lines of --help, '\n' between them */
	const char *section, *key;      /* in pyweld.ini, or NULL */
	unsigned flags;
	size_t offset;
};

#define AT(field) offsetof(struct cli_build_options, field)

/* In the order of --help. */
static const struct opt opts[] = {
	{ GROUP, "what goes in:", 0, NULL, NULL, NULL, NULL, 0, 0 },
	{ LIST, "pip-install", 0, "SPEC", "a pip requirement (repeatable): 'markupsafe==2.1.5',\n"
	  "or a local sdist or project: ./vendor/pkg-1.0.tar.gz",
	  "packages", "pip-install", LOCAL, AT(pip_specs) },
	{ LIST, "requirements", 'r', "FILE", "a requirements file (repeatable)",
	  "packages", "requirements", PATH, AT(requirements) },
	{ LIST, "setup-py", 0, "DIR", "a local project directory (repeatable)",
	  "packages", "setup-py", PATH, AT(setup_dirs) },
	{ LIST, "env", 0, "[PKG:]NAME=VALUE",
	  "set for the package builds (e.g. REQUIRE_SPEEDUPS=1);\n"
	  "PKG:NAME=VALUE for PKG's build alone (its sdist\n"
	  "named by path)",
	  "build", "env", NAME_VALUE, AT(env) },
	{ LIST, "with-module", 0, "NAME",
	  "weld in a standard-library module left out by default\n"
	  "(_tkinter, nis, _dbm, _gdbm, _crypt, the test modules)",
	  "build", "with-module", 0, AT(with) },
	{ LIST, "without-module", 0, "NAME", "leave a standard-library extension module out",
	  "build", "without-module", 0, AT(without) },
	{ FLAG, "stdlib-tests", 0, NULL,
	  "include test suites (the standard library's test package\n"
	  "and test modules, packages' tests/) to run them inside",
	  "build", "stdlib-tests", 0, AT(stdlib_tests) },
	{ LIST, "exclude-module", 0, "RE",
	  "leave out modules whose dotted name matches RE (pcre2;\n"
	  "repeatable): --exclude-module '^email(\\.|$)'",
	  "build", "exclude-module", 0, AT(exclude_modules) },
	{ LIST, "exclude-resource", 0, "RE", "leave out package resources whose path matches RE",
	  "build", "exclude-resource", 0, AT(exclude_resources) },
	{ FLAG, "prune", 0, NULL,
	  "leave out the modules and standard-library extension\n"
	  "modules the entry point cannot reach (the default with\n"
	  "--python-code, -m or --script; docs/weld.md, \"Pruning\")",
	  NULL, NULL, 0, AT(prune) },
	{ FLAG, "no-prune", 0, NULL,
	  "keep the whole standard library importable (the default\n"
	  "of a binary that behaves like python)",
	  "build", "prune", INVERTED, AT(no_prune) },
	{ LIST, "keep-module", 0, "RE",
	  "when pruning, keep the modules whose dotted name matches\n"
	  "RE (pcre2; repeatable) and what they import: what only\n"
	  "a name made at run time imports: --keep-module '^plugins\\.'",
	  "build", "keep-module", 0, AT(keep_modules) },
	{ LIST, "reach-file", 0, "PATH",
	  "when pruning, keep what the Python file PATH (or each\n"
	  "under the directory PATH; repeatable) imports: code the\n"
	  "binary runs from outside, a plugin, a script, tests",
	  "build", "reach-file", PATH, AT(reach_files) },
	{ FLAG, "no-source", 0, NULL,
	  "drop .py sources (kept, they are stored zlib-compressed\n"
	  "and inflated only when a traceback, inspect or a read by\n"
	  "path asks; dropped, tracebacks lose their lines)",
	  "build", "source", INVERTED, AT(no_source) },
	{ FLAG, "no-deep-freeze", 0, NULL,
	  "link no code the distribution deep-froze: every module is\n"
	  "unmarshalled at import (smaller; each import costs about\n"
	  "28% more instructions).  By default the modules the entry\n"
	  "point imports as it starts are deep-frozen, and with no\n"
	  "entry point none beyond CPython's own (docs/weld.md)",
	  "build", "deep-freeze", INVERTED, AT(no_deep_freeze) },
	{ FLAG, "deep-freeze-all", 0, NULL,
	  "link the deep-frozen code of every packed standard-library\n"
	  "module, imported as the binary starts or not: the fastest\n"
	  "imports, for a binary that behaves like python about 18 MiB\n"
	  "larger",
	  "build", "deep-freeze-all", 0, AT(deep_freeze_all) },
	{ FLAG, "no-compress-code", 0, NULL,
	  "store all bytecode as it is (by default the code of the\n"
	  "modules not imported as the binary starts is stored\n"
	  "zlib-compressed: smaller; each import of one inflates it\n"
	  "first, start-up is unaffected; docs/weld.md)",
	  "build", "compress-code", INVERTED, AT(no_compress_code) },
	{ FLAG, "no-file-view", 0, NULL,
	  "leave out the view that makes the packed tree readable\n"
	  "by path (APP/pkg/data.txt for open, stat, opendir ...\n"
	  "from Python and C: docs/weld.md, \"Data beside __file__\")",
	  "build", "file-view", INVERTED, AT(no_file_view) },
	{ STRING, "main-c", 0, "FILE",
	  "the application's main() (pyweld init writes main.c;\n"
	  "edit it to run C before, around or instead of Python)",
	  "app", "main-c", PATH, AT(main_c) },
	{ FLAG, "library", 0, NULL,
	  "write APP as a static archive (libapp.a) with pyweld.h\n"
	  "beside it, for an existing C program to link; see\n"
	  "`pyweld link-flags APP` and docs/library.md",
	  NULL, NULL, 0, AT(library) },

	{ GROUP, "what it runs (at most one; without any, APP behaves like `python`):", 0, NULL,
	  NULL, NULL, NULL, 0, 0 },
	{ STRING, "python-code", 0, "CODE", "Python code run as __main__",
	  NULL, NULL, ENTRY, AT(code) },
	{ STRING, "module", 'm', "MODULE", "a module run as __main__, like python -m",
	  "app", "module", ENTRY, AT(module) },
	{ STRING, "script", 0, "FILE", "a script run as __main__",
	  "app", "script", ENTRY | PATH, AT(script) },
	{ FLAG, "fast-exit", 0, NULL,
	  "when it returns, join threads, run atexit functions,\n"
	  "flush stdout and stderr, and end without finalising the\n"
	  "interpreter (faster; __del__ methods do not run at exit\n"
	  "and files never closed lose their buffers; docs/weld.md)",
	  "build", "fast-exit", 0, AT(fast_exit) },
	{ FLAG, "no-multiprocessing-children", 0, NULL,
	  "APP never acts as python, not even for the\n"
	  "command lines of multiprocessing's spawn and forkserver\n"
	  "children, which then cannot start (the fork start\n"
	  "method still works; docs/weld.md)",
	  "build", "multiprocessing-children", INVERTED, AT(no_mp_children) },

	{ GROUP, "how:", 0, NULL, NULL, NULL, NULL, 0, 0 },
	{ STRING, "output", 'o', "APP",
	  "the executable to write (replaced atomically), with\n"
	  "its SBOM beside it, APP.cdx.json (CycloneDX); `pyweld\n"
	  "inspect APP` says what is inside (docs/inspect.md)",
	  "app", "output", PATH, AT(output) },
	{ STRING, "sbom-format", 0, "FORMAT",
	  "the SBOM beside APP: cyclonedx (the default,\n"
	  "APP.cdx.json, CycloneDX 1.5) or spdx (APP.spdx.json,\n"
	  "SPDX 2.3); docs/inspect.md",
	  "build", "sbom-format", 0, AT(sbom_format) },
	{ LIST, "deny-licence", 0, "RE",
	  "fail the weld, before APP is written, when a\n"
	  "distribution's or a static library's licence matches RE\n"
	  "(pcre2, repeatable): --deny-licence 'GPL'; the error names\n"
	  "what brings it in (docs/inspect.md)",
	  "build", "deny-licence", 0, AT(deny_licences) },
	{ STRING, "config", 0, "FILE",
	  "read a project file written by `pyweld init`; without\n"
	  "-o and anything to put in, ./pyweld.ini is read",
	  NULL, NULL, 0, AT(config_file) },
	{ STRING, "dist", 0, "DIR",
	  "the CPython distribution (default: the last one\n"
	  "`pyweld python build` made; built now if none)",
	  NULL, NULL, 0, AT(dist_dir) },
	{ STRING, "python", 0, "X.Y",
	  "the CPython version: 3.11 (the default), 3.13 or 3.14\n"
	  "(its distribution is built now if there is none yet)",
	  "build", "python", 0, AT(python_version) },
	{ STRING, "cache", 0, "DIR", "pyweld's cache (default: $PYWELD_CACHE, ~/.cache/pyweld)",
	  NULL, NULL, 0, AT(cache_dir) },
	{ FLAG, "debug", 0, NULL,
	  "keep the symbols and debugging information in APP\n"
	  "(a hello: 83 MiB instead of 49; the default strips them)",
	  "build", "debug", 0, AT(debug) },
	{ STRING, "debug-file", 0, "FILE",
	  "strip APP and write its symbols and debugging\n"
	  "information to FILE, which APP's .gnu_debuglink names:\n"
	  "gdb finds it beside APP (docs/weld.md, \"Stripping\")",
	  "build", "debug-file", PATH, AT(debug_file) },
	{ OPTIONAL, "size-report", 0, "[=json]",
	  "after the build, where APP's bytes are: per section,\n"
	  "library, extension module and packed module (json:\n"
	  "that as JSON on stdout, the summary on stderr)",
	  NULL, NULL, 0, AT(size_report) },
	{ FLAG, "static", 0, NULL,
	  "link the C library statically too (glibc: no NSS\n"
	  "user/group lookups, no dlopen; see docs/weld.md)",
	  "build", "static", 0, AT(static_link) },
	{ FLAG, "pie", 0, NULL,
	  "a position-independent executable, loaded at a random\n"
	  "address (ASLR for its own code).  The default is a\n"
	  "fixed-address executable, as Debian builds python3.11:\n"
	  "a PIE relocates every pointer in its data (~70,000) at\n"
	  "each start",
	  "build", "pie", 0, AT(pie) },
	{ STRING, "work-dir", 0, "DIR",
	  "where to build (default: a new temporary directory):\n"
	  "a new or empty directory, or one an earlier build used;\n"
	  "its installed packages are reused when nothing they\n"
	  "depend on changed (a rebuild after editing the script\n"
	  "takes about a second), otherwise it is emptied",
	  "build", "work-dir", PATH, AT(work_dir) },
	{ FLAG, "no-build-cache", 0, NULL,
	  "build every sdist again: without it, a local sdist\n"
	  "(an absolute path) built before with the same settings\n"
	  "is installed from the wheel kept then, its records\n"
	  "entered again (docs/buildcache.md)",
	  "build", "build-cache", INVERTED, AT(no_build_cache) },
	{ FLAG, "keep-work", 0, NULL, "keep the work directory (the link database, objects)",
	  NULL, NULL, 0, AT(keep_work) },
	{ FLAG, "verbose", 'v', NULL, "show the commands run and their output",
	  NULL, NULL, 0, AT(verbose) },
};

static const char build_synopsis[] =
	"usage: pyweld build -o APP [--pip-install SPEC]... [-r FILE]... [--setup-py DIR]...\n"
	"                    [--python-code CODE | -m MODULE | --script FILE]\n"
	"                    [--dist DIR] [--cache DIR] [--static] [--stdlib-tests]\n"
	"                    [--with-module NAME]... [--without-module NAME]...\n"
	"                    [--env [PKG:]NAME=VALUE]... [--work-dir DIR] [--keep-work]\n"
	"                    [--debug] [--fast-exit] [--no-multiprocessing-children] [--pie]\n"
	"                    [--no-deep-freeze | --deep-freeze-all] [--no-compress-code]\n"
	"                    [--no-file-view] [--debug-file FILE]\n"
	"                    [--prune | --no-prune] [--keep-module RE]... [--reach-file PATH]...\n"
	"                    [--size-report[=json]] [--no-build-cache] [-v]\n"
	"\n"
	"Builds ONE executable holding CPython, its standard library, the given\n"
	"packages and every C extension they have, linked in statically.  The\n"
	"packages are built from source through pyweld's wrapper compilers; build\n"
	"tools (setuptools, Cython, meson, ...) come as wheels and stay out of the\n"
	"binary unless the application itself depends on them.\n";

/* The column where --help's descriptions start. */
#define HELP_COLUMN 22

/* A STRING row's field, so that CFIELD(o, row, string) is char *const *. */
typedef char *string;

/* Where a row's value lands in o (CFIELD: in a const o). */
#define FIELD(o, row, type) ((type *)(void *)((char *)(o) + (row)->offset))
#define CFIELD(o, row, type) ((const type *)(const void *)((const char *)(o) + (row)->offset))

void
cli_build_usage(FILE *f)
{
	fputs(build_synopsis, f);
	for (size_t i = 0; i < countof(opts); i++) {
		const struct opt *r = &opts[i];
		char head[64];
		int n;

		if (r->kind == GROUP) {
			fprintf(f, "\n%s\n", r->name);
			continue;
		}
		if (r->short_name)
			n = snprintf(head, sizeof(head), "  -%c%s%s", r->short_name,
			             r->arg ? " " : "", r->arg ? r->arg : "");
		else
			n = snprintf(head, sizeof(head), "  --%s%s%s", r->name,
			             r->arg && r->kind != OPTIONAL ? " " : "", r->arg ? r->arg : "");
		/* the description in its column, or two spaces after a long head */
		fprintf(f, "%s%*s", head, n < HELP_COLUMN ? HELP_COLUMN - n : 2, "");
		for (const char *l = r->help, *nl; *l; l = nl + 1) {
			nl = strchr(l, '\n');
			if (!nl) {
				fprintf(f, "%s\n", l);
				break;
			}
			fprintf(f, "%.*s\n%*s", (int)(nl - l), l, HELP_COLUMN, "");
		}
	}
}

/* Whether v is NAME=VALUE (a name before the first '='), or PKG:NAME=VALUE
 * with a project's name before a ':' ahead of the '='. */
static bool
name_value(const char *v)
{
	const char *eq = strchr(v, '='), *colon = strchr(v, ':');

	if (!eq || eq == v)
		return false;
	if (!colon || colon > eq)
		return true;
	if (colon == v || colon + 1 == eq)
		return false;
	for (const char *c = v; c < colon; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr("._-", *c)))
			return false;
	return true;
}

char *
cli_local_spec(const char *dir, const char *v)
{
	char *j, *abs;

	if (v[0] == '/' || !strchr(v, '/') || strstr(v, "://"))
		return xstrdup(v);
	j = util_path_join(dir, v);
	if (!j)
		util_fatal("out of memory");
	if (!util_is_file(j) && !util_is_dir(j)) {
		free(j);
		return xstrdup(v);
	}
	abs = util_abspath(j);
	free(j);
	if (!abs)
		util_fatal("out of memory");
	return abs;
}

/* Puts the value of an option (a string or a list entry; consumes v). */
static void
set_value(struct cli_build_options *o, const struct opt *r, char *v)
{
	if (r->kind == LIST) {
		strvec_push_owned(FIELD(o, r, struct strvec), v);
	} else {
		char **s = FIELD(o, r, char *);
		free(*s);
		*s = v;
	}
}

int
cli_build_args(struct cli_build_options *o, int argc, char **argv)
{
	struct option longopts[countof(opts) + 1];
	char shorts[2 * countof(opts) + 2] = "h";
	size_t nlong = 0, nshort = 1;
	int c, entries = 0;

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < countof(opts); i++) {
		const struct opt *r = &opts[i];
		if (r->kind == GROUP)
			continue;
		/* an option without a short name answers as 256 + its row */
		longopts[nlong++] = (struct option){ r->name, r->kind == OPTIONAL ? optional_argument
		                                     : r->arg ? required_argument : no_argument, NULL,
		                                     r->short_name ? r->short_name : 256 + (int)i };
		if (r->short_name) {
			shorts[nshort++] = r->short_name;
			if (r->arg)
				shorts[nshort++] = ':';
		}
	}
	shorts[nshort] = '\0';
	longopts[nlong++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[nlong] = (struct option){ NULL, 0, NULL, 0 };

	optind = 1;
	while ((c = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
		const struct opt *r = NULL;
		if (c == 'h') {
			cli_build_usage(stdout);
			exit(0);
		}
		for (size_t i = 0; i < countof(opts) && !r; i++)
			if (opts[i].kind != GROUP &&
			    (opts[i].short_name ? opts[i].short_name == c : 256 + (int)i == c))
				r = &opts[i];
		if (!r) {
			fputs("hint: see 'pyweld build --help'\n", stderr);
			exit(2);
		}
		if ((r->flags & NAME_VALUE) && !name_value(optarg))
			util_usage_error("--%s wants [PKG:]NAME=VALUE, not '%s'", r->name, optarg);
		if (r->kind == FLAG)
			*FIELD(o, r, bool) = true;
		else if (r->flags & LOCAL)
			set_value(o, r, cli_local_spec(".", optarg));
		else
			set_value(o, r, xstrdup(optarg ? optarg : ""));
		entries += (r->flags & ENTRY) != 0;
	}
	if (optind < argc)
		util_usage_error("'build' takes no argument '%s' (packages go after --pip-install)",
		                 argv[optind]);
	return entries;
}

struct ctx {
	struct cli_build_options *o;
	char *dir;              /* the file's directory (absolute) */
	char *err;
	size_t errlen;
	const char *path;
	bool failed;
};

/* An absolute path for a value relative to the file's directory. */
static char *
in_dir(const struct ctx *x, const char *v)
{
	char *j = util_path_join(x->dir, v), *abs = j ? util_abspath(j) : NULL;

	free(j);
	if (!abs)
		util_fatal("out of memory");
	return abs;
}

static bool
parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off"))
		*out = false;
	else
		return false;
	return true;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct ctx *x = user;
	const struct opt *r = NULL;
	bool ok = true;

	for (size_t i = 0; i < countof(opts) && !r; i++)
		if (opts[i].key && !strcmp(opts[i].section, section) && !strcmp(opts[i].key, name))
			r = &opts[i];
	if (!r) {
		ok = false;
	} else if ((r->flags & NAME_VALUE) && !name_value(value)) {
		snprintf(x->err, x->errlen, "'%s': %s wants [PKG:]NAME=VALUE, not '%s'", x->path, name,
		         value);
		x->failed = true;
		return 0;
	} else if (r->kind == FLAG) {
		bool v;
		if ((ok = parse_bool(value, &v)))
			*FIELD(x->o, r, bool) = r->flags & INVERTED ? !v : v;
	} else {
		set_value(x->o, r, r->flags & PATH ? in_dir(x, value) :
		          r->flags & LOCAL ? cli_local_spec(x->dir, value) : xstrdup(value));
	}
	if (!ok && !x->failed) {
		snprintf(x->err, x->errlen, "'%s': [%s] %s = %s is not a setting pyweld knows "
		         "(see docs/weld.md)", x->path, section, name, value);
		x->failed = true;
	}
	return ok;
}

int
cli_project_read(const char *path, struct cli_build_options *o, char *err, size_t errlen)
{
	struct ctx x = { o, NULL, err, errlen, path, false };
	char *abs = util_abspath(path);
	int rc;

	memset(o, 0, sizeof(*o));
	x.dir = abs ? util_dirname(abs) : NULL;
	free(abs);
	if (!x.dir) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = ini_parse(path, handler, &x);
	free(x.dir);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	if (x.failed)
		return -1;
	if (rc > 0) {
		snprintf(err, errlen, "'%s' line %d: not 'name = value' or '[section]'", path, rc);
		return -1;
	}
	if (o->module && o->script) {
		snprintf(err, errlen, "'%s': give at most one of module and script", path);
		return -1;
	}
	return 0;
}

void
cli_project_merge(struct cli_build_options *o, const struct cli_build_options *ini,
                  bool entry_given)
{
	for (size_t i = 0; i < countof(opts); i++) {
		const struct opt *r = &opts[i];
		if (!r->key)
			continue;
		if (r->kind == LIST) {
			const struct strvec *from = CFIELD(ini, r, struct strvec);
			for (size_t k = 0; k < from->n; k++)
				strvec_push(FIELD(o, r, struct strvec), from->v[k]);
		} else if (r->kind == FLAG) {
			*FIELD(o, r, bool) |= *CFIELD(ini, r, bool);
		} else if (r->flags & ENTRY ? !entry_given : !*FIELD(o, r, char *)) {
			const string *from = CFIELD(ini, r, string);
			set_value(o, r, *from ? xstrdup(*from) : NULL);
		}
	}
}

/* A "key = value" line for each of values. */
static void
add_values(struct strbuf *sb, const char *key, const struct strvec *values)
{
	for (size_t i = 0; i < values->n; i++)
		strbuf_addf(sb, "%s = %s\n", key, values->v[i]);
}

int
cli_project_write(const char *path, const struct cli_build_options *c)
{
	struct strbuf sb = { 0 };
	int rc;

	strbuf_adds(&sb,
	            "# pyweld.ini: what `pyweld build` welds into one executable.\n"
	            "# Written by `pyweld init`; edit freely.  Paths are relative to this\n"
	            "# file.  Run `pyweld build` in this directory to build.\n\n"
	            "[app]\n"
	            "# the executable to write\n");
	strbuf_addf(&sb, "output = %s\n", c->output ? c->output : "app");
	strbuf_adds(&sb, "# what it runs: `script = FILE` or `module = NAME`; with neither,\n"
	                 "# the executable behaves like `python` (REPL, -c, -m, a script)\n");
	if (c->script)
		strbuf_addf(&sb, "script = %s\n", c->script);
	if (c->module)
		strbuf_addf(&sb, "module = %s\n", c->module);
	strbuf_adds(&sb, "# the program's C main(): edit it to run C before, around or instead\n"
	                 "# of Python (see pyweld.h)\n");
	if (c->main_c)
		strbuf_addf(&sb, "main-c = %s\n", c->main_c);
	strbuf_adds(&sb, "\n[packages]\n"
	                 "# built from source with pyweld's wrapper compilers; repeatable:\n"
	                 "# pip-install = NAME==VERSION, requirements = FILE, setup-py = DIR\n");
	add_values(&sb, "pip-install", &c->pip_specs);
	add_values(&sb, "requirements", &c->requirements);
	add_values(&sb, "setup-py", &c->setup_dirs);
	strbuf_adds(&sb, "\n[build]\n"
	                 "# env = NAME=VALUE for the package builds (e.g. REQUIRE_SPEEDUPS=1)\n"
	                 "# with-module / without-module = a standard-library extension module\n");
	add_values(&sb, "env", &c->env);
	add_values(&sb, "with-module", &c->with);
	add_values(&sb, "without-module", &c->without);
	strbuf_adds(&sb, "# exclude-module / exclude-resource = a pcre2 pattern over dotted module\n"
	                 "# names / resource paths to leave out of the binary\n");
	add_values(&sb, "exclude-module", &c->exclude_modules);
	add_values(&sb, "exclude-resource", &c->exclude_resources);
	strbuf_adds(&sb, "# with an entry point, what it cannot import is left out (false: keep the\n"
	                 "# whole standard library); keep-module = a pcre2 pattern over dotted\n"
	                 "# names it must keep all the same, repeatable (see docs/weld.md)\n");
	strbuf_adds(&sb, c->no_prune ? "prune = false\n" : c->prune ? "prune = true\n" :
	                 "# prune = true\n");
	if (c->keep_modules.n)
		add_values(&sb, "keep-module", &c->keep_modules);
	else
		strbuf_adds(&sb, "# keep-module = ^plugins\\.\n");
	strbuf_adds(&sb, "# false: build every sdist again instead of reusing an earlier build\n"
	                 "# with the same settings (see docs/buildcache.md)\n");
	strbuf_adds(&sb, c->no_build_cache ? "build-cache = false\n" : "# build-cache = true\n");
	strbuf_addf(&sb, "static = %s\nstdlib-tests = %s\ndebug = %s\nsource = %s\n",
	            c->static_link ? "true" : "false", c->stdlib_tests ? "true" : "false",
	            c->debug ? "true" : "false", c->no_source ? "false" : "true");
	strbuf_adds(&sb, "# debug-file = FILE: APP stripped, its symbols in FILE (see docs/weld.md)\n");
	if (c->debug_file)
		strbuf_addf(&sb, "debug-file = %s\n", c->debug_file);
	strbuf_adds(&sb, "# the CPython welded in, X.Y (`pyweld python list`; 3.11 by default)\n");
	if (c->python_version)
		strbuf_addf(&sb, "python = %s\n", c->python_version);
	else
		strbuf_adds(&sb, "# python = 3.11\n");
	strbuf_adds(&sb, "# the SBOM beside APP: cyclonedx (APP.cdx.json) or spdx (APP.spdx.json)\n");
	strbuf_addf(&sb, "%ssbom-format = %s\n", c->sbom_format ? "" : "# ",
	            c->sbom_format ? c->sbom_format : "cyclonedx");
	strbuf_adds(&sb, "# deny-licence = a pcre2 pattern: the weld fails when a licence of what it\n"
	                 "# would link matches (repeatable; see docs/inspect.md), e.g. GPL\n");
	add_values(&sb, "deny-licence", &c->deny_licences);
	strbuf_adds(&sb, "# true: the entry point ends without finalising the interpreter (faster;\n"
	                 "# __del__ methods do not run at exit, unclosed files are not flushed:\n"
	                 "# see docs/weld.md)\n");
	strbuf_addf(&sb, "fast-exit = %s\n", c->fast_exit ? "true" : "false");
	strbuf_adds(&sb, "# false: never act as python, not even for multiprocessing's spawn and\n"
	                 "# forkserver children (which then cannot start; see docs/weld.md)\n");
	strbuf_addf(&sb, "multiprocessing-children = %s\n", c->no_mp_children ? "false" : "true");
	strbuf_adds(&sb, "# true: a position-independent executable (loaded at a random address;\n"
	                 "# starts slower: every pointer in its data relocated at each start)\n");
	strbuf_addf(&sb, "pie = %s\n", c->pie ? "true" : "false");
	strbuf_adds(&sb, "# false: unmarshal the standard library at each import instead of linking\n"
	                 "# the code the distribution deep-froze (smaller binary, slower imports)\n");
	strbuf_addf(&sb, "deep-freeze = %s\n", c->no_deep_freeze ? "false" : "true");
	strbuf_adds(&sb, "# true: link the deep-frozen code of every module, not only of those\n"
	                 "# imported as the binary starts (fastest imports, larger binary)\n");
	strbuf_addf(&sb, "deep-freeze-all = %s\n", c->deep_freeze_all ? "true" : "false");
	strbuf_adds(&sb, "# false: store all bytecode as it is (else the code of the modules not\n"
	                 "# imported as the binary starts is zlib-compressed, inflated at import)\n");
	strbuf_addf(&sb, "compress-code = %s\n", c->no_compress_code ? "false" : "true");
	strbuf_adds(&sb, "# false: leave out the view that reads the packed tree by path\n"
	                 "# (<APP>/pkg/data.txt beside __file__; see docs/weld.md)\n");
	strbuf_addf(&sb, "file-view = %s\n", c->no_file_view ? "false" : "true");
	strbuf_adds(&sb, "# where builds happen, kept between them: a rebuild after editing the\n"
	                 "# script reuses the packages installed there (see docs/weld.md)\n");
	if (c->work_dir)
		strbuf_addf(&sb, "work-dir = %s\n", c->work_dir);
	if (sb.failed) {
		strbuf_free(&sb);
		errno = ENOMEM;
		return -1;
	}
	rc = util_write_atomic(path, sb.s, sb.len, 0644, false);
	strbuf_free(&sb);
	return rc;
}

void
cli_build_options_free(struct cli_build_options *o)
{
	for (size_t i = 0; i < countof(opts); i++) {
		const struct opt *r = &opts[i];
		if (r->kind == LIST)
			strvec_free(FIELD(o, r, struct strvec));
		else if (r->kind == STRING || r->kind == OPTIONAL)
			free(*FIELD(o, r, char *));
	}
	memset(o, 0, sizeof(*o));
}

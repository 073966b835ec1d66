/* cmd_python.c: `pyweld python`, the CPython distribution pyweld embeds. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pydist.h"

static const char python_usage[] =
	"usage: pyweld python build [--python X.Y] [--source PATH] [--cache DIR]\n"
	"                           [--jobs N] [--gnu-readline] [--no-pgo] [--no-lto]\n"
	"                           [--keep-build] [--force] [-v]\n"
	"       pyweld python info [--python X.Y | --dist DIR] [--cache DIR] [--json]\n"
	"       pyweld python path [--python X.Y | --dist DIR] [--cache DIR]\n"
	"       pyweld python list [--cache DIR] [--json]\n"
	"\n"
	"build: builds CPython (3.11 unless --python says otherwise) through\n"
	"pyweld's wrapper compilers, so that its interpreter archive and every\n"
	"standard-library extension module are recorded for welding, and installs\n"
	"it (with pip) into a cache directory keyed by the source's content and\n"
	"the options; each version is a distribution of its own.  A second call\n"
	"with the same inputs finds the cache and returns in seconds.  Without\n"
	"--source it downloads Debian's python3.X source package (apt-get source,\n"
	"through pyweld's own deb-src lists in the cache: the system's apt\n"
	"configuration is not used or changed) and builds it with Debian's patches\n"
	"applied: 3.11 from bookworm, 3.13 from trixie or sid, 3.14 from sid.\n"
	"\n"
	"  --python X.Y    the CPython version: 3.11 (the default), 3.13 or 3.14;\n"
	"                  3.12 from --source only (no Debian suite serves it)\n"
	"  --source PATH   a python3.X .dsc, a Python-3.X.Y tarball or a source tree\n"
	"                  of CPython 3.11 to 3.14 (its version is read from it)\n"
	"  --cache DIR     cache root (default: $PYWELD_CACHE, $XDG_CACHE_HOME/pyweld or\n"
	"                  ~/.cache/pyweld); refused when another user could write in\n"
	"                  it or replace it\n"
	"  --jobs N        parallel make jobs (default: the number of CPUs)\n"
	"  --gnu-readline  link readline against GNU readline (GPL-3.0: every welded\n"
	"                  binary would then be GPL-3.0); the default is libedit (BSD)\n"
	"  --no-pgo        build without profile-guided optimisation (PGO): about half\n"
	"                  the build time, and welded binaries start and import about\n"
	"                  10% slower.  By default configure gets --enable-optimizations\n"
	"                  (an instrumented build runs CPython's --pgo test task, then\n"
	"                  the build is redone with the profile)\n"
	"  --no-lto        build without link-time optimisation (LTO).  By default\n"
	"                  configure gets --with-lto and, after make install, the\n"
	"                  members of libpython3.X.a are optimised together once into\n"
	"                  one object (inlining across files), so that every weld is\n"
	"                  still an ordinary link of seconds\n"
	"\n"
	"The build also deep-freezes the standard library where pyweld knows the\n"
	"version's deep-freeze (lib/pyweld-frozen, about a minute): welded binaries\n"
	"link the code objects of the modules they pack as C data instead of\n"
	"unmarshalling them at every import.\n"
	"  --keep-build    keep the source and build trees in the cache\n"
	"  --force         build again even when the cache has this distribution\n"
	"  -v              show the build's output as it runs\n"
	"\n"
	"info: the distribution: version, ABI, extension suffix, and each\n"
	"standard-library extension module with its objects, init symbol and\n"
	"libraries (static archive or not, licence).\n"
	"path: prints the distribution's directory (for scripts).\n"
	"list: every distribution in the cache: version, key, source, options.\n"
	"\n"
	"  --python X.Y    the last distribution built of that version (default:\n"
	"                  3.11's)\n"
	"  --dist DIR      a distribution directory\n"
	"  --json          machine-readable output\n";

struct progress {
	bool tty, verbose;
	double start, phase_start, last;
	int phase;
};

static void
on_phase(void *ctx, enum pydist_phase p, const char *detail)
{
	struct progress *pr = ctx;
	double now = util_now();

	if (pr->tty && !pr->verbose)
		fputc('\n', stderr);
	if (pr->phase >= 0 && !pr->tty)
		fprintf(stderr, "pyweld:   (%.0f s)\n", now - pr->phase_start);
	pr->phase = (int)p;
	pr->phase_start = now;
	fprintf(stderr, "pyweld: [%d/%d] %s%s%s", (int)p + 1, (int)PYDIST__PHASES,
	        pydist_phase_name(p), detail ? ": " : "", detail ? detail : "");
	if (!pr->tty || pr->verbose)
		fputc('\n', stderr);
}

static void
on_count(void *ctx, enum pydist_phase p, int compiles, int links)
{
	struct progress *pr = ctx;
	double now = util_now();

	if (pr->verbose)
		return;
	if (pr->tty) {
		if (now - pr->last < 0.2)
			return;
		fprintf(stderr, "\rpyweld: [%d/%d] %s: %d compiles, %d modules linked (%.0f s)",
		        (int)p + 1, (int)PYDIST__PHASES, pydist_phase_name(p), compiles, links,
		        now - pr->phase_start);
	} else {
		if (now - pr->last < 15)
			return;
		fprintf(stderr, "pyweld:   %d compiles, %d modules linked (%.0f s)\n",
		        compiles, links, now - pr->phase_start);
	}
	pr->last = now;
}

static void
on_line(void *ctx, const char *text)
{
	struct progress *pr = ctx;

	if (pr->verbose)
		fprintf(stderr, "%s\n", text);
}

char *
cli_cache_root(const char *dir, bool create)
{
	char err[2048], hint[1024];
	char *root = pydist_cache_root(dir, create, err, sizeof(err), hint, sizeof(hint));

	if (!root) {
		util_error("%s", err);
		if (hint[0])
			util_hint("%s", hint);
		exit(1);
	}
	return root;
}

static int
do_build(int argc, char **argv)
{
	enum { OPT_SOURCE = 256, OPT_CACHE, OPT_JOBS, OPT_GNU, OPT_NO_PGO, OPT_NO_LTO, OPT_KEEP,
	       OPT_FORCE, OPT_PYTHON };
	static const struct option longopts[] = {
		{ "python", required_argument, NULL, OPT_PYTHON },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ "gnu-readline", no_argument, NULL, OPT_GNU },
		{ "no-pgo", no_argument, NULL, OPT_NO_PGO },
		{ "no-lto", no_argument, NULL, OPT_NO_LTO },
		{ "keep-build", no_argument, NULL, OPT_KEEP },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pydist_options o = { 0 };
	struct progress pr = { .tty = isatty(2), .phase = -1 };
	struct pydist_progress p = { on_phase, on_count, on_line, &pr };
	struct pydist_result res;
	char err[2048];
	int c;
	int64_t jobs;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hvj:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PYTHON: o.version = cli_python_version(optarg); break;
		case OPT_SOURCE: o.source = optarg; break;
		case OPT_CACHE: o.cache = optarg; break;
		case 'j':
		case OPT_JOBS:
			if (!util_parse_i64(optarg, &jobs) || jobs < 1 || jobs > 1024)
				util_usage_error("--jobs wants a number from 1 to 1024, not '%s'", optarg);
			o.jobs = (int)jobs;
			break;
		case OPT_GNU: o.gnu_readline = true; break;
		case OPT_NO_PGO: o.no_pgo = true; break;
		case OPT_NO_LTO: o.no_lto = true; break;
		case OPT_KEEP: o.keep_build = true; break;
		case OPT_FORCE: o.force = true; break;
		case 'v': pr.verbose = true; break;
		case 'h': fputs(python_usage, stdout); return 0;
		default:
			fputs("hint: see 'pyweld python --help'\n", stderr);
			return 2;
		}
	}
	if (optind < argc)
		util_usage_error("'python build' takes no argument '%s'", argv[optind]);
	char *root = cli_cache_root(o.cache, true);
	o.cache = root;
	char *exe = cli_shim_exe();
	o.shim_exe = exe;
	pr.start = util_now();
	if (pydist_build(&o, &p, &res, err, sizeof(err)) < 0) {
		if (pr.tty)
			fputc('\n', stderr);
		util_error("%s", err);
		if (res.log)
			util_hint("the full log is '%s'", res.log);
		pydist_result_free(&res);
		free(exe);
		free(root);
		return 1;
	}
	if (pr.tty && !res.cached)
		fputc('\n', stderr);
	if (res.cached)
		fprintf(stderr, "pyweld: using the cached distribution (%.1f s)\n", res.seconds);
	else
		fprintf(stderr, "pyweld: built CPython %s in %.0f s\n", res.version, res.seconds);
	printf("%s\n", res.dir);
	pydist_result_free(&res);
	free(exe);
	free(root);
	return 0;
}

/* Loads DIR/distribution.json or exits with a message. */
static json_t *
load_dist(const char *dir)
{
	char *path = util_path_join(dir, "distribution.json");
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);

	if (!j)
		util_fatal("cannot read '%s': %s", path, jerr.text);
	free(path);
	return j;
}

/* The libraries of one module of the distribution's record, as `python
 * info` lists them: "ssl crypto edit(NO STATIC ARCHIVE)[copyleft] ...". */
static void
module_libs(json_t *m, struct strbuf *libs)
{
	size_t k;
	json_t *l;

	json_array_foreach(json_object_get(m, "libs"), k, l) {
		const char *name = json_string_value(json_object_get(l, "name"));
		bool libc = json_is_true(json_object_get(l, "libc"));
		bool archive = json_is_string(json_object_get(l, "archive"));
		strbuf_addf(libs, "%s%s%s%s", libs->len ? " " : "", name,
		            libc ? "(libc)" : archive ? "" : "(NO STATIC ARCHIVE)",
		            json_is_true(json_object_get(l, "copyleft")) ? "[copyleft]" : "");
	}
}

/* `pyweld python info` as text: the distribution d (distribution.json, with
 * "dir"), then a table of its extension modules and what stays dynamic. */
static void
print_info(json_t *d, const char *dir)
{
	json_t *src = json_object_get(d, "source"), *m;
	struct cli_table t;
	const char *headers[] = { "module", "init", "objects", "libraries" };
	size_t i;

	printf("distribution:   %s\n", dir);
	printf("python:         %s (%s)\n", json_string_value(json_object_get(d, "python_version")),
	       json_string_value(json_object_get(d, "soabi")));
	printf("ext suffix:     %s\n", json_string_value(json_object_get(d, "ext_suffix")));
	printf("source:         %s %s%s%s\n", json_string_value(json_object_get(src, "kind")),
	       json_string_value(json_object_get(src, "path")),
	       json_object_get(src, "debian_version") ? ", Debian " : "",
	       json_object_get(src, "debian_version") ?
	       json_string_value(json_object_get(src, "debian_version")) : "");
	printf("readline:       %s\n", json_string_value(json_object_get(d, "readline")));
	printf("pip:            %s\n", json_string_value(json_object_get(d, "pip")));
	printf("built-in:       %zu modules in %s\n",
	       json_array_size(json_object_get(d, "builtins")),
	       json_string_value(json_object_get(json_object_get(d, "libpython"), "path")));

	cli_table_init(&t, 4, headers);
	json_array_foreach(json_object_get(d, "modules"), i, m) {
		struct strbuf libs = { 0 };
		char objs[32];

		module_libs(m, &libs);
		snprintf(objs, sizeof(objs), "%zu", json_array_size(json_object_get(m, "objects")));
		const char *cells[] = { json_string_value(json_object_get(m, "name")),
		                        json_string_value(json_object_get(m, "init")), objs,
		                        libs.len ? libs.s : "-" };
		cli_table_row(&t, cells);
		strbuf_free(&libs);
	}
	printf("extension modules: %zu\n\n", json_array_size(json_object_get(d, "modules")));
	cli_table_print(&t, stdout);
	cli_table_free(&t);
	json_t *missing = json_object_get(d, "missing_static");
	if (json_array_size(missing)) {
		printf("\nno static archive (these would stay dynamic or be left out):\n");
		json_array_foreach(missing, i, m)
			printf("  %s: lib%s\n", json_string_value(json_object_get(m, "module")),
			       json_string_value(json_object_get(m, "library")));
	}
}

static int
do_info_or_path(int argc, char **argv, bool path_only)
{
	enum { OPT_DIST = 256, OPT_CACHE, OPT_JSON, OPT_PYTHON };
	static const struct option longopts[] = {
		{ "python", required_argument, NULL, OPT_PYTHON },
		{ "dist", required_argument, NULL, OPT_DIST },
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dist = NULL, *cache = NULL, *version = NULL;
	bool json = false;
	char err[1024], *dir;
	json_t *d;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PYTHON: version = cli_python_version(optarg); break;
		case OPT_DIST: dist = optarg; break;
		case OPT_CACHE: cache = optarg; break;
		case OPT_JSON: json = true; break;
		case 'h': fputs(python_usage, stdout); return 0;
		default:
			fputs("hint: see 'pyweld python --help'\n", stderr);
			return 2;
		}
	}
	if (optind < argc)
		util_usage_error("'python %s' takes no argument '%s'", path_only ? "path" : "info",
		                 argv[optind]);
	char *root = dist ? NULL : cli_cache_root(cache, false);
	dir = pydist_find(dist, root, version, err, sizeof(err));
	free(root);
	if (!dir) {
		util_error("%s", err);
		if (version)
			util_hint("build one with 'pyweld python build --python %s'", version);
		else
			util_hint("build one with 'pyweld python build'");
		return 1;
	}
	if (path_only) {
		printf("%s\n", dir);
		free(dir);
		return 0;
	}
	d = load_dist(dir);
	json_object_set_new(d, "dir", json_string(dir));
	if (json) {
		cli_json_print(d);              /* consumes d */
	} else {
		print_info(d, dir);
		json_decref(d);
	}
	free(dir);
	return 0;
}

/* pyweld python list: every distribution in the cache. */
static int
do_list(int argc, char **argv)
{
	enum { OPT_CACHE = 256, OPT_JSON };
	static const struct option longopts[] = {
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cache = NULL;
	bool json = false;
	struct pydist_entry *e = NULL;
	size_t n = 0;
	char err[1024];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CACHE: cache = optarg; break;
		case OPT_JSON: json = true; break;
		case 'h': fputs(python_usage, stdout); return 0;
		default:
			fputs("hint: see 'pyweld python --help'\n", stderr);
			return 2;
		}
	}
	if (optind < argc)
		util_usage_error("'python list' takes no argument '%s'", argv[optind]);
	char *root = cli_cache_root(cache, false);
	if (pydist_list(root, &e, &n, err, sizeof(err)) < 0) {
		util_error("%s", err);
		free(root);
		return 1;
	}
	json_t *all = json_array();
	struct cli_table t;
	const char *headers[] = { "python", "key", "current", "pgo", "lto", "source" };
	cli_table_init(&t, 6, headers);
	for (size_t i = 0; i < n; i++) {
		json_error_t jerr;
		json_t *d = json_loads(e[i].json, 0, &jerr);
		json_t *src = json_object_get(d, "source");
		const char *deb = json_string_value(json_object_get(src, "debian_version"));
		char source[512];
		snprintf(source, sizeof(source), "%s%s%s",
		         json_string_value(json_object_get(src, "kind")) ?
		         json_string_value(json_object_get(src, "kind")) : "?",
		         deb ? " " : "", deb ? deb : "");
		const char *cells[] = { e[i].version, e[i].key, e[i].current ? "yes" : "",
		                        json_string_value(json_object_get(d, "pgo")) ?
		                        json_string_value(json_object_get(d, "pgo")) : "?",
		                        json_string_value(json_object_get(d, "lto")) ?
		                        json_string_value(json_object_get(d, "lto")) : "?", source };
		cli_table_row(&t, cells);
		json_array_append_new(all, json_pack("{s:s, s:s, s:s, s:b, s:O?, s:O?, s:O?}",
		                      "python_version", e[i].version, "key", e[i].key,
		                      "dir", e[i].dir, "current", e[i].current, "pgo", json_object_get(d, "pgo"),
		                      "lto", json_object_get(d, "lto"), "source", src));
		json_decref(d);
	}
	if (json) {
		cli_json_print(all);    /* consumes all */
		all = NULL;
	} else if (n == 0) {
		printf("no distribution in '%s/python'\n", root);
	} else {
		cli_table_print(&t, stdout);
	}
	cli_table_free(&t);
	json_decref(all);
	pydist_list_free(e, n);
	free(root);
	return 0;
}

const char *
cli_python_version(const char *arg)
{
	if (!pydist_version_known(arg, false))
		util_usage_error("--python wants 3.11, 3.12, 3.13 or 3.14, not '%s'", arg);
	return arg;
}

int
cli_cmd_python(int argc, char **argv)
{
	if (argc < 2) {
		fputs(python_usage, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(python_usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "build"))
		return do_build(argc - 1, argv + 1);
	if (!strcmp(argv[1], "info"))
		return do_info_or_path(argc - 1, argv + 1, false);
	if (!strcmp(argv[1], "path"))
		return do_info_or_path(argc - 1, argv + 1, true);
	if (!strcmp(argv[1], "list"))
		return do_list(argc - 1, argv + 1);
	util_error("unknown python command '%s'", argv[1]);
	util_hint("see 'pyweld python --help'");
	return 2;
}

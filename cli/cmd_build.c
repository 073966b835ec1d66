/*
 * cmd_build.c: `pyweld build`, from packages to one executable.
 *
 *   1. distribution: the cached CPython built by `pyweld python build`
 *      (built now if there is none);
 *   2. install: a venv of the distribution's interpreter; pip installs the
 *      application's packages from source with the wrapper compilers set,
 *      so that every extension's objects and link line are recorded;
 *      build tools come as wheels and are never welded in;
 *   3. the weld, inittab-gen's (itg_weld): collect, isolate, generate,
 *      pack, link; build_weld.c hands it the plan and prints what it
 *      reports (the steps, notes, warnings and errors): the weld never
 *      prints.
 *
 * This file runs them in order, after the options (the command line and
 * pyweld.ini) and the checks of what they name, and prints the summary.
 * The install and its work directory are build_install.c's, progress and
 * failure build_progress.c's.
 */
#include "build.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itg.h"
#include "pydist.h"

static void
parse_options(struct cli_build *b, int argc, char **argv)
{
	int entries = cli_build_args(&b->o, argc, argv);

	/* A project file: given, or pyweld.ini here when the command line names
	 * neither an output nor anything to put in. */
	if (!b->o.config_file && !b->o.output && !entries && access(CLI_PROJECT_NAME, F_OK) == 0)
		b->o.config_file = xstrdup(CLI_PROJECT_NAME);
	if (b->o.config_file) {
		struct cli_build_options ini;
		char err[1024];
		if (cli_project_read(b->o.config_file, &ini, err, sizeof(err)) < 0)
			util_fatal("%s", err);
		cli_project_merge(&b->o, &ini, entries > 0);
		if (!entries)
			entries = (b->o.module || b->o.script) ? 1 : 0;
		cli_build_options_free(&ini);
	}
	if (!b->o.output)
		util_usage_error("no output given: pass -o APP (or run in a directory with a "
		                 "pyweld.ini; see 'pyweld init --help')");
	if (entries > 1)
		util_usage_error("give at most one of --python-code, -m and --script");
	/* Without an entry point APP is `python` (Py_RunMain finalises), and a
	 * library's host program calls pyweld_finish itself. */
	if (b->o.fast_exit && (entries == 0 || b->o.library))
		util_usage_error("--fast-exit is for an application's entry point: give "
		                 "--python-code, -m or --script%s", b->o.library ? ", and no --library"
		                 : "");
	/* Without an entry point APP is `python`, which obeys its command line. */
	if (b->o.no_mp_children && entries == 0)
		util_usage_error("--no-multiprocessing-children is for an application's entry "
		                 "point: give --python-code, -m or --script");
	if (b->o.pie && b->o.library)
		util_usage_error("--pie is for an executable: with --library, the program that "
		                 "links the archive decides");
	/* pyweld.ini's prune = false is no_prune too: --prune cannot undo it. */
	if (b->o.prune && b->o.no_prune)
		util_usage_error("--prune and --no-prune (or pyweld.ini's prune = false) contradict "
		                 "each other: give one of them");
	if (b->o.deep_freeze_all && b->o.no_deep_freeze)
		util_usage_error("--deep-freeze-all and --no-deep-freeze (or pyweld.ini's deep-freeze "
		                 "= false) contradict each other: give one of them");
	if (b->o.pie && b->o.static_link)
		util_usage_error("--pie and --static: a static executable here is a fixed-address "
		                 "one; give one of them");
	if (b->o.debug_file && (b->o.debug || b->o.library))
		util_usage_error("--debug-file is for a stripped executable: %s",
		                 b->o.library ? "--library's archive keeps its symbols"
		                 : "--debug keeps the symbols in APP instead; give one of them");
	if (b->o.size_report && *b->o.size_report && strcmp(b->o.size_report, "text") &&
	    strcmp(b->o.size_report, "json"))
		util_usage_error("--size-report takes text or json, not '%s'", b->o.size_report);
	if (b->o.sbom_format && strcmp(b->o.sbom_format, "cyclonedx") &&
	    strcmp(b->o.sbom_format, "spdx"))
		util_usage_error("--sbom-format takes cyclonedx or spdx, not '%s'", b->o.sbom_format);
	for (size_t i = 0; i < b->o.deny_licences.n; i++) {
		char why[256];
		if (!itg_licence_pattern_ok(b->o.deny_licences.v[i], why, sizeof(why)))
			util_usage_error("--deny-licence '%s' is no pcre2 pattern: %s",
			                 b->o.deny_licences.v[i], why);
	}
	if (b->o.size_report && b->o.library)
		util_usage_error("--size-report is for an executable, not --library's archive");
	if (b->o.python_version)
		cli_python_version(b->o.python_version);
	if (b->o.module) {
		for (const char *p = b->o.module; *p; p++)
			if (!(*p == '.' || *p == '_' || (*p >= 'a' && *p <= 'z') ||
			      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
				util_usage_error("-m wants a module name, not '%s'", b->o.module);
	}
}

static void
on_dist_phase(void *ctx, enum pydist_phase p, const char *detail)
{
	fprintf(stderr, "pyweld:   python build [%d/%d] %s\n", (int)p + 1, (int)PYDIST__PHASES,
	        pydist_phase_name(p));
	(void)ctx;
	(void)detail;
}

static void
find_distribution(struct cli_build *b)
{
	char err[2048];

	const char *version = b->o.python_version;

	/* --dist alone: that directory, whatever its version; otherwise the
	 * version asked for (default 3.11), its last distribution. */
	b->dist = pydist_find(b->o.dist_dir, b->o.cache_dir,
	                      version ? version : b->o.dist_dir ? NULL : PYDIST_DEFAULT_VERSION,
	                      err, sizeof(err));
	if (!b->dist && b->o.dist_dir)
		cli_build_die(b, "%s", err);
	if (!b->dist) {
		struct pydist_options o = { .cache = b->o.cache_dir, .version = version };
		struct pydist_progress p = { .phase = on_dist_phase };
		struct pydist_result res;
		char *exe = cli_shim_exe();

		fprintf(stderr, "\npyweld: no CPython distribution yet: building one (once; "
		        "a few minutes)\n");
		o.shim_exe = exe;
		if (pydist_build(&o, &p, &res, err, sizeof(err)) < 0) {
			if (res.log)
				util_hint("the distribution's log is '%s'", res.log);
			cli_build_die(b, "%s", err);
		}
		b->dist = xstrdup(res.dir);
		pydist_result_free(&res);
		free(exe);
	}
	b->prefix = util_path_join(b->dist, "prefix");
	b->version = pydist_dist_version(b->dist);
	b->python = xasprintf("%s/bin/python%s", b->prefix, b->version);
	b->distdb_path = util_path_join(b->dist, "dist.linkdb");
	char *json = util_path_join(b->dist, "distribution.json");
	json_error_t jerr;
	b->distjson = json_load_file(json, 0, &jerr);
	if (!b->distjson)
		cli_build_die(b, "cannot read the distribution '%s': %s", json, jerr.text);
	free(json);
	if (linkdb_open(&b->distdb, b->distdb_path, LINKDB_READONLY) < 0)
		cli_build_die(b, "%s", linkdb_errmsg(b->distdb));
}

/* What the weld made, on out (stdout; stderr when stdout carries JSON): the
 * extensions, counts, size, what it needs. */
static void
summary(struct cli_build *b, const struct itg_result *res, FILE *out)
{
	struct cli_table t;
	const char *headers[] = { "module", "package", "version", "objects", "libraries" };
	struct stat st;
	size_t nstd = 0;

	cli_table_init(&t, 5, headers);
	for (size_t i = 0; i < res->nexts; i++) {
		struct itg_ext *e = res->exts[i];
		if (!strcmp(e->package, "python")) {
			nstd++;
			continue;
		}
		struct strbuf libs = { 0 };
		for (size_t k = 0; k < e->libs.n; k++)
			strbuf_addf(&libs, "%s%s", k ? " " : "", e->libs.v[k]);
		/* Archives by count: a Rust extension has dozens of crates. */
		size_t crates = 0, own = 0;
		for (size_t k = 0; k < e->archive_names.n; k++) {
			if (util_ends_with(e->archive_names.v[k], ".rlib"))
				crates++;
			else
				own++;
		}
		if (crates)
			strbuf_addf(&libs, "%s%zu Rust crate%s", libs.len ? ", " : "", crates,
			            crates == 1 ? "" : "s");
		if (own)
			strbuf_addf(&libs, "%s%zu private archive%s", libs.len ? ", " : "", own,
			            own == 1 ? "" : "s");
		char n[32];
		snprintf(n, sizeof(n), "%zu", e->objects.n);
		const char *cells[] = { e->name, e->package, e->version, n, libs.len ? libs.s : "-" };
		cli_table_row(&t, cells);
		strbuf_free(&libs);
	}
	fprintf(out, "welded into '%s':\n", b->o.output);
	if (t.cells.n) {
		cli_table_print(&t, out);
	} else {
		fprintf(out, "  (no extension modules of packages)\n");
	}
	fprintf(out, "  + %zu standard-library extension modules, CPython %s\n", nstd,
	       json_string_value(json_object_get(b->distjson, "python_version")));
	fprintf(out, "  + %zu Python modules packed, %zu of them deep-frozen\n", res->packed_modules,
	       res->frozen_modules);
	cli_table_free(&t);
	stat(b->out_abs, &st);
	fprintf(out, "size: %.1f MiB\n", (double)st.st_size / 1048576.0);
	for (size_t i = 0; i < res->nexts; i++)
		if (res->exts[i]->quirk)
			fprintf(out, "changed: %s: %s (docs/weld.md)\n", res->exts[i]->name,
			       res->exts[i]->quirk);
	if (b->o.library)
		return;
	fprintf(out, "needs: ");
	if (!res->needed.n)
		fprintf(out, "nothing (static)");
	for (size_t i = 0; i < res->needed.n; i++)
		fprintf(out, "%s%s", i ? " " : "", res->needed.v[i]);
	fprintf(out, "\n");
	for (size_t i = 0; i < res->dynamic.n; i++) {
		const char *name = res->dynamic.v[i] + 2;
		fprintf(out, "dynamic: %s%s (%s)\n", name[0] == ':' ? "" : "lib",
		       name[0] == ':' ? name + 1 : name, res->dynamic_why.v[i]);
	}
}

/* The caches a build fills, kept under their limit (least recently used out). */
static void
prune_caches(struct cli_build *b)
{
	static const char *const kinds[] = { "derived", "bytecode", "builds", NULL };
	uint64_t limit = itg_cache_limit();

	for (size_t i = 0; kinds[i]; i++) {
		char *dir = util_path_join(b->cache_root, kinds[i]);
		size_t n = itg_cache_prune(dir, limit);
		if (n)
			fprintf(stderr, "pyweld: removed %zu least recently used entr%s of '%s' "
			        "(over %llu MiB; PYWELD_CACHE_MAX_MB)\n", n, n == 1 ? "y" : "ies", dir,
			        (unsigned long long)(limit >> 20));
		free(dir);
	}
}

/*
 * --debug-file's place, checked before anything is built (a failed build
 * leaves it as it was); made absolute for the weld.  Its base name goes into
 * APP's .gnu_debuglink, which cannot hold a line break.
 */
static void
check_debug_file(struct cli_build *b)
{
	const char *name = b->o.debug_file;
	char *abs = util_abspath(name), *dir = abs ? util_dirname(abs) : NULL;

	if (!dir)
		util_fatal("out of memory");
	if (!*name || util_ends_with(name, "/") || strchr(name, '\n'))
		util_fatal("cannot use '%s' as --debug-file: %s\nhint: give a file name without "
		           "line breaks, beside APP for gdb to find it", name,
		           *name ? "it is not a file name" : "the name is empty");
	if (!strcmp(abs, b->out_abs))
		util_fatal("cannot write the debug file '%s': it is APP itself", name);
	if (util_is_dir(abs))
		util_fatal("cannot write the debug file '%s': it is a directory", name);
	if (!util_is_dir(dir))
		util_fatal("cannot write the debug file '%s': '%s' %s", name, dir,
		           access(dir, F_OK) == 0 ? "is not a directory" : "does not exist");
	if (access(dir, W_OK) < 0)
		util_fatal("cannot write the debug file '%s' in '%s':", name, dir);
	free(dir);
	free(b->o.debug_file);
	b->o.debug_file = abs;
}

/* What the command line names must be there before anything is built. */
static void
check_inputs(struct cli_build *b)
{
	char *outdir = util_dirname(b->out_abs);

	if (!util_is_dir(outdir))
		util_fatal("cannot write '%s': the directory '%s' does not exist", b->o.output, outdir);
	if (access(outdir, W_OK) < 0)
		util_fatal("cannot write '%s' in '%s':", b->o.output, outdir);
	if (util_is_dir(b->out_abs))
		util_fatal("cannot write '%s': it is a directory", b->o.output);
	free(outdir);
	if (b->o.debug_file)
		check_debug_file(b);
	if (b->o.script && access(b->o.script, R_OK) < 0)
		util_fatal("cannot read the script '%s':", b->o.script);
	if (b->o.main_c && access(b->o.main_c, R_OK) < 0)
		util_fatal("cannot read the application's main '%s':", b->o.main_c);
	for (size_t i = 0; i < b->o.requirements.n; i++)
		if (access(b->o.requirements.v[i], R_OK) < 0)
			util_fatal("cannot read the requirements file '%s':", b->o.requirements.v[i]);
	for (size_t i = 0; i < b->o.setup_dirs.n; i++)
		if (!util_is_dir(b->o.setup_dirs.v[i]))
			util_fatal("cannot use '%s' with --setup-py: not a directory", b->o.setup_dirs.v[i]);
	for (size_t i = 0; i < b->o.reach_files.n; i++)
		if (access(b->o.reach_files.v[i], R_OK) < 0)
			util_fatal("cannot read '%s' of --reach-file:", b->o.reach_files.v[i]);
}

/* --work-dir's, prepared; or a new one in $TMPDIR, removed after a success. */
static void
make_work_dir(struct cli_build *b)
{
	if (b->o.work_dir) {
		cli_build_prepare_work_dir(b);
	} else {
		const char *t = getenv("TMPDIR");
		b->work = xasprintf("%s/pyweld-build.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(b->work))
			util_fatal("cannot create a work directory in '%s':", t && *t ? t : "/tmp");
	}
}

int
cli_cmd_build(int argc, char **argv)
{
	struct cli_build b = { .logfd = -1 };
	struct itg_result res = { 0 };

	parse_options(&b, argc, argv);
	b.t0 = util_now();
	b.out_abs = util_abspath(b.o.output);
	{
		const char *own[] = { b.o.script, b.o.main_c, b.o.config_file };
		for (size_t i = 0; i < countof(own); i++)
			if (own[i])
				strvec_push_owned(&b.own_files, util_abspath(own[i]));
	}
	check_inputs(&b);

	b.cache_root = cli_cache_root(b.o.cache_dir, true);
	find_distribution(&b);
	make_work_dir(&b);
	b.steps = 4 + (b.o.pip_specs.n + b.o.requirements.n + b.o.setup_dirs.n ?
	                (b.reuse ? 2 : 3) : 0);
	b.log = util_path_join(b.work, "build.log");
	b.logfd = open(b.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	cli_build_install(&b);
	if (!b.new_dists.n && b.o.pip_specs.n + b.o.requirements.n + b.o.setup_dirs.n)
		cli_build_die(&b, "pip installed nothing new");
	cli_build_weld(&b, &res);
	cli_build_end(&b);
	if (b.o.library) {
		printf("wrote '%s' and its header '%s/pyweld.h'\n", b.o.output,
		       util_dirname(b.out_abs));
		printf("link a program with: cc -I%s prog.c $(pyweld link-flags %s)\n",
		       util_dirname(b.out_abs), b.o.output);
	}
	bool json = b.o.size_report && !strcmp(b.o.size_report, "json");
	summary(&b, &res, json ? stderr : stdout);
	if (b.o.size_report)
		cli_build_size_report(&b, &res.size, json);
	fprintf(stderr, "pyweld: built '%s' in %.1f s\n", b.o.output, util_now() - b.t0);
	prune_caches(&b);

	if (b.logfd >= 0)
		close(b.logfd);
	linkdb_close(b.appdb);
	linkdb_close(b.distdb);
	if (!b.o.keep_work && !b.o.work_dir)
		util_remove_tree(b.work);
	else
		fprintf(stderr, "pyweld: work directory: %s\n", b.work);
	itg_result_free(&res);
	return 0;
}

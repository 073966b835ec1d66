/*
 * build_weld.c: the weld, as the front end asks for it and shows it.
 *
 * The plan (struct itg_plan) is what was asked (the options) and what the
 * build prepared (the distribution, its modules from distribution.json,
 * the installed packages and their link database, the work directory);
 * the weld's report becomes the build's progress on stderr: its steps as
 * step lines with their notes, its warnings and errors in pyweld's words,
 * the pre-flight scan's findings (twenty of each kind, then a count).  A
 * failed weld ends the build with its message.
 */
#include "build.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "itg.h"

static void
on_step(void *ctx, const char *what)
{
	cli_build_step(ctx, "%s", what);
}

static void
on_note(void *ctx, const char *what)
{
	cli_build_note(ctx, "%s", what);
}

static void
on_warning(void *ctx, const char *what)
{
	(void)ctx;
	util_warn("%s", what);
}

static void
on_error(void *ctx, const char *what)
{
	(void)ctx;
	util_error("%s", what);
}

static void
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_vmessage("note", fmt, ap);
	va_end(ap);
}

/* The pre-flight scan's findings: the first 20 of each kind, then how many
 * more; notes for what the binary's view of its packed tree serves. */
static void
on_preflight(void *ctx, const char *const *found, size_t n, bool served)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++) {
		if (i == 0)
			fputc('\n', stderr);
		if (i < 20 && served)
			note("%s", found[i]);
		else if (i < 20)
			util_warn("%s", found[i]);
	}
	if (n > 20 && served)
		note("%zu more places read files beside __file__ (see the log)", n - 20);
	else if (n > 20)
		util_warn("%zu more places that may not work from memory (see the log)", n - 20);
}

/* The distribution's extension modules, as distribution.json lists them. */
static struct itg_dist_module *
dist_modules(struct cli_build *b, size_t *n)
{
	json_t *list = json_object_get(b->distjson, "modules"), *m;
	struct itg_dist_module *mods = xcalloc(json_array_size(list) + 1, sizeof(*mods));
	size_t i;

	json_array_foreach(list, i, m) {
		mods[i].name = json_string_value(json_object_get(m, "name"));
		mods[i].file = json_string_value(json_object_get(m, "file"));
		mods[i].link = json_integer_value(json_object_get(m, "link"));
	}
	*n = json_array_size(list);
	return mods;
}

/*
 * Whether the weld prunes (docs/weld.md, "Pruning"): --prune says yes,
 * --no-prune no; else yes for a binary with an entry point and neither its
 * own main.c (which may run any Python) nor the test suites (imported by
 * names made at run time), and no for a binary that behaves like python,
 * whose user may import anything.
 */
static bool
prune_wanted(const struct cli_build_options *o)
{
	if (o->no_prune || o->prune)
		return !o->no_prune;
	return (o->code || o->script || o->module) && !o->main_c && !o->library &&
	       !o->stdlib_tests;
}

/* The weld's plan: what was asked, and what the build prepared. */
static void
make_plan(struct cli_build *b, struct itg_plan *p)
{
	*p = (struct itg_plan){
		.prefix = b->prefix, .python = b->python,
		.python_version = json_string_value(json_object_get(b->distjson, "python_version")),
		.ext_suffix = json_string_value(json_object_get(b->distjson, "ext_suffix")),
		.distdb = b->distdb,
		.site = b->site, .dists = strvec_cargv(&b->new_dists), .ndists = b->new_dists.n,
		.appdb = b->appdb,
		.with = strvec_cargv(&b->o.with), .nwith = b->o.with.n,
		.without = strvec_cargv(&b->o.without), .nwithout = b->o.without.n,
		.stdlib_tests = b->o.stdlib_tests,
		.exclude_modules = strvec_cargv(&b->o.exclude_modules),
		.nexclude_modules = b->o.exclude_modules.n,
		.exclude_resources = strvec_cargv(&b->o.exclude_resources),
		.nexclude_resources = b->o.exclude_resources.n,
		.prune = prune_wanted(&b->o),
		.keep_modules = strvec_cargv(&b->o.keep_modules),
		.nkeep_modules = b->o.keep_modules.n,
		.reach_files = strvec_cargv(&b->o.reach_files),
		.nreach_files = b->o.reach_files.n,
		.source = !b->o.no_source, .deep_freeze = !b->o.no_deep_freeze,
		.deep_freeze_all = b->o.deep_freeze_all,
		.compress_code = !b->o.no_compress_code,
		.file_view = !b->o.no_file_view,
		.code = b->o.code, .script = b->o.script, .module = b->o.module,
		.main_c = b->o.main_c, .fast_exit = b->o.fast_exit,
		.no_mp_children = b->o.no_mp_children,
		.output = b->o.output, .out_abs = b->out_abs, .library = b->o.library,
		.sbom_format = b->o.sbom_format,
		.deny_licences = strvec_cargv(&b->o.deny_licences),
		.ndeny_licences = b->o.deny_licences.n,
		.static_link = b->o.static_link, .pie = b->o.pie, .debug = b->o.debug,
		.debug_file = b->o.debug_file, .size_report = b->o.size_report != NULL,
		.work = b->work, .cache = b->cache_root, .logfd = b->logfd,
		.verbose = b->o.verbose,
		.report = { .ctx = b, .step = on_step, .note = on_note, .warning = on_warning,
		            .error = on_error, .preflight = on_preflight },
	};
}

/* The weld of what b prepared (inittab-gen), or the end of the build. */
void
cli_build_weld(struct cli_build *b, struct itg_result *res)
{
	struct itg_plan plan;
	struct itg_dist_module *mods;
	char err[2048];

	make_plan(b, &plan);
	plan.dist_modules = mods = dist_modules(b, &plan.ndist_modules);
	if (itg_weld(&plan, res, err, sizeof(err)) < 0)
		cli_build_die(b, "%s", err);
	free(mods);
}

/*
 * pack_step.c: the pack step of a weld, the module blob into the link.
 *
 * The blob holds the standard library, the installed distributions' files,
 * the entry point (__pyweld_main__, from --python-code or the script) and
 * the runtime's Python helper, compiled by the distribution's interpreter
 * (pack.c); an assembler file links it in as pyweld_blob.  The packages
 * that hold a welded extension are kept whole even where the default drop
 * of test suites would match them.  The table of packed modules the
 * distribution deep-froze is compiled always (the runtime refers to it),
 * and their objects join the link.  Sources, and the code of the modules
 * not imported as the binary starts, are stored compressed when the
 * standard library's zlib module is welded in, and pruning keeps it then:
 * its link brings the libz the runtime inflates them with.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* __pyweld_main__.py in the work directory, from the code or the script. */
static int
write_main_py(struct itg_weld *w, const char *main_py)
{
	const struct itg_plan *p = w->plan;
	char *text;
	size_t len;

	if (p->code) {
		if (util_write_atomic(main_py, p->code, strlen(p->code), 0644, false) < 0)
			return itg__fail(w, "cannot write '%s': %s", main_py, strerror(errno));
		return 0;
	}
	if (util_read_file(p->script, &text, &len) < 0)
		return itg__fail(w, "cannot read the script '%s': %s", p->script, strerror(errno));
	if (util_write_atomic(main_py, text, len, 0644, false) < 0) {
		itg__fail(w, "cannot write '%s': %s", main_py, strerror(errno));
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

/* What the packer did, in the log; its pre-flight findings, to the front end. */
static void
tell_packed(struct itg_weld *w, const struct itg_pack_stats *st, bool frozen)
{
	itg__log(w, "packed %zu modules (%zu namespace packages), %zu resources, "
	         "%zu metadata files of %zu distributions: %zu bytes; %zu left out by "
	         "filters, %zu duplicates dropped\n", st->modules, st->namespaces,
	         st->resources, st->metadata, st->dists, st->bytes, st->excluded,
	         st->duplicates);
	for (size_t i = 0; i < st->not_python.n; i++)
		itg__log(w, "kept as a file (not Python %s): %s\n", itg__python_version(w->plan),
		         st->not_python.v[i]);
	if (frozen)
		itg__log(w, "deep-frozen by the distribution: %zu of the packed modules "
		         "(their code objects are linked in, not unmarshalled); %zu more "
		         "unmarshalled, as nothing imports them as the binary starts "
		         "(--deep-freeze-all links theirs too)\n",
		         st->frozen_names.n, st->frozen_lazy);
	if (st->source_bytes)
		itg__log(w, "sources: %llu bytes, stored in %llu (%zu compressed with zlib)\n",
		         (unsigned long long)st->source_bytes, (unsigned long long)st->source_stored,
		         st->sources_compressed);
	if (st->code_compressed)
		itg__log(w, "bytecode: %llu bytes, stored in %llu (%zu modules' code compressed "
		         "with zlib: those not imported as the binary starts)\n",
		         (unsigned long long)st->code_bytes, (unsigned long long)st->code_stored,
		         st->code_compressed);
	w->res->packed_modules = st->modules;
	w->res->packed_bytes = st->bytes;
	w->res->frozen_modules = st->frozen_names.n;
	if (st->notes.n && w->plan->report.preflight)
		w->plan->report.preflight(w->plan->report.ctx, strvec_cargv(&st->notes),
		                          st->notes.n, true);
	if (st->warnings.n && w->plan->report.preflight)
		w->plan->report.preflight(w->plan->report.ctx, strvec_cargv(&st->warnings),
		                          st->warnings.n, false);
	for (size_t i = 0; i < st->notes.n; i++)
		itg__log(w, "pre-flight, served by the view: %s\n", st->notes.v[i]);
	for (size_t i = 0; i < st->warnings.n; i++)
		itg__log(w, "pre-flight: %s\n", st->warnings.v[i]);
}

/* The blob's assembler file, assembled; its object goes to w->objs. */
static int
assemble_blob(struct itg_weld *w, const char *blob)
{
	char *asm_path = util_path_join(w->plan->work, "rt/modules_blob.S");
	char *obj = util_path_join(w->plan->work, "rt/modules_blob.o");
	int rc = -1;

	if (itg_write_blob_asm(asm_path, blob, w->err, w->errlen) < 0)
		goto out;
	rc = itg__run(w, (const char *const[]){ "gcc", "-c", asm_path, "-o", obj, NULL }, NULL);
	if (rc != 0) {
		rc = itg__fail(w, "cannot assemble the module blob '%s' (status %d)", asm_path, rc);
		goto out;
	}
	strvec_push(&w->objs, obj);
out:
	free(asm_path);
	free(obj);
	return rc;
}

/* The getters' table and the names pruning left out (drop_extensions
 * listed them), compiled always (the runtime refers to it), and the
 * deep-frozen modules' own objects, to w->objs. */
static int
link_frozen(struct itg_weld *w, struct itg_pack_stats *st)
{
	char *frozen_c = util_path_join(w->plan->work, "rt/frozen.c");
	char *frozen_o = util_path_join(w->plan->work, "rt/frozen.o");
	int rc = -1;

	if (itg_write_frozen_table(frozen_c, st, &w->res->size.pruned_names, w->err,
	                           w->errlen) < 0)
		goto out;
	rc = itg__compile_rt_unit(w, frozen_c, frozen_o);
	if (rc != 0) {
		rc = itg__fail(w, "cannot compile the deep-frozen modules' table '%s' (status %d)",
		               frozen_c, rc);
		goto out;
	}
	strvec_push(&w->objs, frozen_o);
	for (size_t i = 0; i < st->frozen_objs.n; i++)
		strvec_push(&w->objs, st->frozen_objs.v[i]);
	if (st->frozen_strings)
		strvec_push(&w->objs, st->frozen_strings);
out:
	free(frozen_c);
	free(frozen_o);
	return rc;
}

/*
 * The modules the runtime imports by itself (its C files, and CPython's
 * start-up, which 3.11 deep-freezes into libpython but 3.13 imports from
 * the blob), and the codecs a locale is most likely to name: the rest of
 * encodings is imported by a name made at run time (--keep-module
 * '^encodings\.' keeps every codec).
 */
static const char *const runtime_roots[] = {
	"runpy", "atexit", "traceback", "linecache", /* run.c, default_main.c,
	                                                excepthook.c */
	"_sitebuiltins",                /* site.c */
	"warnings", "copyreg",          /* libpython: _warnings, __reduce_ex__ */
	"abc", "codecs", "io", "os", "stat", "posixpath", "genericpath",
	"_collections_abc", "zipimport", "importlib._bootstrap",
	"importlib._bootstrap_external", /* start-up */
	"encodings", "encodings.aliases", "encodings.utf_8", "encodings.utf_8_sig",
	"encodings.ascii", "encodings.latin_1", "encodings.utf_16", "encodings.utf_16_le",
	"encodings.utf_16_be", "encodings.utf_32", "encodings.utf_32_le",
	"encodings.utf_32_be", "encodings.unicode_escape", "encodings.raw_unicode_escape",
};

/*
 * The roots of reach.py's walk, into o: the runtime's, the application's
 * extension modules, the entry point; and every extension module as a
 * module it may reach (with pruning, the standard library's left out when
 * it does not).  The vectors hold what o points at.
 */
static void
reach_options(const struct itg_weld *w, struct itg_pack_options *o, struct strvec *roots,
              struct strvec *entries, struct itg_extra_module **exts)
{
	const struct itg_plan *p = w->plan;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(runtime_roots) / sizeof(*runtime_roots); i++)
		strvec_push(roots, runtime_roots[i]);
	/* Each with its isolated object, whose .rodata reach.py reads for the
	 * names of modules its C imports. */
	*exts = xcalloc(w->res->nexts + 1, sizeof(**exts));
	for (size_t i = 0; i < w->res->nexts; i++) {
		const struct itg_ext *e = w->res->exts[i];
		if (strcmp(e->package, "python"))
			strvec_push(roots, e->name);
		(*exts)[n++] = (struct itg_extra_module){ e->name, e->isolated };
	}
	if (p->code || p->script)
		strvec_push(entries, "__pyweld_main__");
	if (p->module) {
		/* A package runs its __main__ (python -m pkg). */
		strvec_push(entries, p->module);
		strvec_push_owned(entries, xasprintf("%s.__main__", p->module));
	}
	o->roots = strvec_cargv(roots);
	o->nroots = roots->n;
	o->entries = strvec_cargv(entries);
	o->nentries = entries->n;
	o->keep_modules = p->keep_modules;
	o->nkeep_modules = p->nkeep_modules;
	o->reach_files = p->reach_files;
	o->nreach_files = p->nreach_files;
	o->reach_exts = *exts;
	o->nreach_exts = n;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The standard library's extension modules nothing reached, out of the
 * weld; what pruning left out, for the size report. */
static void
drop_extensions(struct itg_weld *w, const struct itg_pack_stats *st)
{
	struct itg_result *res = w->res;
	size_t o = 0;

	for (size_t i = 0; i < res->nexts; i++) {
		struct itg_ext *e = res->exts[i];
		if (!strcmp(e->package, "python") && strvec_has(&st->pruned_exts, e->name)) {
			itg_ext_free(e);
			free(e);
			continue;
		}
		res->exts[o++] = e;
	}
	res->nexts = o;
	/* For the size report. */
	struct itg_size_report *s = &res->size;
	s->pruned = true;
	for (size_t i = 0; i < st->pruned.n; i++)
		strvec_push(&s->pruned_names, st->pruned.v[i]);
	for (size_t i = 0; i < st->pruned_exts.n; i++)
		strvec_push(&s->pruned_names, st->pruned_exts.v[i]);
	if (s->pruned_names.n)
		qsort(s->pruned_names.v, s->pruned_names.n, sizeof(*s->pruned_names.v), cmp_str);
	s->pruned_modules = st->pruned.n;
	s->pruned_exts = st->pruned_exts.n;
	s->pruned_resources = st->pruned_resources;
	s->pruned_bytes = st->pruned_bytes;
	if (st->pruned.n || st->pruned_exts.n)
		itg__note(w, "pruned %zu modules and %zu extension modules the entry point "
		          "does not reach", st->pruned.n, st->pruned_exts.n);
}

/*
 * The standard library's zlib module, whose link names libz: the runtime
 * inflates compressed sources with that libz (runtime/blob.c declares
 * zlib's functions weak, so a binary without the module links without
 * them).  NULL when the distribution has none, or none linking libz.
 */
static const struct itg_ext *
zlib_module(const struct itg_weld *w)
{
	for (size_t i = 0; i < w->res->nexts; i++) {
		const struct itg_ext *e = w->res->exts[i];
		if (!strcmp(e->package, "python") && !strcmp(e->name, "zlib") &&
		    strvec_has(&e->libs, "z"))
			return e;
	}
	return NULL;
}

/* The packages that hold a welded extension ("greenlet.tests" of
 * greenlet.tests._test_extension). */
static void
extension_packages(const struct itg_weld *w, struct strvec *keep)
{
	for (size_t i = 0; i < w->res->nexts; i++) {
		const char *dot = strrchr(w->res->exts[i]->name, '.');
		if (dot)
			strvec_push_owned(keep, strndup(w->res->exts[i]->name,
			                                (size_t)(dot - w->res->exts[i]->name)));
	}
}

int
itg__pack_step(struct itg_weld *w)
{
	const struct itg_plan *p = w->plan;
	char *tools = util_path_join(p->work, "tools");
	char *rt = util_path_join(p->work, "rt");
	char *script = util_path_join(tools, "compile_blob.py");
	char *blob = util_path_join(p->work, "modules.blob");
	char *stdlib = itg__prefix_path(p, "lib/python", "");
	char *helper_py = util_path_join(tools, "pyweld_resources.py");
	char *main_py = util_path_join(p->work, "__pyweld_main__.py");
	char *code_cache = util_path_join(p->cache, "bytecode");
	/* The distribution's deep-frozen standard library; a distribution
	 * without it (no manifest) has its welds unmarshal everything. */
	char *frozen = util_path_join(p->prefix, "lib/pyweld-frozen");
	char *manifest = util_path_join(frozen, "manifest.tsv");
	struct itg_extra_module extra[2];
	struct itg_pack_stats st = { 0 };
	struct strvec keep = { 0 }, roots = { 0 }, entries = { 0 };
	struct itg_extra_module *exts = NULL;
	char *reach = util_path_join(tools, "reach.py");
	size_t nextra = 0;
	int rc = -1;

	itg__step(w, "pack: the standard library%s", p->ndists ? " and the packages" : "");
	/* The tools it runs; the runtime's header and sources, for the table of
	 * deep-frozen modules compiled here and the units generate compiles. */
	if (itg__write_embedded(w, embedded_tools, tools) < 0 ||
	    itg__write_embedded(w, embedded_runtime, rt) < 0)
		goto out;
	extra[nextra++] = (struct itg_extra_module){ "_pyweld_resources", helper_py };
	if (p->code || p->script) {
		if (write_main_py(w, main_py) < 0)
			goto out;
		extra[nextra++] = (struct itg_extra_module){ "__pyweld_main__", main_py };
	}
	extension_packages(w, &keep);
	if (keep.failed) {
		rc = itg__fail(w, "out of memory");
		goto out;
	}
	struct itg_pack_options o = {
		.python = p->python, .compile_script = script, .workdir = p->work,
		.keep_packages = strvec_cargv(&keep), .nkeep_packages = keep.n,
		.stdlib = stdlib, .site = p->site,
		.dists = p->dists, .ndists = p->ndists,
		.exclude_modules = p->exclude_modules, .nexclude_modules = p->nexclude_modules,
		.exclude_resources = p->exclude_resources,
		.nexclude_resources = p->nexclude_resources,
		.extra = extra, .nextra = nextra,
		.tests = p->stdlib_tests, .source = p->source, .file_view = p->file_view,
		.optimize = 0,
		.code_cache = code_cache,
		.frozen = p->deep_freeze && util_is_file(manifest) ? frozen : NULL,
		.freeze_all = p->deep_freeze_all,
		.prune = p->prune,
	};
	/* Sources, and the code of the modules not imported as the binary
	 * starts, are compressed when the binary can inflate them: with the
	 * zlib module kept, and libz with it (zlib_module).  The runtime's own
	 * imports (runtime_roots) keep their code as it is, pruned or not. */
	o.compress_sources = p->source && zlib_module(w) != NULL;
	o.compress_code = p->compress_code && zlib_module(w) != NULL;
	o.plain_code = runtime_roots;
	o.nplain_code = sizeof(runtime_roots) / sizeof(*runtime_roots);
	/* An entry point has reach.py find what it imports as the binary
	 * starts, pruned or not: those modules alone are deep-frozen and keep
	 * their code uncompressed. */
	if (p->prune || p->code || p->script || p->module) {
		o.reach_script = reach;
		reach_options(w, &o, &roots, &entries, &exts);
		if (o.compress_sources || o.compress_code) {
			strvec_push(&roots, "zlib");
			o.roots = strvec_cargv(&roots);
			o.nroots = roots.n;
		}
	}
	if (itg_pack(&o, blob, &st, w->err, w->errlen) < 0) {
		char *why = xstrdup(w->err);
		itg__fail(w, "packing the modules failed: %s", why);
		free(why);
		goto out;
	}
	tell_packed(w, &st, o.frozen != NULL);
	if (p->prune)
		drop_extensions(w, &st);
	if ((st.sources_compressed || st.code_compressed) && !zlib_module(w)) {
		rc = itg__fail(w, "the module blob holds compressed sources or code, but the "
		               "zlib module that links libz for them is not welded in");
		goto out;
	}
	if (assemble_blob(w, blob) < 0 || link_frozen(w, &st) < 0)
		goto out;
	rc = 0;
out:
	strvec_free(&keep);
	strvec_free(&roots);
	strvec_free(&entries);
	free(exts);
	free(reach);
	strvec_free(&st.pruned);
	strvec_free(&st.pruned_exts);
	strvec_free(&st.warnings);
	strvec_free(&st.notes);
	strvec_free(&st.not_python);
	strvec_free(&st.frozen_names);
	strvec_free(&st.frozen_syms);
	strvec_free(&st.frozen_objs);
	free(st.frozen_strings);
	free(frozen);
	free(manifest);
	free(helper_py);
	free(code_cache);
	free(main_py);
	free(tools);
	free(rt);
	free(script);
	free(blob);
	free(stdlib);
	return rc;
}

/*
 * collect.c: the collect step, which extension modules go into the weld.
 *
 * The application's: every shared object a distribution pip installed
 * lists in its RECORD is an extension module named from its path
 * (ext.c's itg_module_name), matched to the link the wrappers recorded for
 * it by the SHA-256 of the installed file.  One no recorded link produced
 * (a prebuilt wheel, a build around the wrappers, rustc told to run a
 * linker by its path instead of `cc` from PATH), a
 * shared library that is no module, or a module named __init__ ends the
 * weld naming the file, the module and the package, with a hint.
 *
 * The standard library's: the distribution's recorded modules, less those
 * left out by default (leftout.c) and not asked for, or asked to be left
 * out.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkdb.h"

/* "Name" and "Version" of a .dist-info directory. */
static void
dist_name_version(const char *site, const char *distinfo, char **name, char **version)
{
	char *path = xasprintf("%s/%s/METADATA", site, distinfo), *text = NULL;
	char *save = NULL, *line;

	*name = *version = NULL;
	if (util_read_file(path, &text, NULL) == 0) {
		for (line = strtok_r(text, "\n", &save); line && !(*name && *version);
		     line = strtok_r(NULL, "\n", &save)) {
			if (!*name && util_starts_with(line, "Name: "))
				*name = xstrdup(line + 6);
			else if (!*version && util_starts_with(line, "Version: "))
				*version = xstrdup(line + 9);
			else if (line[0] == '\0' || line[0] == '\r')
				break;
		}
	}
	free(text);
	free(path);
	if (!*name)
		*name = xstrdup(distinfo);
	if (!*version)
		*version = xstrdup("?");
}

static void
add_ext(struct itg_weld *w, struct itg_ext *e)
{
	struct itg_result *r = w->res;

	if (r->nexts == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		r->exts = xreallocarray(r->exts, w->cap, sizeof(*r->exts));
	}
	r->exts[r->nexts++] = e;
}

/*
 * Whether rustc made a shared object: its .comment section says "rustc
 * version ..." (kept by strip), or it defines std's or core's symbols.
 * Only asked about a file no recorded link produced, to say why.
 */
static bool
looks_like_rust(const char *path)
{
	static const char mark[] = "rustc version ";
	char **names = NULL, *data = NULL;
	size_t n = 0, len = 0;
	char err[256];
	bool rust = false;

	if (util_read_file(path, &data, &len) == 0)
		rust = memmem(data, len, mark, sizeof(mark) - 1) != NULL;
	free(data);
	if (rust || linkdb_file_defined_symbols(path, &names, &n, err, sizeof(err)) < 0)
		return rust;
	for (size_t i = 0; i < n; i++) {
		if (strstr(names[i], "rust_") || util_starts_with(names[i], "_ZN4core") ||
		    util_starts_with(names[i], "_ZN3std"))
			rust = true;
		free(names[i]);
	}
	free(names);
	return rust;
}

/*
 * One installed file of distribution pkg: an extension module to weld
 * (added), or not a shared object at all (skipped); else the weld fails.
 */
static int
collect_file(struct itg_weld *w, const char *rel, const char *pkg, const char *ver)
{
	const struct itg_plan *p = w->plan;
	char *name, *file, hex[LINKDB_HASH_HEX + 1];
	int64_t link;
	int found;

	if (!util_is_shared_object(rel))
		return 0;
	file = util_path_join(p->site, rel);
	name = itg_module_name(rel, p->ext_suffix);
	if (!name) {
		itg__fail(w, "cannot weld '%s' of %s %s: '%s' is a shared library, not an "
		          "extension module", file, pkg, ver, rel);
		goto fail;
	}
	if (!strcmp(util_basename(rel), "__init__") || util_ends_with(name, ".__init__")) {
		itg__fail(w, "cannot weld '%s' of %s %s: an extension module named __init__ "
		          "(a package) cannot be a built-in", file, pkg, ver);
		goto fail;
	}
	if (linkdb_hash_file(file, hex) < 0) {
		itg__fail(w, "cannot read '%s': %s", file, strerror(errno));
		goto fail;
	}
	found = linkdb_find_link_by_output(p->appdb, hex, &link);
	if (found < 0) {
		itg__fail(w, "%s", linkdb_errmsg(p->appdb));
		goto fail;
	}
	/* rustc links with `cc` from PATH, the shims, unless told otherwise. */
	if (found == 0 && looks_like_rust(file)) {
		itg__fail(w, "cannot weld '%s' (module %s) of %s %s: it was built by rustc outside "
		          "pyweld's wrappers, so no recorded link produced it (a prebuilt wheel, "
		          "or a linker named by its path, which rustc runs instead of `cc` from "
		          "PATH: CARGO_TARGET_<TRIPLE>_LINKER, `linker` in a .cargo/config.toml, "
		          "RUSTFLAGS=-C linker=...)\nhint: build %s from source and let rustc's "
		          "linker be `cc`: unset that linker setting (or set it to cc)",
		          file, name, pkg, ver, pkg);
		goto fail;
	}
	if (found == 0) {
		itg__fail(w, "cannot weld '%s' (module %s) of %s %s: no recorded link produced it "
		          "(a prebuilt wheel, or a build that bypassed the compiler wrappers)\nhint: "
		          "make sure %s builds from source (it must not be in a wheel cache or a "
		          "build-tool list) and links with $CC/$LDSHARED", file, name, pkg, ver, pkg);
		goto fail;
	}
	struct itg_ext *e = xcalloc(1, sizeof(*e));
	e->name = name;
	e->package = xstrdup(pkg);
	e->version = xstrdup(ver);
	e->file = file;
	add_ext(w, e);
	if (itg_ext_from_link(p->appdb, link, e, w->err, w->errlen) < 0) {
		char *why = xstrdup(w->err);
		itg__fail(w, "cannot weld '%s' (module %s) of %s %s: %s", file, name, pkg, ver, why);
		free(why);
		return -1;
	}
	return 0;
fail:
	free(name);
	free(file);
	return -1;
}

/* The extension modules of the distributions pip installed. */
static int
collect_app(struct itg_weld *w)
{
	const struct itg_plan *p = w->plan;
	int rc = 0;

	itg__step(w, "collect: extensions of %zu installed distribution%s", p->ndists,
	          p->ndists == 1 ? "" : "s");
	for (size_t d = 0; d < p->ndists && rc == 0; d++) {
		char *record = xasprintf("%s/%s/RECORD", p->site, p->dists[d]);
		char *pkg, *ver;
		struct strvec rels = { 0 };

		dist_name_version(p->site, p->dists[d], &pkg, &ver);
		if (itg_record_read(record, &rels) < 0)
			rc = itg__fail(w, "cannot read '%s': %s", record, strerror(errno));
		for (size_t r = 0; r < rels.n && rc == 0; r++)
			rc = collect_file(w, rels.v[r], pkg, ver);
		strvec_free(&rels);
		free(record);
		free(pkg);
		free(ver);
	}
	return rc;
}

/* The standard library's extension modules the weld takes. */
static int
collect_stdlib(struct itg_weld *w)
{
	const struct itg_plan *p = w->plan;

	for (size_t i = 0; i < p->ndist_modules; i++) {
		const struct itg_dist_module *m = &p->dist_modules[i];
		const char *why;

		if (!itg__module_wanted(p, m->name, &why))
			continue;
		struct itg_ext *e = xcalloc(1, sizeof(*e));
		e->name = xstrdup(m->name);
		e->package = xstrdup("python");
		e->version = xstrdup(itg__python_version(p));
		e->file = xstrdup(m->file);
		add_ext(w, e);
		if (itg_ext_from_link(p->distdb, m->link, e, w->err, w->errlen) < 0) {
			char *err = xstrdup(w->err);
			itg__fail(w, "cannot weld the standard library's '%s': %s", m->name, err);
			free(err);
			return -1;
		}
	}
	for (size_t k = 0; k < p->nwith; k++) {
		bool known = false;
		for (size_t i = 0; i < p->ndist_modules; i++)
			known |= !strcmp(p->dist_modules[i].name, p->with[k]);
		if (!known)
			return itg__fail(w, "--with-module %s: the distribution has no extension "
			                 "module of that name (see 'pyweld python info')", p->with[k]);
	}
	return 0;
}

int
itg__collect(struct itg_weld *w)
{
	if (w->plan->ndists && collect_app(w) < 0)
		return -1;
	return collect_stdlib(w);
}

/*
 * pack_tree.c: what the packer takes, and what its filters leave out.
 *
 * The standard library is walked in name order (site-packages,
 * lib-dynload, config-3.x, hidden files and __pycache__ never); an
 * installed distribution gives the files its RECORD lists under
 * site-packages (scripts outside it, bytecode, extension modules and
 * files not there skipped).  Any .py file is a module by its path, as on
 * the file system; a .dist-info file is metadata; anything else is a
 * resource.  A module or resource a filter matches is left out, and so is
 * a whole directory both filters match; the default drop of test suites
 * spares the packages that hold a welded extension (greenlet.tests of
 * greenlet.tests._test_extension), whose extensions could not be imported
 * otherwise.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blob.h"

static int
compile_list(struct itg_packer *p, const char *const *pats, size_t extra,
             const char *const *more, pcre2_code ***out, size_t *nout)
{
	size_t n = 0;

	for (const char *const *q = pats; q && *q; q++)
		n++;
	*out = xcalloc(n + extra + 1, sizeof(pcre2_code *));
	*nout = 0;
	for (size_t i = 0; i < n + extra; i++) {
		const char *pat = i < n ? pats[i] : more[i - n];
		int ecode;
		PCRE2_SIZE eoff;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
		                               &ecode, &eoff, NULL);
		if (!re) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(ecode, msg, sizeof(msg));
			return itg__pack_fail(p, "bad pattern '%s' at offset %zu: %s", pat, (size_t)eoff,
			                      (const char *)msg);
		}
		(*out)[(*nout)++] = re;
	}
	return 0;
}

static bool
matches(struct itg_packer *p, pcre2_code **res, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (pcre2_match(res[i], (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0, p->md, NULL) >= 0)
			return true;
	return false;
}

/* name is, or lies inside, a package that holds a welded extension. */
static bool
kept_package(const struct itg_packer *p, const char *name)
{
	for (size_t i = 0; i < p->o->nkeep_packages; i++) {
		const char *k = p->o->keep_packages[i];
		size_t n = strlen(k);
		if (!strncmp(name, k, n) && (name[n] == '\0' || name[n] == '.'))
			return true;
	}
	return false;
}

/* The dotted module a resource path lies in: "greenlet/tests/data.txt" → "greenlet.tests". */
static bool
kept_resource(const struct itg_packer *p, const char *rel)
{
	char *dotted = xstrdup(rel), *slash = strrchr(dotted, '/');
	bool kept;

	if (slash)
		*slash = '\0';
	else
		dotted[0] = '\0';
	for (char *c = dotted; *c; c++)
		if (*c == '/')
			*c = '.';
	kept = *dotted && kept_package(p, dotted);
	free(dotted);
	return kept;
}

static bool
module_excluded(struct itg_packer *p, const char *name)
{
	return matches(p, p->mod_ex, p->nmod_ex, name) ||
	       (matches(p, p->test_mod_ex, p->ntest_mod_ex, name) && !kept_package(p, name));
}

static bool
resource_excluded(struct itg_packer *p, const char *rel)
{
	return matches(p, p->res_ex, p->nres_ex, rel) ||
	       (matches(p, p->test_res_ex, p->ntest_res_ex, rel) && !kept_resource(p, rel));
}

/* The packer's filters, compiled: the defaults, the user's patterns, and
 * the default drop of test suites unless tests are kept (leftout.c). */
int
itg__pack_filters(struct itg_packer *p)
{
	p->md = pcre2_match_data_create(4, NULL);
	struct strvec mods = { 0 }, res = { 0 };
	for (const char *const *q = itg_default_module_ex; *q; q++)
		strvec_push(&mods, *q);
	for (const char *const *q = itg__default_resource_ex; *q; q++)
		strvec_push(&res, *q);
	int r1 = compile_list(p, strvec_cargv(&mods), p->o->nexclude_modules,
	                      p->o->exclude_modules, &p->mod_ex, &p->nmod_ex);
	int r2 = r1 < 0 ? -1 : compile_list(p, strvec_cargv(&res),
	                                    p->o->nexclude_resources, p->o->exclude_resources,
	                                    &p->res_ex, &p->nres_ex);
	if (r2 == 0 && !p->o->tests &&
	    (compile_list(p, itg_test_module_ex, 0, NULL, &p->test_mod_ex, &p->ntest_mod_ex) < 0 ||
	     compile_list(p, itg__test_resource_ex, 0, NULL, &p->test_res_ex, &p->ntest_res_ex) < 0))
		r2 = -1;
	strvec_free(&mods);
	strvec_free(&res);
	return r2 < 0 ? -1 : 0;
}

void
itg__pack_filters_free(struct itg_packer *p)
{
	for (size_t i = 0; i < p->nmod_ex; i++)
		pcre2_code_free(p->mod_ex[i]);
	for (size_t i = 0; i < p->nres_ex; i++)
		pcre2_code_free(p->res_ex[i]);
	free(p->mod_ex);
	free(p->res_ex);
	for (size_t i = 0; i < p->ntest_mod_ex; i++)
		pcre2_code_free(p->test_mod_ex[i]);
	for (size_t i = 0; i < p->ntest_res_ex; i++)
		pcre2_code_free(p->test_res_ex[i]);
	free(p->test_mod_ex);
	free(p->test_res_ex);
	pcre2_match_data_free(p->md);
}

/* "json/decoder.py" → "json.decoder"; "json/__init__.py" → "json" (package). */
static char *
module_name(const char *rel, bool *package)
{
	size_t n = strlen(rel) - 3;
	char *name = xstrdup(rel);

	name[n] = '\0';
	*package = false;
	if (n >= 8 && !strcmp(name + n - 8, "__init__") && (n == 8 || name[n - 9] == '/')) {
		*package = true;
		name[n == 8 ? 0 : n - 9] = '\0';
	}
	for (char *c = name; *c; c++)
		if (*c == '/')
			*c = '.';
	return name;
}

/*
 * Any .py file is a module by its path, as on the file system: even
 * "_sysconfigdata__x86_64-linux-gnu", which __import__ reaches.  Only empty
 * components ("a..b", a leading dot) are not.
 */
static bool
valid_module_name(const char *name)
{
	if (!*name || name[0] == '.')
		return false;
	for (const char *c = name; *c; c++)
		if ((c[0] == '.' && (c[1] == '.' || c[1] == '\0')) || *c == ' ')
			return false;
	return true;
}

/* One file of the import tree, by its path relative to the tree's root. */
static void
consider(struct itg_packer *p, const char *root, const char *rel, bool metadata)
{
	char *path = util_path_join(root, rel);

	if (metadata) {
		itg__pack_add(p, RT_BLOB_METADATA, 0, xstrdup(rel), path, NULL);
		return;
	}
	if (util_ends_with(rel, ".py")) {
		bool package;
		char *name = module_name(rel, &package);
		if (valid_module_name(name)) {
			if (module_excluded(p, name)) {
				p->st->excluded++;
				free(name);
				free(path);
				return;
			}
			itg__pack_add(p, RT_BLOB_MODULE, package ? RT_BLOB_PACKAGE : 0, name, path,
			              xstrdup(rel));
			return;
		}
		free(name);         /* "foo-bar.py": not importable; keep as a file */
	}
	if (resource_excluded(p, rel)) {
		p->st->excluded++;
		free(path);
		return;
	}
	itg__pack_add(p, RT_BLOB_RESOURCE, 0, xstrdup(rel), path, NULL);
}

int
itg__pack_walk_stdlib(struct itg_packer *p, const char *root, const char *rel)
{
	char *dir = rel[0] ? util_path_join(root, rel) : xstrdup(root);
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0) {
		itg__pack_fail(p, "cannot read '%s': %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *r = rel[0] ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		char *full = util_path_join(root, r);
		struct stat st;

		if (name[0] == '.' || !strcmp(name, "__pycache__") || lstat(full, &st) < 0 ||
		    (!rel[0] && (!strcmp(name, "site-packages") || !strcmp(name, "lib-dynload") ||
		                 util_starts_with(name, "config-3.")))) {
			/* skip */
		} else if (S_ISDIR(st.st_mode)) {
			char *dotted = xstrdup(r);
			for (char *c = dotted; *c; c++)
				if (*c == '/')
					*c = '.';
			char *slash = xasprintf("%s/", r);
			/* A whole excluded package (or resource directory) is not walked. */
			if (module_excluded(p, dotted) && resource_excluded(p, slash)) {
				p->st->excluded++;
			} else if (itg__pack_walk_stdlib(p, root, r) < 0) {
				free(dotted);
				free(slash);
				free(r);
				free(full);
				goto fail;
			}
			free(dotted);
			free(slash);
		} else if (S_ISREG(st.st_mode)) {
			consider(p, root, r, false);
		}
		free(r);
		free(full);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dir);
	return 0;
fail:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dir);
	return -1;
}

int
itg__pack_add_dist(struct itg_packer *p, const char *site, const char *distinfo)
{
	char *record = xasprintf("%s/%s/RECORD", site, distinfo);
	struct strvec rels = { 0 };
	size_t dlen = strlen(distinfo);

	if (itg_record_read(record, &rels) < 0) {
		itg__pack_fail(p, "cannot read '%s': %s", record, strerror(errno));
		strvec_free(&rels);
		free(record);
		return -1;
	}
	for (size_t i = 0; i < rels.n; i++) {
		const char *rel = rels.v[i];
		char *full = util_path_join(site, rel);
		if (rel[0] == '/' || util_starts_with(rel, "../") || strstr(rel, "/../") ||
		    strstr(rel, "__pycache__") || util_ends_with(rel, ".pyc") ||
		    util_is_shared_object(rel) || !util_is_file(full)) {
			/* scripts outside, bytecode, welded extensions, files not there */
		} else {
			bool meta = !strncmp(rel, distinfo, dlen) && rel[dlen] == '/';
			size_t before = p->n;
			consider(p, site, rel, meta);
			if (p->n > before)
				p->items[p->n - 1].from_site = true;
		}
		free(full);
	}
	strvec_free(&rels);
	free(record);
	p->st->dists++;
	return 0;
}

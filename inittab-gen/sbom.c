/*
 * sbom.c: a CycloneDX 1.5 JSON SBOM made from a weld's manifest.
 *
 * Made from the manifest alone (manifest.c), so the weld's APP.cdx.json
 * and `pyweld inspect --sbom` of the binary, anywhere, say the same.  The
 * components:
 *
 *   CPython        pkg:generic/cpython@VERSION, with Debian's source
 *                  package, version and patch count as properties
 *   distributions  pkg:pypi/NAME@VERSION (NAME normalised as PEP 503
 *                  says), the licence of METADATA as a licence name
 *   libraries      each static archive of the final link: pkg:deb/debian/
 *                  PACKAGE@VERSION?arch=ARCH when a Debian package installed
 *                  it (dpkg), else no PURL; its licence name
 *   extensions     each extension module, its objects and private archives
 *                  as components of type file with their SHA-256
 *
 * and the graph: the application depends on CPython and every
 * distribution, each of those on its extension modules, each extension on
 * the libraries its link needs (libpython's on CPython).  No timestamp and
 * no serial number: the same weld gives the same document.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/*
 * s with every byte outside [A-Za-z0-9.-_~] as %XX, for a PURL (malloc'd).
 * pypi: a name as the PURL specification's pypi type wants it, lower case
 * with '_' as '-' (its '.' stay, and runs are not collapsed: that is PEP
 * 503's normalisation, not the PURL's; normalised() makes that one).
 */
static char *
purl_escape(const char *s, bool pypi)
{
	struct strbuf sb = { 0 };

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if (pypi)
			c = c == '_' ? '-' : (unsigned char)tolower(c);
		if (isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~')
			strbuf_addc(&sb, (char)c);
		else
			strbuf_addf(&sb, "%%%02X", c);
	}
	return sb.s ? strbuf_detach(&sb) : xstrdup("");
}

/* A distribution's name as PEP 503 normalises it, escaped as purl_escape
 * does: the bom-refs and the key that finds an extension's distribution
 * (malloc'd). */
static char *
normalised(const char *name)
{
	char *pep = util_pep503_name(name), *out = purl_escape(pep, true);

	free(pep);
	return out;
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Whether the n bytes at p are the operator op, in any case. */
static bool
is_op(const char *p, size_t n, const char *op)
{
	return n == strlen(op) && !strncasecmp(p, op, n);
}

bool
itg_spdx_expression_like(const char *s)
{
	enum { START, OPEN, ID, EXCEPTION, CLOSE, OP, WITH } last = START;
	size_t depth = 0;

	if (!s || !*s || strlen(s) > 512)
		return false;
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, " ()");
		if (*p == ' ') {
			p++;
			continue;
		} else if (*p == '(') {
			if (last != START && last != OPEN && last != OP)
				return false;
			depth++;
			last = OPEN;
			p++;
			continue;
		} else if (*p == ')') {
			if ((last != ID && last != EXCEPTION && last != CLOSE) || depth-- == 0)
				return false;
			last = CLOSE;
			p++;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)p[i]) && !strchr(".-+:", p[i]))
				return false;
		if (is_op(p, n, "AND") || is_op(p, n, "OR")) {
			if (last != ID && last != EXCEPTION && last != CLOSE)
				return false;
			last = OP;
		} else if (is_op(p, n, "WITH")) {
			if (last != ID)
				return false;   /* WITH follows one licence, never a group */
			last = WITH;
		} else {
			if (last != START && last != OPEN && last != OP && last != WITH)
				return false;
			last = last == WITH ? EXCEPTION : ID;
		}
		p += n;
	}
	return depth == 0 && (last == ID || last == EXCEPTION || last == CLOSE);
}

/* Adds a licence: an SPDX expression when METADATA's License-Expression
 * (PEP 639) or the weld's licence table of libraries (from "table", SPDX
 * identifiers) gave one that looks like it, else a name (metadata says
 * anything, not always an SPDX identifier). */
static void
add_licence(json_t *comp, const char *licence, const char *from)
{
	if (!licence || !*licence || !strcmp(licence, "unknown") || !strcmp(licence, "UNKNOWN"))
		return;
	if (from && (!strcmp(from, "License-Expression") || !strcmp(from, "table")) &&
	    itg_spdx_expression_like(licence))
		json_object_set_new(comp, "licenses", json_pack("[{s:s}]", "expression", licence));
	else
		json_object_set_new(comp, "licenses", json_pack("[{s:{s:s}}]", "license",
		                    "name", licence));
}

/* A dependency entry: ref depends on refs (consumed). */
static void
depends(json_t *deps, const char *ref, json_t *refs)
{
	json_array_append_new(deps, json_pack("{s:s,s:o}", "ref", ref, "dependsOn", refs));
}

static json_t *
cpython(json_t *m)
{
	json_t *py = json_object_get(m, "python"), *src = json_object_get(py, "source");
	const char *v = str(py, "version") ? str(py, "version") : "unknown";
	char *ver = purl_escape(v, false), *purl = xasprintf("pkg:generic/cpython@%s", ver);
	json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[{s:{s:s}}]}", "type", "library",
	        "bom-ref", "cpython", "name", "cpython", "version", v, "purl", purl,
	        "licenses", "license", "id", "PSF-2.0");
	json_t *props = json_array();
	const char *keys[] = { "kind", "debian_package", "debian_version", NULL };
	for (size_t i = 0; keys[i]; i++)
		if (str(src, keys[i]))
			json_array_append_new(props, json_pack("{s:s,s:s}", "name", keys[i] == keys[0]
			        ? "pyweld:source" : keys[i] == keys[1] ? "pyweld:debian_source_package"
			        : "pyweld:debian_version", "value", str(src, keys[i])));
	if (json_is_integer(json_object_get(src, "debian_patches"))) {
		char *n = xasprintf("%lld", (long long)json_integer_value(
		                    json_object_get(src, "debian_patches")));
		json_array_append_new(props, json_pack("{s:s,s:s}", "name",
		                      "pyweld:debian_patches", "value", n));
		free(n);
	}
	json_object_set_new(c, "properties", props);
	free(purl);
	free(ver);
	return c;
}

/* A distribution's archive (the manifest's source): its SHA-256 as the
 * component's hash, where it came from as a distribution reference, and
 * what is not known as properties (no hash is made up). */
static void
source(json_t *c, json_t *src, const char *direct_url)
{
	const char *url = str(src, "url") ? str(src, "url") : direct_url;
	json_t *props = json_array();

	if (str(src, "sha256"))
		json_object_set_new(c, "hashes", json_pack("[{s:s,s:s}]", "alg", "SHA-256",
		                    "content", str(src, "sha256")));
	if (url)
		json_object_set_new(c, "externalReferences", json_pack("[{s:s,s:s}]",
		                    "type", "distribution", "url", url));
	if (str(src, "kind"))
		json_array_append_new(props, json_pack("{s:s,s:s}", "name", "pyweld:source_kind",
		                      "value", str(src, "kind")));
	if (str(src, "sha256_from"))
		json_array_append_new(props, json_pack("{s:s,s:s}", "name", "pyweld:sha256_from",
		                      "value", str(src, "sha256_from")));
	if (!str(src, "sha256")) {
		char *why = xasprintf("unknown: %s", str(src, "unknown") ? str(src, "unknown")
		                      : "the manifest records no source");
		json_array_append_new(props, json_pack("{s:s,s:s}", "name", "pyweld:sha256",
		                      "value", why));
		free(why);
	}
	json_object_set_new(c, "properties", props);
}

/* The distributions; app's dependencies on them; refs by normalised name
 * in dists. */
static void
distributions(json_t *m, json_t *comps, json_t *app_deps, json_t *dists)
{
	size_t i;
	json_t *d;

	json_array_foreach(json_object_get(m, "distributions"), i, d) {
		const char *name = str(d, "name") ? str(d, "name") : str(d, "dist_info");
		const char *version = str(d, "version") ? str(d, "version") : "unknown";
		if (!name)
			continue;
		char *n = normalised(name), *v = purl_escape(version, false);
		char *pn = purl_escape(name, true);
		char *ref = xasprintf("pypi:%s", n), *purl = xasprintf("pkg:pypi/%s@%s", pn, v);
		json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "library", "bom-ref", ref,
		                      "name", name, "version", version, "purl", purl);
		add_licence(c, str(d, "licence"), str(d, "licence_from"));
		source(c, json_object_get(d, "source"), str(d, "direct_url"));
		json_array_append_new(comps, c);
		json_array_append_new(app_deps, json_string(ref));
		json_object_set_new(dists, n, json_string(ref));
		free(purl);
		free(ref);
		free(pn);
		free(v);
		free(n);
	}
}

/* The static libraries; refs by path in libs; libpython is CPython. */
static void
libraries(json_t *m, json_t *comps, json_t *libs)
{
	size_t i;
	json_t *l;

	json_array_foreach(json_object_get(m, "libraries"), i, l) {
		const char *name = str(l, "name"), *path = str(l, "path");
		json_t *deb = json_object_get(l, "debian");
		if (!name || !path)
			continue;
		if (i == 0 && !strcmp(name, "python")) {
			json_object_set_new(libs, path, json_string("cpython"));
			continue;
		}
		char *ref = xasprintf("lib:%s", path), *label = xasprintf("lib%s", name);
		json_t *c = json_pack("{s:s,s:s,s:s}", "type", "library", "bom-ref", ref,
		                      "name", label);
		const char *pkg = str(deb, "package"), *ver = str(deb, "version");
		if (pkg && ver) {
			size_t n = strcspn(pkg, ":");
			char *p = strndup(pkg, n), *pe = purl_escape(p, false);
			char *ve = purl_escape(ver, false), *ae = purl_escape(pkg[n] ? pkg + n + 1 : "",
			                                                     false);
			char *purl = xasprintf("pkg:deb/debian/%s@%s%s%s", pe, ve, *ae ? "?arch=" : "",
			                       ae);
			json_object_set_new(c, "version", json_string(ver));
			json_object_set_new(c, "purl", json_string(purl));
			json_object_set_new(c, "supplier", json_pack("{s:s}", "name", "Debian"));
			free(purl);
			free(ae);
			free(ve);
			free(pe);
			free(p);
		}
		if (str(l, "sha256"))
			json_object_set_new(c, "hashes", json_pack("[{s:s,s:s}]", "alg", "SHA-256",
			                    "content", str(l, "sha256")));
		add_licence(c, str(l, "licence"), "table");
		json_object_set_new(c, "properties", json_pack("[{s:s,s:s}]", "name",
		                    "pyweld:path", "value", path));
		json_array_append_new(comps, c);
		json_object_set_new(libs, path, json_string(ref));
		free(label);
		free(ref);
	}
}

/* An extension's objects and private archives as file components. */
static json_t *
files_of(json_t *e, const char *ref)
{
	json_t *out = json_array(), *o;
	const char *lists[] = { "objects", "archives" };
	size_t i, k = 0;

	for (size_t li = 0; li < 2; li++)
		json_array_foreach(json_object_get(e, lists[li]), i, o) {
			const char *sha = str(o, "sha256");
			if (!sha)
				continue;
			char *fref = xasprintf("%s#%zu", ref, k++);
			json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:[{s:s,s:s}]}",
			        "type", "file", "bom-ref", fref,
			        "name", str(o, "name") ? str(o, "name") : sha,
			        "hashes", "alg", "SHA-256", "content", sha));
			free(fref);
		}
	return out;
}

/* The libraries an extension's build compiled from its own copies of
 * their sources: a component each, its sources as files, on which the
 * extension (on: its dependencies) depends. */
static void
vendored(json_t *e, const char *ext_ref, json_t *comps, json_t *deps, json_t *on)
{
	size_t i, k;
	json_t *v, *src;
	const char *pkg = str(e, "package") ? str(e, "package") : "?";

	json_array_foreach(json_object_get(e, "vendored"), i, v) {
		const char *name = str(v, "name"), *dir = str(v, "dir");
		if (!name || !dir)
			continue;
		char *ref = xasprintf("vendored:%s:%s", ext_ref + strlen("ext:"), dir);
		for (unsigned char *b = (unsigned char *)ref; *b; b++)
			if (*b < 0x20 || *b >= 0x80)
				*b = '_';       /* a reference in the graph: plain text */
		char *what = xasprintf("vendored in %s%s%s: built from its own copy of the sources "
		                       "in %s", pkg, str(e, "version") ? " " : "",
		                       str(e, "version") ? str(e, "version") : "", dir);
		json_t *c = json_pack("{s:s,s:s,s:o,s:o}", "type", "library", "bom-ref", ref,
		                      "name", itg__jstr(name), "description", itg__jstr(what));
		json_t *files = json_array();
		if (str(v, "version"))
			json_object_set_new(c, "version", json_string(str(v, "version")));
		json_array_foreach(json_object_get(v, "sources"), k, src) {
			char *fref = xasprintf("%s#%zu", ref, k);
			json_t *f = json_pack("{s:s,s:s,s:o}", "type", "file", "bom-ref", fref,
			                      "name", itg__jstr(str(src, "path") ? str(src, "path") : "?"));
			if (str(src, "sha256"))
				json_object_set_new(f, "hashes", json_pack("[{s:s,s:s}]", "alg", "SHA-256",
				                    "content", str(src, "sha256")));
			json_array_append_new(files, f);
			free(fref);
		}
		json_object_set_new(c, "components", files);
		json_object_set_new(c, "properties", json_pack("[{s:s,s:o},{s:s,s:o}]",
		                    "name", "pyweld:vendored_in", "value", itg__jstr(pkg),
		                    "name", "pyweld:dir", "value", itg__jstr(dir)));
		json_array_append_new(comps, c);
		json_array_append_new(on, json_string(ref));
		depends(deps, ref, json_array());
		free(what);
		free(ref);
	}
}

/* The extensions, their files, and the graph from owners to libraries. */
static void
extensions(json_t *m, json_t *comps, json_t *deps, json_t *dists, json_t *libs,
           json_t *owned)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(m, "extensions"), i, e) {
		const char *name = str(e, "name"), *pkg = str(e, "package");
		if (!name)
			continue;
		char *ref = xasprintf("ext:%s", name);
		json_t *c = json_pack("{s:s,s:s,s:s}", "type", "library", "bom-ref", ref,
		                      "name", name);
		if (str(e, "version"))
			json_object_set_new(c, "version", json_string(str(e, "version")));
		json_object_set_new(c, "components", files_of(e, ref));
		json_array_append_new(comps, c);
		/* Its owner: a distribution, or CPython for the standard library's. */
		char *norm = normalised(pkg ? pkg : "");
		const char *owner = pkg && !strcmp(pkg, "python") ? "cpython"
		                    : json_string_value(json_object_get(dists, norm));
		free(norm);
		if (owner) {
			json_t *list = json_object_get(owned, owner);
			if (!list)
				json_object_set_new(owned, owner, list = json_array());
			json_array_append_new(list, json_string(ref));
		}
		json_t *on = json_array();
		size_t k;
		json_t *l;
		json_array_foreach(json_object_get(m, "libraries"), k, l) {
			size_t u;
			json_t *user;
			const char *lref = json_string_value(json_object_get(libs, str(l, "path") ?
			                                     str(l, "path") : ""));
			json_array_foreach(json_object_get(l, "used_by"), u, user)
				if (lref && json_is_string(user) && !strcmp(json_string_value(user), name))
					json_array_append_new(on, json_string(lref));
		}
		vendored(e, ref, comps, deps, on);
		depends(deps, ref, on);
		free(ref);
	}
}

char *
itg_sbom_cyclonedx(const char *manifest, const char *app_name, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *m = json_loads(manifest, 0, &jerr);
	json_t *comps, *deps, *app_deps, *dists, *libs, *owned, *bom, *v;
	const char *k;
	char *text;

	if (!json_is_object(m)) {
		snprintf(err, errlen, "the manifest is not a JSON object: %s", jerr.text);
		json_decref(m);
		return NULL;
	}
	comps = json_array();
	deps = json_array();
	app_deps = json_pack("[s]", "cpython");
	dists = json_object();
	libs = json_object();
	owned = json_object();
	json_array_append_new(comps, cpython(m));
	distributions(m, comps, app_deps, dists);
	libraries(m, comps, libs);
	extensions(m, comps, deps, dists, libs, owned);
	depends(deps, "app", app_deps);
	json_object_foreach(dists, k, v)
		if (!json_object_get(owned, json_string_value(v)))
			depends(deps, json_string_value(v), json_array());
	json_object_foreach(owned, k, v)
		depends(deps, k, json_incref(v));
	if (!json_object_get(owned, "cpython"))
		depends(deps, "cpython", json_array());
	json_object_foreach(libs, k, v)
		if (strcmp(json_string_value(v), "cpython"))
			depends(deps, json_string_value(v), json_array());
	bom = json_pack("{s:s,s:s,s:i,s:{s:{s:[{s:s,s:s,s:s}]},s:{s:s,s:s,s:o}},s:o,s:o}",
	        "bomFormat", "CycloneDX", "specVersion", "1.5", "version", 1,
	        "metadata", "tools", "components", "type", "application", "name", "pyweld",
	        "version", str(json_object_get(m, "pyweld"), "version") ?
	        str(json_object_get(m, "pyweld"), "version") : "unknown",
	        "component", "type", "application", "bom-ref", "app", "name",
	        itg__jstr(app_name && *app_name ? app_name : "app"),
	        "components", comps, "dependencies", deps);
	text = bom ? json_dumps(bom, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	if (!text)
		snprintf(err, errlen, "cannot make the SBOM: out of memory");
	json_decref(bom);
	json_decref(owned);
	json_decref(libs);
	json_decref(dists);
	json_decref(m);
	return text;
}

int
itg__write_sbom(struct itg_weld *w)
{
	bool spdx = w->plan->sbom_format && !strcmp(w->plan->sbom_format, "spdx");
	char err[256], *manifest = NULL, *sbom = NULL;
	char *path = xasprintf("%s.%s.json", w->plan->out_abs, spdx ? "spdx" : "cdx");
	char *other = xasprintf("%s.%s.json", w->plan->out_abs, spdx ? "cdx" : "spdx");
	const char *app = util_basename(w->plan->out_abs);
	int rc = -1;

	/* The other format's document of an earlier build describes that one. */
	if (unlink(other) < 0 && errno != ENOENT)
		itg__warn(w, "'%s' describes an earlier build and cannot be removed: %s", other,
		          strerror(errno));
	if (itg_manifest_read(w->plan->out_abs, &manifest, err, sizeof(err)) < 0 ||
	    !(sbom = spdx ? itg_sbom_spdx(manifest, app, err, sizeof(err))
	                  : itg_sbom_cyclonedx(manifest, app, err, sizeof(err)))) {
		itg__fail(w, "cannot make the SBOM of '%s': %s", w->plan->output, err);
		goto out;
	}
	char *line = xasprintf("%s\n", sbom);
	free(sbom);
	sbom = line;
	if (util_write_atomic(path, sbom, strlen(sbom), 0644, true) < 0) {
		itg__fail(w, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	itg__note(w, "SBOM: '%s.%s.json' (%s)", w->plan->output, spdx ? "spdx" : "cdx",
	          spdx ? "SPDX 2.3" : "CycloneDX 1.5");
	rc = 0;
out:
	/* An SBOM of an earlier binary must not stand beside this one. */
	if (rc < 0 && unlink(path) < 0 && errno != ENOENT)
		itg__warn(w, "'%s' describes an earlier build and cannot be removed: %s", path,
		          strerror(errno));
	free(sbom);
	free(manifest);
	free(other);
	free(path);
	return rc;
}

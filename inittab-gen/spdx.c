/*
 * spdx.c: an SPDX 2.3 JSON document made from a weld's manifest.
 *
 * Made from the CycloneDX SBOM of the same manifest (sbom.c), so the two
 * name the same components and the same graph:
 *
 *   the application      SPDXRef-1-app, which the document DESCRIBES and
 *                        which CONTAINS every package below (all of it is
 *                        linked or packed into the one executable)
 *   each component       a package: its version, its PURL as a
 *                        PACKAGE-MANAGER purl external reference, Debian as
 *                        the supplier of a Debian package's library
 *   an extension's files packages of purpose FILE with their SHA-256, which
 *                        the extension CONTAINS (an SPDX file needs a SHA-1
 *                        the link database does not have)
 *   the graph            a DEPENDS_ON relationship for every CycloneDX
 *                        dependency
 *
 * Licences: an SPDX expression (METADATA's License-Expression, the weld's
 * table of library licences) as licenseDeclared; a licence name (License:,
 * classifiers) as a LicenseRef- of the document with the name as its text;
 * nothing known: NOASSERTION.  The documentNamespace is made from the
 * manifest's SHA-256 (unique per weld, the same for the same weld) and
 * creationInfo.created is 1970-01-01T00:00:00Z: the manifest holds no time,
 * and the same weld gives the same bytes.
 */
#include "internal.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "linkdb.h"

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* "SPDXRef-N-REF", REF's bytes outside [A-Za-z0-9.-] as '-' (malloc'd). */
static char *
spdx_id(size_t n, const char *ref)
{
	char *id = xasprintf("SPDXRef-%zu-%s", n, ref);

	for (char *p = id + strlen("SPDXRef-"); *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			*p = '-';
	return id;
}

struct doc {
	json_t *packages, *relationships, *extracted;
	json_t *ids;            /* bom-ref: SPDXID */
	json_t *refs;           /* licence name: LicenseRef- */
	size_t n;
};

static void
relate(struct doc *d, const char *a, const char *type, const char *b)
{
	json_array_append_new(d->relationships, json_pack("{s:s,s:s,s:s}", "spdxElementId", a,
	                      "relationshipType", type, "relatedSpdxElement", b));
}

/* Whether the document already has an extracted licence of this id. */
static bool
taken(struct doc *d, const char *id)
{
	size_t i;
	json_t *x;

	json_array_foreach(d->extracted, i, x)
		if (!strcmp(str(x, "licenseId"), id))
			return true;
	return false;
}

/* base, or base-N with the first N from n that no extracted licence of
 * the document has (malloc'd): METADATA may name any LicenseRef-. */
static char *
unique(struct doc *d, const char *base, size_t n)
{
	char *r = xstrdup(base);

	while (taken(d, r)) {
		free(r);
		r = xasprintf("%s-%zu", base, n++);
	}
	return r;
}

/* The document's LicenseRef- for an identifier SPDX's list does not hold
 * (or for a LicenseRef- of METADATA's, which this document must define):
 * LicenseRef-ID, ID's bytes outside [A-Za-z0-9.-] as '-', with the
 * identifier as its extracted text. */
static const char *
licence_ref(struct doc *d, const char *id)
{
	char *key = xasprintf("id\n%s", id);
	const char *ref = str(d->refs, key);

	if (!ref) {
		char *r = util_starts_with(id, "LicenseRef-") && id[strlen("LicenseRef-")]
		          ? xstrdup(id) : xasprintf("LicenseRef-%s", id);
		for (char *p = r + strlen("LicenseRef-"); *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
				*p = '-';
		char *u = unique(d, r, json_array_size(d->extracted) + 1);
		free(r);
		r = u;
		json_object_set_new(d->refs, key, json_string(r));
		json_array_append_new(d->extracted, json_pack("{s:s,s:o,s:o,s:s}", "licenseId", r,
		                      "name", itg__jstr(id), "extractedText", itg__jstr(id), "comment",
		                      "an identifier of the package's licence expression that is not "
		                      "on the SPDX licence list"));
		free(r);
		ref = str(d->refs, key);
	}
	free(key);
	return ref;
}

/* An SPDX expression as licenseDeclared: each identifier as SPDX's list
 * spells it, or a LicenseRef- of the document for one the list does not
 * hold; an exception after WITH that the list does not hold makes the whole
 * expression one LicenseRef- (a LicenseRef- cannot follow WITH). */
static json_t *
expression(struct doc *d, const char *expr)
{
	struct strbuf sb = { 0 };
	bool with = false, bad = false;

	for (const char *p = expr; *p && !bad;) {
		if (strchr(" ()", *p)) {
			strbuf_addc(&sb, *p++);
			continue;
		}
		size_t n = strcspn(p, " ()");
		char *tok = strndup(p, n);
		const char *known;
		p += n;
		if (!strcasecmp(tok, "AND") || !strcasecmp(tok, "OR") || !strcasecmp(tok, "WITH")) {
			with = !strcasecmp(tok, "WITH");
			for (char *c = tok; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			strbuf_adds(&sb, tok);
		} else if (with) {
			with = false;
			if ((known = itg_spdx_known(tok, true)))
				strbuf_adds(&sb, known);
			else
				bad = true;
		} else {
			known = itg_spdx_known(tok, false);
			strbuf_adds(&sb, known ? known : licence_ref(d, tok));
		}
		free(tok);
	}
	json_t *out = json_string(bad || !sb.s ? licence_ref(d, expr) : sb.s);
	strbuf_free(&sb);
	return out;
}

/* licenseDeclared from a CycloneDX component's licences. */
static json_t *
declared(struct doc *d, json_t *comp)
{
	json_t *l = json_array_get(json_object_get(comp, "licenses"), 0);
	const char *expr = str(l, "expression");
	const char *name = str(json_object_get(l, "license"), "name");
	const char *id = str(json_object_get(l, "license"), "id");

	if (expr || id)
		return expression(d, expr ? expr : id);
	if (!name)
		return json_string("NOASSERTION");
	const char *ref = str(d->refs, name);
	if (!ref) {
		char *base = xasprintf("LicenseRef-pyweld-%zu", json_object_size(d->refs) + 1);
		char *r = unique(d, base, 2);
		free(base);
		json_object_set_new(d->refs, name, json_string(r));
		json_array_append_new(d->extracted, json_pack("{s:s,s:s,s:s}", "licenseId", r,
		                      "name", name, "extractedText", name));
		free(r);
		ref = str(d->refs, name);
	}
	return json_string(ref);
}

/* downloadLocation from a component's distribution reference when it is
 * a URL that locates (http, https: a local file:// path does not, and
 * stays NOASSERTION), and sourceInfo saying where it came from and, when
 * its archive's hash is unknown, why. */
static void
download(json_t *p, json_t *comp)
{
	size_t i;
	json_t *r, *prop;
	const char *url = NULL, *kind = NULL, *unknown = NULL;

	json_array_foreach(json_object_get(comp, "externalReferences"), i, r)
		if (str(r, "type") && !strcmp(str(r, "type"), "distribution"))
			url = str(r, "url");
	json_array_foreach(json_object_get(comp, "properties"), i, prop) {
		const char *n = str(prop, "name") ? str(prop, "name") : "";
		if (!strcmp(n, "pyweld:source_kind"))
			kind = str(prop, "value");
		else if (!strcmp(n, "pyweld:sha256"))
			unknown = str(prop, "value");
	}
	if (url && (util_starts_with(url, "https://") || util_starts_with(url, "http://")) &&
	    !strpbrk(url, " \t\r\n"))
		json_object_set_new(p, "downloadLocation", json_string(url));
	if (!url)
		return;
	char *info = xasprintf("built from %s%s%s%s%s", kind ? kind : "", kind ? " " : "", url,
	                       unknown ? "; its sha256: " : "", unknown ? unknown : "");
	json_object_set_new(p, "sourceInfo", itg__jstr(info));
	free(info);
}

/* A package of a CycloneDX component (and of its files), which container
 * CONTAINS. */
static void
package(struct doc *d, json_t *comp, const char *container)
{
	const char *ref = str(comp, "bom-ref"), *type = str(comp, "type");
	bool file = type && !strcmp(type, "file");
	char *id = spdx_id(++d->n, ref ? ref : "component");
	json_t *p = json_pack("{s:s,s:s,s:s,s:b,s:s}", "SPDXID", id, "name",
	                      str(comp, "name") ? str(comp, "name") : "unknown",
	                      "downloadLocation", "NOASSERTION", "filesAnalyzed", 0,
	                      "primaryPackagePurpose", file ? "FILE" : "LIBRARY");
	size_t i;
	json_t *h, *sub;

	if (str(comp, "version"))
		json_object_set_new(p, "versionInfo", json_string(str(comp, "version")));
	if (str(json_object_get(comp, "supplier"), "name")) {
		char *s = xasprintf("Organization: %s", str(json_object_get(comp, "supplier"), "name"));
		json_object_set_new(p, "supplier", json_string(s));
		free(s);
	}
	json_array_foreach(json_object_get(comp, "hashes"), i, h) {
		if (!json_object_get(p, "checksums"))
			json_object_set_new(p, "checksums", json_array());
		json_array_append_new(json_object_get(p, "checksums"), json_pack("{s:s,s:s}",
		                      "algorithm", "SHA256", "checksumValue", str(h, "content")));
	}
	download(p, comp);
	json_object_set_new(p, "licenseConcluded", json_string("NOASSERTION"));
	json_object_set_new(p, "licenseDeclared", file ? json_string("NOASSERTION")
	                    : declared(d, comp));
	json_object_set_new(p, "copyrightText", json_string("NOASSERTION"));
	if (str(comp, "purl"))
		json_object_set_new(p, "externalRefs", json_pack("[{s:s,s:s,s:s}]",
		                    "referenceCategory", "PACKAGE-MANAGER", "referenceType", "purl",
		                    "referenceLocator", str(comp, "purl")));
	json_array_append_new(d->packages, p);
	relate(d, container, "CONTAINS", id);
	if (ref)
		json_object_set_new(d->ids, ref, json_string(id));
	json_array_foreach(json_object_get(comp, "components"), i, sub)
		package(d, sub, id);
	free(id);
}

/* The SPDX document of a CycloneDX BOM (sbom.c's), the manifest's hash. */
static json_t *
from_cyclonedx(json_t *bom, const char *digest)
{
	json_t *meta = json_object_get(bom, "metadata"), *app = json_object_get(meta, "component");
	json_t *tool = json_array_get(json_object_get(json_object_get(meta, "tools"),
	                                              "components"), 0);
	struct doc d = { json_array(), json_array(), json_array(), json_object(), json_object(), 1 };
	const char *name = str(app, "name") ? str(app, "name") : "app";
	size_t i, k;
	json_t *c, *dep, *on;

	json_array_append_new(d.packages, json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:s}",
	        "SPDXID", "SPDXRef-1-app", "name", name, "downloadLocation", "NOASSERTION",
	        "filesAnalyzed", 0, "primaryPackagePurpose", "APPLICATION",
	        "licenseConcluded", "NOASSERTION", "licenseDeclared", "NOASSERTION",
	        "copyrightText", "NOASSERTION"));
	json_object_set_new(d.ids, "app", json_string("SPDXRef-1-app"));
	relate(&d, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-1-app");
	json_array_foreach(json_object_get(bom, "components"), i, c)
		package(&d, c, "SPDXRef-1-app");
	json_array_foreach(json_object_get(bom, "dependencies"), i, dep) {
		const char *from = str(d.ids, str(dep, "ref") ? str(dep, "ref") : "");
		json_array_foreach(json_object_get(dep, "dependsOn"), k, on) {
			const char *to = str(d.ids, json_string_value(on) ? json_string_value(on) : "");
			if (from && to)
				relate(&d, from, "DEPENDS_ON", to);
		}
	}
	char *ns = xasprintf("https://pyweld.invalid/spdx/%s", digest);
	char *creator = xasprintf("Tool: pyweld-%s", str(tool, "version") ? str(tool, "version")
	                          : "unknown");
	json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:[s]},s:[s],s:o,s:o}",
	        "spdxVersion", "SPDX-2.3", "dataLicense", "CC0-1.0", "SPDXID", "SPDXRef-DOCUMENT",
	        "name", name, "documentNamespace", ns,
	        "creationInfo", "created", "1970-01-01T00:00:00Z", "creators", creator,
	        "documentDescribes", "SPDXRef-1-app",
	        "packages", d.packages, "relationships", d.relationships);
	if (json_array_size(d.extracted))
		json_object_set(doc, "hasExtractedLicensingInfos", d.extracted);
	json_decref(d.extracted);
	json_decref(d.ids);
	json_decref(d.refs);
	free(creator);
	free(ns);
	return doc;
}

char *
itg_sbom_spdx(const char *manifest, const char *app_name, char *err, size_t errlen)
{
	char *cdx = itg_sbom_cyclonedx(manifest, app_name, err, errlen), *text = NULL;
	char digest[LINKDB_HASH_HEX + 1];
	json_t *bom, *doc;

	if (!cdx)
		return NULL;
	bom = json_loads(cdx, 0, NULL);
	linkdb_hash_buffer(manifest, strlen(manifest), digest);
	doc = bom ? from_cyclonedx(bom, digest) : NULL;
	text = doc ? json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	if (!text)
		snprintf(err, errlen, "cannot make the SPDX document: out of memory");
	json_decref(doc);
	json_decref(bom);
	free(cdx);
	return text;
}

/*
 * policy.c: the licence policy of a weld (--deny-licence).
 *
 * Checked on the manifest (manifest.c), the one place that knows every
 * distribution's licence from its METADATA and every static library's
 * licence, Debian package and users, after the final link and before the
 * binary is written: a distribution or a static library whose licence
 * matches one of the plan's patterns (pcre2, unanchored) fails the weld,
 * each denied licence named with the chain that brings it in:
 *
 *   APP -> extension pwinsp._ext (pwinsp 1.0) -> libz.a (Debian zlib1g-dev
 *   1:1.2.13.dfsg-1: Zlib)
 *
 * The default report is the same chains: a static library whose licence
 * reaches the whole binary (the licence table's copyleft, licence.c) that
 * no pattern denies is a warning.
 */
#include "internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAINS_SHOWN 8          /* more denied chains are counted, not listed */

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static pcre2_code *
compile(const char *pat, char *err, size_t errlen)
{
	int ecode;
	PCRE2_SIZE eoff;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
	                               &ecode, &eoff, NULL);

	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ecode, msg, sizeof(msg));
		snprintf(err, errlen, "at offset %zu: %s", (size_t)eoff, (const char *)msg);
	}
	return re;
}

bool
itg_licence_pattern_ok(const char *re, char *err, size_t errlen)
{
	pcre2_code *c = compile(re, err, errlen);

	pcre2_code_free(c);
	return c != NULL;
}

/* The first of the plan's patterns that licence matches, or NULL. */
static const char *
denied(const struct itg_plan *p, pcre2_code **res, pcre2_match_data *md, const char *licence)
{
	for (size_t i = 0; licence && i < p->ndeny_licences; i++)
		if (res[i] && pcre2_match(res[i], (PCRE2_SPTR)licence, PCRE2_ZERO_TERMINATED, 0, 0,
		                          md, NULL) >= 0)
			return p->deny_licences[i];
	return NULL;
}

/* "extension NAME (DIST VERSION)" of an extension module's name. */
static char *
extension_label(json_t *m, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(m, "extensions"), i, e) {
		const char *pkg = str(e, "package");
		if (!str(e, "name") || strcmp(str(e, "name"), name))
			continue;
		if (pkg && !strcmp(pkg, "python"))
			return xasprintf("extension %s (the standard library)", name);
		return xasprintf("extension %s (%s %s)", name, pkg ? pkg : "?",
		                 str(e, "version") ? str(e, "version") : "?");
	}
	return xasprintf("extension %s", name);
}

/* "libz.a (Debian zlib1g-dev 1:1.2.13: Zlib)" of a library of the manifest. */
static char *
library_label(json_t *l)
{
	json_t *deb = json_object_get(l, "debian");
	const char *path = str(l, "path") ? str(l, "path") : "?";

	if (str(deb, "package"))
		return xasprintf("%s (Debian %s %s: %s)", util_basename(path), str(deb, "package"),
		                 str(deb, "version") ? str(deb, "version") : "?", str(l, "licence"));
	return xasprintf("%s (%s)", util_basename(path), str(l, "licence"));
}

/* Adds a chain to the list of denied ones (its first CHAINS_SHOWN). */
static void
add_chain(struct strbuf *sb, size_t *n, char *chain, const char *re)
{
	if ((*n)++ < CHAINS_SHOWN)
		strbuf_addf(sb, "\n  %s: --deny-licence '%s'", util_safe_text(chain), re);
}

/* Each chain to a library: denied ones into sb, copyleft ones warned. */
static void
library_chains(struct itg_weld *w, json_t *m, json_t *l, const char *re, struct strbuf *sb,
               size_t *n)
{
	const char *app = util_basename(w->plan->output);
	bool copyleft = false;
	char *label = library_label(l);
	json_t *users = json_object_get(l, "used_by"), *u;
	size_t i;

	if (str(l, "name"))
		itg_licence(str(l, "name"), &copyleft);
	if (!re && !copyleft)
		goto out;
	json_array_foreach(users, i, u) {
		char *ext = extension_label(m, json_string_value(u) ? json_string_value(u) : "?");
		char *chain = xasprintf("%s -> %s -> %s", app, ext, label);
		if (re)
			add_chain(sb, n, chain, re);
		else
			itg__warn(w, "%s: that licence reaches the whole binary", util_safe_text(chain));
		free(chain);
		free(ext);
	}
	if (!json_array_size(users)) {
		char *chain = xasprintf("%s -> %s", app, label);
		if (re)
			add_chain(sb, n, chain, re);
		else
			itg__warn(w, "%s: that licence reaches the whole binary", util_safe_text(chain));
		free(chain);
	}
out:
	free(label);
}

int
itg__licence_policy(struct itg_weld *w, json_t *m)
{
	const struct itg_plan *p = w->plan;
	const char *app = util_basename(p->output);
	pcre2_code **res = xcalloc(p->ndeny_licences + 1, sizeof(*res));
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	struct strbuf sb = { 0 };
	char err[256];
	size_t i, n = 0;
	json_t *x;
	int rc = -1;

	for (i = 0; i < p->ndeny_licences; i++)
		if (!(res[i] = compile(p->deny_licences[i], err, sizeof(err)))) {
			itg__fail(w, "bad --deny-licence pattern '%s' %s", p->deny_licences[i], err);
			goto out;
		}
	json_array_foreach(json_object_get(m, "distributions"), i, x) {
		const char *re = denied(p, res, md, str(x, "licence"));
		if (!re)
			continue;
		char *chain = xasprintf("%s -> distribution %s %s (%s)", app,
		                        str(x, "name") ? str(x, "name") : str(x, "dist_info"),
		                        str(x, "version") ? str(x, "version") : "?",
		                        str(x, "licence"));
		add_chain(&sb, &n, chain, re);
		free(chain);
	}
	json_array_foreach(json_object_get(m, "libraries"), i, x)
		library_chains(w, m, x, denied(p, res, md, str(x, "licence")), &sb, &n);
	if (n) {
		itg__fail(w, "cannot weld '%s': it would hold a licence that --deny-licence "
		          "denies (%zu chain%s)%s%s\nhint: leave out what brings it in (the package, or "
		          "--without-module for a standard-library module), or take back the "
		          "pattern; `pyweld inspect --json` of a binary lists every licence",
		          p->output, n, n == 1 ? "" : "s", sb.s ? sb.s : "",
		          n > CHAINS_SHOWN ? "\n  ..." : "");
		goto out;
	}
	rc = 0;
out:
	strbuf_free(&sb);
	pcre2_match_data_free(md);
	for (i = 0; i < p->ndeny_licences; i++)
		pcre2_code_free(res[i]);
	free(res);
	return rc;
}

/*
 * sources.c: where each Python distribution of a weld came from, and the
 * SHA-256 of the archive it was built or installed from.
 *
 * Two records say it, both written by pip:
 *
 *   pip-report.json   the work directory's copy of `pip install --report`
 *                     (cli/build_install.c asks for it): for every
 *                     distribution installed, download_info's url and, for
 *                     an archive, its hash (the package index's, which pip
 *                     checked, or the one pip took of a local file)
 *   direct_url.json   in the .dist-info of a distribution installed from a
 *                     URL or a path (PEP 610): the same download_info
 *
 * A wheel the build cache made of a local sdist and gave pip in its place
 * is named in the report as that sdist, with the hash the cache took of it:
 * cli/build_reuse.c rewrites the report when the install is done.
 *
 * The report wins; an archive whose hash neither gives is "unknown", with
 * why (a local directory has no archive, a checkout neither): never a
 * hash pyweld made up.  URLs lose any user:password@ and their query
 * (an index's credentials, a signed URL's signature: nothing to ship
 * inside a binary).
 */
#include "internal.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

json_t *
itg__pip_report(const struct itg_plan *p)
{
	char *path = p->work ? util_path_join(p->work, "pip-report.json") : NULL;
	json_t *r = path ? json_load_file(path, 0, NULL) : NULL;

	free(path);
	if (r && !json_is_array(json_object_get(r, "install"))) {
		json_decref(r);
		r = NULL;
	}
	return r;
}

/* The SHA-256 of archive_info ("hashes": {"sha256"} or "hash": "sha256=..."),
 * when it is 64 hex digits, lower case; or NULL. */
static char *
archive_sha256(json_t *archive)
{
	const char *h = str(json_object_get(archive, "hashes"), "sha256");
	const char *one = str(archive, "hash");

	if (!h && one && util_starts_with(one, "sha256="))
		h = one + strlen("sha256=");
	if (!h || strlen(h) != 64 || strspn(h, "0123456789abcdefABCDEF") != 64)
		return NULL;
	char *out = xstrdup(h);
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return out;
}

/* The download_info of name in the report, or NULL. */
static json_t *
reported(json_t *report, const char *name)
{
	size_t i;
	json_t *e;
	char *want = util_pep503_name(name);
	json_t *found = NULL;

	json_array_foreach(json_object_get(report, "install"), i, e) {
		const char *n = str(json_object_get(e, "metadata"), "name");
		char *got = n ? util_pep503_name(n) : NULL;
		if (got && !strcmp(got, want) && json_is_object(json_object_get(e, "download_info")))
			found = json_object_get(e, "download_info");
		free(got);
		if (found)
			break;
	}
	free(want);
	return found;
}

json_t *
itg__dist_source(json_t *report, const char *name, json_t *direct)
{
	json_t *info = name ? reported(report, name) : NULL;
	const char *from = "pip-report.json";

	if (!info && json_is_object(direct) && str(direct, "url")) {
		info = direct;
		from = "direct_url.json";
	}
	if (!info || !str(info, "url"))
		return json_pack("{s:n,s:n,s:n,s:n,s:s}", "kind", "url", "sha256", "sha256_from",
		                 "unknown", report ? "pip's install report does not name it"
		                 : "no pip install report in the work directory");
	json_t *archive = json_object_get(info, "archive_info");
	char *url = util_url_without_credentials(str(info, "url"));
	char *sha = json_is_object(archive) ? archive_sha256(archive) : NULL;
	const char *kind = json_object_get(info, "dir_info") ? "directory"
	                   : json_object_get(info, "vcs_info") ? "vcs"
	                   : !json_is_object(archive) ? NULL
	                   : util_ends_with(url, ".whl") ? "wheel" : "sdist";
	const char *why = sha ? NULL : !kind ? "pip's record names no archive"
	                  : !strcmp(kind, "directory") ? "built from a directory, not an archive"
	                  : !strcmp(kind, "vcs") ? "built from a version control checkout"
	                  : "pip gave no hash of the archive";
	json_t *o = json_pack("{s:s?,s:o,s:o,s:s?,s:s?}", "kind", kind, "url", itg__jstr(url),
	                      "sha256", itg__jstr(sha), "sha256_from", sha ? from : NULL,
	                      "unknown", why);
	free(sha);
	free(url);
	return o;
}

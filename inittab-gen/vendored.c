/*
 * vendored.c: the C libraries a package compiles from its own copy of their
 * sources, as the link database can tell them apart.
 *
 * The database keeps, for every compile, its directory and each source's
 * path as written with the source's SHA-256, and the object it made.  An
 * extension's objects lead back to their compiles; a source whose path,
 * relative to the compile's directory (the package's build tree), runs
 * through a directory that looks vendored names a library:
 *
 *   a directory named like a library known to be vendored (zstd/, brotli/,
 *   lz4/, lz4libs/, libyaml/, ...): that library;
 *   vendor/, third_party/, deps/, external/, bundled/, ...: the directory
 *   under it (third_party/foo/x.c: foo).
 *
 * What it cannot tell: sources under any other name (Brotli's c/enc/),
 * headers a source includes (a header-only library), objects of an archive
 * the build made and linked (its members' compiles are not traced), and a
 * library's version, which is read only when the build tree still exists
 * (a local project's copy in the work directory; pip deletes the trees of
 * what it downloads): a #define of a name ending in VERSION to a string in
 * a header of the library's directory.
 */
#include "internal.h"

#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "linkdb.h"

static const char *const markers[] = {
	"vendor", "vendored", "_vendor", "third_party", "third-party", "thirdparty",
	"3rdparty", "deps", "external", "extern", "bundled", NULL,
};

static const struct {
	const char *dir, *name;
} known[] = {
	{ "zstd", "zstd" }, { "brotli", "brotli" }, { "lz4", "lz4" }, { "lz4libs", "lz4" },
	{ "libyaml", "libyaml" }, { "zlib", "zlib" }, { "zlib-ng", "zlib-ng" },
	{ "xxhash", "xxhash" }, { "snappy", "snappy" }, { "expat", "expat" },
	{ "libexpat", "expat" }, { "libffi", "libffi" }, { "sqlite", "sqlite" },
	{ "sqlite3", "sqlite" }, { "mpdecimal", "mpdecimal" }, { "libmpdec", "mpdecimal" },
	{ "blosc", "blosc" }, { "c-blosc", "blosc" }, { "hiredis", "hiredis" },
	{ "libuv", "libuv" }, { "libsodium", "libsodium" }, { "miniz", "miniz" },
	{ "libdeflate", "libdeflate" }, { "yyjson", "yyjson" }, { "bzip2", "bzip2" },
	{ "xz", "xz" }, { "liblzma", "xz" }, { "pcre2", "pcre2" }, { "libxml2", "libxml2" },
};

static bool
is_marker(const char *c)
{
	for (size_t i = 0; markers[i]; i++)
		if (!strcmp(markers[i], c))
			return true;
	return false;
}

static const char *
known_name(const char *c)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(known[i].dir, c))
			return known[i].name;
	return NULL;
}

/* The vendored library of a source path relative to its build tree: its
 * name (*name) and directory (malloc'd, relative), or NULL. */
static char *
library_of(const char *rel, const char **name, char **label)
{
	struct strvec parts = { 0 };
	char *copy = xstrdup(rel), *save = NULL, *dir = NULL;

	*name = NULL;
	*label = NULL;
	for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save))
		if (strcmp(t, "."))
			strvec_push(&parts, t);
	for (size_t i = 0; i + 1 < parts.n && !dir; i++) {
		if (!strcmp(parts.v[i], ".."))
			break;          /* outside the build tree */
		size_t last = 0;
		if ((*name = known_name(parts.v[i]))) {
			last = i;
		} else if (is_marker(parts.v[i]) && i + 2 < parts.n) {
			last = i + 1;
			*label = xstrdup(parts.v[i + 1]);
			*name = *label;
		} else {
			continue;
		}
		struct strbuf sb = { 0 };
		for (size_t k = 0; k <= last; k++)
			strbuf_addf(&sb, "%s%s", k ? "/" : "", parts.v[k]);
		dir = strbuf_detach(&sb);
	}
	strvec_free(&parts);
	free(copy);
	return dir;
}

/* A "#define NAME_VERSION "x"" of a header in dir (not recursive), or NULL. */
static char *
header_version(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;

	while (d && !found && (e = readdir(d))) {
		if (!util_ends_with(e->d_name, ".h"))
			continue;
		char *path = util_path_join(dir, e->d_name), *text = NULL;
		size_t len;
		if (util_read_file(path, &text, &len) == 0 && !memchr(text, '\0', len)) {
			for (char *l = text; l && !found; l = strchr(l, '\n'), l = l ? l + 1 : l) {
				char macro[128], value[64];
				if (sscanf(l, " # define %127[A-Za-z0-9_] \"%63[0-9A-Za-z.+~-]\"", macro,
				           value) == 2 && util_ends_with(macro, "VERSION"))
					found = xstrdup(value);
			}
		}
		free(text);
		free(path);
	}
	if (d)
		closedir(d);
	return found;
}

struct walk {
	json_t *libs;           /* the extension's vendored libraries, in order */
	json_t *seen;           /* "dir\npath": true */
};

static void
source_row(void *ctx, const char *cwd, const char *path, const char *hash)
{
	struct walk *w = ctx;
	const char *rel = path, *name;
	char *label, *dir, *key;

	if (!cwd || !path)
		return;
	if (path[0] == '/') {
		size_t n = strlen(cwd);
		if (strncmp(path, cwd, n) || path[n] != '/')
			return;         /* not in the build tree */
		rel = path + n + 1;
	}
	if (!(dir = library_of(rel, &name, &label)))
		return;
	key = xasprintf("%s\n%s", cwd, rel);
	if (!json_object_get(w->seen, key)) {
		json_object_set_new(w->seen, key, json_true());
		json_t *lib = NULL, *l;
		size_t i;
		json_array_foreach(w->libs, i, l)
			if (!strcmp(json_string_value(json_object_get(l, "dir")), dir))
				lib = l;
		if (!lib) {
			char *abs = util_path_join(cwd, dir), *version = header_version(abs);
			lib = json_pack("{s:o,s:o,s:o,s:[]}", "name", itg__jstr(name),
			                "dir", itg__jstr(dir), "version", itg__jstr(version), "sources");
			json_array_append_new(w->libs, lib);
			free(version);
			free(abs);
		}
		json_array_append_new(json_object_get(lib, "sources"), json_pack("{s:o,s:o}",
		                      "path", itg__jstr(rel), "sha256", itg__jstr(hash)));
	}
	free(key);
	free(label);
	free(dir);
}

json_t *
itg__vendored(const struct itg_ext *e)
{
	struct walk w = { json_array(), json_object() };

	for (size_t i = 0; e->db && i < e->objects.n; i++) {
		const char *hex = util_basename(e->objects.v[i]);
		if (linkdb_is_hash(hex))
			(void)linkdb_object_sources(e->db, hex, source_row, &w);
	}
	json_decref(w.seen);
	return w.libs;
}

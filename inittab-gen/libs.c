/*
 * libs.c: external libraries, static where the system has an archive.
 *
 * For each -lNAME: the archive lib<NAME>.a is looked up in the given
 * directories, then in the system's (the multiarch and plain lib dirs);
 * its own dependencies come from `pkg-config --static --libs` of the .pc
 * file that provides it (tried as NAME and libNAME), plus a few the .pc
 * files of Debian 12 leave out, and are resolved the same way, the .pc
 * file's -L directories searched too.  An archive is linked only when its
 * whole closure can be: Debian 12's libpq.a needs libpgcommon and libpgport,
 * which no library package installs, so libpq.so is linked instead and
 * brings what it needs itself.  A library with neither archive nor shared
 * object (libNAME.so, the development link, under /usr or /lib) is
 * reported with the chain of libraries that need it and, when a run-time
 * file of it exists (libNAME.so.2), the Debian package that holds it.  A
 * library appears once, at its last needed position, so that everything
 * that needs it comes before it.
 */
#include "itg.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const system_dirs[] = {
	"/usr/local/lib/x86_64-linux-gnu", "/usr/local/lib",
	"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib", "/lib",
	NULL,
};

/* A lib*.so path under /usr or /lib: its -l name (itg.h). */
char *
itg_system_lib_name(const char *path)
{
	const char *base = util_basename(path);
	const char *so;

	if (!(util_starts_with(path, "/usr/") || util_starts_with(path, "/lib")) ||
	    strstr(path, "/../") || !util_starts_with(base, "lib"))
		return NULL;
	so = strstr(base, ".so");
	if (!so || so == base + 3 || (so[3] != '\0' && so[3] != '.'))
		return NULL;
	for (const char *c = so + 3; *c; c++)
		if (!(*c == '.' || (*c >= '0' && *c <= '9')))
			return NULL;
	char *name = xstrdup(base + 3);
	name[so - base - 3] = '\0';
	return name;
}


bool
itg_is_libc(const char *name)
{
	static const char *const libc[] = {
		"c", "m", "dl", "pthread", "rt", "util", "resolv", "anl", "crypt_glibc",
		"nsl_glibc", "mvec", "gcc", "gcc_s", "stdc++", NULL,
	};
	for (size_t i = 0; libc[i]; i++)
		if (!strcmp(name, libc[i]))
			return true;
	return false;
}

/*
 * Licences of the libraries CPython and common packages link, as shipped by
 * Debian 12 (from each package's copyright file).  copyleft marks licences
 * whose terms reach a whole statically linked program.
 */
static const struct {
	const char *name, *licence;
	bool copyleft;
} licences[] = {
	{ "Xau", "MIT", false },
	{ "Xdmcp", "MIT", false },
	{ "Xext", "MIT", false },
	{ "Xft", "MIT", false },
	{ "Xrender", "MIT", false },
	{ "Xss", "MIT", false },
	{ "X11", "MIT", false },
	{ "bsd", "BSD-3-Clause", false },
	{ "brotlicommon", "MIT", false },
	{ "brotlidec", "MIT", false },
	{ "brotlienc", "MIT", false },
	{ "bz2", "bzip2-1.0.6", false },
	{ "crypt", "LGPL-2.1-or-later", true },
	{ "crypto", "Apache-2.0", false },
	{ "db", "Sleepycat", true },
	{ "db-5.3", "Sleepycat", true },
	{ "edit", "BSD-3-Clause", false },
	{ "expat", "MIT", false },
	{ "ffi", "MIT", false },
	{ "fontconfig", "HPND-sell-variant", false },
	{ "freetype", "FTL", false },
	{ "gdbm", "GPL-3.0-or-later", true },
	{ "gdbm_compat", "GPL-3.0-or-later", true },
	{ "gssapi_krb5", "MIT", false },
	{ "jpeg", "IJG", false },
	{ "lzma", "0BSD", false },
	{ "md", "BSD-3-Clause", false },
	{ "mpdec", "BSD-2-Clause", false },
	{ "ncurses", "MIT", false },
	{ "ncursesw", "MIT", false },
	{ "nsl", "LGPL-2.1-or-later", true },
	{ "panel", "MIT", false },
	{ "panelw", "MIT", false },
	{ "png16", "Libpng", false },
	{ "readline", "GPL-3.0-or-later", true },
	{ "sqlite3", "blessing", false },
	{ "ssl", "Apache-2.0", false },
	{ "tcl8.6", "TCL", false },
	{ "tclstub8.6", "TCL", false },
	{ "termcap", "MIT", false },
	{ "tinfo", "MIT", false },
	{ "tirpc", "BSD-3-Clause", false },
	{ "tk8.6", "TCL", false },
	{ "tkstub8.6", "TCL", false },
	{ "uuid", "BSD-3-Clause", false },
	{ "xcb", "MIT", false },
	{ "xml2", "MIT", false },
	{ "yaml", "MIT", false },
	{ "z", "Zlib", false },
	{ "zstd", "BSD-3-Clause", false },
};

const char *
itg_licence(const char *name, bool *copyleft)
{
	for (size_t i = 0; i < sizeof(licences) / sizeof(licences[0]); i++) {
		if (!strcmp(licences[i].name, name)) {
			if (copyleft)
				*copyleft = licences[i].copyleft;
			return licences[i].licence;
		}
	}
	if (copyleft)
		*copyleft = false;
	if (itg_is_libc(name))
		return "LGPL-2.1-or-later (glibc, dynamic)";
	return "unknown";
}

/* Dependencies Debian 12's .pc files do not state for a static link. */
static const struct {
	const char *name;
	const char *deps;
} extra_deps[] = {
	{ "edit", "tinfo bsd md" },
	{ "termcap", "tinfo" },
	{ "ncursesw", "tinfo" },
	{ "ncurses", "tinfo" },
	{ "panelw", "ncursesw tinfo" },
	{ "bsd", "md" },
	{ "tirpc", "gssapi_krb5" },
	{ "gdbm_compat", "gdbm" },
	{ "xml2", "z lzma m" },
	{ "sqlite3", "m z" },
};

/*
 * `pkg-config --static --libs PC`: the -l names (without "-l") in *libs and
 * the -L directories in *dirs.  -1 when pkg-config does not know PC.
 */
static int
pkgconfig_libs(const char *pc, struct strvec *libs, struct strvec *dirs)
{
	char *out = NULL;
	const char *const argv[] = { "pkg-config", "--static", "--libs", "--silence-errors", pc,
	                             NULL };
	char *save = NULL, *tok;

	if (util_run_capture(argv, NULL, &out, NULL) != 0) {
		free(out);
		return -1;
	}
	for (tok = strtok_r(out, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		if (util_starts_with(tok, "-l") && tok[2])
			strvec_push(libs, tok + 2);
		else if (util_starts_with(tok, "-L") && tok[2])
			strvec_push(dirs, tok + 2);
	}
	free(out);
	return 0;
}

/*
 * The .pc file whose Libs: line links -lNAME, for the libraries whose .pc
 * file has another name (libfreetype: freetype2.pc, libxml2:
 * libxml-2.0.pc, libtiff: libtiff-4.pc).  Searched in pkg-config's
 * default directories; NULL when none says so.
 */
static char *
pc_providing(const char *name)
{
	static const char *const dirs[] = {
		"/usr/local/lib/x86_64-linux-gnu/pkgconfig", "/usr/local/lib/pkgconfig",
		"/usr/local/share/pkgconfig", "/usr/lib/x86_64-linux-gnu/pkgconfig",
		"/usr/lib/pkgconfig", "/usr/share/pkgconfig", NULL,
	};
	char *want = xasprintf("-l%s", name), *found = NULL;
	size_t wn = strlen(want);

	for (size_t i = 0; dirs[i] && !found; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;
		while (d && !found && (e = readdir(d))) {
			size_t n = strlen(e->d_name);
			char *path, *text = NULL, *line, *save = NULL;
			size_t len;
			if (n < 4 || strcmp(e->d_name + n - 3, ".pc") != 0)
				continue;
			path = util_path_join(dirs[i], e->d_name);
			if (util_read_file(path, &text, &len) == 0) {
				for (line = strtok_r(text, "\n", &save); line && !found;
				     line = strtok_r(NULL, "\n", &save)) {
					if (!util_starts_with(line, "Libs:"))
						continue;
					for (char *q = strstr(line, want); q && !found; q = strstr(q + 1, want))
						if ((q[-1] == ' ' || q[-1] == '\t') &&
						    (q[wn] == '\0' || q[wn] == ' ' || q[wn] == '\t' ||
						     q[wn] == '\r'))
							found = strndup(e->d_name, n - 3);
				}
				free(text);
			}
			free(path);
		}
		if (d)
			closedir(d);
	}
	free(want);
	return found;
}

/*
 * The libraries NAME needs after it (not including itself), the -L
 * directories its .pc file names, and where the list came from (*source:
 * "pkg-config --static NAME.pc", or NULL when no .pc file was found).
 */
static void
deps_of(const char *name, struct strvec *out, struct strvec *dirs, char **source)
{
	char pcname[256];
	struct strvec words = { 0 };
	bool found = false, self_seen = false;

	*source = NULL;
	/* The .pc file may be named NAME, libNAME, or lower case (x11.pc). */
	for (int attempt = 0; attempt < 3 && !found; attempt++) {
		snprintf(pcname, sizeof(pcname), attempt == 1 ? "lib%s" : "%s", name);
		if (attempt == 2) {
			bool upper = false;
			for (char *c = pcname; *c; c++) {
				upper |= *c >= 'A' && *c <= 'Z';
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
			}
			if (!upper)
				break;
		}
		/* Avoid asking pkg-config about names with shell-ish characters. */
		if (strpbrk(pcname, " /:"))
			break;
		found = pkgconfig_libs(pcname, &words, dirs) == 0;
	}
	if (!found && !strpbrk(name, " /:")) {
		char *pc = pc_providing(name);
		if (pc && pkgconfig_libs(pc, &words, dirs) == 0) {
			found = true;
			snprintf(pcname, sizeof(pcname), "%s", pc);
		}
		free(pc);
	}
	if (found)
		*source = xasprintf("pkg-config --static %s", pcname);
	for (size_t i = 0; i < words.n; i++) {
		if (!strcmp(words.v[i], name) && !self_seen) {
			self_seen = true;
			continue;
		}
		strvec_push(out, words.v[i]);
	}
	strvec_free(&words);
	for (size_t i = 0; i < sizeof(extra_deps) / sizeof(extra_deps[0]); i++) {
		if (strcmp(extra_deps[i].name, name) != 0)
			continue;
		char *copy = xstrdup(extra_deps[i].deps), *save = NULL, *tok;
		for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			strvec_push(out, tok);
		free(copy);
		if (!*source)
			*source = xstrdup("pyweld's list of what Debian's .pc files leave out");
	}
}

/* The file a -l name links: "libNAME" + ext, or the FILE of -l:FILE. */
static char *
lib_file(const char *name, const char *ext)
{
	return name[0] == ':' ? xstrdup(name + 1) : xasprintf("lib%s%s", name, ext);
}

/* Where a library lies that the binary can count on where it runs. */
static bool
system_path(const char *path)
{
	return (util_starts_with(path, "/usr/") || util_starts_with(path, "/lib")) &&
	       !strstr(path, "/../");
}

/* file in dirs (in order), then in the system's directories; NULL if nowhere. */
static char *
find_file(const char *file, const struct strvec *dirs)
{
	for (size_t i = 0; i < dirs->n; i++) {
		char *p = util_path_join(dirs->v[i], file);
		if (p && util_is_file(p))
			return p;
		free(p);
	}
	for (size_t i = 0; system_dirs[i]; i++) {
		char *p = util_path_join(system_dirs[i], file);
		if (p && util_is_file(p))
			return p;
		free(p);
	}
	return NULL;
}

static char *
find_archive(const char *name, const struct strvec *dirs)
{
	char *file = lib_file(name, ".a"), *p = NULL;

	/* -l:libfoo.so.1 names a shared object */
	if (util_ends_with(file, ".a"))
		p = find_file(file, dirs);
	free(file);
	return p;
}

/* GCC's own file (libgomp.so, libgfortran.so: not in the system's
 * directories), from `gcc -print-file-name`; NULL if GCC has none. */
static char *
gcc_file(const char *file)
{
	char *out = NULL, *arg = xasprintf("-print-file-name=%s", file), *nl;
	const char *const argv[] = { "gcc", arg, NULL };
	char *found = NULL;

	if (util_run_capture(argv, NULL, &out, NULL) == 0 && out) {
		if ((nl = strchr(out, '\n')))
			*nl = '\0';
		/* An unknown file comes back as given. */
		if (out[0] == '/' && util_is_file(out))
			found = xstrdup(out);
	}
	free(out);
	free(arg);
	return found;
}

/*
 * The shared object a -l name links (libNAME.so, the development link),
 * where the binary can count on it: under /usr or /lib, the link's own
 * directories there first, then the system's and GCC's.  One found only
 * elsewhere (the build's own) goes to *foreign instead.
 */
static char *
find_shared(const char *name, const struct strvec *dirs, char **foreign)
{
	char *file = lib_file(name, ".so"), *p = NULL;

	*foreign = NULL;
	if (name[0] == ':' && !strstr(file, ".so")) {
		free(file);
		return NULL;
	}
	for (size_t i = 0; i < dirs->n && !p; i++) {
		if (!system_path(dirs->v[i]))
			continue;
		p = util_path_join(dirs->v[i], file);
		if (p && !util_is_file(p)) {
			free(p);
			p = NULL;
		}
	}
	if (!p) {
		struct strvec none = { 0 };
		p = find_file(file, &none);
	}
	if (!p)
		p = gcc_file(file);
	if (!p) {
		*foreign = find_file(file, dirs);
		if (*foreign && system_path(*foreign)) {
			free(*foreign);
			*foreign = NULL;
		}
	}
	free(file);
	return p;
}

/*
 * Resolution of a link's -l names: every library once, with what it was
 * resolved to.  A library whose archive's dependencies cannot all be
 * linked (neither archive nor shared object) is linked as a shared object
 * instead, which brings its dependencies itself; without one it cannot be
 * linked at all, and neither can whatever needs it through its archive.
 */
enum lib_state { LIB_BUSY, LIB_LIBC, LIB_STATIC, LIB_SHARED, LIB_MISSING };

struct lib_node {
	char *name;
	enum lib_state state;
	char *archive, *shared, *foreign;
	struct strvec deps;             /* LIB_STATIC: what its archive needs */
	char *source;                   /* where deps came from */
	size_t needed_by;               /* the first library that named it, or SIZE_MAX */
	size_t unmet;                   /* LIB_SHARED with an archive, LIB_MISSING with
	                                   one: the dependency that could not be linked,
	                                   else SIZE_MAX */
	bool held;                      /* its archive is in the link already */
};

struct resolver {
	struct lib_node *nodes;
	size_t n, cap;
	struct strvec dirs;             /* the link's -L, then the .pc files' */
};

static bool
strvec_contains(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return true;
	return false;
}

static size_t
node_of(struct resolver *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->nodes[i].name, name))
			return i;
	return SIZE_MAX;
}

static size_t resolve(struct resolver *r, const char *name, size_t needed_by, int depth);

static size_t
new_node(struct resolver *r, const char *name, size_t needed_by)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->nodes = xreallocarray(r->nodes, r->cap, sizeof(*r->nodes));
	}
	r->nodes[r->n] = (struct lib_node){ .name = xstrdup(name), .state = LIB_BUSY,
	                                    .needed_by = needed_by, .unmet = SIZE_MAX };
	return r->n++;
}

/* Resolves what the archive of node me needs; sets its deps and unmet. */
static void
resolve_deps(struct resolver *r, size_t me, int depth)
{
	struct strvec deps = { 0 }, dirs = { 0 };
	char *source = NULL;

	deps_of(r->nodes[me].name, &deps, &dirs, &source);
	for (size_t i = 0; i < dirs.n; i++)
		if (!strvec_contains(&r->dirs, dirs.v[i]))
			strvec_push(&r->dirs, dirs.v[i]);
	for (size_t i = 0; i < deps.n; i++) {
		/* A cycle (LIB_BUSY) is met by the archive being linked. */
		size_t d = resolve(r, deps.v[i], me, depth + 1);
		if (r->nodes[d].state == LIB_MISSING && r->nodes[me].unmet == SIZE_MAX)
			r->nodes[me].unmet = d;
	}
	r->nodes[me].deps = deps;
	r->nodes[me].source = source;
	strvec_free(&dirs);
}

/*
 * A library the link holds as an archive already: linked (LIB_STATIC) when
 * its archive's dependencies can be, else LIB_MISSING; never in the output
 * as itself.
 */
static size_t
resolve_held(struct resolver *r, const char *name)
{
	size_t me = node_of(r, name);

	if (me == SIZE_MAX)
		me = new_node(r, name, SIZE_MAX);
	else if (r->nodes[me].state != LIB_BUSY && !r->nodes[me].held &&
	         r->nodes[me].state != LIB_LIBC) {
		/* Resolved as a -l library before: its archive is in the link too. */
		r->nodes[me].held = true;
		return me;
	}
	r->nodes[me].held = true;
	if (itg_is_libc(name)) {
		r->nodes[me].state = LIB_LIBC;
		return me;
	}
	resolve_deps(r, me, 0);
	r->nodes[me].state = r->nodes[me].unmet == SIZE_MAX ? LIB_STATIC : LIB_MISSING;
	return me;
}

static size_t
resolve(struct resolver *r, const char *name, size_t needed_by, int depth)
{
	size_t me = node_of(r, name);

	if (me != SIZE_MAX)
		return me;
	me = new_node(r, name, needed_by);
	if (itg_is_libc(name)) {
		r->nodes[me].state = LIB_LIBC;
		return me;
	}
	char *archive = find_archive(name, &r->dirs);
	if (archive && depth < 16)
		resolve_deps(r, me, depth);
	struct lib_node *n = &r->nodes[me];
	if (archive && n->unmet == SIZE_MAX) {
		n->state = LIB_STATIC;
		n->archive = archive;
		return me;
	}
	free(archive);
	n->shared = find_shared(name, &r->dirs, &n->foreign);
	n->state = n->shared ? LIB_SHARED : LIB_MISSING;
	return me;
}

/* Dependants before dependencies, each at its last needed position. */
static void
order(struct resolver *r, size_t i, struct strvec *seq, int depth)
{
	char key[32];

	if (depth > 16)
		return;
	snprintf(key, sizeof(key), "%zu", i);
	for (size_t k = 0; k < seq->n; k++) {
		if (!strcmp(seq->v[k], key)) {
			free(seq->v[k]);
			memmove(seq->v + k, seq->v + k + 1, (seq->n - k) * sizeof(char *));
			seq->n--;
			break;
		}
	}
	strvec_push(seq, key);
	if (r->nodes[i].state != LIB_STATIC)
		return;
	for (size_t k = 0; k < r->nodes[i].deps.n; k++)
		order(r, node_of(r, r->nodes[i].deps.v[k]), seq, depth + 1);
}

/* "libfoo" (or the FILE of -l:FILE) */
static char *
lib_label(const char *name)
{
	return name[0] == ':' ? xstrdup(name + 1) : xasprintf("lib%s", name);
}

struct dpkg_search {
	const char *path;
	char *package;
};

/* One line of `dpkg -S PATH`: "PACKAGE: PATH" (errors and diversions aside). */
static void
dpkg_line(void *ctx, const char *text)
{
	struct dpkg_search *d = ctx;
	const char *sep = strstr(text, ": ");

	if (!d->package && sep && sep > text && !strcmp(sep + 2, d->path) &&
	    !memchr(text, ' ', (size_t)(sep - text)))
		d->package = strndup(text, (size_t)(sep - text));
}

/*
 * The Debian package that installed path ("libgssapi-krb5-2:amd64"), from
 * `dpkg -S`, which knows a file by the name its package gave it: /lib/...
 * and /usr/lib/... are tried both (merged /usr).  NULL when none did.
 */
static char *
dpkg_owner(const char *path)
{
	char *alt = util_starts_with(path, "/usr/lib/") ? xstrdup(path + 4)
	            : util_starts_with(path, "/lib/") ? xasprintf("/usr%s", path) : NULL;
	const char *tries[] = { path, alt, NULL };
	char *found = NULL;

	for (size_t i = 0; tries[i] && !found; i++) {
		struct dpkg_search d = { tries[i], NULL };
		const char *const argv[] = { "dpkg", "-S", tries[i], NULL };
		if (util_run_logged(argv, NULL, NULL, -1, dpkg_line, &d) == 0)
			found = d.package;
		else
			free(d.package);
	}
	free(alt);
	return found;
}

/* A run-time shared object of NAME (libNAME.so.N, or libNAME-2.5.so.0 as
 * libldap's) in the system's directories, the first by name; NULL if there
 * is none. */
static char *
runtime_file(const char *name)
{
	char *prefix = xasprintf("lib%s.so.", name), *found = NULL;
	char *versioned = xasprintf("lib%s-", name);

	for (size_t i = 0; system_dirs[i] && !found && name[0] != ':'; i++) {
		DIR *d = opendir(system_dirs[i]);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if ((util_starts_with(e->d_name, prefix) ||
			     (util_starts_with(e->d_name, versioned) && strstr(e->d_name, ".so."))) &&
			    (!found || strcmp(e->d_name, util_basename(found)) < 0)) {
				free(found);
				found = util_path_join(system_dirs[i], e->d_name);
			}
		if (d)
			closedir(d);
	}
	free(prefix);
	free(versioned);
	return found;
}

/*
 * What a library that cannot be linked at all (LIB_MISSING) lacks: the
 * library at the end of its chain of unmet dependencies, who needs it
 * through which .pc file, why it cannot be linked, and what to do.
 */
static void
explain_missing(const struct resolver *r, size_t root, struct itg_lib *l)
{
	size_t path[17], depth = 0;
	struct strbuf why = { 0 }, hint = { 0 };

	path[depth++] = root;
	while (r->nodes[path[depth - 1]].unmet != SIZE_MAX && depth < 17)
		path[depth] = r->nodes[path[depth - 1]].unmet, depth++;
	const struct lib_node *leaf = &r->nodes[path[depth - 1]];
	char *label = lib_label(leaf->name), *a = lib_file(leaf->name, ".a");
	char *so = lib_file(leaf->name, ".so");

	strbuf_adds(&why, label);
	for (size_t k = depth - 1; k > 0; k--) {
		const struct lib_node *up = &r->nodes[path[k - 1]];
		char *ul = lib_label(up->name);
		strbuf_addf(&why, ", which %s's static archive needs (%s)", ul,
		            up->source ? up->source : "its link");
		free(ul);
	}
	if (leaf->foreign) {
		strbuf_addf(&why, ": its only shared object '%s' is not a system library (it lies "
		            "outside /usr and /lib), so the binary could not find it where it runs, "
		            "and there is no %s", leaf->foreign, a);
		strbuf_addf(&hint, "build %s as a static archive (%s), or install it system-wide",
		            label, a);
	} else {
		char *rt = runtime_file(leaf->name), *pkg = rt ? dpkg_owner(rt) : NULL;
		if (rt)
			strbuf_addf(&why, ": only its run-time library '%s'%s%s%s is installed, "
			            "without %s or %s to link", rt, pkg ? " (Debian package " : "",
			            pkg ? pkg : "", pkg ? ")" : "", so, a);
		else if (!strcmp(a, so))
			strbuf_addf(&why, ": '%s' is not installed", a);
		else
			strbuf_addf(&why, ": neither %s nor %s is installed", a, so);
		strbuf_addf(&hint, "install the Debian -dev package that ships %s (and %s, for a "
		            "static link)", so, a);
		if (pkg)
			strbuf_addf(&hint, ": the development package of %s", pkg);
		free(rt);
		free(pkg);
	}
	/* The libraries on the way have archives, but no shared object to
	 * link instead: they are why the link cannot go on without it. */
	for (size_t k = depth - 1; k > 0; k--) {
		if (r->nodes[path[k - 1]].held)
			continue;       /* the extension's link holds its archive */
		char *ul = lib_label(r->nodes[path[k - 1]].name);
		strbuf_addf(&why, "; %s has no shared object to link instead", ul);
		free(ul);
	}
	l->why = strbuf_detach(&why);
	l->hint = strbuf_detach(&hint);
	free(label);
	free(a);
	free(so);
}

/* Why a library with an archive is linked as a shared object: each thing
 * its archive needs that cannot be linked, and why not. */
static char *
explain_shared(const struct resolver *r, size_t i)
{
	struct strbuf sb = { 0 };
	const struct lib_node *n = &r->nodes[i];
	size_t listed = 0;

	if (n->unmet == SIZE_MAX)
		return xstrdup("no static archive found");
	strbuf_adds(&sb, "its static archive needs");
	for (size_t k = 0; k < n->deps.n; k++) {
		size_t d = node_of((struct resolver *)(uintptr_t)r, n->deps.v[k]);
		if (d == SIZE_MAX || r->nodes[d].state != LIB_MISSING)
			continue;
		const struct lib_node *m = &r->nodes[d];
		bool again = false;
		for (size_t j = 0; j < k && !again; j++)
			again = !strcmp(n->deps.v[j], m->name);
		if (again)
			continue;
		char *label = lib_label(m->name), *rt = NULL;
		strbuf_addf(&sb, "%s %s", listed++ ? "," : "", label);
		if (m->foreign)
			strbuf_adds(&sb, " (only a shared object of the build's own)");
		else if (m->unmet != SIZE_MAX) {
			char *ml = lib_label(r->nodes[m->unmet].name);
			strbuf_addf(&sb, " (whose archive needs %s, which cannot be linked)", ml);
			free(ml);
		} else if ((rt = runtime_file(m->name)))
			strbuf_adds(&sb, " (only its run-time library is installed)");
		else
			strbuf_adds(&sb, " (not installed)");
		free(rt);
		free(label);
	}
	strbuf_addf(&sb, ": %s", n->source ? n->source : "its link");
	return strbuf_detach(&sb);
}

int
itg_resolve_libs(const char *const *names, size_t n, const char *const *libdirs,
                 size_t nlibdirs, struct itg_libset *out, char *err,
                 size_t errlen)
{
	return itg_resolve_ext_libs(names, n, NULL, 0, libdirs, nlibdirs, out, err, errlen);
}

int
itg_resolve_ext_libs(const char *const *names, size_t n, const char *const *held,
                     size_t nheld, const char *const *libdirs, size_t nlibdirs,
                     struct itg_libset *out, char *err, size_t errlen)
{
	struct resolver r = { 0 };
	struct strvec seq = { 0 };
	size_t *roots = xcalloc(n + nheld ? n + nheld : 1, sizeof(*roots));

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nlibdirs; i++)
		strvec_push(&r.dirs, libdirs[i]);
	/* The held archives come first in the link (they are in the isolated
	 * extension), so what they need follows them. */
	for (size_t i = 0; i < nheld; i++)
		roots[i] = resolve_held(&r, held[i]);
	for (size_t i = 0; i < n; i++)
		roots[nheld + i] = resolve(&r, names[i], SIZE_MAX, 0);
	for (size_t i = 0; i < n + nheld; i++)
		order(&r, roots[i], &seq, 0);
	free(roots);
	if (seq.failed || r.dirs.failed) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	out->libs = calloc(seq.n ? seq.n : 1, sizeof(*out->libs));
	if (!out->libs) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t k = 0; k < seq.n; k++) {
		size_t i = (size_t)strtoull(seq.v[k], NULL, 10);
		struct lib_node *node = &r.nodes[i];
		if (node->held && node->state != LIB_MISSING)
			continue;       /* in the link already */
		struct itg_lib *l = &out->libs[out->n++];
		l->name = xstrdup(node->name);
		l->libc = node->state == LIB_LIBC;
		l->archive = node->archive;
		node->archive = NULL;
		l->shared = node->shared;
		node->shared = NULL;
		l->missing = node->state == LIB_MISSING;
		l->needed_by = node->needed_by == SIZE_MAX ? NULL
		               : xstrdup(r.nodes[node->needed_by].name);
		if (node->state == LIB_SHARED)
			l->why = explain_shared(&r, i);
		else if (l->missing)
			explain_missing(&r, i, l);
		l->licence = itg_licence(l->name, &l->copyleft);
	}
	strvec_free(&seq);
	for (size_t i = 0; i < r.n; i++) {
		free(r.nodes[i].name);
		free(r.nodes[i].archive);
		free(r.nodes[i].shared);
		free(r.nodes[i].foreign);
		free(r.nodes[i].source);
		strvec_free(&r.nodes[i].deps);
	}
	free(r.nodes);
	strvec_free(&r.dirs);
	return 0;
fail:
	strvec_free(&seq);
	for (size_t i = 0; i < r.n; i++) {
		free(r.nodes[i].name);
		free(r.nodes[i].archive);
		free(r.nodes[i].shared);
		free(r.nodes[i].foreign);
		free(r.nodes[i].source);
		strvec_free(&r.nodes[i].deps);
	}
	free(r.nodes);
	strvec_free(&r.dirs);
	itg_libset_free(out);
	return -1;
}

void
itg_libset_free(struct itg_libset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->libs[i].name);
		free(set->libs[i].archive);
		free(set->libs[i].shared);
		free(set->libs[i].needed_by);
		free(set->libs[i].why);
		free(set->libs[i].hint);
	}
	free(set->libs);
	memset(set, 0, sizeof(*set));
}

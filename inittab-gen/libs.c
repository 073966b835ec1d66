/*
 * libs.c: external libraries, static where the system has an archive.
 *
 * For each -lNAME: the archive lib<NAME>.a is looked up in the given
 * directories, then in the system's (the multiarch and plain lib dirs);
 * its own dependencies come from `pkg-config --static --libs-only-l` of the
 * .pc file that provides it (tried as NAME and libNAME), plus a few the
 * .pc files of Debian 12 leave out.  A library appears once, at its last
 * needed position, so that everything that needs it comes before it.
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

/* Words of `pkg-config --static --libs-only-l PC` without "-l", or NULL. */
static char **
pkgconfig_deps(const char *pc)
{
	char *out = NULL;
	char *argv[] = { (char *)(uintptr_t)"pkg-config", (char *)(uintptr_t)"--static",
	                 (char *)(uintptr_t)"--libs-only-l", (char *)(uintptr_t)"--silence-errors",
	                 (char *)(uintptr_t)pc, NULL };
	struct strvec sv = { 0 };
	char *save = NULL, *tok;
	int rc;

	rc = util_run_capture(argv, NULL, &out, NULL);
	if (rc != 0) {
		free(out);
		return NULL;
	}
	for (tok = strtok_r(out, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
		if (util_starts_with(tok, "-l") && tok[2])
			strvec_push(&sv, tok + 2);
	free(out);
	if (sv.failed) {
		strvec_free(&sv);
		return NULL;
	}
	if (!sv.v)
		strvec_push(&sv, "");   /* found, with no libraries */
	return sv.v;
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

/* The libraries NAME needs after it (not including itself). */
static void
deps_of(const char *name, struct strvec *out)
{
	char pcname[256];
	char **words = NULL;
	bool self_seen = false;

	/* The .pc file may be named NAME, libNAME, or lower case (x11.pc). */
	for (int attempt = 0; attempt < 3 && !words; attempt++) {
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
		words = pkgconfig_deps(pcname);
	}
	if (!words && !strpbrk(name, " /:")) {
		char *pc = pc_providing(name);
		if (pc)
			words = pkgconfig_deps(pc);
		free(pc);
	}
	for (size_t i = 0; words && words[i]; i++) {
		if (!*words[i])
			continue;
		if (!strcmp(words[i], name) && !self_seen) {
			self_seen = true;
			continue;
		}
		strvec_push(out, words[i]);
	}
	for (size_t i = 0; words && words[i]; i++)
		free(words[i]);
	free(words);
	for (size_t i = 0; i < sizeof(extra_deps) / sizeof(extra_deps[0]); i++) {
		if (strcmp(extra_deps[i].name, name) != 0)
			continue;
		char *copy = xstrdup(extra_deps[i].deps), *save = NULL, *tok;
		for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			strvec_push(out, tok);
		free(copy);
	}
}

static char *
find_archive(const char *name, const char *const *libdirs, size_t nlibdirs)
{
	char file[512];

	if (name[0] == ':')
		snprintf(file, sizeof(file), "%s", name + 1);
	else
		snprintf(file, sizeof(file), "lib%s.a", name);
	if (!util_ends_with(file, ".a"))
		return NULL;            /* -l:libfoo.so.1 names a shared object */
	for (size_t i = 0; i < nlibdirs; i++) {
		char *p = util_path_join(libdirs[i], file);
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

/* Appends name (and, depth-first, its dependencies) keeping the last position. */
static void
visit(const char *name, struct strvec *order, int depth)
{
	struct strvec deps = { 0 };

	if (depth > 16)
		return;
	/* Drop an earlier occurrence: the library moves after its new user. */
	for (size_t i = 0; i < order->n; i++) {
		if (!strcmp(order->v[i], name)) {
			free(order->v[i]);
			memmove(order->v + i, order->v + i + 1, (order->n - i) * sizeof(char *));
			order->n--;
			break;
		}
	}
	strvec_push(order, name);
	if (itg_is_libc(name))
		return;
	deps_of(name, &deps);
	for (size_t i = 0; i < deps.n; i++)
		visit(deps.v[i], order, depth + 1);
	strvec_free(&deps);
}

int
itg_resolve_libs(const char *const *names, size_t n, const char *const *libdirs,
                 size_t nlibdirs, struct itg_libset *out, char *err,
                 size_t errlen)
{
	struct strvec order = { 0 };

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		visit(names[i], &order, 0);
	if (order.failed) {
		strvec_free(&order);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	out->libs = calloc(order.n ? order.n : 1, sizeof(*out->libs));
	if (!out->libs) {
		strvec_free(&order);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < order.n; i++) {
		struct itg_lib *l = &out->libs[out->n++];
		l->name = order.v[i];
		order.v[i] = NULL;
		l->libc = itg_is_libc(l->name);
		l->archive = l->libc ? NULL : find_archive(l->name, libdirs, nlibdirs);
		l->licence = itg_licence(l->name, &l->copyleft);
	}
	strvec_free(&order);
	return 0;
}

void
itg_libset_free(struct itg_libset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->libs[i].name);
		free(set->libs[i].archive);
	}
	free(set->libs);
	memset(set, 0, sizeof(*set));
}

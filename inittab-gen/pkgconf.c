/*
 * pkgconf.c: what a library's static archive needs, from its .pc file.
 *
 * `pkg-config --static --libs` of the .pc file that provides the library
 * (tried as NAME, libNAME and lower case, then the .pc file whose Libs:
 * line links -lNAME: libfreetype's is freetype2.pc), plus a few
 * dependencies the .pc files of Debian 12 leave out.
 */
#include "internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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
 * A word of pkg-config's output that names an archive by its file
 * (Debian's norm.pc: "Libs.private: libprotokit.a"), bare or by path:
 * its library name into *libs ("protokit"), a path's directory into *dirs
 * (searched first, as -L is).  Other words are left alone.
 */
static void
archive_word(const char *word, struct strvec *libs, struct strvec *dirs)
{
	const char *base = strrchr(word, '/');
	size_t n;

	base = base ? base + 1 : word;
	n = strlen(base);
	if (n <= 5 || !util_starts_with(base, "lib") || strcmp(base + n - 2, ".a") != 0)
		return;
	if (base != word) {
		char *dir = xasprintf("%.*s", (int)(base - word - 1), word);
		strvec_push(dirs, *dir ? dir : "/");
		free(dir);
	}
	char *name = xasprintf("%.*s", (int)(n - 5), base + 3);
	strvec_push(libs, name);
	free(name);
}

/*
 * `pkg-config --static --libs PC`: the -l names (without "-l") in *libs and
 * the -L directories in *dirs; an archive named by its file counts as its
 * -l name (archive_word).  -1 when pkg-config does not know PC.
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
		else if (tok[0] != '-')
			archive_word(tok, libs, dirs);
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
void
itg__deps_of(const char *name, struct strvec *out, struct strvec *dirs, char **source)
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
		/* Avoid asking pkg-config about names with shell-ish characters,
		 * or one it would take for an option (-l--version). */
		if (pcname[0] == '-' || strpbrk(pcname, " /:"))
			break;
		found = pkgconfig_libs(pcname, &words, dirs) == 0;
	}
	if (!found && name[0] != '-' && !strpbrk(name, " /:")) {
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

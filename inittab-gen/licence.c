/*
 * licence.c: the licences of the libraries a weld links.
 *
 * As shipped by Debian 12 (from each package's copyright file), for the
 * libraries CPython and common packages link; copyleft marks a licence
 * whose terms reach a whole statically linked program, which the weld
 * warns about.  And a distribution's licence as its METADATA names it.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* The value of a "Key: value" header line of a METADATA file (malloc'd). */
char *
itg__metadata_field(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *l = text; l && *l && *l != '\n'; l = strchr(l, '\n'), l = l ? l + 1 : l) {
		if (!strncmp(l, key, klen) && l[klen] == ':') {
			const char *v = l + klen + 1, *end = strchr(v, '\n');
			while (*v == ' ' || *v == '\t')
				v++;
			size_t n = end ? (size_t)(end - v) : strlen(v);
			while (n && (v[n - 1] == '\r' || v[n - 1] == ' '))
				n--;
			return strndup(v, n);
		}
	}
	return NULL;
}

/* The value of a header field that is one line (no continuation lines
 * after it), or NULL (malloc'd). */
static char *
metadata_line(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *l = text; l && *l && *l != '\n'; l = strchr(l, '\n'), l = l ? l + 1 : l) {
		if (strncmp(l, key, klen) || l[klen] != ':')
			continue;
		const char *next = strchr(l, '\n');
		if (next && (next[1] == ' ' || next[1] == '\t'))
			return NULL;
		return itg__metadata_field(l, key);
	}
	return NULL;
}

/* The last words of every "Classifier: License :: ... :: NAME" header
 * ("MIT License"), joined with "; ", or NULL (malloc'd). */
static char *
licence_classifiers(const char *text)
{
	struct strbuf sb = { 0 };
	const char *key = "Classifier:";

	for (const char *l = text; l && *l && *l != '\n'; l = strchr(l, '\n'), l = l ? l + 1 : l) {
		if (strncmp(l, key, strlen(key)))
			continue;
		char *v = itg__metadata_field(l, "Classifier");
		const char *last = v ? strstr(v, " :: ") : NULL;
		if (v && util_starts_with(v, "License :: ")) {
			for (const char *q = last; q; q = strstr(q + 4, " :: "))
				last = q;
			if (strcmp(last + 4, "OSI Approved"))
				strbuf_addf(&sb, "%s%s", sb.s ? "; " : "", last + 4);
		}
		free(v);
	}
	return sb.s ? strbuf_detach(&sb) : NULL;
}

#define LICENCE_SHORT 100       /* longer License: values are the licence's text */

/* A distribution's licence: License-Expression (PEP 639), else License:
 * when it is a short name (one line, not UNKNOWN), else the licence
 * classifiers; *from names the field it came from (NULL: none). */
char *
itg__metadata_licence(const char *text, const char **from)
{
	char *v;

	*from = "License-Expression";
	if ((v = metadata_line(text, "License-Expression")) && *v)
		return v;
	free(v);
	*from = "License";
	v = metadata_line(text, "License");
	if (v && *v && strlen(v) <= LICENCE_SHORT && strcasecmp(v, "UNKNOWN"))
		return v;
	free(v);
	*from = "Classifier";
	if ((v = licence_classifiers(text)))
		return v;
	*from = NULL;
	return NULL;
}

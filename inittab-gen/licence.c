/*
 * licence.c: the licences of the libraries a weld links.
 *
 * As shipped by Debian 12 (from each package's copyright file), for the
 * libraries CPython and common packages link; copyleft marks a licence
 * whose terms reach a whole statically linked program, which the weld
 * warns about.
 */
#include "internal.h"

#include <string.h>

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

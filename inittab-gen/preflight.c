/*
 * preflight.c: the pre-flight scan of the application's sources.
 *
 * Code that reads files beside __file__, found with pcre2 in the modules
 * of the installed distributions about to be packed; each line is named
 * once, by the first pattern that matches, and a match after a '#' on its
 * line is a comment, not code.  What the binary's view of its packed tree
 * serves is a note when the view is linked in; the rest, and everything
 * without the view, a warning.  The standard library is not scanned (the
 * importer answers its few uses).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"

/*
 * The pre-flight scan: code in the application's packages that reads files
 * beside __file__, found with pcre2 in the sources about to be packed.
 * What the binary's view of its packed tree serves (runtime/fileview.c:
 * the process's own reads, and those of the C libraries linked in) is a
 * note when the view is in the binary; the rest, and everything without
 * the view, a warning.  The standard library is not scanned (the importer
 * answers its few uses).
 */
static const struct {
	const char *pattern;
	const char *what;               /* without the view, or never served */
	const char *served;             /* with it: what it does; NULL: not served */
} preflight[] = {
	{ "\\b(?:open|io\\.open|codecs\\.open)\\s*\\([^)\\n]*(?:__file__|os\\.path\\.dirname\\s*\\(\\s*__file__)",
	  "opens a file relative to __file__, which names a path inside the binary; "
	  "use importlib.resources (or the loader's get_data)",
	  "opens a file relative to __file__; the binary reads it from its packed tree "
	  "(not with --no-file-view)" },
	{ "Path\\s*\\(\\s*__file__\\s*\\)[^\\n]*\\.(?:open|read_text|read_bytes|iterdir|glob)\\s*\\(",
	  "reads files next to __file__ through pathlib; inside the binary that path does "
	  "not exist; use importlib.resources",
	  "reads files next to __file__ through pathlib; the binary reads them from its "
	  "packed tree (not with --no-file-view)" },
	{ "os\\.(?:listdir|scandir|walk)\\s*\\(\\s*os\\.path\\.dirname\\s*\\(\\s*(?:os\\.path\\.abspath\\s*\\(\\s*)?__file__",
	  "lists the directory of __file__, which is not a directory inside the binary; "
	  "use importlib.resources.files(...).iterdir()",
	  "lists the directory of __file__; the binary lists its packed tree (not with "
	  "--no-file-view)" },
	{ "(?:ctypes\\.)?(?:CDLL|PyDLL|cdll\\.LoadLibrary|LoadLibrary)\\s*\\([^)\\n]*(?:__file__|os\\.path\\.dirname)",
	  "loads a shared library by a path next to __file__ (ctypes); such a library "
	  "cannot live inside the binary", NULL },
	{ "ffi\\.dlopen\\s*\\([^)\\n]*(?:__file__|os\\.path\\.dirname)",
	  "loads a shared library by a path next to __file__ (cffi); such a library "
	  "cannot live inside the binary", NULL },
	/* Last: a line one of the patterns above names is not named twice. */
	{ "os\\.path\\.join\\s*\\(\\s*os\\.path\\.dirname\\s*\\(\\s*"
	  "(?:os\\.path\\.(?:abspath|realpath)\\s*\\(\\s*)?__file__",
	  "builds a path in the directory of __file__; inside the binary nothing is "
	  "there, so open() or a C library given that path finds no file (lxml's "
	  "isoschematron hands such paths to libxml2); importlib.resources reads the "
	  "data from memory",
	  "builds a path in the directory of __file__; the binary reads it from its "
	  "packed tree, for this process and the C libraries linked in, not for "
	  "another process or a library linked dynamically (not with --no-file-view)" },
};

static void
scan_one(struct itg_packer *p, pcre2_code **res, const struct itg_pack_item *it)
{
	char *text = NULL;
	size_t len = 0;

	if (util_read_file(it->path, &text, &len) < 0)
		return;
	struct { size_t *v, n; } warned = { 0 };

	for (size_t k = 0; k < sizeof(preflight) / sizeof(preflight[0]); k++) {
		PCRE2_SIZE start = 0;
		while (start < len &&
		       pcre2_match(res[k], (PCRE2_SPTR)text, len, start, 0, p->md, NULL) >= 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
			size_t line = 1;
			for (size_t c = 0; c < ov[0]; c++)
				line += text[c] == '\n';
			/* Comments are not code. */
			size_t bol = ov[0];
			while (bol > 0 && text[bol - 1] != '\n')
				bol--;
			bool comment = false;
			for (size_t c = bol; c < ov[0] && !comment; c++)
				comment = text[c] == '#';
			bool seen = false;
			for (size_t w = 0; w < warned.n && !seen; w++)
				seen = warned.v[w] == line;
			if (!comment && !seen) {
				bool served = p->o->file_view && preflight[k].served;
				strvec_pushf(served ? &p->st->notes : &p->st->warnings, "%s:%zu: %s",
				             it->rel, line,
				             served ? preflight[k].served : preflight[k].what);
				warned.v = xreallocarray(warned.v, warned.n + 1, sizeof(size_t));
				warned.v[warned.n++] = line;
			}
			start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		}
	}
	free(warned.v);
	free(text);
}

void
itg__preflight_scan(struct itg_packer *p)
{
	const size_t n = sizeof(preflight) / sizeof(preflight[0]);
	pcre2_code *res[sizeof(preflight) / sizeof(preflight[0])];

	for (size_t k = 0; k < n; k++) {
		int ecode;
		PCRE2_SIZE eoff;
		res[k] = pcre2_compile((PCRE2_SPTR)preflight[k].pattern, PCRE2_ZERO_TERMINATED, 0,
		                       &ecode, &eoff, NULL);
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct itg_pack_item *it = &p->items[i];
		if (it->kind == RT_BLOB_MODULE && it->path && it->from_site)
			scan_one(p, res, it);
	}
	for (size_t k = 0; k < n; k++)
		pcre2_code_free(res[k]);
}

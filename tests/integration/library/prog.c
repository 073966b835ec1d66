/*
 * prog.c: an existing C program that takes a welded Python in.
 *
 * It links libapp.a, made by `pyweld build --library` with markupsafe
 * welded in (its C speedups included), and escapes HTML with
 * markupsafe.escape: strings from C go in, the results come back to C.
 *
 *     prog [TEXT...]
 *
 * First checks markupsafe against a table of known answers (and that the
 * escape it runs is the C one), printing "ok N" per case; then prints each
 * TEXT escaped, one per line.  Exit status 0 when every answer was right and
 * every call succeeded, 1 otherwise (the reason on stderr).
 */
#include <stdio.h>
#include <string.h>

#include "pyweld.h"

static const struct {
	const char *in, *want;
} known[] = {
	{ "plain text", "plain text" },
	{ "<script>alert(\"x\")</script>", "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" },
	{ "Tom & Jerry's", "Tom &amp; Jerry&#39;s" },
	{ "caf\xc3\xa9 <\xe2\x82\xac>", "caf\xc3\xa9 &lt;\xe2\x82\xac&gt;" },     /* UTF-8 */
	{ "", "" },
};

int
main(int argc, char **argv)
{
	struct pyweld_config cfg;
	int status = 0, code = 0;

	pyweld_config_init(&cfg);
	cfg.argc = argc;
	cfg.argv = argv;
	if (pyweld_start(&cfg) != PYWELD_OK) {
		fprintf(stderr, "prog: cannot start Python: %s\n", pyweld_error());
		return 1;
	}
	/* markupsafe's own C code, not its pure-Python fallback */
	if (pyweld_run_code("import markupsafe, markupsafe._speedups\n"
	                    "assert markupsafe.escape is markupsafe._speedups.escape\n")
	    != PYWELD_OK) {
		fprintf(stderr, "prog: markupsafe's C speedups are not in use:\n%s\n",
		        pyweld_error());
		status = 1;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		char *out = NULL;

		if (pyweld_call_str("markupsafe.escape", known[i].in, &out) != PYWELD_OK) {
			fprintf(stderr, "prog: markupsafe.escape failed:\n%s\n", pyweld_error());
			status = 1;
		} else if (strcmp(out, known[i].want)) {
			fprintf(stderr, "prog: escape(\"%s\") gave \"%s\", wanted \"%s\"\n",
			        known[i].in, out, known[i].want);
			status = 1;
		} else {
			printf("ok %zu\n", i + 1);
		}
		pyweld_free(out);
	}
	for (int i = 1; i < argc; i++) {
		char *out = NULL;

		if (pyweld_call_str("markupsafe.escape", argv[i], &out) != PYWELD_OK) {
			fprintf(stderr, "prog: markupsafe.escape failed:\n%s\n", pyweld_error());
			status = 1;
			continue;
		}
		printf("%s\n", out);
		pyweld_free(out);
	}
	fflush(stdout);
	if (pyweld_finish(&code) != PYWELD_OK || code != 0) {
		fprintf(stderr, "prog: finishing Python failed (%d): %s\n", code, pyweld_error());
		status = 1;
	}
	return status;
}

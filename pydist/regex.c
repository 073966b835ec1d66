/*
 * regex.c: the regexes the standard library compiles when imported,
 * compiled once when the distribution is built: pydist/regex_table.py, run
 * by the new interpreter, writes re/_pyweld_precompiled.py into the
 * installed library, where re/_compiler.py looks first (re-precompiled.patch;
 * docs/distribution.md, "Start-up").  The table is a module like the
 * others: it is written before the deep-freeze, which freezes it too.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
pydist_regex_table(struct pydist_job *j, const char *dir)
{
	const struct embedded_file *regex = pydist_script("regex_table.py");
	char *regex_script = util_path_join(dir, "regex_table.py");  /* imports freeze_stdlib.py */
	char *python = pydist_prefix_path(j, "bin/python%V");
	char *stdlib = pydist_prefix_path(j, "lib/python%V");
	char *text = NULL;
	struct strvec args = { 0 };
	int rc = -1;

	if (!regex) {
		pydist_fail(j, "deep-freeze failed: pyweld carries no regex_table.py (a broken "
		            "build of pyweld)");
		goto out;
	}
	if (util_write_atomic(regex_script, regex->data, regex->size, 0644, false) < 0) {
		pydist_fail(j, "deep-freeze failed: cannot write '%s': %s", regex_script,
		            strerror(errno));
		goto out;
	}
	strvec_push(&args, python);
	strvec_push(&args, "-I");
	strvec_push(&args, regex_script);
	strvec_push(&args, stdlib);
	pydist_push_excludes(&args);
	if (pydist_step(j, strvec_cargv(&args), NULL, NULL) < 0)
		goto out;
	char *table = util_path_join(stdlib, "re/_pyweld_precompiled.py");
	size_t n = 0;
	if (util_read_file(table, &text, NULL) == 0)
		for (const char *c = text; (c = strstr(c, "\n    (")); c++)
			n++;
	free(table);
	strvec_pushf(&j->adjustments, "precompiled %zu regexes the standard library "
	             "compiles on import (re/_pyweld_precompiled.py)", n);
	rc = 0;
out:
	free(text);
	free(regex_script);
	free(python);
	free(stdlib);
	strvec_free(&args);
	return rc;
}

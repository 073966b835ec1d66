/* config.h: pyweld.ini, the project file `pyweld init` writes and `pyweld build` reads. */
#ifndef PYWELD_CONFIG_H
#define PYWELD_CONFIG_H

#include <stdbool.h>

#include "util.h"

/* A pyweld.ini: what `pyweld build` welds (runtime/pyweld.h's struct
 * pyweld_config is another thing: the embedding API's start-up settings). */
struct cli_project {
	char *dir;                      /* the directory the file is in (absolute) */
	char *output;                   /* [app] output */
	char *module, *script;          /* [app] module / script (one at most) */
	char *main_c;                   /* [app] main-c: the application's main() */
	struct strvec pip_specs;        /* [packages] pip-install (repeatable) */
	struct strvec requirements;     /* [packages] requirements (paths) */
	struct strvec setup_dirs;       /* [packages] setup-py (paths) */
	struct strvec env;              /* [build] env = NAME=VALUE */
	struct strvec with, without;    /* [build] with-module / without-module */
	struct strvec exclude_modules, exclude_resources; /* [build] exclude-module/-resource */
	bool static_link, stdlib_tests, debug, no_source, fast_exit, pie;
	bool no_deep_freeze;            /* [build] deep-freeze = false */
	bool no_mp_children;            /* [build] multiprocessing-children = false */
	char *work_dir;                 /* [build] work-dir (a path) */
};

#define CLI_PROJECT_NAME "pyweld.ini"

/*
 * Reads a pyweld.ini; relative paths in it are made absolute against its
 * directory.  -1 with a message in err naming the file and line.
 */
int cli_project_read(const char *path, struct cli_project *c, char *err, size_t errlen);
/* Writes c (paths as given) to path through a temporary; -1 + errno. */
int cli_project_write(const char *path, const struct cli_project *c);
/* Frees what c holds and zeroes it. */
void cli_project_free(struct cli_project *c);

#endif

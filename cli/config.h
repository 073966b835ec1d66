/*
 * config.h: the options of `pyweld build`, from its command line and from
 * pyweld.ini, the project file `pyweld init` writes.
 */
#ifndef PYWELD_CONFIG_H
#define PYWELD_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "util.h"

/*
 * What `pyweld build` is asked to do.  Strings and vectors are owned.
 * pyweld.ini holds the ones with a key (config.c's table says which);
 * runtime/pyweld.h's struct pyweld_config is another thing, the embedding
 * API's start-up settings.
 */
struct cli_build_options {
	/* what goes in */
	struct strvec pip_specs;        /* --pip-install; [packages] pip-install */
	struct strvec requirements;     /* -r; [packages] requirements (paths) */
	struct strvec setup_dirs;       /* --setup-py; [packages] setup-py (paths) */
	struct strvec env;              /* --env NAME=VALUE; [build] env */
	struct strvec with, without;    /* --with-module, --without-module; [build] */
	struct strvec exclude_modules, exclude_resources; /* pcre2; [build] exclude-* */
	bool stdlib_tests, no_source, no_deep_freeze, no_file_view, library;
	bool deep_freeze_all;           /* --deep-freeze-all; [build] deep-freeze-all */
	bool no_compress_code;
	bool prune, no_prune;           /* --prune, --no-prune; [build] prune */
	struct strvec keep_modules;     /* --keep-module (pcre2); [build] keep-module */
	struct strvec reach_files;      /* --reach-file; [build] reach-file */
	char *main_c;                   /* --main-c; [app] main-c: the application's main() */
	/* what it runs (one at most) */
	char *code, *module, *script;   /* --python-code, -m, --script; [app] module, script */
	bool fast_exit;
	bool no_mp_children;            /* --no-multiprocessing-children */
	/* how */
	char *output;                   /* -o; [app] output */
	char *config_file;              /* --config */
	char *dist_dir, *cache_dir;     /* --dist, --cache */
	char *python_version;           /* --python; [build] python: "3.13" */
	char *work_dir;                 /* --work-dir; [build] work-dir */
	bool no_build_cache;            /* --no-build-cache; [build] build-cache = false */
	bool debug, static_link, pie, keep_work, verbose;
	char *debug_file;               /* --debug-file; [build] debug-file (path) */
	char *size_report;              /* --size-report[=text|json] */
	char *sbom_format;              /* --sbom-format; [build] sbom-format */
	struct strvec deny_licences;    /* --deny-licence (pcre2); [build] deny-licence */
};

/* The project file `pyweld build` reads where it runs, when neither -o nor
 * anything to put in is given. */
#define CLI_PROJECT_NAME "pyweld.ini"

/* Prints `pyweld build --help`: the synopsis, then every option. */
void cli_build_usage(FILE *f);
/*
 * Parses the command line of `pyweld build` into o (zeroed first): exits 0
 * after --help, 2 after a usage error.  Returns how many entry points
 * (--python-code, -m, --script) were given, repeats included.
 */
int cli_build_args(struct cli_build_options *o, int argc, char **argv);

/*
 * A pip requirement as pip, running in the work directory, must see it: one
 * that names an existing file or directory by a relative path (it holds a
 * '/' and no "://"), relative to dir, made absolute; any other as it is.
 * Allocated.
 */
char *cli_local_spec(const char *dir, const char *v);
/*
 * Reads a pyweld.ini into o (zeroed first); relative paths in it are made
 * absolute against its directory.  -1 with a message in err naming the
 * file and line or setting.
 */
int cli_project_read(const char *path, struct cli_build_options *o, char *err,
                     size_t errlen);
/*
 * Adds what a pyweld.ini sets to o, the command line's: the file's lists
 * after the command line's, its switches to the command line's, its other
 * values where the command line gave none, and its entry point (module or
 * script) only when entry_given is false.
 */
void cli_project_merge(struct cli_build_options *o, const struct cli_build_options *ini,
                       bool entry_given);
/* Writes o's settings (paths as given) to path as a documented pyweld.ini,
 * through a temporary; -1 + errno. */
int cli_project_write(const char *path, const struct cli_build_options *o);
/* Frees what o holds and zeroes it. */
void cli_build_options_free(struct cli_build_options *o);

#endif

/* cli: the pyweld front end's internal interface. */
#ifndef PYWELD_CLI_H
#define PYWELD_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "linkdb.h"
#include "util.h"

/* A subcommand: argv[0] is its name. Returns the process exit status. */
typedef int (*cli_cmd_fn)(int argc, char **argv);

int cli_cmd_db(int argc, char **argv);
int cli_cmd_env(int argc, char **argv);
int cli_cmd_python(int argc, char **argv);
int cli_cmd_build(int argc, char **argv);
int cli_cmd_init(int argc, char **argv);
int cli_cmd_link_flags(int argc, char **argv);
int cli_cmd_inspect(int argc, char **argv);

/* The cache root (--cache DIR or the default), made when create and checked
 * (pydist_cache_root); exits 1 with the error and a hint.  malloc'd. */
char *cli_cache_root(const char *dir, bool create);
/* arg when it is a CPython version pyweld builds ("3.13"); else a usage
 * error (exit 2). */
const char *cli_python_version(const char *arg);

/* --- output: tables for people, JSON for scripts ------------------------- */

/* Collects rows of text cells and prints them aligned. */
struct cli_table {
	size_t ncols;
	struct strvec headers;          /* copied */
	struct strvec cells;            /* row-major */
};
/* Starts a table with ncols columns named by headers (copied). */
void cli_table_init(struct cli_table *t, size_t ncols, const char *const *headers);
/* Adds one row of ncols cells (copied). */
void cli_table_row(struct cli_table *t, const char *const *cells);
void cli_table_print(struct cli_table *t, FILE *f);
void cli_table_free(struct cli_table *t);

/* A linkdb row as a JSON object (argv columns become arrays of strings). */
json_t *cli_row_json(const struct linkdb_row *row);
/* A linkdb value as display text (malloc'd); hashes shortened when short. */
char *cli_value_text(const char *name, const struct linkdb_value *v, bool short_hash);
/* A JSON string from bytes that may not be UTF-8 (bad bytes become U+FFFD). */
json_t *cli_json_string(const char *s, size_t len);
/* Prints JSON to stdout followed by a newline; consumes j. Returns 0/-1. */
int cli_json_print(json_t *j);
/* Joins an argv blob into one shell-quoted line (malloc'd). */
char *cli_argv_line(const char *blob, size_t len);
/* s with control characters as '?', for the terminal: package metadata and
 * file names must not drive it (malloc'd); "-" for NULL. */
char *cli_safe(const char *s);

/* --- options shared by subcommands ---------------------------------------- */

/* The wrapper compiler: $PYWELD_SHIM_EXE, else pyweld-cc beside pyweld; exits if missing. */
char *cli_shim_exe(void);

/* The database path from --db or $PYWELD_DB; exits 2 with a hint when neither. */
const char *cli_db_path(const char *opt);

#endif

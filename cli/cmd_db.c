/* cmd_db.c: `pyweld db`, the link database from the command line. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char db_usage[] =
	"usage: pyweld db COMMAND [--db FILE] [--json] [ARGS]\n"
	"\n"
	"Reads and maintains a pyweld link database: the SQLite file in which the\n"
	"wrapper compilers record every compile, shared link and archive of a build,\n"
	"and the content-addressed object store beside it (FILE.store/).\n"
	"\n"
	"commands:\n"
	"  create              create an empty database (fails if FILE exists)\n"
	"  info                summarise: schema version, record counts, store size\n"
	"  builds              list the pyweld runs that wrote records\n"
	"  compiles            list recorded compiles\n"
	"  links               list recorded shared links with their PyInit symbols\n"
	"  archives            list archives that builds made with ar\n"
	"  objects             list stored objects with their symbol counts\n"
	"  extensions          list extension modules collected for welding\n"
	"  distributions       list CPython distributions built by pyweld\n"
	"  show KIND:ID        one record with everything linked to it; KIND is\n"
	"                      compile, link, archive, build (by number), object (by\n"
	"                      hash or a unique prefix of 6+ digits), extension (by\n"
	"                      dotted name)\n"
	"  check               verify SQLite integrity, references, and that every\n"
	"                      stored object is present with the right hash;\n"
	"                      exits 1 when a problem is found\n"
	"  gc [--dry-run] [--min-age SECONDS]\n"
	"                      drop objects no record references and store files\n"
	"                      and temporaries untouched for SECONDS (default 3600);\n"
	"                      safe while builds record; --dry-run only counts\n"
	"\n"
	"options:\n"
	"  --db FILE           the database (default: $PYWELD_DB)\n"
	"  --json              machine-readable output, stable across versions\n"
	"  -h, --help          this help\n";

struct opts {
	const char *db;
	bool json, dry_run;
	double min_age;
};

/* Opens the database, or exits 1 with the library's message. */
static struct linkdb *
open_db(const struct opts *o, unsigned flags)
{
	struct linkdb *db;
	const char *path = cli_db_path(o->db);

	if (linkdb_open(&db, path, flags) < 0) {
		util_error("%s", linkdb_errmsg(db));
		if (strstr(linkdb_errmsg(db), "no such file"))
			util_hint("create one with 'pyweld db create --db %s'", path);
		else if (strstr(linkdb_errmsg(db), "not a SQLite database") ||
		         strstr(linkdb_errmsg(db), "truncated"))
			util_hint("move the file away and create a new database; records "
			          "in it cannot be recovered by pyweld");
		linkdb_close(db);
		exit(1);
	}
	return db;
}

static int
do_create(const struct opts *o, int argc, char **argv)
{
	struct linkdb *db = open_db(o, LINKDB_CREATE | LINKDB_EXCLUSIVE_CREATE);

	if (o->json) {
		cli_json_print(json_pack("{s:s, s:s, s:i}", "path", linkdb_path(db),
		                         "store", linkdb_store_dir(db), "schema_version",
		                         linkdb_schema_version(db)));
	} else {
		printf("created link database '%s' (schema %d, store '%s')\n",
		       linkdb_path(db), linkdb_schema_version(db), linkdb_store_dir(db));
	}
	linkdb_close(db);
	return 0;
}

static int
do_info(const struct opts *o, int argc, char **argv)
{
	struct linkdb *db = open_db(o, LINKDB_READONLY);
	struct linkdb_counts c;

	if (linkdb_counts(db, &c) < 0)
		util_fatal("%s", linkdb_errmsg(db));
	if (o->json) {
		cli_json_print(json_pack(
			"{s:s, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"path", linkdb_path(db), "store", linkdb_store_dir(db),
			"schema_version", linkdb_schema_version(db),
			"builds", (json_int_t)c.builds, "compiles", (json_int_t)c.compiles,
			"links", (json_int_t)c.links, "archives", (json_int_t)c.archives,
			"objects", (json_int_t)c.objects, "symbols", (json_int_t)c.symbols,
			"extensions", (json_int_t)c.extensions,
			"distributions", (json_int_t)c.distributions,
			"store_files", (json_int_t)c.store_files,
			"store_bytes", (json_int_t)c.store_bytes));
	} else {
		printf("database:       %s\n", linkdb_path(db));
		printf("schema version: %d\n", linkdb_schema_version(db));
		printf("store:          %s (%lld files, %.1f MiB)\n", linkdb_store_dir(db),
		       (long long)c.store_files, (double)c.store_bytes / 1048576.0);
		printf("builds:         %lld\n", (long long)c.builds);
		printf("compiles:       %lld\n", (long long)c.compiles);
		printf("links:          %lld\n", (long long)c.links);
		printf("archives:       %lld\n", (long long)c.archives);
		printf("objects:        %lld (%lld symbols)\n", (long long)c.objects,
		       (long long)c.symbols);
		printf("extensions:     %lld\n", (long long)c.extensions);
		printf("distributions:  %lld\n", (long long)c.distributions);
	}
	linkdb_close(db);
	return 0;
}

/* --- listings ------------------------------------------------------------- */

struct listing {
	const char *name;
	enum linkdb_list what;
	const char *columns[8];         /* shown in text mode, NULL-terminated */
};

static const struct listing listings[] = {
	{ "archives", LINKDB_LIST_ARCHIVES, { "id", "object", "path" } },
	{ "builds", LINKDB_LIST_BUILDS,
	  { "id", "started", "tool", "compiles", "links", "archives", "cwd" } },
	{ "compiles", LINKDB_LIST_COMPILES,
	  { "id", "language", "status", "object", "output", "cwd" } },
	{ "distributions", LINKDB_LIST_DISTRIBUTIONS,
	  { "id", "python_version", "abi", "ext_suffix", "prefix" } },
	{ "extensions", LINKDB_LIST_EXTENSIONS,
	  { "name", "package", "version", "link", "init_symbol", "renamed_symbol" } },
	{ "links", LINKDB_LIST_LINKS,
	  { "id", "language", "status", "inputs", "init_symbols", "output_hash",
	    "output" } },
	{ "objects", LINKDB_LIST_OBJECTS,
	  { "hash", "kind", "size", "lto", "defined", "undefined" } },
};

struct list_ctx {
	const struct listing *l;
	size_t ncols;
	struct cli_table table;
	json_t *array;
};

static int
list_row(void *vctx, const struct linkdb_row *row)
{
	struct list_ctx *ctx = vctx;
	const char *cells[8] = { 0 };
	char *owned[8] = { 0 };

	if (ctx->array) {
		json_array_append_new(ctx->array, cli_row_json(row));
		return 0;
	}
	for (size_t c = 0; c < ctx->ncols; c++) {
		for (size_t i = 0; i < row->n; i++) {
			if (strcmp(row->names[i], ctx->l->columns[c]) == 0) {
				owned[c] = cli_value_text(row->names[i], &row->values[i], true);
				cells[c] = owned[c];
			}
		}
	}
	cli_table_row(&ctx->table, cells);
	for (size_t c = 0; c < ctx->ncols; c++)
		free(owned[c]);
	return 0;
}

static int
do_list(const struct opts *o, const struct listing *l)
{
	struct linkdb *db = open_db(o, LINKDB_READONLY);
	struct list_ctx ctx = { .l = l };

	while (ctx.ncols < 8 && l->columns[ctx.ncols])
		ctx.ncols++;
	if (o->json)
		ctx.array = json_array();
	else
		cli_table_init(&ctx.table, ctx.ncols, l->columns);
	if (linkdb_list(db, l->what, list_row, &ctx) < 0)
		util_fatal("%s", linkdb_errmsg(db));
	if (o->json) {
		cli_json_print(ctx.array);
	} else {
		if (ctx.table.cells.n)
			cli_table_print(&ctx.table, stdout);
		else
			printf("no %s in '%s'\n", l->name, linkdb_path(db));
		cli_table_free(&ctx.table);
	}
	linkdb_close(db);
	return 0;
}

/* --- show ------------------------------------------------------------------ */

struct show_ctx {
	bool json;
	json_t *doc;
	int rows;
	char *section;                  /* section of the table being collected */
	struct cli_table table;
};

/* Prints the table collected for the current section and forgets it. */
static void
flush_table(struct show_ctx *ctx)
{
	if (ctx->section && ctx->table.ncols) {
		printf("\n%s:\n", ctx->section);
		cli_table_print(&ctx->table, stdout);
	}
	cli_table_free(&ctx->table);
	memset(&ctx->table, 0, sizeof(ctx->table));
	free(ctx->section);
	ctx->section = NULL;
}

static void
show_json(struct show_ctx *ctx, const struct linkdb_row *row, bool first)
{
	json_t *a;

	if (first) {
		json_object_set_new(ctx->doc, "kind", json_string(row->section));
		json_object_set_new(ctx->doc, row->section, cli_row_json(row));
		return;
	}
	a = json_object_get(ctx->doc, row->section);
	if (!a) {
		a = json_array();
		json_object_set_new(ctx->doc, row->section, a);
	}
	if (json_is_array(a))
		json_array_append_new(a, cli_row_json(row));
}

static int
show_row(void *vctx, const struct linkdb_row *row)
{
	struct show_ctx *ctx = vctx;
	bool first = ctx->rows++ == 0;
	char **cells;

	if (ctx->json) {
		show_json(ctx, row, first);
		return 0;
	}
	if (first) {
		for (size_t i = 0; i < row->n; i++) {
			char *v = cli_value_text(row->names[i], &row->values[i], false);
			printf("%-12s %s\n", row->names[i], v);
			free(v);
		}
		return 0;
	}
	if (!ctx->section || strcmp(ctx->section, row->section) != 0) {
		flush_table(ctx);
		ctx->section = xstrdup(row->section);
		cli_table_init(&ctx->table, row->n, row->names);
	}
	cells = xcalloc(row->n, sizeof(char *));
	for (size_t i = 0; i < row->n; i++)
		cells[i] = cli_value_text(row->names[i], &row->values[i], true);
	cli_table_row(&ctx->table, (const char *const *)cells);
	for (size_t i = 0; i < row->n; i++)
		free(cells[i]);
	free(cells);
	return 0;
}

static int
do_show(const struct opts *o, int argc, char **argv)
{
	struct show_ctx ctx = { .json = o->json };
	struct linkdb *db;
	int rc = 0;

	if (argc != 1)
		util_usage_error("'db show' needs one KIND:ID (e.g. link:3, object:1a2b3c)");
	db = open_db(o, LINKDB_READONLY);
	if (o->json)
		ctx.doc = json_object();
	if (linkdb_show(db, argv[0], show_row, &ctx) < 0) {
		util_error("%s", linkdb_errmsg(db));
		rc = 1;
	} else if (o->json) {
		cli_json_print(ctx.doc);
		ctx.doc = NULL;
	}
	flush_table(&ctx);
	json_decref(ctx.doc);
	linkdb_close(db);
	return rc;
}

/* --- check and gc ------------------------------------------------------------ */

struct check_ctx {
	bool json;
	json_t *problems;
};

static void
check_problem(void *vctx, const char *subject, const char *problem)
{
	struct check_ctx *ctx = vctx;

	if (ctx->json)
		json_array_append_new(ctx->problems, json_pack("{s:s, s:s}", "subject",
		                      subject, "problem", problem));
	else
		fprintf(stderr, "%s: error: check '%s': %s\n", util_progname(), subject,
		        problem);
}

static int
do_check(const struct opts *o, int argc, char **argv)
{
	struct check_ctx ctx = { .json = o->json };
	struct linkdb *db = open_db(o, LINKDB_READONLY);
	struct linkdb_counts c;
	int n;

	if (o->json)
		ctx.problems = json_array();
	n = linkdb_check(db, check_problem, &ctx);
	if (n < 0)
		util_fatal("%s", linkdb_errmsg(db));
	if (linkdb_counts(db, &c) < 0)
		util_fatal("%s", linkdb_errmsg(db));
	if (o->json) {
		cli_json_print(json_pack("{s:s, s:b, s:I, s:o}", "path", linkdb_path(db),
		                         "ok", n == 0, "objects", (json_int_t)c.objects,
		                         "problems", ctx.problems));
	} else if (n == 0) {
		printf("'%s' is consistent: %lld records, %lld objects verified\n",
		       linkdb_path(db), (long long)(c.compiles + c.links + c.archives),
		       (long long)c.objects);
	} else {
		util_error("'%s' has %d problem%s", linkdb_path(db), n, n == 1 ? "" : "s");
	}
	linkdb_close(db);
	return n == 0 ? 0 : 1;
}

static int
do_gc(const struct opts *o, int argc, char **argv)
{
	/* A dry run only reads: it needs no write access, and upgrades nothing. */
	struct linkdb *db = open_db(o, o->dry_run ? LINKDB_READONLY : 0);
	struct linkdb_gc_stats s;

	if (linkdb_gc(db, o->dry_run, o->min_age, &s) < 0)
		util_fatal("%s", linkdb_errmsg(db));
	if (o->json) {
		cli_json_print(json_pack("{s:b, s:I, s:I, s:I, s:I}", "dry_run", o->dry_run,
		                         "rows_dropped", (json_int_t)s.rows_dropped,
		                         "files_removed", (json_int_t)s.files_removed,
		                         "bytes_removed", (json_int_t)s.bytes_removed,
		                         "temps_removed", (json_int_t)s.temps_removed));
	} else {
		printf("%s %lld unreferenced object%s, %lld store file%s (%.1f KiB), "
		       "%lld temporar%s\n", o->dry_run ? "would drop" : "dropped",
		       (long long)s.rows_dropped, s.rows_dropped == 1 ? "" : "s",
		       (long long)s.files_removed, s.files_removed == 1 ? "" : "s",
		       (double)s.bytes_removed / 1024.0, (long long)s.temps_removed,
		       s.temps_removed == 1 ? "y" : "ies");
	}
	linkdb_close(db);
	return 0;
}

/* --- dispatch ------------------------------------------------------------- */

int
cli_cmd_db(int argc, char **argv)
{
	enum { OPT_DB = 256, OPT_JSON, OPT_DRY_RUN, OPT_MIN_AGE };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "min-age", required_argument, NULL, OPT_MIN_AGE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .min_age = 3600 };
	const char *sub;
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB: o.db = optarg; break;
		case OPT_JSON: o.json = true; break;
		case OPT_DRY_RUN: o.dry_run = true; break;
		case OPT_MIN_AGE:
			o.min_age = strtod(optarg, &end);
			if (*end || o.min_age < 0)
				util_usage_error("--min-age wants seconds, not '%s'", optarg);
			break;
		case 'h': fputs(db_usage, stdout); return 0;
		default:
			fputs("hint: see 'pyweld db --help'\n", stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(db_usage, stderr);
		return 2;
	}
	sub = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;

	if (!strcmp(sub, "create"))
		return do_create(&o, argc, argv);
	if (!strcmp(sub, "show"))
		return do_show(&o, argc, argv);
	if (argc > 0)
		util_usage_error("'db %s' takes no argument '%s'", sub, argv[0]);
	if (!strcmp(sub, "info"))
		return do_info(&o, argc, argv);
	if (!strcmp(sub, "check"))
		return do_check(&o, argc, argv);
	if (!strcmp(sub, "gc"))
		return do_gc(&o, argc, argv);
	for (size_t i = 0; i < sizeof(listings) / sizeof(listings[0]); i++)
		if (!strcmp(sub, listings[i].name))
			return do_list(&o, &listings[i]);
	util_error("unknown db command '%s'", sub);
	util_hint("see 'pyweld db --help'");
	return 2;
}

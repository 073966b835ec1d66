/* query.c: reading the link database back: listings, `show`, counts. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_COLUMNS 16

/*
 * Runs sql (with up to one bound text parameter) and hands every row to fn
 * under the given section name.  Columns named "argv" are decoded from the
 * NUL-separated blob.
 */
static int
emit(struct linkdb *db, const char *section, const char *sql, const char *param,
     linkdb_row_fn fn, void *ctx, int *count)
{
	sqlite3_stmt *st;
	const char *names[MAX_COLUMNS];
	struct linkdb_value values[MAX_COLUMNS];
	struct linkdb_row row = { section, 0, names, values };
	int rc, ncol;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return linkdb__sqlerr(db, "cannot prepare a query");
	if (param)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
	ncol = sqlite3_column_count(st);
	if (ncol > MAX_COLUMNS)
		ncol = MAX_COLUMNS;
	for (int i = 0; i < ncol; i++)
		names[i] = sqlite3_column_name(st, i);
	row.n = (size_t)ncol;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < ncol; i++) {
			struct linkdb_value *v = &values[i];
			memset(v, 0, sizeof(*v));
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				v->type = LINKDB_NULL;
				break;
			case SQLITE_INTEGER:
				v->type = LINKDB_INT;
				v->i = sqlite3_column_int64(st, i);
				break;
			case SQLITE_FLOAT:
				v->type = LINKDB_REAL;
				v->r = sqlite3_column_double(st, i);
				break;
			default:
				v->s = sqlite3_column_blob(st, i);
				v->len = (size_t)sqlite3_column_bytes(st, i);
				if (!v->s)
					v->s = "";
				v->type = LINKDB_TEXT;
				if (!strcmp(names[i], "argv")) {
					v->type = LINKDB_ARGV;
					for (size_t k = 0; k < v->len; k++)
						v->argc += v->s[k] == '\0';
				}
			}
		}
		if (count)
			(*count)++;
		if (fn(ctx, &row) != 0) {
			sqlite3_finalize(st);
			linkdb__seterr(db, "stopped by the caller");
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return linkdb__sqlerr(db, "cannot read records");
	return 0;
}

static const char *const list_sql[] = {
	[LINKDB_LIST_BUILDS] =
		"SELECT b.id, b.started, b.tool, b.cwd, b.note,"
		" (SELECT count(*) FROM compile WHERE build = b.id) AS compiles,"
		" (SELECT count(*) FROM link WHERE build = b.id) AS links,"
		" (SELECT count(*) FROM archive WHERE build = b.id) AS archives"
		" FROM build b ORDER BY b.id",
	[LINKDB_LIST_COMPILES] =
		"SELECT id, build, time, cwd, language, output, object, status, argv"
		" FROM compile ORDER BY id",
	[LINKDB_LIST_LINKS] =
		"SELECT l.id, l.build, l.time, l.cwd, l.language, l.output, l.output_hash,"
		" l.status,"
		" (SELECT group_concat(symbol, ' ') FROM"
		"   (SELECT DISTINCT symbol FROM link_init WHERE link = l.id ORDER BY symbol))"
		"   AS init_symbols,"
		" (SELECT count(*) FROM link_input WHERE link = l.id) AS inputs,"
		" l.argv FROM link l ORDER BY l.id",
	[LINKDB_LIST_ARCHIVES] =
		"SELECT id, build, time, cwd, path, object, argv FROM archive ORDER BY id",
	[LINKDB_LIST_OBJECTS] =
		"SELECT o.hash, o.size, o.kind, o.lto,"
		" (SELECT count(*) FROM symbol WHERE object = o.hash AND defined = 1)"
		"   AS defined,"
		" (SELECT count(*) FROM symbol WHERE object = o.hash AND defined = 0)"
		"   AS undefined"
		" FROM object o ORDER BY o.hash",
	[LINKDB_LIST_EXTENSIONS] =
		"SELECT id, name, package, version, link, init_symbol, renamed_symbol, file,"
		" distribution FROM extension ORDER BY name, id",
	[LINKDB_LIST_DISTRIBUTIONS] =
		"SELECT id, python_version, abi, ext_suffix, prefix, libpython, data"
		" FROM distribution ORDER BY id",
};

static const char *const list_section[] = {
	[LINKDB_LIST_BUILDS] = "build",
	[LINKDB_LIST_COMPILES] = "compile",
	[LINKDB_LIST_LINKS] = "link",
	[LINKDB_LIST_ARCHIVES] = "archive",
	[LINKDB_LIST_OBJECTS] = "object",
	[LINKDB_LIST_EXTENSIONS] = "extension",
	[LINKDB_LIST_DISTRIBUTIONS] = "distribution",
};

int
linkdb_list(struct linkdb *db, enum linkdb_list what, linkdb_row_fn fn,
            void *ctx)
{
	if ((unsigned)what > LINKDB_LIST_DISTRIBUTIONS)
		return linkdb__seterr(db, "unknown listing %d", (int)what);
	return emit(db, list_section[what], list_sql[what], NULL, fn, ctx, NULL);
}

/* One part of a `show`: a section and the query that fills it. */
struct part {
	const char *section;
	const char *sql;
};

static const struct part show_compile[] = {
	{ "compile", "SELECT id, build, time, cwd, language, output, object, status,"
	             " argv FROM compile WHERE id = ?1" },
	{ "source", "SELECT seq, path, hash FROM compile_source WHERE compile = ?1"
	            " ORDER BY seq" },
	{ "object", "SELECT o.hash, o.size, o.kind, o.lto FROM object o"
	            " JOIN compile c ON c.object = o.hash WHERE c.id = ?1" },
	{ NULL, NULL },
};

static const struct part show_link[] = {
	{ "link", "SELECT id, build, time, cwd, language, output, output_hash, status,"
	          " argv FROM link WHERE id = ?1" },
	{ "input", "SELECT i.seq, i.kind, i.value, i.path, i.object, o.size, o.kind"
	           " AS object_kind, o.lto FROM link_input i LEFT JOIN object o"
	           " ON o.hash = i.object WHERE i.link = ?1 ORDER BY i.seq" },
	{ "init", "SELECT symbol, object FROM link_init WHERE link = ?1"
	          " ORDER BY symbol, object" },
	{ "extension", "SELECT id, name, package, version, init_symbol,"
	               " renamed_symbol, file FROM extension WHERE link = ?1" },
	{ NULL, NULL },
};

static const struct part show_archive[] = {
	{ "archive", "SELECT id, build, time, cwd, path, object, argv FROM archive"
	             " WHERE id = ?1" },
	{ "object", "SELECT o.hash, o.size, o.kind, o.lto FROM object o"
	            " JOIN archive a ON a.object = o.hash WHERE a.id = ?1" },
	{ NULL, NULL },
};

static const struct part show_build[] = {
	{ "build", "SELECT id, started, tool, cwd, note FROM build WHERE id = ?1" },
	{ "compile", "SELECT id, language, output, object, status FROM compile"
	             " WHERE build = ?1 ORDER BY id" },
	{ "link", "SELECT id, language, output, output_hash, status FROM link"
	          " WHERE build = ?1 ORDER BY id" },
	{ "archive", "SELECT id, path, object FROM archive WHERE build = ?1"
	             " ORDER BY id" },
	{ NULL, NULL },
};

static const struct part show_object[] = {
	{ "object", "SELECT hash, size, kind, lto FROM object WHERE hash = ?1" },
	{ "symbol", "SELECT name, defined, weak FROM symbol WHERE object = ?1"
	            " ORDER BY defined DESC, name" },
	{ "compile", "SELECT id, output, cwd FROM compile WHERE object = ?1"
	             " ORDER BY id" },
	{ "link", "SELECT DISTINCT l.id, l.output, i.value FROM link l"
	          " JOIN link_input i ON i.link = l.id WHERE i.object = ?1"
	          " ORDER BY l.id" },
	{ "archive", "SELECT id, path FROM archive WHERE object = ?1 ORDER BY id" },
	{ NULL, NULL },
};

static const struct part show_extension[] = {
	{ "extension", "SELECT id, name, package, version, link, init_symbol,"
	               " renamed_symbol, file, distribution FROM extension"
	               " WHERE name = ?1 ORDER BY id" },
	{ "link", "SELECT l.id, l.output, l.output_hash, l.language FROM link l"
	          " JOIN extension e ON e.link = l.id WHERE e.name = ?1" },
	{ NULL, NULL },
};

/* Resolves a hash prefix to the one object it names. */
static int
object_by_prefix(struct linkdb *db, const char *prefix, char *hex)
{
	sqlite3_stmt *st;
	char lo[LINKDB_HASH_HEX + 1], hi[LINKDB_HASH_HEX + 1];
	int rc, n = 0;
	size_t len = strlen(prefix);

	if (len < 6 || len > LINKDB_HASH_HEX || strspn(prefix, "0123456789abcdef") != len)
		return linkdb__seterr(db, "'%s' is not an object hash (6 to 64 lower-case "
		                      "hex digits)", prefix);
	memset(lo, '0', LINKDB_HASH_HEX);
	memset(hi, 'f', LINKDB_HASH_HEX);
	memcpy(lo, prefix, len);
	memcpy(hi, prefix, len);
	lo[LINKDB_HASH_HEX] = hi[LINKDB_HASH_HEX] = '\0';
	if (sqlite3_prepare_v2(db->sql, "SELECT hash FROM object WHERE hash BETWEEN ?1"
	                       " AND ?2 LIMIT 2", -1, &st, NULL) != SQLITE_OK)
		return linkdb__sqlerr(db, "cannot prepare a query");
	sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == 0)
			memcpy(hex, sqlite3_column_text(st, 0), LINKDB_HASH_HEX + 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return linkdb__sqlerr(db, "cannot look up an object");
	if (n == 0)
		return linkdb__seterr(db, "no object '%s' in '%s'", prefix, db->path);
	if (n > 1)
		return linkdb__seterr(db, "object prefix '%s' is ambiguous; give more "
		                      "digits", prefix);
	return 0;
}

int
linkdb_show(struct linkdb *db, const char *spec, linkdb_row_fn fn, void *ctx)
{
	static const struct { const char *kind; const struct part *parts; bool numeric; }
	kinds[] = {
		{ "compile", show_compile, true },
		{ "link", show_link, true },
		{ "archive", show_archive, true },
		{ "build", show_build, true },
		{ "object", show_object, false },
		{ "extension", show_extension, false },
	};
	char hex[LINKDB_HASH_HEX + 1];
	const char *colon = strchr(spec, ':'), *key;
	size_t klen;
	int64_t n;

	if (!colon)
		return linkdb__seterr(db, "cannot show '%s': expected KIND:ID, e.g. "
		                      "link:3 or object:1a2b3c", spec);
	klen = (size_t)(colon - spec);
	key = colon + 1;
	for (size_t k = 0; k < countof(kinds); k++) {
		if (strlen(kinds[k].kind) != klen || strncmp(spec, kinds[k].kind, klen))
			continue;
		if (kinds[k].numeric && !util_parse_i64(key, &n))
			return linkdb__seterr(db, "cannot show '%s': '%s' is not a record "
			                      "number", spec, key);
		if (!strcmp(kinds[k].kind, "object")) {
			if (object_by_prefix(db, key, hex) < 0)
				return -1;
			key = hex;
		}
		for (const struct part *p = kinds[k].parts; p->section; p++) {
			int count = 0;
			if (emit(db, p->section, p->sql, key, fn, ctx, &count) < 0)
				return -1;
			if (p == kinds[k].parts && count == 0)
				return linkdb__seterr(db, "no %s '%s' in '%s'", kinds[k].kind,
				                      key, db->path);
		}
		return 0;
	}
	return linkdb__seterr(db, "cannot show '%s': unknown kind '%.*s' (compile, "
	                      "link, archive, build, object, extension)", spec,
	                      (int)klen, spec);
}

static int
count_sql(struct linkdb *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return linkdb__sqlerr(db, "cannot prepare a count");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : linkdb__sqlerr(db, "cannot count records");
}

/* Calls fn(ctx, dir, name) for every hash-named file in the store. */
static int
walk_store(struct linkdb *db, void (*fn)(void *, const char *, const char *),
           void *ctx)
{
	DIR *top = opendir(db->store), *sub;
	struct dirent *e, *f;

	if (!top)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(top))) {
		if (strlen(e->d_name) != 2 || e->d_name[0] == '.')
			continue;
		char *dir = util_path_join(db->store, e->d_name);
		if (!dir || !(sub = opendir(dir))) {
			free(dir);
			continue;
		}
		while ((f = readdir(sub)))
			if (linkdb_is_hash(f->d_name))
				fn(ctx, dir, f->d_name);
		closedir(sub);
		free(dir);
	}
	closedir(top);
	return 0;
}

static void
count_file(void *ctx, const char *dir, const char *name)
{
	struct linkdb_counts *c = ctx;
	struct stat st;
	char *p = util_path_join(dir, name);

	if (p && stat(p, &st) == 0) {
		c->store_files++;
		c->store_bytes += st.st_size;
	}
	free(p);
}

int
linkdb_counts(struct linkdb *db, struct linkdb_counts *c)
{
	memset(c, 0, sizeof(*c));
	if (count_sql(db, "SELECT count(*) FROM build", &c->builds) < 0 ||
	    count_sql(db, "SELECT count(*) FROM compile", &c->compiles) < 0 ||
	    count_sql(db, "SELECT count(*) FROM link", &c->links) < 0 ||
	    count_sql(db, "SELECT count(*) FROM archive", &c->archives) < 0 ||
	    count_sql(db, "SELECT count(*) FROM object", &c->objects) < 0 ||
	    count_sql(db, "SELECT count(*) FROM symbol", &c->symbols) < 0 ||
	    count_sql(db, "SELECT count(*) FROM extension", &c->extensions) < 0 ||
	    count_sql(db, "SELECT count(*) FROM distribution", &c->distributions) < 0)
		return -1;
	walk_store(db, count_file, c);
	return 0;
}

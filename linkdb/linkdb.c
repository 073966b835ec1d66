/*
 * linkdb.c: opening, schema, migrations and the records the wrappers write.
 *
 * THE LINK DATABASE (schema version 2; docs/linkdb.md says the same in prose)
 *
 * A SQLite file (application_id 0x50795764 'PyWd', user_version = schema
 * version, WAL journal) next to a content-addressed store "<db>.store/":
 *
 *   build(id, started, tool, cwd, note)            one row per pyweld run
 *   object(hash PK, size, kind, lto)              a stored file: store/<hh>/<hash>
 *   symbol(object, defined, name, weak)           its global symbols
 *   compile(id, build, time, cwd, argv, language, output, object, status)
 *   compile_source(compile, seq, path, hash)
 *   link(id, build, time, cwd, argv, language, output, output_hash, status)
 *   link_input(link, seq, kind, value, path, object)   in command-line order
 *   link_init(link, symbol, object)               PyInit_* the inputs define
 *   archive(id, build, time, cwd, argv, path, object)  [v2] made by `ar`
 *   extension(id, name, package, version, link, init_symbol, renamed_symbol,
 *             file, distribution)
 *   distribution(id, python_version, abi, ext_suffix, prefix, libpython,
 *                data)
 *
 * argv columns hold the arguments NUL-separated as a BLOB: exact bytes, no
 * quoting, invalid UTF-8 kept.  hash columns are SHA-256 in lower-case hex.
 * Times are seconds since the epoch (REAL).
 *
 * Migrations run one version step at a time, each inside BEGIN IMMEDIATE,
 * re-reading user_version inside the transaction so that two processes
 * opening an old database at once migrate it once.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const schema_v1 =
	"CREATE TABLE build("
	" id INTEGER PRIMARY KEY,"
	" started REAL NOT NULL,"
	" tool TEXT NOT NULL,"
	" cwd TEXT NOT NULL,"
	" note TEXT);"
	"CREATE TABLE object("
	" hash TEXT PRIMARY KEY,"
	" size INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" lto INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE symbol("
	" object TEXT NOT NULL REFERENCES object(hash) ON DELETE CASCADE,"
	" defined INTEGER NOT NULL,"
	" name TEXT NOT NULL,"
	" weak INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY(object, defined, name)) WITHOUT ROWID;"
	"CREATE INDEX symbol_by_name ON symbol(name, defined);"
	"CREATE TABLE compile("
	" id INTEGER PRIMARY KEY,"
	" build INTEGER REFERENCES build(id) ON DELETE SET NULL,"
	" time REAL NOT NULL,"
	" cwd TEXT NOT NULL,"
	" argv BLOB NOT NULL,"
	" language TEXT,"
	" output TEXT,"
	" object TEXT REFERENCES object(hash),"
	" status INTEGER NOT NULL);"
	"CREATE INDEX compile_by_object ON compile(object);"
	"CREATE TABLE compile_source("
	" compile INTEGER NOT NULL REFERENCES compile(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL,"
	" path TEXT NOT NULL,"
	" hash TEXT,"
	" PRIMARY KEY(compile, seq)) WITHOUT ROWID;"
	"CREATE TABLE link("
	" id INTEGER PRIMARY KEY,"
	" build INTEGER REFERENCES build(id) ON DELETE SET NULL,"
	" time REAL NOT NULL,"
	" cwd TEXT NOT NULL,"
	" argv BLOB NOT NULL,"
	" language TEXT NOT NULL,"
	" output TEXT NOT NULL,"
	" output_hash TEXT NOT NULL,"
	" status INTEGER NOT NULL);"
	"CREATE INDEX link_by_output_hash ON link(output_hash);"
	"CREATE TABLE link_input("
	" link INTEGER NOT NULL REFERENCES link(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" value TEXT NOT NULL,"
	" path TEXT,"
	" object TEXT REFERENCES object(hash),"
	" PRIMARY KEY(link, seq)) WITHOUT ROWID;"
	"CREATE INDEX link_input_by_object ON link_input(object);"
	"CREATE TABLE link_init("
	" link INTEGER NOT NULL REFERENCES link(id) ON DELETE CASCADE,"
	" symbol TEXT NOT NULL,"
	" object TEXT NOT NULL REFERENCES object(hash),"
	" PRIMARY KEY(link, symbol, object)) WITHOUT ROWID;"
	"CREATE TABLE distribution("
	" id INTEGER PRIMARY KEY,"
	" python_version TEXT NOT NULL,"
	" abi TEXT NOT NULL,"
	" ext_suffix TEXT NOT NULL,"
	" prefix TEXT NOT NULL,"
	" libpython TEXT REFERENCES object(hash),"
	" data TEXT);"
	"CREATE TABLE extension("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" package TEXT,"
	" version TEXT,"
	" link INTEGER REFERENCES link(id) ON DELETE CASCADE,"
	" init_symbol TEXT NOT NULL,"
	" renamed_symbol TEXT,"
	" file TEXT,"
	" distribution INTEGER REFERENCES distribution(id) ON DELETE CASCADE);"
	"CREATE INDEX extension_by_name ON extension(name);";

/* v2: archives that builds make for themselves with `ar`. */
static const char *const schema_v2 =
	"CREATE TABLE archive("
	" id INTEGER PRIMARY KEY,"
	" build INTEGER REFERENCES build(id) ON DELETE SET NULL,"
	" time REAL NOT NULL,"
	" cwd TEXT NOT NULL,"
	" argv BLOB NOT NULL,"
	" path TEXT NOT NULL,"
	" object TEXT NOT NULL REFERENCES object(hash));"
	"CREATE INDEX archive_by_path ON archive(path);";

/* migrations[i] takes a database from version i to i + 1. */
static const char *const *const migrations[] = {
	&schema_v1,
	&schema_v2,
};

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_OBJECT_EXISTS] = "SELECT 1 FROM object WHERE hash = ?1",
	[ST_OBJECT_INSERT] =
		"INSERT OR IGNORE INTO object(hash, size, kind, lto) VALUES (?1, ?2, ?3, ?4)",
	[ST_SYMBOL_INSERT] =
		"INSERT OR IGNORE INTO symbol(object, defined, name, weak) VALUES (?1, ?2, ?3, ?4)",
	[ST_BUILD_INSERT] =
		"INSERT INTO build(started, tool, cwd, note) VALUES (?1, ?2, ?3, ?4)",
	[ST_COMPILE_INSERT] =
		"INSERT INTO compile(build, time, cwd, argv, language, output, object, status)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_SOURCE_INSERT] =
		"INSERT INTO compile_source(compile, seq, path, hash) VALUES (?1, ?2, ?3, ?4)",
	[ST_LINK_INSERT] =
		"INSERT INTO link(build, time, cwd, argv, language, output, output_hash, status)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_INPUT_INSERT] =
		"INSERT INTO link_input(link, seq, kind, value, path, object)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_INIT_INSERT] =
		"INSERT OR IGNORE INTO link_init(link, symbol, object) VALUES (?1, ?2, ?3)",
	[ST_INIT_FIND] =
		"SELECT name FROM symbol WHERE object = ?1 AND defined = 1"
		" AND (name GLOB 'PyInit_*' OR name GLOB 'PyInitU_*')",
	[ST_ARCHIVE_INSERT] =
		"INSERT INTO archive(build, time, cwd, argv, path, object)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_ARCHIVE_FIND] =
		"SELECT object FROM archive WHERE path = ?1 ORDER BY id DESC",
};

/* --- errors -------------------------------------------------------------- */

int
linkdb__seterr(struct linkdb *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->errmsg, sizeof(db->errmsg), fmt, ap);
	va_end(ap);
	return -1;
}

int
linkdb__sqlerr(struct linkdb *db, const char *what)
{
	return linkdb__seterr(db, "%s in '%s': %s", what, db->path,
	                      db->sql ? sqlite3_errmsg(db->sql) : "no database");
}

const char *
linkdb_errmsg(const struct linkdb *db)
{
	return db ? db->errmsg : "out of memory";
}

const char *
linkdb_path(const struct linkdb *db)
{
	return db->path;
}

const char *
linkdb_store_dir(const struct linkdb *db)
{
	return db->store;
}

int
linkdb_schema_version(const struct linkdb *db)
{
	return db->version;
}

/* --- statements ---------------------------------------------------------- */

void (*linkdb__test_hook)(struct linkdb *db, const char *point, const char *arg);

sqlite3_stmt *
linkdb__stmt(struct linkdb *db, enum stmt id)
{
	sqlite3_stmt *st = db->stmts[id];

	if (!st) {
		if (sqlite3_prepare_v3(db->sql, stmt_sql[id], -1,
		                       SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
			linkdb__sqlerr(db, "cannot prepare a statement");
			return NULL;
		}
		db->stmts[id] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int
linkdb__step_done(struct linkdb *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		linkdb__sqlerr(db, what);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int
linkdb__begin(struct linkdb *db)
{
	sqlite3_stmt *st;

	if (db->flags & LINKDB_READONLY)
		return linkdb__seterr(db, "database '%s' is open read-only", db->path);
	LINKDB__HOOK(db, "begin", NULL);
	st = linkdb__stmt(db, ST_BEGIN_IMMEDIATE);
	return st ? linkdb__step_done(db, st, "cannot begin a transaction") : -1;
}

int
linkdb__commit(struct linkdb *db)
{
	sqlite3_stmt *st = linkdb__stmt(db, ST_COMMIT);

	if (!st || linkdb__step_done(db, st, "cannot commit") < 0) {
		linkdb__rollback(db);
		return -1;
	}
	return 0;
}

void
linkdb__rollback(struct linkdb *db)
{
	if (sqlite3_get_autocommit(db->sql))
		return;
	/* The statement table may itself be what failed: use exec. */
	sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

/* --- opening ------------------------------------------------------------- */

static int
pragma_int(struct linkdb *db, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
exec(struct linkdb *db, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
		linkdb__seterr(db, "%s in '%s': %s", what, db->path,
		               msg ? msg : sqlite3_errmsg(db->sql));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/*
 * PRAGMA journal_mode = WAL.  Switching a rollback-journal database needs
 * an exclusive lock, and SQLite answers SQLITE_BUSY at once, without the
 * busy handler, while another connection holds a lock on it (several
 * writers opening a fresh or an old database together): retried for as
 * long as the busy timeout, with a short sleep between tries.
 */
static int
switch_to_wal(struct linkdb *db)
{
	double deadline = util_now() + 120.0;
	unsigned delay_us = 1000;

	for (;;) {
		int rc = sqlite3_exec(db->sql, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) ||
		    util_now() > deadline)
			return linkdb__seterr(db, "cannot switch to WAL in '%s': %s", db->path,
			                      sqlite3_errmsg(db->sql));
		usleep(delay_us);
		if (delay_us < 50000)
			delay_us *= 2;
	}
}

/* Brings the schema up to LINKDB_SCHEMA_VERSION, one step per transaction. */
static int
migrate(struct linkdb *db)
{
	char sql[128];
	int version;

	for (;;) {
		if (exec(db, "BEGIN IMMEDIATE", "cannot begin the schema upgrade") < 0)
			return -1;
		if (pragma_int(db, "PRAGMA user_version", &version) < 0) {
			linkdb__sqlerr(db, "cannot read the schema version");
			goto fail;
		}
		if (version >= LINKDB_SCHEMA_VERSION)
			break;
		if (version == 0) {
			int app;
			/* An empty file is ours to set up; anything else is not. */
			if (pragma_int(db, "SELECT count(*) FROM sqlite_schema", &app) < 0 ||
			    app != 0) {
				linkdb__seterr(db, "cannot use '%s': a SQLite database, but not "
				               "a pyweld link database", db->path);
				goto fail;
			}
			snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
			         LINKDB_APPLICATION_ID);
			if (exec(db, sql, "cannot set up the database") < 0)
				goto fail;
		}
		if (exec(db, *migrations[version], "cannot upgrade the schema") < 0)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
		if (exec(db, sql, "cannot upgrade the schema") < 0 ||
		    exec(db, "COMMIT", "cannot commit the schema upgrade") < 0)
			goto fail;
	}
	db->version = version;
	return exec(db, "COMMIT", "cannot commit");
fail:
	linkdb__rollback(db);
	return -1;
}

static int
check_identity(struct linkdb *db)
{
	int app = 0, version = 0, tables = 0;

	if (pragma_int(db, "PRAGMA application_id", &app) < 0 ||
	    pragma_int(db, "PRAGMA user_version", &version) < 0 ||
	    (app == 0 && version == 0 &&
	     pragma_int(db, "SELECT count(*) FROM sqlite_schema", &tables) < 0)) {
		int code = sqlite3_errcode(db->sql) & 0xff;
		if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
			return linkdb__seterr(db, "cannot open link database '%s': the file "
			                      "is not a SQLite database or is damaged", db->path);
		/*
		 * A WAL database can only be read with its "-shm" file beside it;
		 * SQLite cannot create one in a directory we may not write.
		 */
		if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN) {
			char *dir = util_dirname(db->path);
			if (dir && access(dir, W_OK) < 0) {
				int err = errno;
				linkdb__seterr(db, "cannot open link database '%s': its directory "
				               "'%s' is not writable (%s), and SQLite must create "
				               "the database's -wal and -shm files there", db->path,
				               dir, strerror(err));
				free(dir);
				return -1;
			}
			free(dir);
		}
		return linkdb__sqlerr(db, "cannot read the database header");
	}
	/*
	 * An empty file (application_id and user_version 0, no tables) is ours to
	 * set up; a SQLite database with tables of its own is not, and is refused
	 * here, before anything (journal mode, migration) writes to it.
	 */
	if ((app != LINKDB_APPLICATION_ID && !(app == 0 && version == 0)) ||
	    (app == 0 && version == 0 && tables != 0))
		return linkdb__seterr(db, "cannot use '%s': a SQLite database, but not a "
		                      "pyweld link database", db->path);
	if (version > LINKDB_SCHEMA_VERSION)
		return linkdb__seterr(db, "cannot use '%s': its schema version %d is newer "
		                      "than this pyweld understands (%d); use a newer pyweld",
		                      db->path, version, LINKDB_SCHEMA_VERSION);
	db->version = version;
	return 0;
}

static int
make_store(struct linkdb *db)
{
	if (util_mkdir_p(db->tmpdir, 0755) < 0)
		return linkdb__seterr(db, "cannot create the object store '%s': %s",
		                      db->store, strerror(errno));
	return 0;
}

int
linkdb_open(struct linkdb **out, const char *path, unsigned flags)
{
	struct linkdb *db;
	struct stat st;
	bool exists;
	int oflags;

	*out = db = calloc(1, sizeof(*db));
	if (!db)
		return -1;
	db->flags = flags;
	db->path = util_abspath(path);
	if (!db->path || asprintf(&db->store, "%s.store", db->path) < 0 ||
	    asprintf(&db->tmpdir, "%s/tmp", db->store) < 0) {
		db->store = db->tmpdir = NULL;
		return linkdb__seterr(db, "out of memory");
	}

	exists = stat(db->path, &st) == 0;
	if (exists && !S_ISREG(st.st_mode))
		return linkdb__seterr(db, "cannot open link database '%s': not a regular "
		                      "file", db->path);
	if (exists && (flags & LINKDB_EXCLUSIVE_CREATE))
		return linkdb__seterr(db, "cannot create link database '%s': it already "
		                      "exists", db->path);
	if (!exists && !(flags & LINKDB_CREATE))
		return linkdb__seterr(db, "cannot open link database '%s': no such file",
		                      db->path);
	if (!exists && (flags & LINKDB_READONLY))
		return linkdb__seterr(db, "cannot open link database '%s' read-only: no "
		                      "such file", db->path);
	if (exists && st.st_size > 0 && st.st_size < 512)
		return linkdb__seterr(db, "cannot open link database '%s': the file is "
		                      "truncated or not a database (%lld bytes)", db->path,
		                      (long long)st.st_size);

	oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	oflags |= (flags & LINKDB_READONLY) ? SQLITE_OPEN_READONLY
	          : SQLITE_OPEN_READWRITE | (exists ? 0 : SQLITE_OPEN_CREATE);
	if (!exists) {
		char *dir = util_dirname(db->path);
		bool ok = dir && util_is_dir(dir);
		int err = ok && access(dir, W_OK) < 0 ? errno : 0;
		free(dir);
		if (!ok)
			return linkdb__seterr(db, "cannot create link database '%s': its "
			                      "directory does not exist", db->path);
		if (err)
			return linkdb__seterr(db, "cannot create link database '%s': %s",
			                      db->path, strerror(err));
	}
	if (sqlite3_open_v2(db->path, &db->sql, oflags, NULL) != SQLITE_OK)
		return linkdb__seterr(db, "cannot open link database '%s': %s", db->path,
		                      db->sql ? sqlite3_errmsg(db->sql) : "out of memory");
	sqlite3_busy_timeout(db->sql, 120000);
	sqlite3_extended_result_codes(db->sql, 1);
	/* SQLite quietly opens a file it may not write read-only: say so now,
	 * not at the first write. */
	if (!(flags & LINKDB_READONLY) && sqlite3_db_readonly(db->sql, "main") == 1)
		return linkdb__seterr(db, "cannot write link database '%s': %s", db->path,
		                      access(db->path, W_OK) < 0 ? strerror(errno)
		                      : "SQLite opened it read-only");

	if (check_identity(db) < 0)
		return -1;
	if (!(flags & LINKDB_READONLY)) {
		if (switch_to_wal(db) < 0) {
			if (access(db->path, W_OK) < 0 || errno == EROFS)
				return linkdb__seterr(db, "cannot write link database '%s': %s",
				                      db->path, strerror(errno));
			return -1;
		}
		if (exec(db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
		         "cannot configure the database") < 0)
			return -1;
		if (db->version < LINKDB_SCHEMA_VERSION && migrate(db) < 0)
			return -1;
		if (make_store(db) < 0)
			return -1;
	} else if (db->version < LINKDB_SCHEMA_VERSION) {
		return linkdb__seterr(db, "cannot read '%s' without upgrading it: schema "
		                      "version %d, this pyweld writes %d; open it once "
		                      "read-write", db->path, db->version,
		                      LINKDB_SCHEMA_VERSION);
	}
	db->errmsg[0] = '\0';
	return 0;
}

void
linkdb_close(struct linkdb *db)
{
	if (!db)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(db->stmts[i]);
	if (db->sql)
		sqlite3_close(db->sql);
	free(db->path);
	free(db->store);
	free(db->tmpdir);
	free(db);
}

/* --- records ------------------------------------------------------------- */

char *
linkdb__argv_blob(int argc, char *const *argv, size_t *len)
{
	struct strbuf sb = { 0 };

	for (int i = 0; i < argc; i++)
		strbuf_add(&sb, argv[i], strlen(argv[i]) + 1);
	*len = sb.len;
	if (sb.len == 0)
		strbuf_add(&sb, "", 0);
	return strbuf_detach(&sb);
}

static int
bind_argv(sqlite3_stmt *st, int col, int argc, char *const *argv)
{
	size_t len;
	char *blob = linkdb__argv_blob(argc, argv, &len);

	if (!blob)
		return -1;
	return sqlite3_bind_blob64(st, col, blob, len, free) == SQLITE_OK ? 0 : -1;
}

static void
bind_text_or_null(sqlite3_stmt *st, int col, const char *s)
{
	if (s)
		sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

static void
bind_build(sqlite3_stmt *st, int col, int64_t build)
{
	if (build > 0)
		sqlite3_bind_int64(st, col, build);
	else
		sqlite3_bind_null(st, col);
}

int
linkdb_begin_build(struct linkdb *db, const char *tool, const char *cwd,
                   const char *note, int64_t *id)
{
	sqlite3_stmt *st;

	if (linkdb__begin(db) < 0)
		return -1;
	st = linkdb__stmt(db, ST_BUILD_INSERT);
	if (!st)
		goto fail;
	sqlite3_bind_double(st, 1, util_wall());
	sqlite3_bind_text(st, 2, tool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, cwd ? cwd : "", -1, SQLITE_STATIC);
	bind_text_or_null(st, 4, note);
	if (linkdb__step_done(db, st, "cannot record a build") < 0)
		goto fail;
	if (id)
		*id = sqlite3_last_insert_rowid(db->sql);
	return linkdb__commit(db);
fail:
	linkdb__rollback(db);
	return -1;
}

/* A file to snapshot, prepared outside the transaction. */
struct staged {
	char *path;                     /* where it was read from */
	char hex[LINKDB_HASH_HEX + 1];
	int64_t size;
	struct linkdb__syms syms;
	bool scanned, present;
};

static void
staged_clear(struct staged *s)
{
	free(s->path);
	s->path = NULL;
	linkdb__syms_free(&s->syms);
}

static void
staged_free(struct staged *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		staged_clear(&s[i]);
	free(s);
}

/* Inside the transaction: the staged file's object row (see linkdb__object_put). */
static int
staged_put(struct linkdb *db, struct staged *s)
{
	return linkdb__object_put(db, s->path, s->hex, s->size, &s->syms, s->scanned);
}

static char *
resolve(const char *cwd, const char *path)
{
	return cwd && path[0] != '/' ? util_path_join(cwd, path) : strdup(path);
}

/* Stores one file (path relative to cwd) into the store. */
static int
stage_file(struct linkdb *db, const char *cwd, const char *path,
           struct staged *s)
{
	int rc;

	s->path = resolve(cwd, path);
	if (!s->path)
		return linkdb__seterr(db, "out of memory");
	rc = linkdb__store_put(db, s->path, s->hex, &s->size, &s->syms, &s->scanned);
	s->present = rc == 0;
	return rc;
}

/*
 * true when a compile's output is a file to store; a compile that wrote
 * nothing there (-fsyntax-only) or wrote to /dev/null is recorded without
 * an object, as the contract in linkdb.h says.
 */
static bool
output_exists(const char *cwd, const char *path)
{
	char *full = resolve(cwd, path);
	bool yes = !full || util_is_file(full);         /* out of memory: let staging say so */

	free(full);
	return yes;
}

int
linkdb_add_compile(struct linkdb *db, int64_t build,
                   const struct linkdb_compile *c, int64_t *id)
{
	struct staged obj = { 0 };
	char (*src_hex)[LINKDB_HASH_HEX + 1] = NULL;
	sqlite3_stmt *st;
	int64_t rowid;

	if (c->nsources && !(src_hex = calloc(c->nsources, sizeof(*src_hex))))
		return linkdb__seterr(db, "out of memory");
	for (size_t i = 0; i < c->nsources; i++) {
		char *full = resolve(c->cwd, c->sources[i]);
		if (!full || linkdb_hash_file(full, src_hex[i]) < 0)
			src_hex[i][0] = '\0';   /* a source may be stdin or gone: keep the path */
		free(full);
	}
	if (c->output && c->status == 0 && output_exists(c->cwd, c->output) &&
	    stage_file(db, c->cwd, c->output, &obj) < 0)
		goto fail_nodb;

	if (linkdb__begin(db) < 0)
		goto fail_nodb;
	if (obj.present && staged_put(db, &obj) < 0)
		goto fail;
	st = linkdb__stmt(db, ST_COMPILE_INSERT);
	if (!st)
		goto fail;
	bind_build(st, 1, build);
	sqlite3_bind_double(st, 2, util_wall());
	sqlite3_bind_text(st, 3, c->cwd ? c->cwd : "", -1, SQLITE_STATIC);
	if (bind_argv(st, 4, c->argc, c->argv) < 0) {
		linkdb__seterr(db, "out of memory");
		goto fail;
	}
	bind_text_or_null(st, 5, c->language);
	bind_text_or_null(st, 6, c->output);
	bind_text_or_null(st, 7, obj.present ? obj.hex : NULL);
	sqlite3_bind_int(st, 8, c->status);
	if (linkdb__step_done(db, st, "cannot record a compile") < 0)
		goto fail;
	rowid = sqlite3_last_insert_rowid(db->sql);
	for (size_t i = 0; i < c->nsources; i++) {
		st = linkdb__stmt(db, ST_SOURCE_INSERT);
		if (!st)
			goto fail;
		sqlite3_bind_int64(st, 1, rowid);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, c->sources[i], -1, SQLITE_STATIC);
		bind_text_or_null(st, 4, src_hex[i][0] ? src_hex[i] : NULL);
		if (linkdb__step_done(db, st, "cannot record a compile source") < 0)
			goto fail;
	}
	if (linkdb__commit(db) < 0)
		goto fail_nodb;
	if (id)
		*id = rowid;
	free(src_hex);
	staged_clear(&obj);
	return 0;
fail:
	linkdb__rollback(db);
fail_nodb:
	free(src_hex);
	staged_clear(&obj);
	return -1;
}

static bool
is_file_input(enum linkdb_input_kind k)
{
	return k == LINKDB_IN_OBJECT || k == LINKDB_IN_ARCHIVE || k == LINKDB_IN_SHARED;
}

const char *
linkdb_input_kind_name(enum linkdb_input_kind k)
{
	switch (k) {
	case LINKDB_IN_OBJECT: return "object";
	case LINKDB_IN_ARCHIVE: return "archive";
	case LINKDB_IN_SHARED: return "shared";
	case LINKDB_IN_LIB: return "lib";
	case LINKDB_IN_LIBDIR: return "libdir";
	case LINKDB_IN_FLAG: return "flag";
	}
	return "?";
}

/* Records the PyInit_* symbols that a stored input defines. */
static int
record_inits(struct linkdb *db, int64_t link, const char *hex)
{
	sqlite3_stmt *find = linkdb__stmt(db, ST_INIT_FIND);
	struct strvec names = { 0 };
	int rc;

	if (!find)
		return -1;
	sqlite3_bind_text(find, 1, hex, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(find)) == SQLITE_ROW)
		strvec_push(&names, (const char *)sqlite3_column_text(find, 0));
	sqlite3_reset(find);
	if (rc != SQLITE_DONE || names.failed) {
		strvec_free(&names);
		return linkdb__sqlerr(db, "cannot read init symbols");
	}
	for (size_t i = 0; i < names.n; i++) {
		sqlite3_stmt *st = linkdb__stmt(db, ST_INIT_INSERT);
		if (!st)
			goto fail;
		sqlite3_bind_int64(st, 1, link);
		sqlite3_bind_text(st, 2, names.v[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, hex, -1, SQLITE_STATIC);
		if (linkdb__step_done(db, st, "cannot record an init symbol") < 0)
			goto fail;
	}
	strvec_free(&names);
	return 0;
fail:
	strvec_free(&names);
	return -1;
}

int
linkdb_add_link(struct linkdb *db, int64_t build, const struct linkdb_link *l,
                int64_t *id)
{
	char out_hex[LINKDB_HASH_HEX + 1];
	struct staged *files;
	sqlite3_stmt *st;
	int64_t rowid;
	char *out;

	if (!l->output)
		return linkdb__seterr(db, "cannot record a link without an output");
	files = calloc(l->ninputs ? l->ninputs : 1, sizeof(*files));
	if (!files)
		return linkdb__seterr(db, "out of memory");
	out = resolve(l->cwd, l->output);
	if (!out || linkdb_hash_file(out, out_hex) < 0) {
		linkdb__seterr(db, "cannot read the link output '%s': %s", l->output,
		               out ? strerror(errno) : "out of memory");
		free(out);
		goto fail_nodb;
	}
	free(out);
	for (size_t i = 0; i < l->ninputs; i++) {
		const struct linkdb_input *in = &l->inputs[i];
		if (is_file_input(in->kind) &&
		    stage_file(db, l->cwd, in->path ? in->path : in->value, &files[i]) < 0)
			goto fail_nodb;
	}

	if (linkdb__begin(db) < 0)
		goto fail_nodb;
	for (size_t i = 0; i < l->ninputs; i++) {
		if (files[i].present && staged_put(db, &files[i]) < 0)
			goto fail;
	}
	st = linkdb__stmt(db, ST_LINK_INSERT);
	if (!st)
		goto fail;
	bind_build(st, 1, build);
	sqlite3_bind_double(st, 2, util_wall());
	sqlite3_bind_text(st, 3, l->cwd ? l->cwd : "", -1, SQLITE_STATIC);
	if (bind_argv(st, 4, l->argc, l->argv) < 0) {
		linkdb__seterr(db, "out of memory");
		goto fail;
	}
	sqlite3_bind_text(st, 5, l->language ? l->language : "c", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, l->output, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, out_hex, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, l->status);
	if (linkdb__step_done(db, st, "cannot record a link") < 0)
		goto fail;
	rowid = sqlite3_last_insert_rowid(db->sql);
	for (size_t i = 0; i < l->ninputs; i++) {
		const struct linkdb_input *in = &l->inputs[i];
		st = linkdb__stmt(db, ST_INPUT_INSERT);
		if (!st)
			goto fail;
		sqlite3_bind_int64(st, 1, rowid);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, linkdb_input_kind_name(in->kind), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, in->value, -1, SQLITE_STATIC);
		bind_text_or_null(st, 5, in->path);
		bind_text_or_null(st, 6, files[i].present ? files[i].hex : NULL);
		if (linkdb__step_done(db, st, "cannot record a link input") < 0)
			goto fail;
		if (files[i].present && in->kind != LINKDB_IN_SHARED &&
		    record_inits(db, rowid, files[i].hex) < 0)
			goto fail;
	}
	if (linkdb__commit(db) < 0)
		goto fail_nodb;
	if (id)
		*id = rowid;
	staged_free(files, l->ninputs);
	return 0;
fail:
	linkdb__rollback(db);
fail_nodb:
	staged_free(files, l->ninputs);
	return -1;
}

int
linkdb_add_archive(struct linkdb *db, int64_t build,
                   const struct linkdb_archive *a, int64_t *id)
{
	struct staged f = { 0 };
	sqlite3_stmt *st;
	char *abs = NULL, *full;

	full = resolve(a->cwd, a->path);
	abs = full ? util_abspath(full) : NULL;
	free(full);
	if (!abs)
		return linkdb__seterr(db, "out of memory");
	if (stage_file(db, NULL, a->content ? a->content : abs, &f) < 0)
		goto fail_nodb;
	if (linkdb__begin(db) < 0)
		goto fail_nodb;
	if (staged_put(db, &f) < 0)
		goto fail;
	st = linkdb__stmt(db, ST_ARCHIVE_INSERT);
	if (!st)
		goto fail;
	bind_build(st, 1, build);
	sqlite3_bind_double(st, 2, util_wall());
	sqlite3_bind_text(st, 3, a->cwd ? a->cwd : "", -1, SQLITE_STATIC);
	if (bind_argv(st, 4, a->argc, a->argv) < 0) {
		linkdb__seterr(db, "out of memory");
		goto fail;
	}
	sqlite3_bind_text(st, 5, abs, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, f.hex, -1, SQLITE_STATIC);
	if (linkdb__step_done(db, st, "cannot record an archive") < 0)
		goto fail;
	if (id)
		*id = sqlite3_last_insert_rowid(db->sql);
	if (linkdb__commit(db) < 0)
		goto fail_nodb;
	free(abs);
	staged_clear(&f);
	return 0;
fail:
	linkdb__rollback(db);
fail_nodb:
	free(abs);
	staged_clear(&f);
	return -1;
}

int
linkdb_find_archive(struct linkdb *db, const char *abspath,
                    char hex[LINKDB_HASH_HEX + 1])
{
	char now[LINKDB_HASH_HEX + 1];
	sqlite3_stmt *st;
	int rc, found = 0;

	if (linkdb_hash_file(abspath, now) < 0)
		return 0;
	st = linkdb__stmt(db, ST_ARCHIVE_FIND);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, abspath, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (strcmp((const char *)sqlite3_column_text(st, 0), now) == 0) {
			found = 1;
			memcpy(hex, now, sizeof(now));
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return linkdb__sqlerr(db, "cannot look up an archive");
	return found;
}

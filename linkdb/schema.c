/*
 * schema.c: the link database's schema, its migrations, and the identity
 * check of a file opened as a link database.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Brings the schema up to LINKDB_SCHEMA_VERSION, one step per transaction. */
int
linkdb__migrate(struct linkdb *db)
{
	char sql[128];
	int version;

	for (;;) {
		if (linkdb__exec(db, "BEGIN IMMEDIATE", "cannot begin the schema upgrade") < 0)
			return -1;
		if (linkdb__pragma_int(db, "PRAGMA user_version", &version) < 0) {
			linkdb__sqlerr(db, "cannot read the schema version");
			goto fail;
		}
		if (version >= LINKDB_SCHEMA_VERSION)
			break;
		if (version == 0) {
			int app;
			/* An empty file is ours to set up; anything else is not. */
			if (linkdb__pragma_int(db, "SELECT count(*) FROM sqlite_schema", &app) < 0 ||
			    app != 0) {
				linkdb__seterr(db, "cannot use '%s': a SQLite database, but not "
				               "a pyweld link database", db->path);
				goto fail;
			}
			snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
			         LINKDB_APPLICATION_ID);
			if (linkdb__exec(db, sql, "cannot set up the database") < 0)
				goto fail;
		}
		if (linkdb__exec(db, *migrations[version], "cannot upgrade the schema") < 0)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
		if (linkdb__exec(db, sql, "cannot upgrade the schema") < 0 ||
		    linkdb__exec(db, "COMMIT", "cannot commit the schema upgrade") < 0)
			goto fail;
	}
	db->version = version;
	return linkdb__exec(db, "COMMIT", "cannot commit");
fail:
	linkdb__rollback(db);
	return -1;
}

int
linkdb__check_identity(struct linkdb *db)
{
	int app = 0, version = 0, tables = 0;

	if (linkdb__pragma_int(db, "PRAGMA application_id", &app) < 0 ||
	    linkdb__pragma_int(db, "PRAGMA user_version", &version) < 0 ||
	    (app == 0 && version == 0 &&
	     linkdb__pragma_int(db, "SELECT count(*) FROM sqlite_schema", &tables) < 0)) {
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

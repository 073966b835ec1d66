/*
 * record.c: the records of a build: its build row, then the compiles,
 * shared links (their inputs in order) and archives the wrapper compilers
 * write; and the lookup of a recorded archive by its path.
 *
 * Each record is one BEGIN IMMEDIATE transaction.  Its files are stored
 * first, outside the transaction (store.c: hashing and copying can take
 * long, and writers must not wait for each other meanwhile); inside it,
 * each file's object row is put again under the write lock (see
 * linkdb__object_put and gc.c), then the record's rows.  A writer killed at
 * any moment leaves the whole record or nothing.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
		/* A flag with a path names a file the linker reads (a version
		 * script): stored like an input, as it was at link time. */
		if ((is_file_input(in->kind) || (in->kind == LINKDB_IN_FLAG && in->path)) &&
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

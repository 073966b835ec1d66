/*
 * store.c: the content-addressed object store beside the link database.
 *
 * Layout: "<db>.store/<h0h1>/<hash>" where hash is the SHA-256 of the file's
 * content in lower-case hex and h0h1 its first two digits; "<db>.store/tmp/"
 * holds files being written.  A file is written to a temporary in tmp/ and
 * renamed into place, so a reader sees the whole file or none; stored files
 * are read-only (0444).  Content already in the store is not written again.
 * A writer holds an exclusive flock on its temporary until the rename, and
 * gc removes only temporaries it can lock: those of killed writers.
 * Nothing is fsynced: a killed writer leaves at worst a temporary (gc
 * removes it); power loss is not defended against (see docs/linkdb.md).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

char *
linkdb_store_path(const struct linkdb *db, const char *hex)
{
	char *p;

	if (asprintf(&p, "%s/%.2s/%s", db->store, hex, hex) < 0)
		return NULL;
	return p;
}

/*
 * A new temporary in store/tmp, open and locked (flock), its name in *tmp:
 * the lock is held from before its first byte until it is renamed into
 * place, so that gc never removes it in use.  One that gc removed between
 * mkstemp and the lock (found with no link left) is made again.
 */
static int
make_temp(struct linkdb *db, const char *hex, char **tmp)
{
	struct stat st;
	int fd, err;

	for (int tries = 0; tries < 100; tries++) {
		if (asprintf(tmp, "%s/%.16s.XXXXXX", db->tmpdir, hex) < 0) {
			*tmp = NULL;
			errno = ENOMEM;
			return -1;
		}
		fd = mkostemp(*tmp, O_CLOEXEC);
		if (fd >= 0 && flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 &&
		    st.st_nlink > 0)
			return fd;
		err = errno;
		if (fd >= 0)
			close(fd);
		free(*tmp);
		*tmp = NULL;
		errno = err;
		/* The temporaries' directory may have been removed under us. */
		if (fd < 0 && (errno != ENOENT || util_mkdir_p(db->tmpdir, 0755) < 0))
			return -1;
	}
	errno = EAGAIN;
	return -1;
}

/* Writes content to store/<hh>/<hex> through a locked temporary; 0 or -1 + errno. */
int
linkdb__store_write(struct linkdb *db, const char *hex, const void *p, size_t len,
                    const char *dest)
{
	char dir[4096], *tmp;
	int fd, err;

	snprintf(dir, sizeof(dir), "%s/%.2s", db->store, hex);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	for (int tries = 0; ; tries++) {
		fd = make_temp(db, hex, &tmp);
		if (fd < 0)
			return -1;
		if (util_write_all(fd, p, len) < 0 || fchmod(fd, 0444) < 0)
			goto fail;
		LINKDB__HOOK(db, "store-temp", tmp);
		if (rename(tmp, dest) == 0)
			break;
		/* Not gc (it leaves locked temporaries alone): someone removed tmp/. */
		if (errno != ENOENT || tries >= 3)
			goto fail;
		close(fd);
		free(tmp);
	}
	free(tmp);
	return close(fd);               /* the lock goes with the descriptor */
fail:
	err = errno;
	unlink(tmp);
	close(fd);
	free(tmp);
	errno = err;
	return -1;
}

int
linkdb__object_known(struct linkdb *db, const char *hex)
{
	sqlite3_stmt *st = linkdb__stmt(db, ST_OBJECT_EXISTS);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return linkdb__sqlerr(db, "cannot look up an object");
}

int
linkdb__store_put(struct linkdb *db, const char *path,
                  char hex[LINKDB_HASH_HEX + 1], int64_t *size,
                  struct linkdb__syms *scan, bool *scanned)
{
	struct linkdb__view v;
	struct stat st;
	char *dest = NULL;
	char err[256];
	int known;

	if (db->flags & LINKDB_READONLY)
		return linkdb__seterr(db, "database '%s' is open read-only", db->path);
	if (linkdb__view_open(&v, path) < 0)
		return linkdb__seterr(db, "cannot read '%s': %s", path, strerror(errno));
	linkdb_hash_buffer(v.p ? v.p : "", v.len, hex);
	*size = (int64_t)v.len;
	dest = linkdb_store_path(db, hex);
	if (!dest) {
		linkdb__seterr(db, "out of memory");
		goto fail;
	}
	/*
	 * Same content, same name: a file of the right size is already ours.
	 * Touch it: gc removes only files untouched for its min_age, so it
	 * leaves this one alone until our record commits (and should gc remove
	 * it anyway, min_age 0, linkdb__object_put stores it again).
	 */
	if (stat(dest, &st) == 0 && (size_t)st.st_size == v.len) {
		utimensat(AT_FDCWD, dest, NULL, 0);
	} else if (linkdb__store_write(db, hex, v.p ? v.p : "", v.len, dest) < 0) {
		linkdb__seterr(db, "cannot store '%s' in '%s': %s", path, db->store,
		               strerror(errno));
		goto fail;
	}
	if (scanned)
		*scanned = false;
	if (scan) {
		known = linkdb__object_known(db, hex);
		if (known < 0)
			goto fail;
		if (!known) {
			if (linkdb__scan_symbols(v.p, v.len, scan, err, sizeof(err)) < 0) {
				linkdb__seterr(db, "cannot read the symbols of '%s': %s", path, err);
				goto fail;
			}
			if (scanned)
				*scanned = true;
		}
	}
	free(dest);
	linkdb__view_close(&v);
	return 0;
fail:
	free(dest);
	linkdb__view_close(&v);
	return -1;
}

static int
insert_symbols(struct linkdb *db, const char *hex, const struct strvec *names,
               int defined, int weak)
{
	for (size_t i = 0; i < names->n; i++) {
		sqlite3_stmt *st = linkdb__stmt(db, ST_SYMBOL_INSERT);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, defined);
		sqlite3_bind_text(st, 3, names->v[i], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, weak);
		if (linkdb__step_done(db, st, "cannot record a symbol") < 0)
			return -1;
	}
	return 0;
}

/* Inserts the object row and, if it is new, its symbols (inside a txn). */
static int
object_insert(struct linkdb *db, const char *hex, int64_t size,
              const struct linkdb__syms *syms)
{
	sqlite3_stmt *st = linkdb__stmt(db, ST_OBJECT_INSERT);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, size);
	sqlite3_bind_text(st, 3, syms ? syms->kind : "other", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, syms ? syms->lto : 0);
	if (linkdb__step_done(db, st, "cannot record an object") < 0)
		return -1;
	/* Symbols go in only with the row that is new; a concurrent writer
	 * that inserted the row first also inserted its symbols. */
	if (!syms || sqlite3_changes(db->sql) == 0)
		return 0;
	if (insert_symbols(db, hex, &syms->defined, 1, 0) < 0 ||
	    insert_symbols(db, hex, &syms->weak, 1, 1) < 0 ||
	    insert_symbols(db, hex, &syms->undefined, 0, 0) < 0)
		return -1;
	return 0;
}

/* Stores path again as dest, provided it still has the content hex. */
static int
store_again(struct linkdb *db, const char *path, const char *hex, const char *dest)
{
	char now[LINKDB_HASH_HEX + 1];
	struct linkdb__view v;
	int rc;

	if (linkdb__view_open(&v, path) < 0)
		return linkdb__seterr(db, "cannot store '%s' again in '%s' (gc removed "
		                      "it): %s", path, db->store, strerror(errno));
	linkdb_hash_buffer(v.p ? v.p : "", v.len, now);
	if (strcmp(now, hex) != 0) {
		linkdb__view_close(&v);
		return linkdb__seterr(db, "cannot store '%s' again in '%s' (gc removed "
		                      "it): the file changed while it was being recorded",
		                      path, db->store);
	}
	rc = linkdb__store_write(db, hex, v.p ? v.p : "", v.len, dest);
	if (rc < 0)
		linkdb__seterr(db, "cannot store '%s' in '%s': %s", path, db->store,
		               strerror(errno));
	linkdb__view_close(&v);
	return rc;
}

int
linkdb__object_put(struct linkdb *db, const char *path, const char *hex,
                   int64_t size, struct linkdb__syms *syms, bool scanned)
{
	char *dest = linkdb_store_path(db, hex);
	char err[256];
	struct stat st;
	struct linkdb__view v;
	int known, rc = -1;

	if (!dest)
		return linkdb__seterr(db, "out of memory");
	/* gc removed the file after linkdb__store_put put it there. */
	if ((stat(dest, &st) < 0 || st.st_size != size) &&
	    store_again(db, path, hex, dest) < 0)
		goto out;
	if (!scanned) {
		/* gc dropped the row after linkdb__store_put found it. */
		known = linkdb__object_known(db, hex);
		if (known < 0)
			goto out;
		if (!known) {
			if (linkdb__view_open(&v, dest) < 0) {
				linkdb__seterr(db, "cannot read '%s': %s", dest, strerror(errno));
				goto out;
			}
			rc = linkdb__scan_symbols(v.p, v.len, syms, err, sizeof(err));
			linkdb__view_close(&v);
			if (rc < 0) {
				linkdb__seterr(db, "cannot read the symbols of '%s': %s", path,
				               err);
				goto out;
			}
			scanned = true;
		}
	}
	rc = object_insert(db, hex, size, scanned ? syms : NULL);
out:
	free(dest);
	return rc;
}

int
linkdb_store_file(struct linkdb *db, const char *path,
                  char hex[LINKDB_HASH_HEX + 1])
{
	struct linkdb__syms syms = { 0 };
	bool scanned = false;
	int64_t size;

	if (linkdb__store_put(db, path, hex, &size, &syms, &scanned) < 0)
		goto fail_nodb;
	if (linkdb__begin(db) < 0)
		goto fail_nodb;
	if (linkdb__object_put(db, path, hex, size, &syms, scanned) < 0) {
		linkdb__rollback(db);
		goto fail_nodb;
	}
	if (linkdb__commit(db) < 0)
		goto fail_nodb;
	linkdb__syms_free(&syms);
	return 0;
fail_nodb:
	linkdb__syms_free(&syms);
	return -1;
}

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
 *
 * Why SHA-256: collision resistance matters (objects come from sdists that
 * anyone can publish; a crafted collision under a fast non-cryptographic
 * hash would let one object stand in for another), this CPU class hashes
 * it at over 1.5 GB/s with the SHA extensions through OpenSSL, and anyone
 * can check a stored file by hand with `sha256sum`.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
to_hex(const unsigned char *md, char hex[LINKDB_HASH_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[LINKDB_HASH_HEX] = '\0';
}

void
linkdb_hash_buffer(const void *p, size_t n, char hex[LINKDB_HASH_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
	to_hex(md, hex);
}

bool
linkdb_is_hash(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return i == LINKDB_HASH_HEX;
}

/* A read-only view of a whole file: mapped, or empty. */
struct view {
	void *p;
	size_t len;
	int fd;
};

static int
view_open(struct view *v, const char *path)
{
	struct stat st;

	v->p = NULL;
	v->len = 0;
	v->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (v->fd < 0)
		return -1;
	if (fstat(v->fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	v->len = (size_t)st.st_size;
	if (v->len > 0) {
		v->p = mmap(NULL, v->len, PROT_READ, MAP_PRIVATE, v->fd, 0);
		if (v->p == MAP_FAILED) {
			v->p = NULL;
			goto fail;
		}
	}
	return 0;
fail:
	{
		int err = errno;
		close(v->fd);
		v->fd = -1;
		errno = err;
	}
	return -1;
}

static void
view_close(struct view *v)
{
	if (v->p)
		munmap(v->p, v->len);
	if (v->fd >= 0)
		close(v->fd);
	v->p = NULL;
	v->fd = -1;
}

int
linkdb_hash_file(const char *path, char hex[LINKDB_HASH_HEX + 1])
{
	struct view v;

	if (view_open(&v, path) < 0)
		return -1;
	linkdb_hash_buffer(v.p ? v.p : "", v.len, hex);
	view_close(&v);
	return 0;
}

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
static int
store_write(struct linkdb *db, const char *hex, const void *p, size_t len,
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
	struct view v;
	struct stat st;
	char *dest = NULL;
	char err[256];
	int known;

	if (db->flags & LINKDB_READONLY)
		return linkdb__seterr(db, "database '%s' is open read-only", db->path);
	if (view_open(&v, path) < 0)
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
	} else if (store_write(db, hex, v.p ? v.p : "", v.len, dest) < 0) {
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
	view_close(&v);
	return 0;
fail:
	free(dest);
	view_close(&v);
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
	struct view v;
	int rc;

	if (view_open(&v, path) < 0)
		return linkdb__seterr(db, "cannot store '%s' again in '%s' (gc removed "
		                      "it): %s", path, db->store, strerror(errno));
	linkdb_hash_buffer(v.p ? v.p : "", v.len, now);
	if (strcmp(now, hex) != 0) {
		view_close(&v);
		return linkdb__seterr(db, "cannot store '%s' again in '%s' (gc removed "
		                      "it): the file changed while it was being recorded",
		                      path, db->store);
	}
	rc = store_write(db, hex, v.p ? v.p : "", v.len, dest);
	if (rc < 0)
		linkdb__seterr(db, "cannot store '%s' in '%s': %s", path, db->store,
		               strerror(errno));
	view_close(&v);
	return rc;
}

int
linkdb__object_put(struct linkdb *db, const char *path, const char *hex,
                   int64_t size, struct linkdb__syms *syms, bool scanned)
{
	char *dest = linkdb_store_path(db, hex);
	char err[256];
	struct stat st;
	struct view v;
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
			if (view_open(&v, dest) < 0) {
				linkdb__seterr(db, "cannot read '%s': %s", dest, strerror(errno));
				goto out;
			}
			rc = linkdb__scan_symbols(v.p, v.len, syms, err, sizeof(err));
			view_close(&v);
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

/* --- garbage collection -------------------------------------------------- */

/*
 * gc beside writers.  A writer stores its files first, outside any
 * transaction, then names them in one BEGIN IMMEDIATE transaction, inside
 * which linkdb__object_put looks again: a row that gc dropped meanwhile is
 * inserted with freshly scanned symbols, a file that gc removed is stored
 * again.  gc takes the same write lock for every decision a writer could
 * make wrong: it drops unreferenced rows in one transaction, then walks the
 * store without a lock and, for each file it found without a row and old
 * enough, checks again under the lock (still no row, not touched since) and
 * removes it there, a batch at a time so that writers wait for a batch, not
 * for the walk.  So a file is removed only while no row names it, and a
 * record commits only with its files present.  A dry run only reads, in one
 * read transaction: WAL readers do not block writers.
 */

#define GC_BATCH 256            /* store files checked and removed per lock */

static const char *const unreferenced_sql =
	"SELECT hash FROM object o WHERE"
	" NOT EXISTS (SELECT 1 FROM compile WHERE object = o.hash) AND"
	" NOT EXISTS (SELECT 1 FROM link_input WHERE object = o.hash) AND"
	" NOT EXISTS (SELECT 1 FROM link_init WHERE object = o.hash) AND"
	" NOT EXISTS (SELECT 1 FROM archive WHERE object = o.hash) AND"
	" NOT EXISTS (SELECT 1 FROM distribution WHERE libpython = o.hash)"
	" ORDER BY hash";

static int
cmp_hash(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Object rows no record references, sorted, into *out (read only). */
static int
list_unreferenced(struct linkdb *db, struct strvec *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->sql, unreferenced_sql, -1, &st, NULL) != SQLITE_OK)
		return linkdb__sqlerr(db, "cannot prepare the collection");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strvec_push(out, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return linkdb__sqlerr(db, "cannot list unreferenced objects");
	if (out->failed)
		return linkdb__seterr(db, "out of memory");
	return 0;
}

/* Drops the object rows (and their symbols) that no record references. */
static int
drop_unreferenced(struct linkdb *db, struct linkdb_gc_stats *s)
{
	char *sql;

	if (asprintf(&sql, "DELETE FROM object WHERE hash IN (%s)", unreferenced_sql) < 0)
		return linkdb__seterr(db, "out of memory");
	if (linkdb__begin(db) < 0)
		goto fail_nodb;
	if (sqlite3_exec(db->sql, sql, NULL, NULL, NULL) != SQLITE_OK) {
		linkdb__sqlerr(db, "cannot drop unreferenced objects");
		goto fail;
	}
	s->rows_dropped = sqlite3_changes(db->sql);
	free(sql);
	return linkdb__commit(db);
fail:
	linkdb__rollback(db);
fail_nodb:
	free(sql);
	return -1;
}

/*
 * Abandoned temporaries: untouched for min_age and not locked by a writer
 * (store_write holds its lock until the rename).  Anything else in tmp/
 * (not a regular file) goes by age alone.
 */
static void
sweep_temps(struct linkdb *db, bool dry_run, double min_age,
            struct linkdb_gc_stats *s)
{
	DIR *d = opendir(db->tmpdir);
	struct dirent *e;
	struct stat st;
	double now = util_wall();

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *p;
		int fd = -1;
		if (e->d_name[0] == '.')
			continue;
		p = util_path_join(db->tmpdir, e->d_name);
		if (!p || lstat(p, &st) < 0 || now - (double)st.st_mtime < min_age)
			goto next;
		if (S_ISREG(st.st_mode)) {
			fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
				goto next;      /* gone, or a writer is at work on it */
		}
		s->temps_removed++;
		if (!dry_run)
			unlink(p);              /* under our lock: the writer starts again */
next:
		if (fd >= 0)
			close(fd);
		free(p);
	}
	closedir(d);
}

static bool
is_hex2(const char *s)
{
	return strlen(s) == 2 && strchr("0123456789abcdef", s[0]) &&
	       strchr("0123456789abcdef", s[1]);
}

/* true when the file at p exists and is untouched for min_age; *size gets its size. */
static bool
old_enough(const char *p, double min_age, int64_t *size)
{
	struct stat st;

	if (lstat(p, &st) < 0 || util_wall() - (double)st.st_mtime < min_age)
		return false;
	*size = st.st_size;
	return true;
}

/*
 * Walks the store for files without a row (or, in a dry run, whose row is
 * in drop: the sorted rows a real run would drop first) untouched for
 * min_age.  A dry run counts them; a real run collects their paths into
 * *found for remove_found.
 */
static int
walk_store(struct linkdb *db, bool dry_run, double min_age, const struct strvec *drop,
           struct strvec *found, struct linkdb_gc_stats *s)
{
	DIR *top = opendir(db->store), *sub;
	struct dirent *e, *f;
	int rc = 0;

	if (!top)
		return linkdb__seterr(db, "cannot read the object store '%s': %s",
		                      db->store, strerror(errno));
	while (rc == 0 && (e = readdir(top))) {
		if (!is_hex2(e->d_name))
			continue;
		char *dir = util_path_join(db->store, e->d_name);
		if (!dir || !(sub = opendir(dir))) {
			free(dir);
			continue;
		}
		while ((f = readdir(sub))) {
			const char *name = f->d_name;
			int64_t size;
			if (!linkdb_is_hash(name))
				continue;
			int known = linkdb__object_known(db, name);
			if (known < 0) {
				rc = -1;
				break;
			}
			if (known && !(drop && drop->n &&
			               bsearch(&name, drop->v, drop->n, sizeof(char *), cmp_hash)))
				continue;
			char *p = util_path_join(dir, name);
			if (p && old_enough(p, min_age, &size)) {
				LINKDB__HOOK(db, "gc-candidate", p);
				if (dry_run) {
					s->files_removed++;
					s->bytes_removed += size;
				} else {
					strvec_push(found, p);
				}
			}
			free(p);
		}
		closedir(sub);
		free(dir);
	}
	closedir(top);
	if (rc == 0 && found->failed)
		return linkdb__seterr(db, "out of memory");
	return rc;
}

/*
 * Removes the files walk_store found, GC_BATCH per write transaction, each
 * only if it still has no row and was not touched since: a writer that
 * committed a row for it first keeps it; one that comes after finds it gone
 * and stores it again.
 */
static int
remove_found(struct linkdb *db, const struct strvec *found, double min_age,
             struct linkdb_gc_stats *s)
{
	for (size_t i = 0; i < found->n; ) {
		if (linkdb__begin(db) < 0)
			return -1;
		for (size_t end = i + GC_BATCH; i < found->n && i < end; i++) {
			const char *p = found->v[i];
			int64_t size;
			int known = linkdb__object_known(db, util_basename(p));
			if (known < 0) {
				linkdb__rollback(db);
				return -1;
			}
			if (known || !old_enough(p, min_age, &size))
				continue;
			if (unlink(p) == 0) {
				s->files_removed++;
				s->bytes_removed += size;
			}
		}
		if (linkdb__commit(db) < 0)
			return -1;
	}
	return 0;
}

int
linkdb_gc(struct linkdb *db, bool dry_run, double min_age,
          struct linkdb_gc_stats *out)
{
	struct strvec drop = { 0 }, found = { 0 };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!dry_run && (db->flags & LINKDB_READONLY))
		return linkdb__seterr(db, "database '%s' is open read-only", db->path);
	if (dry_run) {
		/* One snapshot for the whole count; "BEGIN" takes no lock until
		 * the first read, and that is a read lock. */
		if (sqlite3_exec(db->sql, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
			linkdb__sqlerr(db, "cannot begin a read transaction");
			goto out;
		}
		if (list_unreferenced(db, &drop) < 0 ||
		    walk_store(db, true, min_age, &drop, &found, out) < 0) {
			linkdb__rollback(db);
			goto out;
		}
		out->rows_dropped = (int64_t)drop.n;
		linkdb__rollback(db);
	} else if (drop_unreferenced(db, out) < 0 ||
	           walk_store(db, false, min_age, NULL, &found, out) < 0 ||
	           remove_found(db, &found, min_age, out) < 0) {
		goto out;
	}
	sweep_temps(db, dry_run, min_age, out);
	rc = 0;
out:
	strvec_free(&drop);
	strvec_free(&found);
	return rc;
}

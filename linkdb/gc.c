/*
 * gc.c: garbage collection: object rows no record references, store files
 * without a row, abandoned temporaries.
 *
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
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

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
 * (linkdb__store_write holds its lock until the rename).  Anything else in tmp/
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

/*
 * store.c: the content-addressed object store beside the link database.
 *
 * Layout: "<db>.store/<h0h1>/<hash>" where hash is the SHA-256 of the file's
 * content in lower-case hex and h0h1 its first two digits; "<db>.store/tmp/"
 * holds files being written.  A file is written to a temporary in tmp/ and
 * renamed into place, so a reader sees the whole file or none; stored files
 * are read-only (0444).  Content already in the store is not written again.
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

/* Writes content to store/<hh>/<hex> through a temporary; 0 or -1 + errno. */
static int
store_write(struct linkdb *db, const char *hex, const void *p, size_t len,
            const char *dest)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/%.2s", db->store, hex);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	if (util_write_atomic_via(db->tmpdir, dest, p, len, 0444, false) == 0)
		return 0;
	/* The temporaries' directory may have been removed under us. */
	if (errno == ENOENT && util_mkdir_p(db->tmpdir, 0755) == 0)
		return util_write_atomic_via(db->tmpdir, dest, p, len, 0444, false);
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
	 * Touch it so that gc sees it in use until our record commits.
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

int
linkdb__object_insert(struct linkdb *db, const char *hex, int64_t size,
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
	if (linkdb__object_insert(db, hex, size, scanned ? &syms : NULL) < 0) {
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

static const char *const unreferenced_sql =
	"SELECT hash FROM object o WHERE"
	" NOT EXISTS (SELECT 1 FROM compile WHERE object = o.hash) AND"
	" NOT EXISTS (SELECT 1 FROM link_input WHERE object = o.hash) AND"
	" NOT EXISTS (SELECT 1 FROM link_init WHERE object = o.hash) AND"
	" NOT EXISTS (SELECT 1 FROM archive WHERE object = o.hash) AND"
	" NOT EXISTS (SELECT 1 FROM distribution WHERE libpython = o.hash)";

static int
drop_unreferenced(struct linkdb *db, bool dry_run, struct linkdb_gc_stats *s)
{
	sqlite3_stmt *st = NULL, *del = NULL;
	int rc;

	if (linkdb__begin(db) < 0)
		return -1;
	if (sqlite3_prepare_v2(db->sql, unreferenced_sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->sql, "DELETE FROM object WHERE hash = ?1", -1, &del,
	                       NULL) != SQLITE_OK) {
		linkdb__sqlerr(db, "cannot prepare the collection");
		goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s->rows_dropped++;
		sqlite3_bind_text(del, 1, (const char *)sqlite3_column_text(st, 0), -1,
		                  SQLITE_TRANSIENT);
		if (linkdb__step_done(db, del, "cannot drop an object") < 0)
			goto fail;
	}
	if (rc != SQLITE_DONE) {
		linkdb__sqlerr(db, "cannot list unreferenced objects");
		goto fail;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(del);
	/* A dry run keeps its transaction open: linkdb_gc rolls it back. */
	return dry_run ? 0 : linkdb__commit(db);
fail:
	sqlite3_finalize(st);
	sqlite3_finalize(del);
	linkdb__rollback(db);
	return -1;
}

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
		if (e->d_name[0] == '.')
			continue;
		p = util_path_join(db->tmpdir, e->d_name);
		if (p && lstat(p, &st) == 0 && now - (double)st.st_mtime >= min_age) {
			s->temps_removed++;
			if (!dry_run)
				unlink(p);
		}
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

/*
 * Removes store files that have no object row and were not touched for
 * min_age seconds.  A writer puts its files in the store before the
 * transaction that names them, and touches a file it finds already there,
 * so a file younger than min_age may belong to a record being written.
 */
static int
sweep_store(struct linkdb *db, bool dry_run, double min_age,
            struct linkdb_gc_stats *s)
{
	DIR *top = opendir(db->store), *sub;
	struct dirent *e, *f;
	struct stat st;
	double now = util_wall();
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
			if (!linkdb_is_hash(f->d_name))
				continue;
			int known = linkdb__object_known(db, f->d_name);
			if (known < 0) {
				rc = -1;
				break;
			}
			if (known)
				continue;
			char *p = util_path_join(dir, f->d_name);
			if (p && lstat(p, &st) == 0 && now - (double)st.st_mtime >= min_age) {
				s->files_removed++;
				s->bytes_removed += st.st_size;
				if (!dry_run)
					unlink(p);
			}
			free(p);
		}
		closedir(sub);
		free(dir);
	}
	closedir(top);
	return rc;
}

int
linkdb_gc(struct linkdb *db, bool dry_run, double min_age,
          struct linkdb_gc_stats *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (db->flags & LINKDB_READONLY)
		return linkdb__seterr(db, "database '%s' is open read-only", db->path);
	if (drop_unreferenced(db, dry_run, out) < 0)
		return -1;
	/*
	 * A dry run sweeps inside the transaction that dropped the rows, so that
	 * it counts the files of those objects too, as a real run would remove
	 * them; then it rolls the drop back.
	 */
	rc = sweep_store(db, dry_run, min_age, out);
	if (dry_run)
		linkdb__rollback(db);
	if (rc < 0)
		return -1;
	sweep_temps(db, dry_run, min_age, out);
	return 0;
}

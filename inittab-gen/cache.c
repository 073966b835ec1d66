/*
 * cache.c: objects the weld derives, kept by the hash of their inputs.
 *
 * Isolating an extension (ld -r, objcopy) and compiling the runtime give
 * the same bytes for the same inputs, and a rebuild after editing one .py
 * changes none of them.  Each result is stored once under
 * <cache>/derived/<2 hex>/<64 hex>, keyed by the SHA-256 of everything that
 * went into it: its inputs' contents, the tools (path, size, mtime) and
 * pyweld itself, so that a new pyweld or a new compiler never sees an old
 * result.  A fetch copies the result out (the caller may change its copy);
 * a store writes a temporary file of its own (mkstemp), syncs it and
 * renames it into place, so concurrent builds (of any pid namespace or
 * host sharing the cache), a crash or a power failure leave either a whole
 * entry or none.  The cache root is its user's alone (pydist_cache_root).  Every failure of
 * the cache only costs the work it would have saved.  A hit marks its entry
 * used (mtime); itg_cache_prune drops the least recently used entries of a
 * cache that outgrew its limit.
 */
#include "itg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "linkdb.h"
#include "util.h"

static void
add_field(struct itg_key *k, const char *label, const char *value)
{
	/* length-prefixed: no two sequences of fields give the same text */
	strbuf_addf(&k->text, "%s %zu:%s\n", label, strlen(value), value);
}

void
itg_key_init_plain(struct itg_key *k, const char *kind)
{
	memset(k, 0, sizeof(*k));
	add_field(k, "kind", kind);
}

void
itg_key_init(struct itg_key *k, const char *kind)
{
	char *self = util_self_exe();

	itg_key_init_plain(k, kind);
	itg_key_add_stat(k, "pyweld", self ? self : "");
	free(self);
}

void
itg_key_add(struct itg_key *k, const char *label, const char *value)
{
	add_field(k, label, value ? value : "(null)");
}

void
itg_key_add_stat(struct itg_key *k, const char *label, const char *path)
{
	struct stat st;
	char *v;

	if (stat(path, &st) < 0)
		v = xasprintf("%s missing", path);
	else
		v = xasprintf("%s %lld %lld.%09ld", path, (long long)st.st_size,
		              (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	add_field(k, label, v);
	free(v);
}

void
itg_key_add_tool(struct itg_key *k, const char *name)
{
	char *path = util_which(name, getenv("PATH"), NULL);

	itg_key_add_stat(k, name, path ? path : name);
	free(path);
}

static bool
is_hex64(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == LINKDB_HASH_HEX;
}

int
itg_key_add_file(struct itg_key *k, const char *label, const char *path)
{
	char hex[LINKDB_HASH_HEX + 1];
	const char *base = util_basename(path);

	/* linkdb's store names a file by the SHA-256 of its content */
	if (is_hex64(base) && strstr(path, ".store/")) {
		add_field(k, label, base);
		return 0;
	}
	if (linkdb_hash_file(path, hex) < 0) {
		k->failed = true;
		return -1;
	}
	add_field(k, label, hex);
	return 0;
}

void
itg_key_add_buffer(struct itg_key *k, const char *label, const void *p, size_t n)
{
	char hex[LINKDB_HASH_HEX + 1];

	linkdb_hash_buffer(p, n, hex);
	add_field(k, label, hex);
}

bool
itg_key_hex(struct itg_key *k, char hex[LINKDB_HASH_HEX + 1])
{
	if (k->failed || k->text.failed)
		return false;
	linkdb_hash_buffer(k->text.s ? k->text.s : "", k->text.len, hex);
	return true;
}

void
itg_key_free(struct itg_key *k)
{
	strbuf_free(&k->text);
}

static char *
entry_path(const char *cache, const char *hex)
{
	return xasprintf("%s/derived/%.2s/%s", cache, hex, hex);
}

/* Copies the open file in to out (from its start); -1 with errno. */
static int
copy_fd(int in, int out)
{
	struct stat st;
	off_t left;

	if (fstat(in, &st) < 0)
		return -1;
	for (left = st.st_size; left > 0;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
		if (n <= 0) {
			/* no copy_file_range here (old kernels, some file systems) */
			char buf[65536];
			n = read(in, buf, sizeof(buf));
			if (n <= 0 || util_write_all(out, buf, (size_t)n) < 0) {
				if (n == 0)
					errno = EIO;   /* the file shrank under us */
				return -1;
			}
		}
		left -= n;
	}
	return 0;
}

bool
itg_cache_fetch(const char *cache, const char *hex, const char *dest)
{
	char *p;
	int in, out = -1;
	bool hit = false;

	if (!cache)
		return false;
	p = entry_path(cache, hex);
	unlink(dest);
	in = open(p, O_RDONLY | O_CLOEXEC);
	/* dest is new: a link put there meanwhile is not followed */
	if (in >= 0)
		out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out >= 0) {
		hit = copy_fd(in, out) == 0;
		if (close(out) < 0)
			hit = false;
		if (!hit)
			unlink(dest);
	}
	if (in >= 0)
		close(in);
	if (hit)
		utimensat(AT_FDCWD, p, NULL, 0);  /* used now: pruned last */
	free(p);
	return hit;
}

void
itg_cache_store(const char *cache, const char *hex, const char *src)
{
	char *p, *dir, *tmp;
	int in, out;

	if (!cache)
		return;
	p = entry_path(cache, hex);
	dir = util_dirname(p);
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || util_mkdir_p(dir, 0755) < 0)
		goto out;
	/* A name of its own (mkstemp): no planted link is followed and no
	 * other writer's temporary touched, whatever its pid; synced, so
	 * that a power failure leaves the whole entry or none. */
	out = util_atomic_open(NULL, p, &tmp);
	if (out < 0)
		goto out;
	if (copy_fd(in, out) < 0)
		util_atomic_abort(out, tmp);
	else
		util_atomic_commit(out, tmp, p, 0644, true);
out:
	if (in >= 0)
		close(in);
	free(dir);
	free(p);
}

struct pruned {
	char *path;
	uint64_t size;
	struct timespec mtime;
	bool dir;
};

/* The bytes of the regular files under path (symbolic links not followed). */
static uint64_t
tree_bytes(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	uint64_t total = 0;

	while (d && (e = readdir(d))) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = util_path_join(path, e->d_name);
		if (lstat(p, &st) == 0)
			total += S_ISDIR(st.st_mode) ? tree_bytes(p) :
			         S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
		free(p);
	}
	if (d)
		closedir(d);
	return total;
}

/* A reader that loses an entry halfway takes it for a damaged one: a miss. */
int
itg_cache_remove_entry(const char *dir, const char *path)
{
	char *tmp = xasprintf("%s/tmp/prune-XXXXXX", dir), *parent = util_dirname(tmp);
	int rc = -1;

	if (parent && util_mkdir_p(parent, 0700) == 0 && mkdtemp(tmp)) {
		char *to = util_path_join(tmp, "entry");
		rc = rename(path, to);
		util_remove_tree(tmp);
		free(to);
	}
	free(parent);
	free(tmp);
	return rc;
}

static int
cmp_mtime(const void *a, const void *b)
{
	const struct pruned *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	return (x->mtime.tv_nsec > y->mtime.tv_nsec) - (x->mtime.tv_nsec < y->mtime.tv_nsec);
}

uint64_t
itg_cache_limit(void)
{
	const char *v = getenv("PYWELD_CACHE_MAX_MB");
	int64_t mb;

	if (v && *v && util_parse_i64(v, &mb) && mb > 0)
		return (uint64_t)mb << 20;
	return (uint64_t)1024 << 20;
}

/* What a writer that died left in dir/tmp (an entry half written, one
 * half removed) is a day old at least: no live writer keeps one so long. */
#define STALE_TMP_SECONDS (24 * 60 * 60)

static void
sweep_stale_tmp(const char *dir)
{
	char *tmp = util_path_join(dir, "tmp");
	DIR *d = opendir(tmp);
	struct dirent *e;
	time_t now = time(NULL);

	while (d && (e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		char *p = util_path_join(tmp, e->d_name);
		if (lstat(p, &st) == 0 && now - st.st_mtime > STALE_TMP_SECONDS) {
			if (S_ISDIR(st.st_mode))
				util_remove_tree(p);
			else
				unlink(p);
		}
		free(p);
	}
	if (d)
		closedir(d);
	free(tmp);
}

size_t
itg_cache_prune(const char *dir, uint64_t max_bytes)
{
	struct pruned *all = NULL;
	size_t n = 0, cap = 0, removed = 0;
	uint64_t total = 0;
	DIR *top = opendir(dir);
	struct dirent *e;

	if (!top)
		return 0;
	sweep_stale_tmp(dir);
	while ((e = readdir(top))) {
		if (strlen(e->d_name) != 2 || e->d_name[0] == '.')
			continue;
		char *sub = util_path_join(dir, e->d_name);
		DIR *d = opendir(sub);
		struct dirent *f;
		while (d && (f = readdir(d))) {
			struct stat st;
			char *p;
			if (f->d_name[0] == '.')
				continue;
			p = util_path_join(sub, f->d_name);
			if (lstat(p, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
				free(p);
				continue;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				all = xreallocarray(all, cap, sizeof(*all));
			}
			/* a directory is one entry (builds/): its files' bytes, its
			 * own mtime (a hit touches it) */
			all[n] = (struct pruned){ p, S_ISDIR(st.st_mode) ? tree_bytes(p) :
			                          (uint64_t)st.st_size, st.st_mtim,
			                          S_ISDIR(st.st_mode) };
			total += all[n++].size;
		}
		if (d)
			closedir(d);
		free(sub);
	}
	closedir(top);
	if (total > max_bytes) {
		/* the least recently used first, down to 3/4 of the limit: not
		 * again at the next build */
		qsort(all, n, sizeof(*all), cmp_mtime);
		for (size_t i = 0; i < n && total > max_bytes / 4 * 3; i++) {
			if ((all[i].dir ? itg_cache_remove_entry(dir, all[i].path) :
			     unlink(all[i].path)) == 0) {
				total -= all[i].size;
				removed++;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free(all[i].path);
	free(all);
	return removed;
}

/*
 * fileview.c: the packed tree, readable by path: the tree, its paths, stat
 * and directory descriptors (the C library's entry points are in
 * fileview_files.c and fileview_dirs.c; fileview_int.h is what they share).
 *
 * Modules get __file__ = "<binary>/json/decoder.py" and packages
 * __path__ = ["<binary>/json"] (modules.c); code that opens data beside
 * them ("<binary>/certifi/cacert.pem", pytz's zoneinfo files, cffi's
 * headers) builds such paths and hands them to open(), fopen(), stat() or
 * opendir(), from Python or from C.  Everything in a welded binary is
 * linked statically, so the final link redirects those C library entry
 * points (ld --wrap, fileview.h's list) to fileview_files.c's and
 * fileview_dirs.c's, for libpython, every extension and every static
 * library alike; the C library's own internal calls are not redirected.
 *
 * A path is inside the view when it starts with the binary's own path
 * (exactly as sys.executable names it) followed by '/': one comparison of
 * a prefix, its first bytes inlined into each entry point
 * (rt_fv_plainly_outside).  Everything else goes to the C library untouched, errno
 * included.  Inside, after ".", ".." and repeated slashes are resolved
 * (a ".." above the binary leaves the view: the C library then answers,
 * as for the binary itself), the rest is a name of the blob (blob.h):
 *   - a file: a resource or a metadata file by that name, or a module's
 *     source ("json/decoder.py", "json/__init__.py") when it is packed;
 *   - a directory: a package (namespace packages too), or any prefix of
 *     a resource's or a metadata file's name ("markupsafe", "pytz/zoneinfo",
 *     "MarkupSafe-2.1.5.dist-info").
 * The binary itself stays a file: "<binary>" is what the C library says.
 *
 * Answers:
 *   - open/openat/fopen of a file for reading: a real descriptor on a
 *     copy of its bytes in memory (memfd_create, sealed against writes and
 *     resizing, mode 0444), so read, lseek, fstat, mmap (not a writable
 *     shared one) and fdopen work on it and nothing touches a disk; the
 *     entry's checksum is verified first (EIO when it fails), and a source
 *     stored compressed is inflated into the copy (EIO when it does not
 *     inflate to its recorded size);
 *   - opening a directory gives a sealed memfd that names it (below), which
 *     fstat, openat, fstatat, faccessat, readlinkat and fdopendir know as
 *     that directory, through dup and fork too (read() of it gives those
 *     bytes, where a directory's gives EISDIR);
 *   - writing (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_TMPFILE):
 *     EROFS (EISDIR for a directory, EEXIST for O_CREAT|O_EXCL of a file
 *     that is there); a name that is not there: ENOENT, or ENOTDIR under a
 *     file;
 *   - stat, lstat, fstatat: a regular file of mode 0444 with the entry's
 *     size, or a directory of mode 0555, owned like the binary and with
 *     its times; the inode is a hash of the name, the same as readdir's;
 *   - access, faccessat: R_OK and F_OK; W_OK is EROFS, X_OK on a file
 *     EACCES;
 *   - opendir, fdopendir, readdir, scandir ...: the names of the
 *     directory, sorted, "." and ".." first, with d_type; the DIR handle is
 *     this file's own, known by its address;
 *   - realpath: the resolved path when it exists; readlink: EINVAL (no
 *     symbolic links inside); getxattr ENODATA and listxattr nothing (no
 *     extended attributes: shutil.copy2 copies out of the binary);
 *     statvfs: the binary's file system, read-only.
 * Counters (rt_fileview_counts) say how many calls were answered here, and
 * a trace (rt_fileview_trace) which, by call and name.
 *
 * What it cannot do: another process cannot open these paths (a compiler,
 * a subprocess, exec); a shared object loaded at run time or linked
 * dynamically calls the C library directly; glob, nftw and fts in the C
 * library walk with its internal calls; statx is not answered.
 */
#include "fileview_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* --- the view's state ------------------------------------------------------ */

struct rt_fv_view rt_fv;
unsigned long rt_fv_n_open, rt_fv_n_stat, rt_fv_n_dir, rt_fv_n_other;
pthread_mutex_t rt_fv_lock = PTHREAD_MUTEX_INITIALIZER;

static void
lock_prepare(void)
{
	pthread_mutex_lock(&rt_fv_lock);
}

static void
lock_release(void)
{
	pthread_mutex_unlock(&rt_fv_lock);
}

int
rt_fileview_start(const char *exe, const struct rt_blob *blob)
{
	size_t len = exe ? strlen(exe) : 0;

	if (!len || exe[0] != '/' || !blob) {
		errno = EINVAL;
		return -1;
	}
	/* A fork while another thread holds the lock must not leave the child
	 * holding it forever. */
	pthread_atfork(lock_prepare, lock_release, lock_release);
	while (len > 1 && exe[len - 1] == '/')
		len--;
	rt_fv.exe = exe;
	rt_fv.blob = blob;
	rt_fv.len = len;
	return 0;
}

int
rt_fileview_on(void)
{
	return rt_fv.len != 0;
}

void
rt_fileview_counts(struct rt_fileview_counts *out)
{
	out->open = __atomic_load_n(&rt_fv_n_open, __ATOMIC_RELAXED);
	out->stat = __atomic_load_n(&rt_fv_n_stat, __ATOMIC_RELAXED);
	out->dir = __atomic_load_n(&rt_fv_n_dir, __ATOMIC_RELAXED);
	out->other = __atomic_load_n(&rt_fv_n_other, __ATOMIC_RELAXED);
}

/* The trace: "CALL NAME\n" lines while tracing, under rt_fv_lock. */
#define TRACE_MAX (4u << 20)
static int tracing;
static char *traced;
static size_t traced_len, traced_cap, traced_dropped;

void
rt_fileview_trace(int on)
{
	__atomic_store_n(&tracing, on != 0, __ATOMIC_RELAXED);
}

char *
rt_fileview_trace_take(void)
{
	char *out;

	pthread_mutex_lock(&rt_fv_lock);
	if (traced && traced_dropped) {
		char more[64];
		int n = snprintf(more, sizeof(more), "... %zu more\n", traced_dropped);
		char *t = realloc(traced, traced_len + (size_t)n + 1);
		if (t) {
			memcpy(t + traced_len, more, (size_t)n + 1);
			traced = t;
		}
	}
	out = traced;
	traced = NULL;
	traced_len = traced_cap = traced_dropped = 0;
	pthread_mutex_unlock(&rt_fv_lock);
	return out;
}

void
rt_fv_answer(unsigned long *counter, const char *call, const struct fv_path *vp)
{
	size_t need;

	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&tracing, __ATOMIC_RELAXED))
		return;
	need = strlen(call) + 1 + vp->len + 1;
	pthread_mutex_lock(&rt_fv_lock);
	if (traced_len + need + 1 > traced_cap) {
		size_t cap = traced_cap ? 2 * traced_cap : 4096;
		while (cap < traced_len + need + 1)
			cap *= 2;
		char *t = cap <= TRACE_MAX ? realloc(traced, cap) : NULL;
		if (t) {
			traced = t;
			traced_cap = cap;
		}
	}
	if (traced_len + need + 1 <= traced_cap) {
		traced_len += (size_t)sprintf(traced + traced_len, "%s %s\n", call, vp->rel);
	} else {
		traced_dropped++;
	}
	pthread_mutex_unlock(&rt_fv_lock);
}

/* --- the tree: names of the blob as files and directories ----------------- */

int
rt_fv_dotted(const char *rel, size_t n, char *out)
{
	for (size_t k = 0; k < n; k++) {
		if (rel[k] == '.')
			return 0;
		out[k] = rel[k] == '/' ? '.' : rel[k];
	}
	out[n] = '\0';
	return n > 0;
}

/* Whether some entry of kind has a name starting with the n bytes at p. */
static int
has_prefix(unsigned kind, const char *p, size_t n)
{
	uint32_t i = rt_blob_lower_bound(rt_fv.blob, kind, p, n);
	struct rt_blob_entry e;

	if (i >= rt_fv.blob->count)
		return 0;
	rt_blob_get(rt_fv.blob, i, &e);
	return (e.flags & RT_BLOB_KIND_MASK) == kind && e.name_len >= n &&
	       memcmp(e.name, p, n) == 0;
}

int
rt_fv_node_find(const char *rel, size_t n, struct fv_node *nd)
{
	char buf[PATH_MAX + 1];
	int64_t i;

	memset(nd, 0, sizeof(*nd));
	if (n == 0 || n >= PATH_MAX)
		return FV_NONE;
	if ((i = rt_blob_find(rt_fv.blob, RT_BLOB_RESOURCE, rel, n)) >= 0 ||
	    (i = rt_blob_find(rt_fv.blob, RT_BLOB_METADATA, rel, n)) >= 0) {
		rt_blob_get(rt_fv.blob, (uint32_t)i, &nd->e);
		nd->data = nd->e.data;
		nd->size = nd->e.data_len;
		return nd->type = FV_FILE;
	}
	/* A module's source: "json/decoder.py", "json/__init__.py". */
	if (n > 3 && !memcmp(rel + n - 3, ".py", 3)) {
		size_t m = n - 3;
		bool init = m > 9 && !memcmp(rel + m - 9, "/__init__", 9);
		if (init)
			m -= 9;
		if (rt_fv_dotted(rel, m, buf) &&
		    (i = rt_blob_find(rt_fv.blob, RT_BLOB_MODULE, buf, m)) >= 0) {
			rt_blob_get(rt_fv.blob, (uint32_t)i, &nd->e);
			uint32_t f = nd->e.flags;
			bool pkg = f & RT_BLOB_PACKAGE, ns = f & RT_BLOB_NAMESPACE;
			if ((f & RT_BLOB_SOURCE) && (init ? pkg && !ns : !pkg && !ns)) {
				/* As stored; open inflates a compressed one, stat
				 * tells the size it inflates to. */
				nd->data = nd->e.source;
				nd->size = rt_blob_source_size(&nd->e);
				return nd->type = FV_FILE;
			}
		}
	}
	/* A directory: a package, a parent of modules, of resources, of metadata. */
	if (rt_fv_dotted(rel, n, buf)) {
		i = rt_blob_find(rt_fv.blob, RT_BLOB_MODULE, buf, n);
		if (i >= 0) {
			rt_blob_get(rt_fv.blob, (uint32_t)i, &nd->e);
			if (nd->e.flags & (RT_BLOB_PACKAGE | RT_BLOB_NAMESPACE))
				return nd->type = FV_DIR;
		}
		buf[n] = '.';
		if (has_prefix(RT_BLOB_MODULE, buf, n + 1))
			return nd->type = FV_DIR;
	}
	memcpy(buf, rel, n);
	buf[n] = '/';
	if (has_prefix(RT_BLOB_RESOURCE, buf, n + 1) || has_prefix(RT_BLOB_METADATA, buf, n + 1))
		return nd->type = FV_DIR;
	memset(nd, 0, sizeof(*nd));
	return FV_NONE;
}

int
rt_fv_missing(const char *rel, size_t n)
{
	struct fv_node nd;

	for (size_t k = 1; k < n; k++)
		if (rel[k] == '/' && rt_fv_node_find(rel, k, &nd) == FV_FILE)
			return ENOTDIR;
	return ENOENT;
}

uint64_t
rt_fv_ino(const char *rel, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t k = 0; k < n; k++)
		h = (h ^ (unsigned char)rel[k]) * 1099511628211ull;
	return h | (1ull << 63);
}

/* --- paths -------------------------------------------------------------- */

/*
 * Appends the components of s to vp->rel: empty ones and "." skipped, ".."
 * removes the last.  1, 0 when ".." climbs above the root (out of the
 * view), -1 (ENAMETOOLONG) when the result is too long.
 */
static int
add_components(struct fv_path *vp, const char *s)
{
	while (*s) {
		const char *c = s;
		size_t n;
		while (*s && *s != '/')
			s++;
		n = (size_t)(s - c);
		vp->dir = *s == '/';
		while (*s == '/')
			s++;
		if (n == 0)
			continue;
		if (n == 1 && c[0] == '.') {
			vp->dir = true;
			continue;
		}
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			vp->dir = true;
			if (vp->len == 0)
				return 0;
			while (vp->len > 0 && vp->rel[vp->len - 1] != '/')
				vp->len--;
			if (vp->len > 0)
				vp->len--;
			continue;
		}
		if (vp->len + (vp->len > 0) + n >= sizeof(vp->rel)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (vp->len > 0)
			vp->rel[vp->len++] = '/';
		memcpy(vp->rel + vp->len, c, n);
		vp->len += n;
	}
	vp->rel[vp->len] = '\0';
	return 1;
}

/*
 * The view's directory descriptors: sealed memfds of mode 0555 (a file's
 * are 0444) whose bytes say which directory they are: DIRFD_MAGIC, the
 * binary's path, a NUL, the directory's name.  A descriptor so tells
 * itself, dup'ed or inherited, and nothing is remembered that its close
 * would have to forget.  Until the view makes its first one
 * (rt_fv_dirfds_made), no descriptor is one and nothing is read.
 */
#define DIRFD_MAGIC "\177pyweld-directory\n"
#define MAGIC_LEN (sizeof(DIRFD_MAGIC) - 1)
int rt_fv_dirfds_made;
static dev_t memfd_dev;                 /* the device of memfds */

/* When st (fstat of fd) is the view's directory descriptor: 1, its name
 * in vp; else 0.  errno kept. */
static int
dirfd_name(int fd, const struct stat *st, struct fv_path *vp)
{
	char buf[MAGIC_LEN + 2 * PATH_MAX + 1];
	size_t head = MAGIC_LEN + rt_fv.len + 1, len;
	int saved = errno;
	ssize_t n;

	if (!__atomic_load_n(&rt_fv_dirfds_made, __ATOMIC_ACQUIRE) || st->st_dev != memfd_dev ||
	    !S_ISREG(st->st_mode) || (st->st_mode & 07777) != 0555 ||
	    st->st_size <= (off_t)head || st->st_size > (off_t)sizeof(buf))
		return 0;
	n = pread(fd, buf, (size_t)st->st_size, 0);
	errno = saved;
	if (n != st->st_size || memcmp(buf, DIRFD_MAGIC, MAGIC_LEN) != 0 ||
	    memcmp(buf + MAGIC_LEN, rt_fv.exe, rt_fv.len) != 0 || buf[head - 1] != '\0')
		return 0;
	len = (size_t)n - head;
	if (len >= PATH_MAX || memchr(buf + head, '\0', len))
		return 0;
	memcpy(vp->rel, buf + head, len);
	vp->rel[len] = '\0';
	vp->len = len;
	vp->dir = true;
	return 1;
}

int
rt_fv_dirfd_find(int fd, struct fv_path *vp)
{
	struct stat st;
	int saved = errno;

	if (!__atomic_load_n(&rt_fv_dirfds_made, __ATOMIC_ACQUIRE) || fd < 0)
		return 0;
	if (__real_fstat(fd, &st) < 0) {
		errno = saved;
		return 0;
	}
	return dirfd_name(fd, &st, vp);
}

int
rt_fv_classify_path(int dirfd, const char *path, struct fv_path *vp)
{
	int r;

	if (!rt_fv.len || !path)
		return FV_OUTSIDE;
	if (path[0] == '/') {
		if (strncmp(path, rt_fv.exe, rt_fv.len) != 0 || path[rt_fv.len] != '/')
			return FV_OUTSIDE;
		vp->len = 0;
		vp->dir = false;
		r = add_components(vp, path + rt_fv.len + 1);
	} else {
		if (dirfd == AT_FDCWD || !path[0] || !rt_fv_dirfd_find(dirfd, vp))
			return FV_OUTSIDE;
		r = add_components(vp, path);
	}
	if (r <= 0)
		return r;
	return vp->len ? FV_INSIDE : FV_OUTSIDE;
}

/* --- stat ------------------------------------------------------------------ */

static pthread_once_t exe_once = PTHREAD_ONCE_INIT;
static struct stat exe_st;

static void
exe_stat(void)
{
	int saved = errno;

	if (__real_stat(rt_fv.exe, &exe_st) < 0)
		memset(&exe_st, 0, sizeof(exe_st));
	errno = saved;
}

static void
fill_stat(struct stat *st, const struct fv_path *vp, const struct fv_node *nd)
{
	pthread_once(&exe_once, exe_stat);
	memset(st, 0, sizeof(*st));
	st->st_dev = exe_st.st_dev;
	st->st_ino = (ino_t)rt_fv_ino(vp->rel, vp->len);
	st->st_uid = exe_st.st_uid;
	st->st_gid = exe_st.st_gid;
	st->st_atim = exe_st.st_atim;
	st->st_mtim = exe_st.st_mtim;
	st->st_ctim = exe_st.st_ctim;
	st->st_blksize = 4096;
	if (nd->type == FV_DIR) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = nd->size;
		st->st_blocks = (nd->size + 511) / 512;
	}
}

int
rt_fv_stat(const struct fv_path *vp, struct stat *st)
{
	struct fv_node nd;
	int saved = errno;

	if (rt_fv_node_find(vp->rel, vp->len, &nd) == FV_NONE) {
		errno = rt_fv_missing(vp->rel, vp->len);
		return -1;
	}
	if (nd.type == FV_FILE && vp->dir) {
		errno = ENOTDIR;
		return -1;
	}
	fill_stat(st, vp, &nd);
	errno = saved;
	return 0;
}

void
rt_fv_patch_dirfd_stat(int fd, struct stat *st)
{
	struct fv_path vp;
	struct fv_node nd = { .type = FV_DIR };

	if (dirfd_name(fd, st, &vp)) {
		rt_fv_answer(&rt_fv_n_stat, "fstat", &vp);
		fill_stat(st, &vp, &nd);
	}
}

/* --- descriptors ------------------------------------------------------------------ */

int
rt_fv_memfd(const char *what, const char *rel, const void *data, size_t len, mode_t mode,
            int cloexec)
{
	char name[250];
	int fd, e;
	size_t done = 0;

	snprintf(name, sizeof(name), "pyweld%s:%s", what, rel);
	fd = memfd_create(name, MFD_ALLOW_SEALING | (cloexec ? MFD_CLOEXEC : 0));
	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t w = write(fd, (const char *)data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		done += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 || fchmod(fd, mode) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		goto fail;
	return fd;
fail:
	e = errno ? errno : EIO;
	close(fd);
	errno = e;
	return -1;
}

int
rt_fv_dirfd_new(const struct fv_path *vp, int cloexec)
{
	char buf[MAGIC_LEN + 2 * PATH_MAX + 1];
	size_t n = MAGIC_LEN + rt_fv.len + 1 + vp->len;
	struct stat st;
	int fd;

	if (n > sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, DIRFD_MAGIC, MAGIC_LEN);
	memcpy(buf + MAGIC_LEN, rt_fv.exe, rt_fv.len);
	buf[MAGIC_LEN + rt_fv.len] = '\0';
	memcpy(buf + MAGIC_LEN + rt_fv.len + 1, vp->rel, vp->len);
	fd = rt_fv_memfd("-dir", vp->rel, buf, n, 0555, cloexec);
	if (fd < 0 || __atomic_load_n(&rt_fv_dirfds_made, __ATOMIC_ACQUIRE))
		return fd;
	if (__real_fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	memfd_dev = st.st_dev;          /* the same for every memfd: set once */
	__atomic_store_n(&rt_fv_dirfds_made, 1, __ATOMIC_RELEASE);
	return fd;
}

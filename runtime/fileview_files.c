/*
 * fileview_files.c: the view's files (fileview.c says what the view is):
 * open, openat, fopen and fortify's __open_2 family give a sealed memfd of
 * the bytes (a compressed source's inflated); stat, lstat, fstatat, fstat, access and faccessat answer for
 * the names inside; realpath resolves them, readlink finds no link, the
 * xattr calls no attribute, statvfs a read-only file system.  Each
 * entry point asks rt_fv_classify once and otherwise calls the C
 * library's own, untouched.
 */
#include "fileview_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

/* --- open ------------------------------------------------------------------ */

/* The memfd of a file nd whose entry is verified: its bytes, or a
 * compressed source inflated (EIO when it does not inflate to its size,
 * or zlib is not linked in); -1 with errno set. */
static int
file_fd(const struct fv_path *vp, const struct fv_node *nd, int cloexec)
{
	const unsigned char *src;
	uint32_t len;
	void *owned;
	int fd, e;

	if (!(nd->e.flags & RT_BLOB_ZSOURCE) || nd->data != nd->e.source)
		return rt_fv_memfd("", vp->rel, nd->data, nd->size, 0444, cloexec);
	if (rt_blob_source(&nd->e, &src, &len, &owned) < 0) {
		if (errno != ENOMEM)
			errno = EIO;
		return -1;
	}
	fd = rt_fv_memfd("", vp->rel, src, len, 0444, cloexec);
	e = errno;
	free(owned);
	errno = e;
	return fd;
}

/* open of a path inside: a descriptor, or -1 with errno set. */
static int
view_open(const struct fv_path *vp, int flags)
{
	struct fv_node nd;
	int saved = errno, fd, acc = flags & O_ACCMODE;
	bool writes = acc != O_RDONLY ||
	              (flags & (O_CREAT | O_TRUNC | O_APPEND | (O_TMPFILE & ~O_DIRECTORY)));

	rt_fv_answer(&rt_fv_n_open, "open", vp);
	if (rt_fv_node_find(vp->rel, vp->len, &nd) == FV_NONE) {
		int e = rt_fv_missing(vp->rel, vp->len);
		if (e == ENOENT && (flags & O_CREAT) && !(flags & O_DIRECTORY)) {
			/* Its directory is there (or it is the root): read-only. */
			const char *slash = memrchr(vp->rel, '/', vp->len);
			struct fv_node parent;
			if (!slash || rt_fv_node_find(vp->rel, (size_t)(slash - vp->rel), &parent) == FV_DIR)
				e = EROFS;
		}
		errno = e;
		return -1;
	}
	if (nd.type == FV_DIR) {
		if (writes) {
			errno = (flags & O_CREAT) && (flags & O_EXCL) ? EEXIST : EISDIR;
			return -1;
		}
		fd = rt_fv_dirfd_new(vp, flags & O_CLOEXEC);
	} else {
		if (vp->dir || (flags & O_DIRECTORY)) {
			errno = ENOTDIR;
			return -1;
		}
		if ((flags & O_CREAT) && (flags & O_EXCL)) {
			errno = EEXIST;
			return -1;
		}
		if (writes) {
			errno = EROFS;
			return -1;
		}
		if (rt_blob_verify(&nd.e) < 0) {
			errno = EIO;
			return -1;
		}
		fd = file_fd(vp, &nd, flags & O_CLOEXEC);
	}
	if (fd >= 0)
		errno = saved;
	return fd;
}

/* fopen's mode as open's flags; -1 (EINVAL) for a bad mode. */
static int
fopen_flags(const char *mode)
{
	int flags;

	switch (mode ? mode[0] : 0) {
	case 'r':
		flags = O_RDONLY;
		break;
	case 'w':
		flags = O_WRONLY | O_CREAT | O_TRUNC;
		break;
	case 'a':
		flags = O_WRONLY | O_CREAT | O_APPEND;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	for (const char *m = mode + 1; *m && *m != ','; m++) {
		if (*m == '+')
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		else if (*m == 'e')
			flags |= O_CLOEXEC;
		else if (*m == 'x')
			flags |= O_EXCL;
	}
	return flags;
}

static FILE *
view_fopen(const struct fv_path *vp, const char *mode)
{
	int flags = fopen_flags(mode), fd, saved = errno;
	FILE *f;

	if (flags < 0)
		return NULL;
	if ((fd = view_open(vp, flags)) < 0)
		return NULL;
	if (!(f = fdopen(fd, mode))) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	errno = saved;
	return f;
}

/* The mode argument of open and openat, there only with O_CREAT or O_TMPFILE. */
#define OPEN_MODE(flags, last, mode) do { \
	if ((flags) & (O_CREAT | (O_TMPFILE & ~O_DIRECTORY))) { \
		va_list ap; \
		va_start(ap, last); \
		mode = va_arg(ap, int); \
		va_end(ap); \
	} \
} while (0)

int
__wrap_open(const char *path, int flags, ...)
{
	struct fv_path vp;
	int mode = 0, c;

	OPEN_MODE(flags, flags, mode);
	if ((c = rt_fv_classify(AT_FDCWD, path, &vp)) == FV_OUTSIDE)
		return __real_open(path, flags, mode);
	return c < 0 ? -1 : view_open(&vp, flags);
}

int
__wrap_open64(const char *path, int flags, ...)
{
	struct fv_path vp;
	int mode = 0, c;

	OPEN_MODE(flags, flags, mode);
	if ((c = rt_fv_classify(AT_FDCWD, path, &vp)) == FV_OUTSIDE)
		return __real_open64(path, flags, mode);
	return c < 0 ? -1 : view_open(&vp, flags);
}

int
__wrap_openat(int dirfd, const char *path, int flags, ...)
{
	struct fv_path vp;
	int mode = 0, c;

	OPEN_MODE(flags, flags, mode);
	if ((c = rt_fv_classify(dirfd, path, &vp)) == FV_OUTSIDE)
		return __real_openat(dirfd, path, flags, mode);
	return c < 0 ? -1 : view_open(&vp, flags);
}

int
__wrap_openat64(int dirfd, const char *path, int flags, ...)
{
	struct fv_path vp;
	int mode = 0, c;

	OPEN_MODE(flags, flags, mode);
	if ((c = rt_fv_classify(dirfd, path, &vp)) == FV_OUTSIDE)
		return __real_openat64(dirfd, path, flags, mode);
	return c < 0 ? -1 : view_open(&vp, flags);
}

int
__wrap___open_2(const char *path, int flags)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real___open_2(path, flags);
	return c < 0 ? -1 : view_open(&vp, flags);
}

int
__wrap___open64_2(const char *path, int flags)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real___open64_2(path, flags);
	return c < 0 ? -1 : view_open(&vp, flags);
}

int
__wrap___openat_2(int dirfd, const char *path, int flags)
{
	struct fv_path vp;
	int c = rt_fv_classify(dirfd, path, &vp);

	if (c == FV_OUTSIDE)
		return __real___openat_2(dirfd, path, flags);
	return c < 0 ? -1 : view_open(&vp, flags);
}

int
__wrap___openat64_2(int dirfd, const char *path, int flags)
{
	struct fv_path vp;
	int c = rt_fv_classify(dirfd, path, &vp);

	if (c == FV_OUTSIDE)
		return __real___openat64_2(dirfd, path, flags);
	return c < 0 ? -1 : view_open(&vp, flags);
}

FILE *
__wrap_fopen(const char *path, const char *mode)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_fopen(path, mode);
	return c < 0 ? NULL : view_fopen(&vp, mode);
}

FILE *
__wrap_fopen64(const char *path, const char *mode)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_fopen64(path, mode);
	return c < 0 ? NULL : view_fopen(&vp, mode);
}

/* --- stat and access -------------------------------------------------------- */

static int
view_stat(const struct fv_path *vp, struct stat *st, const char *call)
{
	rt_fv_answer(&rt_fv_n_stat, call, vp);
	return rt_fv_stat(vp, st);
}

/* access of a path inside: R_OK yes, W_OK EROFS, X_OK only for a directory. */
static int
access_check(const struct fv_path *vp, int mode)
{
	struct stat st;

	rt_fv_answer(&rt_fv_n_stat, "access", vp);
	if (rt_fv_stat(vp, &st) < 0)
		return -1;
	if (mode & W_OK) {
		errno = EROFS;
		return -1;
	}
	if ((mode & X_OK) && !S_ISDIR(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	return 0;
}
int
__wrap_stat(const char *path, struct stat *st)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_stat(path, st);
	return c < 0 ? -1 : view_stat(&vp, st, "stat");
}

int
__wrap_stat64(const char *path, struct stat64 *st)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_stat64(path, st);
	return c < 0 ? -1 : view_stat(&vp, (struct stat *)st, "stat");
}

int
__wrap_lstat(const char *path, struct stat *st)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_lstat(path, st);
	return c < 0 ? -1 : view_stat(&vp, st, "lstat");
}

int
__wrap_lstat64(const char *path, struct stat64 *st)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_lstat64(path, st);
	return c < 0 ? -1 : view_stat(&vp, (struct stat *)st, "lstat");
}

int
__wrap_fstat(int fd, struct stat *st)
{
	int r = __real_fstat(fd, st);

	if (r == 0 && __atomic_load_n(&rt_fv_dirfds_made, __ATOMIC_ACQUIRE))
		rt_fv_patch_dirfd_stat(fd, st);
	return r;
}

int
__wrap_fstat64(int fd, struct stat64 *st)
{
	int r = __real_fstat64(fd, st);

	if (r == 0 && __atomic_load_n(&rt_fv_dirfds_made, __ATOMIC_ACQUIRE))
		rt_fv_patch_dirfd_stat(fd, (struct stat *)st);
	return r;
}

static int
view_fstatat(int dirfd, const char *path, struct stat *st, int flags, int c,
             const struct fv_path *vp)
{
	(void)flags;
	if (c == FV_OUTSIDE) {
		int r = __real_fstatat(dirfd, path, st, flags);
		/* fstatat(fd, "", AT_EMPTY_PATH) is fstat(fd). */
		if (r == 0 && path && !path[0] &&
		    __atomic_load_n(&rt_fv_dirfds_made, __ATOMIC_ACQUIRE))
			rt_fv_patch_dirfd_stat(dirfd, st);
		return r;
	}
	return c < 0 ? -1 : view_stat(vp, st, "fstatat");
}

int
__wrap_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	struct fv_path vp;

	return view_fstatat(dirfd, path, st, flags, rt_fv_classify(dirfd, path, &vp), &vp);
}

int
__wrap_fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	struct fv_path vp;

	return view_fstatat(dirfd, path, (struct stat *)st, flags, rt_fv_classify(dirfd, path, &vp),
	                    &vp);
}

int
__wrap_access(const char *path, int mode)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_access(path, mode);
	return c < 0 ? -1 : access_check(&vp, mode);
}

int
__wrap_faccessat(int dirfd, const char *path, int mode, int flags)
{
	struct fv_path vp;
	int c = rt_fv_classify(dirfd, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_faccessat(dirfd, path, mode, flags);
	return c < 0 ? -1 : access_check(&vp, mode);
}

int
__wrap_euidaccess(const char *path, int mode)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_euidaccess(path, mode);
	return c < 0 ? -1 : access_check(&vp, mode);
}

int
__wrap_eaccess(const char *path, int mode)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_eaccess(path, mode);
	return c < 0 ? -1 : access_check(&vp, mode);
}

/* --- realpath and readlink --------------------------------------------------- */

static char *
view_realpath(const struct fv_path *vp, char *resolved, size_t size)
{
	struct stat st;
	size_t need = rt_fv.len + 1 + vp->len + 1;
	int saved = errno;

	rt_fv_answer(&rt_fv_n_other, "realpath", vp);
	if (rt_fv_stat(vp, &st) < 0)
		return NULL;
	if (resolved && need > size) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (!resolved && !(resolved = malloc(need)))
		return NULL;
	memcpy(resolved, rt_fv.exe, rt_fv.len);
	resolved[rt_fv.len] = '/';
	memcpy(resolved + rt_fv.len + 1, vp->rel, vp->len + 1);
	errno = saved;
	return resolved;
}

char *
__wrap_realpath(const char *path, char *resolved)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_realpath(path, resolved);
	return c < 0 ? NULL : view_realpath(&vp, resolved, resolved ? PATH_MAX : 0);
}

char *
__wrap___realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real___realpath_chk(path, resolved, resolvedlen);
	return c < 0 ? NULL : view_realpath(&vp, resolved,
	                                     resolvedlen < PATH_MAX ? resolvedlen : PATH_MAX);
}

/* readlink of a name inside: no symbolic links there. */
static ssize_t
view_readlink(const struct fv_path *vp)
{
	struct stat st;

	rt_fv_answer(&rt_fv_n_other, "readlink", vp);
	if (rt_fv_stat(vp, &st) == 0)
		errno = EINVAL;
	return -1;
}

ssize_t
__wrap_readlink(const char *path, char *buf, size_t len)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_readlink(path, buf, len);
	return c < 0 ? -1 : view_readlink(&vp);
}

ssize_t
__wrap___readlink_chk(const char *path, char *buf, size_t len, size_t buflen)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real___readlink_chk(path, buf, len, buflen);
	return c < 0 ? -1 : view_readlink(&vp);
}

ssize_t
__wrap_readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	struct fv_path vp;
	int c = rt_fv_classify(dirfd, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_readlinkat(dirfd, path, buf, len);
	return c < 0 ? -1 : view_readlink(&vp);
}

ssize_t
__wrap___readlinkat_chk(int dirfd, const char *path, char *buf, size_t len, size_t buflen)
{
	struct fv_path vp;
	int c = rt_fv_classify(dirfd, path, &vp);

	if (c == FV_OUTSIDE)
		return __real___readlinkat_chk(dirfd, path, buf, len, buflen);
	return c < 0 ? -1 : view_readlink(&vp);
}

/* --- extended attributes and statvfs ---------------------------------------- */

/* None: listxattr lists no name, getxattr finds none (ENODATA), as on a
 * file system without them; a missing name fails as stat does. */
static ssize_t
view_xattr(const struct fv_path *vp, int get)
{
	struct stat st;
	int saved = errno;

	rt_fv_answer(&rt_fv_n_other, get ? "getxattr" : "listxattr", vp);
	if (rt_fv_stat(vp, &st) < 0)
		return -1;
	if (get) {
		errno = ENODATA;
		return -1;
	}
	errno = saved;
	return 0;
}

ssize_t
__wrap_getxattr(const char *path, const char *name, void *value, size_t size)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_getxattr(path, name, value, size);
	return c < 0 ? -1 : view_xattr(&vp, 1);
}

ssize_t
__wrap_lgetxattr(const char *path, const char *name, void *value, size_t size)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_lgetxattr(path, name, value, size);
	return c < 0 ? -1 : view_xattr(&vp, 1);
}

ssize_t
__wrap_listxattr(const char *path, char *list, size_t size)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_listxattr(path, list, size);
	return c < 0 ? -1 : view_xattr(&vp, 0);
}

ssize_t
__wrap_llistxattr(const char *path, char *list, size_t size)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_llistxattr(path, list, size);
	return c < 0 ? -1 : view_xattr(&vp, 0);
}

/* The binary's file system, read-only. */
static int
view_statvfs(const struct fv_path *vp, struct statvfs *buf)
{
	struct stat st;

	rt_fv_answer(&rt_fv_n_other, "statvfs", vp);
	if (rt_fv_stat(vp, &st) < 0 || __real_statvfs(rt_fv.exe, buf) < 0)
		return -1;
	buf->f_flag |= ST_RDONLY;
	return 0;
}

int
__wrap_statvfs(const char *path, struct statvfs *buf)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_statvfs(path, buf);
	return c < 0 ? -1 : view_statvfs(&vp, buf);
}

int
__wrap_statvfs64(const char *path, struct statvfs64 *buf)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_statvfs64(path, buf);
	return c < 0 ? -1 : view_statvfs(&vp, (struct statvfs *)buf);
}

/*
 * fileview_int.h: what the view's three files share (fileview.h is its
 * interface): fileview.c (the tree, paths, stat, directory descriptors),
 * fileview_files.c (open, fopen, stat, access, realpath, readlink) and
 * fileview_dirs.c (opendir, readdir, scandir ...).  Plain C, no Python.
 */
#ifndef PYWELD_FILEVIEW_INT_H
#define PYWELD_FILEVIEW_INT_H

#undef _FORTIFY_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* memfd_create, O_TMPFILE, euidaccess */
#endif
#include "fileview.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

/* x86_64 and the other LP64 targets: the 64 variants are the same types. */
_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "stat and stat64 differ");
_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64), "dirent and dirent64 differ");
_Static_assert(offsetof(struct dirent, d_name) == offsetof(struct dirent64, d_name),
               "dirent and dirent64 differ");
_Static_assert(sizeof(struct statvfs) == sizeof(struct statvfs64), "statvfs and statvfs64 differ");

/* The C library's entry points, as --wrap names them. */
int __real_open(const char *path, int flags, ...);
int __real_open64(const char *path, int flags, ...);
int __real_openat(int dirfd, const char *path, int flags, ...);
int __real_openat64(int dirfd, const char *path, int flags, ...);
int __real___open_2(const char *path, int flags);
int __real___open64_2(const char *path, int flags);
int __real___openat_2(int dirfd, const char *path, int flags);
int __real___openat64_2(int dirfd, const char *path, int flags);
FILE *__real_fopen(const char *path, const char *mode);
FILE *__real_fopen64(const char *path, const char *mode);
int __real_stat(const char *path, struct stat *st);
int __real_stat64(const char *path, struct stat64 *st);
int __real_lstat(const char *path, struct stat *st);
int __real_lstat64(const char *path, struct stat64 *st);
int __real_fstatat(int dirfd, const char *path, struct stat *st, int flags);
int __real_fstatat64(int dirfd, const char *path, struct stat64 *st, int flags);
int __real_fstat(int fd, struct stat *st);
int __real_fstat64(int fd, struct stat64 *st);
int __real_access(const char *path, int mode);
int __real_faccessat(int dirfd, const char *path, int mode, int flags);
int __real_euidaccess(const char *path, int mode);
int __real_eaccess(const char *path, int mode);
DIR *__real_opendir(const char *path);
DIR *__real_fdopendir(int fd);
struct dirent *__real_readdir(DIR *d);
struct dirent64 *__real_readdir64(DIR *d);
int __real_readdir_r(DIR *d, struct dirent *entry, struct dirent **result);
int __real_readdir64_r(DIR *d, struct dirent64 *entry, struct dirent64 **result);
int __real_closedir(DIR *d);
void __real_rewinddir(DIR *d);
int __real_dirfd(DIR *d);
long __real_telldir(DIR *d);
void __real_seekdir(DIR *d, long loc);
int __real_scandir(const char *path, struct dirent ***list,
                   int (*filter)(const struct dirent *),
                   int (*compar)(const struct dirent **, const struct dirent **));
int __real_scandir64(const char *path, struct dirent64 ***list,
                     int (*filter)(const struct dirent64 *),
                     int (*compar)(const struct dirent64 **, const struct dirent64 **));
char *__real_realpath(const char *path, char *resolved);
char *__real___realpath_chk(const char *path, char *resolved, size_t resolvedlen);
ssize_t __real_readlink(const char *path, char *buf, size_t len);
ssize_t __real___readlink_chk(const char *path, char *buf, size_t len, size_t buflen);
ssize_t __real_readlinkat(int dirfd, const char *path, char *buf, size_t len);
ssize_t __real___readlinkat_chk(int dirfd, const char *path, char *buf, size_t len,
                                size_t buflen);
ssize_t __real_getxattr(const char *path, const char *name, void *value, size_t size);
ssize_t __real_lgetxattr(const char *path, const char *name, void *value, size_t size);
ssize_t __real_listxattr(const char *path, char *list, size_t size);
ssize_t __real_llistxattr(const char *path, char *list, size_t size);
int __real_statvfs(const char *path, struct statvfs *buf);
int __real_statvfs64(const char *path, struct statvfs64 *buf);

/* What the link calls instead of them. */
int __wrap_open(const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat64(int dirfd, const char *path, int flags, ...);
int __wrap___open_2(const char *path, int flags);
int __wrap___open64_2(const char *path, int flags);
int __wrap___openat_2(int dirfd, const char *path, int flags);
int __wrap___openat64_2(int dirfd, const char *path, int flags);
FILE *__wrap_fopen(const char *path, const char *mode);
FILE *__wrap_fopen64(const char *path, const char *mode);
int __wrap_stat(const char *path, struct stat *st);
int __wrap_stat64(const char *path, struct stat64 *st);
int __wrap_lstat(const char *path, struct stat *st);
int __wrap_lstat64(const char *path, struct stat64 *st);
int __wrap_fstatat(int dirfd, const char *path, struct stat *st, int flags);
int __wrap_fstatat64(int dirfd, const char *path, struct stat64 *st, int flags);
int __wrap_fstat(int fd, struct stat *st);
int __wrap_fstat64(int fd, struct stat64 *st);
int __wrap_access(const char *path, int mode);
int __wrap_faccessat(int dirfd, const char *path, int mode, int flags);
int __wrap_euidaccess(const char *path, int mode);
int __wrap_eaccess(const char *path, int mode);
DIR *__wrap_opendir(const char *path);
DIR *__wrap_fdopendir(int fd);
struct dirent *__wrap_readdir(DIR *d);
struct dirent64 *__wrap_readdir64(DIR *d);
int __wrap_readdir_r(DIR *d, struct dirent *entry, struct dirent **result);
int __wrap_readdir64_r(DIR *d, struct dirent64 *entry, struct dirent64 **result);
int __wrap_closedir(DIR *d);
void __wrap_rewinddir(DIR *d);
int __wrap_dirfd(DIR *d);
long __wrap_telldir(DIR *d);
void __wrap_seekdir(DIR *d, long loc);
int __wrap_scandir(const char *path, struct dirent ***list,
                   int (*filter)(const struct dirent *),
                   int (*compar)(const struct dirent **, const struct dirent **));
int __wrap_scandir64(const char *path, struct dirent64 ***list,
                     int (*filter)(const struct dirent64 *),
                     int (*compar)(const struct dirent64 **, const struct dirent64 **));
char *__wrap_realpath(const char *path, char *resolved);
char *__wrap___realpath_chk(const char *path, char *resolved, size_t resolvedlen);
ssize_t __wrap_readlink(const char *path, char *buf, size_t len);
ssize_t __wrap___readlink_chk(const char *path, char *buf, size_t len, size_t buflen);
ssize_t __wrap_readlinkat(int dirfd, const char *path, char *buf, size_t len);
ssize_t __wrap___readlinkat_chk(int dirfd, const char *path, char *buf, size_t len,
                                size_t buflen);
ssize_t __wrap_getxattr(const char *path, const char *name, void *value, size_t size);
ssize_t __wrap_lgetxattr(const char *path, const char *name, void *value, size_t size);
ssize_t __wrap_listxattr(const char *path, char *list, size_t size);
ssize_t __wrap_llistxattr(const char *path, char *list, size_t size);
int __wrap_statvfs(const char *path, struct statvfs *buf);
int __wrap_statvfs64(const char *path, struct statvfs64 *buf);

/* The view, set by rt_fileview_start: the binary's path (its root), and
 * the blob.  len is 0 while the view is off. */
struct rt_fv_view {
	const char *exe;
	size_t len;
	const struct rt_blob *blob;
};
extern struct rt_fv_view rt_fv;

/* What rt_fileview_counts reports, counted as the view answers. */
extern unsigned long rt_fv_n_open, rt_fv_n_stat, rt_fv_n_dir, rt_fv_n_other;

/* Guards the DIR handles (fileview_dirs.c); fileview.c keeps a fork from
 * inheriting it held. */
extern pthread_mutex_t rt_fv_lock;

/* What a name is. */
enum { FV_NONE = 0, FV_FILE = DT_REG, FV_DIR = DT_DIR };

struct fv_node {
	int type;                       /* FV_NONE, FV_FILE or FV_DIR */
	const unsigned char *data;      /* a file's bytes as stored */
	uint32_t size;                  /* its size as read (a compressed source's
	                                   once inflated) */
	struct rt_blob_entry e;         /* a file's entry, for its checksum */
};

/* A path inside the view, normalised: "pkg/data/x.txt". */
struct fv_path {
	char rel[PATH_MAX];
	size_t len;
	bool dir;                       /* it ended with '/' (or "." / ".."): a directory */
};

enum { FV_OUTSIDE = 0, FV_INSIDE = 1 };

/* "a/b" as a module's dotted name "a.b" into out (n + 1 bytes); 0 when a
 * component holds a '.', which no module name's component does. */
int rt_fv_dotted(const char *rel, size_t n, char *out);
/* What the n bytes at rel name (normalised, no leading or trailing '/'):
 * FV_NONE, FV_FILE or FV_DIR, nd filled. */
int rt_fv_node_find(const char *rel, size_t n, struct fv_node *nd);
/* Why a name that is not there fails: ENOTDIR when a component leading to
 * it is a file, else ENOENT. */
int rt_fv_missing(const char *rel, size_t n);
/* The inode the view gives a name: FNV-1a of it, never 0. */
uint64_t rt_fv_ino(const char *rel, size_t n);
/* rt_fv_classify's answer for paths not plainly outside. */
int rt_fv_classify_path(int dirfd, const char *path, struct fv_path *vp);

/* 1 once the view made a directory descriptor: while 0, no descriptor is
 * one and fstat need not look. */
extern int rt_fv_dirfds_made;

/*
 * The cost of the view for every other path, inlined into each entry
 * point: 1 when (dirfd, path) cannot be inside it.  An absolute path is
 * compared with the binary's a byte at a time for up to 16 bytes, where
 * nearly every other path parts from it ("/tmp" from "/tmp/app" at its
 * fifth); a relative one counts only against a directory descriptor of
 * the view.
 */
static inline int
rt_fv_plainly_outside(int dirfd, const char *path)
{
	if (!rt_fv.len || !path)
		return 1;
	if (path[0] != '/')
		return dirfd == AT_FDCWD || !path[0] ||
		       !__atomic_load_n(&rt_fv_dirfds_made, __ATOMIC_RELAXED);
	for (size_t i = 1; i < rt_fv.len && i < 16; i++)
		if (path[i] != rt_fv.exe[i])
			return 1;
	return 0;
}

/*
 * Where (dirfd, path) leads: FV_OUTSIDE (the C library answers, untouched),
 * FV_INSIDE with vp filled, or -1 with errno set.  A relative path counts
 * only against one of the view's directory descriptors; a path that
 * leaves the view by "..", or names the binary itself, is FV_OUTSIDE.
 */
static inline int
rt_fv_classify(int dirfd, const char *path, struct fv_path *vp)
{
	return rt_fv_plainly_outside(dirfd, path) ? FV_OUTSIDE
	                                          : rt_fv_classify_path(dirfd, path, vp);
}

/* The directory name of the view's directory descriptor fd into vp: 1, or
 * 0 when fd is not one (errno kept). */
int rt_fv_dirfd_find(int fd, struct fv_path *vp);
/* A new directory descriptor for vp; -1 with errno set. */
int rt_fv_dirfd_new(const struct fv_path *vp, int cloexec);
/* st, the real fstat of fd, becomes the view's directory when fd is one of
 * its directory descriptors. */
void rt_fv_patch_dirfd_stat(int fd, struct stat *st);

/* The view answers call (a name for rt_fileview_trace: "open", "stat" ...)
 * for vp: counted in *counter, and recorded while tracing. */
void rt_fv_answer(unsigned long *counter, const char *call, const struct fv_path *vp);
/* stat of a path inside: 0, or -1 with errno set; errno kept on success.
 * Not an answer of its own (the caller counts it). */
int rt_fv_stat(const struct fv_path *vp, struct stat *st);
/* A sealed memfd ("pyweld<what>:<rel>") of mode mode holding len bytes,
 * read from offset 0; -1 with errno set. */
int rt_fv_memfd(const char *what, const char *rel, const void *data, size_t len, mode_t mode,
                int cloexec);

#endif

/*
 * fileview.h: the packed tree, readable by path (fileview.c with
 * fileview_files.c and fileview_dirs.c).  Plain C, no Python.  Shared by
 * the runtime and the weld, which links every welded binary (unless
 * --no-file-view) with -Wl,--wrap=SYMBOL for each name of
 * RT_FILEVIEW_WRAPPED, so that the C library's file entry points, as
 * libpython, the extensions and the static libraries call them, reach the
 * view's __wrap_SYMBOL first.  A link with the list must hold the view's
 * three objects, and one without it must not (their __wrap_ functions call
 * __real_SYMBOL, which only --wrap defines): the view is in a binary
 * exactly when both are (inittab-gen/runtime.c and link.c).
 */
#ifndef PYWELD_FILEVIEW_H
#define PYWELD_FILEVIEW_H

#include "blob.h"

/*
 * Every symbol the view wraps: a NULL-terminated initializer for a
 * const char *const[] (the weld turns each into -Wl,--wrap=NAME).  The
 * _2 and _chk names are what -D_FORTIFY_SOURCE makes of open, openat,
 * realpath and readlink.
 */
#define RT_FILEVIEW_WRAPPED { \
	"open", "open64", "openat", "openat64", \
	"__open_2", "__open64_2", "__openat_2", "__openat64_2", \
	"fopen", "fopen64", \
	"stat", "stat64", "lstat", "lstat64", "fstatat", "fstatat64", "fstat", "fstat64", \
	"access", "faccessat", "euidaccess", "eaccess", \
	"opendir", "fdopendir", "readdir", "readdir64", "readdir_r", "readdir64_r", \
	"closedir", "rewinddir", "dirfd", "telldir", "seekdir", "scandir", "scandir64", \
	"realpath", "__realpath_chk", "readlink", "__readlink_chk", "readlinkat", \
	"__readlinkat_chk", "getxattr", "lgetxattr", "listxattr", "llistxattr", \
	"statvfs", "statvfs64", NULL }

/*
 * Turns the view on: from now on a path "<exe>/<name>" (exe exactly as
 * given: the binary's own path, as sys.executable and __file__ name it)
 * reads the checked blob's resource, metadata file or module source
 * <name>, or lists its directory.  Both are kept, not copied, for the life
 * of the process.  Call once, before other threads exist; 0, or -1 with
 * errno set (EINVAL: an empty or relative exe).
 */
int rt_fileview_start(const char *exe, const struct rt_blob *blob);

/* 1 when rt_fileview_start succeeded, else 0. */
int rt_fileview_on(void);

/* How many calls the view answered, by kind, since it started. */
struct rt_fileview_counts {
	unsigned long open;     /* open, openat, fopen and their variants */
	unsigned long stat;     /* stat, lstat, fstatat, fstat, access, faccessat ... */
	unsigned long dir;      /* opendir, fdopendir, scandir */
	unsigned long other;    /* realpath, readlink, xattrs, statvfs */
};
void rt_fileview_counts(struct rt_fileview_counts *out);

/* Starts (on) or stops recording each call the view answers; what was
 * recorded stays until taken. */
void rt_fileview_trace(int on);
/*
 * What was recorded, one "CALL NAME" line each ("open certifi/cacert.pem",
 * "stat pytz/zoneinfo/UTC", "opendir pkg/data"; at most 4 MiB, then a last
 * line "... N more"), and forgets it: malloc'd for the caller to free, or
 * NULL when nothing was recorded or memory ran out.
 */
char *rt_fileview_trace_take(void);

#endif

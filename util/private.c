/*
 * private.c: directories no other user controls (util_private_dir).
 *
 * A cache whose files end up in binaries must be one nobody else can
 * write, rename away or replace: every directory from / down to it is
 * examined with lstat, and a symbolic link on the way is followed only
 * when it belongs to this user or root (at most eight deep).
 */
#include "util.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The user's own private group (Debian's user private groups): named after
 * the user, the user's primary group, no other member listed. */
static bool
own_private_group(gid_t gid)
{
	struct passwd *pw = getpwuid(geteuid());
	struct group *gr;
	char *name;
	bool yes = true;

	if (!pw || pw->pw_gid != gid || !(name = strdup(pw->pw_name)))
		return false;
	gr = getgrgid(gid);
	if (!gr || strcmp(gr->gr_name, name) != 0)
		yes = false;
	for (char **m = gr ? gr->gr_mem : NULL; yes && m && *m; m++)
		if (strcmp(*m, name) != 0)
			yes = false;
	free(name);
	return yes;
}

/* A directory on the way (last: the directory itself, where a sticky bit
 * does not help: others could still add entries). */
static enum util_private
dir_verdict(const struct stat *st, bool last)
{
	bool sticky = !last && (st->st_mode & S_ISVTX);

	if (st->st_uid != geteuid() && st->st_uid != 0)
		return UTIL_PRIVATE_OWNER;
	if ((st->st_mode & S_IWOTH) && !sticky)
		return UTIL_PRIVATE_WRITABLE;
	if ((st->st_mode & S_IWGRP) && !sticky && !own_private_group(st->st_gid))
		return UTIL_PRIVATE_WRITABLE;
	return UTIL_PRIVATE_OK;
}

static int
private_refuse(struct util_private_check *c, enum util_private why, const char *path,
               uid_t uid, int err)
{
	c->why = why;
	c->path = strdup(path);
	c->uid = uid;
	c->err = err;
	errno = why == UTIL_PRIVATE_ERRNO ? err : EPERM;
	return -1;
}

/* One directory on the way to abs, or abs itself (last). */
static int
private_step(const char *p, bool last, bool create, mode_t mode, int depth,
             struct util_private_check *c);

/* Every prefix of abs (absolute, normalised), from "/" to abs itself
 * (which is the directory itself when final, else one on the way). */
static int
private_chain(const char *abs, bool final, bool create, mode_t mode, int depth,
              struct util_private_check *c)
{
	char *p = strdup(abs);
	size_t n, end = 1;
	int rc;

	if (!p)
		return private_refuse(c, UTIL_PRIVATE_ERRNO, abs, 0, ENOMEM);
	n = strlen(p);
	for (;;) {
		bool last = final && end >= n;
		char save = p[end];

		p[end] = '\0';
		rc = private_step(p, last, create, mode, depth, c);
		p[end] = save;
		if (rc < 0 || end >= n)
			break;
		/* components are not empty: the next '/' is past end + 1 */
		const char *slash = strchr(p + end + 1, '/');
		end = slash ? (size_t)(slash - p) : n;
	}
	free(p);
	return rc;
}

static int
private_step(const char *p, bool last, bool create, mode_t mode, int depth,
             struct util_private_check *c)
{
	struct stat st;
	enum util_private v;
	char *real;
	int rc;

	if (lstat(p, &st) < 0 && errno == ENOENT && create) {
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return private_refuse(c, UTIL_PRIVATE_ERRNO, p, 0, errno);
	}
	if (lstat(p, &st) < 0)
		return private_refuse(c, UTIL_PRIVATE_ERRNO, p, 0, errno);
	if (S_ISLNK(st.st_mode)) {
		/* Only its owner (and root) can have put it there or change
		 * where it leads; then where it leads is checked the same way. */
		if (st.st_uid != geteuid() && st.st_uid != 0)
			return private_refuse(c, UTIL_PRIVATE_OWNER, p, st.st_uid, 0);
		if (depth >= 8)
			return private_refuse(c, UTIL_PRIVATE_ERRNO, p, 0, ELOOP);
		real = realpath(p, NULL);
		if (!real)
			return private_refuse(c, UTIL_PRIVATE_ERRNO, p, 0, errno);
		rc = private_chain(real, last, false, mode, depth + 1, c);
		free(real);
		return rc;
	}
	if (!S_ISDIR(st.st_mode))
		return private_refuse(c, last ? UTIL_PRIVATE_NOT_DIR : UTIL_PRIVATE_ERRNO,
		                      p, 0, ENOTDIR);
	v = dir_verdict(&st, last);
	if (v != UTIL_PRIVATE_OK)
		return private_refuse(c, v, p, st.st_uid, 0);
	return 0;
}

int
util_private_dir(const char *path, bool create, mode_t mode,
                 struct util_private_check *c)
{
	char *abs = util_abspath(path);
	int rc;

	memset(c, 0, sizeof(*c));
	if (!abs)
		return private_refuse(c, UTIL_PRIVATE_ERRNO, path, 0, errno ? errno : ENOMEM);
	rc = private_chain(abs, true, create, mode, 0, c);
	free(abs);
	return rc;
}

void
util_private_free(struct util_private_check *c)
{
	free(c->path);
	c->path = NULL;
}

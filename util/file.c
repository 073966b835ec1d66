/*
 * file.c: whole files, atomic writes, directory trees.
 *
 * An atomic write never leaves a half-written file where a reader looks:
 * the data goes to a temporary made with mkstemp (a name nobody else can
 * hold or have planted) on the same file system, which is renamed over the
 * target; with sync, the file and then its directory are fsynced, so that
 * the rename survives a power failure too.
 */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
util_read_file(const char *path, char **buf, size_t *len)
{
	struct strbuf sb = { 0 };
	char chunk[65536];
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		strbuf_add(&sb, chunk, (size_t)n);
	}
	err = n < 0 ? errno : sb.failed ? ENOMEM : 0;
	close(fd);
	if (err) {
		strbuf_free(&sb);
		errno = err;
		return -1;
	}
	if (len)
		*len = sb.len;
	*buf = strbuf_detach(&sb);
	return *buf ? 0 : -1;
}

int
util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
util_write_atomic(const char *path, const void *buf, size_t len, mode_t mode,
                  bool sync)
{
	return util_write_atomic_via(NULL, path, buf, len, mode, sync);
}

int
util_write_atomic_via(const char *tmpdir, const char *path, const void *buf,
                      size_t len, mode_t mode, bool sync)
{
	char *tmp;
	int fd = util_atomic_open(tmpdir, path, &tmp);

	if (fd < 0)
		return -1;
	if (util_write_all(fd, buf, len) < 0) {
		util_atomic_abort(fd, tmp);
		return -1;
	}
	return util_atomic_commit(fd, tmp, path, mode, sync);
}

int
util_atomic_open(const char *tmpdir, const char *path, char **tmp)
{
	int fd, n, err;

	if (tmpdir)
		n = asprintf(tmp, "%s/%.16s.XXXXXX", tmpdir, util_basename(path));
	else
		n = asprintf(tmp, "%s.tmp.XXXXXX", path);
	if (n < 0) {
		*tmp = NULL;
		return -1;
	}
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		free(*tmp);
		*tmp = NULL;
		errno = err;
	}
	return fd;
}

void
util_atomic_abort(int fd, char *tmp)
{
	int err = errno;

	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	errno = err;
}

int
util_atomic_commit(int fd, char *tmp, const char *path, mode_t mode, bool sync)
{
	if (fchmod(fd, mode) < 0 || (sync && fsync(fd) < 0)) {
		util_atomic_abort(fd, tmp);
		return -1;
	}
	/* Linux closes the descriptor even when close() reports an error. */
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		util_atomic_abort(-1, tmp);
		return -1;
	}
	free(tmp);
	/* The rename is an entry of the directory: without this a power
	 * failure can bring back the old file (or none) after we said done. */
	return sync ? util_fsync_dir(path) : 0;
}

int
util_fsync_dir(const char *path)
{
	char *dir = util_dirname(path);
	int fd, rc, err;

	if (!dir)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = errno;
	free(dir);
	if (fd < 0) {
		errno = err;
		return -1;
	}
	rc = fsync(fd);
	/* EINVAL: a file system that cannot sync a directory (nothing to do) */
	if (rc < 0 && errno == EINVAL)
		rc = 0;
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

int
util_symlink_atomic(const char *target, const char *linkpath)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[8];
	char *tmp;
	int err;

	for (int tries = 0; tries < 100; tries++) {
		if (getentropy(rnd, sizeof(rnd)) < 0)
			return -1;
		char suffix[sizeof(rnd) + 1];
		for (size_t i = 0; i < sizeof(rnd); i++)
			suffix[i] = alnum[rnd[i] % (sizeof(alnum) - 1)];
		suffix[sizeof(rnd)] = '\0';
		if (asprintf(&tmp, "%s.tmp.%s", linkpath, suffix) < 0)
			return -1;
		if (symlink(target, tmp) == 0) {
			if (rename(tmp, linkpath) == 0) {
				free(tmp);
				return 0;
			}
			err = errno;
			unlink(tmp);
			free(tmp);
			errno = err;
			return -1;
		}
		err = errno;
		free(tmp);
		if (err != EEXIST) {
			errno = err;
			return -1;
		}
	}
	errno = EEXIST;
	return -1;
}

int
util_mkdir_p(const char *path, mode_t mode)
{
	char *p = strdup(path);
	char *s;

	if (!p)
		return -1;
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			int err = errno;
			free(p);
			errno = err;
			return -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	if (!util_is_dir(path)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
util_remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *sub = util_path_join(path, e->d_name);
		if (!sub || util_remove_tree(sub) < 0)
			rc = -1;
		free(sub);
	}
	closedir(d);
	if (rmdir(path) < 0)
		rc = -1;
	return rc;
}

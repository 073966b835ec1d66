/* util: messages, allocation, strings, files, paths, processes. */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *progname = "pyweld";

void
util_set_progname(const char *name)
{
	progname = name;
}

const char *
util_progname(void)
{
	return progname;
}

void
util_vmessage(const char *kind, const char *fmt, va_list ap)
{
	int err = errno;
	size_t n = strlen(fmt);

	if (kind && strcmp(kind, "hint") == 0)
		fputs("hint: ", stderr);
	else if (kind)
		fprintf(stderr, "%s: %s: ", progname, kind);
	vfprintf(stderr, fmt, ap);
	if (n > 0 && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(err));
	fputc('\n', stderr);
	errno = err;
}

#define MESSAGE(kind) do { \
	va_list ap; \
	va_start(ap, fmt); \
	util_vmessage(kind, fmt, ap); \
	va_end(ap); \
} while (0)

void util_warn(const char *fmt, ...) { MESSAGE("warning"); }
void util_error(const char *fmt, ...) { MESSAGE("error"); }
void util_hint(const char *fmt, ...) { MESSAGE("hint"); }

void
util_fatal(const char *fmt, ...)
{
	MESSAGE("error");
	exit(1);
}

void
util_usage_error(const char *fmt, ...)
{
	MESSAGE("error");
	exit(2);
}

/* --- allocation ---------------------------------------------------------- */

static void *
nomem(void)
{
	fprintf(stderr, "%s: error: out of memory\n", progname);
	exit(1);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	return p ? p : nomem();
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	return p ? p : nomem();
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	size_t total;

	if (size && nmemb > SIZE_MAX / size)
		return nomem();
	total = nmemb * size;
	p = realloc(p, total > 0 ? total : 1);
	return p ? p : nomem();
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);
	return p ? p : nomem();
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	return r < 0 ? nomem() : p;
}

/* --- strbuf -------------------------------------------------------------- */

static bool
strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t need, cap;
	char *p;

	if (sb->failed)
		return false;
	if (extra > SIZE_MAX - sb->len - 1)
		goto fail;
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(sb->s, cap);
	if (!p)
		goto fail;
	sb->s = p;
	sb->cap = cap;
	return true;
fail:
	sb->failed = true;
	return false;
}

void
strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
	if (!strbuf_grow(sb, n))
		return;
	memcpy(sb->s + sb->len, p, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

void
strbuf_adds(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void
strbuf_addc(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void
strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	if (sb->failed)
		return;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !strbuf_grow(sb, (size_t)n)) {
		sb->failed = true;
		return;
	}
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

const char *
strbuf_str(struct strbuf *sb)
{
	if (sb->failed)
		return NULL;
	return sb->s ? sb->s : "";
}

char *
strbuf_detach(struct strbuf *sb)
{
	char *s;

	if (sb->failed) {
		strbuf_free(sb);
		return NULL;
	}
	s = sb->s ? sb->s : strdup("");
	sb->s = NULL;
	sb->len = sb->cap = 0;
	return s;
}

void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->s)
		sb->s[0] = '\0';
}

void
strbuf_free(struct strbuf *sb)
{
	free(sb->s);
	sb->s = NULL;
	sb->len = sb->cap = 0;
	sb->failed = false;
}

/* --- strvec -------------------------------------------------------------- */

void
strvec_push_owned(struct strvec *sv, char *s)
{
	char **v;
	size_t cap;

	if (sv->failed || !s) {
		sv->failed = true;
		free(s);
		return;
	}
	if (sv->n + 2 > sv->cap) {
		cap = sv->cap ? sv->cap * 2 : 8;
		v = realloc(sv->v, cap * sizeof(*v));
		if (!v) {
			sv->failed = true;
			free(s);
			return;
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
strvec_push(struct strvec *sv, const char *s)
{
	strvec_push_owned(sv, s ? strdup(s) : NULL);
}

void
strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	strvec_push_owned(sv, s);
}

void
strvec_free(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
	sv->failed = false;
}

char **
strvec_argv(struct strvec *sv)
{
	static char *empty[1] = { NULL };
	return sv->v ? sv->v : empty;
}

/* --- files --------------------------------------------------------------- */

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

/* --- directories no other user controls ---------------------------------- */

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

char *
util_path_join(const char *a, const char *b)
{
	char *p;
	size_t la = strlen(a);

	if (b[0] == '/' || la == 0)
		return strdup(b);
	if (asprintf(&p, "%s%s%s", a, a[la - 1] == '/' ? "" : "/", b) < 0)
		return NULL;
	return p;
}

char *
util_abspath(const char *path)
{
	struct strbuf sb = { 0 };
	char cwd[PATH_MAX];
	char *full, *tok, *save = NULL;
	size_t *marks = NULL, nmarks = 0;

	if (path[0] == '/') {
		full = strdup(path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		full = util_path_join(cwd, path);
	}
	if (!full)
		return NULL;
	marks = malloc((strlen(full) / 2 + 2) * sizeof(*marks));
	if (!marks) {
		free(full);
		return NULL;
	}
	for (tok = strtok_r(full, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (nmarks > 0)
				sb.len = marks[--nmarks];
			continue;
		}
		marks[nmarks++] = sb.len;
		strbuf_addc(&sb, '/');
		strbuf_adds(&sb, tok);
	}
	free(marks);
	free(full);
	if (sb.len == 0)
		strbuf_addc(&sb, '/');
	else
		sb.s[sb.len] = '\0';
	return strbuf_detach(&sb);
}

const char *
util_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

char *
util_dirname(const char *path)
{
	const char *s = strrchr(path, '/');

	if (!s)
		return strdup(".");
	if (s == path)
		return strdup("/");
	return strndup(path, (size_t)(s - path));
}

bool
util_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool
util_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *
util_self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

char *
util_which(const char *name, const char *path, const struct stat *skip)
{
	const char *p, *end;
	struct stat st;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? util_abspath(name) : NULL;
	if (!path)
		path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		size_t n = (size_t)(end - p);
		char *dir = n ? strndup(p, n) : strdup(".");
		char *cand = dir ? util_path_join(dir, name) : NULL;
		free(dir);
		if (cand && stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0 &&
		    !(skip && st.st_dev == skip->st_dev && st.st_ino == skip->st_ino)) {
			char *abs = util_abspath(cand);
			free(cand);
			return abs;
		}
		free(cand);
		if (*end == '\0')
			break;
	}
	return NULL;
}

/* --- processes ----------------------------------------------------------- */

void
util_env_without(const char *const *drop, struct strvec *out)
{
	for (size_t i = 0; environ[i]; i++) {
		bool skip = false;
		for (size_t k = 0; drop[k] && !skip; k++)
			skip = util_starts_with(environ[i], drop[k]);
		if (!skip)
			strvec_push(out, environ[i]);
	}
}

int
util_wait_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static int
spawn(char *const argv[], char *const envp[], posix_spawn_file_actions_t *fa,
      pid_t *pidp)
{
	int rc;

	rc = posix_spawnp(pidp, argv[0], fa, NULL, argv, envp ? envp : environ);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

static int
reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return util_wait_status(status);
}

int
util_run(char *const argv[], char *const envp[])
{
	pid_t pid;

	if (spawn(argv, envp, NULL, &pid) < 0)
		return -1;
	return reap(pid);
}

int
util_run_capture(char *const argv[], char *const envp[], char **out,
                 size_t *outlen)
{
	posix_spawn_file_actions_t fa;
	struct strbuf sb = { 0 };
	char chunk[8192];
	int fds[2], rc, err;
	pid_t pid;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	rc = spawn(argv, envp, &fa, &pid);
	err = errno;
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc < 0) {
		close(fds[0]);
		errno = err;
		return -1;
	}
	for (;;) {
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		strbuf_add(&sb, chunk, (size_t)n);
	}
	close(fds[0]);
	rc = reap(pid);
	if (outlen)
		*outlen = sb.len;
	*out = strbuf_detach(&sb);
	if (!*out)
		return -1;
	return rc;
}

int
util_run_logged(char *const argv[], char *const envp[], const char *cwd,
                int logfd, void (*line)(void *ctx, const char *text), void *ctx)
{
	posix_spawn_file_actions_t fa;
	struct strbuf pending = { 0 };
	char chunk[16384];
	int fds[2], rc, err;
	pid_t pid;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (cwd)
		posix_spawn_file_actions_addchdir_np(&fa, cwd);
	rc = spawn(argv, envp, &fa, &pid);
	err = errno;
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc < 0) {
		close(fds[0]);
		errno = err;
		return -1;
	}
	for (;;) {
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (logfd >= 0)
			(void)!write(logfd, chunk, (size_t)n);
		if (!line)
			continue;
		strbuf_add(&pending, chunk, (size_t)n);
		char *start = pending.s, *nl;
		while (start && (nl = memchr(start, '\n', pending.len - (size_t)(start - pending.s)))) {
			*nl = '\0';
			line(ctx, start);
			start = nl + 1;
		}
		if (start && start != pending.s) {
			size_t rest = pending.len - (size_t)(start - pending.s);
			memmove(pending.s, start, rest);
			pending.len = rest;
			pending.s[rest] = '\0';
		}
	}
	if (line && pending.len && !pending.failed)
		line(ctx, pending.s);
	strbuf_free(&pending);
	close(fds[0]);
	return reap(pid);
}

/* --- text ---------------------------------------------------------------- */

bool
util_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
util_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

double
util_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
util_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool
util_parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s)
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

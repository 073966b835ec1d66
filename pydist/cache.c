/*
 * cache.c: the cache of distributions: its root (private to the user:
 * util_private_dir), the key that names a distribution, the work
 * directories builds run in and their locks, the sweep of the ones left
 * by builds that are over, the "current" link, and finding a distribution.
 *
 * A build holds the lock (flock) of its work directory's lock file
 * (PYDIST_WORK_LOCK) from just after making the directory until it ends;
 * the kernel drops the lock when the process ends, however it ends.  So a
 * work directory is stale exactly when its lock can be taken: a pid would
 * say nothing about a build in another pid namespace or on another host
 * sharing the cache.
 */
#include "internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* A home directory that exists, from $HOME or else the password database
 * (malloc'd), or NULL with why in err. */
static char *
home_dir(char *err, size_t errlen)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home && home[0] == '/') {
		if (util_is_dir(home))
			return xstrdup(home);
		snprintf(err, errlen, "cannot choose a cache directory: the home directory '%s' "
		         "(HOME) does not exist", home);
		return NULL;
	}
	pw = getpwuid(geteuid());
	if (pw && pw->pw_dir && pw->pw_dir[0] == '/' && util_is_dir(pw->pw_dir))
		return xstrdup(pw->pw_dir);
	if (pw && pw->pw_dir && pw->pw_dir[0])
		snprintf(err, errlen, "cannot choose a cache directory: HOME is not set and the "
		         "home directory of uid %ld ('%s') does not exist", (long)geteuid(),
		         pw->pw_dir);
	else
		snprintf(err, errlen, "cannot choose a cache directory: HOME is not set and uid "
		         "%ld has no home directory", (long)geteuid());
	return NULL;
}

char *
pydist_default_cache(void)
{
	char err[512];
	const char *c = getenv("PYWELD_CACHE"), *x = getenv("XDG_CACHE_HOME");
	char *home, *root;

	if (c && *c)
		return util_abspath(c);
	/* "If an implementation encounters a relative path in any of these
	 * variables it should consider the path invalid and ignore it." */
	if (x && x[0] == '/')
		return util_path_join(x, "pyweld");
	home = home_dir(err, sizeof(err));
	if (!home)
		return NULL;
	root = util_path_join(home, ".cache/pyweld");
	free(home);
	return root;
}

/* "user 'name' (uid N)" or "uid N". */
static void
describe_uid(char *buf, size_t len, uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	if (pw && pw->pw_name)
		snprintf(buf, len, "uid %ld, '%s'", (long)uid, pw->pw_name);
	else
		snprintf(buf, len, "uid %ld", (long)uid);
}

/* The message and hint for a cache root util_private_dir refused. */
static void
refusal(const char *root, const struct util_private_check *ck, bool create, char *err,
        size_t errlen, char *hint, size_t hintlen)
{
	bool self = !strcmp(ck->path, root);
	struct stat st;
	bool link = lstat(ck->path, &st) == 0 && S_ISLNK(st.st_mode);
	const char *what;
	char who[256];

	snprintf(hint, hintlen, "use a cache of your own: --cache DIR or PYWELD_CACHE=DIR, "
	         "a directory that only you (and root) can change");
	switch (ck->why) {
	case UTIL_PRIVATE_NOT_DIR:
		snprintf(err, errlen, "cannot use the cache '%s': it is not a directory", root);
		break;
	case UTIL_PRIVATE_OWNER:
		describe_uid(who, sizeof(who), ck->uid);
		what = link ? "is a symbolic link of another user" : "belongs to another user";
		if (self)
			snprintf(err, errlen, "cannot use the cache '%s': it %s (%s)", root, what,
			         who);
		else
			snprintf(err, errlen, "cannot use the cache '%s': '%s' %s (%s), who could "
			         "replace the cache", root, ck->path, what, who);
		break;
	case UTIL_PRIVATE_WRITABLE:
		if (self) {
			snprintf(err, errlen, "cannot use the cache '%s': it is writable by other "
			         "users", root);
			snprintf(hint, hintlen, "whatever they put there could end up in your "
			         "binaries: make it yours alone (chmod go-w '%s') or use another "
			         "cache (--cache DIR or PYWELD_CACHE=DIR)", ck->path);
		} else {
			snprintf(err, errlen, "cannot use the cache '%s': '%s' is writable by other "
			         "users, who could replace the cache", root, ck->path);
		}
		break;
	default:
		if (self)
			snprintf(err, errlen, "cannot %s the cache '%s': %s", create ? "create" : "use",
			         root, strerror(ck->err));
		else
			snprintf(err, errlen, "cannot %s the cache '%s': '%s': %s",
			         create ? "create" : "use", root, ck->path, strerror(ck->err));
		hint[0] = '\0';
		break;
	}
}

char *
pydist_cache_root(const char *dir, bool create, char *err, size_t errlen, char *hint,
                  size_t hintlen)
{
	struct util_private_check ck;
	struct stat st;
	char *root;

	err[0] = '\0';
	if (hint && hintlen)
		hint[0] = '\0';
	root = dir ? util_abspath(dir) : pydist_default_cache();
	if (!root) {
		if (dir) {
			snprintf(err, errlen, "cannot use the cache '%s': %s", dir, strerror(errno));
		} else {
			home_dir(err, errlen);
			if (hint && hintlen)
				snprintf(hint, hintlen, "set PYWELD_CACHE=DIR (or XDG_CACHE_HOME, or "
				         "HOME), or pass --cache DIR: pyweld keeps no cache in the shared "
				         "temporary directory");
		}
		return NULL;
	}
	/* Nothing there yet and nothing to make: nothing to trust either. */
	if (!create && lstat(root, &st) < 0 && errno == ENOENT)
		return root;
	if (util_private_dir(root, create, 0755, &ck) < 0) {
		char dummy[1];
		refusal(root, &ck, create, err, errlen, hint && hintlen ? hint : dummy,
		        hint && hintlen ? hintlen : sizeof(dummy));
		util_private_free(&ck);
		free(root);
		return NULL;
	}
	return root;
}

/* The files pyweld carries for the build of j->pyver: the scripts and
 * code every version uses, then that version's patches. */
static const struct embedded_file *const *
carried(const struct pydist_job *j, const struct embedded_file *tables[3])
{
	tables[0] = embedded_pydist;
	tables[1] = pydist_patches(j->pyver);
	tables[2] = NULL;
	return tables;
}

/* The cache key: recipe, source content (which decides the version), the
 * options that change the result and every file pyweld carries for the
 * build of that version. */
void
pydist_make_key(struct pydist_job *j)
{
	char hex[LINKDB_HASH_HEX + 1];
	char script[LINKDB_HASH_HEX + 1];
	struct strbuf scripts = { 0 };
	const struct embedded_file *tables[3];

	/* The scripts, patches and code pyweld carries for the build are part
	 * of the recipe: a changed one is a new key. */
	for (const struct embedded_file *const *t = carried(j, tables); *t; t++)
		for (const struct embedded_file *f = *t; f->name; f++)
			strbuf_addf(&scripts, "%s\n%zu\n%.*s", f->name, f->size, (int)f->size,
			            (const char *)f->data);
	linkdb_hash_buffer(scripts.s ? scripts.s : "", scripts.len, script);
	strbuf_free(&scripts);
	/* The form of this text is part of every key: a change to it rebuilds
	 * every distribution.  "pgo" and "lto" are lines only when on. */
	char *s = xasprintf("%s\n%s\nreadline=%s\n%s%sscripts=%s\n", PYDIST_RECIPE,
	                    j->identity, j->o->gnu_readline ? "gnu" : "editline",
	                    j->o->no_pgo ? "" : "pgo\n", j->o->no_lto ? "" : "lto\n", script);

	linkdb_hash_buffer(s, strlen(s), hex);
	free(s);
	memcpy(j->key, hex, 16);
	j->key[16] = '\0';
}

bool
pydist_complete(const char *dir)
{
	char *p = util_path_join(dir, "COMPLETE");
	bool yes = p && util_is_file(p);
	free(p);
	return yes;
}

/* Removes the work directories of builds that are over.  One without a lock
 * file (an older pyweld's, or one being made) is left alone. */
void
pydist_sweep_stale(struct pydist_job *j)
{
	DIR *d = opendir(j->pydir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		char *p, *lock;
		int fd;

		if (!util_starts_with(e->d_name, ".work-"))
			continue;
		p = util_path_join(j->pydir, e->d_name);
		lock = p ? util_path_join(p, PYDIST_WORK_LOCK) : NULL;
		/* read-write: over NFS an exclusive flock is a POSIX lock */
		fd = lock && lstat(p, &st) == 0 && S_ISDIR(st.st_mode)
		     ? open(lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC) : -1;
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
			pydist_log(j, "pyweld: removing '%s', left by a build that is over", p);
			util_remove_tree(p);
		}
		if (fd >= 0)
			close(fd);
		free(lock);
		free(p);
	}
	closedir(d);
}

/* Makes the work directory, a name of its own (mkdtemp: builds of the same
 * key in other pid namespaces or hosts never share one), and takes its lock
 * before any sweep can see a lock file: the file is locked under another
 * name and renamed into place. */
int
pydist_make_work(struct pydist_job *j)
{
	char *fresh, *lock;
	int err;

	j->work = xasprintf("%s/.work-%s-XXXXXX", j->pydir, j->key);
	if (!mkdtemp(j->work)) {
		pydist_fail(j, "cannot create '%s': %s", j->work, strerror(errno));
		free(j->work);
		j->work = NULL;
		return -1;
	}
	chmod(j->work, 0755);   /* the distribution is readable, as the cache is */
	fresh = util_path_join(j->work, ".lock.new");
	lock = util_path_join(j->work, PYDIST_WORK_LOCK);
	j->lockfd = open(fresh, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (j->lockfd < 0 || flock(j->lockfd, LOCK_EX | LOCK_NB) < 0 || rename(fresh, lock) < 0) {
		err = errno;
		pydist_fail(j, "cannot lock the work directory '%s': %s", j->work, strerror(err));
		if (j->lockfd >= 0)
			close(j->lockfd);
		j->lockfd = -1;
		util_remove_tree(j->work);
		free(j->work);
		j->work = NULL;
	}
	free(fresh);
	free(lock);
	return j->work ? 0 : -1;
}

/* Points link (in j->pydir) at j->key. */
static void
set_link(struct pydist_job *j, const char *name)
{
	char *link = util_path_join(j->pydir, name);

	if (util_symlink_atomic(j->key, link) == 0)
		util_fsync_dir(link);
	free(link);
}

/* "current" is the default version's last build, as it was before pyweld
 * built other versions: a build of another version never moves what an
 * older pyweld sharing the cache welds with. */
void
pydist_set_current(struct pydist_job *j)
{
	char name[32];

	snprintf(name, sizeof(name), "current-%s", j->pyver);
	set_link(j, name);
	if (!strcmp(j->pyver, PYDIST_DEFAULT_VERSION))
		set_link(j, "current");
}

/* The python_version distribution.json's text says ("3.13.5") into found,
 * or "" when it says none. */
static void
version_in(const char *text, char *found, size_t len)
{
	const char *at = strstr(text, "\"python_version\": \"");

	found[0] = '\0';
	if (at) {
		at += strlen("\"python_version\": \"");
		snprintf(found, len, "%.*s", (int)strcspn(at, "\""), at);
	}
}

/* Whether distribution.json in dir says version (X.Y) of CPython. */
static bool
dist_is_version(const char *dir, const char *version, char *found, size_t len)
{
	char *path = util_path_join(dir, "distribution.json"), *text = NULL;
	size_t n = strlen(version);

	found[0] = '\0';
	if (util_read_file(path, &text, NULL) == 0)
		version_in(text, found, len);
	free(text);
	free(path);
	return found[0] && !strncmp(found, version, n) && found[n] == '.';
}

char *
pydist_find(const char *dir, const char *cache, const char *version, char *err, size_t errlen)
{
	char *root = NULL, *d;
	char found[64];

	if (dir) {
		d = util_abspath(dir);
	} else {
		root = pydist_cache_root(cache, false, err, errlen, NULL, 0);
		if (!root)
			return NULL;
		char *link = version ? xasprintf("%s/python/current-%s", root, version)
		                     : xasprintf("%s/python/current", root);
		d = realpath(link, NULL);
		free(link);
		/* A cache whose builds predate current-<version>: "current" when it
		 * is of that version. */
		if (!d && version) {
			link = xasprintf("%s/python/current", root);
			d = realpath(link, NULL);
			free(link);
			if (d && !dist_is_version(d, version, found, sizeof(found))) {
				free(d);
				d = NULL;
			}
		}
		if (!d) {
			if (version)
				snprintf(err, errlen, "no distribution of CPython %s built yet in "
				         "'%s/python'", version, root);
			else
				snprintf(err, errlen, "no distribution built yet in '%s/python'", root);
			free(root);
			return NULL;
		}
	}
	if (!pydist_complete(d)) {
		snprintf(err, errlen, "'%s' is not a complete pyweld distribution (no COMPLETE "
		         "marker)", d);
		free(d);
		free(root);
		return NULL;
	}
	if (version && !dist_is_version(d, version, found, sizeof(found))) {
		snprintf(err, errlen, "'%s' is a distribution of CPython %s, not %s", d,
		         found[0] ? found : "of an unknown version", version);
		free(d);
		free(root);
		return NULL;
	}
	free(root);
	return d;
}

char *
pydist_dist_version(const char *dir)
{
	char found[64];
	const char *dot;

	dist_is_version(dir, "", found, sizeof(found));
	dot = strchr(found, '.');
	if (!dot)
		return xstrdup("3.11");
	return strndup(found, (size_t)(dot + 1 - found) + strspn(dot + 1, "0123456789"));
}

/* Orders entries by version (numerically: 3.9 before 3.13), then key. */
static int
entry_cmp(const void *a, const void *b)
{
	const struct pydist_entry *x = a, *y = b;
	const char *p = x->version, *q = y->version;

	while (*p && *q) {
		if (isdigit((unsigned char)*p) && isdigit((unsigned char)*q)) {
			char *pe, *qe;
			unsigned long m = strtoul(p, &pe, 10), n = strtoul(q, &qe, 10);
			if (m != n)
				return m < n ? -1 : 1;
			p = pe;
			q = qe;
		} else if (*p != *q) {
			return (unsigned char)*p < (unsigned char)*q ? -1 : 1;
		} else {
			p++, q++;
		}
	}
	if (*p || *q)
		return *p ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* The key a link in pydir points at, or NULL (malloc'd). */
static char *
link_target(const char *pydir, const char *name)
{
	char *link = util_path_join(pydir, name), buf[64];
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);

	free(link);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

int
pydist_list(const char *cache, struct pydist_entry **out, size_t *n, char *err, size_t errlen)
{
	char *root = pydist_cache_root(cache, false, err, errlen, NULL, 0);
	char *pydir = root ? util_path_join(root, "python") : NULL;
	char *current = pydir ? link_target(pydir, "current") : NULL;
	struct pydist_entry *v = NULL;
	size_t count = 0;
	DIR *d;
	struct dirent *e;

	*out = NULL;
	*n = 0;
	if (!root)
		return -1;
	d = opendir(pydir);
	while (d && (e = readdir(d))) {
		char *dir, *json = NULL, *text = NULL;
		char found[64];
		if (e->d_name[0] == '.' || strlen(e->d_name) != 16 ||
		    strspn(e->d_name, "0123456789abcdef") != 16)
			continue;
		dir = util_path_join(pydir, e->d_name);
		json = util_path_join(dir, "distribution.json");
		if (!pydist_complete(dir) || util_read_file(json, &text, NULL) < 0) {
			free(dir);
			free(json);
			continue;
		}
		free(json);
		version_in(text, found, sizeof(found));
		v = xreallocarray(v, count + 1, sizeof(*v));
		v[count] = (struct pydist_entry){ .dir = dir, .key = xstrdup(e->d_name),
		                                  .version = xstrdup(found[0] ? found : "?"),
		                                  .json = text };
		/* What pydist_find() takes for this version: current-X.Y, or
		 * "current" for the default version before it had one. */
		char minor[16], name[32];
		const char *dot = strchr(found, '.');
		snprintf(minor, sizeof(minor), "%.*s",
		         dot ? (int)(dot + 1 - found + strcspn(dot + 1, ".")) : 0, found);
		snprintf(name, sizeof(name), "current-%s", minor);
		char *cv = link_target(pydir, name);
		if (!cv && !strcmp(minor, PYDIST_DEFAULT_VERSION) && current)
			cv = xstrdup(current);
		v[count].current = cv && !strcmp(cv, e->d_name);
		free(cv);
		count++;
	}
	if (d)
		closedir(d);
	if (count)
		qsort(v, count, sizeof(*v), entry_cmp);
	*out = v;
	*n = count;
	free(current);
	free(pydir);
	free(root);
	return 0;
}

void
pydist_list_free(struct pydist_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].dir);
		free(e[i].key);
		free(e[i].version);
		free(e[i].json);
	}
	free(e);
}

/*
 * pydist.c: building CPython through pyweld's wrapper compilers.
 *
 * The recipe (docs/distribution.md says why for each step):
 *   1. source: Debian's python3.11 source package (apt-get source
 *      --download-only, falling back to older versions the archive lists),
 *      or the .dsc, tarball or tree the user gives;
 *   2. unpack: dpkg-source -x (Debian's security patches applied), tar, or a
 *      copy of the tree; then three adjustments to Debian's tree (its
 *      install-layout and ensurepip policy for the system python), a
 *      build guard for Modules/pyexpat.c (CVE-2026-4224's patch needs it),
 *      two for start-up (encodings deep-frozen, deep-frozen modules made
 *      ready when first imported), one for class creation
 *      (typeobject_slots.inc) and one for precompiled regexes, pyweld's
 *      own carried as patch files (pydist/patches/3.11/) applied all or
 *      nothing;
 *   3. configure --disable-shared --with-readline=editline CFLAGS=-fPIC
 *      --enable-optimizations --with-lto, with the shim directory first on
 *      PATH so that gcc and ar are ours;
 *   4. make -jN: every shared standard-library module is linked by setup.py
 *      with "gcc -shared" and recorded; setup.py's "Failed to build" is an
 *      error even though make exits 0;
 *   5. make install into a DESTDIR, moved into the work directory;
 *   5b. LTO: libpython3.11.a's fat members optimised together into one
 *      object of machine code, so that welds stay ordinary links;
 *   5c. the regexes the standard library compiles on import precompiled
 *      (regex_table.py), then the standard library deep-frozen for welds
 *      (freeze_stdlib.py), one object per module and one of their strings;
 *   6. record: every lib-dynload module matched to its link by content hash,
 *      its libraries resolved to static archives, libpython3.11.a stored,
 *      every module imported and pip run by the new interpreter.
 */
#include "pydist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "ccshim.h"
#include "embed.h"
#include "itg.h"
#include "linkdb.h"
#include "util.h"

const char *
pydist_phase_name(enum pydist_phase p)
{
	static const char *const n[] = {
		"fetch source", "unpack", "configure", "make", "make install",
		"link-time optimisation", "deep-freeze", "record",
	};
	return (unsigned)p < PYDIST__PHASES ? n[p] : "?";
}

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

/* --- one build ------------------------------------------------------------ */

enum source_kind { SRC_DEBIAN, SRC_DSC, SRC_TARBALL, SRC_TREE };

struct job {
	const struct pydist_options *o;
	const struct pydist_progress *p;
	char *err;
	size_t errlen;

	char *cache;            /* cache root */
	char *pydir;            /* cache/python */
	enum source_kind kind;
	char *source;           /* absolute path of the .dsc, tarball or tree */
	char identity[LINKDB_HASH_HEX + 1];
	char key[17];
	char *final;            /* pydir/<key> */
	char *work;             /* pydir/.work-<key>-XXXXXX (mkdtemp) */
	int lockfd;             /* work/.lock, locked for the build's life */
	char *src, *build, *destdir, *prefix;
	int logfd;
	char *log;
	enum pydist_phase phase;

	char *py_version;       /* "3.11.2" */
	char *deb_version;      /* "3.11.2-6+deb12u8" or NULL */
	int deb_patches;
	bool regex_hook;        /* Lib/re/_compiler.py reads re/_pyweld_precompiled.py */
	struct strvec adjustments;
	struct strvec configure_args;
	int compiles, links;
	struct util_cmdlog cmd;         /* runs the steps; the last error line of the last */
};

static int
fail(struct job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->err, j->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Appends a line to the log. */
static void
logf_(struct job *j, const char *fmt, ...)
{
	va_list ap;

	if (j->logfd < 0)
		return;
	va_start(ap, fmt);
	vdprintf(j->logfd, fmt, ap);
	va_end(ap);
	(void)!write(j->logfd, "\n", 1);
}

static void
phase(struct job *j, enum pydist_phase p, const char *detail)
{
	j->phase = p;
	logf_(j, "\n=== pyweld: %s%s%s", pydist_phase_name(p), detail ? ": " : "",
	      detail ? detail : "");
	if (j->p && j->p->phase)
		j->p->phase(j->p->ctx, p, detail);
}

/* MiB available to us on the file system holding path (ULLONG_MAX if unknown). */
static unsigned long long
free_mib(const char *path)
{
	struct statvfs vfs;

	if (!path || statvfs(path, &vfs) < 0)
		return ~0ULL;
	return (unsigned long long)vfs.f_bavail * vfs.f_frsize / (1024 * 1024);
}

/* Counts compiles and shared links in make's output for the progress line. */
static void
on_line(void *ctx, const char *text)
{
	struct job *j = ctx;
	const char *s = text;

	while (*s == ' ')
		s++;
	if (j->phase == PYDIST_MAKE && (util_starts_with(s, "gcc ") || util_starts_with(s, "cc "))) {
		if (strstr(s, " -shared"))
			j->links++;
		else if (strstr(s, " -c "))
			j->compiles++;
		if (j->p && j->p->count)
			j->p->count(j->p->ctx, j->phase, j->compiles, j->links);
	}
	if (j->p && j->p->line)
		j->p->line(j->p->ctx, text);
}

/* make's -jN: --jobs, or one per processor. */
static void
jobs_flag(const struct job *j, char *buf, size_t len)
{
	snprintf(buf, len, "-j%d", j->o->jobs > 0 ? j->o->jobs
	         : (int)sysconf(_SC_NPROCESSORS_ONLN));
}

/* Runs a command of the recipe with its output in the log. */
static int
step(struct job *j, const char *const argv[], const char *const envp[], const char *cwd)
{
	const char *last_error = j->cmd.last_error;
	int rc;

	j->cmd.logfd = j->logfd;
	j->cmd.line = on_line;
	j->cmd.ctx = j;
	rc = util_cmdlog_run(&j->cmd, argv, envp, cwd);
	if (rc < 0)
		return fail(j, "%s failed: cannot run '%s': %s", pydist_phase_name(j->phase),
		            argv[0], strerror(errno));
	if (rc != 0) {
		unsigned long long avail = free_mib(j->pydir);
		if (avail < 256 || strstr(last_error, "No space left"))
			return fail(j, "%s failed: '%s' exited with status %d: the cache '%s' is "
			            "out of space (%llu MiB free; a build needs about 1.5 GiB)",
			            pydist_phase_name(j->phase), util_basename(argv[0]), rc,
			            j->pydir, avail);
		return fail(j, "%s failed: '%s' exited with status %d%s%s",
		            pydist_phase_name(j->phase), util_basename(argv[0]), rc,
		            last_error[0] ? ": " : "", last_error);
	}
	return 0;
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* --- the source ----------------------------------------------------------- */

static char *read_define(const char *file, const char *name);

/* "python3.11_3.11.2-6+deb12u8.dsc" → "3.11.2-6+deb12u8"; versions as they are. */
static char *
version_of(const char *s)
{
	const char *u = strchr(s, '_');
	if (u && util_ends_with(s, ".dsc"))
		return strndup(u + 1, strlen(u + 1) - 4);
	return xstrdup(s);
}

/* Sorts Debian versions (or .dsc names) newest first, in dpkg's order. */
static int
newest_first(const void *a, const void *b)
{
	char *x = version_of(*(char *const *)a), *y = version_of(*(char *const *)b);
	int rc;
	const char *const argv[] = { "dpkg", "--compare-versions", x, "gt", y, NULL };
	rc = !strcmp(x, y) ? 0 : util_run(argv, NULL) == 0 ? -1 : 1;
	free(x);
	free(y);
	return rc;
}

/* The newest python3.11_*.dsc already in dir (malloc'd path) or NULL. */
static char *
find_dsc(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *best = NULL;
	struct strvec versions = { 0 };

	if (!d)
		return NULL;
	while ((e = readdir(d)))
		if (util_starts_with(e->d_name, "python3.11_") && util_ends_with(e->d_name, ".dsc"))
			strvec_push(&versions, e->d_name);
	closedir(d);
	if (versions.n) {
		qsort(versions.v, versions.n, sizeof(char *), newest_first);
		best = util_path_join(dir, versions.v[0]);
	}
	strvec_free(&versions);
	return best;
}

/* Fetches Debian's python3.11 source package into cache/downloads/debian. */
static int
fetch_debian(struct job *j)
{
	char *dir = util_path_join(j->cache, "downloads/debian"), *out = NULL;
	struct strvec versions = { 0 };
	char *save = NULL, *line;
	int rc;

	phase(j, PYDIST_FETCH, "Debian's python3.11 source package");
	if (util_mkdir_p(dir, 0755) < 0) {
		fail(j, "fetch source failed: cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	if ((j->source = find_dsc(dir))) {
		logf_(j, "using the source package already downloaded: %s", j->source);
		rc = 0;
		goto done;
	}
	if (!util_which("apt-get", NULL, NULL)) {
		fail(j, "fetch source failed: no apt-get on this machine to fetch CPython's "
		     "source; give one with --source (a python3.11 .dsc, a Python-3.11.x "
		     "tarball or a source tree)");
		goto out;
	}
	rc = util_run_capture(ARGV("apt-cache", "showsrc", "python3.11"), NULL, &out, NULL);
	for (line = out ? strtok_r(out, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		if (util_starts_with(line, "Version: "))
			strvec_push(&versions, line + 9);
	if (rc != 0 || versions.n == 0) {
		fail(j, "fetch source failed: apt knows no source package python3.11; add a "
		     "deb-src entry for bookworm (pyweld's .ci/setup does) and run apt-get "
		     "update, or give a source with --source");
		goto out;
	}
	qsort(versions.v, versions.n, sizeof(char *), newest_first);
	/* The newest may be listed but not downloadable (a security mirror that
	 * moved on): try each in turn. */
	for (size_t i = 0; i < versions.n; i++) {
		char *spec = xasprintf("python3.11=%s", versions.v[i]);
		logf_(j, "trying %s", spec);
		rc = util_run_logged(ARGV("apt-get", "source", "--download-only", spec), NULL, dir,
		                     j->logfd, NULL, NULL);
		free(spec);
		if (rc == 0 && (j->source = find_dsc(dir)))
			break;
	}
	if (!j->source) {
		fail(j, "fetch source failed: apt-get source could not download any version of "
		     "python3.11 (see '%s'); give a source with --source", j->log);
		goto out;
	}
done:
	rc = 0;
	free(dir);
	free(out);
	strvec_free(&versions);
	return rc;
out:
	free(dir);
	free(out);
	strvec_free(&versions);
	return -1;
}

/* Hash of a tree: every regular file's path and content, in sorted order. */
static int
hash_tree(const char *root, const char *rel, struct strbuf *acc)
{
	char *dir = rel[0] ? util_path_join(root, rel) : xstrdup(root);
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0) {
		free(dir);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *r = rel[0] ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		char *full = util_path_join(root, r);
		struct stat st;
		char hex[LINKDB_HASH_HEX + 1];

		if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, ".git") ||
		    !strcmp(name, "__pycache__") || lstat(full, &st) < 0) {
			/* skip */
		} else if (S_ISDIR(st.st_mode)) {
			hash_tree(root, r, acc);
		} else if (S_ISREG(st.st_mode) && linkdb_hash_file(full, hex) == 0) {
			strbuf_addf(acc, "%s %s\n", hex, r);
		}
		free(r);
		free(full);
		free(names[i]);
	}
	free(names);
	free(dir);
	return 0;
}

/*
 * Checks the files a .dsc names against its Checksums-Sha256 list, so that
 * a damaged or substituted tarball beside it is refused before anything is
 * unpacked (and the .dsc's own hash, the cache key, then stands for them).
 */
static int
verify_dsc(struct job *j)
{
	char *text = NULL, *save = NULL, *line, *dir = util_dirname(j->source);
	bool in = false;
	int files = 0, rc = 0;

	if (util_read_file(j->source, &text, NULL) < 0) {
		free(dir);
		return fail(j, "cannot read '%s': %s", j->source, strerror(errno));
	}
	for (line = strtok_r(text, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != ' ') {
			in = util_starts_with(line, "Checksums-Sha256:");
			continue;
		}
		if (!in)
			continue;
		char hex[LINKDB_HASH_HEX + 1], name[512], now[LINKDB_HASH_HEX + 1];
		unsigned long long size;
		struct stat st;
		if (sscanf(line, " %64s %llu %511s", hex, &size, name) != 3)
			continue;
		char *path = util_path_join(dir, name);
		files++;
		if (stat(path, &st) < 0)
			rc = fail(j, "cannot use '%s': '%s', which it names, is missing (%s)",
			          j->source, path, strerror(errno));
		else if ((unsigned long long)st.st_size != size)
			rc = fail(j, "cannot use '%s': '%s' has %llu bytes, not the %llu its "
			          ".dsc lists (truncated or another file)", j->source, path,
			          (unsigned long long)st.st_size, size);
		else if (linkdb_hash_file(path, now) < 0 || strcmp(now, hex) != 0)
			rc = fail(j, "cannot use '%s': '%s' does not have the SHA-256 its .dsc "
			          "lists", j->source, path);
		free(path);
	}
	if (rc == 0 && files == 0)
		rc = fail(j, "cannot use '%s': not a Debian source description (no "
		          "Checksums-Sha256 list)", j->source);
	free(text);
	free(dir);
	return rc;
}

/* Decides what the source is and hashes it. */
static int
identify(struct job *j)
{
	struct stat st;

	if (!j->o->source) {
		j->kind = SRC_DEBIAN;
		if (fetch_debian(j) < 0)
			return -1;
	} else {
		j->source = util_abspath(j->o->source);
		phase(j, PYDIST_FETCH, j->source);
		if (stat(j->source, &st) < 0)
			return fail(j, "cannot use the source '%s': %s", j->o->source, strerror(errno));
		if (S_ISDIR(st.st_mode))
			j->kind = SRC_TREE;
		else if (util_ends_with(j->source, ".dsc"))
			j->kind = SRC_DSC;
		else
			j->kind = SRC_TARBALL;
	}
	if (j->kind == SRC_DEBIAN)
		j->kind = SRC_DSC;
	if (j->kind == SRC_DSC && verify_dsc(j) < 0)
		return -1;
	if (j->kind == SRC_TREE) {
		struct strbuf acc = { 0 };
		char *p = util_path_join(j->source, "Include/patchlevel.h");
		bool ok = util_is_file(p);
		char *version = ok ? read_define(p, "PY_VERSION") : NULL;
		free(p);
		if (!ok)
			return fail(j, "cannot use the source '%s': not a CPython source tree (no "
			            "Include/patchlevel.h)", j->o->source);
		if (!version || !util_starts_with(version, "3.11.")) {
			fail(j, "cannot use '%s': it is CPython %s; pyweld embeds CPython 3.11",
			     j->o->source, version ? version : "of an unknown version");
			free(version);
			return -1;
		}
		free(version);
		hash_tree(j->source, "", &acc);
		if (acc.failed)
			return fail(j, "out of memory");
		linkdb_hash_buffer(acc.s ? acc.s : "", acc.len, j->identity);
		strbuf_free(&acc);
	} else if (linkdb_hash_file(j->source, j->identity) < 0) {
		return fail(j, "cannot read the source '%s': %s", j->source, strerror(errno));
	}
	return 0;
}

/* A script of pydist/ as pyweld carries it, or NULL. */
static const struct embedded_file *
pydist_script(const char *name)
{
	for (const struct embedded_file *f = embedded_pydist; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

/* The cache key: recipe, source content, the options that change the result
 * and every file pyweld carries for the build. */
static void
make_key(struct job *j)
{
	char hex[LINKDB_HASH_HEX + 1];
	char script[LINKDB_HASH_HEX + 1];
	struct strbuf scripts = { 0 };

	/* The scripts, patches and code pyweld carries for the build
	 * (embedded_pydist) are part of the recipe: a changed one is a new key. */
	for (const struct embedded_file *f = embedded_pydist; f->name; f++)
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

/* Checks a tarball's listing before unpacking it: CPython, and readable. */
struct listing {
	bool patchlevel, configure;
};

static void
on_listing(void *ctx, const char *line)
{
	struct listing *l = ctx;
	size_t n = strlen(line);

	if (n >= 21 && !strcmp(line + n - 21, "/Include/patchlevel.h"))
		l->patchlevel = true;
	if (n >= 10 && !strcmp(line + n - 10, "/configure"))
		l->configure = true;
}

static int
check_tarball(struct job *j)
{
	struct listing l = { 0 };
	/* tar's complaints about a damaged file go to the log, not the terminal. */
	int rc = util_run_logged(ARGV("tar", "-tf", j->source), NULL, NULL, -1, on_listing, &l);
	bool patchlevel = l.patchlevel, configure = l.configure;

	if (rc != 0)
		return fail(j, "cannot unpack '%s': tar cannot read it (truncated, damaged or "
		            "not a tarball)", j->source);
	if (!patchlevel || !configure)
		return fail(j, "cannot use '%s': not a CPython source tarball (it has no "
		            "Include/patchlevel.h and configure)", j->source);
	return 0;
}

/* The single directory a tarball unpacked to. */
static char *
only_subdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;
	int n = 0;

	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		free(found);
		found = util_path_join(dir, e->d_name);
	}
	closedir(d);
	if (n != 1 || !util_is_dir(found)) {
		free(found);
		return NULL;
	}
	return found;
}

static int
unpack(struct job *j)
{
	phase(j, PYDIST_UNPACK, j->source);
	switch (j->kind) {
	case SRC_DSC:
	case SRC_DEBIAN: {
		/* Checksums are verified (identify() did too); a signature that
		 * cannot be checked without Debian's keyring only warns. */
		int rc = step(j, ARGV("dpkg-source", "-x", j->source, j->src), NULL, j->work);
		/* dpkg-source leaves the upstream tarball beside what it extracted. */
		DIR *d = opendir(j->work);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (strstr(e->d_name, ".orig.tar.")) {
				char *p = util_path_join(j->work, e->d_name);
				if (p)
					unlink(p);
				free(p);
			}
		}
		if (d)
			closedir(d);
		return rc;
	}
	case SRC_TARBALL: {
		char *tmp = util_path_join(j->work, "unpack"), *top;
		if (check_tarball(j) < 0 || util_mkdir_p(tmp, 0755) < 0 ||
		    step(j, ARGV("tar", "-xf", j->source, "-C", tmp), NULL, NULL) < 0) {
			free(tmp);
			if (!j->err[0])
				fail(j, "cannot unpack '%s': %s", j->source, strerror(errno));
			return -1;
		}
		top = only_subdir(tmp);
		if (!top || rename(top, j->src) < 0) {
			free(tmp);
			free(top);
			return fail(j, "cannot use '%s': it does not unpack to one directory",
			            j->source);
		}
		free(top);
		rmdir(tmp);
		free(tmp);
		return 0;
	}
	case SRC_TREE: {
		/* A copy: the build writes into its source tree (Lib/__pycache__),
		 * and the user's tree stays as it was. */
		char *from = xasprintf("%s/.", j->source);
		int rc = util_mkdir_p(j->src, 0755) < 0 ? -1 :
		         step(j, ARGV("cp", "-a", from, j->src), NULL, NULL);
		free(from);
		return rc;
	}
	}
	return -1;
}

/* --- preparing the tree ------------------------------------------------- */

static char *
read_define(const char *file, const char *name)
{
	char *text, *p, *q;
	char pat[128];

	if (util_read_file(file, &text, NULL) < 0)
		return NULL;
	snprintf(pat, sizeof(pat), "#define %s", name);
	p = strstr(text, pat);
	p = p ? strchr(p, '"') : NULL;
	q = p ? strchr(p + 1, '"') : NULL;
	char *v = p && q ? strndup(p + 1, (size_t)(q - p - 1)) : NULL;
	free(text);
	return v;
}

/* Extracts the part of a patch that touches one file. */
static char *
patch_part(const char *patch, const char *file)
{
	char *text, *save = NULL, *line;
	struct strbuf out = { 0 };
	bool in = false;
	char header[256];

	if (util_read_file(patch, &text, NULL) < 0)
		return NULL;
	snprintf(header, sizeof(header), "--- a/%s", file);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (util_starts_with(line, "--- "))
			in = util_starts_with(line, header);
		else if (util_starts_with(line, "Index: ") || util_starts_with(line, "diff "))
			in = false;
		if (in) {
			strbuf_adds(&out, line);
			strbuf_addc(&out, '\n');
		}
	}
	free(text);
	return strbuf_detach(&out);
}

/* Reverses a patch (or a part of it) if it is applied; records what it did. */
static int
reverse_patch(struct job *j, const char *patch_file, const char *why)
{
	if (util_run_logged(ARGV("patch", "-R", "-p1", "--dry-run", "-s", "-f", "-i", patch_file),
	                    NULL, j->src, j->logfd, NULL, NULL) != 0) {
		logf_(j, "pyweld: %s does not reverse cleanly; left as it is", patch_file);
		return 0;
	}
	if (step(j, ARGV("patch", "-R", "-p1", "-s", "-f", "-i", patch_file), NULL, j->src) < 0)
		return -1;
	strvec_push(&j->adjustments, why);
	return 0;
}

/* One replacement: the first `old` in a file becomes `new`. */
struct source_edit {
	const char *old, *new;
};

/*
 * Applies every edit to the source's file rel, or none: 1 when done, 0 when
 * some `old` is not there (a tree pyweld does not know: logged, left as it
 * is, since what these edits change is speed), -1 on an error.
 */
static int
edit_source(struct job *j, const char *rel, const struct source_edit *e, size_t n)
{
	char *path = util_path_join(j->src, rel), *text = NULL;
	int rc = 1;

	if (util_read_file(path, &text, NULL) < 0) {
		logf_(j, "pyweld: cannot read %s (%s); left as it is", rel, strerror(errno));
		rc = 0;
	}
	for (size_t i = 0; rc == 1 && i < n; i++) {
		char *at = strstr(text, e[i].old);
		if (!at) {
			logf_(j, "pyweld: %s has no \"%.60s\"; left as it is", rel, e[i].old);
			rc = 0;
			break;
		}
		char *fixed = xasprintf("%.*s%s%s", (int)(at - text), text, e[i].new,
		                        at + strlen(e[i].old));
		free(text);
		text = fixed;
	}
	if (rc == 1 && util_write_atomic(path, text, strlen(text), 0644, false) < 0)
		rc = fail(j, "unpack failed: cannot write '%s': %s", path, strerror(errno));
	free(text);
	free(path);
	return rc;
}

/*
 * Writes pyweld's patch `name` (pydist/patches/3.11/, carried inside pyweld)
 * to work/patches/name: the path (malloc'd), or NULL with err set.
 */
static char *
patch_path(struct job *j, const char *name)
{
	const struct embedded_file *f = pydist_script(name);
	char *dir = util_path_join(j->work, "patches");
	char *path = util_path_join(dir, name);
	bool ok = false;

	if (!f)
		fail(j, "unpack failed: pyweld carries no %s (a broken build of pyweld)", name);
	else if (util_mkdir_p(dir, 0755) < 0 ||
	         util_write_atomic(path, f->data, f->size, 0644, false) < 0)
		fail(j, "unpack failed: cannot write '%s': %s", path, strerror(errno));
	else
		ok = true;
	free(dir);
	if (!ok) {
		free(path);
		return NULL;
	}
	return path;
}

/* The files a patch changes ("+++ b/FILE" lines), for messages: "a, b". */
static char *
patch_targets(const char *name)
{
	const struct embedded_file *f = pydist_script(name);
	struct strbuf out = { 0 };
	const char *line = f ? (const char *)f->data : "";

	for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (!util_starts_with(line, "+++ b/"))
			continue;
		size_t n = strcspn(line + 6, "\t\n");
		strbuf_addf(&out, "%s%.*s", out.len ? ", " : "", (int)n, line + 6);
	}
	if (out.failed)
		util_fatal("out of memory");
	return out.s ? strbuf_detach(&out) : xstrdup("?");
}

/*
 * Whether every hunk of pyweld's patch `name` applies to the source tree
 * (patch --dry-run, exact context): 1 when it does, 0 when not (a tree
 * pyweld does not know: logged, naming the patch and its files), -1 on an
 * error.  Nothing in the tree changes.
 */
static int
patch_applies(struct job *j, const char *name)
{
	char *path = patch_path(j, name);
	int rc;

	if (!path)
		return -1;
	rc = util_run_logged(ARGV("patch", "-p1", "--dry-run", "-s", "-f", "--fuzz=0",
	                          "--no-backup-if-mismatch", "-i", path),
	                     NULL, j->src, j->logfd, NULL, NULL);
	free(path);
	if (rc < 0)
		return fail(j, "unpack failed: cannot run 'patch': %s", strerror(errno));
	if (rc != 0) {
		char *files = patch_targets(name);
		logf_(j, "pyweld: the patch %s does not apply to %s; left as it is", name, files);
		free(files);
		return 0;
	}
	return 1;
}

/*
 * Applies pyweld's patch `name` to the source tree, all of it or nothing:
 * every hunk is checked first (patch_applies).  1 when applied, 0 when it
 * does not apply (logged; what these patches change is speed, so the tree
 * is left as it is), -1 on an error.
 */
static int
apply_patch(struct job *j, const char *name)
{
	int rc = patch_applies(j, name);
	char *path;

	if (rc != 1)
		return rc;
	path = patch_path(j, name);
	if (!path)
		return -1;
	if (step(j, ARGV("patch", "-p1", "-s", "-f", "--fuzz=0", "--no-backup-if-mismatch",
	                 "-i", path), NULL, j->src) < 0) {
		char *files = patch_targets(name);
		fail(j, "unpack failed: pyweld's patch %s did not apply to %s, though its dry "
		     "run did (see '%s')", name, files, j->log);
		free(files);
		rc = -1;
	}
	free(path);
	return rc;
}

/*
 * Start-up work CPython does for modules a program never imports, or from
 * files it could have compiled in (docs/distribution.md, "Start-up"):
 *  - encodings, encodings.aliases and encodings.utf_8, which every start
 *    imports, are deep-frozen like codecs and io (freeze-encodings.patch,
 *    then freeze_modules.py regenerates what lists the frozen modules);
 *  - each deep-frozen module is made ready (its strings interned) when it
 *    is first imported, not all of them at every start and reset at every
 *    exit (pydist/deepfreeze_lazy.py, written beside deepfreeze.py, which
 *    make runs after deepfreeze-lazy.patch).
 */
static int
faster_startup(struct job *j)
{
	char *python = util_which("python3", NULL, NULL);
	int rc = 0;

	/* freeze_modules.py regenerates Makefile.pre.in and Python/frozen.c;
	 * any Python 3 runs it (make's own regen-frozen uses the system's). */
	if (!python)
		logf_(j, "pyweld: no python3 on PATH to run freeze_modules.py; encodings "
		      "left unfrozen");
	else if ((rc = apply_patch(j, "freeze-encodings.patch")) == 1) {
		rc = step(j, ARGV(python, "Tools/scripts/freeze_modules.py"), NULL, j->src);
		if (rc == 0)
			strvec_push(&j->adjustments, "Tools/scripts/freeze_modules.py: encodings, "
			            "encodings.aliases and encodings.utf_8 deep-frozen (start-up)");
	}
	free(python);
	if (rc < 0)
		return -1;

	const struct embedded_file *f = pydist_script("deepfreeze_lazy.py");
	char *script = util_path_join(j->src, "Tools/scripts/pyweld_deepfreeze.py");
	char *original = util_path_join(j->src, "Tools/scripts/deepfreeze.py");
	if (!f)
		rc = fail(j, "unpack failed: pyweld carries no deepfreeze_lazy.py (a broken build "
		          "of pyweld)");
	else if (!util_is_file(original))
		logf_(j, "pyweld: no Tools/scripts/deepfreeze.py; deep-frozen modules left as "
		      "CPython makes them");
	else if (util_write_atomic(script, f->data, f->size, 0644, false) < 0)
		rc = fail(j, "unpack failed: cannot write '%s': %s", script, strerror(errno));
	else if ((rc = apply_patch(j, "deepfreeze-lazy.patch")) == 1)
		strvec_push(&j->adjustments, "Makefile.pre.in: deep-frozen modules made ready "
		            "when first imported (Tools/scripts/pyweld_deepfreeze.py)");
	free(script);
	free(original);
	return rc < 0 ? -1 : 0;
}

/*
 * Class creation looks its special names up through the base's method cache
 * and finds a slot's fellows once (pydist/typeobject_slots.inc says why and
 * when that gives the same answers; docs/distribution.md, "Class
 * creation"): typeobject-slots.patch makes typeobject.c call the functions
 * of typeobject_slots.inc, inserted before the code that uses them.  All
 * of it or none.
 */
static int
faster_classes(struct job *j)
{
	static const char anchor[] = "/* Common code for update_slots_callback() and "
	                             "fixup_slot_dispatchers().";
	const struct embedded_file *f = pydist_script("typeobject_slots.inc");
	char *path = util_path_join(j->src, "Objects/typeobject.c"), *text = NULL;
	int rc;

	if (!f) {
		free(path);
		return fail(j, "unpack failed: pyweld carries no typeobject_slots.inc (a broken "
		            "build of pyweld)");
	}
	/* Both checked before either changes the file. */
	rc = patch_applies(j, "typeobject-slots.patch");
	if (rc == 1 && util_read_file(path, &text, NULL) == 0 && !strstr(text, anchor)) {
		logf_(j, "pyweld: Objects/typeobject.c has no \"%.60s\"; left as it is", anchor);
		rc = 0;
	}
	free(text);
	free(path);
	if (rc == 1)
		rc = apply_patch(j, "typeobject-slots.patch");
	if (rc == 1) {
		char *inserted = xasprintf("%.*s\n%s", (int)f->size, (const char *)f->data, anchor);
		rc = edit_source(j, "Objects/typeobject.c",
		                 &(struct source_edit){ anchor, inserted }, 1);
		free(inserted);
		if (rc == 0)
			rc = fail(j, "unpack failed: cannot insert typeobject_slots.inc into "
			          "Objects/typeobject.c after typeobject-slots.patch (see '%s')",
			          j->log);
	}
	if (rc == 1)
		strvec_push(&j->adjustments, "Objects/typeobject.c: class creation finds special "
		            "methods through the base's method cache (pydist/typeobject_slots.inc)");
	return rc < 0 ? -1 : 0;
}

/*
 * re compiles a pattern it has not seen with its pure-Python parser and
 * compiler; the standard library compiles about 200 at import.  The
 * distribution's re/_compiler.py takes them from re/_pyweld_precompiled.py,
 * which pydist/regex_table.py writes after make install (docs/
 * distribution.md, "Start-up"; re-precompiled.patch).
 */
static int
precompiled_regexes(struct job *j)
{
	int rc = apply_patch(j, "re-precompiled.patch");
	if (rc == 1) {
		j->regex_hook = true;
		strvec_push(&j->adjustments, "Lib/re/_compiler.py: regexes found in "
		            "re/_pyweld_precompiled.py are not compiled again");
	}
	return rc < 0 ? -1 : 0;
}

static int
prepare(struct job *j)
{
	char *p = util_path_join(j->src, "Include/patchlevel.h");
	char *changelog = util_path_join(j->src, "debian/changelog");
	char *series = util_path_join(j->src, "debian/patches/series");
	char *text = NULL;

	j->py_version = read_define(p, "PY_VERSION");
	free(p);
	if (!j->py_version) {
		free(changelog);
		free(series);
		return fail(j, "cannot use '%s': no PY_VERSION in Include/patchlevel.h", j->source);
	}
	if (!util_starts_with(j->py_version, "3.11.")) {
		free(changelog);
		free(series);
		return fail(j, "cannot use '%s': it is CPython %s; pyweld embeds CPython 3.11",
		            j->source, j->py_version);
	}
	if (util_read_file(changelog, &text, NULL) == 0) {
		char *open = strchr(text, '('), *close = open ? strchr(open, ')') : NULL;
		if (open && close)
			j->deb_version = strndup(open + 1, (size_t)(close - open - 1));
		free(text);
		text = NULL;
	}
	if (util_read_file(series, &text, NULL) == 0) {
		char *save = NULL, *line;
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (line[0] && line[0] != '#')
				j->deb_patches++;
		free(text);
	}
	free(changelog);
	free(series);

	if (j->deb_version) {
		/* Debian's policy for its system python, not security fixes: site.py's
		 * dist-packages layout (frozen into the interpreter, so it must be
		 * undone before the build), sysconfig's posix_local scheme, and the
		 * disabled ensurepip.  Undone so that the distribution installs into
		 * lib/python3.11/site-packages and gets pip offline. */
		char *dir = util_path_join(j->src, "debian/patches");
		char *layout = util_path_join(dir, "distutils-install-layout.diff");
		char *site = patch_part(layout, "Lib/site.py");
		char *sitefile = util_path_join(j->work, "site-layout.diff");
		char *schemes = util_path_join(dir, "sysconfig-debian-schemes.diff");
		char *ensurepip = util_path_join(dir, "ensurepip-disabled.diff");
		int rc = 0;

		if (site && *site && util_write_atomic(sitefile, site, strlen(site), 0644, false) == 0)
			rc = reverse_patch(j, sitefile, "reversed Lib/site.py part of "
			                   "distutils-install-layout.diff (dist-packages layout)");
		if (rc == 0 && util_is_file(schemes))
			rc = reverse_patch(j, schemes, "reversed sysconfig-debian-schemes.diff "
			                   "(posix_local install scheme)");
		if (rc == 0 && util_is_file(ensurepip))
			rc = reverse_patch(j, ensurepip, "reversed ensurepip-disabled.diff "
			                   "(ensurepip disabled for the system python)");
		free(dir); free(layout); free(site); free(sitefile); free(schemes); free(ensurepip);
		if (rc < 0)
			return -1;
	}

	/* Modules/pyexpat.c may include an internal header (Debian's fix for
	 * CVE-2026-4224) that needs Py_BUILD_CORE_MODULE when pyexpat is a
	 * shared module; pyexpat-core-module.patch gives it the guard _json.c
	 * and others carry.  The build fails without it: a patch that does not
	 * apply is an error here. */
	char *pyexpat = util_path_join(j->src, "Modules/pyexpat.c");
	if (util_read_file(pyexpat, &text, NULL) == 0) {
		bool needed = strstr(text, "pycore_") && !strstr(text, "Py_BUILD_CORE_MODULE");
		free(text);
		int rc = needed ? apply_patch(j, "pyexpat-core-module.patch") : 0;
		if (needed && rc == 0)
			rc = fail(j, "unpack failed: pyweld's patch pyexpat-core-module.patch does "
			          "not apply to Modules/pyexpat.c (see '%s')", j->log);
		if (rc < 0) {
			free(pyexpat);
			return -1;
		}
		if (rc == 1)
			strvec_push(&j->adjustments, "Modules/pyexpat.c: Py_BUILD_CORE_MODULE "
			            "guard (it includes an internal header)");
	}
	free(pyexpat);
	int rc = faster_startup(j) < 0 || faster_classes(j) < 0 ||
	         precompiled_regexes(j) < 0 ? -1 : 0;
	char *patches = util_path_join(j->work, "patches");
	util_remove_tree(patches);
	free(patches);
	return rc;
}

/* --- configure, make, install --------------------------------------------- */

/*
 * The shims of the build (its link database in the work directory) and
 * its environment: ours, with the shim directory first on PATH, minus what
 * would steer configure and make elsewhere (configure is given CC=gcc, and
 * finds the shims on PATH).
 */
static int
build_env(struct job *j, struct strvec *env)
{
	static const char *const drop[] = {
		"CPP=", "MAKEFLAGS=", "MFLAGS=", "CONFIG_SITE=", NULL,
	};
	char *db = util_path_join(j->work, "dist.linkdb");
	char *shimdir = util_path_join(j->work, "shims");
	struct ccshim_env e = { .db_path = db, .shimdir = shimdir, .shim_exe = j->o->shim_exe,
	                        .tool = "python build", .cwd = j->work, .note = j->source };
	char err[1024];
	int rc = 0;

	if (ccshim_env_setup(&e, err, sizeof(err)) < 0)
		rc = fail(j, "configure failed: %s", err);
	else
		ccshim_env_build(&e, 0, NULL, drop, env);
	if (env->failed)
		util_fatal("out of memory");
	ccshim_env_free(&e);
	free(db);
	free(shimdir);
	return rc;
}

/* setup.py reports modules it could not build on stdout, and make exits 0. */
static int
check_make_log(struct job *j)
{
	char *text = NULL;
	const char *bad[] = { "Failed to build these modules:",
	                      "could not be imported:", NULL };

	if (util_read_file(j->log, &text, NULL) < 0)
		return 0;
	for (size_t i = 0; bad[i]; i++) {
		char *p = strstr(text, bad[i]);
		if (p) {
			char *eol = strchr(p, '\n');
			char *next = eol ? strchr(eol + 1, '\n') : NULL;
			fail(j, "make failed: setup.py says \"%.*s\" (see '%s')",
			     (int)((next ? next : eol ? eol : p + strlen(p)) - p), p, j->log);
			for (char *c = j->err; *c; c++)
				if (*c == '\n')
					*c = ' ';
			free(text);
			return -1;
		}
	}
	free(text);
	return 0;
}

/*
 * What make install leaves out of the standard library: test packages the
 * Makefile's TESTSUBDIRS forgets in 3.11.2 (test_sqlite3, test_tomllib,
 * test_capi: CPython's own tests need them), and lib2to3's grammar pickles
 * (Debian's patches drop their generation; lib2to3 loads them with
 * pkgutil.get_data).
 */
static int
complete_install(struct job *j)
{
	char *src_test = util_path_join(j->src, "Lib/test");
	char *dst_test = util_path_join(j->prefix, "lib/python3.11/test");
	char *python = util_path_join(j->prefix, "bin/python3.11");
	struct dirent **names = NULL;
	int n = util_is_dir(dst_test) ? scandir(src_test, &names, NULL, alphasort) : 0, rc = 0;

	for (int i = 0; i < n; i++) {
		char *from = util_path_join(src_test, names[i]->d_name);
		char *to = util_path_join(dst_test, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && util_is_dir(from) && !util_is_dir(to) &&
		    util_starts_with(names[i]->d_name, "test_")) {
			if (rc == 0)
				rc = step(j, ARGV("cp", "-a", from, to), NULL, NULL);
			if (rc == 0)
				strvec_pushf(&j->adjustments, "installed Lib/test/%s, which make "
				             "install leaves out", names[i]->d_name);
		}
		free(from);
		free(to);
		free(names[i]);
	}
	free(names);
	/* Debian's lib2to3-no-pickled-grammar.diff stops the driver from saving
	 * them: lib2to3_grammar.py dumps them directly, and checks they exist. */
	const struct embedded_file *dump = pydist_script("lib2to3_grammar.py");
	char *grammar = xasprintf("%s/lib/python3.11/lib2to3/Grammar.txt", j->prefix);
	char *pattern = xasprintf("%s/lib/python3.11/lib2to3/PatternGrammar.txt", j->prefix);
	if (rc == 0 && !dump)
		rc = fail(j, "make install failed: pyweld carries no lib2to3_grammar.py (a broken "
		          "build of pyweld)");
	if (rc == 0 && util_is_file(grammar) && util_is_file(pattern)) {
		rc = step(j, ARGV(python, "-I", "-c", (const char *)dump->data, grammar, pattern),
		          NULL, NULL);
		if (rc == 0)
			strvec_push(&j->adjustments, "generated lib2to3's grammar pickles");
	}
	free(grammar);
	free(pattern);
	free(src_test);
	free(dst_test);
	free(python);
	return rc;
}

static int
configure_make_install(struct job *j)
{
	struct strvec env = { 0 };
	char *final_prefix = util_path_join(j->final, "prefix");
	int rc = -1;
	char jobs[32];

	if (build_env(j, &env) < 0)
		goto out;
	if (util_mkdir_p(j->build, 0755) < 0) {
		fail(j, "configure failed: cannot create '%s': %s", j->build, strerror(errno));
		goto out;
	}

	strvec_pushf(&j->configure_args, "%s/configure", j->src);
	strvec_pushf(&j->configure_args, "--prefix=%s", final_prefix);
	strvec_push(&j->configure_args, "--disable-shared");
	strvec_push(&j->configure_args, j->o->gnu_readline ? "--with-readline=readline"
	                                                    : "--with-readline=editline");
	strvec_push(&j->configure_args, "--with-system-expat");
	strvec_push(&j->configure_args, "--with-system-ffi");
	strvec_push(&j->configure_args, "--with-dbmliborder=bdb:gdbm");
	strvec_push(&j->configure_args, "--with-ensurepip=install");
	/* Profile-guided optimisation: make builds an instrumented interpreter,
	 * runs the test suite's --pgo task, and rebuilds with the profile.
	 * --with-lto makes every object fat (GCC's bytecode beside machine
	 * code); lto_libpython() then turns libpython's into one ordinary
	 * object, so a weld stays an ordinary link. */
	if (!j->o->no_pgo)
		strvec_push(&j->configure_args, "--enable-optimizations");
	if (!j->o->no_lto)
		strvec_push(&j->configure_args, "--with-lto");
	strvec_push(&j->configure_args, "CC=gcc");
	strvec_push(&j->configure_args, "CFLAGS=-fPIC");
	phase(j, PYDIST_CONFIGURE, j->src);
	if (step(j, strvec_cargv(&j->configure_args), strvec_cargv(&env), j->build) < 0)
		goto out;

	jobs_flag(j, jobs, sizeof(jobs));
	phase(j, PYDIST_MAKE, jobs);
	if (step(j, ARGV("make", jobs), strvec_cargv(&env), j->build) < 0 ||
	    check_make_log(j) < 0)
		goto out;

	phase(j, PYDIST_INSTALL, final_prefix);
	{
		char *destdir = xasprintf("DESTDIR=%s", j->destdir);
		char *inst = xasprintf("%s%s", j->destdir, final_prefix);
		rc = step(j, ARGV("make", "install", destdir, "LN=ln -sf"), strvec_cargv(&env),
		          j->build);
		if (rc == 0 && rename(inst, j->prefix) < 0)
			rc = fail(j, "make install failed: cannot move '%s' to '%s': %s", inst,
			          j->prefix, strerror(errno));
		if (rc == 0)
			rc = complete_install(j);
		/* ensurepip ran before bin/ existed at its final place, so pip's
		 * scripts name "bin/python" (distlib's fallback): provide it. */
		char *py = util_path_join(j->prefix, "bin/python");
		if (rc == 0 && symlink("python3.11", py) < 0 && errno != EEXIST)
			rc = fail(j, "make install failed: cannot create '%s': %s", py,
			          strerror(errno));
		free(py);
		free(destdir);
		free(inst);
	}
out:
	free(final_prefix);
	strvec_free(&env);
	return rc;
}

/* --- link-time optimisation -------------------------------------------------- */

/* 1 when the ELF object at path has a section whose name starts with
 * prefix, 0 when not, -1 when readelf cannot read it. */
static int
has_section(const char *path, const char *prefix)
{
	char *out = NULL;
	int found;

	if (util_run_capture(ARGV("readelf", "-SW", path), NULL, &out, NULL) != 0) {
		free(out);
		return -1;
	}
	found = out && strstr(out, prefix);
	free(out);
	return found;
}

/*
 * With --with-lto, libpython3.11.a's members are fat objects: machine code
 * compiled file by file, and GCC's bytecode.  An ordinary link uses the
 * machine code and loses what LTO gives the interpreter (inlining across
 * files: about 14% of start-up's instructions, measured against Debian's
 * LTO build).  A whole-program LTO at every weld would cost minutes, so it
 * happens once, here: the members are optimised together into ONE
 * relocatable object of machine code (gcc -r -flinker-output=nolto-rel),
 * every global symbol kept, and libpython3.11.a is rewritten to hold it.
 * The installed config/libpython3.11.a keeps the fat members for
 * python3.11-config users.
 */
static int
lto_libpython(struct job *j)
{
	char *lib = util_path_join(j->prefix, "lib/libpython3.11.a");
	char *dir = util_path_join(j->work, "lto");
	char *obj = util_path_join(dir, "libpython3.11.o");
	char *tmp = util_path_join(dir, "libpython3.11.a");
	struct strvec av = { 0 };
	struct dirent **names = NULL;
	int n = 0, rc = -1, members = 0;

	phase(j, PYDIST_LTO, lib);
	if (util_mkdir_p(dir, 0755) < 0) {
		fail(j, "link-time optimisation failed: cannot create '%s': %s", dir,
		     strerror(errno));
		goto out;
	}
	if (step(j, ARGV("ar", "x", lib), NULL, dir) < 0)
		goto out;
	/* The flags CPython's own LTO link of python uses (configure's
	 * LTOFLAGS, -fno-semantic-interposition of --enable-optimizations),
	 * with -O3 as the objects were compiled.  One partition, as CPython's:
	 * with several, GCC makes the statics that cross partitions global
	 * (time_strftime.lto_priv.0), and a module's own LTO link that makes
	 * the same name then clashes with libpython in the final link. */
	static const char *const gcc[] = {
		"gcc", "-flto", "-flto-partition=none", "-fuse-linker-plugin", "-O3", "-g", "-fPIC",
		"-fno-semantic-interposition", "-nostdlib", "-r", "-flinker-output=nolto-rel",
		"-o", NULL,
	};
	for (const char *const *a = gcc; *a; a++)
		strvec_push(&av, *a);
	strvec_push(&av, obj);
	n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (util_ends_with(names[i]->d_name, ".o") &&
		    strcmp(names[i]->d_name, "libpython3.11.o")) {
			strvec_push_owned(&av, util_path_join(dir, names[i]->d_name));
			members++;
		}
	}
	if (members == 0) {
		fail(j, "link-time optimisation failed: '%s' holds no objects", lib);
		goto out;
	}
	if (step(j, strvec_cargv(&av), NULL, NULL) < 0)
		goto out;
	/* What comes out must be machine code only: bytecode left in it would
	 * make every weld an LTO link again. */
	switch (has_section(obj, ".gnu.lto_")) {
	case 0:
		break;
	case 1:
		fail(j, "link-time optimisation failed: '%s' still holds LTO bytecode (is gcc's "
		     "LTO plugin missing?)", obj);
		goto out;
	default:
		fail(j, "link-time optimisation failed: readelf cannot read '%s'", obj);
		goto out;
	}
	if (step(j, ARGV("ar", "rcs", tmp, obj), NULL, NULL) < 0)
		goto out;
	if (rename(tmp, lib) < 0) {
		fail(j, "link-time optimisation failed: cannot move '%s' to '%s': %s", tmp, lib,
		     strerror(errno));
		goto out;
	}
	strvec_pushf(&j->adjustments, "optimised libpython3.11.a's %d objects together (LTO) "
	             "into one, libpython3.11.o", members);
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc == 0)
		util_remove_tree(dir);
	strvec_free(&av);
	free(lib);
	free(dir);
	free(obj);
	free(tmp);
	return rc;
}

/* What pyweld build leaves out of a blob, as the scripts' --exclude options:
 * not worth freezing, nor importing for its regexes. */
static void
push_excludes(struct strvec *args)
{
	for (const char *const *q = itg_default_module_ex; *q; q++)
		strvec_push(args, "--exclude"), strvec_push(args, *q);
	for (const char *const *q = itg_test_module_ex; *q; q++)
		strvec_push(args, "--exclude"), strvec_push(args, *q);
}

/*
 * The regexes the standard library compiles on import precompiled
 * (pydist/regex_table.py writes re/_pyweld_precompiled.py), then the
 * standard library deep-frozen for welded binaries (docs/distribution.md,
 * "Start-up"): pydist/freeze_stdlib.py, run by the new interpreter, writes
 * each module's code objects as C data through the lazy printer that
 * libpython's own deep-frozen modules went through, and the objects land
 * in lib/pyweld-frozen with the manifest that pyweld build matches packed
 * modules against.  A weld links the objects of the modules it packs and
 * runs them instead of unmarshalling the blob's copy.
 */
static int
freeze_stdlib(struct job *j, const char *jobs)
{
	const struct embedded_file *f = pydist_script("freeze_stdlib.py");
	const struct embedded_file *regex = pydist_script("regex_table.py");
	char *tools = util_path_join(j->src, "Tools/scripts");
	char *lazy = util_path_join(tools, "pyweld_deepfreeze.py");
	char *dir = util_path_join(j->work, "freeze");
	char *script = util_path_join(dir, "freeze_stdlib.py");
	char *regex_script = util_path_join(dir, "regex_table.py");  /* imports the other */
	char *python = util_path_join(j->prefix, "bin/python3.11");
	char *stdlib = util_path_join(j->prefix, "lib/python3.11");
	char *dest = util_path_join(j->prefix, "lib/pyweld-frozen");
	char *objs = util_path_join(dir, "o");
	char *manifest = util_path_join(dir, "manifest.tsv");
	char *dest_manifest = util_path_join(dest, "manifest.tsv");
	char *cflags = xasprintf("CFLAGS=-O1 -fPIC -w -DPy_BUILD_CORE -I%s/include/python3.11 "
	                         "-I%s/include/python3.11/internal", j->prefix, j->prefix);
	char *text = NULL;
	struct strvec args = { 0 };
	int rc = -1;

	phase(j, PYDIST_FREEZE, "the standard library");
	if (!f || (j->regex_hook && !regex)) {
		fail(j, "deep-freeze failed: pyweld carries no %s (a broken build of pyweld)",
		     f ? "regex_table.py" : "freeze_stdlib.py");
		goto out;
	}
	util_remove_tree(dir);
	const char *unwritten = util_mkdir_p(dir, 0755) < 0 ? dir
		: util_write_atomic(script, f->data, f->size, 0644, false) < 0 ? script
		: j->regex_hook && util_write_atomic(regex_script, regex->data, regex->size, 0644,
		                                     false) < 0 ? regex_script : NULL;
	if (unwritten) {
		fail(j, "deep-freeze failed: cannot write '%s': %s", unwritten, strerror(errno));
		goto out;
	}
	/* The regexes first: their table is a module, deep-frozen with the rest. */
	if (j->regex_hook) {
		strvec_push(&args, python);
		strvec_push(&args, "-I");
		strvec_push(&args, regex_script);
		strvec_push(&args, stdlib);
		push_excludes(&args);
		if (step(j, strvec_cargv(&args), NULL, NULL) < 0)
			goto out;
		strvec_free(&args);
		char *table = util_path_join(stdlib, "re/_pyweld_precompiled.py");
		size_t n = 0;
		if (util_read_file(table, &text, NULL) == 0)
			for (const char *c = text; (c = strstr(c, "\n    (")); c++)
				n++;
		free(table);
		free(text);
		text = NULL;
		strvec_pushf(&j->adjustments, "precompiled %zu regexes the standard library "
		             "compiles on import (re/_pyweld_precompiled.py)", n);
	}
	if (!util_is_file(lazy)) {
		/* faster_startup() said why in the log: no deepfreeze.py. */
		logf_(j, "pyweld: no Tools/scripts/pyweld_deepfreeze.py; the standard library is "
		      "not deep-frozen (welds unmarshal it)");
		rc = 0;
		goto out;
	}
	strvec_push(&args, python);
	strvec_push(&args, "-I");
	strvec_push(&args, script);
	strvec_push(&args, tools);
	strvec_push(&args, stdlib);
	strvec_push(&args, dir);
	push_excludes(&args);
	if (step(j, strvec_cargv(&args), NULL, NULL) < 0 ||
	    step(j, ARGV("make", "-s", jobs, "CC=gcc", cflags, "objects"), NULL, dir) < 0)
		goto out;
	if (util_read_file(manifest, &text, NULL) < 0) {
		fail(j, "deep-freeze failed: cannot read '%s': %s", manifest, strerror(errno));
		goto out;
	}
	size_t n = 0;
	for (const char *c = text; *c; c++)
		n += *c == '\n';
	util_remove_tree(dest);
	if (rename(objs, dest) < 0 || rename(manifest, dest_manifest) < 0) {
		fail(j, "deep-freeze failed: cannot move the objects to '%s': %s", dest,
		     strerror(errno));
		goto out;
	}
	strvec_pushf(&j->adjustments, "deep-froze %zu standard-library modules for welded "
	             "binaries (lib/pyweld-frozen)", n);
	util_remove_tree(dir);
	rc = 0;
out:
	free(text);
	free(tools);
	free(lazy);
	free(dir);
	free(script);
	free(regex_script);
	free(python);
	free(stdlib);
	free(dest);
	free(objs);
	free(manifest);
	free(dest_manifest);
	free(cflags);
	strvec_free(&args);
	return rc;
}

/* --- recording -------------------------------------------------------------- */

static json_t *
strvec_json(const struct strvec *sv)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

static int
record(struct job *j)
{
	char *python = util_path_join(j->prefix, "bin/python3.11");
	char *db = util_path_join(j->work, "dist.linkdb");
	const struct embedded_file *describe = pydist_script("describe.py");
	char *out = NULL, *data = NULL;
	json_t *desc = NULL, *modules = json_array(), *missing = json_array(), *doc = NULL;
	json_error_t jerr;
	struct linkdb *ldb = NULL;
	int rc = -1;

	phase(j, PYDIST_RECORD, j->prefix);
	if (!describe) {
		fail(j, "record failed: pyweld carries no describe.py (a broken build of pyweld)");
		goto out;
	}
	/* The interpreter runs from the work directory: CPython finds its
	 * prefix from its own location, so it works before the final rename. */
	int st = util_run_capture(ARGV(python, "-I", "-c", (const char *)describe->data), NULL, &out, NULL);
	if (st != 0 || !(desc = json_loads(out ? out : "", 0, &jerr))) {
		fail(j, "record failed: the new interpreter '%s' did not run (status %d)", python, st);
		goto out;
	}
	logf_(j, "%s", out);
	json_t *failed = json_object_get(desc, "import_failed");
	if (json_object_size(failed) > 0) {
		const char *name;
		json_t *why;
		json_object_foreach(failed, name, why) {
			fail(j, "record failed: the new interpreter cannot import '%s': %s", name,
			     json_string_value(why));
			goto out;
		}
	}
	if (json_integer_value(json_object_get(desc, "pip_status")) != 0) {
		fail(j, "record failed: the new interpreter cannot run pip: %s",
		     json_string_value(json_object_get(desc, "pip_error")));
		goto out;
	}
	if (linkdb_open(&ldb, db, 0) < 0) {
		fail(j, "record failed: %s", linkdb_errmsg(ldb));
		goto out;
	}
	{
		const char *pip = json_string_value(json_object_get(desc, "pip"));
		char *at = pip ? strstr(pip, j->work) : NULL;
		if (at) {
			char *fixed = xasprintf("%.*s%s%s", (int)(at - pip), pip, j->final,
			                        at + strlen(j->work));
			json_object_set_new(desc, "pip", json_string(fixed));
			free(fixed);
		}
	}

	size_t i;
	json_t *m;
	const char *dynload = json_string_value(json_object_get(desc, "dynload"));
	json_array_foreach(json_object_get(desc, "modules"), i, m) {
		const char *name = json_string_value(json_array_get(m, 0));
		const char *file = json_string_value(json_array_get(m, 1));
		char *path = util_path_join(dynload, file);
		char hex[LINKDB_HASH_HEX + 1], err[1024];
		int64_t link = 0;
		struct itg_ext e = { 0 };
		struct itg_libset libs;
		bool copyleft = false;

		if (linkdb_hash_file(path, hex) < 0 || linkdb_find_link_by_output(ldb, hex, &link) != 1) {
			fail(j, "record failed: no recorded link produced '%s' (was it built "
			     "through the wrappers?)", path);
			free(path);
			goto out;
		}
		free(path);
		e.name = xstrdup(name);
		if (itg_ext_from_link(ldb, link, &e, err, sizeof(err)) < 0) {
			fail(j, "record failed: '%s': %s", file, err);
			itg_ext_free(&e);
			goto out;
		}
		if (itg_resolve_libs(strvec_cargv(&e.libs), e.libs.n,
		                     strvec_cargv(&e.libdirs), e.libdirs.n,
		                     &libs, err, sizeof(err)) < 0) {
			fail(j, "record failed: %s", err);
			itg_ext_free(&e);
			goto out;
		}
		json_t *jl = json_array(), *dyn = json_array();
		for (size_t k = 0; k < libs.n; k++) {
			const struct itg_lib *l = &libs.libs[k];
			json_array_append_new(jl, json_pack("{s:s, s:s?, s:s, s:b, s:b}",
			                      "name", l->name, "archive", l->archive,
			                      "licence", l->licence, "copyleft", l->copyleft,
			                      "libc", l->libc));
			copyleft |= l->copyleft;
			if (!l->archive && !l->libc) {
				json_array_append_new(dyn, json_string(l->name));
				json_array_append_new(missing, json_pack("{s:s, s:s}", "module", name,
				                      "library", l->name));
			}
		}
		json_array_append_new(modules, json_pack(
			"{s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:b}",
			"name", name, "file", file, "link", (json_int_t)link, "init", e.init,
			"so_sha256", hex, "objects", strvec_json(&e.object_names),
			"archives", json_integer((json_int_t)e.archives.n),
			"libs", jl, "dynamic_libs", dyn, "copyleft", copyleft));
		itg_libset_free(&libs);
		itg_ext_free(&e);
	}

	char *final_prefix = util_path_join(j->final, "prefix");
	char *libpython = util_path_join(j->prefix, "lib/libpython3.11.a");
	char libhex[LINKDB_HASH_HEX + 1] = "";
	linkdb_hash_file(libpython, libhex);
	json_t *src = json_pack("{s:s, s:s, s:s, s:s?, s:i, s:o}",
	                        "kind", j->kind == SRC_TREE ? "tree" : j->kind == SRC_TARBALL
	                        ? "tarball" : "debian-source-package",
	                        "path", j->source, "sha256", j->identity,
	                        "debian_version", j->deb_version, "debian_patches", j->deb_patches,
	                        "pyweld_adjustments", strvec_json(&j->adjustments));
	doc = json_pack("{s:s, s:s, s:O, s:O, s:s, s:s, s:s, s:s, s:O, s:O, s:O, s:O, s:o, s:o, s:{s:s, s:s}, s:o, s:o}",
	                "recipe", PYDIST_RECIPE,
	                "key", j->key,
	                "python_version", json_object_get(desc, "version"),
	                "soabi", json_object_get(desc, "soabi"),
	                "prefix", final_prefix,
	                "readline", j->o->gnu_readline ? "GNU readline (GPL-3.0)" : "libedit (BSD-3-Clause)",
	                "pgo", j->o->no_pgo ? "no" : "yes",
	                "lto", j->o->no_lto ? "no" : "yes",
	                "ext_suffix", json_object_get(desc, "ext_suffix"),
	                "sysconfigdata", json_object_get(desc, "sysconfigdata"),
	                "builtins", json_object_get(desc, "builtins"),
	                "pip", json_object_get(desc, "pip"),
	                "source", src,
	                "configure", strvec_json(&j->configure_args),
	                "libpython", "path", "lib/libpython3.11.a", "sha256", libhex,
	                "modules", modules,
	                "missing_static", missing);
	modules = missing = NULL;
	data = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	struct linkdb_distribution d = {
		.python_version = json_string_value(json_object_get(desc, "version")),
		.abi = json_string_value(json_object_get(desc, "soabi")),
		.ext_suffix = json_string_value(json_object_get(desc, "ext_suffix")),
		.prefix = final_prefix,
		.libpython = libpython,
		.data = data,
	};
	if (linkdb_add_distribution(ldb, &d, NULL) < 0) {
		fail(j, "record failed: %s", linkdb_errmsg(ldb));
	} else {
		char *path = util_path_join(j->work, "distribution.json");
		if (util_write_atomic(path, data, strlen(data), 0644, true) < 0)
			fail(j, "record failed: cannot write '%s': %s", path, strerror(errno));
		else
			rc = 0;
		free(path);
	}
	free(final_prefix);
	free(libpython);
out:
	linkdb_close(ldb);
	json_decref(desc);
	json_decref(doc);
	json_decref(modules);
	json_decref(missing);
	free(data);
	free(out);
	free(python);
	free(db);
	return rc;
}

/* --- the cache ------------------------------------------------------------ */

static bool
complete(const char *dir)
{
	char *p = util_path_join(dir, "COMPLETE");
	bool yes = p && util_is_file(p);
	free(p);
	return yes;
}

/*
 * A build holds the lock (flock) of its work directory's lock file from
 * just after making the directory until it ends; the kernel drops the lock
 * when the process ends, however it ends.  So a work directory is stale
 * exactly when its lock can be taken: a pid would say nothing about a build
 * in another pid namespace or on another host sharing the cache.
 */
#define WORK_LOCK ".lock"

/* Removes the work directories of builds that are over.  One without a lock
 * file (an older pyweld's, or one being made) is left alone. */
static void
sweep_stale(struct job *j)
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
		lock = p ? util_path_join(p, WORK_LOCK) : NULL;
		/* read-write: over NFS an exclusive flock is a POSIX lock */
		fd = lock && lstat(p, &st) == 0 && S_ISDIR(st.st_mode)
		     ? open(lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC) : -1;
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
			logf_(j, "pyweld: removing '%s', left by a build that is over", p);
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
static int
make_work(struct job *j)
{
	char *fresh, *lock;
	int err;

	j->work = xasprintf("%s/.work-%s-XXXXXX", j->pydir, j->key);
	if (!mkdtemp(j->work)) {
		fail(j, "cannot create '%s': %s", j->work, strerror(errno));
		free(j->work);
		j->work = NULL;
		return -1;
	}
	chmod(j->work, 0755);   /* the distribution is readable, as the cache is */
	fresh = util_path_join(j->work, ".lock.new");
	lock = util_path_join(j->work, WORK_LOCK);
	j->lockfd = open(fresh, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (j->lockfd < 0 || flock(j->lockfd, LOCK_EX | LOCK_NB) < 0 || rename(fresh, lock) < 0) {
		err = errno;
		fail(j, "cannot lock the work directory '%s': %s", j->work, strerror(err));
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

static void
set_current(struct job *j)
{
	char *link = util_path_join(j->pydir, "current");

	if (util_symlink_atomic(j->key, link) == 0)
		util_fsync_dir(link);
	free(link);
}

static void
fill_result(struct job *j, struct pydist_result *res, const char *dir)
{
	res->dir = xstrdup(dir);
	res->prefix = util_path_join(dir, "prefix");
	res->python = util_path_join(dir, "prefix/bin/python3.11");
	res->db = util_path_join(dir, "dist.linkdb");
	res->log = util_path_join(dir, "build.log");
	(void)j;
}

int
pydist_build(const struct pydist_options *o, const struct pydist_progress *p,
             struct pydist_result *res, char *err, size_t errlen)
{
	struct job j = { .o = o, .p = p, .err = err, .errlen = errlen, .logfd = -1,
	                 .lockfd = -1 };
	double t0 = util_now();
	int rc = -1;

	memset(res, 0, sizeof(*res));
	err[0] = '\0';
	j.cache = pydist_cache_root(o->cache, true, err, errlen, NULL, 0);
	if (!j.cache)
		goto out;
	j.pydir = util_path_join(j.cache, "python");
	if (util_mkdir_p(j.pydir, 0755) < 0) {
		fail(&j, "cannot create the cache '%s': %s", j.pydir, strerror(errno));
		goto out;
	}
	/* A log for the fetch, before the key (and work directory) is known. */
	j.log = util_path_join(j.pydir, "fetch.log");
	j.logfd = open(j.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (identify(&j) < 0)
		goto out;
	make_key(&j);
	j.final = util_path_join(j.pydir, j.key);
	if (!o->force && complete(j.final)) {
		fill_result(&j, res, j.final);
		res->cached = true;
		res->seconds = util_now() - t0;
		set_current(&j);
		rc = 0;
		goto out;
	}
	sweep_stale(&j);
	if (make_work(&j) < 0)
		goto out;
	/* From here the log lives in the work directory. */
	if (j.logfd >= 0)
		close(j.logfd);
	free(j.log);
	j.log = util_path_join(j.work, "build.log");
	j.logfd = open(j.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (j.logfd < 0) {
		fail(&j, "cannot write the log '%s': %s", j.log, strerror(errno));
		goto out;
	}
	logf_(&j, "pyweld: building CPython from %s (key %s)", j.source, j.key);
	j.src = util_path_join(j.work, "src");
	j.build = util_path_join(j.work, "build");
	j.destdir = util_path_join(j.work, "destdir");
	j.prefix = util_path_join(j.work, "prefix");

	char jobs[32];
	jobs_flag(&j, jobs, sizeof(jobs));
	if (unpack(&j) < 0 || prepare(&j) < 0 || configure_make_install(&j) < 0 ||
	    (!o->no_lto && lto_libpython(&j) < 0) || freeze_stdlib(&j, jobs) < 0 ||
	    record(&j) < 0)
		goto failed;

	if (!o->keep_build) {
		util_remove_tree(j.src);
		util_remove_tree(j.build);
	}
	util_remove_tree(j.destdir);
	logf_(&j, "pyweld: built in %.0f s", util_now() - t0);
	{
		/* Everything on disk before the marker that says it is: after a
		 * power failure a COMPLETE distribution is a whole one. */
		int wfd = open(j.work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (wfd < 0 || syncfs(wfd) < 0) {
			fail(&j, "cannot sync '%s' to disk: %s", j.work, strerror(errno));
			if (wfd >= 0)
				close(wfd);
			goto failed;
		}
		close(wfd);
		char *marker = util_path_join(j.work, "COMPLETE");
		if (util_write_atomic(marker, j.key, strlen(j.key), 0644, true) < 0) {
			fail(&j, "cannot write '%s': %s", marker, strerror(errno));
			free(marker);
			goto failed;
		}
		free(marker);
	}
	if (rename(j.work, j.final) < 0) {
		if (complete(j.final)) {
			/* Another build of the same inputs finished first: use it. */
			util_remove_tree(j.work);
		} else {
			util_remove_tree(j.final);
			if (rename(j.work, j.final) < 0) {
				fail(&j, "cannot move '%s' to '%s': %s", j.work, j.final, strerror(errno));
				goto failed;
			}
		}
	}
	util_fsync_dir(j.final);
	{
		char *lock = util_path_join(j.final, WORK_LOCK);
		unlink(lock);
		free(lock);
	}
	set_current(&j);
	fill_result(&j, res, j.final);
	res->seconds = util_now() - t0;
	rc = 0;
	goto out;

failed:
	/* Keep the log where the user can read it; drop the half-built tree.
	 * The tree goes first (a full disk is a common cause), and the log is
	 * renamed, which needs no space. */
	if (j.work && j.log) {
		char *kept = xasprintf("%s/%s.failed.log", j.pydir, j.key);
		if (!o->keep_build) {
			util_remove_tree(j.src);
			util_remove_tree(j.build);
			util_remove_tree(j.destdir);
			util_remove_tree(j.prefix);
		}
		if (rename(j.log, kept) == 0) {
			free(j.log);
			j.log = kept;
		} else {
			free(kept);
		}
		if (!o->keep_build)
			util_remove_tree(j.work);
		if (!o->keep_build && !util_is_file(j.log)) {
			free(j.log);
			j.log = NULL;
		}
	}
	res->log = j.log ? xstrdup(j.log) : NULL;
out:
	if (j.logfd >= 0)
		close(j.logfd);
	if (j.lockfd >= 0)
		close(j.lockfd);     /* the build is over: its directory is gone or final */
	free(j.cache); free(j.pydir); free(j.source); free(j.final); free(j.work);
	free(j.src); free(j.build); free(j.destdir); free(j.prefix); free(j.log);
	free(j.py_version); free(j.deb_version);
	strvec_free(&j.adjustments);
	strvec_free(&j.configure_args);
	return rc;
}

void
pydist_result_free(struct pydist_result *res)
{
	free(res->dir);
	free(res->prefix);
	free(res->python);
	free(res->db);
	free(res->log);
	memset(res, 0, sizeof(*res));
}

char *
pydist_find(const char *dir, const char *cache, char *err, size_t errlen)
{
	char *root = NULL, *d;

	if (dir) {
		d = util_abspath(dir);
	} else {
		root = pydist_cache_root(cache, false, err, errlen, NULL, 0);
		if (!root)
			return NULL;
		char *link = xasprintf("%s/python/current", root);
		d = realpath(link, NULL);
		free(link);
		if (!d) {
			snprintf(err, errlen, "no distribution built yet in '%s/python'", root);
			free(root);
			return NULL;
		}
	}
	if (!complete(d)) {
		snprintf(err, errlen, "'%s' is not a complete pyweld distribution (no COMPLETE "
		         "marker)", d);
		free(d);
		free(root);
		return NULL;
	}
	free(root);
	return d;
}

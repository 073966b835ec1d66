/*
 * source.c: CPython's source for a distribution build: Debian's python3.X
 * source package fetched with apt-get through pyweld's own apt
 * configuration (the newest version the archive can give), or the .dsc,
 * tarball or tree the user names; identified (its kind, its version, one of
 * 3.11 to 3.14, the hash that enters the cache key), a .dsc's files checked
 * against its checksums, and unpacked into the work directory.
 * Invariant: the user's source is never written to (a tree is copied), and
 * the system's apt configuration is neither read nor changed.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The versions pyweld builds, and the suites of Debian's source archive
 * that serve each (newest first in the order apt is asked; every listed
 * version is tried, newest first, whatever its suite).
 */
static const struct {
	const char *version;
	const char *suites;     /* "" when no suite serves it */
} versions[] = {
	{ "3.11", "bookworm bookworm-updates bookworm-security" },
	{ "3.12", "" },
	{ "3.13", "trixie trixie-updates trixie-security sid" },
	{ "3.14", "forky sid" },
};

bool
pydist_version_known(const char *version, bool with_debian)
{
	for (size_t i = 0; i < countof(versions); i++)
		if (version && !strcmp(versions[i].version, version))
			return !with_debian || versions[i].suites[0];
	return false;
}

static const char *
suites_of(const char *version)
{
	for (size_t i = 0; i < countof(versions); i++)
		if (!strcmp(versions[i].version, version))
			return versions[i].suites;
	return "";
}

/* "3.13.5" or "3.13.0a1" → "3.13" into out; false when not "3.N...". */
static bool
minor_of(const char *full, char *out, size_t len)
{
	const char *dot = full && util_starts_with(full, "3.") ? strchr(full + 2, '.') : NULL;
	size_t n = dot ? (size_t)(dot - full) : full ? strspn(full + 2, "0123456789") + 2 : 0;

	if (!full || n <= 2 || n >= len || strspn(full + 2, "0123456789") != n - 2)
		return false;
	memcpy(out, full, n);
	out[n] = '\0';
	return true;
}

/* "python3.13_3.13.5-2+deb13u5.dsc" → "3.13.5-2+deb13u5"; versions as they are. */
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

/* The newest python<version>_*.dsc already in dir (malloc'd path) or NULL. */
static char *
find_dsc(const char *dir, const char *version)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *best = NULL, *prefix = xasprintf("python%s_", version);
	struct strvec found = { 0 };

	if (!d) {
		free(prefix);
		return NULL;
	}
	while ((e = readdir(d)))
		if (util_starts_with(e->d_name, prefix) && util_ends_with(e->d_name, ".dsc"))
			strvec_push(&found, e->d_name);
	closedir(d);
	if (found.n) {
		qsort(found.v, found.n, sizeof(char *), newest_first);
		best = util_path_join(dir, found.v[0]);
	}
	strvec_free(&found);
	free(prefix);
	return best;
}

/*
 * apt's configuration for pyweld's own look-ups, in <cache>/apt: a
 * sources.list of deb-src lines only (the suites of every version pyweld
 * builds), and lists and caches of its own, so that the system's apt
 * configuration is neither read nor changed and no binary package of a
 * newer suite can ever reach the host (docs/distribution.md, "Source").
 * Appends apt's -o options to args; 0, or -1 with the message set.
 */
static int
private_apt(struct pydist_job *j, struct strvec *args)
{
	char *apt = util_path_join(j->cache, "apt");
	char *list = util_path_join(apt, "sources.list");
	char *parts = util_path_join(apt, "sources.list.d");
	char *lists = util_path_join(apt, "lists");
	char *partial = util_path_join(lists, "partial");
	char *cache = util_path_join(apt, "cache");
	char *archives = util_path_join(cache, "archives/partial");
	struct strbuf text = { 0 };
	int rc = 0;

	strbuf_adds(&text, "# written by pyweld: CPython's source packages, never a binary\n");
	for (size_t i = 0; i < countof(versions); i++) {
		char *all = xstrdup(versions[i].suites), *save = NULL, *suite;
		for (suite = strtok_r(all, " ", &save); suite; suite = strtok_r(NULL, " ", &save)) {
			char line[256];
			snprintf(line, sizeof(line), "deb-src [signed-by=/usr/share/keyrings/"
			         "debian-archive-keyring.gpg] http://deb.debian.org/debian%s %s main\n",
			         util_ends_with(suite, "-security") ? "-security" : "", suite);
			if (!strstr(text.s, line))
				strbuf_adds(&text, line);
		}
		free(all);
	}
	if (text.failed)
		util_fatal("out of memory");
	if (util_mkdir_p(parts, 0755) < 0 || util_mkdir_p(partial, 0755) < 0 ||
	    util_mkdir_p(archives, 0755) < 0 ||
	    util_write_atomic(list, text.s, text.len, 0644, false) < 0)
		rc = pydist_fail(j, "fetch source failed: cannot write apt's configuration in '%s': "
		                 "%s", apt, strerror(errno));
	strvec_pushf(args, "-oDir::Etc::sourcelist=%s", list);
	strvec_pushf(args, "-oDir::Etc::sourceparts=%s", parts);
	strvec_pushf(args, "-oDir::State::Lists=%s", lists);
	strvec_pushf(args, "-oDir::Cache=%s", cache);
	/* apt's download sandbox user cannot enter a private home directory. */
	if (geteuid() == 0)
		strvec_push(args, "-oAPT::Sandbox::User=root");
	strbuf_free(&text);
	free(apt); free(list); free(parts); free(lists); free(partial); free(cache);
	free(archives);
	return rc;
}

/* Runs apt-get or apt-cache (tool) with pyweld's configuration and then
 * args; the output in *out when out is given, else in the log. */
static int
run_apt(struct pydist_job *j, const char *tool, const struct strvec *conf,
        const char *const args[], const char *cwd, char **out)
{
	struct strvec av = { 0 };
	int rc;

	strvec_push(&av, tool);
	for (size_t i = 0; i < conf->n; i++)
		strvec_push(&av, conf->v[i]);
	for (; *args; args++)
		strvec_push(&av, *args);
	rc = out ? util_run_capture(strvec_cargv(&av), NULL, out, NULL)
	         : util_run_logged(strvec_cargv(&av), NULL, cwd, j->logfd, NULL, NULL);
	strvec_free(&av);
	return rc;
}

/* Fetches Debian's python<version> source package into cache/downloads/debian. */
static int
fetch_debian(struct pydist_job *j)
{
	char *dir = util_path_join(j->cache, "downloads/debian"), *out = NULL;
	char *package = xasprintf("python%s", j->pyver);
	char what[96];
	struct strvec found = { 0 }, conf = { 0 };
	char *save = NULL, *line;
	int rc = -1;

	snprintf(what, sizeof(what), "Debian's %s source package", package);
	pydist_phase_start(j, PYDIST_FETCH, what);
	if (!pydist_version_known(j->pyver, true)) {
		pydist_fail(j, "fetch source failed: no suite of Debian's archive serves CPython %s; "
		            "give its source with --source (an upstream tarball or a tree)", j->pyver);
		goto out;
	}
	if (util_mkdir_p(dir, 0755) < 0) {
		pydist_fail(j, "fetch source failed: cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	if ((j->source = find_dsc(dir, j->pyver))) {
		pydist_log(j, "using the source package already downloaded: %s", j->source);
		rc = 0;
		goto out;
	}
	if (!util_which("apt-get", NULL, NULL)) {
		pydist_fail(j, "fetch source failed: no apt-get on this machine to fetch CPython's "
		            "source; give one with --source (a %s .dsc, a Python-%s.x tarball or a "
		            "source tree)", package, j->pyver);
		goto out;
	}
	if (private_apt(j, &conf) < 0)
		goto out;
	pydist_log(j, "pyweld: apt-get update of pyweld's own deb-src lists (%s)", suites_of(j->pyver));
	if (run_apt(j, "apt-get", &conf, ARGV("-q", "update"), NULL, NULL) != 0) {
		pydist_fail(j, "fetch source failed: apt-get update of pyweld's source lists failed "
		            "(see '%s'); give a source with --source", j->log);
		goto out;
	}
	rc = run_apt(j, "apt-cache", &conf, ARGV("showsrc", package), NULL, &out);
	for (line = out ? strtok_r(out, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		if (util_starts_with(line, "Version: "))
			strvec_push(&found, line + 9);
	if (rc != 0 || found.n == 0) {
		pydist_fail(j, "fetch source failed: Debian's archive (%s) lists no source package "
		            "%s; give a source with --source", suites_of(j->pyver), package);
		rc = -1;
		goto out;
	}
	qsort(found.v, found.n, sizeof(char *), newest_first);
	/* The newest may be listed but not downloadable (a mirror that moved
	 * on, or one that serves part of the archive): try each in turn. */
	for (size_t i = 0; i < found.n && !j->source; i++) {
		char *spec = xasprintf("%s=%s", package, found.v[i]);
		pydist_log(j, "trying %s", spec);
		rc = run_apt(j, "apt-get", &conf, ARGV("-q", "source", "--download-only", spec), dir,
		             NULL);
		free(spec);
		if (rc == 0)
			j->source = find_dsc(dir, j->pyver);
	}
	rc = 0;
	if (!j->source)
		rc = pydist_fail(j, "fetch source failed: apt-get source could not download any of "
		                 "the %zu versions of %s Debian's archive lists (see '%s'); give a "
		                 "source with --source", found.n, package, j->log);
out:
	free(dir);
	free(out);
	free(package);
	strvec_free(&found);
	strvec_free(&conf);
	return rc;
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
verify_dsc(struct pydist_job *j)
{
	char *text = NULL, *save = NULL, *line, *dir = util_dirname(j->source);
	bool in = false;
	int files = 0, rc = 0;

	if (util_read_file(j->source, &text, NULL) < 0) {
		free(dir);
		return pydist_fail(j, "cannot read '%s': %s", j->source, strerror(errno));
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
			rc = pydist_fail(j, "cannot use '%s': '%s', which it names, is missing (%s)",
			                 j->source, path, strerror(errno));
		else if ((unsigned long long)st.st_size != size)
			rc = pydist_fail(j, "cannot use '%s': '%s' has %llu bytes, not the %llu its "
			                 ".dsc lists (truncated or another file)", j->source, path,
			                 (unsigned long long)st.st_size, size);
		else if (linkdb_hash_file(path, now) < 0 || strcmp(now, hex) != 0)
			rc = pydist_fail(j, "cannot use '%s': '%s' does not have the SHA-256 its .dsc "
			                 "lists", j->source, path);
		free(path);
	}
	if (rc == 0 && files == 0)
		rc = pydist_fail(j, "cannot use '%s': not a Debian source description (no "
		                 "Checksums-Sha256 list)", j->source);
	free(text);
	free(dir);
	return rc;
}

/* The string of '#define NAME "..."' in a C header's text (malloc'd), or NULL:
 * NAME whole (PY_VERSION, not PY_VERSION_HEX), its quoted value on its line. */
static char *
define_in(const char *text, const char *name)
{
	const char *p = text, *q = NULL;
	char pat[128];
	size_t n;

	n = (size_t)snprintf(pat, sizeof(pat), "#define %s", name);
	while ((p = strstr(p, pat)) && p[n] != ' ' && p[n] != '\t')
		p += n;
	p = p ? p + n + strspn(p + n, " \t") : NULL;
	if (p && *p == '"')
		q = strchr(p + 1, '"');
	if (!q || memchr(p, '\n', (size_t)(q - p)))
		return NULL;
	return strndup(p + 1, (size_t)(q - p - 1));
}

static void
on_text_line(void *ctx, const char *line)
{
	strbuf_adds(ctx, line);
	strbuf_addc(ctx, '\n');
}

/*
 * The CPython version of a .dsc ("Source: python3.13"), a tarball (its
 * Include/patchlevel.h, read without unpacking) or a tree, as "3.13.5" or
 * "3.13" (malloc'd), or NULL when it says none.
 */
static char *
source_version(struct pydist_job *j)
{
	char *text = NULL, *v = NULL;

	switch (j->kind) {
	case PYDIST_SRC_DSC:
	case PYDIST_SRC_DEBIAN:
		if (util_read_file(j->source, &text, NULL) == 0) {
			char *at = strstr(text, "\nSource: python");
			if (at) {
				at += strlen("\nSource: python");
				v = strndup(at, strcspn(at, "\n \t"));
			}
		}
		break;
	case PYDIST_SRC_TARBALL: {
		/* tar's complaints (a damaged file) are dropped here: check_tarball
		 * says what is wrong when the file is unpacked. */
		struct strbuf out = { 0 };
		if (util_run_logged(ARGV("tar", "-xOf", j->source, "--wildcards",
		                         "--no-wildcards-match-slash", "*/Include/patchlevel.h"),
		                    NULL, NULL, -1, on_text_line, &out) == 0 && out.s)
			v = define_in(out.s, "PY_VERSION");
		strbuf_free(&out);
		break;
	}
	case PYDIST_SRC_TREE: {
		char *p = util_path_join(j->source, "Include/patchlevel.h");
		v = pydist_read_define(p, "PY_VERSION");
		free(p);
		break;
	}
	}
	free(text);
	return v;
}

/* The version of the source into j->pyver: the one asked for, and one
 * pyweld builds. */
static int
check_version(struct pydist_job *j)
{
	char *full = source_version(j);
	char minor[8];
	int rc = 0;

	if (!full || !minor_of(full, minor, sizeof(minor))) {
		/* A tarball's is read again, and checked, once it is unpacked:
		 * one that tar cannot read, or that is not CPython's, fails there
		 * with its own message, and --python's version or the default
		 * names the build until then. */
		if (j->kind == PYDIST_SRC_TARBALL) {
			free(full);
			return 0;
		}
		rc = pydist_fail(j, "cannot use the source '%s': it names no CPython version",
		                 j->o->source);
	} else if (!pydist_version_known(minor, false)) {
		rc = pydist_fail(j, "cannot use '%s': it is CPython %s; pyweld embeds CPython 3.11, "
		                 "3.12, 3.13 or 3.14", j->o->source, full);
	} else if (j->o->version && strcmp(j->o->version, minor) != 0) {
		rc = pydist_fail(j, "cannot use '%s': it is CPython %s, not the %s asked for "
		                 "(--python)", j->o->source, full, j->o->version);
	} else {
		snprintf(j->pyver, sizeof(j->pyver), "%s", minor);
	}
	free(full);
	return rc;
}

/* Decides what the source is and hashes it. */
int
pydist_identify(struct pydist_job *j)
{
	struct stat st;

	if (j->o->version && !pydist_version_known(j->o->version, false))
		return pydist_fail(j, "cannot build CPython '%s': pyweld builds 3.11, 3.12 (from "
		                   "--source), 3.13 and 3.14", j->o->version);
	if (!j->o->source) {
		j->kind = PYDIST_SRC_DEBIAN;
		snprintf(j->pyver, sizeof(j->pyver), "%s",
		         j->o->version ? j->o->version : PYDIST_DEFAULT_VERSION);
		if (fetch_debian(j) < 0)
			return -1;
	} else {
		j->source = util_abspath(j->o->source);
		pydist_phase_start(j, PYDIST_FETCH, j->source);
		if (stat(j->source, &st) < 0)
			return pydist_fail(j, "cannot use the source '%s': %s", j->o->source, strerror(errno));
		if (S_ISDIR(st.st_mode))
			j->kind = PYDIST_SRC_TREE;
		else if (util_ends_with(j->source, ".dsc"))
			j->kind = PYDIST_SRC_DSC;
		else
			j->kind = PYDIST_SRC_TARBALL;
	}
	if (j->kind == PYDIST_SRC_DEBIAN)
		j->kind = PYDIST_SRC_DSC;
	if (j->kind == PYDIST_SRC_TREE) {
		char *p = util_path_join(j->source, "Include/patchlevel.h");
		bool ok = util_is_file(p);
		free(p);
		if (!ok)
			return pydist_fail(j, "cannot use the source '%s': not a CPython source tree (no "
			                   "Include/patchlevel.h)", j->o->source);
	}
	if (j->o->source && check_version(j) < 0)
		return -1;
	if (!j->pyver[0])       /* a tarball without a readable version */
		snprintf(j->pyver, sizeof(j->pyver), "%s",
		         j->o->version ? j->o->version : PYDIST_DEFAULT_VERSION);
	if (j->kind == PYDIST_SRC_DSC && verify_dsc(j) < 0)
		return -1;
	if (j->kind == PYDIST_SRC_TREE) {
		struct strbuf acc = { 0 };
		hash_tree(j->source, "", &acc);
		if (acc.failed)
			return pydist_fail(j, "out of memory");
		linkdb_hash_buffer(acc.s ? acc.s : "", acc.len, j->identity);
		strbuf_free(&acc);
	} else if (linkdb_hash_file(j->source, j->identity) < 0) {
		return pydist_fail(j, "cannot read the source '%s': %s", j->source, strerror(errno));
	}
	return 0;
}

char *
pydist_prefix_path(const struct pydist_job *j, const char *rel)
{
	struct strbuf b = { 0 };

	strbuf_adds(&b, j->prefix);
	strbuf_addc(&b, '/');
	for (const char *c = rel; *c; c++) {
		if (c[0] == '%' && c[1] == 'V') {
			strbuf_adds(&b, j->pyver);
			c++;
		} else {
			strbuf_addc(&b, *c);
		}
	}
	if (b.failed)
		util_fatal("out of memory");
	return strbuf_detach(&b);
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
check_tarball(struct pydist_job *j)
{
	struct listing l = { 0 };
	/* tar's complaints about a damaged file go to the log, not the terminal. */
	int rc = util_run_logged(ARGV("tar", "-tf", j->source), NULL, NULL, -1, on_listing, &l);
	bool patchlevel = l.patchlevel, configure = l.configure;

	if (rc != 0)
		return pydist_fail(j, "cannot unpack '%s': tar cannot read it (truncated, damaged or "
		                   "not a tarball)", j->source);
	if (!patchlevel || !configure)
		return pydist_fail(j, "cannot use '%s': not a CPython source tarball (it has no "
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

int
pydist_unpack(struct pydist_job *j)
{
	pydist_phase_start(j, PYDIST_UNPACK, j->source);
	switch (j->kind) {
	case PYDIST_SRC_DSC:
	case PYDIST_SRC_DEBIAN: {
		/* Checksums are verified (pydist_identify() did too); a signature that
		 * cannot be checked without Debian's keyring only warns. */
		int rc = pydist_step(j, ARGV("dpkg-source", "-x", j->source, j->src), NULL, j->work);
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
	case PYDIST_SRC_TARBALL: {
		char *tmp = util_path_join(j->work, "unpack"), *top;
		if (check_tarball(j) < 0 || util_mkdir_p(tmp, 0755) < 0 ||
		    pydist_step(j, ARGV("tar", "-xf", j->source, "-C", tmp), NULL, NULL) < 0) {
			free(tmp);
			if (!j->err[0])
				pydist_fail(j, "cannot unpack '%s': %s", j->source, strerror(errno));
			return -1;
		}
		top = only_subdir(tmp);
		if (!top || rename(top, j->src) < 0) {
			free(tmp);
			free(top);
			return pydist_fail(j, "cannot use '%s': it does not unpack to one directory",
			                   j->source);
		}
		free(top);
		rmdir(tmp);
		free(tmp);
		return 0;
	}
	case PYDIST_SRC_TREE: {
		/* A copy: the build writes into its source tree (Lib/__pycache__),
		 * and the user's tree stays as it was. */
		char *from = xasprintf("%s/.", j->source);
		int rc = util_mkdir_p(j->src, 0755) < 0 ? -1 :
		         pydist_step(j, ARGV("cp", "-a", from, j->src), NULL, NULL);
		free(from);
		return rc;
	}
	}
	return -1;
}

char *
pydist_read_define(const char *file, const char *name)
{
	char *text, *v;

	if (util_read_file(file, &text, NULL) < 0)
		return NULL;
	v = define_in(text, name);
	free(text);
	return v;
}

/*
 * source.c: CPython's source for a distribution build: Debian's python3.11
 * source package fetched with apt-get (the newest version the archive can
 * give), or the .dsc, tarball or tree the user names; identified (its kind,
 * its version 3.11, the hash that enters the cache key), a .dsc's files
 * checked against its checksums, and unpacked into the work directory.
 * Invariant: the user's source is never written to (a tree is copied).
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
fetch_debian(struct pydist_job *j)
{
	char *dir = util_path_join(j->cache, "downloads/debian"), *out = NULL;
	struct strvec versions = { 0 };
	char *save = NULL, *line;
	int rc;

	pydist_phase_start(j, PYDIST_FETCH, "Debian's python3.11 source package");
	if (util_mkdir_p(dir, 0755) < 0) {
		pydist_fail(j, "fetch source failed: cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	if ((j->source = find_dsc(dir))) {
		pydist_log(j, "using the source package already downloaded: %s", j->source);
		rc = 0;
		goto done;
	}
	if (!util_which("apt-get", NULL, NULL)) {
		pydist_fail(j, "fetch source failed: no apt-get on this machine to fetch CPython's "
		            "source; give one with --source (a python3.11 .dsc, a Python-3.11.x "
		            "tarball or a source tree)");
		goto out;
	}
	rc = util_run_capture(ARGV("apt-cache", "showsrc", "python3.11"), NULL, &out, NULL);
	for (line = out ? strtok_r(out, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		if (util_starts_with(line, "Version: "))
			strvec_push(&versions, line + 9);
	if (rc != 0 || versions.n == 0) {
		pydist_fail(j, "fetch source failed: apt knows no source package python3.11; add a "
		            "deb-src entry for bookworm (pyweld's .ci/setup does) and run apt-get "
		            "update, or give a source with --source");
		goto out;
	}
	qsort(versions.v, versions.n, sizeof(char *), newest_first);
	/* The newest may be listed but not downloadable (a security mirror that
	 * moved on): try each in turn. */
	for (size_t i = 0; i < versions.n; i++) {
		char *spec = xasprintf("python3.11=%s", versions.v[i]);
		pydist_log(j, "trying %s", spec);
		rc = util_run_logged(ARGV("apt-get", "source", "--download-only", spec), NULL, dir,
		                     j->logfd, NULL, NULL);
		free(spec);
		if (rc == 0 && (j->source = find_dsc(dir)))
			break;
	}
	if (!j->source) {
		pydist_fail(j, "fetch source failed: apt-get source could not download any version of "
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

/* Decides what the source is and hashes it. */
int
pydist_identify(struct pydist_job *j)
{
	struct stat st;

	if (!j->o->source) {
		j->kind = PYDIST_SRC_DEBIAN;
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
	if (j->kind == PYDIST_SRC_DSC && verify_dsc(j) < 0)
		return -1;
	if (j->kind == PYDIST_SRC_TREE) {
		struct strbuf acc = { 0 };
		char *p = util_path_join(j->source, "Include/patchlevel.h");
		bool ok = util_is_file(p);
		char *version = ok ? pydist_read_define(p, "PY_VERSION") : NULL;
		free(p);
		if (!ok)
			return pydist_fail(j, "cannot use the source '%s': not a CPython source tree (no "
			                   "Include/patchlevel.h)", j->o->source);
		if (!version || !util_starts_with(version, "3.11.")) {
			pydist_fail(j, "cannot use '%s': it is CPython %s; pyweld embeds CPython 3.11",
			            j->o->source, version ? version : "of an unknown version");
			free(version);
			return -1;
		}
		free(version);
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

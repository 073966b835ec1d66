/*
 * patch.c: changing the unpacked source tree: Debian's patches reversed,
 * pyweld's own patches applied (pydist/patches/<version>/, carried
 * inside pyweld) and replacements of text.  Each change is all or nothing: a
 * patch is checked with --dry-run, exact context, before it touches a
 * file; a set of replacements is checked before the file is written.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Extracts the part of a patch that touches one file. */
char *
pydist_patch_part(const char *patch, const char *file)
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
int
pydist_reverse_patch(struct pydist_job *j, const char *patch_file, const char *why)
{
	if (util_run_logged(ARGV("patch", "-R", "-p1", "--dry-run", "-s", "-f", "-i", patch_file),
	                    NULL, j->src, j->logfd, NULL, NULL) != 0) {
		pydist_log(j, "pyweld: %s does not reverse cleanly; left as it is", patch_file);
		return 0;
	}
	if (pydist_step(j, ARGV("patch", "-R", "-p1", "-s", "-f", "-i", patch_file), NULL, j->src) < 0)
		return -1;
	strvec_push(&j->adjustments, why);
	return 0;
}

/*
 * Applies every edit to the source's file rel, or none: 1 when done, 0 when
 * some `old` is not there (a tree pyweld does not know: logged, left as it
 * is, since what these edits change is speed), -1 on an error.
 */
int
pydist_edit_source(struct pydist_job *j, const char *rel, const struct pydist_source_edit *e,
                   size_t n)
{
	char *path = util_path_join(j->src, rel), *text = NULL;
	int rc = 1;

	if (util_read_file(path, &text, NULL) < 0) {
		pydist_log(j, "pyweld: cannot read %s (%s); left as it is", rel, strerror(errno));
		rc = 0;
	}
	for (size_t i = 0; rc == 1 && i < n; i++) {
		char *at = strstr(text, e[i].old);
		if (!at) {
			pydist_log(j, "pyweld: %s has no \"%.60s\"; left as it is", rel, e[i].old);
			rc = 0;
			break;
		}
		char *fixed = xasprintf("%.*s%s%s", (int)(at - text), text, e[i].new,
		                        at + strlen(e[i].old));
		free(text);
		text = fixed;
	}
	if (rc == 1 && util_write_atomic(path, text, strlen(text), 0644, false) < 0)
		rc = pydist_fail(j, "unpack failed: cannot write '%s': %s", path, strerror(errno));
	free(text);
	free(path);
	return rc;
}

/*
 * Writes pyweld's patch `name` (pydist/patches/<version>/, carried inside pyweld)
 * to work/patches/name: the path (malloc'd), or NULL with err set.
 */
static char *
patch_path(struct pydist_job *j, const char *name)
{
	const struct embedded_file *f = pydist_patch_file(j, name);
	char *dir = util_path_join(j->work, "patches");
	char *path = util_path_join(dir, name);
	bool ok = false;

	if (!f)
		pydist_fail(j, "unpack failed: pyweld carries no %s for CPython %s (a broken build "
		            "of pyweld)", name, j->pyver);
	else if (util_mkdir_p(dir, 0755) < 0 ||
	         util_write_atomic(path, f->data, f->size, 0644, false) < 0)
		pydist_fail(j, "unpack failed: cannot write '%s': %s", path, strerror(errno));
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
patch_targets(const struct pydist_job *j, const char *name)
{
	const struct embedded_file *f = pydist_patch_file(j, name);
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
 * pyweld does not know, or a version pyweld has no such patch for: logged,
 * naming the patch and its files), -1 on an error.  Nothing in the tree
 * changes.
 */
int
pydist_patch_applies(struct pydist_job *j, const char *name)
{
	char *path;
	int rc;

	/* A change pyweld makes to some versions only (docs/distribution.md
	 * says which, and why not to the others). */
	if (!pydist_patch_file(j, name)) {
		pydist_log(j, "pyweld: no %s for CPython %s; left as it is", name, j->pyver);
		return 0;
	}
	path = patch_path(j, name);
	if (!path)
		return -1;
	rc = util_run_logged(ARGV("patch", "-p1", "--dry-run", "-s", "-f", "--fuzz=0",
	                          "--no-backup-if-mismatch", "-i", path),
	                     NULL, j->src, j->logfd, NULL, NULL);
	free(path);
	if (rc < 0)
		return pydist_fail(j, "unpack failed: cannot run 'patch': %s", strerror(errno));
	if (rc != 0) {
		char *files = patch_targets(j, name);
		pydist_log(j, "pyweld: the patch %s does not apply to %s; left as it is", name, files);
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
int
pydist_apply_patch(struct pydist_job *j, const char *name)
{
	int rc = pydist_patch_applies(j, name);
	char *path;

	if (rc != 1)
		return rc;
	path = patch_path(j, name);
	if (!path)
		return -1;
	if (pydist_step(j, ARGV("patch", "-p1", "-s", "-f", "--fuzz=0", "--no-backup-if-mismatch",
	                 "-i", path), NULL, j->src) < 0) {
		char *files = patch_targets(j, name);
		pydist_fail(j, "unpack failed: pyweld's patch %s did not apply to %s, though its dry "
		            "run did (see '%s')", name, files, j->log);
		free(files);
		rc = -1;
	}
	free(path);
	return rc;
}

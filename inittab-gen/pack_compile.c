/*
 * pack_compile.c: the packed modules compiled by the distribution's own
 * interpreter.
 *
 * compile_blob.py reads a list of (path in tracebacks, file) pairs, both
 * NUL-terminated since a path may hold a tab or a newline, and writes for
 * each module its status, the length of its code, compile_blob.py's key of
 * it and the marshalled code; the output is read back with every length
 * checked against what is left.  A module that is not Python 3.11 becomes
 * a resource, as zipimport would keep it.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"

int
itg__pack_compile(struct itg_packer *p)
{
	char *list = util_path_join(p->o->workdir, "compile.list");
	char *out = util_path_join(p->o->workdir, "compile.out");
	struct strbuf sb = { 0 };
	char *data = NULL;
	size_t len = 0, pos = 0;
	int rc;

	/* NUL-terminated: a path may hold a tab or a newline (a work directory's). */
	for (size_t i = 0; i < p->n; i++)
		if (p->items[i].kind == RT_BLOB_MODULE && p->items[i].path) {
			strbuf_add(&sb, p->items[i].rel, strlen(p->items[i].rel) + 1);
			strbuf_add(&sb, p->items[i].path, strlen(p->items[i].path) + 1);
		}
	if (sb.failed || util_write_atomic(list, sb.s ? sb.s : "", sb.len, 0644, false) < 0) {
		strbuf_free(&sb);
		rc = itg__pack_fail(p, "cannot write '%s': %s", list, strerror(errno));
		goto out;
	}
	strbuf_free(&sb);
	char opt[8];
	snprintf(opt, sizeof(opt), "%d", p->o->optimize);
	rc = util_run((const char *const[]){ p->o->python, "-I", p->o->compile_script, list, out,
	                                     opt, p->o->code_cache, NULL }, NULL);
	if (rc != 0) {
		rc = itg__pack_fail(p, "compiling the modules with '%s' failed (status %d)", p->o->python, rc);
		goto out;
	}
	if (util_read_file(out, &data, &len) < 0) {
		rc = itg__pack_fail(p, "cannot read '%s': %s", out, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct itg_pack_item *it = &p->items[i];
		uint32_t status, n;
		if (it->kind != RT_BLOB_MODULE || !it->path)
			continue;
		if (len - pos < 8) {
			rc = itg__pack_fail(p, "the compiler's output '%s' is short", out);
			goto out;
		}
		memcpy(&status, data + pos, 4);
		memcpy(&n, data + pos + 4, 4);
		pos += 8;
		if (len - pos < sizeof(it->key) || len - pos - sizeof(it->key) < n) {
			rc = itg__pack_fail(p, "the compiler's output '%s' is short", out);
			goto out;
		}
		memcpy(it->key, data + pos, sizeof(it->key));
		pos += sizeof(it->key);
		if (status == 0) {
			it->code = xmalloc(n ? n : 1);
			memcpy(it->code, data + pos, n);
			it->code_len = n;
		} else {
			/* Not Python 3.11: kept as a file, as zipimport would. */
			strvec_push(&p->st->not_python, it->rel);
			free(it->name);
			it->name = it->rel;
			it->rel = NULL;
			it->kind = RT_BLOB_RESOURCE;
			it->flags = 0;
		}
		pos += n;
	}
	rc = 0;
out:
	free(data);
	free(list);
	free(out);
	return rc;
}

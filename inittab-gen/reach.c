/*
 * reach.c: pruning, the packed modules and extension modules the entry
 * point cannot reach left out of the blob and the link.
 *
 * reach.py, run by the distribution's interpreter over the compiled code
 * (its dis and marshal are the welded CPython's), follows the imports from
 * the roots: the entry point, what the runtime imports, the application's
 * extension modules, the modules of the packed distributions' entry
 * points, and what a --keep-module pattern (pcre2, matched here) names
 * (docs/weld.md, "Pruning").  Its input is one record per thing, each a
 * type byte and two length-prefixed fields (a module's name and marshalled
 * code, an extension's name and isolated object, ...), so that no name or
 * path can end a record early; its output the names reached, each
 * NUL-terminated.  A module not reached is dropped, and the resources of a
 * top-level package dropped whole; an extension module not reached is
 * listed for the pack step to leave out of the link.  Pruned or not, the
 * modules the entry point imports as the binary starts are told from the
 * others (lazy): only theirs is deep-frozen code worth linking.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blob.h"

/* One record of reach.py's input: type, name, data. */
static void
put_record(struct strbuf *sb, char type, const char *name, const void *data, size_t len)
{
	size_t nlen = strlen(name);
	unsigned char b[4];

	strbuf_addc(sb, type);
	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(nlen >> (8 * i));
	strbuf_add(sb, b, 4);
	strbuf_add(sb, name, nlen);
	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(len >> (8 * i));
	strbuf_add(sb, b, 4);
	strbuf_add(sb, data ? data : "", len);
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/* Whether a --keep-module pattern matches name. */
static bool
kept(pcre2_code *const *re, size_t n, pcre2_match_data *md, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (pcre2_match(re[i], (PCRE2_SPTR)name, strlen(name), 0, 0, md, NULL) >= 0)
			return true;
	return false;
}

/* reach.py's input: the packed modules, the extensions, the roots (what
 * the --keep-module patterns match among them too). */
static void
write_input(const struct itg_packer *p, pcre2_code *const *re, size_t nre,
            pcre2_match_data *md, struct strbuf *sb)
{
	const struct itg_pack_options *o = p->o;

	for (size_t i = 0; i < p->n; i++) {
		const struct itg_pack_item *it = &p->items[i];
		if (it->kind == RT_BLOB_MODULE) {
			put_record(sb, (it->flags & (RT_BLOB_PACKAGE | RT_BLOB_NAMESPACE)) ? 'P' : 'M',
			           it->name, it->code, it->code ? it->code_len : 0);
			if (kept(re, nre, md, it->name))
				put_record(sb, 'R', it->name, NULL, 0);
		} else if (it->kind == RT_BLOB_METADATA && it->path &&
		           ends_with(it->name, ".dist-info/entry_points.txt")) {
			put_record(sb, 'T', it->path, NULL, 0);
		}
	}
	for (size_t i = 0; i < o->nreach_exts; i++) {
		const char *name = o->reach_exts[i].name, *file = o->reach_exts[i].path;
		put_record(sb, 'X', name, file, file ? strlen(file) : 0);
		if (kept(re, nre, md, name))
			put_record(sb, 'R', name, NULL, 0);
	}
	for (size_t i = 0; i < o->nroots; i++)
		put_record(sb, 'R', o->roots[i], NULL, 0);
	for (size_t i = 0; i < o->nentries; i++)
		put_record(sb, 'E', o->entries[i], NULL, 0);
	for (size_t i = 0; i < o->nreach_files; i++)
		put_record(sb, 'F', o->reach_files[i], NULL, 0);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
reached(const struct strvec *names, const char *name)
{
	return names->n && bsearch(&name, names->v, names->n, sizeof(*names->v), cmp_str);
}

/* A file's size, or 0 when it cannot be had (the count is a report's). */
static uint64_t
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* Whether the top-level package that holds a resource ("email" of
 * "email/architecture.rst") was pruned, and with it everything under it.
 * A subpackage pruned under a package that was not may hold data that
 * package reads by path (pkg/assets/logo.png beside pkg/__init__.py). */
static bool
resource_pruned(const struct strvec *pruned, const char *rel)
{
	char *top = xstrdup(rel), *slash = strchr(top, '/');
	bool r = false;

	if (slash) {
		*slash = '\0';
		r = reached(pruned, top);
	}
	free(top);
	return r;
}

/* Drops the modules not reached and the resources of the top-level
 * packages among them. */
static void
drop_unreached(struct itg_packer *p, const struct strvec *names)
{
	struct itg_pack_stats *st = p->st;
	size_t o = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct itg_pack_item *it = &p->items[i];
		if (it->kind == RT_BLOB_MODULE && !reached(names, it->name)) {
			strvec_push(&st->pruned, it->name);
			st->pruned_bytes += it->code_len;
			if (it->path && p->o->source)
				st->pruned_bytes += file_size(it->path);
			itg__pack_item_free(it);
			continue;
		}
		p->items[o++] = *it;
	}
	p->n = o;
	o = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct itg_pack_item *it = &p->items[i];
		if (it->kind == RT_BLOB_RESOURCE && resource_pruned(&st->pruned, it->name)) {
			st->pruned_resources++;
			if (it->path)
				st->pruned_bytes += file_size(it->path);
			itg__pack_item_free(it);
			continue;
		}
		p->items[o++] = *it;
	}
	p->n = o;
	for (size_t i = 0; i < p->n; i++)
		p->items[i].seq = i;
}

/* Reads reach.py's list at path (names, each NUL-terminated) into names,
 * sorted; -1 when it cannot be read or is damaged. */
static int
read_names(struct itg_packer *p, const char *path, struct strvec *names)
{
	char *data = NULL;
	size_t len = 0;
	int rc = 0;

	if (util_read_file(path, &data, &len) < 0)
		return itg__pack_fail(p, "cannot read '%s': %s", path, strerror(errno));
	for (size_t at = 0; at < len; ) {
		const char *nul = memchr(data + at, '\0', len - at);
		if (!nul) {
			rc = itg__pack_fail(p, "the list of reached modules '%s' is damaged", path);
			break;
		}
		strvec_push(names, data + at);
		at = (size_t)(nul - data) + 1;
	}
	if (names->n)
		qsort(names->v, names->n, sizeof(*names->v), cmp_str);
	free(data);
	return rc;
}

int
itg__pack_reach(struct itg_packer *p)
{
	const struct itg_pack_options *o = p->o;
	char *in, *out, *start;
	struct strbuf sb = { 0 };
	struct strvec names = { 0 }, started = { 0 };
	size_t nre = 0;
	pcre2_code **re;
	pcre2_match_data *md = NULL;
	int rc = -1;

	if (!o->reach_script) {
		/* No entry point: python, whose start imports nothing from the
		 * blob on 3.11 (libpython's frozen modules serve it); 3.13's
		 * encodings come from the blob, their code kept uncompressed as
		 * the runtime's (plain_code), and 3.13 deep-freezes nothing. */
		for (size_t i = 0; i < p->n; i++)
			p->items[i].lazy = p->items[i].kind == RT_BLOB_MODULE;
		return 0;
	}
	in = util_path_join(o->workdir, "reach.in");
	out = util_path_join(o->workdir, "reach.out");
	start = util_path_join(o->workdir, "reach.start");
	re = xcalloc(o->nkeep_modules + 1, sizeof(*re));
	for (size_t i = 0; i < o->nkeep_modules; i++) {
		int code;
		PCRE2_SIZE at;
		re[i] = pcre2_compile((PCRE2_SPTR)o->keep_modules[i], PCRE2_ZERO_TERMINATED, 0,
		                      &code, &at, NULL);
		if (!re[i]) {
			PCRE2_UCHAR why[256];
			pcre2_get_error_message(code, why, sizeof(why));
			rc = itg__pack_fail(p, "bad --keep-module pattern '%s': %s at offset %zu\n"
			                    "hint: a pcre2 pattern over dotted module names: "
			                    "--keep-module '^plugins\\.'", o->keep_modules[i],
			                    (const char *)why, (size_t)at);
			goto out;
		}
		nre++;
	}
	md = pcre2_match_data_create(1, NULL);
	if (!md) {
		rc = itg__pack_fail(p, "out of memory");
		goto out;
	}
	write_input(p, re, nre, md, &sb);
	if (sb.failed || util_write_atomic(in, sb.s ? sb.s : "", sb.len, 0644, false) < 0) {
		rc = itg__pack_fail(p, "cannot write '%s': %s", in, strerror(errno));
		goto out;
	}
	rc = util_run((const char *const[]){ o->python, "-I", o->reach_script, in, out, start,
	                                     NULL }, NULL);
	if (rc != 0) {
		rc = itg__pack_fail(p, "finding the modules the entry point reaches with '%s' "
		                    "failed (status %d)", o->python, rc);
		goto out;
	}
	if ((rc = read_names(p, out, &names)) < 0 || (rc = read_names(p, start, &started)) < 0)
		goto out;
	if (o->prune)
		drop_unreached(p, &names);
	for (size_t i = 0; i < p->n; i++)
		p->items[i].lazy = p->items[i].kind == RT_BLOB_MODULE &&
		                   !reached(&started, p->items[i].name);
	for (size_t i = 0; o->prune && i < o->nreach_exts; i++)
		if (!reached(&names, o->reach_exts[i].name))
			strvec_push(&p->st->pruned_exts, o->reach_exts[i].name);
	rc = names.failed || started.failed || p->st->pruned.failed || p->st->pruned_exts.failed
	     ? itg__pack_fail(p, "out of memory") : 0;
out:
	for (size_t i = 0; i < nre; i++)
		pcre2_code_free(re[i]);
	free(re);
	pcre2_match_data_free(md);
	strbuf_free(&sb);
	strvec_free(&names);
	strvec_free(&started);
	free(in);
	free(out);
	free(start);
	return rc;
}

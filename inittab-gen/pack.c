/*
 * pack.c: the module blob of a welded binary (format: runtime/blob.h).
 *
 * What goes in:
 *   - the standard library of the distribution, minus what the filters
 *     leave out (test suites, idlelib, tkinter, turtledemo by default:
 *     leftout.c);
 *   - every file of the distributions installed for the application, from
 *     their RECORD: .py files as modules, .dist-info files as metadata,
 *     everything else as package resources (extension modules are welded
 *     in, not packed);
 *   - extra modules (the entry point, the runtime's Python helper).
 * Filters are pcre2 patterns over dotted module names and over resource
 * paths.  Modules are compiled by the distribution's own interpreter
 * (compile_blob.py); a .py file that is not Python 3.11 (a template, a
 * Python 2 file in a test tree) is kept as a resource.  Package
 * directories without __init__.py become namespace packages.
 *
 * The packer's steps, in itg_pack's order: the filters and the tree
 * (pack_tree.c), the items sorted with the first of two twins kept and the
 * namespace packages added (here), the pre-flight scan (preflight.c), the
 * compile (pack_compile.c), what the entry point does not reach pruned
 * (reach.c), the deep-frozen modules matched (frozen.c), the
 * blob written (here): index sorted by kind and name, then names, then the
 * payloads, each with its CRC-32C; a module's source zlib-compressed when
 * the options ask and that makes it smaller (only tracebacks, inspect and
 * reads by path inflate it, in the binary), and likewise the code of a
 * module the binary does not import as it starts (inflated as it is
 * imported).
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "blob.h"

int
itg__pack_fail(struct itg_packer *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

struct itg_pack_item *
itg__pack_add(struct itg_packer *p, unsigned kind, unsigned flags, char *name, char *path, char *rel)
{
	struct itg_pack_item *it;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 1024;
		p->items = xreallocarray(p->items, p->cap, sizeof(*p->items));
	}
	it = &p->items[p->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->flags = flags;
	it->name = name;
	it->path = path;
	it->rel = rel;
	it->seq = p->n - 1;
	return it;
}

static int
cmp_item(const void *a, const void *b)
{
	const struct itg_pack_item *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name);
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	c = memcmp(x->name, y->name, lx < ly ? lx : ly);
	if (c)
		return c;
	if (lx != ly)
		return (lx > ly) - (lx < ly);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

void
itg__pack_item_free(struct itg_pack_item *it)
{
	free(it->name);
	free(it->path);
	free(it->rel);
	free(it->code);
}

/*
 * Sorts by (kind, name) and keeps the first of twins: the standard
 * library's copy wins over an installed one, as on sys.path, and a real
 * package over a namespace guessed for it.
 */
static void
sort_unique(struct itg_packer *p)
{
	size_t o = 0;

	qsort(p->items, p->n, sizeof(*p->items), cmp_item);
	for (size_t i = 0; i < p->n; i++) {
		if (o > 0 && p->items[o - 1].kind == p->items[i].kind &&
		    !strcmp(p->items[o - 1].name, p->items[i].name)) {
			if (!(p->items[i].flags & RT_BLOB_NAMESPACE))
				p->st->duplicates++;
			itg__pack_item_free(&p->items[i]);
			continue;
		}
		p->items[o++] = p->items[i];
	}
	p->n = o;
	for (size_t i = 0; i < p->n; i++)
		p->items[i].seq = i;
}

/* Every parent of a module that is not itself a module is a namespace
 * package (PEP 420: zope of zope.interface).  Items are sorted. */
static void
add_namespaces(struct itg_packer *p)
{
	size_t n = p->n;

	for (size_t i = 0; i < n; i++) {
		if (p->items[i].kind != RT_BLOB_MODULE)
			continue;
		char *name = xstrdup(p->items[i].name), *dot;
		while ((dot = strrchr(name, '.'))) {
			*dot = '\0';
			struct itg_pack_item key = { .kind = RT_BLOB_MODULE, .name = name, .seq = 0 };
			struct itg_pack_item *hit = NULL;
			/* The parent sorts before its children: search [0, i). */
			size_t lo = 0, hi = i;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				int c = cmp_item(&p->items[mid], &key);
				if (c < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < i && p->items[lo].kind == RT_BLOB_MODULE &&
			    !strcmp(p->items[lo].name, name))
				hit = &p->items[lo];
			if (hit)
				break;
			itg__pack_add(p, RT_BLOB_MODULE, RT_BLOB_NAMESPACE, xstrdup(name), NULL, NULL);
		}
		free(name);
	}
}

/* Little-endian writers. */
static void
put32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8),
	                       (unsigned char)(v >> 16), (unsigned char)(v >> 24) };
	strbuf_add(sb, b, 4);
}

static void
put64(struct strbuf *sb, uint64_t v)
{
	put32(sb, (uint32_t)v);
	put32(sb, (uint32_t)(v >> 32));
}

/* One index entry of the blob while its payloads are laid out: offsets
 * relative to the data area until the area's own offset is known. */
struct blob_entry {
	uint32_t name_off, flags, crc, first_len, second_len;
	uint64_t first_off, second_off;
};

/*
 * Appends n bytes at b to payload: compressed (zlib, level 9, after their
 * u32 size) when compress is set and that is smaller, else as they are;
 * *stored their size in the payload.  1 compressed, 0 as is, or -1 with
 * the packer's message.
 */
static int
add_maybe_compressed(struct itg_packer *p, struct strbuf *payload, const void *b, size_t n,
                     bool compress, uint32_t *stored)
{
	uLongf zlen = compressBound((uLong)n);
	unsigned char *z;
	int rc;

	if (compress && n > RT_BLOB_ZSOURCE_MIN) {
		z = xmalloc(zlen + 4);
		rc = compress2(z + 4, &zlen, (const Bytef *)b, (uLong)n, 9);
		if (rc != Z_OK) {
			free(z);
			return itg__pack_fail(p, "cannot compress a payload of %zu bytes: zlib "
			                      "error %d", n, rc);
		}
		if (zlen + 4 < n) {
			z[0] = (unsigned char)n;
			z[1] = (unsigned char)(n >> 8);
			z[2] = (unsigned char)(n >> 16);
			z[3] = (unsigned char)(n >> 24);
			strbuf_add(payload, (const char *)z, zlen + 4);
			*stored = (uint32_t)(zlen + 4);
			free(z);
			return 1;
		}
		free(z);
	}
	strbuf_add(payload, n ? b : "", n);
	*stored = (uint32_t)n;
	return 0;
}

/* Appends a module's source (flen bytes at file) to payload and flags e,
 * compressed when the options ask and that is smaller.  0, or -1. */
static int
add_source(struct itg_packer *p, struct blob_entry *e, struct strbuf *payload,
           const char *file, size_t flen)
{
	int rc = add_maybe_compressed(p, payload, file, flen, p->o->compress_sources,
	                              &e->second_len);

	if (rc < 0)
		return -1;
	e->flags |= RT_BLOB_SOURCE | (rc ? RT_BLOB_ZSOURCE : 0);
	p->st->sources_compressed += (size_t)rc;
	p->st->source_bytes += flen;
	p->st->source_stored += e->second_len;
	return 0;
}

/* Whether the options have module it's code compressed: not imported as
 * the binary starts (lazy), not one the runtime imports. */
static bool
compress_code(const struct itg_packer *p, const struct itg_pack_item *it)
{
	if (!p->o->compress_code)
		return false;
	for (size_t i = 0; i < p->o->nplain_code; i++)
		if (!strcmp(it->name, p->o->plain_code[i]))
			return false;
	return it->lazy;
}

/* Appends a module's marshalled code to payload and flags e, compressed
 * when compress_code says so and that is smaller.  0, or -1. */
static int
add_code(struct itg_packer *p, const struct itg_pack_item *it, struct blob_entry *e,
         struct strbuf *payload)
{
	int rc = add_maybe_compressed(p, payload, it->code, it->code_len,
	                              compress_code(p, it), &e->first_len);

	if (rc < 0)
		return -1;
	e->flags |= rc ? RT_BLOB_ZCODE : 0;
	p->st->code_compressed += (size_t)rc;
	p->st->code_bytes += it->code_len;
	p->st->code_stored += e->first_len;
	return 0;
}

/*
 * Appends item it's name to names and its payloads to payload (a module's
 * code, then its source when sources are kept; a resource's or metadata
 * file's bytes), filling e and the packer's counts.  0, or -1 with the
 * packer's message.
 */
static int
add_payload(struct itg_packer *p, const struct itg_pack_item *it, struct blob_entry *e,
            struct strbuf *names, struct strbuf *payload)
{
	char *file = NULL;
	size_t flen = 0, before = payload->len;

	e->name_off = (uint32_t)names->len;
	strbuf_add(names, it->name, strlen(it->name) + 1);
	e->flags = it->kind | it->flags;
	if (it->path && (it->kind != RT_BLOB_MODULE || p->o->source) &&
	    util_read_file(it->path, &file, &flen) < 0)
		return itg__pack_fail(p, "cannot read '%s': %s", it->path, strerror(errno));
	if (flen > UINT32_MAX || it->code_len > UINT32_MAX) {
		free(file);
		return itg__pack_fail(p, "'%s' is too large for the blob (4 GiB per file)", it->path);
	}
	e->first_off = payload->len;
	if (it->kind == RT_BLOB_MODULE) {
		/* A deep-frozen module's code is linked in as C data (frozen.c). */
		if (it->frozen) {
			e->flags |= RT_BLOB_FROZEN;
		} else if (add_code(p, it, e, payload) < 0) {
			free(file);
			return -1;
		}
		e->second_off = payload->len;
		if (file && p->o->source && add_source(p, e, payload, file, flen) < 0) {
			free(file);
			return -1;
		}
		p->st->modules += !(it->flags & RT_BLOB_NAMESPACE);
	} else {
		strbuf_add(payload, file ? file : "", flen);
		e->first_len = (uint32_t)flen;
		e->second_off = payload->len;
		if (it->kind == RT_BLOB_RESOURCE)
			p->st->resources++;
		else
			p->st->metadata++;
	}
	/* The payloads are contiguous: first then second. */
	e->crc = payload->failed ? 0 : rt_crc32c(0, payload->s ? payload->s + before : "",
	                                         payload->len - before);
	free(file);
	return 0;
}

/* The whole blob into out: header, index (entries' offsets made absolute),
 * names, padding to 16 bytes, payloads (runtime/blob.h). */
static void
assemble(const struct itg_packer *p, const struct blob_entry *e, const struct strbuf *names,
         const struct strbuf *payload, struct strbuf *out)
{
	struct strbuf index = { 0 };
	uint64_t index_off = RT_BLOB_HEADER_SIZE, names_off, data_off;

	names_off = index_off + (uint64_t)p->n * RT_BLOB_ENTRY_SIZE;
	data_off = names_off + names->len;
	data_off = (data_off + 15) & ~(uint64_t)15;
	for (size_t i = 0; i < p->n; i++) {
		put32(&index, e[i].name_off);
		put32(&index, (uint32_t)strlen(p->items[i].name));
		put32(&index, e[i].flags);
		put32(&index, e[i].crc);
		put64(&index, data_off + e[i].first_off);
		put32(&index, e[i].first_len);
		put32(&index, e[i].second_len);
		put64(&index, (e[i].flags & RT_BLOB_SOURCE) ? data_off + e[i].second_off : 0);
	}
	strbuf_add(out, RT_BLOB_MAGIC, 8);
	put32(out, RT_BLOB_VERSION);
	put32(out, RT_BLOB_HEADER_SIZE);
	put64(out, data_off + payload->len);
	put32(out, (uint32_t)p->n);
	put32(out, index.failed || names->failed ? 0 :
	      rt_crc32c(rt_crc32c(0, index.s ? index.s : "", index.len),
	                names->s ? names->s : "", names->len));
	put64(out, index_off);
	put64(out, names_off);
	put64(out, names->len);
	put64(out, data_off);
	strbuf_add(out, index.s ? index.s : "", index.len);
	strbuf_add(out, names->s ? names->s : "", names->len);
	while (out->len < data_off && !out->failed)
		strbuf_addc(out, '\0');
	strbuf_add(out, payload->s ? payload->s : "", payload->len);
	if (index.failed)
		out->failed = true;
	strbuf_free(&index);
}

static int
write_blob(struct itg_packer *p, const char *path)
{
	struct strbuf names = { 0 }, payload = { 0 }, out = { 0 };
	/* Payloads first, to know their offsets relative to the data area. */
	struct blob_entry *e = xcalloc(p->n + 1, sizeof(*e));
	int rc = -1;

	for (size_t i = 0; i < p->n; i++)
		if (add_payload(p, &p->items[i], &e[i], &names, &payload) < 0)
			goto out;
	assemble(p, e, &names, &payload, &out);
	if (out.failed || names.failed || payload.failed) {
		rc = itg__pack_fail(p, "out of memory");
		goto out;
	}
	p->st->bytes = out.len;
	if (util_write_atomic(path, out.s, out.len, 0644, false) < 0) {
		rc = itg__pack_fail(p, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(e);
	strbuf_free(&names);
	strbuf_free(&payload);
	strbuf_free(&out);
	return rc;
}

int
itg_pack(const struct itg_pack_options *o, const char *out, struct itg_pack_stats *st,
         char *err, size_t errlen)
{
	struct itg_packer p = { .o = o, .st = st, .err = err, .errlen = errlen };
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (itg__pack_filters(&p) < 0)
		goto out;
	if (o->stdlib && itg__pack_walk_stdlib(&p, o->stdlib, "") < 0)
		goto out;
	for (size_t i = 0; i < o->ndists; i++)
		if (itg__pack_add_dist(&p, o->site, o->dists[i]) < 0)
			goto out;
	for (size_t i = 0; i < o->nextra; i++) {
		/* Extra modules are never filtered: the application asked for them. */
		itg__pack_add(&p, RT_BLOB_MODULE, 0, xstrdup(o->extra[i].name),
		              xstrdup(o->extra[i].path), xasprintf("%s.py", o->extra[i].name));
	}
	/* The package of a welded extension may hold no Python at all
	 * (protobuf's google._upb holds only _message): a namespace package
	 * then, unless a real package of that name arrived first. */
	for (size_t i = 0; i < o->nkeep_packages; i++)
		itg__pack_add(&p, RT_BLOB_MODULE, RT_BLOB_NAMESPACE, xstrdup(o->keep_packages[i]),
		              NULL, NULL);
	sort_unique(&p);
	add_namespaces(&p);
	sort_unique(&p);
	for (size_t i = 0; i < p.n; i++)
		st->namespaces += p.items[i].kind == RT_BLOB_MODULE &&
		                  (p.items[i].flags & RT_BLOB_NAMESPACE);
	itg__preflight_scan(&p);
	if (itg__pack_compile(&p) < 0)
		goto out;
	sort_unique(&p);        /* a file kept as a resource may now meet its twin */
	if (itg__pack_reach(&p) < 0 || itg__match_frozen(&p) < 0 || write_blob(&p, out) < 0)
		goto out;
	rc = 0;
out:
	for (size_t i = 0; i < p.n; i++)
		itg__pack_item_free(&p.items[i]);
	free(p.items);
	itg__pack_filters_free(&p);
	return rc;
}

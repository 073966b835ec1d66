/*
 * blob.c: reading and checking the resource blob (format in blob.h).
 *
 * Compressed sources and code are inflated with zlib, whose functions are
 * declared weak here: a welded binary links libz only when its blob holds
 * a compressed payload (the weld keeps the zlib module then, whose link
 * names it), and any other binary must link without it.  Without zlib,
 * rt_blob_source and rt_blob_code say so (ENOSYS) instead of inflating.
 */
#include "blob.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#pragma weak inflateInit_
#pragma weak inflate
#pragma weak inflateEnd

/* --- CRC-32C ----------------------------------------------------------------- */

static uint32_t crc_table[256];

static void
crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
		crc_table[i] = c;
	}
}

static uint32_t
crc_soft(uint32_t crc, const unsigned char *p, size_t n)
{
	if (!crc_table[1])
		crc_init();
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t
crc_hw(uint32_t crc, const unsigned char *p, size_t n)
{
	uint64_t c = crc;

	while (n >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c = _mm_crc32_u64(c, v);
		p += 8;
		n -= 8;
	}
	crc = (uint32_t)c;
	while (n--)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}
#endif

uint32_t
rt_crc32c(uint32_t crc, const void *p, size_t n)
{
	crc = ~crc;
#if defined(__x86_64__) && defined(__GNUC__)
	static int hw = -1;
	if (hw < 0)
		hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	if (hw)
		return ~crc_hw(crc, p, n);
#endif
	return ~crc_soft(crc, p, n);
}

int
rt_blob_verify(const struct rt_blob_entry *e)
{
	uint32_t crc = rt_crc32c(0, e->data, e->data_len);

	if (e->source)
		crc = rt_crc32c(crc, e->source, e->source_len);
	return crc == e->crc ? 0 : -1;
}

static uint32_t
rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint32_t
rt_blob_source_size(const struct rt_blob_entry *e)
{
	if (!e->source)
		return 0;
	if ((e->flags & RT_BLOB_ZSOURCE) && e->source_len >= RT_BLOB_ZSOURCE_MIN)
		return rd32(e->source);
	return e->source_len;
}

/* How many sources rt_blob_source inflated. */
static unsigned long inflated;

/* zlib's inflation of the n bytes at in into exactly want bytes at out:
 * 0, or -1 (EIO) when the stream is damaged, shorter, longer or followed
 * by anything. */
static int
inflate_exact(const unsigned char *in, uint32_t n, unsigned char *out, uint32_t want)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK) {
		errno = ENOMEM;
		return -1;
	}
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = n;
	z.next_out = out;
	z.avail_out = want;
	rc = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (rc != Z_STREAM_END || z.avail_out != 0 || z.avail_in != 0) {
		errno = rc == Z_MEM_ERROR ? ENOMEM : EIO;
		return -1;
	}
	return 0;
}

/*
 * The n stored bytes at stored (zflag set: the u32 size, then the zlib
 * stream) into *out and *len, inflated into a buffer *owned holds when
 * compressed; one more in *count.  As rt_blob_source.
 */
static int
payload(const unsigned char *stored, uint32_t n, uint32_t zflag, const unsigned char **out,
        uint32_t *len, void **owned, unsigned long *count)
{
	uint32_t want;
	unsigned char *buf;

	*owned = NULL;
	*out = stored;
	*len = stored ? n : 0;
	if (!stored || !zflag)
		return 0;
	/* rt_blob_check held the payload to its smallest size; the writer
	 * compresses only what shrinks, and zlib shrinks at most 1032 to 1. */
	want = n >= RT_BLOB_ZSOURCE_MIN ? rd32(stored) : 0;
	if (n < RT_BLOB_ZSOURCE_MIN || want <= n || want / 1032 > n - 4) {
		errno = EIO;
		return -1;
	}
	if (!inflateInit_ || !inflate || !inflateEnd) {
		errno = ENOSYS;
		return -1;
	}
	buf = malloc(want);
	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	if (inflate_exact(stored + 4, n - 4, buf, want) < 0) {
		int saved = errno;
		free(buf);
		errno = saved;
		return -1;
	}
	__atomic_fetch_add(count, 1, __ATOMIC_RELAXED);
	*owned = buf;
	*out = buf;
	*len = want;
	return 0;
}

int
rt_blob_source(const struct rt_blob_entry *e, const unsigned char **src, uint32_t *len,
               void **owned)
{
	return payload(e->source, e->source_len, e->flags & RT_BLOB_ZSOURCE, src, len, owned,
	               &inflated);
}

/* How many code payloads rt_blob_code inflated. */
static unsigned long code_inflated;

int
rt_blob_code(const struct rt_blob_entry *e, const unsigned char **code, uint32_t *len,
             void **owned)
{
	return payload(e->data, e->data_len, e->flags & RT_BLOB_ZCODE, code, len, owned,
	               &code_inflated);
}

unsigned long
rt_blob_code_inflated(void)
{
	return __atomic_load_n(&code_inflated, __ATOMIC_RELAXED);
}

unsigned long
rt_blob_inflated(void)
{
	return __atomic_load_n(&inflated, __ATOMIC_RELAXED);
}

static uint64_t
rd64(const unsigned char *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* (kind, name) order: kind first, then the bytes, then the length. */
static int
cmp_key(unsigned ka, const char *na, size_t la, unsigned kb, const char *nb, size_t lb)
{
	int c;

	if (ka != kb)
		return ka < kb ? -1 : 1;
	c = memcmp(na, nb, la < lb ? la : lb);
	if (c)
		return c;
	return (la > lb) - (la < lb);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

#define U(x) ((unsigned long long)(x))

int
rt_blob_check(struct rt_blob *b, const void *data, uint64_t size, char *err,
              size_t errlen)
{
	const unsigned char *p = data;
	uint64_t index, names, names_size, payloads, cursor;
	uint32_t count, prev_kind = 0;
	const char *prev_name = NULL;
	uint32_t prev_len = 0;

	memset(b, 0, sizeof(*b));
	if (!data || size < RT_BLOB_HEADER_SIZE)
		return bad(err, errlen, "truncated: %llu bytes, a header needs %u", U(size),
		           RT_BLOB_HEADER_SIZE);
	if (memcmp(p, RT_BLOB_MAGIC, 8) != 0)
		return bad(err, errlen, "not a pyweld blob (bad magic)");
	if (rd32(p + 8) != RT_BLOB_VERSION)
		return bad(err, errlen, "blob version %u, this runtime reads %u",
		           rd32(p + 8), RT_BLOB_VERSION);
	if (rd32(p + 12) != RT_BLOB_HEADER_SIZE)
		return bad(err, errlen, "header size %u, expected %u", rd32(p + 12),
		           RT_BLOB_HEADER_SIZE);
	if (rd64(p + 16) != size)
		return bad(err, errlen, "size %llu recorded, %llu present (truncated or "
		           "padded)", U(rd64(p + 16)), U(size));
	count = rd32(p + 24);
	index = rd64(p + 32);
	names = rd64(p + 40);
	names_size = rd64(p + 48);
	payloads = rd64(p + 56);
	if (index < RT_BLOB_HEADER_SIZE || index > size ||
	    (uint64_t)count > (size - index) / RT_BLOB_ENTRY_SIZE)
		return bad(err, errlen, "index of %u entries at %llu is out of bounds",
		           count, U(index));
	/* The names follow the index exactly: the entry count, outside the
	 * index's checksum, is thereby held to it. */
	if (names != index + (uint64_t)count * RT_BLOB_ENTRY_SIZE || names > size ||
	    names_size > size - names)
		return bad(err, errlen, "names at %llu (%llu bytes) do not follow the index of "
		           "%u entries or leave the blob", U(names), U(names_size), count);
	if (payloads < names + names_size || payloads > size)
		return bad(err, errlen, "payloads at %llu overlap the names or leave the "
		           "blob (size %llu)", U(payloads), U(size));
	if (names_size > 0 && p[names + names_size - 1] != '\0')
		return bad(err, errlen, "the names are not NUL-terminated");
	if (rt_crc32c(0, p + index, names + names_size - index) != rd32(p + 28))
		return bad(err, errlen, "the index fails its checksum (altered or damaged)");

	b->base = p;
	b->size = size;
	b->count = count;
	b->index = p + index;
	b->names = (const char *)p + names;
	b->names_size = names_size;

	cursor = payloads;
	for (uint32_t i = 0; i < count; i++) {
		const unsigned char *e = b->index + (uint64_t)i * RT_BLOB_ENTRY_SIZE;
		uint32_t noff = rd32(e), nlen = rd32(e + 4), flags = rd32(e + 8);
		uint64_t aoff = rd64(e + 16), boff = rd64(e + 32);
		uint32_t alen = rd32(e + 24), blen = rd32(e + 28);
		unsigned kind = flags & RT_BLOB_KIND_MASK;

		if ((uint64_t)noff + nlen >= names_size || b->names[noff + nlen] != '\0' ||
		    memchr(b->names + noff, '\0', nlen) != NULL || nlen == 0)
			return bad(err, errlen, "entry %u: its name at %u is out of bounds", i, noff);
		if (kind < RT_BLOB_MODULE || kind > RT_BLOB_METADATA)
			return bad(err, errlen, "entry %u: unknown kind %u", i, kind);
		if (flags & ~(uint32_t)(RT_BLOB_KIND_MASK | RT_BLOB_PACKAGE | RT_BLOB_NAMESPACE |
		                        RT_BLOB_SOURCE | RT_BLOB_FROZEN | RT_BLOB_ZSOURCE |
		                        RT_BLOB_ZCODE))
			return bad(err, errlen, "entry %u: unknown flags %#x", i, flags);
		if ((flags & RT_BLOB_ZSOURCE) &&
		    (kind != RT_BLOB_MODULE || !(flags & RT_BLOB_SOURCE) ||
		     blen < RT_BLOB_ZSOURCE_MIN))
			return bad(err, errlen, "entry %u: a compressed source, but not a module's "
			           "source of at least %u bytes", i, RT_BLOB_ZSOURCE_MIN);
		if ((flags & RT_BLOB_ZCODE) &&
		    (kind != RT_BLOB_MODULE || (flags & (RT_BLOB_NAMESPACE | RT_BLOB_FROZEN)) ||
		     alen < RT_BLOB_ZSOURCE_MIN))
			return bad(err, errlen, "entry %u: compressed code, but not a module's code "
			           "of at least %u bytes", i, RT_BLOB_ZSOURCE_MIN);
		if ((flags & RT_BLOB_NAMESPACE) && (alen || (flags & RT_BLOB_SOURCE)))
			return bad(err, errlen, "entry %u: a namespace package with a payload", i);
		if ((flags & RT_BLOB_FROZEN) &&
		    (kind != RT_BLOB_MODULE || (flags & RT_BLOB_NAMESPACE) || alen))
			return bad(err, errlen, "entry %u: deep-frozen, but not a module without "
			           "code", i);
		if (prev_name && cmp_key(prev_kind, prev_name, prev_len, kind,
		                         b->names + noff, nlen) >= 0)
			return bad(err, errlen, "entry %u is not after entry %u (unsorted or "
			           "duplicate)", i, i - 1);
		if (aoff < cursor || aoff > size || alen > size - aoff)
			return bad(err, errlen, "entry %u: its payload at %llu overlaps another "
			           "or leaves the blob", i, U(aoff));
		cursor = aoff + alen;
		if (flags & RT_BLOB_SOURCE) {
			if (boff < cursor || boff > size || blen > size - boff)
				return bad(err, errlen, "entry %u: its source at %llu overlaps "
				           "another payload or leaves the blob", i, U(boff));
			cursor = boff + blen;
		} else if (blen != 0) {
			return bad(err, errlen, "entry %u: a source of %u bytes without the "
			           "source flag", i, blen);
		}
		prev_kind = kind;
		prev_name = b->names + noff;
		prev_len = nlen;
	}
	return 0;
}

void
rt_blob_get(const struct rt_blob *b, uint32_t i, struct rt_blob_entry *e)
{
	const unsigned char *x = b->index + (uint64_t)i * RT_BLOB_ENTRY_SIZE;

	e->name = b->names + rd32(x);
	e->name_len = rd32(x + 4);
	e->flags = rd32(x + 8);
	e->data = b->base + rd64(x + 16);
	e->data_len = rd32(x + 24);
	e->source_len = rd32(x + 28);
	e->source = (e->flags & RT_BLOB_SOURCE) ? b->base + rd64(x + 32) : NULL;
	e->crc = rd32(x + 12);
}

uint32_t
rt_blob_lower_bound(const struct rt_blob *b, unsigned kind, const char *name,
                    size_t len)
{
	uint32_t lo = 0, hi = b->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const unsigned char *x = b->index + (uint64_t)mid * RT_BLOB_ENTRY_SIZE;
		if (cmp_key(rd32(x + 8) & RT_BLOB_KIND_MASK, b->names + rd32(x), rd32(x + 4),
		            kind, name, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int64_t
rt_blob_find(const struct rt_blob *b, unsigned kind, const char *name, size_t len)
{
	uint32_t i = rt_blob_lower_bound(b, kind, name, len);
	const unsigned char *x;

	if (i >= b->count)
		return -1;
	x = b->index + (uint64_t)i * RT_BLOB_ENTRY_SIZE;
	if (cmp_key(rd32(x + 8) & RT_BLOB_KIND_MASK, b->names + rd32(x), rd32(x + 4), kind,
	            name, len) != 0)
		return -1;
	return i;
}

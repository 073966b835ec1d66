/*
 * test_blob_zsource: cmocka unit tests of compressed module sources in the
 * module blob (format version 4: runtime/blob.h's 0x100 flag, docs/blob.md).
 *
 * A small writer here lays out blobs of a few entries as inittab-gen/pack.c
 * does (test_blob.c has the full writer and the tests of everything else);
 * a compressed source is its u32 size then one zlib stream, and its
 * entry's checksum is over those stored bytes.  What is asserted:
 *   - a blob with a compressed and a plain source is accepted; the
 *     compressed one inflates to exactly the original bytes (a copy the
 *     caller frees, counted by rt_blob_inflated), the plain one is served
 *     in place; rt_blob_source_size gives the size a reader sees;
 *   - rt_blob_check refuses the flag on a resource, on metadata, without
 *     the source flag, and on a payload shorter than a size and an empty
 *     zlib stream, naming the entry and the compressed source;
 *   - a compressed source whose bytes are damaged fails its checksum
 *     (rt_blob_verify), so a reader never inflates it;
 *   - a compressed source with its checksum intact that still does not
 *     inflate to its recorded size (a size at or below the stored one, a
 *     size above or below what the stream yields, an absurd size, a
 *     broken stream, bytes after the stream) is EIO, never bytes;
 *   - a blob of version 3 is refused, naming both versions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "blob.h"

/* --- a small writer ---------------------------------------------------------- */

struct ze {
	unsigned flags;                 /* kind | RT_BLOB_* flags */
	const char *name;
	const unsigned char *src;       /* the second payload as stored */
	uint32_t src_len;
};

struct zblob {
	unsigned char *p;               /* exactly size bytes */
	size_t size;
	uint64_t index, src_off[4];
};

static void
put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Lays n (<= 4) entries out, sorted by the caller, modules without code. */
static void
make(struct zblob *t, const struct ze *e, uint32_t n)
{
	size_t names_size = 0, payload = 0, noff = 0, pos;
	uint64_t names, data;

	assert_true(n <= 4);
	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < n; i++) {
		names_size += strlen(e[i].name) + 1;
		payload += e[i].src_len;
	}
	t->index = RT_BLOB_HEADER_SIZE;
	names = t->index + (uint64_t)n * RT_BLOB_ENTRY_SIZE;
	data = (names + names_size + 15) & ~(uint64_t)15;
	t->size = (size_t)data + payload;
	t->p = calloc(1, t->size);
	assert_non_null(t->p);
	memcpy(t->p, RT_BLOB_MAGIC, 8);
	put32(t->p + 8, RT_BLOB_VERSION);
	put32(t->p + 12, RT_BLOB_HEADER_SIZE);
	put64(t->p + 16, t->size);
	put32(t->p + 24, n);
	put64(t->p + 32, t->index);
	put64(t->p + 40, names);
	put64(t->p + 48, names_size);
	put64(t->p + 56, data);
	pos = (size_t)data;
	for (uint32_t i = 0; i < n; i++) {
		unsigned char *x = t->p + t->index + (size_t)i * RT_BLOB_ENTRY_SIZE;
		size_t len = strlen(e[i].name);
		memcpy(t->p + names + noff, e[i].name, len + 1);
		put32(x, (uint32_t)noff);
		put32(x + 4, (uint32_t)len);
		put32(x + 8, e[i].flags);
		put64(x + 16, pos);
		put32(x + 24, 0);
		put32(x + 28, e[i].src_len);
		put64(x + 32, (e[i].flags & RT_BLOB_SOURCE) ? pos : 0);
		if (e[i].src_len)       /* an entry without a source has src NULL */
			memcpy(t->p + pos, e[i].src, e[i].src_len);
		t->src_off[i] = pos;
		/* pack.c's checksum: over the bytes stored */
		put32(x + 12, rt_crc32c(0, t->p + pos, e[i].src_len));
		pos += e[i].src_len;
		noff += len + 1;
	}
	put32(t->p + 28, rt_crc32c(0, t->p + t->index, (size_t)(names + names_size - t->index)));
}

/* raw as pack.c stores it compressed: its u32 size, then zlib at level 9,
 * into out (at least compressBound + 4 bytes); the stored size. */
static uint32_t
zstore(const char *raw, size_t n, unsigned char *out, size_t cap)
{
	uLongf zlen = cap - 4;

	assert_int_equal(compress2(out + 4, &zlen, (const Bytef *)raw, n, 9), Z_OK);
	put32(out, (uint32_t)n);
	assert_true(zlen + 4 < n);      /* the writer stores only what shrinks */
	return (uint32_t)(zlen + 4);
}

static char *
sample_source(size_t *n)
{
	static const char line[] = "def f(x):\n    return x * 2  # a comment\n";
	size_t reps = 200, len = reps * (sizeof(line) - 1);
	char *s = malloc(len + 1);

	assert_non_null(s);
	for (size_t i = 0; i < reps; i++)
		memcpy(s + i * (sizeof(line) - 1), line, sizeof(line) - 1);
	s[len] = '\0';
	*n = len;
	return s;
}

static void
check_ok(struct zblob *t, struct rt_blob *b)
{
	char err[256] = "";

	if (rt_blob_check(b, t->p, t->size, err, sizeof(err)) != 0)
		fail_msg("a valid blob refused: %s", err);
}

static void
refused(const char *what, struct zblob *t, const char *needle)
{
	struct rt_blob b;
	char err[256] = "";

	if (rt_blob_check(&b, t->p, t->size, err, sizeof(err)) != -1)
		fail_msg("%s: accepted, wanted a refusal", what);
	if (!strstr(err, needle) || !strstr(err, "entry 0"))
		fail_msg("%s: the message '%s' does not name entry 0 and '%s'", what, err, needle);
}

/* --- tests ----------------------------------------------------------------- */

static void
test_roundtrip(void **state)
{
	size_t n;
	char *raw = sample_source(&n);
	unsigned char *z = malloc(compressBound(n) + 4);
	uint32_t zn = zstore(raw, n, z, compressBound(n) + 4);
	static const unsigned char plain[] = "x = 1\n";
	struct ze e[] = {
		{ RT_BLOB_MODULE | RT_BLOB_SOURCE | RT_BLOB_ZSOURCE, "big", z, zn },
		{ RT_BLOB_MODULE | RT_BLOB_SOURCE, "small", plain, sizeof(plain) - 1 },
	};
	struct zblob t;
	struct rt_blob b;
	struct rt_blob_entry en;
	const unsigned char *src;
	uint32_t len;
	void *owned;
	unsigned long before = rt_blob_inflated();

	make(&t, e, 2);
	check_ok(&t, &b);
	rt_blob_get(&b, 0, &en);
	assert_int_equal(en.flags & RT_BLOB_ZSOURCE, RT_BLOB_ZSOURCE);
	assert_int_equal(en.source_len, zn);
	assert_int_equal(rt_blob_source_size(&en), n);
	assert_int_equal(rt_blob_verify(&en), 0);
	assert_int_equal(rt_blob_inflated(), before);   /* nothing read yet */
	assert_int_equal(rt_blob_source(&en, &src, &len, &owned), 0);
	assert_non_null(owned);
	assert_ptr_equal(src, owned);
	assert_int_equal(len, n);
	assert_memory_equal(src, raw, n);
	assert_int_equal(rt_blob_inflated(), before + 1);
	free(owned);

	rt_blob_get(&b, 1, &en);
	assert_int_equal(rt_blob_source_size(&en), sizeof(plain) - 1);
	assert_int_equal(rt_blob_source(&en, &src, &len, &owned), 0);
	assert_null(owned);
	assert_ptr_equal(src, en.source);               /* in place, not copied */
	assert_int_equal(len, sizeof(plain) - 1);
	assert_int_equal(rt_blob_inflated(), before + 1);
	free(t.p);
	free(z);
	free(raw);
}

static void
test_flag_rules(void **state)
{
	static const unsigned char twelve[12] = { 0 }, eleven[11] = { 0 };
	struct zblob t;
	struct ze e;

	e = (struct ze){ RT_BLOB_RESOURCE | RT_BLOB_ZSOURCE, "r.txt", NULL, 0 };
	make(&t, &e, 1);
	refused("a compressed resource", &t, "compressed source");
	free(t.p);
	e = (struct ze){ RT_BLOB_METADATA | RT_BLOB_ZSOURCE, "a.dist-info/METADATA", NULL, 0 };
	make(&t, &e, 1);
	refused("compressed metadata", &t, "compressed source");
	free(t.p);
	e = (struct ze){ RT_BLOB_MODULE | RT_BLOB_ZSOURCE, "m", NULL, 0 };
	make(&t, &e, 1);
	refused("compressed, but no source", &t, "compressed source");
	free(t.p);
	e = (struct ze){ RT_BLOB_MODULE | RT_BLOB_SOURCE | RT_BLOB_ZSOURCE, "m", eleven, 11 };
	make(&t, &e, 1);
	refused("a compressed source of 11 bytes", &t, "compressed source");
	free(t.p);
	/* The smallest one passes the structural check (its size is a
	 * reader's business). */
	e = (struct ze){ RT_BLOB_MODULE | RT_BLOB_SOURCE | RT_BLOB_ZSOURCE, "m", twelve, 12 };
	make(&t, &e, 1);
	struct rt_blob b;
	check_ok(&t, &b);
	free(t.p);
}

static void
test_damaged_fails_checksum(void **state)
{
	size_t n;
	char *raw = sample_source(&n);
	unsigned char *z = malloc(compressBound(n) + 4);
	uint32_t zn = zstore(raw, n, z, compressBound(n) + 4);
	struct ze e = { RT_BLOB_MODULE | RT_BLOB_SOURCE | RT_BLOB_ZSOURCE, "big", z, zn };
	struct zblob t;
	struct rt_blob b;
	struct rt_blob_entry en;

	for (uint32_t k = 0; k < zn; k += 7) {
		make(&t, &e, 1);
		t.p[t.src_off[0] + k] ^= 0x20;
		check_ok(&t, &b);               /* the index is intact */
		rt_blob_get(&b, 0, &en);
		if (rt_blob_verify(&en) != -1)
			fail_msg("byte %u of a compressed source flipped: its checksum passes", k);
		free(t.p);
	}
	free(z);
	free(raw);
}

/* A compressed source stored as the bytes at z (checksummed as they are):
 * rt_blob_source must fail with EIO, and give nothing to free. */
static void
inflates_badly(const char *what, const unsigned char *z, uint32_t zn)
{
	struct ze e = { RT_BLOB_MODULE | RT_BLOB_SOURCE | RT_BLOB_ZSOURCE, "m", z, zn };
	struct zblob t;
	struct rt_blob b;
	struct rt_blob_entry en;
	const unsigned char *src = NULL;
	uint32_t len = 0;
	void *owned = (void *)1;
	unsigned long before = rt_blob_inflated();

	make(&t, &e, 1);
	check_ok(&t, &b);
	rt_blob_get(&b, 0, &en);
	assert_int_equal(rt_blob_verify(&en), 0);
	errno = 0;
	if (rt_blob_source(&en, &src, &len, &owned) != -1)
		fail_msg("%s: inflated (%u bytes)", what, len);
	if (errno != EIO)
		fail_msg("%s: errno %d, wanted EIO", what, errno);
	assert_null(owned);
	assert_int_equal(rt_blob_inflated(), before);
	free(t.p);
}

static void
test_bad_streams(void **state)
{
	size_t n;
	char *raw = sample_source(&n);
	size_t cap = compressBound(n) + 64;
	unsigned char *z = malloc(cap), *w = malloc(cap);
	uint32_t zn = zstore(raw, n, z, cap);

	memcpy(w, z, zn);
	put32(w, zn);                   /* at the stored size: never written so */
	inflates_badly("a recorded size equal to the stored one", w, zn);
	put32(w, (uint32_t)n + 1);
	inflates_badly("a recorded size one above the stream's", w, zn);
	put32(w, (uint32_t)n - 1);
	inflates_badly("a recorded size one below the stream's", w, zn);
	put32(w, 0xFFFFFFF0u);
	inflates_badly("an absurd recorded size", w, zn);
	memcpy(w, z, zn);
	w[zn / 2] ^= 0x55;
	inflates_badly("a broken stream", w, zn);
	memcpy(w, z, zn);
	memcpy(w + zn, "tail", 4);
	inflates_badly("bytes after the stream", w, zn + 4);
	memcpy(w, z, zn);
	inflates_badly("a stream cut short", w, zn - 3);
	free(w);
	free(z);
	free(raw);
}

static void
test_version_3_refused(void **state)
{
	static const unsigned char plain[] = "x = 1\n";
	struct ze e = { RT_BLOB_MODULE | RT_BLOB_SOURCE, "m", plain, sizeof(plain) - 1 };
	struct zblob t;
	struct rt_blob b;
	char err[256] = "";

	make(&t, &e, 1);
	put32(t.p + 8, 3);
	assert_int_equal(rt_blob_check(&b, t.p, t.size, err, sizeof(err)), -1);
	if (!strstr(err, "version 3") || !strstr(err, "reads 4"))
		fail_msg("a version-3 blob: '%s' does not name both versions", err);
	free(t.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_flag_rules),
		cmocka_unit_test(test_damaged_fails_checksum),
		cmocka_unit_test(test_bad_streams),
		cmocka_unit_test(test_version_3_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

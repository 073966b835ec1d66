/*
 * test_blob_zcode: cmocka unit tests of compressed module code in the
 * module blob (runtime/blob.h's 0x200 flag, docs/blob.md).
 *
 * A small writer here lays out blobs of a few module entries with a first
 * payload (the code) as inittab-gen/pack.c does; compressed code is its
 * u32 size then one zlib stream, and the entry's checksum is over those
 * stored bytes.  What is asserted:
 *   - a blob with compressed and plain code is accepted; the compressed
 *     code inflates to exactly the original bytes (a copy the caller
 *     frees, counted by rt_blob_code_inflated, not by rt_blob_inflated),
 *     the plain code is served in place;
 *   - rt_blob_check refuses the flag on a resource, on metadata, on a
 *     namespace package, on a deep-frozen module and on a payload shorter
 *     than a size and an empty zlib stream (12 bytes are accepted),
 *     naming the entry and the compressed code;
 *   - compressed code whose bytes are damaged fails its checksum
 *     (rt_blob_verify), so the importer never inflates it;
 *   - compressed code with its checksum intact that does not inflate to
 *     its recorded size (at or below the stored size, above or below what
 *     the stream yields, a broken stream) is EIO, never bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "blob.h"

/* --- a small writer ---------------------------------------------------------- */

struct ce {
	unsigned flags;                 /* kind | RT_BLOB_* flags */
	const char *name;
	const unsigned char *code;      /* the first payload as stored */
	uint32_t code_len;
};

struct cblob {
	unsigned char *p;               /* exactly size bytes */
	size_t size;
	uint64_t index, code_off[4];
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

/* Lays n (<= 4) entries out, sorted by the caller, without sources. */
static void
make(struct cblob *t, const struct ce *e, uint32_t n)
{
	size_t names_size = 0, payload = 0, noff = 0, pos;
	uint64_t names, data;

	assert_true(n <= 4);
	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < n; i++) {
		names_size += strlen(e[i].name) + 1;
		payload += e[i].code_len;
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
		put32(x + 24, e[i].code_len);
		put32(x + 28, 0);
		put64(x + 32, 0);
		if (e[i].code_len)
			memcpy(t->p + pos, e[i].code, e[i].code_len);
		t->code_off[i] = pos;
		put32(x + 12, rt_crc32c(0, t->p + pos, e[i].code_len));
		pos += e[i].code_len;
		noff += len + 1;
	}
	put32(t->p + 28, rt_crc32c(0, t->p + t->index, (size_t)(names + names_size - t->index)));
}

/* Entry i's checksum recomputed over its (altered) payload, then the
 * index's over the index and names. */
static void
reseal(struct cblob *t, uint32_t i, uint32_t len)
{
	unsigned char *x = t->p + t->index + (size_t)i * RT_BLOB_ENTRY_SIZE;
	uint64_t names = 0, names_size = 0;

	put32(x + 12, rt_crc32c(0, t->p + t->code_off[i], len));
	for (int k = 0; k < 8; k++) {
		names |= (uint64_t)t->p[40 + k] << (8 * k);
		names_size |= (uint64_t)t->p[48 + k] << (8 * k);
	}
	put32(t->p + 28, rt_crc32c(0, t->p + t->index, (size_t)(names + names_size - t->index)));
}

/* raw as pack.c stores it compressed: its u32 size, then zlib at level 9. */
static uint32_t
zstore(const unsigned char *raw, size_t n, unsigned char *out, size_t cap)
{
	uLongf zlen = cap - 4;

	assert_int_equal(compress2(out + 4, &zlen, raw, n, 9), Z_OK);
	put32(out, (uint32_t)n);
	assert_true(zlen + 4 < n);
	return (uint32_t)(zlen + 4);
}

/* Bytes that look like marshalled code: repetitive, so zlib shrinks them. */
static unsigned char *
sample_code(size_t *n)
{
	size_t len = 4000;
	unsigned char *s = malloc(len);

	assert_non_null(s);
	for (size_t i = 0; i < len; i++)
		s[i] = (unsigned char)("\xe3\x00\x00\x00\x00\x00\x00\x00co_name\xfa"[i % 16]);
	*n = len;
	return s;
}

static void
check_ok(struct cblob *t, struct rt_blob *b)
{
	char err[256] = "";

	if (rt_blob_check(b, t->p, t->size, err, sizeof(err)) != 0)
		fail_msg("a valid blob refused: %s", err);
}

static void
refused(const char *what, struct cblob *t, const char *needle)
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
	unsigned char *raw = sample_code(&n), *z = malloc(compressBound(n) + 4);
	uint32_t zn = zstore(raw, n, z, compressBound(n) + 4);
	static const unsigned char plain[] = "\xe3plain code bytes";
	struct ce e[] = {
		{ RT_BLOB_MODULE | RT_BLOB_ZCODE, "big", z, zn },
		{ RT_BLOB_MODULE, "small", plain, sizeof(plain) - 1 },
	};
	struct cblob t;
	struct rt_blob b;
	struct rt_blob_entry en;
	const unsigned char *code;
	uint32_t len;
	void *owned;
	unsigned long before = rt_blob_code_inflated(), src_before = rt_blob_inflated();

	(void)state;
	make(&t, e, 2);
	check_ok(&t, &b);
	rt_blob_get(&b, 0, &en);
	assert_int_equal(en.flags & RT_BLOB_ZCODE, RT_BLOB_ZCODE);
	assert_int_equal(en.data_len, zn);
	assert_int_equal(rt_blob_verify(&en), 0);
	assert_int_equal(rt_blob_code(&en, &code, &len, &owned), 0);
	assert_non_null(owned);
	assert_ptr_equal(code, owned);
	assert_int_equal(len, n);
	assert_memory_equal(code, raw, n);
	free(owned);
	assert_int_equal(rt_blob_code_inflated(), before + 1);
	assert_int_equal(rt_blob_inflated(), src_before);

	rt_blob_get(&b, 1, &en);
	assert_int_equal(rt_blob_code(&en, &code, &len, &owned), 0);
	assert_null(owned);
	assert_ptr_equal(code, en.data);
	assert_int_equal(len, sizeof(plain) - 1);
	assert_int_equal(rt_blob_code_inflated(), before + 1);
	free(t.p);
	free(z);
	free(raw);
}

static void
test_flag_rules(void **state)
{
	static const unsigned char twelve[12] = { 0 }, eleven[11] = { 0 };
	struct cblob t;
	struct rt_blob b;
	struct ce e;

	(void)state;
	e = (struct ce){ RT_BLOB_RESOURCE | RT_BLOB_ZCODE, "r.txt", twelve, 12 };
	make(&t, &e, 1);
	refused("on a resource", &t, "compressed code");
	free(t.p);
	e = (struct ce){ RT_BLOB_METADATA | RT_BLOB_ZCODE, "a.dist-info/METADATA", twelve, 12 };
	make(&t, &e, 1);
	refused("on metadata", &t, "compressed code");
	free(t.p);
	e = (struct ce){ RT_BLOB_MODULE | RT_BLOB_NAMESPACE | RT_BLOB_PACKAGE | RT_BLOB_ZCODE,
	                 "ns", twelve, 12 };
	make(&t, &e, 1);
	refused("on a namespace package", &t, "compressed code");
	free(t.p);
	e = (struct ce){ RT_BLOB_MODULE | RT_BLOB_FROZEN | RT_BLOB_ZCODE, "m", NULL, 0 };
	make(&t, &e, 1);
	refused("on a deep-frozen module", &t, "compressed code");
	free(t.p);
	e = (struct ce){ RT_BLOB_MODULE | RT_BLOB_ZCODE, "m", eleven, 11 };
	make(&t, &e, 1);
	refused("on 11 bytes", &t, "compressed code");
	free(t.p);
	/* The smallest: a size and an empty stream's 8 bytes (inflating it is
	 * another matter). */
	e = (struct ce){ RT_BLOB_MODULE | RT_BLOB_ZCODE, "m", twelve, 12 };
	make(&t, &e, 1);
	check_ok(&t, &b);
	free(t.p);
}

static void
test_damage_fails_checksum(void **state)
{
	size_t n;
	unsigned char *raw = sample_code(&n), *z = malloc(compressBound(n) + 4);
	uint32_t zn = zstore(raw, n, z, compressBound(n) + 4);
	struct ce e = { RT_BLOB_MODULE | RT_BLOB_ZCODE, "m", z, zn };
	struct cblob t;
	struct rt_blob b;
	struct rt_blob_entry en;

	(void)state;
	make(&t, &e, 1);
	t.p[t.code_off[0] + zn / 2] ^= 0x10;
	check_ok(&t, &b);
	rt_blob_get(&b, 0, &en);
	assert_int_equal(rt_blob_verify(&en), -1);
	free(t.p);
	free(z);
	free(raw);
}

/* Entry 0 of t, its payload altered by the caller and resealed: rt_blob_code
 * fails with EIO and gives nothing. */
static void
inflates_to_eio(const char *what, struct cblob *t, uint32_t len)
{
	struct rt_blob b;
	struct rt_blob_entry en;
	const unsigned char *code = (const unsigned char *)"x";
	uint32_t clen = 1;
	void *owned = (void *)1;
	unsigned long before = rt_blob_code_inflated();

	reseal(t, 0, len);
	check_ok(t, &b);
	rt_blob_get(&b, 0, &en);
	assert_int_equal(rt_blob_verify(&en), 0);
	errno = 0;
	if (rt_blob_code(&en, &code, &clen, &owned) != -1 || errno != EIO)
		fail_msg("%s: rt_blob_code gave %u bytes (errno %d), wanted EIO", what, clen, errno);
	assert_null(owned);
	assert_int_equal(rt_blob_code_inflated(), before);
}

static void
test_wrong_size_is_eio(void **state)
{
	size_t n;
	unsigned char *raw = sample_code(&n), *z = malloc(compressBound(n) + 4);
	uint32_t zn = zstore(raw, n, z, compressBound(n) + 4);
	struct ce e = { RT_BLOB_MODULE | RT_BLOB_ZCODE, "m", z, zn };
	struct cblob t;

	(void)state;
	static const uint32_t sizes[] = { 0, 1, 0 /* zn */, 0 /* n - 1 */, 0 /* n + 1 */ };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		uint32_t want = i == 2 ? zn : i == 3 ? (uint32_t)n - 1 : i == 4 ? (uint32_t)n + 1 :
		                sizes[i];
		make(&t, &e, 1);
		put32(t.p + t.code_off[0], want);
		inflates_to_eio("a wrong recorded size", &t, zn);
		free(t.p);
	}
	/* A broken stream under the right size. */
	make(&t, &e, 1);
	t.p[t.code_off[0] + zn / 2] ^= 0xff;
	inflates_to_eio("a broken stream", &t, zn);
	free(t.p);
	free(z);
	free(raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_flag_rules),
		cmocka_unit_test(test_damage_fails_checksum),
		cmocka_unit_test(test_wrong_size_is_eio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

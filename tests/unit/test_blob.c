/*
 * test_blob: cmocka unit tests of the module blob's reader (runtime/blob.c,
 * format in runtime/blob.h and docs/blob.md).
 *
 * A small writer here lays blobs out the way inittab-gen/pack.c does
 * (header, sorted index, names, payloads aligned to 16, in index order; the
 * CRC-32C of every entry's payloads and of the index and names areas, format
 * version 4, whose compressed sources test_blob_zsource.c tests) and
 * remembers where each field lies, so that a test can damage exactly one
 * thing.  A test that alters the index or the names to exercise
 * a structural check reseals the index checksum first (reseal()), so that
 * the structural check, not the checksum, is what refuses the blob; a
 * refusal that was not meant to be about the checksum must not mention it.
 * Every blob is handed to rt_blob_check in a buffer of exactly its size, so
 * that an AddressSanitizer build (build-asan) catches any read past the end.
 *
 * What is asserted:
 *   - rt_crc32c is CRC-32C (Castagnoli): the check value of "123456789" and
 *     RFC 3720's vectors, at every alignment and split, against a bitwise
 *     reference here;
 *   - the index checksum: any byte of the index or the names altered without
 *     resealing, or the recorded checksum itself altered, is refused with a
 *     message about the checksum;
 *   - payload checksums: rt_blob_verify accepts every intact entry (those
 *     without a payload too) and refuses exactly the entry one of whose code
 *     or source bytes was flipped, or whose recorded checksum was altered;
 *   - a namespace package with a payload (code, or the source flag) is
 *     refused;
 *   - a well-formed blob is accepted and read back: every entry's name,
 *     flags, payload and source; rt_blob_find of every entry and of names
 *     that are not there (wrong kind, prefixes, extensions, empty);
 *     rt_blob_lower_bound for prefix searches; an empty blob; a blob at an
 *     odd address;
 *   - a truncated blob is refused, at every length, and also when the
 *     recorded size is patched to match the cut;
 *   - overlapping areas and payloads (the index over the header, names over
 *     the index, payloads over names, one payload over another, a source
 *     over its own code, offsets that wrap around 2^64) are refused;
 *   - bad names, kinds, flags and order are refused;
 *   - garbage is refused, also behind a valid header prefix and a resealed
 *     index; any single-byte change of a valid blob is refused when it lies
 *     in the header, the index or the names, and otherwise leaves a blob
 *     whose every entry lies inside it and in which rt_blob_verify refuses
 *     the entry whose payload the byte belongs to; resealed after the
 *     change, it is either refused or still sound.  Two header fields are
 *     outside every checksum and tolerated here: the data offset (only a
 *     lower bound) and the entry count, which, lowered, is accepted and
 *     hides the last entries (a known gap of format versions 2 to 4);
 *   - each refusal carries a clear message: non-empty, NUL-terminated even
 *     in a tiny buffer, lower case, no full stop, naming what is wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"

/* --- a small writer ------------------------------------------------------- */

struct te {
	unsigned flags;                 /* kind | RT_BLOB_* flags */
	const char *name;
	const char *data;               /* NULL: no payload */
	uint32_t data_len;
	const char *src;                /* written when flags has RT_BLOB_SOURCE */
	uint32_t src_len;
};

#define TE(f, n, d, s) { (f), (n), (d), (uint32_t)((d) ? sizeof(d) - 1 : 0), (s), \
	                 (uint32_t)((s) ? sizeof(s) - 1 : 0) }

struct tblob {
	unsigned char *p;               /* exactly size bytes */
	size_t size;
	uint32_t count;
	uint64_t index, names, names_size, data;
	uint64_t aoff[16], boff[16];    /* payload offsets, per entry */
	uint32_t crc[16];               /* payload checksums, per entry */
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

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/*
 * Reseals the index checksum (header offset 28) of the size bytes at p: the
 * CRC-32C of [index offset, names offset + names size) as the header now
 * records them.  Does nothing when those offsets do not describe an area
 * inside the blob after the header (rt_blob_check refuses such a header
 * before it looks at the checksum).
 */
static void
reseal_at(unsigned char *p, size_t size)
{
	uint64_t index, names, names_size;

	if (size < RT_BLOB_HEADER_SIZE)
		return;
	index = get64(p + 32);
	names = get64(p + 40);
	names_size = get64(p + 48);
	if (index < RT_BLOB_HEADER_SIZE || index > size || names < index || names > size ||
	    names_size > size - names)
		return;
	put32(p + 28, rt_crc32c(0, p + index, (size_t)(names + names_size - index)));
}

static void
reseal(struct tblob *t)
{
	reseal_at(t->p, t->size);
}

/* Offset of field off of entry i. */
static size_t
ent(const struct tblob *b, uint32_t i, size_t off)
{
	return (size_t)b->index + (size_t)i * RT_BLOB_ENTRY_SIZE + off;
}

/* Lays n entries out as pack.c does; the caller frees t->p. */
static void
make_blob(struct tblob *t, const struct te *e, uint32_t n)
{
	size_t names_size = 0, payload = 0, pos;

	assert_true(n <= 16);
	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < n; i++) {
		names_size += strlen(e[i].name) + 1;
		payload += e[i].data_len;
		if (e[i].flags & RT_BLOB_SOURCE)
			payload += e[i].src_len;
	}
	t->count = n;
	t->index = RT_BLOB_HEADER_SIZE;
	t->names = t->index + (uint64_t)n * RT_BLOB_ENTRY_SIZE;
	t->names_size = names_size;
	t->data = (t->names + names_size + 15) & ~(uint64_t)15;
	t->size = (size_t)t->data + payload;
	t->p = calloc(1, t->size);
	assert_non_null(t->p);

	memcpy(t->p, RT_BLOB_MAGIC, 8);
	put32(t->p + 8, RT_BLOB_VERSION);
	put32(t->p + 12, RT_BLOB_HEADER_SIZE);
	put64(t->p + 16, t->size);
	put32(t->p + 24, n);
	put32(t->p + 28, 0);            /* sealed at the end */
	put64(t->p + 32, t->index);
	put64(t->p + 40, t->names);
	put64(t->p + 48, t->names_size);
	put64(t->p + 56, t->data);

	size_t noff = 0;
	pos = (size_t)t->data;
	for (uint32_t i = 0; i < n; i++) {
		size_t len = strlen(e[i].name);
		memcpy(t->p + t->names + noff, e[i].name, len + 1);
		put32(t->p + ent(t, i, 0), (uint32_t)noff);
		put32(t->p + ent(t, i, 4), (uint32_t)len);
		put32(t->p + ent(t, i, 8), e[i].flags);
		t->aoff[i] = pos;
		put64(t->p + ent(t, i, 16), pos);
		put32(t->p + ent(t, i, 24), e[i].data_len);
		if (e[i].data_len)
			memcpy(t->p + pos, e[i].data, e[i].data_len);
		pos += e[i].data_len;
		if (e[i].flags & RT_BLOB_SOURCE) {
			t->boff[i] = pos;
			put32(t->p + ent(t, i, 28), e[i].src_len);
			put64(t->p + ent(t, i, 32), pos);
			if (e[i].src_len)
				memcpy(t->p + pos, e[i].src, e[i].src_len);
			pos += e[i].src_len;
		}
		/* pack.c's checksum: the payloads are contiguous, first then second */
		t->crc[i] = rt_crc32c(0, t->p + t->aoff[i], pos - (size_t)t->aoff[i]);
		put32(t->p + ent(t, i, 12), t->crc[i]);
		noff += len + 1;
	}
	assert_int_equal(pos, t->size);
	reseal(t);
}

/* A copy of the first n bytes in a buffer of exactly n bytes. */
static unsigned char *
exact_copy(const unsigned char *p, size_t n)
{
	unsigned char *q = malloc(n ? n : 1);

	assert_non_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

/* --- checking -------------------------------------------------------------- */

/* What a message must look like: said, lower case, no full stop, one line. */
static void
assert_clear_message(const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	if (n == errlen)
		fail_msg("the message is not NUL-terminated within its buffer");
	if (n == 0)
		fail_msg("a refusal without a message");
	if (isupper((unsigned char)err[0]))
		fail_msg("the message starts with a capital: '%s'", err);
	if (err[n - 1] == '.' || err[n - 1] == '\n')
		fail_msg("the message ends with a full stop or a newline: '%s'", err);
	if (strchr(err, '\n'))
		fail_msg("the message spans lines: '%s'", err);
}

/*
 * Checks n bytes at p (copied into an exact buffer) and wants a refusal
 * whose message contains every one of the needles (NULL-terminated list).
 * Unless a needle is about the checksum, the message must not be: a
 * structural test whose damage was not resealed would otherwise pass for
 * the wrong reason.
 */
static void
refused_at(const char *what, const unsigned char *p, size_t n, ...)
{
	unsigned char *q = exact_copy(p, n);
	struct rt_blob b;
	char err[256];
	va_list ap;
	int rc;

	memset(err, 'X', sizeof(err));
	rc = rt_blob_check(&b, q, n, err, sizeof(err));
	if (rc != -1)
		fail_msg("%s: accepted (rc %d), wanted a refusal", what, rc);
	assert_clear_message(err, sizeof(err));
	bool about_checksum = false;
	va_start(ap, n);
	for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;) {
		if (!strstr(err, needle))
			fail_msg("%s: the message '%s' does not say '%s'", what, err, needle);
		if (strstr(needle, "checksum"))
			about_checksum = true;
	}
	va_end(ap);
	if (!about_checksum && strstr(err, "checksum"))
		fail_msg("%s: refused for its checksum ('%s'), not by the structural check "
		         "under test (reseal after altering the index or the names)", what, err);
	free(q);
}

#define refused(what, t, ...) refused_at(what, (t)->p, (t)->size, __VA_ARGS__, (const char *)NULL)
/* The same after resealing the index checksum: for a blob altered on purpose,
 * whose structural check is under test. */
#define refused_resealed(what, t, ...) do { \
		reseal(t); \
		refused(what, t, __VA_ARGS__); \
	} while (0)

/* Accepts an exact copy of t; the caller frees *copy. */
static void
accepted(const struct tblob *t, struct rt_blob *b, unsigned char **copy)
{
	char err[256] = "";

	*copy = exact_copy(t->p, t->size);
	if (rt_blob_check(b, *copy, t->size, err, sizeof(err)) != 0)
		fail_msg("a valid blob refused: %s", err);
}

/*
 * The promise of a checked blob: every entry's name and payloads lie inside
 * it, names are NUL-terminated at their length, entries are strictly in
 * (kind, name) order and each is found by rt_blob_find.
 */
static void
assert_consistent(const struct rt_blob *b, const unsigned char *base, size_t size)
{
	const char *end = (const char *)base + size;

	for (uint32_t i = 0; i < b->count; i++) {
		struct rt_blob_entry e;
		unsigned kind;

		rt_blob_get(b, i, &e);
		kind = e.flags & RT_BLOB_KIND_MASK;
		assert_true(e.name >= (const char *)base && e.name + e.name_len < end);
		assert_int_equal(e.name[e.name_len], '\0');
		assert_int_equal(strlen(e.name), e.name_len);
		assert_true(kind >= RT_BLOB_MODULE && kind <= RT_BLOB_METADATA);
		assert_true(e.data >= base && e.data <= base + size);
		assert_true(e.data_len <= (size_t)(base + size - e.data));
		if (e.source) {
			assert_true(e.source >= e.data + e.data_len);
			assert_true(e.source <= base + size);
			assert_true(e.source_len <= (size_t)(base + size - e.source));
		} else {
			assert_int_equal(e.source_len, 0);
		}
		assert_int_equal(rt_blob_find(b, kind, e.name, e.name_len), i);
		assert_int_equal(rt_blob_lower_bound(b, kind, e.name, e.name_len), i);
		if (i > 0) {
			struct rt_blob_entry p;
			rt_blob_get(b, i - 1, &p);
			unsigned pk = p.flags & RT_BLOB_KIND_MASK;
			size_t m = p.name_len < e.name_len ? p.name_len : e.name_len;
			int c = memcmp(p.name, e.name, m);
			assert_true(pk < kind ||
			            (pk == kind && (c < 0 || (c == 0 && p.name_len < e.name_len))));
			/* payloads in index order, without overlap */
			const unsigned char *pend = p.source ? p.source + p.source_len
			                                     : p.data + p.data_len;
			assert_true(e.data >= pend);
		}
	}
}

/* --- the sample ------------------------------------------------------------ */

static const struct te sample[] = {
	TE(RT_BLOB_MODULE | RT_BLOB_PACKAGE | RT_BLOB_SOURCE, "json", "CODE:json",
	   "\"\"\"json\"\"\"\n"),
	TE(RT_BLOB_MODULE | RT_BLOB_SOURCE, "json.decoder", "CODE:json.decoder",
	   "import re\n"),
	TE(RT_BLOB_MODULE, "json.encoder", "CODE:json.encoder", NULL),
	TE(RT_BLOB_MODULE | RT_BLOB_NAMESPACE, "zope", NULL, NULL),
	TE(RT_BLOB_RESOURCE, "json/data.bin", "\0\1\2\377\r\n", NULL),
	TE(RT_BLOB_RESOURCE, "pkg/empty", NULL, NULL),
	TE(RT_BLOB_METADATA, "Pkg-1.0.dist-info/METADATA", "Name: pkg\nVersion: 1.0\n", NULL),
};
#define NSAMPLE ((uint32_t)(sizeof(sample) / sizeof(sample[0])))

/* --- well-formed blobs ------------------------------------------------------ */

static void
test_roundtrip(void **state)
{
	struct tblob t;
	struct rt_blob b;
	unsigned char *q;

	make_blob(&t, sample, NSAMPLE);
	accepted(&t, &b, &q);
	assert_int_equal(b.count, NSAMPLE);
	assert_ptr_equal(b.base, q);
	assert_int_equal(b.size, t.size);
	for (uint32_t i = 0; i < NSAMPLE; i++) {
		struct rt_blob_entry e;
		rt_blob_get(&b, i, &e);
		assert_string_equal(e.name, sample[i].name);
		assert_int_equal(e.name_len, strlen(sample[i].name));
		assert_int_equal(e.flags, sample[i].flags);
		assert_int_equal(e.data_len, sample[i].data_len);
		if (e.data_len)
			assert_memory_equal(e.data, sample[i].data, e.data_len);
		if (sample[i].flags & RT_BLOB_SOURCE) {
			assert_non_null(e.source);
			assert_int_equal(e.source_len, sample[i].src_len);
			assert_memory_equal(e.source, sample[i].src, e.source_len);
		} else {
			assert_null(e.source);
			assert_int_equal(e.source_len, 0);
		}
		assert_int_equal(rt_blob_find(&b, sample[i].flags & RT_BLOB_KIND_MASK,
		                              sample[i].name, strlen(sample[i].name)), i);
	}
	assert_consistent(&b, q, t.size);
	free(q);
	free(t.p);
}

static void
test_find_misses(void **state)
{
	struct tblob t;
	struct rt_blob b;
	unsigned char *q;

	make_blob(&t, sample, NSAMPLE);
	accepted(&t, &b, &q);
	/* the right name under another kind */
	assert_int_equal(rt_blob_find(&b, RT_BLOB_RESOURCE, "json", 4), -1);
	assert_int_equal(rt_blob_find(&b, RT_BLOB_METADATA, "json.decoder", 12), -1);
	/* prefixes and extensions of a name, neighbours, the empty name */
	assert_int_equal(rt_blob_find(&b, RT_BLOB_MODULE, "jso", 3), -1);
	assert_int_equal(rt_blob_find(&b, RT_BLOB_MODULE, "json.", 5), -1);
	assert_int_equal(rt_blob_find(&b, RT_BLOB_MODULE, "json.decode", 11), -1);
	assert_int_equal(rt_blob_find(&b, RT_BLOB_MODULE, "json.decoderx", 13), -1);
	assert_int_equal(rt_blob_find(&b, RT_BLOB_MODULE, "a", 1), -1);
	assert_int_equal(rt_blob_find(&b, RT_BLOB_MODULE, "zz", 2), -1);
	assert_int_equal(rt_blob_find(&b, RT_BLOB_MODULE, "", 0), -1);
	assert_int_equal(rt_blob_find(&b, 0, "json", 4), -1);
	assert_int_equal(rt_blob_find(&b, 15, "json", 4), -1);
	/* the length counts, not the NUL: "json.decoder" cut to "json" is json */
	assert_int_equal(rt_blob_find(&b, RT_BLOB_MODULE, "json.decoder", 4), 0);
	/* bytes above 0x7f sort after ASCII (unsigned comparison) */
	assert_int_equal(rt_blob_find(&b, RT_BLOB_MODULE, "\xc3\xa9", 2), -1);
	free(q);
	free(t.p);
}

static void
test_lower_bound(void **state)
{
	struct tblob t;
	struct rt_blob b;
	unsigned char *q;

	make_blob(&t, sample, NSAMPLE);
	accepted(&t, &b, &q);
	assert_int_equal(rt_blob_lower_bound(&b, RT_BLOB_MODULE, "", 0), 0);
	assert_int_equal(rt_blob_lower_bound(&b, RT_BLOB_MODULE, "json.", 5), 1);
	assert_int_equal(rt_blob_lower_bound(&b, RT_BLOB_MODULE, "json.e", 6), 2);
	assert_int_equal(rt_blob_lower_bound(&b, RT_BLOB_MODULE, "k", 1), 3);
	assert_int_equal(rt_blob_lower_bound(&b, RT_BLOB_MODULE, "zzz", 3), 4);
	assert_int_equal(rt_blob_lower_bound(&b, RT_BLOB_RESOURCE, "", 0), 4);
	assert_int_equal(rt_blob_lower_bound(&b, RT_BLOB_RESOURCE, "pkg/", 4), 5);
	assert_int_equal(rt_blob_lower_bound(&b, RT_BLOB_METADATA, "", 0), 6);
	assert_int_equal(rt_blob_lower_bound(&b, RT_BLOB_METADATA, "\xff", 1), NSAMPLE);
	assert_int_equal(rt_blob_lower_bound(&b, 15, "", 0), NSAMPLE);
	free(q);
	free(t.p);
}

static void
test_empty_blob(void **state)
{
	struct tblob t;
	struct rt_blob b;
	unsigned char *q;

	make_blob(&t, NULL, 0);
	assert_int_equal(t.size, RT_BLOB_HEADER_SIZE);
	accepted(&t, &b, &q);
	assert_int_equal(b.count, 0);
	assert_int_equal(rt_blob_find(&b, RT_BLOB_MODULE, "json", 4), -1);
	assert_int_equal(rt_blob_lower_bound(&b, RT_BLOB_MODULE, "json", 4), 0);
	free(q);
	free(t.p);
}

/* The blob is read byte by byte: any address will do (the linker aligns
 * it to 64, but a reader must not depend on that). */
static void
test_odd_address(void **state)
{
	struct tblob t;
	struct rt_blob b;
	char err[256];

	make_blob(&t, sample, NSAMPLE);
	unsigned char *q = malloc(t.size + 3);
	assert_non_null(q);
	memcpy(q + 3, t.p, t.size);
	assert_int_equal(rt_blob_check(&b, q + 3, t.size, err, sizeof(err)), 0);
	assert_consistent(&b, q + 3, t.size);
	free(q);
	free(t.p);
}

/* Same name under different kinds is fine; kinds come first in the order. */
static void
test_same_name_other_kinds(void **state)
{
	static const struct te e[] = {
		TE(RT_BLOB_MODULE, "a", "x", NULL),
		TE(RT_BLOB_MODULE, "a.b", "x", NULL),
		TE(RT_BLOB_MODULE, "b", "x", NULL),
		TE(RT_BLOB_RESOURCE, "a", "y", NULL),
		TE(RT_BLOB_METADATA, "a", "z", NULL),
	};
	struct tblob t;
	struct rt_blob b;
	unsigned char *q;

	make_blob(&t, e, 5);
	accepted(&t, &b, &q);
	assert_int_equal(rt_blob_find(&b, RT_BLOB_MODULE, "a", 1), 0);
	assert_int_equal(rt_blob_find(&b, RT_BLOB_RESOURCE, "a", 1), 3);
	assert_int_equal(rt_blob_find(&b, RT_BLOB_METADATA, "a", 1), 4);
	assert_consistent(&b, q, t.size);
	free(q);
	free(t.p);
}

/* --- truncated and padded ---------------------------------------------------- */

static void
test_truncated_everywhere(void **state)
{
	struct tblob t;
	char what[64];

	make_blob(&t, sample, NSAMPLE);
	for (size_t n = 0; n < t.size; n++) {
		snprintf(what, sizeof(what), "cut to %zu of %zu bytes", n, t.size);
		if (n < RT_BLOB_HEADER_SIZE)
			refused_at(what, t.p, n, "truncated", "a header needs 64", (const char *)NULL);
		else
			refused_at(what, t.p, n, "recorded", "present", "truncated or padded",
			           (const char *)NULL);
	}
	free(t.p);
}

/* A cut blob whose recorded size was patched to match: the bounds must
 * still catch it, whatever the cut. */
static void
test_truncated_size_patched(void **state)
{
	struct tblob t;

	make_blob(&t, sample, NSAMPLE);
	for (size_t n = RT_BLOB_HEADER_SIZE; n < t.size; n++) {
		unsigned char *q = exact_copy(t.p, n);
		put64(q + 16, n);
		struct rt_blob b;
		char err[256];
		if (rt_blob_check(&b, q, n, err, sizeof(err)) != -1)
			fail_msg("cut to %zu of %zu bytes, size patched: accepted", n, t.size);
		assert_clear_message(err, sizeof(err));
		if (!strstr(err, "out of bounds") && !strstr(err, "leave"))
			fail_msg("cut to %zu of %zu bytes, size patched: the message '%s' says "
			         "neither 'out of bounds' nor 'leave'", n, t.size, err);
		free(q);
	}
	free(t.p);
}

static void
test_padded(void **state)
{
	struct tblob t;

	make_blob(&t, sample, NSAMPLE);
	unsigned char *q = calloc(1, t.size + 1);
	assert_non_null(q);
	memcpy(q, t.p, t.size);
	refused_at("one byte of padding", q, t.size + 1, "truncated or padded",
	           (const char *)NULL);
	free(q);
	free(t.p);
}

static void
test_null_data(void **state)
{
	struct rt_blob b;
	char err[128];

	assert_int_equal(rt_blob_check(&b, NULL, 0, err, sizeof(err)), -1);
	assert_clear_message(err, sizeof(err));
	assert_int_equal(rt_blob_check(&b, NULL, 1000, err, sizeof(err)), -1);
	assert_clear_message(err, sizeof(err));
	assert_int_equal(b.count, 0);
}

/* --- the header ------------------------------------------------------------- */

static void
test_bad_header(void **state)
{
	struct tblob t;

	make_blob(&t, sample, NSAMPLE);
	unsigned char *orig = exact_copy(t.p, t.size);
#define RESET() memcpy(t.p, orig, t.size)

	t.p[0] = 'Q';
	refused_resealed("magic", &t, "not a pyweld blob", "magic");
	RESET();
	t.p[7] = 2;
	refused_resealed("magic's version byte", &t, "magic");
	RESET();
	put32(t.p + 8, 1);
	refused_resealed("version 1 (no checksums)", &t, "version 1", "reads 4");
	RESET();
	put32(t.p + 8, 2);
	refused_resealed("version 2 (no deep-frozen modules)", &t, "version 2", "reads 4");
	RESET();
	put32(t.p + 8, 3);
	refused_resealed("version 3 (no compressed sources)", &t, "version 3", "reads 4");
	RESET();
	put32(t.p + 8, 5);
	refused_resealed("version 5", &t, "version 5", "reads 4");
	RESET();
	put32(t.p + 8, 0);
	refused_resealed("version 0", &t, "version 0");
	RESET();
	put32(t.p + 12, 48);
	refused_resealed("header size", &t, "header size 48");
	RESET();
	put64(t.p + 16, UINT64_MAX);
	refused_resealed("recorded size 2^64-1", &t, "truncated or padded");
	RESET();

	/* the index */
	put32(t.p + 24, NSAMPLE + 1000);
	refused_resealed("more entries than fit", &t, "index", "out of bounds");
	RESET();
	put32(t.p + 24, UINT32_MAX);
	refused_resealed("2^32-1 entries", &t, "index", "out of bounds");
	RESET();
	put64(t.p + 32, 0);
	refused_resealed("index over the header", &t, "index", "out of bounds");
	RESET();
	put64(t.p + 32, 63);
	refused_resealed("index at 63", &t, "index", "out of bounds");
	RESET();
	put64(t.p + 32, t.size + 1);
	refused_resealed("index past the end", &t, "index", "out of bounds");
	RESET();
	put64(t.p + 32, UINT64_MAX - 10);
	refused_resealed("index at 2^64-11", &t, "index", "out of bounds");
	RESET();

	/* the names */
	put64(t.p + 40, t.names - 1);
	refused_resealed("names over the last index entry", &t, "names", "do not follow the index");
	RESET();
	put64(t.p + 40, t.size + 1);
	refused_resealed("names past the end", &t, "names", "leave the blob");
	RESET();
	put64(t.p + 48, t.size);
	refused_resealed("names larger than the blob", &t, "names", "leave the blob");
	RESET();
	put64(t.p + 48, UINT64_MAX);
	refused_resealed("names size 2^64-1", &t, "names", "leave the blob");
	RESET();
	put64(t.p + 40, UINT64_MAX - 3);
	put64(t.p + 48, 8);
	refused_resealed("names wrapping around 2^64", &t, "names");
	RESET();
	put64(t.p + 48, t.names_size - 1);
	refused_resealed("names not NUL-terminated", &t, "not NUL-terminated");
	RESET();
	put64(t.p + 48, 0);
	refused_resealed("no names for 7 entries", &t, "entry 0", "name");
	RESET();

	/* the payloads area */
	put64(t.p + 56, t.names + t.names_size - 1);
	refused_resealed("payloads over the names", &t, "payloads", "overlap the names");
	RESET();
	put64(t.p + 56, t.size + 1);
	refused_resealed("payloads past the end", &t, "payloads", "leave the blob");
	RESET();
	/* the data offset moved past the first payload: it now overlaps */
	put64(t.p + 56, t.aoff[0] + 1);
	refused_resealed("first payload before the payloads area", &t, "entry 0", "payload", "overlaps");
	RESET();
#undef RESET
	free(orig);
	free(t.p);
}

/* --- entries ------------------------------------------------------------------ */

static void
test_bad_names(void **state)
{
	struct tblob t;

	make_blob(&t, sample, NSAMPLE);
	unsigned char *orig = exact_copy(t.p, t.size);
#define RESET() memcpy(t.p, orig, t.size)

	put32(t.p + ent(&t, 2, 0), (uint32_t)t.names_size);
	refused_resealed("name offset at the end of the names", &t, "entry 2", "name", "out of bounds");
	RESET();
	put32(t.p + ent(&t, 2, 0), UINT32_MAX);
	refused_resealed("name offset 2^32-1", &t, "entry 2", "out of bounds");
	RESET();
	put32(t.p + ent(&t, 2, 0), UINT32_MAX - 1);
	put32(t.p + ent(&t, 2, 4), 4);
	refused_resealed("name offset + length wrapping at 2^32", &t, "entry 2", "out of bounds");
	RESET();
	put32(t.p + ent(&t, 2, 4), UINT32_MAX);
	refused_resealed("name length 2^32-1", &t, "entry 2", "out of bounds");
	RESET();
	put32(t.p + ent(&t, 2, 4), 0);
	refused_resealed("empty name", &t, "entry 2", "name");
	RESET();
	/* "json" of entry 0 read as 6 bytes: runs over its NUL into the next */
	put32(t.p + ent(&t, 0, 4), 6);
	refused_resealed("name over its NUL", &t, "entry 0", "name");
	RESET();
	/* "json.decoder" read as 4 bytes: no NUL at its length */
	put32(t.p + ent(&t, 1, 4), 4);
	refused_resealed("name without a NUL at its length", &t, "entry 1", "name");
	RESET();
	/* the last name reaching exactly to the end of the names area */
	put32(t.p + ent(&t, 6, 4), (uint32_t)strlen(sample[6].name) + 1);
	refused_resealed("last name over the end", &t, "entry 6", "out of bounds");
	RESET();
#undef RESET
	free(orig);
	free(t.p);
}

static void
test_bad_kinds_and_flags(void **state)
{
	struct tblob t;
	char what[64];

	make_blob(&t, sample, NSAMPLE);
	unsigned char *orig = exact_copy(t.p, t.size);
	uint32_t f1 = sample[1].flags;

	static const unsigned bad_kinds[] = { 0, 4, 5, 7, 15 };
	for (size_t k = 0; k < sizeof(bad_kinds) / sizeof(bad_kinds[0]); k++) {
		memcpy(t.p, orig, t.size);
		put32(t.p + ent(&t, 1, 8), (f1 & ~(uint32_t)RT_BLOB_KIND_MASK) | bad_kinds[k]);
		snprintf(what, sizeof(what), "kind %u", bad_kinds[k]);
		char needle[32];
		snprintf(needle, sizeof(needle), "unknown kind %u", bad_kinds[k]);
		refused_resealed(what, &t, "entry 1", needle);
	}
	static const uint32_t bad_flags[] = { 0x400, 0x800, 0x8000, 0x10000, 0x80000000u };
	for (size_t k = 0; k < sizeof(bad_flags) / sizeof(bad_flags[0]); k++) {
		memcpy(t.p, orig, t.size);
		put32(t.p + ent(&t, 1, 8), f1 | bad_flags[k]);
		snprintf(what, sizeof(what), "flag %#x", bad_flags[k]);
		refused_resealed(what, &t, "entry 1", "unknown flags");
	}
	/* a source length on an entry without the source flag */
	memcpy(t.p, orig, t.size);
	put32(t.p + ent(&t, 2, 28), 1);
	refused_resealed("source length without the flag", &t, "entry 2", "without the source flag");
	free(orig);
	free(t.p);
}

static void
test_bad_order(void **state)
{
	struct tblob t;

	static const struct te swapped[] = {
		TE(RT_BLOB_MODULE, "json.decoder", "x", NULL),
		TE(RT_BLOB_MODULE, "json", "x", NULL),
	};
	make_blob(&t, swapped, 2);
	refused("a child before its parent", &t, "entry 1", "unsorted or duplicate");
	free(t.p);

	static const struct te dup[] = {
		TE(RT_BLOB_MODULE, "json", "x", NULL),
		TE(RT_BLOB_MODULE, "json", "y", NULL),
	};
	make_blob(&t, dup, 2);
	refused("a duplicate", &t, "entry 1", "unsorted or duplicate");
	free(t.p);

	static const struct te kinds[] = {
		TE(RT_BLOB_RESOURCE, "a", "x", NULL),
		TE(RT_BLOB_MODULE, "b", "y", NULL),
	};
	make_blob(&t, kinds, 2);
	refused("a resource before a module", &t, "entry 1", "unsorted");
	free(t.p);

	/* signed-char comparison would put "\xc3" before "a" */
	static const struct te high[] = {
		TE(RT_BLOB_MODULE, "\xc3\xa9t\xc3\xa9", "x", NULL),
		TE(RT_BLOB_MODULE, "a", "y", NULL),
	};
	make_blob(&t, high, 2);
	refused("a UTF-8 name before an ASCII one", &t, "entry 1", "unsorted");
	free(t.p);

	/* a duplicate hidden by a name that is read longer than it is */
	static const struct te ok[] = {
		TE(RT_BLOB_MODULE, "a", "x", NULL),
		TE(RT_BLOB_MODULE, "ab", "y", NULL),
	};
	make_blob(&t, ok, 2);
	put32(t.p + ent(&t, 1, 4), 1);          /* "ab" read as "a": no NUL there */
	refused_resealed("a name cut to its neighbour's", &t, "entry 1");
	free(t.p);
}

static void
test_overlapping_payloads(void **state)
{
	struct tblob t;

	make_blob(&t, sample, NSAMPLE);
	unsigned char *orig = exact_copy(t.p, t.size);
#define RESET() memcpy(t.p, orig, t.size)

	/* entry 2's code starting inside entry 1's source */
	put64(t.p + ent(&t, 2, 16), t.boff[1] + 1);
	refused_resealed("code over the previous source", &t, "entry 2", "payload", "overlaps");
	RESET();
	/* entry 1's code starting inside entry 0's code */
	put64(t.p + ent(&t, 1, 16), t.aoff[0]);
	refused_resealed("code over the previous code", &t, "entry 1", "overlaps");
	RESET();
	/* a payload inside the names or the index or the header */
	put64(t.p + ent(&t, 0, 16), t.names);
	refused_resealed("code over the names", &t, "entry 0", "overlaps");
	RESET();
	put64(t.p + ent(&t, 0, 16), 0);
	refused_resealed("code over the header", &t, "entry 0", "overlaps");
	RESET();
	/* entry 0's source over its own code */
	put64(t.p + ent(&t, 0, 32), t.aoff[0]);
	refused_resealed("source over its own code", &t, "entry 0", "source", "overlaps");
	RESET();
	/* entry 0's code longer, over its own source */
	put32(t.p + ent(&t, 0, 24), sample[0].data_len + 1);
	refused_resealed("code over its own source", &t, "entry 0", "source", "overlaps");
	RESET();
	/* leaving the blob, also by wrapping around 2^64 */
	put32(t.p + ent(&t, 6, 24), sample[6].data_len + 1);
	refused_resealed("last payload one byte too long", &t, "entry 6", "leaves the blob");
	RESET();
	put64(t.p + ent(&t, 6, 16), t.size + 1);
	put32(t.p + ent(&t, 6, 24), 0);
	refused_resealed("empty payload past the end", &t, "entry 6", "leaves the blob");
	RESET();
	put64(t.p + ent(&t, 6, 16), UINT64_MAX - 1);
	put32(t.p + ent(&t, 6, 24), 4);
	refused_resealed("payload wrapping around 2^64", &t, "entry 6", "leaves the blob");
	RESET();
	put64(t.p + ent(&t, 1, 32), UINT64_MAX - 1);
	refused_resealed("source wrapping around 2^64", &t, "entry 1", "source", "leaves the blob");
	RESET();
	put32(t.p + ent(&t, 1, 28), UINT32_MAX);
	refused_resealed("source of 4 GiB", &t, "entry 1", "source", "leaves the blob");
	RESET();
	put32(t.p + ent(&t, 4, 24), UINT32_MAX);
	refused_resealed("payload of 4 GiB", &t, "entry 4", "leaves the blob");
	RESET();
	/* entries in index order: a later entry's payload before an earlier one's */
	put64(t.p + ent(&t, 6, 16), t.aoff[4]);
	refused_resealed("payloads out of index order", &t, "entry 6", "overlaps");
	RESET();
#undef RESET
	free(orig);
	free(t.p);
}

/* Zero-length payloads may share an offset: namespaces and empty files. */
static void
test_empty_payloads_share(void **state)
{
	static const struct te e[] = {
		TE(RT_BLOB_MODULE | RT_BLOB_NAMESPACE, "a", NULL, NULL),
		TE(RT_BLOB_MODULE | RT_BLOB_NAMESPACE, "b", NULL, NULL),
		TE(RT_BLOB_RESOURCE, "c", NULL, NULL),
	};
	struct tblob t;
	struct rt_blob b;
	unsigned char *q;

	make_blob(&t, e, 3);
	accepted(&t, &b, &q);
	assert_int_equal(b.count, 3);
	assert_consistent(&b, q, t.size);
	free(q);
	free(t.p);
}

/* --- garbage ----------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t
rng(void)
{
	/* xorshift64*: the same sequence on every run */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void
test_garbage(void **state)
{
	char what[80];

	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rng() % 4096);
		unsigned char *g = malloc(n ? n : 1);
		assert_non_null(g);
		for (size_t i = 0; i < n; i++)
			g[i] = (unsigned char)rng();
		snprintf(what, sizeof(what), "random bytes, round %d (%zu bytes)", round, n);
		if (n < RT_BLOB_HEADER_SIZE)
			refused_at(what, g, n, "truncated", (const char *)NULL);
		else
			refused_at(what, g, n, "bad magic", (const char *)NULL);
		if (n < RT_BLOB_HEADER_SIZE) {
			free(g);
			continue;
		}
		/* the same garbage behind a correct header prefix; on odd rounds
		 * with areas that fit (up to 8 entries of garbage), so that the
		 * entry checks are reached */
		memcpy(g, RT_BLOB_MAGIC, 8);
		put32(g + 8, RT_BLOB_VERSION);
		put32(g + 12, RT_BLOB_HEADER_SIZE);
		put64(g + 16, n);
		if (round % 2) {
			uint32_t count = (uint32_t)(rng() % 9);
			uint64_t names = RT_BLOB_HEADER_SIZE + (uint64_t)count * RT_BLOB_ENTRY_SIZE;
			if (names > n) {
				count = 0;
				names = RT_BLOB_HEADER_SIZE;
			}
			uint64_t names_size = rng() % (n - names + 1);
			put32(g + 24, count);
			put64(g + 32, RT_BLOB_HEADER_SIZE);
			put64(g + 40, names);
			put64(g + 48, names_size);
			put64(g + 56, names + names_size);
		}
		struct rt_blob b;
		char err[256];
		/* unsealed: refused (for the checksum, if nothing comes first) */
		if (rt_blob_check(&b, g, n, err, sizeof(err)) == 0)
			fail_msg("%s: garbage with an unsealed index accepted", what);
		assert_clear_message(err, sizeof(err));
		/* resealed: whatever the structure says, never unsound */
		reseal_at(g, n);
		if (rt_blob_check(&b, g, n, err, sizeof(err)) == 0) {
			assert_consistent(&b, g, n);
		} else {
			assert_clear_message(err, sizeof(err));
			if (strstr(err, "checksum"))
				fail_msg("%s: resealed, yet refused for its checksum: '%s'", what, err);
		}
		free(g);
	}
	/* text that is not a blob at all */
	static const char text[] = "#!/bin/sh\necho this is not a blob at all, but it is long "
	                           "enough to have a header's worth of bytes in it\n";
	refused_at("a shell script", (const unsigned char *)text, sizeof(text) - 1, "bad magic",
	           (const char *)NULL);
}

/* The entry of t whose payloads hold byte i, or -1. */
static int
payload_owner(const struct tblob *t, const struct te *e, size_t i)
{
	for (uint32_t k = 0; k < t->count; k++) {
		if (i >= t->aoff[k] && i < t->aoff[k] + e[k].data_len)
			return (int)k;
		if ((e[k].flags & RT_BLOB_SOURCE) && i >= t->boff[k] &&
		    i < t->boff[k] + e[k].src_len)
			return (int)k;
	}
	return -1;
}

/*
 * Every single-byte change of a valid blob.  In the header's checked fields,
 * the index or the names: refused (in the index checksum and the index and
 * names areas, for the checksum).  In a payload: accepted by rt_blob_check,
 * which does not read payloads, and refused by rt_blob_verify for exactly
 * the entry that owns the byte.  Resealed after the change, any change is
 * refused with a structural message or leaves a sound blob.
 */
static void
test_every_byte_flipped(void **state)
{
	struct tblob t;
	unsigned refusals = 0, kept = 0, caught = 0, resealed_kept = 0;
	char what[96];

	make_blob(&t, sample, NSAMPLE);
	const size_t sealed_lo = (size_t)t.index, sealed_hi = (size_t)(t.names + t.names_size);
	for (size_t i = 0; i < t.size; i++) {
		static const unsigned char masks[] = { 0x01, 0x80, 0xff };
		for (size_t m = 0; m < sizeof(masks); m++) {
			unsigned char *q = exact_copy(t.p, t.size);
			struct rt_blob b;
			char err[256];
			int owner = payload_owner(&t, sample, i);
			int rc;

			snprintf(what, sizeof(what), "byte %zu of %zu ^ %#x", i, t.size, masks[m]);
			q[i] ^= masks[m];
			rc = rt_blob_check(&b, q, t.size, err, sizeof(err));
			if ((i >= 28 && i < 32) || (i >= sealed_lo && i < sealed_hi)) {
				if (rc == 0)
					fail_msg("%s: a change of the index checksum or of the areas it "
					         "covers was accepted", what);
				assert_clear_message(err, sizeof(err));
				/* the names' last NUL is checked before the checksum */
				if (i == sealed_hi - 1 ? !strstr(err, "NUL-terminated")
				                       : !strstr(err, "fails its checksum"))
					fail_msg("%s: refused with '%s'", what, err);
				refusals++;
			} else if (rc == 0) {
				assert_consistent(&b, q, t.size);
				for (uint32_t k = 0; k < b.count; k++) {
					struct rt_blob_entry e;
					rt_blob_get(&b, k, &e);
					int want = (int)k == owner ? -1 : 0;
					if (rt_blob_verify(&e) != want)
						fail_msg("%s: rt_blob_verify of entry %u ('%s') is %d, wanted %d",
						         what, k, e.name, rt_blob_verify(&e), want);
				}
				if (owner >= 0) {
					caught++;
				} else if (!(i >= sealed_hi && i < t.data) &&   /* alignment padding */
				           !(i >= 56 && i < 64) &&               /* a lower data offset */
				           !(i >= 24 && i < 28 && b.count < t.count)) {
					/* The count is not covered by the checksum and the
					 * names need not follow the index at once: lowered,
					 * it hides the last entries (a known gap); every other
					 * header byte is checked. */
					fail_msg("%s: accepted, though the byte is neither a payload's "
					         "nor padding", what);
				}
				kept++;
			} else {
				assert_clear_message(err, sizeof(err));
				if (owner >= 0)
					fail_msg("%s: a payload byte changed the check: '%s'", what, err);
				/* the index and names offsets and size say what is sealed */
				if (strstr(err, "checksum") && !(i >= 32 && i < 56))
					fail_msg("%s: a byte outside the sealed areas fails the "
					         "checksum: '%s'", what, err);
				refusals++;
			}
			/* the same change, resealed: the structure alone must hold */
			reseal_at(q, t.size);
			if (rt_blob_check(&b, q, t.size, err, sizeof(err)) == 0) {
				assert_consistent(&b, q, t.size);
				resealed_kept++;
			} else {
				assert_clear_message(err, sizeof(err));
				if (strstr(err, "checksum"))
					fail_msg("%s: resealed, yet refused for its checksum: '%s'", what,
					         err);
			}
			free(q);
		}
	}
	assert_true(refusals > 0);
	assert_true(kept > 0);
	/* every payload byte, three times */
	size_t payload_bytes = 0;
	for (uint32_t k = 0; k < NSAMPLE; k++)
		payload_bytes += sample[k].data_len +
		                 ((sample[k].flags & RT_BLOB_SOURCE) ? sample[k].src_len : 0);
	assert_int_equal(caught, 3 * payload_bytes);
	assert_true(resealed_kept > kept);
	free(t.p);
}

/* --- checksums ---------------------------------------------------------------- */

/* CRC-32C, bit by bit: the reference rt_crc32c is held to. */
static uint32_t
ref_crc32c(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
	}
	return ~c;
}

static void
test_crc32c(void **state)
{
	static const struct {
		const char *what;
		unsigned char fill;     /* 32 bytes of this, when s is NULL */
		int step;               /* ... plus step * index */
		const char *s;
		uint32_t crc;
	} vec[] = {
		{ "the check value, \"123456789\"", 0, 0, "123456789", 0xe3069283u },
		{ "32 zero bytes (RFC 3720 B.4)", 0x00, 0, NULL, 0x8a9136aau },
		{ "32 bytes of 0xff (RFC 3720 B.4)", 0xff, 0, NULL, 0x62a8ab43u },
		{ "32 bytes 0..31 (RFC 3720 B.4)", 0x00, 1, NULL, 0x46dd794eu },
		{ "32 bytes 31..0 (RFC 3720 B.4)", 0x1f, -1, NULL, 0x113fdb5cu },
		{ "\"a\"", 0, 0, "a", 0xc1d04330u },
		{ "nothing", 0, 0, "", 0 },
	};
	for (size_t v = 0; v < sizeof(vec) / sizeof(vec[0]); v++) {
		unsigned char buf[32];
		const unsigned char *p = buf;
		size_t n = sizeof(buf);
		if (vec[v].s) {
			p = (const unsigned char *)vec[v].s;
			n = strlen(vec[v].s);
		} else {
			for (int i = 0; i < 32; i++)
				buf[i] = (unsigned char)(vec[v].fill + vec[v].step * i);
		}
		uint32_t got = rt_crc32c(0, p, n);
		if (got != vec[v].crc)
			fail_msg("rt_crc32c of %s is %#010x, wanted %#010x", vec[v].what, got,
			         vec[v].crc);
		assert_int_equal(ref_crc32c(p, n), vec[v].crc);
		/* continued over every split, as pack.c and rt_blob_verify use it */
		for (size_t k = 0; k <= n; k++)
			assert_int_equal(rt_crc32c(rt_crc32c(0, p, k), p + k, n - k), vec[v].crc);
	}
	assert_int_equal(rt_crc32c(0, NULL, 0), 0);
	assert_int_equal(rt_crc32c(0x12345678u, NULL, 0), 0x12345678u);

	/* every alignment and length up to 300 (the 8-byte steps of SSE4.2 and
	 * their tails), against the bitwise reference */
	unsigned char *buf = malloc(300 + 16);
	assert_non_null(buf);
	for (size_t i = 0; i < 300 + 16; i++)
		buf[i] = (unsigned char)rng();
	for (size_t a = 0; a < 16; a++)
		for (size_t n = 0; n <= 300; n++) {
			uint32_t want = ref_crc32c(buf + a, n), got = rt_crc32c(0, buf + a, n);
			if (got != want)
				fail_msg("rt_crc32c of %zu bytes at offset %zu is %#010x, the "
				         "reference says %#010x", n, a, got, want);
		}
	free(buf);
}

/* The checksum the writer recorded, and the header's. */
static void
test_checksums_recorded(void **state)
{
	struct tblob t;
	struct rt_blob b;
	unsigned char *q;

	make_blob(&t, sample, NSAMPLE);
	assert_int_equal(get32(t.p + 28),
	                 ref_crc32c(t.p + t.index, (size_t)(t.names + t.names_size - t.index)));
	accepted(&t, &b, &q);
	for (uint32_t i = 0; i < NSAMPLE; i++) {
		struct rt_blob_entry e;
		unsigned char both[64];
		size_t n = 0;

		rt_blob_get(&b, i, &e);
		memcpy(both, sample[i].data ? sample[i].data : "", sample[i].data_len);
		n = sample[i].data_len;
		if (sample[i].flags & RT_BLOB_SOURCE) {
			memcpy(both + n, sample[i].src, sample[i].src_len);
			n += sample[i].src_len;
		}
		assert_true(n <= sizeof(both));
		assert_int_equal(e.crc, ref_crc32c(both, n));
		assert_int_equal(e.crc, t.crc[i]);
		if (rt_blob_verify(&e) != 0)
			fail_msg("entry %u ('%s'): intact, yet rt_blob_verify refuses it", i, e.name);
	}
	/* no payload: the checksum of nothing, 0 (the namespace, the empty file) */
	struct rt_blob_entry e;
	rt_blob_get(&b, 3, &e);
	assert_int_equal(e.crc, 0);
	assert_int_equal(rt_blob_verify(&e), 0);
	rt_blob_get(&b, 5, &e);
	assert_int_equal(e.crc, 0);
	assert_int_equal(rt_blob_verify(&e), 0);
	free(q);
	free(t.p);
}

/*
 * The index checksum alone stands between these changes and a blob that
 * looks sound: each is refused for its checksum unsealed, and accepted
 * resealed.
 */
static void
test_index_checksum(void **state)
{
	struct tblob t;
	struct rt_blob b;

	make_blob(&t, sample, NSAMPLE);
	unsigned char *orig = exact_copy(t.p, t.size);
#define RESET() memcpy(t.p, orig, t.size)
#define ONLY_THE_CHECKSUM(what) do { \
		refused(what, &t, "the index fails its checksum", "altered or damaged"); \
		reseal(&t); \
		unsigned char *q_; \
		accepted(&t, &b, &q_); \
		assert_consistent(&b, q_, t.size); \
		free(q_); \
		RESET(); \
	} while (0)

	/* a name: "json.decoder" -> "json.decodes" (still in order) */
	t.p[t.names + 5 + 11] ^= 's' ^ 'r';
	ONLY_THE_CHECKSUM("a byte of a name");
	/* a flag: json.encoder made a package */
	put32(t.p + ent(&t, 2, 8), sample[2].flags | RT_BLOB_PACKAGE);
	ONLY_THE_CHECKSUM("an entry's flags");
	/* a payload cut shorter */
	put32(t.p + ent(&t, 4, 24), sample[4].data_len - 1);
	ONLY_THE_CHECKSUM("an entry's payload size");
	/* a payload moved one byte on (into the next one's room: empty) */
	put64(t.p + ent(&t, 6, 16), t.aoff[6] + 1);
	put32(t.p + ent(&t, 6, 24), sample[6].data_len - 1);
	ONLY_THE_CHECKSUM("an entry's payload offset");
	/* an entry's payload checksum: the index is sealed over it too */
	put32(t.p + ent(&t, 1, 12), t.crc[1] ^ 1);
	ONLY_THE_CHECKSUM("an entry's payload checksum");
	/* every bit of the recorded checksum */
	for (int bit = 0; bit < 32; bit++) {
		put32(t.p + 28, get32(orig + 28) ^ (1u << bit));
		refused("a bit of the recorded checksum", &t, "the index fails its checksum");
		RESET();
	}
	/* the only name of a blob of one entry */
	static const struct te one[] = { TE(RT_BLOB_MODULE, "m", "x", NULL) };
	struct tblob o;
	make_blob(&o, one, 1);
	o.p[o.names] = 'n';
	refused("the only name changed", &o, "fails its checksum");
	free(o.p);
#undef ONLY_THE_CHECKSUM
#undef RESET
	free(orig);
	free(t.p);
}

/* rt_blob_verify: each payload byte of each entry, flipped. */
static void
test_verify_payloads(void **state)
{
	struct tblob t;
	struct rt_blob b;
	char what[96];

	make_blob(&t, sample, NSAMPLE);
	for (uint32_t k = 0; k < NSAMPLE; k++) {
		size_t n = sample[k].data_len +
		           ((sample[k].flags & RT_BLOB_SOURCE) ? sample[k].src_len : 0);
		for (size_t j = 0; j < n; j++) {
			size_t at = j < sample[k].data_len ? (size_t)t.aoff[k] + j
			                                   : (size_t)t.boff[k] + j - sample[k].data_len;
			for (int bit = 0; bit < 8; bit += 7) {
				unsigned char *q = exact_copy(t.p, t.size);
				char err[256];
				q[at] ^= (unsigned char)(1u << bit);
				snprintf(what, sizeof(what), "entry %u ('%s'), %s byte %zu, bit %d", k,
				         sample[k].name, j < sample[k].data_len ? "code" : "source",
				         j < sample[k].data_len ? j : j - sample[k].data_len, bit);
				if (rt_blob_check(&b, q, t.size, err, sizeof(err)) != 0)
					fail_msg("%s: refused by rt_blob_check ('%s'); payloads are "
					         "verified when used", what, err);
				for (uint32_t i = 0; i < NSAMPLE; i++) {
					struct rt_blob_entry e;
					rt_blob_get(&b, i, &e);
					int got = rt_blob_verify(&e);
					if (i == k && got != -1)
						fail_msg("%s: rt_blob_verify accepts it", what);
					if (i != k && got != 0)
						fail_msg("%s: rt_blob_verify refuses the intact entry %u ('%s')",
						         what, i, e.name);
				}
				free(q);
			}
		}
	}

	/* the order counts: the checksum of the source then the code is not it */
	unsigned char *q = exact_copy(t.p, t.size);
	uint32_t swapped = rt_crc32c(rt_crc32c(0, q + t.boff[0], sample[0].src_len),
	                             q + t.aoff[0], sample[0].data_len);
	assert_int_not_equal(swapped, t.crc[0]);
	put32(q + ent(&t, 0, 12), swapped);
	reseal_at(q, t.size);
	char err[256];
	assert_int_equal(rt_blob_check(&b, q, t.size, err, sizeof(err)), 0);
	struct rt_blob_entry e;
	rt_blob_get(&b, 0, &e);
	assert_int_equal(rt_blob_verify(&e), -1);
	/* a payload checksum of 0 where there is a payload */
	put32(q + ent(&t, 1, 12), 0);
	reseal_at(q, t.size);
	assert_int_equal(rt_blob_check(&b, q, t.size, err, sizeof(err)), 0);
	rt_blob_get(&b, 1, &e);
	assert_int_equal(rt_blob_verify(&e), -1);
	free(q);
	free(t.p);
}

/* A namespace package has no payload: neither code nor a source. */
static void
test_namespace_with_payload(void **state)
{
	struct tblob t;

	static const struct te code[] = {
		TE(RT_BLOB_MODULE, "a", "x", NULL),
		TE(RT_BLOB_MODULE | RT_BLOB_NAMESPACE, "zope", "CODE:zope", NULL),
	};
	make_blob(&t, code, 2);
	refused("a namespace package with code", &t, "entry 1",
	        "a namespace package with a payload");
	free(t.p);

	static const struct te src[] = {
		TE(RT_BLOB_MODULE | RT_BLOB_NAMESPACE | RT_BLOB_SOURCE, "zope", NULL, "x = 1\n"),
	};
	make_blob(&t, src, 1);
	refused("a namespace package with a source", &t, "entry 0",
	        "a namespace package with a payload");
	free(t.p);

	static const struct te empty_src[] = {
		TE(RT_BLOB_MODULE | RT_BLOB_NAMESPACE | RT_BLOB_SOURCE, "zope", NULL, ""),
	};
	make_blob(&t, empty_src, 1);
	refused("a namespace package with the source flag and an empty source", &t,
	        "entry 0", "a namespace package with a payload");
	free(t.p);

	/* the sample's namespace given one byte of code, resealed */
	make_blob(&t, sample, NSAMPLE);
	put32(t.p + ent(&t, 3, 24), 1);
	refused_resealed("the sample's namespace with a byte of code", &t, "entry 3",
	                 "a namespace package with a payload");
	free(t.p);
}

/* A deep-frozen module has its source and no code; nothing else is deep-frozen. */
static void
test_frozen_flag(void **state)
{
	struct tblob t;
	struct rt_blob b;
	struct rt_blob_entry e;
	unsigned char *copy;

	static const struct te ok[] = {
		TE(RT_BLOB_MODULE | RT_BLOB_FROZEN | RT_BLOB_SOURCE, "json", NULL, "x = 1\n"),
		TE(RT_BLOB_MODULE | RT_BLOB_FROZEN | RT_BLOB_PACKAGE, "pkg", NULL, NULL),
	};
	make_blob(&t, ok, 2);
	accepted(&t, &b, &copy);
	rt_blob_get(&b, 0, &e);
	assert_true(e.flags & RT_BLOB_FROZEN);
	assert_int_equal(e.data_len, 0);
	assert_int_equal(e.source_len, 6);
	assert_int_equal(rt_blob_verify(&e), 0);
	free(copy);
	free(t.p);

	static const struct te with_code[] = {
		TE(RT_BLOB_MODULE | RT_BLOB_FROZEN, "json", "CODE:json", NULL),
	};
	make_blob(&t, with_code, 1);
	refused("a deep-frozen module with code", &t, "entry 0", "deep-frozen");
	free(t.p);

	static const struct te resource[] = {
		TE(RT_BLOB_RESOURCE | RT_BLOB_FROZEN, "json/x.txt", NULL, NULL),
	};
	make_blob(&t, resource, 1);
	refused("a deep-frozen resource", &t, "entry 0", "deep-frozen");
	free(t.p);

	static const struct te ns[] = {
		TE(RT_BLOB_MODULE | RT_BLOB_FROZEN | RT_BLOB_NAMESPACE, "zope", NULL, NULL),
	};
	make_blob(&t, ns, 1);
	refused("a deep-frozen namespace package", &t, "entry 0", "deep-frozen");
	free(t.p);

	/* the sample's json.encoder (which has code) flagged, resealed */
	make_blob(&t, sample, NSAMPLE);
	put32(t.p + ent(&t, 2, 8), sample[2].flags | RT_BLOB_FROZEN);
	refused_resealed("the sample's json.encoder flagged deep-frozen", &t, "entry 2",
	                 "deep-frozen");
	free(t.p);
}

static void
test_small_error_buffer(void **state)
{
	struct tblob t;
	struct rt_blob b;
	char err[9];

	make_blob(&t, sample, NSAMPLE);
	unsigned char *q = exact_copy(t.p, t.size - 1);
	for (size_t len = 1; len <= sizeof(err); len++) {
		memset(err, 'X', sizeof(err));
		assert_int_equal(rt_blob_check(&b, q, t.size - 1, err, len), -1);
		assert_int_equal(err[len - 1], '\0');
		for (size_t k = len; k < sizeof(err); k++)
			assert_int_equal(err[k], 'X');
	}
	free(q);
	free(t.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_find_misses),
		cmocka_unit_test(test_lower_bound),
		cmocka_unit_test(test_empty_blob),
		cmocka_unit_test(test_odd_address),
		cmocka_unit_test(test_same_name_other_kinds),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_truncated_size_patched),
		cmocka_unit_test(test_padded),
		cmocka_unit_test(test_null_data),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_bad_kinds_and_flags),
		cmocka_unit_test(test_bad_order),
		cmocka_unit_test(test_overlapping_payloads),
		cmocka_unit_test(test_empty_payloads_share),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_every_byte_flipped),
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_checksums_recorded),
		cmocka_unit_test(test_index_checksum),
		cmocka_unit_test(test_verify_payloads),
		cmocka_unit_test(test_namespace_with_payload),
		cmocka_unit_test(test_frozen_flag),
		cmocka_unit_test(test_small_error_buffer),
	};
	return cmocka_run_group_tests_name("blob", tests, NULL, NULL);
}

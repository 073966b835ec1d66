/*
 * fuzz_blob: libFuzzer target for the module blob's reader (runtime/blob.c).
 *
 * The format (version 4) seals the index and the names with a CRC-32C (header
 * offset 28), so nearly every mutated input would be refused for its
 * checksum and the fuzzer would never get past it.  Half of the inputs
 * (those whose last byte is odd) are therefore resealed first: copied into
 * a buffer of their exact size, the checksum recomputed over the areas the
 * header names (when its offsets allow), and that copy is checked; the
 * other half are checked as they are, so that the checksum check itself is
 * fuzzed too.  A resealed input refused for its checksum is a broken
 * promise (the harness and the reader disagree about what is sealed).
 *
 * Every input goes through rt_blob_check.  A refusal must come with a
 * message (non-empty, NUL-terminated in its buffer).  An accepted input must
 * keep every promise the runtime relies on: each entry's name lies inside
 * the blob, is NUL-terminated at its length and has no NUL before it; its
 * payloads lie inside the blob, after the previous entry's; entries are in
 * strictly increasing (kind, name) order; rt_blob_find finds each entry at
 * its own index and rt_blob_lower_bound agrees; lookups of names that are
 * there and names that are not (a few fixed ones, prefixes of real ones,
 * bytes of the input) stay in bounds and answer consistently; rt_blob_verify
 * of every entry answers as a bitwise CRC-32C here says it must, and the
 * source of every verified entry is read through rt_blob_source and every
 * verified module's code through rt_blob_code (a compressed one inflated
 * by zlib, to its recorded size or refused).  The bytes of
 * every name and payload are read, so AddressSanitizer sees any read that
 * leaves the input (libFuzzer hands each input in a buffer of exactly its
 * size).  A broken promise aborts with a message.
 *
 * With PYWELD_FUZZ_EXPECT_VALID=1 in the environment every input must also
 * be ACCEPTED as it is (never resealed) and every entry's payloads must have
 * their checksum: the test runs the seed corpus (blobs written by pyweld's
 * own packer and by make_seeds.py) that way before fuzzing.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Iruntime runtime/blob.c
 * tests/fuzz/fuzz_blob.c (tests/blob.cmake does it when clang is there).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int expect_valid;

#define BROKEN(...) do { \
		fprintf(stderr, "fuzz_blob: broken promise: " __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} while (0)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *v = getenv("PYWELD_FUZZ_EXPECT_VALID");

	(void)argc;
	(void)argv;
	expect_valid = v && *v && strcmp(v, "0") != 0;
	return 0;
}

/* A sink the compiler cannot drop: every byte read counts. */
static volatile unsigned sink;

static void
touch(const unsigned char *p, size_t n)
{
	unsigned s = 0;

	for (size_t i = 0; i < n; i++)
		s += p[i];
	sink += s;
}

static uint32_t
rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t
rd64(const unsigned char *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* CRC-32C bit by bit, continuing from crc: the reference for rt_crc32c. */
static uint32_t
ref_crc32c(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return ~crc;
}

/*
 * Recomputes the index checksum of the size bytes at p over [index offset,
 * names offset + names size) as the header records them; 0, or -1 when
 * those offsets do not describe an area inside the blob after the header
 * (the reader refuses such a header before it looks at the checksum).
 */
static int
reseal(unsigned char *p, size_t size)
{
	uint64_t index, names, names_size;

	if (size < RT_BLOB_HEADER_SIZE)
		return -1;
	index = rd64(p + 32);
	names = rd64(p + 40);
	names_size = rd64(p + 48);
	if (index < RT_BLOB_HEADER_SIZE || index > size || names < index || names > size ||
	    names_size > size - names)
		return -1;
	uint32_t crc = rt_crc32c(0, p + index, (size_t)(names + names_size - index));
	for (int i = 0; i < 4; i++)
		p[28 + i] = (unsigned char)(crc >> (8 * i));
	return 0;
}

static int
key_cmp(unsigned ka, const char *a, size_t la, unsigned kb, const char *b, size_t lb)
{
	int c;

	if (ka != kb)
		return ka < kb ? -1 : 1;
	c = memcmp(a, b, la < lb ? la : lb);
	if (c)
		return c < 0 ? -1 : 1;
	return (la > lb) - (la < lb);
}

/* Looks (kind, name) up and checks the answer against a linear scan. */
static void
lookup(const struct rt_blob *b, unsigned kind, const char *name, size_t len)
{
	int64_t i = rt_blob_find(b, kind, name, len);
	uint32_t lb = rt_blob_lower_bound(b, kind, name, len);
	uint32_t want_lb = b->count;
	int64_t want = -1;

	for (uint32_t k = 0; k < b->count; k++) {
		struct rt_blob_entry e;
		rt_blob_get(b, k, &e);
		int c = key_cmp(e.flags & RT_BLOB_KIND_MASK, e.name, e.name_len, kind, name, len);
		if (c >= 0 && want_lb == b->count)
			want_lb = k;
		if (c == 0)
			want = k;
	}
	if (lb != want_lb)
		BROKEN("lower_bound(%u, '%.*s') is %u, a scan says %u", kind, (int)len, name, lb,
		       want_lb);
	if (i != want)
		BROKEN("find(%u, '%.*s') is %lld, a scan says %lld", kind, (int)len, name,
		       (long long)i, (long long)want);
	/* A prefix walk as the importer's iter_modules does it. */
	for (uint32_t k = lb; k < b->count; k++) {
		struct rt_blob_entry e;
		rt_blob_get(b, k, &e);
		if ((e.flags & RT_BLOB_KIND_MASK) != kind || e.name_len < len ||
		    memcmp(e.name, name, len) != 0)
			break;
		touch((const unsigned char *)e.name, e.name_len + 1);
	}
}

/* The checks of an accepted blob: data is what was checked. */
static void check_accepted(const struct rt_blob *bp, const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_blob b;
	char err[256];
	unsigned char *copy = NULL;
	int resealed = 0;

	/* the odd half: a copy of exactly the input's size, resealed */
	if (!expect_valid && size > 0 && (data[size - 1] & 1)) {
		copy = malloc(size);
		if (!copy)
			return 0;
		memcpy(copy, data, size);
		resealed = reseal(copy, size) == 0;
		data = copy;
	}
	memset(err, 'X', sizeof(err));
	if (rt_blob_check(&b, data, size, err, sizeof(err)) != 0) {
		if (!memchr(err, '\0', sizeof(err)))
			BROKEN("a refusal whose message is not NUL-terminated");
		if (!err[0])
			BROKEN("a refusal without a message");
		if (resealed && strstr(err, "checksum"))
			BROKEN("a resealed input refused for its checksum: %s", err);
		if (expect_valid) {
			fprintf(stderr, "fuzz_blob: a seed that must be valid was refused: %s\n", err);
			abort();
		}
		free(copy);
		return 0;
	}
	if (!resealed) {
		/* accepted as it came: it carries the checksum of what it holds */
		uint64_t index = rd64(data + 32), end = rd64(data + 40) + rd64(data + 48);
		if (ref_crc32c(0, data + index, (size_t)(end - index)) != rd32(data + 28))
			BROKEN("an input whose index checksum is wrong was accepted");
	}
	check_accepted(&b, data, size);
	free(copy);
	return 0;
}

static void
check_accepted(const struct rt_blob *bp, const uint8_t *data, size_t size)
{
	const struct rt_blob b = *bp;
	const unsigned char *end = data + size;

	if (b.base != data || b.size != size)
		BROKEN("the checked blob is not the input");
	if (b.count > 0 && (b.index < data + RT_BLOB_HEADER_SIZE ||
	                    (size_t)(end - b.index) / RT_BLOB_ENTRY_SIZE < b.count))
		BROKEN("the index leaves the blob");

	const unsigned char *prev_end = NULL;
	for (uint32_t i = 0; i < b.count; i++) {
		struct rt_blob_entry e;
		unsigned kind;

		rt_blob_get(&b, i, &e);
		kind = e.flags & RT_BLOB_KIND_MASK;
		if ((const unsigned char *)e.name < data ||
		    (const unsigned char *)e.name + e.name_len >= end)
			BROKEN("entry %u: its name leaves the blob", i);
		touch((const unsigned char *)e.name, (size_t)e.name_len + 1);
		if (e.name_len == 0 || e.name[e.name_len] != '\0' ||
		    memchr(e.name, '\0', e.name_len))
			BROKEN("entry %u: its name is not a NUL-terminated string of its length", i);
		if (kind < RT_BLOB_MODULE || kind > RT_BLOB_METADATA)
			BROKEN("entry %u: kind %u accepted", i, kind);
		if (e.data < data || e.data > end || e.data_len > (size_t)(end - e.data))
			BROKEN("entry %u: its payload leaves the blob", i);
		touch(e.data, e.data_len);
		if (prev_end && e.data < prev_end)
			BROKEN("entry %u: its payload overlaps the previous entry's", i);
		prev_end = e.data + e.data_len;
		if (e.source) {
			if (!(e.flags & RT_BLOB_SOURCE))
				BROKEN("entry %u: a source without the flag", i);
			if (e.source < prev_end || e.source > end ||
			    e.source_len > (size_t)(end - e.source))
				BROKEN("entry %u: its source overlaps its code or leaves the blob", i);
			touch(e.source, e.source_len);
			prev_end = e.source + e.source_len;
		} else if (e.source_len) {
			BROKEN("entry %u: a source length without a source", i);
		}
		/* its payloads' checksum, as the importer verifies it before use */
		uint32_t crc = ref_crc32c(0, e.data, e.data_len);
		if (e.source)
			crc = ref_crc32c(crc, e.source, e.source_len);
		int verified = rt_blob_verify(&e);
		if (verified != (crc == e.crc ? 0 : -1))
			BROKEN("entry %u ('%s'): rt_blob_verify says %d; its payloads' CRC-32C is "
			       "%#x, %#x recorded", i, e.name, verified, crc, e.crc);
		if (expect_valid && verified != 0) {
			fprintf(stderr, "fuzz_blob: entry %u ('%s') of a seed that must be valid "
			        "fails its checksum\n", i, e.name);
			abort();
		}
		if ((e.flags & RT_BLOB_ZSOURCE) &&
		    (kind != RT_BLOB_MODULE || !e.source || e.source_len < RT_BLOB_ZSOURCE_MIN))
			BROKEN("entry %u: a compressed source that is not a module's of %u bytes "
			       "or more accepted", i, RT_BLOB_ZSOURCE_MIN);
		/* a verified source, as a reader takes it: inflated when compressed
		 * (to exactly its recorded size, or refused), else in place */
		if (verified == 0 && e.source) {
			const unsigned char *src;
			uint32_t len;
			void *owned;
			if (rt_blob_source(&e, &src, &len, &owned) == 0) {
				if (!(e.flags & RT_BLOB_ZSOURCE) ? owned || src != e.source ||
				    len != e.source_len : !owned || len != rt_blob_source_size(&e))
					BROKEN("entry %u: rt_blob_source gave %u bytes, %s", i, len,
					       owned ? "inflated" : "in place");
				touch(src, len);
				free(owned);
			} else if (!(e.flags & RT_BLOB_ZSOURCE) || owned) {
				BROKEN("entry %u: rt_blob_source failed on a plain source, or left a "
				       "copy", i);
			} else if (expect_valid) {
				fprintf(stderr, "fuzz_blob: entry %u ('%s') of a seed that must be "
				        "valid does not inflate\n", i, e.name);
				abort();
			}
		}
		if ((e.flags & RT_BLOB_ZCODE) &&
		    (kind != RT_BLOB_MODULE || (e.flags & (RT_BLOB_NAMESPACE | RT_BLOB_FROZEN)) ||
		     e.data_len < RT_BLOB_ZSOURCE_MIN))
			BROKEN("entry %u: compressed code that is not a module's of %u bytes or "
			       "more accepted", i, RT_BLOB_ZSOURCE_MIN);
		/* verified code, as the importer takes it: inflated when compressed
		 * (to exactly its recorded size, or refused), else in place */
		if (verified == 0 && kind == RT_BLOB_MODULE) {
			const unsigned char *code;
			uint32_t len;
			void *owned;
			if (rt_blob_code(&e, &code, &len, &owned) == 0) {
				if (!(e.flags & RT_BLOB_ZCODE) ? owned || code != e.data ||
				    len != e.data_len : !owned || len <= e.data_len)
					BROKEN("entry %u: rt_blob_code gave %u bytes, %s", i, len,
					       owned ? "inflated" : "in place");
				touch(code, len);
				free(owned);
			} else if (!(e.flags & RT_BLOB_ZCODE) || owned) {
				BROKEN("entry %u: rt_blob_code failed on plain code, or left a copy", i);
			} else if (expect_valid) {
				fprintf(stderr, "fuzz_blob: entry %u ('%s') of a seed that must be "
				        "valid does not inflate its code\n", i, e.name);
				abort();
			}
		}
		if ((e.flags & RT_BLOB_NAMESPACE) && (e.data_len || e.source))
			BROKEN("entry %u: a namespace package with a payload accepted", i);
		if ((e.flags & RT_BLOB_FROZEN) &&
		    (kind != RT_BLOB_MODULE || (e.flags & RT_BLOB_NAMESPACE) || e.data_len))
			BROKEN("entry %u: a deep-frozen entry that is not a module without code "
			       "accepted", i);
		if (i > 0) {
			struct rt_blob_entry p;
			rt_blob_get(&b, i - 1, &p);
			if (key_cmp(p.flags & RT_BLOB_KIND_MASK, p.name, p.name_len, kind, e.name,
			            e.name_len) >= 0)
				BROKEN("entry %u is not after entry %u", i, i - 1);
		}
		if (rt_blob_find(&b, kind, e.name, e.name_len) != i)
			BROKEN("entry %u ('%s') is not found at its index", i, e.name);
		if (rt_blob_lower_bound(&b, kind, e.name, e.name_len) != i)
			BROKEN("entry %u ('%s'): lower_bound disagrees", i, e.name);
		/* its name under the other kinds, and cut short */
		if (b.count <= 4096 || i % 64 == 0) {
			for (unsigned k = 0; k <= 4; k++)
				if (k != kind)
					lookup(&b, k, e.name, e.name_len);
			if (e.name_len > 1)
				lookup(&b, kind, e.name, e.name_len - 1);
		}
	}

	static const char *const names[] = {
		"", "json", "json.decoder", "encodings", "encodings.utf_8", "__pyweld_main__",
		"_pyweld_resources", "zope", "a", "\x7f", "\xc3\xa9", "\xff\xff\xff\xff",
	};
	if (b.count <= 4096) {
		for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
			for (unsigned k = 0; k <= 4; k++)
				lookup(&b, k, names[n], strlen(names[n]));
		/* the input's own last bytes as a name (NULs included) */
		size_t len = size < 24 ? size : 24;
		lookup(&b, RT_BLOB_MODULE, (const char *)end - len, len);
		lookup(&b, RT_BLOB_RESOURCE, (const char *)end - len, len);
	}
}

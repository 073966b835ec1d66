/*
 * blob.h: the resource blob welded into every binary: modules, package
 * resources and distribution metadata, read in place from the mapped
 * executable.  Shared by the writer (inittab-gen) and the reader
 * (runtime); plain C, no Python.
 *
 * FORMAT (version 4; docs/blob.md says the same).  All integers are
 * little-endian; offsets are from the start of the blob.
 *
 *   header (64 bytes)
 *     0   char[8]  magic "PYWELDB\x01"
 *     8   u32      version (4)
 *     12  u32      header size (64)
 *     16  u64      total size of the blob
 *     24  u32      number of entries (N)
 *     28  u32      CRC-32C of the index and the names areas
 *     32  u64      index offset        N entries of 40 bytes, sorted
 *     40  u64      names offset        entry names, each NUL-terminated;
 *                                      right after the index (index + N * 40)
 *     48  u64      names size
 *     56  u64      data offset         payloads, in index order
 *
 *   entry (40 bytes)
 *     0   u32      name offset (from the names offset)
 *     4   u32      name length (without its NUL)
 *     8   u32      flags: kind in the low 4 bits (1 module, 2 resource,
 *                  3 metadata file), 0x10 package, 0x20 namespace
 *                  package, 0x40 source present, 0x80 deep-frozen
 *                  (a module whose code is linked into the binary as C
 *                  data, runtime/rt.h's rt_frozen_code: no code payload),
 *                  0x100 source compressed (with 0x40, modules only: the
 *                  second payload is the u32 size of the source, then
 *                  the source as one zlib stream; at least 12 bytes),
 *                  0x200 code compressed (modules with code only, not
 *                  deep-frozen: the first payload is the u32 size of
 *                  the marshalled code, then the code as one zlib
 *                  stream; at least 12 bytes)
 *     12  u32      CRC-32C of the entry's payloads (first, then second)
 *     16  u64      first payload offset   module: marshalled code
 *                                         (no .pyc header); resource and
 *                                         metadata: the file's bytes
 *     24  u32      first payload size
 *     28  u32      second payload size    module: its source (UTF-8)
 *     32  u64      second payload offset
 *
 * Entries are sorted by (kind, name) bytewise, so a lookup is a binary
 * search.  Payloads lie in index order without overlap: each entry's first
 * payload starts at or after the end of the previous entry's payloads and
 * its second payload after its first.  Checksums: rt_blob_check() verifies
 * the index's at start-up (it is small); an entry's payloads are verified
 * (rt_blob_verify) when they are first used, so a damaged module or resource
 * is reported, never run or returned.  Module names are dotted
 * ("json.decoder"); resource and metadata names are paths relative to the
 * root of the import tree ("markupsafe/py.typed",
 * "MarkupSafe-2.1.5.dist-info/METADATA").  A namespace package has no
 * payload, and a deep-frozen module no first payload.  rt_blob_check()
 * verifies all of this before anything is used, and refuses a blob of any
 * other version, so the writer and the reader agree on every flag.
 *
 * A compressed source's checksum is over the bytes stored (size and zlib
 * stream), so a damaged one is reported before it is inflated; one that
 * then does not inflate to exactly its recorded size is damaged too.  The
 * writer compresses a source only when that makes it smaller, so the
 * recorded size is always above the stored one.  Version 3 had no 0x100
 * flag: every source was stored as it is.  A compressed code payload
 * (0x200) follows the same rules; the writer stores that way the code of
 * modules a binary does not import as it starts.  0x200 came within
 * version 4: a reader without it refuses such a blob as having unknown
 * flags, never misreads it.
 */
#ifndef PYWELD_BLOB_H
#define PYWELD_BLOB_H

#include <stddef.h>
#include <stdint.h>

#define RT_BLOB_MAGIC "PYWELDB\x01"
#define RT_BLOB_VERSION 4u
#define RT_BLOB_HEADER_SIZE 64u
#define RT_BLOB_ENTRY_SIZE 40u
/* The smallest compressed source or code: its u32 size and an empty zlib
 * stream. */
#define RT_BLOB_ZSOURCE_MIN 12u

enum rt_blob_kind {
	RT_BLOB_MODULE = 1,
	RT_BLOB_RESOURCE = 2,
	RT_BLOB_METADATA = 3,
};

enum rt_blob_flags {
	RT_BLOB_KIND_MASK = 0x0f,
	RT_BLOB_PACKAGE = 0x10,
	RT_BLOB_NAMESPACE = 0x20,
	RT_BLOB_SOURCE = 0x40,
	RT_BLOB_FROZEN = 0x80,
	RT_BLOB_ZSOURCE = 0x100,
	RT_BLOB_ZCODE = 0x200,
};

/* One entry, decoded. */
struct rt_blob_entry {
	const char *name;       /* NUL-terminated, inside the blob */
	uint32_t name_len;
	uint32_t flags;
	const unsigned char *data;      /* code or file bytes, as stored */
	uint32_t data_len;              /* stored bytes (RT_BLOB_ZCODE: compressed) */
	const unsigned char *source;    /* NULL when absent; as stored */
	uint32_t source_len;            /* stored bytes (RT_BLOB_ZSOURCE: compressed) */
	uint32_t crc;                   /* of data then source */
};

struct rt_blob {
	const unsigned char *base;
	uint64_t size;
	uint32_t count;
	const unsigned char *index;
	const char *names;
	uint64_t names_size;
};

/*
 * Checks a blob completely (header, bounds, names, order, payload ranges)
 * and fills b.  Returns 0, or -1 with a message in err.
 */
int rt_blob_check(struct rt_blob *b, const void *data, uint64_t size, char *err,
                  size_t errlen);
/* CRC-32C (Castagnoli) of a buffer, continuing from crc (0 to start). */
uint32_t rt_crc32c(uint32_t crc, const void *p, size_t n);
/* 0 when entry e's payloads have their recorded checksum, else -1. */
int rt_blob_verify(const struct rt_blob_entry *e);
/*
 * The size of entry e's source as a reader sees it: source_len, or for a
 * compressed source the size its payload records (read, not verified).
 */
uint32_t rt_blob_source_size(const struct rt_blob_entry *e);
/*
 * Entry e's source as it was packed, its payloads verified by the caller
 * (rt_blob_verify): *src points into the blob, or for a compressed source
 * to an inflated copy that *owned also holds and the caller frees (*owned
 * NULL otherwise); *len its size.  Returns 0, or -1 with errno: EIO for a
 * compressed source that does not inflate to its recorded size (damage),
 * ENOMEM, or ENOSYS when zlib is not linked into the program.
 */
int rt_blob_source(const struct rt_blob_entry *e, const unsigned char **src, uint32_t *len,
                   void **owned);
/* How many compressed sources rt_blob_source has inflated in this process
 * (none while a binary starts: only readers of a source inflate it). */
unsigned long rt_blob_inflated(void);
/*
 * Module entry e's marshalled code, its payloads verified by the caller:
 * as rt_blob_source, for the first payload and the RT_BLOB_ZCODE flag
 * (*owned, when not NULL, is the inflated copy the caller frees).
 */
int rt_blob_code(const struct rt_blob_entry *e, const unsigned char **code, uint32_t *len,
                 void **owned);
/* How many compressed code payloads rt_blob_code has inflated. */
unsigned long rt_blob_code_inflated(void);
/* Entry i (0 <= i < b->count) of a checked blob. */
void rt_blob_get(const struct rt_blob *b, uint32_t i, struct rt_blob_entry *e);
/*
 * Finds (kind, name) in a checked blob: its index, or -1.  For a prefix
 * search, rt_blob_lower_bound gives the first index not below (kind, name).
 */
int64_t rt_blob_find(const struct rt_blob *b, unsigned kind, const char *name,
                     size_t len);
uint32_t rt_blob_lower_bound(const struct rt_blob *b, unsigned kind,
                             const char *name, size_t len);

#endif

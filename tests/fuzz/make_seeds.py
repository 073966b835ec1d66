#!/usr/bin/env python3
"""Writes the hand-made seeds of the blob fuzzer (tests/fuzz/corpus/).

    python3 tests/fuzz/make_seeds.py tests/fuzz/corpus

  empty.blob  a blob of no entries: the header alone;
  tiny.blob   every kind and flag once: a package with source, a module
              without, a namespace package, a deep-frozen module (source,
              no code), a module whose source is compressed (its size,
              then zlib), a binary resource, an empty resource and a
              metadata file, laid out as inittab-gen/pack.c
              lays them (names after the index, payloads from a 16-byte
              boundary, in index order).

The third seed, pw_resources.blob, comes from pyweld's own packer: the
modules.blob of a weld of the test package tests/integration/packages/
pw_resources with everything else left out (the default weld's blob holds
the standard library, ~22 MB: too large to mutate at speed, and run_fuzz.sh
caps inputs at 64 KB; the ctest test still checks that one in phase 1):

    W=/tmp/pyweld-seed/W
    pyweld build --setup-py tests/integration/packages/pw_resources \\
        --exclude-module '^(?!pw_)' --exclude-resource '^(?!pw_)' \\
        --keep-work --work-dir $W -o /tmp/pyweld-seed/app
    cp $W/modules.blob tests/fuzz/corpus/pw_resources.blob

(about 27 KB, 23 entries, 7 of their sources compressed; its
direct_url.json names $W).  Rebuild it when the format changes: run_fuzz.sh
wants every seed accepted as it is.

Output is deterministic; the format is runtime/blob.h's, version 4: the
header records the CRC-32C of the index and names areas, each entry the
CRC-32C of its payloads (code then source).
"""
import os
import struct
import sys
import zlib

MODULE, RESOURCE, METADATA = 1, 2, 3
PACKAGE, NAMESPACE, SOURCE, FROZEN, ZSOURCE, ZCODE = 0x10, 0x20, 0x40, 0x80, 0x100, 0x200
VERSION = 4


# One CRC-32C for every test of the blob: blob_testlib's.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from blob_testlib import crc32c  # noqa: E402

assert crc32c(b"123456789") == 0xE3069283
assert crc32c(bytes(32)) == 0x8A9136AA


def blob(entries):
    """entries: (flags, name, data, source or None), in any order."""
    entries = sorted(entries, key=lambda e: (e[0] & 0x0F, e[1].encode()))
    index_off = 64
    names_off = index_off + 40 * len(entries)
    names = b""
    noffs = []
    for _, name, _, _ in entries:
        noffs.append(len(names))
        names += name.encode() + b"\0"
    data_off = (names_off + len(names) + 15) & ~15
    payload = b""
    index = b""
    for (flags, name, data, source), noff in zip(entries, noffs):
        aoff = data_off + len(payload)
        payload += data
        boff, blen = 0, 0
        if source is not None:
            flags |= SOURCE
            boff = data_off + len(payload)
            blen = len(source)
            payload += source
        crc = crc32c(data + (source if source is not None else b""))
        index += struct.pack("<IIIIQIIQ", noff, len(name.encode()), flags, crc, aoff,
                             len(data), blen, boff)
    total = data_off + len(payload)
    header = b"PYWELDB\x01" + struct.pack("<IIQIIQQQQ", VERSION, 64, total, len(entries),
                                           crc32c(index + names), index_off, names_off,
                                           len(names), data_off)
    out = header + index + names
    out += b"\0" * (data_off - len(out))
    out += payload
    assert len(out) == total
    return out


ZIPPED = b"".join(b"line %d = 'the same words again and again'\n" % i for i in range(20))


def zipped(source):
    """A source (or code) as pack.c stores it compressed: its u32 size, then
    zlib."""
    return struct.pack("<I", len(source)) + zlib.compress(source, 9)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                             "corpus")
    os.makedirs(out, exist_ok=True)
    seeds = {
        "empty.blob": blob([]),
        "tiny.blob": blob([
            (MODULE | PACKAGE, "pkg", b"\xe3code-of-pkg", b"'''pkg'''\n"),
            (MODULE, "pkg.mod", b"\xe3code-of-pkg.mod", None),
            (MODULE | NAMESPACE, "ns", b"", None),
            (MODULE, "ns.sub", b"\xe3code", b"x = 1\n"),
            (MODULE | FROZEN, "pkg.frozen", b"", b"y = 2\n"),
            (MODULE | ZSOURCE, "pkg.zipped", b"\xe3code-of-pkg.zipped", zipped(ZIPPED)),
            (MODULE | ZCODE, "pkg.zcode", zipped(b"\xe3" + ZIPPED), None),
            (RESOURCE, "pkg/data/blob.bin", bytes(range(256)), None),
            (RESOURCE, "pkg/empty.txt", b"", None),
            (METADATA, "pkg-1.0.dist-info/METADATA",
             b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n", None),
        ]),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()

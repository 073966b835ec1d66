"""Helpers shared by the in-memory importer's integration tests (blob_*.py).

The tests share ONE weld, made by the ctest fixture test blob_weld
(blob_weld.py): the test package tests/integration/packages/pw_resources
built with `pyweld build --setup-py DIR --keep-work`, no entry point (the
binary behaves like `python`, so each case runs its own code with -c).  The
fixture's directory (--app DIR) holds:

  weld.json          what the cases need to know (paths below, the
                     distribution's prefix and standard library)
  src/pw_resources/  the copy of the package that was built
  bin/app            the binary, alone in its directory
  work/              the kept work directory: modules.blob, venv/ (the
                     package installed as pip installed it: the stock
                     interpreter's view to compare with)

Every case runs in its own temporary directory with a scrubbed environment
(weld_testlib.Case); the directory is removed when the case passes and kept,
its path printed, when it fails.  A case records every failed check and goes
on, so one run reports all that is wrong.

Exit status of the scripts: 0 passed, 1 failed, 77 skipped (a prerequisite
is truly absent, said why), 2 usage.
"""

import argparse
import base64
import json
import os
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402

SKIP = wt.SKIP
Failure = wt.Failure
Skip = wt.Skip

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_SRC = os.path.join(HERE, "packages", "pw_resources")

# --- the blob inside a binary ----------------------------------------------

MAGIC = b"PYWELDB\x01"
VERSION = 4                     # RT_BLOB_VERSION (runtime/blob.h)
MODULE, RESOURCE, METADATA = 1, 2, 3
PACKAGE, NAMESPACE, SOURCE, FROZEN, ZSOURCE = 0x10, 0x20, 0x40, 0x80, 0x100


def find_blob(data):
    """(file offset, size) of the module blob in a binary's bytes.

    The writer asks for a section .rodata.pyweld_blob, but the linker merges
    it into .rodata, so readelf -S does not name it: the blob is found by its
    header, the magic followed by version 4 and header size 64 and a total
    size that fits in the file (the runtime's own copy of the magic, a
    string constant, is not followed by those).
    """
    i = data.find(MAGIC)
    found = []
    while i >= 0:
        version, hsize, total = struct.unpack_from("<IIQ", data, i + 8)
        if version == VERSION and hsize == 64 and 64 <= total <= len(data) - i:
            found.append((i, total))
        i = data.find(MAGIC, i + 1)
    if len(found) != 1:
        raise Failure(f"expected one blob header in the binary, found {len(found)}: {found}")
    return found[0]


def parse_blob(blob):
    """The entries of a blob: a list of dicts in index order (no checks:
    the runtime's reader does those).  crc is the index checksum recorded in
    the header, each entry's crc its payloads'."""
    count, crc = struct.unpack_from("<II", blob, 24)
    index, names, names_size, data = struct.unpack_from("<QQQQ", blob, 32)
    out = []
    for i in range(count):
        noff, nlen, flags, ecrc, aoff, alen, blen, boff = struct.unpack_from(
            "<IIIIQIIQ", blob, index + 40 * i)
        out.append({"i": i, "name": blob[names + noff:names + noff + nlen].decode("utf-8"),
                    "kind": flags & 0x0F, "flags": flags, "entry": index + 40 * i,
                    "name_off": names + noff, "aoff": aoff, "alen": alen, "boff": boff,
                    "blen": blen, "crc": ecrc})
    return {"count": count, "crc": crc, "index": index, "names": names,
            "names_size": names_size, "data": data, "entries": out}


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli) of data, continuing from crc (rt_crc32c)."""
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def index_crc(blob):
    """The index checksum a blob (bytes, with its header's offsets) should
    record: the CRC-32C of [index offset, names offset + names size)."""
    index, names, names_size = struct.unpack_from("<QQQ", blob, 32)
    return crc32c(blob[index:names + names_size])


def reseal(blob):
    """blob (bytes) with its index checksum recomputed: for a test that
    alters the index or the names to exercise a structural check, so that
    the structural check, not the checksum, is what refuses it."""
    out = bytearray(blob)
    struct.pack_into("<I", out, 28, index_crc(blob))
    return bytes(out)


def blob_entries(exe):
    """A welded binary's bytes, its blob's offset in them, the blob, and its
    entries by (kind, name)."""
    with open(exe, "rb") as f:
        data = f.read()
    off, size = find_blob(data)
    blob = data[off:off + size]
    by = {(e["kind"], e["name"]): e for e in parse_blob(blob)["entries"]}
    return data, off, blob, by


def flipped_copy(c, exe, name, at, entry=None):
    """A copy of exe, at <case>/bin/<name>, with the byte at offset at of its
    blob flipped; given entry (one of blob_entries'), that entry's checksum
    and the index's are recomputed over the flipped bytes, so that only
    what lies beyond the checksums can catch it."""
    data, off, blob, _ = blob_entries(exe)
    out = bytearray(blob)
    out[at] ^= 0x10
    if entry is not None:
        e = entry
        payload = bytes(out[e["aoff"]:e["aoff"] + e["alen"]])
        if e["blen"]:
            payload += bytes(out[e["boff"]:e["boff"] + e["blen"]])
        struct.pack_into("<I", out, e["entry"] + 12, crc32c(payload))
        out = bytearray(reseal(bytes(out)))
    path = c.path("bin", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data[:off] + bytes(out) + data[off + len(blob):])
    os.chmod(path, 0o755)
    return path


def result_of(c, exe, *argv, timeout=300):
    """Runs exe with argv; the JSON of its one "@@" line."""
    p = c.run([exe, *argv], env=c.run_env, timeout=timeout)
    c.require(p.returncode == 0, f"'{os.path.basename(exe)} {' '.join(argv)}' exited "
              f"{p.returncode}:\n{wt.tail(p.err)}")
    lines = [l for l in p.out.splitlines() if l.startswith("@@")]
    c.require(len(lines) == 1, f"no result line from the binary:\n{wt.tail(p.out + p.err)}")
    return json.loads(lines[0][2:])


# --- the fixture ------------------------------------------------------------

def save_weld(c, out, info, keys):
    """The fixture's end: info written as out/weld.json (renamed into place)
    and the case directory c removed, once each path info names under keys
    exists; False, the missing one printed and c kept for its log, when one
    does not."""
    for key in keys:
        if not info[key] or not os.path.exists(info[key]):
            print(f"FAIL: the weld has no {key} ('{info[key]}'); its log: {c.dir}")
            return False
    with open(os.path.join(out, "weld.json.tmp"), "w") as f:
        json.dump(info, f, indent=1)
    os.rename(os.path.join(out, "weld.json.tmp"), os.path.join(out, "weld.json"))
    shutil.rmtree(c.dir, ignore_errors=True)
    return True


def strace_or_skip(c):
    """strace's path, once it traced `true` in case c; Skip, saying why, when
    it is not installed or cannot trace here (a container without ptrace)."""
    strace = shutil.which("strace")
    if not strace:
        raise Skip("strace is not installed (apt-get install strace)")
    probe = c.run([strace, "-f", "-o", os.devnull, "true"], timeout=60)
    if probe.returncode != 0:
        raise Skip(f"strace cannot trace here: {probe.err.strip()[:300]}")
    return strace


class Weld:
    """The fixture's weld, from its weld.json."""

    def __init__(self, app_dir):
        path = os.path.join(app_dir, "weld.json")
        if not os.path.isfile(path):
            raise Failure(f"no weld at '{app_dir}' (the fixture test blob_weld makes it)")
        with open(path) as f:
            self.info = json.load(f)
        self.dir = app_dir
        self.exe = self.info["exe"]
        self.src = self.info["src"]
        self.work = self.info["work"]
        self.prefix = self.info["prefix"]
        self.stdlib = self.info["stdlib"]
        self.python = self.info["python"]
        self.venv_python = os.path.join(self.work, "venv", "bin", "python")
        self.site = self.info["site"]
        self.dist = self.info["dist"]
        if not os.access(self.exe, os.X_OK):
            raise Failure(f"the fixture's binary '{self.exe}' is missing")

    def dist_key(self):
        """Names the distribution the weld was made from (its path and the
        time its COMPLETE mark was written)."""
        mark = os.path.join(self.dist, "COMPLETE")
        return f"{self.dist}@{os.stat(mark).st_mtime_ns if os.path.exists(mark) else 0}"


PRELUDE = r'''
import base64 as _b64, json as _json, sys as _sys, traceback as _tb
_out = {}
def obs(key, fn):
    """Records fn()'s value (bytes as base64), or the exception it raised."""
    try:
        v = fn()
        if isinstance(v, (bytes, bytearray)):
            v = {"bytes": _b64.b64encode(bytes(v)).decode()}
        _out[key] = v
    except BaseException as e:
        _out[key] = {"raised": type(e).__name__, "message": str(e),
                     "traceback": _tb.format_exc()}
'''

EPILOGUE = r'''
print("@@OBSERVED@@" + _json.dumps(_out, default=repr))
'''


def b(data):
    """The form in which an observed bytes value arrives."""
    return {"bytes": base64.b64encode(data).decode()}


def raised(value, exc=None):
    """True when an observed value is an exception (of type name exc)."""
    return isinstance(value, dict) and "raised" in value and (
        exc is None or value["raised"] == exc)


def show(value):
    if isinstance(value, dict) and "bytes" in value:
        data = base64.b64decode(value["bytes"])
        return f"{len(data)} bytes {data[:60]!r}{'...' if len(data) > 60 else ''}"
    if raised(value):
        return f"raised {value['raised']}: {value['message']}\n{value['traceback']}"
    text = repr(value)
    return text if len(text) < 600 else text[:600] + "..."


class BlobCase(wt.Case):
    """A weld_testlib.Case with the fixture's weld at hand."""

    def __init__(self, name, args, prefix, weld):
        super().__init__(name, args, prefix)
        self.weld = weld

    def app(self, *argv, env=None, cwd=None, timeout=120):
        return self.run([self.weld.exe, *argv], env=env or self.run_env, cwd=cwd,
                        timeout=timeout)

    def observe(self, code, *argv, env=None, cwd=None):
        """Runs code in the binary (python mode, -c) with obs() at hand and
        returns what it observed; the exit status must be 0."""
        p = self.app("-c", PRELUDE + code + EPILOGUE, *argv, env=env, cwd=cwd)
        lines = [l for l in p.out.splitlines() if l.startswith("@@OBSERVED@@")]
        self.require(p.returncode == 0 and lines,
                     f"the probe exited {p.returncode}:\n{wt.tail(p.out)}\n{wt.tail(p.err)}")
        return json.loads(lines[-1][len("@@OBSERVED@@"):])

    def expect(self, seen, key, want, what=None):
        """seen[key] must equal want (bytes compared as bytes)."""
        got = seen.get(key, {"raised": "KeyError", "message": "not observed",
                             "traceback": ""})
        if isinstance(want, (bytes, bytearray)):
            want = b(bytes(want))
        return self.check(got == want, f"{what or key}:\n    got:    "
                          + show(got).replace("\n", "\n    ")
                          + "\n    wanted: " + show(want).replace("\n", "\n    "))

    def expect_raises(self, seen, key, exc, what=None):
        got = seen.get(key)
        excs = (exc,) if isinstance(exc, str) else tuple(exc)
        return self.check(raised(got) and got["raised"] in excs,
                          f"{what or key}: wanted {' or '.join(excs)}, got {show(got)}")

    def src_bytes(self, *parts):
        with open(os.path.join(self.weld.src, *parts), "rb") as f:
            return f.read()

    def src_text(self, *parts):
        return self.src_bytes(*parts).decode("utf-8")


def main(doc, cases, prefix, needs_weld=True):
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--pyweld", help="the pyweld executable")
    ap.add_argument("--app", help="the fixture's directory (blob_weld.py makes it)")
    ap.add_argument("--list", action="store_true", help="list the cases")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    ap.add_argument("--python", help="the CPython version welded (X.Y; default 3.11)")
    ap.add_argument("cases", nargs="*", help="cases to run (default: all)")
    args = ap.parse_args()
    if args.list:
        for name, fn in cases.items():
            print(f"{name:26} {fn.__doc__.strip().splitlines()[0]}")
        return 0
    if not args.pyweld or (needs_weld and not args.app):
        ap.error("--pyweld and --app are required")
    unknown = [n for n in args.cases if n not in cases]
    if unknown:
        ap.error(f"unknown case(s): {', '.join(unknown)} (see --list)")
    args.pyweld = os.path.abspath(args.pyweld)
    cache, dist = wt.distribution_cache(args.pyweld, args.python)
    if not cache:
        print(f"SKIP: no pyweld distribution ({dist}); run 'pyweld python build' first")
        return SKIP
    args.cache = cache
    args.dist = dist
    try:
        weld = Weld(os.path.abspath(args.app)) if needs_weld else None
    except Failure as e:
        print(f"FAIL: {e}")
        return 1
    return wt.run_cases(args.cases or list(cases),
                        lambda name: BlobCase(name, args, prefix, weld),
                        lambda name, c: cases[name](c), args.keep)

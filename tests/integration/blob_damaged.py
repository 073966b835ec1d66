#!/usr/bin/env python3
"""A welded binary whose module blob was altered or cut short is refused, never run.

Each case copies the fixture's binary (blob_weld.py), damages the copy in
one way and runs it (`COPY -c 'import json, pw_resources; ...'`).  The blob
is found in the file by its header (the linker merges the section
.rodata.pyweld_blob into .rodata, so `readelf -S` does not name it; see
blob_testlib.find_blob) and read with blob_testlib.parse_blob to aim at
exact fields.  Format version 4 (runtime/blob.h): the header records the
CRC-32C of the index and names areas, checked at start-up; each entry the
CRC-32C of its payloads, checked when the entry is first used.  What a
damaged copy must do (docs/blob.md, runtime/blob.h):

  - damage the start-up check sees (the header, the index, the names, or
    the payload of a module imported while the interpreter starts):
      exit status 1 (not a signal, not Python's fatal error or a traceback),
      nothing on stdout, and on stderr first
        COPY: error: the modules inside 'COPY' are damaged: REASON
      with the hint to "rebuild it with pyweld build" (on that line or the
      next).  An altered index or names area fails its checksum (REASON
      "the index fails its checksum"); the same change with the checksum
      recomputed ("resealed", as a careful forger would) is refused by the
      structural check aimed at (REASON says what is wrong); a damaged
      start-up module is named: "encodings fails its checksum" (with a
      distribution that does not deep-freeze encodings);
  - a damaged payload used after start-up (a module the program imports, a
    resource it reads): the import raises ImportError naming the entry, "the
    binary's copy of NAME is damaged (it fails its checksum); rebuild the
    binary"; a resource read by its path under the binary (as
    importlib.resources.files() gives it: runtime/fileview.c) fails with
    OSError EIO naming that path, as a damaged disk's file would; uncaught,
    exit 1 with its traceback; the program never gets past it (nothing on
    stdout), and no fatal error.  A
    standard-library module whose code is deep-frozen (the distribution's
    copy, linked in) is imported without reading its entry: damage there
    goes unread, and the program runs;
  - a file cut short inside its loaded segments is refused by the kernel
    before main runs (a known limitation: no message can be printed); the
    application must not run.

Cases:
  intact            control: an unaltered copy runs (and so does one that
                    went through `strip`, which keeps the blob)
  header_magic      the magic's first byte flipped
  header_size       the recorded total size changed
  header_count      the number of entries made larger than the index holds
  index_checksum    every byte of the recorded index checksum altered
  index_offset      an entry's payload offset pointed into the previous one
  index_kind        an entry's kind made unknown
  index_order       two neighbouring entries' names swapped (unsorted)
  names_nul         a NUL put inside an entry's name
                    (the four above: unsealed, then resealed)
  payload_startup   bytes flipped inside the code of the first module
                    start-up takes from the blob; skipped when there is
                    none (the distribution deep-freezes encodings, so the
                    default one has none)
  payload_resource  one byte of a packed resource (pw_resources/data/
                    blob.bin) flipped: reading it by its path fails with EIO
  payload_source    one byte of pw_resources's source flipped: importing it
                    raises ImportError (the checksum covers code and source)
  payload_random    single bits flipped at 12 fixed places spread over the
                    code of modules served from the blob, imported at
                    start-up (refused then) or by the program (ImportError);
                    a deep-frozen module's entry has no code: a bit of its
                    source is flipped, and the program runs
  truncated         the file cut in the middle of the blob: the kernel
                    refuses it; the application does not run

    blob_damaged.py --pyweld build/bin/pyweld --app DIR [--keep] [CASE...]
"""
import json
import os
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blob_testlib as bt  # noqa: E402
import weld_testlib as wt  # noqa: E402

PROGRAM = ("import json, pw_resources, importlib.resources as r; "
           "data = (r.files('pw_resources') / 'data' / 'blob.bin').read_bytes(); "
           "print('ran', json.dumps([pw_resources.add(2, 3), len(data), sum(data)]))")
HINT = "rebuild it with pyweld build"


class Damage:
    """The fixture's binary read once; copies damaged on request."""

    def __init__(self, c):
        with open(c.weld.exe, "rb") as f:
            self.data = f.read()
        self.off, self.size = bt.find_blob(self.data)
        self.blob = self.data[self.off:self.off + self.size]
        self.parsed = bt.parse_blob(self.blob)
        self.by_name = {(e["kind"], e["name"]): e for e in self.parsed["entries"]}
        self.c = c

    def entry(self, kind, name):
        e = self.by_name.get((kind, name))
        self.c.require(e is not None, f"no entry ({kind}, '{name}') in the blob")
        return e

    def copy(self, name, edits=(), truncate=None):
        """Writes a copy with edits [(offset in the blob, bytes)] applied."""
        data = bytearray(self.data)
        for off, new in edits:
            data[self.off + off:self.off + off + len(new)] = new
        if truncate is not None:
            del data[truncate:]
        path = self.c.path("bin", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o755)
        return path


def flip(blob, off, mask=0xFF):
    return (off, bytes([blob[off] ^ mask]))


def sealed(d, edits):
    """edits, plus the header's index checksum recomputed over the edited
    blob: so that a structural check, not the checksum, refuses it."""
    blob = bytearray(d.blob)
    for off, new in edits:
        blob[off:off + len(new)] = new
    return list(edits) + [(28, struct.pack("<I", bt.index_crc(bytes(blob))))]


CHECKSUM = "the index fails its checksum"


def expect_refused_both(c, d, edits, what, reasons):
    """Unsealed, the edits fail the index checksum; resealed, the structural
    check refuses them for one of reasons."""
    expect_refused(c, d.copy("app-unsealed", edits), f"{what} (unsealed)", [CHECKSUM])
    expect_refused(c, d.copy("app-resealed", sealed(d, edits)), f"{what} (resealed)",
                   reasons)


def expect_refused(c, path, what, reasons=()):
    """path must stop with the damaged message (one of reasons in it)."""
    p = c.run([path, "-c", PROGRAM], env=c.run_env, cwd=c.dir, timeout=60)
    lines = p.err.splitlines()
    first = lines[0] if lines else ""
    prefix = f"{path}: error: the modules inside '{path}' are damaged: "
    status = (f"killed by signal {-p.returncode}" if p.returncode < 0
              else f"exit {p.returncode}")
    ok = c.check(p.returncode == 1 and first.startswith(prefix) and HINT in p.err
                 and "Traceback" not in p.err and "Fatal Python error" not in p.err
                 and not p.out, f"{what}: wanted exit 1 and the damaged message; got "
                 f"{status}\n--- stdout\n{wt.tail(p.out, 5)}\n--- stderr\n{wt.tail(p.err, 12)}")
    if ok and reasons:
        reason = first[len(prefix):]
        c.check(any(r in reason for r in reasons), f"{what}: the reason '{reason}' does not "
                f"say {' or '.join(map(repr, reasons))}")
    if ok and not any("checksum" in r for r in reasons):
        c.check("checksum" not in first, f"{what}: refused for a checksum ('{first}'), "
                "not by the check aimed at")
    return p


def expect_import_error(c, path, what, name):
    """path must start, then fail where the program uses the damaged entry
    name: an uncaught ImportError naming it, exit 1, nothing printed by the
    program, no fatal error."""
    p = c.run([path, "-c", PROGRAM], env=c.run_env, cwd=c.dir, timeout=60)
    lines = p.err.rstrip("\n").splitlines()
    last = lines[-1] if lines else ""
    want = f"ImportError: the binary's copy of {name} is damaged (it fails its checksum)"
    status = (f"killed by signal {-p.returncode}" if p.returncode < 0
              else f"exit {p.returncode}")
    c.check(p.returncode == 1 and last.startswith(want) and "rebuild" in last
            and "Traceback (most recent call last)" in p.err
            and "Fatal Python error" not in p.err and "damaged: " not in p.err
            and not p.out, f"{what}: wanted exit 1 and an uncaught '{want}; rebuild "
            f"the binary'; got {status}\n--- stdout\n{wt.tail(p.out, 5)}\n--- stderr\n"
            f"{wt.tail(p.err, 12)}")
    return p


def expect_eio(c, path, what, name):
    """path must start, then fail where the program reads the damaged
    resource name by its path under the binary: an uncaught OSError EIO
    naming that path, exit 1, nothing printed by the program."""
    p = c.run([path, "-c", PROGRAM], env=c.run_env, cwd=c.dir, timeout=60)
    lines = p.err.rstrip("\n").splitlines()
    last = lines[-1] if lines else ""
    want = f"OSError: [Errno 5] Input/output error: '{path}/{name}'"
    status = (f"killed by signal {-p.returncode}" if p.returncode < 0
              else f"exit {p.returncode}")
    c.check(p.returncode == 1 and last == want and "Traceback (most recent call last)" in p.err
            and "Fatal Python error" not in p.err and not p.out,
            f"{what}: wanted exit 1 and an uncaught '{want}'; got {status}\n--- stdout\n"
            f"{wt.tail(p.out, 5)}\n--- stderr\n{wt.tail(p.err, 12)}")
    return p


def runs_fine(c, path, what):
    p = c.run([path, "-c", PROGRAM], env=c.run_env, cwd=c.dir, timeout=60)
    c.check(p.returncode == 0 and p.out.startswith("ran [5, 518, "),
            f"{what}: exit {p.returncode}\n{wt.tail(p.out, 5)}\n{wt.tail(p.err, 12)}")
    return p


def case_intact(c):
    """control: an unaltered copy and a stripped copy run"""
    d = Damage(c)
    runs_fine(c, d.copy("app"), "an unaltered copy")
    strip = shutil.which("strip")
    if strip:
        path = d.copy("stripped")
        p = c.run([strip, path])
        c.check(p.returncode == 0, f"strip failed: {p.err}")
        runs_fine(c, path, "a stripped copy")


def case_header_magic(c):
    """the magic's first byte flipped"""
    d = Damage(c)
    expect_refused(c, d.copy("app", [flip(d.blob, 0)]), "bad magic", ["bad magic"])


def case_header_size(c):
    """the recorded total size changed"""
    d = Damage(c)
    expect_refused(c, d.copy("app", [(16, struct.pack("<Q", d.size - 700))]),
                   "size field", ["recorded", "truncated or padded"])


def case_header_count(c):
    """more entries than the index holds"""
    d = Damage(c)
    expect_refused(c, d.copy("app", [(24, struct.pack("<I", d.parsed["count"] * 100))]),
                   "entry count", ["index", "out of bounds"])


def case_index_checksum(c):
    """every byte of the recorded index checksum altered"""
    d = Damage(c)
    for k in range(4):
        expect_refused(c, d.copy(f"app-{k}", [flip(d.blob, 28 + k, 1 << (2 * k + 1))]),
                       f"byte {k} of the index checksum", [CHECKSUM])


def case_index_offset(c):
    """an entry's payload offset pointed into the previous entry's payload"""
    d = Damage(c)
    e = d.entry(bt.MODULE, "json.decoder")
    prev = d.parsed["entries"][e["i"] - 1]
    edits = [(e["entry"] + 16, struct.pack("<Q", prev["aoff"] + 1))]
    expect_refused_both(c, d, edits, "payload offset", ["overlaps"])


def case_index_kind(c):
    """an entry's kind made unknown"""
    d = Damage(c)
    e = d.entry(bt.MODULE, "json")
    edits = [(e["entry"] + 8, struct.pack("<I", (e["flags"] & ~0x0F) | 7))]
    expect_refused_both(c, d, edits, "kind", ["unknown kind"])


def case_index_order(c):
    """two neighbouring entries' names swapped"""
    d = Damage(c)
    a = d.entry(bt.MODULE, "json.decoder")
    b = d.parsed["entries"][a["i"] + 1]
    edits = [(a["entry"], struct.pack("<II", b["name_off"] - d.parsed["names"], len(b["name"]))),
             (b["entry"], struct.pack("<II", a["name_off"] - d.parsed["names"], len(a["name"])))]
    expect_refused_both(c, d, edits, "order", ["unsorted"])


def case_names_nul(c):
    """a NUL put inside an entry's name"""
    d = Damage(c)
    e = d.entry(bt.MODULE, "json.decoder")
    expect_refused_both(c, d, [(e["name_off"] + 2, b"\0")], "NUL in a name", ["name"])


def case_payload_startup(c):
    """bytes inside the code of the first module start-up takes from the blob, flipped"""
    d = Damage(c)
    startup, _, _ = where_served(c, d)
    if not startup:
        # pydist deep-freezes encodings (docs/distribution.md, "Start-up"):
        # start-up then reads no module from the blob, and the refusal this
        # case aims at can only happen with a distribution that does not.
        raise wt.Skip("start-up takes no module from the blob (the distribution "
                      "deep-freezes encodings); payload_random covers damage after it")
    mod = startup[0]
    e = d.entry(bt.MODULE, mod)
    mid = e["aoff"] + e["alen"] // 2
    expect_refused(c, d.copy("app", [flip(d.blob, mid + k) for k in range(8)]),
                   f"the code of {mod}", [f"{mod} fails its checksum"])


def case_payload_resource(c):
    """one byte of a packed resource flipped: reading it by its path fails with EIO"""
    d = Damage(c)
    e = d.entry(bt.RESOURCE, "pw_resources/data/blob.bin")
    expect_eio(c, d.copy("app", [flip(d.blob, e["aoff"] + 100, 0x01)]),
               "a byte of pw_resources/data/blob.bin", "pw_resources/data/blob.bin")


def case_payload_source(c):
    """one byte of pw_resources's source flipped: importing it raises ImportError"""
    # The application's module: a standard-library module whose code is
    # deep-frozen does not read its entry when imported (payload_random).
    d = Damage(c)
    e = d.entry(bt.MODULE, "pw_resources")
    c.require(e["flags"] & bt.SOURCE and e["blen"] > 0, "pw_resources has no source in the "
              "blob (was the fixture welded with --no-source?)")
    expect_import_error(c, d.copy("app", [flip(d.blob, e["boff"] + e["blen"] // 2, 0x04)]),
                        "a byte of pw_resources's source", "pw_resources")


# Run by an intact copy: the modules present once the interpreter has started,
# and those the program's imports take from the blob (their loader is
# pyweld's importer, not the frozen or built-in one).
WHERE = ("import sys; startup = list(sys.modules)\n" + PROGRAM + "\n"
         "import json as _j\n"
         "import _pyweld\n"
         "blob = sorted(n for n, m in list(sys.modules.items()) if type(getattr(getattr("
         "m, '__spec__', None), 'loader', None)).__name__ == 'MemoryImporter')\n"
         "print('@@' + _j.dumps({'startup': startup, 'blob': blob, "
         "'deep': [n for n in blob if _pyweld.deep_frozen(n)]}))")


def where_served(c, d):
    """(modules start-up took from the blob, in import order; every module the
    program's imports took from it; those of them that ran deep-frozen code),
    as an intact copy reports them."""
    p = c.run([d.copy("app-intact"), "-c", WHERE], env=c.run_env, cwd=c.dir, timeout=60)
    lines = [l for l in p.out.splitlines() if l.startswith("@@")]
    c.require(p.returncode == 0 and lines, f"the intact copy exited {p.returncode}:\n"
              f"{wt.tail(p.out, 5)}\n{wt.tail(p.err, 12)}")
    where = json.loads(lines[-1][2:])
    blob = set(where["blob"])
    return [m for m in where["startup"] if m in blob], blob, set(where["deep"])


def case_payload_random(c):
    """single bits flipped at fixed places in the payloads of imported modules"""
    d = Damage(c)
    # Served from the blob, imported at start-up (if any) or by the program.
    # Not codecs, os, io, encodings ...: the distribution runs its
    # deep-frozen copies, the blob's are never used.
    mods = ["json", "json.decoder", "json.scanner", "json.encoder", "re._parser",
            "re._compiler", "pw_resources", "importlib.resources._common", "pathlib",
            "importlib.resources._adapters", "contextlib", "functools"]
    startup, blob, deep = where_served(c, d)
    startup = set(startup)
    c.require(set(mods) - deep, "every module of the case's list runs deep-frozen code: "
              "the list needs a module that is unmarshalled from the blob")
    for mod in mods:
        c.require(mod in blob, f"{mod} is not served from the blob in this program "
                  "(frozen, built-in or not imported): the case's list needs another module")
        c.require((bt.MODULE, mod) in d.by_name, f"{mod} is not in the blob")
    for n, mod in enumerate(mods):
        e = d.by_name[(bt.MODULE, mod)]
        if mod in deep:
            # Its code is the distribution's deep-frozen copy, linked in: the
            # entry holds none, and importing it reads nothing of the entry
            # (its source is read, and checked, only when asked for).
            c.check(e["flags"] & bt.FROZEN and e["alen"] == 0 and e["blen"] > 0,
                    f"{mod} runs deep-frozen code, but its entry is not flagged deep-frozen "
                    f"with a source and no code (flags {e['flags']:#x}, {e['alen']} bytes "
                    "of code)")
            start, size, part = e["boff"], e["blen"], "source"
        else:
            start, size, part = e["aoff"], e["alen"], "code"
        # a fixed, spread-out place: the n-th twelfth of the payload, one bit
        off = start + (size * (2 * n + 1)) // (2 * len(mods))
        path = d.copy(f"app-{n}", [flip(d.blob, off, 1 << (n % 8))])
        what = f"bit {n % 8} of byte {off - start} of {mod}'s {part}"
        if mod in deep:
            runs_fine(c, path, what + " (deep-frozen: unread by the import)")
        elif mod in startup:
            expect_refused(c, path, what, [f"{mod} fails its checksum"])
        else:
            expect_import_error(c, path, what, mod)
        os.remove(path)


def case_truncated(c):
    """the file cut in the middle of the blob: the application does not run"""
    # The blob lies in .rodata, inside a PT_LOAD segment: a file cut there
    # is refused by the kernel while it maps the program (execve fails with
    # EFAULT or EIO, or the process dies of SIGSEGV or SIGBUS before main),
    # so the runtime never gets to print its message.  A known, open
    # limitation: what can be promised is that nothing of the application
    # runs and the failure shows.
    d = Damage(c)
    path = d.copy("app", truncate=d.off + d.size // 2)
    try:
        p = c.run([path, "-c", PROGRAM], env=c.run_env, cwd=c.dir, timeout=60)
    except OSError as e:
        print(f"  note: execve refused the cut file: {e}")
        return
    status = (f"killed by signal {-p.returncode}" if p.returncode < 0
              else f"exit {p.returncode}")
    c.check(p.returncode != 0 and "ran" not in p.out,
            f"the cut file: wanted a failure without running the application; got "
            f"{status}\n--- stdout\n{wt.tail(p.out, 5)}\n--- stderr\n{wt.tail(p.err, 12)}")
    if p.returncode > 0:
        # the kernel let it start: then it must be the runtime's refusal
        expect_refused(c, path, "the cut file", ["truncated", "cut short"])


CASES = {
    "intact": case_intact,
    "header_magic": case_header_magic,
    "header_size": case_header_size,
    "header_count": case_header_count,
    "index_checksum": case_index_checksum,
    "index_offset": case_index_offset,
    "index_kind": case_index_kind,
    "index_order": case_index_order,
    "names_nul": case_names_nul,
    "payload_startup": case_payload_startup,
    "payload_resource": case_payload_resource,
    "payload_source": case_payload_source,
    "payload_random": case_payload_random,
    "truncated": case_truncated,
}

if __name__ == "__main__":
    sys.exit(bt.main(__doc__, CASES, "blob"))

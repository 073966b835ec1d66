#!/usr/bin/env python3
"""Compressed module sources: read back whole, only when asked, damage reported.

The weld stores each module's source zlib-compressed in the blob when that
makes it smaller (format version 4, runtime/blob.h's 0x100 flag;
docs/blob.md, docs/weld.md "Size").  Each case welds the script below
(APP, an application module of its own whose source is long enough to be
compressed) and checks, against the distribution's own files:

  pruned    the default (pruning on):
              - the blob holds json/decoder.py's and the script's sources
                compressed (so that what follows reads compressed ones);
              - start-up inflated nothing (_pyweld.sources_inflated() is 0
                when the script starts, with json imported);
              - a traceback through the script and through json.decoder
                shows each frame's source line, the file's own text;
              - inspect.getsourcelines of a packed function is exactly the
                file's lines at that place;
              - open() of json.decoder's __file__ and of the script's (the
                file view), the loader's get_data and os.stat give the
                original bytes and size; then some sources were inflated;
              - the CycloneDX SBOM beside the binary names libz (the zlib
                module links it, and the runtime inflates with it);
  unpruned  the same with --no-prune;
  damaged   a copy of the pruned binary with one byte inside colorsys's
            compressed source flipped (a module the script reaches and never
            imports): the loader's get_source and get_data raise ImportError
            ("the binary's copy of colorsys is damaged"), open() of its path
            fails with EIO, the program goes on;
            and a copy whose flipped stream has its checksums recomputed
            (what a checksum cannot catch): the same errors, now because
            the source does not inflate to its recorded size;
  no_source --no-source: no source, no compressed flag, nothing inflated;
  no_file_view  --no-file-view: importlib.resources.files("json") is a
            MemoryPath (_pyweld_resources), and its decoder.py reads back
            as the file's bytes, inflated through _pyweld.read.

    blob_zsource.py --pyweld build/bin/pyweld [--python X.Y] [--keep] [CASE...]
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blob_testlib as bt  # noqa: E402
import weld_testlib as wt  # noqa: E402

# The application's module: long enough (its comment block) that zlib
# shrinks it.  Every result goes out as one JSON line.
APP = '''\
"""The application: a traceback, inspect and open() over packed sources."""
# A block of comment lines that compresses well, so that this module's own
# source is stored compressed in the blob, as the standard library's are.
''' + "".join(f"# filler line {i:03d}: the quick brown fox jumps over the lazy dog\n"
              for i in range(40)) + '''\
import _pyweld
import json
import os
import sys
import traceback

OUT = {"inflated_at_start": _pyweld.sources_inflated()}


def app_fails():
    raise ValueError("raised in the application module")


def lazily():
    import colorsys  # reached, for pruning; never imported (damaged's target)
    import importlib.resources  # no_file_view's


def report(name, fn):
    try:
        OUT[name] = fn()
    except Exception as e:
        OUT[name] = {"error": type(e).__name__, "errno": getattr(e, "errno", None),
                     "text": str(e)}


def read(path):
    with open(path, "rb") as f:
        return f.read().hex()


def tb_app():
    try:
        app_fails()
    except ValueError:
        return traceback.format_exc()


def tb_stdlib():
    try:
        json.loads("{")
    except ValueError:
        return traceback.format_exc()


def getsource():
    import inspect
    import json.decoder
    lines, start = inspect.getsourcelines(json.decoder.JSONDecoder.raw_decode)
    return ["".join(lines), start]


def decoder_file():
    return sys.executable + "/json/decoder.py"


if sys.argv[1:] == ["memory_path"]:
    import importlib.resources
    report("memory_path", lambda: [
        type(importlib.resources.files("json")).__name__,
        importlib.resources.files("json").joinpath("decoder.py").read_bytes().hex()])
    OUT["inflated_after"] = _pyweld.sources_inflated()
elif sys.argv[1:] == ["damaged"]:
    # colorsys is not imported: its source is read, never its code.
    target = sys.executable + "/colorsys.py"
    report("get_source", lambda: json.__loader__.get_source("colorsys"))
    report("get_data", lambda: json.__loader__.get_data(target).hex())
    report("open", lambda: read(target))
    # what a traceback through the damaged module reads: no lines, no error
    import linecache
    report("linecache", lambda: linecache.getline(target, 1))
    OUT["went_on"] = True
else:
    report("tb_app", tb_app)
    report("tb_stdlib", tb_stdlib)
    report("getsource", getsource)
    report("open_stdlib", lambda: read(decoder_file()))
    report("get_data_stdlib", lambda: json.__loader__.get_data(decoder_file()).hex())
    report("stat_stdlib", lambda: os.stat(decoder_file()).st_size)
    report("open_app", lambda: read(__file__))
    OUT["app_file"] = __file__
    OUT["inflated_after"] = _pyweld.sources_inflated()
print("@@" + json.dumps(OUT))
'''


def stdlib_file(c, rel):
    """The distribution's own copy of a standard-library file."""
    path = os.path.join(c.args.dist, "prefix", "lib", f"python{c.version}", rel)
    c.require(os.path.isfile(path), f"no '{path}' in the distribution")
    with open(path, "rb") as f:
        return f.read()


def weld(c, *extra):
    app = c.path("src dir", "app's main.py")
    wt.write(app, APP)
    out = c.path("out dir", "app")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    c.build_ok("-o", out, "--script", app, *extra)
    return out, app


def traceback_lines(c, tb, path_suffix, text):
    """Each frame of tb in a file ending with path_suffix shows its line of text
    (the file's own bytes) under it; how many such frames there were."""
    lines, seen = tb.splitlines(), 0
    src = text.decode("utf-8").splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        if not (s.startswith('File "') and f'{path_suffix}", line ' in s):
            continue
        n = int(s.split(", line ")[1].split(",")[0])
        seen += 1
        got = lines[i + 1].strip() if i + 1 < len(lines) else ""
        c.check(got == src[n - 1].strip(), f"the traceback's line {n} of {path_suffix} is "
                f"{got!r}, the file's is {src[n - 1].strip()!r}")
    return seen


def check_sources(c, exe, app):
    decoder = stdlib_file(c, "json/decoder.py")
    with open(app, "rb") as f:
        app_bytes = f.read()
    _, _, _, by = bt.blob_entries(exe)
    for name in ("json.decoder", "__pyweld_main__"):
        e = by.get((bt.MODULE, name))
        c.require(e is not None, f"no module {name} in the blob")
        c.check(e["flags"] & bt.ZSOURCE and e["blen"] > 0,
                f"{name}'s source is not stored compressed (flags {e['flags']:#x})")
    got = bt.result_of(c, exe)
    c.check(got["inflated_at_start"] == 0, f"start-up inflated {got['inflated_at_start']} "
            "sources, wanted none (only readers of a source inflate it)")
    for key in ("tb_app", "tb_stdlib", "getsource", "open_stdlib", "get_data_stdlib",
                "stat_stdlib", "open_app"):
        c.require(not isinstance(got[key], dict), f"{key} failed in the binary: {got[key]}")
    c.check(traceback_lines(c, got["tb_app"], "/__pyweld_main__.py", app_bytes) >= 2,
            f"the application's traceback has no frames of its module:\n{got['tb_app']}")
    c.check('raise ValueError("raised in the application module")' in got["tb_app"],
            f"the application's raise is not shown:\n{got['tb_app']}")
    c.check(traceback_lines(c, got["tb_stdlib"], "/json/decoder.py", decoder) >= 2,
            f"json.decoder's frames are not in the traceback:\n{got['tb_stdlib']}")
    text, start = got["getsource"]
    want = "".join(decoder.decode("utf-8").splitlines(True)[start - 1:start - 1 +
                                                           text.count("\n")])
    c.check(text == want and "def raw_decode" in text,
            f"inspect.getsourcelines(raw_decode) at line {start} differs from the file's "
            f"text:\n{text[:300]!r}\nwanted\n{want[:300]!r}")
    for key in ("open_stdlib", "get_data_stdlib"):
        c.check(bytes.fromhex(got[key]) == decoder,
                f"{key}: {len(got[key]) // 2} bytes, not json/decoder.py's {len(decoder)} "
                f"(sha256 {hashlib.sha256(bytes.fromhex(got[key])).hexdigest()[:12]})")
    c.check(got["stat_stdlib"] == len(decoder), f"os.stat says {got['stat_stdlib']} bytes "
            f"for json/decoder.py, the file has {len(decoder)}")
    c.check(bytes.fromhex(got["open_app"]) == app_bytes,
            f"open({got['app_file']!r}) is not the script's bytes")
    c.check(got["inflated_after"] > 0, "nothing was inflated after reading sources")
    with open(exe + ".cdx.json") as f:
        sbom = json.load(f)
    names = [x.get("name") for x in sbom.get("components", [])]
    c.check("libz" in names, f"the SBOM does not name libz: {names}")


def case_pruned(c):
    """pruned: tracebacks, inspect, open() and get_data give the files' bytes"""
    exe, app = weld(c)
    check_sources(c, exe, app)


def case_unpruned(c):
    """--no-prune: the same"""
    exe, app = weld(c, "--no-prune")
    check_sources(c, exe, app)


def damaged_copy(c, exe, name, reseal):
    """A copy of exe with one byte in the middle of colorsys's compressed
    source flipped; with reseal, its entry's and the index's checksums
    recomputed over the flipped bytes."""
    _, _, _, by = bt.blob_entries(exe)
    e = by.get((bt.MODULE, "colorsys"))
    c.require(e is not None and e["flags"] & bt.ZSOURCE, "colorsys's source is not "
              "compressed in the blob")
    return bt.flipped_copy(c, exe, name, e["boff"] + e["blen"] // 2, e if reseal else None)


def case_damaged(c):
    """a flipped byte in a compressed source: ImportError and EIO, never bytes;
    linecache (a traceback) gets no lines, not an error"""
    exe, _ = weld(c)
    for name, reseal, why in (("flipped", False, "fails its checksum"),
                              ("resealed", True, "does not inflate")):
        got = bt.result_of(c, damaged_copy(c, exe, name, reseal), "damaged")
        c.check(got.get("went_on") is True, f"{name}: the program did not go on: {got}")
        for key in ("get_source", "get_data"):
            r = got.get(key)
            c.check(isinstance(r, dict) and r["error"] == "ImportError" and
                    "colorsys is damaged" in r["text"] and why in r["text"],
                    f"{name}: {key} gave {str(r)[:200]}, wanted ImportError 'the binary's "
                    f"copy of colorsys is damaged ({why} ...)'")
        r = got.get("open")
        c.check(isinstance(r, dict) and r["error"] == "OSError" and r["errno"] == 5,
                f"{name}: open() of colorsys.py gave {str(r)[:200]}, wanted OSError EIO")
        r = got.get("linecache")
        c.check(r == "", f"{name}: linecache.getline of colorsys.py gave {str(r)[:200]}, "
                "wanted '' (a traceback shows no line, and not an error of its own)")


def case_no_source(c):
    """--no-source: no source and no compressed flag"""
    exe, _ = weld(c, "--no-source")
    _, _, _, by = bt.blob_entries(exe)
    bad = [n for (k, n), e in by.items() if e["flags"] & (bt.SOURCE | bt.ZSOURCE)]
    c.check(not bad, f"--no-source, yet sources in the blob: {bad[:5]}")
    p = c.run([exe], env=c.run_env, timeout=120)
    c.check(p.returncode == 0 and '"inflated_after": 0' in p.out,
            f"--no-source binary: exit {p.returncode}, {wt.tail(p.out + p.err)}")


def case_no_file_view(c):
    """--no-file-view: a MemoryPath reads a compressed source back whole"""
    exe, _ = weld(c, "--no-file-view")
    decoder = stdlib_file(c, "json/decoder.py")
    got = bt.result_of(c, exe, "memory_path")
    r = got["memory_path"]
    c.require(not isinstance(r, dict), f"reading json/decoder.py failed: {r}")
    c.check(r[0] == "MemoryPath", f"importlib.resources.files('json') is a {r[0]}, "
            "wanted _pyweld_resources.MemoryPath")
    c.check(bytes.fromhex(r[1]) == decoder, f"MemoryPath read {len(r[1]) // 2} bytes, "
            f"not json/decoder.py's {len(decoder)}")
    c.check(got["inflated_after"] > 0, "nothing was inflated reading json/decoder.py")


CASES = {"pruned": case_pruned, "unpruned": case_unpruned, "damaged": case_damaged,
         "no_source": case_no_source, "no_file_view": case_no_file_view}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "zsource"))

#!/usr/bin/env python3
"""Compressed module code: stored for what a binary does not import as it
starts, inflated as it is imported, damage reported.

The weld stores the marshalled code of each module not imported as the
binary starts zlib-compressed in the blob when that makes it smaller
(runtime/blob.h's 0x200 flag; docs/blob.md, docs/weld.md "Compressed
code").  Cases:

  pruned    the script imports json as it starts and csv later, by a name
            made at run time (a function nothing calls reaches it):
              - csv's code is stored compressed (the 0x200 flag; the size
                its payload records is above the bytes stored), json's and
                the runtime's own imports are not;
              - _pyweld.code_inflated() is 0 as the script starts, and
                above 0 once csv is imported, whose reader works;
  python_like  no entry point, the default (nothing deep-frozen: the
            standard library's code in the blob, the summary says 0 of the
            modules deep-frozen): email.message's code is stored compressed;
            `APP -c` imports email, sqlite3 and asyncio, runs a function of
            each, and inflated their code;
  damaged   a copy of the pruned binary with one byte of colorsys's
            compressed code flipped (reached, never imported at start):
            importing it raises ImportError ("the binary's copy of colorsys
            is damaged ... fails its checksum"), the program goes on; and a
            copy with its checksums recomputed (what a checksum cannot
            catch): the same ImportError, "does not inflate";
  no_compress_code  --no-compress-code: no code compressed, csv imports
            without inflating anything; `pyweld init` writes compress-code
            = true, and pyweld.ini's compress-code = false does the same.

    blob_zcode.py --pyweld build/bin/pyweld [--python X.Y] [--keep] [CASE...]
"""
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blob_testlib as bt  # noqa: E402
import weld_testlib as wt  # noqa: E402

ZCODE = 0x200   # runtime/blob.h: RT_BLOB_ZCODE

APP = '''\
import _pyweld
import importlib
import json
import sys

OUT = {"at_start": _pyweld.code_inflated()}


def lazily():
    import csv  # reached, for pruning; imported below by a made-up name
    import colorsys  # reached; imported only by the damaged case


def report(name, fn):
    try:
        OUT[name] = fn()
    except Exception as e:
        OUT[name] = {"error": type(e).__name__, "text": str(e)}


if sys.argv[1:] == ["damaged"]:
    report("damaged", lambda: importlib.import_module("color" + "sys").rgb_to_hsv(1, 0, 0))
    OUT["went_on"] = True
else:
    csv = importlib.import_module("".join(["c", "s", "v"]))
    OUT["rows"] = list(csv.reader(["a,b", "1,\\"2,3\\""]))
    OUT["after"] = _pyweld.code_inflated()
print("@@" + json.dumps(OUT))
'''

PY_LIKE = '''\
import _pyweld, json
at_start = _pyweld.code_inflated()
import asyncio, email.message, sqlite3
m = email.message.EmailMessage()
m["Subject"] = "weld"
db = sqlite3.connect(":memory:")
row = db.execute("select 6 * 7").fetchone()[0]
async def f():
    await asyncio.sleep(0)
    return "ran"
print("@@" + json.dumps({"at_start": at_start, "subject": m["Subject"], "row": row,
                         "async": asyncio.run(f()), "after": _pyweld.code_inflated()}))
'''


def weld(c, *extra):
    app = c.path("src dir", "app's main.py")
    wt.write(app, APP)
    out = c.path("out dir", "app")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    c.build_ok("-o", out, "--script", app, *extra)
    return out


def check_compressed(c, blob, by, name):
    """name's code is stored compressed: the flag, and the size its payload
    records (the marshalled code's) above the bytes stored."""
    e = by.get((bt.MODULE, name))
    c.require(e is not None, f"no module {name} in the blob")
    c.require(e["flags"] & ZCODE, f"{name}'s code is not stored compressed "
              f"(flags {e['flags']:#x}, {e['alen']} bytes)")
    size = struct.unpack_from("<I", blob, e["aoff"])[0]
    c.check(size > e["alen"], f"{name}: its code records {size} bytes, stored in "
            f"{e['alen']}: not smaller")


def case_pruned(c):
    """pruned: csv's code compressed, inflated as it is imported, none at start"""
    exe = weld(c)
    _, _, blob, by = bt.blob_entries(exe)
    check_compressed(c, blob, by, "csv")
    plain = [n for n in ("json", "json.decoder", "__pyweld_main__", "runpy", "warnings",
                         "traceback", "linecache")
             if (bt.MODULE, n) in by and by[(bt.MODULE, n)]["flags"] & ZCODE]
    c.check(not plain, f"modules imported as the binary starts have compressed code: "
            f"{plain}")
    got = bt.result_of(c, exe)
    c.check(got["at_start"] == 0, f"start-up inflated {got['at_start']} modules' code, "
            "wanted none")
    c.check(got["rows"] == [["a", "b"], ["1", "2,3"]], f"csv read {got['rows']}")
    c.check(got["after"] > 0, "importing csv inflated no code")


def case_python_like(c):
    """a python-like binary imports email, sqlite3, asyncio from compressed code"""
    out = c.path("out dir", "py")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    p = c.build_ok("-o", out)
    c.check(re.search(r"\d+ Python modules packed, 0 of them deep-frozen", p.out),
            f"a binary without an entry point deep-froze modules by default:\n"
            f"{wt.tail(p.out)}")
    _, _, blob, by = bt.blob_entries(out)
    check_compressed(c, blob, by, "email.message")
    got = bt.result_of(c, out, "-c", PY_LIKE)
    c.check(got["subject"] == "weld" and got["row"] == 42 and got["async"] == "ran",
            f"the functions gave {got}")
    c.check(got["after"] > got["at_start"], f"importing email, sqlite3 and asyncio "
            f"inflated no code ({got['at_start']} -> {got['after']})")


def damaged_copy(c, exe, name, reseal):
    """A copy of exe with one byte in the middle of colorsys's compressed code
    flipped; with reseal, the entry's and the index's checksums recomputed."""
    _, _, blob, by = bt.blob_entries(exe)
    check_compressed(c, blob, by, "colorsys")
    e = by[(bt.MODULE, "colorsys")]
    return bt.flipped_copy(c, exe, name, e["aoff"] + 4 + (e["alen"] - 4) // 2,
                           e if reseal else None)


def case_damaged(c):
    """a flipped byte in compressed code: ImportError, never run"""
    exe = weld(c)
    for name, reseal, why in (("flipped", False, "fails its checksum"),
                              ("resealed", True, "does not inflate")):
        got = bt.result_of(c, damaged_copy(c, exe, name, reseal), "damaged")
        c.check(got.get("went_on") is True, f"{name}: the program did not go on: {got}")
        r = got.get("damaged")
        c.check(isinstance(r, dict) and r["error"] == "ImportError" and
                "colorsys is damaged" in r["text"] and why in r["text"],
                f"{name}: import colorsys gave {str(r)[:200]}, wanted ImportError "
                f"'the binary's copy of colorsys is damaged ({why} ...)'")


def case_no_compress_code(c):
    """--no-compress-code: no code compressed, nothing inflated"""
    exe = weld(c, "--no-compress-code")
    _, _, _, by = bt.blob_entries(exe)
    bad = [n for (k, n), e in by.items() if e["flags"] & ZCODE]
    c.check(not bad, f"--no-compress-code, yet compressed code in the blob: {bad[:5]}")
    c.require((bt.MODULE, "csv") in by, "no csv in the blob")
    got = bt.result_of(c, exe)
    c.check(got["rows"] == [["a", "b"], ["1", "2,3"]], f"csv read {got['rows']}")
    c.check(got["after"] == 0, f"{got['after']} modules' code inflated, wanted none")
    # pyweld init writes the setting; pyweld.ini's "compress-code = false" is
    # --no-compress-code.
    proj = c.path("proj dir")
    p = c.run([c.pyweld, "init", proj, "--script", c.path("src dir", "app's main.py")],
              timeout=120)
    c.require(p.returncode == 0, f"pyweld init exited {p.returncode}: {wt.tail(p.err)}")
    with open(os.path.join(proj, "pyweld.ini")) as f:
        ini = f.read()
    c.check("\ncompress-code = true\n" in ini, f"pyweld init wrote no 'compress-code = "
            f"true':\n{ini}")
    wt.write(os.path.join(proj, "pyweld.ini"), ini.replace("compress-code = true",
                                                           "compress-code = false"))
    c.build_ok("--config", os.path.join(proj, "pyweld.ini"))
    _, _, _, by = bt.blob_entries(os.path.join(proj, "app"))
    bad = [n for (k, n), e in by.items() if e["flags"] & ZCODE]
    c.check(not bad, f"compress-code = false, yet compressed code: {bad[:5]}")


CASES = {"pruned": case_pruned, "python_like": case_python_like, "damaged": case_damaged,
         "no_compress_code": case_no_compress_code}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "zcode"))

#!/usr/bin/env python3
"""Lean binaries: what a weld strips, keeps and reports about its size.

Cases:
  strip_default   a default weld has no .symtab, .strtab or DWARF (readelf
                  -S), keeps .dynsym (the Python API: ctypes.pythonapi finds
                  it), and still runs: a traceback with its source line,
                  faulthandler's dump of a crash, the summary's size.
  strip_debug     --debug (and pyweld.ini's debug = true) keeps .symtab and
                  the debugging information.
  debug_file      --debug-file in a directory whose name holds a space, quotes
                  and '$': APP is stripped, the file holds the symbols and
                  DWARF, APP's .gnu_debuglink names the file and both carry the
                  same build id; beside APP, gdb (when installed) finds a
                  function's source line through it; pyweld.ini's debug-file
                  is relative to the file.
  debug_file_bad  a directory, a missing directory, a path through a file, a
                  line break in the name, APP itself, with --debug, with
                  --library: each a clear error before anything is built, the
                  old APP and the old debug file as they were.
  size_report     --size-report on a binary with a C extension of a local
                  package (and a resource): the text's three views add up
                  (sections and the link's inputs to the file's size, the
                  packed modules to their total); --size-report=json alone on
                  stdout (the summary on stderr), adding up the same, sorted,
                  naming libpython, libssl, _ssl, the package's extension, the
                  blob, the deep-frozen modules, json.decoder, the package's
                  resources and metadata; =xml and --library refused (status 2).
"""

import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402

HELLO = "print('hello')"

# A traceback with its source line, the API through the dynamic symbol
# table, then faulthandler's dump of a crash (exit by SIGSEGV).
PROBE_SCRIPT = """\
import ctypes, faulthandler, sys, traceback
def where():
    raise ValueError("from the binary")
try:
    where()
except ValueError:
    print("TB:" + traceback.format_exc().replace("\\n", "|"))
ctypes.pythonapi.Py_GetVersion.restype = ctypes.c_char_p
print("API:" + ctypes.pythonapi.Py_GetVersion().decode().split()[0])
sys.stdout.flush()
if sys.argv[1:] == ["crash"]:
    faulthandler.enable()
    faulthandler._sigsegv()
"""


def sections(c, path):
    """The section names of an ELF file (readelf -S)."""
    r = c.run(["readelf", "-SW", path], timeout=120)
    c.require(r.returncode == 0, f"readelf -S {path} exited {r.returncode}:\n{r.err}")
    return set(re.findall(r"^\s*\[\s*\d+\]\s+(\S+)", r.out, re.M))


def build_id(c, path):
    r = c.run(["readelf", "-n", path], timeout=120)
    m = re.search(r"Build ID: ([0-9a-f]+)", r.out)
    return m.group(1) if m else None


def debuglink(c, path):
    """The file name in path's .gnu_debuglink, or None."""
    r = c.run(["objcopy", "--dump-section", ".gnu_debuglink=/dev/stdout", path,
               c.path("tmp", "dump.o")], timeout=120)
    if r.returncode != 0:
        return None
    return r.stdout.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def case_strip_default(c):
    """a default weld has no .symtab or DWARF, keeps .dynsym and runs"""
    script = c.path("probe.py")
    wt.write(script, PROBE_SCRIPT)
    app = c.path("app")
    p = c.build_ok("--script", script, "-o", app)
    have = sections(c, app)
    for s in (".symtab", ".strtab", ".debug_info", ".debug_line"):
        c.check(s not in have, f"the default weld has {s}: {sorted(have)}")
    c.check(".dynsym" in have, f"the default weld has no .dynsym: {sorted(have)}")
    m = re.search(r"^size: ([\d.]+) MiB$", p.out, re.M)
    c.check(m and abs(float(m.group(1)) - os.path.getsize(app) / 1048576) < 0.06,
            f"the summary's size is not the file's ({os.path.getsize(app)}):\n{p.out}")
    r = c.run([app], env=c.run_env, timeout=60)
    c.require(r.returncode == 0, f"the stripped binary exited {r.returncode}:\n"
              f"{wt.tail(r.err)}")
    tb = next((l for l in r.out.splitlines() if l.startswith("TB:")), "")
    c.check(re.search(r'\.py", line 3, in where\|', tb) and 'raise ValueError("from the binary")'
            in tb, f"the traceback lacks its frame or source line: {tb!r}")
    c.check(re.search(r"^API:3\.\d+\.\d+$", r.out, re.M),
            f"ctypes.pythonapi.Py_GetVersion through .dynsym: {r.out!r}")
    r = c.run([app, "crash"], env=c.run_env, timeout=60)
    c.check(r.returncode == -11, f"faulthandler._sigsegv(): exit {r.returncode}")
    c.check("Fatal Python error: Segmentation fault" in r.err and
            re.search(r'File ".*\.py", line 13 in <module>', r.err),
            f"faulthandler's dump lacks the crash or its Python frame:\n{wt.tail(r.err)}")


def case_strip_debug(c):
    """--debug and debug = true keep .symtab and the debugging information"""
    app = c.path("app")
    work = c.path("work")
    c.build_ok("--python-code", HELLO, "-o", app, "--work-dir", work, "--debug")
    have = sections(c, app)
    for s in (".symtab", ".strtab", ".debug_info"):
        c.check(s in have, f"--debug: no {s} in {sorted(have)}")
    r = c.run(["nm", "--defined-only", app], timeout=120)
    c.check(re.search(r" T Py_Initialize$", r.out, re.M) and
            re.search(r" t \S", r.out, re.M),
            f"--debug: nm finds neither Py_Initialize nor local functions:\n{r.err}")
    proj = c.path("proj")
    wt.write(os.path.join(proj, "pyweld.ini"), "[app]\noutput = app\n[build]\n"
             f"debug = true\nwork-dir = {work}\n")
    c.build_ok("--config", os.path.join(proj, "pyweld.ini"))
    have = sections(c, os.path.join(proj, "app"))
    c.check(".symtab" in have and ".debug_info" in have,
            f"pyweld.ini's debug = true: {sorted(have)}")
    r = c.run([os.path.join(proj, "app"), "-c", HELLO], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out == "hello\n", f"the --debug binary: exit "
            f"{r.returncode}, {r.out!r}\n{wt.tail(r.err)}")


def case_debug_file(c):
    """--debug-file: APP stripped, the symbols in a file its .gnu_debuglink names"""
    d = c.path("sym d'i\"r $x")
    os.mkdir(d)
    app, dbg = os.path.join(d, "my app"), os.path.join(d, "my app.debug")
    work = c.path("work")
    p = c.build_ok("--python-code", HELLO, "-o", app, "--work-dir", work, "--debug-file", dbg)
    c.check(os.path.isfile(dbg), f"no debug file '{dbg}':\n{wt.tail(p.err)}")
    c.check(sorted(os.listdir(d)) == ["my app", "my app.cdx.json", "my app.debug"],
            f"beside APP: {sorted(os.listdir(d))}")
    have = sections(c, app)
    c.check(".symtab" not in have and ".debug_info" not in have,
            f"--debug-file: APP keeps its symbols: {sorted(have)}")
    c.check(debuglink(c, app) == "my app.debug",
            f"APP's .gnu_debuglink names {debuglink(c, app)!r}, not 'my app.debug'")
    dhave = sections(c, dbg)
    c.check(".symtab" in dhave and ".debug_info" in dhave,
            f"the debug file lacks .symtab or .debug_info: {sorted(dhave)}")
    bid = build_id(c, app)
    c.check(bid and bid == build_id(c, dbg), f"build ids differ: APP {bid}, debug file "
            f"{build_id(c, dbg)}")
    r = c.run(["nm", "--defined-only", dbg], timeout=120)
    c.check(re.search(r" T Py_Initialize$", r.out, re.M) and
            re.search(r" t \S", r.out, re.M),
            f"nm finds neither Py_Initialize nor local functions in the debug file:\n{r.err}")
    r = c.run([app, "-c", HELLO], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out == "hello\n", f"the stripped binary: exit "
            f"{r.returncode}, {r.out!r}\n{wt.tail(r.err)}")
    if shutil.which("gdb"):
        # gdb follows .gnu_debuglink to the file beside APP; without it, only
        # .dynsym's names and no line.
        cmd = ["gdb", "-nx", "-batch", "-ex", "info line Py_Initialize", app]
        r = c.run(cmd, timeout=300)
        c.check(re.search(r'Line \d+ of ".*pylifecycle\.c"', r.out),
                f"gdb found no source line of Py_Initialize through the debug file:\n"
                f"{r.out}\n{r.err}")
        os.rename(dbg, dbg + ".away")
        r = c.run(cmd, timeout=300)
        c.check(not re.search(r'Line \d+ of ".*pylifecycle\.c"', r.out),
                f"gdb finds a source line without the debug file: the check proves "
                f"nothing:\n{r.out}")
        os.rename(dbg + ".away", dbg)
    else:
        print("     gdb is not installed: the debug link checked with readelf and nm only")
    # pyweld.ini: debug-file relative to the file.
    proj = c.path("proj")
    wt.write(os.path.join(proj, "pyweld.ini"), "[app]\noutput = app\n[build]\n"
             f"debug-file = sym/app.dbg\nwork-dir = {work}\n")
    os.mkdir(os.path.join(proj, "sym"))
    c.build_ok("--config", os.path.join(proj, "pyweld.ini"), cwd=c.path("tmp"))
    c.check(os.path.isfile(os.path.join(proj, "sym", "app.dbg")),
            f"pyweld.ini's debug-file: {os.listdir(proj)}")
    c.check(debuglink(c, os.path.join(proj, "app")) == "app.dbg",
            "pyweld.ini's debug-file: APP's .gnu_debuglink names "
            f"{debuglink(c, os.path.join(proj, 'app'))!r}")


def case_debug_file_bad(c):
    """bad --debug-file paths: a clear error, nothing lost"""
    d = c.path("out")
    os.mkdir(d)
    os.mkdir(c.path("syms"))
    app, dbg = os.path.join(d, "app"), c.path("syms", "app.debug")
    before = c.sentinel(app)
    with open(dbg, "w") as f:
        f.write("the old debug file\n")
    os.mkdir(c.path("adir"))
    wt.write(c.path("afile"), "x\n")
    bad = [
        ("a directory", ["--debug-file", c.path("adir")], ("is a directory",)),
        ("a missing directory", ["--debug-file", c.path("nowhere", "app.debug")],
         ("does not exist",)),
        ("a path through a file", ["--debug-file", c.path("afile", "app.debug")],
         ("not a directory",)),
        ("a line break", ["--debug-file", c.path("syms", "a\nb.debug")], ("line break",)),
        ("APP itself", ["--debug-file", app], ("APP itself",)),
        ("--debug too", ["--debug-file", dbg, "--debug"], ("--debug",)),
        ("--library", ["--debug-file", dbg, "--library"], ("--library",)),
    ]
    for what, args, subjects in bad:
        p = c.build("--python-code", HELLO, "-o", app, *args, timeout=120)
        c.check_clear_error(p, what, subjects)
        c.check("[1/" not in p.err, f"{what}: the build began before the error:\n"
                f"{wt.tail(p.err)}")
        with open(dbg) as f:
            c.check(f.read() == "the old debug file\n", f"{what}: the old debug file changed")
        c.check(os.listdir(c.path("syms")) == ["app.debug"], f"{what}: beside the debug "
                f"file: {os.listdir(c.path('syms'))}")
        c.check_sentinel(app, before, what)


def text_rows(c, out, title):
    """The rows of one view of the text report: [(bytes, rest of the line)],
    its total last."""
    lines = out.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith(title)), None)
    c.require(start is not None, f"no view '{title}' in the report:\n{wt.tail(out)}")
    # the title's lines, then the column heads: the rows follow those
    head = next((i for i in range(start, len(lines))
                 if re.match(r"^\s+bytes\s", lines[i])), None)
    c.require(head is not None, f"no column heads under '{title}':\n{wt.tail(out)}")
    rows = []
    for l in lines[head + 1:]:
        m = re.match(r"^\s*([\d,]+)\s+(.*)$", l)
        if not m:
            break
        rows.append((int(m.group(1).replace(",", "")), m.group(2)))
    return rows


def case_size_report(c):
    """--size-report: sections, inputs, modules, each adding up; JSON alone"""
    src = wt.ext_project(c, "pwsize", wt.EXT_C.replace("int pwlib_value(void);",
                                                        "static int pwlib_value(void) "
                                                        "{ return 42; }"))
    wt.write(os.path.join(src, "pwsize", "data.txt"), "x" * 5000)
    # a module whose file name holds an escape, big enough to be among the rows shown
    wt.write(os.path.join(src, "pwsize", "esc\x1b[31m.py"), f"X = {list(range(60000))!r}\n")
    setup = open(os.path.join(src, "setup.py")).read().replace(
        "packages=[pkg],", "packages=[pkg], package_data={pkg: ['data.txt']},")
    wt.write(os.path.join(src, "setup.py"), setup)
    app, work = c.path("app"), c.path("work")
    # --no-prune: the checks name what a hello does not import (_ssl,
    # libssl); weld_prune's cases check the report of a pruned weld.  json,
    # imported as it starts, has its deep-frozen code linked.
    common = ["--setup-py", src, *wt.ext_env("pwsize"), "--work-dir", work, "-o", app,
              "--python-code", "import json, pwsize._ext; print(pwsize._ext.__spec__.origin)",
              "--no-prune"]
    p = c.build(*common, "--size-report")
    c.require(p.returncode == 0, f"pyweld build --size-report exited {p.returncode}:\n"
              f"{wt.tail(p.err)}")
    size = os.path.getsize(app)
    c.check("welded into" in p.out and f"size report of '{app}': {size:,} bytes" in p.out,
            f"the summary and the report's head are not on stdout:\n{p.out[:2000]}")
    c.check("\x1b" not in p.out and "pwsize.esc?[31m" in p.out,
            f"a module's file name drove the terminal (or is not listed):\n{p.out[-3000:]}")
    for title in ("sections", "the final link's inputs"):
        rows = text_rows(c, p.out, title)
        c.check(rows and rows[-1][1].endswith("total") and rows[-1][0] == size,
                f"{title}: the total is not the file's {size} bytes: {rows[-1:]}")
        c.check(sum(b for b, _ in rows[:-1]) == size, f"{title}: the rows add up to "
                f"{sum(b for b, _ in rows[:-1])}, not {size}")
    rows = text_rows(c, p.out, "packed modules")
    c.check(rows and sum(b for b, _ in rows[:-1]) == rows[-1][0],
            f"packed modules: the rows add up to {sum(b for b, _ in rows[:-1])}, not the "
            f"total {rows[-1:]}")
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == "built-in", f"the binary: exit "
            f"{r.returncode}, {r.out!r}\n{wt.tail(r.err)}")

    p = c.build(*common, "--size-report=json")
    c.require(p.returncode == 0, f"--size-report=json exited {p.returncode}:\n"
              f"{wt.tail(p.err)}")
    try:
        d = json.loads(p.out)
    except ValueError as e:
        raise wt.Failure(f"stdout is not one JSON document ({e}):\n{p.out[:2000]}")
    c.check("welded into" in p.err, f"the summary is not on stderr:\n{wt.tail(p.err)}")
    size = os.path.getsize(app)
    c.check(d["bytes"] == size, f"JSON bytes {d['bytes']}, the file has {size}")
    for view in ("sections", "inputs"):
        total = sum(x["bytes"] for x in d[view])
        c.check(total == size, f"JSON {view} add up to {total}, not {size}")
    mods = d["modules"]
    total = sum(x["bytes"] for x in mods)
    c.check(total == d["blob_bytes"] + d["deep_frozen_bytes"],
            f"JSON modules add up to {total}, not the blob's {d['blob_bytes']} and the "
            f"deep-frozen {d['deep_frozen_bytes']}")
    c.check(all(x["bytes"] == x["bytecode"] + x["deep_frozen"] + x["source"] + x["resources"]
                for x in mods if x["kind"] != "blob index"),
            "a module's bytes are not its bytecode, deep-frozen code, source and resources")
    for view in ("sections", "inputs", "modules"):
        b = [x["bytes"] for x in d[view]]
        c.check(b == sorted(b, reverse=True), f"JSON {view} are not sorted by bytes")
    names = {v: {x["name"]: x for x in d[v]} for v in ("sections", "inputs", "modules")}
    for s in (".text", ".data", ".rodata", ".dynsym"):
        c.check(s in names["sections"], f"no section {s}: {sorted(names['sections'])}")
    c.check(".symtab" not in names["sections"], "the stripped binary reports .symtab")
    want = {"libpython3.11.a": "library", "libssl.a": "library", "libcrypto.a": "library",
            "_ssl": "stdlib extension", "pwsize._ext": "extension",
            "module blob": "module blob", "deep-frozen modules": "deep-frozen",
            "pyweld runtime": "runtime", "dynamic symbols (the exported API)": "linker"}
    if c.version != "3.11":
        want[f"libpython{c.version}.a"] = want.pop("libpython3.11.a")
    for name, kind in want.items():
        x = names["inputs"].get(name)
        c.check(x and x["kind"] == kind and x["bytes"] > 0,
                f"input {name} ({kind}): {x}; inputs: {sorted(names['inputs'])[:80]}")
    jd = names["modules"].get("json.decoder")
    c.check(jd and jd["source"] > 0 and jd["bytecode"] + jd["deep_frozen"] > 0,
            f"json.decoder: {jd}")
    pk = names["modules"].get("pwsize")
    c.check(pk and pk["kind"] == "package" and pk["resources"] >= 5000,
            f"pwsize's row (with data.txt): {pk}")
    meta = [x for x in mods if x["kind"] == "metadata" and x["name"].startswith("pwsize-")]
    c.check(meta and meta[0]["name"] == "pwsize-1.0.dist-info",
            f"pwsize's metadata row: {meta}")
    # Usage errors: status 2, nothing built.
    for args, word in ((["--size-report=xml"], "xml"),
                       (["--size-report", "--library"], "--library")):
        p = c.build("--python-code", HELLO, "-o", c.path("other"), *args, timeout=120)
        c.check(p.returncode == 2 and word in p.err and not os.path.exists(c.path("other")),
                f"{args}: exit {p.returncode}:\n{p.err}")


CASES = {
    "strip_default": case_strip_default,
    "strip_debug": case_strip_debug,
    "debug_file": case_debug_file,
    "debug_file_bad": case_debug_file_bad,
    "size_report": case_size_report,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "lean"))

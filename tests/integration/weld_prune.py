#!/usr/bin/env python3
"""Pruning: a binary with an entry point carries what the entry point reaches.

Cases:
  hello         a pruned hello runs; its --size-report=json lists what a hello
                needs (encodings.utf_8, the entry point) and none of ssl,
                email, json, _ssl, libssl.a, libcrypto.a, and a `pruned`
                section naming them; importing a pruned module (by a name made
                at run time) fails with ModuleNotFoundError naming the module
                and --keep-module; an unknown name still says only "No module
                named"; a codec left out (cp1252, also as windows-1252) is named
                with --keep-module by codecs.lookup, a kept one (latin-1) works;
                `from encodings import cp1252` (importlib swallows the
                import's own error there) ends with ImportError and a note
                naming --keep-module, one of a name never a module with none;
                an extension module whose C imports another (_elementtree
                imports pyexpat) keeps it; no _strptime or datetime unless
                code names strptime (then time.strptime works).
  keep_module   a local package: `from pkg import sub` and relative imports
                (from . import beta, from ..util import helper) are followed,
                and the imports of a function the module's __main__ block
                calls when other code calls it too (the application, an
                entry point of entry_points.txt); the data files of a
                subpackage nothing imports stay, read by path;
                --keep-module keeps a module only a run-time name imports, with
                what it imports, and not its siblings; a module named with quotes
                and pattern specials is named by its repr, with a pattern that
                survives the shell's quotes and keeps it; pyweld.ini's
                keep-module does the same; a bad pattern is a clear error,
                nothing written.
  python_like   without an entry point nothing is pruned: email, ssl, json,
                sqlite3, xml.dom.minidom and asyncio import; --prune on it
                prunes (its entry is what the runtime needs) and the message
                names --keep-module; --prune with --no-prune or with
                pyweld.ini's prune = false is a clear error.
  markupsafe    markupsafe 2.1.5 from the pinned sdist (tests/python-sdists.txt,
                tests/prepare-python.sh): the same application test passes
                pruned and with --no-prune, with the _speedups welded in (not a
                stray .so), and the pruned binary is smaller.
  start_set     reach.py's start set of a small graph (the top level, a class
                body, main() under the __main__ block, a function imported by
                name, a with statement's body, a function handed to a call;
                not a function nothing calls, not one only put in a table
                or only imported by name (`from m import later`), not the
                side of a test of the platform or the version (in another
                module too: `from m import ON_LINUX`) not taken,
                not an except clause), exactly; in the weld,
                those modules deep-frozen and the rest unmarshalled, all
                importable.
  reach_file    --reach-file: a runner of files pruned; what a directory of
                files and a file alone import is kept (email, xml.dom.minidom),
                a file of Python 2 or with a relative import adds nothing and
                breaks nothing, a FIFO named .py is not read; a missing path
                is a clear error, the old output untouched.
  rust_names    reach.py over a Rust object (rustc lays its strings end to
                end: "fractionsipaddress") reaches both modules; over a C
                object, a NUL-terminated name (_struct) and not a name
                inside a sentence ("no decimal here"); over a C object that
                calls nothing that imports, none of its names (statistics,
                struct: method names).
"""

import json
import marshal
import os
import re
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402

# Prints hello, then imports each argument by a name the weld cannot see
# (codec:NAME: encodes with the codec NAME, found by a name made at run time).
DYNAMIC = """\
import importlib, sys
print("hello")
for name in sys.argv[1:]:
    if name.startswith("codec:"):
        try:
            print(name, "ok", "\\xe9".encode(name[6:]))
        except LookupError as e:
            print(name, "missing", type(e).__name__, str(e))
        continue
    if name.startswith("from:"):            # from:PKG:NAME, uncaught
        pkg, sub = name[5:].split(":")
        exec("from %s import %s" % (pkg, sub))
        continue
    try:
        m = importlib.import_module(name)
        print(name, "ok", getattr(m, "VALUE", ""))
    except ImportError as e:
        print(name, "missing", type(e).__name__, str(e))
"""


def size_json(c, p):
    c.require(p.returncode == 0, f"build exited {p.returncode}:\n{wt.tail(p.err)}")
    try:
        return json.loads(p.out)
    except ValueError as e:
        raise wt.Failure(f"--size-report=json is not JSON ({e}):\n{p.out[:2000]}")


def lines_of(c, app, *args, status=0):
    r = c.run([app, *args], env=c.run_env, timeout=120)
    c.check(r.returncode == status, f"{app} {args}: exit {r.returncode}, wanted {status}:\n"
            f"{r.out}{r.err}")
    return r.out.splitlines()


def case_hello(c):
    """a pruned hello: what it holds, what it leaves out, the message"""
    app = c.path("hello")
    p = c.build("--python-code", DYNAMIC + "import _elementtree\n", "-o", app,
                "--size-report=json")
    rep = size_json(c, p)
    mods = {m["name"] for m in rep["modules"]}
    inputs = {m["name"] for m in rep["inputs"]}
    for name in ("encodings", "encodings.utf_8", "__pyweld_main__", "importlib"):
        c.check(name in mods, f"{name} is not among the packed modules: {sorted(mods)}")
    for name in ("ssl", "email", "email.mime", "json", "asyncio", "unittest", "http.client"):
        c.check(name not in mods, f"{name} is packed in a pruned hello")
    for name in ("_ssl", "libssl.a", "libcrypto.a", "_sqlite3", "_datetime"):
        c.check(name not in inputs, f"{name} is linked into a pruned hello: {sorted(inputs)}")
    for name in ("_strptime", "datetime"):
        c.check(name not in mods, f"{name} is packed in a pruned hello (nothing names "
                f"time.strptime)")
    c.check("_elementtree" in inputs and "pyexpat" in inputs,
            f"_elementtree and the pyexpat its C imports are not both linked: "
            f"{sorted(inputs)}")
    pr = rep.get("pruned")
    c.require(isinstance(pr, dict), f"no 'pruned' section in the report: {sorted(rep)}")
    c.check(pr["modules"] > 100 and pr["extension_modules"] > 5 and pr["bytes"] > 0,
            f"the pruned section's counts: { {k: v for k, v in pr.items() if k != 'names'} }")
    for name in ("ssl", "email", "_ssl", "json"):
        c.check(name in pr["names"], f"{name} is not among the pruned names")
    c.check(pr["names"] == sorted(pr["names"]), "the pruned names are not sorted")
    out = lines_of(c, app, "email.mime.text", "_ssl", "json", "pw_no_such_module")
    c.check(out[:1] == ["hello"], f"the hello did not say hello: {out}")
    for name in ("email.mime.text", "_ssl", "json"):
        want = name.split(".")[0] if name.startswith("email") else name
        line = next((x for x in out if x.startswith(name + " ")), "")
        c.check(" missing ModuleNotFoundError " in line and
                "left out of this binary by pyweld's pruning" in line and
                f"--keep-module '^{want}$'" in line,
                f"importing {name}: not the pruning's message: {line!r}")
    line = next((x for x in out if x.startswith("pw_no_such_module ")), "")
    c.check("No module named 'pw_no_such_module'" in line and "pruning" not in line,
            f"an unknown module's message: {line!r}")
    # A codec is imported by a name made at run time: one left out is named,
    # through its aliases too; a kept one works; an unknown one says only so.
    out = lines_of(c, app, "codec:cp1252", "codec:windows-1252", "codec:latin-1",
                   "codec:pw-no-such-codec")
    for arg in ("codec:cp1252", "codec:windows-1252"):
        line = next((x for x in out if x.startswith(arg + " ")), "")
        c.check(" missing LookupError unknown encoding: " in line and
                "encodings.cp1252, was left out of this binary by pyweld's pruning" in line
                and "--keep-module '^encodings\\.cp1252$'" in line,
                f"{arg}: not the pruning's message: {line!r}")
    line = next((x for x in out if x.startswith("codec:latin-1 ")), "")
    c.check(line == "codec:latin-1 ok b'\\xe9'", f"latin-1 (kept): {line!r}")
    line = next((x for x in out if x.startswith("codec:pw-no-such-codec ")), "")
    c.check("unknown encoding: pw-no-such-codec" in line and "pruning" not in line,
            f"an unknown codec's message: {line!r}")
    # time.strptime named: the _strptime its C imports is kept, and works.
    app2 = c.path("strptime")
    c.build_ok("--python-code", "import time\nprint(time.strptime('2026-12', '%Y-%m').tm_mon)\n",
               "-o", app2)
    out = lines_of(c, app2)
    c.check(out == ["12"], f"time.strptime in a pruned binary: {out}")
    # `from encodings import cp1252`: importlib swallows the pruning's
    # ModuleNotFoundError there; the uncaught ImportError gets it as a note.
    r = c.run([app, "from:encodings:cp1252"], env=c.run_env, timeout=120)
    c.check(r.returncode == 1 and
            "ImportError: cannot import name 'cp1252' from 'encodings'" in r.err and
            "'encodings.cp1252' was left out of this binary by pyweld's pruning; rebuild "
            "with --keep-module '^encodings\\.cp1252$'" in r.err,
            f"from encodings import cp1252: exit {r.returncode}, not the pruning's note:\n"
            f"{r.err}")
    r = c.run([app, "from:encodings:pw_nothing"], env=c.run_env, timeout=120)
    c.check(r.returncode == 1 and "cannot import name 'pw_nothing'" in r.err and
            "pruning" not in r.err,
            f"from encodings import pw_nothing: exit {r.returncode}, a note where none "
            f"belongs:\n{r.err}")


PKG = {
    "setup.py": "from setuptools import setup\n"
                "setup(name='pwplug', version='1.0',\n"
                "      packages=['pwplug', 'pwplug.plugins', 'pwplug.assets'],\n"
                "      package_data={'pwplug.assets': ['logo.txt']},\n"
                "      entry_points={'console_scripts': ['pwplug-ep = pwplug.ep:run']})\n",
    "pwplug/__init__.py": "",
    "pwplug/sub.py": "X = 'sub'\n",
    "pwplug/util.py": "def helper():\n    return 'util'\n",
    "pwplug/unused.py": "Y = 1\n",
    # a main() the module's __main__ block calls, and other code too: the
    # application (cli.main) or an entry point (ep.run); what it imports
    # lazily must be kept
    "pwplug/cli.py": "def main():\n    from . import lazy\n    return lazy.L\n\n"
                     "if __name__ == '__main__':\n    print(main())\n",
    "pwplug/lazy.py": "L = 'lazy'\n",
    "pwplug/ep.py": "def run():\n    from . import eplazy\n    return eplazy.L\n\n"
                    "if __name__ == '__main__':\n    print(run())\n",
    "pwplug/eplazy.py": "L = 'eplazy'\n",
    # data in a subpackage nothing imports, read by path through pwplug
    "pwplug/assets/__init__.py": "",
    "pwplug/assets/logo.txt": "LOGO",
    "pwplug/plugins/__init__.py": "",
    "pwplug/plugins/alpha.py": "from . import beta\nfrom ..util import helper\n"
                               "VALUE = beta.B + helper()\n",
    "pwplug/plugins/beta.py": "B = 'beta+'\n",
    "pwplug/plugins/gamma.py": "G = 1\n",
    # a module whose file name holds a shell's and a pattern's specials
    "pwplug/plugins/o'k$(x).py": "VALUE = 'hostile'\n",
}
HOSTILE = "pwplug.plugins.o'k$(x)"


def case_keep_module(c):
    """--keep-module, relative and from-imports of a local package"""
    src = c.path("pw plug")
    for rel, text in PKG.items():
        wt.write(os.path.join(src, rel), text)
    code = ("from pwplug import sub\nprint(sub.X)\n" + DYNAMIC +
            "from pwplug.cli import main\nprint('cli', main())\n"
            "from importlib.metadata import entry_points\n"
            "ep, = [e for e in entry_points(group='console_scripts') if e.name == 'pwplug-ep']\n"
            "print('ep', ep.load()())\n"
            "import os, pwplug\n"
            "with open(os.path.join(os.path.dirname(pwplug.__file__), 'assets', 'logo.txt')) as f:\n"
            "    print('asset', f.read())\n")
    names = ["pwplug.plugins.alpha", "pwplug.plugins.gamma", "pwplug.unused"]
    app, work = c.path("app"), c.path("work")
    c.build_ok("--setup-py", src, "--python-code", code, "-o", app, "--work-dir", work,
               "--keep-module", r"^pwplug\.plugins\.alpha$")
    out = lines_of(c, app, *names)
    c.check(out[:2] == ["sub", "hello"], f"from pwplug import sub did not run: {out}")
    c.check("pwplug.plugins.alpha ok beta+util" in out,
            f"the kept module or what it imports relatively is missing: {out}")
    c.check("cli lazy" in out and "ep eplazy" in out,
            f"what a main() called from outside its __main__ block imports is missing: {out}")
    c.check("asset LOGO" in out, f"the data of a subpackage nothing imports is missing: {out}")
    for name in names[1:]:
        line = next((x for x in out if x.startswith(name + " ")), "")
        # the pattern to give --keep-module, its dots escaped for pcre2
        pattern = "^" + name.replace(".", "\\.") + "$"
        c.check("pruning" in line and f"'{pattern}'" in line,
                f"{name} (pruned) imports or says something else: {line!r}")
    # A name with quotes and pattern specials: named as Python names it (its
    # repr), the pattern whole inside the shell's quotes, matching it alone.
    line = next((x for x in lines_of(c, app, HOSTILE) if x.startswith(HOSTILE + " ")), "")
    m = re.search(r"--keep-module '([^']*)'$", line)
    c.require(m and "No module named " + repr(HOSTILE) in line,
              f"{HOSTILE} (pruned): not the pruning's message: {line!r}")
    hostile_re = m.group(1)
    c.check(re.search(hostile_re, HOSTILE) and not re.search(hostile_re, HOSTILE + "y") and
            not re.search(hostile_re, HOSTILE.replace("$", "")),
            f"the pattern {hostile_re!r} does not match {HOSTILE!r} alone")
    # Without --keep-module the plugin is pruned too; pyweld.ini keeps it.
    proj = c.path("proj")
    wt.write(os.path.join(proj, "main.py"), code)
    wt.write(os.path.join(proj, "pyweld.ini"),
             "[app]\noutput = app2\nscript = main.py\n[packages]\nsetup-py = ../pw plug\n"
             "[build]\nkeep-module = ^pwplug\\.plugins\\.(alpha|gamma)$\n"
             f"keep-module = {hostile_re}\n")
    c.build_ok("--config", os.path.join(proj, "pyweld.ini"))
    out = lines_of(c, os.path.join(proj, "app2"), *names, HOSTILE)
    c.check(HOSTILE + " ok hostile" in out, f"the message's pattern did not keep {HOSTILE}: {out}")
    c.check("pwplug.plugins.alpha ok beta+util" in out and
            any(x.startswith("pwplug.plugins.gamma ok") for x in out) and
            any(x.startswith("pwplug.unused missing") for x in out),
            f"pyweld.ini's keep-module: {out}")
    # A bad pattern: a clear error, the binary as it was.
    os.mkdir(c.path("bad"))
    bad = c.path("bad", "app")
    before = c.sentinel(bad)
    p = c.build("--setup-py", src, "--python-code", code, "-o", bad, "--work-dir", work,
                "--keep-module", "(unclosed", timeout=600)
    c.check_clear_error(p, "a bad --keep-module pattern", ("(unclosed",))
    c.check("--keep-module" in p.err, f"the error does not name --keep-module:\n{p.err}")
    c.check_sentinel(bad, before, "a failed build with a bad --keep-module")


def case_python_like(c):
    """no entry point: the whole standard library; --prune prunes it"""
    app = c.path("py")
    p = c.build("-o", app, "--size-report=json")
    rep = size_json(c, p)
    c.check("pruned" not in rep, f"a python-like weld was pruned: {rep.get('pruned')}")
    r = c.run([app, "-c", "import email.mime.text, ssl, json, sqlite3, xml.dom.minidom, "
                          "asyncio, unicodedata; print('all there')"],
              env=c.run_env, timeout=120)
    c.check(r.returncode == 0 and r.out.strip() == "all there",
            f"a python-like binary lacks a module: exit {r.returncode}:\n{r.out}{r.err}")
    app2 = c.path("py2")
    c.build_ok("-o", app2, "--prune")
    r = c.run([app2, "-c", "import email"], env=c.run_env, timeout=120)
    c.check(r.returncode != 0 and "--keep-module '^email$'" in r.err,
            f"--prune on a python-like binary: exit {r.returncode}:\n{r.err}")
    # --prune against --no-prune, or against pyweld.ini's prune = false: an
    # error, not one of them silently.
    p = c.build("-o", c.path("py3"), "--prune", "--no-prune")
    c.check_clear_error(p, "--prune with --no-prune", ("--prune",))
    c.check("--no-prune" in p.err, f"the error does not name --no-prune:\n{p.err}")
    proj = c.path("proj")
    wt.write(os.path.join(proj, "pyweld.ini"), "[app]\noutput = app\n[build]\nprune = false\n")
    p = c.build("--config", os.path.join(proj, "pyweld.ini"), "--prune")
    c.check_clear_error(p, "--prune with pyweld.ini's prune = false", ("prune = false",))
    c.check(not os.path.exists(os.path.join(proj, "app")), "a binary was written all the same")


def sdist(name):
    base = os.environ.get("PYWELD_TEST_CACHE") or os.path.expanduser("~/.cache/pyweld/test")
    path = os.path.join(base, "sdists", name)
    if not os.path.isfile(path):
        raise wt.Skip(f"no {path} (run tests/prepare-python.sh)")
    return path


APP_TEST = """\
import markupsafe, markupsafe._speedups as sp
assert markupsafe.escape is sp.escape, "escape is not the C one"
assert sp.__spec__.origin == "built-in", f"_speedups is not welded in: {sp.__spec__.origin}"
print(markupsafe.escape("<a href='x'>&</a>"))
print(markupsafe.Markup("<b>%s</b>") % "<i>")
print(markupsafe.Markup("<em>x</em>").striptags())
"""


def case_markupsafe(c):
    """a real package's application test, pruned and not"""
    tarball = sdist("MarkupSafe-2.1.5.tar.gz")
    outs, sizes = {}, {}
    for mode in ("--prune", "--no-prune"):
        app = c.path("app" + mode)
        c.build_ok("--pip-install", tarball, "--env", "REQUIRE_SPEEDUPS=1",
                   "--python-code", APP_TEST, "-o", app, mode, timeout=1200)
        r = c.run([app], env=c.run_env, timeout=120)
        c.check(r.returncode == 0, f"{mode}: exit {r.returncode}:\n{r.out}{r.err}")
        outs[mode], sizes[mode] = r.out, os.path.getsize(app)
    c.check(outs["--prune"] == outs["--no-prune"] and "&lt;a href=&#39;x&#39;&gt;" in
            outs["--prune"], f"pruned and unpruned differ: {outs}")
    c.check(sizes["--prune"] < sizes["--no-prune"], f"the pruned binary is not smaller: {sizes}")


# Rust lays its string constants end to end, no NUL between them: what its
# code imports by name ("fractions", "ipaddress") is found in them all the
# same.  A C string that only holds a name ("no decimal here") is no import.
RUST_NAMES = """\
extern "C" {
    fn PyImport_Import(name: *const u8) -> *const u8;
}
#[no_mangle]
pub extern "C" fn pw_names(i: usize) -> *const u8 {
    unsafe { PyImport_Import(["fractions", "ipaddress"][i & 1].as_ptr()) }
}
"""
C_NAMES = """\
extern void *PyImport_ImportModule(const char *);
const char *pw_c_names[] = { "no decimal here", "_struct" };
void *pw_c_import(int i) { return PyImport_ImportModule(pw_c_names[i & 1]); }
"""
# Names that are a module's (statistics) in an object that calls nothing
# that imports: method names, as unicodedata's "decimal" or _sha3's "copy".
C_METHOD_NAMES = 'const char *pw_m_names[] = { "statistics", "struct" };\n'


def reach_record(kind, name, data=b""):
    n = name.encode()
    return kind.encode() + struct.pack("<I", len(n)) + n + struct.pack("<I", len(data)) + data


def case_rust_names(c):
    """reach.py: the modules a Rust object names, and a C object's"""
    rustc = shutil.which("rustc")
    if not rustc:
        raise wt.Skip("no rustc on PATH (a Rust object to read)")
    objs = {}
    for name, src, argv in (("pw_rs", RUST_NAMES, [rustc, "-O", "--crate-type=lib",
                                                   "--emit=obj"]),
                            ("pw_c", C_NAMES, ["gcc", "-c", "-O2", "-x", "c"]),
                            ("pw_m", C_METHOD_NAMES, ["gcc", "-c", "-O2", "-x", "c"])):
        path, objs[name] = c.path(name + ".src"), c.path(name + ".o")
        wt.write(path, src)
        r = c.run([*argv, "-o", objs[name], path])
        c.require(r.returncode == 0, f"{argv[0]} failed:\n{r.out}{r.err}")
    with open(objs["pw_rs"], "rb") as f:
        c.require(b"fractionsipaddress" in f.read(),
                  "rustc did not lay the names end to end: nothing to test")
    data = b"".join(reach_record("M", m, marshal.dumps(compile("", m, "exec")))
                    for m in ("fractions", "ipaddress", "statistics", "decimal", "struct"))
    data += b"".join(reach_record("X", n, p.encode()) + reach_record("R", n)
                     for n, p in objs.items())
    data += reach_record("X", "_struct", b"")
    with open(c.path("reach.in"), "wb") as f:
        f.write(data)
    reach = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                         "inittab-gen", "reach.py")
    r = c.run([sys.executable, "-I", reach, c.path("reach.in"), c.path("reach.out")])
    c.require(r.returncode == 0, f"reach.py exited {r.returncode}:\n{r.out}{r.err}")
    with open(c.path("reach.out"), "rb") as f:
        got = f.read().decode().split("\0")[:-1]
    c.check(got == ["_struct", "fractions", "ipaddress", "pw_c", "pw_m", "pw_rs"],
            f"reached (wanted the Rust object's fractions and ipaddress, the C "
            f"object's _struct, not decimal from a C sentence, nothing from an "
            f"object that cannot import: statistics, struct): {got}")


# An application whose imports run at start-up in some places and not in
# others: the top level, a class body, the __main__ block's main() and a
# function `from ... import` names run, a with statement's body too;
# helper() only by a name made at run time, later; an except clause only
# when what it guards fails (json does not).
START_APP = """\
try:
    import json
except ImportError:
    import wave
from pw_start_lib import setup, later as run_later, ON_LINUX

if not ON_LINUX:                            # known as the binary runs: never
    import sched

def helper():
    import csv
    return csv


def main():
    import argparse
    setup()
    print("started", json.dumps([argparse.__name__]))


class Config:
    import fractions


if __name__ == "__main__":
    main()
    import sys
    if sys.argv[1:] == ["--helper"]:
        print("later", globals()[sys.argv[1][2:]]().__name__)
"""

START_LIB = """\
def setup():
    import contextlib
    with contextlib.suppress(ValueError):
        import decimal
    return decimal


def unused():
    import statistics


def unpack_later():
    import tarfile


def later():
    import shelve


def on_start(f):
    return f()


def started():
    import numbers
    return numbers


FORMATS = {"tar": (["tar"], unpack_later)}  # a table: run later, if ever
VALUE = on_start(started)                   # handed to a call: runs now

import sys
ON_LINUX = sys.platform.startswith("linux")
if sys.platform == "win32":                 # tests of the platform and the
    import mailbox                          # version: only the side taken
elif ON_LINUX:
    import quopri
if sys.version_info >= (3, 99):
    import getopt
"""


def case_start_set(c):
    """deep-frozen: what the entry point imports as it starts, not the rest"""
    lib = c.path("pw start lib")
    wt.write(os.path.join(lib, "pw_start_lib.py"), START_LIB)
    wt.write(os.path.join(lib, "setup.py"), "from setuptools import setup\n"
             "setup(name='pw-start-lib', version='1.0', py_modules=['pw_start_lib'])\n")
    wt.write(c.path("app.py"), START_APP)
    # reach.py itself: the start set of a module graph, exactly.
    mods = {"__pyweld_main__": START_APP, "pw_start_lib": START_LIB}
    for m in ("json", "csv", "argparse", "fractions", "decimal", "statistics", "wave",
              "contextlib", "tarfile", "numbers", "shelve", "sched", "mailbox", "quopri",
              "getopt"):
        mods[m] = ""
    data = b"".join(reach_record("M", m, marshal.dumps(compile(src, m, "exec")))
                    for m, src in mods.items())
    data += reach_record("E", "__pyweld_main__")
    with open(c.path("reach.in"), "wb") as f:
        f.write(data)
    reach = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                         "inittab-gen", "reach.py")
    r = c.run([sys.executable, "-I", reach, c.path("reach.in"), c.path("reach.out"),
               c.path("reach.start")])
    c.require(r.returncode == 0, f"reach.py exited {r.returncode}:\n{r.out}{r.err}")
    got = {}
    for out in ("reach.out", "reach.start"):
        with open(c.path(out), "rb") as f:
            got[out] = f.read().decode().split("\0")[:-1]
    c.check(got["reach.out"] == sorted(mods),
            f"reached (wanted every module): {got['reach.out']}")
    c.check(got["reach.start"] == ["__pyweld_main__", "argparse", "contextlib", "decimal",
                                   "fractions", "json", "numbers", "pw_start_lib", "quopri"],
            f"reached as it starts (wanted numbers: started() is handed to a call; "
            f"not csv: nothing names helper(); not statistics: nothing calls "
            f"unused(); not wave: only an except clause imports it; not tarfile: "
            f"unpack_later() is only put in a table; not shelve: later() is imported by "
            f"name, never named after; quopri and not mailbox, getopt or sched: the "
            f"tests of the platform and the version): {got['reach.start']}")
    # The weld: those deep-frozen, the rest unmarshalled, all importable.
    app = c.path("app")
    p = c.build("--setup-py", lib, "--script", c.path("app.py"), "-o", app,
                "--size-report=json")
    rep = {m["name"]: m for m in size_json(c, p)["modules"]}
    for name in ("json", "argparse", "decimal", "fractions", "json.decoder", "contextlib",
                 "numbers", "quopri"):
        c.check(name in rep and rep[name]["deep_frozen"] > 0 and rep[name]["bytecode"] == 0,
                f"{name}, imported as the app starts, is not deep-frozen: {rep.get(name)}")
    for name in ("csv", "statistics", "wave", "tarfile", "shelve", "mailbox", "getopt",
                 "sched"):
        c.check(name in rep and rep[name]["deep_frozen"] == 0 and rep[name]["bytecode"] > 0,
                f"{name}, imported later or never, is deep-frozen or missing: "
                f"{rep.get(name)}")
    out = lines_of(c, app, "--helper")
    c.check(out == ['started ["argparse"]', "later csv"],
            f"the app's output: {out}")


# Runs the Python file given as its argument, as a plugin host or a test
# runner does: the weld cannot see what that file imports.
RUNNER = "import runpy, sys\nrunpy.run_path(sys.argv[1], run_name='__main__')\n"


def case_reach_file(c):
    """--reach-file: what a file or a directory of files run from outside
    imports is kept; a file that does not compile, or imports relatively,
    adds nothing and breaks nothing; a missing path is a clear error"""
    plugins = c.path("plug ins")
    wt.write(os.path.join(plugins, "mail.py"),
             "import email.message\nm = email.message.Message()\nm['x'] = 'y'\n"
             "print('mail', m['x'])\n")
    wt.write(os.path.join(plugins, "sub", "dom.py"),
             "from . import sibling\nfrom xml.dom import minidom\n"
             "print('dom', minidom.parseString('<a/>').documentElement.tagName)\n")
    wt.write(os.path.join(plugins, "sub", "old.py"), "print 'python 2'\n")
    os.mkfifo(os.path.join(plugins, "sub", "fifo.py"))    # never opened
    app = c.path("runner")
    c.build_ok("--python-code", RUNNER, "-o", app)
    r = c.run([app, os.path.join(plugins, "mail.py")], env=c.run_env, timeout=60)
    c.check(r.returncode != 0 and "rebuild with --keep-module '^email$'" in r.err,
            f"without --reach-file, the plugin's email should be pruned: exit "
            f"{r.returncode}\n{wt.tail(r.err)}")
    c.build_ok("--python-code", RUNNER, "-o", app, "--reach-file", plugins)
    for rel, want in (("mail.py", "mail y"), ("sub/dom.py", "dom a")):
        path = os.path.join(plugins, rel)
        if rel == "sub/dom.py":     # run as a file: its relative import has no package
            with open(path) as f:
                text = f.read().replace("from . import sibling\n", "")
            path = c.path("dom.py")
            wt.write(path, text)
        out = lines_of(c, app, path)
        c.check(out == [want], f"{rel} through the runner printed {out}, wanted [{want!r}]")
    # one file alone
    c.build_ok("--python-code", RUNNER, "-o", app,
               "--reach-file", os.path.join(plugins, "mail.py"))
    out = lines_of(c, app, os.path.join(plugins, "mail.py"))
    c.check(out == ["mail y"], f"mail.py given alone: {out}")
    os.mkdir(c.path("out"))
    sentinel = c.path("out", "app")
    before = c.sentinel(sentinel)
    p = c.build("--python-code", RUNNER, "-o", sentinel, "--reach-file", c.path("no such 'f'"))
    c.check_clear_error(p, "a missing --reach-file", ["no such 'f'"])
    c.check_sentinel(sentinel, before, "a missing --reach-file")


CASES = {
    "hello": case_hello,
    "reach_file": case_reach_file,
    "start_set": case_start_set,
    "keep_module": case_keep_module,
    "python_like": case_python_like,
    "markupsafe": case_markupsafe,
    "rust_names": case_rust_names,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "prune"))

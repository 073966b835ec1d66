#!/usr/bin/env python3
"""weld_preflight.py: the pre-flight scan of `pyweld build` (docs/blob.md).

Cases:
  warnings       a local package with one line of each kind the scan names
                 (open() of a path under __file__, pathlib reads beside
                 __file__, os.listdir of __file__'s directory, ctypes and
                 cffi loading a library next to __file__, a path built in
                 __file__'s directory and kept for later, as
                 lxml.isoschematron does) and lines it must not name
                 (importlib.resources, a comment naming __file__): the build
                 succeeds; the lines the binary's view of its packed tree
                 serves (docs/weld.md, "Data beside __file__") are notes, the
                 libraries loaded by path stay warnings, each line named
                 exactly once with its file and line number, the good ones
                 never; the binary runs the package and reads its data
                 beside __file__.
  no_file_view   the same package with --no-file-view: every line the scan
                 names is a warning, no note; the binary still runs what
                 works from memory.

    weld_preflight.py --pyweld build/bin/pyweld [--keep] [CASE...]
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402

PF_SETUP = """
from setuptools import setup
setup(name="pfx", version="1.0", packages=["pfx"], package_data={"pfx": ["data.txt"]})
"""

# (source line, the start of what the scan says or None, served by the view)
PF_LINES = [
    ("import ctypes, os, pathlib", None, False),
    ("import importlib.resources", None, False),
    ("def a(): return open(os.path.join(os.path.dirname(__file__), 'data.txt')).read()",
     "opens a file relative to __file__", True),
    ("def b(): return pathlib.Path(__file__).parent.joinpath('data.txt').read_text()",
     "reads files next to __file__ through pathlib", True),
    ("def c(): return os.listdir(os.path.dirname(os.path.abspath(__file__)))",
     "lists the directory of __file__", True),
    ("def d(): return ctypes.CDLL(os.path.join(os.path.dirname(__file__), 'libx.so'))",
     "loads a shared library by a path next to __file__ (ctypes)", False),
    ("def e(ffi): return ffi.dlopen(os.path.join(os.path.dirname(__file__), 'libx.so'))",
     "loads a shared library by a path next to __file__ (cffi)", False),
    ("_RES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'resources')",
     "builds a path in the directory of __file__", True),
    ("# open(os.path.join(os.path.dirname(__file__), 'data.txt')) is what a() does", None, False),
    ("TEXT = importlib.resources.files(__name__).joinpath('data.txt').read_text()", None, False),
    ("HERE = os.path.basename(__file__)", None, False),
]


def build_pf(c, *extra):
    src = c.path("src")
    wt.write(os.path.join(src, "setup.py"), PF_SETUP)
    wt.write(os.path.join(src, "pfx", "__init__.py"),
             "".join(line + "\n" for line, _, _ in PF_LINES))
    wt.write(os.path.join(src, "pfx", "data.txt"), "from memory\n")
    os.mkdir(c.path("out"))
    app = c.path("out", "app")
    code = "import pfx; print(pfx.TEXT.strip(), pfx.HERE, pfx.a().strip())"
    p = c.build_ok("--setup-py", src, "--python-code", code, "-o", app, *extra)
    return p, app


def check_said(c, p, view):
    """Each named line once, a note when the view serves it, else a warning."""
    said = {}
    for m in re.finditer(r"^pyweld: (warning|note): pfx/__init__\.py:(\d+): (.*)$", p.err,
                         re.M):
        said.setdefault(int(m.group(2)), []).append((m.group(1), m.group(3)))
    for n, (line, want, served) in enumerate(PF_LINES, 1):
        got = said.get(n, [])
        if want is None:
            c.check(not got, f"line {n} ({line!r}) can work from memory, yet: {got}")
            continue
        kind = "note" if served and view else "warning"
        c.check(len(got) == 1 and got[0][0] == kind and got[0][1].startswith(want),
                f"line {n} ({line!r}): wanted one {kind} starting {want!r}, got {got}")
    extra = sorted(set(said) - set(range(1, len(PF_LINES) + 1)))
    c.check(not extra, f"notes or warnings for lines the file does not have: {extra}")
    c.check("pre-flight" not in p.err, "the build's own output says 'pre-flight' (the "
            "word belongs in the log)")


def case_warnings(c):
    """lines the view serves are notes, libraries loaded by path warnings, each once"""
    p, app = build_pf(c)
    check_said(c, p, view=True)
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == "from memory __init__.py from memory",
            f"the binary exited {r.returncode} and printed {r.out!r}:\n{wt.tail(r.err)}")


def case_no_file_view(c):
    """--no-file-view: every line the scan names is a warning"""
    p, app = build_pf(c, "--no-file-view")
    check_said(c, p, view=False)
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 1 and "NotADirectoryError" in r.err,
            f"without the view, pfx.a() must fail as before (NotADirectoryError); the "
            f"binary exited {r.returncode}:\n{wt.tail(r.err)}")


CASES = {
    "warnings": case_warnings,
    "no_file_view": case_no_file_view,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "weld"))

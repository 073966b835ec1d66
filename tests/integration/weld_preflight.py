#!/usr/bin/env python3
"""weld_preflight.py: the pre-flight scan of `pyweld build` (docs/blob.md).

Cases:
  warnings   a local package with one line of each kind that cannot work from
             memory (open() of a path under __file__, pathlib reads beside
             __file__, os.listdir of __file__'s directory, ctypes and cffi
             loading a library next to __file__, a path built in __file__'s
             directory and kept for later, as lxml.isoschematron does) and
             lines that can (importlib.resources, a comment naming __file__):
             the build succeeds and warns exactly once for each bad line, with
             its file and line number, and never for the good ones; the
             binary runs the package.

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

# (source line, the start of the expected warning or None for no warning)
PF_LINES = [
    ("import ctypes, os, pathlib", None),
    ("import importlib.resources", None),
    ("def a(): return open(os.path.join(os.path.dirname(__file__), 'data.txt')).read()",
     "opens a file relative to __file__"),
    ("def b(): return pathlib.Path(__file__).parent.joinpath('data.txt').read_text()",
     "reads files next to __file__ through pathlib"),
    ("def c(): return os.listdir(os.path.dirname(os.path.abspath(__file__)))",
     "lists the directory of __file__"),
    ("def d(): return ctypes.CDLL(os.path.join(os.path.dirname(__file__), 'libx.so'))",
     "loads a shared library by a path next to __file__ (ctypes)"),
    ("def e(ffi): return ffi.dlopen(os.path.join(os.path.dirname(__file__), 'libx.so'))",
     "loads a shared library by a path next to __file__ (cffi)"),
    ("_RES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'resources')",
     "builds a path in the directory of __file__"),
    ("# open(os.path.join(os.path.dirname(__file__), 'data.txt')) is what a() does", None),
    ("TEXT = importlib.resources.files(__name__).joinpath('data.txt').read_text()", None),
    ("HERE = os.path.basename(__file__)", None),
]


def case_warnings(c):
    """each line that cannot work from memory is warned about once, by file and line"""
    src = c.path("src")
    wt.write(os.path.join(src, "setup.py"), PF_SETUP)
    wt.write(os.path.join(src, "pfx", "__init__.py"),
             "".join(line + "\n" for line, _ in PF_LINES))
    wt.write(os.path.join(src, "pfx", "data.txt"), "from memory\n")
    os.mkdir(c.path("out"))
    app = c.path("out", "app")
    code = "import pfx; print(pfx.TEXT.strip(), pfx.HERE)"
    p = c.build_ok("--setup-py", src, "--python-code", code, "-o", app)

    got = {}
    for m in re.finditer(r"^pyweld: warning: pfx/__init__\.py:(\d+): (.*)$", p.err, re.M):
        got.setdefault(int(m.group(1)), []).append(m.group(2))
    for n, (line, want) in enumerate(PF_LINES, 1):
        said = got.get(n, [])
        if want is None:
            c.check(not said, f"line {n} ({line!r}) can work from memory, yet: {said}")
        else:
            c.check(len(said) == 1 and said[0].startswith(want),
                    f"line {n} ({line!r}): wanted one warning starting {want!r}, got "
                    f"{said}")
    extra = sorted(set(got) - set(range(1, len(PF_LINES) + 1)))
    c.check(not extra, f"warnings for lines the file does not have: {extra}")
    c.check("pre-flight" not in p.err, "the build's own output says 'pre-flight' (the "
            "word belongs in the log)")

    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == "from memory __init__.py",
            f"the binary exited {r.returncode} and printed {r.out!r}:\n{wt.tail(r.err)}")


CASES = {
    "warnings": case_warnings,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "weld"))

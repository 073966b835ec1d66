#!/usr/bin/env python3
"""gen_import_stdlib.py: writes import_stdlib.py, one `import` per standard-library module.

The application of the "stdlib" benchmark, after PyOxidizer's: every module
of the distribution's standard library (packages and their submodules, and
the extension modules of lib-dynload) that imports cleanly in a fresh
process in EVERY interpreter given (exit status 0, nothing on stdout), left
out by name:

  - `__main__` submodules (running them is not importing them);
  - test suites: `test`, `*.test`, `*.tests`, `*.idle_test`, `_test*`,
    `xxlimited*`, `_xxtestfuzz`, `_ctypes_test`, `xxsubtype`;
  - idlelib, tkinter, turtle, turtledemo (GUI; not packed by pyweld);
  - antigravity and this (a browser, the Zen on stdout), __hello__ and
    __phello__ (print on import);
  - distutils, _distutils_hack, _distutils_system_mod, setuptools,
    pkg_resources, ensurepip: on Debian's python3.11 site path,
    `_distutils_hack` turns `import distutils` into an import of setuptools
    and pkg_resources (~250 ms) that no other interpreter pays
    (a trap for any benchmark of imports on Debian);
  - lib2to3: the same kind of trap. Debian patched lib2to3 never to save its
    grammar pickles, so Debian's python3.11 regenerates the grammar tables
    from Grammar.txt at every `import lib2to3.pygram` (~100 M instructions),
    while pyweld's distribution ships the pickles and loads them.

The script ends by printing "imported N modules": a run that did not print
it failed (an early ImportError also looks fast).

    python3 bench/gen_import_stdlib.py --stdlib DIST/prefix/lib/python3.11 \\
        -o import_stdlib.py -- INTERPRETER... (each a shell-quoted command)
"""

import argparse
import concurrent.futures
import keyword
import os
import re
import shlex
import subprocess
import sys

EXCLUDE_TOP = {
    "test", "idlelib", "tkinter", "turtle", "turtledemo", "antigravity", "this",
    "__hello__", "__phello__", "distutils", "_distutils_hack", "_distutils_system_mod",
    "setuptools", "pkg_resources", "ensurepip", "xxsubtype", "_xxtestfuzz",
    "_ctypes_test", "_tkinter", "lib-dynload", "site-packages", "lib2to3",
}
EXCLUDE_RE = re.compile(r"(^|\.)(__main__|test|tests|idle_test)(\.|$)|^_test|^xxlimited")


def candidates(stdlib):
    names = set()
    for root, dirs, files in os.walk(stdlib):
        rel = os.path.relpath(root, stdlib)
        parts = [] if rel == "." else rel.split(os.sep)
        if parts and parts[0] in EXCLUDE_TOP:
            dirs[:] = []
            continue
        if parts and not os.path.isfile(os.path.join(root, "__init__.py")):
            dirs[:] = []                      # not a package (config-3.11-..., __pycache__)
            continue
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for f in files:
            if not f.endswith(".py"):
                continue
            mod = parts + ([] if f == "__init__.py" else [f[:-3]])
            if mod:
                names.add(".".join(mod))
    dyn = os.path.join(stdlib, "lib-dynload")
    if os.path.isdir(dyn):
        for f in os.listdir(dyn):
            if f.endswith(".so"):
                names.add(f.split(".", 1)[0])
    out = []
    for n in sorted(names):
        parts = n.split(".")
        if parts[0] in EXCLUDE_TOP or EXCLUDE_RE.search(n):
            continue
        if not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
            continue                          # _sysconfigdata__linux_x86_64-linux-gnu
        out.append(n)
    return out


def imports_cleanly(argv, name, env):
    try:
        p = subprocess.run(argv + ["-c", "import " + name], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60, env=env, cwd="/")
    except subprocess.TimeoutExpired:
        return False, "timeout"
    if p.returncode != 0:
        last = p.stderr.decode(errors="replace").strip().splitlines()[-1:]
        return False, "exit %d: %s" % (p.returncode, last[0] if last else "")
    if p.stdout.strip():
        return False, "prints %r" % p.stdout[:40]
    return True, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stdlib", required=True, help="the distribution's lib/python3.11")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("interpreters", nargs="+", help="shell-quoted commands, e.g. "
                    "'/usr/bin/python3.11 -I -S'")
    args = ap.parse_args()
    cands = candidates(args.stdlib)
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": os.environ.get("HOME", "/"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    rejected = {}
    ok = list(cands)
    for interp in args.interpreters:
        argv = shlex.split(interp)
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
            res = list(ex.map(lambda n: imports_cleanly(argv, n, env), ok))
        keep = []
        for n, (good, why) in zip(ok, res):
            if good:
                keep.append(n)
            else:
                rejected[n] = "%s: %s" % (os.path.basename(argv[0]), why)
        ok = keep
    lines = [
        "# import_stdlib.py: generated by bench/gen_import_stdlib.py; do not edit.",
        "# %d standard-library modules that import cleanly in a fresh process in:" % len(ok),
    ] + ["#   %s" % i for i in args.interpreters] + [
        "# %d candidates rejected (not importable in one of them):" % len(rejected),
    ] + ["#   %s (%s)" % (n, rejected[n]) for n in sorted(rejected)] + [
        "import warnings",
        "warnings.simplefilter('ignore')",
    ] + ["import %s" % n for n in ok] + [
        "print('imported %d modules')" % len(ok),
    ]
    tmp = args.output + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, args.output)
    print("gen_import_stdlib: %d candidates, %d import cleanly everywhere, %d rejected -> %s"
          % (len(cands), len(ok), len(rejected), args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())

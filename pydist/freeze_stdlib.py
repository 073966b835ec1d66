"""freeze_stdlib.py: the standard library deep-frozen, for welded binaries.

    python3.11 -I freeze_stdlib.py TOOLS STDLIB OUT

A welded binary imports the standard library from its blob, and
unmarshalling the code is the largest single cost of an import after
running the module body (docs/blob.md, "Where the time goes").  This
script compiles each standard-library module, as compile_blob.py would
for the blob, and deep-freezes its code into C data with CPython's own
Tools/scripts/deepfreeze.py (TOOLS), through pyweld's lazy printer
(deepfreeze_lazy.py, beside it as pyweld_deepfreeze.py): nothing is done
for a module until its getter is first called.

OUT receives:
  c/<symbol>.c    one module each; its only global is PyObject *<symbol>(void)
  manifest.tsv    "key<TAB>module<TAB>symbol" per module, sorted by module
  Makefile        builds the objects: make -C OUT CC=... CFLAGS=... objects

The key is compile_blob.py's cache key for the same module: the SHA-256 of
the interpreter's magic, the optimisation level (0), the path relative to
STDLIB and the source.  pyweld build uses the deep-frozen code for a packed
module only when the keys are equal, so code frozen here is always the
code the blob holds.  Run by the distribution's own interpreter.

Left out: what pyweld build leaves out of a blob by default (test suites,
idlelib, tkinter, turtledemo, turtle, __phello__), modules CPython already
deep-freezes, and files that are not Python 3.11.
"""
import hashlib
import importlib.util
import io
import os
import re
import sys

EXCLUDED = re.compile(r"^(idlelib|tkinter|turtledemo|turtle|__phello__)(\.|$)"
                      r"|(^|\.)tests?(\.|$)")
SKIPPED_DIRS = {"site-packages", "__pycache__"}


def modules(stdlib):
    """(module, relative path, absolute path) of every module to freeze."""
    found = []
    for dirpath, dirnames, filenames in os.walk(stdlib):
        rel_dir = os.path.relpath(dirpath, stdlib)
        dirnames[:] = sorted(d for d in dirnames
                             if d not in SKIPPED_DIRS and not d.startswith("config-")
                             and d.isidentifier())
        for f in sorted(filenames):
            if not f.endswith(".py") or not f[:-3].isidentifier():
                continue
            rel = f if rel_dir == "." else os.path.join(rel_dir, f)
            parts = rel[:-3].split(os.sep)
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join(parts)
            if EXCLUDED.search(name):
                continue
            found.append((name, rel, os.path.join(dirpath, f)))
    return found


def key(rel, source):
    h = hashlib.sha256(importlib.util.MAGIC_NUMBER)
    h.update(b"%d\0%s\0" % (0, rel.encode("utf-8", "surrogateescape")))
    h.update(source)
    return h.hexdigest()


def symbol(name, taken):
    base = "_pyweld_frozen_" + re.sub(r"[^A-Za-z0-9]", "_", name.replace(".", "__"))
    sym, n = base, 1
    while sym in taken:
        n += 1
        sym = f"{base}_{n}"
    taken.add(sym)
    return sym


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: freeze_stdlib.py TOOLS STDLIB OUT")
    tools, stdlib, out = sys.argv[1:]
    sys.path.insert(0, tools)
    import _imp
    import pyweld_deepfreeze

    class Printer(pyweld_deepfreeze.LazyPrinter):
        def __init__(self, file, sym):
            super().__init__(file, owns_list=False)
            self.sym = sym

        def getter(self, module):
            return self.sym

    cdir = os.path.join(out, "c")
    os.makedirs(cdir, exist_ok=True)
    taken, rows, skipped = set(), [], []
    for name, rel, path in modules(stdlib):
        if _imp.is_frozen(name):
            continue                # deep-frozen in libpython already
        with open(path, "rb") as f:
            source = f.read()
        try:
            code = compile(source, rel, "exec", dont_inherit=True, optimize=0)
        except (SyntaxError, ValueError):
            skipped.append(rel)     # kept as a resource by pyweld build
            continue
        sym = symbol(name, taken)
        text = io.StringIO()
        Printer(text, sym).generate_file(name, code)
        c = os.path.join(cdir, sym + ".c")
        with open(c + ".tmp", "w", encoding="utf-8") as f:
            f.write(text.getvalue())
        os.replace(c + ".tmp", c)
        rows.append((key(rel, source), name, sym))

    rows.sort(key=lambda row: row[1])
    with open(os.path.join(out, "manifest.tsv"), "w", encoding="utf-8") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")
    objs = " ".join(f"o/{sym}.o" for _, _, sym in rows)
    with open(os.path.join(out, "Makefile"), "w", encoding="utf-8") as f:
        f.write("# Written by freeze_stdlib.py: make CC=... CFLAGS=... objects\n"
                f"objects: {objs}\n"
                "o/%.o: c/%.c\n"
                "\t@mkdir -p o\n"
                "\t$(CC) $(CFLAGS) -c $< -o $@\n")
    print(f"freeze_stdlib: {len(rows)} modules deep-frozen"
          + (f", {len(skipped)} not Python 3.11 left out" if skipped else ""))


if __name__ == "__main__":
    main()

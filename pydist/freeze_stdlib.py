"""freeze_stdlib.py: the standard library deep-frozen, for welded binaries.

    python3.11 -I freeze_stdlib.py TOOLS STDLIB OUT [--exclude PATTERN]...

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

Left out: modules whose dotted name matches a PATTERN (pydist passes what
pyweld build leaves out of a blob by default: test suites, idlelib,
tkinter and the like), modules CPython already deep-freezes, and files
that are not Python 3.11.
"""
import hashlib
import importlib.util
import io
import os
import re
import sys

SKIPPED_DIRS = {"site-packages", "__pycache__"}


def modules(stdlib, excluded):
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
            if any(pattern.search(name) for pattern in excluded):
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


class SharedStrings:
    """The string constants of every module, each defined once, in strings.c.

    deepfreeze.py gives each module file its own static copy of each string
    it uses, and a welded binary interned every copy: 160,000 dict lookups
    at imports of the standard library, most for a value another module had
    interned already.  A shared object is interned by the first module made
    ready; the next finds it interned and goes on.  Module files declare
    what they use as extern, with the very struct type of the definition.
    """

    def __init__(self, printer_class):
        self.printer_class = printer_class
        self.known = {}             # value -> (declaration, C name, reference)
        self.definitions = []

    def get(self, s):
        if s not in self.known:
            cname = f"_pyweld_str_{len(self.known)}"
            printer = self.printer_class(io.StringIO())
            start = printer.file.tell()
            # deepfreeze.py names an identifier-like value const_str_<value>.
            ref = printer.generate_unicode(cname, s)
            own = ref.lstrip("& ").split(".")[0]
            lines = printer.file.getvalue()[start:].splitlines()
            # "static", the struct type, "<own> = {", the initialiser, "};"
            assert lines[0].strip() == "static", lines[:2]
            at = next(i for i, l in enumerate(lines) if l.startswith(own + " ="))
            struct = " ".join(l.strip() for l in lines[1:at])
            self.definitions.append("\n".join(
                [f"__attribute__((visibility(\"hidden\"))) {struct}",
                 cname + lines[at][len(own):], *lines[at + 1:]]))
            self.known[s] = (f"extern {struct} {cname};", cname,
                             ref.replace(own, cname, 1))
        return self.known[s]

    def write(self, path):
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write("/* The deep-frozen standard library's strings "
                    "(pydist/freeze_stdlib.py). */\n"
                    '#include "Python.h"\n\n')
            for d in self.definitions:
                f.write(d + "\n")
        os.replace(path + ".tmp", path)


def main():
    args = sys.argv[1:]
    if len(args) < 3 or len(args) % 2 == 0 or any(a != "--exclude" for a in args[3::2]):
        sys.exit("usage: freeze_stdlib.py TOOLS STDLIB OUT [--exclude PATTERN]...")
    tools, stdlib, out = args[:3]
    excluded = [re.compile(pattern) for pattern in args[4::2]]
    sys.path.insert(0, tools)
    import _imp
    import pyweld_deepfreeze

    deepfreeze = pyweld_deepfreeze.deepfreeze
    # deepfreeze.py's own printer, which the lazy one extends, writes them.
    shared = SharedStrings(pyweld_deepfreeze.LazyPrinter.__base__)

    class Printer(pyweld_deepfreeze.LazyPrinter):
        def __init__(self, file, sym):
            super().__init__(file, owns_list=False)
            self.sym = sym

        def getter(self, module):
            return self.sym

        def generate_unicode(self, name, s):
            if s in deepfreeze.strings or s in deepfreeze.identifiers:
                return super().generate_unicode(name, s)     # libpython's own
            decl, cname, ref = shared.get(s)
            self.write(decl)
            # Idempotent: every module using the string resets it at exit.
            self.deallocs.append(f"_PyStaticUnicode_Dealloc((PyObject *)&{cname});")
            return ref

    cdir = os.path.join(out, "c")
    os.makedirs(cdir, exist_ok=True)
    taken, rows, skipped = set(), [], []
    for name, rel, path in modules(stdlib, excluded):
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

    shared.write(os.path.join(cdir, "strings.c"))
    rows.sort(key=lambda row: row[1])
    with open(os.path.join(out, "manifest.tsv"), "w", encoding="utf-8") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")
    objs = " ".join(["o/strings.o"] + [f"o/{sym}.o" for _, _, sym in rows])
    with open(os.path.join(out, "Makefile"), "w", encoding="utf-8") as f:
        f.write("# Written by freeze_stdlib.py: make CC=... CFLAGS=... objects\n"
                f"objects: {objs}\n"
                # A string in a section of its own: a weld links the
                # strings its modules use, not all of them.
                "o/strings.o: c/strings.c\n"
                "\t@mkdir -p o\n"
                "\t$(CC) $(CFLAGS) -fdata-sections -c $< -o $@\n"
                "o/%.o: c/%.c\n"
                "\t@mkdir -p o\n"
                "\t$(CC) $(CFLAGS) -c $< -o $@\n")
    print(f"freeze_stdlib: {len(rows)} modules deep-frozen, "
          f"{len(shared.known)} strings shared"
          + (f", {len(skipped)} not Python 3.11 left out" if skipped else ""))


if __name__ == "__main__":
    main()

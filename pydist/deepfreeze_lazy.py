"""deepfreeze_lazy.py: CPython 3.11's deep-freeze, each module made ready on use.

CPython 3.11 compiles the modules of its own start-up (importlib, codecs,
io, os, site, runpy, ...) into C data: Tools/scripts/deepfreeze.py writes
Python/deepfreeze/deepfreeze.c, and their code objects need no unmarshalling.
But that file's _Py_Deepfreeze_Init() interns the strings of EVERY deep-frozen
code object at start-up, and _Py_Deepfreeze_Fini() resets every one of them
at exit, imported or not: 1.9 M of the 19 M instructions of a welded hello
world, half of it for modules it never imports (os, site, ntpath, runpy ...).

Here each module's code objects are made ready (patched up and interned)
by its getter the first time the import system asks for it; the getter
then puts the module on a list, _pyweld_frozen_ready, and only the modules
on it are reset at exit.  Init does nothing.  What a module's code looks
like once ready is what CPython makes of it.  At exit a code object that
never ran (most of an imported module's functions) is left alone:
_PyStaticCode_Dealloc would walk its bytecode to undo a quickening that
never happened (code is quickened only when its warm-up counter reaches 0)
and find nothing else to free.

Two differences from CPython's own output.  A frozenset constant (what
`x in {"a", "b"}` compiles to) is deep-frozen as a tuple, with a TODO in
deepfreeze.py.  Here the module's patch-ups replace it by a real frozenset
when the module is made ready, so such code behaves and costs as compiled.
And a string constant is never taken for a global string that only looks
the same in C source (a backslash and an n for a newline, below).

The same printer deep-freezes the standard library for welded binaries
(pydist/freeze_stdlib.py): one module per C file, getters named by the
caller, the ready list shared with libpython's deep-frozen modules.

pyweld's distribution build (pydist/pydist.c) writes this file beside
Tools/scripts/deepfreeze.py and points Makefile.pre.in's deep-freeze rule
at it; it runs under the build's _bootstrap_python like the original.
"""
import types

import deepfreeze
import umarshal


PROLOGUE = """
/* Modules made ready, to be reset at exit (pydist/deepfreeze_lazy.py). */
struct _pyweld_frozen_module {
    void (*fini)(void);
    struct _pyweld_frozen_module *next;
};
extern struct _pyweld_frozen_module *_pyweld_frozen_ready;

/* _PyStaticCode_Dealloc when there is anything for it to undo. */
static void
pyweld_code_fini(PyCodeObject *co)
{
    if (co->co_warmup == QUICKENING_INITIAL_WARMUP_VALUE && co->co_extra == NULL &&
        co->_co_code == NULL && co->co_weakreflist == NULL && co->_co_linearray == NULL)
        return;
    _PyStaticCode_Dealloc(co);
}

/* The frozenset constant that deepfreeze.py could only write as a tuple. */
static int
pyweld_frozenset(PyObject **slot)
{
    if (!PyTuple_CheckExact(*slot))
        return 0;                   /* made already, by an earlier start */
    PyObject *fs = PyFrozenSet_New(*slot);
    if (fs == NULL)
        return -1;
    *slot = fs;                     /* the static tuple needs no reference */
    return 0;
}
"""

# libpython's deepfreeze.c owns the list, and its _Py_Deepfreeze_Fini
# (the Printer's deallocs) resets what is on it.
READY_LIST = """
struct _pyweld_frozen_module *_pyweld_frozen_ready;
"""
READY_FINI = [
    "while (_pyweld_frozen_ready) {",
    "    struct _pyweld_frozen_module *m = _pyweld_frozen_ready;",
    "    _pyweld_frozen_ready = m->next;",
    "    m->next = NULL;",
    "    m->fini();",
    "}",
]


# deepfreeze.py maps a string constant to libpython's global string of the
# same value (_Py_STR(name)), but it knows their values as they are written
# in C: the global "\n" (newline) is listed under the two characters
# backslash and n, so a module's r"\n" became a newline (re._parser's
# ESCAPES lost its key).  A C literal with an escape is left out: such a
# constant gets its own static copy instead.
deepfreeze.strings = {s: name for s, name in deepfreeze.strings.items() if "\\" not in s}


class LazyPrinter(deepfreeze.Printer):
    def __init__(self, file, owns_list=True):
        super().__init__(file)
        self.codes = []      # "(PyCodeObject *)&name" of the current module
        self.write(PROLOGUE)
        if owns_list:
            self.write(READY_LIST)
            self.deallocs.extend(READY_FINI)

    def generate(self, name, obj):
        val = super().generate(name, obj)
        # Shared by the cache or not, a code object the module uses must
        # be ready when the module is.
        if isinstance(obj, (types.CodeType, umarshal.Code)):
            self.codes.append("(PyCodeObject *)&" + val.lstrip("& ").split(".")[0])
        return val

    def generate_tuple(self, name, t):
        val = super().generate_tuple(name, t)
        for i, item in enumerate(t):
            if isinstance(item, frozenset):
                self.patchups.append(
                    f"if (pyweld_frozenset(&{name}._object.ob_item[{i}]) < 0) return -1;")
        return val

    def getter(self, module):
        """The C name of a module's getter (CPython's import.c expects these)."""
        return f"_Py_get_{module}_toplevel"

    def generate_file(self, module, code):
        module = module.replace(".", "_")
        self.codes = []
        first_dealloc = len(self.deallocs)
        self.generate(f"{module}_toplevel", code)
        codes = list(dict.fromkeys(self.codes))
        # What is made ready per module is reset per module, below.
        self.interns.clear()
        strings = [d for d in self.deallocs[first_dealloc:]
                   if d.startswith("_PyStaticUnicode_Dealloc(")]
        del self.deallocs[first_dealloc:]
        self.write(f"static int {module}_ready;")
        with self.block(f"static int {module}_do_patchups(void)"):
            for p in self.patchups:
                self.write(p)
            self.write("return 0;")
        self.patchups.clear()
        with self.block(f"static void {module}_fini(void)"):
            self.write(f"{module}_ready = 0;")
            for c in codes:
                self.write(f"pyweld_code_fini({c});")
            for s in strings:
                self.write(s)
        self.write(f"static struct _pyweld_frozen_module {module}_link = {{ {module}_fini }};")
        self.write("PyObject *")
        with self.block(f"{self.getter(module)}(void)"):
            with self.block(f"if (!{module}_ready)"):
                with self.block(f"if ({module}_do_patchups() < 0)"):
                    self.write("return NULL;")
                for c in codes:
                    with self.block(f"if (_PyStaticCode_InternStrings({c}) < 0)"):
                        self.write("return NULL;")
                self.write(f"{module}_ready = 1;")
                self.write(f"{module}_link.next = _pyweld_frozen_ready;")
                self.write(f"_pyweld_frozen_ready = &{module}_link;")
            self.write(f"return Py_NewRef((PyObject *) &{module}_toplevel);")


deepfreeze.Printer = LazyPrinter

if __name__ == "__main__":
    deepfreeze.main()

"""deepfreeze_lazy.py: CPython 3.11's deep-freeze, each module made ready on use.

CPython 3.11 compiles the modules of its own start-up (importlib, codecs,
io, os, site, runpy, ...) into C data: Tools/scripts/deepfreeze.py writes
Python/deepfreeze/deepfreeze.c, and their code objects need no unmarshalling.
But that file's _Py_Deepfreeze_Init() interns the strings of EVERY deep-frozen
code object at start-up, and _Py_Deepfreeze_Fini() resets every one of them
at exit, imported or not: 1.9 M of the 19 M instructions of a welded hello
world, half of it for modules it never imports (os, site, ntpath, runpy ...).

Here each module's code objects are made ready (patched up and interned)
by its own _Py_get_<module>_toplevel() the first time the import system
asks for it, and reset at exit only if that happened.  Init does nothing.
What a module's code looks like once ready is what CPython makes of it.
At exit a code object that never ran (most of an imported module's
functions) is left alone: _PyStaticCode_Dealloc would walk its bytecode to
undo a quickening that never happened (code is quickened only when its
warm-up counter reaches 0) and find nothing else to free.

pyweld's distribution build (pydist/pydist.c) writes this file beside
Tools/scripts/deepfreeze.py and points Makefile.pre.in's deep-freeze rule
at it; it runs under the build's _bootstrap_python like the original.
"""
import types

import deepfreeze
import umarshal


CODE_FINI = """
/* _PyStaticCode_Dealloc when there is anything for it to undo. */
static void
pyweld_code_fini(PyCodeObject *co)
{
    if (co->co_warmup == QUICKENING_INITIAL_WARMUP_VALUE && co->co_extra == NULL &&
        co->_co_code == NULL && co->co_weakreflist == NULL && co->_co_linearray == NULL)
        return;
    _PyStaticCode_Dealloc(co);
}
"""


class LazyPrinter(deepfreeze.Printer):
    def __init__(self, file):
        super().__init__(file)
        self.codes = []      # "(PyCodeObject *)&name" of the current module
        self.write(CODE_FINI)

    def generate(self, name, obj):
        val = super().generate(name, obj)
        # Shared by the cache or not, a code object the module uses must
        # be ready when the module is.
        if isinstance(obj, (types.CodeType, umarshal.Code)):
            self.codes.append("(PyCodeObject *)&" + val.lstrip("& ").split(".")[0])
        return val

    def generate_file(self, module, code):
        module = module.replace(".", "_")
        self.codes = []
        self.generate(f"{module}_toplevel", code)
        codes = list(dict.fromkeys(self.codes))
        # Code objects are interned and reset per module below; what stays
        # in the global lists is the strings' own clean-up.
        self.interns.clear()
        self.deallocs[:] = [d for d in self.deallocs
                            if not d.startswith("_PyStaticCode_Dealloc(")]
        self.write(f"static int {module}_ready;")
        with self.block(f"static void {module}_do_patchups(void)"):
            for p in self.patchups:
                self.write(p)
        self.patchups.clear()
        with self.block(f"static void {module}_fini(void)"):
            with self.block(f"if ({module}_ready)"):
                self.write(f"{module}_ready = 0;")
                for c in codes:
                    self.write(f"pyweld_code_fini({c});")
        self.deallocs.append(f"{module}_fini();")
        self.write("PyObject *")
        with self.block(f"_Py_get_{module}_toplevel(void)"):
            with self.block(f"if (!{module}_ready)"):
                self.write(f"{module}_do_patchups();")
                for c in codes:
                    with self.block(f"if (_PyStaticCode_InternStrings({c}) < 0)"):
                        self.write("return NULL;")
                self.write(f"{module}_ready = 1;")
            self.write(f"return Py_NewRef((PyObject *) &{module}_toplevel);")


deepfreeze.Printer = LazyPrinter

if __name__ == "__main__":
    deepfreeze.main()

# reach.py: which modules of a weld its entry point can reach, run by the
# distribution's own interpreter (its dis and marshal read the blob's code).
#
#   python3.X -I reach.py IN OUT [START]
#
# IN is a list of records, each: one type byte, u32 length, name, u32
# length, data (integers little-endian):
#   M  a packed module: name, marshalled code (empty: a namespace package)
#   P  a packed package: the same
#   X  an extension module welded in: name, the path of its isolated object
#   R  a root: name (what the runtime imports, an application's extension
#      module, what a --keep-module pattern matched)
#   E  a root run as __main__: name (the entry point)
#   T  an entry_points.txt of a packed distribution: its path
#   F  a Python file, or a directory of them, the binary runs from outside
#      (--reach-file): its path; what each file imports is a root
# OUT receives the names reached, each followed by a NUL byte, sorted;
# START, when given, those of them the entry points (E) reach as the binary
# starts, the same way (Reach's start mode says what that follows).
#
# Followed: import statements (absolute, relative, every parent package, the
# names of `from x import y` that are submodules, `*` as the names the
# package's code holds), string constants that name modules in code that
# calls importlib.import_module or __import__, the strings in an extension
# module's .rodata that name modules when its code can import by name
# (what its C passes to PyImport_Import* and PyCapsule_Import; in Rust's,
# every module name found in it), the
# modules of entry points, and IMPLIED and IMPLIED_BY_NAME below.
# Not followed: what a module does only when it runs as __main__ (the
# entry point's own __main__ block excepted; a function only that block
# calls is followed once other code names it, or an entry point does), and
# NOT_FOLLOWED below.  A name the weld does not hold is no error: the
# standard library's imports for other platforms (nt, winreg) are not in it.
import configparser
import dis
import functools
import marshal
import os
import re
import struct
import sys


@functools.lru_cache(maxsize=32)
def instructions(co):
    """co's instructions, once for the several walks over the same code
    object (scan, not_run, evaluate, contained_only, main_only)."""
    return tuple(dis.get_instructions(co))


def read_records(path):
    with open(path, "rb") as f:
        data = f.read()
    at = 0
    while at < len(data):
        kind = data[at:at + 1].decode()
        (n,) = struct.unpack_from("<I", data, at + 1)
        name = data[at + 5:at + 5 + n].decode("utf-8", "surrogateescape")
        at += 5 + n
        (n,) = struct.unpack_from("<I", data, at)
        yield kind, name, data[at + 4:at + 4 + n]
        at += 4 + n


# Lazy imports of the standard library not followed: each is in a function
# that runs only for what a pruned binary does not do unasked (help() at
# the prompt), only when the module it imports is already imported, or in
# a try that does without it.  --keep-module brings one back.
NOT_FOLLOWED = {
    ("_sitebuiltins", "pydoc"),         # help(): interactive
    ("_sitebuiltins", "_pyrepl.pager"), # 3.13's license() and credits()
    ("warnings", "tracemalloc"),        # in a try: the allocation traceback
                                        # of a ResourceWarning, when tracing
    ("importlib._bootstrap_external", "importlib.metadata"),
    ("importlib._bootstrap_external", "importlib.readers"),
    ("zipimport", "importlib.readers"),
    ("_pyweld_resources", "importlib.metadata"),
                                        # find_distributions and
                                        # get_resource_reader: called by
                                        # importlib.metadata and .resources
    ("site", "rlcompleter"),            # the prompt's completion
    ("site", "readline"),
    ("re._parser", "unicodedata"),      # only for \\N{NAME} in a pattern
}

# What a module brings that no import in it says: the modules libpython's
# built-in modules and the runtime import from C when asked, and what a
# name made at run time imports ("prefix*": every module so named).
IMPLIED = {
    "importlib.resources": ("_pyweld_resources", "importlib.readers"),
    "importlib.metadata": ("_pyweld_resources",),   # runtime/resources.c
    "_socket": ("encodings.idna",),             # host names
    # a name made at run time: _sysconfigdata_{abiflags}_{platform}_{multiarch}
    "sysconfig": ("_sysconfigdata_*",),
    # runtime/mpchild.c: a child of this binary's multiprocessing
    "multiprocessing": ("multiprocessing.spawn", "multiprocessing.forkserver",
                        "multiprocessing.resource_tracker"),
}

# The same, once followed code names the function that imports it (an
# attribute, `from time import strptime`, a string): module -> (function's
# name, what it imports); the name alone decides (time is libpython's, not
# the weld's).  Every pruned binary imports time (zipimport does), and
# _strptime brings datetime, calendar and _datetime.
IMPLIED_BY_NAME = {
    "time": (("strptime", "_strptime"),),       # time.strptime
}

# The instructions that name a global, an attribute or an imported name
# (not a local variable's): what may call a function defined elsewhere.
NAMING = {"LOAD_NAME", "LOAD_GLOBAL", "LOAD_ATTR", "LOAD_METHOD", "LOAD_SUPER_ATTR",
          "LOAD_FROM_DICT_OR_GLOBALS", "IMPORT_FROM", "LOAD_CONST"}

STRING = re.compile(rb"(?<=\0)[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?=\0)")


def elf_sections(data):
    """(name, type, link, bytes) of an ELF64 little-endian object's sections
    that have bytes in the file."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1 or len(data) < 64:
        return []
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if not shoff or shentsize < 64 or shstrndx >= shnum or \
            shoff + shnum * shentsize > len(data):
        return []
    heads = [struct.unpack_from("<IIQQQQI", data, shoff + i * shentsize)
             for i in range(shnum)]
    names_at = heads[shstrndx][4]
    out = []
    for name, kind, _, _, off, size, link in heads:
        end = data.find(b"\0", names_at + name)
        if kind != 8:               # SHT_NOBITS
            out.append((data[names_at + name:end], kind, link, data[off:off + size]))
        else:
            out.append((data[names_at + name:end], kind, link, b""))
    return out


def undefined_symbols(sections):
    """The names of the symbols an object's symbol table (SHT_SYMTAB) leaves
    undefined, or None when it has none to read."""
    for name, kind, link, body in sections:
        if kind != 2 or link >= len(sections):
            continue
        names = sections[link][3]
        out = set()
        for at in range(24, len(body) - 23, 24):        # entry 0 is null
            st_name, _, _, shndx = struct.unpack_from("<IBBH", body, at)
            if shndx == 0 and st_name:
                out.add(names[st_name:names.find(b"\0", st_name)])
        return out
    return None


# What lets C import a module by a name it holds: the import API (and the
# internal calls libpython's own modules use), a capsule import, code run
# from a string.  An object that calls none of them imports nothing, and
# its strings are only names (unicodedata's method "decimal", _sha3's
# "copy").
IMPORTING = re.compile(rb"^(?:_?PyImport_Import|_PyImport_GetModuleAttr|PyCapsule_Import|"
                       rb"PyRun_|Py_CompileString|PyEval_EvalCode|PyImport_ExecCode)")


def imports_by_name(sections):
    """Whether an object may import a module by a name in its strings."""
    undefined = undefined_symbols(sections)
    if undefined is None:
        return True
    return any(IMPORTING.match(s) for s in undefined) or \
        any(b"__import__" in body for n, _, _, body in sections if n.startswith(b".rodata"))


def ar_members(data):
    """The members of a System V (GNU) archive, or the file itself."""
    if not data.startswith(b"!<arch>\n"):
        yield data
        return
    at = 8
    while at + 60 <= len(data):
        size = int(data[at + 48:at + 58].strip() or b"0")
        yield data[at + 60:at + 60 + size]
        at += 60 + size + (size & 1)


def file_strings(path, known):
    """NUL-delimited strings that look like dotted names, in the .rodata of
    an object, a shared object or each object of an archive.  Rust's string
    constants are not NUL-terminated but laid end to end
    ("pathlibreipaddress": pydantic_core's imports): in an object rustc
    made (its .comment says so), every name of known, of 4 characters or
    more, found anywhere in its .rodata.  None when no object of the file
    can import by name (imports_by_name)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return set()
    if not any(imports_by_name(sections) for sections in map(elf_sections, ar_members(data))
               if sections):
        return set()
    out = set()
    for sections in map(elf_sections, ar_members(data)):
        rodata = [b for n, _, _, b in sections if n.startswith(b".rodata")]
        for section in rodata:
            out.update(m.decode() for m in STRING.findall(b"\0" + section))
        if any(n == b".comment" and b"rustc version" in b for n, _, _, b in sections):
            joined = b"\0".join(rodata)
            out.update(k for k in known
                       if len(k) >= 4 and k.encode("utf-8", "surrogateescape") in joined)
    return out


def main_only(code):
    """What of a module's code runs only when it runs as __main__: the
    offsets of its `if __name__ == "__main__":` block, and the names of the
    functions it defines that only that block uses (pickle's _test, which
    imports doctest).  Such a function is followed all the same once other
    code names it (Reach.run): `from pkg.cli import main; main()`."""
    ins = [x for x in instructions(code) if x.opname != "EXTENDED_ARG"]
    block, start, end = set(), None, None
    for i in range(len(ins) - 3):
        a, b, c, d = ins[i:i + 4]
        if (a.opname == "LOAD_NAME" and a.argval == "__name__" and
                b.opname == "LOAD_CONST" and b.argval == "__main__" and
                c.opname == "COMPARE_OP" and "==" in str(c.argval) and
                "JUMP" in d.opname and "FALSE" in d.opname and
                isinstance(d.argval, int) and d.argval > d.offset):
            start, end = d.offset, d.argval
            break
    if start is None:
        return block
    used_main, used_else = set(), set()
    for x in ins:
        if start < x.offset < end:
            block.add(x.offset)
            if x.opname in ("LOAD_NAME", "LOAD_GLOBAL"):
                used_main.add(x.argval)
        elif x.opname in ("LOAD_NAME", "LOAD_GLOBAL"):
            used_else.add(x.argval)
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            stack = [c]
            while stack:
                co = stack.pop()
                used_else.update(co.co_names)
                stack.extend(k for k in co.co_consts if hasattr(k, "co_code"))
    return block | (used_main - used_else)


# The instructions after which the next one does not run (a return, a
# raise, an unconditional jump: the jump's target runs instead).
NO_FALL_THROUGH = {"RETURN_VALUE", "RETURN_CONST", "RAISE_VARARGS", "RERAISE",
                   "JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT",
                   "JUMP_ABSOLUTE", "JUMP", "JUMP_NO_INTERRUPT"}
JUMPS = set(dis.hasjrel) | set(dis.hasjabs) | set(getattr(dis, "hasjump", ()))


def not_run(co, decided=None):
    """The offsets of co's instructions that do not run as it runs: those
    no path from the first instruction reaches without going through an
    exception handler (`except ImportError: import _pydecimal`, hashlib's
    `except ValueError: import logging`) or through the other side of a
    test decided (a jump's offset -> the truth of what it tests: the
    platform's and the version's, below).  Empty when a jump's target is
    not an instruction (nothing is left out then)."""
    decided = decided or {}
    ins = list(instructions(co))
    at = {x.offset: i for i, x in enumerate(ins)}
    seen, todo = set(), [0] if ins else []
    while todo:
        i = todo.pop()
        while i < len(ins) and i not in seen:
            seen.add(i)
            x = ins[i]
            jumps, falls = x.opcode in JUMPS, x.opname not in NO_FALL_THROUGH
            if x.offset in decided:
                # IF_FALSE jumps when what it tests is false; IF_TRUE when true
                jumps = decided[x.offset] == ("IF_TRUE" in x.opname)
                falls = not jumps
            if jumps:
                if x.argval not in at:
                    return set()
                todo.append(at[x.argval])
            if not falls:
                break
            i += 1
    return {x.offset for i, x in enumerate(ins) if i not in seen}


# What the binary's tests of its platform and version give: the
# distribution's interpreter runs this file, the one the binary embeds.
UNKNOWN, NULL = object(), object()
SYS = {"platform": sys.platform, "version_info": sys.version_info, "byteorder": sys.byteorder}
OS = {"name": os.name}
COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
           "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
STR_TESTS = {"startswith", "endswith"}


class Const:
    def __init__(self, value):
        self.value = value


class Method:
    def __init__(self, value, name):
        self.value, self.name = value, name


class Imported:
    def __init__(self, level, name):
        self.level, self.name = level, name


def evaluate(co, known, imported=None):
    """The tests of co decided by what is known: {offset of a conditional
    jump: truth}, and {name: value} of what co stores (UNKNOWN when not
    known, or stored twice).  An abstract stack over the instructions in
    their order, of constants, the modules sys and os (their attributes in
    SYS and OS), names in known, `from m import x` (imported(level, m, x)
    gives x's value or UNKNOWN), and what str.startswith or endswith, a
    subscript, a slice, a comparison, `in`, `is` and `not` make of them;
    anything else is unknown, and so is the stack where a jump lands."""
    decided, stored = {}, {}
    ins = [x for x in instructions(co) if x.opname not in ("CACHE", "EXTENDED_ARG")]
    targets = {x.argval for x in ins if x.opcode in JUMPS}
    stack = []

    def pop():
        return stack.pop() if stack else UNKNOWN

    def value(v):
        return v.value if isinstance(v, Const) else UNKNOWN

    for x in ins:
        if x.offset in targets:
            stack = []
        op, arg = x.opname, x.argval
        try:
            if op == "LOAD_CONST":
                stack.append(Const(arg))
            elif op in ("LOAD_NAME", "LOAD_GLOBAL"):
                if op == "LOAD_GLOBAL" and (x.arg or 0) & 1:
                    stack.append(NULL)
                # what this code stored first (a class body's own names)
                v = stored[arg] if op == "LOAD_NAME" and arg in stored else \
                    known.get(arg, UNKNOWN)
                stack.append(Const(v) if v is not UNKNOWN else
                             {"sys": SYS, "os": OS}.get(arg, UNKNOWN))
            elif op in ("LOAD_ATTR", "LOAD_METHOD"):
                v = pop()
                if v is SYS or v is OS:
                    r = Const(v[arg]) if arg in v else UNKNOWN
                elif isinstance(v, Const) and isinstance(v.value, str) and arg in STR_TESTS:
                    r = Method(v.value, arg)
                else:
                    r = UNKNOWN
                method = op == "LOAD_METHOD" or (op == "LOAD_ATTR" and (x.arg or 0) & 1 and
                                                 sys.version_info >= (3, 12))
                stack += [r, NULL] if method else [r]
            elif op == "PUSH_NULL":
                stack.append(NULL)
            elif op in ("PRECALL", "NOP", "RESUME", "TO_BOOL"):
                pass
            elif op == "CALL":
                args = [pop() for _ in range(x.arg)][::-1]
                f = [v for v in (pop(), pop()) if v is not NULL]
                m = f[0] if f else UNKNOWN
                ok = isinstance(m, Method) and len(args) == 1 and isinstance(args[0], Const)
                stack.append(Const(getattr(m.value, m.name)(args[0].value)) if ok else UNKNOWN)
            elif op == "BINARY_SUBSCR":
                i, v = value(pop()), value(pop())
                stack.append(UNKNOWN if UNKNOWN in (i, v) else Const(v[i]))
            elif op == "BINARY_SLICE":                  # 3.12 on: x[a:b]
                end, begin, v = value(pop()), value(pop()), value(pop())
                stack.append(UNKNOWN if UNKNOWN in (end, begin, v) else Const(v[begin:end]))
            elif op == "BUILD_SLICE":
                parts = [value(pop()) for _ in range(x.arg)][::-1]
                stack.append(UNKNOWN if UNKNOWN in parts else Const(slice(*parts)))
            elif op == "COMPARE_OP":
                b, a = value(pop()), value(pop())
                cmp = COMPARE.get(str(arg).replace("bool(", "").rstrip(")"))
                stack.append(Const(cmp(a, b)) if cmp and UNKNOWN not in (a, b) else UNKNOWN)
            elif op in ("CONTAINS_OP", "IS_OP"):
                b, a = value(pop()), value(pop())
                r = (a in b) if op == "CONTAINS_OP" else (a is b)
                stack.append(UNKNOWN if UNKNOWN in (a, b) else Const(r != bool(x.arg)))
            elif op == "UNARY_NOT":
                v = value(pop())
                stack.append(UNKNOWN if v is UNKNOWN else Const(not v))
            elif op == "IMPORT_NAME":
                pop()
                level = value(pop())
                stack.append(Imported(level, arg) if isinstance(level, int) else UNKNOWN)
            elif op == "IMPORT_FROM":
                m = stack[-1] if stack else UNKNOWN
                v = imported(m.level, m.name, arg) if imported and isinstance(m, Imported) \
                    else UNKNOWN
                stack.append(UNKNOWN if v is UNKNOWN else Const(v))
            elif op == "POP_TOP":
                pop()
            elif op in ("STORE_NAME", "STORE_GLOBAL"):
                v = pop()
                stored[arg] = v.value if isinstance(v, Const) and arg not in stored else UNKNOWN
            elif "JUMP" in op and "IF_" in op and "NONE" not in op:
                v = stack[-1] if stack else UNKNOWN
                if isinstance(v, Const):
                    decided[x.offset] = bool(v.value)
                stack = []
            else:
                stack = []
        except Exception:           # a test this cannot evaluate is unknown
            stack = []
    return decided, stored


# What a loaded value meets first when it is put in a container, not called
# (shutil's `_UNPACK_FORMATS = {"tar": ([...], _unpack_tarfile, ...)}`), and
# what calls, stores or returns it.
INTO_CONTAINER = {"BUILD_TUPLE", "BUILD_LIST", "BUILD_SET", "BUILD_MAP",
                  "BUILD_CONST_KEY_MAP", "LIST_APPEND", "SET_ADD", "MAP_ADD"}
USES = {"PRECALL", "CALL", "CALL_KW", "CALL_FUNCTION_EX", "RETURN_VALUE", "YIELD_VALUE",
        "STORE_NAME", "STORE_GLOBAL", "STORE_FAST", "STORE_DEREF", "STORE_ATTR",
        "STORE_SUBSCR", "IMPORT_NAME"}


def contained_only(co, skip):
    """(start) The names every load of which in co (not at the offsets in
    skip) goes into a container before anything calls, stores or returns
    it: a table of functions built as a module starts, whose functions run
    later if at all.  The first of those instructions after the load
    decides; a call of anything before it (`(f, g(1))`) keeps the name, so
    no function handed to a call is missed."""
    ins = [x for x in instructions(co)
           if x.opname not in ("CACHE", "EXTENDED_ARG", "NOP")]
    contained, other = set(), set()
    for i, x in enumerate(ins):
        if x.offset in skip or x.opname not in NAMING or not isinstance(x.argval, str):
            continue
        first = next((y.opname for y in ins[i + 1:]
                      if y.opname in INTO_CONTAINER or y.opname in USES), None)
        (contained if first in INTO_CONTAINER else other).add(x.argval)
    return contained - other


# co_flags of a function's code (inspect.CO_OPTIMIZED): a class body's and
# a module's lack it.
CO_OPTIMIZED = 0x1
COMPREHENSIONS = {"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"}


def runs_where_defined(co):
    """Whether code held by other code runs as that code runs: a class body
    (its class statement), a comprehension (3.11 makes each a function
    called on the spot)."""
    return not co.co_flags & CO_OPTIMIZED or co.co_name in COMPREHENSIONS


class Reach:
    """The modules the roots reach.  start: only what runs as the modules
    are imported (the start-up, when the roots are the entry points): a
    module's top level, its class bodies and the functions of it that
    followed code names (main() under `if __name__ == "__main__":`, a
    decorator, a function handed to a call, `f` of `from m import f` once
    followed code names it); not what a
    function nothing here names, or only puts in a table (contained_only),
    does when later called, not what only an exception handler runs nor
    the side of a test of the platform or the version that is not taken
    (not_run), nor IMPLIED."""

    def __init__(self, start=False):
        self.start = start
        self.called = {}        # (start) module -> names of its functions
                                # followed code loads or imports
        self.pool = {}          # (start) module -> its functions not followed
        self.work = []          # (start) (module, code, top level?) to scan
        self.code = {}          # module name -> code object or None
        self.packages = set()
        self.ext_files = {}     # extension name -> its file
        self.known = set()
        self.reached = set()
        self.todo = []
        self.entries = set()    # run as __main__: their __main__ blocks count
        self.names = set()      # the names followed code loads or holds
        self.deferred = []      # (module, code) of functions only a __main__
                                # block calls, until something names them
        self.bound = {}         # (start) (module, local name) -> what
                                # `from x import y as local` bound: (x, y)
        self.consts = {}        # (start) module -> its names known (constants)

    def add(self, name, by=None):
        """Reaches name and every parent package of it, when the weld holds it."""
        if (by, name) in NOT_FOLLOWED:
            return
        for n in () if self.start else IMPLIED.get(name, ()):
            if n.endswith("*"):
                for k in [k for k in self.known if k.startswith(n[:-1])]:
                    self.add(k)
            else:
                self.add(n)
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            n = ".".join(parts[:i])
            if n in self.known and n not in self.reached:
                self.reached.add(n)
                self.todo.append(n)

    def resolve(self, module, name, level):
        """The absolute name of an import in module, or None (a relative
        import in a file of --reach-file, whose package is not packed)."""
        if level == 0:
            return name
        if module.startswith("<"):
            return None
        base = module if module in self.packages else module.rpartition(".")[0]
        parts = base.split(".") if base else []
        if level - 1 > len(parts):
            return None
        if level > 1:
            parts = parts[:len(parts) - (level - 1)]
        if name:
            parts.append(name)
        return ".".join(parts) or None

    def scan(self, module, co, skip=()):
        """Follows the imports of one code object, not of the code it holds,
        leaving out the instructions at the offsets in skip; returns the
        names it loads and the code objects it holds."""
        dynamic = "import_module" in co.co_names or "__import__" in co.co_names
        names, held = set(), []
        prev = [None, None]
        target = None
        code = [x for x in instructions(co) if x.opname not in ("CACHE", "EXTENDED_ARG")]
        for i, ins in enumerate(code):
            if ins.offset in skip:
                continue
            # (start: an imported name counts once followed code names it)
            if ins.opname in NAMING and isinstance(ins.argval, str) and \
                    not (self.start and ins.opname == "IMPORT_FROM"):
                names.add(ins.argval)
            if ins.opname == "IMPORT_NAME":
                level = prev[0] if isinstance(prev[0], int) else 0
                fromlist = prev[1] if isinstance(prev[1], tuple) else ()
                target = self.resolve(module, ins.argval, level)
                if target:
                    self.add(target, module)
                    for y in fromlist:
                        if y == "*":
                            self.star(target)
                        elif target + "." + y in self.known:
                            self.add(target + "." + y)
            elif (ins.opname == "IMPORT_FROM" and self.start and target and
                  target + "." + ins.argval not in self.known):
                # `from target import f as g`: g stands for target's f
                after = code[i + 1] if i + 1 < len(code) else None
                local = after.argval if after and after.opname.startswith("STORE_") \
                    and isinstance(after.argval, str) else ins.argval
                self.bind(module, local, target, ins.argval)
            if ins.opname in ("LOAD_CONST", "LOAD_SMALL_INT"):
                prev = [prev[1], ins.argval]
            elif ins.opname not in ("CACHE", "EXTENDED_ARG"):
                prev = [None, None]
        for c in co.co_consts:
            if hasattr(c, "co_code"):
                held.append(c)
            elif dynamic:
                for s in (c if isinstance(c, (tuple, frozenset)) else (c,)):
                    self.dynamic_name(module, s)
        self.names |= names
        return names, held

    def imports(self, module, code, whole=False):
        """Follows the imports of a module's code (and the code it holds);
        whole: all of it, not leaving out what only runs as __main__."""
        stack = [code]
        skip = set() if whole or module in self.entries else main_only(code)
        while stack:
            co = stack.pop()
            _, held = self.scan(module, co, skip if co is code else ())
            for c in held:
                if co is code and c.co_name in skip:
                    self.deferred.append((module, c))
                else:
                    stack.append(c)

    def dynamic_name(self, module, s):
        """A string constant of code that imports by name: the module it
        names, if any (".x" relative to module's package)."""
        if not isinstance(s, str) or not s:
            return
        if s.startswith("."):
            level = len(s) - len(s.lstrip("."))
            s = self.resolve(module, s.lstrip("."), level) or ""
        if s in self.known:
            self.add(s)

    def star(self, package):
        """`from package import *`: the submodules its __all__ may name."""
        co = self.code.get(package)
        if package not in self.packages or co is None:
            return
        for c in co.co_consts:
            if isinstance(c, tuple):
                for s in c:
                    if isinstance(s, str):
                        self.add(package + "." + s)

    def run(self):
        while True:
            self.follow()
            if self.start:
                return
            implied = [m for pairs in IMPLIED_BY_NAME.values() for name, m in pairs
                       if name in self.names and m in self.known and m not in self.reached]
            for m in implied:
                self.add(m)
            named = [d for d in self.deferred if d[1].co_name in self.names]
            if not named and not implied:
                return
            self.deferred = [d for d in self.deferred if d[1].co_name not in self.names]
            for module, co in named:
                self.imports(module, co, whole=True)

    def call(self, module, name):
        """(start) Followed code names module's function name: it counts;
        so does the function name stands for when module imported it by
        name (bind)."""
        called = self.called.setdefault(module, set())
        if name in called:
            return
        called.add(name)
        pool = self.pool.get(module, [])
        for c in [c for c in pool if c.co_name == name]:
            pool.remove(c)
            self.work.append((module, c, False))
        for target, original in self.bound.get((module, name), ()):
            self.call(target, original)

    def bind(self, module, local, target, name):
        """(start) `from target import name as local` in module: module's
        followed code naming local names target's name."""
        self.bound.setdefault((module, local), set()).add((target, name))
        if local in self.called.get(module, ()):
            self.call(target, name)

    def start_scan(self, module, co, top):
        """(start) Follows one code object of module and what of the code it
        holds runs with it; its other functions wait in the pool for a name."""
        skip = (set() if module in self.entries else main_only(co)) if top else set()
        known = self.constants(module)
        skip |= not_run(co, evaluate(co, known, self.imported_value(module))[0])
        names, held = self.scan(module, co, skip)
        for n in names - contained_only(co, skip):
            self.call(module, n)
        for c in held:
            if runs_where_defined(c) or c.co_name in self.called.get(module, ()):
                self.work.append((module, c, False))
            else:
                self.pool.setdefault(module, []).append(c)

    def constants(self, module):
        """(start) What module's top level stores once, known as the binary
        runs (`LINUX = sys.platform.startswith("linux")`, `from ._common
        import LINUX`), and no function of it rebinds (`global`)."""
        if module in self.consts:
            return self.consts[module]
        self.consts[module] = {}            # an import cycle: nothing known
        co = self.code.get(module)
        if co is None:
            return {}
        _, stored = evaluate(co, {}, self.imported_value(module))
        rebound, stack = set(), [c for c in co.co_consts if hasattr(c, "co_code")]
        while stack:
            c = stack.pop()
            rebound.update(x.argval for x in instructions(c)
                           if x.opname in ("STORE_GLOBAL", "DELETE_GLOBAL"))
            stack.extend(k for k in c.co_consts if hasattr(k, "co_code"))
        known = {n: v for n, v in stored.items() if v is not UNKNOWN and n not in rebound}
        self.consts[module] = known
        return known

    def imported_value(self, module):
        """(start) The value of `from m import x` in module, when known."""
        def value(level, name, attr):
            target = self.resolve(module, name, level)
            if not target or target not in self.code:
                return UNKNOWN
            return self.constants(target).get(attr, UNKNOWN)
        return value

    def follow(self):
        while self.todo or self.work:
            if self.work:
                self.start_scan(*self.work.pop())
                continue
            name = self.todo.pop()
            co = self.code.get(name)
            if co is not None and self.start:
                self.work.append((name, co, True))
            elif co is not None:
                self.imports(name, co)
            elif name in self.ext_files:
                for s in file_strings(self.ext_files[name], self.known):
                    # a capsule's name is its module's and an attribute's
                    # ("pyexpat.expat_CAPI"): the longest known prefix
                    while s and s not in self.known:
                        s = s.rpartition(".")[0]
                    if s and s != name:
                        self.add(s)


def entry_points(path):
    """The modules an entry_points.txt names ("pkg.mod:attr [extra]"), and
    the names of the attributes (attr)."""
    cp = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    cp.optionxform = str
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            cp.read_file(f)
    except (OSError, configparser.Error):
        return [], []
    modules, attrs = [], []
    for section in cp.sections():
        for value in cp[section].values():
            m = re.match(r"\s*([\w.]+)\s*(?::\s*(\w+))?", value)
            if m:
                modules.append(m.group(1))
                attrs.append(m.group(2) or "")
    return modules, attrs


def python_files(path):
    """The .py files of a --reach-file path: the file, or a directory's."""
    if not os.path.isdir(path):
        return [path]
    found = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        found.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".py"))
    # a regular file only: reading a FIFO named x.py would wait forever
    return [f for f in found if os.path.isfile(f)]


def reach_files(r, path):
    """Follows the imports of the Python files at path, all of their code;
    a file that does not compile (another Python's, or no Python) adds
    nothing."""
    for f in python_files(path):
        try:
            with open(f, "rb") as fh:
                code = compile(fh.read(), f, "exec", dont_inherit=True)
        except (OSError, SyntaxError, ValueError):
            continue
        r.imports("<file>", code, whole=True)


def main():
    r = Reach()
    roots = []
    files = []
    for kind, name, data in read_records(sys.argv[1]):
        if kind in "MP":
            r.known.add(name)
            r.code[name] = marshal.loads(data) if data else None
            if kind == "P":
                r.packages.add(name)
        elif kind == "X":
            r.known.add(name)
            r.ext_files[name] = data.decode("utf-8", "surrogateescape")
        elif kind == "R":
            roots.append(name)
        elif kind == "E":
            roots.append(name)
            r.entries.add(name)
        elif kind == "T":
            modules, attrs = entry_points(name)
            roots.extend(modules)
            r.names.update(attrs)
        elif kind == "F":
            files.append(name)
    for name in roots:
        r.add(name)
    for path in files:
        reach_files(r, path)
    r.run()
    write_names(sys.argv[2], r.reached)
    if len(sys.argv) > 3:
        # What the entry points import as the binary starts: the modules
        # worth their deep-frozen code (pack.c freezes those alone).
        s = Reach(start=True)
        s.known, s.code, s.packages = r.known, r.code, r.packages
        s.ext_files, s.entries = r.ext_files, r.entries
        for name in sorted(r.entries):
            s.add(name)
        s.run()
        write_names(sys.argv[3], s.reached & r.reached)


def write_names(path, names):
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as out:
        for name in sorted(names):
            out.write(name + "\0")


main()

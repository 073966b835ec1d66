#!/usr/bin/env python3
"""weld_static.py: `pyweld build --static`, a binary that needs nothing, and
what a default build takes along from a local package.

Cases:
  static       a --static binary with no packages: readelf finds no dynamic
               section, ldd says it is not a dynamic executable, and it runs
               the standard library's C code (json, hashlib, ssl, sqlite3,
               decimal, zlib) with the right answers.
  static_nss   user and group lookups in the --static binary (glibc's NSS,
               which loads shared modules such as libnss_systemd.so.2 at run
               time): a known user is found, an unknown one raises KeyError,
               pwd.getpwall()/grp.getgrall() list entries.  Each runs in its
               own process; a crash (a signal) fails the case: pyweld's --static
               is documented to lose NSS lookups, not to crash the program.
  dynamic_lib  an extension linking a system library that Debian ships only as
               a shared object (libcmocka): the default build links it
               dynamically, says so in its summary, the binary's NEEDED names
               it, and it runs the extension as a built-in; --static refuses
               it with a clear error naming it; a shared library from a -L
               directory outside the system's is refused by name.
  tests_subpackage  a package whose tests subpackage holds a compiled helper
               (as greenlet.tests._test_extension): that subpackage is packed
               whole, so the helper imports; a tests package without one is
               still left out.
  lib_by_path  system libraries given to the link by path (as meson passes
               pkg-config's findings: numpy's libopenblas.so): zlib is
               welded from libz.a, libcmocka (shared only) is linked
               dynamically and said so; a shared library of the build's own
               given by path is refused by name.
  quirk_backtrace  a module named numpy.core._multiarray_umath gets no
               frames from backtrace() (the weld's change for numpy's
               temporary elision, said in the summary); another module
               with the same code gets its frames.
  lto          an extension compiled and linked with -flto -fno-fat-lto-objects
               (CMake's interprocedural optimisation): the wrappers ask GCC for
               fat objects, so it is welded and runs as a built-in, and the
               record shows the added flag; with PYWELD_FAT_LTO=0 the objects
               hold only bytecode and pyweld refuses them by name, writing no
               APP.
  pie          the default binary is a fixed-address executable (ELF type
               EXEC, a few hundred dynamic relocations: Debian's python3.11
               is one too) and --pie makes a position-independent one (DYN,
               tens of thousands of relative relocations); both run the
               standard library's C code with the same answers; --pie with
               --static or --library is refused; pyweld.ini's pie = true is
               --pie.
  deep_freeze  an entry point welded with --no-prune: by default the code of
               the modules it imports as it starts is the distribution's
               deep-frozen copy (_pyweld.deep_frozen says yes for
               json.decoder and email.message; fewer than 200 modules, the
               summary says how many), the rest unmarshalled;
               --deep-freeze-all deep-freezes every module (500 or more, 10
               MiB or more larger); --no-deep-freeze none (smaller than the
               default); all three answer the same; pyweld.ini's
               deep-freeze = false and deep-freeze-all = true are the
               options; the two options together are refused.
  closure_static  a static library (libpwfoo.a, made here) whose pkg-config
               file's Libs.private names an archive in a directory only its
               own -L gives (libpwbar.a) and zlib: the whole closure is found
               and linked statically; the binary needs glibc only and
               exports the Python API alone.
  closure_shared_dep  libpwfoo.a's Libs.private names libcmocka, which Debian
               ships only as a shared object: libpwfoo stays static, libcmocka
               is linked dynamically and said so (dynamic:, needs:), and
               every global symbol is exported; --static
               refuses naming libcmocka, libpwfoo and the extension.
  closure_missing  libpwfoo.a's Libs.private names a library that is not
               installed at all, then one installed only as its run-time
               shared object (libX.so.N, no libX.so): no link is tried; the
               error names the library, libpwfoo as the one that needs it,
               the extension, and a hint (the -dev package that ships
               libX.so; for the run-time one, the Debian package that holds
               it, from dpkg -S); a previous APP is left alone.

    weld_static.py --pyweld build/bin/pyweld [--keep] [CASE...]
"""

import grp
import json
import os
import pwd
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402

STDLIB_PROBE = r'''
import json, hashlib, ssl, sqlite3, decimal, zlib, sys
facts = {}
facts["json"] = json.loads(json.dumps({"a": [1, 2.5, None]}))
facts["json_c"] = json.scanner.c_make_scanner is not None
facts["sha256"] = hashlib.sha256(b"abc").hexdigest()
facts["md5_openssl"] = type(hashlib.md5()).__name__
facts["ssl"] = ssl.OPENSSL_VERSION
ctx = ssl.create_default_context()
facts["ssl_context"] = ctx.verify_mode == ssl.CERT_REQUIRED
db = sqlite3.connect(":memory:")
db.execute("create table t (x integer)")
db.executemany("insert into t values (?)", [(i,) for i in range(10)])
facts["sqlite"] = db.execute("select sum(x), count(*) from t").fetchone()
decimal.getcontext().prec = 30
facts["decimal"] = str(decimal.Decimal(1) / decimal.Decimal(7))
facts["decimal_c"] = decimal.Decimal.__module__
facts["zlib"] = zlib.decompress(zlib.compress(b"x" * 1000)) == b"x" * 1000
facts["argv"] = sys.argv[1:]
print(json.dumps(facts, sort_keys=True))
'''

NSS_PROBE = r'''
import json, sys
what = sys.argv[1]
if what == "getpwuid":
    import os, pwd
    r = pwd.getpwuid(os.getuid()).pw_name
elif what == "getpwnam":
    import pwd
    r = pwd.getpwnam(sys.argv[2]).pw_uid
elif what == "getpwnam_unknown":
    import pwd
    try:
        pwd.getpwnam("pyweld-no-such-user-xyz")
        r = "found"
    except KeyError:
        r = "KeyError"
elif what == "getpwall":
    import pwd
    r = len(pwd.getpwall()) > 0
elif what == "getgrgid":
    import grp
    r = grp.getgrgid(0).gr_name
elif what == "getgrnam_unknown":
    import grp
    try:
        grp.getgrnam("pyweld-no-such-group-xyz")
        r = "found"
    except KeyError:
        r = "KeyError"
elif what == "getgrall":
    import grp
    r = len(grp.getgrall()) > 0
elif what == "expanduser":
    import os
    r = os.path.expanduser("~" + sys.argv[2])
print(json.dumps(r))
'''


def build_static(c, code):
    os.mkdir(c.path("out"))
    app = c.path("out", "app")
    p = c.build_ok("--static", "--python-code", code, "-o", app)
    print(f"     pyweld build --static took {p.seconds:.1f} s")
    return app, p


def case_static(c):
    """a --static binary: no dynamic section, runs json, hashlib, ssl, sqlite3, decimal"""
    app, p = build_static(c, STDLIB_PROBE)
    needed, text = wt.needed_libs(app)
    c.check(needed is None, f"readelf -d finds a dynamic section in the --static binary: "
            f"NEEDED {needed}\n{text}")
    rc, names, text = wt.ldd(app, c.run_env)
    c.check("not a dynamic executable" in text, f"ldd does not say 'not a dynamic "
            f"executable' (exit {rc}):\n{text}")
    c.check(not names, f"ldd lists libraries for the --static binary: {names}")
    c.check("needs: nothing (static)" in p.out, f"the build's summary does not say it "
            f"needs nothing:\n{p.out}")

    os.mkdir(c.path("run"))
    r = c.run([app, "one", "two"], env=c.run_env, cwd=c.path("run"), timeout=120)
    c.require(r.returncode == 0, f"the --static binary exited {r.returncode}:\n"
              f"{wt.tail(r.err)}")
    facts = json.loads(r.out.strip().splitlines()[-1])
    c.check(facts["json"] == {"a": [1, 2.5, None]} and facts["json_c"], f"json: {facts}")
    c.check(facts["sha256"] ==
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            f"hashlib.sha256(b'abc') is {facts['sha256']}")
    c.check(facts["md5_openssl"] == "HASH", f"hashlib.md5 is {facts['md5_openssl']!r}, "
            "not OpenSSL's (_hashlib missing?)")
    c.check(facts["ssl"].startswith("OpenSSL 3."), f"ssl.OPENSSL_VERSION is {facts['ssl']!r}")
    c.check(facts["ssl_context"], "ssl.create_default_context() does not require certificates")
    c.check(facts["sqlite"] == [45, 10], f"sqlite3 in memory gave {facts['sqlite']}")
    c.check(facts["decimal"] == "0.142857142857142857142857142857",
            f"decimal 1/7 at 30 digits is {facts['decimal']}")
    c.check(facts["decimal_c"] == "decimal", f"Decimal comes from {facts['decimal_c']!r} "
            "(not the C _decimal?)")
    c.check(facts["zlib"], "zlib round trip failed")
    c.check(facts["argv"] == ["one", "two"], f"sys.argv[1:] is {facts['argv']}")
    c.check(r.err == "", f"the --static binary wrote to stderr:\n{wt.tail(r.err)}")


def case_static_nss(c):
    """user and group lookups in a --static binary do not crash it"""
    app, _ = build_static(c, NSS_PROBE)
    me = pwd.getpwuid(os.getuid())
    expected = {
        ("getpwuid",): me.pw_name,
        ("getpwnam", me.pw_name): me.pw_uid,
        ("getpwnam_unknown",): "KeyError",
        ("getpwall",): True,
        ("getgrgid",): grp.getgrgid(0).gr_name,
        ("getgrnam_unknown",): "KeyError",
        ("getgrall",): True,
        ("expanduser", me.pw_name): me.pw_dir,
    }
    os.mkdir(c.path("run"))
    for args, want in expected.items():
        r = c.run([app, *args], env=c.run_env, cwd=c.path("run"), timeout=60)
        what = " ".join(args)
        if r.returncode < 0:
            c.check(False, f"'{what}' killed the --static binary with signal "
                    f"{-r.returncode}:\n{wt.tail(r.err, 5)}")
            continue
        if not c.check(r.returncode == 0, f"'{what}' exited {r.returncode}:\n"
                       f"{wt.tail(r.err, 8)}"):
            continue
        got = json.loads(r.out.strip().splitlines()[-1])
        c.check(got == want, f"'{what}' gave {got!r}, the system says {want!r}")


DYN_EXT_C = r"""
#include <Python.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* Uses one function of libcmocka, which Debian ships only as a shared object. */
static PyObject *uses(PyObject *self, PyObject *arg)
{
    void (*volatile f)(enum cm_message_output) = cmocka_set_message_output;
    return PyBool_FromLong(f != NULL);
}
static PyMethodDef methods[] = { { "uses", uses, METH_NOARGS, NULL }, { NULL } };
static struct PyModuleDef def = { PyModuleDef_HEAD_INIT, "usesdyn._ext", NULL, 0, methods };
PyMODINIT_FUNC PyInit__ext(void) { return PyModule_Create(&def); }
"""

DYN_SETUP = """
import os
from setuptools import setup, Extension
libs, dirs = os.environ["USESDYN_LIBS"].split(), os.environ.get("USESDYN_DIRS", "").split()
link = os.environ.get("USESDYN_LINK", "").split()
setup(name="usesdyn", version="1.0", packages=["usesdyn"],
      ext_modules=[Extension("usesdyn._ext", ["ext.c"], libraries=libs, library_dirs=dirs,
                             extra_link_args=link)])
"""


def own_shared_lib(c, name):
    """A shared library libNAME.so the way a build makes its own, in a new
    directory of the case; returns the directory."""
    d = c.path(name)
    os.mkdir(d)
    wt.write(os.path.join(d, name + ".c"), f"int {name}(void) {{ return 3; }}\n")
    r = c.run(["gcc", "-shared", "-fPIC", "-o", os.path.join(d, f"lib{name}.so"),
               os.path.join(d, name + ".c")])
    c.require(r.returncode == 0, f"gcc could not make lib{name}.so:\n{r.err}")
    return d


def case_dynamic_lib(c):
    """a system library with no static archive is linked dynamically; --static says why not"""
    c.require(os.path.exists("/usr/lib/x86_64-linux-gnu/libcmocka.so") and
              not os.path.exists("/usr/lib/x86_64-linux-gnu/libcmocka.a"),
              "this case needs Debian's libcmocka-dev (a shared libcmocka, no archive)")
    src = c.path("src")
    wt.write(os.path.join(src, "setup.py"), DYN_SETUP)
    wt.write(os.path.join(src, "ext.c"), DYN_EXT_C)
    wt.write(os.path.join(src, "usesdyn", "__init__.py"), "from ._ext import uses\n")
    os.mkdir(c.path("out"))
    app = c.path("out", "app")
    code = ("import sys, usesdyn, usesdyn._ext as e; "
            "print(usesdyn.uses(), e.__spec__.origin, 'usesdyn._ext' in "
            "sys.builtin_module_names)")
    p = c.build_ok("--setup-py", src, "--env", "USESDYN_LIBS=cmocka", "--python-code", code,
                   "-o", app)
    c.check("dynamic: libcmocka (no static archive found)" in p.out,
            f"the summary does not say libcmocka is linked dynamically:\n{p.out}")
    needed, text = wt.needed_libs(app)
    c.check(needed is not None and any(n.startswith("libcmocka.so") for n in needed),
            f"the binary's NEEDED does not name libcmocka: {needed}\n{text}")
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == "True built-in True",
            f"the binary exited {r.returncode} and printed {r.out!r}:\n{wt.tail(r.err)}")

    static_app = c.path("out", "static-app")
    p = c.build("--static", "--setup-py", src, "--env", "USESDYN_LIBS=cmocka",
                "--python-code", code, "-o", static_app)
    c.check_clear_error(p, "--static with a shared-only library", ["libcmocka", "--static"])
    c.check(not os.path.exists(static_app), "a --static APP was written after the refusal")

    # A shared library the build made or found outside the system's directories
    # would be gone (pip's temporary tree) or absent on the user's machine.
    libdir = own_shared_lib(c, "pwdyn")
    p = c.build("--setup-py", src, "--env", "USESDYN_LIBS=cmocka pwdyn",
                "--env", f"USESDYN_DIRS={libdir}", "--python-code", code,
                "-o", c.path("out", "local-app"))
    c.check_clear_error(p, "a shared library in a -L directory", ["pwdyn", "usesdyn"])


BYPATH_EXT_C = r"""
#include <Python.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <zlib.h>
/* zlib (Debian ships libz.a) and libcmocka (shared only), both given to the
 * link by their paths, as meson passes what pkg-config found. */
static PyObject *uses(PyObject *self, PyObject *arg)
{
    void (*volatile f)(enum cm_message_output) = cmocka_set_message_output;
    return Py_BuildValue("Os", f != NULL ? Py_True : Py_False, zlibVersion());
}
static PyMethodDef methods[] = { { "uses", uses, METH_NOARGS, NULL }, { NULL } };
static struct PyModuleDef def = { PyModuleDef_HEAD_INIT, "usesdyn._ext", NULL, 0, methods };
PyMODINIT_FUNC PyInit__ext(void) { return PyModule_Create(&def); }
"""


def case_lib_by_path(c):
    """system libraries linked by path are welded like -l ones; the build's own are refused"""
    libdir = "/usr/lib/x86_64-linux-gnu"
    c.require(all(os.path.exists(os.path.join(libdir, f)) for f in
                  ("libz.so", "libz.a", "libcmocka.so")),
              "this case needs Debian's zlib1g-dev and libcmocka-dev")
    src = c.path("src")
    wt.write(os.path.join(src, "setup.py"), DYN_SETUP)
    wt.write(os.path.join(src, "ext.c"), BYPATH_EXT_C)
    wt.write(os.path.join(src, "usesdyn", "__init__.py"), "from ._ext import uses\n")
    os.mkdir(c.path("out"))
    app = c.path("out", "app")
    code = ("import sys, zlib, usesdyn, usesdyn._ext as e; u = usesdyn.uses(); "
            "print(u[0], u[1] == zlib.ZLIB_RUNTIME_VERSION, e.__spec__.origin)")
    link = f"USESDYN_LINK={libdir}/libz.so {libdir}/libcmocka.so"
    p = c.build_ok("--setup-py", src, "--env", "USESDYN_LIBS=", "--env", link,
                   "--python-code", code, "-o", app)
    c.check("dynamic: libcmocka (no static archive found)" in p.out,
            f"the summary does not say libcmocka is linked dynamically:\n{p.out}")
    needed, text = wt.needed_libs(app)
    c.check(needed is not None and any(n.startswith("libcmocka.so") for n in needed) and
            not any(n.startswith("libz.") for n in needed),
            f"the binary's NEEDED should name libcmocka and not libz: {needed}\n{text}")
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == "True True built-in",
            f"the binary exited {r.returncode} and printed {r.out!r}:\n{wt.tail(r.err)}")

    # A shared library of the build's own, by path: gone once pip's tree is.
    own = own_shared_lib(c, "pwown")
    p = c.build("--setup-py", src, "--env", "USESDYN_LIBS=",
                "--env", f"{link} {own}/libpwown.so", "--python-code", code,
                "-o", c.path("out", "own-app"))
    c.check_clear_error(p, "a shared library of the build's own, by path",
                        ["libpwown.so", "usesdyn"])


QUIRK_SETUP = """
from setuptools import setup, Extension
setup(name="pyweld-quirk-probe", version="1.0", packages=["numpy", "numpy.core", "other"],
      ext_modules=[Extension("numpy.core._multiarray_umath", ["frames.c"],
                             define_macros=[("LEAF", "_multiarray_umath")]),
                   Extension("other._frames", ["frames.c"], define_macros=[("LEAF", "_frames")])])
"""

QUIRK_C = r"""
#include <Python.h>
#include <execinfo.h>
/* How many frames backtrace() sees from here. */
static PyObject *frames(PyObject *self, PyObject *arg)
{
    void *buf[64];
    return PyLong_FromLong(backtrace(buf, 64));
}
static PyMethodDef methods[] = { { "frames", frames, METH_NOARGS, NULL }, { NULL } };
#define CAT(a, b) a##b
#define INIT(leaf) CAT(PyInit_, leaf)
#define STR(x) #x
#define NAME(leaf) STR(leaf)
static struct PyModuleDef def = { PyModuleDef_HEAD_INIT, NAME(LEAF), NULL, 0, methods };
PyMODINIT_FUNC INIT(LEAF)(void) { return PyModule_Create(&def); }
"""


def case_quirk_backtrace(c):
    """numpy's _multiarray_umath gets no frames from backtrace(); other modules do"""
    src = c.path("src")
    wt.write(os.path.join(src, "setup.py"), QUIRK_SETUP)
    wt.write(os.path.join(src, "frames.c"), QUIRK_C)
    for pkg in ("numpy", "numpy/core", "other"):
        wt.write(os.path.join(src, pkg, "__init__.py"), "")
    os.mkdir(c.path("out"))
    app = c.path("out", "app")
    code = ("import numpy.core._multiarray_umath as n, other._frames as o; "
            "print(n.frames(), o.frames() > 3, n.__spec__.origin, o.__spec__.origin)")
    p = c.build_ok("--setup-py", src, "--python-code", code, "-o", app)
    c.check("changed: numpy.core._multiarray_umath: numpy's temporary elision is off" in p.out,
            f"the summary does not say what was changed:\n{p.out}")
    c.check("changed: other._frames" not in p.out, f"other._frames was changed:\n{p.out}")
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == "0 True built-in built-in",
            f"the binary exited {r.returncode} and printed {r.out!r} (wanted 0 frames for "
            f"numpy's module, more than 3 for the other):\n{wt.tail(r.err)}")


TSP_SETUP = """
from setuptools import setup, Extension
setup(name="tsp", version="1.0", packages=["tsp", "tsp.tests", "tsp.plain.tests", "tsp.plain"],
      ext_modules=[Extension("tsp.tests._helper", ["helper.c"])])
"""

TSP_HELPER_C = r"""
#include <Python.h>
static struct PyModuleDef def = { PyModuleDef_HEAD_INIT, "tsp.tests._helper", NULL, 0, NULL };
PyMODINIT_FUNC PyInit__helper(void) { return PyModule_Create(&def); }
"""

TSP_PROBE = """
import importlib, sys
h = importlib.import_module("tsp.tests._helper")
from tsp.tests import sibling
try:
    import tsp.plain.tests
    plain = "imported"
except ImportError:
    plain = "left out"
print(h.__spec__.origin, sibling.WORD, plain)
"""


def case_tests_subpackage(c):
    """a tests subpackage holding a welded extension is packed, other test packages are not"""
    src = c.path("src")
    wt.write(os.path.join(src, "setup.py"), TSP_SETUP)
    wt.write(os.path.join(src, "helper.c"), TSP_HELPER_C)
    wt.write(os.path.join(src, "tsp", "__init__.py"), "")
    wt.write(os.path.join(src, "tsp", "tests", "__init__.py"), "from . import sibling\n")
    wt.write(os.path.join(src, "tsp", "tests", "sibling.py"), "WORD = 'sibling'\n")
    wt.write(os.path.join(src, "tsp", "plain", "__init__.py"), "")
    wt.write(os.path.join(src, "tsp", "plain", "tests", "__init__.py"), "")
    os.mkdir(c.path("out"))
    app = c.path("out", "app")
    c.build_ok("--setup-py", src, "--python-code", TSP_PROBE, "-o", app)
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == "built-in sibling left out",
            f"the binary exited {r.returncode} and printed {r.out!r}:\n{wt.tail(r.err)}")


LTO_SETUP = """
from setuptools import setup, Extension
flags = ["-O2", "-flto", "-fno-fat-lto-objects"]
setup(name="ltoext", version="1.0",
      ext_modules=[Extension("ltoext", ["ltoext.c", "helper.c"],
                             extra_compile_args=flags, extra_link_args=flags)])
"""

LTO_EXT_C = r"""
#include <Python.h>
int ltoext_square(int x);
static PyObject *square(PyObject *self, PyObject *arg)
{
    long v = PyLong_AsLong(arg);
    if (v == -1 && PyErr_Occurred())
        return NULL;
    return PyLong_FromLong(ltoext_square((int)v));
}
static PyMethodDef methods[] = { { "square", square, METH_O, NULL }, { NULL } };
static struct PyModuleDef def = { PyModuleDef_HEAD_INIT, "ltoext", NULL, 0, methods };
PyMODINIT_FUNC PyInit_ltoext(void) { return PyModule_Create(&def); }
"""

LTO_HELPER_C = "int ltoext_square(int x) { return x * x; }\n"


def case_lto(c):
    """LTO objects are made fat by the wrappers and welded; PYWELD_FAT_LTO=0 is refused"""
    src = c.path("src")
    wt.write(os.path.join(src, "setup.py"), LTO_SETUP)
    wt.write(os.path.join(src, "ltoext.c"), LTO_EXT_C)
    wt.write(os.path.join(src, "helper.c"), LTO_HELPER_C)
    os.mkdir(c.path("out"))
    app = c.path("out", "app")
    code = ("import sys, ltoext; print(ltoext.square(12), ltoext.__spec__.origin, "
            "'ltoext' in sys.builtin_module_names)")
    work = c.path("work")
    c.build_ok("--setup-py", src, "--python-code", code, "--work-dir", work, "-o", app)
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == "144 built-in True",
            f"the binary exited {r.returncode} and printed {r.out!r}:\n{wt.tail(r.err)}")
    dbs = [os.path.join(work, f) for f in os.listdir(work) if f.endswith(".linkdb")]
    c.require(len(dbs) == 1, f"expected one link database in the work directory: {dbs}")
    r = c.run([c.pyweld, "db", "compiles", "--db", dbs[0], "--json"])
    c.check(r.returncode == 0, f"pyweld db compiles failed:\n{r.err}")
    compiles = [x for x in json.loads(r.out) if x["output"].endswith(("ltoext.o", "helper.o"))]
    c.check(len(compiles) == 2 and all(x["argv"][-1] == "-ffat-lto-objects" and
                                       "-fno-fat-lto-objects" in x["argv"]
                                       for x in compiles),
            f"the recorded compiles do not end in the added -ffat-lto-objects: "
            f"{[x['argv'] for x in compiles]}")

    thin = c.path("out", "thin-app")
    p = c.build("--setup-py", src, "--env", "PYWELD_FAT_LTO=0", "--python-code", code,
                "-o", thin)
    c.check_clear_error(p, "objects holding only LTO bytecode",
                        ["ltoext", "LTO bytecode", "PYWELD_FAT_LTO"])
    c.check(not os.path.exists(thin), "an APP was written after the refusal")


def elf_type_and_relocations(c, path):
    """('EXEC' or 'DYN', the number of dynamic relocations) of an executable."""
    h = c.run(["readelf", "-hW", path])
    kind = next((l.split(":", 1)[1].split()[0] for l in h.out.splitlines()
                 if l.strip().startswith("Type:")), "?")
    r = c.run(["readelf", "-rW", path])
    relocs = sum(1 for l in r.out.splitlines() if "R_X86_64_" in l)
    return kind, relocs


def case_pie(c):
    """fixed-address by default, position-independent with --pie; both run"""
    os.mkdir(c.path("out"))
    facts = {}
    for name, flags in (("fixed", []), ("pie", ["--pie"])):
        app = c.path("out", name)
        c.build_ok(*flags, "--python-code", STDLIB_PROBE, "-o", app)
        kind, relocs = elf_type_and_relocations(c, app)
        r = c.run([app, "one", "two"], env=c.run_env, timeout=120)
        c.require(r.returncode == 0, f"the {name} binary exited {r.returncode}:\n"
                  f"{wt.tail(r.err)}")
        facts[name] = json.loads(r.out.strip().splitlines()[-1])
        print(f"     {name}: ELF type {kind}, {relocs} dynamic relocations")
        if flags:
            c.check(kind == "DYN" and relocs > 10000, f"--pie: ELF type {kind} with {relocs} "
                    "relocations, wanted a position-independent executable (DYN, its data's "
                    "pointers relocated)")
        else:
            c.check(kind == "EXEC" and relocs < 2000, f"default: ELF type {kind} with "
                    f"{relocs} relocations, wanted a fixed-address executable (EXEC)")
    c.check(facts["fixed"] == facts["pie"], f"the two binaries answer differently:\n"
            f"{facts['fixed']}\n{facts['pie']}")
    c.check(facts["fixed"]["sha256"] ==
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            and facts["fixed"]["decimal_c"] == "decimal", f"wrong answers: {facts['fixed']}")
    # pyweld.ini's "pie = true" is --pie.
    proj = c.path("proj")
    wt.write(os.path.join(proj, "main.py"), "print('from the ini')\n")
    wt.write(os.path.join(proj, "pyweld.ini"),
             "[app]\noutput = app\nscript = main.py\n[build]\npie = true\n")
    c.build_ok("--config", os.path.join(proj, "pyweld.ini"))
    kind, relocs = elf_type_and_relocations(c, os.path.join(proj, "app"))
    r = c.run([os.path.join(proj, "app")], env=c.run_env, timeout=60)
    c.check(kind == "DYN" and r.returncode == 0 and r.out == "from the ini\n",
            f"pie = true in pyweld.ini: ELF type {kind}, exit {r.returncode}, {r.out!r}")
    for other in ("--static", "--library"):
        out = c.path("out", "refused" + other.replace("-", "_"))
        p = c.build("--pie", other, "--python-code", "pass", "-o", out)
        c.check_clear_error(p, f"--pie with {other}", ["--pie"])
        c.check(not os.path.exists(out), f"--pie {other}: an APP was written")


def case_deep_freeze(c):
    """what starts is deep-frozen; --deep-freeze-all all of it, --no-deep-freeze none"""
    os.mkdir(c.path("out"))
    probe = ("import json, _pyweld, email.message\n"
             "print(json.dumps({'json': _pyweld.deep_frozen('json.decoder'), "
             "'email': _pyweld.deep_frozen('email.message'), "
             "'loads': json.loads('[1, {\"a\": null}]')}))\n")
    facts, sizes = {}, {}
    for name, flags in (("frozen", []), ("all", ["--deep-freeze-all"]),
                        ("unfrozen", ["--no-deep-freeze"])):
        app = c.path("out", name)
        # --no-prune: the checks count the whole standard library's modules.
        p = c.build_ok(*flags, "--no-prune", "--python-code", probe, "-o", app)
        m = re.search(r"(\d+) Python modules packed, (\d+) of them deep-frozen", p.out)
        c.require(m, f"{name}: the summary does not say how many modules are deep-frozen:\n"
                  f"{wt.tail(p.out)}")
        r = c.run([app], env=c.run_env, timeout=120)
        c.require(r.returncode == 0, f"the {name} binary exited {r.returncode}:\n"
                  f"{wt.tail(r.err)}")
        facts[name] = json.loads(r.out.strip().splitlines()[-1])
        sizes[name] = os.path.getsize(app)
        frozen = int(m.group(2))
        print(f"     {name}: {m.group(1)} modules packed, {frozen} deep-frozen, "
              f"{sizes[name] / 2**20:.1f} MiB")
        if name == "unfrozen":
            c.check(frozen == 0, f"--no-deep-freeze: {frozen} modules deep-frozen")
        elif name == "all":
            c.check(frozen >= 500, f"--deep-freeze-all: only {frozen} modules deep-frozen")
        else:
            c.check(0 < frozen < 200, f"default: {frozen} modules deep-frozen, wanted those "
                    "the probe imports as it starts (json, email ...: fewer than 200)")
    for name in ("frozen", "all"):
        c.check(facts[name] == {"json": True, "email": True, "loads": [1, {"a": None}]},
                f"{name}: {facts[name]}")
    c.check(facts["unfrozen"] == {"json": False, "email": False, "loads": [1, {"a": None}]},
            f"--no-deep-freeze: {facts['unfrozen']}")
    c.check(sizes["unfrozen"] < sizes["frozen"] < sizes["all"] - 10 * 2**20,
            f"wanted --no-deep-freeze < the default < --deep-freeze-all by 10 MiB: {sizes}")
    p = c.build("--deep-freeze-all", "--no-deep-freeze", "--python-code", "pass",
                "-o", c.path("out", "refused"))
    c.check_clear_error(p, "--deep-freeze-all with --no-deep-freeze",
                        ["--deep-freeze-all", "--no-deep-freeze"])
    # pyweld.ini's "deep-freeze = false" is --no-deep-freeze.
    proj = c.path("proj")
    wt.write(os.path.join(proj, "main.py"), "import _pyweld\nprint(_pyweld.deep_frozen('json'))\n")
    wt.write(os.path.join(proj, "pyweld.ini"),
             "[app]\noutput = app\nscript = main.py\n[build]\ndeep-freeze = false\n")
    c.build_ok("--config", os.path.join(proj, "pyweld.ini"))
    r = c.run([os.path.join(proj, "app")], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out == "False\n",
            f"deep-freeze = false in pyweld.ini: exit {r.returncode}, {r.out!r}")
    # deep-freeze-all = true is --deep-freeze-all: a module imported only
    # later (by a name made at run time) is deep-frozen all the same.
    wt.write(os.path.join(proj, "main.py"),
             "import _pyweld, importlib, sys\n"
             "importlib.import_module(sys.argv[1])\n"
             "print(_pyweld.deep_frozen(sys.argv[1]))\n")
    wt.write(os.path.join(proj, "pyweld.ini"),
             "[app]\noutput = app\nscript = main.py\n[build]\nprune = false\n"
             "deep-freeze-all = true\n")
    c.build_ok("--config", os.path.join(proj, "pyweld.ini"))
    r = c.run([os.path.join(proj, "app"), "csv"], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out == "True\n",
            f"deep-freeze-all = true in pyweld.ini: csv deep-frozen? exit {r.returncode}, "
            f"{r.out!r}")


PWBAR_C = "int pwbar_value(void) { return 2; }\n"

PWFOO_Z_C = r"""
#include <string.h>
#include <zlib.h>
int pwbar_value(void);
/* 40 from zlib (its version string starts with "1."), 2 from libpwbar. */
int pwlib_value(void) { return (strncmp(zlibVersion(), "1.", 2) == 0 ? 40 : 0) + pwbar_value(); }
"""

PWFOO_CMOCKA_C = r"""
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* Calls into libcmocka, which Debian ships only as a shared object. */
int pwlib_value(void)
{
    void (*volatile f)(enum cm_message_output) = cmocka_set_message_output;
    return f != NULL ? 42 : 0;
}
"""

PWFOO_MISSING_C = r"""
int pwnosuch_value(void);
int pwlib_value(void) { return pwnosuch_value(); }
"""

CLOSURE_CODE = ("import sys, pwclosure, pwclosure._ext as e; print(e.value(), "
                "e.__spec__.origin, 'pwclosure._ext' in sys.builtin_module_names)")


def closure_build(c, app, *flags):
    src = wt.ext_project(c, "pwclosure")
    return c.build(*flags, "--setup-py", src,
                   *wt.ext_env("pwclosure", ["pwfoo"], [c.path("libs", "pwfoo")]),
                   "--python-code", CLOSURE_CODE, "-o", app)


def case_closure_static(c):
    """a static library whose Libs.private names archives, one found only by its -L"""
    bar = wt.static_lib(c, "pwbar", {"bar.c": PWBAR_C})
    wt.static_lib(c, "pwfoo", {"foo.c": PWFOO_Z_C}, private=f"-L{bar} -lpwbar -lz")
    os.mkdir(c.path("out"))
    app = c.path("out", "app")
    p = closure_build(c, app)
    c.require(p.returncode == 0, f"pyweld build exited {p.returncode}:\n{wt.tail(p.err)}")
    c.check("dynamic:" not in p.out, f"the summary says something is dynamic:\n{p.out}")
    needed, text = wt.needed_libs(app)
    bad = [n for n in needed or [] if n not in wt.LIBC_FAMILY]
    c.check(needed is not None and not bad, f"the binary needs more than glibc: {needed}")
    # No shared object linked in: the Python API alone is exported, not
    # the binary's other functions.
    syms = wt.dynamic_symbols(app)
    c.check("Py_Initialize" in syms and "__wrap_open" not in syms,
            f"the dynamic symbols are not the Python API alone: "
            f"{sorted(s for s in syms if not s.startswith(('Py', '_Py')))}")
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == "42 built-in True",
            f"the binary exited {r.returncode} and printed {r.out!r}:\n{wt.tail(r.err)}")


def case_closure_shared_dep(c):
    """Libs.private names a shared-only library: linked dynamically, everything
    exported, --static refused"""
    c.require(os.path.exists("/usr/lib/x86_64-linux-gnu/libcmocka.so") and
              not os.path.exists("/usr/lib/x86_64-linux-gnu/libcmocka.a"),
              "this case needs Debian's libcmocka-dev (a shared libcmocka, no archive)")
    wt.static_lib(c, "pwfoo", {"foo.c": PWFOO_CMOCKA_C}, private="-lcmocka")
    os.mkdir(c.path("out"))
    app = c.path("out", "app")
    p = closure_build(c, app)
    c.require(p.returncode == 0, f"pyweld build exited {p.returncode}:\n{wt.tail(p.err)}")
    dyn = [l for l in p.out.splitlines() if l.startswith("dynamic: ")]
    c.check(len(dyn) == 1 and dyn[0].startswith("dynamic: libcmocka (") and "pwfoo" in dyn[0],
            f"the summary does not say libcmocka (which libpwfoo needs) is dynamic:\n{p.out}")
    needs = next((l for l in p.out.splitlines() if l.startswith("needs: ")), "")
    c.check("libcmocka.so" in needs, f"'needs:' does not list libcmocka:\n{p.out}")
    needed, text = wt.needed_libs(app)
    c.check(needed is not None and any(n.startswith("libcmocka.so") for n in needed),
            f"the binary's NEEDED does not name libcmocka: {needed}\n{text}")
    # A shared object linked in may call what the binary holds statically:
    # every global symbol is exported, not the Python API alone (the file
    # view's __wrap_open; libpwfoo is inside the isolated extension, local).
    c.check("__wrap_open" in wt.dynamic_symbols(app),
            "with libcmocka.so linked in, the binary's own functions are not exported")
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == "42 built-in True",
            f"the binary exited {r.returncode} and printed {r.out!r}:\n{wt.tail(r.err)}")

    os.mkdir(c.path("out-static"))
    static_app = c.path("out-static", "app")
    before = c.sentinel(static_app)
    p = closure_build(c, static_app, "--static")
    c.check_clear_error(p, "--static with a shared-only library in a Libs.private",
                        ["--static", "libcmocka", "pwfoo", "pwclosure._ext"])
    c.check_sentinel(static_app, before, "--static with a shared-only library")


def case_closure_missing(c):
    """Libs.private names a library that is not installed, or only its run-time .so.N"""
    os.mkdir(c.path("out"))
    app = c.path("out", "app")
    before = c.sentinel(app)
    wt.static_lib(c, "pwfoo", {"foo.c": PWFOO_MISSING_C}, private="-lpwnosuchlib")
    p = closure_build(c, app)
    lines = c.check_clear_error(p, "a Libs.private library that is not installed",
                                ["libpwnosuchlib", "pwfoo", "pwclosure._ext"])
    c.check("collect2" not in p.err and "ld returned" not in p.err,
            f"the final link was tried (and its collect2 line shown):\n{wt.tail(p.err)}")
    c.check(any(l.startswith("hint: ") and "-dev package" in l and "libpwnosuchlib.so" in l
                for l in lines), "no hint naming the -dev package that would ship "
            "libpwnosuchlib.so:\n" + "\n".join(lines))
    c.check_sentinel(app, before, "a Libs.private library that is not installed")

    rt = wt.runtime_only_library()
    c.require(rt, "no system library installed only as its run-time shared object "
              "(libX.so.N without libX.so) was found")
    name, path, package = rt
    print(f"     run-time only: lib{name} ({path}, {package})")
    wt.static_lib(c, "pwfoo", {"foo.c": PWFOO_MISSING_C.replace("pwnosuch_value()", "1")},
                  private=f"-l{name}")
    p = closure_build(c, app)
    lines = c.check_clear_error(p, "a Libs.private library installed only at run time",
                                [f"lib{name}", "pwfoo", "pwclosure._ext",
                                 package.split(":")[0], path])
    c.check(any(l.startswith("hint: ") and f"lib{name}.so" in l for l in lines),
            f"no hint naming lib{name}.so:\n" + "\n".join(lines))
    c.check("collect2" not in p.err, f"the final link was tried:\n{wt.tail(p.err)}")
    c.check_sentinel(app, before, "a Libs.private library installed only at run time")


CASES = {
    "static": case_static,
    "static_nss": case_static_nss,
    "dynamic_lib": case_dynamic_lib,
    "tests_subpackage": case_tests_subpackage,
    "lto": case_lto,
    "lib_by_path": case_lib_by_path,
    "quirk_backtrace": case_quirk_backtrace,
    "pie": case_pie,
    "deep_freeze": case_deep_freeze,
    "closure_static": case_closure_static,
    "closure_shared_dep": case_closure_shared_dep,
    "closure_missing": case_closure_missing,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "weld"))

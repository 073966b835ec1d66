#!/usr/bin/env python3
"""weld_errors.py: `pyweld build` given what it cannot weld, or bad input.

Every case expects a failed build that says so clearly: a non-zero exit that
is not a signal, the first line after the progress lines starting with
"pyweld: error: ", no traceback, and the message naming what failed (the
package, the file, the reason).  A file standing at -o before the build (a
previous APP) must come out byte-identical, with nothing beside it: a failed
build writes no partial APP and never removes the old one.

Cases (a Rust extension built outside the wrappers is weld_rust.py's
outside_wrappers):
  pycryptodome      pycryptodome 3.20.0: its .so files define no PyInit_
                    (ctypes loads them by path): refused naming the package,
                    the file and the missing init function.
  unknown_package   pyweld-no-such-package-xyz==1.0: refused naming it.
  compile_error     a local project (--setup-py) whose C file has a syntax
                    error: refused naming the project and the file.
  late_failure      a local extension that calls _Unwind_Backtrace, so the
                    final link wants libgcc_s: either a binary that needs
                    only glibc, or a refusal that leaves the old APP alone
                    (the check of DT_NEEDED runs after the APP is written).
  corrupt_dist      --dist at a distribution whose dist.linkdb is garbage,
                    empty, or has damaged pages, or whose distribution.json
                    is truncated: refused naming the file; no APP appears
                    where there was none.
  missing_dir       -o in a directory that does not exist: refused naming it,
                    and the directory is not created.
  link_error        the final link fails (an undefined symbol in a static
                    library an extension links, then in an extension's own
                    object): the error names the first real linker error,
                    the symbol and where it is referenced (the archive and
                    member; the extension module), not only collect2's
                    "ld returned 1 exit status".

Hostile input that must weld all the same (generated C and assembler
escape what they print):
  hostile_metadata  a local extension's installed METADATA edited, between
                    two builds in one --work-dir, to a Name and Version with
                    "*/", "/*", quotes, backslashes, "??/", a tab and an
                    escape character: the second build welds, the binary
                    runs the extension and importlib.metadata reads the
                    Version back unchanged.
  hostile_workdir   the work directory (--work-dir, and TMPDIR for the
                    default one) and the output directory named with spaces,
                    quotes, $, backticks, a backslash and a newline: the
                    binary is built and runs.
  hostile_workdir_ext  a setuptools C extension built in such a work
                    directory (distutils splits $CC at its spaces): welded
                    in, it runs from the binary.

    weld_errors.py --pyweld build/bin/pyweld [--keep] [CASE...]
"""

import os
import random
import re
import shutil
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402

def out_with_sentinel(c):
    os.makedirs(c.path("out"), exist_ok=True)
    app = c.path("out", "app")
    return app, c.sentinel(app)


def case_pycryptodome(c):
    """pycryptodome: shared libraries with no init function are refused"""
    app, before = out_with_sentinel(c)
    p = c.build("--pip-install", "pycryptodome==3.20.0", "-o", app, timeout=1200)
    print(f"     pyweld build took {p.seconds:.1f} s")
    c.check_clear_error(p, "pycryptodome", subjects=[
        "pycryptodome 3.20.0",
        ("site-packages/Crypto/",),
        ("no init function",),
    ])
    lines = wt.error_block(p.err)
    c.check(any(".so" in l and "Crypto" in l for l in lines),
            "the error does not name the .so file:\n" + "\n".join(lines))
    c.check_sentinel(app, before, "pycryptodome")


def case_unknown_package(c):
    """a package PyPI does not have: refused naming it"""
    app, before = out_with_sentinel(c)
    p = c.build("--pip-install", "pyweld-no-such-package-xyz==1.0", "-o", app, timeout=600)
    c.check_clear_error(p, "unknown package", subjects=["pyweld-no-such-package-xyz"])
    c.check_sentinel(app, before, "unknown package")


BROKEN_SETUP = """\
from setuptools import Extension, setup

setup(name="pyweld-test-broken", version="1.0",
      ext_modules=[Extension("pyweld_test_broken", ["broken_ext.c"])])
"""

BROKEN_C = """\
#include <Python.h>

/* A syntax error on purpose: the test wants the build to fail here. */
static int this is not C;

PyMODINIT_FUNC PyInit_pyweld_test_broken(void) { return NULL; }
"""


def case_compile_error(c):
    """a local project that does not compile: refused naming it and the file"""
    src = c.path("project")
    wt.write(os.path.join(src, "setup.py"), BROKEN_SETUP)
    wt.write(os.path.join(src, "broken_ext.c"), BROKEN_C)
    app, before = out_with_sentinel(c)
    p = c.build("--setup-py", src, "-o", app, timeout=600)
    c.check_clear_error(p, "compile error", subjects=[
        ("pyweld-test-broken", "pyweld_test_broken", src),
        ("broken_ext.c",),
    ])
    c.check_sentinel(app, before, "compile error")


UNWIND_SETUP = """\
from setuptools import Extension, setup

setup(name="pyweld-test-unwind", version="1.0",
      ext_modules=[Extension("pyweld_test_unwind", ["unwind.c"])])
"""

UNWIND_C = """\
/* Walks its own stack with the GCC unwinder: libgcc_s when linked dynamically. */
#include <Python.h>
#include <unwind.h>

static _Unwind_Reason_Code
count(struct _Unwind_Context *ctx, void *arg)
{
	(void)ctx;
	++*(int *)arg;
	return _URC_NO_REASON;
}

static PyObject *
depth(PyObject *self, PyObject *unused)
{
	int n = 0;
	(void)self;
	(void)unused;
	_Unwind_Backtrace(count, &n);
	return PyLong_FromLong(n);
}

static PyMethodDef methods[] = {
	{ "depth", depth, METH_NOARGS, "frames on the C stack" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef def = { PyModuleDef_HEAD_INIT, "pyweld_test_unwind", NULL, -1,
                                  methods };

PyMODINIT_FUNC
PyInit_pyweld_test_unwind(void)
{
	return PyModule_Create(&def);
}
"""


def case_late_failure(c):
    """an extension that pulls in libgcc_s: glibc-only binary, or the old APP kept"""
    src = c.path("project")
    wt.write(os.path.join(src, "setup.py"), UNWIND_SETUP)
    wt.write(os.path.join(src, "unwind.c"), UNWIND_C)
    app, before = out_with_sentinel(c)
    p = c.build("--setup-py", src, "--python-code",
                "import pyweld_test_unwind as u; print(u.depth() > 2)", "-o", app,
                timeout=600)
    if p.returncode != 0:
        c.check_clear_error(p, "libgcc_s", subjects=[("libgcc_s",)])
        c.check_sentinel(app, before, "a build refused after its final link")
        return
    # Built: then it must keep the promise of a default build.
    needed, text = wt.needed_libs(app)
    bad = [n for n in needed or [] if n not in wt.LIBC_FAMILY]
    c.check(not bad, f"the binary needs more than glibc: {bad}")
    r = c.run([app], env=c.run_env, cwd=c.path("home"), timeout=60)
    c.check(r.returncode == 0 and r.out == "True\n",
            f"the binary exited {r.returncode}: {r.out!r} {wt.tail(r.err)}")


def make_fake_dist(c, real, name):
    """A distribution directory beside the case: COMPLETE and distribution.json
    copied, prefix and object store linked to the real ones (read only)."""
    d = c.path(name)
    os.mkdir(d)
    for f in ("COMPLETE", "distribution.json"):
        shutil.copy(os.path.join(real, f), os.path.join(d, f))
    for f in ("prefix", "dist.linkdb.store"):
        os.symlink(os.path.join(real, f), os.path.join(d, f))
    return d


def copy_db(real, dst):
    """A consistent copy of the real dist.linkdb, in rollback-journal mode."""
    src = sqlite3.connect(f"file:{os.path.join(real, 'dist.linkdb')}?mode=ro", uri=True)
    out = sqlite3.connect(dst)
    src.backup(out)
    out.execute("PRAGMA journal_mode=DELETE")
    out.close()
    src.close()


def case_corrupt_dist(c):
    """a distribution whose link database or description is damaged"""
    real = c.args.dist
    variants = {}

    d = make_fake_dist(c, real, "garbage")
    with open(os.path.join(d, "dist.linkdb"), "wb") as f:
        f.write(random.Random(1).randbytes(8192))
    variants["garbage"] = (d, "dist.linkdb")

    d = make_fake_dist(c, real, "empty")
    open(os.path.join(d, "dist.linkdb"), "wb").close()
    variants["empty"] = (d, "dist.linkdb")

    # The header page and the schema stay; every other page is noise, so the
    # database opens and fails when the weld reads its links.
    d = make_fake_dist(c, real, "damaged")
    db = os.path.join(d, "dist.linkdb")
    copy_db(real, db)
    with open(db, "r+b") as f:
        data = bytearray(f.read())
        page = int.from_bytes(data[16:18], "big")
        page = 65536 if page == 1 else page
        keep = page
        noise = random.Random(2).randbytes(len(data) - keep)
        f.seek(keep)
        f.write(noise)
    variants["damaged"] = (d, "dist.linkdb")

    d = make_fake_dist(c, real, "badjson")
    copy_db(real, os.path.join(d, "dist.linkdb"))
    with open(os.path.join(d, "distribution.json"), "r+") as f:
        text = f.read()
        f.seek(0)
        f.truncate()
        f.write(text[: len(text) // 2])
    variants["badjson"] = (d, "distribution.json")

    for name, (d, bad_file) in variants.items():
        what = f"{name} {bad_file}"
        app, before = out_with_sentinel(c)
        p = c.build("--dist", d, "--python-code", "print('hello')", "-o", app, timeout=300)
        c.check_clear_error(p, what, subjects=[(os.path.join(d, bad_file),)])
        c.check_sentinel(app, before, what)
        # No APP where there was none.
        os.unlink(app)
        p = c.build("--dist", d, "--python-code", "print('hello')", "-o", app, timeout=300)
        c.check(p.returncode > 0, f"{what}: pyweld build exited {p.returncode} the second "
                "time")
        c.check(not os.listdir(c.path("out")), f"{what}: the failed build left "
                f"{os.listdir(c.path('out'))} in the output directory")


def case_missing_dir(c):
    """-o in a directory that does not exist"""
    app = c.path("no", "such", "dir", "app")
    p = c.build("--python-code", "print('hello')", "-o", app, timeout=300)
    c.check_clear_error(p, "missing directory", subjects=[(c.path("no", "such", "dir"),)])
    c.check(not os.path.exists(c.path("no")), "the failed build created part of the missing "
            "directory")
    c.check(not os.listdir(c.path("tmp")), f"the failed build left {os.listdir(c.path('tmp'))}"
            " in TMPDIR although it could fail before any work")


LINK_ERR_LIB_C = r"""
int pw_undeclared_fn(void);
int pwlib_value(void) { return pw_undeclared_fn(); }
"""

LINK_ERR_EXT_C = wt.EXT_C.replace("return PyLong_FromLong(pwlib_value());",
                                  "return PyLong_FromLong(pw_ext_undefined());").replace(
    "int pwlib_value(void);", "int pw_ext_undefined(void);")


def case_link_error(c):
    """a final link that fails names the first real linker error, not collect2's line"""
    app, before = out_with_sentinel(c)
    d = wt.static_lib(c, "pwlinkerr", {"linkerr.c": LINK_ERR_LIB_C})
    src = wt.ext_project(c, "pwlinkerr")
    p = c.build("--setup-py", src, *wt.ext_env("pwlinkerr", ["pwlinkerr"], [d]),
                "--python-code", "import pwlinkerr._ext", "-o", app, timeout=600)
    lines = c.check_clear_error(p, "an undefined symbol in a static library",
                                ["undefined reference", "pw_undeclared_fn", "libpwlinkerr.a"])
    c.check(not lines or "collect2" not in lines[0], "the error's first line is collect2's:\n"
            + "\n".join(lines))
    c.check_sentinel(app, before, "an undefined symbol in a static library")

    src = wt.ext_project(c, "pwlinkext", LINK_ERR_EXT_C)
    p = c.build("--setup-py", src, *wt.ext_env("pwlinkext"), "--python-code",
                "import pwlinkext._ext", "-o", app, timeout=600)
    lines = c.check_clear_error(p, "an undefined symbol in an extension",
                                ["undefined reference", "pw_ext_undefined", "pwlinkext._ext"])
    c.check(not lines or "collect2" not in lines[0], "the error's first line is collect2's:\n"
            + "\n".join(lines))
    c.check_sentinel(app, before, "an undefined symbol in an extension")


HOSTILE_NAME = 'pw-hostile */ /* "q" \\ ??/ $HOME `id` \t\x1b end'
HOSTILE_VERSION = '1.0*/ #error "broken" /* \\" ??/ \t\x1b'


def case_hostile_metadata(c):
    """METADATA's Name and Version with */, quotes, backslashes: welded, read back"""
    ext_c = wt.EXT_C.replace("PyLong_FromLong(pwlib_value())", "PyLong_FromLong(42)")
    src = wt.ext_project(c, "pwhostile", ext_c)
    os.mkdir(c.path("out"))
    app = c.path("out", "app")
    work = c.path("work")
    code = ("import importlib.metadata as md, pwhostile._ext as e; "
            "print(repr((e.value(), e.__spec__.origin, md.version('pwhostile'))))")
    args = ("--setup-py", src, *wt.ext_env("pwhostile"), "--python-code", code,
            "--work-dir", work, "-o", app)
    c.build_ok(*args, timeout=600)
    site = os.path.join(work, "venv", "lib", "python3.11", "site-packages")
    infos = [d for d in os.listdir(site) if d.startswith("pwhostile-")
             and d.endswith(".dist-info")]
    c.require(len(infos) == 1, f"no single pwhostile .dist-info in {site}: {infos}")
    meta = os.path.join(site, infos[0], "METADATA")
    with open(meta, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"(?m)^Name: .*$", lambda m: "Name: " + HOSTILE_NAME, text, count=1)
    text = re.sub(r"(?m)^Version: .*$", lambda m: "Version: " + HOSTILE_VERSION, text,
                  count=1)
    with open(meta, "w", encoding="utf-8") as f:
        f.write(text)
    p = c.build(*args, timeout=600)
    c.require(p.returncode == 0, f"pyweld build of the edited METADATA exited "
              f"{p.returncode}:\n{wt.tail(p.err)}")
    c.check("already in" in p.err, f"the second build did not reuse the install (the "
            f"edited METADATA was not what it welded):\n{wt.tail(p.err)}")
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == repr((42, "built-in", HOSTILE_VERSION)),
            f"the binary exited {r.returncode} and printed {r.out!r}:\n{wt.tail(r.err)}")


HOSTILE_DIR = "w d 'q' \"dq\" $HOME `id` \\ back\nline"


def case_hostile_workdir(c):
    """work and output directories with spaces, quotes, $, backticks, a newline"""
    code = "import json, sys; print(json.dumps(sys.argv[1:]))"
    out = c.path("o u't \"$x\"\nnl")
    os.mkdir(out)
    app = os.path.join(out, "app")
    c.build_ok("--python-code", code, "--work-dir", c.path(HOSTILE_DIR), "-o", app,
               timeout=600)
    r = c.run([app, "a b", "$c"], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == '["a b", "$c"]',
            f"the binary exited {r.returncode} and printed {r.out!r}:\n{wt.tail(r.err)}")

    tmp = c.path("tmp", HOSTILE_DIR)
    os.mkdir(tmp)
    env = dict(c.env, TMPDIR=tmp)
    app2 = os.path.join(out, "app2")
    c.build_ok("--python-code", code, "-o", app2, env=env, timeout=600)
    r = c.run([app2, "x"], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == '["x"]',
            f"the binary exited {r.returncode} and printed {r.out!r}:\n{wt.tail(r.err)}")


def case_hostile_workdir_ext(c):
    """a C extension built by setuptools in a work directory with spaces,
    quotes, $, backticks and a newline: welded in, from the binary"""
    ext_c = wt.EXT_C.replace("PyLong_FromLong(pwlib_value())", "PyLong_FromLong(7)")
    src = wt.ext_project(c, "pwspaced", ext_c)
    app = c.path("app")
    code = "import pwspaced._ext as e; print(e.value(), e.__spec__.origin)"
    c.build_ok("--setup-py", src, *wt.ext_env("pwspaced"), "--python-code", code,
               "--work-dir", c.path(HOSTILE_DIR), "-o", app, timeout=600)
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == "7 built-in",
            f"the binary exited {r.returncode} and printed {r.out!r} (wanted '7 "
            f"built-in'):\n{wt.tail(r.err)}")


CASES = {
    "pycryptodome": case_pycryptodome,
    "unknown_package": case_unknown_package,
    "compile_error": case_compile_error,
    "late_failure": case_late_failure,
    "corrupt_dist": case_corrupt_dist,
    "missing_dir": case_missing_dir,
    "link_error": case_link_error,
    "hostile_metadata": case_hostile_metadata,
    "hostile_workdir": case_hostile_workdir,
    "hostile_workdir_ext": case_hostile_workdir_ext,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "weld"))

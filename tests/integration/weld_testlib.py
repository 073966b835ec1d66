"""Helpers shared by the weld integration tests (weld_*.py).

Every case runs in its own temporary directory (under $TMPDIR or /tmp) with a
scrubbed environment: HOME, TMPDIR (so pyweld's own work directories land in
the case directory too) and the locale are the case's; PATH is the caller's
without any pyweld shim directory; PYWELD_CACHE names the cache that holds the
distribution the ctest fixture built, so `pyweld build` finds it as a user's
call would.  Programs run with argv lists in their own process group, killed
whole on a timeout.  A case records every failed check and goes on, so one run
reports all that is wrong; the directory is removed when the case passes and
left, its path printed, when it fails.

Exit status of the scripts: 0 passed, 1 failed, 77 skipped (a prerequisite is
truly absent, said why), 2 usage.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

SKIP = 77

# The shared objects of glibc itself: what a default (not --static) weld may
# need, and nothing else.
LIBC_FAMILY = {
    "linux-vdso.so.1", "libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2",
    "libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1",
    "libresolv.so.2", "libmvec.so.1",
}

PROGRESS = re.compile(r"^pyweld: \[\d+/\d+\] ")


class Failure(Exception):
    """An assertion that makes the rest of the case meaningless."""


class Skip(Exception):
    """A prerequisite is truly absent; the message says which."""


def run_group(argv, env, cwd, timeout, stdin=subprocess.DEVNULL, preexec=None):
    """Runs argv in its own process group (all of it is killed on a timeout),
    preexec in the child first; the CompletedProcess has the raw bytes in
    .stdout/.stderr and text in .out/.err."""
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=preexec)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise Failure(f"{argv!r} did not finish in {timeout} s (killed)")
    p = subprocess.CompletedProcess(argv, proc.returncode, out, err)
    p.out = out.decode("utf-8", "surrogateescape")
    p.err = err.decode("utf-8", "surrogateescape")
    return p


def clean_path():
    """The caller's PATH without pyweld shim directories."""
    dirs = []
    for d in os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(":"):
        if d and not os.path.isfile(os.path.join(d, "pyweld-shim.conf")) and d not in dirs:
            dirs.append(d)
    return ":".join(dirs)


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def tail(text, n=40):
    lines = text.rstrip("\n").splitlines()
    return "\n".join(lines[-n:])


def error_block(stderr):
    """What pyweld said from its first non-progress line on."""
    lines = [l for l in stderr.splitlines() if l.strip() and not PROGRESS.match(l)]
    return lines


def needed_libs(path):
    """DT_NEEDED of an ELF file (readelf -d), or None when it has no dynamic
    section; the raw readelf output second."""
    p = subprocess.run(["readelf", "-d", path], capture_output=True, text=True)
    if p.returncode != 0:
        raise Failure(f"readelf -d '{path}' exited {p.returncode}: {p.stderr.strip()}")
    if "There is no dynamic section" in p.stdout + p.stderr:
        return None, p.stdout + p.stderr
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", p.stdout), p.stdout


def dynamic_symbols(path):
    """The names an ELF file's dynamic symbol table defines (nm -D)."""
    p = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True, text=True)
    if p.returncode != 0:
        raise Failure(f"nm -D '{path}' exited {p.returncode}: {p.stderr.strip()}")
    return {line.split()[-1] for line in p.stdout.splitlines() if line.strip()}


def ldd(path, env):
    """(exit status, the library names ldd lists, its text)."""
    p = subprocess.run(["ldd", path], capture_output=True, text=True, env=env)
    text = p.stdout + p.stderr
    names = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if not line or "not a dynamic executable" in line:
            continue
        names.append(os.path.basename(line.split()[0]))
    return p.returncode, names, text


class Case:
    """One case: its directory, environments and failed checks."""

    def __init__(self, name, args, prefix):
        self.name = name
        self.args = args
        # The CPython version welded (--python X.Y): every `pyweld build`
        # the case runs gets it, so the same case runs for each version.
        self.version = getattr(args, "python", None) or "3.11"
        self.pyweld = os.path.abspath(args.pyweld)
        base = os.environ.get("TMPDIR") or "/tmp"
        self.dir = tempfile.mkdtemp(prefix=f"pyweld-{prefix}-{name}-", dir=base)
        for d in ("home", "tmp"):
            os.mkdir(self.path(d))
        self.env = {"PATH": clean_path(), "HOME": self.path("home"),
                    "TMPDIR": self.path("tmp"), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8",
                    "TZ": "UTC", "PYWELD_CACHE": args.cache}
        # rustup's cargo and rustc find their toolchains through these, which
        # default to the real HOME: without them orjson could not build at all.
        home = os.path.expanduser("~")
        for var, default in (("RUSTUP_HOME", ".rustup"), ("CARGO_HOME", ".cargo")):
            value = os.environ.get(var) or os.path.join(home, default)
            if os.path.isdir(value):
                self.env[var] = value
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                self.env[k] = os.environ[k]
        # What a welded binary runs with: nothing of ours, nothing of Python's.
        self.run_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self.path("home"),
                        "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "TZ": "UTC",
                        "TMPDIR": self.path("tmp")}
        self.problems = []

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def check(self, cond, msg):
        """Records a failed assertion and goes on (all problems are reported)."""
        if not cond:
            self.problems.append(msg)
        return cond

    def require(self, cond, msg):
        """A failed assertion that makes the rest of the case meaningless."""
        if not cond:
            raise Failure(msg)

    def run(self, argv, env=None, cwd=None, timeout=300):
        return run_group(argv, env or self.env, cwd or self.dir, timeout)

    def build(self, *args, timeout=900, env=None, cwd=None):
        """Runs `pyweld build ARGS`; its output goes to a log in the case too."""
        t0 = time.time()
        args = (*self.version_args(), *args)
        p = self.run([self.pyweld, "build", *args], env=env, cwd=cwd, timeout=timeout)
        p.seconds = time.time() - t0
        n = len([f for f in os.listdir(self.dir) if f.startswith("build-")]) + 1
        with open(self.path(f"build-{n}.log"), "w") as f:
            f.write(f"$ {[self.pyweld, 'build', *args]!r}\nexit {p.returncode} "
                    f"after {p.seconds:.1f} s\n--- stdout\n{p.out}--- stderr\n{p.err}")
        return p

    def version_args(self):
        """`--python X.Y` when the case runs for a version other than 3.11."""
        return ("--python", self.version) if getattr(self.args, "python", None) else ()

    def build_ok(self, *args, timeout=900, env=None, cwd=None):
        p = self.build(*args, timeout=timeout, env=env, cwd=cwd)
        self.require(p.returncode == 0, f"pyweld build exited {p.returncode}:\n"
                     f"{tail(p.err)}")
        return p

    def check_clear_error(self, p, what, subjects=()):
        """A failed build: non-zero exit (not a signal), the first line after the
        progress lines is 'pyweld: error: ...', no traceback; each of subjects
        (a tuple of alternatives, any of which will do, or a string) is named in
        the message.  Returns the message lines."""
        self.check(p.returncode > 0, f"{what}: pyweld build exited {p.returncode}, "
                   "wanted a failure status (> 0)")
        lines = error_block(p.err)
        first = lines[0] if lines else ""
        self.check(first.startswith("pyweld: error: "),
                   f"{what}: the first line after the progress is not 'pyweld: error: "
                   f"...':\n{tail(p.err)}")
        self.check("Traceback" not in p.err and "Segmentation" not in p.err,
                   f"{what}: pyweld's output has a traceback or a crash:\n{tail(p.err)}")
        message = "\n".join(lines)
        # The case's own directory is named after the case ("rust_orjson"):
        # it must not pass for a subject the message names.
        plain = message.replace(self.dir, "<case>").lower()
        missing = []
        for subject in subjects:
            alts = (subject,) if isinstance(subject, str) else tuple(subject)
            if not any(a.replace(self.dir, "<case>").lower() in plain for a in alts):
                missing.append(" or ".join(map(repr, alts)))
        self.check(not missing, f"{what}: the error does not name " + "; nor ".join(missing)
                   + ":\n" + message)
        return lines

    def sentinel(self, path):
        """A file standing where APP goes: it must survive a failed build."""
        write(path, "#!/bin/sh\necho 'the previous build of the app'\n", 0o755)
        st = os.stat(path)
        with open(path, "rb") as f:
            return (f.read(), st.st_mode, st.st_ino, st.st_mtime_ns)

    def check_sentinel(self, path, before, what):
        """The file is exactly as sentinel() left it, and nothing else appeared
        beside it (no partial APP, no temporary)."""
        if not self.check(os.path.isfile(path), f"{what}: the pre-existing '{path}' was "
                          "removed by the failed build"):
            return
        st = os.stat(path)
        with open(path, "rb") as f:
            now = (f.read(), st.st_mode, st.st_ino, st.st_mtime_ns)
        self.check(now == before, f"{what}: the pre-existing '{path}' was changed by the "
                   "failed build")
        others = sorted(set(os.listdir(os.path.dirname(path))) - {os.path.basename(path)})
        self.check(not others, f"{what}: the failed build left {others} beside '{path}'")


# A local project with one extension module, PKG._ext, that links the -l
# libraries of PWEXT_LIBS from the directories of PWEXT_DIRS (both set with
# --env, space-separated), as a package's setup.py passes what pkg-config
# or its own configuration found.
EXT_SETUP = """
import os
from setuptools import setup, Extension
pkg = os.environ["PWEXT_PKG"]
libs = os.environ.get("PWEXT_LIBS", "").split()
dirs = os.environ.get("PWEXT_DIRS", "").split()
setup(name=pkg, version="1.0", packages=[pkg],
      ext_modules=[Extension(pkg + "._ext", ["ext.c"], libraries=libs, library_dirs=dirs)])
"""

# The extension: value() returns what pwlib_value() (C, from a library) returns.
EXT_C = r"""
#include <Python.h>
int pwlib_value(void);
static PyObject *value(PyObject *self, PyObject *arg)
{
    return PyLong_FromLong(pwlib_value());
}
static PyMethodDef methods[] = { { "value", value, METH_NOARGS, NULL }, { NULL } };
static struct PyModuleDef def = { PyModuleDef_HEAD_INIT, "_ext", NULL, 0, methods };
PyMODINIT_FUNC PyInit__ext(void) { return PyModule_Create(&def); }
"""


def ext_project(c, pkg, ext_c=EXT_C):
    """A local project <case>/<pkg> (setup.py, ext.c, the package); build it
    with --setup-py and --env PWEXT_PKG=<pkg> (ext_env() gives the --env
    arguments).  Returns its directory."""
    src = c.path(pkg)
    write(os.path.join(src, "setup.py"), EXT_SETUP)
    write(os.path.join(src, "ext.c"), ext_c)
    write(os.path.join(src, pkg, "__init__.py"), "")
    return src


def ext_env(pkg, libs=(), dirs=()):
    """The --env arguments of pyweld build for ext_project(c, pkg)."""
    return ["--env", f"PWEXT_PKG={pkg}", "--env", "PWEXT_LIBS=" + " ".join(libs),
            "--env", "PWEXT_DIRS=" + " ".join(dirs)]


def static_lib(c, name, sources, private="", cflags=""):
    """A static library lib<name>.a compiled here from sources ({file name: C
    text}) in <case>/libs/<name>, and its pkg-config file <name>.pc in
    <case>/pkgconfig (Libs: -L<that dir> -l<name>; Libs.private: private),
    which c.env's PKG_CONFIG_PATH names from then on.  Returns the library's
    directory."""
    d = c.path("libs", name)
    os.makedirs(d, exist_ok=True)
    objs = []
    for fname, text in sources.items():
        write(os.path.join(d, fname), text)
        obj = os.path.join(d, fname[:-2] + ".o")
        r = c.run(["gcc", "-c", "-O2", "-fPIC", *cflags.split(), os.path.join(d, fname),
                   "-o", obj])
        c.require(r.returncode == 0, f"gcc could not compile {fname}:\n{r.err}")
        objs.append(obj)
    archive = os.path.join(d, f"lib{name}.a")
    if os.path.exists(archive):
        os.unlink(archive)
    r = c.run(["ar", "rcs", archive, *objs])
    c.require(r.returncode == 0, f"ar could not make lib{name}.a:\n{r.err}")
    pcdir = c.path("pkgconfig")
    write(os.path.join(pcdir, f"{name}.pc"),
          f"libdir={d}\nName: {name}\nDescription: a pyweld test library\nVersion: 1.0\n"
          f"Libs: -L${{libdir}} -l{name}\nLibs.private: {private}\n")
    c.env["PKG_CONFIG_PATH"] = pcdir
    return d


def runtime_only_library():
    """(-l name, file, Debian package) of a system library installed only as
    its run-time shared object (libfoo.so.N, no libfoo.so, no libfoo.a), as
    a library's Libs.private may name one; the first by name that dpkg knows,
    or None."""
    libdir = "/usr/lib/x86_64-linux-gnu"
    for f in sorted(os.listdir(libdir)):
        m = re.fullmatch(r"lib([A-Za-z0-9_]+)\.so\.\d+", f)
        if not m or f in LIBC_FAMILY or m.group(1) in ("gcc_s", "stdc++") or any(os.path.exists(os.path.join(d, f"lib{m.group(1)}{ext}"))
                        for d in (libdir, "/lib/x86_64-linux-gnu", "/usr/lib", "/lib",
                                  "/usr/local/lib")
                        for ext in (".so", ".a")):
            continue
        p = subprocess.run(["dpkg", "-S", os.path.join(libdir, f)], capture_output=True,
                           text=True)
        if p.returncode == 0 and ": " in p.stdout:
            return m.group(1), os.path.join(libdir, f), p.stdout.split(": ", 1)[0]
    return None


def distribution_cache(pyweld, version=None):
    """The cache that holds the current distribution (of version X.Y when
    given): <cache>/python/<key>."""
    p = subprocess.run([pyweld, "python", "path", *(["--python", version] if version else [])],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip()
    dist = p.stdout.strip().splitlines()[-1]
    return os.path.dirname(os.path.dirname(dist)), dist


def main(doc, cases, prefix):
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--pyweld", help="the pyweld executable")
    ap.add_argument("--list", action="store_true", help="list the cases")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    ap.add_argument("--python", help="weld this CPython version (X.Y; default 3.11)")
    ap.add_argument("cases", nargs="*", help="cases to run (default: all)")
    args = ap.parse_args()
    if args.list:
        for name, fn in cases.items():
            print(f"{name:22} {fn.__doc__.strip().splitlines()[0]}")
        return 0
    if not args.pyweld:
        ap.error("--pyweld is required")
    unknown = [n for n in args.cases if n not in cases]
    if unknown:
        ap.error(f"unknown case(s): {', '.join(unknown)} (see --list)")
    args.pyweld = os.path.abspath(args.pyweld)
    cache, dist = distribution_cache(args.pyweld, args.python)
    if not cache:
        # The fixture (pyweld_distribution) builds it; without it nothing here
        # can run, and a build started from a test would take minutes.
        print(f"SKIP: no pyweld distribution ({dist}); run 'pyweld python build"
              f"{' --python ' + args.python if args.python else ''}' first")
        return SKIP
    args.cache = cache
    args.dist = dist
    names = args.cases or list(cases)
    return run_cases(names, lambda name: Case(name, args, prefix),
                     lambda name, c: cases[name](c), args.keep)


def run_cases(names, make_case, run, keep=False):
    """Runs the named cases one by one: make_case(name) gives the case (a
    Case, with .dir and .problems), run(name, case) runs it.  Prints
    ok / FAIL / SKIP per case; a passing or skipped case's directory is
    removed unless keep.  Returns 0 (every case passed), 1 (a case failed)
    or SKIP (none failed, some skipped: ctest then shows the test as
    skipped, never as a pass that hides a case that did not run)."""
    failed = skipped = 0
    for name in names:
        c = make_case(name)
        t0 = time.time()
        try:
            run(name, c)
        except Skip as e:
            skipped += 1
            print(f"SKIP {name}: {e}")
            shutil.rmtree(c.dir, ignore_errors=True)
            continue
        except Failure as e:
            if str(e) or not c.problems:
                c.problems.append(str(e) or "failed")
        except Exception:
            c.problems.append("unexpected exception:\n" + traceback.format_exc())
        if c.problems:
            failed += 1
            print(f"FAIL {name} ({time.time() - t0:.1f} s), its directory is kept: {c.dir}")
            for msg in c.problems:
                print("  - " + msg.rstrip().replace("\n", "\n    "))
            continue
        print(f"ok   {name} ({time.time() - t0:.1f} s)")
        if not keep:
            shutil.rmtree(c.dir, ignore_errors=True)
    print(f"{len(names) - failed - skipped} passed, {failed} failed, {skipped} skipped")
    sys.stdout.flush()
    if failed:
        return 1
    return SKIP if skipped else 0

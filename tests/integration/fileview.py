#!/usr/bin/env python3
"""The packed tree readable by path (runtime/fileview.c; docs/weld.md, "Data
beside __file__"), in the fixture's binaries.

The fixture (fileview_weld.py) welds pytz 2024.2, certifi 2024.8.30 and the
test package tests/integration/packages/pw_fileview (Python and C that read
their data by paths built from __file__) twice: bin/app with the view (the
default) and noview/app with --no-file-view.  The stock interpreter's view
is the weld's own venv python over the same packages as pip installed them.
Cases:

  pytz            pytz.timezone("Europe/Paris") and every common timezone
                  load, with the offsets the stock interpreter computes;
                  open_resource gives the installed file's bytes; the view
                  counted the opens
  certifi         certifi.where() is a path inside the binary and, under
                  strace, nothing is written: no open with O_CREAT (or for
                  writing) anywhere, no mkdir, rename or unlink, the
                  temporary directory left empty; the path is never handed
                  to the kernel (the view answers); an
                  ssl.create_default_context(cafile=certifi.where()) loads
                  as many CA certificates as cacert.pem holds, as stock
  c_fopen         the extension pw_fileview._cdata, a dotted built-in, reads
                  data/table.txt with fopen() by a path built from its
                  package's __file__; open/read, stat and opendir/readdir of
                  paths inside give the installed files' bytes, sizes and
                  names; fopen(path, "w") fails with EROFS, a missing name
                  with ENOENT
  python_apis     open, os.path.exists/isfile/isdir/getsize, os.listdir,
                  os.scandir (DirEntry types and stat), os.walk, os.fwalk
                  (directory descriptors), glob, pathlib, shutil.copytree out
                  of the binary, linecache and inspect by __file__: the same
                  answers as the stock interpreter over the installed
                  package; writing (open 'w', os.mkdir, os.remove) fails
                  with EROFS or ENOTDIR and changes nothing;
                  importlib.resources.files() is a real path under the
                  binary and as_file() hands it out as it is (nothing in the
                  temporary directory); importlib.metadata's files locate
                  under the binary and read; another process cannot read the
                  path (the documented limit)
  no_file_view    the --no-file-view binary: _pyweld.file_view is False, no
                  __wrap_ symbol is linked in, pw_fileview.table() and the C
                  extension fail as before the view (ENOTDIR), certifi.where()
                  is a temporary copy (as_file extracts); pyweld.ini's
                  file-view = false is --no-file-view
  preflight       the weld's pre-flight scan: pw_fileview's lines that read
                  beside __file__ are notes (the view serves them) in the
                  default build and warnings with --no-file-view

    fileview.py --pyweld build/bin/pyweld --app DIR [--keep] [CASE...]
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blob_testlib as bt  # noqa: E402
import weld_testlib as wt  # noqa: E402

EROFS, ENOENT, ENOTDIR = 30, 2, 20


def stock_observe(c, code):
    """The same probe in the stock interpreter of the weld's venv."""
    p = c.run([c.weld.venv_python, "-I", "-c", bt.PRELUDE + code + bt.EPILOGUE],
              env=c.run_env, timeout=300)
    lines = [l for l in p.out.splitlines() if l.startswith("@@OBSERVED@@")]
    c.require(p.returncode == 0 and lines, f"the stock interpreter's probe exited "
              f"{p.returncode}:\n{wt.tail(p.err)}")
    return json.loads(lines[-1][len("@@OBSERVED@@"):])


def installed(c, *parts):
    with open(os.path.join(c.weld.site, *parts), "rb") as f:
        return f.read()


def same_as_stock(c, seen, stock, keys):
    for key in keys:
        c.expect(seen, key, stock.get(key), f"{key} (wanted what the stock interpreter says)")


PYTZ = r'''
import pytz, datetime
obs("paris", lambda: str(pytz.timezone("Europe/Paris").localize(
    datetime.datetime(2024, 7, 1, 12)).utcoffset()))
obs("tokyo", lambda: pytz.timezone("Asia/Tokyo").zone)
def all_common():
    out = {}
    for name in pytz.common_timezones:
        tz = pytz.timezone(name)
        out[name] = str(tz.localize(datetime.datetime(2024, 1, 15)).utcoffset())
    return out
obs("common", all_common)
obs("count", lambda: len(pytz.all_timezones))
obs("resource", lambda: pytz.open_resource("Europe/Paris").read())
obs("exists", lambda: [pytz.resource_exists("Europe/Paris"), pytz.resource_exists("No/Where")])
'''


def case_pytz(c):
    """pytz's timezones load inside the binary with the stock interpreter's offsets"""
    seen = c.observe(r'''
import _pyweld
before = _pyweld.file_view_counts()["open"] if hasattr(_pyweld, "file_view_counts") else 0
''' + PYTZ + r'''
obs("opens", lambda: _pyweld.file_view_counts()["open"] - before)
''')
    stock = stock_observe(c, PYTZ)
    c.expect(seen, "paris", "2:00:00")
    c.expect(seen, "tokyo", "Asia/Tokyo")
    same_as_stock(c, seen, stock, ["common", "count", "exists"])
    c.expect(seen, "resource", installed(c, "pytz", "zoneinfo", "Europe", "Paris"))
    opens = seen.get("opens")
    c.check(isinstance(opens, int) and opens >= 400,
            f"the view answered {bt.show(opens)} opens for pytz's zones, wanted one per zone")


CERTIFI = r'''
import certifi, ssl, os, sys
where = certifi.where()
obs("where", lambda: where)
obs("inside", lambda: where.startswith(sys.executable + "/"))
obs("pem", lambda: open(where, "rb").read())
obs("ca", lambda: ssl.create_default_context(cafile=where).cert_store_stats()["x509_ca"])
obs("contents", lambda: certifi.contents().count("BEGIN CERTIFICATE"))
'''

WRITING = re.compile(r"O_CREAT|O_WRONLY|O_RDWR|O_TRUNC|O_APPEND")


def case_certifi(c):
    """certifi.where() writes nothing (strace) and OpenSSL loads its CA bundle"""
    strace = bt.strace_or_skip(c)
    log = c.path("strace.log")
    run_dir = c.path("run")
    os.mkdir(run_dir)
    p = c.run([strace, "-f", "-qq", "-s", "4096", "-e",
               "trace=%file,memfd_create", "-o", log, c.weld.exe, "-c",
               bt.PRELUDE + CERTIFI + bt.EPILOGUE], env=c.run_env, cwd=run_dir, timeout=300)
    lines = [l for l in p.out.splitlines() if l.startswith("@@OBSERVED@@")]
    c.require(p.returncode == 0 and lines, f"the binary exited {p.returncode}:\n"
              f"{wt.tail(p.err)}")
    seen = json.loads(lines[-1][len("@@OBSERVED@@"):])
    pem = installed(c, "certifi", "cacert.pem")
    c.expect(seen, "where", os.path.join(c.weld.exe, "certifi", "cacert.pem"))
    c.expect(seen, "inside", True)
    c.expect(seen, "pem", pem)
    want = pem.decode().count("BEGIN CERTIFICATE")
    c.check(want > 100, f"cacert.pem holds only {want} certificates")
    c.expect(seen, "ca", want, "x509_ca of ssl.create_default_context(cafile=where())")
    c.expect(seen, "contents", want)
    stock = stock_observe(c, CERTIFI)
    c.expect(stock, "ca", want, "the stock interpreter's x509_ca (the reference)")

    with open(log, encoding="utf-8", errors="replace") as f:
        trace = f.read().splitlines()
    c.require(any("execve(" in l for l in trace), f"{log} is not a trace")
    bad = []
    tmp = c.run_env["TMPDIR"]
    for line in trace:
        call = re.match(r"^\d+\s+(\w+)\(", line)
        name = call.group(1) if call else ""
        if name in ("open", "openat", "openat2", "creat") and (
                WRITING.search(line) or name == "creat"):
            if "/dev/" not in line:
                bad.append(f"opened for writing: {line}")
        elif name in ("mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink",
                      "unlinkat", "rmdir", "link", "linkat", "symlink", "symlinkat"):
            bad.append(f"changes the file system: {line}")
        if tmp in line:
            bad.append(f"names the temporary directory: {line}")
        if "cacert.pem" in line and name != "memfd_create":
            bad.append(f"hands the bundle's path to the kernel: {line}")
    c.check(not bad, f"{len(bad)} system calls that write or extract (log: {log}):\n"
            + "\n".join(bad[:30]))
    c.check(any("memfd_create(" in l and "certifi/cacert.pem" in l for l in trace),
            "no memfd_create names certifi/cacert.pem: the view did not serve the bundle")
    left = os.listdir(tmp)
    c.check(not left, f"the temporary directory holds {left}")


def case_c_fopen(c):
    """C code fopen()s its package's data by a path built from __file__"""
    data = os.path.join(c.weld.site, "pw_fileview", "data")
    seen = c.observe(r'''
import os, sys, pw_fileview, pw_fileview._cdata as cd
d = os.path.join(os.path.dirname(pw_fileview.__file__), "data")
def errno_of(f):
    try:
        f()
    except OSError as e:
        return e.errno
obs("builtin", lambda: ["pw_fileview._cdata" in sys.builtin_module_names,
                        cd.__spec__.origin])
obs("read_table", cd.read_table)
obs("c_table", pw_fileview.c_table)
obs("read_path", lambda: cd.read_path(os.path.join(d, "sub", "deeper.bin")))
obs("read_space", lambda: cd.read_path(os.path.join(d, "with space.txt")))
obs("stat_file", lambda: cd.stat_path(os.path.join(d, "table.txt")))
obs("stat_dir", lambda: cd.stat_path(os.path.join(d, "sub")))
obs("list", lambda: cd.list_dir(d))
obs("list_sub", lambda: cd.list_dir(os.path.join(d, "sub")))
obs("list_pkg", lambda: cd.list_dir(os.path.dirname(d)))
obs("write", lambda: cd.write_errno(os.path.join(d, "table.txt")))
obs("write_new", lambda: cd.write_errno(os.path.join(d, "new.txt")))
obs("missing", lambda: cd.read_path(os.path.join(d, "missing.txt")))
obs("missing_errno", lambda: errno_of(lambda: cd.stat_path(os.path.join(d, "no"))))
''')
    table = installed(c, "pw_fileview", "data", "table.txt")
    c.expect(seen, "builtin", [True, "built-in"])
    c.expect(seen, "read_table", table)
    c.expect(seen, "c_table", table)
    c.expect(seen, "read_path", installed(c, "pw_fileview", "data", "sub", "deeper.bin"))
    c.expect(seen, "read_space", installed(c, "pw_fileview", "data", "with space.txt"))
    c.expect(seen, "stat_file", [False, len(table)])
    c.expect(seen, "stat_dir", [True, 0])
    c.expect(seen, "list", sorted(os.listdir(data)))
    c.expect(seen, "list_sub", ["deeper.bin"])
    pkg = sorted(x for x in os.listdir(os.path.dirname(data))
                 if x != "__pycache__" and not x.endswith(".so"))
    c.expect(seen, "list_pkg", pkg, "the package directory, as C lists it (stock: without "
             "__pycache__ and the extension file, which is linked in)")
    c.expect(seen, "write", EROFS, "fopen(table.txt, \"w\")'s errno")
    c.expect(seen, "write_new", EROFS, "fopen(new.txt, \"w\")'s errno")
    c.expect_raises(seen, "missing", ("FileNotFoundError",))
    c.expect(seen, "missing_errno", ENOENT)


APIS = r'''
import glob, os, pathlib, shutil, stat, sys, tempfile, pw_fileview
pkg = os.path.dirname(pw_fileview.__file__)
d = os.path.join(pkg, "data")
rel = lambda p: os.path.relpath(p, d)
obs("table", pw_fileview.table)
obs("names", pw_fileview.names)
obs("globbed", pw_fileview.globbed)
obs("exists", lambda: [os.path.exists(d), os.path.isdir(d), os.path.isfile(d),
                       os.path.isfile(os.path.join(d, "table.txt")),
                       os.path.exists(os.path.join(d, "nope")),
                       os.path.isfile(pw_fileview.__file__)])
obs("sizes", lambda: {f: os.path.getsize(os.path.join(d, f))
                      for f in ["table.txt", "with space.txt", "sub/deeper.bin"]})
obs("listdir", lambda: sorted(os.listdir(d)))
obs("scandir", lambda: sorted((e.name, e.is_dir(), e.is_file(), e.stat().st_size if
                               e.is_file() else None) for e in os.scandir(d)))
obs("walk", lambda: [(rel(r), sorted(ds), sorted(fs)) for r, ds, fs in os.walk(d)])
obs("fwalk", lambda: [(rel(r), sorted(ds), sorted(fs)) for r, ds, fs, fd in os.fwalk(d)])
obs("pathlib", lambda: sorted(str(p.relative_to(d)) for p in pathlib.Path(d).rglob("*")))
obs("pathlib_read", lambda: pathlib.Path(d, "sub", "deeper.bin").read_bytes())
obs("mode", lambda: [stat.S_ISDIR(os.stat(d).st_mode),
                     stat.S_ISREG(os.stat(os.path.join(d, "table.txt")).st_mode)])
def copytree():
    dst = os.path.join(tempfile.mkdtemp(), "copy")
    shutil.copytree(d, dst)
    out = {}
    for r, ds, fs in os.walk(dst):
        for f in fs:
            with open(os.path.join(r, f), "rb") as fh:
                out[os.path.relpath(os.path.join(r, f), dst)] = fh.read().hex()
    shutil.rmtree(os.path.dirname(dst))
    return out
obs("copytree", copytree)
import linecache, inspect
obs("linecache", lambda: linecache.getline(pw_fileview.__file__, 1))
obs("getsourcefile", lambda: inspect.getsourcefile(pw_fileview) == pw_fileview.__file__)
'''

WRITES = r'''
import errno, os, pw_fileview
d = os.path.join(os.path.dirname(pw_fileview.__file__), "data")
def err(f):
    try:
        f()
    except OSError as e:
        return errno.errorcode.get(e.errno, e.errno)
    return "no error"
obs("open_w", lambda: err(lambda: open(os.path.join(d, "table.txt"), "w")))
obs("open_a", lambda: err(lambda: open(os.path.join(d, "new.txt"), "a")))
obs("open_x", lambda: err(lambda: open(os.path.join(d, "table.txt"), "x")))
obs("mkdir", lambda: err(lambda: os.mkdir(os.path.join(d, "newdir"))))
obs("remove", lambda: err(lambda: os.remove(os.path.join(d, "table.txt"))))
obs("after", lambda: [sorted(os.listdir(d)),
                      open(os.path.join(d, "table.txt"), "rb").read().hex()])
import importlib.resources as r, importlib.metadata as md, pathlib, sys, tempfile
f = r.files("pw_fileview")
obs("files", lambda: [type(f).__name__, isinstance(f, pathlib.Path),
                      str(f) == os.path.dirname(pw_fileview.__file__)])
def af():
    with r.as_file(f / "data" / "table.txt") as p:
        return [str(p) == os.path.join(d, "table.txt"), p.read_bytes().hex()]
obs("as_file", af)
obs("tmp", lambda: os.listdir(tempfile.gettempdir()))
obs("md_files", lambda: [(str(p), p.locate().read_bytes().hex())
                         for p in md.files("pw-fileview") if str(p).endswith("table.txt")])
obs("md_locate", lambda: str(md.distribution("pw-fileview").locate_file("pw_fileview"))
    == os.path.dirname(pw_fileview.__file__))
import subprocess
obs("other_process", lambda: subprocess.run(["cat", os.path.join(d, "table.txt")],
                                            capture_output=True).returncode)
'''


def case_python_apis(c):
    """Python's file APIs over __file__'s directory answer as over the installed package"""
    seen = c.observe(APIS)
    stock = stock_observe(c, APIS)
    same_as_stock(c, seen, stock, ["table", "names", "globbed", "exists", "sizes", "listdir",
                                   "scandir", "walk", "fwalk", "pathlib", "pathlib_read",
                                   "mode", "copytree", "linecache", "getsourcefile"])
    c.check(not bt.raised(seen.get("names")), "names() raised")
    seen = c.observe(WRITES)
    c.expect(seen, "open_w", "EROFS")
    c.expect(seen, "open_a", "EROFS")
    c.expect(seen, "open_x", "EEXIST")
    # mkdir and remove are not the view's: the kernel sees a file where a
    # directory would be
    c.expect(seen, "mkdir", "ENOTDIR")
    c.expect(seen, "remove", "ENOTDIR")
    table = installed(c, "pw_fileview", "data", "table.txt")
    c.expect(seen, "after", [sorted(os.listdir(os.path.join(c.weld.site, "pw_fileview",
                                                          "data"))), table.hex()])
    c.expect(seen, "files", ["PosixPath", True, True])
    c.expect(seen, "as_file", [True, table.hex()])
    c.expect(seen, "tmp", [])
    c.expect(seen, "md_files", [["pw_fileview/data/table.txt", table.hex()]])
    c.expect(seen, "md_locate", True)
    c.expect(seen, "other_process", 1, "cat of a path inside the binary (another process "
             "cannot read the view: the documented limit)")


def case_no_file_view(c):
    """--no-file-view: no wrappers linked in, paths beside __file__ fail as before"""
    noview = c.weld.info["noview"]
    seen = c.observe_with(noview, r'''
import _pyweld, errno, os, sys, pw_fileview, certifi
obs("file_view", lambda: _pyweld.file_view)
obs("table", pw_fileview.table)
obs("c_table", pw_fileview.c_table)
obs("where_outside", lambda: not certifi.where().startswith(sys.executable + "/"))
obs("where_bytes", lambda: open(certifi.where(), "rb").read()[:64])
''')
    c.expect(seen, "file_view", False)
    c.expect_raises(seen, "table", "NotADirectoryError")
    c.expect_raises(seen, "c_table", "NotADirectoryError")
    c.expect(seen, "where_outside", True, "certifi.where() without the view: a temporary copy")
    c.expect(seen, "where_bytes", installed(c, "certifi", "cacert.pem")[:64])
    seen = c.observe(r'''
import _pyweld
obs("file_view", lambda: _pyweld.file_view)
''')
    c.expect(seen, "file_view", True, "_pyweld.file_view of the default build")
    # The dynamic symbol table of both holds the Python API and not the
    # wrappers (no shared object is linked in: only Py* and _Py* are
    # exported); that the wrappers are linked in, the observations say.
    for exe in (c.weld.exe, noview):
        p = c.run(["nm", "-D", "--defined-only", exe], timeout=120)
        c.require(p.returncode == 0, f"nm {exe} exited {p.returncode}: {p.err[:300]}")
        names = {line.split()[-1] for line in p.out.splitlines() if line.strip()}
        c.check("Py_Initialize" in names and "_Py_NoneStruct" in names,
                f"{exe}: the Python API is not exported")
        other = sorted(n for n in names if not n.startswith(("Py", "_Py")))
        c.check("__wrap_open" not in names and len(other) < 40,
                f"{exe}: exports more than the Python API: {other[:20]}")
    # pyweld.ini's "file-view = false" is --no-file-view.
    proj = c.path("proj")
    wt.write(os.path.join(proj, "main.py"), "import _pyweld\nprint(_pyweld.file_view)\n")
    wt.write(os.path.join(proj, "pyweld.ini"),
             "[app]\noutput = app\nscript = main.py\n[build]\nfile-view = false\n")
    c.build_ok("--config", os.path.join(proj, "pyweld.ini"))
    r = c.run([os.path.join(proj, "app")], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out == "False\n",
            f"file-view = false in pyweld.ini: exit {r.returncode}, {r.out!r}")


def case_preflight(c):
    """pre-flight: notes where the view serves __file__ paths, warnings without it"""
    with_view = open(os.path.join(c.weld.dir, "bin-build.txt")).read()
    without = open(os.path.join(c.weld.dir, "noview-build.txt")).read()
    src = open(os.path.join(c.weld.src, "pw_fileview", "__init__.py")).read().splitlines()
    line = next(n for n, l in enumerate(src, 1) if "open(os.path.join(os.path.dirname"
                in l)
    where = f"pw_fileview/__init__.py:{line}: "
    c.check(re.search(r"^pyweld: note: " + re.escape(where) + "opens a file relative to "
                      "__file__", with_view, re.M),
            f"the default build does not note {where}:\n{wt.tail(with_view)}")
    c.check(not re.search(r"^pyweld: warning: " + re.escape(where), with_view, re.M),
            f"the default build warns about {where}, which the view serves")
    c.check(re.search(r"^pyweld: warning: " + re.escape(where) + "opens a file relative "
                      "to __file__", without, re.M),
            f"the --no-file-view build does not warn about {where}:\n{wt.tail(without)}")


class Case(bt.BlobCase):
    """A blob case that can also run the --no-file-view binary."""

    def observe_with(self, exe, code):
        p = self.run([exe, "-c", bt.PRELUDE + code + bt.EPILOGUE], env=self.run_env,
                     timeout=120)
        lines = [l for l in p.out.splitlines() if l.startswith("@@OBSERVED@@")]
        self.require(p.returncode == 0 and lines,
                     f"the probe exited {p.returncode}:\n{wt.tail(p.out)}\n{wt.tail(p.err)}")
        return json.loads(lines[-1][len("@@OBSERVED@@"):])


CASES = {
    "pytz": case_pytz,
    "certifi": case_certifi,
    "c_fopen": case_c_fopen,
    "python_apis": case_python_apis,
    "no_file_view": case_no_file_view,
    "preflight": case_preflight,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pyweld", required=True, help="the pyweld executable")
    ap.add_argument("--app", required=True, help="the fixture's directory (fileview_weld.py)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    ap.add_argument("cases", nargs="*", help="cases to run (default: all)")
    args = ap.parse_args()
    unknown = [n for n in args.cases if n not in CASES]
    if unknown:
        ap.error(f"unknown case(s): {', '.join(unknown)}")
    args.pyweld = os.path.abspath(args.pyweld)
    args.cache, args.dist = wt.distribution_cache(args.pyweld)
    if not args.cache:
        print(f"SKIP: no pyweld distribution ({args.dist}); run 'pyweld python build' first")
        return bt.SKIP
    try:
        weld = bt.Weld(os.path.abspath(args.app))
    except bt.Failure as e:
        print(f"FAIL: {e}")
        return 1
    return wt.run_cases(args.cases or list(CASES),
                        lambda name: Case(name, args, "fileview", weld),
                        lambda name, c: CASES[name](c), args.keep)


if __name__ == "__main__":
    sys.exit(main())

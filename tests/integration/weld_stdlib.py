#!/usr/bin/env python3
"""The distribution alone, welded: built-in extension modules and CPython's own tests.

Builds ONE binary with `pyweld build --stdlib-tests` (no packages, no entry
point) and asserts:

1. Every standard-library extension module of the distribution
   (`pyweld python info --json`: "modules" and "builtins"), except the ones
   `pyweld build` leaves out by default (LEFT_OUT: default_out in
   inittab-gen/leftout.c), imports in the binary from the built-ins: its spec's
   origin is 'built-in', its loader BuiltinImporter, its name in
   sys.builtin_module_names, no __file__.  The ones left out are not built in.

2. CPython's regression tests (TESTS) pass in the binary as they pass in the
   distribution's stock dynamic interpreter (`prefix/bin/python3.X -I`; 3.11
   unless --python names another version's distribution), both
   run in this same test run, one regrtest process per test module and way,
   --jobs at a time, without -u (no network, no resource-heavy parts).  Each
   test module runs three ways:

   stock  the stock interpreter with the distribution's test package;
   weld   the binary with the test package welded into it (--stdlib-tests):
          the tests are modules inside the binary like everything else;
   disk   the binary with the distribution's test package on disk, first on
          sys.path (a directory holding a `test` symlink; ctypes.test
          likewise): the interpreter, the standard library and every extension
          module under test are still the binary's, only the test scripts and
          their data files come from disk.

   `disk` separates what the binary does from where the tests' own files are:
   many of CPython's tests open files by the path in a module's __file__
   (their own source, scripts they run, certificates, test vectors), and
   inside the binary that path is no file.

   One driver (DRIVER, written to the work directory) runs regrtest in all
   three ways.  It (a) records every test's outcome and, for failures, the
   exception, through unittest's TestResult methods, and regrtest's result
   per module; (b) where a test package's directory is not a directory (weld),
   makes unittest's discovery enumerate the package with pkgutil instead of
   os.listdir, and regrtest's list of all tests (unused: tests are named)
   tolerate it; with real directories (stock, disk) this is inert; (c) lets a
   test module that fails to import run as one failing case (unittest's
   _FailedTest) beside the package's other modules, where regrtest would
   abort the whole package (stock loads everything, so nothing changes
   there): a test that cannot load must not hide the others.

   The test fails when the binary has a failing, erroring, missing or
   newly skipped test case that passes in stock, or a module that does not
   run, unless ALLOW covers it: an entry names the test cases, the ways, the
   reason (one of REASONS: a policy of the binary, a file path inside it, or a
   named limitation), what exactly happens, and a regular expression the
   recorded exception must match, so that the same test failing for another
   reason is not covered.  Test cases that are missing because their module,
   setUpModule or setUpClass failed are covered by what covers that failure.
   An entry for `weld` alone whose reason is a path inside the binary must
   pass in `disk`, which checks the reason.  The test also fails when a test
   module cannot run in stock at all: there is nothing to compare with.

The table (pass/fail/skip per module and way) is printed and written to
--report.  The logs of every run stay in the work directory, which is removed
when the test passes and kept (its path printed) when it fails.
Exit status: 0 passed, 1 failed, 77 skipped (no distribution).
"""
import argparse
import concurrent.futures
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

SKIP = 77

# Regression tests to run: the list.  Longest first, so that --jobs
# workers finish together.
TESTS = [
    "test_multiprocessing_forkserver", "test_subprocess", "test_ssl", "test_lzma",
    "test_pickle", "test_datetime", "test_bz2", "test_decimal", "test_unicodedata",
    "test_json", "test_re", "test_hashlib", "test_zlib", "test_ctypes", "test_sqlite3",
    "test_zoneinfo", "test_struct", "test_csv", "test_select", "test_pwd", "test_grp",
    "test_uuid", "test_sysconfig",
]
WAYS = ("stock", "weld", "disk")

# default_out in inittab-gen/leftout.c: left out unless --with-module (the
# _test* modules there come back with --stdlib-tests).
LEFT_OUT = {"_tkinter", "nis", "_dbm", "_gdbm", "_crypt", "ossaudiodev", "spwd"}

# The accepted reasons for a failure that the binary has and stock has not.
POLICY_ENV = "policy: PYTHON* environment variables are ignored"
MODULE_PATH = ("module by path: the test opens or runs a module's file by the path "
               "in __file__, which inside the binary is no file")
DATA_PATH = ("data by path: the test opens a data file beside a module's __file__, "
             "which inside the binary is no file")
POLICY_PREFIX = ("policy: sys.prefix names the binary itself (docs/weld.md), so the "
                 "build files sysconfig looks for under it (Makefile, pyconfig.h, the "
                 "config directory) do not exist")
POLICY_VENV = ("policy: the binary is its own prefix and runs no site (docs/weld.md), so "
               "a venv made from it is no venv: its pyvenv.cfg is not read, with or "
               "without -S")
LIMIT_SUBINTERP = ("limitation: a sub-interpreter cannot start in a welded binary: the "
                   "in-memory importer is installed in the main interpreter only, and "
                   "the new one's import of encodings finds nothing")
REASONS = (POLICY_ENV, POLICY_PREFIX, POLICY_VENV, MODULE_PATH, DATA_PATH, LIMIT_SUBINTERP)
INSIDE = (MODULE_PATH, DATA_PATH)

# What the binary is allowed to fail, each analysed from the logs.  test: the
# module; cases: fnmatch patterns over test ids (unittest's id();
# "setUpModule (test.x)" for a module fixture; "<module>" for a module that
# raises outside its cases); ways; reason; match: a regular expression that
# the recorded exception ("Type: message") must contain; hang: the case hangs,
# so it is not run at all in those ways (regrtest --ignore) and is then
# missing; why: what exactly happens.
ALLOW = [
    dict(test="test_ctypes", ways=("weld", "disk"), reason=MODULE_PATH,
         cases=["unittest.loader._FailedTest.ctypes.test.*", "ctypes.test.*",
                "unittest.loader._FailedTest.test.test_ctypes.*", "test.test_ctypes.*"],
         match=r"module '_ctypes_test' has no attribute '__file__'",
         why="CDLL(_ctypes_test.__file__) loads the test extension's shared object by "
             "its path; _ctypes_test is built into the binary and has no file (11 test "
             "modules cannot import, 25 cases of others fail; ctypes.test in 3.11, "
             "test.test_ctypes from 3.12 on)"),
    dict(test="test_select", ways=("weld",), reason=MODULE_PATH,
         cases=["test.test_select.SelectTestCase.test_errno"],
         match=r"Error: \[Errno \d+\] [^:]*: '[^']*/test/test_select\.pyc?'",
         why="open(__file__, 'rb') reads its own source as a file"),
    dict(test="test_bz2", ways=("weld",), reason=MODULE_PATH,
         cases=["test.test_bz2.BZ2DecompressorTest.testDecompressorChunksMaxsize"],
         match=r"^AssertionError: True is not false",
         why="BIG_TEXT is read from glob(dirname(__file__) + '/*.py'), which finds no "
             "file: 128 KiB of zeros compress so well that max_length never stops "
             "the decompressor early"),
    dict(test="test_multiprocessing_forkserver", ways=("weld", "disk"), reason=MODULE_PATH,
         cases=["test.test_multiprocessing_forkserver._TestImportStar.test_import"],
         match=r"^ValueError: list.remove\(x\): x not in list",
         why="lists multiprocessing's modules with glob(dirname(multiprocessing.__file__) "
             "+ '/*.py'); multiprocessing is inside the binary, the glob finds nothing "
             "and modules.remove('multiprocessing.__init__') fails"),
    dict(test="test_multiprocessing_forkserver", ways=("weld",), reason=MODULE_PATH,
         cases=["test.test_multiprocessing_forkserver.TestNoForkBomb.test_noforkbomb"],
         match=r"can't (open file|find '__main__' module in) '[^']*/test/mp_fork_bomb\.py'",
         why="runs [sys.executable, support.findfile('mp_fork_bomb.py')]: a script by "
             "its path inside the binary"),
    dict(test="test_multiprocessing_forkserver", ways=("weld",), reason=MODULE_PATH,
         cases=["test.test_multiprocessing_forkserver.TestStartMethod.test_preload_resources"],
         match=r"can't (open file|find '__main__' module in) '[^']*/test/mp_preload\.py'",
         why="runs [sys.executable, support.findfile('mp_preload.py')]: a script by its "
             "path inside the binary"),
    dict(test="test_subprocess", ways=("weld",), reason=MODULE_PATH, hang=True,
         cases=["test.test_subprocess.POSIXProcessTestCase.test_pass_fds_redirected"],
         why="runs [sys.executable, findfile('fd_status.py', subdir='subprocessdata')] "
             "with stdout on a pipe whose write end the test keeps open, then reads "
             "it: the script is inside the binary, the child exits at once and the "
             "read waits for ever (so it is not run)"),
    dict(test="test_subprocess", ways=("weld",), reason=MODULE_PATH,
         cases=["test.test_subprocess.POSIXProcessTestCase.test_close_fds",
                "test.test_subprocess.POSIXProcessTestCase.test_close_fds_after_preexec",
                "test.test_subprocess.POSIXProcessTestCase.test_pass_fds",
                "test.test_subprocess.POSIXProcessTestCase.test_pass_fds_inheritable",
                "test.test_subprocess.POSIXProcessTestCase.test_pipe_cloexec"],
         match=r"^ValueError: invalid literal for int\(\) with base 10: b''$",
         why="runs [sys.executable, findfile('fd_status.py', subdir='subprocessdata')] "
             "and parses the descriptors it prints; the script is inside the binary, "
             "the child cannot open it and prints nothing"),
    dict(test="test_subprocess", ways=("weld",), reason=MODULE_PATH,
         cases=["test.test_subprocess.POSIXProcessTestCase."
                "test_close_fds_when_max_fd_is_lowered"],
         match=r"^AssertionError: 1 != 2 : expected exactly two lines of output",
         why="its child runs subprocessdata/fd_status.py by path, which is inside the "
             "binary: the second line of output never comes"),
    dict(test="test_subprocess", ways=("weld",), reason=MODULE_PATH,
         cases=["test.test_subprocess.POSIXProcessTestCase.test_pipe_cloexec_real_tools"],
         match=r"^(AssertionError: b'' != b'zxcvbnzxcvbn|BrokenPipeError: \[Errno 32\] "
               r"Broken pipe)",
         why="pipes data through [sys.executable, subprocessdata/qcat.py] and qgrep.py "
             "run by path; the scripts are inside the binary and output nothing (or, "
             "on a busy machine, qcat has already exited when the test writes to it)"),
    dict(test="test_subprocess", ways=("weld",), reason=MODULE_PATH,
         cases=["test.test_subprocess.POSIXProcessTestCase.test_wait_when_sigchild_ignored"],
         match=r"can't open file '[^']*subprocessdata/sigchild_ignore\.py'",
         why="runs [sys.executable, findfile('sigchild_ignore.py', "
             "subdir='subprocessdata')]: a script by its path inside the binary"),
    dict(test="test_ssl", ways=("weld",), reason=DATA_PATH,
         cases=["setUpModule (test.test_ssl)"],
         match=r"Can't read certificate file '[^']*/test/keycert\.pem'",
         why="setUpModule opens the certificates beside __file__ (keycert.pem, ...) with "
             "OpenSSL; none of the module's cases runs"),
    dict(test="test_decimal", ways=("weld",), reason=DATA_PATH,
         cases=["<module>"],
         match=r"Error: \[Errno \d+\] [^:]*: '[^']*/test/decimaltestdata/?'",
         why="test_main lists os.listdir(dirname(__file__) + '/decimaltestdata'); the "
             "module stops before any case runs"),
    dict(test="test_sysconfig", ways=("weld", "disk"), reason=POLICY_PREFIX,
         cases=["test.test_sysconfig.MakefileTests.test_get_makefile_filename",
                "test.test_sysconfig.TestSysConfig.test_get_config_h_filename",
                "test.test_sysconfig.TestSysConfig.test_srcdir"],
         match=r"^AssertionError: False is not true : /\S*/python-weld/("
               r"lib/python3\.\d+/config-3\.\d+-[^/\s]+(/Makefile)?|"
               r"include/python3\.\d+/pyconfig\.h)$",
         why="get_makefile_filename(), get_config_h_filename() and the srcdir config "
             "variable are paths under sys.prefix, which is the binary: "
             "<binary>/lib/python3.X/config-3.X-*/Makefile, <binary>/include/"
             "python3.X/pyconfig.h; the tests assert that they are a file or a "
             "directory.  A welded binary carries no build files (no extension is "
             "built against it)"),
    dict(test="test_sysconfig", ways=("weld", "disk"), reason=POLICY_VENV,
         cases=["test.test_sysconfig.TestSysConfig.test_config_vars_depend_on_site_"
                "initialization",
                "test.test_sysconfig.TestSysConfig.test_paths_depend_on_site_initialization"],
         match=r"^AssertionError: \{'(prefix|stdlib)': .*-venv-[^/']+/bin/python-weld['/]",
         why="(3.13) makes a venv whose python is a copy of sys.executable, runs it with "
             "and without -S and asserts that sysconfig's paths and variables differ "
             "(assertNotEqual; the recorded message is cut before its ' == '): the copy "
             "of the binary is its own prefix either way, so they are equal"),
    dict(test="test_datetime", ways=("weld", "disk"), reason=LIMIT_SUBINTERP,
         cases=["test.datetimetester.CapiTest_Fast.test_type_check_in_subinterp",
                "test.datetimetester.CapiTest_Fast.test_type_check_in_subinterp *"],
         match=r"^InterpreterError: sub-interpreter creation failed",
         why="(3.13) runs _datetime's C API checks in an isolated and a legacy "
             "sub-interpreter (test.support.run_in_subinterp_with_config): creating "
             "either fails with 'No module named encodings'"),
    dict(test="test_zoneinfo", ways=("weld",), reason=DATA_PATH,
         cases=["setUpModule (test.test_zoneinfo.test_zoneinfo)"],
         match=r"Error: \[Errno \d+\] [^:]*: '[^']*/test_zoneinfo/data/zoneinfo_data\.json'",
         why="setUpModule opens data/zoneinfo_data.json beside __file__; none of the "
             "module's cases runs"),
]


class Failure(Exception):
    """An assertion of the test failed."""


class Skip(Exception):
    """A prerequisite is truly absent; the message says which."""


DRIVER = r'''
# regrtest driver for weld_stdlib.py: records outcomes, enumerates test
# packages with pkgutil where they are not directories (inside the binary).
import atexit, json, os, pkgutil, sys, unittest
from unittest import loader as _ul, result as _ur

_out = sys.argv.pop(1)                   # where to write the outcomes
_tests_dir = sys.argv.pop(1)             # "" or a directory holding `test`
if _tests_dir:
    # `test` and ctypes.test from the directory, whatever finder comes first
    # for the binary's own modules (ctypes itself stays the binary's); the
    # directory on sys.path too, as test.support.STDLIB_DIR
    sys.path.insert(0, _tests_dir)
    import importlib.machinery
    class _DiskTests:
        @staticmethod
        def find_spec(name, path=None, target=None):
            PF = importlib.machinery.PathFinder
            if name == "test":
                return PF.find_spec(name, [_tests_dir])
            if name == "ctypes.test":
                return PF.find_spec(name, [os.path.join(_tests_dir, "ctypes")])
            if name.startswith(("test.", "ctypes.test.")):
                return PF.find_spec(name, path)
            return None
    sys.meta_path.insert(0, _DiskTests)

_cases = []
_modules = []

def _why(err):
    # "Type: message" of an error or failure, for the allow-list to match
    if not isinstance(err, tuple):
        return str(err)[:4000]
    return f"{err[0].__name__}: {err[1]}"[:4000]

def _rec(kind):
    def hook(orig):
        def method(self, test, *a):
            _cases.append([test.id(), kind, _why(a[0]) if a else ""])
            return orig(self, test, *a)
        return method
    return hook

for _name, _kind in (("addSuccess", "pass"), ("addError", "error"),
                     ("addFailure", "fail"), ("addSkip", "skip"),
                     ("addExpectedFailure", "xfail"),
                     ("addUnexpectedSuccess", "xpass")):
    setattr(_ur.TestResult, _name, _rec(_kind)(getattr(_ur.TestResult, _name)))

_orig_sub = _ur.TestResult.addSubTest
def _add_sub(self, test, subtest, err):
    if err is not None:
        _cases.append([subtest.id(), "fail" if issubclass(err[0], test.failureException)
                       else "error", _why(err)])
    return _orig_sub(self, test, subtest, err)
_ur.TestResult.addSubTest = _add_sub

@atexit.register
def _dump():
    with open(_out + ".tmp", "w") as f:
        json.dump({"cases": _cases, "modules": _modules}, f)
    os.replace(_out + ".tmp", _out)

def _find_test_path(self, name, ispkg, pattern):
    short = name.rpartition(".")[2]
    if not ispkg:
        fname = short + ".py"
        if (not _ul.VALID_MODULE_NAME.match(fname)
                or not self._match_path(fname, fname, pattern)):
            return None, False
    try:
        module = self._get_module_from_name(name)
    except unittest.SkipTest as e:
        return _ul._make_skipped_test(name, e, self.suiteClass), False
    except Exception:
        case, message = _ul._make_failed_import_test(name, self.suiteClass)
        self.errors.append(message)
        return case, False
    if not ispkg:
        return self.loadTestsFromModule(module, pattern=pattern), False
    load_tests = getattr(module, "load_tests", None)
    self._loading_packages.add(name)
    try:
        return self.loadTestsFromModule(module, pattern=pattern), load_tests is None
    finally:
        self._loading_packages.discard(name)

def _find_tests(self, name, pattern, start):
    # unittest.TestLoader._find_tests over pkgutil.iter_modules, same order
    if start and name not in self._loading_packages:
        tests, recurse = _find_test_path(self, name, True, pattern)
        if tests is not None:
            yield tests
        if not recurse:
            return
    for info in sorted(pkgutil.iter_modules(sys.modules[name].__path__, name + "."),
                       key=lambda i: i.name):
        tests, recurse = _find_test_path(self, info.name, info.ispkg, pattern)
        if tests is not None:
            yield tests
        if recurse:
            self._loading_packages.add(info.name)
            try:
                yield from _find_tests(self, info.name, pattern, False)
            finally:
                self._loading_packages.discard(info.name)

_discover = unittest.TestLoader.discover
def _package_discover(self, start_dir, pattern="test*.py", top_level_dir=None):
    # a start directory that is no directory: the imported package whose
    # __path__ names it (test.support.load_package_tests passes
    # os.path.dirname(__file__))
    start = os.path.abspath(start_dir)
    if not os.path.isdir(start):
        for name, mod in list(sys.modules.items()):
            if start in [os.path.abspath(p) for p in getattr(mod, "__path__", None) or ()]:
                self._top_level_dir = top_level_dir
                return self.suiteClass(list(_find_tests(self, name, pattern, True)))
    return _discover(self, start_dir, pattern, top_level_dir)
unittest.TestLoader.discover = _package_discover

def _keep_why(load):
    # regrtest's module loader, recording why a module raised outside its
    # test cases (regrtest's own outcomes pass through unrecorded)
    def _load_rec(*args):
        from test import support
        try:
            return load(*args)
        except (support.TestFailed, support.TestDidNotRun, support.ResourceDenied,
                unittest.SkipTest, KeyboardInterrupt):
            raise
        except BaseException as e:
            _cases.append(["<module>", "error", _why((type(e), e))])
            raise
    return _load_rec

import test.libregrtest
if "test.libregrtest.runtest" in sys.modules:
    # 3.11's regrtest: main.runtest, runtest._runtest_inner2 and _test_module
    _main = sys.modules["test.libregrtest.main"]
    _findtests = _main.findtests
    def _listing(testdir=None, *a, **k):
        # the list of all tests, used only when none is named
        try:
            return _findtests(testdir, *a, **k)
        except OSError:
            return []
    _main.findtests = _listing
    _runtest = _main.runtest
    def _runtest_rec(ns, test_name):
        result = _runtest(ns, test_name)
        _modules.append([test_name, type(result).__name__, str(result)])
        return result
    _main.runtest = _runtest_rec
    _rt = sys.modules["test.libregrtest.runtest"]
    _rt._runtest_inner2 = _keep_why(_rt._runtest_inner2)

    def _test_module(the_module):
        # regrtest's, except that tests which fail to load run as failing cases
        # (unittest's _FailedTest) beside the others instead of aborting the module
        loader = unittest.TestLoader()
        tests = loader.loadTestsFromModule(the_module)
        for error in loader.errors:
            print(error, file=sys.stderr)
        from test import support
        support.run_unittest(tests)
    _rt._test_module = _test_module
    test.libregrtest.main()
else:
    # 3.12 and later: main.Regrtest runs single.run_single_test, whose
    # _load_run_test imports the module and run_unittest runs it; module
    # results are single.TestResult, recorded under 3.11's names
    import test.libregrtest.main as _main
    import test.libregrtest.single as _single
    _findtests = _main.findtests
    def _listing(*a, **k):
        try:
            return _findtests(*a, **k)
        except OSError:
            return []
    _main.findtests = _listing
    _STATES = {"PASSED": "Passed", "FAILED": "Failed", "SKIPPED": "Skipped",
               "RESOURCE_DENIED": "ResourceDenied", "ENV_CHANGED": "EnvChanged",
               "UNCAUGHT_EXC": "UncaughtException", "WORKER_FAILED": "ChildError",
               "DID_NOT_RUN": "DidNotRun", "TIMEOUT": "Timeout",
               "INTERRUPTED": "Interrupted"}
    _run_single = _main.run_single_test
    def _run_single_rec(test_name, runtests):
        result = _run_single(test_name, runtests)
        _modules.append([test_name, _STATES.get(result.state, str(result.state)),
                         str(result)])
        return result
    _main.run_single_test = _run_single_rec
    _single._load_run_test = _keep_why(_single._load_run_test)
    def _run_unittest(test_mod):
        # regrtest's, except that tests which fail to load run as failing
        # cases beside the others instead of aborting the module
        loader = unittest.TestLoader()
        tests = loader.loadTestsFromModule(test_mod)
        for error in loader.errors:
            print(error, file=sys.stderr)
        _single._filter_suite(tests, _single.match_test)
        return _single._run_suite(tests)
    _single.run_unittest = _run_unittest
    _main.main()
'''


def scrubbed_env(tmp):
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C.UTF-8", "TZ": "UTC",
            "HOME": tmp, "TMPDIR": tmp}


def run(argv, env, timeout=600, **kw):
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=timeout, **kw)
    p.out = p.stdout.decode("utf-8", "replace")
    p.err = p.stderr.decode("utf-8", "replace")
    return p


class Context:
    def __init__(self, args):
        self.args = args
        self.pyweld = os.path.abspath(args.pyweld)
        # The CPython version welded and compared with (--python X.Y).
        self.version = args.python or "3.11"
        self.version_args = ["--python", args.python] if args.python else []
        base = os.environ.get("TMPDIR") or "/tmp"
        self.dir = os.path.realpath(tempfile.mkdtemp(prefix="pyweld-weld_stdlib-", dir=base))
        self.env = scrubbed_env(self.dir)
        # pyweld finds the fixture's distribution in its cache through these
        self.pyweld_env = dict(self.env)
        for k in ("PYWELD_CACHE", "XDG_CACHE_HOME", "HOME"):
            if os.environ.get(k):
                self.pyweld_env[k] = os.environ[k]
        self.failures = []

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def fail(self, msg):
        print(f"FAIL: {msg}", flush=True)
        self.failures.append(msg)


def distribution(ctx):
    p = run([ctx.pyweld, "python", "path", *ctx.version_args], ctx.pyweld_env)
    if p.returncode != 0:
        raise Skip(f"no CPython distribution ('pyweld python path' exited "
                   f"{p.returncode}: {p.err.strip()}); run 'pyweld python build'")
    dist = p.out.strip()
    stock = os.path.join(dist, "prefix", "bin", f"python{ctx.version}")
    if not os.access(stock, os.X_OK):
        raise Failure(f"the distribution '{dist}' has no '{stock}'")
    p = run([ctx.pyweld, "python", "info", "--json", *ctx.version_args], ctx.pyweld_env)
    if p.returncode != 0:
        raise Failure(f"'pyweld python info --json' exited {p.returncode}:\n{p.err}")
    return dist, stock, json.loads(p.out)


def build(ctx, app):
    t0 = time.monotonic()
    p = run([ctx.pyweld, "build", *ctx.version_args, "--stdlib-tests", "-o", app],
            ctx.pyweld_env, timeout=1800)
    if p.returncode != 0:
        raise Failure(f"'pyweld build --stdlib-tests' exited {p.returncode}:\n{p.err}{p.out}")
    print(f"built '{app}' in {time.monotonic() - t0:.1f} s", flush=True)


CHECK_BUILTINS = r"""
import importlib, json, sys
for name in sys.argv[1:]:
    r = {"name": name}
    try:
        m = importlib.import_module(name)
        spec = m.__spec__
        loader = getattr(spec, "loader", None)
        r["origin"] = getattr(spec, "origin", None)
        r["loader"] = getattr(loader, "__name__", type(loader).__name__)
        r["file"] = getattr(m, "__file__", None)
    except BaseException as e:
        r["error"] = f"{type(e).__name__}: {e}"
    r["builtin_name"] = name in sys.builtin_module_names
    print(json.dumps(r), flush=True)
"""


def check_builtins(ctx, app, info):
    modules = sorted(m["name"] for m in info["modules"])
    core = sorted(info.get("builtins", []))
    wanted = sorted(set(modules + core) - LEFT_OUT)
    p = run([app, "-c", CHECK_BUILTINS, *wanted], ctx.env, timeout=300)
    got = {}
    for line in p.out.splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            continue
        got[r["name"]] = r
    bad = []
    for name in wanted:
        r = got.get(name)
        if r is None:
            bad.append(f"{name}: no answer (the check exited {p.returncode}: "
                       f"{p.err.strip()[-500:]})")
        elif "error" in r:
            bad.append(f"{name}: {r['error']}")
        elif (r["origin"] != "built-in" or r["loader"] != "BuiltinImporter"
              or not r["builtin_name"] or r["file"] is not None):
            bad.append(f"{name}: origin {r['origin']!r}, loader {r['loader']}, "
                       f"in sys.builtin_module_names: {r['builtin_name']}, "
                       f"__file__ {r['file']!r}")
    for b in bad:
        ctx.fail(f"extension module not built in: {b}")
    p = run([app, "-c", "import sys, json; print(json.dumps(sys.builtin_module_names))"],
            ctx.env)
    names = set(json.loads(p.out)) if p.returncode == 0 else set()
    for name in sorted(LEFT_OUT & set(modules)):
        if name in names:
            ctx.fail(f"'{name}' is left out by default but is built into the binary")
    print(f"built-in: {len(wanted) - len(bad)} of {len(wanted)} extension modules "
          f"({len(modules)} of the distribution and {len(core)} of libpython, less "
          f"those left out by default: {', '.join(sorted(LEFT_OUT & set(modules)))})",
          flush=True)


RANK = {"pass": 0, "xfail": 0, "skip": 1, "xpass": 2, "fail": 3, "error": 3}
BAD = {"xpass", "fail", "error"}
FATAL = ("UncaughtException", "ChildError", "DidNotRun", "Timeout")
STATE_RANK = {"Passed": 0, "Skipped": 1, "ResourceDenied": 1, "EnvChanged": 2, "Failed": 3}


def run_one(ctx, way, test, app, stock, disk_dir):
    """Runs one regrtest module one way; returns a dict of its outcomes."""
    work = ctx.path("runs", f"{test}.{way}")
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, "outcome.json")
    log = os.path.join(work, "log.txt")
    ignore = []
    for a in ALLOW:
        if a["test"] == test and way in a["ways"] and a.get("hang"):
            for c in a["cases"]:
                ignore += ["--ignore", c]
    argv = ([stock, "-I"] if way == "stock" else [app]) + [
        ctx.path("driver.py"), out, disk_dir if way == "disk" else "",
        "-v", "--timeout", str(ctx.args.timeout), *ignore, test]
    env = dict(ctx.env, TMPDIR=work)
    t0 = time.monotonic()
    with open(log, "wb") as f:
        f.write(("$ " + " ".join(argv) + "\n").encode())
        f.flush()
        p = subprocess.Popen(argv, env=env, cwd=work, stdin=subprocess.DEVNULL, stdout=f,
                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            status = p.wait(timeout=ctx.args.timeout + 120)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
            status = "killed: regrtest's own timeout did not end it"
    res = {"test": test, "way": way, "status": status, "time": time.monotonic() - t0,
           "log": log, "cases": {}, "why": {}, "module": None}
    try:
        with open(out) as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = None
    if data:
        for tid, kind, why in data["cases"]:
            # an id can come twice (a failing test's subtests, then the test):
            # the worst outcome wins
            prev = res["cases"].get(tid)
            if prev is None or RANK[kind] > RANK[prev]:
                res["cases"][tid] = kind
                res["why"][tid] = why
        if data["modules"]:
            # a test package that regrtest splits (3.12 on: one result per
            # submodule) counts as its worst submodule
            res["module"] = max((m[1:] for m in data["modules"]),
                                key=lambda m: STATE_RANK.get(m[0], len(STATE_RANK)))
    print(f"  {test:32} {way:5} {res['time']:7.1f} s  "
          f"{res['module'][1] if res['module'] else f'no result (status {status})'}",
          flush=True)
    return res


def counts(res):
    c = {"pass": 0, "fail": 0, "skip": 0}
    for kind in res["cases"].values():
        c["pass" if kind in ("pass", "xfail") else "skip" if kind == "skip" else "fail"] += 1
    return c


def allowed(test, tid, way, why):
    """The ALLOW entry that covers a difference (why None: a missing case)."""
    for a in ALLOW:
        if a["test"] != test or way not in a["ways"]:
            continue
        if not any(fnmatch.fnmatchcase(tid, pat) for pat in a["cases"]):
            continue
        if why is None:
            if a.get("hang"):
                return a
            continue
        if a.get("match") and re.search(a["match"], why, re.M):
            return a
    return None


def owners(tid):
    """What running tid depends on: its module's import, setUpModule, setUpClass."""
    parts = tid.split(" ")[0].split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        yield f"unittest.loader._FailedTest.{prefix}"
        yield f"setUpModule ({prefix})"
        yield f"setUpClass ({prefix})"


def compare(ctx, test, results):
    """Differences of weld and disk from stock; returns notes and the entries used."""
    stock = results["stock"]
    notes = []
    used = set()
    if stock["module"] is None or stock["module"][0] in FATAL or not stock["cases"]:
        ctx.fail(f"{test}: cannot run in the stock interpreter "
                 f"({stock['module'][1] if stock['module'] else 'no result'}): nothing to "
                 f"compare with; {stock['why'].get('<module>', 'see the log')} "
                 f"(log: {stock['log']})")
        notes.append(f"stock: cannot run it: {stock['why'].get('<module>', '')}")
    for way in ("weld", "disk"):
        res = results[way]
        covered = {}                            # failing owner id -> its ALLOW entry
        for tid, kind in res["cases"].items():
            if kind in BAD and stock["cases"].get(tid) not in BAD:
                a = allowed(test, tid, way, res["why"].get(tid, ""))
                if a:
                    covered[tid] = a
        diffs = []                              # (test id, what, why or None)
        state = res["module"][0] if res["module"] else "no result"
        stock_state = stock["module"][0] if stock["module"] else "no result"
        if state in FATAL + ("Skipped", "ResourceDenied", "EnvChanged", "no result") and \
                state != stock_state and "<module>" not in res["cases"]:
            diffs.append(("<module>", res["module"][1] if res["module"] else
                          f"no result (exit status {res['status']})", ""))
        for tid, kind in sorted(stock["cases"].items()):
            if kind in BAD or tid == "<module>":
                continue
            got = res["cases"].get(tid)
            if got is None:
                if not any(k in BAD for t, k in res["cases"].items()
                           if t.startswith((tid + " (", tid + " ["))):  # its failing subtests
                    diffs.append((tid, f"missing (stock: {kind})", None))
            elif got in BAD:
                diffs.append((tid, got, res["why"].get(tid, "")))
            elif got == "skip" and kind != "skip":
                diffs.append((tid, f"skipped (stock: {kind})", res["why"].get(tid, "")))
        for tid, kind in sorted(res["cases"].items()):
            if kind in BAD and tid not in stock["cases"]:
                diffs.append((tid, kind, res["why"].get(tid, "")))
        module_owner = next((t for t in covered if t == "<module>" or
                             t.startswith("setUpModule (")), None)
        bad = []
        for tid, what, why in diffs:
            a = covered.get(tid) or allowed(test, tid, way, why)
            if a is None and why is None:
                owner = next((o for o in owners(tid) if o in covered), None)
                if owner is None and "<module>" in covered:
                    owner = "<module>"          # the module stopped before its cases
                if owner:
                    used.add(id(covered[owner]))
                    continue
            if a is None and tid == "<module>" and not why and module_owner:
                continue                        # e.g. "ran no tests" after setUpModule
            if a is None:
                first = why.splitlines()[-1][:300] if why else ""
                bad.append(f"{tid}: {what}" + (f": {first}" if first else ""))
                continue
            used.add(id(a))
            notes.append(f"{way}: {tid}: {what}: {a['reason'].split(':')[0]}")
        if bad:
            shown = bad[:12] + ([f"... and {len(bad) - 12} more"] if len(bad) > 12 else [])
            ctx.fail(f"{test} [{way}]: {len(bad)} difference(s) from stock not allowed "
                     f"(log: {res['log']}):\n    " + "\n    ".join(shown))
    # An entry for weld alone whose reason is a path inside the binary must
    # hold: in disk, where the files exist, the same cases pass.
    for a in ALLOW:
        if a["test"] != test or a["reason"] not in INSIDE or "disk" in a["ways"] \
                or id(a) not in used:
            continue
        res = results["disk"]
        for tid, kind in res["cases"].items():
            if kind in BAD and any(fnmatch.fnmatchcase(tid, p) for p in a["cases"]):
                ctx.fail(f"{test}: {tid} is allowed in weld as '{a['reason']}' but fails "
                         f"in disk too ({kind}): that reason does not hold")
        if res["module"] and res["module"][0] in FATAL:
            ctx.fail(f"{test}: allowed in weld as '{a['reason']}' but disk does not run "
                     f"({res['module'][1]}): that reason does not hold")
        if a.get("hang") and not all(res["cases"].get(c) == "pass" for c in a["cases"]):
            ctx.fail(f"{test}: {a['cases']} is not run in weld (it hangs there, '"
                     f"{a['reason']}') but does not pass in disk either")
    return notes, used


def table(tests, all_results):
    head = ["test"] + [f"{w} pass/fail/skip" for w in WAYS] + \
        ["seconds " + "/".join(WAYS)]
    rows = [head]
    total = {w: {"pass": 0, "fail": 0, "skip": 0} for w in WAYS}
    for test in tests:
        r = all_results[test]
        row = [test]
        for way in WAYS:
            res = r[way]
            c = counts(res)
            for k, v in c.items():
                total[way][k] += v
            cell = f"{c['pass']}/{c['fail']}/{c['skip']}"
            st = res["module"][0] if res["module"] else "no result"
            if st not in ("Passed", "Failed"):
                cell += f" ({st})"
            row.append(cell)
        row.append("/".join(f"{r[w]['time']:.0f}" for w in WAYS))
        rows.append(row)
    rows.append(["total"] + [f"{total[w]['pass']}/{total[w]['fail']}/{total[w]['skip']}"
                             for w in WAYS] + [""])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, lines[1])
    return "\n".join(lines)


def judge(ctx, tests, all_results, rerun):
    """compare() for every test; a test that differs from stock runs once
    more in weld and disk (rerun(test, way) gives the new results), alone:
    CPython's own runner reruns a failed module too, since some of its tests
    race on a loaded machine (e.g. test_rapid_restart's port).  What differs
    twice is a failure.  Returns the notes, the ALLOW entries used and what
    passed only when run again."""
    notes, used, flaky = [], set(), []
    for test in tests:
        before = len(ctx.failures)
        n, u = compare(ctx, test, all_results[test])
        if len(ctx.failures) > before:
            first = ctx.failures[before:]
            del ctx.failures[before:]
            for way in ("weld", "disk"):
                print(f"  {test}: again in {way}, alone, after: {first[0].splitlines()[0]}",
                      flush=True)
                all_results[test][way] = rerun(test, way)
            n, u = compare(ctx, test, all_results[test])
            if len(ctx.failures) == before:
                flaky += [f"{test}: differed in the first run, not when run again: "
                          f"{x}" for x in first]
            else:
                ctx.failures[before:before] = [f"(first run) {x}" for x in first]
        notes += [f"{test}: {x}" for x in n]
        used |= u
    return notes, used, flaky


def body(ctx):
    dist, stock, info = distribution(ctx)
    print(f"distribution: {dist}", flush=True)
    app = ctx.path("python-weld")
    build(ctx, app)
    check_builtins(ctx, app, info)

    with open(ctx.path("driver.py"), "w") as f:
        # multiprocessing's spawn and forkserver children import __main__
        # again (as __mp_main__): all of it under the guard
        f.write("if __name__ == '__main__':\n" + textwrap.indent(DRIVER, "    "))
    disk_dir = ctx.path("disk-tests")
    os.makedirs(disk_dir)
    stdlib = os.path.join(dist, "prefix", "lib", f"python{ctx.version}")
    os.symlink(os.path.join(stdlib, "test"), os.path.join(disk_dir, "test"))
    os.symlink(os.path.join(stdlib, "ctypes"), os.path.join(disk_dir, "ctypes"))

    tests = ctx.args.tests or TESTS
    t0 = time.monotonic()
    all_results = {t: {} for t in tests}
    print(f"running {len(tests)} test modules 3 ways, {ctx.args.jobs} at a time "
          f"(logs in {ctx.path('runs')})", flush=True)
    with concurrent.futures.ThreadPoolExecutor(ctx.args.jobs) as ex:
        futs = {ex.submit(run_one, ctx, w, t, app, stock, disk_dir): (t, w)
                for t in tests for w in WAYS}
        for fut in concurrent.futures.as_completed(futs):
            t, w = futs[fut]
            all_results[t][w] = fut.result()
    took = time.monotonic() - t0
    print(f"regression tests: {took:.0f} s", flush=True)

    notes, used, flaky = judge(ctx, tests, all_results,
                               lambda test, way: run_one(ctx, way, test, app, stock, disk_dir))
    text = table(tests, all_results)
    text += ("\n\npass: passed or an expected failure; fail: failed, error or unexpected "
             "success (each failing subtest counts); skip: skipped.\nstock: "
             f"{stock} -I; weld: the binary (pyweld build --stdlib-tests); disk: the "
             "binary with the test package read from the distribution's directory.\n"
             f"regression tests took {took:.0f} s, {ctx.args.jobs} at a time.\n")
    allowed_here = [a for a in ALLOW if a["test"] in tests]
    if allowed_here:
        text += "\nallowed (each analysed; used in this run: *):\n"
        for a in allowed_here:
            text += (f"  {'*' if id(a) in used else ' '} {a['test']} "
                     f"[{', '.join(a['ways'])}] {', '.join(a['cases'])}\n"
                     f"      {a['reason']}\n      {a['why']}\n")
    if notes:
        text += "\nallowed differences in this run:\n" + \
            "".join(f"  {x}\n" for x in notes[:200])
        if len(notes) > 200:
            text += f"  ... and {len(notes) - 200} more\n"
    if flaky:
        text += "\npassed only when run again (a race, not a difference):\n" + \
            "".join(f"  {x}\n" for x in flaky)
    if ctx.failures:
        text += "\nnot allowed:\n" + "".join(f"  {x}\n" for x in ctx.failures)
    print("\n" + text, flush=True)
    if ctx.args.report:
        tmp = ctx.args.report + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, ctx.args.report)


def main():
    ap = argparse.ArgumentParser(prog="weld_stdlib")
    ap.add_argument("--pyweld", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=600,
                    help="regrtest's timeout for one test module, seconds")
    ap.add_argument("--report", help="write the table here too")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--python", help="weld this CPython version (X.Y; default 3.11)")
    ap.add_argument("tests", nargs="*", help=f"test modules (default: {' '.join(TESTS)})")
    ctx = Context(ap.parse_args())
    for a in ALLOW:
        assert a["reason"] in REASONS and a["why"] and (a.get("match") or a.get("hang")), a
    t0 = time.monotonic()
    try:
        body(ctx)
        if ctx.failures:
            raise Failure(f"{len(ctx.failures)} problem(s), listed above with FAIL:")
    except Skip as e:
        print(f"weld_stdlib: skipped: {e}")
        shutil.rmtree(ctx.dir, ignore_errors=True)
        sys.exit(SKIP)
    except BaseException as e:
        if isinstance(e, Failure):
            print(f"weld_stdlib: FAILED: {e}", file=sys.stderr)
        else:
            import traceback
            traceback.print_exc()
        print(f"weld_stdlib: the work directory is kept: {ctx.dir}", file=sys.stderr)
        sys.exit(1)
    print(f"weld_stdlib: passed in {time.monotonic() - t0:.0f} s")
    if ctx.args.keep:
        print(f"weld_stdlib: the work directory is kept: {ctx.dir}")
    else:
        shutil.rmtree(ctx.dir, ignore_errors=True)


if __name__ == "__main__":
    main()

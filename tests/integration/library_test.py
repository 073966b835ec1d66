#!/usr/bin/env python3
"""The runtime as a C library: an existing C program links a welded Python (pyweld.h).

    library_test.py --pyweld PYWELD weld --lib DIR
    library_test.py --pyweld PYWELD example --lib DIR
    library_test.py --pyweld PYWELD header --lib DIR
    library_test.py --pyweld PYWELD api --lib DIR [CASE...]
    library_test.py --list

weld      (the ctest fixture library_weld) writes requirements.txt with
          markupsafe 2.1.5 pinned by its SHA-256 and runs `pyweld build
          --library -o DIR/libapp.a -r requirements.txt`; checks that
          pyweld.h is written beside the archive and that `pyweld
          link-flags` prints a link line; then compiles
          tests/integration/library_api.c the way docs/library.md shows on the
          shell (`cc $(pyweld link-flags --cflags libapp.a) -c`, `cc ...
          $(pyweld link-flags libapp.a)`), with Python.h from the
          distribution (`pyweld python path`/prefix/include/python3.11), into
          DIR/library_api.  DIR is emptied first.
example   configures the CMake project tests/integration/library/ (the one
          docs/library.md shows, pyweld found on PATH as a user's would be)
          in a temporary build directory with -Wall -Wextra -Werror, builds
          it, and runs prog: markupsafe.escape on strings from C, the results
          checked in C against known answers and printed; the test checks the
          output line by line, the exit status, that the welded C speedups
          are what runs, that prog needs nothing but the C library's shared
          objects, and that PYTHONPATH/PYTHONHOME in the environment change
          nothing (isolated by default).
header    the public header: pyweld.h beside the archive is runtime/pyweld.h;
          it compiles alone and twice over (guarded, self-contained) as C11
          with -Wall -Wextra -pedantic -Werror and as C++; every function has
          a comment above its prototype and is defined in the archive (nm);
          every function and status is in docs/library.md; every function is
          called by library_api.c (pyweld_main by library_main_c.py's app
          too).
api       runs DIR/library_api, one case per process (CASES below lists
          them, with what the driver checks from outside: the exit status,
          the summary line "library_api NAME: N checks, 0 failed" on stderr,
          no "FAIL:" line, and stdout).

Every case runs in its own temporary directory with a scrubbed environment
(weld_testlib.Case); it is removed when the case passes and kept, its path
printed, when it fails.  Exit status: 0 passed, 1 failed, 77 skipped (no
distribution, or no C compiler/cmake), 2 usage.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HEADER = os.path.join(REPO, "runtime", "pyweld.h")
DOC = os.path.join(REPO, "docs", "library.md")
API_SRC = os.path.join(HERE, "library_api.c")
EXAMPLE = os.path.join(HERE, "library")
MAIN_C_TEST = os.path.join(HERE, "library_main_c.py")

REQUIREMENTS = """\
# markupsafe pinned by the hash of its sdist (pip's hash-checking mode)
markupsafe==2.1.5 \\
    --hash=sha256:d283d37a890ba4c1ae73ffadf8046435c76e7bc2247bbb63c00bd1a709c6544b
"""

# --- helpers ---------------------------------------------------------------------


def load_lib(args):
    """The fixture's library.json (written by `weld`)."""
    path = os.path.join(args.lib, "library.json")
    if not os.path.isfile(path):
        raise wt.Failure(f"no library at '{args.lib}' (the fixture test library_weld "
                         "makes it)")
    with open(path) as f:
        info = json.load(f)
    for key in ("lib", "header", "api"):
        if not os.path.exists(info[key]):
            raise wt.Failure(f"the fixture's {key} '{info[key]}' is missing")
    return info


def link_flags(c, lib, *opts):
    """`pyweld link-flags [OPTS] LIB` as an argv list (the words of its line)."""
    p = c.run([c.pyweld, "link-flags", *opts, lib], timeout=60)
    c.require(p.returncode == 0 and p.out.strip(),
              f"pyweld link-flags {' '.join(opts)} '{lib}' exited {p.returncode}:\n{p.err}")
    return p.out.split()


def compiler():
    for cc in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if cc and shutil.which(cc):
            return shutil.which(cc)
    return None


def prototypes(header_text):
    """[(name, the comment right above it or None)] for each function of the
    header, in order."""
    lines = header_text.splitlines()
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"^(?:const\s+)?[a-z_]+(?:\s+[a-z_]+)*\s*\**\s*(pyweld_[a-z_]+)\(", line)
        if not m:
            continue
        j = i - 1
        comment = None
        if j >= 0 and lines[j].rstrip().endswith("*/"):
            k = j
            while k >= 0 and "/*" not in lines[k]:
                k -= 1
            comment = "\n".join(lines[k:j + 1])
        out.append((m.group(1), comment))
    return out


# --- weld: the fixture --------------------------------------------------------------


def do_weld(args):
    c = wt.Case("weld", args, "library")
    out = os.path.abspath(args.lib)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    cc = compiler()
    if not cc:
        print("SKIP: no C compiler (cc, gcc, clang) to build the program that links the "
              "library")
        return wt.SKIP
    include = os.path.join(args.dist, "prefix", "include", f"python{args.version}")
    if not os.path.isfile(os.path.join(include, "Python.h")):
        print(f"FAIL: the distribution '{args.dist}' has no {include}/Python.h")
        return 1
    req = os.path.join(out, "requirements.txt")
    wt.write(req, REQUIREMENTS)
    lib = os.path.join(out, "libapp.a")
    t0 = time.time()
    try:
        p = c.build("--library", "-o", lib, "-r", req, timeout=1200)
        c.require(p.returncode == 0, f"pyweld build --library exited {p.returncode} after "
                  f"{p.seconds:.1f} s:\n{wt.tail(p.err, 60)}")
        header = os.path.join(out, "pyweld.h")
        c.require(os.path.isfile(lib), f"no '{lib}' after the build")
        c.require(os.path.isfile(header), f"no pyweld.h beside '{lib}'")
        weld_seconds = time.time() - t0
        cflags = link_flags(c, lib, "--cflags")
        c.require(cflags == [f"-I{out}"], f"pyweld link-flags --cflags: {cflags}, wanted "
                  f"['-I{out}']")
        lflags = link_flags(c, lib)
        c.require(lib in lflags, f"pyweld link-flags does not name the archive: {lflags}")
        # the program exports the Python API only, as a welded executable
        # without shared objects does (markupsafe links none)
        c.check("-Wl,--export-dynamic-symbol=Py*" in lflags and
                "-Wl,--export-dynamic-symbol=_Py*" in lflags and
                "-Wl,--export-dynamic" not in lflags,
                f"pyweld link-flags does not export the Python API alone: {lflags}")
        api = os.path.join(out, "library_api")
        obj = os.path.join(c.dir, "library_api.o")
        p = c.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-g", *cflags,
                   f"-I{include}", "-c", API_SRC, "-o", obj], timeout=300)
        c.require(p.returncode == 0, f"compiling library_api.c failed:\n{p.out}{p.err}")
        p = c.run([cc, "-o", api, obj, *lflags], timeout=600)
        c.require(p.returncode == 0, f"linking library_api failed:\n{wt.tail(p.out + p.err)}")
        p = c.run(["nm", "-D", "--defined-only", api], timeout=60)
        names = {line.split()[-1] for line in p.out.splitlines() if line.strip()}
        c.check("PyRun_SimpleString" in names and "pyweld_start" not in names,
                f"library_api's dynamic symbols: PyRun_SimpleString "
                f"{'in' if 'PyRun_SimpleString' in names else 'missing'}, pyweld_start "
                f"{'exported' if 'pyweld_start' in names else 'not exported'}")
    except wt.Failure as e:
        print(f"FAIL: {e}\n(the work directory is kept: {c.dir})")
        return 1
    info = {"lib": lib, "header": header, "api": api, "include": include,
            "dist": args.dist, "weld_seconds": round(weld_seconds, 1)}
    with open(os.path.join(out, "library.json"), "w") as f:
        json.dump(info, f, indent=1)
    shutil.rmtree(c.dir, ignore_errors=True)
    print(f"ok   weld: '{lib}' in {weld_seconds:.1f} s, library_api linked "
          f"({time.time() - t0:.1f} s in all)")
    return 0


# --- example: the CMake project --------------------------------------------------------

# prog's own table of known answers passes ("ok N"), then each argument,
# escaped, one per line.
EXAMPLE_ARGS = ['<script>alert("x")</script>', "Tom & Jerry's caf\u00e9 <\u20ac>", "plain"]
EXAMPLE_OUT = ["ok 1", "ok 2", "ok 3", "ok 4", "ok 5",
               "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
               "Tom &amp; Jerry&#39;s caf\u00e9 &lt;\u20ac&gt;", "plain"]


def case_example(c, info):
    """the CMake project of tests/integration/library/ builds and prog escapes from C"""
    if not shutil.which("cmake", path=c.env["PATH"]):
        raise wt.Skip("cmake is not installed (the example is a CMake project)")
    if not compiler():
        raise wt.Skip("no C compiler")
    # pyweld on PATH, as a user who installed it has it
    env = dict(c.env, PATH=os.path.dirname(c.pyweld) + ":" + c.env["PATH"])
    src = c.path("src")
    shutil.copytree(EXAMPLE, src)     # the source tree stays clean
    build = c.path("build")
    gen = ["-G", "Ninja"] if shutil.which("ninja", path=env["PATH"]) else []
    p = c.run(["cmake", "-S", src, "-B", build, *gen, f"-DPYWELD_LIB={info['lib']}",
               "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
               "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror"], env=env, timeout=300)
    c.require(p.returncode == 0, f"cmake configure exited {p.returncode}:\n"
              f"{wt.tail(p.out + p.err)}")
    p = c.run(["cmake", "--build", build], env=env, timeout=900)
    c.require(p.returncode == 0, f"cmake --build exited {p.returncode}:\n"
              f"{wt.tail(p.out + p.err)}")
    prog = os.path.join(build, "prog")
    c.require(os.access(prog, os.X_OK), f"no '{prog}' after the build")

    p = c.run([prog, *EXAMPLE_ARGS], env=c.run_env, timeout=120)
    c.check(p.returncode == 0, f"prog exited {p.returncode}:\n{p.err}")
    c.check(p.out.splitlines() == EXAMPLE_OUT,
            f"prog's output:\n{p.out}\nwanted:\n" + "\n".join(EXAMPLE_OUT))
    c.check(p.err == "", f"prog wrote to stderr:\n{p.err}")

    # isolated by default: PYTHON* variables change nothing
    poison = c.path("poison")
    wt.write(os.path.join(poison, "markupsafe", "__init__.py"),
             "raise ImportError('the PYTHONPATH copy of markupsafe was imported')\n")
    env2 = dict(c.run_env, PYTHONPATH=poison, PYTHONHOME=poison, PYTHONSAFEPATH="",
                PYTHONVERBOSE="1")
    p = c.run([prog, *EXAMPLE_ARGS], env=env2, cwd=poison, timeout=120)
    c.check(p.returncode == 0 and p.out.splitlines() == EXAMPLE_OUT and p.err == "",
            f"with PYTHONPATH/PYTHONHOME/PYTHONVERBOSE set and the current directory "
            f"holding a markupsafe, prog exited {p.returncode}:\n{p.out}\n{p.err}")

    # a Python that is linked in: nothing but the C library's shared objects
    needed, text = wt.needed_libs(prog)
    extra = sorted(set(needed or []) - wt.LIBC_FAMILY)
    c.check(not extra, f"prog needs shared objects beyond the C library's: {extra}\n{text}")


# --- header: documented, self-contained, exercised -------------------------------------


def case_header(c, info):
    """pyweld.h: as in runtime/, self-contained, every function documented and exercised"""
    with open(HEADER) as f:
        text = f.read()
    with open(info["header"]) as f:
        c.check(f.read() == text, f"'{info['header']}' (beside the archive) differs from "
                "runtime/pyweld.h")
    protos = prototypes(text)
    names = [n for n, _ in protos]
    c.require(len(names) >= 14, f"found only {names} in pyweld.h")

    for name, comment in protos:
        c.check(comment is not None, f"pyweld.h: {name} has no comment above its "
                "prototype (its contract)")
    with open(DOC) as f:
        doc = f.read()
    for name in names:
        c.check(re.search(rf"\b{name}\b", doc) is not None,
                f"docs/library.md does not mention {name}")
    for st in re.findall(r"\b(PYWELD_ERR_[A-Z]+)\b", text):
        c.check(st in doc, f"docs/library.md does not mention the status {st}")

    with open(API_SRC) as f:
        api = f.read()
    with open(MAIN_C_TEST) as f:
        main_c = f.read()
    for name in names:
        c.check(re.search(rf"\b{name}\(", api) or
                (name == "pyweld_main" and "pyweld_main(" in main_c),
                f"{name} is called by neither library_api.c nor library_main_c.py")

    # every function declared is defined in the archive
    p = c.run(["nm", "-g", "--defined-only", info["lib"]], timeout=300)
    c.require(p.returncode == 0, f"nm '{info['lib']}' exited {p.returncode}:\n{p.err}")
    defined = set(re.findall(r"^[0-9a-f]+ T (pyweld_\w+)$", p.out, re.M))
    for name in names:
        c.check(name in defined, f"{name} is declared in pyweld.h but not defined in the "
                "archive")

    # self-contained and guarded: alone, twice, in C and C++
    cc = compiler()
    if not cc:
        raise wt.Skip("no C compiler")
    src = c.path("twice.c")
    wt.write(src, '#include "pyweld.h"\n#include "pyweld.h"\n'
             "int main(void) { struct pyweld_config c; pyweld_config_init(&c); "
             "return c.isolated == 1 ? 0 : 1; }\n")
    inc = os.path.dirname(info["header"])
    p = c.run([cc, "-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror", f"-I{inc}",
               "-fsyntax-only", src], timeout=120)
    c.check(p.returncode == 0, f"pyweld.h alone, twice, as C11 -pedantic -Werror:\n{p.err}")
    cxx = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if cxx:
        srcxx = c.path("twice.cc")
        shutil.copy(src, srcxx)
        p = c.run([cxx, "-std=c++11", "-Wall", "-Wextra", "-pedantic", "-Werror", f"-I{inc}",
                   "-fsyntax-only", srcxx], timeout=120)
        c.check(p.returncode == 0, f"pyweld.h alone, twice, as C++11:\n{p.err}")


# --- api: library_api.c, one case per process ---------------------------------------------


def pw_modules(c):
    """Directories of modules for the path and isolated cases."""
    a, b, pp = c.path("dir_a"), c.path("dir_b"), c.path("pythonpath")
    wt.write(os.path.join(a, "pw_inpath_a.py"),
             'def hello(x):\n    return f"hello {x} from a"\n\n'
             'if __name__ == "__main__":\n    print("__main__ of pw_inpath_a")\n')
    wt.write(os.path.join(a, "pw_exit.py"), "raise SystemExit(6)\n")
    wt.write(os.path.join(b, "pw_inpath_b", "__init__.py"), "")
    wt.write(os.path.join(b, "pw_inpath_b", "sub", "__init__.py"), "")
    wt.write(os.path.join(b, "pw_inpath_b", "sub", "mod.py"),
             'def hello(x):\n    return f"hello {x} from b.sub.mod"\n')
    wt.write(os.path.join(pp, "pw_onpath.py"), 'def where():\n    return "on PYTHONPATH"\n')
    return a, b, pp


ZEN = "Beautiful is better than ugly."

# name: (argv after the program, what the driver checks).  Keys of the checks:
#   rc       the exit status (default 0; a case that passes exits 0)
#   stdout   exactly; stdout_has: substrings; stderr_has: substrings
#   summary  False: the process may end inside the library (no summary line)
#   env      extra environment; stdout_devfull: stdout on /dev/full
API_CASES = {
    "before_start": ([], {"stdout": ""}),
    "null_args": ([], {"stdout": ""}),
    "start_twice": ([], {"stdout": ""}),
    "after_finish": ([], {"stdout": ""}),
    "register_late": ([], {"stdout": ""}),
    "register_module": ([], {"stdout": ""}),
    "python_error": ([], {"stdout": ""}),
    "system_exit": ([], {"stdout": ""}),
    "call_objects": ([], {"stdout": ""}),
    "threads": ([], {"stdout": "threads: 4 x 400 calls\n"}),
    "isolated_0": (["isolated", "0"], {"pythonpath": True, "stdout": ""}),
    "isolated_1": (["isolated", "1"], {"pythonpath": True, "stdout": ""}),
    "path": (["path", "@A", "@B"], {"stdout_has": ["__main__ of pw_inpath_a\n", ZEN]}),
    "argv_argv0": (["argv", "argv0"], {"stdout": ""}),
    "argv_asis": (["argv", "asis"], {"stdout": ""}),
    "argv_none": (["argv", "none"], {"stdout": ""}),
    "argv_none_argv0": (["argv", "none_argv0"], {"stdout": ""}),
    "signals_on": (["signals", "1"], {"stdout": ""}),
    "signals_off": (["signals", "0"], {"stdout": ""}),
    "finish": ([], {"stdout": "unflushed|atexit ran\nafter finish\n"}),
    "finish_devfull": (["finish", "devfull"], {"stdout_devfull": True}),
    # "Python X.Y.Z\n", the distribution's version (main() fills it in).
    "start_fails_version": (["start_fails", "version"], {"stdout": None}),
    "start_fails_badopt": (["start_fails", "badopt"],
                           {"stdout": "", "stderr_has": ["Unknown option: -Z"]}),
    "start_fails_badx": (["start_fails", "badx"], {"stdout": ""}),
    "run_entry": (["run_entry", "import sys; print('entry ran', sys.argv)", "ok"],
                  {"stdout": "entry ran ['-c', 'arg1']\n",
                   "stderr_has": ["pyweld_run_entry returned\n"]}),
    "run_entry_exit": (["run_entry", "raise SystemExit(9)", "exit:9"],
                       {"stdout": "", "stderr_has": ["pyweld_run_entry returned\n"]}),
    "run_entry_exit0": (["run_entry", "import sys; print('bye'); sys.exit(0)", "exit:0"],
                        {"stdout": "bye\n", "stderr_has": ["pyweld_run_entry returned\n"]}),
    "main": (["main", "-c", "print('main ran')"],
             {"stdout": "main ran\npyweld_main: 0\n", "stderr_has": ["pyweld_main returned 0\n"]}),
    # pyweld_main is a whole program and may exit: status 4 either way
    "main_exit": (["main", "-c", "print('exiting'); raise SystemExit(4)"],
                  {"rc": 4, "summary": False, "stdout_has": ["exiting\n"]}),
    # CPython's version is the distribution's (main() fills it in).
    "version": ([], {"stdout_re": None}),
}


def run_devfull(c, argv, env):
    with open("/dev/full", "w") as full:
        p = subprocess.run(argv, env=env, cwd=c.dir, stdin=subprocess.DEVNULL, stdout=full,
                           stderr=subprocess.PIPE, timeout=120, start_new_session=True)
    p.out = ""
    p.err = p.stderr.decode("utf-8", "replace")
    return p


def api_case(name):
    argv_tail, want = API_CASES[name]

    def fn(c, info):
        a, b, pp = pw_modules(c)
        argv = [info["api"], *[{"@A": a, "@B": b}.get(x, x) for x in argv_tail or [name]]]
        env = dict(c.run_env)
        if want.get("pythonpath"):
            env.update(PYTHONPATH=pp, PYTHONDONTWRITEBYTECODE="1")
        if want.get("stdout_devfull"):
            p = run_devfull(c, argv, env)
        else:
            p = c.run(argv, env=env, timeout=300)
        what = f"library_api {' '.join(argv[1:])}"
        case = argv[1]
        fails = [l for l in p.err.splitlines() if l.startswith("FAIL:")]
        rc = want.get("rc", 0)
        summary = re.search(rf"^library_api {case}: (\d+) checks, (\d+) failed$", p.err, re.M)
        if p.returncode < 0:
            c.check(False, f"{what} died of signal {-p.returncode}\n--- stdout\n"
                    f"{wt.tail(p.out)}\n--- stderr\n{wt.tail(p.err)}")
            return
        if want.get("summary", True) and summary is None:
            c.check(False, f"{what} exited {p.returncode} without its summary line: the "
                    "process ended inside a pyweld call (the library must return, never "
                    f"exit)\n--- stdout\n{wt.tail(p.out)}\n--- stderr\n{wt.tail(p.err)}")
            return
        for line in fails:
            c.check(False, f"{what}: {line[6:]}")
        if not fails:
            c.check(p.returncode == rc, f"{what} exited {p.returncode}, wanted {rc}\n"
                    f"--- stderr\n{wt.tail(p.err)}")
        if "stdout" in want:
            c.check(p.out == want["stdout"], f"{what}: stdout {p.out!r}, wanted "
                    f"{want['stdout']!r}")
        if "stdout_re" in want:
            c.check(re.match(want["stdout_re"], p.out) is not None,
                    f"{what}: stdout {p.out!r} does not match {want['stdout_re']!r}")
        for s in want.get("stdout_has", []):
            c.check(s in p.out, f"{what}: stdout lacks {s!r}:\n{wt.tail(p.out)}")
        for s in want.get("stderr_has", []):
            c.check(s in p.err, f"{what}: stderr lacks {s!r}:\n{wt.tail(p.err)}")
        if summary and not fails:
            print(f"     {what}: {summary.group(1)} checks in C")

    fn.__doc__ = f"library_api {' '.join(argv_tail or [name])}"
    return fn


# --- the driver ---------------------------------------------------------------------------

def run_cases(args, cases, names):
    info = []          # the library's facts, loaded once by the first case

    def run(name, c):
        if not info:
            info.append(load_lib(args))
        cases[name](c, info[0])

    return wt.run_cases(names, lambda name: wt.Case(name, args, "library"), run, args.keep)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pyweld", help="the pyweld executable")
    ap.add_argument("--lib", help="the fixture's directory (libapp.a, library_api)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    ap.add_argument("--list", action="store_true", help="list the api cases")
    ap.add_argument("--python", help="weld this CPython version (X.Y; default 3.11)")
    ap.add_argument("what", nargs="?", choices=("weld", "example", "header", "api"))
    ap.add_argument("cases", nargs="*", help="api cases (default: all)")
    args = ap.parse_args()
    if args.list:
        for name in API_CASES:
            print(f"{name:22} {api_case(name).__doc__}")
        return 0
    if not args.pyweld or not args.lib or not args.what:
        ap.error("--pyweld, --lib and what to do are required")
    args.pyweld = os.path.abspath(args.pyweld)
    args.lib = os.path.abspath(args.lib)
    args.version = args.python or "3.11"
    cache, dist = wt.distribution_cache(args.pyweld, args.python)
    if not cache:
        print(f"SKIP: no pyweld distribution ({dist}); run 'pyweld python build' first")
        return wt.SKIP
    args.cache, args.dist = cache, dist
    with open(os.path.join(dist, "distribution.json")) as f:
        full = json.load(f)["python_version"]
    API_CASES["start_fails_version"][1]["stdout"] = f"Python {full}\n"
    API_CASES["version"][1]["stdout_re"] = rf"^pyweld \S+ on CPython {re.escape(full)}\n$"
    if args.what == "weld":
        return do_weld(args)
    if args.what == "example":
        return run_cases(args, {"example": case_example}, ["example"])
    if args.what == "header":
        return run_cases(args, {"header": case_header}, ["header"])
    unknown = [n for n in args.cases if n not in API_CASES]
    if unknown:
        ap.error(f"unknown case(s): {', '.join(unknown)} (see --list)")
    cases = {n: api_case(n) for n in API_CASES}
    return run_cases(args, cases, args.cases or list(API_CASES))


if __name__ == "__main__":
    sys.exit(main())

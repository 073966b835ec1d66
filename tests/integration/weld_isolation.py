#!/usr/bin/env python3
"""weld_isolation.py: a welded binary ignores its surroundings.

A small binary (no packages) prints what could be influenced from outside:
sys.argv, sys.executable, sys.path, sys.prefix, where os, encodings and json
came from, the interpreter's flags, whether sitecustomize/usercustomize were
imported, every module loaded from a file outside the binary, sys.meta_path,
the stdio encodings and a computed value.  Each case runs it twice, with the
binary at the same path: clean (a scrubbed environment, an empty working
directory), then hostile; exit status, stdout and stderr must be
byte-identical, and nothing may print PWNED.

Hostile means: PYTHONPATH (a directory of traps in the case, standing for
/tmp/evil), PYTHONHOME=/nonexistent, PYTHONSTARTUP=evil.py, PYTHONINSPECT=1,
PYTHONMALLOC=garbage, and more PYTHON* variables that change output when
honoured (PYTHONVERBOSE, PYTHONPROFILEIMPORTTIME, PYTHONIOENCODING,
PYTHONWARNINGS, PYTHONUSERBASE with a usercustomize, PYTHONDEVMODE, ...);
booby-trapped os.py, site.py, json.py, runpy.py, encodings/__init__.py,
sitecustomize.py, usercustomize.py and __pyweld_main__.py, each printing
PWNED and exiting 99, in the working directory, next to the binary and in
the PYTHONPATH directory.

Cases:
  entry_code       a binary built with --python-code.
  python_mode      a binary with no entry point, run as `app -c CODE` and as
                   `app SCRIPT` with traps beside the script too.
  venv_cfg         the binary copied into a virtual environment's bin/: a
                   pyvenv.cfg beside it and ../lib/python3.11/site-packages
                   holding a sitecustomize.py and a .pth file.
  prefix_landmark  the binary installed in PREFIX/bin where PREFIX/lib/
                   python3.11/os.py exists (a source-built Python in
                   /usr/local looks like this), with a sitecustomize.py in
                   PREFIX/lib/python3.11/site-packages.
  sealed           the clean run itself: sys.path is the binary alone and no
                   module comes from a file outside it (nothing of the build
                   machine: not the distribution's site-packages, not its
                   .pth files).

    weld_isolation.py --pyweld build/bin/pyweld [--keep] [CASE...]
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402

REPORT = r'''
import sys, os, json, encodings

def where(m):
    spec = getattr(m, "__spec__", None)
    return [getattr(spec, "origin", None), getattr(m, "__file__", None)]

exe = sys.executable
foreign = sorted(n for n, m in list(sys.modules.items())
                 if isinstance(getattr(m, "__file__", None), str)
                 and not m.__file__.startswith(exe + "/"))
f = sys.flags
print("argv", sys.argv)
print("executable", exe)
print("path", sys.path)
print("prefix", sys.prefix, sys.exec_prefix, sys.base_prefix)
print("os", where(os))
print("encodings", where(encodings))
print("json", where(json))
print("flags isolated=%d ignore_environment=%d inspect=%d interactive=%d no_user_site=%d "
      "safe_path=%d verbose=%d dev_mode=%d" % (f.isolated, f.ignore_environment, f.inspect,
      f.interactive, f.no_user_site, f.safe_path, f.verbose, f.dev_mode))
print("sitecustomize", "sitecustomize" in sys.modules, "usercustomize",
      "usercustomize" in sys.modules)
print("foreign", foreign)
print("meta_path", [getattr(x, "__name__", type(x).__name__) for x in sys.meta_path])
print("warnoptions", sys.warnoptions, "xoptions", sorted(sys._xoptions))
print("stdio", sys.stdout.encoding, sys.stderr.encoding, sys.stdin.encoding)
print("value", json.dumps({"squares": sum(i * i for i in range(1000)),
                           "text": "caf\u00e9"}, sort_keys=True))
sys.stderr.write("done\n")
'''

TRAP = """\
import sys
sys.stdout.write("PWNED by %s\\n" % (__file__,))
sys.stdout.flush()
import posix
posix._exit(99)
"""

PTH_TRAP = ("import sys; sys.stdout.write('PWNED by a .pth file\\n'); sys.stdout.flush(); "
            "import posix; posix._exit(99)\n")

TRAP_FILES = ["os.py", "site.py", "json.py", "runpy.py", "encodings/__init__.py",
              "sitecustomize.py", "usercustomize.py", "__pyweld_main__.py", "zipimport.py"]


def plant(directory):
    for name in TRAP_FILES:
        wt.write(os.path.join(directory, name), TRAP)


def hostile_env(c, evil):
    env = dict(c.run_env)
    userbase = os.path.join(evil, "userbase")
    usersite = os.path.join(userbase, "lib", f"python{c.version}", "site-packages")
    plant(usersite)
    wt.write(os.path.join(usersite, "pwned.pth"), PTH_TRAP)
    env.update({
        "PYTHONPATH": evil,
        "PYTHONHOME": "/nonexistent",
        "PYTHONSTARTUP": "evil.py",
        "PYTHONINSPECT": "1",
        "PYTHONMALLOC": "garbage",
        "PYTHONUSERBASE": userbase,
        "PYTHONVERBOSE": "1",
        "PYTHONPROFILEIMPORTTIME": "1",
        "PYTHONIOENCODING": "garbage-codec",
        "PYTHONWARNINGS": "error",
        "PYTHONDEVMODE": "1",
        "PYTHONFAULTHANDLER": "1",
        "PYTHONTRACEMALLOC": "5",
        "PYTHONUTF8": "0",
        "PYTHONHASHSEED": "0",
        "PYTHONSAFEPATH": "0",
        "PYTHONPLATLIBDIR": "evil",
        "PYTHONINTMAXSTRDIGITS": "garbage",
        "PYTHONBREAKPOINT": "evil.boom",
    })
    return env


def build(c, name, entry=True):
    os.makedirs(c.path(name), exist_ok=True)
    app = c.path(name, "app")
    args = ["--python-code", REPORT] if entry else []
    p = c.build_ok(*args, "-o", app, timeout=600)
    print(f"     pyweld build took {p.seconds:.1f} s")
    return app


def run_both(c, argv, arrange, what):
    """Runs argv clean, then arrange() (which plants traps and returns the
    hostile environment and working directory), then argv again; compares."""
    empty = c.path("empty")
    os.makedirs(empty, exist_ok=True)
    clean = c.run(argv, env=c.run_env, cwd=empty, timeout=120)
    c.require(clean.returncode == 0 and "value" in clean.out,
              f"{what}: the clean run exited {clean.returncode}:\n{wt.tail(clean.err)}\n"
              f"{wt.tail(clean.out)}")
    env, cwd = arrange()
    hostile = c.run(argv, env=env, cwd=cwd, timeout=120)
    for label, p in (("clean", clean), ("hostile", hostile)):
        c.check(b"PWNED" not in p.stdout + p.stderr, f"{what}: a trap ran in the {label} "
                f"run:\n{wt.tail(p.out, 5)}\n{wt.tail(p.err, 10)}")
    c.check(hostile.returncode == clean.returncode, f"{what}: exit status {hostile.returncode}"
            f" with the traps, {clean.returncode} without")
    c.check(hostile.stdout == clean.stdout, f"{what}: stdout differs with the traps:\n"
            f"--- clean\n{clean.out}--- hostile\n{hostile.out}")
    c.check(hostile.stderr == clean.stderr, f"{what}: stderr differs with the traps:\n"
            f"--- clean\n{wt.tail(clean.err)}\n--- hostile\n{wt.tail(hostile.err)}")
    return clean


def arrange_everywhere(c, bindir, extra_dirs=()):
    """Traps in the working directory, beside the binary, in the PYTHONPATH
    directory and in extra_dirs; the hostile environment."""
    def arrange():
        evil = c.path("evil")
        cwd = c.path("trapped")
        for d in (evil, cwd, bindir, *extra_dirs):
            plant(d)
        wt.write(os.path.join(cwd, "evil.py"), TRAP)
        wt.write(os.path.join(evil, "evil.py"), TRAP)
        return hostile_env(c, evil), cwd
    return arrange


def case_entry_code(c):
    """--python-code binary: hostile PYTHON* variables and trapped directories change nothing"""
    app = build(c, "bin")
    run_both(c, [app, "arg1", "-c", "raise SystemExit(98)"], arrange_everywhere(c, c.path("bin")),
             "--python-code binary")


def case_python_mode(c):
    """no-entry binary as `app -c` and `app SCRIPT`: traps change nothing"""
    app = build(c, "bin", entry=False)
    scripts = c.path("scripts")
    script = os.path.join(scripts, "report.py")
    wt.write(script, REPORT)
    run_both(c, [app, "-c", REPORT], arrange_everywhere(c, c.path("bin")), "app -c")
    # Fresh traps for the second run are the same files: planting is idempotent.
    run_both(c, [app, script, "x"], arrange_everywhere(c, c.path("bin"), [scripts]),
             "app SCRIPT")


def case_venv_cfg(c):
    """binary in a venv's bin/ beside pyvenv.cfg: the venv's site-packages stay out"""
    app = build(c, os.path.join("venv", "bin"))
    site = c.path("venv", "lib", f"python{c.version}", "site-packages")

    def arrange():
        wt.write(c.path("venv", "pyvenv.cfg"), "home = /usr/bin\n"
                 f"include-system-site-packages = false\nversion = {c.version}.2\n")
        shutil.copy(c.path("venv", "pyvenv.cfg"), c.path("venv", "bin", "pyvenv.cfg"))
        plant(site)
        wt.write(os.path.join(site, "pwned.pth"), PTH_TRAP)
        return c.run_env, c.path("empty")
    run_both(c, [app], arrange, "binary beside pyvenv.cfg")


def case_prefix_landmark(c):
    """binary in PREFIX/bin with PREFIX/lib/python3.11/os.py: that prefix stays out"""
    app = build(c, os.path.join("inst", "bin"))
    lib = c.path("inst", "lib", f"python{c.version}")

    def arrange():
        plant(lib)
        os.makedirs(os.path.join(lib, "lib-dynload"), exist_ok=True)
        plant(os.path.join(lib, "site-packages"))
        wt.write(os.path.join(lib, "site-packages", "pwned.pth"), PTH_TRAP)
        return c.run_env, c.path("empty")
    run_both(c, [app], arrange, f"binary in a prefix with lib/python{c.version}/os.py")


def case_sealed(c):
    """sys.path is the binary alone; no module from a file outside it"""
    app = build(c, "bin")
    os.mkdir(c.path("empty"))
    r = c.run([app], env=c.run_env, cwd=c.path("empty"), timeout=120)
    c.require(r.returncode == 0, f"the binary exited {r.returncode}:\n{wt.tail(r.err)}")
    lines = dict(l.split(" ", 1) for l in r.out.splitlines() if " " in l)
    c.check(lines.get("executable") == app, f"sys.executable is {lines.get('executable')!r}")
    c.check(lines.get("path") == repr([app]), f"sys.path is {lines.get('path')}, wanted "
            f"[{app!r}] alone")
    c.check(lines.get("foreign") == "[]", "modules loaded from files outside the binary: "
            f"{lines.get('foreign')}")
    c.check(lines.get("sitecustomize") == "False usercustomize False",
            f"sitecustomize/usercustomize imported: {lines.get('sitecustomize')}")
    for name in ("os", "encodings", "json"):
        origin = lines.get(name, "")
        c.check(origin.startswith("['frozen'") or ("'" + app + "/") in origin,
                f"{name} comes from {origin}, neither frozen nor the binary")
    c.check(lines.get("flags", "").startswith("isolated=1 ignore_environment=1 inspect=0 "
                                              "interactive=0 no_user_site=1 safe_path=1"),
            f"sys.flags: {lines.get('flags')}")


CASES = {
    "entry_code": case_entry_code,
    "python_mode": case_python_mode,
    "venv_cfg": case_venv_cfg,
    "prefix_landmark": case_prefix_landmark,
    "sealed": case_sealed,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "weld"))

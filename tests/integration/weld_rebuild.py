#!/usr/bin/env python3
"""weld_rebuild.py: building again after an edit, and what --work-dir accepts.

Cases:
  reuse          markupsafe (its C speedups forced) and a script built into a
                 --work-dir; the script edited and built again: the install is
                 reused (no pip), every isolated extension and runtime unit
                 comes from the cache, the new binary runs the new script with
                 markupsafe._speedups built in; then the same build with one
                 more --env: the packages are installed again.
  foreign_dir    a --work-dir that holds someone's files (no .pyweld-work) is
                 refused with a clear message and left exactly as it was; a
                 file is refused; a new directory is accepted and marked.
  init_project   `pyweld init` with a local setup.py package: its pyweld.ini
                 keeps the work directory inside the project, a second
                 `pyweld build` after editing main.py reuses the install, an
                 edit to the package installs it again, and neither the work
                 directory nor the APP is copied into the project's build.
  cache_damaged  an entry of <cache>/derived made unreadable, then a build:
                 a miss, the object is made again, the build succeeds.

    weld_rebuild.py --pyweld build/bin/pyweld [--keep] [CASE...]
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402

SCRIPT = '''
import sys, markupsafe, markupsafe._speedups as s
assert markupsafe.escape is s.escape, "the pure-Python escape"
assert s.__spec__.origin == "built-in", s.__spec__.origin
assert "markupsafe._speedups" in sys.builtin_module_names
print("VERSION", {version}, markupsafe.escape("<a>"))
'''


def steps(err):
    """pyweld's progress lines: '[3/6] isolate: ...' without the prefix."""
    return [m.group(1) for m in re.finditer(r"pyweld: \[\d+/\d+\] ([^\n]*)", err)]


def build_version(c, work, version, *extra):
    wt.write(c.path("main.py"), SCRIPT.format(version=version))
    return c.build_ok("-o", c.path("out", "app"), "--script", c.path("main.py"),
                      "--pip-install", "markupsafe==2.1.5", "--env", "REQUIRE_SPEEDUPS=1",
                      "--work-dir", work, *extra)


def run_app(c, version):
    r = c.run([c.path("out", "app")], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out.strip() == f"VERSION {version} &lt;a&gt;",
            f"the binary of version {version} exited {r.returncode} and printed "
            f"{r.out!r}:\n{wt.tail(r.err)}")


def case_reuse(c):
    """a rebuild after editing the script reuses the install and the cache"""
    os.mkdir(c.path("out"))
    work = c.path("work")
    p1 = build_version(c, work, 1)
    c.check(any(s.startswith("install: pip builds") for s in steps(p1.err)),
            f"the first build did not run pip:\n{wt.tail(p1.err)}")
    c.check(os.path.isfile(os.path.join(work, ".pyweld-work")) and
            os.path.isfile(os.path.join(work, "install.stamp")),
            f"the work directory has no .pyweld-work or install.stamp: {os.listdir(work)}")
    run_app(c, 1)

    p2 = build_version(c, work, 2)
    s2 = steps(p2.err)
    print(f"     first build {p1.seconds:.1f} s, rebuild after the edit {p2.seconds:.1f} s")
    c.check(not any("pip builds" in s for s in s2), f"the rebuild ran pip again:\n{p2.err}")
    c.check(any(s.startswith("install: 1 distribution already in") for s in s2),
            f"the rebuild does not say it reused the install:\n{p2.err}")
    iso = [s for s in s2 if s.startswith("isolate:")]
    m = re.match(r"isolate: (\d+) extension modules, (\d+) from the cache", iso[0] if iso else "")
    c.check(m and m.group(1) == m.group(2),
            f"not every isolated extension came from the cache: {iso}")
    gen = [re.match(r"generate: .*, (\d+) of (\d+) compiled units from the cache", s)
           for s in s2]
    c.check(any(m and m.group(1) == m.group(2) for m in gen),
            f"the runtime was compiled again: {s2}")
    run_app(c, 2)

    p3 = build_version(c, work, 3, "--env", "PYWELD_TEST_CHANGED=1")
    c.check(any(s.startswith("install: pip builds") for s in steps(p3.err)),
            f"a build with a new --env reused the old install:\n{wt.tail(p3.err)}")
    run_app(c, 3)


def case_init_project(c):
    """pyweld init's project rebuilds from its own work directory"""
    proj = c.path("proj")
    wt.write(os.path.join(proj, "setup.py"),
             "from setuptools import setup\n"
             "setup(name='mypkg', version='1.0', packages=['mypkg'])\n")
    wt.write(os.path.join(proj, "mypkg", "__init__.py"), "WORD = 'one'\n")
    r = c.run([c.pyweld, "init", proj, "--setup-py", proj, "--python-code", "pass"])
    c.require(r.returncode == 0, f"pyweld init exited {r.returncode}:\n{wt.tail(r.err)}")
    ini = open(os.path.join(proj, "pyweld.ini")).read()
    c.check(re.search(r"^work-dir = \.pyweld-work$", ini, re.M) and
            re.search(r"^setup-py = \.$", ini, re.M),
            f"pyweld.ini does not keep a work directory or names the project "
            f"by more than '.':\n{ini}")

    def build_and_run(main, want):
        wt.write(os.path.join(proj, "main.py"), main)
        p = c.build_ok(cwd=proj)
        r = c.run([os.path.join(proj, "app")], env=c.run_env, timeout=60)
        c.check(r.returncode == 0 and r.out == want,
                f"the app printed {r.out!r}, wanted {want!r}:\n{wt.tail(r.err)}")
        return steps(p.err)

    s1 = build_and_run("import mypkg; print(mypkg.WORD)\n", "one\n")
    work = os.path.join(proj, ".pyweld-work")
    c.check(os.path.isfile(os.path.join(work, ".pyweld-work")),
            "the build did not use the project's .pyweld-work")
    c.check(any(s.startswith("install: pip builds") for s in s1), f"no install: {s1}")
    copies = [d for d in os.listdir(work) if d.startswith("project-")]
    for d in copies:
        inside = os.listdir(os.path.join(work, d))
        c.check(".pyweld-work" not in inside and "app" not in inside,
                f"the project's copy holds the work directory or the APP: {inside}")

    s2 = build_and_run("import mypkg; print(mypkg.WORD * 2)\n", "oneone\n")
    c.check(not any("pip builds" in s for s in s2),
            f"editing main.py made pip run again: {s2}")

    wt.write(os.path.join(proj, "mypkg", "__init__.py"), "WORD = 'two'\n")
    s3 = build_and_run("import mypkg; print(mypkg.WORD * 2)\n", "twotwo\n")
    c.check(any(s.startswith("install: pip builds") for s in s3),
            f"an edit to the package did not install it again: {s3}")


def snapshot(root):
    out = {}
    for d, dirs, files in os.walk(root):
        for f in files + dirs:
            p = os.path.join(d, f)
            st = os.lstat(p)
            data = open(p, "rb").read() if os.path.isfile(p) else None
            out[os.path.relpath(p, root)] = (st.st_mode, st.st_mtime_ns, data)
    return out


def case_foreign_dir(c):
    """a work directory that is not pyweld's is refused and left alone"""
    os.mkdir(c.path("out"))
    mine = c.path("mine")
    os.makedirs(os.path.join(mine, "src"))
    wt.write(os.path.join(mine, "notes.txt"), "my notes\n")
    wt.write(os.path.join(mine, "src", "thesis.tex"), "\\begin{document}\n")
    before = snapshot(mine)
    app = c.path("out", "app")
    p = c.build("-o", app, "--python-code", "print(1)", "--work-dir", mine)
    lines = c.check_clear_error(p, "a foreign --work-dir", [mine, ".pyweld-work"])
    c.check(any(line.startswith("hint: ") for line in lines),
            f"no hint after the error:\n{p.err}")
    c.check(snapshot(mine) == before, "the foreign work directory was changed")
    c.check(not os.path.exists(app), "an APP was written after the refusal")

    afile = c.path("afile")
    wt.write(afile, "data\n")
    p = c.build("-o", app, "--python-code", "print(1)", "--work-dir", afile)
    c.check_clear_error(p, "a file as --work-dir", [afile, "not a directory"])
    c.check(open(afile).read() == "data\n", "the file given as --work-dir was changed")

    new = c.path("new", "work")
    c.build_ok("-o", app, "--python-code", "print(1)", "--work-dir", new)
    c.check(os.path.isfile(os.path.join(new, ".pyweld-work")),
            "a new work directory was not marked as pyweld's")
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out == "1\n", f"the binary printed {r.out!r}")


def case_cache_damaged(c):
    """an unreadable cache entry is a miss, not a failed build"""
    os.mkdir(c.path("out"))
    cache = c.path("cache")
    os.mkdir(cache)
    # the distribution comes from the shared cache; derived objects go to a
    # cache of the case's own
    dist_args = ["--dist", c.args.dist, "--cache", cache]
    app = c.path("out", "app")
    c.build_ok("-o", app, "--python-code", "print(2)", *dist_args)
    derived = os.path.join(cache, "derived")
    entries = [os.path.join(d, f) for d, _, fs in os.walk(derived) for f in fs]
    c.require(len(entries) > 5, f"the build cached {len(entries)} derived objects")
    for e in entries[:3]:
        os.chmod(e, 0)
    if os.access(entries[0], os.R_OK):
        for e in entries[:3]:
            os.unlink(e)      # root reads mode 0 files: remove them instead
            os.mkdir(e)       # a directory where the entry was: unreadable as a file
    p = c.build_ok("-o", app, "--python-code", "print(3)", *dist_args)
    misses = 0
    for s in steps(p.err):
        m = re.match(r"isolate: (\d+) extension modules(?:, (\d+) from the cache)?", s)
        if m:
            misses += int(m.group(1)) - int(m.group(2) or 0)
        m = re.match(r"generate: [^,]*, (\d+) of (\d+) compiled units from the cache", s)
        if m:
            misses += int(m.group(2)) - int(m.group(1))
    c.check(misses == 3, f"{misses} objects were made again, wanted the 3 damaged ones:\n"
            f"{p.err}")
    r = c.run([app], env=c.run_env, timeout=60)
    c.check(r.returncode == 0 and r.out == "3\n", f"the binary printed {r.out!r}:\n"
            f"{wt.tail(r.err)}")


CASES = {
    "reuse": case_reuse,
    "foreign_dir": case_foreign_dir,
    "cache_damaged": case_cache_damaged,
    "init_project": case_init_project,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "weld"))

#!/usr/bin/env python3
"""The build cache: a local sdist built once is reused by the next weld.

docs/buildcache.md.  Every case welds markupsafe 2.1.5 from the pinned sdist
(tests/python-sdists.txt) with a cache of its own (--cache in the case, the
distribution by --dist), so that nothing another test or user kept is seen.

  reuse        a second weld of the same sdist says it reused the build, pip
               builds nothing, the link database holds the same records, the
               weld's isolated extension object is byte-identical, the app runs,
               pip's report (the SBOM's source) names the sdist, not the wheel
  miss_env     another --env setting is a miss (built again), and so is
               another CMAKE_ARGS in pyweld's environment
  miss_sdist   the same path with other bytes is a miss, and installs again
               in a work directory that installed the old bytes
  damaged      a truncated wheel, a changed stored object, a truncated
               records database, a damaged info file, an info file naming
               a wheel whose name is no wheel's: each a note and a miss,
               never a failure
  concurrent   two welds of the same sdist at once on an empty cache: both
               succeed, one entry is kept, no temporary is left
  disabled     --no-build-cache (and build-cache = false in pyweld.ini) builds
  requirements an sdist named by a requirements file is kept and reused, with
               a work directory whose path has '${HOME}' in it
  own_env      --env PKG:NAME=VALUE reaches PKG's build alone (its compiles
               carry the flag, the other sdist's do not) and is part of PKG's
               key only: the other sdist welded without it is reused, PKG
               spelled another way (PEP 503) is reused; with --no-build-cache
               PKG is built with it; a PKG no sdist is, or a malformed PKG,
               is a clear error
  rebuilt      pyweld and pyweld-cc copied elsewhere (another path, another
               mtime: a rebuild that changed nothing of the build) reuse the
               first weld's build; a pyweld-cc with other bytes builds again
  relative     --pip-install ./sdists/<sdist> (relative to the current
               directory, while pip runs in the work directory) builds, and
               pyweld.ini's pip-install = ../sdists/<sdist> (relative to the
               file's directory, pyweld run from elsewhere) names the same
               file: its build is reused

Usage: weld_buildcache.py --pyweld PYWELD --sdists DIR [CASE...]
"""

import argparse
import glob
import gzip
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402

SDIST = "MarkupSafe-2.1.5.tar.gz"
PROBE = ("import sys, markupsafe, markupsafe._speedups as c\n"
         "assert markupsafe.escape is c.escape, markupsafe.escape\n"
         "assert 'markupsafe._speedups' in sys.builtin_module_names, c.__spec__\n"
         "print(str(markupsafe.escape('<a>&')))\n")
ESCAPED = "&lt;a&gt;&amp;"
BUILT = "MarkupSafe 2.1.5: built and kept for reuse"
REUSED = "MarkupSafe 2.1.5: reused the build of "
NOT_USABLE = "MarkupSafe 2.1.5: its kept build is not usable ("


def sdist_copy(c):
    """The pinned sdist, copied into the case (a test may change its bytes)."""
    src = os.path.join(c.args.sdists, SDIST)
    if not os.path.isfile(src):
        raise wt.Skip(f"no {src} (run tests/prepare-python.sh)")
    dst = c.path("sdists", SDIST)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(src, "rb") as f, open(dst, "wb") as g:
        g.write(f.read())
    return dst


def weld(c, n, sdist, *extra, ok=True, env=None):
    """Weld n of markupsafe from sdist (its --work-dir kept: w<n>)."""
    args = ["-o", c.path(f"app{n}"), "--pip-install", sdist, "--env", "CIBUILDWHEEL=1",
            "--dist", c.args.dist, "--cache", c.path("cache"), "--work-dir", c.path(f"w{n}"),
            "--python-code", PROBE, *extra]
    p = c.build_ok(*args, env=env) if ok else c.build(*args, env=env)
    return p


def check_app(c, n):
    p = c.run([c.path(f"app{n}")], env=c.run_env)
    c.check(p.returncode == 0 and p.out.strip() == ESCAPED,
            f"app{n} exited {p.returncode}, printed {p.out!r}, wanted {ESCAPED!r}:\n"
            f"{wt.tail(p.err)}")


def log(c, n):
    with open(c.path(f"w{n}", "build.log"), errors="replace") as f:
        return f.read()


def compiled(c, n):
    """Whether pip built markupsafe in weld n (its compile of _speedups.c)."""
    text = log(c, n)
    return "_speedups.c" in text or "Building wheel for markupsafe" in text


def records(c, n):
    """The link database's compile and link records of weld n, ids left out."""
    db = sqlite3.connect(f"file:{c.path(f'w{n}', 'app.linkdb')}?mode=ro", uri=True)
    try:
        comp = sorted(db.execute(
            "SELECT cwd, argv, language, output, object, status FROM compile"))
        srcs = sorted(db.execute(
            "SELECT c.argv, s.seq, s.path, s.hash FROM compile_source s"
            " JOIN compile c ON c.id = s.compile"))
        links = sorted(db.execute(
            "SELECT cwd, argv, language, output, output_hash, status FROM link"))
        inputs = sorted(db.execute(
            "SELECT l.output_hash, i.seq, i.kind, i.value, i.path, i.object"
            " FROM link_input i JOIN link l ON l.id = i.link"))
        inits = sorted(db.execute(
            "SELECT l.output_hash, t.symbol, t.object FROM link_init t"
            " JOIN link l ON l.id = t.link"))
        objs = sorted(db.execute("SELECT hash, size, kind, lto FROM object WHERE hash IN"
                                 " (SELECT object FROM compile UNION"
                                 "  SELECT object FROM link_input)"))
        return {"compile": comp, "sources": srcs, "link": links, "inputs": inputs,
                "inits": inits, "objects": objs}
    finally:
        db.close()


def ext_object(c, n):
    """SHA-256 of the weld's isolated object of markupsafe._speedups."""
    found = glob.glob(c.path(f"w{n}", "objs", "pyweld_init_markupsafe__speedups_*.o"))
    c.require(len(found) == 1, f"weld {n}: isolated objects of markupsafe._speedups: {found}")
    with open(found[0], "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def entries(c):
    return sorted(p for p in glob.glob(c.path("cache", "builds", "??", "*"))
                  if os.path.isdir(p))


def check_report(c, n, sdist):
    """pip's report of weld n names the sdist and its SHA-256, not the wheel
    that stood for it (what the SBOM says a distribution came from)."""
    with open(c.path(f"w{n}", "pip-report.json")) as f:
        report = json.load(f)
    with open(sdist, "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    infos = [e.get("download_info", {}) for e in report.get("install", [])
             if e.get("metadata", {}).get("name", "").lower() == "markupsafe"]
    c.check(len(infos) == 1, f"weld {n}: markupsafe in pip's report {len(infos)} times")
    for info in infos:
        url, arch = info.get("url", ""), info.get("archive_info", {})
        c.check(url == "file://" + urllib.request.pathname2url(sdist),
                f"weld {n}: pip's report says markupsafe came from {url!r}, not the sdist")
        c.check(arch.get("hashes", {}).get("sha256") == want and
                arch.get("hash") == f"sha256={want}",
                f"weld {n}: pip's report gives markupsafe's archive hash as {arch!r}, "
                f"not the sdist's {want}")


def check_manifest_source(c, n, sdist):
    """The manifest of app n (what the SBOM is made from) says markupsafe
    came from the sdist, with its SHA-256, on a hit as on a miss."""
    with open(sdist, "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    p = c.run([c.pyweld, "inspect", "--json", c.path(f"app{n}")], env=c.run_env)
    c.require(p.returncode == 0, f"inspect of app{n} exited {p.returncode}:\n{wt.tail(p.err)}")
    srcs = [d.get("source", {}) for d in json.loads(p.out).get("distributions", [])
            if d.get("name", "").lower() == "markupsafe"]
    c.check(len(srcs) == 1 and srcs[0].get("kind") == "sdist" and
            srcs[0].get("url") == "file://" + urllib.request.pathname2url(sdist) and
            srcs[0].get("sha256") == want,
            f"app{n}'s manifest says markupsafe came from {srcs!r}, not the sdist {want}")


def case_reuse(c):
    """a second weld of the same sdist reuses the first's build"""
    sdist = sdist_copy(c)
    p1 = weld(c, 1, sdist)
    c.check(BUILT in p1.err, f"weld 1 does not say '{BUILT}':\n{wt.tail(p1.err)}")
    c.check(compiled(c, 1), "weld 1: pip compiled nothing (no _speedups.c in its log)")
    c.require(len(entries(c)) == 1, f"one entry kept after weld 1: {entries(c)}")
    p2 = weld(c, 2, sdist)
    c.check(REUSED in p2.err, f"weld 2 does not say '{REUSED}...':\n{wt.tail(p2.err)}")
    c.check(not compiled(c, 2), "weld 2: pip compiled markupsafe again")
    r1, r2 = records(c, 1), records(c, 2)
    c.check(r1["link"] and r1["compile"], "weld 1's link database holds no records")
    for k in r1:
        c.check(r1[k] == r2[k], f"the {k} records differ between weld 1 and 2:\n"
                f"{r1[k]!r:.600}\n{r2[k]!r:.600}")
    c.check(ext_object(c, 1) == ext_object(c, 2),
            "the welded object of markupsafe._speedups differs between weld 1 and 2")
    check_report(c, 1, sdist)
    check_report(c, 2, sdist)
    check_manifest_source(c, 1, sdist)
    check_manifest_source(c, 2, sdist)
    check_app(c, 1)
    check_app(c, 2)


def case_miss_env(c):
    """another --env setting builds again"""
    sdist = sdist_copy(c)
    weld(c, 1, sdist)
    p2 = weld(c, 2, sdist, "--env", "PYWELD_TEST_SETTING=1")
    c.check(REUSED not in p2.err and BUILT in p2.err,
            f"weld 2 with another --env did not build again:\n{wt.tail(p2.err)}")
    c.check(compiled(c, 2), "weld 2 with another --env compiled nothing")
    c.check(len(entries(c)) == 2, f"two entries wanted, found {entries(c)}")
    check_app(c, 2)
    # CMAKE_ARGS reaches the package builds from pyweld's own environment
    # (with pyweld's -D after it): another value is another build
    env = dict(c.env, CMAKE_ARGS="-DPYWELD_TEST_SETTING=1")
    p3 = weld(c, 3, sdist, "--env", "PYWELD_TEST_SETTING=1", env=env)
    c.check(REUSED not in p3.err and BUILT in p3.err,
            f"weld 3 with another CMAKE_ARGS did not build again:\n{wt.tail(p3.err)}")
    c.check(compiled(c, 3), "weld 3 with another CMAKE_ARGS compiled nothing")
    c.check(len(entries(c)) == 3, f"three entries wanted, found {entries(c)}")


def case_miss_sdist(c):
    """the same path with other bytes builds again"""
    sdist = sdist_copy(c)
    weld(c, 1, sdist)
    # the same files, compressed again: other bytes, the same package
    with gzip.open(sdist, "rb") as f:
        tar = f.read()
    with open(sdist, "wb") as f:
        f.write(gzip.compress(tar, compresslevel=1, mtime=0))
    p2 = weld(c, 2, sdist)
    c.check(REUSED not in p2.err and BUILT in p2.err,
            f"weld 2 of a changed sdist did not build again:\n{wt.tail(p2.err)}")
    c.check(compiled(c, 2), "weld 2 of a changed sdist compiled nothing")
    check_app(c, 2)
    # the install of a work directory is reused only while what it was made
    # from is unchanged: weld 2's again (w2), with other sdist bytes, and a
    # requirements file naming the sdist, in w3, then other bytes again
    # (the gzip header's time makes each rewrite other bytes)
    with open(sdist, "wb") as f:
        f.write(gzip.compress(tar, compresslevel=1, mtime=1))
    req = c.path("requirements.txt")
    wt.write(req, sdist + "\n")
    for k, (n, extra) in enumerate(((2, ()), (3, ("-r", req)), (3, ("-r", req))), 2):
        p = c.build_ok("-o", c.path(f"app{n}"), *(("--pip-install", sdist) if not extra
                                                   else extra),
                       "--env", "CIBUILDWHEEL=1", "--dist", c.args.dist, "--cache",
                       c.path("cache"), "--work-dir", c.path(f"w{n}"), "--python-code", PROBE)
        c.check("already in" not in p.err and BUILT in p.err,
                f"weld in w{n} of a changed sdist did not install again:\n{wt.tail(p.err)}")
        with open(sdist, "wb") as f:
            f.write(gzip.compress(tar, compresslevel=1, mtime=k))


def damage_wheel(entry):
    whl = glob.glob(os.path.join(entry, "*.whl"))[0]
    size = os.path.getsize(whl)
    with open(whl, "r+b") as f:
        f.truncate(size // 2)
    return "a truncated wheel"


def damage_object(entry):
    objs = glob.glob(os.path.join(entry, "records.linkdb.store", "??", "*"))
    obj = objs[0]
    os.chmod(obj, 0o644)
    with open(obj, "r+b") as f:
        f.seek(0)
        f.write(b"\0garbage\0")
    return "a changed stored object"


def damage_db(entry):
    db = os.path.join(entry, "records.linkdb")
    size = os.path.getsize(db)
    with open(db, "r+b") as f:
        f.truncate(size // 2)
    return "a truncated records database"


def damage_info(entry):
    with open(os.path.join(entry, "info"), "wb") as f:
        f.write(b"\xff\xfe not an entry\n")
    return "a damaged info file"


def damage_wheel_name(entry):
    """info names a wheel file that is there, whole, with its SHA-256, but
    whose name is no wheel's (a space, where pip and a requirements line
    would read two words)"""
    info = os.path.join(entry, "info")
    with open(info) as f:
        lines = f.read().split("\n")
    whl = [l for l in lines if l.startswith("wheel=")][0][len("wheel="):]
    odd = "markupsafe 2.1.5.whl"
    os.rename(os.path.join(entry, whl), os.path.join(entry, odd))
    with open(info, "w") as f:
        f.write("\n".join("wheel=" + odd if l.startswith("wheel=") else l for l in lines))
    return "an info file naming the wheel 'markupsafe 2.1.5.whl'"


def case_damaged(c):
    """a damaged entry is a miss with a note, never a failure"""
    sdist = sdist_copy(c)
    weld(c, 1, sdist)
    for n, damage in enumerate((damage_wheel, damage_object, damage_db, damage_info,
                                      damage_wheel_name), 2):
        found = entries(c)
        c.require(len(found) == 1, f"before weld {n}: one entry wanted, found {found}")
        what = damage(found[0])
        p = weld(c, n, sdist, ok=False)
        if not c.check(p.returncode == 0, f"weld {n} after {what} failed ({p.returncode}):\n"
                       f"{wt.tail(p.err)}"):
            continue
        c.check(NOT_USABLE in p.err and BUILT in p.err,
                f"weld {n} after {what}: no note and no new build:\n{wt.tail(p.err)}")
        c.check(compiled(c, n), f"weld {n} after {what} compiled nothing")
        check_app(c, n)


def case_concurrent(c):
    """two welds of the same sdist at once both succeed"""
    sdist = sdist_copy(c)
    procs = []
    for n in (1, 2):
        argv = [c.pyweld, "build", *c.version_args(), "-o", c.path(f"app{n}"),
                "--pip-install", sdist, "--env", "CIBUILDWHEEL=1", "--dist", c.args.dist,
                "--cache", c.path("cache"), "--work-dir", c.path(f"w{n}"),
                "--python-code", PROBE]
        procs.append(subprocess.Popen(argv, env=c.env, cwd=c.dir, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    for n, p in enumerate(procs, 1):
        out, err = p.communicate(timeout=900)
        c.check(p.returncode == 0, f"concurrent weld {n} exited {p.returncode}:\n"
                f"{wt.tail(err)}")
        if p.returncode == 0:
            check_app(c, n)
    c.check(len(entries(c)) == 1, f"one entry wanted, found {entries(c)}")
    tmp = c.path("cache", "builds", "tmp")
    left = os.listdir(tmp) if os.path.isdir(tmp) else []
    c.check(not left, f"temporaries left in {tmp}: {left}")
    p3 = weld(c, 3, sdist)
    c.check(REUSED in p3.err, f"weld 3 after the pair did not reuse:\n{wt.tail(p3.err)}")
    check_app(c, 3)


def case_requirements(c):
    """a requirements file's sdist line, with a work directory whose path a
    requirements line would change (pip puts $HOME's value for '${HOME}')"""
    sdist = sdist_copy(c)
    req = c.path("requirements.txt")
    wt.write(req, "# the pinned sdist\n" + sdist + "\n")
    for n in (1, 2):
        work = c.path(f"w${{HOME}}{n}")
        p = c.build(*["-o", c.path(f"app{n}"), "-r", req, "--env", "CIBUILDWHEEL=1",
                      "--dist", c.args.dist, "--cache", c.path("cache"), "--work-dir", work,
                      "--python-code", PROBE])
        if not c.check(p.returncode == 0, f"weld {n} with the work directory {work!r} "
                       f"failed ({p.returncode}):\n{wt.tail(p.err)}"):
            continue
        want = BUILT if n == 1 else REUSED
        c.check(want in p.err, f"weld {n} does not say '{want}':\n{wt.tail(p.err)}")
        check_app(c, n)


def case_relative(c):
    """--pip-install and pyweld.ini's pip-install name a local sdist by a relative path"""
    sdist = sdist_copy(c)
    rel = os.path.relpath(sdist, c.dir)
    c.require(rel.startswith("sdists" + os.sep), f"the sdist is not under the case: {rel}")
    common = ["--env", "CIBUILDWHEEL=1", "--dist", c.args.dist, "--cache", c.path("cache"),
              "--python-code", PROBE]
    p = c.build("-o", c.path("app1"), "--pip-install", "." + os.sep + rel, *common,
                "--work-dir", c.path("w1"), cwd=c.dir)
    if c.check(p.returncode == 0, f"--pip-install ./{rel} from {c.dir} failed "
               f"({p.returncode}):\n{wt.tail(p.err)}"):
        c.check(BUILT in p.err, f"weld 1 does not say '{BUILT}':\n{wt.tail(p.err)}")
        check_app(c, 1)
    proj = c.path("proj")
    wt.write(os.path.join(proj, "pyweld.ini"),
             "[packages]\npip-install = .." + os.sep + rel + "\n")
    elsewhere = c.path("elsewhere")
    os.makedirs(elsewhere, exist_ok=True)
    p = c.build("-o", c.path("app2"), "--config", os.path.join(proj, "pyweld.ini"), *common,
                "--work-dir", c.path("w2"), cwd=elsewhere)
    if c.check(p.returncode == 0, f"pip-install = ../{rel} in {proj}/pyweld.ini, pyweld "
               f"run in {elsewhere}, failed ({p.returncode}):\n{wt.tail(p.err)}"):
        c.check(REUSED in p.err, f"weld 2 (the same file by another relative path) does "
                f"not say '{REUSED}':\n{wt.tail(p.err)}")
        check_app(c, 2)


def case_rebuilt(c):
    """a pyweld rebuilt reuses the builds while pyweld-cc and what pip gets
    are the same; a pyweld-cc with other bytes builds again"""
    sdist = sdist_copy(c)
    weld(c, 1, sdist)
    bindir = c.path("bin")
    os.makedirs(bindir)
    here = os.path.dirname(c.pyweld)
    for name in ("pyweld", "pyweld-cc"):
        with open(os.path.join(here, name), "rb") as f, \
                open(os.path.join(bindir, name), "wb") as g:
            g.write(f.read())
        os.chmod(os.path.join(bindir, name), 0o755)
    original, c.pyweld = c.pyweld, os.path.join(bindir, "pyweld")
    try:
        p2 = weld(c, 2, sdist)
        c.check(REUSED in p2.err, f"weld 2 by a copy of pyweld (another path and mtime) "
                f"did not reuse weld 1's build:\n{wt.tail(p2.err)}")
        c.check(not compiled(c, 2), "weld 2 by a copy of pyweld compiled markupsafe again")
        check_app(c, 2)
        # bytes appended to an ELF file change nothing it runs, but they are
        # another wrapper to the key
        with open(os.path.join(bindir, "pyweld-cc"), "ab") as f:
            f.write(b"\0pyweld test: another pyweld-cc\0")
        p3 = weld(c, 3, sdist)
        c.check(REUSED not in p3.err and BUILT in p3.err,
                f"weld 3 with another pyweld-cc did not build again:\n{wt.tail(p3.err)}")
        check_app(c, 3)
    finally:
        c.pyweld = original


PSUTIL = "psutil-5.9.8.tar.gz"
OWN_FLAG = "-DPYWELD_OWN_SETTING=1"


def compiles_of(c, n, source):
    """The argv (text) of weld n's compiles of a source file whose path ends so."""
    db = sqlite3.connect(f"file:{c.path(f'w{n}', 'app.linkdb')}?mode=ro", uri=True)
    try:
        return [str(a) for (a,) in db.execute(
            "SELECT c.argv FROM compile c JOIN compile_source s ON s.compile = c.id"
            " WHERE s.path LIKE ?", ("%" + source,))]
    finally:
        db.close()


def case_own_env(c):
    """--env PKG:NAME=VALUE is for PKG's build alone, and for its key alone"""
    sdist = sdist_copy(c)
    src = os.path.join(c.args.sdists, PSUTIL)
    if not os.path.isfile(src):
        raise wt.Skip(f"no {src} (run tests/prepare-python.sh)")
    other = c.path("sdists", PSUTIL)
    with open(src, "rb") as f, open(other, "wb") as g:
        g.write(f.read())
    own = f"markupsafe:CFLAGS={OWN_FLAG}"
    p1 = weld(c, 1, sdist, "--pip-install", other, "--env", own)
    c.check(BUILT in p1.err and "psutil 5.9.8: built and kept for reuse" in p1.err,
            f"weld 1 did not build and keep both sdists:\n{wt.tail(p1.err)}")
    ms, ps = compiles_of(c, 1, "_speedups.c"), compiles_of(c, 1, "_psutil_linux.c")
    c.require(ms and ps, f"weld 1 recorded no compile of _speedups.c ({len(ms)}) or "
              f"_psutil_linux.c ({len(ps)})")
    c.check(all(OWN_FLAG in a for a in ms),
            f"markupsafe's own CFLAGS did not reach its compile: {ms[0]:.400}")
    c.check(not any(OWN_FLAG in a for a in ps),
            f"markupsafe's own CFLAGS reached psutil's compile: {ps[0]:.400}")
    check_app(c, 1)
    # psutil's key does not hold markupsafe's setting; markupsafe without it
    # is another build
    p2 = weld(c, 2, sdist, "--pip-install", other)
    c.check("psutil 5.9.8: reused the build of " in p2.err,
            f"weld 2 did not reuse psutil's build of weld 1:\n{wt.tail(p2.err)}")
    c.check(BUILT in p2.err, f"weld 2 (markupsafe without its setting) did not build "
            f"markupsafe again:\n{wt.tail(p2.err)}")
    p3 = weld(c, 3, sdist, "--env", f"MarkupSafe:CFLAGS={OWN_FLAG}")
    c.check(REUSED in p3.err, f"weld 3 (the setting for 'MarkupSafe') did not reuse "
            f"weld 1's build:\n{wt.tail(p3.err)}")
    p4 = weld(c, 4, sdist, "--no-build-cache", "--env", own)
    c.check(REUSED not in p4.err and BUILT not in p4.err,
            f"weld 4 with --no-build-cache used the cache:\n{wt.tail(p4.err)}")
    ms = compiles_of(c, 4, "_speedups.c")
    c.check(ms and all(OWN_FLAG in a for a in ms),
            f"with --no-build-cache, markupsafe's own CFLAGS did not reach its compile: "
            f"{ms!r:.400}")
    check_app(c, 4)
    p5 = weld(c, 5, sdist, "--env", "nosuch:X=1", ok=False)
    c.check_clear_error(p5, "--env for a package no sdist is", ("nosuch:X=1", "pip download"))
    c.check(p5.returncode == 2, f"--env nosuch:X=1 exited {p5.returncode}, wanted 2")
    for bad in (":X=1", "a b:X=1", "markupsafe:=1"):
        p = weld(c, 6, sdist, "--env", bad, ok=False)
        c.check(p.returncode == 2 and "[PKG:]NAME=VALUE" in p.err,
                f"--env {bad!r} exited {p.returncode}, wanted a usage error:\n"
                f"{wt.tail(p.err)}")


def case_disabled(c):
    """--no-build-cache and build-cache = false build"""
    sdist = sdist_copy(c)
    weld(c, 1, sdist)
    p2 = weld(c, 2, sdist, "--no-build-cache")
    c.check(REUSED not in p2.err and BUILT not in p2.err,
            f"weld 2 with --no-build-cache used the cache:\n{wt.tail(p2.err)}")
    c.check(compiled(c, 2), "weld 2 with --no-build-cache compiled nothing")
    check_app(c, 2)
    ini = c.path("pyweld.ini")
    wt.write(ini, "[build]\nbuild-cache = false\n")
    p3 = weld(c, 3, sdist, "--config", ini)
    c.check(REUSED not in p3.err and BUILT not in p3.err,
            f"weld 3 with build-cache = false used the cache:\n{wt.tail(p3.err)}")
    c.check(compiled(c, 3), "weld 3 with build-cache = false compiled nothing")
    check_app(c, 3)


CASES = {
    "reuse": case_reuse,
    "miss_env": case_miss_env,
    "miss_sdist": case_miss_sdist,
    "damaged": case_damaged,
    "concurrent": case_concurrent,
    "disabled": case_disabled,
    "requirements": case_requirements,
    "relative": case_relative,
    "own_env": case_own_env,
    "rebuilt": case_rebuilt,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pyweld", required=True, help="the pyweld executable")
    ap.add_argument("--sdists", required=True, help="directory of the pinned sdists")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    ap.add_argument("cases", nargs="*", help="cases to run (default: all)")
    args = ap.parse_args()
    unknown = [n for n in args.cases if n not in CASES]
    if unknown:
        ap.error(f"unknown case(s): {', '.join(unknown)}")
    args.pyweld = os.path.abspath(args.pyweld)
    args.sdists = os.path.abspath(args.sdists)
    args.python = None
    cache, dist = wt.distribution_cache(args.pyweld)
    if not cache:
        print(f"SKIP: no pyweld distribution ({dist}); run 'pyweld python build' first")
        return wt.SKIP
    args.cache = cache
    args.dist = dist
    t0 = time.time()
    rc = wt.run_cases(args.cases or list(CASES), lambda n: wt.Case(n, args, "buildcache"),
                      lambda n, c: CASES[n](c), args.keep)
    print(f"({time.time() - t0:.0f} s)")
    return rc


if __name__ == "__main__":
    sys.exit(main())

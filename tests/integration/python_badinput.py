#!/usr/bin/env python3
"""python_badinput.py: `pyweld python build` given sources it must refuse.

Each case runs `pyweld python build --source X --cache C` with its own small
cache C in its own temporary directory and a scrubbed environment (HOME is
the temporary directory, so nothing can reach the user's cache), and asserts
that the build fails with one clear message: exit status 1, nothing on
stdout, a line that starts with "pyweld: error:" and says what was wrong,
and a hint naming a log that exists.  After every failure the cache must
hold nothing a later call would trust: no <cache>/python/<key>/COMPLETE, no
"current" link, no work directory (.work-<key>-XXXXXX) of a build that is
over (its lock free), `pyweld python path --cache C` fails, and a second identical call
fails again rather than reporting a cached distribution.

Cases (`--list`): a truncated tarball, a tarball of another program, a tree
whose configure fails, a tree of CPython 3.10 (pyweld builds 3.11 to 3.14),
a 3.11 tree given with --python 3.13, --python of a version pyweld does not
build (a usage error), a directory that is not a CPython tree, a source that does not exist, a .dsc beside the wrong
upstream tarball, no space left for the cache (a 64 MB tmpfs; root only)
with the .dsc and with the tarball, a tree that pyweld's patches only half
fit (they are left out whole), a build killed during configure, and a
half-built distribution planted in the cache.

    python_badinput.py --pyweld build/bin/pyweld [CASE...]

The real source (Debian's python3.11 .dsc and its .orig.tar.gz) is looked
for where `pyweld python build` downloads it and in /tmp/pysrc; --sources
DIR overrides.  Each case's directory is removed when it passes and left,
its path printed, when it fails.  Exit status: 0 passed, 1 failed, 77
skipped (a prerequisite is absent, said why), 2 usage.
"""

import argparse
import fcntl
import glob
import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weld_testlib import Failure, Skip, run_cases, run_group  # noqa: E402


# --- helpers ----------------------------------------------------------------


class Case:
    """One case: its temporary directory, environment and failed checks."""

    def __init__(self, name, args):
        self.name = name
        self.args = args
        self.pyweld = os.path.abspath(args.pyweld)
        base = os.environ.get("TMPDIR") or "/tmp"
        self.dir = tempfile.mkdtemp(prefix=f"pyweld-python-{name}-", dir=base)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": self.dir, "LC_ALL": "C.UTF-8", "TZ": "UTC"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR"):
            if k in os.environ:
                self.env[k] = os.environ[k]
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
            self.problems.append(msg)
            raise Failure("")   # the message is in problems

    def run(self, argv, timeout=300):
        return run_group(argv, self.env, self.dir, timeout)

    def build(self, source, cache, timeout=300):
        return self.run([self.pyweld, "python", "build", "--source", source,
                         "--cache", cache], timeout=timeout)


def find_sources(args):
    """(dsc, orig tarball) of Debian's python3.11, or (None, None)."""
    dirs = []
    if args.sources:
        dirs.append(args.sources)
    for var in ("PYWELD_CACHE",):
        if os.environ.get(var):
            dirs.append(os.path.join(os.environ[var], "downloads/debian"))
    if os.environ.get("XDG_CACHE_HOME"):
        dirs.append(os.path.join(os.environ["XDG_CACHE_HOME"], "pyweld/downloads/debian"))
    dirs.append(os.path.expanduser("~/.cache/pyweld/downloads/debian"))
    dirs.append("/tmp/pysrc")
    for d in dirs:
        dscs = sorted(glob.glob(os.path.join(d, "python3.11_*.dsc")))
        origs = sorted(glob.glob(os.path.join(d, "python3.11_*.orig.tar.*")))
        if dscs and origs:
            return dscs[-1], origs[-1]
    return None, None


def need_sources(c):
    dsc, orig = find_sources(c.args)
    if not dsc:
        raise Skip("no python3.11 .dsc and .orig tarball downloaded (run 'pyweld python "
                   "build' once, or give --sources DIR)")
    return dsc, orig


def tree_digest(root):
    """Paths, modes and contents of a tree: to prove the build left it alone."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames + dirnames):
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            h.update(f"{os.path.relpath(p, root)} {st.st_mode:o}\n".encode())
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def cpython_like_tree(root, version, configure_body):
    """A tree that passes pyweld's checks up to configure."""
    # PY_VERSION_HEX first, with a quoted word on its line: the version is
    # PY_VERSION's, not the first quote after a name that begins the same
    write(os.path.join(root, "Include/patchlevel.h"),
          "/* a test tree, not CPython */\n"
          "#define PY_VERSION_HEX 0x030A0DF0  /* \"hex\" */\n"
          f"#define PY_VERSION \"{version}\"\n")
    write(os.path.join(root, "README.rst"), "not really CPython\n")
    write(os.path.join(root, "configure"), "#!/bin/sh\n" + configure_body, 0o755)


FAILING_CONFIGURE = (
    'echo "checking for gcc... no"\n'
    'echo "configure: error: pyweld-test: no acceptable C compiler found" >&2\n'
    "exit 1\n")


def lock_held(work):
    """Whether a build holds the lock of its work directory (flock)."""
    try:
        fd = os.open(os.path.join(work, ".lock"), os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def cache_state(cache):
    """What the cache's python/ directory holds, for the messages."""
    pydir = os.path.join(cache, "python")
    if not os.path.isdir(pydir):
        return "(no python/ directory)"
    return ", ".join(sorted(os.listdir(pydir))) or "(empty)"


def failed_logs(cache):
    return sorted(glob.glob(os.path.join(cache, "python", "*.failed.log")))


def check_trustless(c, cache, what):
    """Nothing in the cache that a later call would take for a distribution."""
    pydir = os.path.join(cache, "python")
    if os.path.isdir(pydir):
        for name in sorted(os.listdir(pydir)):
            p = os.path.join(pydir, name)
            c.check(not os.path.exists(os.path.join(p, "COMPLETE")),
                    f"{what}: '{p}/COMPLETE' exists after a failed build")
            if name.startswith(".work-"):
                c.check(lock_held(p),
                        f"{what}: work directory '{name}' of a build that is over (its "
                        "lock is free) was left in the cache (a failed build removes "
                        "its own)")
        current = os.path.join(pydir, "current")
        c.check(not os.path.lexists(current),
                f"{what}: '{current}' exists after a failed build")
    p = c.run([c.pyweld, "python", "path", "--cache", cache])
    c.check(p.returncode != 0 and p.err.startswith("pyweld: error:"),
            f"{what}: 'pyweld python path --cache' found a distribution after a failed "
            f"build (exit {p.returncode}): {p.out}{p.err}")


def check_failure(c, p, cache, what, must=(), log_must=()):
    """A failed build: status 1, one clear error line, a log, nothing trusted."""
    lines = p.err.splitlines()
    errors = [l for l in lines if l.startswith("pyweld: error:")]
    c.require(p.returncode == 1,
              f"{what}: expected exit status 1, got {p.returncode}\nstderr:\n{p.err}")
    c.check(p.out == "", f"{what}: a failed build printed on stdout: {p.out!r}")
    c.require(len(errors) == 1,
              f"{what}: expected one line starting with 'pyweld: error:', got "
              f"{len(errors)}\nstderr:\n{p.err}")
    err = errors[0]
    c.check("using the cached distribution" not in p.err,
            f"{what}: a failed build reported a cached distribution:\n{p.err}")
    # What comes after the error is hints only.
    after = lines[lines.index(err) + 1:]
    c.check(all(l.startswith("hint: ") for l in after),
            f"{what}: unexpected lines after the error: {after}")
    # Output of other programs shown before pyweld's message (not an error).
    stray = [l for l in lines if l and not l.startswith(("pyweld: ", "hint: "))]
    if stray:
        print(f"  note ({what}): {len(stray)} line(s) of another program's stderr "
              f"before the error, e.g. {stray[0]!r}")
    for pattern in must:
        c.check(re.search(pattern, err, re.I),
                f"{what}: the error does not match /{pattern}/: {err!r}")
    logs = re.findall(r"the full log is '([^']+)'", p.err)
    for log in logs:
        if c.check(os.path.isfile(log),
                   f"{what}: the hint names the log '{log}', which does not exist "
                   f"(the cache holds: {cache_state(cache)})"):
            # Anything else would be inside the removed work directory.
            c.check(re.fullmatch(re.escape(os.path.join(cache, "python")) +
                                 r"/[0-9a-f]{16}\.failed\.log", log),
                    f"{what}: the log kept is '{log}', not <cache>/python/<key>.failed.log")
    if log_must:
        c.check(logs, f"{what}: no hint names the log:\n{p.err}")
        for log in logs:
            text = open(log, errors="replace").read() if os.path.isfile(log) else ""
            for pattern in log_must:
                c.check(re.search(pattern, text),
                        f"{what}: the log '{log}' does not match /{pattern}/")
    check_trustless(c, cache, what)
    return err, logs


def fail_twice(c, source, cache, what, **kw):
    """Two identical calls fail the same way; the second never says cached."""
    p = c.build(source, cache)
    err, logs = check_failure(c, p, cache, what, **kw)
    p2 = c.build(source, cache)
    err2, _ = check_failure(c, p2, cache, what + " (second call)", **kw)
    # The same but for the unique part of a work directory's name.
    def norm(e):
        return re.sub(r"(\.work-[0-9a-f]+)-\w+", r"\1-XXXXXX", e)
    c.check(norm(err2) == norm(err),
            f"{what}: the second call failed differently:\n  {err}\n  {err2}")
    return err, logs


# --- cases ------------------------------------------------------------------


def case_truncated_tarball(c):
    """The real upstream tarball cut to 1 MB."""
    _, orig = find_sources(c.args)
    src = c.path("Python-3.11.2.tgz")
    if orig:
        with open(orig, "rb") as f, open(src, "wb") as out:
            out.write(f.read(1 << 20))
    else:
        # No download at hand: a CPython-like tarball of incompressible
        # content, cut in the middle of a member.
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as t:
            for name, data in (("Python-3.11.2/Include/patchlevel.h",
                                b'#define PY_VERSION "3.11.2"\n'),
                               ("Python-3.11.2/Lib/blob.bin", os.urandom(3 << 20)),
                               ("Python-3.11.2/configure", b"#!/bin/sh\nexit 0\n")):
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
        with open(src, "wb") as out:
            out.write(buf.getvalue()[:1 << 20])
    cache = c.path("cache")
    fail_twice(c, src, cache, "truncated tarball",
               must=(r"cannot unpack", re.escape(src), r"truncated|damaged|corrupt"))
    c.check(len(failed_logs(cache)) == 1,
            f"expected one <key>.failed.log in the cache, found: {cache_state(cache)}")


def case_other_program(c):
    """A tarball of another program: a README and a Makefile."""
    top = c.path("hello-1.0")
    write(os.path.join(top, "README"), "hello: prints hello\n")
    write(os.path.join(top, "Makefile"), "all:\n\techo hello\n")
    src = c.path("hello-1.0.tar.gz")
    with tarfile.open(src, "w:gz") as t:
        t.add(top, arcname="hello-1.0")
    cache = c.path("cache")
    fail_twice(c, src, cache, "tarball of another program",
               must=(re.escape(src), r"not a CPython source"))


def case_configure_fails(c):
    """A tree whose configure exits 1: the error names the step and the log."""
    tree = c.path("cpython-3.11.9")
    cpython_like_tree(tree, "3.11.9", FAILING_CONFIGURE)
    before = tree_digest(tree)
    cache = c.path("cache")
    err, logs = fail_twice(c, tree, cache, "configure fails",
                           must=(r"\bconfigure\b",),
                           log_must=(r"configure: error: pyweld-test: no acceptable C "
                                     r"compiler found",))
    c.check(any(l.endswith(".failed.log") and os.path.dirname(l) ==
                os.path.join(cache, "python") for l in logs),
            f"the hint should name <cache>/python/<key>.failed.log, it names {logs}")
    c.check(tree_digest(tree) == before, "the build changed the user's source tree")


def refused_before_configure(c, tree, what, must, extra=()):
    """A tree pyweld must refuse before configure runs: one error, and the
    tree as it was."""
    before = tree_digest(tree)
    cache = c.path("cache")
    p = c.run([c.pyweld, "python", "build", "--source", tree, "--cache", cache, *extra],
              timeout=300)
    err, logs = check_failure(c, p, cache, what, must=must)
    c.check("configure" not in p.err, f"{what} got as far as configure:\n{p.err}")
    for log in logs:
        if os.path.isfile(log):
            c.check("configure ran" not in open(log, errors="replace").read(),
                    f"configure of {what} was run (see '{log}')")
    c.check(tree_digest(tree) == before, "the build changed the user's source tree")


def case_python_3_10(c):
    """A tree of a CPython version pyweld does not build is refused before
    configure (3.11 to 3.14 are built)."""
    tree = c.path("cpython-3.10.13")
    cpython_like_tree(tree, "3.10.13", 'echo "configure ran" >&2\nexit 0\n')
    refused_before_configure(c, tree, "a CPython 3.10 tree", (r"3\.10\.13", r"3\.11"))


def case_version_mismatch(c):
    """--python 3.13 with a 3.11 tree: refused before configure, naming both."""
    tree = c.path("cpython-3.11.9")
    cpython_like_tree(tree, "3.11.9", 'echo "configure ran" >&2\nexit 0\n')
    refused_before_configure(c, tree, "a 3.11 tree with --python 3.13",
                             (r"3\.11\.9", r"3\.13", r"--python"), ("--python", "3.13"))


def case_unknown_version(c):
    """--python of a version pyweld does not build is a usage error (exit 2),
    for python build and pyweld build alike, with nothing written."""
    cache = c.path("cache")
    for argv in (["python", "build", "--python", "3.9", "--cache", cache],
                 ["python", "build", "--python", "3.13'; rm -rf ~", "--cache", cache],
                 ["python", "info", "--python", "4.0", "--cache", cache],
                 ["build", "--python", "2.7", "--cache", cache, "-o", c.path("app"),
                  "--python-code", "pass"]):
        p = c.run([c.pyweld, *argv], timeout=60)
        what = "'pyweld " + " ".join(argv) + "'"
        c.check(p.returncode == 2, f"{what} exited {p.returncode}, not 2:\n{p.err}")
        c.check(re.search(r"3\.11, 3\.12, 3\.13 or 3\.14", p.err),
                f"{what} does not say which versions pyweld builds:\n{p.err}")
    c.check(not os.path.exists(os.path.join(cache, "python")),
            f"a refused version wrote into the cache: {cache_state(cache)}")
    c.check(not os.path.exists(c.path("app")), "a refused version wrote the application")


def case_not_a_tree(c):
    """A directory without Include/patchlevel.h."""
    tree = c.path("project")
    write(os.path.join(tree, "README"), "some project\n")
    write(os.path.join(tree, "configure"), "#!/bin/sh\nexit 0\n", 0o755)
    cache = c.path("cache")
    fail_twice(c, tree, cache, "not a CPython tree",
               must=(r"not a CPython source tree", r"patchlevel\.h"))


def case_missing_source(c):
    """--source names nothing."""
    cache = c.path("cache")
    fail_twice(c, c.path("no-such-Python-3.11.2.tgz"), cache, "missing source",
               must=(r"no-such-Python-3\.11\.2\.tgz", r"No such file or directory"))


def case_dsc_wrong_orig(c):
    """Debian's .dsc beside an upstream tarball that is not the one it lists."""
    dsc, orig = need_sources(c)
    d = c.path("debian")
    os.makedirs(d)
    shutil.copy(dsc, d)
    for f in glob.glob(os.path.join(os.path.dirname(dsc), "python3.11_*.debian.tar.*")):
        shutil.copy(f, d)
    mydsc = os.path.join(d, os.path.basename(dsc))
    mine = os.path.join(d, os.path.basename(orig))
    cache = c.path("cache")
    with open(orig, "rb") as f, open(mine, "wb") as out:
        out.write(f.read(1 << 20))
    err, _ = fail_twice(c, mydsc, cache, ".dsc with a 1 MB upstream tarball",
                        must=(re.escape(os.path.basename(orig)) +
                              r"|checksum|size|truncated",))
    # The .dsc's checksums are verified before the source gets a cache key:
    # a tarball that is not the one it lists never reaches the cache, so it
    # cannot stand for the genuine source under the genuine key.
    with open(orig, "rb") as f, open(mine, "wb") as out:
        out.write(f.read(2 << 20))
    p = c.build(mydsc, cache)
    check_failure(c, p, cache, ".dsc with a 2 MB upstream tarball")
    c.check(re.search(r"its \.dsc lists|SHA-256|checksum", p.err) is not None,
            f"the refusal does not say the tarball does not match the .dsc: {p.err!r}")
    c.check(not failed_logs(cache),
            "a source whose files do not match its .dsc got a cache key (a failed "
            f"build log under a key): {cache_state(cache)}")


class Tmpfs:
    """A small tmpfs mounted for the duration of a case (root only)."""

    def __init__(self, path, size):
        self.path = path
        self.size = size
        self.mounted = False

    def __enter__(self):
        if os.geteuid() != 0:
            raise Skip("mounting a small tmpfs needs root")
        os.makedirs(self.path, exist_ok=True)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size}", "tmpfs",
                            self.path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            raise Skip("cannot mount a tmpfs here: " + p.stdout.decode(errors="replace"))
        self.mounted = True
        return self

    def used(self):
        st = os.statvfs(self.path)
        return (st.f_blocks - st.f_bfree) * st.f_frsize

    def __exit__(self, *exc):
        if not self.mounted:
            return False
        for attempt in range(10):
            if subprocess.run(["umount", self.path], stderr=subprocess.DEVNULL).returncode == 0:
                break
            time.sleep(0.5)
        else:
            subprocess.run(["umount", "-l", self.path])
        return False


def enospc(c, source, what):
    cache = c.path("cache")
    with Tmpfs(cache, "64m") as fs:
        try:
            err, logs = fail_twice(c, source, cache, what,
                                   must=(r"no space|ENOSPC|disk full|space left",))
            c.check(fs.used() < 8 << 20,
                    f"{what}: the failed build left {fs.used() >> 20} MB in the cache: "
                    f"{cache_state(cache)}")
        finally:
            # Keep what the cache held for a failed case's post-mortem.
            keep = c.path("cache-contents")
            for log in failed_logs(cache):
                os.makedirs(keep, exist_ok=True)
                shutil.copy(log, keep)


def case_enospc_dsc(c):
    """No space for the cache, Debian's .dsc: a clear error, nothing kept."""
    dsc, _ = need_sources(c)
    enospc(c, dsc, "no space (.dsc)")


def case_enospc_tarball(c):
    """No space for the cache, the upstream tarball."""
    _, orig = need_sources(c)
    enospc(c, orig, "no space (tarball)")


PATCHES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "..", "..", "pydist", "patches", "3.11")


def old_side(patch, hunks):
    """The text the first `hunks` hunks of a patch file expect (context and
    removed lines), one hunk after another."""
    out, n, inside = [], 0, False
    with open(patch) as f:
        for line in f.read().splitlines():
            if line.startswith("@@"):
                n += 1
                inside = n <= hunks
            elif inside and line[:1] in (" ", "-"):
                out.append(line[1:])
    return "\n".join(out) + "\n"


def case_patch_half_applies(c):
    """pyweld's patches all or nothing: one whose first hunk applies and the
    rest not leaves the file as it was (no backup or reject file), and the
    log names the patch and the file."""
    tree = c.path("cpython-3.11.9")
    cpython_like_tree(tree, "3.11.9", FAILING_CONFIGURE)
    patch = os.path.join(PATCHES, "typeobject-slots.patch")
    if not os.path.isfile(patch):
        raise Skip(f"no '{patch}' (tests run from pyweld's source tree)")
    typeobject = (old_side(patch, 1) + "\n/* Common code for update_slots_callback() and "
                  "fixup_slot_dispatchers().\n */\n")
    write(os.path.join(tree, "Objects/typeobject.c"), typeobject)
    write(os.path.join(tree, "Lib/re/_compiler.py"), "def compile(p, flags=0):\n    pass\n")
    before = tree_digest(tree)
    cache = c.path("cache")
    p = c.run([c.pyweld, "python", "build", "--source", tree, "--cache", cache,
               "--keep-build"])
    c.require(p.returncode == 1 and "configure" in p.err,
              f"expected the build to fail at configure, got status {p.returncode}:\n{p.err}")
    works = glob.glob(os.path.join(cache, "python", ".work-*", "src"))
    c.require(len(works) == 1, f"--keep-build kept {works}, not one source tree")
    with open(os.path.join(works[0], "Objects/typeobject.c")) as f:
        c.check(f.read() == typeobject,
                "Objects/typeobject.c was changed by a patch that does not apply whole")
    left = [os.path.join(d, n) for d, _, names in os.walk(works[0]) for n in names
            if n.endswith((".orig", ".rej"))]
    c.check(not left, f"patch left files in the tree: {left}")
    logs = glob.glob(os.path.join(cache, "python", "*.failed.log"))
    text = open(logs[0], errors="replace").read() if logs else ""
    for name, file in (("typeobject-slots.patch", "Objects/typeobject.c"),
                       ("re-precompiled.patch", "Lib/re/_compiler.py")):
        c.check(f"pyweld: the patch {name} does not apply to {file}; left as it is" in text,
                f"the log does not say that {name} does not apply to {file} ({logs})")
    c.check(tree_digest(tree) == before, "the build changed the user's source tree")


def case_killed_build(c):
    """A build killed during configure leaves a work directory that the next
    build removes; nothing of it is ever used."""
    tree = c.path("slow-3.11.9")
    cpython_like_tree(tree, "3.11.9", 'echo "pyweld-test: configure started"\n'
                                      "sleep 120\nexit 0\n")
    cache = c.path("cache")
    pydir = os.path.join(cache, "python")
    proc = subprocess.Popen([c.pyweld, "python", "build", "--source", tree, "--cache", cache],
                            env=c.env, cwd=c.dir, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    work = None
    try:
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            logs = glob.glob(os.path.join(pydir, ".work-*", "build.log"))
            if logs and "pyweld-test: configure started" in open(logs[0], errors="replace").read():
                work = os.path.dirname(logs[0])
                break
            time.sleep(0.1)
        c.require(work is not None, "the slow configure never started: "
                  f"{proc.poll()} {cache_state(cache)}")
        c.check(lock_held(work), f"the running build does not hold the lock of '{work}'")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
    c.check(not lock_held(work),
            f"the work directory '{work}' is still locked after its build was killed")
    m = re.fullmatch(r"\.work-([0-9a-f]+)-\w{6}", os.path.basename(work))
    c.require(m, f"the work directory '{work}' is not named .work-<key>-XXXXXX")
    key = m.group(1)
    c.check(not os.path.exists(os.path.join(pydir, key)),
            f"a killed build left '{pydir}/{key}'")
    c.check(not os.path.lexists(os.path.join(pydir, "current")),
            "a killed build left a 'current' link")
    p = c.run([c.pyweld, "python", "path", "--cache", cache])
    c.check(p.returncode != 0 and p.err.startswith("pyweld: error:"),
            f"'pyweld python path' found a distribution after a killed build: {p.out}{p.err}")
    # The next build (another source, failing fast) sweeps the dead one's
    # work directory and leaves none of its own.
    other = c.path("cpython-3.11.9")
    cpython_like_tree(other, "3.11.9", FAILING_CONFIGURE)
    p = c.build(other, cache)
    check_failure(c, p, cache, "build after a killed build", must=(r"\bconfigure\b",))
    left = glob.glob(os.path.join(pydir, ".work-*"))
    c.check(not left, f"work directories left after the next build: {left}")


def case_half_built(c):
    """A distribution directory without COMPLETE, even with a 'current' link
    to it, is never used, and a build of its key really builds."""
    tree = c.path("cpython-3.11.9")
    cpython_like_tree(tree, "3.11.9", FAILING_CONFIGURE)
    cache = c.path("cache")
    pydir = os.path.join(cache, "python")
    p = c.build(tree, cache)
    check_failure(c, p, cache, "first build", must=(r"\bconfigure\b",))
    logs = failed_logs(cache)
    c.require(len(logs) == 1, f"expected one failed log: {cache_state(cache)}")
    key = os.path.basename(logs[0])[:-len(".failed.log")]
    # What an interrupted rename or a careless copy could leave: everything
    # but the COMPLETE marker.
    half = os.path.join(pydir, key)
    write(os.path.join(half, "distribution.json"), '{"python_version": "3.11.9"}\n')
    write(os.path.join(half, "prefix/bin/python3.11"), "#!/bin/sh\nexit 0\n", 0o755)
    write(os.path.join(half, "build.log"), "half\n")
    os.symlink(key, os.path.join(pydir, "current"))
    for argv in (["python", "path", "--cache", cache],
                 ["python", "info", "--cache", cache],
                 ["python", "info", "--json", "--dist", half]):
        p = c.run([c.pyweld, *argv])
        c.check(p.returncode == 1 and p.err.startswith("pyweld: error:") and
                "not a complete pyweld distribution" in p.err,
                f"'pyweld {' '.join(argv)}' used a directory without COMPLETE "
                f"(exit {p.returncode}): {p.out}{p.err}")
    p = c.build(tree, cache)
    c.check(p.returncode == 1 and "using the cached distribution" not in p.err,
            f"a build found the half-built directory acceptable:\n{p.err}")
    c.check(re.search(r"\[3/\d+\] configure", p.err) and "configure failed" in p.err,
            f"the build of the half-built key did not build again:\n{p.err}")
    c.check(not os.path.exists(os.path.join(half, "COMPLETE")),
            "the half-built directory got a COMPLETE marker")
    c.check(not glob.glob(os.path.join(pydir, ".work-*")),
            f"work directories left: {cache_state(cache)}")


CASES = {
    "truncated_tarball": case_truncated_tarball,
    "other_program": case_other_program,
    "configure_fails": case_configure_fails,
    "python_3_10": case_python_3_10,
    "version_mismatch": case_version_mismatch,
    "unknown_version": case_unknown_version,
    "not_a_tree": case_not_a_tree,
    "missing_source": case_missing_source,
    "dsc_wrong_orig": case_dsc_wrong_orig,
    "enospc_dsc": case_enospc_dsc,
    "enospc_tarball": case_enospc_tarball,
    "patch_half_applies": case_patch_half_applies,
    "killed_build": case_killed_build,
    "half_built": case_half_built,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pyweld", help="the pyweld executable")
    ap.add_argument("--sources", help="directory holding python3.11_*.dsc and its tarballs")
    ap.add_argument("--list", action="store_true", help="list the cases")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    ap.add_argument("cases", nargs="*", help="cases to run (default: all)")
    args = ap.parse_args()
    if args.list:
        for name, fn in CASES.items():
            print(f"{name:20} {fn.__doc__.splitlines()[0]}")
        return 0
    if not args.pyweld:
        ap.error("--pyweld is required")
    unknown = [n for n in args.cases if n not in CASES]
    if unknown:
        ap.error(f"unknown case(s): {', '.join(unknown)} (see --list)")
    return run_cases(args.cases or list(CASES), lambda name: Case(name, args),
                     lambda name, c: CASES[name](c), args.keep)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""cache_hardening.py: nothing another user or process writes gets into a binary.

pyweld keeps a CPython distribution, derived objects and bytecode in its
cache and links them into every binary it welds, so the cache must be the
user's own.  The cases run the real `pyweld` in a scrubbed environment
(HOME is the case's own directory) with caches in the case's directory:

local (no distribution needed, seconds):
  no_home              no HOME, XDG_CACHE_HOME or PYWELD_CACHE: never a cache in
                       the shared temporary directory; as a user without a home
                       (nobody) a clear error with a hint, as root the password
                       database's home; XDG_CACHE_HOME alone is used
  writable_root        a cache root others can write, given by --cache,
                       PYWELD_CACHE, XDG_CACHE_HOME or HOME, is refused by
                       `python path`, `python build` and `build`, which print
                       "cannot use the cache 'DIR': it is writable by other
                       users" and a hint and write nothing into it; sticky too
  group_writable       group-writable: refused for a group of others (staff),
                       accepted for the user's own private group
  other_owner          a cache root, or a symbolic link planted as one, of
                       another user is refused; the user's own link is followed
  replaceable_root     a directory above the root that others can write (not
                       sticky) is refused: they could replace the cache
  created_private      a cache pyweld creates, parents included, under umask 0,
                       is writable by nobody else
  sweep_locked         a work directory whose lock another process holds (a
                       build on another host, or in another pid namespace, whose
                       pid is dead here) is left alone by the next build; once
                       the lock is free it is swept; one without a lock file (an
                       older pyweld's) is left alone
  sweep_pid_namespace  a real build running in another pid namespace (as pid
                       that is dead here) keeps its work directory while a
                       build beside it sweeps, and ends normally
  strace_atomic        util_write_atomic with sync: fsync of the file, the
                       rename, then fsync of its directory (strace)

distribution (weld; need `pyweld python build` done):
  strace_weld          the welded binary's rename over -o is followed by an
                       fsync of its directory
  strace_current       the distribution's "current" link is renamed into place
                       and its directory fsynced

    cache_hardening.py --pyweld build/bin/pyweld --cache-tool build/bin/cache_tool
                       [--group local|distribution] [CASE...]

Cases that need root (chown, setpriv, unshare) skip without it, saying so.
Exit status: 0 passed, 1 failed, 77 all skipped, 2 usage.
"""

import argparse
import fcntl
import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weld_testlib import Failure, Skip, run_cases, run_group  # noqa: E402

NOBODY = 65534


class Case:
    def __init__(self, name, args):
        self.name = name
        self.args = args
        self.pyweld = os.path.abspath(args.pyweld)
        base = os.environ.get("TMPDIR") or "/tmp"
        self.dir = tempfile.mkdtemp(prefix=f"pyweld-cache-{name}-", dir=base)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": self.dir, "LC_ALL": "C.UTF-8", "TZ": "UTC"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR"):
            if k in os.environ:
                self.env[k] = os.environ[k]
        self.problems = []

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def check(self, cond, msg):
        if not cond:
            self.problems.append(msg)
        return cond

    def require(self, cond, msg):
        if not cond:
            self.problems.append(msg)
            raise Failure("")

    def run(self, argv, env=None, timeout=300, preexec=None):
        return run_group(argv, env or self.env, self.dir, timeout, preexec=preexec)


def need_root(what):
    if os.geteuid() != 0:
        raise Skip(f"{what} needs root")


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def cpython_like_tree(root, version, configure_body):
    """A tree that passes pyweld's checks up to configure."""
    write(os.path.join(root, "Include/patchlevel.h"),
          f"/* a test tree, not CPython */\n#define PY_VERSION \"{version}\"\n")
    write(os.path.join(root, "README.rst"), "not really CPython\n")
    write(os.path.join(root, "configure"), "#!/bin/sh\n" + configure_body, 0o755)


FAILING_CONFIGURE = ('echo "configure: error: pyweld-test: no acceptable C compiler" >&2\n'
                     "exit 1\n")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def dead_pid():
    """A pid no process here has (above the ones in use, below pid_max)."""
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    for pid in range(pid_max - 1000, pid_max - 10):
        if not pid_alive(pid):
            return pid
    raise Skip("no free pid below pid_max")


def error_lines(p):
    return [l for l in p.err.splitlines() if l.startswith("pyweld: error:")]


def expect_refused(c, p, what, error, hint=True):
    """Exit 1, the error line (a regex, matched whole) first, a hint after."""
    errs = error_lines(p)
    c.check(p.returncode == 1,
            f"{what}: expected exit status 1, got {p.returncode}\n{p.out}{p.err}")
    if not c.check(len(errs) == 1 and re.fullmatch(error, errs[0]),
                   f"{what}: expected one error line matching /{error}/, got:\n{p.err}"):
        return
    if hint:
        after = p.err.splitlines()[p.err.splitlines().index(errs[0]) + 1:]
        c.check(after and all(l.startswith("hint: ") for l in after),
                f"{what}: expected a hint after the error, got:\n{p.err}")


def three_commands(c, cache_arg, out):
    """`python path`, `python build` of a failing tree and `build`, each with
    the cache given by cache_arg (a list of arguments, maybe empty)."""
    tree = c.path("cpython-3.11.9")
    if not os.path.isdir(tree):
        cpython_like_tree(tree, "3.11.9", FAILING_CONFIGURE)
    return [
        ("python path", [c.pyweld, "python", "path", *cache_arg]),
        ("python build", [c.pyweld, "python", "build", "--source", tree, *cache_arg]),
        # --dist: no distribution is ever built here; the cache still holds
        # the derived objects, so it is checked first
        ("build", [c.pyweld, "build", "--python-code", "print(1)", "-o", out,
                   "--dist", c.path("no-dist"), *cache_arg]),
    ]


def refuse_everywhere(c, root, reason, env_extra=None, cache_arg=None, label=""):
    """All three commands refuse root with `cannot use the cache 'root': reason`
    and leave nothing in it."""
    before = sorted(os.listdir(root)) if os.path.isdir(root) else None
    env = dict(c.env, **(env_extra or {}))
    out = c.path("out", "app")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    for what, argv in three_commands(c, cache_arg or [], out):
        p = c.run(argv, env=env)
        expect_refused(c, p, f"{label}{what}",
                       re.escape(f"pyweld: error: cannot use the cache '{root}': ") + reason)
        c.check(not os.path.exists(out), f"{label}{what}: wrote '{out}'")
        if before is not None:
            c.check(sorted(os.listdir(root)) == before,
                    f"{label}{what}: wrote into the refused cache: {sorted(os.listdir(root))}")


def accepted(c, root, cache_arg=None, env_extra=None, label=""):
    """`python path` accepts root: it looks for a distribution there."""
    env = dict(c.env, **(env_extra or {}))
    p = c.run([c.pyweld, "python", "path", *(cache_arg or [])], env=env)
    c.check(p.returncode == 1 and
            f"pyweld: error: no distribution built yet in '{root}/python'" in p.err,
            f"{label}python path did not accept the cache '{root}':\n{p.err}")


# --- the cache root -------------------------------------------------------------


def case_no_home(c):
    """No HOME: the password database's home, never the temporary directory."""
    env = {k: v for k, v in c.env.items() if k != "HOME"}
    # root (the test's user): the home directory of the password database
    home = pwd.getpwuid(os.geteuid()).pw_dir
    p = c.run([c.pyweld, "python", "path"], env=env)
    c.check("/tmp/" not in p.out + p.err and
            os.path.join(home, ".cache/pyweld") in p.out + p.err,
            f"without HOME, 'python path' did not use '{home}/.cache/pyweld' "
            f"(the password database's home of uid {os.geteuid()}):\n{p.out}{p.err}")
    # XDG_CACHE_HOME alone is enough; a relative one is ignored (the XDG spec)
    xdg = c.path("xdg")
    os.mkdir(xdg)
    accepted(c, os.path.join(xdg, "pyweld"), env_extra={"XDG_CACHE_HOME": xdg},
             label="XDG_CACHE_HOME: ")
    accepted(c, c.path(".cache/pyweld"), env_extra={"XDG_CACHE_HOME": "relative/dir"},
             label="relative XDG_CACHE_HOME: ")
    need_root("running pyweld as a user without a home (nobody)")
    # nobody: HOME unset, its home (/nonexistent) does not exist
    os.chmod(c.dir, 0o755)
    out = c.path("nobody-out")
    os.mkdir(out)
    os.chown(out, NOBODY, NOBODY)
    tmp_cache = os.path.join(tempfile.gettempdir(), ".cache", "pyweld")
    existed = os.path.lexists(tmp_cache) or os.path.lexists("/tmp/.cache/pyweld")
    as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    nenv = {"PATH": env["PATH"], "LC_ALL": "C.UTF-8", "TZ": "UTC"}
    for what, argv in three_commands(c, [], os.path.join(out, "app")):
        p = c.run(as_nobody + argv, env=nenv)
        expect_refused(c, p, f"nobody, no HOME: {what}",
                       r"pyweld: error: cannot choose a cache directory: HOME is not set "
                       r"and the home directory of uid 65534 \('/nonexistent'\) does not "
                       r"exist")
        c.check("/.cache" not in p.err, f"nobody, no HOME: {what} names a cache:\n{p.err}")
    if not existed:
        for d in sorted({tmp_cache, "/tmp/.cache/pyweld"}):
            c.check(not os.path.lexists(d), f"'{d}' was created")
    # with XDG_CACHE_HOME of its own, nobody gets on
    xn = c.path("nobody-xdg")
    os.mkdir(xn)
    os.chown(xn, NOBODY, NOBODY)
    p = c.run(as_nobody + [c.pyweld, "python", "path"], env=dict(nenv, XDG_CACHE_HOME=xn))
    c.check(f"no distribution built yet in '{xn}/pyweld/python'" in p.err,
            f"nobody with XDG_CACHE_HOME: {p.err}")


def case_writable_root(c):
    """A cache root others can write is refused, however it is given."""
    for via in ("--cache", "PYWELD_CACHE", "XDG_CACHE_HOME", "HOME"):
        base = c.path(via.lower().lstrip("-"))
        if via == "XDG_CACHE_HOME":
            root, env, arg = os.path.join(base, "pyweld"), {"XDG_CACHE_HOME": base}, []
        elif via == "HOME":
            root, env, arg = os.path.join(base, ".cache/pyweld"), {"HOME": base}, []
        else:
            root = base
            env, arg = ({}, ["--cache", root]) if via == "--cache" else ({via: root}, [])
        os.makedirs(root)
        for mode in (0o777, 0o1777, 0o757):
            os.chmod(root, mode)
            refuse_everywhere(c, root, re.escape("it is writable by other users"),
                              env_extra=env, cache_arg=arg,
                              label=f"{via}, mode {mode:o}: ")
        os.chmod(root, 0o755)
        accepted(c, root, cache_arg=arg, env_extra=env, label=f"{via}, mode 755: ")


def case_group_writable(c):
    """Group-writable: refused for a group of others, not for the user's own."""
    need_root("chgrp to another group")
    import grp
    root = c.path("cache")
    os.mkdir(root)
    os.chmod(root, 0o775)
    staff = grp.getgrnam("staff").gr_gid
    os.chown(root, -1, staff)
    refuse_everywhere(c, root, re.escape("it is writable by other users"),
                      cache_arg=["--cache", root], label="group staff: ")
    me = pwd.getpwuid(os.geteuid())
    own = grp.getgrgid(me.pw_gid)
    if own.gr_name == me.pw_name and not own.gr_mem:
        os.chown(root, -1, me.pw_gid)
        accepted(c, root, cache_arg=["--cache", root], label="own private group: ")


def case_other_owner(c):
    """A root of another user, or their link planted as the root, is refused."""
    need_root("a directory of another user")
    theirs = c.path("theirs")
    os.mkdir(theirs)
    os.chown(theirs, NOBODY, NOBODY)
    refuse_everywhere(c, theirs, re.escape("it belongs to another user (uid 65534, "
                                           "'nobody')"),
                      cache_arg=["--cache", theirs], label="owned by nobody: ")
    mine = c.path("mine")
    os.mkdir(mine)
    link = c.path("planted")
    os.symlink(mine, link)
    os.lchown(link, NOBODY, NOBODY)
    refuse_everywhere(c, link, re.escape("it is a symbolic link of another user "
                                         "(uid 65534, 'nobody')"),
                      cache_arg=["--cache", link], label="link planted by nobody: ")
    # the same through PYWELD_CACHE, and as a parent of the root
    refuse_everywhere(c, link, re.escape("it is a symbolic link of another user "
                                         "(uid 65534, 'nobody')"),
                      env_extra={"PYWELD_CACHE": link}, label="PYWELD_CACHE link: ")
    own = c.path("own-link")
    os.symlink(mine, own)
    accepted(c, own, cache_arg=["--cache", own], label="own link: ")


def case_replaceable_root(c):
    """A directory above the root that others can write: refused."""
    parent = c.path("shared")
    root = os.path.join(parent, "cache")
    os.makedirs(root)
    os.chmod(parent, 0o777)
    refuse_everywhere(c, root, re.escape(f"'{parent}' is writable by other users, who "
                                         "could replace the cache"),
                      cache_arg=["--cache", root], label="parent 777: ")
    os.chmod(parent, 0o1777)
    accepted(c, root, cache_arg=["--cache", root], label="parent sticky: ")


def case_created_private(c):
    """The directories pyweld creates for its cache are its user's alone."""
    root = c.path("a", "b", "cache")
    tree = c.path("cpython-3.11.9")
    cpython_like_tree(tree, "3.11.9", FAILING_CONFIGURE)
    p = c.run([c.pyweld, "python", "build", "--source", tree, "--cache", root],
              preexec=lambda: os.umask(0))
    c.check(p.returncode == 1 and "configure failed" in p.err,
            f"the build did not get to configure:\n{p.err}")
    for d in (c.path("a"), c.path("a", "b"), root, os.path.join(root, "python")):
        st = os.lstat(d)
        c.check(st.st_mode & 0o022 == 0,
                f"'{d}' was created writable by others: {st.st_mode & 0o7777:o}")


# --- the stale-build sweep ---------------------------------------------------------


def plant_work(pydir, name, lock):
    """A work directory as a build elsewhere would leave it."""
    d = os.path.join(pydir, name)
    write(os.path.join(d, "build.log"), "a build elsewhere\n")
    if lock:
        write(os.path.join(d, ".lock"), "")
    return d


def case_sweep_locked(c):
    """The sweep goes by the work directory's lock, never by its pid."""
    cache = c.path("cache")
    pydir = os.path.join(cache, "python")
    os.makedirs(pydir)
    tree = c.path("cpython-3.11.9")
    cpython_like_tree(tree, "3.11.9", FAILING_CONFIGURE)
    pid = dead_pid()
    held = plant_work(pydir, f".work-0123456789abcdef-{pid}", lock=True)
    legacy = plant_work(pydir, f".work-fedcba9876543210-{pid}", lock=False)
    fd = os.open(os.path.join(held, ".lock"), os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        p = c.run([c.pyweld, "python", "build", "--source", tree, "--cache", cache])
        c.check(p.returncode == 1 and "configure failed" in p.err,
                f"the build did not get to configure:\n{p.err}")
        c.check(os.path.isfile(os.path.join(held, "build.log")),
                f"the work directory '{held}', whose lock another process holds "
                f"(its pid {pid} is dead here), was swept")
    finally:
        os.close(fd)
    c.check(os.path.isdir(legacy),
            f"the work directory '{legacy}' without a lock file was swept")
    # the lock is free now: the next build sweeps it
    p = c.run([c.pyweld, "python", "build", "--source", tree, "--cache", cache])
    c.check(p.returncode == 1 and "configure failed" in p.err,
            f"the second build did not get to configure:\n{p.err}")
    c.check(not os.path.exists(held), f"'{held}', its lock free, was not swept")
    left = sorted(glob.glob(os.path.join(pydir, ".work-*")))
    c.check(left == [legacy], f"work directories left: {left}")


def case_sweep_pid_namespace(c):
    """A build in another pid namespace keeps its work directory."""
    need_root("unshare --pid")
    if not shutil.which("unshare"):
        raise Skip("no unshare")
    cache = c.path("cache")
    pydir = os.path.join(cache, "python")
    go = c.path("go")
    slow = c.path("slow-3.11.9")
    cpython_like_tree(slow, "3.11.9",
                      'echo "pyweld-test: configure started"\n'
                      f'while [ ! -e "{go}" ]; do sleep 0.1; done\n'
                      'echo "pyweld-test: configure went on"\n'
                      'echo "configure: error: pyweld-test: the end" >&2\nexit 1\n')
    pid = dead_pid()
    # sh is pid 1 of the new namespace; the next process it starts gets pid
    script = (f"echo {pid - 1} > /proc/sys/kernel/ns_last_pid && "
              f"\"$0\" python build --source '{slow}' --cache '{cache}'")
    proc = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c",
                             script, c.pyweld], env=c.env, cwd=c.dir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        work = None
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            logs = glob.glob(os.path.join(pydir, ".work-*", "build.log"))
            if logs and "configure started" in open(logs[0], errors="replace").read():
                work = os.path.dirname(logs[0])
                break
            time.sleep(0.1)
        c.require(work is not None, f"the slow build never started configure: "
                  f"{proc.poll()} {proc.stderr.read().decode() if proc.poll() is not None else ''}")
        c.check(not pid_alive(pid), f"pid {pid} is alive here after all")
        # another build beside it, here, sweeps
        other = c.path("cpython-3.11.8")
        cpython_like_tree(other, "3.11.8", FAILING_CONFIGURE)
        p = c.run([c.pyweld, "python", "build", "--source", other, "--cache", cache])
        c.check(p.returncode == 1 and "configure failed" in p.err,
                f"the build beside it did not get to configure:\n{p.err}")
        c.check(os.path.isfile(os.path.join(work, "build.log")),
                f"the running build's work directory '{work}' was swept by the build "
                f"beside it (its pid {pid} in its namespace is dead here)")
        with open(go, "w"):
            pass
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    err = err.decode(errors="replace")
    c.check(proc.returncode == 1 and "configure failed" in err and "the end" in err,
            f"the build in the other namespace did not end normally "
            f"(exit {proc.returncode}):\n{err}")
    logs = glob.glob(os.path.join(pydir, "*.failed.log"))
    text = "".join(open(l, errors="replace").read() for l in logs)
    c.check("configure went on" in text,
            f"the log of the build in the other namespace lost its end: {logs}")
    left = glob.glob(os.path.join(pydir, ".work-*"))
    c.check(not left, f"work directories left: {left}")


# --- durable renames ---------------------------------------------------------------


def strace(c, argv, env=None, timeout=600):
    if not shutil.which("strace"):
        raise Skip("no strace")
    log = c.path(f"strace-{len(glob.glob(c.path('strace-*')))}.log")
    p = c.run(["strace", "-f", "-qq", "-y", "--seccomp-bpf", "-o", log, "-e",
               "trace=rename,renameat,renameat2,fsync,fdatasync,sync,syncfs", *argv],
              env=env, timeout=timeout)
    with open(log, errors="replace") as f:
        lines = [re.sub(r"^\d+\s+", "", l.rstrip("\n")) for l in f]
    return p, lines


def check_durable_rename(c, lines, target, what, file_sync=True):
    """The rename onto target, a sync of the file before it (file_sync), of the
    directory after."""
    d = os.path.dirname(os.path.realpath(target))
    name = os.path.basename(target)
    ren = [i for i, l in enumerate(lines)
           if re.match(r"rename(at2?)?\(", l) and l.endswith(" = 0") and
           re.search(r'"([^"]*/)?%s"(, \w+)?\)\s+= 0$' % re.escape(name), l)]
    if not c.check(ren, f"{what}: no rename onto '{target}' in the trace:\n" +
                   "\n".join(lines[-20:])):
        return
    i = ren[-1]
    dir_sync = [l for l in lines[i + 1:]
                if re.match(r"f(data)?sync\(\d+<%s>\)\s+= 0" % re.escape(d), l)]
    c.check(dir_sync, f"{what}: no fsync of the directory '{d}' after\n  {lines[i]}\n"
            "what followed:\n" + "\n".join(lines[i + 1:i + 10]))
    if file_sync:
        tmp = re.search(r'"([^"]*)", ', lines[i]).group(1)
        synced = [l for l in lines[:i]
                  if re.match(r"f(data)?sync\(\d+<%s>\)\s+= 0" % re.escape(tmp), l)]
        c.check(synced, f"{what}: no fsync of '{tmp}' before\n  {lines[i]}")


def case_strace_atomic(c):
    """util_write_atomic with sync: the directory is fsynced after the rename."""
    if not c.args.cache_tool:
        raise Skip("no --cache-tool")
    target = c.path("dir", "file")
    os.mkdir(c.path("dir"))
    p, lines = strace(c, [os.path.abspath(c.args.cache_tool), "write-atomic", target,
                          "text\n"])
    c.require(p.returncode == 0, f"cache_tool failed: {p.err}")
    check_durable_rename(c, lines, target, "util_write_atomic")


def dist_env(c):
    """The distribution's cache as the fixture sees it."""
    env = dict(c.env)
    for k in ("PYWELD_CACHE", "XDG_CACHE_HOME", "HOME"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


def case_strace_weld(c):
    """The welded binary's rename over -o is followed by an fsync of its directory."""
    out = c.path("out", "app")
    os.mkdir(c.path("out"))
    p, lines = strace(c, [c.pyweld, "build", "--python-code", "print('hello')", "-o", out],
                      env=dist_env(c))
    c.require(p.returncode == 0, f"the weld failed:\n{p.err}")
    check_durable_rename(c, lines, out, "the welded binary")
    r = c.run([out])
    c.check(r.returncode == 0 and r.out == "hello\n", f"the binary: {r.out}{r.err}")


def case_strace_current(c):
    """The 'current' link of the cache is renamed into place durably."""
    env = dist_env(c)
    p = c.run([c.pyweld, "python", "path"], env=env)
    c.require(p.returncode == 0, f"no distribution: {p.err}")
    pydir = os.path.dirname(p.out.strip())
    p, lines = strace(c, [c.pyweld, "python", "build"], env=env)
    c.require(p.returncode == 0 and "using the cached distribution" in p.err,
              f"'pyweld python build' did not find the cached distribution:\n{p.err}")
    check_durable_rename(c, lines, os.path.join(pydir, "current"), "the current link",
                         file_sync=False)


LOCAL = {
    "no_home": case_no_home,
    "writable_root": case_writable_root,
    "group_writable": case_group_writable,
    "other_owner": case_other_owner,
    "replaceable_root": case_replaceable_root,
    "created_private": case_created_private,
    "sweep_locked": case_sweep_locked,
    "sweep_pid_namespace": case_sweep_pid_namespace,
    "strace_atomic": case_strace_atomic,
}
DISTRIBUTION = {
    "strace_weld": case_strace_weld,
    "strace_current": case_strace_current,
}
CASES = dict(LOCAL, **DISTRIBUTION)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pyweld", help="the pyweld executable")
    ap.add_argument("--cache-tool", help="the cache_tool test program")
    ap.add_argument("--group", choices=("local", "distribution"),
                    help="only the cases of this group")
    ap.add_argument("--list", action="store_true", help="list the cases")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    ap.add_argument("cases", nargs="*", help="cases to run (default: all of the group)")
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
    names = args.cases or list({"local": LOCAL, "distribution": DISTRIBUTION}
                               .get(args.group, CASES))
    return run_cases(names, lambda name: Case(name, args),
                     lambda name, c: CASES[name](c), args.keep)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A welded binary at run time behaves like `python`: five binaries against stock CPython.

Builds, once per run, five binaries from the distribution alone (no packages):

  py      no entry point: must behave like `python` (REPL, -c, -m, a script);
  code    --python-code APP_SRC: runs the code, passing sys.argv through;
  script  --script app.py (the same APP_SRC): likewise;
  fast    --script app.py --fast-exit: likewise, ending without finalising
          the interpreter, which no scenario may notice;
  mod     -m json.tool: runs the module like `python -m json.tool`.

and runs each behaviour both in a binary and in the distribution's stock
dynamic interpreter run the same way (`prefix/bin/python3.11 -I ...`: the
binary ignores PYTHON* variables and leaves the current directory off
sys.path, as -I does), comparing exit statuses, stdout and stderr (with the
interpreter's path replaced by EXE).

APP_SRC is a small program whose first argument picks a scenario; code and
script are compared with `python3.11 -I app.py` (a file, not -c: a
multiprocessing spawn child of `python -c` cannot find functions of
__main__, while a binary's __main__ is an importable module).  Scenarios:
  names          dir() of __main__ before the program binds anything: what
                 start-up code leaves behind;
  argv           sys.argv[1:] passed through, options included;
  flags          sys.flags, sys.path is [the binary], sys.executable;
  exit N / exit-msg / exit-site / quit-site
                 sys.exit(N), SystemExit("message"), exit() and quit() of site;
  site-names     exit, quit, help, copyright, credits, license: their repr,
                 then their classes (site's, once used);
  raise          an uncaught exception: status 1, its traceback as python's;
  sigint-self    SIGINT to itself: KeyboardInterrupt, death by SIGINT (-2);
  wait           killed from outside with SIGINT while sleeping; likewise;
  catch-sigint   SIGINT caught as KeyboardInterrupt by the program;
  atexit         atexit functions run last-registered first, after a write
                 with no newline (which must still reach stdout);
  thread         a non-daemon thread that outlives the program's code is
                 joined before exit: its output comes after the program's;
  pipe           writing to a closed pipe: BrokenPipeError and status 1, not
                 death by SIGPIPE;
  signals        the handlers in place (SIGINT, SIGPIPE, SIGXFSZ, SIGTERM);
  mp METHOD      multiprocessing Pool, Process, Queue, Lock with spawn,
                 forkserver and fork: results, child exit codes, and nothing
                 else (no second run of the application).

py additionally: -c, -m, a script path, a script on stdin and `-`, the REPL on
a pipe (-i) and on a terminal (a pty; Ctrl-C stops a statement), -V, -h, flags
(-S, -O, -B, -W error, -X utf8), bad options and missing scripts or modules,
PYTHON* variables ignored (the policy; -I ignores them too), the locale's
encoding (C.UTF-8 and C), subprocess with [sys.executable, '-c', ...].

mod: stdin to stdout, file arguments, --help, a bad option, invalid JSON,
a closed pipe, SIGINT while it waits for input (status, traceback frames and
source lines as `python -m json.tool`'s).

code, script and fast also: '-c CODE' is an argument of the program, not python's.

Differences that are deliberate are normalised, each said where it is done:
sys.flags.no_site (the binary does not run site, and sets up exit, quit,
help, copyright, credits and license itself), license's text (looked for
in files beside os.__file__), and the REPL's line editing on a terminal
(site's readline completion, which python -I leaves out: compared with
python -E -s).  Everything else must be as python's.

Parts (positional arguments; default: all but noproc):
  behaviour        everything above;
  multiprocessing  a stranger's command lines against the application
                   binaries (code, script, fast, mod): -c CODE with
                   --multiprocessing-fork, code chained to multiprocessing's
                   programs, spawn's exact line reading a pickle from stdin,
                   the fork server's line importing from a chosen sys_path,
                   the resource tracker's line unlinking shared memory, -m, a
                   script path; and near misses of spawn's line with the very
                   pipes a spawn child gets (an argument more, -i or -m among
                   the flags, flags reordered, code after the program, a
                   space more).  Each must run no code (no directory made,
                   no shared memory unlinked) and reach the application as
                   its argv; spawn's exact line with its pipes runs
                   spawn_main.  A parent that changed sys.path (quotes,
                   backslash, tab, non-ASCII), sys.warnoptions,
                   sys._xoptions and the fork server's preload list: its
                   spawn, forkserver and fork pools work as python's.  A
                   binary built from a pyweld.ini with
                   multiprocessing-children = false: the same lines are its
                   argv, the exact one too; spawn and forkserver fail in the
                   parent (status 1, a RuntimeError naming the option), fork
                   works; --no-multiprocessing-children without an entry point
                   is a usage error;
  selfpath         py and code hard-linked into directories making their path
                   4095 (the most /proc/self/exe gives), 4096 and 4600 bytes
                   long, run as ./app: sys.executable and sys.path are that
                   whole path;
  noproc           py and code without /proc (a tmpfs over it in a mount
                   namespace of their own, unshare as root; skipped, saying
                   why, otherwise): they start and name themselves, through a
                   relative symbolic link too, multiprocessing spawn works as
                   python's; started through a descriptor (fexecve), which
                   leaves no path to check, they stop with one sentence.

Every check is reported, then the test fails if any failed.  The work
directory is removed when all pass and kept (path printed) otherwise.
Exit status: 0 passed, 1 failed, 77 skipped (no distribution; noproc: no
way to hide /proc).
"""
import argparse
import difflib
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77

APP_SRC = r'''_names = sorted(dir())
import json, os, signal, sys, time


def square(x):
    return x * x


def boom():
    raise ValueError("boom")


def child_info(x):
    import warnings
    return (x, sys.flags.isolated, any("it's" in p for p in sys.path),
            "ignore::DeprecationWarning" in sys.warnoptions,
            sys._xoptions.get("faulthandler"), "json.decoder" in sys.modules)


def scenario(what, args):
    if what == "names":
        print(json.dumps(_names))
    elif what == "argv":
        print(json.dumps(sys.argv[1:]))
    elif what == "flags":
        print(sys.flags)
        print(json.dumps({"path": sys.path, "executable": sys.executable,
                          "argv0": sys.argv[0], "main_name": __name__}))
    elif what == "exit":
        sys.exit(int(args[0]))
    elif what == "exit-msg":
        raise SystemExit("bye")
    elif what == "exit-site":
        exit(5)
    elif what == "quit-site":
        quit(6)
    elif what == "site-names":
        # The binary makes these when first used (docs/weld.md): their text,
        # then the classes behind them once used, as site's.  (license's
        # text is looked for in files beside os.__file__: only its class.)
        print([repr(f)[:40] for f in (exit, quit, help, copyright, credits)])
        print([type(f).__name__ for f in (exit, quit, help, copyright, credits, license)])
        e = exit
        print(type(e).__name__, e.name, e.eof)
    elif what == "raise":
        boom()
    elif what == "sigint-self":
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(30)
    elif what == "wait":
        print("ready", flush=True)
        time.sleep(60)
    elif what == "catch-sigint":
        try:
            print("ready", flush=True)
            time.sleep(60)
        except KeyboardInterrupt:
            print("caught KeyboardInterrupt")
            sys.exit(9)
    elif what == "pipe":
        for i in range(200000):
            print("x" * 79)
    elif what == "atexit":
        import atexit
        atexit.register(print, "atexit ran")
        atexit.register(print, "registered last, runs first")
        sys.stdout.write("no newline, ")
    elif what == "del-at-exit":
        # a global of __main__ alive at exit: python runs its __del__ when
        # the interpreter ends
        class Noisy:
            def __del__(self):
                print("del ran", flush=True)
        globals()["noisy"] = Noisy()
        print("main done")
    elif what == "thread":
        import threading

        def late():
            time.sleep(0.3)
            print("thread done")
        threading.Thread(target=late).start()
        print("main done")
    elif what == "signals":
        print(json.dumps([str(signal.getsignal(s)) for s in
                          (signal.SIGINT, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGTERM)]))
    elif what == "mp":
        import multiprocessing
        ctx = multiprocessing.get_context(args[0])
        with ctx.Pool(2) as pool:
            print("pool", pool.map(square, range(6)), flush=True)
        q = ctx.Queue()
        lock = ctx.Lock()
        p = ctx.Process(target=q.put, args=(["queued", 42],))
        p.start()
        print("queue", q.get(timeout=60), flush=True)
        p.join()
        print("exitcode", p.exitcode)
        for target, arg in ((sys.exit, 3), (boom, None)):
            p = ctx.Process(target=target, args=() if arg is None else (arg,))
            p.start()
            p.join()
            print("exitcode", p.exitcode, flush=True)
        with lock:
            print("locked", flush=True)
    elif what == "mp-odd":
        # What a parent passes on once it changed it: a sys.path entry with
        # quotes, a backslash, a tab and non-ASCII, a warning option, an -X
        # option, the fork server's preload list.
        import multiprocessing
        sys.path.append(os.path.join(os.environ["TMPDIR"], "it's a \"dir\" \\ \u00e9\tx"))
        sys.warnoptions.append("ignore::DeprecationWarning")
        sys._xoptions["faulthandler"] = True
        ctx = multiprocessing.get_context(args[0])
        if args[0] == "forkserver":
            ctx.set_forkserver_preload(["__main__", "json.decoder"])
        with ctx.Pool(2) as pool:
            print("pool", pool.map(child_info, range(3)), flush=True)
    else:
        print(f"app: unknown scenario {sys.argv[1:]!r}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    scenario(sys.argv[1] if len(sys.argv) > 1 else "", sys.argv[2:])
'''


class Failure(Exception):
    """The test failed; the checks say why."""


class Skip(Exception):
    """A prerequisite is truly absent; the message says which."""


def scrubbed_env(tmp):
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C.UTF-8", "TZ": "UTC",
            "HOME": tmp, "TMPDIR": tmp}


def default_sigint():
    # a child of a shell's background job inherits SIGINT ignored; python
    # then leaves it ignored: give every child the default
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def __repr__(self):
        return f"status {self.rc}\n--- stdout\n{self.out}--- stderr\n{self.err}"


class Context:
    def __init__(self, args):
        self.args = args
        self.pyweld = os.path.abspath(args.pyweld)
        # The CPython version welded and compared with (--python X.Y).
        self.version = args.python or "3.11"
        self.version_args = ["--python", args.python] if args.python else []
        base = os.environ.get("TMPDIR") or "/tmp"
        self.dir = os.path.realpath(tempfile.mkdtemp(prefix="pyweld-weld_runtime-", dir=base))
        self.env = scrubbed_env(self.dir)
        self.cache_env = {k: os.environ[k] for k in ("PYWELD_CACHE", "XDG_CACHE_HOME", "HOME")
                          if os.environ.get(k)}
        self.checks = 0
        self.failed = []

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def check(self, name, ok, detail=""):
        self.checks += 1
        if ok:
            print(f"ok    {name}", flush=True)
        else:
            lines = detail.splitlines()
            if len(lines) > 60:
                lines = lines[:60] + [f"[... {len(lines) - 60} more lines]"]
            print(f"FAIL  {name}\n" + "".join(f"      {x}\n" for x in lines), flush=True)
            self.failed.append(name)
        return ok

    def run(self, argv, stdin=b"", env=None, timeout=120, cwd=None, pass_fds=()):
        """Runs argv in its own process group, with the descriptors pass_fds
        inherited; on a timeout kills the group and returns status "timeout"
        (what it wrote so far kept)."""
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env or self.env, cwd=cwd or self.dir,
                             start_new_session=True, preexec_fn=default_sigint,
                             pass_fds=pass_fds)
        try:
            out, err = p.communicate(stdin, timeout=timeout)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            rc = "timeout"
            err += b"\n[weld_runtime: still running after %d s: killed]\n" % timeout
        return Result(rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


# --- normalising and comparing ------------------------------------------------------

FRAME = re.compile(r'^  File "([^"]*)", line (\d+), in (.*)$')


def parse_traceback(err):
    """[(file, line, function, source or None)] of the last traceback in err."""
    lines = err.splitlines()
    start = max((i for i, l in enumerate(lines) if l.startswith("Traceback (most recent")),
                default=None)
    if start is None:
        return []
    frames = []
    i = start + 1
    while i < len(lines):
        m = FRAME.match(lines[i])
        if not m:
            if lines[i].startswith("    "):
                i += 1
                continue
            break
        src = None
        if i + 1 < len(lines) and lines[i + 1].startswith("    ") and \
                not FRAME.match(lines[i + 1]):
            src = lines[i + 1].strip()
        frames.append((m.group(1), int(m.group(2)), m.group(3), src))
        i += 1
    return frames


def last_line(text):
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1] if lines else ""


class Pair:
    """One behaviour run in a binary and in stock, and compared."""

    def __init__(self, ctx, subs):
        self.ctx = ctx
        self.subs = subs            # (text, replacement), longest first

    def norm(self, text):
        for a, b in self.subs:
            text = text.replace(a, b)
        # The binary does not run site (runtime/site.c: it would read a
        # pyvenv.cfg beside the binary and add site-packages), so
        # sys.flags.no_site is 1 where python -I says 0; what site gives a
        # session (exit, quit, help, ...) is checked on its own.
        return re.sub(r"\bno_site=[01]\b", "no_site=?", text)

    def compare(self, name, got, want, out=True, err=True, rc=True, tb=False):
        """Compares two Results after normalising; err=False compares the last line."""
        diffs = []
        if rc and got.rc != want.rc:
            diffs.append(f"exit status {got.rc}, python {want.rc}")
        g_out, w_out = self.norm(got.out), self.norm(want.out)
        g_err, w_err = self.norm(got.err), self.norm(want.err)
        if out and g_out != w_out:
            diffs.append("stdout differs:\n" + diff(w_out, g_out))
        if err is True and not tb and g_err != w_err:
            diffs.append("stderr differs:\n" + diff(w_err, g_err))
        elif err is not True and last_line(g_err) != last_line(w_err):
            diffs.append(f"stderr's last line {last_line(g_err)!r}, python "
                         f"{last_line(w_err)!r}\n--- stderr:\n{g_err}")
        return self.ctx.check(name, not diffs, "\n".join(diffs))


def diff(want, got):
    d = difflib.unified_diff(want.splitlines(), got.splitlines(), "python", "binary",
                             lineterm="", n=2)
    text = "\n".join(d)
    return text if len(text) < 4000 else text[:4000] + "\n[...]"


# --- the binaries -------------------------------------------------------------------

def distribution(ctx):
    env = dict(ctx.env, **ctx.cache_env)
    p = ctx.run([ctx.pyweld, "python", "path", *ctx.version_args], env=env)
    if p.rc != 0:
        raise Skip(f"no CPython distribution ('pyweld python path' exited {p.rc}: "
                   f"{p.err.strip()}); run 'pyweld python build'")
    stock = os.path.join(p.out.strip(), "prefix", "bin", f"python{ctx.version}")
    if not os.access(stock, os.X_OK):
        raise Failure(f"the distribution has no '{stock}'")
    return stock


def build(ctx, name, *opts):
    out = ctx.path(name)
    env = dict(ctx.env, **ctx.cache_env)
    t0 = time.monotonic()
    p = ctx.run([ctx.pyweld, "build", *ctx.version_args, *opts, "-o", out], env=env,
                timeout=1800)
    if p.rc != 0:
        raise Failure(f"'pyweld build {' '.join(opts)}' exited {p.rc}:\n{p.err}{p.out}")
    what = " ".join(o.splitlines()[0][:40] for o in opts) or "no entry point"
    print(f"built {name} ({what}) in {time.monotonic() - t0:.1f} s", flush=True)
    return out


# --- scenarios shared by py (with app.py), code and script --------------------------

def app_scenarios(ctx, label, argv0, stock, app_py, pair):
    """Runs APP_SRC's scenarios as argv0 + args and as python -I app.py args."""
    S = [stock, "-I", app_py]

    def both(*args, **kw):
        return ctx.run(argv0 + list(args), **kw), ctx.run(S + list(args), **kw)

    g, w = both("names")
    try:
        gn, wn = set(json.loads(g.out)), set(json.loads(w.out))
        ctx.check(f"{label}: __main__ holds what python's holds before the program runs",
                  gn == wn, f"extra: {sorted(gn - wn)}, missing: {sorted(wn - gn)}")
    except ValueError:
        ctx.check(f"{label}: __main__ holds what python's holds", False, repr(g))

    args = ["argv", "-c", "print(1)", "-m", "x", "--", "-", "é", "a b", ""]
    pair.compare(f"{label}: sys.argv[1:] passed through", *both(*args))

    g, w = both("flags")
    pair.compare(f"{label}: sys.flags as python -I", Result(g.rc, g.out.splitlines()[0] + "\n"
                                                            if g.out else "", g.err),
                 Result(w.rc, w.out.splitlines()[0] + "\n" if w.out else "", w.err))
    try:
        info = json.loads(g.out.splitlines()[1])
        exe = os.path.realpath(argv0[0])
        ctx.check(f"{label}: sys.executable is the binary", info["executable"] == exe,
                  f"sys.executable {info['executable']!r}, binary {exe!r}")
        ctx.check(f"{label}: sys.path is [the binary]", info["path"] == [exe],
                  f"sys.path {info['path']!r}")
        ctx.check(f"{label}: __name__ is '__main__'", info["main_name"] == "__main__",
                  repr(info["main_name"]))
    except (ValueError, IndexError, KeyError):
        ctx.check(f"{label}: sys.executable, sys.path", False, repr(g))

    for args in (["exit", "0"], ["exit", "3"], ["exit", "255"], ["exit-msg"],
                 ["exit-site"], ["quit-site"], ["site-names"], ["nosuch"], ["atexit"],
                 ["thread"]):
        pair.compare(f"{label}: {' '.join(args)}: status and output as python", *both(*args))

    g, w = both("del-at-exit")
    ctx.check(f"{label}: python runs a __main__ global's __del__ at exit",
              w.rc == 0 and w.out == "main done\ndel ran\n", repr(w))
    if label == "fast":
        ctx.check(f"{label}: --fast-exit skips a __main__ global's __del__, as documented",
                  g.rc == 0 and g.out == "main done\n", repr(g))
    else:
        pair.compare(f"{label}: a __main__ global's __del__ runs at exit as in python", g, w)

    g, w = both("raise")
    pair.compare(f"{label}: uncaught exception: status 1 and the exception", g, w, err=False)
    traceback_checks(ctx, label, g, w, app_py)

    g, w = both("sigint-self")
    pair.compare(f"{label}: SIGINT to itself: KeyboardInterrupt, status {w.rc}", g, w,
                 err=False)
    for what in ("wait", "catch-sigint"):
        g = interrupt(ctx, argv0 + [what])
        w = interrupt(ctx, S + [what])
        pair.compare(f"{label}: {what} + SIGINT from outside: status {w.rc}", g, w, err=False)

    g = closed_pipe(ctx, argv0 + ["pipe"])
    w = closed_pipe(ctx, S + ["pipe"])
    closed_pipe_check(ctx, label, g, w)

    pair.compare(f"{label}: signal handlers as python's", *both("signals"))

    for method in ("spawn", "forkserver", "fork"):
        g, w = both("mp", method, timeout=120)
        pair.compare(f"{label}: multiprocessing {method}", g, w, err=False)
        ctx.check(f"{label}: multiprocessing {method}: nothing on stderr but the child's "
                  f"ValueError", normalise_mp_err(pair.norm(g.err)) ==
                  normalise_mp_err(pair.norm(w.err)), diff(pair.norm(w.err), pair.norm(g.err)))


# --- multiprocessing's children, and no one else's ---------------------------------

SPAWN = ("from multiprocessing.spawn import spawn_main; "
         "spawn_main(tracker_fd={}, pipe_handle={})")
FORKSERVER = "from multiprocessing.forkserver import main; main({}, {}, {!r}, **{!r})"
TRACKER = "from multiprocessing.resource_tracker import main;main({})"


class Evil:
    """Unpickled, it makes the directory it names: what a spawn child does
    with its pipe's contents."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


class Lines:
    """Command lines a stranger may give an application, each of which would
    leave a trace (the directory mark, or the shared memory file gone) if
    it ran as python; see exploits()."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.mark = ctx.path("ran-code")
        self.evil_dir = ctx.path("evil dir")
        os.makedirs(self.evil_dir, exist_ok=True)
        make = f"import os; os.mkdir({self.mark!r})\n"
        with open(os.path.join(self.evil_dir, "evil_mod.py"), "w") as f:
            f.write(make)
        self.evil_py = os.path.join(self.evil_dir, "evil.py")
        with open(self.evil_py, "w") as f:
            f.write(make)
        import pickle
        self.payload = pickle.dumps(Evil(self.mark), protocol=2)
        self.shm = f"pyweld-weld_runtime-{os.getpid()}"
        make = f"os.mkdir({self.mark!r})"
        self.lines = [
            # (what, args, stdin)
            ("the exploit: -c CODE --multiprocessing-fork",
             ["-c", f"import os; {make}", "--multiprocessing-fork"], b""),
            ("--multiprocessing-fork first, -c CODE after",
             ["--multiprocessing-fork", "-c", f"import os; {make}"], b""),
            ("-c 'from multiprocessing.util import ...; CODE'",
             ["-S", "-I", "-c", f"from multiprocessing.util import debug; import os; {make}"],
             b""),
            ("CODE chained before spawn's program with ';'",
             ["-S", "-I", "-c", f"import os; {make}; " + SPAWN.format(5, 6),
              "--multiprocessing-fork"], b""),
            ("spawn's exact line reading a pickle from stdin (pipe_handle=0)",
             ["-S", "-I", "-c", SPAWN.format(1, 0), "--multiprocessing-fork"], self.payload),
            ("-m a module with --multiprocessing-fork", ["-m", "this", "--multiprocessing-fork"],
             b""),
            ("a script path with --multiprocessing-fork",
             [self.evil_py, "--multiprocessing-fork"], b""),
            ("the fork server's line importing from a chosen sys_path",
             ["-S", "-I", "-c", FORKSERVER.format(0, 1, ["evil_mod"],
                                                  {"sys_path": [self.evil_dir]})], b""),
            ("the resource tracker's line fed from stdin (unlinks shared memory)",
             ["-S", "-I", "-c", TRACKER.format(0)],
             f"REGISTER:/{self.shm}:shared_memory\n".encode()),
        ]

    def clean(self):
        if os.path.isdir(self.mark):
            os.rmdir(self.mark)
        with open(f"/dev/shm/{self.shm}", "w"):
            pass

    def traces(self):
        """What a line that ran left behind ([] if nothing)."""
        found = []
        if os.path.exists(self.mark):
            found.append(f"'{self.mark}' was made")
        if not os.path.exists(f"/dev/shm/{self.shm}"):
            found.append(f"/dev/shm/{self.shm} was unlinked")
        return found

    def done(self):
        if os.path.exists(f"/dev/shm/{self.shm}"):
            os.unlink(f"/dev/shm/{self.shm}")


def app_argv_check(ctx, name, exe, args, g, lines, entry="app"):
    """g (exe run with args) ran no code and the application had args as its
    argv: APP_SRC says 'unknown scenario ARGS', json.tool refuses them."""
    traces = lines.traces()
    if entry == "app":
        got_argv = g.rc == 2 and f"app: unknown scenario {args!r}" in g.err
    else:
        got_argv = g.rc == 2 and "usage: " in g.err
    return ctx.check(name, got_argv and not traces and "Beautiful is better" not in g.out,
                     f"traces: {traces}\n{g!r}")


def with_pipes(ctx, exe, args_for, payload):
    """Runs exe with the descriptors a spawn child gets (a pipe to read its
    job from, holding payload, and one to write to), args_for(tracker_fd,
    pipe_handle) as its arguments."""
    job_r, job_w = os.pipe()
    track_r, track_w = os.pipe()
    try:
        os.write(job_w, payload)
        os.close(job_w)
        job_w = -1
        args = args_for(track_w, job_r)
        return args, ctx.run([exe] + args, pass_fds=(job_r, track_w))
    finally:
        for fd in (job_r, job_w, track_r, track_w):
            if fd >= 0:
                os.close(fd)


def exploits(ctx, label, exe, lines, children=True, entry="app"):
    """Command lines a stranger may give an application with an entry point
    (a sudoers rule or an SSH forced command running `app *`): none runs
    code, each reaches the application as its argv.  Then lines with the
    very descriptors a spawn child gets: a near miss is the application's
    argv too; the exact line runs multiprocessing's spawn_main (here it
    finds its pipe empty), unless the binary was built without children."""
    for what, args, stdin in lines.lines:
        lines.clean()
        g = ctx.run([exe] + args, stdin=stdin)
        app_argv_check(ctx, f"{label}: {what}: no code run, the application's argv", exe,
                       args, g, lines, entry)
    near = [
        ("an argument more", lambda t, r: ["-S", "-I", "-c", SPAWN.format(t, r),
                                           "--multiprocessing-fork", "x"]),
        ("-i among the flags", lambda t, r: ["-S", "-I", "-i", "-c", SPAWN.format(t, r),
                                             "--multiprocessing-fork"]),
        ("-m among the flags", lambda t, r: ["-S", "-I", "-m", "this", "-c",
                                             SPAWN.format(t, r), "--multiprocessing-fork"]),
        ("the flags in another order", lambda t, r: ["-I", "-S", "-c", SPAWN.format(t, r),
                                                     "--multiprocessing-fork"]),
        ("code after the program", lambda t, r: ["-S", "-I", "-c", SPAWN.format(t, r) +
                                                 f"; import os; os.mkdir({lines.mark!r})",
                                                 "--multiprocessing-fork"]),
        ("a space more", lambda t, r: ["-S", "-I", "-c", SPAWN.format(t, r) + " ",
                                       "--multiprocessing-fork"]),
    ]
    for what, args_for in near:
        lines.clean()
        args, g = with_pipes(ctx, exe, args_for, lines.payload)
        app_argv_check(ctx, f"{label}: spawn's line with its pipes, {what}: no code run, "
                       "the application's argv", exe, args, g, lines, entry)
    lines.clean()
    args, g = with_pipes(ctx, exe, lambda t, r: ["-S", "-I", "-c", SPAWN.format(t, r),
                                                 "--multiprocessing-fork"], b"")
    if children:
        ctx.check(f"{label}: spawn's exact line with its pipes runs spawn_main (EOFError "
                  "from the empty pipe)", g.rc == 1 and "in spawn_main" in g.err and
                  last_line(g.err) == "EOFError: Ran out of input", repr(g))
    else:
        app_argv_check(ctx, f"{label}: spawn's exact line with its pipes: the application's "
                       "argv (built without children)", exe, args, g, lines, entry)


def multiprocessing_checks(ctx, stock, app_py, pair, code, script, fast, mod, nomp):
    """Stranger's command lines against every application binary; a parent
    that changed what multiprocessing passes on; the binary built without
    multiprocessing's children (pyweld.ini: multiprocessing-children =
    false)."""
    lines = Lines(ctx)
    try:
        for label, exe in (("code", code), ("script", script), ("fast", fast)):
            exploits(ctx, label, exe, lines)
        exploits(ctx, "mod", mod, lines, entry="json.tool")
        if nomp:
            exploits(ctx, "no children", nomp, lines, children=False)
    finally:
        lines.done()

    S = [stock, "-I", app_py]
    for method in ("spawn", "forkserver", "fork"):
        g, w = ctx.run([code, "mp-odd", method]), ctx.run(S + ["mp-odd", method])
        pair.compare(f"code: multiprocessing {method} from a parent that changed sys.path, "
                     "sys.warnoptions, sys._xoptions and the preload list", g, w, err=False)

    if not nomp:
        return
    # Built without children: spawn and forkserver fail in the parent, at
    # once and saying why; fork works as python's.
    for method in ("spawn", "forkserver"):
        g = ctx.run([nomp, "mp", method], timeout=120)
        ctx.check(f"no children: multiprocessing {method} fails in the parent: status 1, "
                  "RuntimeError naming --no-multiprocessing-children, nothing run",
                  g.rc == 1 and g.out == "" and
                  last_line(g.err).startswith("RuntimeError: this program was built with "
                                              "--no-multiprocessing-children") and
                  "Traceback" in g.err, repr(g))
    g, w = ctx.run([nomp, "mp", "fork"]), ctx.run(S + ["mp", "fork"])
    pair.compare("no children: multiprocessing fork as python's", g, w, err=False)
    g, w = ctx.run([nomp, "argv", "-c", "x"]), ctx.run(S + ["argv", "-c", "x"])
    pair.compare("no children: sys.argv passed through", g, w)
    p = ctx.run([ctx.pyweld, "build", "--no-multiprocessing-children", "-o",
                 ctx.path("no-entry")], env=dict(ctx.env, **ctx.cache_env))
    ctx.check("--no-multiprocessing-children without an entry point: a usage error naming "
              "it", p.rc == 2 and
              p.err.startswith("pyweld: error: --no-multiprocessing-children") and
              not os.path.exists(ctx.path("no-entry")), repr(p))


# --- the binary's own path ----------------------------------------------------------

def deep_link(ctx, exe, length, name):
    """Hard-links exe as 'app' into new directories under the work directory
    such that the link's absolute path is length bytes long; returns that
    path and the directory components (each below NAME_MAX; a path over
    PATH_MAX can be reached only one component at a time)."""
    base = ctx.path(f"deep-{name}-{length}")
    os.mkdir(base)
    rest = length - len(base) - len("/app")
    comps = []
    while rest > 0:
        n = min(200, rest - 1)
        if rest - 1 - n == 1:               # no room left for a last component
            n -= 1
        comps.append("d" * n)
        rest -= n + 1
    if rest != 0:
        raise Failure(f"cannot lay out a path of {length} bytes under {base}")
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for c in comps:
            os.mkdir(c, dir_fd=fd)
            nfd = os.open(c, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        os.link(exe, "app", dst_dir_fd=fd)
    finally:
        os.close(fd)
    path = "/".join([base] + comps + ["app"])
    assert len(path) == length, (len(path), length)
    return path, base, comps


def run_deep(ctx, base, comps, args):
    """Runs ./app from its deep directory, reached one component at a time
    (a shell's cd gives up beyond PATH_MAX)."""
    launch = "import os, sys; [os.chdir(c) for c in sys.argv[1].split('/')]; " \
             "os.execv('./app', ['./app'] + sys.argv[2:])"
    return ctx.run([sys.executable, "-c", launch, "/".join(comps)] + args, cwd=base)


def selfpath_checks(ctx, py, code):
    """sys.executable (what multiprocessing and subprocess run) names the
    binary wherever it lies: in a directory whose path is as long as the
    kernel's /proc/self/exe can give (4095 bytes), and longer (the kernel
    refuses: ENAMETOOLONG), run through a relative path."""
    for length in (4095, 4096, 4600):
        for label, exe, args in (("py", py, ["-c", "import sys, json; print(); "
                                             "print(json.dumps({'executable': "
                                             "sys.executable, 'path': sys.path}))"]),
                                 ("code", code, ["flags"])):
            path, base, comps = deep_link(ctx, exe, length, label)
            g = run_deep(ctx, base, comps, args)
            try:
                info = json.loads(g.out.splitlines()[1])
                ok = g.rc == 0 and info["executable"] == path and info["path"] == [path]
            except (ValueError, IndexError, KeyError):
                ok = False
            ctx.check(f"{label}: run as ./app from a directory {len(path)} bytes deep: "
                      "sys.executable and sys.path are its whole path", ok,
                      f"wanted {len(path)} bytes: ...{path[-40:]!r}\n{g!r}"[:3000])


def noproc_checks(ctx, stock, app_py, py, code):
    """Without /proc (a tmpfs over it in a mount namespace of its own): the
    binary still finds itself, from the path it was started by; started
    through a descriptor (fexecve: no path to check), it fails saying so."""
    if os.geteuid() != 0:
        raise Skip("mounting over /proc needs root (unshare --mount)")
    if not shutil.which("unshare"):
        raise Skip("no unshare (util-linux)")
    wrap = ["unshare", "--mount", "--fork", "sh", "-c",
            'mount -t tmpfs pyweld-noproc /proc && test ! -e /proc/self/exe && exec "$@"',
            "sh"]
    probe = ctx.run(wrap + ["true"])
    if probe.rc != 0:
        raise Skip(f"cannot mount a tmpfs over /proc in a new mount namespace: "
                   f"{probe.err.strip()}")
    g = ctx.run(wrap + [py, "-c", "import sys, json; print(json.dumps([sys.executable, "
                        "sys.path]))"])
    ctx.check("no /proc: py starts; sys.executable and sys.path name it",
              g.rc == 0 and g.out.strip() == json.dumps([py, [py]]), repr(g))
    g = ctx.run(wrap + [code, "flags"])
    try:
        info = json.loads(g.out.splitlines()[1])
        ok = g.rc == 0 and info["executable"] == code and info["path"] == [code]
    except (ValueError, IndexError, KeyError):
        ok = False
    ctx.check("no /proc: an application starts; sys.executable names it", ok, repr(g))
    os.symlink(os.path.basename(code), ctx.path("code-link"))
    g = ctx.run(wrap + ["./code-link", "-c", "x"])
    ctx.check("no /proc: started through a relative symbolic link: the application's "
              "argv, sys.executable resolved", g.rc == 2 and
              "app: unknown scenario ['-c', 'x']" in g.err, repr(g))
    g = ctx.run(wrap + ["./code-link", "flags"])
    ctx.check("no /proc: started through a relative symbolic link: sys.executable is the "
              "binary's resolved path", g.rc == 0 and f'"executable": "{code}"' in g.out,
              repr(g))
    g = ctx.run(wrap + [code, "mp", "spawn"])
    w = ctx.run(wrap + [stock, "-I", app_py, "mp", "spawn"])
    pair = Pair(ctx, [(code, "EXE"), (stock, "EXE")])
    pair.compare("no /proc: multiprocessing spawn as python's", g, w, err=False)
    # fexecve: the kernel's path is /dev/fd/N, which needs /proc to mean anything.
    helper = ("import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); "
              "os.execve(fd, sys.argv[1:], {'PATH': '/usr/bin:/bin'})")
    g = ctx.run(wrap + [sys.executable, "-c", helper, py, "-c", "print('started')"])
    ctx.check("no /proc: started through a descriptor (fexecve): status 1 and one "
              "sentence saying which path could not be checked",
              g.rc == 1 and g.out == "" and
              "error: cannot tell which file this program is: '/proc/self/exe' cannot be "
              "read" in g.err and "/dev/fd/" in g.err and len(g.err.splitlines()) == 1,
              repr(g))


def closed_pipe_check(ctx, label, got, want):
    """After the BrokenPipeError, python's status is 1, or 120 when the flush of
    stdout at exit fails too: that depends on where in a buffered write the pipe
    closed, run by run, for the stock interpreter as for a binary."""
    ok = (1, 120)
    ctx.check(f"{label}: writing to a closed pipe: BrokenPipeError, status 1 or 120",
              want.rc in ok and got.rc in ok and "BrokenPipeError" in got.err,
              f"the binary: status {got.rc}, stderr {got.err[-300:]!r}; python: status "
              f"{want.rc}, stderr {want.err[-300:]!r}")


def normalise_mp_err(err):
    # the traceback of the child that raises: frames differ (runpy), keep the rest
    return [l for l in err.splitlines() if not l.startswith(("  ", "Traceback", "Process "))]


def traceback_checks(ctx, label, got, want, app_py):
    """The frames of an uncaught exception's traceback, against python's."""
    def user(frames, names):
        return [(ln, fn) for f, ln, fn, _ in frames if os.path.basename(f) in names]

    gf, wf = parse_traceback(got.err), parse_traceback(want.err)
    names = {os.path.basename(app_py), "__pyweld_main__.py", "__pyweld_main__.pyc"}
    ctx.check(f"{label}: uncaught exception: the program's frames (line, function)",
              user(gf, names) == user(wf, names) and user(wf, names),
              f"binary: {user(gf, names)}\npython: {user(wf, names)}\n--- stderr:\n{got.err}")
    extra = [f for f in gf if os.path.basename(f[0]) not in names]
    wextra = [f for f in wf if os.path.basename(f[0]) not in names]
    ctx.check(f"{label}: uncaught exception: no frames of pyweld's start-up",
              [f[:3] for f in extra] == [f[:3] for f in wextra],
              f"binary's other frames: {extra}\npython's: {wextra}")
    ctx.check(f"{label}: uncaught exception: the traceback shows the source lines",
              [f[3] for f in gf if os.path.basename(f[0]) in names] ==
              [f[3] for f in wf if os.path.basename(f[0]) in names],
              f"binary:\n{got.err}\npython:\n{want.err}")


def interrupt(ctx, argv, ready=b"ready\n"):
    """Starts argv, waits for its "ready" line, sends SIGINT; returns its Result."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ctx.env,
                         cwd=ctx.dir, stdin=subprocess.DEVNULL, preexec_fn=default_sigint,
                         start_new_session=True)
    first = p.stdout.readline()
    if first == ready:
        p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        err += b"\n[weld_runtime: still running 60 s after SIGINT, killed]"
    return Result(p.returncode, (first + out).decode("utf-8", "replace"),
                  err.decode("utf-8", "replace"))


def closed_pipe(ctx, argv, stdin=None):
    """Reads one line of argv's output, then closes the pipe; returns its Result."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ctx.env,
                         cwd=ctx.dir, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                         preexec_fn=default_sigint, start_new_session=True)
    if stdin:
        # write in the background of the child's reading: it may stop early
        import threading
        t = threading.Thread(target=lambda: (_safe_write(p.stdin, stdin)), daemon=True)
        t.start()
    first = p.stdout.readline()
    p.stdout.close()
    try:
        p.wait(timeout=60)
        note = b""
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        note = b"\n[weld_runtime: still running 60 s after the pipe closed: killed]"
    err = p.stderr.read() + note
    return Result(p.returncode, first.decode("utf-8", "replace"),
                  err.decode("utf-8", "replace"))


def _safe_write(f, data):
    try:
        f.write(data)
        f.close()
    except OSError:
        pass


def wait_in_syscall(pid, numbers, first_arg=None, timeout=10):
    """Waits until pid sits in one of the system calls numbers (x86-64), with
    first_arg as its first argument if given; False if that cannot be seen."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/syscall") as f:
                fields = f.read().split()
        except OSError:
            return False
        if len(fields) > 1 and fields[0].isdigit() and int(fields[0]) in numbers and \
                (first_arg is None or int(fields[1], 16) == first_arg):
            return True
        time.sleep(0.02)
    return False


def wait_reading_stdin(pid, timeout=10):
    """Waits until pid sits in read(0, ...); False if that cannot be seen."""
    return wait_in_syscall(pid, {0}, first_arg=0, timeout=timeout)


# time.sleep's system calls: clock_nanosleep, nanosleep, select, pselect6, poll
SLEEPING = {230, 35, 23, 270, 7}


def interrupt_reading(ctx, argv):
    """Starts argv reading stdin, sends SIGINT once it waits in read(0)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ctx.env,
                         cwd=ctx.dir, stdin=subprocess.PIPE, preexec_fn=default_sigint,
                         start_new_session=True)
    seen = wait_reading_stdin(p.pid)
    if not seen:
        time.sleep(2)
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    return Result(p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


# --- the terminal -------------------------------------------------------------------

def pty_session(argv, env, cwd, steps, timeout=20):
    """Runs argv on a pty, its controlling terminal.

    steps: [(bytes to send or None, bytes to wait for or None[, system
    calls the program must then sit in])]; returns the transcript (CR LF as
    LF) and the exit status; killed after timeout s.
    """
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.chdir(cwd)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    out = b""
    pos = 0

    def read_until(token):
        """Reads until token appears after the last one found (None: until EOF)."""
        nonlocal out, pos
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if token is not None and out.find(token, pos) >= 0:
                pos = out.find(token, pos) + len(token)
                return True
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    return token is None
                out += data
        return False

    for send, want, *calls in steps:
        if send:
            os.write(fd, send)
        if want is not None and not read_until(want):
            break
        if calls:
            wait_in_syscall(pid, calls[0])
    note = b""
    if not read_until(None):
        os.kill(pid, signal.SIGKILL)
        note = b"\n[weld_runtime: no end of the session in %d s: killed]" % timeout
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return (out + note).decode("utf-8", "replace").replace("\r\n", "\n"), \
        os.waitstatus_to_exitcode(status)


# --- py: behaves like python --------------------------------------------------------

def python_mode(ctx, py, stock, pair):
    P, S = [py], [stock, "-I"]

    def both(*args, **kw):
        return ctx.run(P + list(args), **kw), ctx.run(S + list(args), **kw)

    code = "import sys, json; print(json.dumps(sys.argv))"
    pair.compare("py: -c with arguments", *both("-c", code, "a", "-c", "--", "b"))
    pair.compare("py: -c: __main__ as python's",
                 *both("-c", "print(sorted(dir())); print(__name__, __spec__, __loader__)"))
    # (license's text is looked for in files beside os.__file__: inside the
    # binary there are none, and it names the URL instead; only its type)
    pair.compare("py: -c: exit, quit, help, copyright, credits, license (site's builtins)",
                 *both("-c", "print([type(f).__name__ for f in (exit, quit, help, copyright, "
                       "credits, license)], [repr(f)[:40] for f in (exit, quit, help, "
                       "copyright, credits)])"))
    pair.compare("py: -c: sys.exit(4)", *both("-c", "import sys; sys.exit(4)"))
    pair.compare("py: -c: uncaught exception", *both("-c", "1/0"))
    pair.compare("py: -c: sys.flags, sys.argv, sys.orig_argv",
                 *both("-c", "import sys; print(sys.flags, sys.argv, sys.orig_argv[-3:])",
                       "x"))
    g = ctx.run(P + ["-c", "import sys, json; print(json.dumps([sys.executable, sys.path, "
                     "sys.prefix, sys.exec_prefix, sys.base_prefix]))"])
    try:
        exe, path, *prefixes = json.loads(g.out)
        ctx.check("py: sys.executable is the binary", exe == py, f"{exe!r} != {py!r}")
        ctx.check("py: sys.path is [the binary] (no directory of the build machine)",
                  path == [py], f"sys.path = {path!r}; prefixes {prefixes!r}")
    except ValueError:
        ctx.check("py: sys.executable, sys.path", False, repr(g))

    # -m
    data = b'{"b": [1, 2, {"c": null}], "a": "\\u00e9"}\n'
    pair.compare("py: -m json.tool", *both("-m", "json.tool", "--sort-keys", stdin=data))
    pair.compare("py: -m with a missing module", *both("-m", "nosuchmodule_pyweld"))
    pair.compare("py: -m a package (__main__)", *both("-m", "json", stdin=b"[]"))

    # a script path, stdin
    app_py = ctx.path("app.py")
    prog = ctx.path("prog.py")
    with open(prog, "w") as f:
        f.write("import sys\nprint(sys.argv, __name__, __file__)\n"
                "print(sorted(dir()))\nraise SystemExit(sys.argv[-1])\n")
    pair.compare("py: a script path with arguments", *both(prog, "x", "-c", "7"))
    pair.compare("py: a missing script", *both(ctx.path("missing.py")))
    src = b"import sys\nprint(sys.argv, sorted(dir()))\nsys.exit(3)\n"
    pair.compare("py: a program on stdin", *both(stdin=src))
    pair.compare("py: - with arguments", *both("-", "a", "b", stdin=src))

    # the REPL on a pipe
    repl = b"x = 6 * 7\nx\nprint(sorted(dir()))\nimport sys; sys.ps1\n1/0\nexit\nexit(3)\n"
    pair.compare("py: -i: the REPL on a pipe (prompts, results, exit(3))",
                 *both("-i", stdin=repl))
    pair.compare("py: -i -c: inspect after -c", *both("-i", "-c", "y = 5", stdin=b"y * 2\n"))
    pair.compare("py: the REPL on a pipe ends at EOF",
                 *both("-i", stdin=b"print('last')\n"))

    # the REPL on a terminal
    # Ctrl-C only once the statement sleeps ("sleep" + "ing" is printed by
    # it, not echoed, and then it sits in the sleep's system call), so that it
    # interrupts time.sleep and not the line editor, nor print on its way out
    # (3.13's traceback points at the very call)
    steps = [(None, b">>> "), (b"6 * 7\n", b"42"), (None, b">>> "),
             (b"import sys; sys.flags.interactive, sys.ps1, sorted(dir())\n", b"]"),
             (None, b">>> "),
             (b"import time; print('sleep' + 'ing'); time.sleep(30)\n", b"sleeping",
              SLEEPING),
             (b"\x03", b"KeyboardInterrupt"), (None, b">>> "),
             (b"exit(7)\n", None)]
    g = pty_session(P, ctx.env, ctx.dir, steps)
    w = pty_session(S, ctx.env, ctx.dir, steps)
    pair.compare("py: the REPL on a terminal (banner, prompts, Ctrl-C, exit(7))",
                 Result(g[1], g[0], ""), Result(w[1], w[0], ""))
    # The binary's REPL has site's line editing and completion (docs/weld.md:
    # site's builtins "exit, quit, help, REPL completion" are set up by hand),
    # which python -I leaves out (site.main skips enablerlcompleter when
    # isolated): the line editor echoes Ctrl-D as "^D".  The reference for
    # the line editor is python with site (-E -s: still no PYTHON* variables,
    # no user site).
    g = pty_session(P, ctx.env, ctx.dir, [(None, b">>> "), (b"\x04", None)])
    w = pty_session([stock, "-E", "-s"], ctx.env, ctx.dir, [(None, b">>> "), (b"\x04", None)])
    pair.compare("py: the REPL on a terminal ends at Ctrl-D (line editing as python's "
                 "with site)", Result(g[1], g[0], ""), Result(w[1], w[0], ""))
    probe = b"import sys; 'readline' in sys.modules, sys.flags.isolated\n"
    steps = [(None, b">>> "), (probe, b")"), (None, b">>> "), (b"\x04", None)]
    g = pty_session(P, ctx.env, ctx.dir, steps)
    w = pty_session([stock, "-E", "-s"], ctx.env, ctx.dir, steps)
    ctx.check("py: the REPL on a terminal has line editing (readline), isolated",
              "(True, 1)" in g[0] and "(True, 0)" in w[0],
              f"binary: {g[0][-300:]!r}; python -E -s: {w[0][-300:]!r}")

    # options
    pair.compare("py: -V", *both("-V"))
    pair.compare("py: --version --version", *both("--version", "--version"))
    pair.compare("py: -h", *both("-h"))
    pair.compare("py: a bad option", *both("--no-such-option"))
    pair.compare("py: -S: no site, no exit()",
                 *both("-S", "-c", "import sys; print('site' in sys.modules); exit"))
    pair.compare("py: -O", *both("-O", "-c", "print(__debug__); assert False, 'x'"))
    pair.compare("py: -W error", *both("-W", "error", "-c",
                                        "import warnings; warnings.warn('w')"))
    pair.compare("py: -X utf8", *both("-X", "utf8", "-c",
                                       "import sys; print(sys.flags.utf8_mode, "
                                       "sys.stdout.encoding)"))
    pair.compare("py: -B -s -E -P accepted", *both("-B", "-s", "-E", "-P", "-c",
                                                   "import sys; print(sys.flags)"))

    # policy: PYTHON* variables are ignored (as python -I ignores them)
    mod = ctx.path("envdir")
    os.makedirs(mod, exist_ok=True)
    with open(os.path.join(mod, "pyweld_env_probe.py"), "w") as f:
        f.write("print('imported from PYTHONPATH')\n")
    with open(os.path.join(mod, "startup.py"), "w") as f:
        f.write("print('PYTHONSTARTUP ran')\n")
    env = dict(ctx.env, PYTHONPATH=mod, PYTHONSTARTUP=os.path.join(mod, "startup.py"),
               PYTHONINSPECT="1", PYTHONOPTIMIZE="2", PYTHONDONTWRITEBYTECODE="1",
               PYTHONUTF8="1", PYTHONWARNINGS="error", PYTHONHOME="/nonexistent")
    pair.compare("py: PYTHON* variables ignored (policy), as with -I",
                 *both("-c", "import sys; print(sys.flags); import pyweld_env_probe",
                       env=env))

    # the locale's encoding
    enc = "import sys, locale; print(sys.stdout.encoding, sys.stderr.errors, " \
          "sys.getfilesystemencoding(), locale.getpreferredencoding(), " \
          "sys.flags.utf8_mode); print('\\u00e9\\u20ac')"
    for loc in ("C.UTF-8", "C", "POSIX"):
        pair.compare(f"py: LC_ALL={loc}: encodings and printing non-ASCII",
                     *both("-c", enc, env=dict(ctx.env, LC_ALL=loc)))
    env = dict(ctx.env)
    del env["LC_ALL"]
    env["LANG"] = "C.UTF-8"
    pair.compare("py: LANG=C.UTF-8: encodings and printing non-ASCII",
                 *both("-c", enc, env=env))

    # subprocess with sys.executable
    code = ("import subprocess, sys, json; r = subprocess.run([sys.executable, '-c', "
            "'import sys; print(sys.argv, sys.executable == sys.argv[0] or "
            "sys.executable); sys.exit(7)', 'z'], capture_output=True, text=True); "
            "print(json.dumps([r.returncode, r.stdout, r.stderr]))")
    pair.compare("py: subprocess.run([sys.executable, '-c', ...])", *both("-c", code))

    # the app's scenarios, run as a script path
    app_scenarios(ctx, "py app.py", [py, app_py], stock, app_py, pair)


# --- mod: -m json.tool --------------------------------------------------------------

def module_mode(ctx, mod, stock, pair):
    P, S = [mod], [stock, "-I", "-m", "json.tool"]

    def both(*args, **kw):
        return ctx.run(P + list(args), **kw), ctx.run(S + list(args), **kw)

    data = b'{"b": [1, 2, {"c": null}], "a": "\\u00e9", "n": 1.5e300}\n'
    pair.compare("mod: stdin to stdout", *both(stdin=data))
    pair.compare("mod: options (--sort-keys --no-ensure-ascii --indent 1)",
                 *both("--sort-keys", "--no-ensure-ascii", "--indent", "1", stdin=data))
    src = ctx.path("in.json")
    with open(src, "wb") as f:
        f.write(data)
    g = ctx.run(P + [src, ctx.path("out-binary.json")])
    w = ctx.run(S + [src, ctx.path("out-python.json")])
    with open(ctx.path("out-binary.json"), "rb") as f1, \
            open(ctx.path("out-python.json"), "rb") as f2:
        same = f1.read() == f2.read()
    pair.compare("mod: file arguments (sys.argv passed through)", g, w)
    ctx.check("mod: file arguments: the same file written", same)
    pair.compare("mod: --help", *both("--help"))
    pair.compare("mod: a bad option: status 2 and usage", *both("--no-such-option"))
    pair.compare("mod: invalid JSON: status 1 and the message", *both(stdin=b"{oops"))
    pair.compare("mod: a missing input file", *both(ctx.path("missing.json")))
    big = b"".join(b'{"k": %d}\n' % i for i in range(200000))
    g = closed_pipe(ctx, P + ["--json-lines"], stdin=big)
    w = closed_pipe(ctx, S + ["--json-lines"], stdin=big)
    pair.compare(f"mod: writing to a closed pipe: status {w.rc}", g, w, out=False)
    g = interrupt_reading(ctx, P)
    w = interrupt_reading(ctx, S)
    pair.compare(f"mod: SIGINT while reading stdin: status {w.rc}", g, w, err=False)
    tg, tw = parse_traceback(g.err), parse_traceback(w.err)
    # Where the signal lands is a race: inside the C read (no frame of its
    # own) or in codecs' decode just after it, in either interpreter.
    while tg and tg[-1][0] == "<frozen codecs>":
        tg = tg[:-1]
    while tw and tw[-1][0] == "<frozen codecs>":
        tw = tw[:-1]
    ctx.check("mod: SIGINT traceback: no frames of pyweld's start-up",
              [f[:3] for f in tg if f[0] == "<string>"] == [],
              f"binary:\n{g.err}\npython:\n{w.err}")
    ctx.check("mod: SIGINT traceback: the same frames as python -m",
              [(os.path.basename(f[0]).replace(".pyc", ".py"), f[1], f[2]) for f in tg] ==
              [(os.path.basename(f[0]), f[1], f[2]) for f in tw],
              f"binary:\n{g.err}\npython:\n{w.err}")
    ctx.check("mod: SIGINT traceback: the source lines of json.tool's frames",
              [f[3] for f in tg if f[0] != "<string>"] == [f[3] for f in tw],
              f"binary:\n{g.err}\npython:\n{w.err}")


# --- main ---------------------------------------------------------------------------

PARTS = ("behaviour", "multiprocessing", "selfpath", "noproc")


def body(ctx, parts):
    stock = distribution(ctx)
    app_py = ctx.path("app.py")
    with open(app_py, "w") as f:
        f.write(APP_SRC)
    t0 = time.monotonic()
    full = "behaviour" in parts or "multiprocessing" in parts
    py = build(ctx, "py")
    code = build(ctx, "code", "--python-code", APP_SRC)
    script = fast = mod = nomp = ctx.path("not-built")
    if full:
        script = build(ctx, "script", "--script", app_py)
        fast = build(ctx, "fast", "--script", app_py, "--fast-exit")
        # --no-prune: the exploits' checks run multiprocessing's children
        # (spawn_main) in a binary whose json.tool never imports it.
        mod = build(ctx, "mod", "-m", "json.tool", "--no-prune")
    if "behaviour" in parts:
        p = ctx.run([ctx.pyweld, "build", "--fast-exit", "-o", ctx.path("no-entry")],
                    env=dict(ctx.env, **ctx.cache_env))
        ctx.check("--fast-exit without an entry point: a usage error naming it",
                  p.rc == 2 and p.err.startswith("pyweld: error: --fast-exit") and
                  not os.path.exists(ctx.path("no-entry")), repr(p))
    if "multiprocessing" in parts:
        # The application without multiprocessing's children, from a project
        # file (multiprocessing-children = false).
        nomp_dir = ctx.path("nomp-project")
        os.mkdir(nomp_dir)
        shutil.copy(app_py, os.path.join(nomp_dir, "app.py"))
        with open(os.path.join(nomp_dir, "pyweld.ini"), "w") as f:
            f.write("[app]\nscript = app.py\n[build]\nmultiprocessing-children = false\n")
        try:
            nomp = build(ctx, "nomp", "--config", os.path.join(nomp_dir, "pyweld.ini"))
        except Failure as e:
            ctx.check("a build with multiprocessing-children = false in pyweld.ini", False,
                      str(e))
            nomp = None
    print(f"builds: {time.monotonic() - t0:.0f} s", flush=True)
    stock_real = os.path.realpath(stock)
    # The standard library's files are under the binary in a weld, under the
    # prefix for python (3.13's json.tool shows them in a traceback).
    stdlib = os.path.join(os.path.dirname(os.path.dirname(stock_real)), "lib",
                          f"python{ctx.version}")
    subs = sorted({(stdlib, "EXE"), (stock, "EXE"), (stock_real, "EXE"), (py, "EXE"), (code, "EXE"),
                   (script, "EXE"), (fast, "EXE"), (mod, "EXE"), (nomp or mod, "EXE")},
                  key=lambda s: -len(s[0]))
    pair = Pair(ctx, subs)

    if "multiprocessing" in parts:
        t0 = time.monotonic()
        multiprocessing_checks(ctx, stock, app_py, pair, code, script, fast, mod, nomp)
        print(f"multiprocessing: {time.monotonic() - t0:.0f} s", flush=True)
    if "selfpath" in parts:
        t0 = time.monotonic()
        selfpath_checks(ctx, py, code)
        print(f"selfpath: {time.monotonic() - t0:.0f} s", flush=True)
    if "noproc" in parts:
        t0 = time.monotonic()
        noproc_checks(ctx, stock, app_py, py, code)
        print(f"noproc: {time.monotonic() - t0:.0f} s", flush=True)
    if "behaviour" not in parts:
        return
    t0 = time.monotonic()
    python_mode(ctx, py, stock, pair)
    print(f"py: {time.monotonic() - t0:.0f} s", flush=True)
    for label, exe in (("code", code), ("script", script), ("fast", fast)):
        t0 = time.monotonic()
        app_scenarios(ctx, label, [exe], stock, app_py, pair)
        g = ctx.run([exe, "-c", "print('python mode')"])
        ctx.check(f"{label}: '-c CODE' goes to the program, not to python",
                  g.rc == 2 and "unknown scenario ['-c', \"print('python mode')\"]" in g.err,
                  repr(g))
        print(f"{label}: {time.monotonic() - t0:.0f} s", flush=True)
    t0 = time.monotonic()
    module_mode(ctx, mod, stock, pair)
    print(f"mod: {time.monotonic() - t0:.0f} s", flush=True)


def main():
    ap = argparse.ArgumentParser(prog="weld_runtime")
    ap.add_argument("--pyweld", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--python", help="weld this CPython version (X.Y; default 3.11)")
    ap.add_argument("parts", nargs="*", metavar="PART",
                    help=f"what to check, of {', '.join(PARTS)} (default: all but "
                         "noproc, which needs root)")
    args = ap.parse_args()
    for part in args.parts:
        if part not in PARTS:
            ap.error(f"unknown part {part!r} (of {', '.join(PARTS)})")
    ctx = Context(args)
    t0 = time.monotonic()
    try:
        body(ctx, args.parts or PARTS[:-1])
    except Skip as e:
        print(f"weld_runtime: skipped: {e}")
        shutil.rmtree(ctx.dir, ignore_errors=True)
        sys.exit(SKIP)
    except BaseException as e:
        if isinstance(e, Failure):
            print(f"weld_runtime: FAILED: {e}", file=sys.stderr)
        else:
            import traceback
            traceback.print_exc()
        print(f"weld_runtime: the work directory is kept: {ctx.dir}", file=sys.stderr)
        sys.exit(1)
    took = time.monotonic() - t0
    if ctx.failed:
        print(f"\nweld_runtime: FAILED: {len(ctx.failed)} of {ctx.checks} checks "
              f"({took:.0f} s):", file=sys.stderr)
        for name in ctx.failed:
            print(f"  {name}", file=sys.stderr)
        print(f"weld_runtime: the work directory is kept: {ctx.dir}", file=sys.stderr)
        sys.exit(1)
    print(f"weld_runtime: {ctx.checks} checks passed in {took:.0f} s")
    if ctx.args.keep:
        print(f"weld_runtime: the work directory is kept: {ctx.dir}")
    else:
        shutil.rmtree(ctx.dir, ignore_errors=True)


if __name__ == "__main__":
    main()

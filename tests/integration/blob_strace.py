#!/usr/bin/env python3
"""Nothing is read from the file system: ~500 standard-library modules imported under strace.

1. The module list is generated, not hand-picked: every module of the
   distribution's standard library (each .py file and package under
   <prefix>/lib/python3.11, each extension in lib-dynload, each built-in)
   that imports cleanly in the distribution's own `python3.11 -I -S -B`
   (no site: the binary runs none, and setuptools' distutils hack would
   answer for distutils), each
   in a fresh forked child, leaving out:
     - test and tests packages and modules anywhere, idlelib, tkinter,
       turtle, turtledemo (not packed by default), every __main__,
       antigravity and this;
     - anything with side effects, found, not named: a child that writes to
       stdout or stderr (warnings silenced), or that an audit hook catches
       writing, removing or renaming files, making directories, starting
       processes, opening sockets or a browser (lib2to3, for one, writes
       its grammar pickle beside itself).
   The count is printed.
2. The fixture's binary (blob_weld.py: pw_resources welded in) imports them
   all, and pw_resources, its subpackage, its extension and the namespace
   package pw_ns, under `strace -f -e trace=%file`, in an empty directory.
   Every module must import, except those that need an extension module
   the weld leaves out by default (docs/weld.md: _dbm, _gdbm, nis, the
   _test* modules, ...; found as lib-dynload names missing from the
   binary's sys.builtin_module_names); every imported module must come from
   the binary (its __file__ under it, or a built-in).
3. No file-name system call of the traced process tree may name
     - a .py, .pyc or .pyo file or a __pycache__ directory, anywhere;
     - anything under the distribution's prefix (its standard library,
       lib-dynload, site-packages);
     - anything of the application: the package's source copy, the weld's
       work directory (its venv holds the installed package);
     - a package directory inside the binary ("<binary>/json"): a sign that
       a path finder, not pyweld's importer, looked for a module there.
   The binary's view of its packed tree (runtime/fileview.c) answers paths
   inside the binary without a system call, so such a look no longer shows
   in the strace log: the view's own trace (_pyweld.file_view_trace) is
   held to the same rules instead.  The view must be on; what it answered
   (lib2to3 reading its grammar beside __file__, zoneinfo's search) is
   printed, and none of it may be a .py/.pyc/.pyo file, a __pycache__ or a
   package directory inside the binary.

Skips (77) when strace is missing or cannot trace here (ptrace refused).

    blob_strace.py --pyweld build/bin/pyweld --app DIR [--keep]
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blob_testlib as bt  # noqa: E402
import weld_testlib as wt  # noqa: E402

# Run by the distribution's python3.11 -I -S -B: prints a JSON report.
GENERATOR = r'''
import os, sys

stdlib, dynload = sys.argv[1], sys.argv[2]
LEFT_OUT_TOP = {"idlelib", "tkinter", "turtle", "turtledemo", "antigravity", "this"}

def left_out(name):
    parts = name.split(".")
    return (parts[0] in LEFT_OUT_TOP or "__main__" in parts
            or any(p in ("test", "tests") for p in parts))

names = set(sys.builtin_module_names)
for d, dirs, files in os.walk(stdlib):
    rel = os.path.relpath(d, stdlib)
    if rel == ".":
        prefix = ""
        dirs[:] = [x for x in dirs if x not in ("site-packages", "lib-dynload", "__pycache__")
                   and not x.startswith("config-3")]
    else:
        if not os.path.isfile(os.path.join(d, "__init__.py")):
            dirs[:] = []
            continue
        prefix = rel.replace(os.sep, ".") + "."
        names.add(prefix[:-1])
    dirs[:] = [x for x in dirs if x != "__pycache__" and x.isidentifier()]
    for f in files:
        if f.endswith(".py") and f != "__init__.py" and f[:-3].isidentifier():
            names.add(prefix + f[:-3])
for f in os.listdir(dynload):
    if f.endswith(".so"):
        names.add(f.split(".", 1)[0])
candidates = sorted(n for n in names if not left_out(n))

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
SIDE_EVENTS = {
    "os.mkdir", "os.rmdir", "os.remove", "os.rename", "os.link", "os.symlink",
    "os.truncate", "os.chmod", "os.chown", "os.utime", "os.chdir", "os.system",
    "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.kill",
    "os.killpg", "subprocess.Popen", "socket.connect", "socket.bind", "socket.sendto",
    "webbrowser.open", "shutil.rmtree", "shutil.copyfile", "shutil.move",
    "tempfile.mkstemp", "tempfile.mkdtemp",
}

def child(name, report_fd):
    def hook(event, args):
        what = None
        if event == "open":
            path, mode, flags = (list(args) + [None, None, None])[:3]
            if isinstance(path, (str, bytes)) and (
                    (isinstance(mode, str) and any(ch in mode for ch in "wax+")) or
                    (isinstance(flags, int) and flags & WRITE_FLAGS)):
                what = f"opens {path!r} for writing"
        elif event in SIDE_EVENTS:
            what = f"{event}{args!r}"[:200]
        if what:
            os.write(report_fd, ("side effect: " + what + "\n").encode())
            raise PermissionError(what)
    import warnings
    warnings.simplefilter("ignore")
    sys.addaudithook(hook)
    try:
        __import__(name)
    except BaseException as e:
        os.write(report_fd, f"failed: {type(e).__name__}: {e}"[:300].encode() + b"\n")
        return 3
    # Only the standard library's own files: nothing from site-packages.
    where = getattr(sys.modules[name], "__file__", None)
    if where and not where.startswith(stdlib + os.sep):
        os.write(report_fd, f"failed: not the standard library's: {where}".encode() + b"\n")
        return 3
    return 0

clean, side, failed = [], {}, {}
for name in candidates:
    out = os.open("child.out", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    rep_r, rep_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rep_r)
        os.dup2(out, 1)
        os.dup2(out, 2)
        import signal
        signal.alarm(60)
        status = 4
        try:
            status = child(name, rep_w)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)
    os.close(rep_w)
    report = b""
    while True:
        chunk = os.read(rep_r, 65536)
        if not chunk:
            break
        report += chunk
    os.close(rep_r)
    _, status = os.waitpid(pid, 0)
    output = os.pread(out, 400, 0)
    os.close(out)
    text = report.decode("utf-8", "replace").strip()
    if text.startswith("side effect") or "side effect:" in text:
        side[name] = text.splitlines()[0]
    elif status != 0:
        failed[name] = text.splitlines()[0] if text else f"wait status {status}"
    elif output:
        side[name] = "writes " + repr(output[:120])
    else:
        clean.append(name)
os.remove("child.out")
left = sorted(set(os.listdir(".")))
import json
print(json.dumps({"candidates": len(candidates), "clean": clean, "side_effects": side,
                  "failed": failed, "left_in_cwd": left}))
'''

# Run by the welded binary under strace: imports the list, says what happened.
IMPORTER = r'''
import sys, json, importlib, warnings, _pyweld
_pyweld.file_view_trace(True)
warnings.simplefilter("ignore")
names = json.loads(sys.argv[1])
failed = {}
for name in names + ["pw_resources", "pw_resources.sub", "pw_resources.sub.helpers",
                     "pw_resources.cli", "pw_resources._speedups", "pw_ns", "pw_ns.sub",
                     "pw_ns.sub.mod"]:
    try:
        importlib.import_module(name)
    except BaseException as e:
        # the names of the modules missing along the chain ("crypt" needs "_crypt")
        missing, x = [], e
        while x is not None:
            if isinstance(x, ImportError) and x.name:
                missing.append(x.name)
            x = x.__cause__ or x.__context__
        failed[name] = [type(e).__name__, str(e), missing]
exe = sys.executable + "/"
foreign = sorted(n for n, m in list(sys.modules.items())
                 if isinstance(getattr(m, "__file__", None), str)
                 and not m.__file__.startswith(exe))
print("@@REPORT@@" + json.dumps({"imported": len(names) - len(failed), "failed": failed,
                                  "foreign": foreign, "modules": len(sys.modules),
                                  "builtins": sorted(sys.builtin_module_names),
                                  "file_view": _pyweld.file_view,
                                  "view_trace": _pyweld.file_view_trace(False)}))
'''

CALL = re.compile(r'^(?:\[pid\s+)?(\d+)\]?\s+(\w+)\((.*)$')
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def unescape(s):
    return s.encode("latin-1", "backslashreplace").decode("unicode_escape").encode(
        "latin-1", "replace").decode("utf-8", "replace")


def traced_paths(log, cwd):
    """(syscall, path, line) for every system call in the log that names a
    path (its first string argument), resolved against cwd."""
    out = []
    for line in log.splitlines():
        m = CALL.match(line)
        if not m:
            continue
        call, rest = m.group(2), m.group(3)
        q = QUOTED.search(rest)
        if not q:
            continue
        path = unescape(q.group(1))
        if not path:
            continue            # fstat-like calls on a descriptor (AT_EMPTY_PATH)
        out.append((call, os.path.normpath(os.path.join(cwd, path)), line))
    return out


def under(path, root):
    root = os.path.normpath(root)
    return path == root or path.startswith(root + os.sep)


def module_list(c):
    """The generated list (see the docstring): made once per fixture, kept in
    the fixture's directory beside the binary it was made for."""
    w = c.weld
    cache = os.path.join(w.dir, "stdlib-modules.json")
    if os.path.isfile(cache):
        with open(cache) as f:
            gen = json.load(f)
        if gen.get("dist") == w.dist_key():
            return gen, True
    gen_dir = c.path("generate")
    os.makedirs(gen_dir)
    p = c.run([w.python, "-I", "-S", "-B", "-c", GENERATOR, w.stdlib,
               os.path.join(w.stdlib, "lib-dynload")], cwd=gen_dir, env=c.run_env,
              timeout=900)
    c.require(p.returncode == 0, f"the module list generator exited {p.returncode}:\n"
              f"{wt.tail(p.err)}")
    gen = json.loads(p.out.strip().splitlines()[-1])
    gen["dist"] = w.dist_key()
    c.check(not gen["left_in_cwd"], f"the generator's children left files behind: "
            f"{gen['left_in_cwd']}")
    tmp = f"{cache}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(gen, f, indent=1)
    os.rename(tmp, cache)
    return gen, False


def stdlib_names(c):
    gen, cached = module_list(c)
    names = gen["clean"]
    print(f"  module list{' (cached)' if cached else ''}: {len(names)} standard-library "
          f"modules import cleanly in python3.11 -I -S -B, of {gen['candidates']} "
          f"candidates; {len(gen['side_effects'])} left out for side effects, "
          f"{len(gen['failed'])} do not import")
    for name, why in sorted(gen["side_effects"].items()):
        print(f"    side effect: {name}: {why}")
    c.require(len(names) >= 450, f"only {len(names)} modules in the list; the standard "
              "library has about 500 that import cleanly")
    return names


def import_all(c, names, prefix_argv=(), cwd=None):
    """Runs IMPORTER in the binary (under prefix_argv, e.g. strace)."""
    p = c.run([*prefix_argv, c.weld.exe, "-c", IMPORTER, json.dumps(names)],
              cwd=cwd or c.dir, env=c.run_env, timeout=600)
    lines = [l for l in p.out.splitlines() if l.startswith("@@REPORT@@")]
    c.require(p.returncode == 0 and lines, f"the binary exited {p.returncode}:\n"
              f"{wt.tail(p.out)}\n{wt.tail(p.err)}")
    report = json.loads(lines[-1][len("@@REPORT@@"):])
    print(f"  the binary imported {report['imported']} of {len(names)} "
          f"({report['modules']} modules in sys.modules)")
    return report


def case_stdlib_imports(c):
    """every module of the list imports in the binary, from the binary"""
    w = c.weld
    names = stdlib_names(c)
    report = import_all(c, names)
    dynload = {f.split(".", 1)[0] for f in os.listdir(os.path.join(w.stdlib, "lib-dynload"))
               if f.endswith(".so")}
    left_out_ext = dynload - set(report["builtins"])
    unexpected = {}
    for name, (exc, msg, missing) in sorted(report["failed"].items()):
        if exc in ("ModuleNotFoundError", "ImportError") and set(missing) & left_out_ext:
            continue            # needs an extension the weld leaves out by default
        unexpected[name] = f"{exc}: {msg}"
    by_message = {}
    for n, m in unexpected.items():
        by_message.setdefault(m, []).append(n)
    c.check(not unexpected, f"{len(unexpected)} modules import in python3.11 but not in "
            "the binary:\n" + "\n".join(
                f"{ns[0]}: {m}" if len(ns) == 1 else
                f"{len(ns)} modules ({', '.join(ns[:4])}{', ...' if len(ns) > 4 else ''}): {m}"
                for m, ns in by_message.items()))
    excused = sorted(set(report["failed"]) - set(unexpected))
    if excused:
        print(f"  left out with their extension ({', '.join(sorted(left_out_ext))}): "
              f"{', '.join(excused)}")
    c.check(not report["foreign"], f"modules whose __file__ is not inside the binary: "
            f"{report['foreign']}")


def case_strace_stdlib(c):
    """~500 standard-library modules and the application imported: no .py, .pyc or directory opened"""
    strace = bt.strace_or_skip(c)
    w = c.weld
    names = stdlib_names(c)
    run_dir = c.path("run")
    os.makedirs(run_dir)
    log = c.path("strace.log")
    report = import_all(c, names, (strace, "-f", "-qq", "-s", "4096", "-e", "trace=%file",
                                   "-o", log), cwd=run_dir)
    # Import failures are stdlib_imports' business; here they only shrink the
    # set of modules whose loading was traced.
    c.check(report["imported"] >= 450, f"only {report['imported']} modules imported under "
            "strace: too few for the test to mean anything")

    # 3. The trace.
    with open(log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    calls = traced_paths(text, run_dir)
    c.require(any(call == "execve" and path == w.exe for call, path, _ in calls),
              f"the trace does not show the binary's execve: is {log} a trace?")
    exe = os.path.normpath(w.exe)
    with open(w.info["blob"], "rb") as f:
        entries = bt.parse_blob(f.read())["entries"]
    package_dirs = {os.path.join(exe, *e["name"].split(".")) for e in entries
                    if e["kind"] == bt.MODULE and e["flags"] & (bt.PACKAGE | bt.NAMESPACE)}
    bad = []
    for call, path, line in calls:
        why = None
        if path.endswith((".py", ".pyc", ".pyo")) or "/__pycache__" in path:
            why = "a Python source or bytecode file"
        elif under(path, w.prefix):
            why = "the distribution (its standard library)"
        elif under(path, os.path.dirname(w.src)) or under(path, w.work):
            why = "the application's files"
        elif path in package_dirs:
            why = "a package directory inside the binary"
        if why:
            bad.append(f"{why}: {line.strip()}")
    print(f"  {len(calls)} file-name system calls traced, {len(bad)} of them forbidden")
    # The same rules for what the binary's view answered in-process.
    c.check(report["file_view"], "the binary's packed tree is not readable by path "
            "(_pyweld.file_view is False): the weld left the view out")
    package_names = {os.path.relpath(d, exe) for d in package_dirs}
    answered = report["view_trace"]
    print(f"  the view answered {len(answered)} calls: "
          + ", ".join(f"{call} {name}" for call, name in answered[:8])
          + (" ..." if len(answered) > 8 else ""))
    looked = [f"{call} {name}" for call, name in answered
              if name.endswith((".py", ".pyc", ".pyo")) or "__pycache__" in name.split("/")
              or name in package_names]
    c.check(not looked, f"{len(looked)} calls answered by the view look for modules "
            "inside the binary (a path finder, not pyweld's importer):\n"
            + "\n".join(looked[:40]))
    c.check(not bad, f"{len(bad)} forbidden file-name system calls (strace log: {log}):\n"
            + "\n".join(bad[:40]) + ("\n..." if len(bad) > 40 else ""))


CASES = {"strace_stdlib": case_strace_stdlib, "stdlib_imports": case_stdlib_imports}

if __name__ == "__main__":
    sys.exit(bt.main(__doc__, CASES, "blob"))

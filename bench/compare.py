#!/usr/bin/env python3
"""compare.py: pyweld against the tools users would pick instead (run it as `bench/run`).

Builds the same applications with pyweld, PyInstaller --onefile and Nuitka
--onefile (from the pinned benchmark venv) and runs them beside stock CPython:

  hello   print("hello")
  stdlib  import_stdlib.py: every standard-library module that imports cleanly in
          a fresh process in Debian's python3.11 (with and without -I -S), the
          distribution's python3.11 and a welded binary (gen_import_stdlib.py)
  real    apps/real.py: markupsafe, simplejson, PyYAML, psutil and zstandard, a
          little work with each
  rust    apps/rust.py: the same shape with Rust extensions, orjson and pydantic
          (pydantic-core): PyInstaller and Nuitka bundle the PyPI wheels, pyweld
          welds them from their sdists (cargo and rustc must be on PATH)

Figures per application and command: wall time (hot cache: median of many runs,
the commands alternating run by run; cold: page cache dropped before each run,
where root may), callgrind instructions (hello and stdlib; stable on a busy
machine), peak RSS (ru_maxrss of the largest process of the run), bytes written
to files during a run (/proc/self/io of this process after reaping the run,
and one strace -f of it that lists the files), binary size, build time.  Every
timed run's output is checked: an early ImportError also looks fast.

Built artifacts are cached under ~/.cache/pyweld/bench/artifacts, keyed by
every input (tool and version, or pyweld's executable and distribution; the
application's source; the pins); --rebuild builds them again.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CACHE = os.path.expanduser(os.environ.get("PYWELD_BENCH_CACHE", "~/.cache/pyweld/bench"))
VENV = os.path.join(CACHE, "venv")
STOCK = "/usr/bin/python3.11"
PKGS = ["markupsafe==2.1.5", "simplejson==3.19.3", "PyYAML==6.0.2", "psutil==5.9.8",
        "zstandard==0.23.0"]
# What pyweld needs to build the C code of those packages rather than fall back.
PYWELD_ENV = ["REQUIRE_SPEEDUPS=1", "PYYAML_FORCE_LIBYAML=1"]
# The Rust variant: orjson and pydantic (pydantic-core), built by rustc.
RUST_PKGS = ["orjson==3.10.7", "pydantic==2.14.4"]
APP_PKGS = {"real": (PKGS, PYWELD_ENV), "rust": (RUST_PKGS, [])}
APPS = ("hello", "stdlib", "real", "rust")
TOOLS = ("pyweld", "pyinstaller", "nuitka")
LABEL = {
    "pyweld": "pyweld",
    "pyweld-fx": "pyweld --fast-exit",
    "pyinstaller": "PyInstaller --onefile",
    "nuitka": "Nuitka --onefile",
    "stock": "python3.11 (Debian)",
    "stock-IS": "python3.11 -I -S (Debian)",
    "dist": "python3.11 (pyweld's dist)",
    "dist-IS": "python3.11 -I -S (pyweld's dist)",
}


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_text(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw).stdout.strip()


# --- the environment ------------------------------------------------------------

def pyweld_source(pyweld):
    """Where a pyweld executable comes from: the commit, changes that reach the binary."""
    git = run_text(["git", "-C", REPO, "rev-parse", "--short", "HEAD"])
    # Changes that can reach the binary: not bench/, the docs or the tests.
    dirty = [line[3:] for line in subprocess.run(
        ["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
        capture_output=True, text=True).stdout.splitlines()
        if not line[3:].startswith(("bench/", "docs/", "tests/", "README"))]
    bt = "?"
    cache = os.path.join(os.path.dirname(os.path.dirname(pyweld)), "CMakeCache.txt")
    if os.path.isfile(cache):
        for line in open(cache):
            if line.startswith("CMAKE_BUILD_TYPE:"):
                bt = line.split("=", 1)[1].strip()
    return {"commit": git, "uncommitted": dirty, "build_type": bt, "path": pyweld}


def snapshot_pyweld(pyweld):
    """A copy of pyweld and pyweld-cc under the cache: other engineers rebuild build/
    while the benchmark runs."""
    if not os.path.isfile(pyweld):
        sys.exit("bench: error: no '%s'; build pyweld first (ninja -C build)" % pyweld)
    d = os.path.join(CACHE, "pyweld-bin", sha256_file(pyweld)[:16])
    if os.path.dirname(pyweld) == d:
        return pyweld                       # --pyweld a snapshot: measure that one again
    if not os.path.isfile(os.path.join(d, "pyweld")):
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "source.json"), "w") as f:
            json.dump(pyweld_source(pyweld), f)
        for name in ("pyweld-cc", "pyweld"):
            shutil.copy2(os.path.join(os.path.dirname(pyweld), name), os.path.join(d, name + ".tmp"))
            os.replace(os.path.join(d, name + ".tmp"), os.path.join(d, name))
    return os.path.join(d, "pyweld")


class Env:
    def __init__(self, args):
        self.args = args
        self.pyweld_orig = os.path.abspath(args.pyweld)
        self.pyweld = snapshot_pyweld(self.pyweld_orig)
        self.dist = run_text([self.pyweld, "python", "path"])
        if not self.dist or not os.path.isdir(self.dist):
            sys.exit("bench: error: no CPython distribution; run `%s python build`" % self.pyweld)
        self.dist_python = os.path.join(self.dist, "prefix", "bin", "python3.11")
        self.venv_python = os.path.join(VENV, "bin", "python")
        self.site_packages = run_text([self.venv_python, "-c",
                                       "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
        self.tmp = tempfile.mkdtemp(prefix="pyweld-bench-")
        self.run_tmp = os.path.join(self.tmp, "tmp")       # TMPDIR of every timed run
        os.mkdir(self.run_tmp)
        self.run_env = {"PATH": "/usr/bin:/bin", "HOME": os.path.join(self.tmp, "home"),
                        "LANG": "C.UTF-8", "TMPDIR": self.run_tmp, "TERM": "dumb"}
        os.mkdir(self.run_env["HOME"])
        with open(os.path.join(self.dist, "distribution.json")) as f:
            self.dist_info = json.load(f)
        self.pyweld_id = hashlib.sha256((sha256_file(self.pyweld) + self.dist_info["key"])
                                        .encode()).hexdigest()[:16]
        self.versions = self.tool_versions()

    def tool_versions(self):
        v = {}
        freeze = run_text([self.venv_python, "-m", "pip", "freeze", "--disable-pip-version-check"])
        for line in freeze.splitlines():
            if "==" in line:
                k, val = line.split("==", 1)
                v[k.lower()] = val
        src_file = os.path.join(os.path.dirname(self.pyweld), "source.json")
        src = json.load(open(src_file)) if os.path.isfile(src_file) else pyweld_source(self.pyweld_orig)
        return {
            "pyweld": "%s%s (%s, %s; measured as the snapshot %s)" % (
                src["commit"], " + uncommitted %s" % ", ".join(src["uncommitted"])
                if src["uncommitted"] else "", src["path"], src["build_type"], self.pyweld),
            "pyweld_sha256": sha256_file(self.pyweld)[:16],
            "dist": "CPython %s, Debian %s source, %s (key %s)" % (
                self.dist_info["python_version"], self.dist_info["source"]["debian_version"],
                " ".join(a for a in self.dist_info["configure"][1:] if a.startswith(("--dis", "--en", "--with-lto", "CFLAGS"))),
                self.dist_info["key"]),
            "stock": run_text(["dpkg-query", "-W", "-f=${Version}", "python3.11"]) or "?",
            "pyinstaller": v.get("pyinstaller", "?"),
            "nuitka": v.get("nuitka", "?"),
            "zstandard": v.get("zstandard", "?"),
            "matplotlib": v.get("matplotlib", "?"),
            "gcc": run_text(["gcc", "-dumpfullversion"]),
            "valgrind": run_text(["valgrind", "--version"]),
            "strace": run_text(["strace", "-V"]).splitlines()[0] if shutil.which("strace") else "-",
        }

    def machine(self):
        cpu = "?"
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = 0
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) // 1024
        osr = "?"
        if os.path.exists("/etc/os-release"):
            for line in open("/etc/os-release"):
                if line.startswith("PRETTY_NAME="):
                    osr = line.split("=", 1)[1].strip().strip('"')
        fs = run_text(["df", "--output=fstype,source", self.run_tmp]).splitlines()[-1:]
        ra = "?"
        dev = fs[0].split()[-1] if fs else ""
        ra_path = "/sys/block/%s/queue/read_ahead_kb" % os.path.basename(dev)
        if os.path.exists(ra_path):
            ra = open(ra_path).read().strip()
        return {"cpu": cpu, "cores": os.cpu_count(), "memory_mib": mem, "os": osr,
                "kernel": platform.release(), "tmp_fs": fs[0] if fs else "?",
                "read_ahead_kb": ra,
                "loadavg_start": open("/proc/loadavg").read().split()[:3]}


# --- applications -----------------------------------------------------------------

def import_stdlib(env, welded_python):
    """The generated import_stdlib.py, cached by its inputs."""
    gen = os.path.join(HERE, "gen_import_stdlib.py")
    # Not keyed by pyweld's executable (it changes daily, the list hardly): a timed run
    # that stops early fails loudly, and --rebuild generates the list again.
    key = hashlib.sha256(json.dumps([sha256_file(gen), env.dist_info["key"],
                                     env.versions["stock"]]).encode()).hexdigest()[:16]
    out = os.path.join(CACHE, "import_stdlib-%s.py" % key)
    if not os.path.isfile(out) or env.args.rebuild:
        log("generating import_stdlib.py (each candidate in a fresh process, 4 interpreters)")
        subprocess.run([sys.executable, gen, "--stdlib",
                        os.path.join(env.dist, "prefix", "lib", "python3.11"), "-o", out,
                        STOCK + " -I -S", STOCK, env.dist_python + " -I", welded_python],
                       check=True)
    return out


def app_source(env, app, welded_python=None):
    if app == "stdlib":
        return import_stdlib(env, welded_python)
    return os.path.join(HERE, "apps", app + ".py")


def expected_ok(app, src, real_line=None):
    if app == "hello":
        return lambda out: out == b"hello\n"
    if app == "stdlib":
        with open(src) as f:
            n = sum(1 for line in f if line.startswith("import ")) - 1    # less warnings
        want = ("imported %d modules\n" % n).encode()
        return lambda out: out == want
    return lambda out: out == real_line    # "real" and "rust": the venv's line


# --- building ----------------------------------------------------------------------

def artifact(env, tool, app, src, extra_key=""):
    """Path of the cached executable of tool+app, building it if needed; and its meta."""
    with open(src, "rb") as f:
        app_hash = hashlib.sha256(f.read()).hexdigest()
    tool_id = env.pyweld_id if tool.startswith("pyweld") else env.versions[tool]
    pkgs, penv = APP_PKGS.get(app, ([], []))
    key = hashlib.sha256(json.dumps([tool, tool_id, app, app_hash, pkgs, PYWELD_ENV,
                                     extra_key, "debug-file",
                                     "size-report" if tool == "pyweld" else ""]
                                    ).encode()).hexdigest()[:16]
    d = os.path.join(CACHE, "artifacts", "%s-%s-%s" % (tool, app, key))
    exe = os.path.join(d, "app")
    meta_path = os.path.join(d, "meta.json")
    if os.path.isfile(meta_path) and os.path.isfile(exe) and not env.args.rebuild:
        with open(meta_path) as f:
            meta = json.load(f)
        meta["cached"] = True
        return exe, meta
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    work = os.path.join(d, "work")
    os.makedirs(work)
    name = "app"
    if tool.startswith("pyweld"):
        argv = [env.pyweld, "build", "-o", exe]
        if app != "python":                 # "python": no entry point, a plain interpreter
            argv += ["--script", src]
        if tool == "pyweld-fx":             # the opt-in end without finalisation
            argv.append("--fast-exit")
        # Stripped, as by default; its symbols go to app.debug beside it (a
        # .gnu_debuglink section of a few bytes more), which callgrind reads
        # for "where the instructions go".
        argv += ["--debug-file", os.path.join(d, "app.debug")]
        # Where the default build's bytes are, for "Where the bytes are":
        # the JSON on stdout (size.json), the summary in build.log.
        if tool == "pyweld":
            argv.append("--size-report=json")
        for p in pkgs:
            argv += ["--pip-install", p]
        for e in penv:
            argv += ["--env", e]
        built = exe
    elif tool == "pyinstaller":
        argv = [os.path.join(VENV, "bin", "pyinstaller"), "--onefile", "--noconfirm", "--clean",
                "--log-level", "WARN", "--distpath", os.path.join(work, "dist"),
                "--workpath", os.path.join(work, "build"), "--specpath", work, "-n", name, src]
        built = os.path.join(work, "dist", name)
    else:
        # --disable-ccache: an honest first build (ccache would make a rebuild look cheap).
        argv = [env.venv_python, "-m", "nuitka", "--onefile", "--disable-ccache",
                "--output-dir=" + os.path.join(work, "out"), "--output-filename=" + name,
                "--remove-output", src]
        built = os.path.join(work, "out", name)
    log("building %s %s: %s" % (tool, app, " ".join(shlex.quote(a) for a in argv)))
    benv = dict(os.environ)
    benv["PATH"] = os.path.join(VENV, "bin") + ":" + benv.get("PATH", "/usr/bin:/bin")
    # A build from nothing: no tool's own cache from an earlier build (PyInstaller: --clean).
    benv["NUITKA_CACHE_DIR"] = os.path.join(work, "nuitka-cache")
    t0 = time.perf_counter()
    json_out = os.path.join(d, "size.json") if "--size-report=json" in argv else None
    with open(os.path.join(d, "build.log"), "w") as lf:
        out = open(json_out, "w") if json_out else lf
        with out:
            rc = subprocess.run(argv, cwd=work, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=lf, env=benv).returncode
    secs = time.perf_counter() - t0
    if rc != 0 or not os.path.isfile(built):
        with open(os.path.join(d, "build.log")) as f:
            tail = f.read()[-3000:]
        sys.exit("bench: error: building %s %s failed (exit %d); log %s:\n%s"
                 % (tool, app, rc, os.path.join(d, "build.log"), tail))
    if built != exe:
        os.replace(built, exe)
    shutil.rmtree(work, ignore_errors=True)
    meta = {"tool": tool, "app": app, "argv": argv, "build_seconds": secs,
            "size": os.path.getsize(exe), "built_at": datetime.datetime.now().isoformat(
                timespec="seconds"), "key": key, "loadavg": open("/proc/loadavg").read().split()[:3]}
    if json_out:
        meta["size_report"] = size_summary(json_out)
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)
    meta["cached"] = False
    log("built %s %s in %.1f s, %.1f MiB" % (tool, app, secs, meta["size"] / 2**20))
    return exe, meta


def size_summary(path):
    """The final link's inputs of a --size-report=json (name, kind, bytes),
    with the file's size; None when it cannot be read."""
    try:
        with open(path) as f:
            rep = json.load(f)
        return {"bytes": rep["bytes"], "blob_bytes": rep["blob_bytes"],
                "deep_frozen_bytes": rep["deep_frozen_bytes"],
                "inputs": [[i["name"], i["kind"], i["bytes"]] for i in rep["inputs"]]}
    except (OSError, ValueError, KeyError, TypeError) as e:
        log("no size report in %s: %s" % (path, e))
        return None


def stock_footprint(python, stdlib, extra=()):
    total = os.path.getsize(os.path.realpath(python)) + sum(
        os.path.getsize(os.path.realpath(e)) for e in extra if os.path.exists(e))
    for root, dirs, files in os.walk(stdlib):
        dirs[:] = [x for x in dirs if x not in ("site-packages", "dist-packages", "test")]
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files
                     if not os.path.islink(os.path.join(root, f)))
    return total


# --- measuring -----------------------------------------------------------------------

def proc_io():
    d = {}
    with open("/proc/self/io") as f:
        for line in f:
            k, v = line.split(":")
            d[k] = int(v)
    return d


def run_once(cmd, env, cold=False, mem=False):
    """One run: wall seconds, rusage of the tree, bytes written, output.

    ru_maxrss of a child spawned from this (large) Python process starts at this
    process's own peak (the kernel takes the vfork-shared mm's high-water mark at
    exec), so peak memory comes from runs under /usr/bin/time (mem=True) instead."""
    rss_file = None
    if mem:
        rss_file = os.path.join(env["TMPDIR"], "..", "maxrss")
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
    if cold:
        subprocess.run(["sync"], check=True)
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    out_fd = os.memfd_create("bench-out")
    err_fd = os.memfd_create("bench-err")
    null = os.open(os.devnull, os.O_RDONLY)
    fa = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, out_fd, 1),
          (os.POSIX_SPAWN_DUP2, err_fd, 2)]
    io0 = proc_io()
    t0 = time.perf_counter()
    pid = os.posix_spawn(cmd[0], cmd, env, file_actions=fa)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    io1 = proc_io()
    os.close(null)
    outs = []
    for fd in (out_fd, err_fd):
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while True:
            b = os.read(fd, 1 << 16)
            if not b:
                break
            chunks.append(b)
        os.close(fd)
        outs.append(b"".join(chunks))
    return {
        "wall": wall, "cpu": ru.ru_utime + ru.ru_stime,
        "inblock_kib": ru.ru_inblock // 2, "majflt": ru.ru_majflt,
        "maxrss_kib": int(open(rss_file).read().split()[-1]) if mem else None,
        "status": os.waitstatus_to_exitcode(status),
        # write() bytes of the whole tree less what went to stdout/stderr: files (and pipes
        # between its own processes, which none of these use).
        "wchar_files": io1["wchar"] - io0["wchar"] - len(outs[0]) - len(outs[1]),
        "write_bytes": io1["write_bytes"] - io0["write_bytes"],
        "cancelled_write_bytes": io1["cancelled_write_bytes"] - io0["cancelled_write_bytes"],
        "out": outs[0], "err": outs[1],
    }


def check(v, r):
    if r["status"] != 0 or not v["ok"](r["out"]):
        sys.exit("bench: error: '%s' failed (exit %d): stdout %r\nstderr: %s" % (
            " ".join(v["cmd"]), r["status"], r["out"][-300:],
            r["err"].decode(errors="replace")[-2000:]))


def alternate(variants, env, rounds, warmup, cold=False, what="", mem=False):
    """Runs every variant once per round, the order rotating round by round."""
    res = {v["id"]: [] for v in variants}
    n = len(variants)
    for r in range(warmup + rounds):
        order = variants[r % n:] + variants[:r % n]
        if r % 2:
            order = order[::-1]
        for v in order:
            x = run_once(v["cmd"], env, cold=cold, mem=mem)
            check(v, x)
            if r >= warmup:
                res[v["id"]].append({k: x[k] for k in x if k not in ("out", "err")})
        if (r + 1) % 10 == 0:
            log("  %s: %d/%d rounds" % (what, r + 1, warmup + rounds))
    return res


def callgrind(v, env, keep=None):
    with tempfile.TemporaryDirectory(dir=env.tmp) as d:
        out = os.path.join(d, "cg.%p")
        p = subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes",
                            "--callgrind-out-file=" + out] + v["cmd"], env=env.run_env,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=3600)
        if p.returncode != 0 or not v["ok"](p.stdout):
            sys.exit("bench: error: callgrind of '%s' failed: %r %s" % (
                " ".join(v["cmd"]), p.stdout[-200:], p.stderr[-2000:]))
        counts = [int(c.replace(b",", b"")) for c in
                  re.findall(rb"==\d+== Collected : ([\d,]+)", p.stderr)]
        if keep:
            files = sorted(os.listdir(d))
            if files:
                shutil.copy(os.path.join(d, files[0]), keep)
    return {"instructions": sum(counts), "processes": len(counts)}


WRITE_RE = re.compile(r"^(\d+\s+)?(write|pwrite64|writev|pwritev|pwritev2)\((\d+)<([^>]*)>.*= (\d+)$")
OPEN_RE = re.compile(r'^(\d+\s+)?(openat|open|creat)\(.*"([^"]*)".*O_CREAT.*= (\d+)<')
MKDIR_RE = re.compile(r'^(\d+\s+)?(mkdir|mkdirat)\(.*"([^"]*)".*= 0$')
EXEC_RE = re.compile(r'^(\d+\s+)?execve\(.*= 0$')


def strace_writes(v, env):
    """One run under strace -f -y: bytes written to regular files, files and dirs made."""
    with tempfile.TemporaryDirectory(dir=env.tmp) as d:
        log_path = os.path.join(d, "strace.log")
        p = subprocess.run(["strace", "-f", "-y", "-qq", "-o", log_path, "-e",
                            "trace=execve,openat,open,creat,write,pwrite64,writev,pwritev,"
                            "pwritev2,mkdir,mkdirat"] + v["cmd"], env=env.run_env,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
        if p.returncode != 0 or not v["ok"](p.stdout):
            sys.exit("bench: error: strace of '%s' failed: %r" % (" ".join(v["cmd"]), p.stderr[-2000:]))
        nbytes, files, dirs, procs, example = 0, set(), set(), 0, None
        with open(log_path, errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                m = WRITE_RE.match(line)
                if m:
                    path = m.group(4)
                    if path.startswith("/") and not path.startswith(("/dev/", "/proc/", "/memfd:")):
                        nbytes += int(m.group(5))
                        example = example or path
                    continue
                m = OPEN_RE.match(line)
                if m:
                    files.add(m.group(3))
                    continue
                m = MKDIR_RE.match(line)
                if m:
                    dirs.add(m.group(3))
                    continue
                if EXEC_RE.match(line):
                    procs += 1
    return {"bytes_to_files": nbytes, "files_created": len(files), "dirs_created": len(dirs),
            "execs": procs, "example": example}


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def quart(runs, key):
    xs = sorted(r[key] for r in runs)
    q = statistics.quantiles(xs, n=4) if len(xs) >= 4 else [xs[0], 0, xs[-1]]
    return q[0], q[2]


# --- the analysis of where pyweld's instructions go -----------------------------------

def annotate(cg_file, inclusive):
    p = subprocess.run(["callgrind_annotate", "--inclusive=%s" % ("yes" if inclusive else "no"),
                        "--threshold=100", cg_file], capture_output=True, text=True)
    rows = []
    for line in p.stdout.splitlines():
        m = re.match(r"^\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            fn = m.group(3)
            fn = re.sub(r"\s+\[.*\]$", "", fn)
            fn = fn.split(":", 1)[1] if ":" in fn else fn
            rows.append((int(m.group(1).replace(",", "")), float(m.group(2)), fn))
    return rows


def callees(cg_file, fn_re, min_share=0.5, limit=8):
    """{function: (inclusive, share, [(callee, inclusive, share)...])} for the functions
    matching fn_re: one level of callgrind_annotate's call tree."""
    p = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--tree=calling",
                        "--threshold=100", cg_file], capture_output=True, text=True)
    out, cur = {}, None
    pat = re.compile(r"^\s*([\d,]+) \(\s*([\d.]+)%\)\s+([*>])\s+(\S+)")
    for line in p.stdout.splitlines():
        m = pat.match(line)
        if not m:
            cur = None
            continue
        n, pct, kind = int(m.group(1).replace(",", "")), float(m.group(2)), m.group(3)
        fn = m.group(4).split(":", 1)[-1]
        if kind == "*":
            cur = fn if re.fullmatch(fn_re, fn) and fn not in out else None
            if cur:
                out[cur] = (n, pct, [])
        elif cur and pct >= min_share and len(out[cur][2]) < limit:
            out[cur][2].append((fn, n, pct))
    return out


def breakdown(cg_file, app):
    incl = {}
    for n, pct, fn in annotate(cg_file, True):
        incl.setdefault(fn, (n, pct))
    want = ["Py_InitializeFromConfig", "rt_importer_install", "_Py_InitializeMain",
            "_PyUnicode_InitEncodings", "Py_FinalizeEx", "gc_collect_main",
            "PyMarshal_ReadObjectFromString", "builtin_exec", "builtin___build_class__",
            "update_one_slot", "_PyStaticCode_InternStrings",
            "_PyEval_EvalFrameDefault", "PyImport_ImportModuleLevelObject"]
    tree = callees(cg_file, r"pyweld_main|start(\.part\.\d+)?|init_interp_main|"
                            r"rt_importer_install|Py_BytesMain|Py_RunMain")
    top_self = annotate(cg_file, False)[:12]
    return {"inclusive": {w: incl[w] for w in want if w in incl}, "self": top_self,
            "tree": tree}


# --- the benchmark -----------------------------------------------------------------------

def variants_for(env, app, src, arts, real_line=None):
    ok = expected_ok(app, src, real_line)
    vs = []
    for tool in ("pyweld", "pyweld-fx") + TOOLS[1:]:
        if tool in arts:
            vs.append({"id": tool, "cmd": [arts[tool][0]], "ok": ok})
    if app == "hello":
        code = 'print("hello")'
        vs += [{"id": "stock", "cmd": [STOCK, "-c", code]},
               {"id": "stock-IS", "cmd": [STOCK, "-I", "-S", "-c", code]},
               {"id": "dist", "cmd": [env.dist_python, "-c", code]},
               {"id": "dist-IS", "cmd": [env.dist_python, "-I", "-S", "-c", code]}]
    elif app == "stdlib":
        vs += [{"id": "stock", "cmd": [STOCK, src]},
               {"id": "stock-IS", "cmd": [STOCK, "-I", "-S", src]},
               {"id": "dist", "cmd": [env.dist_python, src]},
               {"id": "dist-IS", "cmd": [env.dist_python, "-I", "-S", src]}]
    else:
        # Debian's python3.11 with the same packages as PyPI wheels (the bench venv), and
        # -I -S with the venv's site-packages put on sys.path by hand.
        vs += [{"id": "stock", "cmd": [env.venv_python, src],
                "label": "python3.11 (Debian; bench venv, PyPI wheels)"},
               {"id": "stock-IS", "cmd": [STOCK, "-I", "-S", "-c",
                                          "import sys; sys.path.append(%r); sys.argv[0] = %r; "
                                          "exec(compile(open(%r).read(), %r, 'exec'))"
                                          % (env.site_packages, src, src, src)]}]
    for v in vs:
        v.setdefault("ok", ok)
    return vs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pyweld", default=os.path.join(REPO, "build", "bin", "pyweld"))
    ap.add_argument("--apps", default=",".join(APPS))
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--rebuild", action="store_true", help="build every artifact again")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--runs", type=int, default=0,
                    help="hot rounds per application (default: hello 40, stdlib 20, real 20, "
                    "rust 20)")
    ap.add_argument("--cold-runs", type=int, default=5, help="cold rounds (0: none)")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--quick", action="store_true", help="few runs: a smoke test")
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--chart", default=os.path.join(HERE, "results.png"))
    ap.add_argument("--json", default=os.path.join(CACHE, "results.json"))
    args = ap.parse_args()
    apps = [a for a in args.apps.split(",") if a]
    tools = [t for t in args.tools.split(",") if t]
    env = Env(args)
    started = datetime.datetime.now().astimezone()
    res = {"date": started.isoformat(timespec="seconds"), "machine": env.machine(),
           "versions": env.versions, "apps": {}, "args": vars(args)}
    log("pyweld %s; dist %s" % (env.versions["pyweld"], env.dist))

    # The welded plain interpreter: judge of what imports cleanly.
    welded_python, wp_meta = artifact(env, "pyweld", "python",
                                      os.path.join(HERE, "apps", "hello.py"),
                                      extra_key="no entry point")
    # Its size: the python-like binary of the size goals (the whole standard
    # library importable).
    res["python_like"] = {"size": wp_meta["size"]}
    built = {}
    for app in apps:
        src = app_source(env, app, welded_python)
        built[app] = (src, {t: artifact(env, t, app, src) for t in tools})
        # The same application ending without finalisation (start-up and import).
        if "pyweld" in tools and app in ("hello", "stdlib"):
            built[app][1]["pyweld-fx"] = artifact(env, "pyweld-fx", app, src)
    # The real applications' one line, as Debian's python3.11 prints it with the wheels:
    # every build must print exactly that.
    lines = {}
    for app, mark in (("real", b" c-extensions\n"), ("rust", b" rust-extensions\n")):
        if app not in built:
            continue
        p = subprocess.run([env.venv_python, built[app][0]], capture_output=True,
                           env=env.run_env, stdin=subprocess.DEVNULL)
        if p.returncode != 0 or not p.stdout.endswith(mark):
            sys.exit("bench: error: the %s application fails in the bench venv: %r %s"
                     % (app, p.stdout, p.stderr[-2000:]))
        lines[app] = p.stdout
    if args.build_only:
        return 0

    footprint = {
        "stock": stock_footprint(STOCK, "/usr/lib/python3.11",
                                 ["/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0"]),
        "dist": stock_footprint(env.dist_python, os.path.join(env.dist, "prefix", "lib", "python3.11")),
    }
    for app in apps:
        src, arts = built[app]
        vs = variants_for(env, app, src, arts, lines.get(app))
        rounds = args.runs or {"hello": 40, "stdlib": 20, "real": 20, "rust": 20}[app]
        if args.quick:
            rounds = 3
        log("%s: %d hot rounds of %d commands, alternating" % (app, rounds, len(vs)))
        hot = alternate(vs, env.run_env, rounds, warmup=2, what=app)
        log("%s: 5 rounds under /usr/bin/time for the peak memory" % app)
        memr = alternate(vs, env.run_env, 3 if args.quick else 5, warmup=0, what=app + " mem",
                         mem=True)
        cold = {}
        cold_err = None
        if args.cold_runs and not args.quick:
            try:
                with open("/proc/sys/vm/drop_caches", "w") as f:
                    f.write("3\n")
                log("%s: %d cold rounds (page cache dropped before each run)" % (app, args.cold_runs))
                cold = alternate(vs, env.run_env, args.cold_runs, warmup=0, cold=True, what=app + " cold")
            except OSError as e:
                cold_err = "cannot drop the page cache: %s" % e
                log(cold_err)
        cg = {}
        analysis = {}
        if not args.no_callgrind and app in ("hello", "stdlib"):
            for v in vs:
                log("%s: callgrind %s" % (app, v["id"]))
                keep = os.path.join(CACHE, "callgrind-%s-%s.out" % (app, v["id"])) \
                    if v["id"] in ("pyweld", "pyweld-fx", "stock-IS", "dist-IS") else None
                cg[v["id"]] = callgrind(v, env, keep)
                if keep and os.path.exists(keep):
                    analysis[v["id"]] = breakdown(keep, app)
        st = {}
        for v in vs:
            log("%s: strace %s" % (app, v["id"]))
            st[v["id"]] = strace_writes(v, env)
        leftover = sorted(os.listdir(env.run_tmp))
        out = {"source": src, "modules": None, "rounds": rounds, "commands": {}}
        if app == "stdlib":
            out["modules"] = sum(1 for line in open(src) if line.startswith("import ")) - 1
        for v in vs:
            i = v["id"]
            c = {"cmd": v["cmd"], "label": v.get("label", LABEL[i])}
            h = hot[i]
            c["wall"] = med(h, "wall")
            c["wall_q"] = quart(h, "wall")
            c["wall_min"] = min(r["wall"] for r in h)
            c["cpu"] = med(h, "cpu")
            c["maxrss_kib"] = med(memr[i], "maxrss_kib")
            c["wchar_files"] = med(h, "wchar_files")
            c["write_bytes"] = med(h, "write_bytes")
            if cold.get(i):
                c["cold"] = med(cold[i], "wall")
                c["cold_read_kib"] = med(cold[i], "inblock_kib")
            c.update({"callgrind": cg.get(i), "strace": st[i]})
            if i in arts:
                exe, meta = arts[i]
                c["size"] = meta["size"]
                c["build_seconds"] = meta["build_seconds"]
                c["size_report"] = meta.get("size_report")
                c["build_cached"] = meta.get("cached", False)
                c["built_at"] = meta.get("built_at")
            else:
                c["size"] = footprint["stock" if i.startswith("stock") else "dist"]
                c["footprint"] = True
            out["commands"][i] = c
        out["cold_error"] = cold_err
        out["tmp_leftover"] = leftover
        out["analysis"] = analysis
        res["apps"][app] = out
    res["machine"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    res["finished"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(res, f, indent=1, default=str)
    log("results: %s" % args.json)
    import report
    report.write(res, args.results)
    log("wrote %s" % args.results)
    p = subprocess.run([env.venv_python, os.path.join(HERE, "chart.py"), args.json, args.chart])
    if p.returncode == 0:
        log("wrote %s" % args.chart)
    shutil.rmtree(env.tmp, ignore_errors=True)
    print(open(args.results).read())
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""bench/versions.py: hello and the standard-library import per CPython version.

    python3 bench/versions.py [--pyweld PATH] [--python X.Y]... [--runs N]
                              [--no-callgrind] [--work DIR]

For each version (default: 3.11 and 3.13, each from pyweld's cache: build
them first with `pyweld python build --python X.Y`):

- hello (bench/apps/hello.py) and stdlib (one `import` per standard-library
  module that imports cleanly in a fresh process in every interpreter
  measured, written by bench/gen_import_stdlib.py for that version) are
  welded with `pyweld build --python X.Y --script APP`;
- each runs as the welded binary, as the same distribution's own dynamic
  `bin/pythonX.Y` (built with the same flags: the fair comparison for a
  version Debian 12 does not ship) with and without `-I -S`, and for 3.11
  also as Debian's `/usr/bin/python3.11`, bench/run's reference;
- callgrind counts each one's instructions once (stable on a busy machine),
  and the median of --runs wall times follows one warm-up run.

The table gives every figure as a ratio to the distribution's own python
run the same way (`python APP`); the goals of the issue are hello at most
0.5 and the import at most 0.55 of it, in instructions.  A run whose
output is not the app's (an early ImportError also looks fast) stops the
benchmark.  Numbers belong to the machine and the moment: run it, do not
copy them.  Exit status: 0, 1 on an error, 77 when no distribution of a
version asked for is built.
"""
import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = "bench/versions.py"
DEBIAN = "/usr/bin/python3.11"


def fatal(what, why, hint=None, status=1):
    print(f"{PROG}: error: {what}: {why}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)
    sys.exit(status)


def log(msg):
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def scrubbed_env(tmp):
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": tmp, "TMPDIR": tmp}


def distribution(pyweld, xy):
    """(directory, its python, distribution.json) of pyweld's XY distribution."""
    p = subprocess.run([pyweld, "python", "path", "--python", xy], capture_output=True,
                       text=True)
    if p.returncode == 2:                   # a version pyweld does not know
        fatal(f"--python {xy}", p.stderr.strip().removeprefix("pyweld: error: "), None, 2)
    if p.returncode != 0:
        print(f"{PROG}: skipped: no distribution of CPython {xy} "
              f"({p.stderr.strip().splitlines()[0] if p.stderr.strip() else 'none'}); "
              f"build it with 'pyweld python build --python {xy}'", file=sys.stderr)
        sys.exit(77)
    dist = p.stdout.strip()
    python = os.path.join(dist, "prefix", "bin", f"python{xy}")
    if not os.access(python, os.X_OK):
        fatal(f"cannot use the distribution '{dist}'", f"it has no '{python}'")
    with open(os.path.join(dist, "distribution.json")) as f:
        return dist, python, json.load(f)


def weld(pyweld, xy, script, out, env):
    argv = [pyweld, "build", "--python", xy, "-o", out] + (["--script", script] if script else [])
    p = subprocess.run(argv, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        fatal(f"'{' '.join(shlex.quote(a) for a in argv)}' failed",
              f"exit status {p.returncode}", (p.stderr.strip().splitlines() or [""])[-1])
    return out


def import_list(xy, dist, interpreters, out):
    gen = os.path.join(HERE, "gen_import_stdlib.py")
    stdlib = os.path.join(dist, "prefix", "lib", f"python{xy}")
    log(f"{xy}: the importable standard library ({len(interpreters)} interpreters, "
        "each module in a fresh process: a minute or two)")
    p = subprocess.run([sys.executable, gen, "--stdlib", stdlib, "-o", out, "--"]
                       + [" ".join(shlex.quote(a) for a in i) for i in interpreters],
                       capture_output=True, text=True)
    if p.returncode != 0:
        fatal("gen_import_stdlib.py failed", f"exit status {p.returncode}", p.stderr[-300:])
    with open(out) as f:
        return sum(1 for line in f if line.startswith("import ")) - 1   # less warnings


def check(cmd, env, want):
    p = subprocess.run(cmd, capture_output=True, env=env, stdin=subprocess.DEVNULL, cwd="/")
    if p.returncode != 0 or p.stdout != want:
        fatal(f"'{' '.join(cmd)}' did not run as the app does",
              f"exit status {p.returncode}, stdout {p.stdout[-80:]!r}",
              p.stderr.decode(errors="replace")[-300:] or None)


def instructions(cmd, env, tmp):
    out = os.path.join(tmp, "callgrind.out")
    p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + cmd,
                       capture_output=True, env=env, stdin=subprocess.DEVNULL, cwd="/")
    m = re.search(rb"==\d+== Collected : ([\d,]+)", p.stderr)
    if p.returncode != 0 or not m:
        fatal(f"callgrind of '{' '.join(cmd)}' failed", f"exit status {p.returncode}",
              p.stderr.decode(errors="replace")[-300:])
    os.unlink(out)
    return int(m.group(1).replace(b",", b""))


def wall(cmd, env, runs):
    times = []
    for i in range(runs + 1):                   # the first one warms the page cache
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                       stdin=subprocess.DEVNULL, cwd="/")
        if i:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def version_rows(args, xy, work):
    dist, python, info = distribution(args.pyweld, xy)
    d = os.path.join(work, xy)
    os.makedirs(d, exist_ok=True)
    env = scrubbed_env(d)
    pyweld_env = dict(env)
    for k in ("PYWELD_CACHE", "XDG_CACHE_HOME", "HOME"):
        if os.environ.get(k):
            pyweld_env[k] = os.environ[k]
    plain = weld(args.pyweld, xy, None, os.path.join(d, "python-weld"), pyweld_env)
    interps = [[python, "-I", "-S"], [python, "-I"], [plain]]
    if xy == "3.11" and os.access(DEBIAN, os.X_OK):
        interps += [[DEBIAN, "-I", "-S"], [DEBIAN]]
    stdlib = os.path.join(d, "import_stdlib.py")
    n = import_list(xy, dist, interps, stdlib)
    hello = os.path.join(HERE, "apps", "hello.py")
    rows = []
    for app, src, want in (("hello", hello, b"hello\n"),
                           ("stdlib", stdlib, b"imported %d modules\n" % n)):
        log(f"{xy}: welding {app}")
        binary = weld(args.pyweld, xy, src, os.path.join(d, app), pyweld_env)
        variants = [("pyweld", [binary]), (f"python{xy}", [python, src]),
                    (f"python{xy} -I -S", [python, "-I", "-S", src])]
        if xy == "3.11" and os.access(DEBIAN, os.X_OK):
            variants += [("Debian's python3.11", [DEBIAN, src]),
                         ("Debian's python3.11 -I -S", [DEBIAN, "-I", "-S", src])]
        for name, cmd in variants:
            check(cmd, env, want)
            log(f"{xy}: {app}: {name}")
            ins = None if args.no_callgrind else instructions(cmd, env, d)
            rows.append({"python": info.get("python_version", xy), "app": app,
                         "modules": n if app == "stdlib" else None, "run": name,
                         "pgo": info.get("pgo"), "lto": info.get("lto"),
                         "instructions": ins, "seconds": wall(cmd, env, args.runs)})
    return rows


def table(rows):
    out = ["| python (pgo, lto) | app | run | instructions | ratio | wall ms | ratio |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        base = next(b for b in rows if b["python"] == r["python"] and b["app"] == r["app"]
                    and b["run"].startswith("python") and " " not in b["run"])
        ins = r["instructions"]
        ratio_i = f"{ins / base['instructions']:.2f}" if ins else "-"
        app = r["app"] + (f" ({r['modules']} modules)" if r["modules"] else "")
        flags = ", ".join(k for k in ("pgo", "lto") if r[k] in (True, "yes")) or "neither"
        out.append(f"| {r['python']} ({flags}) | {app} | {r['run']} | "
                   f"{f'{ins / 1e6:.1f} M' if ins else '-'} | {ratio_i} | "
                   f"{r['seconds'] * 1000:.1f} | {r['seconds'] / base['seconds']:.2f} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[3:]))
    ap.add_argument("--pyweld", default=os.path.join(os.path.dirname(HERE), "build", "bin",
                                                     "pyweld"))
    ap.add_argument("--python", action="append", metavar="X.Y",
                    help="a CPython version (repeatable; default: 3.11 and 3.13)")
    ap.add_argument("--runs", type=int, default=10, help="timed runs of each (default 10)")
    ap.add_argument("--no-callgrind", action="store_true", help="wall time only")
    ap.add_argument("--work", help="keep the binaries and lists here (default: a temporary "
                    "directory, removed)")
    args = ap.parse_args()
    versions = args.python or ["3.11", "3.13"]
    for xy in versions:
        if not re.fullmatch(r"3\.\d+", xy):
            fatal(f"--python '{xy}'", "not a CPython version X.Y", "--python 3.13", 2)
    if args.runs < 1:
        fatal(f"--runs {args.runs}", "at least one timed run is needed", None, 2)
    if not os.access(args.pyweld, os.X_OK):
        fatal(f"cannot run pyweld '{args.pyweld}'", "no such executable",
              "build it (cmake --build build) or give --pyweld")
    if not args.no_callgrind and not shutil.which("valgrind"):
        fatal("cannot count instructions", "no valgrind on PATH",
              "apt-get install valgrind, or --no-callgrind")
    work = os.path.abspath(args.work) if args.work else tempfile.mkdtemp(prefix="pyweld-bench-")
    try:
        rows = []
        for xy in versions:
            rows += version_rows(args, xy, work)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

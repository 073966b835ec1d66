#!/usr/bin/env python3
"""fastpath.py: what answering in C saves, against starting the welded Python.

Builds the application of tests/integration/library_main_c.py (`pyweld
init --python-code`, its main.c edited to answer --version in C without
starting the interpreter, `pyweld build`; no packages) and times two runs of
it:

  fast   ./app --version   main() prints and returns; Python never starts
  python ./app x           pyweld_main: the interpreter starts from the
                           binary, runs the three-line main.py, shuts down

with hyperfine (no shell, warm-up runs, stdout to /dev/null) when it is
installed, otherwise a loop of posix_spawn'd runs timed here (which adds
the spawn's own cost to both sides).  Prints each side's median wall time
and the ratio python/fast.  Timing belongs here, not in the tests.

    python3 bench/fastpath.py --pyweld build-release/bin/pyweld [--runs 200]
    python3 bench/fastpath.py --app DIR/app      # an app built before

The interpreter path is what every welded program pays at start-up; the
fast path is a C program's exec and exit, so the ratio says how much of a
short command's time is the interpreter's start.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
import library_main_c  # noqa: E402
import weld_testlib as wt  # noqa: E402


def loop(argv, runs, warmup):
    """Median and min wall seconds of runs of argv (stdout to /dev/null)."""
    times = []
    with open(os.devnull, "wb") as null:
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            p = subprocess.run(argv, stdout=null, stderr=subprocess.PIPE)
            t = time.perf_counter() - t0
            if p.returncode != 0:
                raise SystemExit(f"fastpath: {argv!r} exited {p.returncode}: "
                                 f"{p.stderr.decode(errors='replace')}")
            if i >= warmup:
                times.append(t)
    return statistics.median(times), min(times)


def hyperfine(argvs, runs, warmup, tmp):
    """Median and min wall seconds of each argv, measured by hyperfine -N."""
    out = os.path.join(tmp, "hyperfine.json")
    cmd = ["hyperfine", "-N", "--style", "basic", "--warmup", str(warmup), "--runs", str(runs),
           "--output", "null", "--export-json", out]
    cmd += [" ".join(a) for a in argvs]        # -N splits on spaces: no spaces in paths here
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        results = json.load(f)["results"]
    return [(r["median"], r["min"]) for r in results]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pyweld", default=os.path.join(os.path.dirname(HERE), "build", "bin",
                                                     "pyweld"))
    ap.add_argument("--app", help="an app built by a previous run (skips the build)")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--loop", action="store_true", help="time with a loop, not hyperfine")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="pyweld-fastpath-")
    try:
        app = args.app
        if not app:
            pyweld = os.path.abspath(args.pyweld)
            env = {"PATH": wt.clean_path(), "HOME": os.path.expanduser("~"), "TMPDIR": tmp,
                   "LC_ALL": "C.UTF-8"}
            if os.environ.get("PYWELD_CACHE"):
                env["PYWELD_CACHE"] = os.environ["PYWELD_CACHE"]
            t0 = time.time()
            app, _ = library_main_c.make_app(pyweld, os.path.join(tmp, "fastapp"), env)
            print(f"built {app} in {time.time() - t0:.1f} s")
        app = os.path.abspath(app)
        for argv, want in (([app, "--version"], "fastapp 1.2.3"), ([app, "x"], "python ran")):
            p = subprocess.run(argv, capture_output=True, text=True)
            if p.returncode != 0 or want not in p.stdout:
                raise SystemExit(f"fastpath: {argv!r} is not the test app: {p.stdout!r} "
                                 f"{p.stderr!r}")
        sides = [("fast (--version in C)", [app, "--version"]),
                 ("python (interpreter)", [app, "x"])]
        use_hf = shutil.which("hyperfine") and not args.loop and " " not in app
        if use_hf:
            res = hyperfine([a for _, a in sides], args.runs, args.warmup, tmp)
            tool = "hyperfine -N"
        else:
            res = [loop(a, args.runs, args.warmup) for _, a in sides]
            tool = "a subprocess loop"
        print(f"{args.runs} runs each after {args.warmup} warm-up runs, timed by {tool}; "
              f"{os.cpu_count()} CPUs")
        print(f"{'':24} {'median':>10} {'min':>10}")
        for (name, _), (med, mn) in zip(sides, res):
            print(f"{name:24} {med * 1e3:8.2f} ms {mn * 1e3:8.2f} ms")
        ratio = res[1][0] / res[0][0]
        print(f"ratio python/fast (medians): {ratio:.1f}x; the interpreter's start and "
              f"shutdown: {(res[1][0] - res[0][0]) * 1e3:.2f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

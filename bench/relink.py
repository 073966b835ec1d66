#!/usr/bin/env python3
"""relink.py: how long `pyweld build` takes again after one application .py changed.

The goal is under 2 seconds.  Build the application once, then repeatedly
edit its main .py (a new line, checked in the new binary's output) and
rebuild it

  reuse   with the same --work-dir as the first build: the installed packages
          are kept (install.stamp), isolated extensions and runtime units
          come from <cache>/derived, so only packing and the link are left
  fresh   in a new temporary work directory each time: every package is
          built by pip again (what a build without --work-dir costs)

for the "real" application (five packages with C extensions, built from their
sdists) and for "hello" (no packages: the floor, packing and linking only).
Prints the medians and pyweld's own step times ("[2/5] ... (1.7 s)") of the
last rebuild, and writes ~/.cache/pyweld/bench/relink.json for RESULTS.md.

    python3 bench/relink.py [--pyweld build/bin/pyweld] [--rounds 5] [--real-rounds 1]

--rounds is the number of rebuilds of each kind for hello and of reuse
rebuilds for real; --real-rounds that of real's fresh rebuilds (each a
full build of a minute or two).
"""

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402


def build(pyweld, argv, cwd):
    t0 = time.perf_counter()
    p = subprocess.run([pyweld, "build"] + argv, cwd=cwd, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("relink: error: pyweld build %s failed:\n%s%s" % (" ".join(argv), p.stdout,
                                                                   p.stderr[-3000:]))
    steps = re.findall(r"\[(\d+)/(\d+)\] ([^:\n]+): ([^\n]*) \(([\d.]+) s\)", p.stderr + p.stdout)
    return secs, [("%s (%s)" % (s[2].strip(), detail(s[3])), float(s[4])) for s in steps]


def detail(text):
    if text.startswith("pip builds"):
        return "pip builds %d packages from source" % (len(text.split()) - 4)
    if text.startswith("a build environment"):
        return "a build venv"
    return text


def bench_app(pyweld, name, pkgs, rounds, fresh_rounds, tmp):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    main = os.path.join(d, "main.py")
    src = open(os.path.join(HERE, "apps", "real.py" if pkgs else "hello.py")).read()

    def edit(n):
        with open(main, "w") as f:
            f.write(src + "print('edit', %d)\n" % n)

    app = os.path.join(d, "app")
    common = ["-o", app, "--script", main]
    for p in pkgs:
        common += ["--pip-install", p]
    if pkgs:
        for e in compare.PYWELD_ENV:
            common += ["--env", e]
    work = os.path.join(d, "work")
    edit(0)
    compare.log("relink %s: first build" % name)
    first, _ = build(pyweld, common + ["--work-dir", work, "--keep-work"], d)
    out = {"first": first}
    n = 0
    for mode in ("reuse", "fresh"):
        times, steps = [], None
        for r in range(rounds if mode == "reuse" else fresh_rounds):
            n += 1
            edit(n)
            extra = ["--work-dir", work, "--keep-work"] if mode == "reuse" else []
            secs, steps = build(pyweld, common + extra, d)
            got = subprocess.run([app], capture_output=True, text=True).stdout
            if ("edit %d" % n) not in got:
                sys.exit("relink: error: the rebuilt binary does not print the edit: %r" % got)
            times.append(secs)
            compare.log("relink %s: edit %d, %s work dir: %.1f s" % (name, n, mode, secs))
        out["edit_" + mode] = {"median": statistics.median(times), "runs": times, "steps": steps}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pyweld", default=os.path.join(compare.REPO, "build", "bin", "pyweld"))
    ap.add_argument("--rounds", type=int, default=5,
                    help="rebuilds per mode for hello, reuse rebuilds for real")
    ap.add_argument("--real-rounds", type=int, default=1,
                    help="fresh rebuilds of real (each a full build of a minute or two)")
    ap.add_argument("--json", default=os.path.join(compare.CACHE, "relink.json"))
    args = ap.parse_args()
    pyweld = compare.snapshot_pyweld(os.path.abspath(args.pyweld))
    tmp = tempfile.mkdtemp(prefix="pyweld-relink-")
    res = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
           "pyweld": pyweld, "app": "real (5 packages from sdists)",
           "dist": os.path.basename(subprocess.run([pyweld, "python", "path"], capture_output=True,
                                                   text=True).stdout.strip()),
           "loadavg_start": open("/proc/loadavg").read().split()[:3]}
    real = bench_app(pyweld, "real", compare.PKGS, args.rounds, args.real_rounds, tmp)
    hello = bench_app(pyweld, "hello", [], args.rounds, args.rounds, tmp)
    res.update({"first": real["first"], "edit_reuse": real["edit_reuse"],
                "edit_fresh": real["edit_fresh"], "hello": hello,
                "loadavg_end": open("/proc/loadavg").read().split()[:3]})
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(res, f, indent=1)
    shutil.rmtree(tmp, ignore_errors=True)
    for name, r in (("real", real), ("hello", hello)):
        print("relink %s: first build %.1f s; after editing main.py: %.1f s reusing --work-dir, "
              "%.1f s fresh (goal: under 2 s)" % (name, r["first"], r["edit_reuse"]["median"],
                                                  r["edit_fresh"]["median"]))
        for mode in ("reuse", "fresh"):
            print("  steps of the last %s rebuild: " % mode + ", ".join(
                "%s %.1f s" % s for s in r["edit_" + mode]["steps"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

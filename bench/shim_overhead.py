#!/usr/bin/env python3
"""shim_overhead.py: what pyweld's wrapper compilers cost a real build.

Builds the same real package (psutil 5.9.8 from its pinned sdist by default)
again and again, alternating a build through the shims of `pyweld env` (a
fresh link database each time, everything recorded) with the same build
straight through the real tools.  Both sides get the same CC, CXX, AR and
RANLIB (the real tools pyweld resolved, or the shims in front of them; LDSHARED
derived from CC by setuptools on both), the same flags, a clean build
directory, and ccache kept out
(CCACHE_DISABLE=1, a PATH without ccache's masquerade directory).

Two ways of building are timed, each as its own ratio:
  pip       `pip install --no-binary :all: --no-build-isolation SDIST`: what a
            user waits for, pip's own start-up and unpacking included
  build_ext `setup.py build_ext` in the unpacked sdist: compiles and links
            only, so the shims' share is as large as it gets

Reports the median wall time of each side, the ratio shims/plain (the goal
is under 1.05), and the same for the CPU time the build's processes used.
Timing belongs here, not in the tests.

    VENV/bin/python bench/shim_overhead.py --bin build-release/bin \\
        --sdists ~/.cache/pyweld/test/sdists [--rounds 7] [--package psutil]

VENV is the venv of tests/prepare-python.sh (setuptools and wheel pinned).
Time a Release build of pyweld (the build type is printed): a Debug
pyweld-cc is slower at hashing and reading symbols.  On a machine that is
busy with other work the wall ratio wanders by several per cent; the CPU
ratio is steadier.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

SDISTS = {
    "psutil": "psutil-5.9.8.tar.gz",
    "markupsafe": "MarkupSafe-2.1.5.tar.gz",
}
ROLES = (("cc", "CC"), ("cxx", "CXX"), ("ar", "AR"), ("ranlib", "RANLIB"))


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(argv, env, cwd, log):
    """Runs argv; returns (wall seconds, CPU seconds of its process tree)."""
    cpu0 = children_cpu()
    t0 = time.perf_counter()
    with open(log, "w") as f:
        rc = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=f, stderr=subprocess.STDOUT).returncode
    wall = time.perf_counter() - t0
    cpu = children_cpu() - cpu0
    if rc != 0:
        with open(log) as f:
            sys.exit("shim_overhead: error: %r exited %d:\n%s" % (argv[:4], rc, f.read()[-4000:]))
    return wall, cpu


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="pyweld-bench-")
        self.pyweld = os.path.join(args.bin, "pyweld")
        venv_bin = os.path.dirname(sys.executable)
        os.mkdir(os.path.join(self.tmp, "home"))
        os.mkdir(os.path.join(self.tmp, "tmp"))
        self.base = {
            "PATH": venv_bin + ":/usr/local/bin:/usr/bin:/bin",
            "HOME": os.path.join(self.tmp, "home"),
            "TMPDIR": os.path.join(self.tmp, "tmp"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "CCACHE_DISABLE": "1",
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self.n = 0

    def envs(self):
        """(shim environment, plain environment) for one build: a new database."""
        self.n += 1
        db = os.path.join(self.tmp, "db%d.linkdb" % self.n)
        out = subprocess.run([self.pyweld, "env", "--db", db, "--json"], env=self.base,
                             cwd=self.tmp, capture_output=True, text=True, check=True)
        s = json.loads(out.stdout)
        shim = dict(self.base)
        shim.update({k: v for k, v in s.items() if isinstance(v, str)})
        real = s["real_tools"]
        for bad in ("ccache", "distcc"):
            if any(bad in os.path.basename(w) for v in real.values() for w in v):
                sys.exit("shim_overhead: error: the real tools include %s; the "
                         "benchmark must not use it" % bad)
        plain = dict(self.base)
        for key, var in ROLES:
            plain[var] = " ".join(real[key])
        # Neither side sets LDSHARED: setuptools derives it from CC on both.
        return shim, plain, db

    def pip(self, env, sdist):
        target = os.path.join(self.tmp, "site")
        shutil.rmtree(target, ignore_errors=True)
        return timed([sys.executable, "-m", "pip", "install", "--no-binary", ":all:",
                      "--no-build-isolation", "--no-deps", "--no-cache-dir",
                      "--target", target, sdist], env, self.tmp,
                     os.path.join(self.tmp, "last.log"))

    def build_ext(self, env, srcdir):
        shutil.rmtree(os.path.join(srcdir, "build"), ignore_errors=True)
        return timed([sys.executable, "setup.py", "-q", "build_ext"], env, srcdir,
                     os.path.join(self.tmp, "last.log"))


def links_recorded(pyweld, db, env):
    out = subprocess.run([pyweld, "db", "links", "--db", db, "--json"], env=env,
                         capture_output=True, text=True, check=True)
    return len(json.loads(out.stdout))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="directory of pyweld and pyweld-cc")
    ap.add_argument("--sdists", default=os.path.expanduser("~/.cache/pyweld/test/sdists"))
    ap.add_argument("--package", choices=sorted(SDISTS), default="psutil")
    ap.add_argument("--rounds", type=int, default=7, help="builds per side and mode")
    ap.add_argument("--modes", default="pip,build_ext")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    sdist = os.path.join(args.sdists, SDISTS[args.package])
    if not os.path.isfile(sdist):
        sys.exit("shim_overhead: error: no '%s'\nhint: run tests/prepare-python.sh" % sdist)
    build_type = "unknown"
    cache = os.path.join(os.path.dirname(args.bin), "CMakeCache.txt")
    if os.path.isfile(cache):
        with open(cache) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    build_type = line.split("=", 1)[1].strip() or "none"
    if not args.json:
        print("pyweld in '%s' (CMAKE_BUILD_TYPE %s)" % (args.bin, build_type))
    b = Bench(args)
    with tarfile.open(sdist) as t:
        t.extractall(os.path.join(b.tmp, "src"))
    srcdir = os.path.join(b.tmp, "src", os.path.basename(sdist)[: -len(".tar.gz")])

    results = {}
    for mode in args.modes.split(","):
        run = b.pip if mode == "pip" else b.build_ext
        what = sdist if mode == "pip" else srcdir
        times = {"shims": [], "plain": []}
        # One of each first, untimed: page cache, pyc files.
        shim, plain, db = b.envs()
        run(shim, what)
        run(plain, what)
        expected_links = links_recorded(b.pyweld, db, b.base)
        for r in range(args.rounds):
            shim, plain, db = b.envs()
            # Alternate which side goes first, so drift hits both alike.
            order = (("shims", shim), ("plain", plain))
            if r % 2:
                order = order[::-1]
            for side, env in order:
                times[side].append(run(env, what))
            n = links_recorded(b.pyweld, db, b.base)
            if n != expected_links or n == 0:
                sys.exit("shim_overhead: error: round %d recorded %d links, not %d"
                         % (r, n, expected_links))
        res = {}
        for k in (0, 1):
            sh = [t[k] for t in times["shims"]]
            pl = [t[k] for t in times["plain"]]
            res["wall" if k == 0 else "cpu"] = {
                "shims": statistics.median(sh),
                "plain": statistics.median(pl),
                "ratio": statistics.median(sh) / statistics.median(pl),
                # Robust to a busy machine: each round's own ratio, and the
                # ratio of the best builds.
                "paired_ratio": statistics.median(a / b for a, b in zip(sh, pl)),
                "best_ratio": min(sh) / min(pl),
            }
        res["runs"] = times
        res["build_type"] = build_type
        res["links_per_build"] = expected_links
        results[mode] = res
        if not args.json:
            print("%s %s, %d rounds, %d links recorded per shim build:" % (
                args.package, mode, args.rounds, expected_links))
            for k, name in ((0, "wall"), (1, "cpu")):
                r = res[name]
                print("  %-4s median shims %.3fs plain %.3fs: ratio %.3f (paired %.3f, "
                      "best %.3f; shims %.3f-%.3f, plain %.3f-%.3f)" % (
                          name, r["shims"], r["plain"], r["ratio"], r["paired_ratio"],
                          r["best_ratio"],
                          min(t[k] for t in times["shims"]), max(t[k] for t in times["shims"]),
                          min(t[k] for t in times["plain"]), max(t[k] for t in times["plain"])))
    if args.json:
        print(json.dumps(results, indent=2))
    shutil.rmtree(b.tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The weld the blob_* tests share: the ctest fixture test blob_weld.

    blob_weld.py --pyweld build/bin/pyweld --out DIR

Copies tests/integration/packages/pw_resources to DIR/src/ (pip builds in
the tree it is given; the source tree stays clean) and runs

    pyweld build --setup-py DIR/src/pw_resources --keep-work --work-dir DIR/work \
        --deep-freeze-all
                 -o DIR/bin/app

with a scrubbed environment (weld_testlib.Case): no entry point, so the
binary behaves like `python` and each case runs its own code.  Then writes
DIR/weld.json (see blob_testlib.py).  DIR is emptied first.  The kept work
directory gives the fuzzer a real modules.blob as a seed and the cases the
installed package (venv/) to compare the stock interpreter with.

Exit status: 0 built, 1 failed (the build log is printed), 77 no
distribution (the fixture pyweld_distribution makes it).
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blob_testlib as bt  # noqa: E402
import weld_testlib as wt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pyweld", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--python", help="weld this CPython version (X.Y; default 3.11)")
    args = ap.parse_args()
    args.pyweld = os.path.abspath(args.pyweld)
    out = os.path.abspath(args.out)
    version = args.python or "3.11"
    cache, dist = wt.distribution_cache(args.pyweld, args.python)
    if not cache:
        print(f"SKIP: no pyweld distribution ({dist}); run 'pyweld python build' first")
        return bt.SKIP
    args.cache, args.dist = cache, dist
    prefix = os.path.join(dist, "prefix")
    python = os.path.join(prefix, "bin", f"python{version}")
    if not os.access(python, os.X_OK):
        print(f"FAIL: the distribution '{dist}' has no {python}")
        return 1

    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "bin"))
    src = os.path.join(out, "src", "pw_resources")
    shutil.copytree(bt.PACKAGE_SRC, src,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    exe = os.path.join(out, "bin", "app")
    work = os.path.join(out, "work")

    c = wt.Case("weld", args, "blob")
    t0 = time.time()
    # --deep-freeze-all: blob_api's deep_frozen and regexes check the
    # deep-frozen standard library, which a binary without an entry point
    # links only when asked (docs/weld.md).
    p = c.build("--setup-py", src, "--keep-work", "--work-dir", work, "-o", exe,
                "--deep-freeze-all", timeout=1200)
    if p.returncode != 0:
        print(f"FAIL: pyweld build exited {p.returncode} after {time.time() - t0:.1f} s; "
              f"its log: {c.dir}")
        print(wt.tail(p.err, 60))
        return 1
    site = subprocess.run([os.path.join(work, "venv", "bin", "python"), "-I", "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True)
    info = {
        "exe": exe, "src": src, "work": work, "dist": dist, "prefix": prefix,
        "python": python, "stdlib": os.path.join(prefix, "lib", f"python{version}"),
        "site": site.stdout.strip(), "blob": os.path.join(work, "modules.blob"),
        "build_seconds": round(time.time() - t0, 1),
    }
    if not bt.save_weld(c, out, info, ("exe", "blob", "site")):
        return 1
    print(f"welded '{exe}' in {info['build_seconds']} s "
          f"(blob {os.path.getsize(info['blob'])} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

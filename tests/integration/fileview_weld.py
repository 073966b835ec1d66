#!/usr/bin/env python3
"""The welds the fileview_* tests share: the ctest fixture test fileview_weld.

    fileview_weld.py --pyweld build/bin/pyweld --out DIR

Downloads the pinned sdists of pytz and certifi (hash-checked: pip's
--require-hashes; kept in DIR/sdists and checked again on the next run),
copies tests/integration/packages/pw_fileview to DIR/src/, and welds all
three twice, with a scrubbed environment (weld_testlib.Case) and no entry
point (each binary behaves like `python`):

    pyweld build --pip-install DIR/sdists/pytz-2024.2.tar.gz
                 --pip-install DIR/sdists/certifi-2024.8.30.tar.gz
                 --setup-py DIR/src/pw_fileview
                 --keep-work --work-dir DIR/work -o DIR/bin/app
    pyweld build ... the same ... --no-file-view -o DIR/noview/app

(the second reuses the work directory: nothing is installed again).  Then
writes DIR/weld.json (blob_testlib.Weld reads it; "noview" names the
second binary).  DIR is emptied first, its sdists kept.

Exit status: 0 built, 1 failed (the build log is printed), 77 no
distribution (the fixture pyweld_distribution makes it).
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blob_testlib as bt  # noqa: E402
import weld_testlib as wt  # noqa: E402

PACKAGE_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "packages",
                           "pw_fileview")

# pip download --no-binary :all: --no-deps NAME==VERSION; sha256sum
SDISTS = {
    "pytz-2024.2.tar.gz": ("pytz==2024.2",
                           "2aa355083c50a0f93fa581709deac0c9ad65cca8a9e9beac660adcbd493c798a"),
    "certifi-2024.8.30.tar.gz": ("certifi==2024.8.30",
                                 "bec941d2aa8195e248a60b31ff9f0558284cf01a52591ceda73ea9afffd69fd9"),
}


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fetch_sdists(c, python, where):
    """The pinned sdists in where, downloaded (hash-checked) when missing."""
    os.makedirs(where, exist_ok=True)
    missing = [f for f, (_, h) in SDISTS.items()
               if not os.path.isfile(os.path.join(where, f))
               or sha256(os.path.join(where, f)) != h]
    if missing:
        reqs = c.path("sdists.txt")
        with open(reqs, "w") as f:
            for name in missing:
                spec, h = SDISTS[name]
                f.write(f"{spec} --hash=sha256:{h}\n")
        p = c.run([python, "-m", "pip", "download", "--quiet", "--no-binary", ":all:",
                   "--no-deps", "--require-hashes", "-r", reqs, "-d", where], timeout=600)
        c.require(p.returncode == 0, f"pip download of {missing} exited {p.returncode}:\n"
                  f"{wt.tail(p.err)}")
    for name, (_, h) in SDISTS.items():
        c.require(sha256(os.path.join(where, name)) == h, f"'{name}' is not the pinned sdist")
    return [os.path.join(where, name) for name in SDISTS]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pyweld", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    args.pyweld = os.path.abspath(args.pyweld)
    out = os.path.abspath(args.out)
    cache, dist = wt.distribution_cache(args.pyweld)
    if not cache:
        print(f"SKIP: no pyweld distribution ({dist}); run 'pyweld python build' first")
        return bt.SKIP
    args.cache, args.dist = cache, dist
    prefix = os.path.join(dist, "prefix")
    python = os.path.join(prefix, "bin", "python3.11")
    if not os.access(python, os.X_OK):
        print(f"FAIL: the distribution '{dist}' has no {python}")
        return 1

    os.makedirs(out, exist_ok=True)
    for entry in os.listdir(out):
        if entry != "sdists":
            path = os.path.join(out, entry)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    for d in ("bin", "noview"):
        os.makedirs(os.path.join(out, d))
    src = os.path.join(out, "src", "pw_fileview")
    shutil.copytree(PACKAGE_SRC, src,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    exe = os.path.join(out, "bin", "app")
    noview = os.path.join(out, "noview", "app")
    work = os.path.join(out, "work")

    c = wt.Case("weld", args, "fileview")
    try:
        sdists = fetch_sdists(c, python, os.path.join(out, "sdists"))
    except wt.Failure as e:
        print(f"FAIL: {e}")
        return 1
    common = []
    for s in sdists:
        common += ["--pip-install", s]
    common += ["--setup-py", src, "--keep-work", "--work-dir", work]
    t0 = time.time()
    for target, extra in ((exe, []), (noview, ["--no-file-view"])):
        p = c.build(*common, *extra, "-o", target, timeout=1200)
        if p.returncode != 0:
            print(f"FAIL: pyweld build {' '.join(extra)} exited {p.returncode} after "
                  f"{time.time() - t0:.1f} s; its log: {c.dir}")
            print(wt.tail(p.err, 60))
            return 1
        with open(os.path.join(out, os.path.basename(os.path.dirname(target)) +
                               "-build.txt"), "w") as f:
            f.write(p.out + p.err)
    site = subprocess.run([os.path.join(work, "venv", "bin", "python"), "-I", "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True)
    info = {
        "exe": exe, "noview": noview, "src": src, "work": work, "dist": dist,
        "prefix": prefix, "python": python,
        "stdlib": os.path.join(prefix, "lib", "python3.11"),
        "site": site.stdout.strip(), "blob": os.path.join(work, "modules.blob"),
        "build_seconds": round(time.time() - t0, 1),
    }
    if not bt.save_weld(c, out, info, ("exe", "noview", "blob", "site")):
        return 1
    print(f"welded '{exe}' and '{noview}' in {info['build_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""packages_tested_ccache_remote: the matrix's compiles shared through
ccache's remote storage (packages-tested/run --ccache-remote).

A local Redis (Debian's redis-server, 127.0.0.1, a free port, nothing kept
on disk) is the remote.  Two runs of the matrix weld and test the same
package, each in a work directory of its own with a new, empty local ccache
(two shards on two machines): the first compiles the package's sources
(each a miss, stored remotely), the second compiles none of them again:
each is a remote hit (setup.py's feature probes, temporary files of new
names, are compiled in every build).  Both pass the package's own tests,
and the extension's objects in the two binaries are byte-identical (their
SHA-256 from `pyweld inspect --json`, which the link database recorded).

usage: packages_tested_ccache_remote.py PYWELD RUNNER [PACKAGE]
Exit status: 0 passed, 1 failed, 77 skipped (no redis-server or ccache).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(tmp):
    """A redis-server on 127.0.0.1 that keeps nothing: (process, port)."""
    for _ in range(5):
        port = free_port()
        with open(os.path.join(tmp, f"redis-{port}.log"), "w") as log:
            p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--dir", tmp],
                                 stdout=log, stderr=subprocess.STDOUT)
        for _ in range(50):
            if p.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        return p, port
            except OSError:
                time.sleep(0.1)
        p.kill()
        p.wait()
    raise RuntimeError("redis-server did not start (see its logs in " + tmp + ")")


def objects(pyweld, app, package):
    """{extension: [object sha256, ...]} of PACKAGE's extensions in APP."""
    out = subprocess.run([pyweld, "inspect", "--json", app], capture_output=True,
                         text=True, check=True).stdout
    found = {}
    for e in json.loads(out).get("extensions", []):
        if e.get("name", "").split(".")[0].lower() == package.lower():
            found[e["name"]] = sorted(o.get("sha256", "") for o in e.get("objects", []))
    return found


def run_shard(runner, pyweld, url, package, tmp, label):
    work = os.path.join(tmp, label)
    report = os.path.join(tmp, f"{label}-report")
    argv = [sys.executable, runner, "--tier", "quick", "--only", package, "--no-combined",
            "--pyweld", pyweld, "--ccache-remote", url, "--work-dir", work,
            # each stands for a machine of its own: neither takes the other's
            # build from pyweld's build cache (nor an earlier run's)
            "--no-build-cache",
            "--report-dir", report]
    print(f"{label}: {' '.join(argv)}", flush=True)
    p = subprocess.run(argv, capture_output=True, text=True)
    sys.stdout.write(p.stdout[-3000:])
    if p.returncode != 0:
        sys.stdout.write(p.stderr[-3000:])
        raise AssertionError(f"{label}: the runner exited {p.returncode}")
    with open(os.path.join(report, "REPORT.json"), encoding="utf-8") as f:
        entry = json.load(f)["packages"][0]
    app = os.path.join(work, package.lower(), "app", "app")
    if not os.access(app, os.X_OK):
        cands = [os.path.join(d, "app") for d, _, files in os.walk(work) if "app" in files]
        raise AssertionError(f"{label}: no welded app at {app} (apps: {cands})")
    return entry, app


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    pyweld, runner = sys.argv[1], sys.argv[2]
    package = sys.argv[3] if len(sys.argv) > 3 else "markupsafe"
    for prog, pkg in (("redis-server", "redis-server"), ("ccache", "ccache")):
        if not shutil.which(prog):
            print(f"SKIP: {prog} is not installed (apt-get install {pkg})")
            return SKIP
    tmp = tempfile.mkdtemp(prefix="pyweld-ccache-remote-")
    redis = None
    problems = []
    try:
        redis, port = start_redis(tmp)
        url = f"redis://127.0.0.1:{port}"
        t0 = time.monotonic()
        first, app1 = run_shard(runner, pyweld, url, package, tmp, "shard-1")
        t1 = time.monotonic()
        second, app2 = run_shard(runner, pyweld, url, package, tmp, "shard-2")
        t2 = time.monotonic()
        s1, s2 = first["build"].get("ccache"), second["build"].get("ccache")
        print(f"shard-1: {s1}, build {first['build']['seconds']} s, run {t1 - t0:.0f} s")
        print(f"shard-2: {s2}, build {second['build']['seconds']} s, run {t2 - t1:.0f} s")
        for label, entry in (("shard-1", first), ("shard-2", second)):
            if not entry["verdict"].startswith("pass"):
                problems.append(f"{label}: verdict {entry['verdict']!r}: {entry['problems']}")
        # shard-1 is cold everywhere: it compiles.  shard-2 (an empty local
        # cache, the remote warm) compiles none of the sources shard-1
        # compiled: each is a remote hit (a source compiled twice in one
        # build is a local hit the second time; a setup.py's feature probes
        # are temporary files of new names, compiled in every build).
        if not s1 or not s1["missed"]:
            problems.append(f"shard-1 compiled nothing through ccache: {s1}")
        elif s1["remote_hits"]:
            problems.append(f"shard-1 had remote hits from an empty remote: {s1}")
        if not s2 or not s2["remote_hits"]:
            problems.append(f"shard-2 got no remote hit: {s2}")
        elif s1 and set(s1["missed"]) & set(s2["missed"]):
            problems.append("shard-2 compiled again what shard-1 had compiled: "
                            f"{sorted(set(s1['missed']) & set(s2['missed']))}")
        o1, o2 = objects(pyweld, app1, package), objects(pyweld, app2, package)
        if not o1 or not all(o1.values()):
            problems.append(f"no objects of {package}'s extensions in {app1}: {o1}")
        elif o1 != o2:
            problems.append(f"the extension objects differ between the shards: {o1} against {o2}")
        else:
            print(f"objects identical: {json.dumps(o1)}")
    except (AssertionError, RuntimeError, subprocess.CalledProcessError) as e:
        problems.append(str(e))
    finally:
        if redis:
            redis.terminate()
            redis.wait()
    if problems:
        print(f"FAIL: (kept {tmp})")
        for p in problems:
            print("  - " + p)
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""packages-tested/ccache.py: the matrix's compiles through ccache, shared
between runs and machines by ccache's remote storage.

`run --ccache-remote URL` (redis://HOST:PORT, http://HOST/PATH, or any
backend the installed ccache lists as a feature) puts Debian's ccache
masquerade directory (/usr/lib/ccache) first on each build's PATH: the
wrapper compilers resolve gcc, cc, g++ and c++ through it (docs/ccshim.md,
"Launchers and masquerade directories") and record the object ccache hands
back, whether compiled or fetched.  The local cache is `--ccache-dir DIR`, or
a new one in the run's work directory: a run on a cold machine then gets
what another machine compiled as remote hits.

Builds of one package in two work directories must hash alike: the paths
under the work directory are made relative (base_dir) and the working
directory is left out of the hash (hash_dir false), as ccache's manual
advises for sharing a cache between directories.  The price is ccache's:
the debug information of a fetched object names the directory of the build
that compiled it.

Each build's counters come from a stats log of its own (ccache's stats_log),
so concurrent builds sharing one cache each report their own hits.
"""
import os
import re
import shutil
import subprocess

MASQUERADE = "/usr/lib/ccache"


class CcacheError(Exception):
    pass


def check(url, local_dir):
    """Refuses what cannot work, before any build: (ccache's path, version)."""
    exe = shutil.which("ccache")
    if not exe:
        raise CcacheError("--ccache-remote: ccache is not installed "
                          "(hint: apt-get install ccache)")
    if not os.path.isdir(MASQUERADE):
        raise CcacheError(f"--ccache-remote: no ccache masquerade directory '{MASQUERADE}' "
                          "(hint: Debian's ccache package makes it)")
    # one backend, given as data: ccache reads remote_storage as a list separated by
    # spaces with attributes after '|'; a URL holding either would be read as more
    if not url or re.search(r"[\s|\x00-\x1f\x7f]", url):
        raise CcacheError(f"--ccache-remote: {url!r} is not one URL "
                          "(no spaces, '|' or control characters)")
    m = re.fullmatch(r"([a-z][a-z0-9+.-]*)://.+", url)
    if not m:
        raise CcacheError(f"--ccache-remote: {url!r} is not a URL "
                          "(hint: redis://127.0.0.1:6379 or http://host/cache)")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    first = out.stdout.splitlines()[0] if out.stdout else ""
    vm = re.search(r"version (\d+)\.(\d+)", first)
    if not vm or (int(vm.group(1)), int(vm.group(2))) < (4, 4):
        raise CcacheError(f"--ccache-remote: '{exe}' is {first or 'of no known version'}; "
                          "remote storage needs ccache 4.4 or later")
    features = ""
    for line in out.stdout.splitlines():
        if line.startswith("Features:"):
            features = line.split(":", 1)[1].split()
    scheme = m.group(1)
    if f"{scheme}-storage" not in features:
        raise CcacheError(f"--ccache-remote: this ccache has no {scheme} storage "
                          f"(its features: {' '.join(features) or 'none listed'})")
    if local_dir and os.path.exists(local_dir) and not os.path.isdir(local_dir):
        raise CcacheError(f"--ccache-dir: '{local_dir}' is not a directory")
    return exe, f"{vm.group(1)}.{vm.group(2)}"


def build_env(env, url, local_dir, work_root, stats_log):
    """ENV (a build's environment) with the compilers going through ccache."""
    env = dict(env)
    env["PATH"] = MASQUERADE + os.pathsep + env.get("PATH", "")
    env["CCACHE_DIR"] = local_dir
    env["CCACHE_REMOTE_STORAGE"] = url
    env["CCACHE_BASEDIR"] = work_root
    env["CCACHE_NOHASHDIR"] = "1"
    env["CCACHE_STATSLOG"] = stats_log
    # a remote that cannot be reached costs each compile a timeout, then it
    # compiles: the build never fails for the cache's sake (ccache's default)
    return env


def stats(stats_log):
    """The counters of one build's stats log: the packages' compiles
    (cacheable calls), local hits, remote hits, misses.  pyweld's own
    compiles of the weld (its runtime and the generated frozen.c, in its
    work directory pyweld-build.*) go through the same PATH but are no
    package's: counted apart as "weld".  "missed" names the sources that
    were compiled (a build's feature probes are temporary files of random
    names: they miss in every build)."""
    n = {"calls": 0, "local_hits": 0, "remote_hits": 0, "misses": 0, "weld": 0,
         "missed": []}
    try:
        with open(stats_log, encoding="utf-8", errors="replace") as f:
            entries = f.read().split("\n# ")
    except OSError:
        return None
    for entry in entries:
        head, *rest = entry.strip().splitlines() or [""]
        source = head[2:] if head.startswith("# ") else head
        lines = set(rest)
        if not lines:
            continue
        if "pyweld-build." in source:
            n["weld"] += 1
            continue
        if "cache_miss" in lines:
            n["misses"] += 1
            if source not in n["missed"]:
                n["missed"].append(source)
        elif "remote_storage_hit" in lines:
            n["remote_hits"] += 1
        elif "local_storage_hit" in lines:
            n["local_hits"] += 1
        else:
            continue            # not cacheable (a link, a configure probe)
        n["calls"] += 1
    return n


def describe(n):
    if n is None:
        return "ccache: no statistics"
    return (f"ccache: {n['calls']} compiles, {n['local_hits']} local hits, "
            f"{n['remote_hits']} remote hits, {n['misses']} misses "
            f"(and {n['weld']} of the weld's own)")

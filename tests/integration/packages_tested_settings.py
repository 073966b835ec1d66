#!/usr/bin/env python3
"""packages_tested_settings: a package's own build settings and its tests_source.

    packages_tested_settings.py PACKAGES_TESTED_DIR

No package is built: packages-tested/run is loaded as a module and fed
entries of its own making.
1. env and build_constraints reach pyweld build's argv as
   `--env PKG:NAME=VALUE` of their package alone, the same whatever else is
   welded with it; the constraints are a file named by their content in
   the download cache: the same constraints give the same path (the build
   cache's key) in another run, other constraints another path.
2. packages.toml's grpcio entry is read so: its PIP_CONSTRAINT file holds
   its constraints.
3. tests_source: `copy` reads from that tarball, not from the sdist.
4. Dependencies pinned by version reach the requirements as the sdists
   fetched for them (others stay requirements); pinned.json records each
   with its hash, so that a later run takes the file without asking the
   index, and asks again when the file no longer has that hash.
5. A malformed entry is refused with `packages-tested/run: error:` naming the
   key: an env name that is not a variable's, a value that is not a
   string, constraints that are not strings, a tests_source whose file is a
   path, whose URL is not http(s), whose hash is not 64 hex digits, a stock
   side built from the sdist with build constraints.
"""

import io
import os
import subprocess
import sys
import tarfile
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from packages_tested_shards import load_runner  # noqa: E402

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print(f"  - {what}")
    return cond


BASE = {"name": "pw-own", "version": "1.0", "sdist": "pw_own-1.0.tar.gz", "sha256": "0" * 64,
        "tier": "full", "tests": ["t"]}


def tarball(path, top, files):
    with tarfile.open(path, "w:gz") as tf:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def refused(top, entry, words):
    """Whether the runner, listing a packages.toml of entry, exits 1 with an
    error naming each of words."""
    with tempfile.TemporaryDirectory(prefix="pw-settings-") as d:
        toml = os.path.join(d, "packages.toml")
        with open(toml, "w") as f:
            f.write("[[package]]\n" + entry)
        code = ("import sys, importlib.machinery as m, importlib.util as u\n"
                f"l = m.SourceFileLoader('r', {os.path.join(top, 'run')!r})\n"
                "mod = u.module_from_spec(u.spec_from_loader('r', l)); l.exec_module(mod)\n"
                f"mod.load_list({toml!r})\n")
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        return p.returncode == 1 and "packages-tested/run: error:" in p.stderr and \
            all(w in p.stderr for w in words), p.stderr.strip()


def main():
    top = os.path.abspath(sys.argv[1])
    sys.path.insert(0, top)
    run = load_runner(top)
    with tempfile.TemporaryDirectory(prefix="pw-settings-") as d:
        ctx = types.SimpleNamespace(
            pyweld="/pw/pyweld", dl=os.path.join(d, "cache"), work=os.path.join(d, "work"),
            args=types.SimpleNamespace(python=None, no_build_cache=False), sdists={},
            tests_sources={})
        os.makedirs(ctx.dl)
        # 1. the argv
        own = run.Package(dict(BASE, env={"PW_JOBS": "2"},
                               build_constraints=["setuptools<70"]), {}, "own")
        other = run.Package(dict(BASE, name="pw-other", sdist="pw_other-1.0.tar.gz",
                                 env={"PW_JOBS": "1", "PW_ALL": "1"}), {}, "other")
        argv = run.build_argv(ctx, [own, other], "/app", "/req.txt")
        envs = [argv[i + 1] for i, a in enumerate(argv) if a == "--env"]
        cpath = os.path.join(ctx.dl, "constraints")
        files = sorted(os.listdir(cpath)) if os.path.isdir(cpath) else []
        check(len(files) == 1, f"one constraints file wanted: {files}")
        want = [f"pw-own:PIP_CONSTRAINT={os.path.join(cpath, files[0])}"
                if files else "?", "pw-own:PW_JOBS=2", "pw-other:PW_ALL=1",
                "pw-other:PW_JOBS=1"]
        check(envs == want, f"the --env settings are {envs}, wanted {want}")
        if files:
            with open(os.path.join(cpath, files[0])) as f:
                check(f.read() == "setuptools<70\n", "the constraints file holds other text")
        again = run.build_argv(ctx, [own], "/app2", "/req2.txt")
        check([a for a in again if a.startswith("pw-own:")] ==
              [a for a in envs if a.startswith("pw-own:")],
              f"pw-own welded alone has other settings: {again}")
        more = run.Package(dict(BASE, build_constraints=["setuptools<69"]), {}, "more")
        third = run.build_argv(ctx, [more], "/app3", "/req3.txt")
        check(not set(third) & set(envs) - {"--env"} and len(os.listdir(cpath)) == 2,
              f"other constraints share a file: {third}")
        bare = run.Package(dict(BASE, name="pw-bare", sdist="pw_bare-1.0.tar.gz"), {}, "bare")
        alone = run.build_argv(ctx, [bare], "/app4", "/req4.txt")
        check("--env" not in alone, f"a package without settings got some: {alone}")
        # 2. the grpcio entry
        _, pkgs, by = run.load_list(os.path.join(top, "packages.toml"))
        g = by.get("grpcio")
        if check(g is not None and g.tests_source and g.build_constraints,
                 "packages.toml has no grpcio with tests_source and build_constraints"):
            genv = run.own_env(ctx, g)
            with open(genv["PIP_CONSTRAINT"]) as f:
                check(f.read().split() == g.build_constraints,
                      "grpcio's constraints file does not hold its constraints")
        # 3. tests_source
        os.makedirs(ctx.work)
        sd, ts = os.path.join(d, "pw_own-1.0.tar.gz"), os.path.join(d, "pw_src.tar.gz")
        tarball(sd, "pw_own-1.0", {"PKG-INFO": "sdist\n"})
        tarball(ts, "pw-src", {"python/tests/t_one.py": "def test_one():\n    pass\n",
                               "python/pw_own/__init__.py": "the package's own source\n"})
        src = run.Package(dict(BASE, tests_source={"file": "pw_src.tar.gz",
                                                   "url": "http://127.0.0.1:9/pw_src.tar.gz",
                                                   "sha256": "1" * 64},
                               copy=[{"from": "python/tests", "to": "t"}]), {}, "src")
        ctx.sdists["pw-own"], ctx.tests_sources["pw-own"] = sd, ts
        dest = os.path.join(d, "copy")
        run.copy_tests(ctx, src, dest)
        check(os.path.isfile(os.path.join(dest, "t", "t_one.py")),
              f"the tests were not copied from tests_source: {sorted(os.listdir(dest))}")
        check(not os.path.exists(os.path.join(dest, "python")),
              "more than the copy entries came out of tests_source")
        # 4. the dependencies' sdists
        asked = []

        def fake_release(index, name, version, dest):
            asked.append(f"{name}=={version}")
            if name != "pw-a":
                return None, None, "no sdist"
            path = os.path.join(dest, f"pw_a-{version}.tar.gz")
            with open(path, "w") as f:
                f.write("pw-a sdist\n")
            return path, run.sha256_file(path), None
        run.fetch.fetch_release = fake_release
        ctx.index, ctx.python = "http://127.0.0.1:9/simple/", sys.executable
        dep = run.Package(dict(BASE, deps=["pw-a==1.0", "pw-b>=2", "pw-c==3.0"]), {}, "dep")
        got = run.dependency_sdists(ctx, [dep])
        a = os.path.join(ctx.dl, "sdists", "pw_a-1.0.tar.gz")
        check(got == {"pw-a==1.0": a}, f"dependency_sdists gave {got}")
        check(sorted(asked) == ["pw-a==1.0", "pw-c==3.0"],
              f"the index was asked for {asked}, not the two pinned by version")
        text = run.requirements([dep], {"pw-own": "/s/pw_own-1.0.tar.gz"}, got)
        check(text.splitlines()[1:] == ["/s/pw_own-1.0.tar.gz", a, "pw-b>=2", "pw-c==3.0"],
              f"the requirements are {text.splitlines()[1:]}")
        asked.clear()
        again = run.dependency_sdists(ctx, [dep])
        check(again == got and asked == ["pw-c==3.0"],
              f"a second run did not take pw-a from pinned.json: {again}, asked {asked}")
        with open(a, "a") as f:
            f.write("changed\n")
        asked.clear()
        run.dependency_sdists(ctx, [dep])
        check("pw-a==1.0" in asked, "a recorded sdist with other bytes was taken")
    # 5. refused
    ok = 'name = "x"\nversion = "1"\nsdist = "x-1.tar.gz"\nsha256 = "' + "0" * 64 + \
        '"\ntier = "full"\ntests = ["t"]\n'
    good_ts = 'file = "x.tar.gz", url = "http://h/x.tar.gz", sha256 = "' + "1" * 64 + '"'
    for what, extra, words in (
            ("an env name that is no variable's", 'env = { "A-B" = "1" }\n', ["env", "A-B"]),
            ("an env value that is no string", "env = { A = 1 }\n", ["env"]),
            ("constraints that are not strings", "build_constraints = [1]\n",
             ["build_constraints"]),
            ("a tests_source file that is a path",
             "tests_source = { " + good_ts.replace('"x.tar.gz"', '"../x.tar.gz"') + " }\n",
             ["tests_source"]),
            ("a tests_source URL that is not http(s)",
             "tests_source = { " + good_ts.replace("http://h", "file://") + " }\n",
             ["tests_source"]),
            ("a tests_source hash that is not 64 hex digits",
             "tests_source = { " + good_ts.replace("1" * 64, "1" * 63) + " }\n",
             ["tests_source"]),
            ("a stock side from the sdist with build settings",
             'stock = "sdist"\nbuild_constraints = ["setuptools<70"]\n', ["stock side"])):
        good, err = refused(top, ok + extra, words)
        check(good, f"{what}: not refused naming {words}: {err!r}")
    print(f"{'FAIL' if FAILS else 'ok'}: {len(FAILS)} problems")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())

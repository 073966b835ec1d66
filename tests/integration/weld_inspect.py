#!/usr/bin/env python3
"""What is inside: the manifest every weld embeds, and `pyweld inspect`.

Cases:
  manifest   two local projects (one with a C extension that links a static
             library the test makes and Debian's libz.a, one pure Python whose
             licence holds quotes, '$', backticks, a backslash and non-ASCII)
             in one binary: inspect --json's distributions equal what pip
             list says the build environment got (names, versions), its
             libraries equal the static archives on the final link's command
             line in the build log (nothing more, nothing less), the test's
             library is the extension's private archive, libz's Debian
             package and version are dpkg's, the extension's objects are the
             link database's (store names that are the SHA-256 of the file),
             the hostile licence comes back byte for byte and the text output
             holds no control character.
  no_cache   the binary copied into a directory whose name holds a space,
             quotes and '$', the work directory and cache out of reach, then
             strip and objcopy --strip-all: inspect still answers, the same
             JSON each time.
  bad_files  a missing file, a directory, a text file, an ELF file without a
             manifest, damaged manifests (garbage, a bad zlib stream, a wrong
             format version, an absurd length): each "pyweld: error: cannot
             inspect 'X': why" with a hint, exit 1, no crash; usage errors
             exit 2; --help answers.
"""

import hashlib
import json
import os
import shlex
import shutil
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402

HOSTILE_LICENCE = "MIT \"quoted\" 'single' $HOME `id` back\\slash \u00e9t\u00e9 <&>"

EXT_C = r"""
#include <Python.h>
#include <zlib.h>
int pwlib_value(void);
static PyObject *value(PyObject *self, PyObject *arg)
{
    return Py_BuildValue("is", pwlib_value(), zlibVersion());
}
static PyMethodDef methods[] = { { "value", value, METH_NOARGS, NULL }, { NULL } };
static struct PyModuleDef def = { PyModuleDef_HEAD_INIT, "_ext", NULL, 0, methods };
PyMODINIT_FUNC PyInit__ext(void) { return PyModule_Create(&def); }
"""

PURE_SETUP = """
from setuptools import setup
setup(name="pwpure", version="2.5.1", packages=["pwpure"], license={licence!r})
"""


def inspect(c, *args, env=None):
    return c.run([c.pyweld, "inspect", *args], env=env, timeout=120)


def inspect_json(c, app, env=None):
    r = inspect(c, "--json", app, env=env)
    c.require(r.returncode == 0, f"pyweld inspect --json '{app}' exited {r.returncode}:\n"
              f"{wt.tail(r.err)}")
    try:
        return json.loads(r.out)
    except ValueError as e:
        raise wt.Failure(f"inspect --json printed no JSON ({e}):\n{r.out[:2000]}")


def weld(c):
    """The binary of the manifest and no_cache cases: (app, work)."""
    lib = wt.static_lib(c, "pwlib", {"pwlib.c": "int pwlib_value(void) { return 42; }\n"})
    src = wt.ext_project(c, "pwinsp", EXT_C)
    pure = c.path("pwpure")
    wt.write(os.path.join(pure, "setup.py"), PURE_SETUP.format(licence=HOSTILE_LICENCE))
    wt.write(os.path.join(pure, "pwpure", "__init__.py"), "VALUE = 7\n")
    app, work = c.path("app"), c.path("work")
    c.build_ok("--setup-py", src, "--setup-py", pure,
               *wt.ext_env("pwinsp", libs=("pwlib", "z"), dirs=(lib,)),
               "--work-dir", work, "-o", app, "--python-code",
               "import pwinsp._ext, pwpure; print(pwinsp._ext.value(), pwpure.VALUE)")
    r = c.run([app], env=c.run_env)
    c.require(r.returncode == 0 and r.out.startswith("(42, "),
              f"the binary does not run: {r.returncode} {r.out!r}\n{wt.tail(r.err)}")
    return app, work


def pip_list(c, work):
    """{name: version} of what pip installed into the build environment."""
    site = os.path.join(work, "venv", "lib", f"python{c.version}", "site-packages")
    python = os.path.join(c.args.dist, "prefix", "bin", f"python{c.version}")
    r = c.run([python, "-I", "-m", "pip", "list", "--path", site, "--format", "json",
               "--disable-pip-version-check"])
    c.require(r.returncode == 0, f"pip list exited {r.returncode}:\n{wt.tail(r.err)}")
    got = {d["name"].lower(): d["version"] for d in json.loads(r.out)}
    # The seed of the venv itself (python -m venv), not the build's install.
    for seed in ("pip", "setuptools"):
        got.pop(seed, None)
    return got


def final_link_archives(c, work):
    """The static archives on the final link's command line (build.log)."""
    with open(os.path.join(work, "build.log"), encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("+ ") and "/app.bin " in line and " -o " in line:
                argv = shlex.split(line[2:])
                if argv[0] in ("gcc", "g++") and argv[argv.index("-o") + 1].endswith("/app.bin"):
                    return {a for a in argv if a.endswith(".a")}
    raise wt.Failure("no final link (gcc -o .../app.bin) in the build log")


def dpkg_version(c, package):
    r = c.run(["dpkg-query", "-W", "-f=${Version}", package])
    return r.out if r.returncode == 0 else None


def case_manifest(c):
    """the manifest's distributions, libraries and extensions are what was built"""
    app, work = weld(c)
    m = inspect_json(c, app)
    c.check(m.get("manifest_version") == 1, f"manifest_version: {m.get('manifest_version')}")
    c.check(m["python"]["version"].startswith(c.version + "."),
            f"python version {m['python']['version']!r}, welded {c.version}")
    src = m["python"]["source"]
    c.check(src.get("debian_package", "").startswith("python3.")
            and src.get("debian_version") and src.get("debian_patches", 0) > 0,
            f"CPython's Debian source is not named: {src}")
    c.check(m["entry"]["kind"] == "code" and "pwpure" in m["entry"]["value"],
            f"entry point: {m['entry']}")

    dists = {d["name"].lower(): d["version"] for d in m["distributions"]}
    pip = pip_list(c, work)
    c.check(dists == pip, f"the manifest's distributions {dists} are not what pip "
            f"installed {pip}")
    pure = [d for d in m["distributions"] if d["name"] == "pwpure"]
    c.check(pure and pure[0]["licence"] == HOSTILE_LICENCE,
            f"pwpure's licence did not come back byte for byte: "
            f"{pure[0]['licence'] if pure else None!r}")

    linked = final_link_archives(c, work)
    libs = m["libraries"]
    paths = {lib["path"] for lib in libs if lib["name"] != "python"}
    libpython = [a for a in linked if os.path.basename(a).startswith("libpython")]
    c.check(paths == linked - set(libpython),
            f"the manifest's libraries are not the final link's archives: only in the "
            f"manifest {sorted(paths - linked)}, only on the link "
            f"{sorted(linked - paths - set(libpython))}")
    c.check(len(libpython) == 1 and any(lib["path"] == os.path.basename(libpython[0])
                                        for lib in libs),
            f"libpython: linked {libpython}, manifest {[x['path'] for x in libs][:1]}")
    by_name = {lib["name"]: lib for lib in libs}
    # The build's own libpwlib.a went into the extension's partial link (a
    # private archive, in the link database): not a library of the final link.
    c.check("pwlib" not in by_name, f"the build's own libpwlib.a among the system's "
            f"libraries: {by_name.get('pwlib')}")
    z = by_name.get("z")
    if c.check(z is not None, f"no libz in the manifest: {sorted(by_name)}"):
        pkg = z["debian"]["package"]
        c.check(pkg and pkg.startswith("zlib1g-dev") and
                z["debian"]["version"] == dpkg_version(c, pkg),
                f"libz's Debian package: {z['debian']}, dpkg says "
                f"{dpkg_version(c, pkg or 'zlib1g-dev')}")
        c.check("pwinsp._ext" in z["used_by"] and "zlib" in z["used_by"],
                f"libz's users: {z['used_by']}")

    exts = {e["name"]: e for e in m["extensions"]}
    e = exts.get("pwinsp._ext")
    c.require(e is not None, f"no pwinsp._ext among the extensions: {sorted(exts)[:10]}")
    c.check(e["package"] == "pwinsp" and e["version"] == "1.0" and
            e["libraries"] == ["z"], f"pwinsp._ext: {e}")
    stores = [os.path.join(dp, d) for dp, dns, _ in os.walk(work) for d in dns
              if d.endswith(".linkdb.store")]
    for obj in e["objects"] + e["archives"]:
        h = obj["sha256"]
        files = [os.path.join(s, h[:2], h) for s in stores
                 if os.path.isfile(os.path.join(s, h[:2], h))]
        if c.check(files, f"{obj} is in no link database store under {work} ({stores})"):
            with open(files[0], "rb") as f:
                c.check(hashlib.sha256(f.read()).hexdigest() == h,
                        f"{files[0]}: its content is not its name's SHA-256")
    c.check(any(o["name"].endswith("ext.o") for o in e["objects"]),
            f"pwinsp._ext's objects do not name ext.o: {e['objects']}")
    c.check([os.path.basename(a["name"]) for a in e["archives"]] == ["libpwlib.a"],
            f"pwinsp._ext's private archives are not [libpwlib.a]: {e['archives']}")
    c.check(exts.get("_ssl", {}).get("package") == "python",
            "the standard library's _ssl is not among the extensions")

    blob = {p["name"]: p for p in m["blob"]["packages"]}
    c.check(blob.get("pwpure", {}).get("distribution") == "pwpure" and
            blob["pwpure"]["bytes"] > 0 and blob.get("json", {}).get("distribution") is None,
            f"blob bytes: pwpure {blob.get('pwpure')}, json {blob.get('json')}")

    r = inspect(c, app)
    c.check(r.returncode == 0, f"pyweld inspect exited {r.returncode}:\n{wt.tail(r.err)}")
    for want in ("pwpure", "2.5.1", "pwinsp._ext", "zlib1g-dev",
                 m["python"]["version"], src.get("debian_version") or "?"):
        c.check(want in r.out, f"the text does not say {want!r}:\n{r.out[:3000]}")
    bad = sorted({ch for ch in r.out if ord(ch) < 0x20 and ch != "\n"})
    c.check(not bad, f"the text holds control characters {bad!r}")


def case_no_cache(c):
    """inspect reads the binary alone: copied, cache gone, stripped"""
    app, work = weld(c)
    want = inspect_json(c, app)
    far = c.path("elsewhere 'q' \"d\" $x")
    os.makedirs(far)
    copy = os.path.join(far, "my app")
    shutil.copy2(app, copy)
    shutil.rmtree(work)
    env = dict(c.env, PYWELD_CACHE=c.path("no-cache"), HOME=c.path("tmp"),
               XDG_CACHE_HOME=c.path("no-cache"))
    c.check(inspect_json(c, copy, env=env) == want,
            "the copy's manifest differs once the cache and work directory are gone")
    for tool in (["strip", copy], ["objcopy", "--strip-all", copy]):
        r = c.run(tool)
        c.require(r.returncode == 0, f"{tool} exited {r.returncode}:\n{r.err}")
        c.check(inspect_json(c, copy, env=env) == want,
                f"after {tool[0]} the manifest differs or is gone")
    r = inspect(c, copy, env=env)
    c.check(r.returncode == 0 and "pwinsp._ext" in r.out,
            f"inspect of the stripped copy: {r.returncode}\n{r.out[:2000]}{wt.tail(r.err)}")


def with_section(c, name, payload):
    """A copy of /bin/true with payload as its manifest section."""
    data = c.path(name + ".section")
    with open(data, "wb") as f:
        f.write(payload)
    out = c.path(name)
    r = c.run(["objcopy", "--add-section", f".pyweld.manifest={data}", "/bin/true", out])
    c.require(r.returncode == 0, f"objcopy --add-section exited {r.returncode}:\n{r.err}")
    return out


def header(version, length):
    return b"PYWMANIF" + struct.pack("<II", version, 0) + struct.pack("<Q", length)


def check_refused(c, path, why, status=1):
    r = inspect(c, path)
    lines = r.err.splitlines()
    c.check(r.returncode == status, f"{why}: inspect exited {r.returncode}, wanted {status}")
    c.check(lines and lines[0].startswith(f"pyweld: error: cannot inspect '{path}': "),
            f"{why}: the first line is not \"pyweld: error: cannot inspect '{path}': "
            f"...\":\n{r.err}")
    c.check(any(x.startswith("hint: ") or x.startswith("pyweld: hint: ") for x in lines),
            f"{why}: no hint:\n{r.err}")
    c.check(r.out == "" and "Traceback" not in r.err, f"{why}: output on stdout or a "
            f"crash:\n{r.out[:500]}{r.err}")


def case_bad_files(c):
    """not ELF, no manifest, damaged manifests, usage: clear errors"""
    text = c.path("notes $x `y`.txt")
    wt.write(text, "just text\n")
    elf = c.path("true")
    shutil.copy("/bin/true", elf)
    good = json.dumps({"manifest_version": 1}).encode()
    cases = [
        (c.path("missing"), "a missing file"),
        (c.path("tmp"), "a directory"),
        (text, "a text file"),
        (elf, "an ELF file without a manifest"),
        (with_section(c, "garbage", os.urandom(64)), "a garbage section"),
        (with_section(c, "badzlib", header(1, 100) + b"\x78\x9c" + os.urandom(40)),
         "a damaged zlib stream"),
        (with_section(c, "version", header(9, len(good)) + zlib.compress(good)),
         "a newer format version"),
        (with_section(c, "length", header(1, 1 << 40) + zlib.compress(good)),
         "an absurd length"),
        (with_section(c, "short", header(1, len(good) + 5) + zlib.compress(good)),
         "a length the stream does not fill"),
        (with_section(c, "notjson", header(1, 9) + zlib.compress(b"not json!")),
         "a manifest that is not JSON"),
    ]
    for path, why in cases:
        check_refused(c, path, why)
    r = inspect(c, "--json")
    c.check(r.returncode == 2, f"inspect without APP exited {r.returncode}, wanted 2")
    r = inspect(c, elf, elf)
    c.check(r.returncode == 2, f"inspect of two files exited {r.returncode}, wanted 2")
    r = inspect(c, "--help")
    c.check(r.returncode == 0 and "usage: pyweld inspect" in r.out and "--json" in r.out,
            f"inspect --help: {r.returncode}\n{r.out[:1000]}")


CASES = {
    "manifest": case_manifest,
    "no_cache": case_no_cache,
    "bad_files": case_bad_files,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "inspect"))

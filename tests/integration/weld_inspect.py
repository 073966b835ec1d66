#!/usr/bin/env python3
"""What is inside: the manifest every weld embeds, and `pyweld inspect`.

Cases:
  manifest   local projects (one with a C extension that links a static
             library the test makes and Debian's libz.a, one pure Python whose
             licence holds quotes, '$', backticks, a backslash, non-ASCII and ESC)
             in one binary: inspect --json's distributions equal what pip
             list says the build environment got (names, versions), its
             libraries equal the static archives on the final link's command
             line in the build log (nothing more, nothing less), the test's
             library is the extension's private archive, libz's Debian
             package and version are dpkg's, the extension's objects are the
             link database's (store names that are the SHA-256 of the file),
             the hostile licence comes back byte for byte and the text output
             holds no control character (the entry point's code has a line
             break and a tab: one line, each as '?').
  no_cache   the binary copied into a directory whose name holds a space,
             quotes and '$', the work directory and cache out of reach, then
             strip and objcopy --strip-all: inspect still answers, the same
             JSON each time.
  sbom       the same binary's APP.cdx.json equals inspect --sbom and
             validates against CycloneDX 1.5 with cyclonedx-python-lib's
             strict JSON validator (pinned, tests/sbom-requirements.txt, in a
             venv of its own; a broken copy must fail it); its PURLs
             (pkg:pypi, pkg:deb with dpkg's version, pkg:generic for CPython),
             the hostile licence, the extension's files with the link
             database's hashes, and a graph whose every ref exists: the
             application on CPython and the distributions, those on their
             extensions, the extensions on the libraries they link.
  spdx       a default weld, then the same with --sbom-format spdx: APP.spdx.json
             replaces APP.cdx.json, equals inspect --sbom --sbom-format spdx,
             validates with spdx-tools (pinned, tests/sbom-spdx-requirements.txt;
             a copy with a bad SPDXID must fail); its packages are the
             CycloneDX components, its DEPENDS_ON edges the CycloneDX graph,
             its namespace the manifest's SHA-256, its licences an expression
             or LicenseRef- names; a bad --sbom-format is a usage error.
  deny       --deny-licence patterns matching a distribution's License-Expression,
             Debian's libz (two extensions use it) and libcrypt (--with-module
             _crypt): the weld fails naming each chain (APP -> extension ->
             libz.a (Debian package version: licence)) with a hint, APP as it
             was; a pattern nothing matches: the weld goes on, libcrypt's
             copyleft warned of with its chain, the patterns in the
             manifest's options; a bad pattern is a usage error; pyweld.ini's
             deny-licence (libpython's PSF-2.0 refused) and sbom-format keys.
  bad_files  a missing file, a directory, a FIFO, a text file, an ELF file without a
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

HOSTILE_LICENCE = ("MIT \"quoted\" 'single' $HOME `id` back\\slash \u00e9t\u00e9 <&> "
                   "\x1b[31mred")

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

# Two more pure projects for where a licence is read from.  pwexpr's
# METADATA gets a License-Expression (PEP 639; the build environment's
# setuptools predates it, so the header is written beside its own), which
# wins over its License: and classifier; pwclass's License: is a licence's
# text (many lines), so its licence classifiers answer.
LICENCE_SETUP = """
from setuptools import setup
from setuptools.dist import Distribution
meta = type(Distribution().metadata)
write = meta.write_pkg_file
def write_with_expression(self, f):
    class Out:
        def write(self, text):
            f.write(text)
            if {expression!r} and text.startswith("Version:"):
                f.write("License-Expression: " + {expression!r} + "\\n")
    write(self, Out())
meta.write_pkg_file = write_with_expression
setup(name={name!r}, version="1.0", packages=[{name!r}], license={licence!r},
      classifiers=["License :: OSI Approved :: BSD License",
                   "License :: OSI Approved :: MIT License",
                   "Programming Language :: Python :: 3"])
"""
EXPRESSION = "(MIT OR Apache-2.0) AND BSD-3-Clause"
LONG_LICENCE = "Copyright (c) 2026 pwclass\n\n" + "Permission is granted. " * 8


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


def weld(c, *args, ok=True, app=None):
    """The binary of the manifest and no_cache cases: (app, work); args
    go to pyweld build.  ok=False: the failed build's process instead."""
    lib = wt.static_lib(c, "pwlib", {"pwlib.c": "int pwlib_value(void) { return 42; }\n"})
    src = wt.ext_project(c, "pwinsp", EXT_C)
    pure = c.path("pwpure")
    wt.write(os.path.join(pure, "setup.py"), PURE_SETUP.format(licence=HOSTILE_LICENCE))
    wt.write(os.path.join(pure, "pwpure", "__init__.py"), "VALUE = 7\n")
    more = []
    for name, expression, licence in (("pwexpr", EXPRESSION, "Some licence"),
                                      ("pwclass", "", LONG_LICENCE)):
        d = c.path(name)
        wt.write(os.path.join(d, "setup.py"), LICENCE_SETUP.format(
            name=name, expression=expression, licence=licence))
        wt.write(os.path.join(d, name, "__init__.py"), "")
        more += ["--setup-py", d]
    app, work = app or c.path("app"), c.path("work")
    # --no-prune: the cases read the manifest of a whole weld (_ssl, _crypt
    # and their libraries, which the entry point does not import).
    p = (c.build_ok if ok else c.build)(
        "--no-prune", "--setup-py", src, "--setup-py", pure, *more,
        *wt.ext_env("pwinsp", libs=("pwlib", "z"), dirs=(lib,)),
        *args, "--work-dir", work, "-o", app, "--python-code",
        "import pwinsp._ext, pwpure\nprint(pwinsp._ext.value(),\tpwpure.VALUE)")
    if not ok:
        return p
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
    got = {d["name"]: (d.get("licence"), d.get("licence_from")) for d in m["distributions"]}
    c.check(got.get("pwpure") == (HOSTILE_LICENCE, "License") and
            got.get("pwexpr") == (EXPRESSION, "License-Expression") and
            got.get("pwclass") == ("BSD License; MIT License", "Classifier"),
            f"licences and where they came from: pwpure {got.get('pwpure')}, "
            f"pwexpr {got.get('pwexpr')}, pwclass {got.get('pwclass')}")

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
    # The entry point's code holds a line break and a tab: one line of text.
    entry = [x for x in r.out.splitlines() if x.startswith("entry point:")]
    c.check(len(entry) == 1 and "pwpure?print(" in entry[0] and "?pwpure.VALUE" in entry[0],
            f"the entry point's code is not one line with '?' for its control "
            f"characters: {entry}")


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


VALIDATE = """
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
err = JsonStrictValidator(SchemaVersion.V1_5).validate_str(open(sys.argv[1]).read())
print(f"INVALID: {err!r}" if err is not None else "VALID")
"""

VALIDATE_SPDX = """
import sys
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
try:
    doc = parse_file(sys.argv[1])
except Exception as e:
    print(f"INVALID: cannot parse: {e!r}")
    sys.exit(0)
msgs = validate_full_spdx_document(doc)
print("INVALID: " + "; ".join(m.validation_message for m in msgs) if msgs else "VALID")
"""

NO_NETWORK = ("Network is unreachable", "Temporary failure in name resolution",
              "Max retries exceeded", "No route to host", "Connection refused")


def validator(c, requirements="sbom-requirements.txt", kind="cyclonedx"):
    """The python of a venv with the pinned cyclonedx-python-lib (its JSON
    validator; or spdx-tools), made once per requirements file and kept."""
    reqs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", requirements)
    with open(reqs, "rb") as f:
        key = hashlib.sha256(f.read()).hexdigest()[:16]
    base = os.environ.get("PYWELD_TEST_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "pyweld", "test")
    venv = os.path.join(base, f"{kind}-{key}")
    python = os.path.join(venv, "bin", "python")
    if os.path.exists(os.path.join(venv, "READY")):
        return python
    os.makedirs(base, exist_ok=True)
    tmp = venv + f".tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    r = c.run(["python3", "-m", "venv", tmp], env=dict(c.env, HOME=os.path.expanduser("~")))
    c.require(r.returncode == 0, f"python3 -m venv exited {r.returncode}:\n{r.err}")
    r = c.run([os.path.join(tmp, "bin", "python"), "-m", "pip", "install", "-q",
               "--require-hashes", "--only-binary", ":all:", "--disable-pip-version-check",
               "-r", reqs], env=dict(c.env, HOME=os.path.expanduser("~")), timeout=600)
    if r.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        if any(s in r.err for s in NO_NETWORK):
            raise wt.Skip(f"no network to install the pinned {kind} validator "
                          f"(tests/{requirements}) from PyPI")
        raise wt.Failure(f"pip install -r {requirements} exited {r.returncode}:\n"
                         f"{wt.tail(r.err)}")
    wt.write(os.path.join(tmp, "READY"), "")
    try:
        os.rename(tmp, venv)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)   # another run made it first
    return python


def validate(c, python, path, code=VALIDATE):
    script = c.path("validate.py")
    wt.write(script, code)
    r = c.run([python, script, path], timeout=300)
    c.require(r.returncode == 0, f"the validator exited {r.returncode}:\n{wt.tail(r.err)}")
    return r.out.strip()


def case_sbom(c):
    """APP.cdx.json and inspect --sbom: CycloneDX 1.5, valid, PURLs, graph"""
    python = validator(c)
    app, work = weld(c)
    path = app + ".cdx.json"
    c.require(os.path.isfile(path), f"no SBOM beside the binary: {os.listdir(c.dir)}")
    with open(path) as f:
        text = f.read()
    r = inspect(c, "--sbom", app)
    c.check(r.returncode == 0 and r.out == text,
            f"inspect --sbom ({r.returncode}) is not APP.cdx.json:\n{wt.tail(r.err)}")
    # a binary's name that is not UTF-8 is the app's name with '?' for the bad byte
    odd = app + os.fsdecode(b"-\xff")
    shutil.copy(app, odd)
    r = inspect(c, "--sbom", odd)
    c.check(r.returncode == 0 and json.loads(r.out or "{}").get("metadata", {}).get(
            "component", {}).get("name") == os.path.basename(app) + "-?",
            f"inspect --sbom of a name not UTF-8 ({r.returncode}):\n{wt.tail(r.err)}")
    verdict = validate(c, python, path)
    c.check(verdict == "VALID", f"the SBOM does not validate as CycloneDX 1.5: {verdict}")
    # The validator can fail: a broken copy must not pass.
    bad = json.loads(text)
    bad["components"][0]["type"] = "not-a-type"
    broken = c.path("broken.cdx.json")
    wt.write(broken, json.dumps(bad))
    c.check(validate(c, python, broken).startswith("INVALID"),
            "the validator accepted a component of type 'not-a-type'")

    bom = json.loads(text)
    c.check(bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.5",
            f"not CycloneDX 1.5: {bom.get('bomFormat')} {bom.get('specVersion')}")
    comps = {x["bom-ref"]: x for x in bom["components"]}
    purls = {x.get("purl") for x in bom["components"]}
    m = inspect_json(c, app)
    z = [lib for lib in m["libraries"] if lib["name"] == "z"][0]
    zpkg = z["debian"]["package"].split(":")
    want = {"pkg:pypi/pwpure@2.5.1", "pkg:pypi/pwinsp@1.0",
            f"pkg:generic/cpython@{m['python']['version']}",
            f"pkg:deb/debian/{zpkg[0]}@{z['debian']['version'].replace(':', '%3A')}"
            f"?arch={zpkg[1]}"}
    c.check(want <= purls, f"PURLs missing: {sorted(want - purls)}")
    pure = comps.get("pypi:pwpure", {})
    c.check(pure.get("licenses") == [{"license": {"name": HOSTILE_LICENCE}}],
            f"pwpure's licence: {pure.get('licenses')}")
    c.check(comps.get("pypi:pwexpr", {}).get("licenses") == [{"expression": EXPRESSION}],
            f"pwexpr's licence is not its expression: {comps.get('pypi:pwexpr')}")
    c.check(comps.get("pypi:pwclass", {}).get("licenses") ==
            [{"license": {"name": "BSD License; MIT License"}}],
            f"pwclass's licence is not its classifiers': {comps.get('pypi:pwclass')}")
    ext = comps.get("ext:pwinsp._ext", {})
    hashes = {h["content"] for f in ext.get("components", []) for h in f["hashes"]}
    mext = [e for e in m["extensions"] if e["name"] == "pwinsp._ext"][0]
    c.check(hashes == {o["sha256"] for o in mext["objects"] + mext["archives"]},
            f"pwinsp._ext's files: {ext.get('components')}")
    deps = {d["ref"]: set(d.get("dependsOn", [])) for d in bom["dependencies"]}
    refs = set(comps) | {"app"} | {f["bom-ref"] for x in bom["components"]
                                   for f in x.get("components", [])}
    dangling = {r for d in bom["dependencies"] for r in [d["ref"], *d.get("dependsOn", [])]
                if r not in refs}
    c.check(not dangling, f"dependencies name refs no component has: {sorted(dangling)}")
    c.check(len(deps) == len(bom["dependencies"]), "a ref has two dependency entries")
    c.check({"cpython", "pypi:pwpure", "pypi:pwinsp"} <= deps.get("app", set()),
            f"the application's dependencies: {deps.get('app')}")
    c.check(deps.get("pypi:pwinsp") == {"ext:pwinsp._ext"},
            f"pwinsp's dependencies: {deps.get('pypi:pwinsp')}")
    c.check(deps.get("ext:pwinsp._ext") == {"lib:" + z["path"]},
            f"pwinsp._ext's dependencies: {deps.get('ext:pwinsp._ext')}")
    c.check("lib:" + z["path"] in deps.get("ext:zlib", set()) and
            "ext:zlib" in deps.get("cpython", set()),
            f"zlib: {deps.get('ext:zlib')}, cpython: {sorted(deps.get('cpython', []))[:5]}")


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


def spdx_keys(doc):
    """{SPDXID: (name, version, purl, checksums)} of an SPDX document."""
    return {p["SPDXID"]: (p["name"], p.get("versionInfo"),
                          *[r["referenceLocator"] for r in p.get("externalRefs", [])][:1],
                          tuple(h["checksumValue"] for h in p.get("checksums", [])))
            for p in doc["packages"]}


def cdx_keys(bom):
    """{bom-ref: the same key as spdx_keys'} of a CycloneDX BOM."""
    out = {"app": (bom["metadata"]["component"]["name"], None, ())}

    def walk(comps):
        for x in comps:
            purl = (x["purl"],) if x.get("purl") else ()
            out[x["bom-ref"]] = (x["name"], x.get("version"), *purl,
                                 tuple(h["content"] for h in x.get("hashes", [])))
            walk(x.get("components", []))
    walk(bom["components"])
    return out


def case_spdx(c):
    """--sbom-format spdx: APP.spdx.json, valid SPDX 2.3, CycloneDX's graph"""
    python = validator(c, "sbom-spdx-requirements.txt", "spdx")
    app, work = weld(c)
    c.require(os.path.isfile(app + ".cdx.json"), "no APP.cdx.json after a default weld")
    app, work = weld(c, "--sbom-format", "spdx")
    path = app + ".spdx.json"
    c.require(os.path.isfile(path), f"no APP.spdx.json beside the binary: {os.listdir(c.dir)}")
    c.check(not os.path.exists(app + ".cdx.json"),
            "the earlier build's APP.cdx.json stands beside a binary it does not describe")
    with open(path) as f:
        text = f.read()
    for args in (("--sbom", "--sbom-format", "spdx"), ("--sbom-format", "spdx")):
        r = inspect(c, *args, app)
        c.check(r.returncode == 0 and r.out == text,
                f"inspect {' '.join(args)} ({r.returncode}) is not APP.spdx.json:\n"
                f"{wt.tail(r.err)}")
    verdict = validate(c, python, path, VALIDATE_SPDX)
    c.check(verdict == "VALID", f"APP.spdx.json does not validate as SPDX 2.3: {verdict}")
    bad = json.loads(text)
    bad["packages"][1]["SPDXID"] = "not an SPDX id"
    broken = c.path("broken.spdx.json")
    wt.write(broken, json.dumps(bad))
    c.check(validate(c, python, broken, VALIDATE_SPDX).startswith("INVALID"),
            "spdx-tools accepted a package whose SPDXID is 'not an SPDX id'")

    doc = json.loads(text)
    r = inspect(c, "--json", app)
    digest = hashlib.sha256(r.out[:-1].encode()).hexdigest()
    c.check(doc["spdxVersion"] == "SPDX-2.3" and doc["dataLicense"] == "CC0-1.0" and
            doc["documentNamespace"] == f"https://pyweld.invalid/spdx/{digest}" and
            doc["creationInfo"]["creators"][0].startswith("Tool: pyweld-"),
            f"the document's head: {[doc.get(k) for k in ('spdxVersion', 'documentNamespace', 'creationInfo')]}")
    r = inspect(c, "--sbom", app)
    bom = json.loads(r.out)
    ckeys, skeys = cdx_keys(bom), spdx_keys(doc)
    c.check(sorted(ckeys.values()) == sorted(skeys.values()),
            f"SPDX packages are not CycloneDX's components: "
            f"{sorted(set(skeys.values()) ^ set(ckeys.values()))[:6]}")
    rel = {(x["spdxElementId"], x["relationshipType"], x["relatedSpdxElement"])
           for x in doc["relationships"]}
    want = {(ckeys[d["ref"]], ckeys[o]) for d in bom["dependencies"] for o in d["dependsOn"]}
    got = {(skeys[a], skeys[b]) for a, t, b in rel if t == "DEPENDS_ON"}
    c.check(got == want, f"DEPENDS_ON is not CycloneDX's graph: {sorted(got ^ want)[:6]}")
    appid = [k for k, v in skeys.items() if v == ckeys["app"]][0]
    c.check(("SPDXRef-DOCUMENT", "DESCRIBES", appid) in rel, "the document DESCRIBES no app")
    top = {ckeys[x["bom-ref"]] for x in bom["components"]}
    contained = {skeys[b] for a, t, b in rel if t == "CONTAINS" and a == appid}
    c.check(contained == top, f"the app CONTAINS {len(contained)}, not the {len(top)} "
            f"components: {sorted(contained ^ top)[:4]}")
    pkgs = {p["name"]: p for p in doc["packages"]}
    extracted = {x["licenseId"]: x["extractedText"]
                 for x in doc.get("hasExtractedLicensingInfos", [])}
    lic = {n: pkgs.get(n, {}).get("licenseDeclared") for n in ("pwpure", "pwexpr", "pwclass")}
    c.check(lic["pwexpr"] == EXPRESSION and
            extracted.get(lic["pwpure"]) == HOSTILE_LICENCE and
            extracted.get(lic["pwclass"]) == "BSD License; MIT License",
            f"licences: {lic}, extracted: {extracted}")
    z = [x for x in bom["components"] if x["name"] == "libz"][0]
    zpkg = pkgs.get("libz", {})
    c.check(zpkg.get("externalRefs", [{}])[0].get("referenceLocator") == z["purl"] and
            zpkg.get("supplier") == "Organization: Debian" and
            zpkg.get("licenseDeclared") == z["licenses"][0].get("expression"),
            f"libz: {zpkg}")
    r = c.run([c.pyweld, "build", "--sbom-format", "xml", "-o", c.path("x"),
               "--python-code", "pass"])
    c.check(r.returncode == 2 and "--sbom-format takes cyclonedx or spdx, not 'xml'" in r.err,
            f"build --sbom-format xml: {r.returncode} {r.err!r}")
    r = inspect(c, "--sbom-format", "xml", app)
    c.check(r.returncode == 2 and "not 'xml'" in r.err,
            f"inspect --sbom-format xml: {r.returncode} {r.err!r}")


def case_deny(c):
    """--deny-licence: the weld fails naming each chain, APP untouched; copyleft warned"""
    os.makedirs(c.path("out"))
    app = os.path.join(c.path("out"), "app")
    before = c.sentinel(app)
    r = weld(c, "--with-module", "_crypt", "--deny-licence", r"^\(MIT",
             "--deny-licence", "^Zlib$", "--deny-licence", "LGPL", "--deny-licence", "HOME",
             ok=False, app=app)
    lines = c.check_clear_error(r, "a weld that --deny-licence refuses", (
        f"cannot weld '{app}'",
        f"app -> distribution pwexpr 1.0 ({EXPRESSION}): --deny-licence '^\\(MIT'",
        "app -> extension pwinsp._ext (pwinsp 1.0) -> libz.a (Debian zlib1g-dev",
        "app -> extension zlib (the standard library) -> libz.a (Debian zlib1g-dev",
        ": Zlib): --deny-licence '^Zlib$'",
        "app -> extension _crypt (the standard library) -> libcrypt.a (Debian ",
        ": LGPL-2.1-or-later): --deny-licence 'LGPL'",
        "app -> distribution pwpure 2.5.1 (MIT \"quoted\" 'single' $HOME `id` back\\slash "
        "\u00e9t\u00e9 <&> ?[31mred): --deny-licence 'HOME'", "(7 chains)"))
    c.check("\x1b" not in r.err, "an escape byte of a licence reached the terminal")
    c.check(any(x.startswith("hint: ") for x in lines), f"no hint: {lines}")
    c.check("pwclass" not in "\n".join(lines),
            f"a chain whose licence no pattern matches: {lines}")
    c.check_sentinel(app, before, "a weld that --deny-licence refuses")
    c.check(not os.path.exists(app + ".cdx.json"), "a refused weld wrote APP.cdx.json")

    # No pattern matches: the weld goes on, the copyleft library is warned
    # of with its chain, the patterns are in the manifest's options.
    r = weld(c, "--with-module", "_crypt", "--deny-licence", "^GPL", ok=False, app=app)
    c.require(r.returncode == 0, f"a weld no --deny-licence refuses exited "
              f"{r.returncode}:\n{wt.tail(r.err)}")
    c.check("pyweld: warning: app -> extension _crypt (the standard library) -> libcrypt.a "
            "(Debian libcrypt-dev" in r.err and "that licence reaches the whole binary" in r.err,
            f"no warning of libcrypt's LGPL with its chain:\n{wt.tail(r.err)}")
    # A warning starts a line of its own, not the middle of a step's line.
    c.check(all(x.startswith("pyweld: warning: ") for x in r.err.splitlines()
                if "warning: " in x),
            f"a warning inside another line:\n{wt.tail(r.err)}")
    c.check(inspect_json(c, app)["options"].get("deny_licences") == ["^GPL"],
            "the manifest's options do not hold the --deny-licence patterns")

    # The same from pyweld.ini, with sbom-format: a hello of the standard
    # library, refused for libpython's PSF-2.0, then let through.
    proj = c.path("ini project")
    wt.write(os.path.join(proj, "main.py"), "print('hello')\n")
    for deny, ok in (("^PSF", False), ("^GPL", True)):
        wt.write(os.path.join(proj, "pyweld.ini"), "[app]\noutput = hello\nscript = main.py\n"
                 f"[build]\nsbom-format = spdx\ndeny-licence = ^Nothing\ndeny-licence = {deny}\n")
        r = c.build("--config", os.path.join(proj, "pyweld.ini"))
        hello = os.path.join(proj, "hello")
        if ok:
            c.check(r.returncode == 0 and os.path.isfile(hello + ".spdx.json") and
                    inspect_json(c, hello)["options"]["deny_licences"] == ["^Nothing", "^GPL"],
                    f"pyweld.ini's sbom-format and deny-licence: {r.returncode}\n"
                    f"{wt.tail(r.err)}")
        else:
            c.check_clear_error(r, "pyweld.ini's deny-licence = ^PSF", (
                "hello -> libpython3.", ".a (PSF-2.0): --deny-licence '^PSF'"))
            c.check(not os.path.exists(hello), "a refused weld wrote APP")

    r = c.run([c.pyweld, "build", "--deny-licence", "(GPL", "-o", c.path("x"),
               "--python-code", "pass"])
    c.check(r.returncode == 2 and "--deny-licence '(GPL' is no pcre2 pattern" in r.err,
            f"a bad --deny-licence pattern: {r.returncode} {r.err!r}")
    c.check(not os.path.exists(c.path("x")), "a bad --deny-licence pattern wrote APP")


def case_bad_files(c):
    """not ELF, no manifest, damaged manifests, usage: clear errors"""
    text = c.path("notes $x `y`.txt")
    wt.write(text, "just text\n")
    elf = c.path("true")
    shutil.copy("/bin/true", elf)
    good = json.dumps({"manifest_version": 1}).encode()
    fifo = c.path("fifo")
    os.mkfifo(fifo)
    cases = [
        (c.path("missing"), "a missing file"),
        (c.path("tmp"), "a directory"),
        (fifo, "a FIFO"),
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
    r = inspect(c, "--sbom", elf)
    c.check(r.returncode == 1 and r.out == "" and
            r.err.startswith(f"pyweld: error: cannot inspect '{elf}': "),
            f"inspect --sbom of an ELF file without a manifest: {r.returncode}\n{r.err}")
    r = inspect(c, "--json", "--sbom", elf)
    c.check(r.returncode == 2, f"inspect --json --sbom exited {r.returncode}, wanted 2")
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
    "sbom": case_sbom,
    "spdx": case_spdx,
    "deny": case_deny,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "inspect"))

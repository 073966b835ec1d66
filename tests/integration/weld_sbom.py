#!/usr/bin/env python3
"""What the SBOM must show: where each distribution came from, what changed.

Cases:
  sources    markupsafe from PyPI (its sdist's SHA-256 known), a local project directory
             and a local sdist file in one weld: the manifest's `source` of
             each (kind, url, sha256 and where the hash came from), the
             CycloneDX component's `hashes` (the sdist's SHA-256 pip checked,
             nothing for the directory, which says `pyweld:sha256` unknown and
             why) and, welded again with --sbom-format spdx, the SPDX package's
             `checksums`, `downloadLocation` (the https URL; NOASSERTION for a
             local path) and `sourceInfo`; both documents validate.
  version_bump  a local project with a C extension welded at 1.0, then at 1.1
             (the same work directory): the CycloneDX documents differ in the
             distribution's version and PURL and the extension's version,
             nothing else.
  library_change  an extension linking a static library the test compiles,
             twice with different content: only the hash of the archive (a
             file of the extension's component) changes, and the binary
             runs the new code; a library of the final link carries the
             SHA-256 of the archive as linked.
  debian_patch  the standard library alone welded with the cached
             distribution, then with a copy of its description whose Debian
             version and patch count differ (the copy's other entries link
             to the cached distribution, which is not changed): only
             CPython's Debian properties change.
"""

import hashlib
import json
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402
import weld_inspect as wi  # noqa: E402

MARKUPSAFE_SHA256 = "d283d37a890ba4c1ae73ffadf8046435c76e7bc2247bbb63c00bd1a709c6544b"
# Not pinned with --hash: pip's hash-checking mode refuses a directory
# beside it.  The package index gives the hash with the link; pip checks it.
MARKUPSAFE = "markupsafe==2.1.5\n"

PURE_SETUP = """
from setuptools import setup
setup(name={name!r}, version={version!r}, packages=[{name!r}])
"""


def pure_project(c, name, version, where=None):
    """A pure Python project NAME at VERSION in <case>/<where>."""
    d = c.path(where or f"{name}-{version}")
    wt.write(os.path.join(d, "setup.py"), PURE_SETUP.format(name=name, version=version))
    wt.write(os.path.join(d, name, "__init__.py"), f"VERSION = {version!r}\n")
    return d


def sdist_of(c, d):
    """A .tar.gz of the project directory d (its top directory inside)."""
    out = c.path(os.path.basename(d) + ".tar.gz")
    with tarfile.open(out, "w:gz") as t:
        t.add(d, arcname=os.path.basename(d))
    return out


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build_or_skip(c, *args):
    """pyweld build ARGS, which must pass; no network to PyPI is a skip."""
    p = c.build(*args)
    if p.returncode != 0 and any(s in p.err for s in wi.NO_NETWORK):
        raise wt.Skip("no network to download the pinned sdists from PyPI")
    c.require(p.returncode == 0, f"pyweld build exited {p.returncode}:\n{wt.tail(p.err)}")
    return p


def props(comp):
    return {p["name"]: p["value"] for p in comp.get("properties", [])}


def case_sources(c):
    """each distribution's archive, its SHA-256 or why it is unknown"""
    cdx_python = wi.validator(c)
    spdx_python = wi.validator(c, "sbom-spdx-requirements.txt", "spdx")
    reqs = c.path("requirements.txt")
    wt.write(reqs, MARKUPSAFE)
    pwdir = pure_project(c, "pwdir", "1.0")
    tarball = sdist_of(c, pure_project(c, "pwfile", "2.0"))
    app, work = c.path("app"), c.path("work")
    args = ("-r", reqs, "--setup-py", pwdir, "--pip-install", tarball, "--work-dir", work,
            "-o", app, "--python-code", "import markupsafe, pwdir, pwfile")
    build_or_skip(c, *args)
    m = wi.inspect_json(c, app)
    src = {d["name"].lower(): d.get("source") or {} for d in m["distributions"]}
    ms = src.get("markupsafe", {})
    c.check(ms.get("kind") == "sdist" and ms.get("sha256") == MARKUPSAFE_SHA256 and
            ms.get("sha256_from") == "pip-report.json" and
            (ms.get("url") or "").startswith("https://") and
            ms["url"].endswith("/MarkupSafe-2.1.5.tar.gz"),
            f"markupsafe's source: {ms}")
    d = src.get("pwdir", {})
    c.check(d.get("kind") == "directory" and d.get("sha256") is None and
            "directory" in (d.get("unknown") or ""), f"pwdir's source: {d}")
    f = src.get("pwfile", {})
    c.check(f.get("kind") == "sdist" and (f.get("url") or "").endswith("/pwfile-2.0.tar.gz")
            and f.get("sha256") == sha256_of(tarball),
            f"pwfile's source: {f} (the file's SHA-256 {sha256_of(tarball)})")

    with open(app + ".cdx.json") as fh:
        bom = json.load(fh)
    comps = {x["bom-ref"]: x for x in bom["components"]}
    ms = comps.get("pypi:markupsafe", {})
    c.check(ms.get("hashes") == [{"alg": "SHA-256", "content": MARKUPSAFE_SHA256}] and
            ms.get("externalReferences", [{}])[0].get("url", "").startswith("https://"),
            f"markupsafe's component: {ms}")
    d = comps.get("pypi:pwdir", {})
    c.check("hashes" not in d and props(d).get("pyweld:sha256", "").startswith("unknown: "),
            f"pwdir's component claims a hash or does not say it is unknown: {d}")
    verdict = wi.validate(c, cdx_python, app + ".cdx.json")
    c.check(verdict == "VALID", f"APP.cdx.json does not validate: {verdict}")

    build_or_skip(c, *args, "--sbom-format", "spdx")
    with open(app + ".spdx.json") as fh:
        doc = json.load(fh)
    pkgs = {p["name"].lower(): p for p in doc["packages"]}
    ms = pkgs.get("markupsafe", {})
    c.check(ms.get("checksums") == [{"algorithm": "SHA256",
                                     "checksumValue": MARKUPSAFE_SHA256}] and
            ms.get("downloadLocation", "").startswith("https://") and
            ms["downloadLocation"].endswith("/MarkupSafe-2.1.5.tar.gz") and
            "sdist" in ms.get("sourceInfo", ""), f"markupsafe's SPDX package: {ms}")
    d = pkgs.get("pwdir", {})
    c.check("checksums" not in d and d.get("downloadLocation") == "NOASSERTION" and
            "unknown" in d.get("sourceInfo", ""), f"pwdir's SPDX package: {d}")
    verdict = wi.validate(c, spdx_python, app + ".spdx.json", wi.VALIDATE_SPDX)
    c.check(verdict == "VALID", f"APP.spdx.json does not validate: {verdict}")


def flat(bom):
    """{key: JSON text} of a CycloneDX document: each component's fields by
    its bom-ref (its files' too), each dependency entry, the metadata."""
    out = {("metadata",): json.dumps(bom.get("metadata"), sort_keys=True)}

    def walk(comps):
        for x in comps:
            for k, v in x.items():
                if k != "components":
                    out[(x["bom-ref"], k)] = json.dumps(v, sort_keys=True)
            walk(x.get("components", []))
    walk(bom["components"])
    for d in bom["dependencies"]:
        out[("dependsOn", d["ref"])] = json.dumps(sorted(d["dependsOn"]))
    return out


def changed(a, b):
    """The keys of flat() whose values differ between two documents."""
    fa, fb = flat(a), flat(b)
    return {k for k in fa.keys() | fb.keys() if fa.get(k) != fb.get(k)}


def load(path):
    with open(path) as f:
        return json.load(f)


def case_version_bump(c):
    """1.0 then 1.1: the distribution's and its extension's versions change"""
    src = wt.ext_project(c, "pwver", wt.EXT_C.replace(
        "return PyLong_FromLong(pwlib_value());", "return PyLong_FromLong(7);").replace(
        "int pwlib_value(void);", ""))
    app, work = c.path("app"), c.path("work")
    boms = []
    for version in ("1.0", "1.1"):
        wt.write(os.path.join(src, "setup.py"),
                 wt.EXT_SETUP.replace('version="1.0"', f"version={version!r}"))
        c.build_ok("--setup-py", src, *wt.ext_env("pwver"), "--work-dir", work, "-o", app,
                   "--python-code", "import pwver._ext; print(pwver._ext.value())")
        r = c.run([app], env=c.run_env)
        c.require(r.returncode == 0 and r.out == "7\n", f"the binary: {r.returncode} {r.out!r}")
        boms.append(load(app + ".cdx.json"))
    got = changed(*boms)
    want = {("pypi:pwver", "version"), ("pypi:pwver", "purl"), ("ext:pwver._ext", "version")}
    c.check(got == want, f"the version bump changed {sorted(got)}, not {sorted(want)}")
    comps = {x["bom-ref"]: x for x in boms[1]["components"]}
    c.check(comps.get("pypi:pwver", {}).get("purl") == "pkg:pypi/pwver@1.1" and
            comps.get("ext:pwver._ext", {}).get("version") == "1.1",
            f"after the bump: {comps.get('pypi:pwver')}, {comps.get('ext:pwver._ext')}")


def case_library_change(c):
    """a static library's new content: its archive's hash changes, nothing else"""
    src = wt.ext_project(c, "pwlc")
    app, work = c.path("app"), c.path("work")
    boms = []
    for value in (42, 43):
        lib = wt.static_lib(c, "pwlib", {"pwlib.c":
                            f"int pwlib_value(void) {{ return {value}; }}\n"})
        # A file of the project's own changes its install key: pip builds
        # again (the archive's content is not in that key).
        wt.write(os.path.join(src, "BUILD"), f"{value}\n")
        c.build_ok("--setup-py", src, *wt.ext_env("pwlc", libs=("pwlib", "z"), dirs=(lib,)),
                   "--work-dir", work, "-o", app,
                   "--python-code", "import pwlc._ext; print(pwlc._ext.value())")
        r = c.run([app], env=c.run_env)
        c.require(r.returncode == 0 and r.out == f"{value}\n",
                  f"the binary: {r.returncode} {r.out!r}")
        boms.append(load(app + ".cdx.json"))
    files = {f["name"]: f["bom-ref"] for x in boms[1]["components"]
             if x["bom-ref"] == "ext:pwlc._ext" for f in x.get("components", [])}
    archive = [ref for name, ref in files.items() if name.endswith("libpwlib.a")]
    c.require(len(archive) == 1, f"no libpwlib.a among pwlc._ext's files: {files}")
    got = changed(*boms)
    want = {(archive[0], "hashes")}
    c.check(got == want, f"the library's change changed {sorted(got)}, not {sorted(want)}")
    path = os.path.join(lib, "libpwlib.a")
    old, new = [[h["content"] for x in b["components"] if x["bom-ref"] == "ext:pwlc._ext"
                 for f in x["components"] if f["bom-ref"] == archive[0] for h in f["hashes"]]
                for b in boms]
    c.check(new == [sha256_of(path)] and old != new,
            f"libpwlib.a's hashes {old} then {new}; the archive's SHA-256 {sha256_of(path)}")
    # A library of the final link (Debian's libz) carries its archive's hash.
    z = [x for x in boms[1]["components"] if x["name"] == "libz"]
    zpath = [p["value"] for p in z[0].get("properties", []) if p["name"] == "pyweld:path"] \
        if z else []
    c.check(z and zpath and z[0].get("hashes") == [{"alg": "SHA-256",
                                                     "content": sha256_of(zpath[0])}],
            f"libz's component carries no hash of its archive: {z}")


def dist_copy(c, dist, debian_version, patches):
    """A distribution directory whose description (distribution.json) is a
    changed copy of dist's and whose other entries are links to dist's."""
    copy = c.path("dist copy")
    os.makedirs(copy)
    for name in os.listdir(dist):
        if name != "distribution.json":
            os.symlink(os.path.join(dist, name), os.path.join(copy, name))
    d = load(os.path.join(dist, "distribution.json"))
    d["source"]["debian_version"] = debian_version
    d["source"]["debian_patches"] = patches
    wt.write(os.path.join(copy, "distribution.json"), json.dumps(d, indent=1))
    return copy


def case_debian_patch(c):
    """another Debian patch level of CPython: its properties change, nothing else"""
    dist = os.path.realpath(c.args.dist)
    src = load(os.path.join(dist, "distribution.json")).get("source") or {}
    if src.get("kind") != "debian-source-package":
        raise wt.Skip(f"the distribution is not built from Debian's source: {src.get('kind')}")
    before = sha256_of(os.path.join(dist, "distribution.json"))
    newer = src["debian_version"] + "+pw1"
    copy = dist_copy(c, dist, newer, src["debian_patches"] + 1)
    app, boms = c.path("app"), []
    for extra in ((), ("--dist", copy)):
        c.build_ok(*extra, "--work-dir", c.path("work"), "-o", app, "--python-code", "pass")
        boms.append(load(app + ".cdx.json"))
    got = changed(*boms)
    c.check(got == {("cpython", "properties")},
            f"the patch level's change changed {sorted(got)}, not CPython's properties")
    props_of = [props([x for x in b["components"] if x["bom-ref"] == "cpython"][0])
                for b in boms]
    c.check(props_of[0].get("pyweld:debian_version") == src["debian_version"] and
            props_of[1].get("pyweld:debian_version") == newer and
            props_of[1].get("pyweld:debian_patches") == str(src["debian_patches"] + 1),
            f"CPython's properties: {props_of}")
    c.check(sha256_of(os.path.join(dist, "distribution.json")) == before,
            "the cached distribution's distribution.json changed")


CASES = {
    "sources": case_sources,
    "version_bump": case_version_bump,
    "library_change": case_library_change,
    "debian_patch": case_debian_patch,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "sbom"))

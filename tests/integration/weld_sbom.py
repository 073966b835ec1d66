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


CASES = {
    "sources": case_sources,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "sbom"))

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
import re
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402
import weld_inspect as wi  # noqa: E402
import weld_packages as wp  # noqa: E402

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


TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def pinned(path):
    """{normalised name: (version, sha256)} of a requirements file pinned
    with --hash (name==version \\ --hash=sha256:...)."""
    text = open(path).read().replace("\\\n", " ")
    out = {}
    for line in text.splitlines():
        line = line.split("#")[0].split()
        if line and "==" in line[0]:
            name, version = line[0].split("==")
            h = [x.split(":", 1)[1] for x in line[1:] if x.startswith("--hash=sha256:")]
            out[re.sub(r"[-_.]+", "-", name).lower()] = (version, h[0] if h else None)
    return out


def both_formats(c, *args):
    """Welds with ARGS once per SBOM format (the second reuses the install):
    (the CycloneDX document, the SPDX document, work); each validated."""
    cdx_python = wi.validator(c)
    spdx_python = wi.validator(c, "sbom-spdx-requirements.txt", "spdx")
    app, work = c.path("app"), c.path("work")
    build_or_skip(c, *args, "--work-dir", work, "-o", app)
    verdict = wi.validate(c, cdx_python, app + ".cdx.json")
    c.check(verdict == "VALID", f"APP.cdx.json does not validate: {verdict}")
    build_or_skip(c, *args, "--work-dir", work, "-o", app, "--sbom-format", "spdx")
    verdict = wi.validate(c, spdx_python, app + ".spdx.json", wi.VALIDATE_SPDX)
    c.check(verdict == "VALID", f"APP.spdx.json does not validate: {verdict}")
    return load(app + ".cdx.json") if os.path.exists(app + ".cdx.json") else \
        load_cdx_of(c, app), load(app + ".spdx.json"), work


def load_cdx_of(c, app):
    r = wi.inspect(c, "--sbom", app)
    c.require(r.returncode == 0, f"inspect --sbom: {r.returncode}\n{wt.tail(r.err)}")
    return json.loads(r.out)


def check_pinned(c, bom, doc, pins):
    """Each pinned distribution's component and SPDX package carry its hash."""
    comps = {x["bom-ref"]: x for x in bom["components"]}
    pkgs = {p["name"].lower(): p for p in doc["packages"]}
    for name, (version, sha) in pins.items():
        x = comps.get(f"pypi:{name}", {})
        c.check(x.get("version") == version and
                x.get("hashes") == [{"alg": "SHA-256", "content": sha}],
                f"{name}'s component is not {version} with its pinned hash: {x}")
        p = [q for n, q in pkgs.items() if re.sub(r"[-_.]+", "-", n) == name]
        c.check(p and p[0].get("checksums") == [{"algorithm": "SHA256", "checksumValue": sha}]
                and p[0].get("downloadLocation", "").startswith("https://"),
                f"{name}'s SPDX package: {p[:1]}")


def case_demo(c):
    """the README's demo: both SBOMs valid, each sdist's pinned hash"""
    with open(os.path.join(TOP, ".ci", "demo")) as f:
        m = re.search(r"--python-code '(.*?)'\n", f.read(), re.S)
    c.require(m, ".ci/demo welds no --python-code '...' this test can find")
    reqs = os.path.join(TOP, ".ci", "demo-requirements.txt")
    bom, doc, _ = both_formats(c, "-r", reqs, "--python-code", m.group(1))
    check_pinned(c, bom, doc, pinned(reqs))


# Beside tests/python-sdists.txt's: weld_packages.py's pins of these (one
# place to bump a version and its hash).
COMBINED = "".join(
    m.group(0) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==\S+ \\\n +--hash=\S+\n",
                                    wp.REQUIREMENTS, re.M)
    if m.group(1) in ("simplejson", "PyYAML", "zstandard"))


def case_combined(c):
    """several real packages: valid, pip's list, the final link's libraries"""
    reqs = c.path("requirements.txt")
    with open(os.path.join(TOP, "tests", "python-sdists.txt")) as f:
        wt.write(reqs, f.read() + COMBINED)
    bom, doc, work = both_formats(c, "-r", reqs, "--env", "PYYAML_FORCE_LIBYAML=1",
                                  "--python-code", "import markupsafe, psutil, simplejson, "
                                  "yaml, zstandard")
    pins = pinned(reqs)
    c.require(len(pins) >= 5 and {"simplejson", "pyyaml", "zstandard"} <= set(pins),
              f"the requirements pin {sorted(pins)}")
    check_pinned(c, bom, doc, pins)
    comps = {x["bom-ref"]: x for x in bom["components"]}
    pypi = {re.sub(r"[-_.]+", "-", x["name"]).lower(): x.get("version")
            for x in bom["components"] if x["bom-ref"].startswith("pypi:")}
    pip = {re.sub(r"[-_.]+", "-", k): v for k, v in wi.pip_list(c, work).items()}
    c.check(pypi == pip, f"the SBOM's distributions {pypi} are not what pip installed {pip}")

    linked = {a for a in wi.final_link_archives(c, work)
              if not os.path.basename(a).startswith("libpython")}
    libs = {p["value"]: x for x in bom["components"] if x["bom-ref"].startswith("lib:")
            for p in x.get("properties", []) if p["name"] == "pyweld:path"}
    c.check(set(libs) == linked, f"the library components are not the final link's "
            f"archives: only in the SBOM {sorted(set(libs) - linked)}, only on the link "
            f"{sorted(linked - set(libs))}")
    for path, x in libs.items():
        c.check(x.get("hashes") == [{"alg": "SHA-256", "content": sha256_of(path)}],
                f"{path}: its component's hash is not the archive's")
    yaml = [x for p, x in libs.items() if os.path.basename(p) == "libyaml.a"]
    c.check(yaml and (yaml[0].get("purl") or "").startswith("pkg:deb/debian/libyaml-dev@"),
            f"libyaml's component: {yaml}")

    # The packages' (CPython's own, libmpdec in _decimal, are CPython's).
    vendored = [x for x in bom["components"] if x["bom-ref"].startswith("vendored:") and
                props(x).get("pyweld:vendored_in") != "python"]
    zstd = [x for x in vendored if x["name"] == "zstd"]
    c.check(len(vendored) == len(zstd) == 1, f"vendored components: "
            f"{[(x['bom-ref'], x['name']) for x in vendored]}, wanted zstandard's zstd alone")
    if zstd:
        z = zstd[0]
        deps = {d["ref"]: set(d["dependsOn"]) for d in bom["dependencies"]}
        users = {r for r, on in deps.items() if z["bom-ref"] in on}
        c.check(users and all(r.startswith("ext:zstandard") for r in users),
                f"zstd is a dependency of {sorted(users)}, not of zstandard's extension")
        files = z.get("components", [])
        c.check(files and all("zstd/" in f["name"] and f["name"].endswith((".c", ".S")) and
                              len(f.get("hashes", [{}])[0].get("content", "")) == 64
                              for f in files),
                f"zstd's files: {[(f['name'], f.get('hashes')) for f in files][:5]}")
        c.check("vendored in zstandard 0.23.0" in z.get("description", ""),
                f"zstd's description: {z.get('description')}")


def case_init_keys(c):
    """pyweld init writes python, sbom-format, deny-licence, debug-file,
    prune, keep-module, build-cache"""
    proj = c.path("init project")
    r = c.run([c.pyweld, "init", proj, "--python-code", "print('hi')"])
    c.require(r.returncode == 0, f"pyweld init exited {r.returncode}:\n{r.err}")
    ini = os.path.join(proj, "pyweld.ini")
    with open(ini) as f:
        text = f.read()
    for want in ("# python = 3.11\n", "# sbom-format = cyclonedx\n", "# deny-licence = ",
                 "# debug-file = FILE", "# prune = true\n", "# keep-module = ^plugins\\.\n",
                 "# build-cache = true\n"):
        c.check(want in text, f"pyweld.ini has no {want!r}:\n{text}")
    text = text.replace("# sbom-format = cyclonedx\n", "sbom-format = spdx\n")
    text = text.replace("# python = 3.11\n", f"python = {c.version}\n")
    text = text.replace("[build]\n", "[build]\ndeny-licence = ^NOTHING\n"
                        "debug-file = app.debug\n", 1)
    text = text.replace("# keep-module = ^plugins\\.\n", "keep-module = ^json$\n")
    text = text.replace("# build-cache = true\n", "build-cache = false\n")
    wt.write(ini, text)
    c.build_ok("--config", ini)
    app = os.path.join(proj, "app")
    c.check(os.path.isfile(app + ".spdx.json") and os.path.isfile(app + ".debug"),
            f"the uncommented keys did nothing: {sorted(os.listdir(proj))}")
    m = wi.inspect_json(c, app)
    c.check(m["options"].get("deny_licences") == ["^NOTHING"] and
            m["python"]["version"].startswith(c.version + "."),
            f"the manifest's options: {m['options']}, python {m['python']['version']}")


C1_LICENCE = "MIT \u009b31mred"


def case_licences(c):
    """unknown SPDX identifiers as LicenseRef-; C1 controls kept off the terminal"""
    spdx_python = wi.validator(c, "sbom-spdx-requirements.txt", "spdx")
    args = []
    for name, expression, licence in (
            ("pwunk", "MIT OR Foo-Custom-1.0 OR LicenseRef-Mine", "x"),
            ("pwwith", "Apache-2.0 WITH Nope-exception", "x"),
            ("pwlow", "mit or apache-2.0", "x"),
            ("pwdangle", "MIT AND", "x"),
            ("pwparens", "() OR (MIT)", "x"),
            ("pwrefs", "LicenseRef-pyweld-5 OR LicenseRef-pyweld-6 OR LicenseRef-pyweld-7", "x"),
            ("pwcone", "", C1_LICENCE)):
        d = c.path(name)
        wt.write(os.path.join(d, "setup.py"), wi.LICENCE_SETUP.format(
            name=name, expression=expression, licence=licence))
        wt.write(os.path.join(d, name, "__init__.py"), "")
        args += ["--setup-py", d]
    app, work = c.path("app"), c.path("work")
    args += ["--work-dir", work, "-o", app, "--python-code", "import pwunk"]
    r = c.build(*args, "--deny-licence", "red")
    c.check(r.returncode > 0 and "?31mred" in r.err and "\u009b" not in r.err,
            f"--deny-licence's chain of the C1 licence ({r.returncode}):\n{wt.tail(r.err)}")
    c.build_ok(*args, "--sbom-format", "spdx")
    verdict = wi.validate(c, spdx_python, app + ".spdx.json", wi.VALIDATE_SPDX)
    c.check(verdict == "VALID", f"APP.spdx.json does not validate: {verdict}")
    doc = load(app + ".spdx.json")
    lic = {p["name"]: p["licenseDeclared"] for p in doc["packages"]}
    extracted = {x["licenseId"]: x["extractedText"]
                 for x in doc.get("hasExtractedLicensingInfos", [])}
    ids = [x["licenseId"] for x in doc.get("hasExtractedLicensingInfos", [])]
    c.check(len(ids) == len(set(ids)), f"a LicenseRef- defined twice: {sorted(ids)}")
    c.check(lic.get("pwunk") == "MIT OR LicenseRef-Foo-Custom-1.0 OR LicenseRef-Mine" and
            extracted.get("LicenseRef-Foo-Custom-1.0") == "Foo-Custom-1.0" and
            extracted.get("LicenseRef-Mine") == "LicenseRef-Mine",
            f"pwunk: {lic.get('pwunk')}, extracted {extracted}")
    c.check(lic.get("pwwith", "").startswith("LicenseRef-") and
            extracted.get(lic.get("pwwith")) == "Apache-2.0 WITH Nope-exception",
            f"pwwith: {lic.get('pwwith')}, extracted {extracted}")
    c.check(lic.get("pwlow") == "MIT OR Apache-2.0", f"pwlow: {lic.get('pwlow')}")
    for name, expression in (("pwdangle", "MIT AND"), ("pwparens", "() OR (MIT)")):
        c.check(lic.get(name, "").startswith("LicenseRef-") and
                extracted.get(lic.get(name)) == expression,
                f"{name}'s malformed expression: {lic.get(name)}, extracted {extracted}")
    r = wi.inspect(c, app)
    c.check(r.returncode == 0 and "?31mred" in r.out and "\u009b" not in r.out,
            f"inspect's text of the C1 licence ({r.returncode}): "
            f"{[x for x in r.out.splitlines() if 'pwcone' in x]}")


def case_library(c):
    """--library archives carry the manifest; inspect, SBOM, --deny-licence"""
    cdx_python = wi.validator(c)
    reqs = c.path("requirements.txt")
    wt.write(reqs, MARKUPSAFE)
    os.makedirs(c.path("out"))
    lib = c.path("out", "libapp.a")
    args = ("--library", "-r", reqs, "--work-dir", c.path("work"), "-o", lib)
    build_or_skip(c, *args)
    r = c.run(["ar", "t", lib])
    c.check(r.returncode == 0 and "pyweld.manifest" in r.out.split(),
            f"ar t: no member pyweld.manifest ({r.returncode})")
    m = wi.inspect_json(c, lib)
    ms = [d for d in m["distributions"] if d["name"].lower() == "markupsafe"]
    c.check(m["options"].get("library") is True and ms and
            ms[0]["source"]["sha256"] == MARKUPSAFE_SHA256,
            f"the archive's manifest: library {m['options'].get('library')}, {ms}")
    r = wi.inspect(c, "--sbom", lib)
    c.check(r.returncode == 0 and os.path.isfile(lib + ".cdx.json") and
            r.out == open(lib + ".cdx.json").read(),
            f"inspect --sbom of the archive ({r.returncode}) is not libapp.a.cdx.json")
    verdict = wi.validate(c, cdx_python, lib + ".cdx.json")
    c.check(verdict == "VALID", f"libapp.a.cdx.json does not validate: {verdict}")
    r = wi.inspect(c, lib)
    c.check(r.returncode == 0 and "markupsafe" in r.out.lower(),
            f"inspect's text of the archive ({r.returncode}):\n{wt.tail(r.err)}")
    # An archive pyweld did not weld, and one whose member is damaged.
    wt.write(c.path("pyweld.manifest"), "PYWMANIF garbage")
    for members, why in ((["requirements.txt"], "without a member pyweld.manifest"),
                         (["pyweld.manifest"], "is damaged")):
        plain = c.path(f"plain-{len(why)}.a")
        r = c.run(["ar", "rc", plain, *members])
        c.require(r.returncode == 0, f"ar rc: {r.err}")
        wi.check_refused(c, plain, f"an archive {why}")
        c.check(why in wi.inspect(c, plain).err, f"inspect of an archive {why}: no '{why}'")
    before = sha256_of(lib)
    r = c.build(*args, "--deny-licence", "^PSF")
    c.check_clear_error(r, "--deny-licence ^PSF with --library", (
        "libapp.a -> libpython3.", ".a (PSF-2.0): --deny-licence '^PSF'"))
    c.check(sha256_of(lib) == before, "a refused --library weld changed the archive")


CASES = {
    "sources": case_sources,
    "version_bump": case_version_bump,
    "library_change": case_library_change,
    "debian_patch": case_debian_patch,
    "demo": case_demo,
    "combined": case_combined,
    "init_keys": case_init_keys,
    "licences": case_licences,
    "library": case_library,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "sbom"))

#!/usr/bin/env python3
"""packages_tested_shards: packages-tested/run's shards, merge and CI workflow.

    packages_tested_shards.py PACKAGES_TESTED_DIR WORKFLOW_FILE

No package is built: the split is computed from packages.toml, the merge is
fed shards cut out of the stored large-tier report (large/REPORT.json).
1. --shard K/N of every tier, N = 1..5: every package in exactly one shard,
   a package in the shard of the listed packages it requires, the same split
   twice, with the recorded seconds and without any (the stable fallback);
   --shard without --report-dir or with a bad K/N is refused.
2. --merge of the stored report cut in two shards writes the same REPORT.md
   as the uncut one (its combined weld taken out, since shards have none)
   but for the warning at the top, which says it was merged from shards;
   a report whose combined weld failed warns at the top (in red in the
   HTML), the stored one only if its own failed.
3. --merge refuses a shard given twice, a package in two shards, a missing
   shard, another commit, another tier, a report that is no shard's, a
   directory without a report: exit 1, `packages-tested/run: error: ...`,
   nothing written.
4. The workflow parses (PyYAML) and runs every shard 1..N of every CPython
   version, and merges each version's N shards.  Skipped (77) when PyYAML
   cannot be imported by this python, after 1 to 3 have passed.
"""

import copy
import fnmatch
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print(f"FAIL: {what}", flush=True)
    return cond


def load_runner(top):
    loader = importlib.machinery.SourceFileLoader("pt_run", os.path.join(top, "run"))
    spec = importlib.util.spec_from_loader("pt_run", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def runner(top, *args):
    return subprocess.run([sys.executable, os.path.join(top, "run"), *args],
                          capture_output=True, text=True, timeout=120)


def closure_names(p, by, norm):
    out, stack = set(), list(p.requires)
    while stack:
        r = norm(stack.pop())
        if r not in out:
            out.add(r)
            stack += by[r].requires
    return out


def test_split(top, run, shard):
    _, pkgs, by = run.load_list(os.path.join(top, "packages.toml"))
    secs, read = shard.recorded_seconds(shard.times_files(top, "large", None))
    check(read, "no REPORT.json with recorded seconds was read")
    for tier in run.TIERS + run.ALONE:
        chosen = run.select(pkgs, tier, None)
        names = [shard.norm(p.name) for p in chosen]
        for weights, label in ((secs, "recorded"), ({}, "none recorded")):
            for n in range(1, 6):
                parts = shard.plan(chosen, by, n, weights)
                again = shard.plan(chosen, by, n, weights)
                check([[p.name for p in q] for q in parts] == [[p.name for p in q] for q in again],
                      f"{tier} {n} shards ({label}): not the same split twice")
                got = [shard.norm(p.name) for q in parts for p in q]
                check(sorted(got) == sorted(names),
                      f"{tier} {n} shards ({label}): packages not each once: {sorted(got)}")
                for q in parts:
                    here = {shard.norm(p.name) for p in q}
                    for p in q:
                        apart = (closure_names(p, by, shard.norm) & set(names)) - here
                        check(not apart, f"{tier} {n} shards ({label}): {p.name} without "
                                         f"{sorted(apart)}, which it requires")
                if n == 2 and tier == "quick":
                    print(f"{tier}, 2 shards ({label}): "
                          + " | ".join(", ".join(p.name for p in q) for q in parts))
        for n in range(1, 6):
            got = []
            for k in range(1, n + 1):
                part, info = shard.pick(chosen, by, k, n, shard.times_files(top, tier, None), top)
                check(info["k"] == k and info["n"] == n and info["all"] == [p.name for p in chosen],
                      f"{tier} {k}/{n}: shard record {info}")
                got += info["packages"]
            check(sorted(got) == sorted(p.name for p in chosen),
                  f"{tier}: pick of 1..{n}/{n} does not cover each package once")
    with tempfile.TemporaryDirectory() as d:
        for args, want in ((["--shard", "1/3"], "needs --report-dir"),
                           (["--shard", "0/3", "--report-dir", d], "K must be 1 to N"),
                           (["--shard", "4/3", "--report-dir", d], "K must be 1 to N"),
                           (["--shard", "half", "--report-dir", d], "is not K/N")):
            p = runner(top, *args)
            check(p.returncode == 2 and p.stderr.startswith("packages-tested/run: error: ")
                  and want in p.stderr, f"run {args}: status {p.returncode}, {p.stderr!r}")


def without_combined(report):
    r = copy.deepcopy(report)
    r["combined"] = None
    for e in r["packages"]:
        e["runs"].pop("combined", None)
        e["failures"] = [f for f in e["failures"] if f.get("side") != "combined"]
        e["problems"] = [p for p in e["problems"] if not p.startswith("combined:")]
        if "skipped_only" in e:
            e["skipped_only"] = [s for s in e["skipped_only"] if s.get("side") != "combined"]
    return r


def read(path):
    """The file's text, or '' (the check that wants it fails) when it is missing."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


def write_json(d, report):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "REPORT.json"), "w", encoding="utf-8") as f:
        json.dump(report, f)


def cut(report, parts, n):
    """Shard reports of REPORT, shard k holding the names of parts[k-1]."""
    everyone = [e["name"] for e in report["packages"]]
    out = []
    for k, names in enumerate(parts, 1):
        r = copy.deepcopy(report)
        r["packages"] = [e for e in r["packages"] if e["name"] in names]
        r["shard"] = {"k": k, "n": n, "packages": [e["name"] for e in r["packages"]],
                      "all": everyone, "weights_from": ["REPORT.json"]}
        out.append(r)
    return out


def test_merge(top, run, shard, tmp):
    with open(os.path.join(top, "large", "REPORT.json"), encoding="utf-8") as f:
        stored = json.load(f)
    check(stored.get("combined") and stored["combined"].get("packages"),
          "the stored large/REPORT.json has no combined weld")
    # A report whose combined weld failed says so at the top (the stored
    # one, its combined weld marked failed as the 2026-11-26 run's was);
    # the stored one as it is does so only when its own failed.
    failed = copy.deepcopy(stored)
    failed["combined"].update(ok=False, error="pyweld build did not finish in 1500 s (killed)")
    write_json(os.path.join(tmp, "failed"), failed)
    p = runner(top, "--render", os.path.join(tmp, "failed", "REPORT.json"))
    check(p.returncode == 0, f"--render: status {p.returncode}: {p.stderr}")
    md = (read(os.path.join(tmp, "failed", "REPORT.md")) + "\n\n\n").split("\n")
    check(md[2].startswith("**WARNING: The combined weld failed"),
          f"REPORT.md of a failed combined weld: line 3 is {md[2][:80]!r}")
    page = read(os.path.join(tmp, "failed", "REPORT.html"))
    check(re.search(r"<p class='alarm'>WARNING: The combined weld failed", page)
          and ".alarm{color:#fff;background:#c00" in page,
          "REPORT.html of a failed combined weld has no red warning")
    write_json(os.path.join(tmp, "stored"), stored)
    p = runner(top, "--render", os.path.join(tmp, "stored", "REPORT.json"))
    check(p.returncode == 0, f"--render: status {p.returncode}: {p.stderr}")
    md = (read(os.path.join(tmp, "stored", "REPORT.md")) + "\n\n\n").split("\n")
    check(md[2].startswith("**WARNING: The combined weld failed") ==
          (not stored["combined"]["ok"]),
          f"REPORT.md of the stored report: line 3 is {md[2][:80]!r}, its combined weld "
          f"{'failed' if not stored['combined']['ok'] else 'passed'}")

    check("## By CPython version" not in "\n".join(md),
          "a report with no other version beside it has a by-version table")

    # With another version's report beside it (python-X.Y/REPORT.json), the
    # report gains a column for that version: the same package's verdict and
    # counts there, the version welded where it differs, "-" where not run.
    other = json.loads(json.dumps(stored))
    other["cpython"], other["tier"] = "3.13.15", "quick"
    other["packages"] = other["packages"][:2]
    other["packages"][0]["version"] = "9.9"
    other["packages"][0]["verdict"] = "FAIL"
    write_json(os.path.join(tmp, "stored", "python-3.13"), other)
    p = runner(top, "--render", os.path.join(tmp, "stored", "REPORT.json"))
    check(p.returncode == 0, f"--render beside python-3.13: {p.stderr}")
    md2 = read(os.path.join(tmp, "stored", "REPORT.md"))
    first, second, third = (e["name"] for e in stored["packages"][:3])
    check("## By CPython version" in md2 and "CPython 3.13.15 (quick tier" in md2,
          "no by-version table with python-3.13/REPORT.json beside the report")
    check(re.search(rf"\n\| {re.escape(first)} \| pass: [^|]* \| FAIL: [^|]*\(9\.9\) \|", md2)
          and re.search(rf"\n\| {re.escape(third)} \| [^|]* \| - \|", md2),
          "the by-version table does not show each version's verdict, version and '-'")
    check("<h2>By CPython version</h2>" in read(os.path.join(tmp, "stored", "REPORT.html")),
          "REPORT.html has no by-version table")

    # The uncut report (without its combined weld) against two shards merged.
    ref = without_combined(stored)
    write_json(os.path.join(tmp, "ref"), ref)
    p = runner(top, "--render", os.path.join(tmp, "ref", "REPORT.json"))
    check(p.returncode == 0, f"--render of the uncut report: {p.stderr}")
    ref_md = read(os.path.join(tmp, "ref", "REPORT.md"))
    check(ref_md and "WARNING" not in ref_md.split("\n")[2],
          "the uncut report without combined warns")
    _, pkgs, by = run.load_list(os.path.join(top, "packages.toml"))
    named = {e["name"] for e in stored["packages"]}
    chosen = [q for q in pkgs if q.name in named]
    check(len(chosen) == len(named), "the stored report names packages packages.toml has not")
    parts = [{q.name for q in part} for part in shard.plan(chosen, by, 2, {})]
    shards = cut(ref, parts, 2)
    dirs = [os.path.join(tmp, f"shard {k} $`x'") for k in (1, 2)]
    for d, r in zip(dirs, shards):
        write_json(d, r)
    out = os.path.join(tmp, "merged")
    p = runner(top, "--merge", dirs[1], dirs[0], "--report-dir", out)
    check(p.returncode == 0, f"--merge of 2 shards: status {p.returncode}: {p.stderr}")
    if p.returncode == 0:
        got = open(os.path.join(out, "REPORT.md"), encoding="utf-8").read().split("\n")
        check(got[2].startswith("**WARNING: Merged from 2 shards"),
              f"merged REPORT.md: line 3 is {got[2][:80]!r}")
        check("\n".join(got[:2] + got[4:]) == ref_md,
              "merged REPORT.md differs from the uncut one (beyond its warning)")
        merged = json.load(open(os.path.join(out, "REPORT.json"), encoding="utf-8"))
        check(merged["packages"] == ref["packages"], "merged REPORT.json: other packages")
        check(merged["combined"] is None and merged["merged"]["shards"] == 2,
              "merged REPORT.json does not say it was merged without a combined weld")
        page = open(os.path.join(out, "REPORT.html"), encoding="utf-8").read()
        check("<p class='alarm'>WARNING: Merged from 2 shards" in page,
              "merged REPORT.html has no warning")
    # Shard reports say at the top that they are shards.
    p = runner(top, "--render", os.path.join(dirs[0], "REPORT.json"))
    shard_md = (read(os.path.join(dirs[0], "REPORT.md")) + "\n\n\n").split("\n")
    check(p.returncode == 0 and shard_md[2].startswith("**WARNING: Shard 1 of 2"),
          f"a shard's REPORT.md: line 3 is {shard_md[2][:80]!r}")

    # Bad merges.
    def bad(label, mutate, want, dirs_of=None):
        base = os.path.join(tmp, "bad-" + label.replace(" ", "-"))
        rs = copy.deepcopy(shards)
        mutate(rs)
        ds = []
        for i, r in enumerate(rs):
            ds.append(os.path.join(base, str(i)))
            write_json(ds[-1], r)
        dest = os.path.join(base, "out")
        p = runner(top, "--merge", *(dirs_of(ds) if dirs_of else ds), "--report-dir", dest)
        check(p.returncode == 1 and p.stderr.startswith("packages-tested/run: error: ")
              and re.search(want, p.stderr) and not os.path.exists(dest),
              f"merge {label}: status {p.returncode}, {p.stderr.strip()!r}")
        print(f"merge {label}: {p.stderr.strip()}")

    moved = shards[0]["packages"][0]
    bad("shard twice", lambda rs: rs.append(copy.deepcopy(rs[0])), r"shard 1/2 given twice")
    bad("package twice", lambda rs: rs[1]["packages"].append(copy.deepcopy(moved)),
        rf"{re.escape(moved['name'])} is in two shards")
    bad("shard missing", lambda rs: rs.pop(),
        r"packages missing from the shards: .*\(not given: shard 2 of 2\)")
    bad("package missing", lambda rs: rs[0]["packages"].pop(0), r"packages missing from the "
        rf"shards: {re.escape(moved['name'])}")
    bad("other commit", lambda rs: rs[1].update(pyweld_commit="0000000"),
        r"differ in pyweld_commit")
    bad("other tier", lambda rs: rs[1].update(tier="full"), r"differ in tier")
    bad("other split", lambda rs: rs[1]["shard"].update(n=3), r"different splits")
    bad("no shard", lambda rs: rs[1].pop("shard"), r"is not a shard's report")
    bad("no report", lambda rs: None, r"cannot read '.*nowhere/REPORT\.json'",
        dirs_of=lambda ds: ds + [os.path.join(tmp, "nowhere")])
    p = runner(top, "--merge", dirs[0])
    check(p.returncode == 2 and "needs --report-dir" in p.stderr,
          f"--merge without --report-dir: {p.returncode} {p.stderr!r}")


def test_workflow(path):
    try:
        import yaml
    except ImportError:
        print(f"SKIP: PyYAML cannot be imported by {sys.executable}: the workflow "
              f"'{path}' is not checked")
        return False
    with open(path, encoding="utf-8") as f:
        wf = yaml.safe_load(f)
    jobs = wf.get("jobs") or {}
    check(set(wf.get(True, wf.get("on")) or {}) >= {"workflow_dispatch"},
          "the workflow cannot be started by hand")
    sh, mg = jobs.get("shard") or {}, jobs.get("merge") or {}
    matrix = (sh.get("strategy") or {}).get("matrix") or {}
    versions, ks = matrix.get("python") or [], matrix.get("shard") or []
    runs = " ".join(s.get("run", "") for s in sh.get("steps", []))
    m = re.search(r"--shard \"?\$\{\{ matrix\.shard \}\}/(\d+)\"?", runs)
    check(m, "the shard job runs no `run --shard ${{ matrix.shard }}/N`")
    n = int(m.group(1)) if m else 0
    check(ks == list(range(1, n + 1)), f"shards {ks} are not 1..{n}")
    check(versions and all(re.fullmatch(r"3\.\d+", str(v)) for v in versions),
          f"versions {versions}")
    check('--python "${{ matrix.python }}"' in runs, "the shard job ignores matrix.python")
    check("--report-dir" in runs, "the shard job gives no --report-dir")
    needs = mg.get("needs")
    check(needs == "shard" or (isinstance(needs, list) and "shard" in needs),
          "the merge job does not wait for the shards")
    check(((mg.get("strategy") or {}).get("matrix") or {}).get("python") == versions,
          "the merge job does not merge every version")
    uploads = [s for s in sh.get("steps", []) if "upload-artifact" in s.get("uses", "")]
    downloads = [s for s in mg.get("steps", []) if "download-artifact" in s.get("uses", "")]
    merges = [s.get("run", "") for s in mg.get("steps", []) if "--merge" in s.get("run", "")]
    check(len(uploads) == 1 and uploads[0].get("if") == "always()",
          "the shard job does not upload its report even when it fails")
    check(len(downloads) == 1 and len(merges) == 1, "the merge job downloads or merges twice")
    if uploads and downloads and merges:
        name = uploads[0]["with"]["name"]
        pattern = downloads[0]["with"]["pattern"]
        where = downloads[0]["with"]["path"]
        for v in versions:
            made = [name.replace("${{ matrix.python }}", str(w))
                    .replace("${{ matrix.shard }}", str(k)) for w in versions for k in ks]
            want = pattern.replace("${{ matrix.python }}", str(v))
            picked = [a for a in made if fnmatch.fnmatchcase(a, want)]
            check(len(picked) == n and all(f"-{v}-" in a for a in picked),
                  f"CPython {v}: the merge downloads {picked}, not the {n} shards of {v}")
            glob = re.search(r"--merge\s+(\S+)", merges[0].replace("${{ matrix.python }}",
                                                                   str(v)))
            glob = glob.group(1) if glob else ""
            dirs = [f"{where}/{a}" for a in picked]
            check(glob and all(fnmatch.fnmatchcase(d, glob) for d in dirs),
                  f"CPython {v}: `--merge {glob}` does not name every shard's directory")
        print(f"workflow: {len(versions)} versions ({', '.join(map(str, versions))}) x "
              f"{n} shards, merged per version")
    return True


def test_sbom_line(top, tmp):
    """The combined binary's SBOM check, as the report says it: valid with
    its component count, or not valid in bold with the validator's words."""
    with open(os.path.join(top, "large", "REPORT.json"), encoding="utf-8") as f:
        stored = json.load(f)
    c = stored["combined"]
    c.update(ok=True, error="", seconds=1.0, size="1.0 MiB", modules=[])
    for sbom, want in (({"ok": True, "error": "", "components": 42},
                        "Its SBOM (APP.cdx.json): CycloneDX 1.5, valid, 42 components."),
                       ({"ok": True, "error": "", "components": 42,
                         "spdx": {"ok": True, "error": "", "packages": 7}},
                        "Its SBOM (APP.cdx.json): CycloneDX 1.5, valid, 42 components; as "
                        "SPDX 2.3 (pyweld inspect --sbom --sbom-format spdx), valid, 7 "
                        "packages."),
                       ({"ok": False, "error": "'bom-ref' is required", "components": 0},
                        "**Its SBOM is not valid**: `'bom-ref' is required`")):
        c["sbom"] = sbom
        d = os.path.join(tmp, "sbom-" + str(sbom["ok"]) + str("spdx" in sbom))
        write_json(d, stored)
        p = runner(top, "--render", os.path.join(d, "REPORT.json"))
        check(p.returncode == 0, f"--render with a combined SBOM result: {p.stderr}")
        md = read(os.path.join(d, "REPORT.md"))
        check(want in md, f"REPORT.md does not say {want!r} of the combined SBOM")


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n")[2], file=sys.stderr)
        return 2
    top, workflow = (os.path.abspath(a) for a in sys.argv[1:])
    sys.path.insert(0, top)
    run = load_runner(top)
    try:
        import shard
    except ImportError as e:
        print(f"FAIL: {top}/shard.py: {e}")
        return 1
    tmp = tempfile.mkdtemp(prefix="pt shards '$`")
    try:
        test_split(top, run, shard)
        test_merge(top, run, shard, tmp)
        test_sbom_line(top, tmp)
        checked = test_workflow(workflow)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILS:
        print(f"{len(FAILS)} checks failed")
        return 1
    if not checked:
        return 77
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

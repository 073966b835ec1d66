#!/usr/bin/env python3
"""CPython's whole regression suite, run by a pyweld distribution's own
python and by an unchanged build of the same version, compared.

pyweld's distribution changes CPython's code (docs/distribution.md: the
precompiled regexes, the deep-frozen standard library, class creation
through the method cache), so "it still is CPython" is a claim to show:
this runs `python -m test` on both interpreters, reruns whatever failed on
either side once more, and writes a report naming every test whose outcome
differs.  The goal is none.

On demand, not in CI: each side takes tens of minutes on two cores.

  tests/regrtest/compare.py --python 3.11                # Debian's python3.11
  tests/regrtest/compare.py --python 3.13 --reference /opt/py313/bin/python3.13
  tests/regrtest/compare.py --python 3.11 test_re test_enum   # a few modules

The report (Markdown, --out; default tests/regrtest/REPORT-X.Y.md) lists the
command lines, both interpreters' versions and builds, the counts per side,
the modules and test cases whose outcome differs, and what a rerun settled.
Exit status: 0 when no outcome differs, 1 when some do, 2 on bad usage or
when a side could not run at all.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET


def fail(what, why, hint=None):
    print(f"compare: error: {what}: {why}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)
    sys.exit(2)


def say(msg):
    print(f"compare: {msg}", file=sys.stderr, flush=True)


def dist_python(pyweld, version):
    """The distribution's interpreter, from `pyweld python path`."""
    try:
        out = subprocess.run([pyweld, "python", "path", "--python", version],
                             capture_output=True, text=True, check=False)
    except OSError as e:
        fail(f"cannot run '{pyweld}'", e.strerror,
             "give the pyweld binary with --pyweld PATH")
    if out.returncode != 0:
        fail(f"no CPython {version} distribution", out.stderr.strip().splitlines()[-1:]
             or "pyweld python path failed",
             f"build it first: pyweld python build --python {version}")
    py = os.path.join(out.stdout.strip(), "prefix", "bin", f"python{version}")
    if not os.access(py, os.X_OK):
        fail(f"no interpreter '{py}'", "the distribution has none")
    return py


def describe(py):
    code = ("import sys, sysconfig; print(sys.version.replace(chr(10), ' ')); "
            "print(sysconfig.get_config_var('CONFIG_ARGS') or '')")
    out = subprocess.run([py, "-c", code], capture_output=True, text=True, check=False)
    lines = out.stdout.splitlines()
    return (lines + ["?", "?"])[:2]


SUMMARY = re.compile(r"^(\d+|One|All \d+) tests? (.*?):?$")


# The closing summary's headings, the first that a heading contains wins:
# a rerun's list ("failed again", "re-run tests") is not a status of its own.
HEADINGS = (("failed again", None), ("re-run", None), ("failed", "failed"),
            ("altered the execution environment", "env changed"),
            ("resource denied", "resource denied"), ("skipped", "skipped"),
            ("run no tests", "no tests"))


def summary_statuses(log):
    """Module -> status from regrtest's closing summary ("3 tests failed:")."""
    status, current = {}, None
    for line in log.splitlines():
        m = SUMMARY.match(line)
        if m and line.endswith(":"):
            current = next((s for words, s in HEADINGS if words in m.group(2)), None)
            continue
        if current and line.startswith("    "):
            for name in line.split():
                status[name] = current
        elif not line.strip():
            continue
        else:
            current = None
    return status


def cases_from_junit(path):
    """(module, test id) -> (outcome, first line of its message)."""
    cases = {}
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return cases
    for tc in root.iter("testcase"):
        cls = tc.get("classname") or ""
        name = tc.get("name") or ""
        tid = f"{cls}.{name}" if cls else name
        parts = tid.split(".")
        module = next((p for p in parts if p.startswith("test_")), parts[0])
        outcome, msg = "passed", ""
        for child in tc:
            if child.tag in ("failure", "error"):
                outcome = "failed"
                msg = (child.get("message") or child.text or "").strip().splitlines()[:1]
                msg = msg[0] if msg else ""
                break
            if child.tag == "skipped":
                outcome = "skipped"
        cases[(module, tid)] = (outcome, msg[:160])
    return cases


def run_side(label, py, tests, args, work):
    """Runs `py -m test` in a directory of its own; (statuses, cases, seconds, log)."""
    home = os.path.join(work, label)
    os.makedirs(os.path.join(home, "tmp"), exist_ok=True)
    junit = os.path.join(home, "junit.xml")
    logpath = os.path.join(home, "regrtest.log")
    argv = [py, "-X", "faulthandler", "-m", "test", "-j", str(args.jobs),
            "--timeout", str(args.timeout), "--junit-xml", junit]
    if args.use:
        argv += ["-u", args.use]
    argv += tests
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": os.path.join(home, "tmp"),
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    say(f"{label}: {' '.join(argv)}")
    start = time.monotonic()
    with open(logpath, "w", encoding="utf-8") as log:
        subprocess.run(argv, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT,
                       check=False)
    secs = time.monotonic() - start
    with open(logpath, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if "Tests result:" not in text and "== Tests result" not in text:
        fail(f"the {label} side did not finish", f"no result line in {logpath}",
             "read the log's end")
    say(f"{label}: done in {secs:.0f} s")
    return summary_statuses(text), cases_from_junit(junit), secs, argv


def rerun(label, py, module, args, work):
    """One module once more, alone: its status and cases."""
    home = os.path.join(work, f"{label}-rerun-{module}")
    os.makedirs(os.path.join(home, "tmp"), exist_ok=True)
    junit = os.path.join(home, "junit.xml")
    argv = [py, "-X", "faulthandler", "-m", "test", "--timeout", str(args.timeout),
            "--junit-xml", junit, module]
    if args.use:
        argv[5:5] = ["-u", args.use]
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": os.path.join(home, "tmp"),
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    out = subprocess.run(argv, cwd=home, env=env, capture_output=True, text=True,
                         check=False)
    status = summary_statuses(out.stdout).get(module, "passed")
    return status, cases_from_junit(junit)


BAD = ("failed", "env changed")


def differs(module, dstat, rstat, dcases, rcases):
    """Whether MODULE's outcome differs: its status, or any of its cases'."""
    if (dstat.get(module) in BAD) != (rstat.get(module) in BAD):
        return True
    # a case only one side has is no difference of outcome: the two builds'
    # test files differ (a security update's new test); listed apart
    keys = {k for k in dcases if k[0] == module} & {k for k in rcases if k[0] == module}
    return any(dcases[k][0] != rcases[k][0] for k in keys)


def md_escape(text):
    return text.replace("|", "\\|").replace("\n", " ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--python", default="3.11", metavar="X.Y",
                    help="the distribution's version (default 3.11)")
    ap.add_argument("--pyweld", default=shutil.which("pyweld") or "pyweld",
                    help="the pyweld binary that finds the distribution")
    ap.add_argument("--reference", metavar="PYTHON",
                    help="the unchanged build of the same version (default "
                         "/usr/bin/pythonX.Y when it is that version)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=int, default=1800,
                    help="seconds one test module may take (default 1800)")
    ap.add_argument("--use", default="",
                    help="regrtest's -u resources (default: regrtest's own)")
    ap.add_argument("--out", help="the report (default tests/regrtest/REPORT-X.Y.md)")
    ap.add_argument("--work", help="keep logs here (default: a temporary directory)")
    ap.add_argument("tests", nargs="*", help="test modules (default: the whole suite)")
    args = ap.parse_args()
    if not re.fullmatch(r"3\.\d{1,2}", args.python):
        fail(f"bad --python '{args.python}'", "not X.Y", "e.g. --python 3.11")
    dist = dist_python(args.pyweld, args.python)
    ref = args.reference or f"/usr/bin/python{args.python}"
    if not os.access(ref, os.X_OK):
        fail(f"no reference interpreter '{ref}'", "not an executable",
             "give an unchanged build of the same version with --reference")
    for py in (dist, ref):
        probe = subprocess.run([py, "-c", "import test.libregrtest"], capture_output=True,
                               check=False)
        if probe.returncode != 0:
            fail(f"'{py}' has no regression tests", "it cannot import test.libregrtest",
                 f"on Debian: apt-get install libpython{args.python}-testsuite")
    dver, dconf = describe(dist)
    rver, rconf = describe(ref)
    if dver.split()[0] != rver.split()[0]:
        fail("the two interpreters differ in version",
             f"{dver.split()[0]} against {rver.split()[0]}",
             "the reference must be the same CPython version")
    here = os.path.dirname(os.path.abspath(__file__))
    out = args.out or os.path.join(here, f"REPORT-{args.python}.md")
    work = args.work or tempfile.mkdtemp(prefix="regrtest-compare-")
    os.makedirs(work, exist_ok=True)
    sides = {}
    for label, py in (("distribution", dist), ("reference", ref)):
        sides[label] = run_side(label, py, args.tests, args, work)
    (dstat, dcases, dsecs, dargv), (rstat, rcases, rsecs, rargv) = \
        sides["distribution"], sides["reference"]

    differing = sorted(m for m in set(dstat) | set(rstat) | {k[0] for k in dcases}
                       | {k[0] for k in rcases}
                       if differs(m, dstat, rstat, dcases, rcases))
    settled, races = {}, []
    for m in differing:
        say(f"rerun: {m}")
        d2 = rerun("distribution", dist, m, args, work)
        r2 = rerun("reference", ref, m, args, work)
        settled[m] = (d2, r2)
        if not differs(m, {m: d2[0]}, {m: r2[0]}, d2[1], r2[1]):
            races.append(m)
    still = [m for m in differing if m not in races]

    case_diffs = []
    for m in still:
        d2, r2 = settled[m]
        for k in sorted(set(d2[1]) & set(r2[1])):
            do, dm = d2[1][k]
            ro, rm = r2[1][k]
            if do != ro:
                case_diffs.append((m, k[1], do, ro, dm or rm))

    def count(stat, cases):
        n = {"failed": 0, "passed": 0, "skipped": 0}
        for o, _ in cases.values():
            n[o] = n.get(o, 0) + 1
        mods = {}
        for s in stat.values():
            mods[s] = mods.get(s, 0) + 1
        return n, mods

    dn, dm_ = count(dstat, dcases)
    rn, rm_ = count(rstat, rcases)
    lines = [
        f"# CPython {args.python}: the regression suite, pyweld's distribution against an unchanged build",
        "",
        "Generated by `tests/regrtest/compare.py`; do not edit.  Both interpreters run "
        "`python -m test` (the same options, each in an empty directory and home of its "
        "own); every module whose outcome differs is run once more, alone, on both "
        "sides: a difference that the rerun does not repeat is listed as a race.",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} CPUs, {args.jobs} at a time",
        f"- distribution: `{dist}`: {md_escape(dver)}",
        f"  - configure: `{md_escape(dconf)}`",
        f"  - `{' '.join(dargv[1:])}`: {dsecs / 60:.1f} minutes",
        f"- reference: `{ref}`: {md_escape(rver)}",
        f"  - configure: `{md_escape(rconf)[:300]}`",
        f"  - `{' '.join(rargv[1:])}`: {rsecs / 60:.1f} minutes",
        "",
        "| | distribution | reference |",
        "|---|---|---|",
        f"| test cases passed / failed / skipped | {dn['passed']} / {dn['failed']} / {dn['skipped']} "
        f"| {rn['passed']} / {rn['failed']} / {rn['skipped']} |",
    ]
    for s in ("failed", "env changed", "skipped", "resource denied", "no tests"):
        dl = sorted(m for m, v in dstat.items() if v == s)
        rl = sorted(m for m, v in rstat.items() if v == s)
        lines.append(f"| modules {s} | {len(dl)}: {' '.join(dl) or '-'} "
                     f"| {len(rl)}: {' '.join(rl) or '-'} |")
    lines += ["", f"## Outcomes that differ: {len(still)} module(s)", ""]
    if not still:
        lines.append("None: every module and test case has the same outcome on both sides "
                     "(after the rerun of the modules listed below).")
    else:
        lines += ["| module | test | distribution | reference | message |", "|---|---|---|---|---|"]
        for m in still:
            rows = [c for c in case_diffs if c[0] == m]
            d2, r2 = settled[m]
            if not rows:
                lines.append(f"| {m} | (the module) | {d2[0]} | {r2[0]} | |")
            for _, tid, do, ro, msg in rows:
                lines.append(f"| {m} | {md_escape(tid)} | {do} | {ro} | {md_escape(msg)} |")
    only = {}
    for side, mine, other in (("distribution", dcases, rcases), ("reference", rcases, dcases)):
        for k in mine:
            if k not in other:
                only[(side, k[0])] = only.get((side, k[0]), 0) + 1
    lines += ["", f"## Test cases only one side has: {sum(only.values())}", "",
              "No outcome to compare: the two builds' test files differ (a security "
              "update's new test), or a module ran no case on the other side (it "
              "failed or was skipped as a whole: the table above says which).", ""]
    lines += [f"- {side}: {module}: {n}" for (side, module), n in sorted(only.items())] \
        or ["None."]
    lines += ["", f"## Differed in the whole run, not on the rerun (races): {len(races)}", ""]
    lines.append(" ".join(races) if races else "None.")
    lines.append("")
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    os.replace(out + ".tmp", out)
    say(f"report: {out} ({len(still)} module(s) differ, {len(races)} race(s)); logs in {work}")
    return 1 if still else 0


if __name__ == "__main__":
    sys.exit(main())

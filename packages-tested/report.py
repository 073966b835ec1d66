"""packages-tested/report.py: REPORT.md, REPORT.json and REPORT.html of a
matrix run, written from the run's report dictionary (the content of
REPORT.json), and the table the runner prints at its end."""

import html
import json
import os
import tempfile


def write_atomic(path, text):
    """Writes a temporary beside PATH and renames it into place."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# --- the report ------------------------------------------------------------------

def counts_text(run):
    if not run:
        return "-"
    if "note" in run:
        return run["note"]
    c = run.get("counts") or {}
    return f"{c.get('passed', 0)} / {c.get('failed', 0)} / {c.get('skipped', 0)}"


def causes_text(entry):
    by = {}
    for f in entry["failures"]:
        by[f["cause"]] = by.get(f["cause"], 0) + 1
    return ", ".join(f"{n} {c}" for c, n in sorted(by.items())) or "-"


def table_rows(report):
    rows = []
    for e in report["packages"]:
        b = e["build"] or {}
        exts = ", ".join(m["module"] for m in b.get("modules") or []
                         if m["module"] in e["extensions"]) or "-"
        rows.append([e["name"], e["version"], report["cpython"], e["expected"], e["verdict"],
                     f"{b['seconds']:.0f}" if b.get("seconds") is not None else "-",
                     exts, counts_text(e["runs"].get("pyweld")),
                     counts_text(e["runs"].get("combined")),
                     counts_text(e["runs"].get("stock")), causes_text(e)])
    return rows


HEAD = ["package", "version", "python", "expected", "verdict", "build (s)",
        "extensions welded", "pyweld p/f/s", "combined p/f/s", "stock p/f/s",
        "failures by cause"]


def md_escape(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def notice(report):
    """What a reader must see before the table: the combined weld failed,
    or this report has no combined weld at all (a shard, or shards merged);
    None when the report holds the combined binary's results."""
    c = report.get("combined")
    if c and not c["ok"]:
        return (f"The combined weld failed: the one binary meant to hold all "
                f"{len(c['packages'])} packages was not built ({c['error']}), so no package's "
                "tests ran there: this report does not show the packages working together.")
    s = report.get("shard")
    if s:
        return (f"Shard {s['k']} of {s['n']} ({len(s['packages'])} of the run's "
                f"{len(s['all'])} packages): shards do not run the combined weld, so no "
                "package's tests ran in one binary holding them all; `packages-tested/run "
                "--merge` joins the shards' reports.")
    m = report.get("merged")
    if m:
        return (f"Merged from {m['shards']} shards: shards do not run the combined weld, so "
                "no package's tests ran in one binary holding them all: this report does not "
                "show the packages working together.")
    return None


def other_versions(report, d):
    """The same tier's reports of other CPython versions beside D
    (D/python-X.Y/REPORT.json, as `run --python X.Y` writes them), of any
    tier (its column says which), oldest version first.  A file that cannot
    be read is left out."""
    found = []
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return found
    for name in names:
        if not name.startswith("python-"):
            continue
        try:
            with open(os.path.join(d, name, "REPORT.json"), encoding="utf-8") as f:
                other = json.load(f)
            if other["cpython"] == report["cpython"]:
                continue
            found.append(other)
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=lambda r: [int(x) for x in r["cpython"].split(".")[:2]
                                        if x.isdigit()])


VERSIONS_INTRO = ("Each column is a run on that CPython (`packages-tested/run --python X.Y`; "
                  "its own report is in python-X.Y/; its tier is named): the verdict, then "
                  "the tests in the package's own binary (p/f/s), and the version welded where "
                  "it differs from this report's pin.  \"-\": the package was not in that run.")


def versions_table(report, others):
    """Each package's verdict and p/f/s in its binary per CPython version,
    this report's column first: (head, rows) of plain text, or None when no
    other version's report is beside it."""
    if not others:
        return None
    cols = [report] + others
    head = ["package"] + [f"CPython {r['cpython']} ({r['tier']} tier, {r['date'][:10]}, "
                          f"{r['pyweld_commit'] or '?'})" for r in cols]
    rows = []
    for e in report["packages"]:
        row = [e["name"]]
        for r in cols:
            o = next((x for x in r["packages"] if x["name"] == e["name"]), None)
            ver = f" ({o['version']})" if o and o["version"] != e["version"] else ""
            row.append(f"{o['verdict']}: {counts_text(o['runs'].get('pyweld'))}{ver}"
                       if o else "-")
        rows.append(row)
    return head, rows


def versions_lines(report, others):
    """versions_table as a Markdown section (no lines when there is none)."""
    table = versions_table(report, others)
    if not table:
        return []
    head, rows = table
    return (["## By CPython version", "", VERSIONS_INTRO, "",
             "| " + " | ".join(md_escape(h) for h in head) + " |", "|---" * len(head) + "|"]
            + ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows] + [""])


def sbom_verdict(c):
    """What the run found of the combined binary's SBOM: (ok, text), or None
    before it checked."""
    s = c.get("sbom")
    if not s:
        return None
    if s["ok"]:
        spdx = s.get("spdx")        # not checked before 2026-12-07
        return True, (f"Its SBOM (APP.cdx.json): CycloneDX 1.5, valid, {s['components']} "
                      "components" + (f"; as SPDX 2.3 (pyweld inspect --sbom --sbom-format "
                                      f"spdx), valid, {spdx['packages']} packages"
                                      if spdx else "") + ".")
    return False, s["error"]


def sbom_text(c):
    """sbom_verdict in Markdown, after the combined binary's line ("" before
    the check)."""
    v = sbom_verdict(c)
    if not v:
        return ""
    return f"  {v[1]}" if v[0] else f"  **Its SBOM is not valid**: `{md_escape(v[1])}`"


def write_report(report, d):
    lines = ["# packages-tested: the compatibility matrix", ""]
    alarm = notice(report)
    if alarm:
        lines += [f"**WARNING: {md_escape(alarm)}**", ""]
    lines += [
             "Generated by `packages-tested/run`; do not edit.  Each package is built "
             "from its sdist with `pyweld build`, then its own tests run inside the binary "
             "(pyweld), inside one binary holding every package of the tier (combined) and "
             "in stock CPython with the normal wheels from PyPI (stock).  p/f/s: tests "
             "passed / failed (errors included) / skipped (xfails included).  Failures by cause "
             "count both binaries.  A failure's "
             "cause: `package` fails in stock CPython too; `pyweld` fails only in the "
             "binary; `by design` fails only in the binary for a reason packages.toml "
             "gives (a documented limit of welding: no shared objects, no files for the "
             "extension modules, no file inside the binary for another process); "
             "`stock only` fails only in stock CPython; `flaky?` changed "
             "outcome on a rerun.", "",
             f"- tier: **{report['tier']}**" + (f" (only {', '.join(report['only'])})"
                                                if report["only"] else ""),
             f"- run: {report['date']}, {report['seconds'] / 60:.1f} minutes on "
             f"{report['machine']}, {report['jobs']} at a time",
             f"- pyweld: {report['pyweld_commit'] or 'unknown commit'}, CPython "
             f"{report['cpython']}" + (", every binary pruned (`run --prune`)"
                                       if report.get("pruned") else ""), ""]
    lines.append("| " + " | ".join(HEAD) + " |")
    lines.append("|" + "---|" * len(HEAD))
    for row in table_rows(report):
        lines.append("| " + " | ".join(md_escape(c) for c in row) + " |")
    c = report.get("combined")
    lines.append("")
    others = other_versions(report, d)
    lines += versions_lines(report, others)
    if c:
        lines.append(f"Combined binary ({len(c['packages'])} packages: "
                     f"{', '.join(c['packages'])}): "
                     + (f"built in {c['seconds']:.0f} s, {c['size']}, "
                        f"{len(c['modules'] or [])} extension modules."
                        if c["ok"] else f"**the weld failed**: `{md_escape(c['error'])}`")
                     + sbom_text(c))
        lines.append("")
    for e in report["packages"]:
        lines.append(f"## {e['name']} {e['version']}")
        lines.append("")
        b = e["build"] or {}
        lines.append(f"- verdict: **{e['verdict']}** (expected: {e['expected']})")
        if e["debian"]:
            lines.append(f"- Debian packages: {', '.join(e['debian'])}")
        if e["env"]:
            lines.append("- build environment: " + ", ".join(f"`{k}={v}`" for k, v in
                                                            sorted(e["env"].items())))
        if e["requires"]:
            lines.append(f"- welded with: {', '.join(e['requires'])}")
        if b:
            lines.append(f"- build: {'ok' if b.get('ok') else 'failed'} in "
                         f"{b.get('seconds', 0):.0f} s" +
                         (f", {b['size']}; modules: " + ", ".join(
                             m["module"] for m in b.get("modules") or [])
                          if b.get("ok") else ""))
        if e["tests"]:
            lines.append("- tests: " + " ".join(f"`{t}`" for t in e["tests"]))
        for side in ("pyweld", "combined", "stock"):
            r = e["runs"].get(side)
            if r and "counts" in r:
                secs = r.get("seconds")
                lines.append(f"- {side}: {counts_text(r)}" +
                             (f" in {secs:.0f} s" if secs is not None else " (did not run)"))
        if e.get("note"):
            lines.append(f"- note: {e['note']}")
        if e["problems"]:
            lines.append("- problems:")
            for prob in e["problems"]:
                lines.append(f"  - {md_escape(prob)[:600]}")
        if e["failures"]:
            lines.append("")
            lines.append("| side | test | cause | in pyweld | in stock |")
            lines.append("|---|---|---|---|---|")
            for side, test, cause, a, b in display_failures(e):
                lines.append(f"| {side} | {md_escape(test)} | {md_escape(cause)} | "
                             f"{md_escape(a)[:200]} | {md_escape(b)[:200]} |")
        if e.get("skipped_only"):
            lines.append("")
            lines.append("Skipped in the binary, passed in stock CPython:")
            lines.append("")
            for s in e["skipped_only"]:
                lines.append(f"- {s['side']}: `{md_escape(s['test'])}`: "
                             f"{md_escape(s['reason'])[:200]}")
        lines.append("")
    write_atomic(os.path.join(d, "REPORT.md"), "\n".join(lines))
    write_atomic(os.path.join(d, "REPORT.json"), json.dumps(report, indent=1, sort_keys=True)
                 + "\n")
    write_atomic(os.path.join(d, "REPORT.html"), html_report(report, others))


def display_failures(e):
    """(side, test, cause, in pyweld, in stock) rows of a package, the tests
    failing 'by design' for the same reason grouped when there are many."""
    shown, grouped, rows = [], {}, []
    order = {"pyweld": 0, "combined": 1}
    for f in e["failures"]:
        if f["cause"] == "by design":
            grouped.setdefault((f["side"], f["reason"]), []).append(f)
        else:
            shown.append(f)
    for (side, reason), fs in sorted(grouped.items()):
        if len(fs) <= 3:
            shown += fs
            continue
        files = sorted({f["test"].split("::")[0] for f in fs})
        rows.append((side, f"{len(fs)} tests of " + ", ".join(f"`{x}`" for x in files),
                     f"by design: {reason}", fs[0]["pyweld"] + " (the first)", fs[0]["stock"]))
    for f in shown:
        cause = f["cause"] + (f" ({f['rerun']})" if f.get("rerun") else "") + \
            (f": {f['reason']}" if f.get("reason") else "")
        rows.append((f["side"], f"`{f['test']}`", cause, f["pyweld"], f["stock"]))
    return sorted(rows, key=lambda r: (order.get(r[0], 2), r[1]))


def html_sbom(c, esc):
    v = sbom_verdict(c)
    if not v:
        return ""
    return f" {esc(v[1])}" if v[0] else f" <b>Its SBOM is not valid</b>: {esc(v[1])}"


def html_report(report, others=None):
    esc = html.escape
    out = ["<!doctype html>", "<html><head><meta charset='utf-8'>",
           "<title>pyweld: packages tested</title>",
           "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
           "td,th{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:top}"
           "th{background:#eee}.pass{background:#dfd}.FAIL{background:#fdd}"
           ".unsupported{background:#eef}.alarm{color:#fff;background:#c00;padding:8px;"
           "font-weight:bold}</style></head><body>",
           "<h1>packages-tested: the compatibility matrix</h1>"]
    alarm = notice(report)
    if alarm:
        out.append(f"<p class='alarm'>WARNING: {esc(alarm)}</p>")
    out += [
           f"<p>tier <b>{esc(report['tier'])}</b>; {esc(report['date'])}; "
           f"{report['seconds'] / 60:.1f} minutes on {esc(report['machine'])}; pyweld "
           f"{esc(report['pyweld_commit'])}; CPython {esc(report['cpython'])}.  p/f/s: "
           "passed / failed / skipped.</p>", "<table><tr>"]
    out += [f"<th>{esc(h)}</th>" for h in HEAD]
    out.append("</tr>")
    for row in table_rows(report):
        cls = row[HEAD.index("verdict")].split()[0]
        out.append(f"<tr class='{esc(cls)}'>" + "".join(f"<td>{esc(str(c))}</td>" for c in row)
                   + "</tr>")
    out.append("</table>")
    c = report.get("combined")
    if c:
        out.append(f"<p>Combined binary of {len(c['packages'])} packages: "
                   + (f"built in {c['seconds']:.0f} s, {esc(c['size'] or '')}, "
                      f"{len(c['modules'] or [])} extension modules."
                      if c["ok"] else f"<b>the weld failed</b>: {esc(c['error'] or '')}")
                   + html_sbom(c, esc) + "</p>")
    table = versions_table(report, others)
    if table:
        head, rows = table
        out += ["<h2>By CPython version</h2>", f"<p>{esc(VERSIONS_INTRO)}</p>", "<table><tr>"
                + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]
        out += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows]
        out.append("</table>")
    for e in report["packages"]:
        if not e["failures"] and not e["problems"]:
            continue
        out.append(f"<h2>{esc(e['name'])} {esc(e['version'])}</h2><ul>")
        for prob in e["problems"]:
            out.append(f"<li>{esc(prob[:600])}</li>")
        for side, test, cause, a, b in display_failures(e):
            out.append(f"<li>{esc(side)}: {esc(test)}: <b>{esc(cause)}</b> (pyweld: "
                       f"{esc(a[:200])}; stock: {esc(b[:200])})</li>")
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def print_table(report):
    rows = [HEAD] + table_rows(report)
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(HEAD))]
    print()
    if notice(report):
        print(f"WARNING: {notice(report)}\n")
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    for e in report["packages"]:
        for prob in e["problems"][:8]:
            print(f"  {e['name']}: {prob.splitlines()[0][:300]}")
        if len(e["problems"]) > 8:
            print(f"  {e['name']}: ... and {len(e['problems']) - 8} more problems (see the "
                  "report)")

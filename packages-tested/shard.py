"""packages-tested/shard.py: the matrix in shards.

`run --shard K/N` runs the K-th of N parts of the selected packages: the
packages are put in groups (a package and the listed packages it requires,
or that require it, are one group: they are built together anyway), the
groups weighed by the seconds the last recorded runs spent on them (build
and test runs, from REPORT.json files beside the runner), then dealt,
heaviest first, to the lightest shard.  Every machine given the same
checkout computes the same split.  Shards do not run the combined weld.

`run --merge DIR...` joins the shards' REPORT.json files into the report of
one run, refusing shards of other commits, tiers or splits, packages twice
and packages missing.
"""

import json
import os
import re


class ShardError(Exception):
    """A shard or merge refused: the message says what and why."""


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_spec(text):
    """(K, N) of a --shard value 'K/N' with 1 <= K <= N, else ShardError."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not m:
        raise ShardError(f"--shard '{text}' is not K/N (the K-th of N shards: 2/4)")
    k, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= k <= n:
        raise ShardError(f"--shard '{text}': K must be 1 to N, and N at least 1")
    return k, n


def times_files(top, tier, pyver):
    """The REPORT.json files whose recorded seconds weigh the packages, the
    first holding a package wins: the tier's own report (python-X.Y/ for
    --python X.Y), then the default version's main, large-tier and rust
    reports."""
    own = os.path.join(top, tier) if tier == "rust" else top
    files = [os.path.join(own, f"python-{pyver}", "REPORT.json")] if pyver else []
    files += [os.path.join(own, "REPORT.json"), os.path.join(top, "REPORT.json"),
              os.path.join(top, "large", "REPORT.json"),
              os.path.join(top, "rust", "REPORT.json")]
    out = []
    for f in files:
        if f not in out:
            out.append(f)
    return out


def recorded_seconds(files):
    """{normalized name: seconds} from the files (build plus its pyweld and
    stock test runs), and the files that could be read.  A missing or broken
    file is passed over: the weights only balance the shards."""
    secs, read = {}, []
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                report = json.load(f)
            entries = report["packages"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        read.append(path)
        for e in entries:
            try:
                name = norm(e["name"])
                total = float((e.get("build") or {}).get("seconds") or 0)
                for side in ("pyweld", "stock"):
                    total += float(((e.get("runs") or {}).get(side) or {}).get("seconds") or 0)
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
            if total > 0 and name not in secs:
                secs[name] = total
    return secs, read


def groups(chosen, by):
    """The chosen packages in groups joined by `requires` (either way,
    transitively), each in the order of packages.toml, the groups in the
    order of their first package."""
    names = [norm(p.name) for p in chosen]
    parent = {n: n for n in names}

    def root(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n
    for p in chosen:
        stack, seen = list(p.requires), set()
        while stack:
            r = norm(stack.pop())
            if r in seen:
                continue
            seen.add(r)
            if r in parent:
                a, b = root(norm(p.name)), root(r)
                if a != b:
                    parent[max(a, b, key=names.index)] = min(a, b, key=names.index)
            if r in by:
                stack += by[r].requires
    out = {}
    for p in chosen:
        out.setdefault(root(norm(p.name)), []).append(p)
    return list(out.values())


def plan(chosen, by, n, secs):
    """N lists of packages (each in the order of chosen): the groups, heaviest
    first (ties in list order), each to the shard with the fewest seconds so
    far (ties to the lowest).  A package with no recorded seconds weighs the
    mean of the recorded ones; with none recorded all weigh the same and the
    groups are dealt in list order."""
    known = [secs[norm(p.name)] for p in chosen if norm(p.name) in secs]
    default = sum(known) / len(known) if known else 1.0
    gs = groups(chosen, by)
    weight = [sum(secs.get(norm(p.name), default) for p in g) for g in gs]
    order = sorted(range(len(gs)), key=lambda i: (-weight[i], i))
    load, parts = [0.0] * n, [[] for _ in range(n)]
    for i in order:
        s = min(range(n), key=lambda j: (load[j], j))
        load[s] += weight[i]
        parts[s] += gs[i]
    index = {id(p): i for i, p in enumerate(chosen)}
    return [sorted(part, key=lambda p: index[id(p)]) for part in parts]


def pick(chosen, by, k, n, files, top):
    """(the packages of shard K of N, the report's 'shard' record, which
    names the files read relative to TOP)."""
    secs, read = recorded_seconds(files)
    part = plan(chosen, by, n, secs)[k - 1]
    info = {"k": k, "n": n, "packages": [p.name for p in part],
            "all": [p.name for p in chosen],
            "weights_from": [os.path.relpath(f, top) for f in read]}
    return part, info


# --- merge -----------------------------------------------------------------------

SAME = ("tier", "only", "cpython", "pyweld_commit")


def load_shard(d):
    path = os.path.join(d, "REPORT.json")
    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    except OSError as e:
        raise ShardError(f"cannot read '{path}': {e.strerror}") from None
    except ValueError as e:
        raise ShardError(f"cannot read '{path}': not JSON ({e})") from None
    if not isinstance(report, dict) or not isinstance(report.get("shard"), dict):
        raise ShardError(f"'{path}' is not a shard's report (written by run --shard K/N)")
    for key in SAME + ("packages", "date", "seconds", "machine", "jobs"):
        if key not in report:
            raise ShardError(f"'{path}' has no '{key}': not a report of this runner")
    return path, report


def merge(dirs):
    """The report of one run made of the shards' reports in DIRS, or
    ShardError naming what does not fit."""
    shards = [load_shard(d) for d in dirs]
    first_path, first = shards[0]
    n = first["shard"]["n"]
    everyone = first["shard"]["all"]
    by_k, owner = {}, {}
    for path, r in shards:
        for key in SAME:
            if r[key] != first[key]:
                raise ShardError(f"'{path}' and '{first_path}' differ in {key} "
                                 f"('{r[key]}' and '{first[key]}'): shards of one run only")
        s = r["shard"]
        if s.get("n") != n or s.get("all") != everyone:
            raise ShardError(f"'{path}' and '{first_path}' are shards of different splits "
                             f"({s.get('k')}/{s.get('n')} of {len(s.get('all') or [])} packages, "
                             f"{first['shard']['k']}/{n} of {len(everyone)})")
        if s["k"] in by_k:
            raise ShardError(f"shard {s['k']}/{n} given twice: '{by_k[s['k']]}' and '{path}'")
        by_k[s["k"]] = path
        for e in r["packages"]:
            if e["name"] not in everyone:
                raise ShardError(f"'{path}' holds {e['name']}, which is not in the run's "
                                 "packages")
            if e["name"] in owner:
                raise ShardError(f"{e['name']} is in two shards: '{owner[e['name']]}' and "
                                 f"'{path}'")
            owner[e["name"]] = path
    missing = [name for name in everyone if name not in owner]
    if missing:
        absent = [str(k) for k in range(1, n + 1) if k not in by_k]
        raise ShardError(f"packages missing from the shards: {', '.join(missing)}"
                         + (f" (not given: shard {', '.join(absent)} of {n})" if absent else ""))
    entries = {e["name"]: e for _, r in shards for e in r["packages"]}
    reports = [r for _, r in sorted(shards, key=lambda pr: pr[1]["shard"]["k"])]
    machines = sorted({r["machine"] for r in reports})
    merged = {key: first[key] for key in SAME}
    merged.update({"date": max(r["date"] for r in reports),
                   "seconds": max(r["seconds"] for r in reports),
                   "machine": "; ".join(machines), "jobs": max(r["jobs"] for r in reports),
                   "packages": [entries[name] for name in everyone], "combined": None,
                   "merged": {"shards": n, "seconds": [r["seconds"] for r in reports]}})
    return merged

#!/usr/bin/env python3
"""linkdb gc beside recording: `pyweld db gc` and `gc --dry-run` run in loops
while 16 writers record compiles, links and archives into the same database.

Each writer first stores every file of a record alone (an object row that no
record references yet, see linkdb_writer --prestore) and then records it, so
gc keeps finding rows to drop and files to remove exactly where writers are
between "object known" and their insert.  One loop runs `gc --min-age 0`
and the default `gc` in turn, another `gc --dry-run` with both ages.

Asserts: every writer exits 0 and reports all its records; every gc run
exits 0, both loops ran while the writers worked, and the real runs did drop
rows and remove files; every record a writer reported is in the database,
complete (each link with its 7 inputs in order and its PyInit_ext, each
compile with its hashed source and object, each archive with its object);
every object row has its kind and symbols and its store file, whose content
hashes to its name; `pyweld db check` is clean; a last gc drops nothing
referenced.  Prints how long gc took on the store and how long the slowest
record took (the time writers waited for gc included): numbers, not limits.
"""
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linkdb_testlib as t  # noqa: E402

WRITERS = 16
COMPILES = 150
LINKS = 40
ARCHIVES = 10
REAL_RUNS = (["--min-age", "0"], [])
DRY_RUNS = (["--dry-run", "--min-age", "0"], ["--dry-run"])


class GcLoop(threading.Thread):
    """Runs `pyweld db gc` with each of `variants` in turn until stopped."""

    def __init__(self, ctx, db, variants):
        super().__init__(daemon=True)
        self.ctx, self.db, self.variants = ctx, db, variants
        self.stop = threading.Event()
        self.runs = []               # (variant index, seconds, json)
        self.failure = None

    def run(self):
        k = 0
        while not self.stop.is_set():
            args = self.variants[k % len(self.variants)]
            start = time.monotonic()
            p = self.ctx.db("gc", "--db", self.db, "--json", *args)
            took = time.monotonic() - start
            if p.returncode != 0:
                self.failure = (f"'pyweld db gc {' '.join(args)}' exited "
                                f"{p.returncode}:\n{p.err}{p.out}")
                return
            self.runs.append((k % len(self.variants), took, json.loads(p.out)))
            k += 1


def timings(runs, variant):
    took = sorted(s for v, s, _ in runs if v == variant)
    if not took:
        return "no runs"
    return (f"{len(took)} runs, median {statistics.median(took) * 1e3:.0f} ms, "
            f"max {took[-1] * 1e3:.0f} ms")


def body(ctx):
    db = ctx.path("gc.linkdb")
    ctx.db_ok("create", "--db", db)
    ctx.pool()
    go = ctx.path("go")
    procs = ctx.start_writers(db, WRITERS, COMPILES, LINKS, go,
                              ["--archives", str(ARCHIVES), "--prestore", "--timings"])
    real = GcLoop(ctx, db, REAL_RUNS)
    dry = GcLoop(ctx, db, DRY_RUNS)
    open(go, "w").close()            # all writers start now
    real.start()
    dry.start()

    slowest, means = [], []
    try:
        for w, p in enumerate(procs):
            out, err = p.communicate(timeout=600)
            t.expect(p.returncode == 0,
                     f"writer w{w} exited {p.returncode}:\n{err.decode(errors='replace')}")
            lines = out.decode().splitlines()
            t.expect(len(lines) == 2 and lines[0] ==
                     f"recorded {COMPILES} compiles, {LINKS} links and {ARCHIVES} "
                     f"archives (w{w})", f"writer w{w} said {out!r}")
            words = lines[1].split()     # slowest record X ms, mean Y ms over N records
            slowest.append(float(words[2]))
            means.append(float(words[5]))
    finally:
        for loop in (real, dry):
            loop.stop.set()
        for loop in (real, dry):
            loop.join(timeout=600)
    for loop in (real, dry):
        t.expect(loop.failure is None, loop.failure)
    for loop, name in ((real, "gc"), (dry, "gc --dry-run")):
        for v in range(2):
            n = sum(1 for k, *_ in loop.runs if k == v)
            t.expect(n >= 2, f"'{name}' variant {v} ran only {n} times beside the "
                     "writers: the test did not test gc")
    dropped = sum(j["rows_dropped"] for _, _, j in real.runs)
    removed = sum(j["files_removed"] for _, _, j in real.runs)
    t.expect(dropped > 0 and removed > 0,
             f"the gc runs dropped {dropped} rows and removed {removed} files: "
             "they never met a writer's unreferenced objects")

    # Every record every writer reported, complete.
    info = ctx.db_json("info", "--db", db)
    t.expect((info["compiles"], info["links"], info["archives"], info["builds"]) ==
             (WRITERS * COMPILES, WRITERS * LINKS, WRITERS * ARCHIVES, WRITERS),
             f"counts: {info}")
    con = t.ro_sqlite(db)
    per_build = con.execute(
        "SELECT b.note, (SELECT count(*) FROM compile WHERE build = b.id),"
        " (SELECT count(*) FROM link WHERE build = b.id),"
        " (SELECT count(*) FROM archive WHERE build = b.id) FROM build b").fetchall()
    con.close()
    t.expect(sorted(per_build) == sorted((f"w{w}", COMPILES, LINKS, ARCHIVES)
                                         for w in range(WRITERS)),
             f"records per writer: {sorted(per_build)}")
    t.verify_records(db)
    t.verify_store(db)
    j = ctx.db_json("check", "--db", db)
    t.expect(j["ok"] is True and j["problems"] == [], f"check --json: {j}")

    # Nothing is left unreferenced: a last gc drops no row and leaves one
    # store file per object.
    final = ctx.db_json("gc", "--db", db, "--min-age", "0")
    t.expect(final["rows_dropped"] == 0, f"the last gc: {final}")
    after = ctx.db_json("info", "--db", db)
    t.expect(after["store_files"] == after["objects"] == info["objects"],
             f"after the last gc: {after['store_files']} store files, "
             f"{after['objects']} objects (before it {info['objects']})")
    ctx.db_ok("check", "--db", db)

    print(f"{WRITERS} writers x ({COMPILES} compiles + {LINKS} links + {ARCHIVES} "
          f"archives), prestored; store at the end: {info['objects']} objects, "
          f"{info['store_bytes'] / 1e6:.1f} MB")
    print(f"gc --min-age 0: {timings(real.runs, 0)}; gc: {timings(real.runs, 1)}; "
          f"dropped {dropped} rows, removed {removed} files")
    print(f"gc --dry-run --min-age 0: {timings(dry.runs, 0)}; "
          f"gc --dry-run: {timings(dry.runs, 1)}")
    print(f"slowest record of a writer: median {statistics.median(slowest):.1f} ms, "
          f"max {max(slowest):.1f} ms; mean record {statistics.mean(means):.2f} ms")


if __name__ == "__main__":
    t.main("linkdb_gc_concurrency", body)

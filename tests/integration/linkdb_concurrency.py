#!/usr/bin/env python3
"""linkdb concurrency: 16 processes each record 200 compiles and 50 links (with
real objects) into one database at the same moment.

Asserts: every writer exits 0; `pyweld db info --json` counts exactly 3,200
compiles, 800 links and 16 builds, and one object per distinct content
(3,200 compile objects + 800 unique link objects + the 20 shared pool
objects, deduplicated); the store holds exactly those files; `pyweld db
check` is clean (exit 0, JSON "ok"); every record is complete (inputs in
order, PyInit_ext found, objects with their symbols); and the writers really
ran at once (their records interleave).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linkdb_testlib as t  # noqa: E402

WRITERS = 16
COMPILES = 200
LINKS = 50
POOL = 20


def body(ctx):
    db = ctx.path("shared.linkdb")
    ctx.db_ok("create", "--db", db)
    ctx.pool()
    go = ctx.path("go")
    procs = ctx.start_writers(db, WRITERS, COMPILES, LINKS, go)
    start = time.monotonic()
    open(go, "w").close()            # all writers start now
    for w, p in enumerate(procs):
        out, err = p.communicate(timeout=600)
        t.expect(p.returncode == 0,
                 f"writer w{w} exited {p.returncode}:\n{err.decode(errors='replace')}")
        t.expect(out.decode().strip() ==
                 f"recorded {COMPILES} compiles and {LINKS} links (w{w})",
                 f"writer w{w} said {out!r}")
    elapsed = time.monotonic() - start

    info = ctx.db_json("info", "--db", db)
    t.expect(info["compiles"] == WRITERS * COMPILES,
             f"{info['compiles']} compiles, expected {WRITERS * COMPILES}")
    t.expect(info["links"] == WRITERS * LINKS,
             f"{info['links']} links, expected {WRITERS * LINKS}")
    t.expect(info["builds"] == WRITERS, f"{info['builds']} builds, expected {WRITERS}")
    t.expect(info["archives"] == 0, f"{info['archives']} archives, expected 0")
    objects = WRITERS * COMPILES + WRITERS * LINKS + POOL
    t.expect(info["objects"] == objects, f"{info['objects']} objects, expected {objects}")
    t.expect(info["store_files"] == objects,
             f"{info['store_files']} store files, expected {objects}")
    tmp = os.path.join(info["store"], "tmp")
    t.expect(os.listdir(tmp) == [], f"temporaries left in '{tmp}': {os.listdir(tmp)[:5]}")

    p = ctx.db_ok("check", "--db", db)
    want = (f"'{db}' is consistent: {WRITERS * (COMPILES + LINKS)} records, "
            f"{objects} objects verified")
    t.expect(p.out.strip() == want, f"check said {p.out!r}, expected {want!r}")
    t.expect(p.err == "", f"check wrote to stderr: {p.err!r}")
    j = ctx.db_json("check", "--db", db)
    t.expect(j["ok"] is True and j["problems"] == [], f"check --json: {j}")

    compiles, links = t.verify_records(db)
    t.expect((compiles, links) == (WRITERS * COMPILES, WRITERS * LINKS),
             f"sqlite counts {compiles}, {links}")

    # Each writer's records are all there, and the writers overlapped: the
    # compile ids of a build are not one contiguous run.
    con = t.ro_sqlite(db)
    per_build = con.execute(
        "SELECT b.note, (SELECT count(*) FROM compile WHERE build = b.id),"
        " (SELECT count(*) FROM link WHERE build = b.id),"
        " (SELECT max(id) - min(id) + 1 FROM compile WHERE build = b.id)"
        " FROM build b ORDER BY b.id").fetchall()
    con.close()
    t.expect(sorted(n for n, *_ in per_build) == sorted(f"w{w}" for w in range(WRITERS)),
             f"builds: {[n for n, *_ in per_build]}")
    for note, nc, nl, span in per_build:
        t.expect((nc, nl) == (COMPILES, LINKS), f"writer {note}: {nc} compiles, {nl} links")
    interleaved = sum(1 for *_, span in per_build if span > COMPILES)
    t.expect(interleaved >= WRITERS // 2,
             f"only {interleaved} of {WRITERS} writers' records interleave: "
             f"they did not run at once")
    print(f"{WRITERS} writers x ({COMPILES} compiles + {LINKS} links) in "
          f"{elapsed:.2f} s; {interleaved} interleaved")


if __name__ == "__main__":
    t.main("linkdb_concurrency", body)

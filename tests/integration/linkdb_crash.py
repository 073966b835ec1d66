#!/usr/bin/env python3
"""linkdb crash safety: writers killed with SIGKILL at random moments, 50 times.

Each round starts 3 writers on one database at the same moment, each with
more work than it can finish, and kills each with SIGKILL at its own random
moment within KILL_WINDOW seconds (so deaths fall in start-up, in file
stores, in transactions and between them).  After every round:
  - `pyweld db check` exits 0 (SQLite integrity, references, every stored
    object present with the hash it is named by);
  - every surviving record is complete: each link has all 7 of its inputs in
    order and its PyInit_ext, each compile its hashed source and its object,
    each object its symbols (linkdb_testlib.verify_records);
  - no record vanished (counts never go down).
At the end: writers were really killed at work and records were written
between kills; `pyweld db gc --min-age 0` removes exactly the abandoned
temporaries and drops no object row; check stays clean; and the database
still accepts writes (a writer runs to completion and the counts go up by
exactly what it wrote).

The seed is printed; PYWELD_TEST_SEED=N reproduces a run.
"""
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linkdb_testlib as t  # noqa: E402

ROUNDS = 50
WRITERS = 3
COMPILES = 4000                      # more than a writer finishes in KILL_WINDOW
LINKS = 1000
KILL_WINDOW = 0.35                   # seconds


def start_round(ctx, db, tag):
    go = ctx.path(f"go-{tag}")
    procs = [subprocess.Popen(
        ctx.writer_argv(db, ctx.path(f"w{k}"), COMPILES, LINKS, f"{tag}w{k}",
                        wait_for=go),
        env=ctx.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for k in range(WRITERS)]
    time.sleep(0.02)                 # let them load the pool and wait
    open(go, "w").close()
    return procs, time.monotonic()


def body(ctx):
    seed = int(os.environ.get("PYWELD_TEST_SEED", time.time_ns() % 1_000_000))
    print(f"seed {seed} (PYWELD_TEST_SEED={seed} reproduces this run)")
    rng = random.Random(seed)
    db = ctx.path("crash.linkdb")
    ctx.db_ok("create", "--db", db)
    ctx.pool()

    # First a complete run: the writer works, so its deaths below mean something.
    ctx.write(db, ctx.path("first"), 40, 10, "first")
    last = first = t.verify_records(db)
    t.expect(first == (40, 10), f"the first writer wrote {first}")

    kills = 0
    for r in range(ROUNDS):
        procs, t0 = start_round(ctx, db, f"r{r}")
        deaths = sorted((rng.uniform(0.0, KILL_WINDOW), k) for k in range(WRITERS))
        for when, k in deaths:
            time.sleep(max(0.0, t0 + when - time.monotonic()))
            procs[k].send_signal(signal.SIGKILL)
        for p in procs:
            _, err = p.communicate(timeout=60)
            t.expect(p.returncode == -signal.SIGKILL,
                     f"round {r}: a writer ended with {p.returncode} before it "
                     f"was killed:\n{err.decode(errors='replace')}")
            kills += 1

        c = ctx.db("check", "--db", db)
        t.expect(c.returncode == 0, f"round {r}: check exited {c.returncode}:\n"
                 f"{c.err}{c.out}")
        now = t.verify_records(db)
        t.expect(now[0] >= last[0] and now[1] >= last[1],
                 f"round {r}: records vanished: {last} -> {now}")
        last = now

    t.expect(last[0] > first[0] and last[1] > first[1],
             f"no records were written between kills: {first} -> {last}")
    # Abandoned temporaries are gc's to remove, and only those go.
    info = ctx.db_json("info", "--db", db)
    tmp = os.path.join(info["store"], "tmp")
    temps = len(os.listdir(tmp))
    gc = ctx.db_json("gc", "--db", db, "--min-age", "0")
    t.expect(gc["temps_removed"] == temps,
             f"gc removed {gc['temps_removed']} temporaries of {temps}")
    t.expect(gc["rows_dropped"] == 0, f"gc dropped {gc['rows_dropped']} object rows: "
             "a killed writer left an object row no record references")
    t.expect(os.listdir(tmp) == [], f"temporaries left after gc: {os.listdir(tmp)[:5]}")
    ctx.db_ok("check", "--db", db)
    after_gc = ctx.db_json("info", "--db", db)
    t.expect(after_gc["store_files"] == after_gc["objects"],
             f"{after_gc['store_files']} store files for {after_gc['objects']} objects")

    # The database still takes writes.
    ctx.write(db, ctx.path("final"), 20, 5, "final")
    ctx.db_ok("check", "--db", db)
    final = t.verify_records(db)
    t.expect(final == (last[0] + 20, last[1] + 5), f"after the final write: {final}, "
             f"expected {(last[0] + 20, last[1] + 5)}")
    print(f"{ROUNDS} rounds, {kills} writers killed; "
          f"{final[0]} compiles and {final[1]} links survive; gc removed {temps} "
          f"temporaries and {gc['files_removed']} orphaned store files")


if __name__ == "__main__":
    t.main("linkdb_crash", body)

#!/usr/bin/env python3
"""linkdb bad input: damaged databases and stores, read-only places, and paths
with spaces and non-ASCII characters, through the real `pyweld db`.

For every bad input, every command tried must: exit 1, print a first line
starting "pyweld: error:" (or "linkdb_writer: error:" for the writer) that
names the file, and leave everything as it was: each file that existed has
the same bytes afterwards (SHA-256), and nothing new appears except SQLite's
own "-wal"/"-shm" files beside a database it could open, left empty.

  default           truncated (100 bytes, half, half on a page boundary),
                    random garbage, intact header with garbage pages, a
                    directory, another application's SQLite file, a newer
                    schema, an altered and a missing store file, and the
                    spaces-and-non-ASCII path end to end
  --only readonly   a read-only directory and a read-only database file, as
                    an unprivileged user (tests usually run as root, which
                    permission checks do not stop: the commands run through
                    setpriv or runuser as 'nobody'); exit 77 when that is
                    impossible, saying why
"""
import json
import os
import random
import shutil
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linkdb_testlib as t  # noqa: E402

# gc --dry-run only reads: it works wherever reading works.
READ_COMMANDS = [["info"], ["check"], ["compiles"], ["links"], ["show", "link:1"],
                 ["objects", "--json"], ["gc", "--dry-run", "--min-age", "0"]]
ALL_COMMANDS = READ_COMMANDS + [["gc", "--min-age", "0"]]


def first_line(text):
    return text.splitlines()[0] if text else ""


def expect_error(p, what, path, *parts, prog="pyweld"):
    t.expect(p.returncode == 1, f"{what}: exit {p.returncode}, expected 1\n{p.err}{p.out}")
    line = first_line(p.err)
    t.expect(line.startswith(f"{prog}: error:"),
             f"{what}: first line of stderr is {line!r}, expected '{prog}: error: ...'")
    t.expect(path in p.err, f"{what}: the message does not name '{path}':\n{p.err}")
    for part in parts:
        t.expect(part in p.err, f"{what}: expected {part!r} in:\n{p.err}")


def expect_untouched(root, before, db, what):
    after = t.snapshot(root)
    for k, v in before.items():
        t.expect(after.get(k) == v, f"{what}: '{os.path.join(root, k)}' changed"
                 f" ({v[:12]} -> {str(after.get(k))[:12]})")
    name = os.path.relpath(db, root) if db else None
    for k in sorted(set(after) - set(before)):
        ok = name is not None and k in (name + "-wal", name + "-shm")
        t.expect(ok, f"{what}: '{os.path.join(root, k)}' appeared")
        if k == f"{name}-wal":
            size = os.path.getsize(os.path.join(root, k))
            t.expect(size == 0, f"{what}: SQLite wrote {size} bytes to '{k}'")


def make_good(ctx, where, compiles=10, links=4, prefix=(), pool=None):
    """A database with records, written by the writer, checked clean."""
    os.makedirs(where, exist_ok=True)
    db = os.path.join(where, "good.linkdb")
    p = ctx.run(ctx.writer_argv(db, os.path.join(where, "work"), compiles, links,
                                "good", create=True, pool=pool), prefix=prefix)
    t.expect(p.returncode == 0, f"writing '{db}' failed:\n{p.err}")
    ctx.db_ok("check", "--db", db, prefix=prefix)
    return db


def copy_case(good, case_dir):
    """Copies the good database and its store into a case directory."""
    os.makedirs(case_dir)
    db = os.path.join(case_dir, "db.linkdb")
    shutil.copyfile(good, db)
    shutil.copytree(good + ".store", db + ".store", symlinks=True)
    return db


def try_everything(ctx, case, db, *parts, commands=ALL_COMMANDS, writer=True,
                   create_says="already exists"):
    """Runs every command on db; each must fail cleanly, changing nothing."""
    root = os.path.dirname(db)
    before = t.snapshot(root)
    for cmd in commands:
        p = ctx.db(*cmd, "--db", db)
        expect_error(p, f"{case}: 'db {' '.join(cmd)}'", db, *parts)
    if writer:
        p = ctx.run(ctx.writer_argv(db, ctx.path("work-" + case), 3, 1, case))
        expect_error(p, f"{case}: writer", db, prog="linkdb_writer")
    p = ctx.db("create", "--db", db)
    expect_error(p, f"{case}: 'db create'", db, create_says)
    expect_untouched(root, before, db, case)


def damaged_files(ctx, good):
    data = open(good, "rb").read()
    page = int.from_bytes(data[16:18], "big")
    t.expect(len(data) >= 8 * page, f"the good database is only {len(data)} bytes")
    rng = random.Random(1350129508)

    db = copy_case(good, ctx.path("cut100"))
    open(db, "wb").write(data[:100])
    try_everything(ctx, "cut100", db, "truncated or not a database (100 bytes)")

    db = copy_case(good, ctx.path("half"))
    open(db, "wb").write(data[:len(data) // 2 + 7])
    try_everything(ctx, "half", db)

    db = copy_case(good, ctx.path("half-page"))
    open(db, "wb").write(data[:(len(data) // 2) // page * page])
    try_everything(ctx, "half-page", db)

    db = copy_case(good, ctx.path("garbage"))
    open(db, "wb").write(rng.randbytes(65536))
    try_everything(ctx, "garbage", db, "not a SQLite database or is damaged")

    # The header page intact, every other page garbage: SQLite opens it, and
    # every command fails on the first damaged page it meets, naming the file.
    db = copy_case(good, ctx.path("garbage-pages"))
    open(db, "wb").write(data[:page] + rng.randbytes(len(data) - page))
    try_everything(ctx, "garbage-pages", db)

    db = ctx.path("dir", "a-directory.linkdb")
    os.makedirs(db)
    try_everything(ctx, "directory", db, "not a regular file",
                   create_says="not a regular file")

    # Another application's SQLite database: refused, not converted to WAL.
    os.mkdir(ctx.path("foreign"))
    db = ctx.path("foreign", "app.sqlite")
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE settings(k, v)")
    con.execute("INSERT INTO settings VALUES ('theme', 'dark')")
    con.commit()
    con.close()
    try_everything(ctx, "foreign", db, "not a pyweld link database")

    db = copy_case(good, ctx.path("newer"))
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    try_everything(ctx, "newer", db, "schema version 99 is newer")


def damaged_store(ctx, good):
    for case in ("altered", "missing"):
        db = copy_case(good, ctx.path(case))
        objs = ctx.db_json("objects", "--db", db)
        t.expect(len(objs) >= 10, f"only {len(objs)} objects")
        victim = sorted(o["hash"] for o in objs)[len(objs) // 2]
        store = os.path.join(db + ".store", victim[:2], victim)
        if case == "altered":
            os.chmod(store, 0o644)
            data = bytearray(open(store, "rb").read())
            data[len(data) // 2] ^= 0x5A
            open(store, "wb").write(data)
            os.chmod(store, 0o444)
            part = "was altered"
        else:
            os.unlink(store)
            part = "is missing"
        root = os.path.dirname(db)
        before = t.snapshot(root)
        p = ctx.db("check", "--db", db)
        expect_error(p, f"{case} store file: check", f"object:{victim}", store, part)
        t.expect(first_line(p.err).startswith(f"pyweld: error: check 'object:{victim}': "
                                              f"store file '{store}' {part}"),
                 f"{case}: {first_line(p.err)!r}")
        t.expect(p.err.splitlines()[-1] == f"pyweld: error: '{db}' has 1 problem",
                 f"{case}: last line {p.err.splitlines()[-1]!r}")
        p = ctx.db("check", "--json", "--db", db)
        t.expect(p.returncode == 1, f"{case}: check --json exited {p.returncode}")
        j = json.loads(p.out)
        t.expect(j["ok"] is False and len(j["problems"]) == 1 and
                 j["problems"][0]["subject"] == f"object:{victim}", f"{case}: {j}")
        # The records themselves are still readable.
        info = ctx.db_json("info", "--db", db)
        t.expect(info["compiles"] == 10 and info["links"] == 4, f"{case}: {info}")
        expect_untouched(root, before, db, f"{case} store file")


def odd_path(ctx):
    """Spaces and non-ASCII characters in every path, end to end."""
    base = ctx.path("dir with spaces", "ünïcödé ☃ 目录")
    pool = os.path.join(base, "pool dir é")
    p = ctx.run([ctx.writer, "pool", pool, ctx.cc])
    t.expect(p.returncode == 0, f"pool at '{pool}':\n{p.err}")
    db = os.path.join(base, "my link db ✓.linkdb")
    work = os.path.join(base, "work ü")
    create = ctx.db_ok("create", "--db", db)
    t.expect(create.out.strip().startswith(f"created link database '{db}'"), create.out)
    p = ctx.run(ctx.writer_argv(db, work, 10, 4, "tag ☃", pool=pool))
    t.expect(p.returncode == 0, f"writer at '{db}':\n{p.err}")
    info = ctx.db_json("info", "--db", db)
    t.expect(info["path"] == db and info["store"] == db + ".store", f"{info}")
    t.expect((info["compiles"], info["links"]) == (10, 4), f"{info}")
    p = ctx.db_ok("check", "--db", db)
    # 10 compile objects, 4 unique link objects, 12 pool objects the links use
    t.expect(p.out.strip() == f"'{db}' is consistent: 14 records, 26 objects verified",
             f"check said {p.out!r}")
    compiles = ctx.db_json("compiles", "--db", db)
    t.expect(all(c["cwd"] == work for c in compiles), f"cwd: {compiles[0]['cwd']!r}")
    t.expect(work in ctx.db_ok("compiles", "--db", db).out, "text listing lost the path")
    shown = ctx.db_json("show", "link:1", "--db", db)
    t.expect(shown["kind"] == "link" and shown["link"]["cwd"] == work, f"{shown['link']}")
    values = [i["value"] for i in shown["input"]]
    t.expect(values[0] == os.path.join(pool, "pool00.o") and values[1] == "u0.o",
             f"inputs: {values}")
    builds = ctx.db_json("builds", "--db", db)
    t.expect(builds[0]["note"] == "tag ☃", f"note: {builds[0]['note']!r}")
    ctx.db_ok("gc", "--dry-run", "--db", db)
    t.verify_records(db)

    # Errors at such paths name them exactly.
    missing = os.path.join(base, "nope ✗.linkdb")
    p = ctx.db("info", "--db", missing)
    expect_error(p, "missing odd path", missing, "no such file")
    broken = os.path.join(base, "broken ✗.linkdb")
    open(broken, "wb").write(open(db, "rb").read()[:100])
    before = t.snapshot(base)
    p = ctx.db("check", "--db", broken)
    expect_error(p, "truncated odd path", broken, "truncated")
    expect_untouched(base, before, broken, "truncated odd path")


# --- read-only places ---------------------------------------------------------------

def unprivileged(ctx):
    """argv prefix that runs a command as an unprivileged user, or Skip."""
    if os.geteuid() != 0:
        return ()
    tried = []
    for prefix in (("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"),
                   ("runuser", "-u", "nobody", "--")):
        if not shutil.which(prefix[0]):
            tried.append(f"{prefix[0]}: not installed")
            continue
        try:
            p = ctx.run(["id", "-u"], prefix=prefix)
        except OSError as e:
            tried.append(f"{prefix[0]}: {e}")
            continue
        if p.returncode == 0 and p.out.strip() not in ("", "0"):
            q = ctx.run([ctx.pyweld, "--version"], prefix=prefix)
            if q.returncode != 0:
                raise t.Skip(f"an unprivileged user cannot run '{ctx.pyweld}' "
                             f"(a directory on its path is not searchable): {q.err}")
            return prefix
        tried.append(f"{prefix[0]}: exit {p.returncode} {p.err.strip()}")
    raise t.Skip("running as root, and no way to drop to an unprivileged user "
                 "(root ignores permissions): " + "; ".join(tried))


def readonly_places(ctx):
    prefix = unprivileged(ctx)
    os.chmod(ctx.dir, 0o755)
    ctx.pool()
    for dirpath, dirnames, filenames in os.walk(ctx.dir):
        for n in dirnames:
            os.chmod(os.path.join(dirpath, n), 0o755)
        for n in filenames:
            os.chmod(os.path.join(dirpath, n), 0o644)

    def owned_dir(name):
        d = ctx.path(name)
        os.mkdir(d, 0o755)
        if os.geteuid() == 0:
            shutil.chown(d, "nobody", "nogroup" if _group("nogroup") else None)
        return d

    scratch = owned_dir("scratch")   # where the unprivileged writers may work

    # 1. A read-only directory holding a database, as a writer leaves it
    #    (no -wal or -shm beside it): SQLite cannot open a WAL database
    #    without creating them, so every command, reading or writing, fails.
    ro = owned_dir("ro dir")
    db = make_good(ctx, ro, prefix=prefix)
    forget_wal(db)
    os.chmod(ro, 0o555)
    before = t.snapshot(ro)
    for cmd in ALL_COMMANDS:
        p = ctx.db(*cmd, "--db", db, prefix=prefix)
        expect_error(p, f"read-only directory: 'db {' '.join(cmd)}'", db,
                     f"its directory '{ro}' is not writable (Permission denied)")
    new = os.path.join(ro, "new.linkdb")
    p = ctx.db("create", "--db", new, prefix=prefix)
    expect_error(p, "read-only directory: 'db create'", new, "Permission denied")
    t.expect(not os.path.exists(new), f"'{new}' was created")
    p = ctx.run(ctx.writer_argv(db, os.path.join(scratch, "work-ro"), 3, 1, "ro"),
                prefix=prefix)
    expect_error(p, "read-only directory: writer", db, "not writable",
                 prog="linkdb_writer")
    t.expect(t.snapshot(ro) == before, "read-only directory: its content changed")

    # 1b. The whole tree read-only (chmod -R a-w): the database file too, and
    #     the store.  Writers are refused for the file, readers for the
    #     directory; either way the message names the database.
    rot = owned_dir("ro tree")
    db = make_good(ctx, rot, prefix=prefix)
    forget_wal(db)
    for dirpath, dirnames, filenames in os.walk(rot, topdown=False):
        for n in filenames:
            os.chmod(os.path.join(dirpath, n), 0o444)
        for n in dirnames:
            os.chmod(os.path.join(dirpath, n), 0o555)
    os.chmod(rot, 0o555)
    before = t.snapshot(rot)
    for cmd in READ_COMMANDS:
        p = ctx.db(*cmd, "--db", db, prefix=prefix)
        expect_error(p, f"read-only tree: 'db {' '.join(cmd)}'", db,
                     "is not writable (Permission denied)")
    p = ctx.db("gc", "--db", db, prefix=prefix)
    expect_error(p, "read-only tree: gc", db, "cannot write link database",
                 "Permission denied")
    p = ctx.run(ctx.writer_argv(db, os.path.join(scratch, "work-rot"), 3, 1, "rot"),
                prefix=prefix)
    expect_error(p, "read-only tree: writer", db, "Permission denied",
                 prog="linkdb_writer")
    t.expect(t.snapshot(rot) == before, "read-only tree: its content changed")

    # 2. A read-only database file in a writable directory: reads work,
    #    writes are refused up front.
    rof = owned_dir("ro file")
    db = make_good(ctx, rof, prefix=prefix)
    os.chmod(db, 0o444)
    before = t.snapshot(rof)
    for cmd in READ_COMMANDS:
        ctx.db_ok(*cmd, "--db", db, prefix=prefix)
    p = ctx.db("gc", "--min-age", "0", "--db", db, prefix=prefix)
    expect_error(p, "read-only file: gc", db, "cannot write link database",
                 "Permission denied")
    p = ctx.run(ctx.writer_argv(db, os.path.join(scratch, "work-rof"), 3, 1, "rof"),
                prefix=prefix)
    expect_error(p, "read-only file: writer", db, "Permission denied",
                 prog="linkdb_writer")
    expect_untouched(rof, before, db, "read-only file")


def forget_wal(db):
    """Removes the empty -wal and the -shm that read-only connections leave."""
    wal = db + "-wal"
    if os.path.exists(wal):
        t.expect(os.path.getsize(wal) == 0, f"'{wal}' still holds transactions")
        os.unlink(wal)
    if os.path.exists(db + "-shm"):
        os.unlink(db + "-shm")


def _group(name):
    try:
        import grp
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def body(ctx):
    if ctx.args.only == "readonly":
        readonly_places(ctx)
        return
    good = make_good(ctx, ctx.path("good"))
    damaged_files(ctx, good)
    damaged_store(ctx, good)
    odd_path(ctx)


if __name__ == "__main__":
    t.main("linkdb_badinput", body,
           extra_args=lambda ap: ap.add_argument("--only", choices=["readonly"]))

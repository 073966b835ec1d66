"""Helpers shared by the linkdb integration tests (linkdb_*.py).

Each test runs in its own temporary directory (under $TMPDIR or /tmp),
removed when the test passes and left, its path printed, when it fails.
Programs run with a scrubbed environment and with argv lists, never a shell.
Exit status: 0 passed, 1 failed, 77 skipped (a prerequisite is absent).
"""
import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import traceback

SKIP = 77


class Failure(Exception):
    """An assertion of the test failed."""


class Skip(Exception):
    """A prerequisite is truly absent; the message says which."""


def expect(cond, msg):
    if not cond:
        raise Failure(msg)


def scrubbed_env():
    """PATH and a fixed locale; sanitizer settings pass through, nothing else."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8",
           "TZ": "UTC"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


class Context:
    def __init__(self, name, args):
        self.name = name
        self.args = args
        self.pyweld = os.path.abspath(args.pyweld)
        self.writer = os.path.abspath(args.writer)
        self.cc = args.cc
        base = os.environ.get("TMPDIR") or "/tmp"
        self.dir = tempfile.mkdtemp(prefix=f"pyweld-{name}-", dir=base)
        self.env = scrubbed_env()
        self._pool = None

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def run(self, argv, prefix=(), timeout=300, **kw):
        """Runs argv; returns CompletedProcess with text stdout/stderr."""
        p = subprocess.run(list(prefix) + list(argv), env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, **kw)
        p.out = p.stdout.decode("utf-8", "surrogateescape")
        p.err = p.stderr.decode("utf-8", "surrogateescape")
        return p

    def db(self, *args, prefix=()):
        """Runs `pyweld db ARGS`."""
        return self.run([self.pyweld, "db", *args], prefix=prefix)

    def db_ok(self, *args, prefix=()):
        p = self.db(*args, prefix=prefix)
        expect(p.returncode == 0, f"'pyweld db {' '.join(args)}' exited "
               f"{p.returncode}:\n{p.err}{p.out}")
        return p

    def db_json(self, *args, prefix=()):
        return json.loads(self.db_ok(*args, "--json", prefix=prefix).out)

    def pool(self):
        """The writer's object pool (compiled once per test)."""
        if self._pool is None:
            self._pool = self.path("pool")
            p = self.run([self.writer, "pool", self._pool, self.cc])
            expect(p.returncode == 0, f"making the object pool failed:\n{p.err}")
        return self._pool

    def writer_argv(self, db, work, compiles, links, tag, create=False,
                    wait_for=None, pool=None):
        argv = [self.writer, "write", "--db", db, "--pool", pool or self.pool(),
                "--work", work, "--compiles", str(compiles), "--links",
                str(links), "--tag", tag]
        if create:
            argv.append("--create")
        if wait_for:
            argv += ["--wait-for", wait_for]
        return argv

    def start_writers(self, db, n, compiles, links, go, extra=()):
        """n writers w0 ... w<n-1> on db, each with its own work directory and
        extra arguments, started and waiting for the file go to appear."""
        procs = []
        for w in range(n):
            argv = self.writer_argv(db, self.path(f"w{w}"), compiles, links, f"w{w}",
                                    wait_for=go)
            procs.append(subprocess.Popen(argv + list(extra), env=self.env,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        return procs

    def write(self, db, work, compiles, links, tag, create=False, prefix=()):
        p = self.run(self.writer_argv(db, work, compiles, links, tag, create),
                     prefix=prefix)
        expect(p.returncode == 0, f"writer {tag} exited {p.returncode}:\n{p.err}")
        return p


# Every link the writer records has exactly this many inputs (see
# linkdb_writer.c: three pool objects, one unique object, -L, -l, -Wl).
WRITER_LINK_INPUTS = 7
WRITER_LINK_KINDS = ["object", "object", "object", "libdir", "object", "lib", "flag"]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def snapshot(root):
    """{relative path: sha256 or 'dir'} of everything under root."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = "dir"
        for f in filenames:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = "link" if os.path.islink(p) else sha256(p)
    return out


def ro_sqlite(path):
    """A read-only SQLite connection that never writes the file."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def verify_records(db_path):
    """Every record the writer made is complete; returns (compiles, links)."""
    con = ro_sqlite(db_path)
    try:
        bad = con.execute(
            "SELECT l.id, count(i.seq), group_concat(i.kind, ',') FROM link l"
            " LEFT JOIN link_input i ON i.link = l.id GROUP BY l.id"
            " HAVING count(i.seq) != ?", (WRITER_LINK_INPUTS,)).fetchall()
        expect(not bad, f"links without all {WRITER_LINK_INPUTS} inputs: {bad[:5]}")
        bad = con.execute(
            "SELECT i.link, i.seq FROM link_input i WHERE i.kind = 'object' AND"
            " (i.object IS NULL OR NOT EXISTS"
            "  (SELECT 1 FROM object o WHERE o.hash = i.object))").fetchall()
        expect(not bad, f"object inputs without their object row: {bad[:5]}")
        kinds = con.execute(
            "SELECT DISTINCT group_concat(kind, ',') FROM"
            " (SELECT link, kind FROM link_input ORDER BY link, seq)"
            " GROUP BY link").fetchall()
        expect(all(k[0] == ",".join(WRITER_LINK_KINDS) for k in kinds),
               f"link inputs out of order: {kinds[:3]}")
        bad = con.execute(
            "SELECT l.id FROM link l WHERE (SELECT count(*) FROM link_init n"
            " WHERE n.link = l.id AND n.symbol = 'PyInit_ext') != 1").fetchall()
        expect(not bad, f"links without their PyInit_ext: {bad[:5]}")
        bad = con.execute(
            "SELECT c.id FROM compile c WHERE c.object IS NULL OR NOT EXISTS"
            " (SELECT 1 FROM object o WHERE o.hash = c.object)").fetchall()
        expect(not bad, f"compiles without their object: {bad[:5]}")
        bad = con.execute(
            "SELECT c.id FROM compile c WHERE (SELECT count(*) FROM compile_source s"
            " WHERE s.compile = c.id AND s.hash IS NOT NULL) != 1").fetchall()
        expect(not bad, f"compiles without their hashed source: {bad[:5]}")
        bad = con.execute(
            "SELECT a.id FROM archive a WHERE NOT EXISTS (SELECT 1 FROM object o"
            " WHERE o.hash = a.object AND o.kind = 'archive')").fetchall()
        expect(not bad, f"archives without their archive object: {bad[:5]}")
        bad = con.execute(
            "SELECT o.hash, o.kind FROM object o WHERE o.kind NOT IN ('object', 'archive')"
            " OR NOT EXISTS (SELECT 1 FROM symbol s WHERE s.object = o.hash AND"
            " s.defined = 1)").fetchall()
        expect(not bad, f"objects without their kind or symbols: {bad[:5]}")
        return (con.execute("SELECT count(*) FROM compile").fetchone()[0],
                con.execute("SELECT count(*) FROM link").fetchone()[0])
    finally:
        con.close()


def verify_store(db_path):
    """Every object row's store file exists, its content hashing to its name."""
    con = ro_sqlite(db_path)
    try:
        rows = con.execute("SELECT hash, size FROM object").fetchall()
    finally:
        con.close()
    store = db_path + ".store"
    for h, size in rows:
        p = os.path.join(store, h[:2], h)
        expect(os.path.isfile(p), f"object {h}: store file '{p}' is missing")
        expect(os.path.getsize(p) == size and sha256(p) == h,
               f"object {h}: store file '{p}' has other content")
    return len(rows)


def main(name, body, extra_args=None):
    """Parses --pyweld/--writer/--cc, runs body(ctx), exits 0/1/77."""
    ap = argparse.ArgumentParser(prog=name)
    ap.add_argument("--pyweld", required=True)
    ap.add_argument("--writer", required=True)
    ap.add_argument("--cc", default="cc")
    if extra_args:
        extra_args(ap)
    args = ap.parse_args()
    ctx = Context(name, args)
    try:
        body(ctx)
    except Skip as e:
        print(f"{name}: skipped: {e}")
        shutil.rmtree(ctx.dir, ignore_errors=True)
        sys.exit(SKIP)
    except BaseException as e:
        if isinstance(e, Failure):
            print(f"{name}: FAILED: {e}", file=sys.stderr)
        else:
            traceback.print_exc()
        print(f"{name}: test directory left at '{ctx.dir}'", file=sys.stderr)
        sys.exit(1)
    _make_removable(ctx.dir)
    shutil.rmtree(ctx.dir)
    print(f"{name}: passed")
    sys.exit(0)


def _make_removable(root):
    """Gives back write permission that a test took away from directories."""
    for dirpath, dirnames, _ in os.walk(root):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            if not os.path.islink(p):
                os.chmod(p, 0o755)

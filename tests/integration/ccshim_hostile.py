#!/usr/bin/env python3
"""ccshim_hostile.py: the wrapper compilers in hostile build environments.

pyweld's promise for `eval "$(pyweld env --db app.linkdb)"` is that the
build runs exactly as without it.  Each case here runs one build twice, from
identical copies of the source at the same path (so that paths the compiler
embeds, such as DW_AT_comp_dir, are the same): once plain, once through the
shims of `pyweld env`.  Then it compares the two: exit statuses, what the
build printed where that is comparable, and every file the build produced or
installed, byte for byte (contents, symlink targets, permission bits).  Where
recording applies, the link database must also hold the extension's link
(its PyInit symbol, the installed file's SHA-256) and `pyweld db check` must
be clean.

The cases:
  ccache_path      markupsafe with Debian's ccache masquerade directory first
                   on PATH (PATH=/usr/lib/ccache:$PATH)
  ccache_launcher  markupsafe with CC="ccache gcc"
  ccache_symlink   markupsafe with CC=/usr/lib/ccache/gcc
  clang            markupsafe with CC=clang; and `gcc -c` by name still runs gcc
  distcc           markupsafe with CC="distcc gcc" and a private distccd on
                   127.0.0.1 (its log must show the remote compile)
  distcc_gcc_elsewhere
                   the same with the gcc on PATH outside /usr/bin
  make_deps        a Makefile project, make -j2, objects with -MD and a shared
                   object linked straight from its source with -MMD -MF; then
                   one header is touched and the rebuild must remake exactly
                   the same files as the plain rebuild, and the right ones
  exit_1, exit_130, exit_139
                   a "real compiler" that exits normally with that status
  sigterm          a "real compiler" killed by SIGTERM
                   (the build, direct commands and make, must see exactly the
                   same status, output and files as without pyweld)

markupsafe 2.1.5 comes from the pinned sdists of tests/prepare-python.sh.
Run with the venv python of that script:

    VENV/bin/python ccshim_hostile.py --bin build/bin --sdists CACHE/sdists [CASE...]

--list shows the cases, --keep keeps the temporary directories (a failed
case always keeps its own and prints its path).  Exit status: 0 all passed,
1 a case failed, 77 a prerequisite is truly absent (said why), 2 usage.
"""

import argparse
import hashlib
import json
import os
import resource
import shutil
import socket
import stat
import subprocess
import sys
import tarfile
import tempfile
import time

SKIP = 77
SDIST = "MarkupSafe-2.1.5.tar.gz"
# Both builds of a case get the same fixed time, so that pip's wheel and
# its .pyc files (hash-based under SOURCE_DATE_EPOCH) do not depend on when
# the build ran.
EPOCH = "1700000000"


class Failure(Exception):
    """A check failed: most often, the build through pyweld was not the plain
    build."""


class Skip(Exception):
    """A prerequisite is truly absent."""


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def check_eq(actual, expected, what):
    if actual != expected:
        raise Failure("%s:\n    expected %r\n    actual   %r" % (what, expected, actual))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def no_core():
    """Child set-up: a status-139 test must not leave core files about."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def status_text(rc):
    """A subprocess return code as a person reads it."""
    if rc < 0:
        return "killed by signal %d" % -rc
    return "exit %d" % rc


def need(prog, path, why):
    found = shutil.which(prog, path=path)
    if not found:
        raise Skip("'%s' is not installed (%s)" % (prog, why))
    return found


# --- comparing trees --------------------------------------------------------


def snapshot(root):
    """{relative path: (kind, permission bits, content hash or link target)}."""
    tree = {}
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for name in dirs + sorted(files):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                tree[rel] = ("symlink", 0, os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                tree[rel] = ("dir", st.st_mode & 0o7777, "")
            elif stat.S_ISREG(st.st_mode):
                tree[rel] = ("file", st.st_mode & 0o7777, sha256(path))
            else:
                tree[rel] = ("other", st.st_mode, "")
    return tree


def elf_sections(path):
    """[(name, offset, size)] of an ELF file's sections, [] when not ELF."""
    out = subprocess.run(["readelf", "-S", "-W", path], capture_output=True, text=True)
    found = []
    for line in out.stdout.splitlines():
        line = line.strip()
        if not line.startswith("["):
            continue
        parts = line[line.index("]") + 1:].split()
        if len(parts) < 5 or parts[0] == "Name":
            continue
        try:
            found.append((parts[0], int(parts[3], 16), int(parts[4], 16)))
        except ValueError:
            continue
    return found


def explain(a, b):
    """Why two files differ, in one or two lines: size, first differing
    byte, and for ELF files the sections that differ."""
    with open(a, "rb") as f:
        da = f.read()
    with open(b, "rb") as f:
        db = f.read()
    first = next((i for i, (x, y) in enumerate(zip(da, db)) if x != y), min(len(da), len(db)))
    text = "sizes %d/%d, first difference at byte %d" % (len(da), len(db), first)
    if da[:4] == b"\x7fELF" and db[:4] == b"\x7fELF":
        sa = {n: da[o:o + s] for n, o, s in elf_sections(a)}
        sb = {n: db[o:o + s] for n, o, s in elf_sections(b)}
        names = sorted(set(sa) | set(sb))
        diff = [n for n in names if sa.get(n) != sb.get(n)]
        text += "; ELF sections that differ: %s" % (", ".join(diff) or "none")
        dyn = []
        for p in (a, b):
            out = subprocess.run(["readelf", "-d", "-W", p], capture_output=True, text=True)
            dyn.append({" ".join(l.split()[1:]) for l in out.stdout.splitlines()
                        if l.strip().startswith("0x")})
        only_a, only_b = sorted(dyn[0] - dyn[1]), sorted(dyn[1] - dyn[0])
        if only_a or only_b:
            text += "\n        dynamic entries only plain: %s\n        only through pyweld: %s" % (
                only_a, only_b)
    elif b"\0" not in da[:4096] + db[:4096]:
        la, lb = da.decode(errors="replace").splitlines(), db.decode(errors="replace").splitlines()
        for x, y in zip(la + ["<end>"], lb + ["<end>"]):
            if x != y:
                text += "\n        plain:  %r\n        pyweld: %r" % (x[:300], y[:300])
                break
    return text


class Findings:
    """Differences collected over a whole case, so that one run shows them
    all; raise_any() turns them into one Failure."""

    def __init__(self):
        self.items = []

    def eq(self, actual, expected, what):
        if isinstance(actual, dict) and isinstance(expected, dict) and actual != expected:
            keys = sorted(k for k in set(actual) | set(expected)
                          if actual.get(k) != expected.get(k))
            actual = {k: actual.get(k) for k in keys}
            expected = {k: expected.get(k) for k in keys}
        if actual != expected:
            self.items.append("%s:\n    expected %r\n    actual   %r" % (what, expected, actual))

    def add(self, text):
        self.items.append(text)

    def raise_any(self):
        if self.items:
            raise Failure("\n  ".join(self.items))


def tree_diff(plain_root, plain, shim_root, shim, what):
    """A text listing every path that differs between the two snapshots, or
    None when they are the same."""
    problems = []
    for rel in sorted(set(plain) | set(shim)):
        a, b = plain.get(rel), shim.get(rel)
        if a == b:
            continue
        if a is None:
            problems.append("%s: only through pyweld" % rel)
        elif b is None:
            problems.append("%s: only in the plain build" % rel)
        elif a[0] != b[0]:
            problems.append("%s: a %s plain, a %s through pyweld" % (rel, a[0], b[0]))
        elif a[1] != b[1]:
            problems.append("%s: mode %o plain, %o through pyweld" % (rel, a[1], b[1]))
        elif a[0] == "symlink":
            problems.append("%s: points at %r plain, %r through pyweld" % (rel, a[2], b[2]))
        else:
            problems.append("%s: content differs (%s)" % (
                rel, explain(os.path.join(plain_root, rel), os.path.join(shim_root, rel))))
    if problems:
        return "%s differ from the plain build's:\n    %s" % (what, "\n    ".join(problems))
    return None


def compare_trees(found, plain_root, plain, shim_root, shim, what):
    """Adds to found what differs between the two trees."""
    text = tree_diff(plain_root, plain, shim_root, shim, what)
    if text:
        found.add(text)


# --- one case -----------------------------------------------------------------


class Case:
    """One case's temporary directory, environment and database."""

    def __init__(self, name, args):
        self.name = name
        self.args = args
        self.pyweld = os.path.join(args.bin, "pyweld")
        self.tmp = tempfile.mkdtemp(prefix="pyweld-hostile-%s-" % name)
        self.nlog = 0
        for d in ("home", "tmp", "db", "kept"):
            os.mkdir(os.path.join(self.tmp, d))
        self.db = os.path.join(self.tmp, "db", "app.linkdb")
        venv_bin = os.path.dirname(sys.executable)
        self.base_env = {
            "PATH": venv_bin + ":/usr/local/bin:/usr/bin:/bin",
            "HOME": os.path.join(self.tmp, "home"),
            "TMPDIR": os.path.join(self.tmp, "tmp"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "SOURCE_DATE_EPOCH": EPOCH,
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PYTHONNOUSERSITE": "1",
        }

    def log_path(self, what):
        self.nlog += 1
        return os.path.join(self.tmp, "%02d-%s.log" % (self.nlog, what))

    def run(self, argv, env, cwd, what):
        """Runs argv, output to a numbered log; returns (return code, output,
        the log's path)."""
        log = self.log_path(what)
        with open(log, "w") as f:
            f.write("$ %r\n" % (argv,))
            f.flush()
            rc = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=f,
                                stderr=subprocess.STDOUT, preexec_fn=no_core).returncode
        with open(log) as f:
            out = f.read()
        return rc, out, log

    def capture(self, argv, env, cwd):
        """Runs argv; returns (return code, stdout, stderr) as text."""
        p = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, errors="replace",
                           preexec_fn=no_core)
        return p.returncode, p.stdout, p.stderr

    def db_json(self, *args):
        out = subprocess.run([self.pyweld, "db", *args, "--db", self.db, "--json"],
                             env=self.base_env, stdin=subprocess.DEVNULL,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise Failure("pyweld db %s: %s: %s" % (" ".join(args), status_text(out.returncode),
                                                    out.stderr.strip()))
        return json.loads(out.stdout)

    def shim_env(self, env):
        """The environment `eval "$(pyweld env --db DB)"` makes of env.

        Returns (env, settings); PYWELD_STRICT=1 makes a recording failure
        fail the command, as in the rest of the test suite.
        """
        out = subprocess.run([self.pyweld, "env", "--db", self.db, "--json"], env=env,
                             cwd=self.tmp, stdin=subprocess.DEVNULL,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise Failure("pyweld env: %s: %s" % (status_text(out.returncode),
                                                  out.stderr.strip()))
        settings = json.loads(out.stdout)
        env = dict(env)
        for k, v in settings.items():
            if isinstance(v, str):
                env[k] = v
        env["PYWELD_STRICT"] = "1"
        return env, settings

    def keep(self, src, name):
        """Moves a finished plain build aside; returns where it is now."""
        dest = os.path.join(self.tmp, "kept", name)
        os.rename(src, dest)
        return dest

    def records(self, build):
        """(links, compiles) recorded in one build."""
        links = [l for l in self.db_json("links") if l["build"] == build]
        compiles = [c for c in self.db_json("compiles") if c["build"] == build]
        return links, compiles

    def check_link(self, build, init, path):
        """The build recorded a successful link whose output is the file at
        path (by SHA-256) and whose init symbols are init; the latest such
        link is checked (a rebuild may write the same bytes again)."""
        h = sha256(path)
        links, _ = self.records(build)
        mine = [l for l in links if l["output_hash"] == h and
                os.path.basename(l["output"]) == os.path.basename(path)]
        check(mine, "'%s' (sha256 %s) is the output of no link of build %d; recorded: %s"
              % (path, h, build, [(l["output"], l["output_hash"]) for l in links]))
        link = max(mine, key=lambda l: l["id"])
        check_eq(link["status"], 0, "status of the link of '%s'" % path)
        show = self.db_json("show", "link:%d" % link["id"])
        check_eq(sorted(i["symbol"] for i in show["init"]), sorted(init),
                 "init symbols of the link of '%s'" % path)
        return link, show

    def check_db(self):
        report = self.db_json("check")
        check(report["ok"] and not report["problems"],
              "pyweld db check: %s" % report["problems"])


def shim_complaints(out):
    """Lines the shims printed: a warning means something was not recorded."""
    return [l.strip() for l in out.splitlines() if "pyweld: warning" in l or "pyweld: error" in l]


# --- markupsafe through pip ----------------------------------------------------


def sdist_path(c):
    d = c.args.sdists
    if not d or not os.path.isdir(d):
        raise Skip("no sdists directory (run tests/prepare-python.sh; --sdists DIR)")
    path = os.path.join(d, SDIST)
    if not os.path.isfile(path):
        raise Skip("no '%s' in '%s' (run tests/prepare-python.sh)" % (SDIST, d))
    return path


def extract(sdist, where):
    """The sdist unpacked under where; returns its top directory."""
    os.makedirs(where)
    with tarfile.open(sdist) as t:
        t.extractall(where, filter="tar")
    (top,) = os.listdir(where)
    return os.path.join(where, top)


def pip_build(c, env, sdist, what):
    """pip install of markupsafe from a freshly unpacked sdist, built in place
    and installed with --prefix, both at fixed paths with a space in them (a
    .pyc holds its source's path, and --target would install through a
    randomly named temporary directory); returns (return code, output, log,
    the built source tree, the installed prefix)."""
    where = os.path.join(c.tmp, "src tree")
    prefix = os.path.join(c.tmp, "inst dir")
    src = extract(sdist, where)
    rc, out, log = c.run([sys.executable, "-m", "pip", "install", "-v", "--no-build-isolation",
                          "--no-deps", "--no-cache-dir", "--prefix", prefix, src],
                         env, c.tmp, what)
    return rc, out, log, src, prefix


def speedups(prefix):
    """The installed markupsafe/_speedups*.so files under prefix."""
    return [os.path.join(r, f) for r, _, fs in os.walk(prefix) for f in fs
            if f.startswith("_speedups.") and f.endswith(".so")]


def markupsafe_case(c, extra, before=None, after_plain=None, after_shim=None, found=None):
    """Builds markupsafe plain and through pyweld env with extra in the
    environment of both (before pyweld env runs, as a user would have it),
    and compares them.  before(env, label) runs before each build and returns
    the environment to use; after_plain(tree) checks that the plain build's
    scenario really happened (raising Failure), after_shim(tree, found) adds
    to found what differs in the build through pyweld; found may hold what
    the case found before."""
    sdist = sdist_path(c)
    env = dict(c.base_env)
    env.update(extra)
    penv = before(env, "plain") if before else env
    rc_plain, out, log, src, prefix = pip_build(c, penv, sdist, "pip-plain")
    check(rc_plain == 0, "the plain build failed (%s, log '%s'), so there is nothing to "
          "compare with:\n%s" % (status_text(rc_plain), log, out[-3000:]))
    # markupsafe falls back to pure Python, quietly, when its C extension
    # does not build: the plain build must have built it, or the case would
    # compare nothing.
    check(speedups(prefix), "the plain build installed no _speedups extension (log '%s')"
          % log)
    if after_plain:
        after_plain(src)
    plain_src = c.keep(os.path.dirname(src), "src tree")
    plain_prefix = c.keep(prefix, "inst dir")

    senv, settings = c.shim_env(env)
    if before:
        senv = before(senv, "pyweld")
    build = int(settings["PYWELD_BUILD"])
    rc_shim, out, log, src, prefix = pip_build(c, senv, sdist, "pip-pyweld")
    found = found or Findings()
    found.eq(status_text(rc_shim), status_text(rc_plain), "pip's status through pyweld")
    said = shim_complaints(out)
    if said:
        found.add("the shims complained during the build (log '%s'):\n    %s"
                  % (log, "\n    ".join(said)))
    if after_shim:
        after_shim(src, found)
    compare_trees(found, plain_prefix, snapshot(plain_prefix), prefix, snapshot(prefix),
                  "the installed files")
    compare_trees(found, plain_src, snapshot(plain_src), os.path.dirname(src),
                  snapshot(os.path.dirname(src)), "the built source trees")
    so = speedups(prefix)
    if len(so) != 1:
        found.add("markupsafe installed %d _speedups extensions through pyweld, not 1 "
                  "(log '%s')" % (len(so), log))
    else:
        try:
            check_records(c, build, so[0], src)
        except Failure as e:
            found.add(str(e))
    found.raise_any()
    return settings


def check_records(c, build, so, src):
    """The link database holds the link that wrote so, with the build's
    _speedups.o stored as its one object, and is consistent."""
    link, show = c.check_link(build, ["PyInit__speedups"], so)
    objs = [i for i in show["input"] if i["kind"] == "object"]
    check_eq([os.path.basename(i["value"]) for i in objs], ["_speedups.o"],
             "object inputs of the _speedups link")
    built = [os.path.join(r, f) for r, _, fs in os.walk(src) for f in fs if f == "_speedups.o"]
    check(len(built) == 1, "the build left %d _speedups.o, not 1" % len(built))
    check_eq(objs[0]["object"], sha256(built[0]),
             "stored object of _speedups.o versus the file the build left")
    c.check_db()


def ccache_before(c):
    """A fresh private ccache directory for each build; returns before()."""
    def before(env, label):
        env = dict(env, CCACHE_DIR=os.path.join(c.tmp, "ccache-" + label))
        return env
    return before


def ccache_stats(c, label):
    """ccache's counters (timestamps left out) for one build's directory."""
    env = dict(c.base_env, CCACHE_DIR=os.path.join(c.tmp, "ccache-" + label))
    rc, out, err = c.capture(["ccache", "--print-stats"], env, c.tmp)
    check(rc == 0, "ccache --print-stats: %s: %s" % (status_text(rc), err.strip()))
    stats = {}
    for line in out.splitlines():
        k, _, v = line.partition("\t")
        if v.strip().isdigit() and "timestamp" not in k:
            stats[k] = int(v)
    return stats


def ccache_checks(c):
    """after_plain and after_shim: both builds went through ccache, and
    ccache counted the same for both."""
    def after_plain(src):
        plain = ccache_stats(c, "plain")
        check(plain.get("cache_miss", 0) >= 1,
              "ccache was not used by the plain build (stats %s): the case tests nothing"
              % plain)

    def after_shim(src, found):
        found.eq(ccache_stats(c, "pyweld"), ccache_stats(c, "plain"),
                 "ccache's statistics through pyweld versus the plain build's")
    return after_plain, after_shim


def need_ccache(c):
    need("ccache", c.base_env["PATH"], "Debian package ccache")
    need("gcc", c.base_env["PATH"], "Debian package gcc")
    if not os.path.islink("/usr/lib/ccache/gcc"):
        raise Skip("no ccache masquerade directory /usr/lib/ccache (Debian package ccache)")


def case_ccache_path(c):
    """Debian's ccache masquerade directory first on PATH."""
    need_ccache(c)
    plain, shim = ccache_checks(c)
    markupsafe_case(c, {"PATH": "/usr/lib/ccache:" + c.base_env["PATH"]},
                    before=ccache_before(c), after_plain=plain, after_shim=shim)


def case_ccache_launcher(c):
    """CC="ccache gcc"."""
    need_ccache(c)
    plain, shim = ccache_checks(c)
    settings = markupsafe_case(c, {"CC": "ccache gcc"}, before=ccache_before(c),
                               after_plain=plain, after_shim=shim)
    check_eq(settings["real_tools"]["cc"],
             [shutil.which("ccache", path=c.base_env["PATH"]),
              shutil.which("gcc", path=c.base_env["PATH"])], "the real cc of pyweld env")


def case_ccache_symlink(c):
    """CC=/usr/lib/ccache/gcc (a symlink to ccache named like the compiler)."""
    need_ccache(c)
    plain, shim = ccache_checks(c)
    markupsafe_case(c, {"CC": "/usr/lib/ccache/gcc"}, before=ccache_before(c),
                    after_plain=plain, after_shim=shim)


def comment_of(path):
    out = subprocess.run(["readelf", "-p", ".comment", path], capture_output=True, text=True)
    return out.stdout


def by_name(c, extra, found):
    """With extra in the environment, `gcc -c` by name (as a Makefile that
    names its compiler does) runs gcc through pyweld as it does plainly.
    (The shim named cc stands for $CC by design: `cc` is not checked.)"""
    probe = os.path.join(c.tmp, "probe")
    os.mkdir(probe)
    with open(os.path.join(probe, "p.c"), "w") as f:
        f.write("int p(void) { return 42; }\n")
    env = dict(c.base_env, **extra)
    senv, _ = c.shim_env(env)
    got = []
    for label, e in (("plain", env), ("pyweld", senv)):
        obj = "gcc-%s.o" % label
        rc, out, err = c.capture(["gcc", "-c", "p.c", "-o", obj], e, probe)
        got.append((status_text(rc), out, err,
                    comment_of(os.path.join(probe, obj)).strip() if rc == 0 else ""))
    found.eq(got[1], got[0], "'gcc -c p.c' by name through pyweld: (status, stdout, "
             "stderr, the object's .comment)")


def case_clang(c):
    """CC=clang."""
    need("clang", c.base_env["PATH"], "Debian package clang")
    need("gcc", c.base_env["PATH"], "Debian package gcc")
    found = Findings()
    by_name(c, {"CC": "clang"}, found)

    def by_clang(src):
        objs = [os.path.join(r, f) for r, _, fs in os.walk(src) for f in fs
                if f == "_speedups.o"]
        check(objs and "clang version" in comment_of(objs[0]),
              "the plain build's _speedups.o was not compiled by clang: %r"
              % [comment_of(o) for o in objs])
    markupsafe_case(c, {"CC": "clang"}, after_plain=by_clang, found=found)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_distccd(c, log):
    """A distccd on 127.0.0.1 for this case only; returns (process, port).

    distccd compiles only with compilers named in its allow-list, the
    masquerade directory /usr/lib/distcc (gcc must be there), and refuses a
    compiler given by absolute path unless it is under /usr/bin or /bin
    ("cannot be an absolute path").  The client sends a bare "gcc" as
    x86_64-linux-gnu-gcc.  As root distccd drops to nobody, which cannot
    write into the case's directory, so its log goes to stderr, which we keep.
    """
    port = free_port()
    f = open(log, "w")
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TMPDIR": "/tmp"}
    p = subprocess.Popen(["distccd", "--daemon", "--no-detach", "--port", str(port),
                          "--allow", "127.0.0.1", "--listen", "127.0.0.1", "--jobs", "2",
                          "--log-stderr", "--log-level", "info"],
                         env=env, stdin=subprocess.DEVNULL, stdout=f, stderr=f,
                         cwd="/", preexec_fn=no_core)
    f.close()
    # Wait until it listens (or dies): a readiness poll, not a timing check.
    for _ in range(300):
        if p.poll() is not None:
            with open(log) as lf:
                raise Failure("distccd exited (%s) before listening:\n%s"
                              % (status_text(p.returncode), lf.read()[-2000:]))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p, port
        except OSError:
            time.sleep(0.1)
    p.terminate()
    p.wait()
    raise Failure("distccd never listened on 127.0.0.1:%d (log '%s')" % (port, log))


def remote_compiles(log):
    """distccd's COMPILE_OK lines for _speedups.c."""
    with open(log, errors="replace") as f:
        return [l.strip() for l in f if "COMPILE_OK" in l and "_speedups.c" in l]


def distcc_case(c, extra):
    """markupsafe with CC="distcc gcc" and extra in the environment, through
    a private distccd on 127.0.0.1: both builds must compile remotely."""
    need("distcc", c.base_env["PATH"], "Debian package distcc")
    need("distccd", "/usr/sbin:/usr/bin:/sbin:/bin", "Debian package distcc")
    need("gcc", c.base_env["PATH"], "Debian package gcc")
    if not os.path.lexists("/usr/lib/distcc/gcc"):
        raise Skip("distccd's allow-list /usr/lib/distcc has no gcc (run update-distcc-symlinks)")
    log = os.path.join(c.tmp, "distccd.log")
    d, port = start_distccd(c, log)
    def after_plain(src):
        check_eq(len(remote_compiles(log)), 1, "remote compiles of _speedups.c in "
                 "distccd's log '%s' after the plain build" % log)

    def after_shim(src, found):
        found.eq(len(remote_compiles(log)), 2, "remote compiles of _speedups.c in "
                 "distccd's log '%s' after both builds" % log)
    try:
        markupsafe_case(c, dict(extra, CC="distcc gcc", DISTCC_HOSTS="127.0.0.1:%d" % port),
                        after_plain=after_plain, after_shim=after_shim)
    finally:
        d.terminate()
        d.wait()


def case_distcc(c):
    """CC="distcc gcc" with a private distccd on 127.0.0.1."""
    distcc_case(c, {})


def case_distcc_gcc_elsewhere(c):
    """CC="distcc gcc" with the gcc on PATH outside /usr/bin (as a gcc in
    /usr/local/bin or /opt would be)."""
    tools = os.path.join(c.tmp, "tools")
    os.mkdir(tools)
    os.symlink(need("gcc", "/usr/bin:/bin", "Debian package gcc"), os.path.join(tools, "gcc"))
    distcc_case(c, {"PATH": tools + ":" + c.base_env["PATH"]})


# --- make -j2 with dependency files ------------------------------------------

MAKEFILE = """\
# Objects with -MD dependency files, an executable, a shared object linked
# from objects, and one linked straight from its source with -MMD -MF.
CFLAGS = -O2 -g -fPIC -Wall
OBJS = main.o a.o b.o c.o ext.o

all: prog hostile.so direct.so

prog: main.o a.o b.o
\t$(CC) -o $@ main.o a.o b.o

hostile.so: ext.o b.o c.o
\t$(CC) -shared -o $@ ext.o b.o c.o

direct.so: direct.c
\t$(CC) $(CFLAGS) -shared -MMD -MF direct.d direct.c -o $@

%.o: %.c
\t$(CC) $(CFLAGS) -MD -c $< -o $@

-include $(OBJS:.o=.d) direct.d
"""

PROJECT = {
    "Makefile": MAKEFILE,
    "common.h": "#define COMMON 3\nint a(int);\n",
    "b.h": "#define BEE 5\nint b(int);\nint c(int);\n",
    "main.c": '#include <stdio.h>\n#include "common.h"\n#include "b.h"\n'
              'int main(void) { printf("%d\\n", a(COMMON) + b(1)); return 0; }\n',
    "a.c": '#include "common.h"\nint a(int x) { return x * COMMON; }\n',
    "b.c": '#include "b.h"\nint b(int x) { return x + BEE; }\n',
    "c.c": '#include "b.h"\nint c(int x) { return b(x) * 2; }\n',
    "ext.c": '#include "b.h"\nvoid *PyInit_hostile(void) { return (void *)(long)c(BEE); }\n',
    "direct.c": '#include "common.h"\nvoid *PyInit_direct(void) { return (void *)(long)COMMON; }\n',
}

# Touching common.h must remake exactly these.
REMADE = ["a.d", "a.o", "direct.d", "direct.so", "main.d", "main.o", "prog"]


def write_project(where):
    os.makedirs(where)
    for name, text in PROJECT.items():
        with open(os.path.join(where, name), "w") as f:
            f.write(text)


def age_tree(root, seconds):
    """Every file's times moved back by seconds, order kept: a later touch
    is newer than all of them without waiting for the clock."""
    for dirpath, dirs, files in os.walk(root):
        for name in files:
            p = os.path.join(dirpath, name)
            st = os.stat(p)
            ns = seconds * 1000000000
            os.utime(p, ns=(st.st_atime_ns - ns, st.st_mtime_ns - ns))


def mtimes(root):
    return {os.path.relpath(os.path.join(d, f), root): os.stat(os.path.join(d, f)).st_mtime_ns
            for d, _, fs in os.walk(root) for f in fs}


def make_build(c, env, where, label):
    """make -j2, then touch common.h and make -j2 again.

    Returns (first output lines, rebuild output lines, files remade, snapshot
    after the first build, snapshot after the rebuild); outputs are sorted
    (make -j2 interleaves) with $CC written as cc.
    """
    write_project(where)
    cc = env.get("CC", "cc")

    def make(what):
        rc, out, log = c.run(["make", "-j2"], env, where, "make-%s-%s" % (label, what))
        check(rc == 0, "make (%s, %s build) failed: %s (log '%s'):\n%s"
              % (what, label, status_text(rc), log, out[-3000:]))
        lines = out.splitlines()[1:]
        return sorted(l.replace(cc + " ", "cc ") for l in lines)

    first = make("first")
    snap1 = snapshot(where)
    age_tree(where, 1000)
    before = mtimes(where)
    os.utime(os.path.join(where, "common.h"))
    second = make("rebuild")
    after = mtimes(where)
    remade = sorted(p for p in set(before) | set(after)
                    if p != "common.h" and before.get(p) != after.get(p))
    return first, second, remade, snap1, snapshot(where)


def case_make_deps(c):
    """make -j2 with -MD dependency files; a touched header rebuilds exactly
    the right objects."""
    need("make", c.base_env["PATH"], "Debian package make")
    need("cc", c.base_env["PATH"], "Debian package gcc")
    where = os.path.join(c.tmp, "proj")
    env = dict(c.base_env, CC="cc")
    p_first, p_second, p_remade, p_snap1, p_snap2 = make_build(c, env, where, "plain")
    check_eq(p_remade, REMADE, "files the plain rebuild remade after touching common.h")
    plain = c.keep(where, "proj")

    senv, settings = c.shim_env(dict(c.base_env))
    build = int(settings["PYWELD_BUILD"])
    s_first, s_second, s_remade, s_snap1, s_snap2 = make_build(c, senv, where, "pyweld")
    found = Findings()
    found.eq(s_first, p_first, "make's output (sorted) of the first build through pyweld")
    found.eq(s_remade, p_remade, "files the rebuild through pyweld remade after touching common.h")
    found.eq(s_second, p_second, "make's output (sorted) of the rebuild through pyweld")
    # The first build's files are gone in both trees by now: compare their
    # hashes, then the final trees byte for byte.
    if s_snap1 != p_snap1:
        diff = sorted(k for k in set(s_snap1) | set(p_snap1) if s_snap1.get(k) != p_snap1.get(k))
        found.add("the files of the first build differ from the plain build's: %s" % diff)
    compare_trees(found, plain, p_snap2, where, s_snap2, "the files after the rebuild")
    for init, so in (("PyInit_hostile", "hostile.so"), ("PyInit_direct", "direct.so")):
        try:
            c.check_link(build, [init], os.path.join(where, so))
        except Failure as e:
            found.add(str(e))
    found.raise_any()
    c.check_db()


# --- a real compiler that fails ------------------------------------------------

FAKE_CC = """\
#!/bin/sh
# A "real compiler" that writes part of its output, then fails: %(what)s.
out=
prev=
for arg in "$@"; do
	[ "$prev" = -o ] && out=$arg
	prev=$arg
done
[ -n "$out" ] && printf 'partial output of %%s\\n' "$out" >"$out"
echo "fakecc: $*: %(what)s" >&2
%(how)s
"""

FAIL_MAKEFILE = """\
all: x.so
x.so: x.o
\t@$(CC) -shared x.o -o x.so
x.o: x.c
\t@$(CC) -c x.c -o x.o
"""

# The commands a build runs, by hand: a compile and a shared link (both
# recorded on success), a preprocess (passed straight through).
DIRECT = [["-c", "x.c", "-o", "x.o"], ["-shared", "x.o", "-o", "x.so"],
          ["-E", "x.c", "-o", "x.i"]]


def fail_build(c, cc, env, where):
    """The direct commands in where/direct and make in where/make; returns
    [(what, status, stdout, stderr)]."""
    os.makedirs(os.path.join(where, "direct"))
    os.makedirs(os.path.join(where, "make"))
    for d in ("direct", "make"):
        with open(os.path.join(where, d, "x.c"), "w") as f:
            f.write("int x(void) { return 1; }\n")
    with open(os.path.join(where, "make", "Makefile"), "w") as f:
        f.write(FAIL_MAKEFILE)
    results = []
    for argv in DIRECT:
        rc, out, err = c.capture([cc] + argv, env, os.path.join(where, "direct"))
        results.append(("cc " + " ".join(argv), status_text(rc), out, err))
    rc, out, err = c.capture(["make", "-j2"], env, os.path.join(where, "make"))
    results.append(("make -j2", status_text(rc), out, err))
    return results


def exit_case(c, what, how):
    need("make", c.base_env["PATH"], "Debian package make")
    fake = os.path.join(c.tmp, "tools", "fakecc")
    os.makedirs(os.path.dirname(fake))
    with open(fake, "w") as f:
        f.write(FAKE_CC % {"what": what, "how": how})
    os.chmod(fake, 0o755)
    where = os.path.join(c.tmp, "work")

    env = dict(c.base_env, CC=fake)
    plain = fail_build(c, fake, env, where)
    # The scenario is real: the fake failed the way it should, plainly.
    check_eq(plain[0][1], what, "status of the plain compile")
    plain_tree = c.keep(where, "work")

    senv, settings = c.shim_env(env)
    build = int(settings["PYWELD_BUILD"])
    check_eq(settings["real_tools"]["cc"], [fake], "the real cc of pyweld env")
    shim = fail_build(c, senv["CC"], senv, where)
    found = Findings()
    for p, s in zip(plain, shim):
        found.eq(s[1:], p[1:], "'%s' through pyweld: (status, stdout, stderr)" % p[0])
    compare_trees(found, plain_tree, snapshot(plain_tree), where, snapshot(where),
                  "the files left by the failed build")
    found.raise_any()
    links, compiles = c.records(build)
    check_eq((links, compiles), ([], []), "records of a build whose compiler failed")
    c.check_db()


def case_exit_1(c):
    """A real compiler that exits 1."""
    exit_case(c, "exit 1", "exit 1")


def case_exit_130(c):
    """A real compiler that exits normally with status 130."""
    exit_case(c, "exit 130", "exit 130")


def case_exit_139(c):
    """A real compiler that exits normally with status 139."""
    exit_case(c, "exit 139", "exit 139")


def case_sigterm(c):
    """A real compiler killed by SIGTERM."""
    exit_case(c, "killed by signal 15", "kill -TERM $$")


CASES = {
    "ccache_path": case_ccache_path,
    "ccache_launcher": case_ccache_launcher,
    "ccache_symlink": case_ccache_symlink,
    "clang": case_clang,
    "distcc": case_distcc,
    "distcc_gcc_elsewhere": case_distcc_gcc_elsewhere,
    "make_deps": case_make_deps,
    "exit_1": case_exit_1,
    "exit_130": case_exit_130,
    "exit_139": case_exit_139,
    "sigterm": case_sigterm,
}


def prerequisites(args):
    for exe in ("pyweld", "pyweld-cc"):
        if not os.access(os.path.join(args.bin, exe), os.X_OK):
            raise Skip("no '%s' in '%s' (build pyweld first)" % (exe, args.bin))
    if sys.prefix == sys.base_prefix:
        raise Skip("run with the venv python of tests/prepare-python.sh, not '%s'"
                   % sys.executable)
    try:
        __import__("setuptools")
    except ImportError:
        raise Skip("setuptools is not installed in '%s' (run tests/prepare-python.sh)"
                   % sys.prefix)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="directory of pyweld and pyweld-cc")
    ap.add_argument("--sdists", help="directory of the pinned sdists")
    ap.add_argument("--keep", action="store_true", help="keep temporary directories")
    ap.add_argument("--list", action="store_true", help="list the cases")
    ap.add_argument("cases", nargs="*", help="cases to run (default: all)")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    if args.sdists:
        args.sdists = os.path.abspath(args.sdists)
    if args.list:
        for name, fn in CASES.items():
            print("%-16s %s" % (name, fn.__doc__.split("\n")[0]))
        return 0
    unknown = [n for n in args.cases if n not in CASES]
    if unknown:
        ap.error("unknown case %s (see --list)" % ", ".join(unknown))
    try:
        prerequisites(args)
    except Skip as e:
        print("skip: %s" % e)
        return SKIP
    passed = failed = skipped = 0
    for name in args.cases or CASES:
        c = Case(name, args)
        t0 = time.monotonic()
        try:
            CASES[name](c)
        except Failure as e:
            failed += 1
            print("FAIL %s (%.1fs): %s\n    kept '%s'" % (name, time.monotonic() - t0, e, c.tmp),
                  flush=True)
            continue
        except Skip as e:
            skipped += 1
            print("skip %s: %s" % (name, e), flush=True)
        else:
            passed += 1
            print("ok   %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)
        if args.keep:
            print("    kept '%s'" % c.tmp)
        else:
            shutil.rmtree(c.tmp, ignore_errors=True)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    if failed:
        return 1
    # a skipped case shows: the test is skipped, not passed, when one did not run
    return SKIP if skipped else 0


if __name__ == "__main__":
    sys.exit(main())

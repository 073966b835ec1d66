#!/usr/bin/env python3
"""ccshim_faithful.py: a build through pyweld's shims runs as it would without them.

Each case runs the real `pyweld env` and `pyweld-cc` from the build tree in
its own temporary directory, with a scrubbed environment (a fixed PATH, a
private HOME and TMPDIR, LC_ALL=C), and compares what a command does through
the shims with what it does without them:

  masquerade   ccache's masquerade directory first on PATH, CC=/usr/lib/ccache/gcc,
               CC="ccache gcc" with the masquerade first, a masquerade reached
               through a chain of symlinks, distcc's masquerade directory (alone
               and before ccache's): the launcher's binary then the real compiler
               are configured, compiles, C++ compiles and links succeed and are
               recorded, nothing loops
  exit_status  a "real compiler" that exits 1, 130, 139, 147, 255 or is killed by
               SIGTERM: the wrapper ends exactly the same way (a normal exit is
               never turned into a signal, a signal is never turned into an exit)
  depfiles     `cc -shared x.c -o x.so` with -MD/-MMD/-MF/-MT/-MQ/-MP, -Wp,-MD,...,
               --write-dependencies and DEPENDENCIES_OUTPUT: every file the build
               leaves is byte-identical with and without pyweld, and the link is
               recorded
  stdin        a shared link or a compile of a source read from standard input
               (a pipe, a regular file, /dev/stdin, /dev/fd/N): the output is
               byte-identical, the recorded object is the code that was read; a
               named FIFO as a source does not hang the build
  by_name      CC=clang: `gcc`, `g++` and `x86_64-linux-gnu-gcc` run gcc and g++,
               `cc` and `c++` run clang; with ccache's masquerade directory first,
               `gcc` runs ccache and gcc; a name with no program on PATH gets no shim
  env_eval     quotes, `$`, backticks, spaces, TABs and newlines in the database
               path, --shim-dir, $CC and a PATH entry: `pyweld env`'s output
               evaluated by sh and by bash sets every variable byte for byte and
               runs nothing else; the shims then compile and record
  conf_escape  a newline in $RANLIB's path and a TAB in $CC's path cannot add or
               split lines of pyweld-shim.conf

Usage: ccshim_faithful.py --bin BUILD/bin [--keep] [CASE...]
Exit status: 0 all passed, 1 a case failed, 77 every case run was skipped
(a prerequisite such as ccache or clang is truly absent, said why), 2 usage.
A failed case keeps its directory and prints its path.
"""

import argparse
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
BASEPATH = "/usr/local/bin:/usr/bin:/bin"
TIMEOUT = 120


class Failure(Exception):
    """What the shims did differs from what the build does without them."""


class Skip(Exception):
    """A prerequisite is truly absent."""


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def check_eq(actual, expected, what):
    if actual != expected:
        raise Failure("%s:\n    expected %r\n    actual   %r" % (what, expected, actual))


def which(name, path=BASEPATH):
    return shutil.which(name, path=path)


def buildargv_quote(word):
    """word quoted for GCC's response-file rules, which $CC is split with."""
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def describe(rc):
    return "killed by signal %d" % -rc if rc < 0 else "exit status %d" % rc


class Case:
    def __init__(self, name, args):
        self.name = name
        self.args = args
        self.pyweld = os.path.join(args.bin, "pyweld")
        self.tmp = tempfile.mkdtemp(prefix="pyweld-faithful-%s-" % name)
        os.mkdir(os.path.join(self.tmp, "home"))
        os.mkdir(os.path.join(self.tmp, "tmp"))
        self.base_env = {
            "PATH": BASEPATH,
            "HOME": os.path.join(self.tmp, "home"),
            "TMPDIR": os.path.join(self.tmp, "tmp"),
            "LC_ALL": "C",
        }
        self.nruns = 0

    def env(self, **extra):
        e = dict(self.base_env)
        e.update(extra)
        return e

    def run(self, argv, env, cwd=None, stdin=None, input=None, pass_fds=(),
            timeout=TIMEOUT):
        """Runs argv; a run that does not end in time is killed and fails."""
        self.nruns += 1
        try:
            p = subprocess.Popen(argv, env=env, cwd=cwd or self.tmp,
                                 stdin=subprocess.PIPE if input is not None else stdin,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 pass_fds=pass_fds)
        except OSError as e:
            raise Failure("cannot run %r: %s" % (argv, e))
        try:
            out, err = p.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise Failure("%r did not end within %d s (stopped or looping); env PATH=%r"
                          % (argv, timeout, env.get("PATH")))
        return subprocess.CompletedProcess(argv, p.returncode, out, err)

    def ok(self, argv, env, cwd=None, **kw):
        r = self.run(argv, env, cwd, **kw)
        if r.returncode != 0:
            raise Failure("%r: %s\n    stderr: %s" % (argv, describe(r.returncode),
                                                     r.stderr.decode(errors="replace")))
        return r

    def shim_env(self, db, env, *more):
        """`pyweld env --json` under env: (the build's environment, the settings)."""
        r = self.ok([self.pyweld, "env", "--db", db, "--json"] + list(more), env)
        settings = json.loads(r.stdout)
        e = dict(env)
        for k, v in settings.items():
            if isinstance(v, str):
                e[k] = v
        e["PYWELD_STRICT"] = "1"
        return e, settings

    def records(self, kind, db):
        r = self.ok([self.pyweld, "db", kind, "--db", db, "--json"], self.env())
        return json.loads(r.stdout)

    def link_objects(self, db, link_id):
        """The store files of a recorded link's object inputs."""
        r = self.ok([self.pyweld, "db", "show", "link:%d" % link_id, "--db", db, "--json"],
                    self.env())
        out = []
        for i in json.loads(r.stdout)["input"]:
            if i.get("object"):
                h = i["object"]
                out.append(os.path.join(db + ".store", h[:2], h))
        return out

    def defined(self, path):
        r = self.ok(["nm", "--defined-only", path], self.env())
        return {line.split()[-1] for line in r.stdout.decode().splitlines() if line.strip()}

    def write(self, path, text, mode=0o644):
        path = os.path.join(self.tmp, path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(text.encode() if isinstance(text, str) else text)
        os.chmod(path, mode)
        return path


# --- masquerade -------------------------------------------------------------

def case_masquerade(c):
    """launcher masquerade directories: recorded as launcher + real compiler, no loop"""
    ccache_bin = which("ccache")
    if not ccache_bin or not os.path.exists("/usr/lib/ccache/cc"):
        raise Skip("ccache and its masquerade directory /usr/lib/ccache are not installed")
    ccache = os.path.realpath(ccache_bin)
    cc, cxx, gcc = which("cc"), which("c++"), which("gcc")
    # A masquerade directory of our own, whose links reach ccache through a
    # chain of symlinks under other names.
    own = os.path.join(c.tmp, "own-masq")
    os.mkdir(own)
    os.symlink(ccache_bin, os.path.join(c.tmp, "alias1"))
    os.symlink(os.path.join(c.tmp, "alias1"), os.path.join(c.tmp, "alias2"))
    for n in ("cc", "c++", "gcc", "g++"):
        os.symlink(os.path.join(c.tmp, "alias2"), os.path.join(own, n))
    variants = [
        ("ccache masquerade first on PATH", {"PATH": "/usr/lib/ccache:" + BASEPATH},
         [ccache, cc], [ccache, cxx]),
        ("CC=/usr/lib/ccache/gcc", {"CC": "/usr/lib/ccache/gcc",
                                    "CXX": "/usr/lib/ccache/g++"},
         [ccache, gcc], [ccache, which("g++")]),
        ("CC='ccache gcc' with the masquerade first",
         {"PATH": "/usr/lib/ccache:" + BASEPATH, "CC": "ccache gcc"},
         [ccache, gcc], [ccache, cxx]),
        ("a masquerade through a chain of symlinks", {"PATH": own + ":" + BASEPATH},
         [ccache, cc], [ccache, cxx]),
    ]
    distcc_bin = which("distcc")
    if distcc_bin and os.path.exists("/usr/lib/distcc/cc"):
        distcc = os.path.realpath(distcc_bin)
        # distcc sends the compiler's name to the machines that compile
        # (distccd refuses absolute paths outside its list): it stays a name,
        # and distcc must find the real one on PATH, never a shim.
        variants += [
            ("distcc masquerade first on PATH", {"PATH": "/usr/lib/distcc:" + BASEPATH},
             [distcc, "cc"], [distcc, "c++"]),
            ("distcc's then ccache's masquerade",
             {"PATH": "/usr/lib/distcc:/usr/lib/ccache:" + BASEPATH},
             [distcc, "cc"], [distcc, "c++"]),
            ("CC='distcc cc', the name of a shim", {"CC": "distcc cc", "CXX": "distcc c++"},
             [distcc, "cc"], [distcc, "c++"]),
        ]
    else:
        print("    note: distcc is not installed: its masquerade directory is not tried")
    c.write("src/x.c", "int f_x(void) { return 1; }\n")
    c.write("src/y.cc", "int f_y() { return 2; }\n")
    os.mkdir(os.path.join(c.tmp, "distcc"))
    for i, (what, extra, want_cc, want_cxx) in enumerate(variants):
        d = os.path.join(c.tmp, "v%d" % i)
        shutil.copytree(os.path.join(c.tmp, "src"), d)
        base = c.env(CCACHE_DIR=os.path.join(c.tmp, "ccache"), DISTCC_HOSTS="localhost",
                     DISTCC_DIR=os.path.join(c.tmp, "distcc"), **extra)
        db = os.path.join(d, "app.linkdb")
        env, settings = c.shim_env(db, base)
        check_eq(settings["real_tools"]["cc"], want_cc, "%s: the real cc" % what)
        check_eq(settings["real_tools"]["cxx"], want_cxx, "%s: the real c++" % what)
        for argv in (["cc", "-fPIC", "-c", "x.c", "-o", "x.o"],
                     ["c++", "-fPIC", "-c", "y.cc", "-o", "y.o"],
                     ["cc", "-shared", "x.o", "-o", "x.so"]):
            r = c.run(argv, env, cwd=d, timeout=60)
            if r.returncode != 0:
                raise Failure("%s: %r: %s\n    stderr: %s\n    pyweld-shim.conf:\n%s"
                              % (what, argv, describe(r.returncode),
                                 r.stderr.decode(errors="replace"),
                                 open(settings["PYWELD_SHIM_DIR"] + "/pyweld-shim.conf")
                                 .read()))
            check(b"pyweld: " not in r.stderr, "%s: %r: the shim said: %s"
                  % (what, argv, r.stderr.decode(errors="replace")))
        for f in ("x.o", "y.o", "x.so"):
            check(os.path.isfile(os.path.join(d, f)), "%s: '%s' was not made" % (what, f))
        check_eq(len(c.records("compiles", db)), 2, "%s: compiles recorded" % what)
        check_eq(len(c.records("links", db)), 1, "%s: links recorded" % what)
        if want_cc[0] == ccache:
            r = c.ok(["ccache", "--print-stats"], base)
            stats = dict(l.split("\t", 1) for l in r.stdout.decode().splitlines() if "\t" in l)
            seen = sum(int(stats.get(k, "0")) for k in
                       ("cache_miss", "direct_cache_hit", "preprocessed_cache_hit"))
            check(seen == 2, "%s: ccache handled %d compiles, not 2: %r"
                  % (what, seen, stats))
            c.ok(["ccache", "--zero-stats"], base)


# --- exit statuses ------------------------------------------------------------

FAKE_CC = r"""#!/bin/sh
# A "real compiler" that ends as $FAKE_END says, whatever it is asked.
case "$FAKE_END" in
TERM) kill -TERM $$; sleep 5; exit 99 ;;
*) exit "$FAKE_END" ;;
esac
"""


def case_exit_status(c):
    """the real tool's exit status or signal passes through unchanged"""
    fake = c.write("bin/fake-cc", FAKE_CC, 0o755)
    c.write("x.c", "int f(void) { return 1; }\n")
    c.write("x.o", "")
    env, settings = c.shim_env(os.path.join(c.tmp, "app.linkdb"), c.env(CC=fake))
    check_eq(settings["real_tools"]["cc"], [fake], "the real cc")
    # The fake makes no output: recording after a success is only a warning.
    del env["PYWELD_STRICT"]
    commands = [
        ["-c", "x.c", "-o", "y.o"],             # run as a child, then recorded
        ["-shared", "x.o", "-o", "y.so"],       # the same, a link
        ["-E", "x.c"],                          # nothing to record: exec'd
    ]
    for end in ("0", "1", "130", "139", "147", "255", "TERM"):
        for args in commands:
            direct = c.run([fake] + args, c.env(FAKE_END=end), timeout=60)
            want = direct.returncode
            if end == "TERM":
                check_eq(want, -signal.SIGTERM, "the fake compiler killed by SIGTERM")
            else:
                check_eq(want, int(end), "the fake compiler's own status")
            shim = c.run(["cc"] + args, dict(env, FAKE_END=end), timeout=60)
            if shim.returncode != want:
                raise Failure("cc %s with the real cc ending '%s': through the shim %s, "
                              "without it %s\n    stderr: %s"
                              % (" ".join(args), end, describe(shim.returncode),
                                 describe(want), shim.stderr.decode(errors="replace")))


# --- dependency files ---------------------------------------------------------

DEP_FORMS = [
    ("-MD -MF x.d", ["-MD", "-MF", "x.d"], {}),
    ("-MMD -MP -MT custom -MF x.d", ["-MMD", "-MP", "-MT", "custom", "-MF", "x.d"], {}),
    ("glued -MFx.d -MQ'$(out)' -MTt2", ["-MD", "-MFx.d", "-MQ$(out)", "-MTt2"], {}),
    ("-MD alone (x.d from -o)", ["-MD"], {}),
    ("-Wp,-MD,x.d", ["-Wp,-MD,x.d"], {}),
    ("-Wp,-MMD,x.d with -MT", ["-Wp,-MMD,x.d", "-MT", "lib"], {}),
    ("-Wp,-DX=1,-MD,x.d,-MT,t3 keeps -DX", ["-Wp,-DX=1,-MD,x.d,-MT,t3"], {}),
    ("-Xpreprocessor -MD -Xpreprocessor x.d -Xpreprocessor -MP",
     ["-Xpreprocessor", "-MD", "-Xpreprocessor", "x.d", "-Xpreprocessor", "-MP"], {}),
    ("--write-dependencies", ["--write-dependencies"], {}),
    ("--write-user-dependencies -MF x.d", ["--write-user-dependencies", "-MF", "x.d"], {}),
    ("DEPENDENCIES_OUTPUT", [], {"DEPENDENCIES_OUTPUT": "env.d envtarget"}),
    ("SUNPRO_DEPENDENCIES", [], {"SUNPRO_DEPENDENCIES": "sun.d"}),
]


def tree(d):
    """Every file under d with its bytes."""
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, d)] = fh.read()
    return out


def case_depfiles(c):
    """dependency files of a shared link that compiles its source are untouched"""
    cc = which("cc")
    if not cc:
        raise Skip("no 'cc' on %s" % BASEPATH)
    for i, (what, opts, extra) in enumerate(DEP_FORMS):
        trees = []
        for side in ("direct", "shim"):
            d = os.path.join(c.tmp, "f%d" % i, side)
            os.makedirs(d)
            c.write(os.path.join(d, "inc.h"), "#define X_VALUE 3\n")
            c.write(os.path.join(d, "x.c"),
                    '#include "inc.h"\nint f_x(void) { return X_VALUE; }\n')
            argv = ["cc", "-shared", "-fPIC"] + opts + ["x.c", "-o", "x.so"]
            if side == "direct":
                c.ok([cc] + argv[1:], c.env(**extra), cwd=d)
            else:
                db = os.path.join(c.tmp, "f%d" % i, "app.linkdb")
                env, _ = c.shim_env(db, c.env(**extra))
                r = c.ok(argv, env, cwd=d)
                check(b"pyweld: " not in r.stderr, "%s: the shim said: %s"
                      % (what, r.stderr.decode(errors="replace")))
                links = c.records("links", db)
                check_eq(len(links), 1, "%s: links recorded" % what)
                objs = c.link_objects(db, links[0]["id"])
                check_eq(len(objs), 1, "%s: objects of the link" % what)
                check("f_x" in c.defined(objs[0]),
                      "%s: the recorded object does not define f_x" % what)
            trees.append(tree(d))
        direct, shim = trees
        check_eq(sorted(shim), sorted(direct), "%s: the files the build left" % what)
        for f in sorted(direct):
            if shim[f] != direct[f]:
                raise Failure("%s: '%s' differs through the shims:\n    without: %r\n"
                              "    with:    %r" % (what, f, direct[f][:300], shim[f][:300]))


# --- standard input -----------------------------------------------------------

STDIN_SRC = b"int f_from_stdin(void) { return 42; }\n"


def case_stdin(c):
    """a source read from standard input is compiled once and recorded right"""
    cc = which("cc")
    if not cc:
        raise Skip("no 'cc' on %s" % BASEPATH)
    src = c.write("src.c", STDIN_SRC)
    forms = [
        ("-x c - from a pipe", ["-x", "c", "-"], "pipe"),
        ("-x c - from a regular file", ["-x", "c", "-"], "file"),
        ("/dev/stdin from a pipe", ["-x", "c", "/dev/stdin"], "pipe"),
        ("/dev/fd/57 from a pipe", ["-x", "c", "/dev/fd/57"], "fd57"),
    ]
    for i, (what, srcargs, how) in enumerate(forms):
        for kind, action in (("link", ["-shared", "-fPIC"]), ("compile", ["-fPIC", "-c"])):
            out = "x.so" if kind == "link" else "x.o"
            outputs = []
            for side in ("direct", "shim"):
                d = os.path.join(c.tmp, "s%d%s" % (i, kind), side)
                os.makedirs(d)
                argv = ["cc"] + action + srcargs + ["-o", out]
                if side == "direct":
                    argv[0] = cc
                    env = c.env()
                else:
                    db = os.path.join(d, "..", "app.linkdb")
                    env, _ = c.shim_env(db, c.env())
                kw = {}
                if how == "pipe":
                    kw["input"] = STDIN_SRC
                elif how == "file":
                    kw["stdin"] = open(src, "rb")
                else:
                    rfd, wfd = os.pipe()
                    os.dup2(rfd, 57)
                    os.close(rfd)
                    os.write(wfd, STDIN_SRC)
                    os.close(wfd)
                    kw["pass_fds"] = (57,)
                    kw["stdin"] = subprocess.DEVNULL
                try:
                    r = c.ok(argv, env, cwd=d, **kw)
                finally:
                    if how == "file":
                        kw["stdin"].close()
                    elif how == "fd57":
                        os.close(57)
                check(b"pyweld: " not in r.stderr, "%s (%s): the shim said: %s"
                      % (what, kind, r.stderr.decode(errors="replace")))
                with open(os.path.join(d, out), "rb") as f:
                    outputs.append(f.read())
            check(outputs[0] == outputs[1], "%s (%s): '%s' differs through the shims"
                  % (what, kind, out))
            # What was recorded is the code that was read.
            if kind == "link":
                links = c.records("links", db)
                check_eq(len(links), 1, "%s: links recorded" % what)
                objs = c.link_objects(db, links[0]["id"])
            else:
                comps = c.records("compiles", db)
                check_eq(len(comps), 1, "%s: compiles recorded" % what)
                h = comps[0].get("object") or comps[0].get("object_hash")
                check(h, "%s: no object recorded: %r" % (what, comps[0]))
                objs = [os.path.join(db + ".store", h[:2], h)]
            check_eq(len(objs), 1, "%s (%s): recorded objects" % (what, kind))
            check("f_from_stdin" in c.defined(objs[0]),
                  "%s (%s): the recorded object does not define f_from_stdin "
                  "(compiled from an empty input?)" % (what, kind))

    # A named FIFO as a source: it can be read once; the build must not hang
    # on a second read, and says why the link is not recorded.
    d = os.path.join(c.tmp, "fifo")
    os.makedirs(d)
    fifo = os.path.join(d, "src.c")
    os.mkfifo(fifo)

    def writer():
        with open(fifo, "wb") as f:
            f.write(STDIN_SRC)
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    env, _ = c.shim_env(os.path.join(d, "app.linkdb"), c.env())
    del env["PYWELD_STRICT"]
    r = c.run(["cc", "-shared", "-fPIC", "src.c", "-o", "x.so"], env, cwd=d, timeout=60)
    t.join(5)
    check_eq(r.returncode, 0, "a FIFO source: the link's status")
    check(os.path.isfile(os.path.join(d, "x.so")), "a FIFO source: x.so was not made")
    check(b"pyweld: warning: cannot record the link of 'x.so'" in r.stderr,
          "a FIFO source: no warning that the link is not recorded: %s"
          % r.stderr.decode(errors="replace"))


# --- programs called by name ----------------------------------------------------

IS_GCC = "#if defined(__clang__) || !defined(__GNUC__)\n#error not gcc\n#endif\nint g;\n"
IS_CLANG = "#ifndef __clang__\n#error not clang\n#endif\nint c;\n"


def case_by_name(c):
    """gcc and g++ by name run gcc and g++, cc and c++ run $CC and $CXX"""
    clang, clangxx = which("clang"), which("clang++")
    gcc, gxx = which("gcc"), which("g++")
    if not (clang and clangxx and gcc and gxx):
        raise Skip("clang, clang++, gcc and g++ are needed on %s (apt-get install clang)"
                   % BASEPATH)
    tgcc = which("x86_64-linux-gnu-gcc")
    c.write("src/isgcc.c", IS_GCC)
    c.write("src/isgcc.cc", IS_GCC + "#ifndef __cplusplus\n#error not c++\n#endif\n")
    c.write("src/isclang.c", IS_CLANG)
    c.write("src/isclang.cc", IS_CLANG + "#ifndef __cplusplus\n#error not c++\n#endif\n")
    variants = [("plain PATH", BASEPATH, [clang], [clangxx], [gcc], [gxx])]
    ccache_bin = which("ccache")
    if ccache_bin and os.path.exists("/usr/lib/ccache/gcc"):
        ccache = os.path.realpath(ccache_bin)
        variants.append(("ccache masquerade first", "/usr/lib/ccache:" + BASEPATH,
                         [ccache, clang], [ccache, clangxx], [ccache, gcc], [ccache, gxx]))
    for i, (what, path, want_cc, want_cxx, want_gcc, want_gxx) in enumerate(variants):
        d = os.path.join(c.tmp, "v%d" % i)
        shutil.copytree(os.path.join(c.tmp, "src"), d)
        db = os.path.join(d, "app.linkdb")
        env, settings = c.shim_env(db, c.env(PATH=path, CC="clang", CXX="clang++",
                                             CCACHE_DIR=os.path.join(c.tmp, "ccache")))
        real = settings["real_tools"]
        check_eq(real["cc"], want_cc, "%s: the real cc" % what)
        check_eq(real["cxx"], want_cxx, "%s: the real c++" % what)
        check_eq(real.get("gcc"), want_gcc, "%s: the real gcc" % what)
        check_eq(real.get("g++"), want_gxx, "%s: the real g++" % what)
        runs = [("gcc", "isgcc.c"), ("g++", "isgcc.cc"), ("cc", "isclang.c"),
                ("c++", "isclang.cc")]
        if tgcc:
            runs.append(("x86_64-linux-gnu-gcc", "isgcc.c"))
        for k, (prog, source) in enumerate(runs):
            r = c.run([prog, "-c", source, "-o", "o%d.o" % k], env, cwd=d)
            if r.returncode != 0:
                raise Failure("%s: '%s -c %s' through the shims: %s\n    stderr: %s"
                              % (what, prog, source, describe(r.returncode),
                                 r.stderr.decode(errors="replace")))
            found = shutil.which(prog, path=env["PATH"])
            check(found and os.path.dirname(found) == settings["PYWELD_SHIM_DIR"],
                  "%s: '%s' is not found in the shim directory (%r)" % (what, prog, found))
        check_eq(len(c.records("compiles", db)), len(runs), "%s: compiles recorded" % what)

    # A PATH where only some names exist: the others get no shim, so that a
    # build (configure's AC_PROG_CXX) sees what it sees without pyweld.
    few = os.path.join(c.tmp, "few")
    os.mkdir(few)
    for n in ("cc", "c++", "gcc", "ld", "ar", "ranlib"):
        os.symlink(which(n), os.path.join(few, n))
    env, settings = c.shim_env(os.path.join(c.tmp, "few.linkdb"), c.env(PATH=few))
    shims = sorted(os.listdir(settings["PYWELD_SHIM_DIR"]))
    check_eq([n for n in shims if n != "pyweld-shim.conf"],
             sorted(["cc", "c++", "gcc", "ld", "ar", "ranlib"]),
             "the shims made when g++ and x86_64-linux-gnu-* are not on PATH")
    check("g++" not in settings["real_tools"], "a real g++ was configured: %r"
          % settings["real_tools"])


# --- pyweld env's output under eval -----------------------------------------------

WEIRD = ("we ird'q\"d$(touch canary1)`touch canary2`\ntouch canary3;#\t"
         "\\x${HOME}*?[a]~!&|<>%s")

DUMP = r"""
import json, os, sys
names = sys.argv[2:]
json.dump({n: os.environb[n.encode()].hex() for n in names if n.encode() in os.environb},
          open(sys.argv[1], "w"))
"""

ENV_VARS = ["PYWELD_DB", "PYWELD_BUILD", "PYWELD_SHIM_DIR", "CC", "CXX", "LDSHARED",
            "LDCXXSHARED", "AR", "RANLIB", "PATH", "SKBUILD_INSTALL_STRIP", "CMAKE_ARGS"]


def canaries(top):
    found = []
    for root, dirs, files in os.walk(top):
        found += [os.path.join(root, n) for n in files + dirs if n.startswith("canary")]
    return found


def case_env_eval(c):
    """pyweld env's output is safe to eval; every value arrives byte for byte"""
    gcc = which("gcc")
    python = which("python3")
    shells = [s for s in (which("sh"), which("bash")) if s]
    if not gcc or not python or not shells:
        raise Skip("gcc, python3 and a shell are needed on %s" % BASEPATH)
    w = WEIRD % "1"
    dbdir = os.path.join(c.tmp, w)
    os.mkdir(dbdir)
    db = os.path.join(dbdir, "app.linkdb")
    shimdir = os.path.join(c.tmp, WEIRD % "shims")
    ccdir = os.path.join(c.tmp, WEIRD % "cc")
    os.mkdir(ccdir)
    cc_path = os.path.join(ccdir, "gcc")
    os.symlink(gcc, cc_path)
    pathdir = os.path.join(c.tmp, WEIRD % "path")
    os.mkdir(pathdir)
    run = os.path.join(c.tmp, "run")
    os.mkdir(run)
    c.write("run/x.c", "int f(void) { return 1; }\n")
    path = pathdir + ":" + BASEPATH
    # the caller's CMAKE_ARGS, however quoted, come first
    env = c.env(PATH=path, CC=buildargv_quote(cc_path), CMAKE_ARGS=w)
    r = c.ok([c.pyweld, "env", "--db", db, "--shim-dir", shimdir], env, cwd=run)
    check(not canaries(c.tmp), "pyweld env itself ran something: %r" % canaries(c.tmp))
    with open(os.path.join(c.tmp, "env.out"), "wb") as f:
        f.write(r.stdout)
    # The shim directory's name would be split or run by what reads $CC
    # (distutils, make's shell): the tools are named bare, found first on
    # PATH.
    want = {
        "PYWELD_DB": db, "PYWELD_SHIM_DIR": shimdir, "CC": "cc",
        "CXX": "c++", "AR": "ar", "RANLIB": "ranlib", "PATH": shimdir + ":" + path,
        "SKBUILD_INSTALL_STRIP": "false",
        "CMAKE_ARGS": w + " -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON",
    }
    for shell in shells:
        dump = os.path.join(c.tmp, "dump-%s.json" % os.path.basename(shell))
        script = 'eval "$(cat "$1")" || exit 1; shift; exec "$@"'
        c.ok([shell, "-c", script, shell, os.path.join(c.tmp, "env.out"), python, "-c",
              DUMP, dump] + ENV_VARS, env, cwd=run)
        got = {k: bytes.fromhex(v) for k, v in json.load(open(dump)).items()}
        check(not canaries(c.tmp), "%s: evaluating pyweld env's output ran commands: %r"
              % (shell, canaries(c.tmp)))
        for k, v in want.items():
            check_eq(got.get(k), v.encode(), "%s: $%s after eval" % (shell, k))
        # Unset before, unset after: setuptools derives the link commands
        # from $CC and $CXX with the interpreter's own link flags.
        for k in ("LDSHARED", "LDCXXSHARED"):
            check(k not in got, "%s: $%s is set after eval: %r" % (shell, k, got.get(k)))
        check(got.get("PYWELD_BUILD", b"").isdigit(), "%s: PYWELD_BUILD %r"
              % (shell, got.get("PYWELD_BUILD")))

    # The shims work from there: the compile runs the real gcc through the
    # weird path and is recorded in the weird database; $CC is expanded
    # unquoted, as make's shell does.
    for shell in shells:
        c.ok([shell, "-c", 'eval "$(cat "$1")" && PYWELD_STRICT=1 $CC -c x.c -o "$2"',
              shell, os.path.join(c.tmp, "env.out"), "x-%s.o" % os.path.basename(shell)],
             env, cwd=run)
    check(not canaries(c.tmp), "compiling ran commands: %r" % canaries(c.tmp))
    comps = c.records("compiles", db)
    check_eq(len(comps), len(shells), "compiles recorded in the database")
    # The JSON form says the same.
    r = c.ok([c.pyweld, "env", "--db", db, "--shim-dir", shimdir, "--json"], env, cwd=run)
    s = json.loads(r.stdout)
    check_eq(s["PYWELD_DB"], db, "--json PYWELD_DB")
    check_eq(s["real_tools"]["cc"], [cc_path], "--json real cc")


# --- pyweld-shim.conf's lines -------------------------------------------------------

EVIL = "#!/bin/sh\ntouch \"$(dirname \"$0\")/canary-evil\"\nexit 0\n"


def case_conf_escape(c):
    """paths with newlines or TABs cannot inject or split configuration lines"""
    cc, ranlib = which("cc"), which("ranlib")
    if not cc or not ranlib:
        raise Skip("cc and ranlib are needed on %s" % BASEPATH)
    evil = c.write("evil", EVIL, 0o755)
    # $RANLIB's path holds a newline, then "cc=<evil>", then a comment: the
    # ranlib line is the configuration's last role, so an injected cc= line
    # would win over the real one.
    rpath = os.path.join(c.tmp, "r\ncc=" + evil + "\n#", "ranlib")
    os.makedirs(os.path.dirname(rpath))
    os.symlink(ranlib, rpath)
    # $CC's path holds a TAB, the configuration's word separator.
    cpath = os.path.join(c.tmp, "a\tb", "cc")
    os.makedirs(os.path.dirname(cpath))
    os.symlink(cc, cpath)
    # The database path too.
    dbdir = os.path.join(c.tmp, "d\nbuild=999\ncc=" + evil + "\n#\t\\n")
    os.makedirs(dbdir)
    db = os.path.join(dbdir, "app.linkdb")
    c.write("run/x.c", "int f(void) { return 1; }\n")
    run = os.path.join(c.tmp, "run")
    env, settings = c.shim_env(db, c.env(CC=buildargv_quote(cpath),
                                         RANLIB=buildargv_quote(rpath)))
    check_eq(settings["real_tools"]["cc"], [cpath], "the real cc")
    check_eq(settings["real_tools"]["ranlib"], [rpath], "the real ranlib")
    # The shims read what pyweld env meant, whatever PYWELD_DB says.
    del env["PYWELD_DB"]
    del env["PYWELD_BUILD"]
    c.ok(["cc", "-fPIC", "-c", "x.c", "-o", "x.o"], env, cwd=run)
    c.ok(["ar", "rc", "libx.a", "x.o"], env, cwd=run)
    c.ok(["ranlib", "libx.a"], env, cwd=run)
    check(not canaries(c.tmp), "a configuration line was injected: %r" % canaries(c.tmp))
    comps = c.records("compiles", db)
    check_eq(len(comps), 1, "compiles recorded in the configured database")
    check_eq(comps[0]["build"], int(settings["PYWELD_BUILD"]), "the record's build")
    check_eq(comps[0]["argv"][0], "cc", "the compile's argv[0]")


# --- LDSHARED: the user's, never pyweld's -----------------------------------------

def case_ldshared(c):
    """pyweld env leaves LDSHARED alone, and says when its compiler bypasses the shims"""
    gcc = which("gcc")
    if not gcc:
        raise Skip("gcc is needed on %s" % BASEPATH)
    db = os.path.join(c.tmp, "app.linkdb")
    run = os.path.join(c.tmp, "run")
    os.mkdir(run)
    c.write("run/x.c", "int f(void) { return 1; }\n")
    script = 'eval "$(cat "$1")" || exit 1; printf "%s" "${LDSHARED-unset}"'
    cases = [
        # (the user's LDSHARED or None, a warning expected, what it is after eval)
        (None, False, b"unset"),
        ("gcc -shared -Wl,-O1", False, b"gcc -shared -Wl,-O1"),
        (gcc + " -shared", True, (gcc + " -shared").encode()),
    ]
    for i, (user, warned, after) in enumerate(cases):
        env = c.env(LDSHARED=user) if user is not None else c.env()
        r = c.ok([c.pyweld, "env", "--db", db], env, cwd=run)
        out = os.path.join(c.tmp, "env-%d.out" % i)
        with open(out, "wb") as f:
            f.write(r.stdout)
        check("LDSHARED" not in r.stdout.decode(errors="replace"),
              "pyweld env prints LDSHARED: %r" % r.stdout)
        err = r.stderr.decode(errors="replace")
        check(("runs '%s' by its path" % gcc in err) == warned,
              "LDSHARED=%r: warning %s expected, stderr: %r"
              % (user, "a" if warned else "no", err))
        r = c.ok(["sh", "-c", script, "sh", out], env, cwd=run)
        check_eq(r.stdout, after, "LDSHARED=%r after eval" % user)
    # A bare name in the user's LDSHARED reaches the shims through PATH.
    env = c.env(LDSHARED="gcc -shared")
    r = c.ok([c.pyweld, "env", "--db", db], env, cwd=run)
    with open(os.path.join(c.tmp, "env.out"), "wb") as f:
        f.write(r.stdout)
    c.ok(["sh", "-c", 'eval "$(cat "$1")" && PYWELD_STRICT=1 $LDSHARED x.c -o x.so',
          "sh", os.path.join(c.tmp, "env.out")], env, cwd=run)
    links = c.records("links", db)
    check_eq(len(links), 1, "links recorded through the user's LDSHARED")


CASES = {
    "masquerade": case_masquerade,
    "exit_status": case_exit_status,
    "depfiles": case_depfiles,
    "stdin": case_stdin,
    "by_name": case_by_name,
    "env_eval": case_env_eval,
    "conf_escape": case_conf_escape,
    "ldshared": case_ldshared,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="directory of pyweld and pyweld-cc")
    ap.add_argument("--keep", action="store_true", help="keep temporary directories")
    ap.add_argument("cases", nargs="*", help="cases to run (default: all)")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    unknown = [n for n in args.cases if n not in CASES]
    if unknown:
        ap.error("unknown case %s (one of %s)" % (", ".join(unknown), ", ".join(CASES)))
    for exe in ("pyweld", "pyweld-cc"):
        if not os.access(os.path.join(args.bin, exe), os.X_OK):
            print("FAIL: no '%s' in '%s' (build pyweld first)" % (exe, args.bin))
            return 1
    passed = failed = skipped = 0
    for name in args.cases or CASES:
        c = Case(name, args)
        t0 = time.monotonic()
        try:
            CASES[name](c)
        except Failure as e:
            failed += 1
            print("FAIL %s (%.1fs): %s\n    kept %r" % (name, time.monotonic() - t0, e,
                                                     c.tmp), flush=True)
            continue
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (name, e), flush=True)
        else:
            passed += 1
            print("ok   %s (%.1fs, %d commands)" % (name, time.monotonic() - t0, c.nruns),
                  flush=True)
        if args.keep:
            print("    kept %r" % c.tmp)
        else:
            shutil.rmtree(c.tmp, ignore_errors=True)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    if failed:
        return 1
    # a skipped case shows: the test is skipped, not passed, when one did not run
    return SKIP if skipped else 0


if __name__ == "__main__":
    sys.exit(main())

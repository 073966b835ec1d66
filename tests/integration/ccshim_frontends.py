#!/usr/bin/env python3
"""ccshim_frontends.py: pyweld's wrapper compilers under real build front ends.

Each case builds a package (one of tests/integration/packages/ or a pinned
sdist from PyPI) with pip through the shims of `pyweld env`, in its own
temporary directory with its own link database and a scrubbed environment,
then asserts what was recorded: for every extension the installed .so is
found among the recorded links by its SHA-256 (as the weld step finds it),
and that link's ordered inputs, init symbols and language are exactly the
expected ones; every object input is the snapshot of the compile that made
it; `pyweld db check` is clean; the installed extension imports and works.

Run it with the venv python of tests/prepare-python.sh (the build back ends
are imported from it):

    VENV/bin/python ccshim_frontends.py --bin build/bin --sdists CACHE/sdists [CASE...]

--list shows the cases, --dump prints what was recorded instead of checking
(to update an expectation after a pin changes), --keep keeps the temporary
directories.  A failed case leaves its directory in place and prints its
path.  Exit status: 0 all passed, 1 a case failed, 77 a prerequisite is
missing (said why), 2 usage.
"""

import argparse
import glob
import hashlib
import importlib.machinery
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGES = os.path.join(HERE, "packages")

# The -L the interpreter's build_ext adds when Python is a shared library
# (setuptools only): an expected input that depends on the interpreter.
PYLIB = "$PYLIBDIR"


def interpreter_link_inputs(language):
    """The inputs a setuptools link starts with: the interpreter's own LDSHARED
    (LDCXXSHARED for C++) after its compiler.  pyweld env exports CC, not
    LDSHARED, so setuptools puts the shim where the interpreter's compiler was
    and keeps these flags (a pyenv build's -L and -Wl,-rpath, Debian's -Wl,-O1),
    as it does without pyweld."""
    cc = sysconfig.get_config_var("CXX" if language == "c++" else "CC") or ""
    ld = sysconfig.get_config_var("LDCXXSHARED" if language == "c++" else "LDSHARED") or ""
    if not ld.startswith(cc):
        return []
    libdir = sysconfig.get_config_var("LIBDIR")
    out = []
    for w in shlex.split(ld[len(cc):]):
        if w.startswith("-L"):
            d = w[2:]
            out.append(("libdir", PYLIB if libdir and os.path.normpath(d) ==
                        os.path.normpath(libdir) else os.path.basename(os.path.normpath(d))))
        elif w.startswith("-Wl,"):
            out.append(("flag", w))
        elif w.startswith("-l"):
            out.append(("lib", w[2:]))
    return out


class Failure(Exception):
    """An assertion about the recorded build did not hold."""


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


def setuptools_temp():
    """The basename of setuptools' build/temp.* directory."""
    return "temp.%s-%s" % (sysconfig.get_platform(), sys.implementation.cache_tag)


class Ext:
    """What one extension's link must have recorded.

    inputs: the ordered (kind, value) pairs of the link, values reduced to
    basenames for files and directories, exact for -l names and flags;
    PYLIB stands for ("libdir", interpreter LIBDIR) when Python is shared,
    and marks a setuptools link: interpreter_link_inputs() come first.
    stripped: the front end strips the .so when it installs it, so the
    installed file is found by its GNU build ID instead, and must differ
    from what the link wrote.
    """

    def __init__(self, module, init, inputs, language="c", stripped=False):
        self.module = module
        self.stripped = stripped
        self.init = sorted(init)
        self.language = language
        shared = bool(sysconfig.get_config_var("Py_ENABLE_SHARED"))
        # PYLIB marks a setuptools link, which starts with the interpreter's
        # own link flags.
        self.inputs = interpreter_link_inputs(language) if PYLIB in inputs else []
        for i in inputs:
            if i == PYLIB:
                if shared:
                    self.inputs.append(("libdir", PYLIB))
            else:
                self.inputs.append(i)


def obj(name):
    return ("object", name)


def flag(text):
    return ("flag", text)


class Case:
    """One build in its own directory, database and environment."""

    def __init__(self, name, args):
        self.name = name
        self.args = args
        self.bindir = args.bin
        self.pyweld = os.path.join(args.bin, "pyweld")
        self.tmp = tempfile.mkdtemp(prefix="pyweld-itg-%s-" % name)
        self.site = os.path.join(self.tmp, "site")
        self.nlog = 0
        for d in ("home", "tmp"):
            os.mkdir(os.path.join(self.tmp, d))
        venv_bin = os.path.dirname(sys.executable)
        # Nothing from the caller's environment: a fixed PATH (the venv for
        # meson, ninja, cython), a private HOME and TMPDIR, pip offline.
        self.base_env = {
            "PATH": venv_bin + ":/usr/local/bin:/usr/bin:/bin",
            "HOME": os.path.join(self.tmp, "home"),
            "TMPDIR": os.path.join(self.tmp, "tmp"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PYTHONNOUSERSITE": "1",
        }

    # --- running things ---------------------------------------------------

    def run(self, argv, env=None, cwd=None, what=None):
        """Runs argv with output to a numbered log; Failure when it fails."""
        self.nlog += 1
        log = os.path.join(self.tmp, "%02d-%s.log" % (self.nlog, os.path.basename(argv[0])))
        with open(log, "w") as f:
            f.write("$ %r\n" % (argv,))
            f.flush()
            rc = subprocess.run(argv, env=env or self.base_env, cwd=cwd or self.tmp,
                                stdin=subprocess.DEVNULL, stdout=f,
                                stderr=subprocess.STDOUT).returncode
        if rc != 0:
            with open(log) as f:
                tail = f.read()[-6000:]
            raise Failure("%s exited %d (log '%s'):\n%s" % (what or argv[0], rc, log, tail))
        with open(log) as f:
            return f.read()

    def db(self, db, *args):
        """`pyweld db ARGS --db DB --json`, parsed."""
        out = subprocess.run([self.pyweld, "db", *args, "--db", db, "--json"],
                             env=self.base_env, stdin=subprocess.DEVNULL,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise Failure("pyweld db %s exited %d: %s" % (" ".join(args), out.returncode,
                                                          out.stderr.strip()))
        return json.loads(out.stdout)

    def shim_env(self, db, extra=None):
        """The environment `eval "$(pyweld env --db DB)"` gives, from --json.

        extra is applied before `pyweld env` runs (CC="ccache gcc").
        Returns (env, settings).
        """
        env = dict(self.base_env)
        env.update(extra or {})
        out = subprocess.run([self.pyweld, "env", "--db", db, "--json"], env=env,
                             cwd=self.tmp, stdin=subprocess.DEVNULL,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise Failure("pyweld env exited %d: %s" % (out.returncode, out.stderr.strip()))
        settings = json.loads(out.stdout)
        for k, v in settings.items():
            if isinstance(v, str):
                env[k] = v
        env["PYWELD_STRICT"] = "1"
        return env, settings

    def copy_package(self, name):
        src = os.path.join(self.tmp, "src", name)
        shutil.copytree(os.path.join(PACKAGES, name), src)
        return src

    def pip_install(self, env, what, *extra, cwd=None):
        """pip install --no-build-isolation --no-deps into self.site.

        The shims must have said nothing: a warning from them (a command
        they could not record, a missing configuration) fails the case.
        """
        out = self.run([sys.executable, "-m", "pip", "install", "-v",
                        "--no-build-isolation", "--no-deps", "--no-cache-dir",
                        "--target", self.site, *extra, what], env=env, cwd=cwd,
                       what="pip install %s" % os.path.basename(what))
        said = [l.strip() for l in out.splitlines()
                if "pyweld: warning" in l or "pyweld: error" in l]
        check(not said, "the shims complained during the build:\n    %s"
              % "\n    ".join(said))
        return out

    def python(self, code):
        """Runs code isolated (-I) with self.site first on sys.path."""
        prog = "import sys; sys.path.insert(0, %r)\n%s" % (self.site, code)
        return self.run([sys.executable, "-I", "-c", prog], what="the import check")

    # --- reading the records --------------------------------------------------

    def installed_extensions(self):
        """{dotted module name: path} of the extension files under self.site."""
        suffixes = sorted(importlib.machinery.EXTENSION_SUFFIXES, key=len, reverse=True)
        found = {}
        for root, dirs, files in os.walk(self.site):
            dirs[:] = [d for d in dirs if not d.endswith((".dist-info", "__pycache__"))]
            for f in files:
                for suf in suffixes:
                    if f.endswith(suf):
                        rel = os.path.relpath(os.path.join(root, f[: -len(suf)]), self.site)
                        found[rel.replace(os.sep, ".")] = os.path.join(root, f)
                        break
        return found

    def verify(self, db, build, expected, dump=False):
        """Checks every extension of one build; returns {module: link show}.

        The installed .so must be the output of exactly one recorded link of
        the build (by SHA-256), the build recorded no other link, and each
        link's inputs, init symbols and language are exactly as expected;
        object inputs are stored and equal to the compile that wrote them.
        """
        installed = self.installed_extensions()
        links = [l for l in self.db(db, "links") if l["build"] == build]
        compiles = [c for c in self.db(db, "compiles") if c["build"] == build]
        shows = {}
        if dump:
            for l in links:
                s = self.db(db, "show", "link:%d" % l["id"])
                print("link %d %s (%s) init=%s" % (l["id"], l["output"], l["language"],
                                                   sorted(i["symbol"] for i in s["init"])))
                for i in normalize(s["input"]):
                    print("    %r," % (i,))
            print("installed: %s" % sorted(installed))
            return shows
        check_eq(sorted(installed), sorted(e.module for e in expected),
                 "extension modules installed in '%s'" % self.site)
        check_eq(len(links), len(expected),
                 "number of links recorded in build %d (outputs %s)"
                 % (build, [l["output"] for l in links]))
        for e in expected:
            path = installed[e.module]
            h = sha256(path)
            mine = [l for l in links if l["output_hash"] == h]
            if e.stripped:
                check(not mine, "%s: expected a stripped install, but the installed "
                      "'%s' is what the link wrote" % (e.module, path))
                mine = by_build_id(path, links)
            check(len(mine) == 1,
                  "%s: the installed '%s' (sha256 %s) is the output of %d recorded "
                  "links, not 1; recorded outputs: %s" % (
                      e.module, path, h, len(mine),
                      [(l["output"], l["output_hash"]) for l in links]))
            link = mine[0]
            check_eq(link["status"], 0, "%s: link status" % e.module)
            show = self.db(db, "show", "link:%d" % link["id"])
            check_eq(normalize(show["input"]), e.inputs, "%s: link inputs" % e.module)
            check_eq(sorted(i["symbol"] for i in show["init"]), e.init,
                     "%s: init symbols" % e.module)
            check_eq(link["language"], e.language, "%s: link language" % e.module)
            check_objects(e.module, link, show["input"], compiles)
            shows[e.module] = show
        report = self.db(db, "check")
        check(report["ok"] and not report["problems"],
              "pyweld db check: %s" % report["problems"])
        return shows


def build_id(path):
    """The GNU build ID note of an ELF file (hex), or None."""
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if "Build ID:" in line:
            return line.split("Build ID:")[1].strip()
    return None


def by_build_id(path, links):
    """Links whose output, still in the build tree as the link wrote it (same
    SHA-256), has the build ID of the installed file at path."""
    want = build_id(path)
    check(want, "'%s' has no GNU build ID" % path)
    found = []
    for l in links:
        out = os.path.join(l["cwd"], l["output"])
        if os.path.isfile(out) and sha256(out) == l["output_hash"] and build_id(out) == want:
            found.append(l)
    return found


def normalize(inputs):
    """A link's recorded inputs as comparable (kind, value) pairs."""
    libdir = sysconfig.get_config_var("LIBDIR")
    out = []
    for i in inputs:
        kind, value = i["kind"], i["value"]
        if kind in ("object", "archive", "shared"):
            value = os.path.basename(value)
        elif kind == "libdir":
            if libdir and os.path.normpath(value) == os.path.normpath(libdir):
                value = PYLIB
            else:
                value = os.path.basename(os.path.normpath(value))
        out.append((kind, value))
    return out


def check_objects(module, link, inputs, compiles):
    """Every object input is stored, and is what its last compile wrote."""
    for i in inputs:
        if i["kind"] != "object":
            continue
        check(i["object"] and i["object_kind"] == "object",
              "%s: object input '%s' has no stored object (%r)" % (module, i["value"], i))
        path = os.path.normpath(os.path.join(link["cwd"], i["value"]))
        before = [c for c in compiles
                  if c["output"] and c["time"] <= link["time"] and
                  os.path.normpath(os.path.join(c["cwd"], c["output"])) == path]
        check(before, "%s: no compile recorded for the object input '%s'" % (module, path))
        last = max(before, key=lambda c: (c["time"], c["id"]))
        check_eq(i["object"], last["object"],
                 "%s: snapshot of '%s' versus its compile %d" % (module, i["value"], last["id"]))


def archive_records(case, db, build, basename):
    """The archive records of a build whose path ends in basename, oldest first."""
    return [a for a in case.db(db, "archives")
            if a["build"] == build and os.path.basename(a["path"]) == basename]


def input_of(show, kind, value):
    found = [i for i in show["input"] if i["kind"] == kind and
             os.path.basename(i["value"]) == value]
    check(len(found) == 1, "no single %s input '%s' in %r" % (kind, value, show["input"]))
    return found[0]


# --- the cases ----------------------------------------------------------------


def case_setuptools(c):
    """setuptools, one extension of two objects and a system -lm."""
    src = c.copy_package("pw_setuptools")
    db = os.path.join(c.tmp, "app.linkdb")
    env, settings = c.shim_env(db)
    c.pip_install(env, src)
    build = int(settings["PYWELD_BUILD"])
    if c.args.dump:
        return c.verify(db, build, [], dump=True)
    c.verify(db, build, [
        Ext("pw_setuptools._two", ["PyInit__two"],
            [obj("two_helper.o"), obj("two_main.o"), PYLIB, ("lib", "m")]),
    ])
    compiles = [x for x in c.db(db, "compiles") if x["build"] == build]
    check_eq(sorted(os.path.basename(x["output"]) for x in compiles),
             ["two_helper.o", "two_main.o"], "compiles recorded")
    c.python("import pw_setuptools._two as m\nassert m.hypot(3.0, 4.0) == 5.0")


def case_meson(c):
    """meson-python: meson links with `cc -shared` itself, not LDSHARED."""
    src = c.copy_package("pw_meson")
    db = os.path.join(c.tmp, "app.linkdb")
    env, settings = c.shim_env(db)
    c.pip_install(env, src, "--config-settings=build-dir=build")
    build = int(settings["PYWELD_BUILD"])
    if c.args.dump:
        return c.verify(db, build, [], dump=True)
    c.verify(db, build, [
        Ext("pw_meson._mes", ["PyInit__mes"], [
            obj("src_mes_main.c.o"), obj("src_mes_util.c.o"),
            flag("-Wl,--as-needed"), flag("-Wl,--allow-shlib-undefined"),
            flag("-Wl,-O1"),
        ]),
    ])
    c.python("import pw_meson._mes as m\nassert m.triple(4) == 12")


def case_skbuild(c):
    """scikit-build-core: CMake with response files and an ar-made helper."""
    src = c.copy_package("pw_skbuild")
    db = os.path.join(c.tmp, "app.linkdb")
    env, settings = c.shim_env(db)
    c.pip_install(env, src)
    build = int(settings["PYWELD_BUILD"])
    if c.args.dump:
        return c.verify(db, build, [], dump=True)
    # The scenario is real: CMake wrote response files for the link.
    with open(os.path.join(src, "build", "build.ninja")) as f:
        check("RSP_FILE = CMakeFiles/_skb.rsp" in f.read(),
              "CMake links _skb without a response file (build/build.ninja)")
    # scikit-build-core installs with `cmake --install --strip` by default
    # (install.strip = true); `pyweld env` exports SKBUILD_INSTALL_STRIP=false
    # so that the installed .so is byte for byte what the link wrote.
    check_eq(env.get("SKBUILD_INSTALL_STRIP"), "false", "SKBUILD_INSTALL_STRIP from pyweld env")
    # _skb has an install RPATH: CMake's install step rewrote the installed
    # copy's RUNPATH (then no recorded link had its content) unless the link
    # wrote it, which CMAKE_ARGS from `pyweld env` asks for.
    check_eq(env.get("CMAKE_ARGS"), "-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON",
             "CMAKE_ARGS from pyweld env")
    shows = c.verify(db, build, [
        Ext("pw_skbuild._skb", ["PyInit__skb"],
            [obj("skb_main.c.o"), flag("-Wl,-rpath,$ORIGIN/../pw_skbuild.libs"),
             ("archive", "libskbhelper.a")]),
    ])
    helper = archive_records(c, db, build, "libskbhelper.a")
    check(helper, "the archive libskbhelper.a that CMake made with ar was not recorded")
    inp = input_of(shows["pw_skbuild._skb"], "archive", "libskbhelper.a")
    check_eq(inp["object"], helper[-1]["object"],
             "snapshot of libskbhelper.a in the link versus its archive record")
    check_eq(inp["object"], sha256(os.path.join(src, "build", "libskbhelper.a")),
             "snapshot of libskbhelper.a versus the file CMake left")
    installed = glob.glob(os.path.join(c.site, "pw_skbuild", "_skb*.so"))
    check(len(installed) == 1, "installed _skb: %r" % installed)
    with open(installed[0], "rb") as f:
        check(b"$ORIGIN/../pw_skbuild.libs" in f.read(),
              "the installed _skb lost its install RPATH '$ORIGIN/../pw_skbuild.libs'")
    c.python("import pw_skbuild._skb as m\nassert m.square(7) == 49")


def case_cython(c):
    """A Cython extension (.pyx to C to the wrapper compiler)."""
    src = c.copy_package("pw_cython")
    db = os.path.join(c.tmp, "app.linkdb")
    env, settings = c.shim_env(db)
    c.pip_install(env, src)
    build = int(settings["PYWELD_BUILD"])
    if c.args.dump:
        return c.verify(db, build, [], dump=True)
    c.verify(db, build, [Ext("pw_cython._cy", ["PyInit__cy"], [obj("_cy.o"), PYLIB])])
    c.python("import pw_cython._cy as m\nassert m.fib(10) == 55")


def case_shared_source(c):
    """Two extensions compile the same sources to the same object paths."""
    src = c.copy_package("pw_shared")
    db = os.path.join(c.tmp, "app.linkdb")
    env, settings = c.shim_env(db)
    c.pip_install(env, src)
    build = int(settings["PYWELD_BUILD"])
    if c.args.dump:
        return c.verify(db, build, [], dump=True)
    shows = c.verify(db, build, [
        Ext("pw_shared._linuxish", ["PyInit__linuxish", "PyInit__posixish"],
            [obj("common.o"), obj("linuxish.o"), obj("posixish.o"), PYLIB]),
        Ext("pw_shared._posixish", ["PyInit__posixish"],
            [obj("common.o"), obj("posixish.o"), PYLIB]),
    ])
    # common.o was overwritten by the second extension's compile (another
    # PW_FLAVOR): each link keeps the object it really linked.
    a = input_of(shows["pw_shared._linuxish"], "object", "common.o")
    b = input_of(shows["pw_shared._posixish"], "object", "common.o")
    check_eq(a["value"], b["value"], "both links name the same common.o path")
    check(a["object"] != b["object"],
          "the two links of common.o recorded the same snapshot %s" % a["object"])
    c.python("import pw_shared._linuxish as l, pw_shared._posixish as p\n"
             "assert (l.flavor(), p.flavor()) == (1, 2), (l.flavor(), p.flavor())")


def case_archive(c):
    """A static helper library made with ar (build_clib), linked with -L/-l."""
    src = c.copy_package("pw_archive")
    db = os.path.join(c.tmp, "app.linkdb")
    env, settings = c.shim_env(db)
    c.pip_install(env, src)
    build = int(settings["PYWELD_BUILD"])
    if c.args.dump:
        return c.verify(db, build, [], dump=True)
    shows = c.verify(db, build, [
        Ext("pw_archive._arc", ["PyInit__arc"],
            [obj("arc.o"), PYLIB, ("libdir", setuptools_temp()), ("archive", "pwhelper")]),
    ])
    helper = archive_records(c, db, build, "libpwhelper.a")
    check(helper, "the archive libpwhelper.a made with ar was not recorded")
    inp = input_of(shows["pw_archive._arc"], "archive", "pwhelper")
    check_eq(inp["object_kind"], "archive", "kind of the stored -lpwhelper")
    check_eq(inp["object"], helper[-1]["object"],
             "snapshot of -lpwhelper in the link versus the archive record")
    check_eq(inp["object"], sha256(os.path.join(src, "build", setuptools_temp(),
                                                "libpwhelper.a")),
             "snapshot of -lpwhelper versus the file ar wrote")
    c.python("import pw_archive._arc as m\nassert m.combine(4) == 50")


def case_cxx(c):
    """A C++ extension: std::string, exceptions, linked by the C++ driver."""
    src = c.copy_package("pw_cxx")
    db = os.path.join(c.tmp, "app.linkdb")
    env, settings = c.shim_env(db)
    c.pip_install(env, src)
    build = int(settings["PYWELD_BUILD"])
    if c.args.dump:
        return c.verify(db, build, [], dump=True)
    c.verify(db, build, [
        Ext("pw_cxx._cxx", ["PyInit__cxx"],
            [obj("cxx_main.o"), obj("cxx_text.o"), PYLIB], language="c++"),
    ])
    c.python("import pw_cxx._cxx as m\nassert m.shout('hi') == 'HI!'\n"
             "try:\n    m.shout('')\nexcept ValueError as e:\n"
             "    assert str(e) == 'nothing to shout'\nelse:\n    raise AssertionError")


def ninja_overlap(log):
    """The most ninja edges that ran at once, from a .ninja_log."""
    events = []
    with open(log) as f:
        for line in f:
            if line.startswith("#"):
                continue
            start, end = line.split("\t")[:2]
            events.append((int(start), 1))
            events.append((int(end), -1))
    most = now = 0
    for _, d in sorted(events, key=lambda e: (e[0], e[1])):
        now += d
        most = max(most, now)
    return most


def case_parallel(c):
    """Eight extensions built by ninja in parallel: no record is lost."""
    src = c.copy_package("pw_parallel")
    db = os.path.join(c.tmp, "app.linkdb")
    env, settings = c.shim_env(db)
    c.pip_install(env, src, "--config-settings=build-dir=build",
                  "--config-settings=compile-args=-j8")
    build = int(settings["PYWELD_BUILD"])
    if c.args.dump:
        return c.verify(db, build, [], dump=True)
    # The scenario is real: ninja ran commands at the same time.
    most = ninja_overlap(os.path.join(src, "build", ".ninja_log"))
    check(most >= 2, "ninja never ran two commands at once (at most %d)" % most)
    expected = []
    for i in range(8):
        expected.append(Ext("pw_parallel._p%d" % i, ["PyInit__p%d" % i], [
            obj("src_par_main.c.o"), obj("src_par_util.c.o"),
            flag("-Wl,--as-needed"), flag("-Wl,--allow-shlib-undefined"),
            flag("-Wl,-O1"),
        ]))
    shows = c.verify(db, build, expected)
    utils = {input_of(s, "object", "src_par_util.c.o")["object"] for s in shows.values()}
    check_eq(len(utils), 8, "distinct snapshots of the eight par_util.c objects")
    compiles = [x for x in c.db(db, "compiles") if x["build"] == build]
    check_eq(len(compiles), 16, "compiles recorded")
    c.python("import importlib\nfor i in range(8):\n"
             "    m = importlib.import_module('pw_parallel._p%d' % i)\n"
             "    assert m.index() == i, (i, m.index())")


def ccache_stats(c, env):
    out = c.run(["ccache", "--print-stats"], env=env, what="ccache --print-stats")
    stats = {}
    for line in out.splitlines()[1:]:
        k, _, v = line.partition("\t")
        if v.strip().isdigit():
            stats[k] = int(v)
    return stats


def case_ccache(c):
    """CC="ccache gcc": the launcher is kept as the real compiler."""
    ccache = shutil.which("ccache", path=c.base_env["PATH"])
    gcc = shutil.which("gcc", path=c.base_env["PATH"])
    if not ccache or not gcc:
        raise Skip("ccache or gcc is not installed")
    src = c.copy_package("pw_setuptools")
    db = os.path.join(c.tmp, "app.linkdb")
    cache_env = {"CC": "ccache gcc", "CCACHE_DIR": os.path.join(c.tmp, "ccache")}
    first = []
    for round_ in (1, 2):
        env, settings = c.shim_env(db, cache_env)
        check_eq(settings["real_tools"]["cc"], [ccache, gcc], "real_tools.cc")
        if round_ == 1:
            c.run(["ccache", "--zero-stats"], env=env)
        else:
            shutil.rmtree(os.path.join(src, "build"))
            shutil.rmtree(c.site)
        c.pip_install(env, src)
        build = int(settings["PYWELD_BUILD"])
        stats = ccache_stats(c, env)
        hits = stats.get("direct_cache_hit", 0) + stats.get("preprocessed_cache_hit", 0)
        if round_ == 1:
            check_eq((stats.get("cache_miss", 0), hits), (2, 0),
                     "ccache (misses, hits) after the first build")
        else:
            check_eq((stats.get("cache_miss", 0), hits), (2, 2),
                     "ccache (misses, hits) after the second build")
        if c.args.dump:
            c.verify(db, build, [], dump=True)
            continue
        shows = c.verify(db, build, [
            Ext("pw_setuptools._two", ["PyInit__two"],
                [obj("two_helper.o"), obj("two_main.o"), PYLIB, ("lib", "m")]),
        ])
        objs = [(i["value"], i["object"]) for i in shows["pw_setuptools._two"]["input"]
                if i["kind"] == "object"]
        compiles = sorted((x["output"], x["object"]) for x in c.db(db, "compiles")
                          if x["build"] == build)
        if round_ == 1:
            first = (objs, compiles)
        else:
            check_eq((objs, compiles), first,
                     "objects recorded from ccache hits versus the first build")
    c.python("import pw_setuptools._two as m\nassert m.hypot(3.0, 4.0) == 5.0")


def sdist(c, name):
    d = c.args.sdists
    if not d or not os.path.isdir(d):
        raise Skip("no sdists directory (run tests/prepare-python.sh; --sdists DIR)")
    path = os.path.join(d, name)
    if not os.path.isfile(path):
        raise Skip("no '%s' in '%s' (run tests/prepare-python.sh)" % (name, d))
    return path


def case_markupsafe(c):
    """markupsafe 2.1.5 from its sdist: _speedups must be built and recorded."""
    path = sdist(c, "MarkupSafe-2.1.5.tar.gz")
    db = os.path.join(c.tmp, "app.linkdb")
    env, settings = c.shim_env(db)
    c.pip_install(env, path, "--no-binary", ":all:")
    build = int(settings["PYWELD_BUILD"])
    if c.args.dump:
        return c.verify(db, build, [], dump=True)
    c.verify(db, build, [
        Ext("markupsafe._speedups", ["PyInit__speedups"], [obj("_speedups.o"), PYLIB]),
    ])
    c.python("import markupsafe, markupsafe._speedups as s\n"
             "assert markupsafe.escape is s.escape\n"
             "assert str(markupsafe.escape('<a>')) == '&lt;a&gt;'")


def case_psutil(c):
    """psutil 5.9.8 from its sdist: _psutil_posix.c is in both extensions."""
    path = sdist(c, "psutil-5.9.8.tar.gz")
    db = os.path.join(c.tmp, "app.linkdb")
    env, settings = c.shim_env(db)
    c.pip_install(env, path, "--no-binary", ":all:")
    build = int(settings["PYWELD_BUILD"])
    if c.args.dump:
        return c.verify(db, build, [], dump=True)
    shows = c.verify(db, build, [
        Ext("psutil._psutil_linux", ["PyInit__psutil_linux", "PyInit__psutil_posix"],
            [obj("_psutil_common.o"), obj("_psutil_linux.o"), obj("_psutil_posix.o"),
             obj("disk.o"), obj("mem.o"), obj("net.o"), obj("proc.o"), obj("users.o"),
             PYLIB]),
        Ext("psutil._psutil_posix", ["PyInit__psutil_posix"],
            [obj("_psutil_common.o"), obj("_psutil_posix.o"), PYLIB]),
    ])
    # pip deleted its build directory; the records still hold every object.
    inits = {i["symbol"]: i["object"] for i in shows["psutil._psutil_linux"]["init"]}
    posix_obj = input_of(shows["psutil._psutil_linux"], "object", "_psutil_posix.o")
    check_eq(inits["PyInit__psutil_posix"], posix_obj["object"],
             "object defining PyInit__psutil_posix in _psutil_linux")
    c.python("import psutil, psutil._psutil_linux as l, psutil._psutil_posix as p\n"
             "assert psutil.cpu_count() >= 1\nassert psutil.Process().pid > 0\n"
             "assert l.__file__.startswith(sys.path[0]), l.__file__")


CASES = {
    "setuptools": case_setuptools,
    "meson": case_meson,
    "skbuild": case_skbuild,
    "cython": case_cython,
    "shared_source": case_shared_source,
    "archive": case_archive,
    "cxx": case_cxx,
    "parallel": case_parallel,
    "ccache": case_ccache,
    "markupsafe": case_markupsafe,
    "psutil": case_psutil,
}


def prerequisites(args):
    for exe in ("pyweld", "pyweld-cc"):
        if not os.access(os.path.join(args.bin, exe), os.X_OK):
            raise Skip("no '%s' in '%s' (build pyweld first)" % (exe, args.bin))
    if sys.prefix == sys.base_prefix:
        raise Skip("run with the venv python of tests/prepare-python.sh, not '%s'"
                   % sys.executable)
    for mod in ("setuptools", "mesonpy", "scikit_build_core", "Cython"):
        try:
            __import__(mod)
        except ImportError:
            raise Skip("'%s' is not installed in '%s' (run tests/prepare-python.sh)"
                       % (mod, sys.prefix))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="directory of pyweld and pyweld-cc")
    ap.add_argument("--sdists", help="directory of the pinned sdists")
    ap.add_argument("--keep", action="store_true", help="keep temporary directories")
    ap.add_argument("--dump", action="store_true", help="print records, check nothing")
    ap.add_argument("--list", action="store_true", help="list the cases")
    ap.add_argument("cases", nargs="*", help="cases to run (default: all)")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    if args.sdists:
        args.sdists = os.path.abspath(args.sdists)
    if args.list:
        for name, fn in CASES.items():
            print("%-14s %s" % (name, fn.__doc__))
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
            print("FAIL %s (%.1fs): %s\n    kept '%s'" % (name, time.monotonic() - t0, e,
                                                       c.tmp), flush=True)
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

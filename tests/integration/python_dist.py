#!/usr/bin/env python3
"""python_dist.py: the CPython distribution that `pyweld python build` made.

Runs against the default cache (`pyweld python path`, as the ctest fixture
pyweld_distribution leaves it; HOME, PYWELD_CACHE and XDG_CACHE_HOME pass
through so that both find the same one) and never writes into the
distribution.  Cases (`--list`):

  modules      every extension module that the system's CPython 3.11 has as
               a .so in /usr/lib/python3.11/lib-dynload is recorded: its
               installed .so is the output of a recorded link (SHA-256), that
               link's objects are in the store and define PyInit_<name>
  imports      the distribution's python starts isolated, imports each of
               those modules (and every other recorded one) from its own
               lib-dynload, and runs `python -m pip --version`
  pip_command  the installed pip command (bin/pip3) runs `pip3 --version`
  info         `pyweld python info --json`: version 3.11.x, soabi and
               ext_suffix as the interpreter says, each module with its link,
               init symbol, objects and libraries, libpython's SHA-256
  licence      readline is libedit (EditLine), no GNU readline anywhere in
               its libraries; GPL libraries are flagged copyleft
  licences_known  every library linked has a known licence
  cached       a second `pyweld python build` with the same inputs reports
               the cached distribution and rebuilds nothing
  debian       the Debian source package recorded: its version, its patch
               count (every patch applied), the .dsc's SHA-256
  linkdb       dist.linkdb: `pyweld db info` counts, `pyweld db check`
               clean, the distribution row, libpython in the store
  pgo          built with profile-guided optimisation (the default):
               distribution.json and configure say so, and nothing a weld
               links (libpython3.11.a, each module's recorded objects) was
               compiled for profile generation (no __gcov_ reference)
  lto          built with link-time optimisation (the default): configure got
               --with-lto, and libpython3.11.a holds ONE object of machine
               code (no GCC bytecode section) that LTO made (its privatised
               statics, *.lto_priv.N, are there, and local) and that defines
               what the installed fat archive's members define
  frozen       the standard library deep-frozen for welds (lib/pyweld-frozen):
               a sorted manifest of 500 modules or more, without test suites
               or what libpython deep-freezes itself, listed in
               pyweld_adjustments; one object per module defining only its
               getter and needing nothing that libpython3.11.a or strings.o
               (the strings they share) does not define
  classes      class creation (pydist/typeobject_slots.inc): listed in
               pyweld_adjustments; special methods found through a base, a
               base changed after its subclasses were made, a metaclass
               with its own mro(), builtin bases and __hash__ = None behave
               as the language says; CPython's own tests of classes, slots
               and descriptors pass (test_descr, test_class ...)
  regexes      the regexes the standard library compiles on import,
               precompiled (re/_pyweld_precompiled.py): listed in
               pyweld_adjustments; 150 or more; each gives a pattern equal to
               what re's parser and compiler make of it; re takes them from
               the table (its parser is never called for them) and parses
               anything else; CPython's test_re passes
  static_link  each module links statically from what was recorded (its
               stored objects and archives, its libraries' archives,
               libpython3.11.a): what welding will do

    python_dist.py --pyweld build/bin/pyweld [--python X.Y] [CASE...]

--python X.Y tests the last distribution of that version (`pyweld python
path --python X.Y`, as the fixture pyweld_distribution_X_Y leaves it);
without it, 3.11.  For a version other than 3.11 the system's lib-dynload
list is the 3.11 one less the modules that version removed (PEP 594), and
the pgo, lto, frozen, classes and regexes cases apply to a build that has
those (CI builds 3.13 without PGO and LTO).

Exit status: 0 passed, 1 failed, 77 skipped (a prerequisite is absent, said
why), 2 usage.  A failed case prints every problem it found.
"""

import argparse
import concurrent.futures
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

SKIP = 77
SYSTEM_DYNLOAD = "/usr/lib/python3.11/lib-dynload"
# What 3.13 removed of the modules the system's 3.11 has (PEP 594).
REMOVED = {"3.13": {"_crypt", "audioop", "nis", "ossaudiodev", "spwd", "_xxsubinterpreters",
                    "_xxinterpchannels"},
           "3.14": {"_crypt", "audioop", "nis", "ossaudiodev", "spwd", "_xxsubinterpreters",
                    "_xxinterpchannels"}}


class Failure(Exception):
    """An assertion of the test failed."""


class Skip(Exception):
    """A prerequisite is truly absent; the message says which."""


def run_group(argv, env, timeout, cwd=None):
    """Runs argv in its own process group (all of it is killed on a timeout);
    returns the CompletedProcess with text in .out and .err."""
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise Failure(f"'{' '.join(argv)}' did not finish in {timeout} s (killed)")
    p = subprocess.CompletedProcess(argv, proc.returncode, out, err)
    p.out = out.decode("utf-8", "surrogateescape")
    p.err = err.decode("utf-8", "surrogateescape")
    return p


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Dist:
    """The distribution under test, and the checks made on it."""

    def __init__(self, args):
        self.args = args
        self.version = args.python
        self.vflag = ["--python", args.python]
        self.pyweld = os.path.abspath(args.pyweld)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "LC_ALL": "C.UTF-8", "TZ": "UTC"}
        for k in ("HOME", "PYWELD_CACHE", "XDG_CACHE_HOME", "ASAN_OPTIONS",
                  "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR"):
            if k in os.environ:
                self.env[k] = os.environ[k]
        self.problems = []
        self._info = None
        self._links = {}

    # -- running things --

    def run(self, argv, timeout=600, cwd=None):
        return run_group(argv, self.env, timeout, cwd)

    def run_ok(self, argv, **kw):
        p = self.run(argv, **kw)
        self.require(p.returncode == 0,
                     f"'{' '.join(argv)}' exited {p.returncode}:\n{p.err}{p.out}")
        return p

    def check(self, cond, msg):
        if not cond:
            self.problems.append(msg)
        return cond

    def require(self, cond, msg):
        if not cond:
            self.problems.append(msg)
            raise Failure()

    # -- the distribution --

    @property
    def dir(self):
        if not hasattr(self, "_dir"):
            p = self.run([self.pyweld, "python", "path", *self.vflag])
            if p.returncode != 0:
                raise Skip(f"no distribution of CPython {self.version} in the default cache "
                           "(the ctest fixture pyweld_distribution builds it): " + p.err.strip())
            self._dir = p.out.strip()
        return self._dir

    @property
    def info(self):
        if self._info is None:
            p = self.run_ok([self.pyweld, "python", "info", "--json", *self.vflag])
            self._info = json.loads(p.out)
        return self._info

    @property
    def prefix(self):
        return os.path.join(self.dir, "prefix")

    @property
    def libpython(self):
        """The archive welds link, where distribution.json says it is."""
        return os.path.join(self.prefix, self.info.get("libpython", {}).get(
            "path", f"lib/libpython{self.version}.a"))

    @property
    def python(self):
        return os.path.join(self.prefix, "bin", f"python{self.version}")

    @property
    def stdlib(self):
        return os.path.join(self.prefix, "lib", f"python{self.version}")

    @property
    def dynload(self):
        return os.path.join(self.stdlib, "lib-dynload")

    @property
    def db(self):
        return os.path.join(self.dir, "dist.linkdb")

    def store_path(self, h):
        return os.path.join(self.dir, "dist.linkdb.store", h[:2], h)

    def modules(self):
        return {m["name"]: m for m in self.info.get("modules", [])}

    def link(self, link_id):
        """`pyweld db show link:N --json`, cached."""
        if link_id not in self._links:
            p = self.run_ok([self.pyweld, "db", "show", f"link:{link_id}", "--db", self.db,
                             "--json"])
            self._links[link_id] = json.loads(p.out)
        return self._links[link_id]

    def pyrun(self, code, *args):
        """Runs code with the distribution's python, isolated; returns the process."""
        return self.run([self.python, "-I", "-c", code, *args])


def system_modules(d):
    """Extension modules the system's CPython 3.11 has as shared objects, less
    what d's version removed or builds into libpython (3.12's _typing)."""
    if not os.path.isdir(SYSTEM_DYNLOAD):
        raise Skip(f"no '{SYSTEM_DYNLOAD}': the system has no CPython 3.11 to compare with")
    names = sorted({f.split(".")[0] for f in os.listdir(SYSTEM_DYNLOAD) if f.endswith(".so")}
                   - REMOVED.get(d.version, set()) - set(d.info.get("builtins", [])))
    if not names:
        raise Skip(f"'{SYSTEM_DYNLOAD}' holds no extension module")
    return names


# --- cases ------------------------------------------------------------------


def case_modules(d):
    """Every lib-dynload module of the system's python is recorded."""
    mods = d.modules()
    want = system_modules(d)
    suffix = d.info.get("ext_suffix")
    missing = [n for n in want if n not in mods]
    d.check(not missing, f"modules of {SYSTEM_DYNLOAD} not in the distribution: {missing}")
    # Every .so the distribution installed is described, and nothing else.
    installed = sorted(f for f in os.listdir(d.dynload) if f.endswith(".so"))
    described = sorted(m["file"] for m in mods.values())
    d.check(installed == described,
            "lib-dynload and distribution.json disagree: installed but not recorded "
            f"{sorted(set(installed) - set(described))}, recorded but not installed "
            f"{sorted(set(described) - set(installed))}")
    for name in want:
        m = mods.get(name)
        if not m:
            continue
        init = f"PyInit_{name}"
        so = os.path.join(d.dynload, m["file"])
        d.check(m["file"] == name + suffix, f"{name}: file '{m['file']}' is not {name}{suffix}")
        d.check(m["init"] == init, f"{name}: init '{m['init']}', expected {init}")
        d.check(isinstance(m["link"], int) and m["link"] > 0, f"{name}: no link id")
        d.check(m["objects"], f"{name}: no objects recorded")
        if not os.path.isfile(so):
            d.check(False, f"{name}: '{so}' is not installed")
            continue
        digest = sha256_file(so)
        d.check(m["so_sha256"] == digest,
                f"{name}: so_sha256 {m['so_sha256']} is not the installed file's {digest}")
        show = d.link(m["link"])
        link = show.get("link", {})
        d.check(link.get("output_hash") == digest,
                f"{name}: link {m['link']} produced {link.get('output_hash')}, not the "
                f"installed .so ({digest})")
        d.check(link.get("status") == 0, f"{name}: link {m['link']} status {link.get('status')}")
        d.check(os.path.basename(link.get("output", "")) == m["file"],
                f"{name}: link {m['link']} output is '{link.get('output')}'")
        objs = [i for i in show.get("input", []) if i["kind"] == "object"]
        d.check([i["value"] for i in objs] == m["objects"],
                f"{name}: the objects in distribution.json {m['objects']} are not the "
                f"link's object inputs {[i['value'] for i in objs]}")
        hashes = set()
        for i in show.get("input", []):
            if i["kind"] not in ("object", "archive"):
                continue
            if not d.check(i.get("object"), f"{name}: input '{i['value']}' was not stored"):
                continue
            hashes.add(i["object"])
            sp = d.store_path(i["object"])
            d.check(os.path.isfile(sp) and sha256_file(sp) == i["object"],
                    f"{name}: stored input '{i['value']}' missing or damaged at '{sp}'")
        inits = {x["symbol"]: x["object"] for x in show.get("init", [])}
        d.check(init in inits, f"{name}: link {m['link']} records inits {sorted(inits)}, "
                f"not {init}")
        d.check(inits.get(init) in hashes,
                f"{name}: {init} is defined by {inits.get(init)}, not one of the link's "
                "stored inputs")
    print(f"  {len(want)} modules of {SYSTEM_DYNLOAD}; {len(mods)} recorded")


IMPORT_PY = r"""
import importlib, json, os, sys
out = {"version": list(sys.version_info[:3]), "prefix": sys.prefix,
       "executable": sys.executable, "modules": {}}
for name in sys.argv[1:]:
    try:
        m = importlib.import_module(name)
        out["modules"][name] = {"file": getattr(m, "__file__", None)}
    except BaseException as e:
        out["modules"][name] = {"error": "%s: %s" % (type(e).__name__, e)}
print(json.dumps(out))
"""


def case_imports(d):
    """The distribution's python imports every module and runs pip."""
    want = system_modules(d)
    names = sorted(set(want) | set(d.modules()))
    p = d.pyrun(IMPORT_PY, *names)
    d.require(p.returncode == 0, f"'{d.python} -I' did not run (exit {p.returncode}):\n{p.err}")
    r = json.loads(p.out)
    d.check("%d.%d" % tuple(r["version"][:2]) == d.version,
            f"the python is {r['version']}, not {d.version}")
    d.check(os.path.realpath(r["prefix"]) == os.path.realpath(d.prefix),
            f"sys.prefix is '{r['prefix']}', not '{d.prefix}'")
    dynload = os.path.realpath(d.dynload)
    for name in names:
        res = r["modules"].get(name, {})
        if "error" in res:
            d.check(False, f"import {name}: {res['error']}")
            continue
        f = res.get("file")
        d.check(f and os.path.dirname(os.path.realpath(f)) == dynload,
                f"import {name}: loaded from '{f}', not from '{dynload}'")
    p = d.run([d.python, "-I", "-m", "pip", "--version"])
    d.check(p.returncode == 0, f"'python -m pip --version' exited {p.returncode}:\n{p.err}")
    site = os.path.join(d.stdlib, "site-packages", "pip")
    d.check(re.match(r"pip \d+\.\d+(\.\d+)? from ", p.out) and site in p.out,
            f"'python -m pip --version' says {p.out.strip()!r}, expected pip from '{site}'")
    d.check(p.out.strip() == d.info.get("pip"),
            f"pip says {p.out.strip()!r}, distribution.json says {d.info.get('pip')!r}")
    print(f"  imported {len(names)} modules ({len(want)} of the system's list); "
          f"{p.out.strip()}")


def case_pip_command(d):
    """The installed pip command runs."""
    pips = [os.path.join(d.prefix, "bin", n) for n in ("pip3", f"pip{d.version}")]
    present = [x for x in pips if os.path.isfile(x)]
    d.require(present, f"no pip command in '{d.prefix}/bin': {os.listdir(d.prefix + '/bin')}")
    for pip in present:
        with open(pip, "rb") as f:
            shebang = f.readline().decode(errors="replace").strip()
        interp = shebang[2:].split()[0] if shebang.startswith("#!") else ""
        d.check(os.path.isfile(interp) and os.access(interp, os.X_OK),
                f"'{pip}' starts with '{shebang}', and '{interp}' is not an executable")
        try:
            p = d.run([pip, "--version"])
        except OSError as e:
            d.check(False, f"'{pip} --version' cannot run: {e}")
            continue
        d.check(p.returncode == 0 and p.out.startswith("pip "),
                f"'{pip} --version' exited {p.returncode}: {p.out}{p.err}")


def case_info(d):
    """`pyweld python info --json` says what the interpreter says."""
    i = d.info
    for k in ("recipe", "key", "python_version", "soabi", "ext_suffix", "prefix", "readline",
              "source", "configure", "libpython", "modules", "missing_static", "builtins",
              "pip", "dir"):
        d.check(k in i, f"info --json has no '{k}'")
    d.check(i.get("dir") == d.dir, f"info dir '{i.get('dir')}' is not python path '{d.dir}'")
    d.check(i.get("key") == os.path.basename(d.dir), f"key '{i.get('key')}' is not the dir name")
    with open(os.path.join(d.dir, "COMPLETE")) as f:
        d.check(f.read().strip() == i.get("key"), "COMPLETE does not hold the key")
    d.check(os.path.realpath(i.get("prefix", "")) == os.path.realpath(d.prefix),
            f"prefix '{i.get('prefix')}' is not '{d.prefix}'")
    d.check(re.fullmatch(re.escape(d.version) + r"\.\d+", i.get("python_version", "")),
            f"python_version '{i.get('python_version')}' is not {d.version}.x")
    p = d.pyrun("import json, sys, sysconfig; print(json.dumps([sys.version.split()[0], "
                "sysconfig.get_config_var('SOABI'), sysconfig.get_config_var('EXT_SUFFIX'), "
                "sorted(sys.builtin_module_names)]))")
    d.require(p.returncode == 0, f"the python did not run: {p.err}")
    version, soabi, suffix, builtins = json.loads(p.out)
    d.check(i.get("python_version") == version,
            f"python_version '{i.get('python_version')}', the interpreter says '{version}'")
    d.check(i.get("soabi") == soabi ==
            "cpython-%s-x86_64-linux-gnu" % d.version.replace(".", ""),
            f"soabi '{i.get('soabi')}', the interpreter says '{soabi}'")
    d.check(i.get("ext_suffix") == suffix == f".{soabi}.so",
            f"ext_suffix '{i.get('ext_suffix')}', the interpreter says '{suffix}'")
    d.check(i.get("builtins") == builtins, "builtins differ from sys.builtin_module_names")
    lp = i.get("libpython", {})
    lib = os.path.join(d.prefix, lp.get("path", f"lib/libpython{d.version}.a"))
    d.check(lp.get("path") == f"lib/libpython{d.version}.a",
            f"libpython path '{lp.get('path')}'")
    d.check(os.path.isfile(lib) and sha256_file(lib) == lp.get("sha256"),
            f"libpython sha256 {lp.get('sha256')} does not match '{lib}'")
    missing = {(x["module"], x["library"]) for x in i.get("missing_static", [])}
    seen_missing = set()
    d.check(i.get("modules"), "no modules")
    for m in i.get("modules", []):
        name = m.get("name", "?")
        for k, t in (("name", str), ("file", str), ("link", int), ("init", str),
                     ("so_sha256", str), ("objects", list), ("libs", list),
                     ("dynamic_libs", list), ("copyleft", bool)):
            d.check(isinstance(m.get(k), t), f"module {name}: '{k}' is not a {t.__name__}")
        d.check(m.get("init") == f"PyInit_{name}", f"module {name}: init '{m.get('init')}'")
        d.check(m.get("file") == name + (suffix or ""), f"module {name}: file '{m.get('file')}'")
        d.check(m.get("objects"), f"module {name}: no objects")
        names = [l.get("name") for l in m.get("libs", [])]
        d.check(len(names) == len(set(names)), f"module {name}: a library twice: {names}")
        for l in m.get("libs", []):
            what = f"module {name}, library '{l.get('name')}'"
            for k, t in (("name", str), ("licence", str), ("copyleft", bool), ("libc", bool)):
                d.check(isinstance(l.get(k), t), f"{what}: '{k}' is not a {t.__name__}")
            d.check(l.get("licence"), f"{what}: no licence")
            a = l.get("archive")
            if l.get("libc"):
                d.check(a is None, f"{what}: a libc library with an archive '{a}'")
            elif a is None:
                d.check(l["name"] in m.get("dynamic_libs", []) and
                        (name, l["name"]) in missing,
                        f"{what}: no static archive, and not listed as dynamic/missing_static")
                seen_missing.add((name, l["name"]))
            else:
                d.check(os.path.isfile(a) and a.endswith(".a"),
                        f"{what}: archive '{a}' is not a static archive")
        d.check(m.get("copyleft") == any(l.get("copyleft") for l in m.get("libs", [])),
                f"module {name}: copyleft {m.get('copyleft')} disagrees with its libraries")
    d.check(missing == seen_missing,
            f"missing_static {sorted(missing)} disagrees with the modules' libraries "
            f"{sorted(seen_missing)}")
    # The text form says the same.
    p = d.run_ok([d.pyweld, "python", "info", *d.vflag])
    d.check(f"python:         {i.get('python_version')} ({i.get('soabi')})" in p.out,
            "'pyweld python info' does not show the version and ABI")
    d.check(f"extension modules: {len(i.get('modules', []))}" in p.out,
            "'pyweld python info' does not show the module count")
    d.check(all(re.search(rf"^{re.escape(m['name'])}\s+{m['init']}\s", p.out, re.M)
                for m in i.get("modules", [])),
            "'pyweld python info' does not list every module with its init symbol")


def case_licence(d):
    """readline is libedit; nothing GPL in it by default."""
    i = d.info
    p = d.pyrun("import readline; print(readline._READLINE_LIBRARY_VERSION)")
    d.require(p.returncode == 0, f"import readline failed: {p.err}")
    d.check("EditLine" in p.out,
            f"readline._READLINE_LIBRARY_VERSION is {p.out.strip()!r}, not EditLine (libedit)")
    d.check("libedit" in i.get("readline", ""), f"readline is '{i.get('readline')}'")
    d.check("--with-readline=editline" in i.get("configure", []),
            f"configure did not get --with-readline=editline: {i.get('configure')}")
    m = d.modules().get("readline")
    d.require(m, "no readline module")
    libs = [l["name"] for l in m["libs"]]
    d.check("edit" in libs, f"readline's libraries {libs} do not include libedit")
    gnu = [l for l in libs if l in ("readline", "history")]
    d.check(not gnu, f"readline links GNU readline: {libs}")
    d.check(not m["copyleft"] and not any(l["copyleft"] for l in m["libs"]),
            f"readline's libraries are copyleft: {m['libs']}")
    link = d.link(m["link"])["link"]
    d.check(not any(re.fullmatch(r"-l(readline|history)|.*libreadline\.(a|so.*)", a)
                    for a in link["argv"]),
            f"readline's recorded link names GNU readline: {link['argv']}")
    so = os.path.join(d.dynload, m["file"])
    p = d.run(["readelf", "-d", so])
    if p.returncode == 0:
        needed = re.findall(r"\(NEEDED\).*\[(.+)\]", p.out)
        d.check(not any(n.startswith(("libreadline", "libhistory")) for n in needed),
                f"'{so}' needs GNU readline: {needed}")
    # Known GPL libraries are flagged wherever they appear.
    for mod in i.get("modules", []):
        for l in mod["libs"]:
            if l["name"] in ("readline", "history", "gdbm", "gdbm_compat"):
                d.check(l["copyleft"] and mod["copyleft"],
                        f"module {mod['name']}: GPL library '{l['name']}' not flagged copyleft")


def case_licences_known(d):
    """Every library a module links has a known licence."""
    # DESIGN: "Licences of everything linked are known and reported"; an
    # unknown licence is also never counted as copyleft.
    unknown = sorted({f"{l['name']} ({mod['name']})" for mod in d.info.get("modules", [])
                      for l in mod["libs"] if l.get("licence") in (None, "", "unknown")})
    d.check(not unknown, f"libraries with licence 'unknown': {', '.join(unknown)}")


def case_cached(d):
    """A second build with the same inputs is found in the cache."""
    stamp = {}
    for f in ("COMPLETE", "build.log", "distribution.json", "dist.linkdb", "prefix",
              f"prefix/lib/libpython{d.version}.a", f"prefix/bin/python{d.version}"):
        st = os.stat(os.path.join(d.dir, f))
        stamp[f] = (st.st_ino, st.st_mtime_ns, st.st_size)
    dir_ino = os.stat(d.dir).st_ino
    pydir = os.path.dirname(d.dir)
    work_before = set(glob.glob(os.path.join(pydir, ".work-*")))
    src = d.info.get("source", {}).get("path")
    # The options the distribution was built with, so that the key is its.
    opts = [*d.vflag] + (["--no-pgo"] if d.info.get("pgo") == "no" else []) + \
        (["--no-lto"] if d.info.get("lto") == "no" else [])
    calls = [opts]
    if src and os.path.isfile(src):
        calls.append(opts + ["--source", src])
    for extra in calls:
        what = "'pyweld python build" + "".join(" " + a for a in extra) + "'"
        p = d.run([d.pyweld, "python", "build", *extra], timeout=90)
        d.check(p.returncode == 0, f"{what} exited {p.returncode}:\n{p.err}")
        d.check(p.out.strip() == d.dir, f"{what} printed '{p.out.strip()}', not '{d.dir}'")
        d.check("pyweld: using the cached distribution" in p.err,
                f"{what} did not report the cached distribution:\n{p.err}")
        d.check(not re.search(r"\[[3-6]/6\]|built CPython", p.err),
                f"{what} built something:\n{p.err}")
    for f, before in stamp.items():
        st = os.stat(os.path.join(d.dir, f))
        d.check((st.st_ino, st.st_mtime_ns, st.st_size) == before,
                f"'{f}' changed during a cached build call")
    d.check(os.stat(d.dir).st_ino == dir_ino, "the distribution directory was replaced")
    d.check(set(glob.glob(os.path.join(pydir, ".work-*"))) <= work_before,
            "a cached build call made a work directory")
    if d.version == "3.11":
        d.check(os.path.realpath(os.path.join(pydir, "current")) == os.path.realpath(d.dir),
                "'current' does not point at the distribution after a cached call")
    d.check(os.path.realpath(os.path.join(pydir, f"current-{d.version}")) ==
            os.path.realpath(d.dir),
            f"'current-{d.version}' does not point at the distribution after a cached call")
    # pyweld python list shows it, marked current.
    p = d.run_ok([d.pyweld, "python", "list", "--json"])
    rows = {r["key"]: r for r in json.loads(p.out)}
    row = rows.get(os.path.basename(d.dir), {})
    d.check(row.get("python_version") == d.info.get("python_version") and row.get("current"),
            f"'pyweld python list --json' does not show the distribution as current: {row}")


def dsc_fields(path):
    """Field: value pairs of a .dsc (continuation lines joined)."""
    fields, key = {}, None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("-----BEGIN PGP SIGNATURE"):
                break
            if line.startswith(("-----BEGIN", "Hash:")) or not line.strip():
                continue
            if line[0] in " \t" and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
    return fields


def case_debian(d):
    """Debian's patch level is recorded, and its patches were applied."""
    s = d.info.get("source", {})
    if s.get("kind") != "debian-source-package":
        raise Skip(f"the distribution was built from a {s.get('kind')}, not Debian's package")
    v = s.get("debian_version") or ""
    d.check(re.fullmatch(re.escape(d.version) + r"\.\d+-[0-9A-Za-z.+~]+", v),
            f"source.debian_version '{v}' is not a Debian version of {d.version}")
    d.check(v.split("-")[0] == d.info.get("python_version"),
            f"Debian version '{v}' is not of python {d.info.get('python_version')}")
    dsc = s.get("path", "")
    if os.path.isfile(dsc):
        f = dsc_fields(dsc)
        d.check(f.get("Version") == v, f"the .dsc says Version {f.get('Version')}, recorded {v}")
        d.check(s.get("sha256") == sha256_file(dsc), "source.sha256 is not the .dsc's")
        debs = glob.glob(os.path.join(os.path.dirname(dsc),
                                      f"python{d.version}_{v}.debian.tar.*"))
        if debs:
            p = d.run(["tar", "-xOf", debs[0], "debian/patches/series"])
            if d.check(p.returncode == 0, f"cannot read the series from '{debs[0]}'"):
                n = sum(1 for l in p.out.splitlines() if l.strip() and not l.startswith("#"))
                d.check(s.get("debian_patches") == n,
                        f"debian_patches {s.get('debian_patches')}, the series has {n}")
    else:
        print(f"  note: '{dsc}' is gone; only the recorded values are checked")
    d.check(isinstance(s.get("debian_patches"), int) and s["debian_patches"] > 0,
            f"debian_patches {s.get('debian_patches')}")
    with open(os.path.join(d.dir, "build.log"), errors="replace") as f:
        applied = re.findall(r"^dpkg-source: info: applying (\S+)", f.read(), re.M)
    d.check(len(applied) == s.get("debian_patches"),
            f"build.log shows {len(applied)} patches applied, {s.get('debian_patches')} recorded")
    documented = ("reversed Lib/site.py part of distutils-install-layout.diff",
                  "reversed sysconfig-debian-schemes.diff",
                  "reversed ensurepip-disabled.diff",
                  "Modules/pyexpat.c: Py_BUILD_CORE_MODULE guard",
                  "installed Lib/test/", "generated lib2to3's grammar pickles",
                  # docs/distribution.md, "Start-up" and the recipe's LTO and
                  # deep-freeze steps
                  "Tools/scripts/freeze_modules.py: encodings",
                  "Makefile.pre.in: deep-frozen modules made ready",
                  f"optimised libpython{d.version}.a's",
                  "deep-froze ",
                  # docs/distribution.md, "Class creation" and "Start-up"
                  "Objects/typeobject.c: class creation",
                  "Lib/re/_compiler.py: regexes found in",
                  "precompiled ")
    for a in s.get("pyweld_adjustments", []):
        d.check(a.startswith(documented), f"undocumented adjustment to Debian's tree: '{a}'")
    print(f"  Debian {v}, {s.get('debian_patches')} patches, "
          f"{len(s.get('pyweld_adjustments', []))} adjustments")


def case_linkdb(d):
    """dist.linkdb holds every compile and link, and checks clean."""
    want = system_modules(d)
    p = d.run_ok([d.pyweld, "db", "info", "--db", d.db, "--json"])
    info = json.loads(p.out)
    d.check(info.get("links", 0) >= len(want),
            f"{info.get('links')} links recorded, fewer than the {len(want)} modules of "
            f"{SYSTEM_DYNLOAD}")
    d.check(info.get("links", 0) >= len(d.modules()),
            f"{info.get('links')} links recorded for {len(d.modules())} modules")
    d.check(info.get("compiles", 0) > info.get("links", 0),
            f"{info.get('compiles')} compiles for {info.get('links')} links")
    d.check(info.get("distributions") == 1, f"{info.get('distributions')} distribution rows")
    d.check(info.get("builds", 0) >= 1, "no build row")
    p = d.run([d.pyweld, "db", "check", "--db", d.db])
    d.check(p.returncode == 0, f"'pyweld db check' exited {p.returncode}:\n{p.out}{p.err}")
    p = d.run_ok([d.pyweld, "db", "distributions", "--db", d.db, "--json"])
    rows = json.loads(p.out)
    d.require(len(rows) == 1, f"{len(rows)} distribution rows")
    r, i = rows[0], d.info
    for k, ik in (("python_version", "python_version"), ("abi", "soabi"),
                  ("ext_suffix", "ext_suffix"), ("prefix", "prefix")):
        d.check(r.get(k) == i.get(ik), f"distribution row {k} '{r.get(k)}' != info '{i.get(ik)}'")
    lib = i.get("libpython", {}).get("sha256", "")
    d.check(r.get("libpython") == lib, f"distribution row libpython {r.get('libpython')} != {lib}")
    d.check(lib and os.path.isfile(d.store_path(lib)), "libpython3.11.a is not in the store")
    print(f"  {info.get('compiles')} compiles, {info.get('links')} links, "
          f"{info.get('archives')} archives, {info.get('store_bytes', 0) >> 20} MB stored")


MAIN_C = "extern void *{init}(void);\nint main(void) {{ return {init}() != 0; }}\n"


def case_static_link(d):
    """Each module links statically from what was recorded."""
    i = d.info
    libpython = d.libpython
    p = d.pyrun("import sysconfig; print(sysconfig.get_config_var('LIBS') or '', "
                "sysconfig.get_config_var('SYSLIBS') or '')")
    d.require(p.returncode == 0, f"the python did not run: {p.err}")
    pylibs = p.out.split()
    cc = shutil.which("gcc") or shutil.which("cc")
    if not cc:
        raise Skip("no C compiler")
    tmp = tempfile.mkdtemp(prefix="pyweld-python-static-")

    def one(m):
        show = d.link(m["link"])
        inputs = [d.store_path(x["object"]) for x in show["input"]
                  if x["kind"] in ("object", "archive") and x.get("object")]
        libs = [l["archive"] if l.get("archive") else "-l" + l["name"] for l in m["libs"]]
        main = os.path.join(tmp, m["name"] + ".c")
        with open(main, "w") as f:
            f.write(MAIN_C.format(init=m["init"]))
        argv = [cc, "-o", os.path.join(tmp, m["name"]), main, *inputs, *libs, libpython,
                *pylibs]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=d.env, timeout=300)
        out = p.stdout.decode(errors="replace")
        undefined = sorted(set(re.findall(r"undefined reference to `([^']+)'", out)))
        return m["name"], p.returncode, undefined, out, libs

    # Fetch the links first (one pyweld call at a time), then link in parallel.
    # A module with a library listed in missing_static is reported as one
    # that cannot be all static: it must name a library without an archive.
    missing = {x["module"] for x in i.get("missing_static", [])}
    for m in i.get("modules", []):
        if m["name"] in missing:
            d.check(any(not l.get("archive") and not l.get("libc") for l in m["libs"]),
                    f"{m['name']}: listed in missing_static, but all its libraries "
                    "have archives")
    mods = [m for m in i.get("modules", []) if m["name"] not in missing]
    for m in mods:
        d.link(m["link"])
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        results = list(ex.map(one, mods))
    bad = 0
    for name, rc, undefined, out, libs in sorted(results):
        if rc != 0:
            bad += 1
            detail = (f"undefined: {', '.join(undefined[:8])}"
                      f"{' ...' if len(undefined) > 8 else ''}" if undefined
                      else out.strip()[-600:])
            d.check(False, f"{name}: does not link statically with its recorded libraries "
                    f"{[os.path.basename(x) for x in libs]} and nothing is reported in "
                    f"missing_static; {detail}")
    if not d.problems:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"  the links are in '{tmp}'")
    print(f"  {len(mods) - bad} of {len(mods)} modules link statically "
          f"({len(missing)} reported in missing_static: {', '.join(sorted(missing))})")


def built_with(d, key, option):
    """distribution.json says `key: yes`, and configure got option."""
    i = d.info
    d.check(i.get(key) == "yes", f"distribution.json says {key} {i.get(key)!r}")
    d.check(option in i.get("configure", []),
            f"configure did not get {option}: {i.get('configure')}")


def strong_globals(nm_out):
    """Names nm lists as defined strong globals (code, data, bss, read-only)."""
    return {f[2] for f in (l.split() for l in nm_out.splitlines())
            if len(f) == 3 and f[1] in "TDBR"}


def case_pgo(d):
    """Built with PGO; nothing welded refers to libgcov."""
    i = d.info
    built_with(d, "pgo", "--enable-optimizations")
    files = [d.libpython]
    for m in i.get("modules", []):
        files += [d.store_path(x["object"]) for x in d.link(m["link"])["input"]
                  if x["kind"] == "object" and x.get("object")]
    p = d.run_ok(["nm", "-u", *files])
    gcov = sorted(set(re.findall(r"\b(__gcov_\w+)", p.out)))
    d.check(not gcov, f"{len(files)} files welds link refer to libgcov (objects of the "
            f"instrumented build): {gcov[:6]}")
    print(f"  {len(files)} files checked: libpython3.11.a and the modules' objects")


def case_lto(d):
    """Built with LTO; libpython3.11.a is one optimised object."""
    built_with(d, "lto", "--with-lto")
    libpython = d.libpython
    members = d.run_ok(["ar", "t", libpython]).out.split()
    d.require(members == ["libpython3.11.o"],
              f"libpython3.11.a holds {len(members)} members, not the one LTO object: "
              f"{members[:5]}")
    tmp = tempfile.mkdtemp(prefix="pyweld-python-lto-")
    try:
        d.run_ok(["ar", "x", libpython], cwd=tmp)
        obj = os.path.join(tmp, "libpython3.11.o")
        sections = d.run_ok(["readelf", "-SW", obj]).out
        d.check(".gnu.lto_" not in sections,
                "libpython3.11.o still holds GCC bytecode (.gnu.lto_ sections): every "
                "weld would be an LTO link")
        syms = d.run_ok(["nm", obj]).out
        priv = len(re.findall(r"\.lto_priv\.\d+$", syms, re.M))
        d.check(priv > 0, "libpython3.11.o has no *.lto_priv.N symbols: LTO did not run")
        # Names GCC makes (foo.lto_priv.0, foo.part.0) must stay local: as
        # strong globals they clash with the same names of another LTO link
        # (a module's own static foo) in the final link.  (-g's weak
        # "file.c.HASH" markers cannot clash.)
        defined = strong_globals(syms)
        made = sorted(n for n in defined if "." in n)
        d.check(not made, f"libpython3.11.o has {len(made)} global symbols named by GCC "
                f"(partitioned LTO promotes them): {made[:6]}")
        # The fat members make install left beside python3.11-config.
        fat = glob.glob(os.path.join(d.prefix, "lib/python3.11/config-3.11-*/libpython3.11.a"))
        d.require(len(fat) == 1, f"no installed config/libpython3.11.a: {fat}")
        want = strong_globals(d.run_ok(["nm", "--defined-only", fat[0]]).out)
        lost = sorted(want - defined)
        d.check(not lost, f"{len(lost)} global symbols of the members are not defined by "
                f"libpython3.11.o: {lost[:8]}")
        print(f"  libpython3.11.o: {len(defined)} global symbols ({len(want)} in the "
              f"members), {priv} privatised by LTO")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def case_frozen(d):
    """The standard library is deep-frozen: one object per module, each linkable."""
    frozen = os.path.join(d.prefix, "lib", "pyweld-frozen")
    manifest = os.path.join(frozen, "manifest.tsv")
    d.require(os.path.isfile(manifest), f"no {manifest}: the standard library was not "
              "deep-frozen")
    with open(manifest, encoding="utf-8") as f:
        rows = [l.rstrip("\n").split("\t") for l in f]
    d.check(all(len(r) == 3 and re.fullmatch(r"[0-9a-f]{64}", r[0]) for r in rows),
            "manifest.tsv has malformed lines")
    names = [r[1] for r in rows]
    d.check(names == sorted(names) and len(set(names)) == len(names),
            "manifest.tsv is not sorted by module, or names a module twice")
    # A broad set: what pyweld build packs by default, minus what CPython
    # deep-freezes itself (codecs, io, os ...) and nothing of the test suites.
    d.check(len(rows) >= 500, f"only {len(rows)} modules deep-frozen")
    for want in ("json.decoder", "typing", "asyncio.base_events", "email.message"):
        d.check(want in names, f"{want} is not deep-frozen")
    for never in ("os", "codecs", "test.support", "idlelib.run", "tkinter"):
        d.check(never not in names, f"{never} is deep-frozen (it should not be)")
    adj = d.info.get("source", {}).get("pyweld_adjustments", [])
    d.check(any(a.startswith(f"deep-froze {len(rows)} standard-library modules")
                for a in adj), f"pyweld_adjustments does not list the deep-freeze: {adj}")
    # Each object defines its getter and nothing else global, and needs only
    # what libpython3.11.a and strings.o (the strings they share) define: a
    # weld links any subset of them, with strings.o.
    objs = [os.path.join(frozen, r[2] + ".o") for r in rows]
    missing = [o for o in objs if not os.path.isfile(o)]
    d.require(not missing, f"{len(missing)} objects of the manifest are missing: {missing[:4]}")
    strings_o = os.path.join(frozen, "strings.o")
    d.require(os.path.isfile(strings_o), f"no {strings_o}: the strings are not shared")
    lib = {f[2] for f in (l.split() for l in d.run_ok(
        ["nm", "--defined-only", d.libpython]).out.splitlines())
        if len(f) == 3 and f[1] in "TDBRVW"}
    shared = {f[2] for f in (l.split() for l in d.run_ok(
        ["nm", "--defined-only", strings_o]).out.splitlines()) if len(f) == 3}
    d.check(shared and all(re.fullmatch(r"_pyweld_str_\d+", n) for n in shared),
            f"strings.o defines more than _pyweld_str_N: {sorted(shared)[:5]}")
    strings_need = {l.split()[-1] for l in d.run_ok(
        ["nm", "-u", strings_o]).out.splitlines() if l.strip()}
    d.check(strings_need <= lib | {"_GLOBAL_OFFSET_TABLE_"},
            f"strings.o needs what libpython3.11.a does not define: "
            f"{sorted(strings_need - lib)[:6]}")
    defined, undefined = {o: set() for o in objs}, {o: set() for o in objs}
    # nm -A: "file:value type name" (defined) and "file: U name" (undefined)
    for line in d.run_ok(["nm", "-A", "--defined-only", *objs]).out.splitlines():
        path, _, rest = line.partition(":")
        f = rest.split()
        if len(f) == 3 and f[1] in "TDBR":
            defined[path].add(f[2])
    for line in d.run_ok(["nm", "-A", "-u", *objs]).out.splitlines():
        path, _, rest = line.partition(":")
        if rest.split()[-1] != "_GLOBAL_OFFSET_TABLE_":     # the linker makes it
            undefined[path].add(rest.split()[-1])
    for r, obj in zip(rows, objs):
        d.check(defined[obj] == {r[2]},
                f"{obj} defines {sorted(defined[obj])[:5]}, not just {r[2]}")
        d.check(undefined[obj] <= lib | shared, f"{obj} needs what neither "
                f"libpython3.11.a nor strings.o defines: "
                f"{sorted(undefined[obj] - lib - shared)[:6]}")
    used = set().union(*undefined.values()) & shared
    d.check(used == shared, f"{len(shared - used)} strings of strings.o no module uses")
    print(f"  {len(rows)} modules deep-frozen, {len(shared)} strings shared, "
          f"{sum(os.path.getsize(o) for o in objs + [strings_o]) >> 20} MiB of objects")


# What class creation must still get right with pydist/typeobject_slots.inc:
# each line's answer is the language's, whatever the MRO walk does.
CLASSES_PY = r"""
import abc, enum

def refused(f, *args):
    try:
        f(*args)
    except TypeError:
        return True
    return False

# Special methods of a Python base, found through the base's method cache.
class A:
    def __len__(self): return 3
    def __eq__(self, other): return True
    __hash__ = None
class B(A): pass
assert len(B()) == 3 and B() == 1, "inherited __len__/__eq__"
assert refused(hash, B()), "__hash__ = None inherited"

# A base changed after its subclasses were made, and before new ones.
class C: pass
class D(C): pass
assert refused(len, D())
C.__len__ = lambda self: 7
class E(C): pass
assert len(D()) == 7 and len(E()) == 7, "__len__ added to the base"
del C.__len__
class F(C): pass
assert refused(len, D()) and refused(len, E()) and refused(len, F()), "__len__ removed"

# A metaclass whose mro() is not the base's MRO plus the class: the real
# MRO's answer (Mixin's __len__, which the base's MRO does not have).
class Mixin:
    def __len__(self): return 11
class Meta(type):
    def mro(cls):
        m = super().mro()
        return m[:1] + [Mixin] + m[1:] if cls.__name__ == "G" else m
class Base(metaclass=Meta): pass
class G(Base): pass
assert G.__mro__[1] is Mixin and len(G()) == 11, "metaclass mro()"
assert refused(len, Base())

# Builtin bases: their C slots inherited, or overridden from Python.
class MyInt(int): pass
assert MyInt(3) + 4 == 7 and repr(MyInt(5)) == "5" and hash(MyInt(2)) == 2
class MyDict(dict):
    def __missing__(self, key): return key * 2
assert MyDict()[4] == 8
class MyList(list):
    def __iter__(self): return iter([9])
assert list(MyList([1, 2])) == [9] and len(MyList([1, 2])) == 2
class MyStr(str):
    def __add__(self, other): return "plus"
assert MyStr("a") + "b" == "plus" and "b" + MyStr("a") == "ba"

# Two bases: left to right; the tail from the second base is its MRO.
class H(A, dict): pass
assert len(H()) == 3 and refused(hash, H())
class P: pass
class Q: pass
class R(P, Q): pass
assert refused(len, R())
Q.__len__ = lambda self: 5
assert len(R()) == 5, "__len__ added to the second base"
P.__len__ = lambda self: 6
assert len(R()) == 6, "__len__ added to the first base"
del P.__len__
assert len(R()) == 5, "__len__ removed from the first base"
class R2(P, Q): pass
assert len(R2()) == 5

# A diamond: Root, Left(Root), Right(Root), Both(Left, Right); Right wins.
class Root:
    def __len__(self): return 1
class Left(Root): pass
class Right(Root):
    def __len__(self): return 2
class Both(Left, Right): pass
assert len(Both()) == 2, "diamond"
class Below(Both): pass
assert len(Below()) == 2

# A special name under a str that is not the interned one (type() keeps the
# namespace's keys): found by value, as a dict lookup finds it.
dunder_len = "".join(["__le", "n__"])
Built = type("Built", (), {dunder_len: lambda self: 4})
assert len(Built()) == 4, "a special name under a non-interned str"
Built2 = type("Built2", (Built,), {"".join(["__re", "pr__"]): lambda self: "B2"})
assert len(Built2()) == 4 and repr(Built2()) == "B2"

# Exceptions three levels down: the nearest __str__.
class E1(Exception):
    def __str__(self): return "E1"
class E2(E1): pass
class E3(E2, KeyError): pass
assert str(E2()) == "E1" and str(E3()) == "E1" and repr(E2()) == "E2()"

# __getattr__ from a base (tp_getattro's hook), iterators, descriptors.
class GetAttr:
    def __getattr__(self, name): return name.upper()
class GetAttr2(GetAttr): pass
assert GetAttr2().foo == "FOO"
class It:
    def __iter__(self): return self
    def __next__(self): raise StopIteration
class It2(It): pass
assert list(It2()) == []
class NotIt: pass
class NotIt2(NotIt): pass
assert refused(next, NotIt2())
class Desc:
    def __get__(self, obj, owner): return 42
    def __set__(self, obj, value): obj.__dict__["x"] = value
class Desc2(Desc): pass
class Holder:
    x = Desc2()
h = Holder()
h.x = 1
assert h.x == 42, "data descriptor through a base"

# enum and abc, which create classes through metaclasses.
class Color(enum.IntEnum):
    RED = 1
assert Color.RED + 1 == 2 and hash(Color.RED) == hash(1) and Color(1) is Color.RED
class Abstract(abc.ABC):
    @abc.abstractmethod
    def f(self): ...
class Concrete(Abstract):
    def f(self): return 1
assert refused(Abstract) and Concrete().f() == 1
print("ok")
"""

# CPython's own tests of class creation, slots, descriptors and the classes
# built on them; they run from the distribution's installed Lib/test.
CLASS_TESTS = ("test_descr", "test_class", "test_subclassinit", "test_super",
               "test_descrtut", "test_binop", "test_richcmp", "test_compare",
               "test_unary", "test_augassign", "test_bool", "test_index",
               "test_isinstance", "test_property", "test_dynamicclassattribute",
               "test_iter", "test_hash", "test_abc", "test_enum", "test_dataclasses",
               "test_typing", "test_types", "test_genericalias", "test_collections",
               "test_ordered_dict", "test_userdict", "test_userlist", "test_userstring",
               "test_functools", "test_contextlib", "test_copy", "test_copyreg",
               "test_pickle", "test_weakref", "test_inspect", "test_opcache",
               "test_int", "test_float", "test_complex", "test_list", "test_dict",
               "test_set")


def case_classes(d):
    """Class creation answers as the language says, and CPython's tests agree."""
    adj = d.info.get("source", {}).get("pyweld_adjustments", [])
    d.check(any(a.startswith("Objects/typeobject.c: class creation") for a in adj),
            f"pyweld_adjustments does not list the class-creation change: {adj}")
    p = d.pyrun(CLASSES_PY)
    d.check(p.returncode == 0 and p.out.strip() == "ok",
            f"the class semantics script failed (exit {p.returncode}):\n{p.err}{p.out}")
    p = d.run([d.python, "-I", "-m", "test", *CLASS_TESTS], timeout=900)
    # "All N tests OK." also says that every module ran (none skipped).
    d.check(p.returncode == 0 and f"All {len(CLASS_TESTS)} tests OK." in p.out,
            f"'python -m test {' '.join(CLASS_TESTS)}' exited {p.returncode}:\n"
            f"{(p.out + p.err)[-3000:]}")
    print(f"  {len(CLASS_TESTS)} of CPython's test modules passed")


# The precompiled regexes (re/_pyweld_precompiled.py) against re's own
# parser and compiler, and proof that re takes them from the table.
REGEXES_PY = r"""
import json
from re import _compiler, _parser
table = _compiler._precompiled
out = {"file": getattr(table, "__file__", None), "n": 0, "bad": [], "used": None,
       "fallback": None, "kinds": []}
if table is not None:
    for kind, want in (("STR", str), ("BYTES", bytes)):
        for (p, flags), args in getattr(table, kind).items():
            out["n"] += 1
            _compiler._precompiled = None
            fresh = _compiler.compile(p, flags)
            _compiler._precompiled = table
            got = _compiler.compile(p, flags)
            if not (type(p) is want and got == fresh and got.groups == fresh.groups
                    and got.groupindex == fresh.groupindex and got.flags == fresh.flags):
                out["bad"].append(f"{kind} {p!r:.70} flags {flags}")
        out["kinds"].append(kind)
    # With the parser broken, a table pattern still compiles (it is not
    # parsed) and any other pattern does not (it is).
    parse, calls = _parser.parse, []
    def refuse(*args):
        calls.append(args)
        raise RuntimeError("parsed")
    _parser.parse = refuse
    (p, flags), _ = next(iter(table.STR.items()))
    try:
        out["used"] = _compiler.compile(p, flags).pattern == p and not calls
    except RuntimeError:
        out["used"] = False
    try:
        _compiler.compile("pyweld-not-in-the-table(x)", 0)
    except RuntimeError:
        out["fallback"] = len(calls) == 1
    _parser.parse = parse
print(json.dumps(out))
"""


def case_regexes(d):
    """The regexes the standard library compiles on import come precompiled."""
    adj = d.info.get("source", {}).get("pyweld_adjustments", [])
    d.check(any(a.startswith("Lib/re/_compiler.py: regexes found in") for a in adj),
            f"pyweld_adjustments does not list the re/_compiler.py change: {adj}")
    listed = [a for a in adj if a.startswith("precompiled ")]
    p = d.pyrun(REGEXES_PY)
    d.require(p.returncode == 0, f"the regex check did not run (exit {p.returncode}):\n{p.err}")
    r = json.loads(p.out)
    want = os.path.join(d.prefix, "lib", "python3.11", "re", "_pyweld_precompiled.py")
    d.require(r["file"] and os.path.realpath(r["file"]) == os.path.realpath(want),
              f"re._compiler._precompiled is {r['file']!r}, not '{want}'")
    d.check(r["n"] >= 150, f"only {r['n']} regexes precompiled")
    d.check(listed == [f"precompiled {r['n']} regexes the standard library compiles on "
                       "import (re/_pyweld_precompiled.py)"],
            f"pyweld_adjustments says {listed}, the table holds {r['n']}")
    d.check(r["kinds"] == ["STR", "BYTES"], f"the table's kinds: {r['kinds']}")
    d.check(not r["bad"], "precompiled regexes unlike re's own compile:\n  "
            + "\n  ".join(r["bad"][:20]))
    d.check(r["used"] is True, "re parsed a pattern of the table instead of taking it")
    d.check(r["fallback"] is True, "a pattern missing from the table was not parsed")
    p = d.run([d.python, "-I", "-m", "test", "test_re"], timeout=600)
    d.check(p.returncode == 0 and "1 test OK." in p.out,
            f"'python -m test test_re' exited {p.returncode}:\n{(p.out + p.err)[-3000:]}")
    print(f"  {r['n']} regexes precompiled, each equal to re's own compile; test_re passed")


CASES = {
    "modules": case_modules,
    "imports": case_imports,
    "pip_command": case_pip_command,
    "info": case_info,
    "licence": case_licence,
    "licences_known": case_licences_known,
    "cached": case_cached,
    "debian": case_debian,
    "linkdb": case_linkdb,
    "static_link": case_static_link,
    "pgo": case_pgo,
    "lto": case_lto,
    "frozen": case_frozen,
    "classes": case_classes,
    "regexes": case_regexes,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pyweld", help="the pyweld executable")
    ap.add_argument("--list", action="store_true", help="list the cases")
    ap.add_argument("--python", default="3.11", help="the CPython version (default 3.11)")
    ap.add_argument("cases", nargs="*", help="cases to run (default: all)")
    args = ap.parse_args()
    if args.list:
        for name, fn in CASES.items():
            print(f"{name:15} {fn.__doc__.splitlines()[0]}")
        return 0
    if not args.pyweld:
        ap.error("--pyweld is required")
    unknown = [n for n in args.cases if n not in CASES]
    if unknown:
        ap.error(f"unknown case(s): {', '.join(unknown)} (see --list)")
    names = args.cases or list(CASES)
    failed = skipped = 0
    d = Dist(args)
    for name in names:
        d.problems = []
        t0 = time.time()
        try:
            CASES[name](d)
            if d.problems:
                raise Failure()
        except Skip as e:
            skipped += 1
            print(f"SKIP {name}: {e}")
            continue
        except Failure as e:
            failed += 1
            if str(e):
                d.problems.append(str(e))
            print(f"FAIL {name} ({time.time() - t0:.1f} s), distribution '{getattr(d, '_dir', '?')}':")
            for msg in d.problems:
                print("  - " + msg.replace("\n", "\n    "))
            continue
        except Exception:
            failed += 1
            print(f"FAIL {name}: unexpected exception")
            traceback.print_exc(file=sys.stdout)
            for msg in d.problems:
                print("  - " + msg.replace("\n", "\n    "))
            continue
        print(f"ok   {name} ({time.time() - t0:.1f} s)")
    print(f"{len(names) - failed - skipped} passed, {failed} failed, {skipped} skipped")
    if failed:
        return 1
    # a skipped case shows: the test is skipped, not passed, when one did not run
    return SKIP if skipped else 0


if __name__ == "__main__":
    sys.exit(main())

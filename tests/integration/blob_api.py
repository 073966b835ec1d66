#!/usr/bin/env python3
"""The APIs the in-memory importer serves, against the test package pw_resources.

Runs in the fixture's binary (blob_weld.py: tests/integration/packages/
pw_resources welded with `pyweld build --setup-py`, no entry point) and
compares with the files of the package and, where the stock interpreter's
behaviour is the reference, with the same code run by the weld's own venv
python over the package as pip installed it (work/venv).  Cases:

  resources_read        importlib.resources.files(): read_bytes (binary,
                        exact), read_text (UTF-8), open, joinpath with
                        several parts and with slashes, /, is_file/is_dir,
                        a subpackage's data, a missing file, the legacy API
  resources_iterdir     iterdir of every directory, walked recursively: the
                        same files with the same bytes as the installed
                        package (minus __pycache__ and the extension files,
                        which are welded in, not files)
  resources_as_file     as_file gives the real path inside the binary (the
                        packed tree is readable by path: runtime/fileview.c)
                        with the bytes; nothing is written to TMPDIR
  resources_namespace   files() of the namespace portion pw_ns.sub
  metadata              version, metadata, distributions, files (with their
                        bytes), requires, packages_distributions
  metadata_shadowed     a second pw-resources in a directory appended to
                        sys.path: the binary's wins, its entry points are
                        not doubled (the stock interpreter deduplicates)
  entry_points          console_scripts and a custom group: names, values,
                        load() and call, .dist
  pkgutil               iter_modules over a package, the binary, a
                        namespace; walk_packages; get_data; find_spec
  source                inspect.getsource (a module, a function, the standard
                        library's json.decoder, byte for byte, a Latin-1
                        module by its coding cookie, a CRLF module with
                        universal newlines), the loader's
                        get_source, linecache with and without module globals
  light_imports         import traceback, logging, warnings, linecache: the
                        modules python -I -S loads for them, plus pyweld's
                        own three (linecache's source patch costs no imports)
  deep_frozen           the imported standard-library modules whose code the
                        weld linked deep-frozen (120 or more; json.decoder,
                        typing ...), and libpython's own deep-frozen ones (os,
                        codecs, io, encodings): every field of every code
                        object equal to what compile() makes of the blob's
                        source, frozenset constants included; the code is the
                        static copy; the application's module is not
                        deep-frozen
  regexes               the distribution's precompiled regexes
                        (re/_pyweld_precompiled.py) are in the binary, deep-
                        frozen with re/_compiler.py; re takes a pattern of the
                        table without parsing it, equal to a fresh compile
  traceback             an uncaught exception in a welded module, a
                        subpackage and the standard library: exit 1 and the
                        same text as the stock interpreter's (paths aside);
                        traceback.format_exc of a caught one
  warnings_source       a warning raised in a welded module shows its source
                        line, as the stock interpreter shows it
  paths                 __file__, __path__, __spec__ zipimport-style under the
                        binary; namespace packages; the dotted built-in
  get_data              the loader's get_data for resources, sources and
                        metadata by those paths; missing paths raise OSError
  syspath               sys.path is [the binary] (-c and a script); a
                        directory the program appends or inserts is searched
                        by the normal path finders: modules, packages, their
                        resources, a .dist-info, pkgutil
  syspath_namespace_portion
                        a portion of the welded namespace package pw_ns in a
                        directory added to sys.path is found, as with
                        the stock interpreter

    blob_api.py --pyweld build/bin/pyweld --app DIR [--keep] [CASE...]
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blob_testlib as bt  # noqa: E402
import weld_testlib as wt  # noqa: E402

VERSION = "1.2.3"
DISTINFO = f"pw_resources-{VERSION}.dist-info"


def sha(data):
    return hashlib.sha256(data).hexdigest()


def installed_tree(c, *parts):
    """{relative path: sha256} of the installed package's files under parts,
    without bytecode caches and extension files (welded in, not files)."""
    root = os.path.join(c.weld.site, *parts)
    out = {}
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        for f in files:
            if f.endswith((".so", ".pyc")):
                continue
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = sha(fh.read())
    return out


def case_resources_read(c):
    """importlib.resources.files(): read_bytes, read_text, open, joinpath, /, legacy API"""
    seen = c.observe(r'''
import importlib.resources as r, importlib.resources.abc as rabc
import pw_resources, pw_resources.sub
f = r.files("pw_resources")
obs("traversable", lambda: isinstance(f, rabc.Traversable))
obs("blob.bin read_bytes", lambda: (f / "data" / "blob.bin").read_bytes())
obs("greeting read_text utf-8", lambda: (f / "data" / "greeting.txt").read_text(encoding="utf-8"))
obs("greeting read_text", lambda: (f / "data" / "greeting.txt").read_text())
obs("greeting open rb", lambda: (f / "data" / "greeting.txt").open("rb").read())
obs("greeting open r", lambda: (f / "data" / "greeting.txt").open("r", encoding="utf-8").read())
obs("leaf joinpath parts", lambda: f.joinpath("data", "nested", "deeper", "leaf.txt").read_text())
obs("leaf joinpath slashes", lambda: f.joinpath("data/nested/deeper/leaf.txt").read_text())
obs("leaf chained", lambda: f.joinpath("data").joinpath("nested").joinpath("deeper")
    .joinpath("leaf.txt").read_bytes())
obs("sub.json by name", lambda: r.files("pw_resources.sub").joinpath("sub.json").read_bytes())
obs("sub.json by module", lambda: r.files(pw_resources.sub).joinpath("sub.json").read_bytes())
obs("__init__.py", lambda: f.joinpath("__init__.py").read_bytes())
obs("kinds", lambda: {n: [f.joinpath(n).is_file(), f.joinpath(n).is_dir()] for n in [
    "data", "data/blob.bin", "sub", "__init__.py", "data/nested", "data/nested/deeper",
    "data/nested/deeper/leaf.txt", "missing", "data/missing.txt"]})
obs("names", lambda: [f.joinpath("data/blob.bin").name, f.joinpath("data", "nested").name])
obs("missing read_bytes", lambda: f.joinpath("data/missing.txt").read_bytes())
obs("missing open", lambda: f.joinpath("data/missing.txt").open("rb"))
import warnings
warnings.simplefilter("ignore", DeprecationWarning)
obs("legacy read_binary", lambda: r.read_binary("pw_resources.sub", "sub.json"))
obs("legacy read_text", lambda: r.read_text("pw_resources.sub", "sub.json"))
obs("legacy is_resource", lambda: [r.is_resource("pw_resources.sub", "sub.json"),
                                   r.is_resource("pw_resources.sub", "missing.json")])
''')
    blob = c.src_bytes("pw_resources", "data", "blob.bin")
    greeting = c.src_text("pw_resources", "data", "greeting.txt")
    leaf = c.src_text("pw_resources", "data", "nested", "deeper", "leaf.txt")
    subjson = c.src_bytes("pw_resources", "sub", "sub.json")
    c.expect(seen, "traversable", True)
    c.expect(seen, "blob.bin read_bytes", blob)
    c.expect(seen, "greeting read_text utf-8", greeting)
    c.expect(seen, "greeting read_text", greeting)
    c.expect(seen, "greeting open rb", greeting.encode("utf-8"))
    c.expect(seen, "greeting open r", greeting)
    c.expect(seen, "leaf joinpath parts", leaf)
    c.expect(seen, "leaf joinpath slashes", leaf)
    c.expect(seen, "leaf chained", leaf.encode())
    c.expect(seen, "sub.json by name", subjson)
    c.expect(seen, "sub.json by module", subjson)
    c.expect(seen, "__init__.py", c.src_bytes("pw_resources", "__init__.py"))
    c.expect(seen, "kinds", {
        "data": [False, True], "data/blob.bin": [True, False], "sub": [False, True],
        "__init__.py": [True, False], "data/nested": [False, True],
        "data/nested/deeper": [False, True], "data/nested/deeper/leaf.txt": [True, False],
        "missing": [False, False], "data/missing.txt": [False, False]})
    c.expect(seen, "names", ["blob.bin", "nested"])
    c.expect_raises(seen, "missing read_bytes", "FileNotFoundError")
    c.expect_raises(seen, "missing open", "FileNotFoundError")
    c.expect(seen, "legacy read_binary", subjson)
    c.expect(seen, "legacy read_text", subjson.decode())
    c.expect(seen, "legacy is_resource", [True, False])


WALK = r'''
import hashlib, importlib.resources as r
def walk(t, pre=""):
    out = {}
    for ch in t.iterdir():
        if ch.is_dir():
            out.update(walk(ch, pre + ch.name + "/"))
        else:
            out[pre + ch.name] = hashlib.sha256(ch.read_bytes()).hexdigest()
    return out
def names(t):
    return sorted(ch.name for ch in t.iterdir())
'''


def case_resources_iterdir(c):
    """iterdir of every directory: the installed package's files, same bytes"""
    seen = c.observe(WALK + r'''
f = r.files("pw_resources")
obs("walk", lambda: walk(f))
for d in ["", "data", "data/nested", "data/nested/deeper", "sub"]:
    obs("names " + d, lambda d=d: names(f.joinpath(d) if d else f))
''')
    tree = installed_tree(c, "pw_resources")
    got = seen.get("walk")
    if c.expect(seen, "walk", tree, "the files under files('pw_resources'), walked with "
                "iterdir, and their sha256 (wanted: the installed package's)") is False \
            and isinstance(got, dict):
        c.check(False, f"    missing: {sorted(set(tree) - set(got))}; "
                       f"extra: {sorted(set(got) - set(tree))}")
    for d in ["", "data", "data/nested", "data/nested/deeper", "sub"]:
        root = os.path.join(c.weld.site, "pw_resources", d)
        want = sorted(x for x in os.listdir(root)
                      if x != "__pycache__" and not x.endswith(".so"))
        c.expect(seen, "names " + d, want, f"files('pw_resources') / '{d}' iterdir names")


def case_resources_as_file(c):
    """as_file gives the path inside the binary, readable, nothing extracted"""
    seen = c.observe(r'''
import hashlib, importlib.resources as r, os, pathlib, sys
f = r.files("pw_resources")
def af(*parts):
    with r.as_file(f.joinpath(*parts)) as p:
        inside = [isinstance(p, pathlib.Path), os.path.isfile(p),
                  hashlib.sha256(open(p, "rb").read()).hexdigest(),
                  str(p) == os.path.join(sys.executable, "pw_resources", *parts)]
    return inside + [os.path.exists(p)]
obs("blob.bin", lambda: af("data", "blob.bin"))
obs("greeting.txt", lambda: af("data", "greeting.txt"))
obs("leaf.txt", lambda: af("data", "nested", "deeper", "leaf.txt"))
obs("sub.json", lambda: af("sub", "sub.json"))
''', cwd=c.dir)
    for key, parts in (("blob.bin", ("data", "blob.bin")), ("greeting.txt", ("data", "greeting.txt")),
                       ("leaf.txt", ("data", "nested", "deeper", "leaf.txt")),
                       ("sub.json", ("sub", "sub.json"))):
        c.expect(seen, key, [True, True, sha(c.src_bytes("pw_resources", *parts)), True, True],
                 f"as_file({key}): [a Path, a file, its sha256, the path inside the binary, "
                 "still there after the with]")
    left = os.listdir(c.path("tmp"))
    c.check(not left, f"as_file left files in TMPDIR: {left}")


def case_resources_namespace(c):
    """files() of the namespace portion pw_ns.sub: iterdir and read"""
    code = r'''
import importlib.resources as r
obs("names", lambda: sorted(ch.name for ch in r.files("pw_ns.sub").iterdir()
                            if ch.name != "__pycache__"))
obs("ns_data.txt", lambda: r.files("pw_ns.sub").joinpath("ns_data.txt").read_text())
obs("mod.py", lambda: r.files("pw_ns.sub").joinpath("mod.py").read_text())
'''
    seen = c.observe(code)
    stock = run_stock_observe(c, code)
    c.expect(stock, "names", ["mod.py", "ns_data.txt"], "the stock interpreter's names "
             "(the reference itself is wrong)")
    c.expect(seen, "names", ["mod.py", "ns_data.txt"], "files('pw_ns.sub') iterdir names")
    c.expect(seen, "ns_data.txt", c.src_text("pw_ns", "sub", "ns_data.txt"))
    c.expect(seen, "mod.py", c.src_text("pw_ns", "sub", "mod.py"))


def run_stock_observe(c, code, *argv):
    """The same probe in the stock interpreter of the weld's venv."""
    p = c.run([c.weld.venv_python, "-I", "-c", bt.PRELUDE + code + bt.EPILOGUE, *argv],
              env=c.run_env, timeout=120)
    lines = [l for l in p.out.splitlines() if l.startswith("@@OBSERVED@@")]
    c.require(p.returncode == 0 and lines, f"the stock interpreter's probe exited "
              f"{p.returncode}:\n{wt.tail(p.err)}")
    return json.loads(lines[-1][len("@@OBSERVED@@"):])


def case_metadata(c):
    """importlib.metadata: version, metadata, distributions, files, requires"""
    seen = c.observe(r'''
import importlib.metadata as md, hashlib, sys
obs("version", lambda: md.version("pw-resources"))
obs("version underscore", lambda: md.version("pw_resources"))
obs("version case", lambda: md.version("PW-Resources"))
obs("metadata", lambda: {k: md.metadata("pw-resources")[k] for k in
                         ("Name", "Version", "Summary")})
obs("distribution name", lambda: md.distribution("pw_resources").name)
obs("distributions", lambda: sorted(d.metadata["Name"] for d in md.distributions()))
obs("distributions versions", lambda: {d.metadata["Name"]: d.version for d in md.distributions()})
obs("distributions by name", lambda: [d.version for d in md.distributions(name="pw-resources")])
obs("missing", lambda: md.version("no-such-distribution-here"))
obs("requires", lambda: md.requires("pw-resources"))
obs("files", lambda: sorted(str(p) for p in md.files("pw-resources")))
def readable():
    out = {}
    for p in md.files("pw-resources"):
        s = str(p)
        if s.startswith("..") or "__pycache__" in s or s.endswith(".so"):
            continue
        out[s] = hashlib.sha256(p.read_binary()).hexdigest()
    return out
obs("files bytes", readable)
obs("files locate", lambda: [str(p.locate()) for p in md.files("pw-resources")
                             if str(p) == "pw_resources/__init__.py"])
obs("read_text METADATA", lambda: md.distribution("pw-resources").read_text("METADATA")
    .splitlines()[:3])
obs("read_text missing", lambda: md.distribution("pw-resources").read_text("NO-SUCH-FILE"))
obs("packages_distributions", lambda: {k: v for k, v in md.packages_distributions().items()
                                       if k.startswith("pw_")})
''')
    c.expect(seen, "version", VERSION)
    c.expect(seen, "version underscore", VERSION)
    c.expect(seen, "version case", VERSION)
    c.expect(seen, "metadata", {"Name": "pw-resources", "Version": VERSION,
                                "Summary": "pyweld's test package for resources and "
                                           "metadata from memory"})
    c.expect(seen, "distribution name", "pw-resources")
    c.expect(seen, "distributions", ["pw-resources"],
             "the distributions in the binary (the application's only)")
    c.expect(seen, "distributions by name", [VERSION])
    c.expect_raises(seen, "missing", "PackageNotFoundError")
    c.expect(seen, "requires", ['markupsafe>=2.0; extra == "fancy"'])
    with open(os.path.join(c.weld.site, DISTINFO, "RECORD")) as f:
        record = sorted(line.split(",")[0] for line in f if line.strip())
    # From 3.12 on files() lists only the paths that exist (importlib.metadata's
    # skip_missing_files): the binary packs no __pycache__, no script outside
    # the package's tree and no extension's .so (it is built in), so those
    # are left out, as a stock interpreter leaves out files that are gone.
    listed = record if c.version == "3.11" else [
        r for r in record if not (r.startswith("..") or "__pycache__" in r or
                                  r.endswith(".so"))]
    c.expect(seen, "files", listed, "files('pw-resources'): the RECORD's paths")
    want = {}
    for rel in record:
        if rel.startswith("..") or "__pycache__" in rel or rel.endswith(".so"):
            continue
        with open(os.path.join(c.weld.site, rel), "rb") as f:
            want[rel] = sha(f.read())
    c.expect(seen, "files bytes", want, "PackagePath.read_binary() of every file listed "
             "(sha256)")
    c.expect(seen, "files locate", [c.weld.exe + "/pw_resources/__init__.py"])
    with open(os.path.join(c.weld.site, DISTINFO, "METADATA"), encoding="utf-8") as f:
        c.expect(seen, "read_text METADATA", f.read().splitlines()[:3])
    c.expect(seen, "read_text missing", None)
    c.expect(seen, "packages_distributions", {"pw_ns": ["pw-resources"],
                                              "pw_resources": ["pw-resources"]})


def case_metadata_shadowed(c):
    """a second pw-resources later on sys.path is shadowed, as with the stock interpreter"""
    d = c.path("extra")
    wt.write(os.path.join(d, "pw_resources-9.9.dist-info", "METADATA"),
             "Metadata-Version: 2.1\nName: pw-resources\nVersion: 9.9\n")
    wt.write(os.path.join(d, "pw_resources-9.9.dist-info", "entry_points.txt"),
             "[pw_resources.plugins]\nalpha = shadowed:alpha\ndelta = shadowed:delta\n")
    code = r'''
import sys, importlib.metadata as md
sys.path.append(sys.argv[1])
obs("version", lambda: md.version("pw-resources"))
obs("plugins", lambda: sorted([ep.name, ep.value] for ep in md.entry_points(group="pw_resources.plugins")))
'''
    seen = c.observe(code, d)
    stock = run_stock_observe(c, code, d)
    want = [["alpha", "pw_resources.sub.helpers:alpha"], ["beta", "pw_resources:beta_plugin"]]
    c.expect(stock, "plugins", want, "the stock interpreter (the reference itself is wrong)")
    c.expect(seen, "version", VERSION)
    c.expect(seen, "plugins", want, "entry_points(group=...) with a shadowed pw-resources "
             "later on sys.path (wanted: the first distribution's only, as the stock "
             "interpreter deduplicates by normalised name)")


def case_entry_points(c):
    """entry points: console_scripts and a custom group, loaded and called"""
    seen = c.observe(r'''
import importlib.metadata as md
def eps(group):
    return sorted([ep.name, ep.value, ep.group] for ep in md.entry_points(group=group))
obs("console_scripts", lambda: [e for e in eps("console_scripts") if e[0] == "pw-resources"])
obs("plugins", lambda: eps("pw_resources.plugins"))
obs("plugins called", lambda: {ep.name: ep.load()() for ep in
                               md.entry_points(group="pw_resources.plugins")})
obs("script loaded", lambda: [ep.load().__module__ + "." + ep.load().__name__ for ep in
                              md.entry_points(group="console_scripts", name="pw-resources")])
obs("select", lambda: [ep.value for ep in md.entry_points().select(
    group="pw_resources.plugins", name="beta")])
obs("dist", lambda: sorted({ep.dist.name for ep in md.entry_points(group="pw_resources.plugins")}))
obs("from distribution", lambda: sorted(ep.name for ep in md.distribution("pw-resources")
                                        .entry_points))
''')
    c.expect(seen, "console_scripts", [["pw-resources", "pw_resources.cli:main",
                                        "console_scripts"]])
    c.expect(seen, "plugins", [["alpha", "pw_resources.sub.helpers:alpha", "pw_resources.plugins"],
                               ["beta", "pw_resources:beta_plugin", "pw_resources.plugins"]])
    c.expect(seen, "plugins called", {"alpha": "alpha from pw_resources.sub.helpers",
                                      "beta": "beta from pw_resources"})
    c.expect(seen, "script loaded", ["pw_resources.cli.main"])
    c.expect(seen, "select", ["pw_resources:beta_plugin"])
    c.expect(seen, "dist", ["pw-resources"])
    c.expect(seen, "from distribution", ["alpha", "beta", "pw-resources"])


def case_pkgutil(c):
    """pkgutil: iter_modules, walk_packages, get_data, find_spec"""
    code = r'''
import pkgutil, importlib.util, sys, pw_resources, pw_ns, pw_ns.sub, json
obs("iter package", lambda: sorted([m.name, m.ispkg] for m in pkgutil.iter_modules(pw_resources.__path__)))
obs("iter package prefix", lambda: sorted(m.name for m in pkgutil.iter_modules(pw_resources.__path__, "pw_resources.")))
obs("walk package", lambda: sorted([m.name, m.ispkg] for m in pkgutil.walk_packages(pw_resources.__path__, "pw_resources.")))
obs("walk json", lambda: sorted(m.name for m in pkgutil.walk_packages(json.__path__, "json.")))
obs("iter namespace", lambda: sorted([m.name, m.ispkg] for m in pkgutil.iter_modules(pw_ns.__path__)))
obs("iter namespace sub", lambda: sorted([m.name, m.ispkg] for m in pkgutil.iter_modules(pw_ns.sub.__path__)))
obs("top level", lambda: sorted([m.name, m.ispkg] for m in pkgutil.iter_modules()
                                if m.name.startswith("pw_") or m.name in ("json", "os", "email", "encodings", "asyncio", "this")))
obs("top level count", lambda: len({m.name for m in pkgutil.iter_modules()}))
obs("get_data blob.bin", lambda: pkgutil.get_data("pw_resources", "data/blob.bin"))
obs("get_data leaf", lambda: pkgutil.get_data("pw_resources", "data/nested/deeper/leaf.txt"))
obs("get_data sub.json", lambda: pkgutil.get_data("pw_resources.sub", "sub.json"))
obs("get_data source", lambda: pkgutil.get_data("pw_resources", "cli.py"))
obs("get_data missing", lambda: pkgutil.get_data("pw_resources", "data/missing.bin"))
obs("find_spec", lambda: [importlib.util.find_spec(n).origin for n in
                          ("pw_resources", "pw_resources.sub.helpers", "pw_resources._speedups")])
'''
    seen = c.observe(code)
    stock = run_stock_observe(c, code)
    exe = c.weld.exe
    # The stock interpreter over the installed package is the reference for
    # what a package's submodules are: the extension _speedups among them.
    for key in ("iter package", "iter package prefix", "walk package", "walk json",
                "iter namespace sub"):
        c.expect(seen, key, stock.get(key), f"{key} (wanted: as the stock interpreter)")
    # The stock FileFinder does not list a PEP 420 subpackage (no
    # __init__.py); listing it as a package is fine too.
    c.check(seen.get("iter namespace") in ([], [["sub", True]]),
            f"iter_modules(pw_ns.__path__): {bt.show(seen.get('iter namespace'))}")
    c.expect(stock, "iter package", [["_speedups", False], ["cli", False], ["crlf", False],
                                     ["latin1", False], ["sub", True]],
             "the stock interpreter's iter_modules (the reference itself is wrong)")
    c.expect(seen, "top level", [["asyncio", True], ["email", True], ["encodings", True],
                                 ["json", True], ["os", False], ["pw_ns", True],
                                 ["pw_resources", True], ["this", False]])
    count = seen.get("top level count")
    c.check(isinstance(count, int) and count >= 150,
            f"pkgutil.iter_modules() over sys.path lists {count} top-level modules; the "
            "standard library alone has over 150")
    c.expect(seen, "get_data blob.bin", c.src_bytes("pw_resources", "data", "blob.bin"))
    c.expect(seen, "get_data leaf", c.src_bytes("pw_resources", "data", "nested", "deeper",
                                                "leaf.txt"))
    c.expect(seen, "get_data sub.json", c.src_bytes("pw_resources", "sub", "sub.json"))
    c.expect(seen, "get_data source", c.src_bytes("pw_resources", "cli.py"))
    c.expect_raises(seen, "get_data missing", ("FileNotFoundError", "OSError"))
    c.expect(seen, "find_spec", [exe + "/pw_resources/__init__.py",
                                 exe + "/pw_resources/sub/helpers.py", "built-in"])


def case_source(c):
    """inspect.getsource, the loader's get_source, linecache"""
    boom_line = lineno(c, ("pw_resources", "__init__.py"), "# BOOM-LINE")
    seen = c.observe(r'''
import linecache, sys
exe = sys.executable
# linecache first, before anything primes its cache: a fresh program asking
# for a line of a welded module by its file name, as warnings and pdb do.
obs("linecache fresh", lambda: linecache.getline(exe + "/pw_resources/__init__.py", %d))
obs("linecache fresh stdlib", lambda: linecache.getline(exe + "/json/decoder.py", 1))
import inspect, json.decoder, pw_resources, pw_resources.sub.helpers as helpers
obs("getsource module", lambda: inspect.getsource(pw_resources))
obs("getsource function", lambda: inspect.getsource(pw_resources.boom))
obs("getsource nested", lambda: inspect.getsource(helpers.nested_boom))
obs("getsource stdlib", lambda: inspect.getsource(json.decoder))
obs("getsource stdlib class", lambda: inspect.getsource(json.decoder.JSONDecoder.decode))
import os
obs("getsource frozen", lambda: inspect.getsource(os))
obs("getsourcefile", lambda: inspect.getsourcefile(pw_resources.boom))
obs("getsourcelines", lambda: inspect.getsourcelines(pw_resources.boom)[1])
obs("get_source", lambda: pw_resources.__loader__.get_source("pw_resources.sub.helpers"))
obs("get_source namespace", lambda: pw_resources.__loader__.get_source("pw_ns"))
obs("linecache globals", lambda: linecache.getline(pw_resources.__file__, %d,
                                                   pw_resources.__dict__))
obs("linecache after", lambda: linecache.getline(pw_resources.__file__, %d))
obs("linecache lines", lambda: linecache.getlines(helpers.__file__, helpers.__dict__))
import pw_resources.latin1 as latin1
obs("latin-1 value", lambda: latin1.WORD)
obs("latin-1 getsource", lambda: inspect.getsource(latin1))
obs("latin-1 get_source", lambda: latin1.__loader__.get_source("pw_resources.latin1"))
import pw_resources.crlf as crlf
obs("crlf getsource", lambda: inspect.getsource(crlf.crlf_boom))
obs("crlf get_source", lambda: crlf.__loader__.get_source("pw_resources.crlf"))
''' % (boom_line, boom_line, boom_line))
    init = c.src_text("pw_resources", "__init__.py")
    helpers = c.src_text("pw_resources", "sub", "helpers.py")
    with open(os.path.join(c.weld.stdlib, "json", "decoder.py"), encoding="utf-8") as f:
        decoder = f.read()
    line = init.splitlines(True)[boom_line - 1]
    c.expect(seen, "getsource module", init)
    c.expect(seen, "getsource function", function_text(init, "def boom"))
    c.expect(seen, "getsource nested", function_text(helpers, "def nested_boom"))
    c.expect(seen, "getsource stdlib", decoder, "inspect.getsource(json.decoder) (wanted: "
             "the distribution's json/decoder.py)")
    c.expect(seen, "getsource stdlib class",
             function_text(decoder, "    def decode(self, s, _w=WHITESPACE.match)"))
    with open(os.path.join(c.weld.stdlib, "os.py"), encoding="utf-8") as f:
        c.expect(seen, "getsource frozen", f.read(), "inspect.getsource(os), a module "
                 "CPython freezes (the stock interpreter reads the library's os.py)")
    c.expect(seen, "getsourcefile", c.weld.exe + "/pw_resources/__init__.py")
    c.expect(seen, "getsourcelines", boom_line - 1)
    c.expect(seen, "get_source", helpers)
    c.expect(seen, "get_source namespace", None)
    c.expect(seen, "linecache globals", line)
    c.expect(seen, "linecache after", line)
    c.expect(seen, "linecache lines", helpers.splitlines(True))
    latin1 = c.src_bytes("pw_resources", "latin1.py").decode("latin-1")
    c.expect(seen, "latin-1 value", "caf\u00e9")
    c.expect(seen, "latin-1 getsource", latin1, "inspect.getsource of a module whose "
             "source is Latin-1 (its coding cookie says so)")
    c.expect(seen, "latin-1 get_source", latin1)
    crlf = c.src_bytes("pw_resources", "crlf.py").decode().replace("\r\n", "\n")
    c.expect(seen, "crlf getsource", function_text(crlf, "def crlf_boom"),
             "inspect.getsource of a function in a CRLF file (wanted: universal "
             "newlines, as the stock interpreter's loaders decode sources)")
    c.expect(seen, "crlf get_source", crlf)
    c.expect(seen, "linecache fresh", line, "linecache.getline('<binary>/pw_resources/"
             "__init__.py', n) in a fresh program, without module globals (the stock "
             "interpreter reads the file)")
    c.expect(seen, "linecache fresh stdlib", decoder.splitlines(True)[0])


def lineno(c, parts, marker):
    for n, text in enumerate(c.src_text(*parts).splitlines(), 1):
        if marker in text:
            return n
    raise bt.Failure(f"no '{marker}' in {parts}")


def function_text(source, header):
    """The block starting at the line that starts with header, as
    inspect.getsource gives it."""
    lines = source.splitlines(True)
    start = next(i for i, l in enumerate(lines) if l.startswith(header))
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or
                                len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    while not lines[end - 1].strip():
        end -= 1
    return "".join(lines[start:end])


def normalise(c, text, *roots):
    for r in roots:
        text = text.replace(r.rstrip("/") + "/", "<root>/")
    return text


def case_light_imports(c):
    """traceback, logging, warnings: the modules python -I -S loads, plus pyweld's own"""
    code = ("import sys, json, traceback, logging, warnings, linecache\n"
            "print('@@' + json.dumps(sorted(sys.modules)))")
    got, want = [], []
    for out, argv in ((got, [c.weld.exe, "-c", code]),
                      (want, [c.weld.venv_python, "-I", "-S", "-c", code])):
        p = c.run(argv, env=c.run_env)
        lines = [l for l in p.out.splitlines() if l.startswith("@@")]
        c.require(p.returncode == 0 and lines, f"{argv[0]} exited {p.returncode}:\n"
                  f"{wt.tail(p.err)}")
        out.extend(json.loads(lines[-1][2:]))
    # pyweld's importer module, site's builtins (exit, help) and gc (start-up
    # freezes its objects); linecache's patch must not pull in
    # importlib.resources, pathlib or tempfile (40 modules) with it.
    extra = sorted(set(got) - set(want) - {"_pyweld", "_sitebuiltins", "gc"})
    c.check(not extra, f"the binary imports {len(extra)} modules more than python -I -S "
            f"for the same imports: {extra}")
    missing = sorted(set(want) - set(got) - {"site", "os", "stat", "posixpath",
                                             "genericpath", "_collections_abc"})
    c.check(not missing, f"modules python -I -S has and the binary has not: {missing}")


# Run inside the binary: every standard-library module it imported (a broad
# set) whose code is deep-frozen, compared field by field with what
# compile() makes of the blob's own source of it.
DEEP_FROZEN = r"""
import sys, json, _pyweld
import argparse, asyncio, dataclasses, decimal, email.message, fractions, http.client
import logging.handlers, pathlib, pickle, statistics, typing, unittest, xml.dom.minidom
import pw_resources
im = _pyweld.importer
FIELDS = ("co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars",
          "co_linetable", "co_exceptiontable", "co_flags", "co_argcount",
          "co_posonlyargcount", "co_kwonlyargcount", "co_stacksize", "co_firstlineno",
          "co_name", "co_qualname", "co_nlocals")
counts = {"codes": 0, "frozensets": 0}
def same(a, b, where):
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} where compile() has {type(b).__name__}"
    if isinstance(a, type(same.__code__)):
        counts["codes"] += 1
        for f in FIELDS:
            if getattr(a, f) != getattr(b, f):
                return f"{where}.{f} differs"
        if len(a.co_consts) != len(b.co_consts):
            return f"{where}.co_consts: {len(a.co_consts)} items, not {len(b.co_consts)}"
        for i, (x, y) in enumerate(zip(a.co_consts, b.co_consts)):
            why = same(x, y, f"{where}.co_consts[{i}]")
            if why:
                return why
        return None
    if isinstance(a, frozenset):
        counts["frozensets"] += 1
    if isinstance(a, tuple):
        if len(a) != len(b):
            return f"{where}: {len(a)} items, not {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            why = same(x, y, f"{where}[{i}]")
            if why:
                return why
        return None
    if a != b and not (a != a and b != b):          # nan is nan
        return f"{where}: {a!r} is not {b!r}"
    return None
frozen, plain, bad = [], [], []
for name, mod in sorted(sys.modules.items()):
    if type(getattr(getattr(mod, "__spec__", None), "loader", None)) is not type(im):
        continue                                    # built-in, or frozen in libpython
    if not _pyweld.deep_frozen(name):
        plain.append(name)
        continue
    frozen.append(name)
    code = im.get_code(name)
    if sys.getrefcount(code) < 10**8:
        bad.append(f"{name}: its code object is on the heap, not the static copy")
        continue
    src = im.get_source(name)
    want = compile(src, code.co_filename, "exec", dont_inherit=True)
    why = same(code, want, name)
    if why:
        bad.append(why)
# libpython's own deep-frozen modules (os, codecs, io ...), which the same
# lazy printer wrote when the distribution was built.
import _imp
libpython = []
for name in sorted(sys.modules):
    src = _pyweld.read(_pyweld.MODULE, name) if _imp.is_frozen(name) else None
    if src is None:
        continue
    libpython.append(name)
    code = _imp.get_frozen_object(name)
    why = same(code, compile(src, code.co_filename, "exec", dont_inherit=True), name)
    if why:
        bad.append(why)
print("@@" + json.dumps({"frozen": frozen, "plain": plain, "libpython": libpython,
                         "bad": bad, **counts}))
"""


def case_deep_frozen(c):
    """standard-library modules run deep-frozen code (the weld's and libpython's), equal to compile()'s"""
    frozen_dir = os.path.join(c.weld.prefix, "lib", "pyweld-frozen")
    c.require(os.path.isdir(frozen_dir), f"the distribution has no deep-frozen standard "
              f"library ({frozen_dir}): was it built by an older pyweld?")
    p = c.run([c.weld.exe, "-c", DEEP_FROZEN], env=c.run_env, timeout=120)
    lines = [l for l in p.out.splitlines() if l.startswith("@@")]
    c.require(p.returncode == 0 and lines, f"the binary exited {p.returncode}:\n"
              f"{wt.tail(p.err)}")
    got = json.loads(lines[-1][2:])
    print(f"  {len(got['frozen'])} deep-frozen modules and {len(got['libpython'])} of "
          f"libpython's compared ({got['codes']} code objects, {got['frozensets']} "
          f"frozenset constants); served unfrozen: {', '.join(got['plain'])}")
    c.check(not got["bad"], "deep-frozen code that is not what compile() makes of the "
            "source:\n  " + "\n  ".join(got["bad"][:20]))
    c.check(len(got["frozen"]) >= 120, f"only {len(got['frozen'])} of the imported "
            "standard-library modules are deep-frozen")
    for name in ("json.decoder", "typing", "email.message", "asyncio.base_events"):
        c.check(name in got["frozen"], f"{name} is not deep-frozen")
    for name in ("os", "codecs", "io", "encodings"):
        c.check(name in got["libpython"], f"{name}: libpython's deep-frozen copy was not "
                "compared")
    c.check("pw_resources" in got["plain"], "the application's own pw_resources should "
            "be unmarshalled from the blob, not deep-frozen")
    c.check(got["frozensets"] > 0, "no frozenset constant was compared: the check of "
            "deepfreeze's tuple-for-frozenset fix did not run")


def case_regexes(c):
    """the precompiled regexes are in the binary, deep-frozen, and re takes them"""
    seen = c.observe(r'''
import _pyweld
from re import _compiler, _parser
table = _compiler._precompiled
obs("table", lambda: table is not None and table.__name__)
obs("entries", lambda: len(table.STR) + len(table.BYTES))
obs("frozen", lambda: [_pyweld.deep_frozen(m) for m in ("re._compiler",
                                                        "re._pyweld_precompiled")])
(p, flags), _ = sorted(table.STR.items())[-1]
calls = []
parse = _parser.parse
def refuse(*args):
    calls.append(args)
    raise RuntimeError("parsed")
_parser.parse = refuse
obs("taken", lambda: _compiler.compile(p, flags).pattern == p and not calls)
_parser.parse = parse
_compiler._precompiled = None
fresh = _compiler.compile(p, flags)
_compiler._precompiled = table
obs("equal", lambda: _compiler.compile(p, flags) == fresh)
''')
    c.check(seen.get("table") == "re._pyweld_precompiled",
            f"re._compiler._precompiled is {seen.get('table')!r}: the table is not in the binary")
    c.check(isinstance(seen.get("entries"), int) and seen["entries"] >= 150,
            f"the table holds {seen.get('entries')!r} regexes")
    c.check(seen.get("frozen") == [True, True], "re._compiler and the table should run "
            f"deep-frozen code: {seen.get('frozen')!r}")
    c.check(seen.get("taken") is True, f"re parsed a pattern of the table: {seen.get('taken')!r}")
    c.check(seen.get("equal") is True, "the table's pattern differs from a fresh compile: "
            f"{seen.get('equal')!r}")
    print(f"  {seen.get('entries')} precompiled regexes in the binary")


def case_traceback(c):
    """uncaught exceptions in welded modules: exit 1, the stock interpreter's text"""
    programs = {
        "package": "import pw_resources; pw_resources.boom()",
        "subpackage": "import pw_resources.sub.helpers as h; h.nested_boom(3)",
        "stdlib": "import json; json.loads('{\"a\": ')",
        "latin-1 source": "import pw_resources.latin1 as m; m.fail()",
        "crlf source": "import pw_resources.crlf as m; m.crlf_boom()",
        "chained": ("import pw_resources\ntry:\n    pw_resources.boom()\nexcept ValueError "
                    "as e:\n    raise KeyError('again') from e\n"),
    }
    for name, code in programs.items():
        p = c.app("-c", code)
        s = c.run([c.weld.venv_python, "-I", "-c", code], env=c.run_env)
        got = normalise(c, p.err, c.weld.exe)
        want = normalise(c, s.err, c.weld.site, c.weld.stdlib)
        c.check(p.returncode == 1, f"{name}: the binary exited {p.returncode}, wanted 1")
        c.check("Segmentation" not in p.err and "Fatal Python error" not in p.err,
                f"{name}: a crash:\n{p.err}")
        c.check(got == want, f"{name}: the traceback differs from the stock interpreter's "
                f"(paths as <root>):\n--- binary\n{got}--- stock\n{want}")
    boom = lineno(c, ("pw_resources", "__init__.py"), "# BOOM-LINE")
    seen = c.observe(r'''
import traceback, pw_resources
def caught():
    try:
        pw_resources.boom()
    except ValueError:
        return traceback.format_exc()
obs("format_exc", caught)
def frames():
    try:
        pw_resources.boom()
    except ValueError as e:
        return [[f.filename, f.lineno, f.name, f.line] for f in traceback.extract_tb(e.__traceback__)][1:]
obs("frames", frames)
''')
    c.expect(seen, "frames", [[c.weld.exe + "/pw_resources/__init__.py", boom, "boom",
                               'raise ValueError("pw_resources says boom")  # BOOM-LINE']])
    fe = seen.get("format_exc")
    c.check(isinstance(fe, str) and 'raise ValueError("pw_resources says boom")' in fe
            and f'File "{c.weld.exe}/pw_resources/__init__.py", line {boom}, in boom' in fe,
            f"traceback.format_exc() of a caught exception lacks the welded frame or its "
            f"line:\n{bt.show(fe)}")


def case_warnings_source(c):
    """a warning from a welded module shows its source line, as the stock interpreter's"""
    code = ("import warnings; warnings.simplefilter('always'); import pw_resources; "
            "pw_resources.deprecated()")
    p = c.app("-c", code)
    s = c.run([c.weld.venv_python, "-I", "-c", code], env=c.run_env)
    got = normalise(c, p.err, c.weld.exe)
    want = normalise(c, s.err, c.weld.site, c.weld.stdlib)
    c.check(p.returncode == 0, f"the binary exited {p.returncode}:\n{p.err}")
    c.check("# WARN-LINE" in want, f"the stock interpreter shows no source line:\n{want}")
    c.check(got == want, "the warning differs from the stock interpreter's (paths as "
            f"<root>):\n--- binary\n{got}--- stock\n{want}")


def case_paths(c):
    """__file__, __path__, __spec__ zipimport-style under the binary"""
    seen = c.observe(r'''
import os, sys, importlib, pkgutil, json, json.decoder, encodings
import pw_resources, pw_resources.sub, pw_resources.sub.helpers, pw_ns, pw_ns.sub, pw_ns.sub.mod
import pw_resources._speedups as sp
def attrs(m):
    s = m.__spec__
    return {"__file__": getattr(m, "__file__", None), "__path__": list(getattr(m, "__path__", []) or []) or None,
            "origin": s.origin, "has_location": s.has_location,
            "search": list(s.submodule_search_locations) if s.submodule_search_locations is not None else None,
            "parent": s.parent, "__package__": m.__package__, "__name__": m.__name__}
for m in (pw_resources, pw_resources.sub, pw_resources.sub.helpers, json, json.decoder,
          pw_ns, pw_ns.sub, pw_ns.sub.mod):
    obs(m.__name__, lambda m=m: attrs(m))
obs("_speedups", lambda: [sp.__name__, sp.__spec__.origin, getattr(sp, "__file__", None),
                          sp.add(2, 3)])
obs("executable", lambda: sys.executable)
# Modules CPython 3.11 freezes into libpython (os, codecs, ...): python gives
# them __file__ in the standard library; the binary, zipimport-style, its own.
import codecs, stat, posixpath, abc
obs("frozen __file__", lambda: {m.__name__: getattr(m, "__file__", None)
                                for m in (os, codecs, stat, posixpath, abc)})
# encodings, a package the distribution freezes (pydist's start-up change):
# imported before the binary's path is known, it still gets both.
obs("frozen package", lambda: [encodings.__spec__.origin, encodings.__file__,
                               list(encodings.__path__),
                               sorted(m.name for m in pkgutil.iter_modules(encodings.__path__)
                                      if m.name in ("utf_8", "latin_1", "aliases"))])
obs("dirname arithmetic", lambda: os.path.join(os.path.dirname(pw_resources.__file__), "data", "x"))
obs("loader is the importer", lambda: [type(m.__loader__).__name__ for m in (pw_resources, json.decoder, json)])
obs("every module under the binary", lambda: sorted(
    n for n, m in list(sys.modules.items())
    if isinstance(getattr(m, "__file__", None), str) and not m.__file__.startswith(sys.executable + "/")))
''')
    exe = c.weld.exe
    def want(name, file, path=None, pkg=None, parent=None):
        is_pkg = path is not None
        return {"__file__": file, "__path__": path, "origin": file,
                "has_location": file is not None, "search": path,
                "parent": parent if parent is not None else (name if is_pkg else name.rpartition(".")[0]),
                "__package__": pkg if pkg is not None else (name if is_pkg else name.rpartition(".")[0]),
                "__name__": name}
    c.expect(seen, "pw_resources", want("pw_resources", exe + "/pw_resources/__init__.py",
                                        [exe + "/pw_resources"]))
    c.expect(seen, "pw_resources.sub", want("pw_resources.sub",
                                            exe + "/pw_resources/sub/__init__.py",
                                            [exe + "/pw_resources/sub"]))
    c.expect(seen, "pw_resources.sub.helpers",
             want("pw_resources.sub.helpers", exe + "/pw_resources/sub/helpers.py"))
    c.expect(seen, "json.decoder", want("json.decoder", exe + "/json/decoder.py"))
    c.expect(seen, "json", want("json", exe + "/json/__init__.py", [exe + "/json"]))
    ns = seen.get("pw_ns")
    c.check(isinstance(ns, dict) and ns.get("__file__") is None
            and ns.get("__path__") == [exe + "/pw_ns"] and ns.get("origin") in (None, "namespace"),
            f"pw_ns (a namespace package): no __file__, __path__ [<binary>/pw_ns]: "
            f"{bt.show(ns)}")
    nss = seen.get("pw_ns.sub")
    c.check(isinstance(nss, dict) and nss.get("__file__") is None
            and nss.get("__path__") == [exe + "/pw_ns/sub"],
            f"pw_ns.sub (a namespace package): no __file__, __path__ [<binary>/pw_ns/sub]: "
            f"{bt.show(nss)}")
    c.expect(seen, "pw_ns.sub.mod", want("pw_ns.sub.mod", exe + "/pw_ns/sub/mod.py"))
    c.expect(seen, "_speedups", ["pw_resources._speedups", "built-in", None, 5])
    c.expect(seen, "executable", exe)
    c.expect(seen, "frozen __file__", {n: f"{exe}/{n}.py" for n in
                                       ("os", "codecs", "stat", "posixpath", "abc")},
             "__file__ of standard-library modules CPython freezes (the stock "
             "interpreter gives them their file in the library)")
    # pydist freezes encodings for 3.11 only (docs/distribution.md,
    # "Versions"); elsewhere it comes from the blob like any package.
    frozen = "frozen" if c.version == "3.11" else exe + "/encodings/__init__.py"
    c.expect(seen, "frozen package", [frozen, exe + "/encodings/__init__.py",
                                      [exe + "/encodings"], ["aliases", "latin_1", "utf_8"]],
             "encodings: origin, __file__, __path__ and what pkgutil lists in it")
    c.expect(seen, "dirname arithmetic", exe + "/pw_resources/data/x")
    c.expect(seen, "loader is the importer", ["MemoryImporter"] * 3)
    c.expect(seen, "every module under the binary", [],
             "modules whose __file__ is not under the binary")


def case_get_data(c):
    """the loader's get_data serves resources, sources and metadata by path"""
    seen = c.observe(r'''
import os, sys, json, pw_resources, pw_resources.sub.helpers as helpers
L = pw_resources.__loader__
here = os.path.dirname(pw_resources.__file__)
exe = sys.executable
obs("resource", lambda: L.get_data(os.path.join(here, "data", "blob.bin")))
obs("nested", lambda: L.get_data(os.path.join(here, "data", "nested", "deeper", "leaf.txt")))
obs("own source", lambda: L.get_data(pw_resources.__file__))
obs("module source", lambda: helpers.__loader__.get_data(helpers.__file__))
obs("stdlib source", lambda: L.get_data(json.__file__))
obs("metadata", lambda: L.get_data(exe + "/%s/entry_points.txt"))
obs("namespace data", lambda: L.get_data(exe + "/pw_ns/sub/ns_data.txt"))
obs("missing", lambda: L.get_data(os.path.join(here, "data", "missing.bin")))
obs("a directory", lambda: L.get_data(os.path.join(here, "data")))
obs("the binary itself", lambda: L.get_data(exe))
def errno_of():
    import errno
    try:
        L.get_data(os.path.join(here, "data", "missing.bin"))
    except OSError as e:
        return [type(e).__name__, e.filename, errno.errorcode.get(e.errno, e.errno), e.strerror]
obs("missing error", errno_of)
''' % DISTINFO)
    exe = c.weld.exe
    c.expect(seen, "resource", c.src_bytes("pw_resources", "data", "blob.bin"))
    c.expect(seen, "nested", c.src_bytes("pw_resources", "data", "nested", "deeper", "leaf.txt"))
    c.expect(seen, "own source", c.src_bytes("pw_resources", "__init__.py"))
    c.expect(seen, "module source", c.src_bytes("pw_resources", "sub", "helpers.py"))
    with open(os.path.join(c.weld.stdlib, "json", "__init__.py"), "rb") as f:
        c.expect(seen, "stdlib source", f.read())
    with open(os.path.join(c.weld.site, DISTINFO, "entry_points.txt"), "rb") as f:
        c.expect(seen, "metadata", f.read())
    c.expect(seen, "namespace data", c.src_bytes("pw_ns", "sub", "ns_data.txt"))
    for key in ("missing", "a directory", "the binary itself"):
        c.expect_raises(seen, key, ("FileNotFoundError", "OSError", "IsADirectoryError"))
    c.expect(seen, "missing error", ["FileNotFoundError",
                                     exe + "/pw_resources/data/missing.bin", "ENOENT",
                                     os.strerror(2)],
             "get_data of a missing path: [type, filename, errno, strerror] (a "
             "FileNotFoundError is ENOENT)")


def case_syspath(c):
    """sys.path is [the binary]; a directory the program adds works with the path finders"""
    d = c.path("extra")
    wt.write(os.path.join(d, "pw_plain_mod.py"), "VALUE = 'plain module'\n")
    wt.write(os.path.join(d, "pw_plain_pkg", "__init__.py"), "VALUE = 'plain package'\n")
    wt.write(os.path.join(d, "pw_plain_pkg", "child.py"), "VALUE = 'child'\n")
    wt.write(os.path.join(d, "pw_plain_pkg", "res.txt"), "a resource on disk\n")
    wt.write(os.path.join(d, "pw_plain-0.5.dist-info", "METADATA"),
             "Metadata-Version: 2.1\nName: pw-plain\nVersion: 0.5\n")
    wt.write(os.path.join(d, "pw_plain-0.5.dist-info", "entry_points.txt"),
             "[pw_resources.plugins]\ngamma = pw_plain_mod:VALUE\n")
    first = c.path("first")
    wt.write(os.path.join(first, "pw_first_mod.py"), "VALUE = 'first'\n")
    seen = c.observe(r'''
import sys, importlib, importlib.resources as r, importlib.metadata as md, pkgutil
obs("sys.path at start", lambda: list(sys.path))
extra, first = sys.argv[1], sys.argv[2]
obs("before", lambda: importlib.import_module("pw_plain_mod"))
sys.path.append(extra)
sys.path.insert(0, first)
def mod(name):
    m = importlib.import_module(name)
    return [m.VALUE, m.__file__, type(m.__loader__).__name__]
obs("module", lambda: mod("pw_plain_mod"))
obs("package", lambda: mod("pw_plain_pkg"))
obs("child", lambda: mod("pw_plain_pkg.child"))
obs("inserted first", lambda: mod("pw_first_mod"))
obs("resource", lambda: r.files("pw_plain_pkg").joinpath("res.txt").read_text())
obs("version", lambda: md.version("pw-plain"))
obs("both distributions", lambda: sorted(d.metadata["Name"] for d in md.distributions()))
obs("entry points of both", lambda: sorted(ep.name for ep in md.entry_points(group="pw_resources.plugins")))
obs("iter_modules", lambda: sorted(m.name for m in pkgutil.iter_modules([extra])))
obs("welded still", lambda: [importlib.import_module("pw_resources").__file__,
                             type(importlib.import_module("pw_resources").__loader__).__name__])
obs("finder", lambda: type(sys.path_importer_cache.get(extra)).__name__)
''', d, first)
    exe = c.weld.exe
    c.expect(seen, "sys.path at start", [exe])
    c.expect_raises(seen, "before", "ModuleNotFoundError")
    c.expect(seen, "module", ["plain module", os.path.join(d, "pw_plain_mod.py"),
                              "SourceFileLoader"])
    c.expect(seen, "package", ["plain package", os.path.join(d, "pw_plain_pkg", "__init__.py"),
                               "SourceFileLoader"])
    c.expect(seen, "child", ["child", os.path.join(d, "pw_plain_pkg", "child.py"),
                             "SourceFileLoader"])
    c.expect(seen, "inserted first", ["first", os.path.join(first, "pw_first_mod.py"),
                                      "SourceFileLoader"])
    c.expect(seen, "resource", "a resource on disk\n")
    c.expect(seen, "version", "0.5")
    c.expect(seen, "both distributions", ["pw-plain", "pw-resources"])
    c.expect(seen, "entry points of both", ["alpha", "beta", "gamma"])
    c.expect(seen, "iter_modules", ["pw_plain_mod", "pw_plain_pkg"])
    c.expect(seen, "welded still", [exe + "/pw_resources/__init__.py", "MemoryImporter"])
    c.expect(seen, "finder", "FileFinder")

    # A script: its directory is not on sys.path (as with python -I).
    wt.write(c.path("scripts", "neighbour.py"), "VALUE = 1\n")
    wt.write(c.path("scripts", "main.py"),
             "import sys, json\nprint(json.dumps(sys.path))\n"
             "try:\n    import neighbour\n    print('neighbour imported')\n"
             "except ModuleNotFoundError:\n    print('no neighbour')\n")
    p = c.app(c.path("scripts", "main.py"), cwd=c.path("scripts"))
    c.check(p.returncode == 0 and p.out.splitlines() == [json.dumps([exe]), "no neighbour"],
            f"a script: sys.path must be [the binary] and its neighbour not importable; "
            f"exit {p.returncode}:\n{p.out}{p.err}")


def case_syspath_namespace_portion(c):
    """a portion of the welded namespace pw_ns in an added directory is found"""
    d = c.path("extra")
    wt.write(os.path.join(d, "pw_ns", "extra", "emod.py"), "VALUE = 'portion on disk'\n")
    code = r'''
import sys, importlib
sys.path.append(sys.argv[1])
obs("portion", lambda: importlib.import_module("pw_ns.extra.emod").VALUE)
obs("welded portion", lambda: importlib.import_module("pw_ns.sub.mod").VALUE)
obs("__path__", lambda: len(list(importlib.import_module("pw_ns").__path__)))
'''
    seen = c.observe(code, d)
    stock = run_stock_observe(c, code, d)
    c.expect(stock, "portion", "portion on disk", "the stock interpreter (the reference "
             "itself is wrong)")
    c.expect(seen, "welded portion", "pw_ns.sub.mod")
    c.expect(seen, "portion", "portion on disk", "import pw_ns.extra.emod from a portion of "
             "pw_ns in a directory appended to sys.path")
    c.expect(seen, "__path__", 2, "len(pw_ns.__path__): the binary's portion and the "
             "directory's")


CASES = {
    "resources_read": case_resources_read,
    "resources_iterdir": case_resources_iterdir,
    "resources_as_file": case_resources_as_file,
    "resources_namespace": case_resources_namespace,
    "metadata": case_metadata,
    "metadata_shadowed": case_metadata_shadowed,
    "entry_points": case_entry_points,
    "pkgutil": case_pkgutil,
    "source": case_source,
    "light_imports": case_light_imports,
    "deep_frozen": case_deep_frozen,
    "regexes": case_regexes,
    "traceback": case_traceback,
    "warnings_source": case_warnings_source,
    "paths": case_paths,
    "get_data": case_get_data,
    "syspath": case_syspath,
    "syspath_namespace_portion": case_syspath_namespace_portion,
}

if __name__ == "__main__":
    sys.exit(bt.main(__doc__, CASES, "blob"))

"""driver.py: runs one package's own test suite inside one interpreter.

Written for packages-tested/run, which starts it as a script, the same way
in each interpreter it compares:

    APP driver.py SPEC.json            # a binary welded by pyweld (built-ins)
    VENV/bin/python driver.py SPEC.json  # stock CPython with the normal wheels

Before pytest collects anything it asserts that the package really uses its
C code there: every extension module of the package (from packages.toml, and
every '.so' its distribution's RECORD lists) imports, from the built-ins in a
welded binary ('built-in' origin, in sys.builtin_module_names, no '.so'
anywhere) or from a shared object in stock CPython; the package's own modules
come from the binary (or the venv), never from the copied test tree; and the
package's probe (Python statements of packages.toml: `markupsafe.escape is
markupsafe._speedups.escape`...) holds.  The same checks run again once
collection is over, so that a test tree which shadowed the package is caught
too.

Then it runs pytest in-process with a plugin that records every test's
outcome, appending one JSON line per event to the results file as it goes
(a crash still leaves what ran before it and the test that was running).

SPEC.json: {"side": "pyweld"|"stock"|"combined", "builtin": bool,
  "extensions": [...], "dists": [...], "probes": [...],
  "test_packages": {"psutil": "/copy/psutil"}, "pytest_args": [...],
  "results": "/run/results.jsonl", "own_prefix": "/path/app" or venv prefix,
  "tests_root": "/copy"}
"""

import csv
import importlib
import importlib.util
import json
import os
import re
import sys
import time
import traceback

class Results:
    """The results file: one JSON object per line, flushed at once."""

    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8")

    def write(self, **obj):
        self.f.write(json.dumps(obj, sort_keys=True) + "\n")
        self.f.flush()


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def record_extensions(dist_names):
    """Dotted names of the extension modules the distributions' RECORD lists."""
    import importlib.metadata as md
    wanted = {norm(n) for n in dist_names}
    found, names = {}, set()
    for dist in md.distributions():
        try:
            dname = dist.metadata["Name"]
        except Exception:
            continue
        if not dname or norm(dname) not in wanted:
            continue
        found[norm(dname)] = dist.version
        # RECORD itself: from 3.12 on dist.files leaves out the files that do
        # not exist, and a welded extension's .so exists nowhere
        record = dist.read_text("RECORD")
        paths = [row[0] for row in csv.reader(record.splitlines()) if row] if record \
            else [str(f) for f in dist.files or ()]
        for path in paths:
            path = path.replace("\\", "/")
            base = os.path.basename(path)
            if not base.endswith(".so") or ".dist-info/" in path or ".libs/" in path:
                continue        # auditwheel's vendored libraries live in NAME.libs/
            leaf = base.split(".", 1)[0]
            parts = [p for p in os.path.dirname(path).split("/") if p]
            names.add(".".join(parts + [leaf]))
    missing = sorted(wanted - set(found))
    return sorted(names), found, missing


def check_extensions(spec, problems, when):
    """Every extension module: imported, and from where it must come."""
    facts = {}
    test_pkgs = tuple(spec.get("test_packages", {}))
    for dotted in spec["extensions"]:
        parent = dotted.rpartition(".")[0]
        if when == "before the tests" and any(parent == t or parent.startswith(t + ".")
                                              for t in test_pkgs):
            # A compiled test helper inside the tests' own package
            # (greenlet.tests._test_extension): its parent is the copied
            # tests, importable only once their path is set up; imported
            # and checked fully after collection.
            if spec["builtin"] and dotted not in sys.builtin_module_names:
                problems.append(f"{when}: {dotted} is not in sys.builtin_module_names")
            facts[dotted] = {"deferred": "its parent package is the copied tests"}
            continue
        try:
            m = importlib.import_module(dotted)
        except BaseException as e:
            needs = spec.get("needs_left_out", {}).get(dotted)
            if (spec["builtin"] and needs and isinstance(e, ModuleNotFoundError)
                    and e.name == needs and dotted in sys.builtin_module_names):
                # welded in, and needs a module pyweld leaves out by default
                facts[dotted] = {"origin": "built-in", "import": f"needs {needs}"}
                continue
            problems.append(f"{when}: import {dotted} failed: {type(e).__name__}: {e}")
            continue
        s = getattr(m, "__spec__", None)
        origin = getattr(s, "origin", None)
        mfile = getattr(m, "__file__", None)
        facts[dotted] = {"origin": origin, "file": mfile, "name": m.__name__}
        if spec["builtin"]:
            if origin != "built-in":
                problems.append(f"{when}: {dotted}: __spec__.origin is {origin!r}, "
                                "not 'built-in'")
            if dotted not in sys.builtin_module_names:
                problems.append(f"{when}: {dotted} is not in sys.builtin_module_names")
            for what, val in (("__file__", mfile), ("origin", origin)):
                if isinstance(val, str) and ".so" in val:
                    problems.append(f"{when}: {dotted}: '.so' in its {what} {val!r}")
        else:
            if not (isinstance(origin, str) and origin.endswith(".so")
                    and os.path.isfile(origin)):
                problems.append(f"{when}: {dotted}: __spec__.origin is {origin!r}, "
                                "not a shared object")
        if m.__name__ != dotted:
            problems.append(f"{when}: {dotted}: __name__ is {m.__name__!r}")
        if sys.modules.get(dotted) is not m:
            problems.append(f"{when}: sys.modules[{dotted!r}] is another module")
    return facts


def check_package_modules(spec, problems, when):
    """The package's Python modules come from the binary (or the venv), never
    from the copied tests: a test tree must not shadow the package."""
    tops = sorted({e.split(".")[0] for e in spec["extensions"]} | set(spec.get("modules", [])))
    own = spec["own_prefix"].rstrip("/") + "/"
    tests_root = spec["tests_root"].rstrip("/") + "/"
    test_pkgs = tuple(spec.get("test_packages", {}))
    for name, m in sorted(sys.modules.items()):
        if name.split(".")[0] not in tops or m is None or name in spec["extensions"]:
            continue        # extensions: check_extensions (Cython sets __file__ = origin)
        if any(name == t or name.startswith(t + ".") for t in test_pkgs):
            continue        # the tests themselves come from the copy
        f = getattr(m, "__file__", None)
        if f is None:
            continue        # built-in extension or namespace package
        if f.startswith(tests_root):
            problems.append(f"{when}: {name} was imported from the copied tests "
                            f"({f}), not from the package")
        elif not f.startswith(own):
            problems.append(f"{when}: {name} was imported from {f!r}, outside {own!r}")


def run_probes(spec, problems):
    for i, code in enumerate(spec.get("probes", [])):
        ns = {"__name__": "packages_tested_probe"}
        try:
            exec(compile(code, f"<probe {i + 1}>", "exec"), ns)
        except BaseException as e:
            where = [f for f in traceback.extract_tb(e.__traceback__)
                     if f.filename == f"<probe {i + 1}>"]
            line = where[-1].lineno if where else 0
            src = code.splitlines()[line - 1].strip() if 0 < line <= len(code.splitlines()) \
                else ""
            problems.append(f"probe {i + 1}, line {line} `{src}`: "
                            f"{type(e).__name__}: {e}".rstrip(": "))


class Recorder:
    """A pytest plugin: each test's outcome, as it happens."""

    def __init__(self, spec, res):
        self.spec = spec
        self.res = res
        self.outcome = {}
        self.pid = os.getpid()

    def escaped_child(self):
        """A test that forks and whose child raises instead of reaching its
        os._exit() (cffi's test_zdistutils, when the child's compile fails)
        would go on running the rest of the suite in the child, writing
        every result twice: such a child ends here, its failure left to the
        parent's wait."""
        if os.getpid() != self.pid:
            sys.stderr.write(f"driver: a forked child (pid {os.getpid()}) returned into "
                             "pytest; it exits 70\n")
            sys.stderr.flush()
            os._exit(70)

    def pytest_runtest_makereport(self, item, call):
        self.escaped_child()

    def pytest_collectreport(self, report):
        if report.failed:
            self.res.write(ev="test", nodeid=report.nodeid or "<collection>",
                           outcome="error", when="collect", message=short(report))

    def pytest_collection_finish(self, session):
        problems = []
        check_extensions(self.spec, problems, "after collection")
        check_package_modules(self.spec, problems, "after collection")
        self.res.write(ev="collected", count=len(session.items), problems=problems)

    def pytest_runtest_logstart(self, nodeid, location):
        self.res.write(ev="start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report):
        nid = report.nodeid
        prev = self.outcome.get(nid)
        wasxfail = hasattr(report, "wasxfail")
        if report.when == "call":
            if report.passed:
                out = "xpassed" if wasxfail else "passed"
            elif report.skipped:
                out = "xfailed" if wasxfail else "skipped"
            else:
                out = "failed"
        elif report.failed:
            out = "error"
        elif report.skipped:
            out = "xfailed" if wasxfail else "skipped"
        else:
            return
        if prev in ("failed", "error") and out not in ("failed", "error"):
            return
        self.outcome[nid] = out
        self.res.write(ev="test", nodeid=nid, outcome=out, when=report.when,
                       duration=round(report.duration, 3),
                       message=short(report) if out in ("failed", "error", "skipped",
                                                         "xfailed") else "")


def short(report):
    """One line that says why (the crash message, or a skip's reason), and the
    first error line the test printed (a compiler's, say)."""
    text = why(report)
    if report.failed:
        for name, content in getattr(report, "sections", []):
            if "stderr" not in name and "stdout" not in name:
                continue
            for line in content.splitlines():
                if "error:" in line and line.strip() not in text:
                    return f"{text} [{name.split()[1]}: {line.strip()[:200]}]"
    return text


def why(report):
    lr = report.longrepr
    try:
        if isinstance(lr, tuple) and len(lr) == 3:
            return str(lr[2])[:300]
        crash = getattr(lr, "reprcrash", None)
        if crash is not None:
            return str(crash.message).strip().splitlines()[0][:300] if crash.message else ""
        text = str(lr).strip().splitlines()
        return text[-1][:300] if text else ""
    except Exception as e:
        return f"(no message: {e})"


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    res = Results(spec["results"])
    problems = []
    t0 = time.time()
    facts = {"executable": sys.executable, "version": sys.version,
             "builtin_count": len(sys.builtin_module_names)}
    if spec["builtin"] and not sys.executable.startswith(spec["own_prefix"]):
        problems.append(f"sys.executable is {sys.executable!r}, not the binary")

    facts["extensions"] = check_extensions(spec, problems, "before the tests")
    names, versions, missing = record_extensions(spec["dists"])
    facts["dists"] = versions
    for d in missing:
        problems.append(f"distribution {d!r} is not installed (importlib.metadata)")
    for d, want in spec.get("versions", {}).items():
        if norm(d) in versions and versions[norm(d)] != want:
            problems.append(f"{d} is version {versions[norm(d)]}, pinned {want}")
    listed = set(spec["extensions"])
    for n in sorted(set(names) - listed):
        problems.append(f"RECORD lists the extension {n}, which packages.toml does not: "
                        "add it to the package's extensions")
    for n in sorted(listed - set(names)):
        problems.append(f"packages.toml lists the extension {n}, which no RECORD has")
    run_probes(spec, problems)
    check_package_modules(spec, problems, "before the tests")

    # Tests that live inside the package (psutil.tests): the copied tree
    # goes first on the package's __path__; the package itself stays.  Where
    # the installed package has the same subpackage on disk (stock CPython:
    # greenlet.tests holds compiled test extensions), that directory follows
    # the copy on the subpackage's __path__.
    # Every such package is imported before any __path__ changes: with
    # zope.interface and zope.interface.common both holding tests, the copy
    # first on zope.interface's path would otherwise shadow the installed
    # zope.interface.common with the runner's guard __init__.py.
    test_packages = spec.get("test_packages", {})
    for pkg in sorted(test_packages):
        importlib.import_module(pkg)
    binary = sys.executable.rstrip("/") + "/"

    def installed(path):
        """A directory of the installed package: on disk, or inside the binary."""
        return os.path.isdir(path) or (spec["builtin"] and path.startswith(binary))

    for pkg, d in sorted(test_packages.items()):
        m = sys.modules[pkg]
        orig = [p for p in m.__path__ if installed(p)]
        m.__path__.insert(0, d)
        for root, dirs, files in os.walk(d):
            dirs[:] = sorted(x for x in dirs if x != "__pycache__")
            rel = os.path.relpath(root, d)
            if rel == "." or "__init__.py" not in files:
                continue
            name = pkg + "." + rel.replace(os.sep, ".")
            if name in test_packages:
                dirs[:] = []      # a test package of its own, done in its turn
                continue
            extra = [os.path.join(o, rel) for o in orig]
            if not any(installed(x) for x in extra):
                continue
            # The installed package has this subpackage too (greenlet.tests:
            # on disk in stock CPython, inside the binary when it holds
            # compiled test helpers).  Loaded from the copy by hand: an
            # importer ahead of the path finders (the binary's) would
            # otherwise serve the installed one; its __path__ is the copy,
            # then the installed directory (the compiled helpers).
            sub_spec = importlib.util.spec_from_file_location(
                name, os.path.join(root, "__init__.py"),
                submodule_search_locations=[root] + [x for x in extra if installed(x)])
            sub = importlib.util.module_from_spec(sub_spec)
            sys.modules[name] = sub
            setattr(sys.modules[name.rpartition(".")[0]], name.rpartition(".")[2], sub)
            sub_spec.loader.exec_module(sub)
    res.write(ev="checks", problems=problems, facts=facts)

    if spec["pytest_args"] is None:
        # No test suite to run (protobuf's sdist ships none): the checks and
        # probes above are the whole run.
        res.write(ev="collected", count=0, problems=[])
        res.write(ev="end", status=0, seconds=round(time.time() - t0, 2))
        return 0
    import pytest
    status = None
    try:
        status = int(pytest.main(spec["pytest_args"], plugins=[Recorder(spec, res)]))
    finally:
        res.write(ev="end", status=status, seconds=round(time.time() - t0, 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

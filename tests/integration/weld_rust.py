#!/usr/bin/env python3
"""weld_rust.py: Rust extensions (PyO3, built by maturin) welded like C ones.

rustc links a cdylib by running `cc` from PATH, so pyweld's shims record it;
the weld partially links each Rust extension with its crates and its own
copy of Rust's std and localises everything but its init function.

Cases:
  two_crates        tests/integration/packages/pw_rust_a and pw_rust_b, two
                    tiny PyO3 extensions of ours (cargo fetches PyO3 0.30.1
                    from crates.io, pinned by their Cargo.lock, and caches it
                    in ~/.cargo), welded into ONE binary, then again with
                    --static from the same --work-dir.  Both define
                    PyInit__native, the #[no_mangle] function pw_rust_which
                    and Rust's std, allocator shims and rust_eh_personality.
                    Asserted in both binaries: each extension is a dotted
                    built-in; each calls its own pw_rust_which (0xA, 0xB);
                    each panics once and Python gets PanicException with its
                    message from each, and a panic caught inside Rust
                    (catch_unwind) comes back; each has its own counting
                    #[global_allocator] that the other's allocations never
                    reach; each one's .init_array constructor ran at start;
                    no Rust symbol, no PyInit__native and no pw_rust_which
                    is global in the binary (nm) or found by dlsym
                    (ctypes.CDLL(None)), while the Python API is; the binary
                    needs glibc's libraries only (no libgcc_s) and its stack
                    is not executable.  The link
                    records: the crates are archives, the version script
                    and symbols.o from rustc's deleted temporary directory
                    are in the store.
  outside_wrappers  pw_rust_a built with cargo's linker set to /usr/bin/cc
                    (CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER), so the
                    link bypasses the shims: refused naming the package, the
                    file, rustc and the cause, with a hint; the old APP is
                    left alone.
  lto               pw_rust_a with cargo's own fat LTO (CARGO_PROFILE_RELEASE_LTO)
                    welds and works; pw_rust_b with RUSTFLAGS=-Clinker-plugin-lto,
                    whose objects are only LLVM bitcode, is refused naming
                    the package, the object and the cause, with a hint.
  orjson            orjson 3.10.7 from its sdist (it vendors its crates and
                    builds offline), pinned by SHA-256: orjson.orjson is a
                    built-in, dumps/loads round-trip (numpy-free options,
                    dataclasses, datetimes, OPT_* flags, JSONDecodeError),
                    glibc's libraries only.

Skipped (77) without cargo: ~/.cargo/bin is searched after PATH.

    weld_rust.py --pyweld build/bin/pyweld [--keep] [CASE...]
"""

import glob
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

ORJSON_REQUIREMENTS = """\
# orjson 3.10.7 pinned by the SHA-256 of its sdist (it vendors its crates)
orjson==3.10.7 \\
    --hash=sha256:75ef0640403f945f3a1f9f6400686560dbfb0fb5b16589ad62cd477043c4eee3
"""

# Run inside a welded binary: what each Rust extension does, as JSON.
TWO_CRATES_PROBE = r"""
import ctypes, json, sys
import pw_rust_a, pw_rust_b
import pw_rust_a._native as a, pw_rust_b._native as b
out = {}
for name, m in (("a", a), ("b", b)):
    out[name] = {"origin": m.__spec__.origin, "name": m.__name__,
                 "builtin": m.__name__ in sys.builtin_module_names,
                 "file": getattr(m, "__file__", None), "which": m.which(),
                 "constructed": m.constructed(), "caught": m.catch_inside()}
# Allocations: each counter sees its own extension's and nothing else.
a0, b0 = a.allocations(), b.allocations()
a.allocate(1000, 64)
a1, b1 = a.allocations(), b.allocations()
b.allocate(500, 64)
a2, b2 = a.allocations(), b.allocations()
out["alloc"] = {"a_by_a": a1 - a0, "b_by_a": b1 - b0, "a_by_b": a2 - a1, "b_by_b": b2 - b1}
# One panic in each.
for name, m in (("a", a), ("b", b)):
    try:
        m.panic_now("once from " + name)
    except BaseException as e:
        out[name]["panic"] = [type(e).__name__, type(e).__module__, str(e)]
    else:
        out[name]["panic"] = None
# Still alive, and still apart, after both panics.
out["after"] = [a.which(), b.which()]
lib = ctypes.CDLL(None)
out["dlsym"] = {s: hasattr(lib, s) for s in
                ("Py_Initialize", "PyInit__native", "pw_rust_which", "rust_eh_personality",
                 "rust_begin_unwind", "__rust_alloc", "__rdl_alloc", "rust_panic")}
with open("/proc/self/maps") as f:
    out["mapped"] = sorted({l.split()[-1] for l in f if ".so" in l.split()[-1]})
print(json.dumps(out))
"""

ORJSON_PROBE = r"""
import dataclasses, datetime, json, sys, uuid
import orjson, orjson.orjson as ext
out = {"origin": ext.__spec__.origin, "builtin": "orjson.orjson" in sys.builtin_module_names,
       "version": orjson.__version__, "dumps_is_c": orjson.dumps is ext.dumps}
@dataclasses.dataclass
class Point:
    x: int
    y: float
doc = {"a": [1, 2.5, None, True], "s": "h\u00e9llo \U0001f600", "p": Point(1, 2.5),
       "t": datetime.datetime(2024, 7, 1, 12, 30, tzinfo=datetime.timezone.utc),
       "u": uuid.UUID(int=7), 3: "int key"}
raw = orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS |
                   orjson.OPT_INDENT_2)
out["raw"] = raw.decode()
out["back"] = orjson.loads(raw)
out["same_as_json"] = orjson.loads(raw) == json.loads(raw)
try:
    orjson.loads(b"{\"a\": ")
except orjson.JSONDecodeError as e:
    out["error"] = [type(e).__name__, isinstance(e, ValueError), e.pos]
try:
    orjson.dumps(object())
except orjson.JSONEncodeError as e:
    out["encode_error"] = [isinstance(e, TypeError), str(e)]
big = [{"k%d" % i: list(range(i % 7))} for i in range(20000)]
out["big"] = orjson.loads(orjson.dumps(big)) == big
with open("/proc/self/maps") as f:
    out["mapped"] = sorted({l.split()[-1] for l in f if ".so" in l.split()[-1]})
print(json.dumps(out))
"""


def need_cargo(c):
    """cargo on the case's PATH (or in ~/.cargo/bin, then added), or Skip."""
    if shutil.which("cargo", path=c.env["PATH"]):
        return
    home = c.env.get("CARGO_HOME") or os.path.expanduser("~/.cargo")
    if os.access(os.path.join(home, "bin", "cargo"), os.X_OK):
        c.env["PATH"] = os.path.join(home, "bin") + ":" + c.env["PATH"]
        return
    raise wt.Skip("no cargo on PATH nor in ~/.cargo/bin: a Rust extension cannot be "
                  "built at all (rustup's toolchain is needed)")


def copy_package(c, name):
    """A copy of tests/integration/packages/NAME in the case (pip builds a
    directory in place: cargo's target/ must not land in the repository)."""
    dst = c.path("src", name)
    shutil.copytree(os.path.join(HERE, "packages", name), dst,
                    ignore=shutil.ignore_patterns("target", "__pycache__"))
    return dst


def global_rust_symbols(c, app):
    """Defined global symbols of the binary that are Rust's or our crates'.
    The whole symbol table: the binary must be built with --debug (a default
    one is stripped)."""
    r = c.run(["nm", "--defined-only", "--extern-only", app])
    c.require(r.returncode == 0 and "no symbols" not in r.err,
              f"nm {app} exited {r.returncode}:\n{r.err}")
    bad = re.compile(r"^(rust_|__rust|_RNv|_ZN3std|_ZN4core|_ZN5alloc|_ZN4pyo3|DW\.ref\.rust|"
                     r"pw_rust_which$|PyInit__native$)|___rust")
    return [l for l in r.out.splitlines() if bad.search(l.split()[-1])]


def check_stack(c, app, what):
    """The binary's stack is not executable (PT_GNU_STACK without E)."""
    r = c.run(["readelf", "-lW", app])
    stack = [l.split() for l in r.out.splitlines() if "GNU_STACK" in l]
    c.check(stack and "E" not in stack[0][-2], f"{what}: the stack is executable: "
            f"{stack}")


def check_libc_only(c, app, what):
    needed, text = wt.needed_libs(app)
    if needed is None:
        return
    extra = [n for n in needed if n not in wt.LIBC_FAMILY]
    c.check(not extra, f"{what}: DT_NEEDED lists {extra} besides glibc's:\n{text}")


def check_two_crates(c, app, what, static=False):
    r = c.run([app, "-c", TWO_CRATES_PROBE], env=c.run_env, timeout=120)
    c.require(r.returncode == 0, f"{what}: the probe exited {r.returncode}:\n"
              f"{wt.tail(r.out)}\n{wt.tail(r.err)}")
    out = json.loads(r.out.strip().splitlines()[-1])
    for name, which in (("a", 0xA), ("b", 0xB)):
        m = out[name]
        mod = f"pw_rust_{name}._native"
        c.check(m["origin"] == "built-in" and m["builtin"] and m["name"] == mod and
                not m["file"], f"{what}: {mod} is not a dotted built-in: {m}")
        c.check(m["which"] == which, f"{what}: {mod}.which() is {m['which']:#x}, not "
                f"{which:#x}: the extension called the other's pw_rust_which")
        c.check(m["constructed"], f"{what}: {mod}'s .init_array constructor did not run")
        c.check(m["caught"] == f"caught inside pw_rust_{name}",
                f"{what}: {mod}.catch_inside() returned {m['caught']!r}")
        p = m["panic"]
        c.check(p is not None and p[0] == "PanicException" and
                p[2] == f"pw_rust_{name} panics: once from {name}",
                f"{what}: {mod}.panic_now() raised {p!r}, not PanicException with its "
                "message")
    al = out["alloc"]
    c.check(al["a_by_a"] >= 1000 and al["b_by_b"] >= 500,
            f"{what}: an extension's allocations did not reach its own allocator: {al}")
    c.check(al["b_by_a"] == 0 and al["a_by_b"] == 0,
            f"{what}: one extension's allocations reached the other's allocator: {al}")
    c.check(out["after"] == [0xA, 0xB], f"{what}: after the panics: {out['after']}")
    # A static binary has no dynamic symbol table: dlsym finds nothing there.
    c.check(out["dlsym"]["Py_Initialize"] != static, f"{what}: dlsym finds Py_Initialize: "
            f"{out['dlsym']['Py_Initialize']}")
    seen = [s for s, found in out["dlsym"].items() if found and s != "Py_Initialize"]
    c.check(not seen, f"{what}: dlsym finds {seen} in the binary")
    c.check(not out["mapped"] or all(os.path.basename(m) in wt.LIBC_FAMILY
                                     for m in out["mapped"]),
            f"{what}: shared objects other than glibc's are mapped: {out['mapped']}")
    bad = global_rust_symbols(c, app)
    c.check(not bad, f"{what}: global Rust symbols in the binary:\n" + "\n".join(bad[:20]))


def check_records(c, work):
    """The links of pw_rust_a and pw_rust_b as the shims recorded them."""
    dbs = glob.glob(os.path.join(work, "**", "*.linkdb"), recursive=True)
    c.require(dbs, f"no link database in the work directory {work}")
    found = 0
    for db in dbs:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        links = con.execute("SELECT id, output FROM link WHERE output LIKE "
                            "'%/lib_native.so'").fetchall()
        for link, output in links:
            found += 1
            rows = con.execute("SELECT kind, value, object FROM link_input WHERE link = ? "
                               "ORDER BY seq", (link,)).fetchall()
            rlibs = [(k, v) for k, v, _ in rows if v.endswith(".rlib")]
            c.check(rlibs and all(k == "archive" for k, _ in rlibs),
                    f"{output}: crates not recorded as archives: {rlibs[:3]}")
            c.check(any("/libstd-" in v for _, v in rlibs),
                    f"{output}: std's crate is not among the link's inputs")
            vs = [(v, o) for k, v, o in rows if k == "flag" and "--version-script" in v]
            c.check(len(vs) == 1 and vs[0][1], f"{output}: the version script is not "
                    f"stored: {vs}")
            if vs and vs[0][1]:
                tmpdir = os.path.dirname(vs[0][0].split("=", 1)[1])
                c.check(not os.path.exists(tmpdir), f"rustc's temporary directory "
                        f"{tmpdir} still exists: the snapshot proves nothing")
                store = db + ".store"
                path = os.path.join(store, vs[0][1][:2], vs[0][1])
                text = open(path).read() if os.path.exists(path) else ""
                c.check("PyInit__native" in text and "local:" in text,
                        f"{output}: the stored version script is not rustc's: {text!r}")
            syms = [o for k, v, o in rows if v.endswith("/symbols.o")]
            c.check(syms and syms[0], f"{output}: symbols.o is not stored: {syms}")
        con.close()
    c.check(found == 2, f"{found} recorded links of lib_native.so, wanted 2 (pw_rust_a "
            "and pw_rust_b)")


def case_two_crates(c):
    """pw_rust_a and pw_rust_b: one binary (and a --static one), kept apart"""
    need_cargo(c)
    a, b = copy_package(c, "pw_rust_a"), copy_package(c, "pw_rust_b")
    work = c.path("work")
    app = c.path("app")
    p = c.build_ok("--pip-install", a, "--pip-install", b, "--work-dir", work, "-o", app,
                   "--debug", timeout=1500)
    print(f"     pyweld build took {p.seconds:.1f} s")
    check_records(c, work)
    check_libc_only(c, app, "default")
    check_stack(c, app, "default")
    check_two_crates(c, app, "default")

    sapp = c.path("app-static")
    p = c.build_ok("--pip-install", a, "--pip-install", b, "--work-dir", work, "--static",
                   "--debug", "-o", sapp, timeout=900)
    print(f"     pyweld build --static took {p.seconds:.1f} s")
    c.check("already in" in p.err, "the --static build installed the packages again:\n"
            + wt.tail(p.err))
    needed, text = wt.needed_libs(sapp)
    c.check(needed is None, f"--static: the binary has a dynamic section:\n{text}")
    check_stack(c, sapp, "--static")
    check_two_crates(c, sapp, "--static", static=True)


def case_outside_wrappers(c):
    """a Rust extension whose link bypassed the shims: refused, clearly"""
    need_cargo(c)
    a = copy_package(c, "pw_rust_a")
    os.makedirs(c.path("out"))
    app = c.path("out", "app")
    before = c.sentinel(app)
    p = c.build("--pip-install", a, "--env",
                "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=/usr/bin/cc", "-o", app,
                timeout=1500)
    lines = c.check_clear_error(p, "pw_rust_a outside the wrappers", subjects=[
        ("pw-rust-a 1.0", "pw_rust_a 1.0"),
        ("_native.cpython-311-x86_64-linux-gnu.so",),
        ("rustc",),
        ("outside", "bypass", "not through"),
    ])
    c.check(any(l.startswith("hint:") and "linker" in l.lower() for l in lines),
            "the error has no hint about the linker setting:\n" + "\n".join(lines))
    c.check_sentinel(app, before, "pw_rust_a outside the wrappers")


ONE_CRATE_PROBE = r"""
import json, pw_rust_a._native as a
try:
    a.panic_now("lto")
except BaseException as e:
    panic = [type(e).__name__, str(e)]
n = a.allocations(); a.allocate(10, 8)
print(json.dumps([a.__spec__.origin, a.which(), panic, a.allocations() - n, a.catch_inside()]))
"""


def case_lto(c):
    """cargo's fat LTO welds; objects that are only LLVM bitcode are refused"""
    need_cargo(c)
    a = copy_package(c, "pw_rust_a")
    app = c.path("app")
    p = c.build_ok("--pip-install", a, "--env", "CARGO_PROFILE_RELEASE_LTO=fat", "-o", app,
                   timeout=1500)
    print(f"     pyweld build (lto = fat) took {p.seconds:.1f} s")
    r = c.run([app, "-c", ONE_CRATE_PROBE], env=c.run_env, timeout=120)
    c.require(r.returncode == 0, f"lto = fat: the probe exited {r.returncode}:\n"
              f"{wt.tail(r.err)}")
    got = json.loads(r.out.strip().splitlines()[-1])
    c.check(got == ["built-in", 0xA, ["PanicException", "pw_rust_a panics: lto"], 10,
                    "caught inside pw_rust_a"], f"lto = fat: the probe said {got}")
    check_stack(c, app, "lto = fat")

    # RUSTFLAGS reach every crate cargo compiles: the extension's codegen
    # units and its crates hold LLVM bitcode for the linker to optimise.
    b = copy_package(c, "pw_rust_b")
    os.makedirs(c.path("out"))
    app2 = c.path("out", "app")
    before = c.sentinel(app2)
    p = c.build("--pip-install", b, "--env", "RUSTFLAGS=-Clinker-plugin-lto", "-o", app2,
                timeout=1500)
    print(f"     pyweld build (linker-plugin-lto) took {p.seconds:.1f} s")
    lines = c.check_clear_error(p, "linker-plugin-lto", subjects=[
        ("pw-rust-b 1.0", "pw_rust_b 1.0"), (".rcgu.o",), ("llvm bitcode",)])
    c.check(any(l.startswith("hint:") and "linker-plugin-lto" in l for l in lines),
            "the error has no hint about -C linker-plugin-lto:\n" + "\n".join(lines))
    c.check_sentinel(app2, before, "linker-plugin-lto")


def case_orjson(c):
    """orjson from its sdist: a built-in that works, glibc only"""
    need_cargo(c)
    reqs = c.path("requirements.txt")
    wt.write(reqs, ORJSON_REQUIREMENTS)
    app = c.path("app")
    p = c.build_ok("-r", reqs, "-o", app, "--debug", timeout=1500)
    print(f"     pyweld build took {p.seconds:.1f} s")
    check_libc_only(c, app, "orjson")
    check_stack(c, app, "orjson")
    r = c.run([app, "-c", ORJSON_PROBE], env=c.run_env, timeout=120)
    c.require(r.returncode == 0, f"the probe exited {r.returncode}:\n{wt.tail(r.out)}\n"
              f"{wt.tail(r.err)}")
    out = json.loads(r.out.strip().splitlines()[-1])
    c.check(out["origin"] == "built-in" and out["builtin"] and out["dumps_is_c"],
            f"orjson.orjson is not a built-in: {out}")
    c.check(out["version"] == "3.10.7", f"orjson's version is {out['version']}")
    back = out["back"]
    c.check(back.get("3") == "int key" and back.get("a") == [1, 2.5, None, True] and
            back.get("s") == "h\u00e9llo \U0001f600" and back.get("p") == {"x": 1, "y": 2.5}
            and back.get("t") == "2024-07-01T12:30:00+00:00" and
            back.get("u") == "00000000-0000-0000-0000-000000000007" and out["same_as_json"],
            f"orjson's round trip: {out['raw']!r} -> {back!r}")
    c.check(out["raw"].startswith('{\n  "3": "int key"'), f"OPT_INDENT_2 | OPT_SORT_KEYS: "
            f"{out['raw']!r}")
    c.check(out.get("error") == ["JSONDecodeError", True, 6], f"loads of bad JSON: "
            f"{out.get('error')}")
    c.check(out.get("encode_error") == [True, "Type is not JSON serializable: object"],
            f"dumps(object()): {out.get('encode_error')}")
    c.check(out["big"], "a 20,000-element document did not round-trip")
    c.check(all(os.path.basename(m) in wt.LIBC_FAMILY for m in out["mapped"]),
            f"shared objects other than glibc's are mapped: {out['mapped']}")
    bad = [l for l in global_rust_symbols(c, app) if "PyInit" not in l]
    c.check(not bad, "global Rust symbols in the binary:\n" + "\n".join(bad[:20]))


CASES = {
    "two_crates": case_two_crates,
    "outside_wrappers": case_outside_wrappers,
    "lto": case_lto,
    "orjson": case_orjson,
}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "rust"))

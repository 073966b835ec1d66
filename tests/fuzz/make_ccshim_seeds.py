#!/usr/bin/env python3
"""make_ccshim_seeds.py: writes the seed corpus of fuzz_ccshim.

    python3 tests/fuzz/make_ccshim_seeds.py tests/fuzz/corpus-ccshim

Each seed is a real command line (as the wrapper compilers saw it in the
builds tests/unit/ccshim_cases_*.c list, and rustc's, meson's and
CMake's response files) in fuzz_ccshim's input format: one byte for the tool
(0 cc, 1 c++, 2 ld, 3 ar, 4 ranlib), the argv entries separated by NUL, then
for each response file r1..r4 the byte 0xff and its text.  Every seed must
classify without an error (the test runs them with PYWELD_FUZZ_EXPECT_VALID=1
before fuzzing).  The files are committed; rerun this after changing a seed.
"""

import os
import sys

TOOLS = {"cc": 0, "c++": 1, "ld": 2, "ar": 3, "ranlib": 4}
GCCDIR = "/usr/lib/gcc/x86_64-linux-gnu/12"
RUSTLIB = "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib/rustlib/" \
          "x86_64-unknown-linux-gnu"
SUFFIX = ".cpython-311-x86_64-linux-gnu.so"

# rustc 1.90 linking a cdylib: everything after the driver goes through an
# @file, one argument a line (rust-lang/rust 44094), with -fuse-ld=lld and
# rustc's own gcc-ld directory.
RUSTC_ARGS = "\n".join([
    "-m64",
    "/tmp/rustcXyZ12/symbols.o",
    "/build/target/release/deps/orjson-5e1f.orjson.8a2b-cgu.0.rcgu.o",
    "/build/target/release/deps/orjson-5e1f.orjson.8a2b-cgu.1.rcgu.o",
    "-Wl,--as-needed",
    "-Wl,--version-script=/tmp/rustcXyZ12/list",
    "-Wl,--no-undefined-version",
    "-Wl,-Bstatic",
    "/build/target/release/deps/libpyo3-0c1d.rlib",
    RUSTLIB + "/lib/libstd-9a8b.rlib",
    RUSTLIB + "/lib/libcompiler_builtins-77aa.rlib",
    "-Wl,-Bdynamic",
    "-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc",
    "-Wl,--eh-frame-hdr",
    "-Wl,-z,noexecstack",
    "-L", RUSTLIB + "/lib",
    "-o", "/build/target/release/deps/liborjson.so",
    "-Wl,--gc-sections",
    "-shared",
    "-Wl,-z,relro,-z,now",
    "-Wl,-O1",
    "-Wl,--strip-debug",
    "-nodefaultlibs",
    "-fuse-ld=lld",
    "-B" + RUSTLIB + "/bin/gcc-ld",
]) + "\n"

# rustc 1.95 linking the PyO3 extension pw_rust_a._native (maturin 1.16,
# tests/integration/packages/pw_rust_a): the line as pyweld's shims recorded
# it, and the @file rustc wrote when the line was too long for execve.
RUST_TMP = "/tmp/cap/src_a/target/release/deps/rustcVoJx1P"
RUST_DEPS = "/tmp/cap/src_a/target/release/deps"
RUST_STD = [RUSTLIB + "/lib/lib" + n + ".rlib" for n in (
    "std-d1237ef7159db0a2", "panic_unwind-4be5972b22d3a6da", "object-2a81194c9d07bbf6",
    "memchr-ea71fa85f6699d6b", "addr2line-a79a8816d9fd6004", "gimli-46dc78dc6a8cb06a",
    "cfg_if-0ce073fff809ec38", "rustc_demangle-146c3f1190dee2e2",
    "std_detect-e305c7135f50bfab", "hashbrown-1448c95121de53aa",
    "rustc_std_workspace_alloc-5bc57914b232292d", "miniz_oxide-5ad929a15a8e6727",
    "adler2-1f570ee5c6635aae", "unwind-545faafa3c69262e", "libc-5b1ad6df1855186c",
    "rustc_std_workspace_core-75c1307561ed9634", "alloc-6e6df4ffe0af4d15",
    "core-120cbae4e86ec454", "compiler_builtins-27cfc16bdf3bb694")]
RUST_CDYLIB = [
    "-Wl,--version-script=" + RUST_TMP + "/list", "-Wl,--no-undefined-version", "-m64",
    RUST_TMP + "/symbols.o",
    RUST_DEPS + "/_native._native.1f9ec04db1f728d6-cgu.0.rcgu.o",
    RUST_DEPS + "/_native._native.1f9ec04db1f728d6-cgu.1.rcgu.o",
    RUST_DEPS + "/_native._native.1f9ec04db1f728d6-cgu.2.rcgu.o",
    RUST_DEPS + "/_native.5a45z9ww0xf2khvy2hu1po59q.rcgu.o",
    "-Wl,--as-needed", "-Wl,-Bstatic",
    RUST_DEPS + "/libpyo3-0eb583377a85deda.rlib",
    RUST_DEPS + "/libonce_cell-03f6b6692108e37b.rlib",
    RUST_DEPS + "/libpyo3_ffi-07bdeeebc9e53362.rlib",
    RUST_DEPS + "/liblibc-6de8d173869a4e53.rlib",
] + RUST_STD + [
    "-Wl,-Bdynamic", "-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc",
    "-L", RUST_TMP + "/raw-dylibs", "-B" + RUSTLIB + "/bin/gcc-ld", "-fuse-ld=lld",
    "-Wl,--eh-frame-hdr", "-Wl,-z,noexecstack", "-L", RUSTLIB + "/lib",
    "-o", RUST_DEPS + "/lib_native.so", "-Wl,--gc-sections", "-shared",
    "-Wl,-z,relro,-z,now", "-Wl,-O1", "-Wl,--strip-debug", "-nodefaultlibs",
]

SEEDS = [
    ("gcc_compile", "cc",
     ["cc", "-Wsign-compare", "-DNDEBUG", "-g", "-fwrapv", "-O2", "-Wall", "-fPIC",
      "-DSPAM_VERSION=\"1.0\"", "-Isrc/include dir", "-I/usr/include/python3.11", "-c",
      "src/spam/_cspam.c", "-o", "build/temp.linux-x86_64-cpython-311/src/spam/_cspam.o"],
     []),
    ("gcc_depfiles", "cc",
     ["x86_64-linux-gnu-gcc", "-MD", "-MF", "x.d", "-MT", "x.o", "-MQ", "$(obj)",
      "-Wp,-MMD,y.d", "-Xpreprocessor", "-MP", "-fPIC", "-c", "x.c", "-o", "x.o"], []),
    ("gcc_stdin_link", "cc",
     ["cc", "-shared", "-fPIC", "-x", "c", "-", "-x", "none", "y.o", "-o", "x.so",
      "-Wl,-soname,x.so"], []),
    ("gcc_lto", "cc",
     ["gcc", "-flto=auto", "-fno-fat-lto-objects", "-O2", "-fPIC", "-c", "a.c",
      "-o", "CMakeFiles/m.dir/a.c.o"], []),
    ("gcc_info", "cc", ["gcc", "-print-file-name=libgcc.a"], []),
    ("gcc_probe", "cc", ["cc", "-o", "conftest", "-g", "-O2", "conftest.c", "-lm"], []),
    ("gxx_link", "c++",
     ["x86_64-linux-gnu-g++", "-shared", "-Wl,-O1", "-Wl,-Bsymbolic-functions",
      "-Wl,-z,relro", "-g", "-fwrapv", "-O2", "build/temp/src/a.o", "build/temp/src/b.o",
      "-L/usr/lib/x86_64-linux-gnu", "-Lbuild/lib dir", "-l", "stdc++", "-lm",
      "-Xlinker", "--exclude-libs", "-Xlinker", "ALL",
      "-o", "build/lib.linux-x86_64-cpython-311/m" + SUFFIX], []),
    ("ld_collect2", "ld",
     ["/usr/bin/ld", "-plugin", GCCDIR + "/liblto_plugin.so",
      "-plugin-opt=" + GCCDIR + "/lto-wrapper", "-plugin-opt=-fresolution=/tmp/cc.res",
      "--build-id", "--eh-frame-hdr", "-m", "elf_x86_64", "--hash-style=gnu",
      "--as-needed", "-shared", "-z", "relro", "-o", "x.so", GCCDIR + "/crtbeginS.o",
      "-L" + GCCDIR, "-L/usr/lib/x86_64-linux-gnu", "x.o", "-lgcc", "--push-state",
      "--as-needed", "-lgcc_s", "--pop-state", "-lc", GCCDIR + "/crtendS.o",
      "/usr/lib/x86_64-linux-gnu/crtn.o"], []),
    ("ld_relocatable", "ld",
     ["ld", "-r", "-o", "ext.o", "a.o", "--whole-archive", "libb.a",
      "--no-whole-archive", "--version-script", "v.map"], []),
    ("ar_rcs", "ar", ["ar", "rcs", "libx.a", "a.o", "b.o"], []),
    ("ar_plugin", "ar",
     ["x86_64-linux-gnu-gcc-ar", "--plugin", GCCDIR + "/liblto_plugin.so", "-rcs",
      "build/temp.linux-x86_64-cpython-311/libfoo.a",
      "build/temp.linux-x86_64-cpython-311/src/foo.o"], []),
    ("ar_thin_meson", "ar", ["ar", "csrDT", "libhelper.a", "libhelper.a.p/h.c.o"], []),
    ("ar_list_rsp", "ar", ["ar", "cr", "libconftest.a", "@r1"], ["conftest.o\n"]),
    ("ranlib", "ranlib", ["ranlib", "libx.a", "liby.a"], []),
    ("rustc_cc_rsp", "cc", ["cc", "@r1"], [RUSTC_ARGS]),
    ("rustc_pyo3_cdylib", "cc", ["cc"] + RUST_CDYLIB, []),
    ("rustc_pyo3_linker_arguments", "cc", ["cc", "@r1"], ["\n".join(RUST_CDYLIB) + "\n"]),
    ("ld_version_script", "ld",
     ["ld", "-shared", "x.o", "--version-script", "v.map", "-version-script=w.map",
      "--dynamic-list=d.list", "-o", "x.so"], []),
    ("gcc_version_script_items", "cc",
     ["cc", "-shared", "x.o", "-Wl,-soname,x.so,--version-script,v.map,-O1",
      "-Xlinker", "--version-script", "-Xlinker", "w.map", "-o", "x.so"], []),
    ("meson_link_rsp", "cc",
     ["/tmp/x.linkdb.shims/cc", "@r1"],
     ["-o _m" + SUFFIX + " '_m" + SUFFIX + ".p/src__m.c.o' -Wl,--as-needed "
      "-Wl,--allow-shlib-undefined -shared -fPIC -Wl,--start-group libhelper.a "
      "'-Wl,-rpath,$ORIGIN/../lib dir' -Wl,--end-group"]),
    ("cmake_link_rsp", "c++",
     ["/usr/bin/c++", "-fPIC", "-O3", "-DNDEBUG", "-shared", "-Wl,-soname,m.so",
      "-o", "m.so", "@r1", "-Wl,-rpath,/build/lib:", "-lz"],
     ["CMakeFiles/m.dir/a.cpp.o CMakeFiles/m.dir/b.cpp.o\n"]),
    ("nested_rsp", "cc",
     ["cc", "-O1", "@r1"],
     ["@r2 -o 'obj dir/y.o'\r\n", "-c\nx.c\n-DMSG=\\\"a\\ b\\\"\n@r3", ""]),
    ("unreadable_rsp", "cc", ["cc", "-c", "x.c", "@gone", "@rd", "-o", "x.o"], []),
]


def encode(tool, argv, files):
    out = bytes([TOOLS[tool]]) + b"\0".join(a.encode() for a in argv)
    for text in files:
        out += b"\xff" + text.encode()
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, tool, argv, files in SEEDS:
        with open(os.path.join(out, name), "wb") as f:
            f.write(encode(tool, argv, files))
    print("wrote %d seeds to %s" % (len(SEEDS), out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

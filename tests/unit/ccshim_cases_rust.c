/*
 * ccshim_cases_rust: the classification's cases from Rust builds.
 *
 * rustc 1.95 (rustup's stable toolchain) links by running `cc` from PATH:
 * these are the lines it ran while maturin 1.16 built the PyO3 0.30
 * extension tests/integration/packages/pw_rust_a through `pyweld env`'s
 * shims (read back with `pyweld db links --json`), and the build script
 * link cargo ran for the crate quote (under a logging wrapper).  Every
 * line holds the codegen units (*.rcgu.o), the crates (.rlib, archives),
 * std's crates from the sysroot, a version script and symbols.o in
 * rustc's temporary directory, -lgcc_s with libc's libraries, and since
 * rustc 1.90 -fuse-ld=lld with rustc's own gcc-ld directory (-B, which
 * matters to the link but is no input; ccshim_test.h has these pieces).
 * The same link through an @file is in test_ccshim_response.c.
 */
#include "ccshim_test.h"

/* maturin's build of pw_rust_a: cargo's target directory and rustc's
 * temporary directories (deleted after each link). */
#define DEPS   "/tmp/cap/src_a/target/release/deps"
#define EXT_TMP DEPS "/rustcVoJx1P"
#define PM_TMP  DEPS "/rustcSHfL0P"
#define PM_CGU  DEPS "/pyo3_macros-cb93661d28c122bc.pyo3_macros.a99bacb46d24ebf3-cgu."
#define QUOTE   "/tmp/crt/target/release/build/quote-a021c4b4abb56ff8"
#define BS_TMP  QUOTE "/rustcd6Meb3"

const struct cl_case cases_rust[] = {
	{ "rustc 1.95: cdylib of a PyO3 extension (maturin, pw_rust_a._native)", CC_,
	  { "cc", "-Wl,--version-script=" EXT_TMP "/list", "-Wl,--no-undefined-version",
	    "-m64", EXT_TMP "/symbols.o", DEPS "/_native._native.1f9ec04db1f728d6-cgu.0.rcgu.o",
	    DEPS "/_native._native.1f9ec04db1f728d6-cgu.1.rcgu.o",
	    DEPS "/_native._native.1f9ec04db1f728d6-cgu.2.rcgu.o",
	    DEPS "/_native.5a45z9ww0xf2khvy2hu1po59q.rcgu.o", "-Wl,--as-needed",
	    "-Wl,-Bstatic", DEPS "/libpyo3-0eb583377a85deda.rlib",
	    DEPS "/libonce_cell-03f6b6692108e37b.rlib",
	    DEPS "/libpyo3_ffi-07bdeeebc9e53362.rlib", DEPS "/liblibc-6de8d173869a4e53.rlib",
	    STD_RLIBS, RUSTC_LIBS, RUSTC_LLD(EXT_TMP), "-o", DEPS "/lib_native.so",
	    "-Wl,--gc-sections", "-shared", "-Wl,-z,relro,-z,now", "-Wl,-O1",
	    "-Wl,--strip-debug", "-nodefaultlibs" },
	  SHARED, DEPS "/lib_native.so", NULL,
	  { FLGF("-Wl,--version-script=" EXT_TMP "/list", EXT_TMP "/list"),
	    FLG("-Wl,--no-undefined-version"), OBJ(EXT_TMP "/symbols.o"),
	    OBJ(DEPS "/_native._native.1f9ec04db1f728d6-cgu.0.rcgu.o"),
	    OBJ(DEPS "/_native._native.1f9ec04db1f728d6-cgu.1.rcgu.o"),
	    OBJ(DEPS "/_native._native.1f9ec04db1f728d6-cgu.2.rcgu.o"),
	    OBJ(DEPS "/_native.5a45z9ww0xf2khvy2hu1po59q.rcgu.o"), FLG("-Wl,--as-needed"),
	    FLG("-Wl,-Bstatic"), ARC(DEPS "/libpyo3-0eb583377a85deda.rlib"),
	    ARC(DEPS "/libonce_cell-03f6b6692108e37b.rlib"),
	    ARC(DEPS "/libpyo3_ffi-07bdeeebc9e53362.rlib"),
	    ARC(DEPS "/liblibc-6de8d173869a4e53.rlib"), STD_RLIBS_IN, RUSTC_LIBS_IN,
	    RUSTC_LLD_IN(EXT_TMP), FLG("-Wl,--gc-sections"), FLG("-Wl,-z,relro,-z,now"),
	    FLG("-Wl,-O1"), FLG("-Wl,--strip-debug"), FLG("-nodefaultlibs") },
	  false, false },
	{ "rustc 1.95: proc-macro dylib (pyo3-macros, with its rmeta.o)", CC_,
	  { "cc", "-Wl,--version-script=" PM_TMP "/list", "-Wl,--no-undefined-version",
	    "-m64", PM_TMP "/symbols.o", PM_CGU "0.rcgu.o", PM_CGU "1.rcgu.o",
	    PM_CGU "2.rcgu.o", PM_CGU "3.rcgu.o", PM_CGU "4.rcgu.o", PM_CGU "5.rcgu.o",
	    PM_CGU "6.rcgu.o", PM_CGU "7.rcgu.o", PM_TMP "/rmeta.o",
	    DEPS "/pyo3_macros-cb93661d28c122bc.3tecz5w8o8h7n164l80bjii14.rcgu.o",
	    "-Wl,--as-needed", "-Wl,-Bstatic",
	    DEPS "/libpyo3_macros_backend-52791d0467171e41.rlib",
	    DEPS "/libheck-e2239c9a9a28e28b.rlib", DEPS "/libsyn-65c62ee777d77660.rlib",
	    DEPS "/libquote-e4909ae389ae7070.rlib",
	    DEPS "/libproc_macro2-0346b6ba338b24e3.rlib",
	    DEPS "/libunicode_ident-95b0949f53983d7b.rlib",
	    RLIB("proc_macro-9a3b801af650b923"), RLIB("rustc_literal_escaper-f3a22ebee540a516"),
	    STD_RLIBS, RUSTC_LIBS, RUSTC_LLD(PM_TMP), "-o",
	    DEPS "/libpyo3_macros-cb93661d28c122bc.so", "-Wl,--gc-sections", "-shared",
	    "-Wl,-z,relro,-z,now", "-Wl,--strip-debug", "-nodefaultlibs" },
	  SHARED, DEPS "/libpyo3_macros-cb93661d28c122bc.so", NULL,
	  { FLGF("-Wl,--version-script=" PM_TMP "/list", PM_TMP "/list"),
	    FLG("-Wl,--no-undefined-version"), OBJ(PM_TMP "/symbols.o"),
	    OBJ(PM_CGU "0.rcgu.o"), OBJ(PM_CGU "1.rcgu.o"), OBJ(PM_CGU "2.rcgu.o"),
	    OBJ(PM_CGU "3.rcgu.o"), OBJ(PM_CGU "4.rcgu.o"), OBJ(PM_CGU "5.rcgu.o"),
	    OBJ(PM_CGU "6.rcgu.o"), OBJ(PM_CGU "7.rcgu.o"), OBJ(PM_TMP "/rmeta.o"),
	    OBJ(DEPS "/pyo3_macros-cb93661d28c122bc.3tecz5w8o8h7n164l80bjii14.rcgu.o"),
	    FLG("-Wl,--as-needed"), FLG("-Wl,-Bstatic"),
	    ARC(DEPS "/libpyo3_macros_backend-52791d0467171e41.rlib"),
	    ARC(DEPS "/libheck-e2239c9a9a28e28b.rlib"),
	    ARC(DEPS "/libsyn-65c62ee777d77660.rlib"),
	    ARC(DEPS "/libquote-e4909ae389ae7070.rlib"),
	    ARC(DEPS "/libproc_macro2-0346b6ba338b24e3.rlib"),
	    ARC(DEPS "/libunicode_ident-95b0949f53983d7b.rlib"),
	    ARC(RLIB("proc_macro-9a3b801af650b923")),
	    ARC(RLIB("rustc_literal_escaper-f3a22ebee540a516")), STD_RLIBS_IN, RUSTC_LIBS_IN,
	    RUSTC_LLD_IN(PM_TMP), FLG("-Wl,--gc-sections"), FLG("-Wl,-z,relro,-z,now"),
	    FLG("-Wl,--strip-debug"), FLG("-nodefaultlibs") },
	  false, false },
	{ "rustc 1.95: build script executable (cargo, quote), not recorded", CC_,
	  { "cc", "-m64", BS_TMP "/symbols.o",
	    QUOTE "/build_script_build-a021c4b4abb56ff8.build_script_build.59e750e5ca019a74-cgu.0.rcgu.o",
	    QUOTE "/build_script_build-a021c4b4abb56ff8.dqsmgvghqb5xmu2wbvokmznhq.rcgu.o",
	    "-Wl,--as-needed", "-Wl,-Bstatic", STD_RLIBS, RUSTC_LIBS, RUSTC_LLD(BS_TMP), "-o",
	    QUOTE "/build_script_build-a021c4b4abb56ff8", "-Wl,--gc-sections", "-pie",
	    "-Wl,-z,relro,-z,now", "-Wl,--strip-debug", "-nodefaultlibs" },
	  EXEC, QUOTE "/build_script_build-a021c4b4abb56ff8", NULL,
	  { OBJ(BS_TMP "/symbols.o"),
	    OBJ(QUOTE "/build_script_build-a021c4b4abb56ff8.build_script_build.59e750e5ca019a74-cgu.0.rcgu.o"),
	    OBJ(QUOTE "/build_script_build-a021c4b4abb56ff8.dqsmgvghqb5xmu2wbvokmznhq.rcgu.o"),
	    FLG("-Wl,--as-needed"), FLG("-Wl,-Bstatic"), STD_RLIBS_IN, RUSTC_LIBS_IN,
	    RUSTC_LLD_IN(BS_TMP), FLG("-Wl,--gc-sections"), FLG("-pie"),
	    FLG("-Wl,-z,relro,-z,now"), FLG("-Wl,--strip-debug"), FLG("-nodefaultlibs") },
	  false, false },
};
const size_t ncases_rust = countof(cases_rust);

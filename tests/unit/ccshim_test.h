/*
 * ccshim_test.h: what ccshim's unit tests share (test_ccshim_classify.c,
 * test_ccshim_response.c, test_ccshim_conf.c, one ctest test each).
 *
 * A classification case (struct cl_case) is a command line and everything
 * its classification must say: action, output, dependency file, every
 * input in order (kind, value, language, how many argv entries it spans),
 * and the C++ and LTO flags.  The cases come from real builds
 * (ccshim_cases_python.c, ccshim_cases_native.c: copied from builds on
 * Debian 12 with GCC 12.2 and binutils 2.40, run under pyweld's shims, argv
 * read back with `pyweld db compiles --json` and `pyweld db links --json`,
 * or under a logging wrapper that printed each argv with `printf %q`;
 * ccshim_cases_rust.c: rustc 1.95 and cargo linking PyO3 extensions, their
 * proc macros and build scripts the same two ways) and from hand
 * (ccshim_cases_edge.c).  Paths are kept as they were; nothing
 * needs to exist.  Tests that write files get a temporary directory each,
 * removed when the test passes and left, its path printed, when it fails.
 */
#ifndef PYWELD_CCSHIM_TEST_H
#define PYWELD_CCSHIM_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>

#include "ccshim.h"
#include "util.h"

/* --- classification cases ------------------------------------------------- */

#define MAXARGV 96
#define MAXIN   64

struct exp_in {
	enum ccshim_arg kind;
	const char *value;
	const char *lang;               /* sources only */
	int argn;                       /* 0 means 1 */
	const char *file;               /* link flags: the file they name (a version script) */
};

struct cl_case {
	const char *name;               /* "origin: what" */
	enum ccshim_tool tool;
	const char *argv[MAXARGV];      /* NULL-terminated */
	enum ccshim_action action;
	const char *output;
	const char *depfile;
	struct exp_in in[MAXIN];        /* ends at value == NULL */
	bool cxx, lto;
};

#define CC_  CCSHIM_TOOL_CC
#define CXX_ CCSHIM_TOOL_CXX
#define LD_  CCSHIM_TOOL_LD
#define AR_  CCSHIM_TOOL_AR
#define RL_  CCSHIM_TOOL_RANLIB

#define INFO     CCSHIM_ACT_INFO
#define PREPROC  CCSHIM_ACT_PREPROCESS
#define ASM      CCSHIM_ACT_ASSEMBLY
#define SYNTAX   CCSHIM_ACT_SYNTAX_ONLY
#define COMPILE  CCSHIM_ACT_COMPILE
#define SHARED   CCSHIM_ACT_SHARED_LINK
#define RELOC    CCSHIM_ACT_RELOCATABLE
#define EXEC     CCSHIM_ACT_EXEC_LINK
#define ARCHIVE  CCSHIM_ACT_ARCHIVE
#define OTHER    CCSHIM_ACT_OTHER

#define SRC(v, l) { CCSHIM_ARG_SOURCE, v, l, 1 }
#define OBJ(v)    { CCSHIM_ARG_OBJECT, v, NULL, 1 }
#define ARC(v)    { CCSHIM_ARG_ARCHIVE, v, NULL, 1 }
#define SHR(v)    { CCSHIM_ARG_SHARED, v, NULL, 1 }
#define LIB(v)    { CCSHIM_ARG_LIB, v, NULL, 1 }
#define LIB2(v)   { CCSHIM_ARG_LIB, v, NULL, 2 }
#define LDIR(v)   { CCSHIM_ARG_LIBDIR, v, NULL, 1 }
#define LDIR2(v)  { CCSHIM_ARG_LIBDIR, v, NULL, 2 }
#define FLG(v)    { CCSHIM_ARG_LINKFLAG, v, NULL, 1 }
#define FLG2(v)   { CCSHIM_ARG_LINKFLAG, v, NULL, 2 }
#define FLGF(v, f)  { CCSHIM_ARG_LINKFLAG, v, NULL, 1, f }
#define FLG2F(v, f) { CCSHIM_ARG_LINKFLAG, v, NULL, 2, f }

/* Recurring pieces of the real lines. */
#define PYINC     "-I/root/.pyenv/versions/3.11.7/include/python3.11"
#define PYLIB     "/root/.pyenv/versions/3.11.7/lib"
#define ST_TMP    "build/temp.linux-x86_64-cpython-311"
#define ST_LIB    "build/lib.linux-x86_64-cpython-311"
#define SUFFIX    ".cpython-311-x86_64-linux-gnu.so"
#define SHIMS     "/tmp/x.linkdb.shims"
#define GCCDIR    "/usr/lib/gcc/x86_64-linux-gnu/12"
#define MULTI     GCCDIR "/../../../x86_64-linux-gnu"
#define DEB_CFLAGS "-Wsign-compare", "-DNDEBUG", "-g", "-fwrapv", "-O2", "-Wall", \
	"-g", "-fstack-protector-strong", "-Wformat", "-Werror=format-security", \
	"-g", "-fwrapv", "-O2", "-fPIC"
#define AT_DEFS "-DPACKAGE_NAME=\"aspam\"", "-DPACKAGE_TARNAME=\"aspam\"", \
	"-DPACKAGE_VERSION=\"1.0\"", "-DPACKAGE_STRING=\"aspam 1.0\"", \
	"-DPACKAGE_BUGREPORT=\"\"", "-DPACKAGE_URL=\"\"", "-DPACKAGE=\"aspam\"", \
	"-DVERSION=\"1.0\"", "-DHAVE_STDIO_H=1", "-DHAVE_STDLIB_H=1", \
	"-DHAVE_STRING_H=1", "-DHAVE_INTTYPES_H=1", "-DHAVE_STDINT_H=1", \
	"-DHAVE_STRINGS_H=1", "-DHAVE_SYS_STAT_H=1", "-DHAVE_SYS_TYPES_H=1", \
	"-DHAVE_UNISTD_H=1", "-DSTDC_HEADERS=1", "-DHAVE_DLFCN_H=1", \
	"-DLT_OBJDIR=\".libs/\""
/* The -L list collect2 gives ld on this system, and its inputs. */
#define GCC_LDIRS "-L" GCCDIR, "-L" MULTI, "-L" GCCDIR "/../../../../lib", \
	"-L/lib/x86_64-linux-gnu", "-L/lib/../lib", "-L/usr/lib/x86_64-linux-gnu", \
	"-L/usr/lib/../lib", "-L/usr/local/cuda/lib64/stubs", "-L" GCCDIR "/../../.."
#define GCC_LDIRS_IN LDIR(GCCDIR), LDIR(MULTI), LDIR(GCCDIR "/../../../../lib"), \
	LDIR("/lib/x86_64-linux-gnu"), LDIR("/lib/../lib"), \
	LDIR("/usr/lib/x86_64-linux-gnu"), LDIR("/usr/lib/../lib"), \
	LDIR("/usr/local/cuda/lib64/stubs"), LDIR(GCCDIR "/../../..")
#define LTO_PLUGIN "-plugin", GCCDIR "/liblto_plugin.so", \
	"-plugin-opt=" GCCDIR "/lto-wrapper"
#define LTO_PLUGIN_IN FLG2("-plugin"), FLG("-plugin-opt=" GCCDIR "/lto-wrapper")


/* rustc 1.95 (rustup's stable toolchain) linking through cc. */
#define RUSTLIB "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib/rustlib/" \
	"x86_64-unknown-linux-gnu"
#define RLIB(name) RUSTLIB "/lib/lib" name ".rlib"

/* std and the crates it needs, in the order rustc gives them. */
#define STD_NAMES(X) X("std-d1237ef7159db0a2"), X("panic_unwind-4be5972b22d3a6da"), \
	X("object-2a81194c9d07bbf6"), X("memchr-ea71fa85f6699d6b"), \
	X("addr2line-a79a8816d9fd6004"), X("gimli-46dc78dc6a8cb06a"), \
	X("cfg_if-0ce073fff809ec38"), X("rustc_demangle-146c3f1190dee2e2"), \
	X("std_detect-e305c7135f50bfab"), X("hashbrown-1448c95121de53aa"), \
	X("rustc_std_workspace_alloc-5bc57914b232292d"), X("miniz_oxide-5ad929a15a8e6727"), \
	X("adler2-1f570ee5c6635aae"), X("unwind-545faafa3c69262e"), \
	X("libc-5b1ad6df1855186c"), X("rustc_std_workspace_core-75c1307561ed9634"), \
	X("alloc-6e6df4ffe0af4d15"), X("core-120cbae4e86ec454"), \
	X("compiler_builtins-27cfc16bdf3bb694")
#define STD_ARC(name) ARC(RLIB(name))
#define STD_RLIBS    STD_NAMES(RLIB)
#define STD_RLIBS_IN STD_NAMES(STD_ARC)

/* libgcc_s (the unwinder) and libc's libraries, dynamic. */
#define RUSTC_LIBS "-Wl,-Bdynamic", "-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", \
	"-ldl", "-lc"
#define RUSTC_LIBS_IN FLG("-Wl,-Bdynamic"), LIB("gcc_s"), LIB("util"), LIB("rt"), \
	LIB("pthread"), LIB("m"), LIB("dl"), LIB("c")

/* rustc's own lld through its gcc-ld directory (rustc >= 1.90). */
#define RUSTC_LLD(tmp) "-L", tmp "/raw-dylibs", "-B" RUSTLIB "/bin/gcc-ld", "-fuse-ld=lld", \
	"-Wl,--eh-frame-hdr", "-Wl,-z,noexecstack", "-L", RUSTLIB "/lib"
#define RUSTC_LLD_IN(tmp) LDIR2(tmp "/raw-dylibs"), FLG("-fuse-ld=lld"), \
	FLG("-Wl,--eh-frame-hdr"), FLG("-Wl,-z,noexecstack"), LDIR2(RUSTLIB "/lib")


extern const struct cl_case cases_python[], cases_native[], cases_rust[], cases_edge[];
extern const size_t ncases_python, ncases_native, ncases_rust, ncases_edge;

/*
 * Checks everything a classification says against the case; the inputs
 * must point into the expanded argv.  Fails the test with the case's name.
 */
void check_cmd(const char *name, const struct cl_case *c, const struct ccshim_cmd *cmd);
/* Both NULL, or equal strings. */
bool str_eq(const char *a, const char *b);
/* s, or "(null)" for messages. */
const char *show(const char *s);
/* The number of entries of a NULL-terminated argv. */
int argv_count(const char *const *argv);

/* --- a directory per test -------------------------------------------------- */

struct fx {
	char dir[PATH_MAX];
	bool passed;
};

/* cmocka setup and teardown: fx->dir made; removed when the test passed. */
int fx_setup(void **state);
int fx_teardown(void **state);
/* Replaces every "{D}" in s with dir; malloc'd (NULL for NULL). */
char *subst(const char *s, const char *dir);
/* Writes dir/name with text, its {D} replaced by dir. */
void write_text(const char *dir, const char *name, const char *text);

#endif

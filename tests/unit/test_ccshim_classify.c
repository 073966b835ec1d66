/*
 * test_ccshim_classify: cmocka unit tests of ccshim's argv classification.
 *
 * The heart is a table of real command lines, each checked for its action,
 * output, dependency file, every input in order (kind, value, language,
 * how many argv entries it spans), and the C++ and LTO flags.  The lines
 * were copied from real builds on Debian 12 with GCC 12.2 and binutils 2.40,
 * run under pyweld's shims (argv read back with `pyweld db compiles --json`
 * and `pyweld db links --json`) or under a logging wrapper that printed each
 * argv with `printf %q`:
 *   - setuptools 65 (pip wheel -v --no-build-isolation): a C extension, a
 *     C++ extension and a Cython-generated one, with pyenv's CPython 3.11
 *     (cc / c++) and with Debian's python3.11 (x86_64-linux-gnu-gcc / -g++),
 *     plus build_clib (ar --plugin ... -rcs) and CFLAGS/LDFLAGS with LTO;
 *   - meson-python 0.22 / meson 1.12 (ninja -v and the meson-private probes);
 *   - scikit-build-core 1.1 with CMake 3.25 and Ninja, and CMake with Unix
 *     Makefiles (VERBOSE=1) and its compiler-id and try_compile probes;
 *   - autoconf 2.71 / automake 1.16 / libtool 2.4.7: configure's probes and
 *     make V=1;
 *   - the ld command lines GCC's collect2 runs for those links.
 * Paths are kept as they were; nothing needs to exist.  Cases named
 * "edge: ..." are written by hand for what the real builds did not show
 * (glued -o, --output=, -l NAME apart, -x overrides, ...), with GCC's
 * behaviour checked against gcc 12 (-###).
 *
 * Then: response files (written into a temporary directory per test, the
 * directory removed when the test passes and left, its path printed, when
 * it fails), ccshim_split_response against libiberty's buildargv rules,
 * tool names, default object names, and the option tables' order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccshim.h"
#include "util.h"

/* --- the table ------------------------------------------------------------ */

#define MAXARGV 96
#define MAXIN   64

struct exp_in {
	enum ccshim_arg kind;
	const char *value;
	const char *lang;               /* sources only */
	int argn;                       /* 0 means 1 */
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

static const struct cl_case table[] = {
	/* --- setuptools, pyenv CPython 3.11, through pyweld's shims ------- */
	{ "setuptools: cc -c C extension", CC_,
	  { SHIMS "/cc", "-Wsign-compare", "-DNDEBUG", "-g", "-fwrapv", "-O3", "-Wall",
	    "-fPIC", "-DSPAM_VERSION=\"1.0\"", "-DNDEBUG", "-Isrc/include dir",
	    "-I/tmp/ccvenv/include", PYINC, "-c", "src/spam/_cspam.c", "-o",
	    ST_TMP "/src/spam/_cspam.o" },
	  COMPILE, ST_TMP "/src/spam/_cspam.o", NULL,
	  { SRC("src/spam/_cspam.c", "c") }, false, false },
	{ "setuptools: cc -shared C extension with -lm and rpath", CC_,
	  { SHIMS "/cc", "-shared", ST_TMP "/src/spam/_cspam.o", "-L" PYLIB, "-lm",
	    "-o", ST_LIB "/spam/_cspam" SUFFIX, "-Wl,-rpath,$ORIGIN" },
	  SHARED, ST_LIB "/spam/_cspam" SUFFIX, NULL,
	  { OBJ(ST_TMP "/src/spam/_cspam.o"), LDIR(PYLIB), LIB("m"),
	    FLG("-Wl,-rpath,$ORIGIN") }, false, false },
	{ "setuptools: cc -c C++ source (CC compiles .cpp)", CC_,
	  { SHIMS "/cc", "-Wsign-compare", "-DNDEBUG", "-g", "-fwrapv", "-O3", "-Wall",
	    "-fPIC", "-I/tmp/ccvenv/include", PYINC, "-c", "src/spam/_cxxspam.cpp",
	    "-o", ST_TMP "/src/spam/_cxxspam.o", "-std=c++17" },
	  COMPILE, ST_TMP "/src/spam/_cxxspam.o", NULL,
	  { SRC("src/spam/_cxxspam.cpp", "c++") }, true, false },
	{ "setuptools: c++ -shared C++ extension", CXX_,
	  { SHIMS "/c++", "-shared", ST_TMP "/src/spam/_cxxspam.o", "-L" PYLIB, "-o",
	    ST_LIB "/spam/_cxxspam" SUFFIX },
	  SHARED, ST_LIB "/spam/_cxxspam" SUFFIX, NULL,
	  { OBJ(ST_TMP "/src/spam/_cxxspam.o"), LDIR(PYLIB) }, true, false },
	{ "setuptools: cc -c Cython-generated C", CC_,
	  { SHIMS "/cc", "-Wsign-compare", "-DNDEBUG", "-g", "-fwrapv", "-O3", "-Wall",
	    "-fPIC", "-I/tmp/ccvenv/include", PYINC, "-c", "src/spam/_cyspam.c", "-o",
	    ST_TMP "/src/spam/_cyspam.o" },
	  COMPILE, ST_TMP "/src/spam/_cyspam.o", NULL,
	  { SRC("src/spam/_cyspam.c", "c") }, false, false },
	{ "setuptools: cc -shared Cython extension", CC_,
	  { SHIMS "/cc", "-shared", ST_TMP "/src/spam/_cyspam.o", "-L" PYLIB, "-o",
	    ST_LIB "/spam/_cyspam" SUFFIX },
	  SHARED, ST_LIB "/spam/_cyspam" SUFFIX, NULL,
	  { OBJ(ST_TMP "/src/spam/_cyspam.o"), LDIR(PYLIB) }, false, false },

	/* --- setuptools with Debian's python3.11 ---------------------------- */
	{ "setuptools/debian: x86_64-linux-gnu-gcc -c", CC_,
	  { "x86_64-linux-gnu-gcc", DEB_CFLAGS, "-DSPAM_VERSION=\"1.0\"", "-DNDEBUG",
	    "-Isrc/include dir", "-I/tmp/ccvenv2/include", "-I/usr/include/python3.11",
	    "-c", "src/spam/_cspam.c", "-o", ST_TMP "/src/spam/_cspam.o" },
	  COMPILE, ST_TMP "/src/spam/_cspam.o", NULL,
	  { SRC("src/spam/_cspam.c", "c") }, false, false },
	{ "setuptools/debian: x86_64-linux-gnu-gcc -shared", CC_,
	  { "x86_64-linux-gnu-gcc", "-shared", "-Wl,-O1", "-Wl,-Bsymbolic-functions",
	    "-g", "-fwrapv", "-O2", ST_TMP "/src/spam/_cspam.o",
	    "-L/usr/lib/x86_64-linux-gnu", "-lm", "-o", ST_LIB "/spam/_cspam" SUFFIX,
	    "-Wl,-rpath,$ORIGIN" },
	  SHARED, ST_LIB "/spam/_cspam" SUFFIX, NULL,
	  { FLG("-Wl,-O1"), FLG("-Wl,-Bsymbolic-functions"),
	    OBJ(ST_TMP "/src/spam/_cspam.o"), LDIR("/usr/lib/x86_64-linux-gnu"),
	    LIB("m"), FLG("-Wl,-rpath,$ORIGIN") }, false, false },
	{ "setuptools/debian: x86_64-linux-gnu-gcc -c C++ source", CC_,
	  { "x86_64-linux-gnu-gcc", DEB_CFLAGS, "-I/tmp/ccvenv2/include",
	    "-I/usr/include/python3.11", "-c", "src/spam/_cxxspam.cpp", "-o",
	    ST_TMP "/src/spam/_cxxspam.o", "-std=c++17" },
	  COMPILE, ST_TMP "/src/spam/_cxxspam.o", NULL,
	  { SRC("src/spam/_cxxspam.cpp", "c++") }, true, false },
	{ "setuptools/debian: x86_64-linux-gnu-g++ -shared", CXX_,
	  { "x86_64-linux-gnu-g++", "-shared", "-Wl,-O1", "-Wl,-Bsymbolic-functions",
	    "-g", "-fwrapv", "-O2", ST_TMP "/src/spam/_cxxspam.o",
	    "-L/usr/lib/x86_64-linux-gnu", "-o", ST_LIB "/spam/_cxxspam" SUFFIX },
	  SHARED, ST_LIB "/spam/_cxxspam" SUFFIX, NULL,
	  { FLG("-Wl,-O1"), FLG("-Wl,-Bsymbolic-functions"),
	    OBJ(ST_TMP "/src/spam/_cxxspam.o"), LDIR("/usr/lib/x86_64-linux-gnu") },
	  true, false },
	{ "setuptools/debian: build_clib compile", CC_,
	  { "x86_64-linux-gnu-gcc", DEB_CFLAGS, "-DCLIB=1", "-c", "src/clib.c", "-o",
	    ST_TMP "/src/clib.o" },
	  COMPILE, ST_TMP "/src/clib.o", NULL, { SRC("src/clib.c", "c") }, false, false },
	{ "setuptools/debian: build_clib ar --plugin -rcs", AR_,
	  { "ar", "--plugin", GCCDIR "/liblto_plugin.so", "-rcs", ST_TMP "/libclib.a",
	    ST_TMP "/src/clib.o" },
	  ARCHIVE, ST_TMP "/libclib.a", NULL, { OBJ(ST_TMP "/src/clib.o") }, false, false },
	{ "setuptools/debian: compile with extra_compile_args -flto", CC_,
	  { "x86_64-linux-gnu-gcc", DEB_CFLAGS, "-I/tmp/ccvenv2/include",
	    "-I/usr/include/python3.11", "-c", "src/ext.c", "-o", ST_TMP "/src/ext.o",
	    "-flto" },
	  COMPILE, ST_TMP "/src/ext.o", NULL,
	  { SRC("src/ext.c", "c"), FLG("-flto") }, false, true },
	{ "setuptools/debian: link with -lstdc++, -flto and -Xlinker pairs", CC_,
	  { "x86_64-linux-gnu-gcc", "-shared", "-Wl,-O1", "-Wl,-Bsymbolic-functions",
	    "-g", "-fwrapv", "-O2", ST_TMP "/src/ext.o", "-L/usr/lib/x86_64-linux-gnu",
	    "-L" ST_TMP, "-lclib", "-lstdc++", "-lclib", "-o", ST_LIB "/st4ext" SUFFIX,
	    "-flto", "-Xlinker", "--exclude-libs", "-Xlinker", "ALL" },
	  SHARED, ST_LIB "/st4ext" SUFFIX, NULL,
	  { FLG("-Wl,-O1"), FLG("-Wl,-Bsymbolic-functions"), OBJ(ST_TMP "/src/ext.o"),
	    LDIR("/usr/lib/x86_64-linux-gnu"), LDIR(ST_TMP), LIB("clib"),
	    LIB("stdc++"), LIB("clib"), FLG("-flto"), FLG2("-Xlinker"),
	    FLG2("-Xlinker") }, true, true },

	/* --- setuptools with CFLAGS/LDFLAGS: fat LTO, OpenMP ------------------ */
	{ "setuptools/lto: gcc -c -flto=auto -ffat-lto-objects -fopenmp", CC_,
	  { "gcc", "-Wsign-compare", "-DNDEBUG", "-g", "-fwrapv", "-O3", "-Wall",
	    "-flto=auto", "-ffat-lto-objects", "-fopenmp", "-fPIC",
	    "-DSPAM_VERSION=\"1.0\"", "-DNDEBUG", "-Isrc/include dir",
	    "-I/tmp/ccvenv/include", PYINC, "-c", "src/spam/_cspam.c", "-o",
	    ST_TMP "/src/spam/_cspam.o" },
	  COMPILE, ST_TMP "/src/spam/_cspam.o", NULL,
	  { FLG("-flto=auto"), FLG("-fopenmp"), SRC("src/spam/_cspam.c", "c") },
	  false, false },
	{ "setuptools/lto: gcc -shared with LDFLAGS and fat LTO", CC_,
	  { "gcc", "-shared", "-Wl,-z,relro", "-Wl,--as-needed", "-flto=auto",
	    "-ffat-lto-objects", "-fopenmp", ST_TMP "/src/spam/_cspam.o", "-L" PYLIB,
	    "-lm", "-o", ST_LIB "/spam/_cspam" SUFFIX, "-Wl,-rpath,$ORIGIN" },
	  SHARED, ST_LIB "/spam/_cspam" SUFFIX, NULL,
	  { FLG("-Wl,-z,relro"), FLG("-Wl,--as-needed"), FLG("-flto=auto"),
	    FLG("-fopenmp"), OBJ(ST_TMP "/src/spam/_cspam.o"), LDIR(PYLIB), LIB("m"),
	    FLG("-Wl,-rpath,$ORIGIN") }, false, false },
	{ "setuptools/lto: g++ -shared with LDFLAGS and fat LTO", CXX_,
	  { "g++", "-shared", "-Wl,-z,relro", "-Wl,--as-needed", "-flto=auto",
	    "-ffat-lto-objects", "-fopenmp", ST_TMP "/src/spam/_cxxspam.o", "-L" PYLIB,
	    "-o", ST_LIB "/spam/_cxxspam" SUFFIX },
	  SHARED, ST_LIB "/spam/_cxxspam" SUFFIX, NULL,
	  { FLG("-Wl,-z,relro"), FLG("-Wl,--as-needed"), FLG("-flto=auto"),
	    FLG("-fopenmp"), OBJ(ST_TMP "/src/spam/_cxxspam.o"), LDIR(PYLIB) },
	  true, false },
	{ "gcc/collect2: ld -shared for a C extension", LD_,
	  { "ld", LTO_PLUGIN, "-plugin-opt=-fresolution=/tmp/ccq9lALp.res",
	    "-plugin-opt=-pass-through=-lgcc", "-plugin-opt=-pass-through=-lgcc_s",
	    "-plugin-opt=-pass-through=-lpthread", "-plugin-opt=-pass-through=-lc",
	    "-plugin-opt=-pass-through=-lgcc", "-plugin-opt=-pass-through=-lgcc_s",
	    "--build-id", "--eh-frame-hdr", "-m", "elf_x86_64", "--hash-style=gnu",
	    "--as-needed", "-shared", "-o", ST_LIB "/spam/_cspam" SUFFIX,
	    MULTI "/crti.o", GCCDIR "/crtbeginS.o", GCCDIR "/crtoffloadbegin.o",
	    "-L" PYLIB, GCC_LDIRS, "-z", "relro", "--as-needed",
	    ST_TMP "/src/spam/_cspam.o", "-lm", "-rpath", "$ORIGIN", "-lgomp", "-lgcc",
	    "--push-state", "--as-needed", "-lgcc_s", "--pop-state", "-lpthread", "-lc",
	    "-lgcc", "--push-state", "--as-needed", "-lgcc_s", "--pop-state",
	    GCCDIR "/crtendS.o", MULTI "/crtn.o", GCCDIR "/crtoffloadend.o" },
	  SHARED, ST_LIB "/spam/_cspam" SUFFIX, NULL,
	  { LTO_PLUGIN_IN, FLG("-plugin-opt=-fresolution=/tmp/ccq9lALp.res"),
	    FLG("-plugin-opt=-pass-through=-lgcc"),
	    FLG("-plugin-opt=-pass-through=-lgcc_s"),
	    FLG("-plugin-opt=-pass-through=-lpthread"),
	    FLG("-plugin-opt=-pass-through=-lc"),
	    FLG("-plugin-opt=-pass-through=-lgcc"),
	    FLG("-plugin-opt=-pass-through=-lgcc_s"),
	    FLG("--build-id"), FLG("--eh-frame-hdr"), FLG2("-m"),
	    FLG("--hash-style=gnu"), FLG("--as-needed"), FLG("-shared"),
	    OBJ(MULTI "/crti.o"), OBJ(GCCDIR "/crtbeginS.o"),
	    OBJ(GCCDIR "/crtoffloadbegin.o"), LDIR(PYLIB), GCC_LDIRS_IN,
	    FLG2("-z"), FLG("--as-needed"), OBJ(ST_TMP "/src/spam/_cspam.o"),
	    LIB("m"), FLG2("-rpath"), LIB("gomp"), LIB("gcc"), FLG("--push-state"),
	    FLG("--as-needed"), LIB("gcc_s"), FLG("--pop-state"), LIB("pthread"),
	    LIB("c"), LIB("gcc"), FLG("--push-state"), FLG("--as-needed"),
	    LIB("gcc_s"), FLG("--pop-state"), OBJ(GCCDIR "/crtendS.o"),
	    OBJ(MULTI "/crtn.o"), OBJ(GCCDIR "/crtoffloadend.o") }, false, false },
	{ "gcc/collect2: ld -shared for a C++ extension (-lstdc++)", LD_,
	  { "ld", LTO_PLUGIN, "-plugin-opt=-fresolution=/tmp/ccjLdwxI.res",
	    "-plugin-opt=-pass-through=-lgcc_s", "-plugin-opt=-pass-through=-lpthread",
	    "-plugin-opt=-pass-through=-lc", "-plugin-opt=-pass-through=-lgcc_s",
	    "--build-id", "--eh-frame-hdr", "-m", "elf_x86_64", "--hash-style=gnu",
	    "--as-needed", "-shared", "-o", ST_LIB "/spam/_cxxspam" SUFFIX,
	    MULTI "/crti.o", GCCDIR "/crtbeginS.o", GCCDIR "/crtoffloadbegin.o",
	    "-L" PYLIB, GCC_LDIRS, "-z", "relro", "--as-needed",
	    ST_TMP "/src/spam/_cxxspam.o", "-lstdc++", "-lm", "-lgomp", "-lgcc_s",
	    "-lpthread", "-lc", "-lgcc_s", GCCDIR "/crtendS.o", MULTI "/crtn.o",
	    GCCDIR "/crtoffloadend.o" },
	  SHARED, ST_LIB "/spam/_cxxspam" SUFFIX, NULL,
	  { LTO_PLUGIN_IN, FLG("-plugin-opt=-fresolution=/tmp/ccjLdwxI.res"),
	    FLG("-plugin-opt=-pass-through=-lgcc_s"),
	    FLG("-plugin-opt=-pass-through=-lpthread"),
	    FLG("-plugin-opt=-pass-through=-lc"),
	    FLG("-plugin-opt=-pass-through=-lgcc_s"),
	    FLG("--build-id"), FLG("--eh-frame-hdr"), FLG2("-m"),
	    FLG("--hash-style=gnu"), FLG("--as-needed"), FLG("-shared"),
	    OBJ(MULTI "/crti.o"), OBJ(GCCDIR "/crtbeginS.o"),
	    OBJ(GCCDIR "/crtoffloadbegin.o"), LDIR(PYLIB), GCC_LDIRS_IN,
	    FLG2("-z"), FLG("--as-needed"), OBJ(ST_TMP "/src/spam/_cxxspam.o"),
	    LIB("stdc++"), LIB("m"), LIB("gomp"), LIB("gcc_s"), LIB("pthread"),
	    LIB("c"), LIB("gcc_s"), OBJ(GCCDIR "/crtendS.o"), OBJ(MULTI "/crtn.o"),
	    OBJ(GCCDIR "/crtoffloadend.o") }, true, false },

	/* --- meson-python through pip, argv from the link database ----------- */
	{ "meson-python: cc -c static helper (-MD -MQ -MF)", CC_,
	  { SHIMS "/cc", "-Ilibhelper.a.p", "-I.", "-I..", "-fdiagnostics-color=always",
	    "-DNDEBUG", "-D_FILE_OFFSET_BITS=64", "-Wall", "-Winvalid-pch", "-O3",
	    "-fPIC", "-MD", "-MQ", "libhelper.a.p/src_helper.c.o", "-MF",
	    "libhelper.a.p/src_helper.c.o.d", "-o", "libhelper.a.p/src_helper.c.o",
	    "-c", "../src/helper.c" },
	  COMPILE, "libhelper.a.p/src_helper.c.o", "libhelper.a.p/src_helper.c.o.d",
	  { SRC("../src/helper.c", "c") }, false, false },
	{ "meson-python: cc -c extension with -pthread", CC_,
	  { SHIMS "/cc", "-I_mspam" SUFFIX ".p", "-I.", "-I..",
	    "-I/root/.pyenv/versions/3.11.7/include/python3.11", "-fvisibility=hidden",
	    "-fdiagnostics-color=always", "-DNDEBUG", "-D_FILE_OFFSET_BITS=64", "-Wall",
	    "-Winvalid-pch", "-O3", "-fPIC", "-pthread", "-MD", "-MQ",
	    "_mspam" SUFFIX ".p/src__mspam.c.o", "-MF",
	    "_mspam" SUFFIX ".p/src__mspam.c.o.d", "-o",
	    "_mspam" SUFFIX ".p/src__mspam.c.o", "-c", "../src/_mspam.c" },
	  COMPILE, "_mspam" SUFFIX ".p/src__mspam.c.o",
	  "_mspam" SUFFIX ".p/src__mspam.c.o.d",
	  { FLG("-pthread"), SRC("../src/_mspam.c", "c") }, false, false },
	{ "meson-python: ar csrDT thin archive", AR_,
	  { SHIMS "/ar", "csrDT", "libhelper.a", "libhelper.a.p/src_helper.c.o" },
	  ARCHIVE, "libhelper.a", NULL, { OBJ("libhelper.a.p/src_helper.c.o") },
	  false, false },
	{ "meson-python: c++ -c with -DNAME=\"a b\" element", CXX_,
	  { SHIMS "/c++", "-I_mcxx" SUFFIX ".p", "-I.", "-I..",
	    "-I/root/.pyenv/versions/3.11.7/include/python3.11", "-fvisibility=hidden",
	    "-fvisibility-inlines-hidden", "-fdiagnostics-color=always", "-DNDEBUG",
	    "-D_FILE_OFFSET_BITS=64", "-Wall", "-Winvalid-pch", "-O3", "-fPIC",
	    "-DNAME=\"a b\"", "-MD", "-MQ", "_mcxx" SUFFIX ".p/src__mcxx.cpp.o", "-MF",
	    "_mcxx" SUFFIX ".p/src__mcxx.cpp.o.d", "-o",
	    "_mcxx" SUFFIX ".p/src__mcxx.cpp.o", "-c", "../src/_mcxx.cpp" },
	  COMPILE, "_mcxx" SUFFIX ".p/src__mcxx.cpp.o",
	  "_mcxx" SUFFIX ".p/src__mcxx.cpp.o.d",
	  { SRC("../src/_mcxx.cpp", "c++") }, true, false },
	{ "meson-python: cc -o first, -shared, static archive, -pthread", CC_,
	  { SHIMS "/cc", "-o", "_mspam" SUFFIX, "_mspam" SUFFIX ".p/src__mspam.c.o",
	    "-Wl,--as-needed", "-Wl,--allow-shlib-undefined", "-Wl,-O1", "-shared",
	    "-fPIC", "libhelper.a", "-pthread" },
	  SHARED, "_mspam" SUFFIX, NULL,
	  { OBJ("_mspam" SUFFIX ".p/src__mspam.c.o"), FLG("-Wl,--as-needed"),
	    FLG("-Wl,--allow-shlib-undefined"), FLG("-Wl,-O1"), ARC("libhelper.a"),
	    FLG("-pthread") }, false, false },
	{ "meson-python: c++ -shared", CXX_,
	  { SHIMS "/c++", "-o", "_mcxx" SUFFIX, "_mcxx" SUFFIX ".p/src__mcxx.cpp.o",
	    "-Wl,--as-needed", "-Wl,--allow-shlib-undefined", "-Wl,-O1", "-shared",
	    "-fPIC" },
	  SHARED, "_mcxx" SUFFIX, NULL,
	  { OBJ("_mcxx" SUFFIX ".p/src__mcxx.cpp.o"), FLG("-Wl,--as-needed"),
	    FLG("-Wl,--allow-shlib-undefined"), FLG("-Wl,-O1") }, true, false },

	/* --- meson setup + ninja -v ------------------------------------------- */
	{ "meson: cc -c with -fopenmp -pthread", CC_,
	  { SHIMS "/cc", "-I_mspam" SUFFIX ".p", "-I.", "-I..",
	    "-I/root/.pyenv/versions/3.11.7/include/python3.11", "-fvisibility=hidden",
	    "-fdiagnostics-color=always", "-DNDEBUG", "-D_FILE_OFFSET_BITS=64", "-Wall",
	    "-Winvalid-pch", "-O3", "-fPIC", "-fopenmp", "-pthread", "-MD", "-MQ",
	    "_mspam" SUFFIX ".p/src__mspam.c.o", "-MF",
	    "_mspam" SUFFIX ".p/src__mspam.c.o.d", "-o",
	    "_mspam" SUFFIX ".p/src__mspam.c.o", "-c", "../src/_mspam.c" },
	  COMPILE, "_mspam" SUFFIX ".p/src__mspam.c.o",
	  "_mspam" SUFFIX ".p/src__mspam.c.o.d",
	  { FLG("-fopenmp"), FLG("-pthread"), SRC("../src/_mspam.c", "c") },
	  false, false },
	{ "meson: ar csrD installed static library", AR_,
	  { SHIMS "/ar", "csrD", "libhelper.a", "libhelper.a.p/src_helper.c.o" },
	  ARCHIVE, "libhelper.a", NULL, { OBJ("libhelper.a.p/src_helper.c.o") },
	  false, false },
	{ "meson: ar csrDT second archive", AR_,
	  { SHIMS "/ar", "csrDT", "libhelper2.a", "libhelper2.a.p/src_helper.c.o" },
	  ARCHIVE, "libhelper2.a", NULL, { OBJ("libhelper2.a.p/src_helper.c.o") },
	  false, false },
	{ "meson: cc -shared with --start-group/--end-group, soname, .so input", CC_,
	  { SHIMS "/cc", "-o", "_mspam" SUFFIX, "_mspam" SUFFIX ".p/src__mspam.c.o",
	    "-Wl,--as-needed", "-Wl,--allow-shlib-undefined", "-Wl,-O1", "-shared",
	    "-fPIC", "-Wl,--start-group", "libhelper.a", "libhelper2.a",
	    "-Wl,-soname,_mspam.so", "-pthread", "-lm",
	    "/usr/lib/x86_64-linux-gnu/libz.so", "-Wl,--end-group", "-fopenmp" },
	  SHARED, "_mspam" SUFFIX, NULL,
	  { OBJ("_mspam" SUFFIX ".p/src__mspam.c.o"), FLG("-Wl,--as-needed"),
	    FLG("-Wl,--allow-shlib-undefined"), FLG("-Wl,-O1"),
	    FLG("-Wl,--start-group"), ARC("libhelper.a"), ARC("libhelper2.a"),
	    FLG("-Wl,-soname,_mspam.so"), FLG("-pthread"), LIB("m"),
	    SHR("/usr/lib/x86_64-linux-gnu/libz.so"), FLG("-Wl,--end-group"),
	    FLG("-fopenmp") }, false, false },
	{ "meson: cc -c object of a versioned shared library", CC_,
	  { SHIMS "/cc", "-Ilibplain.so.1.2.3.p", "-I.", "-I..",
	    "-fdiagnostics-color=always", "-DNDEBUG", "-D_FILE_OFFSET_BITS=64", "-Wall",
	    "-Winvalid-pch", "-O3", "-fPIC", "-MD", "-MQ",
	    "libplain.so.1.2.3.p/src_helper.c.o", "-MF",
	    "libplain.so.1.2.3.p/src_helper.c.o.d", "-o",
	    "libplain.so.1.2.3.p/src_helper.c.o", "-c", "../src/helper.c" },
	  COMPILE, "libplain.so.1.2.3.p/src_helper.c.o",
	  "libplain.so.1.2.3.p/src_helper.c.o.d", { SRC("../src/helper.c", "c") },
	  false, false },
	{ "meson: cc -shared versioned library, -Wl,--no-undefined", CC_,
	  { SHIMS "/cc", "-o", "libplain.so.1.2.3", "libplain.so.1.2.3.p/src_helper.c.o",
	    "-Wl,--as-needed", "-Wl,--no-undefined", "-Wl,-O1", "-shared", "-fPIC",
	    "-Wl,-soname,libplain.so.1" },
	  SHARED, "libplain.so.1.2.3", NULL,
	  { OBJ("libplain.so.1.2.3.p/src_helper.c.o"), FLG("-Wl,--as-needed"),
	    FLG("-Wl,--no-undefined"), FLG("-Wl,-O1"),
	    FLG("-Wl,-soname,libplain.so.1") }, false, false },
	{ "meson: c++ -c with b_lto (-flto=auto)", CXX_,
	  { SHIMS "/c++", "-I_mcxx" SUFFIX ".p", "-I.", "-I..",
	    "-I/root/.pyenv/versions/3.11.7/include/python3.11", "-fvisibility=hidden",
	    "-fvisibility-inlines-hidden", "-flto=auto", "-fdiagnostics-color=always",
	    "-DNDEBUG", "-D_FILE_OFFSET_BITS=64", "-Wall", "-Winvalid-pch", "-O3",
	    "-fPIC", "-DNAME=\"a b\"", "-MD", "-MQ", "_mcxx" SUFFIX ".p/src__mcxx.cpp.o",
	    "-MF", "_mcxx" SUFFIX ".p/src__mcxx.cpp.o.d", "-o",
	    "_mcxx" SUFFIX ".p/src__mcxx.cpp.o", "-c", "../src/_mcxx.cpp" },
	  COMPILE, "_mcxx" SUFFIX ".p/src__mcxx.cpp.o",
	  "_mcxx" SUFFIX ".p/src__mcxx.cpp.o.d",
	  { FLG("-flto=auto"), SRC("../src/_mcxx.cpp", "c++") }, true, true },
	{ "meson: c++ -shared with -flto=auto", CXX_,
	  { SHIMS "/c++", "-o", "_mcxx" SUFFIX, "_mcxx" SUFFIX ".p/src__mcxx.cpp.o",
	    "-flto=auto", "-Wl,--as-needed", "-Wl,--allow-shlib-undefined", "-Wl,-O1",
	    "-shared", "-fPIC" },
	  SHARED, "_mcxx" SUFFIX, NULL,
	  { OBJ("_mcxx" SUFFIX ".p/src__mcxx.cpp.o"), FLG("-flto=auto"),
	    FLG("-Wl,--as-needed"), FLG("-Wl,--allow-shlib-undefined"),
	    FLG("-Wl,-O1") }, true, true },

	/* --- meson's probes (meson setup) ------------------------------------- */
	{ "meson probe: cc --version", CC_, { "cc", "--version" }, INFO, NULL, NULL,
	  { { 0 } }, false, false },
	{ "meson probe: cc -cpp -x c -E -dM - (stdin)", CC_,
	  { "cc", "-cpp", "-x", "c", "-E", "-dM", "-" }, PREPROC, NULL, NULL,
	  { SRC("-", "c") }, false, false },
	{ "meson probe: c++ -cpp -x c++ -E -dM -", CXX_,
	  { "c++", "-cpp", "-x", "c++", "-E", "-dM", "-" }, PREPROC, NULL, NULL,
	  { SRC("-", "c++") }, true, false },
	{ "meson probe: cc -Wl,--version", CC_, { "cc", "-Wl,--version" }, INFO, NULL,
	  NULL, { FLG("-Wl,--version") }, false, false },
	{ "meson probe: c++ -Wl,--version", CXX_, { "c++", "-Wl,--version" }, INFO, NULL,
	  NULL, { FLG("-Wl,--version") }, true, false },
	{ "meson probe: cc sanity check executable", CC_,
	  { "cc", "-o", "sanity_check_for_c.exe", "sanity_check_for_c.c",
	    "-D_FILE_OFFSET_BITS=64" },
	  EXEC, "sanity_check_for_c.exe", NULL, { SRC("sanity_check_for_c.c", "c") },
	  false, false },
	{ "meson probe: c++ sanity check executable", CXX_,
	  { "c++", "-o", "sanity_check_for_cpp.exe", "sanity_check_for_cpp.cpp",
	    "-D_FILE_OFFSET_BITS=64" },
	  EXEC, "sanity_check_for_cpp.exe", NULL,
	  { SRC("sanity_check_for_cpp.cpp", "c++") }, true, false },
	{ "meson probe: -c with --print-search-dirs prints only", CC_,
	  { "cc", "/tmp/ccreal/mes2/bld2/meson-private/tmpxxolbkdw/testfile.c", "-o",
	    "/tmp/ccreal/mes2/bld2/meson-private/tmpxxolbkdw/output.obj", "-c",
	    "-D_FILE_OFFSET_BITS=64", "-O0", "-U_FORTIFY_SOURCE", "--print-search-dirs" },
	  INFO, "/tmp/ccreal/mes2/bld2/meson-private/tmpxxolbkdw/output.obj", NULL,
	  { SRC("/tmp/ccreal/mes2/bld2/meson-private/tmpxxolbkdw/testfile.c", "c") },
	  false, false },
	{ "meson probe: find_library links an executable", CC_,
	  { "cc", "/tmp/ccreal/mes2/bld2/meson-private/tmpop26b95r/testfile.c", "-o",
	    "/tmp/ccreal/mes2/bld2/meson-private/tmpop26b95r/output.exe",
	    "-D_FILE_OFFSET_BITS=64", "-O0", "-U_FORTIFY_SOURCE", "-lm",
	    "-Wl,--allow-shlib-undefined" },
	  EXEC, "/tmp/ccreal/mes2/bld2/meson-private/tmpop26b95r/output.exe", NULL,
	  { SRC("/tmp/ccreal/mes2/bld2/meson-private/tmpop26b95r/testfile.c", "c"),
	    LIB("m"), FLG("-Wl,--allow-shlib-undefined") }, false, false },
	{ "meson probe: cc -xc -E -v - (glued -x)", CC_,
	  { "cc", "-xc", "-E", "-v", "-" }, PREPROC, NULL, NULL, { SRC("-", "c") },
	  false, false },
	{ "meson probe: c++ -xc++ -E -v -", CXX_,
	  { "c++", "-xc++", "-E", "-v", "-" }, PREPROC, NULL, NULL, { SRC("-", "c++") },
	  true, false },
	{ "meson probe: cc -dumpmachine", CC_, { "cc", "-dumpmachine" }, INFO, NULL,
	  NULL, { { 0 } }, false, false },
	{ "meson probe: c++ -E -P -fopenmp (openmp dependency)", CXX_,
	  { "c++", "/tmp/tmpz6as04_l/testfile.cpp", "-E", "-P", "-fopenmp",
	    "-D_FILE_OFFSET_BITS=64", "-P", "-O0", "-U_FORTIFY_SOURCE", "-fpermissive" },
	  PREPROC, NULL, NULL,
	  { SRC("/tmp/tmpz6as04_l/testfile.cpp", "c++"), FLG("-fopenmp") }, true, false },
	{ "meson probe: c++ -c compile check", CXX_,
	  { "c++", "/tmp/ccreal/mes2/bld2/meson-private/tmpb0ht7x63/testfile.cpp", "-o",
	    "/tmp/ccreal/mes2/bld2/meson-private/tmpb0ht7x63/output.obj", "-c",
	    "-D_FILE_OFFSET_BITS=64", "-O0", "-U_FORTIFY_SOURCE", "-fpermissive" },
	  COMPILE, "/tmp/ccreal/mes2/bld2/meson-private/tmpb0ht7x63/output.obj", NULL,
	  { SRC("/tmp/ccreal/mes2/bld2/meson-private/tmpb0ht7x63/testfile.cpp", "c++") },
	  true, false },
	{ "meson probe: ar --plugin P --version", AR_,
	  { "ar", "--plugin", GCCDIR "/liblto_plugin.so", "--version" }, INFO, NULL,
	  NULL, { { 0 } }, false, false },
	{ "meson probe: ar --plugin P -h", AR_,
	  { "ar", "--plugin", GCCDIR "/liblto_plugin.so", "-h" }, OTHER, NULL, NULL,
	  { { 0 } }, false, false },

	/* --- scikit-build-core: CMake + Ninja ---------------------------------- */
	{ "scikit-build-core: cc -c with -DGREETING=\"hi there\" element", CC_,
	  { SHIMS "/cc", "-DGREETING=\"hi there\"", "-O3", "-DNDEBUG", "-fPIC", "-MD",
	    "-MT", "CMakeFiles/util.dir/util.c.o", "-MF", "CMakeFiles/util.dir/util.c.o.d",
	    "-o", "CMakeFiles/util.dir/util.c.o", "-c", "/tmp/ccreal/cm/util.c" },
	  COMPILE, "CMakeFiles/util.dir/util.c.o", "CMakeFiles/util.dir/util.c.o.d",
	  { SRC("/tmp/ccreal/cm/util.c", "c") }, false, false },
	{ "scikit-build-core: ar qc", AR_,
	  { SHIMS "/ar", "qc", "libutil.a", "CMakeFiles/util.dir/util.c.o" },
	  ARCHIVE, "libutil.a", NULL, { OBJ("CMakeFiles/util.dir/util.c.o") },
	  false, false },
	{ "scikit-build-core: ranlib", RL_, { SHIMS "/ranlib", "libutil.a" }, ARCHIVE,
	  NULL, NULL, { ARC("libutil.a") }, false, false },
	{ "scikit-build-core: c++ -c with -isystem apart", CXX_,
	  { SHIMS "/c++", "-D_cmspam_EXPORTS", "-isystem",
	    "/root/.pyenv/versions/3.11.7/include/python3.11", "-O3", "-DNDEBUG", "-fPIC",
	    "-MD", "-MT", "CMakeFiles/_cmspam.dir/_cmspam.cpp.o", "-MF",
	    "CMakeFiles/_cmspam.dir/_cmspam.cpp.o.d", "-o",
	    "CMakeFiles/_cmspam.dir/_cmspam.cpp.o", "-c", "/tmp/ccreal/cm/_cmspam.cpp" },
	  COMPILE, "CMakeFiles/_cmspam.dir/_cmspam.cpp.o",
	  "CMakeFiles/_cmspam.dir/_cmspam.cpp.o.d",
	  { SRC("/tmp/ccreal/cm/_cmspam.cpp", "c++") }, true, false },
	{ "scikit-build-core: c++ -shared module with a static library", CXX_,
	  { SHIMS "/c++", "-fPIC", "-O3", "-DNDEBUG", "-shared", "-o",
	    "_cmspam" SUFFIX, "CMakeFiles/_cmspam.dir/_cmspam.cpp.o", "libutil.a" },
	  SHARED, "_cmspam" SUFFIX, NULL,
	  { OBJ("CMakeFiles/_cmspam.dir/_cmspam.cpp.o"), ARC("libutil.a") }, true, false },

	/* --- CMake, Unix Makefiles, VERBOSE=1 ------------------------------------ */
	{ "cmake probe: compiler id (C)", CC_, { "cc", "CMakeCCompilerId.c" }, EXEC,
	  NULL, NULL, { SRC("CMakeCCompilerId.c", "c") }, false, false },
	{ "cmake probe: compiler id (C++)", CXX_, { "c++", "CMakeCXXCompilerId.cpp" },
	  EXEC, NULL, NULL, { SRC("CMakeCXXCompilerId.cpp", "c++") }, true, false },
	{ "cmake probe: cc -print-sysroot", CC_, { "cc", "-print-sysroot" }, INFO, NULL,
	  NULL, { { 0 } }, false, false },
	{ "cmake probe: c++ -print-sysroot", CXX_, { "c++", "-print-sysroot" }, INFO,
	  NULL, NULL, { { 0 } }, true, false },
	{ "cmake probe: ld --help", LD_, { "ld", "--help" }, INFO, NULL, NULL,
	  { FLG("--help") }, false, false },
	{ "cmake probe: ABI compile -v", CC_,
	  { "cc", "-v", "-o", "CMakeFiles/cmTC_19f1d.dir/CMakeCCompilerABI.c.o", "-c",
	    "/usr/share/cmake-3.25/Modules/CMakeCCompilerABI.c" },
	  COMPILE, "CMakeFiles/cmTC_19f1d.dir/CMakeCCompilerABI.c.o", NULL,
	  { SRC("/usr/share/cmake-3.25/Modules/CMakeCCompilerABI.c", "c") }, false, false },
	{ "cmake probe: ABI link -v", CC_,
	  { "cc", "-v", "CMakeFiles/cmTC_19f1d.dir/CMakeCCompilerABI.c.o", "-o",
	    "cmTC_19f1d" },
	  EXEC, "cmTC_19f1d", NULL,
	  { OBJ("CMakeFiles/cmTC_19f1d.dir/CMakeCCompilerABI.c.o") }, false, false },
	{ "cmake probe: C++ ABI compile -v", CXX_,
	  { "c++", "-v", "-o", "CMakeFiles/cmTC_537cb.dir/CMakeCXXCompilerABI.cpp.o",
	    "-c", "/usr/share/cmake-3.25/Modules/CMakeCXXCompilerABI.cpp" },
	  COMPILE, "CMakeFiles/cmTC_537cb.dir/CMakeCXXCompilerABI.cpp.o", NULL,
	  { SRC("/usr/share/cmake-3.25/Modules/CMakeCXXCompilerABI.cpp", "c++") },
	  true, false },
	{ "cmake probe: try_compile check_c_source_compiles", CC_,
	  { "cc", "-DHAVE_TRIVIAL", "-o", "CMakeFiles/cmTC_d179c.dir/src.c.o", "-c",
	    "/tmp/ccreal/cm2/b/CMakeFiles/CMakeScratch/TryCompile-n8x3a9/src.c" },
	  COMPILE, "CMakeFiles/cmTC_d179c.dir/src.c.o", NULL,
	  { SRC("/tmp/ccreal/cm2/b/CMakeFiles/CMakeScratch/TryCompile-n8x3a9/src.c",
	        "c") }, false, false },
	{ "cmake probe: try_compile link", CC_,
	  { "cc", "CMakeFiles/cmTC_d179c.dir/src.c.o", "-o", "cmTC_d179c" },
	  EXEC, "cmTC_d179c", NULL, { OBJ("CMakeFiles/cmTC_d179c.dir/src.c.o") },
	  false, false },
	{ "cmake: cc -c with -isystem dir containing a space", CC_,
	  { "cc", "-isystem", "/tmp/ccreal/cm2/inc dir", "-O2", "-g", "-DNDEBUG", "-fPIC",
	    "-MD", "-MT", "CMakeFiles/core.dir/core.c.o", "-MF",
	    "CMakeFiles/core.dir/core.c.o.d", "-o", "CMakeFiles/core.dir/core.c.o", "-c",
	    "/tmp/ccreal/cm2/core.c" },
	  COMPILE, "CMakeFiles/core.dir/core.c.o", "CMakeFiles/core.dir/core.c.o.d",
	  { SRC("/tmp/ccreal/cm2/core.c", "c") }, false, false },
	{ "cmake: ar qc", AR_, { "ar", "qc", "libcore.a", "CMakeFiles/core.dir/core.c.o" },
	  ARCHIVE, "libcore.a", NULL, { OBJ("CMakeFiles/core.dir/core.c.o") },
	  false, false },
	{ "cmake: ranlib", RL_, { "ranlib", "libcore.a" }, ARCHIVE, NULL, NULL,
	  { ARC("libcore.a") }, false, false },
	{ "cmake: cc -c for a SHARED target", CC_,
	  { "cc", "-Dshlib_EXPORTS", "-isystem", "/tmp/ccreal/cm2/inc dir", "-O2", "-g",
	    "-DNDEBUG", "-fPIC", "-MD", "-MT", "CMakeFiles/shlib.dir/core.c.o", "-MF",
	    "CMakeFiles/shlib.dir/core.c.o.d", "-o", "CMakeFiles/shlib.dir/core.c.o",
	    "-c", "/tmp/ccreal/cm2/core.c" },
	  COMPILE, "CMakeFiles/shlib.dir/core.c.o", "CMakeFiles/shlib.dir/core.c.o.d",
	  { SRC("/tmp/ccreal/cm2/core.c", "c") }, false, false },
	{ "cmake: cc -shared SHARED library with soname", CC_,
	  { "cc", "-fPIC", "-O2", "-g", "-DNDEBUG", "-shared", "-Wl,-soname,libshlib.so.2",
	    "-o", "libshlib.so.2.0.1", "CMakeFiles/shlib.dir/core.c.o", "libcore.a" },
	  SHARED, "libshlib.so.2.0.1", NULL,
	  { FLG("-Wl,-soname,libshlib.so.2"), OBJ("CMakeFiles/shlib.dir/core.c.o"),
	    ARC("libcore.a") }, false, false },
	{ "cmake: c++ -c with IPO and -include", CXX_,
	  { "c++", "-Dmod_EXPORTS", "-isystem", "/tmp/ccreal/cm2/inc dir", "-O2", "-g",
	    "-DNDEBUG", "-flto=auto", "-fno-fat-lto-objects", "-fPIC", "-include",
	    "/tmp/ccreal/cm2/pre.h", "-MD", "-MT", "CMakeFiles/mod.dir/mod.cpp.o", "-MF",
	    "CMakeFiles/mod.dir/mod.cpp.o.d", "-o", "CMakeFiles/mod.dir/mod.cpp.o", "-c",
	    "/tmp/ccreal/cm2/mod.cpp" },
	  COMPILE, "CMakeFiles/mod.dir/mod.cpp.o", "CMakeFiles/mod.dir/mod.cpp.o.d",
	  { FLG("-flto=auto"), SRC("/tmp/ccreal/cm2/mod.cpp", "c++") }, true, true },
	{ "cmake: c++ -shared MODULE with rpath, .a, .so.N and -lm", CXX_,
	  { "c++", "-fPIC", "-O2", "-g", "-DNDEBUG", "-flto=auto", "-fno-fat-lto-objects",
	    "-shared", "-o", "mod.so", "CMakeFiles/mod.dir/mod.cpp.o",
	    "-Wl,-rpath,$ORIGIN", "libcore.a", "libshlib.so.2.0.1", "-lm" },
	  SHARED, "mod.so", NULL,
	  { FLG("-flto=auto"), OBJ("CMakeFiles/mod.dir/mod.cpp.o"),
	    FLG("-Wl,-rpath,$ORIGIN"), ARC("libcore.a"), SHR("libshlib.so.2.0.1"),
	    LIB("m") }, true, true },
	{ "cmake: cc -c executable source", CC_,
	  { "cc", "-O2", "-g", "-DNDEBUG", "-MD", "-MT", "CMakeFiles/tool.dir/main.c.o",
	    "-MF", "CMakeFiles/tool.dir/main.c.o.d", "-o", "CMakeFiles/tool.dir/main.c.o",
	    "-c", "/tmp/ccreal/cm2/main.c" },
	  COMPILE, "CMakeFiles/tool.dir/main.c.o", "CMakeFiles/tool.dir/main.c.o.d",
	  { SRC("/tmp/ccreal/cm2/main.c", "c") }, false, false },
	{ "cmake: cc executable link with build rpath", CC_,
	  { "cc", "-O2", "-g", "-DNDEBUG", "CMakeFiles/tool.dir/main.c.o", "-o", "tool",
	    "-Wl,-rpath,/tmp/ccreal/cm2/b", "libshlib.so.2.0.1" },
	  EXEC, "tool", NULL,
	  { OBJ("CMakeFiles/tool.dir/main.c.o"), FLG("-Wl,-rpath,/tmp/ccreal/cm2/b"),
	    SHR("libshlib.so.2.0.1") }, false, false },

	/* --- autoconf / automake / libtool ------------------------------------- */
	{ "autotools probe: gcc --version", CC_, { "gcc", "--version" }, INFO, NULL,
	  NULL, { { 0 } }, false, false },
	{ "autotools probe: gcc -v", CC_, { "gcc", "-v" }, INFO, NULL, NULL, { { 0 } },
	  false, false },
	{ "autotools probe: gcc -V", CC_, { "gcc", "-V" }, INFO, NULL, NULL, { { 0 } },
	  false, false },
	{ "autotools probe: gcc -qversion", CC_, { "gcc", "-qversion" }, INFO, NULL,
	  NULL, { { 0 } }, false, false },
	{ "autotools probe: gcc -version", CC_, { "gcc", "-version" }, INFO, NULL, NULL,
	  { { 0 } }, false, false },
	{ "autotools probe: cc -E - (stdin)", CC_, { "cc", "-E", "-" }, PREPROC, NULL,
	  NULL, { SRC("-", "c") }, false, false },
	{ "autotools probe: cc -E dummy.c", CC_, { "cc", "-E", "/tmp/cgbXBdAM/dummy.c" },
	  PREPROC, NULL, NULL, { SRC("/tmp/cgbXBdAM/dummy.c", "c") }, false, false },
	{ "autotools probe: conftest executable", CC_,
	  { "cc", "-o", "conftest", "-g", "-O2", "conftest.c" }, EXEC, "conftest", NULL,
	  { SRC("conftest.c", "c") }, false, false },
	{ "autotools probe: conftest -c without -o", CC_,
	  { "cc", "-c", "-g", "-O2", "conftest.c" }, COMPILE, NULL, NULL,
	  { SRC("conftest.c", "c") }, false, false },
	{ "autotools probe: -Wl,-rpath -Wl,/foo", CC_,
	  { "cc", "-o", "conftest", "-g", "-O2", "-Wl,-rpath", "-Wl,/foo", "conftest.c" },
	  EXEC, "conftest", NULL,
	  { FLG("-Wl,-rpath"), FLG("-Wl,/foo"), SRC("conftest.c", "c") }, false, false },
	{ "autotools probe: -static", CC_,
	  { "cc", "-o", "conftest", "-g", "-O2", "-static", "conftest.c" }, EXEC,
	  "conftest", NULL, { FLG("-static"), SRC("conftest.c", "c") }, false, false },
	{ "autotools probe: conftest.c with conftstm.o", CC_,
	  { "cc", "-o", "conftest", "-g", "-O2", "conftest.c", "conftstm.o" }, EXEC,
	  "conftest", NULL, { SRC("conftest.c", "c"), OBJ("conftstm.o") }, false, false },
	{ "autotools probe: -print-prog-name=ld", CC_, { "cc", "-print-prog-name=ld" },
	  INFO, NULL, NULL, { { 0 } }, false, false },
	{ "autotools probe: -print-search-dirs", CC_, { "cc", "-print-search-dirs" },
	  INFO, NULL, NULL, { { 0 } }, false, false },
	{ "autotools probe: -print-multi-os-directory", CC_,
	  { "gcc", "-g", "-O2", "-print-multi-os-directory" }, INFO, NULL, NULL,
	  { { 0 } }, false, false },
	{ "autotools probe: depcomp -MT -MD -MP -MF -c -o", CC_,
	  { "cc", "-MT", "sub/conftest.o", "-MD", "-MP", "-MF", "sub/conftest.TPo", "-c",
	    "-o", "sub/conftest.o", "sub/conftest.c" },
	  COMPILE, "sub/conftest.o", "sub/conftest.TPo", { SRC("sub/conftest.c", "c") },
	  false, false },
	{ "autotools probe: -c -o conftest2.o (AM_PROG_CC_C_O)", CC_,
	  { "cc", "-c", "conftest.c", "-o", "conftest2.o" }, COMPILE, "conftest2.o",
	  NULL, { SRC("conftest.c", "c") }, false, false },
	{ "autotools probe: -c -o out/conftest2.o", CC_,
	  { "cc", "-c", "-g", "-O2", "-o", "out/conftest2.o", "conftest.c" }, COMPILE,
	  "out/conftest2.o", NULL, { SRC("conftest.c", "c") }, false, false },
	{ "libtool probe: -fPIC -DPIC", CC_,
	  { "cc", "-c", "-g", "-O2", "-fPIC", "-DPIC", "-DPIC", "conftest.c" }, COMPILE,
	  NULL, NULL, { SRC("conftest.c", "c") }, false, false },
	{ "libtool probe: -fno-rtti -fno-exceptions", CC_,
	  { "gcc", "-c", "-g", "-O2", "-fno-rtti", "-fno-exceptions", "conftest.c" },
	  COMPILE, NULL, NULL, { SRC("conftest.c", "c") }, false, false },
	{ "autotools probe: cc conftest.c", CC_, { "cc", "conftest.c" }, EXEC, NULL,
	  NULL, { SRC("conftest.c", "c") }, false, false },
	{ "libtool probe: shared link -v with -Wl,-soname -Wl,conftest", CC_,
	  { "gcc", "-shared", "-fPIC", "-DPIC", "conftest.o", "-v", "-Wl,-soname",
	    "-Wl,conftest", "-o", "conftest" },
	  SHARED, "conftest", NULL,
	  { OBJ("conftest.o"), FLG("-Wl,-soname"), FLG("-Wl,conftest") }, false, false },
	{ "libtool probe: ld -m elf_x86_64 -v", LD_, { "ld", "-m", "elf_x86_64", "-v" },
	  INFO, NULL, NULL, { FLG2("-m"), FLG("-v") }, false, false },
	{ "libtool probe: ld -v", LD_, { "ld", "-v" }, INFO, NULL, NULL, { FLG("-v") },
	  false, false },
	{ "libtool probe: ld -m elf_x86_64 --help", LD_,
	  { "ld", "-m", "elf_x86_64", "--help" }, INFO, NULL, NULL,
	  { FLG2("-m"), FLG("--help") }, false, false },
	{ "automake: cc -c -o p.o with autoconf DEFS", CC_,
	  { "gcc", AT_DEFS, "-I.", "-g", "-O2", "-MT", "p.o", "-MD", "-MP", "-MF",
	    ".deps/p.Tpo", "-c", "-o", "p.o", "p.c" },
	  COMPILE, "p.o", ".deps/p.Tpo", { SRC("p.c", "c") }, false, false },
	{ "automake: ar cru", AR_, { "ar", "cru", "libplain.a", "p.o" }, ARCHIVE,
	  "libplain.a", NULL, { OBJ("p.o") }, false, false },
	{ "automake: ranlib", RL_, { "ranlib", "libplain.a" }, ARCHIVE, NULL, NULL,
	  { ARC("libplain.a") }, false, false },
	{ "libtool: PIC compile into .libs", CC_,
	  { "gcc", AT_DEFS, "-I.", "-g", "-O2", "-MT", "a.lo", "-MD", "-MP", "-MF",
	    ".deps/a.Tpo", "-c", "a.c", "-fPIC", "-DPIC", "-o", ".libs/a.o" },
	  COMPILE, ".libs/a.o", ".deps/a.Tpo", { SRC("a.c", "c") }, false, false },
	{ "libtool: non-PIC compile", CC_,
	  { "gcc", AT_DEFS, "-I.", "-g", "-O2", "-MT", "a.lo", "-MD", "-MP", "-MF",
	    ".deps/a.Tpo", "-c", "a.c", "-o", "a.o" },
	  COMPILE, "a.o", ".deps/a.Tpo", { SRC("a.c", "c") }, false, false },
	{ "libtool: ar cr .libs archive", AR_,
	  { "ar", "cr", ".libs/libaspam.a", ".libs/a.o", ".libs/b.o" }, ARCHIVE,
	  ".libs/libaspam.a", NULL, { OBJ(".libs/a.o"), OBJ(".libs/b.o") }, false, false },
	{ "libtool: ranlib .libs archive", RL_, { "ranlib", ".libs/libaspam.a" }, ARCHIVE,
	  NULL, NULL, { ARC(".libs/libaspam.a") }, false, false },
	{ "libtool: shared link with --whole-archive and -Wl,-soname -Wl,X", CC_,
	  { "gcc", "-shared", "-fPIC", "-DPIC", ".libs/a.o", ".libs/b.o",
	    "-Wl,--whole-archive", "./.libs/libaspam.a", "-Wl,--no-whole-archive", "-lm",
	    "-g", "-O2", "-pthread", "-Wl,-soname", "-Wl,libsh.so.1", "-o",
	    ".libs/libsh.so.1.0.2" },
	  SHARED, ".libs/libsh.so.1.0.2", NULL,
	  { OBJ(".libs/a.o"), OBJ(".libs/b.o"), FLG("-Wl,--whole-archive"),
	    ARC("./.libs/libaspam.a"), FLG("-Wl,--no-whole-archive"), LIB("m"),
	    FLG("-pthread"), FLG("-Wl,-soname"), FLG("-Wl,libsh.so.1") }, false, false },
	{ "libtool: ar cr with members extracted from a convenience library", AR_,
	  { "ar", "cr", ".libs/libsh.a", "a.o", "b.o", ".libs/libsh.lax/lt1-a.o",
	    ".libs/libsh.lax/lt2-b.o" },
	  ARCHIVE, ".libs/libsh.a", NULL,
	  { OBJ("a.o"), OBJ("b.o"), OBJ(".libs/libsh.lax/lt1-a.o"),
	    OBJ(".libs/libsh.lax/lt2-b.o") }, false, false },
	{ "libtool: ar x (extract: nothing written)", AR_,
	  { "ar", "x", "/tmp/ccreal/auto2/./.libs/libaspam.a" }, OTHER,
	  "/tmp/ccreal/auto2/./.libs/libaspam.a", NULL, { { 0 } }, false, false },
	{ "libtool: ar t (list)", AR_, { "ar", "t", "/tmp/ccreal/auto2/./.libs/libaspam.a" },
	  OTHER, "/tmp/ccreal/auto2/./.libs/libaspam.a", NULL, { { 0 } }, false, false },

	/* --- the GCC driver and the ld its collect2 runs -------------------------- */
	{ "gcc/collect2: gcc -o conftest x.c", CC_, { "gcc", "-o", "conftest", "x.c" },
	  EXEC, "conftest", NULL, { SRC("x.c", "c") }, false, false },
	{ "gcc/collect2: ld for a PIE executable (-dynamic-linker apart)", LD_,
	  { "ld", LTO_PLUGIN, "-plugin-opt=-fresolution=/tmp/ccXrGDiO.res",
	    "-plugin-opt=-pass-through=-lgcc", "-plugin-opt=-pass-through=-lgcc_s",
	    "-plugin-opt=-pass-through=-lc", "-plugin-opt=-pass-through=-lgcc",
	    "-plugin-opt=-pass-through=-lgcc_s", "--build-id", "--eh-frame-hdr", "-m",
	    "elf_x86_64", "--hash-style=gnu", "--as-needed", "-dynamic-linker",
	    "/lib64/ld-linux-x86-64.so.2", "-pie", "-o", "conftest", MULTI "/Scrt1.o",
	    MULTI "/crti.o", GCCDIR "/crtbeginS.o", GCC_LDIRS, "/tmp/ccq11TL9.o",
	    "-lgcc", "--push-state", "--as-needed", "-lgcc_s", "--pop-state", "-lc",
	    "-lgcc", "--push-state", "--as-needed", "-lgcc_s", "--pop-state",
	    GCCDIR "/crtendS.o", MULTI "/crtn.o" },
	  EXEC, "conftest", NULL,
	  { LTO_PLUGIN_IN, FLG("-plugin-opt=-fresolution=/tmp/ccXrGDiO.res"),
	    FLG("-plugin-opt=-pass-through=-lgcc"),
	    FLG("-plugin-opt=-pass-through=-lgcc_s"),
	    FLG("-plugin-opt=-pass-through=-lc"),
	    FLG("-plugin-opt=-pass-through=-lgcc"),
	    FLG("-plugin-opt=-pass-through=-lgcc_s"), FLG("--build-id"),
	    FLG("--eh-frame-hdr"), FLG2("-m"), FLG("--hash-style=gnu"),
	    FLG("--as-needed"), FLG2("-dynamic-linker"), FLG("-pie"),
	    OBJ(MULTI "/Scrt1.o"), OBJ(MULTI "/crti.o"), OBJ(GCCDIR "/crtbeginS.o"),
	    GCC_LDIRS_IN, OBJ("/tmp/ccq11TL9.o"), LIB("gcc"), FLG("--push-state"),
	    FLG("--as-needed"), LIB("gcc_s"), FLG("--pop-state"), LIB("c"),
	    LIB("gcc"), FLG("--push-state"), FLG("--as-needed"), LIB("gcc_s"),
	    FLG("--pop-state"), OBJ(GCCDIR "/crtendS.o"), OBJ(MULTI "/crtn.o") },
	  false, false },
	{ "gcc/collect2: gcc -r -nostdlib", CC_,
	  { "gcc", "-r", "-nostdlib", "x.o", "-o", "part.o" }, RELOC, "part.o", NULL,
	  { FLG("-nostdlib"), OBJ("x.o") }, false, false },
	{ "gcc/collect2: ld -r", LD_,
	  { "ld", LTO_PLUGIN, "-plugin-opt=-fresolution=/tmp/ccdT9KMk.res",
	    "--eh-frame-hdr", "-m", "elf_x86_64", "--hash-style=gnu", "--as-needed",
	    "-dynamic-linker", "/lib64/ld-linux-x86-64.so.2", "-o", "part.o", "-r",
	    GCC_LDIRS, "x.o" },
	  RELOC, "part.o", NULL,
	  { LTO_PLUGIN_IN, FLG("-plugin-opt=-fresolution=/tmp/ccdT9KMk.res"),
	    FLG("--eh-frame-hdr"), FLG2("-m"), FLG("--hash-style=gnu"),
	    FLG("--as-needed"), FLG2("-dynamic-linker"), FLG("-r"), GCC_LDIRS_IN,
	    OBJ("x.o") }, false, false },
	{ "gcc/collect2: gcc -shared compiling its source, -static-libgcc", CC_,
	  { "gcc", "-static-libgcc", "-Wl,-Bsymbolic", "x.c", "-o", "y.so", "-shared",
	    "-fPIC" },
	  SHARED, "y.so", NULL,
	  { FLG("-static-libgcc"), FLG("-Wl,-Bsymbolic"), SRC("x.c", "c") }, false, false },
	{ "gcc/collect2: ld -shared -Bsymbolic with libgcc_eh", LD_,
	  { "ld", LTO_PLUGIN, "-plugin-opt=-fresolution=/tmp/ccUSSQGa.res",
	    "-plugin-opt=-pass-through=-lgcc", "-plugin-opt=-pass-through=-lgcc_eh",
	    "-plugin-opt=-pass-through=-lc", "-plugin-opt=-pass-through=-lgcc",
	    "-plugin-opt=-pass-through=-lgcc_eh", "--build-id", "--eh-frame-hdr", "-m",
	    "elf_x86_64", "--hash-style=gnu", "--as-needed", "-shared", "-o", "y.so",
	    MULTI "/crti.o", GCCDIR "/crtbeginS.o", GCC_LDIRS, "-Bsymbolic",
	    "/tmp/ccWC8TB0.o", "-lgcc", "-lgcc_eh", "-lc", "-lgcc", "-lgcc_eh",
	    GCCDIR "/crtendS.o", MULTI "/crtn.o" },
	  SHARED, "y.so", NULL,
	  { LTO_PLUGIN_IN, FLG("-plugin-opt=-fresolution=/tmp/ccUSSQGa.res"),
	    FLG("-plugin-opt=-pass-through=-lgcc"),
	    FLG("-plugin-opt=-pass-through=-lgcc_eh"),
	    FLG("-plugin-opt=-pass-through=-lc"),
	    FLG("-plugin-opt=-pass-through=-lgcc"),
	    FLG("-plugin-opt=-pass-through=-lgcc_eh"), FLG("--build-id"),
	    FLG("--eh-frame-hdr"), FLG2("-m"), FLG("--hash-style=gnu"),
	    FLG("--as-needed"), FLG("-shared"), OBJ(MULTI "/crti.o"),
	    OBJ(GCCDIR "/crtbeginS.o"), GCC_LDIRS_IN, FLG("-Bsymbolic"),
	    OBJ("/tmp/ccWC8TB0.o"), LIB("gcc"), LIB("gcc_eh"), LIB("c"), LIB("gcc"),
	    LIB("gcc_eh"), OBJ(GCCDIR "/crtendS.o"), OBJ(MULTI "/crtn.o") },
	  false, false },

	/* --- edge cases written by hand ------------------------------------------ */
	{ "edge: several sources under -c without -o", CC_,
	  { "cc", "-c", "src/a.c", "src/b.c", "-I." }, COMPILE, NULL, NULL,
	  { SRC("src/a.c", "c"), SRC("src/b.c", "c") }, false, false },
	{ "edge: -fsyntax-only", CC_, { "cc", "-fsyntax-only", "-Wall", "x.c" }, SYNTAX,
	  NULL, NULL, { SRC("x.c", "c") }, false, false },
	{ "edge: -S to assembly", CC_, { "cc", "-S", "-O2", "x.c", "-o", "x.s" }, ASM,
	  "x.s", NULL, { SRC("x.c", "c") }, false, false },
	{ "edge: -M alone preprocesses", CC_, { "cc", "-M", "-I.", "x.c" }, PREPROC, NULL,
	  NULL, { SRC("x.c", "c") }, false, false },
	{ "edge: -MM with -MF preprocesses", CC_, { "cc", "-MM", "x.c", "-MF", "x.d" },
	  PREPROC, NULL, "x.d", { SRC("x.c", "c") }, false, false },
	{ "edge: -MMD with -c compiles", CC_,
	  { "cc", "-MMD", "-MF", "x.d", "-c", "x.c" }, COMPILE, NULL, "x.d",
	  { SRC("x.c", "c") }, false, false },
	{ "edge: -MD with glued -MFx.d", CC_,
	  { "cc", "-c", "x.c", "-MD", "-MQ", "x.o", "-MFdeps/x.d" }, COMPILE, NULL,
	  "deps/x.d", { SRC("x.c", "c") }, false, false },
	{ "edge: -E -o x.i", CC_, { "cc", "-E", "x.c", "-o", "x.i" }, PREPROC, "x.i",
	  NULL, { SRC("x.c", "c") }, false, false },
	{ "edge: cc -r relocatable", CC_, { "cc", "-r", "a.o", "b.o", "-o", "ab.o" },
	  RELOC, "ab.o", NULL, { OBJ("a.o"), OBJ("b.o") }, false, false },
	{ "edge: ld -shared directly", LD_,
	  { "ld", "-shared", "a.o", "libfoo.a", "-o", "libx.so" }, SHARED, "libx.so", NULL,
	  { FLG("-shared"), OBJ("a.o"), ARC("libfoo.a") }, false, false },
	{ "edge: ld -r directly", LD_, { "ld", "-r", "a.o", "b.o", "-o", "ab.o" }, RELOC,
	  "ab.o", NULL, { FLG("-r"), OBJ("a.o"), OBJ("b.o") }, false, false },
	{ "edge: ld -shared -soname apart, -o glued", LD_,
	  { "ld", "-shared", "-soname", "libx.so.1", "a.o", "-olibx.so.1.0" }, SHARED,
	  "libx.so.1.0", NULL, { FLG("-shared"), FLG2("-soname"), OBJ("a.o") },
	  false, false },
	{ "edge: ld executable with --library= and --library-path=", LD_,
	  { "ld", "-o", "prog", "crt1.o", "a.o", "--library-path=/opt/lib",
	    "--library=z", "-lc" },
	  EXEC, "prog", NULL,
	  { OBJ("crt1.o"), OBJ("a.o"), LDIR("/opt/lib"), LIB("z"), LIB("c") },
	  false, false },
	{ "edge: -l NAME and -L DIR apart", CC_,
	  { "cc", "-shared", "a.o", "-l", "foo", "-L", "/opt/lib", "-o", "x.so" }, SHARED,
	  "x.so", NULL, { OBJ("a.o"), LIB2("foo"), LDIR2("/opt/lib") }, false, false },
	{ "edge: -l:libfoo.a", CC_, { "cc", "-shared", "a.o", "-l:libfoo.a", "-o", "x.so" },
	  SHARED, "x.so", NULL, { OBJ("a.o"), LIB(":libfoo.a") }, false, false },
	{ "edge: -Xlinker -rpath -Xlinker /x", CC_,
	  { "cc", "-shared", "a.o", "-Xlinker", "-rpath", "-Xlinker", "/x", "-o", "x.so" },
	  SHARED, "x.so", NULL, { OBJ("a.o"), FLG2("-Xlinker"), FLG2("-Xlinker") },
	  false, false },
	{ "edge: -DNAME=a b and -DNAME=\"a b\" elements, -D apart", CC_,
	  { "cc", "-DNAME=a b", "-DQUOTED=\"a b\"", "-D", "APART=c d", "-U", "X", "-c",
	    "x.c" },
	  COMPILE, NULL, NULL, { SRC("x.c", "c") }, false, false },
	{ "edge: -flto", CC_, { "cc", "-flto", "-c", "x.c" }, COMPILE, NULL, NULL,
	  { FLG("-flto"), SRC("x.c", "c") }, false, true },
	{ "edge: -flto -ffat-lto-objects", CC_,
	  { "cc", "-flto", "-ffat-lto-objects", "-c", "x.c" }, COMPILE, NULL, NULL,
	  { FLG("-flto"), SRC("x.c", "c") }, false, false },
	{ "edge: -flto then -fno-lto", CC_, { "cc", "-flto", "-fno-lto", "-c", "x.c" },
	  COMPILE, NULL, NULL, { FLG("-flto"), SRC("x.c", "c") }, false, false },
	{ "edge: -fno-lto then -flto=4", CC_, { "cc", "-fno-lto", "-flto=4", "-c", "x.c" },
	  COMPILE, NULL, NULL, { FLG("-flto=4"), SRC("x.c", "c") }, false, true },
	{ "edge: -flto with -flto-partition=one keeps LTO", CC_,
	  { "cc", "-flto", "-flto-partition=one", "-c", "x.c" }, COMPILE, NULL, NULL,
	  { FLG("-flto"), FLG("-flto-partition=one"), SRC("x.c", "c") }, false, true },
	{ "edge: -ffat-lto-objects undone by -fno-fat-lto-objects", CC_,
	  { "cc", "-ffat-lto-objects", "-fno-fat-lto-objects", "-flto=auto", "-c", "x.c" },
	  COMPILE, NULL, NULL, { FLG("-flto=auto"), SRC("x.c", "c") }, false, true },
	{ "edge: -pthread -fopenmp on a link", CC_,
	  { "cc", "-pthread", "-fopenmp", "-shared", "x.o", "-o", "x.so" }, SHARED, "x.so",
	  NULL, { FLG("-pthread"), FLG("-fopenmp"), OBJ("x.o") }, false, false },
	{ "edge: .so, .so.N and .a inputs", CC_,
	  { "cc", "-shared", "x.o", "libfoo.so", "/opt/lib/libbar.so.1.2", "/usr/lib/libz.a",
	    "-o", "x.so" },
	  SHARED, "x.so", NULL,
	  { OBJ("x.o"), SHR("libfoo.so"), SHR("/opt/lib/libbar.so.1.2"),
	    ARC("/usr/lib/libz.a") }, false, false },
	{ "edge: unknown extensions are objects", CC_,
	  { "cc", "-shared", "foo.lo", "x.obj", "res.bin", "-o", "x.so" }, SHARED, "x.so",
	  NULL, { OBJ("foo.lo"), OBJ("x.obj"), OBJ("res.bin") }, false, false },
	{ "edge: -x c++ on an object, -x none after", CXX_,
	  { "g++", "-x", "c++", "foo.o", "-x", "none", "bar.o", "-o", "prog" }, EXEC,
	  "prog", NULL, { SRC("foo.o", "c++"), OBJ("bar.o") }, true, false },
	{ "edge: cc -x c++ makes a C file C++", CC_, { "cc", "-c", "-x", "c++", "x.c" },
	  COMPILE, NULL, NULL, { SRC("x.c", "c++") }, true, false },
	{ "edge: -include apart and glued", CC_,
	  { "cc", "-include", "config.h", "-includepre.h", "-imacros", "m.h", "-c", "x.c" },
	  COMPILE, NULL, NULL, { SRC("x.c", "c") }, false, false },
	{ "edge: -isystem apart and glued, -iquote, -idirafter", CC_,
	  { "cc", "-isystem", "/opt/inc", "-isystem/opt/inc2", "-iquote", "q",
	    "-idirafter", "/late", "-c", "x.c" },
	  COMPILE, NULL, NULL, { SRC("x.c", "c") }, false, false },
	{ "edge: --param apart and --param=", CC_,
	  { "cc", "--param", "max-inline-insns-single=1000", "--param=ssp-buffer-size=4",
	    "-c", "x.c" },
	  COMPILE, NULL, NULL, { SRC("x.c", "c") }, false, false },
	{ "edge: -o glued", CC_, { "cc", "-c", "x.c", "-obuild/x.o" }, COMPILE,
	  "build/x.o", NULL, { SRC("x.c", "c") }, false, false },
	{ "edge: --output=", CC_, { "cc", "-c", "x.c", "--output=build/y.o" }, COMPILE,
	  "build/y.o", NULL, { SRC("x.c", "c") }, false, false },
	{ "edge: --output apart", CC_, { "cc", "-c", "x.c", "--output", "build/z.o" },
	  COMPILE, "build/z.o", NULL, { SRC("x.c", "c") }, false, false },
	{ "edge: the last -o wins", CC_, { "cc", "-c", "x.c", "-o", "a.o", "-ob.o" },
	  COMPILE, "b.o", NULL, { SRC("x.c", "c") }, false, false },
	{ "edge: -x c - from stdin", CC_, { "cc", "-x", "c", "-c", "-", "-o", "stdin.o" },
	  COMPILE, "stdin.o", NULL, { SRC("-", "c") }, false, false },
	{ "edge: -print-file-name=libgcc.a", CC_, { "cc", "-print-file-name=libgcc.a" },
	  INFO, NULL, NULL, { { 0 } }, false, false },
	{ "edge: -dumpversion with a source still only prints", CC_,
	  { "cc", "-dumpversion", "x.c", "-o", "x" }, INFO, "x", NULL, { SRC("x.c", "c") },
	  false, false },
	{ "edge: cc -v alone", CC_, { "cc", "-v" }, INFO, NULL, NULL, { { 0 } },
	  false, false },
	{ "edge: cc alone", CC_, { "cc" }, INFO, NULL, NULL, { { 0 } }, false, false },
	{ "edge: -L alone is not a link", CC_, { "cc", "-L/opt/lib", "-v" }, INFO, NULL,
	  NULL, { LDIR("/opt/lib") }, false, false },
	{ "edge: cc -lstdc++ makes a link C++", CC_,
	  { "cc", "-shared", "x.o", "-lstdc++", "-o", "x.so" }, SHARED, "x.so", NULL,
	  { OBJ("x.o"), LIB("stdc++") }, true, false },
	{ "edge: languages by suffix", CC_,
	  { "cc", "-c", "a.S", "b.s", "c.cc", "d.C", "e.m", "f.h", "g.cxx", "h.sx" },
	  COMPILE, NULL, NULL,
	  { SRC("a.S", "assembler-with-cpp"), SRC("b.s", "assembler"), SRC("c.cc", "c++"),
	    SRC("d.C", "c++"), SRC("e.m", "objective-c"), SRC("f.h", "c-header"),
	    SRC("g.cxx", "c++"), SRC("h.sx", "assembler-with-cpp") }, true, false },
	{ "edge: -zdefs glued and -z defs apart", CC_,
	  { "cc", "-shared", "-zdefs", "-z", "now", "x.o", "-o", "x.so" }, SHARED, "x.so",
	  NULL, { FLG("-zdefs"), FLG2("-z"), OBJ("x.o") }, false, false },
	{ "edge: -emain glued, -e apart, -u apart", CC_,
	  { "cc", "-emain", "-e", "start", "-u", "sym", "x.o", "-o", "prog" }, EXEC, "prog",
	  NULL, { FLG("-emain"), FLG2("-e"), FLG2("-u"), OBJ("x.o") }, false, false },
	{ "edge: -T script, -Wl,--version-script=", CC_,
	  { "cc", "-shared", "-T", "x.ld", "-Wl,--version-script=x.map", "x.o", "-o",
	    "x.so" },
	  SHARED, "x.so", NULL,
	  { FLG2("-T"), FLG("-Wl,--version-script=x.map"), OBJ("x.o") }, false, false },
	{ "edge: -fsanitize= -fprofile-generate -fuse-ld= --coverage", CC_,
	  { "cc", "-fsanitize=address", "-fprofile-generate", "-fuse-ld=gold",
	    "--coverage", "-shared", "x.o", "-o", "x.so" },
	  SHARED, "x.so", NULL,
	  { FLG("-fsanitize=address"), FLG("-fprofile-generate"), FLG("-fuse-ld=gold"),
	    FLG("--coverage"), OBJ("x.o") }, false, false },
	{ "edge: -o with no value at the end", CC_, { "cc", "-c", "x.c", "-o" }, COMPILE,
	  NULL, NULL, { SRC("x.c", "c") }, false, false },
	{ "edge: -Xlinker with no value at the end", CC_,
	  { "cc", "x.o", "-lm", "-Xlinker" }, EXEC, NULL, NULL,
	  { OBJ("x.o"), LIB("m"), FLG("-Xlinker") }, false, false },
	{ "edge: -l with no value at the end", CC_, { "cc", "x.o", "-l" }, EXEC, NULL,
	  NULL, { OBJ("x.o") }, false, false },
	{ "edge: -l takes the next word whatever it is", CC_,
	  { "cc", "x.o", "-l", "-Xlinker" }, EXEC, NULL, NULL,
	  { OBJ("x.o"), LIB2("-Xlinker") }, false, false },
	{ "edge: ar rcs", AR_, { "ar", "rcs", "libx.a", "a.o", "b.o" }, ARCHIVE, "libx.a",
	  NULL, { OBJ("a.o"), OBJ("b.o") }, false, false },
	{ "edge: ar -qc with a dash", AR_, { "ar", "-qc", "libx.a", "a.o" }, ARCHIVE,
	  "libx.a", NULL, { OBJ("a.o") }, false, false },
	{ "edge: ar s alone writes the index", AR_, { "ar", "s", "libx.a" }, ARCHIVE,
	  "libx.a", NULL, { { 0 } }, false, false },
	{ "edge: ar rb RELPOS", AR_, { "ar", "rb", "b.o", "libx.a", "a.o" }, ARCHIVE,
	  "libx.a", NULL, { OBJ("a.o") }, false, false },
	{ "edge: ar d (delete: not recorded)", AR_, { "ar", "d", "libx.a", "a.o" }, OTHER,
	  "libx.a", NULL, { OBJ("a.o") }, false, false },
	{ "edge: ranlib -D on two archives", RL_, { "ranlib", "-D", "liba.a", "libb.a" },
	  ARCHIVE, NULL, NULL, { ARC("liba.a"), ARC("libb.a") }, false, false },
	{ "edge: ranlib --version", RL_, { "ranlib", "--version" }, INFO, NULL, NULL,
	  { { 0 } }, false, false },
	{ "edge: ld alone", LD_, { "ld" }, INFO, NULL, NULL, { { 0 } }, false, false },
};

#define NCASES (sizeof(table) / sizeof(table[0]))

/* --- checking one classification ------------------------------------------ */

static bool
str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static const char *
show(const char *s)
{
	return s ? s : "(null)";
}

/* The inputs as "kind:value[:lang][/argn]" for messages. */
static char *
describe_inputs(const struct ccshim_cmd *cmd)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; i < cmd->ninputs; i++) {
		const struct ccshim_input *in = &cmd->inputs[i];
		strbuf_addf(&sb, "%s%s:%s", i ? " " : "", ccshim_arg_name(in->kind),
		            in->value);
		if (in->lang)
			strbuf_addf(&sb, ":%s", in->lang);
		if (in->argn != 1)
			strbuf_addf(&sb, "/%d", in->argn);
	}
	return strbuf_detach(&sb);
}

static char *
describe_expected(const struct exp_in *exp)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; exp[i].value; i++) {
		strbuf_addf(&sb, "%s%s:%s", i ? " " : "", ccshim_arg_name(exp[i].kind),
		            exp[i].value);
		if (exp[i].lang)
			strbuf_addf(&sb, ":%s", exp[i].lang);
		if (exp[i].argn > 1)
			strbuf_addf(&sb, "/%d", exp[i].argn);
	}
	return strbuf_detach(&sb);
}

/*
 * Checks everything a classification says against the expectation; argv is
 * the expanded command line the inputs must point into.
 */
static void
check_cmd(const char *name, const struct cl_case *c, const struct ccshim_cmd *cmd)
{
	size_t nexp = 0, nsrc = 0;

	while (c->in[nexp].value) {
		if (c->in[nexp].kind == CCSHIM_ARG_SOURCE)
			nsrc++;
		nexp++;
	}
	if (cmd->action != c->action)
		fail_msg("[%s] action: got %s, want %s", name,
		         ccshim_action_name(cmd->action), ccshim_action_name(c->action));
	if (!str_eq(cmd->output, c->output))
		fail_msg("[%s] output: got '%s', want '%s'", name, show(cmd->output),
		         show(c->output));
	if (!str_eq(cmd->depfile, c->depfile))
		fail_msg("[%s] depfile: got '%s', want '%s'", name, show(cmd->depfile),
		         show(c->depfile));
	bool same = cmd->ninputs == nexp;
	for (size_t i = 0; same && i < nexp; i++) {
		const struct ccshim_input *in = &cmd->inputs[i];
		const struct exp_in *e = &c->in[i];
		int argn = e->argn ? e->argn : 1;
		same = in->kind == e->kind && str_eq(in->value, e->value) &&
		       str_eq(in->lang, e->lang) && in->argn == argn;
	}
	if (!same) {
		char *got = describe_inputs(cmd), *want = describe_expected(c->in);
		fail_msg("[%s] inputs:\n  got  %s\n  want %s", name, show(got), show(want));
	}
	/* Each input points at the argv entries it came from. */
	for (size_t i = 0; i < cmd->ninputs; i++) {
		const struct ccshim_input *in = &cmd->inputs[i];
		if (in->argi < 1 || in->argi + in->argn > cmd->argc)
			fail_msg("[%s] input %zu: argi %d argn %d outside argc %d", name, i,
			         in->argi, in->argn, cmd->argc);
		const char *first = cmd->argv[in->argi];
		bool ok;
		if (in->kind == CCSHIM_ARG_LINKFLAG)
			ok = !strcmp(first, in->value);
		else if (in->argn == 2)
			ok = !strcmp(cmd->argv[in->argi + 1], in->value);
		else
			ok = util_ends_with(first, in->value);
		if (!ok)
			fail_msg("[%s] input %zu '%s' does not match argv[%d] '%s'", name, i,
			         in->value, in->argi, first);
	}
	if (cmd->nsources != nsrc)
		fail_msg("[%s] nsources: got %zu, want %zu", name, cmd->nsources, nsrc);
	if (cmd->cxx != c->cxx)
		fail_msg("[%s] cxx: got %d, want %d", name, cmd->cxx, c->cxx);
	if (cmd->lto != c->lto)
		fail_msg("[%s] lto: got %d, want %d", name, cmd->lto, c->lto);
	if (cmd->tool != c->tool)
		fail_msg("[%s] tool: got %d, want %d", name, (int)cmd->tool, (int)c->tool);
}

static int
argv_count(const char *const *argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

static void
test_table_case(void **state)
{
	const struct cl_case *c = *state;
	struct ccshim_cmd cmd;
	char err[256] = "";
	int argc = argv_count(c->argv);

	assert_true(argc < MAXARGV);
	if (ccshim_classify(c->tool, argc, c->argv, &cmd, err, sizeof(err)) < 0)
		fail_msg("[%s] classify failed: %s", c->name, err);
	/* No @file here: the expanded argv is the argv. */
	assert_int_equal(cmd.argc, argc);
	for (int i = 0; i < argc; i++)
		assert_string_equal(cmd.argv[i], c->argv[i]);
	assert_null(cmd.argv[argc]);
	assert_false(cmd.response_files);
	assert_false(cmd.unreadable_response);
	assert_null(cmd.unreadable);
	check_cmd(c->name, c, &cmd);
	ccshim_cmd_free(&cmd);
}

/* At least 80 distinct command lines, most of them from real builds. */
static void
test_table_size(void **state)
{
	size_t real = 0;

	(void)state;
	for (size_t i = 0; i < NCASES; i++) {
		if (!util_starts_with(table[i].name, "edge:"))
			real++;
		for (size_t j = 0; j < i; j++) {
			int n = argv_count(table[i].argv);
			bool same = table[i].tool == table[j].tool &&
			            n == argv_count(table[j].argv);
			for (int k = 0; same && k < n; k++)
				same = !strcmp(table[i].argv[k], table[j].argv[k]);
			if (same)
				fail_msg("cases %zu and %zu have the same command line (%s)", j, i,
				         table[i].name);
			if (!strcmp(table[i].name, table[j].name))
				fail_msg("cases %zu and %zu have the same name '%s'", j, i,
				         table[i].name);
		}
	}
	print_message("classification table: %zu command lines, %zu from real builds\n",
	              NCASES, real);
	assert_true(NCASES >= 80);
	assert_true(real >= 80);
}

/* --- the option tables ---------------------------------------------------- */

/* Entries that are allowed to carry neither a flag nor a role (none today). */
static const char *const unflagged_ok[] = { NULL };

static void
check_options(const char *what, const struct ccshim_opt *tab, size_t n)
{
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(tab[i].name);
		if (tab[i].name[0] != '-' || strlen(tab[i].name) < 2)
			fail_msg("%s[%zu] '%s' is not an option", what, i, tab[i].name);
		if (i > 0 && strcmp(tab[i - 1].name, tab[i].name) >= 0)
			fail_msg("%s is not sorted: '%s' (%zu) before '%s' (%zu)", what,
			         tab[i - 1].name, i - 1, tab[i].name, i);
		if (tab[i].flags == 0 && tab[i].role == CCSHIM_ROLE_NONE) {
			bool ok = false;
			for (size_t k = 0; unflagged_ok[k]; k++)
				ok = ok || !strcmp(unflagged_ok[k], tab[i].name);
			if (!ok)
				fail_msg("%s[%zu] '%s' has neither a flag nor a role", what, i,
				         tab[i].name);
		}
		if (tab[i].flags & ~(unsigned)(CCSHIM_O_SEPARATE | CCSHIM_O_PREFIX |
		                               CCSHIM_O_EQUALS))
			fail_msg("%s[%zu] '%s' has unknown flags %#x", what, i, tab[i].name,
			         tab[i].flags);
		if ((unsigned)tab[i].role >= CCSHIM_ROLE__COUNT)
			fail_msg("%s[%zu] '%s' has an unknown role %d", what, i, tab[i].name,
			         (int)tab[i].role);
		/* A value after '=' only makes sense for a long or named option. */
		if ((tab[i].flags & CCSHIM_O_EQUALS) && (tab[i].flags & CCSHIM_O_PREFIX))
			fail_msg("%s[%zu] '%s' is both PREFIX and EQUALS", what, i,
			         tab[i].name);
	}
}

static void
test_option_tables_sorted(void **state)
{
	(void)state;
	check_options("ccshim_gcc_options", ccshim_gcc_options, ccshim_gcc_noptions);
	check_options("ccshim_ld_options", ccshim_ld_options, ccshim_ld_noptions);
	/* The GCC options the classification cannot do without. */
	static const char *const must[] = { "-o", "-x", "-l", "-L", "-MF", "-include",
	                                    "-isystem", "-Xlinker", "-Wl,", "-D", NULL };
	for (size_t k = 0; must[k]; k++) {
		bool found = false;
		for (size_t i = 0; i < ccshim_gcc_noptions; i++)
			found = found || !strcmp(ccshim_gcc_options[i].name, must[k]);
		if (!found)
			fail_msg("ccshim_gcc_options lacks '%s'", must[k]);
	}
}

/* --- names ------------------------------------------------------------------ */

static void
test_tool_from_name(void **state)
{
	static const struct { const char *name; int tool; } cases[] = {
		{ "x86_64-linux-gnu-gcc-12", CCSHIM_TOOL_CC },
		{ "g++", CCSHIM_TOOL_CXX },
		{ "gcc-ar", CCSHIM_TOOL_AR },
		{ "x86_64-linux-gnu-gcc-ranlib", CCSHIM_TOOL_RANLIB },
		{ "cc", CCSHIM_TOOL_CC },
		{ "clang", -1 },
		{ "ld.gold", CCSHIM_TOOL_LD },
		{ "/usr/bin/x86_64-linux-gnu-g++-12", CCSHIM_TOOL_CXX },
		{ "/tmp/x.linkdb.shims/c++", CCSHIM_TOOL_CXX },
		{ "gcc", CCSHIM_TOOL_CC },
		{ "gcc-12", CCSHIM_TOOL_CC },
		{ "x86_64-linux-gnu-gcc-12.2", CCSHIM_TOOL_CC },
		{ "c89", CCSHIM_TOOL_CC },
		{ "c99", CCSHIM_TOOL_CC },
		{ "ld", CCSHIM_TOOL_LD },
		{ "ld.bfd", CCSHIM_TOOL_LD },
		{ "x86_64-linux-gnu-ld", CCSHIM_TOOL_LD },
		{ "x86_64-linux-gnu-ld.gold", CCSHIM_TOOL_LD },
		{ "ar", CCSHIM_TOOL_AR },
		{ "x86_64-linux-gnu-ar", CCSHIM_TOOL_AR },
		{ "x86_64-linux-gnu-gcc-ar-12", CCSHIM_TOOL_AR },
		{ "ranlib", CCSHIM_TOOL_RANLIB },
		{ "gcc-ranlib-12", CCSHIM_TOOL_RANLIB },
		{ "arm-none-eabi-gcc", CCSHIM_TOOL_CC },
		{ "clang++", -1 },
		{ "cpp", -1 },
		{ "ccache", -1 },
		{ "distcc", -1 },
		{ "icc", -1 },
		{ "ld.lld", -1 },
		{ "nm", -1 },
		{ "pyweld", -1 },
		{ "pyweld-cc", -1 },                       /* the wrapper itself */
		{ "/work/main/build/bin/pyweld-cc", -1 },
		{ "", -1 },
		{ "/usr/bin/", -1 },
	};
	char longname[300];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = ccshim_tool_from_name(cases[i].name);
		if (got != cases[i].tool)
			fail_msg("ccshim_tool_from_name('%s'): got %d, want %d", cases[i].name,
			         got, cases[i].tool);
	}
	memset(longname, 'x', sizeof(longname) - 4);
	memcpy(longname + sizeof(longname) - 4, "-cc", 4);
	assert_int_equal(ccshim_tool_from_name(longname), -1);

	/* Every name the shim directory holds is one of ours. */
	for (size_t i = 0; ccshim_shim_names[i]; i++)
		if (ccshim_tool_from_name(ccshim_shim_names[i]) < 0)
			fail_msg("shim name '%s' has no role", ccshim_shim_names[i]);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(ccshim_tool_key(CCSHIM_TOOL_CC), "cc");
	assert_string_equal(ccshim_tool_key(CCSHIM_TOOL_CXX), "cxx");
	assert_string_equal(ccshim_tool_key(CCSHIM_TOOL_LD), "ld");
	assert_string_equal(ccshim_tool_key(CCSHIM_TOOL_AR), "ar");
	assert_string_equal(ccshim_tool_key(CCSHIM_TOOL_RANLIB), "ranlib");
	assert_string_equal(ccshim_tool_key(CCSHIM_TOOL__COUNT), "?");

	static const char *const acts[] = {
		"info", "preprocess", "assembly", "syntax-only", "compile",
		"shared-link", "relocatable", "exec-link", "archive", "other",
	};
	for (int a = 0; a <= CCSHIM_ACT_OTHER; a++)
		assert_string_equal(ccshim_action_name((enum ccshim_action)a), acts[a]);
	assert_string_equal(ccshim_action_name((enum ccshim_action)(CCSHIM_ACT_OTHER + 1)),
	                    "?");
	static const char *const args[] = {
		"source", "object", "archive", "shared", "lib", "libdir", "linkflag",
	};
	for (int a = 0; a <= CCSHIM_ARG_LINKFLAG; a++)
		assert_string_equal(ccshim_arg_name((enum ccshim_arg)a), args[a]);
	assert_string_equal(ccshim_arg_name((enum ccshim_arg)(CCSHIM_ARG_LINKFLAG + 1)),
	                    "?");
}

static void
test_default_object(void **state)
{
	static const char *const cases[][2] = {
		{ "a.c", "a.o" },
		{ "src/a.c", "a.o" },
		{ "../src/_mspam.c", "_mspam.o" },
		{ "/abs/dir.with.dots/x.cpp", "x.o" },
		{ "x.tar.c", "x.tar.o" },
		{ "noext", "noext.o" },
		{ "dir.d/noext", "noext.o" },
		{ "-", "-.o" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *o = ccshim_default_object(cases[i][0]);
		assert_non_null(o);
		if (strcmp(o, cases[i][1]) != 0)
			fail_msg("ccshim_default_object('%s'): got '%s', want '%s'",
			         cases[i][0], o, cases[i][1]);
		free(o);
	}
}

/* Several sources under -c, no -o: each goes to its own "<stem>.o". */
static void
test_multiple_sources_default_objects(void **state)
{
	const char *argv[] = { "cc", "-c", "src/a.c", "lib/b.cpp", "-I.", NULL };
	const char *want[] = { "a.o", "b.o" };
	struct ccshim_cmd cmd;
	char err[256];

	(void)state;
	assert_int_equal(ccshim_classify(CCSHIM_TOOL_CC, 5, argv, &cmd,
	                                 err, sizeof(err)), 0);
	assert_int_equal(cmd.action, CCSHIM_ACT_COMPILE);
	assert_null(cmd.output);
	assert_int_equal(cmd.nsources, 2);
	assert_true(cmd.cxx);
	for (size_t i = 0; i < 2; i++) {
		char *o = ccshim_default_object(cmd.inputs[i].value);
		assert_string_equal(o, want[i]);
		free(o);
	}
	ccshim_cmd_free(&cmd);
}

static void
test_classify_errors(void **state)
{
	const char *argv[] = { "cc", "-c", "x.c", NULL };
	struct ccshim_cmd cmd;
	char err[256];

	(void)state;
	err[0] = '\0';
	assert_int_equal(ccshim_classify(CCSHIM_TOOL_CC, 0, argv, &cmd,
	                                 err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	err[0] = '\0';
	assert_int_equal(ccshim_classify(CCSHIM_TOOL__COUNT, 3, argv, &cmd,
	                                 err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown tool"));
	/* Freeing twice, or a zeroed command, is harmless. */
	memset(&cmd, 0, sizeof(cmd));
	ccshim_cmd_free(&cmd);
	ccshim_cmd_free(&cmd);
}

/* --- ccshim_split_response: libiberty's buildargv ------------------------- */

struct split_case {
	const char *text;
	size_t len;                     /* 0: strlen(text) */
	const char *want[8];            /* NULL-terminated */
};

static void
test_split_response(void **state)
{
	static const struct split_case cases[] = {
		{ "", 0, { NULL } },
		{ "   \n\t \r\n", 0, { NULL } },
		{ "a b  c", 0, { "a", "b", "c" } },
		{ "  lead and trail  \n", 0, { "lead", "and", "trail" } },
		{ "a\r\nb\fc\vd\te", 0, { "a", "b", "c", "d", "e" } },
		{ "'a b' \"c d\"", 0, { "a b", "c d" } },
		{ "a\\ b", 0, { "a b" } },
		{ "\"a\\\"b\"", 0, { "a\"b" } },         /* \ escapes inside "" */
		{ "'a\\'b'", 0, { "a'b" } },             /* and inside '' (not sh) */
		{ "''", 0, { "" } },                     /* an empty argument */
		{ "\"\"", 0, { "" } },
		{ "a '' b", 0, { "a", "", "b" } },
		{ "x''y \"\"z", 0, { "xy", "z" } },
		{ "\"it's\"", 0, { "it's" } },
		{ "'say \"hi\"'", 0, { "say \"hi\"" } },
		{ "a\\\\b", 0, { "a\\b" } },
		{ "multi\\\nline", 0, { "multi\nline" } },
		{ "\"tab\tin\"", 0, { "tab\tin" } },
		{ "-DNAME=\\\"a\\ b\\\"", 0, { "-DNAME=\"a b\"" } },
		{ "'-DNAME=\"a b\"'", 0, { "-DNAME=\"a b\"" } },
		{ "-DNAME=\"a b\"", 0, { "-DNAME=a b" } },
		{ "-o \"out dir/x.o\" -c x.c", 0, { "-o", "out dir/x.o", "-c", "x.c" } },
		/* The end of the text ends an unterminated quote or escape. */
		{ "-c x.c -o \"out dir/x.o", 0, { "-c", "x.c", "-o", "out dir/x.o" } },
		{ "'open", 0, { "open" } },
		{ "trailing\\", 0, { "trailing" } },
		{ "\\", 0, { "" } },
		{ "a \"", 0, { "a", "" } },
		/* Like buildargv, the text ends at a NUL byte. */
		{ "a\0b c", 5, { "a" } },
		/* Only len bytes count. */
		{ "abc def", 3, { "abc" } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct split_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->text);
		char **v = NULL;
		size_t n = 0, cap = 0, nwant = 0;

		while (c->want[nwant])
			nwant++;
		if (ccshim_split_response(c->text, len, &v, &n, &cap) < 0)
			fail_msg("split case %zu failed", i);
		bool same = n == nwant;
		for (size_t k = 0; same && k < n; k++)
			same = !strcmp(v[k], c->want[k]);
		if (!same) {
			struct strbuf got = { 0 };
			for (size_t k = 0; k < n; k++)
				strbuf_addf(&got, " <%s>", v[k]);
			fail_msg("split case %zu: got%s (%zu), want %zu arguments", i,
			         got.s ? got.s : " nothing", n, nwant);
		}
		if (n)
			assert_null(v[n]);
		for (size_t k = 0; k < n; k++)
			free(v[k]);
		free(v);
	}

	/* Appends to what is there. */
	char **v = NULL;
	size_t n = 0, cap = 0;
	assert_int_equal(ccshim_split_response("a b", 3, &v, &n, &cap), 0);
	assert_int_equal(ccshim_split_response("'c d'", 5, &v, &n, &cap), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b");
	assert_string_equal(v[2], "c d");
	assert_null(v[3]);
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);

	/* Many arguments: the vector grows. */
	struct strbuf big = { 0 };
	for (int k = 0; k < 5000; k++)
		strbuf_addf(&big, "-DX%d='v %d' ", k, k);
	assert_false(big.failed);
	v = NULL;
	n = cap = 0;
	assert_int_equal(ccshim_split_response(big.s, big.len, &v, &n, &cap), 0);
	assert_int_equal(n, 5000);
	assert_string_equal(v[4999], "-DX4999=v 4999");
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);
	strbuf_free(&big);
}

/* --- response files -------------------------------------------------------- */

struct fx {
	char dir[PATH_MAX];
	bool passed;
};

static int
fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/test_ccshim.XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *fx = *state;

	if (fx->passed)
		util_remove_tree(fx->dir);
	else
		fprintf(stderr, "test_ccshim_classify: left '%s' for a look\n", fx->dir);
	free(fx);
	return 0;
}

/* Replaces every "{D}" in s with dir; malloc'd. */
static char *
subst(const char *s, const char *dir)
{
	struct strbuf sb = { 0 };
	const char *p;

	if (!s)
		return NULL;
	while ((p = strstr(s, "{D}"))) {
		strbuf_add(&sb, s, (size_t)(p - s));
		strbuf_adds(&sb, dir);
		s = p + 3;
	}
	strbuf_adds(&sb, s);
	return strbuf_detach(&sb);
}

static void
write_text(const char *dir, const char *name, const char *text)
{
	char *path = util_path_join(dir, name);
	char *body = subst(text, dir);

	assert_non_null(path);
	assert_non_null(body);
	assert_int_equal(util_write_atomic(path, body, strlen(body), 0644, false), 0);
	free(path);
	free(body);
}

struct rsp_case {
	const char *name;
	struct { const char *file, *text; } files[4];
	struct cl_case c;               /* argv, output, inputs may hold {D} */
	const char *expanded[40];       /* the expanded argv, NULL-terminated */
	bool response_files;
	const char *unreadable;         /* the first unreadable @file, or NULL */
};

static const struct rsp_case rsp_cases[] = {
	{ "quotes, spaces and a glued -o in one @file",
	  { { "compile.rsp",
	      "-c \"src dir/x.c\" -o'out dir/x.o' -DMSG=\"hello world\"\n"
	      "'-DQUOTED=\"a b\"' -DESC=\\\"c\\ d\\\" -I\\ spaced\\ dir\n" } },
	  { "", CC_, { "cc", "-O2", "@{D}/compile.rsp" }, COMPILE, "out dir/x.o", NULL,
	    { SRC("src dir/x.c", "c") }, false, false },
	  { "cc", "-O2", "-c", "src dir/x.c", "-oout dir/x.o", "-DMSG=hello world",
	    "-DQUOTED=\"a b\"", "-DESC=\"c d\"", "-I spaced dir" },
	  true, NULL },
	{ "nested @file, CRLF and backslash escapes",
	  { { "link.rsp", "-shared\r\n@{D}/objs.rsp\r\n-o lib\\ x.so\r\n" },
	    { "objs.rsp", "x.o \"y z.o\" C:\\\\dir\\\\w.o -lm" } },
	  { "", CC_, { "cc", "@{D}/link.rsp", "-Wl,--as-needed" }, SHARED, "lib x.so",
	    NULL, { OBJ("x.o"), OBJ("y z.o"), OBJ("C:\\dir\\w.o"), LIB("m"),
	            FLG("-Wl,--as-needed") }, false, false },
	  { "cc", "-shared", "x.o", "y z.o", "C:\\dir\\w.o", "-lm", "-o", "lib x.so",
	    "-Wl,--as-needed" },
	  true, NULL },
	{ "autoconf's ar cr libconftest.a @conftest.lst",
	  { { "conftest.lst", "conftest.o\n" } },
	  { "", AR_, { "ar", "cr", "libconftest.a", "@{D}/conftest.lst" }, ARCHIVE,
	    "libconftest.a", NULL, { OBJ("conftest.o") }, false, false },
	  { "ar", "cr", "libconftest.a", "conftest.o" }, true, NULL },
	{ "ninja/meson link rsp with quoted -D and -Wl",
	  { { "_mspam.so.rsp",
	      "-o _mspam.cpython-311-x86_64-linux-gnu.so "
	      "'_mspam.cpython-311-x86_64-linux-gnu.so.p/src__mspam.c.o' "
	      "-Wl,--as-needed -shared -fPIC -Wl,--start-group libhelper.a "
	      "'-Wl,-rpath,$ORIGIN/../lib dir' -Wl,--end-group" } },
	  { "", CC_, { "/tmp/x.linkdb.shims/cc", "@{D}/_mspam.so.rsp" }, SHARED,
	    "_mspam" SUFFIX, NULL,
	    { OBJ("_mspam" SUFFIX ".p/src__mspam.c.o"), FLG("-Wl,--as-needed"),
	      FLG("-Wl,--start-group"), ARC("libhelper.a"),
	      FLG("-Wl,-rpath,$ORIGIN/../lib dir"), FLG("-Wl,--end-group") },
	    false, false },
	  { "/tmp/x.linkdb.shims/cc", "-o", "_mspam" SUFFIX,
	    "_mspam" SUFFIX ".p/src__mspam.c.o", "-Wl,--as-needed", "-shared", "-fPIC",
	    "-Wl,--start-group", "libhelper.a", "-Wl,-rpath,$ORIGIN/../lib dir",
	    "-Wl,--end-group" },
	  true, NULL },
	{ "CMake object list rsp for a C++ link",
	  { { "objects1.rsp",
	      "CMakeFiles/m.dir/a.cpp.o CMakeFiles/m.dir/b.cpp.o" } },
	  { "", CXX_, { "c++", "-shared", "-o", "m.so", "@{D}/objects1.rsp", "-lz" },
	    SHARED, "m.so", NULL,
	    { OBJ("CMakeFiles/m.dir/a.cpp.o"), OBJ("CMakeFiles/m.dir/b.cpp.o"), LIB("z") },
	    true, false },
	  { "c++", "-shared", "-o", "m.so", "CMakeFiles/m.dir/a.cpp.o",
	    "CMakeFiles/m.dir/b.cpp.o", "-lz" },
	  true, NULL },
	{ "an empty @file disappears",
	  { { "empty.rsp", "" }, { "blank.rsp", " \n\t\n" } },
	  { "", CC_, { "cc", "-c", "@{D}/empty.rsp", "x.c", "@{D}/blank.rsp", "-o", "x.o" },
	    COMPILE, "x.o", NULL, { SRC("x.c", "c") }, false, false },
	  { "cc", "-c", "x.c", "-o", "x.o" }, true, NULL },
	{ "an @file with an empty argument and an unterminated quote",
	  { { "odd.rsp", "-c '' x.c -o \"out dir/x.o" } },
	  { "", CC_, { "cc", "@{D}/odd.rsp" }, COMPILE, "out dir/x.o", NULL,
	    { OBJ(""), SRC("x.c", "c") }, false, false },
	  { "cc", "-c", "", "x.c", "-o", "out dir/x.o" }, true, NULL },
	{ "the same @file twice, and a bare @",
	  { { "flags.rsp", "-flto -fPIC" } },
	  { "", CC_, { "cc", "@{D}/flags.rsp", "-c", "x.c", "@{D}/flags.rsp", "@" },
	    COMPILE, NULL, NULL,
	    { FLG("-flto"), SRC("x.c", "c"), FLG("-flto"), OBJ("@") }, false, true },
	  { "cc", "-flto", "-fPIC", "-c", "x.c", "-flto", "-fPIC", "@" }, true, NULL },
	{ "an unreadable @file is kept literally and flagged",
	  { { NULL, NULL } },
	  { "", CC_, { "cc", "-c", "x.c", "@{D}/missing.rsp", "-o", "x.o" }, COMPILE, "x.o",
	    NULL, { SRC("x.c", "c"), OBJ("@{D}/missing.rsp") }, false, false },
	  { "cc", "-c", "x.c", "@{D}/missing.rsp", "-o", "x.o" }, false,
	  "@{D}/missing.rsp" },
	{ "a directory as @file is unreadable; the first one is named",
	  { { "ok.rsp", "-c" } },
	  { "", CC_, { "cc", "@{D}", "@{D}/ok.rsp", "@{D}/gone.rsp", "x.c" }, COMPILE,
	    NULL, NULL, { OBJ("@{D}"), OBJ("@{D}/gone.rsp"), SRC("x.c", "c") },
	    false, false },
	  { "cc", "@{D}", "-c", "@{D}/gone.rsp", "x.c" }, true, "@{D}" },
	{ "an @file naming a missing @file",
	  { { "outer.rsp", "-c x.c @{D}/inner-missing.rsp" } },
	  { "", CC_, { "cc", "@{D}/outer.rsp" }, COMPILE, NULL, NULL,
	    { SRC("x.c", "c"), OBJ("@{D}/inner-missing.rsp") }, false, false },
	  { "cc", "-c", "x.c", "@{D}/inner-missing.rsp" }, true,
	  "@{D}/inner-missing.rsp" },
	{ "ld with an @file",
	  { { "ld.rsp", "-shared -o 'lib y.so' a.o -L /opt/lib -lfoo" } },
	  { "", LD_, { "ld", "@{D}/ld.rsp" }, SHARED, "lib y.so", NULL,
	    { FLG("-shared"), OBJ("a.o"), LDIR2("/opt/lib"), LIB("foo") }, false, false },
	  { "ld", "-shared", "-o", "lib y.so", "a.o", "-L", "/opt/lib", "-lfoo" },
	  true, NULL },
};

static void
test_response_files(void **state)
{
	struct fx *fx = *state;

	for (size_t r = 0; r < sizeof(rsp_cases) / sizeof(rsp_cases[0]); r++) {
		const struct rsp_case *rc = &rsp_cases[r];
		struct cl_case c = rc->c;
		struct strvec owned = { 0 };
		const char *argv[MAXARGV] = { 0 };
		struct ccshim_cmd cmd;
		char err[256] = "", *s;
		int argc = argv_count(rc->c.argv), nexp = argv_count(rc->expanded);

		for (size_t f = 0; f < 4 && rc->files[f].file; f++)
			write_text(fx->dir, rc->files[f].file, rc->files[f].text);
		/* {D} becomes the test directory everywhere. */
		for (int i = 0; i < argc; i++) {
			strvec_push_owned(&owned, s = subst(rc->c.argv[i], fx->dir));
			argv[i] = s;
		}
		for (size_t i = 0; c.in[i].value; i++) {
			strvec_push_owned(&owned, s = subst(c.in[i].value, fx->dir));
			c.in[i].value = s;
		}
		assert_false(owned.failed);
		c.name = rc->name;

		if (ccshim_classify(c.tool, argc, argv, &cmd, err, sizeof(err)) < 0)
			fail_msg("[%s] classify failed: %s", rc->name, err);
		if (cmd.argc != nexp)
			fail_msg("[%s] expanded argc: got %d, want %d", rc->name, cmd.argc,
			         nexp);
		for (int i = 0; i < nexp; i++) {
			char *want = subst(rc->expanded[i], fx->dir);
			if (strcmp(cmd.argv[i], want) != 0)
				fail_msg("[%s] expanded argv[%d]: got '%s', want '%s'", rc->name,
				         i, cmd.argv[i], want);
			free(want);
		}
		assert_null(cmd.argv[nexp]);
		if (cmd.response_files != rc->response_files)
			fail_msg("[%s] response_files: got %d", rc->name, cmd.response_files);
		if (cmd.unreadable_response != (rc->unreadable != NULL))
			fail_msg("[%s] unreadable_response: got %d", rc->name,
			         cmd.unreadable_response);
		char *unread = subst(rc->unreadable, fx->dir);
		if (!str_eq(cmd.unreadable, unread))
			fail_msg("[%s] unreadable: got '%s', want '%s'", rc->name,
			         show(cmd.unreadable), show(unread));
		free(unread);
		check_cmd(rc->name, &c, &cmd);
		ccshim_cmd_free(&cmd);
		strvec_free(&owned);
	}
	fx->passed = true;
}

/* An @file that names itself: an error, not a hang, and nothing leaks. */
static void
test_response_file_loop(void **state)
{
	struct fx *fx = *state;
	char *self = util_path_join(fx->dir, "self.rsp");
	char *arg = xasprintf("@%s", self);
	char *text = xasprintf("-c x.c %s\n", arg);
	const char *argv[] = { "cc", "@/nonexistent/first.rsp", arg, NULL };
	struct ccshim_cmd cmd;
	char err[512] = "";

	assert_int_equal(util_write_atomic(self, text, strlen(text), 0644, false), 0);
	assert_int_equal(ccshim_classify(CCSHIM_TOOL_CC, 3, argv, &cmd,
	                                 err, sizeof(err)), -1);
	if (!strstr(err, "nest too deep") || !strstr(err, "self.rsp"))
		fail_msg("unexpected message: '%s'", err);
	/* The command was freed on the way out (ASan checks the rest). */
	assert_null(cmd.argv);
	assert_null(cmd.unreadable);
	free(self);
	free(arg);
	free(text);
	fx->passed = true;
}

/*
 * A response file that names itself a thousand times would multiply the
 * command line until the 2000th @file (two million arguments, each splice
 * moving all of them): it stops at the argument limit with a message.  A
 * large real list (a hundred thousand objects) expands in full.
 */
static void
test_response_file_bomb(void **state)
{
	struct fx *fx = *state;
	char *bomb = util_path_join(fx->dir, "bomb.rsp");
	char *list = util_path_join(fx->dir, "objs.rsp");
	char *barg = xasprintf("@%s", bomb), *larg = xasprintf("@%s", list);
	struct strbuf sb = { 0 };
	struct ccshim_cmd cmd;
	char err[512] = "";

	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%s ", barg);
	assert_false(sb.failed);
	assert_int_equal(util_write_atomic(bomb, sb.s, sb.len, 0644, false), 0);
	strbuf_reset(&sb);
	for (int i = 0; i < 100000; i++)
		strbuf_addf(&sb, "CMakeFiles/m.dir/o%d.c.o\n", i);
	assert_false(sb.failed);
	assert_int_equal(util_write_atomic(list, sb.s, sb.len, 0644, false), 0);

	const char *argv[] = { "cc", "-shared", barg, NULL };
	assert_int_equal(ccshim_classify(CCSHIM_TOOL_CC, 3, argv,
	                                 &cmd, err, sizeof(err)), -1);
	if (!strstr(err, "response files expand to more than 1048576 arguments"))
		fail_msg("unexpected message: '%s'", err);
	assert_null(cmd.argv);

	const char *argv2[] = { "cc", "-shared", "-o", "m.so", larg, "-lz", NULL };
	if (ccshim_classify(CCSHIM_TOOL_CC, 6, argv2, &cmd, err, sizeof(err)) < 0)
		fail_msg("a list of 100000 objects: %s", err);
	assert_int_equal(cmd.argc, 5 + 100000);
	assert_int_equal(cmd.ninputs, 100000 + 1);
	assert_string_equal(cmd.argv[4], "CMakeFiles/m.dir/o0.c.o");
	assert_string_equal(cmd.argv[4 + 99999], "CMakeFiles/m.dir/o99999.c.o");
	assert_string_equal(cmd.argv[cmd.argc - 1], "-lz");
	assert_int_equal(cmd.action, CCSHIM_ACT_SHARED_LINK);
	ccshim_cmd_free(&cmd);
	strbuf_free(&sb);
	free(bomb);
	free(list);
	free(barg);
	free(larg);
	fx->passed = true;
}

/*
 * Only a regular file is read as an @file.  A pipe (/dev/fd/N, /dev/stdin,
 * a FIFO) would be drained before the real tool could read it, and a
 * device such as /dev/zero never ends; GCC reads neither (it keeps a pipe
 * literally and takes a device's size, 0).  Such an @file is kept literally
 * and flagged, so the shim runs the real tool on the untouched stream and
 * records nothing.
 */
static void
test_response_file_not_regular(void **state)
{
	struct fx *fx = *state;
	static const char text[] = "-c x.c -o x.o";
	char buf[64], err[256] = "", *pipearg, *fifoarg;
	int fds[2];
	struct ccshim_cmd cmd;

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	assert_int_equal(close(fds[1]), 0);
	pipearg = xasprintf("@/dev/fd/%d", fds[0]);
	fifoarg = xasprintf("@%s/fifo", fx->dir);
	char *fifo = fifoarg + 1;
	assert_int_equal(mkfifo(fifo, 0600), 0);

	const char *const args[] = { pipearg, "@/dev/zero", "@/dev/null", fifoarg };
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		const char *argv[] = { "cc", "-shared", "y.o", args[i], NULL };
		if (ccshim_classify(CCSHIM_TOOL_CC, 4, argv, &cmd,
		                    err, sizeof(err)) < 0)
			fail_msg("[%s] classify failed: %s", args[i], err);
		if (cmd.response_files || !cmd.unreadable_response ||
		    !str_eq(cmd.unreadable, args[i]) || cmd.argc != 4)
			fail_msg("[%s] read as an @file: response_files %d, unreadable '%s', "
			         "argc %d", args[i], cmd.response_files, show(cmd.unreadable),
			         cmd.argc);
		ccshim_cmd_free(&cmd);
	}
	/* The pipe still holds everything for the real tool. */
	ssize_t n = read(fds[0], buf, sizeof(buf));
	assert_int_equal(n, (ssize_t)sizeof(text) - 1);
	assert_memory_equal(buf, text, sizeof(text) - 1);
	close(fds[0]);
	free(pipearg);
	free(fifoarg);
	fx->passed = true;
}

/* --- the shim configuration ------------------------------------------------ */

/* Values with the file's separators in them come back byte for byte, and
 * cannot add a line (an injected "cc=") or split a word. */
static void
test_conf_escape(void **state)
{
	struct fx *fx = *state;
	static const char *const cc[] = { "/opt/a\tb/ccache", "/opt/x\ny/gcc", "-m64", NULL };
	static const char *const ranlib[] = { "/opt/r\ncc=/evil\n#/ranlib", NULL };
	static const char *const ar[] = { "C:\\new\\tab\\\\x\\", "a\r\nb", NULL };
	struct ccshim_conf conf = { 0 }, back;
	char err[512] = "";

	conf.db = xstrdup("/tmp/d\nbuild=999\ncc=/evil\n#\t\\n/app.linkdb");
	conf.build = 7;
	conf.tool[CCSHIM_TOOL_CC] = xcalloc(4, sizeof(char *));
	for (int i = 0; cc[i]; i++)
		conf.tool[CCSHIM_TOOL_CC][i] = xstrdup(cc[i]);
	conf.tool[CCSHIM_TOOL_RANLIB] = xcalloc(2, sizeof(char *));
	conf.tool[CCSHIM_TOOL_RANLIB][0] = xstrdup(ranlib[0]);
	conf.tool[CCSHIM_TOOL_AR] = xcalloc(3, sizeof(char *));
	for (int i = 0; ar[i]; i++)
		conf.tool[CCSHIM_TOOL_AR][i] = xstrdup(ar[i]);
	assert_int_equal(ccshim_conf_write(fx->dir, &conf), 0);
	if (ccshim_conf_read(fx->dir, &back, err, sizeof(err)) < 0)
		fail_msg("reading back: %s", err);
	assert_string_equal(back.db, conf.db);
	assert_int_equal(back.build, 7);
	assert_null(back.tool[CCSHIM_TOOL_CXX]);
	assert_null(back.tool[CCSHIM_TOOL_LD]);
	for (int t = 0; t < CCSHIM_TOOL__COUNT; t++) {
		if (!conf.tool[t])
			continue;
		assert_non_null(back.tool[t]);
		for (int i = 0; conf.tool[t][i] || back.tool[t][i]; i++) {
			if (!conf.tool[t][i] || !back.tool[t][i] ||
			    strcmp(conf.tool[t][i], back.tool[t][i]) != 0)
				fail_msg("%s word %d: wrote '%s', read '%s'",
				         ccshim_tool_key((enum ccshim_tool)t), i,
				         show(conf.tool[t][i]), show(back.tool[t][i]));
		}
	}
	/* Each value is on its own line: nothing else starts one. */
	char *path = util_path_join(fx->dir, CCSHIM_CONF_NAME), *text = NULL;
	assert_int_equal(util_read_file(path, &text, NULL), 0);
	int lines = 0;
	for (char *p = text; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 3 + 5);          /* 3 comment lines, db, build, 3 tools */
	free(text);
	free(path);
	ccshim_conf_free(&back);
	ccshim_conf_free(&conf);
	fx->passed = true;
}

/* Writes an executable file of a few bytes. */
static void
write_exe(const char *dir, const char *name)
{
	char *path = util_path_join(dir, name);

	assert_non_null(path);
	assert_int_equal(util_write_atomic(path, "#!/bin/sh\n", 10, 0755, false), 0);
	free(path);
}

static void
make_link(const char *target, const char *dir, const char *name)
{
	char *path = util_path_join(dir, name);

	assert_non_null(path);
	if (symlink(target, path) < 0)
		fail_msg("symlink '%s' -> '%s': %s", path, target, strerror(errno));
	free(path);
}

static void
expect_tool(const char *what, char **got, const char *err, const char *const *want)
{
	if (!got)
		fail_msg("[%s] resolution failed: %s", what, err);
	for (int i = 0; want[i] || got[i]; i++)
		if (!want[i] || !got[i] || strcmp(want[i], got[i]) != 0)
			fail_msg("[%s] word %d: got '%s', want '%s'", what, i, show(got[i]),
			         show(want[i]));
	ccshim_strv_free(got);
}

/*
 * Launchers are known by what they resolve to: ccache's and distcc's
 * masquerade links (any name, through any chain of symlinks) become the
 * launcher's binary then the compiler of the link's name, found on PATH
 * past the shims and every masquerade directory.  Fake programs in a
 * temporary tree: bin/ccache and bin/distcc, masq/{cc,gcc,clang} ->
 * ../bin/ccache (cc through a chain), dmasq/cc -> distcc, real/{cc,gcc},
 * shim/cc standing for pyweld-cc.
 */
static void
test_resolve_launchers(void **state)
{
	struct fx *fx = *state;
	const char *D = fx->dir;
	char *oldpath = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	char err[1024] = "", *p;
	static const char *const dirs[] = { "bin", "masq", "dmasq", "real", "shim", NULL };

	for (int i = 0; dirs[i]; i++) {
		p = util_path_join(D, dirs[i]);
		assert_int_equal(mkdir(p, 0755), 0);
		free(p);
	}
	char *bin = util_path_join(D, "bin"), *masq = util_path_join(D, "masq");
	char *dmasq = util_path_join(D, "dmasq"), *real = util_path_join(D, "real");
	char *shim = util_path_join(D, "shim");
	write_exe(bin, "ccache");
	write_exe(bin, "distcc");
	write_exe(real, "cc");
	write_exe(real, "gcc");
	write_exe(shim, "cc");
	make_link("../bin/ccache", masq, "gcc");
	make_link("../bin/ccache", masq, "clang");
	make_link("gcc", masq, "cc");                  /* a chain: cc -> gcc -> ccache */
	make_link("../bin/distcc", dmasq, "cc");
	char *ccache = xasprintf("%s/ccache", bin), *distcc = xasprintf("%s/distcc", bin);
	char *rcc = xasprintf("%s/cc", real), *rgcc = xasprintf("%s/gcc", real);
	char *mgcc = xasprintf("%s/gcc", masq), *self = xasprintf("%s/cc", shim);
	/* Things resolve to realpath()s: compare against those. */
	char *rc = realpath(ccache, NULL), *rd = realpath(distcc, NULL);
	char *rrcc = realpath(rcc, NULL), *rrgcc = realpath(rgcc, NULL);
	assert_non_null(rc);
	assert_non_null(rd);
	assert_non_null(rrcc);
	assert_non_null(rrgcc);

	char *path = xasprintf("%s:%s:%s:%s", shim, masq, bin, real);
	setenv("PATH", path, 1);
	expect_tool("cc from a masquerade directory first on PATH",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, NULL, self, err, sizeof(err)), err,
	            (const char *const[]){ rc, rrcc, NULL });
	expect_tool("CC=<masq>/gcc",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, mgcc, self, err, sizeof(err)), err,
	            (const char *const[]){ rc, rrgcc, NULL });
	expect_tool("CC='ccache gcc -m64' with the masquerade first",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, "ccache gcc -m64", self, err,
	                                sizeof(err)), err,
	            (const char *const[]){ rc, rrgcc, "-m64", NULL });
	expect_tool("the name gcc",
	            ccshim_resolve_name(CCSHIM_TOOL_CC, "gcc", self, err, sizeof(err)), err,
	            (const char *const[]){ rc, rrgcc, NULL });
	err[0] = '\0';
	assert_null(ccshim_resolve_tool(CCSHIM_TOOL_CC, "clang", self, err, sizeof(err)));
	if (!strstr(err, "cannot find the real cc 'clang' on PATH") ||
	    !strstr(err, "masquerade"))
		fail_msg("a masquerade link with no compiler behind it: '%s'", err);

	/* distcc's masquerade directory before ccache's: distcc, then the
	 * compiler by its name (distcc sends the name to the machines that
	 * compile, and looks it up on PATH itself). */
	free(path);
	path = xasprintf("%s:%s:%s:%s", dmasq, masq, bin, real);
	setenv("PATH", path, 1);
	expect_tool("distcc's masquerade first: the compiler by its name",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, NULL, self, err, sizeof(err)), err,
	            (const char *const[]){ rd, "cc", NULL });
	expect_tool("CC='distcc gcc': distcc finds gcc itself",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, "distcc gcc -O2", self, err,
	                                sizeof(err)), err,
	            (const char *const[]){ rd, "gcc", "-O2", NULL });
	expect_tool("CC='distcc ccache gcc': what follows distcc is kept",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, "distcc ccache gcc", self, err,
	                                sizeof(err)), err,
	            (const char *const[]){ rd, "ccache", "gcc", NULL });
	char *dgcc = xasprintf("distcc %s", rgcc);
	expect_tool("CC='distcc <path>': a path is resolved",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, dgcc, self, err, sizeof(err)), err,
	            (const char *const[]){ rd, rgcc, NULL });
	free(dgcc);
	err[0] = '\0';
	assert_null(ccshim_resolve_tool(CCSHIM_TOOL_CC, "distcc nosuchcc", self, err,
	                                sizeof(err)));
	if (!strstr(err, "cannot find the real cc 'nosuchcc' on PATH"))
		fail_msg("distcc with a compiler that is not there: '%s'", err);

	/* No launcher at all: the program as found, symlinks kept. */
	free(path);
	path = xasprintf("%s:%s", shim, real);
	setenv("PATH", path, 1);
	expect_tool("plain cc past the shim",
	            ccshim_resolve_tool(CCSHIM_TOOL_CC, NULL, self, err, sizeof(err)), err,
	            (const char *const[]){ rcc, NULL });

	if (oldpath)
		setenv("PATH", oldpath, 1);
	else
		unsetenv("PATH");
	free(oldpath);
	free(path);
	free(rc); free(rd); free(rrcc); free(rrgcc);
	free(ccache); free(distcc); free(rcc); free(rgcc); free(mgcc); free(self);
	free(bin); free(masq); free(dmasq); free(real); free(shim);
	fx->passed = true;
}

/* cc, c++, ld, ar, ranlib run the role's command; gcc and the rest their own. */
static void
test_names_and_roles(void **state)
{
	struct ccshim_conf conf = { 0 };
	static const char *const roles[] = { "cc", "c++", "ld", "ar", "ranlib", NULL };
	int gcc = ccshim_shim_index("gcc");

	(void)state;
	for (int i = 0; ccshim_shim_names[i]; i++) {
		bool role = false;
		for (int k = 0; roles[k]; k++)
			role = role || !strcmp(roles[k], ccshim_shim_names[i]);
		if (ccshim_name_is_role(ccshim_shim_names[i]) != role)
			fail_msg("'%s': is a role name %d", ccshim_shim_names[i], !role);
		assert_int_equal(ccshim_shim_index(ccshim_shim_names[i]), i);
	}
	assert_int_equal(ccshim_shim_index("clang"), -1);
	assert_false(ccshim_name_is_role("gcc"));
	assert_false(ccshim_name_is_role("x86_64-linux-gnu-ld"));

	assert_true(gcc >= 0);
	conf.tool[CCSHIM_TOOL_CC] = xcalloc(2, sizeof(char *));
	conf.tool[CCSHIM_TOOL_CC][0] = xstrdup("/usr/bin/clang");
	assert_null(ccshim_conf_command(&conf, "/s/gcc", CCSHIM_TOOL_CC)[1]);
	/* Without an entry of its own (a configuration of an older pyweld),
	 * gcc runs the role's command. */
	assert_string_equal(ccshim_conf_command(&conf, "/s/gcc", CCSHIM_TOOL_CC)[0],
	                    "/usr/bin/clang");
	conf.named[gcc] = xcalloc(2, sizeof(char *));
	conf.named[gcc][0] = xstrdup("/usr/bin/gcc");
	assert_string_equal(ccshim_conf_command(&conf, "/s/gcc", CCSHIM_TOOL_CC)[0],
	                    "/usr/bin/gcc");
	assert_string_equal(ccshim_conf_command(&conf, "gcc", CCSHIM_TOOL_CC)[0],
	                    "/usr/bin/gcc");
	assert_string_equal(ccshim_conf_command(&conf, "/s/cc", CCSHIM_TOOL_CC)[0],
	                    "/usr/bin/clang");
	assert_null(ccshim_conf_command(&conf, "c++", CCSHIM_TOOL_CXX));
	ccshim_conf_free(&conf);
}

/* --- main ------------------------------------------------------------------- */

int
main(void)
{
	static struct CMUnitTest table_tests[NCASES];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_size),
		cmocka_unit_test(test_option_tables_sorted),
		cmocka_unit_test(test_tool_from_name),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_default_object),
		cmocka_unit_test(test_multiple_sources_default_objects),
		cmocka_unit_test(test_classify_errors),
		cmocka_unit_test(test_split_response),
		cmocka_unit_test_setup_teardown(test_response_files, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_response_file_loop, fx_setup,
		                                fx_teardown),
		cmocka_unit_test_setup_teardown(test_response_file_bomb, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_response_file_not_regular, fx_setup,
		                                fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_escape, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_launchers, fx_setup, fx_teardown),
		cmocka_unit_test(test_names_and_roles),
	};
	int failed;

	/* A scrubbed environment: nothing of the caller's reaches the tests. */
	unsetenv("PYWELD_DB");
	setenv("LC_ALL", "C", 1);

	for (size_t i = 0; i < NCASES; i++) {
		table_tests[i].name = table[i].name;
		table_tests[i].test_func = test_table_case;
		table_tests[i].initial_state = (void *)(uintptr_t)&table[i];
	}
	failed = _cmocka_run_group_tests("ccshim_classify_table", table_tests, NCASES,
	                                 NULL, NULL);
	failed += cmocka_run_group_tests_name("ccshim_classify", tests, NULL, NULL);
	return failed ? 1 : 0;
}

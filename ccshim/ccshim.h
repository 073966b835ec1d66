/*
 * ccshim: the wrapper compilers.
 *
 * One program (pyweld-cc) answers as cc, gcc, c++, g++, ld, ar and ranlib
 * (and their x86_64-linux-gnu- names).  It runs the real tool exactly as
 * asked, then records what an extension build did in the link database:
 * compiles, shared links with their ordered inputs, archives made with ar.
 * This header is what the front end and the tests use: argv classification,
 * the shim directory and its configuration.
 */
#ifndef PYWELD_CCSHIM_H
#define PYWELD_CCSHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- names.c: roles and names --------------------------------------------- */

enum ccshim_tool {
	CCSHIM_TOOL_CC,
	CCSHIM_TOOL_CXX,
	CCSHIM_TOOL_LD,
	CCSHIM_TOOL_AR,
	CCSHIM_TOOL_RANLIB,
	CCSHIM_TOOL__COUNT
};

/* The configuration key of a role: "cc", "cxx", "ld", "ar", "ranlib". */
const char *ccshim_tool_key(enum ccshim_tool t);
/* The environment variable that names a role's command ("CC", "CXX", ...). */
const char *ccshim_tool_envvar(enum ccshim_tool t);
/*
 * The role of a program name (basename of argv[0]): cc, gcc, c89, c99 → CC;
 * c++, g++ → CXX; ld, ld.bfd, ld.gold → LD; ar, gcc-ar → AR; ranlib → RANLIB;
 * with or without a "x86_64-linux-gnu-" style prefix and a "-12" suffix.
 * Returns -1 for a name that is not one of ours.
 */
int ccshim_tool_from_name(const char *name);

/* The names the shim directory holds (NULL-terminated, CCSHIM_NSHIM_NAMES). */
extern const char *const ccshim_shim_names[];
#define CCSHIM_NSHIM_NAMES 12
/*
 * Whether a shim reached as name (a basename) runs its role's configured
 * command ($CC, $CXX, $LD, $AR, $RANLIB): true for the role's own name (cc,
 * c++, ld, ar, ranlib), which `pyweld env` exports as $CC and the rest.
 * Every other shim name (gcc, g++, x86_64-linux-gnu-gcc, ...) runs the
 * program of that name, as a build that calls it by name would without
 * pyweld.
 */
bool ccshim_name_is_role(const char *name);
/* The index of name (a basename) in ccshim_shim_names, or -1. */
int ccshim_shim_index(const char *name);

/* --- classify.c, options.c, response.c: argv classification --------------- */

enum ccshim_action {
	CCSHIM_ACT_INFO,          /* --version, -dumpmachine, -print-*, no inputs */
	CCSHIM_ACT_PREPROCESS,    /* -E, or -M/-MM without -MD */
	CCSHIM_ACT_ASSEMBLY,      /* -S: stops at assembly */
	CCSHIM_ACT_SYNTAX_ONLY,   /* -fsyntax-only: no output */
	CCSHIM_ACT_COMPILE,       /* -c: sources to objects */
	CCSHIM_ACT_SHARED_LINK,   /* -shared (cc, c++) or ld -shared */
	CCSHIM_ACT_RELOCATABLE,   /* -r: partial link */
	CCSHIM_ACT_EXEC_LINK,     /* an executable: programs, configure checks */
	CCSHIM_ACT_ARCHIVE,       /* ar r/q, ranlib: an archive was written */
	CCSHIM_ACT_OTHER,         /* ar t/x/p/d/m: nothing to record */
};
const char *ccshim_action_name(enum ccshim_action a);

enum ccshim_arg {
	CCSHIM_ARG_SOURCE,        /* a file the compiler compiles */
	CCSHIM_ARG_OBJECT,        /* a linker input file that is not .a/.so */
	CCSHIM_ARG_ARCHIVE,       /* a .a file, or a Rust crate's .rlib */
	CCSHIM_ARG_SHARED,        /* a .so / .so.N file */
	CCSHIM_ARG_LIB,           /* -lNAME, -l NAME, -l:FILE (value: NAME or :FILE) */
	CCSHIM_ARG_LIBDIR,        /* -LDIR, -L DIR (value: DIR) */
	CCSHIM_ARG_LINKFLAG,      /* -Wl,..., -Xlinker X, -pthread, -static, ... */
};
const char *ccshim_arg_name(enum ccshim_arg a);

struct ccshim_input {
	enum ccshim_arg kind;
	const char *value;        /* path, library name, directory or the flag text */
	const char *lang;         /* SOURCE: "c", "c++", "assembler", ... */
	int argi;                 /* first index in the expanded argv */
	int argn;                 /* number of argv entries it spans (1 or 2) */
	const char *file;         /* LINKFLAG: the file the linker reads for it (a
	                           * version script), or NULL */
};

struct ccshim_cmd {
	enum ccshim_tool tool;
	enum ccshim_action action;
	int argc;                 /* the expanded argv: response files inlined */
	char **argv;
	const char *output;       /* -o / --output value, or NULL */
	const char *depfile;      /* -MF value, or NULL */
	size_t ninputs;
	struct ccshim_input *inputs; /* in command-line order */
	size_t nsources;          /* how many inputs are sources */
	bool cxx;                 /* C++ driver, C++ source, or -lstdc++ */
	bool lto;                 /* -flto without -ffat-lto-objects */
	bool response_files;      /* an @file was expanded */
	bool unreadable_response; /* an @file could not be read (kept literally) */
	char *unreadable;         /* the first such @file argument */
	char **parts;             /* copies of parts of arguments that inputs point */
	size_t nparts;            /* into (a file inside a -Wl, list) */
};

/*
 * Classifies a command line the way the real tool will read it.  argv[0]
 * is the tool as invoked (only its role matters, given by tool).  @file
 * arguments are expanded with GCC's quoting rules and rescanned; one that
 * cannot be read, or is not a regular file (a pipe would be drained, a
 * device may not end), is kept literally, as GCC does, and flagged.  Returns 0,
 * or -1 when memory runs out or response files nest too deep (message in
 * err).  The result owns copies of everything; free with ccshim_cmd_free.
 */
int ccshim_classify(enum ccshim_tool tool, int argc, const char *const argv[],
                    struct ccshim_cmd *out, char *err, size_t errlen);
/* Frees what a classification owns and zeroes cmd; twice is harmless. */
void ccshim_cmd_free(struct ccshim_cmd *cmd);

/* The object file GCC writes for a source under -c without -o ("x.o"). */
char *ccshim_default_object(const char *source);

/*
 * Splits a response file's text into arguments with GCC's rules (libiberty
 * buildargv): whitespace separates; '...' and "..." quote; a backslash
 * escapes the next character, inside quotes too.  Appends to *out.
 */
int ccshim_split_response(const char *text, size_t len, char ***out,
                          size_t *n, size_t *cap);

/*
 * The option tables (options.c), exposed so a test can check that they stay
 * sorted.  A row holds how the option is written (flags) and what it means
 * to the classification (role).
 */
enum ccshim_role {
	CCSHIM_ROLE_NONE,         /* nothing to note (its value, if any, is skipped) */
	CCSHIM_ROLE_LINK,         /* matters to the link: recorded as a link flag */
	CCSHIM_ROLE_LTO,          /* -flto, -flto=N: a link flag, and LTO (not -flto-*) */
	CCSHIM_ROLE_OUTPUT,       /* -o, --output */
	CCSHIM_ROLE_LANGUAGE,     /* -x, --language: the language of later files */
	CCSHIM_ROLE_DEPFILE,      /* -MF */
	CCSHIM_ROLE_LIB,          /* -l, --library: a library input */
	CCSHIM_ROLE_LIBDIR,       /* -L, --library-directory, --library-path */
	CCSHIM_ROLE_COMPILE,      /* -c */
	CCSHIM_ROLE_ASSEMBLY,     /* -S */
	CCSHIM_ROLE_PREPROCESS,   /* -E */
	CCSHIM_ROLE_DEPS_ONLY,    /* -M, -MM: only dependencies, unless -MD too */
	CCSHIM_ROLE_DEPS,         /* -MD, -MMD: dependencies beside the output */
	CCSHIM_ROLE_SHARED,       /* -shared (ld: -Bshareable, --shared too) */
	CCSHIM_ROLE_RELOCATABLE,  /* -r (ld: -i, -Ur, --relocatable too) */
	CCSHIM_ROLE_SYNTAX_ONLY,  /* -fsyntax-only */
	CCSHIM_ROLE_FAT_LTO,      /* -ffat-lto-objects */
	CCSHIM_ROLE_NO_FAT_LTO,   /* -fno-fat-lto-objects */
	CCSHIM_ROLE_NO_LTO,       /* -fno-lto */
	CCSHIM_ROLE_LINK_FILE,    /* ld: --version-script F, --dynamic-list F: a link
	                           * flag naming a file the linker reads, which the
	                           * record keeps (the build may delete it: rustc does) */
	CCSHIM_ROLE_INFO,         /* --version, -print-*, ...: prints, does nothing else */
	CCSHIM_ROLE__COUNT
};
struct ccshim_opt {
	const char *name;
	unsigned flags;
	enum ccshim_role role;
};
enum {
	CCSHIM_O_SEPARATE = 1 << 0,   /* "-x ARG": the next argv entry is the value */
	CCSHIM_O_PREFIX   = 1 << 1,   /* matches any argument starting with name */
	CCSHIM_O_EQUALS   = 1 << 2,   /* "--name=VALUE" also accepted */
};
extern const struct ccshim_opt ccshim_gcc_options[];
extern const size_t ccshim_gcc_noptions;
extern const struct ccshim_opt ccshim_ld_options[];
extern const size_t ccshim_ld_noptions;

/* --- conf.c: the shim directory and its configuration --------------------- */

/*
 * A shim directory holds symlinks named ccshim_shim_names to pyweld-cc and
 * "pyweld-shim.conf":
 *
 *     # pyweld shim configuration, written by `pyweld env`
 *     db=/abs/app.linkdb
 *     build=3
 *     cc=/usr/bin/gcc
 *     cxx=/usr/bin/ccache<TAB>/usr/bin/g++
 *     ld=/usr/bin/ld
 *     ar=/usr/bin/ar
 *     ranlib=/usr/bin/ranlib
 *
 *     gcc=/usr/bin/gcc
 *     g++=/usr/bin/g++
 *
 * A tool's value is the real command, words separated by TABs: a launcher
 * (ccache, distcc) and the compiler, each resolved to an absolute path once.
 * In every value a backslash, newline, TAB or carriage return of a path is
 * written as \\, \n, \t or \r, so no path can add or split a line or word.
 * Keys after the roles are shim names that run a program of their own
 * (ccshim_name_is_role); a name whose program was not on PATH has none.
 */
#define CCSHIM_CONF_NAME "pyweld-shim.conf"

struct ccshim_conf {
	char *db;                         /* absolute database path */
	int64_t build;                    /* build id records belong to (0: none) */
	char **tool[CCSHIM_TOOL__COUNT];  /* NULL-terminated argv prefix, or NULL */
	/* By index in ccshim_shim_names: the real command of a shim name that
	 * is not a role's own name, or NULL (a role name, or not on PATH). */
	char **named[CCSHIM_NSHIM_NAMES];
};

/* Reads dir/pyweld-shim.conf; -1 with a message in err. */
int ccshim_conf_read(const char *dir, struct ccshim_conf *conf, char *err,
                     size_t errlen);
/* Writes dir/pyweld-shim.conf atomically; -1 + errno. */
int ccshim_conf_write(const char *dir, const struct ccshim_conf *conf);
/* Frees what conf holds and zeroes it. */
void ccshim_conf_free(struct ccshim_conf *conf);
/*
 * The real command a shim reached as argv0 runs for role t: its name's own
 * entry when it has one, otherwise the role's.  NULL when neither is set.
 * The vector belongs to conf.
 */
char **ccshim_conf_command(const struct ccshim_conf *conf, const char *argv0,
                           enum ccshim_tool t);
/* Frees a NULL-terminated vector of strings and the strings; NULL is a no-op. */
void ccshim_strv_free(char **v);

/* --- resolve.c: the real tools -------------------------------------------- */

/*
 * Resolves a real tool for the shim configuration.  spec is what the user
 * had ($CC, "ccache gcc", "gcc -m64") or NULL for the default name of the
 * role; each word that names a program is made absolute by a PATH search
 * that skips the shim binary self (device and inode).  A word whose
 * resolved path (symlinks followed) is a launcher (ccache, sccache, distcc,
 * icecc, buildcache) is recorded as the launcher's real binary; reached by
 * another name (a masquerade link such as /usr/lib/ccache/gcc) it is
 * followed by the compiler of that name, found on PATH skipping self and
 * every other link to a launcher.  After distcc, which sends the
 * compiler's name to other machines, a compiler given by name stays a name
 * (checked to exist on PATH the same way); the shim then runs the command
 * with no shim directory on PATH.  Returns a NULL-terminated argv (caller
 * frees with ccshim_strv_free) or NULL with a message in err.
 */
char **ccshim_resolve_tool(enum ccshim_tool t, const char *spec,
                           const char *self, char *err, size_t errlen);
/*
 * The same for one program name taken as it is (no word splitting): what
 * running name from PATH would run, launchers resolved as above.
 */
char **ccshim_resolve_name(enum ccshim_tool t, const char *name,
                           const char *self, char *err, size_t errlen);

/* --- shimdir.c: making a shim directory ----------------------------------- */

/*
 * The user's command for a role from the environment ($CC, $CXX, $LD, $AR,
 * $RANLIB), or NULL when unset or when it already points at the shim
 * program shim_exe (then *was_shim is set, so the caller can say so).
 */
const char *ccshim_env_spec(enum ccshim_tool t, const char *shim_exe,
                            bool *was_shim);

/*
 * Everything `pyweld env` does to a directory: resolves each role's real
 * tool from the environment (ignoring values that point at shim_exe; the
 * roles ignored that way are set as bits (1 << tool) in *ignored) and each
 * other shim name's program from PATH, and creates the shim directory for
 * database db and build.  The resolved configuration is left in *conf
 * (free with ccshim_conf_free).  -1 with a message in err.
 */
int ccshim_setup(const char *dir, const char *shim_exe, const char *db,
                 int64_t build, struct ccshim_conf *conf, unsigned *ignored,
                 char *err, size_t errlen);

/*
 * Creates (or refreshes) a shim directory: the symlinks to shim_exe and the
 * configuration.  A shim name that is not a role's own name gets a link
 * only when conf has its program (a stale link is removed), so that a
 * build looking for it on PATH finds what it would find without pyweld.
 * -1 with a message in err.
 */
int ccshim_dir_setup(const char *dir, const char *shim_exe,
                     const struct ccshim_conf *conf, char *err, size_t errlen);

/* --- env.c: what turns the wrappers on for a build ------------------------ */

struct linkdb;
struct strvec;

/* A build through the wrappers: its link database, build record and shims. */
struct ccshim_env {
	/* Given: */
	const char *db_path;              /* the link database (created if missing) */
	const char *shimdir;              /* where the shims go (NULL: DB.shims) */
	const char *shim_exe;             /* pyweld-cc */
	const char *tool, *cwd, *note;    /* the build record (linkdb_begin_build) */
	/* Made by ccshim_env_setup, released by ccshim_env_free: */
	struct linkdb *db;                /* open; a caller may take it (and NULL it) */
	int64_t build;                    /* the build record's id */
	char *dir;                        /* the shim directory, absolute */
	struct ccshim_conf conf;          /* the real tools (ccshim_setup) */
	unsigned ignored;                 /* (1 << tool): its variable named the shims */
};

/* What ccshim_env_vars sets besides PYWELD_DB, PYWELD_BUILD, PYWELD_SHIM_DIR and PATH. */
enum {
	CCSHIM_ENV_TOOLS    = 1 << 0,     /* CC, CXX, AR, RANLIB: the role shims */
	CCSHIM_ENV_LDSHARED = 1 << 1,     /* LDSHARED, LDCXXSHARED: "cc -shared", "c++ -shared" */
	CCSHIM_ENV_SKBUILD  = 1 << 2,     /* SKBUILD_INSTALL_STRIP=false, CMAKE_ARGS */
};

/*
 * Readies a build through the wrappers: opens (creating) the link database
 * e->db_path, begins a build record (e->tool, e->cwd, e->note) in it, and
 * makes the shim directory for that build (ccshim_setup: every real tool
 * resolved once, from $CC and the others or PATH).  0, or -1 with the
 * message in err (the database's or ccshim_setup's); ccshim_env_free
 * releases what was made either way.
 */
int ccshim_env_setup(struct ccshim_env *e, char *err, size_t errlen);
/* Closes e->db (unless taken), frees e->dir and e->conf; twice is harmless. */
void ccshim_env_free(struct ccshim_env *e);
/*
 * The variables that lead a build to e's shims, "NAME=VALUE" appended to
 * out in the order `pyweld env` prints them: PYWELD_DB, PYWELD_BUILD,
 * PYWELD_SHIM_DIR, then with CCSHIM_ENV_TOOLS CC, CXX, AR, RANLIB, with
 * CCSHIM_ENV_LDSHARED LDSHARED, LDCXXSHARED, then PATH (path_first if not
 * NULL, the shim directory, then $PATH without it, or /usr/bin:/bin), with
 * CCSHIM_ENV_SKBUILD SKBUILD_INSTALL_STRIP=false and CMAKE_ARGS ($CMAKE_ARGS
 * followed by -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON).  Failure is out->failed.
 */
void ccshim_env_vars(const struct ccshim_env *e, unsigned flags, const char *path_first,
                     struct strvec *out);
/*
 * The environment of a build through e's shims, appended to out: this
 * process's, without the variables the wrappers set or that would steer
 * the build's compilers or Python elsewhere (CC, CXX, LD, AR, RANLIB,
 * LDSHARED, LDCXXSHARED, PATH, PYWELD_*, PYTHONPATH, PYTHONHOME,
 * PYTHONSTARTUP, PYTHONUSERBASE; with CCSHIM_ENV_SKBUILD SKBUILD_INSTALL_STRIP
 * and CMAKE_ARGS, which ccshim_env_vars sets again) and without the entries
 * starting with one of drop (NULL-terminated, may be NULL), then
 * ccshim_env_vars.
 */
void ccshim_env_build(const struct ccshim_env *e, unsigned flags, const char *path_first,
                      const char *const *drop, struct strvec *out);

#endif

/*
 * internal.h: what pydist's files share, one build (struct pydist_job) and
 * its steps.  Only pydist/ includes it; other components use pydist.h.
 *
 * A build runs its steps in order, each in its own file:
 *   source.c   fetch (Debian's archive), identify and hash, verify a .dsc,
 *              unpack
 *   adjust.c   pyweld's changes to the unpacked tree (patch.c applies them)
 *   make.c     configure, make, make install, what install leaves out
 *   lto.c      libpython3.X.a optimised into one object
 *   regex.c    the standard library's regexes precompiled
 *   freeze.c   the standard library deep-frozen for welds
 *   record.c   the modules into dist.linkdb and distribution.json
 * and pydist.c drives them; cache.c owns the cache (root, key, work
 * directories and their locks, `current`); job.c holds what every step
 * uses (messages, the log, progress, running a command).
 *
 * Invariants: a step that fails returns -1 with the message in j->err
 * (pydist_fail), naming the step; nothing a step writes is trusted before
 * pydist.c writes COMPLETE and renames the work directory into place.
 */
#ifndef PYWELD_PYDIST_INTERNAL_H
#define PYWELD_PYDIST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "embed.h"
#include "linkdb.h"
#include "pydist.h"
#include "util.h"

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The lock file of a work directory (cache.c says how the lock is used). */
#define PYDIST_WORK_LOCK ".lock"

enum pydist_source_kind {
	PYDIST_SRC_DEBIAN, PYDIST_SRC_DSC, PYDIST_SRC_TARBALL, PYDIST_SRC_TREE
};

struct pydist_job {
	const struct pydist_options *o;
	const struct pydist_progress *p;
	char *err;
	size_t errlen;

	char *cache;            /* cache root */
	char *pydir;            /* cache/python */
	enum pydist_source_kind kind;
	char *source;           /* absolute path of the .dsc, tarball or tree */
	char identity[LINKDB_HASH_HEX + 1];
	char key[17];
	char *final;            /* pydir/<key> */
	char *work;             /* pydir/.work-<key>-XXXXXX (mkdtemp) */
	int lockfd;             /* work/.lock, locked for the build's life */
	char *src, *build, *destdir, *prefix;
	int logfd;
	char *log;
	enum pydist_phase phase;

	char pyver[8];          /* "3.13": the version built (pydist_identify) */
	char *py_version;       /* "3.13.5", from the unpacked tree */
	char *deb_version;      /* "3.11.2-6+deb12u8" or NULL */
	int deb_patches;
	bool regex_hook;        /* Lib/re/_compiler.py reads re/_pyweld_precompiled.py */
	struct strvec adjustments;
	struct strvec configure_args;
	int compiles, links;
	struct util_cmdlog cmd;         /* runs the steps; the last error line of the last */
};

/* job.c: what every step uses. */

/* Sets j->err from fmt; returns -1. */
int pydist_fail(struct pydist_job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends a line to the build's log (nothing when there is none). */
void pydist_log(struct pydist_job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Enters phase p: logged and reported to the progress callbacks. */
void pydist_phase_start(struct pydist_job *j, enum pydist_phase p, const char *detail);
/* make's -jN into buf: the --jobs option, or one per processor. */
void pydist_jobs_flag(const struct pydist_job *j, char *buf, size_t len);
/* Runs a command of the recipe with its output in the log; 0, or -1 with
 * a message naming the phase, the command and its last error line. */
int pydist_step(struct pydist_job *j, const char *const argv[], const char *const envp[],
                const char *cwd);
/* A script or code file of pydist/ as pyweld carries it, or NULL. */
const struct embedded_file *pydist_script(const char *name);
/* pyweld's patches to CPython `version` ("3.13": pydist/patches/3.13/), a
 * table ending in a NULL name (empty for a version without any). */
const struct embedded_file *pydist_patches(const char *version);
/* One of them for j's version, or NULL. */
const struct embedded_file *pydist_patch_file(const struct pydist_job *j, const char *name);

/* cache.c */

/* The cache key into j->key: recipe, source identity, options, and every
 * file pyweld carries for the build (embedded_pydist). */
void pydist_make_key(struct pydist_job *j);
/* Whether dir holds a COMPLETE distribution. */
bool pydist_complete(const char *dir);
/* Removes the work directories of builds that are over (their lock free). */
void pydist_sweep_stale(struct pydist_job *j);
/* Makes j->work, a new work directory, and takes its lock; 0 or -1. */
int pydist_make_work(struct pydist_job *j);
/* Points the cache's "current-<version>" link at j->key, and "current" too
 * for the default version. */
void pydist_set_current(struct pydist_job *j);

/* source.c */

/* Decides what the source is (fetching Debian's package when none is
 * given), its version into j->pyver (refused when not the one asked for),
 * verifies a .dsc's files and hashes it into j->identity. */
int pydist_identify(struct pydist_job *j);
/* A path in j->prefix with "%V" replaced by j->pyver ("bin/python%V"),
 * malloc'd. */
char *pydist_prefix_path(const struct pydist_job *j, const char *rel);
/* Unpacks the source into j->src (dpkg-source -x, tar, or a copy). */
int pydist_unpack(struct pydist_job *j);
/* The quoted value of "#define name" in file (malloc'd), or NULL. */
char *pydist_read_define(const char *file, const char *name);

/* patch.c: changing the unpacked tree. */

/* One replacement: the first `old` in a file becomes `new`. */
struct pydist_source_edit {
	const char *old, *new;
};

/* The part of a patch file that touches one file (malloc'd), or NULL. */
char *pydist_patch_part(const char *patch, const char *file);
/* Reverses a patch file in j->src if it reverses cleanly (recording why),
 * else logs and leaves the tree; -1 only on an error. */
int pydist_reverse_patch(struct pydist_job *j, const char *patch_file, const char *why);
/* Applies every edit to j->src's file rel, or none: 1 done, 0 some `old`
 * missing (logged, nothing changed), -1 on an error. */
int pydist_edit_source(struct pydist_job *j, const char *rel,
                       const struct pydist_source_edit *e, size_t n);
/* Whether every hunk of pyweld's patch `name` applies to j->src: 1 yes,
 * 0 no (logged, naming the patch and its files), -1 on an error. */
int pydist_patch_applies(struct pydist_job *j, const char *name);
/* Applies pyweld's patch `name` to j->src, all of it or nothing: 1
 * applied, 0 not applicable (logged, nothing changed), -1 on an error. */
int pydist_apply_patch(struct pydist_job *j, const char *name);

/* The steps after unpacking, each in its own file. */

/* Reads the tree's versions and makes pyweld's changes to it (adjust.c). */
int pydist_adjust(struct pydist_job *j);
/* configure, make and make install into j->prefix (make.c). */
int pydist_configure_make_install(struct pydist_job *j);
/* libpython3.X.a's members optimised together into one object (lto.c). */
int pydist_lto_libpython(struct pydist_job *j);
/* Appends the modules pyweld build leaves out as --exclude options. */
void pydist_push_excludes(struct strvec *args);
/* Runs regex_table.py (in dir, beside freeze_stdlib.py, which it imports):
 * re/_pyweld_precompiled.py written into the installed library (regex.c). */
int pydist_regex_table(struct pydist_job *j, const char *dir);
/* The regexes precompiled, then the standard library deep-frozen into
 * prefix/lib/pyweld-frozen (freeze.c). */
int pydist_freeze_stdlib(struct pydist_job *j, const char *jobs);
/* Checks the new interpreter and records its modules in dist.linkdb and
 * distribution.json (record.c). */
int pydist_record(struct pydist_job *j);

#endif

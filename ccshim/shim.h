/*
 * shim.h: the internals of pyweld-cc, the wrapper compiler (shim.c,
 * shim_run.c, shim_record.c, shim_side.c); nothing else includes this.
 */
#ifndef PYWELD_CCSHIM_SHIM_H
#define PYWELD_CCSHIM_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccshim.h"
#include "linkdb.h"
#include "util.h"

/* Set in the environment of every real tool we start: a shim that finds it
 * is running inside another shim's real tool (gcc's collect2 looking up ld
 * on PATH, a launcher calling back) and only passes the call through. */
#define ACTIVE_VAR "PYWELD_SHIM_ACTIVE"

/*
 * A source read from a stream that cannot be read twice (standard input,
 * /dev/fd/N on a pipe), read to its end before the real tool runs: the real
 * tool and the record's compile each get the same bytes on the same
 * descriptor (see ccshim__capture_streams).
 */
struct shim_stream {
	int fd;                 /* the descriptor the source is read from */
	int copy;               /* a memfd holding its bytes, or -1 */
	bool complete;          /* copy holds everything, up to end of file */
};

/* One run of pyweld-cc that records: the command, its real tool, where to record. */
struct shim {
	struct ccshim_cmd cmd;
	char **tool;                    /* the real command's words */
	char *cwd;
	struct linkdb *db;
	const char *dbpath;
	int64_t build;
	char *tmpdir;                   /* for objects compiled only to record */
	struct ccshim_conf *conf;       /* every role's real tool (ar for thin archives) */
	int fat_count;
	struct shim_stream *streams;    /* sources read from pipes, kept for the record */
	size_t nstreams;
};

/* --- shim_run.c: running the real tool ------------------------------------- */

/* The real tool's environment says it runs depth + 1 shims deep. */
void ccshim__set_depth(int depth);
/*
 * A configured command that names a program without a path ("distcc gcc")
 * leaves the lookup to the launcher: takes every shim directory out of
 * PATH for this process and the real tool.  Dies when out of memory.
 */
void ccshim__hide_shims_for(char *const *tool);
/* argv for the real run: the configured words, then argv[1..] (malloc'd vector). */
char **ccshim__real_argv(char **prefix, int argc, char **argv);
/* The environment for a real tool: ours plus PYWELD_SHIM_ACTIVE (malloc'd vector). */
char **ccshim__active_env(void);
/* Replaces this process with the real tool; dies when it cannot be run. */
void ccshim__pass_through(char **argv) UTIL_NORETURN;
/* Ends this process as the real tool ended, given its wait status. */
void ccshim__exit_like(int wstatus) UTIL_NORETURN;
/* true when the wait status is a normal exit with status 0. */
bool ccshim__exited_zero(int wstatus);
/*
 * Runs the real tool and waits; returns its wait status, or -1 with errno.
 * quiet sends its output to /dev/null; each stream's copy is given to it on
 * the stream's descriptor, read from its start.
 */
int ccshim__run_real(char **argv, char **envp, bool quiet,
                     const struct shim_stream *streams, size_t nstreams);
/* Reads ahead every stream a shared link compiles a source from (into s->streams). */
void ccshim__capture_streams(struct shim *s);
/* The captured stream the source path is read from, or NULL. */
const struct shim_stream *ccshim__source_stream(const struct shim *s, const char *path);

/* --- shim_record.c: recording ------------------------------------------------ */

/* PYWELD_STRICT=1: a recording failure is an error (exit status 1), not a warning. */
extern bool ccshim__strict;
/* A recording problem: a warning, or with ccshim__strict an error (*status 1). */
void ccshim__record_failed(int *status, const char *what, const char *why);
/* true when the command builds a configure, CMake or meson probe. */
bool ccshim__probe_command(const struct ccshim_cmd *cmd, const char *cwd);
/* true for what is recorded: compiles, shared links, archives. */
bool ccshim__wants_record(const struct ccshim_cmd *cmd);
/* Makes s->tmpdir (once) for files made only for the record; -1 + errno. */
int ccshim__make_tmpdir(struct shim *s);
/* Records each source s->cmd compiled; failures go to ccshim__record_failed. */
void ccshim__record_compile(struct shim *s, int *status);
/* Records the shared link s->cmd made, with its inputs in order. */
void ccshim__record_link(struct shim *s, int *status);
/* Records the archive (ar) or archives (ranlib) s->cmd wrote. */
void ccshim__record_archive(struct shim *s, int *status);

/* --- shim_side.c: the record's compile of a linked source -------------------- */

/*
 * Compiles src, which the shared link s->cmd compiles itself, once more
 * into s->tmpdir for the record.  Returns the object (malloc'd), or NULL
 * with the reason in why.
 */
char *ccshim__side_compile(struct shim *s, const struct ccshim_input *src, char *why,
                           size_t whylen);

#endif

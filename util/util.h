/*
 * util: the small helpers every pyweld program shares.
 *
 * Messages, dying allocators for programs (x*), and non-dying building
 * blocks for libraries (strbuf, strvec, files, paths, processes, commands
 * run with a log).  util depends on the C library only; it is not one of
 * the rooms but the floor they all stand on (see docs/architecture.md).
 * This is util's one header; each group of prototypes below names the file
 * that holds it.
 */
#ifndef PYWELD_UTIL_H
#define PYWELD_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if defined(__GNUC__)
#define UTIL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define UTIL_NORETURN __attribute__((noreturn))
#else
#define UTIL_PRINTF(f, a)
#define UTIL_NORETURN
#endif

/* The number of elements of an array (not of a pointer). */
#ifndef countof
#define countof(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* message.c: messages (programs only; libraries keep messages on their handle) */

/* Set the name that prefixes every message ("pyweld"); the string is kept. */
void util_set_progname(const char *name);
/* The name util_set_progname set ("pyweld" until then). */
const char *util_progname(void);

/*
 * "<prog>: warning: <msg>" / "<prog>: error: <msg>" / "hint: <msg>" on
 * stderr.  A format that ends in ':' appends ' ' and strerror(errno).
 */
void util_warn(const char *fmt, ...) UTIL_PRINTF(1, 2);
/* A partial line is on stderr (open: a step's progress) or not: a message
 * ends it first, so that every message starts a line of its own. */
void util_stderr_partial(bool open);
/* Whether a message ended the partial line (then cleared). */
bool util_stderr_interrupted(void);
/* "<prog>: error: <msg>"; errno is kept for the caller. */
void util_error(const char *fmt, ...) UTIL_PRINTF(1, 2);
/* "hint: <msg>": what to do next, after a warning or an error. */
void util_hint(const char *fmt, ...) UTIL_PRINTF(1, 2);
/* util_error() then exit(1). */
void util_fatal(const char *fmt, ...) UTIL_PRINTF(1, 2) UTIL_NORETURN;
/* "<prog>: error: <msg>" then exit(2): command-line usage errors. */
void util_usage_error(const char *fmt, ...) UTIL_PRINTF(1, 2) UTIL_NORETURN;
/* The message of kind "warning", "error" or "hint" (NULL: the text alone). */
void util_vmessage(const char *kind, const char *fmt, va_list ap);

/* message.c: dying allocators (programs only): out of memory ends the program */

/* malloc; never NULL (0 bytes is one). */
void *xmalloc(size_t n);
/* calloc; never NULL. */
void *xcalloc(size_t nmemb, size_t size);
/* realloc of nmemb * size; an overflowing product ends the program too. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
/* strdup; never NULL. */
char *xstrdup(const char *s);
/* asprintf's string (malloc'd); never NULL. */
char *xasprintf(const char *fmt, ...) UTIL_PRINTF(1, 2);

/* strbuf.c: a growable string; non-dying, failure is sticky */

struct strbuf {
	char *s;        /* always NUL-terminated once anything was added */
	size_t len, cap;
	bool failed;    /* an allocation failed; contents are incomplete */
};

/* Appends n bytes of p (which may hold NULs). */
void strbuf_add(struct strbuf *sb, const void *p, size_t n);
/* Appends the string s. */
void strbuf_adds(struct strbuf *sb, const char *s);
/* Appends one byte. */
void strbuf_addc(struct strbuf *sb, char c);
/* Appends printf's output. */
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) UTIL_PRINTF(2, 3);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Returns the string (never NULL: "" when empty) or NULL after a failure. */
const char *strbuf_str(struct strbuf *sb);
/* Hands the buffer to the caller (free()); NULL after a failure. */
char *strbuf_detach(struct strbuf *sb);
/* Empties sb, keeping its memory (and a failure). */
void strbuf_reset(struct strbuf *sb);
/* Frees sb's memory and clears it, failure included. */
void strbuf_free(struct strbuf *sb);

/* strbuf.c: a vector of owned strings; non-dying, failure is sticky */

struct strvec {
	char **v;       /* NULL-terminated once anything was added */
	size_t n, cap;
	bool failed;
};

void strvec_push(struct strvec *sv, const char *s);   /* copies s */
void strvec_push_owned(struct strvec *sv, char *s);   /* consumes s */
/* Appends asprintf's string. */
void strvec_pushf(struct strvec *sv, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* Frees every string and the array, and clears sv, failure included. */
void strvec_free(struct strvec *sv);
/* NULL-terminated array (a static empty one when nothing was pushed). */
char **strvec_argv(struct strvec *sv);
/* The same, read-only: what util_run and the itg_ lists take. */
const char *const *strvec_cargv(const struct strvec *sv);
/* Whether sv holds a string equal to s. */
bool strvec_has(const struct strvec *sv, const char *s);

/* file.c: files and atomic writes (return 0 / -1 with errno) */

/* Reads a whole file; *buf is NUL-terminated and owned by the caller. */
int util_read_file(const char *path, char **buf, size_t *len);
/* Writes to a temporary beside path, fsyncs if asked, renames into place. */
int util_write_atomic(const char *path, const void *buf, size_t len,
                      mode_t mode, bool sync);
/* The same with the temporary in tmpdir (same file system as path). */
int util_write_atomic_via(const char *tmpdir, const char *path, const void *buf,
                          size_t len, mode_t mode, bool sync);
/*
 * The first half of an atomic write: a new file beside path (in tmpdir
 * instead when not NULL, which must be on path's file system), made by
 * mkstemp: O_EXCL, mode 0600, a name no other process (of any pid
 * namespace or host sharing the directory) can hold or have planted.
 * Returns its descriptor and its name in *tmp (malloc'd), or -1 + errno.
 */
int util_atomic_open(const char *tmpdir, const char *path, char **tmp);
/*
 * The second half: sets mode, with sync fsyncs the file, closes it, renames
 * it over path and, with sync, fsyncs path's directory so that the rename
 * survives a power failure too.  Consumes fd and tmp (the temporary is
 * removed on failure).  0, or -1 + errno (when only the directory's fsync
 * failed, path already holds the new file).
 */
int util_atomic_commit(int fd, char *tmp, const char *path, mode_t mode, bool sync);
/* Gives up what util_atomic_open began: closes fd, removes and frees tmp. */
void util_atomic_abort(int fd, char *tmp);
/* fsyncs the directory that holds path (its entries: renames, creations). */
int util_fsync_dir(const char *path);
/* Points the symbolic link linkpath at target atomically (a uniquely named
 * link renamed over it).  0 or -1 + errno. */
int util_symlink_atomic(const char *target, const char *linkpath);
/* write(2) until all of buf is written (EINTR retried); 0 or -1 + errno. */
int util_write_all(int fd, const void *buf, size_t len);
/* mkdir -p; existing directories are fine. */
int util_mkdir_p(const char *path, mode_t mode);
/* rm -rf; a missing path is fine. */
int util_remove_tree(const char *path);

/* path.c: paths and finding programs */

/* "a/b" (no doubled slash); malloc'd, NULL on ENOMEM. */
char *util_path_join(const char *a, const char *b);
/*
 * Absolute, lexically normalised path ("." and ".." folded, no symlink
 * resolution, so it works for files that do not exist yet).
 */
char *util_abspath(const char *path);
/* Pointer to the last component of path (inside path). */
const char *util_basename(const char *path);
/* Directory part of path, malloc'd ("." when there is none). */
char *util_dirname(const char *path);
/* Whether path is a directory / a regular file (symbolic links followed). */
bool util_is_dir(const char *path);
bool util_is_file(const char *path);
/* Absolute path of the running executable (malloc'd), NULL on failure. */
char *util_self_exe(void);
/* Finds name on PATH (or the given search path); skips files whose
 * device/inode equal *skip when skip is not NULL.  malloc'd or NULL. */
struct stat;
char *util_which(const char *name, const char *path, const struct stat *skip);

/* private.c: directories no other user controls */

/* Why util_private_dir refused a directory. */
enum util_private {
	UTIL_PRIVATE_OK,
	UTIL_PRIVATE_ERRNO,        /* it cannot be created or examined: errno */
	UTIL_PRIVATE_NOT_DIR,      /* it is not a directory */
	UTIL_PRIVATE_OWNER,        /* it (or the symbolic link) belongs to another user */
	UTIL_PRIVATE_WRITABLE,     /* another user may write in it */
};

struct util_private_check {
	enum util_private why;
	char *path;                /* the directory at fault (malloc'd) */
	uid_t uid;                 /* its owner (UTIL_PRIVATE_OWNER) */
	int err;                   /* errno (UTIL_PRIVATE_ERRNO) */
};

/*
 * Checks (and with create, first makes with mode, component by component)
 * the directory path, for data no other user may control: path itself must
 * be a directory owned by this user or root that no other user can write
 * in, and every directory above it must be owned by this user or root and
 * not writable by others unless sticky (/tmp), so that nobody else can
 * rename path away and put another in its place.  Examined with lstat: a
 * symbolic link on the way must belong to this user or root, and where it
 * leads is checked the same way.  Group write is another user's write
 * unless the group is the user's own private group (its name, no other
 * member listed).  0, or -1 with the reason in *c (util_private_free).
 */
int util_private_dir(const char *path, bool create, mode_t mode,
                     struct util_private_check *c);
/* Frees what a refusal put in c (c->path). */
void util_private_free(struct util_private_check *c);

/* process.c: processes (argv and envp are never changed; no shell) */

/*
 * Runs argv (argv[0] a path, or a name looked up on PATH) with envp (NULL:
 * the current environment) and waits.  Returns the exit status as the
 * shell would report it (128+signal for a signal), or -1 with errno when
 * the program could not be started.  No shell is involved.
 */
int util_run(const char *const argv[], const char *const envp[]);
/* Like util_run, but collects stdout into *out (NUL-terminated, caller
 * frees); stderr passes through.  Returns the exit status or -1. */
int util_run_capture(const char *const argv[], const char *const envp[], char **out,
                     size_t *outlen);
/*
 * Runs argv in cwd (NULL: here) with envp, stdout and stderr both going to
 * a pipe whose lines are appended to logfd (if >= 0) and handed to line()
 * (if not NULL) one at a time, without the newline.  Returns the exit
 * status as util_run does, or -1 with errno.
 */
int util_run_logged(const char *const argv[], const char *const envp[], const char *cwd,
                    int logfd, void (*line)(void *ctx, const char *text),
                    void *ctx);
/* Appends every entry of the environment that starts with none of the
 * NULL-terminated prefixes ("CC=", "PYWELD_") to out. */
void util_env_without(const char *const *drop, struct strvec *out);
/* Exit status of a wait() status in shell terms. */
int util_wait_status(int status);

/* cmdlog.c: a command run with its output in a log, and the errors it printed */

struct util_cmdlog {
	int logfd;              /* the log (-1: none) */
	bool echo;              /* the command and its output on stderr too (-v) */
	/* Each line of output (without its newline) for the caller's own
	 * counters and checks, or NULL. */
	void (*line)(void *ctx, const char *text);
	void *ctx;
	/* What the last run printed ("" when nothing of the kind): */
	char first_error[512];  /* the first compiler or linker error line */
	char pip_error[512];    /* pip's last "ERROR: " line, after "ERROR: " */
	char last_error[512];   /* the last line that reads like an error */
};

/*
 * Runs argv in cwd (NULL: here) with envp (NULL: this environment), the
 * command line then its stdout and stderr appended to c->logfd, each line
 * handed to c->line; fills c's error lines.  Returns the exit status as
 * util_run does, or -1 with errno when it could not be started.
 */
int util_cmdlog_run(struct util_cmdlog *c, const char *const argv[], const char *const envp[],
                    const char *cwd);

/* text.c: text helpers */

/* Whether s begins / ends with the given text. */
bool util_starts_with(const char *s, const char *prefix);
bool util_ends_with(const char *s, const char *suffix);
/* A distribution's name as PEP 503 normalises it (lower case, each run of
 * '-', '_' and '.' one '-'; malloc'd). */
char *util_pep503_name(const char *name);
/* Parses a whole decimal int64; false on junk or overflow. */
bool util_parse_i64(const char *s, int64_t *out);
/*
 * Whether a file name (or path: its last component decides) names a shared
 * object: "x.so", or "libx.so.1" with a version after ".so.".
 */
bool util_is_shared_object(const char *path);
/*
 * s with every control character as '?', in place (returns s): C0 and DEL,
 * the C1 controls U+0080-U+009F in UTF-8 (0xc2 0x80-0x9f: an 8-bit CSI
 * drives a terminal as ESC [ does), and each byte that begins no UTF-8
 * sequence.  Text from package metadata or file names, before a terminal.
 */
char *util_safe_text(char *s);
/*
 * url without what may be a credential (malloc'd): the user:password@ of
 * its authority and its query (an index's token, a signed URL's
 * signature); the path and the fragment stay.  Text without "://" is
 * returned as it is.  For URLs a build records and ships.
 */
char *util_url_without_credentials(const char *url);

/* clock.c: clocks */

/* Monotonic clock in seconds. */
double util_now(void);
/* Wall-clock time in seconds since the epoch. */
double util_wall(void);

#endif

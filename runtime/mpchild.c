/*
 * mpchild.c: is this command line one of multiprocessing's children?
 *
 * multiprocessing starts sys.executable, which in a welded binary is the
 * binary, for its spawn children, its fork server and its resource
 * tracker, with python command lines (CPython 3.11: spawn.py
 * get_command_line, forkserver.py and resource_tracker.py
 * ensure_running):
 *
 *   EXE FLAGS -c 'from multiprocessing.spawn import spawn_main;
 *       spawn_main(tracker_fd=5, pipe_handle=7)' --multiprocessing-fork
 *   EXE FLAGS -c 'from multiprocessing.forkserver import main;
 *       main(3, 4, ['__main__'], **{'sys_path': ['/opt/app']})'
 *   EXE FLAGS -c 'from multiprocessing.resource_tracker import main;main(3)'
 *
 * and, in later 3.13 releases (3.13.15 has it, 3.13.5 has not; gh-144503:
 * the parent's sys.argv travels as arguments after the program, not inside
 * it), the fork server as
 *
 *   EXE FLAGS -c 'import sys; from multiprocessing.forkserver import main;
 *       main(3, 4, ['__main__'], sys_argv=sys.argv[1:],
 *       **{'sys_path': ['/opt/app'], 'main_path': '/opt/app/x.py'})' ARG...
 *
 * (each program one line, without the line breaks shown here) where FLAGS
 * are subprocess._args_from_interpreter_flags(), in its order: -O..., -d...,
 * -B, -S, -v..., -b..., -q..., then -I or some of -E -s -P, then -WOPTION
 * arguments, then -X dev and -X faulthandler, tracemalloc, importtime,
 * showrefcount, utf8 (each NAME or NAME=VALUE).  An application with an
 * entry point must act as that interpreter for these lines, and for
 * nothing else: a caller who may run the application with arguments of
 * their choosing (a sudoers rule, an SSH forced command running `app *`)
 * must not reach python's -c, -m or a script through it.  So a line is
 * accepted only when it is one of those above exactly: the program text
 * is CPython's character for character, with only what CPython formats
 * into it, each checked (decimal numbers; module names that are dotted
 * identifiers; sys_path entries that are str literals as repr() writes
 * them, nothing else in the dict), and no argument more or less.
 *
 * The program text alone is not the gate: a spawn child unpickles what
 * its pipe brings (pickle runs code), a fork server imports its preload
 * modules from the sys_path it is given.  What only a real parent can give
 * is the descriptors the line names, inherited: a spawn child's pipe to
 * read its job from and the resource tracker's pipe to write to, the fork
 * server's listening Unix socket and its "alive" pipe, the tracker's pipe.
 * They are checked for kind and direction, and must be 3 or above: 0-2
 * are the caller's stdin, stdout and stderr, which a caller controls
 * (sshd hands a forced command its channel there), and sudo or sshd hand
 * over nothing above them.
 */
#include "mpchild.h"

#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#if __has_include(<patchlevel.h>)
#include <patchlevel.h>
#endif

/* The fork server's form with the parent's argv: CPython 3.13 and later's
 * (the weld compiles this file with the distribution's headers), and in
 * the unit test, built without them, always. */
#if !defined(PY_VERSION_HEX) || PY_VERSION_HEX >= 0x030D0000
#define MP_FORKSERVER_ARGV 1
#endif

#define countof(a) (sizeof(a) / sizeof((a)[0]))

static const char spawn_prog[] =
	"from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=";
static const char forkserver_prog[] = "from multiprocessing.forkserver import main; main(";
#ifdef MP_FORKSERVER_ARGV
static const char forkserver_argv_prog[] = "import sys; from multiprocessing.forkserver import "
	"main; main(";
#endif
static const char tracker_prog[] = "from multiprocessing.resource_tracker import main;main(";

/* --- the program text ------------------------------------------------------ */

/* Skips s at *p; 0 (and *p as it was) when it is not there. */
static int
skip(const char **p, const char *s)
{
	size_t n = strlen(s);

	if (strncmp(*p, s, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/* A descriptor as %d writes it: 0 or no leading zero, at most INT_MAX. */
static int
number(const char **p, int *out)
{
	const char *s = *p;
	long v = 0;

	if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return 0;
	}
	*out = (int)v;
	*p = s;
	return 1;
}

/* n lowercase hex digits, as repr() writes \x, \u and \U escapes. */
static int
hex(const char **p, int n, unsigned long *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c >= '0' && c <= '9')
			*v = *v << 4 | (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v = *v << 4 | (unsigned long)(c - 'a' + 10);
		else
			return 0;
	}
	*p += n;
	return 1;
}

/* One UTF-8 encoded character beyond ASCII: well-formed, shortest form, no
 * surrogate, at most U+10FFFF, and printable as far as repr() goes for C1
 * controls (U+0080-U+009F, which it writes as \x escapes). */
static int
utf8_char(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	unsigned long cp;
	int n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 1, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 2, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 3, cp = s[0] & 0x07u;
	else
		return 0;
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)      /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f)
		return 0;
	*p += n + 1;
	return 1;
}

/*
 * A str literal as repr() writes one: in single quotes, or in double
 * quotes when the text holds a single quote and no double one; escapes
 * \\ \' \t \n \r \xhh \uhhhh \Uhhhhhhhh only; no control character raw.
 */
static int
str_literal(const char **p)
{
	const char *s = *p;
	char q = *s;
	unsigned long v;

	if (q != '\'' && q != '"')
		return 0;
	for (s++; *s != q;) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)     /* the NUL too: unterminated */
			return 0;
		if (c >= 0x80) {
			if (!utf8_char(&s))
				return 0;
			continue;
		}
		s++;
		if (c != '\\')
			continue;
		c = (unsigned char)*s++;
		if (c == '\\' || c == 't' || c == 'n' || c == 'r' || (c == '\'' && q == '\''))
			continue;
		if (!((c == 'x' && hex(&s, 2, &v)) || (c == 'u' && hex(&s, 4, &v)) ||
		      (c == 'U' && hex(&s, 8, &v) && v <= 0x10ffff)))
			return 0;
	}
	*p = s + 1;
	return 1;
}

/* 'a.b_c': a module name made of dotted ASCII identifiers, in single
 * quotes (which is how repr() writes one). */
static int
name_literal(const char **p)
{
	const char *s = *p;

	if (*s++ != '\'')
		return 0;
	for (;;) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
			return 0;
		while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
		       (*s >= '0' && *s <= '9'))
			s++;
		if (*s != '.')
			break;
		s++;
	}
	if (*s++ != '\'')
		return 0;
	*p = s;
	return 1;
}

/* [] or [ITEM, ITEM, ...], as repr() writes a list. */
static int
list_of(const char **p, int (*item)(const char **))
{
	const char *s = *p;

	if (!skip(&s, "["))
		return 0;
	if (!skip(&s, "]")) {
		do {
			if (!item(&s))
				return 0;
		} while (skip(&s, ", "));
		if (!skip(&s, "]"))
			return 0;
	}
	*p = s;
	return 1;
}

/*
 * The fork server's keyword arguments: forkserver.py keeps 'main_path' and
 * 'sys_path' of spawn.get_preparation_data(), whose keys in 3.11 include
 * sys_path only (the main module's is 'init_main_from_path'): {} or
 * {'sys_path': [...]}.
 */
static int
forkserver_kwargs(const char **p)
{
	const char *s = *p;

	if (!skip(&s, "{}") &&
	    !(skip(&s, "{'sys_path': ") && list_of(&s, str_literal) && skip(&s, "}")))
		return 0;
	*p = s;
	return 1;
}

#ifdef MP_FORKSERVER_ARGV
/*
 * The same in the form with the parent's argv (gh-144503), where
 * forkserver.py passes the main module's 'init_main_from_path' as
 * 'main_path' after 'sys_path': {}, {'sys_path': [...]} or
 * {'sys_path': [...], 'main_path': '...'}.
 */
static int
forkserver_argv_kwargs(const char **p)
{
	const char *s = *p;

	if (skip(&s, "{}")) {
		*p = s;
		return 1;
	}
	if (!skip(&s, "{'sys_path': ") || !list_of(&s, str_literal))
		return 0;
	if (skip(&s, ", 'main_path': ") && !str_literal(&s))
		return 0;
	if (!skip(&s, "}"))
		return 0;
	*p = s;
	return 1;
}
#endif

/* --- the interpreter's flags ------------------------------------------------------ */

/* "-" and the letter c one or more times, at most max (0: any number). */
static int
repeated(const char *a, char c, int max)
{
	int n = 0;

	if (*a++ != '-')
		return 0;
	for (; *a == c; a++)
		n++;
	return *a == '\0' && n > 0 && (max == 0 || n <= max);
}

/* -X NAME or -X NAME=VALUE. */
static int
xoption(const char *a, const char *name)
{
	size_t n = strlen(name);

	return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

/* Skips what subprocess._args_from_interpreter_flags() emits, in its order,
 * from argv[*i] on. */
static void
interpreter_flags(int argc, char *const *argv, int *i)
{
	/* -O first (_optim_args_from_interpreter_flags), then its flag_opt_map:
	 * '-' + letter * sys.flags.<flag>; B and S are 0 or 1. */
	static const struct {
		char letter;
		int max;
	} counted[] = {
		{ 'O', 0 }, { 'd', 0 }, { 'B', 1 }, { 'S', 1 }, { 'v', 0 }, { 'b', 0 }, { 'q', 0 },
	};
	static const char *const xopts[] = {
		"faulthandler", "tracemalloc", "importtime", "showrefcount", "utf8",
	};
	int k = *i;

	for (size_t j = 0; j < countof(counted); j++)
		if (k < argc && repeated(argv[k], counted[j].letter, counted[j].max))
			k++;
	if (k < argc && !strcmp(argv[k], "-I")) {
		k++;
	} else {
		if (k < argc && !strcmp(argv[k], "-E"))
			k++;
		if (k < argc && !strcmp(argv[k], "-s"))
			k++;
		if (k < argc && !strcmp(argv[k], "-P"))
			k++;
	}
	while (k < argc && !strncmp(argv[k], "-W", 2) && argv[k][2])
		k++;
	if (k + 1 < argc && !strcmp(argv[k], "-X") && !strcmp(argv[k + 1], "dev"))
		k += 2;
	for (size_t j = 0; j < countof(xopts); j++)
		if (k + 1 < argc && !strcmp(argv[k], "-X") && xoption(argv[k + 1], xopts[j]))
			k += 2;
	*i = k;
}

/* --- the descriptors -------------------------------------------------------------- */

/* A pipe's end (or a FIFO), open for reading (O_RDONLY) or writing
 * (O_WRONLY), not one of the standard descriptors. */
static int
pipe_end(int fd, int mode)
{
	struct stat st;
	int fl;

	if (fd < 3 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return 0;
	fl = fcntl(fd, F_GETFL);
	return fl >= 0 && (fl & O_ACCMODE) == mode;
}

/* A listening Unix stream socket, not one of the standard descriptors. */
static int
listener(int fd)
{
	struct stat st;
	int v;
	socklen_t len = sizeof(v);

	if (fd < 3 || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0 || v != AF_UNIX)
		return 0;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) < 0 || v != SOCK_STREAM)
		return 0;
	len = sizeof(v);
	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v == 1;
}

/* --- the command line ------------------------------------------------------------- */

enum rt_mp_child
rt_mp_child(int argc, char *const *argv)
{
	const char *p;
	int i = 1, a, b;

	if (!argv || argc < 3)
		return RT_MP_NONE;
	for (int k = 0; k < argc; k++)
		if (!argv[k])
			return RT_MP_NONE;
	interpreter_flags(argc, argv, &i);
	if (i + 1 >= argc || strcmp(argv[i], "-c") != 0)
		return RT_MP_NONE;

#ifdef MP_FORKSERVER_ARGV
	/* The fork server with the parent's argv after the program: any
	 * number of arguments, which become its sys.argv[1:]. */
	p = argv[i + 1];
	if (skip(&p, forkserver_argv_prog) && number(&p, &a) && skip(&p, ", ") &&
	    number(&p, &b) && skip(&p, ", ") && list_of(&p, name_literal) &&
	    skip(&p, ", sys_argv=sys.argv[1:], **") && forkserver_argv_kwargs(&p) &&
	    skip(&p, ")") && *p == '\0' && listener(a) && pipe_end(b, O_RDONLY))
		return RT_MP_FORKSERVER;
#endif
	p = argv[i + 1];
	if (i + 3 == argc && !strcmp(argv[i + 2], "--multiprocessing-fork") &&
	    skip(&p, spawn_prog) && number(&p, &a) && skip(&p, ", pipe_handle=") &&
	    number(&p, &b) && skip(&p, ")") && *p == '\0' &&
	    pipe_end(a, O_WRONLY) && pipe_end(b, O_RDONLY))
		return RT_MP_SPAWN;
	if (i + 2 != argc)
		return RT_MP_NONE;

	p = argv[i + 1];
	if (skip(&p, forkserver_prog) && number(&p, &a) && skip(&p, ", ") &&
	    number(&p, &b) && skip(&p, ", ") && list_of(&p, name_literal) &&
	    skip(&p, ", **") && forkserver_kwargs(&p) && skip(&p, ")") && *p == '\0' &&
	    listener(a) && pipe_end(b, O_RDONLY))
		return RT_MP_FORKSERVER;

	p = argv[i + 1];
	if (skip(&p, tracker_prog) && number(&p, &a) && skip(&p, ")") && *p == '\0' &&
	    pipe_end(a, O_RDONLY))
		return RT_MP_TRACKER;
	return RT_MP_NONE;
}

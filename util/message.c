/*
 * message.c: what a program says on stderr, and the allocators that end it
 * when memory runs out.
 *
 * Messages follow one shape ("<prog>: error: what failed 'subject': why",
 * then "hint: ..."); errno survives them, so a caller may still report it.
 * The x* allocators are for programs only: libraries report ENOMEM.
 */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *progname = "pyweld";
static bool partial, interrupted;

void
util_stderr_partial(bool open)
{
	partial = open;
	interrupted = false;
}

bool
util_stderr_interrupted(void)
{
	bool was = interrupted;

	interrupted = false;
	return was;
}

void
util_set_progname(const char *name)
{
	progname = name;
}

const char *
util_progname(void)
{
	return progname;
}

void
util_vmessage(const char *kind, const char *fmt, va_list ap)
{
	int err = errno;
	size_t n = strlen(fmt);

	if (partial) {
		fputc('\n', stderr);
		partial = false;
		interrupted = true;
	}
	if (kind && strcmp(kind, "hint") == 0)
		fputs("hint: ", stderr);
	else if (kind)
		fprintf(stderr, "%s: %s: ", progname, kind);
	vfprintf(stderr, fmt, ap);
	if (n > 0 && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(err));
	fputc('\n', stderr);
	errno = err;
}

#define MESSAGE(kind) do { \
	va_list ap; \
	va_start(ap, fmt); \
	util_vmessage(kind, fmt, ap); \
	va_end(ap); \
} while (0)

void util_warn(const char *fmt, ...) { MESSAGE("warning"); }
void util_error(const char *fmt, ...) { MESSAGE("error"); }
void util_hint(const char *fmt, ...) { MESSAGE("hint"); }

void
util_fatal(const char *fmt, ...)
{
	MESSAGE("error");
	exit(1);
}

void
util_usage_error(const char *fmt, ...)
{
	MESSAGE("error");
	exit(2);
}

static void *
nomem(void)
{
	fprintf(stderr, "%s: error: out of memory\n", progname);
	exit(1);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	return p ? p : nomem();
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	return p ? p : nomem();
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	size_t total;

	if (size && nmemb > SIZE_MAX / size)
		return nomem();
	total = nmemb * size;
	p = realloc(p, total > 0 ? total : 1);
	return p ? p : nomem();
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);
	return p ? p : nomem();
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	return r < 0 ? nomem() : p;
}

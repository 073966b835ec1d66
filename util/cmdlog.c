/*
 * cmdlog.c: a command run with its output in a log, and the error lines
 * it printed.
 *
 * The log gets "+ command" ("+ (cd DIR) command" when it runs elsewhere)
 * and then everything the command wrote on stdout and stderr, byte for
 * byte.  Each line is looked at as it comes, for three kinds of error
 * line that callers turn into their messages: the first error of a
 * compiler or linker (the cause, when a compile fails under pip or make),
 * pip's last "ERROR: " line (what pip concluded), and the last line that
 * reads like an error at all (what a failed step said last, "No space
 * left on device" included).  What each run found replaces what the run
 * before it found.
 */
#include "util.h"

#include <stdio.h>
#include <string.h>

/* The first error of a compiler or linker: gcc's "x.c:1:2: error: ...",
 * its "fatal error", a bare "error: ..." (setuptools, ld), ld's undefined
 * and multiple definitions.  t has no leading spaces. */
static bool
compiler_error(const char *t)
{
	return strstr(t, ": error: ") || strstr(t, ": fatal error: ") ||
	       util_starts_with(t, "error: ") || strstr(t, "undefined reference to") ||
	       strstr(t, "multiple definition of");
}

/* Any line that reads like an error, as make, configure and the tools
 * they run print them. */
static bool
generic_error(const char *text)
{
	return strstr(text, "error:") || strstr(text, "Error ") || strstr(text, "No space left") ||
	       strstr(text, "cannot ") || strstr(text, "error ");
}

static void
on_line(void *ctx, const char *text)
{
	struct util_cmdlog *c = ctx;
	const char *t = text;

	while (*t == ' ')
		t++;
	/* pip's summary of a failed wheel repeats what the compiler said
	 * first; its other ERROR: lines are its verdict. */
	if (util_starts_with(t, "ERROR: ") && !strstr(t, "Failed building wheel"))
		snprintf(c->pip_error, sizeof(c->pip_error), "%s", t + 7);
	else if (!c->first_error[0] && compiler_error(t))
		snprintf(c->first_error, sizeof(c->first_error), "%s", t);
	if (generic_error(text))
		snprintf(c->last_error, sizeof(c->last_error), "%s", text);

	if (c->line)
		c->line(c->ctx, text);
	if (c->echo)
		fprintf(stderr, "  | %s\n", text);
}

int
util_cmdlog_run(struct util_cmdlog *c, const char *const argv[], const char *const envp[],
                const char *cwd)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; argv[i]; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", argv[i]);
	if (c->logfd >= 0 && cwd)
		dprintf(c->logfd, "+ (cd %s) %s\n", cwd, sb.s ? sb.s : "");
	else if (c->logfd >= 0)
		dprintf(c->logfd, "+ %s\n", sb.s ? sb.s : "");
	if (c->echo)
		fprintf(stderr, "  + %s\n", sb.s ? sb.s : "");
	strbuf_free(&sb);
	c->first_error[0] = c->pip_error[0] = c->last_error[0] = '\0';
	return util_run_logged(argv, envp, cwd, c->logfd, on_line, c);
}

/*
 * build_progress.c: what `pyweld build` says while it works, and how it fails.
 *
 * One line per step on stderr, "pyweld: [3/7] isolate: 62 extension
 * modules, 60 from the cache (0.4 s)": the step's text, its notes after a
 * comma, its time when the next step begins (with -v each on a line of its
 * own, between the commands' output).  Every command runs with its output
 * in the build log, and a failure names the log and keeps the work
 * directory.
 */
#include "build.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* The running step's time: after its line, or on a line of its own when
 * -v is given or a message (a warning) ended its line. */
static void
step_time(struct cli_build *b, double now)
{
	if (!b->o.verbose && !util_stderr_interrupted())
		fprintf(stderr, " (%.1f s)\n", now - b->step_t0);
	else
		fprintf(stderr, "pyweld:   (%.1f s)\n", now - b->step_t0);
	util_stderr_partial(false);
}

/* A step begins: the time of the one before, "[n/N] what", a line in the log. */
void
cli_build_step(struct cli_build *b, const char *fmt, ...)
{
	va_list ap;
	double now = util_now();

	if (b->step > 0)
		step_time(b, now);
	b->step++;
	b->step_t0 = now;
	fprintf(stderr, "pyweld: [%d/%d] ", b->step, b->steps);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (b->o.verbose)
		fputc('\n', stderr);
	else
		util_stderr_partial(true);
	if (b->logfd >= 0) {
		dprintf(b->logfd, "\n=== pyweld: ");
		va_start(ap, fmt);
		vdprintf(b->logfd, fmt, ap);
		va_end(ap);
		dprintf(b->logfd, "\n");
	}
}

/* A remark on the running step ("60 from the cache"), before its time. */
void
cli_build_note(struct cli_build *b, const char *fmt, ...)
{
	va_list ap;

	fputs(b->o.verbose || util_stderr_interrupted() ? "pyweld:   " : ", ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (b->o.verbose)
		fputc('\n', stderr);
	else
		util_stderr_partial(true);
}

/* The time of the last step, after it. */
void
cli_build_end(struct cli_build *b)
{
	if (!b->o.verbose)
		step_time(b, util_now());
}

/* Runs a command with its output in the log (and on stderr with -v); its
 * error lines are in b->cmd afterwards. */
int
cli_build_run(struct cli_build *b, const char *const argv[], const char *const envp[],
              const char *cwd)
{
	int rc;

	b->cmd.logfd = b->logfd;
	b->cmd.echo = b->o.verbose;
	rc = util_cmdlog_run(&b->cmd, argv, envp, cwd);
	if (rc < 0)
		util_error("cannot run '%s':", argv[0]);
	return rc;
}

/* Fails the build: the message, the log, and no APP. */
void
cli_build_die(struct cli_build *b, const char *fmt, ...)
{
	va_list ap;

	/* The message ends a step's open line itself. */
	va_start(ap, fmt);
	util_vmessage("error", fmt, ap);
	va_end(ap);
	if (b->log)
		util_hint("the full log is '%s'", b->log);
	if (b->work && !b->o.keep_work && !b->o.work_dir)
		fprintf(stderr, "hint: the work directory '%s' is kept for inspection\n", b->work);
	exit(1);
}

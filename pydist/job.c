/*
 * job.c: what every step of a distribution build uses: its error message,
 * its log, its progress, and running one of its commands with the output
 * in the log.  The log is j->logfd (none: nothing is logged); progress goes
 * to j->p's callbacks, any of which may be NULL.
 */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

int
pydist_fail(struct pydist_job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->err, j->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Appends a line to the log. */
void
pydist_log(struct pydist_job *j, const char *fmt, ...)
{
	va_list ap;

	if (j->logfd < 0)
		return;
	va_start(ap, fmt);
	vdprintf(j->logfd, fmt, ap);
	va_end(ap);
	(void)!write(j->logfd, "\n", 1);
}

void
pydist_phase_start(struct pydist_job *j, enum pydist_phase p, const char *detail)
{
	j->phase = p;
	pydist_log(j, "\n=== pyweld: %s%s%s", pydist_phase_name(p), detail ? ": " : "",
	           detail ? detail : "");
	if (j->p && j->p->phase)
		j->p->phase(j->p->ctx, p, detail);
}

/* MiB available to us on the file system holding path (ULLONG_MAX if unknown). */
static unsigned long long
free_mib(const char *path)
{
	struct statvfs vfs;

	if (!path || statvfs(path, &vfs) < 0)
		return ~0ULL;
	return (unsigned long long)vfs.f_bavail * vfs.f_frsize / (1024 * 1024);
}

/* Counts compiles and shared links in make's output for the progress line. */
static void
on_line(void *ctx, const char *text)
{
	struct pydist_job *j = ctx;
	const char *s = text;

	while (*s == ' ')
		s++;
	if (j->phase == PYDIST_MAKE && (util_starts_with(s, "gcc ") || util_starts_with(s, "cc "))) {
		if (strstr(s, " -shared"))
			j->links++;
		else if (strstr(s, " -c "))
			j->compiles++;
		if (j->p && j->p->count)
			j->p->count(j->p->ctx, j->phase, j->compiles, j->links);
	}
	if (j->p && j->p->line)
		j->p->line(j->p->ctx, text);
}

/* make's -jN: --jobs, or one per processor. */
void
pydist_jobs_flag(const struct pydist_job *j, char *buf, size_t len)
{
	snprintf(buf, len, "-j%d", j->o->jobs > 0 ? j->o->jobs
	         : (int)sysconf(_SC_NPROCESSORS_ONLN));
}

/* Runs a command of the recipe with its output in the log. */
int
pydist_step(struct pydist_job *j, const char *const argv[], const char *const envp[],
            const char *cwd)
{
	const char *last_error = j->cmd.last_error;
	int rc;

	j->cmd.logfd = j->logfd;
	j->cmd.line = on_line;
	j->cmd.ctx = j;
	rc = util_cmdlog_run(&j->cmd, argv, envp, cwd);
	if (rc < 0)
		return pydist_fail(j, "%s failed: cannot run '%s': %s", pydist_phase_name(j->phase),
		                   argv[0], strerror(errno));
	if (rc != 0) {
		unsigned long long avail = free_mib(j->pydir);
		if (avail < 256 || strstr(last_error, "No space left"))
			return pydist_fail(j, "%s failed: '%s' exited with status %d: the cache '%s' is "
			                   "out of space (%llu MiB free; a build needs about 1.5 GiB)",
			                   pydist_phase_name(j->phase), util_basename(argv[0]), rc,
			                   j->pydir, avail);
		return pydist_fail(j, "%s failed: '%s' exited with status %d%s%s",
		                   pydist_phase_name(j->phase), util_basename(argv[0]), rc,
		                   last_error[0] ? ": " : "", last_error);
	}
	return 0;
}

/* The patches of each version, embedded by pydist/CMakeLists.txt. */
extern const struct embedded_file embedded_pydist_3_11[];
extern const struct embedded_file embedded_pydist_3_13[];
extern const struct embedded_file embedded_pydist_3_14[];

static const struct embedded_file *
lookup(const struct embedded_file *t, const char *name)
{
	for (const struct embedded_file *f = t; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

const struct embedded_file *
pydist_script(const char *name)
{
	return lookup(embedded_pydist, name);
}

const struct embedded_file *
pydist_patches(const char *version)
{
	static const struct embedded_file none[] = { { 0, 0, 0 } };

	if (!strcmp(version, "3.11"))
		return embedded_pydist_3_11;
	if (!strcmp(version, "3.13"))
		return embedded_pydist_3_13;
	if (!strcmp(version, "3.14"))
		return embedded_pydist_3_14;
	return none;
}

const struct embedded_file *
pydist_patch_file(const struct pydist_job *j, const char *name)
{
	return lookup(pydist_patches(j->pyver), name);
}

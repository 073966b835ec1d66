/*
 * weld.c: a weld from its plan to its result, and what its steps share.
 *
 * The steps, in order, each in a file of its own: collect (collect.c: the
 * installed extensions matched to their recorded links, the standard
 * library's modules), isolate (isolate.c: each extension partially linked
 * and renamed, collisions checked), pack (pack_step.c: the blob and the
 * table of deep-frozen modules; pruning leaves out the extensions nothing
 * reaches, so it comes before generate), generate (runtime.c: inittab.c and
 * the runtime's units), link (link.c: the final link, or the --library
 * archive); then the application's extensions are recorded in its link
 * database.  A step that fails sets the weld's message and
 * returns -1, and the weld stops there: nothing is written where the output
 * goes before the last step succeeded.  The weld never prints; the front
 * end hears of steps, notes, warnings and errors through the plan's report,
 * and the commands it runs write to the build log.
 */
#include "internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkdb.h"

int
itg__fail(struct itg_weld *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, w->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
itg__python_version(const struct itg_plan *p)
{
	return p->python_version ? p->python_version : "3.11";
}

char *
itg__prefix_path(const struct itg_plan *p, const char *before, const char *after)
{
	const char *v = itg__python_version(p);
	const char *dot = strchr(v, '.');
	int n = dot ? (int)(dot + 1 - v + (ptrdiff_t)strspn(dot + 1, "0123456789")) : (int)strlen(v);

	return xasprintf("%s/%s%.*s%s", p->prefix, before, n, v, after);
}

/* Formats a message and hands it to a callback of the report (if any). */
static void
tell(struct itg_weld *w, void (*fn)(void *, const char *), const char *fmt, va_list ap)
{
	char *text = NULL;

	if (!fn)
		return;
	if (vasprintf(&text, fmt, ap) < 0)
		return;
	fn(w->plan->report.ctx, text);
	free(text);
}

#define TELL(callback) do { \
	va_list ap; \
	va_start(ap, fmt); \
	tell(w, w->plan->report.callback, fmt, ap); \
	va_end(ap); \
} while (0)

void itg__step(struct itg_weld *w, const char *fmt, ...) { TELL(step); }
void itg__note(struct itg_weld *w, const char *fmt, ...) { TELL(note); }
void itg__warn(struct itg_weld *w, const char *fmt, ...) { TELL(warning); }
void itg__error(struct itg_weld *w, const char *fmt, ...) { TELL(error); }

void
itg__log(struct itg_weld *w, const char *fmt, ...)
{
	va_list ap;

	if (w->plan->logfd < 0)
		return;
	va_start(ap, fmt);
	vdprintf(w->plan->logfd, fmt, ap);
	va_end(ap);
}

/* A line of a command's output: the final link's go to itg__link_line(). */
static void
show_line(void *ctx, const char *text)
{
	struct itg_weld *w = ctx;
	const char *t = text;

	while (*t == ' ')
		t++;
	if (w->linking)
		itg__link_line(w, t);
}

int
itg__run(struct itg_weld *w, const char *const argv[], const char *cwd)
{
	int rc;

	w->cmd.logfd = w->plan->logfd;
	w->cmd.echo = w->plan->verbose;
	w->cmd.line = show_line;
	w->cmd.ctx = w;
	rc = util_cmdlog_run(&w->cmd, argv, NULL, cwd);
	if (rc < 0)
		itg__error(w, "cannot run '%s': %s", argv[0], strerror(errno));
	return rc;
}

/*
 * The application's welded extensions, recorded in its link database
 * (linkdb's extension table: name, package, version, link, init symbol and
 * what it was renamed to); a failure is a warning, the binary is written.
 */
static void
record_extensions(struct itg_weld *w)
{
	struct linkdb *db = w->plan->appdb;

	for (size_t i = 0; db && i < w->res->nexts; i++) {
		const struct itg_ext *e = w->res->exts[i];
		if (!strcmp(e->package, "python"))
			continue;
		struct linkdb_extension rec = {
			.name = e->name, .package = e->package, .version = e->version,
			.link = e->link, .init_symbol = e->init, .renamed_symbol = e->renamed,
			.file = e->file,
		};
		if (linkdb_add_extension(db, &rec, NULL) < 0)
			itg__warn(w, "%s", linkdb_errmsg(db));
	}
}

int
itg_weld(const struct itg_plan *plan, struct itg_result *res, char *err, size_t errlen)
{
	struct itg_weld w = { .plan = plan, .res = res, .err = err, .errlen = errlen };
	int rc = -1;

	memset(res, 0, sizeof(*res));
	err[0] = '\0';
	if (itg__collect(&w) < 0 || itg__isolate(&w) < 0 || itg__pack_step(&w) < 0 ||
	    itg__generate(&w) < 0 || itg__link(&w) < 0)
		goto out;
	record_extensions(&w);
	rc = 0;
out:
	strvec_free(&w.objs);
	strvec_free(&w.dynamic_seen);
	strvec_free(&w.dynamic_why);
	strvec_free(&w.dynamic_dirs);
	return rc;
}

void
itg_result_free(struct itg_result *res)
{
	for (size_t i = 0; i < res->nexts; i++) {
		itg_ext_free(res->exts[i]);
		free(res->exts[i]);
	}
	free(res->exts);
	strvec_free(&res->needed);
	strvec_free(&res->dynamic);
	strvec_free(&res->dynamic_why);
	itg_size_report_free(&res->size);
	memset(res, 0, sizeof(*res));
}

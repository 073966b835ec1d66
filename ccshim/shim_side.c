/*
 * shim_side.c: the record's own compile of a source a shared link compiles.
 *
 * "cc -shared x.c -o x.so" leaves no object to store: each such source is
 * compiled once more, to a private temporary, with the link's options but
 * without its output and dependency-file options and variables, so the
 * user's files are written by the real link alone.  Its output goes to
 * /dev/null; a source read from a stream is compiled from the copy
 * ccshim__capture_streams kept.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shim.h"
#include "util.h"

/*
 * How many argv entries from argv[i] make a dependency-file option, which
 * would make the side compile write (over) the user's dependency file:
 * -MD, -MMD, -MF F, -MT T, -MQ T, -MP, -MG, -MJ F (clang) and every other
 * -M*, their long forms, "-Xpreprocessor -MF -Xpreprocessor F".  0 for any
 * other argument.  A -Wp, list is handled by wp_without_deps.
 */
static int
dep_option(char *const *argv, int argc, int i)
{
	static const char *const longs[] = {
		"--dependencies", "--user-dependencies", "--write-dependencies",
		"--write-user-dependencies", "--print-missing-file-dependencies", NULL,
	};
	const char *a = argv[i];

	for (size_t k = 0; longs[k]; k++)
		if (!strcmp(a, longs[k]))
			return 1;
	if (!strcmp(a, "-MF") || !strcmp(a, "-MT") || !strcmp(a, "-MQ") ||
	    !strcmp(a, "-MJ"))
		return i + 1 < argc ? 2 : 1;
	if (util_starts_with(a, "-M"))
		return 1;
	if (!strcmp(a, "-Xpreprocessor") && i + 1 < argc &&
	    util_starts_with(argv[i + 1], "-M")) {
		const char *o = argv[i + 1];
		/* cc1 reads the file of -MD, -MMD, -MF, -MT, -MQ from the next
		 * argument, passed by another -Xpreprocessor. */
		bool file = !strcmp(o, "-MD") || !strcmp(o, "-MMD") || !strcmp(o, "-MF") ||
		            !strcmp(o, "-MT") || !strcmp(o, "-MQ");
		if (file && i + 3 < argc && !strcmp(argv[i + 2], "-Xpreprocessor"))
			return 4;
		return 2;
	}
	return 0;
}

/*
 * A "-Wp,a,b,c" argument without its dependency options (-MD F, -MMD F,
 * -MF F, -MT T, -MQ T, -MP, ...): a new string, "" when nothing is left,
 * or NULL when there was none (the argument stays as it is).
 */
static char *
wp_without_deps(const char *a)
{
	struct strbuf sb = { 0 };
	char *copy, *item, *save = NULL;
	bool dropped = false, value = false;

	if (!util_starts_with(a, "-Wp,"))
		return NULL;
	copy = xstrdup(a + 4);
	/* GCC splits -Wp, at every comma (strtok would merge empty items,
	 * which GCC keeps; an empty item is no dependency option either). */
	for (item = copy; item; item = save) {
		save = strchr(item, ',');
		if (save)
			*save++ = '\0';
		if (value) {
			value = false;
			continue;
		}
		if (util_starts_with(item, "-M")) {
			dropped = true;
			value = !strcmp(item, "-MD") || !strcmp(item, "-MMD") ||
			        !strcmp(item, "-MF") || !strcmp(item, "-MT") ||
			        !strcmp(item, "-MQ");
			continue;
		}
		strbuf_adds(&sb, sb.len ? "," : "-Wp,");
		strbuf_adds(&sb, item);
	}
	free(copy);
	if (!dropped) {
		strbuf_free(&sb);
		return NULL;
	}
	if (sb.failed)
		util_fatal("out of memory");
	return sb.len ? strbuf_detach(&sb) : (strbuf_free(&sb), xstrdup(""));
}

/* The environment of a side compile: the real tool's, without the
 * variables that make GCC write a dependency file. */
static char **
side_env(void)
{
	char **env = ccshim__active_env(), **o = env;

	for (char **e = env; *e; e++)
		if (!util_starts_with(*e, "DEPENDENCIES_OUTPUT=") &&
		    !util_starts_with(*e, "SUNPRO_DEPENDENCIES="))
			*o++ = *e;
	*o = NULL;
	return env;
}

/*
 * A shared link that compiles sources itself ("cc -shared x.c -o x.so")
 * leaves no object to record: compile each source once more, to a private
 * temporary, with the same options but no dependency-file options (the
 * user's dependency file stays the link's), only for the record.  A source
 * from a stream is read from its captured copy.  Returns the object, or
 * NULL with the reason in why.
 */
char *
ccshim__side_compile(struct shim *s, const struct ccshim_input *src, char *why,
                     size_t whylen)
{
	const struct ccshim_cmd *cmd = &s->cmd;
	const struct shim_stream *stream = ccshim__source_stream(s, src->value);
	struct strvec av = { 0 };
	struct stat st;
	bool *skip;
	char *obj;
	int rc;

	if (stream && !stream->complete) {
		snprintf(why, whylen, "the source '%s' it compiles (descriptor %d) could "
		         "not be read ahead to be compiled again for the record",
		         src->value, stream->fd);
		return NULL;
	}
	if (!stream && stat(src->value, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		snprintf(why, whylen, "the source '%s' it compiles is a pipe, which can be "
		         "read only once", src->value);
		return NULL;
	}
	snprintf(why, whylen, "the source '%s' it compiles could not be compiled again "
	         "for the record", src->value);
	if (ccshim__make_tmpdir(s) < 0)
		return NULL;
	skip = xcalloc((size_t)cmd->argc + 1, sizeof(bool));
	for (size_t i = 0; i < cmd->ninputs; i++)
		for (int k = 0; k < cmd->inputs[i].argn; k++)
			skip[cmd->inputs[i].argi + k] = true;
	for (int i = 1; i < cmd->argc; i++) {
		const char *a = cmd->argv[i];
		int n;
		if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			skip[i] = true;
			if (i + 1 < cmd->argc)
				skip[i + 1] = true;
		} else if (util_starts_with(a, "-o") || util_starts_with(a, "--output=") ||
		           !strcmp(a, "-shared")) {
			skip[i] = true;
		} else if ((n = dep_option(cmd->argv, cmd->argc, i)) > 0) {
			for (int k = 0; k < n; k++)
				skip[i + k] = true;
			i += n - 1;
		}
	}
	for (size_t i = 0; s->tool[i]; i++)
		strvec_push(&av, s->tool[i]);
	for (int i = 1; i < cmd->argc; i++) {
		char *wp;
		if (skip[i])
			continue;
		wp = wp_without_deps(cmd->argv[i]);
		if (!wp)
			strvec_push(&av, cmd->argv[i]);
		else if (*wp)
			strvec_push_owned(&av, wp);
		else
			free(wp);
	}
	obj = xasprintf("%s/%d.o", s->tmpdir, src->argi);
	strvec_push(&av, "-c");
	strvec_push(&av, "-x");
	strvec_push(&av, src->lang);
	strvec_push(&av, src->value);
	strvec_push(&av, "-o");
	strvec_push(&av, obj);
	free(skip);
	if (av.failed)
		util_fatal("out of memory");
	char **env = side_env();
	rc = ccshim__run_real(av.v, env, true, s->streams, s->nstreams);
	free(env);
	strvec_free(&av);
	if (rc < 0 || !ccshim__exited_zero(rc)) {
		free(obj);
		return NULL;
	}
	return obj;
}

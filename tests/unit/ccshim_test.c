/*
 * ccshim_test.c: the checks and fixtures ccshim's unit tests share
 * (ccshim_test.h).
 */
#include "ccshim_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

const char *
show(const char *s)
{
	return s ? s : "(null)";
}

/* The inputs as "kind:value[:lang][/argn][=>file]" for messages. */
static char *
describe_inputs(const struct ccshim_cmd *cmd)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; i < cmd->ninputs; i++) {
		const struct ccshim_input *in = &cmd->inputs[i];
		strbuf_addf(&sb, "%s%s:%s", i ? " " : "", ccshim_arg_name(in->kind),
		            in->value);
		if (in->lang)
			strbuf_addf(&sb, ":%s", in->lang);
		if (in->argn != 1)
			strbuf_addf(&sb, "/%d", in->argn);
		if (in->file)
			strbuf_addf(&sb, "=>%s", in->file);
	}
	return strbuf_detach(&sb);
}

static char *
describe_expected(const struct exp_in *exp)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; exp[i].value; i++) {
		strbuf_addf(&sb, "%s%s:%s", i ? " " : "", ccshim_arg_name(exp[i].kind),
		            exp[i].value);
		if (exp[i].lang)
			strbuf_addf(&sb, ":%s", exp[i].lang);
		if (exp[i].argn > 1)
			strbuf_addf(&sb, "/%d", exp[i].argn);
		if (exp[i].file)
			strbuf_addf(&sb, "=>%s", exp[i].file);
	}
	return strbuf_detach(&sb);
}

void
check_cmd(const char *name, const struct cl_case *c, const struct ccshim_cmd *cmd)
{
	size_t nexp = 0, nsrc = 0;

	while (c->in[nexp].value) {
		if (c->in[nexp].kind == CCSHIM_ARG_SOURCE)
			nsrc++;
		nexp++;
	}
	if (cmd->action != c->action)
		fail_msg("[%s] action: got %s, want %s", name,
		         ccshim_action_name(cmd->action), ccshim_action_name(c->action));
	if (!str_eq(cmd->output, c->output))
		fail_msg("[%s] output: got '%s', want '%s'", name, show(cmd->output),
		         show(c->output));
	if (!str_eq(cmd->depfile, c->depfile))
		fail_msg("[%s] depfile: got '%s', want '%s'", name, show(cmd->depfile),
		         show(c->depfile));
	bool same = cmd->ninputs == nexp;
	for (size_t i = 0; same && i < nexp; i++) {
		const struct ccshim_input *in = &cmd->inputs[i];
		const struct exp_in *e = &c->in[i];
		int argn = e->argn ? e->argn : 1;
		same = in->kind == e->kind && str_eq(in->value, e->value) &&
		       str_eq(in->lang, e->lang) && in->argn == argn &&
		       str_eq(in->file, e->file);
	}
	if (!same) {
		char *got = describe_inputs(cmd), *want = describe_expected(c->in);
		fail_msg("[%s] inputs:\n  got  %s\n  want %s", name, show(got), show(want));
	}
	/* Each input points at the argv entries it came from. */
	for (size_t i = 0; i < cmd->ninputs; i++) {
		const struct ccshim_input *in = &cmd->inputs[i];
		if (in->argi < 1 || in->argi + in->argn > cmd->argc)
			fail_msg("[%s] input %zu: argi %d argn %d outside argc %d", name, i,
			         in->argi, in->argn, cmd->argc);
		const char *first = cmd->argv[in->argi];
		bool ok;
		if (in->kind == CCSHIM_ARG_LINKFLAG)
			ok = !strcmp(first, in->value);
		else if (in->argn == 2)
			ok = !strcmp(cmd->argv[in->argi + 1], in->value);
		else
			ok = util_ends_with(first, in->value);
		if (!ok)
			fail_msg("[%s] input %zu '%s' does not match argv[%d] '%s'", name, i,
			         in->value, in->argi, first);
	}
	if (cmd->nsources != nsrc)
		fail_msg("[%s] nsources: got %zu, want %zu", name, cmd->nsources, nsrc);
	if (cmd->cxx != c->cxx)
		fail_msg("[%s] cxx: got %d, want %d", name, cmd->cxx, c->cxx);
	if (cmd->lto != c->lto)
		fail_msg("[%s] lto: got %d, want %d", name, cmd->lto, c->lto);
	if (cmd->tool != c->tool)
		fail_msg("[%s] tool: got %d, want %d", name, (int)cmd->tool, (int)c->tool);
}

int
argv_count(const char *const *argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

int
fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/test_ccshim.XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

int
fx_teardown(void **state)
{
	struct fx *fx = *state;

	if (fx->passed)
		util_remove_tree(fx->dir);
	else
		fprintf(stderr, "test_ccshim_classify: left '%s' for a look\n", fx->dir);
	free(fx);
	return 0;
}

/* Replaces every "{D}" in s with dir; malloc'd. */
char *
subst(const char *s, const char *dir)
{
	struct strbuf sb = { 0 };
	const char *p;

	if (!s)
		return NULL;
	while ((p = strstr(s, "{D}"))) {
		strbuf_add(&sb, s, (size_t)(p - s));
		strbuf_adds(&sb, dir);
		s = p + 3;
	}
	strbuf_adds(&sb, s);
	return strbuf_detach(&sb);
}

void
write_text(const char *dir, const char *name, const char *text)
{
	char *path = util_path_join(dir, name);
	char *body = subst(text, dir);

	assert_non_null(path);
	assert_non_null(body);
	assert_int_equal(util_write_atomic(path, body, strlen(body), 0644, false), 0);
	free(path);
	free(body);
}

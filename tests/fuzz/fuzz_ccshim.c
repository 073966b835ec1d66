/*
 * fuzz_ccshim: libFuzzer target for the wrapper compilers' argv classifier
 * (ccshim_classify, every tool role) and @file expansion
 * (ccshim_split_response, nested response files).
 *
 * An input is a command line and up to four response files:
 *
 *     byte 0              the tool: cc, c++, ld, ar, ranlib (value mod 5)
 *     then, split at 0xff: argv (entries separated by NUL; argv[0] first),
 *                          then the texts of the files r1, r2, r3, r4
 *
 * The files are written into a private directory each input runs in, so
 * "@r1" in argv (or in a file: nesting, loops) names them; "@rd" names a
 * directory and "@gone" nothing (both unreadable, kept literally as GCC
 * does).  Files an input does not give are removed, so each input runs
 * alone.
 *
 * Every run must keep these promises, or the fuzzer aborts with a message:
 *   - ccshim_classify returns 0 or -1; -1 comes with a message and leaves
 *     the command empty (nothing to free, nothing pointing anywhere);
 *   - the expanded argv has argc non-NULL entries and a NULL after them;
 *     argv[0] is the input's; with no @file expanded it is the input argv
 *     entry for entry; an unreadable @file is flagged and named;
 *   - every input lies inside argv: 1 <= argi, argn is 1 or 2, argi + argn
 *     <= argc, inputs in command-line order without overlap; a file or
 *     flag input IS argv[argi], a -l/-L value points into argv[argi] or
 *     argv[argi + 1]; a language exactly for sources; nsources counts them;
 *     a file only for a link flag, a non-empty part of its argument(s);
 *   - output and depfile are NULL or point into an argv entry;
 *   - the action is one the tool can have; LTO only for the compiler roles;
 *   - classification is deterministic: a second run gives the same result;
 *   - ccshim_default_object gives "<stem>.o" for every source;
 *   - ccshim_tool_from_name of argv[0] is a role or -1;
 *   - ccshim_split_response of each section succeeds, stops at a NUL, and
 *     splitting the words again after quoting them gives the same words.
 * AddressSanitizer and UndefinedBehaviorSanitizer watch every access.
 *
 * With PYWELD_FUZZ_EXPECT_VALID=1 every input must also classify without
 * an error (the seed corpus, real command lines, is run that way first).
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Iccshim -Iutil with
 * ccshim/{classify,options,response,names}.c, util's sources and
 * tests/fuzz/fuzz_ccshim.c (tests/ccshim.cmake does it when clang and its
 * libFuzzer are there).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccshim.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAXARGS 512
#define NFILES 4

static int expect_valid;
static char workdir[4096];      /* where r1..r4 are written */
static int home = -1;           /* the directory libFuzzer started in */

#define BROKEN(...) do { \
		fprintf(stderr, "fuzz_ccshim: broken promise: " __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} while (0)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *v = getenv("PYWELD_FUZZ_EXPECT_VALID");
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	expect_valid = v && !strcmp(v, "1");
	snprintf(workdir, sizeof(workdir), "%s/fuzz_ccshim.XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	home = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (home < 0 || !mkdtemp(workdir) || chdir(workdir) < 0 || mkdir("rd", 0700) < 0 ||
	    fchdir(home) < 0) {
		fprintf(stderr, "fuzz_ccshim: cannot set up '%s': %s\n", workdir,
		        strerror(errno));
		exit(1);
	}
	/* Each input runs in workdir (its @files are relative) and returns to
	 * where libFuzzer reads and writes its own files.  The directory stays
	 * for the process's life (libFuzzer ends with _exit). */
	return 0;
}

static bool
points_into(const char *p, const char *s)
{
	return p && s && p >= s && p <= s + strlen(s);
}

/* The argv index whose string p points into, or -1. */
static int
owner(const struct ccshim_cmd *cmd, const char *p)
{
	for (int k = 0; k < cmd->argc; k++)
		if (points_into(p, cmd->argv[k]))
			return k;
	return -1;
}

static bool
same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* A pointer into cmd's argv as (index, offset), for comparing two runs. */
static void
locate(const struct ccshim_cmd *cmd, const char *p, int *k, long *off)
{
	*k = p ? owner(cmd, p) : -2;
	*off = *k >= 0 ? (long)(p - cmd->argv[*k]) : 0;
}

static void
check_cmd(enum ccshim_tool tool, int argc, char *const *argv,
          const struct ccshim_cmd *cmd)
{
	bool at = false;
	size_t nsrc = 0;
	int end = 1;

	for (int i = 1; i < argc; i++)
		at = at || (argv[i][0] == '@' && argv[i][1] != '\0');
	if (cmd->tool != tool)
		BROKEN("tool %d, asked %d", (int)cmd->tool, (int)tool);
	if ((unsigned)cmd->action > CCSHIM_ACT_OTHER)
		BROKEN("action %d", (int)cmd->action);
	if (cmd->argc < 1 || !cmd->argv || cmd->argv[cmd->argc])
		BROKEN("argc %d or argv not NULL-terminated", cmd->argc);
	for (int i = 0; i < cmd->argc; i++)
		if (!cmd->argv[i])
			BROKEN("argv[%d] is NULL (argc %d)", i, cmd->argc);
	if (strcmp(cmd->argv[0], argv[0]) != 0)
		BROKEN("argv[0] '%s' became '%s'", argv[0], cmd->argv[0]);
	if (!at && (cmd->response_files || cmd->unreadable_response))
		BROKEN("no @file, yet response_files %d unreadable %d", cmd->response_files,
		       cmd->unreadable_response);
	if (!cmd->response_files) {
		if (cmd->argc != argc)
			BROKEN("nothing expanded, yet argc %d became %d", argc, cmd->argc);
		for (int i = 0; i < argc; i++)
			if (strcmp(cmd->argv[i], argv[i]) != 0)
				BROKEN("nothing expanded, yet argv[%d] '%s' became '%s'", i, argv[i],
				       cmd->argv[i]);
	}
	if (cmd->unreadable_response != (cmd->unreadable != NULL))
		BROKEN("unreadable_response %d but unreadable '%s'", cmd->unreadable_response,
		       cmd->unreadable ? cmd->unreadable : "(null)");
	if (cmd->unreadable && cmd->unreadable[0] != '@')
		BROKEN("unreadable '%s' is no @file", cmd->unreadable);
	if (cmd->ninputs && !cmd->inputs)
		BROKEN("%zu inputs but no array", cmd->ninputs);
	for (size_t i = 0; i < cmd->ninputs; i++) {
		const struct ccshim_input *in = &cmd->inputs[i];
		if ((unsigned)in->kind > CCSHIM_ARG_LINKFLAG)
			BROKEN("input %zu kind %d", i, (int)in->kind);
		if (in->argn < 1 || in->argn > 2 || in->argi < end ||
		    in->argi + in->argn > cmd->argc)
			BROKEN("input %zu argi %d argn %d (argc %d, previous input ends at %d)",
			       i, in->argi, in->argn, cmd->argc, end);
		end = in->argi + in->argn;
		if (!in->value)
			BROKEN("input %zu has no value", i);
		if ((in->kind == CCSHIM_ARG_SOURCE) != (in->lang != NULL))
			BROKEN("input %zu kind %s lang '%s'", i, ccshim_arg_name(in->kind),
			       in->lang ? in->lang : "(null)");
		/* A file a link flag names is a non-empty part of its argument. */
		if (in->file && (in->kind != CCSHIM_ARG_LINKFLAG || !in->file[0] ||
		                 !(strstr(cmd->argv[in->argi], in->file) ||
		                   (in->argn == 2 && strstr(cmd->argv[in->argi + 1], in->file)))))
			BROKEN("input %zu (%s '%s') names the file '%s'", i,
			       ccshim_arg_name(in->kind), in->value, in->file);
		switch (in->kind) {
		case CCSHIM_ARG_LIB:
		case CCSHIM_ARG_LIBDIR:
			if (!points_into(in->value, cmd->argv[in->argi]) &&
			    !(in->argn == 2 && in->value == cmd->argv[in->argi + 1]))
				BROKEN("input %zu value '%s' is not in argv[%d]", i, in->value,
				       in->argi);
			break;
		default:
			if (in->value != cmd->argv[in->argi])
				BROKEN("input %zu (%s) '%s' is not argv[%d] '%s'", i,
				       ccshim_arg_name(in->kind), in->value, in->argi,
				       cmd->argv[in->argi]);
			break;
		}
		if (in->kind == CCSHIM_ARG_SOURCE) {
			char *o = ccshim_default_object(in->value);
			nsrc++;
			if (!o || !util_ends_with(o, ".o") || strchr(o, '/'))
				BROKEN("default object of '%s' is '%s'", in->value, o ? o : "(null)");
			free(o);
		}
	}
	if (nsrc != cmd->nsources)
		BROKEN("nsources %zu, counted %zu", cmd->nsources, nsrc);
	if (cmd->output && owner(cmd, cmd->output) < 1)
		BROKEN("output '%s' is not inside argv[1..]", cmd->output);
	if (cmd->depfile && owner(cmd, cmd->depfile) < 1)
		BROKEN("depfile '%s' is not inside argv[1..]", cmd->depfile);
	switch (tool) {
	case CCSHIM_TOOL_CC:
	case CCSHIM_TOOL_CXX:
		if (cmd->action == CCSHIM_ACT_ARCHIVE || cmd->action == CCSHIM_ACT_OTHER)
			BROKEN("compiler driver with action %s", ccshim_action_name(cmd->action));
		break;
	case CCSHIM_TOOL_LD:
		if (cmd->action != CCSHIM_ACT_INFO && cmd->action != CCSHIM_ACT_RELOCATABLE &&
		    cmd->action != CCSHIM_ACT_SHARED_LINK && cmd->action != CCSHIM_ACT_EXEC_LINK)
			BROKEN("ld with action %s", ccshim_action_name(cmd->action));
		/* fall through */
	default:
		if (cmd->lto)
			BROKEN("lto set for tool %d", (int)tool);
		if (tool != CCSHIM_TOOL_LD && cmd->action != CCSHIM_ACT_INFO &&
		    cmd->action != CCSHIM_ACT_ARCHIVE && cmd->action != CCSHIM_ACT_OTHER)
			BROKEN("archiver with action %s", ccshim_action_name(cmd->action));
		break;
	}
	if (cmd->action == CCSHIM_ACT_COMPILE && cmd->tool != CCSHIM_TOOL_CC &&
	    cmd->tool != CCSHIM_TOOL_CXX)
		BROKEN("compile action for tool %d", (int)tool);
}

/* The second run must say exactly what the first said. */
static void
check_same(const struct ccshim_cmd *a, const struct ccshim_cmd *b)
{
	int ka, kb;
	long oa, ob;

	if (a->action != b->action || a->argc != b->argc || a->ninputs != b->ninputs ||
	    a->nsources != b->nsources || a->cxx != b->cxx || a->lto != b->lto ||
	    a->response_files != b->response_files ||
	    a->unreadable_response != b->unreadable_response ||
	    !same_str(a->unreadable, b->unreadable))
		BROKEN("two runs disagree (action %d/%d, argc %d/%d, inputs %zu/%zu)",
		       (int)a->action, (int)b->action, a->argc, b->argc, a->ninputs,
		       b->ninputs);
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			BROKEN("two runs expand argv[%d] differently", i);
	locate(a, a->output, &ka, &oa);
	locate(b, b->output, &kb, &ob);
	if (ka != kb || oa != ob)
		BROKEN("two runs find the output at %d+%ld and %d+%ld", ka, oa, kb, ob);
	locate(a, a->depfile, &ka, &oa);
	locate(b, b->depfile, &kb, &ob);
	if (ka != kb || oa != ob)
		BROKEN("two runs find the depfile at %d+%ld and %d+%ld", ka, oa, kb, ob);
	for (size_t i = 0; i < a->ninputs; i++) {
		const struct ccshim_input *x = &a->inputs[i], *y = &b->inputs[i];
		if (x->kind != y->kind || x->argi != y->argi || x->argn != y->argn ||
		    !same_str(x->value, y->value) || !same_str(x->lang, y->lang) ||
		    !same_str(x->file, y->file))
			BROKEN("two runs disagree on input %zu", i);
	}
}

static void
free_words(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ccshim_split_response's promises on one text. */
static void
check_split(const char *text, size_t len)
{
	char **v = NULL, **w = NULL;
	size_t n = 0, cap = 0, m = 0, wcap = 0;
	struct strbuf q = { 0 };

	if (ccshim_split_response(text, len, &v, &n, &cap) < 0)
		BROKEN("split_response failed on %zu bytes", len);
	if (n && (!v || v[n]))
		BROKEN("split_response: %zu words, vector not NULL-terminated", n);
	for (size_t i = 0; i < n; i++)
		if (!v[i])
			BROKEN("split_response: word %zu is NULL", i);
	/* Quoted back ("..." with \ before \ and "), the words split the same;
	 * the text ends at its first NUL, so what follows one changes nothing. */
	for (size_t i = 0; i < n; i++) {
		strbuf_adds(&q, i ? " \"" : "\"");
		for (const char *p = v[i]; *p; p++) {
			if (*p == '\\' || *p == '"')
				strbuf_addc(&q, '\\');
			strbuf_addc(&q, *p);
		}
		strbuf_addc(&q, '"');
	}
	strbuf_add(&q, "\0 \"tail", 7);
	if (q.failed)
		BROKEN("out of memory");
	if (ccshim_split_response(q.s ? q.s : "", q.len, &w, &m, &wcap) < 0)
		BROKEN("split_response failed on its own quoting");
	if (m != n)
		BROKEN("split_response: %zu words, %zu after quoting them", n, m);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], w[i]) != 0)
			BROKEN("split_response: word %zu '%s' came back as '%s'", i, v[i], w[i]);
	strbuf_free(&q);
	free_words(w, m);
	/* Appending to what is there keeps it. */
	if (ccshim_split_response(text, len, &v, &n, &cap) < 0)
		BROKEN("split_response failed appending");
	for (size_t i = 0; i < n / 2; i++)
		if (strcmp(v[i], v[i + n / 2]) != 0)
			BROKEN("split_response: appending changed word %zu", i);
	free_words(v, n);
}

static void
write_file(const char *name, const uint8_t *p, size_t n)
{
	FILE *f = fopen(name, "wb");

	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		fprintf(stderr, "fuzz_ccshim: cannot write '%s': %s\n", name, strerror(errno));
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[NFILES] = { "r1", "r2", "r3", "r4" };
	char *argv[MAXARGS + 1];
	char *line = NULL;
	const uint8_t *sect[1 + NFILES] = { 0 };
	size_t sectlen[1 + NFILES] = { 0 }, nsect = 0;
	struct ccshim_cmd a, b;
	char err[512];
	int argc = 0, ra, rb;
	enum ccshim_tool tool;

	if (size < 1)
		return 0;
	if (chdir(workdir) < 0)
		abort();
	tool = (enum ccshim_tool)(data[0] % CCSHIM_TOOL__COUNT);
	/* Sections at 0xff: argv, then the files. */
	for (size_t i = 1, start = 1; i <= size && nsect < 1 + NFILES; i++) {
		if (i == size || data[i] == 0xff) {
			sect[nsect] = data + start;
			sectlen[nsect++] = i - start;
			start = i + 1;
		}
	}
	for (size_t f = 0; f < NFILES; f++) {
		if (1 + f < nsect)
			write_file(files[f], sect[1 + f], sectlen[1 + f]);
		else if (unlink(files[f]) < 0 && errno != ENOENT)
			abort();
	}
	for (size_t s = 0; s < nsect; s++)
		check_split((const char *)sect[s], sectlen[s]);

	/* argv: NUL-separated entries of section 0 (a copy with a final NUL). */
	line = malloc(sectlen[0] + 1);
	if (!line)
		abort();
	memcpy(line, sect[0], sectlen[0]);
	line[sectlen[0]] = '\0';
	argv[argc++] = sectlen[0] ? line : (char *)"cc";
	for (size_t i = 0; sectlen[0] && i < sectlen[0] && argc < MAXARGS; i++)
		if (line[i] == '\0')
			argv[argc++] = line + i + 1;
	argv[argc] = NULL;

	int t = ccshim_tool_from_name(argv[0]);
	if (t < -1 || t >= CCSHIM_TOOL__COUNT)
		BROKEN("tool_from_name('%s') = %d", argv[0], t);

	err[0] = '\0';
	ra = ccshim_classify(tool, argc, (const char *const *)argv, &a, err, sizeof(err));
	if (ra == 0) {
		check_cmd(tool, argc, argv, &a);
	} else if (ra == -1) {
		if (!err[0])
			BROKEN("classify failed without a message");
		if (a.argv || a.inputs || a.unreadable || a.argc || a.ninputs)
			BROKEN("a failed classify left a command behind");
		if (expect_valid)
			BROKEN("a seed does not classify: %s", err);
	} else {
		BROKEN("classify returned %d", ra);
	}
	rb = ccshim_classify(tool, argc, (const char *const *)argv, &b, err, sizeof(err));
	if (rb != ra)
		BROKEN("classify returned %d, then %d", ra, rb);
	if (ra == 0)
		check_same(&a, &b);
	ccshim_cmd_free(&a);
	ccshim_cmd_free(&b);
	free(line);
	if (fchdir(home) < 0)
		abort();
	return 0;
}

/*
 * classify.c: reading a compiler, linker or archiver command line as data.
 *
 * The command line is never rewritten for the real run: this only decides
 * what the command will do (compile, shared link, ...) and which arguments
 * are its inputs, in order.  @files are expanded first (response.c); each
 * option is then looked up in its tool's table (options.c) and handled by
 * the role of its row; an option not in the table takes no value, as GCC
 * treats it.  ar and ranlib have positional command lines of their own.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int
add_input(struct ccshim_cmd *cmd, size_t *cap, enum ccshim_arg kind,
          const char *value, const char *lang, int argi, int argn)
{
	struct ccshim_input *in;

	if (cmd->ninputs == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		in = realloc(cmd->inputs, nc * sizeof(*in));
		if (!in)
			return -1;
		cmd->inputs = in;
		*cap = nc;
	}
	in = &cmd->inputs[cmd->ninputs++];
	in->kind = kind;
	in->value = value;
	in->lang = lang;
	in->argi = argi;
	in->argn = argn;
	in->file = NULL;
	if (kind == CCSHIM_ARG_SOURCE)
		cmd->nsources++;
	return 0;
}

/* The language GCC gives a file by its suffix, or NULL for a linker input. */
static const char *
lang_of(const char *path)
{
	static const struct { const char *ext; const char *lang; } exts[] = {
		{ ".c", "c" }, { ".i", "cpp-output" },
		{ ".cc", "c++" }, { ".cp", "c++" }, { ".cxx", "c++" },
		{ ".cpp", "c++" }, { ".CPP", "c++" }, { ".c++", "c++" },
		{ ".C", "c++" }, { ".ii", "c++-cpp-output" },
		{ ".m", "objective-c" }, { ".mi", "objective-c-cpp-output" },
		{ ".mm", "objective-c++" }, { ".M", "objective-c++" },
		{ ".h", "c-header" }, { ".hh", "c++-header" }, { ".hpp", "c++-header" },
		{ ".hxx", "c++-header" }, { ".H", "c++-header" }, { ".tcc", "c++-header" },
		{ ".s", "assembler" }, { ".S", "assembler-with-cpp" },
		{ ".sx", "assembler-with-cpp" },
		{ ".f", "f77" }, { ".for", "f77" }, { ".ftn", "f77" },
		{ ".F", "f77-cpp-input" }, { ".f90", "f95" }, { ".f95", "f95" },
		{ ".f03", "f95" }, { ".f08", "f95" }, { ".F90", "f95-cpp-input" },
		{ ".F95", "f95-cpp-input" }, { ".go", "go" }, { ".d", "d" },
	};
	const char *base = util_basename(path);
	const char *dot = strrchr(base, '.');

	if (!dot)
		return NULL;
	for (size_t i = 0; i < countof(exts); i++)
		if (!strcmp(dot, exts[i].ext))
			return exts[i].lang;
	return NULL;
}

/*
 * .a → archive, .so / .so.N → shared, anything else → object.  A Rust
 * crate (.rlib, which rustc gives its linker by path) is an ar archive like
 * a .a: the linker takes the members it needs, and its metadata member
 * (lib.rmeta, an ELF file with no symbols) is never one of them.
 */
static enum ccshim_arg
file_kind(const char *path)
{
	const char *base = util_basename(path);

	if (util_ends_with(base, ".a") || util_ends_with(base, ".rlib"))
		return CCSHIM_ARG_ARCHIVE;
	if (util_is_shared_object(base))
		return CCSHIM_ARG_SHARED;
	return CCSHIM_ARG_OBJECT;
}

/* Input k reads file (len bytes of it); the first file of an input is kept. */
static int
set_file(struct ccshim_cmd *cmd, size_t k, const char *file, size_t len)
{
	char **v;

	if (!len || cmd->inputs[k].file)
		return 0;
	v = realloc(cmd->parts, (cmd->nparts + 1) * sizeof(*v));
	if (!v)
		return -1;
	cmd->parts = v;
	if (!(v[cmd->nparts] = strndup(file, len)))
		return -1;
	cmd->inputs[k].file = v[cmd->nparts++];
	return 0;
}

/*
 * Notes on input k the file a linker item names: the value of an ld option
 * whose row says LINK_FILE (--version-script=F), or the item after such an
 * option given bare (--version-script F), which *pending carries from one
 * item, or argument, to the next.  items is one item (-Xlinker's value, ld's
 * own argument) or, with commas, the list of a -Wl, argument, which GCC
 * splits at every comma.  -1 when memory runs out.
 */
static int
note_link_file(struct ccshim_cmd *cmd, size_t k, const char *items, bool commas,
               bool *pending)
{
	for (const char *p = items;;) {
		size_t len = commas ? strcspn(p, ",") : strlen(p);
		const char *file = NULL;
		bool glued;

		if (*pending) {
			*pending = false;
			file = p;
		} else {
			char *item = strndup(p, len);
			const struct ccshim_opt *o;
			if (!item)
				return -1;
			o = ccshim__find_opt(ccshim_ld_options, ccshim_ld_noptions, item, &glued);
			if (o && o->role == CCSHIM_ROLE_LINK_FILE) {
				if (!glued) {
					*pending = true;
				} else {
					file = p + strlen(o->name);
					file += *file == '=';
				}
			}
			free(item);
		}
		if (file && set_file(cmd, k, file, len - (size_t)(file - p)) < 0)
			return -1;
		if (!commas || p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static bool
is_cxx_lang(const char *lang)
{
	return lang && (util_starts_with(lang, "c++") ||
	                util_starts_with(lang, "objective-c++"));
}

/*
 * -lNAME or -LDIR (an option of role LIB or LIBDIR) as an input; -lstdc++
 * and -lc++ make the command C++.  No value (a separate one missing at the
 * end of the line) adds nothing.  0, or -1 when out of memory.
 */
static int
add_lib(struct ccshim_cmd *cmd, size_t *cap, enum ccshim_role role, const char *val,
        int argi, int argn)
{
	if (!val)
		return 0;
	if (role == CCSHIM_ROLE_LIBDIR)
		return add_input(cmd, cap, CCSHIM_ARG_LIBDIR, val, NULL, argi, argn);
	if (!strcmp(val, "stdc++") || !strcmp(val, "c++"))
		cmd->cxx = true;
	return add_input(cmd, cap, CCSHIM_ARG_LIB, val, NULL, argi, argn);
}

/*
 * What a GCC command does, from the mode options it holds (modes: a bit
 * 1 << role for each role seen; the first that applies wins, in GCC's
 * order) and its inputs.
 */
static enum ccshim_action
gcc_action(const struct ccshim_cmd *cmd, unsigned modes)
{
#define HAS(role) ((modes & (1u << CCSHIM_ROLE_##role)) != 0)
	enum ccshim_action action;

	/* --version, -dumpmachine, -print-*: GCC prints and does nothing
	 * else, whatever files are named too. */
	if (HAS(INFO))
		action = CCSHIM_ACT_INFO;
	else if (HAS(PREPROCESS) || (HAS(DEPS_ONLY) && !HAS(DEPS)))
		action = CCSHIM_ACT_PREPROCESS;
	else if (HAS(ASSEMBLY))
		action = CCSHIM_ACT_ASSEMBLY;
	else if (HAS(SYNTAX_ONLY))
		action = CCSHIM_ACT_SYNTAX_ONLY;
	else if (HAS(COMPILE))
		action = CCSHIM_ACT_COMPILE;
	else if (cmd->ninputs == 0)
		action = CCSHIM_ACT_INFO;
	else if (HAS(RELOCATABLE))
		action = CCSHIM_ACT_RELOCATABLE;
	else if (HAS(SHARED))
		action = CCSHIM_ACT_SHARED_LINK;
	else
		action = CCSHIM_ACT_EXEC_LINK;
#undef HAS

	/* Only files make a link: -v or -L alone is a question, not a link. */
	if (action >= CCSHIM_ACT_SHARED_LINK &&
	    action <= CCSHIM_ACT_EXEC_LINK) {
		bool files = false;
		for (size_t k = 0; k < cmd->ninputs; k++)
			if (cmd->inputs[k].kind <= CCSHIM_ARG_SHARED ||
			    cmd->inputs[k].kind == CCSHIM_ARG_LIB)
				files = true;
		if (!files)
			action = CCSHIM_ACT_INFO;
	}
	return action;
}

/* The GCC driver: cc, gcc, c++, g++. */
static int
classify_gcc(struct ccshim_cmd *cmd)
{
	bool lto = false, fat_lto = false;
	bool file_next = false;         /* the next linker item is a file (--version-script) */
	unsigned modes = 0;             /* 1 << role of every mode option seen */
	const char *xlang = NULL;       /* -x in effect, NULL for "none" */
	size_t cap = 0;

	cmd->cxx = cmd->tool == CCSHIM_TOOL_CXX;
	for (int i = 1; i < cmd->argc; i++) {
		char *a = cmd->argv[i];
		const struct ccshim_opt *o;
		bool glued;
		const char *val;

		if (a[0] != '-' || a[1] == '\0') {
			/* A file ("-" is stdin, with the language -x gives). */
			const char *lang = xlang ? xlang : lang_of(a);
			if (!strcmp(a, "-") && !lang)
				lang = "c";
			if (lang) {
				if (add_input(cmd, &cap, CCSHIM_ARG_SOURCE, a, lang, i, 1) < 0)
					return -1;
				if (is_cxx_lang(lang))
					cmd->cxx = true;
			} else if (add_input(cmd, &cap, file_kind(a), a, NULL, i, 1) < 0) {
				return -1;
			}
			continue;
		}
		o = ccshim__find_opt(ccshim_gcc_options, ccshim_gcc_noptions, a, &glued);
		if (!o)
			continue;               /* unknown: an option without a value */
		val = NULL;
		int argn = 1;
		if (glued) {
			val = a + strlen(o->name);
			if (*val == '=' && (o->flags & CCSHIM_O_EQUALS) &&
			    !(o->flags & CCSHIM_O_PREFIX))
				val++;
		} else if (o->flags & CCSHIM_O_SEPARATE) {
			if (i + 1 < cmd->argc) {
				val = cmd->argv[i + 1];
				argn = 2;
			}
		}
		switch (o->role) {
		case CCSHIM_ROLE_COMPILE:
		case CCSHIM_ROLE_ASSEMBLY:
		case CCSHIM_ROLE_PREPROCESS:
		case CCSHIM_ROLE_DEPS_ONLY:
		case CCSHIM_ROLE_DEPS:
		case CCSHIM_ROLE_SHARED:
		case CCSHIM_ROLE_RELOCATABLE:
		case CCSHIM_ROLE_SYNTAX_ONLY:
		case CCSHIM_ROLE_INFO:
			modes |= 1u << o->role;
			break;
		case CCSHIM_ROLE_FAT_LTO:
			fat_lto = true;
			break;
		case CCSHIM_ROLE_NO_FAT_LTO:
			fat_lto = false;
			break;
		case CCSHIM_ROLE_NO_LTO:
			lto = false;
			break;
		case CCSHIM_ROLE_OUTPUT:
			cmd->output = val;
			break;
		case CCSHIM_ROLE_LANGUAGE:
			xlang = val && strcmp(val, "none") != 0 ? val : NULL;
			break;
		case CCSHIM_ROLE_DEPFILE:
			cmd->depfile = val;
			break;
		case CCSHIM_ROLE_LIB:
		case CCSHIM_ROLE_LIBDIR:
			if (add_lib(cmd, &cap, o->role, val, i, argn) < 0)
				return -1;
			break;
		case CCSHIM_ROLE_LTO:
			/* -flto, -flto=auto turn LTO on; -flto-partition=...
			 * and the other -flto-* tuning options leave it be.
			 * Either is a link flag too. */
			if (!util_starts_with(a, "-flto-"))
				lto = true;
			/* fall through */
		case CCSHIM_ROLE_LINK:
			if (add_input(cmd, &cap, CCSHIM_ARG_LINKFLAG, a, NULL, i, argn) < 0)
				return -1;
			/* -Wl,ITEMS and -Xlinker ITEM go to ld as they are. */
			if (util_starts_with(a, "-Wl,") &&
			    note_link_file(cmd, cmd->ninputs - 1, a + 4, true, &file_next) < 0)
				return -1;
			if (!strcmp(a, "-Xlinker") && val &&
			    note_link_file(cmd, cmd->ninputs - 1, val, false, &file_next) < 0)
				return -1;
			break;
		case CCSHIM_ROLE_LINK_FILE:
		case CCSHIM_ROLE_NONE:
		case CCSHIM_ROLE__COUNT:
			break;
		}
		i += argn - 1;
	}
	cmd->lto = lto && !fat_lto;
	cmd->action = gcc_action(cmd, modes);
	return 0;
}

/* GNU ld called directly. */
static int
classify_ld(struct ccshim_cmd *cmd)
{
	bool shared = false, r = false, info = false;
	size_t cap = 0;

	for (int i = 1; i < cmd->argc; i++) {
		char *a = cmd->argv[i];
		const struct ccshim_opt *o;
		enum ccshim_role role;
		bool glued;
		const char *val = NULL;
		int argn = 1;

		if (a[0] != '-' || a[1] == '\0') {
			if (add_input(cmd, &cap, file_kind(a), a, NULL, i, 1) < 0)
				return -1;
			continue;
		}
		o = ccshim__find_opt(ccshim_ld_options, ccshim_ld_noptions, a, &glued);
		if (o && glued) {
			val = a + strlen(o->name);
			if (*val == '=')
				val++;
		} else if (o && (o->flags & CCSHIM_O_SEPARATE) && i + 1 < cmd->argc) {
			val = cmd->argv[i + 1];
			argn = 2;
		}
		role = o ? o->role : CCSHIM_ROLE_NONE;
		shared = shared || role == CCSHIM_ROLE_SHARED;
		r = r || role == CCSHIM_ROLE_RELOCATABLE;
		info = info || role == CCSHIM_ROLE_INFO;
		switch (role) {
		case CCSHIM_ROLE_OUTPUT:
			cmd->output = val;
			break;
		case CCSHIM_ROLE_LIB:
		case CCSHIM_ROLE_LIBDIR:
			if (add_lib(cmd, &cap, role, val, i, argn) < 0)
				return -1;
			break;
		default:
			/* Every other ld option, in the table or not, is a link flag. */
			if (add_input(cmd, &cap, CCSHIM_ARG_LINKFLAG, a, NULL, i, argn) < 0)
				return -1;
			if (role == CCSHIM_ROLE_LINK_FILE && val &&
			    set_file(cmd, cmd->ninputs - 1, val, strlen(val)) < 0)
				return -1;
			break;
		}
		i += argn - 1;
	}
	bool files = false;
	for (size_t k = 0; k < cmd->ninputs; k++)
		if (cmd->inputs[k].kind <= CCSHIM_ARG_SHARED ||
		    cmd->inputs[k].kind == CCSHIM_ARG_LIB)
			files = true;
	if (info || !files)
		cmd->action = CCSHIM_ACT_INFO;
	else if (r)
		cmd->action = CCSHIM_ACT_RELOCATABLE;
	else if (shared)
		cmd->action = CCSHIM_ACT_SHARED_LINK;
	else
		cmd->action = CCSHIM_ACT_EXEC_LINK;
	return 0;
}

/*
 * ar [--plugin P] [--target T] [-]KEY[MODS] [RELPOS] [COUNT] ARCHIVE [FILE...]
 * KEY is one of d m p q r s t x; r and q write members, s (alone) writes
 * the index.  a/b/i take a RELPOS member and N a COUNT.
 */
static int
classify_ar(struct ccshim_cmd *cmd)
{
	size_t cap = 0;
	int i = 1;
	char op = 0;
	const char *key = NULL;

	cmd->action = CCSHIM_ACT_OTHER;
	while (i < cmd->argc && util_starts_with(cmd->argv[i], "--")) {
		const char *a = cmd->argv[i];
		if (!strcmp(a, "--version") || !strcmp(a, "--help")) {
			cmd->action = CCSHIM_ACT_INFO;
			return 0;
		}
		if ((!strcmp(a, "--plugin") || !strcmp(a, "--target") ||
		     !strcmp(a, "--output")) && i + 1 < cmd->argc)
			i++;
		i++;
	}
	if (i >= cmd->argc)
		return 0;
	key = cmd->argv[i++];
	if (key[0] == '-')
		key++;
	for (const char *k = key; *k; k++) {
		if (strchr("dmpqrstx", *k) && !op) {
			op = *k;
		} else if (strchr("abi", *k)) {
			i++;            /* RELPOS */
		} else if (*k == 'N') {
			i++;            /* COUNT */
		}
	}
	if (op == 's' && !strpbrk(key, "dmpqrtx"))
		op = 's';
	if (i >= cmd->argc)
		return 0;
	cmd->output = cmd->argv[i++];
	for (; i < cmd->argc; i++)
		if (add_input(cmd, &cap, CCSHIM_ARG_OBJECT, cmd->argv[i], NULL, i, 1) < 0)
			return -1;
	if (op == 'r' || op == 'q' || op == 's')
		cmd->action = CCSHIM_ACT_ARCHIVE;
	return 0;
}

/* ranlib [options] ARCHIVE...: every archive named gets a new index. */
static int
classify_ranlib(struct ccshim_cmd *cmd)
{
	size_t cap = 0;

	cmd->action = CCSHIM_ACT_OTHER;
	for (int i = 1; i < cmd->argc; i++) {
		const char *a = cmd->argv[i];
		if (!strcmp(a, "--version") || !strcmp(a, "-v") || !strcmp(a, "-V") ||
		    !strcmp(a, "--help") || !strcmp(a, "-h")) {
			cmd->action = CCSHIM_ACT_INFO;
			cmd->ninputs = 0;
			return 0;
		}
		if (!strcmp(a, "--plugin") && i + 1 < cmd->argc) {
			i++;
			continue;
		}
		if (a[0] == '-')
			continue;
		if (add_input(cmd, &cap, CCSHIM_ARG_ARCHIVE, a, NULL, i, 1) < 0)
			return -1;
	}
	if (cmd->ninputs)
		cmd->action = CCSHIM_ACT_ARCHIVE;
	return 0;
}

int
ccshim_classify(enum ccshim_tool tool, int argc, const char *const argv[],
                struct ccshim_cmd *out, char *err, size_t errlen)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->tool = tool;
	if (argc < 1) {
		snprintf(err, errlen, "empty command line");
		return -1;
	}
	if ((unsigned)tool >= CCSHIM_TOOL__COUNT) {
		snprintf(err, errlen, "unknown tool %d", (int)tool);
		return -1;
	}
	if (ccshim__expand(out, argc, argv, err, errlen) < 0) {
		ccshim_cmd_free(out);    /* the unreadable @file noted so far */
		return -1;
	}
	switch (tool) {
	case CCSHIM_TOOL_CC:
	case CCSHIM_TOOL_CXX:
		rc = classify_gcc(out);
		break;
	case CCSHIM_TOOL_LD:
		rc = classify_ld(out);
		break;
	case CCSHIM_TOOL_AR:
		rc = classify_ar(out);
		break;
	case CCSHIM_TOOL_RANLIB:
		rc = classify_ranlib(out);
		break;
	default:
		snprintf(err, errlen, "unknown tool %d", (int)tool);
		return -1;
	}
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		ccshim_cmd_free(out);
		return -1;
	}
	return 0;
}

void
ccshim_cmd_free(struct ccshim_cmd *cmd)
{
	for (int i = 0; cmd->argv && i < cmd->argc; i++)
		free(cmd->argv[i]);
	free(cmd->argv);
	free(cmd->inputs);
	free(cmd->unreadable);
	for (size_t i = 0; i < cmd->nparts; i++)
		free(cmd->parts[i]);
	free(cmd->parts);
	memset(cmd, 0, sizeof(*cmd));
}

char *
ccshim_default_object(const char *source)
{
	const char *base = util_basename(source);
	const char *dot = strrchr(base, '.');
	size_t stem = dot ? (size_t)(dot - base) : strlen(base);
	char *p;

	if (asprintf(&p, "%.*s.o", (int)stem, base) < 0)
		return NULL;
	return p;
}


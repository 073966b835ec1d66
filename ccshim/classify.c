/*
 * classify.c: reading a compiler, linker or archiver command line as data.
 *
 * The command line is never rewritten for the real run: this only decides
 * what the command will do (compile, shared link, ...) and which arguments
 * are its inputs, in order.  Options that take a separate argument are
 * found in sorted tables searched with bsearch (a unit test checks the
 * order); everything unknown is an option without an argument, as GCC
 * treats it.
 */
#include "ccshim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define SEP CCSHIM_O_SEPARATE
#define PRE CCSHIM_O_PREFIX
#define LNK CCSHIM_O_LINK
#define EQ  CCSHIM_O_EQUALS

/* GCC driver options that take a value or matter to a link; strcmp order. */
const struct ccshim_opt ccshim_gcc_options[] = {
	{ "--coverage", LNK },
	{ "--define-macro", SEP|EQ },
	{ "--entry", SEP|LNK|EQ },
	{ "--include", SEP|EQ },
	{ "--include-directory", SEP|EQ },
	{ "--language", SEP|EQ },
	{ "--library-directory", SEP|EQ },
	{ "--output", SEP|EQ },
	{ "--param", SEP|EQ },
	{ "--specs", SEP|EQ },
	{ "--sysroot", SEP|EQ },
	{ "--target", SEP|EQ },
	{ "--undefine-macro", SEP|EQ },
	{ "-A", SEP|PRE },
	{ "-B", SEP|PRE },
	{ "-Bdynamic", LNK },
	{ "-Bstatic", LNK },
	{ "-Bsymbolic", LNK },
	{ "-D", SEP|PRE },
	{ "-I", SEP|PRE },
	{ "-L", SEP|PRE },
	{ "-MF", SEP|PRE },
	{ "-MQ", SEP|PRE },
	{ "-MT", SEP|PRE },
	{ "-T", SEP|PRE|LNK },
	{ "-U", SEP|PRE },
	{ "-Wl,", PRE|LNK },
	{ "-Xassembler", SEP },
	{ "-Xclang", SEP },
	{ "-Xlinker", SEP|LNK },
	{ "-Xpreprocessor", SEP },
	{ "-arch", SEP },
	{ "-aux-info", SEP },
	{ "-dumpbase", SEP },
	{ "-dumpbase-ext", SEP },
	{ "-dumpdir", SEP },
	{ "-e", SEP|PRE|LNK },
	{ "-flto", PRE|LNK },
	{ "-fopenmp", LNK },
	{ "-fprofile-arcs", LNK },
	{ "-fprofile-generate", PRE|LNK },
	{ "-fsanitize=", PRE|LNK },
	{ "-fuse-ld=", PRE|LNK },
	{ "-idirafter", SEP|PRE },
	{ "-imacros", SEP|PRE },
	{ "-imultilib", SEP },
	{ "-include", SEP|PRE },
	{ "-iprefix", SEP|PRE },
	{ "-iquote", SEP|PRE },
	{ "-isysroot", SEP|PRE },
	{ "-isystem", SEP|PRE },
	{ "-iwithprefix", SEP|PRE },
	{ "-iwithprefixbefore", SEP|PRE },
	{ "-l", SEP|PRE },
	{ "-mllvm", SEP },
	{ "-no-pie", LNK },
	{ "-nodefaultlibs", LNK },
	{ "-nolibc", LNK },
	{ "-nostartfiles", LNK },
	{ "-nostdlib", LNK },
	{ "-nostdlib++", LNK },
	{ "-o", SEP|PRE },
	{ "-pie", LNK },
	{ "-pthread", LNK },
	{ "-rdynamic", LNK },
	{ "-s", LNK },
	{ "-shared-libgcc", LNK },
	{ "-specs=", PRE },
	{ "-static", LNK },
	{ "-static-lib", PRE|LNK },
	{ "-static-pie", LNK },
	{ "-target", SEP },
	{ "-u", SEP|PRE|LNK },
	{ "-wrapper", SEP },
	{ "-x", SEP|PRE },
	{ "-z", SEP|PRE|LNK },
};
const size_t ccshim_gcc_noptions = sizeof(ccshim_gcc_options) / sizeof(ccshim_gcc_options[0]);

/* GNU ld options that take a value; every ld option is a link flag. */
const struct ccshim_opt ccshim_ld_options[] = {
	{ "--Map", SEP|EQ },
	{ "--architecture", SEP|EQ },
	{ "--auxiliary", SEP|EQ },
	{ "--build-id", EQ },
	{ "--default-script", SEP|EQ },
	{ "--defsym", SEP|EQ },
	{ "--dependency-file", SEP|EQ },
	{ "--dynamic-linker", SEP|EQ },
	{ "--dynamic-list", SEP|EQ },
	{ "--entry", SEP|EQ },
	{ "--exclude-libs", SEP|EQ },
	{ "--filter", SEP|EQ },
	{ "--format", SEP|EQ },
	{ "--hash-style", EQ },
	{ "--image-base", SEP|EQ },
	{ "--just-symbols", SEP|EQ },
	{ "--library", SEP|EQ },
	{ "--library-path", SEP|EQ },
	{ "--mri-script", SEP|EQ },
	{ "--oformat", SEP|EQ },
	{ "--out-implib", SEP|EQ },
	{ "--output", SEP|EQ },
	{ "--plugin", SEP|EQ },
	{ "--plugin-opt", SEP|EQ },
	{ "--retain-symbols-file", SEP|EQ },
	{ "--rpath", SEP|EQ },
	{ "--rpath-link", SEP|EQ },
	{ "--script", SEP|EQ },
	{ "--section-start", SEP|EQ },
	{ "--soname", SEP|EQ },
	{ "--sysroot", EQ },
	{ "--task-link", SEP|EQ },
	{ "--trace-symbol", SEP|EQ },
	{ "--undefined", SEP|EQ },
	{ "--version-exports-section", SEP|EQ },
	{ "--version-script", SEP|EQ },
	{ "--wrap", SEP|EQ },
	{ "-A", SEP|PRE },
	{ "-F", SEP|PRE },
	{ "-G", SEP|PRE },
	{ "-L", SEP|PRE },
	{ "-Map", SEP|EQ },
	{ "-P", SEP|PRE },
	{ "-R", SEP|PRE },
	{ "-T", SEP|PRE },
	{ "-Tbss", SEP },
	{ "-Tdata", SEP },
	{ "-Tldata-segment", SEP },
	{ "-Trodata-segment", SEP },
	{ "-Ttext", SEP },
	{ "-Ttext-segment", SEP },
	{ "-Y", SEP|PRE },
	{ "-a", SEP },
	{ "-b", SEP|PRE },
	{ "-c", SEP|PRE },
	{ "-dT", SEP|EQ },
	{ "-dynamic-linker", SEP|EQ },
	{ "-e", SEP|PRE },
	{ "-f", SEP|PRE },
	{ "-format", SEP|EQ },
	{ "-h", SEP|PRE },
	{ "-l", SEP|PRE },
	{ "-m", SEP|PRE },
	{ "-o", SEP|PRE },
	{ "-plugin", SEP },
	{ "-plugin-opt", SEP|EQ },
	{ "-rpath", SEP|EQ },
	{ "-rpath-link", SEP|EQ },
	{ "-soname", SEP|EQ },
	{ "-u", SEP|PRE },
	{ "-y", SEP|PRE },
	{ "-z", SEP },
};
const size_t ccshim_ld_noptions = sizeof(ccshim_ld_options) / sizeof(ccshim_ld_options[0]);

static int
cmp_opt(const void *key, const void *elem)
{
	return strcmp(key, ((const struct ccshim_opt *)elem)->name);
}

/*
 * Finds the option an argument is: an exact entry, "--name=value" for
 * EQUALS entries, or the longest PREFIX entry the argument starts with.
 * *glued is set when the value is inside the argument.
 */
static const struct ccshim_opt *
find_opt(const struct ccshim_opt *tab, size_t n, const char *arg, bool *glued)
{
	const struct ccshim_opt *o;
	const char *eq;
	size_t lo = 0, hi = n;

	*glued = false;
	o = bsearch(arg, tab, n, sizeof(*tab), cmp_opt);
	if (o)
		return o;
	eq = strchr(arg, '=');
	if (eq) {
		char name[64];
		size_t len = (size_t)(eq - arg);
		if (len < sizeof(name)) {
			memcpy(name, arg, len);
			name[len] = '\0';
			o = bsearch(name, tab, n, sizeof(*tab), cmp_opt);
			if (o && (o->flags & EQ)) {
				*glued = true;
				return o;
			}
		}
	}
	/* Entries that are prefixes of arg sort before it: walk back from
	 * the insertion point while entries share arg's first two bytes. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(tab[mid].name, arg) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0) {
		o = &tab[lo];
		if (strncmp(o->name, arg, 2) != 0)
			break;
		if ((o->flags & PRE) && util_starts_with(arg, o->name)) {
			*glued = true;
			return o;
		}
	}
	return NULL;
}

/* --- names ---------------------------------------------------------------- */

const char *const ccshim_shim_names[] = {
	"cc", "gcc", "c++", "g++", "ld", "ar", "ranlib",
	"x86_64-linux-gnu-gcc", "x86_64-linux-gnu-g++", "x86_64-linux-gnu-ld",
	"x86_64-linux-gnu-ar", "x86_64-linux-gnu-ranlib",
	NULL,
};

_Static_assert(sizeof(ccshim_shim_names) / sizeof(ccshim_shim_names[0]) ==
               CCSHIM_NSHIM_NAMES + 1, "CCSHIM_NSHIM_NAMES counts ccshim_shim_names");

int
ccshim_shim_index(const char *name)
{
	for (int i = 0; ccshim_shim_names[i]; i++)
		if (!strcmp(ccshim_shim_names[i], name))
			return i;
	return -1;
}

bool
ccshim_name_is_role(const char *name)
{
	static const char *const roles[] = { "cc", "c++", "ld", "ar", "ranlib", NULL };

	for (size_t i = 0; roles[i]; i++)
		if (!strcmp(roles[i], name))
			return true;
	return false;
}

const char *
ccshim_tool_key(enum ccshim_tool t)
{
	static const char *const keys[] = { "cc", "cxx", "ld", "ar", "ranlib" };
	return (unsigned)t < CCSHIM_TOOL__COUNT ? keys[t] : "?";
}

int
ccshim_tool_from_name(const char *path)
{
	/* Longest first, so "gcc-ar" wins over "ar" in "x86_64-linux-gnu-gcc-ar". */
	static const struct { const char *name; enum ccshim_tool tool; } names[] = {
		{ "gcc-ranlib", CCSHIM_TOOL_RANLIB }, { "ld.gold", CCSHIM_TOOL_LD },
		{ "ranlib", CCSHIM_TOOL_RANLIB }, { "gcc-ar", CCSHIM_TOOL_AR },
		{ "ld.bfd", CCSHIM_TOOL_LD }, { "c++", CCSHIM_TOOL_CXX },
		{ "g++", CCSHIM_TOOL_CXX }, { "gcc", CCSHIM_TOOL_CC },
		{ "c89", CCSHIM_TOOL_CC }, { "c99", CCSHIM_TOOL_CC },
		{ "cc", CCSHIM_TOOL_CC }, { "ld", CCSHIM_TOOL_LD },
		{ "ar", CCSHIM_TOOL_AR },
	};
	const char *base = util_basename(path);
	char buf[128];
	size_t len = strlen(base);
	char *dash;

	if (len >= sizeof(buf))
		return -1;
	/* The wrapper's own name ("pyweld-cc") is not a "<triple>-cc". */
	if (util_starts_with(base, "pyweld-"))
		return -1;
	memcpy(buf, base, len + 1);
	/* A version suffix: "gcc-12" is gcc. */
	dash = strrchr(buf, '-');
	if (dash && dash[1] >= '0' && dash[1] <= '9' &&
	    strspn(dash + 1, "0123456789.") == strlen(dash + 1))
		*dash = '\0';
	len = strlen(buf);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t nl = strlen(names[i].name);
		if (len < nl || strcmp(buf + len - nl, names[i].name) != 0)
			continue;
		/* Exact, or a target triple before it: "x86_64-linux-gnu-gcc". */
		if (len == nl || buf[len - nl - 1] == '-')
			return (int)names[i].tool;
	}
	return -1;
}

const char *
ccshim_action_name(enum ccshim_action a)
{
	static const char *const n[] = {
		"info", "preprocess", "assembly", "syntax-only", "compile",
		"shared-link", "relocatable", "exec-link", "archive", "other",
	};
	return (unsigned)a <= CCSHIM_ACT_OTHER ? n[a] : "?";
}

const char *
ccshim_arg_name(enum ccshim_arg a)
{
	static const char *const n[] = {
		"source", "object", "archive", "shared", "lib", "libdir", "linkflag",
	};
	return (unsigned)a <= CCSHIM_ARG_LINKFLAG ? n[a] : "?";
}

/* --- response files ------------------------------------------------------- */

static int
push_arg(char ***v, size_t *n, size_t *cap, char *s)
{
	if (!s)
		return -1;
	if (*n + 2 > *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		char **nv = realloc(*v, nc * sizeof(char *));
		if (!nv) {
			free(s);
			return -1;
		}
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
	return 0;
}

int
ccshim_split_response(const char *text, size_t len, char ***out, size_t *n,
                      size_t *cap)
{
	struct strbuf arg = { 0 };
	bool squote = false, dquote = false, bsquote = false, inarg = false;

	/* Like buildargv, the text ends at its first NUL. */
	len = strnlen(text, len);
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? text[i] : ' ';
		bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		             c == '\f' || c == '\v';

		/* The end of the text ends the last argument even inside an
		 * unterminated quote or after a final backslash, as in GCC. */
		if (i == len || (space && !squote && !dquote && !bsquote)) {
			if (inarg) {
				char *s = strbuf_detach(&arg);
				if (push_arg(out, n, cap, s) < 0)
					return -1;
				inarg = false;
			}
			continue;
		}
		inarg = true;
		if (bsquote) {
			bsquote = false;
			strbuf_addc(&arg, c);
		} else if (c == '\\') {
			bsquote = true;
		} else if (squote) {
			if (c == '\'')
				squote = false;
			else
				strbuf_addc(&arg, c);
		} else if (dquote) {
			if (c == '"')
				dquote = false;
			else
				strbuf_addc(&arg, c);
		} else if (c == '\'') {
			squote = true;
		} else if (c == '"') {
			dquote = true;
		} else {
			strbuf_addc(&arg, c);
		}
	}
	strbuf_free(&arg);
	return 0;
}

/*
 * The text of an @file, when it is a regular file (0), or -1.  A pipe
 * (/dev/stdin, /dev/fd/N, a FIFO) would be drained before the real tool
 * reads it, opening a FIFO blocks, and a device may never end (/dev/zero);
 * GCC reads none of them as arguments either (it keeps a pipe as it is and
 * takes a device's size, 0).  stat() opens nothing.
 */
static int
read_response(const char *path, char **text, size_t *len)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	return util_read_file(path, text, len);
}

/*
 * At most this many arguments after expansion.  A response file that names
 * itself many times over would otherwise multiply the command line until
 * the 2000th @file (where GCC stops too); real command lines, object lists
 * of the largest builds included, stay far below.
 */
#define MAX_EXPANDED_ARGS (1 << 20)

/*
 * Copies argv into cmd->argv with every readable @file replaced by its
 * arguments, rescanned (a response file may name another).  Like GCC, an
 * @file that cannot be read (or is not a regular file) stays as it is, and
 * more than 2000 @files are an error.  The arguments still to scan are kept
 * on a stack, the next on top, so each one is moved once: the same order
 * as splicing each file into place and rescanning, in linear time.
 */
static int
expand(struct ccshim_cmd *cmd, int argc, char *const *argv, char *err,
       size_t errlen)
{
	char **v = NULL, **todo = NULL;
	size_t n = 0, cap = 0, ntodo = 0, todocap = 0;
	int expansions = 0;

	if (push_arg(&v, &n, &cap, strdup(argv[0])) < 0)
		goto nomem;
	for (int i = argc - 1; i >= 1; i--)
		if (push_arg(&todo, &ntodo, &todocap, strdup(argv[i])) < 0)
			goto nomem;
	while (ntodo > 0) {
		char *a = todo[--ntodo], *text, **sub = NULL;
		size_t len, nsub = 0, subcap = 0;

		todo[ntodo] = NULL;
		if (a[0] != '@' || a[1] == '\0' || read_response(a + 1, &text, &len) < 0) {
			if (a[0] == '@' && a[1] != '\0' && !cmd->unreadable_response) {
				cmd->unreadable_response = true;
				cmd->unreadable = strdup(a);
			}
			if (push_arg(&v, &n, &cap, a) < 0)
				goto nomem;
			continue;
		}
		if (++expansions > 2000) {
			free(text);
			snprintf(err, errlen, "response files nest too deep (at '%s')", a);
			free(a);
			goto fail;
		}
		cmd->response_files = true;
		if (ccshim_split_response(text, len, &sub, &nsub, &subcap) < 0) {
			free(text);
			free(a);
			goto nomem;
		}
		free(text);
		if (n + ntodo + nsub > MAX_EXPANDED_ARGS) {
			snprintf(err, errlen, "response files expand to more than %d arguments "
			         "(at '%s')", MAX_EXPANDED_ARGS, a);
			free(a);
			for (size_t k = 0; k < nsub; k++)
				free(sub[k]);
			free(sub);
			goto fail;
		}
		free(a);
		/* The file's words go on top, its first word topmost. */
		for (size_t k = nsub; k-- > 0;) {
			if (push_arg(&todo, &ntodo, &todocap, sub[k]) < 0) {
				while (k-- > 0)
					free(sub[k]);
				free(sub);
				goto nomem;
			}
		}
		free(sub);
	}
	free(todo);
	cmd->argv = v;
	cmd->argc = (int)n;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);
	for (size_t k = 0; k < ntodo; k++)
		free(todo[k]);
	free(todo);
	return -1;
}

/* --- inputs ---------------------------------------------------------------- */

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
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (!strcmp(dot, exts[i].ext))
			return exts[i].lang;
	return NULL;
}

/* .a → archive, .so / .so.N → shared, anything else → object. */
static enum ccshim_arg
file_kind(const char *path)
{
	const char *base = util_basename(path);

	if (util_ends_with(base, ".a"))
		return CCSHIM_ARG_ARCHIVE;
	if (util_ends_with(base, ".so") || strstr(base, ".so."))
		return CCSHIM_ARG_SHARED;
	return CCSHIM_ARG_OBJECT;
}

static bool
is_cxx_lang(const char *lang)
{
	return lang && (util_starts_with(lang, "c++") ||
	                util_starts_with(lang, "objective-c++"));
}

static bool
is_info_option(const char *a)
{
	return !strcmp(a, "--version") || !strcmp(a, "-dumpversion") ||
	       !strcmp(a, "-dumpfullversion") || !strcmp(a, "-dumpmachine") ||
	       !strcmp(a, "-dumpspecs") || util_starts_with(a, "-print-") ||
	       util_starts_with(a, "--print-") || util_starts_with(a, "--help") ||
	       !strcmp(a, "-###") || !strcmp(a, "--target-help");
}

/* The GCC driver: cc, gcc, c++, g++. */
static int
classify_gcc(struct ccshim_cmd *cmd)
{
	bool c = false, S = false, E = false, M = false, MD = false, shared = false,
	     r = false, syntax = false, info = false, lto = false, fat_lto = false;
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
		if (!strcmp(a, "-c")) { c = true; continue; }
		if (!strcmp(a, "-S")) { S = true; continue; }
		if (!strcmp(a, "-E")) { E = true; continue; }
		if (!strcmp(a, "-M") || !strcmp(a, "-MM")) { M = true; continue; }
		if (!strcmp(a, "-MD") || !strcmp(a, "-MMD")) { MD = true; continue; }
		if (!strcmp(a, "-shared")) { shared = true; continue; }
		if (!strcmp(a, "-r")) { r = true; continue; }
		if (!strcmp(a, "-fsyntax-only")) { syntax = true; continue; }
		if (!strcmp(a, "-ffat-lto-objects")) { fat_lto = true; continue; }
		if (!strcmp(a, "-fno-fat-lto-objects")) { fat_lto = false; continue; }
		if (!strcmp(a, "-fno-lto")) { lto = false; continue; }
		if (is_info_option(a)) { info = true; continue; }

		o = find_opt(ccshim_gcc_options, ccshim_gcc_noptions, a, &glued);
		if (!o)
			continue;               /* unknown: an option without a value */
		val = NULL;
		int argn = 1;
		if (glued) {
			val = a + strlen(o->name);
			if (*val == '=' && (o->flags & EQ) && !(o->flags & PRE))
				val++;
		} else if (o->flags & SEP) {
			if (i + 1 < cmd->argc) {
				val = cmd->argv[i + 1];
				argn = 2;
			}
		}
		if (!strcmp(o->name, "-o") || !strcmp(o->name, "--output")) {
			cmd->output = val;
		} else if (!strcmp(o->name, "-x") || !strcmp(o->name, "--language")) {
			xlang = val && strcmp(val, "none") != 0 ? val : NULL;
		} else if (!strcmp(o->name, "-MF")) {
			cmd->depfile = val;
		} else if (!strcmp(o->name, "-l")) {
			if (val && add_input(cmd, &cap, CCSHIM_ARG_LIB, val, NULL, i, argn) < 0)
				return -1;
			if (val && (!strcmp(val, "stdc++") || !strcmp(val, "c++")))
				cmd->cxx = true;
		} else if (!strcmp(o->name, "-L") || !strcmp(o->name, "--library-directory")) {
			if (val && add_input(cmd, &cap, CCSHIM_ARG_LIBDIR, val, NULL, i, argn) < 0)
				return -1;
		} else if (o->flags & LNK) {
			/* -flto, -flto=auto turn LTO on; -flto-partition=...
			 * and the other -flto-* tuning options leave it be. */
			if (!strcmp(o->name, "-flto") && !util_starts_with(a, "-flto-"))
				lto = true;
			if (add_input(cmd, &cap, CCSHIM_ARG_LINKFLAG, a, NULL, i, argn) < 0)
				return -1;
		}
		i += argn - 1;
	}
	cmd->lto = lto && !fat_lto;

	/* --version, -dumpmachine, -print-*: GCC prints and does nothing
	 * else, whatever files are named too. */
	if (info)
		cmd->action = CCSHIM_ACT_INFO;
	else if (E || (M && !MD))
		cmd->action = CCSHIM_ACT_PREPROCESS;
	else if (S)
		cmd->action = CCSHIM_ACT_ASSEMBLY;
	else if (syntax)
		cmd->action = CCSHIM_ACT_SYNTAX_ONLY;
	else if (c)
		cmd->action = CCSHIM_ACT_COMPILE;
	else if (cmd->ninputs == 0)
		cmd->action = CCSHIM_ACT_INFO;
	else if (r)
		cmd->action = CCSHIM_ACT_RELOCATABLE;
	else if (shared)
		cmd->action = CCSHIM_ACT_SHARED_LINK;
	else
		cmd->action = CCSHIM_ACT_EXEC_LINK;

	/* Only files make a link: -v or -L alone is a question, not a link. */
	if (cmd->action >= CCSHIM_ACT_SHARED_LINK &&
	    cmd->action <= CCSHIM_ACT_EXEC_LINK) {
		bool files = false;
		for (size_t k = 0; k < cmd->ninputs; k++)
			if (cmd->inputs[k].kind <= CCSHIM_ARG_SHARED ||
			    cmd->inputs[k].kind == CCSHIM_ARG_LIB)
				files = true;
		if (!files)
			cmd->action = CCSHIM_ACT_INFO;
	}
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
		bool glued;
		const char *val = NULL;
		int argn = 1;

		if (a[0] != '-' || a[1] == '\0') {
			if (add_input(cmd, &cap, file_kind(a), a, NULL, i, 1) < 0)
				return -1;
			continue;
		}
		if (!strcmp(a, "-shared") || !strcmp(a, "-Bshareable") ||
		    !strcmp(a, "--shared"))
			shared = true;
		else if (!strcmp(a, "-r") || !strcmp(a, "-i") || !strcmp(a, "-Ur") ||
		         !strcmp(a, "--relocatable"))
			r = true;
		else if (!strcmp(a, "--version") || !strcmp(a, "-v") ||
		         !strcmp(a, "-V") || !strcmp(a, "--help"))
			info = true;
		o = find_opt(ccshim_ld_options, ccshim_ld_noptions, a, &glued);
		if (o && glued) {
			val = a + strlen(o->name);
			if (*val == '=')
				val++;
		} else if (o && (o->flags & SEP) && i + 1 < cmd->argc) {
			val = cmd->argv[i + 1];
			argn = 2;
		}
		if (o && (!strcmp(o->name, "-o") || !strcmp(o->name, "--output"))) {
			cmd->output = val;
		} else if (o && (!strcmp(o->name, "-l") || !strcmp(o->name, "--library"))) {
			if (val && add_input(cmd, &cap, CCSHIM_ARG_LIB, val, NULL, i, argn) < 0)
				return -1;
			if (val && (!strcmp(val, "stdc++") || !strcmp(val, "c++")))
				cmd->cxx = true;
		} else if (o && (!strcmp(o->name, "-L") || !strcmp(o->name, "--library-path"))) {
			if (val && add_input(cmd, &cap, CCSHIM_ARG_LIBDIR, val, NULL, i, argn) < 0)
				return -1;
		} else if (add_input(cmd, &cap, CCSHIM_ARG_LINKFLAG, a, NULL, i, argn) < 0) {
			return -1;
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
ccshim_classify(enum ccshim_tool tool, int argc, char *const *argv,
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
	if (expand(out, argc, argv, err, errlen) < 0) {
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

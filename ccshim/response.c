/*
 * response.c: @file expansion, with GCC's rules.
 *
 * An argument "@FILE" naming a readable regular file is replaced by the
 * arguments the file holds (libiberty's buildargv quoting), which are
 * scanned again, so a response file may name another.  Like GCC, an @file
 * that cannot be read, or is not a regular file, stays as it is (the real
 * tool then takes it as an input file), and more than 2000 expansions are
 * an error.  Expansion stays linear in the size of its result, and the
 * result is bounded (MAX_EXPANDED_ARGS): a file that names itself cannot
 * make the wrapper loop or exhaust memory.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

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
int
ccshim__expand(struct ccshim_cmd *cmd, int argc, const char *const argv[], char *err,
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

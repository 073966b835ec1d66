/*
 * resolve.c: finding the real tools, once, when a shim directory is made.
 *
 * Each word of a tool's command that names a program is made absolute by
 * a PATH search that skips the shim binary itself (by device and inode),
 * so that no shim runs itself.  Launchers (ccache, sccache, distcc, icecc,
 * buildcache) are recognised by what a word resolves to, not by its name:
 * Debian's masquerade directories (/usr/lib/ccache/gcc -> ../../bin/ccache)
 * make "gcc" on PATH a launcher that looks up the compiler on PATH at
 * build time, where it would find the shims first and loop.  The command
 * names the launcher's binary and then the compiler itself, so the
 * launcher never searches PATH; except distcc, which sends the compiler's
 * name to other machines: after it a name stays a name, and the shim hides
 * its directories from PATH when it runs the command.
 */
#include "ccshim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static const char *
default_name(enum ccshim_tool t)
{
	static const char *const names[] = { "cc", "c++", "ld", "ar", "ranlib" };
	return names[t];
}

/* Programs that run the compiler they are given: kept, and resolved too. */
static const char *const launchers[] = {
	"ccache", "sccache", "distcc", "icecc", "buildcache", NULL,
};

/*
 * The launcher a program path is (its final target's basename is one of
 * launchers), or NULL.  *real gets the resolved path, malloc'd (NULL when
 * it cannot be resolved).
 */
static const char *
launcher_of(const char *path, char **real)
{
	const char *base;

	*real = realpath(path, NULL);
	base = util_basename(*real ? *real : path);
	for (size_t i = 0; launchers[i]; i++)
		if (!strcmp(base, launchers[i]))
			return launchers[i];
	return NULL;
}

static bool
same_file(const char *path, const struct stat *skip)
{
	struct stat st;

	return skip && stat(path, &st) == 0 && st.st_dev == skip->st_dev &&
	       st.st_ino == skip->st_ino;
}

/*
 * name on PATH as a launcher in masquerade mode looks it up: skipping the
 * shim binary (skip) and every candidate that resolves to a launcher (the
 * masquerade directories of ccache, distcc, ...).  malloc'd or NULL.
 */
static char *
which_compiler(const char *name, const struct stat *skip)
{
	const char *path = getenv("PATH"), *p, *end;

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		struct stat st;
		char *dir, *cand, *real = NULL;
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		dir = end > p ? strndup(p, (size_t)(end - p)) : strdup(".");
		cand = dir ? util_path_join(dir, name) : NULL;
		free(dir);
		if (cand && stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0 && !same_file(cand, skip) &&
		    !launcher_of(cand, &real)) {
			char *abs = util_abspath(cand);
			free(real);
			free(cand);
			return abs;
		}
		free(real);
		free(cand);
		if (*end == '\0')
			return NULL;
	}
}

static bool
has_word(char *const *v, size_t n, const char *word)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], word))
			return true;
	return false;
}

/*
 * Resolves words[0..n) (consumed) as described at ccshim_resolve_tool:
 * program words until the first that is not a launcher, then the rest
 * (flags) as they are.
 */
static char **
resolve_words(enum ccshim_tool t, char **words, size_t n, const char *self,
              char *err, size_t errlen)
{
	struct stat self_st, *skip = NULL;
	struct strvec out = { 0 };
	size_t i = 0;
	bool bare = false;      /* after distcc: a compiler name stays a name */

	if (self && stat(self, &self_st) == 0)
		skip = &self_st;
	for (; i < n && words[i][0] != '-'; i++) {
		char *abs, *real = NULL;
		const char *launcher;

		if (bare && !strchr(words[i], '/')) {
			/* distcc sends the compiler's name to the machines that
			 * compile (distccd refuses absolute paths outside its
			 * list) and finds it on PATH itself, as without pyweld:
			 * the shim runs it with no shim directory on PATH. */
			abs = util_which(words[i], NULL, skip);
			if (!abs) {
				snprintf(err, errlen, "cannot find the real %s '%s' on PATH (other "
				         "than pyweld's own shims)", ccshim_tool_key(t), words[i]);
				goto fail;
			}
			free(abs);
			strvec_push(&out, words[i]);
			i++;
			break;      /* the rest ("distcc ccache gcc") as it is */
		}
		abs = util_which(words[i], NULL, skip);
		if (!abs) {
			snprintf(err, errlen, "cannot find the real %s '%s' on PATH%s",
			         ccshim_tool_key(t), words[i],
			         strchr(words[i], '/') ? "" : " (other than pyweld's own shims)");
			goto fail;
		}
		if (same_file(abs, skip)) {
			snprintf(err, errlen, "the real %s '%s' is pyweld's own shim: "
			         "that would run itself", ccshim_tool_key(t), abs);
			free(abs);
			goto fail;
		}
		launcher = launcher_of(abs, &real);
		if (!launcher) {
			free(real);
			strvec_push_owned(&out, abs);
			i++;
			break;          /* the program; what follows are its flags */
		}
		/* A launcher: its own binary, once, whatever name reached it. */
		if (!has_word(out.v, out.n, real ? real : abs))
			strvec_push(&out, real ? real : abs);
		free(real);
		bare = !strcmp(launcher, "distcc");
		if (util_starts_with(util_basename(abs), launcher)) {
			free(abs);
			continue;       /* "ccache gcc": the compiler is the next word */
		}
		/* A masquerade link ("/usr/lib/ccache/gcc"): the compiler is the
		 * program of the link's name, as the launcher would find it. */
		char *compiler = which_compiler(util_basename(abs), skip);
		if (!compiler) {
			snprintf(err, errlen, "cannot find the real %s '%s' on PATH (other "
			         "than pyweld's own shims and the masquerade links of "
			         "launchers such as '%s')", ccshim_tool_key(t),
			         util_basename(abs), abs);
			free(abs);
			goto fail;
		}
		if (bare) {
			/* distcc's masquerade link: the compiler by its name. */
			free(compiler);
			compiler = strdup(util_basename(abs));
		}
		free(abs);
		strvec_push_owned(&out, compiler);
		i++;
		break;
	}
	for (; i < n; i++)
		strvec_push(&out, words[i]);
	if (out.failed) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ccshim_strv_free(words);
	return out.v;
fail:
	strvec_free(&out);
	ccshim_strv_free(words);
	return NULL;
}

char **
ccshim_resolve_tool(enum ccshim_tool t, const char *spec, const char *self,
                    char *err, size_t errlen)
{
	char **words = NULL;
	size_t n = 0, cap = 0;

	if (!spec || !*spec)
		spec = default_name(t);
	/* A $CC-style value splits on blanks, honouring quotes as GCC's
	 * response files do. */
	if (ccshim_split_response(spec, strlen(spec), &words, &n, &cap) < 0 || n == 0) {
		snprintf(err, errlen, "cannot read the %s command '%s'",
		         ccshim_tool_key(t), spec);
		ccshim_strv_free(words);
		return NULL;
	}
	return resolve_words(t, words, n, self, err, errlen);
}

char **
ccshim_resolve_name(enum ccshim_tool t, const char *name, const char *self,
                    char *err, size_t errlen)
{
	char **words = calloc(2, sizeof(char *));

	if (!words || !(words[0] = strdup(name))) {
		free(words);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return resolve_words(t, words, 1, self, err, errlen);
}

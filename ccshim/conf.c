/*
 * conf.c: the shim directory and its configuration file.
 *
 * "pyweld-shim.conf" is line-oriented: "# comment", "key=value".  Keys:
 * db (absolute database path), build (record group id), one per role (cc,
 * cxx, ld, ar, ranlib) and one per shim name that runs a program of its own
 * (gcc, g++, x86_64-linux-gnu-gcc, ...), whose value is the real command:
 * words separated by TAB, each program already resolved to an absolute
 * path, so that the shim never searches PATH (and never finds itself) at
 * build time.  Values are escaped (\\ \n \t \r): a path may hold any byte
 * but NUL, and none can start a line or split a word.
 *
 * Launchers (ccache, sccache, distcc, icecc, buildcache) are recognised by
 * what a word resolves to, not by its name: Debian's masquerade directories
 * (/usr/lib/ccache/gcc -> ../../bin/ccache) make "gcc" on PATH a launcher
 * that looks up the compiler on PATH at build time, where it would find the
 * shims first and loop.  The configuration names the launcher's binary and
 * then the compiler itself, so the launcher never searches PATH; except
 * distcc, which sends the compiler's name to other machines: after it a
 * name stays a name, and the shim hides its directories from PATH.
 */
#include "ccshim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

void
ccshim_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void
ccshim_conf_free(struct ccshim_conf *conf)
{
	free(conf->db);
	for (int t = 0; t < CCSHIM_TOOL__COUNT; t++)
		ccshim_strv_free(conf->tool[t]);
	for (int i = 0; i < CCSHIM_NSHIM_NAMES; i++)
		ccshim_strv_free(conf->named[i]);
	memset(conf, 0, sizeof(*conf));
}

/* Appends s with the bytes that carry meaning in the file escaped. */
static void
add_escaped(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': strbuf_adds(sb, "\\\\"); break;
		case '\n': strbuf_adds(sb, "\\n"); break;
		case '\t': strbuf_adds(sb, "\\t"); break;
		case '\r': strbuf_adds(sb, "\\r"); break;
		default: strbuf_addc(sb, *s); break;
		}
	}
}

/*
 * The value of n bytes at p with escapes undone, malloc'd.  A backslash
 * before any other byte stays as it is (files written before values were
 * escaped read the same).
 */
static char *
unescape(const char *p, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n && strchr("\\ntr", p[i + 1])) {
			char c = p[++i];
			*o++ = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : '\\';
		} else {
			*o++ = p[i];
		}
	}
	*o = '\0';
	return out;
}

/* Splits on TAB into a NULL-terminated vector of unescaped words. */
static char **
split_tabs(const char *s)
{
	struct strvec sv = { 0 };
	const char *p = s, *tab;

	for (;;) {
		tab = strchr(p, '\t');
		size_t n = tab ? (size_t)(tab - p) : strlen(p);
		if (n)
			strvec_push_owned(&sv, unescape(p, n));
		if (!tab)
			break;
		p = tab + 1;
	}
	if (sv.failed || sv.n == 0) {
		strvec_free(&sv);
		return NULL;
	}
	return sv.v;
}

int
ccshim_conf_read(const char *dir, struct ccshim_conf *conf, char *err,
                 size_t errlen)
{
	char *path = util_path_join(dir, CCSHIM_CONF_NAME);
	char *text = NULL, *line, *save = NULL;
	int lineno = 0;

	memset(conf, 0, sizeof(*conf));
	if (!path || util_read_file(path, &text, NULL) < 0) {
		snprintf(err, errlen, "cannot read '%s': %s", path ? path : dir,
		         strerror(errno));
		free(path);
		return -1;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq;
		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			snprintf(err, errlen, "'%s' line %d: expected key=value", path, lineno);
			goto fail;
		}
		*eq = '\0';
		const char *key = line, *val = eq + 1;
		if (!strcmp(key, "db")) {
			free(conf->db);
			conf->db = unescape(val, strlen(val));
		} else if (!strcmp(key, "build")) {
			if (!util_parse_i64(val, &conf->build)) {
				snprintf(err, errlen, "'%s' line %d: build '%s' is not a number",
				         path, lineno, val);
				goto fail;
			}
		} else {
			int t;
			for (t = 0; t < CCSHIM_TOOL__COUNT; t++)
				if (!strcmp(key, ccshim_tool_key((enum ccshim_tool)t)))
					break;
			if (t < CCSHIM_TOOL__COUNT) {
				ccshim_strv_free(conf->tool[t]);
				conf->tool[t] = split_tabs(val);
				continue;
			}
			int i = ccshim_shim_index(key);
			if (i < 0 || ccshim_name_is_role(key))
				continue;       /* keys of newer versions are ignored */
			ccshim_strv_free(conf->named[i]);
			conf->named[i] = split_tabs(val);
		}
	}
	free(text);
	free(path);
	return 0;
fail:
	free(text);
	free(path);
	ccshim_conf_free(conf);
	return -1;
}

int
ccshim_conf_write(const char *dir, const struct ccshim_conf *conf)
{
	struct strbuf sb = { 0 };
	char *path;
	int rc;

	strbuf_adds(&sb, "# pyweld shim configuration, written by `pyweld env`.\n"
	                 "# key=value; a tool is its real command, words separated "
	                 "by TAB;\n# \\\\, \\n, \\t and \\r in a value are a "
	                 "backslash, newline, TAB and CR.\n");
	if (conf->db) {
		strbuf_adds(&sb, "db=");
		add_escaped(&sb, conf->db);
		strbuf_addc(&sb, '\n');
	}
	if (conf->build)
		strbuf_addf(&sb, "build=%lld\n", (long long)conf->build);
	for (int k = 0; k < CCSHIM_TOOL__COUNT + CCSHIM_NSHIM_NAMES; k++) {
		bool role = k < CCSHIM_TOOL__COUNT;
		char **v = role ? conf->tool[k] : conf->named[k - CCSHIM_TOOL__COUNT];
		if (!v)
			continue;
		strbuf_adds(&sb, role ? ccshim_tool_key((enum ccshim_tool)k)
		                      : ccshim_shim_names[k - CCSHIM_TOOL__COUNT]);
		strbuf_addc(&sb, '=');
		for (size_t i = 0; v[i]; i++) {
			if (i)
				strbuf_addc(&sb, '\t');
			add_escaped(&sb, v[i]);
		}
		strbuf_addc(&sb, '\n');
	}
	path = util_path_join(dir, CCSHIM_CONF_NAME);
	if (!path || sb.failed) {
		free(path);
		strbuf_free(&sb);
		errno = ENOMEM;
		return -1;
	}
	rc = util_write_atomic(path, sb.s, sb.len, 0644, false);
	free(path);
	strbuf_free(&sb);
	return rc;
}

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

int
ccshim_dir_setup(const char *dir, const char *shim_exe,
                 const struct ccshim_conf *conf, char *err, size_t errlen)
{
	if (util_mkdir_p(dir, 0755) < 0) {
		snprintf(err, errlen, "cannot create the shim directory '%s': %s", dir,
		         strerror(errno));
		return -1;
	}
	for (size_t i = 0; ccshim_shim_names[i]; i++) {
		char *link = util_path_join(dir, ccshim_shim_names[i]);
		char *tmp = link ? util_path_join(dir, ".link.tmp") : NULL;
		if (!tmp) {
			free(link);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (!ccshim_name_is_role(ccshim_shim_names[i]) && !conf->named[i]) {
			/* No such program on PATH: no shim either. */
			if (unlink(link) < 0 && errno != ENOENT) {
				snprintf(err, errlen, "cannot remove the shim '%s': %s", link,
				         strerror(errno));
				free(link);
				free(tmp);
				return -1;
			}
			free(link);
			free(tmp);
			continue;
		}
		unlink(tmp);
		if (symlink(shim_exe, tmp) < 0 || rename(tmp, link) < 0) {
			snprintf(err, errlen, "cannot create the shim '%s': %s", link,
			         strerror(errno));
			unlink(tmp);
			free(link);
			free(tmp);
			return -1;
		}
		free(link);
		free(tmp);
	}
	if (ccshim_conf_write(dir, conf) < 0) {
		snprintf(err, errlen, "cannot write '%s/%s': %s", dir, CCSHIM_CONF_NAME,
		         strerror(errno));
		return -1;
	}
	return 0;
}

char **
ccshim_conf_command(const struct ccshim_conf *conf, const char *argv0,
                    enum ccshim_tool t)
{
	int i = ccshim_shim_index(util_basename(argv0));

	if (i >= 0 && conf->named[i])
		return conf->named[i];
	return (unsigned)t < CCSHIM_TOOL__COUNT ? conf->tool[t] : NULL;
}

const char *
ccshim_tool_envvar(enum ccshim_tool t)
{
	static const char *const vars[] = { "CC", "CXX", "LD", "AR", "RANLIB" };
	return (unsigned)t < CCSHIM_TOOL__COUNT ? vars[t] : "?";
}

const char *
ccshim_env_spec(enum ccshim_tool t, const char *shim_exe, bool *was_shim)
{
	const char *v = getenv(ccshim_tool_envvar(t));
	struct stat shim;
	char **words = NULL;
	size_t n = 0, cap = 0;
	bool ours = false;

	*was_shim = false;
	if (!v || !*v)
		return NULL;
	if (stat(shim_exe, &shim) == 0 &&
	    ccshim_split_response(v, strlen(v), &words, &n, &cap) == 0) {
		for (size_t i = 0; i < n && !ours; i++) {
			char *abs = words[i][0] == '-' ? NULL : util_which(words[i], NULL, NULL);
			struct stat st;
			if (abs && stat(abs, &st) == 0 && st.st_dev == shim.st_dev &&
			    st.st_ino == shim.st_ino)
				ours = true;
			free(abs);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
	if (ours) {
		*was_shim = true;
		return NULL;
	}
	return v;
}

int
ccshim_setup(const char *dir, const char *shim_exe, const char *db, int64_t build,
             struct ccshim_conf *conf, unsigned *ignored, char *err, size_t errlen)
{
	memset(conf, 0, sizeof(*conf));
	if (ignored)
		*ignored = 0;
	conf->db = strdup(db);
	conf->build = build;
	if (!conf->db) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int t = 0; t < CCSHIM_TOOL__COUNT; t++) {
		bool was_shim;
		const char *spec = ccshim_env_spec((enum ccshim_tool)t, shim_exe, &was_shim);
		if (was_shim && ignored)
			*ignored |= 1u << t;
		conf->tool[t] = ccshim_resolve_tool((enum ccshim_tool)t, spec, shim_exe, err,
		                                    errlen);
		if (!conf->tool[t])
			goto fail;
	}
	/* gcc, g++, x86_64-linux-gnu-*: what the name runs from PATH, never
	 * $CC (a makefile that calls gcc gets gcc, whatever CC says). */
	for (int i = 0; ccshim_shim_names[i]; i++) {
		const char *name = ccshim_shim_names[i];
		char ignore[512];
		if (ccshim_name_is_role(name))
			continue;
		conf->named[i] = ccshim_resolve_name(
			(enum ccshim_tool)ccshim_tool_from_name(name), name, shim_exe,
			ignore, sizeof(ignore));
	}
	if (ccshim_dir_setup(dir, shim_exe, conf, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	ccshim_conf_free(conf);
	return -1;
}

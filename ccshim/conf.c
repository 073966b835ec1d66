/*
 * conf.c: the shim directory and its configuration file.
 *
 * "pyweld-shim.conf" is line-oriented: "# comment", "key=value".  Keys:
 * db (absolute database path), build (record group id), and one per role
 * (cc, cxx, ld, ar, ranlib) whose value is the real command: words
 * separated by TAB, each program already resolved to an absolute path, so
 * that the shim never searches PATH (and never finds itself) at build time.
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
	memset(conf, 0, sizeof(*conf));
}

/* Splits on TAB into a NULL-terminated vector. */
static char **
split_tabs(const char *s)
{
	struct strvec sv = { 0 };
	const char *p = s, *tab;

	for (;;) {
		tab = strchr(p, '\t');
		size_t n = tab ? (size_t)(tab - p) : strlen(p);
		if (n)
			strvec_push_owned(&sv, strndup(p, n));
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
			conf->db = strdup(val);
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
			if (t == CCSHIM_TOOL__COUNT)
				continue;       /* keys of newer versions are ignored */
			ccshim_strv_free(conf->tool[t]);
			conf->tool[t] = split_tabs(val);
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
	                 "by TAB.\n");
	if (conf->db)
		strbuf_addf(&sb, "db=%s\n", conf->db);
	if (conf->build)
		strbuf_addf(&sb, "build=%lld\n", (long long)conf->build);
	for (int t = 0; t < CCSHIM_TOOL__COUNT; t++) {
		if (!conf->tool[t])
			continue;
		strbuf_addf(&sb, "%s=", ccshim_tool_key((enum ccshim_tool)t));
		for (size_t i = 0; conf->tool[t][i]; i++)
			strbuf_addf(&sb, "%s%s", i ? "\t" : "", conf->tool[t][i]);
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
static bool
is_launcher(const char *word)
{
	static const char *const launchers[] = {
		"ccache", "distcc", "sccache", "icecc", "buildcache", NULL,
	};
	const char *base = util_basename(word);

	for (size_t i = 0; launchers[i]; i++)
		if (!strcmp(base, launchers[i]))
			return true;
	return false;
}

/* Splits a $CC-style value on blanks, honouring simple quotes. */
static int
split_words(const char *spec, char ***out)
{
	char **v = NULL;
	size_t n = 0, cap = 0;

	if (ccshim_split_response(spec, strlen(spec), &v, &n, &cap) < 0)
		return -1;
	*out = v;
	return (int)n;
}

char **
ccshim_resolve_tool(enum ccshim_tool t, const char *spec, const char *self,
                    char *err, size_t errlen)
{
	struct stat self_st, *skip = NULL;
	char **words = NULL;
	int n;
	bool program_done = false;

	if (self && stat(self, &self_st) == 0)
		skip = &self_st;
	if (!spec || !*spec)
		spec = default_name(t);
	n = split_words(spec, &words);
	if (n <= 0) {
		snprintf(err, errlen, "cannot read the %s command '%s'",
		         ccshim_tool_key(t), spec);
		ccshim_strv_free(words);
		return NULL;
	}
	for (int i = 0; i < n && !program_done; i++) {
		char *abs;
		if (words[i][0] == '-')
			break;          /* flags after the program stay as they are */
		abs = util_which(words[i], NULL, skip);
		if (!abs) {
			snprintf(err, errlen, "cannot find the real %s '%s' on PATH%s",
			         ccshim_tool_key(t), words[i],
			         strchr(words[i], '/') ? "" : " (other than pyweld's own shims)");
			ccshim_strv_free(words);
			return NULL;
		}
		if (skip) {
			struct stat st;
			if (stat(abs, &st) == 0 && st.st_dev == skip->st_dev &&
			    st.st_ino == skip->st_ino) {
				snprintf(err, errlen, "the real %s '%s' is pyweld's own shim: "
				         "that would run itself", ccshim_tool_key(t), abs);
				free(abs);
				ccshim_strv_free(words);
				return NULL;
			}
		}
		free(words[i]);
		words[i] = abs;
		if (!is_launcher(abs))
			program_done = true;
	}
	return words;
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
	if (ccshim_dir_setup(dir, shim_exe, conf, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	ccshim_conf_free(conf);
	return -1;
}

/*
 * conf.c: the shim directory's configuration file, "pyweld-shim.conf".
 *
 * Line-oriented: "# comment", "key=value".  Keys: db (absolute database
 * path), build (record group id), one per role (cc, cxx, ld, ar, ranlib)
 * and one per shim name that runs a program of its own (gcc, g++,
 * x86_64-linux-gnu-gcc, ...), whose value is the real command: words
 * separated by TAB, each program already resolved to an absolute path
 * (resolve.c), so that the shim never searches PATH (and never finds
 * itself) at build time.  Values are escaped (\\ \n \t \r): a path may hold
 * any byte but NUL, and none can start a line or split a word.  The file
 * is written to a temporary and renamed into place.
 */
#include "ccshim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
 * before any other byte stays as it is, so an unescaped value (a path
 * with a backslash in it) reads as itself.
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

char **
ccshim_conf_command(const struct ccshim_conf *conf, const char *argv0,
                    enum ccshim_tool t)
{
	int i = ccshim_shim_index(util_basename(argv0));

	if (i >= 0 && conf->named[i])
		return conf->named[i];
	return (unsigned)t < CCSHIM_TOOL__COUNT ? conf->tool[t] : NULL;
}

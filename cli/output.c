/* output.c: aligned text tables and JSON for the pyweld front end. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void
cli_table_init(struct cli_table *t, size_t ncols, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	for (size_t i = 0; i < ncols; i++)
		strvec_push(&t->headers, headers[i]);
}

void
cli_table_row(struct cli_table *t, const char *const *cells)
{
	for (size_t i = 0; i < t->ncols; i++)
		strvec_push(&t->cells, cells[i] ? cells[i] : "");
}

/* Display width of UTF-8 text (code points; good enough for paths). */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

void
cli_table_print(struct cli_table *t, FILE *f)
{
	size_t *w = xcalloc(t->ncols, sizeof(*w));
	size_t nrows = t->ncols ? t->cells.n / t->ncols : 0;

	if (t->cells.failed || t->headers.failed)
		util_fatal("out of memory");
	for (size_t c = 0; c < t->ncols; c++)
		w[c] = width(t->headers.v[c]);
	for (size_t r = 0; r < nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t cw = width(t->cells.v[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = 0; r <= nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = r == 0 ? t->headers.v[c] : t->cells.v[(r - 1) * t->ncols + c];
			bool last = c + 1 == t->ncols;
			fputs(cell, f);
			if (!last)
				fprintf(f, "%*s", (int)(w[c] - width(cell) + 2), "");
		}
		fputc('\n', f);
	}
	free(w);
}

void
cli_table_free(struct cli_table *t)
{
	strvec_free(&t->cells);
	strvec_free(&t->headers);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0) { len = 2; cp = s[0] & 0x1F; }
	else if ((s[0] & 0xF0) == 0xE0) { len = 3; cp = s[0] & 0x0F; }
	else if ((s[0] & 0xF8) == 0xF0) { len = 4; cp = s[0] & 0x07; }
	else return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0)
		return 0;
	return len;
}

json_t *
cli_json_string(const char *s, size_t len)
{
	struct strbuf sb = { 0 };
	const unsigned char *p = (const unsigned char *)s;
	json_t *j;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);
		if (n == 0) {
			strbuf_adds(&sb, "\xEF\xBF\xBD");
			i++;
		} else {
			strbuf_add(&sb, p + i, n);
			i += n;
		}
	}
	j = json_stringn(sb.s ? sb.s : "", sb.len);
	strbuf_free(&sb);
	return j;
}

json_t *
cli_row_json(const struct linkdb_row *row)
{
	json_t *o = json_object();

	for (size_t i = 0; i < row->n; i++) {
		const struct linkdb_value *v = &row->values[i];
		json_t *j = NULL;
		switch (v->type) {
		case LINKDB_NULL: j = json_null(); break;
		case LINKDB_INT: j = json_integer(v->i); break;
		case LINKDB_REAL: j = json_real(v->r); break;
		case LINKDB_TEXT: j = cli_json_string(v->s, v->len); break;
		case LINKDB_ARGV:
			j = json_array();
			for (size_t k = 0; k < v->len;) {
				size_t n = strnlen(v->s + k, v->len - k);
				json_array_append_new(j, cli_json_string(v->s + k, n));
				k += n + 1;
			}
			break;
		}
		json_object_set_new(o, row->names[i], j);
	}
	return o;
}

static bool
needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		            "0123456789-_./=:,+@%", *s))
			return true;
	return false;
}

char *
cli_argv_line(const char *blob, size_t len)
{
	struct strbuf sb = { 0 };

	for (size_t k = 0; k < len;) {
		const char *a = blob + k;
		size_t n = strnlen(a, len - k);
		if (sb.len)
			strbuf_addc(&sb, ' ');
		if (needs_quotes(a)) {
			strbuf_addc(&sb, '\'');
			for (size_t i = 0; i < n; i++) {
				if (a[i] == '\'')
					strbuf_adds(&sb, "'\\''");
				else
					strbuf_addc(&sb, a[i]);
			}
			strbuf_addc(&sb, '\'');
		} else {
			strbuf_add(&sb, a, n);
		}
		k += n + 1;
	}
	char *s = strbuf_detach(&sb);
	if (!s)
		util_fatal("out of memory");
	return s;
}

static bool
is_time_column(const char *name)
{
	return !strcmp(name, "time") || !strcmp(name, "started");
}

char *
cli_value_text(const char *name, const struct linkdb_value *v, bool short_hash)
{
	char buf[64];

	switch (v->type) {
	case LINKDB_NULL:
		return xstrdup("-");
	case LINKDB_INT:
		return xasprintf("%lld", (long long)v->i);
	case LINKDB_REAL:
		if (is_time_column(name)) {
			time_t t = (time_t)v->r;
			struct tm tm;
			localtime_r(&t, &tm);
			strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
			return xstrdup(buf);
		}
		return xasprintf("%g", v->r);
	case LINKDB_ARGV:
		return cli_argv_line(v->s, v->len);
	case LINKDB_TEXT:
		if (short_hash && v->len == LINKDB_HASH_HEX && linkdb_is_hash(v->s))
			return xasprintf("%.12s", v->s);
		{
			json_t *j = cli_json_string(v->s, v->len);
			char *s = xstrdup(json_string_value(j));
			json_decref(j);
			return s;
		}
	}
	return xstrdup("?");
}

char *
cli_safe(const char *s)
{
	return util_safe_text(xstrdup(s ? s : "-"));
}

int
cli_json_print(json_t *j)
{
	int rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	fputc('\n', stdout);
	return rc;
}

const char *
cli_db_path(const char *opt)
{
	const char *env = getenv("PYWELD_DB");

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	util_error("no link database given");
	util_hint("pass --db FILE or set PYWELD_DB");
	exit(2);
}

char *
cli_shim_exe(void)
{
	const char *env = getenv("PYWELD_SHIM_EXE");
	char *self, *dir, *exe;

	if (env && *env)
		return xstrdup(env);
	self = util_self_exe();
	if (!self)
		util_fatal("cannot find pyweld's own executable:");
	dir = util_dirname(self);
	exe = dir ? util_path_join(dir, "pyweld-cc") : NULL;
	free(self);
	free(dir);
	if (!exe || access(exe, X_OK) < 0)
		util_fatal("cannot find the wrapper compiler '%s':", exe ? exe : "pyweld-cc");
	return exe;
}

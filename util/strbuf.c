/*
 * strbuf.c: growable strings and vectors of owned strings.
 *
 * Neither dies: an allocation failure is sticky (failed stays set, later
 * additions do nothing), so a caller checks once at the end.  A strbuf's s
 * and a strvec's v are NUL-/NULL-terminated as soon as anything was added.
 */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t need, cap;
	char *p;

	if (sb->failed)
		return false;
	if (extra > SIZE_MAX - sb->len - 1)
		goto fail;
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(sb->s, cap);
	if (!p)
		goto fail;
	sb->s = p;
	sb->cap = cap;
	return true;
fail:
	sb->failed = true;
	return false;
}

void
strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
	if (!strbuf_grow(sb, n))
		return;
	memcpy(sb->s + sb->len, p, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

void
strbuf_adds(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void
strbuf_addc(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void
strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	if (sb->failed)
		return;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !strbuf_grow(sb, (size_t)n)) {
		sb->failed = true;
		return;
	}
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

const char *
strbuf_str(struct strbuf *sb)
{
	if (sb->failed)
		return NULL;
	return sb->s ? sb->s : "";
}

char *
strbuf_detach(struct strbuf *sb)
{
	char *s;

	if (sb->failed) {
		strbuf_free(sb);
		return NULL;
	}
	s = sb->s ? sb->s : strdup("");
	sb->s = NULL;
	sb->len = sb->cap = 0;
	return s;
}

void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->s)
		sb->s[0] = '\0';
}

void
strbuf_free(struct strbuf *sb)
{
	free(sb->s);
	sb->s = NULL;
	sb->len = sb->cap = 0;
	sb->failed = false;
}

void
strvec_push_owned(struct strvec *sv, char *s)
{
	char **v;
	size_t cap;

	if (sv->failed || !s) {
		sv->failed = true;
		free(s);
		return;
	}
	if (sv->n + 2 > sv->cap) {
		cap = sv->cap ? sv->cap * 2 : 8;
		v = realloc(sv->v, cap * sizeof(*v));
		if (!v) {
			sv->failed = true;
			free(s);
			return;
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
strvec_push(struct strvec *sv, const char *s)
{
	strvec_push_owned(sv, s ? strdup(s) : NULL);
}

void
strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	strvec_push_owned(sv, s);
}

void
strvec_free(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
	sv->failed = false;
}

char **
strvec_argv(struct strvec *sv)
{
	static char *empty[1] = { NULL };
	return sv->v ? sv->v : empty;
}


const char *const *
strvec_cargv(const struct strvec *sv)
{
	static const char *const empty[1] = { NULL };
	return sv->v ? (const char *const *)sv->v : empty;
}

bool
strvec_has(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return true;
	return false;
}

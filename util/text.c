/* text.c: small predicates and parsers over C strings. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool
util_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
util_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

char *
util_pep503_name(const char *name)
{
	struct strbuf sb = { 0 };

	for (const char *p = name; *p; p++) {
		if (strchr("-_.", *p)) {
			if (!sb.len || sb.s[sb.len - 1] != '-')
				strbuf_addc(&sb, '-');
		} else {
			strbuf_addc(&sb, (char)tolower((unsigned char)*p));
		}
	}
	if (sb.failed)
		util_fatal("out of memory");
	return sb.s ? strbuf_detach(&sb) : xstrdup("");
}

bool
util_parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s)
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool
util_is_shared_object(const char *path)
{
	return util_ends_with(path, ".so") || strstr(util_basename(path), ".so.") != NULL;
}

/* The length of the UTF-8 sequence at p (2 to 4), or 0 when it is none. */
static size_t
utf8_length(const unsigned char *p)
{
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;

	if (p[0] >= 0xf5)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

char *
util_safe_text(char *s)
{
	unsigned char *in = (unsigned char *)s, *out = in;

	while (*in) {
		size_t n = *in >= 0x80 ? utf8_length(in) : 1;
		if (*in < 0x20 || *in == 0x7f || n == 0 || (in[0] == 0xc2 && in[1] <= 0x9f)) {
			*out++ = '?';
			in += n ? n : 1;        /* a C1 control (U+0080-U+009F) is one '?' */
		} else {
			memmove(out, in, n);
			out += n;
			in += n;
		}
	}
	*out = '\0';
	return s;
}

char *
util_url_without_credentials(const char *url)
{
	const char *auth = strstr(url, "://"), *end, *rest, *query;
	struct strbuf sb = { 0 };

	if (!auth)
		return xstrdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	rest = auth;
	for (const char *q = auth; q < end; q++)
		if (*q == '@')
			rest = q + 1;   /* the last '@' of the authority ends the user part */
	strbuf_add(&sb, url, (size_t)(auth - url));
	query = strchr(rest, '?');
	if (query && (!strchr(rest, '#') || query < strchr(rest, '#'))) {
		strbuf_add(&sb, rest, (size_t)(query - rest));
		if (strchr(query, '#'))
			strbuf_adds(&sb, strchr(query, '#'));
	} else {
		strbuf_adds(&sb, rest);
	}
	return strbuf_detach(&sb);
}

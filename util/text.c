/* text.c: small predicates and parsers over C strings. */
#include "util.h"

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

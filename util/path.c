/*
 * path.c: path arithmetic and finding programs.
 *
 * util_abspath and util_path_join are lexical (no symlink is resolved), so
 * they work for files that do not exist yet.
 */
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *
util_path_join(const char *a, const char *b)
{
	char *p;
	size_t la = strlen(a);

	if (b[0] == '/' || la == 0)
		return strdup(b);
	if (asprintf(&p, "%s%s%s", a, a[la - 1] == '/' ? "" : "/", b) < 0)
		return NULL;
	return p;
}

char *
util_abspath(const char *path)
{
	struct strbuf sb = { 0 };
	char cwd[PATH_MAX];
	char *full, *tok, *save = NULL;
	size_t *marks = NULL, nmarks = 0;

	if (path[0] == '/') {
		full = strdup(path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		full = util_path_join(cwd, path);
	}
	if (!full)
		return NULL;
	marks = malloc((strlen(full) / 2 + 2) * sizeof(*marks));
	if (!marks) {
		free(full);
		return NULL;
	}
	for (tok = strtok_r(full, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (nmarks > 0)
				sb.len = marks[--nmarks];
			continue;
		}
		marks[nmarks++] = sb.len;
		strbuf_addc(&sb, '/');
		strbuf_adds(&sb, tok);
	}
	free(marks);
	free(full);
	if (sb.len == 0)
		strbuf_addc(&sb, '/');
	else
		sb.s[sb.len] = '\0';
	return strbuf_detach(&sb);
}

const char *
util_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

char *
util_dirname(const char *path)
{
	const char *s = strrchr(path, '/');

	if (!s)
		return strdup(".");
	if (s == path)
		return strdup("/");
	return strndup(path, (size_t)(s - path));
}

bool
util_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool
util_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *
util_self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

char *
util_which(const char *name, const char *path, const struct stat *skip)
{
	const char *p, *end;
	struct stat st;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? util_abspath(name) : NULL;
	if (!path)
		path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		size_t n = (size_t)(end - p);
		char *dir = n ? strndup(p, n) : strdup(".");
		char *cand = dir ? util_path_join(dir, name) : NULL;
		free(dir);
		if (cand && stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0 &&
		    !(skip && st.st_dev == skip->st_dev && st.st_ino == skip->st_ino)) {
			char *abs = util_abspath(cand);
			free(cand);
			return abs;
		}
		free(cand);
		if (*end == '\0')
			break;
	}
	return NULL;
}

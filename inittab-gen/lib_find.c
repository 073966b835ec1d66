/*
 * lib_find.c: where a library's files lie, and who installed them.
 *
 * A -l name links libNAME.a or libNAME.so (the FILE of -l:FILE), looked
 * up in the link's own directories, then in the system's (the multiarch
 * and plain lib dirs), then GCC's own (`gcc -print-file-name`).  Only a
 * file under /usr or /lib is one the binary can count on where it runs; a
 * shared object found only elsewhere is the build's own.  For what is not
 * installed: the run-time file of a library (libNAME.so.2) and the Debian
 * package that holds it (`dpkg -S`), for the hint.
 */
#include "internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const system_dirs[] = {
	"/usr/local/lib/x86_64-linux-gnu", "/usr/local/lib",
	"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib", "/lib",
	NULL,
};

/* A lib*.so path under /usr or /lib: its -l name (itg.h). */
char *
itg_system_lib_name(const char *path)
{
	const char *base = util_basename(path);
	const char *so;

	if (!(util_starts_with(path, "/usr/") || util_starts_with(path, "/lib")) ||
	    strstr(path, "/../") || !util_starts_with(base, "lib"))
		return NULL;
	so = strstr(base, ".so");
	if (!so || so == base + 3 || (so[3] != '\0' && so[3] != '.'))
		return NULL;
	for (const char *c = so + 3; *c; c++)
		if (!(*c == '.' || (*c >= '0' && *c <= '9')))
			return NULL;
	char *name = xstrdup(base + 3);
	name[so - base - 3] = '\0';
	return name;
}


bool
itg_is_libc(const char *name)
{
	static const char *const libc[] = {
		"c", "m", "dl", "pthread", "rt", "util", "resolv", "anl", "crypt_glibc",
		"nsl_glibc", "mvec", "gcc", "gcc_s", "stdc++", NULL,
	};
	for (size_t i = 0; libc[i]; i++)
		if (!strcmp(name, libc[i]))
			return true;
	return false;
}

/* The file a -l name links: "libNAME" + ext, or the FILE of -l:FILE. */
char *
itg__lib_file(const char *name, const char *ext)
{
	return name[0] == ':' ? xstrdup(name + 1) : xasprintf("lib%s%s", name, ext);
}

/* Where a library lies that the binary can count on where it runs. */
static bool
system_path(const char *path)
{
	return (util_starts_with(path, "/usr/") || util_starts_with(path, "/lib")) &&
	       !strstr(path, "/../");
}

/* file in dirs (in order), then in the system's directories; NULL if nowhere. */
static char *
find_file(const char *file, const struct strvec *dirs)
{
	for (size_t i = 0; i < dirs->n; i++) {
		char *p = util_path_join(dirs->v[i], file);
		if (p && util_is_file(p))
			return p;
		free(p);
	}
	for (size_t i = 0; system_dirs[i]; i++) {
		char *p = util_path_join(system_dirs[i], file);
		if (p && util_is_file(p))
			return p;
		free(p);
	}
	return NULL;
}

char *
itg__find_archive(const char *name, const struct strvec *dirs)
{
	char *file = itg__lib_file(name, ".a"), *p = NULL;

	/* -l:libfoo.so.1 names a shared object */
	if (util_ends_with(file, ".a"))
		p = find_file(file, dirs);
	free(file);
	return p;
}

/* GCC's own file (libgomp.so, libgfortran.so: not in the system's
 * directories), from `gcc -print-file-name`; NULL if GCC has none. */
static char *
gcc_file(const char *file)
{
	char *out = NULL, *arg = xasprintf("-print-file-name=%s", file), *nl;
	const char *const argv[] = { "gcc", arg, NULL };
	char *found = NULL;

	if (util_run_capture(argv, NULL, &out, NULL) == 0 && out) {
		if ((nl = strchr(out, '\n')))
			*nl = '\0';
		/* An unknown file comes back as given. */
		if (out[0] == '/' && util_is_file(out))
			found = xstrdup(out);
	}
	free(out);
	free(arg);
	return found;
}

/*
 * The shared object a -l name links (libNAME.so, the development link),
 * where the binary can count on it: under /usr or /lib, the link's own
 * directories there first, then the system's and GCC's.  One found only
 * elsewhere (the build's own) goes to *foreign instead.
 */
char *
itg__find_shared(const char *name, const struct strvec *dirs, char **foreign)
{
	char *file = itg__lib_file(name, ".so"), *p = NULL;

	*foreign = NULL;
	if (name[0] == ':' && !strstr(file, ".so")) {
		free(file);
		return NULL;
	}
	for (size_t i = 0; i < dirs->n && !p; i++) {
		if (!system_path(dirs->v[i]))
			continue;
		p = util_path_join(dirs->v[i], file);
		if (p && !util_is_file(p)) {
			free(p);
			p = NULL;
		}
	}
	if (!p) {
		struct strvec none = { 0 };
		p = find_file(file, &none);
	}
	if (!p)
		p = gcc_file(file);
	if (!p) {
		*foreign = find_file(file, dirs);
		if (*foreign && system_path(*foreign)) {
			free(*foreign);
			*foreign = NULL;
		}
	}
	free(file);
	return p;
}

/* "libfoo" (or the FILE of -l:FILE) */
char *
itg__lib_label(const char *name)
{
	return name[0] == ':' ? xstrdup(name + 1) : xasprintf("lib%s", name);
}

struct dpkg_search {
	const char *path;
	char *package;
};

/* One line of `dpkg -S PATH`: "PACKAGE: PATH" (errors and diversions aside). */
static void
dpkg_line(void *ctx, const char *text)
{
	struct dpkg_search *d = ctx;
	const char *sep = strstr(text, ": ");

	if (!d->package && sep && sep > text && !strcmp(sep + 2, d->path) &&
	    !memchr(text, ' ', (size_t)(sep - text)))
		d->package = strndup(text, (size_t)(sep - text));
}

/*
 * The Debian package that installed path ("libgssapi-krb5-2:amd64"), from
 * `dpkg -S`, which knows a file by the name its package gave it: /lib/...
 * and /usr/lib/... are tried both (merged /usr).  NULL when none did.
 */
char *
itg__dpkg_owner(const char *path)
{
	char *alt = util_starts_with(path, "/usr/lib/") ? xstrdup(path + 4)
	            : util_starts_with(path, "/lib/") ? xasprintf("/usr%s", path) : NULL;
	const char *tries[] = { path, alt, NULL };
	char *found = NULL;

	for (size_t i = 0; tries[i] && !found; i++) {
		struct dpkg_search d = { tries[i], NULL };
		const char *const argv[] = { "dpkg", "-S", tries[i], NULL };
		if (util_run_logged(argv, NULL, NULL, -1, dpkg_line, &d) == 0)
			found = d.package;
		else
			free(d.package);
	}
	free(alt);
	return found;
}

/* A run-time shared object of NAME (libNAME.so.N, or libNAME-2.5.so.0 as
 * libldap's) in the system's directories, the first by name; NULL if there
 * is none. */
char *
itg__runtime_file(const char *name)
{
	char *prefix = xasprintf("lib%s.so.", name), *found = NULL;
	char *versioned = xasprintf("lib%s-", name);

	for (size_t i = 0; system_dirs[i] && !found && name[0] != ':'; i++) {
		DIR *d = opendir(system_dirs[i]);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if ((util_starts_with(e->d_name, prefix) ||
			     (util_starts_with(e->d_name, versioned) && strstr(e->d_name, ".so."))) &&
			    (!found || strcmp(e->d_name, util_basename(found)) < 0)) {
				free(found);
				found = util_path_join(system_dirs[i], e->d_name);
			}
		if (d)
			closedir(d);
	}
	free(prefix);
	free(versioned);
	return found;
}

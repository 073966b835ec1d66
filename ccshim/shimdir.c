/*
 * shimdir.c: making a shim directory: every role's real tool resolved from
 * the environment ($CC, ... or the role's default name), every other shim
 * name's program from PATH, the links to pyweld-cc and the configuration.
 *
 * A $CC that already names the shims (a shell where `pyweld env` ran
 * before) is ignored, never written into the configuration: the shim
 * would run itself.  A shim name whose program is not on PATH gets no
 * link, so a build that looks for it finds what it finds without pyweld.
 */
#include "ccshim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

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

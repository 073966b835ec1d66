/*
 * shim_record.c: what pyweld-cc records, once the real tool has succeeded.
 *
 * A compile records each source it compiled and stores its object; a
 * shared link stores every object, archive and shared object it read, in
 * order, with the flags between them (a source it compiled itself is
 * compiled again for the record, shim_side.c); an archive made with ar or
 * ranlib is stored under its path.  Probes of configure, CMake and meson
 * are not recorded.  Recording never breaks a build: a failure is a
 * warning and the real tool's exit status stands (ccshim__record_failed);
 * PYWELD_STRICT=1 makes it an error, for tests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"
#include "util.h"

bool ccshim__strict;

/* A recording problem: a warning, or with PYWELD_STRICT=1 an error. */
void
ccshim__record_failed(int *status, const char *what, const char *why)
{
	if (ccshim__strict) {
		util_error("cannot record %s: %s", what, why);
		if (*status == 0)
			*status = 1;
	} else {
		util_warn("cannot record %s: %s (the build goes on without it)", what, why);
	}
}

/* Probes of configure, CMake and meson compile throwaway files. */
static bool
is_probe(const char *path)
{
	const char *base = util_basename(path);

	return util_starts_with(base, "conftest") ||
	       strstr(path, "CMakeFiles/CMakeScratch/") ||
	       strstr(path, "CMakeFiles/CMakeTmp/") ||
	       strstr(path, "meson-private/") ||
	       util_starts_with(base, "CMakeCCompilerId") ||
	       util_starts_with(base, "CMakeCXXCompilerId");
}

bool
ccshim__probe_command(const struct ccshim_cmd *cmd, const char *cwd)
{
	if (cmd->output && (is_probe(cmd->output) || !strcmp(cmd->output, "/dev/null")))
		return true;
	for (size_t i = 0; i < cmd->ninputs; i++)
		if (cmd->inputs[i].kind == CCSHIM_ARG_SOURCE && is_probe(cmd->inputs[i].value))
			return true;
	return is_probe(cwd) && strstr(cwd, "/CMakeFiles/") != NULL;
}

bool
ccshim__wants_record(const struct ccshim_cmd *cmd)
{
	return cmd->action == CCSHIM_ACT_COMPILE ||
	       cmd->action == CCSHIM_ACT_SHARED_LINK ||
	       cmd->action == CCSHIM_ACT_ARCHIVE;
}

static bool
is_header_lang(const char *lang)
{
	return lang && strstr(lang, "-header") != NULL;
}

static int
open_db(struct shim *s, int *status, const char *what)
{
	if (s->db)
		return 0;
	if (!s->dbpath) {
		ccshim__record_failed(status, what, "no link database configured (PYWELD_DB)");
		return -1;
	}
	if (linkdb_open(&s->db, s->dbpath, LINKDB_CREATE) < 0) {
		ccshim__record_failed(status, what, linkdb_errmsg(s->db));
		linkdb_close(s->db);
		s->db = NULL;
		return -1;
	}
	return 0;
}

void
ccshim__record_compile(struct shim *s, int *status)
{
	const struct ccshim_cmd *cmd = &s->cmd;

	for (size_t i = 0; i < cmd->ninputs; i++) {
		const struct ccshim_input *in = &cmd->inputs[i];
		char *obj;
		if (in->kind != CCSHIM_ARG_SOURCE || is_header_lang(in->lang))
			continue;
		obj = cmd->output && cmd->nsources == 1 ? xstrdup(cmd->output)
		      : ccshim_default_object(in->value);
		struct linkdb_compile c = {
			.cwd = s->cwd,
			.argc = cmd->argc,
			.argv = cmd->argv,
			.language = in->lang,
			.nsources = 1,
			.sources = &in->value,
			.output = obj,
			.status = 0,
		};
		char what[600];
		snprintf(what, sizeof(what), "the compile of '%s'", in->value);
		if (open_db(s, status, what) == 0 && linkdb_add_compile(s->db, s->build, &c, NULL) < 0)
			ccshim__record_failed(status, what, linkdb_errmsg(s->db));
		free(obj);
	}
}

static bool
is_system_dir(const char *dir)
{
	return util_starts_with(dir, "/usr/") || util_starts_with(dir, "/lib") ||
	       !strcmp(dir, "/usr");
}

/*
 * Where ld would find -lNAME among the link's -L directories, preferring
 * the static archive when the directory has both (that is what a weld
 * needs).  Returns a malloc'd path relative to cwd or absolute, or NULL when
 * the library is not in a -L directory of the build's own (system
 * libraries stay -l names for the final link to resolve).
 */
static char *
find_build_lib(const struct ccshim_cmd *cmd, const char *cwd, const char *name,
               enum linkdb_input_kind *kind)
{
	for (size_t i = 0; i < cmd->ninputs; i++) {
		const struct ccshim_input *in = &cmd->inputs[i];
		char *dir, *a = NULL, *so = NULL;
		if (in->kind != CCSHIM_ARG_LIBDIR)
			continue;
		char *joined = util_path_join(cwd, in->value);
		dir = joined ? util_abspath(joined) : NULL;
		free(joined);
		if (!dir)
			continue;
		if (name[0] == ':') {
			a = util_path_join(dir, name + 1);
		} else {
			a = xasprintf("%s/lib%s.a", dir, name);
			so = xasprintf("%s/lib%s.so", dir, name);
		}
		bool system = is_system_dir(dir);
		free(dir);
		if (a && util_is_file(a)) {
			free(so);
			if (system) {
				free(a);
				return NULL;
			}
			*kind = util_is_shared_object(a) ? LINKDB_IN_SHARED : LINKDB_IN_ARCHIVE;
			return a;
		}
		if (so && util_is_file(so)) {
			free(a);
			if (system) {
				free(so);
				return NULL;
			}
			*kind = LINKDB_IN_SHARED;
			return so;
		}
		free(a);
		free(so);
	}
	return NULL;
}

int
ccshim__make_tmpdir(struct shim *s)
{
	if (s->tmpdir)
		return 0;
	const char *t = getenv("TMPDIR");
	s->tmpdir = xasprintf("%s/pyweld-side.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(s->tmpdir)) {
		free(s->tmpdir);
		s->tmpdir = NULL;
		return -1;
	}
	return 0;
}

/*
 * A thin archive (ar T, as meson makes) holds only its members' paths, which
 * the build deletes soon after: the record keeps a regular archive of the
 * same members instead, made with the real ar.  Returns the path of that
 * archive (malloc'd), or NULL when path is not a thin archive or the copy
 * fails (then the thin one is recorded as it is).
 */
static char *
fatten(struct shim *s, const char *path)
{
	char magic[8] = { 0 }, *full, *dir, *listing = NULL, *out, *save = NULL, *line;
	struct strvec av = { 0 };
	FILE *f;
	int rc;

	full = path[0] == '/' ? xstrdup(path) : util_path_join(s->cwd, path);
	f = fopen(full, "rb");
	if (!f || fread(magic, 1, 8, f) != 8 || memcmp(magic, "!<thin>\n", 8) != 0 ||
	    !s->conf || !s->conf->tool[CCSHIM_TOOL_AR] || ccshim__make_tmpdir(s) < 0) {
		if (f)
			fclose(f);
		free(full);
		return NULL;
	}
	fclose(f);
	dir = util_dirname(full);
	for (size_t i = 0; s->conf->tool[CCSHIM_TOOL_AR][i]; i++)
		strvec_push(&av, s->conf->tool[CCSHIM_TOOL_AR][i]);
	strvec_push(&av, "t");
	strvec_push(&av, full);
	char **env = ccshim__active_env();
	rc = util_run_capture(strvec_cargv(&av), (const char *const *)env, &listing, NULL);
	strvec_free(&av);
	out = xasprintf("%s/fat-%d.a", s->tmpdir, s->fat_count++);
	for (size_t i = 0; s->conf->tool[CCSHIM_TOOL_AR][i]; i++)
		strvec_push(&av, s->conf->tool[CCSHIM_TOOL_AR][i]);
	strvec_push(&av, "qcs");        /* quick append: members of one name may repeat */
	strvec_push(&av, out);
	for (line = rc == 0 && listing ? strtok_r(listing, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		strvec_push_owned(&av, line[0] == '/' ? xstrdup(line) : util_path_join(dir, line));
	rc = rc == 0 && av.n > 3 ? ccshim__run_real(av.v, env, true, NULL, 0) : -1;
	free(env);
	strvec_free(&av);
	free(listing);
	free(dir);
	free(full);
	if (rc != 0) {
		free(out);
		return NULL;
	}
	return out;
}

void
ccshim__record_link(struct shim *s, int *status)
{
	const struct ccshim_cmd *cmd = &s->cmd;
	struct linkdb_input *in = xcalloc(cmd->ninputs * 2 + 1, sizeof(*in));
	struct strvec owned = { 0 };
	size_t n = 0;
	char what[600];

	/* gcc -shared without -o writes a.out. */
	snprintf(what, sizeof(what), "the link of '%s'", cmd->output ? cmd->output : "a.out");
	for (size_t i = 0; i < cmd->ninputs; i++) {
		const struct ccshim_input *ci = &cmd->inputs[i];
		struct linkdb_input *li = &in[n++];
		li->value = ci->value;
		switch (ci->kind) {
		case CCSHIM_ARG_SOURCE: {
			char why[1200];
			char *obj = ccshim__side_compile(s, ci, why, sizeof(why));
			if (!obj) {
				ccshim__record_failed(status, what, why);
				goto out;
			}
			strvec_push_owned(&owned, obj);
			li->kind = LINKDB_IN_OBJECT;
			li->path = obj;
			break;
		}
		case CCSHIM_ARG_OBJECT: li->kind = LINKDB_IN_OBJECT; break;
		case CCSHIM_ARG_ARCHIVE: {
			char *fat = fatten(s, ci->value);
			li->kind = LINKDB_IN_ARCHIVE;
			if (fat) {
				strvec_push_owned(&owned, fat);
				li->path = fat;
			}
			break;
		}
		case CCSHIM_ARG_SHARED: li->kind = LINKDB_IN_SHARED; break;
		case CCSHIM_ARG_LIBDIR: li->kind = LINKDB_IN_LIBDIR; break;
		case CCSHIM_ARG_LIB: {
			enum linkdb_input_kind k;
			char *path = find_build_lib(cmd, s->cwd, ci->value, &k);
			li->kind = LINKDB_IN_LIB;
			if (path) {
				char *fat = k == LINKDB_IN_ARCHIVE ? fatten(s, path) : NULL;
				strvec_push_owned(&owned, path);
				li->kind = k;
				li->path = path;
				if (fat) {
					strvec_push_owned(&owned, fat);
					li->path = fat;
				}
			}
			break;
		}
		case CCSHIM_ARG_LINKFLAG:
			li->kind = LINKDB_IN_FLAG;
			li->value = cmd->argv[ci->argi];
			/* A version script is stored with the flag: rustc writes its
			 * own into a temporary directory it deletes after the link. */
			li->path = ci->file;
			if (ci->argn == 2) {
				/* "-Xlinker X", "-z defs", "-T script": keep both words. */
				in[n].kind = LINKDB_IN_FLAG;
				in[n].value = cmd->argv[ci->argi + 1];
				n++;
			}
			break;
		}
	}
	if (owned.failed)
		util_fatal("out of memory");
	struct linkdb_link l = {
		.cwd = s->cwd,
		.argc = cmd->argc,
		.argv = cmd->argv,
		.language = cmd->cxx ? "c++" : "c",
		.output = cmd->output ? cmd->output : "a.out",
		.ninputs = n,
		.inputs = in,
		.status = 0,
	};
	if (open_db(s, status, what) == 0 && linkdb_add_link(s->db, s->build, &l, NULL) < 0)
		ccshim__record_failed(status, what, linkdb_errmsg(s->db));
out:
	strvec_free(&owned);
	free(in);
}

void
ccshim__record_archive(struct shim *s, int *status)
{
	const struct ccshim_cmd *cmd = &s->cmd;
	char what[600];

	for (size_t i = 0; i < cmd->ninputs || (i == 0 && cmd->output); i++) {
		const char *path = cmd->tool == CCSHIM_TOOL_RANLIB ? cmd->inputs[i].value
		                   : cmd->output;
		/* A thin archive is recorded as a regular one of the same members,
		 * under the thin one's path (the path is what later links name). */
		char *fat = fatten(s, path);
		struct linkdb_archive a = {
			.cwd = s->cwd, .argc = cmd->argc, .argv = cmd->argv, .path = path,
			.content = fat,
		};
		snprintf(what, sizeof(what), "the archive '%s'", path);
		if (open_db(s, status, what) == 0 && linkdb_add_archive(s->db, s->build, &a, NULL) < 0)
			ccshim__record_failed(status, what, linkdb_errmsg(s->db));
		free(fat);
		if (cmd->tool != CCSHIM_TOOL_RANLIB)
			break;
	}
}

/*
 * runtime.c: the generate step, inittab.c and the runtime's own units.
 *
 * The runtime's sources travel inside pyweld (util/embed.h) and are
 * compiled at every weld against the distribution's headers, with the
 * generated inittab.c (the extension table and the entry point) and the
 * application's main.c when it has one.  pyweld's own units come from the
 * derived-object cache when compiled before from the same source by the
 * same compiler against the same distribution: pyweld's executable, which
 * holds the runtime's headers, is part of every key.  The user's main.c
 * may include anything, and is always compiled.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkdb.h"

/* The runtime's units, in link order (a library has no main; the view of
 * the packed tree, the fileview units, only goes in with plan->file_view,
 * and then with the link's --wrap options: link.c). */
static const char *const units[] = { "main", "start", "config", "site", "excepthook",
                                     "run", "status", "default_main", "quirks",
                                     "modules", "importer", "pruned", "resources", "fixups",
                                     "pyweld_module", "install", "blob", "mpchild",
                                     "selfpath", "fileview", "fileview_files",
                                     "fileview_dirs", "inittab", NULL };

int
itg__write_embedded(struct itg_weld *w, const struct embedded_file *files, const char *dir)
{
	if (util_mkdir_p(dir, 0755) < 0)
		return itg__fail(w, "cannot create '%s': %s", dir, strerror(errno));
	for (const struct embedded_file *f = files; f->name; f++) {
		char *p = util_path_join(dir, f->name);
		if (util_write_atomic(p, f->data, f->size, 0644, false) < 0) {
			itg__fail(w, "cannot write '%s': %s", p, strerror(errno));
			free(p);
			return -1;
		}
		free(p);
	}
	return 0;
}

#define VERSION_DEFINE "-DPYWELD_VERSION=\"" PYWELD_VERSION "\""

static const char *
static_define(const struct itg_weld *w)
{
	return w->plan->static_link ? "-DPYWELD_STATIC=1" : "-DPYWELD_STATIC=0";
}

/*
 * Compiles a C file of the runtime's directory (work/rt: the runtime's own
 * units, the generated inittab.c and frozen.c, or the application's
 * main.c) against the distribution's headers; gcc's exit status.
 */
int
itg__compile_rt_unit(struct itg_weld *w, const char *src, const char *obj)
{
	char *incdir = itg__prefix_path(w->plan, "include/python", "");
	char *inc = xasprintf("-I%s", incdir);
	free(incdir);
	char *incrt = xasprintf("-I%s/rt", w->plan->work);
	int rc = itg__run(w, (const char *const[]){ "gcc", "-c", "-O2", "-fPIC", "-Wall",
	                                            "-Werror=implicit-function-declaration",
	                                            static_define(w), VERSION_DEFINE, inc, incrt,
	                                            src, "-o", obj, NULL }, NULL);
	free(inc);
	free(incrt);
	return rc;
}

/* The cache key of one of pyweld's own units; false when it has none. */
static bool
unit_key(const struct itg_weld *w, const char *src, char key[LINKDB_HASH_HEX + 1])
{
	struct itg_key k;
	bool keyed;

	itg_key_init(&k, "compile");
	itg_key_add_tool(&k, "gcc");
	itg_key_add(&k, "flags", static_define(w));
	itg_key_add(&k, "flags", VERSION_DEFINE);
	itg_key_add(&k, "distribution", w->plan->prefix);
	itg_key_add_file(&k, "source", src);
	keyed = itg_key_hex(&k, key);
	itg_key_free(&k);
	return keyed;
}

/* Compiles (or fetches) one unit into work/rt; its object goes to w->objs. */
static int
build_unit(struct itg_weld *w, const char *rt, const char *unit, size_t *owned, size_t *hits)
{
	const struct itg_plan *p = w->plan;
	bool app_main = !strcmp(unit, "main") && p->main_c;
	char *src = app_main ? util_abspath(p->main_c) : xasprintf("%s/%s.c", rt, unit);
	char *obj = xasprintf("%s/%s.o", rt, unit), key[LINKDB_HASH_HEX + 1];
	bool keyed = false;
	int rc;

	if (!app_main) {
		(*owned)++;
		keyed = unit_key(w, src, key);
		if (keyed && itg_cache_fetch(p->cache, key, obj)) {
			(*hits)++;
			strvec_push_owned(&w->objs, obj);
			free(src);
			return 0;
		}
	}
	rc = itg__compile_rt_unit(w, src, obj);
	if (rc == 0 && keyed)
		itg_cache_store(p->cache, key, obj);
	if (rc != 0 && app_main)
		itg__fail(w, "cannot compile the application's main '%s' (status %d)%s%s", src, rc,
		          w->cmd.first_error[0] ? ": " : "", w->cmd.first_error);
	else if (rc != 0)
		itg__fail(w, "cannot compile pyweld's runtime '%s' (status %d)", src, rc);
	if (rc != 0) {
		free(obj);
		free(src);
		return -1;
	}
	strvec_push_owned(&w->objs, obj);
	free(src);
	return 0;
}

int
itg__generate(struct itg_weld *w)
{
	const struct itg_plan *p = w->plan;
	char *rt = util_path_join(p->work, "rt");
	char *inittab = util_path_join(rt, "inittab.c");
	enum itg_entry entry = p->module ? ITG_ENTRY_MODULE :
	                       (p->code || p->script) ? ITG_ENTRY_CODE : ITG_ENTRY_NONE;
	size_t hits = 0, owned = 0;
	int rc = -1;

	/* The runtime's sources are in rt already: the pack step, before this
	 * one, wrote them for the deep-frozen modules' table. */
	itg__step(w, "generate: inittab.c and the runtime");
	if (itg_write_inittab(inittab, w->res->exts, w->res->nexts, entry,
	                      p->module ? p->module : entry == ITG_ENTRY_CODE ?
	                      "__pyweld_main__" : NULL, p->fast_exit, p->no_mp_children, w->err,
	                      w->errlen) < 0)
		goto out;
	for (size_t i = 0; units[i]; i++) {
		/* The application's own main.c (pyweld init wrote it; the user may
		 * have edited it) replaces the default; a library has none. */
		if (!strcmp(units[i], "main") && p->library)
			continue;
		if (!strncmp(units[i], "fileview", 8) && !p->file_view)
			continue;
		if (build_unit(w, rt, units[i], &owned, &hits) < 0)
			goto out;
	}
	if (owned)
		itg__note(w, "%zu of %zu compiled units from the cache", hits, owned);
	rc = 0;
out:
	free(rt);
	free(inittab);
	return rc;
}

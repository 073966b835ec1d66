/*
 * record.c: the last step of a build: the new interpreter describes itself
 * (describe.py: it must import every lib-dynload module and run pip), each
 * module is matched to its recorded link by content hash and its libraries
 * resolved to static archives, and the whole is written to dist.linkdb's
 * distribution row and to distribution.json.  Paths recorded are the final
 * ones (<cache>/python/<key>), not the work directory's.
 */
#include "internal.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itg.h"

static json_t *
strvec_json(const struct strvec *sv)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

/*
 * The new interpreter's description of itself (describe.py), or NULL with
 * the message set: it must run, import every module and run pip.  pip's
 * line names the final prefix, not the work directory.
 */
static json_t *
describe(struct pydist_job *j)
{
	const struct embedded_file *script = pydist_script("describe.py");
	char *python = pydist_prefix_path(j, "bin/python%V");
	char *out = NULL;
	json_t *desc = NULL;
	json_error_t jerr;

	if (!script) {
		pydist_fail(j, "record failed: pyweld carries no describe.py (a broken build of "
		            "pyweld)");
		goto out;
	}
	/* describe.py's text names 3.11's library directory (lib/python3.11):
	 * another version's replaces it. */
	char *text = xstrdup((const char *)script->data), *lib = strstr(text, "'python3.11'");
	if (lib && strcmp(j->pyver, "3.11") != 0) {
		char *fixed = xasprintf("%.*s'python%s'%s", (int)(lib - text), text, j->pyver,
		                        lib + strlen("'python3.11'"));
		free(text);
		text = fixed;
	}
	/* The interpreter runs from the work directory: CPython finds its
	 * prefix from its own location, so it works before the final rename. */
	int st = util_run_capture(ARGV(python, "-I", "-c", text), NULL, &out, NULL);
	free(text);
	if (st != 0 || !(desc = json_loads(out ? out : "", 0, &jerr))) {
		pydist_fail(j, "record failed: the new interpreter '%s' did not run (status %d)",
		            python, st);
		goto out;
	}
	pydist_log(j, "%s", out);
	json_t *failed = json_object_get(desc, "import_failed");
	if (json_object_size(failed) > 0) {
		const char *name;
		json_t *why;
		json_object_foreach(failed, name, why) {
			pydist_fail(j, "record failed: the new interpreter cannot import '%s': %s",
			            name, json_string_value(why));
			goto bad;
		}
	}
	if (json_integer_value(json_object_get(desc, "pip_status")) != 0) {
		pydist_fail(j, "record failed: the new interpreter cannot run pip: %s",
		            json_string_value(json_object_get(desc, "pip_error")));
		goto bad;
	}
	const char *pip = json_string_value(json_object_get(desc, "pip"));
	char *at = pip ? strstr(pip, j->work) : NULL;
	if (at) {
		char *fixed = xasprintf("%.*s%s%s", (int)(at - pip), pip, j->final,
		                        at + strlen(j->work));
		json_object_set_new(desc, "pip", json_string(fixed));
		free(fixed);
	}
	goto out;
bad:
	json_decref(desc);
	desc = NULL;
out:
	free(out);
	free(python);
	return desc;
}

/*
 * One lib-dynload module (file, in dynload) matched to the link that made
 * it and appended to modules; its libraries without a static archive go
 * to missing too.  0, or -1 with the message set.
 */
static int
record_module(struct pydist_job *j, struct linkdb *ldb, const char *dynload,
              const char *name, const char *file, json_t *modules, json_t *missing)
{
	char *path = util_path_join(dynload, file);
	char hex[LINKDB_HASH_HEX + 1], err[1024];
	int64_t link = 0;
	struct itg_ext e = { 0 };
	struct itg_libset libs;
	bool copyleft = false;

	if (linkdb_hash_file(path, hex) < 0 || linkdb_find_link_by_output(ldb, hex, &link) != 1) {
		pydist_fail(j, "record failed: no recorded link produced '%s' (was it built "
		            "through the wrappers?)", path);
		free(path);
		return -1;
	}
	free(path);
	e.name = xstrdup(name);
	if (itg_ext_from_link(ldb, link, &e, err, sizeof(err)) < 0) {
		pydist_fail(j, "record failed: '%s': %s", file, err);
		itg_ext_free(&e);
		return -1;
	}
	if (itg_resolve_libs(strvec_cargv(&e.libs), e.libs.n,
	                     strvec_cargv(&e.libdirs), e.libdirs.n,
	                     &libs, err, sizeof(err)) < 0) {
		pydist_fail(j, "record failed: %s", err);
		itg_ext_free(&e);
		return -1;
	}
	json_t *jl = json_array(), *dyn = json_array();
	for (size_t k = 0; k < libs.n; k++) {
		const struct itg_lib *l = &libs.libs[k];
		json_array_append_new(jl, json_pack("{s:s, s:s?, s:s, s:b, s:b}",
		                      "name", l->name, "archive", l->archive,
		                      "licence", l->licence, "copyleft", l->copyleft,
		                      "libc", l->libc));
		copyleft |= l->copyleft;
		if (!l->archive && !l->libc) {
			json_array_append_new(dyn, json_string(l->name));
			json_array_append_new(missing, json_pack("{s:s, s:s}", "module", name,
			                      "library", l->name));
		}
	}
	json_array_append_new(modules, json_pack(
		"{s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:b}",
		"name", name, "file", file, "link", (json_int_t)link, "init", e.init,
		"so_sha256", hex, "objects", strvec_json(&e.object_names),
		"archives", json_integer((json_int_t)e.archives.n),
		"libs", jl, "dynamic_libs", dyn, "copyleft", copyleft));
	itg_libset_free(&libs);
	itg_ext_free(&e);
	return 0;
}

/* distribution.json's document (modules and missing are stolen). */
static json_t *
document(struct pydist_job *j, json_t *desc, const char *final_prefix, const char *libhex,
         json_t *modules, json_t *missing)
{
	json_t *src = json_pack("{s:s, s:s, s:s, s:s?, s:i, s:o}",
	                        "kind", j->kind == PYDIST_SRC_TREE ? "tree"
	                        : j->kind == PYDIST_SRC_TARBALL ? "tarball"
	                        : "debian-source-package",
	                        "path", j->source, "sha256", j->identity,
	                        "debian_version", j->deb_version, "debian_patches", j->deb_patches,
	                        "pyweld_adjustments", strvec_json(&j->adjustments));
	char *libpython = xasprintf("lib/libpython%s.a", j->pyver);
	json_t *doc = json_pack("{s:s, s:s, s:O, s:O, s:s, s:s, s:s, s:s, s:O, s:O, s:O, s:O, s:o, s:o, s:{s:s, s:s}, s:o, s:o}",
	                 "recipe", PYDIST_RECIPE,
	                 "key", j->key,
	                 "python_version", json_object_get(desc, "version"),
	                 "soabi", json_object_get(desc, "soabi"),
	                 "prefix", final_prefix,
	                 "readline", j->o->gnu_readline ? "GNU readline (GPL-3.0)" : "libedit (BSD-3-Clause)",
	                 "pgo", j->o->no_pgo ? "no" : "yes",
	                 "lto", j->o->no_lto ? "no" : "yes",
	                 "ext_suffix", json_object_get(desc, "ext_suffix"),
	                 "sysconfigdata", json_object_get(desc, "sysconfigdata"),
	                 "builtins", json_object_get(desc, "builtins"),
	                 "pip", json_object_get(desc, "pip"),
	                 "source", src,
	                 "configure", strvec_json(&j->configure_args),
	                 "libpython", "path", libpython, "sha256", libhex,
	                 "modules", modules,
	                 "missing_static", missing);
	free(libpython);
	return doc;
}

int
pydist_record(struct pydist_job *j)
{
	char *db = util_path_join(j->work, "dist.linkdb");
	char *data = NULL, *final_prefix = NULL, *libpython = NULL;
	json_t *desc = NULL, *modules = json_array(), *missing = json_array(), *doc = NULL;
	struct linkdb *ldb = NULL;
	int rc = -1;

	pydist_phase_start(j, PYDIST_RECORD, j->prefix);
	if (!(desc = describe(j)))
		goto out;
	if (linkdb_open(&ldb, db, 0) < 0) {
		pydist_fail(j, "record failed: %s", linkdb_errmsg(ldb));
		goto out;
	}

	size_t i;
	json_t *m;
	const char *dynload = json_string_value(json_object_get(desc, "dynload"));
	json_array_foreach(json_object_get(desc, "modules"), i, m) {
		if (record_module(j, ldb, dynload, json_string_value(json_array_get(m, 0)),
		                  json_string_value(json_array_get(m, 1)), modules, missing) < 0)
			goto out;
	}

	final_prefix = util_path_join(j->final, "prefix");
	libpython = pydist_prefix_path(j, "lib/libpython%V.a");
	char libhex[LINKDB_HASH_HEX + 1] = "";
	linkdb_hash_file(libpython, libhex);
	doc = document(j, desc, final_prefix, libhex, modules, missing);
	modules = missing = NULL;
	data = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	struct linkdb_distribution d = {
		.python_version = json_string_value(json_object_get(desc, "version")),
		.abi = json_string_value(json_object_get(desc, "soabi")),
		.ext_suffix = json_string_value(json_object_get(desc, "ext_suffix")),
		.prefix = final_prefix,
		.libpython = libpython,
		.data = data,
	};
	if (linkdb_add_distribution(ldb, &d, NULL) < 0) {
		pydist_fail(j, "record failed: %s", linkdb_errmsg(ldb));
	} else {
		char *path = util_path_join(j->work, "distribution.json");
		if (util_write_atomic(path, data, strlen(data), 0644, true) < 0)
			pydist_fail(j, "record failed: cannot write '%s': %s", path, strerror(errno));
		else
			rc = 0;
		free(path);
	}
out:
	linkdb_close(ldb);
	json_decref(desc);
	json_decref(doc);
	json_decref(modules);
	json_decref(missing);
	free(final_prefix);
	free(libpython);
	free(data);
	free(db);
	return rc;
}

/*
 * library.c: --library, the weld as an archive for a program of its own.
 *
 * The archive holds the runtime's objects (no main), the blob, every
 * isolated extension and libpython3.11.a's members, and as its member
 * pyweld-linkflags.txt the rest of the link line a program needs after it
 * (the libraries, each once, the C++ runtime when any code is C++); `pyweld
 * link-flags` prints that member.  Its member pyweld.manifest is the
 * manifest (manifest.c), which `pyweld inspect` reads as an executable's.
 * pyweld.h, the embedding API, is written beside the archive.  The archive
 * is made in the work directory and written over the output atomically,
 * like an executable.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What a program's link line needs after the archive, written to path. */
static int
write_link_flags(struct itg_weld *w, const char *path, const struct strvec *archives,
                 const struct strvec *dynamic, bool cxx)
{
	struct strbuf flags = { 0 };
	struct strvec wraps = { 0 }, exports = { 0 };
	int rc = 0;

	/* The view of the packed tree (runtime/fileview.c, in the archive)
	 * needs the program's link to wrap the C library's entry points. */
	itg__push_file_view_wraps(w, &wraps);
	for (size_t i = 0; i < wraps.n; i++)
		strbuf_addf(&flags, "%s ", wraps.v[i]);
	strvec_free(&wraps);
	/* The program exports what a welded executable would (link.c). */
	itg__push_exports(&exports, w->plan, dynamic);
	strbuf_addf(&flags, "-Wl,--start-group %s", w->plan->out_abs);
	for (size_t i = 0; i < archives->n; i++)
		strbuf_addf(&flags, " %s", archives->v[i]);
	for (size_t i = 0; i < w->dynamic_dirs.n; i++)
		strbuf_addf(&flags, " %s", w->dynamic_dirs.v[i]);
	for (size_t i = 0; i < dynamic->n; i++)
		strbuf_addf(&flags, " %s", dynamic->v[i]);
	if (cxx)
		strbuf_adds(&flags, " -Wl,-Bstatic -lstdc++ -Wl,-Bdynamic");
	strbuf_adds(&flags, " -Wl,--end-group -static-libgcc");
	for (size_t i = 0; i < exports.n; i++)
		strbuf_addf(&flags, " %s", exports.v[i]);
	strvec_free(&exports);
	strbuf_adds(&flags, " -ldl -lm -lpthread -lutil\n");
	if (flags.failed || util_write_atomic(path, flags.s, flags.len, 0644, false) < 0)
		rc = itg__fail(w, "cannot write '%s': %s", path,
		               flags.failed ? "out of memory" : strerror(errno));
	strbuf_free(&flags);
	return rc;
}

/* libpython3.11.a's members, extracted into dir, appended to members. */
static int
extract_libpython(struct itg_weld *w, const char *dir, struct strvec *members)
{
	char *libpython = itg__prefix_path(w->plan, "lib/libpython", ".a");
	DIR *d;
	struct dirent *e;
	int rc;

	if (util_mkdir_p(dir, 0755) < 0) {
		free(libpython);
		return itg__fail(w, "cannot create '%s': %s", dir, strerror(errno));
	}
	rc = itg__run(w, (const char *const[]){ "ar", "x", libpython, NULL }, dir);
	if (rc != 0) {
		itg__fail(w, "cannot extract '%s' (ar exited %d)", libpython, rc);
		free(libpython);
		return -1;
	}
	free(libpython);
	d = opendir(dir);
	while (d && (e = readdir(d)))
		if (util_ends_with(e->d_name, ".o"))
			strvec_push_owned(members, util_path_join(dir, e->d_name));
	if (d)
		closedir(d);
	return 0;
}

/* The header of the embedding API beside the archive. */
static int
write_header(struct itg_weld *w)
{
	char *outdir = util_dirname(w->plan->out_abs);
	char *header = util_path_join(outdir, "pyweld.h");
	int rc = 0;

	for (const struct embedded_file *f = embedded_runtime; f->name && rc == 0; f++)
		if (!strcmp(f->name, "pyweld.h") &&
		    util_write_atomic(header, f->data, f->size, 0644, false) < 0)
			rc = itg__fail(w, "cannot write '%s': %s", header, strerror(errno));
	free(outdir);
	free(header);
	return rc;
}

int
itg__write_library(struct itg_weld *w, const struct strvec *archives,
                   const struct strvec *dynamic, bool cxx)
{
	char *dir = util_path_join(w->plan->work, "libpython-members");
	char *flags_path = util_path_join(w->plan->work, "pyweld-linkflags.txt");
	char *ar = util_path_join(w->plan->work, "lib.a");
	struct strvec av = { 0 }, members = { 0 };
	char *data = NULL, *manifest = NULL;
	size_t len = 0;
	int rc = -1;

	itg__step(w, "archive: %zu objects and libpython into '%s'",
	          w->res->nexts + w->objs.n, w->plan->output);
	if (extract_libpython(w, dir, &members) < 0)
		goto out;
	unlink(ar);
	strvec_push(&av, "ar");
	strvec_push(&av, "rcs");
	strvec_push(&av, ar);
	for (size_t i = 0; i < w->objs.n; i++)
		strvec_push(&av, w->objs.v[i]);
	for (size_t i = 0; i < w->res->nexts; i++)
		strvec_push(&av, w->res->exts[i]->isolated);
	for (size_t i = 0; i < members.n; i++)
		strvec_push(&av, members.v[i]);
	if (write_link_flags(w, flags_path, archives, dynamic, cxx) < 0)
		goto out;
	strvec_push(&av, flags_path);
	if (!(manifest = itg__manifest_member(w, archives)))
		goto out;
	strvec_push(&av, manifest);
	if (av.failed) {
		itg__fail(w, "out of memory");
		goto out;
	}
	rc = itg__run(w, strvec_cargv(&av), NULL);
	if (rc != 0) {
		rc = itg__fail(w, "cannot write the archive (ar exited %d)", rc);
		goto out;
	}
	rc = -1;
	if (util_read_file(ar, &data, &len) < 0 ||
	    util_write_atomic(w->plan->out_abs, data, len, 0644, true) < 0) {
		itg__fail(w, "cannot write '%s': %s", w->plan->out_abs, strerror(errno));
		goto out;
	}
	if (write_header(w) < 0)
		goto out;
	rc = 0;
out:
	free(manifest);
	free(data);
	strvec_free(&av);
	strvec_free(&members);
	free(dir);
	free(flags_path);
	free(ar);
	return rc;
}

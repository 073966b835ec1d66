/*
 * link.c: the final link, from the weld's objects to the binary.
 *
 * The link line: the runtime's objects (with inittab, the blob and the
 * deep-frozen modules), every isolated extension, then libpython3.11.a and
 * the static archives of every library the extensions need, each once and
 * in an order one pass accepts (libs.c resolves them), in one group; the
 * shared objects linked instead of archives after it; the C library last.
 * C++ anywhere (an extension, or a system archive that defines mangled
 * names) makes it a g++ link with a static libstdc++.  A library that
 * cannot be linked at all ends the weld before the link, and so does one
 * that can only be linked as a shared object under --static.
 *
 * The binary is stripped (ld's --strip-all: .symtab, .strtab and the
 * debugging information go, .dynsym stays: push_exports) unless
 * --debug keeps it all or --debug-file moves it to a file of its own.
 * The manifest of what is inside is made before the link (its licence
 * policy, policy.c, ends a weld that --deny-licence refuses and warns of
 * copyleft libraries with the chain that brings them in), then goes into a
 * section of its own (manifest.c), which stripping keeps; the SBOM made
 * from it (sbom.c, spdx.c) is written beside the binary, APP.cdx.json or
 * APP.spdx.json.
 *
 * The binary is linked in the work directory; its DT_NEEDED must be what
 * the link promised (the C library's family and the shared objects linked
 * on purpose) before it is written beside the output, synced, and renamed
 * over it: a reader never sees half of it, and a failed weld leaves the old
 * output as it was.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileview.h"

/* Records a library linked as a shared object: why, and its directory. */
static void
note_dynamic(struct itg_weld *w, const struct itg_lib *l)
{
	if (strvec_has(&w->dynamic_seen, l->name))
		return;
	strvec_push(&w->dynamic_seen, l->name);
	strvec_pushf(&w->dynamic_why, "%s%s%s%s", l->why,
	             l->needed_by ? "; lib" : "", l->needed_by ? l->needed_by : "",
	             l->needed_by ? "'s static archive needs it" : "");
	char *dir = util_dirname(l->shared), *opt = xasprintf("-L%s", dir);
	if (!strvec_has(&w->dynamic_dirs, opt))
		strvec_push(&w->dynamic_dirs, opt);
	free(opt);
	free(dir);
}

/*
 * The libraries of every extension, each once, in an order one pass
 * accepts: archives, and the shared objects linked instead ("-lNAME" in
 * dynamic, why in w->dynamic_why, their directories in w->dynamic_dirs).
 * A library that cannot be linked at all ends the weld here, before a
 * link that could only fail; under --static so does one linked as a
 * shared object.
 */
static int
gather_libs(struct itg_weld *w, struct strvec *archives, struct strvec *dynamic)
{
	struct strvec order = { 0 };
	char err[256];
	int rc = -1;

	for (size_t i = 0; i < w->res->nexts; i++) {
		struct itg_libset set;
		struct itg_ext *e = w->res->exts[i];
		if (itg_resolve_ext_libs(strvec_cargv(&e->libs), e->libs.n,
		                         strvec_cargv(&e->archive_libs), e->archive_libs.n,
		                         strvec_cargv(&e->libdirs), e->libdirs.n, &set, err,
		                         sizeof(err)) < 0) {
			itg__fail(w, "%s", err);
			goto out;
		}
		for (size_t k = 0; k < set.n; k++) {
			const struct itg_lib *l = &set.libs[k];
			if (l->missing) {
				itg__fail(w, "cannot link %s (%s %s) with the libraries it needs: %s%s%s",
				          e->name, e->package, e->version, l->why,
				          l->hint ? "\nhint: " : "", l->hint ? l->hint : "");
				itg_libset_free(&set);
				goto out;
			}
			if (l->shared && w->plan->static_link) {
				itg__fail(w, "--static: %s (%s %s) needs lib%s%s%s%s, which can only be "
				          "linked as a shared object: %s\nhint: leave the module out, or "
				          "install what a static link of lib%s needs", e->name, e->package,
				          e->version, l->name, l->needed_by ? " (through lib" : "",
				          l->needed_by ? l->needed_by : "",
				          l->needed_by ? "'s static archive)" : "", l->why, l->name);
				itg_libset_free(&set);
				goto out;
			}
			char *entry = l->archive ? xstrdup(l->archive) : l->libc ? NULL
			              : xasprintf("-l%s", l->name);
			if (!entry)
				continue;
			/* Keep the last occurrence: after every user. */
			for (size_t j = 0; j < order.n; j++) {
				if (!strcmp(order.v[j], entry)) {
					free(order.v[j]);
					memmove(order.v + j, order.v + j + 1, (order.n - j) * sizeof(char *));
					order.n--;
					break;
				}
			}
			strvec_push_owned(&order, entry);
			if (l->shared)
				note_dynamic(w, l);
		}
		itg_libset_free(&set);
	}
	for (size_t j = 0; j < order.n; j++)
		strvec_push(order.v[j][0] == '-' ? dynamic : archives, order.v[j]);
	rc = 0;
out:
	strvec_free(&order);
	return rc;
}

/* Whether the link is a C++ one: a C++ extension, or C++ in a system archive. */
static bool
any_cxx(struct itg_weld *w, const struct strvec *archives)
{
	for (size_t i = 0; i < w->res->nexts; i++)
		if (w->res->exts[i]->cxx)
			return true;
	/* C++ in a system archive (libtiff's libLerc: it defines mangled names)
	 * needs libstdc++ (and g++'s link) as much as a C++ extension does. */
	for (size_t i = 0; i < archives->n; i++)
		if (itg__defines(archives->v[i], "_Z", true)) {
			itg__log(w, "C++ code in '%s': linked with g++ and libstdc++\n",
			         archives->v[i]);
			return true;
		}
	return false;
}

/* DT_NEEDED of the result, which must be what the link promised. */
static int
check_needed(struct itg_weld *w, const char *bin, const struct strvec *dynamic,
             struct strvec *needed)
{
	static const char *const libc_family[] = {
		"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
		"libutil.so.1", "libresolv.so.2", "ld-linux-x86-64.so.2", "libmvec.so.1", NULL,
	};
	char *out = NULL, *save = NULL, *line;
	int rc = util_run_capture((const char *const[]){ "readelf", "-d", bin, NULL }, NULL, &out,
	                          NULL);

	if (rc != 0) {
		free(out);
		return itg__fail(w, "cannot read the dynamic section of '%s' (readelf exited %d)",
		                 bin, rc);
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *l = strstr(line, "(NEEDED)"), *open = l ? strchr(l, '[') : NULL;
		char *close = open ? strchr(open, ']') : NULL;
		if (!close)
			continue;
		*close = '\0';
		const char *lib = open + 1;
		strvec_push(needed, lib);
		bool ok = false;
		for (size_t i = 0; libc_family[i] && !ok; i++)
			ok = !strcmp(lib, libc_family[i]);
		for (size_t i = 0; i < dynamic->n && !ok; i++) {
			/* -lNAME promises libNAME.so*; -l:libfoo.so.1 promises libfoo.so* */
			const char *name = dynamic->v[i] + 2, *so = strstr(name, ".so");
			char *want = name[0] == ':' ? xasprintf("%.*s.so", so ? (int)(so - name - 1)
			                                        : (int)strlen(name + 1), name + 1)
			             : xasprintf("lib%s.so", name);
			ok = util_starts_with(lib, want);
			free(want);
		}
		if (!ok) {
			itg__fail(w, "'%s' came out needing '%s', which the link did not promise; "
			          "'%s' was not written", bin, lib, w->plan->output);
			free(out);
			return -1;
		}
	}
	free(out);
	return 0;
}

void
itg__push_file_view_wraps(const struct itg_weld *w, struct strvec *av)
{
	static const char *const wrapped[] = RT_FILEVIEW_WRAPPED;

	if (!w->plan->file_view)
		return;
	for (size_t i = 0; wrapped[i]; i++)
		strvec_pushf(av, "-Wl,--wrap=%s", wrapped[i]);
}

/*
 * What the binary's dynamic symbol table holds: the Python API (Py* and
 * _Py*: what ctypes.pythonapi, ctypes.CDLL(None) and an extension .so
 * loaded at run time look up), and nothing else unless a shared object is
 * linked in.  Such a library may call into one the binary holds statically
 * (libxslt.so into libxml2): then every global symbol is exported, or it
 * would bind to a second copy loaded beside the binary.  A symbol left out
 * is not exported, so --gc-sections can drop it when nothing calls it, and
 * the table shrinks: 9,517 entries to 1,655 for bench's real application.
 * A --static binary has no dynamic symbol table.
 */
void
itg__push_exports(struct strvec *av, const struct itg_plan *p, const struct strvec *dynamic)
{
	if (p->static_link)
		return;
	if (dynamic->n) {
		strvec_push(av, "-Wl,--export-dynamic");
		return;
	}
	strvec_push(av, "-Wl,--export-dynamic-symbol=Py*");
	strvec_push(av, "-Wl,--export-dynamic-symbol=_Py*");
}

/* The link line of the executable bin. */
static void
link_command(struct itg_weld *w, const char *bin, const struct strvec *archives,
             const struct strvec *dynamic, bool cxx, struct strvec *av)
{
	const struct itg_plan *p = w->plan;
	char *libpython = itg__prefix_path(p, "lib/libpython", ".a");

	strvec_push(av, cxx ? "g++" : "gcc");
	strvec_push(av, "-o");
	strvec_push(av, bin);
	if (p->static_link)
		strvec_push(av, "-static");
	/* Fixed-address unless asked: no relative relocations to apply (and
	 * no data pages copied for them) at every start. */
	strvec_push(av, p->pie ? "-pie" : "-no-pie");
	/* Stripped by the linker unless asked: .symtab and .strtab (a sixth of
	 * a hello's binary) and the debugging information serve debuggers and
	 * nm only; .dynsym stays (push_exports).  --debug-file links them
	 * and splits them off afterwards (split_debug). */
	if (!p->debug && !p->debug_file)
		strvec_push(av, "-Wl,--strip-all");
	/* Sections nothing reaches are left out: the deep-frozen strings no
	 * linked module uses (the distribution puts each in a section of its
	 * own), a Rust library's unused functions, what only an exported
	 * symbol would have kept (push_exports).  An exported symbol is
	 * reached, so what ctypes or an extension may look up by name stays. */
	strvec_push(av, "-Wl,--gc-sections");
	itg__push_file_view_wraps(w, av);
	/* The map of the link, for --size-report: -Xlinker passes the path
	 * whole (-Wl, would split it at a comma). */
	if (p->size_report) {
		char *map = util_path_join(p->work, "app.map");
		strvec_push(av, "-Xlinker");
		strvec_pushf(av, "-Map=%s", map);
		free(map);
	}
	for (size_t i = 0; i < w->objs.n; i++)
		strvec_push(av, w->objs.v[i]);
	for (size_t i = 0; i < w->res->nexts; i++)
		strvec_push(av, w->res->exts[i]->isolated);
	itg__push_exports(av, p, dynamic);
	strvec_push(av, "-Wl,--start-group");
	strvec_push(av, libpython);
	for (size_t i = 0; i < archives->n; i++)
		strvec_push(av, archives->v[i]);
	strvec_push(av, "-Wl,--end-group");
	/* The directories of the shared objects linked instead of archives
	 * (openblas-pthread/, GCC's own): -lNAME finds them there. */
	for (size_t i = 0; i < w->dynamic_dirs.n; i++)
		strvec_push(av, w->dynamic_dirs.v[i]);
	for (size_t i = 0; i < dynamic->n; i++)
		strvec_push(av, dynamic->v[i]);
	if (cxx)
		strvec_push(av, "-static-libstdc++");
	/* libgcc's unwinder (C++ exceptions, Rust panics, _Unwind_Backtrace)
	 * from libgcc_eh.a, not libgcc_s.so (rustc's links name -lgcc_s; it is
	 * one of the C library's family and never linked by name).  The
	 * unwinder finds a frame's unwind information through the sorted table
	 * of PT_GNU_EH_FRAME, which gcc asks for itself except under -static. */
	strvec_push(av, "-static-libgcc");
	strvec_push(av, "-Wl,--eh-frame-hdr");
	if (!p->static_link)
		strvec_push(av, "-Wl,--as-needed");
	strvec_push(av, "-ldl");
	strvec_push(av, "-lm");
	strvec_push(av, "-lpthread");
	strvec_push(av, "-lutil");
	free(libpython);
}

/* Runs the final link; a failure says the linker's first real error. */
static int
run_link(struct itg_weld *w, const struct strvec *av)
{
	int rc;

	w->linking = true;
	w->link_where[0] = w->link_error[0] = '\0';
	rc = itg__run(w, strvec_cargv(av), NULL);
	w->linking = false;
	if (rc != 0 && w->link_error[0])
		return itg__fail(w, "the final link failed: %s\nhint: %sthe linker's messages are "
		                 "in the log", w->link_error,
		                 util_starts_with(w->link_error, "undefined reference") ?
		                 "the library that defines it is missing from the link: no "
		                 "pkg-config file (pkg-config --static) and no -l of the "
		                 "extension's link names it; " : "");
	if (rc != 0)
		return itg__fail(w, "the final link failed (status %d)%s%s", rc,
		                 w->cmd.first_error[0] ? ": " : "; the linker's messages are in "
		                 "the log", w->cmd.first_error);
	return 0;
}

/*
 * --debug-file: bin's symbols and debugging information copied to *dbg
 * (work/debug/ under the debug file's base name), then stripped from bin,
 * which gets a .gnu_debuglink naming that base name with the file's CRC,
 * as distributions split theirs.  Both keep the link's build id: gdb finds
 * the file beside the binary (or in .debug/ there, or by the build id).
 */
static int
split_debug(struct itg_weld *w, const char *bin, char **dbg)
{
	const char *base = strrchr(w->plan->debug_file, '/');
	char *dir = util_path_join(w->plan->work, "debug"), *link;
	int rc = -1;

	base = base ? base + 1 : w->plan->debug_file;
	*dbg = util_path_join(dir, base);
	link = xasprintf("--add-gnu-debuglink=%s", *dbg);
	if (!*base || strchr(base, '\n')) {
		itg__fail(w, "cannot name the debug file '%s' in a .gnu_debuglink: its name is "
		          "empty or holds a line break", w->plan->debug_file);
		goto out;
	}
	if (util_mkdir_p(dir, 0755) < 0 || (unlink(*dbg) < 0 && errno != ENOENT)) {
		itg__fail(w, "cannot prepare '%s': %s", *dbg, strerror(errno));
		goto out;
	}
	itg__note(w, "symbols and debugging information to '%s'", w->plan->debug_file);
	if (itg__run(w, (const char *const[]){ "objcopy", "--only-keep-debug", bin, *dbg, NULL },
	             NULL) != 0) {
		itg__fail(w, "cannot copy the debugging information of '%s' (objcopy "
		          "--only-keep-debug failed)%s%s", bin, w->cmd.first_error[0] ? ": " : "",
		          w->cmd.first_error);
		goto out;
	}
	if (itg__run(w, (const char *const[]){ "objcopy", "--strip-all", link, bin, NULL },
	             NULL) != 0) {
		itg__fail(w, "cannot strip '%s' and link it to its debug file (objcopy "
		          "--strip-all --add-gnu-debuglink failed)%s%s", bin,
		          w->cmd.first_error[0] ? ": " : "", w->cmd.first_error);
		goto out;
	}
	rc = 0;
out:
	free(link);
	free(dir);
	return rc;
}

/*
 * Written beside the output and renamed over it: a reader never sees half
 * of it.  With a debug file (dbg, made by split_debug), that is written to
 * a temporary beside its place first and renamed there after the binary:
 * a failure leaves both as they were.
 */
static int
write_output(struct itg_weld *w, const char *bin, const char *dbg)
{
	const char *dest = w->plan->debug_file;
	char *data = NULL, *tmp = NULL;
	size_t len = 0;
	int fd = -1;

	if (dbg) {
		if (util_read_file(dbg, &data, &len) < 0)
			return itg__fail(w, "cannot read '%s': %s", dbg, strerror(errno));
		fd = util_atomic_open(NULL, dest, &tmp);
		if (fd < 0 || util_write_all(fd, data, len) < 0) {
			itg__fail(w, "cannot write the debug file '%s': %s", dest, strerror(errno));
			goto fail;
		}
		free(data);
		data = NULL;
	}
	if (util_read_file(bin, &data, &len) < 0) {
		itg__fail(w, "cannot read '%s': %s", bin, strerror(errno));
		goto fail;
	}
	if (util_write_atomic(w->plan->out_abs, data, len, 0755, true) < 0) {
		itg__fail(w, "cannot write '%s': %s", w->plan->out_abs, strerror(errno));
		goto fail;
	}
	free(data);
	if (fd >= 0 && util_atomic_commit(fd, tmp, dest, 0644, true) < 0)
		return itg__fail(w, "cannot write the debug file '%s': %s (the binary was "
		                 "written)", dest, strerror(errno));
	return 0;
fail:
	if (fd >= 0 || tmp)
		util_atomic_abort(fd, tmp);
	free(data);
	return -1;
}

/* Why each of dynamic is linked as a shared object, for the result. */
static void
explain_dynamic(struct itg_weld *w, const struct strvec *dynamic)
{
	for (size_t i = 0; i < dynamic->n; i++) {
		const char *name = dynamic->v[i] + 2;
		const char *why = "no static archive found";
		for (size_t k = 0; k < w->dynamic_seen.n; k++)
			if (!strcmp(w->dynamic_seen.v[k], name))
				why = w->dynamic_why.v[k];
		strvec_push(&w->res->dynamic, dynamic->v[i]);
		strvec_push(&w->res->dynamic_why, why);
	}
}

int
itg__link(struct itg_weld *w)
{
	struct strvec av = { 0 }, archives = { 0 }, dynamic = { 0 };
	char *bin = util_path_join(w->plan->work, "app.bin"), *dbg = NULL;
	bool cxx;
	int rc = -1;

	if (gather_libs(w, &archives, &dynamic) < 0)
		goto out;
	explain_dynamic(w, &dynamic);
	cxx = any_cxx(w, &archives);
	if (w->plan->library) {
		/* Its manifest, made first: the licence policy may fail the weld. */
		if (itg__manifest_make(w, &archives) < 0 ||
		    itg__write_library(w, &archives, &dynamic, cxx) < 0)
			goto out;
		if (itg__write_sbom(w) < 0)
			itg__warn(w, "no SBOM: %s", w->err);
		rc = 0;
		goto out;
	}
	/* The manifest before the link: its licence policy may fail the weld. */
	if (itg__manifest_make(w, &archives) < 0)
		goto out;
	itg__step(w, "link: %zu objects, %zu static libraries%s", w->res->nexts + w->objs.n,
	          archives.n + 1, cxx ? ", C++" : "");
	link_command(w, bin, &archives, &dynamic, cxx, &av);
	if (av.failed) {
		rc = itg__fail(w, "out of memory");
		goto out;
	}
	/* Checked before anything is written where the output goes. */
	if (run_link(w, &av) < 0 || check_needed(w, bin, &dynamic, &w->res->needed) < 0 ||
	    (w->plan->debug_file && split_debug(w, bin, &dbg) < 0) ||
	    itg__manifest(w, bin, &archives) < 0 || write_output(w, bin, dbg) < 0)
		goto out;
	/* The binary is written: a report that cannot be made is a warning. */
	if (itg__write_sbom(w) < 0)
		itg__warn(w, "no SBOM: %s", w->err);
	if (w->plan->size_report) {
		char *map = util_path_join(w->plan->work, "app.map");
		if (itg__size_report(w, bin, map) < 0)
			itg__warn(w, "no size report: %s", w->err);
		free(map);
	}
	rc = 0;
out:
	free(w->manifest);
	w->manifest = NULL;
	free(dbg);
	free(bin);
	strvec_free(&av);
	strvec_free(&archives);
	strvec_free(&dynamic);
	return rc;
}

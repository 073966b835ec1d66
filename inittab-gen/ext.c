/*
 * ext.c: an extension module from its recorded link.
 *
 * A link the wrappers recorded names its inputs in order: objects and
 * archives (copied into the store by content), -l names, -L directories,
 * shared libraries given by path, flags.  An extension to weld is its
 * objects and private archives as store paths, the libraries it needs, its
 * language, and the init function its objects really define for its
 * dotted name (PyInit_<leaf>, or PyInitU_ for a non-ASCII leaf).  What
 * cannot be welded (a Rust crate's link, LTO bytecode alone, a shared
 * library of the build's own, no init function) is refused here, with the
 * reason.  The dotted name itself comes from the installed path.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkdb.h"
#include "util.h"

void
itg_ext_free(struct itg_ext *e)
{
	free(e->name);
	free(e->package);
	free(e->version);
	free(e->file);
	free(e->init);
	free(e->renamed);
	free(e->isolated);
	strvec_free(&e->objects);
	strvec_free(&e->object_names);
	strvec_free(&e->archives);
	strvec_free(&e->archive_libs);
	strvec_free(&e->archive_names);
	strvec_free(&e->libs);
	strvec_free(&e->libdirs);
	memset(e, 0, sizeof(*e));
}

struct from_link {
	struct linkdb *db;
	struct itg_ext *e;
	bool lto, rust;
	int rc;
	char *err;
	size_t errlen;
};

static const struct linkdb_value *
col(const struct linkdb_row *row, const char *name)
{
	for (size_t i = 0; i < row->n; i++)
		if (!strcmp(row->names[i], name))
			return &row->values[i];
	return NULL;
}

static const char *
text(const struct linkdb_value *v)
{
	return v && v->type == LINKDB_TEXT ? v->s : NULL;
}

/*
 * The -l name of a private archive input: its recorded value when the link
 * named it -lNAME (the wrapper resolved it to an archive in a -L directory
 * of the build's own), or NAME of a /usr or /lib path .../libNAME.a; NULL
 * for an archive the build made itself.
 */
static char *
archive_lib_name(const char *value)
{
	const char *base = util_basename(value);

	if (!strchr(value, '/') && !util_ends_with(value, ".a"))
		return xstrdup(value);
	if ((util_starts_with(value, "/usr/") || util_starts_with(value, "/lib")) &&
	    util_starts_with(base, "lib") && util_ends_with(base, ".a") && strlen(base) > 5)
		return strndup(base + 3, strlen(base) - 5);
	return NULL;
}

/* Whether a file is LLVM bitcode: raw ("BC" 0xC0DE) or in its wrapper. */
static bool
is_bitcode(const char *path)
{
	unsigned char m[4] = { 0 };
	FILE *f = fopen(path, "rb");
	bool bc;

	if (!f)
		return false;
	bc = fread(m, 1, 4, f) == 4 &&
	     ((m[0] == 'B' && m[1] == 'C' && m[2] == 0xc0 && m[3] == 0xde) ||
	      (m[0] == 0xde && m[1] == 0xc0 && m[2] == 0x17 && m[3] == 0x0b));
	fclose(f);
	return bc;
}

static int
link_row(void *ctx, const struct linkdb_row *row)
{
	struct from_link *f = ctx;
	const char *kind, *value, *object;

	if (!strcmp(row->section, "link")) {
		const char *lang = text(col(row, "language"));
		f->e->cxx = lang && !strcmp(lang, "c++");
		return 0;
	}
	if (strcmp(row->section, "input") != 0)
		return 0;
	kind = text(col(row, "kind"));
	value = text(col(row, "value"));
	object = text(col(row, "object"));
	if (!kind || !value)
		return 0;
	/* rustc links through cc: its crates (.rlib) and codegen units (.rcgu.o). */
	if (util_ends_with(value, ".rlib") || strstr(value, ".rcgu.o"))
		f->rust = true;
	/* -Wl,-z,noexecstack, or the second word of -z noexecstack: the
	 * partial link says so too (an input without .note.GNU-stack, such as
	 * rustc's symbols.o, would otherwise ask for an executable stack). */
	if (!strcmp(kind, "flag") && (!strcmp(value, "noexecstack") ||
	                              (util_starts_with(value, "-Wl,") &&
	                               strstr(value, ",noexecstack"))))
		f->e->noexecstack = true;
	if ((!strcmp(kind, "object") || !strcmp(kind, "archive")) && object) {
		char *p = linkdb_store_path(f->db, object);
		const char *okind = text(col(row, "object_kind"));
		const struct linkdb_value *lto = col(row, "lto");
		if (lto && lto->type == LINKDB_INT && lto->i)
			f->e->lto = true;
		if (!p)
			return -1;
		/* An object that is not ELF (a linker script, text) cannot be welded. */
		if (okind && !strcmp(okind, "other")) {
			if (is_bitcode(p))
				snprintf(f->err, f->errlen, "link input '%s' is LLVM bitcode (built for "
				         "the linker to optimise: rustc's -C linker-plugin-lto, clang's "
				         "-flto), which binutils cannot partially link\nhint: build "
				         "without it: --env RUSTFLAGS= (or without -C linker-plugin-lto "
				         "in it), --env CFLAGS=-fno-lto for C", value);
			else
				snprintf(f->err, f->errlen, "link input '%s' is not an ELF object or "
				         "archive", value);
			free(p);
			f->rc = -1;
			return 0;
		}
		if (!strcmp(kind, "object") && !(okind && !strcmp(okind, "archive"))) {
			strvec_push_owned(&f->e->objects, p);
			strvec_push(&f->e->object_names, value);
		} else {
			const char *path = text(col(row, "path"));
			strvec_push_owned(&f->e->archives, p);
			strvec_push(&f->e->archive_names, path ? path : value);
			/* A library's archive (-lNAME found in the build's own -L
			 * directory, or the system's libNAME.a by path): what it needs
			 * in turn comes from its .pc file, as for a -l library. */
			char *lib = !strcmp(kind, "archive") ? archive_lib_name(value) : NULL;
			if (lib)
				strvec_push_owned(&f->e->archive_libs, lib);
		}
	} else if (!strcmp(kind, "lib")) {
		strvec_push(&f->e->libs, value);
	} else if (!strcmp(kind, "libdir")) {
		strvec_push(&f->e->libdirs, value);
	} else if (!strcmp(kind, "shared")) {
		char *name = itg_system_lib_name(value);
		if (name) {
			strvec_push_owned(&f->e->libs, name);
			strvec_push_owned(&f->e->libdirs, util_dirname(value));
		} else {
			snprintf(f->err, f->errlen, "it links the shared library '%s', which "
			         "cannot be welded in statically (it is not a system library: the "
			         "binary could not find it where it runs)", value);
			f->rc = -1;
		}
	} else if (!strcmp(kind, "flag") && (!strcmp(value, "-fopenmp"))) {
		strvec_push(&f->e->libs, "gomp");
	}
	return 0;
}

/* The init symbol CPython calls for a module whose last component is leaf. */
static char *
init_name(const char *leaf)
{
	for (const char *p = leaf; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return NULL;    /* PyInitU_ (punycode): matched loosely below */
	return xasprintf("PyInit_%s", leaf);
}

int
itg_ext_from_link(struct linkdb *db, int64_t link, struct itg_ext *e, char *err,
                  size_t errlen)
{
	struct from_link f = { .db = db, .e = e, .err = err, .errlen = errlen };
	char spec[64], **inits = NULL, *want;
	size_t ninits = 0;
	const char *leaf = strrchr(e->name, '.');

	leaf = leaf ? leaf + 1 : e->name;
	e->db = db;
	e->link = link;
	snprintf(spec, sizeof(spec), "link:%lld", (long long)link);
	if (linkdb_show(db, spec, link_row, &f) < 0) {
		snprintf(err, errlen, "%s", linkdb_errmsg(db));
		return -1;
	}
	if (f.rc < 0)
		return -1;
	e->rust = f.rust;
	/* LTO bytecode hides its symbols from the ELF symbol table: say so
	 * before looking for the init function there. */
	if (e->lto) {
		snprintf(err, errlen, "its objects hold only LTO bytecode (compiled with -flto "
		         "and without -ffat-lto-objects), which cannot be partially linked and "
		         "renamed\nhint: pyweld's wrappers ask GCC for fat objects (machine code "
		         "beside the bytecode) unless PYWELD_FAT_LTO=0; with another compiler, "
		         "build it without LTO: --env CFLAGS=-fno-lto --env CXXFLAGS=-fno-lto");
		return -1;
	}
	if (linkdb_link_inits(db, link, &inits, &ninits) < 0) {
		snprintf(err, errlen, "%s", linkdb_errmsg(db));
		return -1;
	}
	want = init_name(leaf);
	for (size_t i = 0; i < ninits; i++) {
		if (!e->init && ((want && !strcmp(inits[i], want)) ||
		                 (!want && util_starts_with(inits[i], "PyInitU_"))))
			e->init = xstrdup(inits[i]);
		free(inits[i]);
	}
	free(inits);
	if (!e->init) {
		snprintf(err, errlen, "its objects define no init function %s (%s)%s",
		         want ? want : "PyInitU_...", ninits ? "they define other PyInit_ "
		         "functions" : "it is a plain shared library, e.g. loaded with "
		         "ctypes or cffi by its path, not imported",
		         ninits ? "" : "\nhint: a library loaded by path cannot live inside "
		         "the binary; leave the package out or use an alternative with a C "
		         "extension");
		free(want);
		return -1;
	}
	free(want);
	if (e->objects.n == 0) {
		snprintf(err, errlen, "its recorded link has no objects");
		return -1;
	}
	return 0;
}

char *
itg_module_name(const char *relpath, const char *ext_suffix)
{
	const char *suffixes[] = { ext_suffix, ".abi3.so", ".so", NULL };
	size_t len = strlen(relpath);
	char *name = NULL;

	for (size_t i = 0; suffixes[i] && !name; i++) {
		size_t sl = strlen(suffixes[i]);
		if (sl && len > sl && !strcmp(relpath + len - sl, suffixes[i]))
			name = strndup(relpath, len - sl);
	}
	if (!name)
		return NULL;
	for (char *p = name; *p; p++) {
		if (*p == '/') {
			*p = '.';
		} else if (*p == '.' || *p == '-' || *p == ' ') {
			/* "libfoo.so.1" or "foo-1.so": not a module path. */
			free(name);
			return NULL;
		}
	}
	return name;
}

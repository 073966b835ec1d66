/*
 * weld.c: from recorded links to objects ready for one final link.
 *
 * Static linking turns harmless duplicates between extension modules into
 * clashes (two PyInit__speedups, two bundled copies of zstd).  Each
 * extension is therefore linked on its own first: `ld -r` of its objects
 * and private archives into one relocatable object, then `objcopy`
 * renames its init function to a unique symbol and makes every other
 * strong global local (weak and unique ones, C++'s COMDAT, stay global and
 * merge as in any C++ program).  Undefined symbols (the Python API, libc, system
 * libraries) stay undefined for the final link.
 */
#include "itg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	if (f.rust) {
		snprintf(err, errlen, "it was built by rustc (a Rust extension: its link reads "
		         "Rust crates and codegen units); pyweld welds C and C++ extensions "
		         "only\nhint: use a pure-Python alternative, or leave %s out",
		         e->package ? e->package : "its package");
		return -1;
	}
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

/* A unique, readable C identifier for a module's init in the weld. */
static char *
renamed_symbol(const char *name)
{
	char hex[LINKDB_HASH_HEX + 1];
	struct strbuf sb = { 0 };

	linkdb_hash_buffer(name, strlen(name), hex);
	strbuf_adds(&sb, "pyweld_init_");
	for (const char *p = name; *p; p++)
		strbuf_addc(&sb, isalnum((unsigned char)*p) ? *p : '_');
	strbuf_addf(&sb, "_%.8s", hex);
	return strbuf_detach(&sb);
}

/*
 * What a module does that holds only across shared objects, and what the
 * weld changes so that it stays correct in one binary.
 *
 * numpy's temporary elision (numpy/core/src/multiarray/temp_elide.c) reuses
 * an operand with one reference as the result of +, *, ... in place, but
 * only when backtrace() shows every frame up to the eval loop inside
 * libpython or numpy's own .so, which it tells apart by their dladdr base
 * addresses: a C or Cython extension may hold such an operand in a local
 * variable and read it afterwards.  In a welded binary every frame has the
 * same base, so the extension's array would be overwritten.  backtrace()
 * answering 0 frames is numpy's own "cannot tell" path: elision off
 * (pyweld_no_backtrace, runtime/quirks.c).  numpy's test
 * TestTemporaryElide::test_extension_incref_elide shows the difference.
 */
static const struct quirk {
	const char *module;
	const char *redefine;   /* objcopy --redefine-sym OLD=NEW */
	const char *said;       /* what the build summary says */
} quirks[] = {
	{ "numpy.core._multiarray_umath", "backtrace=pyweld_no_backtrace",
	  "numpy's temporary elision is off (it tells callers apart by shared object)" },
	{ "numpy._core._multiarray_umath", "backtrace=pyweld_no_backtrace",
	  "numpy's temporary elision is off (it tells callers apart by shared object)" },
};

static const struct quirk *
quirk_of(const char *module)
{
	for (size_t i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++)
		if (!strcmp(quirks[i].module, module))
			return &quirks[i];
	return NULL;
}

/* The inputs of an isolation: the objects and archives by content, the
 * names, the quirk, and the tools. */
static bool
isolate_key(const struct itg_ext *e, char hex[LINKDB_HASH_HEX + 1])
{
	struct itg_key k;
	bool ok;

	itg_key_init(&k, "isolate");
	itg_key_add(&k, "name", e->name);
	itg_key_add(&k, "init", e->init);
	itg_key_add(&k, "renamed", e->renamed);
	if (quirk_of(e->name))
		itg_key_add(&k, "redefine", quirk_of(e->name)->redefine);
	for (size_t i = 0; i < e->objects.n; i++)
		itg_key_add_file(&k, "object", e->objects.v[i]);
	for (size_t i = 0; i < e->archives.n; i++)
		itg_key_add_file(&k, "archive", e->archives.v[i]);
	itg_key_add_tool(&k, "ld");
	itg_key_add_tool(&k, "objcopy");
	ok = itg_key_hex(&k, hex);
	itg_key_free(&k);
	return ok;
}

int
itg_isolate(struct itg_ext *e, const char *dir, const char *cache, bool *cached,
            char *err, size_t errlen)
{
	struct strvec av = { 0 };
	char *out, *renamed_arg, *keep_arg, key[LINKDB_HASH_HEX + 1];
	bool keyed;
	int rc;

	if (!e->renamed)
		e->renamed = renamed_symbol(e->name);
	out = xasprintf("%s/%s.o", dir, e->renamed);
	if (cached)
		*cached = false;
	const struct quirk *q = quirk_of(e->name);
	e->quirk = q ? q->said : NULL;
	keyed = cache && isolate_key(e, key);
	if (keyed && itg_cache_fetch(cache, key, out)) {
		if (cached)
			*cached = true;
		free(e->isolated);
		e->isolated = out;
		return 0;
	}
	strvec_push(&av, "ld");
	strvec_push(&av, "-r");
	strvec_push(&av, "-o");
	strvec_push(&av, out);
	/* Keep every object; take from private archives what they need. */
	for (size_t i = 0; i < e->objects.n; i++)
		strvec_push(&av, e->objects.v[i]);
	if (e->archives.n) {
		strvec_push(&av, "--start-group");
		for (size_t i = 0; i < e->archives.n; i++)
			strvec_push(&av, e->archives.v[i]);
		strvec_push(&av, "--end-group");
	}
	if (av.failed)
		util_fatal("out of memory");
	rc = util_run(strvec_cargv(&av), NULL);
	strvec_free(&av);
	if (rc != 0) {
		snprintf(err, errlen, "partial link of '%s' failed (ld -r exited %d)", e->name, rc);
		free(out);
		return -1;
	}
	/*
	 * Weak and GNU_UNIQUE definitions stay global: C++ puts inline
	 * functions, templates, typeinfo and DW.ref.__gxx_personality_v0 in
	 * COMDAT groups that the final link merges by name, and a group whose
	 * symbol was made local would still displace the same group in
	 * libstdc++.a, leaving its references undefined.
	 */
	char **weak = NULL;
	size_t nweak = 0;
	if (linkdb_file_symbols(out, LINKDB_SYM_WEAK, &weak, &nweak, err, errlen) < 0) {
		free(out);
		return -1;
	}
	struct strbuf keep = { 0 };
	strbuf_addf(&keep, "%s\n", e->renamed);
	for (size_t i = 0; i < nweak; i++) {
		strbuf_addf(&keep, "%s\n", weak[i]);
		free(weak[i]);
	}
	free(weak);
	char *keepfile = xasprintf("%s.keep", out);
	if (keep.failed || util_write_atomic(keepfile, keep.s, keep.len, 0644, false) < 0) {
		snprintf(err, errlen, "cannot write '%s': %s", keepfile, strerror(errno));
		strbuf_free(&keep);
		free(keepfile);
		free(out);
		return -1;
	}
	strbuf_free(&keep);
	renamed_arg = xasprintf("%s=%s", e->init, e->renamed);
	keep_arg = xasprintf("--keep-global-symbols=%s", keepfile);
	/* Fat LTO objects carry their bytecode beside the machine code; the
	 * final link's LTO plugin would read the bytecode's symbol table, where
	 * the init function still has its old name: drop the bytecode. */
	const char *const oc[] = { "objcopy", "--redefine-sym", renamed_arg, keep_arg,
	                           "--remove-section=.gnu.lto_*",
	                           "--remove-section=.gnu.debuglto_*",
	                           q ? "--redefine-sym" : out, q ? q->redefine : NULL,
	                           q ? out : NULL, NULL };
	rc = util_run(oc, NULL);
	unlink(keepfile);
	free(keepfile);
	free(renamed_arg);
	free(keep_arg);
	if (rc != 0) {
		snprintf(err, errlen, "isolating the symbols of '%s' failed (objcopy exited %d)%s",
		         e->name, rc, e->lto ? "; its objects are LTO bytecode" : "");
		free(out);
		return -1;
	}
	if (keyed)
		itg_cache_store(cache, key, out);
	free(e->isolated);
	e->isolated = out;
	return 0;
}

struct sym_owner {
	const char *name;
	size_t owner;
};

static int
cmp_sym(const void *a, const void *b)
{
	const struct sym_owner *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->owner > y->owner) - (x->owner < y->owner);
}

int
itg_check_collisions(const char *const *objects, const char *const *owners,
                     size_t n, void (*report)(void *ctx, const char *symbol,
                     const char *a, const char *b), void *ctx, char *err,
                     size_t errlen)
{
	struct sym_owner *all = NULL;
	char ***names = xcalloc(n ? n : 1, sizeof(char **));
	size_t total = 0, cap = 0;
	int clashes = 0, rc = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k;
		/* Weak and unique definitions merge; only two strong ones clash. */
		if (linkdb_file_symbols(objects[i], LINKDB_SYM_STRONG, &names[i], &k, err,
		                        errlen) < 0) {
			rc = -1;
			goto out;
		}
		for (size_t s = 0; s < k; s++) {
			if (total == cap) {
				cap = cap ? cap * 2 : 1024;
				all = xreallocarray(all, cap, sizeof(*all));
			}
			all[total].name = names[i][s];
			all[total].owner = i;
			total++;
		}
	}
	if (total)
		qsort(all, total, sizeof(*all), cmp_sym);
	for (size_t i = 1; i < total; i++) {
		if (strcmp(all[i].name, all[i - 1].name) == 0 && all[i].owner != all[i - 1].owner) {
			clashes++;
			report(ctx, all[i].name, owners[all[i - 1].owner], owners[all[i].owner]);
		}
	}
	rc = clashes;
out:
	for (size_t i = 0; i < n; i++) {
		for (size_t s = 0; names[i] && names[i][s]; s++)
			free(names[i][s]);
		free(names[i]);
	}
	free(names);
	free(all);
	return rc;
}

/*
 * Generated C and assembler quote what they did not choose (module names,
 * package names and versions from METADATA, paths of the work directory)
 * with one escape: '"' and '\' backslashed, '?' (trigraphs) and every byte
 * outside printable ASCII as three octal digits, which C and GNU as read
 * alike and which no following digit can extend.  Nothing can then end a
 * string literal or a line; in a comment, "*" "/" and "/" "*" are broken
 * up with a backslash as well.
 */
static void
c_escape(struct strbuf *sb, const char *s, bool comment)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\') {
			strbuf_addc(sb, '\\');
			strbuf_addc(sb, (char)*c);
		} else if (*c == '?' || *c < 0x20 || *c >= 0x7f) {
			strbuf_addf(sb, "\\%03o", *c);
		} else {
			strbuf_addc(sb, (char)*c);
			if (comment && ((*c == '*' && c[1] == '/') || (*c == '/' && c[1] == '*')))
				strbuf_addc(sb, '\\');
		}
	}
}

void
itg_c_string(struct strbuf *sb, const char *s)
{
	strbuf_addc(sb, '"');
	c_escape(sb, s, false);
	strbuf_addc(sb, '"');
}

void
itg_c_comment(struct strbuf *sb, const char *s)
{
	c_escape(sb, s, true);
}

static int
cmp_ext(const void *a, const void *b)
{
	const struct itg_ext *x = *(struct itg_ext *const *)a, *y = *(struct itg_ext *const *)b;
	return strcmp(x->name, y->name);
}

int
itg_write_inittab(const char *path, struct itg_ext *const *exts, size_t n,
                  enum itg_entry entry, const char *module, bool fast_exit,
                  bool no_mp_children, char *err, size_t errlen)
{
	struct itg_ext **sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	struct strbuf sb = { 0 };
	static const char *const entries[] = { "RT_ENTRY_NONE", "RT_ENTRY_CODE",
	                                       "RT_ENTRY_MODULE" };

	memcpy(sorted, exts, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_ext);
	strbuf_adds(&sb, "/*\n * Generated by pyweld build: the extension modules welded into this\n"
	                 " * binary and its entry point.  Do not edit; rebuild instead.\n */\n"
	                 "#include \"rt.h\"\n\n");
	/* renamed_symbol() made each a C identifier. */
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "extern PyObject *%s(void);\n", sorted[i]->renamed);
	strbuf_adds(&sb, "\n/* The module blob (modules_blob.S): modules, resources, metadata. */\n"
	                 "extern const unsigned char pyweld_blob[], pyweld_blob_end[];\n");
	strbuf_adds(&sb, "\nstatic struct _inittab inittab[] = {\n");
	for (size_t i = 0; i < n; i++) {
		strbuf_adds(&sb, "\t{ ");
		itg_c_string(&sb, sorted[i]->name);
		strbuf_addf(&sb, ", %s },\t/* ", sorted[i]->renamed);
		itg_c_comment(&sb, sorted[i]->package ? sorted[i]->package : "?");
		strbuf_addc(&sb, ' ');
		itg_c_comment(&sb, sorted[i]->version ? sorted[i]->version : "");
		strbuf_adds(&sb, " */\n");
	}
	strbuf_adds(&sb, "\t{ NULL, NULL },\n};\n\n");
	strbuf_addf(&sb, "const struct rt_app rt_app = {\n\t.entry = %s,\n\t.module = ",
	            entries[entry]);
	if (module)
		itg_c_string(&sb, module);
	else
		strbuf_adds(&sb, "NULL");
	strbuf_addf(&sb, ",\n\t.inittab = inittab,\n\t.generator = \"pyweld build\",\n"
	                 "\t.blob = pyweld_blob,\n\t.blob_end = pyweld_blob_end,\n"
	                 "\t.fast_exit = %d,\n\t.no_mp_children = %d,\n};\n", fast_exit ? 1 : 0,
	            no_mp_children ? 1 : 0);
	free(sorted);
	if (sb.failed || util_write_atomic(path, sb.s, sb.len, 0644, false) < 0) {
		snprintf(err, errlen, "cannot write '%s': %s", path,
		         sb.failed ? "out of memory" : strerror(errno));
		strbuf_free(&sb);
		return -1;
	}
	strbuf_free(&sb);
	return 0;
}

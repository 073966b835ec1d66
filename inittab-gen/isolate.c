/*
 * isolate.c: each extension linked on its own, ready for one final link.
 *
 * Static linking turns harmless duplicates between extension modules into
 * clashes (two PyInit__speedups, two bundled copies of zstd).  Each
 * extension is therefore linked on its own first: `ld -r` of its objects
 * and private archives into one relocatable object, then `objcopy`
 * renames its init function to a unique symbol and makes every other
 * strong global local (weak and unique ones, C++'s COMDAT, stay global and
 * merge as in any C++ program).  Undefined symbols (the Python API, libc, system
 * libraries) stay undefined for the final link.  Strong globals that two
 * isolated objects still both define are found before the final link.
 *
 * A Rust extension (linked by rustc) is partially linked the same way, with
 * its crates (.rlib archives) and the toolchain's std, alloc, core,
 * panic_unwind and compiler_builtins: every extension keeps its own copy of
 * Rust's std.  Everything but the init function becomes local, weak
 * definitions included (compiler_builtins' intrinsics), so no two Rust
 * extensions share std's globals, the allocator shims whose names carry a
 * hash of the rustc that made them (__rustc::__rust_alloc ...), their
 * #[global_allocator] or rust_eh_personality.  The one COMDAT group Rust
 * emits, DW.ref.rust_eh_personality (the pointer each frame's unwind
 * information names), is renamed per extension: the final link would
 * otherwise keep one group of that name and point every extension's frames
 * at the first extension's personality routine.  rustc's crates also carry
 * LLVM bitcode for cross-crate LTO (.llvmbc, marked for the final link to
 * drop, kept by ld -r): the copy drops it.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linkdb.h"
#include "util.h"

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
	for (size_t i = 0; i < countof(quirks); i++)
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
	/* How the symbols are treated and the stack marked (isolate below). */
	itg_key_add(&k, "rules", e->rust && !e->cxx ? "rust-private" : "weak-global");
	itg_key_add(&k, "noexecstack", e->noexecstack ? "1" : "0");
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

/* ld -r: every object of e and what its private archives' members they
 * need, into out.  0, or -1 with a message in err. */
static int
partial_link(const struct itg_ext *e, const char *out, char *err, size_t errlen)
{
	struct strvec av = { 0 };
	int rc;

	strvec_push(&av, "ld");
	strvec_push(&av, "-r");
	/* As the extension's own link promised: an input without a
	 * .note.GNU-stack section (rustc's symbols.o) would otherwise mark
	 * the object, and so the whole binary, as needing an executable stack. */
	if (e->noexecstack) {
		strvec_push(&av, "-z");
		strvec_push(&av, "noexecstack");
	}
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
		return -1;
	}
	return 0;
}

/*
 * Writes keepfile, the symbols of out that stay global: the renamed init
 * and, but for Rust code without C++, every weak and GNU_UNIQUE
 * definition.  C++ puts inline functions, templates, typeinfo and
 * DW.ref.__gxx_personality_v0 in COMDAT groups that the final link merges
 * by name, and a group whose symbol was made local would still displace
 * the same group in libstdc++.a, leaving its references undefined.  Rust
 * code keeps none (see the top of this file).  0, or -1 with err.
 */
static int
write_keep_list(const struct itg_ext *e, const char *out, const char *keepfile, char *err,
                size_t errlen)
{
	bool all_private = e->rust && !e->cxx;
	struct strbuf keep = { 0 };
	char **weak = NULL;
	size_t nweak = 0;
	int rc = 0;

	if (linkdb_file_symbols(out, LINKDB_SYM_WEAK, &weak, &nweak, err, errlen) < 0)
		return -1;
	strbuf_addf(&keep, "%s\n", e->renamed);
	for (size_t i = 0; i < nweak; i++) {
		if (!all_private)
			strbuf_addf(&keep, "%s\n", weak[i]);
		free(weak[i]);
	}
	free(weak);
	if (keep.failed || util_write_atomic(keepfile, keep.s, keep.len, 0644, false) < 0) {
		snprintf(err, errlen, "cannot write '%s': %s", keepfile, strerror(errno));
		rc = -1;
	}
	strbuf_free(&keep);
	return rc;
}

/* objcopy in place: the init renamed, every global not in keepfile made
 * local, LTO bytecode dropped, Rust's personality pointer and the quirk's
 * symbol renamed.  0, or -1 with a message in err. */
static int
localize(const struct itg_ext *e, const struct quirk *q, const char *out,
         const char *keepfile, char *err, size_t errlen)
{
	struct strvec oc = { 0 };
	int rc;

	strvec_push(&oc, "objcopy");
	strvec_push(&oc, "--redefine-sym");
	strvec_pushf(&oc, "%s=%s", e->init, e->renamed);
	strvec_pushf(&oc, "--keep-global-symbols=%s", keepfile);
	/* Fat LTO objects carry their bytecode beside the machine code; the
	 * final link's LTO plugin would read the bytecode's symbol table, where
	 * the init function still has its old name: drop the bytecode. */
	strvec_push(&oc, "--remove-section=.gnu.lto_*");
	strvec_push(&oc, "--remove-section=.gnu.debuglto_*");
	strvec_push(&oc, "--remove-section=.llvmbc");
	strvec_push(&oc, "--remove-section=.llvmcmd");
	if (e->rust) {
		strvec_push(&oc, "--redefine-sym");
		strvec_pushf(&oc, "DW.ref.rust_eh_personality=DW.ref.rust_eh_personality.%s",
		             e->renamed);
	}
	if (q) {
		strvec_push(&oc, "--redefine-sym");
		strvec_push(&oc, q->redefine);
	}
	strvec_push(&oc, out);
	if (oc.failed)
		util_fatal("out of memory");
	rc = util_run(strvec_cargv(&oc), NULL);
	strvec_free(&oc);
	if (rc != 0) {
		snprintf(err, errlen, "isolating the symbols of '%s' failed (objcopy exited %d)%s",
		         e->name, rc, e->lto ? "; its objects are LTO bytecode" : "");
		return -1;
	}
	return 0;
}

int
itg_isolate(struct itg_ext *e, const char *dir, const char *cache, bool *cached,
            char *err, size_t errlen)
{
	const struct quirk *q = quirk_of(e->name);
	char *out, *keepfile, key[LINKDB_HASH_HEX + 1];
	bool keyed;
	int rc;

	if (!e->renamed)
		e->renamed = renamed_symbol(e->name);
	out = xasprintf("%s/%s.o", dir, e->renamed);
	if (cached)
		*cached = false;
	e->quirk = q ? q->said : NULL;
	keyed = cache && isolate_key(e, key);
	if (keyed && itg_cache_fetch(cache, key, out)) {
		if (cached)
			*cached = true;
		free(e->isolated);
		e->isolated = out;
		return 0;
	}
	if (partial_link(e, out, err, errlen) < 0) {
		free(out);
		return -1;
	}
	keepfile = xasprintf("%s.keep", out);
	rc = write_keep_list(e, out, keepfile, err, errlen);
	if (rc == 0)
		rc = localize(e, q, out, keepfile, err, errlen);
	unlink(keepfile);
	free(keepfile);
	if (rc < 0) {
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

static void
report_clash(void *ctx, const char *symbol, const char *a, const char *c)
{
	itg__error(ctx, "symbol '%s' is defined by both %s and %s", symbol, a, c);
}

/*
 * The isolate step: each extension partially linked and renamed (from the
 * cache when it was before), two of the same name refused, and the strong
 * symbols that still clash reported, each, before the weld fails.
 */
int
itg__isolate(struct itg_weld *w)
{
	struct itg_ext **exts = w->res->exts;
	size_t n = w->res->nexts, hits = 0;
	char *dir = util_path_join(w->plan->work, "objs");
	const char **objs = xcalloc(n + 1, sizeof(char *));
	struct strvec owners = { 0 };
	int clashes, rc = -1;

	itg__step(w, "isolate: %zu extension modules", n);
	if (util_mkdir_p(dir, 0755) < 0) {
		itg__fail(w, "cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < i; k++)
			if (!strcmp(exts[k]->name, exts[i]->name)) {
				itg__fail(w, "two extension modules are named '%s': one from %s %s, one "
				          "from %s %s", exts[i]->name, exts[k]->package, exts[k]->version,
				          exts[i]->package, exts[i]->version);
				goto out;
			}
		bool hit;
		if (itg_isolate(exts[i], dir, w->plan->cache, &hit, w->err, w->errlen) < 0)
			goto out;
		hits += hit;
		objs[i] = exts[i]->isolated;
		strvec_pushf(&owners, "%s (%s %s)", exts[i]->name, exts[i]->package,
		             exts[i]->version);
	}
	if (owners.failed) {
		itg__fail(w, "out of memory");
		goto out;
	}
	clashes = itg_check_collisions(objs, (const char *const *)owners.v, n, report_clash, w,
	                               w->err, w->errlen);
	if (clashes < 0)
		goto out;
	if (clashes > 0) {
		itg__fail(w, "%d symbol%s would clash in the final link", clashes,
		          clashes == 1 ? "" : "s");
		goto out;
	}
	if (hits)
		itg__note(w, "%zu from the cache", hits);
	rc = 0;
out:
	strvec_free(&owners);
	free(objs);
	free(dir);
	return rc;
}

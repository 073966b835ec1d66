/*
 * libs.c: external libraries, static where the system has an archive.
 *
 * For each -lNAME: the archive lib<NAME>.a is looked up in the given
 * directories, then in the system's (the multiarch and plain lib dirs);
 * its own dependencies come from `pkg-config --static --libs` of the .pc
 * file that provides it (tried as NAME and libNAME), plus a few the .pc
 * files of Debian 12 leave out, and are resolved the same way, the .pc
 * file's -L directories searched too.  An archive is linked only when its
 * whole closure can be: Debian 12's libpq.a needs libpgcommon and libpgport,
 * which no library package installs, so libpq.so is linked instead and
 * brings what it needs itself.  A library with neither archive nor shared
 * object (libNAME.so, the development link, under /usr or /lib) is
 * reported with the chain of libraries that need it and, when a run-time
 * file of it exists (libNAME.so.2), the Debian package that holds it.  A
 * library appears once, at its last needed position, so that everything
 * that needs it comes before it.  This file resolves and explains;
 * lib_find.c finds the files, pkgconf.c what an archive needs, licence.c
 * the licences.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * Resolution of a link's -l names: every library once, with what it was
 * resolved to.  A library whose archive's dependencies cannot all be
 * linked (neither archive nor shared object) is linked as a shared object
 * instead, which brings its dependencies itself; without one it cannot be
 * linked at all, and neither can whatever needs it through its archive.
 */
enum lib_state { LIB_BUSY, LIB_LIBC, LIB_STATIC, LIB_SHARED, LIB_MISSING };

struct lib_node {
	char *name;
	enum lib_state state;
	char *archive, *shared, *foreign;
	struct strvec deps;             /* LIB_STATIC: what its archive needs */
	char *source;                   /* where deps came from */
	size_t needed_by;               /* the first library that named it, or SIZE_MAX */
	size_t unmet;                   /* LIB_SHARED with an archive, LIB_MISSING with
	                                   one: the dependency that could not be linked,
	                                   else SIZE_MAX */
	bool held;                      /* its archive is in the link already */
};

struct resolver {
	struct lib_node *nodes;
	size_t n, cap;
	struct strvec dirs;             /* the link's -L, then the .pc files' */
};

static bool
strvec_contains(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return true;
	return false;
}

static size_t
node_of(struct resolver *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->nodes[i].name, name))
			return i;
	return SIZE_MAX;
}

static size_t resolve(struct resolver *r, const char *name, size_t needed_by, int depth);

static size_t
new_node(struct resolver *r, const char *name, size_t needed_by)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->nodes = xreallocarray(r->nodes, r->cap, sizeof(*r->nodes));
	}
	r->nodes[r->n] = (struct lib_node){ .name = xstrdup(name), .state = LIB_BUSY,
	                                    .needed_by = needed_by, .unmet = SIZE_MAX };
	return r->n++;
}

/* Resolves what the archive of node me needs; sets its deps and unmet. */
static void
resolve_deps(struct resolver *r, size_t me, int depth)
{
	struct strvec deps = { 0 }, dirs = { 0 };
	char *source = NULL;

	itg__deps_of(r->nodes[me].name, &deps, &dirs, &source);
	for (size_t i = 0; i < dirs.n; i++)
		if (!strvec_contains(&r->dirs, dirs.v[i]))
			strvec_push(&r->dirs, dirs.v[i]);
	for (size_t i = 0; i < deps.n; i++) {
		/* A cycle (LIB_BUSY) is met by the archive being linked. */
		size_t d = resolve(r, deps.v[i], me, depth + 1);
		if (r->nodes[d].state == LIB_MISSING && r->nodes[me].unmet == SIZE_MAX)
			r->nodes[me].unmet = d;
	}
	r->nodes[me].deps = deps;
	r->nodes[me].source = source;
	strvec_free(&dirs);
}

/*
 * A library the link holds as an archive already: linked (LIB_STATIC) when
 * its archive's dependencies can be, else LIB_MISSING; never in the output
 * as itself.
 */
static size_t
resolve_held(struct resolver *r, const char *name)
{
	size_t me = node_of(r, name);

	if (me == SIZE_MAX)
		me = new_node(r, name, SIZE_MAX);
	else if (r->nodes[me].state != LIB_BUSY && !r->nodes[me].held &&
	         r->nodes[me].state != LIB_LIBC) {
		/* Resolved as a -l library before: its archive is in the link too. */
		r->nodes[me].held = true;
		return me;
	}
	r->nodes[me].held = true;
	if (itg_is_libc(name)) {
		r->nodes[me].state = LIB_LIBC;
		return me;
	}
	resolve_deps(r, me, 0);
	r->nodes[me].state = r->nodes[me].unmet == SIZE_MAX ? LIB_STATIC : LIB_MISSING;
	return me;
}

static size_t
resolve(struct resolver *r, const char *name, size_t needed_by, int depth)
{
	size_t me = node_of(r, name);

	if (me != SIZE_MAX)
		return me;
	me = new_node(r, name, needed_by);
	if (itg_is_libc(name)) {
		r->nodes[me].state = LIB_LIBC;
		return me;
	}
	char *archive = itg__find_archive(name, &r->dirs);
	if (archive && depth < 16)
		resolve_deps(r, me, depth);
	struct lib_node *n = &r->nodes[me];
	if (archive && n->unmet == SIZE_MAX) {
		n->state = LIB_STATIC;
		n->archive = archive;
		return me;
	}
	free(archive);
	n->shared = itg__find_shared(name, &r->dirs, &n->foreign);
	n->state = n->shared ? LIB_SHARED : LIB_MISSING;
	return me;
}

/* Dependants before dependencies, each at its last needed position. */
static void
order(struct resolver *r, size_t i, struct strvec *seq, int depth)
{
	char key[32];

	if (depth > 16)
		return;
	snprintf(key, sizeof(key), "%zu", i);
	for (size_t k = 0; k < seq->n; k++) {
		if (!strcmp(seq->v[k], key)) {
			free(seq->v[k]);
			memmove(seq->v + k, seq->v + k + 1, (seq->n - k) * sizeof(char *));
			seq->n--;
			break;
		}
	}
	strvec_push(seq, key);
	if (r->nodes[i].state != LIB_STATIC)
		return;
	for (size_t k = 0; k < r->nodes[i].deps.n; k++)
		order(r, node_of(r, r->nodes[i].deps.v[k]), seq, depth + 1);
}

/*
 * What a library that cannot be linked at all (LIB_MISSING) lacks: the
 * library at the end of its chain of unmet dependencies, who needs it
 * through which .pc file, why it cannot be linked, and what to do.
 */
static void
explain_missing(const struct resolver *r, size_t root, struct itg_lib *l)
{
	size_t path[17], depth = 0;
	struct strbuf why = { 0 }, hint = { 0 };

	path[depth++] = root;
	while (r->nodes[path[depth - 1]].unmet != SIZE_MAX && depth < 17)
		path[depth] = r->nodes[path[depth - 1]].unmet, depth++;
	const struct lib_node *leaf = &r->nodes[path[depth - 1]];
	char *label = itg__lib_label(leaf->name), *a = itg__lib_file(leaf->name, ".a");
	char *so = itg__lib_file(leaf->name, ".so");

	strbuf_adds(&why, label);
	for (size_t k = depth - 1; k > 0; k--) {
		const struct lib_node *up = &r->nodes[path[k - 1]];
		char *ul = itg__lib_label(up->name);
		strbuf_addf(&why, ", which %s's static archive needs (%s)", ul,
		            up->source ? up->source : "its link");
		free(ul);
	}
	if (leaf->foreign) {
		strbuf_addf(&why, ": its only shared object '%s' is not a system library (it lies "
		            "outside /usr and /lib), so the binary could not find it where it runs, "
		            "and there is no %s", leaf->foreign, a);
		strbuf_addf(&hint, "build %s as a static archive (%s), or install it system-wide",
		            label, a);
	} else {
		char *rt = itg__runtime_file(leaf->name), *pkg = rt ? itg__dpkg_owner(rt) : NULL;
		if (rt)
			strbuf_addf(&why, ": only its run-time library '%s'%s%s%s is installed, "
			            "without %s or %s to link", rt, pkg ? " (Debian package " : "",
			            pkg ? pkg : "", pkg ? ")" : "", so, a);
		else if (!strcmp(a, so))
			strbuf_addf(&why, ": '%s' is not installed", a);
		else
			strbuf_addf(&why, ": neither %s nor %s is installed", a, so);
		strbuf_addf(&hint, "install the Debian -dev package that ships %s (and %s, for a "
		            "static link)", so, a);
		if (pkg)
			strbuf_addf(&hint, ": the development package of %s", pkg);
		free(rt);
		free(pkg);
	}
	/* The libraries on the way have archives, but no shared object to
	 * link instead: they are why the link cannot go on without it. */
	for (size_t k = depth - 1; k > 0; k--) {
		if (r->nodes[path[k - 1]].held)
			continue;       /* the extension's link holds its archive */
		char *ul = itg__lib_label(r->nodes[path[k - 1]].name);
		strbuf_addf(&why, "; %s has no shared object to link instead", ul);
		free(ul);
	}
	l->why = strbuf_detach(&why);
	l->hint = strbuf_detach(&hint);
	free(label);
	free(a);
	free(so);
}

/* Why a library with an archive is linked as a shared object: each thing
 * its archive needs that cannot be linked, and why not. */
static char *
explain_shared(const struct resolver *r, size_t i)
{
	struct strbuf sb = { 0 };
	const struct lib_node *n = &r->nodes[i];
	size_t listed = 0;

	if (n->unmet == SIZE_MAX)
		return xstrdup("no static archive found");
	strbuf_adds(&sb, "its static archive needs");
	for (size_t k = 0; k < n->deps.n; k++) {
		size_t d = node_of((struct resolver *)(uintptr_t)r, n->deps.v[k]);
		if (d == SIZE_MAX || r->nodes[d].state != LIB_MISSING)
			continue;
		const struct lib_node *m = &r->nodes[d];
		bool again = false;
		for (size_t j = 0; j < k && !again; j++)
			again = !strcmp(n->deps.v[j], m->name);
		if (again)
			continue;
		char *label = itg__lib_label(m->name), *rt = NULL;
		strbuf_addf(&sb, "%s %s", listed++ ? "," : "", label);
		if (m->foreign)
			strbuf_adds(&sb, " (only a shared object of the build's own)");
		else if (m->unmet != SIZE_MAX) {
			char *ml = itg__lib_label(r->nodes[m->unmet].name);
			strbuf_addf(&sb, " (whose archive needs %s, which cannot be linked)", ml);
			free(ml);
		} else if ((rt = itg__runtime_file(m->name)))
			strbuf_adds(&sb, " (only its run-time library is installed)");
		else
			strbuf_adds(&sb, " (not installed)");
		free(rt);
		free(label);
	}
	strbuf_addf(&sb, ": %s", n->source ? n->source : "its link");
	return strbuf_detach(&sb);
}

static void
resolver_free(struct resolver *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->nodes[i].name);
		free(r->nodes[i].archive);
		free(r->nodes[i].shared);
		free(r->nodes[i].foreign);
		free(r->nodes[i].source);
		strvec_free(&r->nodes[i].deps);
	}
	free(r->nodes);
	strvec_free(&r->dirs);
}

int
itg_resolve_libs(const char *const *names, size_t n, const char *const *libdirs,
                 size_t nlibdirs, struct itg_libset *out, char *err,
                 size_t errlen)
{
	return itg_resolve_ext_libs(names, n, NULL, 0, libdirs, nlibdirs, out, err, errlen);
}

int
itg_resolve_ext_libs(const char *const *names, size_t n, const char *const *held,
                     size_t nheld, const char *const *libdirs, size_t nlibdirs,
                     struct itg_libset *out, char *err, size_t errlen)
{
	struct resolver r = { 0 };
	struct strvec seq = { 0 };
	size_t *roots = xcalloc(n + nheld ? n + nheld : 1, sizeof(*roots));
	int rc = -1;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nlibdirs; i++)
		strvec_push(&r.dirs, libdirs[i]);
	/* The held archives come first in the link (they are in the isolated
	 * extension), so what they need follows them. */
	for (size_t i = 0; i < nheld; i++)
		roots[i] = resolve_held(&r, held[i]);
	for (size_t i = 0; i < n; i++)
		roots[nheld + i] = resolve(&r, names[i], SIZE_MAX, 0);
	for (size_t i = 0; i < n + nheld; i++)
		order(&r, roots[i], &seq, 0);
	free(roots);
	if (seq.failed || r.dirs.failed) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	out->libs = calloc(seq.n ? seq.n : 1, sizeof(*out->libs));
	if (!out->libs) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < seq.n; k++) {
		size_t i = (size_t)strtoull(seq.v[k], NULL, 10);
		struct lib_node *node = &r.nodes[i];
		if (node->held && node->state != LIB_MISSING)
			continue;       /* in the link already */
		struct itg_lib *l = &out->libs[out->n++];
		l->name = xstrdup(node->name);
		l->libc = node->state == LIB_LIBC;
		l->archive = node->archive;
		node->archive = NULL;
		l->shared = node->shared;
		node->shared = NULL;
		l->missing = node->state == LIB_MISSING;
		l->needed_by = node->needed_by == SIZE_MAX ? NULL
		               : xstrdup(r.nodes[node->needed_by].name);
		if (node->state == LIB_SHARED)
			l->why = explain_shared(&r, i);
		else if (l->missing)
			explain_missing(&r, i, l);
		l->licence = itg_licence(l->name, &l->copyleft);
	}
	rc = 0;
out:
	strvec_free(&seq);
	resolver_free(&r);
	if (rc < 0)
		itg_libset_free(out);
	return rc;
}

void
itg_libset_free(struct itg_libset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->libs[i].name);
		free(set->libs[i].archive);
		free(set->libs[i].shared);
		free(set->libs[i].needed_by);
		free(set->libs[i].why);
		free(set->libs[i].hint);
	}
	free(set->libs);
	memset(set, 0, sizeof(*set));
}

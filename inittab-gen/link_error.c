/*
 * link_error.c: the final link's first real error, in one sentence.
 *
 * When the final link fails, collect2's "ld returned 1 exit status" says
 * nothing; the first error GNU ld printed does.  Each line of the link's
 * output is read as it comes: ld says where a reference is on the line
 * before the reference ("ld: Y: in function `F':"), and names objects by
 * their paths.  An isolated extension is named by its module, with the
 * object or private archive of its link that defines the function when
 * one does ("function 'pwlib_value' of pwlinkerr._ext (pwlinkerr 1.0), in
 * its archive '/.../libpwlinkerr.a'"); warnings and collect2 never count.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkdb.h"

bool
itg__defines(const char *path, const char *sym, bool prefix)
{
	char **names = NULL, err[256];
	size_t n = 0;
	bool found = false;

	if (linkdb_file_symbols(path, LINKDB_SYM_STRONG | LINKDB_SYM_WEAK, &names, &n, err,
	                        sizeof(err)) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		found |= prefix ? util_starts_with(names[i], sym) : !strcmp(names[i], sym);
		free(names[i]);
	}
	free(names);
	return found;
}

/*
 * The object a linker message names, in the build's terms (malloc'd): an
 * isolated extension by its module, and the object or private archive
 * (libpwfoo.a) of its link that defines function fn when one does;
 * anything else by its path.
 */
static char *
link_subject(const struct itg_weld *w, const char *obj, size_t len, const char *fn,
             size_t fnlen)
{
	for (size_t i = 0; i < w->res->nexts; i++) {
		const struct itg_ext *e = w->res->exts[i];
		if (!e->isolated || strlen(e->isolated) != len || strncmp(e->isolated, obj, len))
			continue;
		char *sym = fn ? strndup(fn, fnlen) : NULL, *where = NULL;
		for (size_t k = 0; sym && !where && k < e->objects.n; k++)
			if (itg__defines(e->objects.v[k], sym, false))
				where = xasprintf(", in its object '%s'", e->object_names.v[k]);
		for (size_t k = 0; sym && !where && k < e->archives.n; k++)
			if (itg__defines(e->archives.v[k], sym, false))
				where = xasprintf(", in its archive '%s'", k < e->archive_names.n
				                  ? e->archive_names.v[k] : e->archives.v[k]);
		char *s = xasprintf("%s (%s %s)%s", e->name, e->package, e->version,
		                    where ? where : "");
		free(sym);
		free(where);
		return s;
	}
	return xasprintf("'%.*s'", (int)len, obj);
}

/*
 * A line of the final link's output: the first real error of the linker,
 * in one sentence ("undefined reference to 'X' in Y, function 'F'"), goes
 * to w->link_error; collect2's summary line never does.  GNU ld says where
 * a reference is on the line before ("ld: Y: in function `F':").
 */
void
itg__link_line(struct itg_weld *w, const char *t)
{
	static const char *const kinds[] = { "undefined reference to ",
	                                     "multiple definition of ", NULL };
	const char *ld = strstr(t, "ld: "), *in, *what = NULL, *kind = NULL;
	char *msg = NULL;

	/* ld's own lines start with its path ("/usr/bin/ld: "). */
	if (ld && !memchr(t, ' ', (size_t)(ld - t)))
		t = ld + 4;
	if (w->link_error[0] || util_starts_with(t, "collect2") || strstr(t, "warning: "))
		return;
	if ((in = strstr(t, ": in function ")) != NULL) {
		const char *f = in + 14;
		size_t fl = strlen(f);
		if (fl && (*f == '`' || *f == '\'')) {
			f++;
			fl--;
		}
		while (fl && (f[fl - 1] == ':' || f[fl - 1] == '\''))
			fl--;
		char *subject = link_subject(w, t, (size_t)(in - t), f, fl);
		msg = xasprintf("function '%.*s' of %s", (int)fl, f, subject);
		snprintf(w->link_where, sizeof(w->link_where), "%s", msg);
		free(subject);
		free(msg);
		return;
	}
	for (size_t k = 0; kinds[k] && !what; k++)
		if ((what = strstr(t, kinds[k])) != NULL)
			kind = kinds[k];
	if (what) {
		const char *sym = what + strlen(kind), *end;
		char *where;
		if (*sym == '`' || *sym == '\'')
			sym++;
		end = strchr(sym, '\'');
		if (w->link_where[0]) {
			where = xstrdup(w->link_where);
		} else {
			/* A reference from data: "Y:(.data+0x0): undefined reference" */
			const char *colon = strstr(t, ":(");
			where = colon ? link_subject(w, t, (size_t)(colon - t), NULL, 0)
			        : xstrdup("the link");
		}
		msg = xasprintf("%s'%.*s' in %s", kind,
		                (int)(end ? (size_t)(end - sym) : strlen(sym)), sym, where);
		free(where);
	} else if (strstr(t, "cannot find ") || strstr(t, "error") ||
	           strstr(t, "undefined symbol") || strstr(t, "relocation ")) {
		msg = xstrdup(t);
	}
	w->link_where[0] = '\0';
	if (msg)
		snprintf(w->link_error, sizeof(w->link_error), "%s", msg);
	free(msg);
}

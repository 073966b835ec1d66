/*
 * frozen.c: the packed modules whose code the distribution deep-froze.
 *
 * The distribution's lib/pyweld-frozen holds manifest.tsv (compile_blob.py's
 * key, module name, getter symbol per line) and one object per module; a
 * packed module whose key and name match links that object in, and the
 * blob keeps only its source.  Every field of the manifest is checked
 * before it is used: a damaged line ends the weld.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "linkdb.h"

struct frozen_row {
	const char *key, *name, *sym;
};

static int
cmp_frozen_row(const void *a, const void *b)
{
	return strcmp(((const struct frozen_row *)a)->key, ((const struct frozen_row *)b)->key);
}

/* Only [A-Za-z0-9_] (and dots when dots): safe in C source as they are. */
static bool
plain_name(const char *s, bool dots)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || (dots && *s == '.')))
			return false;
	return true;
}

/*
 * The packed modules whose code the distribution deep-froze
 * (pydist/freeze_stdlib.py): the manifest lists each by compile_blob.py's
 * key, so a module qualifies only when the same interpreter compiled the
 * same source under the same path and optimisation level, and by the same
 * name.  Anything else (an application's module, a different optimisation
 * level, an edited standard library) keeps its marshalled code.
 */
int
itg__match_frozen(struct itg_packer *p)
{
	char *manifest, *text = NULL, *save = NULL, *line;
	struct frozen_row *rows = NULL;
	size_t n = 0, cap = 0, lineno = 0;
	int rc = 0;

	if (!p->o->frozen)
		return 0;
	manifest = util_path_join(p->o->frozen, "manifest.tsv");
	if (util_read_file(manifest, &text, NULL) < 0) {
		rc = itg__pack_fail(p, "cannot read the distribution's deep-frozen standard library "
		                    "'%s': %s", manifest, strerror(errno));
		goto out;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *name = strchr(line, '\t'), *sym = name ? strchr(name + 1, '\t') : NULL;
		lineno++;
		if (sym) {
			*name++ = '\0';
			*sym++ = '\0';
		}
		if (!sym || !linkdb_is_hash(line) ||
		    !plain_name(name, true) || !plain_name(sym, false)) {
			rc = itg__pack_fail(p, "the distribution's '%s' is damaged at line %zu (rebuild it "
			                    "with pyweld python build --force)", manifest, lineno);
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			rows = xreallocarray(rows, cap, sizeof(*rows));
		}
		rows[n++] = (struct frozen_row){ line, name, sym };
	}
	if (n)
		qsort(rows, n, sizeof(*rows), cmp_frozen_row);
	for (size_t i = 0; i < p->n; i++) {
		struct itg_pack_item *it = &p->items[i];
		char hex[65];
		if (it->kind != RT_BLOB_MODULE || !it->code)
			continue;
		for (size_t k = 0; k < sizeof(it->key); k++)
			snprintf(hex + 2 * k, 3, "%02x", it->key[k]);
		struct frozen_row want = { hex, NULL, NULL };
		const struct frozen_row *r = n ? bsearch(&want, rows, n, sizeof(*rows),
		                                         cmp_frozen_row) : NULL;
		if (!r || strcmp(r->name, it->name))
			continue;
		if (it->lazy && !p->o->freeze_all) {
			p->st->frozen_lazy++;
			continue;
		}
		char *obj = xasprintf("%s/%s.o", p->o->frozen, r->sym);
		if (!util_is_file(obj)) {
			rc = itg__pack_fail(p, "the distribution's deep-frozen standard library lacks '%s' "
			                    "(rebuild it with pyweld python build --force)", obj);
			free(obj);
			goto out;
		}
		it->frozen = true;
		strvec_push(&p->st->frozen_names, r->name);
		strvec_push(&p->st->frozen_syms, r->sym);
		strvec_push_owned(&p->st->frozen_objs, obj);
	}
	if (p->st->frozen_objs.n) {
		/* The strings the objects share, when they share them: a
		 * distribution whose objects hold their own has no strings.o. */
		char *strings = util_path_join(p->o->frozen, "strings.o");
		if (util_is_file(strings))
			p->st->frozen_strings = strings;
		else
			free(strings);
	}
out:
	free(rows);
	free(text);
	free(manifest);
	return rc;
}

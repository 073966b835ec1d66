/*
 * pack.c: the resource blob of a welded binary (format: runtime/blob.h).
 *
 * What goes in:
 *   - the standard library of the distribution, minus what the filters
 *     leave out (test suites, idlelib, tkinter, turtledemo by default:
 *     leftout.c);
 *   - every file of the distributions installed for the application, from
 *     their RECORD: .py files as modules, .dist-info files as metadata,
 *     everything else as package resources (extension modules are welded
 *     in, not packed);
 *   - extra modules (the entry point, the runtime's Python helper).
 * Filters are pcre2 patterns over dotted module names and over resource
 * paths.  Modules are compiled by the distribution's own interpreter
 * (compile_blob.py); a .py file that is not Python 3.11 (a template, a
 * Python 2 file in a test tree) is kept as a resource.  Package
 * directories without __init__.py become namespace packages.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "linkdb.h"

struct item {
	unsigned kind;
	unsigned flags;
	char *name;             /* dotted module name or relative path */
	char *path;             /* the file (NULL for a namespace package) */
	char *rel;              /* the file's path in tracebacks before the origin is set */
	unsigned char *code;    /* compiled code (modules) */
	size_t code_len;
	unsigned char key[32];  /* compile_blob.py's key of the code */
	size_t seq;             /* order of arrival: the first of two twins wins */
	bool from_site;         /* an installed distribution's, not the stdlib's */
	bool frozen;            /* its code is the distribution's deep-frozen copy */
};

struct packer {
	const struct itg_pack_options *o;
	struct item *items;
	size_t n, cap;
	pcre2_code **mod_ex, **res_ex;
	size_t nmod_ex, nres_ex;
	pcre2_code **test_mod_ex, **test_res_ex;   /* the default drop of test suites */
	size_t ntest_mod_ex, ntest_res_ex;
	pcre2_match_data *md;
	struct itg_pack_stats *st;
	char *err;
	size_t errlen;
};

static int
pfail(struct packer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
pfail(struct packer *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
compile_list(struct packer *p, const char *const *pats, size_t extra,
             const char *const *more, pcre2_code ***out, size_t *nout)
{
	size_t n = 0;

	for (const char *const *q = pats; q && *q; q++)
		n++;
	*out = xcalloc(n + extra + 1, sizeof(pcre2_code *));
	*nout = 0;
	for (size_t i = 0; i < n + extra; i++) {
		const char *pat = i < n ? pats[i] : more[i - n];
		int ecode;
		PCRE2_SIZE eoff;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
		                               &ecode, &eoff, NULL);
		if (!re) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(ecode, msg, sizeof(msg));
			return pfail(p, "bad pattern '%s' at offset %zu: %s", pat, (size_t)eoff,
			             (const char *)msg);
		}
		(*out)[(*nout)++] = re;
	}
	return 0;
}

static bool
matches(struct packer *p, pcre2_code **res, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (pcre2_match(res[i], (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0, p->md, NULL) >= 0)
			return true;
	return false;
}

/* name is, or lies inside, a package that holds a welded extension. */
static bool
kept_package(const struct packer *p, const char *name)
{
	for (size_t i = 0; i < p->o->nkeep_packages; i++) {
		const char *k = p->o->keep_packages[i];
		size_t n = strlen(k);
		if (!strncmp(name, k, n) && (name[n] == '\0' || name[n] == '.'))
			return true;
	}
	return false;
}

/* The dotted module a resource path lies in: "greenlet/tests/data.txt" → "greenlet.tests". */
static bool
kept_resource(const struct packer *p, const char *rel)
{
	char *dotted = xstrdup(rel), *slash = strrchr(dotted, '/');
	bool kept;

	if (slash)
		*slash = '\0';
	else
		dotted[0] = '\0';
	for (char *c = dotted; *c; c++)
		if (*c == '/')
			*c = '.';
	kept = *dotted && kept_package(p, dotted);
	free(dotted);
	return kept;
}

static bool
module_excluded(struct packer *p, const char *name)
{
	return matches(p, p->mod_ex, p->nmod_ex, name) ||
	       (matches(p, p->test_mod_ex, p->ntest_mod_ex, name) && !kept_package(p, name));
}

static bool
resource_excluded(struct packer *p, const char *rel)
{
	return matches(p, p->res_ex, p->nres_ex, rel) ||
	       (matches(p, p->test_res_ex, p->ntest_res_ex, rel) && !kept_resource(p, rel));
}

static struct item *
add(struct packer *p, unsigned kind, unsigned flags, char *name, char *path, char *rel)
{
	struct item *it;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 1024;
		p->items = xreallocarray(p->items, p->cap, sizeof(*p->items));
	}
	it = &p->items[p->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->flags = flags;
	it->name = name;
	it->path = path;
	it->rel = rel;
	it->seq = p->n - 1;
	return it;
}

/* "json/decoder.py" → "json.decoder"; "json/__init__.py" → "json" (package). */
static char *
module_name(const char *rel, bool *package)
{
	size_t n = strlen(rel) - 3;
	char *name = xstrdup(rel);

	name[n] = '\0';
	*package = false;
	if (n >= 8 && !strcmp(name + n - 8, "__init__") && (n == 8 || name[n - 9] == '/')) {
		*package = true;
		name[n == 8 ? 0 : n - 9] = '\0';
	}
	for (char *c = name; *c; c++)
		if (*c == '/')
			*c = '.';
	return name;
}

/*
 * Any .py file is a module by its path, as on the file system: even
 * "_sysconfigdata__x86_64-linux-gnu", which __import__ reaches.  Only empty
 * components ("a..b", a leading dot) are not.
 */
static bool
valid_module_name(const char *name)
{
	if (!*name || name[0] == '.')
		return false;
	for (const char *c = name; *c; c++)
		if ((c[0] == '.' && (c[1] == '.' || c[1] == '\0')) || *c == ' ')
			return false;
	return true;
}

/* One file of the import tree, by its path relative to the tree's root. */
static void
consider(struct packer *p, const char *root, const char *rel, bool metadata)
{
	char *path = util_path_join(root, rel);

	if (metadata) {
		add(p, RT_BLOB_METADATA, 0, xstrdup(rel), path, NULL);
		return;
	}
	if (util_ends_with(rel, ".py")) {
		bool package;
		char *name = module_name(rel, &package);
		if (valid_module_name(name)) {
			if (module_excluded(p, name)) {
				p->st->excluded++;
				free(name);
				free(path);
				return;
			}
			add(p, RT_BLOB_MODULE, package ? RT_BLOB_PACKAGE : 0, name, path,
			    xstrdup(rel));
			return;
		}
		free(name);         /* "foo-bar.py": not importable; keep as a file */
	}
	if (resource_excluded(p, rel)) {
		p->st->excluded++;
		free(path);
		return;
	}
	add(p, RT_BLOB_RESOURCE, 0, xstrdup(rel), path, NULL);
}

static int
walk_stdlib(struct packer *p, const char *root, const char *rel)
{
	char *dir = rel[0] ? util_path_join(root, rel) : xstrdup(root);
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0) {
		pfail(p, "cannot read '%s': %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *r = rel[0] ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		char *full = util_path_join(root, r);
		struct stat st;

		if (name[0] == '.' || !strcmp(name, "__pycache__") || lstat(full, &st) < 0 ||
		    (!rel[0] && (!strcmp(name, "site-packages") || !strcmp(name, "lib-dynload") ||
		                 util_starts_with(name, "config-3.")))) {
			/* skip */
		} else if (S_ISDIR(st.st_mode)) {
			char *dotted = xstrdup(r);
			for (char *c = dotted; *c; c++)
				if (*c == '/')
					*c = '.';
			char *slash = xasprintf("%s/", r);
			/* A whole excluded package (or resource directory) is not walked. */
			if (module_excluded(p, dotted) && resource_excluded(p, slash)) {
				p->st->excluded++;
			} else if (walk_stdlib(p, root, r) < 0) {
				free(dotted);
				free(slash);
				free(r);
				free(full);
				goto fail;
			}
			free(dotted);
			free(slash);
		} else if (S_ISREG(st.st_mode)) {
			consider(p, root, r, false);
		}
		free(r);
		free(full);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dir);
	return 0;
fail:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dir);
	return -1;
}

static int
add_dist(struct packer *p, const char *site, const char *distinfo)
{
	char *record = xasprintf("%s/%s/RECORD", site, distinfo);
	struct strvec rels = { 0 };
	size_t dlen = strlen(distinfo);

	if (itg_record_read(record, &rels) < 0) {
		pfail(p, "cannot read '%s': %s", record, strerror(errno));
		strvec_free(&rels);
		free(record);
		return -1;
	}
	for (size_t i = 0; i < rels.n; i++) {
		const char *rel = rels.v[i];
		char *full = util_path_join(site, rel);
		if (rel[0] == '/' || util_starts_with(rel, "../") || strstr(rel, "/../") ||
		    strstr(rel, "__pycache__") || util_ends_with(rel, ".pyc") ||
		    util_is_shared_object(rel) || !util_is_file(full)) {
			/* scripts outside, bytecode, welded extensions, files not there */
		} else {
			bool meta = !strncmp(rel, distinfo, dlen) && rel[dlen] == '/';
			size_t before = p->n;
			consider(p, site, rel, meta);
			if (p->n > before)
				p->items[p->n - 1].from_site = true;
		}
		free(full);
	}
	strvec_free(&rels);
	free(record);
	p->st->dists++;
	return 0;
}

static int
cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name);
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	c = memcmp(x->name, y->name, lx < ly ? lx : ly);
	if (c)
		return c;
	if (lx != ly)
		return (lx > ly) - (lx < ly);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static void
drop_item(struct item *it)
{
	free(it->name);
	free(it->path);
	free(it->rel);
	free(it->code);
}

/*
 * Sorts by (kind, name) and keeps the first of twins: the standard
 * library's copy wins over an installed one, as on sys.path, and a real
 * package over a namespace guessed for it.
 */
static void
sort_unique(struct packer *p)
{
	size_t o = 0;

	qsort(p->items, p->n, sizeof(*p->items), cmp_item);
	for (size_t i = 0; i < p->n; i++) {
		if (o > 0 && p->items[o - 1].kind == p->items[i].kind &&
		    !strcmp(p->items[o - 1].name, p->items[i].name)) {
			if (!(p->items[i].flags & RT_BLOB_NAMESPACE))
				p->st->duplicates++;
			drop_item(&p->items[i]);
			continue;
		}
		p->items[o++] = p->items[i];
	}
	p->n = o;
	for (size_t i = 0; i < p->n; i++)
		p->items[i].seq = i;
}

/* Every parent of a module that is not itself a module is a namespace
 * package (PEP 420: zope of zope.interface).  Items are sorted. */
static void
add_namespaces(struct packer *p)
{
	size_t n = p->n;

	for (size_t i = 0; i < n; i++) {
		if (p->items[i].kind != RT_BLOB_MODULE)
			continue;
		char *name = xstrdup(p->items[i].name), *dot;
		while ((dot = strrchr(name, '.'))) {
			*dot = '\0';
			struct item key = { .kind = RT_BLOB_MODULE, .name = name, .seq = 0 };
			struct item *hit = NULL;
			/* The parent sorts before its children: search [0, i). */
			size_t lo = 0, hi = i;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				int c = cmp_item(&p->items[mid], &key);
				if (c < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < i && p->items[lo].kind == RT_BLOB_MODULE &&
			    !strcmp(p->items[lo].name, name))
				hit = &p->items[lo];
			if (hit)
				break;
			add(p, RT_BLOB_MODULE, RT_BLOB_NAMESPACE, xstrdup(name), NULL, NULL);
		}
		free(name);
	}
}

/*
 * The pre-flight scan: code in the application's packages that reads files
 * beside __file__, found with pcre2 in the sources about to be packed.
 * What the binary's view of its packed tree serves (runtime/fileview.c:
 * the process's own reads, and those of the C libraries linked in) is a
 * note when the view is in the binary; the rest, and everything without
 * the view, a warning.  The standard library is not scanned (the importer
 * answers its few uses).
 */
static const struct {
	const char *pattern;
	const char *what;               /* without the view, or never served */
	const char *served;             /* with it: what it does; NULL: not served */
} preflight[] = {
	{ "\\b(?:open|io\\.open|codecs\\.open)\\s*\\([^)\\n]*(?:__file__|os\\.path\\.dirname\\s*\\(\\s*__file__)",
	  "opens a file relative to __file__, which names a path inside the binary; "
	  "use importlib.resources (or the loader's get_data)",
	  "opens a file relative to __file__; the binary reads it from its packed tree "
	  "(not with --no-file-view)" },
	{ "Path\\s*\\(\\s*__file__\\s*\\)[^\\n]*\\.(?:open|read_text|read_bytes|iterdir|glob)\\s*\\(",
	  "reads files next to __file__ through pathlib; inside the binary that path does "
	  "not exist; use importlib.resources",
	  "reads files next to __file__ through pathlib; the binary reads them from its "
	  "packed tree (not with --no-file-view)" },
	{ "os\\.(?:listdir|scandir|walk)\\s*\\(\\s*os\\.path\\.dirname\\s*\\(\\s*(?:os\\.path\\.abspath\\s*\\(\\s*)?__file__",
	  "lists the directory of __file__, which is not a directory inside the binary; "
	  "use importlib.resources.files(...).iterdir()",
	  "lists the directory of __file__; the binary lists its packed tree (not with "
	  "--no-file-view)" },
	{ "(?:ctypes\\.)?(?:CDLL|PyDLL|cdll\\.LoadLibrary|LoadLibrary)\\s*\\([^)\\n]*(?:__file__|os\\.path\\.dirname)",
	  "loads a shared library by a path next to __file__ (ctypes); such a library "
	  "cannot live inside the binary", NULL },
	{ "ffi\\.dlopen\\s*\\([^)\\n]*(?:__file__|os\\.path\\.dirname)",
	  "loads a shared library by a path next to __file__ (cffi); such a library "
	  "cannot live inside the binary", NULL },
	/* Last: a line one of the patterns above names is not named twice. */
	{ "os\\.path\\.join\\s*\\(\\s*os\\.path\\.dirname\\s*\\(\\s*"
	  "(?:os\\.path\\.(?:abspath|realpath)\\s*\\(\\s*)?__file__",
	  "builds a path in the directory of __file__; inside the binary nothing is "
	  "there, so open() or a C library given that path finds no file (lxml's "
	  "isoschematron hands such paths to libxml2); importlib.resources reads the "
	  "data from memory",
	  "builds a path in the directory of __file__; the binary reads it from its "
	  "packed tree, for this process and the C libraries linked in, not for "
	  "another process or a library linked dynamically (not with --no-file-view)" },
};

static void
scan_one(struct packer *p, pcre2_code **res, const struct item *it)
{
	char *text = NULL;
	size_t len = 0;

	if (util_read_file(it->path, &text, &len) < 0)
		return;
	struct { size_t *v, n; } warned = { 0 };

	for (size_t k = 0; k < sizeof(preflight) / sizeof(preflight[0]); k++) {
		PCRE2_SIZE start = 0;
		while (start < len &&
		       pcre2_match(res[k], (PCRE2_SPTR)text, len, start, 0, p->md, NULL) >= 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
			size_t line = 1;
			for (size_t c = 0; c < ov[0]; c++)
				line += text[c] == '\n';
			/* Comments are not code. */
			size_t bol = ov[0];
			while (bol > 0 && text[bol - 1] != '\n')
				bol--;
			bool comment = false;
			for (size_t c = bol; c < ov[0] && !comment; c++)
				comment = text[c] == '#';
			bool seen = false;
			for (size_t w = 0; w < warned.n && !seen; w++)
				seen = warned.v[w] == line;
			if (!comment && !seen) {
				bool served = p->o->file_view && preflight[k].served;
				strvec_pushf(served ? &p->st->notes : &p->st->warnings, "%s:%zu: %s",
				             it->rel, line,
				             served ? preflight[k].served : preflight[k].what);
				warned.v = xreallocarray(warned.v, warned.n + 1, sizeof(size_t));
				warned.v[warned.n++] = line;
			}
			start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		}
	}
	free(warned.v);
	free(text);
}

static void
preflight_scan(struct packer *p)
{
	const size_t n = sizeof(preflight) / sizeof(preflight[0]);
	pcre2_code *res[sizeof(preflight) / sizeof(preflight[0])];

	for (size_t k = 0; k < n; k++) {
		int ecode;
		PCRE2_SIZE eoff;
		res[k] = pcre2_compile((PCRE2_SPTR)preflight[k].pattern, PCRE2_ZERO_TERMINATED, 0,
		                       &ecode, &eoff, NULL);
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct item *it = &p->items[i];
		if (it->kind == RT_BLOB_MODULE && it->path && it->from_site)
			scan_one(p, res, it);
	}
	for (size_t k = 0; k < n; k++)
		pcre2_code_free(res[k]);
}

static int
compile_all(struct packer *p)
{
	char *list = util_path_join(p->o->workdir, "compile.list");
	char *out = util_path_join(p->o->workdir, "compile.out");
	struct strbuf sb = { 0 };
	char *data = NULL;
	size_t len = 0, pos = 0;
	int rc;

	/* NUL-terminated: a path may hold a tab or a newline (a work directory's). */
	for (size_t i = 0; i < p->n; i++)
		if (p->items[i].kind == RT_BLOB_MODULE && p->items[i].path) {
			strbuf_add(&sb, p->items[i].rel, strlen(p->items[i].rel) + 1);
			strbuf_add(&sb, p->items[i].path, strlen(p->items[i].path) + 1);
		}
	if (sb.failed || util_write_atomic(list, sb.s ? sb.s : "", sb.len, 0644, false) < 0) {
		strbuf_free(&sb);
		rc = pfail(p, "cannot write '%s': %s", list, strerror(errno));
		goto out;
	}
	strbuf_free(&sb);
	char opt[8];
	snprintf(opt, sizeof(opt), "%d", p->o->optimize);
	rc = util_run((const char *const[]){ p->o->python, "-I", p->o->compile_script, list, out,
	                                     opt, p->o->code_cache, NULL }, NULL);
	if (rc != 0) {
		rc = pfail(p, "compiling the modules with '%s' failed (status %d)", p->o->python, rc);
		goto out;
	}
	if (util_read_file(out, &data, &len) < 0) {
		rc = pfail(p, "cannot read '%s': %s", out, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct item *it = &p->items[i];
		uint32_t status, n;
		if (it->kind != RT_BLOB_MODULE || !it->path)
			continue;
		if (len - pos < 8) {
			rc = pfail(p, "the compiler's output '%s' is short", out);
			goto out;
		}
		memcpy(&status, data + pos, 4);
		memcpy(&n, data + pos + 4, 4);
		pos += 8;
		if (len - pos < sizeof(it->key) || len - pos - sizeof(it->key) < n) {
			rc = pfail(p, "the compiler's output '%s' is short", out);
			goto out;
		}
		memcpy(it->key, data + pos, sizeof(it->key));
		pos += sizeof(it->key);
		if (status == 0) {
			it->code = xmalloc(n ? n : 1);
			memcpy(it->code, data + pos, n);
			it->code_len = n;
		} else {
			/* Not Python 3.11: kept as a file, as zipimport would. */
			strvec_push(&p->st->not_python, it->rel);
			free(it->name);
			it->name = it->rel;
			it->rel = NULL;
			it->kind = RT_BLOB_RESOURCE;
			it->flags = 0;
		}
		pos += n;
	}
	rc = 0;
out:
	free(data);
	free(list);
	free(out);
	return rc;
}

/* --- the distribution's deep-frozen standard library ---------------------- */

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
static int
match_frozen(struct packer *p)
{
	char *manifest, *text = NULL, *save = NULL, *line;
	struct frozen_row *rows = NULL;
	size_t n = 0, cap = 0, lineno = 0;
	int rc = 0;

	if (!p->o->frozen)
		return 0;
	manifest = util_path_join(p->o->frozen, "manifest.tsv");
	if (util_read_file(manifest, &text, NULL) < 0) {
		rc = pfail(p, "cannot read the distribution's deep-frozen standard library "
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
			rc = pfail(p, "the distribution's '%s' is damaged at line %zu (rebuild it "
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
		struct item *it = &p->items[i];
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
		char *obj = xasprintf("%s/%s.o", p->o->frozen, r->sym);
		if (!util_is_file(obj)) {
			rc = pfail(p, "the distribution's deep-frozen standard library lacks '%s' "
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
		/* Distributions made before strings were shared have none. */
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

/* Writes a generated file and frees its text; -1 with a message in err. */
static int
write_generated(const char *path, struct strbuf *sb, char *err, size_t errlen)
{
	int rc = 0;

	if (sb->failed || util_write_atomic(path, sb->s ? sb->s : "", sb->len, 0644, false) < 0) {
		snprintf(err, errlen, "cannot write '%s': %s", path,
		         sb->failed ? "out of memory" : strerror(errno));
		rc = -1;
	}
	strbuf_free(sb);
	return rc;
}

int
itg_write_frozen_table(const char *path, const struct itg_pack_stats *st, char *err,
                       size_t errlen)
{
	struct strbuf sb = { 0 };

	strbuf_adds(&sb, "/*\n * Generated by pyweld build: the packed modules whose code the\n"
	                 " * distribution deep-froze (runtime/importer.c runs these instead of\n"
	                 " * unmarshalling the blob's copy).  Do not edit; rebuild instead.\n */\n"
	                 "#include \"rt.h\"\n\n");
	for (size_t i = 0; i < st->frozen_syms.n; i++)
		strbuf_addf(&sb, "extern PyObject *%s(void);\n", st->frozen_syms.v[i]);
	strbuf_adds(&sb, "\nconst struct rt_frozen_code rt_frozen_code[] = {\n");
	/* The symbols are identifiers (match_frozen checked); the names are
	 * quoted like every other name in generated C. */
	for (size_t i = 0; i < st->frozen_names.n; i++) {
		strbuf_adds(&sb, "\t{ ");
		itg_c_string(&sb, st->frozen_names.v[i]);
		strbuf_addf(&sb, ", %s },\n", st->frozen_syms.v[i]);
	}
	strbuf_adds(&sb, "\t{ NULL, NULL },\n};\n");
	return write_generated(path, &sb, err, errlen);
}

/* Little-endian writers. */
static void
put32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8),
	                       (unsigned char)(v >> 16), (unsigned char)(v >> 24) };
	strbuf_add(sb, b, 4);
}

static void
put64(struct strbuf *sb, uint64_t v)
{
	put32(sb, (uint32_t)v);
	put32(sb, (uint32_t)(v >> 32));
}

static int
write_blob(struct packer *p, const char *path)
{
	struct strbuf names = { 0 }, index = { 0 }, payload = { 0 }, out = { 0 };
	uint64_t index_off = RT_BLOB_HEADER_SIZE, names_off, data_off;
	int rc;

	/* Payloads first, to know their offsets relative to the data area. */
	uint64_t *aoff = xcalloc(p->n + 1, sizeof(uint64_t)), *boff = xcalloc(p->n + 1, 8);
	uint32_t *alen = xcalloc(p->n + 1, 4), *blen = xcalloc(p->n + 1, 4);
	uint32_t *noff = xcalloc(p->n + 1, 4), *flags = xcalloc(p->n + 1, 4);
	uint32_t *crc = xcalloc(p->n + 1, 4);
	for (size_t i = 0; i < p->n; i++) {
		struct item *it = &p->items[i];
		char *file = NULL;
		size_t flen = 0;

		noff[i] = (uint32_t)names.len;
		strbuf_add(&names, it->name, strlen(it->name) + 1);
		flags[i] = it->kind | it->flags;
		if (it->path && (it->kind != RT_BLOB_MODULE || p->o->source) &&
		    util_read_file(it->path, &file, &flen) < 0) {
			rc = pfail(p, "cannot read '%s': %s", it->path, strerror(errno));
			goto out;
		}
		if (flen > UINT32_MAX || it->code_len > UINT32_MAX) {
			free(file);
			rc = pfail(p, "'%s' is too large for the blob (4 GiB per file)", it->path);
			goto out;
		}
		aoff[i] = payload.len;
		size_t before = payload.len;
		if (it->kind == RT_BLOB_MODULE) {
			/* A deep-frozen module's code is linked in as C data (frozen.c). */
			if (it->frozen) {
				flags[i] |= RT_BLOB_FROZEN;
			} else {
				strbuf_add(&payload, it->code ? (const char *)it->code : "",
				           it->code_len);
				alen[i] = (uint32_t)it->code_len;
			}
			boff[i] = payload.len;
			if (file && p->o->source) {
				flags[i] |= RT_BLOB_SOURCE;
				strbuf_add(&payload, file, flen);
				blen[i] = (uint32_t)flen;
			}
			p->st->modules += !(it->flags & RT_BLOB_NAMESPACE);
		} else {
			strbuf_add(&payload, file ? file : "", flen);
			alen[i] = (uint32_t)flen;
			boff[i] = payload.len;
			if (it->kind == RT_BLOB_RESOURCE)
				p->st->resources++;
			else
				p->st->metadata++;
		}
		/* The payloads are contiguous: first then second. */
		crc[i] = payload.failed ? 0 : rt_crc32c(0, payload.s ? payload.s + before : "",
		                                       payload.len - before);
		free(file);
	}
	names_off = index_off + (uint64_t)p->n * RT_BLOB_ENTRY_SIZE;
	data_off = names_off + names.len;
	data_off = (data_off + 15) & ~(uint64_t)15;
	for (size_t i = 0; i < p->n; i++) {
		put32(&index, noff[i]);
		put32(&index, (uint32_t)strlen(p->items[i].name));
		put32(&index, flags[i]);
		put32(&index, crc[i]);
		put64(&index, data_off + aoff[i]);
		put32(&index, alen[i]);
		put32(&index, blen[i]);
		put64(&index, (flags[i] & RT_BLOB_SOURCE) ? data_off + boff[i] : 0);
	}
	uint64_t total = data_off + payload.len;
	strbuf_add(&out, RT_BLOB_MAGIC, 8);
	put32(&out, RT_BLOB_VERSION);
	put32(&out, RT_BLOB_HEADER_SIZE);
	put64(&out, total);
	put32(&out, (uint32_t)p->n);
	put32(&out, index.failed || names.failed ? 0 :
	       rt_crc32c(rt_crc32c(0, index.s ? index.s : "", index.len),
	                 names.s ? names.s : "", names.len));
	put64(&out, index_off);
	put64(&out, names_off);
	put64(&out, names.len);
	put64(&out, data_off);
	strbuf_add(&out, index.s ? index.s : "", index.len);
	strbuf_add(&out, names.s ? names.s : "", names.len);
	while (out.len < data_off)
		strbuf_addc(&out, '\0');
	strbuf_add(&out, payload.s ? payload.s : "", payload.len);
	if (out.failed || names.failed || index.failed || payload.failed) {
		rc = pfail(p, "out of memory");
		goto out;
	}
	p->st->bytes = out.len;
	if (util_write_atomic(path, out.s, out.len, 0644, false) < 0) {
		rc = pfail(p, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(aoff); free(boff); free(alen); free(blen); free(noff); free(flags); free(crc);
	strbuf_free(&names);
	strbuf_free(&index);
	strbuf_free(&payload);
	strbuf_free(&out);
	return rc;
}

int
itg_pack(const struct itg_pack_options *o, const char *out, struct itg_pack_stats *st,
         char *err, size_t errlen)
{
	struct packer p = { .o = o, .st = st, .err = err, .errlen = errlen };
	int rc = -1;

	memset(st, 0, sizeof(*st));
	p.md = pcre2_match_data_create(4, NULL);
	{
		struct strvec mods = { 0 }, res = { 0 };
		for (const char *const *q = itg_default_module_ex; *q; q++)
			strvec_push(&mods, *q);
		for (const char *const *q = itg__default_resource_ex; *q; q++)
			strvec_push(&res, *q);
		int r1 = compile_list(&p, strvec_cargv(&mods), o->nexclude_modules,
		                      o->exclude_modules, &p.mod_ex, &p.nmod_ex);
		int r2 = r1 < 0 ? -1 : compile_list(&p, strvec_cargv(&res),
		                                    o->nexclude_resources, o->exclude_resources,
		                                    &p.res_ex, &p.nres_ex);
		if (r2 == 0 && !o->tests &&
		    (compile_list(&p, itg_test_module_ex, 0, NULL, &p.test_mod_ex, &p.ntest_mod_ex) < 0 ||
		     compile_list(&p, itg__test_resource_ex, 0, NULL, &p.test_res_ex, &p.ntest_res_ex) < 0))
			r2 = -1;
		strvec_free(&mods);
		strvec_free(&res);
		if (r2 < 0)
			goto out;
	}
	if (o->stdlib && walk_stdlib(&p, o->stdlib, "") < 0)
		goto out;
	for (size_t i = 0; i < o->ndists; i++)
		if (add_dist(&p, o->site, o->dists[i]) < 0)
			goto out;
	for (size_t i = 0; i < o->nextra; i++) {
		/* Extra modules are never filtered: the application asked for them. */
		add(&p, RT_BLOB_MODULE, 0, xstrdup(o->extra[i].name), xstrdup(o->extra[i].path),
		    xasprintf("%s.py", o->extra[i].name));
	}
	/* The package of a welded extension may hold no Python at all
	 * (protobuf's google._upb holds only _message): a namespace package
	 * then, unless a real package of that name arrived first. */
	for (size_t i = 0; i < o->nkeep_packages; i++)
		add(&p, RT_BLOB_MODULE, RT_BLOB_NAMESPACE, xstrdup(o->keep_packages[i]), NULL, NULL);
	sort_unique(&p);
	add_namespaces(&p);
	sort_unique(&p);
	for (size_t i = 0; i < p.n; i++)
		st->namespaces += p.items[i].kind == RT_BLOB_MODULE &&
		                  (p.items[i].flags & RT_BLOB_NAMESPACE);
	preflight_scan(&p);
	if (compile_all(&p) < 0)
		goto out;
	sort_unique(&p);        /* a file kept as a resource may now meet its twin */
	if (match_frozen(&p) < 0 || write_blob(&p, out) < 0)
		goto out;
	rc = 0;
out:
	for (size_t i = 0; i < p.n; i++)
		drop_item(&p.items[i]);
	free(p.items);
	for (size_t i = 0; i < p.nmod_ex; i++)
		pcre2_code_free(p.mod_ex[i]);
	for (size_t i = 0; i < p.nres_ex; i++)
		pcre2_code_free(p.res_ex[i]);
	free(p.mod_ex);
	free(p.res_ex);
	for (size_t i = 0; i < p.ntest_mod_ex; i++)
		pcre2_code_free(p.test_mod_ex[i]);
	for (size_t i = 0; i < p.ntest_res_ex; i++)
		pcre2_code_free(p.test_res_ex[i]);
	free(p.test_mod_ex);
	free(p.test_res_ex);
	pcre2_match_data_free(p.md);
	return rc;
}

/* The assembler file that puts the blob into the final link. */
int
itg_write_blob_asm(const char *asm_path, const char *blob_path, char *err, size_t errlen)
{
	struct strbuf sb = { 0 };

	strbuf_adds(&sb, "/* Generated by pyweld build: the module blob, linked in. */\n"
	                 "\t.section .rodata.pyweld_blob,\"a\"\n"
	                 "\t.balign 64\n"
	                 "\t.globl pyweld_blob\n"
	                 "\t.type pyweld_blob, @object\n"
	                 "pyweld_blob:\n"
	                 "\t.incbin ");
	/* GNU as reads a C string's escapes: a path with quotes or a newline
	 * (the work directory's) stays one operand. */
	itg_c_string(&sb, blob_path);
	strbuf_adds(&sb, "\n"
	                 "\t.globl pyweld_blob_end\n"
	                 "pyweld_blob_end:\n"
	                 "\t.byte 0\n"
	                 "\t.size pyweld_blob, . - pyweld_blob\n"
	                 "\t.section .note.GNU-stack,\"\",@progbits\n");
	return write_generated(asm_path, &sb, err, errlen);
}

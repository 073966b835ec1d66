/*
 * manifest.c: what is inside a welded binary, written into the binary.
 *
 * The final link's result gets an ELF section of its own, .pyweld.manifest
 * (added by objcopy after the link and after stripping: a section that is
 * neither loaded nor debugging information, which strip and objcopy
 * --strip-all keep).  Its bytes:
 *
 *   offset  size  what
 *   0       8     "PYWMANIF"
 *   8       4     format version, little-endian (1)
 *   12      4     zero
 *   16      8     length of the JSON text, little-endian
 *   24      ...   the JSON text, compressed with zlib (one zlib stream)
 *
 * The JSON (docs/inspect.md describes its fields) holds pyweld's and
 * CPython's versions and CPython's source, the entry point and the build's
 * options, every Python distribution packed (name and version from its
 * METADATA), every extension module with the SHA-256 of its objects and
 * archives (the link database's store names), every static library linked
 * with the Debian package that installed it (dpkg -S, dpkg-query) and the
 * extensions that link it, and the module blob's bytes per top-level name.
 * Every string is JSON-escaped by jansson; package metadata never reaches a
 * shell or generated C: the commands run here take it as argv elements.
 * Reading it back (itg_manifest_read) needs the binary alone.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <jansson.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "blob.h"
#include "linkdb.h"

#define MANIFEST_MAGIC "PYWMANIF"
#define MANIFEST_HEADER 24
#define MANIFEST_MAX ((uint64_t)256 << 20)      /* a damaged length, not a manifest */

json_t *
itg__jstr(const char *s)
{
	json_t *j;

	if (!s)
		return json_null();
	j = json_string(s);
	if (!j) {
		char *c = xstrdup(s);
		for (unsigned char *p = (unsigned char *)c; *p; p++)
			if (*p >= 0x80)
				*p = '?';
		j = json_string(c);
		free(c);
	}
	return j;
}

static json_t *
jstrv(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, itg__jstr(v[i]));
	return a;
}

/* A file of a .dist-info directory, or NULL (malloc'd, NUL-terminated). */
static char *
distinfo_file(const struct itg_plan *p, const char *distinfo, const char *name)
{
	char *dir = util_path_join(p->site, distinfo), *path = util_path_join(dir, name);
	char *text = NULL;
	size_t len;

	if (util_read_file(path, &text, &len) < 0 || memchr(text, '\0', len)) {
		free(text);
		text = NULL;
	}
	free(path);
	free(dir);
	return text;
}

/* The top-level names a distribution's RECORD installs ("yaml", "_yaml"). */
static void
record_tops(const struct itg_plan *p, const char *distinfo, json_t *tops, const char *dist)
{
	char *dir = util_path_join(p->site, distinfo), *path = util_path_join(dir, "RECORD");
	struct strvec paths = { 0 };

	if (itg_record_read(path, &paths) == 0) {
		for (size_t i = 0; i < paths.n; i++) {
			const char *f = paths.v[i];
			if (util_starts_with(f, "..") || f[0] == '/')
				continue;
			size_t n = strcspn(f, "/.");
			char *top = strndup(f, n);
			if (n && !json_object_get(tops, top))
				json_object_set_new(tops, top, itg__jstr(dist));
			free(top);
		}
	}
	strvec_free(&paths);
	free(path);
	free(dir);
}

/* The distributions packed: name, version, where they came from. */
static json_t *
distributions(const struct itg_plan *p, json_t *tops)
{
	json_t *a = json_array(), *report = itg__pip_report(p);

	for (size_t i = 0; i < p->ndists && p->site; i++) {
		char *meta = distinfo_file(p, p->dists[i], "METADATA");
		char *installer = distinfo_file(p, p->dists[i], "INSTALLER");
		char *direct = distinfo_file(p, p->dists[i], "direct_url.json");
		char *name = meta ? itg__metadata_field(meta, "Name") : NULL;
		char *version = meta ? itg__metadata_field(meta, "Version") : NULL;
		const char *from = NULL;
		char *licence = meta ? itg__metadata_licence(meta, &from) : NULL;
		json_t *url = direct ? json_loads(direct, 0, NULL) : NULL;
		const char *u = json_string_value(json_object_get(url, "url"));
		char *shown = u ? util_url_without_credentials(u) : NULL;
		if (installer)
			installer[strcspn(installer, "\r\n")] = '\0';
		json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		        "name", itg__jstr(name), "version", itg__jstr(version), "licence", itg__jstr(licence),
		        "licence_from", itg__jstr(from),
		        "dist_info", itg__jstr(p->dists[i]), "installer", itg__jstr(installer),
		        "direct_url", itg__jstr(shown),
		        "source", itg__dist_source(report, name, url)));
		record_tops(p, p->dists[i], tops, name ? name : p->dists[i]);
		json_decref(url);
		free(shown);
		free(licence);
		free(version);
		free(name);
		free(direct);
		free(installer);
		free(meta);
	}
	json_decref(report);
	return a;
}

/* Store paths (<64 hex digits> file names) with the names the link gave them. */
static json_t *
hashed(const struct strvec *stored, const struct strvec *names)
{
	json_t *a = json_array();

	for (size_t i = 0; i < stored->n; i++)
		json_array_append_new(a, json_pack("{s:o,s:o}",
		        "name", itg__jstr(i < names->n ? names->v[i] : NULL),
		        "sha256", itg__jstr(util_basename(stored->v[i]))));
	return a;
}

/* A line of `dpkg -S`: "PACKAGE: PATH" into the map (path: package); lines
 * of diversions and of paths that several packages own are left out. */
static void
owner_line(void *ctx, const char *text)
{
	const char *sep = strstr(text, ": ");

	if (sep && sep > text && !memchr(text, ' ', (size_t)(sep - text)))
		json_object_set_new(ctx, sep + 2, json_stringn(text, (size_t)(sep - text)));
}

/* /usr/lib/... as /lib/... and back (merged /usr: dpkg knows one of them). */
static char *
other_path(const char *path)
{
	return util_starts_with(path, "/usr/lib/") ? xstrdup(path + 4)
	       : util_starts_with(path, "/lib/") ? xasprintf("/usr%s", path) : NULL;
}

/* The Debian packages that installed the paths, by one `dpkg -S`. */
static json_t *
owners_of(const struct strvec *paths)
{
	struct strvec av = { 0 };
	json_t *map = json_object();

	strvec_push(&av, "dpkg");
	strvec_push(&av, "-S");
	for (size_t i = 0; i < paths->n; i++) {
		strvec_push(&av, paths->v[i]);
		char *alt = other_path(paths->v[i]);
		if (alt)
			strvec_push_owned(&av, alt);
	}
	/* Not every path has an owner: dpkg then exits 1 after the others. */
	if (paths->n && !av.failed)
		(void)util_run_logged(strvec_cargv(&av), NULL, NULL, -1, owner_line, map);
	strvec_free(&av);
	return map;
}

/* {package, version} of path from dpkg (owners: owners_of); nulls when no
 * package owns it. */
static json_t *
debian_of(json_t *owners, const char *path)
{
	char *alt = other_path(path), *version = NULL;
	const char *owner = json_string_value(json_object_get(owners, path));

	if (!owner && alt)
		owner = json_string_value(json_object_get(owners, alt));
	if (owner) {
		const char *const argv[] = { "dpkg-query", "-W", "-f=${Version}", owner, NULL };
		if (util_run_capture(argv, NULL, &version, NULL) != 0) {
			free(version);
			version = NULL;
		}
	}
	json_t *o = json_pack("{s:o,s:o}", "package", itg__jstr(owner), "version", itg__jstr(version));
	free(version);
	free(alt);
	return o;
}

/* The extensions, and for each archive linked the extensions that use it. */
static int
extensions(struct itg_weld *w, json_t *exts, json_t *users)
{
	char err[256];

	for (size_t i = 0; i < w->res->nexts; i++) {
		const struct itg_ext *e = w->res->exts[i];
		struct itg_libset set;
		json_t *libs = json_array();
		if (itg_resolve_ext_libs(strvec_cargv(&e->libs), e->libs.n,
		                         strvec_cargv(&e->archive_libs), e->archive_libs.n,
		                         strvec_cargv(&e->libdirs), e->libdirs.n, &set, err,
		                         sizeof(err)) < 0) {
			json_decref(libs);
			return itg__fail(w, "%s", err);
		}
		for (size_t k = 0; k < set.n; k++) {
			const struct itg_lib *l = &set.libs[k];
			if (l->libc || l->missing)
				continue;
			json_array_append_new(libs, itg__jstr(l->name));
			if (!l->archive)
				continue;
			json_t *u = json_object_get(users, l->archive);
			if (!u)
				json_object_set_new(users, l->archive, u = json_array());
			json_array_append_new(u, itg__jstr(e->name));
		}
		itg_libset_free(&set);
		json_array_append_new(exts, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o}",
		        "name", itg__jstr(e->name), "package", itg__jstr(e->package),
		        "version", itg__jstr(e->version), "objects", hashed(&e->objects, &e->object_names),
		        "archives", hashed(&e->archives, &e->archive_names), "libraries", libs,
		        "cxx", e->cxx, "vendored", itg__vendored(e)));
	}
	return 0;
}

/* The SHA-256 of the file at path as linked, or null. */
static json_t *
file_sha256(const char *path)
{
	char hex[LINKDB_HASH_HEX + 1];

	return linkdb_hash_file(path, hex) == 0 ? json_string(hex) : json_null();
}

/* The static libraries of the final link: libpython, then archives. */
static json_t *
libraries(struct itg_weld *w, const struct strvec *archives, json_t *users)
{
	json_t *a = json_array(), *owners = owners_of(archives);
	char *libpython = itg__prefix_path(w->plan, "lib/libpython", ".a");

	json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:s,s:[],s:o}", "name", "python",
	        "path", util_basename(libpython), "debian", json_null(), "licence", "PSF-2.0",
	        "used_by", "sha256", file_sha256(libpython)));
	for (size_t i = 0; i < archives->n; i++) {
		const char *base = util_basename(archives->v[i]);
		char *name = strndup(base + (util_starts_with(base, "lib") ? 3 : 0),
		                     strcspn(base + (util_starts_with(base, "lib") ? 3 : 0), "."));
		bool copyleft;
		json_t *u = json_object_get(users, archives->v[i]);
		json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "name", itg__jstr(name),
		        "path", itg__jstr(archives->v[i]), "debian", debian_of(owners, archives->v[i]),
		        "licence", itg__jstr(itg_licence(name, &copyleft)),
		        "used_by", u ? json_incref(u) : json_array(),
		        "sha256", file_sha256(archives->v[i])));
		free(name);
	}
	json_decref(owners);
	free(libpython);
	return a;
}

/* The blob's bytes per top-level name, with the distribution that owns it. */
static json_t *
blob_bytes(struct itg_weld *w, json_t *tops)
{
	char *path = util_path_join(w->plan->work, "modules.blob"), *data = NULL;
	size_t len = 0;
	struct rt_blob b;
	char err[256];
	json_t *per = json_object(), *out = NULL, *a = json_array();

	if (util_read_file(path, &data, &len) < 0 || rt_blob_check(&b, data, len, err,
	                                                           sizeof(err)) < 0)
		goto done;
	for (uint32_t i = 0; i < b.count; i++) {
		struct rt_blob_entry e;
		rt_blob_get(&b, i, &e);
		size_t n = strcspn(e.name, "./");
		char *top = strndup(e.name, n);
		json_int_t had = json_integer_value(json_object_get(per, top));
		json_object_set_new(per, top, json_integer(had + e.data_len + e.source_len));
		free(top);
	}
	const char *k;
	json_t *v;
	json_object_foreach(per, k, v) {
		json_t *dist = json_object_get(tops, k);
		json_array_append_new(a, json_pack("{s:s,s:O,s:O}", "name", k, "distribution",
		                      dist ? dist : json_null(), "bytes", v));
	}
	out = json_pack("{s:I,s:O}", "bytes", (json_int_t)len, "packages", a);
done:
	json_decref(a);
	json_decref(per);
	free(data);
	free(path);
	return out ? out : json_null();
}

/* CPython: its version and source, from the distribution's record. */
static json_t *
python_of(const struct itg_plan *p)
{
	char *dir = util_dirname(p->prefix), *path = util_path_join(dir, "distribution.json");
	json_t *d = json_load_file(path, 0, NULL), *src = json_object_get(d, "source");
	const char *dsc = json_string_value(json_object_get(src, "path"));
	char *pkg = NULL;

	if (dsc && util_ends_with(util_basename(dsc), ".dsc"))
		pkg = strndup(util_basename(dsc), strcspn(util_basename(dsc), "_"));
	json_t *o = json_pack("{s:o,s:o,s:{s:O?,s:o,s:O?,s:O?,s:O?,s:I}}",
	        "version", itg__jstr(p->python_version),
	        "soabi", itg__jstr(json_string_value(json_object_get(d, "soabi"))),
	        "source", "kind", json_object_get(src, "kind"), "debian_package", itg__jstr(pkg),
	        "debian_version", json_object_get(src, "debian_version"),
	        "sha256", json_object_get(src, "sha256"),
	        "adjustments", json_object_get(src, "pyweld_adjustments"),
	        "debian_patches", json_integer_value(json_object_get(src, "debian_patches")));
	free(pkg);
	json_decref(d);
	free(path);
	free(dir);
	return o;
}

/* What the binary runs, and the options it was welded with. */
static void
plan_parts(const struct itg_plan *p, json_t *m)
{
	json_object_set_new(m, "entry", json_pack("{s:s,s:o}",
	        "kind", p->module ? "module" : p->script ? "script" : p->code ? "code"
	        : p->main_c ? "main.c" : "interpreter",
	        "value", p->module ? itg__jstr(p->module) : p->script ? itg__jstr(util_basename(p->script))
	        : p->code ? itg__jstr(p->code) : p->main_c ? itg__jstr(util_basename(p->main_c))
	        : json_null()));
	json_object_set_new(m, "options", json_pack("{s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,"
	        "s:b,s:b,s:o,s:o,s:o,s:o,s:o}",
	        "static", p->static_link, "pie", p->pie, "debug", p->debug,
	        "debug_file", p->debug_file != NULL, "source", p->source,
	        "deep_freeze", p->deep_freeze, "deep_freeze_all", p->deep_freeze && p->deep_freeze_all,
	        "file_view", p->file_view,
	        "stdlib_tests", p->stdlib_tests, "fast_exit", p->fast_exit,
	        "no_mp_children", p->no_mp_children, "library", p->library,
	        "with", jstrv(p->with, p->nwith), "without", jstrv(p->without, p->nwithout),
	        "exclude_modules", jstrv(p->exclude_modules, p->nexclude_modules),
	        "exclude_resources", jstrv(p->exclude_resources, p->nexclude_resources),
	        "deny_licences", jstrv(p->deny_licences, p->ndeny_licences)));
}

/* The manifest's JSON text (malloc'd), or NULL with the weld's message. */
static char *
manifest_json(struct itg_weld *w, const struct strvec *archives)
{
	json_t *m = json_object(), *tops = json_object(), *exts = json_array();
	json_t *users = json_object();
	char *text = NULL;

	json_object_set_new(m, "manifest_version", json_integer(1));
	json_object_set_new(m, "pyweld", json_pack("{s:s}", "version", PYWELD_VERSION));
	json_object_set_new(m, "python", python_of(w->plan));
	plan_parts(w->plan, m);
	json_object_set_new(m, "distributions", distributions(w->plan, tops));
	if (extensions(w, exts, users) < 0)
		goto out;
	json_object_set(m, "extensions", exts);
	json_object_set_new(m, "libraries", libraries(w, archives, users));
	json_object_set_new(m, "shared_libraries", jstrv(strvec_cargv(&w->res->dynamic),
	                                                 w->res->dynamic.n));
	json_object_set_new(m, "blob", blob_bytes(w, tops));
	if (itg__licence_policy(w, m) < 0)
		goto out;
	text = json_dumps(m, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (!text)
		itg__fail(w, "cannot write the manifest: out of memory");
out:
	json_decref(users);
	json_decref(exts);
	json_decref(tops);
	json_decref(m);
	return text;
}

static void
put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int
itg__manifest_make(struct itg_weld *w, const struct strvec *archives)
{
	free(w->manifest);
	w->manifest = manifest_json(w, archives);
	return w->manifest ? 0 : -1;
}

/* The manifest's bytes (the header, then the JSON compressed) written to
 * the work directory's file name; its path (malloc'd), or NULL with the
 * weld's message.  Consumes w->manifest (made here when not yet). */
static char *
manifest_file(struct itg_weld *w, const struct strvec *archives, const char *name)
{
	char *json = w->manifest ? w->manifest : manifest_json(w, archives), *path = NULL;
	unsigned char *buf = NULL;
	uLongf clen;

	w->manifest = NULL;
	if (!json)
		return NULL;
	clen = compressBound(strlen(json));
	buf = xmalloc(MANIFEST_HEADER + clen);
	memcpy(buf, MANIFEST_MAGIC, 8);
	put_le(buf + 8, 1, 4);
	put_le(buf + 12, 0, 4);
	put_le(buf + 16, strlen(json), 8);
	if (compress2(buf + MANIFEST_HEADER, &clen, (const Bytef *)json, strlen(json), 9) != Z_OK) {
		itg__fail(w, "cannot compress the manifest of '%s'", w->plan->output);
		goto out;
	}
	path = util_path_join(w->plan->work, name);
	if (util_write_atomic(path, buf, MANIFEST_HEADER + clen, 0644, false) < 0) {
		itg__fail(w, "cannot write '%s': %s", path, strerror(errno));
		free(path);
		path = NULL;
		goto out;
	}
	itg__note(w, "manifest: %zu bytes of JSON, %lu in %s", strlen(json),
	          (unsigned long)clen + MANIFEST_HEADER, w->plan->library ? "member "
	          ITG_MANIFEST_MEMBER : "section " ITG_MANIFEST_SECTION);
out:
	free(buf);
	free(json);
	return path;
}

char *
itg__manifest_member(struct itg_weld *w, const struct strvec *archives)
{
	return manifest_file(w, archives, ITG_MANIFEST_MEMBER);
}

int
itg__manifest(struct itg_weld *w, const char *bin, const struct strvec *archives)
{
	char *path = manifest_file(w, archives, "manifest.bin"), *opt = NULL;
	int rc = -1;

	if (!path)
		return -1;
	opt = xasprintf(ITG_MANIFEST_SECTION "=%s", path);
	if (itg__run(w, (const char *const[]){ "objcopy", "--add-section", opt,
	             "--set-section-flags", ITG_MANIFEST_SECTION "=readonly", bin, NULL },
	             NULL) != 0) {
		itg__fail(w, "cannot add the manifest to '%s' (objcopy --add-section failed)%s%s",
		          bin, w->cmd.first_error[0] ? ": " : "", w->cmd.first_error);
		goto out;
	}
	rc = 0;
out:
	free(opt);
	free(path);
	return rc;
}

/* The bytes of the manifest section of an open ELF file, or -1 with why. */
static int
section_bytes(Elf *e, unsigned char **out, size_t *len, char *err, size_t errlen)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_kind(e) != ELF_K_ELF) {
		snprintf(err, errlen, "not an ELF file");
		return -1;
	}
	if (elf_getshdrstrndx(e, &shstrndx) != 0) {
		snprintf(err, errlen, "its section headers are damaged: %s", elf_errmsg(-1));
		return -1;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(e, shstrndx, sh.sh_name)) ||
		    strcmp(name, ITG_MANIFEST_SECTION))
			continue;
		Elf_Data *d = elf_rawdata(scn, NULL);
		if (!d || !d->d_buf || sh.sh_type == SHT_NOBITS) {
			snprintf(err, errlen, "its section " ITG_MANIFEST_SECTION " cannot be read: %s",
			         elf_errmsg(-1));
			return -1;
		}
		*out = xmalloc(d->d_size + 1);
		memcpy(*out, d->d_buf, d->d_size);
		*len = d->d_size;
		return 0;
	}
	snprintf(err, errlen, "it has no " ITG_MANIFEST_SECTION " section: not a binary "
	         "welded by pyweld, or welded before pyweld wrote manifests");
	return -1;
}

/* The manifest's JSON from the bytes of what ("its section ..."), or -1
 * with why. */
static int
unpack(const unsigned char *s, size_t len, const char *what, char **json, char *err,
       size_t errlen)
{
	uint64_t n;
	uLongf got;

	if (len < MANIFEST_HEADER || memcmp(s, MANIFEST_MAGIC, 8)) {
		snprintf(err, errlen, "%s is damaged (no header)", what);
		return -1;
	}
	if (get_le(s + 8, 4) != 1) {
		snprintf(err, errlen, "its manifest has format version %llu, this pyweld reads 1",
		         (unsigned long long)get_le(s + 8, 4));
		return -1;
	}
	n = get_le(s + 16, 8);
	if (n == 0 || n > MANIFEST_MAX) {
		snprintf(err, errlen, "%s is damaged (a length of %llu)", what,
		         (unsigned long long)n);
		return -1;
	}
	*json = xmalloc(n + 1);
	got = n;
	if (uncompress((Bytef *)*json, &got, s + MANIFEST_HEADER, len - MANIFEST_HEADER) != Z_OK
	    || got != n || memchr(*json, '\0', n)) {
		snprintf(err, errlen, "%s is damaged (the compressed JSON does not decompress "
		         "to its length)", what);
		free(*json);
		*json = NULL;
		return -1;
	}
	(*json)[n] = '\0';
	return 0;
}

/* The bytes of the ITG_MANIFEST_MEMBER member of an ar archive open as fd
 * (--library), or -1 with why. */
static int
member_bytes(int fd, off_t size, unsigned char **out, size_t *len, char *err, size_t errlen)
{
	char h[60];
	off_t at = 8;

	while (at + 60 <= size) {
		long long n;
		char num[11];
		if (pread(fd, h, 60, at) != 60 || memcmp(h + 58, "`\n", 2)) {
			snprintf(err, errlen, "its archive headers are damaged");
			return -1;
		}
		memcpy(num, h + 48, 10);
		num[10] = '\0';
		if (sscanf(num, "%lld", &n) != 1 || n < 0 || at + 60 + n > size) {
			snprintf(err, errlen, "its archive headers are damaged");
			return -1;
		}
		if (!memcmp(h, ITG_MANIFEST_MEMBER "/", 16) || !memcmp(h, ITG_MANIFEST_MEMBER " ", 16)) {
			if ((uint64_t)n > MANIFEST_MAX + MANIFEST_HEADER) {
				snprintf(err, errlen, "its member " ITG_MANIFEST_MEMBER " is damaged "
				         "(%lld bytes)", n);
				return -1;
			}
			*out = xmalloc((size_t)n + 1);
			if (pread(fd, *out, (size_t)n, at + 60) != (ssize_t)n) {
				snprintf(err, errlen, "cannot read its member " ITG_MANIFEST_MEMBER);
				free(*out);
				*out = NULL;
				return -1;
			}
			*len = (size_t)n;
			return 0;
		}
		at += 60 + n + (n & 1);
	}
	snprintf(err, errlen, "it is an archive without a member " ITG_MANIFEST_MEMBER ": not "
	         "a --library archive welded by pyweld, or welded before they held manifests");
	return -1;
}

int
itg_manifest_read(const char *path, char **json, char *err, size_t errlen)
{
	unsigned char *bytes = NULL;
	size_t len = 0;
	Elf *e = NULL;
	struct stat st = { 0 };
	int fd, rc = -1;

	*json = NULL;
	/* O_NONBLOCK: a FIFO must not hang the reader; only a file is read. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s", S_ISDIR(st.st_mode) ? "it is a directory"
		         : "not a regular file");
		close(fd);
		return -1;
	}
	char magic[8];
	if (pread(fd, magic, 8, 0) == 8 && !memcmp(magic, "!<arch>\n", 8)) {
		if (member_bytes(fd, st.st_size, &bytes, &len, err, errlen) == 0)
			rc = unpack(bytes, len, "its member " ITG_MANIFEST_MEMBER, json, err, errlen);
		goto out;
	}
	elf_version(EV_CURRENT);
	if (!(e = elf_begin(fd, ELF_C_READ, NULL))) {
		snprintf(err, errlen, "not an ELF file (%s)", elf_errmsg(-1));
		goto out;
	}
	if (section_bytes(e, &bytes, &len, err, errlen) < 0 ||
	    unpack(bytes, len, "its section " ITG_MANIFEST_SECTION, json, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	free(bytes);
	if (e)
		elf_end(e);
	close(fd);
	return rc;
}

/*
 * sizereport.c: where a welded executable's bytes are (--size-report).
 *
 * Three views of the file, each adding up:
 *   sections  the section headers (libelf): every section's bytes in the
 *             file (.bss and .tbss have none), and what lies between them
 *             (the ELF header, program headers, the section table,
 *             alignment) as one row; the sum is the file's size.
 *   inputs    the final link's map (ld -Map): each input section's bytes
 *             credited to its file, and files grouped by what they are:
 *             each static archive (libpython3.11.a, libssl.a), each
 *             isolated extension module, the module blob, the deep-frozen
 *             modules' objects, the runtime's units, the linker's own
 *             sections (the dynamic symbol table, PLT, GOT, .symtab when
 *             kept), the C start files.  Merged sections (strings,
 *             .eh_frame) can come out smaller than their inputs: a
 *             section's inputs are then scaled down to its size.  What no
 *             input accounts for (headers, sections the linker makes,
 *             padding) is one row; the sum is the file's size.
 *   modules   the blob's index (runtime/blob.h): each module's bytecode
 *             and source (their bytes as stored: most sources, and the code
 *             of the modules a binary does not import as it starts, are
 *             zlib-compressed), each package's resources, each distribution's
 *             metadata, the blob's header, index and names as a row; and
 *             each deep-frozen module's object (its share of the link, by
 *             the distribution's manifest.tsv).  The sum is the blob's size
 *             plus the deep-frozen objects' share.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"

/* Rows being gathered, found again by name. */
struct rows {
	struct itg_size_item *v;
	size_t n, cap;
};

static struct itg_size_item *
row(struct rows *r, const char *name, const char *kind)
{
	/* Most lookups repeat the one before (consecutive input sections of
	 * one file, the entries of one package). */
	for (size_t i = r->n; i-- > 0 && i + 64 >= r->n;)
		if (!strcmp(r->v[i].name, name))
			return &r->v[i];
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].name, name))
			return &r->v[i];
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
	}
	r->v[r->n] = (struct itg_size_item){ .name = xstrdup(name), .kind = kind };
	return &r->v[r->n++];
}

static int
by_bytes(const void *a, const void *b)
{
	const struct itg_size_item *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void
finish(struct rows *r, struct itg_size_item **v, size_t *n)
{
	qsort(r->v, r->n, sizeof(*r->v), by_bytes);
	*v = r->v;
	*n = r->n;
	*r = (struct rows){ 0 };
}

static void
rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].name);
	free(r->v);
	*r = (struct rows){ 0 };
}

/* One section of the executable: its name and bytes in the file. */
struct sect {
	char *name;
	uint64_t bytes;
	uint64_t fixed, merged; /* its inputs' bytes, merged ones apart */
	struct rows share;      /* inputs' bytes in it (row names as inputs') */
	struct rows merge;      /* the same of merged input sections */
};

struct report {
	struct itg_weld *w;
	struct sect *sects;
	size_t nsects;
	struct rows inputs;
	uint64_t file_bytes;
};

/* The sections of bin and their bytes in the file (libelf). */
static int
read_sections(struct report *r, const char *bin)
{
	struct itg_weld *w = r->w;
	int fd = open(bin, O_RDONLY | O_CLOEXEC), rc = -1;
	Elf *e = NULL;
	size_t shstrndx, n;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return itg__fail(w, "cannot read '%s': %s", bin, strerror(errno));
	r->file_bytes = (uint64_t)st.st_size;
	if (elf_version(EV_CURRENT) == EV_NONE || !(e = elf_begin(fd, ELF_C_READ, NULL)) ||
	    elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx) < 0 ||
	    elf_getshdrnum(e, &n) < 0) {
		itg__fail(w, "cannot read the sections of '%s': %s", bin, elf_errmsg(-1));
		goto out;
	}
	r->sects = xcalloc(n + 1, sizeof(*r->sects));
	for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s));) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(s, &sh) || !(name = elf_strptr(e, shstrndx, sh.sh_name)))
			continue;
		r->sects[r->nsects++] = (struct sect){ .name = xstrdup(name),
		        .bytes = sh.sh_type == SHT_NOBITS ? 0 : sh.sh_size };
	}
	rc = 0;
out:
	if (e)
		elf_end(e);
	close(fd);
	return rc;
}

static struct sect *
find_sect(struct report *r, const char *name)
{
	for (size_t i = 0; i < r->nsects; i++)
		if (!strcmp(r->sects[i].name, name))
			return &r->sects[i];
	return NULL;
}

/* Input sections the linker makes (and maps to the first input file). */
static const char *
linker_made(const char *sect)
{
	static const char *const dynsym[] = { ".dynsym", ".dynstr", ".gnu.hash", ".hash",
	                                      ".gnu.version", ".gnu.version_d",
	                                      ".gnu.version_r", NULL };
	static const char *const other[] = { ".plt", ".plt.got", ".plt.sec", ".got",
	                                     ".got.plt", ".rela.dyn", ".rela.plt",
	                                     ".rela.got", ".rela.iplt", ".dynamic", ".interp",
	                                     ".eh_frame_hdr", ".note.gnu.build-id", NULL };

	for (size_t i = 0; dynsym[i]; i++)
		if (!strcmp(sect, dynsym[i]))
			return "dynamic symbols (the exported API)";
	for (size_t i = 0; other[i]; i++)
		if (!strcmp(sect, other[i]))
			return "linker-made: PLT, GOT, relocations, .eh_frame_hdr";
	return NULL;
}

/* Input sections the linker merges (strings, constants, unwind data):
 * their bytes in the output can be fewer than the inputs'. */
static bool
merged(const char *sect)
{
	return strstr(sect, ".str") || strstr(sect, ".cst") || !strcmp(sect, ".eh_frame");
}

/* What an input section of the link is: its row's name and kind. */
static const char *
classify(struct report *r, const char *sect, const char *file, char **name)
{
	const struct itg_weld *w = r->w;
	size_t len = strlen(file);
	const char *open = strrchr(file, '(');
	const char *made = linker_made(sect);

	/* "/usr/lib/x86_64-linux-gnu/libssl.a(ssl_lib.o)" */
	if (open && len && file[len - 1] == ')' && open - file > 2 && !strncmp(open - 2, ".a", 2)) {
		char *archive = strndup(file, (size_t)(open - file));
		*name = xstrdup(util_basename(archive));
		free(archive);
		return "library";
	}
	for (size_t i = 0; i < w->res->nexts; i++) {
		const struct itg_ext *e = w->res->exts[i];
		if (e->isolated && !strcmp(file, e->isolated)) {
			*name = xstrdup(e->name);
			return strcmp(e->package, "python") ? "extension" : "stdlib extension";
		}
	}
	if (util_ends_with(file, "/rt/modules_blob.o")) {
		*name = xstrdup("module blob");
		return "module blob";
	}
	if (strstr(file, "/pyweld-frozen/")) {
		*name = xstrdup("deep-frozen modules");
		return "deep-frozen";
	}
	if (strstr(file, "/rt/") && util_starts_with(file, w->plan->work)) {
		*name = xstrdup("pyweld runtime");
		return "runtime";
	}
	if (made) {
		*name = xstrdup(made);
		return "linker";
	}
	*name = xstrdup("C start files");
	return "other";
}

/* The size and file of an input section's line: "0xADDR 0xSIZE FILE". */
static bool
input_line(const char *p, uint64_t *size, const char **file)
{
	char *end;

	while (*p == ' ')
		p++;
	if (strncmp(p, "0x", 2))
		return false;
	strtoull(p, &end, 16);
	p = end;
	while (*p == ' ')
		p++;
	if (strncmp(p, "0x", 2))
		return false;
	*size = strtoull(p, &end, 16);
	p = end;
	if (*p != ' ')
		return false;
	while (*p == ' ')
		p++;
	*file = p;
	return *p != '\0';
}

/*
 * Reads the link map: each input section's bytes credited to its file's
 * row in its output section.  Lines as GNU ld writes them: an output
 * section at column 0, an input section indented by one space, its
 * address, size and file on the same line or the next.
 */
static int
read_map(struct report *r, const char *map, struct rows *frozen)
{
	FILE *f = fopen(map, "re");
	char *line = NULL, *pending = NULL, *sect = NULL;
	size_t cap = 0;
	struct sect *out = NULL;
	bool started = false;

	if (!f)
		return itg__fail(r->w, "cannot read the link map '%s': %s", map, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (!started) {
			started = !strcmp(line, "Linker script and memory map");
			continue;
		}
		if (line[0] && line[0] != ' ') {
			/* an output section (or LOAD, OUTPUT(...)) */
			char name[256];
			free(pending);
			pending = NULL;
			out = sscanf(line, "%255s", name) == 1 ? find_sect(r, name) : NULL;
			continue;
		}
		uint64_t size;
		const char *file;
		const char *p = line;
		free(sect);
		sect = NULL;
		if (line[0] == ' ' && line[1] != ' ' && line[1] != '*') {
			/* " .text.foo  0x.. 0x.. file", or the name alone */
			p = line + 1 + strcspn(line + 1, " ");
			if (!*p) {
				free(pending);
				pending = xstrdup(line + 1);
				continue;
			}
			sect = strndup(line + 1, (size_t)(p - line - 1));
		} else if (!pending) {
			continue;       /* a symbol, an assignment, *fill*, a pattern */
		} else {
			sect = pending;
			pending = NULL;
		}
		free(pending);
		pending = NULL;
		if (!sect || !out || !out->bytes || !input_line(p, &size, &file) || !size)
			continue;
		char *name;
		const char *kind = classify(r, sect, file, &name);
		bool m = merged(sect);
		row(m ? &out->merge : &out->share, name, kind)->bytes += size;
		*(m ? &out->merged : &out->fixed) += size;
		/* each deep-frozen module's object by its file name, for now */
		if (!strcmp(kind, "deep-frozen"))
			row(frozen, util_basename(file), kind)->bytes += size;
		free(name);
	}
	free(line);
	free(pending);
	free(sect);
	fclose(f);
	return 0;
}

/* b scaled by num/den (den > 0). */
static uint64_t
scale(uint64_t b, uint64_t num, uint64_t den)
{
	return (uint64_t)((long double)b * num / den);
}

/*
 * The inputs' rows.  Where merging made a section smaller than its inputs,
 * its merged inputs' shares are scaled down to what is left of it (and the
 * others' too, should that not be enough); the rest of the file is one row.
 */
static void
sum_inputs(struct report *r, struct rows *frozen)
{
	uint64_t credited = 0, frozen_in = 0, frozen_out = 0;

	for (size_t i = 0; i < r->nsects; i++) {
		struct sect *s = &r->sects[i];
		/* none of the map's inputs: .symtab, .strtab and .shstrtab */
		if (!s->fixed && !s->merged && s->bytes) {
			char *name = xasprintf("%s (the linker's)", s->name);
			row(&r->inputs, name, "linker")->bytes += s->bytes;
			credited += s->bytes;
			free(name);
			continue;
		}
		uint64_t fixed_to = s->fixed <= s->bytes ? s->fixed : s->bytes;
		uint64_t merged_to = s->bytes - fixed_to;
		for (int m = 0; m < 2; m++) {
			const struct rows *share = m ? &s->merge : &s->share;
			uint64_t from = m ? s->merged : s->fixed, to = m ? merged_to : fixed_to;
			for (size_t k = 0; k < share->n; k++) {
				const struct itg_size_item *it = &share->v[k];
				uint64_t b = from > to ? scale(it->bytes, to, from) : it->bytes;
				row(&r->inputs, it->name, it->kind)->bytes += b;
				credited += b;
				if (!strcmp(it->kind, "deep-frozen")) {
					frozen_in += it->bytes;
					frozen_out += b;
				}
			}
		}
	}
	/* The deep-frozen objects' rows scaled as their sections were, and the
	 * input row made their sum: both views say the same. */
	uint64_t sum = 0;
	for (size_t k = 0; k < frozen->n; k++) {
		if (frozen_in)
			frozen->v[k].bytes = scale(frozen->v[k].bytes, frozen_out, frozen_in);
		sum += frozen->v[k].bytes;
	}
	if (frozen->n) {
		struct itg_size_item *it = row(&r->inputs, "deep-frozen modules", "deep-frozen");
		credited = credited - it->bytes + sum;
		it->bytes = sum;
	}
	row(&r->inputs, "(headers, padding)", "other")->bytes =
		r->file_bytes > credited ? r->file_bytes - credited : 0;
}

/* "json.decoder" of frozen object "_pyweld_frozen_json_decoder.o" (manifest.tsv). */
static void
frozen_names(struct report *r, struct rows *frozen)
{
	char *manifest = util_path_join(r->w->plan->prefix, "lib/pyweld-frozen/manifest.tsv");
	FILE *f = fopen(manifest, "re");
	char *line = NULL;
	size_t cap = 0;

	while (f && getline(&line, &cap, f) > 0) {
		char *name = strchr(line, '\t'), *sym = name ? strchr(name + 1, '\t') : NULL;
		if (!sym)
			continue;
		*sym++ = '\0';
		sym[strcspn(sym, "\n")] = '\0';
		char *obj = xasprintf("%s.o", sym);
		for (size_t k = 0; k < frozen->n; k++)
			if (!strcmp(frozen->v[k].name, obj)) {
				free(frozen->v[k].name);
				frozen->v[k].name = xstrdup(name + 1);
			}
		free(obj);
	}
	/* what the modules' objects share (pack.c's frozen_strings) */
	for (size_t k = 0; k < frozen->n; k++)
		if (!strcmp(frozen->v[k].name, "strings.o")) {
			free(frozen->v[k].name);
			frozen->v[k].name = xstrdup("(the deep-frozen modules' shared strings)");
		}
	if (f)
		fclose(f);
	free(line);
	free(manifest);
}

/* The blob's rows: modules, packages' resources, metadata, its index. */
static int
read_blob(struct report *r, struct rows *mods, struct rows *frozen,
          struct itg_size_report *out)
{
	char *path = util_path_join(r->w->plan->work, "modules.blob"), *data = NULL;
	size_t len = 0;
	struct rt_blob b;
	char err[256];
	uint64_t payload = 0;
	int rc = -1;

	if (util_read_file(path, &data, &len) < 0) {
		itg__fail(r->w, "cannot read the module blob '%s': %s", path, strerror(errno));
		goto out;
	}
	if (rt_blob_check(&b, data, len, err, sizeof(err)) < 0) {
		itg__fail(r->w, "cannot read the module blob '%s': %s", path, err);
		goto out;
	}
	out->blob_bytes = len;
	for (uint32_t i = 0; i < b.count; i++) {
		struct rt_blob_entry e;
		rt_blob_get(&b, i, &e);
		unsigned kind = e.flags & RT_BLOB_KIND_MASK;
		struct itg_size_item *it;
		if (kind == RT_BLOB_MODULE) {
			it = row(mods, e.name, e.flags & RT_BLOB_PACKAGE ? "package" : "module");
			it->code += e.data_len;
			it->source += e.source_len;
		} else {
			/* A resource counts for the directory that holds it, as a
			 * dotted name ("a/b/c.txt": a.b, the package's row when it is
			 * one); a metadata file for its .dist-info directory. */
			const char *cut = kind == RT_BLOB_METADATA ? strchr(e.name, '/')
			                  : strrchr(e.name, '/');
			char *dir = cut ? strndup(e.name, (size_t)(cut - e.name))
			            : xstrdup("(top-level files)");
			for (char *c = dir; kind == RT_BLOB_RESOURCE && *c; c++)
				*c = *c == '/' ? '.' : *c;
			it = row(mods, dir, kind == RT_BLOB_METADATA ? "metadata" : "resources");
			it->data += e.data_len + e.source_len;
			free(dir);
		}
		it->bytes += e.data_len + e.source_len;
		payload += e.data_len + e.source_len;
	}
	row(mods, "(blob header, index and names)", "blob index")->bytes = len - payload;
	for (size_t k = 0; k < frozen->n; k++) {
		struct itg_size_item *it = row(mods, frozen->v[k].name, "module");
		it->frozen += frozen->v[k].bytes;
		it->bytes += frozen->v[k].bytes;
		out->frozen_bytes += frozen->v[k].bytes;
	}
	rc = 0;
out:
	free(data);
	free(path);
	return rc;
}

int
itg__size_report(struct itg_weld *w, const char *bin, const char *map)
{
	struct report r = { .w = w };
	struct rows sections = { 0 }, frozen = { 0 }, mods = { 0 };
	struct itg_size_report *out = &w->res->size;
	uint64_t in_sections = 0;
	int rc = -1;

	if (read_sections(&r, bin) < 0 || read_map(&r, map, &frozen) < 0)
		goto out;
	sum_inputs(&r, &frozen);
	frozen_names(&r, &frozen);
	if (read_blob(&r, &mods, &frozen, out) < 0)
		goto out;
	for (size_t i = 0; i < r.nsects; i++) {
		if (!r.sects[i].bytes)
			continue;
		row(&sections, r.sects[i].name, "section")->bytes += r.sects[i].bytes;
		in_sections += r.sects[i].bytes;
	}
	row(&sections, "(ELF header, program headers, section table, alignment)",
	    "section")->bytes = r.file_bytes - in_sections;
	out->file_bytes = r.file_bytes;
	finish(&sections, &out->sections, &out->nsections);
	finish(&r.inputs, &out->inputs, &out->ninputs);
	finish(&mods, &out->modules, &out->nmodules);
	rc = 0;
out:
	for (size_t i = 0; i < r.nsects; i++) {
		free(r.sects[i].name);
		rows_free(&r.sects[i].share);
		rows_free(&r.sects[i].merge);
	}
	free(r.sects);
	rows_free(&r.inputs);
	rows_free(&sections);
	rows_free(&frozen);
	rows_free(&mods);
	return rc;
}

void
itg_size_report_free(struct itg_size_report *s)
{
	struct rows v[] = { { s->sections, s->nsections, 0 }, { s->inputs, s->ninputs, 0 },
	                    { s->modules, s->nmodules, 0 } };

	for (size_t i = 0; i < countof(v); i++)
		rows_free(&v[i]);
	strvec_free(&s->pruned_names);
	memset(s, 0, sizeof(*s));
}

/*
 * elfsym.c: the global symbols of an object, archive or shared object.
 *
 * libelf (elfutils) reads the symbol tables: for a relocatable object the
 * .symtab, for a shared object the .dynsym, for an archive every member's
 * .symtab.  A symbol counts when its binding is GLOBAL, WEAK or GNU_UNIQUE
 * and it is not a section or file symbol; it is defined unless its section
 * is SHN_UNDEF (common symbols count as defined).  WEAK and GNU_UNIQUE
 * definitions (C++ inline functions, templates, typeinfo in COMDAT groups)
 * are kept apart from GLOBAL ones: duplicates of them are not clashes.  For an archive, a symbol
 * one member needs and another defines is not listed as undefined.
 * An object that holds only GCC's LTO bytecode (the __gnu_lto_slim marker,
 * or .gnu.lto_* sections and nothing loaded: no code, no data) is flagged:
 * objcopy cannot rename in it.  A fat object of data only (libmpdec's
 * constants.c) has its .rodata beside the bytecode and is not.
 */
#include "internal.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

static bool elf_ready;

static int
init_libelf(char *err, size_t errlen)
{
	if (!elf_ready) {
		if (elf_version(EV_CURRENT) == EV_NONE) {
			snprintf(err, errlen, "libelf is out of date");
			return -1;
		}
		elf_ready = true;
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts a strvec and drops duplicates. */
static void
sort_unique(struct strvec *sv)
{
	size_t o = 0;

	if (sv->n == 0)
		return;
	qsort(sv->v, sv->n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < sv->n; i++) {
		if (o > 0 && strcmp(sv->v[o - 1], sv->v[i]) == 0) {
			free(sv->v[i]);
			continue;
		}
		sv->v[o++] = sv->v[i];
	}
	sv->n = o;
	sv->v[o] = NULL;
}

static bool
contains(const struct strvec *sorted, const char *s)
{
	return sorted->n && bsearch(&s, sorted->v, sorted->n, sizeof(char *), cmp_str);
}

/* Adds the global symbols of one ELF (not an archive) to out. */
static int
scan_elf(Elf *elf, struct linkdb__syms *out, bool *is_shared, char *err,
         size_t errlen)
{
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool lto_sections = false, lto_slim = false, has_alloc = false;
	Elf64_Word want;

	if (!gelf_getehdr(elf, &eh)) {
		snprintf(err, errlen, "%s", elf_errmsg(-1));
		return -1;
	}
	*is_shared = eh.e_type == ET_DYN;
	want = eh.e_type == ET_DYN ? SHT_DYNSYM : SHT_SYMTAB;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
		snprintf(err, errlen, "%s", elf_errmsg(-1));
		return -1;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && util_starts_with(name, ".gnu.lto_"))
			lto_sections = true;
		if ((sh.sh_type == SHT_PROGBITS || sh.sh_type == SHT_NOBITS) &&
		    (sh.sh_flags & SHF_ALLOC) && sh.sh_size > 0)
			has_alloc = true;
		if (sh.sh_type != want)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 1; data && i < n; i++) {
			GElf_Sym sym;
			const char *sname;
			int bind, type;

			if (!gelf_getsym(data, (int)i, &sym))
				continue;
			bind = GELF_ST_BIND(sym.st_info);
			type = GELF_ST_TYPE(sym.st_info);
			if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
				continue;
			if (type == STT_SECTION || type == STT_FILE)
				continue;
			sname = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!sname || !*sname)
				continue;
			if (!strcmp(sname, "__gnu_lto_slim"))
				lto_slim = true;
			if (sym.st_shndx == SHN_UNDEF)
				strvec_push(&out->undefined, sname);
			else if (bind == STB_WEAK || bind == STB_GNU_UNIQUE)
				strvec_push(&out->weak, sname);
			else
				strvec_push(&out->defined, sname);
		}
	}
	if (lto_slim || (lto_sections && !has_alloc))
		out->lto = true;
	return 0;
}

int
linkdb__scan_symbols(const void *data, size_t len, struct linkdb__syms *out,
                     char *err, size_t errlen)
{
	Elf *elf, *member;
	bool shared = false;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->kind = "other";
	if (init_libelf(err, errlen) < 0)
		return -1;
	if (len < 8)
		return 0;
	elf = elf_memory((char *)(uintptr_t)data, len);
	if (!elf)
		return 0;
	switch (elf_kind(elf)) {
	case ELF_K_ELF:
		rc = scan_elf(elf, out, &shared, err, errlen);
		out->kind = shared ? "shared" : "object";
		break;
	case ELF_K_AR:
		out->kind = "archive";
		while ((member = elf_begin(-1, ELF_C_READ_MMAP, elf))) {
			Elf_Arhdr *ah = elf_getarhdr(member);
			if (elf_kind(member) == ELF_K_ELF && ah && ah->ar_name[0] != '/' &&
			    scan_elf(member, out, &shared, err, errlen) < 0)
				rc = -1;
			elf_next(member);
			elf_end(member);
			if (rc < 0)
				break;
		}
		break;
	default:
		break;
	}
	elf_end(elf);
	if (rc < 0) {
		linkdb__syms_free(out);
		return -1;
	}
	sort_unique(&out->defined);
	sort_unique(&out->weak);
	sort_unique(&out->undefined);
	/* In an archive, what one member needs another may define. */
	if (!strcmp(out->kind, "archive") && out->undefined.n) {
		size_t o = 0;
		for (size_t i = 0; i < out->undefined.n; i++) {
			char *s = out->undefined.v[i];
			if (contains(&out->defined, s) || contains(&out->weak, s)) {
				free(s);
				continue;
			}
			out->undefined.v[o++] = s;
		}
		out->undefined.n = o;
		out->undefined.v[o] = NULL;
	}
	if (out->defined.failed || out->weak.failed || out->undefined.failed) {
		linkdb__syms_free(out);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void
linkdb__syms_free(struct linkdb__syms *s)
{
	strvec_free(&s->defined);
	strvec_free(&s->weak);
	strvec_free(&s->undefined);
}

int
linkdb_file_defined_symbols(const char *path, char ***names, size_t *n, char *err,
                            size_t errlen)
{
	return linkdb_file_symbols(path, LINKDB_SYM_STRONG | LINKDB_SYM_WEAK, names, n,
	                           err, errlen);
}

int
linkdb_file_symbols(const char *path, unsigned which, char ***names, size_t *n,
                    char *err, size_t errlen)
{
	struct linkdb__syms syms;
	char *data;
	size_t len;

	*names = NULL;
	*n = 0;
	if (util_read_file(path, &data, &len) < 0) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	if (linkdb__scan_symbols(data, len, &syms, err, errlen) < 0) {
		free(data);
		return -1;
	}
	free(data);
	if (!(which & LINKDB_SYM_STRONG)) {
		strvec_free(&syms.defined);
		memset(&syms.defined, 0, sizeof(syms.defined));
	}
	for (size_t i = 0; i < syms.weak.n; i++) {
		if (which & LINKDB_SYM_WEAK)
			strvec_push_owned(&syms.defined, syms.weak.v[i]);
		else
			free(syms.weak.v[i]);
		syms.weak.v[i] = NULL;
	}
	syms.weak.n = 0;
	sort_unique(&syms.defined);
	if (syms.defined.failed) {
		linkdb__syms_free(&syms);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*names = syms.defined.v;
	*n = syms.defined.n;
	syms.defined.v = NULL;
	syms.defined.n = 0;
	linkdb__syms_free(&syms);
	return 0;
}

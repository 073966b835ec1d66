/*
 * inittab-gen: from recorded builds to a link plan.
 *
 * Today: external libraries.  An extension's "-lNAME" inputs are resolved to
 * static archives where the system has them, with the libraries they need in
 * turn (pkg-config --static), each once, in an order a single-pass linker
 * accepts; what must stay dynamic is reported; every library carries its
 * licence.  Module naming, symbol isolation, collision checks, inittab.c and
 * the final link arrive with the weld.
 */
#ifndef PYWELD_ITG_H
#define PYWELD_ITG_H

#include <stdbool.h>
#include <stddef.h>

struct itg_lib {
	char *name;             /* "ssl", or ":libfoo.a" for -l:FILE */
	char *archive;          /* absolute path of the static archive, or NULL */
	bool libc;              /* part of the C library family: stays dynamic */
	const char *licence;    /* SPDX-style identifier, or "unknown" */
	bool copyleft;          /* a licence that reaches the whole program */
};

struct itg_libset {
	size_t n;
	struct itg_lib *libs;   /* in link order: dependants before dependencies */
};

/*
 * Resolves -l names (in the order given) with their transitive dependencies.
 * libdirs are searched before the system's directories.  Returns 0, or -1
 * with a message in err (out of memory only: a library without an archive
 * is reported through archive == NULL, not as an error).
 */
int itg_resolve_libs(const char *const *names, size_t n,
                     const char *const *libdirs, size_t nlibdirs,
                     struct itg_libset *out, char *err, size_t errlen);
void itg_libset_free(struct itg_libset *set);

/* The licence of a library by its -l name ("unknown" when not known). */
const char *itg_licence(const char *name, bool *copyleft);

/* true for c, m, dl, pthread, rt, util, resolv, ...: glibc's own libraries. */
bool itg_is_libc(const char *name);

#endif

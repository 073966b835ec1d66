/*
 * options.c: the option tables of the GCC driver and of GNU ld, and their
 * lookup.
 *
 * A row says how an option is written (its arity: a separate value, a
 * value glued to a prefix, "--name=value") and what it means to the
 * classification (its role: the output, a library, a link flag, a mode
 * such as -c or -shared, ...).  The classifier switches on the role of the
 * row it finds; it never compares option names itself.  Options absent
 * from a table take no value, as GCC treats the options it does not know,
 * and mean nothing to the record (a GCC option) or are a link flag (an ld
 * option).  Each table is in strcmp order, searched with bsearch (a unit
 * test checks the order).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SEP CCSHIM_O_SEPARATE
#define PRE CCSHIM_O_PREFIX
#define EQ  CCSHIM_O_EQUALS

#define NONE        CCSHIM_ROLE_NONE
#define LINK        CCSHIM_ROLE_LINK
#define LTO         CCSHIM_ROLE_LTO
#define OUTPUT      CCSHIM_ROLE_OUTPUT
#define LANGUAGE    CCSHIM_ROLE_LANGUAGE
#define DEPFILE     CCSHIM_ROLE_DEPFILE
#define LIB         CCSHIM_ROLE_LIB
#define LIBDIR      CCSHIM_ROLE_LIBDIR
#define COMPILE     CCSHIM_ROLE_COMPILE
#define ASSEMBLY    CCSHIM_ROLE_ASSEMBLY
#define PREPROCESS  CCSHIM_ROLE_PREPROCESS
#define DEPS_ONLY   CCSHIM_ROLE_DEPS_ONLY
#define DEPS        CCSHIM_ROLE_DEPS
#define SHARED      CCSHIM_ROLE_SHARED
#define RELOCATABLE CCSHIM_ROLE_RELOCATABLE
#define SYNTAX_ONLY CCSHIM_ROLE_SYNTAX_ONLY
#define FAT_LTO     CCSHIM_ROLE_FAT_LTO
#define NO_FAT_LTO  CCSHIM_ROLE_NO_FAT_LTO
#define NO_LTO      CCSHIM_ROLE_NO_LTO
#define LINK_FILE   CCSHIM_ROLE_LINK_FILE
#define INFO        CCSHIM_ROLE_INFO

/*
 * GCC driver options that take a value, matter to a link, or choose what
 * the command does; strcmp order.  INFO rows (--version, -dumpmachine,
 * -print-*, ...) make GCC print and do nothing else, whatever else the
 * line holds.
 */
const struct ccshim_opt ccshim_gcc_options[] = {
	{ "-###", 0, INFO },
	{ "--coverage", 0, LINK },
	{ "--define-macro", SEP|EQ, NONE },
	{ "--entry", SEP|EQ, LINK },
	{ "--help", PRE, INFO },
	{ "--include", SEP|EQ, NONE },
	{ "--include-directory", SEP|EQ, NONE },
	{ "--language", SEP|EQ, LANGUAGE },
	{ "--library-directory", SEP|EQ, LIBDIR },
	{ "--output", SEP|EQ, OUTPUT },
	{ "--param", SEP|EQ, NONE },
	{ "--print-", PRE, INFO },
	{ "--specs", SEP|EQ, NONE },
	{ "--sysroot", SEP|EQ, NONE },
	{ "--target", SEP|EQ, NONE },
	{ "--target-help", 0, INFO },
	{ "--undefine-macro", SEP|EQ, NONE },
	{ "--version", 0, INFO },
	{ "-A", SEP|PRE, NONE },
	{ "-B", SEP|PRE, NONE },
	{ "-Bdynamic", 0, LINK },
	{ "-Bstatic", 0, LINK },
	{ "-Bsymbolic", 0, LINK },
	{ "-D", SEP|PRE, NONE },
	{ "-E", 0, PREPROCESS },
	{ "-I", SEP|PRE, NONE },
	{ "-L", SEP|PRE, LIBDIR },
	{ "-M", 0, DEPS_ONLY },
	{ "-MD", 0, DEPS },
	{ "-MF", SEP|PRE, DEPFILE },
	{ "-MM", 0, DEPS_ONLY },
	{ "-MMD", 0, DEPS },
	{ "-MQ", SEP|PRE, NONE },
	{ "-MT", SEP|PRE, NONE },
	{ "-S", 0, ASSEMBLY },
	{ "-T", SEP|PRE, LINK },
	{ "-U", SEP|PRE, NONE },
	{ "-Wl,", PRE, LINK },
	{ "-Xassembler", SEP, NONE },
	{ "-Xclang", SEP, NONE },
	{ "-Xlinker", SEP, LINK },
	{ "-Xpreprocessor", SEP, NONE },
	{ "-arch", SEP, NONE },
	{ "-aux-info", SEP, NONE },
	{ "-c", 0, COMPILE },
	{ "-dumpbase", SEP, NONE },
	{ "-dumpbase-ext", SEP, NONE },
	{ "-dumpdir", SEP, NONE },
	{ "-dumpfullversion", 0, INFO },
	{ "-dumpmachine", 0, INFO },
	{ "-dumpspecs", 0, INFO },
	{ "-dumpversion", 0, INFO },
	{ "-e", SEP|PRE, LINK },
	{ "-ffat-lto-objects", 0, FAT_LTO },
	{ "-flto", PRE, LTO },
	{ "-fno-fat-lto-objects", 0, NO_FAT_LTO },
	{ "-fno-lto", 0, NO_LTO },
	{ "-fopenmp", 0, LINK },
	{ "-fprofile-arcs", 0, LINK },
	{ "-fprofile-generate", PRE, LINK },
	{ "-fsanitize=", PRE, LINK },
	{ "-fsyntax-only", 0, SYNTAX_ONLY },
	{ "-fuse-ld=", PRE, LINK },
	{ "-idirafter", SEP|PRE, NONE },
	{ "-imacros", SEP|PRE, NONE },
	{ "-imultilib", SEP, NONE },
	{ "-include", SEP|PRE, NONE },
	{ "-iprefix", SEP|PRE, NONE },
	{ "-iquote", SEP|PRE, NONE },
	{ "-isysroot", SEP|PRE, NONE },
	{ "-isystem", SEP|PRE, NONE },
	{ "-iwithprefix", SEP|PRE, NONE },
	{ "-iwithprefixbefore", SEP|PRE, NONE },
	{ "-l", SEP|PRE, LIB },
	{ "-mllvm", SEP, NONE },
	{ "-no-pie", 0, LINK },
	{ "-nodefaultlibs", 0, LINK },
	{ "-nolibc", 0, LINK },
	{ "-nostartfiles", 0, LINK },
	{ "-nostdlib", 0, LINK },
	{ "-nostdlib++", 0, LINK },
	{ "-o", SEP|PRE, OUTPUT },
	{ "-pie", 0, LINK },
	{ "-print-", PRE, INFO },
	{ "-pthread", 0, LINK },
	{ "-r", 0, RELOCATABLE },
	{ "-rdynamic", 0, LINK },
	{ "-s", 0, LINK },
	{ "-shared", 0, SHARED },
	{ "-shared-libgcc", 0, LINK },
	{ "-specs=", PRE, NONE },
	{ "-static", 0, LINK },
	{ "-static-lib", PRE, LINK },
	{ "-static-pie", 0, LINK },
	{ "-target", SEP, NONE },
	{ "-u", SEP|PRE, LINK },
	{ "-wrapper", SEP, NONE },
	{ "-x", SEP|PRE, LANGUAGE },
	{ "-z", SEP|PRE, LINK },
};
const size_t ccshim_gcc_noptions = countof(ccshim_gcc_options);

/*
 * GNU ld options that take a value or choose what the link makes; every ld
 * option, in this table or not, is a link flag besides what its role says.
 * The GCC driver's -Wl, and -Xlinker items are looked up here too, for the
 * files they name (LINK_FILE).
 */
const struct ccshim_opt ccshim_ld_options[] = {
	{ "--Map", SEP|EQ, NONE },
	{ "--architecture", SEP|EQ, NONE },
	{ "--auxiliary", SEP|EQ, NONE },
	{ "--build-id", EQ, NONE },
	{ "--default-script", SEP|EQ, NONE },
	{ "--defsym", SEP|EQ, NONE },
	{ "--dependency-file", SEP|EQ, NONE },
	{ "--dynamic-linker", SEP|EQ, NONE },
	{ "--dynamic-list", SEP|EQ, LINK_FILE },
	{ "--entry", SEP|EQ, NONE },
	{ "--exclude-libs", SEP|EQ, NONE },
	{ "--filter", SEP|EQ, NONE },
	{ "--format", SEP|EQ, NONE },
	{ "--hash-style", EQ, NONE },
	{ "--help", 0, INFO },
	{ "--image-base", SEP|EQ, NONE },
	{ "--just-symbols", SEP|EQ, NONE },
	{ "--library", SEP|EQ, LIB },
	{ "--library-path", SEP|EQ, LIBDIR },
	{ "--mri-script", SEP|EQ, NONE },
	{ "--oformat", SEP|EQ, NONE },
	{ "--out-implib", SEP|EQ, NONE },
	{ "--output", SEP|EQ, OUTPUT },
	{ "--plugin", SEP|EQ, NONE },
	{ "--plugin-opt", SEP|EQ, NONE },
	{ "--relocatable", 0, RELOCATABLE },
	{ "--retain-symbols-file", SEP|EQ, NONE },
	{ "--rpath", SEP|EQ, NONE },
	{ "--rpath-link", SEP|EQ, NONE },
	{ "--script", SEP|EQ, NONE },
	{ "--section-start", SEP|EQ, NONE },
	{ "--shared", 0, SHARED },
	{ "--soname", SEP|EQ, NONE },
	{ "--sysroot", EQ, NONE },
	{ "--task-link", SEP|EQ, NONE },
	{ "--trace-symbol", SEP|EQ, NONE },
	{ "--undefined", SEP|EQ, NONE },
	{ "--version", 0, INFO },
	{ "--version-exports-section", SEP|EQ, NONE },
	{ "--version-script", SEP|EQ, LINK_FILE },
	{ "--wrap", SEP|EQ, NONE },
	{ "-A", SEP|PRE, NONE },
	{ "-Bshareable", 0, SHARED },
	{ "-F", SEP|PRE, NONE },
	{ "-G", SEP|PRE, NONE },
	{ "-L", SEP|PRE, LIBDIR },
	{ "-Map", SEP|EQ, NONE },
	{ "-P", SEP|PRE, NONE },
	{ "-R", SEP|PRE, NONE },
	{ "-T", SEP|PRE, NONE },
	{ "-Tbss", SEP, NONE },
	{ "-Tdata", SEP, NONE },
	{ "-Tldata-segment", SEP, NONE },
	{ "-Trodata-segment", SEP, NONE },
	{ "-Ttext", SEP, NONE },
	{ "-Ttext-segment", SEP, NONE },
	{ "-Ur", 0, RELOCATABLE },
	{ "-V", 0, INFO },
	{ "-Y", SEP|PRE, NONE },
	{ "-a", SEP, NONE },
	{ "-b", SEP|PRE, NONE },
	{ "-c", SEP|PRE, NONE },
	{ "-dT", SEP|EQ, NONE },
	{ "-dynamic-linker", SEP|EQ, NONE },
	{ "-dynamic-list", SEP|EQ, LINK_FILE },
	{ "-e", SEP|PRE, NONE },
	{ "-f", SEP|PRE, NONE },
	{ "-format", SEP|EQ, NONE },
	{ "-h", SEP|PRE, NONE },
	{ "-i", 0, RELOCATABLE },
	{ "-l", SEP|PRE, LIB },
	{ "-m", SEP|PRE, NONE },
	{ "-o", SEP|PRE, OUTPUT },
	{ "-plugin", SEP, NONE },
	{ "-plugin-opt", SEP|EQ, NONE },
	{ "-r", 0, RELOCATABLE },
	{ "-rpath", SEP|EQ, NONE },
	{ "-rpath-link", SEP|EQ, NONE },
	{ "-shared", 0, SHARED },
	{ "-soname", SEP|EQ, NONE },
	{ "-u", SEP|PRE, NONE },
	{ "-v", 0, INFO },
	{ "-version-script", SEP|EQ, LINK_FILE },
	{ "-y", SEP|PRE, NONE },
	{ "-z", SEP, NONE },
};
const size_t ccshim_ld_noptions = countof(ccshim_ld_options);

static int
cmp_opt(const void *key, const void *elem)
{
	return strcmp(key, ((const struct ccshim_opt *)elem)->name);
}

/*
 * Finds the option an argument is: an exact entry, "--name=value" for
 * EQUALS entries, or the longest PREFIX entry the argument starts with.
 * *glued is set when the value is inside the argument.
 */
const struct ccshim_opt *
ccshim__find_opt(const struct ccshim_opt *tab, size_t n, const char *arg, bool *glued)
{
	const struct ccshim_opt *o;
	const char *eq;
	size_t lo = 0, hi = n;

	*glued = false;
	o = bsearch(arg, tab, n, sizeof(*tab), cmp_opt);
	if (o)
		return o;
	eq = strchr(arg, '=');
	if (eq) {
		char name[64];
		size_t len = (size_t)(eq - arg);
		if (len < sizeof(name)) {
			memcpy(name, arg, len);
			name[len] = '\0';
			o = bsearch(name, tab, n, sizeof(*tab), cmp_opt);
			if (o && (o->flags & EQ)) {
				*glued = true;
				return o;
			}
		}
	}
	/* Entries that are prefixes of arg sort before it: walk back from
	 * the insertion point while entries share arg's first two bytes. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(tab[mid].name, arg) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0) {
		o = &tab[lo];
		if (strncmp(o->name, arg, 2) != 0)
			break;
		if ((o->flags & PRE) && util_starts_with(arg, o->name)) {
			*glued = true;
			return o;
		}
	}
	return NULL;
}

/* cmd_linkflags.c: `pyweld link-flags`, what a program linking a welded library needs. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: pyweld link-flags [--cflags] LIB\n"
	"\n"
	"Prints what a C program's link line needs to link LIB, an archive made by\n"
	"`pyweld build --library -o LIB`: LIB itself, the static archives of the\n"
	"libraries its extensions use, and the C library's.  With --cflags, prints\n"
	"the -I option for pyweld.h (written beside LIB) instead.\n"
	"\n"
	"    cc $(pyweld link-flags --cflags libapp.a) -c prog.c\n"
	"    cc -o prog prog.o $(pyweld link-flags libapp.a)\n";

int
cli_cmd_link_flags(int argc, char **argv)
{
	bool cflags = false;
	const char *lib = NULL;
	char *out = NULL, *abs;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--cflags")) {
			cflags = true;
		} else if (argv[i][0] == '-' || lib) {
			util_usage_error("'link-flags' takes --cflags and one archive, not '%s'",
			                 argv[i]);
		} else {
			lib = argv[i];
		}
	}
	if (!lib)
		util_usage_error("'link-flags' needs the archive (see 'pyweld link-flags --help')");
	if (access(lib, R_OK) < 0)
		util_fatal("cannot read '%s':", lib);
	abs = util_abspath(lib);
	if (cflags) {
		char *dir = util_dirname(abs);
		printf("-I%s\n", dir);
		free(dir);
		free(abs);
		return 0;
	}
	rc = util_run_capture((const char *const[]){ "ar", "p", abs, "pyweld-linkflags.txt", NULL },
	                      NULL, &out, NULL);
	if (rc != 0 || !out || !*out) {
		util_error("cannot read the link flags of '%s': not an archive made by "
		           "'pyweld build --library'", lib);
		free(out);
		free(abs);
		return 1;
	}
	fputs(out, stdout);
	free(out);
	free(abs);
	return 0;
}

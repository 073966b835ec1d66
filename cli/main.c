/* main.c: the pyweld front end: subcommand dispatch and top-level help. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const struct command {
	const char *name;
	cli_cmd_fn fn;
	const char *summary;
} commands[] = {
	{ "build", cli_cmd_build, "weld packages and CPython into one executable" },
	{ "init", cli_cmd_init, "write a project file (pyweld.ini) for pyweld build" },
	{ "link-flags", cli_cmd_link_flags, "what a C program needs to link a welded library" },
	{ "env", cli_cmd_env, "turn the wrapper compilers on for a build" },
	{ "db", cli_cmd_db, "read and maintain a link database" },
	{ "python", cli_cmd_python, "build and inspect the CPython distribution pyweld embeds" },
	{ "inspect", cli_cmd_inspect, "what is inside a welded binary (its manifest)" },
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: pyweld [--version] [--help] COMMAND [ARGS]\n"
	        "\n"
	        "pyweld welds a CPython interpreter, its standard library, an\n"
	        "application and every C extension it uses into one executable.\n"
	        "\n"
	        "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'pyweld COMMAND --help' explains each command.\n");
}

int
main(int argc, char **argv)
{
	util_set_progname("pyweld");
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			static char help[] = "--help";
			char *sub[] = { argv[2], help, NULL };
			for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
				if (!strcmp(commands[i].name, argv[2]))
					return commands[i].fn(2, sub);
		}
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pyweld %s\n", PYWELD_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, argv[1]))
			return commands[i].fn(argc - 1, argv + 1);
	util_error("unknown command '%s'", argv[1]);
	util_hint("see 'pyweld --help'");
	return 2;
}

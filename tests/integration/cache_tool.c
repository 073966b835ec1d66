/*
 * cache_tool: util's atomic write as a program, for
 * tests/integration/cache_hardening.py to watch under strace.
 *
 *   cache_tool write-atomic PATH TEXT     util_write_atomic(PATH, TEXT, 0644, sync)
 *
 * Exit status 0, or 1 with a message.
 */
#include <stdio.h>
#include <string.h>

#include "util.h"

int
main(int argc, char **argv)
{
	util_set_progname("cache_tool");
	if (argc == 4 && !strcmp(argv[1], "write-atomic")) {
		if (util_write_atomic(argv[2], argv[3], strlen(argv[3]), 0644, true) < 0)
			util_fatal("cannot write '%s':", argv[2]);
		return 0;
	}
	fputs("usage: cache_tool write-atomic PATH TEXT\n", stderr);
	return 2;
}

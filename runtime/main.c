/*
 * main.c: the main() of a welded application.
 *
 * `pyweld init` copies this file into your project and `pyweld build`
 * compiles it: edit it freely.  Add C code before or after Python runs,
 * answer some requests without starting Python at all, or register a
 * built-in module of your own with pyweld_register_module().  Everything
 * you can call is in pyweld.h.
 */
#include "pyweld.h"

int
main(int argc, char **argv)
{
	return pyweld_main(argc, argv);
}

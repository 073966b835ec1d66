/* main.c: a welded application's main(); the application is rt_app (inittab.c). */
#include "rt.h"

int
main(int argc, char **argv)
{
	return rt_main(argc, argv, &rt_app);
}

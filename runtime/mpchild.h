/*
 * mpchild.h: which command lines make an application binary act as
 * multiprocessing's child interpreter (mpchild.c).  Plain C, no Python:
 * decided before the interpreter starts.
 */
#ifndef PYWELD_MPCHILD_H
#define PYWELD_MPCHILD_H

enum rt_mp_child {
	RT_MP_NONE,             /* the application's own argv */
	RT_MP_SPAWN,            /* multiprocessing.spawn.spawn_main */
	RT_MP_FORKSERVER,       /* multiprocessing.forkserver.main */
	RT_MP_TRACKER,          /* multiprocessing.resource_tracker.main */
};

/*
 * Whether argv (argc entries, argv[0] the program) is exactly a command
 * line CPython 3.11's multiprocessing runs sys.executable with, and the
 * descriptors it names are the pipes and socket such a child is handed;
 * RT_MP_NONE for anything else.  Only reads argv and inspects those
 * descriptors (fstat, fcntl, getsockopt).
 */
enum rt_mp_child rt_mp_child(int argc, char *const *argv);

#endif

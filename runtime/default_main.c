/*
 * default_main.c: pyweld_main, the default main of a welded binary
 * (pyweld.h): start, run the entry point, finish; the process's status.
 *
 * pyweld_main runs the application's entry point with argv as the
 * application's own; the only command lines for which it acts as python
 * instead are multiprocessing's children (mpchild.c), and none when the
 * application was built with --no-multiprocessing-children.  A binary
 * welded without an entry point is python: Py_RunMain reads its command
 * line.
 */
#include "rt.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "mpchild.h"

/*
 * The opt-in fast exit (pyweld build --fast-exit), for an application's
 * entry point: what a program can observe of Py_FinalizeEx, in its order
 * (non-daemon threads joined through threading._shutdown, atexit functions
 * run, sys.stdout and sys.stderr flushed, a failed flush reported for stdout
 * and the status then 120), then the process ends with _exit.  What is skipped is
 * the teardown: modules cleared, every object freed, which is most of what
 * finalisation costs.  So objects' __del__ methods do not run at exit, and a
 * file the program never closed loses what its buffer holds, as after
 * os._exit (docs/weld.md).  GIL held.
 */
static void
fast_finish(int *status)
{
	/* Borrowed: threading only when the program imported it. */
	PyObject *threading = PyDict_GetItemString(PyImport_GetModuleDict(), "threading");
	PyObject *r;

	if (threading) {
		r = PyObject_CallMethod(threading, "_shutdown", NULL);
		if (!r)
			PyErr_WriteUnraisable(threading);
		Py_XDECREF(r);
	}
	PyObject *atexit = PyImport_ImportModule("atexit");
	r = atexit ? PyObject_CallMethod(atexit, "_run_exitfuncs", NULL) : NULL;
	if (!r)
		PyErr_WriteUnraisable(atexit);
	Py_XDECREF(r);
	Py_XDECREF(atexit);
	static const char *const names[] = { "stdout", "stderr" };
	for (size_t i = 0; i < 2; i++) {
		PyObject *f = PySys_GetObject(names[i]);        /* borrowed */
		if (!f || f == Py_None)
			continue;
		PyObject *closed = PyObject_GetAttrString(f, "closed");
		int is_closed = closed ? PyObject_IsTrue(closed) : -1;
		Py_XDECREF(closed);
		if (is_closed != 0) {
			PyErr_Clear();
			continue;
		}
		r = PyObject_CallMethod(f, "flush", NULL);
		if (!r) {
			if (i == 0)
				PyErr_WriteUnraisable(f);
			else
				PyErr_Clear();
			*status = 120;
		}
		Py_XDECREF(r);
	}
}

/* Dies of SIGINT after an uncaught KeyboardInterrupt, as python does. */
static int
exit_sigint(void)
{
	signal(SIGINT, SIG_DFL);
	kill(getpid(), SIGINT);
	return 130;
}

int
pyweld_main(int argc, char **argv)
{
	struct pyweld_config cfg;
	/* An application acts as python only for multiprocessing's own children
	 * (mpchild.c), and not at all when built without them. */
	int python_mode = rt_app.entry == RT_ENTRY_NONE ||
	                  (!rt_app.no_mp_children && rt_mp_child(argc, argv) != RT_MP_NONE);
	int status = 0, interrupted = 0;
	pyweld_status st;

	pyweld_config_init(&cfg);
	cfg.argc = argc;
	cfg.argv = argv;
	cfg.parse_argv = python_mode;
	st = rt_start(&cfg);
	if (st == PYWELD_ERR_EXIT)
		return rt_state.exit_code;      /* --help, --version, a bad option */
	if (st != PYWELD_OK) {
		fprintf(stderr, "%s: error: %s\n", argc > 0 ? argv[0] : "pyweld", pyweld_error());
		return 1;
	}
	if (python_mode) {
		int rc = Py_RunMain();
		rt_state.phase = RT_FINISHED;
		return rc;
	}

	/* The application's entry point, run as python runs a script: an
	 * uncaught exception prints (through sys.excepthook) and gives 1;
	 * SystemExit exits with its code (PyErr_Print does it). */
	PyObject *code = NULL, *main = NULL, *dict = NULL, *r = NULL;
	if (rt_app.entry == RT_ENTRY_MODULE) {
		PyObject *runpy = PyImport_ImportModule("runpy");
		r = runpy ? PyObject_CallMethod(runpy, "_run_module_as_main", "sO",
		                                rt_app.module, Py_False) : NULL;
		Py_XDECREF(runpy);
	} else {
		code = rt_entry_code(rt_app.module);
		main = code ? PyImport_AddModule("__main__") : NULL;
		dict = main ? PyModule_GetDict(main) : NULL;
		if (dict && rt_main_globals(dict, rt_app.module) == 0)
			r = PyEval_EvalCode(code, dict, dict);
		Py_XDECREF(code);
	}
	if (!r) {
		interrupted = PyErr_ExceptionMatches(PyExc_KeyboardInterrupt);
		PyErr_Print();
		status = 1;
	} else {
		Py_DECREF(r);
	}
	/* A failed flush of stdout at the end makes the status 120 whatever it
	 * was, as Py_RunMain does for `python app.py`. */
	if (rt_app.fast_exit)
		fast_finish(&status);
	else if (Py_FinalizeEx() < 0)
		status = 120;
	rt_state.phase = RT_FINISHED;
	if (interrupted)
		return exit_sigint();
	if (rt_app.fast_exit) {
		fflush(NULL);
		_exit(status);
	}
	return status;
}

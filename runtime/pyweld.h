/*
 * pyweld.h: a welded Python as a C library.
 *
 * Every welded binary is a C program: its main() (main.c, which `pyweld
 * init` writes into the project and `pyweld build` compiles) calls this
 * API, and so can an existing C program that links the archive made by
 * `pyweld build --library`.  The interpreter, the standard library, the
 * application's modules and every C extension are inside; nothing is read
 * from the file system.
 *
 *     #include "pyweld.h"
 *
 *     int main(int argc, char **argv)
 *     {
 *         struct pyweld_config cfg;
 *         char *out = NULL;
 *
 *         pyweld_config_init(&cfg);
 *         cfg.argc = argc;
 *         cfg.argv = argv;
 *         if (pyweld_start(&cfg) != PYWELD_OK ||
 *             pyweld_call_str("markupsafe.escape", "<b>", &out) != PYWELD_OK) {
 *             fprintf(stderr, "%s\n", pyweld_error());
 *             return 1;
 *         }
 *         puts(out);                      // &lt;b&gt;
 *         pyweld_free(out);
 *         return pyweld_finish(NULL) == PYWELD_OK ? 0 : 1;
 *     }
 *
 * Rules: one interpreter per process, started once (CPython cannot be
 * started again after it is finished).  Every function returns a status;
 * none exits the process or prints, except pyweld_main(), which is a whole
 * program, CPython's REPL (pyweld_run_entry without a command), and
 * pyweld_start with parse_argv = 1 and python's own -V, -h or a bad option,
 * which print what python prints and return PYWELD_ERR_EXIT.  After PYWELD_ERR_PYTHON, pyweld_error() has the exception with
 * its traceback; after PYWELD_ERR_EXIT (the code raised SystemExit),
 * pyweld_exit_code() has the status it asked for.  Calls may come from any
 * thread: each takes the interpreter's lock for its duration.
 */
#ifndef PYWELD_H
#define PYWELD_H

#ifdef __cplusplus
extern "C" {
#endif

struct _object;                 /* PyObject, for programs that include Python.h */

typedef enum pyweld_status {
	PYWELD_OK = 0,
	PYWELD_ERR_MISUSE,      /* called in the wrong state or with a bad argument */
	PYWELD_ERR_INIT,        /* the interpreter could not start (see pyweld_error) */
	PYWELD_ERR_PYTHON,      /* Python code raised an exception */
	PYWELD_ERR_EXIT,        /* Python code raised SystemExit: pyweld_exit_code() */
	PYWELD_ERR_NOMEM,
} pyweld_status;

struct pyweld_config {
	int argc;               /* sys.argv (argv[0] is the program); 0: just the program */
	char **argv;
	const char *argv0;      /* replaces sys.argv[0] when not NULL */
	int isolated;           /* 1 (default): PYTHON* variables ignored, like python -I;
	                         * 0: PYTHONPATH and the other variables are honoured */
	const char *const *path;        /* directories added to sys.path, NULL-terminated */
	int install_signal_handlers;    /* 1 (default): Ctrl-C raises KeyboardInterrupt */
	int parse_argv;         /* 1: read python's options (-c, -m, -X ...) from argv;
	                         * 0 (default): argv is the application's, as given */
};

/* Fills cfg with the defaults above. */
void pyweld_config_init(struct pyweld_config *cfg);

/*
 * Registers a built-in C module of the program's own ("myapp._native" may be
 * dotted), importable once the interpreter starts.  Before pyweld_start only.
 * With CPython 3.12 and later at most 32 of them may be dotted.
 */
pyweld_status pyweld_register_module(const char *name, struct _object *(*init)(void));

/* Starts the interpreter.  Once per process. */
pyweld_status pyweld_start(const struct pyweld_config *cfg);

/* Runs Python source in the module __main__. */
pyweld_status pyweld_run_code(const char *code);
/* Runs a module as __main__, like python -m. */
pyweld_status pyweld_run_module(const char *module);
/*
 * Runs what the binary was welded to run (--python-code, --script, -m); when
 * it was welded without an entry point, behaves like `python` with the
 * configured argv, which needs parse_argv = 1: -c, -m and a script run and
 * return a status like pyweld_run_code; with none of them, CPython's REPL
 * runs, finishes the interpreter at its end and may end the process (exit()).
 */
pyweld_status pyweld_run_entry(void);

/*
 * Calls a Python callable by its dotted path ("markupsafe.escape",
 * "json.dumps") with one str argument (NULL: no argument) and gives back
 * str() of the result as UTF-8 in *result, which the caller frees with
 * pyweld_free().
 */
pyweld_status pyweld_call_str(const char *callable, const char *arg, char **result);
/*
 * The same with Python objects, for programs that include Python.h: args is
 * a tuple (NULL: no arguments), kwargs a dict or NULL; *result is a new
 * reference.  Take the GIL (PyGILState_Ensure) around your own use of the
 * objects.
 */
pyweld_status pyweld_call(const char *callable, struct _object *args,
                          struct _object *kwargs, struct _object **result);

/* The message of the last failure in this thread ("" when none). */
const char *pyweld_error(void);
/* The status SystemExit asked for, after PYWELD_ERR_EXIT. */
int pyweld_exit_code(void);
/* Frees a string the library returned.  NULL is a no-op. */
void pyweld_free(void *p);

/*
 * Finishes: runs atexit handlers, flushes the standard streams, shuts the
 * interpreter down.  *exit_code (may be NULL) gets 0, or 120 when flushing
 * failed, as python reports it; read pyweld_exit_code() before finishing,
 * as finishing replaces it with this status.
 */
pyweld_status pyweld_finish(int *exit_code);

/*
 * The default main of a welded binary: start, run the entry point, finish;
 * returns the process exit status (an uncaught exception prints its
 * traceback and gives 1; SystemExit gives its code).
 */
int pyweld_main(int argc, char **argv);

/* The version of this library ("pyweld 0.1.0 on CPython 3.11.2"). */
const char *pyweld_version(void);

#ifdef __cplusplus
}
#endif

#endif

/*
 * start.c: starting CPython inside a welded binary.
 *
 * 1. The welded extensions join PyImport_Inittab before initialisation.
 * 2. The configuration of `python -I`: no PYTHON* variables, no user site, neither the
 *    current nor the script directory on sys.path; but signal handlers
 *    installed (the isolated preset turns them off, and then Ctrl-C raises
 *    nothing and SIGPIPE kills).  sys.path is the binary itself: the
 *    modules live in it (see docs/weld.md and docs/blob.md).  home is the binary too,
 *    which stops CPython's path calculation from reading a pyvenv.cfg or an
 *    "APP._pth" beside it or searching the directories above it for a
 *    standard library; sys.prefix names the binary, so no site-packages
 *    directory can exist under it.
 * 3. The site module is not run: it would read a pyvenv.cfg beside the
 *    binary and add that directory's site-packages, and import
 *    sitecustomize from sys.path.  What an application expects of it is
 *    set up by hand instead: exit(), quit(), help(), copyright, credits,
 *    license, and readline completion in the REPL (sys.flags.no_site is
 *    therefore 1).
 * 4. The module blob is checked before anything starts (a damaged binary
 *    says so and exits).  Core initialisation stops before the main phase;
 *    the in-memory importer (importer.c) goes first on sys.meta_path; then
 *    the main phase, so that everything from encodings on comes from
 *    memory.  Uncaught exceptions are printed through the traceback module,
 *    which finds the welded modules' source lines through the importer.
 * 5. Py_RunMain runs the application (or behaves like `python` when the
 *    weld has no entry point) and finalises.
 */
#include "rt.h"

#include <limits.h>
#if PYWELD_STATIC
#include <nss.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
fatal_status(PyConfig *config, PyStatus st)
{
	PyConfig_Clear(config);
	Py_ExitStatusException(st);
}

/*
 * multiprocessing starts sys.executable for its spawn and forkserver
 * children and its resource tracker; an application binary must then act as
 * the interpreter, not start the application again.
 */
static int
multiprocessing_child(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--multiprocessing-fork"))
			return 1;
	return argc >= 3 && !strcmp(argv[1], "-c") &&
	       !strncmp(argv[2], "from multiprocessing.", 21);
}

/* What `site` gives an interactive or scripted session, without its file
 * system search: the builtins exit/quit/help/copyright/credits/license and
 * readline completion for the REPL. */
static int
site_builtins(void)
{
	static const char *const calls[] = {
		"setquit", "setcopyright", "sethelper", "enablerlcompleter", NULL,
	};
	PyObject *site = PyImport_ImportModule("site");

	if (!site)
		return -1;
	for (size_t i = 0; calls[i]; i++) {
		PyObject *r = PyObject_CallMethod(site, calls[i], NULL);
		if (!r) {
			Py_DECREF(site);
			return -1;
		}
		Py_DECREF(r);
	}
	Py_DECREF(site);
	return 0;
}

/*
 * Uncaught exceptions through traceback.print_exception: CPython's own
 * printer opens source files by name, and the welded modules' sources are
 * not files; linecache asks the importer.  sys.__excepthook__ stays.
 */
static PyObject *
excepthook(PyObject *self, PyObject *args)
{
	PyObject *tb = PyImport_ImportModule("traceback"), *r = NULL;

	if (tb) {
		PyObject *f = PyObject_GetAttrString(tb, "print_exception");
		if (f)
			r = PyObject_Call(f, args, NULL);
		Py_XDECREF(f);
		Py_DECREF(tb);
	}
	if (!r) {
		/* Fall back to the interpreter's own printer. */
		PyErr_Clear();
		PyObject *hook = PySys_GetObject("__excepthook__");
		if (hook)
			r = PyObject_Call(hook, args, NULL);
	}
	return r;
}

static PyMethodDef excepthook_def = {
	"excepthook", excepthook, METH_VARARGS,
	"Print an uncaught exception with the source lines of welded modules.",
};

static int
set_excepthook(void)
{
	PyObject *f = PyCFunction_New(&excepthook_def, NULL);
	int rc = f ? PySys_SetObject("excepthook", f) : -1;

	Py_XDECREF(f);
	return rc;
}

/*
 * The application's code (--python-code, --script) runs as __main__
 * straight from the blob, as `python script.py` runs a script: no runpy.
 * An uncaught exception prints and exits 1; SystemExit exits with its code
 * (PyErr_Print does both, as for python -c).
 */
static int
run_code_entry(const struct rt_app *app)
{
	PyObject *code = rt_entry_code(app->module), *main, *dict, *r;
	int status = 0;

	if (!code) {
		PyErr_Print();
		return 1;
	}
	main = PyImport_AddModule("__main__");     /* borrowed */
	dict = main ? PyModule_GetDict(main) : NULL;
	if (!dict || rt_main_globals(dict, app->module) < 0) {
		Py_DECREF(code);
		PyErr_Print();
		return 1;
	}
	r = PyEval_EvalCode(code, dict, dict);
	Py_DECREF(code);
	if (!r) {
		PyErr_Print();          /* exits on SystemExit */
		status = 1;
	} else {
		Py_DECREF(r);
	}
	if (Py_FinalizeEx() < 0 && status == 0)
		status = 120;
	return status;
}

static PyStatus
set_path(PyConfig *config, const char *exe)
{
	wchar_t *w = Py_DecodeLocale(exe, NULL);
	PyStatus st;

	if (!w)
		return PyStatus_NoMemory();
	config->module_search_paths_set = 1;
	st = PyWideStringList_Append(&config->module_search_paths, w);
	if (!PyStatus_Exception(st))
		st = PyConfig_SetString(config, &config->executable, w);
	if (!PyStatus_Exception(st))
		st = PyConfig_SetString(config, &config->home, w);
	PyMem_RawFree(w);
	return st;
}

int
rt_main(int argc, char **argv, const struct rt_app *app)
{
	PyConfig config;
	PyStatus st;
	char exe[PATH_MAX];
	ssize_t n;
	int python_mode = app->entry == RT_ENTRY_NONE || multiprocessing_child(argc, argv);

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "%s: error: cannot find this program's own file\n", argv[0]);
		return 1;
	}
	exe[n] = '\0';
	{
		char err[512];
		if (rt_blob_open(app, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: error: the modules inside '%s' are damaged: %s\n",
			        argv[0], exe, err);
			fprintf(stderr, "hint: the file was cut short or altered; rebuild it "
			        "with pyweld build\n");
			return 1;
		}
	}
	if (PyImport_ExtendInittab(app->inittab) < 0 ||
	    PyImport_AppendInittab("_pyweld", rt_init_pyweld) < 0) {
		fprintf(stderr, "%s: error: out of memory\n", argv[0]);
		return 1;
	}

#if PYWELD_STATIC
	/*
	 * A static glibc cannot load NSS modules (systemd, sss, ...): pwd and grp
	 * lookups that reach one crash.  "files" is built in.
	 */
	__nss_configure_lookup("passwd", "files");
	__nss_configure_lookup("group", "files");
	__nss_configure_lookup("shadow", "files");
#endif
	/* `python -I`: the Python preset (locale configured, so a UTF-8 locale
	 * gives UTF-8 stdio and file names) made isolated. */
	PyConfig_InitPythonConfig(&config);
	config.isolated = 1;
	config.use_environment = 0;
	config.user_site_directory = 0;
	config.safe_path = 1;
	config.install_signal_handlers = 1;
	config.site_import = 0;
	config.parse_argv = python_mode;
	config._init_main = 0;
	st = PyConfig_SetBytesArgv(&config, argc, argv);
	if (PyStatus_Exception(st))
		fatal_status(&config, st);
	st = set_path(&config, exe);
	if (PyStatus_Exception(st))
		fatal_status(&config, st);
	if (!python_mode && app->entry == RT_ENTRY_MODULE) {
		char code[512];
		/* -m MODULE: runpy's module semantics (a package's __main__ too),
		 * without binding a name in __main__. */
		snprintf(code, sizeof(code),
		         "__import__('runpy')._run_module_as_main('%s', False)", app->module);
		st = PyConfig_SetBytesString(&config, &config.run_command, code);
		if (PyStatus_Exception(st))
			fatal_status(&config, st);
	}

	st = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(st))
		Py_ExitStatusException(st);

	/* Core is up; the importer goes in before the main phase imports anything. */
	if (rt_importer_install(app, exe) < 0) {
		PyErr_Print();
		fprintf(stderr, "%s: error: cannot install pyweld's importer\n", argv[0]);
		return 1;
	}

	st = _Py_InitializeMain();
	if (PyStatus_Exception(st))
		Py_ExitStatusException(st);
	if (site_builtins() < 0 || set_excepthook() < 0) {
		PyErr_Print();
		fprintf(stderr, "%s: error: cannot set up the builtins of site\n", argv[0]);
		return 1;
	}
	if (!python_mode && app->entry == RT_ENTRY_CODE)
		return run_code_entry(app);
	return Py_RunMain();
}

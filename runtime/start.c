/*
 * start.c: the interpreter's one life in the process: registering the
 * program's own modules, starting CPython inside a welded binary, and
 * finishing it (pyweld.h).
 *
 * Start-up, in order (rt_start):
 * 1. The binary's own path, which sys.executable, sys.path and __file__
 *    name, comes from selfpath.c (with or without /proc); the module blob
 *    is checked before anything starts (a damaged binary says so).  When
 *    the weld linked the view (fileview.c), paths under the binary read
 *    the blob from then on, CPython's own path calculation's included.
 * 2. The welded extensions (rt_app's table, inittab.c), _pyweld and the
 *    program's own registered modules join PyImport_Inittab.  A static
 *    binary configures NSS to "files" first: static glibc cannot load NSS
 *    modules, and pwd/grp lookups that reach one crash.
 * 3. python's command line is read when there is one (config.c), then core
 *    initialisation from the configuration of config.c, with site_import
 *    0: site never runs (site.c does what a session needs of it).
 * 4. Core initialisation stops before the main phase; the in-memory
 *    importer goes in (install.c); then the main phase, so that everything
 *    from encodings on comes from memory.
 * 5. After it: frozen modules' __file__, the binary's path hook first,
 *    site's builtins (site.c), the excepthook (excepthook.c), and what
 *    start-up made is frozen out of the collector's sight, all but
 *    __main__, made anew.
 *
 * rt_state moves only forward, RT_NEW to RT_STARTED to RT_FINISHED: CPython
 * cannot start again in a process once finished.
 */
#include "rt.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#if PYWELD_STATIC
#include <nss.h>
#endif

#include "selfpath.h"

struct rt_state rt_state = { .phase = RT_NEW, .want_site = 1 };

static struct user_module {
	char *name;
	PyObject *(*init)(void);
} *user_modules;
static size_t nuser_modules;
static struct _inittab *user_tab;

/*
 * A dotted module of the program's own runs its init with its package
 * context (rt_init_in_package says why), through one of these: the
 * inittab holds plain functions, so each dotted registration gets a
 * function of its own, the kth taking user_modules[dotted_user[k]].
 * From 3.12 on only; 3.11's context is set by the runtime's finder.
 */
#if PY_VERSION_HEX >= 0x030C0000
#define NTRAMPOLINES 32
static size_t dotted_user[NTRAMPOLINES], ndotted_user;
#define TRAMPOLINE(k) \
	static PyObject *in_package_##k(void) \
	{ \
		return rt_init_in_package(user_modules[dotted_user[k]].init, \
		                          user_modules[dotted_user[k]].name); \
	}
TRAMPOLINE(0) TRAMPOLINE(1) TRAMPOLINE(2) TRAMPOLINE(3) TRAMPOLINE(4) TRAMPOLINE(5)
TRAMPOLINE(6) TRAMPOLINE(7) TRAMPOLINE(8) TRAMPOLINE(9) TRAMPOLINE(10) TRAMPOLINE(11)
TRAMPOLINE(12) TRAMPOLINE(13) TRAMPOLINE(14) TRAMPOLINE(15) TRAMPOLINE(16) TRAMPOLINE(17)
TRAMPOLINE(18) TRAMPOLINE(19) TRAMPOLINE(20) TRAMPOLINE(21) TRAMPOLINE(22) TRAMPOLINE(23)
TRAMPOLINE(24) TRAMPOLINE(25) TRAMPOLINE(26) TRAMPOLINE(27) TRAMPOLINE(28) TRAMPOLINE(29)
TRAMPOLINE(30) TRAMPOLINE(31)
static PyObject *(*const trampolines[NTRAMPOLINES])(void) = {
	in_package_0, in_package_1, in_package_2, in_package_3, in_package_4, in_package_5,
	in_package_6, in_package_7, in_package_8, in_package_9, in_package_10, in_package_11,
	in_package_12, in_package_13, in_package_14, in_package_15, in_package_16,
	in_package_17, in_package_18, in_package_19, in_package_20, in_package_21,
	in_package_22, in_package_23, in_package_24, in_package_25, in_package_26,
	in_package_27, in_package_28, in_package_29, in_package_30, in_package_31,
};
#endif

pyweld_status
pyweld_register_module(const char *name, PyObject *(*init)(void))
{
	struct user_module *m;

	if (!name || !*name || !init)
		return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_register_module: a name and an "
		                    "init function are needed");
	if (rt_state.phase != RT_NEW)
		return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_register_module('%s'): the "
		                    "interpreter has started; register modules before "
		                    "pyweld_start", name);
#if PY_VERSION_HEX >= 0x030C0000
	if (strchr(name, '.') && ndotted_user == NTRAMPOLINES)
		return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_register_module('%s'): at most %d "
		                    "dotted modules can be registered", name, NTRAMPOLINES);
#endif
	m = realloc(user_modules, (nuser_modules + 1) * sizeof(*m));
	if (!m)
		return rt_set_error(PYWELD_ERR_NOMEM, "out of memory");
	user_modules = m;
	m[nuser_modules].name = strdup(name);
	m[nuser_modules].init = init;
	if (!m[nuser_modules].name)
		return rt_set_error(PYWELD_ERR_NOMEM, "out of memory");
#if PY_VERSION_HEX >= 0x030C0000
	if (strchr(name, '.'))
		dotted_user[ndotted_user++] = nuser_modules;
#endif
	nuser_modules++;
	return PYWELD_OK;
}

/* Step 1: the binary's own path (kept for the process) and its blob. */
static pyweld_status
check_binary(void)
{
	char err[512];
	static char why[3 * PATH_MAX];

	if (!rt_state.exe &&
	    !(rt_state.exe = rt_self_path("/proc/self/exe", (const char *)getauxval(AT_EXECFN),
	                                  why, sizeof(why))))
		return rt_set_error(PYWELD_ERR_INIT, "%s", why);
	if (rt_blob_open(&rt_app, err, sizeof(err)) < 0)
		return rt_set_error(PYWELD_ERR_INIT, "the modules inside '%s' are damaged: %s "
		                    "(the file was cut short or altered; rebuild it with pyweld "
		                    "build)", rt_state.exe, err);
	if (rt_fileview_start && !rt_fileview_on() &&
	    rt_fileview_start(rt_state.exe, &rt_imp.blob) < 0)
		return rt_set_error(PYWELD_ERR_INIT, "cannot make the files inside '%s' readable "
		                    "by path: %s", rt_state.exe, strerror(errno));
	return PYWELD_OK;
}

/* Step 2: the built-in modules, before the interpreter exists. */
static pyweld_status
join_inittab(void)
{
	if (nuser_modules) {
		user_tab = calloc(nuser_modules + 1, sizeof(*user_tab));
		if (!user_tab)
			return rt_set_error(PYWELD_ERR_NOMEM, "out of memory");
		for (size_t i = 0; i < nuser_modules; i++) {
			user_tab[i].name = user_modules[i].name;
			user_tab[i].initfunc = user_modules[i].init;
		}
#if PY_VERSION_HEX >= 0x030C0000
		for (size_t k = 0; k < ndotted_user; k++)
			user_tab[dotted_user[k]].initfunc = trampolines[k];
#endif
		rt_add_dotted(user_tab);
	}
	if (PyImport_ExtendInittab(rt_app.inittab) < 0 ||
	    PyImport_AppendInittab("_pyweld", rt_init_pyweld) < 0 ||
	    (user_tab && PyImport_ExtendInittab(user_tab) < 0))
		return rt_set_error(PYWELD_ERR_NOMEM, "out of memory");
#if PYWELD_STATIC
	__nss_configure_lookup("passwd", "files");
	__nss_configure_lookup("group", "files");
	__nss_configure_lookup("shadow", "files");
#endif
	return PYWELD_OK;
}

/* Step 3: core initialisation; the interpreter then exists (RT_STARTED),
 * or python's -V, -h or a bad option ended it (RT_FINISHED). */
static pyweld_status
init_core(const struct pyweld_config *cfg)
{
	PyConfig config;
	PyStatus st;

	PyConfig_InitPythonConfig(&config);     /* cleared below whatever happens */
	st = rt_read_command_line(cfg);
	if (!PyStatus_Exception(st)) {
		PyConfig_Clear(&config);
		st = rt_configure(&config, cfg);
	}
	if (!PyStatus_Exception(st)) {
		config.site_import = 0;
		if (rt_state.banner)
			config.quiet = 1;
	}
	if (!PyStatus_Exception(st))
		st = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(st)) {
		if (PyStatus_IsExit(st)) {
			rt_state.exit_code = st.exitcode;
			rt_state.phase = RT_FINISHED;
			return rt_set_error(PYWELD_ERR_EXIT, "the interpreter exited while starting "
			                    "(status %d)", st.exitcode);
		}
		return rt_set_error(PYWELD_ERR_INIT, "cannot start the interpreter: %s%s%s",
		                    st.func ? st.func : "", st.func ? ": " : "",
		                    st.err_msg ? st.err_msg : "unknown error");
	}
	rt_state.phase = RT_STARTED;
	return PYWELD_OK;
}

/* Step 4: the importer in, then the main phase. */
static pyweld_status
init_main(void)
{
	PyStatus st;

	if (rt_importer_install(&rt_app, rt_state.exe) < 0)
		return rt_from_exception() == PYWELD_ERR_PYTHON
		       ? rt_set_error(PYWELD_ERR_INIT, "cannot install pyweld's importer: %s",
		                      pyweld_error())
		       : PYWELD_ERR_INIT;
	st = _Py_InitializeMain();
	if (PyStatus_Exception(st) && rt_blob_damaged())
		return rt_set_error(PYWELD_ERR_INIT, "the modules inside '%s' are damaged: %s "
		                    "fails its checksum (the file was altered; rebuild it with "
		                    "pyweld build)", rt_state.exe, rt_blob_damaged());
	if (PyStatus_Exception(st))
		return rt_set_error(PYWELD_ERR_INIT, "cannot start the interpreter: %s%s%s",
		                    st.func ? st.func : "", st.func ? ": " : "",
		                    st.err_msg ? st.err_msg : "unknown error");
	return PYWELD_OK;
}

/*
 * A __main__ made after the freeze: its namespace copied from the one start-up
 * made, which goes.  The program's own globals then live in a dict the
 * collector sees, so at exit it is collected as in python and their
 * __del__ methods run; in the frozen one they never did.
 */
static int
fresh_main(void)
{
	PyObject *modules = PyImport_GetModuleDict();            /* borrowed */
	PyObject *old = PyDict_GetItemString(modules, "__main__"); /* borrowed */
	PyObject *mod;
	int rc = -1;

	if (!old)
		return 0;
	mod = PyModule_New("__main__");
	if (mod && PyDict_Update(PyModule_GetDict(mod), PyModule_GetDict(old)) == 0 &&
	    PyDict_SetItemString(modules, "__main__", mod) == 0)
		rc = 0;
	Py_XDECREF(mod);
	return rc;
}

/* Step 5: what the main phase undid or left out; the REPL's banner. */
static pyweld_status
finish_start(const struct pyweld_config *cfg)
{
	if (rt_frozen_files() < 0 || rt_path_hook_first() < 0 || rt_site_names(cfg) < 0 ||
	    rt_set_excepthook() < 0 || rt_pruned_codecs() < 0) {
		rt_from_exception();
		return rt_set_error(PYWELD_ERR_INIT, "cannot finish start-up (frozen modules, "
		                    "path hooks, site's builtins, excepthook): %s", pyweld_error());
	}
	/*
	 * What start-up made lives until the end: moved out of the collector's
	 * sight (gc.freeze), neither the application's collections nor the
	 * final ones at exit walk it again.  Except __main__ (fresh_main).
	 */
	{
		PyObject *gc = PyImport_ImportModule("gc");
		PyObject *r = gc ? PyObject_CallMethod(gc, "freeze", NULL) : NULL;
		Py_XDECREF(gc);
		if (r && fresh_main() < 0)
			Py_CLEAR(r);
		if (!r) {
			rt_from_exception();
			return rt_set_error(PYWELD_ERR_INIT, "cannot freeze start-up objects: %s",
			                    pyweld_error());
		}
		Py_DECREF(r);
	}
	if (rt_state.banner)
		fprintf(stderr, "Python %s on %s\n%s\n", Py_GetVersion(), Py_GetPlatform(),
		        rt_state.want_site ? "Type \"help\", \"copyright\", \"credits\" or "
		                             "\"license\" for more information." : "");
	return PYWELD_OK;
}

pyweld_status
rt_start(const struct pyweld_config *cfg)
{
	pyweld_status st;

	if (!cfg)
		return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_start: no configuration (NULL)");
	if (rt_state.phase == RT_STARTED)
		return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_start: the interpreter is already "
		                    "running");
	if (rt_state.phase == RT_FINISHED)
		return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_start: the interpreter was "
		                    "finished, and CPython cannot start again in one process");
	if ((st = check_binary()) != PYWELD_OK || (st = join_inittab()) != PYWELD_OK ||
	    (st = init_core(cfg)) != PYWELD_OK || (st = init_main()) != PYWELD_OK)
		return st;
	return finish_start(cfg);
}

pyweld_status
pyweld_start(const struct pyweld_config *cfg)
{
	pyweld_status st = rt_start(cfg);

	if (st != PYWELD_OK)
		return st;
	/* Release the GIL: every call takes it for its own duration. */
	rt_state.saved = PyEval_SaveThread();
	return PYWELD_OK;
}

pyweld_status
pyweld_finish(int *code)
{
	if (rt_state.phase == RT_NEW)
		return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_finish: the interpreter was never "
		                    "started");
	if (rt_state.phase == RT_FINISHED) {
		if (!rt_state.finish_pending)
			return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_finish: already finished");
		rt_state.finish_pending = 0;    /* pyweld_run_entry ran python to its end */
		if (code)
			*code = rt_state.finished_code;
		return PYWELD_OK;
	}
	if (rt_state.saved)
		PyEval_RestoreThread(rt_state.saved);
	rt_state.saved = NULL;
	rt_state.finished_code = Py_FinalizeEx() < 0 ? 120 : 0;
	rt_state.phase = RT_FINISHED;
	rt_state.exit_code = rt_state.finished_code;
	if (code)
		*code = rt_state.finished_code;
	return PYWELD_OK;
}

const char *
pyweld_version(void)
{
	static char v[64];

#ifndef PYWELD_VERSION
#define PYWELD_VERSION "?"
#endif
	snprintf(v, sizeof(v), "pyweld %s on CPython %s", PYWELD_VERSION, PY_VERSION);
	return v;
}

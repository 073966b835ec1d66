/*
 * lib.c: starting and driving CPython inside a welded binary (pyweld.h).
 *
 * Start-up:
 * 1. The welded extensions (rt_app's table, inittab.c), _pyweld and the
 *    program's own registered modules join PyImport_Inittab first.
 * 2. The configuration of `python -I` (isolated: no PYTHON* variables, no
 *    user site, neither the current nor the script directory on sys.path),
 *    with signal handlers installed.  sys.path is the binary itself: the
 *    modules live in it (docs/blob.md).  home is the binary too, which stops
 *    CPython's path calculation from reading a pyvenv.cfg or an "APP._pth"
 *    beside it or searching the directories above it; sys.prefix names the
 *    binary, so no site-packages directory can exist under it.
 * 3. The site module is not run: it would read a pyvenv.cfg beside the
 *    binary, add that directory's site-packages and import sitecustomize.
 *    What an application expects of it is set up by hand: exit(), quit(),
 *    help(), copyright, credits, license, REPL completion (so
 *    sys.flags.no_site is 1).
 * 4. The module blob is checked before anything starts (a damaged binary
 *    says so).  Core initialisation stops before the main phase; the
 *    in-memory importer goes in (importer.c); then the main phase, so that
 *    everything from encodings on comes from memory.  Uncaught exceptions
 *    print through the traceback module, which finds the welded sources.
 * 5. A static binary configures NSS to "files" first: static glibc cannot
 *    load NSS modules, and pwd/grp lookups that reach one crash.
 * 6. The binary's own path, which sys.executable, sys.path and __file__
 *    name, comes from selfpath.c (with or without /proc).
 *
 * pyweld_main runs the application's entry point with argv as the
 * application's own; the only command lines for which it acts as python
 * instead are multiprocessing's children (mpchild.c), and none when the
 * application was built with --no-multiprocessing-children.
 */
#include "rt.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#if PYWELD_STATIC
#include <nss.h>
#endif

#include "mpchild.h"
#include "pyweld.h"
#include "selfpath.h"

enum state { S_NEW, S_STARTED, S_FINISHED };

static enum state state = S_NEW;
static PyThreadState *saved;            /* the main thread's state while released */
static int exit_code;                   /* SystemExit's, or the finish's */
static int finished_code;               /* what Py_RunMain returned, if it ran */
static int finish_pending;              /* run_entry finished it: finish reports */
static char *exe;                       /* this program's path (selfpath.c) */
static _Thread_local char *last_error;
static int want_site = 1;               /* not -S: exit(), help() ... are set up */
static char *argv_command, *argv_module, *argv_file; /* python's -c, -m, script
                                                      (malloc'd) */
static int banner;                      /* the REPL's header is printed by us */
static int interactive;                 /* a REPL will run (-i, or a terminal) */

static struct user_module {
	char *name;
	PyObject *(*init)(void);
} *user_modules;
static size_t nuser_modules;
static struct _inittab *user_tab;

/* --- errors ---------------------------------------------------------------- */

static pyweld_status
set_error(pyweld_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static pyweld_status
set_error(pyweld_status st, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	free(last_error);
	last_error = msg;
	return st;
}

const char *
pyweld_error(void)
{
	return last_error ? last_error : "";
}

int
pyweld_exit_code(void)
{
	return exit_code;
}

void
pyweld_free(void *p)
{
	free(p);
}

/*
 * Turns the pending Python exception into a status and a message (with its
 * traceback); SystemExit becomes PYWELD_ERR_EXIT with its code.  GIL held.
 */
static pyweld_status
from_exception(void)
{
	PyObject *type, *value, *tb, *text = NULL;

	if (PyErr_ExceptionMatches(PyExc_SystemExit)) {
		PyErr_Fetch(&type, &value, &tb);
		PyErr_NormalizeException(&type, &value, &tb);
		PyObject *code = value ? PyObject_GetAttrString(value, "code") : NULL;
		PyObject *text = NULL;
		if (!code || code == Py_None) {
			exit_code = 0;
		} else if (PyLong_Check(code)) {
			exit_code = (int)PyLong_AsLong(code);
		} else {
			/* SystemExit("message"): python prints it and exits 1. */
			exit_code = 1;
			text = PyObject_Str(code);
		}
		const char *msg = text ? PyUnicode_AsUTF8(text) : NULL;
		PyErr_Clear();
		if (msg)
			set_error(PYWELD_ERR_EXIT, "SystemExit: %s", msg);
		else
			set_error(PYWELD_ERR_EXIT, "SystemExit: %d", exit_code);
		Py_XDECREF(text);
		Py_XDECREF(code);
		Py_XDECREF(type);
		Py_XDECREF(value);
		Py_XDECREF(tb);
		return PYWELD_ERR_EXIT;
	}
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	if (tb && value)
		PyException_SetTraceback(value, tb);
	PyObject *mod = PyImport_ImportModule("traceback");
	if (mod && value) {
		PyObject *lines = PyObject_CallMethod(mod, "format_exception", "O", value);
		PyObject *empty = PyUnicode_FromString("");
		if (lines && empty)
			text = PyUnicode_Join(empty, lines);
		Py_XDECREF(lines);
		Py_XDECREF(empty);
	}
	if (!text) {
		PyErr_Clear();
		text = value ? PyObject_Str(value) : PyUnicode_FromString("unknown error");
	}
	const char *s = text ? PyUnicode_AsUTF8(text) : NULL;
	set_error(PYWELD_ERR_PYTHON, "%s", s ? s : "an exception that cannot be shown");
	PyErr_Clear();
	Py_XDECREF(text);
	Py_XDECREF(mod);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
	return PYWELD_ERR_PYTHON;
}

/* --- configuration ----------------------------------------------------------- */

void
pyweld_config_init(struct pyweld_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->isolated = 1;
	cfg->install_signal_handlers = 1;
}

pyweld_status
pyweld_register_module(const char *name, PyObject *(*init)(void))
{
	struct user_module *m;

	if (!name || !*name || !init)
		return set_error(PYWELD_ERR_MISUSE, "pyweld_register_module: a name and an "
		                 "init function are needed");
	if (state != S_NEW)
		return set_error(PYWELD_ERR_MISUSE, "pyweld_register_module('%s'): the "
		                 "interpreter has started; register modules before "
		                 "pyweld_start", name);
	m = realloc(user_modules, (nuser_modules + 1) * sizeof(*m));
	if (!m)
		return set_error(PYWELD_ERR_NOMEM, "out of memory");
	user_modules = m;
	m[nuser_modules].name = strdup(name);
	m[nuser_modules].init = init;
	if (!m[nuser_modules].name)
		return set_error(PYWELD_ERR_NOMEM, "out of memory");
	nuser_modules++;
	return PYWELD_OK;
}

/* One of site's printers (copyright, credits, license) without its
 * __init__, which imports os only to look for LICENSE files the binary does
 * not have. */
static int
set_printer(PyObject *builtins, PyObject *cls, const char *name, const char *data)
{
	PyObject *new_ = PyObject_GetAttrString(cls, "__new__");
	PyObject *obj = new_ ? PyObject_CallOneArg(new_, cls) : NULL;
	PyObject *empty = obj ? PyList_New(0) : NULL;
	int rc = -1;

	if (empty &&
	    PyObject_GenericSetAttr(obj, PyUnicode_InternFromString("_Printer__name"),
	                            PyUnicode_FromString(name)) == 0 &&
	    PyObject_SetAttrString(obj, "_Printer__data", PyUnicode_FromString(data)) == 0 &&
	    PyObject_SetAttrString(obj, "_Printer__lines", Py_None) == 0 &&
	    PyObject_SetAttrString(obj, "_Printer__filenames", empty) == 0 &&
	    PyObject_SetAttrString(builtins, name, obj) == 0)
		rc = 0;
	Py_XDECREF(empty);
	Py_XDECREF(obj);
	Py_XDECREF(new_);
	return rc;
}

/*
 * What `site` gives a session, without its file system search and without
 * importing os (which an application may never need): exit(), quit(),
 * help(), copyright, credits, license from _sitebuiltins; in the REPL also
 * readline completion and history (site's enablerlcompleter).
 */
static int
site_builtins(int interactive)
{
	PyObject *sb = PyImport_ImportModule("_sitebuiltins");
	PyObject *builtins = PyImport_ImportModule("builtins");
	PyObject *quitter = NULL, *helper = NULL, *printer = NULL, *o;
	int rc = -1;

	if (!sb || !builtins)
		goto out;
	quitter = PyObject_GetAttrString(sb, "Quitter");
	helper = PyObject_GetAttrString(sb, "_Helper");
	printer = PyObject_GetAttrString(sb, "_Printer");
	if (!quitter || !helper || !printer)
		goto out;
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "exit" : "quit";
		o = PyObject_CallFunction(quitter, "ss", name, "Ctrl-D (i.e. EOF)");
		if (!o || PyObject_SetAttrString(builtins, name, o) < 0) {
			Py_XDECREF(o);
			goto out;
		}
		Py_DECREF(o);
	}
	o = PyObject_CallNoArgs(helper);
	if (!o || PyObject_SetAttrString(builtins, "help", o) < 0) {
		Py_XDECREF(o);
		goto out;
	}
	Py_DECREF(o);
	if (set_printer(builtins, printer, "copyright", Py_GetCopyright()) < 0 ||
	    set_printer(builtins, printer, "credits",
	                "    Thanks to CWI, CNRI, BeOpen.com, Zope Corporation and a cast of "
	                "thousands\n    for supporting Python development.  See "
	                "www.python.org for more information.") < 0 ||
	    set_printer(builtins, printer, "license",
	                "See https://www.python.org/psf/license/") < 0)
		goto out;
	if (interactive) {
		PyObject *site = PyImport_ImportModule("site");
		PyObject *r = site ? PyObject_CallMethod(site, "enablerlcompleter", NULL) : NULL;
		Py_XDECREF(site);
		if (!r)
			goto out;
		Py_DECREF(r);
	}
	rc = 0;
out:
	Py_XDECREF(quitter);
	Py_XDECREF(helper);
	Py_XDECREF(printer);
	Py_XDECREF(sb);
	Py_XDECREF(builtins);
	return rc;
}

/*
 * For an application (no command line of python's to read: an entry point,
 * a library's host) the six names are placeholders until one is used: the
 * first call, repr or attribute of any of them runs site_builtins(0),
 * which puts the real objects in builtins, and is answered by the real
 * one.  Importing _sitebuiltins and making its three classes cost 0.4 M
 * instructions, 3% of a start, that a program which never calls exit() or
 * help() need not pay.  A reference taken before (e = exit) keeps working;
 * type(exit) is the placeholder's until then.  In python mode (-c, -m, a
 * script, the REPL) they are made at start, as site makes them.
 */
typedef struct {
	PyObject_HEAD
	PyObject *name;
	PyObject *real;         /* site's object, once made */
} LazyBuiltin;

static PyTypeObject LazyBuiltinType;

/* site's object for this name: made (all six at once) the first time any
 * placeholder is used, and kept, so that a reference taken before (e =
 * exit) does not make them again at every call. */
static PyObject *
lazy_resolve(LazyBuiltin *self)
{
	PyObject *builtins = PyEval_GetBuiltins(), *real;

	if (self->real)
		return Py_NewRef(self->real);
	real = builtins ? PyDict_GetItemWithError(builtins, self->name) : NULL;
	if ((!real || Py_IS_TYPE(real, &LazyBuiltinType)) && !PyErr_Occurred()) {
		if (site_builtins(0) < 0)
			return NULL;
		real = PyDict_GetItemWithError(builtins, self->name);
	}
	if (!real && !PyErr_Occurred())
		PyErr_Format(PyExc_NameError, "name '%U' is not defined", self->name);
	if (!real)
		return NULL;
	self->real = Py_NewRef(real);
	return Py_NewRef(real);
}

static PyObject *
lazy_call(PyObject *self, PyObject *args, PyObject *kw)
{
	PyObject *real = lazy_resolve((LazyBuiltin *)self), *r;

	if (!real)
		return NULL;
	r = PyObject_Call(real, args, kw);
	Py_DECREF(real);
	return r;
}

static PyObject *
lazy_repr(PyObject *self)
{
	PyObject *real = lazy_resolve((LazyBuiltin *)self), *r;

	if (!real)
		return NULL;
	r = PyObject_Repr(real);
	Py_DECREF(real);
	return r;
}

static PyObject *
lazy_getattro(PyObject *self, PyObject *attr)
{
	PyObject *real = lazy_resolve((LazyBuiltin *)self), *r;

	if (!real)
		return NULL;
	r = PyObject_GetAttr(real, attr);
	Py_DECREF(real);
	return r;
}

static void
lazy_dealloc(PyObject *self)
{
	Py_XDECREF(((LazyBuiltin *)self)->name);
	Py_XDECREF(((LazyBuiltin *)self)->real);
	Py_TYPE(self)->tp_free(self);
}

static PyTypeObject LazyBuiltinType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "_pyweld.site_builtin",
	.tp_basicsize = sizeof(LazyBuiltin),
	.tp_dealloc = lazy_dealloc,
	.tp_repr = lazy_repr,
	.tp_call = lazy_call,
	.tp_getattro = lazy_getattro,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "exit, quit, help, copyright, credits or license until first used",
};

static int
lazy_site_builtins(void)
{
	static const char *const names[] = {
		"exit", "quit", "help", "copyright", "credits", "license", NULL,
	};
	PyObject *builtins = PyEval_GetBuiltins();

	if (!builtins || PyType_Ready(&LazyBuiltinType) < 0)
		return -1;
	for (const char *const *n = names; *n; n++) {
		LazyBuiltin *o = PyObject_New(LazyBuiltin, &LazyBuiltinType);
		int rc = -1;
		if (o)
			o->real = NULL;
		if (o && (o->name = PyUnicode_InternFromString(*n)))
			rc = PyDict_SetItem(builtins, o->name, (PyObject *)o);
		Py_XDECREF(o);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* site's builtins unless -S: made now in python mode, on first use otherwise. */
static int
site_names(const struct pyweld_config *cfg)
{
	if (!want_site)
		return 0;
	return cfg->parse_argv ? site_builtins(banner || interactive) : lazy_site_builtins();
}

/*
 * Uncaught exceptions through traceback.print_exception: CPython's own
 * printer opens source files by name, and the welded sources are not files;
 * linecache asks the importer.  sys.__excepthook__ stays as it was.
 */
/* CPython's record that an uncaught KeyboardInterrupt ends the program (it
 * then dies of SIGINT): running any code, as importing traceback does,
 * resets it. */
extern int _Py_UnhandledKeyboardInterrupt;

static PyObject *
excepthook(PyObject *self, PyObject *args)
{
	int interrupted = _Py_UnhandledKeyboardInterrupt;
	PyObject *tb = PyImport_ImportModule("traceback"), *r = NULL;

	if (tb) {
		PyObject *f = PyObject_GetAttrString(tb, "print_exception");
		if (f)
			r = PyObject_Call(f, args, NULL);
		Py_XDECREF(f);
		Py_DECREF(tb);
	}
	if (!r) {
		PyErr_Clear();
		PyObject *hook = PySys_GetObject("__excepthook__");
		if (hook)
			r = PyObject_Call(hook, args, NULL);
	}
	_Py_UnhandledKeyboardInterrupt = interrupted;
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

static PyStatus
append_path(PyConfig *config, const char *path)
{
	wchar_t *w = Py_DecodeLocale(path, NULL);
	PyStatus st;

	if (!w)
		return PyStatus_NoMemory();
	st = PyWideStringList_Append(&config->module_search_paths, w);
	PyMem_RawFree(w);
	return st;
}

/* A wide argument in the locale's encoding, malloc'd (Py_EncodeLocale's
 * copy is PyMem_Malloc'd, which free() at the next start must not see). */
static char *
encode_arg(const wchar_t *w)
{
	char *t = w ? Py_EncodeLocale(w, NULL) : NULL, *r = t ? strdup(t) : NULL;

	PyMem_Free(t);
	return r;
}

static PyStatus
configure(PyConfig *config, const struct pyweld_config *cfg)
{
	PyStatus st;
	wchar_t *w;

	PyConfig_InitPythonConfig(config);
	if (cfg->isolated) {
		config->isolated = 1;
		config->use_environment = 0;
		config->user_site_directory = 0;
		config->safe_path = 1;
	}
	config->install_signal_handlers = cfg->install_signal_handlers;
	config->parse_argv = cfg->parse_argv;
	config->_init_main = 0;

	if (cfg->argc > 0 && cfg->argv) {
		if (cfg->argv0) {
			char **copy = calloc((size_t)cfg->argc + 1, sizeof(char *));
			if (!copy)
				return PyStatus_NoMemory();
			memcpy(copy, cfg->argv, (size_t)cfg->argc * sizeof(char *));
			copy[0] = (char *)(uintptr_t)cfg->argv0;
			st = PyConfig_SetBytesArgv(config, cfg->argc, copy);
			free(copy);
		} else {
			st = PyConfig_SetBytesArgv(config, cfg->argc, cfg->argv);
		}
	} else {
		char *one[] = { (char *)(uintptr_t)(cfg->argv0 ? cfg->argv0 : exe), NULL };
		st = PyConfig_SetBytesArgv(config, 1, one);
	}
	if (PyStatus_Exception(st))
		return st;

	/* sys.path: the binary, then the program's directories (and, when not
	 * isolated, $PYTHONPATH: an explicit path list replaces CPython's). */
	config->module_search_paths_set = 1;
	st = append_path(config, exe);
	for (const char *const *p = cfg->path; !PyStatus_Exception(st) && p && *p; p++)
		st = append_path(config, *p);
	if (!PyStatus_Exception(st) && !cfg->isolated && getenv("PYTHONPATH")) {
		char *copy = strdup(getenv("PYTHONPATH")), *save = NULL, *tok;
		if (!copy)
			return PyStatus_NoMemory();
		for (tok = strtok_r(copy, ":", &save); tok && !PyStatus_Exception(st);
		     tok = strtok_r(NULL, ":", &save))
			st = append_path(config, tok);
		free(copy);
	}
	if (PyStatus_Exception(st))
		return st;
	w = Py_DecodeLocale(exe, NULL);
	if (!w)
		return PyStatus_NoMemory();
	st = PyConfig_SetString(config, &config->executable, w);
	if (!PyStatus_Exception(st))
		st = PyConfig_SetString(config, &config->home, w);
	PyMem_RawFree(w);
	return st;
}

/* Starts CPython; leaves the GIL held by this thread.  0 or a status. */
static pyweld_status
start(const struct pyweld_config *cfg)
{
	PyConfig config;
	PyStatus st;
	char err[512];
	static char why[3 * PATH_MAX];

	if (!cfg)
		return set_error(PYWELD_ERR_MISUSE, "pyweld_start: no configuration (NULL)");
	if (state == S_STARTED)
		return set_error(PYWELD_ERR_MISUSE, "pyweld_start: the interpreter is already "
		                 "running");
	if (state == S_FINISHED)
		return set_error(PYWELD_ERR_MISUSE, "pyweld_start: the interpreter was "
		                 "finished, and CPython cannot start again in one process");
	if (!exe &&
	    !(exe = rt_self_path("/proc/self/exe", (const char *)getauxval(AT_EXECFN), why,
	                         sizeof(why))))
		return set_error(PYWELD_ERR_INIT, "%s", why);
	if (rt_blob_open(&rt_app, err, sizeof(err)) < 0)
		return set_error(PYWELD_ERR_INIT, "the modules inside '%s' are damaged: %s "
		                 "(the file was cut short or altered; rebuild it with pyweld "
		                 "build)", exe, err);
	if (nuser_modules) {
		user_tab = calloc(nuser_modules + 1, sizeof(*user_tab));
		if (!user_tab)
			return set_error(PYWELD_ERR_NOMEM, "out of memory");
		for (size_t i = 0; i < nuser_modules; i++) {
			user_tab[i].name = user_modules[i].name;
			user_tab[i].initfunc = user_modules[i].init;
		}
		rt_add_dotted(user_tab);
	}
	if (PyImport_ExtendInittab(rt_app.inittab) < 0 ||
	    PyImport_AppendInittab("_pyweld", rt_init_pyweld) < 0 ||
	    (user_tab && PyImport_ExtendInittab(user_tab) < 0))
		return set_error(PYWELD_ERR_NOMEM, "out of memory");
#if PYWELD_STATIC
	__nss_configure_lookup("passwd", "files");
	__nss_configure_lookup("group", "files");
	__nss_configure_lookup("shadow", "files");
#endif
	PyConfig_InitPythonConfig(&config);     /* cleared below whatever happens */
	/*
	 * Read the command line first (-S, -q, -c ...) on a configuration of its
	 * own: site itself never runs, but its builtins follow -S; and since
	 * CPython prints the REPL's "Type help..." line only when it runs site,
	 * the banner is ours.  The interpreter then starts from a fresh
	 * configuration (a configuration read twice loses options such as
	 * -X warn_default_encoding).  Without parse_argv (an application's
	 * entry point, a library's host) there is no command line to read:
	 * site's builtins are wanted, nothing is run from argv.
	 */
	free(argv_command);
	free(argv_module);
	free(argv_file);
	argv_command = argv_module = argv_file = NULL;
	if (!cfg->parse_argv) {
		st = PyStatus_Ok();
		want_site = 1;
		interactive = banner = 0;
	} else {
		PyConfig probe;
		st = configure(&probe, cfg);
		if (!PyStatus_Exception(st))
			st = PyConfig_Read(&probe);
		if (!PyStatus_Exception(st)) {
			want_site = probe.site_import;
			argv_command = encode_arg(probe.run_command);
			argv_module = encode_arg(probe.run_module);
			argv_file = encode_arg(probe.run_filename);
			interactive = probe.inspect || (!probe.run_command && !probe.run_module &&
			              !probe.run_filename && isatty(0));
			banner = !probe.quiet && !probe.run_command && !probe.run_module &&
			         !probe.run_filename && (isatty(0) || probe.inspect);
		}
		PyConfig_Clear(&probe);
		if (PyStatus_IsExit(st)) {
			exit_code = st.exitcode;
			state = S_FINISHED;
			return set_error(PYWELD_ERR_EXIT, "the interpreter exited while starting "
			                 "(status %d)", st.exitcode);
		}
	}
	if (!PyStatus_Exception(st)) {
		PyConfig_Clear(&config);
		st = configure(&config, cfg);
	}
	if (!PyStatus_Exception(st)) {
		config.site_import = 0;
		if (banner)
			config.quiet = 1;
	}
	if (!PyStatus_Exception(st))
		st = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(st)) {
		if (PyStatus_IsExit(st)) {
			exit_code = st.exitcode;
			state = S_FINISHED;
			return set_error(PYWELD_ERR_EXIT, "the interpreter exited while starting "
			                 "(status %d)", st.exitcode);
		}
		return set_error(PYWELD_ERR_INIT, "cannot start the interpreter: %s%s%s",
		                 st.func ? st.func : "", st.func ? ": " : "",
		                 st.err_msg ? st.err_msg : "unknown error");
	}
	state = S_STARTED;
	if (rt_importer_install(&rt_app, exe) < 0)
		return from_exception() == PYWELD_ERR_PYTHON
		       ? set_error(PYWELD_ERR_INIT, "cannot install pyweld's importer: %s",
		                   pyweld_error())
		       : PYWELD_ERR_INIT;
	st = _Py_InitializeMain();
	if (PyStatus_Exception(st) && rt_blob_damaged())
		return set_error(PYWELD_ERR_INIT, "the modules inside '%s' are damaged: %s "
		                 "fails its checksum (the file was altered; rebuild it with "
		                 "pyweld build)", exe, rt_blob_damaged());
	if (PyStatus_Exception(st))
		return set_error(PYWELD_ERR_INIT, "cannot start the interpreter: %s%s%s",
		                 st.func ? st.func : "", st.func ? ": " : "",
		                 st.err_msg ? st.err_msg : "unknown error");
	if (rt_frozen_files() < 0 || rt_path_hook_first() < 0 || site_names(cfg) < 0 ||
	    set_excepthook() < 0) {
		from_exception();
		return set_error(PYWELD_ERR_INIT, "cannot finish start-up (frozen modules, "
		                 "path hooks, site's builtins, excepthook): %s", pyweld_error());
	}
	/*
	 * What start-up made lives until the end: moved out of the collector's
	 * sight (gc.freeze), neither the application's collections nor the
	 * final ones at exit walk it again.
	 */
	{
		PyObject *gc = PyImport_ImportModule("gc");
		PyObject *r = gc ? PyObject_CallMethod(gc, "freeze", NULL) : NULL;
		Py_XDECREF(gc);
		if (!r) {
			from_exception();
			return set_error(PYWELD_ERR_INIT, "cannot freeze start-up objects: %s",
			                 pyweld_error());
		}
		Py_DECREF(r);
	}
	if (banner)
		fprintf(stderr, "Python %s on %s\n%s\n", Py_GetVersion(), Py_GetPlatform(),
		        want_site ? "Type \"help\", \"copyright\", \"credits\" or \"license\" "
		                    "for more information." : "");
	return PYWELD_OK;
}

pyweld_status
pyweld_start(const struct pyweld_config *cfg)
{
	pyweld_status st = start(cfg);

	if (st != PYWELD_OK)
		return st;
	/* Release the GIL: every call takes it for its own duration. */
	saved = PyEval_SaveThread();
	return PYWELD_OK;
}

/* --- running ------------------------------------------------------------------ */

static pyweld_status
check_running(const char *fn)
{
	if (state == S_NEW)
		return set_error(PYWELD_ERR_MISUSE, "%s: the interpreter is not started; call "
		                 "pyweld_start first", fn);
	if (state == S_FINISHED)
		return set_error(PYWELD_ERR_MISUSE, "%s: the interpreter is finished", fn);
	return PYWELD_OK;
}

/* Runs code (an object) in __main__ as a script; GIL held. */
static pyweld_status
run_in_main(PyObject *code, const char *module)
{
	PyObject *main = PyImport_AddModule("__main__"), *dict, *r;

	dict = main ? PyModule_GetDict(main) : NULL;
	if (!dict || (module && rt_main_globals(dict, module) < 0))
		return from_exception();
	if (!PyDict_GetItemString(dict, "__builtins__") &&
	    PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()) < 0)
		return from_exception();
	r = PyEval_EvalCode(code, dict, dict);
	if (!r)
		return from_exception();
	Py_DECREF(r);
	return PYWELD_OK;
}

pyweld_status
pyweld_run_code(const char *source)
{
	PyGILState_STATE g;
	PyObject *code;
	pyweld_status st;

	if (!source)
		return set_error(PYWELD_ERR_MISUSE, "pyweld_run_code: no code (NULL)");
	if ((st = check_running("pyweld_run_code")) != PYWELD_OK)
		return st;
	g = PyGILState_Ensure();
	code = Py_CompileString(source, "<pyweld_run_code>", Py_file_input);
	st = code ? run_in_main(code, NULL) : from_exception();
	Py_XDECREF(code);
	PyGILState_Release(g);
	return st;
}

static pyweld_status
run_module_locked(const char *module)
{
	PyObject *runpy = PyImport_ImportModule("runpy"), *r = NULL;

	if (runpy)
		r = PyObject_CallMethod(runpy, "_run_module_as_main", "sO", module, Py_False);
	Py_XDECREF(runpy);
	if (!r)
		return from_exception();
	Py_DECREF(r);
	return PYWELD_OK;
}

pyweld_status
pyweld_run_module(const char *module)
{
	PyGILState_STATE g;
	pyweld_status st;

	if (!module || !*module)
		return set_error(PYWELD_ERR_MISUSE, "pyweld_run_module: no module name");
	if ((st = check_running("pyweld_run_module")) != PYWELD_OK)
		return st;
	g = PyGILState_Ensure();
	st = run_module_locked(module);
	PyGILState_Release(g);
	return st;
}

/* A script by its path, as __main__ (python's `python FILE`). */
static pyweld_status
run_file(const char *path)
{
	PyGILState_STATE g = PyGILState_Ensure();
	pyweld_status st;
	FILE *f = fopen(path, "rb");
	PyObject *main, *dict, *file, *r;

	if (!f) {
		PyGILState_Release(g);
		return set_error(PYWELD_ERR_PYTHON, "can't open file '%s': %s", path,
		                 strerror(errno));
	}
	main = PyImport_AddModule("__main__");
	dict = main ? PyModule_GetDict(main) : NULL;
	file = PyUnicode_DecodeFSDefault(path);
	if (!dict || !file || PyDict_SetItemString(dict, "__file__", file) < 0 ||
	    (!PyDict_GetItemString(dict, "__builtins__") &&
	     PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()) < 0)) {
		fclose(f);
		Py_XDECREF(file);
		st = from_exception();
		PyGILState_Release(g);
		return st;
	}
	Py_DECREF(file);
	r = PyRun_FileExFlags(f, path, Py_file_input, dict, dict, 1, NULL);
	st = r ? PYWELD_OK : from_exception();
	Py_XDECREF(r);
	PyGILState_Release(g);
	return st;
}

pyweld_status
pyweld_run_entry(void)
{
	pyweld_status st;
	PyGILState_STATE g;

	if ((st = check_running("pyweld_run_entry")) != PYWELD_OK)
		return st;
	switch (rt_app.entry) {
	case RT_ENTRY_CODE: {
		g = PyGILState_Ensure();
		PyObject *code = rt_entry_code(rt_app.module);
		st = code ? run_in_main(code, rt_app.module) : from_exception();
		Py_XDECREF(code);
		PyGILState_Release(g);
		return st;
	}
	case RT_ENTRY_MODULE:
		return pyweld_run_module(rt_app.module);
	case RT_ENTRY_NONE:
		/* Like `python`: -c, -m or a script from argv run here, so that
		 * their SystemExit comes back as a status. */
		if (argv_command)
			return pyweld_run_code(argv_command);
		if (argv_module)
			return pyweld_run_module(argv_module);
		if (argv_file)
			return run_file(argv_file);
		/* The REPL: CPython's own, which also finishes the interpreter and
		 * ends the process on exit(). */
		PyEval_RestoreThread(saved);
		saved = NULL;
		finished_code = Py_RunMain();
		state = S_FINISHED;
		finish_pending = 1;
		exit_code = finished_code;
		return finished_code == 0 ? PYWELD_OK
		       : set_error(PYWELD_ERR_EXIT, "python exited with status %d", finished_code);
	}
	return set_error(PYWELD_ERR_MISUSE, "pyweld_run_entry: unknown entry point");
}

/* The object a dotted path names: the longest prefix that imports as a
 * module, then attributes ("pkg.mod.Class.method").  New reference or NULL. */
static PyObject *
resolve(const char *dotted)
{
	size_t len = strlen(dotted), cut = len;
	char *buf = strdup(dotted);
	PyObject *obj = NULL;

	if (!buf)
		return PyErr_NoMemory();
	for (;;) {
		buf[cut] = '\0';
		obj = PyImport_ImportModule(buf);
		if (obj)
			break;
		if (!PyErr_ExceptionMatches(PyExc_ModuleNotFoundError)) {
			free(buf);
			return NULL;
		}
		PyErr_Clear();
		char *dot = memrchr(buf, '.', cut);
		if (!dot) {
			PyErr_Format(PyExc_ImportError, "cannot import '%s': no module of that "
			             "path is in this binary", dotted);
			free(buf);
			return NULL;
		}
		cut = (size_t)(dot - buf);
	}
	free(buf);
	for (const char *rest = dotted + cut; *rest == '.' && obj;) {
		const char *start = rest + 1, *end = strchr(start, '.');
		size_t n = end ? (size_t)(end - start) : strlen(start);
		PyObject *name = PyUnicode_FromStringAndSize(start, (Py_ssize_t)n);
		PyObject *next = name ? PyObject_GetAttr(obj, name) : NULL;
		Py_XDECREF(name);
		Py_DECREF(obj);
		obj = next;
		rest = start + n;
	}
	return obj;
}

static pyweld_status
call_locked(const char *callable, PyObject *args, PyObject *kwargs, PyObject **result)
{
	PyObject *f = resolve(callable), *r;

	if (!f)
		return from_exception();
	if (args && !PyTuple_Check(args)) {
		Py_DECREF(f);
		return set_error(PYWELD_ERR_MISUSE, "pyweld_call: args must be a tuple");
	}
	PyObject *empty = args ? NULL : PyTuple_New(0);
	if (!args && !empty) {
		Py_DECREF(f);
		return from_exception();
	}
	r = PyObject_Call(f, args ? args : empty, kwargs);
	Py_XDECREF(empty);
	Py_DECREF(f);
	if (!r)
		return from_exception();
	*result = r;
	return PYWELD_OK;
}

pyweld_status
pyweld_call(const char *callable, PyObject *args, PyObject *kwargs, PyObject **result)
{
	PyGILState_STATE g;
	pyweld_status st;

	if (!callable || !result)
		return set_error(PYWELD_ERR_MISUSE, "pyweld_call: callable and result are "
		                 "needed (NULL given)");
	*result = NULL;
	if ((st = check_running("pyweld_call")) != PYWELD_OK)
		return st;
	g = PyGILState_Ensure();
	st = call_locked(callable, args, kwargs, result);
	PyGILState_Release(g);
	return st;
}

pyweld_status
pyweld_call_str(const char *callable, const char *arg, char **result)
{
	PyGILState_STATE g;
	PyObject *args = NULL, *r = NULL, *s;
	pyweld_status st;

	if (!callable || !result)
		return set_error(PYWELD_ERR_MISUSE, "pyweld_call_str: callable and result are "
		                 "needed (NULL given)");
	*result = NULL;
	if ((st = check_running("pyweld_call_str")) != PYWELD_OK)
		return st;
	g = PyGILState_Ensure();
	args = arg ? Py_BuildValue("(s)", arg) : PyTuple_New(0);
	st = args ? call_locked(callable, args, NULL, &r) : from_exception();
	if (st == PYWELD_OK) {
		s = PyObject_Str(r);
		const char *utf8 = s ? PyUnicode_AsUTF8(s) : NULL;
		if (!utf8)
			st = from_exception();
		else if (!(*result = strdup(utf8)))
			st = set_error(PYWELD_ERR_NOMEM, "out of memory");
		Py_XDECREF(s);
	}
	Py_XDECREF(r);
	Py_XDECREF(args);
	PyGILState_Release(g);
	return st;
}

pyweld_status
pyweld_finish(int *code)
{
	if (state == S_NEW)
		return set_error(PYWELD_ERR_MISUSE, "pyweld_finish: the interpreter was never "
		                 "started");
	if (state == S_FINISHED) {
		if (!finish_pending)
			return set_error(PYWELD_ERR_MISUSE, "pyweld_finish: already finished");
		finish_pending = 0;     /* pyweld_run_entry ran python to its end */
		if (code)
			*code = finished_code;
		return PYWELD_OK;
	}
	if (saved)
		PyEval_RestoreThread(saved);
	saved = NULL;
	finished_code = Py_FinalizeEx() < 0 ? 120 : 0;
	state = S_FINISHED;
	exit_code = finished_code;
	if (code)
		*code = finished_code;
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

/*
 * For the weld's quirks (inittab-gen/weld.c): numpy's call to backtrace()
 * is renamed to this, and 0 frames is numpy's "cannot tell the callers
 * apart" answer, which turns its temporary elision off.
 */
int pyweld_no_backtrace(void **buffer, int size);

int
pyweld_no_backtrace(void **buffer, int size)
{
	(void)buffer;
	(void)size;
	return 0;
}

/* --- the default main ------------------------------------------------------------ */

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
	st = start(&cfg);
	if (st == PYWELD_ERR_EXIT)
		return exit_code;       /* --help, --version, a bad option */
	if (st != PYWELD_OK) {
		fprintf(stderr, "%s: error: %s\n", argc > 0 ? argv[0] : "pyweld", pyweld_error());
		return 1;
	}
	if (python_mode) {
		int rc = Py_RunMain();
		state = S_FINISHED;
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
	state = S_FINISHED;
	if (interrupted)
		return exit_sigint();
	if (rt_app.fast_exit) {
		fflush(NULL);
		_exit(status);
	}
	return status;
}

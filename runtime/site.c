/*
 * site.c: what the site module gives a session, without running site.
 *
 * site never runs in a welded binary (start.c sets site_import to 0): it
 * would read a pyvenv.cfg beside the binary, add that directory's
 * site-packages and import sitecustomize.  What an application expects of
 * it is set up here instead: exit(), quit(), help(), copyright, credits,
 * license from _sitebuiltins, and in the REPL readline completion and
 * history; so sys.flags.no_site is 1.  python's -S leaves them out, as it
 * does in python.
 */
#include "rt.h"

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

/* site.py's credits, as each version words them. */
#if PY_VERSION_HEX >= 0x030D0000
static const char credits[] =
	"Thanks to CWI, CNRI, BeOpen, Zope Corporation, the Python Software\n"
	"Foundation, and a cast of thousands for supporting Python\n"
	"development.  See www.python.org for more information.";
#else
static const char credits[] =
	"    Thanks to CWI, CNRI, BeOpen.com, Zope Corporation and a cast of thousands\n"
	"    for supporting Python development.  See www.python.org for more information.";
#endif

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
	    set_printer(builtins, printer, "credits", credits) < 0 ||
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

int
rt_site_names(const struct pyweld_config *cfg)
{
	if (!rt_state.want_site)
		return 0;
	return cfg->parse_argv ? site_builtins(rt_state.banner || rt_state.interactive)
	                       : lazy_site_builtins();
}

/*
 * finder.c: importing built-in extension modules that live inside packages.
 *
 * CPython 3.11's BuiltinImporter.find_spec() returns None whenever a path
 * is given, and importing "markupsafe._speedups" always gives the parent's
 * __path__: the module would not be found and the package would fall back
 * to pure Python.  This finder, first on sys.meta_path, answers for the
 * dotted names of the welded inittab only, and creates the module through
 * CPython's own built-in machinery (_imp.create_builtin / exec_builtin).
 * For single-phase modules, _Py_PackageContext is set to the dotted name
 * around the init call, as the .so loader does, so that the module's
 * __name__ is "markupsafe._speedups" and not "_speedups" (pickling of its
 * functions depends on it); multi-phase modules take the dotted spec.
 */
#include "rt.h"

typedef struct {
	PyObject_HEAD
	PyObject *names;        /* frozenset of the dotted names */
	PyObject *spec_type;    /* importlib's ModuleSpec */
	PyObject *create;       /* _imp.create_builtin */
	PyObject *exec;         /* _imp.exec_builtin */
} Finder;

static void
finder_dealloc(Finder *self)
{
	Py_XDECREF(self->names);
	Py_XDECREF(self->spec_type);
	Py_XDECREF(self->create);
	Py_XDECREF(self->exec);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
finder_find_spec(Finder *self, PyObject *args, PyObject *kwargs)
{
	static char *kwlist[] = { "fullname", "path", "target", NULL };
	PyObject *name, *path = Py_None, *target = Py_None;
	int has;

	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "U|OO:find_spec", kwlist, &name,
	                                 &path, &target))
		return NULL;
	has = PySet_Contains(self->names, name);
	if (has < 0)
		return NULL;
	if (!has)
		Py_RETURN_NONE;
	PyObject *kw = Py_BuildValue("{s:s}", "origin", "built-in");
	if (!kw)
		return NULL;
	PyObject *spec_args = PyTuple_Pack(2, name, (PyObject *)self);
	PyObject *spec = spec_args ? PyObject_Call(self->spec_type, spec_args, kw) : NULL;
	Py_XDECREF(spec_args);
	Py_DECREF(kw);
	return spec;
}

static PyObject *
finder_create_module(Finder *self, PyObject *spec)
{
	PyObject *name = PyObject_GetAttrString(spec, "name");
	const char *dotted, *saved;
	PyObject *mod;

	if (!name)
		return NULL;
	dotted = PyUnicode_AsUTF8(name);
	if (!dotted) {
		Py_DECREF(name);
		return NULL;
	}
	saved = _Py_PackageContext;
	_Py_PackageContext = dotted;
	mod = PyObject_CallOneArg(self->create, spec);
	_Py_PackageContext = saved;
	Py_DECREF(name);
	return mod;
}

static PyObject *
finder_exec_module(Finder *self, PyObject *module)
{
	PyObject *r = PyObject_CallOneArg(self->exec, module);

	if (!r)
		return NULL;
	Py_DECREF(r);
	Py_RETURN_NONE;
}

static PyObject *
finder_invalidate_caches(Finder *self, PyObject *unused)
{
	Py_RETURN_NONE;
}

static PyMethodDef finder_methods[] = {
	{ "find_spec", (PyCFunction)(void (*)(void))finder_find_spec,
	  METH_VARARGS | METH_KEYWORDS, "Find a dotted built-in extension module." },
	{ "create_module", (PyCFunction)finder_create_module, METH_O,
	  "Create the module through the built-in machinery." },
	{ "exec_module", (PyCFunction)finder_exec_module, METH_O,
	  "Execute a multi-phase module (a no-op for single-phase ones)." },
	{ "invalidate_caches", (PyCFunction)finder_invalidate_caches, METH_NOARGS, "" },
	{ NULL, NULL, 0, NULL },
};

static PyTypeObject FinderType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "pyweld.DottedBuiltinFinder",
	.tp_basicsize = sizeof(Finder),
	.tp_dealloc = (destructor)finder_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Finds the dotted built-in extension modules welded into this binary.",
	.tp_methods = finder_methods,
};

PyObject *
rt_dotted_finder(const struct _inittab *tab)
{
	PyObject *names = NULL, *bootstrap = NULL, *imp = NULL;
	Finder *f = NULL;

	if (PyType_Ready(&FinderType) < 0)
		return NULL;
	names = PySet_New(NULL);
	if (!names)
		goto fail;
	for (; tab && tab->name; tab++) {
		if (!strchr(tab->name, '.'))
			continue;
		PyObject *s = PyUnicode_FromString(tab->name);
		if (!s || PySet_Add(names, s) < 0) {
			Py_XDECREF(s);
			goto fail;
		}
		Py_DECREF(s);
	}
	bootstrap = PyImport_ImportModule("_frozen_importlib");
	imp = bootstrap ? PyImport_ImportModule("_imp") : NULL;
	if (!imp)
		goto fail;
	f = PyObject_New(Finder, &FinderType);
	if (!f)
		goto fail;
	f->names = PyFrozenSet_New(names);
	f->spec_type = PyObject_GetAttrString(bootstrap, "ModuleSpec");
	f->create = PyObject_GetAttrString(imp, "create_builtin");
	f->exec = PyObject_GetAttrString(imp, "exec_builtin");
	if (!f->names || !f->spec_type || !f->create || !f->exec) {
		Py_DECREF(f);
		f = NULL;
	}
fail:
	Py_XDECREF(names);
	Py_XDECREF(bootstrap);
	Py_XDECREF(imp);
	return (PyObject *)f;
}

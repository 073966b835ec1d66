/*
 * install.c: the in-memory importer put in place around CPython's main
 * phase (start.c calls these in order).  rt_importer_install, after core
 * initialisation: the handles of importlib the importer needs (rt_imp),
 * the dotted built-ins, the importer after the built-in and frozen
 * importers on sys.meta_path, its path hook first.  After the main phase:
 * frozen modules' __file__ under the binary (rt_frozen_files) and the
 * path hook back in front (rt_path_hook_first).
 */
#include "rt.h"

#include <string.h>

void
rt_add_dotted(const struct _inittab *tab)
{
	rt_imp.extra_tab = tab;
}

int
rt_path_hook_first(void)
{
	PyObject *hooks = PySys_GetObject("path_hooks");
	PyObject *mod = PyImport_ImportModule("_pyweld");
	PyObject *hook = mod ? PyObject_GetAttrString(mod, "path_hook") : NULL;
	int rc = -1;

	if (!hook)
		goto out;
	if (!hooks || !PyList_Check(hooks)) {
		PyErr_SetString(PyExc_RuntimeError, "sys.path_hooks is not a list");
		goto out;
	}
	for (Py_ssize_t i = PyList_GET_SIZE(hooks) - 1; i >= 0; i--) {
		if (PyList_GET_ITEM(hooks, i) == hook &&
		    PySequence_DelItem(hooks, i) < 0)
			goto out;
	}
	rc = PyList_Insert(hooks, 0, hook);
out:
	Py_XDECREF(hook);
	Py_XDECREF(mod);
	return rc;
}

/*
 * Frozen standard-library modules (os, codecs, abc ...) take __file__ from
 * sys._stdlib_dir, which CPython leaves unset for a prefix that is not a
 * directory: name the binary, so they get "<binary>/os.py" like every other
 * module, and fix up those frozen before this point.  A frozen package
 * (encodings) imported before it got an empty __path__: it gets
 * "<binary>/encodings", which the path hook serves (pkgutil.iter_modules).
 */
static int
frozen_files(PyObject *frozen_importer)
{
	static const char *const names[] = {
		"__spec__", "__path__", "__file__", "loader", "loader_state", "origname", "name",
		"filename",
	};
	enum { SPEC, PATH, FILE_, LOADER, STATE, ORIGNAME, NAME, FILENAME, NKEYS };
	PyObject *key[NKEYS] = { 0 }, *mods = PySys_GetObject("modules"), *items = NULL;
	PyObject *resolve = NULL;
	int rc = -1;

	if (!rt_imp.exe_path)
		return 0;
	/* Interned keys, read from the modules' dicts: a string made for every
	 * lookup, or an attribute lookup that fails and formats its
	 * AttributeError, cost more than the rest of this at every start. */
	for (int k = 0; k < NKEYS; k++)
		if (!(key[k] = PyUnicode_InternFromString(names[k])))
			goto out;
	if (!mods || PySys_SetObject("_stdlib_dir", rt_imp.exe_path) < 0)
		goto out;
	resolve = PyObject_GetAttrString(frozen_importer, "_resolve_filename");
	items = resolve ? PyDict_Values(mods) : NULL;
	if (!items)
		goto out;
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
		PyObject *mod = PyList_GET_ITEM(items, i);
		PyObject *d = PyModule_Check(mod) ? PyModule_GetDict(mod) : NULL;
		PyObject *spec = d ? PyDict_GetItemWithError(d, key[SPEC]) : NULL;
		PyObject *path = spec ? PyDict_GetItemWithError(d, key[PATH]) : NULL;
		PyObject *loader = NULL, *state = NULL, *orig = NULL, *res = NULL, *name = NULL;
		if (!spec || spec == Py_None || PyDict_GetItemWithError(d, key[FILE_]))
			goto next;
		if (rt_lookup_attr(spec, key[LOADER], &loader) <= 0 || loader != frozen_importer)
			goto next;
		if (rt_lookup_attr(spec, key[STATE], &state) <= 0 || state == Py_None)
			goto next;
		orig = PyObject_GetAttr(state, key[ORIGNAME]);
		name = orig && orig != Py_None ? PyObject_GetAttr(spec, key[NAME]) : NULL;
		if (!name)
			goto next;
		res = PyObject_CallFunctionObjArgs(resolve, orig, name, path ? Py_True : Py_False,
		                                   NULL);
		if (res && PyTuple_Check(res) && PyTuple_GET_SIZE(res) == 2 &&
		    PyTuple_GET_ITEM(res, 0) != Py_None) {
			PyObject *pkgdir = PyTuple_GET_ITEM(res, 1);
			PyObject_SetAttr(state, key[FILENAME], PyTuple_GET_ITEM(res, 0));
			PyDict_SetItem(d, key[FILE_], PyTuple_GET_ITEM(res, 0));
			/* __path__ is the spec's submodule_search_locations list. */
			if (path && PyList_CheckExact(path) && PyList_GET_SIZE(path) == 0 &&
			    pkgdir != Py_None)
				PyList_Append(path, pkgdir);
		}
next:
		PyErr_Clear();
		Py_XDECREF(res);
		Py_XDECREF(name);
		Py_XDECREF(orig);
		Py_XDECREF(state);
		Py_XDECREF(loader);
	}
	rc = 0;
out:
	Py_XDECREF(items);
	Py_XDECREF(resolve);
	for (int k = 0; k < NKEYS; k++)
		Py_XDECREF(key[k]);
	return rc;
}

int
rt_frozen_files(void)
{
	PyObject *b = PyImport_ImportModule("_frozen_importlib");
	PyObject *fi = b ? PyObject_GetAttrString(b, "FrozenImporter") : NULL;
	int r = fi ? frozen_files(fi) : -1;

	Py_XDECREF(fi);
	Py_XDECREF(b);
	return r;
}

int
rt_importer_install(const struct rt_app *app, const char *exe)
{
	PyObject *bootstrap = NULL, *imp = NULL, *names = NULL, *meta, *hooks, *im = NULL;
	PyObject *hook = NULL, *mod = NULL;
	int rc = -1;

	for (rt_imp.nfrozen = 0; rt_frozen_code[rt_imp.nfrozen].name; rt_imp.nfrozen++)
		;
	rt_imp.no_mp_children = app->no_mp_children;
	rt_imp.exe_path = PyUnicode_DecodeFSDefault(exe);
	bootstrap = rt_imp.exe_path ? PyImport_ImportModule("_frozen_importlib") : NULL;
	imp = bootstrap ? PyImport_ImportModule("_imp") : NULL;
	if (!imp)
		goto out;
	rt_imp.spec_type = PyObject_GetAttrString(bootstrap, "ModuleSpec");
	rt_imp.create_builtin = PyObject_GetAttrString(imp, "create_builtin");
	rt_imp.exec_builtin = PyObject_GetAttrString(imp, "exec_builtin");
	rt_imp.fix_co_filename = PyObject_GetAttrString(imp, "_fix_co_filename");
	if (!rt_imp.spec_type || !rt_imp.create_builtin || !rt_imp.exec_builtin ||
	    !rt_imp.fix_co_filename)
		goto out;
	{
		PyObject *ext = PyImport_ImportModule("_frozen_importlib_external");
		PyObject *pf = ext ? PyObject_GetAttrString(ext, "PathFinder") : NULL;
		rt_imp.decode_source =
			ext ? PyObject_GetAttrString(ext, "decode_source") : NULL;
		rt_imp.namespace_path =
			ext ? PyObject_GetAttrString(ext, "_NamespacePath") : NULL;
		rt_imp.path_finder_get_spec =
			pf ? PyObject_GetAttrString(pf, "_get_spec") : NULL;
		Py_XDECREF(pf);
		Py_XDECREF(ext);
		if (!rt_imp.decode_source || !rt_imp.namespace_path ||
		    !rt_imp.path_finder_get_spec)
			goto out;
	}
	names = PySet_New(NULL);
	if (!names)
		goto out;
	for (int k = 0; k < 2; k++) {
		for (const struct _inittab *t = k ? rt_imp.extra_tab : app->inittab;
		     t && t->name; t++) {
			if (!strchr(t->name, '.'))
				continue;
			PyObject *s = PyUnicode_FromString(t->name);
			if (!s || PySet_Add(names, s) < 0) {
				Py_XDECREF(s);
				goto out;
			}
			Py_DECREF(s);
		}
	}
	rt_imp.dotted_builtins = PyFrozenSet_New(names);
	if (!rt_imp.dotted_builtins || PyType_Ready(&rt_importer_type) < 0)
		goto out;
	im = rt_importer_new(NULL, 0);
	meta = PySys_GetObject("meta_path");
	hooks = PySys_GetObject("path_hooks");
	if (!im || !meta || !hooks)
		goto out;
	/*
	 * After the built-in and frozen importers: CPython 3.11 deep-freezes
	 * the modules of its own start-up (codecs, io, abc, os, site, ...) into
	 * libpython, and their code objects need no unmarshalling at all.
	 * Everything else (encodings on) comes from the blob before PathFinder
	 * is asked.
	 */
	Py_ssize_t at = 0, n = PyList_GET_SIZE(meta);
	while (at < n) {
		PyObject *f = PyList_GET_ITEM(meta, at);
		PyObject *fname = PyObject_GetAttrString(f, "__name__");
		int path_finder = fname && PyUnicode_Check(fname) &&
		                  PyUnicode_CompareWithASCIIString(fname, "PathFinder") == 0;
		Py_XDECREF(fname);
		PyErr_Clear();
		if (path_finder)
			break;
		at++;
	}
	if (PyList_Insert(meta, at, im) < 0)
		goto out;
	mod = PyImport_ImportModule("_pyweld");
	hook = mod ? PyObject_GetAttrString(mod, "path_hook") : NULL;
	if (!hook || PyList_Insert(hooks, 0, hook) < 0 ||
	    PyModule_AddObjectRef(mod, "importer", im) < 0)
		goto out;
	rc = 0;
out:
	Py_XDECREF(bootstrap);
	Py_XDECREF(imp);
	Py_XDECREF(names);
	Py_XDECREF(im);
	Py_XDECREF(hook);
	Py_XDECREF(mod);
	return rc;
}

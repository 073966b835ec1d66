/*
 * importer.c: importing from memory.
 *
 * The modules, package resources and distribution metadata of a welded
 * binary live in its resource blob (blob.h), linked into the executable and
 * read in place (modules.c).  One importer object serves them:
 *
 *   - on sys.meta_path, after the built-in and frozen importers and before
 *     PathFinder: find_spec() answers for every module of the blob and for
 *     the dotted built-in extension modules of the inittab (CPython 3.11's
 *     BuiltinImporter does not find "pkg.mod" built-ins);
 *   - as the loader: exec_module() runs the module's code, unmarshalled
 *     straight from the blob (inflated first where the weld compressed it:
 *     rt_code_object) or, for the standard library, the copy the
 *     distribution deep-froze into C data (rt_frozen_code); get_code,
 *     get_source, is_package, get_filename and get_data (for paths under
 *     the binary) work as zipimport's do, so linecache, inspect and
 *     pkgutil.get_data work; a source stored compressed is inflated only
 *     then (rt_source_bytes), never to import;
 *   - get_resource_reader() and find_distributions() hand over to the
 *     Python helper _pyweld_resources (importlib.resources and
 *     importlib.metadata need Python classes), which reads through the
 *     built-in module _pyweld (resources.c, pyweld_module.c);
 *   - as a sys.path_hooks entry for the binary's own path and the package
 *     directories under it, so pkgutil.iter_modules and walk_packages list
 *     what the blob holds;
 *   - for a module pyweld build's pruning left out (rt_pruned, pruned.c)
 *     that no file on the path provides either:
 *     a ModuleNotFoundError that says so and names the build option.
 *
 * install.c puts it in place before the main phase.  Nothing here touches
 * the file system.
 */
#include "rt.h"

#include <errno.h>
#include <string.h>

typedef struct rt_importer Importer;

/*
 * The portions of a namespace package on its parent path (sys.path, or the
 * parent package's __path__), as PathFinder would find them; NULL (no
 * exception) when there are none or they cannot be had.
 */
static PyObject *
namespace_portions(PyObject *name)
{
	Py_ssize_t dot = PyUnicode_FindChar(name, '.', 0, PyUnicode_GET_LENGTH(name), -1);
	PyObject *parent_path = NULL, *spec = NULL, *locs = NULL;

	if (dot >= 0) {
		PyObject *parent = PyUnicode_Substring(name, 0, dot);
		PyObject *mods = PySys_GetObject("modules");
		PyObject *pmod = parent && mods ? PyDict_GetItemWithError(mods, parent) : NULL;
		parent_path = pmod ? PyObject_GetAttrString(pmod, "__path__") : NULL;
		Py_XDECREF(parent);
	} else {
		parent_path = PySys_GetObject("path");
		Py_XINCREF(parent_path);
	}
	if (parent_path)
		spec = PyObject_CallFunctionObjArgs(rt_imp.path_finder_get_spec, name, parent_path,
		                                    NULL);
	if (spec && spec != Py_None)
		locs = PyObject_GetAttrString(spec, "submodule_search_locations");
	if (locs && (!PyList_Check(locs) || PyList_GET_SIZE(locs) == 0))
		Py_CLEAR(locs);
	PyErr_Clear();
	Py_XDECREF(spec);
	Py_XDECREF(parent_path);
	return locs;
}

static PyObject *
make_spec(PyObject *self, PyObject *name, const struct rt_blob_entry *e)
{
	PyObject *kw, *args, *spec, *origin = NULL, *locs = NULL;
	int is_pkg = (e->flags & (RT_BLOB_PACKAGE | RT_BLOB_NAMESPACE)) != 0;

	if (e->flags & RT_BLOB_NAMESPACE) {
		/*
		 * A namespace package: this importer is its loader (so that its
		 * resources come from memory), and its __path__ is a real
		 * _NamespacePath, which finds portions in directories on sys.path too.
		 */
		kw = Py_BuildValue("{s:O}", "is_package", Py_True);
		args = PyTuple_Pack(2, name, self);
	} else {
		origin = rt_module_path(e, 0);
		if (!origin)
			return NULL;
		kw = Py_BuildValue("{s:O, s:O}", "origin", origin, "is_package",
		                   is_pkg ? Py_True : Py_False);
		args = PyTuple_Pack(2, name, self);
	}
	spec = kw && args ? PyObject_Call(rt_imp.spec_type, args, kw) : NULL;
	Py_XDECREF(kw);
	Py_XDECREF(args);
	if (!spec)
		goto fail;
	if (origin && PyObject_SetAttrString(spec, "has_location", Py_True) < 0)
		goto fail;
	if (is_pkg) {
		PyObject *dir = rt_module_path(e, 1);
		locs = dir ? PyList_New(1) : NULL;
		if (!locs) {
			Py_XDECREF(dir);
			goto fail;
		}
		PyList_SET_ITEM(locs, 0, dir);
		if (e->flags & RT_BLOB_NAMESPACE) {
			/* Every portion already on the parent path (directories on
			 * sys.path too), found as PathFinder finds them; ours at least. */
			PyObject *portions = namespace_portions(name);
			if (portions) {
				Py_DECREF(locs);
				locs = portions;
			}
			PyObject *ns = PyObject_CallFunctionObjArgs(rt_imp.namespace_path, name,
			                                            locs, rt_imp.path_finder_get_spec,
			                                            NULL);
			Py_DECREF(locs);
			locs = ns;
			if (!locs)
				goto fail;
		}
		if (PyObject_SetAttrString(spec, "submodule_search_locations", locs) < 0)
			goto fail;
		Py_DECREF(locs);
	}
	Py_XDECREF(origin);
	return spec;
fail:
	Py_XDECREF(origin);
	Py_XDECREF(locs);
	Py_XDECREF(spec);
	return NULL;
}

static PyObject *
builtin_spec(PyObject *self, PyObject *name)
{
	PyObject *kw = Py_BuildValue("{s:s}", "origin", "built-in");
	PyObject *args = kw ? PyTuple_Pack(2, name, self) : NULL;
	PyObject *spec = args ? PyObject_Call(rt_imp.spec_type, args, kw) : NULL;

	Py_XDECREF(kw);
	Py_XDECREF(args);
	return spec;
}

static int
is_dotted_builtin(PyObject *name)
{
	return rt_imp.dotted_builtins ? PySet_Contains(rt_imp.dotted_builtins, name) : 0;
}

/* find_spec(fullname, path=None, target=None) as a meta path finder, or
 * find_spec(fullname, target=None) as a path entry finder. */
static PyObject *
importer_find_spec(Importer *self, PyObject *args, PyObject *kwargs)
{
	static char *kwlist[] = { "fullname", "path", "target", NULL };
	PyObject *name, *path = Py_None, *target = Py_None;
	struct rt_blob_entry e;
	int r;

	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "U|OO:find_spec", kwlist, &name,
	                                 &path, &target))
		return NULL;
	r = is_dotted_builtin(name);
	if (r < 0)
		return NULL;
	if (r)
		return builtin_spec((PyObject *)self, name);
	if (self->prefix) {
		/* A path entry finder answers only for its own package's children. */
		Py_ssize_t plen = PyUnicode_GET_LENGTH(self->prefix);
		if (PyUnicode_Tailmatch(name, self->prefix, 0, plen, -1) != 1 ||
		    PyUnicode_FindChar(name, '.', plen, PyUnicode_GET_LENGTH(name), 1) >= 0)
			Py_RETURN_NONE;
	}
	if (rt_find_module(name, &e) < 0) {
		if (self->is_entry || self->prefix)
			Py_RETURN_NONE;
		return rt_pruned_answer(name, path);
	}
	if ((e.flags & RT_BLOB_NAMESPACE) && self->is_entry) {
		/* To PathFinder, a namespace portion: no loader, one location. */
		PyObject *dir = rt_module_path(&e, 1), *kw, *a, *spec;
		if (!dir)
			return NULL;
		kw = Py_BuildValue("{s:O}", "is_package", Py_True);
		a = PyTuple_Pack(2, name, Py_None);
		spec = kw && a ? PyObject_Call(rt_imp.spec_type, a, kw) : NULL;
		Py_XDECREF(kw);
		Py_XDECREF(a);
		PyObject *locs = spec ? PyList_New(1) : NULL;
		if (locs) {
			PyList_SET_ITEM(locs, 0, dir);
			dir = NULL;
			if (PyObject_SetAttrString(spec, "submodule_search_locations", locs) < 0)
				Py_CLEAR(spec);
		} else {
			Py_CLEAR(spec);
		}
		Py_XDECREF(locs);
		Py_XDECREF(dir);
		return spec;
	}
	return make_spec((PyObject *)self, name, &e);
}

#if PY_VERSION_HEX >= 0x030C0000
/* Python/import.c: not in the public headers, exported by libpython. */
extern const char *_PyImport_SwapPackageContext(const char *newcontext);
#endif

PyObject *
rt_init_in_package(PyObject *(*init)(void), const char *dotted)
{
#if PY_VERSION_HEX >= 0x030C0000
	const char *saved = _PyImport_SwapPackageContext(dotted);
	PyObject *mod = init();

	_PyImport_SwapPackageContext(saved);
	return mod;
#else
	(void)dotted;
	return init();
#endif
}

static PyObject *
importer_create_module(Importer *self, PyObject *spec)
{
	PyObject *name = PyObject_GetAttrString(spec, "name"), *mod;
	const char *dotted, *saved;
	int r;

	if (!name)
		return NULL;
	r = is_dotted_builtin(name);
	if (r <= 0) {
		Py_DECREF(name);
		if (r < 0)
			return NULL;
		Py_RETURN_NONE;         /* the default module object */
	}
#if PY_VERSION_HEX < 0x030C0000
	/*
	 * A single-phase extension names itself by its short m_name; the .so
	 * loader sets _Py_PackageContext so that it takes the dotted name.
	 * From 3.12 on _imp.create_builtin does so itself (gh-102700).
	 */
	dotted = PyUnicode_AsUTF8(name);
	if (!dotted) {
		Py_DECREF(name);
		return NULL;
	}
	saved = _Py_PackageContext;
	_Py_PackageContext = dotted;
	mod = PyObject_CallOneArg(rt_imp.create_builtin, spec);
	_Py_PackageContext = saved;
#else
	(void)dotted;
	(void)saved;
	mod = PyObject_CallOneArg(rt_imp.create_builtin, spec);
#endif
	Py_DECREF(name);
	return mod;
}

/*
 * The code object of a module entry, its co_filename set to origin.  A
 * deep-frozen module's entry holds no code: the copy linked in is the same
 * source compiled the same way (pyweld build matched them by content), and
 * the entry's source is checked only when something reads it.
 */
static PyObject *
load_code(const struct rt_blob_entry *e, PyObject *name)
{
	const struct rt_frozen_code *f;
	PyObject *code, *origin, *r;

	if (e->flags & RT_BLOB_NAMESPACE) {
		PyErr_Format(PyExc_ImportError, "%U is a namespace package: it has no code", name);
		return NULL;
	}
	if (e->flags & RT_BLOB_FROZEN) {
		if ((f = rt_frozen_code_find(e->name)) == NULL) {
			PyErr_Format(PyExc_ImportError, "the binary has no deep-frozen code for %U, "
			             "which its blob promises; rebuild the binary", name);
			return NULL;
		}
		code = f->get();
	} else {
		code = rt_code_object(e);
	}
	if (!code)
		return NULL;
	if (!PyCode_Check(code)) {
		Py_DECREF(code);
		PyErr_Format(PyExc_ImportError, "the blob's code for %U is not a code object",
		             name);
		return NULL;
	}
	origin = rt_module_path(e, 0);
	if (!origin) {
		Py_DECREF(code);
		return NULL;
	}
	r = PyObject_CallFunctionObjArgs(rt_imp.fix_co_filename, code, origin, NULL);
	Py_DECREF(origin);
	if (!r) {
		Py_DECREF(code);
		return NULL;
	}
	Py_DECREF(r);
	return code;
}

static PyObject *
importer_exec_module(Importer *self, PyObject *module)
{
	PyObject *name, *dict, *code, *r;
	struct rt_blob_entry e;
	int b;

	name = PyObject_GetAttrString(module, "__name__");
	if (!name)
		return NULL;
	b = is_dotted_builtin(name);
	if (b != 0) {
		Py_DECREF(name);
		if (b < 0)
			return NULL;
		r = PyObject_CallOneArg(rt_imp.exec_builtin, module);
		if (!r)
			return NULL;
		Py_DECREF(r);
		Py_RETURN_NONE;
	}
	if (rt_find_module(name, &e) < 0) {
		PyErr_Format(PyExc_ImportError, "%U is not in this binary", name);
		Py_DECREF(name);
		return NULL;
	}
	if (e.flags & RT_BLOB_NAMESPACE) {
		Py_DECREF(name);
		Py_RETURN_NONE;         /* a namespace package has no code */
	}
	code = load_code(&e, name);
	Py_DECREF(name);
	if (!code)
		return NULL;
	dict = PyModule_GetDict(module);
	/* A module body needs __builtins__ in its globals, as exec() gives it. */
	if (PyDict_GetItemString(dict, "__builtins__") == NULL &&
	    PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()) < 0) {
		Py_DECREF(code);
		return NULL;
	}
	r = PyEval_EvalCode(code, dict, dict);
	Py_DECREF(code);
	if (!r)
		return NULL;
	Py_DECREF(r);
	if (strcmp(e.name, "linecache") == 0 && rt_patch_linecache(module) < 0)
		return NULL;
	if (rt_imp.no_mp_children && strcmp(e.name, "multiprocessing.spawn") == 0 &&
	    rt_refuse_mp_children(dict) < 0)
		return NULL;
	Py_RETURN_NONE;
}

/* The name the application's code runs under: __main__ reads __pyweld_main__. */
static const char main_alias[] = "__pyweld_main__";

/* A module entry by name for the loader API, or an ImportError. */
int
rt_importer_entry(PyObject *name, struct rt_blob_entry *e)
{
	if (!PyUnicode_Check(name)) {
		PyErr_SetString(PyExc_TypeError, "a module name must be a str");
		return -1;
	}
	/* linecache asks __main__'s loader for "__main__": the module that runs
	 * as __main__ is __main__.__spec__.name (-m json.tool), or the entry. */
	if (PyUnicode_CompareWithASCIIString(name, "__main__") == 0) {
		PyObject *mods = PySys_GetObject("modules"), *main, *spec, *sname = NULL;
		main = mods ? PyDict_GetItemString(mods, "__main__") : NULL;
		spec = main ? PyObject_GetAttrString(main, "__spec__") : NULL;
		if (spec && spec != Py_None)
			sname = PyObject_GetAttrString(spec, "name");
		PyErr_Clear();
		Py_XDECREF(spec);
		int64_t i = -1;
		if (sname && PyUnicode_Check(sname))
			i = rt_find_module(sname, e);
		Py_XDECREF(sname);
		if (i < 0)
			i = rt_find(RT_BLOB_MODULE, main_alias, (Py_ssize_t)sizeof(main_alias) - 1);
		if (i >= 0) {
			rt_blob_get(&rt_imp.blob, (uint32_t)i, e);
			return 0;
		}
	}
	if (rt_find_module(name, e) < 0) {
		PyErr_Format(PyExc_ImportError, "%U is not in this binary", name);
		return -1;
	}
	return 0;
}

static PyObject *
importer_get_code(Importer *self, PyObject *name)
{
	struct rt_blob_entry e;

	if (rt_importer_entry(name, &e) < 0)
		return NULL;
	if (e.flags & RT_BLOB_NAMESPACE)
		Py_RETURN_NONE;
	return load_code(&e, name);
}

static PyObject *
importer_get_source(Importer *self, PyObject *name)
{
	struct rt_blob_entry e;

	if (rt_importer_entry(name, &e) < 0)
		return NULL;
	if (!e.source)
		Py_RETURN_NONE;
	/* As SourceLoader does: the coding cookie, universal newlines. */
	PyObject *bytes = rt_source_bytes(&e);
	PyObject *text = bytes ? PyObject_CallOneArg(rt_imp.decode_source, bytes) : NULL;
	Py_XDECREF(bytes);
	return text;
}

static PyObject *
importer_is_package(Importer *self, PyObject *name)
{
	struct rt_blob_entry e;

	if (rt_importer_entry(name, &e) < 0)
		return NULL;
	return PyBool_FromLong((e.flags & (RT_BLOB_PACKAGE | RT_BLOB_NAMESPACE)) != 0);
}

static PyObject *
importer_get_filename(Importer *self, PyObject *name)
{
	struct rt_blob_entry e;

	if (rt_importer_entry(name, &e) < 0)
		return NULL;
	return rt_module_path(&e, 0);
}

/* get_data(path): a resource, a metadata file, or a module's source, by
 * its path under the binary. */
static PyObject *
importer_get_data(Importer *self, PyObject *path)
{
	Py_ssize_t len;
	const char *rel = rt_inside(path, &len);
	struct rt_blob_entry e;
	int64_t i;

	if (rel) {
		if ((i = rt_find(RT_BLOB_RESOURCE, rel, len)) >= 0 ||
		    (i = rt_find(RT_BLOB_METADATA, rel, len)) >= 0) {
			rt_blob_get(&rt_imp.blob, (uint32_t)i, &e);
			if (rt_verified(&e) < 0)
				return NULL;
			return PyBytes_FromStringAndSize((const char *)e.data, e.data_len);
		}
		/* "json/decoder.py" or "json/__init__.py": the module's source. */
		if (len > 3 && !memcmp(rel + len - 3, ".py", 3)) {
			char *dotted = PyMem_Malloc((size_t)len);
			Py_ssize_t n = len - 3;
			if (!dotted)
				return PyErr_NoMemory();
			memcpy(dotted, rel, (size_t)n);
			if (n > 9 && !memcmp(dotted + n - 9, "/__init__", 9))
				n -= 9;
			for (Py_ssize_t k = 0; k < n; k++)
				if (dotted[k] == '/')
					dotted[k] = '.';
			i = rt_find(RT_BLOB_MODULE, dotted, n);
			PyMem_Free(dotted);
			if (i >= 0) {
				rt_blob_get(&rt_imp.blob, (uint32_t)i, &e);
				if (e.source)
					return rt_source_bytes(&e);
			}
		}
	}
	errno = ENOENT;
	PyErr_SetFromErrnoWithFilenameObject(PyExc_FileNotFoundError, path);
	return NULL;
}


static PyObject *
importer_invalidate_caches(Importer *self, PyObject *unused)
{
	Py_RETURN_NONE;
}

static PyObject *
importer_repr(Importer *self)
{
	if (self->prefix)
		return PyUnicode_FromFormat("<pyweld memory importer for %U/%U>",
		                            rt_imp.exe_path, self->prefix);
	return PyUnicode_FromFormat("<pyweld memory importer for %U>", rt_imp.exe_path);
}

static void
importer_dealloc(Importer *self)
{
	Py_XDECREF(self->prefix);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef importer_methods[] = {
	{ "find_spec", (PyCFunction)(void (*)(void))importer_find_spec,
	  METH_VARARGS | METH_KEYWORDS, "Find a module of the binary." },
	{ "create_module", (PyCFunction)importer_create_module, METH_O, NULL },
	{ "exec_module", (PyCFunction)importer_exec_module, METH_O, NULL },
	{ "get_code", (PyCFunction)importer_get_code, METH_O, NULL },
	{ "get_source", (PyCFunction)importer_get_source, METH_O, NULL },
	{ "is_package", (PyCFunction)importer_is_package, METH_O, NULL },
	{ "get_filename", (PyCFunction)importer_get_filename, METH_O, NULL },
	{ "get_data", (PyCFunction)importer_get_data, METH_O,
	  "The bytes of a resource, metadata file or module source by its path." },
	{ "get_resource_reader", (PyCFunction)rt_importer_get_resource_reader, METH_O, NULL },
	{ "find_distributions", (PyCFunction)(void (*)(void))rt_importer_find_distributions,
	  METH_VARARGS | METH_KEYWORDS, NULL },
	{ "iter_modules", (PyCFunction)rt_importer_iter_modules, METH_VARARGS, NULL },
	{ "invalidate_caches", (PyCFunction)importer_invalidate_caches, METH_NOARGS, NULL },
	{ NULL, NULL, 0, NULL },
};

PyTypeObject rt_importer_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "_pyweld.MemoryImporter",
	.tp_basicsize = sizeof(Importer),
	.tp_dealloc = (destructor)importer_dealloc,
	.tp_repr = (reprfunc)importer_repr,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Imports the modules welded into this binary from memory.",
	.tp_methods = importer_methods,
};

PyObject *
rt_importer_new(PyObject *prefix, int is_entry)
{
	Importer *im = PyObject_New(Importer, &rt_importer_type);

	if (!im)
		return NULL;
	Py_XINCREF(prefix);
	im->prefix = prefix;
	im->is_entry = is_entry;
	return (PyObject *)im;
}

/* sys.path_hooks entry: the binary itself, or a package directory in it. */
PyObject *
rt_path_hook(PyObject *mod, PyObject *path)
{
	Py_ssize_t len;
	const char *rel;
	PyObject *dotted, *r;

	if (PyUnicode_Check(path) && PyUnicode_Compare(path, rt_imp.exe_path) == 0)
		return rt_importer_new(NULL, 1);
	rel = rt_inside(path, &len);
	if (!rel || len == 0)
		goto no;
	{
		char *buf = PyMem_Malloc((size_t)len + 2);
		if (!buf)
			return PyErr_NoMemory();
		memcpy(buf, rel, (size_t)len);
		for (Py_ssize_t k = 0; k < len; k++)
			if (buf[k] == '/')
				buf[k] = '.';
		int64_t i = rt_find(RT_BLOB_MODULE, buf, len);
		struct rt_blob_entry e;
		if (i < 0) {
			PyMem_Free(buf);
			goto no;
		}
		rt_blob_get(&rt_imp.blob, (uint32_t)i, &e);
		if (!(e.flags & (RT_BLOB_PACKAGE | RT_BLOB_NAMESPACE))) {
			PyMem_Free(buf);
			goto no;
		}
		buf[len] = '.';
		buf[len + 1] = '\0';
		dotted = PyUnicode_FromString(buf);
		PyMem_Free(buf);
	}
	if (!dotted)
		return NULL;
	r = rt_importer_new(dotted, 1);
	Py_DECREF(dotted);
	return r;
no:
	PyErr_SetString(PyExc_ImportError, "not a path inside this binary");
	return NULL;
}

PyObject *
rt_entry_code(const char *name)
{
	PyObject *n = PyUnicode_FromString(name), *code;
	struct rt_blob_entry e;

	if (!n)
		return NULL;
	if (rt_find_module(n, &e) < 0) {
		PyErr_Format(PyExc_ImportError, "the entry point %U is not in this binary", n);
		Py_DECREF(n);
		return NULL;
	}
	code = load_code(&e, n);
	Py_DECREF(n);
	return code;
}

int
rt_main_globals(PyObject *dict, const char *name)
{
	PyObject *n = PyUnicode_FromString(name), *file, *loader;
	struct rt_blob_entry e;
	int rc = -1;

	if (!n)
		return -1;
	if (rt_find_module(n, &e) < 0) {
		PyErr_Format(PyExc_ImportError, "the entry point %U is not in this binary", n);
		Py_DECREF(n);
		return -1;
	}
	file = rt_module_path(&e, 0);
	loader = PyImport_ImportModule("_pyweld");
	PyObject *im = loader ? PyObject_GetAttrString(loader, "importer") : NULL;
	/* A spec, so that multiprocessing's spawn children import the entry
	 * (as __mp_main__) from the blob instead of running a file by path. */
	PyObject *spec = im ? make_spec(im, n, &e) : NULL;
	if (file && im && spec && PyDict_SetItemString(dict, "__file__", file) == 0 &&
	    PyDict_SetItemString(dict, "__loader__", im) == 0 &&
	    PyDict_SetItemString(dict, "__spec__", spec) == 0 &&
	    PyDict_SetItemString(dict, "__cached__", Py_None) == 0 &&
	    (PyDict_GetItemString(dict, "__builtins__") ||
	     PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()) == 0))
		rc = 0;
	Py_XDECREF(spec);
	Py_XDECREF(im);
	Py_XDECREF(loader);
	Py_XDECREF(file);
	Py_DECREF(n);
	return rc;
}

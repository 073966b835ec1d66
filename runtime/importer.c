/*
 * importer.c: importing from memory.
 *
 * The modules, package resources and distribution metadata of a welded
 * binary live in its resource blob (blob.h), linked into the executable and
 * read in place.  One importer object serves them:
 *
 *   - first on sys.meta_path: find_spec() answers for every module of the
 *     blob and for the dotted built-in extension modules of the inittab
 *     (CPython 3.11's BuiltinImporter does not find "pkg.mod" built-ins);
 *   - as the loader: exec_module() runs the module's code, unmarshalled
 *     straight from the blob or, for the standard library, the copy the
 *     distribution deep-froze into C data (rt_frozen_code); get_code,
 *     get_source, is_package, get_filename and get_data (for paths under
 *     the binary) work as zipimport's do, so linecache, inspect and
 *     pkgutil.get_data work;
 *   - get_resource_reader() and find_distributions() hand over to the
 *     Python helper _pyweld_resources (importlib.resources and
 *     importlib.metadata need Python classes), which reads through the
 *     built-in module _pyweld;
 *   - as a sys.path_hooks entry for the binary's own path and the package
 *     directories under it, so pkgutil.iter_modules and walk_packages list
 *     what the blob holds.
 *
 * Modules get __file__ = "<binary>/json/decoder.py" (zipimport's scheme):
 * code that does path arithmetic on __file__ does not crash, and get_data
 * serves such paths.  Nothing here touches the file system.
 */
#include "rt.h"

#include <errno.h>
#include <marshal.h>
#include <string.h>

#include "blob.h"

static struct rt_blob blob;
static PyObject *exe_path;              /* str: the binary */
static PyObject *spec_type;             /* importlib's ModuleSpec */
static PyObject *create_builtin;        /* _imp.create_builtin */
static PyObject *exec_builtin;          /* _imp.exec_builtin */
static PyObject *fix_co_filename;       /* _imp._fix_co_filename */
static PyObject *decode_source;         /* importlib's decode_source (coding cookies) */
static PyObject *namespace_path;        /* importlib's _NamespacePath */
static PyObject *path_finder_get_spec;  /* PathFinder._get_spec */
static char damaged[256];               /* the first entry that failed its checksum */
static PyObject *dotted_builtins;       /* frozenset of "pkg.mod" built-ins */
static const struct _inittab *extra_tab; /* the program's own registered modules */
static int no_mp_children;              /* rt_app's: built without multiprocessing's
                                         * child interpreters */
static size_t nfrozen;                  /* entries in rt_frozen_code */

void
rt_add_dotted(const struct _inittab *tab)
{
	extra_tab = tab;
}

/* --- lookups -------------------------------------------------------------- */

static int64_t
find(unsigned kind, const char *name, Py_ssize_t len)
{
	return rt_blob_find(&blob, kind, name, (size_t)len);
}

/* Checks an entry's payloads before use; -1 with ImportError set. */
static int
verified(const struct rt_blob_entry *e)
{
	if (rt_blob_verify(e) == 0)
		return 0;
	if (!damaged[0])
		snprintf(damaged, sizeof(damaged), "%.*s", (int)e->name_len, e->name);
	PyErr_Format(PyExc_ImportError, "the binary's copy of %s is damaged (it fails "
	             "its checksum); rebuild the binary", e->name);
	return -1;
}

const char *
rt_blob_damaged(void)
{
	return damaged[0] ? damaged : NULL;
}

/* The module entry for a str name, or -1 (no exception). */
static int64_t
find_module(PyObject *name, struct rt_blob_entry *e)
{
	Py_ssize_t len;
	const char *s = PyUnicode_AsUTF8AndSize(name, &len);
	int64_t i;

	if (!s) {
		PyErr_Clear();
		return -1;
	}
	i = find(RT_BLOB_MODULE, s, len);
	if (i >= 0)
		rt_blob_get(&blob, (uint32_t)i, e);
	return i;
}

/* "<binary>/json/decoder.py" or "<binary>/json/__init__.py" or "<binary>/zope". */
static PyObject *
module_path(const struct rt_blob_entry *e, int dir_only)
{
	PyObject *rel, *path;
	char *buf = PyMem_Malloc(e->name_len + 16);

	if (!buf)
		return PyErr_NoMemory();
	memcpy(buf, e->name, e->name_len);
	buf[e->name_len] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '.')
			*p = '/';
	if (!dir_only)
		strcat(buf, (e->flags & RT_BLOB_PACKAGE) ? "/__init__.py" : ".py");
	rel = PyUnicode_FromString(buf);
	PyMem_Free(buf);
	if (!rel)
		return NULL;
	path = PyUnicode_FromFormat("%U/%U", exe_path, rel);
	Py_DECREF(rel);
	return path;
}

/* The part of path after "<binary>/", as UTF-8, or NULL (no exception). */
static const char *
inside(PyObject *path, Py_ssize_t *len)
{
	Py_ssize_t n, m;
	const char *s, *x;

	if (!PyUnicode_Check(path))
		return NULL;
	s = PyUnicode_AsUTF8AndSize(path, &n);
	x = PyUnicode_AsUTF8AndSize(exe_path, &m);
	if (!s || !x) {
		PyErr_Clear();
		return NULL;
	}
	if (n < m + 1 || memcmp(s, x, (size_t)m) != 0 || s[m] != '/')
		return NULL;
	*len = n - m - 1;
	return s + m + 1;
}

/* --- the importer type --------------------------------------------------- */

static PyObject *helper(const char *fn, PyObject *args);

typedef struct {
	PyObject_HEAD
	PyObject *prefix;       /* NULL, or "json." for the entry of a package directory */
	int is_entry;           /* a sys.path_hooks finder, not the meta path finder */
} Importer;

static PyTypeObject ImporterType;

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
		spec = PyObject_CallFunctionObjArgs(path_finder_get_spec, name, parent_path, NULL);
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
		origin = module_path(e, 0);
		if (!origin)
			return NULL;
		kw = Py_BuildValue("{s:O, s:O}", "origin", origin, "is_package",
		                   is_pkg ? Py_True : Py_False);
		args = PyTuple_Pack(2, name, self);
	}
	spec = kw && args ? PyObject_Call(spec_type, args, kw) : NULL;
	Py_XDECREF(kw);
	Py_XDECREF(args);
	if (!spec)
		goto fail;
	if (origin && PyObject_SetAttrString(spec, "has_location", Py_True) < 0)
		goto fail;
	if (is_pkg) {
		PyObject *dir = module_path(e, 1);
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
			PyObject *ns = PyObject_CallFunctionObjArgs(namespace_path, name, locs,
			                                            path_finder_get_spec, NULL);
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
	PyObject *spec = args ? PyObject_Call(spec_type, args, kw) : NULL;

	Py_XDECREF(kw);
	Py_XDECREF(args);
	return spec;
}

static int
is_dotted_builtin(PyObject *name)
{
	return dotted_builtins ? PySet_Contains(dotted_builtins, name) : 0;
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
	if (find_module(name, &e) < 0)
		Py_RETURN_NONE;
	if ((e.flags & RT_BLOB_NAMESPACE) && self->is_entry) {
		/* To PathFinder, a namespace portion: no loader, one location. */
		PyObject *dir = module_path(&e, 1), *kw, *a, *spec;
		if (!dir)
			return NULL;
		kw = Py_BuildValue("{s:O}", "is_package", Py_True);
		a = PyTuple_Pack(2, name, Py_None);
		spec = kw && a ? PyObject_Call(spec_type, a, kw) : NULL;
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
	/*
	 * A single-phase extension names itself by its short m_name; the .so
	 * loader sets _Py_PackageContext so that it takes the dotted name.
	 */
	dotted = PyUnicode_AsUTF8(name);
	if (!dotted) {
		Py_DECREF(name);
		return NULL;
	}
	saved = _Py_PackageContext;
	_Py_PackageContext = dotted;
	mod = PyObject_CallOneArg(create_builtin, spec);
	_Py_PackageContext = saved;
	Py_DECREF(name);
	return mod;
}

static int
cmp_frozen_name(const void *key, const void *entry)
{
	return strcmp(key, ((const struct rt_frozen_code *)entry)->name);
}

/* The deep-frozen code of a module, or NULL. */
static const struct rt_frozen_code *
frozen_code(const char *name)
{
	return nfrozen ? bsearch(name, rt_frozen_code, nfrozen, sizeof(rt_frozen_code[0]),
	                         cmp_frozen_name) : NULL;
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
		if ((f = frozen_code(e->name)) == NULL) {
			PyErr_Format(PyExc_ImportError, "the binary has no deep-frozen code for %U, "
			             "which its blob promises; rebuild the binary", name);
			return NULL;
		}
		code = f->get();
	} else if (verified(e) < 0) {
		return NULL;
	} else {
		code = PyMarshal_ReadObjectFromString((const char *)e->data, e->data_len);
	}
	if (!code)
		return NULL;
	if (!PyCode_Check(code)) {
		Py_DECREF(code);
		PyErr_Format(PyExc_ImportError, "the blob's code for %U is not a code object",
		             name);
		return NULL;
	}
	origin = module_path(e, 0);
	if (!origin) {
		Py_DECREF(code);
		return NULL;
	}
	r = PyObject_CallFunctionObjArgs(fix_co_filename, code, origin, NULL);
	Py_DECREF(origin);
	if (!r) {
		Py_DECREF(code);
		return NULL;
	}
	Py_DECREF(r);
	return code;
}

/*
 * linecache finds a file by stat() or through module globals, and warnings
 * and traceback.print_stack give it neither: its updatecache learns the
 * welded sources by their path under the binary.  Run from here, not from
 * _pyweld_resources, whose imports (importlib.resources, pathlib, tempfile:
 * 40 modules) every program that imports traceback or logging would pay.
 */
static const char linecache_patch_py[] =
	"def patch(lc, prefix, decode_source):\n"
	"    original = lc.updatecache\n"
	"    def updatecache(filename, module_globals=None):\n"
	"        lines = original(filename, module_globals)\n"
	"        if lines or not filename.startswith(prefix):\n"
	"            return lines\n"
	"        import _pyweld\n"
	"        try:\n"
	"            data = _pyweld.importer.get_data(filename)\n"
	"        except OSError:\n"
	"            return []\n"
	"        lines = decode_source(data).splitlines(True)\n"
	"        if lines and not lines[-1].endswith('\\n'):\n"
	"            lines[-1] += '\\n'\n"
	"        lc.cache[filename] = (len(data), None, lines, filename)\n"
	"        return lines\n"
	"    lc.updatecache = updatecache\n";

static int
patch_linecache(PyObject *lc)
{
	PyObject *code = Py_CompileString(linecache_patch_py, "<pyweld linecache>", Py_file_input);
	PyObject *g = code ? PyDict_New() : NULL, *r = NULL, *prefix = NULL;

	if (g && PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins()) == 0)
		r = PyEval_EvalCode(code, g, g);
	if (r) {
		Py_DECREF(r);
		prefix = PyUnicode_FromFormat("%U/", exe_path);
		PyObject *patch = prefix ? PyDict_GetItemString(g, "patch") : NULL;
		r = patch ? PyObject_CallFunctionObjArgs(patch, lc, prefix, decode_source, NULL)
		    : NULL;
	}
	Py_XDECREF(prefix);
	Py_XDECREF(g);
	Py_XDECREF(code);
	if (!r)
		return -1;
	Py_DECREF(r);
	return 0;
}

/*
 * An application built with --no-multiprocessing-children never acts as
 * python for multiprocessing's children (lib.c), so it does not start
 * any: spawn, the fork server and the resource tracker all ask
 * multiprocessing.spawn.get_executable() what to run, and this one, run in
 * the module's namespace after its body, raises instead.  Process.start()
 * and Pool() then fail at once in the parent with this message, where a
 * child would have died at start (and a pool restarted it forever).  The
 * 'fork' start method, which runs no interpreter, is not concerned.
 */
static const char mp_refuse_py[] =
	"def get_executable():\n"
	"    raise RuntimeError('this program was built with --no-multiprocessing-children: '\n"
	"                       'it cannot be started as a multiprocessing child interpreter '\n"
	"                       '(the spawn and forkserver start methods, the resource tracker '\n"
	"                       'of shared_memory); use the fork start method')\n";

static int
refuse_mp_children(PyObject *dict)
{
	PyObject *code = Py_CompileString(mp_refuse_py, "<pyweld --no-multiprocessing-children>",
	                                  Py_file_input);
	PyObject *r = code ? PyEval_EvalCode(code, dict, dict) : NULL;

	Py_XDECREF(code);
	if (!r)
		return -1;
	Py_DECREF(r);
	return 0;
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
		r = PyObject_CallOneArg(exec_builtin, module);
		if (!r)
			return NULL;
		Py_DECREF(r);
		Py_RETURN_NONE;
	}
	if (find_module(name, &e) < 0) {
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
	if (strcmp(e.name, "linecache") == 0 && patch_linecache(module) < 0)
		return NULL;
	if (no_mp_children && strcmp(e.name, "multiprocessing.spawn") == 0 &&
	    refuse_mp_children(dict) < 0)
		return NULL;
	Py_RETURN_NONE;
}

/* The name the application's code runs under: __main__ reads __pyweld_main__. */
static const char main_alias[] = "__pyweld_main__";

/* A module entry by name for the loader API, or an ImportError. */
static int
entry_or_error(PyObject *name, struct rt_blob_entry *e)
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
			i = find_module(sname, e);
		Py_XDECREF(sname);
		if (i < 0)
			i = find(RT_BLOB_MODULE, main_alias, (Py_ssize_t)sizeof(main_alias) - 1);
		if (i >= 0) {
			rt_blob_get(&blob, (uint32_t)i, e);
			return 0;
		}
	}
	if (find_module(name, e) < 0) {
		PyErr_Format(PyExc_ImportError, "%U is not in this binary", name);
		return -1;
	}
	return 0;
}

static PyObject *
importer_get_code(Importer *self, PyObject *name)
{
	struct rt_blob_entry e;

	if (entry_or_error(name, &e) < 0)
		return NULL;
	if (e.flags & RT_BLOB_NAMESPACE)
		Py_RETURN_NONE;
	return load_code(&e, name);
}

static PyObject *
importer_get_source(Importer *self, PyObject *name)
{
	struct rt_blob_entry e;

	if (entry_or_error(name, &e) < 0)
		return NULL;
	if (!e.source)
		Py_RETURN_NONE;
	if (verified(&e) < 0)
		return NULL;
	/* As SourceLoader does: the coding cookie, universal newlines. */
	PyObject *bytes = PyBytes_FromStringAndSize((const char *)e.source, e.source_len);
	PyObject *text = bytes ? PyObject_CallOneArg(decode_source, bytes) : NULL;
	Py_XDECREF(bytes);
	return text;
}

static PyObject *
importer_is_package(Importer *self, PyObject *name)
{
	struct rt_blob_entry e;

	if (entry_or_error(name, &e) < 0)
		return NULL;
	return PyBool_FromLong((e.flags & (RT_BLOB_PACKAGE | RT_BLOB_NAMESPACE)) != 0);
}

static PyObject *
importer_get_filename(Importer *self, PyObject *name)
{
	struct rt_blob_entry e;

	if (entry_or_error(name, &e) < 0)
		return NULL;
	return module_path(&e, 0);
}

/* get_data(path): a resource, a metadata file, or a module's source, by
 * its path under the binary. */
static PyObject *
importer_get_data(Importer *self, PyObject *path)
{
	Py_ssize_t len;
	const char *rel = inside(path, &len);
	struct rt_blob_entry e;
	int64_t i;

	if (rel) {
		if ((i = find(RT_BLOB_RESOURCE, rel, len)) >= 0 ||
		    (i = find(RT_BLOB_METADATA, rel, len)) >= 0) {
			rt_blob_get(&blob, (uint32_t)i, &e);
			if (verified(&e) < 0)
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
			i = find(RT_BLOB_MODULE, dotted, n);
			PyMem_Free(dotted);
			if (i >= 0) {
				rt_blob_get(&blob, (uint32_t)i, &e);
				if (e.source && verified(&e) < 0)
					return NULL;
				if (e.source)
					return PyBytes_FromStringAndSize((const char *)e.source,
					                                 e.source_len);
			}
		}
	}
	errno = ENOENT;
	PyErr_SetFromErrnoWithFilenameObject(PyExc_FileNotFoundError, path);
	return NULL;
}

/* Hands a call to _pyweld_resources.<fn>(*args). */
static PyObject *
helper(const char *fn, PyObject *args)
{
	PyObject *mod = PyImport_ImportModule("_pyweld_resources"), *f, *r;

	if (!mod)
		return NULL;
	f = PyObject_GetAttrString(mod, fn);
	Py_DECREF(mod);
	if (!f)
		return NULL;
	r = PyObject_Call(f, args, NULL);
	Py_DECREF(f);
	return r;
}

static PyObject *
importer_get_resource_reader(Importer *self, PyObject *name)
{
	struct rt_blob_entry e;
	PyObject *args, *r;

	if (entry_or_error(name, &e) < 0)
		return NULL;
	if (!(e.flags & (RT_BLOB_PACKAGE | RT_BLOB_NAMESPACE)))
		Py_RETURN_NONE;
	args = PyTuple_Pack(1, name);
	if (!args)
		return NULL;
	r = helper("reader", args);
	Py_DECREF(args);
	return r;
}

static PyObject *
importer_find_distributions(Importer *self, PyObject *args, PyObject *kwargs)
{
	PyObject *context = NULL, *a, *r;

	if (!PyArg_ParseTuple(args, "|O:find_distributions", &context))
		return NULL;
	if (kwargs && PyDict_GET_SIZE(kwargs)) {
		/* importlib.metadata passes name=..., path=... as a Context. */
		PyObject *mod = PyImport_ImportModule("importlib.metadata");
		PyObject *ctx = mod ? PyObject_GetAttrString(mod, "DistributionFinder") : NULL;
		PyObject *ctxcls = ctx ? PyObject_GetAttrString(ctx, "Context") : NULL;
		PyObject *empty = PyTuple_New(0);
		context = ctxcls && empty ? PyObject_Call(ctxcls, empty, kwargs) : NULL;
		Py_XDECREF(mod);
		Py_XDECREF(ctx);
		Py_XDECREF(ctxcls);
		Py_XDECREF(empty);
		if (!context)
			return NULL;
		a = PyTuple_Pack(1, context);
		Py_DECREF(context);
	} else {
		a = context ? PyTuple_Pack(1, context) : PyTuple_New(0);
	}
	if (!a)
		return NULL;
	r = helper("find_distributions", a);
	Py_DECREF(a);
	return r;
}

/* pkgutil: (name, ispkg) of the direct children of this entry's package. */
static PyObject *
importer_iter_modules(Importer *self, PyObject *args)
{
	const char *prefix = "", *pfx_out = "";
	Py_ssize_t plen = 0;
	PyObject *list, *out_prefix = NULL;

	if (!PyArg_ParseTuple(args, "|U:iter_modules", &out_prefix))
		return NULL;
	if (self->prefix && !(prefix = PyUnicode_AsUTF8AndSize(self->prefix, &plen)))
		return NULL;
	if (out_prefix && !(pfx_out = PyUnicode_AsUTF8(out_prefix)))
		return NULL;
	list = PyList_New(0);
	if (!list)
		return NULL;
	for (uint32_t i = rt_blob_lower_bound(&blob, RT_BLOB_MODULE, prefix, (size_t)plen);
	     i < blob.count; i++) {
		struct rt_blob_entry e;
		rt_blob_get(&blob, i, &e);
		if ((e.flags & RT_BLOB_KIND_MASK) != RT_BLOB_MODULE ||
		    e.name_len < (uint32_t)plen || memcmp(e.name, prefix, (size_t)plen) != 0)
			break;
		const char *leaf = e.name + plen;
		if (!*leaf || strchr(leaf, '.'))
			continue;
		PyObject *t = Py_BuildValue("(NO)", PyUnicode_FromFormat("%s%s", pfx_out, leaf),
		                            (e.flags & (RT_BLOB_PACKAGE | RT_BLOB_NAMESPACE))
		                            ? Py_True : Py_False);
		if (!t || PyList_Append(list, t) < 0) {
			Py_XDECREF(t);
			Py_DECREF(list);
			return NULL;
		}
		Py_DECREF(t);
	}
	/* Built-in extension modules of this package ("pkg._speedups"). */
	if (dotted_builtins) {
		PyObject *iter = PyObject_GetIter(dotted_builtins), *n;
		while (iter && (n = PyIter_Next(iter))) {
			Py_ssize_t nl;
			const char *ns = PyUnicode_AsUTF8AndSize(n, &nl);
			if (ns && nl > plen && !strncmp(ns, prefix, (size_t)plen) &&
			    !strchr(ns + plen, '.')) {
				PyObject *t = Py_BuildValue("(NO)", PyUnicode_FromFormat("%s%s", pfx_out,
				                            ns + plen), Py_False);
				if (!t || PyList_Append(list, t) < 0) {
					Py_XDECREF(t);
					Py_DECREF(n);
					Py_DECREF(iter);
					Py_DECREF(list);
					return NULL;
				}
				Py_DECREF(t);
			}
			Py_DECREF(n);
		}
		Py_XDECREF(iter);
		if (PyErr_Occurred()) {
			Py_DECREF(list);
			return NULL;
		}
		if (PyList_Sort(list) < 0) {
			Py_DECREF(list);
			return NULL;
		}
	}
	PyObject *it = PyObject_GetIter(list);
	Py_DECREF(list);
	return it;
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
		return PyUnicode_FromFormat("<pyweld memory importer for %U/%U>", exe_path,
		                            self->prefix);
	return PyUnicode_FromFormat("<pyweld memory importer for %U>", exe_path);
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
	{ "get_resource_reader", (PyCFunction)importer_get_resource_reader, METH_O, NULL },
	{ "find_distributions", (PyCFunction)(void (*)(void))importer_find_distributions,
	  METH_VARARGS | METH_KEYWORDS, NULL },
	{ "iter_modules", (PyCFunction)importer_iter_modules, METH_VARARGS, NULL },
	{ "invalidate_caches", (PyCFunction)importer_invalidate_caches, METH_NOARGS, NULL },
	{ NULL, NULL, 0, NULL },
};

static PyTypeObject ImporterType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "_pyweld.MemoryImporter",
	.tp_basicsize = sizeof(Importer),
	.tp_dealloc = (destructor)importer_dealloc,
	.tp_repr = (reprfunc)importer_repr,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Imports the modules welded into this binary from memory.",
	.tp_methods = importer_methods,
};

static PyObject *
new_importer(PyObject *prefix, int is_entry)
{
	Importer *im = PyObject_New(Importer, &ImporterType);

	if (!im)
		return NULL;
	Py_XINCREF(prefix);
	im->prefix = prefix;
	im->is_entry = is_entry;
	return (PyObject *)im;
}

/* sys.path_hooks entry: the binary itself, or a package directory in it. */
static PyObject *
path_hook(PyObject *mod, PyObject *path)
{
	Py_ssize_t len;
	const char *rel;
	PyObject *dotted, *r;

	if (PyUnicode_Check(path) && PyUnicode_Compare(path, exe_path) == 0)
		return new_importer(NULL, 1);
	rel = inside(path, &len);
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
		int64_t i = find(RT_BLOB_MODULE, buf, len);
		struct rt_blob_entry e;
		if (i < 0) {
			PyMem_Free(buf);
			goto no;
		}
		rt_blob_get(&blob, (uint32_t)i, &e);
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
	r = new_importer(dotted, 1);
	Py_DECREF(dotted);
	return r;
no:
	PyErr_SetString(PyExc_ImportError, "not a path inside this binary");
	return NULL;
}

/* --- _pyweld: what the Python helper reads through ----------------------- */

/* read(kind, name) -> bytes or None */
static PyObject *
mod_read(PyObject *mod, PyObject *args)
{
	unsigned kind;
	const char *name;
	Py_ssize_t len;
	struct rt_blob_entry e;
	int64_t i;

	if (!PyArg_ParseTuple(args, "Is#:read", &kind, &name, &len))
		return NULL;
	i = find(kind, name, len);
	if (i < 0)
		Py_RETURN_NONE;
	rt_blob_get(&blob, (uint32_t)i, &e);
	if (verified(&e) < 0)
		return NULL;
	if (kind == RT_BLOB_MODULE) {
		if (!e.source)
			Py_RETURN_NONE;
		return PyBytes_FromStringAndSize((const char *)e.source, e.source_len);
	}
	return PyBytes_FromStringAndSize((const char *)e.data, e.data_len);
}

/* deep_frozen(name) -> whether the module's code is the distribution's deep-frozen copy */
static PyObject *
mod_deep_frozen(PyObject *mod, PyObject *arg)
{
	struct rt_blob_entry e;

	if (!PyUnicode_Check(arg)) {
		PyErr_Format(PyExc_TypeError, "deep_frozen() wants a str, not %.100s",
		             Py_TYPE(arg)->tp_name);
		return NULL;
	}
	if (find_module(arg, &e) < 0)
		Py_RETURN_FALSE;
	return PyBool_FromLong((e.flags & RT_BLOB_FROZEN) && frozen_code(e.name) != NULL);
}

/* names(kind, prefix) -> list of (name, flags) whose name starts with prefix */
static PyObject *
mod_names(PyObject *mod, PyObject *args)
{
	unsigned kind;
	const char *prefix;
	Py_ssize_t len;
	PyObject *list;

	if (!PyArg_ParseTuple(args, "Is#:names", &kind, &prefix, &len))
		return NULL;
	list = PyList_New(0);
	if (!list)
		return NULL;
	for (uint32_t i = rt_blob_lower_bound(&blob, kind, prefix, (size_t)len);
	     i < blob.count; i++) {
		struct rt_blob_entry e;
		rt_blob_get(&blob, i, &e);
		if ((e.flags & RT_BLOB_KIND_MASK) != kind || e.name_len < (uint32_t)len ||
		    memcmp(e.name, prefix, (size_t)len) != 0)
			break;
		PyObject *t = Py_BuildValue("(s#I)", e.name, (Py_ssize_t)e.name_len, e.flags);
		if (!t || PyList_Append(list, t) < 0) {
			Py_XDECREF(t);
			Py_DECREF(list);
			return NULL;
		}
		Py_DECREF(t);
	}
	return list;
}

static PyMethodDef mod_methods[] = {
	{ "read", mod_read, METH_VARARGS,
	  "read(kind, name): the bytes of a blob entry (a module's source), or None." },
	{ "names", mod_names, METH_VARARGS,
	  "names(kind, prefix): [(name, flags)] of the entries under prefix." },
	{ "path_hook", path_hook, METH_O, "sys.path_hooks entry for paths in the binary." },
	{ "deep_frozen", mod_deep_frozen, METH_O,
	  "deep_frozen(name): whether the blob's module runs the distribution's deep-frozen "
	  "code (linked in) rather than unmarshalling its own." },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef pyweld_module = {
	PyModuleDef_HEAD_INIT, "_pyweld",
	"pyweld's runtime: the welded binary's blob and importer.", -1, mod_methods,
};

PyMODINIT_FUNC
rt_init_pyweld(void)
{
	PyObject *m = PyModule_Create(&pyweld_module);

	if (!m)
		return NULL;
	if (PyModule_AddIntConstant(m, "MODULE", RT_BLOB_MODULE) < 0 ||
	    PyModule_AddIntConstant(m, "RESOURCE", RT_BLOB_RESOURCE) < 0 ||
	    PyModule_AddIntConstant(m, "METADATA", RT_BLOB_METADATA) < 0 ||
	    PyModule_AddIntConstant(m, "PACKAGE", RT_BLOB_PACKAGE) < 0 ||
	    PyModule_AddIntConstant(m, "NAMESPACE", RT_BLOB_NAMESPACE) < 0 ||
	    PyModule_AddObjectRef(m, "executable", exe_path ? exe_path : Py_None) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}

/* --- the application's code -------------------------------------------------- */

PyObject *
rt_entry_code(const char *name)
{
	PyObject *n = PyUnicode_FromString(name), *code;
	struct rt_blob_entry e;

	if (!n)
		return NULL;
	if (find_module(n, &e) < 0) {
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
	if (find_module(n, &e) < 0) {
		PyErr_Format(PyExc_ImportError, "the entry point %U is not in this binary", n);
		Py_DECREF(n);
		return -1;
	}
	file = module_path(&e, 0);
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

/* --- installation ---------------------------------------------------------- */

int
rt_blob_open(const struct rt_app *app, char *err, size_t errlen)
{
	if (rt_blob_check(&blob, app->blob, (uint64_t)(app->blob_end - app->blob), err,
	                  errlen) < 0)
		return -1;
	/*
	 * The codecs the interpreter imports before it can report anything: a
	 * damaged one would only surface as CPython's "failed to get the Python
	 * codec of the filesystem encoding" with its path dump.  Checked now;
	 * every other module (other codecs too) is checked when it is imported.
	 */
	static const char *const startup[] = {
		"encodings", "encodings.aliases", "encodings.utf_8", "encodings.latin_1",
		"encodings.ascii",
	};
	for (size_t k = 0; k < sizeof(startup) / sizeof(startup[0]); k++) {
		struct rt_blob_entry e;
		int64_t i = rt_blob_find(&blob, RT_BLOB_MODULE, startup[k], strlen(startup[k]));
		if (i < 0)
			continue;
		rt_blob_get(&blob, (uint32_t)i, &e);
		if (rt_blob_verify(&e) < 0) {
			snprintf(err, errlen, "%s fails its checksum", startup[k]);
			return -1;
		}
	}
	return 0;
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

	if (!exe_path)
		return 0;
	/* Interned keys, read from the modules' dicts: a string made for every
	 * lookup, or an attribute lookup that fails and formats its
	 * AttributeError, cost more than the rest of this at every start. */
	for (int k = 0; k < NKEYS; k++)
		if (!(key[k] = PyUnicode_InternFromString(names[k])))
			goto out;
	if (!mods || PySys_SetObject("_stdlib_dir", exe_path) < 0)
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
		if (_PyObject_LookupAttr(spec, key[LOADER], &loader) <= 0 ||
		    loader != frozen_importer)
			goto next;
		if (_PyObject_LookupAttr(spec, key[STATE], &state) <= 0 || state == Py_None)
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

	for (nfrozen = 0; rt_frozen_code[nfrozen].name; nfrozen++)
		;
	no_mp_children = app->no_mp_children;
	exe_path = PyUnicode_DecodeFSDefault(exe);
	bootstrap = exe_path ? PyImport_ImportModule("_frozen_importlib") : NULL;
	imp = bootstrap ? PyImport_ImportModule("_imp") : NULL;
	if (!imp)
		goto out;
	spec_type = PyObject_GetAttrString(bootstrap, "ModuleSpec");
	create_builtin = PyObject_GetAttrString(imp, "create_builtin");
	exec_builtin = PyObject_GetAttrString(imp, "exec_builtin");
	fix_co_filename = PyObject_GetAttrString(imp, "_fix_co_filename");
	if (!spec_type || !create_builtin || !exec_builtin || !fix_co_filename)
		goto out;
	{
		PyObject *ext = PyImport_ImportModule("_frozen_importlib_external");
		PyObject *pf = ext ? PyObject_GetAttrString(ext, "PathFinder") : NULL;
		decode_source = ext ? PyObject_GetAttrString(ext, "decode_source") : NULL;
		namespace_path = ext ? PyObject_GetAttrString(ext, "_NamespacePath") : NULL;
		path_finder_get_spec = pf ? PyObject_GetAttrString(pf, "_get_spec") : NULL;
		Py_XDECREF(pf);
		Py_XDECREF(ext);
		if (!decode_source || !namespace_path || !path_finder_get_spec)
			goto out;
	}
	names = PySet_New(NULL);
	if (!names)
		goto out;
	for (int k = 0; k < 2; k++) {
		for (const struct _inittab *t = k ? extra_tab : app->inittab; t && t->name; t++) {
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
	dotted_builtins = PyFrozenSet_New(names);
	if (!dotted_builtins || PyType_Ready(&ImporterType) < 0)
		goto out;
	im = new_importer(NULL, 0);
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

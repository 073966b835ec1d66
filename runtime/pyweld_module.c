/*
 * pyweld_module.c: the built-in module _pyweld, joined to every binary's
 * inittab (start.c): the blob's primitives that the Python helper
 * _pyweld_resources reads through (read, names, deep_frozen), the path
 * hook, the blob's kind and flag constants, the binary's path, whether the
 * packed tree is readable by path (file_view) and what that view answered
 * (file_view_counts, file_view_trace), how many compressed sources and
 * code payloads were inflated (sources_inflated, code_inflated); install.c
 * adds the importer object as _pyweld.importer.  A damaged entry raises
 * ImportError, never returns bytes.
 */
#include "rt.h"

#include <stdlib.h>
#include <string.h>

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
	i = rt_find(kind, name, len);
	if (i < 0)
		Py_RETURN_NONE;
	rt_blob_get(&rt_imp.blob, (uint32_t)i, &e);
	if (kind == RT_BLOB_MODULE) {
		if (!e.source)
			Py_RETURN_NONE;
		return rt_source_bytes(&e);
	}
	if (rt_verified(&e) < 0)
		return NULL;
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
	if (rt_find_module(arg, &e) < 0)
		Py_RETURN_FALSE;
	return PyBool_FromLong((e.flags & RT_BLOB_FROZEN) &&
	                       rt_frozen_code_find(e.name) != NULL);
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
	for (uint32_t i = rt_blob_lower_bound(&rt_imp.blob, kind, prefix, (size_t)len);
	     i < rt_imp.blob.count; i++) {
		struct rt_blob_entry e;
		rt_blob_get(&rt_imp.blob, i, &e);
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

/* file_view_counts() -> how many calls the view answered, by kind */
static PyObject *
mod_file_view_counts(PyObject *mod, PyObject *unused)
{
	struct rt_fileview_counts c = { 0 };

	if (rt_fileview_counts)
		rt_fileview_counts(&c);
	return Py_BuildValue("{s:k,s:k,s:k,s:k}", "open", c.open, "stat", c.stat, "dir", c.dir,
	                     "other", c.other);
}

/* file_view_trace(on) -> [(call, name)] recorded until now; records from now
 * on when on is true */
static PyObject *
mod_file_view_trace(PyObject *mod, PyObject *arg)
{
	int on = PyObject_IsTrue(arg);
	char *text, *line, *save = NULL;
	PyObject *list;

	if (on < 0)
		return NULL;
	if (!rt_fileview_trace)
		return PyList_New(0);
	text = rt_fileview_trace_take();
	rt_fileview_trace(on);
	list = PyList_New(0);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; list && line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *space = strchr(line, ' ');
		PyObject *t = space ? Py_BuildValue("(s#N)", line, (Py_ssize_t)(space - line),
		                                    PyUnicode_DecodeFSDefault(space + 1))
		                    : Py_BuildValue("(ss)", line, "");
		if (!t || PyList_Append(list, t) < 0)
			Py_CLEAR(list);
		Py_XDECREF(t);
	}
	free(text);
	return list;
}

/* sources_inflated() -> how many compressed sources were inflated so far */
static PyObject *
mod_sources_inflated(PyObject *mod, PyObject *unused)
{
	return PyLong_FromUnsignedLong(rt_blob_inflated());
}

/* code_inflated() -> how many compressed code payloads were inflated so far */
static PyObject *
mod_code_inflated(PyObject *mod, PyObject *unused)
{
	return PyLong_FromUnsignedLong(rt_blob_code_inflated());
}

static PyMethodDef mod_methods[] = {
	{ "read", mod_read, METH_VARARGS,
	  "read(kind, name): the bytes of a blob entry (a module's source), or None." },
	{ "sources_inflated", mod_sources_inflated, METH_NOARGS,
	  "sources_inflated(): how many compressed module sources were inflated so far "
	  "(a traceback's, inspect's or a read by path; never an import's)." },
	{ "code_inflated", mod_code_inflated, METH_NOARGS,
	  "code_inflated(): how many modules' compressed code was inflated so far (one per "
	  "import of a module whose code the weld stored compressed)." },
	{ "names", mod_names, METH_VARARGS,
	  "names(kind, prefix): [(name, flags)] of the entries under prefix." },
	{ "path_hook", rt_path_hook, METH_O, "sys.path_hooks entry for paths in the binary." },
	{ "deep_frozen", mod_deep_frozen, METH_O,
	  "deep_frozen(name): whether the blob's module runs the distribution's deep-frozen "
	  "code (linked in) rather than unmarshalling its own." },
	{ "file_view_counts", mod_file_view_counts, METH_NOARGS,
	  "file_view_counts(): {open, stat, dir, other}: the C library calls on paths inside "
	  "the binary that its view of the packed tree answered." },
	{ "file_view_trace", mod_file_view_trace, METH_O,
	  "file_view_trace(on): [(call, name)] the view answered since the trace started "
	  "(names from the binary: 'certifi/cacert.pem'); from now on records when on, "
	  "stops when not." },
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
	    PyModule_AddObjectRef(m, "executable",
	                          rt_imp.exe_path ? rt_imp.exe_path : Py_None) < 0 ||
	    PyModule_AddObjectRef(m, "file_view", rt_fileview_on && rt_fileview_on()
	                                          ? Py_True : Py_False) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}

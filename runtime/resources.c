/*
 * resources.c: the importer's answers to importlib.resources,
 * importlib.metadata and pkgutil.  Resource readers and distributions are
 * Python classes, so those two calls hand over to the helper module
 * _pyweld_resources (packed into every binary from
 * runtime/pyweld_resources.py), which reads the blob through _pyweld;
 * iter_modules lists the blob's modules and the dotted built-ins here.
 * Nothing here touches the file system.
 */
#include "rt.h"

#include <string.h>

typedef struct rt_importer Importer;

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

PyObject *
rt_importer_get_resource_reader(Importer *self, PyObject *name)
{
	struct rt_blob_entry e;
	PyObject *args, *r;

	if (rt_importer_entry(name, &e) < 0)
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

PyObject *
rt_importer_find_distributions(Importer *self, PyObject *args, PyObject *kwargs)
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
PyObject *
rt_importer_iter_modules(Importer *self, PyObject *args)
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
	for (uint32_t i = rt_blob_lower_bound(&rt_imp.blob, RT_BLOB_MODULE, prefix,
	                                      (size_t)plen);
	     i < rt_imp.blob.count; i++) {
		struct rt_blob_entry e;
		rt_blob_get(&rt_imp.blob, i, &e);
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
	if (rt_imp.dotted_builtins) {
		PyObject *iter = PyObject_GetIter(rt_imp.dotted_builtins), *n;
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

/*
 * pruned.c: what pyweld build's pruning left out of this binary, said where
 * it is missed.
 *
 * The weld writes the sorted names it left out into the generated frozen.c
 * (rt_pruned_names).  The importer (importer.c) asks rt_pruned_answer()
 * before it answers "no such module": for a name left out, a
 * ModuleNotFoundError naming the --keep-module pattern that keeps it.  A
 * codec is imported by a name made at run time ("x".encode("cp1252")
 * imports encodings.cp1252), and encodings' search
 * function swallows the ImportError and says only "unknown encoding": a
 * search function registered after it (rt_pruned_codecs) says which codec
 * module pruning left out and how to keep it.
 */
#include "rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char *const rt_pruned_names[];
extern const size_t rt_npruned_names;

static int
cmp_name(const void *key, const void *entry)
{
	return strcmp(key, *(const char *const *)entry);
}

int
rt_pruned(const char *name)
{
	return rt_npruned_names && name &&
	       bsearch(name, rt_pruned_names, rt_npruned_names, sizeof(*rt_pruned_names),
	               cmp_name) != NULL;
}

/*
 * The --keep-module pattern that matches name alone ("^pwplug\.sub$"), to
 * be pasted between a shell's single quotes: letters, digits and '_' as
 * they are, other printable ASCII backslashed (a literal to pcre2), the
 * quote, control characters and the bytes of non-ASCII UTF-8 as \xHH
 * (pcre2 matches the weld's names byte by byte).  A new reference, or
 * NULL with an exception set.
 */
static PyObject *
keep_pattern(const char *name)
{
	size_t n = strlen(name), at = 0;
	char *buf = malloc(4 * n + 3);
	PyObject *r;

	if (!buf)
		return PyErr_NoMemory();
	buf[at++] = '^';
	for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '_') {
			buf[at++] = (char)*c;
		} else if (*c > 0x20 && *c < 0x7f && *c != '\'') {
			buf[at++] = '\\';
			buf[at++] = (char)*c;
		} else {
			at += (size_t)snprintf(buf + at, 5, "\\x%02x", *c);
		}
	}
	buf[at++] = '$';
	r = PyUnicode_DecodeASCII(buf, (Py_ssize_t)at, NULL);
	free(buf);
	return r;
}

/*
 * The meta path finder's answer for a name not in the blob: None, unless
 * pruning left it out and no file on the path (path, or sys.path) provides
 * it either; then ModuleNotFoundError naming --keep-module, and NULL.
 */
PyObject *
rt_pruned_answer(PyObject *name, PyObject *path)
{
	const char *s = PyUnicode_AsUTF8(name);
	PyObject *spec, *loader;

	if (!s) {
		PyErr_Clear();          /* a name no table holds */
		Py_RETURN_NONE;
	}
	if (!rt_pruned(s))
		Py_RETURN_NONE;
	if (path == Py_None)
		path = PySys_GetObject("path");
	spec = path ? PyObject_CallFunctionObjArgs(rt_imp.path_finder_get_spec, name, path,
	                                           NULL) : NULL;
	loader = spec && spec != Py_None ? PyObject_GetAttrString(spec, "loader") : NULL;
	Py_XDECREF(spec);
	PyErr_Clear();
	if (loader && loader != Py_None) {
		Py_DECREF(loader);
		Py_RETURN_NONE;         /* PathFinder, after this finder, finds it */
	}
	Py_XDECREF(loader);
	/* named as Python names it (its repr: quotes, controls), and a
	 * pattern the shell's quotes keep whole */
	PyObject *re = keep_pattern(s);
	PyObject *msg = re ? PyUnicode_FromFormat("No module named %R: it was left out of this "
	                                          "binary by pyweld's pruning; rebuild with "
	                                          "--keep-module '%U'", name, re) : NULL;
	if (msg)
		PyErr_SetImportErrorSubclass(PyExc_ModuleNotFoundError, msg, name, Py_None);
	Py_XDECREF(re);
	Py_XDECREF(msg);
	return NULL;
}

/*
 * The package's name and the name `from package import name` asked for, of
 * an ImportError that IMPORT_FROM raised ("cannot import name 'sub' from
 * 'pkg' (...)"; 3.12 on also keeps name_from): new references, or -1
 * (and no exception) when exc is no such error.
 */
static int
from_import_names(PyObject *exc, PyObject **pkg, PyObject **sub)
{
	static const char head[] = "cannot import name '";
	PyObject *msg = NULL;

	*pkg = *sub = NULL;
	if (!PyObject_TypeCheck(exc, (PyTypeObject *)PyExc_ImportError) ||
	    PyObject_TypeCheck(exc, (PyTypeObject *)PyExc_ModuleNotFoundError))
		return -1;
	*pkg = PyObject_GetAttrString(exc, "name");
	if (!*pkg || !PyUnicode_Check(*pkg))
		goto fail;
#if PY_VERSION_HEX >= 0x030C0000
	*sub = PyObject_GetAttrString(exc, "name_from");
	if (*sub && PyUnicode_Check(*sub))
		return 0;
	Py_CLEAR(*sub);
	PyErr_Clear();
#endif
	msg = PyObject_GetAttrString(exc, "msg");
	const char *m = msg && PyUnicode_Check(msg) ? PyUnicode_AsUTF8(msg) : NULL;
	const char *end = m && !strncmp(m, head, sizeof(head) - 1) ?
	                  strstr(m + sizeof(head) - 1, "' from ") : NULL;
	if (!end)
		goto fail;
	*sub = PyUnicode_FromStringAndSize(m + sizeof(head) - 1,
	                                   end - (m + sizeof(head) - 1));
	if (!*sub)
		goto fail;
	Py_DECREF(msg);
	return 0;
fail:
	PyErr_Clear();
	Py_XDECREF(msg);
	Py_CLEAR(*pkg);
	Py_CLEAR(*sub);
	return -1;
}

/*
 * `from pkg import sub` of a module pruning left out: importlib's
 * _handle_fromlist swallows the ModuleNotFoundError rt_pruned_answer
 * raised (a fromlist name that is no module may be an attribute), and
 * IMPORT_FROM then says only "cannot import name 'sub' from 'pkg'".  An
 * uncaught one gets the pruning's words as a note (PEP 678), which the
 * printer shows after it.  Nothing happens to any other exception; a
 * failure here only loses the note.
 */
void
rt_pruned_note(PyObject *exc)
{
	PyObject *pkg, *sub, *full = NULL, *re = NULL, *note = NULL, *r = NULL;
	const char *s;

	if (!rt_npruned_names || from_import_names(exc, &pkg, &sub) < 0)
		return;
	full = PyUnicode_FromFormat("%U.%U", pkg, sub);
	s = full ? PyUnicode_AsUTF8(full) : NULL;
	if (s && rt_pruned(s) && (re = keep_pattern(s)) != NULL)
		note = PyUnicode_FromFormat("%R was left out of this binary by pyweld's "
		                            "pruning; rebuild with --keep-module '%U'", full, re);
	/* once: a hook called again for the same exception adds nothing */
	PyObject *notes = note ? PyObject_GetAttrString(exc, "__notes__") : NULL;
	int has = notes && PySequence_Check(notes) ? PySequence_Contains(notes, note) : 0;
	Py_XDECREF(notes);
	PyErr_Clear();
	if (note && has == 0)
		r = PyObject_CallMethod(exc, "add_note", "O", note);
	PyErr_Clear();
	Py_XDECREF(r);
	Py_XDECREF(note);
	Py_XDECREF(re);
	Py_XDECREF(full);
	Py_DECREF(pkg);
	Py_DECREF(sub);
}

/* Whether some pruned name begins with "encodings.". */
static int
codecs_pruned(void)
{
	static const char prefix[] = "encodings.";
	size_t lo = 0, hi = rt_npruned_names;

	while (lo < hi) {               /* the first name >= prefix */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(rt_pruned_names[mid], prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < rt_npruned_names &&
	       !strncmp(rt_pruned_names[lo], prefix, sizeof(prefix) - 1);
}

/*
 * The codec module encodings' own search function would import for NAME
 * (normalize_encoding, then its alias table, as encodings/__init__.py
 * does), when that module is one pruning left out: a new reference to its
 * short name, or NULL (and no exception) when it is not.
 */
static PyObject *
pruned_codec_module(PyObject *name)
{
	PyObject *enc = PyImport_ImportModule("encodings");
	PyObject *norm = NULL, *aliases = NULL, *found = NULL, *result = NULL;

	if (!enc)
		goto out;
	norm = PyObject_CallMethod(enc, "normalize_encoding", "O", name);
	aliases = PyObject_GetAttrString(enc, "_aliases");
	if (!norm || !PyUnicode_Check(norm) || !aliases || !PyDict_Check(aliases))
		goto out;
	found = PyDict_GetItemWithError(aliases, norm);       /* borrowed */
	if (!found && !PyErr_Occurred()) {
		PyObject *dot = PyUnicode_FromString("."), *us = PyUnicode_FromString("_");
		PyObject *alt = dot && us ? PyUnicode_Replace(norm, dot, us, -1) : NULL;
		found = alt ? PyDict_GetItemWithError(aliases, alt) : NULL;
		Py_XDECREF(dot);
		Py_XDECREF(us);
		Py_XDECREF(alt);
	}
	if (PyErr_Occurred())
		goto out;
	const char *mod = PyUnicode_AsUTF8(found && PyUnicode_Check(found) ? found : norm);
	if (!mod || !*mod || strchr(mod, '.'))
		goto out;
	char *full = malloc(strlen(mod) + sizeof("encodings."));
	if (!full)
		goto out;
	strcpy(full, "encodings.");
	strcat(full, mod);
	if (rt_pruned(full))
		result = PyUnicode_FromString(mod);
	free(full);
out:
	PyErr_Clear();                  /* no answer is "not ours" */
	Py_XDECREF(enc);
	Py_XDECREF(norm);
	Py_XDECREF(aliases);
	return result;
}

/* The codec search function: None, or LookupError naming the option. */
static PyObject *
pruned_codec_search(PyObject *self, PyObject *name)
{
	PyObject *mod;

	(void)self;
	if (!PyUnicode_Check(name) || !(mod = pruned_codec_module(name)))
		Py_RETURN_NONE;
	PyErr_Format(PyExc_LookupError, "unknown encoding: %U (its codec, encodings.%U, was "
	             "left out of this binary by pyweld's pruning; rebuild with --keep-module "
	             "'^encodings\\.%U$')", name, mod, mod);
	Py_DECREF(mod);
	return NULL;
}

static PyMethodDef search_def = {
	"pyweld_pruned_codec", pruned_codec_search, METH_O,
	"Says which codec module pyweld's pruning left out of this binary.",
};

int
rt_pruned_codecs(void)
{
	PyObject *fn;
	int rc;

	if (!codecs_pruned())
		return 0;
	fn = PyCFunction_New(&search_def, NULL);
	if (!fn)
		return -1;
	rc = PyCodec_Register(fn);
	Py_DECREF(fn);
	return rc;
}

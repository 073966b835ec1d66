/*
 * modules.c: the resource blob (blob.h) as the importer reads it: checked
 * before Python starts, looked up by kind and name, and the paths under
 * the binary that name its entries.
 *
 * Modules get __file__ = "<binary>/json/decoder.py" (zipimport's scheme):
 * code that does path arithmetic on __file__ does not crash, and the
 * importer's get_data serves such paths.  An entry's payloads are used
 * only after rt_verified: a damaged module or resource is reported (its
 * name kept for rt_blob_damaged), never run or returned.  A source stored
 * compressed is inflated by rt_source_bytes, when something reads it;
 * compressed code by rt_code_object, as its module is imported.
 */
#include "rt.h"

#include <errno.h>
#include <marshal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rt_imp rt_imp;
static char damaged[256];               /* the first entry that failed its checksum */

int64_t
rt_find(unsigned kind, const char *name, Py_ssize_t len)
{
	return rt_blob_find(&rt_imp.blob, kind, name, (size_t)len);
}

/* Checks an entry's payloads before use; -1 with ImportError set. */
int
rt_verified(const struct rt_blob_entry *e)
{
	if (rt_blob_verify(e) == 0)
		return 0;
	if (!damaged[0])
		snprintf(damaged, sizeof(damaged), "%.*s", (int)e->name_len, e->name);
	PyErr_Format(PyExc_ImportError, "the binary's copy of %s is damaged (it fails "
	             "its checksum); rebuild the binary", e->name);
	return -1;
}

/* The exception for a payload rt_blob_source or rt_blob_code could not
 * give (errno says why): what of e ("source", "code"); NULL. */
static PyObject *
inflate_failed(const struct rt_blob_entry *e, const char *what)
{
	if (errno == ENOMEM)
		return PyErr_NoMemory();
	if (errno == ENOSYS)
		return PyErr_Format(PyExc_ImportError, "the binary's copy of the %s of %s is "
		                    "compressed, but the binary has no zlib to inflate it; "
		                    "rebuild the binary", what, e->name);
	/* What a checksum should have caught: damage all the same. */
	if (!damaged[0])
		snprintf(damaged, sizeof(damaged), "%.*s", (int)e->name_len, e->name);
	return PyErr_Format(PyExc_ImportError, "the binary's copy of %s is damaged (its %s "
	                    "does not inflate to its recorded size); rebuild the binary",
	                    e->name, what);
}

PyObject *
rt_source_bytes(const struct rt_blob_entry *e)
{
	const unsigned char *src;
	uint32_t len;
	void *owned;
	PyObject *bytes;

	if (rt_verified(e) < 0)
		return NULL;
	/* A compressed source is inflated here, when something reads it. */
	if (rt_blob_source(e, &src, &len, &owned) < 0)
		return inflate_failed(e, "source");
	bytes = PyBytes_FromStringAndSize((const char *)src, len);
	free(owned);
	return bytes;
}

PyObject *
rt_code_object(const struct rt_blob_entry *e)
{
	const unsigned char *code;
	uint32_t len;
	void *owned;
	PyObject *obj;

	if (rt_verified(e) < 0)
		return NULL;
	/* Compressed code is inflated into a buffer that lives only while
	 * it is unmarshalled. */
	if (rt_blob_code(e, &code, &len, &owned) < 0)
		return inflate_failed(e, "code");
	obj = PyMarshal_ReadObjectFromString((const char *)code, len);
	free(owned);
	return obj;
}

const char *
rt_blob_damaged(void)
{
	return damaged[0] ? damaged : NULL;
}

/* The module entry for a str name, or -1 (no exception). */
int64_t
rt_find_module(PyObject *name, struct rt_blob_entry *e)
{
	Py_ssize_t len;
	const char *s = PyUnicode_AsUTF8AndSize(name, &len);
	int64_t i;

	if (!s) {
		PyErr_Clear();
		return -1;
	}
	i = rt_find(RT_BLOB_MODULE, s, len);
	if (i >= 0)
		rt_blob_get(&rt_imp.blob, (uint32_t)i, e);
	return i;
}

/* "<binary>/json/decoder.py" or "<binary>/json/__init__.py" or "<binary>/zope". */
PyObject *
rt_module_path(const struct rt_blob_entry *e, int dir_only)
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
	path = PyUnicode_FromFormat("%U/%U", rt_imp.exe_path, rel);
	Py_DECREF(rel);
	return path;
}

/* The part of path after "<binary>/", as UTF-8, or NULL (no exception). */
const char *
rt_inside(PyObject *path, Py_ssize_t *len)
{
	Py_ssize_t n, m;
	const char *s, *x;

	if (!PyUnicode_Check(path))
		return NULL;
	s = PyUnicode_AsUTF8AndSize(path, &n);
	x = PyUnicode_AsUTF8AndSize(rt_imp.exe_path, &m);
	if (!s || !x) {
		PyErr_Clear();
		return NULL;
	}
	if (n < m + 1 || memcmp(s, x, (size_t)m) != 0 || s[m] != '/')
		return NULL;
	*len = n - m - 1;
	return s + m + 1;
}

static int
cmp_frozen_name(const void *key, const void *entry)
{
	return strcmp(key, ((const struct rt_frozen_code *)entry)->name);
}

/* The deep-frozen code of a module, or NULL. */
const struct rt_frozen_code *
rt_frozen_code_find(const char *name)
{
	return rt_imp.nfrozen ? bsearch(name, rt_frozen_code, rt_imp.nfrozen,
	                                sizeof(rt_frozen_code[0]), cmp_frozen_name) : NULL;
}

int
rt_blob_open(const struct rt_app *app, char *err, size_t errlen)
{
	if (rt_blob_check(&rt_imp.blob, app->blob, (uint64_t)(app->blob_end - app->blob), err,
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
		int64_t i = rt_blob_find(&rt_imp.blob, RT_BLOB_MODULE, startup[k],
		                         strlen(startup[k]));
		if (i < 0)
			continue;
		rt_blob_get(&rt_imp.blob, (uint32_t)i, &e);
		if (rt_blob_verify(&e) < 0) {
			snprintf(err, errlen, "%s fails its checksum", startup[k]);
			return -1;
		}
	}
	return 0;
}

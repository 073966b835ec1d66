/*
 * pw_fileview._cdata: C that reads its package's data by path, as C
 * libraries do: fopen, open, stat and opendir on paths built from the
 * package's __file__ ("<dir of __file__>/data/table.txt").  Welded in, it
 * is a built-in with no __file__ of its own, so it asks its package.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory of pw_fileview.__file__, as bytes (a new reference). */
static PyObject *
package_dir(void)
{
	PyObject *pkg = PyImport_ImportModule("pw_fileview"), *file, *bytes = NULL, *dir;
	const char *s, *slash;

	if (!pkg)
		return NULL;
	file = PyObject_GetAttrString(pkg, "__file__");
	Py_DECREF(pkg);
	if (!file || !PyUnicode_FSConverter(file, &bytes)) {
		Py_XDECREF(file);
		return NULL;
	}
	Py_DECREF(file);
	s = PyBytes_AS_STRING(bytes);
	slash = strrchr(s, '/');
	dir = PyBytes_FromStringAndSize(s, slash ? slash - s : 0);
	Py_DECREF(bytes);
	return dir;
}

/* read_table(): data/table.txt beside __file__, read with fopen and fread. */
static PyObject *
read_table(PyObject *self, PyObject *unused)
{
	PyObject *dir = package_dir(), *out;
	char path[4096], buf[65536];
	size_t n;
	FILE *f;

	if (!dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/data/table.txt", PyBytes_AS_STRING(dir));
	Py_DECREF(dir);
	if (!(f = fopen(path, "rb")))
		return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	out = PyBytes_FromStringAndSize(buf, (Py_ssize_t)n);
	return out;
}

/* read_path(path): the bytes of path, with open() and read(). */
static PyObject *
read_path(PyObject *self, PyObject *arg)
{
	PyObject *p = NULL, *out = NULL;
	char buf[65536];
	ssize_t n;
	size_t got = 0;
	int fd;

	if (!PyUnicode_FSConverter(arg, &p))
		return NULL;
	fd = open(PyBytes_AS_STRING(p), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		PyErr_SetFromErrnoWithFilename(PyExc_OSError, PyBytes_AS_STRING(p));
		Py_DECREF(p);
		return NULL;
	}
	while (got < sizeof(buf) && (n = read(fd, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)n;
	close(fd);
	out = PyBytes_FromStringAndSize(buf, (Py_ssize_t)got);
	Py_DECREF(p);
	return out;
}

/* stat_path(path): (is a directory, size), from stat(). */
static PyObject *
stat_path(PyObject *self, PyObject *arg)
{
	PyObject *p = NULL;
	struct stat st;
	int r;

	if (!PyUnicode_FSConverter(arg, &p))
		return NULL;
	r = stat(PyBytes_AS_STRING(p), &st);
	if (r < 0) {
		PyErr_SetFromErrnoWithFilename(PyExc_OSError, PyBytes_AS_STRING(p));
		Py_DECREF(p);
		return NULL;
	}
	Py_DECREF(p);
	return Py_BuildValue("(Ol)", S_ISDIR(st.st_mode) ? Py_True : Py_False, (long)st.st_size);
}

/* list_dir(path): the names opendir and readdir give, without . and .. */
static PyObject *
list_dir(PyObject *self, PyObject *arg)
{
	PyObject *p = NULL, *list;
	struct dirent *e;
	DIR *d;

	if (!PyUnicode_FSConverter(arg, &p))
		return NULL;
	d = opendir(PyBytes_AS_STRING(p));
	if (!d) {
		PyErr_SetFromErrnoWithFilename(PyExc_OSError, PyBytes_AS_STRING(p));
		Py_DECREF(p);
		return NULL;
	}
	Py_DECREF(p);
	list = PyList_New(0);
	while (list && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		PyObject *name = PyUnicode_DecodeFSDefault(e->d_name);
		if (!name || PyList_Append(list, name) < 0)
			Py_CLEAR(list);
		Py_XDECREF(name);
	}
	closedir(d);
	if (list && PyList_Sort(list) < 0)
		Py_CLEAR(list);
	return list;
}

/* write_errno(path): errno of fopen(path, "w"), 0 when it opened. */
static PyObject *
write_errno(PyObject *self, PyObject *arg)
{
	PyObject *p = NULL;
	FILE *f;
	int e = 0;

	if (!PyUnicode_FSConverter(arg, &p))
		return NULL;
	errno = 0;
	f = fopen(PyBytes_AS_STRING(p), "w");
	if (f)
		fclose(f);
	else
		e = errno;
	Py_DECREF(p);
	return PyLong_FromLong(e);
}

static PyMethodDef methods[] = {
	{ "read_table", read_table, METH_NOARGS, "data/table.txt beside __file__, by fopen" },
	{ "read_path", read_path, METH_O, "a file's bytes, by open and read" },
	{ "stat_path", stat_path, METH_O, "(is a directory, size), by stat" },
	{ "list_dir", list_dir, METH_O, "a directory's names, by opendir and readdir" },
	{ "write_errno", write_errno, METH_O, "errno of fopen(path, \"w\")" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_cdata", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit__cdata(void)
{
	return PyModule_Create(&module);
}

/* pw_shared._linuxish: its own init, beside posixish.c's. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

int pw_shared_flavor(void);

static PyObject *
flavor(PyObject *self, PyObject *unused)
{
	return PyLong_FromLong(pw_shared_flavor());
}

static PyMethodDef methods[] = {
	{ "flavor", flavor, METH_NOARGS, "PW_FLAVOR of common.c in this extension" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_linuxish", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit__linuxish(void)
{
	return PyModule_Create(&module);
}

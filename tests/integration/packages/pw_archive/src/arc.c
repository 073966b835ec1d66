/* pw_archive._arc: calls into the static helper library libpwhelper.a. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

long pw_helper_a(long x);
long pw_helper_b(long x);

static PyObject *
combine(PyObject *self, PyObject *arg)
{
	long x = PyLong_AsLong(arg);

	if (x == -1 && PyErr_Occurred())
		return NULL;
	return PyLong_FromLong(pw_helper_b(pw_helper_a(x)));
}

static PyMethodDef methods[] = {
	{ "combine", combine, METH_O, "(x + 1) * 10, from the static helper" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_arc", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit__arc(void)
{
	return PyModule_Create(&module);
}

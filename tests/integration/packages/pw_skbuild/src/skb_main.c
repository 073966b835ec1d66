/* pw_skbuild._skb: built and linked by CMake. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

long pw_skb_square(long x);

static PyObject *
square(PyObject *self, PyObject *arg)
{
	long x = PyLong_AsLong(arg);

	if (x == -1 && PyErr_Occurred())
		return NULL;
	return PyLong_FromLong(pw_skb_square(x));
}

static PyMethodDef methods[] = {
	{ "square", square, METH_O, "x * x, from the static helper" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_skb", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit__skb(void)
{
	return PyModule_Create(&module);
}

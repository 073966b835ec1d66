/* pw_setuptools._two: a two-object extension (the other is two_helper.c). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

double pw_two_hypot(double a, double b);

static PyObject *
hypot_(PyObject *self, PyObject *args)
{
	double a, b;

	if (!PyArg_ParseTuple(args, "dd", &a, &b))
		return NULL;
	return PyFloat_FromDouble(pw_two_hypot(a, b));
}

static PyMethodDef methods[] = {
	{ "hypot", hypot_, METH_VARARGS, "sqrt(a*a + b*b), from the helper object" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_two", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit__two(void)
{
	return PyModule_Create(&module);
}

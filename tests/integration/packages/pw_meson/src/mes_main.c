/* pw_meson._mes: a multi-phase extension built by meson. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

long pw_mes_triple(long x);

static PyObject *
triple(PyObject *self, PyObject *arg)
{
	long x = PyLong_AsLong(arg);

	if (x == -1 && PyErr_Occurred())
		return NULL;
	return PyLong_FromLong(pw_mes_triple(x));
}

static PyMethodDef methods[] = {
	{ "triple", triple, METH_O, "3 * x, from the helper object" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_mes", NULL, 0, methods,
};

PyMODINIT_FUNC
PyInit__mes(void)
{
	return PyModuleDef_Init(&module);
}

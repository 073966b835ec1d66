/* pw_parallel._pN, N = PW_INDEX: one source, eight extensions. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define PW_CAT_(a, b) a##b
#define PW_CAT(a, b) PW_CAT_(a, b)
#define PW_STR_(a) #a
#define PW_STR(a) PW_STR_(a)

int pw_par_index(void);

static PyObject *
index_(PyObject *self, PyObject *unused)
{
	return PyLong_FromLong(pw_par_index());
}

static PyMethodDef methods[] = {
	{ "index", index_, METH_NOARGS, "this extension's PW_INDEX" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_p" PW_STR(PW_INDEX), NULL, -1, methods,
};

PyMODINIT_FUNC
PW_CAT(PyInit__p, PW_INDEX)(void)
{
	return PyModule_Create(&module);
}

// pw_cxx._cxx: a C++ extension; a C++ exception becomes a ValueError.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdexcept>
#include <string>

std::string pw_cxx_shout(const std::string &s);

static PyObject *
shout(PyObject *self, PyObject *arg)
{
	const char *s = PyUnicode_AsUTF8(arg);

	if (!s)
		return nullptr;
	try {
		std::string r = pw_cxx_shout(s);
		return PyUnicode_FromStringAndSize(r.data(), (Py_ssize_t)r.size());
	} catch (const std::invalid_argument &e) {
		PyErr_SetString(PyExc_ValueError, e.what());
		return nullptr;
	}
}

static PyMethodDef methods[] = {
	{ "shout", shout, METH_O, "upper case and '!', ValueError when empty" },
	{ nullptr, nullptr, 0, nullptr },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_cxx", nullptr, -1, methods,
};

PyMODINIT_FUNC
PyInit__cxx(void)
{
	return PyModule_Create(&module);
}

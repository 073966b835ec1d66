/*
 * status.c: what a call of the library reports besides its status
 * (pyweld.h): the message of the last failure, kept per thread, and the
 * status a SystemExit asked for.
 *
 * A message is set only together with the status returned (rt_set_error
 * returns it), so pyweld_error() always describes the last failure of the
 * calling thread; a success leaves the previous message in place.
 */
#include "rt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static _Thread_local char *last_error;

pyweld_status
rt_set_error(pyweld_status st, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	free(last_error);
	last_error = msg;
	return st;
}

const char *
pyweld_error(void)
{
	return last_error ? last_error : "";
}

int
pyweld_exit_code(void)
{
	return rt_state.exit_code;
}

void
pyweld_free(void *p)
{
	free(p);
}

pyweld_status
rt_from_exception(void)
{
	PyObject *type, *value, *tb, *text = NULL;

	if (PyErr_ExceptionMatches(PyExc_SystemExit)) {
		PyErr_Fetch(&type, &value, &tb);
		PyErr_NormalizeException(&type, &value, &tb);
		PyObject *code = value ? PyObject_GetAttrString(value, "code") : NULL;
		PyObject *text = NULL;
		if (!code || code == Py_None) {
			rt_state.exit_code = 0;
		} else if (PyLong_Check(code)) {
			rt_state.exit_code = (int)PyLong_AsLong(code);
		} else {
			/* SystemExit("message"): python prints it and exits 1. */
			rt_state.exit_code = 1;
			text = PyObject_Str(code);
		}
		const char *msg = text ? PyUnicode_AsUTF8(text) : NULL;
		PyErr_Clear();
		if (msg)
			rt_set_error(PYWELD_ERR_EXIT, "SystemExit: %s", msg);
		else
			rt_set_error(PYWELD_ERR_EXIT, "SystemExit: %d", rt_state.exit_code);
		Py_XDECREF(text);
		Py_XDECREF(code);
		Py_XDECREF(type);
		Py_XDECREF(value);
		Py_XDECREF(tb);
		return PYWELD_ERR_EXIT;
	}
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	if (tb && value)
		PyException_SetTraceback(value, tb);
	PyObject *mod = PyImport_ImportModule("traceback");
	if (mod && value) {
		PyObject *lines = PyObject_CallMethod(mod, "format_exception", "O", value);
		PyObject *empty = PyUnicode_FromString("");
		if (lines && empty)
			text = PyUnicode_Join(empty, lines);
		Py_XDECREF(lines);
		Py_XDECREF(empty);
	}
	if (!text) {
		PyErr_Clear();
		text = value ? PyObject_Str(value) : PyUnicode_FromString("unknown error");
	}
	const char *s = text ? PyUnicode_AsUTF8(text) : NULL;
	rt_set_error(PYWELD_ERR_PYTHON, "%s", s ? s : "an exception that cannot be shown");
	PyErr_Clear();
	Py_XDECREF(text);
	Py_XDECREF(mod);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
	return PYWELD_ERR_PYTHON;
}

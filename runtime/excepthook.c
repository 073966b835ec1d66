/*
 * excepthook.c: uncaught exceptions print through
 * traceback.print_exception.  CPython's own printer opens source files by
 * name, and the welded sources are not files; linecache asks the importer
 * (fixups.c).  On 3.11 sys.__excepthook__ is the fallback when traceback
 * cannot print.
 *
 * From 3.13 on CPython's own sys.excepthook prints through traceback
 * (and keeps the KeyboardInterrupt record), so the hook calls it; 3.12's
 * prints with its C printer, which cannot show the lines of welded
 * sources (docs/distribution.md says so).  On every version the hook
 * first notes what pruning left out when `from pkg import sub` failed for
 * it (rt_pruned_note).
 */
#include "rt.h"

#if PY_VERSION_HEX < 0x030C0000
/* CPython's record that an uncaught KeyboardInterrupt ends the program (it
 * then dies of SIGINT): running any code, as importing traceback does,
 * resets it. */
extern int _Py_UnhandledKeyboardInterrupt;

/* 3.11: traceback.print_exception, sys.__excepthook__ when it fails. */
static PyObject *
print_uncaught(PyObject *args)
{
	int interrupted = _Py_UnhandledKeyboardInterrupt;
	PyObject *tb = PyImport_ImportModule("traceback"), *r = NULL;

	if (tb) {
		PyObject *f = PyObject_GetAttrString(tb, "print_exception");
		if (f)
			r = PyObject_Call(f, args, NULL);
		Py_XDECREF(f);
		Py_DECREF(tb);
	}
	if (!r) {
		PyErr_Clear();
		PyObject *hook = PySys_GetObject("__excepthook__");
		if (hook)
			r = PyObject_Call(hook, args, NULL);
	}
	_Py_UnhandledKeyboardInterrupt = interrupted;
	return r;
}
#endif

/* self: 3.12 on, CPython's own hook, which prints; 3.11, NULL. */
static PyObject *
excepthook(PyObject *self, PyObject *args)
{
	PyObject *type, *value, *tb;

	if (PyArg_ParseTuple(args, "OOO", &type, &value, &tb))
		rt_pruned_note(value);
	PyErr_Clear();
#if PY_VERSION_HEX < 0x030C0000
	(void)self;
	return print_uncaught(args);
#else
	return PyObject_Call(self, args, NULL);
#endif
}

static PyMethodDef excepthook_def = {
	"excepthook", excepthook, METH_VARARGS,
	"Print an uncaught exception with the source lines of welded modules.",
};

/*
 * 3.11: sys.excepthook, sys.__excepthook__ left as it was.  3.12 on: both,
 * around CPython's own, so that `sys.excepthook is sys.__excepthook__`
 * still holds (code.InteractiveInterpreter and 3.13's prompt then format
 * tracebacks themselves, as in stock CPython).
 */
int
rt_set_excepthook(void)
{
#if PY_VERSION_HEX < 0x030C0000
	PyObject *f = PyCFunction_New(&excepthook_def, NULL);
	int rc = f ? PySys_SetObject("excepthook", f) : -1;
#else
	PyObject *orig = PySys_GetObject("__excepthook__");         /* borrowed */
	PyObject *f = orig ? PyCFunction_New(&excepthook_def, orig) : NULL;
	int rc = f && PySys_SetObject("excepthook", f) == 0 &&
	         PySys_SetObject("__excepthook__", f) == 0 ? 0 : -1;

	if (!orig && !PyErr_Occurred())
		PyErr_SetString(PyExc_RuntimeError, "sys.__excepthook__ is missing");
#endif
	Py_XDECREF(f);
	return rc;
}

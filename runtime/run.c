/*
 * run.c: running Python code in the started interpreter (pyweld.h):
 * source, a module as __main__, the binary's entry point, and calls of a
 * callable by its dotted path.
 *
 * Every call takes the GIL for its own duration (PyGILState_Ensure), so
 * any thread may call; each checks first that the interpreter is running.
 * A Python exception becomes a status and a message (status.c).
 */
#include "rt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pyweld_status
check_running(const char *fn)
{
	if (rt_state.phase == RT_NEW)
		return rt_set_error(PYWELD_ERR_MISUSE, "%s: the interpreter is not started; call "
		                    "pyweld_start first", fn);
	if (rt_state.phase == RT_FINISHED)
		return rt_set_error(PYWELD_ERR_MISUSE, "%s: the interpreter is finished", fn);
	return PYWELD_OK;
}

/* Runs code (an object) in __main__ as a script; GIL held. */
static pyweld_status
run_in_main(PyObject *code, const char *module)
{
	PyObject *main = PyImport_AddModule("__main__"), *dict, *r;

	dict = main ? PyModule_GetDict(main) : NULL;
	if (!dict || (module && rt_main_globals(dict, module) < 0))
		return rt_from_exception();
	if (!PyDict_GetItemString(dict, "__builtins__") &&
	    PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()) < 0)
		return rt_from_exception();
	r = PyEval_EvalCode(code, dict, dict);
	if (!r)
		return rt_from_exception();
	Py_DECREF(r);
	return PYWELD_OK;
}

pyweld_status
pyweld_run_code(const char *source)
{
	PyGILState_STATE g;
	PyObject *code;
	pyweld_status st;

	if (!source)
		return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_run_code: no code (NULL)");
	if ((st = check_running("pyweld_run_code")) != PYWELD_OK)
		return st;
	g = PyGILState_Ensure();
	code = Py_CompileString(source, "<pyweld_run_code>", Py_file_input);
	st = code ? run_in_main(code, NULL) : rt_from_exception();
	Py_XDECREF(code);
	PyGILState_Release(g);
	return st;
}

static pyweld_status
run_module_locked(const char *module)
{
	PyObject *runpy = PyImport_ImportModule("runpy"), *r = NULL;

	if (runpy)
		r = PyObject_CallMethod(runpy, "_run_module_as_main", "sO", module, Py_False);
	Py_XDECREF(runpy);
	if (!r)
		return rt_from_exception();
	Py_DECREF(r);
	return PYWELD_OK;
}

pyweld_status
pyweld_run_module(const char *module)
{
	PyGILState_STATE g;
	pyweld_status st;

	if (!module || !*module)
		return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_run_module: no module name");
	if ((st = check_running("pyweld_run_module")) != PYWELD_OK)
		return st;
	g = PyGILState_Ensure();
	st = run_module_locked(module);
	PyGILState_Release(g);
	return st;
}

/* A script by its path, as __main__ (python's `python FILE`). */
static pyweld_status
run_file(const char *path)
{
	PyGILState_STATE g = PyGILState_Ensure();
	pyweld_status st;
	FILE *f = fopen(path, "rb");
	PyObject *main, *dict, *file, *r;

	if (!f) {
		PyGILState_Release(g);
		return rt_set_error(PYWELD_ERR_PYTHON, "can't open file '%s': %s", path,
		                    strerror(errno));
	}
	main = PyImport_AddModule("__main__");
	dict = main ? PyModule_GetDict(main) : NULL;
	file = PyUnicode_DecodeFSDefault(path);
	if (!dict || !file || PyDict_SetItemString(dict, "__file__", file) < 0 ||
	    (!PyDict_GetItemString(dict, "__builtins__") &&
	     PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()) < 0)) {
		fclose(f);
		Py_XDECREF(file);
		st = rt_from_exception();
		PyGILState_Release(g);
		return st;
	}
	Py_DECREF(file);
	r = PyRun_FileExFlags(f, path, Py_file_input, dict, dict, 1, NULL);
	st = r ? PYWELD_OK : rt_from_exception();
	Py_XDECREF(r);
	PyGILState_Release(g);
	return st;
}

pyweld_status
pyweld_run_entry(void)
{
	pyweld_status st;
	PyGILState_STATE g;

	if ((st = check_running("pyweld_run_entry")) != PYWELD_OK)
		return st;
	switch (rt_app.entry) {
	case RT_ENTRY_CODE: {
		g = PyGILState_Ensure();
		PyObject *code = rt_entry_code(rt_app.module);
		st = code ? run_in_main(code, rt_app.module) : rt_from_exception();
		Py_XDECREF(code);
		PyGILState_Release(g);
		return st;
	}
	case RT_ENTRY_MODULE:
		return pyweld_run_module(rt_app.module);
	case RT_ENTRY_NONE:
		/* Like `python`: -c, -m or a script from argv run here, so that
		 * their SystemExit comes back as a status. */
		if (rt_state.argv_command)
			return pyweld_run_code(rt_state.argv_command);
		if (rt_state.argv_module)
			return pyweld_run_module(rt_state.argv_module);
		if (rt_state.argv_file)
			return run_file(rt_state.argv_file);
		/* The REPL: CPython's own, which also finishes the interpreter and
		 * ends the process on exit(). */
		PyEval_RestoreThread(rt_state.saved);
		rt_state.saved = NULL;
		rt_state.finished_code = Py_RunMain();
		rt_state.phase = RT_FINISHED;
		rt_state.finish_pending = 1;
		rt_state.exit_code = rt_state.finished_code;
		return rt_state.finished_code == 0 ? PYWELD_OK
		       : rt_set_error(PYWELD_ERR_EXIT, "python exited with status %d",
		                      rt_state.finished_code);
	}
	return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_run_entry: unknown entry point");
}

/* The object a dotted path names: the longest prefix that imports as a
 * module, then attributes ("pkg.mod.Class.method").  New reference or NULL. */
static PyObject *
resolve(const char *dotted)
{
	size_t len = strlen(dotted), cut = len;
	char *buf = strdup(dotted);
	PyObject *obj = NULL;

	if (!buf)
		return PyErr_NoMemory();
	for (;;) {
		buf[cut] = '\0';
		obj = PyImport_ImportModule(buf);
		if (obj)
			break;
		if (!PyErr_ExceptionMatches(PyExc_ModuleNotFoundError)) {
			free(buf);
			return NULL;
		}
		PyErr_Clear();
		char *dot = memrchr(buf, '.', cut);
		if (!dot) {
			PyErr_Format(PyExc_ImportError, "cannot import '%s': no module of that "
			             "path is in this binary", dotted);
			free(buf);
			return NULL;
		}
		cut = (size_t)(dot - buf);
	}
	free(buf);
	for (const char *rest = dotted + cut; *rest == '.' && obj;) {
		const char *start = rest + 1, *end = strchr(start, '.');
		size_t n = end ? (size_t)(end - start) : strlen(start);
		PyObject *name = PyUnicode_FromStringAndSize(start, (Py_ssize_t)n);
		PyObject *next = name ? PyObject_GetAttr(obj, name) : NULL;
		Py_XDECREF(name);
		Py_DECREF(obj);
		obj = next;
		rest = start + n;
	}
	return obj;
}

static pyweld_status
call_locked(const char *callable, PyObject *args, PyObject *kwargs, PyObject **result)
{
	PyObject *f = resolve(callable), *r;

	if (!f)
		return rt_from_exception();
	if (args && !PyTuple_Check(args)) {
		Py_DECREF(f);
		return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_call: args must be a tuple");
	}
	PyObject *empty = args ? NULL : PyTuple_New(0);
	if (!args && !empty) {
		Py_DECREF(f);
		return rt_from_exception();
	}
	r = PyObject_Call(f, args ? args : empty, kwargs);
	Py_XDECREF(empty);
	Py_DECREF(f);
	if (!r)
		return rt_from_exception();
	*result = r;
	return PYWELD_OK;
}

pyweld_status
pyweld_call(const char *callable, PyObject *args, PyObject *kwargs, PyObject **result)
{
	PyGILState_STATE g;
	pyweld_status st;

	if (!callable || !result)
		return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_call: callable and result are "
		                    "needed (NULL given)");
	*result = NULL;
	if ((st = check_running("pyweld_call")) != PYWELD_OK)
		return st;
	g = PyGILState_Ensure();
	st = call_locked(callable, args, kwargs, result);
	PyGILState_Release(g);
	return st;
}

pyweld_status
pyweld_call_str(const char *callable, const char *arg, char **result)
{
	PyGILState_STATE g;
	PyObject *args = NULL, *r = NULL, *s;
	pyweld_status st;

	if (!callable || !result)
		return rt_set_error(PYWELD_ERR_MISUSE, "pyweld_call_str: callable and result are "
		                    "needed (NULL given)");
	*result = NULL;
	if ((st = check_running("pyweld_call_str")) != PYWELD_OK)
		return st;
	g = PyGILState_Ensure();
	args = arg ? Py_BuildValue("(s)", arg) : PyTuple_New(0);
	st = args ? call_locked(callable, args, NULL, &r) : rt_from_exception();
	if (st == PYWELD_OK) {
		s = PyObject_Str(r);
		const char *utf8 = s ? PyUnicode_AsUTF8(s) : NULL;
		if (!utf8)
			st = rt_from_exception();
		else if (!(*result = strdup(utf8)))
			st = rt_set_error(PYWELD_ERR_NOMEM, "out of memory");
		Py_XDECREF(s);
	}
	Py_XDECREF(r);
	Py_XDECREF(args);
	PyGILState_Release(g);
	return st;
}

/*
 * library_api.c: every function of pyweld.h called from C, misuse included.
 *
 * Linked with an archive made by `pyweld build --library` with markupsafe
 * welded in, the way docs/library.md shows (`pyweld link-flags`), plus
 * Python.h for pyweld_call and the registered modules; built and run by
 * tests/integration/library_test.py, one case per process (CPython starts
 * once per process, and several cases are about exactly that):
 *
 *     library_api CASE [ARG...]
 *
 * A case checks in C what C can see and prints each failed check on stderr
 * ("FAIL: what: details"), then a summary line ("library_api CASE: N checks,
 * M failed"); it exits 0 when every check passed (the "main" case: the
 * status pyweld_main returned) and 1 otherwise.  What only
 * the outside sees (what reaches stdout after pyweld_finish, the process
 * status, the environment) the driver checks.  A named-case table, in the
 * manner of CPython's Programs/_testembed.c.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>             /* first: it sets the feature macros */

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyweld.h"

static int nchecks, nfailed;
static int case_status;         /* the exit status of a case that passed */

/* Records one check; a failure is printed with what was checked and why. */
static int
check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
check(int ok, const char *fmt, ...)
{
	va_list ap;

	nchecks++;
	if (ok)
		return 1;
	nfailed++;
	fputs("FAIL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 0;
}

static const char *
status_name(pyweld_status st)
{
	switch (st) {
	case PYWELD_OK: return "PYWELD_OK";
	case PYWELD_ERR_MISUSE: return "PYWELD_ERR_MISUSE";
	case PYWELD_ERR_INIT: return "PYWELD_ERR_INIT";
	case PYWELD_ERR_PYTHON: return "PYWELD_ERR_PYTHON";
	case PYWELD_ERR_EXIT: return "PYWELD_ERR_EXIT";
	case PYWELD_ERR_NOMEM: return "PYWELD_ERR_NOMEM";
	}
	return "(not a pyweld_status)";
}

/* The call gave want; on a failure, says what pyweld_error() said. */
static int
expect(pyweld_status got, pyweld_status want, const char *what)
{
	return check(got == want, "%s: got %s, wanted %s; pyweld_error(): \"%s\"", what,
	             status_name(got), status_name(want), pyweld_error());
}

/* PYWELD_ERR_MISUSE with a message that names the function fn. */
static void
expect_misuse(pyweld_status got, const char *fn, const char *what)
{
	const char *msg = pyweld_error();

	if (!expect(got, PYWELD_ERR_MISUSE, what))
		return;
	check(strstr(msg, fn) != NULL, "%s: the message does not name %s: \"%s\"", what, fn,
	      msg);
}

/* The error message holds needle. */
static void
expect_in_error(const char *needle, const char *what)
{
	const char *msg = pyweld_error();

	check(strstr(msg, needle) != NULL, "%s: pyweld_error() lacks \"%s\": \"%s\"", what,
	      needle, msg);
}

/* pyweld_call_str(callable, arg) succeeds and gives want. */
static void
expect_call_str(const char *callable, const char *arg, const char *want)
{
	char *out = NULL;
	pyweld_status st = pyweld_call_str(callable, arg, &out);

	if (expect(st, PYWELD_OK, callable))
		check(out && !strcmp(out, want), "%s(%s%s%s): got \"%s\", wanted \"%s\"", callable,
		      arg ? "'" : "", arg ? arg : "", arg ? "'" : "", out ? out : "(NULL)", want);
	pyweld_free(out);
}

/* Starts with the defaults and the program's own name; a failure is fatal. */
static int
start_default(char *argv0)
{
	struct pyweld_config cfg;
	char *argv[] = { argv0, NULL };

	pyweld_config_init(&cfg);
	cfg.argc = 1;
	cfg.argv = argv;
	return expect(pyweld_start(&cfg), PYWELD_OK, "pyweld_start");
}

static void
finish_ok(void)
{
	int code = -1;

	expect(pyweld_finish(&code), PYWELD_OK, "pyweld_finish");
	check(code == 0, "pyweld_finish: exit code %d, wanted 0", code);
}

/* Where a signal's disposition stands: "default", "ignored" or "handled". */
static const char *
disposition(int sig)
{
	struct sigaction sa;

	if (sigaction(sig, NULL, &sa) < 0)
		return "unknown";
	if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL)
		return "default";
	if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN)
		return "ignored";
	return "handled";
}

/* --- modules of the program's own ------------------------------------------ */

static PyObject *
native_answer(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	return PyLong_FromLong(42);
}

static PyObject *
native_shout(PyObject *self, PyObject *arg)
{
	(void)self;
	return PyObject_CallMethod(arg, "upper", NULL);
}

static PyMethodDef native_methods[] = {
	{ "answer", native_answer, METH_NOARGS, "42, from C" },
	{ "shout", native_shout, METH_O, "str.upper, from C" },
	{ NULL, NULL, 0, NULL },
};

/* pwapp: a package written in C (its __path__ is empty), the parent of the
 * dotted modules below. */
static struct PyModuleDef pwapp_def = {
	PyModuleDef_HEAD_INIT, "pwapp", "a package of the program's own", -1, NULL,
	NULL, NULL, NULL, NULL,
};

static PyObject *
init_pwapp(void)
{
	PyObject *m = PyModule_Create(&pwapp_def), *path;

	if (!m)
		return NULL;
	path = PyList_New(0);
	if (!path || PyModule_AddObject(m, "__path__", path) < 0) {
		Py_XDECREF(path);
		Py_DECREF(m);
		return NULL;
	}
	return m;
}

/* Single-phase, named by its short name: the runtime must give it the
 * dotted one (as the .so loader does with _Py_PackageContext). */
static struct PyModuleDef native_def = {
	PyModuleDef_HEAD_INIT, "_native", "single-phase, dotted", -1, native_methods,
	NULL, NULL, NULL, NULL,
};

static PyObject *
init_native(void)
{
	return PyModule_Create(&native_def);
}

/* Multi-phase, dotted: the module is created from a spec of that name. */
static int
multi_exec(PyObject *m)
{
	return PyModule_AddIntConstant(m, "phases", 2);
}

static PyModuleDef_Slot multi_slots[] = {
	{ Py_mod_exec, (void *)multi_exec },
	{ 0, NULL },
};

static struct PyModuleDef multi_def = {
	PyModuleDef_HEAD_INIT, "pwapp._multi", "multi-phase, dotted", 0, native_methods,
	multi_slots, NULL, NULL, NULL,
};

static PyObject *
init_multi(void)
{
	return PyModuleDef_Init(&multi_def);
}

/* A dotted module under a package that is welded in from Python sources. */
static struct PyModuleDef under_def = {
	PyModuleDef_HEAD_INIT, "markupsafe._pwtest", "under a welded package", -1,
	native_methods, NULL, NULL, NULL, NULL,
};

static PyObject *
init_under(void)
{
	return PyModule_Create(&under_def);
}

static PyObject *
init_late(void)
{
	return PyModule_Create(&pwapp_def);
}

/* --- the cases ----------------------------------------------------------------- */

/* Every running call before pyweld_start: PYWELD_ERR_MISUSE naming the
 * function, nothing given back; the interpreter still starts afterwards. */
static void
case_before_start(int argc, char **argv)
{
	char *out = (char *)"untouched";
	PyObject *obj = (PyObject *)&out;
	int code = -7;

	(void)argc;
	check(!strcmp(pyweld_error(), ""), "pyweld_error() before any failure: \"%s\", "
	      "wanted \"\"", pyweld_error());
	check(pyweld_exit_code() == 0, "pyweld_exit_code() before anything: %d",
	      pyweld_exit_code());
	expect_misuse(pyweld_run_code("print('ran')"), "pyweld_run_code",
	              "pyweld_run_code before start");
	expect_in_error("pyweld_start", "pyweld_run_code before start says to call pyweld_start");
	expect_misuse(pyweld_run_module("json.tool"), "pyweld_run_module",
	              "pyweld_run_module before start");
	expect_misuse(pyweld_run_entry(), "pyweld_run_entry", "pyweld_run_entry before start");
	expect_misuse(pyweld_call_str("markupsafe.escape", "<", &out), "pyweld_call_str",
	              "pyweld_call_str before start");
	check(out == NULL, "pyweld_call_str before start: *result is not NULL");
	expect_misuse(pyweld_call("json.dumps", NULL, NULL, &obj), "pyweld_call",
	              "pyweld_call before start");
	check(obj == NULL, "pyweld_call before start: *result is not NULL");
	expect_misuse(pyweld_finish(&code), "pyweld_finish", "pyweld_finish before start");
	check(code == -7, "pyweld_finish before start wrote *exit_code (%d)", code);
	expect_misuse(pyweld_finish(NULL), "pyweld_finish", "pyweld_finish(NULL) before start");

	/* None of that broke anything. */
	if (!start_default(argv[0]))
		return;
	expect_call_str("markupsafe.escape", "<a href='x'>", "&lt;a href=&#39;x&#39;&gt;");
	finish_ok();
}

/* Every pointer argument NULL (and empty names): PYWELD_ERR_MISUSE naming
 * the function, before and after the start; NULL where NULL is allowed. */
static void
case_null_args(int argc, char **argv)
{
	char *out = (char *)"untouched";
	PyObject *obj = (PyObject *)&out;

	(void)argc;
	pyweld_config_init(NULL);               /* no-op, no crash */
	pyweld_free(NULL);                      /* no-op */
	expect_misuse(pyweld_register_module(NULL, init_native), "pyweld_register_module",
	              "pyweld_register_module(NULL, init)");
	expect_misuse(pyweld_register_module("pwapp", NULL), "pyweld_register_module",
	              "pyweld_register_module(name, NULL)");
	expect_misuse(pyweld_register_module("", init_native), "pyweld_register_module",
	              "pyweld_register_module(\"\", init)");
	expect_misuse(pyweld_start(NULL), "pyweld_start", "pyweld_start(NULL)");
	expect_misuse(pyweld_run_code(NULL), "pyweld_run_code", "pyweld_run_code(NULL) before start");
	expect_misuse(pyweld_call_str(NULL, "x", &out), "pyweld_call_str",
	              "pyweld_call_str(NULL, ...) before start");

	if (!start_default(argv[0]))
		return;
	expect_misuse(pyweld_run_code(NULL), "pyweld_run_code", "pyweld_run_code(NULL)");
	expect_misuse(pyweld_run_module(NULL), "pyweld_run_module", "pyweld_run_module(NULL)");
	expect_misuse(pyweld_run_module(""), "pyweld_run_module", "pyweld_run_module(\"\")");
	out = (char *)"untouched";
	expect_misuse(pyweld_call_str(NULL, "x", &out), "pyweld_call_str",
	              "pyweld_call_str(NULL, arg, &out)");
	expect_misuse(pyweld_call_str("markupsafe.escape", "x", NULL), "pyweld_call_str",
	              "pyweld_call_str(callable, arg, NULL)");
	expect_misuse(pyweld_call(NULL, NULL, NULL, &obj), "pyweld_call",
	              "pyweld_call(NULL, args, kwargs, &result)");
	expect_misuse(pyweld_call("json.dumps", NULL, NULL, NULL), "pyweld_call",
	              "pyweld_call(callable, args, kwargs, NULL)");
	expect_misuse(pyweld_start(NULL), "pyweld_start", "pyweld_start(NULL) while running");

	/* NULL where the header allows it: no argument, no kwargs, no code. */
	expect_call_str("markupsafe.Markup", NULL, "");
	PyGILState_STATE g = PyGILState_Ensure();
	PyObject *args = Py_BuildValue("([i])", 1);
	PyGILState_Release(g);
	obj = NULL;
	if (expect(pyweld_call("json.dumps", args, NULL, &obj), PYWELD_OK,
	           "pyweld_call(json.dumps, ([1],), NULL)")) {
		g = PyGILState_Ensure();
		check(obj && PyUnicode_Check(obj) && !strcmp(PyUnicode_AsUTF8(obj), "[1]"),
		      "pyweld_call(json.dumps, ([1],), NULL): not the str '[1]'");
		Py_XDECREF(obj);
		PyGILState_Release(g);
	}
	g = PyGILState_Ensure();
	Py_XDECREF(args);
	PyGILState_Release(g);

	/* And the misuse left the interpreter as it was. */
	expect_call_str("markupsafe.escape", "&", "&amp;");
	expect_misuse(pyweld_register_module("pwapp", NULL), "pyweld_register_module",
	              "pyweld_register_module(name, NULL) while running");
	finish_ok();
	pyweld_config_init(NULL);
	pyweld_free(NULL);
}

/* pyweld_start twice: the second is PYWELD_ERR_MISUSE and changes nothing. */
static void
case_start_twice(int argc, char **argv)
{
	struct pyweld_config cfg;
	char *other[] = { (char *)"other-argv0", NULL };

	(void)argc;
	if (!start_default(argv[0]))
		return;
	pyweld_config_init(&cfg);
	cfg.argc = 1;
	cfg.argv = other;
	expect_misuse(pyweld_start(&cfg), "pyweld_start", "pyweld_start twice");
	expect_in_error("already", "pyweld_start twice says the interpreter is already running");
	/* still the first interpreter, with the first configuration */
	if (expect(pyweld_run_code("import sys\nassert sys.argv[0] != 'other-argv0', sys.argv"),
	           PYWELD_OK, "the second start's argv was not taken"))
		expect_call_str("markupsafe.escape", "<>", "&lt;&gt;");
	finish_ok();
}

/* After pyweld_finish: every call PYWELD_ERR_MISUSE naming its function,
 * pyweld_start refused (CPython cannot start twice in one process). */
static void
case_after_finish(int argc, char **argv)
{
	struct pyweld_config cfg;
	char *out = NULL;
	PyObject *obj = NULL;
	int code = -7;

	(void)argc;
	if (!start_default(argv[0]))
		return;
	expect(pyweld_finish(NULL), PYWELD_OK, "pyweld_finish(NULL)");
	pyweld_config_init(&cfg);
	expect_misuse(pyweld_start(&cfg), "pyweld_start", "pyweld_start after pyweld_finish");
	expect_in_error("cannot start again", "pyweld_start after finish says why");
	expect_misuse(pyweld_run_code("pass"), "pyweld_run_code", "pyweld_run_code after finish");
	expect_in_error("finished", "pyweld_run_code after finish says it is finished");
	expect_misuse(pyweld_run_module("json"), "pyweld_run_module",
	              "pyweld_run_module after finish");
	expect_misuse(pyweld_run_entry(), "pyweld_run_entry", "pyweld_run_entry after finish");
	expect_misuse(pyweld_call_str("markupsafe.escape", "<", &out), "pyweld_call_str",
	              "pyweld_call_str after finish");
	check(out == NULL, "pyweld_call_str after finish gave a result");
	expect_misuse(pyweld_call("json.dumps", NULL, NULL, &obj), "pyweld_call",
	              "pyweld_call after finish");
	check(obj == NULL, "pyweld_call after finish gave a result");
	expect_misuse(pyweld_register_module("pwapp", init_pwapp), "pyweld_register_module",
	              "pyweld_register_module after finish");
	expect_misuse(pyweld_finish(&code), "pyweld_finish", "pyweld_finish twice");
	check(code == -7, "pyweld_finish twice wrote *exit_code (%d)", code);
}

/* pyweld_register_module after pyweld_start: refused, and the module is
 * not importable. */
static void
case_register_late(int argc, char **argv)
{
	(void)argc;
	if (!start_default(argv[0]))
		return;
	expect_misuse(pyweld_register_module("pwlate", init_late), "pyweld_register_module",
	              "pyweld_register_module after start");
	expect_in_error("pwlate", "the message names the module");
	if (expect(pyweld_run_code("import pwlate"), PYWELD_ERR_PYTHON,
	           "a module registered too late is not importable"))
		expect_in_error("ModuleNotFoundError", "importing it raises ModuleNotFoundError");
	finish_ok();
}

/* Modules of the program's own, dotted: importable, with their full names. */
static void
case_register_module(int argc, char **argv)
{
	(void)argc;
	expect(pyweld_register_module("pwapp", init_pwapp), PYWELD_OK, "register pwapp");
	expect(pyweld_register_module("pwapp._native", init_native), PYWELD_OK,
	       "register pwapp._native");
	expect(pyweld_register_module("pwapp._multi", init_multi), PYWELD_OK,
	       "register pwapp._multi");
	expect(pyweld_register_module("markupsafe._pwtest", init_under), PYWELD_OK,
	       "register markupsafe._pwtest");
	if (!start_default(argv[0]))
		return;
	expect_call_str("pwapp._native.answer", NULL, "42");
	expect_call_str("pwapp._native.shout", "quiet", "QUIET");
	expect_call_str("pwapp._multi.answer", NULL, "42");
	expect_call_str("markupsafe._pwtest.shout", "under", "UNDER");
	expect(pyweld_run_code(
	       "import importlib, sys\n"
	       "import pwapp, pwapp._native, pwapp._multi, markupsafe._pwtest\n"
	       "from pwapp import _native\n"
	       "assert _native is sys.modules['pwapp._native']\n"
	       "assert pwapp._native.__name__ == 'pwapp._native', pwapp._native.__name__\n"
	       "assert pwapp._native.__spec__.name == 'pwapp._native', pwapp._native.__spec__\n"
	       "assert pwapp._multi.__name__ == 'pwapp._multi', pwapp._multi.__name__\n"
	       "assert pwapp._multi.__spec__.name == 'pwapp._multi', pwapp._multi.__spec__\n"
	       "assert pwapp._multi.phases == 2\n"
	       "assert markupsafe._pwtest.__name__ == 'markupsafe._pwtest'\n"
	       "import markupsafe\n"
	       "assert markupsafe.escape('<') == '&lt;'\n"
	       "assert importlib.import_module('pwapp._native').answer() == 42\n"),
	       PYWELD_OK, "the registered modules from Python");
	finish_ok();
}

/* Python exceptions: PYWELD_ERR_PYTHON with the traceback in pyweld_error(),
 * source lines of welded modules included; the interpreter goes on. */
static void
case_python_error(int argc, char **argv)
{
	char *out = (char *)"untouched";

	(void)argc;
	if (!start_default(argv[0]))
		return;
	if (expect(pyweld_run_code("def inner():\n"
	                           "    raise ValueError('boom from run_code')\n"
	                           "inner()\n"), PYWELD_ERR_PYTHON, "run_code raising ValueError")) {
		expect_in_error("Traceback (most recent call last):", "run_code: a traceback");
		expect_in_error("in inner", "run_code: the frame of inner()");
		expect_in_error("<pyweld_run_code>", "run_code: the code's file name");
		expect_in_error("ValueError: boom from run_code", "run_code: the exception");
	}
	if (expect(pyweld_call_str("json.loads", "{not json", &out), PYWELD_ERR_PYTHON,
	           "json.loads('{not json')")) {
		expect_in_error("Traceback (most recent call last):", "json.loads: a traceback");
		expect_in_error("json/decoder.py", "json.loads: a frame in json/decoder.py");
		expect_in_error("obj, end = self.scan_once(s, idx)",
		                "json.loads: a source line of json/decoder.py");
		expect_in_error("json.decoder.JSONDecodeError: Expecting property name",
		                "json.loads: the exception");
	}
	check(out == NULL, "json.loads failed: *result is not NULL");
	if (expect(pyweld_call_str("markupsafe.escape", NULL, &out), PYWELD_ERR_PYTHON,
	           "markupsafe.escape() with no argument"))
		expect_in_error("TypeError", "markupsafe.escape(): a TypeError");
	if (expect(pyweld_call_str("pw_no_such_module.f", "x", &out), PYWELD_ERR_PYTHON,
	           "a callable of a module that is not there"))
		expect_in_error("pw_no_such_module", "the message names the missing path");
	if (expect(pyweld_call_str("markupsafe.pw_no_such_function", "x", &out),
	           PYWELD_ERR_PYTHON, "a missing attribute"))
		expect_in_error("AttributeError", "a missing attribute: AttributeError");
	check(pyweld_exit_code() == 0, "no SystemExit, yet pyweld_exit_code() is %d",
	      pyweld_exit_code());
	/* runpy turns a missing module into SystemExit("... No module named ..."),
	 * which python prints: either status will do, the message must say it. */
	pyweld_status st = pyweld_run_module("pw_no_such_module");
	check(st == PYWELD_ERR_PYTHON || (st == PYWELD_ERR_EXIT && pyweld_exit_code() == 1),
	      "pyweld_run_module of a missing module: %s (exit code %d), wanted "
	      "PYWELD_ERR_PYTHON or PYWELD_ERR_EXIT with 1", status_name(st),
	      pyweld_exit_code());
	expect_in_error("No module named pw_no_such_module",
	                "pyweld_run_module of a missing module: the message says so");
	if (expect(pyweld_call_str("markupsafe.escape", "\xff\xfe not utf-8", &out),
	           PYWELD_ERR_PYTHON, "an argument that is not UTF-8"))
		expect_in_error("UnicodeDecodeError", "not UTF-8: UnicodeDecodeError");
	if (expect(pyweld_run_code("def f(:\n"), PYWELD_ERR_PYTHON, "a syntax error"))
		expect_in_error("SyntaxError", "a syntax error: SyntaxError");
	/* still working */
	expect_call_str("markupsafe.escape", "\"ok\"", "&#34;ok&#34;");
	finish_ok();
}

/* SystemExit: PYWELD_ERR_EXIT and its status in pyweld_exit_code(); the
 * interpreter goes on. */
static void
case_system_exit(int argc, char **argv)
{
	char *out = NULL;

	(void)argc;
	if (!start_default(argv[0]))
		return;
	if (expect(pyweld_run_code("raise SystemExit(5)"), PYWELD_ERR_EXIT,
	           "run_code: SystemExit(5)"))
		check(pyweld_exit_code() == 5, "SystemExit(5): pyweld_exit_code() is %d",
		      pyweld_exit_code());
	if (expect(pyweld_run_code("import sys\nsys.exit(0)"), PYWELD_ERR_EXIT,
	           "run_code: sys.exit(0)"))
		check(pyweld_exit_code() == 0, "sys.exit(0): pyweld_exit_code() is %d",
		      pyweld_exit_code());
	if (expect(pyweld_run_code("raise SystemExit('a message')"), PYWELD_ERR_EXIT,
	           "run_code: SystemExit('a message')")) {
		check(pyweld_exit_code() == 1, "SystemExit('a message'): pyweld_exit_code() is "
		      "%d, wanted 1 (as python exits)", pyweld_exit_code());
		/* python prints the message; a library that does not print keeps it */
		expect_in_error("a message", "SystemExit('a message'): pyweld_error() has it");
	}
	if (expect(pyweld_call_str("sys.exit", NULL, &out), PYWELD_ERR_EXIT,
	           "call_str: sys.exit()"))
		check(pyweld_exit_code() == 0, "sys.exit(): pyweld_exit_code() is %d",
		      pyweld_exit_code());
	check(out == NULL, "call_str(sys.exit): *result is not NULL");
	if (expect(pyweld_run_code("def f():\n    raise SystemExit(77)\nf()"), PYWELD_ERR_EXIT,
	           "run_code: SystemExit(77) from a function"))
		check(pyweld_exit_code() == 77, "SystemExit(77): pyweld_exit_code() is %d",
		      pyweld_exit_code());
	/* still working */
	expect_call_str("markupsafe.escape", "'", "&#39;");
	finish_ok();
}

/* pyweld_call with Python objects: a tuple, kwargs, dotted methods. */
static void
case_call_objects(int argc, char **argv)
{
	PyObject *args, *kwargs, *r = NULL, *bad;
	PyGILState_STATE g;

	(void)argc;
	if (!start_default(argv[0]))
		return;
	g = PyGILState_Ensure();
	args = Py_BuildValue("({s:i,s:[i,i,s]})", "b", 1, "a", 1, 2, "\xc3\xa9");
	kwargs = Py_BuildValue("{s:O,s:O,s:(ss)}", "sort_keys", Py_True, "ensure_ascii",
	                       Py_False, "separators", ",", ":");
	bad = Py_BuildValue("[s]", "a list, not a tuple");
	PyGILState_Release(g);
	if (!check(args && kwargs && bad, "building the arguments failed"))
		return;

	if (expect(pyweld_call("json.dumps", args, kwargs, &r), PYWELD_OK,
	           "pyweld_call(json.dumps, (obj,), {sort_keys, ensure_ascii, separators})")) {
		g = PyGILState_Ensure();
		const char *s = r && PyUnicode_Check(r) ? PyUnicode_AsUTF8(r) : NULL;
		check(s && !strcmp(s, "{\"a\":[1,2,\"\xc3\xa9\"],\"b\":1}"),
		      "json.dumps with kwargs gave %s", s ? s : "(not a str)");
		Py_CLEAR(r);
		PyGILState_Release(g);
	}

	/* kwargs alone */
	g = PyGILState_Ensure();
	PyObject *kw2 = Py_BuildValue("{s:[i],s:i}", "obj", 3, "indent", 1);
	PyGILState_Release(g);
	if (expect(pyweld_call("json.dumps", NULL, kw2, &r), PYWELD_OK,
	           "pyweld_call(json.dumps, NULL, {obj, indent})")) {
		g = PyGILState_Ensure();
		const char *s = r && PyUnicode_Check(r) ? PyUnicode_AsUTF8(r) : NULL;
		check(s && !strcmp(s, "[\n 3\n]"), "json.dumps(obj=[3], indent=1) gave %s",
		      s ? s : "(not a str)");
		Py_CLEAR(r);
		PyGILState_Release(g);
	}

	/* a dotted path through a class to a classmethod of the welded package */
	g = PyGILState_Ensure();
	PyObject *a3 = Py_BuildValue("(s)", "<i>");
	PyGILState_Release(g);
	if (expect(pyweld_call("markupsafe.Markup.escape", a3, NULL, &r), PYWELD_OK,
	           "pyweld_call(markupsafe.Markup.escape, ('<i>',))")) {
		g = PyGILState_Ensure();
		PyObject *type = r ? PyObject_GetAttrString((PyObject *)Py_TYPE(r), "__name__") : NULL;
		check(r && PyUnicode_Check(r) && !strcmp(PyUnicode_AsUTF8(r), "&lt;i&gt;"),
		      "Markup.escape('<i>') is not '&lt;i&gt;'");
		check(type && !strcmp(PyUnicode_AsUTF8(type), "Markup"),
		      "Markup.escape('<i>') is not a Markup");
		Py_XDECREF(type);
		Py_CLEAR(r);
		PyGILState_Release(g);
	}

	/* no arguments; a non-str result */
	if (expect(pyweld_call("os.getpid", NULL, NULL, &r), PYWELD_OK, "pyweld_call(os.getpid)")) {
		g = PyGILState_Ensure();
		check(r && PyLong_Check(r) && PyLong_AsLong(r) == (long)getpid(),
		      "os.getpid() is not this process's id");
		Py_CLEAR(r);
		PyGILState_Release(g);
	}

	/* args not a tuple */
	r = (PyObject *)&r;
	expect_misuse(pyweld_call("json.dumps", bad, NULL, &r), "pyweld_call",
	              "pyweld_call with a list as args");
	check(r == NULL, "pyweld_call with a list as args: *result is not NULL");

	/* an exception through pyweld_call */
	g = PyGILState_Ensure();
	PyObject *a4 = Py_BuildValue("(s)", "[1,");
	PyGILState_Release(g);
	if (expect(pyweld_call("json.loads", a4, NULL, &r), PYWELD_ERR_PYTHON,
	           "pyweld_call(json.loads, ('[1,',))"))
		expect_in_error("JSONDecodeError", "pyweld_call: the exception");
	check(r == NULL, "pyweld_call raised: *result is not NULL");

	g = PyGILState_Ensure();
	Py_DECREF(args);
	Py_DECREF(kwargs);
	Py_DECREF(kw2);
	Py_XDECREF(a3);
	Py_XDECREF(a4);
	Py_DECREF(bad);
	PyGILState_Release(g);
	finish_ok();
}

/* --- four threads at once ---------------------------------------------------------- */

enum { NTHREADS = 4, NCALLS = 400 };

static pthread_barrier_t barrier;

struct worker {
	int id;
	int bad;                        /* wrong results */
	int errors;                     /* failed calls */
	char first_problem[512];
	int error_was_own;              /* pyweld_error() named this thread's module */
};

static void *
worker_main(void *p)
{
	struct worker *w = p;
	char arg[64], want[128], bogus[64];

	pthread_barrier_wait(&barrier);
	for (int i = 0; i < NCALLS; i++) {
		char *out = NULL;

		snprintf(arg, sizeof(arg), "<t%d i=\"%d\"> & '", w->id, i);
		snprintf(want, sizeof(want), "&lt;t%d i=&#34;%d&#34;&gt; &amp; &#39;", w->id, i);
		pyweld_status st = pyweld_call_str("markupsafe.escape", arg, &out);
		if (st != PYWELD_OK) {
			if (!w->errors++)
				snprintf(w->first_problem, sizeof(w->first_problem), "call %d: %s: %s",
				         i, status_name(st), pyweld_error());
		} else if (strcmp(out, want)) {
			if (!w->bad++ && !w->errors)
				snprintf(w->first_problem, sizeof(w->first_problem),
				         "call %d: got \"%s\", wanted \"%s\"", i, out, want);
		}
		pyweld_free(out);
		if (i == NCALLS / 2) {
			/* A failure of this thread's own: its message is this thread's. */
			snprintf(bogus, sizeof(bogus), "pw_thread_%d_missing.f", w->id);
			out = NULL;
			if (pyweld_call_str(bogus, "x", &out) == PYWELD_ERR_PYTHON)
				w->error_was_own = strstr(pyweld_error(), bogus) != NULL;
			pyweld_free(out);
		}
	}
	return NULL;
}

static void
case_threads(int argc, char **argv)
{
	pthread_t t[NTHREADS];
	struct worker w[NTHREADS];

	(void)argc;
	if (!start_default(argv[0]))
		return;
	pthread_barrier_init(&barrier, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		if (!check(pthread_create(&t[i], NULL, worker_main, &w[i]) == 0,
		           "pthread_create %d failed", i))
			return;
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		check(!w[i].errors && !w[i].bad, "thread %d: %d failed calls, %d wrong results of "
		      "%d; the first: %s", i, w[i].errors, w[i].bad, NCALLS, w[i].first_problem);
		check(w[i].error_was_own, "thread %d: pyweld_error() after its own failed call "
		      "did not name its own module", i);
	}
	pthread_barrier_destroy(&barrier);
	check(!strcmp(pyweld_error(), ""), "the main thread saw the threads' errors: \"%s\"",
	      pyweld_error());
	printf("threads: %d x %d calls\n", NTHREADS, NCALLS);
	fflush(stdout);
	finish_ok();
}

/* --- the configuration ------------------------------------------------------------- */

/*
 * isolated: argv[2] is "0" or "1".  The driver sets PYTHONPATH to a
 * directory with pw_onpath.py and PYTHONDONTWRITEBYTECODE=1; isolated=0
 * honours both, isolated=1 (the default) neither.
 */
static void
case_isolated(int argc, char **argv)
{
	struct pyweld_config cfg;
	char *one[] = { argv[0], NULL };
	char *out = NULL;
	const char *pp = getenv("PYTHONPATH");

	if (!check(argc == 3 && pp, "usage: isolated 0|1, with PYTHONPATH set"))
		return;
	int isolated = atoi(argv[2]);
	pyweld_config_init(&cfg);
	check(cfg.isolated == 1, "pyweld_config_init: isolated is %d, wanted 1", cfg.isolated);
	cfg.isolated = isolated;
	cfg.argc = 1;
	cfg.argv = one;
	if (!expect(pyweld_start(&cfg), PYWELD_OK, "pyweld_start"))
		return;
	pyweld_status st = pyweld_call_str("pw_onpath.where", NULL, &out);
	if (isolated) {
		if (expect(st, PYWELD_ERR_PYTHON, "isolated=1: pw_onpath (on PYTHONPATH) imports"))
			expect_in_error("pw_onpath", "isolated=1: the error names pw_onpath");
		expect_call_str("sys.flags.ignore_environment.__repr__", NULL, "1");
		expect_call_str("sys.flags.dont_write_bytecode.__repr__", NULL, "0");
		expect(pyweld_run_code("import os, sys\n"
		                       "assert os.environ['PYTHONPATH'] not in sys.path, sys.path\n"),
		       PYWELD_OK, "isolated=1: PYTHONPATH is not on sys.path");
	} else {
		if (expect(st, PYWELD_OK, "isolated=0: pw_onpath (on PYTHONPATH) imports"))
			check(out && !strcmp(out, "on PYTHONPATH"), "pw_onpath.where() gave %s",
			      out ? out : "(NULL)");
		expect_call_str("sys.flags.ignore_environment.__repr__", NULL, "0");
		expect_call_str("sys.flags.dont_write_bytecode.__repr__", NULL, "1");
		expect(pyweld_run_code("import os, sys\n"
		                       "assert sys.path[1:] == [os.environ['PYTHONPATH']], sys.path\n"),
		       PYWELD_OK, "isolated=0: PYTHONPATH follows the binary on sys.path");
	}
	pyweld_free(out);
	/* either way the binary's own modules come first */
	expect_call_str("markupsafe.escape", "<", "&lt;");
	finish_ok();
}

/* path: argv[2..] are directories for cfg.path, the driver's modules in them. */
static void
case_path(int argc, char **argv)
{
	struct pyweld_config cfg;
	char *one[] = { argv[0], NULL };
	const char *dirs[8] = { NULL };
	char want[8192];

	if (!check(argc >= 4 && argc < 10, "usage: path DIR DIR..."))
		return;
	for (int i = 2; i < argc; i++)
		dirs[i - 2] = argv[i];
	pyweld_config_init(&cfg);
	cfg.argc = 1;
	cfg.argv = one;
	cfg.path = dirs;
	if (!expect(pyweld_start(&cfg), PYWELD_OK, "pyweld_start"))
		return;
	expect_call_str("pw_inpath_a.hello", "C", "hello C from a");
	expect_call_str("pw_inpath_b.sub.mod.hello", "C", "hello C from b.sub.mod");
	/* sys.path is the binary, then the directories in their order */
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (!check(n > 0, "readlink /proc/self/exe"))
		return;
	exe[n] = '\0';
	snprintf(want, sizeof(want), "['%s'", exe);
	for (int i = 2; i < argc; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), ", '%s'", argv[i]);
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "]");
	expect_call_str("sys.path.__repr__", NULL, want);
	/* run_module from a directory of cfg.path, and a SystemExit through it */
	expect(pyweld_run_module("pw_inpath_a"), PYWELD_OK, "pyweld_run_module(pw_inpath_a)");
	if (expect(pyweld_run_module("pw_exit"), PYWELD_ERR_EXIT, "pyweld_run_module(pw_exit)"))
		check(pyweld_exit_code() == 6, "pw_exit: pyweld_exit_code() is %d, wanted 6",
		      pyweld_exit_code());
	/* a welded module as __main__ (the driver sees its output) */
	expect(pyweld_run_module("this"), PYWELD_OK, "pyweld_run_module(this)");
	finish_ok();
}

/* sys.argv: "argv0" overrides argv[0], "asis" passes argv untouched
 * (options included, not parsed), "none" (argc 0) is just the program,
 * "none_argv0" is just argv0. */
static void
case_argv(int argc, char **argv)
{
	struct pyweld_config cfg;
	char *given[] = { (char *)"given-argv0", (char *)"-c", (char *)"print('not run')",
	                  (char *)"-X", (char *)"dev", (char *)"\xc3\xa9t\xc3\xa9", NULL };
	const char *rest = "'-c', \"print('not run')\", '-X', 'dev', '\xc3\xa9t\xc3\xa9'";
	char want[8192], exe[4096];
	ssize_t n;

	if (!check(argc == 3, "usage: argv argv0|asis|none|none_argv0"))
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (!check(n > 0, "readlink /proc/self/exe"))
		return;
	exe[n] = '\0';
	pyweld_config_init(&cfg);
	check(cfg.argc == 0 && cfg.argv == NULL && cfg.argv0 == NULL && cfg.path == NULL &&
	      cfg.parse_argv == 0 && cfg.install_signal_handlers == 1 && cfg.isolated == 1,
	      "pyweld_config_init: not the documented defaults");
	if (!strcmp(argv[2], "argv0")) {
		cfg.argc = 6;
		cfg.argv = given;
		cfg.argv0 = "custom-argv0";
		snprintf(want, sizeof(want), "['custom-argv0', %s]", rest);
	} else if (!strcmp(argv[2], "asis")) {
		cfg.argc = 6;
		cfg.argv = given;
		snprintf(want, sizeof(want), "['given-argv0', %s]", rest);
	} else if (!strcmp(argv[2], "none")) {
		snprintf(want, sizeof(want), "['%s']", exe);
	} else {
		cfg.argv0 = "custom-argv0";
		snprintf(want, sizeof(want), "['custom-argv0']");
	}
	if (!expect(pyweld_start(&cfg), PYWELD_OK, "pyweld_start"))
		return;
	expect_call_str("sys.argv.__repr__", NULL, want);
	expect_call_str("sys.executable.__str__", NULL, exe);
	expect_call_str("sys.flags.dev_mode.__repr__", NULL, "False");
	finish_ok();
}

/* install_signal_handlers: argv[2] "1" (default) or "0"; the C dispositions
 * right after pyweld_start, before any Python code runs. */
static void
case_signals(int argc, char **argv)
{
	struct pyweld_config cfg;
	char *one[] = { argv[0], NULL };

	if (!check(argc == 3, "usage: signals 0|1"))
		return;
	int on = atoi(argv[2]);
	check(!strcmp(disposition(SIGINT), "default") && !strcmp(disposition(SIGPIPE), "default"),
	      "before pyweld_start: SIGINT %s, SIGPIPE %s (the driver runs this with the "
	      "defaults)", disposition(SIGINT), disposition(SIGPIPE));
	pyweld_config_init(&cfg);
	cfg.argc = 1;
	cfg.argv = one;
	cfg.install_signal_handlers = on;
	if (!expect(pyweld_start(&cfg), PYWELD_OK, "pyweld_start"))
		return;
	const char *want_int = on ? "handled" : "default";
	const char *want_pipe = on ? "ignored" : "default";
	check(!strcmp(disposition(SIGINT), want_int), "install_signal_handlers=%d: SIGINT is "
	      "%s, wanted %s", on, disposition(SIGINT), want_int);
	check(!strcmp(disposition(SIGPIPE), want_pipe), "install_signal_handlers=%d: SIGPIPE "
	      "is %s, wanted %s", on, disposition(SIGPIPE), want_pipe);
	if (on)
		expect(pyweld_run_code("import os, signal\n"
		                       "try:\n"
		                       "    os.kill(os.getpid(), signal.SIGINT)\n"
		                       "    for _ in range(100): pass\n"
		                       "except KeyboardInterrupt:\n"
		                       "    pass\n"
		                       "else:\n"
		                       "    raise AssertionError('no KeyboardInterrupt')\n"),
		       PYWELD_OK, "SIGINT raises KeyboardInterrupt");
	finish_ok();
}

/*
 * pyweld_finish: atexit handlers run and the standard streams are flushed
 * (the driver checks stdout: "unflushed|atexit ran\nafter finish\n");
 * "devfull" runs with stdout on /dev/full, where flushing fails: 120.
 */
static void
case_finish(int argc, char **argv)
{
	int code = -7;
	int devfull = argc == 3 && !strcmp(argv[2], "devfull");

	if (!start_default(argv[0]))
		return;
	expect(pyweld_run_code("import atexit, sys\n"
	                       "atexit.register(lambda: sys.stdout.write('atexit ran\\n'))\n"
	                       "sys.stdout.write('unflushed|')\n"), PYWELD_OK,
	       "writing without a flush");
	expect(pyweld_finish(&code), PYWELD_OK, "pyweld_finish");
	if (devfull) {
		check(code == 120, "stdout on /dev/full: pyweld_finish's code is %d, wanted 120 "
		      "(as python exits)", code);
	} else {
		check(code == 0, "pyweld_finish's code is %d, wanted 0", code);
		printf("after finish\n");
	}
}

/* pyweld_start refuses: -V and a bad option exit while starting (parse_argv
 * = 1), a bad -X value cannot start.  argv[2]: "version", "badopt", "badx". */
static void
case_start_fails(int argc, char **argv)
{
	struct pyweld_config cfg;
	char *v[] = { argv[0], (char *)"-V", NULL };
	char *z[] = { argv[0], (char *)"-Z", NULL };
	char *x[] = { argv[0], (char *)"-X", (char *)"int_max_str_digits=1", NULL };

	if (!check(argc == 3, "usage: start_fails version|badopt|badx"))
		return;
	pyweld_config_init(&cfg);
	cfg.parse_argv = 1;
	if (!strcmp(argv[2], "version")) {
		cfg.argc = 2;
		cfg.argv = v;
		if (expect(pyweld_start(&cfg), PYWELD_ERR_EXIT, "pyweld_start with -V"))
			check(pyweld_exit_code() == 0, "-V: pyweld_exit_code() is %d, wanted 0",
			      pyweld_exit_code());
	} else if (!strcmp(argv[2], "badopt")) {
		cfg.argc = 2;
		cfg.argv = z;
		if (expect(pyweld_start(&cfg), PYWELD_ERR_EXIT, "pyweld_start with -Z"))
			check(pyweld_exit_code() == 2, "-Z: pyweld_exit_code() is %d, wanted 2",
			      pyweld_exit_code());
	} else {
		cfg.argc = 3;
		cfg.argv = x;
		if (expect(pyweld_start(&cfg), PYWELD_ERR_INIT,
		           "pyweld_start with -X int_max_str_digits=1"))
			expect_in_error("int_max_str_digits", "the error names the option");
		return;         /* what a retry after PYWELD_ERR_INIT does is not specified */
	}
	/* it exited while starting: finished for good */
	expect_misuse(pyweld_run_code("pass"), "pyweld_run_code", "pyweld_run_code after "
	              "the start exited");
	expect_misuse(pyweld_start(&cfg), "pyweld_start", "pyweld_start after it exited");
}

/*
 * pyweld_run_entry in a library welded without an entry point: like
 * `python` with the configured argv (parse_argv = 1).  argv[2] is the code
 * for -c; argv[3] the status pyweld_run_entry must give ("ok" or "exit:N").
 * The interpreter is finished afterwards; pyweld_finish reports.
 */
static void
case_run_entry(int argc, char **argv)
{
	struct pyweld_config cfg;
	int code = -7;

	if (!check(argc == 4, "usage: run_entry CODE ok|exit:N"))
		return;
	char *pyargv[] = { argv[0], (char *)"-c", argv[2], (char *)"arg1", NULL };
	pyweld_config_init(&cfg);
	cfg.parse_argv = 1;
	cfg.argc = 4;
	cfg.argv = pyargv;
	if (!expect(pyweld_start(&cfg), PYWELD_OK, "pyweld_start"))
		return;
	pyweld_status st = pyweld_run_entry();
	fprintf(stderr, "pyweld_run_entry returned\n");
	if (!strcmp(argv[3], "ok")) {
		expect(st, PYWELD_OK, "pyweld_run_entry");
	} else if (expect(st, PYWELD_ERR_EXIT, "pyweld_run_entry")) {
		int want = atoi(argv[3] + 5);
		check(pyweld_exit_code() == want, "pyweld_run_entry: pyweld_exit_code() is %d, "
		      "wanted %d", pyweld_exit_code(), want);
	}
	expect(pyweld_finish(&code), PYWELD_OK, "pyweld_finish after pyweld_run_entry");
	expect_misuse(pyweld_run_code("pass"), "pyweld_run_code", "pyweld_run_code after "
	              "pyweld_run_entry finished python");
	expect_misuse(pyweld_finish(&code), "pyweld_finish", "pyweld_finish twice");
}

/*
 * pyweld_main in a library welded without an entry point: behaves like
 * `python` with argv[2..] as its options; returns the status.  Afterwards
 * the interpreter is finished: calls are PYWELD_ERR_MISUSE, not a crash.
 */
static void
case_main(int argc, char **argv)
{
	char *pyargv[8] = { argv[0] };

	if (!check(argc >= 3 && argc < 9, "usage: main ARG..."))
		return;
	for (int i = 2; i < argc; i++)
		pyargv[i - 1] = argv[i];
	int rc = pyweld_main(argc - 1, pyargv);
	fprintf(stderr, "pyweld_main returned %d\n", rc);
	fflush(stderr);
	expect_misuse(pyweld_run_code("print('ran after pyweld_main')"), "pyweld_run_code",
	              "pyweld_run_code after pyweld_main");
	expect_misuse(pyweld_start(NULL), "pyweld_start", "pyweld_start(NULL) after pyweld_main");
	struct pyweld_config cfg;
	pyweld_config_init(&cfg);
	expect_misuse(pyweld_start(&cfg), "pyweld_start", "pyweld_start after pyweld_main");
	expect_in_error("cannot start again", "pyweld_start after pyweld_main says why");
	printf("pyweld_main: %d\n", rc);
	case_status = rc;       /* the status either way, returned or exited */
}

/* pyweld_version: before and after the start, the same documented shape. */
static void
case_version(int argc, char **argv)
{
	const char *before = pyweld_version();
	char copy[256];
	int major = -1, minor = -1, patch = -1;
	char cpy[32] = "";

	(void)argc;
	if (!check(before && *before, "pyweld_version() is empty"))
		return;
	snprintf(copy, sizeof(copy), "%s", before);
	/* the header: "pyweld 0.1.0 on CPython 3.11.2", CPython's being the
	 * version the library was welded from (its headers' PY_VERSION) */
	check(sscanf(copy, "pyweld %d.%d.%d on CPython %31s", &major, &minor, &patch, cpy) == 4 &&
	      !strcmp(cpy, PY_VERSION),
	      "pyweld_version() is \"%s\"; the header documents \"pyweld 0.1.0 on CPython "
	      "3.11.2\" (the library's version, then CPython's, " PY_VERSION ")", copy);
	check(strstr(copy, "CPython " PY_VERSION) != NULL,
	      "pyweld_version() \"%s\" does not name CPython " PY_VERSION, copy);
	if (!start_default(argv[0]))
		return;
	check(!strcmp(pyweld_version(), copy), "pyweld_version() changed with the start: \"%s\"",
	      pyweld_version());
	printf("%s\n", copy);
	finish_ok();
}

struct test_case {
	const char *name;
	void (*fn)(int argc, char **argv);
};

static const struct test_case cases[] = {
	{ "after_finish", case_after_finish },
	{ "argv", case_argv },
	{ "before_start", case_before_start },
	{ "call_objects", case_call_objects },
	{ "finish", case_finish },
	{ "isolated", case_isolated },
	{ "main", case_main },
	{ "null_args", case_null_args },
	{ "path", case_path },
	{ "python_error", case_python_error },
	{ "register_late", case_register_late },
	{ "register_module", case_register_module },
	{ "run_entry", case_run_entry },
	{ "signals", case_signals },
	{ "start_fails", case_start_fails },
	{ "start_twice", case_start_twice },
	{ "system_exit", case_system_exit },
	{ "threads", case_threads },
	{ "version", case_version },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CASE [ARG...]\ncases:", argv[0]);
		for (const struct test_case *c = cases; c->name; c++)
			fprintf(stderr, " %s", c->name);
		fputc('\n', stderr);
		return 2;
	}
	for (const struct test_case *c = cases; c->name; c++) {
		if (strcmp(c->name, argv[1]))
			continue;
		c->fn(argc, argv);
		fflush(stdout);
		fprintf(stderr, "library_api %s: %d checks, %d failed\n", c->name, nchecks, nfailed);
		return nfailed ? 1 : case_status;
	}
	fprintf(stderr, "%s: unknown case '%s'\n", argv[0], argv[1]);
	return 2;
}

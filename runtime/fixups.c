/*
 * fixups.c: what the importer adds to two standard-library modules right
 * after their bodies ran (importer.c's exec_module), as Python source run
 * in the module's namespace or handed the module: linecache, so that it
 * finds the welded sources, and multiprocessing.spawn, in a binary that
 * must not start multiprocessing's child interpreters.
 */
#include "rt.h"

/*
 * linecache finds a file by stat() or through module globals, and warnings
 * and traceback.print_stack give it neither: its updatecache learns the
 * welded sources by their path under the binary; a source it cannot have
 * (damaged, undecodable) is no lines, as linecache's own sources answer,
 * so that a traceback shows the exception it reports.  Run from here, not from
 * _pyweld_resources, whose imports (importlib.resources, pathlib, tempfile:
 * 40 modules) every program that imports traceback or logging would pay.
 */
static const char linecache_patch_py[] =
	"def patch(lc, prefix, decode_source):\n"
	"    original = lc.updatecache\n"
	"    def updatecache(filename, module_globals=None):\n"
	"        lines = original(filename, module_globals)\n"
	"        if lines or not filename.startswith(prefix):\n"
	"            return lines\n"
	"        import _pyweld\n"
	"        try:\n"
	"            data = _pyweld.importer.get_data(filename)\n"
	"            lines = decode_source(data).splitlines(True)\n"
	"        except (ImportError, OSError, UnicodeDecodeError, SyntaxError):\n"
	"            return []\n"
	"        if lines and not lines[-1].endswith('\\n'):\n"
	"            lines[-1] += '\\n'\n"
	"        lc.cache[filename] = (len(data), None, lines, filename)\n"
	"        return lines\n"
	"    lc.updatecache = updatecache\n";

int
rt_patch_linecache(PyObject *lc)
{
	PyObject *code = Py_CompileString(linecache_patch_py, "<pyweld linecache>", Py_file_input);
	PyObject *g = code ? PyDict_New() : NULL, *r = NULL, *prefix = NULL;

	if (g && PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins()) == 0)
		r = PyEval_EvalCode(code, g, g);
	if (r) {
		Py_DECREF(r);
		prefix = PyUnicode_FromFormat("%U/", rt_imp.exe_path);
		PyObject *patch = prefix ? PyDict_GetItemString(g, "patch") : NULL;
		r = patch ? PyObject_CallFunctionObjArgs(patch, lc, prefix, rt_imp.decode_source,
		                                         NULL) : NULL;
	}
	Py_XDECREF(prefix);
	Py_XDECREF(g);
	Py_XDECREF(code);
	if (!r)
		return -1;
	Py_DECREF(r);
	return 0;
}

/*
 * An application built with --no-multiprocessing-children never acts as
 * python for multiprocessing's children (default_main.c), so it does not start
 * any: spawn, the fork server and the resource tracker all ask
 * multiprocessing.spawn.get_executable() what to run, and this one, run in
 * the module's namespace after its body, raises instead.  Process.start()
 * and Pool() then fail at once in the parent with this message, where a
 * child would have died at start (and a pool restarted it forever).  The
 * 'fork' start method, which runs no interpreter, is not concerned.
 */
static const char mp_refuse_py[] =
	"def get_executable():\n"
	"    raise RuntimeError('this program was built with --no-multiprocessing-children: '\n"
	"                       'it cannot be started as a multiprocessing child interpreter '\n"
	"                       '(the spawn and forkserver start methods, the resource tracker '\n"
	"                       'of shared_memory); use the fork start method')\n";

int
rt_refuse_mp_children(PyObject *dict)
{
	PyObject *code = Py_CompileString(mp_refuse_py, "<pyweld --no-multiprocessing-children>",
	                                  Py_file_input);
	PyObject *r = code ? PyEval_EvalCode(code, dict, dict) : NULL;

	Py_XDECREF(code);
	if (!r)
		return -1;
	Py_DECREF(r);
	return 0;
}

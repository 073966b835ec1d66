/*
 * config.c: from a struct pyweld_config (pyweld.h) to CPython's PyConfig,
 * and python's own command line read from it.
 *
 * With cfg->isolated (the default, and always for pyweld_main) the
 * configuration is that of `python -I`: no PYTHON* variables, no user
 * site, neither the current nor the script directory on sys.path; signal
 * handlers are installed unless the host said otherwise.  sys.path is the
 * binary itself, where the modules live (docs/blob.md), then the host's
 * directories.  home is the binary too, which stops CPython's path
 * calculation from reading a pyvenv.cfg or an "APP._pth" beside it or
 * searching the directories above it; sys.prefix names the binary, so no
 * site-packages directory can exist under it.  Every configuration made
 * here stops before the main phase (_init_main = 0): the in-memory
 * importer goes in between (start.c).
 */
#include "rt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
pyweld_config_init(struct pyweld_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->isolated = 1;
	cfg->install_signal_handlers = 1;
}

static PyStatus
append_path(PyConfig *config, const char *path)
{
	wchar_t *w = Py_DecodeLocale(path, NULL);
	PyStatus st;

	if (!w)
		return PyStatus_NoMemory();
	st = PyWideStringList_Append(&config->module_search_paths, w);
	PyMem_RawFree(w);
	return st;
}

#if PY_VERSION_HEX >= 0x030D0000
/* Python/fileutils.c: Py_EncodeLocale with the raw allocator.  From 3.13
 * on PyMem_Malloc, which Py_EncodeLocale uses, needs an interpreter, and
 * there is none yet here. */
extern char *_Py_EncodeLocaleRaw(const wchar_t *text, size_t *error_pos);
#define encode_locale(w) _Py_EncodeLocaleRaw(w, NULL)
#define encode_free PyMem_RawFree
#else
#define encode_locale(w) Py_EncodeLocale(w, NULL)
#define encode_free PyMem_Free
#endif

/* A wide argument in the locale's encoding, malloc'd (Py_EncodeLocale's
 * copy is PyMem_Malloc'd, which free() at the next start must not see). */
static char *
encode_arg(const wchar_t *w)
{
	char *t = w ? encode_locale(w) : NULL, *r = t ? strdup(t) : NULL;

	encode_free(t);
	return r;
}

PyStatus
rt_configure(PyConfig *config, const struct pyweld_config *cfg)
{
	PyStatus st;
	wchar_t *w;

	PyConfig_InitPythonConfig(config);
	if (cfg->isolated) {
		config->isolated = 1;
		config->use_environment = 0;
		config->user_site_directory = 0;
		config->safe_path = 1;
	}
	config->install_signal_handlers = cfg->install_signal_handlers;
	config->parse_argv = cfg->parse_argv;
	config->_init_main = 0;

	if (cfg->argc > 0 && cfg->argv) {
		if (cfg->argv0) {
			char **copy = calloc((size_t)cfg->argc + 1, sizeof(char *));
			if (!copy)
				return PyStatus_NoMemory();
			memcpy(copy, cfg->argv, (size_t)cfg->argc * sizeof(char *));
			copy[0] = (char *)(uintptr_t)cfg->argv0;
			st = PyConfig_SetBytesArgv(config, cfg->argc, copy);
			free(copy);
		} else {
			st = PyConfig_SetBytesArgv(config, cfg->argc, cfg->argv);
		}
	} else {
		char *one[] = { (char *)(uintptr_t)(cfg->argv0 ? cfg->argv0 : rt_state.exe), NULL };
		st = PyConfig_SetBytesArgv(config, 1, one);
	}
	if (PyStatus_Exception(st))
		return st;

	/* sys.path: the binary, then the program's directories (and, when not
	 * isolated, $PYTHONPATH: an explicit path list replaces CPython's). */
	config->module_search_paths_set = 1;
	st = append_path(config, rt_state.exe);
	for (const char *const *p = cfg->path; !PyStatus_Exception(st) && p && *p; p++)
		st = append_path(config, *p);
	if (!PyStatus_Exception(st) && !cfg->isolated && getenv("PYTHONPATH")) {
		char *copy = strdup(getenv("PYTHONPATH")), *save = NULL, *tok;
		if (!copy)
			return PyStatus_NoMemory();
		for (tok = strtok_r(copy, ":", &save); tok && !PyStatus_Exception(st);
		     tok = strtok_r(NULL, ":", &save))
			st = append_path(config, tok);
		free(copy);
	}
	if (PyStatus_Exception(st))
		return st;
	w = Py_DecodeLocale(rt_state.exe, NULL);
	if (!w)
		return PyStatus_NoMemory();
	st = PyConfig_SetString(config, &config->executable, w);
	if (!PyStatus_Exception(st))
		st = PyConfig_SetString(config, &config->home, w);
	PyMem_RawFree(w);
	return st;
}

/*
 * The command line is read first (-S, -q, -c ...) on a configuration of
 * its own: site itself never runs, but its builtins follow -S; and since
 * CPython prints the REPL's "Type help..." line only when it runs site,
 * the banner is ours.  The interpreter then starts from a fresh
 * configuration (a configuration read twice loses options such as
 * -X warn_default_encoding).  Without parse_argv (an application's entry
 * point, a library's host) there is no command line to read: site's
 * builtins are wanted, nothing is run from argv.
 */
PyStatus
rt_read_command_line(const struct pyweld_config *cfg)
{
	PyStatus st;

	free(rt_state.argv_command);
	free(rt_state.argv_module);
	free(rt_state.argv_file);
	rt_state.argv_command = rt_state.argv_module = rt_state.argv_file = NULL;
	if (!cfg->parse_argv) {
		st = PyStatus_Ok();
		rt_state.want_site = 1;
		rt_state.interactive = rt_state.banner = 0;
	} else {
		PyConfig probe;
		st = rt_configure(&probe, cfg);
		if (!PyStatus_Exception(st))
			st = PyConfig_Read(&probe);
		if (!PyStatus_Exception(st)) {
			rt_state.want_site = probe.site_import;
			rt_state.argv_command = encode_arg(probe.run_command);
			rt_state.argv_module = encode_arg(probe.run_module);
			rt_state.argv_file = encode_arg(probe.run_filename);
			rt_state.interactive = probe.inspect || (!probe.run_command &&
			                       !probe.run_module && !probe.run_filename && isatty(0));
			rt_state.banner = !probe.quiet && !probe.run_command && !probe.run_module &&
			                  !probe.run_filename && (isatty(0) || probe.inspect);
		}
		PyConfig_Clear(&probe);
	}
	return st;
}

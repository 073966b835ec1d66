/*
 * config.c: pyweld.ini.
 *
 * An INI file (read with inih) describing what `pyweld build` welds:
 *
 *   [app]
 *   output = app                    ; the executable, relative to this file
 *   script = main.py                ; or: module = mypkg.cli (none: like python)
 *   main-c = main.c                 ; the C main() pyweld init wrote (editable)
 *
 *   [packages]
 *   pip-install = markupsafe==2.1.5 ; repeatable
 *   requirements = requirements.txt ; repeatable
 *   setup-py = .                    ; a local project; repeatable
 *
 *   [build]
 *   env = REQUIRE_SPEEDUPS=1        ; repeatable
 *   with-module = _tkinter          ; repeatable (and without-module)
 *   static = false
 *   stdlib-tests = false
 *   debug = false
 *   fast-exit = false               ; true: end without finalising (docs/weld.md)
 *   multiprocessing-children = true ; false: never act as python (docs/weld.md)
 *   pie = false                     ; true: a position-independent executable
 *   exclude-module = ^email(\.|$)  ; pcre2, repeatable
 *   exclude-resource = \.png$      ; pcre2, repeatable
 *   source = true                  ; false: drop .py sources
 *   deep-freeze = true             ; false: unmarshal the standard library
 *
 * Code to run lives in a file (script = ...), not in the INI: indentation
 * and ';' do not survive INI syntax.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctx {
	struct cli_project *c;
	char *err;
	size_t errlen;
	const char *path;
	bool failed;
};

/* An absolute path for a value relative to the config's directory. */
static char *
in_dir(const struct cli_project *c, const char *v)
{
	char *j = util_path_join(c->dir, v), *abs = j ? util_abspath(j) : NULL;

	free(j);
	if (!abs)
		util_fatal("out of memory");
	return abs;
}

static bool
parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off"))
		*out = false;
	else
		return false;
	return true;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct ctx *x = user;
	struct cli_project *c = x->c;
	bool ok = true;

	if (!strcmp(section, "app")) {
		if (!strcmp(name, "output")) {
			free(c->output);
			c->output = in_dir(c, value);
		} else if (!strcmp(name, "module")) {
			free(c->module);
			c->module = xstrdup(value);
		} else if (!strcmp(name, "script")) {
			free(c->script);
			c->script = in_dir(c, value);
		} else if (!strcmp(name, "main-c")) {
			free(c->main_c);
			c->main_c = in_dir(c, value);
		} else {
			ok = false;
		}
	} else if (!strcmp(section, "packages")) {
		if (!strcmp(name, "pip-install"))
			strvec_push(&c->pip_specs, value);
		else if (!strcmp(name, "requirements"))
			strvec_push_owned(&c->requirements, in_dir(c, value));
		else if (!strcmp(name, "setup-py"))
			strvec_push_owned(&c->setup_dirs, in_dir(c, value));
		else
			ok = false;
	} else if (!strcmp(section, "build")) {
		if (!strcmp(name, "env")) {
			if (!strchr(value, '=') || value[0] == '=') {
				snprintf(x->err, x->errlen, "'%s': env wants NAME=VALUE, not '%s'",
				         x->path, value);
				x->failed = true;
				return 0;
			}
			strvec_push(&c->env, value);
		} else if (!strcmp(name, "with-module")) {
			strvec_push(&c->with, value);
		} else if (!strcmp(name, "without-module")) {
			strvec_push(&c->without, value);
		} else if (!strcmp(name, "static")) {
			ok = parse_bool(value, &c->static_link);
		} else if (!strcmp(name, "stdlib-tests")) {
			ok = parse_bool(value, &c->stdlib_tests);
		} else if (!strcmp(name, "debug")) {
			ok = parse_bool(value, &c->debug);
		} else if (!strcmp(name, "fast-exit")) {
			ok = parse_bool(value, &c->fast_exit);
		} else if (!strcmp(name, "multiprocessing-children")) {
			bool children = true;
			ok = parse_bool(value, &children);
			c->no_mp_children = !children;
		} else if (!strcmp(name, "pie")) {
			ok = parse_bool(value, &c->pie);
		} else if (!strcmp(name, "work-dir")) {
			free(c->work_dir);
			c->work_dir = in_dir(c, value);
		} else if (!strcmp(name, "exclude-module")) {
			strvec_push(&c->exclude_modules, value);
		} else if (!strcmp(name, "exclude-resource")) {
			strvec_push(&c->exclude_resources, value);
		} else if (!strcmp(name, "source")) {
			bool src = true;
			ok = parse_bool(value, &src);
			c->no_source = !src;
		} else if (!strcmp(name, "deep-freeze")) {
			bool freeze = true;
			ok = parse_bool(value, &freeze);
			c->no_deep_freeze = !freeze;
		} else {
			ok = false;
		}
	} else {
		ok = false;
	}
	if (!ok && !x->failed) {
		snprintf(x->err, x->errlen, "'%s': [%s] %s = %s is not a setting pyweld knows "
		         "(see docs/weld.md)", x->path, section, name, value);
		x->failed = true;
	}
	return ok;
}

int
cli_project_read(const char *path, struct cli_project *c, char *err, size_t errlen)
{
	struct ctx x = { c, err, errlen, path, false };
	char *abs = util_abspath(path);
	int rc;

	memset(c, 0, sizeof(*c));
	c->dir = abs ? util_dirname(abs) : NULL;
	free(abs);
	if (!c->dir) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = ini_parse(path, handler, &x);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	if (x.failed)
		return -1;
	if (rc > 0) {
		snprintf(err, errlen, "'%s' line %d: not 'name = value' or '[section]'", path, rc);
		return -1;
	}
	if (c->module && c->script) {
		snprintf(err, errlen, "'%s': give at most one of module and script", path);
		return -1;
	}
	return 0;
}

int
cli_project_write(const char *path, const struct cli_project *c)
{
	struct strbuf sb = { 0 };
	int rc;

	strbuf_adds(&sb,
	            "# pyweld.ini: what `pyweld build` welds into one executable.\n"
	            "# Written by `pyweld init`; edit freely.  Paths are relative to this\n"
	            "# file.  Run `pyweld build` in this directory to build.\n\n"
	            "[app]\n"
	            "# the executable to write\n");
	strbuf_addf(&sb, "output = %s\n", c->output ? c->output : "app");
	strbuf_adds(&sb, "# what it runs: `script = FILE` or `module = NAME`; with neither,\n"
	                 "# the executable behaves like `python` (REPL, -c, -m, a script)\n");
	if (c->script)
		strbuf_addf(&sb, "script = %s\n", c->script);
	if (c->module)
		strbuf_addf(&sb, "module = %s\n", c->module);
	strbuf_adds(&sb, "# the program's C main(): edit it to run C before, around or instead\n"
	                 "# of Python (see pyweld.h)\n");
	if (c->main_c)
		strbuf_addf(&sb, "main-c = %s\n", c->main_c);
	strbuf_adds(&sb, "\n[packages]\n"
	                 "# built from source with pyweld's wrapper compilers; repeatable:\n"
	                 "# pip-install = NAME==VERSION, requirements = FILE, setup-py = DIR\n");
	for (size_t i = 0; i < c->pip_specs.n; i++)
		strbuf_addf(&sb, "pip-install = %s\n", c->pip_specs.v[i]);
	for (size_t i = 0; i < c->requirements.n; i++)
		strbuf_addf(&sb, "requirements = %s\n", c->requirements.v[i]);
	for (size_t i = 0; i < c->setup_dirs.n; i++)
		strbuf_addf(&sb, "setup-py = %s\n", c->setup_dirs.v[i]);
	strbuf_adds(&sb, "\n[build]\n"
	                 "# env = NAME=VALUE for the package builds (e.g. REQUIRE_SPEEDUPS=1)\n"
	                 "# with-module / without-module = a standard-library extension module\n");
	for (size_t i = 0; i < c->env.n; i++)
		strbuf_addf(&sb, "env = %s\n", c->env.v[i]);
	for (size_t i = 0; i < c->with.n; i++)
		strbuf_addf(&sb, "with-module = %s\n", c->with.v[i]);
	for (size_t i = 0; i < c->without.n; i++)
		strbuf_addf(&sb, "without-module = %s\n", c->without.v[i]);
	strbuf_adds(&sb, "# exclude-module / exclude-resource = a pcre2 pattern over dotted module\n"
	                 "# names / resource paths to leave out of the binary\n");
	for (size_t i = 0; i < c->exclude_modules.n; i++)
		strbuf_addf(&sb, "exclude-module = %s\n", c->exclude_modules.v[i]);
	for (size_t i = 0; i < c->exclude_resources.n; i++)
		strbuf_addf(&sb, "exclude-resource = %s\n", c->exclude_resources.v[i]);
	strbuf_addf(&sb, "static = %s\nstdlib-tests = %s\ndebug = %s\nsource = %s\n",
	            c->static_link ? "true" : "false", c->stdlib_tests ? "true" : "false",
	            c->debug ? "true" : "false", c->no_source ? "false" : "true");
	strbuf_adds(&sb, "# true: the entry point ends without finalising the interpreter (faster;\n"
	                 "# __del__ methods do not run at exit, unclosed files are not flushed:\n"
	                 "# see docs/weld.md)\n");
	strbuf_addf(&sb, "fast-exit = %s\n", c->fast_exit ? "true" : "false");
	strbuf_adds(&sb, "# false: never act as python, not even for multiprocessing's spawn and\n"
	                 "# forkserver children (which then cannot start; see docs/weld.md)\n");
	strbuf_addf(&sb, "multiprocessing-children = %s\n", c->no_mp_children ? "false" : "true");
	strbuf_adds(&sb, "# true: a position-independent executable (loaded at a random address;\n"
	                 "# starts slower: every pointer in its data relocated at each start)\n");
	strbuf_addf(&sb, "pie = %s\n", c->pie ? "true" : "false");
	strbuf_adds(&sb, "# false: unmarshal the standard library at each import instead of linking\n"
	                 "# the code the distribution deep-froze (smaller binary, slower imports)\n");
	strbuf_addf(&sb, "deep-freeze = %s\n", c->no_deep_freeze ? "false" : "true");
	strbuf_adds(&sb, "# where builds happen, kept between them: a rebuild after editing the\n"
	                 "# script reuses the packages installed there (see docs/weld.md)\n");
	if (c->work_dir)
		strbuf_addf(&sb, "work-dir = %s\n", c->work_dir);
	if (sb.failed) {
		strbuf_free(&sb);
		errno = ENOMEM;
		return -1;
	}
	rc = util_write_atomic(path, sb.s, sb.len, 0644, false);
	strbuf_free(&sb);
	return rc;
}

void
cli_project_free(struct cli_project *c)
{
	free(c->dir);
	free(c->output);
	free(c->module);
	free(c->script);
	free(c->main_c);
	free(c->work_dir);
	strvec_free(&c->pip_specs);
	strvec_free(&c->requirements);
	strvec_free(&c->setup_dirs);
	strvec_free(&c->env);
	strvec_free(&c->with);
	strvec_free(&c->without);
	strvec_free(&c->exclude_modules);
	strvec_free(&c->exclude_resources);
	memset(c, 0, sizeof(*c));
}

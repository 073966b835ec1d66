/* cmd_init.c: `pyweld init`, a project directory with a pyweld.ini. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "embed.h"

static const char init_usage[] =
	"usage: pyweld init DIR [--pip-install SPEC]... [-r FILE]... [--setup-py DIR]...\n"
	"                   [--python-code CODE | -m MODULE | --script FILE] [-o NAME] [--force]\n"
	"\n"
	"Writes DIR/pyweld.ini, a small documented project file, so that\n"
	"`pyweld build` run in DIR (or `pyweld build --config DIR/pyweld.ini`)\n"
	"builds the application.  The options are those of `pyweld build`; the\n"
	"same options given to `pyweld build` directly make the same binary.\n"
	"--python-code CODE is written to DIR/main.py (code keeps its indentation\n"
	"there, which an INI value cannot).  DIR/main.c is the program's C main():\n"
	"edit it to run C before, around or instead of Python (pyweld.h); an existing\n"
	"main.c is kept.\n"
	"\n"
	"  -o NAME        the executable's name in DIR (default: app)\n"
	"  --force        replace an existing pyweld.ini and main.py (main.c is kept)\n";

/* path as written in DIR's pyweld.ini: relative when inside DIR, else absolute. */
static char *
rel_to(const char *dir, const char *path)
{
	char *abs = util_abspath(path);
	size_t n = strlen(dir);

	if (!abs)
		util_fatal("out of memory");
	if (!strncmp(abs, dir, n) && abs[n] == '/') {
		char *r = xstrdup(abs + n + 1);
		free(abs);
		return r;
	}
	if (!strcmp(abs, dir)) {
		free(abs);
		return xstrdup(".");
	}
	return abs;
}

int
cli_cmd_init(int argc, char **argv)
{
	enum { OPT_PIP = 256, OPT_SETUP, OPT_CODE, OPT_SCRIPT, OPT_FORCE };
	static const struct option longopts[] = {
		{ "pip-install", required_argument, NULL, OPT_PIP },
		{ "requirements", required_argument, NULL, 'r' },
		{ "setup-py", required_argument, NULL, OPT_SETUP },
		{ "python-code", required_argument, NULL, OPT_CODE },
		{ "module", required_argument, NULL, 'm' },
		{ "script", required_argument, NULL, OPT_SCRIPT },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_build_options c = { 0 };
	const char *code = NULL, *script = NULL, *out = NULL;
	struct strvec reqs = { 0 }, setups = { 0 };
	bool force = false;
	char *dir, *ini, *mainpy = NULL;
	int ch, entries = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "hr:m:o:", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_PIP: strvec_push_owned(&c.pip_specs, cli_local_spec(".", optarg)); break;
		case 'r': strvec_push(&reqs, optarg); break;
		case OPT_SETUP: strvec_push(&setups, optarg); break;
		case OPT_CODE: code = optarg; entries++; break;
		case 'm': c.module = xstrdup(optarg); entries++; break;
		case OPT_SCRIPT: script = optarg; entries++; break;
		case 'o': out = optarg; break;
		case OPT_FORCE: force = true; break;
		case 'h': fputs(init_usage, stdout); return 0;
		default:
			fputs("hint: see 'pyweld init --help'\n", stderr);
			return 2;
		}
	}
	if (optind + 1 != argc)
		util_usage_error("'init' wants one directory (see 'pyweld init --help')");
	if (entries > 1)
		util_usage_error("give at most one of --python-code, -m and --script");
	if (out && strchr(out, '/'))
		util_usage_error("-o wants a file name inside DIR, not '%s'", out);
	dir = util_abspath(argv[optind]);
	if (!dir || util_mkdir_p(dir, 0755) < 0)
		util_fatal("cannot create '%s':", argv[optind]);
	ini = util_path_join(dir, CLI_PROJECT_NAME);
	if (!force && access(ini, F_OK) == 0)
		util_fatal("'%s' exists already; pass --force to replace it", ini);
	for (size_t i = 0; i < reqs.n; i++) {
		if (access(reqs.v[i], R_OK) < 0)
			util_fatal("cannot read the requirements file '%s':", reqs.v[i]);
		strvec_push_owned(&c.requirements, rel_to(dir, reqs.v[i]));
	}
	for (size_t i = 0; i < setups.n; i++) {
		if (!util_is_dir(setups.v[i]))
			util_fatal("cannot use '%s' with --setup-py: not a directory", setups.v[i]);
		strvec_push_owned(&c.setup_dirs, rel_to(dir, setups.v[i]));
	}
	if (script) {
		if (access(script, R_OK) < 0)
			util_fatal("cannot read the script '%s':", script);
		c.script = rel_to(dir, script);
	}
	if (code) {
		mainpy = util_path_join(dir, "main.py");
		if (!force && access(mainpy, F_OK) == 0)
			util_fatal("'%s' exists already; pass --force to replace it", mainpy);
		if (util_write_atomic(mainpy, code, strlen(code), 0644, false) < 0)
			util_fatal("cannot write '%s':", mainpy);
		c.script = xstrdup("main.py");
	}
	/* The C main(), the user's to edit: pyweld build compiles it. */
	char *mainc = util_path_join(dir, "main.c");
	/* An existing main.c is the user's code: never replaced, --force or not. */
	if (access(mainc, F_OK) < 0) {
		for (const struct embedded_file *f = embedded_runtime; f->name; f++)
			if (!strcmp(f->name, "main.c") &&
			    util_write_atomic(mainc, f->data, f->size, 0644, false) < 0)
				util_fatal("cannot write '%s':", mainc);
	}
	free(mainc);
	c.main_c = xstrdup("main.c");
	c.output = xstrdup(out ? out : "app");
	c.work_dir = xstrdup(".pyweld-work");
	if (cli_project_write(ini, &c) < 0)
		util_fatal("cannot write '%s':", ini);
	printf("wrote '%s', '%s/main.c'%s%s%s\n", ini, dir, mainpy ? " and '" : "",
	       mainpy ? mainpy : "", mainpy ? "'" : "");
	printf("build it with: cd '%s' && pyweld build\n", dir);
	free(dir);
	free(ini);
	free(mainpy);
	strvec_free(&reqs);
	strvec_free(&setups);
	cli_build_options_free(&c);
	return 0;
}

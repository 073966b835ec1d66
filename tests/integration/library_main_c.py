#!/usr/bin/env python3
"""A welded application whose edited main.c answers --version in C, without Python.

    library_main_c.py --pyweld PYWELD [--keep] [CASE...]

Cases:

  main_c      `pyweld init DIR --python-code MAIN_PY` (no packages), main.c
              replaced with MAIN_C below, `pyweld build` run in DIR; then
                ./app --version   prints the C answer (with pyweld_version())
                                  and nothing of Python's; Python was NOT
                                  started: under strace the process makes none
                                  of the calls that pyweld_start and CPython's
                                  start-up always make (readlink of
                                  /proc/self/exe, the signal set-up with
                                  rt_sigaction, getrandom for the hash secret),
                                  while the interpreter path makes all three
                                  (so the check can fail)
                ./app ARGS        runs main.py through pyweld_main: its output,
                                  sys.argv, SystemExit's status, an uncaught
                                  exception's traceback (with the welded source
                                  line) and status 1
                ./app --embed ARGS  the same through pyweld_start,
                                  pyweld_run_entry and pyweld_finish
  init_force  `pyweld init` keeps an existing main.c, also with --force
              (which replaces pyweld.ini and main.py, as its help says)

bench/fastpath.py times the two paths with make_app() from here.  Every case
runs in its own temporary directory with a scrubbed environment
(weld_testlib.Case), removed when it passes and kept, its path printed, when
it fails.  Exit status: 0 passed, 1 failed, 77 skipped (no distribution, no
strace), 2 usage.
"""
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weld_testlib as wt  # noqa: E402

MAIN_PY = '''\
import sys
print("python ran:", sys.argv[1:])
if "exit" in sys.argv:
    sys.exit(int(sys.argv[sys.argv.index("exit") + 1]))
if "raise" in sys.argv:
    raise RuntimeError("raised in main.py")
'''

MAIN_C = r'''/*
 * main.c: the main() of fastapp, the one `pyweld init` wrote, edited.
 *
 *   --version   answered in C; the interpreter is not started
 *   --embed     the welded code through the library's calls
 *   otherwise   the default program
 */
#include <stdio.h>
#include <string.h>

#include "pyweld.h"

/* pyweld_start, pyweld_run_entry, pyweld_finish: what pyweld_main does. */
static int
embed(int argc, char **argv)
{
	struct pyweld_config cfg;
	pyweld_status st;
	int code = 0, status;

	pyweld_config_init(&cfg);
	cfg.argc = argc;
	cfg.argv = argv;
	if (pyweld_start(&cfg) != PYWELD_OK) {
		fprintf(stderr, "fastapp: cannot start Python: %s\n", pyweld_error());
		return 1;
	}
	st = pyweld_run_entry();
	if (st == PYWELD_ERR_PYTHON)
		fprintf(stderr, "fastapp: the application failed:\n%s", pyweld_error());
	status = st == PYWELD_OK ? 0 : st == PYWELD_ERR_EXIT ? pyweld_exit_code() : 1;
	if (pyweld_finish(&code) != PYWELD_OK) {
		fprintf(stderr, "fastapp: %s\n", pyweld_error());
		return 1;
	}
	return status ? status : code;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("fastapp 1.2.3 (%s)\n", pyweld_version());
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--embed"))
		return embed(argc, argv);
	return pyweld_main(argc, argv);
}
'''

VERSION_RE = r"^fastapp 1\.2\.3 \(pyweld[^()]* on CPython 3\.11\.\d+\)\n$"


def make_app(pyweld, project, env, timeout=900):
    """Writes the project (pyweld init, MAIN_C over its main.c) in project and
    builds it there; returns (the app's path, the build's CompletedProcess)."""
    p = wt.run_group([pyweld, "init", project, "--python-code", MAIN_PY], env=env,
                     cwd=os.path.dirname(project) or ".", timeout=120)
    if p.returncode != 0:
        raise wt.Failure(f"pyweld init exited {p.returncode}:\n{p.err}")
    wt.write(os.path.join(project, "main.c"), MAIN_C)
    b = wt.run_group([pyweld, "build"], env=env, cwd=project, timeout=timeout)
    if b.returncode != 0:
        raise wt.Failure(f"pyweld build in '{project}' exited {b.returncode}:\n"
                         f"{wt.tail(b.err)}")
    return os.path.join(project, "app"), b


def strace_markers(c, app, *args):
    """What of CPython's start-up one run of app makes under strace: the set of
    markers seen, the run, and the trace's text."""
    trace = c.path(f"trace-{len(os.listdir(c.dir))}")
    p = c.run(["strace", "-f", "-qq", "-o", trace, "-e",
               "trace=readlink,readlinkat,rt_sigaction,getrandom", app, *args],
              env=c.run_env, timeout=120)
    with open(trace) as f:
        text = f.read()
    seen = set()
    if re.search(r'readlink(at)?\((AT_FDCWD, )?"/proc/self/exe"', text):
        seen.add("readlink /proc/self/exe")
    if "rt_sigaction(" in text:
        seen.add("rt_sigaction")
    # glibc's malloc asks for 8 bytes; CPython's hash secret is 24
    if any(int(n) >= 16 for n in re.findall(r"getrandom\(.*?, (\d+), ", text)):
        seen.add("getrandom (hash secret)")
    return seen, p, text


MARKERS = {"readlink /proc/self/exe", "rt_sigaction", "getrandom (hash secret)"}


def case_main_c(c):
    """an edited main.c answers --version in C without Python; otherwise Python runs"""
    if not shutil.which("strace"):
        raise wt.Skip("strace is not installed: whether Python started cannot be seen")
    p = c.run(["strace", "-qq", "-o", os.devnull, "true"], timeout=60)
    if p.returncode != 0:
        raise wt.Skip(f"strace cannot trace here: {p.err.strip()}")
    project = c.path("fastapp")
    p = c.run([c.pyweld, "init", project, "--python-code", MAIN_PY], timeout=120)
    c.require(p.returncode == 0, f"pyweld init exited {p.returncode}:\n{p.err}")
    with open(os.path.join(project, "main.c")) as f:
        default = f.read()
    c.check("pyweld_main(argc, argv)" in default and '#include "pyweld.h"' in default,
            f"the main.c pyweld init wrote is not the default program:\n{default}")
    with open(os.path.join(project, "pyweld.ini")) as f:
        ini = f.read()
    c.check(re.search(r"^main-c = main\.c$", ini, re.M) is not None,
            f"pyweld.ini does not name main.c:\n{ini}")
    wt.write(os.path.join(project, "main.c"), MAIN_C)
    p = c.build(cwd=project)
    c.require(p.returncode == 0, f"pyweld build in the project exited {p.returncode}:\n"
              f"{wt.tail(p.err)}")
    app = os.path.join(project, "app")
    c.require(os.access(app, os.X_OK), f"no '{app}' after the build")

    def run(*args):
        return c.run([app, *args], env=c.run_env, cwd=project, timeout=120)

    # the C answer
    p = run("--version")
    c.check(p.returncode == 0 and re.match(VERSION_RE, p.out) and p.err == "",
            f"./app --version exited {p.returncode}, stdout {p.out!r} (wanted "
            f"{VERSION_RE!r}), stderr {p.err!r}")
    c.check("python ran" not in p.out, "./app --version ran the Python code")

    # Python NOT started, seen from outside
    seen_py, pp, trace_py = strace_markers(c, app, "x")
    c.require(seen_py == MARKERS, "the interpreter path under strace does not show every "
              f"marker of CPython's start-up ({sorted(MARKERS - seen_py)} missing), so "
              f"their absence would prove nothing:\n{wt.tail(trace_py)}")
    seen_v, pv, trace_v = strace_markers(c, app, "--version")
    c.check(pv.returncode == 0 and re.match(VERSION_RE, pv.out),
            f"./app --version under strace: {pv.returncode} {pv.out!r} {pv.err!r}")
    c.check(not seen_v, f"./app --version started Python: under strace it made "
            f"{sorted(seen_v)}:\n{wt.tail(trace_v)}")

    # everything else runs Python, through pyweld_main and through the library
    for prefix in ([], ["--embed"]):
        how = "./app " + " ".join(prefix + ["..."])
        p = run(*prefix, "a", "b c")
        want = f"python ran: {prefix + ['a', 'b c']!r}\n"
        c.check(p.returncode == 0 and p.out == want and p.err == "",
                f"{how} a 'b c': exited {p.returncode}, stdout {p.out!r} (wanted {want!r}), "
                f"stderr {p.err!r}")
        p = run(*prefix, "exit", "3")
        c.check(p.returncode == 3, f"{how} exit 3: exited {p.returncode}, wanted 3 "
                f"(SystemExit(3)):\n{p.err}")
        p = run(*prefix, "raise")
        c.check(p.returncode == 1, f"{how} raise: exited {p.returncode}, wanted 1:\n{p.err}")
        for s in ("Traceback (most recent call last):", 'raise RuntimeError("raised in main.py")',
                  "RuntimeError: raised in main.py"):
            c.check(s in p.err, f"{how} raise: stderr lacks {s!r}:\n{p.err}")
    # only exactly --version is C's
    p = run("--version", "x")
    c.check(p.returncode == 0 and p.out == "python ran: ['--version', 'x']\n",
            f"./app --version x: exited {p.returncode}, stdout {p.out!r}")


def case_init_force(c):
    """pyweld init keeps an existing (edited) main.c, with and without --force"""
    project = c.path("proj")
    edited = MAIN_C
    wt.write(os.path.join(project, "main.c"), edited)
    p = c.run([c.pyweld, "init", project, "--python-code", "print('one')"], timeout=120)
    c.require(p.returncode == 0, f"pyweld init exited {p.returncode}:\n{p.err}")
    with open(os.path.join(project, "main.c")) as f:
        c.check(f.read() == edited, "pyweld init replaced an existing main.c (its help: "
                "'an existing main.c is kept')")
    p = c.run([c.pyweld, "init", project, "--force", "--python-code", "print('two')"],
              timeout=120)
    c.require(p.returncode == 0, f"pyweld init --force exited {p.returncode}:\n{p.err}")
    with open(os.path.join(project, "main.py")) as f:
        c.check(f.read() == "print('two')", "pyweld init --force did not replace main.py")
    with open(os.path.join(project, "main.c")) as f:
        now = f.read()
    c.check(now == edited, "pyweld init --force replaced the edited main.c with the default "
            "one: the user's C code is lost (its help: '--force  replace an existing "
            "pyweld.ini (and main.py)', 'an existing main.c is kept')")


CASES = {"main_c": case_main_c, "init_force": case_init_force}

if __name__ == "__main__":
    sys.exit(wt.main(__doc__, CASES, "library"))

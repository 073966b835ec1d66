"""regex_table.py: the regexes the standard library compiles on import, precompiled.

    python3.11 -I regex_table.py STDLIB [--exclude PATTERN]...

Importing the standard library compiles about 160 regular expressions at
module level (email, http, json, tokenize, string, textwrap ...), each
through the pure-Python parser and compiler of the re package: 130 M
instructions of the 810 M that importing 550 of its modules takes.  What
they compile to depends only on the pattern, its flags and the engine, so
it can be done once, when the distribution is built.

This script, run by the distribution's own interpreter, imports every
module that freeze_stdlib.py (beside it) would deep-freeze, except those
whose import runs a program (__main__ modules, antigravity, this), and
records each regex compiled meanwhile.  It writes STDLIB/re/
_pyweld_precompiled.py: per pattern and flags, the arguments of
_sre.compile().  The distribution's re/_compiler.py (pydist.c edits it)
takes a pattern from there instead of parsing it again.

A regex is recorded only when what is written gives a pattern equal to
the one re compiled (flags, code, groups, group names) and its parsing
warned about nothing (a warning must still be raised where it is used),
and never with re.DEBUG.  Deterministic: sorted, no dates, no paths.
"""
import contextlib
import io
import marshal
import os
import py_compile
import re
import subprocess
import sys
import tempfile
import warnings

import _sre
from re import _compiler, _parser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))   # -I leaves it out
from freeze_stdlib import modules  # noqa: E402 (beside this script)

# Whose import runs a program or does more than define things.
RUNS_A_PROGRAM = re.compile(r"(^|\.)__main__$|^(antigravity|this)$")

HEADER = '''"""The regexes the standard library compiles when imported, compiled
when pyweld built this distribution (pydist/regex_table.py).

re._compiler.compile() takes a pattern found here instead of parsing and
compiling it again: (pattern, flags) gives the arguments of _sre.compile()
after the pattern (flags, code, groups, groupindex, indexgroup).
Generated; do not edit.
"""
'''


def arguments(pattern, flags):
    """What _compiler.compile() passes _sre.compile(), or None if it warns."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = _parser.parse(pattern, flags)
        code = [int(c) for c in _compiler._code(parsed, flags)]
    if caught:
        return None
    groupindex = parsed.state.groupdict
    indexgroup = [None] * parsed.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    return (flags | parsed.state.flags, tuple(code), parsed.state.groups - 1,
            tuple(sorted(groupindex.items(), key=lambda item: item[1])),
            tuple(indexgroup))


def keep(table, p, flags, compiled):
    """Puts p in the table if what is written there compiles to `compiled`."""
    if type(p) not in (str, bytes) or type(flags) is not int or flags & re.DEBUG:
        return
    try:
        args = arguments(p, flags)
        again = args and _sre.compile(p, args[0], list(args[1]), args[2], dict(args[3]),
                                      args[4])
    except Exception:                   # never the importing module's problem
        return
    if (args is not None and again == compiled and again.groupindex == compiled.groupindex
            and again.groups == compiled.groups):
        table["BYTES" if type(p) is bytes else "STR", p, flags] = args


def record(table):
    """Wraps _compiler.compile() so that what it compiles lands in table.

    What was compiled before (by re itself, and by the modules this script
    imports) is taken from re's cache, and re's own two compiles of ''
    are added: every process that imports re makes them."""
    for (_, p, flags), compiled in list(re._cache.items()):
        keep(table, p, flags, compiled)
    keep(table, "", 0, _compiler.compile("", 0))
    original = _compiler.compile

    def recording(p, flags=0):
        compiled = original(p, flags)
        keep(table, p, flags, compiled)
        return compiled

    _compiler.compile = recording


def write(path, table):
    lines = [HEADER, f"MAGIC = {_compiler.MAGIC}", ""]
    for kind in ("STR", "BYTES"):
        lines.append(f"{kind} = {{")
        for p, flags in sorted((p, flags) for k, p, flags in table if k == kind):
            lines.append(f"    ({p!r}, {flags!r}): {table[kind, p, flags]!r},")
        lines.append("}")
        lines.append("")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    os.replace(path + ".tmp", path)


def imported(stdlib, excluded):
    """The table of one process importing the standard library; the failures."""
    _compiler._precompiled = None   # an earlier table is not consulted
    table, failed = {}, []
    record(table)
    sink = io.StringIO()
    for name, _, _ in modules(stdlib, excluded):
        if RUNS_A_PROGRAM.search(name):
            continue
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                __import__(name)
            except BaseException:       # SystemExit too: a module may refuse
                failed.append(name)
    return table, failed


def main():
    args = sys.argv[1:]
    record_to = None
    if args[:1] == ["--record"] and len(args) > 1:
        record_to, args = args[1], args[2:]
    if len(args) < 1 or len(args) % 2 == 0 or any(a != "--exclude" for a in args[1::2]):
        sys.exit("usage: regex_table.py STDLIB [--exclude PATTERN]...")
    stdlib = args[0]
    excluded = [re.compile(pattern) for pattern in args[2::2]]
    if record_to:
        table, failed = imported(stdlib, excluded)
        with open(record_to, "wb") as f:
            marshal.dump((table, failed), f)
        return

    # Some modules build a pattern from a set (email's _header_value_parser),
    # whose order follows the string hash seed: only what two seeds agree on
    # is kept, so the table is the same at every build.
    out = os.path.join(stdlib, "re", "_pyweld_precompiled.py")
    with tempfile.TemporaryDirectory() as tmp:
        tables = []
        for seed in ("1", "2"):
            dump = os.path.join(tmp, seed)
            subprocess.run([sys.executable, "-s", os.path.abspath(__file__), "--record", dump,
                            *sys.argv[1:]], check=True, cwd=tmp,
                           env={"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": seed})
            with open(dump, "rb") as f:
                tables.append(marshal.load(f))
    (first, failed), (second, _) = tables
    table = {key: args for key, args in first.items() if second.get(key) == args}
    write(out, table)
    for optimize in (0, 1, 2):          # as make install compiles the rest
        py_compile.compile(out, optimize=optimize, doraise=True)
    print(f"regex_table: {len(table)} regexes precompiled"
          + (f"; {len(failed)} modules did not import: {' '.join(failed)}" if failed else ""))


if __name__ == "__main__":
    main()

# pack_zip.py: the modules of a welded binary, as a zip appended to it.
#
# Run by the distribution's own interpreter (so the bytecode matches it
# exactly) with one argument, a JSON file:
#   output        the zip to write
#   stdlib        the distribution's lib/python3.11
#   exclude       regular expressions over stdlib paths to leave out
#   site          the build environment's site-packages
#   dists         .dist-info directory names whose files to take
#   modules       {"name": "source"} extra modules (the entry point)
#   source        include .py sources next to the bytecode (tracebacks)
# Bytecode is written as unchecked-hash .pyc, which zipimport uses without
# comparing timestamps.  Extension modules (.so) are not packed: they are
# welded into the binary.  Prints a JSON summary on stdout.
import csv
import importlib.util
import io
import json
import marshal
import os
import re
import sys
import zipfile

cfg = json.load(open(sys.argv[1]))
exclude = [re.compile(p) for p in cfg.get("exclude", [])]
with_source = cfg.get("source", True)
stats = {"modules": 0, "resources": 0, "bytes": 0, "dists": []}
entries = {}


def add(arcname, data):
    entries[arcname] = data


def add_python(arcname, source_bytes):
    code = compile(source_bytes, arcname, "exec", dont_inherit=True, optimize=0)
    data = importlib._bootstrap_external._code_to_hash_pyc(
        code, importlib.util.source_hash(source_bytes), checked=False)
    add(arcname + "c", bytes(data))
    if with_source:
        add(arcname, source_bytes)
    stats["modules"] += 1


def add_file(root, rel):
    path = os.path.join(root, rel)
    with open(path, "rb") as f:
        data = f.read()
    if rel.endswith(".py"):
        try:
            add_python(rel, data)
            return
        except SyntaxError:
            pass        # not for this Python (a template, a py2 file): keep as data
    add(rel, data)
    stats["resources"] += 1


stdlib = cfg["stdlib"]
for top, dirs, files in os.walk(stdlib):
    dirs.sort()
    reltop = os.path.relpath(top, stdlib)
    reltop = "" if reltop == "." else reltop
    keep = []
    for d in dirs:
        rel = os.path.join(reltop, d) + "/"
        if d == "__pycache__" or any(p.search(rel) for p in exclude):
            continue
        keep.append(d)
    dirs[:] = keep
    for name in sorted(files):
        rel = os.path.join(reltop, name)
        if name.endswith((".pyc", ".so")) or any(p.search(rel) for p in exclude):
            continue
        add_file(stdlib, rel)

def welded_record(data):
    """RECORD with the hashes of extension files dropped: they are not files
    in the binary but welded in, and their bytes (debug paths of the build
    directory) would make two identical welds differ."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(data.decode("utf-8"))):
        if row and (row[0].endswith(".so") or ".so." in os.path.basename(row[0])):
            row = [row[0], "", ""]
        w.writerow(row)
    return out.getvalue().encode("utf-8")


site = cfg.get("site")
for dist in cfg.get("dists", []):
    record = os.path.join(site, dist, "RECORD")
    stats["dists"].append(dist)
    with open(record, newline="") as f:
        for row in csv.reader(f):
            if not row:
                continue
            rel = os.path.normpath(row[0])
            if rel.startswith("..") or os.path.isabs(rel):
                continue        # scripts and data outside site-packages
            if "__pycache__" in rel.split(os.sep) or rel.endswith((".pyc", ".so")):
                continue
            if os.path.isfile(os.path.join(site, rel)):
                add_file(site, rel)
    rel = os.path.join(dist, "RECORD")
    with open(record, "rb") as f:
        add(rel, welded_record(f.read()))

for name, source in sorted(cfg.get("modules", {}).items()):
    add_python(name.replace(".", "/") + ".py", source.encode())

# zipimport finds a namespace package (PEP 420: "zope" of zope.interface,
# which pip installs with a -nspkg.pth file the binary never reads) only
# through the directory's own entry, and zipfile writes none by itself.
for arcname in list(entries):
    parts = arcname.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        entries.setdefault("/".join(parts[:i]) + "/", b"")

with zipfile.ZipFile(cfg["output"], "w") as z:
    for arcname in sorted(entries):
        data = entries[arcname]
        info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
        # Bytecode is read at every import: stored.  Sources and data are
        # read rarely: deflated.
        info.compress_type = zipfile.ZIP_STORED if arcname.endswith(".pyc") \
            else zipfile.ZIP_DEFLATED
        info.external_attr = (0o40755 << 16 | 0x10) if arcname.endswith("/") \
            else 0o644 << 16
        z.writestr(info, data)
        stats["bytes"] += len(data)
print(json.dumps(stats))

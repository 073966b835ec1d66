# compile_blob.py: bytecode for the blob, compiled by the distribution's
# own interpreter so that it matches the welded CPython exactly.
#
#   python3.11 -I compile_blob.py LIST OUT [OPTIMIZE]
#
# LIST is UTF-8 text, one module per line: "relpath<TAB>abspath" (relpath
# names the file in tracebacks until the importer sets the real origin).
# OUT receives, for each line in order: u32 status (0 compiled, 1 not
# Python 3.11), u32 length, then marshal.dumps(code) or the error message.
# Integers are little-endian.
import marshal
import struct
import sys

optimize = int(sys.argv[3]) if len(sys.argv) > 3 else 0
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "wb") as out:
    for line in f:
        rel, path = line.rstrip("\n").split("\t", 1)
        with open(path, "rb") as src:
            source = src.read()
        try:
            code = compile(source, rel, "exec", dont_inherit=True, optimize=optimize)
            data, status = marshal.dumps(code), 0
        except (SyntaxError, ValueError) as e:
            data, status = str(e).encode("utf-8", "replace"), 1
        out.write(struct.pack("<II", status, len(data)))
        out.write(data)

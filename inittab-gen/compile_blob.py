# compile_blob.py: bytecode for the blob, compiled by the distribution's
# own interpreter so that it matches the welded CPython exactly.
#
#   python3.11 -I compile_blob.py LIST OUT [OPTIMIZE [CACHE]]
#
# LIST holds, for each module, "relpath" NUL "abspath" NUL (relpath names
# the file in tracebacks until the importer sets the real origin): paths
# are bytes, and a tab or a newline in one (a work directory's) is data.
# OUT receives, for each line in order: u32 status (0 compiled, 1 not
# Python 3.11), u32 length, the 32-byte key, then marshal.dumps(code) or
# the error message.  Integers are little-endian.  The key is the SHA-256
# of (interpreter magic, optimize, relpath, source): CACHE, a directory,
# keeps compiled code by it (a rebuild compiles only what changed), and the
# distribution's deep-frozen standard library is listed by it
# (pydist/freeze_stdlib.py computes the same).
import hashlib
import importlib.util
import marshal
import os
import struct
import sys
import tempfile

optimize = int(sys.argv[3]) if len(sys.argv) > 3 else 0
cache = sys.argv[4] if len(sys.argv) > 4 else None
if cache:
    os.makedirs(cache, exist_ok=True)


def compiled(rel, source, digest):
    key = None
    if cache:
        key = os.path.join(cache, digest.hex()[:2], digest.hex())
        try:
            with open(key, "rb") as f:
                data = f.read()
            try:
                os.utime(key)       # used now: pruned last (inittab-gen/cache.c)
            except OSError:
                pass
            return 0, data
        except OSError:
            pass
    try:
        code = compile(source, rel, "exec", dont_inherit=True, optimize=optimize)
        data, status = marshal.dumps(code), 0
    except (SyntaxError, ValueError) as e:
        return 1, str(e).encode("utf-8", "replace")
    if key:
        try:
            os.makedirs(os.path.dirname(key), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(key))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, key)
        except OSError:
            pass            # a cache that cannot be written is only slower
    return status, data


with open(sys.argv[1], "rb") as f:
    fields = f.read().split(b"\0")[:-1]
with open(sys.argv[2], "wb") as out:
    for i in range(0, len(fields) - 1, 2):
        rel = fields[i].decode("utf-8", "surrogateescape")
        with open(fields[i + 1], "rb") as src:
            source = src.read()
        h = hashlib.sha256(importlib.util.MAGIC_NUMBER)
        h.update(b"%d\0%s\0" % (optimize, rel.encode("utf-8", "surrogateescape")))
        h.update(source)
        status, data = compiled(rel, source, h.digest())
        out.write(struct.pack("<II", status, len(data)))
        out.write(h.digest())
        out.write(data)

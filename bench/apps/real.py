# The "real" application of bench/run: five packages with C extensions, a little
# work with each; prints one line that every build must print identically.
import hashlib

import markupsafe
import psutil
import simplejson
import yaml
import zstandard

doc = {"name": "pyweld", "items": [{"id": i, "tag": "<b>%d</b>" % i} for i in range(200)]}
escaped = [str(markupsafe.escape(item["tag"])) for item in doc["items"]]
text = simplejson.dumps({"doc": doc, "escaped": escaped}, sort_keys=True)
back = simplejson.loads(text)
y = yaml.dump(back, Dumper=yaml.CSafeDumper, sort_keys=True)
again = yaml.load(y, Loader=yaml.CSafeLoader)
assert again == back
frame = zstandard.ZstdCompressor(level=3).compress(y.encode())
assert zstandard.ZstdDecompressor().decompress(frame) == y.encode()
me = psutil.Process()
assert me.pid > 0 and psutil.cpu_count() >= 1 and me.memory_info().rss > 0
c_ext = all([
    markupsafe.escape.__module__ == "markupsafe._speedups",
    simplejson.encoder.c_make_encoder is not None,
    yaml.__with_libyaml__,
    zstandard.backend == "cext",
])
digest = hashlib.sha256(text.encode() + y.encode()).hexdigest()[:16]
print("real ok", digest, "c-extensions" if c_ext else "PURE-PYTHON-FALLBACK")

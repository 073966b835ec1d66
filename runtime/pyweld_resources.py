"""Resources and metadata of a welded binary.

pyweld's importer (runtime/importer.c) serves modules from the binary's
blob in C; importlib.resources and importlib.metadata need Python classes,
which live here and read the blob through the built-in module _pyweld.
Packed into every binary as the module _pyweld_resources.

When the packed tree is readable by path (_pyweld.file_view: the weld
wrapped the C library's open, stat and opendir for runtime/fileview.c),
files() and a distribution's locate_file() give real paths under the
binary, which as_file() hands out as they are: nothing is extracted, and
code that passes the path on to C (OpenSSL, libxml2) reads the same bytes.
Without it (pyweld build --no-file-view) they give MemoryPath objects,
and as_file() writes a temporary copy.
"""
import io
import posixpath

import _pyweld
from importlib.resources.abc import Traversable, TraversableResources

_MODULE, _RESOURCE, _METADATA = _pyweld.MODULE, _pyweld.RESOURCE, _pyweld.METADATA
_PACKAGE = _pyweld.PACKAGE | _pyweld.NAMESPACE


def _module_of(path):
    """The module whose source file path is ("json/decoder.py"), or None."""
    if not path.endswith(".py"):
        return None
    dotted = path[:-3].replace("/", ".")
    if dotted.endswith(".__init__"):
        dotted = dotted[:-9]
    return dotted


class MemoryPath(Traversable):
    """A file or directory inside the binary, by its path from the root of
    the import tree ("markupsafe/py.typed")."""

    def __init__(self, path=""):
        self._path = path.strip("/")

    @property
    def name(self):
        return posixpath.basename(self._path)

    def __repr__(self):
        return "MemoryPath(%r)" % self._path

    def __str__(self):
        return posixpath.join(_pyweld.executable, self._path)

    def __eq__(self, other):
        return isinstance(other, MemoryPath) and other._path == self._path

    def __hash__(self):
        return hash(self._path)

    def _prefix(self):
        return self._path + "/" if self._path else ""

    def _data(self):
        for kind in (_RESOURCE, _METADATA):
            data = _pyweld.read(kind, self._path)
            if data is not None:
                return data
        dotted = _module_of(self._path)
        if dotted:
            return _pyweld.read(_MODULE, dotted)
        return None

    def is_file(self):
        return bool(self._path) and self._data() is not None

    def is_dir(self):
        if not self._path:
            return True
        pre = self._prefix()
        if _pyweld.names(_RESOURCE, pre) or _pyweld.names(_METADATA, pre):
            return True
        dotted = self._path.replace("/", ".")
        return any(name == dotted and flags & _PACKAGE
                   for name, flags in _pyweld.names(_MODULE, dotted))

    def iterdir(self):
        pre = self._prefix()
        seen = set()
        for kind in (_RESOURCE, _METADATA):
            for name, _ in _pyweld.names(kind, pre):
                seen.add(name[len(pre):].split("/", 1)[0])
        dotted = pre.replace("/", ".")
        for name, flags in _pyweld.names(_MODULE, dotted):
            rest = name[len(dotted):]
            if not rest:
                continue
            if "." in rest:
                continue
            seen.add(rest if flags & _PACKAGE else rest + ".py")
        # A regular package's own source file.
        own = self._path.replace("/", ".")
        if own and any(name == own and flags & _pyweld.PACKAGE and
                       not flags & _pyweld.NAMESPACE
                       for name, flags in _pyweld.names(_MODULE, own)):
            seen.add("__init__.py")
        for child in sorted(seen):
            yield MemoryPath(pre + child)

    def open(self, mode="r", *args, **kwargs):
        if mode not in ("r", "rb"):
            raise ValueError("%s is read-only (mode %r)" % (self, mode))
        data = self._data()
        if data is None:
            raise FileNotFoundError(str(self))
        stream = io.BytesIO(data)
        if mode == "rb":
            return stream
        return io.TextIOWrapper(stream, *args, **kwargs)

    def read_bytes(self):
        data = self._data()
        if data is None:
            raise FileNotFoundError(str(self))
        return data

    def read_text(self, encoding=None, errors=None):
        return self.read_bytes().decode(encoding or "utf-8", errors or "strict")

    def joinpath(self, *descendants):
        path = posixpath.normpath(posixpath.join(self._path, *descendants))
        return MemoryPath("" if path == "." else path)

    def __truediv__(self, child):
        return self.joinpath(child)


def _path_of(path):
    """A path from the root of the import tree as a Traversable: a real path
    under the binary when the view serves it, else a MemoryPath."""
    if _pyweld.file_view:
        import pathlib
        return pathlib.Path(_pyweld.executable, path)
    return MemoryPath(path)


class MemoryReader(TraversableResources):
    """importlib.resources' reader for a package welded into the binary."""

    def __init__(self, fullname):
        self._path = fullname.replace(".", "/")

    def files(self):
        return _path_of(self._path)


def reader(fullname):
    return MemoryReader(fullname)


def _distribution_class():
    import importlib.metadata as md

    class MemoryDistribution(md.Distribution):
        """A distribution installed into the binary: its .dist-info files
        are metadata entries of the blob."""

        def __init__(self, distinfo):
            self._distinfo = distinfo

        def read_text(self, filename):
            data = _pyweld.read(_METADATA, self._distinfo + "/" + str(filename))
            return None if data is None else data.decode("utf-8")

        def locate_file(self, path):
            return _path_of(str(path))

        @property
        def _normalized_name(self):
            return md.Prepared.normalize(_dist_name(self._distinfo))

        def __repr__(self):
            return "<MemoryDistribution %s>" % self._distinfo

    return MemoryDistribution


_MemoryDistribution = None


def _dist_name(distinfo):
    """"MarkupSafe-2.1.5.dist-info" -> "MarkupSafe"."""
    stem = distinfo.rsplit(".", 1)[0]
    return stem.split("-", 1)[0]


def find_distributions(context=None):
    """What importlib.metadata asks every meta path finder for."""
    global _MemoryDistribution
    import importlib.metadata as md

    if context is None:
        context = md.DistributionFinder.Context()
    if _pyweld.executable not in (context.path or []):
        return iter(())
    if _MemoryDistribution is None:
        _MemoryDistribution = _distribution_class()
    dirs = sorted({name.split("/", 1)[0] for name, _ in _pyweld.names(_METADATA, "")
                   if name.split("/", 1)[0].endswith((".dist-info", ".egg-info"))})
    wanted = md.Prepared(context.name) if context.name is not None else None
    found = []
    for d in dirs:
        name = _dist_name(d)
        if wanted is not None and md.Prepared.normalize(name) != wanted.normalized \
                and md.Prepared.legacy_normalize(name) != wanted.legacy_normalized:
            continue
        found.append(_MemoryDistribution(d))
    return iter(found)

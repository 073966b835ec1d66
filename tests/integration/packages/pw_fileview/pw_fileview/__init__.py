"""Reads its own data the way many packages do: by paths built from __file__."""
import glob
import os
import pathlib

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def table():
    """The bytes of data/table.txt, by open() of a path beside __file__."""
    with open(os.path.join(os.path.dirname(__file__), "data", "table.txt"), "rb") as f:
        return f.read()


def names():
    """The files under data/, walked with os.walk: {relative path: size}."""
    out = {}
    for d, dirs, files in os.walk(DATA):
        dirs.sort()
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, DATA)] = os.path.getsize(p)
    return out


def globbed():
    """glob and pathlib over the same directory."""
    return (sorted(os.path.relpath(p, DATA) for p in glob.glob(os.path.join(DATA, "**", "*"),
                                                                  recursive=True)),
            sorted(p.name for p in pathlib.Path(__file__).parent.joinpath("data").iterdir()))


def c_table():
    """The same bytes, read in C by fopen() (pw_fileview._cdata)."""
    from pw_fileview import _cdata
    return _cdata.read_table()

from ._cxx import shout

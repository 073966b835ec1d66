# lib2to3_grammar.py: run by the installed interpreter (python -I -c, the
# grammar files as arguments): writes lib2to3's grammar pickles, which
# lib2to3 loads with pkgutil.get_data, and checks that each exists.
# Debian's lib2to3-no-pickled-grammar.diff stops the driver from saving them.
import os, sys
from lib2to3.pgen2 import driver, pgen
for p in sys.argv[1:]:
    out = driver._generate_pickle_name(p)
    pgen.generate_grammar(p).dump(out)
    assert os.path.isfile(out), out

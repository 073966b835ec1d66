# -*- coding: latin-1 -*-
"""pw_resources.latin1: a module whose source file is Latin-1, as its cookie says."""
WORD = "café"


def fail():
    raise RuntimeError("café à la crème")  # LATIN1-LINE

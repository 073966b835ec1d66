"""pw_resources.crlf: a module whose source file has Windows line endings."""


def crlf_boom():
    raise OSError("from a CRLF file")  # CRLF-LINE

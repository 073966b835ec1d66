from ._two import hypot

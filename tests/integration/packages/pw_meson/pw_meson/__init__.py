from ._mes import triple

from ._arc import combine

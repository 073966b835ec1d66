from ._cy import fib

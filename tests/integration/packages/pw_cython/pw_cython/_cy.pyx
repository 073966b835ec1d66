# pw_cython._cy: compiled by Cython to C, then by the wrapper compiler.
def fib(int n):
    cdef long a = 0, b = 1
    for _ in range(n):
        a, b = b, a + b
    return a

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    packages=["pw_cython"],
    ext_modules=cythonize(
        [Extension("pw_cython._cy", ["pw_cython/_cy.pyx"])],
        compiler_directives={"language_level": "3"},
    ),
)

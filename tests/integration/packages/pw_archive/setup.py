from setuptools import Extension, setup

setup(
    packages=["pw_archive"],
    libraries=[("pwhelper", {"sources": ["src/helper_a.c", "src/helper_b.c"]})],
    ext_modules=[Extension("pw_archive._arc", sources=["src/arc.c"])],
)

from setuptools import Extension, setup

setup(
    packages=["pw_fileview"],
    package_data={"pw_fileview": ["data/*.txt", "data/sub/*"]},
    ext_modules=[Extension("pw_fileview._cdata", sources=["src/cdata.c"])],
    zip_safe=False,
)

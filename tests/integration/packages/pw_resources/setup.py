from setuptools import Extension, setup

setup(
    packages=["pw_resources", "pw_resources.sub", "pw_ns.sub"],
    package_data={
        "pw_resources": ["data/*.txt", "data/*.bin", "data/nested/deeper/*.txt"],
        "pw_resources.sub": ["*.json"],
        "pw_ns.sub": ["*.txt"],
    },
    ext_modules=[Extension("pw_resources._speedups", sources=["src/speedups.c"])],
    zip_safe=False,
)

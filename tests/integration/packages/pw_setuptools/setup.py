from setuptools import Extension, setup

setup(
    packages=["pw_setuptools"],
    ext_modules=[
        Extension(
            "pw_setuptools._two",
            sources=["src/two_main.c", "src/two_helper.c"],
            libraries=["m"],
        )
    ],
)

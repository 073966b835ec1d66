from setuptools import Extension, setup

common = ["src/common.c", "src/posixish.c"]
setup(
    packages=["pw_shared"],
    ext_modules=[
        Extension(
            "pw_shared._linuxish",
            sources=common + ["src/linuxish.c"],
            define_macros=[("PW_FLAVOR", "1")],
        ),
        Extension(
            "pw_shared._posixish",
            sources=common,
            define_macros=[("PW_FLAVOR", "2")],
        ),
    ],
)

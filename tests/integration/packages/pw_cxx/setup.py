from setuptools import Extension, setup

setup(
    packages=["pw_cxx"],
    ext_modules=[
        Extension(
            "pw_cxx._cxx",
            sources=["src/cxx_main.cpp", "src/cxx_text.cpp"],
            language="c++",
            extra_compile_args=["-std=c++17"],
        )
    ],
)

# The runtime as a C library (runtime/pyweld.h, docs/library.md): an existing
# C program links a welded Python, and a welded app's own main.c.  Included
# by tests/CMakeLists.txt (PYWELD_SKIP_CODE, the pyweld_distribution
# fixture).  Each case runs in its own temporary directory with a scrubbed
# environment and keeps it, its path printed, when it fails.
#
#   library_weld       fixture: `pyweld build --library` with markupsafe 2.1.5
#                      pinned by hash (-r), into the build tree; links
#                      tests/integration/library_api.c against it with
#                      `pyweld link-flags` and the distribution's Python.h
#   library_example    the CMake project tests/integration/library/ (docs'
#                      example) configured and built in a temporary directory;
#                      prog escapes strings from C with markupsafe's C code
#   library_header     pyweld.h: identical beside the archive, self-contained
#                      (C11 and C++), every function commented, defined,
#                      in docs/library.md, and called by the tests
#   library_api_*      one process per case of library_api.c: misuse (before
#                      start, start twice, after finish, NULL arguments,
#                      register after start), exceptions and tracebacks,
#                      SystemExit, pyweld_call with objects, modules of the
#                      program's own (dotted), 4 threads, isolated, path,
#                      argv, signals, finish, run_entry, pyweld_main, version
#   library_main_c     `pyweld init` + an edited main.c: --version answered in
#                      C with no interpreter started (strace), else Python
#   library_init_force `pyweld init [--force]` keeps an edited main.c
#
# Times with a warm distribution on 2 cores: library_weld ~35 s (pip fetches
# markupsafe and setuptools: network the first time), library_example ~3 s,
# library_header < 1 s, library_api_* < 1 s each, library_main_c ~10 s,
# library_init_force < 1 s.  The timing of the C fast path is a benchmark:
# bench/fastpath.py.

find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 not found: the library tests are not registered")
  return()
endif()

set(_library_dir ${CMAKE_CURRENT_BINARY_DIR}/library_lib)
set(_library_test ${CMAKE_CURRENT_SOURCE_DIR}/integration/library_test.py)

add_test(NAME library_weld
  COMMAND ${Python3_EXECUTABLE} ${_library_test} --pyweld $<TARGET_FILE:pyweld>
          --lib ${_library_dir} weld)
set_tests_properties(library_weld PROPERTIES
  LABELS integration
  FIXTURES_REQUIRED pyweld_distribution
  FIXTURES_SETUP library_lib
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 1200)

foreach(_what example header)
  add_test(NAME library_${_what}
    COMMAND ${Python3_EXECUTABLE} ${_library_test} --pyweld $<TARGET_FILE:pyweld>
            --lib ${_library_dir} ${_what})
  set_tests_properties(library_${_what} PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED "pyweld_distribution;library_lib"
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT 900)
endforeach()

# One ctest test per case of library_api.c, so that a failure names it; the
# cases are the driver's own list (`library_test.py --list`).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_library_test})
execute_process(COMMAND ${Python3_EXECUTABLE} ${_library_test} --list
                OUTPUT_VARIABLE _library_cases RESULT_VARIABLE _library_rc)
if(NOT _library_rc EQUAL 0)
  message(FATAL_ERROR "${_library_test} --list failed (${_library_rc})")
endif()
string(REGEX REPLACE " [^\n]*" "" _library_cases "${_library_cases}")
string(REGEX REPLACE "\n$" "" _library_cases "${_library_cases}")
string(REPLACE "\n" ";" _library_cases "${_library_cases}")
foreach(_case ${_library_cases})
  add_test(NAME library_api_${_case}
    COMMAND ${Python3_EXECUTABLE} ${_library_test} --pyweld $<TARGET_FILE:pyweld>
            --lib ${_library_dir} api ${_case})
  set_tests_properties(library_api_${_case} PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED "pyweld_distribution;library_lib"
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT 120)
endforeach()

foreach(_case main_c init_force)
  add_test(NAME library_${_case}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/library_main_c.py
            --pyweld $<TARGET_FILE:pyweld> ${_case})
  set_tests_properties(library_${_case} PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED pyweld_distribution
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT 900)
endforeach()

# The embedding API welding CPython 3.13 (the fixture
# pyweld_distribution_3_13, tests/python.cmake): the archive, the example,
# the header and every case of library_api.c.
set(_library_dir_3_13 ${CMAKE_CURRENT_BINARY_DIR}/library_lib-3.13)
add_test(NAME library_weld_3_13
  COMMAND ${Python3_EXECUTABLE} ${_library_test} --pyweld $<TARGET_FILE:pyweld>
          --python 3.13 --lib ${_library_dir_3_13} weld)
set_tests_properties(library_weld_3_13 PROPERTIES
  LABELS integration
  FIXTURES_REQUIRED pyweld_distribution_3_13
  FIXTURES_SETUP library_lib_3_13
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 1200)
foreach(_what example header)
  add_test(NAME library_${_what}_3_13
    COMMAND ${Python3_EXECUTABLE} ${_library_test} --pyweld $<TARGET_FILE:pyweld>
            --python 3.13 --lib ${_library_dir_3_13} ${_what})
  set_tests_properties(library_${_what}_3_13 PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED "pyweld_distribution_3_13;library_lib_3_13"
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT 900)
endforeach()
foreach(_case ${_library_cases})
  add_test(NAME library_api_3_13_${_case}
    COMMAND ${Python3_EXECUTABLE} ${_library_test} --pyweld $<TARGET_FILE:pyweld>
            --python 3.13 --lib ${_library_dir_3_13} api ${_case})
  set_tests_properties(library_api_3_13_${_case} PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED "pyweld_distribution_3_13;library_lib_3_13"
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT 120)
endforeach()

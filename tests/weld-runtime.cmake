# A welded binary at run time, and CPython's own regression tests inside it:
# integration tests in tests/integration/weld_runtime.py and weld_stdlib.py.
# Included by tests/CMakeLists.txt after the pyweld_distribution fixture test,
# which builds (minutes) or finds (instantly) the CPython distribution; these
# tests find it in the same cache (HOME, PYWELD_CACHE, XDG_CACHE_HOME) and
# only read it.  Each runs in its own temporary directory with a scrubbed
# environment and keeps it, its path printed, when it fails.
#
# weld_runtime: five binaries (no entry point, --python-code, --script, --fast-exit,
#   -m json.tool) against the stock interpreter run the same way: the REPL,
#   -c, -m, scripts, sys.argv, sys.executable, exit statuses, uncaught
#   exceptions, SIGINT, SIGPIPE, multiprocessing, subprocess.  Then a
#   stranger's command lines (-c CODE --multiprocessing-fork, spawn's line
#   reading a pickle from stdin, near misses with real pipes ...) run no code
#   in any application binary; a sixth, built with multiprocessing-children
#   = false, refuses spawn and forkserver in the parent; sys.executable of a
#   binary in directories 4095 to 4600 bytes deep.  About 2 minutes on 2
#   cores, 31 s with the weld's derived-object cache warm (a run that hangs
#   is killed after 2 minutes and fails).
# weld_runtime_noproc: two binaries started without /proc (a tmpfs over it in
#   a mount namespace of their own: unshare, as root; skipped otherwise,
#   saying why): they find themselves, multiprocessing spawn works, and
#   started through a descriptor they stop with one sentence.  About 5 s.
# weld_stdlib: a --stdlib-tests binary imports every standard-library
#   extension module from the built-ins and passes CPython's regression tests
#   as stock does, each test module run three ways (stock, inside the
#   binary, the binary with the test files on disk); the table of counts is
#   printed and written to weld_stdlib-report.txt here.  About 4 minutes on
#   2 cores, most of it test_multiprocessing_forkserver (3 x 75 s).
# weld_stdlib_3_13: the same for CPython 3.13 (--python 3.13), against the
#   3.13 distribution's python3.13; weld_stdlib_3_13-report.txt.  About 5
#   minutes on 2 cores (test_multiprocessing_forkserver 3 x 90 s).

# test_mpchild: cmocka: runtime/mpchild.c, which command lines make an
#   application binary act as multiprocessing's child interpreter (the exact
#   lines CPython 3.11 writes, their descriptors checked) and which are the
#   application's own argv (exploits and near-misses).  Under a second.

pyweld_unit_test(test_mpchild
  SOURCES unit/test_mpchild.c ${PROJECT_SOURCE_DIR}/runtime/mpchild.c)
target_include_directories(test_mpchild PRIVATE ${PROJECT_SOURCE_DIR}/runtime)
set_tests_properties(test_mpchild PROPERTIES TIMEOUT 60)

# test_selfpath: cmocka: runtime/selfpath.c, the binary's own path
#   (sys.executable) from /proc/self/exe read whole, or without /proc from
#   the path it was started by when that file is this very program; deep
#   directories beyond PATH_MAX.  About a second.

pyweld_unit_test(test_selfpath
  SOURCES unit/test_selfpath.c ${PROJECT_SOURCE_DIR}/runtime/selfpath.c)
target_include_directories(test_selfpath PRIVATE ${PROJECT_SOURCE_DIR}/runtime)
target_compile_definitions(test_selfpath PRIVATE _GNU_SOURCE)
set_tests_properties(test_selfpath PROPERTIES TIMEOUT 60)

find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 not found: the weld runtime tests are not registered")
  return()
endif()

add_test(NAME weld_runtime
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/weld_runtime.py
          --pyweld $<TARGET_FILE:pyweld>)
set_tests_properties(weld_runtime PROPERTIES
  LABELS integration
  FIXTURES_REQUIRED pyweld_distribution
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 1200)

add_test(NAME weld_runtime_noproc
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/weld_runtime.py
          --pyweld $<TARGET_FILE:pyweld> noproc)
set_tests_properties(weld_runtime_noproc PROPERTIES
  LABELS integration
  FIXTURES_REQUIRED pyweld_distribution
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 600)

# The same, welding CPython 3.13 and compared with its own interpreter
# (the fixture pyweld_distribution_3_13, tests/python.cmake).
add_test(NAME weld_runtime_3_13
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/weld_runtime.py
          --pyweld $<TARGET_FILE:pyweld> --python 3.13)
set_tests_properties(weld_runtime_3_13 PROPERTIES
  LABELS integration
  FIXTURES_REQUIRED pyweld_distribution_3_13
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 1200)

add_test(NAME weld_stdlib
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/weld_stdlib.py
          --pyweld $<TARGET_FILE:pyweld> --jobs 2
          --report ${CMAKE_CURRENT_BINARY_DIR}/weld_stdlib-report.txt)
set_tests_properties(weld_stdlib PROPERTIES
  LABELS integration
  FIXTURES_REQUIRED pyweld_distribution
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 3600)

# The same regression tests welding CPython 3.13, compared with the 3.13
# distribution's own python3.13 (the fixture pyweld_distribution_3_13).
# Long (label "long"): on demand, `bash .ci/test -L long`.
add_test(NAME weld_stdlib_3_13
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/weld_stdlib.py
          --pyweld $<TARGET_FILE:pyweld> --python 3.13 --jobs 2
          --report ${CMAKE_CURRENT_BINARY_DIR}/weld_stdlib_3_13-report.txt)
set_tests_properties(weld_stdlib_3_13 PROPERTIES
  LABELS "integration;long"
  FIXTURES_REQUIRED pyweld_distribution_3_13
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 3600)

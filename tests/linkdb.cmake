# linkdb: its cmocka unit tests, and integration tests that run the real
# `pyweld db` against databases written by many processes at once (gc
# among them), by writers killed at random moments, and against damaged
# files and read-only places.  Included by tests/CMakeLists.txt (pyweld_unit_test, skip code 77).

# One test program per concern (open, store, records, query, gc, export), each its
# own ctest test, on the fixture and helpers of unit/linkdb_test.[ch].  The
# tests make real objects, archives and shared objects with the build's own
# tools, and load the version-1 fixture from the source tree.
add_library(pyweld_linkdb_test STATIC unit/linkdb_test.c)
target_link_libraries(pyweld_linkdb_test
  PUBLIC pyweld_linkdb pyweld_util PkgConfig::SQLITE3 PkgConfig::CMOCKA
  PRIVATE pyweld_warnings)
target_compile_definitions(pyweld_linkdb_test PUBLIC
  PYWELD_TEST_CC="${CMAKE_C_COMPILER}"
  PYWELD_TEST_AR="${CMAKE_AR}"
  PYWELD_TEST_FIXTURES="${CMAKE_CURRENT_SOURCE_DIR}/unit/fixtures")
foreach(_t open store records query gc export)
  pyweld_unit_test(test_linkdb_${_t}
    SOURCES unit/test_linkdb_${_t}.c
    LIBS pyweld_linkdb_test)
  set_tests_properties(test_linkdb_${_t} PROPERTIES TIMEOUT 120)
endforeach()

# A program that records compiles and links the way the wrappers do; the
# integration tests run many of it at once and kill it.
add_executable(linkdb_writer integration/linkdb_writer.c)
target_link_libraries(linkdb_writer PRIVATE pyweld_linkdb pyweld_util pyweld_warnings)

find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 not found: the linkdb integration tests are not registered")
  return()
endif()

# pyweld_linkdb_integration(NAME SCRIPT [ARGS...]): a Python test run with the
# built pyweld, the writer and the C compiler.
function(pyweld_linkdb_integration name script)
  add_test(NAME ${name}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script}
            --pyweld $<TARGET_FILE:pyweld> --writer $<TARGET_FILE:linkdb_writer>
            --cc ${CMAKE_C_COMPILER} ${ARGN})
  set_tests_properties(${name} PROPERTIES LABELS integration
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE} TIMEOUT 300)
endfunction()

# 16 writers x (200 compiles + 50 links) at once: exact counts, check clean.
pyweld_linkdb_integration(linkdb_concurrency linkdb_concurrency.py)
# 50 rounds of writers killed with SIGKILL: check clean, records complete.
pyweld_linkdb_integration(linkdb_crash linkdb_crash.py)
# gc and gc --dry-run in loops beside 16 writers: every record complete.
pyweld_linkdb_integration(linkdb_gc_concurrency linkdb_gc_concurrency.py)
# They load the machine: let ctest -j run them alone.
set_tests_properties(linkdb_concurrency linkdb_crash linkdb_gc_concurrency
  PROPERTIES RUN_SERIAL TRUE)
# Damaged databases and stores, odd paths: clear errors, nothing changed.
pyweld_linkdb_integration(linkdb_badinput linkdb_badinput.py)
# Read-only directory and file, as an unprivileged user (skips when none).
pyweld_linkdb_integration(linkdb_readonly linkdb_badinput.py --only readonly)

# The module blob and the in-memory importer (runtime/blob.c, importer.c,
# pyweld_resources.py; docs/blob.md).  Included by tests/CMakeLists.txt
# (pyweld_unit_test, PYWELD_SKIP_CODE, the pyweld_distribution fixture).
#
#   test_blob          cmocka: the reader against blobs a small writer in the
#                      test lays out (format version 4, checksums included),
#                      then truncates, overlaps, garbles and reseals; CRC-32C
#                      test vectors; rt_blob_verify of damaged payloads
#   test_blob_zsource  cmocka: compressed sources (the 0x100 flag): its
#                      rules, inflation to the recorded size, damage caught
#                      by the checksum or as EIO, version 3 refused
#   test_blob_zcode    cmocka: compressed code (the 0x200 flag): its rules,
#                      inflation to the recorded size, damage caught by the
#                      checksum or as EIO
#   fuzz_blob          libFuzzer on rt_blob_check/find/lower_bound/get/verify
#                      for 60 s from committed seeds and a real build's
#                      modules.blob (half of the inputs resealed, so that the
#                      index checksum does not stop it at the door)
#   blob_weld          fixture: pw_resources welded once for the cases below
#   blob_api_*         importlib.resources, importlib.metadata, pkgutil,
#                      inspect/linecache/tracebacks, __file__/__path__,
#                      get_data, sys.path (tests/integration/blob_api.py)
#   blob_strace_stdlib ~700 standard-library modules imported under strace:
#                      no .py/.pyc/directory of the library or the app opened
#   blob_stdlib_imports  the same list all import in the binary
#   blob_damaged_*     a binary with an altered or cut blob is refused or, for a
#                      damaged payload used after start-up, fails with an
#                      ImportError naming it; never runs on
#
# Times with a warm distribution on 2 cores: test_blob ~1 s, blob_weld ~30 s,
# blob_api_* ~1 s each, blob_strace_stdlib ~25 s (the first of the two
# stdlib tests makes the module list, ~12 s, for both), blob_damaged_* < 2 s
# each, fuzz_blob 60 s plus the seeds.

# --- unit tests ----------------------------------------------------------------

pyweld_unit_test(test_blob
  SOURCES unit/test_blob.c ${PROJECT_SOURCE_DIR}/runtime/blob.c)
target_include_directories(test_blob PRIVATE ${PROJECT_SOURCE_DIR}/runtime)
set_tests_properties(test_blob PROPERTIES TIMEOUT 120)

pyweld_unit_test(test_blob_zsource
  SOURCES unit/test_blob_zsource.c ${PROJECT_SOURCE_DIR}/runtime/blob.c)
target_include_directories(test_blob_zsource PRIVATE ${PROJECT_SOURCE_DIR}/runtime)
target_link_libraries(test_blob_zsource PRIVATE PkgConfig::ZLIB)

pyweld_unit_test(test_blob_zcode
  SOURCES unit/test_blob_zcode.c ${PROJECT_SOURCE_DIR}/runtime/blob.c)
target_include_directories(test_blob_zcode PRIVATE ${PROJECT_SOURCE_DIR}/runtime)
target_link_libraries(test_blob_zcode PRIVATE PkgConfig::ZLIB)

# --- the fuzzer --------------------------------------------------------------------

# Built with clang directly (the project's compiler may be gcc): libFuzzer,
# AddressSanitizer and UndefinedBehaviorSanitizer, on runtime/blob.c as the
# binary compiles it.  Registered only when clang can link such a program;
# otherwise the test is still there and skips, saying why.
set(PYWELD_FUZZ_SECONDS 60 CACHE STRING "how long the ctest test fuzz_blob fuzzes")
set(_blob_app ${CMAKE_CURRENT_BINARY_DIR}/blob_app)
find_program(PYWELD_CLANG NAMES clang clang-18 clang-17 clang-16 clang-15 clang-14)
set(_fuzz_skip "")
if(NOT PYWELD_CLANG)
  set(_fuzz_skip "clang not found: the blob fuzzer needs clang's libFuzzer (apt-get install clang)")
else()
  set(_probe_dir ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe)
  file(MAKE_DIRECTORY ${_probe_dir})
  file(WRITE ${_probe_dir}/probe.c
    "#include <stddef.h>\n#include <stdint.h>\n"
    "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\n"
    "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n")
  execute_process(
    COMMAND ${PYWELD_CLANG} -fsanitize=fuzzer,address,undefined ${_probe_dir}/probe.c
            -o ${_probe_dir}/probe
    RESULT_VARIABLE _probe_rc OUTPUT_QUIET ERROR_VARIABLE _probe_err)
  if(NOT _probe_rc EQUAL 0)
    string(REGEX REPLACE "\n.*" "" _probe_err "${_probe_err}")
    if(_probe_err)
      set(_probe_err " (${_probe_err})")
    endif()
    set(_fuzz_skip "'${PYWELD_CLANG}' cannot link -fsanitize=fuzzer,address,undefined${_probe_err}; install libFuzzer (libclang-rt-dev)")
  endif()
endif()

if(_fuzz_skip STREQUAL "")
  set(_fuzzer ${CMAKE_CURRENT_BINARY_DIR}/fuzz_blob)
  add_custom_command(
    OUTPUT ${_fuzzer}
    COMMAND ${PYWELD_CLANG} -g -O1 -std=c11 -Wall -Wextra
            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
            -I${PROJECT_SOURCE_DIR}/runtime
            ${PROJECT_SOURCE_DIR}/runtime/blob.c ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_blob.c
            -lz -o ${_fuzzer}
    DEPENDS ${PROJECT_SOURCE_DIR}/runtime/blob.c ${PROJECT_SOURCE_DIR}/runtime/blob.h
            ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_blob.c
    COMMENT "Building the blob fuzzer with ${PYWELD_CLANG}"
    VERBATIM)
  add_custom_target(fuzz_blob_target ALL DEPENDS ${_fuzzer})
  add_test(NAME fuzz_blob
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run_fuzz.sh ${_fuzzer} ${PYWELD_FUZZ_SECONDS}
            ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/blob.dict
            ${_blob_app}/work/modules.blob)
else()
  message(STATUS "fuzz_blob will skip: ${_fuzz_skip}")
  add_test(NAME fuzz_blob
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run_fuzz.sh --skip "${_fuzz_skip}")
endif()
set_tests_properties(fuzz_blob PROPERTIES
  LABELS fuzz
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 300)

# --- integration tests ---------------------------------------------------------

find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 not found: the blob integration tests are not registered")
  return()
endif()

# The weld the cases share (tests/integration/blob_weld.py): pw_resources
# with --keep-work, in the build tree.  It needs the network the first time
# (pip fetches setuptools as a wheel).
add_test(NAME blob_weld
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/blob_weld.py
          --pyweld $<TARGET_FILE:pyweld> --out ${_blob_app})
set_tests_properties(blob_weld PROPERTIES
  LABELS integration
  FIXTURES_REQUIRED pyweld_distribution
  FIXTURES_SETUP blob_app
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 1200)
# The fuzzer takes the weld's modules.blob as a seed when the weld ran first
# (ordering only: without it, the committed seeds are enough).
set_tests_properties(fuzz_blob PROPERTIES DEPENDS blob_weld)

# pyweld_blob_test(PREFIX SCRIPT TIMEOUT CASE...): one ctest test per case,
# PREFIX<case>, so that a failure names it.
function(pyweld_blob_test prefix script timeout)
  foreach(_case ${ARGN})
    add_test(NAME ${prefix}${_case}
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script}
              --pyweld $<TARGET_FILE:pyweld> --app ${_blob_app} ${_case})
    set_tests_properties(${prefix}${_case} PROPERTIES
      LABELS integration
      FIXTURES_REQUIRED "pyweld_distribution;blob_app"
      SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
      TIMEOUT ${timeout})
  endforeach()
endfunction()

# The APIs, against the test package (tests/integration/packages/pw_resources).
pyweld_blob_test(blob_api_ blob_api.py 120
  resources_read resources_iterdir resources_as_file resources_namespace
  metadata metadata_shadowed entry_points pkgutil source light_imports deep_frozen regexes
  traceback
  warnings_source
  paths get_data syspath syspath_namespace_portion)

# Nothing from the file system: the generated standard-library list under
# strace, and the same list importing at all.
pyweld_blob_test(blob_ blob_strace.py 1200 strace_stdlib stdlib_imports)
# The second uses the list the first makes (ordering only).
set_tests_properties(blob_stdlib_imports PROPERTIES DEPENDS blob_strace_stdlib)

# Damaged binaries: refused at start-up with a message (a damaged payload
# used later: an ImportError naming it), never run, never a crash.
# payload_startup runs for 3.13 only (below): 3.11's distribution deep-freezes
# encodings, so its start-up reads no module from the blob to damage.
set(_blob_damaged_cases
  intact header_magic header_size header_count index_checksum index_offset index_kind
  index_order names_nul payload_resource payload_source payload_random truncated)
pyweld_blob_test(blob_damaged_ blob_damaged.py 300 ${_blob_damaged_cases})

# Compressed sources (format 4): a pruned and an unpruned weld read them back
# whole through tracebacks, inspect, open() and get_data, start-up inflates
# none, the SBOM names libz; a damaged compressed source is an ImportError
# or EIO, also with its checksums recomputed; --no-source stores none;
# --no-file-view's MemoryPath reads one back whole.
foreach(_case pruned unpruned damaged no_source no_file_view)
  pyweld_weld_test(blob_zsource_${_case} blob_zsource.py 900 ${_case})
endforeach()
foreach(_case pruned damaged)
  pyweld_weld_test_3_13(blob_zsource_3_13_${_case} blob_zsource.py 900 ${_case})
endforeach()

# Compressed code: a pruned weld stores the code of csv (imported after
# start-up) compressed and inflates it at import, none at start; a
# python-like weld (which deep-freezes nothing) imports email, sqlite3 and asyncio from
# compressed code; damaged compressed code is an ImportError, also with its
# checksums recomputed; --no-compress-code stores none compressed.
foreach(_case pruned python_like damaged no_compress_code)
  pyweld_weld_test(blob_zcode_${_case} blob_zcode.py 900 ${_case})
endforeach()
foreach(_case pruned damaged)
  pyweld_weld_test_3_13(blob_zcode_3_13_${_case} blob_zcode.py 900 ${_case})
endforeach()

# The same, welding CPython 3.13 (the fixture pyweld_distribution_3_13,
# tests/python.cmake).  Not run for it: deep_frozen and regexes, which
# check speed changes pydist makes to 3.11 only (docs/distribution.md,
# "Versions"); the cases name the other policy differences (encodings is
# not frozen; 3.12's importlib.metadata lists only files that exist).
set(_blob_app_3_13 ${CMAKE_CURRENT_BINARY_DIR}/blob_app-3.13)
add_test(NAME blob_weld_3_13
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/blob_weld.py
          --pyweld $<TARGET_FILE:pyweld> --python 3.13 --out ${_blob_app_3_13})
set_tests_properties(blob_weld_3_13 PROPERTIES
  LABELS integration
  FIXTURES_REQUIRED pyweld_distribution_3_13
  FIXTURES_SETUP blob_app_3_13
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 1200)
foreach(_case resources_read resources_iterdir resources_as_file resources_namespace
              metadata metadata_shadowed entry_points pkgutil source light_imports traceback
              warnings_source paths get_data syspath syspath_namespace_portion)
  add_test(NAME blob_api_3_13_${_case}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/blob_api.py
            --pyweld $<TARGET_FILE:pyweld> --python 3.13 --app ${_blob_app_3_13} ${_case})
  set_tests_properties(blob_api_3_13_${_case} PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED "pyweld_distribution_3_13;blob_app_3_13"
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT 120)
endforeach()
foreach(_case ${_blob_damaged_cases} payload_startup)
  add_test(NAME blob_damaged_3_13_${_case}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/blob_damaged.py
            --pyweld $<TARGET_FILE:pyweld> --python 3.13 --app ${_blob_app_3_13} ${_case})
  set_tests_properties(blob_damaged_3_13_${_case} PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED "pyweld_distribution_3_13;blob_app_3_13"
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT 300)
endforeach()
add_test(NAME blob_strace_stdlib_3_13
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/blob_strace.py
          --pyweld $<TARGET_FILE:pyweld> --python 3.13 --app ${_blob_app_3_13}
          strace_stdlib stdlib_imports)
set_tests_properties(blob_strace_stdlib_3_13 PROPERTIES
  LABELS integration
  FIXTURES_REQUIRED "pyweld_distribution_3_13;blob_app_3_13"
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 1200)

# ccshim: the unit tests of argv classification (a table of real command
# lines, the option tables' order), of response files, and of the shim
# configuration (escaped values, launchers and their masquerade links, shim
# names and roles); the integration test of the wrapper compiler's behaviour
# on bad input (a missing real compiler, a shim loop, an unreadable @file, a
# read-only database, invalid UTF-8 in argv, pyweld-cc run by its own name);
# the integration test that a build through the shims runs as without them
# (ccshim_faithful_*: launcher masquerade directories, exit statuses,
# dependency files, sources from stdin, gcc by name, `pyweld env` under eval,
# the configuration's escaping); and fuzz_ccshim, libFuzzer on the argv
# classifier and @file expansion.
# Included by tests/CMakeLists.txt (pyweld_unit_test, PYWELD_SKIP_CODE).

# Three programs on the checks and fixtures of unit/ccshim_test.[ch]: the
# classifier (with the case tables unit/ccshim_cases_*.c), @file expansion,
# and the shim configuration with the resolution of real tools.
add_library(pyweld_ccshim_test STATIC unit/ccshim_test.c unit/ccshim_cases_python.c
            unit/ccshim_cases_native.c unit/ccshim_cases_rust.c unit/ccshim_cases_edge.c)
target_link_libraries(pyweld_ccshim_test
  PUBLIC pyweld_ccshim pyweld_util PkgConfig::CMOCKA PRIVATE pyweld_warnings)
foreach(_t classify response conf)
  pyweld_unit_test(test_ccshim_${_t}
    SOURCES unit/test_ccshim_${_t}.c
    LIBS pyweld_ccshim_test)
endforeach()

# Runs the real pyweld and pyweld-cc from the build tree, with the system's
# cc, as root and (for the read-only database) as an unprivileged user.
find_program(PYWELD_BASH bash REQUIRED)
add_test(NAME ccshim_badinput
  COMMAND ${PYWELD_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/ccshim_badinput.sh
          $<TARGET_FILE_DIR:pyweld-cc>)
set_tests_properties(ccshim_badinput PROPERTIES
  LABELS integration
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 300)

# A build runs through the shims exactly as without them: one ctest test per
# case of tests/integration/ccshim_faithful.py, with the system's compilers
# (ccache, distcc and clang where installed: a case whose prerequisite is
# absent skips, saying which).  Each takes 1-6 s.
find_program(PYWELD_PYTHON3 python3)
if(PYWELD_PYTHON3)
  foreach(_case masquerade exit_status depfiles stdin by_name env_eval conf_escape
                ldshared)
    add_test(NAME ccshim_faithful_${_case}
      COMMAND ${PYWELD_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/ccshim_faithful.py
              --bin $<TARGET_FILE_DIR:pyweld-cc> ${_case})
    set_tests_properties(ccshim_faithful_${_case} PROPERTIES
      LABELS integration
      SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
      TIMEOUT 600)
  endforeach()
else()
  message(STATUS "python3 not found: the ccshim_faithful tests are not registered")
endif()

# --- the fuzzer ------------------------------------------------------------------

# libFuzzer on ccshim_classify and @file expansion (tests/fuzz/fuzz_ccshim.c),
# built with clang directly like fuzz_blob (tests/blob.cmake): the project's
# compiler may be gcc.  60 s (PYWELD_FUZZ_SECONDS) from the committed seeds,
# real command lines (tests/fuzz/make_ccshim_seeds.py).  Registered to run
# only when clang can link -fsanitize=fuzzer; otherwise the test is there and
# skips, saying why (.ci/setup installs clang and libclang-rt-14-dev).
set(PYWELD_FUZZ_SECONDS 60 CACHE STRING "how long each fuzz test (fuzz_blob, fuzz_ccshim) fuzzes")
find_program(PYWELD_CLANG NAMES clang clang-18 clang-17 clang-16 clang-15 clang-14)
set(_ccshim_fuzz_skip "")
if(NOT PYWELD_CLANG)
  set(_ccshim_fuzz_skip "clang not found: the argv fuzzer needs clang's libFuzzer (apt-get install clang libclang-rt-14-dev)")
else()
  set(_probe_dir ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe_ccshim)
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
    set(_ccshim_fuzz_skip "'${PYWELD_CLANG}' cannot link -fsanitize=fuzzer,address,undefined (${_probe_err}); install libFuzzer (libclang-rt-14-dev)")
  endif()
endif()

if(_ccshim_fuzz_skip STREQUAL "")
  set(_fuzzer ${CMAKE_CURRENT_BINARY_DIR}/fuzz_ccshim)
  # The classifier's own files (not the whole of pyweld_ccshim), util, the target.
  set(_fuzz_sources ${PROJECT_SOURCE_DIR}/ccshim/classify.c ${PROJECT_SOURCE_DIR}/ccshim/options.c
                    ${PROJECT_SOURCE_DIR}/ccshim/response.c ${PROJECT_SOURCE_DIR}/ccshim/names.c
                    ${PYWELD_UTIL_SOURCES} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_ccshim.c)
  add_custom_command(
    OUTPUT ${_fuzzer}
    COMMAND ${PYWELD_CLANG} -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra
            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
            -I${PROJECT_SOURCE_DIR}/ccshim -I${PROJECT_SOURCE_DIR}/util
            ${_fuzz_sources} -o ${_fuzzer}
    DEPENDS ${_fuzz_sources} ${PROJECT_SOURCE_DIR}/ccshim/ccshim.h
            ${PROJECT_SOURCE_DIR}/ccshim/internal.h ${PROJECT_SOURCE_DIR}/util/util.h
    COMMENT "Building the argv fuzzer with ${PYWELD_CLANG}"
    VERBATIM)
  add_custom_target(fuzz_ccshim_target ALL DEPENDS ${_fuzzer})
  add_test(NAME fuzz_ccshim
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run_fuzz.sh ${_fuzzer} ${PYWELD_FUZZ_SECONDS}
            ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus-ccshim
            ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/ccshim.dict)
else()
  message(STATUS "fuzz_ccshim will skip: ${_ccshim_fuzz_skip}")
  add_test(NAME fuzz_ccshim
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run_fuzz.sh --skip "${_ccshim_fuzz_skip}")
endif()
set_tests_properties(fuzz_ccshim PROPERTIES
  LABELS fuzz
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 300)

# ccshim: the unit tests of argv classification (a table of real command
# lines, response files, the option tables' order) and of the shim
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

pyweld_unit_test(test_ccshim_classify
  SOURCES unit/test_ccshim_classify.c
  LIBS pyweld_ccshim pyweld_util)

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
  foreach(_case masquerade exit_status depfiles stdin by_name env_eval conf_escape)
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

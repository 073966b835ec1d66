# ccshim: the unit tests of argv classification (a table of real command
# lines, response files, the option tables' order) and the integration test
# of the wrapper compiler's behaviour on bad input (a missing real compiler,
# a shim loop, an unreadable @file, a read-only database, invalid UTF-8 in
# argv, pyweld-cc run by its own name).
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

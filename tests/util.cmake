# util: the helpers every pyweld program shares.  Included by
# tests/CMakeLists.txt (pyweld_unit_test, PYWELD_SKIP_CODE).

# cmocka: countof, strvec_cargv, commands run with a log and the error
# lines found in their output; needs only sh.
pyweld_unit_test(test_util SOURCES unit/test_util.c LIBS pyweld_util)
set_tests_properties(test_util PROPERTIES TIMEOUT 60)

# The hostile build environment: markupsafe built with pip, a Makefile
# project with make -j2 and -MD, and failing "real compilers", each once
# plainly and once through `pyweld env` (ccache masquerade directory, ccache
# as launcher or symlink, clang, distcc with a private distccd), comparing
# exit statuses and every produced file byte for byte.  Included by
# tests/CMakeLists.txt; needs the venv and sdists of the pyweld_python
# fixture (tests/ccshim-integration.cmake).

if(NOT DEFINED PYWELD_TEST_CACHE)
  if(DEFINED ENV{PYWELD_TEST_CACHE} AND NOT "$ENV{PYWELD_TEST_CACHE}" STREQUAL "")
    set(PYWELD_TEST_CACHE "$ENV{PYWELD_TEST_CACHE}")
  else()
    set(PYWELD_TEST_CACHE "$ENV{HOME}/.cache/pyweld/test")
  endif()
endif()

# One ctest test per case, so a failure names its environment.
foreach(_case ccache_path ccache_launcher ccache_symlink clang distcc
              distcc_gcc_elsewhere make_deps exit_1 exit_130 exit_139 sigterm)
  add_test(NAME ccshim_hostile_${_case}
           COMMAND "${PYWELD_TEST_CACHE}/venv/bin/python"
                   "${CMAKE_CURRENT_SOURCE_DIR}/integration/ccshim_hostile.py"
                   --bin "$<TARGET_FILE_DIR:pyweld>"
                   --sdists "${PYWELD_TEST_CACHE}/sdists"
                   ${_case})
  set_tests_properties(ccshim_hostile_${_case} PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED pyweld_python
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT 600)
endforeach()

# ccshim integration tests: real build front ends (pip + setuptools,
# meson-python, scikit-build-core, Cython, C++, ar, ccache, parallel ninja)
# and real sdists from PyPI (markupsafe, psutil) built through the wrapper
# compilers, each asserting the exact recorded links.  Included by
# tests/CMakeLists.txt.
#
# The fixture test runs tests/prepare-python.sh: a venv with the pinned build
# back ends and the pinned sdists, in PYWELD_TEST_CACHE (default
# ~/.cache/pyweld/test; fast when already prepared).  PYWELD_TEST_PYTHON picks
# the interpreter the venv is made from.

if(DEFINED ENV{PYWELD_TEST_CACHE} AND NOT "$ENV{PYWELD_TEST_CACHE}" STREQUAL "")
  set(_pyweld_test_cache_default "$ENV{PYWELD_TEST_CACHE}")
else()
  set(_pyweld_test_cache_default "$ENV{HOME}/.cache/pyweld/test")
endif()
set(PYWELD_TEST_CACHE "${_pyweld_test_cache_default}" CACHE PATH
    "where the integration tests keep their venv and sdists")

set(_itg_venv_python "${PYWELD_TEST_CACHE}/venv/bin/python")
set(_itg_script "${CMAKE_CURRENT_SOURCE_DIR}/integration/ccshim_frontends.py")

add_test(NAME ccshim_prepare_python
         COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/prepare-python.sh")
set_tests_properties(ccshim_prepare_python PROPERTIES
  LABELS integration
  FIXTURES_SETUP pyweld_python
  ENVIRONMENT "PYWELD_TEST_CACHE=${PYWELD_TEST_CACHE}"
  TIMEOUT 900)

# One ctest test per case, so a failure names its front end.
foreach(_case setuptools meson skbuild cython shared_source archive cxx
              parallel ccache markupsafe psutil)
  add_test(NAME ccshim_frontend_${_case}
           COMMAND "${_itg_venv_python}" "${_itg_script}"
                   --bin "$<TARGET_FILE_DIR:pyweld>"
                   --sdists "${PYWELD_TEST_CACHE}/sdists"
                   ${_case})
  set_tests_properties(ccshim_frontend_${_case} PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED pyweld_python
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT 600)
endforeach()

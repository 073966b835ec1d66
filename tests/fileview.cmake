# The packed tree readable by path (runtime/fileview.c; docs/weld.md, "Data
# beside __file__").  Included by tests/CMakeLists.txt.
#
#   test_fileview   cmocka: the view linked as a welded binary links it
#                   (-Wl,--wrap for every name of fileview.h's
#                   RT_FILEVIEW_WRAPPED, read from the header here), over a
#                   blob the test lays out: files, directories, listings,
#                   descriptors, errors, what stays the C library's.  About
#                   a second.
#   fileview_weld, fileview_*  integration (below)

# The wrapped names, from the one list the weld uses too (read again when
# the header changes).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/runtime/fileview.h)
file(READ ${PROJECT_SOURCE_DIR}/runtime/fileview.h _fv_header)
string(REGEX MATCH "#define RT_FILEVIEW_WRAPPED[^}]*}" _fv_list "${_fv_header}")
string(REGEX MATCHALL "\"[A-Za-z0-9_]+\"" _fv_names "${_fv_list}")
set(_fv_wraps "")
foreach(_n ${_fv_names})
  string(REPLACE "\"" "" _n ${_n})
  list(APPEND _fv_wraps "-Wl,--wrap=${_n}")
endforeach()
list(LENGTH _fv_wraps _fv_count)
if(_fv_count LESS 30)
  message(FATAL_ERROR "runtime/fileview.h: RT_FILEVIEW_WRAPPED lists ${_fv_count} names")
endif()

find_package(Threads REQUIRED)
pyweld_unit_test(test_fileview
  SOURCES unit/test_fileview.c ${PROJECT_SOURCE_DIR}/runtime/fileview.c
          ${PROJECT_SOURCE_DIR}/runtime/fileview_files.c
          ${PROJECT_SOURCE_DIR}/runtime/fileview_dirs.c
          ${PROJECT_SOURCE_DIR}/runtime/blob.c
  LIBS Threads::Threads ${CMAKE_DL_LIBS})
target_include_directories(test_fileview PRIVATE ${PROJECT_SOURCE_DIR}/runtime)
target_compile_definitions(test_fileview PRIVATE _GNU_SOURCE)
# -rdynamic: the test finds each __wrap_ function by its name.
target_link_options(test_fileview PRIVATE ${_fv_wraps} -rdynamic)
set_tests_properties(test_fileview PROPERTIES TIMEOUT 60)

# --- integration tests ---------------------------------------------------------

find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 not found: the fileview integration tests are not registered")
  return()
endif()

#   fileview_weld   fixture: pytz, certifi (pinned sdists, hash-checked) and
#                   tests/integration/packages/pw_fileview welded twice, with
#                   the view and with --no-file-view (the second reuses the
#                   work directory).  About a minute; the network the first
#                   time (the sdists, setuptools as a wheel).
#   fileview_*      the cases of tests/integration/fileview.py: pytz's
#                   timezones, certifi.where() writing nothing under strace
#                   with OpenSSL loading the bundle, a C extension's fopen of
#                   its package data by a path built from __file__, Python's
#                   file APIs against the stock interpreter's answers, the
#                   --no-file-view binary, the pre-flight scan's notes.  A
#                   few seconds each.
set(_fileview_app ${CMAKE_CURRENT_BINARY_DIR}/fileview_app)
add_test(NAME fileview_weld
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/fileview_weld.py
          --pyweld $<TARGET_FILE:pyweld> --out ${_fileview_app})
set_tests_properties(fileview_weld PROPERTIES
  LABELS integration
  FIXTURES_REQUIRED pyweld_distribution
  FIXTURES_SETUP fileview_app
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 1800)
foreach(_case pytz certifi c_fopen python_apis no_file_view preflight)
  add_test(NAME fileview_${_case}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/fileview.py
            --pyweld $<TARGET_FILE:pyweld> --app ${_fileview_app} ${_case})
  set_tests_properties(fileview_${_case} PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED "pyweld_distribution;fileview_app"
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT 600)
endforeach()

# The packed tree readable by path (runtime/fileview.c; docs/weld.md, "Data
# beside __file__").  Included by tests/CMakeLists.txt.
#
#   test_fileview   cmocka: the view linked as a welded binary links it
#                   (-Wl,--wrap for every name of fileview.h's
#                   RT_FILEVIEW_WRAPPED, read from the header here), over a
#                   blob the test lays out: files, directories, listings,
#                   descriptors, errors, what stays the C library's.  About
#                   a second.

# The wrapped names, from the one list the weld uses too.
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

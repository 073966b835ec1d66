# pyweld's caches belong to their user: the cache root no other user can
# write or replace, no fall-back into the shared temporary directory, cache
# entries and atomic writes through mkstemp, a stale-build sweep that goes
# by lock, not by pid, and renames that survive a power failure.  Included
# by tests/CMakeLists.txt (pyweld_unit_test, PYWELD_SKIP_CODE, the
# pyweld_distribution fixture).
#
#   test_cache              cmocka: itg_cache_store/fetch against planted
#                           links and other writers' temporaries; util's
#                           atomic writes and links; util_private_dir
#   cache_hardening         tests/integration/cache_hardening.py, every case
#                           that needs no distribution (seconds): the cache
#                           root refused or accepted through `pyweld python`
#                           and `pyweld build`, the sweep beside live and dead
#                           builds (one in another pid namespace), strace of
#                           an atomic write
#   cache_hardening_weld    the same script's cases that weld or use the
#                           distribution: the welded binary's rename and the
#                           "current" link are followed by an fsync of their
#                           directory (strace)

pyweld_unit_test(test_cache
  SOURCES unit/test_cache.c
  LIBS pyweld_itg pyweld_util)
set_tests_properties(test_cache PROPERTIES TIMEOUT 60)

# util_write_atomic as a program, to run under strace.
add_executable(cache_tool integration/cache_tool.c)
target_link_libraries(cache_tool PRIVATE pyweld_util pyweld_warnings)

find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 not found: the cache integration tests are not registered")
  return()
endif()

set(_cache_script "${CMAKE_CURRENT_SOURCE_DIR}/integration/cache_hardening.py")
add_test(NAME cache_hardening
  COMMAND ${Python3_EXECUTABLE} ${_cache_script} --pyweld $<TARGET_FILE:pyweld>
          --cache-tool $<TARGET_FILE:cache_tool> --group local)
set_tests_properties(cache_hardening PROPERTIES LABELS integration
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE} TIMEOUT 300)
add_test(NAME cache_hardening_weld
  COMMAND ${Python3_EXECUTABLE} ${_cache_script} --pyweld $<TARGET_FILE:pyweld>
          --cache-tool $<TARGET_FILE:cache_tool> --group distribution)
set_tests_properties(cache_hardening_weld PROPERTIES LABELS integration
  FIXTURES_REQUIRED pyweld_distribution
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE} TIMEOUT 600)

# The build cache (docs/buildcache.md): markupsafe's pinned sdist welded
# twice reuses the first build (same records, byte-identical welded object);
# another --env or other sdist bytes build again; a damaged entry is a note
# and a build, never a failure; two welds at once both succeed;
# --no-build-cache builds; a requirements file's sdist is reused with a work
# directory a requirements line would misread; a local sdist named by a
# relative path (command line, pyweld.ini) is found; a package's own --env
# (PKG:NAME=VALUE) reaches its build and its key alone; a pyweld rebuilt
# (copied: another path and mtime) reuses, another pyweld-cc does not.  Each case keeps a cache of
# its own.  Needs the distribution (pyweld_distribution) and the pinned
# sdists (pyweld_python and PYWELD_TEST_CACHE, tests/ccshim-integration.cmake).

find_package(Python3 COMPONENTS Interpreter)

foreach(_case reuse miss_env miss_sdist damaged concurrent disabled requirements
              relative own_env rebuilt)
  add_test(NAME weld_buildcache_${_case}
           COMMAND ${Python3_EXECUTABLE}
                   ${CMAKE_CURRENT_SOURCE_DIR}/integration/weld_buildcache.py
                   --pyweld $<TARGET_FILE:pyweld>
                   --sdists "${PYWELD_TEST_CACHE}/sdists"
                   ${_case})
  set_tests_properties(weld_buildcache_${_case} PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED "pyweld_distribution;pyweld_python"
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT 900)
endforeach()

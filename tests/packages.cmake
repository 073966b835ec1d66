# The compatibility matrix of real packages (packages-tested/): the quick
# tier as a ctest test.  Included by tests/CMakeLists.txt after the
# pyweld_distribution fixture test, which builds (minutes) or finds
# (instantly) the CPython distribution; the runner finds it in the same cache
# (HOME, PYWELD_CACHE, XDG_CACHE_HOME) and only reads it.
#
# packages-tested/run --tier quick welds each package of the quick tier
# (markupsafe, simplejson, PyYAML, kiwisolver, psutil, cffi,
# argon2-cffi-bindings, pytz) from its pinned sdist, runs the package's own tests
# inside the binary, inside one binary holding all of them, and in stock
# CPython with the normal wheels; it fails when a package expected to pass
# does not.  Its report goes to the build tree
# (packages-tested/REPORT.md, .json, .html), not the source tree.  It needs
# the network the first time (sdists, wheels and build back ends from PyPI;
# downloads are cached in <pyweld cache>/packages-tested); with a warm
# distribution cache it takes 4 to 8 minutes on 2 cores (6 under ctest here).

find_package(Python3 3.11 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 >= 3.11 not found: packages_tested_quick is not registered")
  return()
endif()

# The matrix in shards, without building anything (seconds): --shard K/N
# covers every package of each tier once with what it requires, --merge of
# the stored large-tier REPORT.json cut in two gives the uncut REPORT.md and
# refuses bad merges, the GitHub Actions workflow users copy
# (.ci/github/packages-tested.yml) runs and merges every shard and version
# (skipped when PyYAML is not importable by this python).
add_test(NAME packages_tested_shards
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/packages_tested_shards.py
          ${PROJECT_SOURCE_DIR}/packages-tested
          ${PROJECT_SOURCE_DIR}/.ci/github/packages-tested.yml)
set_tests_properties(packages_tested_shards PROPERTIES
  LABELS "integration"
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 120)

# The sdists from the index by name and hash (seconds, no network: a local
# index on 127.0.0.1 in the test's own process): the pinned file fetched
# through the JSON and the HTML simple API, a file the index does not list
# with the pinned hash, tampered bytes, an unknown project, an index or a
# file URL that is not http(s) refused with nothing written; a tests_source
# fetched from its URL by hash, and refused likewise; pip's index.
add_test(NAME packages_tested_fetch
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/packages_tested_fetch.py
          ${PROJECT_SOURCE_DIR}/packages-tested)
set_tests_properties(packages_tested_fetch PROPERTIES
  LABELS "integration"
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 120)

# A package's own build settings (env, build_constraints) reach its
# build alone as --env PKG:NAME=VALUE, the constraints a file named by its
# content; copy reads a tests_source tarball; malformed entries are refused.
add_test(NAME packages_tested_settings
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/packages_tested_settings.py
          ${PROJECT_SOURCE_DIR}/packages-tested)
set_tests_properties(packages_tested_settings PROPERTIES
  LABELS "integration"
  TIMEOUT 120)

add_test(NAME packages_tested_quick
  COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/packages-tested/run --tier quick
          --pyweld $<TARGET_FILE:pyweld>
          --report-dir ${CMAKE_CURRENT_BINARY_DIR}/packages-tested)
set_tests_properties(packages_tested_quick PROPERTIES
  LABELS "integration;matrix"
  FIXTURES_REQUIRED pyweld_distribution
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 1800)

# The full tier (30 packages; on demand, label long: 44 minutes here on
# 2 cores, which CI's 90 cannot hold beside the rest): every package in its
# own binary, in one binary holding all of them and in stock CPython, and
# that combined binary's SBOM validated as CycloneDX 1.5 (cyclonedx-python-
# lib) and as SPDX 2.3 (spdx-tools, of `pyweld inspect --sbom --sbom-format
# spdx`); the run fails when either does not validate.
add_test(NAME packages_tested_full
  COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/packages-tested/run --tier full
          --pyweld $<TARGET_FILE:pyweld>
          --report-dir ${CMAKE_CURRENT_BINARY_DIR}/packages-tested-full)
set_tests_properties(packages_tested_full PROPERTIES
  LABELS "integration;matrix;long"
  FIXTURES_REQUIRED pyweld_distribution
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 7200)

# pytz alone, its own test suite inside the binary against stock CPython:
# pytz opens its zone files by paths built from __file__, which the binary's
# view of its packed tree serves (docs/weld.md, "Data beside __file__").
# About a minute.
add_test(NAME packages_tested_pytz
  COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/packages-tested/run --tier quick
          --only pytz --no-combined --pyweld $<TARGET_FILE:pyweld>
          --report-dir ${CMAKE_CURRENT_BINARY_DIR}/packages-tested-pytz)
set_tests_properties(packages_tested_pytz PROPERTIES
  LABELS "integration;matrix"
  FIXTURES_REQUIRED pyweld_distribution
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 900)

# The matrix's compiles shared through ccache's remote storage: a local
# redis-server (127.0.0.1, a free port, nothing on disk) is the remote; two
# runs of `run --ccache-remote` over markupsafe, each with a new empty local
# ccache, stand for two shards on two machines: the second gets every
# compile of the package as a remote hit, both pass the package's tests,
# and the extension objects of the two binaries are byte-identical.  About
# two minutes.
add_test(NAME packages_tested_ccache_remote
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/packages_tested_ccache_remote.py
          $<TARGET_FILE:pyweld> ${PROJECT_SOURCE_DIR}/packages-tested/run markupsafe)
set_tests_properties(packages_tested_ccache_remote PROPERTIES
  LABELS "integration;matrix"
  FIXTURES_REQUIRED pyweld_distribution
  SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
  TIMEOUT 900)

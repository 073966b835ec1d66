# The CPython distribution (`pyweld python build`, pydist/): integration
# tests of what it built and of the sources it must refuse.  Included by
# tests/CMakeLists.txt after the pyweld_distribution fixture test.
#
# python_dist*: tests/integration/python_dist.py against the distribution in
# the default cache, which the fixture builds (minutes) or finds (instantly);
# they only read it.  HOME, PYWELD_CACHE and XDG_CACHE_HOME reach them as they
# reach the fixture, so both use the same cache.
#
# python_badinput_*: tests/integration/python_badinput.py, each case with
# its own small cache in a temporary directory, in seconds.  The cases that
# need Debian's real source take it from where the fixture downloads it (or
# /tmp/pysrc) and skip when there is none; the no-space cases mount a 64 MB
# tmpfs and skip when not root.

find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 not found: the python_* integration tests are not registered")
  return()
endif()

set(_pydist_script "${CMAKE_CURRENT_SOURCE_DIR}/integration/python_dist.py")
set(_pybad_script "${CMAKE_CURRENT_SOURCE_DIR}/integration/python_badinput.py")

# pyweld_python_dist_test(NAME TIMEOUT CASE...)
function(pyweld_python_dist_test name timeout)
  add_test(NAME ${name}
    COMMAND ${Python3_EXECUTABLE} ${_pydist_script} --pyweld $<TARGET_FILE:pyweld> ${ARGN})
  set_tests_properties(${name} PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED pyweld_distribution
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT ${timeout})
endfunction()

# The main test: every module of the system's lib-dynload recorded with its
# objects and init symbol; the new python imports them all and runs pip.
pyweld_python_dist_test(python_dist 600 modules imports)
# The pip command installed beside it (bin/pip3) runs.
pyweld_python_dist_test(python_dist_pip_command 120 pip_command)
# `pyweld python info --json` agrees with the interpreter and the files.
pyweld_python_dist_test(python_dist_info 120 info)
# readline is libedit; GPL libraries flagged; every licence known.
pyweld_python_dist_test(python_dist_licence 120 licence)
pyweld_python_dist_test(python_dist_licences_known 120 licences_known)
# The same inputs again: "using the cached distribution", nothing rebuilt.
pyweld_python_dist_test(python_dist_cached 120 cached)
# Debian's version and patch series recorded and applied.
pyweld_python_dist_test(python_dist_debian 120 debian)
# dist.linkdb: counts, `pyweld db check`, the distribution row.
pyweld_python_dist_test(python_dist_linkdb 300 linkdb)
# Every module links statically from its recorded objects and libraries.
pyweld_python_dist_test(python_dist_static_link 900 static_link)
# Built with PGO (the default), and nothing welded refers to libgcov.
pyweld_python_dist_test(python_dist_pgo 300 pgo)
# Built with LTO (the default): libpython3.11.a is one object of machine code.
pyweld_python_dist_test(python_dist_lto 300 lto)
# The standard library deep-frozen for welds: one linkable object per module.
pyweld_python_dist_test(python_dist_frozen 300 frozen)
# Class creation through the base's method cache (pydist/typeobject_slots.inc)
# answers as before: a script of edge cases and CPython's own class tests.
pyweld_python_dist_test(python_dist_classes 900 classes)
# The regexes the standard library compiles on import come precompiled, equal
# to what re makes of them; test_re passes.
pyweld_python_dist_test(python_dist_regexes 600 regexes)

# One ctest test per bad input, so a failure names it.
foreach(_case truncated_tarball other_program configure_fails python_3_10 version_mismatch
              unknown_version not_a_tree
              missing_source dsc_wrong_orig enospc_dsc enospc_tarball
              patch_half_applies killed_build half_built)
  add_test(NAME python_badinput_${_case}
    COMMAND ${Python3_EXECUTABLE} ${_pybad_script} --pyweld $<TARGET_FILE:pyweld> ${_case})
  set_tests_properties(python_badinput_${_case} PROPERTIES
    LABELS integration
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT 180)
endforeach()
# These use the downloaded source when there is one: after the fixture when
# both run (ordering only; they never wait for a build they do not need).
set_tests_properties(python_badinput_truncated_tarball python_badinput_dsc_wrong_orig
                     python_badinput_enospc_dsc python_badinput_enospc_tarball
                     PROPERTIES DEPENDS pyweld_distribution)

# CPython 3.13 beside 3.11 (docs/distribution.md, "Versions"): the fixture
# builds Debian's python3.13 without PGO and LTO (about 8 minutes on 2
# cores, against 20-30 for 3.11's PGO+LTO build), so that CI stays inside
# its time; a full build is `pyweld python build --python 3.13`.  The same
# checks as for 3.11, less those of what the cheap build leaves out (pgo,
# lto; the deep-freeze, class-creation and regex changes are 3.11's).
add_test(NAME pyweld_distribution_3_13
  COMMAND $<TARGET_FILE:pyweld> python build --python 3.13 --no-pgo --no-lto)
set_tests_properties(pyweld_distribution_3_13 PROPERTIES
  LABELS integration FIXTURES_SETUP pyweld_distribution_3_13 TIMEOUT 3600)

# pyweld_python_dist_3_13_test(NAME TIMEOUT CASE...)
function(pyweld_python_dist_3_13_test name timeout)
  add_test(NAME ${name}
    COMMAND ${Python3_EXECUTABLE} ${_pydist_script} --pyweld $<TARGET_FILE:pyweld>
            --python 3.13 ${ARGN})
  set_tests_properties(${name} PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED pyweld_distribution_3_13
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT ${timeout})
endfunction()

pyweld_python_dist_3_13_test(python_dist_3_13 600 modules imports)
pyweld_python_dist_3_13_test(python_dist_3_13_pip_command 120 pip_command)
pyweld_python_dist_3_13_test(python_dist_3_13_info 120 info)
pyweld_python_dist_3_13_test(python_dist_3_13_licence 120 licence licences_known)
pyweld_python_dist_3_13_test(python_dist_3_13_cached 120 cached)
pyweld_python_dist_3_13_test(python_dist_3_13_debian 120 debian)
pyweld_python_dist_3_13_test(python_dist_3_13_linkdb 300 linkdb)
pyweld_python_dist_3_13_test(python_dist_3_13_static_link 900 static_link)

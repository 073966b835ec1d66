# The weld (`pyweld build`) with real packages and real errors: integration
# tests in tests/integration/weld_*.py.  Included by tests/CMakeLists.txt
# after the pyweld_distribution fixture test, which builds (minutes) or finds
# (instantly) the CPython distribution these tests weld; they find it in the
# same cache (HOME, PYWELD_CACHE and XDG_CACHE_HOME reach them as they reach
# the fixture) and only read it.  Each case runs in its own temporary
# directory with a scrubbed environment; a failed case keeps it and prints
# its path.
#
# The package builds download pinned sdists from PyPI (hash-checked) and
# their build back ends as wheels, so they need the network.  With a warm
# distribution the whole set takes about 5 minutes on 2 cores, most of it
# weld_packages (about 2.5).  Rust extensions are tests/rust.cmake's.

# cmocka: library resolution (static closures, shared fallbacks, what is
# missing) on libraries the test makes, and the escape of generated C and
# assembler read back by cc and as; no distribution needed.
pyweld_unit_test(test_itg SOURCES unit/test_itg.c LIBS pyweld_itg)
set_tests_properties(test_itg PROPERTIES TIMEOUT 120)
# cmocka: the RECORD reader (quoted CSV as pip writes it) on fixed text.
pyweld_unit_test(test_itg_record SOURCES unit/test_itg_record.c LIBS pyweld_itg)
# cmocka: the isolate step (ld -r, objcopy) on objects and an archive the
# test compiles: what stays global, what becomes local, Rust's rules, the
# numpy quirk, the derived-object cache, and the collision check.
pyweld_unit_test(test_itg_isolate SOURCES unit/test_itg_isolate.c LIBS pyweld_itg)

find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 not found: the weld integration tests are not registered")
  return()
endif()

# pyweld_weld_test(NAME SCRIPT TIMEOUT CASE...): one ctest test per case, so
# that a failure names it.
function(pyweld_weld_test name script timeout)
  add_test(NAME ${name}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script}
            --pyweld $<TARGET_FILE:pyweld> ${ARGN})
  set_tests_properties(${name} PROPERTIES
    LABELS integration
    FIXTURES_REQUIRED pyweld_distribution
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    TIMEOUT ${timeout})
endfunction()

# markupsafe, simplejson, psutil, PyYAML (libyaml), kiwisolver (C++),
# zstandard and zope.interface from PyPI in ONE binary: each extension a
# dotted built-in, each package's C code at work, glibc the only dependency.
pyweld_weld_test(weld_packages weld_packages.py 1800 seven_packages)
# psycopg2 with Debian's libpq, whose static archive's closure is incomplete:
# libpq's shared object is linked instead, said so; --static refuses.
pyweld_weld_test(weld_packages_psycopg2_libpq weld_packages.py 1800 psycopg2_libpq)

# --static: no dynamic section, the standard library's C code runs; NSS
# user and group lookups must not crash it.
pyweld_weld_test(weld_static weld_static.py 600 static)
pyweld_weld_test(weld_static_nss weld_static.py 600 static_nss)
pyweld_weld_test(weld_static_dynamic_lib weld_static.py 600 dynamic_lib)
pyweld_weld_test(weld_static_tests_subpackage weld_static.py 600 tests_subpackage)
pyweld_weld_test(weld_static_lto weld_static.py 600 lto)
pyweld_weld_test(weld_static_lib_by_path weld_static.py 600 lib_by_path)
pyweld_weld_test(weld_static_quirk_backtrace weld_static.py 600 quirk_backtrace)
pyweld_weld_test(weld_static_pie weld_static.py 600 pie)
pyweld_weld_test(weld_static_deep_freeze weld_static.py 600 deep_freeze)
# The static closure of a library (pkg-config --static): all archives, a
# shared-only dependency, a dependency that is not installed.
foreach(_case closure_static closure_shared_dep closure_missing)
  pyweld_weld_test(weld_static_${_case} weld_static.py 900 ${_case})
endforeach()

# The pre-flight scan: code that reads beside __file__ is named by line, a
# note where the binary's view of its packed tree serves it, else (and
# with --no-file-view) a warning.
pyweld_weld_test(weld_preflight_warnings weld_preflight.py 600 warnings)
pyweld_weld_test(weld_preflight_no_file_view weld_preflight.py 600 no_file_view)

# What cannot be welded, and bad input: clear errors, the old APP untouched.
pyweld_weld_test(weld_errors_pycryptodome weld_errors.py 1200 pycryptodome)
foreach(_case unknown_package compile_error late_failure corrupt_dist missing_dir link_error
              hostile_metadata hostile_workdir hostile_workdir_ext)
  pyweld_weld_test(weld_errors_${_case} weld_errors.py 600 ${_case})
endforeach()

# Hostile PYTHON* variables and booby-trapped files change nothing.
foreach(_case entry_code python_mode venv_cfg prefix_landmark sealed)
  pyweld_weld_test(weld_isolation_${_case} weld_isolation.py 600 ${_case})
endforeach()

# Rebuilding: --work-dir reuse, the derived-object cache, foreign directories.
foreach(_case reuse foreign_dir cache_damaged init_project)
  pyweld_weld_test(weld_rebuild_${_case} weld_rebuild.py 900 ${_case})
endforeach()

# Lean binaries: stripped by default (still running: tracebacks,
# faulthandler, ctypes through .dynsym), --debug keeps the symbols,
# --debug-file splits them off behind a .gnu_debuglink (gdb, when installed,
# follows it); bad --debug-file paths fail before the build, nothing lost;
# --size-report's views add up and name what is known to be there.
foreach(_case strip_default strip_debug debug_file debug_file_bad size_report)
  pyweld_weld_test(weld_lean_${_case} weld_lean.py 600 ${_case})
endforeach()

# Pruning: a binary with an entry point carries what it reaches (the
# pruned hello's report and message, --keep-module with a local package's
# relative and from-imports, a python-like binary whole, markupsafe's
# application test pruned and not, what is deep-frozen: what runs at
# start-up, the module names of a Rust object).
foreach(_case hello start_set reach_file keep_module python_like markupsafe
              rust_names)
  pyweld_weld_test(weld_prune_${_case} weld_prune.py 900 ${_case})
endforeach()

# What is inside: the manifest every weld embeds and `pyweld inspect` (its
# distributions are what pip installed, its libraries the final link's
# archives); inspect reads a copied, stripped binary without the cache; bad
# files are clear errors; the CycloneDX SBOM beside the binary validates
# with cyclonedx-python-lib (pinned in tests/sbom-requirements.txt, from
# PyPI: the network, the first time); --sbom-format spdx's APP.spdx.json
# validates with spdx-tools (tests/sbom-spdx-requirements.txt) and holds
# the CycloneDX components and graph; --deny-licence fails a weld naming
# the chains that bring each denied licence in, and leaves APP as it was.
foreach(_case manifest no_cache bad_files sbom spdx deny)
  pyweld_weld_test(weld_inspect_${_case} weld_inspect.py 600 ${_case})
endforeach()

# The same classes welding CPython 3.13 (the distribution the fixture
# pyweld_distribution_3_13 builds, tests/python.cmake): real packages,
# --static, isolation.  Each case's `pyweld build` gets --python 3.13.
function(pyweld_weld_test_3_13 name script timeout)
  pyweld_weld_test(${name} ${script} ${timeout} --python 3.13 ${ARGN})
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED pyweld_distribution_3_13)
endfunction()
pyweld_weld_test_3_13(weld_packages_3_13 weld_packages.py 1800 seven_packages)
# Long (2 and 4 minutes): run on demand, `bash .ci/test -L long`.
set_tests_properties(weld_packages_3_13 PROPERTIES LABELS "integration;long")
pyweld_weld_test_3_13(weld_static_3_13 weld_static.py 600 static static_nss)
foreach(_case entry_code python_mode venv_cfg prefix_landmark sealed)
  pyweld_weld_test_3_13(weld_isolation_3_13_${_case} weld_isolation.py 600 ${_case})
endforeach()
# Pruning with 3.13's start-up, which imports more from the blob.
foreach(_case hello keep_module)
  pyweld_weld_test_3_13(weld_prune_3_13_${_case} weld_prune.py 900 ${_case})
endforeach()

# What the SBOM must show (weld_sbom.py): each distribution's archive and
# its SHA-256 (pip's install report), or why it is unknown, in CycloneDX
# and SPDX, both validated (the sdists from PyPI: the network); a version
# bump, a static library's new content and another Debian patch level of
# CPython each change what they must in the SBOM and nothing else; the
# README demo's SBOMs validate; a combined weld of five real packages
# validates, equals pip's list and the final link's archives, and shows
# zstandard's vendored zstd; pyweld init's keys; SPDX licence references
# for identifiers the SPDX list lacks, C1 controls kept off the terminal;
# a --library archive's manifest member, its SBOM and --deny-licence.
foreach(_case sources version_bump library_change debian_patch demo init_keys licences
        library)
  pyweld_weld_test(weld_sbom_${_case} weld_sbom.py 900 ${_case})
endforeach()
pyweld_weld_test(weld_sbom_combined weld_sbom.py 1800 combined)

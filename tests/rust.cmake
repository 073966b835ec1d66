# Rust extensions (PyO3, built by maturin, linked by rustc through the
# shims) welded like C ones: tests/integration/weld_rust.py, one ctest test
# per case.  Included by tests/CMakeLists.txt after the pyweld_distribution
# fixture and weld.cmake (it uses pyweld_weld_test's conventions).
#
# rustup installs cargo and rustc in ~/.cargo/bin, which a CI shell's PATH
# may not hold: the tests get it first on PATH (the script also looks there,
# and skips, saying why, when there is no cargo at all).  cargo fetches
# PyO3 from crates.io once and keeps it in ~/.cargo, as for any user.
# Costs on 2 cores with a warm distribution and crate cache: two_crates
# about 2 minutes (two crates compiled, two welds), outside_wrappers about
# 1, lto about 3, orjson about 2.5 (its sdist vendors its crates).
find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 not found: the Rust weld tests are not registered")
  return()
endif()

foreach(_case two_crates outside_wrappers lto orjson)
  add_test(NAME weld_rust_${_case}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/weld_rust.py
            --pyweld $<TARGET_FILE:pyweld> ${_case})
  set_tests_properties(weld_rust_${_case} PROPERTIES
    LABELS "integration;rust"
    FIXTURES_REQUIRED pyweld_distribution
    SKIP_RETURN_CODE ${PYWELD_SKIP_CODE}
    ENVIRONMENT "PATH=$ENV{HOME}/.cargo/bin:$ENV{PATH}"
    TIMEOUT 1800)
endforeach()

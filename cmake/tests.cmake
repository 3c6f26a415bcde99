# Unit suites: every tests/unit/test_<module>.c is one CUnit executable.
add_library(reprocheck_test_harness STATIC ${CMAKE_SOURCE_DIR}/tests/unit/harness.c)
target_include_directories(reprocheck_test_harness PUBLIC ${CMAKE_SOURCE_DIR}/tests/unit ${CMAKE_SOURCE_DIR}/src)
target_compile_options(reprocheck_test_harness PRIVATE ${REPRO_WARNINGS})
target_compile_definitions(reprocheck_test_harness PRIVATE _GNU_SOURCE)
target_link_libraries(reprocheck_test_harness PUBLIC reprocheck_lib PkgConfig::CUNIT)

file(GLOB REPRO_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
foreach(source ${REPRO_UNIT_TESTS})
  get_filename_component(name ${source} NAME_WE)
  add_executable(${name} ${source})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_BINARY_DIR}/generated)
  target_compile_options(${name} PRIVATE ${REPRO_WARNINGS})
  target_compile_definitions(${name} PRIVATE _GNU_SOURCE)
  target_link_libraries(${name} PRIVATE reprocheck_test_harness)
  add_test(NAME unit_${name} COMMAND ${name})
  set_tests_properties(unit_${name} PROPERTIES LABELS unit
    ENVIRONMENT "REPRO_SOURCE_DIR=${CMAKE_SOURCE_DIR};REPRO_BUILD_DIR=${CMAKE_BINARY_DIR}")
endforeach()

# Fuzz targets: with REPRO_FUZZ they link libFuzzer; otherwise a small driver
# replays the stored corpus in fixtures/fuzz/<target>/ as a regression test.
file(GLOB REPRO_FUZZ_TARGETS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
if(REPRO_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "REPRO_FUZZ needs clang's libFuzzer: configure with CC=clang")
  endif()
  if(NOT REPRO_SANITIZE)
    message(FATAL_ERROR "REPRO_FUZZ needs REPRO_SANITIZE=ON, so that memory errors in the library crash the fuzzer")
  endif()
  # The parsers live in the library, so it needs the coverage instrumentation
  # that guides libFuzzer, not only the target files.
  target_compile_options(reprocheck_lib PRIVATE -fsanitize=fuzzer-no-link)
endif()
foreach(source ${REPRO_FUZZ_TARGETS})
  get_filename_component(name ${source} NAME_WE)
  if(REPRO_FUZZ)
    add_executable(${name} ${source})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(${name} ${source} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_main.c)
    add_test(NAME fuzz_replay_${name}
             COMMAND ${name} ${CMAKE_SOURCE_DIR}/fixtures/fuzz/${name})
    set_tests_properties(fuzz_replay_${name} PROPERTIES LABELS fuzz)
  endif()
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_BINARY_DIR}/generated)
  target_compile_definitions(${name} PRIVATE _GNU_SOURCE)
  target_compile_options(${name} PRIVATE ${REPRO_WARNINGS})
  target_link_libraries(${name} PRIVATE reprocheck_lib)
endforeach()

# Integration tests: every tests/integration/test_*.sh runs the CLI against
# real repositories, images and servers.
if(REPRO_INTEGRATION)
  file(GLOB REPRO_INTEGRATION_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/integration/test_*.sh)
  foreach(script ${REPRO_INTEGRATION_TESTS})
    get_filename_component(name ${script} NAME_WE)
    add_test(NAME integration_${name} COMMAND bash ${script})
    set_tests_properties(integration_${name} PROPERTIES LABELS integration TIMEOUT 900
      SKIP_RETURN_CODE 77
      ENVIRONMENT "REPRO_BIN=$<TARGET_FILE:reprocheck>;REPRO_SOURCE_DIR=${CMAKE_SOURCE_DIR};REPRO_BUILD_DIR=${CMAKE_BINARY_DIR}")
  endforeach()
endif()

# Benchmark drivers, run by scripts/bench_layer.sh; not part of ctest.
add_executable(bench_layer_read ${CMAKE_SOURCE_DIR}/tests/bench/bench_layer_read.c)
target_compile_options(bench_layer_read PRIVATE ${REPRO_WARNINGS})
target_compile_definitions(bench_layer_read PRIVATE _GNU_SOURCE)
target_link_libraries(bench_layer_read PRIVATE reprocheck_lib)

add_executable(bench_layer_write ${CMAKE_SOURCE_DIR}/tests/bench/bench_layer_write.c)
target_compile_options(bench_layer_write PRIVATE ${REPRO_WARNINGS})
target_compile_definitions(bench_layer_write PRIVATE _GNU_SOURCE)
target_link_libraries(bench_layer_write PRIVATE reprocheck_lib)

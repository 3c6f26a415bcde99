#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan into build-fuzz/ and
# runs each tests/fuzz/fuzz_<name>.c for SECONDS seconds (default 60), one
# after the other.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Each target starts from build-fuzz/corpus/<target>/, which is seeded from
# fixtures/fuzz/<target>/ and keeps the inputs that libFuzzer finds between
# runs. Crashing inputs go to build-fuzz/crashes/<target>/; copy the ones
# worth keeping into fixtures/fuzz/<target>/ so that ctest replays them.
# Exits 1 when a target crashed, 0 otherwise.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
seconds=${1:-60}
[ $# -gt 0 ] && shift

case $seconds in
  '' | *[!0-9]*) echo "usage: fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for source in "$root"/tests/fuzz/fuzz_*.c; do
    targets+=("$(basename "$source" .c)")
  done
fi

# clang does not know gcc's -Wno-format-truncation from the warning list.
CC=clang CFLAGS="${CFLAGS:-} -Wno-unknown-warning-option" \
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DREPRO_FUZZ=ON -DREPRO_SANITIZE=ON -DREPRO_INTEGRATION=OFF >/dev/null
cmake --build "$build" -j 2 --target "${targets[@]}" >/dev/null

crashed=()
for target in "${targets[@]}"; do
  corpus=$build/corpus/$target
  crashes=$build/crashes/$target
  mkdir -p "$corpus" "$crashes"
  cp -n "$root/fixtures/fuzz/$target"/* "$corpus"/ 2>/dev/null || true

  echo "== $target: ${seconds}s, corpus $(find "$corpus" -type f | wc -l) files" >&2
  status=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$build/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" \
      >"$build/$target.log" 2>&1 || status=$?
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$build/$target.log" >&2 || true

  if [ "$status" -ne 0 ]; then
    crashed+=("$target")
    echo "== $target: stopped with status $status; log: $build/$target.log" >&2
    grep -E 'ERROR: |SUMMARY: |Test unit written to' "$build/$target.log" >&2 || true
  fi
done

if [ "${#crashed[@]}" -gt 0 ]; then
  echo "fuzz: crashes in ${crashed[*]}; inputs are in $build/crashes/" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a crash" >&2

#!/usr/bin/env bash
# The test command: installs dependencies, builds reprocheck twice (a
# -Werror build and an ASan+UBSan build), and runs every unit suite, fuzz
# corpus replay and integration test through ctest in both. Services that
# the tests need are started by the tests themselves and stopped on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build_root=${REPRO_TEST_BUILD_DIR:-$root/build-test}
jobs=$(nproc 2>/dev/null || echo 2)

"$root/scripts/install-deps.sh"

run_build() {
  local name=$1; shift
  local dir="$build_root/$name"

  echo "== $name: configure and build" >&2
  cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DREPRO_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  echo "== $name: ctest" >&2
  (cd "$dir" && ctest --output-on-failure -j "$jobs")
}

run_build release
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_build sanitize -DREPRO_SANITIZE=ON

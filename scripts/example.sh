#!/usr/bin/env bash
# The first command for a new user: installs what reprocheck needs, builds
# it, makes the example release repository (fixtures/example-app/) with two
# tagged releases and their committed digest list, and verifies both tags.
# v1.0.0 rebuilds identically; v1.1.0 writes the wall-clock time into its
# image, so its rebuild gives a mismatch report.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${REPRO_EXAMPLE_BUILD_DIR:-$root/build-example}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$root/scripts/install-deps.sh"
echo "== building reprocheck in $build" >&2
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DREPRO_INTEGRATION=OFF >/dev/null
cmake --build "$build" --target reprocheck >/dev/null
reprocheck=$build/reprocheck

echo "== making the example release repository" >&2
bash "$root/fixtures/example-app/make-repo.sh" "$work/hello" "$reprocheck" "$work/published"
git -C "$work/hello" log --oneline --decorate >&2

status=0
echo
echo "\$ reprocheck verify --repo hello --tag v1.0.0"
"$reprocheck" verify --repo "$work/hello" --tag v1.0.0 || status=$?
if [ "$status" -ne 0 ]; then
  echo "example: v1.0.0 should have verified, but reprocheck exited with $status" >&2
  exit 1
fi

echo
echo "\$ reprocheck verify --repo hello --tag v1.1.0 --published oci:published/v1.1.0/hello:v1.1.0"
status=0
"$reprocheck" verify --repo "$work/hello" --tag v1.1.0 \
  --published "oci:$work/published/v1.1.0/hello:v1.1.0" || status=$?
if [ "$status" -ne 1 ]; then
  echo "example: v1.1.0 should have been a mismatch (exit 1), but reprocheck exited with $status" >&2
  exit 1
fi
echo
echo "example: v1.0.0 is identical to its published digests; v1.1.0 is not, because its"
echo "build writes the current time into /usr/share/hello/build-info.txt"

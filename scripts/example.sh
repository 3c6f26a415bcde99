#!/usr/bin/env bash
# The first command for a new user: installs what reprocheck needs, builds
# it, makes the example release repository (fixtures/example-app/) with two
# tagged releases and their committed digest list, and verifies both tags.
# v1.0.0 rebuilds identically; v1.1.0 writes the wall-clock time into its
# image, so its rebuild gives a mismatch report.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${REPRO_EXAMPLE_BUILD_DIR:-$root/build-example}
# The example repository and the published images stay here after the run,
# so that the commands printed at the end can be tried; each run starts anew.
work=$build/example

"$root/scripts/install-deps.sh"
echo "== building reprocheck in $build" >&2
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DREPRO_INTEGRATION=OFF >/dev/null
cmake --build "$build" --target reprocheck >/dev/null
reprocheck=$build/reprocheck

echo "== making the example release repository in $work/hello" >&2
rm -rf "$work"
mkdir -p "$work"
bash "$root/fixtures/example-app/make-repo.sh" "$work/hello" "$reprocheck" "$work/published"
git -C "$work/hello" log --oneline --decorate >&2

status=0
echo
cd "$work"
echo "\$ reprocheck verify --repo hello --tag v1.0.0"
"$reprocheck" verify --repo hello --tag v1.0.0 || status=$?
if [ "$status" -ne 0 ]; then
  echo "example: v1.0.0 should have verified, but reprocheck exited with $status" >&2
  exit 1
fi

echo
echo "\$ reprocheck verify --repo hello --tag v1.1.0 --published oci:published/v1.1.0/hello:v1.1.0"
status=0
"$reprocheck" verify --repo hello --tag v1.1.0 \
  --published oci:published/v1.1.0/hello:v1.1.0 || status=$?
if [ "$status" -ne 1 ]; then
  echo "example: v1.1.0 should have been a mismatch (exit 1), but reprocheck exited with $status" >&2
  exit 1
fi
echo
echo "example: v1.0.0 is identical to its published digests; v1.1.0 is not, because its"
echo "build writes the current time into /usr/share/hello/build-info.txt"
cat <<TEXT

To try more, with the binary $reprocheck:
  cd $work
  $reprocheck digest oci:published/v1.0.0/hello:v1.0.0
  $reprocheck diff oci:published/v1.0.0/hello:v1.0.0 oci:published/v1.1.0/hello:v1.1.0
  $reprocheck vary --repo hello --tag v1.1.0 --vary time,hostname
TEXT

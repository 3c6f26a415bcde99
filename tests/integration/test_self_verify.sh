#!/usr/bin/env bash
# reprocheck verifies itself: its own reprocheck.json builds an image that
# holds the reprocheck binary. Digests recorded from one clone must be
# reproduced exactly by a rebuild from a second clone at another path,
# started later, and the binary in the image must run.
. "$(dirname "$0")/lib.sh"

require_cli_command verify
require_program git cmake ninja cc
git -C "$REPRO_SOURCE_DIR" rev-parse --verify -q HEAD >/dev/null ||
  skip "the source tree is not a git checkout"

first=$TEST_TMP/first/reprocheck
second=$TEST_TMP/elsewhere/second/reprocheck
tag=v0.0.0-selftest

git clone -q "$REPRO_SOURCE_DIR" "$first"
git -C "$first" -c user.name=release -c user.email=release@reprocheck.invalid \
  tag -a "$tag" -m "self-verification test"

run_cli build --repo "$first" --tag "$tag" --output "$TEST_TMP/out" --record "$TEST_TMP/list.json"
expect_status 0
recorded=$(python3 -c 'import json,sys
release=json.load(open(sys.argv[1]))["releases"][0]
print(release["images"][0]["platforms"][0]["manifest"])' "$TEST_TMP/list.json")
expect_stdout_contains "reprocheck       linux/amd64    $recorded"

# The binary in the image is the real tool: extract and run it.
run_cli digest --json "oci:$TEST_TMP/out/reprocheck:$tag"
layer=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["images"][0]["layers"][0]["digest"])' <<<"$CLI_STDOUT")
mkdir "$TEST_TMP/root"
tar -C "$TEST_TMP/root" -xzf "$(blob_path "$TEST_TMP/out/reprocheck" "$layer")"
expect_eq "$("$TEST_TMP/root/usr/bin/reprocheck" --version)" "$("$REPRO_BIN" --version)" \
  "version of the binary in the image"

# Later, from another clone at another path: identical.
sleep 1
git clone -q "$first" "$second"
run_cli verify --repo "$second" --tag "$tag" --digests "$TEST_TMP/list.json" --json
expect_status 0
expect_eq "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["images"][0]["status"])' <<<"$CLI_STDOUT")" \
  "identical" "self-verification status"

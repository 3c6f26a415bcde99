#!/usr/bin/env bash
# reprocheck build when the output file system is full or read-only: status 2, a message
# naming the cause, no half-written layout, and a digest list that keeps its
# old bytes. The full file system is a 256 KiB tmpfs mounted in a private
# mount namespace, so the test needs no privileges and touches no host mount.
. "$(dirname "$0")/lib.sh"

require_cli_command build
require_program git cc unshare
unshare --user --map-root-user --mount true 2>/dev/null ||
  skip "user and mount namespaces are not available here"

repo=$TEST_TMP/hello
bash "$REPRO_SOURCE_DIR/fixtures/example-app/make-repo.sh" "$repo" "$REPRO_BIN"
git -C "$repo" show main:reprocheck-digests.json >"$TEST_TMP/list.json"
old_list=$(sha256_of "$TEST_TMP/list.json")
mkdir "$TEST_TMP/small"

# Runs inside the namespace: mounts the tmpfs, keeps the list there, fills
# the rest, then builds into it twice. Prints both exit statuses and what
# is left in the file system.
cat >"$TEST_TMP/inside.sh" <<'SH'
set -u
small=$1 repo=$2 list=$3 bin=$4
mount -t tmpfs -o size=256k tmpfs "$small" || exit 99
cp "$list" "$small/list.json"
dd if=/dev/zero of="$small/filler" bs=4k 2>/dev/null
status=0
"$bin" build --repo "$repo" --tag v1.0.0 --output "$small/out" 2>"$small/../output.err" || status=$?
echo "output-status $status"
status=0
"$bin" build --repo "$repo" --tag v1.0.0 --record "$small/list.json" 2>"$small/../record.err" || status=$?
echo "record-status $status"
cp "$small/list.json" "$small/../list-after.json"
rm -f "$small/filler"
echo "left: $(cd "$small" && ls -A | tr '\n' ' ')"
mkdir "$small/../readonly"
mount -t tmpfs -o size=64k,ro tmpfs "$small/../readonly" || exit 99
status=0
"$bin" build --repo "$repo" --tag v1.0.0 --output "$small/../readonly/out" \
  2>"$small/../readonly.err" || status=$?
echo "readonly-status $status"
SH
output=$(unshare --user --map-root-user --mount bash "$TEST_TMP/inside.sh" \
  "$TEST_TMP/small" "$repo" "$TEST_TMP/list.json" "$REPRO_BIN")

expect_eq "$(grep '^output-status' <<<"$output")" "output-status 2" "build --output on a full disk"
expect_eq "$(grep '^record-status' <<<"$output")" "record-status 2" "build --record on a full disk"
grep -q "No space left on device" "$TEST_TMP/output.err" && pass ||
  fail "output error does not name the cause: $(cat "$TEST_TMP/output.err")"
grep -q "No space left on device" "$TEST_TMP/record.err" && pass ||
  fail "record error does not name the cause: $(cat "$TEST_TMP/record.err")"
expect_eq "$(grep '^left:' <<<"$output")" "left: list.json " "files left in the full file system"
expect_eq "$(sha256_of "$TEST_TMP/list-after.json")" "$old_list" "digest list after a failed --record"
expect_eq "$(grep '^readonly-status' <<<"$output")" "readonly-status 2" "build --output on a read-only file system"
grep -q "Read-only file system" "$TEST_TMP/readonly.err" && pass ||
  fail "read-only error does not name the cause: $(cat "$TEST_TMP/readonly.err")"

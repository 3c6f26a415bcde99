#!/usr/bin/env bash
# reprocheck build and verify on real git repositories: the example release
# (one reproducible tag, one that stamps the wall-clock time), recording into
# an existing list, and the bad inputs that must end with status 2 and
# leave no temporary tree behind.
. "$(dirname "$0")/lib.sh"

require_cli_command verify
require_cli_command build
require_program git cc

export TMPDIR=$TEST_TMP/tmp
mkdir -p "$TMPDIR"
repo=$TEST_TMP/hello
bash "$REPRO_SOURCE_DIR/fixtures/example-app/make-repo.sh" "$repo" "$REPRO_BIN" "$TEST_TMP/published"


listed_manifest() {
  git -C "$repo" show "main:reprocheck-digests.json" | python3 -c 'import json,sys
data=json.load(sys.stdin)
release=[r for r in data["releases"] if r["tag"] == sys.argv[1]][0]
print(release["images"][0]["platforms"][0]["manifest"])' "$1"
}

# No temporary tree may survive a run, whatever its outcome.
expect_no_leftovers() {
  expect_eq "$(ls -A "$TMPDIR")" "" "temporary files left after: $1"
}

# v1.0.0 rebuilds to exactly the recorded manifest, from a path and a URL.
run_cli verify --repo "$repo" --tag v1.0.0 --json
expect_status 0
expect_eq "$(json_get status <<<"$CLI_STDOUT")" "pass" "v1.0.0 status"
expect_eq "$(json_get images 0 status <<<"$CLI_STDOUT")" "identical" "v1.0.0 image status"
expect_eq "$(json_get images 0 actualManifest <<<"$CLI_STDOUT")" "$(listed_manifest v1.0.0)" \
  "v1.0.0 rebuilt manifest"
expect_eq "$(json_get commit <<<"$CLI_STDOUT")" "$(git -C "$repo" rev-parse 'v1.0.0^{commit}')" \
  "v1.0.0 commit"
expect_eq "$(json_get sourceDateEpoch <<<"$CLI_STDOUT")" \
  "$(git -C "$repo" log -1 --format=%ct v1.0.0)" "v1.0.0 SOURCE_DATE_EPOCH"
expect_eq "$(json_get hermetic <<<"$CLI_STDOUT")" "True" "v1.0.0 hermetic"
expect_no_leftovers "verify v1.0.0"

run_cli -v verify --repo "$repo" --tag v1.0.0
expect_status 0
expect_stderr_line "^reprocheck: checking out v1.0.0 \(commit [0-9a-f]{12}\)$"
expect_stderr_line "^reprocheck: image 'hello': running step 1 of 1: sh$"
expect_stderr_line "^reprocheck: image 'hello': writing layer 2 of 2$"

run_cli verify --repo "file://$repo" --tag v1.0.0
expect_status 0
expect_stdout_contains "identical  $(listed_manifest v1.0.0)"
expect_no_leftovers "verify from a file:// URL"

# Without the sandbox the result can still match, but the report says the
# build was not hermetic.
run_cli verify --repo "$repo" --tag v1.0.0 --no-sandbox --json
expect_status 0
expect_eq "$(json_get hermetic <<<"$CLI_STDOUT")" "False" "--no-sandbox hermetic flag"
run_cli verify --repo "$repo" --tag v1.0.0 --no-sandbox
expect_stdout_contains "NOT hermetic (--no-sandbox) build"
expect_no_leftovers "verify --no-sandbox"

# v1.1.0 stamps the time, so the rebuild differs in layer 1 and the config.
run_cli verify --repo "$repo" --tag v1.1.0 --report "$TEST_TMP/report.json"
expect_status 1
expect_stdout_contains "mismatch: layer 1 differs in content (diff_id), and so does the config"
expect_stdout_contains "  manifest digest: listed $(listed_manifest v1.1.0), rebuilt "
expect_stdout_contains "verdict: fail"
expect_eq "$(json_get images 0 differences 2 object <"$TEST_TMP/report.json")" "layer 1" \
  "report file: first differing layer"
expect_eq "$(json_get status <"$TEST_TMP/report.json")" "fail" "report file status"

# With the published image, the report names the file that differs, its
# first differing line and the likely cause.
published=oci:$TEST_TMP/published/v1.1.0/hello:v1.1.0
run_cli verify --repo "$repo" --tag v1.1.0 --published "$published"
expect_status 1
expect_stdout_contains "  what differs from the published image $published"
expect_stdout_contains "  (A is the published image, B the rebuild):"
expect_stdout_contains "    layer 1  usr/share/hello/build-info.txt  content  xxh128:"
expect_stdout_contains "a time stamp is embedded in the file"
expect_stdout_contains "    1 difference"
run_cli verify --repo "$repo" --tag v1.1.0 --published "hello=$published" --json
expect_status 1
expect_eq "$(json_get images 0 published <<<"$CLI_STDOUT")" "$published" "published source in JSON"
expect_eq "$(json_get images 0 diff differences 0 path <<<"$CLI_STDOUT")" \
  "usr/share/hello/build-info.txt" "first differing path in JSON"
expect_eq "$(json_get images 0 diff differences 0 field <<<"$CLI_STDOUT")" "content" \
  "first differing field in JSON"
expect_no_leftovers "verify --published"

# A published image that cannot be read leaves a note; the verdict stands.
run_cli verify --repo "$repo" --tag v1.1.0 --published "oci:$TEST_TMP/nowhere:v1.1.0"
expect_status 1
expect_stdout_contains "  published image oci:$TEST_TMP/nowhere:v1.1.0: '$TEST_TMP/nowhere' not found"
expect_stdout_contains "mismatch: layer 1 differs in content (diff_id)"

# --keep keeps the tree and the rebuilt layout, which validate accepts.
run_cli verify --repo "$repo" --tag v1.0.0 --keep "$TEST_TMP/kept"
expect_status 0
run_cli validate "oci:$TEST_TMP/kept/images/hello:v1.0.0"
expect_status 0
[ -f "$TEST_TMP/kept/tree/src/hello.c" ] && pass || fail "--keep did not keep the build tree"

# build --record into a copy of the list: the new entry replaces its tag's
# entry, and the other release stays byte for byte.
git -C "$repo" show main:reprocheck-digests.json >"$TEST_TMP/list.json"
run_cli build --repo "$repo" --tag v1.0.0 --output "$TEST_TMP/out" --record "$TEST_TMP/list.json"
expect_status 0
expect_stdout_contains "hello            linux/amd64    $(listed_manifest v1.0.0)"
expect_eq "$(sha256_of "$TEST_TMP/list.json")" \
  "$(git -C "$repo" show main:reprocheck-digests.json | sha256_of)" "re-recorded list bytes"
run_cli digest --json "oci:$TEST_TMP/out/hello:v1.0.0"
expect_eq "$(json_get images 0 manifest digest <<<"$CLI_STDOUT")" "$(listed_manifest v1.0.0)" \
  "digest of the built layout"
expect_eq "$(skopeo inspect --raw "oci:$TEST_TMP/out/hello:v1.0.0" | sha256_of)" \
  "$(listed_manifest v1.0.0)" "skopeo reads the built layout"

# Bad input: status 2, one clear line, nothing left behind.
run_cli verify --repo "$TEST_TMP/no-such-repo" --tag v1.0.0
expect_status 2
expect_stderr_line "no-such-repo"
run_cli verify --repo "$repo" --tag v9.9.9
expect_status 2
expect_stderr_line "has no entry for tag 'v9.9.9'; tags present: v1.0.0, v1.1.0"
run_cli verify --repo "$repo" --tag v1.0.0 --digests "$TEST_TMP/missing.json"
expect_status 2
expect_stderr_line "missing.json"
printf '{"schemaVersion":1,"releases":[' >"$TEST_TMP/broken.json"
run_cli verify --repo "$repo" --tag v1.0.0 --digests "$TEST_TMP/broken.json"
expect_status 2
expect_stderr_line "malformed"
run_cli verify --repo "$repo"
expect_status 2
expect_stderr_line "missing --tag"
run_cli verify --repo "$repo" --tag v1.0.0 --level exact
expect_status 2
expect_stderr_line "invalid --level 'exact'"
run_cli build --repo "$repo" --tag main
expect_status 2
expect_stderr_line "'main' is a branch, not a tag"
expect_no_leftovers "bad input"

# A recipe with an error names the key path.
cat >"$TEST_TMP/bad-recipe.json" <<'JSON'
{"schemaVersion": 1, "images": [{"name": "hello", "base": "scratch",
  "layers": [{"copy": [{"form": "out/hello", "to": "/hello"}]}]}]}
JSON
run_cli build --repo "$repo" --tag v1.0.0 --recipe "$TEST_TMP/bad-recipe.json"
expect_status 2
expect_stderr_line "images\[0\]\.layers\[0\]\.copy\[0\]\.form"
expect_no_leftovers "a recipe with an error"

# A failing step: status 2, the step and its log tail, the log kept.
cat >"$TEST_TMP/failing.json" <<'JSON'
{"schemaVersion": 1, "images": [{"name": "hello", "base": "scratch",
  "build": [{"run": ["sh", "-c", "echo compiling; echo 'cc: fatal error' >&2; exit 3"]}],
  "layers": [{"copy": [{"from": "src/hello.c", "to": "/hello.c"}]}]}]}
JSON
run_cli build --repo "$repo" --tag v1.0.0 --recipe "$TEST_TMP/failing.json" --output "$TEST_TMP/failed"
expect_status 2
expect_stderr_line "step 1 .*exited with status 3"
expect_stderr_line "cc: fatal error"
expect_stderr_line "build log kept at '.*build.log'"
[ ! -e "$TEST_TMP/failed/hello" ] && pass || fail "a failed build left a layout behind"
rm -rf "$TMPDIR"/reprocheck-log-*

# A step that outlives its timeout.
cat >"$TEST_TMP/slow.json" <<'JSON'
{"schemaVersion": 1, "images": [{"name": "hello", "base": "scratch",
  "build": [{"run": ["sleep", "30"], "timeoutSeconds": 1}],
  "layers": [{"copy": [{"from": "src/hello.c", "to": "/hello.c"}]}]}]}
JSON
run_cli build --repo "$repo" --tag v1.0.0 --recipe "$TEST_TMP/slow.json"
expect_status 2
expect_stderr_line "timed out"
rm -rf "$TMPDIR"/reprocheck-log-*
expect_no_leftovers "failing steps"

# SIGTERM while a step runs: the build stops with status 2 and removes its
# temporary tree and the step's processes.
cat >"$TEST_TMP/long.json" <<'JSON'
{"schemaVersion": 1, "images": [{"name": "hello", "base": "scratch",
  "build": [{"run": ["bash", "-c", "exec -a reprocheck-interrupt-marker sleep 60"]}],
  "layers": [{"copy": [{"from": "src/hello.c", "to": "/hello.c"}]}]}]}
JSON
"$REPRO_BIN" build --repo "$repo" --tag v1.0.0 --recipe "$TEST_TMP/long.json" \
  2>"$TEST_TMP/interrupt.err" &
build_pid=$!
for _ in $(seq 100); do
  pgrep -f reprocheck-interrupt-marker >/dev/null && break
  sleep 0.1
done
kill -TERM "$build_pid"
interrupt_status=0
wait "$build_pid" || interrupt_status=$?
expect_eq "$interrupt_status" "2" "exit status after SIGTERM"
grep -q "stopped because reprocheck received SIGTERM" "$TEST_TMP/interrupt.err" && pass ||
  fail "no interruption message: $(cat "$TEST_TMP/interrupt.err")"
pgrep -f reprocheck-interrupt-marker >/dev/null && fail "the step outlived SIGTERM" || pass
expect_no_leftovers "SIGTERM during a step"

# An unwritable output directory.
mkdir -p "$TEST_TMP/readonly"
chmod 0555 "$TEST_TMP/readonly"
if [ "$(id -u)" -ne 0 ]; then
  run_cli build --repo "$repo" --tag v1.0.0 --output "$TEST_TMP/readonly/out"
  expect_status 2
fi
chmod 0755 "$TEST_TMP/readonly"

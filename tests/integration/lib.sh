# Shared helpers for tests/integration/test_*.sh; source it first:
#
#   . "$(dirname "$0")/lib.sh"
#
# ctest sets REPRO_BIN (the reprocheck binary), REPRO_SOURCE_DIR and
# REPRO_BUILD_DIR. Each test gets a fresh $TEST_TMP, removed on exit together
# with whatever it registered with on_exit. The expect_* checks record a
# failure and go on, so that one run reports every failed check. The last
# line is "NAME: N passed, N failed". The exit status is 0, 1 when a check
# failed or the script stopped early, or 77 when it skipped (the
# SKIP_RETURN_CODE that ctest is given).

set -euo pipefail

REPRO_SOURCE_DIR=${REPRO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
REPRO_BUILD_DIR=${REPRO_BUILD_DIR:-$REPRO_SOURCE_DIR/build-dev}
REPRO_BIN=${REPRO_BIN:-$REPRO_BUILD_DIR/reprocheck}
TEST_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/reprocheck-$TEST_NAME.XXXXXX")
FIXTURE_SCRIPTS=$REPRO_SOURCE_DIR/fixtures/scripts
LAYOUT_TOOL=(python3 "$FIXTURE_SCRIPTS/layout_tool.py")

tests_passed=0
tests_failed=0
_lib_skipping=0
_lib_exit_hooks=()

# Registers a command to run on exit, before $TEST_TMP is removed; hooks run
# in reverse order of registration.
on_exit() {
  _lib_exit_hooks+=("$(printf '%q ' "$@")")
}

_lib_exit() {
  local status=$? index

  for ((index = ${#_lib_exit_hooks[@]} - 1; index >= 0; index--)); do
    eval "${_lib_exit_hooks[index]}" || echo "warning: exit hook failed: ${_lib_exit_hooks[index]}" >&2
  done
  rm -rf "$TEST_TMP"

  if [ "$_lib_skipping" -eq 1 ]; then
    status=77
  elif [ "$status" -ne 0 ]; then
    echo "FAIL: $TEST_NAME stopped early with status $status" >&2
    tests_failed=$((tests_failed + 1))
    status=1
  elif [ "$tests_failed" -gt 0 ]; then
    status=1
  fi
  echo "$TEST_NAME: $tests_passed passed, $tests_failed failed"
  exit "$status"
}
trap _lib_exit EXIT

pass() {
  tests_passed=$((tests_passed + 1))
}

fail() {
  tests_failed=$((tests_failed + 1))
  echo "FAIL: $*" >&2
}

# Stops the test as skipped, with the reason on stdout.
skip() {
  echo "SKIP: $TEST_NAME: $*"
  _lib_skipping=1
  exit 77
}

# Skips the test unless each named program is installed.
require_program() {
  local program
  for program in "$@"; do
    command -v "$program" >/dev/null 2>&1 || skip "'$program' is not installed"
  done
}

# Skips the test unless the reprocheck binary accepts COMMAND, so tests of
# commands that are not built yet skip instead of failing.
require_cli_command() {
  [ -x "$REPRO_BIN" ] || skip "reprocheck binary '$REPRO_BIN' not found"
  "$REPRO_BIN" help "$1" >/dev/null 2>&1 || skip "reprocheck has no '$1' command yet"
}

# Runs reprocheck with ARGS, storing its output in CLI_STDOUT and CLI_STDERR
# and its exit status in CLI_STATUS; never fails itself.
run_cli() {
  CLI_ARGS="$*"
  CLI_STATUS=0
  "$REPRO_BIN" "$@" >"$TEST_TMP/cli.stdout" 2>"$TEST_TMP/cli.stderr" || CLI_STATUS=$?
  CLI_STDOUT=$(cat "$TEST_TMP/cli.stdout")
  CLI_STDERR=$(cat "$TEST_TMP/cli.stderr")
}

_cli_context() {
  printf '  command: reprocheck %s\n  status: %s\n  stdout: %s\n  stderr: %s\n' \
    "$CLI_ARGS" "$CLI_STATUS" "$(head -c 2000 <<<"$CLI_STDOUT")" \
    "$(head -c 2000 <<<"$CLI_STDERR")" >&2
}

expect_status() {
  if [ "$CLI_STATUS" -eq "$1" ]; then
    pass
  else
    fail "exit status: got $CLI_STATUS, expected $1"
    _cli_context
  fi
}

expect_stdout_contains() {
  if grep -qF -- "$1" <<<"$CLI_STDOUT"; then
    pass
  else
    fail "stdout does not contain '$1'"
    _cli_context
  fi
}

# Passes when some line of stderr matches the extended regular expression.
expect_stderr_line() {
  if grep -qE -- "$1" <<<"$CLI_STDERR"; then
    pass
  else
    fail "no stderr line matches /$1/"
    _cli_context
  fi
}

expect_eq() {
  local actual=$1 expected=$2 what=$3
  if [ "$actual" = "$expected" ]; then
    pass
  else
    fail "$what: got '$actual', expected '$expected'"
  fi
}

expect_ne() {
  local actual=$1 unexpected=$2 what=$3
  if [ "$actual" != "$unexpected" ]; then
    pass
  else
    fail "$what: got '$actual', expected anything else"
  fi
}

# Passes when COMMAND succeeds; its output goes to stderr only on failure.
expect_success() {
  local what=$1; shift
  if "$@" >"$TEST_TMP/expect.log" 2>&1; then
    pass
  else
    fail "$what: '$*' failed"
    tail -n 20 "$TEST_TMP/expect.log" >&2
  fi
}

expect_failure() {
  local what=$1; shift
  if "$@" >"$TEST_TMP/expect.log" 2>&1; then
    fail "$what: '$*' succeeded, expected a failure"
  else
    pass
  fi
}

# --- image fixtures ---------------------------------------------------------
#
# make-images.sh runs once per build directory: the first test that needs
# the fixtures builds them into $REPRO_BUILD_DIR/fixtures-cache under a lock,
# and later or parallel tests reuse them. A change to the fixture scripts
# rebuilds the cache.

FIXTURES=$REPRO_BUILD_DIR/fixtures-cache

_fixture_stamp() {
  cat "$FIXTURE_SCRIPTS/make-images.sh" "$FIXTURE_SCRIPTS/corrupt-image.sh" \
    "$FIXTURE_SCRIPTS/layout_tool.py" | sha256sum | cut -c1-16
}

# Runs COMMAND while holding the fixture cache lock.
_with_fixture_lock() {
  local lock status=0
  mkdir -p "$REPRO_BUILD_DIR"
  exec {lock}>"$FIXTURES.lock"
  flock -w 600 "$lock" || { echo "timed out waiting for $FIXTURES.lock" >&2; return 1; }
  "$@" || status=$?
  exec {lock}>&-
  return "$status"
}

_build_fixtures() {
  local stamp
  stamp=$(_fixture_stamp)
  if [ -f "$FIXTURES/.stamp" ] && [ "$(cat "$FIXTURES/.stamp")" = "$stamp" ]; then
    return 0
  fi
  rm -rf "$FIXTURES" "$FIXTURES.new"
  bash "$FIXTURE_SCRIPTS/make-images.sh" "$FIXTURES.new"
  echo "$stamp" >"$FIXTURES.new/.stamp"
  mv "$FIXTURES.new" "$FIXTURES"
}

# Makes sure the image fixtures exist; skips the test when the peer tools
# that make them are missing.
use_fixtures() {
  require_program skopeo umoci python3 flock
  _with_fixture_lock _build_fixtures || { fail "make-images.sh failed"; exit 1; }
}

_build_corrupt() {
  local mode=$1 name=$2
  [ -d "$FIXTURES/corrupt/$name-$mode" ] && return 0
  mkdir -p "$FIXTURES/corrupt"
  rm -rf "$FIXTURES/corrupt/.new-$name-$mode"
  bash "$FIXTURE_SCRIPTS/corrupt-image.sh" "$mode" "$FIXTURES/$name" \
    "$FIXTURES/corrupt/.new-$name-$mode"
  mv "$FIXTURES/corrupt/.new-$name-$mode" "$FIXTURES/corrupt/$name-$mode"
}

# Prints the path of the layout fixture NAME (default umoci) with the fault
# MODE planted by corrupt-image.sh, making it on first use.
fixture_corrupt() {
  local mode=$1 name=${2:-umoci}
  _with_fixture_lock _build_corrupt "$mode" "$name" >&2 || return 1
  echo "$FIXTURES/corrupt/$name-$mode"
}

# Prints every value of KEY for fixture NAME in expected.txt, one a line.
fixture_values() {
  awk -v name="$1" -v key="$2" '$1 == name && $2 == key { sub(/^[^ ]+ [^ ]+ /, ""); print }' \
    "$FIXTURES/expected.txt"
}

# Prints the first value of KEY for fixture NAME.
fixture_value() {
  fixture_values "$1" "$2" | head -n 1
}

# Succeeds when expected.txt lists fixture NAME (buildah's may be missing).
fixture_has() {
  [ -n "$(fixture_value "$1" spec)" ]
}

# Prints fixture NAME's source with an absolute path, e.g. oci:/.../umoci:v1.
fixture_spec() {
  local spec
  spec=$(fixture_value "$1" spec)
  echo "${spec%%:*}:$FIXTURES/${spec#*:}"
}

# Prints one value of the JSON document on stdin, reached by keys and array
# indexes: `json_get images 0 manifest digest`. Lists and objects are
# printed as JSON, scalars as Python prints them (True, False, None).
json_get() {
  python3 -c 'import json,sys
value=json.load(sys.stdin)
for key in sys.argv[1:]: value=value[int(key) if key.isdigit() else key]
print(value if not isinstance(value, (list, dict)) else json.dumps(value))' "$@"
}

# Prints the sha256 digest of a file or of standard input, as sha256:HEX.
sha256_of() {
  echo "sha256:$(sha256sum "$@" | cut -c1-64)"
}

# Prints the path of the blob DIGEST in LAYOUT.
blob_path() {
  echo "$1/blobs/${2%%:*}/${2#*:}"
}

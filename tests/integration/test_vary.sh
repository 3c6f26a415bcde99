#!/usr/bin/env bash
# reprocheck vary: each recipe leaks one condition of the build into its
# image, and vary must name exactly that variation and exit 1. A recipe
# that leaks nothing passes with exit 0, and a build that never repeats
# names nothing. Bad input and failed builds exit 2, and --keep keeps
# every build.
. "$(dirname "$0")/lib.sh"

require_cli_command vary
require_program git python3

# Prints the JSON value at the path of keys and indexes given as arguments.
json_get() {
  python3 -c 'import json,sys
value=json.load(sys.stdin)
for key in sys.argv[1:]: value=value[int(key) if key.isdigit() else key]
print(value if not isinstance(value, (list, dict)) else json.dumps(value))' "$@"
}

# Prints "NAME STATUS" for each variation in the JSON document, one a line.
variation_statuses() {
  python3 -c 'import json,sys
for v in json.load(sys.stdin)["variations"]: print(v["name"], v["status"])'
}

repo=$TEST_TMP/app
export GIT_AUTHOR_NAME=dev GIT_AUTHOR_EMAIL=dev@reprocheck.invalid
export GIT_COMMITTER_NAME=dev GIT_COMMITTER_EMAIL=dev@reprocheck.invalid
export GIT_AUTHOR_DATE=2024-06-01T00:00:00Z GIT_COMMITTER_DATE=2024-06-01T00:00:00Z
git init -q -b main "$repo"
# Several files at the root, so that their listing order can change.
for name in alpha beta gamma delta; do echo "$name" >"$repo/$name.txt"; done

# Commits a recipe whose step runs SCRIPT (writing out/leak.txt, which the
# layer copies) and tags it TAG.
commit_leak() {
  local tag=$1 script=$2
  python3 - "$repo/reprocheck.json" "$script" <<'PY'
import json, sys
recipe = {"schemaVersion": 1, "images": [{
    "name": "app", "base": "scratch",
    "build": [{"run": ["sh", "-c", "mkdir -p out && { " + sys.argv[2] + "; } > out/leak.txt"]}],
    "layers": [{"copy": [{"from": "out/leak.txt", "to": "/leak.txt"}]}]}]}
open(sys.argv[1], "w").write(json.dumps(recipe))
PY
  git -C "$repo" add -A
  git -C "$repo" commit -q -m "Leak through $tag"
  git -C "$repo" tag "$tag"
}

cpus=$(nproc)
commit_leak clean 'echo constant; cat alpha.txt'
commit_leak time 'date -u +%F'
commit_leak hostname 'hostname; cat /proc/sys/kernel/domainname'
commit_leak timezone 'date +%z'
commit_leak locale 'echo "$LANG $LC_ALL"'
commit_leak umask 'umask'
commit_leak uid 'id -u'
commit_leak file-order 'ls -U'
commit_leak cpus 'nproc'
# libfaketime adds FAKETIME_SHARED to the environment, so FAKETIME* is left out.
commit_leak env 'env | grep -v -e ^LD_PRELOAD= -e ^FAKETIME -e ^TZ= -e ^LANG= -e ^LC_ALL= -e ^HOME= | sort'
commit_leak home 'echo "$HOME"'
commit_leak whole-env 'env | sort'
commit_leak random 'head -c 16 /dev/urandom | od -x'
commit_leak root-only 'test "$(id -u)" = 0 && echo root'

# --- each leak names exactly its variation ----------------------------------

for kind in time hostname timezone locale umask uid file-order cpus env home; do
  if [ "$kind" = cpus ] && [ "$cpus" -lt 2 ]; then
    echo "note: one CPU here, so the cpus leak is not checked" >&2
    continue
  fi
  run_cli vary --repo "$repo" --tag "$kind" --json
  expect_status 1
  expect_eq "$(json_get status <<<"$CLI_STDOUT")" "fail" "$kind: top-level status"
  expect_eq "$(json_get responsible <<<"$CLI_STDOUT")" "[\"$kind\"]" "$kind: responsible variations"
  expect_eq "$(variation_statuses <<<"$CLI_STDOUT" | grep -v " identical$")" "$kind mismatch" \
    "$kind: the only variation that is not identical"
done

# The whole environment leaks every variation that sets a variable.
run_cli vary --repo "$repo" --tag whole-env --json
expect_status 1
expect_eq "$(json_get responsible <<<"$CLI_STDOUT")" '["time", "timezone", "locale", "env", "home"]' \
  "env | sort: responsible variations"

# --- the JSON document: digests of the base and the varied builds -----------

run_cli build --repo "$repo" --tag hostname --json
expect_status 0
built=$(json_get images 0 manifest <<<"$CLI_STDOUT")
run_cli vary --repo "$repo" --tag hostname --vary hostname,umask --json
expect_status 1
document=$CLI_STDOUT
expect_eq "$(json_get tag <<<"$document")" "hostname" "tag"
expect_eq "$(json_get commit <<<"$document")" "$(git -C "$repo" rev-parse hostname)" "commit"
expect_eq "$(json_get repeats <<<"$document")" "False" "repeats"
expect_eq "$(json_get varied variations <<<"$document")" '["hostname", "umask"]' "varied together"
expect_eq "$(json_get varied status <<<"$document")" "mismatch" "the varied build differs"
expect_eq "$(json_get control status <<<"$document")" "identical" "the control build repeats"
expect_eq "$(json_get variations 0 name <<<"$document")" "hostname" "first variation"
expect_eq "$(json_get variations 0 changed <<<"$document")" "True" "hostname changed"
expect_eq "$(json_get variations 0 setting <<<"$document")" \
  "hostname reprocheck-vary, domain name vary.example" "hostname setting"
expect_eq "$(json_get variations 0 images 0 status <<<"$document")" "mismatch" "image status"
expect_eq "$(json_get variations 0 images 0 base manifest <<<"$document")" "$built" \
  "the base build is what reprocheck build makes"
expect_ne "$(json_get variations 0 images 0 varied manifest <<<"$document")" "$built" \
  "the hostname build differs"
expect_ne "$(json_get variations 0 images 0 varied layers 0 diffId <<<"$document")" \
  "$(json_get variations 0 images 0 base layers 0 diffId <<<"$document")" "the layer's diff_id differs"
expect_eq "$(json_get variations 1 status <<<"$document")" "identical" "umask status"
expect_eq "$(json_get variations 1 images 0 varied manifest <<<"$document")" "$built" \
  "the umask build repeats"
expect_eq "$(json_get variations 1 changed <<<"$document")" "False" "umask unchanged"
expect_eq "$(json_get variations 0 diffImage <<<"$document")" "app" "hostname diff image"
expect_eq "$(json_get variations 0 diff differences 0 path <<<"$document")" "leak.txt" \
  "hostname diff: the file that differs"
expect_eq "$(json_get variations 0 diff differences 0 a <<<"$document")" "18" \
  "hostname diff: the base file's size"
expect_eq "$(json_get variations 0 diff differences 0 b <<<"$document")" "29" \
  "hostname diff: the varied file's size"
expect_eq "$(json_get variations 1 diff <<<"$document" 2>/dev/null || echo absent)" "absent" \
  "umask has no diff"

# The text report names the variation and prints both digests.
run_cli vary --repo "$repo" --tag hostname --vary hostname,umask
expect_status 1
expect_stdout_contains "hostname    mismatch   hostname reprocheck-vary, domain name vary.example"
expect_stdout_contains "umask       identical  umask 0002"
expect_stdout_contains "hostname: image 'app' mismatch (base digest above the varied one)"
expect_stdout_contains "  manifest           $built"
expect_stdout_contains "  what differs in 'app' (base as A, varied as B):"
expect_stdout_contains 'hint: line 1 differs ("reprocheck" and "reprocheck-vary")'
expect_stdout_contains "the images do not repeat; responsible: hostname"

# --- a recipe that leaks nothing ---------------------------------------------

run_cli vary --repo "$repo" --tag clean --json
expect_status 0
expect_eq "$(json_get status <<<"$CLI_STDOUT")" "pass" "clean: status"
expect_eq "$(json_get responsible <<<"$CLI_STDOUT")" "[]" "clean: nothing responsible"
expect_eq "$(variation_statuses <<<"$CLI_STDOUT" | grep -cv -e " identical$" -e " skipped$" || true)" \
  "0" "clean: every applied variation identical"
expect_eq "$(json_get varied images 0 base manifest <<<"$CLI_STDOUT")" \
  "$(json_get varied images 0 varied manifest <<<"$CLI_STDOUT")" "clean: same manifest"
run_cli vary --repo "$repo" --tag clean --vary umask,uid
expect_status 0
expect_stdout_contains "the images repeat under every variation"

# --- a build that never repeats names nothing --------------------------------

run_cli vary --repo "$repo" --tag random --vary hostname,uid --json
expect_status 1
expect_eq "$(json_get responsible <<<"$CLI_STDOUT")" "[]" "random: nothing responsible"
expect_eq "$(json_get control status <<<"$CLI_STDOUT")" "mismatch" "random: control differs"
expect_eq "$(json_get variations 0 status <<<"$CLI_STDOUT")" "unknown" "random: no verdict"
expect_eq "$(json_get variations 0 reason <<<"$CLI_STDOUT")" \
  "the build does not repeat even with nothing changed" "random: reason"

# --- errors --------------------------------------------------------------------

run_cli vary --repo "$repo" --tag clean --vary time,clock
expect_status 2
expect_stderr_line "unknown variation 'clock': expected names from time, hostname, timezone, locale, umask, uid, file-order, cpus, env, home"
run_cli vary --repo "$repo" --tag clean --vary ""
expect_status 2
expect_stderr_line "empty variation list"
run_cli vary --repo "$repo" --tag clean --rev main
expect_status 2
expect_stderr_line "--tag and --rev exclude each other"
run_cli vary --repo "$repo" --tag no-such-tag
expect_status 2
run_cli vary --repo "$repo" --tag root-only --vary uid --json
expect_status 2
expect_stderr_line "the build with every variation: building image 'app': step 1 .* exited with status 1"
expect_eq "$(json_get status <<<"$CLI_STDOUT")" "error" "failed build: JSON status"

# --- --keep --------------------------------------------------------------------

kept=$TEST_TMP/kept
run_cli vary --repo "$repo" --tag hostname --vary hostname,home --keep "$kept"
expect_status 1
expect_stdout_contains "builds kept in $kept"
for build in base varied control hostname home; do
  expect_success "$build tree kept" test -f "$kept/$build/tree/out/leak.txt"
  expect_success "$build layout kept" test -f "$kept/$build/images/app/index.json"
done
expect_eq "$(cat "$kept/base/tree/out/leak.txt")" "$(printf 'reprocheck\n(none)')" "base hostname"
expect_eq "$(cat "$kept/hostname/tree/out/leak.txt")" "$(printf 'reprocheck-vary\nvary.example')" \
  "varied hostname"
run_cli vary --repo "$repo" --tag hostname --vary hostname --keep "$kept"
expect_status 2
expect_stderr_line "keep directory '$kept' already exists"

# A keep directory that lists entries by name hash cannot show file order.
if [ "$(stat -f -c %T "$TEST_TMP")" != tmpfs ]; then
  run_cli vary --repo "$repo" --tag file-order --vary file-order --keep "$TEST_TMP/hashed"
  expect_status 2
  expect_stderr_line "cannot vary file-order here: the keep directory .* does not list entries by creation order"
  expect_failure "an unused keep directory is removed" test -e "$TEST_TMP/hashed"
  run_cli vary --repo "$repo" --tag clean --keep "$TEST_TMP/hashed-default" --json
  expect_status 0
  expect_stderr_line "warning: cannot vary file-order here"
  expect_eq "$(variation_statuses <<<"$CLI_STDOUT" | grep file-order)" "file-order skipped" \
    "file-order skipped in a hash-ordered keep directory"
fi

# Nothing of the builds is left behind without --keep.
leftovers=$(find "${TMPDIR:-/tmp}" /dev/shm -maxdepth 1 -name 'reprocheck-vary-*' -newer "$repo/alpha.txt" 2>/dev/null | wc -l)
expect_eq "$leftovers" "0" "temporary build directories removed"

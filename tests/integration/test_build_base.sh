#!/usr/bin/env bash
# reprocheck build on a base image pinned by digest: the base layers and
# history are kept byte for byte under the new layers; a wrong pin is an
# error. Also builds at a revision (--rev) and one image of several (--image).
. "$(dirname "$0")/lib.sh"

require_cli_command build
require_program git
use_fixtures


repo=$TEST_TMP/app
mkdir -p "$repo/files"
cp -R "$FIXTURES/umoci" "$repo/base"
echo "application data" >"$repo/files/data.txt"
base_manifest=$(fixture_value umoci manifest)

write_recipe() {
  cat >"$repo/reprocheck.json" <<JSON
{"schemaVersion": 1, "images": [
  {"name": "app", "base": {"layout": "base", "digest": "$1"},
   "layers": [{"copy": [{"from": "files/", "to": "/srv/app/"}]}],
   "config": {"Env": ["MODE=production"], "Cmd": ["/bin/app"]}},
  {"name": "data", "base": "scratch",
   "layers": [{"copy": [{"from": "files/data.txt", "to": "/data.txt"}]}]}
]}
JSON
}

export GIT_AUTHOR_NAME=dev GIT_AUTHOR_EMAIL=dev@reprocheck.invalid
export GIT_COMMITTER_NAME=dev GIT_COMMITTER_EMAIL=dev@reprocheck.invalid
export GIT_AUTHOR_DATE=2024-06-01T00:00:00Z GIT_COMMITTER_DATE=2024-06-01T00:00:00Z
git -C "$repo" init -q -b main
write_recipe "$base_manifest"
git -C "$repo" add -A
git -C "$repo" commit -q -m "Build the app on the umoci base image"

run_cli build --repo "$repo" --rev main --output "$TEST_TMP/out" --json
expect_status 0
commit=$(git -C "$repo" rev-parse HEAD)
expect_eq "$(json_get commit <<<"$CLI_STDOUT")" "$commit" "commit built at --rev main"
expect_eq "$(json_get images 0 name <<<"$CLI_STDOUT")" "app" "first image"
expect_eq "$(json_get images 1 name <<<"$CLI_STDOUT")" "data" "second image"

# The layout's ref name is the commit id when built from a revision.
run_cli digest --json "oci:$TEST_TMP/out/app:$commit"
expect_status 0
layers=$(python3 -c 'import json,sys
for layer in json.load(sys.stdin)["images"][0]["layers"]: print(layer["digest"], layer["diffId"])' <<<"$CLI_STDOUT")
expect_eq "$(sed -n 1p <<<"$layers" | cut -d' ' -f1)" "$(fixture_values umoci layer | sed -n 1p | cut -d' ' -f1)" \
  "base layer 0 kept byte for byte"
expect_eq "$(sed -n 2p <<<"$layers" | cut -d' ' -f1)" "$(fixture_values umoci layer | sed -n 2p | cut -d' ' -f1)" \
  "base layer 1 kept byte for byte"
expect_eq "$(wc -l <<<"$layers")" "3" "layer count: two base layers and one new"

# The config keeps the base's diff_ids and history, and merges Env.
config=$(json_get images 0 config digest <<<"$CLI_STDOUT")
config_file=$(blob_path "$TEST_TMP/out/app" "$config")
expect_eq "$(json_get rootfs diff_ids 0 <"$config_file")" "$(fixture_values umoci diff_id | sed -n 1p)" \
  "base diff_id kept"
base_config=$(blob_path "$FIXTURES/umoci" "$(fixture_value umoci config)")
base_history=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("history", [])))' "$base_config")
expect_eq "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["history"]))' <"$config_file")" \
  "$((base_history + 1))" "history: the base's entries and one new"
expect_eq "$(python3 -c 'import json,sys
config=json.load(sys.stdin)["config"]
print([e for e in config["Env"] if e.startswith("MODE=")][0], config["Cmd"][0])' <"$config_file")" \
  "MODE=production /bin/app" "merged runtime config"
run_cli validate "oci:$TEST_TMP/out/app:$commit"
expect_status 0

# --image builds one image only.
run_cli build --repo "$repo" --rev main --image data --json
expect_status 0
expect_eq "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["images"]))' <<<"$CLI_STDOUT")" "1" \
  "--image builds one image"
run_cli build --repo "$repo" --rev main --image nope
expect_status 2
expect_stderr_line "the recipe has no image 'nope'; images: app, data"

# A base pinned to another digest is an error naming the pin.
wrong=sha256:$(printf 'other' | sha256sum | cut -c1-64)
write_recipe "$wrong"
git -C "$repo" commit -q -a -m "Pin another base"
run_cli build --repo "$repo" --rev main
expect_status 2
expect_stderr_line "base image 'base' at $wrong"

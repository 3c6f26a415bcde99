#!/usr/bin/env bash
# Checks the image fixtures themselves: skopeo and umoci accept what
# make-images.sh made, expected.txt matches the files, the images repeat
# byte for byte, and each corruption mode plants exactly its fault.
. "$(dirname "$0")/lib.sh"

use_fixtures

layers_of() {
  fixture_values "$1" layer | cut -d' ' -f1
}

# Prints the first image's manifest blob path, then config blob path.
image_blobs() {
  local layout=$1 manifest
  manifest=$(blob_path "$layout" "$("${LAYOUT_TOOL[@]}" first-image "$layout")")
  echo "$manifest"
  blob_path "$layout" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"])' "$manifest")"
}

json_field() {
  python3 -c 'import json,sys; value=json.load(open(sys.argv[1]))
for key in sys.argv[2:]: value=value[int(key) if key.isdigit() else key]
print(value)' "$@"
}

check_peers_accept() {
  local name spec
  for name in umoci umoci-insert oci-archive docker-archive zstd buildah multi; do
    if ! fixture_has "$name"; then
      if [ "$name" = buildah ]; then
        echo "note: no buildah fixture (buildah failed in make-images.sh), its checks skipped"
        continue
      fi
      fail "expected.txt lists no fixture '$name'"
      continue
    fi
    spec=$(fixture_spec "$name")
    expect_success "skopeo inspect $name" skopeo inspect "$spec"
    if [ "$name" = multi ]; then
      expect_eq "$(skopeo inspect --raw "$spec" | sha256_of)" "$(fixture_value multi index)" "multi index digest"
    else
      expect_eq "$(skopeo inspect --raw "$spec" | sha256_of)" "$(fixture_value "$name" manifest)" "$name manifest digest"
      expect_eq "$(skopeo inspect --config --raw "$spec" | sha256_of)" "$(fixture_value "$name" config)" "$name config digest"
    fi
  done

  for name in umoci umoci-insert zstd buildah; do
    fixture_has "$name" || continue
    spec=$(fixture_spec "$name")
    expect_success "umoci stat $name" umoci stat --image "${spec#oci:}"
  done
  for name in umoci umoci-insert zstd buildah multi; do
    fixture_has "$name" || continue
    expect_eq "$("${LAYOUT_TOOL[@]}" bad-blobs "$FIXTURES/$name")" "" "$name blobs not matching their names"
  done
}

check_expected_values() {
  local diff_ids
  diff_ids=$(fixture_values umoci diff_id)

  expect_eq "$(layers_of umoci | wc -l)" 2 "umoci layer count"
  expect_eq "$(fixture_values umoci diff_id | wc -l)" 2 "umoci diff_id count"
  expect_eq "$(fixture_value oci-archive manifest)" "$(fixture_value umoci manifest)" "oci-archive manifest"
  # skopeo's docker-archive stores layers uncompressed, so the layer digests
  # are the diff_ids and the manifest differs.
  expect_eq "$(layers_of docker-archive)" "$diff_ids" "docker-archive layer digests"
  expect_ne "$(fixture_value docker-archive manifest)" "$(fixture_value umoci manifest)" "docker-archive manifest"
  expect_eq "$(fixture_value docker-archive config)" "$(fixture_value umoci config)" "docker-archive config"
  if fixture_has zstd; then
    expect_eq "$(fixture_values zstd diff_id)" "$diff_ids" "zstd diff_ids"
    expect_eq "$(fixture_values zstd layer | cut -d' ' -f3 | sort -u)" \
      application/vnd.oci.image.layer.v1.tar+zstd "zstd layer media type"
  fi

  expect_eq "$(fixture_values multi child | cut -d' ' -f2 | tr '\n' ' ')" \
    "linux/amd64 linux/arm64 unknown/unknown " "multi platforms"
  expect_eq "$(fixture_value multi/linux/amd64 manifest)" "$(fixture_value umoci manifest)" "multi amd64 manifest"
  expect_eq "$(fixture_values multi/linux/arm64 diff_id)" "$diff_ids" "multi arm64 diff_ids"
  expect_ne "$(fixture_value multi/linux/arm64 config)" "$(fixture_value umoci config)" "multi arm64 config"

  local index attestation
  index=$(blob_path "$FIXTURES/multi" "$(fixture_value multi index)")
  attestation=$(json_field "$index" manifests 2 annotations vnd.docker.reference.type)
  expect_eq "$attestation" attestation-manifest "multi attestation annotation"
  expect_eq "$(json_field "$index" manifests 2 annotations vnd.docker.reference.digest)" \
    "$(fixture_value umoci manifest)" "multi attestation subject"
}

check_layer_contents() {
  local layer1 layer2 names insert
  layer1=$(blob_path "$FIXTURES/umoci" "$(layers_of umoci | sed -n 1p)")
  layer2=$(blob_path "$FIXTURES/umoci" "$(layers_of umoci | sed -n 2p)")

  names=$(tar -tvzf "$layer1")
  expect_success "umoci layer 1 symlink" grep -q 'etc/greeting -> hello.txt' <<<"$names"
  expect_success "umoci layer 1 hardlink" grep -q 'usr/share/doc/hello/hello.txt link to etc/hello.txt' <<<"$names"
  expect_success "umoci layer 1 executable" grep -qE '^-rwxr-xr-x .* usr/bin/hello$' <<<"$names"
  expect_success "umoci layer 1 mtime" grep -q '2023-11-14 22:13 etc/hello.txt' <<<"$names"
  expect_success "umoci layer 2 whiteout" grep -qx 'etc/.wh.obsolete.txt' <<<"$(tar -tzf "$layer2")"
  expect_eq "$(gzip -dc "$layer1" | sha256_of)" "$(fixture_value umoci diff_id)" "umoci layer 1 diff_id"

  # umoci 0.4.7 insert ends the tar right after the file data: no padding to
  # a 512-byte block and no end-of-archive blocks.
  insert=$(blob_path "$FIXTURES/umoci-insert" "$(layers_of umoci-insert)")
  expect_ne "$(($(gzip -dc "$insert" | wc -c) % 512))" 0 "umoci-insert tar length modulo 512"
}

check_repeatable() {
  bash "$FIXTURE_SCRIPTS/make-images.sh" "$TEST_TMP/again"
  if diff -u "$FIXTURES/expected.txt" "$TEST_TMP/again/expected.txt" >"$TEST_TMP/again.diff"; then
    pass
  else
    fail "a second run of make-images.sh made other digests:"
    cat "$TEST_TMP/again.diff" >&2
  fi
}

check_blob_faults() {
  local layout mode layer manifest config size
  layer=$(layers_of umoci | sed -n 1p)
  size=$(fixture_value umoci layer | cut -d' ' -f2)

  for mode in flip-byte truncate-blob; do
    layout=$(fixture_corrupt "$mode")
    expect_eq "$("${LAYOUT_TOOL[@]}" bad-blobs "$layout")" "$layer" "$mode: blobs not matching their names"
    expect_eq "$(skopeo inspect --raw "oci:$layout:v1" | sha256_of)" "$(fixture_value umoci manifest)" "$mode: manifest digest"
  done
  expect_eq "$(stat -c %s "$(blob_path "$(fixture_corrupt flip-byte)" "$layer")")" "$size" "flip-byte: blob size"
  expect_eq "$(stat -c %s "$(blob_path "$(fixture_corrupt truncate-blob)" "$layer")")" "$((size / 2))" "truncate-blob: blob size"

  layout=$(fixture_corrupt wrong-diffid)
  { read -r manifest; read -r config; } < <(image_blobs "$layout")
  expect_eq "$("${LAYOUT_TOOL[@]}" bad-blobs "$layout")" "" "wrong-diffid: blobs not matching their names"
  expect_ne "$(json_field "$config" rootfs diff_ids 0)" "$(fixture_value umoci diff_id)" "wrong-diffid: diff_id 0"
  expect_eq "$(json_field "$config" rootfs diff_ids 1)" "$(fixture_values umoci diff_id | sed -n 2p)" "wrong-diffid: diff_id 1"
  expect_eq "$(json_field "$manifest" layers 0 digest)" "$layer" "wrong-diffid: layer 0 digest"
  expect_ne "$(sha256_of "$config")" "$(fixture_value umoci config)" "wrong-diffid: config digest"
  expect_success "wrong-diffid: skopeo inspect" skopeo inspect "oci:$layout:v1"

  layout=$(fixture_corrupt wrong-size)
  { read -r manifest; read -r config; } < <(image_blobs "$layout")
  expect_eq "$("${LAYOUT_TOOL[@]}" bad-blobs "$layout")" "" "wrong-size: blobs not matching their names"
  expect_eq "$(json_field "$manifest" layers 0 size)" "$((size + 1))" "wrong-size: layer 0 size"
  expect_eq "$(sha256_of "$config")" "$(fixture_value umoci config)" "wrong-size: config digest"
  expect_eq "$(skopeo inspect --raw "oci:$layout:v1" | sha256_of)" "$(sha256_of "$manifest")" "wrong-size: index points at the new manifest"
}

# Checks a fault layer added on top: consistent digests, its diff_id, and
# prints its tar entry names.
check_added_layer() {
  local mode=$1 layout manifest config top
  layout=$(fixture_corrupt "$mode")
  { read -r manifest; read -r config; } < <(image_blobs "$layout")
  top=$(blob_path "$layout" "$(json_field "$manifest" layers 2 digest)")

  expect_eq "$("${LAYOUT_TOOL[@]}" bad-blobs "$layout")" "" "$mode: blobs not matching their names"
  expect_eq "$(gzip -dc "$top" | sha256_of)" "$(json_field "$config" rootfs diff_ids 2)" "$mode: diff_id of the new layer"
  expect_eq "$(json_field "$config" history 2 created_by)" "fixture: $3" "$mode: history entry"
  expect_eq "$(tar -tzf "$top" 2>/dev/null | tr '\n' ' ')" "$2" "$mode: entries of the new layer"
  expect_success "$mode: skopeo inspect" skopeo inspect "oci:$layout:v1"
}

check_layer_faults() {
  local layout top
  check_added_layer traversal "../evil /abs " "traversal entries"
  check_added_layer duplicate-path "etc/duplicate.txt etc/duplicate.txt " "duplicate path"
  check_added_layer bomb "zeros " "compression bomb"

  layout=$(fixture_corrupt bomb)
  top=$(blob_path "$layout" "$(json_field "$(image_blobs "$layout" | head -n 1)" layers 2 digest)")
  expect_success "bomb: compressed under 1 MiB" test "$(stat -c %s "$top")" -lt 1048576
  expect_eq "$(gzip -dc "$top" | wc -c)" "$((200 * 1048576 + 1536))" "bomb: uncompressed size"

  layout=$(fixture_corrupt malformed-json)
  expect_failure "malformed-json: index.json parses" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$layout/index.json"
  expect_failure "malformed-json: skopeo inspect" skopeo inspect "oci:$layout:v1"
  expect_eq "$("${LAYOUT_TOOL[@]}" bad-blobs "$layout")" "" "malformed-json: blobs not matching their names"

  expect_failure "unknown corruption mode" bash "$FIXTURE_SCRIPTS/corrupt-image.sh" no-such-mode \
    "$FIXTURES/umoci" "$TEST_TMP/no-such-mode"
  expect_failure "unknown mode leaves no output" test -e "$TEST_TMP/no-such-mode"
}

check_peers_accept
check_expected_values
check_layer_contents
check_repeatable
check_blob_faults
check_layer_faults

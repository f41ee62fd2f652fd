#!/usr/bin/env bash
# Builds the example's image archive from this folder's script and Debian's static busybox,
# locally and reproducibly (no registry): build/stream-summary.tar, which the manifest names as
# its image_archive, so the first `mdivicom run` loads it into Docker or Podman by itself.
#   examples/container/stream-summary/build.sh [OUT.tar]   (default: build/stream-summary.tar here)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/build/stream-summary.tar}
tools=$(dirname "$here")
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT

"$tools/busybox_rootfs.sh" "$rootfs"
install -D -m 0755 "$here/stream-summary.sh" "$rootfs/usr/local/bin/stream-summary"
id=$("$tools/docker_archive.sh" "$rootfs" mdivicom-examples/stream-summary:0.1.0 "$out" \
  '["/usr/local/bin/stream-summary","/data","/out","0"]')
echo "built $out (image $id)"

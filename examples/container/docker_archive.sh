#!/usr/bin/env bash
# Packs a root filesystem directory into a one-layer image archive in the `docker save`
# format, which both `docker load` and `podman load` (and the Engine API's /images/load)
# accept. The archive is reproducible: the same rootfs and arguments give the same bytes, so
# the same image ID on every machine with the same busybox.
#   docker_archive.sh ROOTFS_DIR NAME:TAG OUT.tar [CMD_JSON]
# CMD_JSON is the image's default command as a JSON array, e.g. '["/bin/sh"]'.
set -euo pipefail

rootfs=${1:?usage: docker_archive.sh ROOTFS_DIR NAME:TAG OUT.tar [CMD_JSON]}
tag=${2:?missing NAME:TAG}
out=${3:?missing OUT.tar}
cmd=${4:-'["/bin/sh"]'}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

deterministic_tar() { # DIR OUT: sorted entries, fixed times and owners, no "./" prefix
  (cd "$1" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort) >"$work/list"
  tar -C "$1" --format=gnu --numeric-owner --owner=0 --group=0 --mtime=@0 \
    --no-recursion -T "$work/list" -cf "$2"
}

mkdir -p "$work/image"
deterministic_tar "$rootfs" "$work/layer.tar"
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mkdir -p "$work/image/$diff_id"
mv "$work/layer.tar" "$work/image/$diff_id/layer.tar"

printf '{"architecture":"amd64","config":{"Cmd":%s,"Env":["PATH=/bin"],"WorkingDir":"/"},"created":"1970-01-01T00:00:00Z","history":[{"created":"1970-01-01T00:00:00Z","created_by":"mdivicom docker_archive.sh"}],"os":"linux","rootfs":{"diff_ids":["sha256:%s"],"type":"layers"}}' \
  "$cmd" "$diff_id" >"$work/config.json"
image_id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/image/$image_id.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' \
  "$image_id" "$tag" "$diff_id" >"$work/image/manifest.json"

mkdir -p "$(dirname "$out")"
deterministic_tar "$work/image" "$out.partial"
mv "$out.partial" "$out"
echo "sha256:$image_id"

#!/usr/bin/env bash
# A no-op container through mdivicom (Engine API over the socket, recording everything: run
# record, log, provenance, image identity) vs `docker run --rm` and `podman run --rm` on the
# same image, in the same run, on private engines started by tests/container/engines.sh.
# Usage: bench/container_run.sh [BUILD_DIR] [RUNS]
# Set MDIVICOM_TEST_ENGINES_DIR to reuse engines that are already running.
set -euo pipefail
build=${1:-build}
runs=${2:-15}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
source "$here/common.sh"
bench_hyperfine
mdivicom=$(cd "$build" && pwd)/mdivicom

work=$(mktemp -d /tmp/mdv-bench-XXXXXX)
engines=${MDIVICOM_TEST_ENGINES_DIR:-}
own_engines=
cleanup() {
  if [[ -n "$own_engines" ]]; then "$root/tests/container/engines.sh" stop "$engines" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
if [[ -z "$engines" ]]; then
  engines=$work/e
  own_engines=1
  "$root/tests/container/engines.sh" start "$engines" >/dev/null
fi
docker_sock=$engines/docker.sock
podman_sock=$engines/podman.sock

# The image: busybox, built locally into an archive that mdivicom loads on its first run.
"$root/examples/container/busybox_rootfs.sh" "$work/rootfs"
mkdir -p "$work/plugin" "$work/dataset" "$work/out"
"$root/examples/container/docker_archive.sh" "$work/rootfs" mdivicom-bench/noop:1 "$work/plugin/noop.tar" >/dev/null
cat >"$work/plugin/noop.json" <<JSON
{"meta": {"api_version": "mdivicomtools.plugin.v0.1", "id": "noop", "kind": "container", "version": "1",
          "description": "does nothing"},
 "entry": {"image": "mdivicom-bench/noop:1", "argv": ["true"], "image_archive": "noop.tar"}}
JSON
export MDIVICOM_PLUGIN_PATH=$work/plugin
run_mdivicom() {
  echo "MDIVICOM_PLUGIN_PATH=$work/plugin $mdivicom run noop --dataset $work/dataset --out $work/out-$1 --overwrite -q --engine unix://$2"
}
podman_env="CONTAINERS_CONF=$engines/containers.conf CONTAINERS_STORAGE_CONF=$engines/storage.conf"
# Load the image into both engines (and check that each path works) before timing.
eval "$(run_mdivicom d "$docker_sock")" >/dev/null
eval "$(run_mdivicom p "$podman_sock")" >/dev/null

echo "== Docker $(docker -H "unix://$docker_sock" version --format '{{.Server.Version}}')" >&2
compare "$runs" \
  "docker run --rm" "docker -H unix://$docker_sock run --rm --network none mdivicom-bench/noop:1 true" \
  "mdivicom run (docker)" "$(run_mdivicom d "$docker_sock")"
echo "== Podman $(podman --version)" >&2
compare "$runs" \
  "podman --remote run --rm" "podman --remote --url unix://$podman_sock run --rm --network none mdivicom-bench/noop:1 true" \
  "podman run --rm" "env $podman_env podman run --rm --network none mdivicom-bench/noop:1 true" \
  "mdivicom run (podman)" "$(run_mdivicom p "$podman_sock")"

#!/usr/bin/env bash
# A no-op container through mdivicom (Engine API over the socket, recording everything: run
# record, log, provenance, image identity) vs `docker run --rm` and `podman run --rm` on the
# same image, in the same run, on private engines started by tests/container/engines.sh.
# Usage: bench/container_run.sh [BUILD_DIR] [RUNS]
# Set MDIVICOM_TEST_ENGINES_DIR to reuse engines that are already running, and
# MDIVICOM_BENCH_BEFORE=OTHER_BUILD_DIR to time another build's mdivicom in the same rounds
# (before/after a change).
#
# The commands run in turn, round after round (common.sh: interleave; not each one's runs in
# a block as hyperfine does): engine timings follow the machine's load, and on a shared machine
# the load changes within a minute, so only interleaved runs give a fair ratio. Medians are
# compared.
set -euo pipefail
build=${1:-build}
runs=${2:-15}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
source "$here/common.sh" # interleave
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
run_mdivicom() { # out-suffix socket [binary]
  echo "MDIVICOM_PLUGIN_PATH=$work/plugin ${3:-$mdivicom} run noop --dataset $work/dataset --out $work/out-$1 --overwrite -q --engine unix://$2"
}
before=()  # name and command of the other build, per engine
before_run() { # engine out-suffix socket
  if [[ -n "${MDIVICOM_BENCH_BEFORE:-}" ]]; then
    before=("mdivicom run ($1), before" "$(run_mdivicom "$2-before" "$3" "$(cd "$MDIVICOM_BENCH_BEFORE" && pwd)/mdivicom")")
  fi
}
podman_env="CONTAINERS_CONF=$engines/containers.conf CONTAINERS_STORAGE_CONF=$engines/storage.conf"
# The same lock-down as mdivicom's containers (plan.cpp), so that the engines do equal work:
# binds for dataset, outputs, work dir and config, init, read-only root, tmpfs /tmp, no
# capabilities, no-new-privileges, a pids limit, the caller's uid.
mkdir -p "$work/cli-out" "$work/cli-work"
echo '{}' >"$work/cli-config.json"
locked="--network none --init --read-only --tmpfs /tmp:rw,nosuid,nodev,size=1g,mode=1777 --cap-drop ALL \
  --security-opt no-new-privileges --pids-limit 512 --user $(id -u):$(id -g) -v $work/dataset:/data:ro \
  -v $work/cli-out:/out -v $work/cli-work:/work -v $work/cli-config.json:/mdivicom/config.json:ro"
# Load the image into both engines (and check that each path works) before timing.
eval "$(run_mdivicom d "$docker_sock")" >/dev/null
eval "$(run_mdivicom p "$podman_sock")" >/dev/null

before_run docker d "$docker_sock"
echo "== Docker $(docker -H "unix://$docker_sock" version --format '{{.Server.Version}}')" >&2
interleave "$runs" \
  "docker run --rm" "docker -H unix://$docker_sock run --rm --network none mdivicom-bench/noop:1 true" \
  "docker run --rm, mdivicom's lock-down" "docker -H unix://$docker_sock run --rm $locked mdivicom-bench/noop:1 true" \
  "mdivicom run (docker)" "$(run_mdivicom d "$docker_sock")" \
  ${before:+"${before[@]}"}
before_run podman p "$podman_sock"
echo "== Podman $(podman --version)" >&2
interleave "$runs" \
  "podman run --rm" "env $podman_env podman run --rm --network none mdivicom-bench/noop:1 true" \
  "podman run --rm, mdivicom's lock-down" "env $podman_env podman run --rm $locked mdivicom-bench/noop:1 true" \
  "podman --remote run --rm" "podman --remote --url unix://$podman_sock run --rm --network none mdivicom-bench/noop:1 true" \
  "mdivicom run (podman)" "$(run_mdivicom p "$podman_sock")" \
  ${before:+"${before[@]}"}

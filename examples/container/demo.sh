#!/usr/bin/env bash
# The container half of `make demo`: builds the stream-summary image archive locally, then runs
# the plugin on examples/dataset with the first container engine that answers. Without one, as
# root with Docker and Podman installed, it starts private engines for the demo (on sockets in
# a temp dir, stopped by PID afterwards), so the demo works on a fresh machine.
#   examples/container/demo.sh MDIVICOM OUT
set -euo pipefail
mdivicom=${1:?usage: demo.sh MDIVICOM OUT}
out=${2:?usage: demo.sh MDIVICOM OUT}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
example="$here/stream-summary"

"$example/build.sh"
export MDIVICOM_PLUGIN_PATH="$example"

engine_args=()
reachable=$("$mdivicom" doctor --json 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["container_lane"]["reachable"])' || echo 0)
if [ "$reachable" = 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v dockerd >/dev/null; then
    echo "demo: no container engine reachable and none can be started here; skipping the container example"
    echo "      (start Docker or 'podman system service', or set DOCKER_HOST / CONTAINER_HOST)"
    exit 0
  fi
  engines=$(mktemp -d /tmp/mdv-demo-XXXXXX)
  trap '"$root/tests/container/engines.sh" stop "$engines" >/dev/null 2>&1 || true' EXIT
  echo "demo: no engine reachable; starting private engines in $engines"
  "$root/tests/container/engines.sh" start "$engines" >/dev/null
  engine_args=(--engine "unix://$engines/docker.sock")
fi

"$mdivicom" run stream-summary --dataset "$root/examples/dataset" --out "$out" --overwrite "${engine_args[@]}"
column -t -s $'\t' "$out/stream-summary/summary.tsv"

#!/usr/bin/env bash
# mdivicom's main job on examples/: list the example plugins, validate the example result
# bundle, run the Python example plugin on the example dataset (and the container example
# when an engine is reachable), then verify the outputs and show where everything landed.
#   scripts/demo.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
mdivicom="$build/mdivicom"
out="$build/demo-out"

export MDIVICOM_DEV_PLUGIN_ROOTS="$root/examples/python/mdivicom-stream-inventory"
export MDIVICOM_PLUGIN_PATH="$root/examples/container/stream-summary"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "mdivicom plugins list"
"$mdivicom" plugins list

step "mdivicom resultbundles validate examples/results/resultbundle.json"
"$mdivicom" resultbundles validate --sidecar "$root/examples/results/resultbundle.json" \
  --policy plugin_strict --expect-type mdivicom.gaze.fixations --supported-major 0

step "mdivicom run stream-inventory --dataset examples/dataset --out $out"
"$mdivicom" run stream-inventory --dataset "$root/examples/dataset" --out "$out" --overwrite \
  --config '{"include": ["video", "audio", "gaze", "imu"]}'

step "outputs"
column -t -s, "$out/stream-inventory/inventory.csv"

if [ -x "$root/examples/container/demo.sh" ]; then
  step "container example"
  "$root/examples/container/demo.sh" "$mdivicom" "$out"
fi

step "what landed in $out"
find "$out" -maxdepth 2 -not -name '*.previous' | sort
last_record=$(ls -t "$out"/_runs/*.json | head -n 1)
step "the last run record ($last_record), abridged"
/usr/bin/python3 - "$last_record" <<'PY'
import json, sys
record = json.load(open(sys.argv[1]))
for key in ("run_id", "status", "backend", "plugin", "config_hash_sha256", "started_at", "duration_s"):
    print(f"{key:>20}: {json.dumps(record.get(key))}")
PY

#!/usr/bin/env bash
# Listing 1,000 entry manifests vs the floor of any Python-based runner (`python3 -c pass`).
# Aim: mdivicom's whole listing finishes before Python has started.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
bench_hyperfine
mdivicom=$(cd "$build" && pwd)/mdivicom

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/manifests" "$dir/xdg"
/usr/bin/python3 - "$dir/manifests" <<'PY'
import json, sys
for i in range(1000):
    kind = "python" if i % 2 else "container"
    entry = {"callable": f"pkg_{i}.run:run"} if kind == "python" else {"image": f"localhost/tool-{i}:1", "argv": ["run", "{dataset_dir}", "{out_dir}"]}
    meta = {"api_version": "mdivicomtools.plugin.v0.1", "id": f"plugin-{i:04d}", "publisher": "bench",
            "kind": kind, "version": "1.0.0", "description": "benchmark plugin " * 4,
            "config_schema": {"type": "object", "properties": {"threshold": {"type": "number"}}}}
    json.dump({"meta": meta, "entry": entry}, open(f"{sys.argv[1]}/p{i:04d}.json", "w"), indent=2)
PY
export MDIVICOM_PLUGIN_PATH="$dir/manifests" XDG_DATA_HOME="$dir/xdg" XDG_CACHE_HOME="$dir/cache"
count=$("$mdivicom" plugins list | wc -l)
echo "mdivicom plugins list: $count plugins"
compare 30 "python3 -c pass" "/usr/bin/python3 -c pass" \
           "mdivicom plugins list (1,000)" "$mdivicom plugins list"

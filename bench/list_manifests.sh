#!/usr/bin/env bash
# Listing 1,000 entry manifests vs the floor of any Python-based runner (`python3 -c pass`).
# Aim: mdivicom's whole listing finishes before Python has started. Unchanged manifests are
# listed from the listing cache (src/core/plugins/manifest_cache.hpp); the uncached listing and the
# --json listing (which always reads every manifest) are shown beside it.
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
# Manifests changed in the last 2 s are never cached (racy timestamps): let them settle, as
# any installed plugin has.
sleep 2.1
count=$("$mdivicom" plugins list | wc -l)
echo "mdivicom plugins list: $count plugins"
# Cold: no listing cache can be written (XDG_CACHE_HOME under a file), so every manifest is
# read, parsed and validated; `env` adds one exec to that line.
compare 30 "python3 -c pass" "/usr/bin/python3 -c pass" \
           "mdivicom plugins list (1,000)" "$mdivicom plugins list" \
           "mdivicom plugins list (1,000, no cache)" "env XDG_CACHE_HOME=/dev/null/none $mdivicom plugins list" \
           "mdivicom plugins list --json (1,000)" "$mdivicom plugins list --json"

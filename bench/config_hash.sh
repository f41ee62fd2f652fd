#!/usr/bin/env bash
# Hashing a large config (about 8 MB: nested objects, floats, huge ints, unicode) with mdivicom's
# canonical JSON vs the reference's own recipe in /usr/bin/python3, in the same run.
# First checks that both print the same hash. Usage: bench/config_hash.sh [BUILD_DIR]
# (a Release build gives the figure worth quoting; Debug is several times slower).
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
bench_hyperfine
core_tests=$(cd "$build" && pwd)/tests/core_tests

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export MDIVICOM_BENCH_CONFIG="$dir/config.json"
/usr/bin/python3 - "$MDIVICOM_BENCH_CONFIG" <<'PY'
import json, random, sys
r = random.Random(1)
words = ["threshold", "café", "カメラ", "emoji 🎥", "gaze", "imu", "line\nbreak", "tab\t", "quote\""]
def stream(i):
    return {"id": f"str-{i}", "rate_hz": r.choice([120.0, 200, 29.97, 1e-5, 1e16]),
            "offset_s": r.uniform(-1e3, 1e3), "label": r.choice(words) * r.randint(1, 4),
            "checksum": r.getrandbits(100), "flags": [r.random() < 0.5 for _ in range(5)],
            "calibration": {"matrix": [[r.gauss(0, 1) for _ in range(3)] for _ in range(3)], "note": None}}
config = {f"session_{i:05d}": {"streams": [stream(j) for j in range(6)], "api_key": "sk-test"} for i in range(4000)}
json.dump(config, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False, indent=1)
PY
python_hash='import hashlib, json, sys
config = json.load(open(sys.argv[1], encoding="utf-8"))
text = json.dumps(config, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
print(hashlib.sha256(text.encode("utf-8")).hexdigest())'
ours=$("$core_tests" "[bench]" | grep -E '^[0-9a-f]{64}$')
theirs=$(/usr/bin/python3 -c "$python_hash" "$MDIVICOM_BENCH_CONFIG")
echo "config: $(du -h "$MDIVICOM_BENCH_CONFIG" | cut -f1); mdivicom hash $ours; python hash $theirs"
if [ "$ours" != "$theirs" ]; then
  echo "bench: the hashes differ" >&2
  exit 1
fi
compare 10 "python json+hashlib" "/usr/bin/python3 -c '$python_hash' $MDIVICOM_BENCH_CONFIG" \
           "python3 -c pass" "/usr/bin/python3 -c pass" \
           "mdivicom load_config" "$core_tests '[bench]'"

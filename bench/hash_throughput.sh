#!/usr/bin/env bash
# Hashing/verify throughput: `mdivicom verify` (which re-inventories the outputs: walk, SHA-256
# every file, compare with the record) against `sha256sum` in one process and
# `xargs -P2 sha256sum`, side by side in the same run, on
#   - two 1 GiB files (aim: >= 5x one sha256sum), and
#   - 100,000 small files of 1-16 KiB (aim: >= 2x xargs -P2 sha256sum),
# all on tmpfs, so in the page cache: this measures hashing and file handling, not the disk.
# The run records are written by hand (with hashes from Python's hashlib) in the documented
# record format, so the bench also checks that mdivicom agrees with an independent hasher.
#
# Usage: bench/hash_throughput.sh [BUILD_DIR] [RUNS]   (a Release build gives the real figures)
set -euo pipefail
build=${1:-build}
runs=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
bench_hyperfine
mdivicom=$(cd "$build" && pwd)/mdivicom
[ -x "$mdivicom" ] || { echo "bench: $mdivicom is missing; build the mdivicom target" >&2; exit 2; }

base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
dir=$(mktemp -d "$base/mdivicom-hash-bench-XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "bench: data in $dir" >&2

# Two 1 GiB files of random bytes; 100,000 files of 1-16 KiB in 100 directories.
mkdir -p "$dir/large/large" "$dir/small/small"
head -c 1G /dev/urandom >"$dir/large/large/a.bin"
head -c 1G /dev/urandom >"$dir/large/large/b.bin"
/usr/bin/python3 - "$dir/small/small" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(42)
pool = os.urandom(1 << 20)
for d in range(100):
    os.makedirs(f"{root}/d{d:02d}", exist_ok=True)
for i in range(100_000):
    size = rng.randint(1024, 16384)
    start = rng.randint(0, len(pool) - size)
    with open(f"{root}/d{i % 100:02d}/f{i:06d}.dat", "wb") as f:
        f.write(pool[start:start + size])
PY

# Run records in mdivicom's format (README, "Output inventories"): one line per entry is the
# compact, key-sorted JSON of the entry; tree_sha256 hashes those lines; past 10,000 entries the
# lines go to _runs/<run_id>.inventory.jsonl after a header line.
/usr/bin/python3 - "$dir" <<'PY'
import hashlib, json, os, sys
base = sys.argv[1]
def line(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
def record(out, root, run_id):
    entries = []
    top = os.path.join(out, root)
    for dirpath, _, files in os.walk(top):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            entries.append({"path": os.path.relpath(path, top), "type": "file",
                            "size": os.path.getsize(path), "sha256": digest})
    entries.sort(key=lambda e: e["path"].encode())
    lines = "".join(line(e) for e in entries)
    tree = hashlib.sha256(lines.encode()).hexdigest()
    total = sum(e["size"] for e in entries)
    outputs = {"root": root, "file_count": len(entries), "total_bytes": total, "tree_sha256": tree}
    os.makedirs(os.path.join(out, "_runs"), exist_ok=True)
    if len(entries) <= 10_000:
        outputs["files"] = entries
    else:
        rel = f"_runs/{run_id}.inventory.jsonl"
        header = {"format": "mdivicom.inventory.v1", "run_id": run_id, "root": root,
                  "file_count": len(entries), "total_bytes": total, "tree_sha256": tree}
        text = (line(header) + lines).encode()
        with open(os.path.join(out, rel), "wb") as f:
            f.write(text)
        outputs["inventory_path"] = rel
        outputs["inventory_sha256"] = hashlib.sha256(text).hexdigest()
    rec = {"record_version": "mdivicom.run-record.v1", "run_id": run_id, "status": "succeeded",
           "plugin": {"id": root, "kind": "python", "version": "0"}, "outputs": outputs}
    with open(os.path.join(out, "_runs", run_id + ".json"), "w") as f:
        json.dump(rec, f)
record(os.path.join(base, "large"), "large", "20250101T000000Z_00000001")
record(os.path.join(base, "small"), "small", "20250101T000000Z_00000002")
PY

# Sanity: mdivicom must agree with hashlib before its speed means anything.
"$mdivicom" verify "$dir/large" >/dev/null
"$mdivicom" verify "$dir/small" >/dev/null

# speedups JSON NAME...: how many times faster the last command is than each of the others.
speedups() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
ours = results[-1]
for r in results:
    print(f"  {r['command']:<34} {r['mean']:7.3f} s ±{r['stddev']:.3f}")
for r in results[:-1]:
    print(f"  => {ours['command']} is {r['mean'] / ours['mean']:.2f}x faster than {r['command']}")
PY
}

measure() {
  local title=$1; shift
  local json
  json=$(mktemp)
  echo
  echo "$title"
  hyperfine --style none --warmup 1 --runs "$runs" --export-json "$json" "$@" >/dev/null
  speedups "$json"
  rm -f "$json"
}

cd "$dir"
total_large=$(du -sb large/large | cut -f1)
total_small=$(du -sb small/small | cut -f1)
echo "machine: $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
measure "two 1 GiB files ($total_large bytes):" \
  --command-name "sha256sum (one process)" "sha256sum large/large/a.bin large/large/b.bin" \
  --command-name "xargs -P2 sha256sum" "printf '%s\n' large/large/a.bin large/large/b.bin | xargs -P2 -n1 sha256sum" \
  --command-name "mdivicom verify" "$mdivicom verify large"
measure "100,000 small files ($total_small bytes):" \
  --command-name "sha256sum (one process)" "find small/small -type f -print0 | xargs -0 sha256sum" \
  --command-name "xargs -P2 sha256sum" "find small/small -type f -print0 | xargs -0 -P2 -n 2000 sha256sum" \
  --command-name "mdivicom verify" "$mdivicom verify small"

#!/usr/bin/env bash
# Re-checking a finished study (issue 17): N sessions that are all done, checked again, nothing
# runs. Side by side in the same rounds:
#   snakemake -n (dry run: which of N done rules would run) over one shell rule per session
#   mdivicom batch over the same N sessions, every item up to date (its key, dataset and outputs
#   checked through the hash cache; no item runs)
#   xargs -P2 over `mdivicom run` of each session (each one up to date, exit 0): the loop a user
#   would otherwise write
# Aim: mdivicom batch checks 500 up-to-date sessions in under 0.5 s in all (<= 1 ms per item).
# Usage: bench/uptodate.sh [BUILD_DIR] [SESSIONS] [RUNS]
set -euo pipefail
build=${1:-build}
sessions=${2:-500}
runs=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
bench_hyperfine
mdivicom=$(cd "$build" && pwd)/mdivicom

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
site="$dir/site"
write_noop_plugin "$site"
write_sessions "$dir" "$sessions"

export PYTHONPATH="$site" XDG_CACHE_HOME="$dir/cache" XDG_DATA_HOME="$dir/xdg" MDIVICOM_PLUGIN_PATH="$dir/none"
unset VIRTUAL_ENV MDIVICOM_PYTHON_ENV MDIVICOM_DEV_PLUGIN_ROOTS
echo "bench: running the $sessions sessions once (the study to re-check)" >&2
"$mdivicom" batch noop --datasets-from "$dir/sessions.txt" --out "$dir/batch" -j2 --json > "$dir/first.json"
/usr/bin/python3 - "$dir/first.json" "$sessions" <<'PY'
import json, sys
record = json.load(open(sys.argv[1]))
assert record["summary"].get("succeeded") == int(sys.argv[2]), record["summary"]
PY
# Files the loop's runs compare against: the same outputs, one out dir per session.
batch="$mdivicom batch noop --datasets-from $dir/sessions.txt --out $dir/batch -j2 --json > $dir/again.json"
loop="xargs -P2 -I{} sh -c '$mdivicom run noop --dataset {} --out $dir/batch/\$(basename {}) --quiet 2>/dev/null' < $dir/sessions.txt"
commands=()
if command -v snakemake >/dev/null; then
  cat > "$dir/Snakefile" <<SMK
SESSIONS = [line.strip() for line in open("$dir/sessions.txt")]
NAMES = [s.rsplit("/", 1)[1] for s in SESSIONS]
rule all:
    input: expand("$dir/smk/{name}/done", name=NAMES)
rule one:
    input: "$dir/study/{name}/raw/gaze.csv"
    output: "$dir/smk/{name}/done"
    shell: "/usr/bin/python3 -c \"import noop_plugin; noop_plugin.run('$dir/study/{wildcards.name}', '$dir/smk/{wildcards.name}', {{}})\" && touch {output}"
SMK
  snakemake -q -j2 -s "$dir/Snakefile" -d "$dir" >/dev/null 2>&1
  commands+=("snakemake -n (all done)" "snakemake -n -q -j2 -s $dir/Snakefile -d $dir")
else
  echo "bench: snakemake is not installed (apt-get install snakemake): its row is left out" >&2
fi
commands+=("mdivicom batch (all up to date)" "$batch" "xargs -P2 mdivicom run (each up to date)" "$loop")
compare "$runs" "${commands[@]}"
/usr/bin/python3 - "$dir/again.json" "$sessions" <<'PY'
import json, sys
record = json.load(open(sys.argv[1]))
print("last batch:", record["summary"])
assert record["summary"].get("up-to-date") == int(sys.argv[2]), "not every item was up to date"
PY

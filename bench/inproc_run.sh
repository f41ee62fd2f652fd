#!/usr/bin/env bash
# `mdivicom run` of a no-op Python plugin (discovery from the cache, sandboxed worker, embedded
# interpreter, run record and log) vs the floor of calling it straight from Python:
#   /usr/bin/python3 -c "import noop_plugin; noop_plugin.run(...)"
# Aim: within 1.5x of that floor. Usage: bench/inproc_run.sh [BUILD_DIR] [RUNS]
# The commands are timed interleaved (common.sh: interleave); medians are compared. Set
# MDIVICOM_BENCH_BEFORE=OTHER_BUILD_DIR to time another build's mdivicom in the same rounds.
set -euo pipefail
build=${1:-build}
runs=${2:-40}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
mdivicom=$(cd "$build" && pwd)/mdivicom

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
site="$dir/site"
mkdir -p "$dir/dataset/sessions/ses-01" "$dir/out" "$dir/floor-out"
write_noop_plugin "$site"

export PYTHONPATH="$site" XDG_CACHE_HOME="$dir/cache" XDG_DATA_HOME="$dir/xdg" MDIVICOM_PLUGIN_PATH="$dir/none"
unset VIRTUAL_ENV MDIVICOM_PYTHON_ENV MDIVICOM_DEV_PLUGIN_ROOTS
"$mdivicom" plugins list | grep -q '^noop' || { echo "bench: the no-op plugin was not found" >&2; exit 1; }
run="$mdivicom run noop --dataset $dir/dataset --out $dir/out --overwrite --quiet"
$run # the first run fills the plugin cache and creates the output slot
floor="/usr/bin/python3 -c \"import noop_plugin; noop_plugin.run('$dir/dataset', '$dir/floor-out', {}, work_dir=None, dry_run=False)\""
before=()
if [[ -n "${MDIVICOM_BENCH_BEFORE:-}" ]]; then
  before=("mdivicom run, before" "$(cd "$MDIVICOM_BENCH_BEFORE" && pwd)/mdivicom run noop --dataset $dir/dataset --out $dir/out-before --overwrite --quiet")
fi
# mdivicom --version shows what loading the binary alone costs (its shared libraries).
interleave "$runs" "python3 import+run (floor)" "$floor" \
                   "mdivicom --version (binary start)" "$mdivicom --version" \
                   "mdivicom run (python lane)" "$run" "${before[@]}"
echo "records written: $(ls "$dir/out/_runs"/*.json | wc -l)"

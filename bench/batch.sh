#!/usr/bin/env bash
# A study of N sessions x a no-op Python plugin, 2 at a time, four ways in the same rounds:
#   xargs -P2 over the bare Python floor (python3 -c "import m; m.run(...)" per session)
#   xargs -P2 over `mdivicom run` (one run per session, as a hand-written loop does)
#   snakemake -j2 with one shell rule per session calling the same Python (when installed)
#   mdivicom batch -j2 (every item still one isolated, recorded run)
# Aim (issue 17): mdivicom batch within 1.2x of the floor. Usage: bench/batch.sh [BUILD_DIR] [SESSIONS] [RUNS]
set -euo pipefail
build=${1:-build}
sessions=${2:-200}
runs=${3:-3}
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
"$mdivicom" plugins list | grep -q '^noop' || { echo "bench: the no-op plugin was not found" >&2; exit 1; }

floor="rm -rf $dir/floor; xargs -P2 -I{} sh -c 'mkdir -p $dir/floor/\$(basename {}) && /usr/bin/python3 -c \"import noop_plugin, sys; noop_plugin.run(sys.argv[1], sys.argv[2], dict())\" {} $dir/floor/\$(basename {})' < $dir/sessions.txt"
loop="rm -rf $dir/loop; xargs -P2 -I{} sh -c '$mdivicom run noop --dataset {} --out $dir/loop/\$(basename {}) --quiet' < $dir/sessions.txt"
batch="rm -rf $dir/batch; $mdivicom batch noop --datasets-from $dir/sessions.txt --out $dir/batch -j2 >/dev/null"
commands=("xargs -P2 python3 (floor)" "$floor" "xargs -P2 mdivicom run" "$loop" "mdivicom batch -j2" "$batch")
if command -v snakemake >/dev/null; then
  cat > "$dir/Snakefile" <<SMK
SESSIONS = [line.strip() for line in open("$dir/sessions.txt")]
NAMES = [s.rsplit("/", 1)[1] for s in SESSIONS]
rule all:
    input: expand("$dir/smk/{name}/done", name=NAMES)
rule one:
    output: "$dir/smk/{name}/done"
    shell: "/usr/bin/python3 -c \"import noop_plugin; noop_plugin.run('$dir/study/{wildcards.name}', '$dir/smk/{wildcards.name}', {{}})\" && touch {output}"
SMK
  commands+=("snakemake -j2" "rm -rf $dir/smk; snakemake -q -j2 -s $dir/Snakefile -d $dir >/dev/null 2>&1")
else
  echo "bench: snakemake is not installed (apt-get install snakemake): its row is left out" >&2
fi
compare "$runs" "${commands[@]}"
echo "batch records: $(ls "$dir"/batch/_batches/*.json | wc -l), item records: $(ls "$dir"/batch/*/_runs/*.json | wc -l)"

# Shared by the benchmarks: time commands side by side with hyperfine and print ratios.
# Usage: source bench/common.sh; compare NAME_A "CMD_A" NAME_B "CMD_B" [more pairs...]
# Prints the mean and the median of each and the ratio of every command to the first one, in
# wall time (the median is the steadier one on a VM whose speed varies) and in CPU time (user +
# system, child processes included): where CPUs are shared (a VM whose second vCPU is not
# free), a command's CPU time adds to its wall time, and the CPU ratio says why.

bench_hyperfine() {
  if ! command -v hyperfine >/dev/null; then
    echo "bench: hyperfine is missing; run scripts/install-deps.sh" >&2
    exit 2
  fi
}

# compare RUNS NAME CMD [NAME CMD ...]: the first command is the baseline.
compare() {
  local runs=$1; shift
  local json
  json=$(mktemp)
  local args=()
  while [ $# -gt 0 ]; do
    args+=(--command-name "$1" "$2")
    shift 2
  done
  hyperfine --style basic --warmup 3 --runs "$runs" --export-json "$json" "${args[@]}" >&2
  /usr/bin/python3 - "$json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]
def cpu(r):
    return r['user'] + r['system']
for r in results:
    print(f"{r['command']:<40} mean {r['mean']*1000:8.2f} ms  ±{r['stddev']*1000:6.2f}  ratio vs {base['command']}: "
          f"{r['mean']/base['mean']:.2f}x  (median {r['median']*1000:7.2f} ms, {r['median']/base['median']:.2f}x; "
          f"CPU {cpu(r)*1000:7.2f} ms, {cpu(r)/cpu(base):.2f}x)")
PY
  rm -f "$json"
}

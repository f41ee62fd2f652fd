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

# interleave RUNS NAME CMD [NAME CMD ...]: the first command is the baseline. The commands run
# in turn, round after round (the order reversed every other round), after three warm-up
# rounds: on a VM whose speed drifts within seconds, the runs of one command in a block (as
# hyperfine times them) can land in a faster or slower stretch than the other's, and the ratio
# drifts with it. Each command line is split as a shell would (quotes; leading NAME=value words
# set the environment) and started without a shell, so no shell's start is in the times.
# Prints the median and mean wall time and the CPU time (user + system, children included) of
# each, with ratios to the first.
interleave() {
  /usr/bin/python3 - "$@" <<'PYTHON'
import os, shlex, statistics, sys, time
runs = int(sys.argv[1])
names, commands, envs = sys.argv[2::2], [], []
for line in sys.argv[3::2]:
    words, env = shlex.split(line), dict(os.environ)
    while words and "=" in words[0] and words[0].split("=", 1)[0].isidentifier():
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    commands.append(words)
    envs.append(env)
walls = [[] for _ in commands]
cpus = [[] for _ in commands]
devnull = os.open(os.devnull, os.O_WRONLY)
actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
for round_ in range(runs + 3):
    order = list(range(len(commands)))
    if round_ % 2:
        order.reverse()
    for i in order:
        start = time.perf_counter()
        pid = os.posix_spawnp(commands[i][0], commands[i], envs[i], file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            sys.exit(f"bench: '{names[i]}' failed ({code}): {' '.join(commands[i])}")
        if round_ >= 3:
            walls[i].append(elapsed)
            cpus[i].append(usage.ru_utime + usage.ru_stime)
base_wall, base_mean, base_cpu = statistics.median(walls[0]), statistics.mean(walls[0]), statistics.median(cpus[0])
for name, wall, cpu in zip(names, walls, cpus):
    print(f"{name:<40} median {statistics.median(wall) * 1000:7.2f} ms  ratio vs {names[0]}: "
          f"{statistics.median(wall) / base_wall:.2f}x  (mean {statistics.mean(wall) * 1000:7.2f} ms "
          f"±{statistics.stdev(wall) * 1000:5.2f}, {statistics.mean(wall) / base_mean:.2f}x; "
          f"CPU {statistics.median(cpu) * 1000:7.2f} ms, {statistics.median(cpu) / base_cpu:.2f}x)")
PYTHON
}

# write_noop_plugin SITE: an installed distribution in SITE whose entry point "noop" is a
# Python plugin that does nothing (what the run and batch benchmarks time mdivicom around).
write_noop_plugin() {
  local site=$1
  local info="$site/noop_plugin-1.0.0.dist-info"
  mkdir -p "$info"
  cat > "$site/noop_plugin.py" <<'PY'
def get_plugin():
    return {"meta": {"api_version": "mdivicomtools.plugin.v0.1", "id": "noop", "kind": "python",
                     "version": "1.0.0", "description": "does nothing"},
            "entry": {"callable": "noop_plugin:run"}}


def run(dataset_dir, out_dir, config, *, work_dir=None, dry_run=False):
    pass
PY
  printf 'Metadata-Version: 2.1\nName: noop_plugin\nVersion: 1.0.0\n' > "$info/METADATA"
  printf '[mdivicomtools.plugins]\nnoop = noop_plugin:get_plugin\n' > "$info/entry_points.txt"
  printf 'noop_plugin.py,,\n' > "$info/RECORD"
}

# write_sessions DIR N: N small sessions DIR/study/ses-NNN/raw/gaze.csv (each its own content)
# and their list in DIR/sessions.txt, the study the batch benchmarks run over.
write_sessions() {
  local dir=$1 count=$2 i
  for i in $(seq -w 1 "$count"); do
    mkdir -p "$dir/study/ses-$i/raw"
    printf 't,x\n0,%s\n' "$i" > "$dir/study/ses-$i/raw/gaze.csv"
  done
  ls -d "$dir"/study/ses-* > "$dir/sessions.txt"
}

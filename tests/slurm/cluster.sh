#!/usr/bin/env bash
# Starts (or stops) a private single-node Slurm cluster for the Slurm tests: munged, slurmctld
# and slurmd, all under DIR, on TCP ports of their own (derived from DIR, skipping ones in use).
#
#   cluster.sh start DIR   stop what DIR holds, start munged (a fresh key), slurmctld and slurmd,
#       wait until the node is idle and `srun true` runs, write the client environment to
#       DIR/env and print it.
#   cluster.sh env DIR     print that environment (fails when DIR holds no started cluster).
#   cluster.sh stop DIR    cancel what is still queued, stop the job steps, slurmd, slurmctld and
#       munged by their PIDs; leaves DIR (logs, job records) for a look afterwards; always
#       succeeds.
#
# Nothing global is touched: the config, munge key and socket, state, spool, logs, PID files and
# the job completion log all live in DIR, so several build trees can run their suites side by
# side, and the machine's own /etc/slurm and munge (if any) are neither read nor needed. Works as
# root (the daemons then run as root, as on a real cluster) and as an ordinary user (everything
# runs as that user; jobs can then only run as that user). Keep DIR short: unix socket paths are
# limited to 107 bytes.
#
# Accounting: there is no slurmdbd (it needs a MariaDB server), so plain `sacct` answers "Slurm
# accounting storage is disabled", as on a cluster without accounting. `squeue --states=all` and
# `scontrol show job` know a job until MinJobAge seconds after it ended. After that the job
# completion log stays: jobcomp/filetxt writes a line per finished job (each array task too) to
# DIR/jobcomp.log, and `sacct --completion` reads final states and exit codes from it, by the
# tasks' own job ids only (Slurm 22.05 reads the file without the array fields it writes).
set -euo pipefail
source "$(dirname "$0")/../support/daemons.sh"

cmd=${1:-}
dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop|env DIR" >&2
  exit 2
fi
daemons=(munged slurmctld slurmd)
partition=test

pid_of() { # name: the PID its pid file names, if that process still runs
  local pid
  pid=$(cat "$dir/$1.pid" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

stop_pids() { # pid...: SIGTERM to all, wait up to 10 s for them, then SIGKILL
  local pid left
  kill -TERM "$@" 2>/dev/null || true
  for _ in $(seq 100); do
    left=()
    for pid in "$@"; do
      kill -0 "$pid" 2>/dev/null && left+=("$pid")
    done
    [[ ${#left[@]} -eq 0 ]] && return 0
    sleep 0.1
  done
  kill -KILL "${left[@]}" 2>/dev/null || true
}

step_daemons() { # the slurmstepd processes of this cluster: they carry its SLURM_CONF
  local pid
  for pid in $(pgrep -x slurmstepd); do
    if { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$dir/slurm.conf"; then
      echo "$pid"
    fi
  done
}

stop_all() {
  local pid name pids
  # The jobs first, the way Slurm ends them, while the daemons still run.
  if [[ -f "$dir/slurm.conf" ]] && pid_of slurmctld >/dev/null; then
    export SLURM_CONF="$dir/slurm.conf"
    # Everyone's jobs as root, else the caller's own.
    timeout 10 scancel --full --quiet --partition="$partition" 2>/dev/null || true
    for _ in $(seq 50); do # KillWait is 2 s
      [[ -z "$(timeout 5 squeue --noheader 2>/dev/null)" ]] && break
      sleep 0.1
    done
  fi
  for pid in $(step_daemons); do
    for child in $(descendants "$pid"); do
      kill -KILL "$child" 2>/dev/null || true
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  # Each takes a second or two to shut down: all at once.
  pids=()
  for name in "${daemons[@]}"; do
    if pid=$(pid_of "$name"); then
      pids+=("$pid")
    fi
  done
  [[ ${#pids[@]} -eq 0 ]] || stop_pids "${pids[@]}"
  for name in "${daemons[@]}"; do
    rm -f "$dir/$name.pid"
  done
}

ready() { # the node idle (or mixed/allocated: busy with jobs) and a job step runs
  local state
  state=$(sinfo --noheader --format=%t --nodes="$node" 2>/dev/null) || return 1
  [[ "$state" == idle || "$state" == mix || "$state" == alloc ]] || return 1
  timeout 10 srun --quiet --time=1 true 2>/dev/null
}

wait_ready() { # up to 30 s
  for _ in $(seq 300); do
    ready && return 0
    for name in munged slurmctld slurmd; do
      if ! pid_of "$name" >/dev/null; then
        echo "cluster.sh: $name exited during startup:" >&2
        tail -n 20 "$dir/log/$name.log" >&2 || true
        return 1
      fi
    done
    sleep 0.1
  done
  echo "cluster.sh: the node did not become idle in 30 s:" >&2
  sinfo --long --Node >&2 || true
  tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
  return 1
}

write_env() {
  cat >"$dir/env" <<EOF
SLURM_CONF=$dir/slurm.conf
MDIVICOM_TEST_SLURM_DIR=$dir
MDIVICOM_TEST_MUNGE_SOCKET=$dir/munge/munge.sock
EOF
}

case "$cmd" in
  stop)
    [[ -d "$dir" ]] || exit 0
    dir=$(cd "$dir" && pwd)
    stop_all
    exit 0
    ;;
  env)
    dir=$(cd "$dir" 2>/dev/null && pwd) || dir=$2
    if ! pid_of slurmctld >/dev/null || [[ ! -f "$dir/env" ]]; then
      echo "cluster.sh: no cluster runs in $dir; start one with '$0 start $dir'" >&2
      exit 1
    fi
    cat "$dir/env"
    exit 0
    ;;
  start) ;;
  *)
    echo "usage: $0 start|stop|env DIR" >&2
    exit 2
    ;;
esac

for program in munged slurmctld slurmd srun; do
  if ! command -v "$program" >/dev/null; then
    echo "cluster.sh: $program not found; install Debian's slurm-wlm and munge (scripts/install-deps.sh does)" >&2
    exit 1
  fi
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# Start wipes the state, spool and logs of the last start: never in a directory of something else.
if [[ -n "$(ls -A "$dir")" ]] && ! grep -qs '^# Written by tests/slurm/cluster.sh' "$dir/slurm.conf"; then
  echo "cluster.sh: $dir holds files but no test cluster; choose an empty or new directory" >&2
  exit 1
fi
stop_all
rm -rf "$dir/state" "$dir/spool" "$dir/log" "$dir/munge" "$dir/jobcomp.log" "$dir/env"
mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
chmod 0755 "$dir"
chmod 0711 "$dir/munge" # the socket is for every user; the key stays 0400
trap 'echo "cluster.sh: start failed; logs in $dir/log" >&2; stop_all' ERR

user=$(id -un)
node=$(hostname -s)
export SLURM_CONF="$dir/slurm.conf"

# --- munged: a key of this cluster's own -----------------------------------------------------
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 0400 "$dir/munge/munge.key"
munged --socket="$dir/munge/munge.sock" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" \
  2>>"$dir/log/munged.log" </dev/null

# --- slurm.conf ------------------------------------------------------------------------------
port=$(free_ports "$dir" 2) # slurmctld, slurmd
# The node as slurmd sees the machine (CPUs, sockets, cores, threads, RealMemory); each CPU
# gets a share of the memory by default, else a job without --mem would hold the whole node.
hardware=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]* //')
cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hardware")
memory=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hardware")
mem_per_cpu=$((memory / cpus < 1024 ? memory / cpus : 1024))
cat >"$dir/slurm.conf" <<EOF
# Written by tests/slurm/cluster.sh: a private single-node cluster, everything below $dir.
ClusterName=mdivicom-test
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.sock
CryptoType=crypto/munge
SlurmUser=$user
SlurmdUser=$user
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$mem_per_cpu
MpiDefault=none
ReturnToService=2
MaxArraySize=100001
MaxJobCount=200000
# Finished jobs stay visible to squeue --states=all and scontrol for this long (the default).
MinJobAge=300
# Time limits are enforced exactly (no grace) and a killed job's processes get SIGKILL 2 s
# after SIGTERM, so that a time-limit or a cancellation ends quickly.
OverTimeLimit=0
KillWait=2
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.log
NodeName=$node NodeAddr=127.0.0.1 $hardware State=UNKNOWN
PartitionName=$partition Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

# --- slurmctld and slurmd --------------------------------------------------------------------
# Both daemonize and write their pid files; -c: no state from an earlier start.
slurmctld -c -f "$dir/slurm.conf" </dev/null >>"$dir/log/slurmctld.log" 2>&1
slurmd -f "$dir/slurm.conf" -N "$node" </dev/null >>"$dir/log/slurmd.log" 2>&1
wait_ready

write_env
trap - ERR
cat "$dir/env"

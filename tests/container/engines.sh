#!/usr/bin/env bash
# Starts (or stops) private container engines for the container tests and benchmarks:
#   dockerd, `podman system service` and a docker-registry on loopback, all under DIR.
#
#   engines.sh start DIR [COMMAND...]
#       start all three, wait until each answers, write the environment to DIR/env and print
#       it. With COMMAND, then run it with MDIVICOM_TEST_ENGINES_DIR=DIR (e.g. to import the
#       test images); if it fails, everything is stopped again and its status returned.
#   engines.sh extra-podman DIR NAME
#       one more Podman service on DIR/NAME.sock sharing the storage of DIR's (tests kill it
#       mid-run); its PID is in DIR/NAME.pid.
#   engines.sh dockerd DIR
#       only a dockerd of its own on DIR/docker.sock (tests kill it mid-run); PID in DIR/dockerd.pid.
#   engines.sh stop DIR    stop every process DIR/*.pid names, by PID, then what a killed
#       dockerd leaves behind (its containerd, the shims and containers below DIR); unmount;
#       remove DIR.
#
# Nothing global is touched: sockets, data roots, configs and logs all live in DIR, so several
# build trees can run their suites side by side. Keep DIR short (unix socket paths are limited
# to 107 bytes and containerd nests its sockets below the exec root).
set -euo pipefail
source "$(dirname "$0")/../support/daemons.sh"

cmd=${1:-}
dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi

stop_pid() { # name: SIGTERM, wait up to 20 s, then SIGKILL
  local pidfile="$dir/$1.pid" pid
  [[ -f "$pidfile" ]] || return 0
  pid=$(cat "$pidfile")
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 200); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop_all() {
  local pidfile
  for pidfile in "$dir"/*.pid; do
    [[ -e "$pidfile" ]] && stop_pid "$(basename "$pidfile" .pid)"
  done
  # dockerd stops its containers and the containerd it started; after a crash of dockerd
  # that is done here, containers first, so that their shims can exit.
  stop_shims
  if [[ -f "$dir/dx/containerd/containerd.pid" ]]; then
    cp "$dir/dx/containerd/containerd.pid" "$dir/containerd.pid"
    stop_pid containerd
  fi
  # Container processes die with their engine's shims only once the engine is gone; a
  # container left running would keep its mounts below DIR busy.
  if [[ -d "$dir" ]]; then
    { grep -F " $dir/" /proc/self/mounts || true; } | awk '{print $2}' | sort -r | while read -r mnt; do
      umount -l "$mnt" 2>/dev/null || true
    done
  fi
}

stop_shims() { # containerd shims serving DIR's containerd, and the containers below them
  local socket="$dir/dx/containerd/containerd.sock" cmdline pid shims=()
  for cmdline in /proc/[0-9]*/cmdline; do
    pid=${cmdline#/proc/}; pid=${pid%/cmdline}
    if tr '\0' ' ' <"$cmdline" 2>/dev/null | grep -q -- "^[^ ]*containerd-shim[^ ]* .*-address $socket\( \|$\)"; then
      shims+=("$pid")
    fi
  done
  for pid in "${shims[@]}"; do
    # The container's init first: the kernel then ends its whole PID namespace.
    for child in $(descendants "$pid"); do
      kill -KILL "$child" 2>/dev/null || true
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${shims[@]}"; do
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  done
}

wait_for() { # name url-or-socket: polls /_ping (engines) or /v2/ (registry) for 60 s
  local name=$1 target=$2
  for _ in $(seq 600); do
    if [[ "$target" == /* ]]; then
      curl -sf --unix-socket "$target" http://d/_ping >/dev/null 2>&1 && return 0
    else
      curl -sf "$target" >/dev/null 2>&1 && return 0
    fi
    if ! kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then
      echo "engines.sh: $name exited during startup:" >&2
      tail -n 20 "$dir/$name.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "engines.sh: $name did not become ready in 60 s:" >&2
  tail -n 20 "$dir/$name.log" >&2
  return 1
}

start_dockerd() {
  echo '{}' >"$dir/daemon.json"
  setsid dockerd --config-file "$dir/daemon.json" --host "unix://$dir/docker.sock" \
    --data-root "$dir/docker" --exec-root "$dir/dx" --pidfile "$dir/dockerd.pidfile" \
    --iptables=false --ip-masq=false --bridge=none --storage-driver=vfs \
    >"$dir/dockerd.log" 2>&1 </dev/null &
  echo $! >"$dir/dockerd.pid"
}

start_podman() { # name socket
  CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_REGISTRIES_CONF="$dir/registries.conf" \
    CONTAINERS_STORAGE_CONF="$dir/storage.conf" \
    setsid podman --log-level=warn system service --time=0 "unix://$2" \
    >"$dir/$1.log" 2>&1 </dev/null &
  echo $! >"$dir/$1.pid"
}

remove_dir() { # engines may still be writing their last files when their process is gone
  for _ in 1 2 3 4 5; do
    rm -rf "$dir" 2>/dev/null && return 0
    sleep 1
  done
  rm -rf "$dir"
}

if [[ "$cmd" == stop ]]; then
  stop_all
  remove_dir
  exit 0
fi
if [[ "$cmd" == extra-podman ]]; then
  name=${3:?usage: engines.sh extra-podman DIR NAME}
  start_podman "$name" "$dir/$name.sock"
  wait_for "$name" "$dir/$name.sock"
  chmod 0666 "$dir/$name.sock"
  echo "$dir/$name.sock"
  exit 0
fi
[[ "$cmd" == start || "$cmd" == dockerd ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
shift 2

stop_all
remove_dir
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [[ "$cmd" == dockerd ]]; then
  trap 'echo "engines.sh: dockerd failed to start; log in $dir/dockerd.log" >&2; stop_all' ERR
  start_dockerd
  wait_for dockerd "$dir/docker.sock"
  chmod 0711 "$dir"
  chmod 0666 "$dir/docker.sock"
  echo "$dir/docker.sock"
  exit 0
fi
trap 'echo "engines.sh: start failed; logs in $dir/*.log" >&2; stop_all' ERR

# --- registry ---------------------------------------------------------------------------
port=$(free_ports "$dir" 1)
mkdir -p "$dir/registry-data"
cat >"$dir/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $dir/registry-data}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$port}
EOF
setsid docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 </dev/null &
echo $! >"$dir/registry.pid"

# --- dockerd ----------------------------------------------------------------------------
start_dockerd

# --- podman -----------------------------------------------------------------------------
# crun fails on this kind of host (cgroups v1 hybrid, setrlimit): runc with explicit ulimits.
cat >"$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
log_driver = "k8s-file"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$dir/podman-tmp"
EOF
cat >"$dir/registries.conf" <<EOF
unqualified-search-registries = []
[[registry]]
location = "127.0.0.1:$port"
insecure = true
EOF
cat >"$dir/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$dir/podman"
runroot = "$dir/pr"
EOF
start_podman podman "$dir/podman.sock"

wait_for registry "http://127.0.0.1:$port/v2/"
wait_for dockerd "$dir/docker.sock"
wait_for podman "$dir/podman.sock"
# Tests also run the lane as an unprivileged user (output ownership).
chmod 0711 "$dir"
chmod 0666 "$dir/docker.sock" "$dir/podman.sock"

cat >"$dir/env" <<EOF
MDIVICOM_TEST_DOCKER_SOCK=$dir/docker.sock
MDIVICOM_TEST_PODMAN_SOCK=$dir/podman.sock
MDIVICOM_TEST_REGISTRY=127.0.0.1:$port
EOF
trap - ERR
cat "$dir/env"

if [[ $# -gt 0 ]]; then
  status=0
  MDIVICOM_TEST_ENGINES_DIR="$dir" "$@" || status=$?
  if [[ $status -ne 0 ]]; then
    echo "engines.sh: '$*' failed ($status); stopping the engines" >&2
    stop_all
    exit "$status"
  fi
fi

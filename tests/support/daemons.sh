# Helpers the scripts that start test daemons share (tests/container/engines.sh,
# tests/slurm/cluster.sh); sourced, not run.

descendants() { # pid: its children, grandchildren, ..., parents before children
  ps -eo pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END {
      keep[root] = 1; order[0] = root; n = 1
      for (i = 0; i < n; i++)
        for (pid in parent)
          if (parent[pid] == order[i] && !(pid in keep)) { keep[pid] = 1; order[n++] = pid }
      for (i = 1; i < n; i++) print order[i]
    }'
}

free_ports() { # dir count: the first of `count` consecutive TCP ports, derived from dir, none in use
  local dir=$1 count=$2 port in_use i
  port=$((20000 + $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 20000))
  while true; do
    in_use=0
    for ((i = 0; i < count; i++)); do
      if ss -Hltn "sport = :$((port + i))" | grep -q .; then
        in_use=1
      fi
    done
    [[ $in_use -eq 0 ]] && break
    port=$((port + count))
  done
  echo "$port"
}

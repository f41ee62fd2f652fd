#!/usr/bin/env bash
# Fills DIR with a minimal root filesystem: Debian's static busybox, one link per applet, and
# the directories a container runtime expects. No network, no registry: everything comes from
# the busybox-static package on this machine.
#   busybox_rootfs.sh DIR
set -euo pipefail

dir=${1:?usage: busybox_rootfs.sh DIR}
busybox=$(command -v busybox || true)
if [[ -z "$busybox" ]] || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
  for candidate in /bin/busybox /usr/bin/busybox; do
    if [[ -x "$candidate" ]]; then busybox=$candidate; fi
  done
fi
if [[ -z "$busybox" || ! -x "$busybox" ]]; then
  echo "busybox_rootfs.sh: no busybox found; install it with 'apt-get install busybox-static'" >&2
  exit 1
fi
if ldd "$busybox" >/dev/null 2>&1; then
  echo "busybox_rootfs.sh: $busybox is dynamically linked; install 'busybox-static'" >&2
  exit 1
fi

mkdir -p "$dir"/{bin,etc,tmp,proc,sys,dev,data,out,work,mdivicom}
chmod 1777 "$dir/tmp"
install -m 0755 "$busybox" "$dir/bin/busybox"
for applet in $("$busybox" --list); do
  [[ "$applet" == busybox ]] || ln -sf busybox "$dir/bin/$applet"
done
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"

#!/usr/bin/env bash
# Installs every Debian package mdivicom needs to build, test and run its demo.
# Idempotent and quick when everything is already there. Needs root (or sudo) for apt-get.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config ccache clang-format-14 clang-tidy
  libcurl4-openssl-dev nlohmann-json3-dev libssl-dev libcli11-dev libarchive-dev
  libspdlog-dev libfmt-dev catch2 libvalijson-dev libre2-dev libtomlplusplus-dev libpython3.11-dev python3 python3-venv
  # tests: a C++ extension module (apt_pkg) run inside the Python worker
  python3-apt
  # tests and make deb: the .deb's Depends (dpkg-shlibdeps), its man pages formatted (groff), its
  # zsh and fish completions tried in those shells
  dpkg-dev groff-base zsh fish
  # tests: the HTML report opened in a real headless browser (tests/inproc/test_report_browser.cpp)
  chromium
  # fuzzing (make fuzz): clang with libFuzzer and the sanitizers' runtimes
  clang-14 libclang-rt-14-dev
  # container lane: engines, runtime, local registry, test image material
  docker.io podman runc conmon catatonit uidmap docker-registry busybox-static zstd
  curl iproute2 util-linux
  # Slurm tests: a private single-node cluster (tests/slurm/cluster.sh)
  slurm-wlm munge procps
  # benchmarks
  hyperfine
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

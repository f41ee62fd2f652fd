#!/usr/bin/env bash
# Runs each libFuzzer target of tests/fuzz for SECONDS, one after the other, on one core.
#   scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]
# The corpus grows in BUILD_DIR/fuzz-corpus/<target>/ (seeded from tests/fuzz/corpus/<target>/);
# a crash is saved as BUILD_DIR/fuzz-crashes/<target>-crash-<sha1> and fails the script.
# Reproduce one with: BUILD_DIR/tests/fuzz/fuzz_<target> <file>
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(manifest config config_schema resultbundle inventory run_record pyproject demux json_stream mountinfo
           archive_names run_inputs dist_record)
fi

# The longest input worth trying per target: big enough for every structure the parser knows.
max_len() {
  case "$1" in
    inventory | mountinfo | archive_names) echo 4096 ;;
    demux) echo 8192 ;;
    *) echo 16384 ;;
  esac
}

mkdir -p "$build/fuzz-crashes"
failed=()
for target in "${targets[@]}"; do
  binary="$build/tests/fuzz/fuzz_$target"
  seeds="tests/fuzz/corpus/$target"
  corpus="$build/fuzz-corpus/$target"
  mkdir -p "$corpus"
  dict=()
  if [ -f "tests/fuzz/$target.dict" ]; then
    dict=(-dict="tests/fuzz/$target.dict")
  fi
  echo "== fuzz $target: ${seconds}s, seeds $(find "$seeds" -type f | wc -l), corpus $(find "$corpus" -type f | wc -l)"
  if ! "$binary" "$corpus" "$seeds" "${dict[@]}" -max_total_time="$seconds" -max_len="$(max_len "$target")" \
      -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 -artifact_prefix="$build/fuzz-crashes/$target-" \
      >"$build/fuzz-$target.log" 2>&1; then
    tail -n 60 "$build/fuzz-$target.log"
    failed+=("$target")
  fi
  grep -E '^stat::number_of_executed_units|^Done|^#[0-9]+.*DONE' "$build/fuzz-$target.log" | tail -n 2 || true
  echo "   corpus now $(find "$corpus" -type f | wc -l) inputs"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}; the inputs are in $build/fuzz-crashes/" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a crash"

#!/usr/bin/env bash
# clang-tidy (.clang-tidy) on what changed since BASE: the changed .cpp files of src/ and every
# .cpp of src/ that includes a changed header, directly or through other headers (all of them
# when .clang-tidy itself changed). Exits 1 on any finding, 2 when it cannot run. The whole of
# src/ at once: `cmake --build build --target tidy`.
#   scripts/tidy.sh [--quick] [--list] [BASE]
#     BASE     a commit (default: the merge-base of HEAD and main, else of HEAD and origin/main)
#     --quick  instead of every includer of a changed header, one .cpp that includes it (its
#              namesake when compiled): the header's own findings, at the cost of one file;
#              a changed .clang-tidy is only mentioned
#     --list   print the files that would be checked, check none
# Environment: BUILD (default build; its compile_commands.json is used), JOBS (default nproc),
# CLANG_TIDY (default clang-tidy-14). Changes not committed yet count too, as do new files.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD:-build}
jobs=${JOBS:-$(nproc)}
clang_tidy=${CLANG_TIDY:-clang-tidy-14}
quick=0
list_only=0
while [[ ${1:-} == --* ]]; do
  case $1 in
  --quick) quick=1 ;;
  --list) list_only=1 ;;
  *) echo "tidy.sh: unknown option $1; usage: scripts/tidy.sh [--quick] [--list] [BASE]" >&2 && exit 2 ;;
  esac
  shift
done

fail() {
  echo "tidy.sh: $*" >&2
  exit 2
}
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "tidy.sh: $root is not a git checkout: no change to check (the whole of src/: cmake --build $build --target tidy)"
  exit 0
fi
[[ $list_only -eq 1 ]] || command -v "$clang_tidy" >/dev/null ||
  fail "$clang_tidy not found; install it with 'apt-get install clang-tidy' (scripts/install-deps.sh) or set CLANG_TIDY"
[[ -f "$build/compile_commands.json" ]] ||
  fail "no $build/compile_commands.json; configure first: cmake -S . -B $build (or set BUILD)"
if [[ $# -gt 0 ]]; then
  base=$1
else
  base=$(git merge-base HEAD main 2>/dev/null || git merge-base HEAD origin/main 2>/dev/null) ||
    fail "no merge-base of HEAD and main or origin/main; name the base: scripts/tidy.sh BASE"
fi
git rev-parse --verify --quiet "$base^{commit}" >/dev/null || fail "$base is not a commit"

# src/ paths changed since BASE (committed or not) or new, that still exist.
mapfile -t changed < <({
  git diff --name-only --diff-filter=d "$base" -- src
  git ls-files --others --exclude-standard -- src
} | sort -u)
mapfile -t all_headers < <(git ls-files --cached --others --exclude-standard -- 'src/*.hpp' | sort -u)
mapfile -t all_sources < <(git ls-files --cached --others --exclude-standard -- 'src/*.cpp' | sort -u)

compiled() { # FILE: true when this build has a compile command for FILE
  grep -qF "\"file\": \"$root/$1\"" "$build/compile_commands.json"
}
declare -A headers=() # include names ("core/util/fs.hpp") of changed headers and their includers
includes_a_header() { # FILE: true when FILE includes one of `headers`
  local included
  while read -r included; do
    [[ -n "${headers[$included]:-}" ]] && return 0
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1")
  return 1
}
close_headers() { # adds to `headers` every header that includes one of them, until none is added
  local grown=1 header
  while [[ $grown -eq 1 ]]; do
    grown=0
    for header in "${all_headers[@]}"; do
      [[ -f "$header" && -z "${headers[${header#src/}]:-}" ]] || continue
      if includes_a_header "$header"; then
        headers["${header#src/}"]=1
        grown=1
      fi
    done
  done
}

declare -A selected=()
for file in "${changed[@]}"; do
  [[ "$file" == *.cpp ]] && selected["$file"]=1
done
config_changed=0
[[ -z "$(git diff --name-only "$base" -- .clang-tidy)" ]] || config_changed=1
if [[ $config_changed -eq 1 && $quick -eq 1 ]]; then
  echo "tidy.sh: .clang-tidy changed since $(git rev-parse --short "$base"); check all of src/ without --quick" >&2
fi
if [[ $config_changed -eq 1 && $quick -eq 0 ]]; then
  for source in "${all_sources[@]}"; do
    [[ -f "$source" ]] && selected["$source"]=1
  done
elif [[ $quick -eq 0 ]]; then
  for file in "${changed[@]}"; do
    [[ "$file" == *.hpp ]] && headers["${file#src/}"]=1
  done
  if [[ ${#headers[@]} -gt 0 ]]; then
    close_headers
    for source in "${all_sources[@]}"; do
      [[ -f "$source" ]] && includes_a_header "$source" && selected["$source"]=1
    done
  fi
else
  for file in "${changed[@]}"; do
    [[ "$file" == *.hpp ]] || continue
    if [[ -f "${file%.hpp}.cpp" ]] && compiled "${file%.hpp}.cpp"; then
      selected["${file%.hpp}.cpp"]=1
      continue
    fi
    headers=(["${file#src/}"]=1)
    close_headers
    for source in "${all_sources[@]}"; do
      if [[ -f "$source" ]] && compiled "$source" && includes_a_header "$source"; then
        selected["$source"]=1
        break
      fi
    done
  done
fi

# Only what this build compiles (a source of another configuration has no compile command).
mapfile -t files < <(printf '%s\n' "${!selected[@]}" | sed '/^$/d' | sort)
checked=()
for file in "${files[@]}"; do
  if compiled "$file"; then
    checked+=("$file")
  else
    echo "tidy.sh: skipping $file: not compiled in $build" >&2
  fi
done
if [[ $list_only -eq 1 ]]; then
  [[ ${#checked[@]} -eq 0 ]] || printf '%s\n' "${checked[@]}"
  exit 0
fi
since=$(git rev-parse --short "$base")
if [[ ${#checked[@]} -eq 0 ]]; then
  echo "tidy.sh: no source file of src/ affected since $since"
  exit 0
fi
echo "tidy.sh: ${#checked[@]} file(s) affected since $since, $jobs at a time"

# One clang-tidy per file; GCC's warning options in the compile commands are unknown to clang.
printf '%s\n' "${checked[@]}" |
  xargs -d '\n' -n 1 -P "$jobs" "$clang_tidy" -p "$build" --quiet --warnings-as-errors='*' \
    --extra-arg=-Wno-unknown-warning-option || {
  echo "tidy.sh: findings above; fix the code (or, for a check not worth it, disable it in .clang-tidy with a reason)" >&2
  exit 1
}
echo "tidy.sh: clean"

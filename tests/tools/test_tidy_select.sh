#!/usr/bin/env bash
# scripts/tidy.sh in a small git repository of its own: which files it checks (changed sources,
# sources that include a changed header through other headers, new files, not what is
# unchanged or not compiled; all after a change of .clang-tidy; with --quick one includer per
# changed header, its namesake first)
# and its exit status (1 on a finding, 0 when clean). clang-tidy is
# replaced by a stand-in that reports a finding for files containing FINDING.
#   test_tidy_select.sh SCRIPTS_TIDY_SH
set -euo pipefail
tidy=$(realpath "${1:?usage: test_tidy_select.sh scripts/tidy.sh}")
repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT
cd "$repo"

fail() {
  echo "FAILED: $*" >&2
  exit 1
}
expect_list() { # [--quick] BASE EXPECTED...: tidy.sh --list BASE prints exactly EXPECTED (sorted)
  local options=(--list)
  [[ $1 != --quick ]] || { options+=(--quick) && shift; }
  local base=$1
  shift
  local got expected
  got=$(scripts/tidy.sh "${options[@]}" "$base")
  expected=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
  [[ "$got" == "$expected" ]] || fail "tidy.sh ${options[*]} $base printed [$got], expected [$expected]"
}

git init -q -b main .
git config user.email t@example.invalid
git config user.name test
mkdir -p scripts src/util src/core build
cp "$tidy" scripts/tidy.sh
echo '#pragma once' >src/util/base.hpp
printf '#pragma once\n#include "util/base.hpp"\n' >src/util/middle.hpp
echo '#pragma once' >src/core/b.hpp
printf '#include "util/middle.hpp"\n#include "core/b.hpp"\nint a;\n' >src/core/a.cpp # base.hpp through middle.hpp
printf '#include "util/base.hpp"\n#include "core/b.hpp"\nint b;\n' >src/core/b.cpp  # base.hpp directly
printf 'int c;\n' >src/core/c.cpp                                  # nothing
printf '#include "util/middle.hpp"\nint d;\n' >src/core/other_config.cpp # not compiled here
echo 'build/' >.gitignore
echo 'Checks: -*' >.clang-tidy
{
  echo '['
  for f in a b c new; do
    printf '{"directory": "%s/build", "command": "c++ -c %s/src/core/%s.cpp", "file": "%s/src/core/%s.cpp"},\n' \
      "$repo" "$repo" "$f" "$repo" "$f"
  done
  echo '{}]'
} >build/compile_commands.json
git add -A
git commit -qm base
base=$(git rev-parse HEAD)

expect_list "$base" ""
echo '// edited' >>src/core/c.cpp
expect_list "$base" src/core/c.cpp
echo '// edited' >>src/util/base.hpp
expect_list "$base" src/core/a.cpp src/core/b.cpp src/core/c.cpp
expect_list --quick "$base" src/core/a.cpp src/core/c.cpp # the first includer of base.hpp
git commit -qam "committed changes count too"
printf 'int n;\n' >src/core/new.cpp
expect_list "$base" src/core/a.cpp src/core/b.cpp src/core/c.cpp src/core/new.cpp
git checkout -qb topic
expect_list HEAD src/core/new.cpp
echo '// edited' >>src/core/b.hpp
expect_list HEAD src/core/a.cpp src/core/b.cpp src/core/new.cpp
expect_list --quick HEAD src/core/b.cpp src/core/new.cpp # b.hpp's namesake
git checkout -q src/core/b.hpp
echo '# edited' >>.clang-tidy
expect_list HEAD src/core/a.cpp src/core/b.cpp src/core/c.cpp src/core/new.cpp # all compiled sources
expect_list --quick HEAD src/core/new.cpp
git checkout -q .clang-tidy
git add -A && git commit -qm new && git checkout -q main && git merge -q --ff-only topic && git checkout -q topic
echo '// edited' >>src/util/middle.hpp
# Without BASE: the merge-base with main, which is HEAD here.
[[ "$(scripts/tidy.sh --list)" == "src/core/a.cpp" ]] || fail "the default base is not the merge-base with main"

# Exit status: a stand-in clang-tidy that finds something in files containing FINDING.
cat >fake-clang-tidy <<'EOF'
#!/usr/bin/env bash
for arg in "$@"; do file=$arg; done
if grep -q FINDING "$file"; then echo "$file:1:1: error: a finding [fake-check]"; exit 1; fi
EOF
chmod +x fake-clang-tidy
CLANG_TIDY=$PWD/fake-clang-tidy scripts/tidy.sh >out.txt 2>&1 || fail "clean files: exit $? ($(cat out.txt))"
echo '// FINDING' >>src/core/a.cpp
status=0
CLANG_TIDY=$PWD/fake-clang-tidy scripts/tidy.sh >out.txt 2>&1 || status=$?
[[ $status -eq 1 ]] || fail "a finding: exit $status, expected 1 ($(cat out.txt))"
grep -q "src/core/a.cpp:1:1: error: a finding" out.txt || fail "the finding is not shown: $(cat out.txt)"
status=0
scripts/tidy.sh --list not-a-commit >out.txt 2>&1 || status=$?
[[ $status -eq 2 ]] || fail "a bad BASE: exit $status, expected 2"
echo "ok"

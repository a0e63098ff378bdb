#!/usr/bin/env bash
# Runs skiff's whole test suite as root: set-up, static checks, unit and
# integration tests. The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
deno=.tools/node_modules/deno/deno
export DENO_DIR=$PWD/.tools/deno_dir # the cache the set-up filled (see bin/skiff)
export SKIFF_TEST_STRICT=1 # nothing skips here: a test whose needs are missing fails
passed=0 failed=0 skipped=0

step() { # name, command...
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); else
    echo "FAILED: $name" >&2
    failed=$((failed + 1))
  fi
}
step "deno fmt --check" $deno fmt --check --quiet
step "deno lint" $deno lint --quiet
step "deno check" $deno check --quiet main.ts src tests bench
# Doc-comment examples run as tests; one that needs a store, root or a container is `ts ignore`.
# Only files with a code block can hold one (deno check covers the rest). On success only the
# summary line is printed; on a failure everything but the lines of passing files and examples.
doc_examples() { # files...
  local out rc
  out=$(NO_COLOR=1 $deno test --doc -A --quiet "$@" 2>&1)
  rc=$?
  if [[ $rc -eq 0 ]]; then grep -E '^(ok|FAILED) \|' <<<"$out" | sed 's/^/doc examples: /'; else
    grep -vE '^running [0-9]+ tests? from |^\S+ \.\.\. ok \(' <<<"$out"
  fi
  return $rc
}
mapfile -t sources < <(git ls-files 'src/*.ts' 2>/dev/null || find src -name '*.ts')
mapfile -t with_examples < <(grep -l '```' "${sources[@]}")
step "doc examples (deno test --doc)" doc_examples "${with_examples[@]}"
step "C tests (make -C ffi test)" make -s -C ffi test

log=$(mktemp)
coverage=$(mktemp -d)
# (no type check here: the "deno check" step above checked tests/ already)
NO_COLOR=1 $deno test -A --quiet --no-check --coverage="$coverage" --coverage-raw-data-only tests/ 2>&1 | tee "$log"
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -1)
if [[ -z $summary ]]; then
  failed=$((failed + 1))
else
  passed=$((passed + $(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$summary")))
  failed=$((failed + $(sed -E 's/.*passed[^|]*\| ([0-9]+) failed.*/\1/' <<<"$summary")))
  skipped=$(sed -nE 's/.*\| ([0-9]+) ignored.*/\1/p' <<<"$summary")
fi
rm -f "$log"
# Line coverage of src/ by the tests, in-process and in the `skiff` processes they run as root
# (deno passes DENO_COVERAGE_DIR on to them), over the modules that were loaded.
# A skiff killed on purpose (the torture and kill tests) may leave a truncated profile: drop those.
$deno eval --quiet 'for (const e of Deno.readDirSync(Deno.args[0])) {
  const p = `${Deno.args[0]}/${e.name}`;
  try { JSON.parse(Deno.readTextFileSync(p)); } catch { Deno.removeSync(p, { recursive: true }); }
}' "$coverage" 2>/dev/null
lines=$(NO_COLOR=1 $deno coverage --exclude='tests/' "$coverage" 2>/dev/null | grep 'All files' |
  awk -F'|' '{gsub(/ /, "", $5); print $5}')
echo "line coverage of src/ (modules loaded by the tests and the skiff they run): ${lines:-unknown}%"
rm -rf "$coverage"
echo "${skipped:-0} skipped"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

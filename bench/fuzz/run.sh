#!/usr/bin/env bash
# Builds the libFuzzer harnesses of skiff's C library and runs each for a set time, one process
# each, one after the other (see bench/fuzz/README.md).
#
# Usage: bench/fuzz/run.sh [HARNESS...]        (default: unpack plan)
#   FUZZ_SECONDS  seconds per harness (default 60); 0 only replays the committed corpus
#   FUZZ_OUT      work directory (default /tmp/skiff-fuzz): build/, corpus/<h>/ (inputs the
#                 fuzzer found, kept between runs), artifacts/<h>/ (crashing inputs), <h>.log
#   FUZZ_CC       compiler (default clang)
#
# Prints one line per harness, "HARNESS: S s, N execs, N crashes", and exits non-zero when a
# harness crashed (the input is in FUZZ_OUT/artifacts/<h>/, the report in FUZZ_OUT/<h>.log).
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
src=$here/../../ffi/src
inc=$here/../../ffi/include
out=${FUZZ_OUT:-/tmp/skiff-fuzz}
seconds=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-clang}
harnesses=("$@")
[[ ${#harnesses[@]} -gt 0 ]] || harnesses=(unpack plan)

# Debian's clang (with its libFuzzer runtime) is installed on first use when it is missing.
if ! command -v "$cc" >/dev/null && [[ $cc == clang && $(id -u) -eq 0 ]] &&
  command -v apt-get >/dev/null; then
  apt-get install -y -q clang libclang-rt-14-dev >&2 || true
fi
command -v "$cc" >/dev/null || {
  echo "Error: $cc is required (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
}

# The library sources each harness needs (nothing else of ffi/src is linked in).
sources() {
  case $1 in
  unpack) echo "$src/unpack.c $src/unpack_fs.c $src/unpack_sparse.c" ;;
  plan) echo "$src/plan.c $src/caps.c $src/mounts.c $src/seccomp.c $src/util.c $src/resolve.c" ;;
  *)
    echo "Error: unknown harness \"$1\" (expected unpack or plan)" >&2
    exit 2
    ;;
  esac
}
dict() { case $1 in unpack) echo "$here/tar.dict" ;; plan) echo "$here/plan.dict" ;; esac }

mkdir -p "$out/build"
flags=(-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
  -fno-sanitize-recover=all -D_GNU_SOURCE -I"$inc" -I"$src" -Wall -Wextra)
for h in "${harnesses[@]}"; do
  # shellcheck disable=SC2046 # the source list is split on purpose
  "$cc" "${flags[@]}" -o "$out/build/${h}_fuzz" "$here/${h}_fuzz.c" $(sources "$h")
done

status=0
for h in "${harnesses[@]}"; do
  mkdir -p "$out/corpus/$h" "$out/artifacts/$h"
  log=$out/$h.log
  args=(-dict="$(dict "$h")" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$out/artifacts/$h/")
  before=$(find "$out/artifacts/$h" -type f | wc -l)
  rc=0
  if [[ $seconds -eq 0 ]]; then
    # Replay: every committed input once (the seeds and the inputs of past crashes).
    nice -n 10 "$out/build/${h}_fuzz" "${args[@]}" "$here/corpus/$h"/* >"$log" 2>&1 || rc=$?
  else
    # New inputs go to the first directory; the committed corpus is only read.
    nice -n 10 "$out/build/${h}_fuzz" "${args[@]}" -max_total_time="$seconds" \
      "$out/corpus/$h" "$here/corpus/$h" >"$log" 2>&1 || rc=$?
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
  time=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE '[0-9]+ second' |
    grep -oE '[0-9]+' | tail -1 || true)
  crashes=$(($(find "$out/artifacts/$h" -type f | wc -l) - before))
  if [[ $rc -ne 0 && $crashes -eq 0 ]]; then crashes=1; fi
  echo "$h: ${time:-$seconds} s, ${execs:-0} execs, $crashes crashes"
  if [[ $rc -ne 0 ]]; then
    status=1
    grep -E '^(==[0-9]+==ERROR|SUMMARY|unpack_fuzz|plan_fuzz|.*runtime error)' "$log" | head -5 >&2
    echo "  report: $log; inputs: $out/artifacts/$h/" >&2
  fi
done
exit $status

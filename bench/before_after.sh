#!/usr/bin/env bash
# Compares two revisions of skiff on the hot commands, in one run, interleaved: `version`,
# `run --rm busybox true`, `exec` of `true` into a running container and `ps -a` with N
# containers. Used to show a restructuring costs nothing (each median within 5%).
#
# Each round runs every command once on each side, the side that goes first alternating from
# round to round, so that a change in the machine's load falls on both sides alike. Reports
# the median wall time and the median CPU time (user + system of the command and the
# processes it waited for) of each side, and the median of the per-round ratios after/before
# with its interquartile range: on a busy machine the CPU figures are the ones to trust.
#
# Usage: bench/before_after.sh BEFORE_REV [AFTER_REV]   (as root; AFTER defaults to the work tree)
# Environment: RUNS=30 (rounds), PS_CONTAINERS=500
# Needs the fixtures of tests/fixtures/make_images.sh.
set -euo pipefail
export LC_ALL=C
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BEFORE="${1:?usage: bench/before_after.sh BEFORE_REV [AFTER_REV]}"
AFTER="${2:-}"
RUNS="${RUNS:-30}"
PS_CONTAINERS="${PS_CONTAINERS:-500}"
FIX="${SKIFF_FIXTURES:-/tmp/skiff-fixtures-v2}"
bash "$REPO/tests/fixtures/make_images.sh" "$FIX" >/dev/null

TMP="$(mktemp -d /tmp/sbaXXXXXX)"
cleanup() {
  set +e
  for side in before after; do
    [[ -x "$TMP/$side/bin/skiff" ]] || continue
    "$TMP/$side/bin/skiff" --root "$TMP/$side.root" --runroot "$TMP/$side.run" rm -f bench-exec \
      >/dev/null 2>&1
  done
  awk -v d="$TMP/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    xargs -r -n1 umount -l 2>/dev/null
  # only the worktrees made here: a side that is a symlink to the work tree (no AFTER_REV) must
  # never be removed, or git removes the caller's own (linked) worktree through it
  for side in before after; do
    [[ -L "$TMP/$side" ]] || git -C "$REPO" worktree remove --force "$TMP/$side" 2>/dev/null
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

checkout() { # side rev
  if [[ -z "$2" ]]; then
    ln -s "$REPO" "$TMP/$1"
    return
  fi
  git -C "$REPO" worktree add -q --detach "$TMP/$1" "$2"
  ln -s "$REPO/.tools" "$TMP/$1/.tools"
  make -s -C "$TMP/$1/ffi" >/dev/null
}
checkout before "$BEFORE"
checkout after "$AFTER"

for side in before after; do
  s=("$TMP/$side/bin/skiff" --root "$TMP/$side.root" --runroot "$TMP/$side.run")
  "${s[@]}" load -q -i "$FIX/busybox.oci.tar" >/dev/null
  "${s[@]}" tag "$("${s[@]}" images -q | head -1)" busybox:latest
  "${s[@]}" run -d --name bench-exec busybox sleep 3600 >/dev/null
  for i in $(seq 1 "$PS_CONTAINERS"); do "${s[@]}" create busybox true >/dev/null; done
done

TIMEFORMAT="%R %U %S"
run_once() { # side bench-index args...: appends "bench side wall cpu" to $TMP/times
  local side=$1 bench=$2 t
  shift 2
  t=$({ time "$TMP/$side/bin/skiff" --root "$TMP/$side.root" --runroot "$TMP/$side.run" "$@" \
    >/dev/null 2>&1; } 2>&1)
  read -r wall user sys <<<"$t"
  echo "$bench $side $wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >>"$TMP/times"
}
benches=("version" "run --rm busybox true" "exec bench-exec true" "ps -a")
for round in $(seq 1 "$RUNS"); do
  if ((round % 2)); then order=(before after); else order=(after before); fi
  for b in "${!benches[@]}"; do
    read -r -a args <<<"${benches[$b]}"
    for side in "${order[@]}"; do run_once "$side" "$b" "${args[@]}"; done
  done
done
# rounds pair up in order: the nth "before" of a bench with its nth "after"
"$REPO/.tools/node_modules/deno/deno" eval --quiet '
  const names = Deno.args.slice(1);
  const rows = Deno.readTextFileSync(Deno.args[0]).trim().split("\n").map((l) => l.split(" "));
  const med = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
  names.forEach((name, b) => {
    const side = (s, i) => rows.filter((r) => r[0] === String(b) && r[1] === s).map((r) => Number(r[i]));
    const out = [name.padEnd(24)];
    for (const [label, i] of [["wall", 2], ["cpu", 3]]) {
      const before = side("before", i), after = side("after", i);
      const ratios = after.map((a, k) => a / before[k]);
      out.push(`${label} ${(med(before) * 1000).toFixed(1)} -> ${(med(after) * 1000).toFixed(1)} ms ` +
        `ratio ${med(ratios).toFixed(3)} [${q(ratios, 0.25).toFixed(2)}-${q(ratios, 0.75).toFixed(2)}]`);
    }
    console.log(out.join("  "));
  });
' "$TMP/times" "${benches[@]}"

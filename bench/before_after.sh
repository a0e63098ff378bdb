#!/usr/bin/env bash
# Compares two revisions of skiff on the hot commands, in one run, alternating: `version`,
# `run --rm busybox true`, `exec` of `true` into a running container and `ps -a` with N
# containers. Used to show a restructuring costs nothing (each median within 5%).
#
# Usage: bench/before_after.sh BEFORE_REV [AFTER_REV]   (as root; AFTER defaults to the work tree)
# Environment: RUNS=30 (hyperfine runs per command), PS_CONTAINERS=500
# Needs hyperfine and the fixtures of tests/fixtures/make_images.sh.
set -euo pipefail
export LC_ALL=C
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BEFORE="${1:?usage: bench/before_after.sh BEFORE_REV [AFTER_REV]}"
AFTER="${2:-}"
RUNS="${RUNS:-30}"
PS_CONTAINERS="${PS_CONTAINERS:-500}"
FIX="${SKIFF_FIXTURES:-/tmp/skiff-fixtures}"
command -v hyperfine >/dev/null || {
  echo "Error: hyperfine is required (apt-get install hyperfine)" >&2
  exit 1
}
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

cmd() { # side args...
  local side=$1
  shift
  printf '%q ' "$TMP/$side/bin/skiff" --root "$TMP/$side.root" --runroot "$TMP/$side.run" "$@"
}
for bench in "version" "run --rm busybox true" "exec bench-exec true" "ps -a"; do
  read -r -a args <<<"$bench"
  hyperfine -N -w 3 -r "$RUNS" --export-json "$TMP/h.json" -n before "$(cmd before "${args[@]}")" \
    -n after "$(cmd after "${args[@]}")" >/dev/null 2>&1
  "$REPO/.tools/node_modules/deno/deno" eval --quiet '
    const r = JSON.parse(Deno.readTextFileSync(Deno.args[0])).results;
    const [b, a] = r.map((x) => x.median * 1000);
    console.log(`${Deno.args[1].padEnd(24)} before ${b.toFixed(1)} ms  after ${a.toFixed(1)} ms  ratio ${(a / b).toFixed(3)}`);
  ' "$TMP/h.json" "$bench"
done

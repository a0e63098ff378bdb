#!/usr/bin/env bash
# Runs skiff's benchmarks side by side with podman and reports medians and ratios.
#
# Usage: bench/run.sh            (as root; see bench/README.md)
# Environment:
#   ROUNDS=5          rounds for slow benchmarks (pull, parallel run)
#   FAST_ROUNDS=10    rounds for quick benchmarks (run, exec, ps)
#   BENCHES="pull startup images run exec monitor parallel ps"   which ones to run
#   TAGS=500          tags for the `images` benchmark
#   PS_CONTAINERS=500 containers for the `ps -a` benchmark
#   PARALLEL=20       concurrent `run --rm` for the parallel benchmark
#   RUN_ARGS=""       extra arguments for every `run` (both engines), e.g. "--network none"
#   SKIFF=bin/skiff   the skiff command to measure
#   DROP_CACHES=0     1: drop the page cache before each cold pull (also evicts both binaries)
#   HYPERFINE_RUNS=30 runs per command for the hyperfine benchmarks
# Output: a table on stdout, and bench/results/latest.json (plus a timestamped copy).
set -euo pipefail
export LC_ALL=C

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SKIFF="${SKIFF:-$REPO/bin/skiff}"
DENO="${DENO:-$REPO/.tools/node_modules/deno/deno}"
ROUNDS="${ROUNDS:-5}"
FAST_ROUNDS="${FAST_ROUNDS:-10}"
BENCHES="${BENCHES:-pull startup images run exec monitor parallel ps}"
TAGS="${TAGS:-500}"
PS_CONTAINERS="${PS_CONTAINERS:-500}"
PARALLEL="${PARALLEL:-20}"
read -r -a RUN_ARGS <<<"${RUN_ARGS:-}"
FIX="${SKIFF_FIXTURES:-/tmp/skiff-fixtures-v2}"
BIG="${BIG_IMAGE:-/tmp/skiff-bench/big}"
RESULTS_DIR="$REPO/bench/results"

if [[ $EUID -ne 0 ]]; then
  echo "Error: bench/run.sh must run as root (podman and skiff run containers)" >&2
  exit 1
fi
# The tools the bench drives (each Debian package is named like its command): installed when
# missing, as the set-up does for the tests.
missing=()
for tool in podman skopeo umoci hyperfine runc; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "bench: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    { echo "Error: could not install ${missing[*]}" >&2; exit 1; }
fi

# Short names on purpose: unix socket paths under a runroot
# (run/containers/<64 hex>/attach) must fit in 107 bytes.
TMP="$(mktemp -d /tmp/sbXXXXXX)"
RESULTS="$TMP/results.tsv"
: >"$RESULTS"
REG_PID=""
SKIFF_CONTAINERS=()

log() { printf '%s\n' "$*" >&2; }

# --- clean-up -------------------------------------------------------------------------------

umount_under() {
  local dir="$1"
  local round mps
  for round in 1 2 3 4 5; do
    mps="$(awk -v d="$dir/" 'index($5, d) == 1 || $5 == substr(d, 1, length(d) - 1) {print $5}' \
      /proc/self/mountinfo | sort -r)"
    [[ -z "$mps" ]] && return 0
    while IFS= read -r mp; do umount -l "$mp" 2>/dev/null || true; done <<<"$mps"
    : "$round"
  done
}

# Removes a store directory: unmounts what is mounted under it first.
rm_store() {
  umount_under "$1"
  rm -rf "$1"
}

cleanup() {
  set +e
  local id
  for id in "${SKIFF_CONTAINERS[@]}"; do
    timeout 20 "$SKIFF" --root "$TMP/s/root" --runroot "$TMP/s/run" rm -f "$id" \
      >/dev/null 2>&1
  done
  if [[ -d "$TMP/p" ]]; then
    # Every container, created ones too: podman's locks outlive a deleted store.
    podman --root "$TMP/p/root" --runroot "$TMP/p/run" ps -aq 2>/dev/null |
      xargs -r timeout 60 podman --root "$TMP/p/root" \
        --runroot "$TMP/p/run" rm -f -t 0 >/dev/null 2>&1
  fi
  if [[ -n "$REG_PID" ]]; then
    kill "$REG_PID" 2>/dev/null
    wait "$REG_PID" 2>/dev/null
  fi
  rm_store "$TMP"
}
trap cleanup EXIT
# Podman keeps container locks in /dev/shm/libpod_lock across stores, and earlier runs that
# were interrupted leak them (2048 at most). With no podman left running, start afresh.
if ! pgrep -x conmon >/dev/null && ! pgrep -x podman >/dev/null; then
  rm -f /dev/shm/libpod_lock
fi
trap 'exit 130' INT TERM

# --- measuring ------------------------------------------------------------------------------

LAST_MS=""
LAST_ERR=""
# first_line FILE: first non-blank line, without terminal colours or tabs, at most 160 chars.
first_line() {
  sed -e 's/\x1b\[[0-9;]*m//g' -e 's/\t/ /g' "$1" | { grep -v '^[[:space:]]*$' || true; } |
    head -n1 | cut -c1-160
}
# time_cmd CMD...: runs CMD, output to $TMP/last.{out,err}; sets LAST_MS (wall ms) and
# LAST_ERR (first stderr line on failure); returns CMD's status.
time_cmd() {
  local t0 t1 rc=0
  t0="${EPOCHREALTIME/./}"
  "$@" >"$TMP/last.out" 2>"$TMP/last.err" || rc=$?
  t1="${EPOCHREALTIME/./}"
  LAST_MS="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')"
  LAST_ERR=""
  if [[ $rc -ne 0 ]]; then
    LAST_ERR="exit $rc: $(first_line "$TMP/last.err")"
    [[ "$LAST_ERR" == "exit $rc: " ]] && LAST_ERR="exit $rc: $(first_line "$TMP/last.out")"
  fi
  return $rc
}

median() {
  tr ' ' '\n' | { grep -v '^$' || true; } | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print ""; exit }
      if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# record NAME METRIC SKIFF_VALUE PODMAN_VALUE KIND TARGET NOTE
#   KIND "ratio": compares skiff/podman against TARGET (max ratio);
#   KIND "diff": skiff value is already a difference in ms, compared against TARGET (max ms).
record() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
}

want() { [[ " $BENCHES " == *" $1 "* ]]; }

# Alternating A/B loop. bench_ab NAME ROUNDS PREP_FN SKIFF_FN PODMAN_FN TARGET [SKIFF_SKIP]
# PREP_FN is called with "skiff"/"podman" and the round before each timed call (untimed).
# A non-empty SKIFF_SKIP marks the skiff side skipped with that reason (podman still runs).
bench_ab() {
  local name="$1" rounds="$2" prep="$3" sfn="$4" pfn="$5" target="$6"
  local s_times=() p_times=() s_err="${7:-}" p_err="" r order eng
  for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then order=(skiff podman); else order=(podman skiff); fi
    for eng in "${order[@]}"; do
      if [[ $eng == skiff ]]; then
        [[ -n "$s_err" ]] && continue
        "$prep" skiff "$r" || { s_err="prepare failed"; continue; }
        if time_cmd "$sfn" "$r"; then s_times+=("$LAST_MS"); else s_err="$LAST_ERR"; fi
      else
        [[ -n "$p_err" ]] && continue
        "$prep" podman "$r" || { p_err="prepare failed"; continue; }
        if time_cmd "$pfn" "$r"; then p_times+=("$LAST_MS"); else p_err="$LAST_ERR"; fi
      fi
    done
    log "  $name round $r: skiff ${s_times[*]:-} ${s_err:+($s_err)} | podman ${p_times[*]:-} ${p_err:+($p_err)}"
  done
  local sm pm note=""
  sm="$(echo "${s_times[*]:-}" | median)"
  pm="$(echo "${p_times[*]:-}" | median)"
  [[ -n "$s_err" ]] && { sm=""; note="skipped: skiff ${s_err#skipped: skiff }"; }
  [[ -n "$p_err" ]] && { pm=""; note="${note:+$note; }podman failed: $p_err"; }
  record "$name" "wall ms (median of $rounds)" "$sm" "$pm" ratio "$target" "$note"
}

no_prep() { :; }

# --- set-up ---------------------------------------------------------------------------------

bash "$REPO/scripts/podman_setup.sh"
log "building fixtures and the big image (cached)..."
bash "$REPO/tests/fixtures/make_images.sh" "$FIX"
bash "$REPO/bench/make_big_image.sh" "$BIG"

"$DENO" run -A "$REPO/bench/registry.ts" "$TMP/host" &
REG_PID=$!
for _ in $(seq 1 300); do
  [[ -s "$TMP/host" ]] && break
  sleep 0.05
done
[[ -s "$TMP/host" ]] || {
  echo "Error: the registry did not start" >&2
  exit 1
}
HOST="$(cat "$TMP/host")"
log "registry at $HOST; pushing images..."
skopeo copy -q --dest-tls-verify=false "oci:$BIG:latest" "docker://$HOST/big:latest"
skopeo copy -q --dest-tls-verify=false "oci:$FIX/busybox:latest" "docker://$HOST/busybox:latest"
IMG="$HOST/busybox:latest"

SKIFF_OK=1
SKIFF_MISSING=""
if [[ ! -x "$SKIFF" ]]; then
  SKIFF_OK=0
  SKIFF_MISSING="skipped: skiff not found at $SKIFF"
fi

# Engines over their own stores. sk/pm take the store directory as first argument.
sk() {
  local d="$1"
  shift
  "$SKIFF" --root "$d/root" --runroot "$d/run" "$@"
}
pm() {
  local d="$1"
  shift
  podman --root "$d/root" --runroot "$d/run" "$@"
}

# --- (a) cold pull --------------------------------------------------------------------------

pull_prep() {
  rm_store "$TMP/pull-$1"
  mkdir -p "$TMP/pull-$1"
  sync
  if [[ "${DROP_CACHES:-0}" == 1 ]]; then echo 3 >/proc/sys/vm/drop_caches; fi
}
pull_skiff() { sk "$TMP/pull-skiff" pull --tls-verify=false "$HOST/big:latest"; }
pull_podman() { pm "$TMP/pull-podman" pull --tls-verify=false "$HOST/big:latest"; }

if want pull; then
  log "== cold pull of the big image ($(du -sh "$BIG" | cut -f1))"
  bench_ab "pull big image (cold)" "$ROUNDS" pull_prep pull_skiff pull_podman 0.7 \
    "$SKIFF_MISSING"
  rm_store "$TMP/pull-skiff"
  rm_store "$TMP/pull-podman"
fi

# --- (b) start-up ---------------------------------------------------------------------------

# hyperfine_pair OUT_JSON CMD_A CMD_B: prints "median_a median_b" in ms.
hyperfine_pair() {
  local out="$1" a="$2" b="$3"
  hyperfine -N --warmup 3 --runs "${HYPERFINE_RUNS:-30}" --export-json "$out" "$a" "$b" \
    >"$TMP/hyperfine.log" 2>&1 || return 1
  "$DENO" eval --quiet '
    const r = JSON.parse(Deno.readTextFileSync(Deno.args[0])).results;
    console.log(r.map((x) => (x.median * 1000).toFixed(1)).join(" "));
  ' "$out"
}

if want startup; then
  log "== start-up: skiff version vs bare deno run"
  echo "" >"$TMP/empty.ts"
  if ((SKIFF_OK)) && time_cmd "$SKIFF" version; then
    if res="$(hyperfine_pair "$TMP/startup.json" "$SKIFF version" \
      "$DENO run -A --no-check --quiet $TMP/empty.ts")"; then
      read -r a b <<<"$res"
      record "startup: skiff version - bare deno" "median ms" "$a" "$b" diff 10 \
        "difference $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", a - b }') ms; podman column is bare deno"
    else
      record "startup: skiff version - bare deno" "median ms" "" "" diff 10 \
        "skipped: hyperfine failed: $(tail -n1 "$TMP/hyperfine.log")"
    fi
  else
    record "startup: skiff version - bare deno" "median ms" "" "" diff 10 \
      "${SKIFF_MISSING:-skipped: skiff version $LAST_ERR}"
  fi
fi

# --- (c) images with many tags --------------------------------------------------------------

if want images; then
  log "== images with $TAGS tags"
  D="$TMP/images-skiff"
  mkdir -p "$D"
  note=""
  if ((SKIFF_OK)); then
    if ! time_cmd sk "$D" pull --tls-verify=false "$IMG"; then
      note="skipped: skiff pull $LAST_ERR"
    else
      for ((i = 1; i <= TAGS; i++)); do
        if ! time_cmd sk "$D" tag "$IMG" "localhost/bench/t$i:latest"; then
          note="skipped: skiff tag $LAST_ERR"
          break
        fi
      done
    fi
    if [[ -z "$note" ]] && ! time_cmd sk "$D" images; then note="skipped: skiff images $LAST_ERR"; fi
    if [[ -z "$note" ]]; then
      n="$(grep -c 'bench/t' "$TMP/last.out" || true)"
      if res="$(hyperfine_pair "$TMP/images.json" \
        "$SKIFF --root $D/root --runroot $D/run images" \
        "$SKIFF --root $D/root --runroot $D/run version")"; then
        read -r a b <<<"$res"
        record "images ($TAGS tags) - version" "median ms" "$a" "$b" diff 100 \
          "difference $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", a - b }') ms; $n tag rows listed; podman column is skiff version"
      else
        note="skipped: hyperfine failed: $(tail -n1 "$TMP/hyperfine.log")"
      fi
    fi
  else
    note="$SKIFF_MISSING"
  fi
  [[ -n "$note" ]] && record "images ($TAGS tags) - version" "median ms" "" "" diff 100 "$note"
  rm_store "$D"
fi

# --- (d) runtime ----------------------------------------------------------------------------

SRT="$TMP/s"
PRT="$TMP/p"
mkdir -p "$SRT" "$PRT"
need_runtime=0
for b in run exec monitor parallel ps; do want "$b" && need_runtime=1; done
SKIFF_RT_ERR="$SKIFF_MISSING"
if ((need_runtime)); then
  log "== preparing runtime stores"
  pm "$PRT" pull -q --tls-verify=false "$IMG" >/dev/null
  if ((SKIFF_OK)); then
    if ! time_cmd sk "$SRT" pull --tls-verify=false "$IMG"; then
      SKIFF_RT_ERR="skipped: skiff pull $LAST_ERR"
    fi
  fi
fi

run_skiff() { sk "$SRT" run --rm "${RUN_ARGS[@]}" "$IMG" true; }
run_podman() { pm "$PRT" run --rm "${RUN_ARGS[@]}" "$IMG" true; }
if want run; then
  log "== run --rm true"
  bench_ab "run --rm true" "$FAST_ROUNDS" no_prep run_skiff run_podman 0.5 "$SKIFF_RT_ERR"
fi

exec_skiff() { sk "$SRT" exec bench-exec true; }
exec_podman() { pm "$PRT" exec bench-exec true; }
if want exec; then
  log "== exec into a running container"
  pm "$PRT" run -d --name bench-exec "${RUN_ARGS[@]}" "$IMG" sleep 100000 >/dev/null
  skip="$SKIFF_RT_ERR"
  if [[ -z "$skip" ]]; then
    if time_cmd sk "$SRT" run -d --name bench-exec "${RUN_ARGS[@]}" "$IMG" sleep 100000; then
      SKIFF_CONTAINERS+=(bench-exec)
    else
      skip="skipped: skiff run -d $LAST_ERR"
    fi
  fi
  bench_ab "exec true" "$FAST_ROUNDS" no_prep exec_skiff exec_podman 0.5 "$skip"
  [[ -z "$skip" ]] && { sk "$SRT" rm -f bench-exec >/dev/null 2>&1 || true; }
  pm "$PRT" rm -f -t 0 bench-exec >/dev/null 2>&1 || true
fi

# monitor_mem ENGINE-FN STORE NAME: prints "rss_kb pss_kb" of the parent of the container's
# first process (conmon for podman, skiff's monitor for skiff).
monitor_mem() {
  local fn="$1" d="$2" name="$3" pid ppid
  pid="$("$fn" "$d" inspect --format '{{.State.Pid}}' "$name" 2>/dev/null | head -n1)"
  [[ "$pid" =~ ^[0-9]+$ && "$pid" -gt 0 ]] || return 1
  ppid="$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")"
  awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } END { print r, p }' "/proc/$ppid/smaps_rollup"
}
if want monitor; then
  log "== monitor memory per detached container"
  s_rss=() s_pss=() p_rss=() p_pss=() note="$SKIFF_RT_ERR" p_note=""
  for i in 1 2 3; do
    pm "$PRT" run -d --name "bench-mon$i" "${RUN_ARGS[@]}" "$IMG" sleep 100000 >/dev/null
    if [[ -z "$note" ]]; then
      if time_cmd sk "$SRT" run -d --name "bench-mon$i" "${RUN_ARGS[@]}" "$IMG" sleep 100000; then
        SKIFF_CONTAINERS+=("bench-mon$i")
      else
        note="skipped: skiff run -d $LAST_ERR"
      fi
    fi
  done
  sleep 1
  for i in 1 2 3; do
    if read -r r p < <(monitor_mem pm "$PRT" "bench-mon$i"); then
      p_rss+=("$r") p_pss+=("$p")
    else
      p_note="podman failed: cannot read conmon's memory"
    fi
    if [[ -z "$note" ]]; then
      if read -r r p < <(monitor_mem sk "$SRT" "bench-mon$i"); then
        s_rss+=("$r") s_pss+=("$p")
      else
        note="skipped: cannot find skiff's monitor (inspect --format '{{.State.Pid}}' failed)"
      fi
    fi
  done
  [[ -n "$note" ]] && s_rss=() s_pss=()
  note="$note${p_note:+${note:+; }$p_note}"
  record "monitor PSS per container" "KiB (median of 3)" "$(echo "${s_pss[*]:-}" | median)" \
    "$(echo "${p_pss[*]:-}" | median)" ratio 0.5 "$note"
  record "monitor RSS per container" "KiB (median of 3)" "$(echo "${s_rss[*]:-}" | median)" \
    "$(echo "${p_rss[*]:-}" | median)" ratio 0.5 "$note"
  for i in 1 2 3; do
    pm "$PRT" rm -f -t 0 "bench-mon$i" >/dev/null 2>&1 || true
    [[ -z "$SKIFF_RT_ERR" ]] && { sk "$SRT" rm -f "bench-mon$i" >/dev/null 2>&1 || true; }
  done
fi

# parallel_run ENGINE-FN STORE: PARALLEL concurrent run --rm; fails if any fails.
parallel_run() {
  local fn="$1" d="$2" pids=() i rc=0
  for ((i = 0; i < PARALLEL; i++)); do
    "$fn" "$d" run --rm "${RUN_ARGS[@]}" "$IMG" true >/dev/null 2>"$TMP/par.$i.err" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      rc=1
      cat "$TMP/par.$i.err" >&2
    fi
  done
  return $rc
}
par_skiff() { parallel_run sk "$SRT"; }
par_podman() { parallel_run pm "$PRT"; }
if want parallel; then
  log "== $PARALLEL parallel run --rm"
  bench_ab "$PARALLEL parallel run --rm" "$ROUNDS" no_prep par_skiff par_podman 0.3 \
    "$SKIFF_RT_ERR"
fi

# create_many ENGINE-FN STORE: creates PS_CONTAINERS containers, 8 at a time.
create_many() {
  local fn="$1" d="$2"
  export -f sk pm
  export SKIFF IMG
  seq 1 "$PS_CONTAINERS" | xargs -P 8 -I{} bash -c \
    "$fn \"\$0\" create --name bench-ps-{} \"\$IMG\" true >/dev/null" "$d"
}
ps_skiff() { sk "$SRT" ps -a; }
ps_podman() { pm "$PRT" ps -a; }
if want ps; then
  log "== ps -a with $PS_CONTAINERS containers"
  pm "$PRT" rm -af -t 0 >/dev/null 2>&1 || true
  create_many pm "$PRT" 2>"$TMP/create.err" ||
    log "podman create failed: $(head -n1 "$TMP/create.err")"
  skip="$SKIFF_RT_ERR"
  if [[ -z "$skip" ]] && ! create_many sk "$SRT" 2>"$TMP/create.err"; then
    skip="skipped: skiff create failed: $(first_line "$TMP/create.err")"
  fi
  bench_ab "ps -a ($PS_CONTAINERS containers)" "$FAST_ROUNDS" no_prep ps_skiff ps_podman 0.5 \
    "$skip"
fi

# --- report ---------------------------------------------------------------------------------

mkdir -p "$RESULTS_DIR"
"$DENO" run -A "$REPO/bench/report.ts" "$RESULTS" "$RESULTS_DIR" \
  "rounds=$ROUNDS" "fast_rounds=$FAST_ROUNDS" "registry=$HOST" \
  "commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "podman=$(podman --version | awk '{print $3}')" "skiff=$SKIFF"

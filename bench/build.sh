#!/usr/bin/env bash
# `build` side by side: skiff, podman (runc) and docker (a dockerd started here, BuildKit with
# DOCKER_BUILDKIT=1) in one run, the engines' order rotating from round to round.
#
#   cached  a ten-step Dockerfile FROM busybox rebuilt with nothing changed (every step
#           cached). Issue 10's target: skiff <= 0.3x docker.
#   change  the same after one file copied by the last COPY changed: that COPY and the RUN
#           after it run again. Target: <= 0.5x docker.
#   cold    a Debian image (debootstrap --variant=minbase, imported into each engine) with
#           `RUN apt-get update` and `RUN apt-get install -y ...`, built with --no-cache.
#           Target: <= 0.9x docker.
#   floors  what no engine can beat: `skiff version` (a process start: the floor of a cached
#           build) and, for cold, the same apt-get commands in one `skiff run --rm` (the work
#           without a layer made).
#   load    the image skiff built, saved (`skiff save`) and loaded into podman and docker,
#           run there: the bench says OK or FAILED for each.
#
# Usage: bench/build.sh  (as root; installs podman, runc, docker.io and debootstrap when
# missing: the test set-up installs none of them). Environment: ROUNDS=10 (cached, change),
# COLD_ROUNDS=3, BENCHES="cached change cold load", PACKAGES="file" (what the cold build
# installs), SUITE=bookworm, MIRROR=http://deb.debian.org/debian, SKIFF=bin/skiff.
# The Debian image is debootstrapped once and kept in /tmp/skiff-bench/debian-$SUITE.tar.
set -euo pipefail
export LC_ALL=C

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SKIFF="${SKIFF:-$REPO/bin/skiff}"
ROUNDS="${ROUNDS:-10}"
COLD_ROUNDS="${COLD_ROUNDS:-3}"
BENCHES="${BENCHES:-cached change cold load}"
PACKAGES="${PACKAGES:-file}"
SUITE="${SUITE:-bookworm}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
FIX="${SKIFF_FIXTURES:-/tmp/skiff-fixtures-v2}"
DEBIAN_TAR="/tmp/skiff-bench/debian-$SUITE.tar"

if [[ $EUID -ne 0 ]]; then
  echo "Error: bench/build.sh must run as root" >&2
  exit 1
fi
missing=()
for pkg in podman runc docker.io debootstrap; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "bench: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    { echo "Error: could not install ${missing[*]}" >&2; exit 1; }
fi
bash "$REPO/scripts/podman_setup.sh" # runc, cgroupfs, default_ulimits = [] for this host
DOCKER=/usr/bin/docker

# Short names: unix socket paths under a runroot must fit in 107 bytes.
TMP="$(mktemp -d /tmp/sbXXXXXX)"
RESULTS="$TMP/results.tsv"
: >"$RESULTS"
DOCKERD_PID=""
log() { printf '%s\n' "$*" >&2; }
want() { [[ " $BENCHES " == *" $1 "* ]]; }

sk() { "$SKIFF" --root "$TMP/s/root" --runroot "$TMP/s/run" "$@"; }
pm() { podman --root "$TMP/p/root" --runroot "$TMP/p/run" "$@"; }
DK_BUILDKIT=1 # 0 when docker.io has no BuildKit client (Debian 12's needs buildx, not packaged)
dk() { DOCKER_BUILDKIT="$DK_BUILDKIT" "$DOCKER" -H "unix://$TMP/d.sock" "$@"; }

cleanup() {
  set +e
  sk ps -aq --no-trunc 2>/dev/null | xargs -r timeout 60 "$SKIFF" --root "$TMP/s/root" \
    --runroot "$TMP/s/run" rm -f >/dev/null 2>&1
  pm ps -aq 2>/dev/null | xargs -r timeout 60 podman --root "$TMP/p/root" \
    --runroot "$TMP/p/run" rm -f -t 0 >/dev/null 2>&1
  if [[ -n "$DOCKERD_PID" ]]; then
    kill "$DOCKERD_PID" 2>/dev/null
    wait "$DOCKERD_PID" 2>/dev/null
  fi
  awk -v d="$TMP/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ms CMD...: runs CMD (output discarded), prints its wall time in ms, or nothing when it failed.
ms() {
  local t0 t1
  t0="${EPOCHREALTIME/./}"
  "$@" >/dev/null 2>"$TMP/last.err" || { log "failed: $* ($(tail -c 300 "$TMP/last.err"))"; return 0; }
  t1="${EPOCHREALTIME/./}"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) / 1000 }'
}
median() {
  tr ' ' '\n' | { grep -v '^$' || true; } | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
      if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
record() { printf '%s\t%s\t%s\n' "$@" >>"$RESULTS"; } # name, value, note
rotate() {
  local n="$1"
  shift
  local a=("$@") k=$((n % $#))
  echo "${a[@]:k}" "${a[@]:0:k}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
least() { printf '%s\n' "$@" | grep -v '^-$' | sort -g | head -1; }

# --- the engines ----------------------------------------------------------------------------

bash "$REPO/tests/fixtures/make_images.sh" "$FIX" >/dev/null
IMG_TAR="$FIX/busybox.docker.tar"
mkdir -p "$TMP/s/root" "$TMP/s/run" "$TMP/p" "$TMP/d"
log "== preparing skiff, podman and docker (dockerd of the bench's own)"
dockerd --data-root "$TMP/d/root" --exec-root "$TMP/d/x" --pidfile "$TMP/d/pid" \
  -H "unix://$TMP/d.sock" --iptables=false --bridge none --log-level error \
  >"$TMP/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 1 300); do
  dk version >/dev/null 2>&1 && break
  sleep 0.1
done
dk version >/dev/null 2>&1 || { echo "Error: dockerd did not start: $(tail -3 "$TMP/dockerd.log")" >&2; exit 1; }
DOCKER_VERSION="$(dk version --format '{{.Server.Version}}')"
sk load -q -i "$IMG_TAR" >/dev/null
pm load -q -i "$IMG_TAR" >/dev/null
dk load -q -i "$IMG_TAR" >/dev/null
# BuildKit or the classic builder: BuildKit prints "#N [..]" step lines with --progress=plain
probe="$TMP/probe"
mkdir -p "$probe"
printf 'FROM busybox\nRUN true\n' >"$probe/Dockerfile"
if dk build --network host --progress=plain -t probe "$probe" >"$TMP/probe.log" 2>&1 && grep -q '^#[0-9]' "$TMP/probe.log"; then
  DOCKER_BUILDER="BuildKit (DOCKER_BUILDKIT=1)"
else
  DOCKER_BUILDER="classic builder: DOCKER_BUILDKIT=1 said '$(grep -m1 -i error "$TMP/probe.log" | cut -c1-80)'"
  DK_BUILDKIT=0
fi
dk rmi -f probe >/dev/null 2>&1 || true
log "   docker $DOCKER_VERSION with the $DOCKER_BUILDER, podman $(podman version --format '{{.Client.Version}}')"

# build ENGINE ARGS...: one build on the host network, quietly.
build_sk() { sk build -q --network host "$@"; }
build_pm() { pm build -q --network host "$@"; }
build_dk() { dk build -q --network host "$@"; }

# --- cached and change: a ten-step Dockerfile FROM busybox ----------------------------------

CTX="$TMP/ctx"
mkdir -p "$CTX/src" "$CTX/assets"
for i in $(seq 1 200); do printf 'asset %s\n' "$i" >"$CTX/assets/a$i.txt"; done
head -c 4000000 /dev/urandom >"$CTX/assets/blob.bin"
printf 'v0\n' >"$CTX/src/main.txt"
cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox
ENV APP=/app
WORKDIR /app
COPY assets/ /app/assets/
RUN find /app/assets -type f | wc -l > /app/count
RUN mkdir -p /app/bin && cp /bin/busybox /app/bin/tool
LABEL org.example.bench=build
COPY src/ /app/src/
RUN cat /app/src/main.txt > /app/built
CMD ["cat", "/app/built"]
EOF

if want cached || want change; then
  log "== first builds (not measured)"
  for e in sk pm dk; do
    "build_$e" -t bench:ten "$CTX" >/dev/null 2>"$TMP/first.err" ||
      { echo "Error: the first $e build failed: $(tail -3 "$TMP/first.err")" >&2; exit 1; }
  done
fi

if want cached; then
  log "== cached: ten-step rebuild, nothing changed ($ROUNDS rounds)"
  declare -A T=()
  for ((r = 0; r < ROUNDS; r++)); do
    for e in $(rotate "$r" sk pm dk floor); do
      if [[ $e == floor ]]; then T[$e]+="$(ms "$SKIFF" version) "
      else T[$e]+="$(ms "build_$e" -t bench:ten "$CTX") "; fi
    done
  done
  s="$(echo "${T[sk]}" | median)" p="$(echo "${T[pm]}" | median)" d="$(echo "${T[dk]}" | median)"
  f="$(echo "${T[floor]}" | median)"
  record "cached rebuild: skiff (ms)" "$s" "median of $ROUNDS"
  record "cached rebuild: podman (ms)" "$p" ""
  record "cached rebuild: docker (ms)" "$d" "$DOCKER_BUILDER"
  record "floor: skiff version (ms)" "$f" "a process start"
  record "cached: skiff / docker" "$(ratio "$s" "$d")" "target <= 0.3"
  record "cached: skiff / best other" "$(ratio "$s" "$(least "$p" "$d")")" ""
fi

if want change; then
  log "== change: one file of the last COPY changed, rebuild ($ROUNDS rounds)"
  declare -A T=()
  for ((r = 0; r < ROUNDS; r++)); do
    printf 'v%s %s\n' "$r" "$RANDOM" >"$CTX/src/main.txt"
    for e in $(rotate "$r" sk pm dk); do
      T[$e]+="$(ms "build_$e" -t bench:ten "$CTX") "
    done
  done
  s="$(echo "${T[sk]}" | median)" p="$(echo "${T[pm]}" | median)" d="$(echo "${T[dk]}" | median)"
  record "one-file change: skiff (ms)" "$s" "median of $ROUNDS"
  record "one-file change: podman (ms)" "$p" ""
  record "one-file change: docker (ms)" "$d" "$DOCKER_BUILDER"
  record "change: skiff / docker" "$(ratio "$s" "$d")" "target <= 0.5"
  record "change: skiff / best other" "$(ratio "$s" "$(least "$p" "$d")")" ""
  got="$(sk run --rm bench:ten)"
  [[ "$got" == "$(cat "$CTX/src/main.txt")" ]] || log "WARNING: skiff's image has '$got'"
fi

# --- cold: a Debian image with apt-get -------------------------------------------------------

if want cold; then
  if [[ ! -s "$DEBIAN_TAR" ]]; then
    log "== debootstrap $SUITE (minbase) into $DEBIAN_TAR (once)"
    mkdir -p "$(dirname "$DEBIAN_TAR")"
    root="$TMP/debroot"
    debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$TMP/debootstrap.log" 2>&1 ||
      { echo "Error: debootstrap failed: $(tail -3 "$TMP/debootstrap.log")" >&2; exit 1; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" --numeric-owner -cf "$DEBIAN_TAR.tmp" .
    mv "$DEBIAN_TAR.tmp" "$DEBIAN_TAR"
    rm -rf "$root"
  fi
  sk import "$DEBIAN_TAR" bench/debian:base >/dev/null
  pm import -q "$DEBIAN_TAR" bench/debian:base >/dev/null
  dk import "$DEBIAN_TAR" bench/debian:base >/dev/null
  COLD="$TMP/cold"
  mkdir -p "$COLD"
  cat >"$COLD/Dockerfile" <<EOF
FROM bench/debian:base
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update
RUN apt-get install -y --no-install-recommends $PACKAGES
RUN rm -rf /var/lib/apt/lists/*
EOF
  log "== cold: Debian with apt-get install $PACKAGES, --no-cache ($COLD_ROUNDS rounds)"
  floor_cold() {
    sk run --rm --network host -e DEBIAN_FRONTEND=noninteractive bench/debian:base sh -c \
      "apt-get update && apt-get install -y --no-install-recommends $PACKAGES && rm -rf /var/lib/apt/lists/*"
  }
  declare -A T=()
  for ((r = 0; r < COLD_ROUNDS; r++)); do
    for e in $(rotate "$r" sk pm dk floor); do
      if [[ $e == floor ]]; then T[$e]+="$(ms floor_cold) "
      else T[$e]+="$(ms "build_$e" --no-cache -t bench:cold "$COLD") "; fi
    done
  done
  s="$(echo "${T[sk]}" | median)" p="$(echo "${T[pm]}" | median)" d="$(echo "${T[dk]}" | median)"
  f="$(echo "${T[floor]}" | median)"
  record "cold apt-get build: skiff (ms)" "$s" "median of $COLD_ROUNDS"
  record "cold apt-get build: podman (ms)" "$p" ""
  record "cold apt-get build: docker (ms)" "$d" "$DOCKER_BUILDER"
  record "floor: the commands in one skiff run (ms)" "$f" "no layer made"
  record "cold: skiff / docker" "$(ratio "$s" "$d")" "target <= 0.9"
  record "cold: skiff / best other" "$(ratio "$s" "$(least "$p" "$d")")" ""
  record "cold: skiff / floor" "$(ratio "$s" "$f")" ""
fi

# --- load: skiff's image in podman and docker ----------------------------------------------

if want load; then
  log "== load: skiff's image saved, loaded into podman and docker, run there"
  want cached || want change || build_sk -t bench:ten "$CTX" >/dev/null
  expect="$(sk run --rm bench:ten)"
  sk tag bench:ten skiffbuilt:latest
  check() { # ENGINE-FN NAME
    local out
    if ! sk save skiffbuilt:latest | "$1" load >/dev/null 2>"$TMP/load.err"; then
      record "load into $2" "FAILED" "$(head -c 200 "$TMP/load.err")"
      return
    fi
    out="$("$1" run --rm skiffbuilt:latest 2>&1)" || true
    if [[ "$out" == "$expect" ]]; then
      record "load into $2, run" "OK" "printed '$out'"
    else
      record "load into $2, run" "FAILED" "printed '$out', expected '$expect'"
    fi
  }
  check pm podman
  check dk docker
  if want cold; then
    first="${PACKAGES%% *}"
    if sk save bench:cold | dk load >/dev/null &&
      out="$(dk run --rm bench:cold dpkg-query -W -f '${Package} ${Version}' "$first" 2>&1)"; then
      record "Debian build loaded into docker, run" "OK" "dpkg-query: $out"
    else
      record "Debian build loaded into docker, run" "FAILED" "${out:-}"
    fi
  fi
fi

echo
echo "skiff build bench ($(date -u +%FT%TZ), $(git -C "$REPO" rev-parse --short HEAD), docker $DOCKER_VERSION: $DOCKER_BUILDER)"
awk -F'\t' '{ printf "%-46s %12s  %s\n", $1, $2, $3 }' "$RESULTS"

#!/usr/bin/env bash
# Bridge networking side by side: skiff's bridge driver next to podman (netavark) and docker (a
# dockerd started here), each on a bridge network the bench makes, in one run, the engines'
# order rotating from round to round.
#
#   run       `run --rm busybox true` on a skiff bridge network, on skiff with --network none,
#             on podman's bridge and on docker's bridge. Targets: skiff bridge - skiff none
#             <= 10 ms; skiff bridge <= 0.4x the faster of podman and docker.
#   parallel  PARALLEL (20) concurrent bridge `run --rm busybox true`: no failure, <= 0.4x podman.
#   tput      TCP throughput host -> container with iperf3 (TPUT_SECONDS per transfer) to the
#             container's bridge address, next to podman and docker, and over a bare veth pair
#             between the host and one namespace (the floor: no bridge, no firewall). The image
#             has no iperf3: the server is the host's iperf3 entered into the container's network
#             namespace (nsenter), which measures the network path alone.
#
# Usage: bench/network.sh   (as root; installs podman, netavark, docker.io, iperf3 and hyperfine
# when missing). Environment: ROUNDS=20 (run), PAR_ROUNDS=3, PARALLEL=20, TPUT_ROUNDS=3,
# TPUT_SECONDS=3, BENCHES="run parallel tput", SKIFF=bin/skiff.
# dockerd runs with --iptables=false: with its iptables rules it sets the host's FORWARD policy to
# DROP, which (br_netfilter being loaded here) cuts off bridged traffic of every other engine's
# containers on this machine. No bench run here publishes a docker port, so its run path is the
# same apart from the rules docker would add once, when it starts.
set -euo pipefail
export LC_ALL=C

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SKIFF="${SKIFF:-$REPO/bin/skiff}"
ROUNDS="${ROUNDS:-20}"
PAR_ROUNDS="${PAR_ROUNDS:-3}"
PARALLEL="${PARALLEL:-20}"
TPUT_ROUNDS="${TPUT_ROUNDS:-3}"
TPUT_SECONDS="${TPUT_SECONDS:-3}"
BENCHES="${BENCHES:-run parallel tput}"
FIX="${SKIFF_FIXTURES:-/tmp/skiff-fixtures-v2}"

if [[ $EUID -ne 0 ]]; then
  echo "Error: bench/network.sh must run as root" >&2
  exit 1
fi
missing=()
for pkg in podman netavark aardvark-dns docker.io iperf3 hyperfine; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "bench: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    { echo "Error: could not install ${missing[*]}" >&2; exit 1; }
fi
DOCKER=/usr/bin/docker # docker.io's client, the one that matches its dockerd

# Short names: unix socket paths under a runroot must fit in 107 bytes.
TMP="$(mktemp -d /tmp/snXXXXXX)"
RESULTS="$TMP/results.tsv"
: >"$RESULTS"
DOCKERD_PID=""
NS="sbench$$"
log() { printf '%s\n' "$*" >&2; }
want() { [[ " $BENCHES " == *" $1 "* ]]; }

sk() { "$SKIFF" --root "$TMP/s/root" --runroot "$TMP/s/run" "$@"; }
pm() { CONTAINERS_CONF="$TMP/containers.conf" podman --root "$TMP/p/root" --runroot "$TMP/p/run" "$@"; }
dk() { "$DOCKER" -H "unix://$TMP/d.sock" "$@"; }

cleanup() {
  set +e
  sk ps -aq --no-trunc 2>/dev/null | xargs -r timeout 60 "$SKIFF" --root "$TMP/s/root" \
    --runroot "$TMP/s/run" rm -f >/dev/null 2>&1
  sk network rm sbench >/dev/null 2>&1 # its bridge device and nft rules
  pm ps -aq 2>/dev/null | xargs -r timeout 60 podman --root "$TMP/p/root" \
    --runroot "$TMP/p/run" rm -f -t 0 >/dev/null 2>&1
  pm network rm -f sbench >/dev/null 2>&1
  # netavark leaves the network's bridge (podmanN) behind: the device holding its subnet
  ip -o -4 addr show to 10.235.0.0/24 | awk '{ print $2 }' | xargs -r -n1 ip link del 2>/dev/null
  if [[ -n "$DOCKERD_PID" ]]; then
    dk ps -aq 2>/dev/null | xargs -r timeout 60 "$DOCKER" -H "unix://$TMP/d.sock" rm -f \
      >/dev/null 2>&1
    kill "$DOCKERD_PID" 2>/dev/null
    wait "$DOCKERD_PID" 2>/dev/null
    ip link del sbdocker0 2>/dev/null
  fi
  ip netns del "$NS" 2>/dev/null
  ip link del sbveth0 2>/dev/null
  pkill -P $$ iperf3 2>/dev/null
  awk -v d="$TMP/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the engines ----------------------------------------------------------------------------

bash "$REPO/tests/fixtures/make_images.sh" "$FIX" >/dev/null
IMG_TAR="$FIX/busybox.docker.tar"

mkdir -p "$TMP/s/root" "$TMP/s/run" "$TMP/p" "$TMP/d" "$TMP/pnet"
log "== preparing skiff, podman (netavark) and docker stores"
sk load -q -i "$IMG_TAR" >/dev/null
# podman: the host's containers.conf with netavark and a network directory of the bench's own
{
  cat /etc/containers/containers.conf 2>/dev/null || true
  printf '\n[network]\nnetwork_backend = "netavark"\nnetwork_config_dir = "%s"\n' "$TMP/pnet"
} >"$TMP/containers.conf"
pm load -q -i "$IMG_TAR" >/dev/null
# no aardvark-dns, as on podman's default network
pm network create --subnet 10.235.0.0/24 --disable-dns sbench >/dev/null
[[ "$(pm info --format '{{.Host.NetworkBackend}}')" == netavark ]] ||
  { echo "Error: podman does not use netavark" >&2; exit 1; }
dockerd --data-root "$TMP/d/root" --exec-root "$TMP/d/x" --pidfile "$TMP/d/pid" \
  -H "unix://$TMP/d.sock" --iptables=false --bridge none --log-level error \
  >"$TMP/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 1 200); do
  dk version >/dev/null 2>&1 && break
  sleep 0.1
done
dk version >/dev/null 2>&1 || { echo "Error: dockerd did not start: $(tail -3 "$TMP/dockerd.log")" >&2; exit 1; }
dk load -q -i "$IMG_TAR" >/dev/null
dk network create --subnet 10.234.0.0/24 -o com.docker.network.bridge.name=sbdocker0 sbench \
  >/dev/null
# skiff: a bridge network of the bench's own (the same driver as the default `bridge`, whose
# device skiff0 every store on the host shares), made like podman's and docker's
sk network create --subnet 10.237.0.0/24 -o com.docker.network.bridge.name=sbskiff0 sbench \
  >/dev/null
IMG=busybox:latest
sk run --rm --network sbench "$IMG" true # its bridge and rules, once

run_sk_bridge() { sk run --rm --network sbench "$IMG" true; }
run_sk_none() { sk run --rm --network none "$IMG" true; }
run_pm_bridge() { pm run --rm --network sbench "$IMG" true; }
run_dk_bridge() { dk run --rm --network sbench "$IMG" true; }

# ms CMD...: runs CMD (output discarded), prints its wall time in ms, or nothing when it failed.
ms() {
  local t0 t1
  t0="${EPOCHREALTIME/./}"
  "$@" >/dev/null 2>"$TMP/last.err" || { log "failed: $* ($(head -c 200 "$TMP/last.err"))"; return 0; }
  t1="${EPOCHREALTIME/./}"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) / 1000 }'
}
median() {
  tr ' ' '\n' | { grep -v '^$' || true; } | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
      if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
record() { printf '%s\t%s\t%s\n' "$@" >>"$RESULTS"; } # name, value, note

# rotate N WORDS...: the words rotated left by N (each round starts with another engine).
rotate() {
  local n="$1"
  shift
  local a=("$@") k=$((n % $#))
  echo "${a[@]:k}" "${a[@]:0:k}"
}

# --- run --rm true --------------------------------------------------------------------------

if want run; then
  log "== run --rm true: skiff bridge, skiff none, podman bridge, docker bridge ($ROUNDS rounds)"
  declare -A T=()
  diffs=()
  for ((r = 0; r < ROUNDS; r++)); do
    declare -A this=()
    for e in $(rotate "$r" sk_bridge sk_none pm_bridge dk_bridge); do
      this[$e]="$(ms "run_$e")"
      T[$e]+="${this[$e]} "
    done
    if [[ -n "${this[sk_bridge]}" && -n "${this[sk_none]}" ]]; then
      diffs+=("$(awk -v a="${this[sk_bridge]}" -v b="${this[sk_none]}" 'BEGIN { printf "%.1f", a - b }')")
    fi
    log "  round $r: ${this[*]@K}"
  done
  sb="$(echo "${T[sk_bridge]}" | median)"
  sn="$(echo "${T[sk_none]}" | median)"
  pb="$(echo "${T[pm_bridge]}" | median)"
  db="$(echo "${T[dk_bridge]}" | median)"
  best="$(awk -v a="$pb" -v b="$db" 'BEGIN { print (a < b ? a : b) }')"
  fails=""
  for e in sk_bridge sk_none pm_bridge dk_bridge; do
    n="$(echo "${T[$e]}" | wc -w)"
    ((n < ROUNDS)) && fails+="$e failed $((ROUNDS - n)) "
  done
  record "run --rm true, skiff bridge (ms)" "$sb" "median of $ROUNDS${fails:+; $fails}"
  record "run --rm true, skiff --network none (ms)" "$sn" ""
  record "run --rm true, podman bridge/netavark (ms)" "$pb" ""
  record "run --rm true, docker bridge (ms)" "$db" ""
  record "skiff bridge - none, per round (ms)" "$(echo "${diffs[*]}" | median)" "target <= 10"
  record "skiff bridge / best of podman, docker" \
    "$(awk -v a="$sb" -v b="$best" 'BEGIN { printf "%.2f", a / b }')" "target <= 0.4"
fi

# --- parallel runs --------------------------------------------------------------------------

# parallel ENGINE-FN NETWORK: PARALLEL concurrent run --rm; prints the failures.
parallel() {
  local fn="$1" net="$2" pids=() i fails=0
  for ((i = 0; i < PARALLEL; i++)); do
    "$fn" run --rm --network "$net" "$IMG" true >/dev/null 2>"$TMP/par.$i.err" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { fails=$((fails + 1)); log "  $fn: $(head -c 200 "$TMP/par.$i.err")"; }
  done
  echo "$fails"
}
if want parallel; then
  log "== $PARALLEL parallel bridge run --rm ($PAR_ROUNDS rounds)"
  declare -A P=() F=()
  for ((r = 0; r < PAR_ROUNDS; r++)); do
    for e in $(rotate "$r" sk pm dk); do
      net=sbench
      t0="${EPOCHREALTIME/./}"
      f="$(parallel "$e" "$net")"
      t1="${EPOCHREALTIME/./}"
      P[$e]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }') "
      F[$e]=$((${F[$e]:-0} + f))
    done
    log "  round $r: skiff ${P[sk]} podman ${P[pm]} docker ${P[dk]}"
  done
  ps_="$(echo "${P[sk]}" | median)"
  pp="$(echo "${P[pm]}" | median)"
  pd="$(echo "${P[dk]}" | median)"
  record "$PARALLEL parallel, skiff bridge (ms)" "$ps_" "failures ${F[sk]} of $((PARALLEL * PAR_ROUNDS))"
  record "$PARALLEL parallel, podman bridge (ms)" "$pp" "failures ${F[pm]}"
  record "$PARALLEL parallel, docker bridge (ms)" "$pd" "failures ${F[dk]}"
  record "$PARALLEL parallel skiff / podman" \
    "$(awk -v a="$ps_" -v b="$pp" 'BEGIN { printf "%.2f", a / b }')" "target <= 0.4, no failures"
fi

# --- throughput -----------------------------------------------------------------------------

# iperf_to NETNS-FILE ADDRESS: an iperf3 server in the namespace, the client on the host;
# prints the receiver's Gbit/s.
iperf_to() {
  local ns="$1" addr="$2" port=5201 srv
  nsenter --net="$ns" iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
  srv=$!
  for _ in $(seq 1 50); do
    nsenter --net="$ns" ss -Hltn "sport = :$port" | grep -q . && break
    sleep 0.05
  done
  iperf3 -c "$addr" -p "$port" -t "$TPUT_SECONDS" -J >"$TMP/iperf.json" ||
    { kill "$srv" 2>/dev/null; return 1; }
  wait "$srv" 2>/dev/null || true
  awk '/"sum_received"/ { on = 1 } on && /"bits_per_second"/ {
    gsub(/[^0-9.e+]/, "", $2); printf "%.2f\n", $2 / 1e9; exit }' "$TMP/iperf.json"
}
if want tput; then
  log "== TCP throughput host -> container (iperf3, $TPUT_SECONDS s, $TPUT_ROUNDS rounds)"
  sid="$(sk run -d --network sbench "$IMG" sleep 3600)"
  sip="$(sk inspect -f '{{.NetworkSettings.IPAddress}}' "$sid")"
  pm run -d --name tput --network sbench "$IMG" sleep 3600 >/dev/null
  pip="$(pm inspect -f '{{.NetworkSettings.Networks.sbench.IPAddress}}' tput)"
  ppid="$(pm inspect -f '{{.State.Pid}}' tput)"
  dk run -d --name tput --network sbench "$IMG" sleep 3600 >/dev/null
  dip="$(dk inspect -f '{{.NetworkSettings.Networks.sbench.IPAddress}}' tput)"
  dpid="$(dk inspect -f '{{.State.Pid}}' tput)"
  # the floor: a bare veth pair, the host's end and one namespace's, no bridge, no rules
  ip netns add "$NS"
  ip link add sbveth0 type veth peer name eth0 netns "$NS"
  ip addr add 10.236.0.1/30 dev sbveth0
  ip link set sbveth0 up
  ip -n "$NS" addr add 10.236.0.2/30 dev eth0
  ip -n "$NS" link set eth0 up
  ip -n "$NS" link set lo up
  declare -A G=()
  for ((r = 0; r < TPUT_ROUNDS; r++)); do
    for e in $(rotate "$r" sk pm dk veth); do
      case $e in
        sk) g="$(iperf_to "$TMP/s/run/containers/$sid/netns" "$sip")" ;;
        pm) g="$(iperf_to "/proc/$ppid/ns/net" "$pip")" ;;
        dk) g="$(iperf_to "/proc/$dpid/ns/net" "$dip")" ;;
        veth) g="$(iperf_to "/run/netns/$NS" 10.236.0.2)" ;;
      esac
      G[$e]+="$g "
    done
    log "  round $r: skiff ${G[sk]} podman ${G[pm]} docker ${G[dk]} veth ${G[veth]}"
  done
  gs="$(echo "${G[sk]}" | median)"
  gp="$(echo "${G[pm]}" | median)"
  gd="$(echo "${G[dk]}" | median)"
  gv="$(echo "${G[veth]}" | median)"
  bestg="$(awk -v a="$gp" -v b="$gd" 'BEGIN { print (a > b ? a : b) }')"
  record "iperf3 host -> skiff container address (Gbit/s)" "$gs" "median of $TPUT_ROUNDS"
  record "iperf3 host -> podman container address (Gbit/s)" "$gp" ""
  record "iperf3 host -> docker container address (Gbit/s)" "$gd" ""
  record "iperf3 over a bare veth pair (Gbit/s)" "$gv" "the floor"
  record "skiff / best of podman, docker" \
    "$(awk -v a="$gs" -v b="$bestg" 'BEGIN { printf "%.2f", a / b }')" "target >= 1"
  record "skiff / bare veth" "$(awk -v a="$gs" -v b="$gv" 'BEGIN { printf "%.2f", a / b }')" \
    "target >= 0.8"
  # PUBLISHED PORT: once `run -p` lands, measure host -> 127.0.0.1:HOSTPORT here as well
  # (skiff `run -d -p 15201:5201`, podman and docker likewise, iperf3 server as above, client to
  # 127.0.0.1:15201), next to the container-address rows; the issue's target is for that path.
fi

# --- report ---------------------------------------------------------------------------------

echo
echo "bridge networking: skiff $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'), podman $(podman --version | awk '{print $3}') (netavark $(/usr/lib/podman/netavark --version 2>/dev/null | awk '{print $2}')), docker $(dk version -f '{{.Server.Version}}'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
awk -F'\t' '{ printf "%-52s %10s  %s\n", $1, $2, $3 }' "$RESULTS"

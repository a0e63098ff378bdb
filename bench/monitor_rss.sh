#!/usr/bin/env bash
# The per-container monitor's resident size with health checks and log rotation on: skiff's
# monitor next to conmon (podman's), in one run, on the same image and the same workload.
#
# Each engine runs one detached container that writes a line every millisecond (so its log
# rotates many times) with a health check every second and `--log-opt max-size=100k
# --log-opt max-file=3`. After SECONDS_RUN seconds (default 20), the script prints VmRSS and
# VmHWM (peak) of the parent of the container's first process (skiff-monitor, conmon), how
# many checks ran and what is left of the log on disk.
#
# Usage (root, from the repository root; podman configured by scripts/podman_setup.sh):
#   bash bench/monitor_rss.sh
# Then skiff alone runs a container that writes GIB GiB (default 1) of 100-byte lines with
# `--log-opt max-size=10m --log-opt max-file=3` and prints what is left on disk (at most 30 MB)
# and the monitor's peak resident size (VmHWM) while it rotated.
# Knobs: SECONDS_RUN, GIB, SKIFF (default bin/skiff).
set -euo pipefail
cd "$(dirname "$0")/.."
SKIFF="${SKIFF:-bin/skiff}"
SECONDS_RUN="${SECONDS_RUN:-20}"
GIB="${GIB:-1}"
ARCHIVE="${SKIFF_FIXTURES:-/tmp/skiff-fixtures-v2}/busybox.docker.tar"
[[ -f "$ARCHIVE" ]] || bash tests/fixtures/make_images.sh >/dev/null
TMP="$(mktemp -d /tmp/skiff-monitor-rss.XXXXXX)"
sk() { "$SKIFF" --root "$TMP/s/root" --runroot "$TMP/s/run" "$@"; }
pm() { podman --root "$TMP/p/root" --runroot "$TMP/p/run" "$@"; }
cleanup() {
  sk rm -f bench-rss bench-gib >/dev/null 2>&1 || true
  pm rm -f -t 0 bench-rss >/dev/null 2>&1 || true
  rm -rf "$TMP" 2>/dev/null || true
}
trap cleanup EXIT

WORK='while true; do echo "a line of output from the container, some bytes long"; usleep 1000; done'
ARGS=(-d --name bench-rss --health-cmd true --health-interval 1s
  --log-driver k8s-file --log-opt max-size=100k --log-opt max-file=3)

sk load -i "$ARCHIVE" >/dev/null
pm load -i "$ARCHIVE" >/dev/null 2>&1
sk run "${ARGS[@]}" busybox sh -c "$WORK" >/dev/null
pm run "${ARGS[@]}" busybox sh -c "$WORK" >/dev/null
sleep "$SECONDS_RUN"

# mem ENGINE-FN: "rss_kb hwm_kb" of the parent of the container's first process
mem() {
  local pid ppid
  pid="$("$1" inspect --format '{{.State.Pid}}' bench-rss)"
  ppid="$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")"
  awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r, h }' "/proc/$ppid/status"
}
checks() { "$1" inspect --format '{{if .State.Health}}{{len .State.Health.Log}} results, {{.State.Health.Status}}{{else}}no health state{{end}}' bench-rss 2>/dev/null || echo "no health state"; }
logsize() { du -cb "$@" 2>/dev/null | tail -n1 | cut -f1; }

read -r s_rss s_hwm < <(mem sk)
read -r p_rss p_hwm < <(mem pm)
s_id="$(sk inspect --format '{{.Id}}' bench-rss)"
p_log="$(pm inspect --format '{{.HostConfig.LogConfig.Path}}' bench-rss 2>/dev/null || true)"
[[ -n "$p_log" ]] || p_log="$(pm inspect --format '{{.LogPath}}' bench-rss)"
printf '%-14s %10s %10s  %-24s %s\n' engine "VmRSS KiB" "VmHWM KiB" "health" "log on disk (bytes)"
printf '%-14s %10s %10s  %-24s %s\n' skiff-monitor "$s_rss" "$s_hwm" "$(checks sk)" \
  "$(logsize "$TMP/s/root/containers/$s_id"/ctr.log*)"
printf '%-14s %10s %10s  %-24s %s\n' conmon "$p_rss" "$p_hwm" "$(checks pm)" \
  "$(logsize "$p_log"*)"

# 1 GiB through max-size=10m, max-file=3: what stays on disk, and the monitor's peak size
LINE="$(printf '%099d' 0)"
id="$(sk run -d --name bench-gib --log-opt max-size=10m --log-opt max-file=3 busybox \
  sh -c "sleep 1; yes $LINE | head -c $((GIB * 1073741824))")"
pid="$(sk inspect --format '{{.State.Pid}}' bench-gib)"
mon="$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")"
start=$(date +%s)
hwm=0
while [[ -r "/proc/$mon/status" ]]; do
  h="$(awk '/^VmHWM:/ { print $2 }' "/proc/$mon/status" 2>/dev/null || true)"
  [[ -n "$h" ]] && hwm="$h"
  sleep 0.5
done
secs=$(($(date +%s) - start))
printf '\n%s GiB of output through max-size=10m,max-file=3 in %ss: %s bytes of log on disk ' \
  "$GIB" "$secs" "$(logsize "$TMP/s/root/containers/$id"/ctr.log*)"
printf '(%s files), monitor VmHWM %s KiB\n' \
  "$(find "$TMP/s/root/containers/$id" -maxdepth 1 -name 'ctr.log*' | wc -l)" "$hwm"

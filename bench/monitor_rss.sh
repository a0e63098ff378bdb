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
# Knobs: SECONDS_RUN, SKIFF (default bin/skiff).
set -euo pipefail
cd "$(dirname "$0")/.."
SKIFF="${SKIFF:-bin/skiff}"
SECONDS_RUN="${SECONDS_RUN:-20}"
ARCHIVE="${SKIFF_FIXTURES:-/tmp/skiff-fixtures-v2}/busybox.docker.tar"
[[ -f "$ARCHIVE" ]] || bash tests/fixtures/make_images.sh >/dev/null
TMP="$(mktemp -d /tmp/skiff-monitor-rss.XXXXXX)"
sk() { "$SKIFF" --root "$TMP/s/root" --runroot "$TMP/s/run" "$@"; }
pm() { podman --root "$TMP/p/root" --runroot "$TMP/p/run" "$@"; }
cleanup() {
  sk rm -f bench-rss >/dev/null 2>&1 || true
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

#!/usr/bin/env bash
# Configures Debian's podman to work on this machine (hybrid cgroup v1 hosts, no systemd):
# runc instead of crun (crun refuses hybrid cgroups), cgroupfs, file event log, and no
# default ulimits. Idempotent: rewrites only the keys it owns, in a marked block.
#
# Usage: scripts/podman_setup.sh [--verify]
#   --verify  also build the fixtures, start a local registry, push busybox, and check that
#             `podman pull` + `podman run --rm` work with a throwaway --root/--runroot.
set -euo pipefail

CONF=/etc/containers/containers.conf
BEGIN="# BEGIN skiff podman_setup"
END="# END skiff podman_setup"

mkdir -p /etc/containers
touch "$CONF"

block="$BEGIN
[containers]
default_ulimits = []

[engine]
runtime = \"runc\"
cgroup_manager = \"cgroupfs\"
events_logger = \"file\"
$END"

if grep -qF "$BEGIN" "$CONF"; then
  # Replace the existing block in place.
  tmp="$(mktemp "$CONF.XXXXXX")"
  awk -v begin="$BEGIN" -v end="$END" -v block="$block" '
    $0 == begin { print block; skip = 1; next }
    $0 == end { skip = 0; next }
    !skip { print }
  ' "$CONF" >"$tmp"
  chmod 0644 "$tmp"
  mv "$tmp" "$CONF"
elif grep -qE '^\[(engine|containers)\]' "$CONF"; then
  echo "Error: $CONF already has [engine]/[containers] tables not written by this script;" \
    "set runtime=\"runc\", cgroup_manager=\"cgroupfs\", events_logger=\"file\"," \
    "default_ulimits=[] there by hand" >&2
  exit 1
else
  printf '%s\n' "$block" >>"$CONF"
fi

command -v runc >/dev/null || {
  echo "Error: runc is not installed (apt-get install runc)" >&2
  exit 1
}

if [[ "${1:-}" != "--verify" ]]; then
  exit 0
fi

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DENO="${DENO:-$(command -v deno || echo "$REPO/.tools/node_modules/deno/deno")}"
FIX="${SKIFF_FIXTURES:-/tmp/skiff-fixtures-v2}"
bash "$REPO/tests/fixtures/make_images.sh" "$FIX"

TMP="$(mktemp -d /tmp/skiff-podman-verify.XXXXXX)"
REG_PID=""
cleanup() {
  if [[ -n "$REG_PID" ]]; then
    kill "$REG_PID" 2>/dev/null || true
    wait "$REG_PID" 2>/dev/null || true
  fi
  podman --root "$TMP/root" --runroot "$TMP/run" rm -af >/dev/null 2>&1 || true
  grep -F "$TMP" /proc/self/mountinfo | awk '{print $5}' | sort -r |
    xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

"$DENO" run -A "$REPO/bench/registry.ts" "$TMP/host" &
REG_PID=$!
for _ in $(seq 1 200); do
  [[ -s "$TMP/host" ]] && break
  sleep 0.05
done
HOST="$(cat "$TMP/host")"
skopeo copy -q --dest-tls-verify=false "oci:$FIX/busybox:latest" "docker://$HOST/busybox:latest"

P=(podman --root "$TMP/root" --runroot "$TMP/run")
"${P[@]}" pull -q --tls-verify=false "$HOST/busybox:latest" >/dev/null
out="$("${P[@]}" run --rm "$HOST/busybox:latest" echo podman-ok)"
if [[ "$out" != "podman-ok" ]]; then
  echo "Error: podman run printed '$out', expected 'podman-ok'" >&2
  exit 1
fi
echo "podman OK: pulled and ran $HOST/busybox:latest with runc"

#!/usr/bin/env bash
# Runs a container on a fresh Debian machine, as root, without any registry:
# installs what skiff needs, makes a root file system from Debian's
# busybox-static, imports it as an image and runs a container from it.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
bash scripts/setup.sh
skiff=bin/skiff
image=localhost/skiff-demo/busybox:latest

if ! $skiff image inspect "$image" >/dev/null 2>&1; then
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs"/{bin,etc,tmp,root,proc,sys,dev}
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [[ $applet == busybox ]] || ln -s busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  tar -C "$rootfs" -c . | $skiff import -c 'CMD ["sh"]' -c 'ENV PATH=/bin' - "$image" >/dev/null
fi

$skiff run --rm "$image" sh -c 'echo "Hello from a skiff container: hostname $(hostname), pid $$"'

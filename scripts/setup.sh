#!/usr/bin/env bash
# Installs what skiff needs on a fresh Debian machine (as root) and builds it:
# Debian packages, deno (pinned through the npm package "deno"), the C library.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

DENO_VERSION=2.9.6
# podman (with runc) is what interoperability tests load skiff's archives with.
# zsh and fish load the completion scripts in tests/unit/completion_test.ts.
# iproute2: the netlink tests check links, addresses and routes with `ip -j`.
# nftables: bridge networks' NAT and isolation rules (src/network/firewall*.ts).
# uidmap: newuidmap/newgidmap, which map a rootless user's subordinate ids (src/runtime/userns*.ts).
packages=(gcc make libc6-dev musl-tools linux-libc-dev busybox-static docker-registry umoci skopeo zstd
  apache2-utils tmux catatonit podman runc zsh fish iproute2 nftables uidmap)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm installs deno; a machine may already have Node.js from elsewhere.
command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# docker.io (docker 20.10): the parity suite (tests/parity) runs every scenario against its
# dockerd, started by the suite on a private socket and data root. The package's own service is
# not started on install (a policy-rc.d of ours, only while apt runs, when there is none).
if ! dpkg-query -W -f='${Status}' docker.io 2>/dev/null | grep -q "install ok installed"; then
  echo "setup: installing docker.io" >&2
  policy=""
  if ! [[ -e /usr/sbin/policy-rc.d ]]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  status=0
  apt-get install -y -qq --no-install-recommends docker.io >&2 || status=$?
  [[ -n $policy ]] && rm -f "$policy"
  ((status == 0)) || exit "$status"
fi

# Debian's podman defaults to crun, which refuses hybrid cgroup hosts: configure runc.
bash scripts/podman_setup.sh >&2

deno=.tools/node_modules/deno/deno
if ! [[ -x $deno ]] || [[ $($deno --version | head -1) != "deno $DENO_VERSION "* ]]; then
  echo "setup: installing deno $DENO_VERSION from npm" >&2
  mkdir -p .tools
  echo "{\"private\":true,\"dependencies\":{\"deno\":\"$DENO_VERSION\"}}" >.tools/package.json
  (cd .tools && npm install --no-audit --no-fund --loglevel=error >&2)
  if ! [[ -x $deno ]]; then
    # The platform package holds the binary when install scripts did not run.
    ln -sf ../@deno/linux-x64-glibc/deno .tools/node_modules/deno/deno
  fi
fi

# The rootless tests (tests/helpers/rootless.ts) run skiff as ordinary users: skiffuser and
# skiffuser2 with subordinate ranges of their own, skiffnoids with none.
add_subids() { # file user start count
  grep -q "^$2:" "$1" 2>/dev/null || echo "$2:$3:$4" >>"$1"
}
for u in skiffuser skiffuser2 skiffnoids; do
  id -u "$u" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh -K SUB_UID_COUNT=0 \
    -K SUB_GID_COUNT=0 "$u"
done
touch /etc/subuid /etc/subgid
add_subids /etc/subuid skiffuser 1000000 65536
add_subids /etc/subgid skiffuser 1000000 65536
add_subids /etc/subuid skiffuser2 1100000 65536
add_subids /etc/subgid skiffuser2 1100000 65536

make -s -C ffi >&2
# Fetch the npm packages skiff imports into the checkout's own cache (bin/skiff reads only
# that one, with --cached-only), so skiff never downloads code when it runs, for any user.
export DENO_DIR=$PWD/.tools/deno_dir
$deno cache --quiet main.ts src/commands/*.ts src/runtime/cdi_registry.ts >&2
chmod -R a+rX .tools
echo "setup: ready ($($deno --version | head -1))" >&2

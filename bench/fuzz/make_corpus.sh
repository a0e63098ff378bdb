#!/usr/bin/env bash
# Writes the seed corpus of the fuzz harnesses into bench/fuzz/corpus/ (committed; run this
# again only to change the seeds). Tars are made by GNU tar with 512-byte records, so each
# seed is a few blocks: a regular file, a directory, a symlink, a hard link, whiteouts, a PAX
# header with an xattr and a long path, a global PAX header, GNU long names, devices and a
# fifo, and a sparse file in each of GNU tar's sparse forms. Plans are the shapes src/runtime/plan_format.ts writes: a container, a minimal one and an exec plan.
# Needs root (devices, owners) and GNU tar.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
out=$here/corpus
work=$(mktemp -d /tmp/skiff-corpus-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/unpack" "$out/plan"

opts=(--no-recursion --numeric-owner --owner=0 --group=0 --mtime=2024-01-01T00:00:00Z --sort=name -b 1)
mk() { # name, format, then paths relative to $work/src
  local name=$1 format=$2
  shift 2
  tar -C "$work/src" "${opts[@]}" --format="$format" "$@" -cf "$out/unpack/$name.tar" -- "${files[@]}"
}
fresh() { rm -rf "$work/src" && mkdir "$work/src" && cd "$work/src"; }

fresh
echo hello >hello.txt
files=(hello.txt); mk regular ustar

fresh
mkdir -p dir/sub && echo f >dir/sub/f && chmod 0750 dir
files=(dir dir/sub dir/sub/f); mk directory ustar

fresh
echo t >target && ln -s target link && ln -s /etc/passwd abs && ln -s ../../up up
files=(target link abs up); mk symlink ustar

fresh
echo a >a && ln a b
files=(a b); mk hardlink ustar

fresh
mkdir -p d/opq && : >d/.wh.gone && : >d/opq/.wh..wh..opq && echo n >d/opq/new
files=(d d/.wh.gone d/opq d/opq/.wh..wh..opq d/opq/new); mk whiteout ustar

fresh
long=this-directory-name-is-long/and-so-is-this-one-which-pushes-the-path/beyond-one-hundred-bytes
mkdir -p "$long" && echo x >"$long/file-with-a-long-path.txt"
files=("$long/file-with-a-long-path.txt"); mk pax posix \
  --pax-option=delete=atime,delete=ctime,SCHILY.xattr.user.skiff:=fuzz

fresh
echo g >global.txt
files=(global.txt); mk global posix --pax-option=globexthdr.name=pax_global_header,delete=atime,delete=ctime,comment=global

fresh
mkdir -p "$long" && echo y >"$long/gnu-long-name.txt" && ln -s "$long/gnu-long-name.txt" "$long/link"
files=("$long/gnu-long-name.txt" "$long/link"); mk gnulong gnu

fresh
mkfifo fifo && mknod null c 1 3
files=(fifo null); mk devices ustar

fresh
# Six stretches of data: more than an old GNU sparse header holds, so an extension header follows.
truncate -s 64K sparse
for off in 0 8192 20000 33333 50000 65530; do
  printf s | dd of=sparse bs=1 seek=$off conv=notrunc status=none
done
files=(sparse)
mk sparse-gnu gnu --sparse
for v in 0.0 0.1 1.0; do
  mk "sparse-pax$v" posix --sparse --sparse-version=$v --pax-option=delete=atime,delete=ctime
done

cat >"$out/plan/container" <<'EOF'
skiff-plan	1
id	0123456789abcdef
lower	/var/lib/skiff/layers/l/AAAA
lower	/var/lib/skiff/layers/l/BBBB
upper	/var/lib/skiff/containers/c/upper
work	/var/lib/skiff/containers/c/work
target	/run/skiff/containers/c/rootfs
hostname	box
arg	sh
arg	-c
arg	echo a\tb\nc \\ d
env	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cwd	/
user	0	0
group	10
terminal	0
stdin	0
cap	CAP_CHOWN
cap	kill
no-new-privileges	0
seccomp	1
seccomp-allow	0	1	2	3
seccomp-errno	435	38
seccomp-cond	135	0	eq	0	0
seccomp-cond	56	0	maskedEq	0	2114060288
rlimit	nofile	1024	2048
oom-score-adj	0
namespace	pid
namespace	mount
namespace	net	/run/netns/x
mount	proc	/proc	proc	nosuid,noexec,nodev	
mount	tmpfs	/dev	tmpfs	nosuid,strictatime	mode=755,size=65536k
mount	/src	/dst	bind	rbind,ro,rprivate	
device	/dev/null	c	1	3	438	0	0
masked	/proc/kcore
readonly-path	/proc/sys
cgroup	/sys/fs/cgroup/skiff/0123
uid-map	0	100000	65536
gid-map	0	100000	65536
state-dir	/run/skiff/containers/c
log-path	/var/lib/skiff/containers/c/log.json
stop-signal	SIGTERM
restart	on-failure	3
network-hook	/usr/bin/skiff-net	add
cleanup	/usr/bin/skiff	cleanup	c
remove-cgroups	1
exit-record	/var/lib/skiff/containers/c/exit.json
remove	/var/lib/skiff/containers/c	/var/lib/skiff/locks/names.lock
remove	/run/skiff/names/box	/run/skiff/names.lock	0123
wait-for-attach	1
EOF
printf 'skiff-plan\t1\narg\ttrue\ntarget\t/m\nstate-dir\t/s\n' >"$out/plan/minimal"
printf 'skiff-plan\t1\nexec-pid\t4242\narg\tls\narg\t-l\nenv\tA=b\ncwd\t/tmp\nuser\t1000\t1000\nterminal\t1\ndetach\t1\ncgroup\t/sys/fs/cgroup/x\n' \
  >"$out/plan/exec"
ls -l "$out"/*

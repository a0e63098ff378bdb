#!/usr/bin/env bash
# Builds the "big" benchmark image: the busybox fixture plus 5 layers of incompressible
# random files (~20k files, ~125 MB), as an OCI layout tagged "latest".
#
# Usage: bench/make_big_image.sh [OUT_DIR]   (default /tmp/skiff-bench/big)
# Cached: does nothing if OUT_DIR/.stamp matches this script's checksum.
#
# Per layer (all content from /dev/urandom, so gzip cannot shrink it):
#   2000 files x 1 KiB, 1500 files x 4 KiB (in 10 directories), 480 files x 16 KiB,
#   5 files x 2 MiB  => ~3985 files, ~25.5 MiB
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-/tmp/skiff-bench/big}"
FIX="${SKIFF_FIXTURES:-/tmp/skiff-fixtures-v2}"
STAMP_VALUE="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"
LAYERS="${BIG_LAYERS:-5}"

if [[ -f "$OUT/.stamp" && "$(cat "$OUT/.stamp")" == "$STAMP_VALUE" ]]; then
  exit 0
fi

bash "$REPO/tests/fixtures/make_images.sh" "$FIX"

mkdir -p "$(dirname "$OUT")"
exec 9>"$OUT.lock"
flock 9
if [[ -f "$OUT/.stamp" && "$(cat "$OUT/.stamp")" == "$STAMP_VALUE" ]]; then
  exit 0
fi

WORK="$(mktemp -d "$(dirname "$OUT")/.big-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
chmod 0755 "$WORK"

cp -a "$FIX/busybox" "$WORK/image"
TAR_OPTS=(--owner=0 --group=0 --numeric-owner --format=posix)

for i in $(seq 1 "$LAYERS"); do
  L="$WORK/layer$i/data/layer$i"
  mkdir -p "$L/small1k" "$L/med16k" "$L/large"
  head -c $((2000 * 1024)) /dev/urandom | split -b 1024 -a 4 - "$L/small1k/f"
  for d in $(seq 0 9); do
    mkdir -p "$L/small4k/d$d"
    head -c $((150 * 4096)) /dev/urandom | split -b 4096 -a 3 - "$L/small4k/d$d/f"
  done
  head -c $((480 * 16384)) /dev/urandom | split -b 16384 -a 3 - "$L/med16k/f"
  for f in $(seq 1 5); do
    head -c $((2 * 1024 * 1024)) /dev/urandom >"$L/large/blob$f.bin"
  done
  chmod -R u=rwX,go=rX "$WORK/layer$i"
  tar -C "$WORK/layer$i" "${TAR_OPTS[@]}" -cf "$WORK/layer$i.tar" .
  rm -rf "$WORK/layer$i"
  umoci raw add-layer --image "$WORK/image:latest" \
    --history.created_by "bench layer $i: random files" "$WORK/layer$i.tar"
  rm -f "$WORK/layer$i.tar"
done
umoci gc --layout "$WORK/image"
echo "$STAMP_VALUE" >"$WORK/image/.stamp"

rm -rf "$OUT"
mv "$WORK/image" "$OUT"
files=$(for b in "$OUT"/blobs/sha256/*; do tar -tzf "$b" 2>/dev/null || true; done | wc -l)
echo "big image: $(du -sh "$OUT" | cut -f1) in $OUT, $files tar entries" >&2

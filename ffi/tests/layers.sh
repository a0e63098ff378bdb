#!/usr/bin/env bash
# A group of C files stays layered as its list header says: a file includes only the headers
# of files listed before it, and calls only functions those files define (read from the built
# objects with nm). The list is the comment line " *   a, b, c." in the header (the monitor's
# in src/monitor_globals.h, the unpacker's in src/unpack_base.h). The group's files are
# src/GROUP.[ch] (part GROUP) and src/GROUP_PART.[ch]. TAP output like the C tests; exits
# non-zero on a breach.
# Usage (from ffi/, after the objects are built): bash tests/layers.sh OBJDIR GROUP LIST_HEADER
set -uo pipefail
obj=${1:?usage: layers.sh OBJDIR GROUP LIST_HEADER}
group=${2:?usage: layers.sh OBJDIR GROUP LIST_HEADER}
list=${3:?usage: layers.sh OBJDIR GROUP LIST_HEADER}
order=$(sed -n -E 's/^ \*   ([a-z_]+(, [a-z_]+)+)\..*$/\1/p' "$list" | head -n 1 | tr -d ' ' | tr ',' ' ')
n=0 failed=0
check() { # condition-status name
  n=$((n + 1))
  if [[ $1 -eq 0 ]]; then echo "ok $n - $group: $2"; else
    echo "not ok $n - $group: $2"
    failed=1
  fi
}
part_of() { # file name (path or base name, with its extension) -> part
  local b
  b=$(basename "$1")
  b=${b%.*}
  if [[ $b == "$group" ]]; then echo "$group"; else echo "${b#"${group}"_}"; fi
}
declare -A rank
i=0
for part in $order; do rank[$part]=$i i=$((i + 1)); done
check $([[ $i -gt 2 ]] && echo 0 || echo 1) "$(basename "$list") lists the layers ($i)"

shopt -s nullglob
files=(src/"$group".[c] src/"$group".[h] src/"$group"_*.[ch])
objs=("$obj/$group".[o] "$obj/$group"_*.o)
# every file of the group is in the list (monitor_musl.h is a build shim, not a layer)
missing=""
for f in "${files[@]}"; do
  part=$(part_of "$f")
  [[ $group == monitor && $part == musl ]] && continue
  [[ -n ${rank[$part]+x} ]] || missing+=" $f"
done
check $([[ -z $missing ]] && echo 0 || echo 1) "every file has a layer${missing:+ (not:$missing)}"

# includes point down (or from a .c to its own header)
bad=""
for f in "${files[@]}"; do
  part=$(part_of "$f")
  [[ -n ${rank[$part]+x} ]] || continue
  for h in $(sed -n -E "s/^#include \"(${group}(_[a-z_]+)?\\.h)\"$/\\1/p" "$f"); do
    inc=$(part_of "$h")
    [[ $group == monitor && $inc == musl ]] && continue
    if [[ -z ${rank[$inc]+x} || ${rank[$inc]} -gt ${rank[$part]} ]] ||
      [[ $f == *.h && $inc == "$part" ]]; then bad+=" $f->$inc"; fi
  done
done
check $([[ -z $bad ]] && echo 0 || echo 1) "includes only point to earlier layers${bad:+ (not:$bad)}"

# calls point down: a symbol an object uses is defined by an earlier one
declare -A owner
for o in "${objs[@]}"; do
  part=$(part_of "$o")
  for sym in $(nm --defined-only "$o" | awk '$2 ~ /^[TDBR]$/ {print $3}'); do owner[$sym]=$part; done
done
bad=""
for o in "${objs[@]}"; do
  part=$(part_of "$o")
  for sym in $(nm -u "$o" | awk '{print $2}'); do
    def=${owner[$sym]:-}
    [[ -z $def || $def == "$part" ]] && continue
    [[ ${rank[$def]:-99} -lt ${rank[$part]:-0} ]] || bad+=" $part->$def:$sym"
  done
done
check $([[ -z $bad ]] && echo 0 || echo 1) "calls only go to earlier layers${bad:+ (not:$bad)}"
echo "1..$n"
exit $failed

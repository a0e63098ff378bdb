#!/usr/bin/env bash
# The monitor's files stay layered as src/monitor_globals.h lists them: a file includes only
# the headers of files listed before it, and calls only functions those files define (read
# from the built objects with nm). TAP output like the C tests; exits non-zero on a breach.
# Usage (from ffi/, after the objects are built): bash tests/monitor_layers.sh build/obj
set -uo pipefail
obj=${1:?usage: monitor_layers.sh OBJDIR}
order=$(sed -n 's/^ \*   \(globals,[^.]*\)\..*$/\1/p' src/monitor_globals.h | tr -d ' ' | tr ',' ' ')
n=0 failed=0
check() { # condition-status name
  n=$((n + 1))
  if [[ $1 -eq 0 ]]; then echo "ok $n - $2"; else
    echo "not ok $n - $2"
    failed=1
  fi
}
declare -A rank
i=0
for part in $order; do rank[$part]=$i i=$((i + 1)); done
check $([[ $i -gt 5 ]] && echo 0 || echo 1) "monitor_globals.h lists the layers ($i)"

# every monitor file is in the list (monitor_musl.h is a build shim, not a layer)
missing=""
for f in src/monitor_*.[ch]; do
  part=$(basename "$f" | sed -E 's/^monitor_(.*)\.[ch]$/\1/')
  [[ $part == musl ]] && continue
  [[ -n ${rank[$part]+x} ]] || missing+=" $f"
done
check $([[ -z $missing ]] && echo 0 || echo 1) "every monitor file has a layer${missing:+ (not:$missing)}"

# includes point down (or at the file's own header)
bad=""
for f in src/monitor_*.[ch]; do
  part=$(basename "$f" | sed -E 's/^monitor_(.*)\.[ch]$/\1/')
  [[ -n ${rank[$part]+x} ]] || continue
  for inc in $(sed -n 's/^#include "monitor_\(.*\)\.h"$/\1/p' "$f"); do
    [[ $inc == musl ]] && continue
    if [[ -z ${rank[$inc]+x} || ${rank[$inc]} -gt ${rank[$part]} ]] ||
      [[ $f == *.h && $inc == "$part" ]]; then bad+=" $f->$inc"; fi
  done
done
check $([[ -z $bad ]] && echo 0 || echo 1) "includes only point to earlier layers${bad:+ (not:$bad)}"

# calls point down: a symbol a monitor object uses is defined by an earlier one
declare -A owner
for o in "$obj"/monitor_*.o; do
  part=$(basename "$o" .o)
  part=${part#monitor_}
  for sym in $(nm --defined-only "$o" | awk '$2 ~ /^[TDBR]$/ {print $3}'); do owner[$sym]=$part; done
done
bad=""
for o in "$obj"/monitor_*.o; do
  part=$(basename "$o" .o)
  part=${part#monitor_}
  for sym in $(nm -u "$o" | awk '{print $2}'); do
    def=${owner[$sym]:-}
    [[ -z $def || $def == "$part" ]] && continue
    [[ ${rank[$def]:-99} -lt ${rank[$part]:-0} ]] || bad+=" $part->$def:$sym"
  done
done
check $([[ -z $bad ]] && echo 0 || echo 1) "calls only go to earlier layers${bad:+ (not:$bad)}"
echo "1..$n"
exit $failed

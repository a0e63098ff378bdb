#!/usr/bin/env bash
# Crash consistency: kills skiff (kill -9) at random moments of pull, run, rm, commit, rmi and
# volume rm, and checks after each kill that the store and the host are still in order
# (see bench/torture/README.md).
#
# Usage: bench/torture/run.sh [ITERATIONS]     (default 1000; as root)
#   TORTURE_SEED  seed of the random choices (default: random; printed, so a run can be replayed)
#   TORTURE_OPS   the commands killed (default "pull run rm commit rmi volume-rm")
#   TORTURE_KEEP  1 keeps the work directory (store, registry, logs) after the run
#   SKIFF         the skiff command (default bin/skiff of this checkout)
#
# Every iteration: set-up (e.g. a running container for rm), the command started and killed
# after a random delay (up to 1.3 times its usual duration, so that some finish), then checks:
#   1. `images` and `ps -a` work (and `volume ls` after a command that made a volume);
#   2. a new `pull` of the image, then `inspect` of it and of every container, and a
#      `run --rm` of it succeed;
#   3. the killed commands' containers, volumes and images are removed (rm -f, volume rm,
#      rmi), and then nothing of them is left: no mount under the store, no cgroup of any
#      container this run made, no process of the store, no entry in the store's scratch
#      areas (tmp/, ingest/) or container directories.
# Prints one line per failed check, "torture: N iterations (K killed mid-command), F failures"
# at the end, and exits non-zero when a check failed.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
repo=$here/../..
iterations=${1:-1000}
seed=${TORTURE_SEED:-$((RANDOM * 32768 + RANDOM))}
ops=(${TORTURE_OPS:-pull run rm commit rmi volume-rm})
skiff_bin=${SKIFF:-$repo/bin/skiff}
RANDOM=$((seed % 32768))

[[ $(id -u) -eq 0 ]] || {
  echo "Error: bench/torture/run.sh needs root" >&2
  exit 2
}
for tool in docker-registry skopeo curl; do
  command -v "$tool" >/dev/null || {
    echo "Error: $tool is required (bash scripts/setup.sh installs it)" >&2
    exit 2
  }
done

# A short work directory: unix socket paths under the run root must fit in 107 bytes.
base=$(mktemp -d /tmp/sktXXXXXX)
root=$base/root
runroot=$base/run
logs=$base/logs
mkdir -p "$root" "$runroot" "$logs" "$base/registry/data"
registry_pid=

finish() {
  # Whatever a failed run left: containers (their monitors), mounts, then the directory.
  sk rm -f $(sk ps -aq --no-trunc 2>/dev/null) >/dev/null 2>&1
  [[ -n $registry_pid ]] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  if [[ ${TORTURE_KEEP:-0} != 1 ]]; then
    local mp
    for _ in 1 2 3; do
      for mp in $(mounts_under "$base" | sort -r); do umount -l "$mp" 2>/dev/null; done
    done
    rm -rf "$base"
  else
    echo "work directory kept: $base" >&2
  fi
}
trap finish EXIT

sk() {
  local t=$(date +%s%N) rc=0
  "$skiff_bin" --root "$root" --runroot "$runroot" "$@" || rc=$?
  echo "$((($(date +%s%N) - t) / 1000000)) ms, $rc: $*" >>"$logs/commands.log"
  return $rc
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Mount points at or under $1 (mountinfo's octal escapes are left as they are).
mounts_under() { awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo; }

# --- the registry and the image -----------------------------------------------------------
fixtures=${SKIFF_FIXTURES:-/tmp/skiff-fixtures-v2}
bash "$repo/tests/fixtures/make_images.sh" "$fixtures" >"$logs/fixtures.log" 2>&1 || {
  echo "Error: the fixture images could not be built (see $logs/fixtures.log)" >&2
  exit 2
}
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 40000))
  cat >"$base/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $base/registry/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
  docker-registry serve "$base/registry/config.yml" >"$logs/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
    kill -0 "$registry_pid" 2>/dev/null || break
    sleep 0.1
  done
  curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
  kill "$registry_pid" 2>/dev/null
  wait "$registry_pid" 2>/dev/null
  registry_pid=
done
[[ -n $registry_pid ]] || {
  echo "Error: docker-registry did not start (see $logs/registry.log)" >&2
  exit 2
}
image=127.0.0.1:$port/multi:latest
skopeo copy -q --dest-tls-verify=false "oci:$fixtures/multilayer:latest" "docker://$image" \
  >"$logs/skopeo.log" 2>&1 || {
  echo "Error: skopeo could not push the image (see $logs/skopeo.log)" >&2
  exit 2
}
sk pull -q "$image" >"$logs/first-pull.log" 2>&1 || {
  echo "Error: the first pull failed: $(tail -1 "$logs/first-pull.log")" >&2
  exit 2
}

# --- one iteration ------------------------------------------------------------------------
failures=0
killed=0
declare -A usual=()  # op -> how long it usually takes (ms), learnt from the runs that finished
declare -A seen=()   # every container id this run made (for the cgroup check)
declare -A reported=() # leftovers already reported
iter=0
op=
how=
words=()

fail() {
  failures=$((failures + 1))
  echo "iteration $iter ($op ${how:-}): $*"
}

# Starts `skiff ARGS` in the background as job NAME (its output in $logs/NAME.out and .err).
declare -A jobs=()
start_job() {
  local name=$1
  shift
  sk "$@" >"$logs/$name.out" 2>"$logs/$name.err" &
  jobs[$name]=$!
}

# Waits for job NAME; on failure records "WHAT failed: the last line of its stderr".
finish_job() {
  local name=$1 what=$2
  if ! wait "${jobs[$name]}"; then
    fail "$what failed: $(tail -1 "$logs/$name.err")"
    return 1
  fi
}

# The set-up of op for iteration $1 (prints nothing on success).
setup() {
  local name=tort$1
  case $op in
  pull) sk rmi -f "$image" >/dev/null ;;
  rm | commit) sk run -d --name "$name" "$image" sh -c 'echo changed >/data/new; sleep 60' >/dev/null ;;
  volume-rm) sk run --rm -v "v$name:/opt" "$image" true >/dev/null ;;
  *) ;;
  esac
}

# Sets words to the command killed in iteration $1.
victim() {
  local name=tort$1
  case $op in
  pull) words=(pull "$image") ;;
  run)
    case $((RANDOM % 3)) in
    0) words=(run --rm "$image" sh -c 'echo hi >/x && cat /x') ;;
    1) words=(run -d --name "$name" "$image" sleep 60) ;;
    2) words=(run --rm -v "v$name:/data" "$image" ls /data) ;;
    esac
    ;;
  rm) words=(rm -f "$name") ;;
  commit) words=(commit "$name" "torture/$name") ;;
  rmi) words=(rmi "$image") ;;
  volume-rm) words=(volume rm "v$name") ;;
  esac
}

# Polls (up to 10 s: a monitor finishes its container's clean-up after its command returned)
# until nothing of the removed containers is left; records what still is.
leftovers() {
  local left=() deadline=$(($(now_ms) + 10000))
  while :; do
    left=()
    local mp
    for mp in $(mounts_under "$base"); do left+=("mount $mp"); done
    local d id
    for d in /sys/fs/cgroup/*/skiff /sys/fs/cgroup/skiff; do
      [[ -d $d ]] || continue
      for id in "${!seen[@]}"; do
        [[ -e $d/$id ]] && left+=("cgroup $d/$id")
      done
    done
    for d in "$root/tmp" "$root/ingest" "$root/containers" "$runroot/containers"; do
      for id in "$d"/*; do [[ -e $id ]] && left+=("store entry $id"); done
    done
    # (the pattern "$base[/]" does not match grep's own command line)
    local f p
    for f in $(grep -laE -- "$base[/]" /proc/[0-9]*/cmdline 2>/dev/null); do
      p=${f#/proc/}
      p=${p%/cmdline}
      [[ $p == "$registry_pid" ]] && continue
      left+=("process $p: $(tr '\0' ' ' <"$f" 2>/dev/null | cut -c1-160)")
    done
    [[ ${#left[@]} -eq 0 ]] && return 0
    [[ $(now_ms) -ge $deadline ]] && break
    sleep 0.2
  done
  # Each leftover is reported once, in the iteration that left it.
  local l
  for l in "${left[@]}"; do
    [[ -n ${reported[$l]:-} ]] && continue
    reported[$l]=1
    fail "left behind: $l"
  done
}

echo "torture: seed $seed, $iterations iterations of ${ops[*]}, store $base"
start=$(now_ms)
for ((iter = 1; iter <= iterations; iter++)); do
  op=${ops[RANDOM % ${#ops[@]}]}
  how="set-up"
  if ! out=$(setup "$iter" 2>&1); then fail "set-up failed: $(tail -1 <<<"$out")"; fi
  victim "$iter"
  est=${usual[$op]:-800}
  delay=$(((RANDOM * 32768 + RANDOM) % (est * 13 / 10 + 1)))
  ((delay > 0)) || delay=1 # (timeout 0 would mean no limit)
  t0=$(now_ms)
  # timeout --foreground sends SIGKILL to the skiff process alone (bin/skiff execs deno), not
  # to its process group, and returns as soon as skiff ends: the time measured is the
  # command's own, never the delay slept (a sleep-then-kill measured the delay when the
  # command finished first, which inflated the estimate until few commands were killed).
  timeout --foreground -s KILL "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))" \
    "$skiff_bin" --root "$root" --runroot "$runroot" "${words[@]}" >"$logs/victim.out" 2>&1
  rc=$?
  took=$(($(now_ms) - t0))
  if [[ $rc -eq 137 ]]; then
    how="killed after $delay ms"
    killed=$((killed + 1))
    echo "$delay ms, killed: ${words[*]}" >>"$logs/commands.log"
  elif [[ $rc -eq 124 ]]; then
    # timeout's "the time was up" when the command ended as the kill came (a zombie killed)
    how="ended as the kill came at $delay ms"
    echo "$delay ms, ended as killed: ${words[*]}" >>"$logs/commands.log"
  else
    usual[$op]=$(((${usual[$op]:-$took} * 3 + took) / 4))
    echo "$took ms, $rc: ${words[*]}" >>"$logs/commands.log"
    how="finished in $took ms, before the kill at $delay ms"
    [[ $rc -eq 0 ]] || fail "${words[*]} finished with $rc: $(tail -1 "$logs/victim.out")"
  fi

  # 1. the listings work (they also say what is left to remove), while a new pull runs
  start_job ps ps -a --no-trunc --format '{{.ID}}'
  # (`volume ls` only when the iteration made a volume: each skiff process costs CPU time)
  uses_volume=0
  [[ $op == volume-rm || ${words[*]} == *" -v "* ]] && uses_volume=1
  [[ $uses_volume -eq 0 ]] || start_job volumes volume ls -q
  start_job images images --format '{{.Repository}}:{{.Tag}}'
  start_job pull pull -q "$image"
  containers=() volumes=() extra_images=()
  if finish_job ps "ps -a"; then
    containers=($(<"$logs/ps.out"))
    for id in "${containers[@]}"; do seen[$id]=1; done
  fi
  if [[ $uses_volume -eq 1 ]] && finish_job volumes "volume ls"; then
    volumes=($(<"$logs/volumes.out"))
  fi
  if finish_job images images; then
    for ref in $(<"$logs/images.out"); do [[ $ref == "$image" ]] || extra_images+=("$ref"); done
  fi
  # 2. then inspect and run the image
  run_id=
  if finish_job pull "pull $image"; then
    start_job inspect inspect "$image" "${containers[@]}"
    start_job run run --rm "$image" hostname
    finish_job inspect "inspect $image ${containers[*]}"
    if finish_job run "run --rm $image"; then
      run_id=$(<"$logs/run.out")
      [[ $run_id =~ ^[0-9a-f]{12}$ ]] || fail "run --rm printed \"$run_id\", not a container id"
    fi
  fi
  # 3. remove what the killed command made; then nothing may be left
  [[ ${#extra_images[@]} -eq 0 ]] || start_job rmi rmi "${extra_images[@]}"
  if [[ ${#containers[@]} -gt 0 ]]; then
    start_job rm rm -f "${containers[@]}"
    finish_job rm "rm -f ${containers[*]}"
  fi
  if [[ ${#volumes[@]} -gt 0 ]]; then
    start_job volrm volume rm -f "${volumes[@]}"
    finish_job volrm "volume rm ${volumes[*]}"
  fi
  [[ ${#extra_images[@]} -eq 0 ]] || finish_job rmi "rmi ${extra_images[*]}"
  if [[ $run_id =~ ^[0-9a-f]{12}$ ]]; then
    for c in /sys/fs/cgroup/*/skiff/"$run_id"* /sys/fs/cgroup/skiff/"$run_id"*; do
      [[ -e $c ]] && seen[${c##*/}]=1
    done
  fi
  leftovers
done
took=$((($(now_ms) - start) / 1000))
echo "torture: $iterations iterations ($killed killed mid-command) in $took s, $failures failures"
[[ $failures -eq 0 ]]

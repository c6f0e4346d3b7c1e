#!/usr/bin/env bash
# Size, start-up and idle memory of the release build, printed as figures (no assertions).
# Build first with scripts/build-deb.sh. Usage: scripts/bench-release.sh [runs]
# Start-up is the time from exec to the UI's first IPC call (the app logs it); memory is
# the summed RSS of the app and its WebKit processes after 5 s idle on the demo platform.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
bin=${NEXHINA_APP_BIN:-target/release/nexhina-studio}
deb=$(ls target/release/bundle/deb/*.deb 2>/dev/null | head -1 || true)
[ -x "$bin" ] || { echo "no $bin: run scripts/build-deb.sh first" >&2; exit 1; }

printf 'binary   %s: %.1f MB\n' "$bin" "$(echo "$(stat -c %s "$bin") / 1048576" | bc -l)"
[ -n "$deb" ] && printf 'package  %s: %.1f MB\n' "$(basename "$deb")" "$(echo "$(stat -c %s "$deb") / 1048576" | bc -l)"

# The app's process tree (itself and the WebKit helpers it spawned), summed: RSS counts the
# libraries they share once per process; PSS splits shared pages between them.
tree_kb() {
  local root=$1 field=$2 total=0 pid
  for pid in $root $(pgrep -P "$root" || true); do
    total=$((total + $(awk -v f="$field:" '$1 == f {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

display=:$((90 + RANDOM % 20))
Xvfb "$display" -screen 0 1400x900x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1

starts=() rss=() psss=()
for run in $(seq "$runs"); do
  home=$(mktemp -d)
  log="$home/state/nexhina-studio/logs/nexhina-studio.log"
  if [ "$run" = 1 ] && [ -w /proc/sys/vm/drop_caches ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
  DISPLAY=$display HOME=$home XDG_STATE_HOME=$home/state XDG_CONFIG_HOME=$home/config \
    XDG_DATA_HOME=$home/data XDG_CACHE_HOME=$home/cache \
    dbus-run-session -- "$bin" >/dev/null 2>&1 &
  session=$!
  for _ in $(seq 300); do grep -q "window interactive" "$log" 2>/dev/null && break; sleep 0.1; done
  ms=$(grep -o 'window interactive [0-9]* ms' "$log" | grep -o '[0-9]*' || echo NaN)
  sleep 5
  app=$(pgrep -f "^$bin" -n || true)
  kb=$([ -n "$app" ] && tree_kb "$app" Rss || echo 0)
  pss=$([ -n "$app" ] && tree_kb "$app" Pss || echo 0)
  starts+=("$ms"); rss+=("$kb"); psss+=("$pss")
  printf 'run %d%s: interactive after %s ms, idle RSS %d MB, PSS %d MB\n' "$run" "$([ "$run" = 1 ] && echo ' (cold caches)' || true)" "$ms" $((kb / 1024)) $((pss / 1024))
  kill "$session" 2>/dev/null || true; [ -n "$app" ] && kill "$app" 2>/dev/null || true
  wait "$session" 2>/dev/null || true
  rm -rf "$home"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median: interactive after $(median "${starts[@]}") ms; idle RSS $(( $(median "${rss[@]}") / 1024 )) MB, PSS $(( $(median "${psss[@]}") / 1024 )) MB (app + WebKit processes)"

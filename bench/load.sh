#!/usr/bin/env bash
# Load generator runs for `make bench-load` and bench/report.sh: bench/cmd/sluice-load against
# the gorilla + encoding/json baseline (bench/cmd/baseline-server, started and stopped here, one
# fresh process per phase) and, when SLUICE_ADDR names a running sluice server holding data,
# against sluice with the same commands. Loopback only; bounded; a few minutes on 2 cores.
# Results (JSON) go to $OUT/load-NAME[-rK].json, each with the exact command in
# $OUT/load-NAME[-rK].cmd; text reports go to stdout; failed jobs are listed in
# $OUT/load-failures.txt and do not stop the others.
#
#   SLUICE_ADDR=127.0.0.1:8080 SLUICE_QUERY='tag=*' SLUICE_START=... SLUICE_END=... bash bench/load.sh
#
# Knobs: N (idle subscribers, default 10000), ENTRIES (baseline result size, default 1000000),
# DURATION (idle/mixed window, default 30s), PERIOD (baseline ping period, default 5s; give
# sluiced the same with SLUICE_PING_PERIOD and SLUICE_SYS_STATS_PERIOD), MIN_STREAM (each stream
# job repeats until this long, default 5s), PAGED (paged run time, default 10s), LOAD_COUNT (runs
# of the stream and paged jobs, default 1), SIDES (phases: "baseline sluice", or any of
# baseline-idle baseline-load sluice-idle sluice-idle-100k sluice-load), SLUICE_CMD (how the
# sluice server was started, recorded with each command), SLUICE_TYPE (the sluice broadcast timed,
# default sysStats, its ~1 KB packet), SLUICE_PID (server process, default: found by port),
# LOADAVG (file to append "label<TAB>/proc/loadavg" samples to), OUT (default bench/results).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
N=${N:-10000}
ENTRIES=${ENTRIES:-1000000}
DURATION=${DURATION:-30s}
PERIOD=${PERIOD:-5s}
MIN_STREAM=${MIN_STREAM:-5s}
PAGED=${PAGED:-10s}
LOAD_COUNT=${LOAD_COUNT:-1}
SIDES=${SIDES:-baseline sluice}
SLUICE_TYPE=${SLUICE_TYPE:-sysStats}
OUT=${OUT:-bench/results}
mkdir -p bin "$OUT"
$GO build -o bin/sluice-load ./bench/cmd/sluice-load
$GO build -o bin/baseline-server ./bench/cmd/baseline-server

# Each side of N subscribers needs N descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open files limit: $(ulimit -n); $(nproc) CPUs; $($GO version)"

baseline_pid= baseline_addr= server_cmd=${SLUICE_CMD:-}
cleanup() {
  if [[ -n "$baseline_pid" ]]; then kill "$baseline_pid" 2>/dev/null || true; wait "$baseline_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

mark() { # label: a load average sample for the report
  if [[ -n "${LOADAVG:-}" ]]; then printf '%s\t%s\n' "$1" "$(cat /proc/loadavg)" >>"$LOADAVG"; fi
}

start_baseline() { # entries: a fresh baseline-server on a free loopback port; sets baseline_addr once it listens
  local cmd=(./bin/baseline-server -listen 127.0.0.1:0 -entries "$1" -interval "$PERIOD")
  server_cmd=$(printf '%q ' "${cmd[@]}" | sed 's/ $//')
  "${cmd[@]}" >"$OUT/baseline-$1.log" 2>&1 &
  baseline_pid=$!
  for _ in $(seq 120); do
    baseline_addr=$(sed -n 's/.*baseline-server ready addr=\([0-9.:]*\).*/\1/p' "$OUT/baseline-$1.log")
    [[ -n "$baseline_addr" ]] && return 0
    kill -0 "$baseline_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "baseline-server did not start"; cat "$OUT/baseline-$1.log"; exit 1
}

stop_baseline() {
  kill "$baseline_pid" 2>/dev/null || true
  wait "$baseline_pid" 2>/dev/null || true
  baseline_pid=
}

load() { # name args...: one run; text report to stdout, JSON to $OUT/load-name.json
  local name=$1; shift
  local cmd=(./bin/sluice-load "$@" -out "$OUT/load-$name.json")
  { printf '%q ' "${cmd[@]}" | sed 's/ $//'; [[ -n "$server_cmd" ]] && printf '  # server: %s' "$server_cmd"; echo; } >"$OUT/load-$name.cmd"
  echo "== $name: $(cat "$OUT/load-$name.cmd")"
  local st=0
  "${cmd[@]}" || st=$?
  if (( st != 0 )); then
    echo "$name: sluice-load exited with status $st" | tee -a "$OUT/load-failures.txt"
    rm -f "$OUT/load-$name.json"
  fi
}

repeat() { # name args...: LOAD_COUNT runs named name-r1, name-r2, ... (just name for one run)
  local name=$1; shift
  if (( LOAD_COUNT <= 1 )); then load "$name" "$@"; return; fi
  for k in $(seq "$LOAD_COUNT"); do load "$name-r$k" "$@"; done
}

has() { [[ " $SIDES " == *" $1 "* ]]; } # has PHASE: whether SIDES asks for it

if has baseline || has baseline-idle; then
  # Idle subscribers against a fresh baseline process (no result set in its heap).
  start_baseline 0
  load baseline-idle idle -addr "$baseline_addr" -pid "$baseline_pid" -n "$N" -duration "$DURATION" -type ping
  stop_baseline
  mark "after baseline idle"
fi
if has baseline || has baseline-load; then
  # Streaming, paging and the mixed run against a baseline holding ENTRIES results.
  start_baseline "$ENTRIES"
  b=(-addr "$baseline_addr" -pid "$baseline_pid")
  repeat baseline-stream-1 stream "${b[@]}" -m 1 -min-duration "$MIN_STREAM"
  repeat baseline-stream-4 stream "${b[@]}" -m 4 -searches 1 -min-duration "$MIN_STREAM"
  repeat baseline-paged paged "${b[@]}" -c 1 -page 1024 -duration "$PAGED"
  load baseline-mixed mixed "${b[@]}" -n "$N" -m 1 -quiet 10s -duration "$DURATION" -type ping
  stop_baseline
  mark "after baseline load"
fi
if has sluice || has sluice-idle || has sluice-load; then
  if [[ -z "${SLUICE_ADDR:-}" ]]; then
    echo "SLUICE_ADDR not set: sluice itself was not measured (start sluiced with data, then set SLUICE_ADDR)"
    exit 0
  fi
  s=(-addr "$SLUICE_ADDR")
  [[ -n "${SLUICE_PID:-}" ]] && s+=(-pid "$SLUICE_PID")
  q=(-query "${SLUICE_QUERY:-tag=*}")
  [[ -n "${SLUICE_START:-}" ]] && q+=(-start "$SLUICE_START")
  [[ -n "${SLUICE_END:-}" ]] && q+=(-end "$SLUICE_END")
  # sluice's ping packet is tiny; its sysStats packet is the ~1 KB broadcast comparable to the
  # baseline's 1 KB ping. Give sluiced SLUICE_SYS_STATS_PERIOD=$PERIOD for the same rhythm.
  if has sluice || has sluice-idle; then
    load sluice-idle idle "${s[@]}" -n "$N" -duration "$DURATION" -type "$SLUICE_TYPE"
    mark "after sluice idle"
  fi
  if has sluice-idle-100k; then # issue 6: the same at 100,000 where the machine allows it
    load sluice-idle-100k idle "${s[@]}" -n 100000 -duration "$DURATION" -type "$SLUICE_TYPE" -dial-concurrency 256
    mark "after sluice idle 100k"
  fi
  if has sluice || has sluice-load; then
    repeat sluice-stream-1 stream "${s[@]}" -m 1 -min-duration "$MIN_STREAM" "${q[@]}"
    repeat sluice-stream-4 stream "${s[@]}" -m 4 -searches 1 -min-duration "$MIN_STREAM" "${q[@]}"
    repeat sluice-paged paged "${s[@]}" -c 1 -page 1024 -duration "$PAGED" "${q[@]}"
    load sluice-mixed mixed "${s[@]}" -n "$N" -m 1 -quiet 10s -duration "$DURATION" -type "$SLUICE_TYPE" "${q[@]}"
    mark "after sluice load"
  fi
fi

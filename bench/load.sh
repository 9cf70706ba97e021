#!/usr/bin/env bash
# Load generator runs for `make bench-load`: bench/cmd/sluice-load against the gorilla +
# encoding/json baseline (bench/cmd/baseline-server) and, when SLUICE_ADDR names a running sluice
# server holding data, against sluice with the same commands. Loopback only; a few minutes on
# 2 cores. Results (JSON) go to bench/results/load-*.json, reports to stdout.
#
#   SLUICE_ADDR=127.0.0.1:8080 SLUICE_QUERY='tag=bench' SLUICE_START=... SLUICE_END=... bash bench/load.sh
#
# Knobs: N (idle subscribers, default 10000), ENTRIES (baseline result size, default 1000000),
# DURATION (idle/mixed window, default 30s).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
N=${N:-10000}
ENTRIES=${ENTRIES:-1000000}
DURATION=${DURATION:-30s}
OUT=bench/results
mkdir -p bin "$OUT"
$GO build -o bin/sluice-load ./bench/cmd/sluice-load
$GO build -o bin/baseline-server ./bench/cmd/baseline-server

# Each side of N subscribers needs N descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open files limit: $(ulimit -n); $(nproc) CPUs; $($GO version)"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

start_baseline() { # addr entries -> waits until it listens
  ./bin/baseline-server -listen "$1" -entries "$2" -interval 5s >"$OUT/baseline-$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q 'baseline-server ready' "$OUT/baseline-$2.log" && return 0
    sleep 0.5
  done
  echo "baseline-server did not start"; cat "$OUT/baseline-$2.log"; exit 1
}

load() { # name args... : text report to stdout, JSON to $OUT/load-name.json
  local name=$1; shift
  echo "== $name: sluice-load $*"
  ./bin/sluice-load "$@" -out "$OUT/load-$name.json"
}

# Idle subscribers against a fresh baseline process (no result set in its heap).
start_baseline 127.0.0.1:18082 0
load baseline-idle idle -addr 127.0.0.1:18082 -n "$N" -duration "$DURATION"

# Streaming, paging and the mixed run against a baseline holding ENTRIES results.
start_baseline 127.0.0.1:18081 "$ENTRIES"
load baseline-stream-1 stream -addr 127.0.0.1:18081 -m 1
load baseline-stream-4 stream -addr 127.0.0.1:18081 -m 4 -searches 1
load baseline-paged paged -addr 127.0.0.1:18081 -c 1 -page 1024 -duration 10s
load baseline-mixed mixed -addr 127.0.0.1:18081 -n "$N" -m 1 -quiet 10s -duration "$DURATION"

if [[ -n "${SLUICE_ADDR:-}" ]]; then
  q=(-query "${SLUICE_QUERY:-tag=*}")
  [[ -n "${SLUICE_START:-}" ]] && q+=(-start "$SLUICE_START")
  [[ -n "${SLUICE_END:-}" ]] && q+=(-end "$SLUICE_END")
  load sluice-idle idle -addr "$SLUICE_ADDR" -n "$N" -duration "$DURATION"
  load sluice-stream-1 stream -addr "$SLUICE_ADDR" -m 1 "${q[@]}"
  load sluice-stream-4 stream -addr "$SLUICE_ADDR" -m 4 -searches 1 "${q[@]}"
  load sluice-paged paged -addr "$SLUICE_ADDR" -c 1 -page 1024 -duration 10s "${q[@]}"
  load sluice-mixed mixed -addr "$SLUICE_ADDR" -n "$N" -m 1 -quiet 10s -duration "$DURATION" "${q[@]}"
else
  echo "SLUICE_ADDR not set: sluice itself was not measured (start sluiced with data, then set SLUICE_ADDR)"
fi

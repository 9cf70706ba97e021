#!/usr/bin/env bash
# The issue-9 volume jobs (results at any volume), against freshly started sluiced processes on
# loopback; every process and data directory made here is removed on exit. Results go to
# $OUT/load-volume-*.json with the exact commands in $OUT/load-volume-*.cmd, for
# bench/cmd/benchreport (bench/report.sh runs this), plus a text summary on stdout.
#
#   bash bench/volume.sh                          # 10M entries: about 2 minutes and 5 GB of disk
#   VOLUME_N=1000000 bash bench/volume.sh         # quicker
#
# Jobs:
#   volume-stream    VOLUME_N entries of ~170 B, default settings, REQ_STREAMING sent right after
#                    the launch acknowledgement: every entry must arrive; server VmHWM reported.
#   volume-paged     REQ_GET_ENTRIES of 1024 from the finished disk-backed store (page cache warm).
#   volume-finished  REQ_STREAMING of the finished disk-backed search.
#   volume-launches  VOLUME_LAUNCHES (100) sockets launching a full-range search each at once over
#                    VOLUME_LAUNCH_N (200000) entries with memory_budget_mb=VOLUME_BUDGET_MB (256):
#                    accepted, refused (every refusal must name the limit), VmHWM, budget peak.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
OUT=${OUT:-bench/results}
VOLUME_N=${VOLUME_N:-10000000}
VOLUME_LAUNCH_N=${VOLUME_LAUNCH_N:-200000}
VOLUME_LAUNCHES=${VOLUME_LAUNCHES:-100}
VOLUME_BUDGET_MB=${VOLUME_BUDGET_MB:-256}
PAGED=${PAGED:-8s}
mkdir -p bin "$OUT"
for c in sluiced sluice; do $GO build -o bin/$c ./cmd/$c; done
for c in sluice-load volume-lines volume-launches; do $GO build -o bin/$c ./bench/cmd/$c; done

pid= addr= data=
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [[ -n "$data" ]]; then rm -rf "$data"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # log env...: sluiced over $data on a free loopback port; sets pid and addr
  local log="$OUT/sluiced-$1.log"; shift
  server_cmd="$* ./bin/sluiced -listen 127.0.0.1:0 -data $data -demo=false"
  env "$@" ./bin/sluiced -listen 127.0.0.1:0 -data "$data" -demo=false >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    addr=$(sed -n 's/.*sluiced listening" addr=\([0-9.:]*\).*/\1/p' "$log")
    [[ -n "$addr" ]] && return 0
    sleep 0.2
  done
  echo "sluiced did not start:"; tail -5 "$log"; exit 1
}
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; }
job() { # name cmd...: run, keep the command beside the JSON
  local name=$1; shift
  { printf '%q ' "$@" | sed 's/ $//'; printf '  # server: %s\n' "$server_cmd"; } >"$OUT/load-$name.cmd"
  echo "== $name: $(cat "$OUT/load-$name.cmd")"
  "$@" || echo "$name failed" | tee -a "$OUT/load-failures.txt"
}
dataset() { # n: a fresh data directory holding n entries tagged bench over the last 20 hours
  rm -rf "$data"; data=$(mktemp -d)
  start ingest
  ./bin/volume-lines -n "$1" -span 20h | ./bin/sluice ingest -q -server "http://$addr" -tag bench -
  stop
}

dataset "$VOLUME_N"
start volume-stream
job volume-stream ./bin/volume-launches -addr "$addr" -pid "$pid" -n 1 -want "$VOLUME_N" -query 'tag=bench' -range 24h -out "$OUT/load-volume-stream.json"
job volume-finished ./bin/sluice-load stream -addr "$addr" -pid "$pid" -query 'tag=bench' -range 24h -out "$OUT/load-volume-finished.json"
job volume-paged ./bin/sluice-load paged -addr "$addr" -pid "$pid" -query 'tag=bench' -range 24h -page 1024 -duration "$PAGED" -out "$OUT/load-volume-paged.json"
stop

dataset "$VOLUME_LAUNCH_N"
start volume-launches SLUICE_MEMORY_BUDGET_MB="$VOLUME_BUDGET_MB"
job volume-launches ./bin/volume-launches -addr "$addr" -pid "$pid" -n "$VOLUME_LAUNCHES" -query 'tag=bench' -range 24h -out "$OUT/load-volume-launches.json"
stop

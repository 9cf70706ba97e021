#!/usr/bin/env bash
# The peer comparison of issue 10: sluiced against VictoriaLogs v1.52.2 on the same generated log
# lines. Installs victoria-logs with `go install` (into a temporary GOBIN unless VL_BIN names a
# binary; never vendored or committed), starts both servers on free loopback ports with new data
# directories, loads PEER_N lines into both (bench/cmd/peerbench load), times the five questions
# PEER_RUNS times on both, restarts sluiced on the same data with GOMAXPROCS=1 and times the
# sluice side again, then writes the markdown section (OUT/peer.md) that benchreport appends to
# BENCHMARKS.md. Every process started here is stopped on exit.
#
#   bash bench/peer.sh                       # 4,000,000 lines, 3 runs
#   PEER_N=1000000 PEER_RUNS=1 bash bench/peer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
OUT=${OUT:-bench/results}
PEER_N=${PEER_N:-4000000}
PEER_RUNS=${PEER_RUNS:-3}
VL_VERSION=v1.52.2
mkdir -p "$OUT" bin
tmp=$(mktemp -d)
s_pid= v_pid=
cleanup() {
  for p in $s_pid $v_pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z "${VL_BIN:-}" ]]; then
  echo "== GOBIN=$tmp/bin $GO install github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@$VL_VERSION" >&2
  GOBIN="$tmp/bin" "$GO" install "github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@$VL_VERSION"
  VL_BIN=$tmp/bin/victoria-logs
fi
"$GO" build -o bin/sluiced ./cmd/sluiced
"$GO" build -o "$tmp/peerbench" ./bench/cmd/peerbench
PB=$tmp/peerbench

wait_port() { # port pid log
  for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.2
  done
  echo "server on port $1 did not start:" >&2; tail -20 "$3" >&2; return 1
}
start_sluiced() { # GOMAXPROCS value ("" for the default)
  s_port=$("$PB" freeport)
  if [[ -n "$1" ]]; then
    GOMAXPROCS=$1 ./bin/sluiced -listen "127.0.0.1:$s_port" -data "$tmp/sluice" -demo=false -log-level warn >"$OUT/peer-sluiced.log" 2>&1 &
  else
    ./bin/sluiced -listen "127.0.0.1:$s_port" -data "$tmp/sluice" -demo=false -log-level warn >"$OUT/peer-sluiced.log" 2>&1 &
  fi
  s_pid=$!
  wait_port "$s_port" "$s_pid" "$OUT/peer-sluiced.log"
}
stop_sluiced() { kill "$s_pid"; wait "$s_pid" 2>/dev/null || true; s_pid=; }

start_sluiced ""
v_port=$("$PB" freeport)
# The peer's default query deadline (-search.maxQueryDuration=30s) cuts an export of every
# entry short on a loaded machine (a broken chunked body); sluice has no such deadline here.
"$VL_BIN" -httpListenAddr "127.0.0.1:$v_port" -storageDataPath "$tmp/vl" -retentionPeriod 100y -search.maxQueryDuration=30m -loggerLevel WARN >"$OUT/peer-vl.log" 2>&1 &
v_pid=$!
wait_port "$v_port" "$v_pid" "$OUT/peer-vl.log"
procs=$(nproc)

"$PB" load -n "$PEER_N" -sluice "127.0.0.1:$s_port" -vl "127.0.0.1:$v_port" -sluice-data "$tmp/sluice" -vl-data "$tmp/vl" -out "$OUT/peer-load.json"
"$PB" query -n "$PEER_N" -runs "$PEER_RUNS" -sluice "127.0.0.1:$s_port" -sluice-pid "$s_pid" -vl "127.0.0.1:$v_port" -vl-pid "$v_pid" \
  -label full -gomaxprocs "$procs" -out "$OUT/peer-query.json"
stop_sluiced
start_sluiced 1
"$PB" query -n "$PEER_N" -runs "$PEER_RUNS" -sluice "127.0.0.1:$s_port" -sluice-pid "$s_pid" -label one-core -gomaxprocs 1 \
  -only "count by extracted field" -out "$OUT/peer-query-1.json"
"$PB" report -load "$OUT/peer-load.json" -o "$OUT/peer.md" "$OUT/peer-query.json" "$OUT/peer-query-1.json"
echo "wrote $OUT/peer.md" >&2

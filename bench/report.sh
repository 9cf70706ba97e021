#!/usr/bin/env bash
# Regenerates BENCHMARKS.md from real runs (issue 6): every `go test -bench` suite with -count,
# the allocation tests, then the load generators against the gorilla + encoding/json baseline and
# against a freshly started sluiced, and finally bench/cmd/benchreport, which computes medians and
# ratios and writes the tables. Nothing in BENCHMARKS.md is typed in. About 10-15 minutes on 2 cores.
# Loopback only; every process started here is stopped on exit.
#
#   bash bench/report.sh                  # everything, defaults below
#   COUNT=3 N=2000 bash bench/report.sh   # quicker, noisier
#
# Knobs (environment): COUNT (go test -count, 5), BENCHTIME (-benchtime, 300ms), LOAD_COUNT (runs of
# the stream and paged load jobs, 5), N (idle/mixed subscribers, 10000), DURATION (idle/mixed
# window, 20s), PERIOD (ping and sysStats broadcast period of both servers, 2s), MIN_STREAM (5s), PAGED (5s),
# DEMO_COUNT (entries sluiced seeds and the baseline serves, 200000), VOLUME_N and the other
# knobs of bench/volume.sh,
# PKGS (space-separated packages to benchmark; default every package with a Benchmark),
# REPORT (output, BENCHMARKS.md), PEER (0 skips the VictoriaLogs comparison), PEER_N (4000000),
# PEER_RUNS (3). Raw output stays in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-300ms}
export LOAD_COUNT=${LOAD_COUNT:-5}
export N=${N:-10000}
export DURATION=${DURATION:-20s}
export PERIOD=${PERIOD:-2s}
export MIN_STREAM=${MIN_STREAM:-5s}
export PAGED=${PAGED:-5s}
DEMO_COUNT=${DEMO_COUNT:-200000}
export ENTRIES=$DEMO_COUNT
REPORT=${REPORT:-BENCHMARKS.md}
export OUT=bench/results
export LOADAVG=$OUT/loadavg.txt
export GO

sluiced_pid= sluiced_addr= datadir=
cleanup() {
  if [[ -n "$sluiced_pid" ]]; then kill "$sluiced_pid" 2>/dev/null || true; wait "$sluiced_pid" 2>/dev/null || true; fi
  if [[ -n "$datadir" ]]; then rm -rf "$datadir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 10,000 subscribers need 10,000 descriptors on each side, and the kernel-floor benchmark as many.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p "$OUT" bin
rm -f "$OUT"/bench-*.txt "$OUT"/allocs.txt "$OUT"/load-*.json "$OUT"/load-*.cmd "$OUT"/load-failures.txt "$OUT"/sluiced*.log "$OUT"/sluiced-build.txt "$OUT"/baseline-*.log "$LOADAVG"
notes=(-note "Settings: COUNT=$COUNT BENCHTIME=$BENCHTIME LOAD_COUNT=$LOAD_COUNT N=$N DURATION=$DURATION PERIOD=$PERIOD MIN_STREAM=$MIN_STREAM PAGED=$PAGED DEMO_COUNT=$DEMO_COUNT; open files limit $(ulimit -n).")
mark() { printf '%s\t%s\n' "$1" "$(cat /proc/loadavg)" >>"$LOADAVG"; }
mark start

# 1. The go test suites, one package at a time so that one that does not build costs only its own figures.
if [[ -z "${PKGS:-}" ]]; then
  PKGS=$(grep -rl --include='*_test.go' -E '^func Benchmark' . | grep -v '/testdata/' | xargs -n1 dirname | sort -u | tr '\n' ' ')
fi
for pkg in $PKGS; do
  cmd=("$GO" test -run '^$' -bench . -benchmem -count "$COUNT" -benchtime "$BENCHTIME" -timeout 15m "$pkg")
  f="$OUT/bench-$(echo "${pkg#./}" | tr '/.' '__').txt"
  echo "== $(printf '%q ' "${cmd[@]}")" >&2
  { echo "# command: $(printf '%q ' "${cmd[@]}" | sed 's/ $//')"; "${cmd[@]}" 2>&1 || true; } >"$f"
  grep -E '^(ok|FAIL|---)' "$f" >&2 || true
done
mark "after go test suites"

# 2. The zero-allocation assertions (testing.AllocsPerRun), without -race.
apkgs=$(grep -rl --include='*_test.go' 'AllocsPerRun' . | grep -v '/testdata/' | xargs -n1 dirname | sort -u | tr '\n' ' ')
if [[ -n "$apkgs" ]]; then
  cmd=("$GO" test -run Alloc -count=1 -timeout 5m $apkgs)
  { echo "# command: $(printf '%q ' "${cmd[@]}" | sed 's/ $//')"; "${cmd[@]}" 2>&1 || true; } >"$OUT/allocs.txt"
fi

# 3. Load generators against the baseline (fresh processes, stopped before sluice runs).
SIDES=baseline bash bench/load.sh

# 4. The same against sluiced: idle subscribers against a fresh server with an empty store (as
# the baseline's idle run has no result set), the rest against a fresh server seeded with
# DEMO_COUNT demo entries. Both broadcast ping and sysStats every PERIOD.
start_sluiced() { # log-name flags...: sluiced on a free loopback port with a new data dir; sets sluiced_addr once it listens
  local log="$OUT/$1.log"; shift
  datadir=$(mktemp -d)
  local cmd=(./bin/sluiced -listen 127.0.0.1:0 -data "$datadir" -log-level info "$@")
  # ONLY_SYSSTATS=1 (the idle phase): ping and idxStats every hour, so the measuring window holds
  # nothing but the timed ~1 KB sysStats broadcasts and the server CPU over it is theirs (and GC's).
  local ping=$PERIOD idx=10s
  [[ ${ONLY_SYSSTATS:-} == 1 ]] && ping=1h idx=1h
  SLUICE_CMD="SLUICE_PING_PERIOD=$ping SLUICE_SYS_STATS_PERIOD=$PERIOD SLUICE_IDX_STATS_PERIOD=$idx $(printf '%q ' "${cmd[@]}" | sed 's/ $//')"
  export SLUICE_CMD
  SLUICE_PING_PERIOD=$ping SLUICE_SYS_STATS_PERIOD=$PERIOD SLUICE_IDX_STATS_PERIOD=$idx "${cmd[@]}" >"$log" 2>&1 &
  sluiced_pid=$!
  for _ in $(seq 600); do # seeding the demo data comes first; at most 5 minutes
    sluiced_addr=$(sed -n 's/.*sluiced listening" addr=\([0-9.:]*\).*/\1/p' "$log")
    [[ -n "$sluiced_addr" ]] && return 0
    kill -0 "$sluiced_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "sluiced did not start:"; tail -20 "$log"
  notes+=(-note "sluiced did not start ($log), so some of sluice's load figures are missing: $(tail -1 "$log")")
  return 1
}
stop_sluiced() {
  kill "$sluiced_pid" 2>/dev/null || true; wait "$sluiced_pid" 2>/dev/null || true; sluiced_pid=
  rm -rf "$datadir"; datadir=
}
if "$GO" build -o bin/sluiced ./cmd/sluiced 2>"$OUT/sluiced-build.txt"; then
  if ONLY_SYSSTATS=1 start_sluiced sluiced-idle -demo=false; then
    SIDES=sluice-idle SLUICE_ADDR=$sluiced_addr SLUICE_PID=$sluiced_pid bash bench/load.sh
  fi
  stop_sluiced
  # 100,000 subscribers need 100,000 descriptors in the server and in the load generator.
  nofile=$(ulimit -n); [[ $nofile == unlimited ]] && nofile=1000000000
  if (( nofile >= 101000 )); then
    if ONLY_SYSSTATS=1 start_sluiced sluiced-idle-100k -demo=false; then
      SIDES=sluice-idle-100k SLUICE_ADDR=$sluiced_addr SLUICE_PID=$sluiced_pid bash bench/load.sh
    fi
    stop_sluiced
  else
    notes+=(-note "Idle subscribers at 100,000 were not run: the open-files limit is $(ulimit -n) descriptors per process (hard limit $(ulimit -Hn)), and the server and the load generator each need 100,000.")
  fi
  start=$(date -u -d '-25 hours' +%Y-%m-%dT%H:%M:%SZ)
  if start_sluiced sluiced -demo=true -demo-count "$DEMO_COUNT"; then
    end=$(date -u -d '+10 minutes' +%Y-%m-%dT%H:%M:%SZ)
    SIDES=sluice-load SLUICE_ADDR=$sluiced_addr SLUICE_PID=$sluiced_pid SLUICE_QUERY='tag=*' \
      SLUICE_START=$start SLUICE_END=$end bash bench/load.sh
  fi
  stop_sluiced
else
  echo "cmd/sluiced does not build:"; head -5 "$OUT/sluiced-build.txt"
  notes+=(-note "cmd/sluiced did not build, so sluice's load figures are missing: $(grep -m1 -v '^#' "$OUT/sluiced-build.txt")")
fi
# 4b. The peer comparison of issue 10 (bench/peer.sh): sluiced against VictoriaLogs on PEER_N lines.
rm -f "$OUT"/peer*.json "$OUT/peer.md"
if [[ ${PEER:-1} == 1 ]]; then
  OUT=$OUT bash bench/peer.sh || notes+=(-note "The VictoriaLogs comparison (bench/peer.sh) failed; see $OUT/peer-*.log.")
fi
mark "after peer comparison"
# 4b. The issue-9 volume jobs (their own fresh servers and data sets; VOLUME_N=10000000 by default).
rm -f "$OUT"/load-volume-*.json "$OUT"/load-volume-*.cmd
mark "before volume jobs"
OUT=$OUT bash bench/volume.sh || notes+=(-note "bench/volume.sh failed; the volume figures are missing or partial")
if [[ -s "$OUT/load-failures.txt" ]]; then
  while IFS= read -r l; do notes+=(-note "Load job failed: $l"); done <"$OUT/load-failures.txt"
fi
mark end

# 5. The report.
args=(-load "$OUT" -loadavg "$LOADAVG" -o "$REPORT")
[[ -f "$OUT/allocs.txt" ]] && args+=(-allocs "$OUT/allocs.txt")
[[ -f "$OUT/peer.md" ]] && args+=(-section "$OUT/peer.md")
args+=(-section bench/cluster-scaling.md) # the cluster's expected scaling, on paper (issue 16)
"$GO" run ./bench/cmd/benchreport "${args[@]}" "${notes[@]}" "$OUT"/bench-*.txt
echo "wrote $REPORT"
